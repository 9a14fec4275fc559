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
nn_yaml_doc_new_from_data (const char *file,
                           const char *data,
                           gsize       length,
                           GError    **error)
{
  g_autoptr(NnYamlDoc) doc = g_new0 (NnYamlDoc, 1);
  yaml_parser_t parser;
  gboolean      ok;

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
nn_yaml_set_error (GError     **error,
                   NnYamlDoc   *doc,
                   yaml_node_t *node,
                   gint         code,
                   const char  *format,
                   ...)
{
  g_autofree char *message = NULL;
  va_list          args;

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
  NnYamlPair        pair;

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

/*
 * nn_yaml_append_key:
 * @node: (nullable): a node, or NULL for none
 * @budget: how many more nodes may be visited
 * @key: where the key goes
 *
 * Appends to @key a text that two nodes give only where they hold the same
 * values in the same styles and order: scalars with their length, style and
 * text, sequences and mappings as brackets around their nodes. Aliases are
 * followed; past @budget nodes (a cycle of aliases among them) it stops.
 *
 * Returns: FALSE where @budget ran out, @key then unfinished
 */
gboolean
nn_yaml_append_key (NnYamlDoc   *doc,
                    yaml_node_t *node,
                    guint       *budget,
                    GString     *key)
{
  if (*budget == 0)
    return FALSE;
  --*budget;
  if (node == NULL)
    {
      g_string_append_c (key, '~');
      return TRUE;
    }
  switch (node->type)
    {
    case YAML_SCALAR_NODE:
      g_string_append_printf (key, "%d:%" G_GSIZE_FORMAT ":", (int) node->data.scalar.style,
                              node->data.scalar.length);
      g_string_append_len (key, (const char *) node->data.scalar.value,
                           (gssize) node->data.scalar.length);
      return TRUE;
    case YAML_SEQUENCE_NODE:
      g_string_append_c (key, '[');
      for (guint i = 0; i < nn_yaml_n_items (node); i++)
        if (!nn_yaml_append_key (doc, nn_yaml_item (doc, node, i), budget, key))
          return FALSE;
      g_string_append_c (key, ']');
      return TRUE;
    case YAML_MAPPING_NODE:
      g_string_append_c (key, '{');
      for (guint i = 0; i < nn_yaml_n_pairs (node); i++)
        {
          NnYamlPair pair = nn_yaml_pair (doc, node, i);

          if (!nn_yaml_append_key (doc, pair.key_node, budget, key) ||
              !nn_yaml_append_key (doc, pair.value, budget, key))
            return FALSE;
        }
      g_string_append_c (key, '}');
      return TRUE;
    case YAML_NO_NODE:
    default:
      g_string_append_c (key, '?');
      return TRUE;
    }
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
      NnYamlPair   pair = nn_yaml_pair (doc, node, i);
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
          const char      *hint = nn_suggest (pair.key, allowed);
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
nn_yaml_get_string (NnYamlDoc   *doc,
                    yaml_node_t *node,
                    const char  *what,
                    const char **out,
                    GError     **error)
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
nn_yaml_get_double (NnYamlDoc   *doc,
                    yaml_node_t *node,
                    const char  *what,
                    double       min,
                    double       max,
                    double      *out,
                    GError     **error)
{
  const char *s = nn_yaml_scalar (node);
  gboolean    number;
  double      v;

  if (!(number = nn_yaml_parse_number (s, &v)) || !isfinite (v))
    {
      g_autofree char *found = describe_value (node);

      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be a %s number, not %s", what,
                         number ? "finite" : "decimal", found);
      return FALSE;
    }
  /* (0, ∞): a range whose bounds would only puzzle. */
  if (v < min && min > 0 && min <= G_MINDOUBLE && max >= G_MAXDOUBLE)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be greater than 0, not %s", what, s);
      return FALSE;
    }
  if (v < min && max >= G_MAXDOUBLE)
    {
      g_autofree char *lo = nn_format_double (min);

      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be %s or more, not %s", what, lo, s);
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
nn_yaml_get_uint (NnYamlDoc   *doc,
                  yaml_node_t *node,
                  const char  *what,
                  guint64      min,
                  guint64      max,
                  guint64     *out,
                  GError     **error)
{
  const char   *s = nn_yaml_scalar (node);
  NnYamlInteger n;
  guint64       v;

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
                         "%s must be between %" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT ", not %s",
                         what, min, max, s);
      return FALSE;
    }
  *out = v;
  return TRUE;
}

gboolean
nn_yaml_get_bool (NnYamlDoc   *doc,
                  yaml_node_t *node,
                  const char  *what,
                  gboolean    *out,
                  GError     **error)
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
nn_yaml_get_enum (NnYamlDoc   *doc,
                  yaml_node_t *node,
                  const char  *what,
                  GType        enum_type,
                  gint        *out,
                  GError     **error)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (enum_type);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) nicks = NULL;
  g_autofree char *list = NULL;
  g_autofree char *found = NULL;
  const char      *s = nn_yaml_scalar (node);
  const char      *hint;
  GEnumValue      *value;

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
nn_yaml_get_matrix (NnYamlDoc   *doc,
                    yaml_node_t *node,
                    const char  *what,
                    guint        rows,
                    guint        cols,
                    gboolean     vector,
                    GError     **error)
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
      guint        n_cols;

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
integer_from_scalar (NnYamlDoc   *doc,
                     yaml_node_t *node,
                     const char  *what,
                     GParamSpec  *pspec,
                     GValue      *value,
                     GError     **error)
{
  GType         type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  const char   *s = nn_yaml_scalar (node);
  NnYamlInteger n;
  gint64        sv = 0;
  guint64       uv = 0;
  gboolean      fits;

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
value_from_scalar (NnYamlDoc   *doc,
                   yaml_node_t *node,
                   const char  *what,
                   GParamSpec  *pspec,
                   GValue      *value,
                   GError     **error)
{
  GType       type = G_PARAM_SPEC_VALUE_TYPE (pspec);
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
set_unknown_parameter_error (GError          **error,
                             NnYamlDoc        *doc,
                             const NnYamlPair *pair,
                             GObjectClass     *klass,
                             const char       *subject)
{
  guint                   n_props = 0;
  g_autofree GParamSpec **props = g_object_class_list_properties (klass, &n_props);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) keys = NULL;
  g_autofree char *list = NULL;
  const char      *hint;

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
                       "Its parameters: %s",
                       subject, pair->key, hint, list);
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
new_object (NnYamlDoc   *doc,
            yaml_node_t *node,
            const char  *extension_point,
            GType        fixed_type,
            const char  *what,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) values = g_array_new (FALSE, TRUE, sizeof (GValue));
  g_autoptr(GTypeClass) klass = NULL;
  g_autofree char *subject = NULL;
  yaml_node_t     *name_node = node;
  const char      *name;
  GType            type;

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
      NnYamlPair       pair = nn_yaml_pair (doc, node, i);
      g_autofree char *prop = NULL;
      g_autofree char *label = NULL;
      GParamSpec      *pspec;
      GValue           value = G_VALUE_INIT;

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
nn_yaml_new_object (NnYamlDoc   *doc,
                    yaml_node_t *node,
                    const char  *extension_point,
                    const char  *what,
                    GError     **error)
{
  return new_object (doc, node, extension_point, G_TYPE_INVALID, what, error);
}

/* A mapping holding only the parameters of @type, such as early stopping's. */
GObject *
nn_yaml_new_object_of_type (NnYamlDoc   *doc,
                            yaml_node_t *node,
                            GType        type,
                            const char  *what,
                            GError     **error)
{
  return new_object (doc, node, NULL, type, what, error);
}
