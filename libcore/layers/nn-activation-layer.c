/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-activation-layer.h"
#include "nn-registry-private.h"
#include "nn-layer-private.h"
#include "nn-simd.h"

/**
 * NnActivationLayer:
 *
 * The layer kind `activation`: `A = f(X)`, an activation on its own, as
 * PyTorch writes `nn.ReLU()` after a `nn.Linear`. It has no parameters,
 * draws no random numbers and is as wide as its input.
 */
struct _NnActivationLayer
{
  NnLayer parent_instance;

  guint         width;
  NnActivation *activation;

  guint    capacity; /* rows of the work matrices */
  nn_real *a_buf;    /* capacity × width, aligned as a dense layer's */
  nn_real *grad_x_buf;

  NnMatrix a; /* views of the last batch */
  NnMatrix grad_x;
};

G_DEFINE_FINAL_TYPE_WITH_CODE (NnActivationLayer,
                               nn_activation_layer,
                               NN_TYPE_LAYER,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_LAYER_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "activation",
                                                               0))

enum {
  PROP_0,
  PROP_ACTIVATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nn_activation_layer_constructed (GObject *object)
{
  NnActivationLayer *self = NN_ACTIVATION_LAYER (object);

  G_OBJECT_CLASS (nn_activation_layer_parent_class)->constructed (object);

  self->width = nn_layer_get_n_inputs (NN_LAYER (self));
  self->a = nn_matrix_view (NULL, 0, self->width);
}

static void
nn_activation_layer_dispose (GObject *object)
{
  NnActivationLayer *self = NN_ACTIVATION_LAYER (object);

  g_clear_object (&self->activation);

  G_OBJECT_CLASS (nn_activation_layer_parent_class)->dispose (object);
}

static void
nn_activation_layer_finalize (GObject *object)
{
  NnActivationLayer *self = NN_ACTIVATION_LAYER (object);

  g_clear_pointer (&self->a_buf, g_aligned_free);
  g_clear_pointer (&self->grad_x_buf, g_aligned_free);

  G_OBJECT_CLASS (nn_activation_layer_parent_class)->finalize (object);
}

static void
nn_activation_layer_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  NnActivationLayer *self = NN_ACTIVATION_LAYER (object);

  switch (prop_id)
    {
    case PROP_ACTIVATION:
      g_value_set_object (value, self->activation);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_activation_layer_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  NnActivationLayer *self = NN_ACTIVATION_LAYER (object);

  switch (prop_id)
    {
    case PROP_ACTIVATION:
      g_clear_object (&self->activation);
      self->activation = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Grows the work matrices to @rows; a no-op once the largest batch is seen. */
static void
ensure_capacity (NnActivationLayer *self,
                 guint              rows)
{
  if (rows <= self->capacity)
    return;

  nn_layer_resize_work (&self->a_buf, rows, self->width);
  nn_layer_resize_work (&self->grad_x_buf, rows, self->width);
  self->capacity = rows;
}

static const NnMatrix *
nn_activation_layer_forward (NnLayer        *layer,
                             const NnMatrix *x)
{
  NnActivationLayer *self = (NnActivationLayer *) layer;

  ensure_capacity (self, x->rows);
  self->a = nn_matrix_view (self->a_buf, x->rows, self->width);
  nn_activation_forward (self->activation, x, &self->a);
  return &self->a;
}

/* dL/dX = f'(X) ⊙ dL/dA, the derivative taken at the kept input. */
static const NnMatrix *
nn_activation_layer_backward (NnLayer        *layer,
                              const NnMatrix *x,
                              const NnMatrix *grad_a,
                              gboolean        want_grad_input)
{
  NnActivationLayer *self = (NnActivationLayer *) layer;

  g_return_val_if_fail (x->rows == self->a.rows, NULL);

  if (!want_grad_input)
    return NULL;
  self->grad_x = nn_matrix_view (self->grad_x_buf, x->rows, self->width);
  nn_activation_backward (self->activation, x, &self->a, grad_a, &self->grad_x);
  return &self->grad_x;
}

/* The input is the activation's Z: dL/dX is dL/dZ. */
static const NnMatrix *
nn_activation_layer_backward_from_z (NnLayer        *layer,
                                     const NnMatrix *x,
                                     const NnMatrix *grad_z,
                                     gboolean        want_grad_input)
{
  NnActivationLayer *self = (NnActivationLayer *) layer;

  g_return_val_if_fail (nn_matrix_same_shape (grad_z, &self->a), NULL);

  return want_grad_input ? grad_z : NULL;
}

static const NnMatrix *
nn_activation_layer_get_output (NnLayer *layer)
{
  return &((NnActivationLayer *) layer)->a;
}

static NnActivation *
nn_activation_layer_get_activation (NnLayer *layer)
{
  return ((NnActivationLayer *) layer)->activation;
}

static void
nn_activation_layer_class_init (NnActivationLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NnLayerClass *layer_class = NN_LAYER_CLASS (klass);

  object_class->constructed = nn_activation_layer_constructed;
  object_class->dispose = nn_activation_layer_dispose;
  object_class->finalize = nn_activation_layer_finalize;
  object_class->get_property = nn_activation_layer_get_property;
  object_class->set_property = nn_activation_layer_set_property;

  layer_class->description = "An activation on its own: f(X)";
  layer_class->forward = nn_activation_layer_forward;
  layer_class->backward = nn_activation_layer_backward;
  layer_class->backward_from_z = nn_activation_layer_backward_from_z;
  layer_class->get_output = nn_activation_layer_get_output;
  layer_class->get_activation = nn_activation_layer_get_activation;

  /**
   * NnActivationLayer:activation:
   *
   * The activation applied to every input value; set before the first
   * forward step.
   */
  properties[PROP_ACTIVATION] =
    g_param_spec_object ("activation", NULL, "Activation function of the layer",
                         NN_TYPE_ACTIVATION, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_activation_layer_init (NnActivationLayer *self)
{
}

/**
 * nn_activation_layer_new:
 * @n_inputs: the width of the input and of the output
 * @activation: the activation; the layer takes a reference
 *
 * Makes a #NnActivationLayer.
 *
 * Returns: (transfer full): a new [class@Nn.ActivationLayer]
 */
NnLayer *
nn_activation_layer_new (guint         n_inputs,
                         NnActivation *activation)
{
  g_return_val_if_fail (n_inputs > 0 && n_inputs <= NN_LAYER_MAX_WIDTH, NULL);
  g_return_val_if_fail (NN_IS_ACTIVATION (activation), NULL);

  return g_object_new (NN_TYPE_ACTIVATION_LAYER,
                       "n-inputs", n_inputs,
                       "activation", activation,
                       NULL);
}
