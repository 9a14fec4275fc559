/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-dropout-layer.h"
#include "nn-layer-private.h"
#include "nn-registry-private.h"
#include "nn-simd.h"

/**
 * NnDropoutLayer:
 *
 * The layer kind `dropout`: inverted dropout, PyTorch's `nn.Dropout`. In
 * training each value is kept with probability 1 −
 * [property@Nn.DropoutLayer:rate] and scaled by 1 / (1 − rate), or zeroed; in
 * evaluation the layer is the identity. Which values a training step keeps
 * depends only on the step the model names (nn_model_set_step(): the seed, the
 * epoch, the batch and the layer's place), so that a training interrupted and
 * resumed draws what it would have drawn. It has no parameters and is as wide
 * as its input; at rate 0 it draws nothing and changes no bit.
 */
struct _NnDropoutLayer
{
  NnLayer parent_instance;

  guint  width;
  double rate;

  guint    capacity; /* rows of the work matrices */
  nn_real *a_buf;    /* capacity × width */
  nn_real *mask_buf; /* 0 or 1 / (1 − rate) per value of the last step */
  nn_real *grad_x_buf;
  gboolean masked; /* whether the last forward step applied the mask */

  NnMatrix a; /* views of the last batch */
  NnMatrix grad_x;
};

G_DEFINE_FINAL_TYPE_WITH_CODE (NnDropoutLayer,
                               nn_dropout_layer,
                               NN_TYPE_LAYER,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_LAYER_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "dropout",
                                                               0))

enum {
  PROP_0,
  PROP_RATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nn_dropout_layer_constructed (GObject *object)
{
  NnDropoutLayer *self = NN_DROPOUT_LAYER (object);

  G_OBJECT_CLASS (nn_dropout_layer_parent_class)->constructed (object);

  self->width = nn_layer_get_n_inputs (NN_LAYER (self));
  self->a = nn_matrix_view (NULL, 0, self->width);
}

static void
nn_dropout_layer_finalize (GObject *object)
{
  NnDropoutLayer *self = NN_DROPOUT_LAYER (object);

  g_clear_pointer (&self->a_buf, g_aligned_free);
  g_clear_pointer (&self->mask_buf, g_aligned_free);
  g_clear_pointer (&self->grad_x_buf, g_aligned_free);

  G_OBJECT_CLASS (nn_dropout_layer_parent_class)->finalize (object);
}

static void
nn_dropout_layer_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  NnDropoutLayer *self = NN_DROPOUT_LAYER (object);

  switch (prop_id)
    {
    case PROP_RATE:
      g_value_set_double (value, self->rate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_dropout_layer_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  NnDropoutLayer *self = NN_DROPOUT_LAYER (object);

  switch (prop_id)
    {
    case PROP_RATE:
      self->rate = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Grows the work matrices to @rows; a no-op once the largest batch is seen. */
static void
ensure_capacity (NnDropoutLayer *self,
                 guint           rows)
{
  if (rows <= self->capacity)
    return;

  nn_layer_resize_work (&self->a_buf, rows, self->width);
  nn_layer_resize_work (&self->mask_buf, rows, self->width);
  nn_layer_resize_work (&self->grad_x_buf, rows, self->width);
  self->capacity = rows;
}

/* The mask of the step: value i is kept when the i-th draw of the step's
 * stream, uniform in [0, 1) with 53 bits, is at least the rate. */
static void
draw_mask (NnDropoutLayer *self,
           gsize           n)
{
  guint64 key = nn_layer_get_step_key (NN_LAYER (self));
  nn_real scale = (nn_real) (1.0 / (1.0 - self->rate));

  for (gsize i = 0; i < n; i++)
    {
      double u = (double) (nn_mix64 (key + i) >> 11) * 0x1.0p-53;

      self->mask_buf[i] = u >= self->rate ? scale : (nn_real) 0;
    }
}

static const NnMatrix *
nn_dropout_layer_forward (NnLayer        *layer,
                          const NnMatrix *x)
{
  NnDropoutLayer *self = (NnDropoutLayer *) layer;
  gsize           n = (gsize) x->rows * self->width;

  g_return_val_if_fail (x->cols == self->width, NULL);

  ensure_capacity (self, x->rows);
  self->a = nn_matrix_view (self->a_buf, x->rows, self->width);
  self->masked = nn_layer_get_training (layer) && self->rate > 0.0;
  if (!self->masked)
    {
      memcpy (self->a_buf, x->data, n * sizeof (nn_real));
      return &self->a;
    }
  draw_mask (self, n);
  for (gsize i = 0; i < n; i++)
    self->a_buf[i] = x->data[i] * self->mask_buf[i];
  return &self->a;
}

/* dL/dX = m ⊙ dL/dA, the mask of the last forward step. */
static const NnMatrix *
nn_dropout_layer_backward (NnLayer        *layer,
                           const NnMatrix *x,
                           const NnMatrix *grad_a,
                           gboolean        want_grad_input)
{
  NnDropoutLayer *self = (NnDropoutLayer *) layer;
  gsize           n = (gsize) x->rows * self->width;

  g_return_val_if_fail (x->rows == self->a.rows, NULL);
  g_return_val_if_fail (nn_matrix_same_shape (grad_a, &self->a), NULL);

  if (!want_grad_input)
    return NULL;
  if (!self->masked)
    return grad_a;
  self->grad_x = nn_matrix_view (self->grad_x_buf, x->rows, self->width);
  for (gsize i = 0; i < n; i++)
    self->grad_x_buf[i] = grad_a->data[i] * self->mask_buf[i];
  return &self->grad_x;
}

static const NnMatrix *
nn_dropout_layer_get_output (NnLayer *layer)
{
  return &((NnDropoutLayer *) layer)->a;
}

static void
nn_dropout_layer_class_init (NnDropoutLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NnLayerClass *layer_class = NN_LAYER_CLASS (klass);

  object_class->constructed = nn_dropout_layer_constructed;
  object_class->finalize = nn_dropout_layer_finalize;
  object_class->get_property = nn_dropout_layer_get_property;
  object_class->set_property = nn_dropout_layer_set_property;

  layer_class->description = "Inverted dropout in training, the identity in evaluation";
  layer_class->forward = nn_dropout_layer_forward;
  layer_class->backward = nn_dropout_layer_backward;
  layer_class->get_output = nn_dropout_layer_get_output;

  /**
   * NnDropoutLayer:rate:
   *
   * The probability that training zeroes a value, in [0, 1); the values
   * kept are scaled by 1 / (1 − rate).
   */
  properties[PROP_RATE] =
    g_param_spec_double ("rate", NULL, "Probability that training zeroes a value", 0.0,
                         nextafter (1.0, 0.0), 0.5,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                           G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_dropout_layer_init (NnDropoutLayer *self)
{
  self->rate = 0.5;
}

/**
 * nn_dropout_layer_new:
 * @n_inputs: the width of the input and of the output
 * @rate: the probability of zeroing a value in training, in [0, 1)
 *
 * Makes a #NnDropoutLayer.
 *
 * Returns: (transfer full): a new [class@Nn.DropoutLayer]
 */
NnLayer *
nn_dropout_layer_new (guint  n_inputs,
                      double rate)
{
  g_return_val_if_fail (n_inputs > 0 && n_inputs <= NN_LAYER_MAX_WIDTH, NULL);
  g_return_val_if_fail (rate >= 0.0 && rate < 1.0, NULL);

  return g_object_new (NN_TYPE_DROPOUT_LAYER, "n-inputs", n_inputs, "rate", rate, NULL);
}

/**
 * nn_dropout_layer_get_rate:
 * @self: a #NnDropoutLayer
 *
 * Gets the probability of zeroing a value in training.
 *
 * Returns: the probability of zeroing a value in training
 */
double
nn_dropout_layer_get_rate (NnDropoutLayer *self)
{
  g_return_val_if_fail (NN_IS_DROPOUT_LAYER (self), 0.0);

  return self->rate;
}
