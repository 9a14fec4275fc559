/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* elu: z for z > 0, alpha (e^z - 1) otherwise (torch.nn.ELU). */
#include <nn.h>

#define NN_TYPE_ELU_ACTIVATION (nn_elu_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnEluActivation, nn_elu_activation, NN, ELU_ACTIVATION, NnActivation)

/**
 * NnEluActivation:
 *
 * The exponential linear unit `f(z) = z` for `z > 0` and
 * `alpha * (e^z - 1)` otherwise, as PyTorch's `ELU`. The derivative is 1 for
 * `z > 0` and `alpha * e^z` otherwise.
 */
struct _NnEluActivation
{
  NnActivation parent_instance;

  double alpha;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnEluActivation,
                                nn_elu_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "elu",
                                                                0);)

enum {
  PROP_0,
  PROP_ALPHA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nn_elu_activation_forward (NnActivation   *activation,
                           const NnMatrix *z,
                           NnMatrix       *a)
{
  NnEluActivation *self = NN_ELU_ACTIVATION (activation);
  const nn_real    alpha = (nn_real) self->alpha;
  const nn_real   *zd = z->data;
  nn_real         *ad = a->data;
  gsize            n = nn_matrix_size (z);

  /* expm1 keeps the relative precision of small negative z. */
  for (gsize i = 0; i < n; i++)
    ad[i] = zd[i] > 0 ? zd[i] : alpha * nn_expm1 (zd[i]);
}

static void
nn_elu_activation_backward (NnActivation   *activation,
                            const NnMatrix *z,
                            const NnMatrix *a,
                            const NnMatrix *grad_a,
                            NnMatrix       *grad_z)
{
  NnEluActivation *self = NN_ELU_ACTIVATION (activation);
  const nn_real    alpha = (nn_real) self->alpha;
  const nn_real   *zd = z->data;
  const nn_real   *gd = grad_a->data;
  nn_real         *out = grad_z->data;
  gsize            n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    out[i] = zd[i] > 0 ? gd[i] : gd[i] * alpha * nn_exp (zd[i]);
}

static void
nn_elu_activation_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NnEluActivation *self = NN_ELU_ACTIVATION (object);

  switch (prop_id)
    {
    case PROP_ALPHA:
      g_value_set_double (value, self->alpha);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_elu_activation_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NnEluActivation *self = NN_ELU_ACTIVATION (object);

  switch (prop_id)
    {
    case PROP_ALPHA:
      if (self->alpha != g_value_get_double (value))
        {
          self->alpha = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_elu_activation_class_init (NnEluActivationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  object_class->get_property = nn_elu_activation_get_property;
  object_class->set_property = nn_elu_activation_set_property;

  activation_class->description = "Exponential linear unit: z for z > 0, alpha * (e^z - 1) otherwise";
  activation_class->forward = nn_elu_activation_forward;
  activation_class->backward = nn_elu_activation_backward;

  /**
   * NnEluActivation:alpha:
   *
   * The value the function approaches for large negative inputs is `-alpha`.
   */
  properties[PROP_ALPHA] =
    g_param_spec_double ("alpha", NULL,
                         "Scale of the negative part: f(z) tends to -alpha as z goes to -infinity",
                         0.0, G_MAXDOUBLE, 1.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                           G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_elu_activation_class_finalize (NnEluActivationClass *klass)
{
}

static void
nn_elu_activation_init (NnEluActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_elu_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:elu")
