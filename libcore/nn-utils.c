/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "nn-errors.h"
#include "nn-utils-private.h"

/* The optimal string alignment distance: insertions, deletions,
 * substitutions and swaps of two neighbouring letters, each counting one,
 * ignoring case. A swap is the commonest typo ("rleu"), which plain
 * Levenshtein counts as two. */
static guint
edit_distance (const char *a,
               const char *b)
{
  gsize             la = strlen (a), lb = strlen (b);
  g_autofree guint *before = g_new (guint, lb + 1); /* row i - 2 */
  g_autofree guint *prev = g_new (guint, lb + 1);   /* row i - 1 */
  g_autofree guint *cur = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    prev[j] = j;
  for (gsize i = 1; i <= la; i++)
    {
      char ai = g_ascii_tolower (a[i - 1]);

      cur[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          char  bj = g_ascii_tolower (b[j - 1]);
          guint cost = ai == bj ? 0 : 1;

          cur[j] = MIN (MIN (prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
          if (i > 1 && j > 1 && ai == g_ascii_tolower (b[j - 2]) &&
              g_ascii_tolower (a[i - 2]) == bj)
            cur[j] = MIN (cur[j], before[j - 2] + 1);
        }
      memcpy (before, prev, (lb + 1) * sizeof (guint));
      memcpy (prev, cur, (lb + 1) * sizeof (guint));
    }
  return prev[lb];
}

/*
 * nn_suggest:
 * @word: what the user wrote
 * @candidates: (array zero-terminated=1): the valid words
 *
 * Returns: (transfer none) (nullable): the candidate closest to @word when it
 *   is close enough to be a likely typo, for a "did you mean" hint
 */
const char *
nn_suggest (const char         *word,
            const char * const *candidates)
{
  const char *best = NULL;
  guint       best_distance = G_MAXUINT;
  guint       limit = MAX (2, (guint) strlen (word) / 3);

  for (gsize i = 0; candidates != NULL && candidates[i] != NULL; i++)
    {
      guint d = edit_distance (word, candidates[i]);

      if (d < best_distance)
        {
          best_distance = d;
          best = candidates[i];
        }
    }
  return best_distance <= limit ? best : NULL;
}

/*
 * nn_strjoin_quoted:
 * @words: (array zero-terminated=1): words
 *
 * Returns: (transfer full): the words as `'a', 'b', 'c'`
 */
char *
nn_strjoin_quoted (const char * const *words)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; words != NULL && words[i] != NULL; i++)
    g_string_append_printf (s, "%s'%s'", i ? ", " : "", words[i]);
  return g_string_free (s, FALSE);
}

/*
 * nn_set_io_error:
 * @error: return location for a #GError
 * @saved_errno: the errno of the failed call
 * @format: what could not be done, printf()-style
 * @...: the arguments of @format
 *
 * Sets @error to %NN_MODEL_ERROR_IO, `WHAT: REASON`.
 *
 * Returns: %FALSE, to return in turn
 */
gboolean
nn_set_io_error (GError    **error,
                 int         saved_errno,
                 const char *format,
                 ...)
{
  g_autofree char *what = NULL;
  va_list          args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO, "%s: %s", what,
               g_strerror (saved_errno));
  return FALSE;
}

/*
 * nn_write_file_atomic:
 * @path: the file to write
 * @data: (array length=length): its new contents
 * @length: the length of @data
 * @error: return location for a #GError
 *
 * Writes @path as g_file_set_contents() does (a temporary file in the same
 * folder, flushed to disk, then renamed over @path, so @path holds its old
 * contents or the whole new ones), but a failure names @path itself rather
 * than the temporary file: %NN_MODEL_ERROR_IO, `PATH: error: cannot write:
 * REASON`. The temporary file is removed.
 *
 * Returns: %TRUE on success
 */
gboolean
nn_write_file_atomic (const char *path,
                      const void *data,
                      gsize       length,
                      GError    **error)
{
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  const char      *p = data;
  gsize            left = length;
  int              fd, saved_errno;

  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0666);
  if (fd < 0)
    return nn_set_io_error (error, errno, "%s: error: cannot write", path);
  while (left > 0)
    {
      gssize n = write (fd, p, left);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        goto fail;
      p += n;
      left -= (gsize) n;
    }
  /* On disk before the rename, so a crash leaves the old file or the new. */
  if (fsync (fd) != 0)
    goto fail;
  if (close (fd) != 0)
    {
      fd = -1;
      goto fail;
    }
  fd = -1;
  if (g_rename (tmp, path) != 0)
    goto fail;
  return TRUE;

fail:
  /* A write of 0 bytes with no error is a full disk. */
  saved_errno = errno != 0 ? errno : ENOSPC;
  if (fd >= 0)
    close (fd);
  g_unlink (tmp);
  return nn_set_io_error (error, saved_errno, "%s: error: cannot write", path);
}

/*
 * nn_read_file_limited:
 * @path: a file
 * @max_length: the most bytes it may have
 * @contents: (out) (transfer full): its contents, NUL-terminated
 * @length: (out): their length
 * @error: return location for a #GError
 *
 * Reads a whole file as g_file_get_contents() does, for files small by
 * nature: anything but a regular file (a FIFO would block for ever, a
 * device never end) and a file longer than @max_length are refused before
 * anything is allocated. Errors are %G_FILE_ERROR, with a message that does
 * not repeat @path.
 *
 * Returns: %TRUE on success
 */
gboolean
nn_read_file_limited (const char *path,
                      gsize       max_length,
                      char      **contents,
                      gsize      *length,
                      GError    **error)
{
  g_autofree char *data = NULL;
  struct stat      st;
  gsize            done = 0;
  int              fd, saved_errno;

  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error_literal (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                           g_strerror (saved_errno));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "not a regular file");
      return FALSE;
    }
  if ((guint64) st.st_size > max_length)
    {
      close (fd);
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   "%" G_GUINT64_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
                   " such a file may have",
                   (guint64) st.st_size, max_length);
      return FALSE;
    }
  data = g_malloc ((gsize) st.st_size + 1);
  while (done < (gsize) st.st_size)
    {
      gssize n = read (fd, data + done, (gsize) st.st_size - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          saved_errno = errno;
          close (fd);
          g_set_error_literal (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                               g_strerror (saved_errno));
          return FALSE;
        }
      if (n == 0)
        break; /* shorter than it was: take what there is */
      done += (gsize) n;
    }
  close (fd);
  data[done] = '\0';
  *contents = g_steal_pointer (&data);
  *length = done;
  return TRUE;
}
