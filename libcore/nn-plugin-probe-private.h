/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running a plugin's code in a child process first; not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs in the child; appends what the parent should know to @report. */
typedef gboolean (*NnPluginChildFunc) (gpointer   data,
                                       GString   *report,
                                       GError   **error);

G_GNUC_INTERNAL
gboolean nn_plugin_run_in_child   (const char         *path,
                                   NnPluginChildFunc   func,
                                   gpointer            data,
                                   char              **report,
                                   GError            **error);
G_GNUC_INTERNAL
gboolean nn_plugin_in_child       (void);

G_END_DECLS
