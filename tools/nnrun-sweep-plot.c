/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sweep.svg and sweep.png: a panel per swept parameter, the metric of each
 * trial against the parameter's value, and a panel with the loss curves
 * of the best few trials, drawn with PLplot as nnrun plot draws loss.svg. */
#include <math.h>
#include <string.h>

#include <plplot.h>

#include "nnrun-plot.h"
#include "nnrun-sweep.h"

#define BEST_CURVES 3
#define TEXT_SCALE 0.8
#define POINT_CODE 17 /* a filled dot */

typedef struct
{
  guint   n;
  double *x;
  double *y;
} Curve;

typedef struct
{
  NnSweep    *sweep;
  guint       n_params;
  guint       n_trials;
  double     *score; /* each trial's mean of the metric; NaN without one */
  gint        best[BEST_CURVES];
  Curve       curves[BEST_CURVES];
  const char *curve_column;
} SweepPlot;

/* The epochs and @column of @dir/history.csv; n = 0 if it has none. */
static Curve
read_curve (const char *dir,
            const char *column)
{
  g_autofree char *path = g_build_filename (dir, "history.csv", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) header = NULL;
  Curve curve = { 0, NULL, NULL };
  gint  epoch = -1, col = -1;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return curve;
  lines = g_strsplit (text, "\n", -1);
  header = g_strsplit (lines[0] ? lines[0] : "", ",", -1);
  for (gint c = 0; header[c] != NULL; c++)
    {
      g_strstrip (header[c]);
      if (g_str_equal (header[c], "epoch"))
        epoch = c;
      else if (g_str_equal (header[c], column))
        col = c;
    }
  if (epoch < 0 || col < 0)
    return curve;
  curve.x = g_new (double, g_strv_length (lines));
  curve.y = g_new (double, g_strv_length (lines));
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], ",", -1);
      guint  n = g_strv_length (fields);
      double y;

      if (n <= (guint) MAX (epoch, col) || *fields[col] == '\0')
        continue;
      y = g_ascii_strtod (fields[col], NULL);
      if (!isfinite (y))
        continue;
      curve.x[curve.n] = g_ascii_strtod (fields[epoch], NULL);
      curve.y[curve.n++] = y;
    }
  return curve;
}

/* The value of parameter @p in each trial as a number, or FALSE if one of
 * them is not a number. */
static gboolean
numeric_values (const SweepPlot *sp,
                guint            p,
                double          *x)
{
  for (guint t = 0; t < sp->n_trials; t++)
    {
      const char *text = nn_sweep_get_trial_values (sp->sweep, t)[p];
      char       *end = NULL;

      x[t] = g_ascii_strtod (text, &end);
      if (end == text || *end != '\0' || !isfinite (x[t]))
        return FALSE;
    }
  return TRUE;
}

/* A log axis for a range sampled on a log scale, or values above 0 that
 * span two decades or more (a grid of 0.1, 0.01, 0.001). */
static gboolean
wants_log (const SweepPlot *sp,
           guint            p,
           const double    *x)
{
  double lo = INFINITY, hi = -INFINITY;

  if (nn_sweep_get_parameter_log (sp->sweep, p))
    return TRUE;
  for (guint t = 0; t < sp->n_trials; t++)
    {
      lo = MIN (lo, x[t]);
      hi = MAX (hi, x[t]);
    }
  return lo > 0 && hi / lo >= 100;
}

static void
padded_range (const double *v,
              guint         n,
              double       *lo,
              double       *hi)
{
  double min = INFINITY, max = -INFINITY, pad;

  for (guint i = 0; i < n; i++)
    if (isfinite (v[i]))
      {
        min = MIN (min, v[i]);
        max = MAX (max, v[i]);
      }
  if (!isfinite (min))
    {
      min = 0;
      max = 1;
    }
  pad = max > min ? 0.08 * (max - min) : MAX (0.08 * fabs (max), 0.5);
  *lo = min - pad;
  *hi = max + pad;
}

/* Non-numeric values (an optimizer's name) at 0, 1, 2... in the order of
 * their first trial, each named under its place. */
static guint
category_values (const SweepPlot *sp,
                 guint            p,
                 double          *x,
                 GPtrArray       *names)
{
  for (guint t = 0; t < sp->n_trials; t++)
    {
      const char *text = nn_sweep_get_trial_values (sp->sweep, t)[p];
      guint       k = 0;

      while (k < names->len && !g_str_equal (names->pdata[k], text))
        k++;
      if (k == names->len)
        g_ptr_array_add (names, (gpointer) text);
      x[t] = k;
    }
  return names->len;
}

static void
draw_param_panel (const SweepPlot *sp,
                  guint            p,
                  const PLFLT      box[4])
{
  g_autofree double *x = g_new (double, sp->n_trials);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree char *xlabel = NULL;
  g_autofree char *ylabel = nnrun_plot_text (nn_sweep_get_metric (sp->sweep));
  gboolean         numeric = numeric_values (sp, p, x);
  gboolean         log_axis = numeric && wants_log (sp, p, x);
  double           xlo, xhi, ylo, yhi;

  if (!numeric)
    category_values (sp, p, x, names);
  for (guint t = 0; log_axis && t < sp->n_trials; t++)
    x[t] = log10 (x[t]);
  padded_range (x, sp->n_trials, &xlo, &xhi);
  if (!numeric)
    {
      xlo = -0.5;
      xhi = names->len - 0.5;
    }
  padded_range (sp->score, sp->n_trials, &ylo, &yhi);
  xlabel = nnrun_plot_text (nn_sweep_get_parameters (sp->sweep)[p]);

  plvpor (box[0], box[1], box[2], box[3]);
  plwind (xlo, xhi, ylo, yhi);
  plcol0 (NNRUN_PLOT_GRID);
  plbox (numeric ? (log_axis ? "gl" : "g") : "", 0, 0, "g", 0, 0);
  plcol0 (NNRUN_PLOT_INK);
  plbox (numeric ? (log_axis ? "bcnstl" : "bcnst") : "bc", 0, 0, "bcnstv", 0, 0);
  for (guint k = 0; k < names->len; k++)
    {
      g_autofree char *shown = nnrun_plot_text (names->pdata[k]);

      plmtex ("b", 1.5, (k - xlo) / (xhi - xlo), 0.5, shown);
    }
  pllab (xlabel, ylabel, "");
  for (guint t = 0; t < sp->n_trials; t++)
    {
      PLFLT px = x[t], py = sp->score[t];

      if (!isfinite (py))
        continue;
      plcol0 (NNRUN_PLOT_FIRST_SERIES + (sp->best[0] == (gint) t ? 3 : 0));
      plpoin (1, &px, &py, POINT_CODE);
    }
}

static void
draw_curves_panel (const SweepPlot *sp,
                   const PLFLT      box[4])
{
  double           lo = INFINITY, hi = -INFINITY, xlo = INFINITY, xhi = -INFINITY;
  PLINT            opts[BEST_CURVES], colours[BEST_CURVES], text_colours[BEST_CURVES];
  PLINT            styles[BEST_CURVES];
  PLFLT            widths[BEST_CURVES], lw, lh;
  const char      *text[BEST_CURVES];
  g_autofree char *labels[BEST_CURVES] = { NULL };
  g_autofree char *ylabel = nnrun_plot_text (sp->curve_column);
  guint            n = 0;

  for (guint i = 0; i < BEST_CURVES; i++)
    for (guint k = 0; k < sp->curves[i].n; k++)
      {
        lo = MIN (lo, sp->curves[i].y[k]);
        hi = MAX (hi, sp->curves[i].y[k]);
        xlo = MIN (xlo, sp->curves[i].x[k]);
        xhi = MAX (xhi, sp->curves[i].x[k]);
      }
  if (xhi <= xlo)
    {
      xlo -= 1;
      xhi += 1;
    }
  if (hi <= lo)
    hi = lo + 1;
  plvpor (box[0], box[1], box[2], box[3]);
  plwind (xlo, xhi, lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo));
  plcol0 (NNRUN_PLOT_GRID);
  plbox ("g", 0, 0, "g", 0, 0);
  plcol0 (NNRUN_PLOT_INK);
  plbox ("bcnst", 0, 0, "bcnstv", 0, 0);
  pllab ("epoch", ylabel, "");
  for (guint i = 0; i < BEST_CURVES; i++)
    {
      if (sp->curves[i].n == 0)
        continue;
      plcol0 (NNRUN_PLOT_FIRST_SERIES + i);
      plwidth (2.0);
      plline ((PLINT) sp->curves[i].n, sp->curves[i].x, sp->curves[i].y);
      plwidth (1.0);
      labels[n] = g_strdup_printf ("trial %d", sp->best[i]);
      opts[n] = PL_LEGEND_LINE;
      colours[n] = NNRUN_PLOT_FIRST_SERIES + i;
      text_colours[n] = NNRUN_PLOT_INK;
      styles[n] = 1;
      widths[n] = 2.0;
      text[n] = labels[n];
      n++;
    }
  if (n > 0)
    pllegend (&lw, &lh, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
              PL_POSITION_RIGHT | PL_POSITION_INSIDE | PL_POSITION_TOP, 0.02, 0.04, 0.08,
              NNRUN_PLOT_BACKGROUND, NNRUN_PLOT_INK, 1, 0, 0, (PLINT) n, opts, 0.8, 0.75, 1.8,
              0.0, text_colours, text, NULL, NULL, NULL, NULL, colours, styles, widths, NULL,
              NULL, NULL, NULL);
}

static void
draw_sweep (gconstpointer data)
{
  const SweepPlot *sp = data;
  gboolean         curves = sp->curves[0].n > 0;
  guint            panels = sp->n_params + (curves ? 1 : 0);
  guint            cols = panels == 1 ? 1 : panels <= 4 ? 2
                                                        : 3;
  guint            rows = (panels + cols - 1) / cols;

  pladv (0);
  plschr (0, TEXT_SCALE);
  for (guint i = 0; i < panels; i++)
    {
      double w = 1.0 / cols, h = 1.0 / rows;
      double x0 = (i % cols) * w, top = 1.0 - (i / cols) * h;
      PLFLT  box[4] = { x0 + 0.2 * w, x0 + 0.96 * w, top - 0.84 * h, top - 0.06 * h };

      if (i < sp->n_params)
        draw_param_panel (sp, i, box);
      else
        draw_curves_panel (sp, box);
    }
}

/* The trials with a score, best first, the first BEST_CURVES of them. */
static void
find_best (SweepPlot *sp)
{
  gboolean greater = nn_sweep_get_greater_is_better (sp->sweep);

  for (guint i = 0; i < BEST_CURVES; i++)
    {
      sp->best[i] = -1;
      for (guint t = 0; t < sp->n_trials; t++)
        {
          double   v = sp->score[t];
          gboolean taken = FALSE;

          for (guint j = 0; j < i; j++)
            taken |= sp->best[j] == (gint) t;
          if (taken || !isfinite (v))
            continue;
          if (sp->best[i] < 0 || (greater ? v > sp->score[sp->best[i]] : v < sp->score[sp->best[i]]))
            sp->best[i] = (gint) t;
        }
    }
}

gboolean
nnrun_sweep_plot (NnSweep   *sweep,
                  GPtrArray *rows,
                  GError   **error)
{
  const char * const *metrics = nn_sweep_get_metric_columns (sweep);
  SweepPlot           sp = { sweep, 0, nn_sweep_get_n_trials (sweep), NULL, { 0 }, { { 0 } }, NULL };
  guint               m = 0;
  g_autoptr(GBytes) svg = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autofree char *svg_path = g_build_filename (nn_sweep_get_output_dir (sweep), "sweep.svg", NULL);
  g_autofree char *png_path = g_build_filename (nn_sweep_get_output_dir (sweep), "sweep.png", NULL);
  gboolean         ok;

  sp.n_params = g_strv_length ((GStrv) nn_sweep_get_parameters (sweep));
  sp.curve_column = g_strv_contains (metrics, "val_loss") ? "val_loss" : "loss";
  while (!g_str_equal (metrics[m], nn_sweep_get_metric (sweep)))
    m++;
  sp.score = g_new (double, MAX (sp.n_trials, 1));
  for (guint t = 0; t < sp.n_trials; t++)
    {
      double std;
      guint  n;

      if (!nnrun_sweep_stats (sweep, rows, t, m, &sp.score[t], &std, &n))
        sp.score[t] = NAN;
    }
  find_best (&sp);
  for (guint i = 0; i < BEST_CURVES; i++)
    if (sp.best[i] >= 0)
      {
        g_autofree char *dir = nnrun_sweep_run_dir (sweep, (guint) sp.best[i], 0, 0);

        sp.curves[i] = read_curve (dir, sp.curve_column);
      }

  svg = nnrun_plot_render (draw_sweep, &sp, "svg", error);
  png = svg ? nnrun_plot_render (draw_sweep, &sp, "pngcairo", error) : NULL;
  ok = png != NULL && nnrun_plot_write_file (svg_path, svg, error) &&
       nnrun_plot_write_file (png_path, png, error);
  for (guint i = 0; i < BEST_CURVES; i++)
    {
      g_free (sp.curves[i].x);
      g_free (sp.curves[i].y);
    }
  g_free (sp.score);
  return ok;
}
