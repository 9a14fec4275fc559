/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every nnrun command shares: exit statuses and error reporting. */
#include <nn.h>

#include "nnrun-commands.h"

int
nnrun_status_for_error (const GError *error)
{
  if (g_error_matches (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE))
    return EXIT_BAD_INPUT;   /* a bad model file is bad input */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
    return EXIT_BAD_INPUT;   /* the run directory is another run's */
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
