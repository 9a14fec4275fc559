/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include "nn-matrix.h"
#include "nn-matrix-private.h"
#include "nn-matmul-private.h"
#include "nn-simd.h"

/* NN_SIMD_BYTES of values at a time through the GCC and Clang vector
 * extensions, which an -O2 build uses where it leaves a loop of unknown
 * length scalar; NN_SIMD_CLONES compiles the static functions with these
 * loops for AVX-512 and AVX2 as well, and the public ones call them.
 * Element by element, so sums are those of the plain loop. */
typedef nn_real RealVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#if NN_REAL_IS_DOUBLE
typedef guint64 BitsVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define EXPONENT_BITS G_GUINT64_CONSTANT (0x7ff0000000000000)
#define EXPONENT_ONE G_GUINT64_CONSTANT (0x0010000000000000)
#define SIGN_BIT G_GUINT64_CONSTANT (0x8000000000000000)
#else
typedef guint32 BitsVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define EXPONENT_BITS 0x7f800000u
#define EXPONENT_ONE 0x00800000u
#define SIGN_BIT 0x80000000u
#endif
#define LANES (sizeof (RealVec) / sizeof (nn_real))

G_DEFINE_BOXED_TYPE (NnMatrix, nn_matrix, nn_matrix_copy, nn_matrix_free)

/**
 * nn_matrix_new:
 * @rows: number of rows
 * @cols: number of columns
 *
 * Allocates a zero-filled matrix. The size is checked for overflow.
 *
 * Returns: (transfer full): a new [struct@Nn.Matrix]
 */
NnMatrix *
nn_matrix_new (guint rows,
               guint cols)
{
  NnMatrix *m = g_new0 (NnMatrix, 1);

  m->rows = rows;
  m->cols = cols;
  /* g_new0 aborts on multiplication overflow instead of under-allocating. */
  m->data = g_new0 (nn_real, (gsize) rows * cols);
  return m;
}

/**
 * nn_matrix_new_from_data:
 * @rows: number of rows
 * @cols: number of columns
 * @data: (array): @rows × @cols values, row-major, copied
 *
 * Makes a matrix of a copy of @data.
 *
 * Returns: (transfer full): a new [struct@Nn.Matrix] holding a copy of @data
 */
NnMatrix *
nn_matrix_new_from_data (guint          rows,
                         guint          cols,
                         const nn_real *data)
{
  NnMatrix *m = nn_matrix_new (rows, cols);

  if (rows && cols)
    memcpy (m->data, data, nn_matrix_size (m) * sizeof (nn_real));
  return m;
}

/**
 * nn_matrix_copy:
 * @m: a #NnMatrix
 *
 * Copies @m, its data included.
 *
 * Returns: (transfer full): a deep copy of @m
 */
NnMatrix *
nn_matrix_copy (const NnMatrix *m)
{
  g_return_val_if_fail (m != NULL, NULL);

  return nn_matrix_new_from_data (m->rows, m->cols, m->data);
}

/**
 * nn_matrix_free:
 * @m: (nullable): a [struct@Nn.Matrix] made by [ctor@Nn.Matrix.new] or a copy
 *
 * Frees @m and its data.
 */
void
nn_matrix_free (NnMatrix *m)
{
  if (m == NULL)
    return;
  g_free (m->data);
  g_free (m);
}

/**
 * nn_matrix_view:
 * @data: values owned by the caller
 * @rows: number of rows
 * @cols: number of columns
 *
 * Makes a matrix that borrows @data, to be kept on the stack and never freed.
 *
 * Returns: a matrix borrowing @data, to be kept on the stack and never freed
 */
NnMatrix
nn_matrix_view (nn_real *data,
                guint    rows,
                guint    cols)
{
  NnMatrix v = { rows, cols, data };
  return v;
}

/**
 * nn_matrix_view_rows:
 * @m: a #NnMatrix
 * @first: first row of the view
 * @n_rows: number of rows of the view
 *
 * Makes a matrix that borrows consecutive rows of @m, to be kept on the stack
 * and never freed.
 *
 * Returns: a view of rows @first to @first + @n_rows - 1 of @m
 */
NnMatrix
nn_matrix_view_rows (const NnMatrix *m,
                     guint           first,
                     guint           n_rows)
{
  g_return_val_if_fail ((gsize) first + n_rows <= m->rows,
                        nn_matrix_view (m->data, 0, m->cols));

  return nn_matrix_view (m->data + (gsize) first * m->cols, n_rows, m->cols);
}

/**
 * nn_matrix_size:
 * @m: a #NnMatrix
 *
 * Counts the elements of @m.
 *
 * Returns: the number of elements, @rows × @cols
 */
gsize
nn_matrix_size (const NnMatrix *m)
{
  return (gsize) m->rows * m->cols;
}

/**
 * nn_matrix_same_shape:
 * @a: a #NnMatrix
 * @b: a #NnMatrix
 *
 * Compares the shapes of two matrices.
 *
 * Returns: whether @a and @b have the same number of rows and columns
 */
gboolean
nn_matrix_same_shape (const NnMatrix *a,
                      const NnMatrix *b)
{
  return a->rows == b->rows && a->cols == b->cols;
}

NN_SIMD_CLONES static void
fill_values (nn_real *data,
             gsize    n,
             nn_real  value)
{
  RealVec v;
  gsize   i = 0;

  for (gsize k = 0; k < LANES; k++) /* the bits of value, -0 and NaN too */
    v[k] = value;
  for (; i + LANES <= n; i += LANES)
    memcpy (data + i, &v, sizeof v);
  for (; i < n; i++)
    data[i] = value;
}

/**
 * nn_matrix_fill:
 * @m: a #NnMatrix
 * @value: the value for every element
 *
 * Sets every element of @m to @value.
 */
void
nn_matrix_fill (NnMatrix *m,
                nn_real   value)
{
  fill_values (m->data, nn_matrix_size (m), value);
}

/**
 * nn_matrix_copy_into:
 * @src: a #NnMatrix
 * @dest: a [struct@Nn.Matrix] of the same shape
 *
 * Copies the values of @src into @dest.
 */
void
nn_matrix_copy_into (const NnMatrix *src,
                     NnMatrix       *dest)
{
  g_return_if_fail (nn_matrix_same_shape (src, dest));

  if (src->data != dest->data && nn_matrix_size (src) > 0)
    memcpy (dest->data, src->data, nn_matrix_size (src) * sizeof (nn_real));
}

/**
 * nn_matrix_gather_rows:
 * @src: a #NnMatrix
 * @indices: (array length=n_indices): rows of @src to take, in order
 * @n_indices: number of rows to take
 * @dest: a matrix with @n_indices rows and as many columns as @src
 *
 * Copies the given rows of @src, in the given order, into @dest. This is how
 * a shuffled mini-batch is assembled without allocating.
 */
void
nn_matrix_gather_rows (const NnMatrix *src,
                       const guint    *indices,
                       guint           n_indices,
                       NnMatrix       *dest)
{
  g_return_if_fail (dest->rows == n_indices && dest->cols == src->cols);

  for (guint i = 0; i < n_indices; i++)
    {
      g_return_if_fail (indices[i] < src->rows);
      memcpy (dest->data + (gsize) i * dest->cols,
              src->data + (gsize) indices[i] * src->cols,
              src->cols * sizeof (nn_real));
    }
}

/* A NaN or an infinity has every exponent bit set, and only then does
 * adding the lowest of them carry into the sign bit: the OR of those sums
 * answers for the whole matrix, two of them so that one block need not wait
 * for the one before. An addition, not a comparison, which GCC makes one
 * element at a time where the vectors are wider than its registers. */
NN_SIMD_CLONES static gboolean
values_are_finite (const nn_real *data,
                   gsize          n)
{
  BitsVec bad0 = { 0 }, bad1 = { 0 };
  gsize   i = 0;

  for (; i + 2 * LANES <= n; i += 2 * LANES)
    {
      BitsVec v0, v1;

      memcpy (&v0, data + i, sizeof v0);
      memcpy (&v1, data + i + LANES, sizeof v1);
      bad0 |= (v0 & EXPONENT_BITS) + EXPONENT_ONE;
      bad1 |= (v1 & EXPONENT_BITS) + EXPONENT_ONE;
    }
  bad0 |= bad1;
  for (gsize k = 0; k < LANES; k++)
    if (bad0[k] & SIGN_BIT)
      return FALSE;
  for (; i < n; i++)
    if (!isfinite (data[i]))
      return FALSE;
  return TRUE;
}

/**
 * nn_matrix_is_finite:
 * @m: a #NnMatrix
 *
 * Fast enough to run after every training step: no branch per element.
 *
 * Returns: %TRUE if no element is NaN or infinite
 */
gboolean
nn_matrix_is_finite (const NnMatrix *m)
{
  return values_are_finite (m->data, nn_matrix_size (m));
}

/* dest[i] += src[i] for i < n. */
G_ALWAYS_INLINE static inline void
add_into (nn_real       *dest,
          const nn_real *src,
          gsize          n)
{
  gsize i = 0;

  for (; i + LANES <= n; i += LANES)
    {
      RealVec d, s;

      memcpy (&d, dest + i, sizeof d);
      memcpy (&s, src + i, sizeof s);
      d += s;
      memcpy (dest + i, &d, sizeof d);
    }
  for (; i < n; i++)
    dest[i] += src[i];
}

/**
 * nn_matrix_set_n_threads:
 * @n_threads: the number of threads, at least 1
 *
 * Sets how many threads the matrix products of this process use: those of
 * oneDNN (its OpenMP threads) where the build takes its products from
 * oneDNN, and the BLAS's own (`openblas_set_num_threads()`), which split
 * each product large enough between them, small ones staying on one
 * thread. By default each decides (`OMP_NUM_THREADS`,
 * `OPENBLAS_NUM_THREADS`, else one per core).
 *
 * An engine that splits a product may add its terms in another order, so
 * results can differ in the last bits between thread counts. Call it
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
  if (nn_matmul_onednn_gemm (trans_a, trans_b, alpha, a, b, bias, beta, c))
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

/* The longest period of a row repeated along a whole matrix taken flat
 * that add_to_rows() builds on the stack. */
#define MAX_PERIOD 1024

/* Adds @v (cols values) to every row of @m. The row repeated along the
 * matrix taken flat has a period of lcm (cols, LANES) values, a whole
 * number of vectors: the matrix goes through in vectors with no loop per
 * row, whose cost in narrow rows is more than the arithmetic's. */
NN_SIMD_CLONES static void
add_to_rows (NnMatrix      *m,
             const nn_real *v)
{
  guint cols = m->cols, g = cols, h = LANES;
  gsize n = nn_matrix_size (m), period;

  if (n == 0)
    return;
  while (h != 0)
    {
      guint t = g % h;

      g = h;
      h = t;
    }
  period = (gsize) cols / g * LANES;
  if (period <= MAX_PERIOD)
    {
      nn_real pattern[MAX_PERIOD];
      gsize   i = 0, j = 0;

      for (gsize k = 0, c = 0; k < period; k++, c = c + 1 == cols ? 0 : c + 1)
        pattern[k] = v[c];
      for (; i + LANES <= n; i += LANES)
        {
          RealVec x, y;

          memcpy (&x, m->data + i, sizeof x);
          memcpy (&y, pattern + j, sizeof y);
          x += y;
          memcpy (m->data + i, &x, sizeof x);
          j = j + LANES == period ? 0 : j + LANES;
        }
      /* j + (n - i) < period: j is a whole number of vectors below it. */
      for (; i < n; i++, j++)
        m->data[i] += pattern[j];
      return;
    }
  for (guint r = 0; r < m->rows; r++)
    add_into (m->data + (gsize) r * cols, v, cols);
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
      add_to_rows (z, bias->data);
      return;
    }
  if (!engine_gemm (FALSE, TRUE, 1, x, weights, bias->data, 0, z))
    add_to_rows (z, bias->data);
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

/**
 * nn_matrix_add_row_vector:
 * @m: a #NnMatrix
 * @v: a 1 × @m->cols matrix
 *
 * Adds @v to every row of @m (the bias of a layer).
 */
void
nn_matrix_add_row_vector (NnMatrix       *m,
                          const NnMatrix *v)
{
  g_return_if_fail (v->rows == 1 && v->cols == m->cols);

  add_to_rows (m, v->data);
}

/* Writes to @out the sums of columns @col to @col + @n_vecs × LANES - 1 of
 * @m (at most to its last), each summed top to bottom in a lane of one of
 * @n_vecs (1, 2 or 4) accumulators, independent chains. Lanes past the end
 * of a row read the next row and are discarded; the last rows, where that
 * would read past the matrix, come from a padded copy. Returns the number
 * of columns done. The vectors are separate variables, not an array, which
 * the compiler would keep in memory. */
G_ALWAYS_INLINE static inline guint
sum_columns (const NnMatrix *m,
             guint           col,
             guint           n_vecs,
             NnMatrix       *out)
{
  const gsize n = nn_matrix_size (m);
  const guint width = MIN (n_vecs * (guint) LANES, m->cols - col);
  RealVec     acc0 = { 0 }, acc1 = { 0 }, acc2 = { 0 }, acc3 = { 0 };
  nn_real     sums[4 * LANES];

  for (guint r = 0; r < m->rows; r++)
    {
      const nn_real *row = m->data + (gsize) r * m->cols + col;
      nn_real        padded[4 * LANES];
      RealVec        x;

      if ((gsize) (row - m->data) + n_vecs * LANES > n)
        {
          memset (padded, 0, sizeof padded);
          memcpy (padded, row, width * sizeof (nn_real));
          row = padded;
        }
      memcpy (&x, row, sizeof x);
      acc0 += x;
      if (n_vecs > 1)
        {
          memcpy (&x, row + LANES, sizeof x);
          acc1 += x;
        }
      if (n_vecs > 2)
        {
          memcpy (&x, row + 2 * LANES, sizeof x);
          acc2 += x;
          memcpy (&x, row + 3 * LANES, sizeof x);
          acc3 += x;
        }
    }
  memcpy (sums, &acc0, sizeof acc0);
  memcpy (sums + LANES, &acc1, sizeof acc1);
  memcpy (sums + 2 * LANES, &acc2, sizeof acc2);
  memcpy (sums + 3 * LANES, &acc3, sizeof acc3);
  memcpy (out->data + col, sums, width * sizeof (nn_real));
  return width;
}

/* Several columns at once keep the adder busy. */
NN_SIMD_CLONES static void
sum_rows_into (const NnMatrix *m,
               NnMatrix       *out)
{
  guint cols = m->cols, col = 0;

  if (m->rows == 0)
    {
      fill_values (out->data, cols, 0);
      return;
    }
  while (cols - col >= 4 * LANES)
    col += sum_columns (m, col, 4, out);
  while (cols - col > LANES)
    col += sum_columns (m, col, 2, out);
  if (col < cols)
    sum_columns (m, col, 1, out);
}

/**
 * nn_matrix_sum_rows:
 * @m: a #NnMatrix
 * @out: a 1 × @m->cols matrix, overwritten with the column sums of @m
 *
 * Writes the sum of the rows of @m, a 1 × cols matrix, into @out.
 */
void
nn_matrix_sum_rows (const NnMatrix *m,
                    NnMatrix       *out)
{
  g_return_if_fail (out->rows == 1 && out->cols == m->cols);

  sum_rows_into (m, out);
}

/* y[i] += alpha x[i] for i < n. */
NN_SIMD_CLONES static void
add_scaled (nn_real        alpha,
            const nn_real *x,
            nn_real       *y,
            gsize          n)
{
  gsize i = 0;

  for (; i + LANES <= n; i += LANES)
    {
      RealVec xv, yv;

      memcpy (&xv, x + i, sizeof xv);
      memcpy (&yv, y + i, sizeof yv);
      yv += alpha * xv;
      memcpy (y + i, &yv, sizeof yv);
    }
  for (; i < n; i++)
    y[i] += alpha * x[i];
}

/**
 * nn_matrix_axpy:
 * @alpha: scale of @x
 * @x: a #NnMatrix
 * @y: a [struct@Nn.Matrix] of the same shape, updated to @alpha × @x + @y
 *
 * Adds @alpha × @x to @y, element by element, in place.
 */
void
nn_matrix_axpy (nn_real         alpha,
                const NnMatrix *x,
                NnMatrix       *y)
{
  g_return_if_fail (nn_matrix_same_shape (x, y));

  add_scaled (alpha, x->data, y->data, nn_matrix_size (x));
}

/* out[i] = scale (a[i] - b[i]) for i < n. */
NN_SIMD_CLONES static void
scaled_difference (const nn_real *a,
                   const nn_real *b,
                   nn_real        scale,
                   nn_real       *out,
                   gsize          n)
{
  gsize i = 0;

  for (; i + LANES <= n; i += LANES)
    {
      RealVec av, bv;

      memcpy (&av, a + i, sizeof av);
      memcpy (&bv, b + i, sizeof bv);
      av = scale * (av - bv);
      memcpy (out + i, &av, sizeof av);
    }
  for (; i < n; i++)
    out[i] = scale * (a[i] - b[i]);
}

/**
 * nn_matrix_scaled_difference:
 * @a: a matrix
 * @b: a matrix of the same shape
 * @scale: the factor
 * @out: the result, written in place, same shape (may be @a or @b)
 *
 * @out = @scale × (@a − @b), element by element: the output-layer gradient
 * of [method@Nn.Loss.output_gradient], for one.
 */
void
nn_matrix_scaled_difference (const NnMatrix *a,
                             const NnMatrix *b,
                             nn_real         scale,
                             NnMatrix       *out)
{
  g_return_if_fail (nn_matrix_same_shape (a, b) && nn_matrix_same_shape (a, out));

  scaled_difference (a->data, b->data, scale, out->data, nn_matrix_size (a));
}
