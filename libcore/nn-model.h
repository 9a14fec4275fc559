/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <gio/gio.h>
#include "nn-layer.h"
#include "nn-loss.h"
#include "nn-optimizer.h"

G_BEGIN_DECLS

#define NN_TYPE_MODEL (nn_model_get_type ())
G_DECLARE_FINAL_TYPE (NnModel, nn_model, NN, MODEL, GObject)

NnModel        *nn_model_new                          (void);
void            nn_model_add_layer                    (NnModel         *self,
                                                       NnLayer         *layer);
guint           nn_model_get_n_layers                 (NnModel         *self);
NnLayer        *nn_model_get_layer                    (NnModel         *self,
                                                       guint            index);
guint           nn_model_get_n_inputs                 (NnModel         *self);
guint           nn_model_get_n_outputs                (NnModel         *self);
NnLoss         *nn_model_get_loss                     (NnModel         *self);
void            nn_model_set_loss                     (NnModel         *self,
                                                       NnLoss          *loss);
NnOptimizer    *nn_model_get_optimizer                (NnModel         *self);
void            nn_model_set_optimizer                (NnModel         *self,
                                                       NnOptimizer     *optimizer);
guint64         nn_model_get_seed                     (NnModel         *self);
void            nn_model_set_seed                     (NnModel         *self,
                                                       guint64          seed);
void            nn_model_init_parameters              (NnModel         *self,
                                                       NnInit           init);
void            nn_model_set_training                 (NnModel         *self,
                                                       gboolean         training);
gboolean        nn_model_get_training                 (NnModel         *self);

const NnMatrix *nn_model_forward                      (NnModel         *self,
                                                       const NnMatrix  *x);
void            nn_model_backward                     (NnModel         *self,
                                                       const NnMatrix  *x,
                                                       const NnMatrix  *y);
void            nn_model_backward_weighted            (NnModel         *self,
                                                       const NnMatrix  *x,
                                                       const NnMatrix  *y,
                                                       const double    *weights);
double          nn_model_get_regularization_loss      (NnModel         *self);
void            nn_model_add_regularization_gradients (NnModel         *self);
void            nn_model_apply_gradients              (NnModel         *self);
NnMatrix       *nn_model_predict                      (NnModel         *self,
                                                       const NnMatrix  *x);
double          nn_model_evaluate                     (NnModel         *self,
                                                       const NnMatrix  *x,
                                                       const NnMatrix  *y,
                                                       GError         **error);

guint           nn_model_get_min_training_batch       (NnModel         *self);
guint           nn_model_get_n_parameters             (NnModel         *self);
NnMatrix       *nn_model_get_parameter                (NnModel         *self,
                                                       guint            index);
const NnMatrix *nn_model_get_gradient                 (NnModel         *self,
                                                       guint            index);
double          nn_model_get_gradient_norm            (NnModel         *self);
void            nn_model_scale_gradients              (NnModel         *self,
                                                       double           factor);

G_END_DECLS
