/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-errors.h"
#include "nn-layer-private.h"
#include "nn-model-private.h"

/**
 * NnModel:
 *
 * An ordered stack of dense layers with a loss and an optimizer: the
 * network, and nothing of its training.
 *
 * The model has a forward step, a backward step that computes the gradient
 * of the loss for every parameter, and an update that applies the
 * optimizer to the parameters (nn_model_apply_gradients()). Every layer
 * keeps its Z and A from the forward step, which the backward step uses.
 * Epochs, batches, shuffling, schedules, clipping and histories are an
 * #NnTrainer's.
 *
 * Initial weights come from the model's own random sequence, seeded by
 * #NnModel:seed and restarted by nn_model_set_seed(); nn_trainer_new()
 * takes the same seed for the shuffling.
 */
struct _NnModel
{
  GObject parent_instance;

  GPtrArray   *layers; /* NnLayer */
  NnLoss      *loss;
  NnOptimizer *optimizer;
  guint64      seed;
  GRand       *rand; /* initial weights */

  GPtrArray *params; /* NnMatrix, borrowed from the layers */
  GPtrArray *grads;
  gboolean   optimizer_ready;

  /* Work space, grown to the largest batch and then reused. */
  NnMatrix *grad_out; /* batch × outputs */
};

G_DEFINE_FINAL_TYPE (NnModel, nn_model, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (NnInit,
                    nn_init,
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
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Rows per forward step when predicting or evaluating a whole data set. */
#define EVAL_CHUNK 4096

static void
nn_model_dispose (GObject *object)
{
  NnModel *self = NN_MODEL (object);

  g_clear_pointer (&self->layers, g_ptr_array_unref);
  g_clear_object (&self->loss);
  g_clear_object (&self->optimizer);

  G_OBJECT_CLASS (nn_model_parent_class)->dispose (object);
}

static void
nn_model_finalize (GObject *object)
{
  NnModel *self = NN_MODEL (object);

  g_clear_pointer (&self->rand, g_rand_free);
  g_clear_pointer (&self->params, g_ptr_array_unref);
  g_clear_pointer (&self->grads, g_ptr_array_unref);
  g_clear_pointer (&self->grad_out, nn_matrix_free);

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
   * The seed of the initial weights. Setting it restarts their sequence;
   * nn_trainer_new() takes it as the seed of the shuffling.
   */
  properties[PROP_SEED] =
    g_param_spec_uint64 ("seed", NULL, "Seed of the initial weights",
                         0, G_MAXUINT32, 42,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                           G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_model_init (NnModel *self)
{
  self->layers = g_ptr_array_new_with_free_func (g_object_unref);
  self->params = g_ptr_array_new ();
  self->grads = g_ptr_array_new ();
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
           ? nn_layer_get_units (self->layers->pdata[self->layers->len - 1])
           : 0;
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
      NnLayer  *layer = self->layers->pdata[l];
      NnMatrix *w = nn_layer_get_weights (layer);
      double    fan_in = nn_layer_get_n_inputs (layer);
      double    fan_out = nn_layer_get_units (layer);
      double    std = 1.0, limit = 0.0;
      gboolean  uniform = FALSE;

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

/* The gradient of the mean loss becomes that of Σ wᵢ lᵢ / Σ wᵢ: row i of
 * the output gradient scaled by n wᵢ / Σ wᵢ, through the joint form too.
 * Rows of zero weight, or a batch of them only, count for nothing. */
static void
weigh_rows (NnMatrix     *grad,
            const double *weights)
{
  double sum = 0;

  for (guint r = 0; r < grad->rows; r++)
    sum += weights[r];
  for (guint r = 0; r < grad->rows; r++)
    {
      nn_real  scale = (nn_real) (sum > 0 ? grad->rows * weights[r] / sum : 0);
      nn_real *g = grad->data + (gsize) r * grad->cols;

      for (guint c = 0; c < grad->cols; c++)
        g[c] *= scale;
    }
}

/* Inlined into both entries, so that without weights nothing is tested
 * in the step. */
G_ALWAYS_INLINE static inline void
backward (NnModel        *self,
          const NnMatrix *x,
          const NnMatrix *y,
          const double   *weights)
{
  NnLayer        *last;
  NnMatrix        grad;
  const NnMatrix *grad_a;
  guint           n;

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

      if (weights != NULL)
        weigh_rows (&grad, weights);
      grad_a = nn_layer_backward_from_z (last, input, &grad, n > 1);
      n--;
    }
  else
    {
      nn_loss_gradient (self->loss, nn_layer_get_a (last), y, &grad);
      if (weights != NULL)
        weigh_rows (&grad, weights);
      grad_a = &grad;
    }
  for (guint l = n; l-- > 0;)
    {
      const NnMatrix *input = l > 0 ? nn_layer_get_a (self->layers->pdata[l - 1]) : x;
      grad_a = nn_layer_backward (self->layers->pdata[l], input, grad_a, l > 0);
    }
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
 * (nn_loss_output_gradient()). The layers' regularization is not part of
 * it: nn_model_add_regularization_gradients() adds its gradient.
 */
void
nn_model_backward (NnModel        *self,
                   const NnMatrix *x,
                   const NnMatrix *y)
{
  backward (self, x, y, NULL);
}

/**
 * nn_model_backward_weighted:
 * @self: a #NnModel
 * @x: the inputs of the last forward step
 * @y: the targets of that batch, batch × outputs
 * @weights: (nullable) (array): a weight per sample of the batch, at least
 *   0, or %NULL for nn_model_backward()
 *
 * Computes the gradient of the weighted loss Σ wᵢ lᵢ / Σ wᵢ, lᵢ being the
 * loss of sample i (nn_loss_compute_rows()), with respect to every
 * parameter: PyTorch's `weight=` of its losses. A batch whose weights are
 * all 0 has a gradient of 0.
 */
void
nn_model_backward_weighted (NnModel        *self,
                            const NnMatrix *x,
                            const NnMatrix *y,
                            const double   *weights)
{
  backward (self, x, y, weights);
}

/**
 * nn_model_get_regularization_loss:
 * @self: a #NnModel
 *
 * The sum of the layers' regularization terms
 * (nn_layer_get_regularization_loss()) at the current weights: what a
 * training step adds to the loss of its batch. nn_model_evaluate() leaves
 * it out.
 *
 * Returns: the penalty, 0 when no layer is regularized
 */
double
nn_model_get_regularization_loss (NnModel *self)
{
  double sum = 0.0;

  g_return_val_if_fail (NN_IS_MODEL (self), 0.0);

  for (guint l = 0; l < self->layers->len; l++)
    sum += nn_layer_regularization_loss (self->layers->pdata[l]);
  return sum;
}

/**
 * nn_model_add_regularization_gradients:
 * @self: a #NnModel
 *
 * Adds the gradient of nn_model_get_regularization_loss() to the weight
 * gradients of the last backward step (nn_layer_add_regularization_gradient()),
 * which then are those of the training loss.
 */
void
nn_model_add_regularization_gradients (NnModel *self)
{
  g_return_if_fail (NN_IS_MODEL (self));

  for (guint l = 0; l < self->layers->len; l++)
    nn_layer_add_regularization (self->layers->pdata[l]);
}

/* The 2-norm of all gradients taken together, summed in double. */
static double
gradient_norm (NnModel *self)
{
  double sum = 0.0;

  for (guint i = 0; i < self->grads->len; i++)
    {
      const NnMatrix *g = self->grads->pdata[i];
      gsize           n = nn_matrix_size (g);

      for (gsize j = 0; j < n; j++)
        sum += (double) g->data[j] * g->data[j];
    }
  return sqrt (sum);
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

/**
 * nn_model_apply_gradients:
 * @self: a #NnModel with an optimizer
 *
 * One optimizer step: moves every parameter by the optimizer's rule from
 * its gradient of the last backward step (nn_model_get_gradient()). The
 * optimizer is prepared for the parameters at the first step, and again
 * after a layer or another optimizer is added; it never allocates after
 * that.
 */
void
nn_model_apply_gradients (NnModel *self)
{
  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (self->optimizer != NULL); /* of its type: set_optimizer checks */

  ensure_optimizer_ready (self);
  nn_optimizer_step (self->optimizer, self->params->len,
                     (NnMatrix **) self->params->pdata,
                     (const NnMatrix **) self->grads->pdata);
}

/**
 * nn_model_scale_gradients:
 * @self: a #NnModel
 * @factor: the factor
 *
 * Multiplies every gradient of the last backward step by @factor, in
 * place, as gradient clipping (#NnTrainer:clip-norm) does before the
 * update.
 */
void
nn_model_scale_gradients (NnModel *self,
                          double   factor)
{
  g_return_if_fail (NN_IS_MODEL (self));

  for (guint i = 0; i < self->grads->len; i++)
    {
      NnMatrix *g = self->grads->pdata[i];
      gsize     n = nn_matrix_size (g);

      for (gsize j = 0; j < n; j++)
        g->data[j] = (nn_real) (g->data[j] * factor);
    }
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
      guint    rows = MIN (EVAL_CHUNK, x->rows - start);
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
nn_model_evaluate (NnModel        *self,
                   const NnMatrix *x,
                   const NnMatrix *y,
                   GError        **error)
{
  double total = 0.0;

  g_return_val_if_fail (NN_IS_MODEL (self), NAN);
  g_return_val_if_fail (NN_IS_LOSS (self->loss), NAN);
  g_return_val_if_fail (x != NULL && y != NULL && x->rows == y->rows && x->rows > 0, NAN);
  g_return_val_if_fail (y->cols == nn_model_get_n_outputs (self), NAN);

  for (guint start = 0; start < x->rows; start += EVAL_CHUNK)
    {
      guint    rows = MIN (EVAL_CHUNK, x->rows - start);
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
 * The global norm that #NnTrainer:clip-norm limits: the square root of the
 * sum of the squares of every gradient element of every parameter, summed
 * in double.
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

/* The parameters, for the trainer's step: no call per parameter. */
NnMatrix * const *
nn_model_peek_parameters (NnModel *self,
                          guint   *n_params)
{
  *n_params = self->params->len;
  return (NnMatrix * const *) self->params->pdata;
}

/* ---- training state ------------------------------------------------------ */

/* The model's part of nn_trainer_save_state(), in the order the dictionary
 * has always been built: `layers`, `loss`, `parameters` and `optimizer`. */
void
nn_model_save_state (NnModel      *self,
                     GVariantDict *dict)
{
  GVariantBuilder layers;

  g_variant_builder_init (&layers, G_VARIANT_TYPE ("a(uus)"));
  for (guint l = 0; l < self->layers->len; l++)
    {
      NnLayer *layer = self->layers->pdata[l];

      g_variant_builder_add (&layers, "(uus)", nn_layer_get_n_inputs (layer),
                             nn_layer_get_units (layer),
                             G_OBJECT_TYPE_NAME (nn_layer_get_activation (layer)));
    }
  g_variant_dict_insert_value (dict, "layers", g_variant_builder_end (&layers));
  g_variant_dict_insert (dict, "loss", "s",
                         self->loss != NULL ? G_OBJECT_TYPE_NAME (self->loss) : "");
  nn_optimizer_state_add_buffers (dict, "parameters", self->params);
  if (self->optimizer != NULL)
    {
      g_autoptr(GVariant) optimizer = NULL;

      ensure_optimizer_ready (self);
      optimizer = nn_optimizer_save_state (self->optimizer);
      g_variant_dict_insert_value (dict, "optimizer", optimizer);
    }
}

/* The value of @key, which must be there with type @type. */
GVariant *
nn_training_state_lookup (GVariant   *state,
                          const char *key,
                          const char *type,
                          GError    **error)
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
check_layers (NnModel  *self,
              GVariant *layers,
              GError  **error)
{
  gsize n = g_variant_n_children (layers);

  if (n != self->layers->len)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "the training state is of a model with %" G_GSIZE_FORMAT " layers; "
                   "this one has %u",
                   n, self->layers->len);
      return FALSE;
    }
  for (gsize l = 0; l < n; l++)
    {
      NnLayer    *layer = self->layers->pdata[l];
      const char *activation = G_OBJECT_TYPE_NAME (nn_layer_get_activation (layer));
      const char *saved_activation;
      guint32     inputs, units;

      g_variant_get_child (layers, l, "(uu&s)", &inputs, &units, &saved_activation);
      if (inputs != nn_layer_get_n_inputs (layer) || units != nn_layer_get_units (layer))
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                       "layer %" G_GSIZE_FORMAT " of the training state has %u inputs and "
                       "%u units; this model's has %u inputs and %u units",
                       l + 1, inputs, units,
                       nn_layer_get_n_inputs (layer), nn_layer_get_units (layer));
          return FALSE;
        }
      if (!g_str_equal (saved_activation, activation))
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                       "layer %" G_GSIZE_FORMAT " of the training state has a %s; "
                       "this model's has a %s",
                       l + 1, saved_activation, activation);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_parameters (NnModel  *self,
                  GVariant *params,
                  GError  **error)
{
  gsize n = g_variant_n_children (params);

  if (n != self->params->len)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "the training state has %" G_GSIZE_FORMAT " parameter matrices; "
                   "this model has %u",
                   n, self->params->len);
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

/* Checks the model's part of a training state, changing nothing. */
gboolean
nn_model_check_state (NnModel  *self,
                      GVariant *state,
                      GError  **error)
{
  g_autoptr(GVariant) layers = NULL;
  g_autoptr(GVariant) params = NULL;
  g_autoptr(GVariant) optimizer = NULL;
  g_autoptr(GVariant) scalar = NULL;
  const char *loss;

  if ((layers = nn_training_state_lookup (state, "layers", "a(uus)", error)) == NULL ||
      !check_layers (self, layers, error))
    return FALSE;

  if ((scalar = nn_training_state_lookup (state, "loss", "s", error)) == NULL)
    return FALSE;
  loss = g_variant_get_string (scalar, NULL);
  if (*loss != '\0' && self->loss != NULL && !g_str_equal (loss, G_OBJECT_TYPE_NAME (self->loss)))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the training state is of a model trained with a %s; this one has a %s",
                   loss, G_OBJECT_TYPE_NAME (self->loss));
      return FALSE;
    }

  if ((params = nn_training_state_lookup (state, "parameters", "a(uuad)", error)) == NULL ||
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
  return TRUE;
}

/* Restores the parameters and the optimizer state of a state that
 * nn_model_check_state() accepted. Only the optimizer can still refuse,
 * and it changes nothing when it does; a fresh optimizer is prepared
 * first, as training would. */
gboolean
nn_model_load_state (NnModel  *self,
                     GVariant *state,
                     GError  **error)
{
  g_autoptr(GVariant) optimizer = g_variant_lookup_value (state, "optimizer", NULL);
  g_autoptr(GVariantDict) dict = NULL;

  if (optimizer != NULL)
    {
      ensure_optimizer_ready (self);
      if (!nn_optimizer_load_state (self->optimizer, optimizer, error))
        return FALSE;
    }

  dict = g_variant_dict_new (state);
  if (!nn_optimizer_state_read_buffers (dict, "parameters", self->params, error))
    g_return_val_if_reached (FALSE);
  return TRUE;
}
