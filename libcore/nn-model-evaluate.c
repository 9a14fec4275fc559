/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A model on whole data sets: predictions and the loss, in evaluation
 * mode and in chunks of rows. */
#include "config.h"

#include <math.h>

#include "nn-errors.h"
#include "nn-model.h"

/* Rows per forward step when predicting or evaluating a whole data set. */
#define EVAL_CHUNK 4096

/**
 * nn_model_predict:
 * @self: a #NnModel
 * @x: inputs, samples × inputs
 *
 * Runs @x through the model in evaluation mode and copies the outputs.
 *
 * Returns: (transfer full): the outputs, samples × outputs
 */
NnMatrix *
nn_model_predict (NnModel        *self,
                  const NnMatrix *x)
{
  NnMatrix *out;
  gboolean  training;

  g_return_val_if_fail (NN_IS_MODEL (self), NULL);
  g_return_val_if_fail (x != NULL && x->cols == nn_model_get_n_inputs (self), NULL);

  out = nn_matrix_new (x->rows, nn_model_get_n_outputs (self));
  training = nn_model_get_training (self);
  nn_model_set_training (self, FALSE);
  for (guint start = 0; start < x->rows; start += EVAL_CHUNK)
    {
      guint    rows = MIN (EVAL_CHUNK, x->rows - start);
      NnMatrix xs = nn_matrix_view_rows (x, start, rows);
      NnMatrix os = nn_matrix_view_rows (out, start, rows);

      nn_matrix_copy_into (nn_model_forward (self, &xs), &os);
    }
  nn_model_set_training (self, training);
  return out;
}

/**
 * nn_model_evaluate:
 * @self: a #NnModel
 * @x: inputs
 * @y: targets
 * @error: return location for a #GError
 *
 * Computes the loss of the model on @x against @y, in evaluation mode.
 *
 * Returns: the loss over the whole set, or NaN with
 *   %NN_MODEL_ERROR_NOT_FINITE set
 */
double
nn_model_evaluate (NnModel        *self,
                   const NnMatrix *x,
                   const NnMatrix *y,
                   GError        **error)
{
  double   total = 0.0;
  gboolean training;

  g_return_val_if_fail (NN_IS_MODEL (self), NAN);
  g_return_val_if_fail (NN_IS_LOSS (nn_model_get_loss (self)), NAN);
  g_return_val_if_fail (x != NULL && y != NULL && x->rows == y->rows && x->rows > 0, NAN);
  g_return_val_if_fail (y->cols == nn_model_get_n_outputs (self), NAN);

  training = nn_model_get_training (self);
  nn_model_set_training (self, FALSE);
  for (guint start = 0; start < x->rows; start += EVAL_CHUNK)
    {
      guint    rows = MIN (EVAL_CHUNK, x->rows - start);
      NnMatrix xs = nn_matrix_view_rows (x, start, rows);
      NnMatrix ys = nn_matrix_view_rows (y, start, rows);

      total += nn_loss_compute (nn_model_get_loss (self), nn_model_forward (self, &xs), &ys) * rows;
    }
  nn_model_set_training (self, training);
  total /= x->rows;
  if (!isfinite (total))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE,
                   "the loss is %g", total);
      return NAN;
    }
  return total;
}
