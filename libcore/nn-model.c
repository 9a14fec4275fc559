/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-dense-layer-private.h"
#include "nn-errors.h"
#include "nn-layer-private.h"
#include "nn-model-private.h"

/**
 * NnModel:
 *
 * An ordered stack of layers of any kind ([class@Nn.Layer]) with a loss and an
 * optimizer: the network, and nothing of its training.
 *
 * The model has a forward step, a backward step that computes the gradient
 * of the loss for every parameter, and an update that applies the
 * optimizer to the parameters ([method@Nn.Model.apply_gradients]). Every layer
 * keeps its Z and A from the forward step, which the backward step uses.
 * Epochs, batches, shuffling, schedules, clipping and histories are an
 * [class@Nn.Trainer]'s.
 *
 * Initial weights come from the model's own random sequence, seeded by
 * [property@Nn.Model:seed] and restarted by [method@Nn.Model.set_seed];
 * [ctor@Nn.Trainer.new] takes the same seed for the shuffling.
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
  GPtrArray *buffers; /* NnMatrix, borrowed: state trained by no optimizer */
  guint      min_training_batch;
  gboolean   optimizer_ready;
  gboolean   training;
  guint64    step_key; /* of the step nn_model_set_step() named */

  /* Work space, grown to the largest batch and then reused. */
  NnMatrix *grad_out; /* batch × outputs */
};

G_DEFINE_FINAL_TYPE (NnModel, nn_model, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LOSS,
  PROP_OPTIMIZER,
  PROP_SEED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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
  g_clear_pointer (&self->buffers, g_ptr_array_unref);
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
   * [ctor@Nn.Trainer.new] takes it as the seed of the shuffling.
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
  self->buffers = g_ptr_array_new ();
  self->min_training_batch = 1;
  self->training = TRUE;
}

/**
 * nn_model_new:
 *
 * Makes an empty model, to which layers are added.
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
 * @layer: a layer whose input width is the last layer's output width
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
  for (guint i = 0; i < nn_layer_get_n_parameters (layer); i++)
    {
      g_ptr_array_add (self->params, nn_layer_get_parameter (layer, i));
      g_ptr_array_add (self->grads, (gpointer) nn_layer_get_gradient (layer, i));
    }
  for (guint i = 0; i < nn_layer_get_n_buffers (layer); i++)
    g_ptr_array_add (self->buffers, nn_layer_get_buffer (layer, i));
  self->min_training_batch = MAX (self->min_training_batch,
                                  nn_layer_get_min_training_batch (layer));
  nn_layer_set_training (layer, self->training);
  self->optimizer_ready = FALSE;
}

/**
 * nn_model_get_n_layers:
 * @self: a #NnModel
 *
 * Gets the number of layers.
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
 * Gets the layer.
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
 * Gets the input width of the first layer, or 0 without layers.
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
 * Gets the output width of the last layer, or 0 without layers.
 *
 * Returns: the output width of the last layer, or 0 without layers
 */
guint
nn_model_get_n_outputs (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0);

  return self->layers->len
           ? nn_layer_get_n_outputs (self->layers->pdata[self->layers->len - 1])
           : 0;
}

/**
 * nn_model_get_loss:
 * @self: a #NnModel
 *
 * Gets the loss.
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
 *
 * Sets the loss the model minimises, taking a reference.
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
 * Gets the optimizer.
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
 *
 * Sets the optimizer that updates the parameters, taking a reference.
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
 * Gets the seed of the model's random numbers.
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

/**
 * nn_model_init_parameters:
 * @self: a #NnModel
 * @init: the weight initialisation scheme
 *
 * Draws every weight from the model's random sequence, layer by layer and
 * row by row, and sets every bias to zero. A layer without parameters
 * draws nothing.
 */
void
nn_model_init_parameters (NnModel *self,
                          NnInit   init)
{
  g_return_if_fail (NN_IS_MODEL (self));

  for (guint l = 0; l < self->layers->len; l++)
    nn_layer_init_parameters (self->layers->pdata[l], init, self->rand);
}

/* The output of @layer's last forward step, without the checks of
 * nn_layer_get_a(): the model's own layers, in its steps. */
static inline const NnMatrix *
layer_output (NnLayer *layer)
{
  return NN_LAYER_GET_CLASS (layer)->get_output (layer);
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

  /* The layers' classes directly: the model has checked every width. */
  for (guint l = 0; l < self->layers->len; l++)
    {
      NnLayer *layer = self->layers->pdata[l];

      a = NN_LAYER_GET_CLASS (layer)->forward (layer, a);
    }
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
  NnLayerClass   *last_class;
  NnActivation   *out_activation;
  const NnMatrix *out;
  NnMatrix        grad;
  const NnMatrix *grad_a;
  guint           n;

  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (NN_IS_LOSS (self->loss));
  g_return_if_fail (self->layers->len > 0);

  last = self->layers->pdata[self->layers->len - 1];
  last_class = NN_LAYER_GET_CLASS (last);
  out = last_class->get_output (last);
  g_return_if_fail (y != NULL && nn_matrix_same_shape (y, out));

  /* The outputs may have widened since: a layer added after training. */
  if (self->grad_out == NULL || self->grad_out->rows < y->rows ||
      self->grad_out->cols != y->cols)
    {
      g_clear_pointer (&self->grad_out, nn_matrix_free);
      self->grad_out = nn_matrix_new (y->rows, y->cols);
    }
  grad = nn_matrix_view (self->grad_out->data, y->rows, y->cols);
  n = self->layers->len;
  out_activation = last_class->get_activation != NULL ? last_class->get_activation (last) : NULL;
  if (out_activation != NULL && last_class->backward_from_z != NULL &&
      nn_loss_output_gradient (self->loss, out_activation, out, y, &grad))
    {
      /* dL/dZ of the output layer in one step. */
      const NnMatrix *input = n > 1 ? layer_output (self->layers->pdata[n - 2]) : x;

      if (weights != NULL)
        weigh_rows (&grad, weights);
      grad_a = last_class->backward_from_z (last, input, &grad, n > 1);
      n--;
    }
  else
    {
      nn_loss_gradient (self->loss, out, y, &grad);
      if (weights != NULL)
        weigh_rows (&grad, weights);
      grad_a = &grad;
    }
  for (guint l = n; l-- > 0;)
    {
      NnLayer        *layer = self->layers->pdata[l];
      const NnMatrix *input = l > 0 ? layer_output (self->layers->pdata[l - 1]) : x;

      grad_a = NN_LAYER_GET_CLASS (layer)->backward (layer, input, grad_a, l > 0);
    }
}

/**
 * nn_model_backward:
 * @self: a #NnModel
 * @x: the inputs of the last forward step
 * @y: the targets of that batch, batch × outputs
 *
 * Computes the gradient of the loss with respect to every parameter, from
 * what each layer kept in the last forward step. Through an output layer
 * that applies an activation last (a dense layer, or an activation layer
 * after any layer) it takes the loss's joint form where there is one
 * ([method@Nn.Loss.output_gradient]). The layers' regularization is not part of
 * it: [method@Nn.Model.add_regularization_gradients] adds its gradient.
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
 *   0, or %NULL for [method@Nn.Model.backward]
 *
 * Computes the gradient of the weighted loss Σ wᵢ lᵢ / Σ wᵢ, lᵢ being the
 * loss of sample i ([method@Nn.Loss.compute_rows]), with respect to every
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
 * ([method@Nn.Layer.get_regularization_loss]) at the current weights: what a
 * training step adds to the loss of its batch. [method@Nn.Model.evaluate]
 * leaves it out.
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

/* Names the training step that follows, batch @batch of epoch @epoch of a
 * training seeded with @seed, for the layers that draw random numbers:
 * each layer draws from a stream of (seed, epoch, batch, its index), so
 * that a step draws the same numbers however training got to it. */
void
nn_model_set_step (NnModel *self,
                   guint64  seed,
                   guint    epoch,
                   guint    batch)
{
  self->step_key = nn_mix64 (nn_mix64 (nn_mix64 (seed) ^ epoch) ^ batch);
  nn_model_set_step_first_row (self, 0);
}

/* The rows that follow are those of the step's batch from @first_row on,
 * as one process's shard in data-parallel training: a layer's draw i is
 * then draw first_row × outputs + i of the whole batch's stream, so that
 * every row draws what it draws when one process trains the whole batch. */
void
nn_model_set_step_first_row (NnModel *self,
                             guint    first_row)
{
  for (guint l = 0; l < self->layers->len; l++)
    {
      NnLayer *layer = self->layers->pdata[l];

      nn_layer_set_step_key (layer, nn_mix64 (self->step_key ^ l) +
                                      (guint64) first_row * nn_layer_get_n_outputs (layer));
    }
}

/**
 * nn_model_add_regularization_gradients:
 * @self: a #NnModel
 *
 * Adds the gradient of [method@Nn.Model.get_regularization_loss] to the weight
 * gradients of the last backward step
 * ([method@Nn.Layer.add_regularization_gradient]), which then are those of the
 * training loss.
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
 * @self: a [class@Nn.Model] with an optimizer
 *
 * One optimizer step: moves every parameter by the optimizer's rule from
 * its gradient of the last backward step ([method@Nn.Model.get_gradient]). The
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
  nn_dense_layers_forget_weight_bounds (self->layers);
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
 * place, as gradient clipping ([property@Nn.Trainer:clip-norm]) does before the
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
 * nn_model_set_training:
 * @self: a #NnModel
 * @training: %TRUE for training, %FALSE for evaluation
 *
 * Switches every layer between training, the mode of a new model and of an
 * [class@Nn.Trainer]'s steps, and evaluation, which [method@Nn.Model.predict]
 * and [method@Nn.Model.evaluate] use whatever the mode.
 */
void
nn_model_set_training (NnModel *self,
                       gboolean training)
{
  g_return_if_fail (NN_IS_MODEL (self));

  training = !!training;
  if (training == self->training)
    return;
  self->training = training;
  for (guint l = 0; l < self->layers->len; l++)
    nn_layer_set_training (self->layers->pdata[l], training);
}

/**
 * nn_model_get_training:
 * @self: a #NnModel
 *
 * Whether the model is in training mode.
 *
 * Returns: whether the model is in training mode
 */
gboolean
nn_model_get_training (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), FALSE);

  return self->training;
}

/**
 * nn_model_get_n_parameters:
 * @self: a #NnModel
 *
 * Gets the number of parameter matrices.
 *
 * Returns: the number of parameter matrices: those of every layer in
 *   order, a weight and a bias matrix for a dense layer
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
 * @index: the layers' parameters counted in order: in a model of dense
 *   layers, 2 × layer for its weights and 2 × layer + 1 for its bias
 *
 * Gets the parameter matrix, modifiable in place.
 *
 * Returns: (transfer none): the parameter matrix, modifiable in place
 */
NnMatrix *
nn_model_get_parameter (NnModel *self,
                        guint    index)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);
  g_return_val_if_fail (index < self->params->len, NULL);

  nn_dense_layers_forget_weight_bounds (self->layers);
  return self->params->pdata[index];
}

/**
 * nn_model_get_gradient:
 * @self: a #NnModel
 * @index: as for [method@Nn.Model.get_parameter]
 *
 * Gets the gradient of that parameter from the last backward step (after
 * clipping, in a training step).
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
 * The global norm that [property@Nn.Trainer:clip-norm] limits: the square root
 * of the sum of the squares of every gradient element of every parameter,
 * summed in double.
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

/* The parameters as an array, for the training state. */
GPtrArray *
nn_model_peek_parameter_array (NnModel *self)
{
  nn_model_forget_weight_bounds (self);
  return self->params;
}

/* The weights may change where the dense layers do not see it. */
void
nn_model_forget_weight_bounds (NnModel *self)
{
  nn_dense_layers_forget_weight_bounds (self->layers);
}

/* The layers' buffers in order, for the training state. */
GPtrArray *
nn_model_peek_buffer_array (NnModel *self)
{
  return self->buffers;
}

/**
 * nn_model_get_min_training_batch:
 * @self: a #NnModel
 *
 * Gets the fewest samples a training batch may have.
 *
 * Returns: the fewest samples a training batch may have: the most any
 *   layer needs ([method@Nn.Layer.get_min_training_batch]), 1 for most models
 */
guint
nn_model_get_min_training_batch (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 1);

  return self->min_training_batch;
}

/* Prepares the optimizer for the parameters, once. */
void
nn_model_prepare_optimizer (NnModel *self)
{
  ensure_optimizer_ready (self);
}

/* The parameters, for the trainer's step: no call per parameter. */
NnMatrix * const *
nn_model_peek_parameters (NnModel *self,
                          guint   *n_params)
{
  *n_params = self->params->len;
  return (NnMatrix * const *) self->params->pdata;
}

/* The gradients, in the order of the parameters, writable: for a sum of
 * them across processes. */
NnMatrix * const *
nn_model_peek_gradients (NnModel *self,
                         guint   *n_grads)
{
  *n_grads = self->grads->len;
  return (NnMatrix * const *) self->grads->pdata;
}
