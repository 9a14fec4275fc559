/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sigmoid: 1 / (1 + e^-z) (torch.nn.Sigmoid). */
#include <string.h>
#include <nn.h>

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

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnSigmoidActivation, nn_sigmoid_activation,
                                NN_TYPE_ACTIVATION, G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "sigmoid", 0);)

#if !NN_REAL_IS_DOUBLE
/* Four floats at a time through the GCC and Clang vector extensions: an
 * -O2 build leaves loops of unknown length scalar, and expf itself is a
 * call per element. */
typedef float FloatVec __attribute__ ((vector_size (16)));
typedef gint32 IntVec __attribute__ ((vector_size (16)));
#define LANES (sizeof (FloatVec) / sizeof (float))

/* e^x for x <= 0 (and NaN): Cephes' expf. n = floor(x log2 e + 1/2),
 * r = x - n ln 2 in two parts, a degree-7 polynomial in r, times 2^n built
 * in the exponent bits. Within 2 ulp of expf, except that it is 0 below
 * -87.3, where expf turns subnormal. */
static inline FloatVec
exp_nonpositive (FloatVec x)
{
  const FloatVec lowest = { -87.3f, -87.3f, -87.3f, -87.3f };
  IntVec under = x < lowest;
  FloatVec fx, fn, r, p;
  IntVec n;

  x = (FloatVec) (((IntVec) x & ~under) | ((IntVec) lowest & under));
  fx = x * 1.44269504088896341f + 0.5f;
  n = __builtin_convertvector (fx, IntVec);          /* toward 0 ... */
  n += (IntVec) (__builtin_convertvector (n, FloatVec) > fx);   /* ... then down */
  fn = __builtin_convertvector (n, FloatVec);
  r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  p = 1.9875691500e-4f * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  p *= (FloatVec) ((n + 127) << 23);
  return (FloatVec) ((IntVec) p & ~under);
}
#endif

static void
nn_sigmoid_activation_forward (NnActivation   *activation,
                               const NnMatrix *z,
                               NnMatrix       *a)
{
  const nn_real *zd = z->data;
  nn_real *ad = a->data;
  gsize n = nn_matrix_size (z), i = 0;

#if !NN_REAL_IS_DOUBLE
  for (; i + LANES <= n; i += LANES)
    {
      const FloatVec one = { 1, 1, 1, 1 };
      FloatVec x, e;
      IntVec positive;

      memcpy (&x, zd + i, sizeof x);
      positive = x >= 0;
      /* e^-|x|, then 1 / (1 + e) or e / (1 + e) by the sign of x. */
      e = exp_nonpositive ((FloatVec) ((IntVec) x | (IntVec) { G_MININT32, G_MININT32,
                                                                G_MININT32, G_MININT32 }));
      x = (FloatVec) (((IntVec) one & positive) | ((IntVec) e & ~positive)) / (one + e);
      memcpy (ad + i, &x, sizeof x);
    }
#endif
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
}

static void
nn_sigmoid_activation_backward (NnActivation   *activation,
                                const NnMatrix *z,
                                const NnMatrix *a,
                                const NnMatrix *grad_a,
                                NnMatrix       *grad_z)
{
  const nn_real *ad = a->data;
  const nn_real *gd = grad_a->data;
  nn_real *out = grad_z->data;
  gsize n = nn_matrix_size (a), i = 0;

#if !NN_REAL_IS_DOUBLE
  for (; i + LANES <= n; i += LANES)
    {
      FloatVec av, gv;

      memcpy (&av, ad + i, sizeof av);
      memcpy (&gv, gd + i, sizeof gv);
      gv = gv * av * (1 - av);
      memcpy (out + i, &gv, sizeof gv);
    }
#endif
  for (; i < n; i++)
    out[i] = gd[i] * ad[i] * (1 - ad[i]);
}

static void
nn_sigmoid_activation_class_init (NnSigmoidActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Logistic sigmoid 1 / (1 + e^-z)";
  activation_class->forward = nn_sigmoid_activation_forward;
  activation_class->backward = nn_sigmoid_activation_backward;
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

NN_PLUGIN_DEFINE (register_types)
