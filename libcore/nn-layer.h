/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>
#include "nn-activation.h"
#include "nn-limits.h"
#include "nn-matrix.h"

G_BEGIN_DECLS

#define NN_TYPE_LAYER (nn_layer_get_type ())
G_DECLARE_FINAL_TYPE (NnLayer, nn_layer, NN, LAYER, GObject)

NnLayer        *nn_layer_new                         (guint            n_inputs,
                                                      guint            units,
                                                      NnActivation    *activation);
guint           nn_layer_get_n_inputs                (NnLayer         *self);
guint           nn_layer_get_units                   (NnLayer         *self);
NnActivation   *nn_layer_get_activation              (NnLayer         *self);
double          nn_layer_get_l1                      (NnLayer         *self);
double          nn_layer_get_l2                      (NnLayer         *self);
double          nn_layer_get_regularization_loss     (NnLayer         *self);
void            nn_layer_add_regularization_gradient (NnLayer         *self);
NnMatrix       *nn_layer_get_weights                 (NnLayer         *self);
NnMatrix       *nn_layer_get_bias                    (NnLayer         *self);
const NnMatrix *nn_layer_get_weight_gradient         (NnLayer         *self);
const NnMatrix *nn_layer_get_bias_gradient           (NnLayer         *self);
gboolean        nn_layer_set_parameters              (NnLayer         *self,
                                                      const NnMatrix  *weights,
                                                      const NnMatrix  *bias,
                                                      GError         **error);

const NnMatrix *nn_layer_forward                     (NnLayer         *self,
                                                      const NnMatrix  *x);
const NnMatrix *nn_layer_backward                    (NnLayer         *self,
                                                      const NnMatrix  *x,
                                                      const NnMatrix  *grad_a,
                                                      gboolean         want_grad_input);
const NnMatrix *nn_layer_backward_from_z             (NnLayer         *self,
                                                      const NnMatrix  *x,
                                                      const NnMatrix  *grad_z,
                                                      gboolean         want_grad_input);
const NnMatrix *nn_layer_get_z                       (NnLayer         *self);
const NnMatrix *nn_layer_get_a                       (NnLayer         *self);

G_END_DECLS
