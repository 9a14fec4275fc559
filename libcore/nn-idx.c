/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "nn-csv-private.h"
#include "nn-dataset.h"
#include "nn-errors.h"
#include "nn-limits.h"

/*
 * Reading the IDX format of MNIST and Fashion-MNIST: a 4-byte magic number
 * (two zero bytes, the data type, the number of dimensions), one big-endian
 * 32-bit size per dimension, then the values in row-major order. Only
 * unsigned bytes are read: images as n × rows × columns, labels as n.
 *
 * Everything the header promises is checked before anything is allocated;
 * the one thing a compressed file cannot tell in advance, its length, is
 * checked as it is read, and memory for its values grows with the data that
 * actually arrive rather than with what a few bytes of header promise.
 */

/* The most values an images file may hold (n × rows × columns): 8 GiB of
 * floats, far beyond any data set this format is used for. */
#define IDX_MAX_VALUES (G_GUINT64_CONSTANT (1) << 31)

#define IDX_CHUNK_SIZE (1 << 20)

typedef struct
{
  const char   *path;
  const char   *what; /* "images" or "labels" */
  GInputStream *stream;
  goffset       size; /* of an uncompressed file, else -1 */
  guint         ndim;
  guint32       dims[3];
  guint64       n_values;
  goffset       offset; /* of the next byte to read */
} IdxFile;

static void
idx_file_clear (IdxFile *f)
{
  g_clear_object (&f->stream);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (IdxFile, idx_file_clear)

static void
set_error (GError    **error,
           IdxFile    *f,
           NnDataError code,
           goffset     offset,
           const char *format,
           ...) G_GNUC_PRINTF (5, 6);

static void
set_error (GError    **error,
           IdxFile    *f,
           NnDataError code,
           goffset     offset,
           const char *format,
           ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NN_DATA_ERROR, code, "%s: error: at byte %" G_GINT64_FORMAT ": %s",
               f->path, (gint64) offset, message);
}

/* Reads up to @count bytes; fewer only at the end of the data. */
static gboolean
read_bytes (IdxFile *f,
            guint8  *buf,
            gsize    count,
            gsize   *got,
            GError **error)
{
  g_autoptr(GError) local_error = NULL;

  *got = 0;
  if (!g_input_stream_read_all (f->stream, buf, count, got, NULL, &local_error))
    {
      nn_data_set_read_error (error, f->path, f->offset + *got, local_error);
      return FALSE;
    }
  f->offset += *got;
  return TRUE;
}

static const char *
dtype_name (guint8 dtype)
{
  switch (dtype)
    {
    case 0x08:
      return "unsigned bytes";
    case 0x09:
      return "signed bytes";
    case 0x0b:
      return "16-bit integers";
    case 0x0c:
      return "32-bit integers";
    case 0x0d:
      return "32-bit floats";
    case 0x0e:
      return "64-bit floats";
    default:
      return NULL;
    }
}

/* Reads the magic number: IDX, of unsigned bytes, with @ndim dimensions. */
static gboolean
read_magic (IdxFile *f,
            guint    ndim,
            GError **error)
{
  const char *what = f->what;
  guint8      magic[4];
  gsize       got;

  if (!read_bytes (f, magic, 4, &got, error))
    return FALSE;
  if (got < 4)
    {
      set_error (error, f, NN_DATA_ERROR_PARSE, f->offset,
                 got == 0 ? "the file is empty, not an IDX %s file"
                          : "the file ends inside its IDX header",
                 what);
      return FALSE;
    }
  if (magic[0] != 0 || magic[1] != 0)
    {
      set_error (error, f, NN_DATA_ERROR_PARSE, 0,
                 "not an IDX file: it starts with 0x%02x%02x%02x%02x, where an IDX "
                 "%s file starts with %s",
                 magic[0], magic[1], magic[2], magic[3], what,
                 ndim == 3 ? "0x00000803" : "0x00000801");
      return FALSE;
    }
  if (magic[2] != 0x08)
    {
      if (dtype_name (magic[2]) != NULL)
        set_error (error, f, NN_DATA_ERROR_PARSE, 2,
                   "IDX data type 0x%02x (%s) is not supported: only unsigned bytes (0x08)",
                   magic[2], dtype_name (magic[2]));
      else
        set_error (error, f, NN_DATA_ERROR_PARSE, 2,
                   "unknown IDX data type 0x%02x: only unsigned bytes (0x08) are read",
                   magic[2]);
      return FALSE;
    }
  f->ndim = magic[3];
  if (f->ndim != ndim)
    {
      set_error (error, f, NN_DATA_ERROR_PARSE, 3,
                 "%u dimension%s, where an IDX %s file has %s%s", f->ndim,
                 f->ndim == 1 ? "" : "s", what,
                 ndim == 3 ? "3 (images × rows × columns)" : "1 (the labels)",
                 ndim == 3 && f->ndim == 1   ? " (is this a labels file?)"
                 : ndim == 1 && f->ndim == 3 ? " (is this an images file?)"
                                             : "");
      return FALSE;
    }
  return TRUE;
}

/* Reads the size of each dimension, and checks what they add up to. */
static gboolean
read_dims (IdxFile *f,
           GError **error)
{
  const char *what = f->what;
  guint       ndim = f->ndim;
  guint8      dims[12];
  gsize       got;

  if (!read_bytes (f, dims, 4 * ndim, &got, error))
    return FALSE;
  if (got < 4 * ndim)
    {
      set_error (error, f, NN_DATA_ERROR_PARSE, f->offset,
                 "the file ends inside its IDX header");
      return FALSE;
    }
  f->n_values = 1;
  for (guint d = 0; d < ndim; d++)
    {
      guint32 be;

      memcpy (&be, dims + 4 * d, 4);
      f->dims[d] = GUINT32_FROM_BE (be);
      if (f->dims[d] == 0)
        {
          if (d == 0)
            set_error (error, f, NN_DATA_ERROR_INVALID, 4, "the file holds 0 %s", what);
          else
            set_error (error, f, NN_DATA_ERROR_INVALID, 4 + 4 * d, "the images have 0 %s",
                       d == 1 ? "rows" : "columns");
          return FALSE;
        }
      /* Each factor is below 2^32 and the running product at most 2^31, so
       * the product cannot overflow 64 bits. */
      f->n_values *= f->dims[d];
      if (f->n_values > IDX_MAX_VALUES)
        {
          set_error (error, f, NN_DATA_ERROR_INVALID, 4 + 4 * d,
                     "the header promises more than 2^31 values, the most that can be read");
          return FALSE;
        }
    }
  /* Each pixel is an input of the first layer. */
  if (ndim == 3 && (guint64) f->dims[1] * f->dims[2] > NN_LAYER_MAX_WIDTH)
    {
      set_error (error, f, NN_DATA_ERROR_INVALID, 8,
                 "images of %u × %u pixels: more than %u, the most inputs a layer takes",
                 f->dims[1], f->dims[2], NN_LAYER_MAX_WIDTH);
      return FALSE;
    }
  return TRUE;
}

/* An uncompressed file must hold exactly the values its header promises. */
static gboolean
check_size (IdxFile *f,
            GError **error)
{
  if (f->size >= 0 && (guint64) f->size != (guint64) f->offset + f->n_values)
    {
      guint64 want = (guint64) f->offset + f->n_values;

      if ((guint64) f->size < want)
        set_error (error, f, NN_DATA_ERROR_PARSE, f->size,
                   "the file ends %" G_GUINT64_FORMAT " byte%s short of the %" G_GUINT64_FORMAT
                   " values its header promises",
                   want - f->size, want - f->size == 1 ? "" : "s", f->n_values);
      else
        set_error (error, f, NN_DATA_ERROR_PARSE, (goffset) want,
                   "%" G_GUINT64_FORMAT " byte%s more than the %" G_GUINT64_FORMAT
                   " values its header promises",
                   f->size - want,
                   f->size - want == 1 ? "" : "s", f->n_values);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_header (IdxFile    *f,
             const char *path,
             const char *what,
             guint       ndim,
             GError    **error)
{
  gboolean compressed = FALSE;

  f->path = path;
  f->what = what;
  f->stream = nn_data_open_file (path, &compressed, &f->size, error);
  if (f->stream == NULL)
    return FALSE;
  if (compressed)
    f->size = -1;
  return read_magic (f, ndim, error) && read_dims (f, error) && check_size (f, error);
}

/* After the values: the data must end. */
static gboolean
check_end (IdxFile *f,
           GError **error)
{
  guint8  extra;
  gsize   got;
  goffset end = f->offset;

  if (!read_bytes (f, &extra, 1, &got, error))
    return FALSE;
  if (got > 0)
    {
      set_error (error, f, NN_DATA_ERROR_PARSE, end,
                 "the data go on past the %" G_GUINT64_FORMAT " values its header promises",
                 f->n_values);
      return FALSE;
    }
  return TRUE;
}

static void
set_short_error (GError **error,
                 IdxFile *f,
                 guint64  done)
{
  set_error (error, f, NN_DATA_ERROR_PARSE, f->offset,
             "the data end after %" G_GUINT64_FORMAT " of the %" G_GUINT64_FORMAT
             " values its header promises",
             done, f->n_values);
}

/* The values as nn_real, converted a chunk at a time. An uncompressed
 * file's length has been checked against the header, so all the memory is
 * taken at once; for a compressed one it grows with the data read. */
static nn_real *
read_values (IdxFile *f,
             GError **error)
{
  g_autofree guint8  *buf = g_malloc (MIN (f->n_values, IDX_CHUNK_SIZE));
  g_autofree nn_real *out = NULL;
  guint64             capacity = f->size >= 0 ? f->n_values : MIN (f->n_values, IDX_CHUNK_SIZE);
  guint64             done = 0;

  out = g_try_new (nn_real, capacity);
  while (done < f->n_values)
    {
      gsize want = MIN (f->n_values - done, IDX_CHUNK_SIZE);
      gsize got;

      if (out != NULL && done + want > capacity)
        {
          capacity = MIN (MAX (2 * capacity, done + want), f->n_values);
          out = g_try_realloc_n (g_steal_pointer (&out), capacity, sizeof (nn_real));
        }
      if (out == NULL)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                       "%s: error: not enough memory for %" G_GUINT64_FORMAT " values",
                       f->path, f->n_values);
          return NULL;
        }
      if (!read_bytes (f, buf, want, &got, error))
        return NULL;
      for (gsize i = 0; i < got; i++)
        out[done + i] = (nn_real) buf[i];
      done += got;
      if (got < want)
        {
          set_short_error (error, f, done);
          return NULL;
        }
    }
  if (!check_end (f, error))
    return NULL;
  return g_steal_pointer (&out);
}

/**
 * nn_dataset_new_from_idx_files:
 * @images_path: an IDX file of unsigned-byte images (magic 0x00000803,
 *   n × rows × columns), gzip-compressed or not
 * @labels_path: an IDX file of unsigned-byte labels (magic 0x00000801, n),
 *   gzip-compressed or not
 * @error: return location for a #GError
 *
 * Reads images and their labels in the IDX format of MNIST and Fashion-MNIST.
 * Each image becomes one sample of rows × columns features named `pixel0`,
 * `pixel1`, ... in row-major order, with the raw values 0 to 255 (scale them
 * with a [class@Nn.Scaler]). The labels are classes, named by their numbers
 * (`"0"` to `"9"` for MNIST) and numbered in numeric order of the labels
 * present.
 *
 * The headers are checked before anything is allocated: the magic number (other
 * data types than unsigned bytes are refused), the number of dimensions, sizes
 * that are not 0, at most 2^31 values in all and [const@Nn.LAYER_MAX_WIDTH]
 * pixels per image, as many labels as images, and for an uncompressed file its
 * length. A compressed file that ends early or holds more is an error too,
 * found before more memory is taken than its data fill. Errors are
 * %NN_DATA_ERROR_PARSE for a malformed file and %NN_DATA_ERROR_INVALID for
 * sizes that cannot serve, with a message `FILE: error: at byte OFFSET: ...`,
 * OFFSET counting the uncompressed bytes.
 *
 * Returns: (transfer full): a new [class@Nn.Dataset], or %NULL with @error set
 */
NnDataset *
nn_dataset_new_from_idx_files (const char *images_path,
                               const char *labels_path,
                               GError    **error)
{
  g_auto(IdxFile) images = { NULL };
  g_auto(IdxFile) labels = { NULL };
  g_autofree nn_real *pixels = NULL;
  g_autofree nn_real *label_values = NULL;
  g_autoptr(GStrvBuilder) feature_names = NULL;
  g_autoptr(GStrvBuilder) class_names = NULL;
  g_auto(GStrv) fnames = NULL;
  g_auto(GStrv) cnames = NULL;
  NnMatrix *features, *targets;
  gboolean  present[256] = { FALSE };
  guint     index[256];
  guint     n, n_pixels, n_classes = 0;

  g_return_val_if_fail (images_path != NULL && labels_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!read_header (&images, images_path, "images", 3, error) ||
      !read_header (&labels, labels_path, "labels", 1, error))
    return NULL;
  n = images.dims[0];
  n_pixels = images.dims[1] * images.dims[2];
  if (labels.dims[0] != n)
    {
      set_error (error, &labels, NN_DATA_ERROR_INVALID, 4,
                 "%u labels for the %u images of %s", labels.dims[0], n, images_path);
      return NULL;
    }

  if ((pixels = read_values (&images, error)) == NULL ||
      (label_values = read_values (&labels, error)) == NULL)
    return NULL;

  for (guint i = 0; i < n; i++)
    present[(guint8) label_values[i]] = TRUE;
  class_names = g_strv_builder_new ();
  for (guint v = 0; v < 256; v++)
    if (present[v])
      {
        char name[4];
        g_snprintf (name, sizeof name, "%u", v);
        g_strv_builder_add (class_names, name);
        index[v] = n_classes++;
      }
  targets = nn_matrix_new (n, 1);
  for (guint i = 0; i < n; i++)
    targets->data[i] = (nn_real) index[(guint8) label_values[i]];

  feature_names = g_strv_builder_new ();
  for (guint j = 0; j < n_pixels; j++)
    {
      char name[24];
      g_snprintf (name, sizeof name, "pixel%u", j);
      g_strv_builder_add (feature_names, name);
    }

  /* The matrix takes the buffer as it is: nn_matrix_free() releases it with
   * g_free(). */
  features = g_new0 (NnMatrix, 1);
  features->rows = n;
  features->cols = n_pixels;
  features->data = g_steal_pointer (&pixels);

  fnames = g_strv_builder_end (feature_names);
  cnames = g_strv_builder_end (class_names);
  return nn_dataset_new (features, targets, (const char * const *) fnames,
                         (const char * const *) cnames);
}
