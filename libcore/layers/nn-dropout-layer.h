/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include "nn-layer.h"

G_BEGIN_DECLS

#define NN_TYPE_DROPOUT_LAYER (nn_dropout_layer_get_type ())
G_DECLARE_FINAL_TYPE (NnDropoutLayer, nn_dropout_layer, NN, DROPOUT_LAYER, NnLayer)

NnLayer *nn_dropout_layer_new      (guint           n_inputs,
                                    double          rate);
double   nn_dropout_layer_get_rate (NnDropoutLayer *self);

G_END_DECLS
