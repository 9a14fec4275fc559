/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The layer's regularization for the model's training step; not installed. */
#pragma once

#include "nn-layer.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL double nn_layer_regularization_loss (NnLayer *self);
G_GNUC_INTERNAL void   nn_layer_add_regularization  (NnLayer *self);

G_END_DECLS
