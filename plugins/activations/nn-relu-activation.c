/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* relu: max(0, z) (torch.nn.ReLU). */
#include <string.h>
#include <nn.h>

#include "nn-lanes.h"

#define NN_TYPE_RELU_ACTIVATION (nn_relu_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnReluActivation, nn_relu_activation, NN, RELU_ACTIVATION, NnActivation)

/**
 * NnReluActivation:
 *
 * The rectified linear unit `f(z) = max(0, z)`. Its derivative is taken as
 * 0 at exactly `z = 0`, as PyTorch does. It is read from the activations,
 * positive where `z` is, so that a layer need not keep `z`.
 */
struct _NnReluActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnReluActivation,
                                nn_relu_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "relu",
                                                                0);)

NN_SIMD_CLONES static void
nn_relu_activation_forward (NnActivation   *activation,
                            const NnMatrix *z,
                            NnMatrix       *a)
{
  const nn_real *zd = z->data;
  nn_real       *ad = a->data;
  gsize          n = nn_matrix_size (z), i = 0;

  for (; i + LANES <= n; i += LANES)
    {
      RealVec v;
      MaskVec positive;

      memcpy (&v, zd + i, sizeof v);
      positive_lanes (&v, &positive);
      v = (RealVec) ((MaskVec) v & positive);
      memcpy (ad + i, &v, sizeof v);
    }
  for (; i < n; i++)
    ad[i] = zd[i] > 0 ? zd[i] : 0;
}

NN_SIMD_CLONES static void
nn_relu_activation_backward (NnActivation   *activation,
                             const NnMatrix *z,
                             const NnMatrix *a,
                             const NnMatrix *grad_a,
                             NnMatrix       *grad_z)
{
  const nn_real *ad = a->data;
  const nn_real *gd = grad_a->data;
  nn_real       *out = grad_z->data;
  gsize          n = nn_matrix_size (a), i = 0;

  for (; i + LANES <= n; i += LANES)
    {
      RealVec v, g;
      MaskVec positive;

      memcpy (&v, ad + i, sizeof v);
      memcpy (&g, gd + i, sizeof g);
      positive_lanes (&v, &positive);
      g = (RealVec) ((MaskVec) g & positive);
      memcpy (out + i, &g, sizeof g);
    }
  for (; i < n; i++)
    out[i] = ad[i] > 0 ? gd[i] : 0;
}

static NnElementwise
nn_relu_activation_get_elementwise (NnActivation *activation,
                                    double       *alpha)
{
  *alpha = 0;
  return NN_ELEMENTWISE_RELU;
}

static void
nn_relu_activation_class_init (NnReluActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Rectified linear unit max(0, z)";
  activation_class->forward = nn_relu_activation_forward;
  activation_class->backward = nn_relu_activation_backward;
  activation_class->get_elementwise = nn_relu_activation_get_elementwise;
}

static void
nn_relu_activation_class_finalize (NnReluActivationClass *klass)
{
}

static void
nn_relu_activation_init (NnReluActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_relu_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:relu")
