/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "nn-checkpoint-private.h"
#include "nn-errors.h"
#include "nn-history-log-private.h"
#include "nn-utils-private.h"

/* A run's checkpoints would grow with its history, and writing one every
 * epoch would cost time quadratic in the epochs. So the history goes into
 * `history.rows` in the staging directory, each row once, before the
 * checkpoint that covers it; the checkpoint records how many rows it
 * covers and the SHA-256 of that prefix of the file, and leaves out the
 * trainer's loss histories, which are two of its columns.
 *
 * The first checkpoint of a run holds the whole history itself: until it
 * is on disk the checkpoint it replaces (a killed run's, the one a resumed
 * run started from) may still need the file as it is. Only then is the
 * file written afresh, and appended to from there on. The last checkpoint
 * of a run, the one that goes into the run directory, holds the whole
 * history as well, so that a run directory never needs the file; rows
 * written after the checkpoint that covers them (a run killed between
 * the two) are ignored.
 *
 * The file: `nnrows\n\0`, the number of columns as a little-endian 32-bit
 * number, 4 zero bytes, then each row's values as little-endian doubles. */

static const char magic[8] = "nnrows\n";

#define HEADER_LENGTH 16

struct _NnHistoryLog
{
  char      *path;
  guint      n_cols;
  gboolean   ready; /* the file holds the rows of this run's checkpoint */
  guint      rows_written;
  GChecksum *sum;     /* of the file's first rows_written rows */
  gboolean   compact; /* this run's last checkpoint needs the file */

  /* `history.live`, for those who follow the run */
  int         live_fd;
  gboolean    live_failed;
  guint       live_rows;
  gint64      live_time;
  GByteArray *live_bytes;
};

/* The history file of @staging_dir, for a run whose history has @n_cols
 * columns. */
NnHistoryLog *
nn_history_log_new (const char *staging_dir,
                    guint       n_cols)
{
  NnHistoryLog *self = g_new0 (NnHistoryLog, 1);

  self->path = g_build_filename (staging_dir, NN_HISTORY_LOG_FILE, NULL);
  self->n_cols = n_cols;
  self->live_fd = -1;
  self->live_time = g_get_monotonic_time ();
  self->live_bytes = g_byte_array_new ();
  return self;
}

void
nn_history_log_free (NnHistoryLog *self)
{
  if (self == NULL)
    return;
  g_free (self->path);
  g_clear_pointer (&self->sum, g_checksum_free);
  nn_history_log_live_end (self);
  g_byte_array_unref (self->live_bytes);
  g_free (self);
}

static void
append_header (GByteArray *out,
               guint       n_cols)
{
  guint32 header[2] = { GUINT32_TO_LE (n_cols), 0 };

  g_byte_array_append (out, (const guint8 *) magic, sizeof magic);
  g_byte_array_append (out, (const guint8 *) header, sizeof header);
}

/* Rows @from to @to of @history, as little-endian doubles. */
static void
append_rows (GByteArray *out,
             GArray     *history,
             guint       n_cols,
             guint       from,
             guint       to)
{
  for (gsize i = (gsize) from * n_cols; i < (gsize) to * n_cols; i++)
    {
      guint64 bits;

      memcpy (&bits, &g_array_index (history, double, i), sizeof bits);
      bits = GUINT64_TO_LE (bits);
      g_byte_array_append (out, (const guint8 *) &bits, sizeof bits);
    }
}

/* Writes the file afresh with the first @n_rows rows. */
static gboolean
rewrite (NnHistoryLog *self,
         GArray       *history,
         guint         n_rows,
         GError      **error)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();

  append_header (bytes, self->n_cols);
  append_rows (bytes, history, self->n_cols, 0, n_rows);
  if (!nn_write_file_atomic (self->path, bytes->data, bytes->len, error))
    return FALSE;
  g_clear_pointer (&self->sum, g_checksum_free);
  self->sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (self->sum, bytes->data, bytes->len);
  self->rows_written = n_rows;
  self->ready = TRUE;
  return TRUE;
}

/* Appends the rows after those written up to @n_rows, on disk before the
 * checkpoint that covers them. */
static gboolean
append (NnHistoryLog *self,
        GArray       *history,
        guint         n_rows,
        GError      **error)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  off_t offset = HEADER_LENGTH + (off_t) self->rows_written * self->n_cols * sizeof (double);
  gsize done = 0;
  int   fd;

  append_rows (bytes, history, self->n_cols, self->rows_written, n_rows);
  fd = g_open (self->path, O_WRONLY | O_CLOEXEC, 0);
  if (fd < 0)
    return nn_set_io_error (error, errno, "%s: error: cannot write", self->path);
  while (done < bytes->len)
    {
      gssize n = pwrite (fd, bytes->data + done, bytes->len - done, offset + (off_t) done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  if (done < bytes->len || fdatasync (fd) != 0)
    {
      int saved_errno = errno != 0 ? errno : ENOSPC;

      close (fd);
      return nn_set_io_error (error, saved_errno, "%s: error: cannot write", self->path);
    }
  close (fd);
  g_checksum_update (self->sum, bytes->data, bytes->len);
  self->rows_written = n_rows;
  return TRUE;
}

/*
 * nn_history_log_live:
 * @self: the history file of the run
 * @history: the run's history, @n_rows rows
 * @n_rows: the rows so far
 *
 * Appends the rows not yet there to `history.live` in the staging
 * directory (the format of `history.rows`), for those who follow the run,
 * at most every %NN_HISTORY_LOG_LIVE_INTERVAL microseconds: a short run
 * writes nothing. The file is not synced and nothing relies on it; one
 * that cannot be written is given up for the run, which goes on.
 */
void
nn_history_log_live (NnHistoryLog *self,
                     GArray       *history,
                     guint         n_rows)
{
  gint64 now = g_get_monotonic_time ();
  gsize  done = 0;

  if (self->live_failed || n_rows <= self->live_rows ||
      now - self->live_time < NN_HISTORY_LOG_LIVE_INTERVAL)
    return;
  self->live_time = now;
  g_byte_array_set_size (self->live_bytes, 0);
  if (self->live_fd < 0)
    {
      g_autofree char *dir = g_path_get_dirname (self->path);
      g_autofree char *path = g_build_filename (dir, NN_HISTORY_LOG_LIVE_FILE, NULL);

      self->live_fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
      if (self->live_fd < 0)
        {
          self->live_failed = TRUE;
          return;
        }
      append_header (self->live_bytes, self->n_cols);
    }
  append_rows (self->live_bytes, history, self->n_cols, self->live_rows, n_rows);
  while (done < self->live_bytes->len)
    {
      gssize n = write (self->live_fd, self->live_bytes->data + done,
                        self->live_bytes->len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          /* A partial row at the end is left for readers to ignore. */
          nn_history_log_live_end (self);
          self->live_failed = TRUE;
          return;
        }
      done += (gsize) n;
    }
  self->live_rows = n_rows;
}

/* Closes `history.live`; nn-run-dir.c removes it with the staging
 * directory's other files. */
void
nn_history_log_live_end (NnHistoryLog *self)
{
  if (self->live_fd >= 0)
    close (self->live_fd);
  self->live_fd = -1;
}

/* The history inline in @extra, and the trainer's loss histories in its
 * state: a checkpoint that needs no other file. */
static gboolean
write_whole (const char      *path,
             GVariant        *state,
             GVariantBuilder *extra,
             GArray          *history,
             guint            n_values,
             GError         **error)
{
  g_variant_builder_add (extra, "{sv}", "history",
                         g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, history->data,
                                                    n_values, sizeof (double)));
  return nn_checkpoint_write (path, state, g_variant_builder_end (extra), error);
}

/*
 * nn_history_log_checkpoint:
 * @self: the history file of the run
 * @path: the checkpoint to write
 * @trainer: the run's trainer
 * @extra: the rest of the checkpoint's `extra`, ended here
 * @history: the run's history, @n_rows rows of the file's columns
 * @whole: whether the checkpoint must hold the whole history (the last
 *   of a run)
 * @error: return location for a #GError
 *
 * Writes a checkpoint of @trainer and @extra with the history: in the
 * checkpoint itself if it is the run's first or @whole, else appended to
 * the file, the checkpoint then recording `history-rows` (`u`) and
 * `history-sha256` (`s`) and leaving out the loss histories.
 *
 * Returns: %TRUE, or %FALSE with @error set (%NN_MODEL_ERROR_IO)
 */
gboolean
nn_history_log_checkpoint (NnHistoryLog    *self,
                           const char      *path,
                           NnTrainer       *trainer,
                           GVariantBuilder *extra,
                           GArray          *history,
                           guint            n_rows,
                           gboolean         whole,
                           GError         **error)
{
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GChecksum) prefix = NULL;

  if (whole || !self->ready)
    {
      state = nn_trainer_save_state (trainer);
      if (!write_whole (path, state, extra, history, n_rows * self->n_cols, error))
        return FALSE;
      self->compact = FALSE;
      /* The last checkpoint needs the file no more; one it replaced may
       * have needed it until now. */
      if (whole)
        {
          g_unlink (self->path);
          self->ready = FALSE;
          return TRUE;
        }
      return rewrite (self, history, n_rows, error);
    }

  if (!append (self, history, n_rows, error))
    {
      g_variant_builder_clear (extra);
      return FALSE;
    }
  prefix = g_checksum_copy (self->sum);
  g_variant_builder_add (extra, "{sv}", "history-rows", g_variant_new_uint32 (n_rows));
  g_variant_builder_add (extra, "{sv}", "history-sha256",
                         g_variant_new_string (g_checksum_get_string (prefix)));
  state = nn_trainer_save_state_without_histories (trainer);
  if (!nn_checkpoint_write (path, state, g_variant_builder_end (extra), error))
    return FALSE;
  self->compact = TRUE;
  return TRUE;
}

/*
 * nn_history_log_finish:
 * @self: the history file of the run
 * @checkpoint: the run's last checkpoint
 * @history: the run's history, at least the rows @checkpoint covers
 * @error: return location for a #GError
 *
 * Makes the run's last checkpoint hold its whole history, if it relies on
 * the file (a run that diverged keeps its last good checkpoint, which may),
 * so that it goes into the run directory without the file.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
nn_history_log_finish (NnHistoryLog *self,
                       const char   *checkpoint,
                       GArray       *history,
                       GError      **error)
{
  g_autoptr(GVariant) file = NULL;
  g_autoptr(GVariant) extra = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GArray) losses = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) val_losses = g_array_new (FALSE, FALSE, sizeof (double));
  g_auto(GVariantDict) whole_state = G_VARIANT_DICT_INIT (NULL);
  GVariantBuilder whole_extra;
  GVariantIter    iter;
  const char     *key;
  GVariant       *value;
  guint32         n_rows;

  if (!self->compact)
    return TRUE;
  if ((file = nn_checkpoint_read (checkpoint, error)) == NULL)
    return FALSE;
  extra = nn_checkpoint_get_extra (file);
  state = g_variant_lookup_value (file, "model", G_VARIANT_TYPE_VARDICT);
  if (extra == NULL || !g_variant_lookup (extra, "history-rows", "u", &n_rows) ||
      (gsize) n_rows * self->n_cols > history->len)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s: error: the checkpoint is not the one this run wrote", checkpoint);
      return FALSE;
    }

  for (guint r = 0; r < n_rows; r++)
    {
      g_array_append_val (losses, g_array_index (history, double, r * self->n_cols + 1));
      g_array_append_val (val_losses, g_array_index (history, double, r * self->n_cols + 2));
    }
  g_variant_dict_init (&whole_state, state);
  g_variant_dict_insert_value (&whole_state, "loss-history",
                               g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, losses->data,
                                                          n_rows, sizeof (double)));
  g_variant_dict_insert_value (&whole_state, "val-loss-history",
                               g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE,
                                                          val_losses->data, n_rows,
                                                          sizeof (double)));
  g_clear_pointer (&state, g_variant_unref);
  state = g_variant_ref_sink (g_variant_dict_end (&whole_state));

  g_variant_builder_init (&whole_extra, G_VARIANT_TYPE_VARDICT);
  g_variant_iter_init (&iter, extra);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      if (!g_str_has_prefix (key, "history-"))
        g_variant_builder_add (&whole_extra, "{sv}", key, value);
      g_variant_unref (value);
    }
  if (!write_whole (checkpoint, state, &whole_extra, history, n_rows * self->n_cols, error))
    return FALSE;
  self->compact = FALSE;
  return TRUE;
}

/* The first @n_rows rows of the history file beside @checkpoint, checked
 * against the digest @sha256 the checkpoint recorded. */
static gboolean
read_rows (const char *checkpoint,
           guint       n_cols,
           guint       n_rows,
           const char *sha256,
           GArray     *out,
           GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (checkpoint);
  g_autofree char *path = g_build_filename (dir, NN_HISTORY_LOG_FILE, NULL);
  g_autofree char *contents = NULL;
  g_autofree char *digest = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize   length, needed = HEADER_LENGTH + (gsize) n_rows * n_cols * sizeof (double);
  guint32 header[2];

  if (!nn_read_file_limited (path, G_MAXSSIZE, &contents, &length, &local_error))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
                   "%s: error: cannot read the history it needs: %s: %s", checkpoint, path,
                   local_error->message);
      return FALSE;
    }
  if (length >= HEADER_LENGTH)
    memcpy (header, contents + sizeof magic, sizeof header);
  if (length < needed || memcmp (contents, magic, sizeof magic) != 0 ||
      GUINT32_FROM_LE (header[0]) != n_cols)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
                   "%s: error: the history it needs, %s, is damaged: it does not hold "
                   "%u rows of %u columns",
                   checkpoint, path, n_rows, n_cols);
      return FALSE;
    }
  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, needed);
  if (!g_str_equal (digest, sha256))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
                   "%s: error: the history it needs, %s, is damaged: its checksum does "
                   "not match",
                   checkpoint, path);
      return FALSE;
    }
  for (gsize i = 0; i < (gsize) n_rows * n_cols; i++)
    {
      guint64 bits;
      double  v;

      memcpy (&bits, contents + HEADER_LENGTH + i * sizeof bits, sizeof bits);
      bits = GUINT64_FROM_LE (bits);
      memcpy (&v, &bits, sizeof v);
      g_array_append_val (out, v);
    }
  return TRUE;
}

/*
 * nn_history_log_read:
 * @checkpoint: the checkpoint's file
 * @file: its dictionary (nn_checkpoint_read())
 * @extra: (nullable): its `extra`
 * @columns: the columns of the history of the experiment being resumed
 * @error: return location for a #GError
 *
 * The history a checkpoint of a run covers, one row per epoch it
 * finished: in the checkpoint, or in the history file beside it. Nothing
 * is used of a checkpoint whose history is of other columns or another
 * length, or of a history file that does not match the checkpoint.
 *
 * Returns: (transfer full): the history, or %NULL with @error set
 *   (%NN_MODEL_ERROR_INVALID_FILE)
 */
GArray *
nn_history_log_read (const char         *checkpoint,
                     GVariant           *file,
                     GVariant           *extra,
                     const char * const *columns,
                     GError            **error)
{
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GVariant) state = g_variant_lookup_value (file, "model", G_VARIANT_TYPE_VARDICT);
  g_autoptr(GVariant) inline_rows = NULL;
  g_autofree const char **names = NULL;
  guint                   n_cols = g_strv_length ((char **) columns);
  guint32                 epoch = 0, n_rows = 0;
  const char             *sha256 = NULL;

  if (extra != NULL)
    {
      g_variant_lookup (extra, "columns", "^a&s", &names);
      inline_rows = g_variant_lookup_value (extra, "history", G_VARIANT_TYPE ("ad"));
      if (inline_rows == NULL)
        g_variant_lookup (extra, "history-sha256", "&s", &sha256);
      g_variant_lookup (extra, "history-rows", "u", &n_rows);
    }
  if (state != NULL)
    g_variant_lookup (state, "epoch", "u", &epoch);
  if (inline_rows != NULL)
    n_rows = (guint32) (g_variant_get_size (inline_rows) / sizeof (double) / MAX (n_cols, 1));
  if (names == NULL || !g_strv_equal (names, columns) ||
      (inline_rows == NULL && sha256 == NULL) || n_rows != epoch ||
      (inline_rows != NULL &&
       g_variant_get_size (inline_rows) != (gsize) epoch * n_cols * sizeof (double)))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
                   "%s: error: the checkpoint's history does not match this experiment "
                   "(another metric list, or another run)",
                   checkpoint);
      return NULL;
    }
  if (inline_rows != NULL)
    {
      gsize         n_values;
      const double *values = g_variant_get_fixed_array (inline_rows, &n_values, sizeof (double));

      g_array_append_vals (rows, values, (guint) n_values);
    }
  else if (!read_rows (checkpoint, n_cols, n_rows, sha256, rows, error))
    return NULL;
  return g_steal_pointer (&rows);
}

/* The trainer's loss histories from the history's `loss` and `val_loss`
 * columns (the second and third). */
void
nn_history_log_restore_losses (NnTrainer *trainer,
                               GArray    *history,
                               guint      n_cols)
{
  guint              n_rows = history->len / n_cols;
  g_autofree double *losses = g_new (double, MAX (n_rows, 1));
  g_autofree double *val_losses = g_new (double, MAX (n_rows, 1));

  for (guint r = 0; r < n_rows; r++)
    {
      losses[r] = g_array_index (history, double, (gsize) r *n_cols + 1);
      val_losses[r] = g_array_index (history, double, (gsize) r *n_cols + 2);
    }
  nn_trainer_set_loss_histories (trainer, losses, val_losses, n_rows);
}
