/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include "nn-layer.h"

G_BEGIN_DECLS

#define NN_TYPE_DENSE_LAYER (nn_dense_layer_get_type ())
G_DECLARE_FINAL_TYPE (NnDenseLayer, nn_dense_layer, NN, DENSE_LAYER, NnLayer)

NnLayer *nn_dense_layer_new (guint         n_inputs,
                             guint         units,
                             NnActivation *activation);

G_END_DECLS
