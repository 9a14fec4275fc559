/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-column-transform-private.h"
#include "nn-dataset-private.h"
#include "nn-errors.h"
#include "nn-limits.h"
#include "nn-utils-private.h"

/* A fitted transform in model.yaml: the keys `missing` and `columns`. */

void
nn_column_transform_write (NnColumnTransform *self,
                           NnYamlWriter      *w)
{
  const char * const  defaults[] = { "", "NA", NULL };
  const char * const *missing = self->missing ? (const char * const *) self->missing
                                              : defaults;

  nn_yaml_writer_string (w, "missing");
  nn_yaml_writer_begin_sequence (w, TRUE);
  for (guint i = 0; missing[i] != NULL; i++)
    nn_yaml_writer_string (w, missing[i]);
  nn_yaml_writer_end_sequence (w);
  nn_yaml_writer_string (w, "columns");
  nn_yaml_writer_begin_mapping (w, FALSE);
  for (guint j = 0; j < self->columns->len; j++)
    {
      NnColumn *c = g_ptr_array_index (self->columns, j);

      if (!c->categorical && !c->has_fill)
        continue;
      nn_yaml_writer_string (w, c->name);
      nn_yaml_writer_begin_mapping (w, TRUE);
      if (c->has_fill)
        {
          nn_yaml_writer_string (w, "impute");
          if (c->categorical)
            nn_yaml_writer_string (w, c->fill_text);
          else
            nn_yaml_writer_double (w, c->fill);
        }
      if (c->categorical)
        {
          nn_yaml_writer_string (w, "numbers");
          nn_yaml_writer_bool (w, c->numbers);
          nn_yaml_writer_string (w, "categories");
          nn_yaml_writer_begin_sequence (w, TRUE);
          for (guint k = 0; k < c->categories->len; k++)
            nn_yaml_writer_string (w, g_ptr_array_index (c->categories, k));
          nn_yaml_writer_end_sequence (w);
        }
      nn_yaml_writer_end_mapping (w);
    }
  nn_yaml_writer_end_mapping (w);
}

static gboolean
read_categories (NnColumn    *c,
                 NnYamlDoc   *doc,
                 yaml_node_t *node,
                 GError     **error)
{
  g_autofree char *what = g_strdup_printf ("columns.%s.categories", c->name);

  if (node->type != YAML_SEQUENCE_NODE || nn_yaml_n_items (node) == 0 ||
      nn_yaml_n_items (node) > NN_MAX_CATEGORIES)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be a list of 1 to %u categories", what, NN_MAX_CATEGORIES);
      return FALSE;
    }
  c->categorical = TRUE;
  c->categories = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < nn_yaml_n_items (node); k++)
    {
      const char *s;
      double      v;

      if (!nn_yaml_get_string (doc, nn_yaml_item (doc, node, k), what, &s, error))
        return FALSE;
      if (c->numbers && nn_data_parse_number (s, &v) != NN_NUMBER_OK)
        {
          nn_yaml_set_error (error, doc, nn_yaml_item (doc, node, k),
                             NN_CONFIG_ERROR_INVALID_VALUE,
                             "%s holds numbers, and '%s' is not one", what, s);
          return FALSE;
        }
      g_ptr_array_add (c->categories, g_strdup (s));
    }
  nn_column_index_categories (c);
  return TRUE;
}

static gboolean
read_column (NnColumn    *c,
             NnYamlDoc   *doc,
             yaml_node_t *node,
             GError     **error)
{
  static const char * const keys[] = { "impute", "numbers", "categories", NULL };
  g_autofree char          *what = g_strdup_printf ("columns.%s", c->name);
  yaml_node_t              *v, *impute;
  const char               *s;

  if (!nn_yaml_check_mapping (doc, node, what, keys, error))
    return FALSE;
  if ((v = nn_yaml_lookup (doc, node, "numbers")) != NULL &&
      !nn_yaml_get_bool (doc, v, "numbers", &c->numbers, error))
    return FALSE;
  if ((v = nn_yaml_lookup (doc, node, "categories")) != NULL &&
      !read_categories (c, doc, v, error))
    return FALSE;
  if ((impute = nn_yaml_lookup (doc, node, "impute")) == NULL)
    return TRUE;
  c->has_fill = TRUE;
  if (!c->categorical)
    return nn_yaml_get_double (doc, impute, "impute", -G_MAXDOUBLE, G_MAXDOUBLE, &c->fill,
                               error);
  if (!nn_yaml_get_string (doc, impute, "impute", &s, error))
    return FALSE;
  c->fill_text = g_strdup (s);
  return TRUE;
}

/* The transform saved with a model, or NULL with no error when the file
 * has none (a model of numeric columns without missing values). */
NnColumnTransform *
nn_column_transform_read (NnYamlDoc          *doc,
                          yaml_node_t        *root,
                          const char * const *features,
                          GError            **error)
{
  g_autoptr(NnColumnTransform) self = NULL;
  yaml_node_t *columns = nn_yaml_lookup (doc, root, "columns");
  yaml_node_t *missing = nn_yaml_lookup (doc, root, "missing");
  guint        offset = 0;

  if (columns == NULL && missing == NULL)
    return NULL;
  self = nn_column_transform_new ();
  if (missing != NULL && !nn_column_transform_parse_missing (self, doc, missing, error))
    return NULL;
  self->inputs = g_strdupv ((char **) features);
  for (guint j = 0; features[j] != NULL; j++)
    {
      NnColumn *c = g_new0 (NnColumn, 1);

      c->name = g_strdup (features[j]);
      nn_column_transform_add (self, c);
    }
  if (columns != NULL && columns->type != YAML_MAPPING_NODE)
    {
      nn_yaml_set_error (error, doc, columns, NN_CONFIG_ERROR_INVALID_VALUE,
                         "columns must map feature columns to their imputation and "
                         "categories");
      return NULL;
    }
  for (guint i = 0; columns != NULL && i < nn_yaml_n_pairs (columns); i++)
    {
      NnYamlPair pair = nn_yaml_pair (doc, columns, i);
      NnColumn  *c = nn_column_transform_find (self, pair.key);

      if (c == NULL)
        {
          nn_yaml_set_error (error, doc, pair.key_node, NN_CONFIG_ERROR_INVALID_VALUE,
                             "columns names '%s', which is not one of the features",
                             pair.key);
          return NULL;
        }
      if (!read_column (c, doc, pair.value, error))
        return NULL;
    }
  for (guint j = 0; j < self->columns->len; j++)
    {
      NnColumn *c = g_ptr_array_index (self->columns, j);

      c->offset = offset;
      offset += c->categorical ? c->categories->len : 1;
    }
  if (offset > NN_LAYER_MAX_WIDTH)
    {
      nn_yaml_set_error (error, doc, columns, NN_CONFIG_ERROR_INVALID_VALUE,
                         "the columns make %u inputs, more than the %u a layer takes",
                         offset, NN_LAYER_MAX_WIDTH);
      return NULL;
    }
  self->n_outputs = offset;
  self->fitted = TRUE;
  return g_steal_pointer (&self);
}
