/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include "nn-optimizer.h"

G_BEGIN_DECLS

#define NN_TYPE_ADAGRAD_OPTIMIZER (nn_adagrad_optimizer_get_type ())
G_DECLARE_FINAL_TYPE (NnAdagradOptimizer, nn_adagrad_optimizer, NN, ADAGRAD_OPTIMIZER, NnOptimizer)

G_END_DECLS
