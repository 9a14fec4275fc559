/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "nn-csv-private.h"
#include "nn-errors.h"

/*
 * A CSV tokenizer over a GInputStream, one record at a time, with the line
 * and byte column of every field for error messages. It reads fixed-size
 * chunks, so memory is bounded by the longest record, never the file.
 *
 * The dialect is RFC 4180 with the usual tolerances: LF, CRLF or CR line
 * ends, a leading UTF-8 byte order mark (not counted in columns), blank or
 * whitespace-only lines skipped, spaces and tabs around a field dropped, and
 * double quotes around a field protecting commas, line breaks and `""` (one
 * quote). A quoted field may span lines.
 */

#define CHUNK_SIZE 65536

/* The most memory one record may take (its text and its fields): a bound
 * on what a file without line breaks, or with an unclosed quote, costs. */
#define MAX_RECORD_SIZE ((gsize) 1 << 28)

typedef struct
{
  gsize    offset; /* of its text in reader->text */
  guint    line;
  guint    column;
  gboolean quoted;
} Field;

struct _NnCsvReader
{
  GInputStream *stream;
  char         *name;
  guint8       *buf;
  gsize         pos;
  gsize         len;
  gboolean      eof;
  gboolean      started; /* the byte order mark has been looked for */
  guint         line;    /* position of the next byte */
  guint         column;
  GString      *text; /* the current record's fields, each NUL-terminated */
  GArray       *fields;
  guint         end_line; /* where the current record's line ends */
  guint         end_column;
};

enum {
  FIELD_START,
  UNQUOTED,
  QUOTED,
  QUOTE_IN_QUOTED, /* a quote inside a quoted field: the end, or "" */
  AFTER_QUOTED,
};

/*
 * nn_csv_reader_new:
 * @stream: the CSV text
 * @name: the name of the data in error messages, usually the file name
 *
 * Returns: (transfer full): a reader of @stream, which it keeps a reference to
 */
NnCsvReader *
nn_csv_reader_new (GInputStream *stream,
                   const char   *name)
{
  NnCsvReader *self = g_new0 (NnCsvReader, 1);

  self->stream = g_object_ref (stream);
  self->name = g_strdup (name);
  self->buf = g_malloc (CHUNK_SIZE);
  self->line = 1;
  self->column = 1;
  self->text = g_string_sized_new (256);
  self->fields = g_array_new (FALSE, FALSE, sizeof (Field));
  return self;
}

void
nn_csv_reader_free (NnCsvReader *self)
{
  if (self == NULL)
    return;
  g_object_unref (self->stream);
  g_free (self->name);
  g_free (self->buf);
  g_string_free (self->text, TRUE);
  g_array_unref (self->fields);
  g_free (self);
}

/* Fills the buffer from the stream, at least @min bytes unless it ends. */
static gboolean
fill (NnCsvReader  *self,
      gsize         min,
      GCancellable *cancellable,
      GError      **error)
{
  if (self->pos > 0)
    {
      memmove (self->buf, self->buf + self->pos, self->len - self->pos);
      self->len -= self->pos;
      self->pos = 0;
    }
  while (!self->eof && self->len < min)
    {
      g_autoptr(GError) local_error = NULL;
      gssize n = g_input_stream_read (self->stream, self->buf + self->len,
                                      CHUNK_SIZE - self->len, cancellable, &local_error);
      if (n < 0)
        {
          nn_data_set_read_error (error, self->name, -1, local_error);
          return FALSE;
        }
      if (n == 0)
        self->eof = TRUE;
      self->len += n;
    }
  return TRUE;
}

/* The next byte without consuming it: 0..255, -1 at the end, -2 on error. */
static inline int
peek_byte (NnCsvReader  *self,
           GCancellable *cancellable,
           GError      **error)
{
  if (G_UNLIKELY (!self->started))
    {
      self->started = TRUE;
      if (!fill (self, 3, cancellable, error))
        return -2;
      if (self->len >= 3 && memcmp (self->buf, "\xef\xbb\xbf", 3) == 0)
        self->pos = 3;
    }
  if (G_UNLIKELY (self->pos == self->len))
    {
      if (!fill (self, 1, cancellable, error))
        return -2;
      if (self->len == 0)
        return -1;
    }
  return self->buf[self->pos];
}

static void
begin_field (NnCsvReader *self)
{
  Field f = { self->text->len, self->line, self->column, FALSE };

  g_array_append_val (self->fields, f);
}

static void
end_field (NnCsvReader *self,
           int          state)
{
  Field *f = &g_array_index (self->fields, Field, self->fields->len - 1);

  if (state == UNQUOTED)
    while (self->text->len > f->offset &&
           (self->text->str[self->text->len - 1] == ' ' ||
            self->text->str[self->text->len - 1] == '\t'))
      g_string_truncate (self->text, self->text->len - 1);
  f->quoted = state == QUOTE_IN_QUOTED || state == AFTER_QUOTED;
  g_string_append_c (self->text, '\0');
}

static void
set_parse_error (NnCsvReader *self,
                 GError     **error,
                 guint        line,
                 guint        column,
                 const char  *message)
{
  g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE, "%s:%u:%u: error: %s",
               self->name, line, column, message);
}

/* One record: 1, 0 at the end of the input, -1 on error. */
static int
read_record (NnCsvReader  *self,
             GCancellable *cancellable,
             GError      **error)
{
  int      state = FIELD_START;
  gboolean any = FALSE;

  g_string_truncate (self->text, 0);
  g_array_set_size (self->fields, 0);
  begin_field (self);

  for (;;)
    {
      int      c = peek_byte (self, cancellable, error);
      guint    line = self->line, column = self->column;
      gboolean eol = FALSE;

      if (c == -2)
        return -1;
      if (G_UNLIKELY (self->text->len + self->fields->len * sizeof (Field) > MAX_RECORD_SIZE))
        {
          Field *first = &g_array_index (self->fields, Field, 0);

          set_parse_error (self, error, first->line, first->column,
                           "a record longer than 256 MiB (a missing line break, or a "
                           "quote that is never closed?)");
          return -1;
        }
      if (c == -1)
        {
          Field *f = &g_array_index (self->fields, Field, self->fields->len - 1);

          if (state == QUOTED)
            {
              set_parse_error (self, error, f->line, f->column,
                               "a quoted field is not closed before the end of the data");
              return -1;
            }
          if (!any)
            return 0;
          end_field (self, state);
          self->end_line = line;
          self->end_column = column;
          return 1;
        }
      self->pos++;
      any = TRUE;
      if (c == '\n')
        {
          self->line++;
          self->column = 1;
          eol = TRUE;
        }
      else
        self->column++;

      if (G_UNLIKELY (c == '\0'))
        {
          set_parse_error (self, error, line, column,
                           "a NUL byte: this is not a text file");
          return -1;
        }
      if (c == '\r' && state != QUOTED)
        {
          int next = peek_byte (self, cancellable, error);

          if (next == -2)
            return -1;
          if (next == '\n')
            self->pos++;
          self->line++;
          self->column = 1;
          eol = TRUE;
        }
      if (eol && state != QUOTED)
        {
          if (state == QUOTE_IN_QUOTED)
            state = AFTER_QUOTED;
          end_field (self, state);
          self->end_line = line;
          self->end_column = column;
          return 1;
        }

      switch (state)
        {
        case FIELD_START:
          if (c == ' ' || c == '\t')
            break;
          if (c == ',')
            {
              end_field (self, state);
              begin_field (self);
              break;
            }
          g_array_index (self->fields, Field, self->fields->len - 1).line = line;
          g_array_index (self->fields, Field, self->fields->len - 1).column = column;
          if (c == '"')
            state = QUOTED;
          else
            {
              g_string_append_c (self->text, c);
              state = UNQUOTED;
            }
          break;

        case UNQUOTED:
          if (c == ',')
            {
              end_field (self, state);
              begin_field (self);
              state = FIELD_START;
            }
          else
            g_string_append_c (self->text, c);
          break;

        case QUOTED:
          if (c == '"')
            state = QUOTE_IN_QUOTED;
          else
            g_string_append_c (self->text, c);
          break;

        case QUOTE_IN_QUOTED:
        case AFTER_QUOTED:
          if (c == '"' && state == QUOTE_IN_QUOTED)
            {
              g_string_append_c (self->text, '"');
              state = QUOTED;
            }
          else if (c == ',')
            {
              end_field (self, AFTER_QUOTED);
              begin_field (self);
              state = FIELD_START;
            }
          else if (c == ' ' || c == '\t')
            state = AFTER_QUOTED;
          else
            {
              set_parse_error (self, error, line, column,
                               "text after the closing quote of a quoted field");
              return -1;
            }
          break;

        default:
          g_assert_not_reached ();
        }

      /* The rest of an unquoted field in one go, as far as the buffer goes. */
      if (state == UNQUOTED)
        {
          gsize i = self->pos;

          while (i < self->len && self->buf[i] != ',' && self->buf[i] != '\n' &&
                 self->buf[i] != '\r' && self->buf[i] != '\0')
            i++;
          g_string_append_len (self->text, (const char *) self->buf + self->pos, i - self->pos);
          self->column += i - self->pos;
          self->pos = i;
        }
    }
}

/*
 * nn_csv_reader_next:
 * @self: a reader
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads the next record, skipping blank lines.
 *
 * Returns: %TRUE with a record, %FALSE at the end of the data (with @error
 *   unset) or on an error
 */
gboolean
nn_csv_reader_next (NnCsvReader  *self,
                    GCancellable *cancellable,
                    GError      **error)
{
  for (;;)
    {
      int          r = read_record (self, cancellable, error);
      const Field *f;

      if (r <= 0)
        return FALSE;
      f = &g_array_index (self->fields, Field, 0);
      if (self->fields->len > 1 || f->quoted || self->text->str[0] != '\0')
        return TRUE;
    }
}

guint
nn_csv_reader_get_n_fields (NnCsvReader *self)
{
  return self->fields->len;
}

/* The text of field @i, valid until the next record. */
const char *
nn_csv_reader_get_field (NnCsvReader *self,
                         guint        i)
{
  g_return_val_if_fail (i < self->fields->len, NULL);

  return self->text->str + g_array_index (self->fields, Field, i).offset;
}

guint
nn_csv_reader_get_field_line (NnCsvReader *self,
                              guint        i)
{
  g_return_val_if_fail (i < self->fields->len, 0);

  return g_array_index (self->fields, Field, i).line;
}

/* The 1-based byte column of field @i: its first non-blank byte, or its
 * opening quote. */
guint
nn_csv_reader_get_field_column (NnCsvReader *self,
                                guint        i)
{
  g_return_val_if_fail (i < self->fields->len, 0);

  return g_array_index (self->fields, Field, i).column;
}

/* Where the record's last line ends: its line break, or the end of the data. */
guint
nn_csv_reader_get_end_line (NnCsvReader *self)
{
  return self->end_line;
}

guint
nn_csv_reader_get_end_column (NnCsvReader *self)
{
  return self->end_column;
}

/*
 * nn_data_set_read_error:
 * @error: return location for a #GError
 * @name: the file name for the message
 * @offset: the byte offset in the (uncompressed) data where reading failed,
 *   or -1 to leave it out
 * @read_error: the stream's error
 *
 * Sets an %NN_DATA_ERROR for a failed read: %NN_DATA_ERROR_PARSE for corrupt
 * or truncated compressed data, %NN_DATA_ERROR_FAILED otherwise.
 */
void
nn_data_set_read_error (GError      **error,
                        const char   *name,
                        gint64        offset,
                        const GError *read_error)
{
  g_autofree char *where = offset >= 0 ? g_strdup_printf ("at byte %" G_GINT64_FORMAT ": ", offset)
                                       : g_strdup ("");

  if (g_error_matches (read_error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
    g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                 "%s: error: %sthe compressed data end early: the file is truncated",
                 name, where);
  else if (g_error_matches (read_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                 "%s: error: %sthe compressed data are corrupt (%s)",
                 name, where, read_error->message);
  else
    g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                 "%s: error: %s%s", name, where, read_error->message);
}

/*
 * nn_data_open_file:
 * @path: a file name
 * @compressed: (out) (optional): whether the file is gzip-compressed
 * @size: (out) (optional): the size of the file in bytes, or -1 if unknown
 * @error: return location for a #GError
 *
 * Opens a data file for reading. A gzip-compressed file, recognised by its
 * magic bytes rather than its name, is decompressed as it is read. Anything
 * but a regular file is refused before it is opened: a FIFO would block the
 * open until a writer comes, a device might never end.
 *
 * Returns: (transfer full): the (decompressed) contents, or %NULL with an
 *   %NN_DATA_ERROR set
 */
GInputStream *
nn_data_open_file (const char *path,
                   gboolean   *compressed,
                   goffset    *size,
                   GError    **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GFileInputStream) in = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GInputStream) base = NULL;
  guint8   magic[2] = { 0, 0 };
  gsize    got = 0;
  GStatBuf st;

  if (compressed)
    *compressed = FALSE;
  if (size)
    *size = -1;

  if (g_stat (path, &st) == 0 && !S_ISREG (st.st_mode) && !S_ISDIR (st.st_mode))
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                   "%s: error: not a regular file", path);
      return NULL;
    }
  in = g_file_read (file, NULL, &local_error);
  if (in == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                     "%s: error: no such file", path);
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY))
        g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                     "%s: error: a directory, not a data file", path);
      else
        g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                     "%s: error: %s", path, local_error->message);
      return NULL;
    }
  info = g_file_input_stream_query_info (in, G_FILE_ATTRIBUTE_STANDARD_SIZE, NULL, NULL);
  if (size && info != NULL && g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_STANDARD_SIZE))
    *size = g_file_info_get_size (info);

  /* Look at the first two bytes, then start again: by seeking back, or, for
   * a pipe, by reading through a buffer that can be peeked into. */
  if (g_seekable_can_seek (G_SEEKABLE (in)))
    {
      if (!g_input_stream_read_all (G_INPUT_STREAM (in), magic, 2, &got, NULL, &local_error) ||
          !g_seekable_seek (G_SEEKABLE (in), 0, G_SEEK_SET, NULL, &local_error))
        {
          nn_data_set_read_error (error, path, -1, local_error);
          return NULL;
        }
      base = G_INPUT_STREAM (g_steal_pointer (&in));
    }
  else
    {
      GInputStream         *bs = g_buffered_input_stream_new (G_INPUT_STREAM (in));
      GBufferedInputStream *b = G_BUFFERED_INPUT_STREAM (bs);

      base = G_INPUT_STREAM (b);
      if (g_buffered_input_stream_fill (b, 2, NULL, &local_error) < 0)
        {
          nn_data_set_read_error (error, path, -1, local_error);
          return NULL;
        }
      got = g_buffered_input_stream_peek (b, magic, 0, 2);
      if (size)
        *size = -1;
    }

  if (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
    {
      g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);

      if (compressed)
        *compressed = TRUE;
      return g_converter_input_stream_new (base, G_CONVERTER (z));
    }
  return g_steal_pointer (&base);
}
