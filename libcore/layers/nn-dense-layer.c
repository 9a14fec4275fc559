/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-dense-layer-private.h"
#include "nn-errors.h"
#include "nn-matrix-private.h"
#include "nn-registry-private.h"
#include "nn-layer-private.h"
#include "nn-simd.h"

/**
 * NnDenseLayer:
 *
 * The layer kind `dense`, the default: `Z = X Wᵀ + b`, `A = f(Z)`. The
 * weights hold one row per neuron (units × inputs, the lesson's and
 * PyTorch's layout) and the bias one value per neuron.
 *
 * A layer may regularize its weights (Keras' `kernel_regularizer`):
 * [property@Nn.DenseLayer:l1] and [property@Nn.DenseLayer:l2] add `l1·Σ|W| +
 * l2·ΣW²` to the training loss ([method@Nn.Layer.get_regularization_loss]) and
 * its gradient to the weights' ([method@Nn.Layer.add_regularization_gradient]);
 * the biases are not regularized.
 *
 * The layer keeps the Z and A of its last forward step for the backward
 * step, and the gradients of its parameters from its last backward step. Its
 * work matrices grow to the largest batch seen and are then reused, so a
 * training step allocates nothing.
 */
struct _NnDenseLayer
{
  NnLayer parent_instance;

  guint         n_inputs; /* #NnLayer:n-inputs, kept at hand */
  guint         units;
  NnActivation *activation;
  double        l1;
  double        l2;

  NnMatrix *weights; /* units × n_inputs */
  NnMatrix *bias;    /* 1 × units */
  NnMatrix *grad_weights;
  NnMatrix *grad_bias;

  /* The work matrices' data, aligned to a vector (nn_layer_resize_work ()). */
  guint    capacity; /* rows of the work matrices */
  nn_real *z_buf;    /* capacity × units */
  nn_real *a_buf;
  nn_real *grad_z_buf;
  nn_real *grad_x_buf; /* capacity × n_inputs */

  NnMatrix z; /* views of the last batch; z of no rows where not kept */
  NnMatrix a;
  NnMatrix grad_z;
  NnMatrix grad_x;

  /* Not 0: the backward step is also the plain SGD step of this rate and
   * leaves dL/dW unwritten (nn_dense_layer_set_update_rate()). */
  nn_real update_rate;
  /* At least the largest |w| of the weights, all finite, as the updates
   * within the backward step keep it; infinity when not known, after the
   * weights were handed out or moved otherwise. */
  double   weight_bound;
  nn_real  input_max;  /* max|X| of the last forward step, while it is kept */
  gboolean bound_pays; /* at the last forward step's batch (nn_dense_layer_bound_pays()) */
  gboolean bounding;   /* whether this step keeps the bound */

  /* Where FALSE, the engine may apply the activation inside the forward
   * product, and Z is not kept (nn_dense_layer_set_keep_z()). */
  gboolean keep_z;
};

/* Below this, a bound says the weights are finite. */
#define WEIGHT_BOUND_MAX 1e30

G_DEFINE_FINAL_TYPE_WITH_CODE (NnDenseLayer,
                               nn_dense_layer,
                               NN_TYPE_LAYER,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_LAYER_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "dense",
                                                               0))

enum {
  PROP_0,
  PROP_UNITS,
  PROP_ACTIVATION,
  PROP_L1,
  PROP_L2,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const parameter_names[] = { "weight", "bias" };

static void
nn_dense_layer_constructed (GObject *object)
{
  NnDenseLayer *self = NN_DENSE_LAYER (object);

  G_OBJECT_CLASS (nn_dense_layer_parent_class)->constructed (object);

  self->n_inputs = nn_layer_get_n_inputs (NN_LAYER (self));
  self->weights = nn_matrix_new (self->units, self->n_inputs);
  self->bias = nn_matrix_new (1, self->units);
  self->grad_weights = nn_matrix_new (self->units, self->n_inputs);
  self->grad_bias = nn_matrix_new (1, self->units);
  self->z = nn_matrix_view (NULL, 0, self->units);
  self->a = nn_matrix_view (NULL, 0, self->units);
}

static void
nn_dense_layer_dispose (GObject *object)
{
  NnDenseLayer *self = NN_DENSE_LAYER (object);

  g_clear_object (&self->activation);

  G_OBJECT_CLASS (nn_dense_layer_parent_class)->dispose (object);
}

static void
nn_dense_layer_finalize (GObject *object)
{
  NnDenseLayer *self = NN_DENSE_LAYER (object);

  g_clear_pointer (&self->weights, nn_matrix_free);
  g_clear_pointer (&self->bias, nn_matrix_free);
  g_clear_pointer (&self->grad_weights, nn_matrix_free);
  g_clear_pointer (&self->grad_bias, nn_matrix_free);
  g_clear_pointer (&self->z_buf, g_aligned_free);
  g_clear_pointer (&self->a_buf, g_aligned_free);
  g_clear_pointer (&self->grad_z_buf, g_aligned_free);
  g_clear_pointer (&self->grad_x_buf, g_aligned_free);

  G_OBJECT_CLASS (nn_dense_layer_parent_class)->finalize (object);
}

static void
nn_dense_layer_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  NnDenseLayer *self = NN_DENSE_LAYER (object);

  switch (prop_id)
    {
    case PROP_UNITS:
      g_value_set_uint (value, self->units);
      break;
    case PROP_ACTIVATION:
      g_value_set_object (value, self->activation);
      break;
    case PROP_L1:
      g_value_set_double (value, self->l1);
      break;
    case PROP_L2:
      g_value_set_double (value, self->l2);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_dense_layer_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  NnDenseLayer *self = NN_DENSE_LAYER (object);

  switch (prop_id)
    {
    case PROP_UNITS:
      self->units = g_value_get_uint (value);
      break;
    case PROP_ACTIVATION:
      self->activation = g_value_dup_object (value);
      break;
    case PROP_L1:
      self->l1 = g_value_get_double (value);
      break;
    case PROP_L2:
      self->l2 = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Grows the work matrices to @rows; a no-op once the largest batch is seen. */
static void
ensure_capacity (NnDenseLayer *self,
                 guint         rows)
{
  if (rows <= self->capacity)
    return;

  nn_layer_resize_work (&self->z_buf, rows, self->units);
  nn_layer_resize_work (&self->a_buf, rows, self->units);
  nn_layer_resize_work (&self->grad_z_buf, rows, self->units);
  nn_layer_resize_work (&self->grad_x_buf, rows, self->n_inputs);
  self->capacity = rows;
}

/* Computes `Z = X Wᵀ + b` and `A = f(Z)` and keeps both; or only A, in
 * the product's own pass, where Z need not be kept and the engine applies
 * f. */
static const NnMatrix *
nn_dense_layer_forward (NnLayer        *layer,
                        const NnMatrix *x)
{
  NnDenseLayer *self = (NnDenseLayer *) layer;
  NnElementwise fn = NN_ELEMENTWISE_NONE;
  double        alpha = 0;

  ensure_capacity (self, x->rows);
  self->z = nn_matrix_view (self->z_buf, x->rows, self->units);
  self->a = nn_matrix_view (self->a_buf, x->rows, self->units);

  /* max|X| while X is at hand in the cache rather than in the backward
   * step. */
  self->bound_pays = nn_dense_layer_bound_pays (self, x->rows);
  self->bounding = self->update_rate != 0 && self->weight_bound < WEIGHT_BOUND_MAX &&
                   self->bound_pays;
  if (self->bounding)
    self->input_max = nn_matrix_max_abs (x);
  if (!self->keep_z)
    fn = nn_activation_get_elementwise (self->activation, &alpha);
  if (nn_matrix_linear_activated (x, self->weights, self->bias, fn, alpha, &self->z, &self->a))
    {
      self->z.rows = 0;
      return &self->a;
    }
  /* The activation of Z, not Z itself, is what the next layer consumes. */
  nn_activation_forward (self->activation, &self->z, &self->a);
  return &self->a;
}

/* The chain rule from dL/dZ on: the parameters' gradients and dL/dX. */
static const NnMatrix *
nn_dense_layer_backward_from_z (NnLayer        *layer,
                                const NnMatrix *x,
                                const NnMatrix *grad_z,
                                gboolean        want_grad_input)
{
  NnDenseLayer *self = (NnDenseLayer *) layer;

  g_return_val_if_fail (x->rows == self->a.rows, NULL);
  g_return_val_if_fail (nn_matrix_same_shape (grad_z, &self->a), NULL);

  /* dL/dX first, from the weights before any update. */
  if (want_grad_input)
    {
      self->grad_x = nn_matrix_view (self->grad_x_buf, x->rows, self->n_inputs);
      nn_matrix_gemm (FALSE, FALSE, 1, grad_z, self->weights, 0, &self->grad_x);
    }
  if (self->update_rate != 0)
    {
      nn_matrix_linear_update (grad_z, x, self->update_rate, self->weights, self->bias,
                               self->grad_bias);
      /* Each |Δw| is at most lr k max|dZ| max|X|, and the rounding of the
       * k terms and the two steps after adds less than (k + 2) 2⁻²⁰ of it. */
      if (!self->bounding)
        self->weight_bound = INFINITY;
      else
        self->weight_bound = (self->weight_bound + fabs ((double) self->update_rate) * x->rows *
                                                     nn_matrix_max_abs (grad_z) *
                                                     self->input_max) *
                             (1 + (x->rows + 2.0) / (1 << 20));
    }
  else
    nn_matrix_linear_gradients (grad_z, x, self->grad_weights, self->grad_bias);
  return want_grad_input ? &self->grad_x : NULL;
}

/* Makes the forward and backward steps from now on a training step whose
 * backward step is also the plain SGD step of rate @lr, θ ← θ − lr dL/dθ,
 * without keeping dL/dW; 0 turns that off. Only for a layer without
 * regularization: its gradient is left out. */
void
nn_dense_layer_set_update_rate (NnDenseLayer *self,
                                double        lr)
{
  g_return_if_fail (lr == 0 || (self->l1 == 0 && self->l2 == 0));

  self->update_rate = (nn_real) lr;
}

/* Whether forward steps from now on keep Z; where not, the engine may
 * apply an activation with an element-wise form inside the product
 * (nn_activation_get_elementwise()), and Z has no rows. */
void
nn_dense_layer_set_keep_z (NnDenseLayer *self,
                           gboolean      keep_z)
{
  self->keep_z = keep_z;
}

/* Whether the weights are all finite: from the bound the updates within
 * the backward step keep where it is low enough, else from a pass over
 * them that sets the bound anew. */
gboolean
nn_dense_layer_weights_are_finite (NnDenseLayer *self)
{
  if (self->weight_bound < WEIGHT_BOUND_MAX)
    return TRUE;
  if (!self->bound_pays)
    return nn_matrix_is_finite (self->weights);
  self->weight_bound = nn_matrix_max_abs (self->weights);
  return isfinite (self->weight_bound);
}

/* The weights may change where the layer does not see it. */
void
nn_dense_layer_forget_weight_bound (NnDenseLayer *self)
{
  self->weight_bound = INFINITY;
}

void
nn_dense_layers_forget_weight_bounds (GPtrArray *layers)
{
  for (guint l = 0; l < layers->len; l++)
    if (NN_IS_DENSE_LAYER (layers->pdata[l]))
      nn_dense_layer_forget_weight_bound (layers->pdata[l]);
}

/* Whether a batch of @rows makes X and dL/dZ under one and a half times
 * the size of W: their maxima cost about two reads a value, the
 * optimizer's step that the bound spares three a weight (reading W and
 * its gradient, writing W), each from another core's cache where the
 * products were shared between threads. */
gboolean
nn_dense_layer_bound_pays (NnDenseLayer *self,
                           guint         rows)
{
  return 2 * (gsize) rows * (self->n_inputs + self->units) <
         3 * (gsize) self->n_inputs * self->units;
}

/* Whether the layer has a regularization term. */
gboolean
nn_dense_layer_is_regularized (NnDenseLayer *self)
{
  return self->l1 != 0 || self->l2 != 0;
}

static const NnMatrix *
nn_dense_layer_backward (NnLayer        *layer,
                         const NnMatrix *x,
                         const NnMatrix *grad_a,
                         gboolean        want_grad_input)
{
  NnDenseLayer *self = (NnDenseLayer *) layer;

  g_return_val_if_fail (x->rows == self->a.rows, NULL);

  self->grad_z = nn_matrix_view (self->grad_z_buf, x->rows, self->units);
  nn_activation_backward (self->activation, self->z.rows == self->a.rows ? &self->z : NULL,
                          &self->a, grad_a, &self->grad_z);
  return nn_dense_layer_backward_from_z (layer, x, &self->grad_z, want_grad_input);
}

static guint
nn_dense_layer_get_n_outputs (NnLayer *layer,
                              guint    n_inputs)
{
  return ((NnDenseLayer *) layer)->units;
}

static const NnMatrix *
nn_dense_layer_get_output (NnLayer *layer)
{
  return &((NnDenseLayer *) layer)->a;
}

static NnActivation *
nn_dense_layer_get_activation (NnLayer *layer)
{
  return ((NnDenseLayer *) layer)->activation;
}

static guint
nn_dense_layer_get_n_parameters (NnLayer *layer)
{
  return G_N_ELEMENTS (parameter_names);
}

static NnMatrix *
nn_dense_layer_get_parameter (NnLayer *layer,
                              guint    index)
{
  NnDenseLayer *self = (NnDenseLayer *) layer;

  /* The caller may change them. */
  nn_dense_layer_forget_weight_bound (self);
  return index == 0 ? self->weights : self->bias;
}

static const NnMatrix *
nn_dense_layer_get_gradient (NnLayer *layer,
                             guint    index)
{
  NnDenseLayer *self = (NnDenseLayer *) layer;

  return index == 0 ? self->grad_weights : self->grad_bias;
}

static const char *
nn_dense_layer_get_parameter_name (NnLayer *layer,
                                   guint    index)
{
  return parameter_names[index];
}

/* Box–Muller; g_rand_double is in [0, 1), so 1 - u is in (0, 1]. */
static double
rand_normal (GRand *rand)
{
  double u1 = 1.0 - g_rand_double (rand);
  double u2 = g_rand_double (rand);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

/* Every weight from @rand, row by row; every bias zero. */
static void
nn_dense_layer_init_parameters (NnLayer *layer,
                                NnInit   init,
                                GRand   *rand)
{
  NnDenseLayer *self = (NnDenseLayer *) layer;
  NnMatrix     *w = self->weights;
  double        fan_in = self->n_inputs;
  double        fan_out = self->units;
  double        std = 1.0, limit = 0.0;
  gboolean      uniform = FALSE;

  nn_dense_layer_forget_weight_bound (self);

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
    w->data[i] = (nn_real) (uniform ? g_rand_double_range (rand, -limit, limit)
                                    : std * rand_normal (rand));
  nn_matrix_fill (self->bias, 0);
}

static double
nn_dense_layer_regularization_loss (NnLayer *layer)
{
  NnDenseLayer  *self = (NnDenseLayer *) layer;
  const nn_real *w;
  gsize          n;
  double         abs_sum = 0.0, square_sum = 0.0;

  if (self->l1 == 0.0 && self->l2 == 0.0)
    return 0.0;
  w = self->weights->data;
  n = nn_matrix_size (self->weights);
  for (gsize j = 0; j < n; j++)
    {
      abs_sum += fabs ((double) w[j]);
      square_sum += (double) w[j] * w[j];
    }
  return self->l1 * abs_sum + self->l2 * square_sum;
}

static void
nn_dense_layer_add_regularization_gradient (NnLayer *layer)
{
  NnDenseLayer  *self = (NnDenseLayer *) layer;
  const nn_real *w;
  nn_real       *g;
  gsize          n;
  nn_real        l1, two_l2;

  if (self->l1 == 0.0 && self->l2 == 0.0)
    return;
  w = self->weights->data;
  g = self->grad_weights->data;
  n = nn_matrix_size (self->weights);
  l1 = (nn_real) self->l1;
  two_l2 = (nn_real) (2.0 * self->l2);
  for (gsize j = 0; j < n; j++)
    {
      nn_real sign = (nn_real) ((w[j] > 0) - (w[j] < 0));

      g[j] += l1 * sign + two_l2 * w[j];
    }
}

static void
nn_dense_layer_class_init (NnDenseLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NnLayerClass *layer_class = NN_LAYER_CLASS (klass);

  object_class->constructed = nn_dense_layer_constructed;
  object_class->dispose = nn_dense_layer_dispose;
  object_class->finalize = nn_dense_layer_finalize;
  object_class->get_property = nn_dense_layer_get_property;
  object_class->set_property = nn_dense_layer_set_property;

  layer_class->description = "Fully connected: f(X Wᵀ + b)";
  layer_class->get_n_outputs = nn_dense_layer_get_n_outputs;
  layer_class->forward = nn_dense_layer_forward;
  layer_class->backward = nn_dense_layer_backward;
  layer_class->backward_from_z = nn_dense_layer_backward_from_z;
  layer_class->get_output = nn_dense_layer_get_output;
  layer_class->get_activation = nn_dense_layer_get_activation;
  layer_class->get_n_parameters = nn_dense_layer_get_n_parameters;
  layer_class->get_parameter = nn_dense_layer_get_parameter;
  layer_class->get_gradient = nn_dense_layer_get_gradient;
  layer_class->get_parameter_name = nn_dense_layer_get_parameter_name;
  layer_class->init_parameters = nn_dense_layer_init_parameters;
  layer_class->regularization_loss = nn_dense_layer_regularization_loss;
  layer_class->add_regularization_gradient = nn_dense_layer_add_regularization_gradient;

  /**
   * NnDenseLayer:units:
   *
   * The number of neurons.
   */
  properties[PROP_UNITS] =
    g_param_spec_uint ("units", NULL, "Number of neurons",
                       1, NN_LAYER_MAX_WIDTH, 1,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * NnDenseLayer:activation:
   *
   * The activation applied to every neuron's weighted sum.
   */
  properties[PROP_ACTIVATION] =
    g_param_spec_object ("activation", NULL, "Activation function of the layer",
                         NN_TYPE_ACTIVATION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * NnDenseLayer:l1:
   *
   * The L1 regularization factor: `l1·Σ|W|` of the weights is added to
   * the training loss, and `l1·sign(W)` to their gradient, with
   * sign(0) = 0 as PyTorch's gradient of `abs` has it.
   */
  properties[PROP_L1] =
    g_param_spec_double ("l1", NULL, "L1 regularization factor of the weights",
                         0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * NnDenseLayer:l2:
   *
   * The L2 regularization factor: `l2·ΣW²` of the weights is added to the
   * training loss, and `2·l2·W` to their gradient.
   */
  properties[PROP_L2] =
    g_param_spec_double ("l2", NULL, "L2 regularization factor of the weights",
                         0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_dense_layer_init (NnDenseLayer *self)
{
  self->weight_bound = INFINITY;
  self->keep_z = TRUE;
}

/**
 * nn_dense_layer_new:
 * @n_inputs: the width of the input
 * @units: the number of neurons
 * @activation: the activation of the layer; the layer takes a reference
 *
 * Makes a dense layer with zero weights and biases.
 *
 * Returns: (transfer full): a new [class@Nn.DenseLayer]
 */
NnLayer *
nn_dense_layer_new (guint         n_inputs,
                    guint         units,
                    NnActivation *activation)
{
  g_return_val_if_fail (n_inputs > 0 && n_inputs <= NN_LAYER_MAX_WIDTH, NULL);
  g_return_val_if_fail (units > 0 && units <= NN_LAYER_MAX_WIDTH, NULL);
  g_return_val_if_fail (NN_IS_ACTIVATION (activation), NULL);

  return g_object_new (NN_TYPE_DENSE_LAYER,
                       "n-inputs", n_inputs,
                       "units", units,
                       "activation", activation,
                       NULL);
}

/**
 * nn_layer_new:
 * @n_inputs: the width of the input
 * @units: the number of neurons
 * @activation: the activation of the layer; the layer takes a reference
 *
 * [ctor@Nn.DenseLayer.new]: the layer most networks are made of.
 *
 * Returns: (transfer full): a new dense layer with zero weights and biases
 */
NnLayer *
nn_layer_new (guint         n_inputs,
              guint         units,
              NnActivation *activation)
{
  return nn_dense_layer_new (n_inputs, units, activation);
}

/**
 * nn_layer_get_l1:
 * @self: a dense layer
 *
 * Gets the L1 regularization factor of the weights
 * ([property@Nn.DenseLayer:l1]).
 *
 * Returns: the L1 regularization factor of the weights
 *   ([property@Nn.DenseLayer:l1])
 */
double
nn_layer_get_l1 (NnLayer *self)
{
  g_return_val_if_fail (NN_IS_DENSE_LAYER (self), 0.0);

  return NN_DENSE_LAYER (self)->l1;
}

/**
 * nn_layer_get_l2:
 * @self: a dense layer
 *
 * Gets the L2 regularization factor of the weights
 * ([property@Nn.DenseLayer:l2]).
 *
 * Returns: the L2 regularization factor of the weights
 *   ([property@Nn.DenseLayer:l2])
 */
double
nn_layer_get_l2 (NnLayer *self)
{
  g_return_val_if_fail (NN_IS_DENSE_LAYER (self), 0.0);

  return NN_DENSE_LAYER (self)->l2;
}

/**
 * nn_layer_get_weights:
 * @self: a dense layer
 *
 * Gets the units × inputs weights, one row per neuron, which the caller may
 * modify in place.
 *
 * Returns: (transfer none): the units × inputs weights, one row per neuron,
 *   which the caller may modify in place
 */
NnMatrix *
nn_layer_get_weights (NnLayer *self)
{
  g_return_val_if_fail (NN_IS_DENSE_LAYER (self), NULL);

  /* The caller may change them. */
  nn_dense_layer_forget_weight_bound (NN_DENSE_LAYER (self));
  return NN_DENSE_LAYER (self)->weights;
}

/**
 * nn_layer_get_bias:
 * @self: a dense layer
 *
 * Gets the 1 × units biases, modifiable in place.
 *
 * Returns: (transfer none): the 1 × units biases, modifiable in place
 */
NnMatrix *
nn_layer_get_bias (NnLayer *self)
{
  g_return_val_if_fail (NN_IS_DENSE_LAYER (self), NULL);

  return NN_DENSE_LAYER (self)->bias;
}

/**
 * nn_layer_get_weight_gradient:
 * @self: a dense layer
 *
 * Gets dL/dW from the last backward step.
 *
 * Returns: (transfer none): dL/dW from the last backward step
 */
const NnMatrix *
nn_layer_get_weight_gradient (NnLayer *self)
{
  g_return_val_if_fail (NN_IS_DENSE_LAYER (self), NULL);

  return NN_DENSE_LAYER (self)->grad_weights;
}

/**
 * nn_layer_get_bias_gradient:
 * @self: a dense layer
 *
 * Gets dL/db from the last backward step.
 *
 * Returns: (transfer none): dL/db from the last backward step
 */
const NnMatrix *
nn_layer_get_bias_gradient (NnLayer *self)
{
  g_return_val_if_fail (NN_IS_DENSE_LAYER (self), NULL);

  return NN_DENSE_LAYER (self)->grad_bias;
}

/**
 * nn_layer_set_parameters:
 * @self: a dense layer
 * @weights: (nullable): units × inputs weights, or %NULL to keep them
 * @bias: (nullable): 1 × units biases, or %NULL to keep them
 * @error: return location for a #GError
 *
 * Copies given parameters into the layer after checking their shapes.
 *
 * Returns: %TRUE, or %FALSE with %NN_MODEL_ERROR_SHAPE_MISMATCH set
 */
gboolean
nn_layer_set_parameters (NnLayer        *layer,
                         const NnMatrix *weights,
                         const NnMatrix *bias,
                         GError        **error)
{
  NnDenseLayer *self = (NnDenseLayer *) layer;

  g_return_val_if_fail (NN_IS_DENSE_LAYER (layer), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (weights != NULL && !nn_matrix_same_shape (weights, self->weights))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "weights are %u × %u, the layer needs %u × %u "
                   "(one row of %u inputs per neuron)",
                   weights->rows, weights->cols, self->units, self->n_inputs,
                   self->n_inputs);
      return FALSE;
    }
  if (bias != NULL && !nn_matrix_same_shape (bias, self->bias))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "bias has %u values, the layer has %u neurons",
                   bias->rows * bias->cols, self->units);
      return FALSE;
    }
  if (weights != NULL)
    nn_matrix_copy_into (weights, self->weights);
  nn_dense_layer_forget_weight_bound (self);
  if (bias != NULL)
    nn_matrix_copy_into (bias, self->bias);
  return TRUE;
}

/**
 * nn_layer_get_z:
 * @self: a dense layer
 *
 * Gets the pre-activations Z of the last forward step. A training step
 * of a trainer that keeps none ([property@Nn.Trainer:keep-pre-activations]
 * %FALSE) leaves a matrix of no rows where the matrix engine applied the
 * activation inside the product.
 *
 * Returns: (transfer none): the pre-activations Z of the last forward step
 */
const NnMatrix *
nn_layer_get_z (NnLayer *self)
{
  g_return_val_if_fail (NN_IS_DENSE_LAYER (self), NULL);

  return &NN_DENSE_LAYER (self)->z;
}
