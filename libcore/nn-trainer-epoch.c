/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-dense-layer-private.h"
#include "nn-errors.h"
#include "nn-model-private.h"
#include "nn-optimizer-private.h"
#include "nn-trainer-private.h"

/* The steps and epochs of an #NnTrainer: its hot loop, which allocates
 * nothing after the first epoch. */

/* ---- the step ------------------------------------------------------------ */

/* torch.nn.utils.clip_grad_norm_: scale by max / (norm + 1e-6) when that
 * is below 1. */
static void
clip_gradients (NnTrainer *self)
{
  double coef = self->clip_norm / (nn_model_get_gradient_norm (self->model) + 1e-6);

  if (!(coef < 1.0))
    return;
  nn_model_scale_gradients (self->model, coef);
}

/* Training diverged: what went wrong, and the usual cure. */
void
nn_trainer_set_diverged_error (NnTrainer  *self,
                               GError    **error,
                               const char *format,
                               ...)
{
  g_autofree char *what = NULL;
  va_list          args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE,
               "%s: training diverged at learning rate %g (a smaller learning rate, "
               "gradient clipping or scaled data usually helps)",
               what,
               nn_optimizer_get_learning_rate (nn_model_get_optimizer (self->model)));
}

/* A callback that failed without saying why still fails with a message. */
void
nn_trainer_propagate_callback_error (GError           **error,
                                     GError            *local_error,
                                     NnTrainerCallback *callback,
                                     const char        *vfunc)
{
  if (local_error != NULL)
    g_propagate_error (error, local_error);
  else
    g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                 "%s's %s failed", G_OBJECT_TYPE_NAME (callback), vfunc);
}

static gboolean
gradients_ready (NnTrainer *self,
                 GError   **error)
{
  for (guint i = 0; i < self->gradient_hooks->len; i++)
    {
      NnTrainerCallback *callback = self->gradient_hooks->pdata[i];
      GError            *local_error = NULL;

      if (!NN_TRAINER_CALLBACK_GET_CLASS (callback)->gradients_ready (callback, self,
                                                                      &local_error))
        {
          nn_trainer_propagate_callback_error (error, local_error, callback,
                                               "gradients_ready");
          return FALSE;
        }
    }
  return TRUE;
}

/* Σ wᵢ lᵢ / Σ wᵢ of the batch the model has just seen, 0 for a batch of
 * weight 0; its weight in @weight_sum. */
static double
weighted_loss (NnTrainer      *self,
               const NnMatrix *pred,
               const NnMatrix *y,
               const double   *w,
               double         *weight_sum)
{
  double sum = 0, wsum = 0;

  nn_loss_compute_rows (nn_model_get_loss (self->model), pred, y, self->row_loss);
  for (guint r = 0; r < pred->rows; r++)
    {
      sum += w[r] * self->row_loss[r];
      wsum += w[r];
    }
  *weight_sum = wsum;
  return wsum > 0 ? sum / wsum : 0;
}

/* The loss of a step is NaN or infinite: why, before any update, or that
 * training diverged. */
void
nn_trainer_set_loss_error (NnTrainer *self,
                           double     loss,
                           GError   **error)
{
  if (nn_optimizer_get_iterations (nn_model_get_optimizer (self->model)) == 0)
    g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE,
                 "the loss is %g before any update: the data or the initial "
                 "weights give outputs the loss cannot take (inputs of very "
                 "large magnitude? scaling the data usually helps)",
                 loss);
  else
    nn_trainer_set_diverged_error (self, error, "the loss became %g", loss);
}

/* One pass over the parameters after the update, which a gradient that
 * is not finite or a step too large for the type spoils, so that training
 * stops at the step that went wrong rather than at the end of the epoch.
 * Returns @loss, or NaN with @error set. */
static double
check_parameters (NnTrainer *self,
                  double     loss,
                  GError   **error)
{
  NnMatrix * const *params;
  guint             n_params;

  params = nn_model_peek_parameters (self->model, &n_params);
  for (guint i = 0; i < n_params; i++)
    if (!nn_matrix_is_finite (params[i]))
      {
        nn_trainer_set_diverged_error (self, error, "the update made a %s of layer %u NaN or "
                                                    "infinite (the loss was %g)",
                                       i % 2 == 0 ? "weight" : "bias", i / 2 + 1, loss);
        return NAN;
      }
  return loss;
}

/* The rest of a step once the gradients of its batch are known: the
 * callbacks' gradients_ready, the regularization's gradient, clipping and
 * the update. Returns @loss, or NaN with @error set. */
double
nn_trainer_finish_step (NnTrainer *self,
                        double     loss,
                        GError   **error)
{
  NnModel *model = self->model;

  if (self->gradient_hooks->len > 0 && !gradients_ready (self, error))
    return NAN;
  nn_model_add_regularization_gradients (model);
  if (self->clip_norm > 0.0)
    clip_gradients (self);
  nn_model_apply_gradients (model);
  /* No pass of its own where the optimizer tested the values as it
   * wrote them. */
  if (nn_optimizer_step_known_finite (nn_model_get_optimizer (model)))
    return loss;
  return check_parameters (self, loss, error);
}

/* Weights of a layer below this fit in a core's first-level cache, where
 * the passes the update within the backward step saves cost less than
 * the bound it keeps instead: 4-64-3 at batch 1 trained 10% slower. */
#define UPDATE_IN_BACKWARD_MIN_WEIGHTS 16384

/* The learning rate of a step on a batch of @rows whose update the layers
 * can make within their backward step, or 0 where the gradients must be
 * there first: kept for the caller, read by a callback, clipping or
 * another process, or the update is other than plain SGD of dense layers
 * without regularization. 0 too unless most of the weights are in layers
 * large enough to gain from it and with batches small enough to check
 * them from a bound: otherwise a pass over their weights after the
 * product costs more than the optimizer's update, which checks them as it
 * writes them. */
static double
update_in_backward (NnTrainer *self,
                    guint      rows)
{
  NnModel     *model = self->model;
  NnOptimizer *optimizer = nn_model_get_optimizer (model);
  guint        n_layers;
  gsize        bounded = 0, unbounded = 0;

  if (self->keep_gradients || self->gradient_hooks->len > 0 || self->clip_norm > 0.0 ||
      self->n_ranks > 1 || !nn_sgd_optimizer_is_plain (optimizer))
    return 0;
  n_layers = nn_model_get_n_layers (model);
  for (guint l = 0; l < n_layers; l++)
    {
      NnLayer      *layer = nn_model_get_layer (model, l);
      NnDenseLayer *dense;
      gsize         n_weights;

      if (!NN_IS_DENSE_LAYER (layer))
        {
          if (nn_layer_get_n_parameters (layer) != 0)
            return 0;
          continue;
        }
      dense = (NnDenseLayer *) layer;
      if (nn_dense_layer_is_regularized (dense))
        return 0;
      n_weights = (gsize) nn_layer_get_n_inputs (layer) * nn_layer_get_n_outputs (layer);
      if (n_weights >= UPDATE_IN_BACKWARD_MIN_WEIGHTS && nn_dense_layer_bound_pays (dense, rows))
        bounded += n_weights;
      else
        unbounded += n_weights;
    }
  if (bounded <= unbounded)
    return 0;
  return nn_optimizer_get_learning_rate (optimizer);
}

/* check_parameters() after the updates within the backward step, which
 * only dense layers make: their weights from the bound those keep. */
static double
check_updated_layers (NnTrainer *self,
                      double     loss,
                      GError   **error)
{
  NnModel          *model = self->model;
  NnMatrix * const *params;
  guint             n_params, n_layers = nn_model_get_n_layers (model), p = 0;

  params = nn_model_peek_parameters (model, &n_params);
  for (guint l = 0; l < n_layers; l++)
    {
      NnLayer *layer = nn_model_get_layer (model, l);

      if (!NN_IS_DENSE_LAYER (layer))
        continue;
      if (!nn_dense_layer_weights_are_finite ((NnDenseLayer *) layer) ||
          !nn_matrix_is_finite (params[p + 1]))
        return check_parameters (self, loss, error);
      p += 2;
    }
  return loss;
}

/* The dense layers' way of training from now on: updating within the
 * backward step at @lr (0: not), keeping their pre-activations or not. */
static void
set_step_mode (NnModel *model,
               double   lr,
               gboolean keep_z)
{
  guint n_layers = nn_model_get_n_layers (model);

  for (guint l = 0; l < n_layers; l++)
    {
      NnLayer *layer = nn_model_get_layer (model, l);

      if (NN_IS_DENSE_LAYER (layer))
        {
          nn_dense_layer_set_update_rate ((NnDenseLayer *) layer, lr);
          nn_dense_layer_set_keep_z ((NnDenseLayer *) layer, keep_z);
        }
    }
}

/* One step on a batch, weighted by @w if not NULL (then its weight goes to
 * @weight_sum). Inlined where @w is known to be NULL, so that a step
 * without weights tests nothing more. */
G_ALWAYS_INLINE static inline double
train_step (NnTrainer      *self,
            const NnMatrix *x,
            const NnMatrix *y,
            const double   *w,
            double         *weight_sum,
            GError        **error)
{
  NnModel *model = self->model;
  double   loss, lr;
  gboolean keep_z, manage_mode;

  if (G_UNLIKELY (x->rows < nn_model_get_min_training_batch (model)))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "a training batch of %u sample%s: the model's batch normalization "
                   "needs at least %u to estimate a variance",
                   x->rows, x->rows == 1 ? "" : "s", nn_model_get_min_training_batch (model));
      return NAN;
    }
  /* A step trains, whatever mode a callback left the model in. */
  nn_model_set_training (model, TRUE);
  keep_z = self->keep_pre_activations;
  if (self->plan.active)
    {
      /* In an epoch the layers keep their mode from step to step. */
      if (self->plan.rows != x->rows)
        {
          self->plan.lr = update_in_backward (self, x->rows);
          self->plan.rows = x->rows;
          set_step_mode (model, self->plan.lr, keep_z);
        }
      lr = self->plan.lr;
      manage_mode = FALSE;
    }
  else
    {
      lr = update_in_backward (self, x->rows);
      manage_mode = lr != 0 || !keep_z;
      if (manage_mode)
        set_step_mode (model, lr, keep_z);
    }
  /* The loss of the batch and the layers' regularization at the weights
   * it was computed with, as `criterion (out, y) + penalty` in PyTorch. */
  if (w == NULL)
    loss = nn_loss_compute (nn_model_get_loss (model), nn_model_forward (model, x), y);
  else
    loss = weighted_loss (self, nn_model_forward (model, x), y, w, weight_sum);
  loss += nn_model_get_regularization_loss (model);
  if (!isfinite (loss))
    {
      if (manage_mode)
        set_step_mode (model, 0, TRUE);
      nn_trainer_set_loss_error (self, loss, error);
      return NAN;
    }
  if (w == NULL)
    nn_model_backward (model, x, y);
  else
    nn_model_backward_weighted (model, x, y, w);
  if (manage_mode)
    set_step_mode (model, 0, TRUE);
  if (lr == 0)
    return nn_trainer_finish_step (self, loss, error);
  nn_optimizer_count_step (nn_model_get_optimizer (model));
  return check_updated_layers (self, loss, error);
}

/**
 * nn_trainer_train_step:
 * @self: a #NnTrainer
 * @x: a batch of inputs
 * @y: its targets
 * @error: return location for a #GError
 *
 * One forward step, one backward step, the callbacks' @gradients_ready,
 * the gradient of the layers' regularization
 * ([method@Nn.Model.add_regularization_gradients]), gradient clipping if
 * [property@Nn.Trainer:clip-norm] is set, and one optimizer update
 * ([method@Nn.Model.apply_gradients]).
 *
 * Under data parallelism (nn_trainer_set_data_parallel()) every process
 * passes the same whole batch, trains its shard of it, and all apply the
 * same update.
 *
 * Divergence stops training at once, with %NN_MODEL_ERROR_NOT_FINITE and a
 * message giving the likely cause: a loss that is NaN or infinite (the
 * update is then not applied, so the parameters stay as they were), or a
 * parameter that the update made NaN or infinite.
 *
 * Returns: the loss of the batch before the update, with the layers'
 *   regularization ([method@Nn.Model.get_regularization_loss]) added, or NaN
 *   with @error set
 */
double
nn_trainer_train_step (NnTrainer      *self,
                       const NnMatrix *x,
                       const NnMatrix *y,
                       GError        **error)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), NAN);
  g_return_val_if_fail (NN_IS_LOSS (nn_model_get_loss (self->model)), NAN);
  g_return_val_if_fail (NN_IS_OPTIMIZER (nn_model_get_optimizer (self->model)), NAN);
  g_return_val_if_fail (x != NULL && y != NULL && x->rows == y->rows, NAN);
  g_return_val_if_fail (error == NULL || *error == NULL, NAN);

  /* A step outside an epoch is named by the updates made so far. */
  nn_model_set_step (self->model, self->seed, self->epoch,
                     G_MAXUINT - (guint) nn_optimizer_get_iterations (nn_model_get_optimizer (self->model)));
  if (self->n_ranks > 1)
    {
      double weight;

      return nn_trainer_parallel_step (self, x, y, NULL, NULL, &weight, error);
    }
  return train_step (self, x, y, NULL, NULL, error);
}

/**
 * nn_trainer_set_sample_weights:
 * @self: a #NnTrainer
 * @weights: (nullable) (array length=n_weights): a weight per sample of the
 *   training data, at least 0, or %NULL for none
 * @n_weights: the number of samples
 *
 * Weighs the samples of the training data that [method@Nn.Trainer.fit] and
 * [method@Nn.Trainer.train_epoch] are given, which must then have @n_weights
 * samples: the loss of a batch becomes Σ wᵢ lᵢ / Σ wᵢ (a batch of weight 0
 * gives a loss and a gradient of 0), its gradient the gradient of that
 * ([method@Nn.Model.backward_weighted]), and the loss of an epoch the weighted
 * mean over all its samples, Σ wᵢ lᵢ / Σ wᵢ. The weights are copied.
 */
void
nn_trainer_set_sample_weights (NnTrainer    *self,
                               const double *weights,
                               guint         n_weights)
{
  g_return_if_fail (NN_IS_TRAINER (self));
  g_return_if_fail (weights != NULL || n_weights == 0);

  g_clear_pointer (&self->weights, g_free);
  g_clear_pointer (&self->batch_w, g_free);
  g_clear_pointer (&self->row_loss, g_free);
  self->n_weights = 0;
  self->weight_sum = 0;
  if (weights == NULL)
    return;
  for (guint i = 0; i < n_weights; i++)
    {
      g_return_if_fail (weights[i] >= 0 && isfinite (weights[i]));
      self->weight_sum += weights[i];
    }
  self->weights = g_memdup2 (weights, (gsize) n_weights * sizeof (double));
  self->n_weights = n_weights;
  self->batch_w = g_new (double, MAX (n_weights, 1));
  self->row_loss = g_new (double, MAX (n_weights, 1));
}

/* ---- the epoch ----------------------------------------------------------- */

static NnMatrix *
ensure_rows (NnMatrix *m,
             guint     rows,
             guint     cols)
{
  if (m != NULL && m->rows >= rows && m->cols == cols)
    return m;
  nn_matrix_free (m);
  return nn_matrix_new (rows, cols);
}

/* The seed array of the shuffling stream of @epoch. */
#define SHUFFLE_STREAM_TAG 0x5eed

static void
shuffle_order (NnTrainer *self,
               guint      n)
{
  guint32 seeds[3] = { (guint32) self->seed, self->epoch, SHUFFLE_STREAM_TAG };

  if (self->order_len != n)
    {
      g_free (self->order);
      self->order = g_new (guint, n);
      self->order_len = n;
    }
  for (guint i = 0; i < n; i++)
    self->order[i] = i;
  /* Fisher–Yates, from this epoch's own stream. */
  g_rand_set_seed_array (self->shuffle_rand, seeds, G_N_ELEMENTS (seeds));
  for (guint i = n - 1; i > 0; i--)
    {
      guint j = g_rand_int_range (self->shuffle_rand, 0, (gint32) i + 1);
      guint t = self->order[i];
      self->order[i] = self->order[j];
      self->order[j] = t;
    }
}

static void
apply_schedule (NnTrainer *self)
{
  NnOptimizer *optimizer = nn_model_get_optimizer (self->model);

  if (self->schedule == NULL || optimizer == NULL)
    return;
  if (self->scheduled != optimizer)
    {
      /* A new optimizer of the model: the old one gets its rate back. */
      nn_trainer_restore_base_learning_rate (self);
      self->scheduled = g_object_ref (optimizer);
      self->base_lr = nn_optimizer_get_learning_rate (optimizer);
    }
  nn_optimizer_set_learning_rate (optimizer,
                                  nn_schedule_get_learning_rate (self->schedule, self->base_lr,
                                                                 self->epoch));
}

/* Cancelled before the batch at @start: how far the epoch got, and what
 * it was trained with. */
static void
stop_part_way (NnTrainer *self,
               guint      start,
               double     total,
               guint      bs,
               guint      n,
               gboolean   shuffle)
{
  self->part_samples = start;
  self->part_loss_sum = total;
  self->part_batch_size = bs;
  self->part_n_samples = n;
  self->part_shuffle = shuffle;
  self->peer_cancelled = FALSE;
}

/* The batch of @rows samples at @start of the epoch's order into @bx, @by;
 * returns its sample weights, or NULL without. */
static const double *
gather_batch (NnTrainer      *self,
              const NnMatrix *x,
              const NnMatrix *y,
              guint           start,
              guint           rows,
              gboolean        shuffle,
              NnMatrix       *bx,
              NnMatrix       *by)
{
  if (!shuffle)
    {
      *bx = nn_matrix_view_rows (x, start, rows);
      *by = nn_matrix_view_rows (y, start, rows);
      return self->weights != NULL ? self->weights + start : NULL;
    }
  *bx = nn_matrix_view (self->batch_x->data, rows, x->cols);
  *by = nn_matrix_view (self->batch_y->data, rows, y->cols);
  nn_matrix_gather_rows (x, self->order + start, rows, bx);
  nn_matrix_gather_rows (y, self->order + start, rows, by);
  if (self->weights == NULL)
    return NULL;
  for (guint r = 0; r < rows; r++)
    self->batch_w[r] = self->weights[self->order[start + r]];
  return self->batch_w;
}

/* The batches of the epoch from sample @start on, adding their losses to
 * @total: the sum, or NaN with @error set. */
static double
run_batches (NnTrainer      *self,
             const NnMatrix *x,
             const NnMatrix *y,
             guint           start,
             guint           bs,
             gboolean        shuffle,
             double          total,
             GCancellable   *cancellable,
             GError        **error)
{
  guint n = x->rows;

  for (; start < n; start += bs)
    {
      guint         rows = MIN (bs, n - start);
      NnMatrix      bx, by;
      const double *bw;
      double        loss, weight = rows;

      /* Across processes, all stop at the batch the step's sum says any
       * of them was cancelled before. */
      if (self->n_ranks > 1 ? self->peer_cancelled : g_cancellable_is_cancelled (cancellable))
        {
          stop_part_way (self, start, total, bs, n, shuffle);
          if (!g_cancellable_set_error_if_cancelled (cancellable, error))
            g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                 "training was stopped in another process");
          return NAN;
        }

      bw = gather_batch (self, x, y, start, rows, shuffle, &bx, &by);
      nn_model_set_step (self->model, self->seed, self->epoch, start / bs);
      if (self->n_ranks > 1)
        loss = nn_trainer_parallel_step (self, &bx, &by, bw, cancellable, &weight, error);
      else
        loss = bw == NULL ? train_step (self, &bx, &by, NULL, NULL, error)
                          : train_step (self, &bx, &by, bw, &weight, error);
      if (isnan (loss))
        {
          g_prefix_error (error, "batch %u: ", start / bs + 1);
          return NAN;
        }
      total += loss * weight;
    }
  return total;
}

/* Trains the rest of the current epoch; on success counts it in
 * self->epoch. When cancelled, remembers how far it got. */
double
nn_trainer_run_epoch (NnTrainer      *self,
                      const NnMatrix *x,
                      const NnMatrix *y,
                      GCancellable   *cancellable,
                      GError        **error)
{
  guint    n = x->rows, bs;
  guint    start = 0;
  gboolean shuffle = self->shuffle;
  double   total = 0.0;

  /* Code between epochs may have written the weights through a matrix
   * handed out before: the dense layers' bounds on them no longer hold. */
  nn_model_forget_weight_bounds (self->model);
  bs = (self->batch_size == 0 || self->batch_size > n) ? n : self->batch_size;
  if (self->weights != NULL && self->n_weights != n)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the sample weights are for %u samples, the training data has %u",
                   self->n_weights, n);
      return NAN;
    }

  if (self->part_samples > 0)
    {
      if (self->part_n_samples != n || self->part_batch_size != bs ||
          self->part_shuffle != shuffle)
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                       "epoch %u stopped after %u of %u samples in batches of %u%s and "
                       "can only continue with the same data, batch size and shuffling",
                       self->epoch + 1, self->part_samples, self->part_n_samples,
                       self->part_batch_size, self->part_shuffle ? ", shuffled" : "");
          return NAN;
        }
      start = self->part_samples;
      total = self->part_loss_sum;
    }

  apply_schedule (self);
  if (shuffle)
    {
      shuffle_order (self, n);
      self->batch_x = ensure_rows (self->batch_x, bs, x->cols);
      self->batch_y = ensure_rows (self->batch_y, bs, y->cols);
    }

  /* No code of the caller runs between the steps of an epoch: how the
   * layers step is worked out once for each batch size, and they are put
   * back as they were after the last. */
  self->plan = (StepPlan){ TRUE, 0, 0 };
  total = run_batches (self, x, y, start, bs, shuffle, total, cancellable, error);
  if (self->plan.rows != 0)
    set_step_mode (self->model, 0, TRUE);
  self->plan = (StepPlan){ FALSE, 0, 0 };
  if (isnan (total))
    return NAN;

  if (self->n_ranks > 1 && !nn_trainer_parallel_end_epoch (self, error))
    return NAN;
  nn_trainer_count_epoch (self);
  if (self->weights != NULL)
    return self->weight_sum > 0 ? total / self->weight_sum : 0;
  return total / n;
}

/**
 * nn_trainer_train_epoch:
 * @self: a #NnTrainer
 * @x: the training inputs, samples × inputs
 * @y: the training targets, samples × outputs
 * @error: return location for a #GError
 *
 * Trains epoch [property@Nn.Trainer:epoch] (from 0) in batches of
 * [property@Nn.Trainer:batch-size], shuffled if [property@Nn.Trainer:shuffle]
 * is set, with the learning rate the schedule gives it, and adds one to
 * [property@Nn.Trainer:epoch]. If an earlier [method@Nn.Trainer.fit] was
 * cancelled part-way through the epoch, only its remaining batches are trained,
 * which needs the same @x, batch size and shuffling. Neither the history nor
 * the callbacks' epoch vfuncs are involved; for those, [method@Nn.Trainer.fit].
 *
 * Returns: the mean of the batch losses of the epoch weighted by their samples
 *   (by their sample weights, with [method@Nn.Trainer.set_sample_weights]), or
 *   NaN with @error set
 */
double
nn_trainer_train_epoch (NnTrainer      *self,
                        const NnMatrix *x,
                        const NnMatrix *y,
                        GError        **error)
{
  CHECK_TRAINING_DATA (self, x, y, NAN);
  g_return_val_if_fail (error == NULL || *error == NULL, NAN);

  return nn_trainer_run_epoch (self, x, y, NULL, error);
}

/* ---- the values of an epoch ---------------------------------------------- */

/**
 * nn_trainer_set_epoch_value:
 * @self: a #NnTrainer
 * @name: the name of a value, e.g. `val_accuracy`
 * @value: its value in the epoch being finished
 *
 * Passes a value of the epoch on to the callbacks after this one, as
 * Keras' `logs`: early stopping monitors a value by its name. The trainer
 * forgets every value when the next epoch begins, and sets `epoch`, `loss`,
 * `learning_rate` and, with validation data, `val_loss` itself before any
 * callback's @epoch_end. After the first epoch, setting a name already used
 * allocates nothing.
 */
void
nn_trainer_set_epoch_value (NnTrainer  *self,
                            const char *name,
                            double      value)
{
  GQuark     quark;
  EpochValue v;

  g_return_if_fail (NN_IS_TRAINER (self));
  g_return_if_fail (name != NULL);

  quark = g_quark_from_string (name);
  for (guint i = 0; i < self->epoch_values->len; i++)
    {
      EpochValue *e = &g_array_index (self->epoch_values, EpochValue, i);

      if (e->name == quark)
        {
          e->value = value;
          return;
        }
    }
  v.name = quark;
  v.value = value;
  g_array_append_val (self->epoch_values, v);
}

/**
 * nn_trainer_lookup_epoch_value:
 * @self: a #NnTrainer
 * @name: the name of a value
 * @value: (out) (optional): where to store it
 *
 * Reads a value of the epoch being finished, set by the trainer or by a
 * callback before this one ([method@Nn.Trainer.set_epoch_value]).
 *
 * Returns: %TRUE if the epoch has a value of that name
 */
gboolean
nn_trainer_lookup_epoch_value (NnTrainer  *self,
                               const char *name,
                               double     *value)
{
  GQuark quark;

  g_return_val_if_fail (NN_IS_TRAINER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  quark = g_quark_try_string (name);
  for (guint i = 0; quark != 0 && i < self->epoch_values->len; i++)
    {
      const EpochValue *e = &g_array_index (self->epoch_values, EpochValue, i);

      if (e->name == quark)
        {
          if (value != NULL)
            *value = e->value;
          return TRUE;
        }
    }
  return FALSE;
}
