/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-parameter buffers of the built-in optimizers; not installed. */
#pragma once

#include "nn-optimizer.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
GPtrArray *nn_optimizer_buffers_new  (guint             n_params,
                                      const NnMatrix  **params);
G_GNUC_INTERNAL
void       nn_optimizer_save_buffers (GVariantDict     *state,
                                      const char       *first_key,
                                      ...) G_GNUC_NULL_TERMINATED;
G_GNUC_INTERNAL
gboolean   nn_optimizer_load_buffers (GVariantDict     *state,
                                      GError          **error,
                                      const char       *first_key,
                                      ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
