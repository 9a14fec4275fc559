/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun plot: loss and metric curves of runs. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The size of loss.png in pixels, and of loss.svg in points. */
#define NNRUN_PLOT_WIDTH  800
#define NNRUN_PLOT_HEIGHT 600

gboolean nnrun_plot_run_dirs   (const char * const *run_dirs,
                                guint               n,
                                const char         *out_dir,
                                GError            **error);
gboolean nnrun_plot_run_dir_as (const char         *run_dir,
                                const char         *label,
                                GError            **error);
int      nnrun_cmd_plot        (int                 argc,
                                char              **argv);

G_END_DECLS
