/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The files the tests read and write: CSV histories, data files (gzip,
 * IDX) and the SVG documents and PNG images of the plots. */
#include <string.h>

#include "nn-test.h"

/* The lines of a CSV file, each split at commas; row 0 is the header. */
GPtrArray *
nn_test_read_csv (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  if (!g_file_get_contents (path, &text, NULL, &error))
    {
      NN_ASSERT_NO_ERROR (error);
      return rows;
    }
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_ptr_array_add (rows, g_strsplit (lines[i], ",", -1));
  return rows;
}

static int
column_of (GPtrArray  *rows,
           const char *name)
{
  char **header;

  if (rows->len == 0)
    return -1;
  header = rows->pdata[0];
  for (int c = 0; header[c] != NULL; c++)
    if (g_str_equal (header[c], name))
      return c;
  return -1;
}

/* The column @name of history.csv in @run_dir, as text, one per epoch. */
GStrv
nn_test_history_column (const char *run_dir,
                        const char *name)
{
  g_autofree char *path = g_build_filename (run_dir, "history.csv", NULL);
  g_autoptr(GPtrArray) rows = nn_test_read_csv (path);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  int c = column_of (rows, name);

  CU_ASSERT_TRUE (c >= 0);
  for (guint r = 1; c >= 0 && r < rows->len; r++)
    g_strv_builder_add (b, g_strv_length (rows->pdata[r]) > (guint) c
                             ? ((char **) rows->pdata[r])[c]
                             : "");
  return g_strv_builder_end (b);
}

/* @name in tests/data. */
char *
nn_test_data_path (const char *name)
{
  const char *dir = g_getenv ("NN_TEST_DATA");

  return g_build_filename (dir ? dir : ".", name, NULL);
}

GBytes *
nn_test_gzip_bytes (const void *data,
                    gsize       length)
{
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) out = g_converter_output_stream_new (mem, G_CONVERTER (z));
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all (out, data, length, NULL, NULL, &error) ||
      !g_output_stream_close (out, NULL, &error))
    g_printerr ("gzip: %s\n", error->message);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

/* An IDX file: the magic number's data type and dimensions, the sizes, then
 * @n_values bytes of values v[i] = (3 i + 1) mod 256. */
GByteArray *
nn_test_idx_bytes (guint8         dtype,
                   guint          ndim,
                   const guint32 *dims,
                   gsize          n_values)
{
  GByteArray *b = g_byte_array_new ();
  guint8      magic[4] = { 0, 0, dtype, (guint8) ndim };

  g_byte_array_append (b, magic, 4);
  for (guint d = 0; d < ndim; d++)
    {
      guint32 be = GUINT32_TO_BE (dims[d]);
      g_byte_array_append (b, (guint8 *) &be, 4);
    }
  for (gsize i = 0; i < n_values; i++)
    {
      guint8 v = (guint8) ((3 * i + 1) % 256);
      g_byte_array_append (b, &v, 1);
    }
  return b;
}

static void
svg_start (GMarkupParseContext *context,
           const char          *element,
           const char         **names,
           const char         **values,
           gpointer             user_data,
           GError             **error)
{
  NnTestSvg *info = user_data;

  if (info->depth++ == 0)
    {
      info->root = g_strdup (element);
      for (guint i = 0; names[i] != NULL; i++)
        {
          char *end = NULL;
          if (g_str_equal (names[i], "width"))
            {
              info->width = g_ascii_strtod (values[i], &end);
              info->width_unit = g_strdup (end);
            }
          else if (g_str_equal (names[i], "height"))
            info->height = g_ascii_strtod (values[i], NULL);
        }
    }
  if (g_str_equal (element, "text"))
    info->in_text++;
}

static void
svg_end (GMarkupParseContext *context,
         const char          *element,
         gpointer             user_data,
         GError             **error)
{
  NnTestSvg *info = user_data;

  info->depth--;
  if (g_str_equal (element, "text"))
    {
      info->in_text--;
      g_string_append_c (info->text, '|');
    }
}

static void
svg_text (GMarkupParseContext *context,
          const char          *text,
          gsize                len,
          gpointer             user_data,
          GError             **error)
{
  NnTestSvg *info = user_data;

  if (info->in_text)
    g_string_append_len (info->text, text, len);
}

void
nn_test_svg_clear (NnTestSvg *info)
{
  g_free (info->root);
  g_free (info->width_unit);
  g_string_free (info->text, TRUE);
}

gboolean
nn_test_read_svg (const char *path,
                  NnTestSvg  *info)
{
  static const GMarkupParser parser = { svg_start, svg_end, svg_text, NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize            len = 0;
  g_autoptr(GMarkupParseContext) context = NULL;

  memset (info, 0, sizeof *info);
  info->text = g_string_new ("|");
  if (!g_file_get_contents (path, &text, &len, &error))
    {
      NN_ASSERT_NO_ERROR (error);
      return FALSE;
    }
  context = g_markup_parse_context_new (&parser, G_MARKUP_TREAT_CDATA_AS_TEXT, info, NULL);
  if (!g_markup_parse_context_parse (context, text, len, &error) ||
      !g_markup_parse_context_end_parse (context, &error))
    {
      NN_ASSERT_NO_ERROR (error);
      return FALSE;
    }
  return TRUE;
}

gboolean
nn_test_read_png_size (const char *path,
                       guint32    *width,
                       guint32    *height)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autofree guint8  *data = NULL;
  gsize               len = 0;

  if (!g_file_get_contents (path, (char **) &data, &len, NULL) || len < 24)
    return FALSE;
  if (memcmp (data, signature, 8) != 0 || memcmp (data + 12, "IHDR", 4) != 0)
    return FALSE;
  *width = GUINT32_FROM_BE (*(guint32 *) (data + 16));
  *height = GUINT32_FROM_BE (*(guint32 *) (data + 20));
  return TRUE;
}

guint
nn_test_svg_count_text (const NnTestSvg *info,
                        const char      *text)
{
  g_autofree char *needle = g_strdup_printf ("|%s|", text);
  guint            n = 0;

  for (const char *p = info->text->str; (p = strstr (p, needle)) != NULL; p++)
    n++;
  return n;
}

gboolean
nn_test_svg_has_text (const NnTestSvg *info,
                      const char      *text)
{
  return nn_test_svg_count_text (info, text) > 0;
}
