/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Threads of the library's own that share the rows of a large product
 * (nn-matmul-pool.c). Not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef void (*NnMatmulChunkFunc) (guint    chunk,
                                   gpointer data);

G_GNUC_INTERNAL
void nn_matmul_pool_run (guint             n_threads,
                         guint             n_chunks,
                         NnMatmulChunkFunc func,
                         gpointer          data);

G_END_DECLS
