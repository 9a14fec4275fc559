/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-column-transform-private.h"
#include "nn-dataset-private.h"
#include "nn-errors.h"
#include "nn-limits.h"
#include "nn-utils-private.h"

/* What an experiment file says of the columns: data.missing,
 * data.categorical and data.columns. */

gboolean
nn_column_transform_parse_missing (NnColumnTransform *self,
                                   NnYamlDoc         *doc,
                                   yaml_node_t       *node,
                                   GError           **error)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  if (node->type != YAML_SEQUENCE_NODE)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "data.missing must be a list of the texts that mean a missing "
                         "value, such as [\"\", NA, \"?\"]");
      return FALSE;
    }
  for (guint i = 0; i < nn_yaml_n_items (node); i++)
    {
      yaml_node_t *item = nn_yaml_item (doc, node, i);

      /* "" is a text, the empty one, as a missing value often is. */
      if (item->type != YAML_SCALAR_NODE)
        {
          nn_yaml_set_error (error, doc, item, NN_CONFIG_ERROR_INVALID_VALUE,
                             "data.missing must be a list of texts");
          return FALSE;
        }
      g_strv_builder_add (b, nn_yaml_scalar (item));
    }
  g_strfreev (self->missing);
  self->missing = g_strv_builder_end (b);
  return TRUE;
}

gboolean
nn_column_transform_parse_categorical (NnColumnTransform *self,
                                       NnYamlDoc         *doc,
                                       yaml_node_t       *node,
                                       GError           **error)
{
  const char *s = nn_yaml_scalar (node);

  if (g_strcmp0 (s, "auto") != 0 && g_strcmp0 (s, "none") != 0)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "data.categorical must be 'auto' (text feature columns become "
                         "one-hot) or 'none'");
      return FALSE;
    }
  self->categorical_auto = g_str_equal (s, "auto");
  self->categorical_node = node;
  return TRUE;
}

/* impute: mean | median | most_frequent | {constant: VALUE} */
static gboolean
parse_impute (NnColumnRule *rule,
              NnYamlDoc    *doc,
              yaml_node_t  *node,
              GError      **error)
{
  static const char * const constant_keys[] = { "constant", NULL };
  g_autofree char          *what = g_strdup_printf ("data.columns.%s.impute", rule->name);
  const char               *s = nn_yaml_scalar (node);

  rule->impute_node = node;
  if (node->type == YAML_MAPPING_NODE)
    {
      yaml_node_t *v;

      if (!nn_yaml_check_mapping (doc, node, what, constant_keys, error))
        return FALSE;
      if ((v = nn_yaml_lookup (doc, node, "constant")) == NULL ||
          !nn_yaml_get_string (doc, v, "the constant", &s, error))
        {
          if (v == NULL)
            nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_MISSING_KEY,
                               "%s needs 'constant'", what);
          return FALSE;
        }
      rule->impute = NN_IMPUTE_CONSTANT;
      rule->constant = g_strdup (s);
      return TRUE;
    }
  for (guint i = 0; s != NULL && nn_impute_names[i] != NULL; i++)
    if (g_str_equal (s, nn_impute_names[i]))
      {
        rule->impute = NN_IMPUTE_MEAN + i;
        return TRUE;
      }
  {
    const char      *close = s ? nn_suggest (s, nn_impute_names) : NULL;
    g_autofree char *hint = close ? g_strdup_printf (" (did you mean '%s'?)", close)
                                  : g_strdup ("");

    nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                       "unknown %s '%s'%s; use mean, median, most_frequent or "
                       "{constant: VALUE}",
                       what, s ? s : "", hint);
  }
  return FALSE;
}

/* NAME: categorical | {impute: ..., categorical: BOOL} */
static gboolean
parse_rule (NnColumnRule *rule,
            NnYamlDoc    *doc,
            yaml_node_t  *node,
            GError      **error)
{
  static const char * const rule_keys[] = { "impute", "categorical", NULL };
  g_autofree char          *what = g_strdup_printf ("data.columns.%s", rule->name);
  yaml_node_t              *v;

  if (node->type == YAML_SCALAR_NODE)
    {
      const char *s = nn_yaml_scalar (node);

      if (g_strcmp0 (s, "categorical") != 0 && g_strcmp0 (s, "numeric") != 0)
        {
          nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                             "%s must be 'categorical', 'numeric' or a mapping such as "
                             "{impute: median}",
                             what);
          return FALSE;
        }
      rule->categorical = g_str_equal (s, "categorical");
      rule->numeric = !rule->categorical;
      return TRUE;
    }
  if (!nn_yaml_check_mapping (doc, node, what, rule_keys, error))
    return FALSE;
  if ((v = nn_yaml_lookup (doc, node, "categorical")) != NULL)
    {
      if (!nn_yaml_get_bool (doc, v, "categorical", &rule->categorical, error))
        return FALSE;
      rule->numeric = !rule->categorical;
    }
  if ((v = nn_yaml_lookup (doc, node, "impute")) != NULL)
    return parse_impute (rule, doc, v, error);
  return TRUE;
}

gboolean
nn_column_transform_parse_columns (NnColumnTransform *self,
                                   NnYamlDoc         *doc,
                                   yaml_node_t       *node,
                                   GError           **error)
{
  if (node->type != YAML_MAPPING_NODE)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "data.columns must map column names to what to do with them, "
                         "such as {age: {impute: median}, zip: categorical}");
      return FALSE;
    }
  self->doc = doc;
  for (guint i = 0; i < nn_yaml_n_pairs (node); i++)
    {
      NnYamlPair    pair = nn_yaml_pair (doc, node, i);
      NnColumnRule *rule = g_new0 (NnColumnRule, 1);

      rule->name = g_strdup (pair.key);
      rule->node = pair.key_node;
      g_ptr_array_add (self->rules, rule);
      g_hash_table_insert (self->rule_index, rule->name, rule);
      if (!parse_rule (rule, doc, pair.value, error))
        return FALSE;
    }
  return TRUE;
}

/* Whether feature @j of @raw holds text. */
GPtrArray *
nn_column_texts_of (NnDataset *raw,
                    guint      j)
{
  GPtrArray *texts = nn_dataset_get_column_texts (raw);

  return texts != NULL ? g_ptr_array_index (texts, j) : NULL;
}

gboolean
nn_column_all_numbers (GPtrArray *texts)
{
  double v;

  for (guint i = 0; texts != NULL && i < texts->len; i++)
    if (nn_data_parse_number (g_ptr_array_index (texts, i), &v) != NN_NUMBER_OK)
      return FALSE;
  return TRUE;
}

/* A rule's impute strategy must fit what its column holds. */
static gboolean
check_rule_fits (NnColumnTransform *self,
                 NnColumnRule      *rule,
                 NnYamlDoc         *doc,
                 GPtrArray         *texts,
                 GError           **error)
{
  gboolean text = texts != NULL && !nn_column_all_numbers (texts);
  double   v;

  if ((rule->impute == NN_IMPUTE_MEAN || rule->impute == NN_IMPUTE_MEDIAN) &&
      (text || rule->categorical))
    {
      nn_yaml_set_error (error, doc, rule->impute_node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "impute: %s needs numbers, but column '%s' is %s; use "
                         "most_frequent or {constant: VALUE}",
                         nn_impute_names[rule->impute - NN_IMPUTE_MEAN], rule->name,
                         text ? "text" : "categorical");
      return FALSE;
    }
  if (text && rule->numeric)
    {
      nn_yaml_set_error (error, doc, rule->node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "column '%s' is to be numeric, but it holds text such as '%s'",
                         rule->name, (char *) g_ptr_array_index (texts, 0));
      return FALSE;
    }
  if (text && !rule->categorical && !self->categorical_auto)
    {
      nn_yaml_set_error (error, doc, rule->node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "column '%s' holds text such as '%s'; to one-hot encode it, add "
                         "`categorical: auto` to data or `categorical: true` here",
                         rule->name, (char *) g_ptr_array_index (texts, 0));
      return FALSE;
    }
  if (rule->impute == NN_IMPUTE_CONSTANT && !text &&
      nn_data_parse_number (rule->constant, &v) != NN_NUMBER_OK)
    {
      nn_yaml_set_error (error, doc, rule->impute_node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "the constant '%s' is not a number, but column '%s' holds numbers",
                         rule->constant, rule->name);
      return FALSE;
    }
  return TRUE;
}

/* Whether the experiment reads only numbers, with nothing to impute. */
gboolean
nn_column_transform_is_plain (NnColumnTransform *self)
{
  return self->rules->len == 0 && !self->categorical_auto;
}

/* Images have no columns to name or encode. */
gboolean
nn_column_transform_check_no_columns (NnColumnTransform *self,
                                      NnYamlDoc         *doc,
                                      GError           **error)
{
  yaml_node_t *node = self->rules->len > 0     ? ((NnColumnRule *) self->rules->pdata[0])->node
                      : self->categorical_auto ? self->categorical_node
                                               : NULL;

  if (node == NULL)
    return TRUE;
  nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                     "an idx source has no columns to impute or encode");
  return FALSE;
}

/* Every column named in data.columns must be a feature: checked as soon
 * as the header of the data is read, before any of their rows. */
gboolean
nn_column_transform_check_names (NnColumnTransform  *self,
                                 const char * const *names,
                                 const char * const *targets,
                                 GError            **error)
{
  if (self->fitted || self->doc == NULL)
    return TRUE;
  for (guint i = 0; i < self->rules->len; i++)
    {
      NnColumnRule *rule = g_ptr_array_index (self->rules, i);

      if (g_strv_contains (names, rule->name))
        continue;
      if (targets != NULL && g_strv_contains (targets, rule->name))
        {
          nn_yaml_set_error (error, self->doc, rule->node, NN_CONFIG_ERROR_INVALID_VALUE,
                             "column '%s' is a target; data.columns describes feature "
                             "columns",
                             rule->name);
          return FALSE;
        }
      {
        const char      *close = nn_suggest (rule->name, names);
        g_autofree char *hint = close ? g_strdup_printf (" (did you mean '%s'?)", close)
                                      : g_strdup ("");

        nn_yaml_set_error (error, self->doc, rule->node, NN_CONFIG_ERROR_INVALID_VALUE,
                           "data.columns names '%s', which is no feature column%s",
                           rule->name, hint);
        return FALSE;
      }
    }
  return TRUE;
}

/* The strategy of each column in data.columns must fit its values. */
gboolean
nn_column_transform_check (NnColumnTransform *self,
                           NnYamlDoc         *doc,
                           NnDataset         *raw,
                           GError           **error)
{
  const char * const *names = nn_dataset_get_feature_names (raw);

  for (guint j = 0; names[j] != NULL; j++)
    {
      NnColumnRule *rule = g_hash_table_lookup (self->rule_index, names[j]);

      if (rule != NULL && !check_rule_fits (self, rule, doc, nn_column_texts_of (raw, j), error))
        return FALSE;
    }
  return TRUE;
}

void
nn_column_transform_write_config (NnColumnTransform *self,
                                  NnYamlWriter      *w)
{
  if (self->missing != NULL)
    {
      nn_yaml_writer_string (w, "missing");
      nn_yaml_writer_begin_sequence (w, TRUE);
      for (guint i = 0; self->missing[i] != NULL; i++)
        nn_yaml_writer_string (w, self->missing[i]);
      nn_yaml_writer_end_sequence (w);
    }
  if (self->categorical_auto)
    {
      nn_yaml_writer_string (w, "categorical");
      nn_yaml_writer_string (w, "auto");
    }
  if (self->rules->len == 0)
    return;
  nn_yaml_writer_string (w, "columns");
  nn_yaml_writer_begin_mapping (w, FALSE);
  for (guint i = 0; i < self->rules->len; i++)
    {
      NnColumnRule *rule = g_ptr_array_index (self->rules, i);

      nn_yaml_writer_string (w, rule->name);
      if (rule->impute == NN_IMPUTE_NONE)
        {
          if (rule->categorical || rule->numeric)
            nn_yaml_writer_string (w, rule->categorical ? "categorical" : "numeric");
          else
            {
              nn_yaml_writer_begin_mapping (w, TRUE);
              nn_yaml_writer_end_mapping (w);
            }
          continue;
        }
      nn_yaml_writer_begin_mapping (w, TRUE);
      if (rule->categorical || rule->numeric)
        {
          nn_yaml_writer_string (w, "categorical");
          nn_yaml_writer_bool (w, rule->categorical);
        }
      if (rule->impute != NN_IMPUTE_NONE)
        {
          nn_yaml_writer_string (w, "impute");
          if (rule->impute == NN_IMPUTE_CONSTANT)
            {
              nn_yaml_writer_begin_mapping (w, TRUE);
              nn_yaml_writer_string (w, "constant");
              nn_yaml_writer_string (w, rule->constant);
              nn_yaml_writer_end_mapping (w);
            }
          else
            nn_yaml_writer_string (w, nn_impute_names[rule->impute - NN_IMPUTE_MEAN]);
        }
      nn_yaml_writer_end_mapping (w);
    }
  nn_yaml_writer_end_mapping (w);
}
