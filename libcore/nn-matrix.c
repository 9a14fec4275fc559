/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <cblas.h>

#include "nn-matrix.h"

G_DEFINE_BOXED_TYPE (NnMatrix, nn_matrix, nn_matrix_copy, nn_matrix_free)

/**
 * nn_matrix_new:
 * @rows: number of rows
 * @cols: number of columns
 *
 * Allocates a zero-filled matrix. The size is checked for overflow.
 *
 * Returns: (transfer full): a new #NnMatrix
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
 * Returns: (transfer full): a new #NnMatrix holding a copy of @data
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
 * @m: (nullable): a #NnMatrix made by nn_matrix_new() or a copy
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
 * Returns: whether @a and @b have the same number of rows and columns
 */
gboolean
nn_matrix_same_shape (const NnMatrix *a,
                      const NnMatrix *b)
{
  return a->rows == b->rows && a->cols == b->cols;
}

/**
 * nn_matrix_fill:
 * @m: a #NnMatrix
 * @value: the value for every element
 */
void
nn_matrix_fill (NnMatrix *m,
                nn_real   value)
{
  gsize n = nn_matrix_size (m);

  for (gsize i = 0; i < n; i++)
    m->data[i] = value;
}

/**
 * nn_matrix_copy_into:
 * @src: a #NnMatrix
 * @dest: a #NnMatrix of the same shape
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

typedef nn_real FiniteVec __attribute__ ((vector_size (16)));
#define FINITE_LANES (sizeof (FiniteVec) / sizeof (nn_real))

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
  gsize n = nn_matrix_size (m);
  gsize i = 0;
  FiniteVec acc = { 0 };

  /* x - x is 0 for a finite x and NaN for NaN or an infinity, and a sum
   * with a NaN in it stays NaN: one vector sum tells for the whole
   * matrix. */
  for (; i + FINITE_LANES <= n; i += FINITE_LANES)
    {
      FiniteVec v;

      memcpy (&v, m->data + i, sizeof v);
      acc += v - v;
    }
  for (gsize k = 0; k < FINITE_LANES; k++)
    if (acc[k] != 0)
      return FALSE;
  for (; i < n; i++)
    if (!isfinite (m->data[i]))
      return FALSE;
  return TRUE;
}

/* Sixteen bytes of values at a time through the GCC and Clang vector
 * extensions, which an -O2 build uses where it leaves a loop of unknown
 * length scalar. Element by element, so sums are those of the plain loop. */
typedef nn_real RealVec __attribute__ ((vector_size (16)));
#define LANES (sizeof (RealVec) / sizeof (nn_real))

/* dest[i] += src[i] for i < n. */
static inline void
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

/* The thread count of the last nn_matrix_set_n_threads(), for a BLAS
 * that cannot be asked; 0 until set. */
static guint n_threads_set;

/**
 * nn_matrix_set_n_threads:
 * @n_threads: the number of threads, at least 1
 *
 * Sets how many threads the matrix products of this process use: the
 * BLAS's own threads (`openblas_set_num_threads()`), which split each
 * product large enough between them, small ones staying on one thread. By
 * default the BLAS decides (`OPENBLAS_NUM_THREADS`, else one per core).
 *
 * A BLAS that splits a product may add its terms in another order, so
 * results can differ in the last bits between thread counts. Call it
 * before training, not while another thread computes a product.
 */
void
nn_matrix_set_n_threads (guint n_threads)
{
  g_return_if_fail (n_threads >= 1 && n_threads <= G_MAXINT);

  g_atomic_int_set ((gint *) &n_threads_set, (gint) n_threads);
#ifdef OPENBLAS_VERSION
  openblas_set_num_threads ((int) n_threads);
#endif
}

/**
 * nn_matrix_get_n_threads:
 *
 * Returns: the number of threads of the matrix products: the BLAS's, or
 *   what nn_matrix_set_n_threads() last set where the BLAS cannot tell
 */
guint
nn_matrix_get_n_threads (void)
{
#ifdef OPENBLAS_VERSION
  return (guint) MAX (openblas_get_num_threads (), 1);
#else
  return MAX ((guint) g_atomic_int_get ((gint *) &n_threads_set), 1);
#endif
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
 * The one general matrix product of the library, through CBLAS, on the
 * threads nn_matrix_set_n_threads() sets.
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

#if NN_REAL_IS_DOUBLE
  cblas_dgemm (CblasRowMajor,
#else
  cblas_sgemm (CblasRowMajor,
#endif
               trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans,
               (int) m, (int) n, (int) k,
               alpha, a->data, (int) a->cols,
               b->data, (int) b->cols,
               beta, c->data, (int) c->cols);
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

  for (guint r = 0; r < m->rows; r++)
    add_into (m->data + (gsize) r * m->cols, v->data, m->cols);
}

/**
 * nn_matrix_sum_rows:
 * @m: a #NnMatrix
 * @out: a 1 × @m->cols matrix, overwritten with the column sums of @m
 */
void
nn_matrix_sum_rows (const NnMatrix *m,
                    NnMatrix       *out)
{
  g_return_if_fail (out->rows == 1 && out->cols == m->cols);

  nn_matrix_fill (out, 0);
  for (guint r = 0; r < m->rows; r++)
    add_into (out->data, m->data + (gsize) r * m->cols, m->cols);
}

/**
 * nn_matrix_axpy:
 * @alpha: scale of @x
 * @x: a #NnMatrix
 * @y: a #NnMatrix of the same shape, updated to @alpha × @x + @y
 */
void
nn_matrix_axpy (nn_real         alpha,
                const NnMatrix *x,
                NnMatrix       *y)
{
  gsize n = nn_matrix_size (x);

  g_return_if_fail (nn_matrix_same_shape (x, y));

  for (gsize i = 0; i < n; i++)
    y->data[i] += alpha * x->data[i];
}
