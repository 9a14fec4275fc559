/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* renameat2() */
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

/* A run into DIR holds the lock DIR.lock from before it touches anything
 * until its files are committed or discarded, and writes its files into
 * DIR.partial; they replace the previous run's files in DIR only once all
 * are written. A run that failed leaves DIR as it was, a process killed
 * outright leaves DIR.partial.
 *
 * The newest checkpoint survives every failure until a newer one is on
 * disk: a run keeps the checkpoint it finds in DIR.partial (a killed run's,
 * which a resumed run started from) until its own replaces it by a rename,
 * and a failed run leaves its checkpoint there.
 *
 * DIR.partial belongs to nn; in DIR, nn removes or replaces only the files
 * its manifest lists, the files the previous run wrote, and the files of
 * the new run: anything else in DIR is the user's and stays. */
#define STAGING_SUFFIX ".partial"
#define LOCK_SUFFIX ".lock"

#define MANIFEST_HEADER "# nn: the files of this run, the only ones a later run removes\n"
#define MANIFEST_MAX_SIZE (1024 * 1024)

struct _NnRunDir
{
  char    *path;      /* as asked for, for messages */
  char    *target;    /* path, or the directory it links to */
  char    *staging;   /* target.partial */
  char    *lock_path; /* target.lock */
  int      lock_fd;
  gboolean own_checkpoint; /* the staged checkpoint is this run's */
};

/* Every file a run writes, nnrun's plots included. */
static const char * const run_files[] = {
  NN_RUN_DIR_CHECKPOINT_FILE, NN_RUN_DIR_HISTORY_FILE, NN_RUN_DIR_LIVE_FILE, "config.yaml", "history.csv", "loss.png", "loss.svg",
  "model.safetensors", "model.yaml", "predictions.csv", "summary.json", NN_RUN_DIR_MANIFEST_FILE,
  NULL
};

static gboolean
is_regular (const char *dir,
            const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf         st;

  return g_lstat (path, &st) == 0 && S_ISREG (st.st_mode);
}

/* One of run_files, or the temporary file of an atomic write of one
 * (NAME.XXXXXX) that a killed process left behind. */
static gboolean
is_run_file_name (const char *name)
{
  for (gsize i = 0; run_files[i] != NULL; i++)
    {
      gsize       n = strlen (run_files[i]);
      const char *rest = name + n;
      gboolean    known;

      if (strncmp (name, run_files[i], n) != 0)
        continue;
      known = *rest == '\0';
      if (*rest == '.' && strlen (rest + 1) == 6)
        {
          known = TRUE;
          for (const char *c = rest + 1; *c != '\0'; c++)
            known = known && g_ascii_isalnum (*c);
        }
      if (known)
        return TRUE;
    }
  return FALSE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The sorted names in @path. */
static GPtrArray *
list_dir (const char *path,
          GError    **error)
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

/* ---- the manifest -------------------------------------------------------- */

/* The names the manifest of @dir lists, or NULL when it has none that nn
 * wrote. */
static GHashTable *
read_manifest (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, NN_RUN_DIR_MANIFEST_FILE, NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GHashTable *names;
  gsize       length;

  if (!is_regular (dir, NN_RUN_DIR_MANIFEST_FILE) ||
      !nn_read_file_limited (path, MANIFEST_MAX_SIZE, &text, &length, NULL) ||
      !g_str_has_prefix (text, MANIFEST_HEADER) || strlen (text) != length)
    return NULL;
  names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  lines = g_strsplit (text + strlen (MANIFEST_HEADER), "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0' && strchr (lines[i], '/') == NULL &&
        !g_str_equal (lines[i], ".") && !g_str_equal (lines[i], ".."))
      g_hash_table_add (names, g_strdup (lines[i]));
  return names;
}

/* Writes @names as the manifest of @dir, atomically. */
static gboolean
write_manifest (const char *dir,
                GPtrArray  *names,
                GError    **error)
{
  g_autofree char *path = g_build_filename (dir, NN_RUN_DIR_MANIFEST_FILE, NULL);
  g_autoptr(GString) text = g_string_new (MANIFEST_HEADER);

  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    if (!g_str_equal (names->pdata[i], NN_RUN_DIR_MANIFEST_FILE))
      g_string_append_printf (text, "%s\n", (const char *) names->pdata[i]);
  return nn_write_file_atomic (path, text->str, text->len, error);
}

/* ---- the staging directory ----------------------------------------------- */

/* A file of nn's in the staging directory @dir: a run file, or one its
 * manifest lists (a file the caller added, when a commit was cut short). */
static gboolean
is_staged_file (const char *dir,
                const char *name,
                GHashTable *manifest)
{
  return is_regular (dir, name) &&
         (is_run_file_name (name) || (manifest && g_hash_table_contains (manifest, name)));
}

/* Removes nn's files from the staging directory @dir but its checkpoint
 * and the history rows it may rely on; *@foreign: the first other file, or
 * %NULL. */
static gboolean
clear_staging (const char *dir,
               char      **foreign,
               GError    **error)
{
  g_autoptr(GHashTable) manifest = read_manifest (dir);
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GError) local_error = NULL;

  *foreign = NULL;
  names = list_dir (dir, &local_error);
  if (names == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO, "cannot clear %s: %s", dir,
                   local_error->message);
      return FALSE;
    }
  for (guint i = 0; i < names->len; i++)
    {
      const char      *name = names->pdata[i];
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (!is_staged_file (dir, name, manifest))
        {
          if (*foreign == NULL)
            *foreign = g_strdup (name);
        }
      else if (g_str_equal (name, NN_RUN_DIR_CHECKPOINT_FILE) ||
               g_str_equal (name, NN_RUN_DIR_HISTORY_FILE))
        continue;
      /* The manifest last: until then it names the files still there. */
      else if (!g_str_equal (name, NN_RUN_DIR_MANIFEST_FILE) &&
               g_unlink (path) != 0 && errno != ENOENT)
        return nn_set_io_error (error, errno, "cannot remove %s", path);
    }
  if (manifest != NULL || is_regular (dir, NN_RUN_DIR_MANIFEST_FILE))
    {
      g_autofree char *path = g_build_filename (dir, NN_RUN_DIR_MANIFEST_FILE, NULL);

      if (g_unlink (path) != 0 && errno != ENOENT)
        return nn_set_io_error (error, errno, "cannot remove %s", path);
    }
  return TRUE;
}

/*
 * nn_run_dir_open:
 * @run_dir: the run directory, which need not exist
 * @create_parents: whether to create the directories above it
 * @error: return location for a #GError
 *
 * Checks that @run_dir can be a run directory (nn_run_dir_check()) and
 * takes its lock, `RUN_DIR.lock`, held until nn_run_dir_close().
 *
 * Returns: (transfer full): the run directory, or %NULL with @error set
 */
NnRunDir *
nn_run_dir_open (const char *run_dir,
                 gboolean    create_parents,
                 GError    **error)
{
  g_autofree char *target = nn_run_dir_resolve (run_dir);
  g_autofree char *parent = g_path_get_dirname (target);
  g_autofree char *lock_path = g_strconcat (target, LOCK_SUFFIX, NULL);
  NnRunDir        *self;
  int              fd;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!nn_run_dir_check (run_dir, target, error))
    return NULL;
  if (create_parents && g_mkdir_with_parents (parent, 0777) != 0)
    {
      nn_set_io_error (error, errno, "cannot create the run directory %s", run_dir);
      return NULL;
    }
  if ((fd = nn_run_lock_take (run_dir, lock_path, error)) < 0)
    return NULL;

  self = g_new0 (NnRunDir, 1);
  self->path = g_strdup (run_dir);
  self->staging = g_strconcat (target, STAGING_SUFFIX, NULL);
  self->target = g_steal_pointer (&target);
  self->lock_path = g_steal_pointer (&lock_path);
  self->lock_fd = fd;
  return self;
}

/*
 * nn_run_dir_close:
 * @self: a run directory
 *
 * Lets its lock go; the staging directory stays as it is.
 */
void
nn_run_dir_close (NnRunDir *self)
{
  if (self == NULL)
    return;
  nn_run_lock_release (self->lock_fd, self->lock_path);
  g_free (self->path);
  g_free (self->target);
  g_free (self->staging);
  g_free (self->lock_path);
  g_free (self);
}

const char *
nn_run_dir_get_path (NnRunDir *self)
{
  return self->path;
}

/* `RUN_DIR.partial`, beside the directory RUN_DIR links to if it does. */
const char *
nn_run_dir_get_staging (NnRunDir *self)
{
  return self->staging;
}

/*
 * nn_run_dir_find_checkpoint:
 * @run_dir: a run directory
 *
 * Returns: (transfer full) (nullable): its newest checkpoint: the staged
 *   one if there is one (a run killed or failed left it), else the one in
 *   @run_dir, or %NULL when there is neither
 */
char *
nn_run_dir_find_checkpoint (const char *run_dir)
{
  g_autofree char *target = nn_run_dir_resolve (run_dir);
  g_autofree char *staging = g_strconcat (target, STAGING_SUFFIX, NULL);
  g_autofree char *staged = g_build_filename (staging, NN_RUN_DIR_CHECKPOINT_FILE, NULL);
  g_autofree char *committed = g_build_filename (run_dir, NN_RUN_DIR_CHECKPOINT_FILE, NULL);

  if (g_file_test (staged, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&staged);
  if (g_file_test (committed, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&committed);
  return NULL;
}

/*
 * nn_run_dir_stage:
 * @self: a run directory
 * @error: return location for a #GError
 *
 * Readies the staging directory for a run: creates it, or clears what a
 * run killed there left but its checkpoint and the history rows it may
 * rely on, which stay until this run's own checkpoint replaces it.
 *
 * Returns: %TRUE, or %FALSE with @error set (%NN_MODEL_ERROR_IO)
 */
gboolean
nn_run_dir_stage (NnRunDir *self,
                  GError  **error)
{
  g_autofree char *foreign = NULL;
  GStatBuf         st;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  self->own_checkpoint = FALSE;
  if (g_lstat (self->staging, &st) != 0)
    {
      if (errno != ENOENT || g_mkdir (self->staging, 0777) != 0)
        return nn_set_io_error (error, errno, "cannot create the run directory %s",
                                self->staging);
    }
  else if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO,
                   "%s is in the way of the run: it is not a directory nn made",
                   self->staging);
      return FALSE;
    }
  else
    {
      if (!clear_staging (self->staging, &foreign, error))
        return FALSE;
      if (foreign != NULL)
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO,
                       "%s holds %s, which nn did not write: move it away", self->staging,
                       foreign);
          return FALSE;
        }
    }
  /* Private while it is written if the run directory is. */
  if (g_stat (self->target, &st) == 0 && S_ISDIR (st.st_mode))
    g_chmod (self->staging, (st.st_mode & 07777) | S_IRWXU);
  return TRUE;
}

/*
 * nn_run_dir_checkpoint_saved:
 * @self: a staged run directory
 *
 * Notes that the staged checkpoint is now this run's own.
 */
void
nn_run_dir_checkpoint_saved (NnRunDir *self)
{
  self->own_checkpoint = TRUE;
}

/*
 * nn_run_dir_discard:
 * @self: a staged run directory
 *
 * Removes the run's files from the staging directory, but its checkpoint
 * and the history rows it may rely on, which stay there to resume from,
 * and the directory with them. Files nn
 * did not write stay as well.
 *
 * Returns: whether a checkpoint stays in the staging directory
 */
gboolean
nn_run_dir_discard (NnRunDir *self)
{
  g_autofree char *foreign = NULL;

  if (!g_file_test (self->staging, G_FILE_TEST_IS_DIR))
    return FALSE;
  clear_staging (self->staging, &foreign, NULL);
  if (is_regular (self->staging, NN_RUN_DIR_CHECKPOINT_FILE))
    return TRUE;
  if (is_regular (self->staging, NN_RUN_DIR_HISTORY_FILE))
    {
      g_autofree char *rows = g_build_filename (self->staging, NN_RUN_DIR_HISTORY_FILE, NULL);
      g_unlink (rows);
    }
  if (foreign == NULL)
    g_rmdir (self->staging);
  return FALSE;
}

/* ---- committing ---------------------------------------------------------- */

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

/* Whether everything in @dir is in its manifest @listed (an empty @dir
 * needs none). */
static gboolean
holds_only_listed (const char *dir,
                   GHashTable *listed)
{
  g_autoptr(GPtrArray) names = list_dir (dir, NULL);

  if (names == NULL)
    return FALSE;
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];

      if (!is_regular (dir, name) ||
          (!g_str_equal (name, NN_RUN_DIR_MANIFEST_FILE) &&
           (listed == NULL || !g_hash_table_contains (listed, name))))
        return FALSE;
    }
  return TRUE;
}

/* Removes a previous run, swapped out of place to @dir: the files its
 * manifest @listed names, then the directory. */
static void
remove_swapped_out (const char *dir,
                    GHashTable *listed)
{
  g_autofree char *checkpoint = g_build_filename (dir, NN_RUN_DIR_CHECKPOINT_FILE, NULL);
  g_autofree char *manifest = g_build_filename (dir, NN_RUN_DIR_MANIFEST_FILE, NULL);
  GHashTableIter   iter;
  gpointer         name;

  /* The checkpoint first: --resume must never find a stale one. */
  if (listed != NULL && g_hash_table_contains (listed, NN_RUN_DIR_CHECKPOINT_FILE))
    g_unlink (checkpoint);
  if (listed != NULL)
    {
      g_hash_table_iter_init (&iter, listed);
      while (g_hash_table_iter_next (&iter, &name, NULL))
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);

          if (is_regular (dir, name))
            g_unlink (path);
        }
    }
  g_unlink (manifest);
  g_rmdir (dir);
}

/* The order in which the staged files move into place: the checkpoint
 * first, so that the newest one is always in one of the two directories,
 * and the weights before the model.yaml that names their checksum. */
static int
compare_move_order (gconstpointer a,
                    gconstpointer b)
{
  const char *x = *(const char * const *) a;
  const char *y = *(const char * const *) b;
  gboolean    cx = g_str_equal (x, NN_RUN_DIR_CHECKPOINT_FILE);
  gboolean    cy = g_str_equal (y, NN_RUN_DIR_CHECKPOINT_FILE);

  return cx != cy ? cy - cx : strcmp (x, y);
}

/* Moves the staged files @names into @target one rename each: each file
 * of @target holds the old contents or the new whole, and no extra disk
 * space is needed. Of the rest of @target, only the files of the previous
 * run, in its manifest @listed, are removed. At every step one manifest
 * names every file of nn's in @target: the previous run's files this run
 * does not replace go while the old manifest names them, then the new
 * manifest comes, then the files it names. */
static gboolean
move_files (const char *staging,
            const char *target,
            GPtrArray  *names,
            GHashTable *listed,
            GError    **error)
{
  g_autofree char *staged_manifest = g_build_filename (staging, NN_RUN_DIR_MANIFEST_FILE, NULL);
  g_autofree char *manifest = g_build_filename (target, NN_RUN_DIR_MANIFEST_FILE, NULL);
  GHashTableIter   iter;
  gpointer         name;

  if (listed != NULL)
    {
      g_hash_table_iter_init (&iter, listed);
      while (g_hash_table_iter_next (&iter, &name, NULL))
        {
          g_autofree char *old = g_build_filename (target, name, NULL);

          if (!g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL) &&
              is_regular (target, name) && g_unlink (old) != 0 && errno != ENOENT)
            return nn_set_io_error (error, errno, "cannot remove %s", old);
        }
    }
  if (g_rename (staged_manifest, manifest) != 0)
    return nn_set_io_error (error, errno, "cannot move %s to %s", staged_manifest, manifest);
  g_ptr_array_sort (names, compare_move_order);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *from = NULL;
      g_autofree char *to = NULL;

      if (g_str_equal (names->pdata[i], NN_RUN_DIR_MANIFEST_FILE))
        continue;
      from = g_build_filename (staging, names->pdata[i], NULL);
      to = g_build_filename (target, names->pdata[i], NULL);
      if (g_rename (from, to) != 0)
        return nn_set_io_error (error, errno, "cannot move %s to %s", from, to);
    }
  if (g_rmdir (staging) != 0)
    return nn_set_io_error (error, errno, "cannot remove %s", staging);
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

/* Writes the manifest of the staged run: every file in it but a
 * checkpoint a killed run left, which this run supersedes, the history
 * rows of the checkpoints and the history so far. *@names: the
 * staged entries, the manifest included. */
static gboolean
seal_staging (NnRunDir   *self,
              GPtrArray **names,
              GError    **error)
{
  g_autofree char *checkpoint = g_build_filename (self->staging, NN_RUN_DIR_CHECKPOINT_FILE,
                                                  NULL);
  g_autofree char *rows = g_build_filename (self->staging, NN_RUN_DIR_HISTORY_FILE, NULL);
  g_autofree char *live = g_build_filename (self->staging, NN_RUN_DIR_LIVE_FILE, NULL);
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!self->own_checkpoint && is_regular (self->staging, NN_RUN_DIR_CHECKPOINT_FILE) &&
      g_unlink (checkpoint) != 0)
    return nn_set_io_error (error, errno, "cannot remove %s", checkpoint);
  /* The checkpoint that goes into place holds its whole history. */
  if (is_regular (self->staging, NN_RUN_DIR_HISTORY_FILE) && g_unlink (rows) != 0)
    return nn_set_io_error (error, errno, "cannot remove %s", rows);
  if (is_regular (self->staging, NN_RUN_DIR_LIVE_FILE) && g_unlink (live) != 0)
    return nn_set_io_error (error, errno, "cannot remove %s", live);
  files = list_dir (self->staging, &local_error);
  if (files == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO, "%s", local_error->message);
      return FALSE;
    }
  if (!write_manifest (self->staging, files, error))
    return FALSE;
  if (!g_ptr_array_find_with_equal_func (files, NN_RUN_DIR_MANIFEST_FILE, g_str_equal, NULL))
    g_ptr_array_add (files, g_strdup (NN_RUN_DIR_MANIFEST_FILE));
  sync_dir (self->staging);
  *names = g_steal_pointer (&files);
  return TRUE;
}

/*
 * nn_run_dir_commit:
 * @self: a staged run directory
 * @error: return location for a #GError
 *
 * Puts the staged run in place of the previous one, with its manifest. A
 * run directory that holds only the files its manifest lists is exchanged
 * with the staging directory in one step, and the old files removed; one
 * that holds files of the user's own (or has no manifest, or belongs to
 * another user, or is the working directory, or where the system cannot
 * exchange) receives the new files one rename at a time, and loses only
 * the files its manifest lists.
 *
 * Returns: %TRUE once the staging directory is gone, or %FALSE with @error
 *   set (%NN_MODEL_ERROR_IO); the files not yet moved then stay in it
 */
gboolean
nn_run_dir_commit (NnRunDir *self,
                   GError  **error)
{
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GHashTable) listed = NULL;
  GStatBuf st, cwd;
  gboolean is_cwd;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!seal_staging (self, &names, error))
    return FALSE;
  if (g_lstat (self->target, &st) != 0)
    {
      if (errno != ENOENT || g_rename (self->staging, self->target) != 0)
        return nn_set_io_error (error, errno, "cannot move the run from %s to %s",
                                self->staging, self->target);
      return TRUE;
    }

  listed = read_manifest (self->target);
  is_cwd = g_stat (".", &cwd) == 0 && cwd.st_dev == st.st_dev && cwd.st_ino == st.st_ino;
  if (S_ISDIR (st.st_mode) && st.st_uid == geteuid () && !is_cwd &&
      holds_only_listed (self->target, listed))
    {
      g_autofree char *old = g_build_filename (self->target, NN_RUN_DIR_CHECKPOINT_FILE, NULL);

      /* The staged checkpoint is newer: the one swapped out must not be
       * left for --resume to find. */
      if (self->own_checkpoint && is_regular (self->target, NN_RUN_DIR_CHECKPOINT_FILE))
        g_unlink (old);
      g_chmod (self->staging, st.st_mode & 07777);
      if (exchange_dirs (self->staging, self->target))
        {
          remove_swapped_out (self->staging, listed);
          return TRUE;
        }
    }
  if (!move_files (self->staging, self->target, names, listed, error))
    {
      g_prefix_error (error, "the run's files are in %s and not all in %s: ", self->staging,
                      self->target);
      return FALSE;
    }
  return TRUE;
}
