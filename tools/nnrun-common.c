/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every nnrun command shares: exit statuses, error reporting and
 * standard output. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <nn.h>

#include "nnrun-commands.h"

int
nnrun_status_for_error (const GError *error)
{
  if (g_error_matches (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE))
    return EXIT_BAD_INPUT;   /* a bad model file is bad input */
  if (error->domain == NN_MODEL_ERROR || error->domain == G_IO_ERROR ||
      error->domain == G_FILE_ERROR)
    return EXIT_RUN_FAILED;
  return EXIT_BAD_INPUT;   /* experiment, data, plugin and usage errors */
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
