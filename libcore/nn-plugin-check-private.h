/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the checks of activations and losses (nn-plugin-check.c) and
 * of optimizers (nn-plugin-check-optimizer.c); not installed. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
gboolean nn_plugin_check_alternative_value (GParamSpec   *pspec,
                                            GValue       *value);
G_GNUC_INTERNAL
char    *nn_plugin_check_setting_label     (GParamSpec   *pspec,
                                            const GValue *value);

G_END_DECLS
