/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "nn-matrix.h"
#include "nn-matrix-private.h"
#include "nn-matmul-private.h"
#include "nn-simd.h"

/* The matrix products: kernels of the library's own for the small ones
 * and the build's engine (nn-matmul-private.h) for the rest. Vectors of
 * NN_SIMD_BYTES as in nn-matrix.c. */
typedef nn_real RealVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define LANES (sizeof (RealVec) / sizeof (nn_real))

/**
 * nn_matrix_set_n_threads:
 * @n_threads: the number of threads, at least 1
 *
 * Sets how many threads the matrix products of this process use. Where
 * the build takes its products from oneDNN, threads of the library's own
 * share each large product by rows or by columns of the result, each part
 * on oneDNN's one-thread kernels; each product keeps a moving average of
 * its time on one thread and shared, tries the slower way now and then,
 * and runs the faster way, so that a second thread whose core is busy
 * does not slow it down for long. Where other processes keep some of the
 * CPUs this process may run on busy (read from `/proc/stat` every tenth
 * of a second), products are shared between fewer threads, and in the
 * first tenth of a second between none; `OMP_DYNAMIC=false` turns that
 * off, as it does OpenMP's own adjusting. The BLAS's own threads
 * (`openblas_set_num_threads()`) split each product large enough between
 * them. Small products stay on one thread. By default the count is
 * `OMP_NUM_THREADS` (oneDNN) or `OPENBLAS_NUM_THREADS`, else one per core.
 *
 * The BLAS may add a split product's terms in another order, so results
 * can differ in the last bits between thread counts. oneDNN's are the same
 * on any number of threads: a product is shared only in a way found to
 * give the bits of one thread. Call it
 * before training, not while another thread computes a product.
 */
void
nn_matrix_set_n_threads (guint n_threads)
{
  g_return_if_fail (n_threads >= 1 && n_threads <= G_MAXINT);

  nn_matmul_blas_set_n_threads (n_threads);
#ifdef NN_HAVE_ONEDNN
  nn_matmul_onednn_set_n_threads (n_threads);
#endif
}

/**
 * nn_matrix_get_n_threads:
 *
 * Gets the number of threads of the matrix products.
 *
 * Returns: the number of threads of the matrix products: the engine's, or
 *   what [func@Nn.Matrix.set_n_threads] last set where the engine cannot tell
 */
guint
nn_matrix_get_n_threads (void)
{
#ifdef NN_HAVE_ONEDNN
  return nn_matmul_onednn_get_n_threads ();
#else
  return nn_matmul_blas_get_n_threads ();
#endif
}

/**
 * nn_matrix_get_engine_name:
 *
 * Gets the name of the engine of the large matrix products: "oneDNN" in a
 * float build that found it (`-Dmatmul=auto` or `onednn`), else the BLAS,
 * "OpenBLAS" or "CBLAS". A double build always takes its products from the
 * BLAS, since oneDNN has no double matmul.
 *
 * Returns: (transfer none): the name of the engine
 *
 * Since: 0.2
 */
const char *
nn_matrix_get_engine_name (void)
{
  return nn_matmul_engine_name ();
}

/* ---- precision ---------------------------------------------------------- */

G_DEFINE_ENUM_TYPE (NnPrecision,
                    nn_precision,
                    G_DEFINE_ENUM_VALUE (NN_PRECISION_FLOAT32, "float32"),
                    G_DEFINE_ENUM_VALUE (NN_PRECISION_BF16, "bf16"))

/* The precision of each thread's products, as PyTorch's autocast keeps
 * its state per thread. */
static GPrivate thread_precision;

/**
 * nn_matrix_check_precision:
 * @precision: a precision
 * @error: return location for a #GError
 *
 * Whether the products of this process can be computed in @precision.
 * %NN_PRECISION_FLOAT32 always can; %NN_PRECISION_BF16 needs a float
 * build whose products are on oneDNN and a CPU that computes bf16 in
 * hardware (AVX512-BF16, or AMX-BF16). A CPU without emulates bf16 more
 * slowly than it computes float32, so it is refused rather than emulated.
 *
 * Returns: %TRUE if @precision is available, else %FALSE with @error set
 *   (%G_IO_ERROR_NOT_SUPPORTED) to the reason
 *
 * Since: 0.2
 */
gboolean
nn_matrix_check_precision (NnPrecision precision,
                           GError    **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (precision == NN_PRECISION_FLOAT32)
    return TRUE;
  g_return_val_if_fail (precision == NN_PRECISION_BF16, FALSE);
#if NN_REAL_IS_DOUBLE
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "bf16 needs a float build; this one computes in double");
  return FALSE;
#elif !defined(NN_HAVE_ONEDNN)
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "bf16 needs the products on oneDNN; this build has them on %s",
               nn_matmul_engine_name ());
  return FALSE;
#else
  return nn_matmul_onednn_check_bf16 (error);
#endif
}

/**
 * nn_matrix_set_precision:
 * @precision: an available precision ([func@Nn.Matrix.check_precision])
 *
 * Sets the number format of the matrix products the calling thread asks
 * for from then on. With %NN_PRECISION_BF16 the products the engine takes
 * (every large one) round their two operands to bfloat16 and add up in
 * float32, as PyTorch's `torch.autocast(dtype=torch.bfloat16)` does on a
 * CPU; results, and everything that is not a product (activations,
 * losses, optimizer states, the weights themselves), stay in float32. The
 * small products the library computes itself stay in float32.
 *
 * Since: 0.2
 */
void
nn_matrix_set_precision (NnPrecision precision)
{
  g_return_if_fail (nn_matrix_check_precision (precision, NULL));

  g_private_set (&thread_precision, GINT_TO_POINTER (precision));
}

/**
 * nn_matrix_get_precision:
 *
 * Gets the number format of the calling thread's products.
 *
 * Returns: what [func@Nn.Matrix.set_precision] last set on this thread,
 *   %NN_PRECISION_FLOAT32 before
 *
 * Since: 0.2
 */
NnPrecision
nn_matrix_get_precision (void)
{
  return (NnPrecision) GPOINTER_TO_INT (g_private_get (&thread_precision));
}

/* ---- products too small for the BLAS ------------------------------------ */

/* Below this many multiply-adds a product costs the BLAS more in fixed
 * costs (its checks, its kernel choice, packing) than in arithmetic, and
 * the kernels below do it in registers. */
#define SMALL_PRODUCT_MAX 32768
/* The most rows of op(B) (k) the narrow kernel keeps as vectors. */
#define NARROW_K_MAX 32
/* The most rows of C the kernel for long sums keeps in registers. */
#define LONG_SUM_M_MAX 4

/* Row @row of C, of n values, from its sum, a vector of type Vec of
 * `lanes` values: alpha sum (+ the row `bias_` where there is one) + beta
 * C, C not read when beta is 0. Within
 * the matrix (before `end`) a whole vector goes back, running into the next
 * row, which is written after this one; when beta is not 0 that row is yet
 * to be read, so only n lanes go back unless n is all of them. A macro for
 * the kernels' vectors of each width. */
/* clang-format off */
#define STORE_ROW(Vec, row, sum)                                              \
  G_STMT_START {                                                              \
    nn_real *out_ = c->data + (gsize) (row) * n;                              \
    Vec v_ = alpha * (sum);                                                   \
                                                                              \
    if (bias != NULL)                                                         \
      v_ += bias_;                                                            \
    if (out_ + lanes > end)                                                   \
      for (guint j_ = 0; j_ < n; j_++)                                        \
        out_[j_] = beta == 0 ? v_[j_] : v_[j_] + beta * out_[j_];             \
    else if (beta == 0)                                                       \
      memcpy (out_, &v_, sizeof v_);                                          \
    else                                                                      \
      {                                                                       \
        Vec old_;                                                             \
                                                                              \
        memcpy (&old_, out_, sizeof old_);                                    \
        v_ += beta * old_;                                                    \
        if (n == lanes)                                                       \
          memcpy (out_, &v_, sizeof v_);                                      \
        else                                                                  \
          for (guint j_ = 0; j_ < n; j_++)                                    \
            out_[j_] = v_[j_];                                                \
      }                                                                       \
  } G_STMT_END
/* clang-format on */

/* C = alpha A op(B) (+ @bias in each row) + beta C, A m × k, C m × n with
 * n <= the lanes of Vec and k <= NARROW_K_MAX: each row of op(B) in a vector, each row of C a sum
 * of k of them scaled by A's row, four rows of C at a time. Vectors no
 * wider than the rows of C, so that few lanes are computed for nothing: a
 * macro, for each width. */
#define DEFINE_GEMM_NARROW(name, Vec) \
  NN_SIMD_CLONES static void \
  name (gboolean        trans_b, \
        nn_real         alpha, \
        const NnMatrix *a, \
        const NnMatrix *b, \
        const nn_real  *bias, \
        nn_real         beta, \
        NnMatrix       *c) \
  { \
    const guint lanes = sizeof (Vec) / sizeof (nn_real); \
    guint       m = c->rows, n = c->cols, k = a->cols, i = 0; \
    nn_real    *end = c->data + nn_matrix_size (c); \
    Vec         rows[NARROW_K_MAX], bias_ = { 0 }; \
\
    for (guint j = 0; bias != NULL && j < n; j++) \
      bias_[j] = bias[j]; \
    for (guint p = 0; p < k; p++) \
      { \
        rows[p] = (Vec){ 0 }; \
        for (guint j = 0; j < n; j++) \
          rows[p][j] = trans_b ? b->data[(gsize) j * k + p] : b->data[(gsize) p * n + j]; \
      } \
    for (; i + 4 <= m; i += 4) \
      { \
        const nn_real *a0 = a->data + (gsize) i * k; \
        Vec            s0 = { 0 }, s1 = { 0 }, s2 = { 0 }, s3 = { 0 }; \
\
        for (guint p = 0; p < k; p++) \
          { \
            s0 += a0[p] * rows[p]; \
            s1 += a0[k + p] * rows[p]; \
            s2 += a0[2 * k + p] * rows[p]; \
            s3 += a0[3 * k + p] * rows[p]; \
          } \
        STORE_ROW (Vec, i, s0); \
        STORE_ROW (Vec, i + 1, s1); \
        STORE_ROW (Vec, i + 2, s2); \
        STORE_ROW (Vec, i + 3, s3); \
      } \
    for (; i < m; i++) \
      { \
        const nn_real *a0 = a->data + (gsize) i * k; \
        Vec            s0 = { 0 }; \
\
        for (guint p = 0; p < k; p++) \
          s0 += a0[p] * rows[p]; \
        STORE_ROW (Vec, i, s0); \
      } \
  }

typedef nn_real QuarterVec __attribute__ ((vector_size (NN_SIMD_BYTES / 4)));
typedef nn_real HalfVec __attribute__ ((vector_size (NN_SIMD_BYTES / 2)));

DEFINE_GEMM_NARROW (gemm_narrow_quarter, QuarterVec)
DEFINE_GEMM_NARROW (gemm_narrow_half, HalfVec)
DEFINE_GEMM_NARROW (gemm_narrow_full, RealVec)

/* The narrowest of them for @c's rows. */
static void
gemm_narrow (gboolean        trans_b,
             nn_real         alpha,
             const NnMatrix *a,
             const NnMatrix *b,
             const nn_real  *bias,
             nn_real         beta,
             NnMatrix       *c)
{
  if (c->cols <= LANES / 4)
    gemm_narrow_quarter (trans_b, alpha, a, b, bias, beta, c);
  else if (c->cols <= LANES / 2)
    gemm_narrow_half (trans_b, alpha, a, b, bias, beta, c);
  else
    gemm_narrow_full (trans_b, alpha, a, b, bias, beta, c);
}

/* out (m × n, n <= LANES, m <= LONG_SUM_M_MAX) = Aᵀ B, A k × m and B k × n,
 * the long sum over k in two independent chains for each row of out. Rows
 * of B are read a whole vector at a time, the lanes past n from the next
 * row and then discarded; the last row from a padded copy. The chains are
 * separate variables, not an array, which -O2 would keep in memory, and m
 * a constant where it is inlined, so that the tests of m fold away.
 *
 * With @a_sums or @b_sums, also the column sums of A (m values) or of B
 * (a vector), each column added top to bottom in one chain, as
 * nn_matrix_sum_rows() adds it: the gradient of a bias, from the rows of
 * dL/dZ the product goes through anyway. */
G_ALWAYS_INLINE static inline void
long_sums (const nn_real *a,
           const nn_real *b,
           guint          m,
           guint          n,
           guint          k,
           RealVec       *out,
           nn_real       *a_sums,
           RealVec       *b_sums)
{
  RealVec        e0 = { 0 }, e1 = { 0 }, e2 = { 0 }, e3 = { 0 };
  RealVec        o0 = { 0 }, o1 = { 0 }, o2 = { 0 }, o3 = { 0 };
  RealVec        bs = { 0 };
  nn_real        as0 = 0, as1 = 0, as2 = 0, as3 = 0;
  const nn_real *b_end = b + (gsize) k * n;
  guint          p = 0;

  for (; p + 2 <= k && b + (gsize) (p + 1) * n + LANES <= b_end; p += 2)
    {
      const nn_real *a0 = a + (gsize) p * m, *a1 = a0 + m;
      RealVec        b0, b1;

      memcpy (&b0, b + (gsize) p * n, sizeof b0);
      memcpy (&b1, b + (gsize) (p + 1) * n, sizeof b1);
      e0 += a0[0] * b0;
      o0 += a1[0] * b1;
      if (m > 1)
        {
          e1 += a0[1] * b0;
          o1 += a1[1] * b1;
        }
      if (m > 2)
        {
          e2 += a0[2] * b0;
          o2 += a1[2] * b1;
        }
      if (m > 3)
        {
          e3 += a0[3] * b0;
          o3 += a1[3] * b1;
        }
      if (a_sums != NULL)
        {
          as0 = as0 + a0[0] + a1[0];
          if (m > 1)
            as1 = as1 + a0[1] + a1[1];
          if (m > 2)
            as2 = as2 + a0[2] + a1[2];
          if (m > 3)
            as3 = as3 + a0[3] + a1[3];
        }
      if (b_sums != NULL)
        bs = bs + b0 + b1;
    }
  for (; p < k; p++)
    {
      const nn_real *a0 = a + (gsize) p * m;
      RealVec        b0 = { 0 };

      memcpy (&b0, b + (gsize) p * n, n * sizeof (nn_real));
      e0 += a0[0] * b0;
      if (m > 1)
        e1 += a0[1] * b0;
      if (m > 2)
        e2 += a0[2] * b0;
      if (m > 3)
        e3 += a0[3] * b0;
      as0 += a0[0];
      if (m > 1)
        as1 += a0[1];
      if (m > 2)
        as2 += a0[2];
      if (m > 3)
        as3 += a0[3];
      bs += b0;
    }
  out[0] = e0 + o0;
  out[1] = e1 + o1;
  out[2] = e2 + o2;
  out[3] = e3 + o3;
  if (a_sums != NULL)
    {
      nn_real all[LONG_SUM_M_MAX] = { as0, as1, as2, as3 };

      memcpy (a_sums, all, m * sizeof (nn_real));
    }
  if (b_sums != NULL)
    *b_sums = bs;
}

/* long_sums() with m a constant. */
G_ALWAYS_INLINE static inline void
long_sums_any (const nn_real *a,
               const nn_real *b,
               guint          m,
               guint          n,
               guint          k,
               RealVec       *out,
               nn_real       *a_sums,
               RealVec       *b_sums)
{
  switch (m)
    {
    case 1:
      long_sums (a, b, 1, n, k, out, a_sums, b_sums);
      break;
    case 2:
      long_sums (a, b, 2, n, k, out, a_sums, b_sums);
      break;
    case 3:
      long_sums (a, b, 3, n, k, out, a_sums, b_sums);
      break;
    default:
      long_sums (a, b, 4, n, k, out, a_sums, b_sums);
      break;
    }
}

/* C = alpha Aᵀ B + beta C, A k × m, B k × n, for a small C: either m <=
 * LONG_SUM_M_MAX and n <= LANES, or the other way round, where Cᵀ = Bᵀ A
 * is summed and then written transposed. With @a_sums, also the column
 * sums of A (m values) as long_sums() takes them. */
NN_SIMD_CLONES static void
gemm_long_sums (nn_real         alpha,
                const NnMatrix *a,
                const NnMatrix *b,
                nn_real         beta,
                NnMatrix       *c,
                nn_real        *a_sums)
{
  const guint    lanes = LANES;
  const nn_real *bias = NULL; /* for STORE_ROW */
  guint          m = c->rows, n = c->cols, k = a->rows;
  nn_real       *end = c->data + nn_matrix_size (c);
  RealVec        sums[LONG_SUM_M_MAX], bias_ = { 0 }, a_column_sums;

  if (m <= LONG_SUM_M_MAX && n <= LANES)
    {
      long_sums_any (a->data, b->data, m, n, k, sums, a_sums, NULL);
      for (guint i = 0; i < m; i++)
        STORE_ROW (RealVec, i, sums[i]);
      return;
    }
  long_sums_any (b->data, a->data, n, m, k, sums, NULL, a_sums ? &a_column_sums : NULL);
  for (guint j = 0; j < n; j++)
    for (guint i = 0; i < m; i++)
      {
        nn_real  v = alpha * sums[j][i];
        nn_real *out = c->data + (gsize) i * n + j;

        *out = beta == 0 ? v : v + beta * *out;
      }
  if (a_sums != NULL)
    for (guint i = 0; i < m; i++)
      a_sums[i] = a_column_sums[i];
}

typedef enum {
  SMALL_NONE,
  SMALL_NARROW,
  SMALL_LONG_SUMS,
} SmallKernel;

/* Which kernel of our own, if any, does C = alpha op(A) op(B) + beta C. */
static SmallKernel
small_product_kernel (gboolean trans_a,
                      gboolean trans_b,
                      nn_real  alpha,
                      guint    m,
                      guint    n,
                      guint    k)
{
  /* With alpha 0, BLAS reads neither A nor B, NaN in them included. */
  if ((gsize) m * n * k > SMALL_PRODUCT_MAX || alpha == 0)
    return SMALL_NONE;
  if (!trans_a)
    return n <= LANES && k <= NARROW_K_MAX ? SMALL_NARROW : SMALL_NONE;
  if (trans_b)
    return SMALL_NONE;
  if ((m <= LONG_SUM_M_MAX && n <= LANES) || (n <= LONG_SUM_M_MAX && m <= LANES))
    return SMALL_LONG_SUMS;
  return SMALL_NONE;
}

/* C = alpha op(A) op(B) (+ @bias in each row) + beta C on the build's
 * engine; returns whether the bias was added, which only oneDNN does. */
static gboolean
engine_gemm (gboolean        trans_a,
             gboolean        trans_b,
             nn_real         alpha,
             const NnMatrix *a,
             const NnMatrix *b,
             const nn_real  *bias,
             nn_real         beta,
             NnMatrix       *c)
{
#ifdef NN_HAVE_ONEDNN
  gboolean bf16 = nn_matrix_get_precision () == NN_PRECISION_BF16;

  if (nn_matmul_onednn_gemm (trans_a, trans_b, alpha, a, b, bias, beta, NN_ELEMENTWISE_NONE, 0, c,
                             bf16))
    return bias != NULL;
#endif
  nn_matmul_blas_gemm (trans_a, trans_b, alpha, a, b, beta, c);
  return FALSE;
}

/**
 * nn_matrix_gemm:
 * @trans_a: use the transpose of @a
 * @trans_b: use the transpose of @b
 * @alpha: scale of the product
 * @a: left operand
 * @b: right operand
 * @beta: scale of the previous contents of @c
 * @c: the result, @alpha × op(@a) op(@b) + @beta × @c
 *
 * The one general matrix product of the library, through oneDNN's matmul
 * where the build has it (a float build that found oneDNN, `-Dmatmul`), else
 * through CBLAS, on the threads [func@Nn.Matrix.set_n_threads] sets. Products of at most 32768
 * multiply-adds whose result has narrow rows (a layer of a few units, or
 * its gradient) are done on the calling thread by kernels of the library's
 * own, in vector registers, where the BLAS's fixed costs would outweigh
 * the arithmetic.
 */
void
nn_matrix_gemm (gboolean        trans_a,
                gboolean        trans_b,
                nn_real         alpha,
                const NnMatrix *a,
                const NnMatrix *b,
                nn_real         beta,
                NnMatrix       *c)
{
  guint m = trans_a ? a->cols : a->rows;
  guint k = trans_a ? a->rows : a->cols;
  guint kb = trans_b ? b->cols : b->rows;
  guint n = trans_b ? b->rows : b->cols;

  g_return_if_fail (k == kb && c->rows == m && c->cols == n);

  if (m == 0 || n == 0)
    return;
  if (k == 0)
    {
      /* BLAS leaves C untouched when k is 0 only if beta is 1. */
      for (gsize i = 0; i < nn_matrix_size (c); i++)
        c->data[i] *= beta;
      return;
    }

  switch (small_product_kernel (trans_a, trans_b, alpha, m, n, k))
    {
    case SMALL_NARROW:
      gemm_narrow (trans_b, alpha, a, b, NULL, beta, c);
      return;
    case SMALL_LONG_SUMS:
      gemm_long_sums (alpha, a, b, beta, c, NULL);
      return;
    default:
      break;
    }

  engine_gemm (trans_a, trans_b, alpha, a, b, NULL, beta, c);
}

/* Z = X Wᵀ + b, a layer's pre-activations (X batch × inputs, W units ×
 * inputs, b 1 × units). Where the narrow kernel takes the product, it adds
 * the bias as it stores each row, in the order the product and then
 * nn_matrix_add_row_vector() would: one pass less over Z. */
void
nn_matrix_linear (const NnMatrix *x,
                  const NnMatrix *weights,
                  const NnMatrix *bias,
                  NnMatrix       *z)
{
  g_return_if_fail (x->cols == weights->cols);
  g_return_if_fail (bias->rows == 1 && bias->cols == weights->rows);
  g_return_if_fail (z->rows == x->rows && z->cols == weights->rows);

  if (x->cols > 0 && z->rows > 0 && z->cols > 0 &&
      small_product_kernel (FALSE, TRUE, 1, z->rows, z->cols, x->cols) == SMALL_NARROW)
    {
      gemm_narrow (TRUE, 1, x, weights, bias->data, 0, z);
      return;
    }
  if (x->cols == 0 || z->rows == 0 || z->cols == 0)
    {
      nn_matrix_gemm (FALSE, TRUE, 1, x, weights, 0, z);
      nn_matrix_add_row_vector (z, bias);
      return;
    }
  if (!engine_gemm (FALSE, TRUE, 1, x, weights, bias->data, 0, z))
    nn_matrix_add_row_vector (z, bias);
}

/* A = f(X Wᵀ + b) in the product's own pass where the engine applies @fn
 * (with its parameter @alpha) as it stores the result: oneDNN does, for
 * products large enough for it. Returns TRUE with A written; else FALSE
 * with Z = X Wᵀ + b written for the caller to apply f to. */
gboolean
nn_matrix_linear_activated (const NnMatrix *x,
                            const NnMatrix *weights,
                            const NnMatrix *bias,
                            NnElementwise   fn,
                            double          alpha,
                            NnMatrix       *z,
                            NnMatrix       *a)
{
  g_return_val_if_fail (x->cols == weights->cols, FALSE);
  g_return_val_if_fail (bias->rows == 1 && bias->cols == weights->rows, FALSE);
  g_return_val_if_fail (a->rows == x->rows && a->cols == weights->rows, FALSE);
  g_return_val_if_fail (nn_matrix_same_shape (z, a), FALSE);

#ifdef NN_HAVE_ONEDNN
  if (fn != NN_ELEMENTWISE_NONE && x->cols > 0 && a->rows > 0 && a->cols > 0 &&
      small_product_kernel (FALSE, TRUE, 1, a->rows, a->cols, x->cols) == SMALL_NONE &&
      nn_matmul_onednn_gemm (FALSE, TRUE, 1, x, weights, bias->data, 0, fn, (float) alpha, a,
                             nn_matrix_get_precision () == NN_PRECISION_BF16))
    return TRUE;
#endif
  nn_matrix_linear (x, weights, bias, z);
  return FALSE;
}

/* The gradients of a layer's weights and bias from dL/dZ: dW = dZᵀ X and
 * db = the column sums of dZ, as nn_matrix_gemm() and nn_matrix_sum_rows()
 * give them. Where the long-sum kernel takes the product, it adds up db
 * from the rows it reads anyway, in the same order. */
void
nn_matrix_linear_gradients (const NnMatrix *grad_z,
                            const NnMatrix *x,
                            NnMatrix       *grad_weights,
                            NnMatrix       *grad_bias)
{
  g_return_if_fail (grad_z->rows == x->rows);
  g_return_if_fail (grad_weights->rows == grad_z->cols && grad_weights->cols == x->cols);
  g_return_if_fail (grad_bias->rows == 1 && grad_bias->cols == grad_z->cols);

  if (grad_z->rows > 0 && grad_weights->rows > 0 && grad_weights->cols > 0 &&
      small_product_kernel (TRUE, FALSE, 1, grad_weights->rows, grad_weights->cols,
                            grad_z->rows) == SMALL_LONG_SUMS)
    {
      gemm_long_sums (1, grad_z, x, 0, grad_weights, grad_bias->data);
      return;
    }
  nn_matrix_gemm (TRUE, FALSE, 1, grad_z, x, 0, grad_weights);
  nn_matrix_sum_rows (grad_z, grad_bias);
}

/* The plain SGD step of a layer without keeping its gradients: W ← W −
 * lr dZᵀX as one product that adds to W (beta 1), so that dL/dW is
 * neither written nor read back, and b ← b − lr Σ dZ with dL/db in
 * @grad_bias. */
void
nn_matrix_linear_update (const NnMatrix *grad_z,
                         const NnMatrix *x,
                         nn_real         lr,
                         NnMatrix       *weights,
                         NnMatrix       *bias,
                         NnMatrix       *grad_bias)
{
  g_return_if_fail (grad_z->rows == x->rows);
  g_return_if_fail (weights->rows == grad_z->cols && weights->cols == x->cols);
  g_return_if_fail (nn_matrix_same_shape (bias, grad_bias) && bias->rows == 1 &&
                    bias->cols == grad_z->cols);

  if (grad_z->rows > 0 && weights->rows > 0 && weights->cols > 0 &&
      small_product_kernel (TRUE, FALSE, -lr, weights->rows, weights->cols,
                            grad_z->rows) == SMALL_LONG_SUMS)
    gemm_long_sums (-lr, grad_z, x, 1, weights, grad_bias->data);
  else
    {
      nn_matrix_gemm (TRUE, FALSE, -lr, grad_z, x, 1, weights);
      nn_matrix_sum_rows (grad_z, grad_bias);
    }
  for (guint j = 0; j < bias->cols; j++)
    bias->data[j] += -lr * grad_bias->data[j];
}
