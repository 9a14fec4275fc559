/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun commands defined outside nnrun.c, and what they share. Each takes
 * its own argv, whose argv[0] is the command name, and returns nnrun's exit
 * status. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses: SPEC §3. */
enum {
  EXIT_OK = 0,
  EXIT_RUN_FAILED = 1,
  EXIT_BAD_INPUT = 2,
};

/* The exit status for @error: 2 for bad input, 1 for a run that failed. */
int nnrun_status_for_error (const GError     *error);
/* Prints @error and returns its exit status. */
int nnrun_fail             (const GError     *error);
/* Prints @message and the command's help; returns EXIT_BAD_INPUT. */
int nnrun_usage_error      (GOptionContext   *context,
                            const char       *message);

/* Prints the plugin files refused and the warnings not printed yet. */
void     nnrun_report_plugin_problems (gboolean   files);
/* Loads every plugin, then reports as nnrun_report_plugin_problems(). */
gboolean nnrun_load_plugins           (gboolean   files,
                                       GError   **error);
/* Names the plugin file when its code crashes or exits while loading. */
void nnrun_name_plugin_crashes    (void);
/* Ignores SIGPIPE and SIGXFSZ, and sends g_print() through
 * nnrun_write_stdout(). */
void     nnrun_setup_output (void);
/* Writes to standard output, unless an earlier write failed: a closed
 * reader or a full disk stops the printing, not the command. Returns
 * %FALSE if nothing more can be written. */
gboolean nnrun_write_stdout (const char       *data,
                             gsize             length);
/* The errno of the write to standard output that failed, or 0. */
int      nnrun_stdout_error (void);
/* M:SS, or H:MM:SS from an hour, of a time in seconds that may be any
 * estimate, NaN and infinities included. */
char    *nnrun_format_duration (double seconds);

int nnrun_cmd_plugins      (int    argc,
                            char **argv);
int nnrun_cmd_check_plugin (int    argc,
                            char **argv);
int nnrun_cmd_new_plugin   (int    argc,
                            char **argv);
int nnrun_cmd_bench        (int    argc,
                            char **argv);
int nnrun_cmd_export       (int    argc,
                            char **argv);
int nnrun_cmd_sweep        (int    argc,
                            char **argv);
int nnrun_cmd_cv           (int    argc,
                            char **argv);
int nnrun_cmd_serve        (int    argc,
                            char **argv);

G_END_DECLS
