/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _NnTrainer NnTrainer;

#define NN_TYPE_TRAINER_CALLBACK (nn_trainer_callback_get_type ())
G_DECLARE_DERIVABLE_TYPE (NnTrainerCallback, nn_trainer_callback, NN, TRAINER_CALLBACK, GObject)

/**
 * NnTrainerCallbackClass:
 * @parent_class: the parent class
 * @train_begin: [method@Nn.Trainer.fit] is about to train; failing ends the fit
 *   before any batch
 * @epoch_begin: epoch @epoch (counting from 1) is about to be trained, or
 *   continued after an epoch stopped part-way
 * @gradients_ready: called in every training step, after the backward step
 *   and before gradient clipping and the optimizer's update, to read or
 *   change the gradients in place ([method@Nn.Model.get_gradient],
 *   [method@Nn.Model.scale_gradients]), e.g. to sum them across processes; they
 *   are the loss's alone, the layers' regularization adds its gradient
 *   after this call; %NULL
 *   (the default) costs the step nothing. It must not allocate.
 * @epoch_end: epoch @epoch is finished and in the trainer's loss histories,
 *   and its values ([method@Nn.Trainer.lookup_epoch_value]) are set; may call
 *   [method@Nn.Trainer.stop] or fail
 * @train_end: [method@Nn.Trainer.fit] has finished, however it ended, if
 *   @train_begin was called
 *
 * Every vfunc but @gradients_ready has a default that does nothing and
 * succeeds; a subclass overrides the ones it needs. A vfunc that fails
 * sets its #GError and returns %FALSE: see [method@Nn.Trainer.fit] for what the
 * trainer then does.
 */
struct _NnTrainerCallbackClass
{
  GObjectClass parent_class;

  gboolean (*train_begin)     (NnTrainerCallback  *self,
                               NnTrainer          *trainer,
                               GError            **error);
  gboolean (*epoch_begin)     (NnTrainerCallback  *self,
                               NnTrainer          *trainer,
                               guint               epoch,
                               GError            **error);
  gboolean (*gradients_ready) (NnTrainerCallback  *self,
                               NnTrainer          *trainer,
                               GError            **error);
  gboolean (*epoch_end)       (NnTrainerCallback  *self,
                               NnTrainer          *trainer,
                               guint               epoch,
                               GError            **error);
  void     (*train_end)       (NnTrainerCallback  *self,
                               NnTrainer          *trainer);

  /*< private >*/
  gpointer padding[8];
};

gboolean nn_trainer_callback_train_begin     (NnTrainerCallback  *self,
                                              NnTrainer          *trainer,
                                              GError            **error);
gboolean nn_trainer_callback_epoch_begin     (NnTrainerCallback  *self,
                                              NnTrainer          *trainer,
                                              guint               epoch,
                                              GError            **error);
gboolean nn_trainer_callback_gradients_ready (NnTrainerCallback  *self,
                                              NnTrainer          *trainer,
                                              GError            **error);
gboolean nn_trainer_callback_epoch_end       (NnTrainerCallback  *self,
                                              NnTrainer          *trainer,
                                              guint               epoch,
                                              GError            **error);
void     nn_trainer_callback_train_end       (NnTrainerCallback  *self,
                                              NnTrainer          *trainer);

G_END_DECLS
