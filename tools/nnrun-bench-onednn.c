/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun bench: the products of a training step through oneDNN's matmul
 * alone, in fp32 and with bf16 inputs, the ceilings of those engines. */
#include <math.h>

#ifdef NNRUN_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

#include "nnrun-bench.h"

#ifdef NNRUN_HAVE_ONEDNN

/* The OpenMP runtime oneDNN runs its threads on. */
extern void omp_set_num_threads (int n);
extern int  omp_get_max_threads (void);

typedef struct
{
  dnnl_primitive_t primitive;
  dnnl_memory_t    src, weights, bias, dst;
} Matmul;

static void
matmul_clear (Matmul *mm)
{
  if (mm->primitive != NULL)
    dnnl_primitive_destroy (mm->primitive);
  if (mm->src != NULL)
    dnnl_memory_destroy (mm->src);
  if (mm->weights != NULL)
    dnnl_memory_destroy (mm->weights);
  if (mm->bias != NULL)
    dnnl_memory_destroy (mm->bias);
  if (mm->dst != NULL)
    dnnl_memory_destroy (mm->dst);
}

static dnnl_status_t
init_desc (dnnl_memory_desc_t *md,
           gint64              rows,
           gint64              cols,
           gboolean            transposed,
           dnnl_data_type_t    type)
{
  dnnl_dims_t dims = { rows, cols };
  dnnl_dims_t strides = { cols, 1 };

  if (transposed)
    {
      strides[0] = 1;
      strides[1] = rows;
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

/* The work a step folds into the product of @s, as nn-matmul-onednn.c
 * asks oneDNN for it: the SGD step as an output scale and a sum, the
 * activation as an eltwise post-op. */
static dnnl_status_t
fused_attr (const GemmShape      *s,
            dnnl_primitive_attr_t attr)
{
  dnnl_post_ops_t post_ops = NULL;
  float           scale = -s->update_rate;
  dnnl_status_t   st = dnnl_success;

  if (s->update_rate != 0)
    st = dnnl_primitive_attr_set_output_scales (attr, 1, 0, &scale);
  if (st == dnnl_success && (s->update_rate != 0 || s->fn != NN_ELEMENTWISE_NONE))
    {
      st = dnnl_post_ops_create (&post_ops);
      if (st == dnnl_success && s->update_rate != 0)
        st = dnnl_post_ops_append_sum (post_ops, 1);
      if (st == dnnl_success && s->fn != NN_ELEMENTWISE_NONE)
        st = dnnl_post_ops_append_eltwise (post_ops, 1, eltwise_algorithm (s->fn), s->fn_alpha, 0);
      if (st == dnnl_success)
        st = dnnl_primitive_attr_set_post_ops (attr, post_ops);
      if (post_ops != NULL)
        dnnl_post_ops_destroy (post_ops);
    }
  return st;
}

/* The matmul of @s on buffers @a, @b, @bias and @c, inputs of @type;
 * with the work the step folds into it where @fused. */
static dnnl_status_t
matmul_init (Matmul          *mm,
             const GemmShape *s,
             dnnl_data_type_t type,
             gboolean         fused,
             dnnl_engine_t    engine,
             void            *a,
             void            *b,
             float           *bias,
             float           *c)
{
  dnnl_memory_desc_t    src_md, wei_md, bias_md, dst_md;
  dnnl_matmul_desc_t    desc;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_primitive_desc_t pd = NULL;
  gboolean              with_bias = fused && s->bias;
  dnnl_status_t         st;

  st = init_desc (&src_md, s->m, s->k, s->trans_a, type);
  if (st == dnnl_success)
    st = init_desc (&wei_md, s->k, s->n, s->trans_b, type);
  if (st == dnnl_success)
    st = init_desc (&dst_md, s->m, s->n, FALSE, dnnl_f32);
  if (st == dnnl_success && with_bias)
    st = init_desc (&bias_md, 1, s->n, FALSE, dnnl_f32);
  if (st == dnnl_success)
    st = dnnl_matmul_desc_init (&desc, &src_md, &wei_md, with_bias ? &bias_md : NULL, &dst_md);
  if (st == dnnl_success)
    st = dnnl_primitive_attr_create (&attr);
  if (st == dnnl_success && fused)
    st = fused_attr (s, attr);
  if (st == dnnl_success)
    st = dnnl_primitive_desc_create (&pd, &desc, attr, engine, NULL);
  if (st == dnnl_success)
    st = dnnl_primitive_create (&mm->primitive, pd);
  if (st == dnnl_success)
    st = dnnl_memory_create (&mm->src, &src_md, engine, a);
  if (st == dnnl_success)
    st = dnnl_memory_create (&mm->weights, &wei_md, engine, b);
  if (st == dnnl_success && with_bias)
    st = dnnl_memory_create (&mm->bias, &bias_md, engine, bias);
  if (st == dnnl_success)
    st = dnnl_memory_create (&mm->dst, &dst_md, engine, c);
  if (pd != NULL)
    dnnl_primitive_desc_destroy (pd);
  if (attr != NULL)
    dnnl_primitive_attr_destroy (attr);
  return st;
}

static gboolean
run_all (Matmul       *mms,
         guint         n,
         dnnl_stream_t stream)
{
  for (guint i = 0; i < n; i++)
    {
      dnnl_exec_arg_t args[] = {
        { DNNL_ARG_SRC, mms[i].src },
        { DNNL_ARG_WEIGHTS, mms[i].weights },
        { DNNL_ARG_DST, mms[i].dst },
        { DNNL_ARG_BIAS, mms[i].bias },
      };

      if (dnnl_primitive_execute (mms[i].primitive, stream, mms[i].bias != NULL ? 4 : 3,
                                  args) != dnnl_success)
        return FALSE;
    }
  return dnnl_stream_wait (stream) == dnnl_success;
}

/* As the BLAS ceiling: the products over and over, the best of three
 * passes of at least CEILING_SECONDS / 3 each. */
static double
time_all (Matmul       *mms,
          guint         n,
          dnnl_stream_t stream,
          double        flop)
{
  guint  reps = 1, passes = 0;
  double best = 0;

  while (passes < 3)
    {
      double start = nnrun_bench_now (), elapsed;

      for (guint r = 0; r < reps; r++)
        if (!run_all (mms, n, stream))
          return NAN;
      elapsed = nnrun_bench_now () - start;
      if (elapsed < CEILING_SECONDS / 3)
        {
          reps = elapsed > 0 ? MAX (reps * 2, (guint) (reps * CEILING_SECONDS / 3 / elapsed))
                             : reps * 2;
          continue;
        }
      best = MAX (best, flop * reps / elapsed);
      passes++;
    }
  return best / 1e9;
}

double
nnrun_bench_onednn_ceiling (GArray  *shapes,
                            gboolean bf16,
                            gboolean fused,
                            guint    threads)
{
  int                omp_threads = omp_get_max_threads ();
  dnnl_data_type_t   type = bf16 ? dnnl_bf16 : dnnl_f32;
  gsize              elem = bf16 ? 2 : 4, biggest = 1;
  dnnl_engine_t      engine = NULL;
  dnnl_stream_t      stream = NULL;
  g_autofree Matmul *mms = g_new0 (Matmul, shapes->len);
  g_autofree guint8 *a = NULL;
  g_autofree guint8 *b = NULL;
  g_autofree float  *bias = NULL;
  g_autofree float  *c = NULL;
  double             flop = 0, result = NAN;
  gboolean           ok;

  if (bf16 && !nnrun_bench_have_bf16 ())
    return NAN;
  for (guint i = 0; i < shapes->len; i++)
    {
      GemmShape *s = &g_array_index (shapes, GemmShape, i);

      biggest = MAX (biggest, (gsize) s->m * s->k);
      biggest = MAX (biggest, (gsize) s->k * s->n);
      biggest = MAX (biggest, (gsize) s->m * s->n);
      flop += 2.0 * s->m * s->n * s->k;
    }
  /* Small values of either type: 0x3c00 is bf16 2^-7, 0x3c000000 fp32. */
  a = g_malloc (biggest * elem);
  b = g_malloc (biggest * elem);
  bias = g_new0 (float, biggest);
  c = g_new0 (float, biggest);
  for (gsize i = 0; i < biggest; i++)
    {
      if (bf16)
        ((guint16 *) a)[i] = ((guint16 *) b)[i] = 0x3c00;
      else
        ((float *) a)[i] = ((float *) b)[i] = 1.0f / 128;
    }

  /* oneDNN's own threads: the library shares products between threads
   * of its own, but the ceiling is oneDNN's best by itself. */
  omp_set_num_threads ((int) threads);
  ok = dnnl_engine_create (&engine, dnnl_cpu, 0) == dnnl_success &&
       dnnl_stream_create (&stream, engine, dnnl_stream_default_flags) == dnnl_success;
  for (guint i = 0; ok && i < shapes->len; i++)
    ok = matmul_init (&mms[i], &g_array_index (shapes, GemmShape, i), type, fused, engine, a, b,
                      bias, c) == dnnl_success;
  if (ok)
    result = time_all (mms, shapes->len, stream, flop);
  for (guint i = 0; i < shapes->len; i++)
    matmul_clear (&mms[i]);
  if (stream != NULL)
    dnnl_stream_destroy (stream);
  if (engine != NULL)
    dnnl_engine_destroy (engine);
  omp_set_num_threads (omp_threads);
  return result;
}

#else

double
nnrun_bench_onednn_ceiling (GArray  *shapes,
                            gboolean bf16,
                            gboolean fused,
                            guint    threads)
{
  return NAN;
}

#endif
