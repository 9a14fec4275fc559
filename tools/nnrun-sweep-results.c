/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* trials.csv: one row per run of a trial, written by any number of
 * processes at once, and the table of the trials read from it. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "nnrun-sweep.h"

#define MAX_CSV_SIZE (256u << 20)

guint
nnrun_sweep_n_keys (NnSweep *sweep)
{
  return nn_sweep_get_folds (sweep) > 0 ? 3 : 2;
}

GStrv
nnrun_sweep_columns (NnSweep *sweep)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  g_strv_builder_add (b, "trial");
  g_strv_builder_add (b, "repeat");
  if (nn_sweep_get_folds (sweep) > 0)
    g_strv_builder_add (b, "fold");
  g_strv_builder_addv (b, (const char **) nn_sweep_get_parameters (sweep));
  g_strv_builder_addv (b, (const char **) nn_sweep_get_metric_columns (sweep));
  g_strv_builder_add (b, "seconds");
  g_strv_builder_add (b, "status");
  g_strv_builder_add (b, "reason");
  return g_strv_builder_end (b);
}

char *
nnrun_format_number (double value)
{
  static const char * const formats[] = { "%.15g", "%.16g", "%.17g" };
  char                      buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    return g_strdup ("");
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, sizeof buf, formats[i], value);
      if (g_ascii_strtod (buf, NULL) == value)
        break;
    }
  return g_strdup (buf);
}

/* RFC 4180: a field with a comma, quote or line break is quoted; a reason
 * is kept on one line. */
static void
append_field (GString    *line,
              const char *field)
{
  if (strpbrk (field, ",\"\r\n") == NULL)
    {
      g_string_append (line, field);
      return;
    }
  g_string_append_c (line, '"');
  for (const char *c = field; *c != '\0'; c++)
    {
      if (*c == '\n' || *c == '\r')
        g_string_append_c (line, ' ');
      else
        {
          if (*c == '"')
            g_string_append_c (line, '"');
          g_string_append_c (line, *c);
        }
    }
  g_string_append_c (line, '"');
}

char *
nnrun_csv_line (const char * const *fields)
{
  GString *line = g_string_new (NULL);

  for (guint i = 0; fields[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (line, ',');
      append_field (line, fields[i]);
    }
  g_string_append_c (line, '\n');
  return g_string_free (line, FALSE);
}

/* The fields of one line, quotes undone. */
static GStrv
split_line (const char *line,
            gsize       length)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_autoptr(GString) field = g_string_new (NULL);
  gboolean quoted = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = line[i];

      if (quoted && c == '"' && i + 1 < length && line[i + 1] == '"')
        g_string_append_c (field, line[++i]);
      else if (c == '"')
        quoted = !quoted;
      else if (c == ',' && !quoted)
        {
          g_strv_builder_add (b, field->str);
          g_string_truncate (field, 0);
        }
      else
        g_string_append_c (field, c);
    }
  g_strv_builder_add (b, field->str);
  return g_strv_builder_end (b);
}

static gboolean
read_locked (int      fd,
             GString *out)
{
  char    buf[65536];
  off_t   offset = 0;
  ssize_t n;

  while ((n = pread (fd, buf, sizeof buf, offset)) > 0)
    {
      g_string_append_len (out, buf, n);
      offset += n;
      if (out->len > MAX_CSV_SIZE)
        return FALSE;
    }
  return n == 0;
}

/* The rows of @text after its header, each a whole line. */
static GPtrArray *
parse_rows (const char *text)
{
  GPtrArray  *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  const char *line = strchr (text, '\n');

  if (line == NULL)
    return rows;
  for (line++; *line != '\0';)
    {
      const char *end = strchr (line, '\n');

      if (end == NULL)
        break; /* a line cut short by a crash: not a row */
      if (end > line)
        g_ptr_array_add (rows, split_line (line, end - line));
      line = end + 1;
    }
  return rows;
}

static int
open_locked (const char *path,
             GError    **error)
{
  int fd = g_open (path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int saved;

  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot open %s: %s",
                   path, g_strerror (saved));
      return -1;
    }
  while (flock (fd, LOCK_EX) != 0)
    if (errno != EINTR)
      {
        saved = errno;
        close (fd);
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot lock %s: %s",
                     path, g_strerror (saved));
        return -1;
      }
  return fd;
}

/* One write of the whole text, so that no other process's row lands in
 * the middle of it. */
static gboolean
write_all (int         fd,
           const char *path,
           const char *text,
           GError    **error)
{
  gsize   length = strlen (text);
  ssize_t n;

  do
    n = write (fd, text, length);
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t) length)
    return TRUE;
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (n < 0 ? errno : ENOSPC),
               "cannot write to %s: %s", path, g_strerror (n < 0 ? errno : ENOSPC));
  return FALSE;
}

GPtrArray *
nnrun_sweep_csv_load (const char         *path,
                      const char * const *columns,
                      GError            **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *header = nnrun_csv_line (columns);
  int              fd = open_locked (path, error);
  gboolean         ok = fd >= 0;

  if (ok && !read_locked (fd, text))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot read %s", path);
      ok = FALSE;
    }
  if (ok && text->len == 0)
    {
      ok = write_all (fd, path, header, error);
      g_string_assign (text, header);
    }
  if (fd >= 0)
    close (fd);
  if (!ok)
    return NULL;
  if (!g_str_has_prefix (text->str, header))
    {
      g_autofree char *first = g_strndup (text->str, strcspn (text->str, "\n"));

      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "%s records another sweep (columns %s, not %.*s); move it away or "
                   "choose another output.dir",
                   path, first, (int) strlen (header) - 1, header);
      return NULL;
    }
  return parse_rows (text->str);
}

gboolean
nnrun_sweep_rows_have (GPtrArray          *rows,
                       const char * const *key,
                       guint               n_key)
{
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = rows->pdata[i];
      guint  k = 0;

      if (g_strv_length (row) < n_key)
        continue;
      while (k < n_key && g_str_equal (row[k], key[k]))
        k++;
      if (k == n_key)
        return TRUE;
    }
  return FALSE;
}

gboolean
nnrun_sweep_csv_has (const char         *path,
                     const char * const *key,
                     guint               n_key)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GPtrArray) rows = NULL;
  int fd = open_locked (path, NULL);

  if (fd < 0)
    return FALSE;
  if (read_locked (fd, text))
    rows = parse_rows (text->str);
  close (fd);
  return rows != NULL && nnrun_sweep_rows_have (rows, key, n_key);
}

int
nnrun_sweep_claim (const char *dir)
{
  g_autofree char *path = g_strconcat (dir, ".claim", NULL);
  int              fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

  /* A claim that cannot be made at all (a read-only folder) stops no one;
   * nnrun train then says what is wrong. */
  if (fd < 0)
    return g_open ("/dev/null", O_RDONLY | O_CLOEXEC, 0);
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

gboolean
nnrun_sweep_csv_append (const char         *path,
                        const char * const *row,
                        guint               n_key,
                        GError            **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *line = nnrun_csv_line (row);
  int              fd = open_locked (path, error);
  gboolean         ok;

  if (fd < 0)
    return FALSE;
  ok = read_locked (fd, text);
  if (!ok)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot read %s", path);
  rows = ok ? parse_rows (text->str) : NULL;
  if (ok && !nnrun_sweep_rows_have (rows, row, n_key))
    {
      /* After a line cut short, the row starts a line of its own. */
      if (text->len > 0 && text->str[text->len - 1] != '\n')
        {
          char *joined = g_strconcat ("\n", line, NULL);

          g_free (line);
          line = joined;
        }
      ok = write_all (fd, path, line, error);
    }
  close (fd);
  return ok;
}

typedef struct
{
  guint  trial;
  char **row; /* its first run's row */
  double sum;
  guint  ok;
  guint  runs;
  double mean;
} TrialScore;

static guint
metric_index (NnSweep *sweep)
{
  const char * const *metrics = nn_sweep_get_metric_columns (sweep);
  guint               m = 0;

  while (!g_str_equal (metrics[m], nn_sweep_get_metric (sweep)))
    m++;
  return nnrun_sweep_n_keys (sweep) + g_strv_length ((GStrv) nn_sweep_get_parameters (sweep)) + m;
}

/* Each trial's mean of the metric over its runs that succeeded. */
static GArray *
score_trials (NnSweep   *sweep,
              GPtrArray *rows)
{
  GArray *scores = g_array_new (FALSE, TRUE, sizeof (TrialScore));
  guint   column = metric_index (sweep);

  for (guint i = 0; i < rows->len; i++)
    {
      char      **row = rows->pdata[i];
      guint64     trial;
      TrialScore *s = NULL;
      guint       length = g_strv_length (row);

      if (length <= column + 2 ||
          !g_ascii_string_to_unsigned (row[0], 10, 0, G_MAXUINT, &trial, NULL))
        continue;
      for (guint k = 0; k < scores->len && s == NULL; k++)
        if (g_array_index (scores, TrialScore, k).trial == trial)
          s = &g_array_index (scores, TrialScore, k);
      if (s == NULL)
        {
          TrialScore fresh = { (guint) trial, row, 0, 0, 0, NAN };

          g_array_append_val (scores, fresh);
          s = &g_array_index (scores, TrialScore, scores->len - 1);
        }
      s->runs++;
      if (g_str_equal (row[length - 2], "ok") && *row[column] != '\0')
        {
          double v = g_ascii_strtod (row[column], NULL);

          if (!isnan (v))
            {
              s->sum += v;
              s->ok++;
            }
        }
      s->mean = s->ok > 0 ? s->sum / s->ok : NAN;
    }
  return scores;
}

static gboolean
better (NnSweep *sweep,
        double   a,
        double   b)
{
  if (isnan (b))
    return !isnan (a);
  if (isnan (a))
    return FALSE;
  return nn_sweep_get_greater_is_better (sweep) ? a > b : a < b;
}

gint
nnrun_sweep_best (NnSweep   *sweep,
                  GPtrArray *rows,
                  double    *value)
{
  g_autoptr(GArray) scores = score_trials (sweep, rows);
  gint   best = -1;
  double best_value = NAN;

  for (guint k = 0; k < scores->len; k++)
    {
      TrialScore *s = &g_array_index (scores, TrialScore, k);

      if (better (sweep, s->mean, best_value) ||
          (best >= 0 && s->mean == best_value && s->trial < (guint) best))
        {
          best = (gint) s->trial;
          best_value = s->mean;
        }
    }
  *value = best_value;
  return best;
}

static NnSweep *sort_sweep;

static gint
compare_scores (gconstpointer a,
                gconstpointer b)
{
  const TrialScore *x = a, *y = b;

  if (better (sort_sweep, x->mean, y->mean))
    return -1;
  if (better (sort_sweep, y->mean, x->mean))
    return 1;
  return x->trial < y->trial ? -1 : x->trial > y->trial;
}

void
nnrun_sweep_print_table (NnSweep   *sweep,
                         GPtrArray *rows)
{
  g_autoptr(GArray) scores = score_trials (sweep, rows);
  const char * const *params = nn_sweep_get_parameters (sweep);
  guint               n_params = g_strv_length ((GStrv) params);
  g_autofree guint   *widths = g_new0 (guint, n_params);
  guint               metric_width = MAX (strlen (nn_sweep_get_metric (sweep)), 10);
  guint               first = nnrun_sweep_n_keys (sweep);
  guint               columns_before = first + n_params;
  gboolean            folds = nn_sweep_get_folds (sweep) > 0;

  sort_sweep = sweep;
  g_array_sort (scores, compare_scores);
  for (guint p = 0; p < n_params; p++)
    {
      widths[p] = strlen (params[p]);
      for (guint k = 0; k < scores->len; k++)
        widths[p] = MAX (widths[p], strlen (g_array_index (scores, TrialScore, k).row[first + p]));
    }
  g_print ("%-6s", "trial");
  for (guint p = 0; p < n_params; p++)
    g_print ("  %-*s", widths[p], params[p]);
  g_print ("  %-*s", metric_width, nn_sweep_get_metric (sweep));
  if (folds)
    g_print ("  %-10s", "std");
  g_print ("  %s\n", "runs ok");
  for (guint k = 0; k < scores->len; k++)
    {
      TrialScore *s = &g_array_index (scores, TrialScore, k);

      g_print ("%-6u", s->trial);
      for (guint p = 0; p < n_params; p++)
        g_print ("  %-*s", widths[p], s->row[first + p]);
      if (isnan (s->mean))
        g_print ("  %-*s", metric_width, "-");
      else
        g_print ("  %-*.6g", metric_width, s->mean);
      if (folds)
        {
          double mean, std;
          guint  n;

          if (nnrun_sweep_stats (sweep, rows, s->trial, metric_index (sweep) - columns_before,
                                 &mean, &std, &n))
            g_print ("  %-10.4g", std);
          else
            g_print ("  %-10s", "-");
        }
      g_print ("  %u/%u\n", s->ok, s->runs);
    }
}

gboolean
nnrun_sweep_stats (NnSweep   *sweep,
                   GPtrArray *rows,
                   guint      trial,
                   guint      metric,
                   double    *mean,
                   double    *std,
                   guint     *n)
{
  guint column = nnrun_sweep_n_keys (sweep) +
                 g_strv_length ((GStrv) nn_sweep_get_parameters (sweep)) + metric;
  g_autofree char *t = g_strdup_printf ("%u", trial);
  double           sum = 0, squares = 0;

  *n = 0;
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = rows->pdata[i];
      guint  length = g_strv_length (row);
      double v;

      if (length <= column + 2 || !g_str_equal (row[0], t) ||
          !g_str_equal (row[length - 2], "ok") || *row[column] == '\0')
        continue;
      v = g_ascii_strtod (row[column], NULL);
      if (isnan (v))
        continue;
      sum += v;
      (*n)++;
    }
  *mean = *n > 0 ? sum / *n : NAN;
  /* Two passes: the deviations from the mean, as numpy's std. */
  for (guint i = 0; *n > 0 && i < rows->len; i++)
    {
      char **row = rows->pdata[i];
      guint  length = g_strv_length (row);
      double v;

      if (length <= column + 2 || !g_str_equal (row[0], t) ||
          !g_str_equal (row[length - 2], "ok") || *row[column] == '\0')
        continue;
      v = g_ascii_strtod (row[column], NULL);
      if (!isnan (v))
        squares += (v - *mean) * (v - *mean);
    }
  *std = *n > 0 ? sqrt (squares / *n) : NAN;
  return *n > 0;
}

gboolean
nnrun_sweep_write_scores (NnSweep   *sweep,
                          GPtrArray *rows,
                          GError   **error)
{
  const char * const *params = nn_sweep_get_parameters (sweep);
  const char * const *metrics = nn_sweep_get_metric_columns (sweep);
  g_autoptr(GStrvBuilder) header = g_strv_builder_new ();
  g_auto(GStrv) columns = NULL;
  g_autofree char *line = NULL;
  g_autofree char *path = g_build_filename (nn_sweep_get_output_dir (sweep), "scores.csv", NULL);
  g_autoptr(GString) text = g_string_new (NULL);

  g_strv_builder_add (header, "trial");
  g_strv_builder_addv (header, (const char **) params);
  for (guint m = 0; metrics[m] != NULL; m++)
    {
      g_autofree char *mean = g_strconcat (metrics[m], "_mean", NULL);
      g_autofree char *std = g_strconcat (metrics[m], "_std", NULL);

      g_strv_builder_add (header, mean);
      g_strv_builder_add (header, std);
    }
  g_strv_builder_add (header, "runs_ok");
  columns = g_strv_builder_end (header);
  line = nnrun_csv_line ((const char * const *) columns);
  g_string_append (text, line);
  for (guint t = 0; t < nn_sweep_get_n_trials (sweep); t++)
    {
      g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
      guint            ok = 0;
      g_autofree char *row_line = NULL;

      g_ptr_array_add (fields, g_strdup_printf ("%u", t));
      for (guint p = 0; params[p] != NULL; p++)
        g_ptr_array_add (fields, g_strdup (nn_sweep_get_trial_values (sweep, t)[p]));
      for (guint m = 0; metrics[m] != NULL; m++)
        {
          double mean, std;
          guint  n;

          nnrun_sweep_stats (sweep, rows, t, m, &mean, &std, &n);
          g_ptr_array_add (fields, nnrun_format_number (mean));
          g_ptr_array_add (fields, nnrun_format_number (std));
          ok = MAX (ok, n);
        }
      g_ptr_array_add (fields, g_strdup_printf ("%u", ok));
      g_ptr_array_add (fields, NULL);
      row_line = nnrun_csv_line ((const char * const *) fields->pdata);
      g_string_append (text, row_line);
    }
  return g_file_set_contents (path, text->str, text->len, error);
}
