/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "nn-trainer.h"

G_BEGIN_DECLS

/* The trainer is in these files: nn-trainer.c (the object), nn-trainer-fit.c
 * (the fit loop with its callbacks), nn-trainer-epoch.c (steps and epochs:
 * the hot loop), nn-trainer-parallel.c (data parallelism) and
 * nn-trainer-state.c (saving and loading its state). */

/* How the dense layers step, worked out once for each batch size of an
 * epoch (see nn_trainer_run_epoch()). */
typedef struct {
  gboolean active; /* within nn_trainer_run_epoch() */
  guint    rows;   /* of the batches planned for, 0 for none yet */
  double   lr;     /* the rate of updates within the backward step, or 0 */
} StepPlan;

struct _NnTrainer
{
  GObject parent_instance;

  NnModel     *model;
  guint        epochs;        /* the epoch count nn_trainer_fit() trains up to */
  guint        batch_size;
  gboolean     shuffle;
  guint64      seed;
  double       clip_norm;
  NnSchedule  *schedule;
  NnOptimizer *scheduled;     /* the optimizer whose base rate is base_lr */
  double       base_lr;       /* the rate the schedule scales */

  guint        epoch;         /* epochs completed */
  gboolean     stop_requested;
  gboolean     keep_gradients; /* nn_trainer_set_keep_gradients() */
  gboolean     keep_pre_activations; /* nn_trainer_set_keep_pre_activations() */
  StepPlan     plan;

  /* An epoch stopped part-way (cancelled after a batch): its samples done,
   * their loss sum, and what it was trained with, which must not change. */
  guint        part_samples;
  double       part_loss_sum;
  guint        part_batch_size;
  guint        part_n_samples;
  gboolean     part_shuffle;

  GPtrArray   *callbacks;       /* NnTrainerCallback */
  GPtrArray   *gradient_hooks;  /* those with gradients_ready, borrowed */
  gboolean     fitting;
  GArray      *epoch_values;    /* EpochValue, of the epoch being finished */

  /* Work space, grown to the largest batch and then reused. */
  GRand       *shuffle_rand;  /* re-seeded for each epoch */
  NnMatrix    *batch_x;
  NnMatrix    *batch_y;
  guint       *order;
  guint        order_len;

  /* Sample weights of the training data (NULL: none), their sum, and the
   * weights and losses of a batch. */
  double      *weights;
  guint        n_weights;
  double       weight_sum;
  double      *batch_w;
  double      *row_loss;

  /* Data parallelism (nn_trainer_set_data_parallel()): this process's
   * shard of every batch, the sum across processes, and its buffer, the
   * gradients and a few values of a step in one piece, sized once. */
  guint        rank;
  guint        n_ranks;
  NnTrainerAllreduceFunc allreduce;
  gpointer     allreduce_data;
  nn_real     *reduce_buf;
  gsize        reduce_len;
  gboolean     peer_cancelled;  /* a process was cancelled before the last step */

  GArray      *loss_history;      /* double */
  GArray      *val_loss_history;  /* double, NAN without validation data */
};

typedef struct {
  GQuark name;
  double value;
} EpochValue;

/* What every public entry to training needs. */
#define CHECK_TRAINING_DATA(self, x, y, val)                                         \
  G_STMT_START {                                                                     \
    g_return_val_if_fail (NN_IS_TRAINER (self), val);                                \
    g_return_val_if_fail (NN_IS_LOSS (nn_model_get_loss ((self)->model)), val);      \
    g_return_val_if_fail (NN_IS_OPTIMIZER (nn_model_get_optimizer ((self)->model)), val); \
    g_return_val_if_fail ((x) != NULL && (y) != NULL && (x)->rows == (y)->rows &&    \
                          (x)->rows > 0, val);                                       \
  } G_STMT_END

void     nn_trainer_restore_base_learning_rate (NnTrainer          *self);
void     nn_trainer_count_epoch                (NnTrainer          *self);
double   nn_trainer_run_epoch                  (NnTrainer          *self,
                                                const NnMatrix     *x,
                                                const NnMatrix     *y,
                                                GCancellable       *cancellable,
                                                GError            **error);
void     nn_trainer_set_loss_error         (NnTrainer          *self,
                                                double              loss,
                                                GError            **error);
double   nn_trainer_finish_step                (NnTrainer          *self,
                                                double              loss,
                                                GError            **error);

/* nn-trainer-parallel.c */
double   nn_trainer_parallel_step              (NnTrainer          *self,
                                                const NnMatrix     *x,
                                                const NnMatrix     *y,
                                                const double       *w,
                                                GCancellable       *cancellable,
                                                double             *weight,
                                                GError            **error);
gboolean nn_trainer_parallel_end_epoch         (NnTrainer          *self,
                                                GError            **error);
gboolean nn_trainer_parallel_agree_stop        (NnTrainer          *self,
                                                GError            **error);

void     nn_trainer_set_diverged_error         (NnTrainer          *self,
                                                GError            **error,
                                                const char         *format,
                                                ...) G_GNUC_PRINTF (3, 4);
void     nn_trainer_propagate_callback_error   (GError            **error,
                                                GError             *local_error,
                                                NnTrainerCallback  *callback,
                                                const char         *vfunc);

G_END_DECLS
