/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the checks of activations and losses (nn-plugin-check.c) and
 * of optimizers (nn-plugin-check-optimizer.c); not installed. */
#pragma once

#include <glib-object.h>

#include "nn-plugin-check.h"

G_BEGIN_DECLS

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
