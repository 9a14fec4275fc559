/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-errors.h"
#include "nn-model-private.h"
#include "nn-trainer-private.h"

static GVariant *
save_state (NnTrainer *self,
            gboolean   histories)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);

  g_variant_dict_insert (&dict, "seed", "t", self->seed);
  g_variant_dict_insert (&dict, "epoch", "u", self->epoch);
  nn_model_save_state (self->model, &dict);
  if (histories)
    {
      g_variant_dict_insert_value (&dict, "loss-history",
                                   g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE,
                                                              self->loss_history->data,
                                                              self->loss_history->len,
                                                              sizeof (double)));
      g_variant_dict_insert_value (&dict, "val-loss-history",
                                   g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE,
                                                              self->val_loss_history->data,
                                                              self->val_loss_history->len,
                                                              sizeof (double)));
    }
  g_variant_dict_insert (&dict, "partial", "(uduub)", self->part_samples,
                         self->part_loss_sum, self->part_batch_size,
                         self->part_n_samples, self->part_shuffle);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/**
 * nn_trainer_save_state:
 * @self: a #NnTrainer
 *
 * Captures everything that training depends on beyond the configuration of the
 * model and the trainer, so that [method@Nn.Trainer.load_state] on a trainer of
 * a model built the same way continues exactly as @self would: the seed,
 * [property@Nn.Trainer:epoch], how far an epoch stopped part-way got, the
 * parameters, the optimizer's state ([method@Nn.Optimizer.save_state]) and the
 * loss histories. The layer shapes, activation and loss types are recorded to
 * be checked on loading. Values are stored as doubles, exactly in either build.
 *
 * The state is an `a{sv}` dictionary: `seed` (`t`), `epoch` (`u`), `layers`
 * (`a(uus)`: inputs, units and activation type of each layer), `loss` (`s`, its
 * type, empty without one), `parameters` (`a(uuad)`: rows, columns and values
 * of each parameter in [method@Nn.Model.get_parameter] order), `optimizer`
 * (`a{sv}`, without an optimizer absent), `loss-history` and `val-loss-history`
 * (`ad`), and `partial` (`(uduub)`: samples done in the current epoch, the sum
 * of their losses, the batch size, the number of samples and whether it
 * shuffles; all 0 between epochs).
 *
 * Returns: (transfer full): the state, an `a{sv}` #GVariant
 */
GVariant *
nn_trainer_save_state (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), NULL);

  return save_state (self, TRUE);
}

/**
 * nn_trainer_save_state_without_histories:
 * @self: a #NnTrainer
 *
 * The state of [method@Nn.Trainer.save_state] without `loss-history` and
 * `val-loss-history`, whose size grows with every epoch: for a caller
 * that keeps the losses of each epoch itself and gives them back with
 * [method@Nn.Trainer.set_loss_histories] after [method@Nn.Trainer.load_state].
 *
 * Returns: (transfer full): the state, an `a{sv}` #GVariant
 */
GVariant *
nn_trainer_save_state_without_histories (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), NULL);

  return save_state (self, FALSE);
}

/**
 * nn_trainer_set_loss_histories:
 * @self: a #NnTrainer
 * @losses: (array length=n): the training loss of each epoch
 * @val_losses: (array length=n): the validation loss of each epoch, NaN
 *   without validation data
 * @n: the number of epochs, at most [property@Nn.Trainer:epoch]
 *
 * Replaces the loss histories ([method@Nn.Trainer.get_loss_history]), e.g.
 * after loading a state saved by
 * [method@Nn.Trainer.save_state_without_histories].
 */
void
nn_trainer_set_loss_histories (NnTrainer    *self,
                               const double *losses,
                               const double *val_losses,
                               guint         n)
{
  g_return_if_fail (NN_IS_TRAINER (self));
  g_return_if_fail (n == 0 || (losses != NULL && val_losses != NULL));

  g_array_set_size (self->loss_history, 0);
  g_array_set_size (self->val_loss_history, 0);
  g_array_append_vals (self->loss_history, losses, n);
  g_array_append_vals (self->val_loss_history, val_losses, n);
}

static gboolean
has_histories (GVariant *state)
{
  g_autoptr(GVariant) losses = g_variant_lookup_value (state, "loss-history", NULL);
  g_autoptr(GVariant) val_losses = g_variant_lookup_value (state, "val-loss-history", NULL);

  return losses != NULL || val_losses != NULL;
}

/* The seed and epoch of @state, checked against @self. */
static gboolean
read_seed_and_epoch (NnTrainer *self,
                     GVariant  *state,
                     guint32   *epoch,
                     GError   **error)
{
  g_autoptr(GVariant) scalar = NULL;
  guint64 seed;

  if ((scalar = nn_training_state_lookup (state, "seed", "t", error)) == NULL)
    return FALSE;
  seed = g_variant_get_uint64 (scalar);
  g_clear_pointer (&scalar, g_variant_unref);
  if (seed != self->seed)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the training state is of a run with seed %" G_GUINT64_FORMAT
                   "; this model has seed %" G_GUINT64_FORMAT,
                   seed, self->seed);
      return FALSE;
    }
  if ((scalar = nn_training_state_lookup (state, "epoch", "u", error)) == NULL)
    return FALSE;
  *epoch = g_variant_get_uint32 (scalar);
  return TRUE;
}

/**
 * nn_trainer_load_state:
 * @self: a [class@Nn.Trainer] with the seed of the one that saved @state, of a
 *   model built and configured as that one's: the same layers,
 *   activations, loss and optimizer (type and settings)
 * @state: a state from [method@Nn.Trainer.save_state]
 * @error: return location for a #GError
 *
 * Restores a training state, so that the following epochs
 * ([method@Nn.Trainer.fit] or [method@Nn.Trainer.train_epoch] with the same
 * data, batch size and shuffling) are those the saving trainer would have
 * trained. Everything is checked before anything changes: a state of another
 * shape, seed, type or format is an error, never a crash. A state saved by
 * [method@Nn.Trainer.save_state_without_histories] leaves the loss histories
 * empty, for [method@Nn.Trainer.set_loss_histories].
 *
 * Returns: %TRUE on success, or %FALSE with @error set in the
 *   %NN_MODEL_ERROR domain and @self and its model unchanged
 */
gboolean
nn_trainer_load_state (NnTrainer *self,
                       GVariant  *state,
                       GError   **error)
{
  g_autoptr(GVariant) loss_history = NULL;
  g_autoptr(GVariant) val_loss_history = NULL;
  g_autoptr(GVariant) partial = NULL;
  const double *losses, *val_losses;
  gsize         n_losses, n_val_losses;
  guint32       epoch, part_samples, part_batch_size, part_n_samples;
  double        part_loss_sum;
  gboolean      part_shuffle;

  g_return_val_if_fail (NN_IS_TRAINER (self), FALSE);
  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_variant_is_of_type (state, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "a training state is a dictionary of type a{sv}, not %s",
                   g_variant_get_type_string (state));
      return FALSE;
    }
  if (!read_seed_and_epoch (self, state, &epoch, error) ||
      !nn_model_check_state (self->model, state, error))
    return FALSE;

  /* A state saved without its histories empties them. */
  if (!has_histories (state))
    {
      losses = val_losses = NULL;
      n_losses = n_val_losses = 0;
    }
  else if ((loss_history = nn_training_state_lookup (state, "loss-history", "ad",
                                                     error)) == NULL ||
           (val_loss_history = nn_training_state_lookup (state, "val-loss-history", "ad",
                                                         error)) == NULL)
    return FALSE;
  else
    {
      losses = g_variant_get_fixed_array (loss_history, &n_losses, sizeof (double));
      val_losses = g_variant_get_fixed_array (val_loss_history, &n_val_losses,
                                              sizeof (double));
    }
  if (n_losses != n_val_losses || n_losses > epoch)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the training state has %" G_GSIZE_FORMAT " training and %" G_GSIZE_FORMAT
                   " validation losses for %u epochs",
                   n_losses, n_val_losses, epoch);
      return FALSE;
    }

  if ((partial = nn_training_state_lookup (state, "partial", "(uduub)", error)) == NULL)
    return FALSE;
  g_variant_get (partial, "(uduub)", &part_samples, &part_loss_sum, &part_batch_size,
                 &part_n_samples, &part_shuffle);
  if (part_samples > 0 &&
      (part_samples >= part_n_samples || part_batch_size == 0 ||
       part_batch_size > part_n_samples || !isfinite (part_loss_sum)))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the training state stopped epoch %u after %u of %u samples in "
                   "batches of %u, which is not possible",
                   epoch + 1, part_samples,
                   part_n_samples, part_batch_size);
      return FALSE;
    }

  /* Only the optimizer can still refuse, and it changes nothing when it
   * does. */
  if (!nn_model_load_state (self->model, state, error))
    return FALSE;

  g_array_set_size (self->loss_history, n_losses);
  g_array_set_size (self->val_loss_history, n_losses);
  if (n_losses > 0)
    {
      memcpy (self->loss_history->data, losses, n_losses * sizeof (double));
      memcpy (self->val_loss_history->data, val_losses, n_losses * sizeof (double));
    }

  nn_trainer_set_epoch (self, epoch);
  self->part_samples = part_samples;
  self->part_loss_sum = part_samples > 0 ? part_loss_sum : 0.0;
  self->part_batch_size = part_batch_size;
  self->part_n_samples = part_n_samples;
  self->part_shuffle = part_shuffle;
  return TRUE;
}
