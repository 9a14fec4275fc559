/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "nn-checkpoint.h"
#include "nn-errors.h"
#include "nn-utils-private.h"

/* A checkpoint is the training state of a trainer in a file, from which an
 * interrupted run continues exactly as if it had never stopped.
 *
 * The file starts with the 8 bytes `nnckpt\n\0` followed by a serialized
 * little-endian #GVariant of type `a{sv}`: `version` (`u`,
 * %NN_CHECKPOINT_VERSION), `real` (`s`, `float` or `double`: the build
 * that wrote it), `nn-version` (`s`), `model` (`a{sv}`, see
 * nn_trainer_save_state()) and, if given, `extra` (`v`, the
 * caller's own data, e.g. its history of metrics and an early-stopping
 * state). */

static const char magic[8] = "nnckpt\n";

#if NN_REAL_IS_DOUBLE
#define REAL_NAME "double"
#else
#define REAL_NAME "float"
#endif

/**
 * nn_checkpoint_save:
 * @path: the file to write
 * @trainer: the trainer of the model being trained
 * @extra: (nullable): anything else the caller needs to resume, e.g. its
 *   history; consumed if floating
 * @error: return location for a #GError
 *
 * Writes the training state of @trainer (nn_trainer_save_state():
 * parameters, optimizer state, #NnTrainer:epoch, the progress of an epoch
 * stopped part-way and the loss histories) and @extra to @path, atomically:
 * a reader sees the old file or the new one, never a part.
 *
 * Returns: %TRUE on success, or %FALSE with @error set
 *   (%NN_MODEL_ERROR_IO)
 */
gboolean
nn_checkpoint_save (const char  *path,
                    NnTrainer   *trainer,
                    GVariant    *extra,
                    GError     **error)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GVariant) file = NULL;
  g_autofree char *contents = NULL;
  gsize size;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (NN_IS_TRAINER (trainer), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_variant_dict_insert (&dict, "version", "u", (guint32) NN_CHECKPOINT_VERSION);
  g_variant_dict_insert (&dict, "real", "s", REAL_NAME);
  g_variant_dict_insert (&dict, "nn-version", "s", NN_VERSION);
  state = nn_trainer_save_state (trainer);
  g_variant_dict_insert_value (&dict, "model", state);
  if (extra != NULL)
    g_variant_dict_insert_value (&dict, "extra", g_variant_new_variant (extra));
  file = g_variant_ref_sink (g_variant_dict_end (&dict));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (file);
      g_variant_unref (file);
      file = swapped;
    }

  size = g_variant_get_size (file);
  contents = g_malloc (sizeof magic + size);
  memcpy (contents, magic, sizeof magic);
  g_variant_store (file, contents + sizeof magic);
  return nn_write_file_atomic (path, contents, sizeof magic + size, error);
}

/**
 * nn_checkpoint_load:
 * @path: a file written by nn_checkpoint_save()
 * @trainer: a trainer with the seed of the one that was saved, of a model
 *   built and configured as that one's (layers, activations, loss and
 *   optimizer), e.g. from the same experiment
 * @epochs_done: (out) (optional): the number of epochs the checkpoint
 *   finished, #NnTrainer:epoch after loading
 * @extra: (out) (optional) (nullable) (transfer full): the caller's data
 *   given to nn_checkpoint_save(), or %NULL if none
 * @error: return location for a #GError
 *
 * Restores the training state saved in @path into @trainer and its model,
 * which then continue exactly where the saved ones stood. Everything is
 * checked first: a file that is not a checkpoint, of another version or
 * build (float or double), or of a model of another shape is an error and
 * leaves @trainer and its model unchanged. The file is mapped rather than
 * read, so whatever its size it costs no more memory than the state of
 * @trainer.
 *
 * Returns: %TRUE on success, or %FALSE with @error set: %NN_MODEL_ERROR_IO
 *   if the file cannot be read, %NN_MODEL_ERROR_SHAPE_MISMATCH for another
 *   architecture, %NN_MODEL_ERROR_FAILED for anything else
 */
gboolean
nn_checkpoint_load (const char  *path,
                    NnTrainer   *trainer,
                    guint       *epochs_done,
                    GVariant   **extra,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GVariant) file = NULL;
  g_autoptr(GVariant) version = NULL;
  g_autoptr(GVariant) real = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GVariant) wrapped = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  const char *data;
  struct stat st;
  gsize length;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (NN_IS_TRAINER (trainer), FALSE);
  g_return_val_if_fail (extra == NULL || *extra == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* O_NONBLOCK: a FIFO in place of the file must not hang the open. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO,
                   "cannot read the checkpoint %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO,
                   "cannot read the checkpoint %s: not a regular file", path);
      return FALSE;
    }
  mapped = g_mapped_file_new_from_fd (fd, FALSE, &local_error);
  close (fd);
  if (mapped == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO,
                   "cannot read the checkpoint: %s", local_error->message);
      return FALSE;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  data = g_bytes_get_data (bytes, &length);
  if (length < sizeof magic || memcmp (data, magic, sizeof magic) != 0)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s is not an nn checkpoint", path);
      return FALSE;
    }
  body = g_bytes_new_from_bytes (bytes, sizeof magic, length - sizeof magic);
  file = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, body, FALSE));
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (file);
      g_variant_unref (file);
      file = swapped;
    }

  version = g_variant_lookup_value (file, "version", G_VARIANT_TYPE_UINT32);
  if (version == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s is not a readable nn checkpoint: it has no format version", path);
      return FALSE;
    }
  if (g_variant_get_uint32 (version) != NN_CHECKPOINT_VERSION)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s is a checkpoint of format version %u; this nn reads version %u",
                   path, g_variant_get_uint32 (version), NN_CHECKPOINT_VERSION);
      return FALSE;
    }
  real = g_variant_lookup_value (file, "real", G_VARIANT_TYPE_STRING);
  if (real == NULL || !g_str_equal (g_variant_get_string (real, NULL), REAL_NAME))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s was written by the %s build of nn; this is the %s build, "
                   "which would not continue the same way", path,
                   real != NULL ? g_variant_get_string (real, NULL) : "(unknown)",
                   REAL_NAME);
      return FALSE;
    }
  state = g_variant_lookup_value (file, "model", G_VARIANT_TYPE_VARDICT);
  if (state == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s has no model state", path);
      return FALSE;
    }
  wrapped = g_variant_lookup_value (file, "extra", G_VARIANT_TYPE_VARIANT);

  if (!nn_trainer_load_state (trainer, state, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  if (epochs_done != NULL)
    *epochs_done = nn_trainer_get_epoch (trainer);
  if (extra != NULL)
    *extra = wrapped != NULL ? g_variant_get_variant (wrapped) : NULL;
  return TRUE;
}
