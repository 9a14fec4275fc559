/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun bench: the ceilings it measures its workloads against. */
#pragma once

#include <glib.h>
#include <nn.h>

G_BEGIN_DECLS

/* The least time each ceiling is measured for. */
#define CEILING_SECONDS 0.3

/* A matrix product of a training step, as BLAS sees it, and the work a
 * step folds into it on oneDNN: the bias and the activation of a forward
 * product, the SGD step of a weight-gradient one (C ← C − rate AB). */
typedef struct
{
  gboolean trans_a;
  gboolean trans_b;
  guint    m, n, k;
  gboolean      bias;
  NnElementwise fn; /* with its parameter fn_alpha */
  float         fn_alpha;
  float         update_rate; /* 0: C ← AB */
} GemmShape;

double   nnrun_bench_now (void);

/* The BLAS the sgemm ceiling runs on, as OpenBLAS describes itself. */
const char *nnrun_bench_blas_name (void);

/* The OPENBLAS_CORETYPE that gives this CPU vector kernels, where OpenBLAS
 * does not know the CPU and fell back to kernels without AVX2; NULL
 * otherwise. */
const char *nnrun_bench_openblas_coretype (void);

/* The hardware: FLOP/s of @threads cores running independent chains of
 * single-precision FMAs, and of bf16 dot products (NaN without them). */
double   nnrun_bench_fma_peak (guint threads);
double   nnrun_bench_bf16_peak (guint threads);
gboolean nnrun_bench_have_bf16 (void);

/* The products of a step through oneDNN's matmul, fp32 or with bf16
 * inputs and fp32 results, plain or @fused with the work the step folds
 * into them; NaN where the build has no oneDNN, or the CPU no bf16 dot
 * products. */
double   nnrun_bench_onednn_ceiling (GArray  *shapes,
                                     gboolean bf16,
                                     gboolean fused,
                                     guint    threads);

G_END_DECLS
