/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <cblas.h>

#include "nn-matmul-private.h"

/* C = alpha op(A) op(B) + beta C through CBLAS, row-major. */
void
nn_matmul_blas_gemm (gboolean        trans_a,
                     gboolean        trans_b,
                     nn_real         alpha,
                     const NnMatrix *a,
                     const NnMatrix *b,
                     nn_real         beta,
                     NnMatrix       *c)
{
  guint m = c->rows, n = c->cols, k = trans_a ? a->rows : a->cols;

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

/* The thread count of the last nn_matmul_blas_set_n_threads(), for a
 * BLAS that cannot be asked; 0 until set. */
static guint n_threads_set;

void
nn_matmul_blas_set_n_threads (guint n_threads)
{
  g_atomic_int_set ((gint *) &n_threads_set, (gint) n_threads);
#ifdef OPENBLAS_VERSION
  openblas_set_num_threads ((int) n_threads);
#endif
}

guint
nn_matmul_blas_get_n_threads (void)
{
#ifdef OPENBLAS_VERSION
  return (guint) MAX (openblas_get_num_threads (), 1);
#else
  return MAX ((guint) g_atomic_int_get ((gint *) &n_threads_set), 1);
#endif
}

#ifndef NN_HAVE_ONEDNN
const char *
nn_matmul_engine_name (void)
{
#ifdef OPENBLAS_VERSION
  return "OpenBLAS";
#else
  return "CBLAS";
#endif
}
#endif
