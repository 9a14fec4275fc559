/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "nn-errors.h"
#include "nn-run-dir-private.h"
#include "nn-utils-private.h"

/*
 * nn_run_dir_resolve:
 * @run_dir: a run directory, which need not exist
 *
 * The directory a run into @run_dir fills: @run_dir without trailing
 * slashes, or the directory it links to, so that the staging directory and
 * the lock lie beside it on the same file system and a rename moves files
 * between the two. "." and ".." are made absolute: they have no siblings
 * named "..partial".
 *
 * Returns: (transfer full): the directory
 */
char *
nn_run_dir_resolve (const char *run_dir)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *base = NULL;
  gsize            n = strlen (run_dir);
  GStatBuf         st;

  while (n > 1 && run_dir[n - 1] == '/')
    n--;
  trimmed = g_strndup (run_dir, n);
  if (g_lstat (trimmed, &st) == 0 && S_ISLNK (st.st_mode))
    {
      char *real = realpath (trimmed, NULL);

      if (real != NULL)
        {
          char *copy = g_strdup (real);
          free (real);
          return copy;
        }
    }
  base = g_path_get_basename (trimmed);
  if (g_str_equal (base, ".") || g_str_equal (base, "..") || g_str_equal (base, "/"))
    return g_canonicalize_filename (trimmed, NULL);
  return g_steal_pointer (&trimmed);
}

/* @path made absolute with every symbolic link in the part of it that
 * exists resolved: where the files would really go. */
static char *
real_location (const char *path)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  g_autofree char *parent = NULL;
  g_autofree char *base = NULL;
  g_autofree char *real_parent = NULL;
  char            *real = realpath (absolute, NULL);

  if (real != NULL)
    {
      char *copy = g_strdup (real);
      free (real);
      return copy;
    }
  parent = g_path_get_dirname (absolute);
  if (g_str_equal (parent, absolute))
    return g_steal_pointer (&absolute);
  base = g_path_get_basename (absolute);
  real_parent = real_location (parent);
  return g_build_filename (real_parent, base, NULL);
}

static gboolean
refuse (GError    **error,
        const char *run_dir,
        const char *why)
{
  g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
               "%s: error: cannot be a run directory: %s", run_dir, why);
  return FALSE;
}

/*
 * nn_run_dir_check:
 * @run_dir: the run directory asked for
 * @target: nn_run_dir_resolve() of it
 * @error: return location for a #GError
 *
 * Refuses, before anything is written, what cannot be a run directory: an
 * empty path, the root directory, anything under /proc, /sys or /dev, and
 * anything there that is not a directory (a file, a symbolic link to one or
 * to nothing, a device, a FIFO, a socket).
 *
 * Returns: %TRUE, or %FALSE with @error set (%NN_CONFIG_ERROR_INVALID_VALUE)
 */
gboolean
nn_run_dir_check (const char *run_dir,
                  const char *target,
                  GError    **error)
{
  static const char * const system_dirs[] = { "/proc", "/sys", "/dev" };
  g_autofree char          *real = NULL;
  GStatBuf                  st, lst;

  if (*run_dir == '\0')
    {
      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "'': error: the run directory is an empty path");
      return FALSE;
    }
  if (g_stat (target, &st) == 0)
    {
      gboolean link = g_lstat (run_dir, &lst) == 0 && S_ISLNK (lst.st_mode);

      if (S_ISREG (st.st_mode))
        return refuse (error, run_dir, link ? "it links to a file" : "it is a file");
      if (S_ISFIFO (st.st_mode))
        return refuse (error, run_dir, "it is a FIFO");
      if (S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode))
        return refuse (error, run_dir, "it is a device");
      if (!S_ISDIR (st.st_mode))
        return refuse (error, run_dir, "it is not a directory");
    }
  else if (errno == ENOENT && g_lstat (target, &lst) == 0 && S_ISLNK (lst.st_mode))
    return refuse (error, run_dir, "it is a symbolic link to nothing");

  real = real_location (target);
  if (g_str_equal (real, "/"))
    return refuse (error, run_dir, "it is the root directory");
  for (gsize i = 0; i < G_N_ELEMENTS (system_dirs); i++)
    {
      gsize n = strlen (system_dirs[i]);

      if (strncmp (real, system_dirs[i], n) == 0 && (real[n] == '\0' || real[n] == '/'))
        {
          g_autofree char *why = g_strdup_printf ("it is under %s, which is the system's",
                                                  system_dirs[i]);
          return refuse (error, run_dir, why);
        }
    }
  return TRUE;
}

/* A lock file nn made holds the pid of its holder (digits and a newline),
 * or nothing yet; *@pid is 0 where it names none. */
static gboolean
read_holder (int       fd,
             long     *pid,
             gboolean *ours)
{
  char    buf[32];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);

  *pid = 0;
  *ours = n >= 0 && n < (ssize_t) sizeof buf - 1;
  if (n < 0)
    return FALSE;
  buf[n] = '\0';
  for (ssize_t i = 0; i < n; i++)
    *ours = *ours && (g_ascii_isdigit (buf[i]) || buf[i] == '\n');
  if (*ours && n > 0 && buf[n - 1] == '\n')
    *pid = strtol (buf, NULL, 10);
  return TRUE;
}

/*
 * nn_run_lock_take:
 * @run_dir: the run directory, as named in messages
 * @lock_path: its lock file, beside it
 * @error: return location for a #GError
 *
 * Takes the lock of a run directory: an exclusive flock() on @lock_path,
 * which holds the holder's pid. The kernel drops the lock of a process
 * that ends, however it ends, so a lock file left behind by a killed run
 * stops nobody. The holder removes the file before it lets the lock go: a
 * run that locked the file just as it was removed finds it gone, and
 * starts again.
 *
 * Returns: the descriptor holding the lock, or -1 with @error set:
 *   %G_IO_ERROR_BUSY when another run holds it, naming its pid, else
 *   %NN_MODEL_ERROR_IO
 */
int
nn_run_lock_take (const char *run_dir,
                  const char *lock_path,
                  GError    **error)
{
  for (guint attempt = 0; attempt < 100; attempt++)
    {
      int         fd = g_open (lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
      GStatBuf    st;
      struct stat fst;
      char        line[32];
      ssize_t     written;
      long        pid;
      gboolean    ours;

      if (fd < 0)
        {
          if (errno == ELOOP)
            errno = EEXIST;
          nn_set_io_error (error, errno, "cannot lock the run directory %s: %s", run_dir,
                           lock_path);
          return -1;
        }
      if (fstat (fd, &fst) != 0 || !S_ISREG (fst.st_mode))
        {
          close (fd);
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO,
                       "%s is in the way of the lock of %s: it is not a file nn made",
                       lock_path, run_dir);
          return -1;
        }
      if (flock (fd, LOCK_EX | LOCK_NB) != 0)
        {
          int saved_errno = errno;

          if (saved_errno == EWOULDBLOCK)
            {
              /* The holder writes its pid just after it takes the lock. */
              for (guint wait = 0;
                   read_holder (fd, &pid, &ours) && pid == 0 && ours && wait < 20;
                   wait++)
                g_usleep (5000);
              close (fd);
              if (pid > 0)
                g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                             "%s is in use by another run (pid %ld)", run_dir, pid);
              else
                g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                             "%s is in use by another run", run_dir);
              return -1;
            }
          close (fd);
          nn_set_io_error (error, saved_errno, "cannot lock the run directory %s: %s",
                           run_dir, lock_path);
          return -1;
        }
      /* The run that held it removed the file meanwhile: this lock is on a
       * file no one else will open. */
      if (g_lstat (lock_path, &st) != 0 || st.st_ino != fst.st_ino || st.st_dev != fst.st_dev)
        {
          close (fd);
          continue;
        }
      if (!read_holder (fd, &pid, &ours) || !ours)
        {
          close (fd);
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO,
                       "%s is in the way of the lock of %s: it is not a file nn made",
                       lock_path, run_dir);
          return -1;
        }
      /* Only for the message of a run that finds it held: the lock holds
       * without it (a full disk). */
      g_snprintf (line, sizeof line, "%ld\n", (long) getpid ());
      written = ftruncate (fd, 0) == 0 ? pwrite (fd, line, strlen (line), 0) : -1;
      (void) written;
      return fd;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "%s is in use by other runs", run_dir);
  return -1;
}

/*
 * nn_run_lock_release:
 * @fd: a descriptor from nn_run_lock_take(), or -1
 * @lock_path: its lock file
 *
 * Removes the lock file, then lets the lock go.
 */
void
nn_run_lock_release (int         fd,
                     const char *lock_path)
{
  if (fd < 0)
    return;
  g_unlink (lock_path);
  close (fd);
}
