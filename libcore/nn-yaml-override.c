/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --set KEY=VALUE: changing an experiment document before it is read. */
#include "config.h"

#include <string.h>

#include "nn-errors.h"
#include "nn-yaml-private.h"

#define OVERRIDE_MAX_DEPTH 32

/* Where each node of an override's value went: aliases make the value a
 * graph whose nodes are shared, and copying a shared node once keeps it an
 * alias, as in a file, instead of expanding it. */
typedef struct
{
  yaml_document_t *dest;
  yaml_document_t *src;
  int             *copies; /* by node id of @src: 0, IN_PROGRESS or the copy */
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
  int          copy = 0;

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
            int              k = copy_node (c, pair.key, depth + 1);
            int              v = k ? copy_node (c, pair.value, depth + 1) : 0;

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
parse_override_value (const char      *assignment,
                      const char      *value,
                      yaml_document_t *out,
                      GError         **error)
{
  yaml_parser_t parser;
  gboolean      ok;

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
  int          n = (int) (node->data.mapping.pairs.top - node->data.mapping.pairs.start);

  for (int i = 0; i < n; i++)
    {
      yaml_node_t *k = yaml_document_get_node (doc, node->data.mapping.pairs.start[i].key);
      if (k != NULL && k->type == YAML_SCALAR_NODE &&
          g_str_equal ((const char *) k->data.scalar.value, key))
        return i;
    }
  return -1;
}

/* The keys of @parts before the @i-th, joined by dots. */
static char *
path_before (char **parts,
             guint  i)
{
  char *saved = parts[i];
  char *joined;

  parts[i] = NULL;
  joined = g_strjoinv (".", parts);
  parts[i] = saved;
  return joined;
}

/* Splits `KEY=VALUE` into the keys of KEY and the text of VALUE. */
static GStrv
split_assignment (const char  *assignment,
                  const char **value,
                  GError     **error)
{
  const char      *eq = strchr (assignment, '=');
  g_autofree char *path = NULL;
  g_auto(GStrv) parts = NULL;

  if (!g_utf8_validate (assignment, -1, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (assignment, -1);

      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "--set %s: error: the setting is not valid UTF-8", shown);
      return NULL;
    }
  if (eq == NULL || eq == assignment)
    {
      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "--set %s: error: expected KEY=VALUE, such as "
                   "optimizer.learning_rate=0.05",
                   assignment);
      return NULL;
    }
  path = g_strndup (assignment, eq - assignment);
  parts = g_strsplit (path, ".", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (*parts[i] == '\0')
      {
        g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                     "--set %s: error: '%s' is not a key path", assignment, path);
        return NULL;
      }
  *value = eq + 1;
  return g_steal_pointer (&parts);
}

/* Adds the nodes of @value to the document, as those of the override
 * @assignment; returns the node of the value, or 0. */
static int
add_value (NnYamlDoc  *doc,
           const char *assignment,
           const char *value,
           GError    **error)
{
  yaml_document_t value_doc;
  guint           start;
  int             copy;

  if (!parse_override_value (assignment, value, &value_doc, error))
    return 0;

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
    g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                 "--set %s: error: the value is nested too deeply or holds itself",
                 assignment);
  return copy;
}

/* Follows key @key of @mapping, adding it when missing; the last key of the
 * path gets @copy. Returns the node the key leads to, 0 when out of
 * memory. */
static int
step_into_mapping (yaml_document_t *doc,
                   int              mapping,
                   const char      *key,
                   gboolean         last,
                   int              copy)
{
  yaml_node_t *node = yaml_document_get_node (doc, mapping);
  int          pair = find_pair (doc, mapping, key);
  int          child, key_node;

  if (pair >= 0)
    {
      if (last)
        node->data.mapping.pairs.start[pair].value = copy;
      return node->data.mapping.pairs.start[pair].value;
    }
  child = last ? copy : yaml_document_add_mapping (doc, NULL, YAML_BLOCK_MAPPING_STYLE);
  key_node = yaml_document_add_scalar (doc, NULL, (yaml_char_t *) key, (int) strlen (key),
                                       YAML_PLAIN_SCALAR_STYLE);
  if (!child || !key_node || !yaml_document_append_mapping_pair (doc, mapping, key_node, child))
    return 0;
  return child;
}

/* Follows the index @parts[@i] of @sequence; the last key of the path gets
 * @copy. Returns the node the index leads to, 0 for an index out of the
 * list. */
static int
step_into_sequence (yaml_document_t *doc,
                    int              sequence,
                    char           **parts,
                    guint            i,
                    const char      *assignment,
                    int              copy,
                    GError         **error)
{
  yaml_node_t *node = yaml_document_get_node (doc, sequence);
  guint        n = (guint) (node->data.sequence.items.top - node->data.sequence.items.start);
  guint64      index;

  if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT, &index, NULL) || index >= n)
    {
      g_autofree char *list = path_before (parts, i);

      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "--set %s: error: '%s' is a list of %u items; '%s' is not "
                   "one of its indices (0 to %u)",
                   assignment, list, n, parts[i],
                   n ? n - 1 : 0);
      return 0;
    }
  if (parts[i + 1] == NULL)
    node->data.sequence.items.start[index] = copy;
  return node->data.sequence.items.start[index];
}

/* Puts node @copy at the path @parts of the document. */
static gboolean
place_value (NnYamlDoc  *doc,
             const char *assignment,
             char      **parts,
             int         copy,
             GError    **error)
{
  int current = 1; /* the root */

  for (guint i = 0; current != 0 && parts[i] != NULL; i++)
    {
      yaml_node_t *node = yaml_document_get_node (&doc->doc, current);

      if (node->type == YAML_MAPPING_NODE)
        current = step_into_mapping (&doc->doc, current, parts[i], parts[i + 1] == NULL, copy);
      else if (node->type == YAML_SEQUENCE_NODE)
        current = step_into_sequence (&doc->doc, current, parts, i, assignment, copy, error);
      else
        {
          /* Only the root can be reached without a key, and it is checked
           * to be a mapping when the experiment is read. */
          g_autofree char *parent = path_before (parts, i);

          g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                       "--set %s: error: '%s' holds a single value, not keys",
                       assignment, *parent ? parent : "the experiment");
          return FALSE;
        }
    }

  if (current == 0)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_FAILED,
                     "--set %s: error: out of memory", assignment);
      return FALSE;
    }
  return TRUE;
}

/*
 * Applies `KEY=VALUE` to the document before it is read: KEY is a path of
 * mapping keys and list indices separated by dots (`model.layers.0.units`),
 * VALUE is YAML (`32`, `adam`, `{name: adam, learning_rate: 0.01}`).
 * Missing mapping keys are added, so any key can be set; errors in the new
 * value are later reported against the override's text.
 */
gboolean
nn_yaml_doc_override (NnYamlDoc  *doc,
                      const char *assignment,
                      GError    **error)
{
  const char *value = NULL;
  g_auto(GStrv) parts = split_assignment (assignment, &value, error);
  int copy;

  if (parts == NULL)
    return FALSE;
  copy = add_value (doc, assignment, value, error);
  if (copy == 0)
    return FALSE;
  return place_value (doc, assignment, parts, copy, error);
}
