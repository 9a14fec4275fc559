/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* softplus: log(1 + e^(beta z)) / beta (torch.nn.Softplus). */
#include <nn.h>

#define NN_TYPE_SOFTPLUS_ACTIVATION (nn_softplus_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnSoftplusActivation, nn_softplus_activation, NN, SOFTPLUS_ACTIVATION, NnActivation)

/**
 * NnSoftplusActivation:
 *
 * PyTorch's `Softplus(beta, threshold)`: `f(z) = log(1 + e^(beta z)) / beta`,
 * and `f(z) = z` where `beta z > threshold`. The derivative is
 * `sigma(beta z)`, or 1 above the threshold.
 *
 * The logarithm is evaluated as `max(x, 0) + log1p(e^-|x|)`, which equals
 * `log1p(e^x)` but cannot overflow, whatever the threshold.
 */
struct _NnSoftplusActivation
{
  NnActivation parent_instance;

  double beta;
  double threshold;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnSoftplusActivation,
                                nn_softplus_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "softplus",
                                                                0);)

enum {
  PROP_0,
  PROP_BETA,
  PROP_THRESHOLD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nn_softplus_activation_forward (NnActivation   *activation,
                                const NnMatrix *z,
                                NnMatrix       *a)
{
  NnSoftplusActivation *self = NN_SOFTPLUS_ACTIVATION (activation);
  const nn_real         beta = (nn_real) self->beta;
  const nn_real         inv_beta = (nn_real) (1.0 / self->beta);
  const double          threshold = self->threshold;
  const nn_real        *zd = z->data;
  nn_real              *ad = a->data;
  gsize                 n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    {
      nn_real x = beta * zd[i];

      if ((double) x > threshold)
        ad[i] = zd[i];
      else
        ad[i] = (MAX (x, 0) + nn_log1p (nn_exp (-nn_fabs (x)))) * inv_beta;
    }
}

static void
nn_softplus_activation_backward (NnActivation   *activation,
                                 const NnMatrix *z,
                                 const NnMatrix *a,
                                 const NnMatrix *grad_a,
                                 NnMatrix       *grad_z)
{
  NnSoftplusActivation *self = NN_SOFTPLUS_ACTIVATION (activation);
  const nn_real         beta = (nn_real) self->beta;
  const double          threshold = self->threshold;
  const nn_real        *zd = z->data;
  const nn_real        *gd = grad_a->data;
  nn_real              *out = grad_z->data;
  gsize                 n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    {
      nn_real x = beta * zd[i];

      if ((double) x > threshold)
        out[i] = gd[i];
      else
        {
          /* sigma(x), stably */
          nn_real e = nn_exp (-nn_fabs (x));
          nn_real s = x >= 0 ? 1 / (1 + e) : e / (1 + e);

          out[i] = gd[i] * s;
        }
    }
}

static void
nn_softplus_activation_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  NnSoftplusActivation *self = NN_SOFTPLUS_ACTIVATION (object);

  switch (prop_id)
    {
    case PROP_BETA:
      g_value_set_double (value, self->beta);
      break;
    case PROP_THRESHOLD:
      g_value_set_double (value, self->threshold);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_softplus_activation_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  NnSoftplusActivation *self = NN_SOFTPLUS_ACTIVATION (object);

  switch (prop_id)
    {
    case PROP_BETA:
      if (self->beta != g_value_get_double (value))
        {
          self->beta = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_THRESHOLD:
      if (self->threshold != g_value_get_double (value))
        {
          self->threshold = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_softplus_activation_class_init (NnSoftplusActivationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  object_class->get_property = nn_softplus_activation_get_property;
  object_class->set_property = nn_softplus_activation_set_property;

  activation_class->description = "Softplus log(1 + e^(beta z)) / beta, linear above the threshold";
  activation_class->forward = nn_softplus_activation_forward;
  activation_class->backward = nn_softplus_activation_backward;

  /**
   * NnSoftplusActivation:beta:
   *
   * The sharpness: as it grows, softplus approaches ReLU.
   */
  properties[PROP_BETA] =
    g_param_spec_double ("beta", NULL,
                         "Sharpness: f(z) = log(1 + e^(beta z)) / beta",
                         1e-6, 1e6, 1.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                           G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NnSoftplusActivation:threshold:
   *
   * Above this value of `beta z` the function is the identity.
   */
  properties[PROP_THRESHOLD] =
    g_param_spec_double ("threshold", NULL,
                         "Value of beta z above which the function is the identity",
                         0.0, G_MAXDOUBLE, 20.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                           G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_softplus_activation_class_finalize (NnSoftplusActivationClass *klass)
{
}

static void
nn_softplus_activation_init (NnSoftplusActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_softplus_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:softplus")
