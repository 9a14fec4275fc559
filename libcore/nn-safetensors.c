/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The safetensors format: an 8-byte little-endian header length N, N bytes
 * of JSON describing the tensors, then their data, little-endian, C order.
 *
 * The header is parsed by a strict parser of exactly that schema
 * (nn-safetensors-header.c) rather than by json-glib 1.6, which accepts
 * comments, single quotes, hexadecimal and trailing documents, wraps
 * integers that overflow, keeps the last of two members with one name, and
 * recurses without a depth limit. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "nn-errors.h"
#include "nn-safetensors.h"
#include "nn-safetensors-private.h"
#include "nn-utils-private.h"

/* Every dtype of the published format, so that a supported-but-unread one
 * gets a different message from a misspelt one. */
static const char * const known_dtypes[] = {
  "BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "BF16",
  "F32", "F64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64"
};

static gboolean
file_error (GError    **error,
            const char *path,
            const char *format,
            ...) G_GNUC_PRINTF (3, 4);

static gboolean
file_error (GError    **error,
            const char *path,
            const char *format,
            ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE, "%s: error: %s", path, message);
  return FALSE;
}

static gboolean
tensor_error (GError                   **error,
              const char                *path,
              const NnSafetensorsTensor *t,
              const char                *format,
              ...) G_GNUC_PRINTF (4, 5);

static gboolean
tensor_error (GError                   **error,
              const char                *path,
              const NnSafetensorsTensor *t,
              const char                *format,
              ...)
{
  g_autofree char *message = NULL;
  g_autofree char *name = nn_safetensors_printable_name (t->name);
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
               "%s: error: tensor '%s' (byte %" G_GSIZE_FORMAT "): %s",
               path, name, t->name_offset, message);
  return FALSE;
}

/* ---- checks on the parsed header ------------------------------------------- */

static gboolean
check_tensor (const char          *path,
              NnSafetensorsTensor *t,
              guint64              data_len,
              GError             **error)
{
  guint64 n_bytes;

  if (g_str_equal (t->dtype, "F32"))
    t->item_size = 4;
  else if (g_str_equal (t->dtype, "F64"))
    t->item_size = 8;
  else
    {
      g_autofree char *dtype = nn_safetensors_printable_name (t->dtype);

      for (gsize i = 0; i < G_N_ELEMENTS (known_dtypes); i++)
        if (g_str_equal (t->dtype, known_dtypes[i]))
          return tensor_error (error, path, t, "dtype %s is not supported: nn reads F32 and F64",
                               dtype);
      return tensor_error (error, path, t, "unknown dtype '%s'", dtype);
    }

  if (t->n_offsets != 2)
    return tensor_error (error, path, t,
                         "data_offsets has %" G_GUINT64_FORMAT " entries instead of two",
                         t->n_offsets);
  if (t->offsets[0] > t->offsets[1])
    return tensor_error (error, path, t,
                         "data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] end before they begin",
                         t->offsets[0], t->offsets[1]);
  if (t->offsets[1] > data_len)
    return tensor_error (error, path, t,
                         "data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] run past the end "
                         "of the data, which has %" G_GUINT64_FORMAT " bytes",
                         t->offsets[0], t->offsets[1], data_len);

  if (t->n_elements_overflow || !g_uint64_checked_mul (&n_bytes, t->n_elements, t->item_size))
    return tensor_error (error, path, t, "its shape has too many elements");
  if (t->rank == 0)
    return tensor_error (error, path, t, "a scalar (0-D tensor): nn reads 1-D and 2-D tensors");
  if (t->rank > 2)
    return tensor_error (error, path, t, "a %" G_GUINT64_FORMAT "-D tensor: nn reads 1-D and "
                                         "2-D tensors",
                         t->rank);
  if (t->dims[0] > G_MAXUINT || (t->rank == 2 && t->dims[1] > G_MAXUINT))
    return tensor_error (error, path, t, "a dimension exceeds %u", G_MAXUINT);
  if (n_bytes != t->offsets[1] - t->offsets[0])
    {
      g_autofree char *shape = t->rank == 1
                                 ? g_strdup_printf ("[%" G_GUINT64_FORMAT "]", t->dims[0])
                                 : g_strdup_printf ("[%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "]",
                                                    t->dims[0], t->dims[1]);

      return tensor_error (error, path, t, "shape %s of %s takes %" G_GUINT64_FORMAT " bytes, "
                                           "but data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] "
                                           "hold %" G_GUINT64_FORMAT,
                           shape, t->dtype, n_bytes,
                           t->offsets[0], t->offsets[1], t->offsets[1] - t->offsets[0]);
    }
  return TRUE;
}

static int
compare_by_offsets (gconstpointer a,
                    gconstpointer b)
{
  const NnSafetensorsTensor *ta = *(const NnSafetensorsTensor * const *) a;
  const NnSafetensorsTensor *tb = *(const NnSafetensorsTensor * const *) b;

  if (ta->offsets[0] != tb->offsets[0])
    return ta->offsets[0] < tb->offsets[0] ? -1 : 1;
  if (ta->offsets[1] != tb->offsets[1])
    return ta->offsets[1] < tb->offsets[1] ? -1 : 1;
  return 0;
}

/* The tensors must tile the data region exactly, as the reference demands. */
static gboolean
check_coverage (const char *path,
                GPtrArray  *tensors,
                guint64     data_start,
                guint64     data_len,
                GError    **error)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_copy (tensors, NULL, NULL);
  const NnSafetensorsTensor *previous = NULL;
  guint64                    end = 0;

  /* The copy would free the tensors too. */
  g_ptr_array_set_free_func (sorted, NULL);
  g_ptr_array_sort (sorted, compare_by_offsets);
  for (guint i = 0; i < sorted->len; i++)
    {
      const NnSafetensorsTensor *t = sorted->pdata[i];

      if (t->offsets[0] < end)
        {
          g_autofree char *other = nn_safetensors_printable_name (previous ? previous->name : "");

          return tensor_error (error, path, t,
                               "data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] overlap "
                               "tensor '%s' [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "]",
                               t->offsets[0], t->offsets[1],
                               other, previous ? previous->offsets[0] : 0,
                               previous ? previous->offsets[1] : 0);
        }
      if (t->offsets[0] > end)
        return file_error (error, path,
                           "data bytes [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                           ") (file offset %" G_GUINT64_FORMAT ") belong to no tensor",
                           end, t->offsets[0], data_start + end);
      if (t->offsets[1] > t->offsets[0])
        previous = t;
      end = t->offsets[1];
    }
  if (end != data_len)
    return file_error (error, path,
                       "data bytes [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                       ") (file offset %" G_GUINT64_FORMAT ") belong to no tensor",
                       end, data_len, data_start + end);
  return TRUE;
}

static gboolean
convert_tensor (const char                *path,
                const NnSafetensorsTensor *t,
                const guchar              *data,
                NnMatrix                  *m,
                GError                   **error)
{
  gsize         n = nn_matrix_size (m);
  const guchar *src = data + t->offsets[0];

  if (t->item_size == 4)
    for (gsize i = 0; i < n; i++)
      {
        guint32 bits;
        float   f;

        memcpy (&bits, src + 4 * i, 4);
        bits = GUINT32_FROM_LE (bits);
        memcpy (&f, &bits, 4);
        m->data[i] = (nn_real) f;
      }
  else
    for (gsize i = 0; i < n; i++)
      {
        guint64 bits;
        double  d;

        memcpy (&bits, src + 8 * i, 8);
        bits = GUINT64_FROM_LE (bits);
        memcpy (&d, &bits, 8);
        m->data[i] = (nn_real) d;
#if !NN_REAL_IS_DOUBLE
        if (isfinite (d) && !isfinite (m->data[i]))
          return tensor_error (error, path, t, "element %" G_GSIZE_FORMAT " (%g) is out of the "
                                               "range of float",
                               i, d);
#endif
      }
  return TRUE;
}

/* ---- public API -------------------------------------------------------------- */

/* Maps the file at @path, which must be a regular file. */
static GMappedFile *
map_file (const char *path,
          GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  GMappedFile *mapped;
  struct stat  st;
  int          fd;

  /* O_NONBLOCK: a FIFO in place of the file must not hang the open. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int saved_errno = errno;
      file_error (error, path, "cannot open: %s", g_strerror (saved_errno));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      file_error (error, path, "not a regular file");
      return NULL;
    }
  /* Mapped rather than read: a huge file costs no memory until it passes
   * the checks. (A file truncated under the mapping would fault; nn never
   * truncates one, it replaces files by renaming.) */
  mapped = g_mapped_file_new_from_fd (fd, FALSE, &local_error);
  close (fd);
  if (mapped == NULL)
    file_error (error, path, "cannot read: %s", local_error->message);
  return mapped;
}

/* Reads the length of the JSON header, which must fit in the file. */
static gboolean
read_header_length (const char   *path,
                    const guchar *contents,
                    guint64       file_len,
                    guint64      *header_len,
                    GError      **error)
{
  if (file_len < NN_SAFETENSORS_HEADER_START)
    return file_error (error, path, "the file has %" G_GUINT64_FORMAT " bytes, fewer than the "
                                    "8 of the header length",
                       file_len);
  memcpy (header_len, contents, 8);
  *header_len = GUINT64_FROM_LE (*header_len);
  if (*header_len > NN_SAFETENSORS_MAX_HEADER_SIZE)
    return file_error (error, path, "byte 0: header length %" G_GUINT64_FORMAT " exceeds the "
                                    "limit of %d bytes",
                       *header_len, NN_SAFETENSORS_MAX_HEADER_SIZE);
  if (*header_len > file_len - NN_SAFETENSORS_HEADER_START)
    return file_error (error, path, "byte 0: header length %" G_GUINT64_FORMAT " runs past "
                                    "the end of the file, which has %" G_GUINT64_FORMAT " bytes",
                       *header_len, file_len);
  return TRUE;
}

/* The checked @tensors as matrices, by name, their values read from
 * @data. */
static GHashTable *
make_matrices (const char   *path,
               GPtrArray    *tensors,
               const guchar *data,
               GError      **error)
{
  g_autoptr(GHashTable) result = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify) nn_matrix_free);

  for (guint i = 0; i < tensors->len; i++)
    {
      NnSafetensorsTensor *t = tensors->pdata[i];
      g_autoptr(NnMatrix) m = t->rank == 1 ? nn_matrix_new (1, (guint) t->dims[0])
                                            : nn_matrix_new ((guint) t->dims[0],
                                                             (guint) t->dims[1]);

      if (!convert_tensor (path, t, data, m, error))
        return NULL;
      g_hash_table_insert (result, g_steal_pointer (&t->name), g_steal_pointer (&m));
    }
  return g_steal_pointer (&result);
}

/**
 * nn_safetensors_read:
 * @path: a safetensors file
 * @metadata_out: (out) (optional) (transfer full) (element-type utf8 utf8): the
 *   file's `__metadata__`, string to string; empty when the file has none
 * @error: return location for a #GError
 *
 * Reads a safetensors file of F32 and F64 tensors, converted to #nn_real. A
 * 1-D tensor of n elements becomes a 1 × n matrix, a 2-D tensor [r, c] an
 * r × c matrix; other ranks and dtypes are refused.
 *
 * The whole file is checked before any matrix is allocated: the header length
 * (at most [const@Nn.SAFETENSORS_MAX_HEADER_SIZE] and within the file), the
 * header as strict JSON (RFC 8259) describing each tensor by exactly `dtype`,
 * `shape` and `data_offsets`, every name given once, sizes that match the
 * shapes without overflow, and data offsets that cover the data region exactly,
 * with no gap or overlap. Values are not checked: NaN and infinities are read
 * as they are, except an F64 value too large for float in the float build,
 * which is an error.
 *
 * Errors are %NN_MODEL_ERROR_INVALID_FILE, with a message `PATH: error: ...`
 * that names the tensor and the byte offset in the file where one applies.
 *
 * Returns: (transfer full) (element-type utf8 NnMatrix): a table from tensor
 *   name to [struct@Nn.Matrix], or %NULL with @error set
 */
GHashTable *
nn_safetensors_read (const char  *path,
                     GHashTable **metadata_out,
                     GError     **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GPtrArray) tensors = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  GHashTable   *result;
  const guchar *contents;
  guint64       file_len, header_len = 0, data_len;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  mapped = map_file (path, error);
  if (mapped == NULL)
    return NULL;
  contents = (const guchar *) g_mapped_file_get_contents (mapped);
  file_len = g_mapped_file_get_length (mapped);
  if (!read_header_length (path, contents, file_len, &header_len, error))
    return NULL;
  data_len = file_len - NN_SAFETENSORS_HEADER_START - header_len;

  tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_safetensors_tensor_free);
  metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!nn_safetensors_parse_header (path, (const char *) contents + NN_SAFETENSORS_HEADER_START, header_len,
                                    tensors, metadata, error))
    return NULL;
  for (guint i = 0; i < tensors->len; i++)
    if (!check_tensor (path, tensors->pdata[i], data_len, error))
      return NULL;
  if (!check_coverage (path, tensors, NN_SAFETENSORS_HEADER_START + header_len, data_len, error))
    return NULL;

  result = make_matrices (path, tensors, contents + NN_SAFETENSORS_HEADER_START + header_len, error);
  if (result != NULL && metadata_out != NULL)
    *metadata_out = g_steal_pointer (&metadata);
  return result;
}

/* A JSON string as serde_json writes it: only '"', '\\' and control
 * characters escaped. */
static void
append_json_string (GString    *s,
                    const char *str)
{
  g_string_append_c (s, '"');
  for (const guchar *c = (const guchar *) str; *c; c++)
    switch (*c)
      {
      case '"':
        g_string_append (s, "\\\"");
        break;
      case '\\':
        g_string_append (s, "\\\\");
        break;
      case '\b':
        g_string_append (s, "\\b");
        break;
      case '\f':
        g_string_append (s, "\\f");
        break;
      case '\n':
        g_string_append (s, "\\n");
        break;
      case '\r':
        g_string_append (s, "\\r");
        break;
      case '\t':
        g_string_append (s, "\\t");
        break;
      default:
        if (*c < 0x20)
          g_string_append_printf (s, "\\u%04x", *c);
        else
          g_string_append_c (s, (char) *c);
      }
  g_string_append_c (s, '"');
}

static int
compare_names (gconstpointer a,
               gconstpointer b,
               gpointer      names)
{
  return strcmp (((const char * const *) names)[*(const guint *) a],
                 ((const char * const *) names)[*(const guint *) b]);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The order of @names sorted, each checked to be a valid, distinct tensor
 * name. */
static guint *
sort_names (const char         *path,
            guint               n_tensors,
            const char * const *names,
            GError            **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree guint *order = g_new (guint, MAX (n_tensors, 1));

  for (guint i = 0; i < n_tensors; i++)
    {
      if (!g_utf8_validate (names[i], -1, NULL))
        {
          file_error (error, path, "tensor name %u is not valid UTF-8", i);
          return NULL;
        }
      if (g_str_equal (names[i], "__metadata__"))
        {
          file_error (error, path, "'__metadata__' cannot name a tensor");
          return NULL;
        }
      if (!g_hash_table_add (seen, (gpointer) names[i]))
        {
          g_autofree char *name = nn_safetensors_printable_name (names[i]);
          file_error (error, path, "tensor name '%s' is given twice", name);
          return NULL;
        }
      order[i] = i;
    }
  g_qsort_with_data (order, n_tensors, sizeof (guint), compare_names, (gpointer) names);
  return g_steal_pointer (&order);
}

/* Appends the `__metadata__` object, its keys sorted, and a comma if
 * tensors follow. */
static gboolean
append_metadata (GString    *header,
                 GHashTable *metadata,
                 gboolean    more,
                 const char *path,
                 GError    **error)
{
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (metadata, NULL);
  guint                n_keys = g_hash_table_size (metadata);

  qsort (keys, n_keys, sizeof (gpointer), compare_strings);
  g_string_append (header, "\"__metadata__\":{");
  for (guint i = 0; i < n_keys; i++)
    {
      const char *value = g_hash_table_lookup (metadata, keys[i]);

      if (!g_utf8_validate (keys[i], -1, NULL) || value == NULL ||
          !g_utf8_validate (value, -1, NULL))
        return file_error (error, path, "metadata must map UTF-8 strings to UTF-8 strings");
      if (i > 0)
        g_string_append_c (header, ',');
      append_json_string (header, keys[i]);
      g_string_append_c (header, ':');
      append_json_string (header, value);
    }
  g_string_append (header, more ? "}," : "}");
  return TRUE;
}

/* Appends an entry per tensor, in @order; returns the length of their
 * data. */
static gsize
append_tensor_entries (GString                *header,
                       guint                   n_tensors,
                       const guint            *order,
                       const char * const     *names,
                       const NnMatrix * const *tensors)
{
  gsize data_len = 0;

  for (guint k = 0; k < n_tensors; k++)
    {
      const NnMatrix *m = tensors[order[k]];
      gsize           n_bytes = nn_matrix_size (m) * sizeof (nn_real);

      if (k > 0)
        g_string_append_c (header, ',');
      append_json_string (header, names[order[k]]);
      g_string_append_printf (header, ":{\"dtype\":\"%s\",\"shape\":[%u,%u],"
                                      "\"data_offsets\":[%" G_GSIZE_FORMAT ",%" G_GSIZE_FORMAT "]}",
                              NN_SAFETENSORS_DTYPE, m->rows, m->cols, data_len,
                              data_len + n_bytes);
      data_len += n_bytes;
    }
  return data_len;
}

/* Copies the values of the tensors, in @order, little-endian. */
static void
copy_tensor_data (guchar                 *out,
                  guint                   n_tensors,
                  const guint            *order,
                  const NnMatrix * const *tensors)
{
  gsize offset = 0;

  for (guint k = 0; k < n_tensors; k++)
    {
      const NnMatrix *m = tensors[order[k]];
      gsize           n = nn_matrix_size (m);

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      if (n > 0)
        memcpy (out + offset, m->data, n * sizeof (nn_real));
#else
      for (gsize i = 0; i < n; i++)
        {
#if NN_REAL_IS_DOUBLE
          guint64 bits;
          memcpy (&bits, &m->data[i], 8);
          bits = GUINT64_TO_LE (bits);
#else
          guint32 bits;
          memcpy (&bits, &m->data[i], 4);
          bits = GUINT32_TO_LE (bits);
#endif
          memcpy (out + offset + i * sizeof (nn_real), &bits, sizeof (nn_real));
        }
#endif
      offset += n * sizeof (nn_real);
    }
}

/**
 * nn_safetensors_write:
 * @path: the file to write
 * @n_tensors: the number of tensors
 * @names: (array length=n_tensors): tensor names, distinct UTF-8 strings other
 *   than `__metadata__`
 * @tensors: (array length=n_tensors): the matrices, in the order of @names
 * @metadata: (nullable) (element-type utf8 utf8): string to string pairs stored
 *   as `__metadata__`, or %NULL
 * @error: return location for a #GError
 *
 * Writes matrices to a safetensors file, each as a 2-D tensor of shape [rows,
 * cols] in the dtype of #nn_real ([const@Nn.SAFETENSORS_DTYPE]), so a bias
 * stored as a 1 × n matrix is a [1, n] tensor. As the reference implementation
 * does, the header lists the metadata and then the tensors sorted by name, in
 * the order of their data, and is padded with spaces to a multiple of 8 bytes.
 *
 * The file is written atomically: a temporary file renamed over @path, so
 * @path holds either its old contents or the whole new file. Invalid names
 * are %NN_MODEL_ERROR_INVALID_FILE, write failures %NN_MODEL_ERROR_IO.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
nn_safetensors_write (const char             *path,
                      guint                   n_tensors,
                      const char * const     *names,
                      const NnMatrix * const *tensors,
                      GHashTable             *metadata,
                      GError                **error)
{
  g_autoptr(GString) header = NULL;
  g_autofree guint  *order = NULL;
  g_autofree guchar *buffer = NULL;
  gsize              data_len, total;
  guint64            header_len_le;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (n_tensors == 0 || (names != NULL && tensors != NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  for (guint i = 0; i < n_tensors; i++)
    g_return_val_if_fail (names[i] != NULL && tensors[i] != NULL, FALSE);

  order = sort_names (path, n_tensors, names, error);
  if (order == NULL)
    return FALSE;

  header = g_string_new ("{");
  if (metadata != NULL && g_hash_table_size (metadata) > 0 &&
      !append_metadata (header, metadata, n_tensors > 0, path, error))
    return FALSE;
  data_len = append_tensor_entries (header, n_tensors, order, names, tensors);
  g_string_append_c (header, '}');
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');

  total = NN_SAFETENSORS_HEADER_START + header->len + data_len;
  buffer = g_malloc (total);
  header_len_le = GUINT64_TO_LE ((guint64) header->len);
  memcpy (buffer, &header_len_le, 8);
  memcpy (buffer + NN_SAFETENSORS_HEADER_START, header->str, header->len);
  copy_tensor_data (buffer + NN_SAFETENSORS_HEADER_START + header->len, n_tensors, order, tensors);

  return nn_write_file_atomic (path, buffer, total, error);
}
