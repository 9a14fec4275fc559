/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "nn-errors.h"

G_DEFINE_QUARK (nn - plugin - error - quark, nn_plugin_error)
G_DEFINE_QUARK (nn - config - error - quark, nn_config_error)
G_DEFINE_QUARK (nn - model - error - quark, nn_model_error)
G_DEFINE_QUARK (nn - data - error - quark, nn_data_error)
