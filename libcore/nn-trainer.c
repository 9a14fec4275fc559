/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-errors.h"
#include "nn-trainer-private.h"

/**
 * NnTrainer:
 *
 * Trains an #NnModel: epochs of mini-batches, the shuffling of each epoch,
 * the learning-rate schedule, gradient clipping, the check for divergence,
 * the state of an epoch stopped part-way, and the loss of every epoch. The
 * model only computes (forward, backward, its parameters and their
 * gradients); the loop lives here, as Keras' `Model.fit` lives apart from
 * its layers.
 *
 * What happens around an epoch is an #NnTrainerCallback: recording a
 * history, metrics, early stopping ([class@Nn.EarlyStopping]), checkpoints,
 * progress. nn_trainer_add_callback() adds one, and nn_trainer_fit() calls
 * them in the order they were added; a callback that must see every step
 * has a @gradients_ready vfunc. nn_trainer_set_data_parallel() makes the
 * trainer one of several processes that train together, each on its
 * shard of every batch.
 *
 * The order of the samples in epoch `e` (counting from 0) comes from a random
 * stream of its own, seeded with ([property@Nn.Trainer:seed], e), so it depends
 * on nothing but the seed and the epoch: training can stop after any batch and
 * resume from a saved state ([method@Nn.Trainer.save_state]) with exactly the
 * steps it would have taken.
 *
 * The trainer counts the epochs it has trained in [property@Nn.Trainer:epoch],
 * and [method@Nn.Trainer.fit] trains until it reaches
 * [property@Nn.Trainer:epochs]. An optional [property@Nn.Trainer:schedule] sets
 * the optimizer's learning rate at the start of each epoch, and
 * [property@Nn.Trainer:clip-norm] clips the gradients before each update. After
 * the first epoch, training allocates nothing.
 */
G_DEFINE_FINAL_TYPE (NnTrainer, nn_trainer, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MODEL,
  PROP_EPOCHS,
  PROP_BATCH_SIZE,
  PROP_SHUFFLE,
  PROP_SEED,
  PROP_CLIP_NORM,
  PROP_SCHEDULE,
  PROP_EPOCH,
  PROP_KEEP_GRADIENTS,
  PROP_KEEP_PRE_ACTIVATIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nn_trainer_dispose (GObject *object)
{
  NnTrainer *self = NN_TRAINER (object);

  g_clear_pointer (&self->gradient_hooks, g_ptr_array_unref);
  g_clear_pointer (&self->callbacks, g_ptr_array_unref);
  g_clear_object (&self->schedule);
  g_clear_object (&self->scheduled);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (nn_trainer_parent_class)->dispose (object);
}

static void
nn_trainer_finalize (GObject *object)
{
  NnTrainer *self = NN_TRAINER (object);

  g_clear_pointer (&self->shuffle_rand, g_rand_free);
  g_clear_pointer (&self->batch_x, nn_matrix_free);
  g_clear_pointer (&self->batch_y, nn_matrix_free);
  g_clear_pointer (&self->order, g_free);
  g_clear_pointer (&self->weights, g_free);
  g_clear_pointer (&self->batch_w, g_free);
  g_clear_pointer (&self->row_loss, g_free);
  g_clear_pointer (&self->reduce_buf, g_free);
  g_clear_pointer (&self->epoch_values, g_array_unref);
  g_clear_pointer (&self->loss_history, g_array_unref);
  g_clear_pointer (&self->val_loss_history, g_array_unref);

  G_OBJECT_CLASS (nn_trainer_parent_class)->finalize (object);
}

static void
nn_trainer_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  NnTrainer *self = NN_TRAINER (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;
    case PROP_EPOCHS:
      g_value_set_uint (value, self->epochs);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_uint (value, self->batch_size);
      break;
    case PROP_SHUFFLE:
      g_value_set_boolean (value, self->shuffle);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_CLIP_NORM:
      g_value_set_double (value, self->clip_norm);
      break;
    case PROP_SCHEDULE:
      g_value_set_object (value, self->schedule);
      break;
    case PROP_EPOCH:
      g_value_set_uint (value, self->epoch);
      break;
    case PROP_KEEP_GRADIENTS:
      g_value_set_boolean (value, self->keep_gradients);
      break;
    case PROP_KEEP_PRE_ACTIVATIONS:
      g_value_set_boolean (value, self->keep_pre_activations);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_trainer_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  NnTrainer *self = NN_TRAINER (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      self->model = g_value_dup_object (value);
      break;
    case PROP_EPOCHS:
      nn_trainer_set_epochs (self, g_value_get_uint (value));
      break;
    case PROP_BATCH_SIZE:
      nn_trainer_set_batch_size (self, g_value_get_uint (value));
      break;
    case PROP_SHUFFLE:
      nn_trainer_set_shuffle (self, g_value_get_boolean (value));
      break;
    case PROP_SEED:
      nn_trainer_set_seed (self, g_value_get_uint64 (value));
      break;
    case PROP_CLIP_NORM:
      nn_trainer_set_clip_norm (self, g_value_get_double (value));
      break;
    case PROP_SCHEDULE:
      nn_trainer_set_schedule (self, g_value_get_object (value));
      break;
    case PROP_EPOCH:
      nn_trainer_set_epoch (self, g_value_get_uint (value));
      break;
    case PROP_KEEP_GRADIENTS:
      nn_trainer_set_keep_gradients (self, g_value_get_boolean (value));
      break;
    case PROP_KEEP_PRE_ACTIVATIONS:
      nn_trainer_set_keep_pre_activations (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_trainer_constructed (GObject *object)
{
  NnTrainer *self = NN_TRAINER (object);

  G_OBJECT_CLASS (nn_trainer_parent_class)->constructed (object);

  g_return_if_fail (NN_IS_MODEL (self->model));
}

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | \
                     G_PARAM_STATIC_STRINGS)

static void
nn_trainer_class_init (NnTrainerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nn_trainer_dispose;
  object_class->finalize = nn_trainer_finalize;
  object_class->get_property = nn_trainer_get_property;
  object_class->set_property = nn_trainer_set_property;
  object_class->constructed = nn_trainer_constructed;

  /**
   * NnTrainer:model:
   *
   * The model trained, with its loss and optimizer.
   */
  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, "Model trained", NN_TYPE_MODEL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * NnTrainer:epochs:
   *
   * The epochs of the whole run: [method@Nn.Trainer.fit] trains from
   * [property@Nn.Trainer:epoch] up to this, as Keras' `epochs` with
   * `initial_epoch`.
   */
  properties[PROP_EPOCHS] =
    g_param_spec_uint ("epochs", NULL, "Epochs of the whole run", 0, G_MAXUINT, 1,
                       PARAM_FLAGS);

  /**
   * NnTrainer:batch-size:
   *
   * Samples per update; 0 (or more than the samples) for the whole set,
   * batch gradient descent; 1 for stochastic gradient descent. The last
   * batch of an epoch may be smaller.
   */
  properties[PROP_BATCH_SIZE] =
    g_param_spec_uint ("batch-size", NULL, "Samples per update; 0 for the whole set",
                       0, G_MAXUINT, 0, PARAM_FLAGS);

  /**
   * NnTrainer:shuffle:
   *
   * Whether each epoch visits the samples in the order of its own random
   * stream (see [class@Nn.Trainer]) rather than in order.
   */
  properties[PROP_SHUFFLE] =
    g_param_spec_boolean ("shuffle", NULL, "Reshuffle the samples before every epoch",
                          TRUE, PARAM_FLAGS);

  /**
   * NnTrainer:seed:
   *
   * The seed of the shuffling: epoch `e` is shuffled by a stream seeded with
   * (seed, e). [ctor@Nn.Trainer.new] takes the model's
   * [property@Nn.Model:seed].
   */
  properties[PROP_SEED] =
    g_param_spec_uint64 ("seed", NULL, "Seed of the shuffling", 0, G_MAXUINT32, 42,
                         PARAM_FLAGS);

  /**
   * NnTrainer:clip-norm:
   *
   * The largest global gradient norm: before each update, when the norm of all
   * parameter gradients taken together ([method@Nn.Model.get_gradient_norm])
   * exceeds it, every gradient is scaled by `clip_norm / (norm + 1e-6)`, as
   * PyTorch's `torch.nn.utils.clip_grad_norm_` does. 0 turns clipping off.
   */
  properties[PROP_CLIP_NORM] =
    g_param_spec_double ("clip-norm", NULL,
                         "Largest global gradient norm before each update; 0 for no clipping",
                         0.0, G_MAXDOUBLE, 0.0, PARAM_FLAGS);

  /**
   * NnTrainer:schedule:
   *
   * The learning-rate schedule, or %NULL for a constant rate. Each epoch
   * ([property@Nn.Trainer:epoch], from 0) starts with the optimizer's rate set
   * to [method@Nn.Schedule.get_learning_rate] of the base rate, the optimizer's
   * own when the schedule first applies to it. Replacing the schedule, or the
   * model's optimizer (at the next epoch), gives it back its own rate.
   */
  properties[PROP_SCHEDULE] =
    g_param_spec_object ("schedule", NULL, "Learning-rate schedule, stepped once per epoch",
                         NN_TYPE_SCHEDULE, PARAM_FLAGS);

  /**
   * NnTrainer:epoch:
   *
   * The number of epochs trained so far. Each finished epoch adds one;
   * setting it (to resume training by hand) also forgets an epoch stopped
   * part-way.
   */
  properties[PROP_EPOCH] =
    g_param_spec_uint ("epoch", NULL, "Number of epochs trained so far", 0, G_MAXUINT, 0,
                       PARAM_FLAGS);

  /**
   * NnTrainer:keep-gradients:
   *
   * Whether the gradients of a step stay readable after it
   * ([method@Nn.Trainer.set_keep_gradients]). Off, plain SGD may move the
   * weights within the backward step, as PyTorch's optimizer-in-backward
   * does, without writing dL/dW.
   */
  properties[PROP_KEEP_GRADIENTS] =
    g_param_spec_boolean ("keep-gradients", NULL,
                          "Whether the gradients of a step stay readable after it", TRUE,
                          PARAM_FLAGS);

  /**
   * NnTrainer:keep-pre-activations:
   *
   * Whether the dense layers' pre-activations of a training step stay
   * readable after it
   * ([method@Nn.Trainer.set_keep_pre_activations]). Off, the matrix
   * engine may apply a layer's activation inside its forward product.
   *
   * Since: 0.2
   */
  properties[PROP_KEEP_PRE_ACTIVATIONS] =
    g_param_spec_boolean ("keep-pre-activations", NULL,
                          "Whether the pre-activations of a training step stay readable after it",
                          TRUE, PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_trainer_init (NnTrainer *self)
{
  self->callbacks = g_ptr_array_new_with_free_func (g_object_unref);
  self->gradient_hooks = g_ptr_array_new ();
  self->epoch_values = g_array_new (FALSE, FALSE, sizeof (EpochValue));
  self->loss_history = g_array_new (FALSE, FALSE, sizeof (double));
  self->val_loss_history = g_array_new (FALSE, FALSE, sizeof (double));
  self->shuffle_rand = g_rand_new_with_seed (0);
  self->base_lr = NAN;
  self->n_ranks = 1;
  self->keep_gradients = TRUE;
  self->keep_pre_activations = TRUE;
}

/**
 * nn_trainer_new:
 * @model: the model to train, with its loss and optimizer set
 *
 * Makes a trainer of @model with [property@Nn.Trainer:seed] set to the model's
 * [property@Nn.Model:seed] and the other properties at their defaults.
 *
 * Returns: (transfer full): a trainer of @model with [property@Nn.Trainer:seed]
 *   set to the model's [property@Nn.Model:seed] and the other properties at
 *   their defaults
 */
NnTrainer *
nn_trainer_new (NnModel *model)
{
  g_return_val_if_fail (NN_IS_MODEL (model), NULL);

  return g_object_new (NN_TYPE_TRAINER, "model", model,
                       "seed", nn_model_get_seed (model), NULL);
}

/**
 * nn_trainer_get_model:
 * @self: a #NnTrainer
 *
 * Gets the model trained.
 *
 * Returns: (transfer none): the model trained
 */
NnModel *
nn_trainer_get_model (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), NULL);

  return self->model;
}

/**
 * nn_trainer_get_epochs:
 * @self: a #NnTrainer
 *
 * Gets the epochs of the whole run ([property@Nn.Trainer:epochs]).
 *
 * Returns: the epochs of the whole run ([property@Nn.Trainer:epochs])
 */
guint
nn_trainer_get_epochs (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), 0);

  return self->epochs;
}

/**
 * nn_trainer_set_epochs:
 * @self: a #NnTrainer
 * @epochs: the epoch count [method@Nn.Trainer.fit] trains up to
 *
 * Sets the epochs of the whole run ([property@Nn.Trainer:epochs]).
 */
void
nn_trainer_set_epochs (NnTrainer *self,
                       guint      epochs)
{
  g_return_if_fail (NN_IS_TRAINER (self));

  if (self->epochs == epochs)
    return;
  self->epochs = epochs;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EPOCHS]);
}

/**
 * nn_trainer_get_batch_size:
 * @self: a #NnTrainer
 *
 * Gets the samples per update ([property@Nn.Trainer:batch-size]), 0 for all.
 *
 * Returns: the samples per update ([property@Nn.Trainer:batch-size]), 0 for all
 */
guint
nn_trainer_get_batch_size (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), 0);

  return self->batch_size;
}

/**
 * nn_trainer_set_batch_size:
 * @self: a #NnTrainer
 * @batch_size: samples per update, 0 for the whole set
 *
 * Sets the samples per update ([property@Nn.Trainer:batch-size]).
 */
void
nn_trainer_set_batch_size (NnTrainer *self,
                           guint      batch_size)
{
  g_return_if_fail (NN_IS_TRAINER (self));

  if (self->batch_size == batch_size)
    return;
  self->batch_size = batch_size;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BATCH_SIZE]);
}

/**
 * nn_trainer_get_shuffle:
 * @self: a #NnTrainer
 *
 * Whether every epoch is shuffled ([property@Nn.Trainer:shuffle]).
 *
 * Returns: whether every epoch is shuffled ([property@Nn.Trainer:shuffle])
 */
gboolean
nn_trainer_get_shuffle (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), FALSE);

  return self->shuffle;
}

/**
 * nn_trainer_set_shuffle:
 * @self: a #NnTrainer
 * @shuffle: whether to reshuffle the samples before every epoch
 *
 * Sets whether every epoch is shuffled ([property@Nn.Trainer:shuffle]).
 */
void
nn_trainer_set_shuffle (NnTrainer *self,
                        gboolean   shuffle)
{
  g_return_if_fail (NN_IS_TRAINER (self));

  shuffle = !!shuffle;
  if (self->shuffle == shuffle)
    return;
  self->shuffle = shuffle;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHUFFLE]);
}

/**
 * nn_trainer_get_seed:
 * @self: a #NnTrainer
 *
 * Gets the seed of the shuffling ([property@Nn.Trainer:seed]).
 *
 * Returns: the seed of the shuffling ([property@Nn.Trainer:seed])
 */
guint64
nn_trainer_get_seed (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), 0);

  return self->seed;
}

/**
 * nn_trainer_set_seed:
 * @self: a #NnTrainer
 * @seed: the seed, at most %G_MAXUINT32
 *
 * Sets the seed of the shuffling ([property@Nn.Trainer:seed]).
 */
void
nn_trainer_set_seed (NnTrainer *self,
                     guint64    seed)
{
  g_return_if_fail (NN_IS_TRAINER (self));
  g_return_if_fail (seed <= G_MAXUINT32);

  if (self->seed == seed)
    return;
  self->seed = seed;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEED]);
}

/**
 * nn_trainer_get_clip_norm:
 * @self: a #NnTrainer
 *
 * Gets the gradient clipping threshold ([property@Nn.Trainer:clip-norm]), 0 if
 * off.
 *
 * Returns: the gradient clipping threshold ([property@Nn.Trainer:clip-norm]), 0
 *   if off
 */
double
nn_trainer_get_clip_norm (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), 0.0);

  return self->clip_norm;
}

/**
 * nn_trainer_set_clip_norm:
 * @self: a #NnTrainer
 * @clip_norm: the largest global gradient norm, or 0 to turn clipping off
 *
 * Sets the gradient clipping threshold ([property@Nn.Trainer:clip-norm]).
 */
void
nn_trainer_set_clip_norm (NnTrainer *self,
                          double     clip_norm)
{
  g_return_if_fail (NN_IS_TRAINER (self));
  g_return_if_fail (clip_norm >= 0.0);

  if (self->clip_norm == clip_norm)
    return;
  self->clip_norm = clip_norm;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIP_NORM]);
}

/* Undoes what the schedule did to the optimizer's rate. */
void
nn_trainer_restore_base_learning_rate (NnTrainer *self)
{
  if (self->scheduled != NULL)
    nn_optimizer_set_learning_rate (self->scheduled, self->base_lr);
  g_clear_object (&self->scheduled);
  self->base_lr = NAN;
}

/**
 * nn_trainer_set_keep_gradients:
 * @self: a #NnTrainer
 * @keep: whether the gradients of a step stay readable after it
 *
 * With @keep %FALSE, a step may leave the gradients of the weights
 * ([method@Nn.Model.get_gradient], [method@Nn.Layer.get_weight_gradient])
 * unwritten: with SGD without momentum and weight decay, dense layers
 * without regularization, no clipping, no callback reading the gradients
 * and one process, each layer's backward step then moves its weights as
 * one product, W ← W − lr dL/dZᵀ X, and dL/dW is neither written nor read
 * back. The updates are the same up to rounding. That is done where most
 * of the weights are in layers of 16384 weights or more whose batches are
 * small enough to check them from a bound (X and dL/dZ under one and a
 * half times the size of W); otherwise the step goes through the optimizer as when the
 * gradients are kept. %TRUE by default.
 *
 * The weights are still checked after every step, from a bound on their
 * magnitude that those updates keep where that costs less than reading
 * them. Handing the weights out ([method@Nn.Layer.get_weights],
 * [method@Nn.Model.get_parameter]) or setting them makes the next step
 * read them again, and so does the start of every epoch. Between two
 * calls of [method@Nn.Trainer.train_step], write the weights through a
 * matrix handed out after the first: values written through one kept
 * from before are used, but not checked for NaN after the second.
 */
void
nn_trainer_set_keep_gradients (NnTrainer *self,
                               gboolean   keep)
{
  g_return_if_fail (NN_IS_TRAINER (self));

  keep = !!keep;
  if (self->keep_gradients == keep)
    return;
  self->keep_gradients = keep;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEEP_GRADIENTS]);
}

/**
 * nn_trainer_get_keep_gradients:
 * @self: a #NnTrainer
 *
 * Gets whether the gradients of a step stay readable after it.
 *
 * Returns: whether the gradients of a step stay readable after it
 *   (nn_trainer_set_keep_gradients())
 */
gboolean
nn_trainer_get_keep_gradients (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), TRUE);

  return self->keep_gradients;
}

/**
 * nn_trainer_set_keep_pre_activations:
 * @self: a #NnTrainer
 * @keep: whether the pre-activations of a training step stay readable
 *   after it
 *
 * With @keep %FALSE, the forward product of a dense layer in a training
 * step may apply the layer's activation as it stores its result, where the
 * activation has an element-wise form ([method@Nn.Activation.get_elementwise]:
 * relu, leaky_relu with a positive slope, sigmoid, tanh) and the matrix
 * engine applies it (oneDNN's eltwise post-ops, for products of more than
 * 32768 multiply-adds or results wider than 16 values a row). Such a
 * layer writes its activations in the product's own pass and keeps no
 * pre-activations: [method@Nn.Layer.get_z] gives a matrix of no rows after
 * the step. oneDNN's sigmoid and tanh may differ from the plugins' in the
 * last bit; relu and leaky_relu are exact. Forward steps outside training
 * ([method@Nn.Model.forward] and prediction) always keep them. %TRUE by
 * default.
 *
 * Since: 0.2
 */
void
nn_trainer_set_keep_pre_activations (NnTrainer *self,
                                     gboolean   keep)
{
  g_return_if_fail (NN_IS_TRAINER (self));

  keep = !!keep;
  if (self->keep_pre_activations == keep)
    return;
  self->keep_pre_activations = keep;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEEP_PRE_ACTIVATIONS]);
}

/**
 * nn_trainer_get_keep_pre_activations:
 * @self: a #NnTrainer
 *
 * Gets whether the pre-activations of a training step stay readable after
 * it.
 *
 * Returns: whether the pre-activations of a training step stay readable
 *   after it (nn_trainer_set_keep_pre_activations())
 *
 * Since: 0.2
 */
gboolean
nn_trainer_get_keep_pre_activations (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), TRUE);

  return self->keep_pre_activations;
}

/**
 * nn_trainer_get_schedule:
 * @self: a #NnTrainer
 *
 * Gets the learning-rate schedule.
 *
 * Returns: (transfer none) (nullable): the learning-rate schedule
 */
NnSchedule *
nn_trainer_get_schedule (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), NULL);

  return self->schedule;
}

/**
 * nn_trainer_set_schedule:
 * @self: a #NnTrainer
 * @schedule: (nullable): a learning-rate schedule, or %NULL for the
 *   optimizer's own rate in every epoch
 *
 * See [property@Nn.Trainer:schedule].
 */
void
nn_trainer_set_schedule (NnTrainer  *self,
                         NnSchedule *schedule)
{
  g_return_if_fail (NN_IS_TRAINER (self));
  g_return_if_fail (schedule == NULL || NN_IS_SCHEDULE (schedule));

  if (self->schedule == schedule)
    return;
  nn_trainer_restore_base_learning_rate (self);
  g_set_object (&self->schedule, schedule);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCHEDULE]);
}

/**
 * nn_trainer_get_epoch:
 * @self: a #NnTrainer
 *
 * Gets the number of epochs trained so far ([property@Nn.Trainer:epoch]).
 *
 * Returns: the number of epochs trained so far ([property@Nn.Trainer:epoch])
 */
guint
nn_trainer_get_epoch (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), 0);

  return self->epoch;
}

/**
 * nn_trainer_set_epoch:
 * @self: a #NnTrainer
 * @epoch: the number of epochs to count as trained
 *
 * Sets [property@Nn.Trainer:epoch], so that the next epoch is shuffled and
 * scheduled as epoch @epoch (from 0) of a run that never stopped. An epoch
 * stopped part-way is forgotten. The loss histories are left as they are.
 */
void
nn_trainer_set_epoch (NnTrainer *self,
                      guint      epoch)
{
  g_return_if_fail (NN_IS_TRAINER (self));

  self->part_samples = 0;
  self->part_loss_sum = 0.0;
  if (self->epoch != epoch)
    {
      self->epoch = epoch;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EPOCH]);
    }
}

/* An epoch finished: counted, and no longer part-way. */
void
nn_trainer_count_epoch (NnTrainer *self)
{
  self->part_samples = 0;
  self->part_loss_sum = 0.0;
  self->epoch++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EPOCH]);
}

/**
 * nn_trainer_add_callback:
 * @self: a #NnTrainer
 * @callback: a callback, not yet added
 *
 * Appends @callback, taking a reference: [method@Nn.Trainer.fit] calls it after
 * those added before it. Not while [method@Nn.Trainer.fit] runs.
 */
void
nn_trainer_add_callback (NnTrainer         *self,
                         NnTrainerCallback *callback)
{
  g_return_if_fail (NN_IS_TRAINER (self));
  g_return_if_fail (NN_IS_TRAINER_CALLBACK (callback));
  g_return_if_fail (!self->fitting);
  g_return_if_fail (!g_ptr_array_find (self->callbacks, callback, NULL));

  g_ptr_array_add (self->callbacks, g_object_ref (callback));
  if (NN_TRAINER_CALLBACK_GET_CLASS (callback)->gradients_ready != NULL)
    g_ptr_array_add (self->gradient_hooks, callback);
}

/**
 * nn_trainer_remove_callback:
 * @self: a #NnTrainer
 * @callback: a callback added to @self
 *
 * Removes @callback and drops the trainer's reference. Not while
 * [method@Nn.Trainer.fit] runs.
 */
void
nn_trainer_remove_callback (NnTrainer         *self,
                            NnTrainerCallback *callback)
{
  g_return_if_fail (NN_IS_TRAINER (self));
  g_return_if_fail (!self->fitting);

  g_ptr_array_remove (self->gradient_hooks, callback);
  if (!g_ptr_array_remove (self->callbacks, callback))
    g_return_if_reached ();
}

/**
 * nn_trainer_stop:
 * @self: a #NnTrainer
 *
 * Makes the running [method@Nn.Trainer.fit] return %TRUE once the current epoch
 * is finished and every callback has seen it; for callbacks such as early
 * stopping, in the manner of Keras' `model.stop_training = True`. Every call to
 * [method@Nn.Trainer.fit] starts without the request.
 */
void
nn_trainer_stop (NnTrainer *self)
{
  g_return_if_fail (NN_IS_TRAINER (self));

  self->stop_requested = TRUE;
}

/**
 * nn_trainer_get_stop_requested:
 * @self: a #NnTrainer
 *
 * Whether [method@Nn.Trainer.stop] was called during the current or the last
 * [method@Nn.Trainer.fit].
 *
 * Returns: whether [method@Nn.Trainer.stop] was called during the running or
 *   the last [method@Nn.Trainer.fit]
 */
gboolean
nn_trainer_get_stop_requested (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), FALSE);

  return self->stop_requested;
}

/**
 * nn_trainer_get_loss_history:
 * @self: a #NnTrainer
 *
 * Gets the training loss of every epoch [method@Nn.Trainer.fit] has trained so
 * far.
 *
 * Returns: (transfer none) (element-type gdouble): the training loss of
 *   every epoch [method@Nn.Trainer.fit] has trained so far
 */
GArray *
nn_trainer_get_loss_history (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), NULL);

  return self->loss_history;
}

/**
 * nn_trainer_get_val_loss_history:
 * @self: a #NnTrainer
 *
 * Gets the validation loss at the end of every epoch.
 *
 * Returns: (transfer none) (element-type gdouble): the validation loss at the
 *   end of every epoch, NaN where there was no validation data
 */
GArray *
nn_trainer_get_val_loss_history (NnTrainer *self)
{
  g_return_val_if_fail (NN_IS_TRAINER (self), NULL);

  return self->val_loss_history;
}
