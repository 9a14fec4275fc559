/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tanh: the hyperbolic tangent (torch.nn.Tanh). */
#include <nn.h>

#define NN_TYPE_TANH_ACTIVATION (nn_tanh_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnTanhActivation, nn_tanh_activation, NN, TANH_ACTIVATION, NnActivation)

/**
 * NnTanhActivation:
 *
 * The hyperbolic tangent `f(z) = tanh(z)`, with derivative `1 - f(z)²`.
 */
struct _NnTanhActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnTanhActivation,
                                nn_tanh_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "tanh",
                                                                0);)

static void
nn_tanh_activation_forward (NnActivation   *activation,
                            const NnMatrix *z,
                            NnMatrix       *a)
{
  const nn_real *zd = z->data;
  nn_real       *ad = a->data;
  gsize          n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    ad[i] = nn_tanh (zd[i]);
}

static void
nn_tanh_activation_backward (NnActivation   *activation,
                             const NnMatrix *z,
                             const NnMatrix *a,
                             const NnMatrix *grad_a,
                             NnMatrix       *grad_z)
{
  const nn_real *ad = a->data;
  const nn_real *gd = grad_a->data;
  nn_real       *out = grad_z->data;
  gsize          n = nn_matrix_size (a);

  for (gsize i = 0; i < n; i++)
    out[i] = gd[i] * (1 - ad[i] * ad[i]);
}

/* The backward step reads a alone. */
static NnElementwise
nn_tanh_activation_get_elementwise (NnActivation *activation,
                                    double       *alpha)
{
  *alpha = 0;
  return NN_ELEMENTWISE_TANH;
}

static void
nn_tanh_activation_class_init (NnTanhActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Hyperbolic tangent tanh(z)";
  activation_class->forward = nn_tanh_activation_forward;
  activation_class->backward = nn_tanh_activation_backward;
  activation_class->get_elementwise = nn_tanh_activation_get_elementwise;
}

static void
nn_tanh_activation_class_finalize (NnTanhActivationClass *klass)
{
}

static void
nn_tanh_activation_init (NnTanhActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_tanh_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:tanh")
