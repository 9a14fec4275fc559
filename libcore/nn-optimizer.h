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
 * @update: applies one step to parameter @index given its gradient; it
 *   never allocates
 * @validate: checks the properties taken together (a single property's range
 *   is its #GParamSpec's); %NULL means every combination is valid
 * @save_state: adds the per-parameter state to @state, normally with
 *   [func@Nn.Optimizer.state_add_buffers]; the base class has already added the
 *   type and the step count
 * @load_state: reads back what @save_state wrote, normally with
 *   [func@Nn.Optimizer.state_read_buffers]; [method@Nn.Optimizer.load_state]
 *   has already checked that @state has exactly the keys, types and shapes that
 *   @save_state would write
 *
 * The model numbers its parameters once (weights and bias of each layer in
 * order) and always passes the same index for the same parameter. The step
 * number of the update being applied (1 for the first) is
 * [method@Nn.Optimizer.get_iterations].
 */
struct _NnOptimizerClass
{
  GObjectClass parent_class;

  const char *description;

  void     (*prepare)    (NnOptimizer     *self,
                          guint            n_params,
                          const NnMatrix **params);
  void     (*update)     (NnOptimizer     *self,
                          guint            index,
                          NnMatrix        *param,
                          const NnMatrix  *grad);
  gboolean (*validate)   (NnOptimizer     *self,
                          GError         **error);
  void     (*save_state) (NnOptimizer     *self,
                          GVariantDict    *state);
  gboolean (*load_state) (NnOptimizer     *self,
                          GVariantDict    *state,
                          GError         **error);

  /*< private >*/
  gpointer padding[5];
};

void         nn_optimizer_prepare            (NnOptimizer     *self,
                                              guint            n_params,
                                              const NnMatrix **params);
void         nn_optimizer_step               (NnOptimizer     *self,
                                              guint            n_params,
                                              NnMatrix       **params,
                                              const NnMatrix **grads);
double       nn_optimizer_get_learning_rate  (NnOptimizer     *self);
void         nn_optimizer_set_learning_rate  (NnOptimizer     *self,
                                              double           learning_rate);
guint64      nn_optimizer_get_iterations     (NnOptimizer     *self);
const char  *nn_optimizer_get_name           (NnOptimizer     *self);
NnOptimizer *nn_optimizer_new_by_name        (const char      *name,
                                              GError         **error);
gboolean     nn_optimizer_validate           (NnOptimizer     *self,
                                              GError         **error);
GVariant    *nn_optimizer_save_state         (NnOptimizer     *self);
gboolean     nn_optimizer_load_state         (NnOptimizer     *self,
                                              GVariant        *state,
                                              GError         **error);

void         nn_optimizer_state_add_buffers  (GVariantDict    *state,
                                              const char      *key,
                                              GPtrArray       *buffers);
gboolean     nn_optimizer_state_read_buffers (GVariantDict    *state,
                                              const char      *key,
                                              GPtrArray       *buffers,
                                              GError         **error);

G_END_DECLS
