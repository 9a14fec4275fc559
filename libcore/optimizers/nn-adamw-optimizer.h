/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include "nn-adam-optimizer.h"

G_BEGIN_DECLS

#define NN_TYPE_ADAMW_OPTIMIZER (nn_adamw_optimizer_get_type ())
G_DECLARE_FINAL_TYPE (NnAdamwOptimizer, nn_adamw_optimizer, NN, ADAMW_OPTIMIZER, NnAdamOptimizer)

G_END_DECLS
