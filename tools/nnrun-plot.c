/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun plot: training and validation loss, and the first metric, against
 * epoch, drawn with PLplot into loss.svg and loss.png. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <plplot.h>
#include <nn.h>

#include "nnrun-commands.h"
#include "nnrun-plot.h"

/* Matplotlib's tab10: distinct, and readable on white. */
static const guint8 series_rgb[][3] = {
  { 0x1f, 0x77, 0xb4 },
  { 0xff, 0x7f, 0x0e },
  { 0x2c, 0xa0, 0x2c },
  { 0xd6, 0x27, 0x28 },
  { 0x94, 0x67, 0xbd },
  { 0x8c, 0x56, 0x4b },
  { 0xe3, 0x77, 0xc2 },
  { 0x7f, 0x7f, 0x7f },
  { 0xbc, 0xbd, 0x22 },
  { 0x17, 0xbe, 0xcf },
};

#define N_SERIES_COLOURS NNRUN_PLOT_N_SERIES
G_STATIC_ASSERT (G_N_ELEMENTS (series_rgb) == NNRUN_PLOT_N_SERIES);
#define LINE_SOLID 1
#define LINE_DASHED 3
#define TEXT_SCALE 0.9

/* ---- history.csv --------------------------------------------------------- */

typedef struct
{
  char   *path;  /* of history.csv, for messages */
  char   *label; /* the run directory's name, for the legend */
  GStrv   columns;
  guint   n_cols;
  guint   n_rows;
  double *values; /* n_rows × n_cols; NaN for an empty field */
} History;

static void
history_free (History *h)
{
  g_free (h->path);
  g_free (h->label);
  g_strfreev (h->columns);
  g_free (h->values);
  g_free (h);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (History, history_free)

static int
history_column (const History *h,
                const char    *name)
{
  for (guint c = 0; c < h->n_cols; c++)
    if (g_str_equal (h->columns[c], name))
      return (int) c;
  return -1;
}

static double
history_at (const History *h,
            guint          row,
            int            col)
{
  return h->values[(gsize) row * h->n_cols + col];
}

static void
chomp_cr (char *line)
{
  gsize n = strlen (line);

  if (n > 0 && line[n - 1] == '\r')
    line[n - 1] = '\0';
}

static History *
history_read (const char *run_dir,
              const char *label,
              GError    **error)
{
  g_autoptr(History) h = g_new0 (History, 1);
  g_autoptr(GError) local = NULL;
  g_autofree char *text = NULL;
  g_autofree char *dir = g_canonicalize_filename (run_dir, NULL);
  g_auto(GStrv) lines = NULL;
  gsize length, n_lines;

  h->path = g_build_filename (run_dir, "history.csv", NULL);
  h->label = label ? g_strdup (label) : g_path_get_basename (dir);
  if (!g_file_get_contents (h->path, &text, &length, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                     "%s: no such file; is '%s' a run directory?", h->path, run_dir);
      else
        g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED, "%s", local->message);
      return NULL;
    }
  if (strlen (text) != length || !g_utf8_validate (text, length, NULL))
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE, "%s: not a CSV text file",
                   h->path);
      return NULL;
    }

  lines = g_strsplit (text, "\n", -1);
  n_lines = g_strv_length (lines);
  while (n_lines > 0 && lines[n_lines - 1][0] == '\0')
    n_lines--; /* the final newline */
  if (n_lines == 0)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                   "%s: empty; expected the header epoch,loss,val_loss,...", h->path);
      return NULL;
    }

  chomp_cr (lines[0]);
  h->columns = g_strsplit (lines[0], ",", -1);
  h->n_cols = g_strv_length (h->columns);
  if (history_column (h, "epoch") < 0 || history_column (h, "loss") < 0)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                   "%s:1: the header needs the columns 'epoch' and 'loss', as in "
                   "epoch,loss,val_loss,...",
                   h->path);
      return NULL;
    }

  h->n_rows = n_lines - 1;
  h->values = g_new (double, (gsize) h->n_rows * h->n_cols);
  for (guint r = 0; r < h->n_rows; r++)
    {
      g_auto(GStrv) fields = NULL;
      guint line = r + 2;

      chomp_cr (lines[r + 1]);
      fields = g_strsplit (lines[r + 1], ",", -1);
      if (g_strv_length (fields) != h->n_cols)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                       "%s:%u: %u fields, but the header has %u", h->path, line,
                       g_strv_length (fields), h->n_cols);
          return NULL;
        }
      for (guint c = 0; c < h->n_cols; c++)
        {
          char  *end = NULL;
          double v = NAN;

          if (fields[c][0] != '\0')
            {
              v = g_ascii_strtod (fields[c], &end);
              if (end == fields[c] || *end != '\0')
                {
                  g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                               "%s:%u: '%s' in column '%s' is not a number", h->path, line,
                               fields[c], h->columns[c]);
                  return NULL;
                }
            }
          h->values[(gsize) r * h->n_cols + c] = v;
        }
      if (!isfinite (history_at (h, r, history_column (h, "epoch"))))
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                       "%s:%u: no epoch number", h->path, line);
          return NULL;
        }
    }
  if (h->n_rows == 0)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE, "%s: no epochs", h->path);
      return NULL;
    }
  return g_steal_pointer (&h);
}

/* The first metric column: what follows loss and val_loss up to
 * learning_rate, without its val_ twin. */
static const char *
history_first_metric (const History *h)
{
  static const char * const not_metrics[] = {
    "epoch", "loss", "val_loss", "learning_rate", "seconds", NULL
  };

  for (guint c = 0; c < h->n_cols; c++)
    if (!g_strv_contains (not_metrics, h->columns[c]) &&
        !g_str_has_prefix (h->columns[c], "val_") && h->columns[c][0] != '\0')
      return h->columns[c];
  return NULL;
}

/* ---- drawing ------------------------------------------------------------- */

typedef struct
{
  const History *h;
  int            col;
  PLINT          colour;
  PLINT          style;
  char          *label;
} Series;

static void
series_clear (Series *s)
{
  g_free (s->label);
}

typedef struct
{
  GPtrArray  *histories;
  const char *metric; /* nullable */
  double      xmin, xmax;
} Plot;

/* The most characters of a name that a plot shows: about what fits along
 * the side of a panel. PLplot copies each string it draws into fixed
 * buffers (1024 characters for the text of a Unicode device), which a long
 * name would overrun. */
#define PLOT_TEXT_MAX_CHARS 30

/* @s as PLplot may be given it, whatever it holds: valid UTF-8 (a bad byte
 * becomes U+FFFD), no control characters or line breaks (U+FFFD too), at
 * most PLOT_TEXT_MAX_CHARS characters (a longer name is cut at a character
 * and ends in "…"), and '#', PLplot's escape character ("#u", "#fr"...),
 * doubled so that it is drawn as itself. */
char *
nnrun_plot_text (const char *s)
{
  g_autofree char *valid = g_utf8_make_valid (s, -1);
  g_autoptr(GString) out = g_string_new (NULL);
  glong n = g_utf8_strlen (valid, -1);
  glong i = 0;

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p), i++)
    {
      gunichar     c = g_utf8_get_char (p);
      GUnicodeType type = g_unichar_type (c);

      if (n > PLOT_TEXT_MAX_CHARS && i == PLOT_TEXT_MAX_CHARS - 1)
        {
          g_string_append (out, "…");
          break;
        }
      if (type == G_UNICODE_CONTROL || type == G_UNICODE_LINE_SEPARATOR ||
          type == G_UNICODE_PARAGRAPH_SEPARATOR)
        c = 0xFFFD; /* the replacement character */
      if (c == '#')
        g_string_append_c (out, '#');
      g_string_append_unichar (out, c);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* A tick step of 1, 2 or 5 × 10^k epochs, at least 1, and its number of
 * minor intervals, so that every tick falls on a whole epoch. */
static double
epoch_step (double range,
            PLINT *n_sub)
{
  double raw = range / 8, magnitude, f, step;

  if (raw <= 1)
    {
      *n_sub = 1;
      return 1;
    }
  magnitude = pow (10, floor (log10 (raw)));
  f = raw / magnitude;
  step = (f <= 1 ? 1 : f <= 2 ? 2
                     : f <= 5 ? 5
                              : 10) *
         magnitude;
  *n_sub = step / magnitude == 2 ? 2 : 5;
  return step;
}

static void
value_range (GArray *series,
             double *lo,
             double *hi)
{
  double min = INFINITY, max = -INFINITY, pad;

  for (guint i = 0; i < series->len; i++)
    {
      const Series *s = &g_array_index (series, Series, i);
      for (guint r = 0; r < s->h->n_rows; r++)
        {
          double v = history_at (s->h, r, s->col);
          if (isfinite (v))
            {
              min = MIN (min, v);
              max = MAX (max, v);
            }
        }
    }
  if (!isfinite (min))
    {
      min = 0;
      max = 1;
    }
  pad = max > min ? 0.05 * (max - min) : MAX (0.05 * fabs (max), 0.05);
  *lo = min - pad;
  *hi = max + pad;
}

/* Consecutive finite points as one line; a lone point as a marker. */
static void
draw_series (const Series *s,
             int           epoch_col)
{
  const History    *h = s->h;
  g_autofree PLFLT *x = g_new (PLFLT, h->n_rows);
  g_autofree PLFLT *y = g_new (PLFLT, h->n_rows);
  guint             n = 0;

  plcol0 (s->colour);
  pllsty (s->style);
  plwidth (2.0);
  for (guint r = 0; r <= h->n_rows; r++)
    {
      double v = r < h->n_rows ? history_at (h, r, s->col) : NAN;

      if (isfinite (v))
        {
          x[n] = history_at (h, r, epoch_col);
          y[n] = v;
          n++;
          continue;
        }
      if (n == 1)
        {
          plschr (0, 1.5);
          plstring (1, x, y, "•");
          plschr (0, TEXT_SCALE);
        }
      else if (n > 1)
        plline ((PLINT) n, x, y);
      n = 0;
    }
  pllsty (LINE_SOLID);
  plwidth (1.0);
}

/* The legend goes in a corner the curves leave free: losses end low, so
 * the top right; accuracies end high, so the bottom right. */
static gboolean
curves_end_high (GArray *series,
                 double  lo,
                 double  hi)
{
  double sum = 0;
  guint  n = 0;

  for (guint i = 0; i < series->len; i++)
    {
      const Series *s = &g_array_index (series, Series, i);
      for (guint r = s->h->n_rows; r-- > 0;)
        {
          double v = history_at (s->h, r, s->col);
          if (isfinite (v))
            {
              sum += (v - lo) / (hi - lo);
              n++;
              break;
            }
        }
    }
  return n > 0 && sum / n > 0.5;
}

static void
draw_legend (GArray  *series,
             gboolean bottom)
{
  guint                   n = series->len;
  g_autofree PLINT       *opts = g_new (PLINT, n);
  g_autofree PLINT       *text_colours = g_new (PLINT, n);
  g_autofree PLINT       *colours = g_new (PLINT, n);
  g_autofree PLINT       *styles = g_new (PLINT, n);
  g_autofree PLFLT       *widths = g_new (PLFLT, n);
  g_autofree const char **text = g_new (const char *, n);
  PLFLT                   width, height;

  for (guint i = 0; i < n; i++)
    {
      const Series *s = &g_array_index (series, Series, i);
      opts[i] = PL_LEGEND_LINE;
      text_colours[i] = NNRUN_PLOT_INK;
      colours[i] = s->colour;
      styles[i] = s->style;
      widths[i] = 2.0;
      text[i] = s->label;
    }
  pllegend (&width, &height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
            PL_POSITION_RIGHT | PL_POSITION_INSIDE |
              (bottom ? PL_POSITION_BOTTOM : PL_POSITION_TOP),
            0.02, 0.04, 0.08, NNRUN_PLOT_BACKGROUND, NNRUN_PLOT_INK, LINE_SOLID,
            0, 0, (PLINT) n, opts, 0.8, 0.75, 1.8, 0.0, text_colours, text,
            NULL, NULL, NULL, NULL, colours, styles, widths, NULL, NULL, NULL, NULL);
}

/* The series of one column (loss, or a metric) and its val_ twin, for
 * every run that has them. */
static GArray *
collect_series (const Plot *plot,
                const char *column)
{
  GArray          *series = g_array_new (FALSE, TRUE, sizeof (Series));
  g_autofree char *val_column = g_strconcat ("val_", column, NULL);
  gboolean         single = plot->histories->len == 1;

  g_array_set_clear_func (series, (GDestroyNotify) series_clear);
  for (guint i = 0; i < plot->histories->len; i++)
    {
      const History *h = plot->histories->pdata[i];
      const char    *columns[] = { column, val_column };

      for (guint v = 0; v < 2; v++)
        {
          Series      s = { h, history_column (h, columns[v]), 0, 0, NULL };
          const char *part = v == 0 ? "training" : "validation";
          gboolean    any = FALSE;

          if (s.col < 0)
            continue;
          for (guint r = 0; r < h->n_rows && !any; r++)
            any = isfinite (history_at (h, r, s.col));
          if (!any)
            continue; /* e.g. val_loss of a run without validation data */
          /* One run: a colour per curve. Several: a colour per run. */
          s.colour = NNRUN_PLOT_FIRST_SERIES + (single ? v : i) % N_SERIES_COLOURS;
          s.style = v == 0 ? LINE_SOLID : LINE_DASHED;
          if (single)
            s.label = g_strdup (part);
          else
            {
              g_autofree char *shown = nnrun_plot_text (h->label);
              s.label = g_strdup_printf ("%s %s", shown, part);
            }
          g_array_append_val (series, s);
        }
    }
  return series;
}

static void
draw_panel (const Plot *plot,
            const char *column,
            double      top,
            double      bottom,
            const char *title)
{
  g_autoptr(GArray) series = collect_series (plot, column);
  g_autofree char *ylabel = nnrun_plot_text (column);
  double           lo, hi, step;
  PLINT            n_sub;

  value_range (series, &lo, &hi);
  step = epoch_step (plot->xmax - plot->xmin, &n_sub);

  plvpor (0.11, 0.96, bottom, top);
  plwind (plot->xmin, plot->xmax, lo, hi);
  plcol0 (NNRUN_PLOT_GRID);
  plbox ("g", step, n_sub, "g", 0, 0);
  plcol0 (NNRUN_PLOT_INK);
  plbox ("bcnst", step, n_sub, "bcnstv", 0, 0);
  pllab ("epoch", ylabel, title ? title : "");

  for (guint i = 0; i < series->len; i++)
    {
      const Series *s = &g_array_index (series, Series, i);
      draw_series (s, history_column (s->h, "epoch"));
    }
  if (series->len > 0)
    draw_legend (series, curves_end_high (series, lo, hi));
}

static void
draw (gconstpointer data)
{
  const Plot      *plot = data;
  g_autofree char *title = NULL;

  if (plot->histories->len == 1)
    title = nnrun_plot_text (((const History *) plot->histories->pdata[0])->label);
  else
    title = g_strdup_printf ("%u runs", plot->histories->len);

  pladv (0);
  plschr (0, TEXT_SCALE);
  if (plot->metric != NULL)
    {
      draw_panel (plot, "loss", 0.93, 0.58, title);
      draw_panel (plot, plot->metric, 0.44, 0.09, NULL);
    }
  else
    draw_panel (plot, "loss", 0.93, 0.09, title);
}

/* ---- PLplot output ------------------------------------------------------- */

/* PLplot calls exit() after its exit handler, on fatal errors: the handler
 * jumps back instead, so that nnrun reports the error itself. PLplot is not
 * reentrant, and neither is this. */
static jmp_buf plplot_exit_jump;
static char    plplot_exit_message[512];

static int
on_plplot_exit (const char *message)
{
  g_strlcpy (plplot_exit_message, message, sizeof plplot_exit_message);
  longjmp (plplot_exit_jump, 1);
}

/* PLplot writes its warnings to stderr (and could prompt on stdout): both
 * go to a temporary file while it works, so that nnrun prints only its own
 * messages, and what PLplot said can go into an error. */
typedef struct
{
  FILE *file;
  int   saved_out;
  int   saved_err;
} Capture;

static void
capture_start (Capture *c)
{
  fflush (stdout);
  fflush (stderr);
  c->file = tmpfile ();
  c->saved_out = c->file ? dup (STDOUT_FILENO) : -1;
  c->saved_err = c->file ? dup (STDERR_FILENO) : -1;
  if (c->saved_out >= 0 && c->saved_err >= 0)
    {
      dup2 (fileno (c->file), STDOUT_FILENO);
      dup2 (fileno (c->file), STDERR_FILENO);
    }
}

/* Returns: (transfer full): what was written meanwhile, stripped */
static char *
capture_stop (Capture *c)
{
  GString *text = g_string_new (NULL);
  char     buf[1024];
  size_t   n;

  fflush (stdout);
  fflush (stderr);
  if (c->saved_out >= 0 && c->saved_err >= 0)
    {
      dup2 (c->saved_out, STDOUT_FILENO);
      dup2 (c->saved_err, STDERR_FILENO);
    }
  if (c->saved_out >= 0)
    close (c->saved_out);
  if (c->saved_err >= 0)
    close (c->saved_err);
  if (c->file != NULL)
    {
      rewind (c->file);
      while ((n = fread (buf, 1, sizeof buf, c->file)) > 0)
        g_string_append_len (text, buf, n);
      fclose (c->file);
    }
  g_strdelimit (g_strstrip (text->str), "\n", ' ');
  text->len = strlen (text->str);
  return g_string_free (text, FALSE);
}

void
nnrun_plot_set_colours (void)
{
  plscmap0n (NNRUN_PLOT_FIRST_SERIES + N_SERIES_COLOURS);
  plscolbg (255, 255, 255);
  plscol0 (NNRUN_PLOT_INK, 0x20, 0x20, 0x20);
  plscol0 (NNRUN_PLOT_GRID, 0xdd, 0xdd, 0xdd);
  for (guint i = 0; i < N_SERIES_COLOURS; i++)
    plscol0 (NNRUN_PLOT_FIRST_SERIES + i, series_rgb[i][0], series_rgb[i][1], series_rgb[i][2]);
}

/* Asked for a device it lacks, PLplot would prompt for another on stdin. */
static gboolean
device_available (const char *device)
{
  const char  *menu[128], *names[128];
  const char **m = menu, **d = names;
  int          n = G_N_ELEMENTS (names);

  plgDevs (&m, &d, &n);
  for (int i = 0; i < n; i++)
    if (g_str_equal (d[i], device))
      return TRUE;
  return FALSE;
}

static PLINT plplot_errcode;
static char  plplot_errmsg[1024]; /* PLplot writes into it unbounded */

static void
draw_to_stream (NnrunPlotDrawFunc draw_func,
                gconstpointer     data,
                const char       *device,
                FILE             *stream)
{
  plsstrm (0);
  plsError (&plplot_errcode, plplot_errmsg);
  plsdev (device);
  plsfile (stream); /* closed by plend1() */
  plspage (0, 0, NNRUN_PLOT_WIDTH, NNRUN_PLOT_HEIGHT, 0, 0);
  nnrun_plot_set_colours ();
  plinit ();
  draw_func (data);
  plend1 ();
}

GBytes *
nnrun_plot_render (NnrunPlotDrawFunc draw_func,
                   gconstpointer     data,
                   const char       *device,
                   GError          **error)
{
  char             *buf = NULL;
  size_t            len = 0;
  FILE             *stream;
  Capture           capture;
  g_autofree char  *said = NULL;
  volatile gboolean exited = FALSE;
  volatile gboolean missing = FALSE;

  stream = open_memstream (&buf, &len);
  if (stream == NULL)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "cannot draw the plot: %s", g_strerror (saved));
      return NULL;
    }

  plplot_errcode = 0;
  plplot_errmsg[0] = '\0';
  capture_start (&capture);
  plsexit (on_plplot_exit);
  if (setjmp (plplot_exit_jump) == 0)
    {
      if (device_available (device))
        draw_to_stream (draw_func, data, device, stream);
      else
        missing = TRUE;
    }
  else
    exited = TRUE;
  plsexit (NULL);
  said = capture_stop (&capture);

  if (missing)
    {
      fclose (stream);
      free (buf);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "PLplot has no '%s' output device%s", device,
                   g_str_has_suffix (device, "cairo")
                     ? "; on Debian, install plplot-driver-cairo"
                     : "");
      return NULL;
    }
  if (exited || plplot_errcode != 0 || len == 0)
    {
      const char      *why = exited           ? plplot_exit_message
                             : plplot_errcode ? plplot_errmsg
                                              : "no output";
      g_autofree char *reason = g_strstrip (g_strdup (why));

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "PLplot (%s device): %s%s%s",
                   device, reason, *said ? "; " : "", said);
      /* After a fatal error PLplot may still hold the stream: leave it. */
      if (!exited)
        free (buf);
      return NULL;
    }
  return g_bytes_new_with_free_func (buf, len, free, buf);
}

/* Writes @path as g_file_set_contents() does (a temporary file beside it,
 * flushed, then renamed over it), but a failure names @path, not the
 * temporary file. */
gboolean
nnrun_plot_write_file (const char *path,
                       GBytes     *bytes,
                       GError    **error)
{
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  gsize            left;
  const char      *p = g_bytes_get_data (bytes, &left);
  int              fd, saved = 0;

  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      saved = errno;
      goto fail;
    }
  while (left > 0 && saved == 0)
    {
      gssize n = write (fd, p, left);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        saved = errno;
      else if (n == 0)
        saved = ENOSPC; /* a write of 0 bytes with no error: a full disk */
      else
        {
          p += n;
          left -= (gsize) n;
        }
    }
  if (saved == 0 && fsync (fd) != 0)
    saved = errno;
  if (close (fd) != 0 && saved == 0)
    saved = errno;
  if (saved == 0 && g_rename (tmp, path) != 0)
    saved = errno;
  if (saved == 0)
    return TRUE;
  g_unlink (tmp);

fail:
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
               "%s: error: cannot write: %s", path, g_strerror (saved));
  return FALSE;
}

static gboolean
plot_runs (const char * const *run_dirs,
           const char         *label,
           guint               n,
           const char         *out_dir,
           GError            **error);

/**
 * nnrun_plot_run_dirs:
 * @run_dirs: (array length=n): run directories, each with a history.csv
 * @n: the number of run directories, at least 1
 * @out_dir: (nullable): where to write; %NULL for the one run directory
 * @error: return location for a #GError
 *
 * Draws the training and validation loss of each run against the epoch,
 * and below it the first metric of the first run (training and
 * validation), into `loss.svg` and `loss.png`, each written atomically. With
 * several runs, all of them are overlaid, one colour per run, into @out_dir,
 * which is made if needed.
 *
 * A history.csv that is missing or malformed is a %NN_DATA_ERROR naming the
 * file; a failure to draw or write is a %G_IO_ERROR or %G_FILE_ERROR.
 *
 * Returns: %TRUE on success
 */
gboolean
nnrun_plot_run_dirs (const char * const *run_dirs,
                     guint               n,
                     const char         *out_dir,
                     GError            **error)
{
  return plot_runs (run_dirs, NULL, n, out_dir, error);
}

/**
 * nnrun_plot_run_dir_as:
 * @run_dir: a directory with a history.csv
 * @label: the name the plot gives the run
 * @error: return location for a #GError
 *
 * As nnrun_plot_run_dirs() for one run, which the plot names @label
 * instead of by its directory: a run whose files are still in its staging
 * directory is named after its run directory.
 *
 * Returns: %TRUE on success
 */
gboolean
nnrun_plot_run_dir_as (const char *run_dir,
                       const char *label,
                       GError    **error)
{
  return plot_runs (&run_dir, label, 1, NULL, error);
}

static gboolean
plot_runs (const char * const *run_dirs,
           const char         *label,
           guint               n,
           const char         *out_dir,
           GError            **error)
{
  g_autoptr(GPtrArray) histories = g_ptr_array_new_with_free_func ((GDestroyNotify) history_free);
  g_autoptr(GBytes) svg = NULL;
  g_autoptr(GBytes) png = NULL;
  g_autofree char *svg_path = NULL;
  g_autofree char *png_path = NULL;
  const char      *dir = out_dir ? out_dir : run_dirs[0];
  Plot             plot = { histories, NULL, INFINITY, -INFINITY };

  g_return_val_if_fail (run_dirs != NULL && n > 0, FALSE);
  g_return_val_if_fail (n == 1 || out_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; i < n; i++)
    {
      History *h = history_read (run_dirs[i], label, error);
      int      epoch;

      if (h == NULL)
        return FALSE;
      g_ptr_array_add (histories, h);
      epoch = history_column (h, "epoch");
      for (guint r = 0; r < h->n_rows; r++)
        {
          plot.xmin = MIN (plot.xmin, history_at (h, r, epoch));
          plot.xmax = MAX (plot.xmax, history_at (h, r, epoch));
        }
    }
  plot.metric = history_first_metric (histories->pdata[0]);
  if (plot.xmax - plot.xmin < 1)
    {
      /* One epoch: a little room either side of it. */
      plot.xmin -= 1;
      plot.xmax += 1;
    }

  if (out_dir != NULL && g_mkdir_with_parents (out_dir, 0777) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "cannot make %s: %s", out_dir, g_strerror (saved));
      return FALSE;
    }

  /* Both drawn before either is written: a failure leaves the old pair. */
  svg = nnrun_plot_render (draw, &plot, "svg", error);
  if (svg == NULL)
    return FALSE;
  png = nnrun_plot_render (draw, &plot, "pngcairo", error);
  if (png == NULL)
    return FALSE;

  svg_path = g_build_filename (dir, "loss.svg", NULL);
  png_path = g_build_filename (dir, "loss.png", NULL);
  return nnrun_plot_write_file (svg_path, svg, error) &&
         nnrun_plot_write_file (png_path, png, error);
}

/* nnrun plot RUN_DIR... [--out DIR] */
int
nnrun_cmd_plot (int    argc,
                char **argv)
{
  static const char summary[] =
    "Draws the training and validation loss and the first metric of each run,\n"
    "from RUN_DIR/history.csv, against the epoch into loss.svg and loss.png.\n"
    "Several runs are overlaid, one colour per run, into --out DIR.";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char   *out_dir = NULL;
  g_autofree char   *svg_path = NULL;
  g_autofree char   *png_path = NULL;
  const char        *dir;
  const GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
      "Write the plots into DIR instead of the run directory; needed for several runs",
      "DIR" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("RUN_DIR... - plot the loss and first metric of runs");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc < 2)
    return nnrun_usage_error (context, "plot needs a run directory");
  if (argc > 2 && out_dir == NULL)
    return nnrun_usage_error (context, "plotting several runs needs --out DIR");

  if (!nnrun_plot_run_dirs ((const char * const *) argv + 1, argc - 1, out_dir, &error))
    {
      g_printerr ("nnrun: %s\n", error->message);
      /* SPEC §3: 2 for bad input files, 1 for a write that failed. */
      return error->domain == NN_DATA_ERROR ? 2 : 1;
    }
  dir = out_dir ? out_dir : argv[1];
  svg_path = g_build_filename (dir, "loss.svg", NULL);
  png_path = g_build_filename (dir, "loss.png", NULL);
  g_print ("wrote %s and %s\n", svg_path, png_path);
  return 0;
}
