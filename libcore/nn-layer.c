/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-layer.h"
#include "nn-layer-private.h"
#include "nn-simd.h"
#include "nn-registry.h"

/**
 * NnLayer:
 *
 * One step of a network, of any kind: a dense layer ([class@Nn.DenseLayer]), an
 * activation on its own ([class@Nn.ActivationLayer]), or a kind a plugin
 * registers on [const@Nn.LAYER_EXTENSION_POINT_NAME].
 *
 * A layer takes a batch × [property@Nn.Layer:n-inputs] matrix and gives a batch
 * × [method@Nn.Layer.get_n_outputs] one, keeping what its backward step needs.
 * Its parameters, if it has any, are matrices the model hands to the optimizer
 * in order. A layer is in training mode until [method@Nn.Layer.set_training]
 * says otherwise; the model switches it to evaluation to predict and evaluate,
 * for kinds that behave differently then.
 */
typedef struct
{
  guint    n_inputs;
  gboolean training;
  guint64  step_key; /* names the training step, for kinds that draw */
} NnLayerPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NnLayer, nn_layer, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (NnInit,
                    nn_init,
                    G_DEFINE_ENUM_VALUE (NN_INIT_NORMAL, "normal"),
                    G_DEFINE_ENUM_VALUE (NN_INIT_GLOROT_UNIFORM, "glorot_uniform"),
                    G_DEFINE_ENUM_VALUE (NN_INIT_GLOROT_NORMAL, "glorot_normal"),
                    G_DEFINE_ENUM_VALUE (NN_INIT_HE_NORMAL, "he_normal"),
                    G_DEFINE_ENUM_VALUE (NN_INIT_HE_UNIFORM, "he_uniform"))

enum {
  PROP_0,
  PROP_N_INPUTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nn_layer_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  NnLayerPrivate *priv = nn_layer_get_instance_private (NN_LAYER (object));

  switch (prop_id)
    {
    case PROP_N_INPUTS:
      g_value_set_uint (value, priv->n_inputs);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_layer_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  NnLayerPrivate *priv = nn_layer_get_instance_private (NN_LAYER (object));

  switch (prop_id)
    {
    case PROP_N_INPUTS:
      priv->n_inputs = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static guint
nn_layer_real_get_n_outputs (NnLayer *self,
                             guint    n_inputs)
{
  return n_inputs;
}

static void
nn_layer_class_init (NnLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = nn_layer_get_property;
  object_class->set_property = nn_layer_set_property;
  klass->get_n_outputs = nn_layer_real_get_n_outputs;

  /**
   * NnLayer:n-inputs:
   *
   * The width of the layer's input: the previous layer's output width, or
   * the number of features for the first layer.
   */
  properties[PROP_N_INPUTS] =
    g_param_spec_uint ("n-inputs", NULL, "Width of the layer's input",
                       1, NN_LAYER_MAX_WIDTH, 1,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_layer_init (NnLayer *self)
{
  NnLayerPrivate *priv = nn_layer_get_instance_private (self);

  priv->training = TRUE;
}

/**
 * nn_layer_get_n_inputs:
 * @self: a #NnLayer
 *
 * Gets the width of the layer's input.
 *
 * Returns: the width of the layer's input
 */
guint
nn_layer_get_n_inputs (NnLayer *self)
{
  NnLayerPrivate *priv = nn_layer_get_instance_private (self);

  g_return_val_if_fail (NN_IS_LAYER (self), 0);

  return priv->n_inputs;
}

/**
 * nn_layer_get_n_outputs:
 * @self: a #NnLayer
 *
 * Gets the width of the layer's output.
 *
 * Returns: the width of the layer's output
 */
guint
nn_layer_get_n_outputs (NnLayer *self)
{
  NnLayerPrivate *priv = nn_layer_get_instance_private (self);

  g_return_val_if_fail (NN_IS_LAYER (self), 0);

  return NN_LAYER_GET_CLASS (self)->get_n_outputs (self, priv->n_inputs);
}

/**
 * nn_layer_get_units:
 * @self: a #NnLayer
 *
 * Gets the number of neurons of a dense layer.
 *
 * Returns: the number of neurons of a dense layer; the output width of any
 *   layer, as [method@Nn.Layer.get_n_outputs]
 */
guint
nn_layer_get_units (NnLayer *self)
{
  return nn_layer_get_n_outputs (self);
}

/**
 * nn_layer_get_activation:
 * @self: a #NnLayer
 *
 * Gets the activation the layer applies last.
 *
 * Returns: (transfer none) (nullable): the activation the layer applies
 *   last, or %NULL for a kind that applies none
 */
NnActivation *
nn_layer_get_activation (NnLayer *self)
{
  NnLayerClass *klass;

  g_return_val_if_fail (NN_IS_LAYER (self), NULL);

  klass = NN_LAYER_GET_CLASS (self);
  return klass->get_activation != NULL ? klass->get_activation (self) : NULL;
}

/**
 * nn_layer_get_kind_name:
 * @self: a #NnLayer
 *
 * Gets the name the layer's kind is registered under, such as `"dense"`, or
 * the type name of an unregistered kind.
 *
 * Returns: (transfer none): the name the layer's kind is registered under,
 *   such as `"dense"`, or the type name of an unregistered kind
 */
const char *
nn_layer_get_kind_name (NnLayer *self)
{
  const char *name;

  g_return_val_if_fail (NN_IS_LAYER (self), NULL);

  name = nn_registry_get_name (G_OBJECT_TYPE (self));
  return name != NULL ? name : G_OBJECT_TYPE_NAME (self);
}

/**
 * nn_layer_get_n_parameters:
 * @self: a #NnLayer
 *
 * Gets the number of the layer's parameter matrices.
 *
 * Returns: the number of the layer's parameter matrices: 2 for a dense
 *   layer (weights and bias), 0 for an activation layer
 */
guint
nn_layer_get_n_parameters (NnLayer *self)
{
  NnLayerClass *klass;

  g_return_val_if_fail (NN_IS_LAYER (self), 0);

  klass = NN_LAYER_GET_CLASS (self);
  return klass->get_n_parameters != NULL ? klass->get_n_parameters (self) : 0;
}

/**
 * nn_layer_get_parameter:
 * @self: a #NnLayer
 * @index: below [method@Nn.Layer.get_n_parameters]
 *
 * Gets the parameter matrix, modifiable in place.
 *
 * Returns: (transfer none): the parameter matrix, modifiable in place
 */
NnMatrix *
nn_layer_get_parameter (NnLayer *self,
                        guint    index)
{
  g_return_val_if_fail (index < nn_layer_get_n_parameters (self), NULL);

  return NN_LAYER_GET_CLASS (self)->get_parameter (self, index);
}

/**
 * nn_layer_get_gradient:
 * @self: a #NnLayer
 * @index: below [method@Nn.Layer.get_n_parameters]
 *
 * Gets the gradient of parameter @index from the last backward step.
 *
 * Returns: (transfer none): the gradient of parameter @index from the last
 *   backward step
 */
const NnMatrix *
nn_layer_get_gradient (NnLayer *self,
                       guint    index)
{
  g_return_val_if_fail (index < nn_layer_get_n_parameters (self), NULL);

  return NN_LAYER_GET_CLASS (self)->get_gradient (self, index);
}

/**
 * nn_layer_get_parameter_name:
 * @self: a #NnLayer
 * @index: below [method@Nn.Layer.get_n_parameters]
 *
 * Gets the name of parameter @index, such as `"weight"`.
 *
 * Returns: (transfer none): the name of parameter @index, such as
 *   `"weight"`: a saved model's tensor `layers.L.NAME`
 */
const char *
nn_layer_get_parameter_name (NnLayer *self,
                             guint    index)
{
  g_return_val_if_fail (index < nn_layer_get_n_parameters (self), NULL);

  return NN_LAYER_GET_CLASS (self)->get_parameter_name (self, index);
}

/**
 * nn_layer_get_n_buffers:
 * @self: a #NnLayer
 *
 * Buffers are matrices a layer keeps besides its parameters, that no
 * optimizer trains but that checkpoints and saved models hold, as the
 * running statistics of a #NnBatchNormLayer.
 *
 * Returns: the number of the layer's buffer matrices
 */
guint
nn_layer_get_n_buffers (NnLayer *self)
{
  NnLayerClass *klass;

  g_return_val_if_fail (NN_IS_LAYER (self), 0);

  klass = NN_LAYER_GET_CLASS (self);
  return klass->get_n_buffers != NULL ? klass->get_n_buffers (self) : 0;
}

/**
 * nn_layer_get_buffer:
 * @self: a #NnLayer
 * @index: below [method@Nn.Layer.get_n_buffers]
 *
 * Gets the buffer matrix, modifiable in place.
 *
 * Returns: (transfer none): the buffer matrix, modifiable in place
 */
NnMatrix *
nn_layer_get_buffer (NnLayer *self,
                     guint    index)
{
  g_return_val_if_fail (index < nn_layer_get_n_buffers (self), NULL);

  return NN_LAYER_GET_CLASS (self)->get_buffer (self, index);
}

/**
 * nn_layer_get_buffer_name:
 * @self: a #NnLayer
 * @index: below [method@Nn.Layer.get_n_buffers]
 *
 * Gets the name of buffer @index, such as `"running_mean"`.
 *
 * Returns: (transfer none): the name of buffer @index, such as
 *   `"running_mean"`: a saved model's tensor `layers.L.NAME`
 */
const char *
nn_layer_get_buffer_name (NnLayer *self,
                          guint    index)
{
  g_return_val_if_fail (index < nn_layer_get_n_buffers (self), NULL);

  return NN_LAYER_GET_CLASS (self)->get_buffer_name (self, index);
}

/**
 * nn_layer_get_min_training_batch:
 * @self: a #NnLayer
 *
 * Gets the fewest samples a training batch through the layer may have.
 *
 * Returns: the fewest samples a training batch through the layer may
 *   have: 2 for a [class@Nn.BatchNormLayer], which cannot estimate a variance
 *   from one, 1 for the other kinds
 */
guint
nn_layer_get_min_training_batch (NnLayer *self)
{
  g_return_val_if_fail (NN_IS_LAYER (self), 1);

  return MAX (NN_LAYER_GET_CLASS (self)->min_training_batch, 1);
}

/**
 * nn_layer_init_parameters:
 * @self: a #NnLayer
 * @init: the initialisation scheme
 * @rand: the random sequence to draw from
 *
 * Sets the layer's initial parameters; a kind without parameters draws
 * nothing from @rand.
 */
void
nn_layer_init_parameters (NnLayer *self,
                          NnInit   init,
                          GRand   *rand)
{
  NnLayerClass *klass;

  g_return_if_fail (NN_IS_LAYER (self));

  klass = NN_LAYER_GET_CLASS (self);
  if (klass->init_parameters != NULL)
    klass->init_parameters (self, init, rand);
}

/**
 * nn_layer_set_training:
 * @self: a #NnLayer
 * @training: %TRUE for training, %FALSE for evaluation
 *
 * Switches the layer between training (the default) and evaluation.
 */
void
nn_layer_set_training (NnLayer *self,
                       gboolean training)
{
  NnLayerPrivate *priv = nn_layer_get_instance_private (self);
  NnLayerClass   *klass;

  g_return_if_fail (NN_IS_LAYER (self));

  priv->training = !!training;
  klass = NN_LAYER_GET_CLASS (self);
  if (klass->set_training != NULL)
    klass->set_training (self, priv->training);
}

/**
 * nn_layer_get_training:
 * @self: a #NnLayer
 *
 * Whether the layer is in training mode.
 *
 * Returns: whether the layer is in training mode
 */
gboolean
nn_layer_get_training (NnLayer *self)
{
  NnLayerPrivate *priv = nn_layer_get_instance_private (self);

  g_return_val_if_fail (NN_IS_LAYER (self), FALSE);

  return priv->training;
}

/* The step the next forward step in training belongs to, as the model
 * names it (nn_model_set_step()); kinds that draw random numbers draw
 * them from it, so that a step's draws depend on nothing else. */
void
nn_layer_set_step_key (NnLayer *self,
                       guint64  key)
{
  NnLayerPrivate *priv = nn_layer_get_instance_private (self);

  priv->step_key = key;
}

guint64
nn_layer_get_step_key (NnLayer *self)
{
  NnLayerPrivate *priv = nn_layer_get_instance_private (self);

  return priv->step_key;
}

/**
 * nn_layer_get_step_uniform:
 * @self: a #NnLayer
 * @index: which number of the step's stream
 *
 * The number @index of the random stream of the current training step,
 * uniform in [0, 1) with 53 random bits. A kind that is random in training
 * (dropout, added noise) draws from it: the stream depends only on the
 * step the model names (the seed, the epoch, the batch and the layer's
 * place), so the same step draws the same numbers however training got to
 * it, a resumed run as the run that did not stop, and a forward step run
 * twice for the same step gives the same result. A layer draws its numbers
 * from indices 0, 1, 2, … in an order of its own; any two indices give
 * independent-looking numbers. A kind that draws one number per output
 * value should take index r × outputs + c for row r and column c of the
 * batch: in data-parallel training, where a process has rows of the batch
 * from one on, each row then draws what it draws when one process trains
 * the whole batch.
 *
 * Returns: a number in [0, 1)
 */
double
nn_layer_get_step_uniform (NnLayer *self,
                           guint64  index)
{
  NnLayerPrivate *priv = nn_layer_get_instance_private (self);

  g_return_val_if_fail (NN_IS_LAYER (self), 0.0);

  /* The draw of dropout's mask (nn-dropout-layer.c), which inlines it. */
  return (double) (nn_mix64 (priv->step_key + index) >> 11) * 0x1.0p-53;
}

/* The two below without the checks of their public forms, for the
 * model's loops over its layers in every training step. */
double
nn_layer_regularization_loss (NnLayer *self)
{
  NnLayerClass *klass = NN_LAYER_GET_CLASS (self);

  return klass->regularization_loss != NULL ? klass->regularization_loss (self) : 0.0;
}

void
nn_layer_add_regularization (NnLayer *self)
{
  NnLayerClass *klass = NN_LAYER_GET_CLASS (self);

  if (klass->add_regularization_gradient != NULL)
    klass->add_regularization_gradient (self);
}

/**
 * nn_layer_get_regularization_loss:
 * @self: a #NnLayer
 *
 * The layer's term of the training loss at its current parameters: for a
 * dense layer `l1·Σ|W| + l2·ΣW²`, summed in double; 0 at no cost without
 * regularization.
 *
 * Returns: the penalty
 */
double
nn_layer_get_regularization_loss (NnLayer *self)
{
  g_return_val_if_fail (NN_IS_LAYER (self), 0.0);

  return nn_layer_regularization_loss (self);
}

/**
 * nn_layer_add_regularization_gradient:
 * @self: a #NnLayer
 *
 * Adds the gradient of [method@Nn.Layer.get_regularization_loss] to the
 * gradients of the last backward step (for a dense layer `l1·sign(W) + 2·l2·W`
 * with sign(0) = 0, to the weights'); nothing without regularization.
 */
void
nn_layer_add_regularization_gradient (NnLayer *self)
{
  g_return_if_fail (NN_IS_LAYER (self));

  nn_layer_add_regularization (self);
}

/**
 * nn_layer_forward:
 * @self: a #NnLayer
 * @x: a batch of inputs, batch × inputs
 *
 * Computes the output of the layer for a batch @x, keeping what the backward
 * step needs.
 *
 * Returns: (transfer none): the layer's output, valid until the next
 *   forward step
 */
const NnMatrix *
nn_layer_forward (NnLayer        *self,
                  const NnMatrix *x)
{
  g_return_val_if_fail (NN_IS_LAYER (self), NULL);
  g_return_val_if_fail (x != NULL && x->cols == nn_layer_get_n_inputs (self), NULL);

  return NN_LAYER_GET_CLASS (self)->forward (self, x);
}

/**
 * nn_layer_backward:
 * @self: a #NnLayer
 * @x: the input of the last forward step
 * @grad_a: dL/dA for that step, A the layer's output
 * @want_grad_input: whether to compute dL/dX (not needed by the first layer)
 *
 * Applies the chain rule through the layer. A dense layer computes
 * `dZ = f'(Z) ⊙ dA` (the derivative taken at the kept Z), `dW = dZᵀ X`,
 * `db = Σ_rows dZ` and `dX = dZ W`.
 *
 * Returns: (transfer none) (nullable): dL/dX if requested, valid until the
 *   next backward step
 */
const NnMatrix *
nn_layer_backward (NnLayer        *self,
                   const NnMatrix *x,
                   const NnMatrix *grad_a,
                   gboolean        want_grad_input)
{
  g_return_val_if_fail (NN_IS_LAYER (self), NULL);
  g_return_val_if_fail (x != NULL && x->cols == nn_layer_get_n_inputs (self), NULL);
  g_return_val_if_fail (grad_a != NULL && nn_matrix_same_shape (grad_a, nn_layer_get_a (self)),
                        NULL);

  return NN_LAYER_GET_CLASS (self)->backward (self, x, grad_a, want_grad_input);
}

/**
 * nn_layer_has_backward_from_z:
 * @self: a #NnLayer
 *
 * Whether the layer applies an activation last, so that the backward step can
 * start from dL/dZ.
 *
 * Returns: whether the layer's output is an activation applied last, so
 *   that [method@Nn.Layer.backward_from_z] can start from dL/dZ
 */
gboolean
nn_layer_has_backward_from_z (NnLayer *self)
{
  g_return_val_if_fail (NN_IS_LAYER (self), FALSE);

  return NN_LAYER_GET_CLASS (self)->backward_from_z != NULL;
}

/**
 * nn_layer_backward_from_z:
 * @self: a [class@Nn.Layer] whose [method@Nn.Layer.has_backward_from_z]
 * @x: the input of the last forward step
 * @grad_z: dL/dZ for that step, Z the input of the layer's activation, as
 *   [method@Nn.Loss.output_gradient] gives it for an output layer
 * @want_grad_input: whether to compute dL/dX
 *
 * [method@Nn.Layer.backward] after its activation: for a dense layer
 * `dW = dZᵀ X`, `db = Σ_rows dZ` and `dX = dZ W`; for an activation
 * layer dL/dX is dL/dZ itself.
 *
 * Returns: (transfer none) (nullable): dL/dX if requested, valid until the
 *   next backward step
 */
const NnMatrix *
nn_layer_backward_from_z (NnLayer        *self,
                          const NnMatrix *x,
                          const NnMatrix *grad_z,
                          gboolean        want_grad_input)
{
  g_return_val_if_fail (nn_layer_has_backward_from_z (self), NULL);
  g_return_val_if_fail (x != NULL && x->cols == nn_layer_get_n_inputs (self), NULL);
  g_return_val_if_fail (grad_z != NULL && grad_z->rows == x->rows, NULL);

  return NN_LAYER_GET_CLASS (self)->backward_from_z (self, x, grad_z, want_grad_input);
}

/**
 * nn_layer_get_a:
 * @self: a #NnLayer
 *
 * Gets the output A of the last forward step.
 *
 * Returns: (transfer none): the output A of the last forward step
 */
const NnMatrix *
nn_layer_get_a (NnLayer *self)
{
  g_return_val_if_fail (NN_IS_LAYER (self), NULL);

  return NN_LAYER_GET_CLASS (self)->get_output (self);
}

/* Replaces *@buf by zeroed room for @rows × @cols values, aligned to
 * NN_SIMD_BYTES: the vector loops then load and store whole vectors in one
 * cache line each (a row of 16 floats in one line, not two), 5% of a step
 * of a small network. Kinds grow their work matrices with it once, to the
 * largest batch they see. */
void
nn_layer_resize_work (nn_real **buf,
                      guint     rows,
                      guint     cols)
{
  g_aligned_free (*buf);
  *buf = g_aligned_alloc0 (MAX ((gsize) rows * cols, 1), sizeof (nn_real), NN_SIMD_BYTES);
}
