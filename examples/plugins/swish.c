/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* swish: z * sigmoid(beta z), an activation plugin with a parameter.
 *
 * The example of plugins/README.md, built outside nn's tree with nothing
 * but the installed headers and library:
 *
 *   cc -shared -fPIC swish.c $(pkg-config --cflags --libs nncore) -o swish.so
 *   nnrun check-plugin ./swish.so
 *
 * and named in an experiment file, with its folder in `plugins:` or in
 * NN_PLUGIN_PATH, as `activation: {name: swish, beta: 1.5}`. With beta 1 it
 * is the built-in silu; beta is what the built-ins lack.
 */
#include <nn.h>

#define SWISH_TYPE_ACTIVATION (swish_activation_get_type ())
G_DECLARE_FINAL_TYPE (SwishActivation, swish_activation, SWISH, ACTIVATION, NnActivation)

/**
 * SwishActivation:
 *
 * Swish, `f(z) = z σ(βz)` (Ramachandran et al., 2017), whose derivative is
 * `σ(βz) (1 + βz (1 − σ(βz)))`. β = 1 gives silu, β = 0 gives z / 2, and a
 * large β approaches relu.
 */
struct _SwishActivation
{
  NnActivation parent_instance;

  double beta;
};

/* The type, registered under the name that experiment files use. A type
 * name must be unique among all the plugins loaded: hence no Nn prefix,
 * which the built-in plugins use. */
G_DEFINE_DYNAMIC_TYPE_EXTENDED (SwishActivation,
                                swish_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "swish",
                                                                0);)

enum {
  PROP_0,
  PROP_BETA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* σ(x) without overflow for any x. */
static inline nn_real
sigmoid (nn_real x)
{
  nn_real e = nn_exp (-nn_fabs (x));

  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/* The whole batch at once: z and a are batch × units, row-major. */
static void
swish_activation_forward (NnActivation   *activation,
                          const NnMatrix *z,
                          NnMatrix       *a)
{
  SwishActivation *self = SWISH_ACTIVATION (activation);
  const nn_real    beta = (nn_real) self->beta;
  const nn_real   *zd = z->data;
  nn_real         *ad = a->data;
  gsize            n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    ad[i] = zd[i] * sigmoid (beta * zd[i]);
}

/* grad_z = grad_a · f'(z). */
static void
swish_activation_backward (NnActivation   *activation,
                           const NnMatrix *z,
                           const NnMatrix *a,
                           const NnMatrix *grad_a,
                           NnMatrix       *grad_z)
{
  SwishActivation *self = SWISH_ACTIVATION (activation);
  const nn_real    beta = (nn_real) self->beta;
  const nn_real   *zd = z->data;
  const nn_real   *gd = grad_a->data;
  nn_real         *out = grad_z->data;
  gsize            n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    {
      nn_real bz = beta * zd[i];
      nn_real s = sigmoid (bz);

      out[i] = gd[i] * s * (1 + bz * (1 - s));
    }
}

static void
swish_activation_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SwishActivation *self = SWISH_ACTIVATION (object);

  switch (prop_id)
    {
    case PROP_BETA:
      g_value_set_double (value, self->beta);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
swish_activation_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  SwishActivation *self = SWISH_ACTIVATION (object);

  switch (prop_id)
    {
    case PROP_BETA:
      self->beta = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
swish_activation_class_init (SwishActivationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  object_class->get_property = swish_activation_get_property;
  object_class->set_property = swish_activation_set_property;

  activation_class->description = "Swish z * sigmoid(beta z); beta 1 is silu";
  activation_class->forward = swish_activation_forward;
  activation_class->backward = swish_activation_backward;

  /**
   * SwishActivation:beta:
   *
   * The sharpness of the gate. In an experiment file: `beta: 1.5`; nn
   * refuses a value outside [0, 100] with an error at its line.
   */
  properties[PROP_BETA] =
    g_param_spec_double ("beta", NULL,
                         "Sharpness of the gate: f(z) = z * sigmoid(beta z)",
                         0.0, 100.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

/* Dynamic types need these two, even empty. */
static void
swish_activation_class_finalize (SwishActivationClass *klass)
{
}

static void
swish_activation_init (SwishActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  swish_activation_register_type (module);
}

/* The entry points, and the plugin ABI and scalar type of this build, which
 * the loader checks before it runs any of this file's code. */
NN_PLUGIN_DEFINE (register_types, "activation:swish")
