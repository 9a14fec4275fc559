/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn_trainer_fit(): epochs with the callbacks around them. */
#include "config.h"

#include "nn-errors.h"
#include "nn-trainer-private.h"

static gboolean
parameters_finite (NnTrainer *self)
{
  for (guint i = 0; i < nn_model_get_n_parameters (self->model); i++)
    if (!nn_matrix_is_finite (nn_model_get_parameter (self->model, i)))
      return FALSE;
  return TRUE;
}

/* Calls every callback's epoch_begin, up to the first that fails. */
static gboolean
epoch_begin (NnTrainer *self,
             GError   **error)
{
  g_array_set_size (self->epoch_values, 0);
  for (guint i = 0; i < self->callbacks->len; i++)
    {
      NnTrainerCallback *callback = self->callbacks->pdata[i];
      GError            *local_error = NULL;

      if (!nn_trainer_callback_epoch_begin (callback, self, self->epoch + 1, &local_error))
        {
          nn_trainer_propagate_callback_error (error, local_error, callback, "epoch_begin");
          return FALSE;
        }
    }
  return TRUE;
}

/* Calls every callback's epoch_end, even after one failed, so that the
 * epoch is complete for all of them; the first error is kept. */
static gboolean
epoch_end (NnTrainer *self,
           guint      epoch,
           double     loss,
           double     val_loss,
           gboolean   have_val,
           GError   **error)
{
  gboolean ok = TRUE;

  nn_trainer_set_epoch_value (self, "epoch", epoch);
  nn_trainer_set_epoch_value (self, "loss", loss);
  if (have_val)
    nn_trainer_set_epoch_value (self, "val_loss", val_loss);
  nn_trainer_set_epoch_value (self, "learning_rate",
                              nn_optimizer_get_learning_rate (nn_model_get_optimizer (self->model)));
  for (guint i = 0; i < self->callbacks->len; i++)
    {
      NnTrainerCallback *callback = self->callbacks->pdata[i];
      GError            *local_error = NULL;

      if (!nn_trainer_callback_epoch_end (callback, self, epoch, &local_error))
        {
          if (ok)
            nn_trainer_propagate_callback_error (error, local_error, callback, "epoch_end");
          else
            g_clear_error (&local_error);
          ok = FALSE;
        }
    }
  return ok;
}

/* One epoch of nn_trainer_fit(), from the callbacks' epoch_begin to their
 * epoch_end. */
static gboolean
fit_epoch (NnTrainer      *self,
           const NnMatrix *x,
           const NnMatrix *y,
           const NnMatrix *val_x,
           const NnMatrix *val_y,
           GCancellable   *cancellable,
           GError        **error)
{
  GError *local_error = NULL;
  double  loss, val_loss = NAN;
  guint   epoch;

  if (!epoch_begin (self, error))
    return FALSE;
  loss = nn_trainer_run_epoch (self, x, y, cancellable, &local_error);
  if (isnan (loss))
    {
      /* A batch's error says which batch; this says which epoch. */
      if (g_error_matches (local_error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE))
        g_prefix_error (&local_error, "epoch %u, ", self->epoch + 1);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  epoch = self->epoch;
  if (!parameters_finite (self))
    {
      nn_trainer_set_diverged_error (self, error, "epoch %u: a weight became NaN or infinite",
                                     epoch);
      return FALSE;
    }
  if (val_x != NULL)
    {
      val_loss = nn_model_evaluate (self->model, val_x, val_y, error);
      if (isnan (val_loss))
        {
          g_prefix_error (error, "epoch %u, validation: ", epoch);
          return FALSE;
        }
    }
  g_array_append_val (self->loss_history, loss);
  g_array_append_val (self->val_loss_history, val_loss);
  return epoch_end (self, epoch, loss, val_loss, val_x != NULL, error);
}

/**
 * nn_trainer_fit:
 * @self: a #NnTrainer
 * @x: training inputs
 * @y: training targets
 * @val_x: (nullable): validation inputs
 * @val_y: (nullable): validation targets
 * @cancellable: (nullable): checked before every batch
 * @error: return location for a #GError
 *
 * Trains from [property@Nn.Trainer:epoch] until it reaches
 * [property@Nn.Trainer:epochs]: to finish a run after restoring a saved state,
 * call it again with the same [property@Nn.Trainer:epochs]. Each epoch appends
 * its training loss and its validation loss (NaN without validation data) to
 * the histories; then every callback's @epoch_end is called, in order. Before
 * the first epoch the callbacks' @train_begin are called, and after the last
 * their
 * @train_end, however the fit ended.
 *
 * When @cancellable is cancelled, training stops after the current batch;
 * the trainer remembers how far the epoch got, and the next call continues
 * it, so that a run cancelled, saved, restored and continued takes exactly
 * the steps of a run never stopped.
 *
 * A callback that fails ends the fit with its error: at @train_begin or
 * @epoch_begin before any more training; at @epoch_end after the other
 * callbacks have seen the epoch too, so that it is recorded and reported
 * in full (only the first error is kept).
 *
 * Returns: %TRUE when [property@Nn.Trainer:epochs] was reached or
 *   [method@Nn.Trainer.stop] was called, or %FALSE with @error set:
 *   %NN_MODEL_ERROR_NOT_FINITE when training diverges, %G_IO_ERROR_CANCELLED
 *   when cancelled, or a callback's error
 */
gboolean
nn_trainer_fit (NnTrainer      *self,
                const NnMatrix *x,
                const NnMatrix *y,
                const NnMatrix *val_x,
                const NnMatrix *val_y,
                GCancellable   *cancellable,
                GError        **error)
{
  guint    begun = 0;
  gboolean ok = TRUE;

  CHECK_TRAINING_DATA (self, x, y, FALSE);
  g_return_val_if_fail ((val_x == NULL) == (val_y == NULL), FALSE);
  g_return_val_if_fail (!self->fitting, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  self->stop_requested = FALSE;
  self->fitting = TRUE;
  for (; ok && begun < self->callbacks->len; begun++)
    {
      NnTrainerCallback *callback = self->callbacks->pdata[begun];
      GError            *local_error = NULL;

      if (!nn_trainer_callback_train_begin (callback, self, &local_error))
        {
          nn_trainer_propagate_callback_error (error, local_error, callback, "train_begin");
          ok = FALSE;
        }
    }
  /* A callback whose train_begin failed gets no train_end. */
  if (!ok)
    begun--;

  while (ok && self->epoch < self->epochs && !self->stop_requested)
    {
      ok = fit_epoch (self, x, y, val_x, val_y, cancellable, error);
      if (ok && self->n_ranks > 1)
        ok = nn_trainer_parallel_agree_stop (self, error);
    }

  for (guint i = 0; i < begun; i++)
    nn_trainer_callback_train_end (self->callbacks->pdata[i], self);
  self->fitting = FALSE;
  return ok;
}
