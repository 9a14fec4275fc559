/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engines of the library's large matrix products, behind
 * nn_matrix_gemm(): oneDNN's matmul where the build has it
 * (nn-matmul-onednn.c), the BLAS always (nn-matmul-blas.c), which takes
 * what oneDNN cannot. Not installed. */
#pragma once

#include "nn-activation.h"
#include "nn-matrix.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
void     nn_matmul_blas_gemm (gboolean        trans_a,
                              gboolean        trans_b,
                              nn_real         alpha,
                              const NnMatrix *a,
                              const NnMatrix *b,
                              nn_real         beta,
                              NnMatrix       *c);
G_GNUC_INTERNAL
void     nn_matmul_blas_set_n_threads (guint n_threads);
G_GNUC_INTERNAL
guint    nn_matmul_blas_get_n_threads (void);

#ifdef NN_HAVE_ONEDNN
G_GNUC_INTERNAL
gboolean nn_matmul_onednn_gemm (gboolean        trans_a,
                                gboolean        trans_b,
                                nn_real         alpha,
                                const NnMatrix *a,
                                const NnMatrix *b,
                                const nn_real  *bias,
                                nn_real         beta,
                                NnElementwise   fn,
                                float           fn_alpha,
                                NnMatrix       *c,
                                gboolean        bf16);
G_GNUC_INTERNAL
gboolean nn_matmul_onednn_check_bf16 (GError **error);
G_GNUC_INTERNAL
void     nn_matmul_onednn_set_n_threads (guint n_threads);
G_GNUC_INTERNAL
guint    nn_matmul_onednn_get_n_threads (void);
#endif

G_GNUC_INTERNAL
const char *nn_matmul_engine_name (void);

G_END_DECLS
