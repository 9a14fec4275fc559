/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-trainer-callback.h"

/**
 * NnTrainerCallback:
 *
 * Something that happens around the epochs of an [class@Nn.Trainer], in the
 * manner of Keras' callbacks: recording a history, computing metrics, early
 * stopping ([class@Nn.EarlyStopping]), writing checkpoints, reporting progress.
 * [method@Nn.Trainer.add_callback] adds one; the trainer's loop calls every
 * callback's vfuncs in the order they were added, so a new behaviour is a new
 * subclass and never a change to the loop.
 *
 * Values computed in @epoch_end can be passed on to the callbacks after it
 * through [method@Nn.Trainer.set_epoch_value]: the trainer itself sets `epoch`,
 * `loss`, `learning_rate` and, with validation data, `val_loss`.
 */

G_DEFINE_ABSTRACT_TYPE (NnTrainerCallback, nn_trainer_callback, G_TYPE_OBJECT)

static gboolean
nn_trainer_callback_real_train_begin (NnTrainerCallback *self,
                                      NnTrainer         *trainer,
                                      GError           **error)
{
  return TRUE;
}

static gboolean
nn_trainer_callback_real_epoch (NnTrainerCallback *self,
                                NnTrainer         *trainer,
                                guint              epoch,
                                GError           **error)
{
  return TRUE;
}

static void
nn_trainer_callback_real_train_end (NnTrainerCallback *self,
                                    NnTrainer         *trainer)
{
}

static void
nn_trainer_callback_class_init (NnTrainerCallbackClass *klass)
{
  klass->train_begin = nn_trainer_callback_real_train_begin;
  klass->epoch_begin = nn_trainer_callback_real_epoch;
  klass->epoch_end = nn_trainer_callback_real_epoch;
  klass->train_end = nn_trainer_callback_real_train_end;
}

static void
nn_trainer_callback_init (NnTrainerCallback *self)
{
}

/**
 * nn_trainer_callback_train_begin:
 * @self: a #NnTrainerCallback
 * @trainer: the trainer calling it
 * @error: return location for a #GError
 *
 * Calls the callback's @train_begin, if its class has one.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
nn_trainer_callback_train_begin (NnTrainerCallback *self,
                                 NnTrainer         *trainer,
                                 GError           **error)
{
  g_return_val_if_fail (NN_IS_TRAINER_CALLBACK (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return NN_TRAINER_CALLBACK_GET_CLASS (self)->train_begin (self, trainer, error);
}

/**
 * nn_trainer_callback_epoch_begin:
 * @self: a #NnTrainerCallback
 * @trainer: the trainer calling it
 * @epoch: the epoch about to be trained, counting from 1
 * @error: return location for a #GError
 *
 * Calls the callback's @epoch_begin, if its class has one.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
nn_trainer_callback_epoch_begin (NnTrainerCallback *self,
                                 NnTrainer         *trainer,
                                 guint              epoch,
                                 GError           **error)
{
  g_return_val_if_fail (NN_IS_TRAINER_CALLBACK (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return NN_TRAINER_CALLBACK_GET_CLASS (self)->epoch_begin (self, trainer, epoch, error);
}

/**
 * nn_trainer_callback_gradients_ready:
 * @self: a #NnTrainerCallback
 * @trainer: the trainer calling it
 * @error: return location for a #GError
 *
 * Calls the callback's @gradients_ready, if its class has one.
 *
 * Returns: %TRUE (also when the class has no @gradients_ready), or %FALSE
 *   with @error set
 */
gboolean
nn_trainer_callback_gradients_ready (NnTrainerCallback *self,
                                     NnTrainer         *trainer,
                                     GError           **error)
{
  NnTrainerCallbackClass *klass;

  g_return_val_if_fail (NN_IS_TRAINER_CALLBACK (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  klass = NN_TRAINER_CALLBACK_GET_CLASS (self);
  return klass->gradients_ready == NULL || klass->gradients_ready (self, trainer, error);
}

/**
 * nn_trainer_callback_epoch_end:
 * @self: a #NnTrainerCallback
 * @trainer: the trainer calling it
 * @epoch: the epoch just finished, counting from 1
 * @error: return location for a #GError
 *
 * Calls the callback's @epoch_end, if its class has one.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
nn_trainer_callback_epoch_end (NnTrainerCallback *self,
                               NnTrainer         *trainer,
                               guint              epoch,
                               GError           **error)
{
  g_return_val_if_fail (NN_IS_TRAINER_CALLBACK (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return NN_TRAINER_CALLBACK_GET_CLASS (self)->epoch_end (self, trainer, epoch, error);
}

/**
 * nn_trainer_callback_train_end:
 * @self: a #NnTrainerCallback
 * @trainer: the trainer calling it
 *
 * Calls the callback's @train_end, if its class has one.
 */
void
nn_trainer_callback_train_end (NnTrainerCallback *self,
                               NnTrainer         *trainer)
{
  g_return_if_fail (NN_IS_TRAINER_CALLBACK (self));

  NN_TRAINER_CALLBACK_GET_CLASS (self)->train_end (self, trainer);
}
