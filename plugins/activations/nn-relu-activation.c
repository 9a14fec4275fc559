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

/* NN_SIMD_BYTES of values at a time through the GCC and Clang vector
 * extensions: an -O2 build leaves loops of unknown length scalar, and the
 * scalar form branches on the sign of every element, which a random sign
 * mispredicts half the time. NN_SIMD_CLONES compiles the loops for AVX2 as
 * well. The results are those of the scalar form. */
typedef nn_real RealVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#if NN_REAL_IS_DOUBLE
typedef guint64 BitsVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
typedef gint64 MaskVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define INFINITY_BITS G_GUINT64_CONSTANT (0x7ff0000000000000)
#else
typedef guint32 BitsVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
typedef gint32 MaskVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define INFINITY_BITS 0x7f800000u
#endif
#define LANES (sizeof (RealVec) / sizeof (nn_real))

/* All ones in the lanes of @v above 0 (NaN not): 0 < bits <= those of +∞,
 * told by the sign bits of two differences. GCC compares 32-byte vectors
 * one element at a time where it lacks 32-byte registers (the baseline
 * clone); it splits integer arithmetic into halves. */
G_ALWAYS_INLINE static inline void
positive_lanes (const RealVec *v,
                MaskVec       *mask)
{
  BitsVec bits = (BitsVec) *v;
  BitsVec outside = (bits - 1) | (INFINITY_BITS - bits);

  *mask = ~((MaskVec) outside >> (8 * sizeof (nn_real) - 1));
}

NN_SIMD_CLONES static void
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
  const nn_real *zd = z->data;
  const nn_real *gd = grad_a->data;
  nn_real *out = grad_z->data;
  gsize n = nn_matrix_size (z), i = 0;

  for (; i + LANES <= n; i += LANES)
    {
      RealVec v, g;
      MaskVec positive;

      memcpy (&v, zd + i, sizeof v);
      memcpy (&g, gd + i, sizeof g);
      positive_lanes (&v, &positive);
      g = (RealVec) ((MaskVec) g & positive);
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
