/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun bench: the hardware ceilings, tight loops of independent FMA or
 * bf16 dot-product chains on the widest vectors the CPU has. */
#include <math.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "nnrun-bench.h"

#define FMA_CHAINS 12 /* independent chains: enough to fill two FMA pipes */

/* One chain step on each of the twelve registers, written out so that none
 * is spilled. */
#define TWELVE(step) \
  step (a0); \
  step (a1); \
  step (a2); \
  step (a3); \
  step (a4); \
  step (a5); \
  step (a6); \
  step (a7); \
  step (a8); \
  step (a9); \
  step (a10); \
  step (a11)

/* The twelve registers of @type, from @set1 (0) to @set1 (11). */
#define TWELVE_REGISTERS(type, set1) \
  type a0 = set1 (0), a1 = set1 (1), a2 = set1 (2), a3 = set1 (3), a4 = set1 (4), \
       a5 = set1 (5), a6 = set1 (6), a7 = set1 (7), a8 = set1 (8), a9 = set1 (9), \
       a10 = set1 (10), a11 = set1 (11)

/* Their sum into a0, so that no chain is dead code. */
#define TWELVE_SUM(plus) \
  a0 = plus (plus (plus (a0, a1), plus (a2, a3)), plus (plus (a4, a5), plus (a6, a7))); \
  a0 = plus (a0, plus (plus (a8, a9), plus (a10, a11)))

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__ ((target ("avx2,fma"))) static double
fma_loop_avx2 (guint64 iterations)
{
  const __m256 mul = _mm256_set1_ps (0.999999f), add = _mm256_set1_ps (1e-7f);
  TWELVE_REGISTERS (__m256, _mm256_set1_ps);
  float out[8];

#define FMA256(a) a = _mm256_fmadd_ps (a, mul, add)
  for (guint64 it = 0; it < iterations; it++)
    {
      TWELVE (FMA256);
    }
  TWELVE_SUM (_mm256_add_ps);
  _mm256_storeu_ps (out, a0);
  return out[0];
}

/* A core that runs AVX-512 at full width does twice the FLOPs a cycle of
 * AVX2; one that splits it in halves, the same. */
__attribute__ ((target ("avx512f"))) static double
fma_loop_avx512 (guint64 iterations)
{
  const __m512 mul = _mm512_set1_ps (0.999999f), add = _mm512_set1_ps (1e-7f);
  TWELVE_REGISTERS (__m512, _mm512_set1_ps);

#define FMA512(a) a = _mm512_fmadd_ps (a, mul, add)
  for (guint64 it = 0; it < iterations; it++)
    {
      TWELVE (FMA512);
    }
  TWELVE_SUM (_mm512_add_ps);
  return _mm512_reduce_add_ps (a0);
}

/* vdpbf16ps: 16 lanes, each the sum of two bf16 products added to fp32. */
__attribute__ ((target ("avx512f,avx512bf16"))) static double
bf16_loop_avx512 (guint64 iterations)
{
  const __m512bh x = (__m512bh) _mm512_set1_epi16 (0x3f80); /* 1.0 */
  const __m512bh y = (__m512bh) _mm512_set1_epi16 (0x3380); /* 2^-24 */
  TWELVE_REGISTERS (__m512, _mm512_set1_ps);

#define DOT512(a) a = _mm512_dpbf16_ps (a, x, y)
  for (guint64 it = 0; it < iterations; it++)
    {
      TWELVE (DOT512);
    }
  TWELVE_SUM (_mm512_add_ps);
  return _mm512_reduce_add_ps (a0);
}
#endif

/* Without AVX2: what the compiler makes of a plain multiply-add loop. */
static double
fma_loop_plain (guint64 iterations)
{
  float  acc[FMA_CHAINS * 8];
  double sum = 0;

  for (guint i = 0; i < G_N_ELEMENTS (acc); i++)
    acc[i] = (float) i;
  for (guint64 it = 0; it < iterations; it++)
    for (guint i = 0; i < G_N_ELEMENTS (acc); i++)
      acc[i] = acc[i] * 0.999999f + 1e-7f;
  for (guint i = 0; i < G_N_ELEMENTS (acc); i++)
    sum += acc[i];
  return sum;
}

static gboolean
cpu_has (const char *what)
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (g_str_equal (what, "avx512f"))
    return __builtin_cpu_supports ("avx512f");
  if (g_str_equal (what, "avx2"))
    return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
  if (g_str_equal (what, "avx512bf16"))
    return __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bf16");
#endif
  return FALSE;
}

gboolean
nnrun_bench_have_bf16 (void)
{
  return cpu_has ("avx512bf16");
}

typedef double (*Loop) (guint64 iterations);

typedef struct
{
  Loop            loop;
  guint64         iterations;
  volatile double sink;
} FmaJob;

static gpointer
fma_thread (gpointer data)
{
  FmaJob *job = data;

  job->sink = job->loop (job->iterations);
  return NULL;
}

/* Runs @loop on @threads threads at once; returns the seconds. */
static double
run_threads (Loop    loop,
             guint   threads,
             guint64 iterations)
{
  g_autofree GThread **workers = g_new0 (GThread *, threads);
  g_autofree FmaJob   *jobs = g_new0 (FmaJob, threads);
  double               start = nnrun_bench_now ();

  for (guint t = 0; t < threads; t++)
    {
      jobs[t].loop = loop;
      jobs[t].iterations = iterations;
      workers[t] = g_thread_new ("nnrun-fma", fma_thread, &jobs[t]);
    }
  for (guint t = 0; t < threads; t++)
    g_thread_join (workers[t]);
  return nnrun_bench_now () - start;
}

/* FLOP/s of @threads cores each running @loop, @flop FLOPs an iteration:
 * the best of three passes, since the machine may be shared. */
static double
measure_loop (Loop   loop,
              double flop,
              guint  threads)
{
  guint64 iterations = 1 << 16;
  double  best = 0, elapsed;

  while ((elapsed = run_threads (loop, threads, iterations)) < CEILING_SECONDS / 10)
    iterations *= 2;
  iterations = (guint64) (iterations * (CEILING_SECONDS / 3) / elapsed) + 1;
  for (guint pass = 0; pass < 3; pass++)
    {
      elapsed = run_threads (loop, threads, iterations);
      best = MAX (best, (double) iterations * flop * threads / elapsed);
    }
  return best / 1e9;
}

/* Chains of 16 lanes × 2 FLOP with AVX-512, 8 × 2 with AVX2. */
double
nnrun_bench_fma_peak (guint threads)
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has ("avx512f"))
    return measure_loop (fma_loop_avx512, FMA_CHAINS * 16 * 2, threads);
  if (cpu_has ("avx2"))
    return measure_loop (fma_loop_avx2, FMA_CHAINS * 8 * 2, threads);
#endif
  return measure_loop (fma_loop_plain, FMA_CHAINS * 8 * 2, threads);
}

/* Chains of 16 lanes × 2 products × 2 FLOP. */
double
nnrun_bench_bf16_peak (guint threads)
{
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has ("avx512bf16"))
    return measure_loop (bf16_loop_avx512, FMA_CHAINS * 16 * 2 * 2, threads);
#endif
  return NAN;
}
