/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <time.h>
#include <gio/gio.h>
#include <oneapi/dnnl/dnnl.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86_BF16 1
#endif

#include "nn-matmul-private.h"
#include "nn-cpu-distance-private.h"
#include "nn-cpu-load-private.h"
#include "nn-matmul-choice-private.h"
#include "nn-matmul-pool-private.h"

#if NN_REAL_IS_DOUBLE
#error "oneDNN has no double matmul: a double build takes its products from the BLAS"
#endif

/* The OpenMP runtime oneDNN runs its threads on (libgomp in Debian). */
extern void omp_set_num_threads (int n);
extern int  omp_get_max_threads (void);

/* A product as oneDNN's matmul primitive sees it: the shapes and strides
 * of the operands, the scales, whether there is a bias and the function
 * applied to the result. Every primitive runs on one thread (see
 * n_threads_set). One primitive a key, made the first time, reused for
 * every product after. */
typedef struct
{
  gint64   m, n, k, lda, ldb, ldc;
  gboolean trans_a, trans_b, bias, bf16;
  float    alpha, beta;
  gint     fn; /* NnElementwise */
  float    fn_alpha;
} ProductKey;

/* The most primitives a thread keeps. */
#define MAX_PRODUCTS 256

/* The ways a product runs: whole on one thread (SPLIT_NONE), or shared
 * between threads in chunks of rows of C, of columns of C written in
 * place, or of columns each made in a buffer of the thread's own and
 * copied into C (oneDNN 2.6 takes other kernels for a result whose rows
 * are not contiguous, which sum in another order). */
typedef enum {
  SPLIT_NONE,
  SPLIT_ROWS,
  SPLIT_COLUMNS,
  SPLIT_COLUMNS_DENSE,
  N_SPLITS
} Split;
G_STATIC_ASSERT (N_SPLITS <= NN_MATMUL_MAX_WAYS);

/* A primitive with memory objects of its own that take the operands'
 * data handles on each product, so that a product allocates nothing. */
typedef struct
{
  ProductKey       key;
  dnnl_primitive_t primitive;
  dnnl_memory_t    src, weights, bias, dst;

  /* The fastest of the ways that give one thread's bits in split_chunks
   * chunks (see find_exact_splits()); split_chunks is 0 until they are
   * found. */
  NnMatmulChoice split;
  guint          split_chunks;
} Product;

/* The primitives of one thread and its stream: primitives are shared by no
 * two threads, nor are the memory objects whose handles change each
 * product. */
typedef struct
{
  dnnl_stream_t stream;
  GHashTable   *products;
  guint16      *scratch; /* bf16 copies of the operands of a product */
  gsize         scratch_len;
  float        *dst; /* a chunk's result, see SPLIT_COLUMNS_DENSE */
  gsize         dst_len;
} ThreadProducts;

static dnnl_engine_t
get_engine (void)
{
  static gsize         once;
  static dnnl_engine_t engine;

  if (g_once_init_enter (&once))
    {
      if (dnnl_engine_create (&engine, dnnl_cpu, 0) != dnnl_success)
        engine = NULL;
      g_once_init_leave (&once, 1);
    }
  return engine;
}

static guint
product_key_hash (gconstpointer p)
{
  const ProductKey *k = p;

  return (guint) (k->m * 1000003 ^ k->n * 10007 ^ k->k * 101 ^ k->lda * 31 ^ k->ldb * 17 ^
                  k->ldc * 7 ^ (k->trans_a << 1) ^ (k->trans_b << 2) ^ (k->bias << 3) ^ (k->bf16 << 4) ^ (k->fn << 5));
}

static gboolean
product_key_equal (gconstpointer a,
                   gconstpointer b)
{
  const ProductKey *x = a, *y = b;

  return x->m == y->m && x->n == y->n && x->k == y->k && x->lda == y->lda &&
         x->ldb == y->ldb && x->ldc == y->ldc && x->trans_a == y->trans_a &&
         x->trans_b == y->trans_b && x->bias == y->bias && x->bf16 == y->bf16 &&
         x->fn == y->fn &&
         memcmp (&x->fn_alpha, &y->fn_alpha, sizeof x->fn_alpha) == 0 &&
         memcmp (&x->alpha, &y->alpha, sizeof x->alpha) == 0 &&
         memcmp (&x->beta, &y->beta, sizeof x->beta) == 0;
}

static void
product_free (gpointer p)
{
  Product *product = p;

  if (product->primitive != NULL)
    dnnl_primitive_destroy (product->primitive);
  if (product->src != NULL)
    dnnl_memory_destroy (product->src);
  if (product->weights != NULL)
    dnnl_memory_destroy (product->weights);
  if (product->bias != NULL)
    dnnl_memory_destroy (product->bias);
  if (product->dst != NULL)
    dnnl_memory_destroy (product->dst);
  g_free (product);
}

static void
thread_products_free (gpointer p)
{
  ThreadProducts *t = p;

  g_hash_table_unref (t->products);
  g_free (t->scratch);
  g_free (t->dst);
  if (t->stream != NULL)
    dnnl_stream_destroy (t->stream);
  g_free (t);
}

static GPrivate thread_products = G_PRIVATE_INIT (thread_products_free);

/* A rows × cols operand of @type in row-major memory whose rows are @ld
 * apart, or its transpose. */
static dnnl_status_t
init_desc (dnnl_memory_desc_t *md,
           dnnl_data_type_t    type,
           gint64              rows,
           gint64              cols,
           gint64              ld,
           gboolean            transposed)
{
  dnnl_dims_t dims = { rows, cols };
  dnnl_dims_t strides = { ld, 1 };

  if (transposed)
    {
      strides[0] = 1;
      strides[1] = ld;
    }
  return dnnl_memory_desc_init_by_strides (md, 2, dims, type, strides);
}

/* oneDNN's eltwise algorithm of an NnElementwise. */
static dnnl_alg_kind_t
eltwise_algorithm (NnElementwise fn)
{
  switch (fn)
    {
    case NN_ELEMENTWISE_RELU:
      return dnnl_eltwise_relu;
    case NN_ELEMENTWISE_LOGISTIC:
      return dnnl_eltwise_logistic;
    case NN_ELEMENTWISE_TANH:
      return dnnl_eltwise_tanh;
    case NN_ELEMENTWISE_NONE:
    default:
      return dnnl_alg_kind_undef;
    }
}

/* The attributes of @key: alpha as the output scale, beta as a sum
 * post-op (none when beta is 0, so that C is not read), then the function
 * as an eltwise post-op. */
static dnnl_status_t
make_attr (const ProductKey     *key,
           dnnl_primitive_attr_t attr)
{
  dnnl_post_ops_t post_ops = NULL;
  dnnl_status_t   s = dnnl_success;

  if (key->alpha != 1)
    s = dnnl_primitive_attr_set_output_scales (attr, 1, 0, &key->alpha);
  if (s == dnnl_success && (key->beta != 0 || key->fn != NN_ELEMENTWISE_NONE))
    {
      s = dnnl_post_ops_create (&post_ops);
      if (s == dnnl_success && key->beta != 0)
        s = dnnl_post_ops_append_sum (post_ops, key->beta);
      if (s == dnnl_success && key->fn != NN_ELEMENTWISE_NONE)
        s = dnnl_post_ops_append_eltwise (post_ops, 1, eltwise_algorithm (key->fn), key->fn_alpha,
                                          0);
      if (s == dnnl_success)
        s = dnnl_primitive_attr_set_post_ops (attr, post_ops);
      if (post_ops != NULL)
        dnnl_post_ops_destroy (post_ops);
    }
  return s;
}

/* The primitive and memory objects of @key. */
static dnnl_status_t
product_create (Product      *p,
                dnnl_engine_t engine)
{
  const ProductKey     *key = &p->key;
  dnnl_memory_desc_t    src_md, wei_md, bias_md, dst_md;
  dnnl_matmul_desc_t    desc;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_status_t         s;

  dnnl_data_type_t in_type = key->bf16 ? dnnl_bf16 : dnnl_f32;

  s = init_desc (&src_md, in_type, key->m, key->k, key->lda, key->trans_a);
  if (s == dnnl_success)
    s = init_desc (&wei_md, in_type, key->k, key->n, key->ldb, key->trans_b);
  if (s == dnnl_success)
    s = init_desc (&bias_md, dnnl_f32, 1, key->n, key->n, FALSE);
  if (s == dnnl_success)
    s = init_desc (&dst_md, dnnl_f32, key->m, key->n, key->ldc, FALSE);
  if (s == dnnl_success)
    s = dnnl_matmul_desc_init (&desc, &src_md, &wei_md, key->bias ? &bias_md : NULL, &dst_md);
  if (s == dnnl_success)
    s = dnnl_primitive_attr_create (&attr);
  if (s == dnnl_success)
    s = make_attr (key, attr);
  if (s == dnnl_success)
    s = dnnl_primitive_desc_create (&pd, &desc, attr, engine, NULL);
  if (s == dnnl_success)
    s = dnnl_primitive_create (&p->primitive, pd);
  if (s == dnnl_success)
    s = dnnl_memory_create (&p->src, &src_md, engine, DNNL_MEMORY_NONE);
  if (s == dnnl_success)
    s = dnnl_memory_create (&p->weights, &wei_md, engine, DNNL_MEMORY_NONE);
  if (s == dnnl_success && key->bias)
    s = dnnl_memory_create (&p->bias, &bias_md, engine, DNNL_MEMORY_NONE);
  if (s == dnnl_success)
    s = dnnl_memory_create (&p->dst, &dst_md, engine, DNNL_MEMORY_NONE);
  if (pd != NULL)
    dnnl_primitive_desc_destroy (pd);
  if (attr != NULL)
    dnnl_primitive_attr_destroy (attr);
  return s;
}

/* This thread's primitives and stream, made the first time; NULL where
 * oneDNN has no engine or stream. */
static ThreadProducts *
get_thread_products (void)
{
  ThreadProducts *t = g_private_get (&thread_products);
  dnnl_engine_t   engine = get_engine ();

  if (engine == NULL)
    return NULL;
  if (t == NULL)
    {
      t = g_new0 (ThreadProducts, 1);
      t->products = g_hash_table_new_full (product_key_hash, product_key_equal, NULL, product_free);
      if (dnnl_stream_create (&t->stream, engine, dnnl_stream_default_flags) != dnnl_success)
        t->stream = NULL;
      g_private_set (&thread_products, t);
    }
  return t->stream != NULL ? t : NULL;
}

/* The product of @key on this thread, made if new; NULL where oneDNN
 * cannot make it (remembered, so that it is asked once). */
static Product *
lookup_product (const ProductKey *key,
                dnnl_stream_t    *stream)
{
  ThreadProducts *t = get_thread_products ();
  dnnl_engine_t   engine = get_engine ();
  Product        *p;

  if (t == NULL)
    return NULL;
  *stream = t->stream;
  p = g_hash_table_lookup (t->products, key);
  if (p == NULL)
    {
      p = g_new0 (Product, 1);
      p->key = *key;
      if (product_create (p, engine) != dnnl_success)
        {
          product_free (p);
          p = g_new0 (Product, 1);
          p->key = *key;
        }
      /* Training asks for a few shapes over and over; a process that
       * asks for ever new ones (predictions of any number of rows) keeps
       * no more than MAX_PRODUCTS. */
      if (g_hash_table_size (t->products) >= MAX_PRODUCTS)
        g_hash_table_remove_all (t->products);
      g_hash_table_insert (t->products, &p->key, p);
    }
  return p->primitive != NULL ? p : NULL;
}

/* Products are shared between threads by nn-matmul-pool.c, each part a
 * product of oneDNN on one OpenMP thread: oneDNN's own OpenMP threads
 * either spin between products, and then collapse when another process
 * has a core, or sleep, and then take longer to wake than a product of a
 * batch takes. The count set, 0 until set (then OpenMP's default). */
static gint n_threads_set;

/* Below this many multiply-adds a product runs on one thread: 8 M, or 4 M
 * where the cores are near (nn-cpu-distance.c), measured the first time a
 * product of 4 M or more could be shared. A shared product's timing does
 * not see all it costs, so this is not left to the choice of ways. */
static guint64
min_threaded_product (void)
{
  static gsize min = 0;

  if (g_once_init_enter (&min))
    g_once_init_leave (&min, (gsize) nn_cpu_distance_min_shared_product (
                               nn_cpu_distance_round_trip_ns ()));
  return min;
}

/* A product is shared in this many chunks per thread, of rows or
 * columns of C. */
#define CHUNKS_PER_THREAD 2
#define MIN_CHUNK 16

static guint
get_n_threads (void)
{
  static gsize default_n; /* OpenMP's own count, before any is set */
  gint         n;

  if (g_once_init_enter (&default_n))
    g_once_init_leave (&default_n, (gsize) MAX (omp_get_max_threads (), 1));
  n = g_atomic_int_get (&n_threads_set);
  return n > 0 ? (guint) n : (guint) default_n;
}

void
nn_matmul_onednn_set_n_threads (guint n_threads)
{
  g_atomic_int_set (&n_threads_set, (gint) n_threads);
}

guint
nn_matmul_onednn_get_n_threads (void)
{
  return get_n_threads ();
}

#ifdef HAVE_X86_BF16
/* @n floats to bfloat16, rounded to nearest even as the CPU's own
 * conversion does, 32 at a time. Only called where the CPU has
 * AVX512-BF16 (nn_matmul_onednn_check_bf16()). */
__attribute__ ((target ("avx512f,avx512bf16"))) static void
to_bf16 (const float *src,
         guint16     *dst,
         gsize        n)
{
  gsize i = 0;

  for (; i + 32 <= n; i += 32)
    {
      __m512bh v = _mm512_cvtne2ps_pbh (_mm512_loadu_ps (src + i + 16), _mm512_loadu_ps (src + i));

      _mm512_storeu_si512 ((void *) (dst + i), (__m512i) v);
    }
  if (i < n)
    {
      __mmask16 lo = (__mmask16) ((1u << MIN (n - i, 16)) - 1);
      __mmask16 hi = (__mmask16) (n - i > 16 ? (1u << (n - i - 16)) - 1 : 0);
      __m512bh  v = _mm512_cvtne2ps_pbh (_mm512_maskz_loadu_ps (hi, src + i + 16),
                                         _mm512_maskz_loadu_ps (lo, src + i));

      _mm512_mask_storeu_epi16 (dst + i, (__mmask32) (((guint64) 1 << (n - i)) - 1), (__m512i) v);
    }
}
#endif

/* The bf16 copy of @m, in the scratch space of @t, from @offset on. */
static guint16 *
bf16_copy (ThreadProducts *t,
           const NnMatrix *m,
           gsize           offset)
{
#ifdef HAVE_X86_BF16
  to_bf16 (m->data, t->scratch + offset, nn_matrix_size (m));
#endif
  return t->scratch + offset;
}

/* oneDNN's threads are not used (see n_threads_set). */
static inline void
keep_openmp_to_one_thread (void)
{
  if (omp_get_max_threads () != 1)
    omp_set_num_threads (1);
}

/* The product of @key with the operands at these addresses, on this
 * thread. */
static gboolean
run_product (const ProductKey *key,
             const void       *a,
             const void       *b,
             const float      *bias,
             float            *c)
{
  Product        *p;
  dnnl_stream_t   stream = NULL;
  int             n_args = 0;
  dnnl_exec_arg_t args[4];

  keep_openmp_to_one_thread ();
  if ((p = lookup_product (key, &stream)) == NULL)
    return FALSE;
  dnnl_memory_set_data_handle (p->src, (void *) a);
  dnnl_memory_set_data_handle (p->weights, (void *) b);
  dnnl_memory_set_data_handle (p->dst, c);
  args[n_args++] = (dnnl_exec_arg_t){ DNNL_ARG_SRC, p->src };
  args[n_args++] = (dnnl_exec_arg_t){ DNNL_ARG_WEIGHTS, p->weights };
  args[n_args++] = (dnnl_exec_arg_t){ DNNL_ARG_DST, p->dst };
  if (bias != NULL)
    {
      dnnl_memory_set_data_handle (p->bias, (void *) bias);
      args[n_args++] = (dnnl_exec_arg_t){ DNNL_ARG_BIAS, p->bias };
    }
  if (dnnl_primitive_execute (p->primitive, stream, n_args, args) != dnnl_success)
    return FALSE;
  dnnl_stream_wait (stream);
  return TRUE;
}

/* A product shared by rows or by columns of C: chunk i takes rows
 * [first, first + size) of C and of op(A) with the whole of op(B), or
 * those columns of C, of op(B) and of the bias with the whole of op(A).
 * Every chunk reads one operand whole: C is split the way that makes it
 * the smaller one, where that way gives one thread's bits. */
typedef struct
{
  ProductKey   key;
  const char  *a, *b;
  gsize        elem; /* bytes of an operand's element */
  const float *bias;
  float       *c;
  Split        split;
  guint        chunk_size;
  gint         failed;
} SharedProduct;

/* @rows rows of @cols floats from @from, rows @from_ld apart, to @to,
 * rows @to_ld apart. */
static void
copy_rows (float       *to,
           gint64       to_ld,
           const float *from,
           gint64       from_ld,
           gint64       rows,
           gint64       cols)
{
  for (gint64 i = 0; i < rows; i++)
    memcpy (to + i * to_ld, from + i * from_ld, (gsize) cols * sizeof (float));
}

static void
run_chunk (guint    chunk,
           gpointer data)
{
  SharedProduct *s = data;
  ProductKey     key = s->key;
  gint64         first = (gint64) chunk * s->chunk_size;
  gint64         whole = s->split == SPLIT_ROWS ? s->key.m : s->key.n;
  /* The last chunk takes what is left. */
  gint64       size = first + 2 * (gint64) s->chunk_size > whole ? whole - first : s->chunk_size;
  const char  *a = s->a, *b = s->b;
  const float *bias = s->bias;
  float       *c = s->c, *dst = NULL;
  gboolean     ok;

  if (s->split == SPLIT_ROWS)
    {
      key.m = size;
      /* op(A)'s rows are A's rows, or its columns where transposed. */
      a += (gsize) (key.trans_a ? first : first * key.lda) * s->elem;
      c += first * key.ldc;
    }
  else
    {
      key.n = size;
      /* op(B)'s columns are B's columns, or its rows where transposed. */
      b += (gsize) (key.trans_b ? first * key.ldb : first) * s->elem;
      c += first;
      if (bias != NULL)
        bias += first;
    }
  if (s->split == SPLIT_COLUMNS_DENSE)
    {
      ThreadProducts *t = get_thread_products ();
      gsize           need = (gsize) (key.m * size);

      if (t == NULL)
        {
          g_atomic_int_set (&s->failed, 1);
          return;
        }
      /* Grown to the largest chunk, then reused. */
      if (t->dst_len < need)
        {
          g_free (t->dst);
          t->dst = g_new (float, need);
          t->dst_len = need;
        }
      dst = t->dst;
      if (key.beta != 0)
        copy_rows (dst, size, c, key.ldc, key.m, size);
      key.ldc = size;
    }
  ok = run_product (&key, a, b, bias, dst != NULL ? dst : c);
  if (ok && dst != NULL)
    copy_rows (c, s->key.ldc, dst, size, key.m, size);
  if (!ok)
    g_atomic_int_set (&s->failed, 1);
}

/* Sets up @s to share the product of @key @split in at most @n_chunks
 * chunks of whole vectors, the last taking what is left: a chunk of a
 * row or two would take another kernel. Returns the chunks, or 0 where
 * C has too few rows or columns for two. */
static guint
shared_product_init (SharedProduct    *s,
                     const ProductKey *key,
                     Split             split,
                     const void       *a,
                     const void       *b,
                     const float      *bias,
                     float            *c,
                     guint             n_chunks)
{
  gint64 whole = split == SPLIT_ROWS ? key->m : key->n;

  *s = (SharedProduct){ *key, a, b, key->bf16 ? sizeof (guint16) : sizeof (float), bias, c, split,
                        0, 0 };
  s->chunk_size = (guint) (whole / n_chunks) / MIN_CHUNK * MIN_CHUNK;
  if (s->chunk_size == 0 || whole / s->chunk_size < 2)
    return 0;
  return (guint) (whole / s->chunk_size);
}

/* The product of @key shared between @n_threads threads @split in
 * @n_chunks chunks (fewer where C does not make that many). */
static gboolean
run_shared (const ProductKey *key,
            Split             split,
            const void       *a,
            const void       *b,
            const float      *bias,
            float            *c,
            guint             n_threads,
            guint             n_chunks)
{
  SharedProduct s;

  n_chunks = shared_product_init (&s, key, split, a, b, bias, c, n_chunks);
  if (n_chunks == 0)
    return run_product (key, a, b, bias, c);
  nn_matmul_pool_run (n_threads, n_chunks, run_chunk, &s);
  return !g_atomic_int_get (&s.failed);
}

/* The most memory the operands of find_exact_splits() take: a larger
 * product stays on one thread. */
#define MAX_CHECK_BYTES ((gsize) 256 << 20)

/* A value in [-1, 1), from xorshift64* (its top bits). */
static float
next_random (guint64 *state)
{
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (float) ((gint32) ((*state * G_GUINT64_CONSTANT (2685821657736338717)) >> 32)) /
         2147483648.0f;
}

/* The ways of sharing the product of @key in @n_chunks chunks that give
 * the bits of the whole product on one thread, a bit (1 << Split) each:
 * each way is tried once, on this thread, with random operands. Every
 * value of C is then the same sum in the same order however many threads
 * there are: where a chunk takes a kernel other than the whole product's,
 * as oneDNN does for some chunks, its sums run in another order and almost
 * every value differs in its last bits. A new shape therefore costs a few
 * products more, once. */
static guint
find_exact_splits (const ProductKey *key,
                   guint             n_chunks)
{
  gsize             elem = key->bf16 ? sizeof (guint16) : sizeof (float);
  gsize             a_len = (gsize) (key->trans_a ? key->k : key->m) * key->lda;
  gsize             b_len = (gsize) (key->trans_b ? key->n : key->k) * key->ldb;
  gsize             c_len = (gsize) key->m * key->ldc;
  guint64           state = G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  g_autofree char  *a = NULL;
  g_autofree char  *b = NULL;
  g_autofree float *bias = NULL;
  g_autofree float *c0 = NULL;
  g_autofree float *whole = NULL;
  g_autofree float *c = NULL;
  guint             found = 1 << SPLIT_NONE;

  if ((a_len + b_len) * elem + ((gsize) key->n + 3 * c_len) * sizeof (float) > MAX_CHECK_BYTES)
    return found;
  a = g_try_malloc (a_len * elem);
  b = g_try_malloc (b_len * elem);
  bias = g_try_new (float, key->n);
  c0 = g_try_new (float, c_len);
  whole = g_try_new (float, c_len);
  c = g_try_new (float, c_len);
  if (a == NULL || b == NULL || bias == NULL || c0 == NULL || whole == NULL || c == NULL)
    return found;
  for (gsize i = 0; i < a_len + b_len; i++)
    {
      float   v = next_random (&state);
      char   *to = i < a_len ? a + i * elem : b + (i - a_len) * elem;
      guint32 bits;

      /* A bf16 is the high half of a float. */
      memcpy (&bits, &v, sizeof bits);
      if (key->bf16)
        *(guint16 *) to = (guint16) (bits >> 16);
      else
        memcpy (to, &v, sizeof v);
    }
  for (gint64 j = 0; j < key->n; j++)
    bias[j] = next_random (&state);
  for (gsize i = 0; i < c_len; i++)
    c0[i] = next_random (&state);

  memcpy (whole, c0, c_len * sizeof (float));
  if (!run_product (key, a, b, key->bias ? bias : NULL, whole))
    return found;
  for (Split w = SPLIT_NONE + 1; w < N_SPLITS; w++)
    {
      SharedProduct s;
      guint         chunks;

      chunks = shared_product_init (&s, key, w, a, b, key->bias ? bias : NULL, c, n_chunks);
      memcpy (c, c0, c_len * sizeof (float));
      for (guint i = 0; i < chunks; i++)
        run_chunk (i, &s);
      if (chunks > 0 && !s.failed && memcmp (c, whole, c_len * sizeof (float)) == 0)
        found |= 1 << w;
    }
  return found;
}

static gint64
now_ns (void)
{
  struct timespec t;

  clock_gettime (CLOCK_MONOTONIC, &t);
  return (gint64) t.tv_sec * G_GINT64_CONSTANT (1000000000) + t.tv_nsec;
}

/* C = alpha op(A) op(B) (+ @bias in each row, where not NULL) + beta C,
 * then @fn (with its parameter @fn_alpha) of each value, through oneDNN's
 * matmul, with A and B rounded to bfloat16 first where @bf16, shared between the threads set where that is faster. Returns
 * FALSE, C untouched, where oneDNN cannot take the product: then the BLAS
 * does. */
gboolean
nn_matmul_onednn_gemm (gboolean        trans_a,
                       gboolean        trans_b,
                       nn_real         alpha,
                       const NnMatrix *a,
                       const NnMatrix *b,
                       const nn_real  *bias,
                       nn_real         beta,
                       NnElementwise   fn,
                       float           fn_alpha,
                       NnMatrix       *c,
                       gboolean        bf16)
{
  ProductKey    key = { 0 };
  dnnl_stream_t stream = NULL;
  Product      *p;
  const void   *a_data = a->data, *b_data = b->data;
  guint         n_threads, n_chunks;
  guint64       size;
  Split         split;
  gboolean      timed, trying, ok;
  gint64        start;

  /* The BLAS reads neither A nor B when alpha is 0 (NaN in them
   * included); the output scale would apply to the bias too. */
  if (alpha == 0 || ((bias != NULL || fn != NN_ELEMENTWISE_NONE) && alpha != 1))
    return FALSE;
  key.m = c->rows;
  key.n = c->cols;
  key.k = trans_a ? a->rows : a->cols;
  key.lda = a->cols;
  key.ldb = b->cols;
  key.ldc = c->cols;
  key.trans_a = trans_a;
  key.trans_b = trans_b;
  key.bias = bias != NULL;
  key.bf16 = bf16;
  key.alpha = alpha;
  key.beta = beta;
  key.fn = fn;
  key.fn_alpha = fn_alpha;
  /* Where oneDNN can make the whole product it can make its parts, so
   * that a part never fails after another has written C. oneDNN reads
   * the thread count as it makes a primitive too: set it before. */
  n_threads = get_n_threads (); /* OpenMP's default, before it is set */
  if (n_threads > 1)
    n_threads = nn_cpu_load_threads (n_threads);
  keep_openmp_to_one_thread ();
  if ((p = lookup_product (&key, &stream)) == NULL)
    return FALSE;

  if (bf16)
    {
      ThreadProducts *t = g_private_get (&thread_products);
      gsize           need = nn_matrix_size (a) + nn_matrix_size (b);

      /* Grown to the largest product, then reused. */
      if (t->scratch_len < need)
        {
          g_free (t->scratch);
          t->scratch = g_new (guint16, need);
          t->scratch_len = need;
        }
      a_data = bf16_copy (t, a, 0);
      b_data = bf16_copy (t, b, nn_matrix_size (a));
    }

  /* A bf16 product stays on one thread: its operands' conversion is
   * made on this thread, not shared, and the others would read it from
   * this core's cache. On two threads w2 in bf16 trained 4% slower than
   * on one at batch 128 and 13% slower at 256. */
  size = (guint64) key.m * key.n * key.k;
  /* Nothing smaller than a near core's threshold asks how near they are. */
  if (bf16 || n_threads == 1 || size < NN_CPU_DISTANCE_NEAR_PRODUCT ||
      size < min_threaded_product ())
    n_threads = 1;
  n_chunks = MIN (n_threads * CHUNKS_PER_THREAD, (guint) MAX (key.m, key.n) / MIN_CHUNK);
  if (n_threads == 1 || n_chunks < 2)
    return run_product (&key, a_data, b_data, bias, c->data);

  if (p->split_chunks != n_chunks)
    {
      guint splits = find_exact_splits (&key, n_chunks);

      /* Found again: the parts' primitives may have pushed it out. */
      if ((p = lookup_product (&key, &stream)) == NULL)
        return FALSE;
      nn_matmul_choice_init (&p->split, splits);
      p->split_chunks = n_chunks;
    }
  if (p->split.ways == 1 << SPLIT_NONE)
    return run_product (&key, a_data, b_data, bias, c->data);

  split = nn_matmul_choice_next (&p->split, &timed, &trying);
  start = now_ns ();
  if (split == SPLIT_NONE)
    ok = run_product (&key, a_data, b_data, bias, c->data);
  else
    ok = run_shared (&key, split, a_data, b_data, bias, c->data, n_threads, n_chunks);
  /* Found again after a shared run, whose parts' primitives may have
   * pushed it out; a run on one thread made none. */
  if (split != SPLIT_NONE)
    p = lookup_product (&key, &stream);
  /* Not if it was pushed out and made again. */
  if (p != NULL && timed && p->split_chunks == n_chunks)
    nn_matmul_choice_record (&p->split, split, trying, now_ns () - start);
  return ok;
}

/* Whether this CPU computes bf16 products in hardware: the primitive
 * oneDNN makes for one must be a bf16 or AMX kernel, not the emulation it
 * falls back to on AVX-512 without BF16 (slower than float32), and the
 * conversions need AVX512-BF16 too. */
static gboolean
bf16_in_hardware (char **why)
{
  dnnl_memory_desc_t    a_md, b_md, c_md;
  dnnl_matmul_desc_t    desc;
  dnnl_primitive_desc_t pd = NULL;
  const char           *impl = NULL;
  gboolean              ok = FALSE;

#ifndef HAVE_X86_BF16
  *why = g_strdup ("this CPU is not an x86-64 one with AVX512-BF16");
  return FALSE;
#else
  if (!__builtin_cpu_supports ("avx512bf16"))
    {
      *why = g_strdup ("this CPU has no AVX512-BF16 instructions");
      return FALSE;
    }
#endif
  if (get_engine () == NULL)
    {
      *why = g_strdup ("oneDNN has no CPU engine here");
      return FALSE;
    }
  if (init_desc (&a_md, dnnl_bf16, 64, 64, 64, FALSE) == dnnl_success &&
      init_desc (&b_md, dnnl_bf16, 64, 64, 64, FALSE) == dnnl_success &&
      init_desc (&c_md, dnnl_f32, 64, 64, 64, FALSE) == dnnl_success &&
      dnnl_matmul_desc_init (&desc, &a_md, &b_md, NULL, &c_md) == dnnl_success &&
      dnnl_primitive_desc_create (&pd, &desc, NULL, get_engine (), NULL) == dnnl_success &&
      dnnl_primitive_desc_query (pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success)
    ok = strstr (impl, "bf16") != NULL || strstr (impl, "amx") != NULL;
  if (!ok)
    *why = g_strdup_printf ("this CPU computes no bf16 products in hardware: oneDNN would "
                            "emulate them (%s), more slowly than float32",
                            impl != NULL ? impl : "no kernel");
  if (pd != NULL)
    dnnl_primitive_desc_destroy (pd);
  return ok;
}

/* Whether products can take bf16 inputs here; the reason where not. */
gboolean
nn_matmul_onednn_check_bf16 (GError **error)
{
  static gsize once;
  static char *why;

  if (g_once_init_enter (&once))
    {
      if (bf16_in_hardware (&why))
        g_clear_pointer (&why, g_free);
      g_once_init_leave (&once, 1);
    }
  if (why != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s", why);
      return FALSE;
    }
  return TRUE;
}

const char *
nn_matmul_engine_name (void)
{
  return "oneDNN";
}
