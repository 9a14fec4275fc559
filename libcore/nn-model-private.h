/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "nn-model.h"

G_BEGIN_DECLS

NnMatrix * const *nn_model_peek_parameters      (NnModel *self,
                                                 guint   *n_params);
NnMatrix * const *nn_model_peek_gradients       (NnModel *self,
                                                 guint   *n_grads);
GPtrArray        *nn_model_peek_parameter_array (NnModel *self);
GPtrArray        *nn_model_peek_buffer_array    (NnModel *self);
void              nn_model_forget_weight_bounds (NnModel *self);
void              nn_model_prepare_optimizer    (NnModel *self);
void              nn_model_set_step             (NnModel *self,
                                                 guint64  seed,
                                                 guint    epoch,
                                                 guint    batch);
void              nn_model_set_step_first_row   (NnModel *self,
                                                 guint    first_row);

/* nn-model-state.c: the model's part of a training state
 * (nn_trainer_save_state()): its layers, loss, parameters and optimizer
 * state. */

GVariant *nn_training_state_lookup (GVariant      *state,
                                    const char    *key,
                                    const char    *type,
                                    GError       **error);
void      nn_model_save_state      (NnModel       *self,
                                    GVariantDict  *state);
gboolean  nn_model_check_state     (NnModel       *self,
                                    GVariant      *state,
                                    GError       **error);
gboolean  nn_model_load_state      (NnModel       *self,
                                    GVariant      *state,
                                    GError       **error);

G_END_DECLS
