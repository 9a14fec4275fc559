/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>
#include "nn-real.h"

G_BEGIN_DECLS

/**
 * NnMatrix:
 * @rows: number of rows; the batch dimension for activations
 * @cols: number of columns
 * @data: @rows × @cols values, row-major
 *
 * A dense row-major matrix of #nn_real. It is a plain value type, not a
 * GObject, with a single owner. A matrix made with nn_matrix_view() borrows
 * its data and lives on the stack: it is never freed.
 */
typedef struct {
  guint    rows;
  guint    cols;
  nn_real *data;
} NnMatrix;

#define NN_TYPE_MATRIX (nn_matrix_get_type ())

/**
 * NN_MATRIX_AT:
 * @m: a #NnMatrix
 * @r: row index
 * @c: column index
 *
 * The element at (@r, @c), as an lvalue.
 */
#define NN_MATRIX_AT(m, r, c) ((m)->data[(gsize) (r) * (m)->cols + (c)])

GType     nn_matrix_get_type  (void) G_GNUC_CONST;

NnMatrix *nn_matrix_new       (guint           rows,
                               guint           cols);
NnMatrix *nn_matrix_new_from_data (guint          rows,
                                   guint          cols,
                                   const nn_real *data);
NnMatrix *nn_matrix_new_from_bytes (guint    rows,
                                    guint    cols,
                                    GBytes  *bytes,
                                    GError **error);
GBytes   *nn_matrix_get_bytes (const NnMatrix *m);
gboolean  nn_matrix_set_bytes (NnMatrix       *m,
                               GBytes         *bytes,
                               GError        **error);
NnMatrix *nn_matrix_copy      (const NnMatrix *m);
void      nn_matrix_free      (NnMatrix       *m);

NnMatrix  nn_matrix_view      (nn_real        *data,
                               guint           rows,
                               guint           cols);
NnMatrix  nn_matrix_view_rows (const NnMatrix *m,
                               guint           first,
                               guint           n_rows);

gsize     nn_matrix_size      (const NnMatrix *m);
gboolean  nn_matrix_same_shape (const NnMatrix *a,
                                const NnMatrix *b);
void      nn_matrix_fill      (NnMatrix       *m,
                               nn_real         value);
void      nn_matrix_copy_into (const NnMatrix *src,
                               NnMatrix       *dest);
void      nn_matrix_gather_rows (const NnMatrix *src,
                                 const guint    *indices,
                                 guint           n_indices,
                                 NnMatrix       *dest);
gboolean  nn_matrix_is_finite (const NnMatrix *m);

void      nn_matrix_gemm      (gboolean        trans_a,
                               gboolean        trans_b,
                               nn_real         alpha,
                               const NnMatrix *a,
                               const NnMatrix *b,
                               nn_real         beta,
                               NnMatrix       *c);
void      nn_matrix_set_n_threads (guint n_threads);

/**
 * NnPrecision:
 * @NN_PRECISION_FLOAT32: the build's own number format, float (or double)
 * @NN_PRECISION_BF16: bfloat16 inputs and float32 sums
 *
 * The number format of the matrix products ([func@Nn.Matrix.set_precision]).
 *
 * Since: 0.2
 */
typedef enum {
  NN_PRECISION_FLOAT32,
  NN_PRECISION_BF16,
} NnPrecision;

#define NN_TYPE_PRECISION (nn_precision_get_type ())
GType       nn_precision_get_type (void) G_GNUC_CONST;
gboolean    nn_matrix_check_precision (NnPrecision precision,
                                       GError    **error);
void        nn_matrix_set_precision (NnPrecision precision);
NnPrecision nn_matrix_get_precision (void);
guint     nn_matrix_get_n_threads (void);
const char *nn_matrix_get_engine_name (void);
void      nn_matrix_add_row_vector (NnMatrix       *m,
                                    const NnMatrix *v);
void      nn_matrix_sum_rows  (const NnMatrix *m,
                               NnMatrix       *out);
void      nn_matrix_axpy      (nn_real         alpha,
                               const NnMatrix *x,
                               NnMatrix       *y);
void      nn_matrix_scaled_difference (const NnMatrix *a,
                                       const NnMatrix *b,
                                       nn_real         scale,
                                       NnMatrix       *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnMatrix, nn_matrix_free)

G_END_DECLS
