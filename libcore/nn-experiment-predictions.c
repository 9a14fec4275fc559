/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "nn-dataset-private.h"
#include "nn-experiment-private.h"
#include "nn-utils-private.h"

/* The part of the data a run's predictions.csv is about: the test part,
 * or the validation part when there is no test part; NULL when there is
 * neither. */
static const char *
predictions_part (NnExperiment *self)
{
  if (self->test != NULL)
    return "test";
  if (self->val != NULL)
    return "validation";
  return NULL;
}

/* Writes predictions.csv into the staging directory, with the final
 * weights: the id column (if any), the true targets, the predictions and,
 * for classification, each class's probability; and records which part it
 * holds, for summary.json. */
gboolean
nn_experiment_write_predictions (NnExperiment *self,
                                 GError      **error)
{
  g_autoptr(NnPipeline) pipeline = NULL;
  g_autoptr(NnMatrix) pred = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  const char      *part = predictions_part (self);
  NnDataset       *data;

  if (part == NULL)
    return TRUE;
  data = self->test != NULL ? self->test : self->val;
  pipeline = nn_experiment_get_pipeline (self);
  /* The features are scaled already. */
  pred = nn_model_predict (self->model, nn_dataset_get_features (data));
  if (self->target_scaler != NULL)
    nn_scaler_inverse_transform (self->target_scaler, pred);
  /* A separate test set may name its own id column. */
  if (nn_dataset_get_ids (data) != NULL && nn_pipeline_get_id_column (pipeline) == NULL)
    nn_pipeline_set_id_column (pipeline, self->test_source.id);
  text = nn_pipeline_format_predictions (pipeline, pred, nn_dataset_get_targets (data),
                                         nn_dataset_get_ids (data), TRUE);
  path = g_build_filename (self->staging_dir, "predictions.csv", NULL);
  if (!nn_write_file_atomic (path, text, strlen (text), error))
    return FALSE;
  self->predictions = part;
  return TRUE;
}
