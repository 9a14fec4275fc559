/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include "nn-layer.h"

G_BEGIN_DECLS

#define NN_TYPE_BATCH_NORM_LAYER (nn_batch_norm_layer_get_type ())
G_DECLARE_FINAL_TYPE (NnBatchNormLayer, nn_batch_norm_layer, NN, BATCH_NORM_LAYER, NnLayer)

NnLayer *nn_batch_norm_layer_new (guint n_inputs);

G_END_DECLS
