/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dense layer's update within its backward step and its forward
 * product with the activation, for the trainer; not installed. */
#pragma once

#include "nn-dense-layer.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL void     nn_dense_layer_set_update_rate (NnDenseLayer *self,
                                                         double        lr);
G_GNUC_INTERNAL void     nn_dense_layer_set_keep_z (NnDenseLayer *self,
                                                    gboolean      keep_z);
G_GNUC_INTERNAL gboolean nn_dense_layer_is_regularized  (NnDenseLayer *self);
G_GNUC_INTERNAL gboolean nn_dense_layer_weights_are_finite  (NnDenseLayer *self);
G_GNUC_INTERNAL gboolean nn_dense_layer_bound_pays (NnDenseLayer *self,
                                                    guint         rows);
G_GNUC_INTERNAL void     nn_dense_layer_forget_weight_bound (NnDenseLayer *self);
/* Of every dense layer of @layers. */
G_GNUC_INTERNAL void     nn_dense_layers_forget_weight_bounds (GPtrArray *layers);

G_END_DECLS
