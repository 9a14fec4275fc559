/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fixture_noise: examples/plugins/gaussian_noise.c under another name,
 * with a C form (NnLayerClass.to_c): the identity, as in evaluation. It
 * has no ONNX form, for what ONNX export refuses. */
#include <math.h>
#include <string.h>
#include <nn.h>

#define FIXTURE_NOISE_TYPE_LAYER (fixture_noise_layer_get_type ())
G_DECLARE_FINAL_TYPE (FixtureNoiseLayer, fixture_noise_layer, FIXTURE_NOISE, LAYER, NnLayer)

/**
 * FixtureNoiseLayer:
 *
 * Adds noise drawn from N(0, stddev²) to every value in training, and is
 * the identity in evaluation: a regularizer, as Keras's `FixtureNoise`.
 * It has no parameters and is as wide as its input; its derivative is the
 * identity, since the noise does not depend on the input.
 */
struct _FixtureNoiseLayer
{
  NnLayer parent_instance;

  double stddev;

  guint     width;
  NnMatrix *a_buf; /* grown to the largest batch seen */
  NnMatrix  a;     /* a view of the last batch's rows */
};

/* The type, registered under the name that experiment files use in a
 * layer's `type:`. */
G_DEFINE_DYNAMIC_TYPE_EXTENDED (FixtureNoiseLayer,
                                fixture_noise_layer,
                                NN_TYPE_LAYER,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LAYER_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "fixture_noise",
                                                                0);)

enum {
  PROP_0,
  PROP_STDDEV,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The input width is known once the object is constructed. */
static void
fixture_noise_layer_constructed (GObject *object)
{
  FixtureNoiseLayer *self = FIXTURE_NOISE_LAYER (object);

  G_OBJECT_CLASS (fixture_noise_layer_parent_class)->constructed (object);

  self->width = nn_layer_get_n_inputs (NN_LAYER (self));
  self->a = nn_matrix_view (NULL, 0, self->width);
}

static void
fixture_noise_layer_finalize (GObject *object)
{
  FixtureNoiseLayer *self = FIXTURE_NOISE_LAYER (object);

  g_clear_pointer (&self->a_buf, nn_matrix_free);

  G_OBJECT_CLASS (fixture_noise_layer_parent_class)->finalize (object);
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
fixture_noise_layer_forward (NnLayer        *layer,
                             const NnMatrix *x)
{
  FixtureNoiseLayer *self = FIXTURE_NOISE_LAYER (layer);
  gsize              n = nn_matrix_size (x);

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
fixture_noise_layer_backward (NnLayer        *layer,
                              const NnMatrix *x,
                              const NnMatrix *grad_a,
                              gboolean        want_grad_input)
{
  return want_grad_input ? grad_a : NULL;
}

static const NnMatrix *
fixture_noise_layer_get_output (NnLayer *layer)
{
  return &FIXTURE_NOISE_LAYER (layer)->a;
}

static void
fixture_noise_layer_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  FixtureNoiseLayer *self = FIXTURE_NOISE_LAYER (object);

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
fixture_noise_layer_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  FixtureNoiseLayer *self = FIXTURE_NOISE_LAYER (object);

  switch (prop_id)
    {
    case PROP_STDDEV:
      self->stddev = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static char *
fixture_noise_layer_to_c (NnLayer    *layer,
                          const char *function)
{
  return g_strdup_printf ("static void %s(const float *in, float *out)\n{\n"
                          "  int i;\n"
                          "  for (i = 0; i < %u; i++)\n"
                          "    out[i] = in[i];\n"
                          "}\n",
                          function, nn_layer_get_n_inputs (layer));
}

static void
fixture_noise_layer_class_init (FixtureNoiseLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NnLayerClass *layer_class = NN_LAYER_CLASS (klass);

  object_class->constructed = fixture_noise_layer_constructed;
  object_class->finalize = fixture_noise_layer_finalize;
  object_class->get_property = fixture_noise_layer_get_property;
  object_class->set_property = fixture_noise_layer_set_property;

  /* One line, shown by `nnrun plugins`. */
  layer_class->description = "Adds N(0, stddev²) noise in training, the identity in evaluation";
  layer_class->forward = fixture_noise_layer_forward;
  layer_class->backward = fixture_noise_layer_backward;
  layer_class->get_output = fixture_noise_layer_get_output;
  layer_class->to_c = fixture_noise_layer_to_c;

  /**
   * FixtureNoiseLayer:stddev:
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
fixture_noise_layer_class_finalize (FixtureNoiseLayerClass *klass)
{
}

static void
fixture_noise_layer_init (FixtureNoiseLayer *self)
{
}

static void
register_types (GTypeModule *module)
{
  fixture_noise_layer_register_type (module);
}

/* The entry points, the plugin ABI and scalar type of this build, and the
 * name it registers, as `layer:NAME`. */
NN_PLUGIN_DEFINE (register_types, "layer:fixture_noise")
