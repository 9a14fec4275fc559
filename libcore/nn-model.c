/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-errors.h"
#include "nn-model.h"

/**
 * NnModel:
 *
 * An ordered stack of dense layers with a loss and an optimizer.
 *
 * The model has forward and backward steps, a training step that combines
 * them with the optimizer, epochs of mini-batches, and a history of the
 * loss after each epoch. Every layer keeps its Z and A from the forward
 * step, which the backward step uses.
 *
 * All randomness derives from #NnModel:seed. Initial weights come from the
 * model's own sequence, restarted by nn_model_set_seed(). The order of the
 * samples in epoch `e` (counting from 0) comes from a stream of its own,
 * seeded with (seed, e), so it depends on nothing but the seed and the
 * epoch: training can stop after any batch and resume from a saved state
 * (nn_model_save_training_state()) with exactly the steps it would have
 * taken.
 *
 * The model counts the epochs it has trained in #NnModel:epoch. An optional
 * #NnModel:schedule sets the optimizer's learning rate at the start of each
 * epoch, and #NnModel:clip-norm clips the gradients before each update.
 */
struct _NnModel
{
  GObject parent_instance;

  GPtrArray   *layers;        /* NnLayer */
  NnLoss      *loss;
  NnOptimizer *optimizer;
  guint64      seed;
  GRand       *rand;          /* initial weights */
  GRand       *shuffle_rand;  /* re-seeded for each epoch */

  guint        epoch;         /* epochs completed */
  double       clip_norm;
  NnSchedule  *schedule;
  double       base_lr;       /* the rate the schedule scales; NaN until read */
  gboolean     stop_requested;

  /* An epoch stopped part-way (cancelled after a batch): its samples done,
   * their loss sum, and what it was trained with, which must not change. */
  guint        part_samples;
  double       part_loss_sum;
  guint        part_batch_size;
  guint        part_n_samples;
  gboolean     part_shuffle;

  GPtrArray   *params;        /* NnMatrix, borrowed from the layers */
  GPtrArray   *grads;
  gboolean     optimizer_ready;

  /* Work space, grown to the largest batch and then reused. */
  NnMatrix    *grad_out;      /* batch × outputs */
  NnMatrix    *batch_x;
  NnMatrix    *batch_y;
  guint       *order;
  guint        order_len;

  GArray      *loss_history;      /* double */
  GArray      *val_loss_history;  /* double, NAN without validation data */
};

G_DEFINE_FINAL_TYPE (NnModel, nn_model, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (NnInit, nn_init,
  G_DEFINE_ENUM_VALUE (NN_INIT_NORMAL, "normal"),
  G_DEFINE_ENUM_VALUE (NN_INIT_GLOROT_UNIFORM, "glorot_uniform"),
  G_DEFINE_ENUM_VALUE (NN_INIT_GLOROT_NORMAL, "glorot_normal"),
  G_DEFINE_ENUM_VALUE (NN_INIT_HE_NORMAL, "he_normal"),
  G_DEFINE_ENUM_VALUE (NN_INIT_HE_UNIFORM, "he_uniform"))

enum {
  PROP_0,
  PROP_LOSS,
  PROP_OPTIMIZER,
  PROP_SEED,
  PROP_EPOCH,
  PROP_CLIP_NORM,
  PROP_SCHEDULE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  EPOCH_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Rows per forward step when predicting or evaluating a whole data set. */
#define EVAL_CHUNK 4096

static void
nn_model_dispose (GObject *object)
{
  NnModel *self = NN_MODEL (object);

  g_clear_pointer (&self->layers, g_ptr_array_unref);
  g_clear_object (&self->loss);
  g_clear_object (&self->optimizer);
  g_clear_object (&self->schedule);

  G_OBJECT_CLASS (nn_model_parent_class)->dispose (object);
}

static void
nn_model_finalize (GObject *object)
{
  NnModel *self = NN_MODEL (object);

  g_clear_pointer (&self->rand, g_rand_free);
  g_clear_pointer (&self->shuffle_rand, g_rand_free);
  g_clear_pointer (&self->params, g_ptr_array_unref);
  g_clear_pointer (&self->grads, g_ptr_array_unref);
  g_clear_pointer (&self->grad_out, nn_matrix_free);
  g_clear_pointer (&self->batch_x, nn_matrix_free);
  g_clear_pointer (&self->batch_y, nn_matrix_free);
  g_clear_pointer (&self->order, g_free);
  g_clear_pointer (&self->loss_history, g_array_unref);
  g_clear_pointer (&self->val_loss_history, g_array_unref);

  G_OBJECT_CLASS (nn_model_parent_class)->finalize (object);
}

static void
nn_model_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  NnModel *self = NN_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOSS:
      g_value_set_object (value, self->loss);
      break;
    case PROP_OPTIMIZER:
      g_value_set_object (value, self->optimizer);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    case PROP_EPOCH:
      g_value_set_uint (value, self->epoch);
      break;
    case PROP_CLIP_NORM:
      g_value_set_double (value, self->clip_norm);
      break;
    case PROP_SCHEDULE:
      g_value_set_object (value, self->schedule);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_model_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  NnModel *self = NN_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOSS:
      nn_model_set_loss (self, g_value_get_object (value));
      break;
    case PROP_OPTIMIZER:
      nn_model_set_optimizer (self, g_value_get_object (value));
      break;
    case PROP_SEED:
      nn_model_set_seed (self, g_value_get_uint64 (value));
      break;
    case PROP_EPOCH:
      nn_model_set_epoch (self, g_value_get_uint (value));
      break;
    case PROP_CLIP_NORM:
      nn_model_set_clip_norm (self, g_value_get_double (value));
      break;
    case PROP_SCHEDULE:
      nn_model_set_schedule (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_model_class_init (NnModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nn_model_dispose;
  object_class->finalize = nn_model_finalize;
  object_class->get_property = nn_model_get_property;
  object_class->set_property = nn_model_set_property;

  /**
   * NnModel:loss:
   *
   * The loss minimised by training.
   */
  properties[PROP_LOSS] =
    g_param_spec_object ("loss", NULL, "Loss minimised by training",
                         NN_TYPE_LOSS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NnModel:optimizer:
   *
   * The optimizer that updates the parameters after each batch.
   */
  properties[PROP_OPTIMIZER] =
    g_param_spec_object ("optimizer", NULL, "Optimizer updating the parameters",
                         NN_TYPE_OPTIMIZER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NnModel:seed:
   *
   * The seed of every random choice: initial weights and shuffling.
   * Setting it restarts the sequence of initial weights; the shuffling of
   * each epoch depends only on the seed and the epoch.
   */
  properties[PROP_SEED] =
    g_param_spec_uint64 ("seed", NULL, "Seed of initial weights and shuffling",
                         0, G_MAXUINT32, 42,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NnModel:epoch:
   *
   * The number of epochs trained so far. Each finished epoch adds one;
   * setting it (to resume training by hand) also forgets an epoch stopped
   * part-way.
   */
  properties[PROP_EPOCH] =
    g_param_spec_uint ("epoch", NULL, "Number of epochs trained so far",
                       0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NnModel:clip-norm:
   *
   * The largest global gradient norm: before each update, when the norm of
   * all parameter gradients taken together exceeds it, every gradient is
   * scaled by `clip_norm / (norm + 1e-6)`, as PyTorch's
   * `torch.nn.utils.clip_grad_norm_` does. 0 turns clipping off.
   */
  properties[PROP_CLIP_NORM] =
    g_param_spec_double ("clip-norm", NULL,
                         "Largest global gradient norm before each update; 0 for no clipping",
                         0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NnModel:schedule:
   *
   * The learning-rate schedule, or %NULL for a constant rate. At the start
   * of every epoch the model sets the optimizer's learning rate to
   * nn_schedule_get_learning_rate() of that epoch (#NnModel:epoch, from 0),
   * scaled from the base rate: the optimizer's learning rate when the
   * schedule first applies. Replacing the schedule or the optimizer puts
   * the base rate back into the optimizer.
   */
  properties[PROP_SCHEDULE] =
    g_param_spec_object ("schedule", NULL, "Learning-rate schedule, stepped once per epoch",
                         NN_TYPE_SCHEDULE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NnModel::epoch-finished:
   * @model: the model
   * @epoch: the epoch just finished, counting from 1 over the model's whole
   *   training (#NnModel:epoch after it)
   * @loss: its training loss
   * @val_loss: the validation loss at its end, or NaN without validation data
   *
   * Emitted by nn_model_fit() after every epoch, once the loss histories
   * hold it. A handler may call nn_model_stop_training().
   */
  signals[EPOCH_FINISHED] =
    g_signal_new ("epoch-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_UINT, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
}

static void
nn_model_init (NnModel *self)
{
  self->layers = g_ptr_array_new_with_free_func (g_object_unref);
  self->params = g_ptr_array_new ();
  self->grads = g_ptr_array_new ();
  self->loss_history = g_array_new (FALSE, FALSE, sizeof (double));
  self->val_loss_history = g_array_new (FALSE, FALSE, sizeof (double));
  self->shuffle_rand = g_rand_new_with_seed (0);
  self->base_lr = NAN;
}

/**
 * nn_model_new:
 *
 * Returns: (transfer full): an empty model
 */
NnModel *
nn_model_new (void)
{
  return g_object_new (NN_TYPE_MODEL, NULL);
}

/**
 * nn_model_add_layer:
 * @self: a #NnModel
 * @layer: a layer whose input width is the last layer's units
 *
 * Appends @layer, taking a reference.
 */
void
nn_model_add_layer (NnModel *self,
                    NnLayer *layer)
{
  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (NN_IS_LAYER (layer));
  g_return_if_fail (self->layers->len == 0 ||
                    nn_layer_get_n_inputs (layer) == nn_model_get_n_outputs (self));

  g_ptr_array_add (self->layers, g_object_ref (layer));
  g_ptr_array_add (self->params, nn_layer_get_weights (layer));
  g_ptr_array_add (self->params, nn_layer_get_bias (layer));
  g_ptr_array_add (self->grads, (gpointer) nn_layer_get_weight_gradient (layer));
  g_ptr_array_add (self->grads, (gpointer) nn_layer_get_bias_gradient (layer));
  self->optimizer_ready = FALSE;
}

/**
 * nn_model_get_n_layers:
 * @self: a #NnModel
 *
 * Returns: the number of layers
 */
guint
nn_model_get_n_layers (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0);

  return self->layers->len;
}

/**
 * nn_model_get_layer:
 * @self: a #NnModel
 * @index: a layer index, from 0
 *
 * Returns: (transfer none): the layer
 */
NnLayer *
nn_model_get_layer (NnModel *self,
                    guint    index)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);
  g_return_val_if_fail (index < self->layers->len, NULL);

  return self->layers->pdata[index];
}

/**
 * nn_model_get_n_inputs:
 * @self: a #NnModel
 *
 * Returns: the input width of the first layer, or 0 without layers
 */
guint
nn_model_get_n_inputs (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0);

  return self->layers->len ? nn_layer_get_n_inputs (self->layers->pdata[0]) : 0;
}

/**
 * nn_model_get_n_outputs:
 * @self: a #NnModel
 *
 * Returns: the units of the last layer, or 0 without layers
 */
guint
nn_model_get_n_outputs (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0);

  return self->layers->len
         ? nn_layer_get_units (self->layers->pdata[self->layers->len - 1]) : 0;
}

/**
 * nn_model_get_loss:
 * @self: a #NnModel
 *
 * Returns: (transfer none) (nullable): the loss
 */
NnLoss *
nn_model_get_loss (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);

  return self->loss;
}

/**
 * nn_model_set_loss:
 * @self: a #NnModel
 * @loss: (nullable): the loss to minimise
 */
void
nn_model_set_loss (NnModel *self,
                   NnLoss  *loss)
{
  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (loss == NULL || NN_IS_LOSS (loss));

  if (g_set_object (&self->loss, loss))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOSS]);
}

/* Undoes what the schedule did to the optimizer's rate, before either of
 * them is replaced. */
static void
restore_base_learning_rate (NnModel *self)
{
  if (self->optimizer != NULL && !isnan (self->base_lr))
    nn_optimizer_set_learning_rate (self->optimizer, self->base_lr);
  self->base_lr = NAN;
}

/**
 * nn_model_get_optimizer:
 * @self: a #NnModel
 *
 * Returns: (transfer none) (nullable): the optimizer
 */
NnOptimizer *
nn_model_get_optimizer (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);

  return self->optimizer;
}

/**
 * nn_model_set_optimizer:
 * @self: a #NnModel
 * @optimizer: (nullable): the optimizer
 */
void
nn_model_set_optimizer (NnModel     *self,
                        NnOptimizer *optimizer)
{
  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (optimizer == NULL || NN_IS_OPTIMIZER (optimizer));

  if (self->optimizer == optimizer)
    return;
  restore_base_learning_rate (self);
  if (g_set_object (&self->optimizer, optimizer))
    {
      self->optimizer_ready = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPTIMIZER]);
    }
}

/**
 * nn_model_get_seed:
 * @self: a #NnModel
 *
 * Returns: the seed of the model's random numbers
 */
guint64
nn_model_get_seed (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0);

  return self->seed;
}

/**
 * nn_model_set_seed:
 * @self: a #NnModel
 * @seed: the seed, at most %G_MAXUINT32
 *
 * Restarts the model's random sequence from @seed.
 */
void
nn_model_set_seed (NnModel *self,
                   guint64  seed)
{
  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (seed <= G_MAXUINT32);

  g_clear_pointer (&self->rand, g_rand_free);
  self->rand = g_rand_new_with_seed ((guint32) seed);
  if (self->seed != seed)
    {
      self->seed = seed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEED]);
    }
}

/* Box–Muller; g_rand_double is in [0, 1), so 1 - u is in (0, 1]. */
static double
rand_normal (GRand *rand)
{
  double u1 = 1.0 - g_rand_double (rand);
  double u2 = g_rand_double (rand);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

/**
 * nn_model_init_parameters:
 * @self: a #NnModel
 * @init: the weight initialisation scheme
 *
 * Draws every weight from the model's random sequence, layer by layer and
 * row by row, and sets every bias to zero.
 */
void
nn_model_init_parameters (NnModel *self,
                          NnInit   init)
{
  g_return_if_fail (NN_IS_MODEL (self));

  for (guint l = 0; l < self->layers->len; l++)
    {
      NnLayer *layer = self->layers->pdata[l];
      NnMatrix *w = nn_layer_get_weights (layer);
      double fan_in = nn_layer_get_n_inputs (layer);
      double fan_out = nn_layer_get_units (layer);
      double std = 1.0, limit = 0.0;
      gboolean uniform = FALSE;

      switch (init)
        {
        case NN_INIT_NORMAL:
          std = 1.0;
          break;
        case NN_INIT_GLOROT_UNIFORM:
          uniform = TRUE;
          limit = sqrt (6.0 / (fan_in + fan_out));
          break;
        case NN_INIT_GLOROT_NORMAL:
          std = sqrt (2.0 / (fan_in + fan_out));
          break;
        case NN_INIT_HE_NORMAL:
          std = sqrt (2.0 / fan_in);
          break;
        case NN_INIT_HE_UNIFORM:
          uniform = TRUE;
          limit = sqrt (6.0 / fan_in);
          break;
        default:
          g_return_if_reached ();
        }

      for (gsize i = 0; i < nn_matrix_size (w); i++)
        w->data[i] = (nn_real) (uniform ? g_rand_double_range (self->rand, -limit, limit)
                                        : std * rand_normal (self->rand));
      nn_matrix_fill (nn_layer_get_bias (layer), 0);
    }
}

/**
 * nn_model_get_epoch:
 * @self: a #NnModel
 *
 * Returns: the number of epochs trained so far (#NnModel:epoch)
 */
guint
nn_model_get_epoch (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0);

  return self->epoch;
}

/**
 * nn_model_set_epoch:
 * @self: a #NnModel
 * @epoch: the number of epochs to count as trained
 *
 * Sets #NnModel:epoch, so that the next epoch is shuffled and scheduled as
 * epoch @epoch (from 0) of a run that never stopped. An epoch stopped
 * part-way is forgotten. The loss histories are left as they are.
 */
void
nn_model_set_epoch (NnModel *self,
                    guint    epoch)
{
  g_return_if_fail (NN_IS_MODEL (self));

  self->part_samples = 0;
  self->part_loss_sum = 0.0;
  if (self->epoch != epoch)
    {
      self->epoch = epoch;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EPOCH]);
    }
}

/**
 * nn_model_get_clip_norm:
 * @self: a #NnModel
 *
 * Returns: the gradient clipping threshold (#NnModel:clip-norm), 0 if off
 */
double
nn_model_get_clip_norm (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0.0);

  return self->clip_norm;
}

/**
 * nn_model_set_clip_norm:
 * @self: a #NnModel
 * @clip_norm: the largest global gradient norm, or 0 to turn clipping off
 */
void
nn_model_set_clip_norm (NnModel *self,
                        double   clip_norm)
{
  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (clip_norm >= 0.0);

  if (self->clip_norm == clip_norm)
    return;
  self->clip_norm = clip_norm;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIP_NORM]);
}

/**
 * nn_model_get_schedule:
 * @self: a #NnModel
 *
 * Returns: (transfer none) (nullable): the learning-rate schedule
 */
NnSchedule *
nn_model_get_schedule (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);

  return self->schedule;
}

/**
 * nn_model_set_schedule:
 * @self: a #NnModel
 * @schedule: (nullable): a learning-rate schedule, or %NULL for the
 *   optimizer's own rate in every epoch
 *
 * See #NnModel:schedule.
 */
void
nn_model_set_schedule (NnModel    *self,
                       NnSchedule *schedule)
{
  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (schedule == NULL || NN_IS_SCHEDULE (schedule));

  if (self->schedule == schedule)
    return;
  restore_base_learning_rate (self);
  g_set_object (&self->schedule, schedule);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCHEDULE]);
}

/**
 * nn_model_forward:
 * @self: a #NnModel
 * @x: a batch of inputs, batch × inputs
 *
 * Runs every layer in order, each on the previous layer's activations.
 *
 * Returns: (transfer none): the last layer's activations, the predictions,
 *   valid until the next forward step
 */
const NnMatrix *
nn_model_forward (NnModel        *self,
                  const NnMatrix *x)
{
  const NnMatrix *a = x;

  g_return_val_if_fail (NN_IS_MODEL (self), NULL);
  g_return_val_if_fail (self->layers->len > 0, NULL);
  g_return_val_if_fail (x != NULL && x->cols == nn_model_get_n_inputs (self), NULL);

  for (guint l = 0; l < self->layers->len; l++)
    a = nn_layer_forward (self->layers->pdata[l], a);
  return a;
}

/**
 * nn_model_backward:
 * @self: a #NnModel
 * @x: the inputs of the last forward step
 * @y: the targets of that batch, batch × outputs
 *
 * Computes the gradient of the loss with respect to every parameter, from
 * the Z and A each layer kept in the last forward step. Through the output
 * layer it takes the loss's joint form where there is one
 * (nn_loss_output_gradient()).
 */
void
nn_model_backward (NnModel        *self,
                   const NnMatrix *x,
                   const NnMatrix *y)
{
  NnLayer *last;
  NnMatrix grad;
  const NnMatrix *grad_a;
  guint n;

  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (NN_IS_LOSS (self->loss));
  g_return_if_fail (self->layers->len > 0);

  last = self->layers->pdata[self->layers->len - 1];
  g_return_if_fail (y != NULL && nn_matrix_same_shape (y, nn_layer_get_a (last)));

  /* The outputs may have widened since: a layer added after training. */
  if (self->grad_out == NULL || self->grad_out->rows < y->rows ||
      self->grad_out->cols != y->cols)
    {
      g_clear_pointer (&self->grad_out, nn_matrix_free);
      self->grad_out = nn_matrix_new (y->rows, y->cols);
    }
  grad = nn_matrix_view (self->grad_out->data, y->rows, y->cols);
  n = self->layers->len;
  if (nn_loss_output_gradient (self->loss, nn_layer_get_activation (last),
                               nn_layer_get_a (last), y, &grad))
    {
      /* dL/dZ of the output layer in one step. */
      const NnMatrix *input = n > 1 ? nn_layer_get_a (self->layers->pdata[n - 2]) : x;

      grad_a = nn_layer_backward_from_z (last, input, &grad, n > 1);
      n--;
    }
  else
    {
      nn_loss_gradient (self->loss, nn_layer_get_a (last), y, &grad);
      grad_a = &grad;
    }
  for (guint l = n; l-- > 0;)
    {
      const NnMatrix *input = l > 0 ? nn_layer_get_a (self->layers->pdata[l - 1]) : x;
      grad_a = nn_layer_backward (self->layers->pdata[l], input, grad_a, l > 0);
    }
}

/* The 2-norm of all gradients taken together, summed in double. */
static double
gradient_norm (NnModel *self)
{
  double sum = 0.0;

  for (guint i = 0; i < self->grads->len; i++)
    {
      const NnMatrix *g = self->grads->pdata[i];
      gsize n = nn_matrix_size (g);

      for (gsize j = 0; j < n; j++)
        sum += (double) g->data[j] * g->data[j];
    }
  return sqrt (sum);
}

/* torch.nn.utils.clip_grad_norm_: scale by max / (norm + 1e-6) when that
 * is below 1. The gradients are the layers' own buffers, scaled in place. */
static void
clip_gradients (NnModel *self)
{
  double coef = self->clip_norm / (gradient_norm (self) + 1e-6);

  if (!(coef < 1.0))
    return;
  for (guint i = 0; i < self->grads->len; i++)
    {
      NnMatrix *g = self->grads->pdata[i];
      gsize n = nn_matrix_size (g);

      for (gsize j = 0; j < n; j++)
        g->data[j] = (nn_real) (g->data[j] * coef);
    }
}

static void
ensure_optimizer_ready (NnModel *self)
{
  if (self->optimizer_ready)
    return;
  nn_optimizer_prepare (self->optimizer, self->params->len,
                        (const NnMatrix **) self->params->pdata);
  self->optimizer_ready = TRUE;
}

/* Training diverged: what went wrong, and the usual cure. */
static void
set_diverged_error (NnModel     *self,
                    GError     **error,
                    const char  *format,
                    ...) G_GNUC_PRINTF (3, 4);

static void
set_diverged_error (NnModel     *self,
                    GError     **error,
                    const char  *format,
                    ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE,
               "%s: training diverged at learning rate %g (a smaller learning rate, "
               "gradient clipping or scaled data usually helps)", what,
               nn_optimizer_get_learning_rate (self->optimizer));
}

/**
 * nn_model_train_step:
 * @self: a #NnModel
 * @x: a batch of inputs
 * @y: its targets
 * @error: return location for a #GError
 *
 * One forward step, one backward step, gradient clipping if
 * #NnModel:clip-norm is set, and one optimizer update.
 *
 * Divergence stops training at once, with %NN_MODEL_ERROR_NOT_FINITE and a
 * message giving the likely cause: a loss that is NaN or infinite (the
 * update is then not applied, so the parameters stay as they were), or a
 * parameter that the update made NaN or infinite.
 *
 * Returns: the loss of the batch before the update, or NaN with @error set
 */
double
nn_model_train_step (NnModel         *self,
                     const NnMatrix  *x,
                     const NnMatrix  *y,
                     GError         **error)
{
  const NnMatrix *pred;
  double loss;

  g_return_val_if_fail (NN_IS_MODEL (self), NAN);
  g_return_val_if_fail (NN_IS_LOSS (self->loss), NAN);
  g_return_val_if_fail (NN_IS_OPTIMIZER (self->optimizer), NAN);
  g_return_val_if_fail (x != NULL && y != NULL && x->rows == y->rows, NAN);
  g_return_val_if_fail (error == NULL || *error == NULL, NAN);

  ensure_optimizer_ready (self);
  pred = nn_model_forward (self, x);
  loss = nn_loss_compute (self->loss, pred, y);
  if (!isfinite (loss))
    {
      if (nn_optimizer_get_iterations (self->optimizer) == 0)
        g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE,
                     "the loss is %g before any update: the data or the initial "
                     "weights give outputs the loss cannot take (inputs of very "
                     "large magnitude? scaling the data usually helps)", loss);
      else
        set_diverged_error (self, error, "the loss became %g", loss);
      return NAN;
    }
  nn_model_backward (self, x, y);
  if (self->clip_norm > 0.0)
    clip_gradients (self);
  nn_optimizer_step (self->optimizer, self->params->len,
                     (NnMatrix **) self->params->pdata,
                     (const NnMatrix **) self->grads->pdata);
  /* One pass over the parameters, which a gradient that is not finite or
   * a step too large for the type spoils, so that training stops at the
   * step that went wrong rather than at the end of the epoch. */
  for (guint i = 0; i < self->params->len; i++)
    if (!nn_matrix_is_finite (self->params->pdata[i]))
      {
        set_diverged_error (self, error, "the update made a %s of layer %u NaN or "
                            "infinite (the loss was %g)", i % 2 == 0 ? "weight" : "bias",
                            i / 2 + 1, loss);
        return NAN;
      }
  return loss;
}

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
shuffle_order (NnModel *self,
               guint    n)
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
apply_schedule (NnModel *self)
{
  if (self->schedule == NULL || self->optimizer == NULL)
    return;
  if (isnan (self->base_lr))
    self->base_lr = nn_optimizer_get_learning_rate (self->optimizer);
  nn_optimizer_set_learning_rate (self->optimizer,
                                  nn_schedule_get_learning_rate (self->schedule, self->base_lr,
                                                                 self->epoch));
}

/* Trains the rest of the current epoch; on success counts it in
 * self->epoch. When cancelled, remembers how far it got. */
static double
train_epoch (NnModel         *self,
             const NnMatrix  *x,
             const NnMatrix  *y,
             guint            batch_size,
             gboolean         shuffle,
             GCancellable    *cancellable,
             GError         **error)
{
  guint n = x->rows, bs;
  guint start = 0;
  double total = 0.0;

  bs = (batch_size == 0 || batch_size > n) ? n : batch_size;

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

  for (; start < n; start += bs)
    {
      guint rows = MIN (bs, n - start);
      NnMatrix bx, by;
      double loss;

      if (g_cancellable_is_cancelled (cancellable))
        {
          self->part_samples = start;
          self->part_loss_sum = total;
          self->part_batch_size = bs;
          self->part_n_samples = n;
          self->part_shuffle = shuffle;
          g_cancellable_set_error_if_cancelled (cancellable, error);
          return NAN;
        }

      if (shuffle)
        {
          bx = nn_matrix_view (self->batch_x->data, rows, x->cols);
          by = nn_matrix_view (self->batch_y->data, rows, y->cols);
          nn_matrix_gather_rows (x, self->order + start, rows, &bx);
          nn_matrix_gather_rows (y, self->order + start, rows, &by);
        }
      else
        {
          bx = nn_matrix_view_rows (x, start, rows);
          by = nn_matrix_view_rows (y, start, rows);
        }

      loss = nn_model_train_step (self, &bx, &by, error);
      if (isnan (loss))
        {
          g_prefix_error (error, "batch %u: ", start / bs + 1);
          return NAN;
        }
      total += loss * rows;
    }

  self->part_samples = 0;
  self->part_loss_sum = 0.0;
  self->epoch++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EPOCH]);
  return total / n;
}

/**
 * nn_model_train_epoch:
 * @self: a #NnModel
 * @x: the training inputs, samples × inputs
 * @y: the training targets, samples × outputs
 * @batch_size: samples per update; 0 (or more than the samples) for the
 *   whole set (batch gradient descent), 1 for stochastic gradient descent
 * @shuffle: visit the samples in the order of this epoch's random stream
 *   (see #NnModel) rather than in order
 * @error: return location for a #GError
 *
 * Trains epoch #NnModel:epoch (from 0) with the learning rate the schedule
 * gives it, and adds one to #NnModel:epoch. If an earlier nn_model_fit()
 * was cancelled part-way through the epoch, only its remaining batches are
 * trained, which needs the same @x, @batch_size and @shuffle.
 *
 * Returns: the sample-weighted mean of the batch losses of the epoch, or NaN
 *   with @error set
 */
double
nn_model_train_epoch (NnModel         *self,
                      const NnMatrix  *x,
                      const NnMatrix  *y,
                      guint            batch_size,
                      gboolean         shuffle,
                      GError         **error)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NAN);
  g_return_val_if_fail (x != NULL && y != NULL && x->rows == y->rows && x->rows > 0, NAN);
  g_return_val_if_fail (error == NULL || *error == NULL, NAN);

  return train_epoch (self, x, y, batch_size, shuffle, NULL, error);
}

static gboolean
parameters_finite (NnModel *self)
{
  for (guint i = 0; i < self->params->len; i++)
    if (!nn_matrix_is_finite (self->params->pdata[i]))
      return FALSE;
  return TRUE;
}

/**
 * nn_model_fit:
 * @self: a #NnModel
 * @x: training inputs
 * @y: training targets
 * @val_x: (nullable): validation inputs
 * @val_y: (nullable): validation targets
 * @epochs: the number of epochs to train in this call
 * @batch_size: samples per update, 0 for the whole set
 * @shuffle: reshuffle the samples before every epoch
 * @cancellable: (nullable): checked before every batch
 * @error: return location for a #GError
 *
 * Trains for @epochs epochs with nn_model_train_epoch(), appending the
 * training loss and the validation loss of each to the history and emitting
 * #NnModel::epoch-finished. Training continues where the model stands
 * (#NnModel:epoch): to finish a run of N epochs after restoring a saved
 * state, pass N − nn_model_get_epoch().
 *
 * When @cancellable is cancelled, training stops after the current batch;
 * the model remembers how far the epoch got, and the next call continues
 * it, so that a run cancelled, saved, restored and continued takes exactly
 * the steps of a run never stopped.
 *
 * Returns: %TRUE when every epoch was trained or a handler called
 *   nn_model_stop_training(), or %FALSE with @error set:
 *   %NN_MODEL_ERROR_NOT_FINITE when training diverges,
 *   %G_IO_ERROR_CANCELLED when cancelled
 */
gboolean
nn_model_fit (NnModel         *self,
              const NnMatrix  *x,
              const NnMatrix  *y,
              const NnMatrix  *val_x,
              const NnMatrix  *val_y,
              guint            epochs,
              guint            batch_size,
              gboolean         shuffle,
              GCancellable    *cancellable,
              GError         **error)
{
  g_return_val_if_fail (NN_IS_MODEL (self), FALSE);
  g_return_val_if_fail (x != NULL && y != NULL && x->rows == y->rows && x->rows > 0, FALSE);
  g_return_val_if_fail ((val_x == NULL) == (val_y == NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  self->stop_requested = FALSE;
  for (guint i = 0; i < epochs && !self->stop_requested; i++)
    {
      g_autoptr(GError) local_error = NULL;
      double loss, val_loss = NAN;
      guint epoch;

      loss = train_epoch (self, x, y, batch_size, shuffle, cancellable, &local_error);
      if (isnan (loss))
        {
          /* A batch's error says which batch; this says which epoch. */
          if (g_error_matches (local_error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE))
            g_prefix_error (&local_error, "epoch %u, ", self->epoch + 1);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      epoch = self->epoch;
      if (!parameters_finite (self))
        {
          set_diverged_error (self, error, "epoch %u: a weight became NaN or infinite",
                              epoch);
          return FALSE;
        }
      if (val_x != NULL)
        {
          val_loss = nn_model_evaluate (self, val_x, val_y, error);
          if (isnan (val_loss))
            {
              g_prefix_error (error, "epoch %u, validation: ", epoch);
              return FALSE;
            }
        }
      g_array_append_val (self->loss_history, loss);
      g_array_append_val (self->val_loss_history, val_loss);
      g_signal_emit (self, signals[EPOCH_FINISHED], 0, epoch, loss, val_loss);
    }
  return TRUE;
}

/**
 * nn_model_stop_training:
 * @self: a #NnModel
 *
 * Makes the running nn_model_fit() return %TRUE once the current epoch is
 * finished and reported; for handlers of #NnModel::epoch-finished, such as
 * early stopping. Every call to nn_model_fit() starts without the request.
 */
void
nn_model_stop_training (NnModel *self)
{
  g_return_if_fail (NN_IS_MODEL (self));

  self->stop_requested = TRUE;
}

/**
 * nn_model_predict:
 * @self: a #NnModel
 * @x: inputs, samples × inputs
 *
 * Returns: (transfer full): the outputs, samples × outputs
 */
NnMatrix *
nn_model_predict (NnModel        *self,
                  const NnMatrix *x)
{
  NnMatrix *out;

  g_return_val_if_fail (NN_IS_MODEL (self), NULL);
  g_return_val_if_fail (x != NULL && x->cols == nn_model_get_n_inputs (self), NULL);

  out = nn_matrix_new (x->rows, nn_model_get_n_outputs (self));
  for (guint start = 0; start < x->rows; start += EVAL_CHUNK)
    {
      guint rows = MIN (EVAL_CHUNK, x->rows - start);
      NnMatrix xs = nn_matrix_view_rows (x, start, rows);
      NnMatrix os = nn_matrix_view_rows (out, start, rows);

      nn_matrix_copy_into (nn_model_forward (self, &xs), &os);
    }
  return out;
}

/**
 * nn_model_evaluate:
 * @self: a #NnModel
 * @x: inputs
 * @y: targets
 * @error: return location for a #GError
 *
 * Returns: the loss over the whole set, or NaN with
 *   %NN_MODEL_ERROR_NOT_FINITE set
 */
double
nn_model_evaluate (NnModel         *self,
                   const NnMatrix  *x,
                   const NnMatrix  *y,
                   GError         **error)
{
  double total = 0.0;

  g_return_val_if_fail (NN_IS_MODEL (self), NAN);
  g_return_val_if_fail (NN_IS_LOSS (self->loss), NAN);
  g_return_val_if_fail (x != NULL && y != NULL && x->rows == y->rows && x->rows > 0, NAN);
  g_return_val_if_fail (y->cols == nn_model_get_n_outputs (self), NAN);

  for (guint start = 0; start < x->rows; start += EVAL_CHUNK)
    {
      guint rows = MIN (EVAL_CHUNK, x->rows - start);
      NnMatrix xs = nn_matrix_view_rows (x, start, rows);
      NnMatrix ys = nn_matrix_view_rows (y, start, rows);

      total += nn_loss_compute (self->loss, nn_model_forward (self, &xs), &ys) * rows;
    }
  total /= x->rows;
  if (!isfinite (total))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE,
                   "the loss is %g", total);
      return NAN;
    }
  return total;
}

/**
 * nn_model_get_loss_history:
 * @self: a #NnModel
 *
 * Returns: (transfer none) (element-type gdouble): the training loss of
 *   every epoch trained so far
 */
GArray *
nn_model_get_loss_history (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);

  return self->loss_history;
}

/**
 * nn_model_get_val_loss_history:
 * @self: a #NnModel
 *
 * Returns: (transfer none) (element-type gdouble): the validation loss at the
 *   end of every epoch, NaN where there was no validation data
 */
GArray *
nn_model_get_val_loss_history (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);

  return self->val_loss_history;
}

/**
 * nn_model_get_n_parameters:
 * @self: a #NnModel
 *
 * Returns: the number of parameter matrices: a weight and a bias matrix per
 *   layer
 */
guint
nn_model_get_n_parameters (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0);

  return self->params->len;
}

/**
 * nn_model_get_parameter:
 * @self: a #NnModel
 * @index: 2 × layer for its weights, 2 × layer + 1 for its bias
 *
 * Returns: (transfer none): the parameter matrix, modifiable in place
 */
NnMatrix *
nn_model_get_parameter (NnModel *self,
                        guint    index)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);
  g_return_val_if_fail (index < self->params->len, NULL);

  return self->params->pdata[index];
}

/**
 * nn_model_get_gradient:
 * @self: a #NnModel
 * @index: as for nn_model_get_parameter()
 *
 * Returns: (transfer none): the gradient of that parameter from the last
 *   backward step (after clipping, in a training step)
 */
const NnMatrix *
nn_model_get_gradient (NnModel *self,
                       guint    index)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);
  g_return_val_if_fail (index < self->grads->len, NULL);

  return self->grads->pdata[index];
}

/**
 * nn_model_get_gradient_norm:
 * @self: a #NnModel
 *
 * The global norm that #NnModel:clip-norm limits: the square root of the
 * sum of the squares of every gradient element of every parameter.
 *
 * Returns: the norm of the gradients of the last backward step (after
 *   clipping, in a training step)
 */
double
nn_model_get_gradient_norm (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0.0);

  return gradient_norm (self);
}

/* ---- training state ------------------------------------------------------ */

/**
 * nn_model_save_training_state:
 * @self: a #NnModel
 *
 * Captures everything that training depends on beyond the model's
 * configuration, so that nn_model_load_training_state() on a model built
 * the same way continues exactly as @self would: the seed, #NnModel:epoch,
 * how far an epoch stopped part-way got, the parameters, the optimizer's
 * state (nn_optimizer_save_state()) and the loss histories. The layer
 * shapes, activation and loss types are recorded to be checked on loading.
 * Values are stored as doubles, exactly in either build.
 *
 * The state is an `a{sv}` dictionary: `seed` (`t`), `epoch` (`u`), `layers`
 * (`a(uus)`: inputs, units and activation type of each layer), `loss`
 * (`s`, its type, empty without one), `parameters` (`a(uuad)`: rows,
 * columns and values of each parameter in nn_model_get_parameter() order),
 * `optimizer` (`a{sv}`, without an optimizer absent), `loss-history` and
 * `val-loss-history` (`ad`), and `partial` (`(uduub)`: samples done in the
 * current epoch, the sum of their losses, the batch size, the number of
 * samples and whether it shuffles; all 0 between epochs).
 *
 * Returns: (transfer full): the state, an `a{sv}` #GVariant
 */
GVariant *
nn_model_save_training_state (NnModel *self)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  GVariantBuilder layers;

  g_return_val_if_fail (NN_IS_MODEL (self), NULL);

  g_variant_dict_insert (&dict, "seed", "t", self->seed);
  g_variant_dict_insert (&dict, "epoch", "u", self->epoch);

  g_variant_builder_init (&layers, G_VARIANT_TYPE ("a(uus)"));
  for (guint l = 0; l < self->layers->len; l++)
    {
      NnLayer *layer = self->layers->pdata[l];

      g_variant_builder_add (&layers, "(uus)", nn_layer_get_n_inputs (layer),
                             nn_layer_get_units (layer),
                             G_OBJECT_TYPE_NAME (nn_layer_get_activation (layer)));
    }
  g_variant_dict_insert_value (&dict, "layers", g_variant_builder_end (&layers));
  g_variant_dict_insert (&dict, "loss", "s",
                         self->loss != NULL ? G_OBJECT_TYPE_NAME (self->loss) : "");
  nn_optimizer_state_add_buffers (&dict, "parameters", self->params);
  if (self->optimizer != NULL)
    {
      g_autoptr(GVariant) optimizer = NULL;

      ensure_optimizer_ready (self);
      optimizer = nn_optimizer_save_state (self->optimizer);
      g_variant_dict_insert_value (&dict, "optimizer", optimizer);
    }
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
  g_variant_dict_insert (&dict, "partial", "(uduub)", self->part_samples,
                         self->part_loss_sum, self->part_batch_size,
                         self->part_n_samples, self->part_shuffle);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

/* The value of @key, which must be there with type @type. */
static GVariant *
lookup_state (GVariant     *state,
              const char   *key,
              const char   *type,
              GError      **error)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (state, key, NULL);

  if (value == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the training state has no '%s'", key);
      return NULL;
    }
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE (type)))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "training state '%s' is of type %s, not %s", key,
                   g_variant_get_type_string (value), type);
      return NULL;
    }
  return g_steal_pointer (&value);
}

static gboolean
check_layers (NnModel   *self,
              GVariant  *layers,
              GError   **error)
{
  gsize n = g_variant_n_children (layers);

  if (n != self->layers->len)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "the training state is of a model with %" G_GSIZE_FORMAT " layers; "
                   "this one has %u", n, self->layers->len);
      return FALSE;
    }
  for (gsize l = 0; l < n; l++)
    {
      NnLayer *layer = self->layers->pdata[l];
      const char *activation = G_OBJECT_TYPE_NAME (nn_layer_get_activation (layer));
      const char *saved_activation;
      guint32 inputs, units;

      g_variant_get_child (layers, l, "(uu&s)", &inputs, &units, &saved_activation);
      if (inputs != nn_layer_get_n_inputs (layer) || units != nn_layer_get_units (layer))
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                       "layer %" G_GSIZE_FORMAT " of the training state has %u inputs and "
                       "%u units; this model's has %u inputs and %u units", l + 1, inputs, units,
                       nn_layer_get_n_inputs (layer), nn_layer_get_units (layer));
          return FALSE;
        }
      if (!g_str_equal (saved_activation, activation))
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                       "layer %" G_GSIZE_FORMAT " of the training state has a %s; "
                       "this model's has a %s", l + 1, saved_activation, activation);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_parameters (NnModel   *self,
                  GVariant  *params,
                  GError   **error)
{
  gsize n = g_variant_n_children (params);

  if (n != self->params->len)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "the training state has %" G_GSIZE_FORMAT " parameter matrices; "
                   "this model has %u", n, self->params->len);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    {
      const NnMatrix *m = self->params->pdata[i];
      g_autoptr(GVariant) values = NULL;
      guint32 rows, cols;

      g_variant_get_child (params, i, "(uu@ad)", &rows, &cols, &values);
      if (rows != m->rows || cols != m->cols ||
          g_variant_n_children (values) != nn_matrix_size (m))
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                       "parameter %" G_GSIZE_FORMAT " of the training state is %u×%u with "
                       "%" G_GSIZE_FORMAT " values; this model's is %u×%u",
                       i, rows, cols, g_variant_n_children (values), m->rows, m->cols);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * nn_model_load_training_state:
 * @self: a #NnModel built and configured as the one that saved @state:
 *   the same layers, activations, loss, optimizer (type and settings) and
 *   seed
 * @state: a state from nn_model_save_training_state()
 * @error: return location for a #GError
 *
 * Restores a training state, so that the following epochs (nn_model_fit()
 * or nn_model_train_epoch() with the same data, batch size and shuffling)
 * are those the saving model would have trained. Everything is checked
 * before anything changes: a state of another shape, seed, type or format
 * is an error, never a crash.
 *
 * Returns: %TRUE on success, or %FALSE with @error set in the
 *   %NN_MODEL_ERROR domain and @self unchanged
 */
gboolean
nn_model_load_training_state (NnModel   *self,
                              GVariant  *state,
                              GError   **error)
{
  g_autoptr(GVariant) layers = NULL;
  g_autoptr(GVariant) params = NULL;
  g_autoptr(GVariant) loss_history = NULL;
  g_autoptr(GVariant) val_loss_history = NULL;
  g_autoptr(GVariant) optimizer = NULL;
  g_autoptr(GVariant) partial = NULL;
  g_autoptr(GVariant) scalar = NULL;
  g_autoptr(GVariantDict) dict = NULL;
  const double *losses, *val_losses;
  gsize n_losses, n_val_losses;
  guint64 seed;
  guint32 epoch, part_samples, part_batch_size, part_n_samples;
  double part_loss_sum;
  gboolean part_shuffle;
  const char *loss;

  g_return_val_if_fail (NN_IS_MODEL (self), FALSE);
  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_variant_is_of_type (state, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "a training state is a dictionary of type a{sv}, not %s",
                   g_variant_get_type_string (state));
      return FALSE;
    }

  if ((scalar = lookup_state (state, "seed", "t", error)) == NULL)
    return FALSE;
  seed = g_variant_get_uint64 (scalar);
  g_clear_pointer (&scalar, g_variant_unref);
  if (seed != self->seed)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the training state is of a run with seed %" G_GUINT64_FORMAT
                   "; this model has seed %" G_GUINT64_FORMAT, seed, self->seed);
      return FALSE;
    }
  if ((scalar = lookup_state (state, "epoch", "u", error)) == NULL)
    return FALSE;
  epoch = g_variant_get_uint32 (scalar);
  g_clear_pointer (&scalar, g_variant_unref);

  if ((layers = lookup_state (state, "layers", "a(uus)", error)) == NULL ||
      !check_layers (self, layers, error))
    return FALSE;

  if ((scalar = lookup_state (state, "loss", "s", error)) == NULL)
    return FALSE;
  loss = g_variant_get_string (scalar, NULL);
  if (*loss != '\0' && self->loss != NULL && !g_str_equal (loss, G_OBJECT_TYPE_NAME (self->loss)))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the training state is of a model trained with a %s; this one has a %s",
                   loss, G_OBJECT_TYPE_NAME (self->loss));
      return FALSE;
    }

  if ((params = lookup_state (state, "parameters", "a(uuad)", error)) == NULL ||
      !check_parameters (self, params, error))
    return FALSE;

  optimizer = g_variant_lookup_value (state, "optimizer", NULL);
  if (optimizer != NULL && !g_variant_is_of_type (optimizer, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "training state 'optimizer' is of type %s, not a{sv}",
                   g_variant_get_type_string (optimizer));
      return FALSE;
    }
  if ((optimizer != NULL) != (self->optimizer != NULL))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   optimizer != NULL ? "the training state has an optimizer state, "
                                       "but this model has no optimizer"
                                     : "the training state has no optimizer state");
      return FALSE;
    }

  if ((loss_history = lookup_state (state, "loss-history", "ad", error)) == NULL ||
      (val_loss_history = lookup_state (state, "val-loss-history", "ad", error)) == NULL)
    return FALSE;
  losses = g_variant_get_fixed_array (loss_history, &n_losses, sizeof (double));
  val_losses = g_variant_get_fixed_array (val_loss_history, &n_val_losses, sizeof (double));
  if (n_losses != n_val_losses || n_losses > epoch)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the training state has %" G_GSIZE_FORMAT " training and %"
                   G_GSIZE_FORMAT " validation losses for %u epochs",
                   n_losses, n_val_losses, epoch);
      return FALSE;
    }

  if ((partial = lookup_state (state, "partial", "(uduub)", error)) == NULL)
    return FALSE;
  g_variant_get (partial, "(uduub)", &part_samples, &part_loss_sum, &part_batch_size,
                 &part_n_samples, &part_shuffle);
  if (part_samples > 0 &&
      (part_samples >= part_n_samples || part_batch_size == 0 ||
       part_batch_size > part_n_samples || !isfinite (part_loss_sum)))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the training state stopped epoch %u after %u of %u samples in "
                   "batches of %u, which is not possible", epoch + 1, part_samples,
                   part_n_samples, part_batch_size);
      return FALSE;
    }

  /* Only the optimizer can still refuse, and it changes nothing when it
   * does; a fresh optimizer is prepared first, as training would. */
  if (optimizer != NULL)
    {
      ensure_optimizer_ready (self);
      if (!nn_optimizer_load_state (self->optimizer, optimizer, error))
        return FALSE;
    }

  dict = g_variant_dict_new (state);
  if (!nn_optimizer_state_read_buffers (dict, "parameters", self->params, error))
    g_return_val_if_reached (FALSE);

  g_array_set_size (self->loss_history, n_losses);
  g_array_set_size (self->val_loss_history, n_losses);
  if (n_losses > 0)
    {
      memcpy (self->loss_history->data, losses, n_losses * sizeof (double));
      memcpy (self->val_loss_history->data, val_losses, n_losses * sizeof (double));
    }

  nn_model_set_epoch (self, epoch);
  self->part_samples = part_samples;
  self->part_loss_sum = part_samples > 0 ? part_loss_sum : 0.0;
  self->part_batch_size = part_batch_size;
  self->part_n_samples = part_n_samples;
  self->part_shuffle = part_shuffle;
  return TRUE;
}
