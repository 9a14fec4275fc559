/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include "nn-matrix.h"
#include "nn-matrix-private.h"
#include "nn-finite-private.h"
#include "nn-simd.h"

/* NN_SIMD_BYTES of values at a time through the GCC and Clang vector
 * extensions, which an -O2 build uses where it leaves a loop of unknown
 * length scalar; NN_SIMD_CLONES compiles the static functions with these
 * loops for AVX-512 and AVX2 as well, and the public ones call them.
 * Element by element, so sums are those of the plain loop. */
typedef nn_real RealVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
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

/* Two sums of the bits, so that one block need not wait for the one
 * before. */
NN_SIMD_CLONES static gboolean
values_are_finite (const nn_real *data,
                   gsize          n)
{
  NnFiniteBits bad0 = { 0 }, bad1 = { 0 };
  gsize        i = 0;

  for (; i + 2 * LANES <= n; i += 2 * LANES)
    {
      nn_finite_bits_add (&bad0, data + i);
      nn_finite_bits_add (&bad1, data + i + LANES);
    }
  bad0 |= bad1;
  if (!nn_finite_bits_ok (&bad0))
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

/* Raises each lane of @top to the bits without the sign of the
 * NN_SIMD_BYTES of values at @v where those are above it. Through
 * pointers, as vectors wider than the baseline's registers cannot be
 * passed by value without changing the ABI. */
G_ALWAYS_INLINE static inline void
magnitude_max_add (NnFiniteBits *top,
                   const void   *v)
{
  NnFiniteBits bits, above;

  memcpy (&bits, v, sizeof bits);
  bits &= ~NN_FINITE_SIGN_BIT;
  above = (NnFiniteBits) (bits > *top);
  *top = (bits & above) | (*top & ~above);
}

/* The largest |x| of @data, on the bits without the sign, which order as
 * the magnitudes do, infinity and NaN above every finite value. Four
 * maxima in registers, so that one block need not wait for the one
 * before. */
NN_SIMD_CLONES static nn_real
values_max_abs (const nn_real *data,
                gsize          n)
{
  NnFiniteBits       t0 = { 0 }, t1 = { 0 }, t2 = { 0 }, t3 = { 0 };
  gsize              i = 0;
  nn_real            result;
  __typeof__ (t0[0]) best = 0;

  for (; i + 4 * LANES <= n; i += 4 * LANES)
    {
      magnitude_max_add (&t0, data + i);
      magnitude_max_add (&t1, data + i + LANES);
      magnitude_max_add (&t2, data + i + 2 * LANES);
      magnitude_max_add (&t3, data + i + 3 * LANES);
    }
  magnitude_max_add (&t0, &t1);
  magnitude_max_add (&t2, &t3);
  magnitude_max_add (&t0, &t2);
  for (gsize k = 0; k < LANES; k++)
    best = MAX (best, t0[k]);
  for (; i < n; i++)
    {
      __typeof__ (best) v;

      memcpy (&v, data + i, sizeof v);
      best = MAX (best, v & ~NN_FINITE_SIGN_BIT);
    }
  if (best >= NN_FINITE_EXPONENT_BITS)
    return INFINITY;
  memcpy (&result, &best, sizeof result);
  return result;
}

/* The largest magnitude of the values of @m, 0 for none, infinity where
 * one is NaN or infinite. */
nn_real
nn_matrix_max_abs (const NnMatrix *m)
{
  return values_max_abs (m->data, nn_matrix_size (m));
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
