/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the built-in optimizers share inside libnncore; not installed. */
#pragma once

#include "nn-optimizer.h"

G_BEGIN_DECLS

/* The least epsilon of the optimizers that divide by √v + ε: with 0, a
 * parameter whose gradient stays 0 gets 0/0. 1e-30 is a normal number in
 * single precision as well. */
#define NN_OPTIMIZER_EPSILON_MIN 1e-30

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

/* Counts a step whose update was made elsewhere: the plain SGD steps
 * the layers make within their backward step. */
G_GNUC_INTERNAL
void       nn_optimizer_count_step   (NnOptimizer      *self);
/* Whether @optimizer is SGD without momentum and weight decay, whose
 * step is θ ← θ − lr g. */
G_GNUC_INTERNAL
gboolean   nn_sgd_optimizer_is_plain (NnOptimizer      *optimizer);

/* Built-in updates test the values they write where they are still in
 * registers; the trainer skips its own test after a step whose updates
 * all found their parameters finite. */
G_GNUC_INTERNAL
void       nn_optimizer_updated_finite    (NnOptimizer *self,
                                           gboolean     finite);
G_GNUC_INTERNAL
gboolean   nn_optimizer_step_known_finite (NnOptimizer *self);

G_END_DECLS
