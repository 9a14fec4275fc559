/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-dataset-private.h"
#include "nn-experiment-private.h"

/* The data of an experiment as its columns come: read with the column
 * transform of data.missing, data.categorical and data.columns, which is
 * fitted on the training part and applied, before scaling, to every part. */

/* The keys of the data section that say which files are read and how. */
static const char * const reading_keys[] = { "source", "test", "missing", "categorical",
                                             "columns" };

/* The experiment file, whose folder the paths are relative to, and the
 * reading keys of its data section; NULL where the section is too large to
 * say (a cycle of aliases), and then it is read. */
static char *
data_key (NnExperiment *self,
          NnYamlDoc    *doc)
{
  yaml_node_t *data = nn_yaml_lookup (doc, nn_yaml_root (doc), "data");
  g_autoptr(GString) key = g_string_new (self->path);
  guint budget = 4096;

  for (gsize i = 0; i < G_N_ELEMENTS (reading_keys); i++)
    {
      g_string_append_printf (key, "\n%s: ", reading_keys[i]);
      if (!nn_yaml_append_key (doc, nn_yaml_lookup (doc, data, reading_keys[i]), &budget, key))
        return NULL;
    }
  return g_string_free (g_steal_pointer (&key), FALSE);
}

/**
 * nn_experiment_data_clear:
 * @data: data kept by nn_experiment_new_from_file_reusing()
 *
 * Lets the data go.
 */
void
nn_experiment_data_clear (NnExperimentData *data)
{
  g_clear_pointer (&data->key, g_free);
  g_clear_object (&data->raw);
  g_clear_object (&data->test_raw);
}

/* @source read as nn_source_load() does, or as @kept where given. */
static NnDataset *
load_source (const NnSource     *source,
             const char * const *features,
             NnColumnTransform  *policy,
             NnDataset          *kept,
             GError            **error)
{
  if (kept != NULL)
    return g_object_ref (kept);
  return nn_source_load (source, features, TRUE, policy, error);
}

/* Loads data.source and, with @has_test, data.test, once the whole data
 * section is read: the data that self->reuse holds where its key is this
 * experiment's, and otherwise from the files, left there for the next. */
gboolean
nn_experiment_load_sources (NnExperiment *self,
                            NnYamlDoc    *doc,
                            gboolean      has_test,
                            NnDataset   **raw,
                            NnDataset   **test_raw,
                            GError      **error)
{
  g_autofree char  *key = self->reuse != NULL ? data_key (self, doc) : NULL;
  NnExperimentData *kept = key != NULL && g_strcmp0 (key, self->reuse->key) == 0 ? self->reuse
                                                                                 : NULL;

  if (self->source.images != NULL)
    {
      if (!nn_column_transform_check_no_columns (self->transform, doc, error))
        return FALSE;
      g_clear_object (&self->transform);
    }
  *raw = load_source (&self->source, NULL, self->transform, kept ? kept->raw : NULL, error);
  if (*raw == NULL ||
      (self->transform != NULL && !nn_column_transform_check (self->transform, doc, *raw, error)))
    return FALSE;
  if (self->transform != NULL)
    self->transform->doc = NULL;
  if (has_test)
    {
      if (self->transform != NULL)
        nn_column_transform_follow (self->transform, *raw);
      *test_raw = load_source (&self->test_source,
                               self->source.images ? NULL : nn_dataset_get_feature_names (*raw),
                               self->test_source.images ? NULL : self->transform,
                               kept ? kept->test_raw : NULL, error);
      if (*test_raw == NULL)
        return FALSE;
    }
  if (key != NULL && kept == NULL)
    {
      nn_experiment_data_clear (self->reuse);
      self->reuse->key = g_steal_pointer (&key);
      self->reuse->raw = g_object_ref (*raw);
      self->reuse->test_raw = has_test ? g_object_ref (*test_raw) : NULL;
    }
  return TRUE;
}

/* The training part of fold split->fold, as the split will draw it. */
static gboolean
fold_training_part (NnDataset      *raw,
                    NnSplitSection *split,
                    gboolean        stratify,
                    GRand          *rand,
                    NnDataset     **train)
{
  g_autoptr(NnDataset) val = NULL;
  g_autoptr(NnDataset) test = NULL;

  return nn_dataset_split_folds (raw, split->test, split->stratify && stratify, split->shuffle,
                                 rand, split->folds, split->fold, train, &val, &test, NULL);
}

/* Fits the column transform on the training part of @raw, split as the
 * data will be (@stratify unless the task is a regression), and gives the
 * model's input width: each categorical column is as many inputs as it has
 * categories there. A split that fails is left for the real one to report;
 * errors are placed at @node when no rule of data.columns is the cause. */
gboolean
nn_experiment_fit_columns (NnExperiment *self,
                           NnYamlDoc    *doc,
                           NnDataset    *raw,
                           yaml_node_t  *node,
                           gboolean      stratify,
                           guint        *width,
                           GError      **error)
{
  guint32 seeds[2] = { (guint32) self->seed, 1 }; /* as the split's */
  g_autoptr(GRand) rand = g_rand_new_with_seed_array (seeds, 2);
  g_autoptr(NnDataset) train = NULL;
  NnSplitSection *split = self->data_section->split;

  *width = nn_dataset_get_n_features (raw);
  /* Columns of numbers with nothing to impute, as read: nothing to fit. */
  if (self->transform == NULL || nn_column_transform_is_plain (self->transform))
    return TRUE;
  if (split->folds > 1 ? !fold_training_part (raw, split, stratify, rand, &train)
                       : !nn_dataset_split (raw, split->validation, split->test,
                                            split->stratify && stratify, split->shuffle, rand,
                                            &train, NULL, NULL, NULL))
    {
      g_clear_object (&self->transform);
      return TRUE;
    }
  if (!nn_column_transform_fit (self->transform, train, doc, node, error))
    return FALSE;
  *width = nn_column_transform_get_n_outputs (self->transform);
  return TRUE;
}

/* Imputes and one-hot encodes the training, validation and test parts, and
 * scales them with a scaler fitted on the training part alone, applied
 * unchanged to the rest and, once saved, to the data a model predicts on.
 * One-hot inputs are not scaled. */
void
nn_experiment_scale_parts (NnExperiment *self)
{
  NnDataset **parts[] = { &self->train, &self->val, &self->test };
  gboolean    transforming = self->transform != NULL &&
                          !nn_column_transform_is_identity (self->transform);

  for (guint p = 0; transforming && p < G_N_ELEMENTS (parts); p++)
    if (*parts[p] != NULL)
      {
        NnDataset *ready = nn_column_transform_apply (self->transform, *parts[p]);
        g_object_unref (*parts[p]);
        *parts[p] = ready;
      }
  if (transforming)
    self->scaler = nn_column_transform_fit_scaler (self->transform, self->data_section->scale,
                                                   nn_dataset_get_features (self->train));
  else
    {
      self->scaler = nn_scaler_new (self->data_section->scale);
      nn_scaler_fit (self->scaler, nn_dataset_get_features (self->train));
    }
  for (guint p = 0; p < G_N_ELEMENTS (parts); p++)
    if (*parts[p] != NULL)
      nn_dataset_apply_scaler (*parts[p], self->scaler);
}
