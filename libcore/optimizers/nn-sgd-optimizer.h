/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include "nn-optimizer.h"

G_BEGIN_DECLS

#define NN_TYPE_SGD_OPTIMIZER (nn_sgd_optimizer_get_type ())
G_DECLARE_FINAL_TYPE (NnSgdOptimizer, nn_sgd_optimizer, NN, SGD_OPTIMIZER, NnOptimizer)

NnOptimizer *nn_sgd_optimizer_new (double learning_rate);

G_END_DECLS
