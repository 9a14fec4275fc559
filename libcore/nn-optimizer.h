/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>
#include "nn-matrix.h"

G_BEGIN_DECLS

/**
 * NN_OPTIMIZER_EXTENSION_POINT_NAME:
 *
 * The GIO extension point under which optimizers register.
 */
#define NN_OPTIMIZER_EXTENSION_POINT_NAME "nn-optimizer"

#define NN_TYPE_OPTIMIZER (nn_optimizer_get_type ())
G_DECLARE_DERIVABLE_TYPE (NnOptimizer, nn_optimizer, NN, OPTIMIZER, GObject)

/**
 * NnOptimizerClass:
 * @parent_class: the parent class
 * @description: one line shown by `nnrun plugins`
 * @prepare: called once with the shapes of all parameters before the first
 *   step, to allocate per-parameter state (momentum buffers and the like)
 * @update: applies one step to parameter @index given its gradient
 *
 * The model numbers its parameters once (weights and bias of each layer in
 * order) and always passes the same index for the same parameter.
 */
struct _NnOptimizerClass
{
  GObjectClass parent_class;

  const char *description;

  void (*prepare) (NnOptimizer     *self,
                   guint            n_params,
                   const NnMatrix **params);
  void (*update)  (NnOptimizer     *self,
                   guint            index,
                   NnMatrix        *param,
                   const NnMatrix  *grad);

  /*< private >*/
  gpointer padding[8];
};

void         nn_optimizer_prepare           (NnOptimizer     *self,
                                             guint            n_params,
                                             const NnMatrix **params);
void         nn_optimizer_step              (NnOptimizer     *self,
                                             guint            n_params,
                                             NnMatrix       **params,
                                             const NnMatrix **grads);
double       nn_optimizer_get_learning_rate (NnOptimizer     *self);
void         nn_optimizer_set_learning_rate (NnOptimizer     *self,
                                             double           learning_rate);
guint64      nn_optimizer_get_iterations    (NnOptimizer     *self);
const char  *nn_optimizer_get_name          (NnOptimizer     *self);
NnOptimizer *nn_optimizer_new_by_name       (const char      *name,
                                             GError         **error);

G_END_DECLS
