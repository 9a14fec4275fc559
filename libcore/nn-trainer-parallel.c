/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-errors.h"
#include "nn-model-private.h"
#include "nn-trainer-private.h"

/* Synchronous data parallelism: every process holds the whole data and
 * the same model, trains its contiguous shard of each batch, and one sum
 * across processes per step makes every gradient the gradient of the
 * whole batch, so that every process applies the same update. The sum
 * itself is the caller's (MPI in nnrun): the library knows only a
 * function that adds arrays element-wise across processes. */

/* After the gradients in the step's buffer: the batch loss of this shard
 * and whether this process was cancelled. */
enum {
  EXTRA_LOSS,
  EXTRA_CANCELLED,
  N_EXTRA
};

/**
 * nn_trainer_set_data_parallel:
 * @self: a #NnTrainer
 * @rank: this process's place among the processes, from 0
 * @n_ranks: the number of processes, 1 for training alone
 * @allreduce: (scope forever) (nullable): sums arrays across the
 *   processes, %NULL with @n_ranks 1
 * @user_data: (closure allreduce): its data
 *
 * Makes the trainer one of @n_ranks processes that train the same model
 * on the same data together: each batch is split into @n_ranks contiguous
 * shards, this process computes the gradient of shard @rank only, scaled
 * by the shard's share of the batch (its samples, or its sample weights),
 * and one call to @allreduce per step sums the gradients and the loss, so
 * that every process applies the update one process would have applied to
 * the whole batch. The histories match one process's to rounding.
 *
 * Every process must be given the same data, seed and settings. The
 * decisions of a fit are the same in all of them: nn_trainer_stop() in any
 * process stops all after the epoch, a cancellation in any stops all after
 * the next batch, and a loss that is not finite is seen by all. The layers'
 * buffers (batch normalization's running statistics, computed per shard)
 * are averaged across the processes at the end of each epoch. The
 * callbacks' @gradients_ready sees the summed gradients.
 */
void
nn_trainer_set_data_parallel (NnTrainer             *self,
                              guint                  rank,
                              guint                  n_ranks,
                              NnTrainerAllreduceFunc allreduce,
                              gpointer               user_data)
{
  g_return_if_fail (NN_IS_TRAINER (self));
  g_return_if_fail (n_ranks >= 1 && rank < n_ranks);
  g_return_if_fail (n_ranks == 1 || allreduce != NULL);
  g_return_if_fail (!self->fitting);

  self->rank = rank;
  self->n_ranks = n_ranks;
  self->allreduce = allreduce;
  self->allreduce_data = user_data;
  self->peer_cancelled = FALSE;
}

/**
 * nn_trainer_get_rank:
 * @self: a #NnTrainer
 *
 * Gets the rank of this process in data-parallel training.
 *
 * Returns: this process's place among the processes training together
 *   (nn_trainer_set_data_parallel()), 0 for training alone
 */
guint
nn_trainer_get_rank (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), 0);

  return self->rank;
}

/**
 * nn_trainer_get_n_ranks:
 * @self: a #NnTrainer
 *
 * Gets the number of processes in data-parallel training.
 *
 * Returns: the number of processes training together
 *   (nn_trainer_set_data_parallel()), 1 for training alone
 */
guint
nn_trainer_get_n_ranks (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), 1);

  return self->n_ranks;
}

static gsize
matrices_size (NnMatrix * const *m,
               guint             n)
{
  gsize size = 0;

  for (guint i = 0; i < n; i++)
    size += nn_matrix_size (m[i]);
  return size;
}

/* The buffer, large enough for @len values: sized at the first step. */
static nn_real *
reduce_buffer (NnTrainer *self,
               gsize      len)
{
  if (self->reduce_len < len)
    {
      g_free (self->reduce_buf);
      self->reduce_buf = g_new (nn_real, len);
      self->reduce_len = len;
    }
  return self->reduce_buf;
}

static gboolean
allreduce (NnTrainer *self,
           nn_real   *values,
           gsize      n,
           GError   **error)
{
  if (!self->allreduce (values, n, self->allreduce_data, error))
    {
      g_prefix_error (error, "the sum across processes failed: ");
      return FALSE;
    }
  return TRUE;
}

/* Forward and backward on this process's shard, its gradient scaled by
 * the shard's share of the batch into @buf; its part of the batch loss
 * returned. */
static double
shard_gradients (NnTrainer      *self,
                 const NnMatrix *sx,
                 const NnMatrix *sy,
                 const double   *sw,
                 double          batch_weight,
                 nn_real        *buf)
{
  NnModel          *model = self->model;
  NnLoss           *loss = nn_model_get_loss (model);
  const NnMatrix   *pred = nn_model_forward (model, sx);
  NnMatrix * const *grads;
  guint             n_grads;
  double            sum = 0, shard_weight = 0, scale;
  gsize             k = 0;

  /* Σ wᵢ lᵢ of the shard: its loss is that over the batch's Σ wᵢ. */
  if (sw == NULL)
    {
      shard_weight = sx->rows;
      sum = nn_loss_compute (loss, pred, sy) * sx->rows;
      nn_model_backward (model, sx, sy);
    }
  else
    {
      nn_loss_compute_rows (loss, pred, sy, self->row_loss);
      for (guint r = 0; r < sx->rows; r++)
        {
          sum += sw[r] * self->row_loss[r];
          shard_weight += sw[r];
        }
      nn_model_backward_weighted (model, sx, sy, sw);
    }
  /* The gradient of the shard's own mean, times its share of the batch:
   * the shards' sum is the gradient of the batch's mean. */
  scale = batch_weight > 0 ? shard_weight / batch_weight : 0;
  grads = nn_model_peek_gradients (model, &n_grads);
  for (guint i = 0; i < n_grads; i++)
    {
      gsize n = nn_matrix_size (grads[i]);

      for (gsize j = 0; j < n; j++)
        buf[k++] = (nn_real) (grads[i]->data[j] * scale);
    }
  return batch_weight > 0 ? sum / batch_weight : 0;
}

/* Whether a shard is too small for the model; the same answer in every
 * process, which knows every shard's size. */
static gboolean
check_shards (NnTrainer *self,
              guint      rows,
              GError   **error)
{
  guint need = nn_model_get_min_training_batch (self->model);
  guint smallest = rows >= self->n_ranks ? rows / self->n_ranks : 1;

  if (smallest >= need)
    return TRUE;
  g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
               "a training batch of %u sample%s split across %u processes leaves "
               "shards of %u: the model's batch normalization needs at least %u in "
               "each to estimate a variance",
               rows, rows == 1 ? "" : "s", self->n_ranks, smallest, need);
  return FALSE;
}

/* One step of data-parallel training on the batch @x, @y (weighted by @w
 * if not NULL; the batch's weight then goes to @weight): what
 * train_step() does, with this process's shard and one sum across
 * processes. Returns the loss of the whole batch. */
double
nn_trainer_parallel_step (NnTrainer      *self,
                          const NnMatrix *x,
                          const NnMatrix *y,
                          const double   *w,
                          GCancellable   *cancellable,
                          double         *weight,
                          GError        **error)
{
  NnModel          *model = self->model;
  NnMatrix * const *grads;
  guint             n_grads, rows = x->rows;
  guint             lo = (guint) ((guint64) rows * self->rank / self->n_ranks);
  guint             hi = (guint) ((guint64) rows * (self->rank + 1) / self->n_ranks);
  double            batch_weight = rows, loss;
  gsize             n, k = 0;
  nn_real          *buf;

  if (!check_shards (self, rows, error))
    return NAN;
  grads = nn_model_peek_gradients (model, &n_grads);
  n = matrices_size (grads, n_grads);
  buf = reduce_buffer (self, n + N_EXTRA);
  if (w != NULL)
    {
      batch_weight = 0;
      for (guint r = 0; r < rows; r++)
        batch_weight += w[r];
      *weight = batch_weight;
    }

  nn_model_set_training (model, TRUE);
  if (hi > lo)
    {
      NnMatrix sx = nn_matrix_view_rows (x, lo, hi - lo);
      NnMatrix sy = nn_matrix_view_rows (y, lo, hi - lo);

      nn_model_set_step_first_row (model, lo);
      buf[n + EXTRA_LOSS] = (nn_real) shard_gradients (self, &sx, &sy, w ? w + lo : NULL,
                                                       batch_weight, buf);
    }
  else
    {
      /* A last batch with fewer samples than processes. */
      for (gsize j = 0; j < n; j++)
        buf[j] = 0;
      buf[n + EXTRA_LOSS] = 0;
    }
  buf[n + EXTRA_CANCELLED] = g_cancellable_is_cancelled (cancellable) ? 1 : 0;
  if (!allreduce (self, buf, n + N_EXTRA, error))
    return NAN;
  self->peer_cancelled = buf[n + EXTRA_CANCELLED] > 0;

  /* The sum decides for every process alike. */
  loss = buf[n + EXTRA_LOSS] + nn_model_get_regularization_loss (model);
  if (!isfinite (loss))
    {
      nn_trainer_set_loss_error (self, loss, error);
      return NAN;
    }
  for (guint i = 0; i < n_grads; i++)
    {
      gsize m = nn_matrix_size (grads[i]);

      for (gsize j = 0; j < m; j++)
        grads[i]->data[j] = buf[k++];
    }
  return nn_trainer_finish_step (self, loss, error);
}

/* The end of an epoch: the layers' buffers, trained on each shard alone,
 * become their mean across processes, so that every process validates
 * and saves the same model. */
gboolean
nn_trainer_parallel_end_epoch (NnTrainer *self,
                               GError   **error)
{
  GPtrArray        *buffers = nn_model_peek_buffer_array (self->model);
  NnMatrix * const *m = (NnMatrix * const *) buffers->pdata;
  gsize             n = matrices_size (m, buffers->len), k = 0;
  nn_real          *buf;

  if (n == 0)
    return TRUE;
  buf = reduce_buffer (self, n);
  for (guint i = 0; i < buffers->len; i++)
    for (gsize j = 0; j < nn_matrix_size (m[i]); j++)
      buf[k++] = m[i]->data[j];
  if (!allreduce (self, buf, n, error))
    return FALSE;
  k = 0;
  for (guint i = 0; i < buffers->len; i++)
    for (gsize j = 0; j < nn_matrix_size (m[i]); j++)
      m[i]->data[j] = (nn_real) (buf[k++] / self->n_ranks);
  return TRUE;
}

/* After an epoch: a stop asked for in any process (early stopping runs in
 * the one that writes the run) stops every one. */
gboolean
nn_trainer_parallel_agree_stop (NnTrainer *self,
                                GError   **error)
{
  nn_real flag = self->stop_requested ? 1 : 0;

  if (!allreduce (self, &flag, 1, error))
    return FALSE;
  if (flag > 0)
    self->stop_requested = TRUE;
  return TRUE;
}
