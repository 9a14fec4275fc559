/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Matrix operations shared inside libnncore; not installed. */
#pragma once

#include "nn-activation.h"
#include "nn-matrix.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
void nn_matrix_linear (const NnMatrix *x,
                       const NnMatrix *weights,
                       const NnMatrix *bias,
                       NnMatrix       *z);
G_GNUC_INTERNAL
gboolean nn_matrix_linear_activated (const NnMatrix *x,
                                     const NnMatrix *weights,
                                     const NnMatrix *bias,
                                     NnElementwise   fn,
                                     double          alpha,
                                     NnMatrix       *z,
                                     NnMatrix       *a);
G_GNUC_INTERNAL
void nn_matrix_linear_gradients (const NnMatrix *grad_z,
                                 const NnMatrix *x,
                                 NnMatrix       *grad_weights,
                                 NnMatrix       *grad_bias);
G_GNUC_INTERNAL
void nn_matrix_linear_update (const NnMatrix *grad_z,
                              const NnMatrix *x,
                              nn_real         lr,
                              NnMatrix       *weights,
                              NnMatrix       *bias,
                              NnMatrix       *grad_bias);

G_GNUC_INTERNAL
nn_real nn_matrix_max_abs (const NnMatrix *m);

G_END_DECLS
