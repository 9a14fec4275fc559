/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "nn-column-transform-private.h"
#include "nn-csv-private.h"
#include "nn-dataset-private.h"
#include "nn-param-text.h"
#include "nn-pipeline-private.h"

/* What a saved model needs to predict in the data's own terms, and
 * predictions as CSV, as `nnrun predict` prints them and a run writes
 * `predictions.csv`: one header row, then a row per sample. */

/**
 * nn_pipeline_set_target_scaler:
 * @self: a [class@Nn.Pipeline] of a regression
 * @scaler: (nullable): the scaler fitted on the training targets, or %NULL
 *   when the model learnt them as they are
 *
 * The model's outputs are then in scaled units, and
 * [method@Nn.Pipeline.predict] maps them back.
 */
void
nn_pipeline_set_target_scaler (NnPipeline *self,
                               NnScaler   *scaler)
{
  g_return_if_fail (NN_IS_PIPELINE (self));
  g_return_if_fail (scaler == NULL || NN_IS_SCALER (scaler));

  g_set_object (&self->target_scaler, scaler);
}

/**
 * nn_pipeline_get_target_scaler:
 * @self: a #NnPipeline
 *
 * Gets the scaler of the targets.
 *
 * Returns: (transfer none) (nullable): the scaler of the targets, or %NULL
 */
NnScaler *
nn_pipeline_get_target_scaler (NnPipeline *self)
{
  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);

  return self->target_scaler;
}

/**
 * nn_pipeline_set_id_column:
 * @self: a #NnPipeline
 * @id: (nullable): the column of the training data that named each row
 *
 * Predictions pass that column of their input through.
 */
void
nn_pipeline_set_id_column (NnPipeline *self,
                           const char *id)
{
  g_return_if_fail (NN_IS_PIPELINE (self));

  g_free (self->id);
  self->id = g_strdup (id);
}

/**
 * nn_pipeline_get_id_column:
 * @self: a #NnPipeline
 *
 * Gets the id column.
 *
 * Returns: (nullable): the id column, or %NULL
 */
const char *
nn_pipeline_get_id_column (NnPipeline *self)
{
  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);

  return self->id;
}

/* A CSV field, quoted when it holds a comma, a quote or a line break, or
 * spaces at an end, which a reader would drop. */
static void
append_field (GString    *out,
              const char *text)
{
  gsize n = strlen (text);

  if (strpbrk (text, ",\"\r\n") == NULL &&
      (n == 0 || (!g_ascii_isspace (text[0]) && !g_ascii_isspace (text[n - 1]))))
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
append_prefixed (GString    *out,
                 const char *prefix,
                 const char *name)
{
  g_autofree char *text = g_strconcat (prefix, name, NULL);

  append_field (out, text);
}

static void
append_real (GString *out,
             nn_real  value)
{
  g_autofree char *text = nn_param_format_real (value);

  g_string_append (out, text);
}

/* The class a row of outputs (or of encoded targets) stands for: 1 from
 * 0.5 up for one output, else the largest. */
static guint
row_class (const NnMatrix *m,
           guint           r)
{
  guint best = 0;

  if (m->cols == 1)
    return NN_MATRIX_AT (m, r, 0) >= 0.5 ? 1 : 0;
  for (guint c = 1; c < m->cols; c++)
    if (NN_MATRIX_AT (m, r, c) > NN_MATRIX_AT (m, r, best))
      best = c;
  return best;
}

/* The label, or values, of row @r of @m. */
static void
append_row_values (GString            *out,
                   const NnMatrix     *m,
                   guint               r,
                   const char * const *labels)
{
  if (labels != NULL)
    {
      append_field (out, labels[row_class (m, r)]);
      return;
    }
  for (guint c = 0; c < m->cols; c++)
    {
      if (c > 0)
        g_string_append_c (out, ',');
      append_real (out, NN_MATRIX_AT (m, r, c));
    }
}

static void
append_header (GString            *out,
               NnPipeline         *self,
               gboolean            with_ids,
               gboolean            with_targets,
               gboolean            probabilities,
               const char * const *labels)
{
  const char * const *targets = nn_pipeline_get_target_names (self);
  guint               n_targets = labels ? 1 : g_strv_length ((char **) targets);
  gboolean            first = TRUE;

  if (with_ids)
    {
      append_field (out, nn_pipeline_get_id_column (self));
      first = FALSE;
    }
  for (guint pass = with_targets ? 0 : 1; pass < 2; pass++)
    for (guint t = 0; t < n_targets; t++)
      {
        if (!first)
          g_string_append_c (out, ',');
        first = FALSE;
        append_prefixed (out, pass == 0 ? "" : "predicted_", targets[t]);
      }
  for (guint k = 0; probabilities && labels && labels[k] != NULL; k++)
    {
      g_string_append_c (out, ',');
      append_prefixed (out, "p_", labels[k]);
    }
  g_string_append_c (out, '\n');
}

/**
 * nn_pipeline_format_predictions:
 * @self: a #NnPipeline
 * @outputs: what [method@Nn.Pipeline.predict] returned, samples × outputs
 * @targets: (nullable): the true targets, encoded as the model's outputs
 *   are ([method@Nn.Pipeline.prepare]), in the targets' own units, or %NULL
 * @ids: (nullable) (array zero-terminated=1): an id per sample, or %NULL
 * @probabilities: for classification, whether to add a probability column
 *   per class
 *
 * Writes predictions as CSV: the id column (named as the model's
 * [method@Nn.Pipeline.get_id_column]) when @ids is given, the true target
 * columns (named as the targets) when @targets is, the predictions
 * (`predicted_TARGET`: a class label, or a regression's value in the targets'
 * units), and for classification, when asked, the probability of each class
 * (`p_LABEL`, in the order of [method@Nn.Pipeline.get_output_labels]).
 *
 * Returns: (transfer full): the CSV text
 */
char *
nn_pipeline_format_predictions (NnPipeline         *self,
                                const NnMatrix     *outputs,
                                const NnMatrix     *targets,
                                const char * const *ids,
                                gboolean            probabilities)
{
  g_auto(GStrv) labels = NULL;
  GString *out;

  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);
  g_return_val_if_fail (outputs != NULL, NULL);
  g_return_val_if_fail (targets == NULL || targets->rows == outputs->rows, NULL);
  g_return_val_if_fail (ids == NULL || nn_pipeline_get_id_column (self) != NULL, NULL);

  labels = nn_pipeline_get_output_labels (self);
  out = g_string_new (NULL);
  append_header (out, self, ids != NULL, targets != NULL, probabilities,
                 (const char * const *) labels);
  for (guint r = 0; r < outputs->rows; r++)
    {
      if (ids != NULL)
        {
          append_field (out, ids[r]);
          g_string_append_c (out, ',');
        }
      if (targets != NULL)
        {
          append_row_values (out, targets, r, (const char * const *) labels);
          g_string_append_c (out, ',');
        }
      append_row_values (out, outputs, r, (const char * const *) labels);
      if (probabilities && labels != NULL)
        for (guint c = 0; c < MAX (outputs->cols, 2); c++)
          {
            g_string_append_c (out, ',');
            /* One sigmoid output is the probability of class 1. */
            if (outputs->cols == 1)
              append_real (out, c == 1 ? NN_MATRIX_AT (outputs, r, 0)
                                       : 1 - NN_MATRIX_AT (outputs, r, 0));
            else
              append_real (out, NN_MATRIX_AT (outputs, r, c));
          }
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* Whether the header of the CSV file at @path names @column. */
static gboolean
has_column (const char *path,
            const char *column)
{
  g_autoptr(GInputStream) stream = nn_data_open_file (path, NULL, NULL, NULL);
  g_autoptr(NnCsvReader) reader = NULL;
  g_autoptr(GError) local_error = NULL;

  if (stream == NULL)
    return FALSE;
  reader = nn_csv_reader_new (stream, path);
  if (!nn_csv_reader_next (reader, NULL, &local_error))
    return FALSE; /* reading the data says why */
  for (guint c = 0; c < nn_csv_reader_get_n_fields (reader); c++)
    if (g_str_equal (nn_csv_reader_get_field (reader, c), column))
      return TRUE;
  return FALSE;
}

/**
 * nn_pipeline_predict_csv_file:
 * @self: a #NnPipeline
 * @path: a CSV file (gzip-compressed or not) with the model's feature
 *   columns, unscaled
 * @probabilities: for classification, whether to add a probability column
 *   per class
 * @error: return location for a #GError
 *
 * Predicts from every row of @path and writes the predictions as
 * [method@Nn.Pipeline.format_predictions] does. When the model was trained with
 * an id column and @path has that column, it comes first, as read.
 *
 * Returns: (transfer full): the CSV text, or %NULL with @error set
 *   (%NN_DATA_ERROR for bad data)
 */
char *
nn_pipeline_predict_csv_file (NnPipeline *self,
                              const char *path,
                              gboolean    probabilities,
                              GError    **error)
{
  g_autoptr(NnDataset) raw = NULL;
  g_autoptr(NnMatrix) pred = NULL;
  const char *id = NULL;

  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (nn_pipeline_get_id_column (self) != NULL &&
      has_column (path, nn_pipeline_get_id_column (self)))
    id = nn_pipeline_get_id_column (self);
  raw = nn_dataset_new_from_csv_file_full (path, NULL, nn_pipeline_get_feature_names (self), NULL,
                                           id, nn_pipeline_get_transform (self), error);
  if (raw == NULL)
    return NULL;
  pred = nn_pipeline_predict_dataset (self, raw);
  return nn_pipeline_format_predictions (self, pred, NULL, nn_dataset_get_ids (raw),
                                         probabilities);
}

/* The column transform saved with the model, if any. */
void
nn_pipeline_set_transform (NnPipeline        *self,
                           NnColumnTransform *transform)
{
  g_set_object (&self->transform, transform);
}

NnColumnTransform *
nn_pipeline_get_transform (NnPipeline *self)
{
  return self->transform;
}

/**
 * nn_pipeline_predict:
 * @self: a #NnPipeline
 * @raw_features: unscaled inputs, samples × features, in the columns of
 *   [method@Nn.Pipeline.get_feature_names]; NaN for a missing value, and the
 *   category itself for a categorical column of numbers
 *
 * Imputes missing values and one-hot encodes categorical columns as the
 * model was trained to, scales the inputs with the saved scaler and runs
 * the model; a regression's outputs are mapped back with the target
 * scaler, if any. For text in categorical columns, see
 * [method@Nn.Pipeline.predict_dataset].
 *
 * Returns: (transfer full): the outputs, samples × outputs
 */
NnMatrix *
nn_pipeline_predict (NnPipeline     *self,
                     const NnMatrix *raw_features)
{
  g_autoptr(NnDataset) raw = NULL;

  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);
  g_return_val_if_fail (raw_features != NULL, NULL);
  g_return_val_if_fail (raw_features->cols == g_strv_length (self->features), NULL);

  raw = nn_dataset_new (nn_matrix_copy (raw_features), nn_matrix_new (raw_features->rows, 0),
                        (const char * const *) self->features, NULL);
  return nn_pipeline_predict_dataset (self, raw);
}

/**
 * nn_pipeline_predict_dataset:
 * @self: a #NnPipeline
 * @raw: data as [method@Nn.Pipeline.read_csv] reads them
 *
 * Like [method@Nn.Pipeline.predict], on the features of @raw, text columns
 * included.
 *
 * Returns: (transfer full): the outputs, samples × outputs
 */
NnMatrix *
nn_pipeline_predict_dataset (NnPipeline *self,
                             NnDataset  *raw)
{
  g_autoptr(NnDataset) ready = NULL;
  g_autoptr(NnMatrix) x = NULL;
  NnMatrix *pred;

  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);
  g_return_val_if_fail (NN_IS_DATASET (raw), NULL);
  g_return_val_if_fail (nn_dataset_get_n_features (raw) == g_strv_length (self->features), NULL);

  if (self->transform != NULL)
    {
      ready = nn_column_transform_apply (self->transform, raw);
      x = nn_matrix_copy (nn_dataset_get_features (ready));
    }
  else
    x = nn_matrix_copy (nn_dataset_get_features (raw));
  nn_scaler_transform (self->scaler, x);
  pred = nn_model_predict (self->model, x);
  if (self->target_scaler != NULL)
    nn_scaler_inverse_transform (self->target_scaler, pred);
  return pred;
}

/**
 * nn_pipeline_read_csv:
 * @self: a #NnPipeline
 * @path: a CSV file with the model's feature columns
 * @with_targets: whether to read the model's target columns too
 * @error: return location for a #GError
 *
 * Reads the data a model takes: its feature columns, with missing values
 * and text where the model was trained to take them, and nowhere else.
 *
 * Returns: (transfer full): the data as read, or %NULL with @error set
 */
NnDataset *
nn_pipeline_read_csv (NnPipeline *self,
                      const char *path,
                      gboolean    with_targets,
                      GError    **error)
{
  const char * const *targets = with_targets ? (const char * const *) self->targets : NULL;

  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  if (self->transform == NULL)
    return nn_dataset_new_from_csv_file (path, targets, (const char * const *) self->features,
                                         error);
  return nn_dataset_new_from_csv_file_full (path, targets, (const char * const *) self->features,
                                            NULL, NULL, self->transform, error);
}
