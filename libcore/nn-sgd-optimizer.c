/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-sgd-optimizer.h"

/**
 * NnSgdOptimizer:
 *
 * Plain gradient descent, `θ ← θ − η ∇θ`, registered as `sgd`. With the
 * whole training set as one batch this is the lesson's batch gradient
 * descent; with a batch size of 1 it is stochastic gradient descent.
 */
struct _NnSgdOptimizer
{
  NnOptimizer parent_instance;
};

G_DEFINE_FINAL_TYPE (NnSgdOptimizer, nn_sgd_optimizer, NN_TYPE_OPTIMIZER)

static void
nn_sgd_optimizer_update (NnOptimizer    *optimizer,
                         guint           index,
                         NnMatrix       *param,
                         const NnMatrix *grad)
{
  nn_real lr = (nn_real) nn_optimizer_get_learning_rate (optimizer);

  nn_matrix_axpy (-lr, grad, param);
}

static void
nn_sgd_optimizer_class_init (NnSgdOptimizerClass *klass)
{
  NnOptimizerClass *optimizer_class = NN_OPTIMIZER_CLASS (klass);

  optimizer_class->description = "Stochastic gradient descent";
  optimizer_class->update = nn_sgd_optimizer_update;
}

static void
nn_sgd_optimizer_init (NnSgdOptimizer *self)
{
}

/**
 * nn_sgd_optimizer_new:
 * @learning_rate: the step size
 *
 * Returns: (transfer full): a new plain gradient-descent optimizer
 */
NnOptimizer *
nn_sgd_optimizer_new (double learning_rate)
{
  return g_object_new (NN_TYPE_SGD_OPTIMIZER, "learning-rate", learning_rate, NULL);
}
