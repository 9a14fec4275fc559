/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gaussian_noise: a layer kind plugin, Keras's GaussianNoise.
 *
 * The layer example of plugins/README.md, built outside nn's tree with
 * nothing but the installed headers and library:
 *
 *   cc -shared -fPIC gaussian_noise.c $(pkg-config --cflags --libs nncore) -o gaussian_noise.so
 *   nnrun check-plugin ./gaussian_noise.so
 *
 * and named in an experiment file, with its folder in `plugins:` or in
 * NN_PLUGIN_PATH, as the layer `{type: gaussian_noise, stddev: 0.1}`.
 */
#include <math.h>
#include <string.h>
#include <nn.h>

#define GAUSSIAN_NOISE_TYPE_LAYER (gaussian_noise_layer_get_type ())
G_DECLARE_FINAL_TYPE (GaussianNoiseLayer, gaussian_noise_layer, GAUSSIAN_NOISE, LAYER, NnLayer)

/**
 * GaussianNoiseLayer:
 *
 * Adds noise drawn from N(0, stddev²) to every value in training, and is
 * the identity in evaluation: a regularizer, as Keras's `GaussianNoise`.
 * It has no parameters and is as wide as its input; its derivative is the
 * identity, since the noise does not depend on the input.
 */
struct _GaussianNoiseLayer
{
  NnLayer parent_instance;

  double stddev;

  guint     width;
  NnMatrix *a_buf; /* grown to the largest batch seen */
  NnMatrix  a;     /* a view of the last batch's rows */
};

/* The type, registered under the name that experiment files use in a
 * layer's `type:`. */
G_DEFINE_DYNAMIC_TYPE_EXTENDED (GaussianNoiseLayer,
                                gaussian_noise_layer,
                                NN_TYPE_LAYER,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LAYER_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "gaussian_noise",
                                                                0);)

enum {
  PROP_0,
  PROP_STDDEV,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The input width is known once the object is constructed. */
static void
gaussian_noise_layer_constructed (GObject *object)
{
  GaussianNoiseLayer *self = GAUSSIAN_NOISE_LAYER (object);

  G_OBJECT_CLASS (gaussian_noise_layer_parent_class)->constructed (object);

  self->width = nn_layer_get_n_inputs (NN_LAYER (self));
  self->a = nn_matrix_view (NULL, 0, self->width);
}

static void
gaussian_noise_layer_finalize (GObject *object)
{
  GaussianNoiseLayer *self = GAUSSIAN_NOISE_LAYER (object);

  g_clear_pointer (&self->a_buf, nn_matrix_free);

  G_OBJECT_CLASS (gaussian_noise_layer_parent_class)->finalize (object);
}

/* A standard normal number, the @i-th of the training step: Box–Muller on
 * the step's uniform numbers 2i and 2i + 1, which the same step draws
 * again however often its forward step runs. */
static double
step_normal (NnLayer *layer,
             gsize    i)
{
  double u1 = 1.0 - nn_layer_get_step_uniform (layer, 2 * (guint64) i); /* in (0, 1] */
  double u2 = nn_layer_get_step_uniform (layer, 2 * (guint64) i + 1);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

/* A = X + stddev · N in training, A = X in evaluation. */
static const NnMatrix *
gaussian_noise_layer_forward (NnLayer        *layer,
                              const NnMatrix *x)
{
  GaussianNoiseLayer *self = GAUSSIAN_NOISE_LAYER (layer);
  gsize               n = nn_matrix_size (x);

  g_return_val_if_fail (x->cols == self->width, NULL);

  if (self->a_buf == NULL || self->a_buf->rows < x->rows)
    {
      g_clear_pointer (&self->a_buf, nn_matrix_free);
      self->a_buf = nn_matrix_new (x->rows, self->width);
    }
  self->a = nn_matrix_view_rows (self->a_buf, 0, x->rows);
  if (!nn_layer_get_training (layer) || self->stddev == 0.0)
    {
      memcpy (self->a.data, x->data, n * sizeof (nn_real));
      return &self->a;
    }
  for (gsize i = 0; i < n; i++)
    self->a.data[i] = x->data[i] + (nn_real) (self->stddev * step_normal (layer, i));
  return &self->a;
}

/* dL/dX = dL/dA: the noise is added, whatever X is. */
static const NnMatrix *
gaussian_noise_layer_backward (NnLayer        *layer,
                               const NnMatrix *x,
                               const NnMatrix *grad_a,
                               gboolean        want_grad_input)
{
  return want_grad_input ? grad_a : NULL;
}

static const NnMatrix *
gaussian_noise_layer_get_output (NnLayer *layer)
{
  return &GAUSSIAN_NOISE_LAYER (layer)->a;
}

static void
gaussian_noise_layer_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  GaussianNoiseLayer *self = GAUSSIAN_NOISE_LAYER (object);

  switch (prop_id)
    {
    case PROP_STDDEV:
      g_value_set_double (value, self->stddev);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gaussian_noise_layer_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  GaussianNoiseLayer *self = GAUSSIAN_NOISE_LAYER (object);

  switch (prop_id)
    {
    case PROP_STDDEV:
      self->stddev = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Its ONNX form, for nnrun export --format onnx: the identity of
 * inference, one Identity node. */
static char *
gaussian_noise_layer_to_onnx (NnLayer     *layer,
                              NnOnnxGraph *graph,
                              const char  *input,
                              GError     **error)
{
  const char *inputs[] = { input, NULL };

  return g_strdup (nn_onnx_graph_add_node (graph, "Identity", inputs));
}

static void
gaussian_noise_layer_class_init (GaussianNoiseLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NnLayerClass *layer_class = NN_LAYER_CLASS (klass);

  object_class->constructed = gaussian_noise_layer_constructed;
  object_class->finalize = gaussian_noise_layer_finalize;
  object_class->get_property = gaussian_noise_layer_get_property;
  object_class->set_property = gaussian_noise_layer_set_property;

  /* One line, shown by `nnrun plugins`. */
  layer_class->description = "Adds N(0, stddev²) noise in training, the identity in evaluation";
  layer_class->forward = gaussian_noise_layer_forward;
  layer_class->backward = gaussian_noise_layer_backward;
  layer_class->get_output = gaussian_noise_layer_get_output;
  layer_class->to_onnx = gaussian_noise_layer_to_onnx;

  /**
   * GaussianNoiseLayer:stddev:
   *
   * The standard deviation of the noise added in training.
   */
  properties[PROP_STDDEV] =
    g_param_spec_double ("stddev", NULL, "Standard deviation of the noise added in training",
                         0.0, 1e3, 0.1,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

/* Dynamic types need these two, even empty. */
static void
gaussian_noise_layer_class_finalize (GaussianNoiseLayerClass *klass)
{
}

static void
gaussian_noise_layer_init (GaussianNoiseLayer *self)
{
}

static void
register_types (GTypeModule *module)
{
  gaussian_noise_layer_register_type (module);
}

/* The entry points, the plugin ABI and scalar type of this build, and the
 * name it registers, as `layer:NAME`. */
NN_PLUGIN_DEFINE (register_types, "layer:gaussian_noise")
