/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* softmax: e^z_i / sum_j e^z_j over each row (torch.nn.Softmax(dim=1)). */
#include <string.h>
#include <nn.h>

#include "nn-lanes.h"

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

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnSoftmaxActivation,
                                nn_softmax_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "softmax",
                                                                0);)

/* Each row minus its maximum, so that every exponent is <= 0 and one of
 * each row is 0. */
G_ALWAYS_INLINE static inline void
shift_rows (const NnMatrix *z,
            NnMatrix       *a,
            guint           cols)
{
  for (guint r = 0; r < z->rows; r++)
    {
      const nn_real *zr = z->data + (gsize) r * cols;
      nn_real       *ar = a->data + (gsize) r * cols;
      nn_real        max = zr[0];

      NN_UNROLL_ROW
      for (guint c = 1; c < cols; c++)
        max = zr[c] > max ? zr[c] : max;
      NN_UNROLL_ROW
      for (guint c = 0; c < cols; c++)
        ar[c] = zr[c] - max;
    }
}

/* Each row over its sum (1 <= sum <= cols), the reciprocals of LANES rows
 * taken in one vector division. */
G_ALWAYS_INLINE static inline void
normalize_rows (NnMatrix *a,
                guint     cols)
{
  const RealVec one = (RealVec){ 0 } + 1;

  for (guint r0 = 0; r0 < a->rows; r0 += LANES)
    {
      guint   block = MIN (LANES, a->rows - r0);
      RealVec sums = one, scales;

      for (guint j = 0; j < block; j++)
        {
          const nn_real *ar = a->data + (gsize) (r0 + j) * cols;
          nn_real        sum = 0;

          NN_UNROLL_ROW
          for (guint c = 0; c < cols; c++)
            sum += ar[c];
          sums[j] = sum;
        }
      scales = one / sums;
      for (guint j = 0; j < block; j++)
        {
          nn_real *ar = a->data + (gsize) (r0 + j) * cols;

          NN_UNROLL_ROW
          for (guint c = 0; c < cols; c++)
            ar[c] *= scales[j];
        }
    }
}

NN_SIMD_CLONES static void
nn_softmax_activation_forward (NnActivation   *activation,
                               const NnMatrix *z,
                               NnMatrix       *a)
{
  guint cols = z->cols;
  gsize n = nn_matrix_size (z), i = 0;

  if (cols == 0)
    return;

#define SHIFT_ROWS(w) shift_rows (z, a, w)
  NN_FOR_NARROW_WIDTHS (cols, SHIFT_ROWS);
#undef SHIFT_ROWS
  /* The exponentials over the whole matrix at once, the last ones through
   * the same lanes, so that no value's exponential depends on where it is
   * in the matrix. */
#if !NN_REAL_IS_DOUBLE
  for (; i + LANES <= n; i += LANES)
    {
      RealVec v;

      memcpy (&v, a->data + i, sizeof v);
      exp_nonpositive (&v);
      memcpy (a->data + i, &v, sizeof v);
    }
  if (i < n)
    {
      RealVec v = { 0 };

      memcpy (&v, a->data + i, (n - i) * sizeof (nn_real));
      exp_nonpositive (&v);
      memcpy (a->data + i, &v, (n - i) * sizeof (nn_real));
    }
#else
  for (; i < n; i++)
    a->data[i] = nn_exp (a->data[i]);
#endif
#define NORMALIZE_ROWS(w) normalize_rows (a, w)
  NN_FOR_NARROW_WIDTHS (cols, NORMALIZE_ROWS);
#undef NORMALIZE_ROWS
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
      nn_real       *out = grad_z->data + (gsize) r * cols;
      double         dot = 0;
      nn_real        d;

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

NN_PLUGIN_DEFINE (register_types, "activation:softmax")
