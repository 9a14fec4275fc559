/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by NnAdamOptimizer and NnAdamwOptimizer; not installed. */
#pragma once

#include "nn-adam-optimizer.h"

G_BEGIN_DECLS

/* Installs Adam's properties on @klass (a subclass installs them again so
 * that they keep their order and take its weight-decay default) after
 * setting its decoupled_weight_decay. */
G_GNUC_INTERNAL
void nn_adam_optimizer_class_install_properties (NnAdamOptimizerClass *klass,
                                                 gboolean              decoupled_weight_decay);

G_END_DECLS
