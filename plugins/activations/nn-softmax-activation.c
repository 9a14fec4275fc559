/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* softmax: e^z_i / sum_j e^z_j over each row (torch.nn.Softmax(dim=1)). */
#include <string.h>
#include <nn.h>

#define NN_TYPE_SOFTMAX_ACTIVATION (nn_softmax_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnSoftmaxActivation, nn_softmax_activation, NN, SOFTMAX_ACTIVATION, NnActivation)

/**
 * NnSoftmaxActivation:
 *
 * The softmax of each row (one sample): `a_i = e^z_i / sum_j e^z_j`. The row
 * maximum is subtracted first, so no finite input overflows. The backward
 * step is the Jacobian-vector product of each row,
 * `grad_z_i = a_i (grad_a_i - sum_j grad_a_j a_j)`.
 */
struct _NnSoftmaxActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnSoftmaxActivation, nn_softmax_activation,
                                NN_TYPE_ACTIVATION, G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "softmax", 0);)

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
nn_softmax_activation_forward (NnActivation   *activation,
                               const NnMatrix *z,
                               NnMatrix       *a)
{
  guint cols = z->cols;
  gsize n = nn_matrix_size (z), i = 0;

  if (cols == 0)
    return;

  /* z - max of its row, every exponent then <= 0 and one of each row 0 ... */
  for (guint r = 0; r < z->rows; r++)
    {
      const nn_real *zr = z->data + (gsize) r * cols;
      nn_real *ar = a->data + (gsize) r * cols;
      nn_real max = zr[0];

      for (guint c = 1; c < cols; c++)
        if (zr[c] > max)
          max = zr[c];
      for (guint c = 0; c < cols; c++)
        ar[c] = zr[c] - max;
    }
  /* ... their exponentials over the whole matrix at once ... */
#if !NN_REAL_IS_DOUBLE
  for (; i + LANES <= n; i += LANES)
    {
      FloatVec v;

      memcpy (&v, a->data + i, sizeof v);
      v = exp_nonpositive (v);
      memcpy (a->data + i, &v, sizeof v);
    }
#endif
  for (; i < n; i++)
    a->data[i] = nn_exp (a->data[i]);
  /* ... and each row over its sum, so 1 <= sum <= cols. */
  for (guint r = 0; r < z->rows; r++)
    {
      nn_real *ar = a->data + (gsize) r * cols;
      double sum = 0;
      nn_real scale;

      for (guint c = 0; c < cols; c++)
        sum += ar[c];
      scale = (nn_real) (1.0 / sum);
      for (guint c = 0; c < cols; c++)
        ar[c] *= scale;
    }
}

static void
nn_softmax_activation_backward (NnActivation   *activation,
                                const NnMatrix *z,
                                const NnMatrix *a,
                                const NnMatrix *grad_a,
                                NnMatrix       *grad_z)
{
  guint cols = a->cols;

  for (guint r = 0; r < a->rows; r++)
    {
      const nn_real *ar = a->data + (gsize) r * cols;
      const nn_real *gr = grad_a->data + (gsize) r * cols;
      nn_real *out = grad_z->data + (gsize) r * cols;
      double dot = 0;
      nn_real d;

      for (guint c = 0; c < cols; c++)
        dot += (double) gr[c] * ar[c];
      d = (nn_real) dot;
      for (guint c = 0; c < cols; c++)
        out[c] = ar[c] * (gr[c] - d);
    }
}

static void
nn_softmax_activation_class_init (NnSoftmaxActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Softmax over each row: e^z_i / sum_j e^z_j";
  activation_class->forward = nn_softmax_activation_forward;
  activation_class->backward = nn_softmax_activation_backward;
}

static void
nn_softmax_activation_class_finalize (NnSoftmaxActivationClass *klass)
{
}

static void
nn_softmax_activation_init (NnSoftmaxActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_softmax_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types)
