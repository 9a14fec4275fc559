/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdatomic.h>
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

/* ---- matrix products, split between threads ----------------------------
 *
 * A product large enough is split into blocks of rows (or of columns) of C,
 * two per thread, each a single-threaded BLAS call: for the skinny products
 * of a training step this scales better than the BLAS's own threads. Every
 * thread, the caller included, claims blocks until none is left, so a
 * worker that the system has not scheduled delays nothing: the others take
 * its blocks. The workers are started once and then spin briefly between
 * products (a training step runs them back to back), then sleep; handing
 * out a product allocates nothing. */

/* Fewer multiply-adds than this are not worth waking a thread for. */
#define SPLIT_MIN_MACS (1u << 18)
/* Waits of a worker between products before it sleeps: about 50 µs. */
#define SPIN_LIMIT (1u << 13)
#define MAX_THREADS 64

typedef struct {
  gboolean       trans_a;
  gboolean       trans_b;
  guint          m, n, k;
  nn_real        alpha;
  nn_real        beta;
  const nn_real *a;
  const nn_real *b;
  nn_real       *c;
  guint          lda, ldb, ldc;
} GemmJob;

typedef struct {
  GMutex    lock;          /* held while splitting a product or resizing */
  GMutex    sleep_lock;
  GCond     wake;
  guint     n_threads;     /* 0 until first set: 1 */
  int       blas_threads;  /* the BLAS's own threads before we set 1; 0 unknown */
  GThread  *workers[MAX_THREADS];
  GemmJob   job;
  gint      generation;    /* one more for each product handed out */
  gint      start;         /* the generation new workers start from */
  /* generation << 32 | blocks << 16 | next block to claim: one word, so
   * that a worker late for one product can never claim a block of the
   * next one with the count of the last. */
  _Atomic guint64 claims;
  gint      done;          /* blocks finished */
  gint      quit;
  guint     sleepers;      /* under sleep_lock */
} GemmPool;

static GemmPool pool;

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

static void
blas_gemm (const GemmJob *j)
{
#if NN_REAL_IS_DOUBLE
  cblas_dgemm (CblasRowMajor,
#else
  cblas_sgemm (CblasRowMajor,
#endif
               j->trans_a ? CblasTrans : CblasNoTrans,
               j->trans_b ? CblasTrans : CblasNoTrans,
               (int) j->m, (int) j->n, (int) j->k,
               j->alpha, j->a, (int) j->lda, j->b, (int) j->ldb,
               j->beta, j->c, (int) j->ldc);
}

/* Block @part of @parts of @job: rows of C if it has as many rows as
 * columns, else columns, in multiples of the BLAS kernels' widths. */
static GemmJob
gemm_part (const GemmJob *job,
           guint          part,
           guint          parts)
{
  GemmJob p = *job;
  gboolean by_rows = job->m >= job->n;
  guint total = by_rows ? job->m : job->n;
  guint grain = by_rows ? 8 : 16;
  guint step = ((total + parts - 1) / parts + grain - 1) / grain * grain;
  guint first = MIN (part * step, total);
  guint count = MIN (step, total - first);

  if (by_rows)
    {
      p.m = count;
      p.a = job->trans_a ? job->a + first : job->a + (gsize) first * job->lda;
      p.c = job->c + (gsize) first * job->ldc;
    }
  else
    {
      p.n = count;
      p.b = job->trans_b ? job->b + (gsize) first * job->ldb : job->b + first;
      p.c = job->c + first;
    }
  return p;
}

/* Claims and runs blocks of the product of @generation until none is left. */
static void
run_blocks (guint32 generation)
{
  guint64 state = atomic_load (&pool.claims);

  for (;;)
    {
      guint blocks = (state >> 16) & 0xffff, next = state & 0xffff;
      GemmJob part;

      if ((guint32) (state >> 32) != generation || next >= blocks)
        return;
      if (!atomic_compare_exchange_weak (&pool.claims, &state, state + 1))
        continue;
      /* The product stays until its every block is done, this one too. */
      part = gemm_part (&pool.job, next, blocks);
      if (part.m > 0 && part.n > 0)
        blas_gemm (&part);
      g_atomic_int_inc (&pool.done);
      state = atomic_load (&pool.claims);
    }
}

static gpointer
pool_worker (gpointer data)
{
  gint seen = g_atomic_int_get (&pool.start);

  for (;;)
    {
      guint spins = 0;
      gint generation;

      while ((generation = g_atomic_int_get (&pool.generation)) == seen)
        {
          if (++spins < SPIN_LIMIT)
            {
              cpu_relax ();
              continue;
            }
          g_mutex_lock (&pool.sleep_lock);
          pool.sleepers++;
          while (g_atomic_int_get (&pool.generation) == seen)
            g_cond_wait (&pool.wake, &pool.sleep_lock);
          pool.sleepers--;
          g_mutex_unlock (&pool.sleep_lock);
        }
      seen = generation;
      if (g_atomic_int_get (&pool.quit))
        return NULL;
      run_blocks ((guint32) generation);
    }
}

/* Hands out a new generation: a product, or the order to quit. */
static void
pool_publish (void)
{
  g_atomic_int_inc (&pool.generation);
  g_mutex_lock (&pool.sleep_lock);
  if (pool.sleepers > 0)
    g_cond_broadcast (&pool.wake);
  g_mutex_unlock (&pool.sleep_lock);
}

/* With pool.lock held. */
static void
pool_stop_workers (void)
{
  guint n = MAX (pool.n_threads, 1);

  g_atomic_int_set (&pool.quit, 1);
  pool_publish ();
  for (guint t = 1; t < n; t++)
    g_clear_pointer (&pool.workers[t], g_thread_join);
  g_atomic_int_set (&pool.quit, 0);
}

static void
set_blas_threads (int n)
{
#ifdef OPENBLAS_VERSION
  openblas_set_num_threads (n);
#endif
}

/**
 * nn_matrix_set_n_threads:
 * @n_threads: the number of threads, from 1 to 64
 *
 * Sets how many threads the matrix products of this process use. With more
 * than one, each product of at least 2^18 multiply-adds is split into
 * blocks of rows or columns, two per thread, each a single-threaded BLAS
 * call (the BLAS's own threads are then set to one); smaller products run
 * on the calling thread. With one, which is the default, every product is
 * a plain BLAS call with the BLAS's own threading (`OPENBLAS_NUM_THREADS`).
 *
 * Each element is the same sum whatever the number of threads, but the
 * BLAS may add a block's terms in another order than the whole product's,
 * so results can differ in the last bits, as with the BLAS's own threads.
 * Call it before training, not while another thread computes a product.
 */
void
nn_matrix_set_n_threads (guint n_threads)
{
  g_return_if_fail (n_threads >= 1 && n_threads <= MAX_THREADS);

  g_mutex_lock (&pool.lock);
  if (n_threads != MAX (pool.n_threads, 1))
    {
      pool_stop_workers ();
#ifdef OPENBLAS_VERSION
      if (n_threads > 1 && pool.blas_threads == 0)
        pool.blas_threads = openblas_get_num_threads ();
#endif
      if (n_threads > 1)
        set_blas_threads (1);
      else if (pool.blas_threads > 0)
        {
          set_blas_threads (pool.blas_threads);
          pool.blas_threads = 0;
        }
      pool.n_threads = n_threads;
      /* Not the generation a worker would find when it starts: a product
       * may be handed out before then. */
      g_atomic_int_set (&pool.start, g_atomic_int_get (&pool.generation));
      for (guint t = 1; t < n_threads; t++)
        pool.workers[t] = g_thread_new ("nn-gemm", pool_worker, NULL);
    }
  g_mutex_unlock (&pool.lock);
}

/**
 * nn_matrix_get_n_threads:
 *
 * Returns: the number of threads of the matrix products, as set by
 *   nn_matrix_set_n_threads()
 */
guint
nn_matrix_get_n_threads (void)
{
  return MAX (g_atomic_int_get ((gint *) &pool.n_threads), 1);
}

/* Splits @job between the pool's threads, the caller among them, if the
 * pool is there and free; else runs it here. */
static void
run_gemm (const GemmJob *job)
{
  guint n_threads = g_atomic_int_get ((gint *) &pool.n_threads);
  guint spins = 0, blocks;
  guint32 generation;

  if (n_threads <= 1 || (double) job->m * job->n * job->k < SPLIT_MIN_MACS ||
      MAX (job->m, job->n) < 32 || !g_mutex_trylock (&pool.lock))
    {
      blas_gemm (job);
      return;
    }

  blocks = MIN (2 * n_threads, MAX (job->m, job->n) / 16);
  generation = (guint32) g_atomic_int_get (&pool.generation) + 1;
  pool.job = *job;
  g_atomic_int_set (&pool.done, 0);
  atomic_store (&pool.claims, (guint64) generation << 32 | (guint64) blocks << 16);
  pool_publish ();
  run_blocks (generation);
  while (g_atomic_int_get (&pool.done) < (gint) blocks)
    {
      if (++spins < SPIN_LIMIT)
        cpu_relax ();
      else
        g_thread_yield ();
    }
  g_mutex_unlock (&pool.lock);
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
 * The one general matrix product of the library, through CBLAS, on as many
 * threads as nn_matrix_set_n_threads() allows.
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
  GemmJob job;

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

  job.trans_a = trans_a;
  job.trans_b = trans_b;
  job.m = m;
  job.n = n;
  job.k = k;
  job.alpha = alpha;
  job.beta = beta;
  job.a = a->data;
  job.b = b->data;
  job.c = c->data;
  job.lda = a->cols;
  job.ldb = b->cols;
  job.ldc = c->cols;
  run_gemm (&job);
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
