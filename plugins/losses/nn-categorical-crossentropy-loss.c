/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* categorical_crossentropy: cross-entropy of probability rows (Keras style). */
#include <string.h>
#include <nn.h>

#include "nn-lanes.h"

#define NN_TYPE_CATEGORICAL_CROSSENTROPY_LOSS (nn_categorical_crossentropy_loss_get_type ())
G_DECLARE_FINAL_TYPE (NnCategoricalCrossentropyLoss,
                      nn_categorical_crossentropy_loss,
                      NN,
                      CATEGORICAL_CROSSENTROPY_LOSS,
                      NnLoss)

/**
 * NnCategoricalCrossentropyLoss:
 *
 * The cross-entropy of each row, `-sum_c y_c log(p_c)`, averaged over the
 * rows (samples). @pred holds probabilities (a softmax output), @target one-hot
 * rows or probability rows; the value equals PyTorch's
 * `NLLLoss()(log(pred), labels)` (or `CrossEntropyLoss` of the logits).
 * Probabilities are clamped to at least the smallest normal #nn_real, so a
 * prediction of 0 gives a finite loss and gradient.
 */
struct _NnCategoricalCrossentropyLoss
{
  NnLoss parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnCategoricalCrossentropyLoss,
                                nn_categorical_crossentropy_loss,
                                NN_TYPE_LOSS,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LOSS_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "categorical_crossentropy",
                                                                0);)

/* The gradient goes NN_SIMD_BYTES of doubles at a time through the GCC and
 * Clang vector extensions, widened from #nn_real as the scalar form does,
 * so the results are its own; NN_SIMD_CLONES compiles the loops for AVX-512
 * and AVX2 as well. */
typedef double WideVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define WIDE_LANES (sizeof (WideVec) / sizeof (double))
typedef nn_real NarrowVec __attribute__ ((vector_size (WIDE_LANES * sizeof (nn_real))));
typedef gint64  WideMask __attribute__ ((vector_size (NN_SIMD_BYTES)));
typedef guint64 WideBits __attribute__ ((vector_size (NN_SIMD_BYTES)));

#if !NN_REAL_IS_DOUBLE
/* -t log MAX (p, smallest normal float) in each lane, NaN p included as the
 * scalar form's MAX takes it, and 0 where t is ±0 whatever p is. */
G_ALWAYS_INLINE static inline void
cross_entropy_lanes (RealVec       *p,
                     const RealVec *t)
{
  const BitsVec smallest = (BitsVec){ 0 } + 0x00800000u;
  BitsVec       bits = (BitsVec) *p;
  /* smallest < p <= +∞, as the sign bits of two differences say. */
  MaskVec above = ~((MaskVec) ((bits - smallest - 1) | (INFINITY_BITS - bits)) >> 31);
  MaskVec infinite = above & ((MaskVec) ((bits ^ INFINITY_BITS) - 1) >> 31);
  MaskVec counted = (MaskVec) (0 - ((BitsVec) *t & 0x7fffffffu)) >> 31;
  RealVec x = (RealVec) (((MaskVec) *p & above) | ((MaskVec) smallest & ~above));

  log_positive_normal (&x);
  x = (RealVec) (((MaskVec) x & ~infinite) | ((MaskVec){ 0 } + (INFINITY_BITS & infinite)));
  *p = (RealVec) ((MaskVec) (-(*t * x)) & counted);
}

/* The lanes of @v added to @sum in double. */
G_ALWAYS_INLINE static inline void
add_wide (WideVec       *sum,
          const RealVec *v)
{
  NarrowVec low, high;

  memcpy (&low, v, sizeof low);
  memcpy (&high, (const char *) v + sizeof low, sizeof high);
  *sum += __builtin_convertvector(low, WideVec) + __builtin_convertvector(high, WideVec);
}
#endif

NN_SIMD_CLONES static double
nn_categorical_crossentropy_loss_compute (NnLoss         *loss,
                                          const NnMatrix *pred,
                                          const NnMatrix *target)
{
  const nn_real *pd = pred->data;
  const nn_real *td = target->data;
  gsize          n = nn_matrix_size (pred), i = 0;
  double         sum = 0;

  if (pred->rows == 0)
    return 0;

#if !NN_REAL_IS_DOUBLE
  /* Each term in float, as logf gives it, summed in float by blocks of
   * 8 vectors (all terms are >= 0 for targets >= 0, so a block's sum is
   * within 8 roundings) and the blocks in double. */
  {
    WideVec sums = { 0 };

    while (i + LANES <= n)
      {
        RealVec block = { 0 };

        for (guint k = 0; k < 8 && i + LANES <= n; k++, i += LANES)
          {
            RealVec p, t;

            memcpy (&p, pd + i, sizeof p);
            memcpy (&t, td + i, sizeof t);
            cross_entropy_lanes (&p, &t);
            block += p;
          }
        add_wide (&sums, &block);
      }
    /* The last values through the same lanes, the rest with t = 0. */
    if (i < n)
      {
        RealVec p = { 0 }, t = { 0 };

        memcpy (&p, pd + i, (n - i) * sizeof (nn_real));
        memcpy (&t, td + i, (n - i) * sizeof (nn_real));
        cross_entropy_lanes (&p, &t);
        add_wide (&sums, &p);
      }
    for (guint l = 0; l < WIDE_LANES; l++)
      sum += sums[l];
  }
#else
  for (; i < n; i++)
    if (td[i] != 0)
      sum -= td[i] * log (MAX (pd[i], NN_REAL_MIN));
#endif
  return sum / pred->rows;
}

/* Each row's cross-entropy in double, the sum over its classes. */
static void
nn_categorical_crossentropy_loss_compute_rows (NnLoss         *loss,
                                               const NnMatrix *pred,
                                               const NnMatrix *target,
                                               double         *losses)
{
  for (guint r = 0; r < pred->rows; r++)
    {
      const nn_real *p = pred->data + (gsize) r * pred->cols;
      const nn_real *t = target->data + (gsize) r * pred->cols;
      double         sum = 0;

      for (guint c = 0; c < pred->cols; c++)
        if (t[c] != 0)
          sum -= t[c] * log (MAX ((double) p[c], (double) NN_REAL_MIN));
      losses[r] = sum;
    }
}

NN_SIMD_CLONES static void
nn_categorical_crossentropy_loss_gradient (NnLoss         *loss,
                                           const NnMatrix *pred,
                                           const NnMatrix *target,
                                           NnMatrix       *grad)
{
  const nn_real *pd = pred->data;
  const nn_real *td = target->data;
  nn_real       *gd = grad->data;
  gsize          n = nn_matrix_size (pred), i = 0;
  double         inv_rows = pred->rows ? 1.0 / pred->rows : 0;
  const double   smallest_value = NN_REAL_MIN, infinity = INFINITY;
  const WideVec  smallest = (WideVec){ 0 } + smallest_value;
  guint64        smallest_bits, infinity_bits;

  memcpy (&smallest_bits, &smallest_value, sizeof smallest_bits);
  memcpy (&infinity_bits, &infinity, sizeof infinity_bits);

  for (; i + WIDE_LANES <= n; i += WIDE_LANES)
    {
      NarrowVec p, t;
      WideVec   pw, tw;
      WideMask  above;

      memcpy (&p, pd + i, sizeof p);
      memcpy (&t, td + i, sizeof t);
      pw = __builtin_convertvector(p, WideVec);
      tw = __builtin_convertvector(t, WideVec);
      /* MAX (p, smallest), NaN included: p is above where its bits are
       * above those of smallest and at most those of +∞, as the sign bits
       * of two differences say. GCC would compare one element at a time
       * in the baseline clone. */
      above = ~((WideMask) ((((WideBits) pw - smallest_bits - 1) | (infinity_bits - (WideBits) pw))) >> 63);
      pw = (WideVec) (((WideMask) pw & above) | ((WideMask) smallest & ~above));
      p = __builtin_convertvector(-tw / pw * inv_rows, NarrowVec);
      memcpy (gd + i, &p, sizeof p);
    }
  for (; i < n; i++)
    gd[i] = (nn_real) (-td[i] / MAX ((double) pd[i], (double) NN_REAL_MIN) * inv_rows);
}

/* After a softmax, dL/dZ_c = (A_c Σ Y − Y_c) / rows in each row: (A − Y) /
 * rows for one-hot or probability targets. */
G_ALWAYS_INLINE static inline void
softmax_output_gradient (const NnMatrix *pred,
                         const NnMatrix *target,
                         NnMatrix       *grad_z,
                         guint           cols)
{
  nn_real inv_rows = (nn_real) (1.0 / pred->rows);

  for (guint r = 0; r < pred->rows; r++)
    {
      const nn_real *p = pred->data + (gsize) r * cols;
      const nn_real *t = target->data + (gsize) r * cols;
      nn_real       *g = grad_z->data + (gsize) r * cols;
      nn_real        sum = 0;

      NN_UNROLL_ROW
      for (guint c = 0; c < cols; c++)
        sum += t[c];
      NN_UNROLL_ROW
      for (guint c = 0; c < cols; c++)
        g[c] = (p[c] * sum - t[c]) * inv_rows;
    }
}

NN_SIMD_CLONES static gboolean
nn_categorical_crossentropy_loss_output_gradient (NnLoss         *loss,
                                                  NnActivation   *activation,
                                                  const NnMatrix *pred,
                                                  const NnMatrix *target,
                                                  NnMatrix       *grad_z)
{
  if (g_strcmp0 (nn_activation_get_name (activation), "softmax") != 0)
    return FALSE;
  if (pred->rows == 0)
    return TRUE;
#define OUTPUT_GRADIENT(w) softmax_output_gradient (pred, target, grad_z, w)
  NN_FOR_NARROW_WIDTHS (pred->cols, OUTPUT_GRADIENT);
#undef OUTPUT_GRADIENT
  return TRUE;
}

static void
nn_categorical_crossentropy_loss_class_init (NnCategoricalCrossentropyLossClass *klass)
{
  NnLossClass *loss_class = NN_LOSS_CLASS (klass);

  loss_class->description = "Categorical cross-entropy of probability rows, mean over samples";
  loss_class->compute = nn_categorical_crossentropy_loss_compute;
  loss_class->gradient = nn_categorical_crossentropy_loss_gradient;
  loss_class->output_gradient = nn_categorical_crossentropy_loss_output_gradient;
  loss_class->compute_rows = nn_categorical_crossentropy_loss_compute_rows;
}

static void
nn_categorical_crossentropy_loss_class_finalize (NnCategoricalCrossentropyLossClass *klass)
{
}

static void
nn_categorical_crossentropy_loss_init (NnCategoricalCrossentropyLoss *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_categorical_crossentropy_loss_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "loss:categorical_crossentropy")
