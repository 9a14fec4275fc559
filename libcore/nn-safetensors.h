/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib.h>
#include "nn-matrix.h"

G_BEGIN_DECLS

/**
 * NN_SAFETENSORS_MAX_HEADER_SIZE:
 *
 * The largest JSON header, in bytes, that [func@Nn.safetensors_read] accepts:
 * the limit of the reference implementation, 100 MB.
 */
#define NN_SAFETENSORS_MAX_HEADER_SIZE 100000000

/**
 * NN_SAFETENSORS_DTYPE:
 *
 * The safetensors dtype that [func@Nn.safetensors_write] stores: `"F32"` in the
 * float build, `"F64"` in the double build.
 */
#if NN_REAL_IS_DOUBLE
#define NN_SAFETENSORS_DTYPE "F64"
#else
#define NN_SAFETENSORS_DTYPE "F32"
#endif

gboolean    nn_safetensors_write (const char             *path,
                                  guint                   n_tensors,
                                  const char * const     *names,
                                  const NnMatrix * const *tensors,
                                  GHashTable             *metadata,
                                  GError                **error);
GHashTable *nn_safetensors_read  (const char             *path,
                                  GHashTable            **metadata_out,
                                  GError                **error);

G_END_DECLS
