/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "nn-checkpoint.h"
#include "nn-checkpoint-private.h"
#include "nn-errors.h"
#include "nn-utils-private.h"

/* A checkpoint is the training state of a trainer in a file, from which an
 * interrupted run continues exactly as if it had never stopped.
 *
 * The file starts with a header of 48 bytes: `nnckpt\n\0`, the format
 * version (%NN_CHECKPOINT_VERSION) as a little-endian 32-bit number, 4
 * zero bytes, and the SHA-256 digest of the format version and padding
 * bytes followed by everything after the header. There follows a serialized
 * little-endian #GVariant of type `a{sv}`: `version` (`u`,
 * %NN_CHECKPOINT_VERSION), `real` (`s`, `float` or `double`: the build
 * that wrote it), `nn-version` (`s`), `model` (`a{sv}`, see
 * nn_trainer_save_state()) and, if given, `extra` (`v`, the
 * caller's own data, e.g. its history of metrics and an early-stopping
 * state). Nothing of a file whose digest does not match is used.
 *
 * Version 1 had no header beyond the 8 bytes of magic: the dictionary
 * followed them directly. */

static const char magic[8] = "nnckpt\n";

#define VERSION_OFFSET 8
#define DIGEST_OFFSET 16
#define DIGEST_LENGTH 32
#define HEADER_LENGTH (DIGEST_OFFSET + DIGEST_LENGTH)

#if NN_REAL_IS_DOUBLE
#define REAL_NAME "double"
#else
#define REAL_NAME "float"
#endif

/* The digest of a file's @contents of @length bytes, header included,
 * into @digest. */
static void
compute_digest (const char *contents,
                gsize       length,
                guint8     *digest)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize digest_length = DIGEST_LENGTH;

  g_checksum_update (sum, (const guchar *) contents + VERSION_OFFSET,
                     DIGEST_OFFSET - VERSION_OFFSET);
  g_checksum_update (sum, (const guchar *) contents + HEADER_LENGTH, length - HEADER_LENGTH);
  g_checksum_get_digest (sum, digest, &digest_length);
}

/*
 * nn_checkpoint_write:
 * @path: the file to write
 * @state: a trainer's state (nn_trainer_save_state() or
 *   nn_trainer_save_state_without_histories())
 * @extra: (nullable): as for nn_checkpoint_save(); consumed if floating
 * @error: return location for a #GError
 *
 * Writes a checkpoint of @state and @extra, atomically.
 *
 * Returns: %TRUE on success, or %FALSE with @error set (%NN_MODEL_ERROR_IO)
 */
gboolean
nn_checkpoint_write (const char *path,
                     GVariant   *state,
                     GVariant   *extra,
                     GError    **error)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GVariant) file = NULL;
  g_autofree char *contents = NULL;
  guint32          version;
  gsize            size;

  g_variant_dict_insert (&dict, "version", "u", (guint32) NN_CHECKPOINT_VERSION);
  g_variant_dict_insert (&dict, "real", "s", REAL_NAME);
  g_variant_dict_insert (&dict, "nn-version", "s", NN_VERSION);
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
  contents = g_malloc0 (HEADER_LENGTH + size);
  memcpy (contents, magic, sizeof magic);
  version = GUINT32_TO_LE (NN_CHECKPOINT_VERSION);
  memcpy (contents + VERSION_OFFSET, &version, sizeof version);
  g_variant_store (file, contents + HEADER_LENGTH);
  compute_digest (contents, HEADER_LENGTH + size, (guint8 *) contents + DIGEST_OFFSET);
  return nn_write_file_atomic (path, contents, HEADER_LENGTH + size, error);
}

/**
 * nn_checkpoint_save:
 * @path: the file to write
 * @trainer: the trainer of the model being trained
 * @extra: (nullable): anything else the caller needs to resume, e.g. its
 *   history; consumed if floating
 * @error: return location for a #GError
 *
 * Writes the training state of @trainer ([method@Nn.Trainer.save_state]:
 * parameters, optimizer state, [property@Nn.Trainer:epoch], the progress of an
 * epoch stopped part-way and the loss histories) and @extra to @path,
 * atomically: a reader sees the old file or the new one, never a part.
 *
 * Returns: %TRUE on success, or %FALSE with @error set
 *   (%NN_MODEL_ERROR_IO)
 */
gboolean
nn_checkpoint_save (const char *path,
                    NnTrainer  *trainer,
                    GVariant   *extra,
                    GError    **error)
{
  g_autoptr(GVariant) state = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (NN_IS_TRAINER (trainer), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  state = nn_trainer_save_state (trainer);
  return nn_checkpoint_write (path, state, extra, error);
}

/* The contents of the checkpoint @path, mapped. */
static GBytes *
map_file (const char *path,
          GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  struct stat st;
  int         fd;

  /* O_NONBLOCK: a FIFO in place of the file must not hang the open. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int saved_errno = errno;
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO,
                   "cannot read the checkpoint %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO,
                   "cannot read the checkpoint %s: not a regular file", path);
      return NULL;
    }
  mapped = g_mapped_file_new_from_fd (fd, FALSE, &local_error);
  close (fd);
  if (mapped == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO,
                   "cannot read the checkpoint: %s", local_error->message);
      return NULL;
    }
  return g_mapped_file_get_bytes (mapped);
}

/* The dictionary of @bytes from @offset on, in this machine's byte order;
 * never trusted, so any bytes are safe to look into. */
static GVariant *
open_dictionary (GBytes *bytes,
                 gsize   offset)
{
  g_autoptr(GBytes) body = g_bytes_new_from_bytes (bytes, offset,
                                                    g_bytes_get_size (bytes) - offset);
  GVariant *file = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT,
                                                                 body, FALSE));

  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (file);
      g_variant_unref (file);
      file = swapped;
    }
  return file;
}

/* The error for a file of another format version: a version-1 file has
 * its version in the dictionary right after the magic. */
static void
set_version_error (const char *path,
                   GBytes     *bytes,
                   GError    **error)
{
  g_autoptr(GVariant) old = open_dictionary (bytes, sizeof magic);
  g_autoptr(GVariant) version = g_variant_lookup_value (old, "version", G_VARIANT_TYPE_UINT32);

  if (version != NULL && g_variant_get_uint32 (version) != NN_CHECKPOINT_VERSION)
    g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                 "%s is a checkpoint of format version %u; this nn reads version %u",
                 path, g_variant_get_uint32 (version), NN_CHECKPOINT_VERSION);
  else
    g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                 "%s is damaged: it has no format version this nn reads (version %u)",
                 path, NN_CHECKPOINT_VERSION);
}

/* The dictionary of the checkpoint @path, once its header and digest
 * are checked. */
static GVariant *
read_verified (const char *path,
               GError    **error)
{
  g_autoptr(GBytes) bytes = NULL;
  guint8      digest[DIGEST_LENGTH];
  const char *data;
  guint32     version;
  gsize       length;

  if ((bytes = map_file (path, error)) == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &length);
  if (length < sizeof magic || memcmp (data, magic, sizeof magic) != 0)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s is not an nn checkpoint", path);
      return NULL;
    }
  if (length >= VERSION_OFFSET + sizeof version)
    memcpy (&version, data + VERSION_OFFSET, sizeof version);
  if (length < VERSION_OFFSET + sizeof version ||
      GUINT32_FROM_LE (version) != NN_CHECKPOINT_VERSION)
    {
      set_version_error (path, bytes, error);
      return NULL;
    }
  if (length < HEADER_LENGTH)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s is damaged: it ends within its header", path);
      return NULL;
    }
  compute_digest (data, length, digest);
  if (memcmp (digest, data + DIGEST_OFFSET, DIGEST_LENGTH) != 0)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s is damaged: its checksum does not match", path);
      return NULL;
    }
  return open_dictionary (bytes, HEADER_LENGTH);
}

/*
 * nn_checkpoint_read:
 * @path: a file written by nn_checkpoint_save()
 * @error: return location for a #GError
 *
 * Reads and checks a checkpoint without using it: the magic, the format
 * version, the digest, the build (float or double) and the presence of a
 * model state.
 *
 * Returns: (transfer full): the checkpoint's dictionary, or %NULL with
 *   @error set as by nn_checkpoint_load()
 */
GVariant *
nn_checkpoint_read (const char *path,
                    GError    **error)
{
  g_autoptr(GVariant) file = NULL;
  g_autoptr(GVariant) version = NULL;
  g_autoptr(GVariant) real = NULL;
  g_autoptr(GVariant) state = NULL;

  if ((file = read_verified (path, error)) == NULL)
    return NULL;
  version = g_variant_lookup_value (file, "version", G_VARIANT_TYPE_UINT32);
  if (version == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s is not a readable nn checkpoint: it has no format version", path);
      return NULL;
    }
  if (g_variant_get_uint32 (version) != NN_CHECKPOINT_VERSION)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s is a checkpoint of format version %u; this nn reads version %u",
                   path, g_variant_get_uint32 (version), NN_CHECKPOINT_VERSION);
      return NULL;
    }
  real = g_variant_lookup_value (file, "real", G_VARIANT_TYPE_STRING);
  if (real == NULL || !g_str_equal (g_variant_get_string (real, NULL), REAL_NAME))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s was written by the %s build of nn; this is the %s build, "
                   "which would not continue the same way",
                   path,
                   real != NULL ? g_variant_get_string (real, NULL) : "(unknown)",
                   REAL_NAME);
      return NULL;
    }
  state = g_variant_lookup_value (file, "model", G_VARIANT_TYPE_VARDICT);
  if (state == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "%s has no model state", path);
      return NULL;
    }
  return g_steal_pointer (&file);
}

/*
 * nn_checkpoint_get_extra:
 * @file: a dictionary from nn_checkpoint_read()
 *
 * Returns: (transfer full) (nullable): the caller's data given to
 *   nn_checkpoint_save(), or %NULL if none
 */
GVariant *
nn_checkpoint_get_extra (GVariant *file)
{
  g_autoptr(GVariant) wrapped = g_variant_lookup_value (file, "extra", G_VARIANT_TYPE_VARIANT);

  return wrapped != NULL ? g_variant_get_variant (wrapped) : NULL;
}

/*
 * nn_checkpoint_apply:
 * @path: the file @file was read from, for messages
 * @file: a dictionary from nn_checkpoint_read()
 * @trainer: the trainer to restore, as for nn_checkpoint_load()
 * @error: return location for a #GError
 *
 * Restores the model state of @file into @trainer (nn_trainer_load_state()).
 *
 * Returns: %TRUE, or %FALSE with @error set and @trainer unchanged
 */
gboolean
nn_checkpoint_apply (const char *path,
                     GVariant   *file,
                     NnTrainer  *trainer,
                     GError    **error)
{
  g_autoptr(GVariant) state = g_variant_lookup_value (file, "model", G_VARIANT_TYPE_VARDICT);

  if (state == NULL || !nn_trainer_load_state (trainer, state, error))
    {
      if (state == NULL)
        g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                     "%s has no model state", path);
      else
        g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  return TRUE;
}

/**
 * nn_checkpoint_load:
 * @path: a file written by [func@Nn.checkpoint_save]
 * @trainer: a trainer with the seed of the one that was saved, of a model
 *   built and configured as that one's (layers, activations, loss and
 *   optimizer), e.g. from the same experiment
 * @epochs_done: (out) (optional): the number of epochs the checkpoint
 *   finished, [property@Nn.Trainer:epoch] after loading
 * @extra: (out) (optional) (nullable) (transfer full): the caller's data
 *   given to [func@Nn.checkpoint_save], or %NULL if none
 * @error: return location for a #GError
 *
 * Restores the training state saved in @path into @trainer and its model,
 * which then continue exactly where the saved ones stood. Everything is
 * checked first: a file that is not a checkpoint, is damaged (its SHA-256
 * digest does not match: a changed bit, a file cut short), is of another
 * version or build (float or double), or of a model of another shape is an
 * error and leaves @trainer and its model unchanged. The file is mapped
 * rather than read, so whatever its size it costs no more memory than the
 * state of @trainer.
 *
 * Returns: %TRUE on success, or %FALSE with @error set: %NN_MODEL_ERROR_IO
 *   if the file cannot be read, %NN_MODEL_ERROR_SHAPE_MISMATCH for another
 *   architecture, %NN_MODEL_ERROR_FAILED for anything else
 */
gboolean
nn_checkpoint_load (const char *path,
                    NnTrainer  *trainer,
                    guint      *epochs_done,
                    GVariant  **extra,
                    GError    **error)
{
  g_autoptr(GVariant) file = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (NN_IS_TRAINER (trainer), FALSE);
  g_return_val_if_fail (extra == NULL || *extra == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if ((file = nn_checkpoint_read (path, error)) == NULL ||
      !nn_checkpoint_apply (path, file, trainer, error))
    return FALSE;
  if (epochs_done != NULL)
    *epochs_done = nn_trainer_get_epoch (trainer);
  if (extra != NULL)
    *extra = nn_checkpoint_get_extra (file);
  return TRUE;
}
