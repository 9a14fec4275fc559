/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sigmoid: 1 / (1 + e^-z) (torch.nn.Sigmoid). */
#include <string.h>
#include <nn.h>

#include "nn-lanes.h"

#define NN_TYPE_SIGMOID_ACTIVATION (nn_sigmoid_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnSigmoidActivation, nn_sigmoid_activation, NN, SIGMOID_ACTIVATION, NnActivation)

/**
 * NnSigmoidActivation:
 *
 * The logistic function `f(z) = 1 / (1 + e^-z)`, with derivative
 * `f(z) (1 - f(z))`. The exponential is only ever taken of `-|z|`, so no
 * finite input overflows.
 */
struct _NnSigmoidActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnSigmoidActivation,
                                nn_sigmoid_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "sigmoid",
                                                                0);)

#if !NN_REAL_IS_DOUBLE
/* The sigmoid of each lane, in place: e^-|x|, then 1 / (1 + e) or
 * e / (1 + e) by the sign bit of x (both are 1/2 at -0). */
G_ALWAYS_INLINE static inline void
sigmoid_lanes (RealVec *v)
{
  const RealVec one = (RealVec){ 0 } + 1.0f;
  MaskVec       negative = (MaskVec) *v >> 31;
  RealVec       e = (RealVec) ((MaskVec) *v | ((MaskVec){ 0 } + G_MININT32));

  exp_nonpositive (&e);
  *v = (RealVec) (((MaskVec) one & ~negative) | ((MaskVec) e & negative)) / (one + e);
}
#endif

NN_SIMD_CLONES static void
nn_sigmoid_activation_forward (NnActivation   *activation,
                               const NnMatrix *z,
                               NnMatrix       *a)
{
  const nn_real *zd = z->data;
  nn_real       *ad = a->data;
  gsize          n = nn_matrix_size (z), i = 0;

#if !NN_REAL_IS_DOUBLE
  for (; i + LANES <= n; i += LANES)
    {
      RealVec v;

      memcpy (&v, zd + i, sizeof v);
      sigmoid_lanes (&v);
      memcpy (ad + i, &v, sizeof v);
    }
  /* The last values through the same lanes, so that no value's sigmoid
   * depends on where it is in the matrix. */
  if (i < n)
    {
      RealVec v = { 0 };

      memcpy (&v, zd + i, (n - i) * sizeof (nn_real));
      sigmoid_lanes (&v);
      memcpy (ad + i, &v, (n - i) * sizeof (nn_real));
    }
#else
  for (; i < n; i++)
    {
      nn_real x = zd[i];

      if (x >= 0)
        ad[i] = 1 / (1 + nn_exp (-x));
      else
        {
          nn_real e = nn_exp (x);
          ad[i] = e / (1 + e);
        }
    }
#endif
}

NN_SIMD_CLONES static void
nn_sigmoid_activation_backward (NnActivation   *activation,
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
      RealVec av, gv;

      memcpy (&av, ad + i, sizeof av);
      memcpy (&gv, gd + i, sizeof gv);
      gv = gv * av * (1 - av);
      memcpy (out + i, &gv, sizeof gv);
    }
  for (; i < n; i++)
    out[i] = gd[i] * ad[i] * (1 - ad[i]);
}

/* The backward step reads a alone. */
static NnElementwise
nn_sigmoid_activation_get_elementwise (NnActivation *activation,
                                       double       *alpha)
{
  *alpha = 0;
  return NN_ELEMENTWISE_LOGISTIC;
}

static void
nn_sigmoid_activation_class_init (NnSigmoidActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Logistic sigmoid 1 / (1 + e^-z)";
  activation_class->forward = nn_sigmoid_activation_forward;
  activation_class->backward = nn_sigmoid_activation_backward;
  activation_class->get_elementwise = nn_sigmoid_activation_get_elementwise;
}

static void
nn_sigmoid_activation_class_finalize (NnSigmoidActivationClass *klass)
{
}

static void
nn_sigmoid_activation_init (NnSigmoidActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_sigmoid_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:sigmoid")
