/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include "nn-optimizer.h"

G_BEGIN_DECLS

#define NN_TYPE_ADAM_OPTIMIZER (nn_adam_optimizer_get_type ())
G_DECLARE_DERIVABLE_TYPE (NnAdamOptimizer, nn_adam_optimizer, NN, ADAM_OPTIMIZER, NnOptimizer)

/**
 * NnAdamOptimizerClass:
 * @parent_class: the parent class
 * @decoupled_weight_decay: %FALSE to add `weight-decay` × θ to the gradient
 *   (an L2 penalty, as Adam does), %TRUE to scale θ by
 *   1 − `learning-rate` × `weight-decay` before each step instead (as
 *   [class@Nn.AdamwOptimizer] does)
 *
 * The class of [class@Nn.AdamOptimizer].
 */
struct _NnAdamOptimizerClass
{
  NnOptimizerClass parent_class;

  gboolean decoupled_weight_decay;

  /*< private >*/
  gpointer padding[4];
};

G_END_DECLS
