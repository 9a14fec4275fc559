/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE   /* renameat2() */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "nn-errors.h"
#include "nn-run-dir-private.h"
#include "nn-utils-private.h"

/* A run into DIR writes its files into DIR.partial, and they replace the
 * previous run's files in DIR only once all are written: a run that failed
 * leaves DIR as it was, a process killed outright leaves DIR.partial with
 * its checkpoint to resume from. */
#define STAGING_SUFFIX ".partial"

/* Every file a run writes, nnrun's plots included, in the order they are
 * moved into place one by one (the weights before the model.yaml that
 * names their checksum). Only these are ever removed from a run
 * directory. */
static const char * const run_files[] = {
  NN_RUN_DIR_CHECKPOINT_FILE, "config.yaml", "history.csv", "loss.png", "loss.svg",
  "model.safetensors", "model.yaml", "summary.json", NULL
};

/* One of run_files, or the temporary file of an atomic write of one
 * (NAME.XXXXXX) that a killed process left behind, as a regular file. */
static gboolean
is_run_file (const char *dir,
             const char *name)
{
  g_autofree char *path = NULL;
  GStatBuf st;
  gboolean known = FALSE;

  for (gsize i = 0; run_files[i] != NULL && !known; i++)
    {
      gsize n = strlen (run_files[i]);
      const char *rest = name + n;

      if (strncmp (name, run_files[i], n) != 0)
        continue;
      known = *rest == '\0';
      if (*rest == '.' && strlen (rest + 1) == 6)
        {
          known = TRUE;
          for (const char *c = rest + 1; *c != '\0'; c++)
            known = known && g_ascii_isalnum (*c);
        }
    }
  path = g_build_filename (dir, name, NULL);
  return known && g_lstat (path, &st) == 0 && S_ISREG (st.st_mode);
}

/* The directory a run into @dir fills: @dir, or the directory it links to,
 * so that the staging directory lies beside it on the same file system
 * and a rename moves files between the two. */
static char *
resolve_run_dir (const char *dir)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *base = NULL;
  gsize n = strlen (dir);
  GStatBuf st;

  while (n > 1 && dir[n - 1] == '/')
    n--;
  trimmed = g_strndup (dir, n);
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
  /* "." has no sibling named "..partial". */
  base = g_path_get_basename (trimmed);
  if (g_str_equal (base, ".") || g_str_equal (base, "..") || g_str_equal (base, "/"))
    return g_canonicalize_filename (trimmed, NULL);
  return g_steal_pointer (&trimmed);
}

/*
 * nn_run_dir_staging_path:
 * @run_dir: a run directory, which need not exist
 *
 * Returns: (transfer full): the staging directory of a run into @run_dir,
 *   `RUN_DIR.partial`, or beside the directory @run_dir links to
 */
char *
nn_run_dir_staging_path (const char *run_dir)
{
  g_autofree char *target = resolve_run_dir (run_dir);

  return g_strconcat (target, STAGING_SUFFIX, NULL);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The sorted names in @path. */
static GPtrArray *
list_dir (const char  *path,
          GError     **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = g_dir_open (path, 0, error);
  const char *name;

  if (dir == NULL)
    return NULL;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  return g_steal_pointer (&names);
}

/*
 * nn_run_dir_remove:
 * @path: a staging directory, or a run directory swapped out of place
 * @error: return location for a #GError
 *
 * Removes @path with the run files in it; a @path that does not exist is
 * no error. Anything else in it stays, and is an error: nn never removes a
 * file it did not write.
 *
 * Returns: %TRUE, or %FALSE with @error set (%NN_MODEL_ERROR_IO)
 */
gboolean
nn_run_dir_remove (const char  *path,
                   GError     **error)
{
  g_autofree char *checkpoint = g_build_filename (path, NN_RUN_DIR_CHECKPOINT_FILE, NULL);
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *foreign = NULL;
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return errno == ENOENT ? TRUE : nn_set_io_error (error, errno, "cannot remove %s", path);
  if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO,
                   "%s is in the way of the run: it is not a directory nn made", path);
      return FALSE;
    }
  /* The checkpoint first: --resume must never find a stale one. */
  if (is_run_file (path, NN_RUN_DIR_CHECKPOINT_FILE) && g_unlink (checkpoint) != 0)
    return nn_set_io_error (error, errno, "cannot remove %s", checkpoint);
  names = list_dir (path, &local_error);
  if (names == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO, "cannot remove %s: %s", path,
                   local_error->message);
      return FALSE;
    }
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autofree char *file = g_build_filename (path, name, NULL);

      if (!is_run_file (path, name))
        foreign = foreign ? foreign : name;
      else if (g_unlink (file) != 0 && errno != ENOENT)
        return nn_set_io_error (error, errno, "cannot remove %s", file);
    }
  if (foreign != NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO,
                   "%s holds %s, which nn did not write: move it away", path, foreign);
      return FALSE;
    }
  if (g_rmdir (path) != 0)
    return nn_set_io_error (error, errno, "cannot remove %s", path);
  return TRUE;
}

/*
 * nn_run_dir_stage:
 * @run_dir: the run directory, which need not exist
 * @target: (out) (transfer full): the directory the run's files go to:
 *   @run_dir, or the directory it links to
 * @staging: (out) (transfer full): the new, empty staging directory
 * @error: return location for a #GError
 *
 * Creates the staging directory of a run into @run_dir, beside it, and
 * the directories above it. A staging directory already there, left by a
 * run killed outright, is removed first.
 *
 * Returns: %TRUE, or %FALSE with @error set (%NN_MODEL_ERROR_IO)
 */
gboolean
nn_run_dir_stage (const char  *run_dir,
                  char       **target,
                  char       **staging,
                  GError     **error)
{
  g_autofree char *real_target = resolve_run_dir (run_dir);
  g_autofree char *parent = g_path_get_dirname (real_target);
  g_autofree char *new_staging = g_strconcat (real_target, STAGING_SUFFIX, NULL);
  GStatBuf st;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (g_mkdir_with_parents (parent, 0777) != 0)
    return nn_set_io_error (error, errno, "cannot create the run directory %s", run_dir);
  /* A resumed run read its checkpoint from there already. */
  if (!nn_run_dir_remove (new_staging, error))
    return FALSE;
  if (g_mkdir (new_staging, 0777) != 0)
    return nn_set_io_error (error, errno, "cannot create the run directory %s", new_staging);
  /* Private while it is written if the run directory is. */
  if (g_stat (real_target, &st) == 0 && S_ISDIR (st.st_mode))
    g_chmod (new_staging, (st.st_mode & 07777) | S_IRWXU);

  *target = g_steal_pointer (&real_target);
  *staging = g_steal_pointer (&new_staging);
  return TRUE;
}

static gboolean
holds_only_run_files (const char *path)
{
  g_autoptr(GPtrArray) names = list_dir (path, NULL);

  for (guint i = 0; names != NULL && i < names->len; i++)
    if (!is_run_file (path, names->pdata[i]))
      return FALSE;
  return names != NULL;
}

/* Exchanges two directories in one step; FALSE where the system cannot. */
static gboolean
exchange_dirs (const char *a,
               const char *b)
{
#ifdef HAVE_RENAMEAT2
  return renameat2 (AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0;
#else
  (void) a;
  (void) b;
  return FALSE;
#endif
}

/* Moves the files in @from into @to, each by a rename: each file of @to
 * holds the old run's contents or the new run's whole, and no extra disk
 * space is needed. The old run's files that the new run did not write (the
 * model of a completed run, after an interrupted one) go first. */
static gboolean
move_run_files (const char  *from,
                const char  *to,
                GError     **error)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GError) local_error = NULL;

  for (gsize i = 0; run_files[i] != NULL; i++)
    {
      g_autofree char *old = g_build_filename (to, run_files[i], NULL);
      g_autofree char *new = g_build_filename (from, run_files[i], NULL);

      if (!g_file_test (new, G_FILE_TEST_EXISTS) && is_run_file (to, run_files[i]) &&
          g_unlink (old) != 0)
        return nn_set_io_error (error, errno, "cannot remove %s", old);
    }
  names = list_dir (from, &local_error);
  if (names == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO, "%s", local_error->message);
      return FALSE;
    }
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *old = g_build_filename (from, names->pdata[i], NULL);
      g_autofree char *new = g_build_filename (to, names->pdata[i], NULL);

      if (g_rename (old, new) != 0)
        return nn_set_io_error (error, errno, "cannot move %s to %s", old, new);
    }
  if (g_rmdir (from) != 0)
    return nn_set_io_error (error, errno, "cannot remove %s", from);
  return TRUE;
}

/* The staged files on disk before they replace anything. */
static void
sync_dir (const char *path)
{
  int fd = g_open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

/*
 * nn_run_dir_commit:
 * @staging: a staging directory from nn_run_dir_stage()
 * @target: the target directory from the same call
 * @error: return location for a #GError
 *
 * Puts the staged run in place of the previous one. A run directory that
 * holds only run files is exchanged with the staging directory in one
 * step, and the old one removed; one that holds files of the user's own
 * (or belongs to another user, or is the working directory, or where the
 * system cannot exchange) receives the new files one rename at a time.
 *
 * Returns: %TRUE once @staging is gone, or %FALSE with @error set
 *   (%NN_MODEL_ERROR_IO); the files not yet moved then stay in @staging
 */
gboolean
nn_run_dir_commit (const char  *staging,
                   const char  *target,
                   GError     **error)
{
  GStatBuf st;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  sync_dir (staging);
  if (g_lstat (target, &st) != 0)
    {
      if (errno != ENOENT || g_rename (staging, target) != 0)
        return nn_set_io_error (error, errno, "cannot move the run from %s to %s", staging,
                                target);
    }
  else
    {
      gboolean exchanged = FALSE;
      GStatBuf cwd;
      gboolean is_cwd = g_stat (".", &cwd) == 0 && cwd.st_dev == st.st_dev &&
                        cwd.st_ino == st.st_ino;

      if (S_ISDIR (st.st_mode) && st.st_uid == geteuid () && !is_cwd &&
          holds_only_run_files (target))
        {
          g_chmod (staging, st.st_mode & 07777);
          exchanged = exchange_dirs (staging, target);
        }
      if (exchanged)
        nn_run_dir_remove (staging, NULL);   /* the previous run, now there */
      else if (!move_run_files (staging, target, error))
        {
          g_prefix_error (error, "the run's files are in %s and not all in %s: ",
                          staging, target);
          return FALSE;
        }
    }
  return TRUE;
}
