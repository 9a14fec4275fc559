/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn-plugin-check.h: checking a plugin's derivatives against finite differences. */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>
#include "nn-real.h"

G_BEGIN_DECLS

/**
 * NN_PLUGIN_CHECK_RTOL:
 *
 * The relative tolerance of [func@Nn.plugin_check_type]: tight in a double
 * build; in a float build, where a central difference is good to a few
 * 1e-4, it still catches a derivative that is 1 % off.
 */
/**
 * NN_PLUGIN_CHECK_ATOL:
 *
 * The absolute tolerance of [func@Nn.plugin_check_type], for derivatives close
 * to zero. For a loss it is divided by the number of elements, since its
 * gradient is that of a mean.
 */
#if NN_REAL_IS_DOUBLE
#define NN_PLUGIN_CHECK_RTOL 1e-6
#define NN_PLUGIN_CHECK_ATOL 1e-8
#else
#define NN_PLUGIN_CHECK_RTOL 5e-3
#define NN_PLUGIN_CHECK_ATOL 5e-4
#endif

/**
 * NnPluginCheckResult:
 * @name: the registered name of the class checked, such as `"leaky_relu"`
 * @kind: `"activation"`, `"loss"`, `"optimizer"` or `"layer"`
 * @setting: `"default"`, or the one parameter set away from its default,
 *   as the experiment file would spell it (`"alpha=0.02"`)
 * @domain: the inputs checked: `"reals"`, or `"probabilities"` for a loss
 *   that is defined on predictions in (0, 1) only; `"training"` for a
 *   layer kind, checked in training mode
 * @n_points: the points where the derivative was compared
 * @n_kinks: how many of them lie where the function is not smooth at the
 *   step size (as relu at 0); there the derivative must lie between the
 *   one-sided differences
 * @max_abs_error: the largest |derivative − central difference| away from
 *   kinks
 * @max_rel_error: the same, relative, where the derivative is not tiny
 * @passed: whether every check passed
 * @failure: (nullable): what failed, in one sentence, or %NULL
 *
 * The outcome of checking one class with one parameter setting.
 */
typedef struct {
  char     *name;
  char     *kind;
  char     *setting;
  char     *domain;
  guint     n_points;
  guint     n_kinks;
  double    max_abs_error;
  double    max_rel_error;
  gboolean  passed;
  char     *failure;
} NnPluginCheckResult;

#define NN_TYPE_PLUGIN_CHECK_RESULT (nn_plugin_check_result_get_type ())

GType                nn_plugin_check_result_get_type (void) G_GNUC_CONST;
NnPluginCheckResult *nn_plugin_check_result_copy     (const NnPluginCheckResult *result);
void                 nn_plugin_check_result_free     (NnPluginCheckResult       *result);

GPtrArray           *nn_plugin_check_type            (GType                      type,
                                                      guint32                    seed,
                                                      GError                   **error);
GPtrArray           *nn_plugin_check_optimizer       (GType                      type,
                                                      guint32                    seed,
                                                      GError                   **error);
GPtrArray           *nn_plugin_check_layer           (GType                      type,
                                                      guint32                    seed,
                                                      GError                   **error);
gboolean             nn_plugin_check_all_passed      (GPtrArray                 *results);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnPluginCheckResult, nn_plugin_check_result_free)

G_END_DECLS
