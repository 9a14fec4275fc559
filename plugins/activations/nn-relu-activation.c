/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* relu: max(0, z) (torch.nn.ReLU). */
#include <string.h>
#include <nn.h>

#define NN_TYPE_RELU_ACTIVATION (nn_relu_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnReluActivation, nn_relu_activation, NN, RELU_ACTIVATION, NnActivation)

/**
 * NnReluActivation:
 *
 * The rectified linear unit `f(z) = max(0, z)`. Its derivative is taken as
 * 0 at exactly `z = 0`, as PyTorch does.
 */
struct _NnReluActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnReluActivation, nn_relu_activation,
                                NN_TYPE_ACTIVATION, G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "relu", 0);)

/* Sixteen bytes of values at a time through the GCC and Clang vector
 * extensions: an -O2 build leaves loops of unknown length scalar, and the
 * scalar form branches on the sign of every element, which a random sign
 * mispredicts half the time. The results are those of the scalar form. */
typedef nn_real RealVec __attribute__ ((vector_size (16)));
typedef __typeof__ ((RealVec) { 0 } > (RealVec) { 0 }) MaskVec;
#define LANES (sizeof (RealVec) / sizeof (nn_real))

static void
nn_relu_activation_forward (NnActivation   *activation,
                            const NnMatrix *z,
                            NnMatrix       *a)
{
  const nn_real *zd = z->data;
  nn_real *ad = a->data;
  gsize n = nn_matrix_size (z), i = 0;

  for (; i + LANES <= n; i += LANES)
    {
      RealVec v;

      memcpy (&v, zd + i, sizeof v);
      v = (RealVec) ((MaskVec) v & (v > 0));
      memcpy (ad + i, &v, sizeof v);
    }
  for (; i < n; i++)
    ad[i] = zd[i] > 0 ? zd[i] : 0;
}

static void
nn_relu_activation_backward (NnActivation   *activation,
                             const NnMatrix *z,
                             const NnMatrix *a,
                             const NnMatrix *grad_a,
                             NnMatrix       *grad_z)
{
  const nn_real *zd = z->data;
  const nn_real *gd = grad_a->data;
  nn_real *out = grad_z->data;
  gsize n = nn_matrix_size (z), i = 0;

  for (; i + LANES <= n; i += LANES)
    {
      RealVec v, g;

      memcpy (&v, zd + i, sizeof v);
      memcpy (&g, gd + i, sizeof g);
      g = (RealVec) ((MaskVec) g & (v > 0));
      memcpy (out + i, &g, sizeof g);
    }
  for (; i < n; i++)
    out[i] = zd[i] > 0 ? gd[i] : 0;
}

static void
nn_relu_activation_class_init (NnReluActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Rectified linear unit max(0, z)";
  activation_class->forward = nn_relu_activation_forward;
  activation_class->backward = nn_relu_activation_backward;
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

NN_PLUGIN_DEFINE (register_types)
