/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every nnrun command shares: exit statuses, error reporting,
 * standard output and naming a plugin that crashes while loading. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nn.h>

#include "nnrun-commands.h"

int
nnrun_status_for_error (const GError *error)
{
  if (g_error_matches (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE))
    return EXIT_BAD_INPUT; /* a bad model file is bad input */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
    return EXIT_BAD_INPUT; /* the run directory is another run's */
  if (error->domain == NN_MODEL_ERROR || error->domain == G_IO_ERROR ||
      error->domain == G_FILE_ERROR)
    return EXIT_RUN_FAILED;
  return EXIT_BAD_INPUT; /* experiment, data, plugin and usage errors */
}

int
nnrun_fail (const GError *error)
{
  g_printerr ("nnrun: %s\n", error->message);
  return nnrun_status_for_error (error);
}

int
nnrun_usage_error (GOptionContext *context,
                   const char     *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  g_printerr ("nnrun: %s\n\n%s", message, help);
  return EXIT_BAD_INPUT;
}

/* Prints, once each, the plugin files refused so far (with @files) and
 * the warnings about the plugin folders. */
void
nnrun_report_plugin_problems (gboolean files)
{
  static guint n_errors_shown, n_warnings_shown;
  g_auto(GStrv) warnings = nn_plugins_get_warnings ();
  g_autoptr(GPtrArray) failures = nn_plugins_get_load_errors ();

  for (; warnings[n_warnings_shown] != NULL; n_warnings_shown++)
    g_printerr ("nnrun: warning: %s\n", warnings[n_warnings_shown]);
  if (!files)
    return;
  for (; n_errors_shown < failures->len; n_errors_shown++)
    g_printerr ("nnrun: warning: skipped plugin %s\n",
                ((GError *) failures->pdata[n_errors_shown])->message);
}

/* Loads every plugin of the search path (each first in a child process
 * once nn_plugins_set_probe_in_child() is on, so that a plugin whose code
 * crashes or exits is reported by file), then prints the problems as
 * nnrun_report_plugin_problems() does. FALSE if the plugin folder could not
 * be read. */
gboolean
nnrun_load_plugins (gboolean files,
                    GError **error)
{
  gboolean ok = nn_plugins_ensure_loaded (error);

  nnrun_report_plugin_problems (files);
  return ok;
}

/* Plugin code loaded into nnrun itself (for train, validate, eval and
 * predict) runs its constructors in this process. If it crashes or calls
 * exit() there, the handlers below name the file first; a crash elsewhere
 * goes to the handler that was there before, as if this one were not. */

static const int        crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
static struct sigaction previous_actions[G_N_ELEMENTS (crash_signals)];

static void
write_stderr (const char *text)
{
  gsize length = strlen (text);

  while (length > 0)
    {
      gssize n = write (STDERR_FILENO, text, length);

      if (n <= 0)
        return;
      text += n;
      length -= (gsize) n;
    }
}

static void
on_crash_signal (int        sig,
                 siginfo_t *info,
                 void      *context)
{
  const char *file = nn_plugins_get_loading_file ();
  gsize       i;

  for (i = 0; i < G_N_ELEMENTS (crash_signals) && crash_signals[i] != sig; i++)
    ;
  if (file != NULL)
    {
      /* Only what a signal handler may call: no stdio, no allocation. */
      char number[16];
      int  n = sig, at = sizeof number - 1;

      number[at] = '\0';
      do
        number[--at] = (char) ('0' + n % 10);
      while ((n /= 10) > 0 && at > 0);
      write_stderr ("nnrun: ");
      write_stderr (file);
      write_stderr (": plugin crashed while loading (signal ");
      write_stderr (number + at);
      write_stderr (")\n");
      signal (sig, SIG_DFL);
    }
  else if (i < G_N_ELEMENTS (crash_signals))
    sigaction (sig, &previous_actions[i], NULL);
  /* A fault recurs when the instruction runs again; a signal that was sent
   * (raise, abort) is sent again. */
  if (info == NULL || info->si_code <= 0 || file != NULL)
    raise (sig);
}

static void
on_exit_while_loading (void)
{
  const char *file = nn_plugins_get_loading_file ();

  if (file == NULL)
    return;
  fflush (stdout);
  g_printerr ("nnrun: %s: plugin called exit() while loading\n", file);
  _exit (EXIT_BAD_INPUT);
}

void
nnrun_name_plugin_crashes (void)
{
  struct sigaction action = { 0 };

  action.sa_sigaction = on_crash_signal;
  action.sa_flags = SA_SIGINFO;
  sigemptyset (&action.sa_mask);
  for (gsize i = 0; i < G_N_ELEMENTS (crash_signals); i++)
    sigaction (crash_signals[i], &action, &previous_actions[i]);
  atexit (on_exit_while_loading);
}

/* The errno of the first write to standard output that failed, or 0: from
 * then on nothing more is written there. */
static gint stdout_errno;

static gboolean
write_stdout (const char *data,
              gsize       length)
{
  if (g_atomic_int_get (&stdout_errno) != 0)
    return FALSE;
  errno = 0;
  if ((length > 0 && fwrite (data, 1, length, stdout) != length) || fflush (stdout) != 0)
    {
      int saved = errno != 0 ? errno : EIO;

      clearerr (stdout);
      g_atomic_int_set (&stdout_errno, saved);
      return FALSE;
    }
  return TRUE;
}

static void
print_to_stdout (const char *text)
{
  write_stdout (text, strlen (text));
}

void
nnrun_setup_output (void)
{
  /* A reader that goes away (`nnrun train ... | head -1`) must not kill a
   * run: a write to it fails with EPIPE instead. Past a file size limit,
   * write() fails with EFBIG, reported with the file's name like a full
   * disk, instead of SIGXFSZ killing nnrun and leaving a temporary file. */
  signal (SIGPIPE, SIG_IGN);
  signal (SIGXFSZ, SIG_IGN);
  g_set_print_handler (print_to_stdout);
}

gboolean
nnrun_write_stdout (const char *data,
                    gsize       length)
{
  return write_stdout (data, length);
}

int
nnrun_stdout_error (void)
{
  return g_atomic_int_get (&stdout_errno);
}

char *
nnrun_format_duration (double seconds)
{
  /* Past a million hours an estimate says no more; NaN is nothing yet. */
  guint t = isnan (seconds) ? 0 : (guint) CLAMP (seconds + 0.5, 0, 3.6e9);

  if (t >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", t / 3600, t / 60 % 60, t % 60);
  return g_strdup_printf ("%u:%02u", t / 60, t % 60);
}
