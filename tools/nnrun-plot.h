/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun plot: loss and metric curves of runs. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The size of loss.png in pixels, and of loss.svg in points. */
#define NNRUN_PLOT_WIDTH  800
#define NNRUN_PLOT_HEIGHT 600

/* cmap0 entries the plots draw with: 0 is the background. */
enum {
  NNRUN_PLOT_BACKGROUND,
  NNRUN_PLOT_INK,
  NNRUN_PLOT_GRID,
  NNRUN_PLOT_FIRST_SERIES,
};
/* The colours of series, from NNRUN_PLOT_FIRST_SERIES. */
#define NNRUN_PLOT_N_SERIES 10

/* Draws a whole page with PLplot calls, between plinit() and plend1(). */
typedef void (*NnrunPlotDrawFunc) (gconstpointer data);

/* The page @draw_func draws, with the PLplot device @device ("svg",
 * "pngcairo"), NNRUN_PLOT_WIDTH × NNRUN_PLOT_HEIGHT, into memory; PLplot's
 * own messages go into the error, not to the terminal. */
GBytes  *nnrun_plot_render      (NnrunPlotDrawFunc   draw_func,
                                 gconstpointer       data,
                                 const char         *device,
                                 GError            **error);
/* Writes @path atomically; a failure names @path. */
gboolean nnrun_plot_write_file  (const char         *path,
                                 GBytes             *bytes,
                                 GError            **error);
/* @s as PLplot may draw it: valid UTF-8, no control characters, at most
 * 30 characters, '#' escaped. */
char    *nnrun_plot_text        (const char         *s);
/* The palette of the plots; called by nnrun_plot_render(). */
void     nnrun_plot_set_colours (void);

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
