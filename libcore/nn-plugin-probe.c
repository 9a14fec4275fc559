/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading a plugin in a child process before loading it here, as
 * GStreamer's gst-plugin-scanner does: a plugin whose constructor or
 * registration crashes, aborts or calls exit() takes down the child only,
 * and the parent reports it by file. The child reports on a pipe; only a
 * report that ends with the child's own last line counts as success, since
 * a plugin's exit(0) looks like any other clean exit. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "nn-errors.h"
#include "nn-plugin-probe-private.h"

#define REPORT_OK "ok\n"
#define REPORT_ERROR "error\n"

/* Set in the child only. */
static volatile sig_atomic_t in_child;

gboolean
nn_plugin_in_child (void)
{
  return in_child != 0;
}

static void
write_all (int         fd,
           const char *data,
           gsize       length)
{
  while (length > 0)
    {
      gssize n = write (fd, data, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      data += n;
      length -= (gsize) n;
    }
}

G_GNUC_NORETURN static void
run_child (int               fd,
           NnPluginChildFunc func,
           gpointer          data)
{
  static const int crash_signals[] = {
    SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS
  };
  g_autoptr(GString) report = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  struct rlimit no_core = { 0, 0 };
  int           null_fd;

  in_child = 1;
  /* A crash is to end the child with its signal, not in a handler of the
   * parent's (nnrun's, a sanitizer's), and without a core file. */
  for (gsize i = 0; i < G_N_ELEMENTS (crash_signals); i++)
    signal (crash_signals[i], SIG_DFL);
  setrlimit (RLIMIT_CORE, &no_core);
  /* What the plugin prints would be printed twice, here and in the parent. */
  null_fd = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd >= 0)
    {
      dup2 (null_fd, STDOUT_FILENO);
      close (null_fd);
    }

  if (func (data, report, &error))
    {
      write_all (fd, report->str, report->len);
      write_all (fd, REPORT_OK, strlen (REPORT_OK));
    }
  else
    {
      g_autofree char *line = g_strdup_printf (REPORT_ERROR "%d\n%s", error->code,
                                               error->message);

      write_all (fd, line, strlen (line));
    }
  _exit (0);
}

/**
 * nn_plugin_run_in_child:
 * @path: the plugin file, for messages
 * @func: what the child runs: loads the plugin and describes it
 * @data: passed to @func
 * @report: (out) (transfer full): what @func appended, on success
 * @error: return location for a #GError
 *
 * Forks, runs @func in the child and waits for it. Standard output and error
 * are flushed first, so that nothing buffered is written twice.
 *
 * Returns: %TRUE if @func returned %TRUE and the child exited by itself;
 *   otherwise %FALSE with @error set: what @func reported, or
 *   %NN_PLUGIN_ERROR_CRASHED naming the signal or exit status
 */
gboolean
nn_plugin_run_in_child (const char       *path,
                        NnPluginChildFunc func,
                        gpointer          data,
                        char            **report,
                        GError          **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) pipe_error = NULL;
  int   fds[2], status = 0, saved_errno;
  pid_t pid;
  char  buf[4096];

  fflush (stdout);
  fflush (stderr);
  if (!g_unix_open_pipe (fds, FD_CLOEXEC, &pipe_error))
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_FAILED,
                   "%s: cannot make a pipe to load it in a child process: %s", path,
                   pipe_error->message);
      return FALSE;
    }
  pid = fork ();
  if (pid < 0)
    {
      saved_errno = errno;
      close (fds[0]);
      close (fds[1]);
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_FAILED,
                   "%s: cannot start a child process to load it in: %s", path,
                   g_strerror (saved_errno));
      return FALSE;
    }
  if (pid == 0)
    {
      close (fds[0]);
      run_child (fds[1], func, data);
    }

  close (fds[1]);
  for (;;)
    {
      gssize n = read (fds[0], buf, sizeof buf);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      g_string_append_len (text, buf, n);
    }
  close (fds[0]);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        saved_errno = errno;
        g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_FAILED,
                     "%s: cannot wait for the child process that loads it: %s", path,
                     g_strerror (saved_errno));
        return FALSE;
      }

  if (WIFSIGNALED (status))
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_CRASHED,
                   "%s: plugin crashed while loading (signal %d, %s)", path,
                   WTERMSIG (status), g_strsignal (WTERMSIG (status)));
      return FALSE;
    }
  if (g_str_has_prefix (text->str, REPORT_ERROR))
    {
      const char *code = text->str + strlen (REPORT_ERROR);
      const char *message = strchr (code, '\n');

      g_set_error_literal (error, NN_PLUGIN_ERROR,
                           (int) g_ascii_strtoll (code, NULL, 10),
                           message ? message + 1 : "the plugin failed to load");
      return FALSE;
    }
  if (!WIFEXITED (status) || !g_str_has_suffix (text->str, REPORT_OK))
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_CRASHED,
                   "%s: plugin exited with status %d while loading", path,
                   WIFEXITED (status) ? WEXITSTATUS (status) : -1);
      return FALSE;
    }
  g_string_truncate (text, text->len - strlen (REPORT_OK));
  *report = g_string_free (g_steal_pointer (&text), FALSE);
  return TRUE;
}
