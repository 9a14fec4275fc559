/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <gio/gio.h>
#include "nn-model.h"
#include "nn-schedule.h"
#include "nn-trainer-callback.h"

G_BEGIN_DECLS

#define NN_TYPE_TRAINER (nn_trainer_get_type ())
G_DECLARE_FINAL_TYPE (NnTrainer, nn_trainer, NN, TRAINER, GObject)

/**
 * NnTrainerAllreduceFunc:
 * @values: (array length=n_values): this process's values, replaced in
 *   place by their sums over all processes
 * @n_values: their number
 * @user_data: the data given to nn_trainer_set_data_parallel()
 * @error: return location for a #GError
 *
 * Sums @values element-wise across the processes of a data-parallel
 * training, as `MPI_Allreduce (MPI_IN_PLACE, ..., MPI_SUM)` does. Every
 * process calls it at the same points with the same @n_values.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
typedef gboolean (*NnTrainerAllreduceFunc) (nn_real  *values,
                                            gsize     n_values,
                                            gpointer  user_data,
                                            GError  **error);

NnTrainer      *nn_trainer_new                  (NnModel            *model);
NnModel        *nn_trainer_get_model            (NnTrainer          *self);
guint           nn_trainer_get_epochs           (NnTrainer          *self);
void            nn_trainer_set_epochs           (NnTrainer          *self,
                                                 guint               epochs);
guint           nn_trainer_get_batch_size       (NnTrainer          *self);
void            nn_trainer_set_batch_size       (NnTrainer          *self,
                                                 guint               batch_size);
gboolean        nn_trainer_get_shuffle          (NnTrainer          *self);
void            nn_trainer_set_shuffle          (NnTrainer          *self,
                                                 gboolean            shuffle);
guint64         nn_trainer_get_seed             (NnTrainer          *self);
void            nn_trainer_set_seed             (NnTrainer          *self,
                                                 guint64             seed);
double          nn_trainer_get_clip_norm        (NnTrainer          *self);
void            nn_trainer_set_clip_norm        (NnTrainer          *self,
                                                 double              clip_norm);
NnSchedule     *nn_trainer_get_schedule         (NnTrainer          *self);
void            nn_trainer_set_schedule         (NnTrainer          *self,
                                                 NnSchedule         *schedule);
guint           nn_trainer_get_epoch            (NnTrainer          *self);
void            nn_trainer_set_epoch            (NnTrainer          *self,
                                                 guint               epoch);

void            nn_trainer_add_callback         (NnTrainer          *self,
                                                 NnTrainerCallback  *callback);
void            nn_trainer_remove_callback      (NnTrainer          *self,
                                                 NnTrainerCallback  *callback);

void            nn_trainer_set_data_parallel    (NnTrainer          *self,
                                                 guint               rank,
                                                 guint               n_ranks,
                                                 NnTrainerAllreduceFunc allreduce,
                                                 gpointer            user_data);
guint           nn_trainer_get_rank             (NnTrainer          *self);
guint           nn_trainer_get_n_ranks          (NnTrainer          *self);

void            nn_trainer_set_sample_weights   (NnTrainer          *self,
                                                 const double       *weights,
                                                 guint               n_weights);
void            nn_trainer_set_keep_gradients   (NnTrainer          *self,
                                                 gboolean            keep);
gboolean        nn_trainer_get_keep_gradients   (NnTrainer          *self);
void            nn_trainer_set_keep_pre_activations (NnTrainer      *self,
                                                     gboolean        keep);
gboolean        nn_trainer_get_keep_pre_activations (NnTrainer      *self);
double          nn_trainer_train_step           (NnTrainer          *self,
                                                 const NnMatrix     *x,
                                                 const NnMatrix     *y,
                                                 GError            **error);
double          nn_trainer_train_epoch          (NnTrainer          *self,
                                                 const NnMatrix     *x,
                                                 const NnMatrix     *y,
                                                 GError            **error);
gboolean        nn_trainer_fit                  (NnTrainer          *self,
                                                 const NnMatrix     *x,
                                                 const NnMatrix     *y,
                                                 const NnMatrix     *val_x,
                                                 const NnMatrix     *val_y,
                                                 GCancellable       *cancellable,
                                                 GError            **error);
void            nn_trainer_stop                 (NnTrainer          *self);
gboolean        nn_trainer_get_stop_requested   (NnTrainer          *self);

void            nn_trainer_set_epoch_value      (NnTrainer          *self,
                                                 const char         *name,
                                                 double              value);
gboolean        nn_trainer_lookup_epoch_value   (NnTrainer          *self,
                                                 const char         *name,
                                                 double             *value);

GArray         *nn_trainer_get_loss_history     (NnTrainer          *self);
GArray         *nn_trainer_get_val_loss_history (NnTrainer          *self);

GVariant       *nn_trainer_save_state           (NnTrainer          *self);
GVariant       *nn_trainer_save_state_without_histories (NnTrainer    *self);
void            nn_trainer_set_loss_histories   (NnTrainer          *self,
                                                 const double       *losses,
                                                 const double       *val_losses,
                                                 guint               n);
gboolean        nn_trainer_load_state           (NnTrainer          *self,
                                                 GVariant           *state,
                                                 GError            **error);

G_END_DECLS
