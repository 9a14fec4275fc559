/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include "nn-optimizer.h"

G_BEGIN_DECLS

#define NN_TYPE_RMSPROP_OPTIMIZER (nn_rmsprop_optimizer_get_type ())
G_DECLARE_FINAL_TYPE (NnRmspropOptimizer, nn_rmsprop_optimizer, NN, RMSPROP_OPTIMIZER, NnOptimizer)

G_END_DECLS
