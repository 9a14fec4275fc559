/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* leaky_relu: z for z > 0, alpha z otherwise (torch.nn.LeakyReLU). */
#include <string.h>
#include <nn.h>

#include "nn-lanes.h"

#define NN_TYPE_LEAKY_RELU_ACTIVATION (nn_leaky_relu_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnLeakyReluActivation,
                      nn_leaky_relu_activation,
                      NN,
                      LEAKY_RELU_ACTIVATION,
                      NnActivation)

/**
 * NnLeakyReluActivation:
 *
 * The leaky rectifier `f(z) = z` for `z > 0` and `alpha * z` otherwise, as
 * PyTorch's `LeakyReLU` (whose `negative_slope` is @alpha here). The
 * derivative at exactly 0 is @alpha, as in PyTorch.
 */
struct _NnLeakyReluActivation
{
  NnActivation parent_instance;

  double alpha;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnLeakyReluActivation,
                                nn_leaky_relu_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "leaky_relu",
                                                                0);)

enum {
  PROP_0,
  PROP_ALPHA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* out = x where z > 0, else alpha x. */
G_ALWAYS_INLINE static inline void
select_scaled (const nn_real *zd,
               const nn_real *xd,
               nn_real        alpha,
               gsize          n,
               nn_real       *out)
{
  gsize i = 0;

  for (; i + LANES <= n; i += LANES)
    {
      RealVec v, x;
      MaskVec positive;

      memcpy (&v, zd + i, sizeof v);
      memcpy (&x, xd + i, sizeof x);
      positive_lanes (&v, &positive);
      x = (RealVec) (((MaskVec) x & positive) | ((MaskVec) (alpha * x) & ~positive));
      memcpy (out + i, &x, sizeof x);
    }
  for (; i < n; i++)
    out[i] = zd[i] > 0 ? xd[i] : alpha * xd[i];
}

NN_SIMD_CLONES static void
nn_leaky_relu_activation_forward (NnActivation   *activation,
                                  const NnMatrix *z,
                                  NnMatrix       *a)
{
  NnLeakyReluActivation *self = NN_LEAKY_RELU_ACTIVATION (activation);

  select_scaled (z->data, z->data, (nn_real) self->alpha, nn_matrix_size (z), a->data);
}

NN_SIMD_CLONES static void
nn_leaky_relu_activation_backward (NnActivation   *activation,
                                   const NnMatrix *z,
                                   const NnMatrix *a,
                                   const NnMatrix *grad_a,
                                   NnMatrix       *grad_z)
{
  NnLeakyReluActivation *self = NN_LEAKY_RELU_ACTIVATION (activation);

  /* Without z (see get_elementwise()), a has its signs. */
  select_scaled (z != NULL ? z->data : a->data, grad_a->data, (nn_real) self->alpha,
                 nn_matrix_size (a), grad_z->data);
}

/* A slope of 0 to 1 keeps the sign of z in a, or makes a 0. */
static NnElementwise
nn_leaky_relu_activation_get_elementwise (NnActivation *activation,
                                          double       *alpha)
{
  NnLeakyReluActivation *self = NN_LEAKY_RELU_ACTIVATION (activation);

  *alpha = self->alpha;
  return NN_ELEMENTWISE_RELU;
}

static void
nn_leaky_relu_activation_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  NnLeakyReluActivation *self = NN_LEAKY_RELU_ACTIVATION (object);

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
nn_leaky_relu_activation_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  NnLeakyReluActivation *self = NN_LEAKY_RELU_ACTIVATION (object);

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
nn_leaky_relu_activation_class_init (NnLeakyReluActivationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  object_class->get_property = nn_leaky_relu_activation_get_property;
  object_class->set_property = nn_leaky_relu_activation_set_property;

  activation_class->description = "Leaky ReLU: z for z > 0, alpha * z otherwise";
  activation_class->forward = nn_leaky_relu_activation_forward;
  activation_class->backward = nn_leaky_relu_activation_backward;
  activation_class->get_elementwise = nn_leaky_relu_activation_get_elementwise;

  /**
   * NnLeakyReluActivation:alpha:
   *
   * The slope for negative inputs (PyTorch's `negative_slope`).
   */
  properties[PROP_ALPHA] =
    g_param_spec_double ("alpha", NULL,
                         "Slope for negative inputs",
                         0.0, 1.0, 0.01,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                           G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_leaky_relu_activation_class_finalize (NnLeakyReluActivationClass *klass)
{
}

static void
nn_leaky_relu_activation_init (NnLeakyReluActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_leaky_relu_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:leaky_relu")
