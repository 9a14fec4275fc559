/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "nn-errors.h"

/**
 * nn_plugin_error_quark:
 *
 * The quark of the error domain %NN_PLUGIN_ERROR.
 *
 * Returns: the quark
 */
/* clang-format off */
G_DEFINE_QUARK (nn-plugin-error-quark, nn_plugin_error)
/* clang-format on */

/**
 * nn_config_error_quark:
 *
 * The quark of the error domain %NN_CONFIG_ERROR.
 *
 * Returns: the quark
 */
/* clang-format off */
G_DEFINE_QUARK (nn-config-error-quark, nn_config_error)
/* clang-format on */

/**
 * nn_model_error_quark:
 *
 * The quark of the error domain %NN_MODEL_ERROR.
 *
 * Returns: the quark
 */
/* clang-format off */
G_DEFINE_QUARK (nn-model-error-quark, nn_model_error)
/* clang-format on */

/**
 * nn_data_error_quark:
 *
 * The quark of the error domain %NN_DATA_ERROR.
 *
 * Returns: the quark
 */
/* clang-format off */
G_DEFINE_QUARK (nn-data-error-quark, nn_data_error)
/* clang-format on */
