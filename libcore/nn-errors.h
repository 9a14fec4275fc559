/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * NN_PLUGIN_ERROR:
 *
 * Error domain of plugin loading and lookup. Errors in this domain are from
 * the [enum@Nn.PluginError] enumeration.
 */
#define NN_PLUGIN_ERROR (nn_plugin_error_quark ())

/**
 * NnPluginError:
 * @NN_PLUGIN_ERROR_FAILED: generic failure
 * @NN_PLUGIN_ERROR_NOT_FOUND: no plugin registered under that name
 * @NN_PLUGIN_ERROR_INVALID: the file is not a usable plugin
 * @NN_PLUGIN_ERROR_ABI_MISMATCH: built for another ABI version or scalar type
 * @NN_PLUGIN_ERROR_DUPLICATE: a name or type already taken by another plugin
 * @NN_PLUGIN_ERROR_CRASHED: the plugin's code crashed, aborted or ended the
 *   process while it was being loaded in a child process
 *
 * The errors of the %NN_PLUGIN_ERROR domain.
 */
typedef enum {
  NN_PLUGIN_ERROR_FAILED,
  NN_PLUGIN_ERROR_NOT_FOUND,
  NN_PLUGIN_ERROR_INVALID,
  NN_PLUGIN_ERROR_ABI_MISMATCH,
  NN_PLUGIN_ERROR_DUPLICATE,
  NN_PLUGIN_ERROR_CRASHED,
} NnPluginError;

/**
 * NN_CONFIG_ERROR:
 *
 * Error domain of experiment files. Messages start with `FILE:LINE:COLUMN: `.
 */
#define NN_CONFIG_ERROR (nn_config_error_quark ())

/**
 * NnConfigError:
 * @NN_CONFIG_ERROR_FAILED: generic failure
 * @NN_CONFIG_ERROR_PARSE: not well-formed YAML
 * @NN_CONFIG_ERROR_UNKNOWN_KEY: a key that means nothing here
 * @NN_CONFIG_ERROR_MISSING_KEY: a required key is absent
 * @NN_CONFIG_ERROR_INVALID_VALUE: wrong type, out of range or inconsistent
 * @NN_CONFIG_ERROR_UNKNOWN_TYPE: an unknown plugin or scheme name
 *
 * The errors of the %NN_CONFIG_ERROR domain.
 */
typedef enum {
  NN_CONFIG_ERROR_FAILED,
  NN_CONFIG_ERROR_PARSE,
  NN_CONFIG_ERROR_UNKNOWN_KEY,
  NN_CONFIG_ERROR_MISSING_KEY,
  NN_CONFIG_ERROR_INVALID_VALUE,
  NN_CONFIG_ERROR_UNKNOWN_TYPE,
} NnConfigError;

/**
 * NN_MODEL_ERROR:
 *
 * Error domain of training and evaluation.
 */
#define NN_MODEL_ERROR (nn_model_error_quark ())

/**
 * NnModelError:
 * @NN_MODEL_ERROR_FAILED: generic failure
 * @NN_MODEL_ERROR_SHAPE_MISMATCH: data do not fit the model
 * @NN_MODEL_ERROR_NOT_FINITE: the loss or a parameter became NaN or infinite
 * @NN_MODEL_ERROR_IO: an output file could not be written
 * @NN_MODEL_ERROR_INVALID_FILE: a model or weights file that cannot be used:
 *   malformed, truncated, or not matching the model
 *
 * The errors of the %NN_MODEL_ERROR domain.
 */
typedef enum {
  NN_MODEL_ERROR_FAILED,
  NN_MODEL_ERROR_SHAPE_MISMATCH,
  NN_MODEL_ERROR_NOT_FINITE,
  NN_MODEL_ERROR_IO,
  NN_MODEL_ERROR_INVALID_FILE,
} NnModelError;

/**
 * NN_DATA_ERROR:
 *
 * Error domain of data sets: reading, encoding and splitting.
 */
#define NN_DATA_ERROR (nn_data_error_quark ())

/**
 * NnDataError:
 * @NN_DATA_ERROR_FAILED: generic failure
 * @NN_DATA_ERROR_PARSE: a malformed data file
 * @NN_DATA_ERROR_INVALID: data that cannot serve the requested task
 *
 * The errors of the %NN_DATA_ERROR domain.
 */
typedef enum {
  NN_DATA_ERROR_FAILED,
  NN_DATA_ERROR_PARSE,
  NN_DATA_ERROR_INVALID,
} NnDataError;

GQuark nn_plugin_error_quark (void);
GQuark nn_config_error_quark (void);
GQuark nn_model_error_quark  (void);
GQuark nn_data_error_quark   (void);

G_END_DECLS
