/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include "nn-layer.h"

G_BEGIN_DECLS

#define NN_TYPE_ACTIVATION_LAYER (nn_activation_layer_get_type ())
G_DECLARE_FINAL_TYPE (NnActivationLayer, nn_activation_layer, NN, ACTIVATION_LAYER, NnLayer)

NnLayer *nn_activation_layer_new (guint         n_inputs,
                                  NnActivation *activation);

G_END_DECLS
