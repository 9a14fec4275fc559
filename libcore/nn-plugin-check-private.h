/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the checks of activations and losses (nn-plugin-check.c), of
 * layer kinds (nn-plugin-check-layer.c) and of optimizers
 * (nn-plugin-check-optimizer.c); not installed. */
#pragma once

#include <glib-object.h>

#include "nn-plugin-check.h"

G_BEGIN_DECLS

/* More kinks than this share of the points is not a piecewise smooth
 * function but a noisy or discontinuous one. */
#define NN_PLUGIN_CHECK_MAX_KINK_SHARE 0.25

/* One class with one setting being checked. */
typedef struct
{
  NnPluginCheckResult *result;
  gboolean             failed_hard; /* a failure other than wrong derivatives */
  guint                n_mismatches;
  guint                n_below;       /* of them, at z < 0 (or pred < target) */
  guint                n_above;       /* at z > 0 (or pred > target) */
  double               worst_ratio;   /* error / tolerance of the worst mismatch */
  gboolean             worst_at_kink; /* it is near a kink: a smooth one is clearer */
  char                *worst;
} NnPluginCheck;

/* The change of the checked scalar when element @k of the input is set to
 * @value: non-finite if the function is not finite there. */
typedef double (*NnPluginCheckDelta) (gpointer data,
                                      gsize    k,
                                      nn_real  value);
typedef char *(*NnPluginCheckDescribe) (gpointer data,
                                        gsize    k);

/* A scalar whose derivatives are checked: sum(grad_a ⊙ f(z)) for an
 * activation, the loss for a loss. */
typedef struct
{
  NnPluginCheckDelta    delta;
  NnPluginCheckDescribe describe;
  gpointer              data;
  const char           *what; /* "backward" or "gradient" */
  double                atol;
  double                eps; /* relative rounding of the checked scalar */
} NnPluginCheckObjective;

G_GNUC_INTERNAL
void     nn_plugin_check_fail     (NnPluginCheck                *check,
                                   const char                   *format,
                                   ...) G_GNUC_PRINTF (2, 3);
G_GNUC_INTERNAL
double   nn_plugin_check_step_for (double                        x);
G_GNUC_INTERNAL
gboolean nn_plugin_check_point    (NnPluginCheck                *check,
                                   const NnPluginCheckObjective *obj,
                                   gsize                         k,
                                   nn_real                       x,
                                   double                        h,
                                   double                        g,
                                   double                        magnitude,
                                   int                           side);

/* Checks one setting of @type: the defaults (@pspec NULL), or @pspec set
 * to @value. */
typedef NnPluginCheckResult *(*NnPluginCheckSetting) (GType         type,
                                                      const char   *name,
                                                      GParamSpec   *pspec,
                                                      const GValue *value,
                                                      guint32       seed);

G_GNUC_INTERNAL
GPtrArray *nn_plugin_check_each_setting    (GType                 type,
                                            gboolean              of_kind,
                                            const char           *kind,
                                            guint32               seed,
                                            NnPluginCheckSetting  check,
                                            GError              **error);
G_GNUC_INTERNAL
gboolean nn_plugin_check_alternative_value (GParamSpec   *pspec,
                                            GValue       *value);
G_GNUC_INTERNAL
char    *nn_plugin_check_setting_label     (GParamSpec   *pspec,
                                            const GValue *value);

G_END_DECLS
