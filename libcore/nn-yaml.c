/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-errors.h"
#include "nn-param-text.h"
#include "nn-param-text-private.h"
#include "nn-plugins.h"
#include "nn-utils-private.h"
#include "nn-yaml-private.h"

/*
 * Experiment files are read with libyaml's document API so that every node
 * keeps its position: each error names FILE:LINE:COLUMN of the node at fault.
 */

/* Deeper than this, an experiment file is an attack or a mistake. */
#define MAX_DEPTH 64

static void
set_parser_error (GError             **error,
                  const char          *file,
                  const yaml_parser_t *parser)
{
  g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_PARSE,
               "%s:%lu:%lu: error: %s%s%s", file,
               (unsigned long) parser->problem_mark.line + 1,
               (unsigned long) parser->problem_mark.column + 1,
               parser->problem ? parser->problem : "malformed YAML",
               parser->context ? " " : "",
               parser->context ? parser->context : "");
}

NnYamlDoc *
nn_yaml_doc_new_from_data (const char  *file,
                           const char  *data,
                           gsize        length,
                           GError     **error)
{
  g_autoptr(NnYamlDoc) doc = g_new0 (NnYamlDoc, 1);
  yaml_parser_t parser;
  gboolean ok;

  /* Messages are UTF-8, whatever the file's name. */
  doc->file = g_filename_display_name (file);
  doc->overrides = g_ptr_array_new_with_free_func (g_free);
  doc->override_start = g_array_new (FALSE, FALSE, sizeof (guint));
  if (!nn_yaml_check_text (data, length, MAX_DEPTH, doc->file, NULL, error))
    return NULL;

  yaml_parser_initialize (&parser);
  yaml_parser_set_input_string (&parser, (const unsigned char *) data, length);
  ok = yaml_parser_load (&parser, &doc->doc);
  if (!ok)
    {
      set_parser_error (error, doc->file, &parser);
      yaml_parser_delete (&parser);
      return NULL;
    }
  yaml_parser_delete (&parser);
  doc->n_file_nodes = (guint) (doc->doc.nodes.top - doc->doc.nodes.start);

  if (yaml_document_get_root_node (&doc->doc) == NULL)
    {
      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_PARSE,
                   "%s:1:1: error: the file holds no experiment", doc->file);
      return NULL;
    }
  return g_steal_pointer (&doc);
}

void
nn_yaml_doc_free (NnYamlDoc *doc)
{
  if (doc == NULL)
    return;
  yaml_document_delete (&doc->doc);
  g_free (doc->file);
  g_clear_pointer (&doc->overrides, g_ptr_array_unref);
  g_clear_pointer (&doc->override_start, g_array_unref);
  g_free (doc);
}

yaml_node_t *
nn_yaml_root (NnYamlDoc *doc)
{
  return yaml_document_get_root_node (&doc->doc);
}

void
nn_yaml_set_error (GError      **error,
                   NnYamlDoc    *doc,
                   yaml_node_t  *node,
                   gint          code,
                   const char   *format,
                   ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (node != NULL && doc->n_file_nodes < (guint) (node - doc->doc.nodes.start) + 1)
    {
      /* A node of a --set override: name the override, not a place. */
      guint id = (guint) (node - doc->doc.nodes.start) + 1;
      guint k = doc->override_start->len;

      while (k > 1 && g_array_index (doc->override_start, guint, k - 1) > id)
        k--;
      g_set_error (error, NN_CONFIG_ERROR, code, "--set %s: error: %s",
                   (const char *) doc->overrides->pdata[k - 1], message);
    }
  else if (node != NULL)
    g_set_error (error, NN_CONFIG_ERROR, code, "%s:%lu:%lu: error: %s", doc->file,
                 (unsigned long) node->start_mark.line + 1,
                 (unsigned long) node->start_mark.column + 1, message);
  else
    g_set_error (error, NN_CONFIG_ERROR, code, "%s: error: %s", doc->file, message);
}

static const char *
type_name (yaml_node_t *node)
{
  switch (node->type)
    {
    case YAML_SCALAR_NODE:
      return "a scalar";
    case YAML_SEQUENCE_NODE:
      return "a list";
    case YAML_MAPPING_NODE:
      return "a mapping";
    case YAML_NO_NODE:
    default:
      return "nothing";
    }
}

/* What @node holds, for "must be ..., not X": the scalar quoted, or the
 * kind of node. */
static char *
describe_value (yaml_node_t *node)
{
  const char *s = nn_yaml_scalar (node);

  return s ? g_strdup_printf ("'%s'", s) : g_strdup (type_name (node));
}

guint
nn_yaml_n_pairs (yaml_node_t *mapping)
{
  return (guint) (mapping->data.mapping.pairs.top - mapping->data.mapping.pairs.start);
}

NnYamlPair
nn_yaml_pair (NnYamlDoc   *doc,
              yaml_node_t *mapping,
              guint        index)
{
  yaml_node_pair_t *p = mapping->data.mapping.pairs.start + index;
  NnYamlPair pair;

  pair.key_node = yaml_document_get_node (&doc->doc, p->key);
  pair.value = yaml_document_get_node (&doc->doc, p->value);
  pair.key = nn_yaml_scalar (pair.key_node);
  return pair;
}

guint
nn_yaml_n_items (yaml_node_t *sequence)
{
  return (guint) (sequence->data.sequence.items.top - sequence->data.sequence.items.start);
}

yaml_node_t *
nn_yaml_item (NnYamlDoc   *doc,
              yaml_node_t *sequence,
              guint        index)
{
  return yaml_document_get_node (&doc->doc, sequence->data.sequence.items.start[index]);
}

/* Returns: (nullable): the text of a scalar node, NULL for other nodes */
const char *
nn_yaml_scalar (yaml_node_t *node)
{
  if (node == NULL || node->type != YAML_SCALAR_NODE)
    return NULL;
  return (const char *) node->data.scalar.value;
}

gboolean
nn_yaml_check_mapping (NnYamlDoc          *doc,
                       yaml_node_t        *node,
                       const char         *what,
                       const char * const *allowed,
                       GError            **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (node->type != YAML_MAPPING_NODE)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be a mapping, not %s", what, type_name (node));
      return FALSE;
    }

  for (guint i = 0; i < nn_yaml_n_pairs (node); i++)
    {
      NnYamlPair pair = nn_yaml_pair (doc, node, i);
      yaml_node_t *first;

      if (pair.key == NULL)
        {
          nn_yaml_set_error (error, doc, pair.key_node, NN_CONFIG_ERROR_INVALID_VALUE,
                             "a key of %s must be a plain name", what);
          return FALSE;
        }
      if ((first = g_hash_table_lookup (seen, pair.key)) != NULL)
        {
          nn_yaml_set_error (error, doc, pair.key_node, NN_CONFIG_ERROR_INVALID_VALUE,
                             "duplicate key '%s' in %s (first given at line %lu)",
                             pair.key, what, (unsigned long) first->start_mark.line + 1);
          return FALSE;
        }
      g_hash_table_insert (seen, (gpointer) pair.key, pair.key_node);

      if (allowed != NULL && !g_strv_contains (allowed, pair.key))
        {
          const char *hint = nn_suggest (pair.key, allowed);
          g_autofree char *list = nn_strjoin_quoted (allowed);

          if (hint != NULL)
            nn_yaml_set_error (error, doc, pair.key_node, NN_CONFIG_ERROR_UNKNOWN_KEY,
                               "unknown key '%s' in %s; did you mean '%s'?",
                               pair.key, what, hint);
          else
            nn_yaml_set_error (error, doc, pair.key_node, NN_CONFIG_ERROR_UNKNOWN_KEY,
                               "unknown key '%s' in %s; valid keys: %s",
                               pair.key, what, list);
          return FALSE;
        }
    }
  return TRUE;
}

/* Returns: (nullable): the value of @key in @mapping */
yaml_node_t *
nn_yaml_lookup (NnYamlDoc   *doc,
                yaml_node_t *mapping,
                const char  *key)
{
  if (mapping == NULL || mapping->type != YAML_MAPPING_NODE)
    return NULL;
  for (guint i = 0; i < nn_yaml_n_pairs (mapping); i++)
    {
      NnYamlPair pair = nn_yaml_pair (doc, mapping, i);
      if (pair.key != NULL && g_str_equal (pair.key, key))
        return pair.value;
    }
  return NULL;
}

gboolean
nn_yaml_get_string (NnYamlDoc    *doc,
                    yaml_node_t  *node,
                    const char   *what,
                    const char  **out,
                    GError      **error)
{
  const char *s = nn_yaml_scalar (node);

  if (s == NULL || *s == '\0')
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be a non-empty string, not %s", what,
                         s ? "an empty one" : type_name (node));
      return FALSE;
    }
  *out = s;
  return TRUE;
}

gboolean
nn_yaml_get_double (NnYamlDoc    *doc,
                    yaml_node_t  *node,
                    const char   *what,
                    double        min,
                    double        max,
                    double       *out,
                    GError      **error)
{
  const char *s = nn_yaml_scalar (node);
  gboolean number;
  double v;

  if (!(number = nn_yaml_parse_number (s, &v)) || !isfinite (v))
    {
      g_autofree char *found = describe_value (node);

      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be a %s number, not %s", what,
                         number ? "finite" : "decimal", found);
      return FALSE;
    }
  if (v < min || v > max)
    {
      g_autofree char *lo = nn_format_double (min);
      g_autofree char *hi = nn_format_double (max);

      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be between %s and %s, not %s", what, lo, hi, s);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

gboolean
nn_yaml_get_uint (NnYamlDoc    *doc,
                  yaml_node_t  *node,
                  const char   *what,
                  guint64       min,
                  guint64       max,
                  guint64      *out,
                  GError      **error)
{
  const char *s = nn_yaml_scalar (node);
  NnYamlInteger n;
  guint64 v;

  if (!nn_yaml_parse_integer (s, &n))
    {
      g_autofree char *found = describe_value (node);

      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be a whole number, not %s", what, found);
      return FALSE;
    }
  /* A negative or huge number is a whole number out of range. */
  if (!nn_yaml_integer_to_unsigned (&n, min, max, &v))
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be between %" G_GUINT64_FORMAT " and %"
                         G_GUINT64_FORMAT ", not %s", what, min, max, s);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

gboolean
nn_yaml_get_bool (NnYamlDoc    *doc,
                  yaml_node_t  *node,
                  const char   *what,
                  gboolean     *out,
                  GError      **error)
{
  const char *s = nn_yaml_scalar (node);

  if (g_strcmp0 (s, "true") == 0)
    *out = TRUE;
  else if (g_strcmp0 (s, "false") == 0)
    *out = FALSE;
  else
    {
      g_autofree char *found = describe_value (node);

      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be true or false, not %s", what, found);
      return FALSE;
    }
  return TRUE;
}

gboolean
nn_yaml_get_enum (NnYamlDoc    *doc,
                  yaml_node_t  *node,
                  const char   *what,
                  GType         enum_type,
                  gint         *out,
                  GError      **error)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (enum_type);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) nicks = NULL;
  g_autofree char *list = NULL;
  g_autofree char *found = NULL;
  const char *s = nn_yaml_scalar (node);
  const char *hint;
  GEnumValue *value;

  if (s != NULL && (value = g_enum_get_value_by_nick (klass, s)) != NULL)
    {
      *out = value->value;
      return TRUE;
    }

  for (guint i = 0; i < klass->n_values; i++)
    g_strv_builder_add (b, klass->values[i].value_nick);
  nicks = g_strv_builder_end (b);
  list = nn_strjoin_quoted ((const char * const *) nicks);
  hint = s ? nn_suggest (s, (const char * const *) nicks) : NULL;
  found = describe_value (node);
  nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                     "%s must be one of %s, not %s%s%s%s", what, list, found,
                     hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
  return FALSE;
}

/* Reads a list of numbers (@vector) or a list of lists of numbers into a
 * @rows × @cols matrix, checking the shape as it goes. */
NnMatrix *
nn_yaml_get_matrix (NnYamlDoc    *doc,
                    yaml_node_t  *node,
                    const char   *what,
                    guint         rows,
                    guint         cols,
                    gboolean      vector,
                    GError      **error)
{
  g_autoptr(NnMatrix) m = NULL;
  guint n_rows;

  if (node->type != YAML_SEQUENCE_NODE)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be a list, not %s", what, type_name (node));
      return NULL;
    }
  n_rows = nn_yaml_n_items (node);
  if (n_rows != (vector ? cols : rows))
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         vector ? "%s has %u values, the layer has %u neurons"
                                : "%s has %u rows, the layer has %u neurons (one row each)",
                         what, n_rows, vector ? cols : rows);
      return NULL;
    }

  m = nn_matrix_new (rows, cols);
  for (guint r = 0; r < n_rows; r++)
    {
      yaml_node_t *row = nn_yaml_item (doc, node, r);
      guint n_cols;

      if (vector)
        {
          double v;
          if (!nn_yaml_get_double (doc, row, what, -G_MAXDOUBLE, G_MAXDOUBLE, &v, error))
            return NULL;
          m->data[r] = (nn_real) v;
          continue;
        }
      if (row->type != YAML_SEQUENCE_NODE)
        {
          nn_yaml_set_error (error, doc, row, NN_CONFIG_ERROR_INVALID_VALUE,
                             "row %u of %s must be a list of %u numbers, not %s",
                             r + 1, what, cols, type_name (row));
          return NULL;
        }
      n_cols = nn_yaml_n_items (row);
      if (n_cols != cols)
        {
          nn_yaml_set_error (error, doc, row, NN_CONFIG_ERROR_INVALID_VALUE,
                             "row %u of %s has %u weights, the layer has %u inputs",
                             r + 1, what, n_cols, cols);
          return NULL;
        }
      for (guint c = 0; c < n_cols; c++)
        {
          double v;
          if (!nn_yaml_get_double (doc, nn_yaml_item (doc, row, c), what,
                                   -G_MAXDOUBLE, G_MAXDOUBLE, &v, error))
            return NULL;
          NN_MATRIX_AT (m, r, c) = (nn_real) v;
        }
    }
  return g_steal_pointer (&m);
}

/* Reads a whole number into @value, of the type of @pspec. One that the
 * type cannot hold is out of the property's range too: converting it would
 * wrap or clamp it into the range. */
static gboolean
integer_from_scalar (NnYamlDoc    *doc,
                     yaml_node_t  *node,
                     const char   *what,
                     GParamSpec   *pspec,
                     GValue       *value,
                     GError      **error)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  const char *s = nn_yaml_scalar (node);
  NnYamlInteger n;
  gint64 sv = 0;
  guint64 uv = 0;
  gboolean fits;

  if (!nn_yaml_parse_integer (s, &n))
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be a whole number, not '%s'", what, s);
      return FALSE;
    }
  if (type == G_TYPE_INT)
    fits = nn_yaml_integer_to_signed (&n, G_MININT, G_MAXINT, &sv);
  else if (type == G_TYPE_LONG)
    fits = nn_yaml_integer_to_signed (&n, G_MINLONG, G_MAXLONG, &sv);
  else if (type == G_TYPE_INT64)
    fits = nn_yaml_integer_to_signed (&n, G_MININT64, G_MAXINT64, &sv);
  else if (type == G_TYPE_UINT)
    fits = nn_yaml_integer_to_unsigned (&n, 0, G_MAXUINT, &uv);
  else if (type == G_TYPE_ULONG)
    fits = nn_yaml_integer_to_unsigned (&n, 0, G_MAXULONG, &uv);
  else
    fits = nn_yaml_integer_to_unsigned (&n, 0, G_MAXUINT64, &uv);
  if (!fits)
    {
      g_autofree char *range = nn_param_spec_describe_bounds (pspec);

      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be %s, not %s", what, range, s);
      return FALSE;
    }
  if (type == G_TYPE_INT)
    g_value_set_int (value, (gint) sv);
  else if (type == G_TYPE_LONG)
    g_value_set_long (value, (glong) sv);
  else if (type == G_TYPE_INT64)
    g_value_set_int64 (value, sv);
  else if (type == G_TYPE_UINT)
    g_value_set_uint (value, (guint) uv);
  else if (type == G_TYPE_ULONG)
    g_value_set_ulong (value, (gulong) uv);
  else
    g_value_set_uint64 (value, uv);
  return TRUE;
}

/* Converts a YAML scalar to the type of @pspec; g_value_transform() cannot
 * turn strings into numbers. */
static gboolean
value_from_scalar (NnYamlDoc    *doc,
                   yaml_node_t  *node,
                   const char   *what,
                   GParamSpec   *pspec,
                   GValue       *value,
                   GError      **error)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  const char *s = nn_yaml_scalar (node);

  g_value_init (value, type);
  if (s == NULL)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be a single value, not %s", what, type_name (node));
      return FALSE;
    }

  if (type == G_TYPE_DOUBLE || type == G_TYPE_FLOAT)
    {
      double v;
      if (!nn_yaml_get_double (doc, node, what, -G_MAXDOUBLE, G_MAXDOUBLE, &v, error))
        return FALSE;
      if (type == G_TYPE_DOUBLE)
        g_value_set_double (value, v);
      else
        g_value_set_float (value, (float) v);
    }
  else if (type == G_TYPE_INT || type == G_TYPE_INT64 || type == G_TYPE_LONG ||
           type == G_TYPE_UINT || type == G_TYPE_UINT64 || type == G_TYPE_ULONG)
    {
      if (!integer_from_scalar (doc, node, what, pspec, value, error))
        return FALSE;
    }
  else if (type == G_TYPE_BOOLEAN)
    {
      gboolean v;
      if (!nn_yaml_get_bool (doc, node, what, &v, error))
        return FALSE;
      g_value_set_boolean (value, v);
    }
  else if (G_TYPE_IS_ENUM (type))
    {
      gint v;
      if (!nn_yaml_get_enum (doc, node, what, type, &v, error))
        return FALSE;
      g_value_set_enum (value, v);
    }
  else if (type == G_TYPE_STRING)
    g_value_set_string (value, s);
  else
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s has type %s, which an experiment file cannot set",
                         what, g_type_name (type));
      return FALSE;
    }
  return TRUE;
}

/* "SUBJECT has no parameter 'KEY'", with the parameters it has. */
static void
set_unknown_parameter_error (GError           **error,
                             NnYamlDoc         *doc,
                             const NnYamlPair  *pair,
                             GObjectClass      *klass,
                             const char        *subject)
{
  guint n_props = 0;
  g_autofree GParamSpec **props = g_object_class_list_properties (klass, &n_props);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) keys = NULL;
  g_autofree char *list = NULL;
  const char *hint;

  for (guint p = 0; p < n_props; p++)
    if (props[p]->flags & G_PARAM_WRITABLE)
      {
        g_autofree char *k = nn_param_spec_get_key (props[p]);
        g_strv_builder_add (b, k);
      }
  keys = g_strv_builder_end (b);
  list = nn_strjoin_quoted ((const char * const *) keys);
  hint = nn_suggest (pair->key, (const char * const *) keys);
  if (hint != NULL)
    nn_yaml_set_error (error, doc, pair->key_node, NN_CONFIG_ERROR_UNKNOWN_KEY,
                       "%s has no parameter '%s'; did you mean '%s'? "
                       "Its parameters: %s", subject, pair->key, hint, list);
  else
    nn_yaml_set_error (error, doc, pair->key_node, NN_CONFIG_ERROR_UNKNOWN_KEY,
                       "%s has no parameter '%s'; its parameters: %s",
                       subject, pair->key, *list ? list : "none");
}

/*
 * Makes a plugin object from `NAME` or `{name: NAME, PARAMETER: VALUE, ...}`.
 * Every parameter is a writable GObject property of the class, found by its
 * name with '_' for '-', so a plugin's parameters need no code here.
 */
static GObject *
new_object (NnYamlDoc    *doc,
            yaml_node_t  *node,
            const char   *extension_point,
            GType         fixed_type,
            const char   *what,
            GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) values = g_array_new (FALSE, TRUE, sizeof (GValue));
  g_autoptr(GTypeClass) klass = NULL;
  g_autofree char *subject = NULL;
  yaml_node_t *name_node = node;
  const char *name;
  GType type;

  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);

  if (fixed_type != G_TYPE_INVALID)
    {
      /* A mapping of parameters alone, for a class known in advance. */
      if (!nn_yaml_check_mapping (doc, node, what, NULL, error))
        return NULL;
      type = fixed_type;
      name = what;
    }
  else
    {
      if (node->type == YAML_MAPPING_NODE)
        {
          name_node = nn_yaml_lookup (doc, node, "name");
          if (name_node == NULL)
            {
              nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_MISSING_KEY,
                                 "%s needs a 'name'", what);
              return NULL;
            }
          if (!nn_yaml_check_mapping (doc, node, what, NULL, error))
            return NULL;
        }
      if (!nn_yaml_get_string (doc, name_node, what, &name, error))
        return NULL;

      type = nn_plugins_lookup (extension_point, name, &local_error);
      if (type == G_TYPE_INVALID)
        {
          nn_yaml_set_error (error, doc, name_node, NN_CONFIG_ERROR_UNKNOWN_TYPE,
                             "%s", local_error->message);
          return NULL;
        }
    }
  klass = g_type_class_ref (type);
  /* "activation 'leaky_relu'", or "train.early_stopping" for a fixed class. */
  subject = fixed_type != G_TYPE_INVALID ? g_strdup (what)
                                         : g_strdup_printf ("%s '%s'", what, name);

  for (guint i = 0; node->type == YAML_MAPPING_NODE && i < nn_yaml_n_pairs (node); i++)
    {
      NnYamlPair pair = nn_yaml_pair (doc, node, i);
      g_autofree char *prop = NULL;
      g_autofree char *label = NULL;
      GParamSpec *pspec;
      GValue value = G_VALUE_INIT;

      if (fixed_type == G_TYPE_INVALID && g_str_equal (pair.key, "name"))
        continue;

      prop = nn_param_key_to_property_name (pair.key);
      pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), prop);
      if (pspec == NULL || !(pspec->flags & G_PARAM_WRITABLE))
        {
          set_unknown_parameter_error (error, doc, &pair, G_OBJECT_CLASS (klass), subject);
          return NULL;
        }

      label = g_strdup_printf ("%s parameter '%s'", subject, pair.key);
      if (!value_from_scalar (doc, pair.value, label, pspec, &value, error))
        {
          g_value_unset (&value);
          return NULL;
        }
      /* g_object_set() would only warn and keep the old value. */
      if (g_param_value_validate (pspec, &value))
        {
          g_autofree char *range = nn_param_spec_describe_bounds (pspec);
          nn_yaml_set_error (error, doc, pair.value, NN_CONFIG_ERROR_INVALID_VALUE,
                             "%s must be %s, not %s", label, range,
                             nn_yaml_scalar (pair.value));
          g_value_unset (&value);
          return NULL;
        }
      g_ptr_array_add (names, g_strdup (pspec->name));
      g_array_append_val (values, value);
    }

  return g_object_new_with_properties (type, names->len, (const char **) names->pdata,
                                       (const GValue *) values->data);
}

GObject *
nn_yaml_new_object (NnYamlDoc    *doc,
                    yaml_node_t  *node,
                    const char   *extension_point,
                    const char   *what,
                    GError      **error)
{
  return new_object (doc, node, extension_point, G_TYPE_INVALID, what, error);
}

/* A mapping holding only the parameters of @type, such as early stopping's. */
GObject *
nn_yaml_new_object_of_type (NnYamlDoc    *doc,
                            yaml_node_t  *node,
                            GType         type,
                            const char   *what,
                            GError      **error)
{
  return new_object (doc, node, NULL, type, what, error);
}

/* ---- --set overrides ----------------------------------------------------- */

#define OVERRIDE_MAX_DEPTH 32

/* Where each node of an override's value went: aliases make the value a
 * graph whose nodes are shared, and copying a shared node once keeps it an
 * alias, as in a file, instead of expanding it. */
typedef struct {
  yaml_document_t *dest;
  yaml_document_t *src;
  int             *copies;   /* by node id of @src: 0, IN_PROGRESS or the copy */
} NodeCopy;

#define IN_PROGRESS (-1)

/* Copies node @id of @src, with everything under it, into @dest; 0 when
 * it nests too deeply or holds itself. */
static int
copy_node (NodeCopy *c,
           int       id,
           guint     depth)
{
  yaml_node_t *node = yaml_document_get_node (c->src, id);
  int copy = 0;

  if (node == NULL || depth > OVERRIDE_MAX_DEPTH || c->copies[id] == IN_PROGRESS)
    return 0;
  if (c->copies[id] > 0)
    return c->copies[id];
  switch (node->type)
    {
    case YAML_SCALAR_NODE:
      copy = yaml_document_add_scalar (c->dest, NULL, node->data.scalar.value,
                                       (int) node->data.scalar.length,
                                       node->data.scalar.style);
      break;
    case YAML_SEQUENCE_NODE:
      {
        int n = (int) (node->data.sequence.items.top - node->data.sequence.items.start);

        copy = yaml_document_add_sequence (c->dest, NULL, YAML_FLOW_SEQUENCE_STYLE);
        c->copies[id] = IN_PROGRESS;
        for (int i = 0; copy && i < n; i++)
          {
            int item = node->data.sequence.items.start[i];
            int item_copy = copy_node (c, item, depth + 1);

            if (!item_copy || !yaml_document_append_sequence_item (c->dest, copy, item_copy))
              copy = 0;
          }
        break;
      }
    case YAML_MAPPING_NODE:
      {
        int n = (int) (node->data.mapping.pairs.top - node->data.mapping.pairs.start);

        copy = yaml_document_add_mapping (c->dest, NULL, YAML_FLOW_MAPPING_STYLE);
        c->copies[id] = IN_PROGRESS;
        for (int i = 0; copy && i < n; i++)
          {
            yaml_node_pair_t pair = node->data.mapping.pairs.start[i];
            int k = copy_node (c, pair.key, depth + 1);
            int v = k ? copy_node (c, pair.value, depth + 1) : 0;

            if (!v || !yaml_document_append_mapping_pair (c->dest, copy, k, v))
              copy = 0;
          }
        break;
      }
    case YAML_NO_NODE:
    default:
      break;
    }
  c->copies[id] = copy;
  return copy;
}

static gboolean
parse_override_value (const char       *assignment,
                      const char       *value,
                      yaml_document_t  *out,
                      GError          **error)
{
  yaml_parser_t parser;
  gboolean ok;

  memset (out, 0, sizeof *out);
  if (!nn_yaml_check_text (value, strlen (value), OVERRIDE_MAX_DEPTH, NULL, assignment, error))
    return FALSE;
  yaml_parser_initialize (&parser);
  yaml_parser_set_input_string (&parser, (const unsigned char *) value, strlen (value));
  ok = yaml_parser_load (&parser, out);
  if (!ok)
    g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_PARSE,
                 "--set %s: error: the value is not valid YAML: %s", assignment,
                 parser.problem ? parser.problem : "malformed");
  else if (yaml_document_get_root_node (out) == NULL)
    {
      ok = FALSE;
      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "--set %s: error: no value after '='", assignment);
    }
  yaml_parser_delete (&parser);
  if (!ok)
    yaml_document_delete (out);
  return ok;
}

static int
find_pair (yaml_document_t *doc,
           int              mapping,
           const char      *key)
{
  yaml_node_t *node = yaml_document_get_node (doc, mapping);
  int n = (int) (node->data.mapping.pairs.top - node->data.mapping.pairs.start);

  for (int i = 0; i < n; i++)
    {
      yaml_node_t *k = yaml_document_get_node (doc, node->data.mapping.pairs.start[i].key);
      if (k != NULL && k->type == YAML_SCALAR_NODE &&
          g_str_equal ((const char *) k->data.scalar.value, key))
        return i;
    }
  return -1;
}

/*
 * Applies `KEY=VALUE` to the document before it is read: KEY is a path of
 * mapping keys and list indices separated by dots (`model.layers.0.units`),
 * VALUE is YAML (`32`, `adam`, `{name: adam, learning_rate: 0.01}`).
 * Missing mapping keys are added, so any key can be set; errors in the new
 * value are later reported against the override's text.
 */
gboolean
nn_yaml_doc_override (NnYamlDoc    *doc,
                      const char   *assignment,
                      GError      **error)
{
  const char *eq = strchr (assignment, '=');
  g_autofree char *path = NULL;
  g_auto(GStrv) parts = NULL;
  yaml_document_t value_doc;
  guint start;
  int current, copy;
  gboolean ok = FALSE;

  if (!g_utf8_validate (assignment, -1, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (assignment, -1);

      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "--set %s: error: the setting is not valid UTF-8", shown);
      return FALSE;
    }
  if (eq == NULL || eq == assignment)
    {
      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "--set %s: error: expected KEY=VALUE, such as "
                   "optimizer.learning_rate=0.05", assignment);
      return FALSE;
    }
  path = g_strndup (assignment, eq - assignment);
  parts = g_strsplit (path, ".", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] == '\0')
      {
        g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                     "--set %s: error: '%s' is not a key path", assignment, path);
        return FALSE;
      }
  if (!parse_override_value (assignment, eq + 1, &value_doc, error))
    return FALSE;

  start = (guint) (doc->doc.nodes.top - doc->doc.nodes.start) + 1;
  g_ptr_array_add (doc->overrides, g_strdup (assignment));
  g_array_append_val (doc->override_start, start);

  {
    NodeCopy c = { &doc->doc, &value_doc, NULL };

    c.copies = g_new0 (int, value_doc.nodes.top - value_doc.nodes.start + 1);
    copy = copy_node (&c, 1, 0);
    g_free (c.copies);
  }
  yaml_document_delete (&value_doc);
  if (!copy)
    {
      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "--set %s: error: the value is nested too deeply or holds itself",
                   assignment);
      return FALSE;
    }

  current = 1;   /* the root */
  for (guint i = 0; parts[i] != NULL; i++)
    {
      gboolean last = parts[i + 1] == NULL;
      yaml_node_t *node = yaml_document_get_node (&doc->doc, current);

      if (node->type == YAML_MAPPING_NODE)
        {
          int pair = find_pair (&doc->doc, current, parts[i]);
          int child;

          if (pair >= 0)
            {
              if (last)
                {
                  node->data.mapping.pairs.start[pair].value = copy;
                  ok = TRUE;
                  break;
                }
              current = node->data.mapping.pairs.start[pair].value;
              continue;
            }
          child = last ? copy : yaml_document_add_mapping (&doc->doc, NULL, YAML_BLOCK_MAPPING_STYLE);
          {
            int key = yaml_document_add_scalar (&doc->doc, NULL, (yaml_char_t *) parts[i],
                                                (int) strlen (parts[i]), YAML_PLAIN_SCALAR_STYLE);
            if (!child || !key || !yaml_document_append_mapping_pair (&doc->doc, current, key, child))
              break;
          }
          if (last)
            {
              ok = TRUE;
              break;
            }
          current = child;
        }
      else if (node->type == YAML_SEQUENCE_NODE)
        {
          guint n = (guint) (node->data.sequence.items.top - node->data.sequence.items.start);
          guint64 index;

          if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT, &index, NULL) || index >= n)
            {
              g_autofree char *list = NULL;
              char *saved = parts[i];

              parts[i] = NULL;
              list = g_strjoinv (".", parts);
              parts[i] = saved;
              g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                           "--set %s: error: '%s' is a list of %u items; '%s' is not "
                           "one of its indices (0 to %u)", assignment, list, n, parts[i],
                           n ? n - 1 : 0);
              return FALSE;
            }
          if (last)
            {
              node->data.sequence.items.start[index] = copy;
              ok = TRUE;
              break;
            }
          current = node->data.sequence.items.start[index];
        }
      else
        {
          /* Only the root can be reached without a key, and it is checked
           * to be a mapping when the experiment is read. */
          g_autofree char *parent = NULL;
          char *saved = parts[i];

          parts[i] = NULL;
          parent = g_strjoinv (".", parts);
          parts[i] = saved;
          g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                       "--set %s: error: '%s' holds a single value, not keys",
                       assignment, *parent ? parent : "the experiment");
          return FALSE;
        }
    }

  if (!ok)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_FAILED,
                     "--set %s: error: out of memory", assignment);
      return FALSE;
    }
  return TRUE;
}

/* ---- writing ------------------------------------------------------------- */

struct _NnYamlWriter
{
  yaml_emitter_t emitter;
  GString       *out;
  GError        *error;   /* the first failure; nothing is emitted after it */
};

static int
write_to_gstring (void          *data,
                  unsigned char *buffer,
                  size_t         size)
{
  g_string_append_len (data, (const char *) buffer, (gssize) size);
  return 1;
}

static void
writer_fail (NnYamlWriter *w,
             const char   *message)
{
  if (w->error == NULL)
    w->error = g_error_new (NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE, "%s", message);
}

/* Emits @event, made by a yaml_*_event_initialize() that returned @made. */
static void
emit (NnYamlWriter *w,
      yaml_event_t *event,
      int           made)
{
  if (!made)
    {
      writer_fail (w, "the YAML emitter could not make an event");
      return;
    }
  if (w->error != NULL)
    {
      yaml_event_delete (event);
      return;
    }
  /* The emitter owns the event now, even when it fails. */
  if (!yaml_emitter_emit (&w->emitter, event))
    {
      g_autofree char *message = g_strdup_printf ("the YAML emitter failed: %s",
                                                  w->emitter.problem ? w->emitter.problem
                                                                     : "no reason given");
      writer_fail (w, message);
    }
}

NnYamlWriter *
nn_yaml_writer_new (void)
{
  NnYamlWriter *w = g_new0 (NnYamlWriter, 1);
  yaml_event_t event;

  w->out = g_string_new (NULL);
  yaml_emitter_initialize (&w->emitter);
  yaml_emitter_set_output (&w->emitter, write_to_gstring, w->out);
  yaml_emitter_set_unicode (&w->emitter, 1);
  yaml_emitter_set_width (&w->emitter, 100);
  emit (w, &event, yaml_stream_start_event_initialize (&event, YAML_UTF8_ENCODING));
  emit (w, &event, yaml_document_start_event_initialize (&event, NULL, NULL, NULL, 1));
  return w;
}

void
nn_yaml_writer_free (NnYamlWriter *w)
{
  if (w == NULL)
    return;
  yaml_emitter_delete (&w->emitter);
  if (w->out != NULL)
    g_string_free (w->out, TRUE);
  g_clear_error (&w->error);
  g_free (w);
}

/* Returns: (transfer full) (nullable): the document, consuming @w; %NULL
 * with @error set when a string was not valid UTF-8, which YAML cannot
 * hold, or the emitter failed */
char *
nn_yaml_writer_finish (NnYamlWriter  *w,
                       GError       **error)
{
  yaml_event_t event;
  char *text;

  emit (w, &event, yaml_document_end_event_initialize (&event, 1));
  emit (w, &event, yaml_stream_end_event_initialize (&event));
  if (w->error == NULL && !yaml_emitter_flush (&w->emitter))
    writer_fail (w, "the YAML emitter could not flush its output");
  if (w->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&w->error));
      nn_yaml_writer_free (w);
      return NULL;
    }
  text = g_string_free (g_steal_pointer (&w->out), FALSE);
  nn_yaml_writer_free (w);
  return text;
}

void
nn_yaml_writer_begin_mapping (NnYamlWriter *w,
                              gboolean      flow)
{
  yaml_event_t event;

  emit (w, &event,
        yaml_mapping_start_event_initialize (&event, NULL, NULL, 1,
                                             flow ? YAML_FLOW_MAPPING_STYLE
                                                  : YAML_BLOCK_MAPPING_STYLE));
}

void
nn_yaml_writer_end_mapping (NnYamlWriter *w)
{
  yaml_event_t event;

  emit (w, &event, yaml_mapping_end_event_initialize (&event));
}

void
nn_yaml_writer_begin_sequence (NnYamlWriter *w,
                               gboolean      flow)
{
  yaml_event_t event;

  emit (w, &event,
        yaml_sequence_start_event_initialize (&event, NULL, NULL, 1,
                                              flow ? YAML_FLOW_SEQUENCE_STYLE
                                                   : YAML_BLOCK_SEQUENCE_STYLE));
}

void
nn_yaml_writer_end_sequence (NnYamlWriter *w)
{
  yaml_event_t event;

  emit (w, &event, yaml_sequence_end_event_initialize (&event));
}

static void
emit_scalar (NnYamlWriter       *w,
             const char         *text,
             yaml_scalar_style_t style)
{
  yaml_event_t event;

  /* libyaml would refuse to make the event, and leave it unset. */
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (text, -1);
      g_autofree char *message = g_strdup_printf ("'%s' is not valid UTF-8", shown);

      writer_fail (w, message);
      return;
    }
  emit (w, &event,
        yaml_scalar_event_initialize (&event, NULL, NULL, (yaml_char_t *) text,
                                      (int) strlen (text), 1, 1, style));
}

/* Whether another reader could take @s for a number: what this one takes,
 * and whatever g_ascii_strtod() does (hexadecimal, inf, nan). */
static gboolean
looks_like_number (const char *s)
{
  char *end = NULL;
  double d;

  if (nn_yaml_parse_number (s, &d))
    return TRUE;
  d = g_ascii_strtod (s, &end);
  return end != s && *end == '\0';
}

/* A string that would read back as a number, a boolean or null is quoted. */
void
nn_yaml_writer_string (NnYamlWriter *w,
                       const char   *value)
{
  static const char * const special[] = {
    "true", "false", "yes", "no", "on", "off", "null", "~", "True", "False", "Null", NULL
  };
  gboolean quote = *value == '\0' || g_strv_contains (special, value) ||
                   looks_like_number (value);

  emit_scalar (w, value, quote ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
}

/* Returns: (transfer full): the shortest of %.15g, %.16g and %.17g that
 * reads back as @value */
char *
nn_format_double (double value)
{
  static const char * const formats[] = { "%.15g", "%.16g", "%.17g" };
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, sizeof buf, formats[i], value);
      if (g_ascii_strtod (buf, NULL) == value)
        break;
    }
  return g_strdup (buf);
}

void
nn_yaml_writer_double (NnYamlWriter *w,
                       double        value)
{
  g_autofree char *text = nn_format_double (value);

  emit_scalar (w, text, YAML_PLAIN_SCALAR_STYLE);
}

/* The shortest decimal that reads back as the same nn_real, so a float
 * build writes 0.49671415 and not 0.4967141449451447. */
void
nn_yaml_writer_real (NnYamlWriter *w,
                     nn_real       value)
{
  g_autofree char *text = nn_param_format_real (value);

  emit_scalar (w, text, YAML_PLAIN_SCALAR_STYLE);
}

void
nn_yaml_writer_uint (NnYamlWriter *w,
                     guint64       value)
{
  char buf[32];

  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, value);
  emit_scalar (w, buf, YAML_PLAIN_SCALAR_STYLE);
}

void
nn_yaml_writer_bool (NnYamlWriter *w,
                     gboolean      value)
{
  emit_scalar (w, value ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
}

void
nn_yaml_writer_value (NnYamlWriter *w,
                      const GValue *value)
{
  GType type = G_VALUE_TYPE (value);

  if (type == G_TYPE_DOUBLE)
    nn_yaml_writer_double (w, g_value_get_double (value));
  else if (type == G_TYPE_FLOAT)
    nn_yaml_writer_double (w, g_value_get_float (value));
  else if (type == G_TYPE_INT)
    {
      char buf[32];
      g_snprintf (buf, sizeof buf, "%d", g_value_get_int (value));
      emit_scalar (w, buf, YAML_PLAIN_SCALAR_STYLE);
    }
  else if (type == G_TYPE_INT64)
    {
      char buf[32];
      g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, g_value_get_int64 (value));
      emit_scalar (w, buf, YAML_PLAIN_SCALAR_STYLE);
    }
  else if (type == G_TYPE_UINT)
    nn_yaml_writer_uint (w, g_value_get_uint (value));
  else if (type == G_TYPE_UINT64)
    nn_yaml_writer_uint (w, g_value_get_uint64 (value));
  else if (type == G_TYPE_BOOLEAN)
    nn_yaml_writer_bool (w, g_value_get_boolean (value));
  else if (G_TYPE_IS_ENUM (type))
    {
      g_autoptr(GEnumClass) klass = g_type_class_ref (type);
      GEnumValue *v = g_enum_get_value (klass, g_value_get_enum (value));
      nn_yaml_writer_string (w, v ? v->value_nick : "");
    }
  else if (type == G_TYPE_STRING)
    nn_yaml_writer_string (w, g_value_get_string (value) ? g_value_get_string (value) : "");
  else
    emit_scalar (w, "null", YAML_PLAIN_SCALAR_STYLE);
}

/* Writes `{name: NAME, property: value, ...}` with every writable property,
 * the inverse of nn_yaml_new_object(). */
void
nn_yaml_writer_object (NnYamlWriter *w,
                       GObject      *object,
                       const char   *name)
{
  guint n_props = 0;
  g_autofree GParamSpec **props = g_object_class_list_properties (G_OBJECT_GET_CLASS (object),
                                                                 &n_props);

  nn_yaml_writer_begin_mapping (w, TRUE);
  if (name != NULL)
    {
      nn_yaml_writer_string (w, "name");
      nn_yaml_writer_string (w, name);
    }
  for (guint i = 0; i < n_props; i++)
    {
      GValue value = G_VALUE_INIT;
      g_autofree char *key = NULL;

      if (!(props[i]->flags & G_PARAM_WRITABLE) || !(props[i]->flags & G_PARAM_READABLE))
        continue;
      key = nn_param_spec_get_key (props[i]);
      g_value_init (&value, G_PARAM_SPEC_VALUE_TYPE (props[i]));
      g_object_get_property (object, props[i]->name, &value);
      nn_yaml_writer_string (w, key);
      nn_yaml_writer_value (w, &value);
      g_value_unset (&value);
    }
  nn_yaml_writer_end_mapping (w);
}
