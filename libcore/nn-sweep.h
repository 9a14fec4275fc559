/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * NN_SWEEP_MAX_TRIALS:
 *
 * The most trials one sweep file may describe.
 */
#define NN_SWEEP_MAX_TRIALS 100000u

/**
 * NN_SWEEP_MAX_FOLDS:
 *
 * The most folds of a cross-validation.
 */
#define NN_SWEEP_MAX_FOLDS 1000u

#define NN_TYPE_SWEEP (nn_sweep_get_type ())
G_DECLARE_FINAL_TYPE (NnSweep, nn_sweep, NN, SWEEP, GObject)

NnSweep            *nn_sweep_new_from_file       (const char    *path,
                                                  GError       **error);
NnSweep            *nn_sweep_new_cv              (const char    *experiment_path,
                                                  guint          folds,
                                                  guint          repeats,
                                                  const char    *output_dir);
gboolean            nn_sweep_check               (NnSweep       *self,
                                                  GError       **error);
const char         *nn_sweep_get_path            (NnSweep       *self);
const char         *nn_sweep_get_experiment_path (NnSweep       *self);
const char         *nn_sweep_get_output_dir      (NnSweep       *self);
guint               nn_sweep_get_n_trials        (NnSweep       *self);
guint               nn_sweep_get_repeats         (NnSweep       *self);
guint               nn_sweep_get_folds           (NnSweep       *self);
gboolean            nn_sweep_is_cv               (NnSweep       *self);
const char * const *nn_sweep_get_parameters      (NnSweep       *self);
gboolean            nn_sweep_get_parameter_log   (NnSweep       *self,
                                                  guint          parameter);
const char * const *nn_sweep_get_trial_values    (NnSweep       *self,
                                                  guint          trial);
GStrv               nn_sweep_get_run_overrides   (NnSweep       *self,
                                                  guint          trial,
                                                  guint          repeat);
GStrv               nn_sweep_get_fold_overrides  (NnSweep       *self,
                                                  guint          trial,
                                                  guint          repeat,
                                                  guint          fold);
const char         *nn_sweep_get_metric          (NnSweep       *self);
gboolean            nn_sweep_get_greater_is_better (NnSweep     *self);
const char * const *nn_sweep_get_metric_columns  (NnSweep       *self);
char               *nn_sweep_trial_to_yaml       (NnSweep       *self,
                                                  guint          trial,
                                                  GError       **error);

G_END_DECLS
