/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Data readers: CSV and IDX files, good and malformed (every error with its
 * exact position), test sets encoded with the training classes, and the
 * scaler. */
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

static char *tmp_dir;

/* Helpers */

static char *
write_bytes (const char *name,
             const void *data,
             gsize       length)
{
  return nn_test_write_bytes (tmp_dir, name, data, length);
}

static char *
test_data_path (const char *name)
{
  const char *dir = g_getenv ("NN_TEST_DATA");

  return g_build_filename (dir ? dir : ".", name, NULL);
}

static char *
write_text (const char *name,
            const char *text)
{
  return write_bytes (name, text, strlen (text));
}

static GBytes *
gzip_bytes (const void *data,
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

static void
assert_message_at (const GError *error,
                   const char   *want,
                   int           line)
{
  nn_test_check_at (error != NULL && g_str_equal (error->message, want), __FILE__, line,
                    "message\n    '%s'\n  expected\n    '%s'",
                    error ? error->message : "(no error)", want);
}

/* No data set, and the error @code with the message @want. */
static void
assert_refused_at (NnDataset    *data,
                   const GError *error,
                   NnDataError   code,
                   const char   *want,
                   int           line)
{
  nn_test_check_at (data == NULL, __FILE__, line, "a data set from malformed input");
  nn_test_check_at (g_error_matches (error, NN_DATA_ERROR, code), __FILE__, line,
                    "expected error code %d, got %s", code,
                    error ? error->message : "a data set");
  assert_message_at (error, want, line);
}

/* Reads @text from a file named @name and expects the error @code with the
 * message "PATH:" + @where. */
static void
check_csv_error_at (const char         *name,
                    const char         *text,
                    gsize               length,
                    const char * const *targets,
                    const char * const *features,
                    NnDataError         code,
                    const char         *where,
                    int                 line)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_bytes (name, text, length);
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, targets, features, &error);
  g_autofree char *want = g_strdup_printf ("%s:%s", path, where);

  assert_refused_at (data, error, code, want, line);
}

#define CHECK_CSV_ERROR(name, text, targets, features, code, where) \
  check_csv_error_at (name, text, sizeof (text) - 1, targets, features, code, where, __LINE__)

static const char * const target_y[] = { "y", NULL };

/* An IDX file: the magic number's data type and dimensions, the sizes, then
 * @n_values bytes of values v[i] = (3 i + 1) mod 256. */
static GByteArray *
idx_bytes (guint8         dtype,
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

static char *
write_images (const char *name,
              guint32     n,
              guint32     rows,
              guint32     cols)
{
  guint32 dims[3] = { n, rows, cols };
  g_autoptr(GByteArray) b = idx_bytes (0x08, 3, dims, (gsize) n * rows * cols);

  return write_bytes (name, b->data, b->len);
}

static char *
write_labels (const char   *name,
              guint32       n,
              const guint8 *values)
{
  guint32 dims[1] = { n };
  g_autoptr(GByteArray) b = idx_bytes (0x08, 1, dims, 0);

  g_byte_array_append (b, values, n);
  return write_bytes (name, b->data, b->len);
}

/* Reads the pair and expects the error @code with the message
 * "@file: error: at byte " + @where. */
static void
check_idx_error_at (const char *images,
                    const char *labels,
                    const char *file,
                    NnDataError code,
                    const char *where,
                    int         line)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_idx_files (images, labels, &error);
  g_autofree char *want = g_strdup_printf ("%s: error: at byte %s", file, where);

  assert_refused_at (data, error, code, want, line);
}

#define CHECK_IDX_ERROR(images, labels, file, code, where) \
  check_idx_error_at (images, labels, file, code, where, __LINE__)

static const guint8 four_labels[4] = { 7, 2, 7, 0 };

/* Malformed CSV */

static void
test_csv_word_in_number_column (void)
{
  CHECK_CSV_ERROR ("word.csv", "a,b,y\n1,2,x\n3,zz,y\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE, "3:3: error: 'zz' in column 'b' is not a number");
  /* Hexadecimal is not a decimal number, though strtod would take it. */
  CHECK_CSV_ERROR ("hex.csv", "a,y\n1,0\n0x10,1\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE, "3:1: error: '0x10' in column 'a' is not a number");
}

static void
test_csv_too_many_fields (void)
{
  CHECK_CSV_ERROR ("many.csv", "a,b,y\n1,2,3\n1,2,3,4\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE, "3:7: error: 4 fields where the header has 3");
}

static void
test_csv_too_few_fields (void)
{
  CHECK_CSV_ERROR ("few.csv", "a,b,y\n1,2\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE, "2:4: error: 2 fields where the header has 3");
  /* With CRLF the line ends at its CR; a lone CR ends a line too. */
  CHECK_CSV_ERROR ("few-crlf.csv", "a,b,y\r\n1,2,3\r\n4\r\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE, "3:2: error: 1 field where the header has 3");
  CHECK_CSV_ERROR ("few-cr.csv", "a,b,y\r1,2,3\r\r4,5\r", target_y, NULL,
                   NN_DATA_ERROR_PARSE, "4:4: error: 2 fields where the header has 3");
}

static void
test_csv_ragged_after_multiline_field (void)
{
  /* A quoted label spans lines 2 and 3; the short row is on line 4. */
  CHECK_CSV_ERROR ("multiline.csv", "a,y\n1,\"two\nlines\"\n2\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE, "4:2: error: 1 field where the header has 2");
}

static void
test_csv_empty_file (void)
{
  CHECK_CSV_ERROR ("empty.csv", "", target_y, NULL,
                   NN_DATA_ERROR_INVALID, "1:1: error: the data are empty: no header row");
  CHECK_CSV_ERROR ("blank.csv", "\n  \r\n\t\n", target_y, NULL,
                   NN_DATA_ERROR_INVALID, "1:1: error: the data are empty: no header row");
  CHECK_CSV_ERROR ("bom-only.csv", "\xef\xbb\xbf", target_y, NULL,
                   NN_DATA_ERROR_INVALID, "1:1: error: the data are empty: no header row");
}

static void
test_csv_header_only (void)
{
  CHECK_CSV_ERROR ("header.csv", "a,b,y\n\n\n", target_y, NULL, NN_DATA_ERROR_INVALID,
                   "1:1: error: the header is the only row: there are no samples");
  CHECK_CSV_ERROR ("late-header.csv", "\n\na,y", target_y, NULL, NN_DATA_ERROR_INVALID,
                   "3:1: error: the header is the only row: there are no samples");
}

static void
test_csv_nan_and_inf (void)
{
  CHECK_CSV_ERROR ("nan.csv", "a,y\n1,0\nnan,1\n", target_y, NULL, NN_DATA_ERROR_PARSE,
                   "3:1: error: 'nan' in column 'a' is not a finite number");
  CHECK_CSV_ERROR ("inf.csv", "a,b,y\n1,2,0\n1, -Inf ,1\n", target_y, NULL, NN_DATA_ERROR_PARSE,
                   "3:4: error: '-Inf' in column 'b' is not a finite number");
  CHECK_CSV_ERROR ("infinity.csv", "a,y\n\"+INFINITY\",1\n", target_y, NULL, NN_DATA_ERROR_PARSE,
                   "2:1: error: '+INFINITY' in column 'a' is not a finite number");
  /* In a numeric target the first NaN is reported, wherever it is. */
  CHECK_CSV_ERROR ("nan-target.csv", "a,y\n1,0\n2,1\n3,NaN\n4,nan\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE, "4:3: error: 'NaN' in column 'y' is not a finite number");
}

static void
test_csv_out_of_range (void)
{
  CHECK_CSV_ERROR ("huge.csv", "a,y\n1e999,1\n", target_y, NULL, NN_DATA_ERROR_PARSE,
                   "2:1: error: '1e999' in column 'a' is out of the range of " NN_REAL_NAME);
}

static void
test_csv_missing_target_column (void)
{
  static const char * const targets[] = { "specis", NULL };

  CHECK_CSV_ERROR ("no-target.csv", "sepal,petal,species\n1,2,a\n", targets, NULL,
                   NN_DATA_ERROR_INVALID,
                   "1:1: error: no target column 'specis' (did you mean 'species'?); "
                   "the columns are 'sepal', 'petal', 'species'");
}

static void
test_csv_missing_feature_column (void)
{
  static const char * const features[] = { "sepal", "zzz", NULL };

  CHECK_CSV_ERROR ("no-feature.csv", "\n\nsepal,petal,y\n1,2,a\n", target_y, features,
                   NN_DATA_ERROR_INVALID,
                   "3:1: error: no feature column 'zzz'; the columns are 'sepal', 'petal', 'y'");
}

static void
test_csv_missing_column_in_wide_header (void)
{
  static const char * const features[] = { "p_3", NULL };
  GString                  *s = g_string_new (NULL);
  g_autofree char          *text = NULL;

  for (guint i = 0; i < 30; i++)
    g_string_append_printf (s, "p%u,", i);
  g_string_append (s, "y\n");
  for (guint i = 0; i < 30; i++)
    g_string_append (s, "0,");
  g_string_append (s, "1\n");
  text = g_string_free (s, FALSE);
  check_csv_error_at ("wide.csv", text, strlen (text), target_y, features,
                      NN_DATA_ERROR_INVALID,
                      "1:1: error: no feature column 'p_3' (did you mean 'p3'?); the columns "
                      "are 'p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9', 'p10', "
                      "'p11', 'p12', 'p13', 'p14', 'p15' and 15 more",
                      __LINE__);
}

static void
test_csv_duplicate_column (void)
{
  CHECK_CSV_ERROR ("dup.csv", "a,b,a,y\n1,2,3,4\n", target_y, NULL, NN_DATA_ERROR_PARSE,
                   "1:5: error: duplicate column name 'a' (also column 1)");
  /* The byte order mark does not count in columns. */
  CHECK_CSV_ERROR ("dup-bom.csv", "\xef\xbb\xbfy,x,\"y\"\n1,2,3\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE, "1:5: error: duplicate column name 'y' (also column 1)");
}

static void
test_csv_empty_target (void)
{
  CHECK_CSV_ERROR ("empty-target.csv", "a,y\n1,cat\n2,\n", target_y, NULL, NN_DATA_ERROR_PARSE,
                   "3:3: error: empty value in target column 'y'");
  CHECK_CSV_ERROR ("quoted-empty-target.csv", "y,a\n\"\",1\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE, "2:1: error: empty value in target column 'y'");
}

static void
test_csv_empty_feature (void)
{
  CHECK_CSV_ERROR ("empty-value.csv", "a,b,y\n1,2,x\n1, ,x\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE,
                   "3:3: error: empty value in column 'b' (missing values are not supported)");
}

static void
test_csv_unterminated_quote (void)
{
  CHECK_CSV_ERROR ("open-quote.csv", "a,y\n1,x\n2,\"abc\n3,y\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE,
                   "3:3: error: a quoted field is not closed before the end of the data");
}

static void
test_csv_text_after_quote (void)
{
  CHECK_CSV_ERROR ("after-quote.csv", "a,y\n1,\"ab\"c\n", target_y, NULL, NN_DATA_ERROR_PARSE,
                   "2:7: error: text after the closing quote of a quoted field");
}

static void
test_csv_nul_byte (void)
{
  CHECK_CSV_ERROR ("nul.csv", "a,y\n1,2\n3\0,4\n", target_y, NULL, NN_DATA_ERROR_PARSE,
                   "3:2: error: a NUL byte: this is not a text file");
}

static void
test_csv_invalid_utf8 (void)
{
  CHECK_CSV_ERROR ("latin1-header.csv", "a,caf\xe9,y\n1,2,3\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE, "1:3: error: the name of column 2 is not valid UTF-8");
  CHECK_CSV_ERROR ("latin1-label.csv", "a,y\n1,ok\n2,caf\xe9\n", target_y, NULL,
                   NN_DATA_ERROR_PARSE,
                   "3:3: error: text that is not valid UTF-8 in target column 'y'");
}

static void
test_csv_word_in_regression_target (void)
{
  static const char * const targets[] = { "y1", "y2", NULL };

  CHECK_CSV_ERROR ("two-targets.csv", "a,y1,y2\n1,2,3\n1,2,cat\n", targets, NULL,
                   NN_DATA_ERROR_PARSE,
                   "3:5: error: 'cat' in target column 'y2' is not a number "
                   "(several targets are for a regression, which needs numbers)");
}

static void
test_csv_target_as_feature (void)
{
  static const char * const features[] = { "a", "y", NULL };

  CHECK_CSV_ERROR ("target-feature.csv", "a,y\n1,2\n", target_y, features,
                   NN_DATA_ERROR_INVALID,
                   "1:3: error: column 'y' is a target, so it cannot be a feature");
}

static void
test_csv_feature_twice (void)
{
  static const char * const features[] = { "b", "a", "b", NULL };

  CHECK_CSV_ERROR ("feature-twice.csv", "a,b,y\n1,2,3\n", target_y, features,
                   NN_DATA_ERROR_INVALID, "1:3: error: column 'b' is named twice as a feature");
}

static void
test_csv_unnamed_column (void)
{
  /* pandas' to_csv() writes its index as a first column with no name. */
  CHECK_CSV_ERROR ("unnamed.csv", ",a,y\n0,1,2\n", target_y, NULL, NN_DATA_ERROR_INVALID,
                   "1:1: error: column 1 has no name; name it, or list the features to use");
}

static void
test_csv_no_feature_column (void)
{
  static const char * const none[] = { NULL };

  CHECK_CSV_ERROR ("only-target.csv", "y\n1\n2\n", target_y, NULL, NN_DATA_ERROR_INVALID,
                   "1:1: error: no feature column: the header holds only the target");
  CHECK_CSV_ERROR ("no-features.csv", "a,y\n1\n2\n", target_y, none, NN_DATA_ERROR_INVALID,
                   "1:1: error: the list of features is empty");
}

static void
test_csv_truncated_gzip (void)
{
  const char *text = "a,y\n1,2\n3,4\n5,6\n";
  g_autoptr(GBytes) gz = gzip_bytes (text, strlen (text));
  gsize       size = 0;
  const char *data = g_bytes_get_data (gz, &size);

  /* Cut inside the gzip header: nothing can be decompressed. */
  check_csv_error_at ("cut.csv.gz", data, 6, target_y, NULL, NN_DATA_ERROR_PARSE,
                      " error: the compressed data end early: the file is truncated", __LINE__);
}

static void
test_csv_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmp_dir, "absent.csv", NULL);
  g_autofree char *want = g_strdup_printf ("%s: error: no such file", path);
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, target_y, NULL, &error);

  CU_ASSERT_PTR_NULL (data);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED);
  assert_message_at (error, want, __LINE__);
}

/* Malformed IDX */

static void
test_idx_wrong_magic (void)
{
  g_autofree char *labels = write_labels ("magic-labels", 4, four_labels);
  g_autofree char *pgm = write_text ("image.pgm", "P5\n5 5\n255\n0123456789");
  g_autofree char *images = write_images ("magic-images", 4, 5, 5);

  CHECK_IDX_ERROR (pgm, labels, pgm, NN_DATA_ERROR_PARSE,
                   "0: not an IDX file: it starts with 0x50350a35, where an IDX images file "
                   "starts with 0x00000803");
  CHECK_IDX_ERROR (images, pgm, pgm, NN_DATA_ERROR_PARSE,
                   "0: not an IDX file: it starts with 0x50350a35, where an IDX labels file "
                   "starts with 0x00000801");
}

static void
test_idx_other_dtype (void)
{
  guint32 dims[3] = { 4, 5, 5 };
  g_autoptr(GByteArray) floats = idx_bytes (0x0d, 3, dims, 400);
  g_autoptr(GByteArray) odd = idx_bytes (0x42, 3, dims, 100);
  g_autofree char *labels = write_labels ("dtype-labels", 4, four_labels);
  g_autofree char *f = write_bytes ("float-images", floats->data, floats->len);
  g_autofree char *o = write_bytes ("odd-images", odd->data, odd->len);

  CHECK_IDX_ERROR (f, labels, f, NN_DATA_ERROR_PARSE,
                   "2: IDX data type 0x0d (32-bit floats) is not supported: "
                   "only unsigned bytes (0x08)");
  CHECK_IDX_ERROR (o, labels, o, NN_DATA_ERROR_PARSE,
                   "2: unknown IDX data type 0x42: only unsigned bytes (0x08) are read");
}

static void
test_idx_wrong_dimensions (void)
{
  guint32 dims[4] = { 4, 5, 5, 1 };
  g_autoptr(GByteArray) four = idx_bytes (0x08, 4, dims, 100);
  g_autofree char *labels = write_labels ("dims-labels", 4, four_labels);
  g_autofree char *images = write_images ("dims-images", 4, 5, 5);
  g_autofree char *f = write_bytes ("four-dims", four->data, four->len);

  /* The arguments swapped. */
  CHECK_IDX_ERROR (labels, images, labels, NN_DATA_ERROR_PARSE,
                   "3: 1 dimension, where an IDX images file has 3 (images × rows × columns) "
                   "(is this a labels file?)");
  CHECK_IDX_ERROR (f, labels, f, NN_DATA_ERROR_PARSE,
                   "3: 4 dimensions, where an IDX images file has 3 (images × rows × columns)");
  CHECK_IDX_ERROR (images, images, images, NN_DATA_ERROR_PARSE,
                   "3: 3 dimensions, where an IDX labels file has 1 (the labels) "
                   "(is this an images file?)");
}

static void
test_idx_zero_images (void)
{
  g_autofree char *labels = write_labels ("zero-labels", 0, four_labels);
  g_autofree char *images = write_images ("zero-images", 0, 28, 28);
  g_autofree char *no_rows = write_images ("no-rows", 4, 0, 28);
  g_autofree char *no_cols = write_images ("no-cols", 4, 28, 0);
  g_autofree char *good = write_images ("zero-good-images", 4, 5, 5);

  CHECK_IDX_ERROR (images, labels, images, NN_DATA_ERROR_INVALID, "4: the file holds 0 images");
  CHECK_IDX_ERROR (no_rows, labels, no_rows, NN_DATA_ERROR_INVALID,
                   "8: the images have 0 rows");
  CHECK_IDX_ERROR (no_cols, labels, no_cols, NN_DATA_ERROR_INVALID,
                   "12: the images have 0 columns");
  CHECK_IDX_ERROR (good, labels, labels, NN_DATA_ERROR_INVALID, "4: the file holds 0 labels");
}

static void
test_idx_too_many_values (void)
{
  /* 50000³ overflows 32 bits, and 50000² is already past the limit; a
   * product of 2^31 + 1 values is refused too. Nothing is allocated. */
  guint32 huge[3] = { 50000, 50000, 50000 };
  guint32 just_over[3] = { 2, 32768, 32769 };
  guint32 max32[3] = { G_MAXUINT32, G_MAXUINT32, G_MAXUINT32 };
  g_autoptr(GByteArray) a = idx_bytes (0x08, 3, huge, 100);
  g_autoptr(GByteArray) b = idx_bytes (0x08, 3, just_over, 100);
  g_autoptr(GByteArray) c = idx_bytes (0x08, 3, max32, 100);
  g_autofree char *labels = write_labels ("huge-labels", 4, four_labels);
  g_autofree char *pa = write_bytes ("huge-images", a->data, a->len);
  g_autofree char *pb = write_bytes ("over-images", b->data, b->len);
  g_autofree char *pc = write_bytes ("max-images", c->data, c->len);

  CHECK_IDX_ERROR (pa, labels, pa, NN_DATA_ERROR_INVALID,
                   "8: the header promises more than 2^31 values, the most that can be read");
  CHECK_IDX_ERROR (pb, labels, pb, NN_DATA_ERROR_INVALID,
                   "12: the header promises more than 2^31 values, the most that can be read");
  CHECK_IDX_ERROR (pc, labels, pc, NN_DATA_ERROR_INVALID,
                   "4: the header promises more than 2^31 values, the most that can be read");
}

static void
test_idx_label_count_mismatch (void)
{
  static const guint8 three[3] = { 1, 2, 3 };
  g_autofree char    *labels = write_labels ("three-labels", 3, three);
  g_autofree char    *images = write_images ("four-images", 4, 5, 5);
  g_autofree char    *want = g_strdup_printf ("4: 3 labels for the 4 images of %s", images);

  CHECK_IDX_ERROR (images, labels, labels, NN_DATA_ERROR_INVALID, want);
}

static void
test_idx_truncated_data (void)
{
  guint32 dims[3] = { 4, 5, 5 };
  guint32 ldims[1] = { 4 };
  g_autoptr(GByteArray) short_images = idx_bytes (0x08, 3, dims, 99);
  g_autoptr(GByteArray) long_images = idx_bytes (0x08, 3, dims, 103);
  g_autoptr(GByteArray) short_labels = idx_bytes (0x08, 1, ldims, 2);
  g_autofree char *labels = write_labels ("trunc-labels", 4, four_labels);
  g_autofree char *images = write_images ("trunc-good-images", 4, 5, 5);
  g_autofree char *si = write_bytes ("short-images", short_images->data, short_images->len);
  g_autofree char *li = write_bytes ("long-images", long_images->data, long_images->len);
  g_autofree char *sl = write_bytes ("short-labels", short_labels->data, short_labels->len);

  CHECK_IDX_ERROR (si, labels, si, NN_DATA_ERROR_PARSE,
                   "115: the file ends 1 byte short of the 100 values its header promises");
  CHECK_IDX_ERROR (li, labels, li, NN_DATA_ERROR_PARSE,
                   "116: 3 bytes more than the 100 values its header promises");
  CHECK_IDX_ERROR (images, sl, sl, NN_DATA_ERROR_PARSE,
                   "10: the file ends 2 bytes short of the 4 values its header promises");
}

static void
test_idx_truncated_header (void)
{
  g_autofree char *labels = write_labels ("hdr-labels", 4, four_labels);
  g_autofree char *images = write_images ("hdr-images", 4, 5, 5);
  g_autofree char *cut = NULL;
  g_autofree char *empty = write_bytes ("empty-images", "", 0);
  g_autofree char *tiny = write_bytes ("tiny-labels", "\0\0\x08", 3);
  g_autofree char *contents = NULL;
  gsize            length;

  g_file_get_contents (images, &contents, &length, NULL);
  cut = write_bytes ("cut-header-images", contents, 10);
  CHECK_IDX_ERROR (cut, labels, cut, NN_DATA_ERROR_PARSE,
                   "10: the file ends inside its IDX header");
  CHECK_IDX_ERROR (empty, labels, empty, NN_DATA_ERROR_PARSE,
                   "0: the file is empty, not an IDX images file");
  CHECK_IDX_ERROR (images, tiny, tiny, NN_DATA_ERROR_PARSE,
                   "3: the file ends inside its IDX header");
}

static void
test_idx_truncated_gzip (void)
{
  /* A stored (uncompressed) gzip stream of 4 images of 5 × 5, cut after 44
   * of the 100 pixel values: the data end at uncompressed byte 60. */
  g_autofree char *images = test_data_path ("data-truncated-images-idx3-ubyte.gz");
  g_autofree char *labels = write_labels ("gz-labels", 4, four_labels);

  CHECK_IDX_ERROR (images, labels, images, NN_DATA_ERROR_PARSE,
                   "60: the compressed data end early: the file is truncated");
}

static void
test_idx_gzip_with_trailing_data (void)
{
  /* A compressed file's length is only known at its end. */
  guint32 dims[3] = { 4, 5, 5 };
  g_autoptr(GByteArray) long_images = idx_bytes (0x08, 3, dims, 101);
  g_autoptr(GBytes) gz = gzip_bytes (long_images->data, long_images->len);
  g_autofree char *images = write_bytes ("long-images.gz", g_bytes_get_data (gz, NULL),
                                         g_bytes_get_size (gz));
  g_autofree char *labels = write_labels ("gz-long-labels", 4, four_labels);

  CHECK_IDX_ERROR (images, labels, images, NN_DATA_ERROR_PARSE,
                   "116: the data go on past the 100 values its header promises");
}

static void
test_idx_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *labels = write_labels ("missing-labels", 4, four_labels);
  g_autofree char *path = g_build_filename (tmp_dir, "absent-images", NULL);
  g_autofree char *want = g_strdup_printf ("%s: error: no such file", path);
  g_autoptr(NnDataset) data = nn_dataset_new_from_idx_files (path, labels, &error);

  CU_ASSERT_PTR_NULL (data);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED);
  assert_message_at (error, want, __LINE__);
}

/* Good CSV */

static void
assert_row (const NnMatrix *m,
            guint           row,
            const double   *want,
            int             line)
{
  for (guint c = 0; c < m->cols; c++)
    nn_test_check_at (NN_MATRIX_AT (m, row, c) == (nn_real) want[c], __FILE__, line,
                      "[%u, %u] = %g, expected %g", row, c, (double) NN_MATRIX_AT (m, row, c),
                      want[c]);
}

static void
assert_strv (const char * const *got,
             const char * const *want,
             int                 line)
{
  g_autofree char *g = got ? g_strjoinv ("|", (char **) got) : g_strdup ("(null)");
  g_autofree char *w = g_strjoinv ("|", (char **) want);

  nn_test_check_at (got != NULL && g_strv_equal (got, want), __FILE__, line,
                    "'%s', expected '%s'", g, w);
}

static void
test_csv_quoted_fields (void)
{
  static const char * const features[] = { "sepal_width", "petal, length", NULL };
  static const char * const targets[] = { "species", NULL };
  static const char * const want_features[] = { "sepal_width", "petal, length", NULL };
  static const char * const want_classes[] = { "setosa", "versicolor", "virginica", NULL };
  static const double       row0[] = { 3.0, 1.5 }, row1[] = { 2.5, 4.5 }, row2[] = { 3.1, 5.9 };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = test_data_path ("data-quoted.csv");
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, targets, features, &error);
  g_autofree char *want = g_strdup_printf ("%s:2:13: error: 'said \"hi\"' in column 'note' "
                                           "is not a number",
                                           path);
  const NnMatrix  *x, *y;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (data), 3);
  assert_strv (nn_dataset_get_feature_names (data), want_features, __LINE__);
  assert_strv (nn_dataset_get_class_names (data), want_classes, __LINE__);
  x = nn_dataset_get_features (data);
  y = nn_dataset_get_targets (data);
  assert_row (x, 0, row0, __LINE__);
  assert_row (x, 1, row1, __LINE__);
  assert_row (x, 2, row2, __LINE__);
  CU_ASSERT_EQUAL (y->data[0], 0);
  CU_ASSERT_EQUAL (y->data[1], 1);
  CU_ASSERT_EQUAL (y->data[2], 2);

  /* Every other column as a feature takes in the text column 'note'. */
  g_clear_object (&data);
  data = nn_dataset_new_from_csv_file (path, targets, NULL, &error);
  CU_ASSERT_PTR_NULL (data);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE);
  assert_message_at (error, want, __LINE__);
}

static void
test_csv_quoted_label_with_quote_and_comma (void)
{
  static const char * const targets[] = { "label", NULL };
  static const char * const want_classes[] = { "a \"b\", c", "two\r\nlines", NULL };
  const char               *text = "x,label\n1,\"a \"\"b\"\", c\"\n2, \"two\r\nlines\" \n";
  g_autofree char          *path = write_text ("quoted-label.csv", text);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, targets, NULL, &error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (data), 2);
  assert_strv (nn_dataset_get_class_names (data), want_classes, __LINE__);
}

static void
test_csv_crlf_bom_and_blank_lines (void)
{
  static const char * const want_features[] = { "a", "b", NULL };
  static const char * const want_classes[] = { "no", "yes", NULL };
  static const double       row0[] = { 1, 2 }, row1[] = { 3.5, -4e-1 };
  const char               *text = "\xef\xbb\xbf"
                                   "a, b ,y\r\n1,2,yes\r\n\r\n3.5 ,\t-4e-1,no\r\n\r\n\r\n";
  g_autofree char          *path = write_text ("crlf.csv", text);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, target_y, NULL, &error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (data), 2);
  assert_strv (nn_dataset_get_feature_names (data), want_features, __LINE__);
  assert_strv (nn_dataset_get_class_names (data), want_classes, __LINE__);
  assert_row (nn_dataset_get_features (data), 0, row0, __LINE__);
  assert_row (nn_dataset_get_features (data), 1, row1, __LINE__);
  CU_ASSERT_EQUAL (nn_dataset_get_targets (data)->data[0], 1);
  CU_ASSERT_EQUAL (nn_dataset_get_targets (data)->data[1], 0);
}

static void
test_csv_feature_subset_and_order (void)
{
  static const char * const features[] = { "c", "a", NULL };
  static const char * const want[] = { "c", "a", NULL };
  static const double       row0[] = { 3, 1 }, row1[] = { 6, 4 };
  /* Column b holds text; left out, it is not even parsed. */
  g_autofree char *path = write_text ("subset.csv", "a,b,c,y\n1,n/a,3,0.5\n4,x,6,1.5\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, target_y, features, &error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  assert_strv (nn_dataset_get_feature_names (data), want, __LINE__);
  assert_row (nn_dataset_get_features (data), 0, row0, __LINE__);
  assert_row (nn_dataset_get_features (data), 1, row1, __LINE__);
  CU_ASSERT_PTR_NULL (nn_dataset_get_class_names (data));
  CU_ASSERT_EQUAL (nn_dataset_get_targets (data)->data[1], (nn_real) 1.5);
}

static void
test_csv_multiple_regression_targets (void)
{
  static const char * const targets[] = { "y2", "y1", NULL };
  static const char * const want[] = { "a", "b", NULL };
  static const double       t0[] = { 20, 10 }, t1[] = { -2, 1e-3 };
  g_autofree char          *path = write_text ("targets.csv", "y1,a,y2,b\n10,1,20,2\n1e-3,3,-2,4\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, targets, NULL, &error);
  g_autoptr(NnDataset) encoded = NULL;
  const NnMatrix *y;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  assert_strv (nn_dataset_get_feature_names (data), want, __LINE__);
  y = nn_dataset_get_targets (data);
  CU_ASSERT_EQUAL_FATAL (y->cols, 2);
  assert_row (y, 0, t0, __LINE__);
  assert_row (y, 1, t1, __LINE__);
  CU_ASSERT_PTR_NULL (nn_dataset_get_class_names (data));

  encoded = nn_dataset_encode (data, NN_TASK_REGRESSION, -1, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (encoded);
  CU_ASSERT_EQUAL (nn_dataset_get_targets (encoded)->cols, 2);
  g_clear_object (&encoded);
  encoded = nn_dataset_encode (data, NN_TASK_MULTICLASS, -1, &error);
  CU_ASSERT_PTR_NULL (encoded);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID);
}

static void
test_csv_numeric_classes (void)
{
  static const char * const want[] = { "2", "3", "10", NULL };
  static const double       r0[] = { 0, 1, 0 }, r1[] = { 0, 0, 1 }, r2[] = { 1, 0, 0 };
  g_autofree char          *path = write_text ("numeric-classes.csv", "x,y\n1,3\n2,10\n3,2\n4,3.0\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, target_y, NULL, &error);
  g_autoptr(NnDataset) encoded = NULL;
  const NnMatrix *t;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  /* As read, the numbers themselves. */
  CU_ASSERT_PTR_NULL (nn_dataset_get_class_names (data));
  CU_ASSERT_EQUAL (nn_dataset_get_targets (data)->data[1], 10);

  encoded = nn_dataset_encode (data, NN_TASK_MULTICLASS, -1, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (encoded);
  assert_strv (nn_dataset_get_class_names (encoded), want, __LINE__);
  t = nn_dataset_get_targets (encoded);
  CU_ASSERT_EQUAL_FATAL (t->cols, 3);
  assert_row (t, 0, r0, __LINE__); /* 3 -> 1 */
  assert_row (t, 1, r1, __LINE__); /* 10 -> 2 */
  assert_row (t, 2, r2, __LINE__); /* 2 -> 0 */
  assert_row (t, 3, r0, __LINE__); /* 3.0 is 3 */
}

static void
test_csv_labels_in_byte_order (void)
{
  g_autofree char          *path = write_text ("byte-order.csv",
                                               "x,y\n1,b\n2,\xc3\xa9t\xc3\xa9\n3,B\n4,a\n5,1\n");
  static const char * const with_number[] = { "1", "B", "a", "b", "\xc3\xa9t\xc3\xa9", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, target_y, NULL, &error);
  const NnMatrix *t;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  /* One label that is not a number makes them all labels, "1" too. */
  assert_strv (nn_dataset_get_class_names (data), with_number, __LINE__);
  t = nn_dataset_get_targets (data);
  CU_ASSERT_EQUAL (t->data[0], 3);
  CU_ASSERT_EQUAL (t->data[1], 4);
  CU_ASSERT_EQUAL (t->data[2], 1);
  CU_ASSERT_EQUAL (t->data[3], 2);
  CU_ASSERT_EQUAL (t->data[4], 0);
}

static void
test_csv_long_lines (void)
{
  /* A header of 20000 columns (over 100 kB, more than a read chunk) and a
   * label of 200000 bytes. */
  GString         *s = g_string_new (NULL);
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = NULL;
  const char * const *classes;

  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (s, "feature%u,", i);
  g_string_append (s, "y\n");
  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (s, "%u,", i);
  for (guint i = 0; i < 200000; i++)
    g_string_append_c (s, 'a' + i % 26);
  g_string_append (s, "\n");
  text = g_string_free (s, FALSE);
  path = write_text ("long.csv", text);

  data = nn_dataset_new_from_csv_file (path, target_y, NULL, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  CU_ASSERT_EQUAL (nn_dataset_get_n_features (data), 20000);
  CU_ASSERT_EQUAL (NN_MATRIX_AT (nn_dataset_get_features (data), 0, 19999), 19999);
  CU_ASSERT_STRING_EQUAL (nn_dataset_get_feature_names (data)[19999], "feature19999");
  classes = nn_dataset_get_class_names (data);
  CU_ASSERT_PTR_NOT_NULL_FATAL (classes);
  CU_ASSERT_EQUAL (strlen (classes[0]), 200000);
}

static void
test_csv_without_target (void)
{
  static const char * const features[] = { "b", "a", NULL };
  static const double       row0[] = { 2, 1 };
  g_autofree char          *path = write_text ("predict.csv", "a,b,label\n1,2,whatever\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, NULL, features, &error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (data), 1);
  CU_ASSERT_EQUAL (nn_dataset_get_targets (data)->cols, 0);
  assert_row (nn_dataset_get_features (data), 0, row0, __LINE__);
}

static void
test_csv_gzip (void)
{
  const char *text = "a,y\n1,cat\n2,dog\n";
  g_autoptr(GBytes) gz = gzip_bytes (text, strlen (text));
  g_autofree char *path = write_bytes ("animals.csv.gz", g_bytes_get_data (gz, NULL),
                                       g_bytes_get_size (gz));
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, target_y, NULL, &error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (data), 2);
  CU_ASSERT_EQUAL (nn_dataset_get_n_classes (data), 2);
}

static void
test_csv_data_and_iris (void)
{
  const char *text = "a,y\n1,x\n2,y\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_data ("inline", text, strlen (text),
                                                             "y", &error);
  g_autoptr(NnDataset) iris = NULL;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (data), 2);
  g_clear_object (&data);

  /* The same parser, the same messages. */
  data = nn_dataset_new_from_csv_data ("inline", "a,y\n1,x\nb,y\n", 12, "y", &error);
  CU_ASSERT_PTR_NULL (data);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE);
  assert_message_at (error, "inline:3:1: error: 'b' in column 'a' is not a number", __LINE__);
  g_clear_error (&error);

  iris = nn_dataset_new_iris (&error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (iris);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (iris), 150);
  CU_ASSERT_EQUAL (nn_dataset_get_n_features (iris), 4);
  CU_ASSERT_EQUAL (nn_dataset_get_n_classes (iris), 3);
  CU_ASSERT_STRING_EQUAL (nn_dataset_get_class_names (iris)[2], "virginica");
}

/* Good IDX */

static void
check_small_idx (gboolean compressed)
{
  static const char * const want_classes[] = { "0", "2", "7", NULL };
  g_autoptr(GByteArray) images = NULL;
  g_autoptr(GByteArray) labels = NULL;
  guint32          dims[3] = { 4, 2, 3 };
  guint32          ldims[1] = { 4 };
  g_autofree char *ip = NULL;
  g_autofree char *lp = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = NULL;
  const NnMatrix *x, *y;

  images = idx_bytes (0x08, 3, dims, 24);
  labels = idx_bytes (0x08, 1, ldims, 0);
  g_byte_array_append (labels, four_labels, 4);
  if (compressed)
    {
      g_autoptr(GBytes) gi = gzip_bytes (images->data, images->len);
      g_autoptr(GBytes) gl = gzip_bytes (labels->data, labels->len);
      ip = write_bytes ("small-images.gz", g_bytes_get_data (gi, NULL), g_bytes_get_size (gi));
      lp = write_bytes ("small-labels.gz", g_bytes_get_data (gl, NULL), g_bytes_get_size (gl));
    }
  else
    {
      ip = write_bytes ("small-images", images->data, images->len);
      lp = write_bytes ("small-labels", labels->data, labels->len);
    }

  data = nn_dataset_new_from_idx_files (ip, lp, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  x = nn_dataset_get_features (data);
  y = nn_dataset_get_targets (data);
  CU_ASSERT_EQUAL (x->rows, 4);
  CU_ASSERT_EQUAL (x->cols, 6);
  for (guint i = 0; i < 24; i++)
    CU_ASSERT_EQUAL (x->data[i], (nn_real) ((3 * i + 1) % 256));
  CU_ASSERT_STRING_EQUAL (nn_dataset_get_feature_names (data)[0], "pixel0");
  CU_ASSERT_STRING_EQUAL (nn_dataset_get_feature_names (data)[5], "pixel5");
  CU_ASSERT_PTR_NULL (nn_dataset_get_feature_names (data)[6]);
  /* Labels 7, 2, 7, 0: the classes present, in numeric order. */
  assert_strv (nn_dataset_get_class_names (data), want_classes, __LINE__);
  CU_ASSERT_EQUAL (y->data[0], 2);
  CU_ASSERT_EQUAL (y->data[1], 1);
  CU_ASSERT_EQUAL (y->data[2], 2);
  CU_ASSERT_EQUAL (y->data[3], 0);
}

static void
test_idx_plain (void)
{
  check_small_idx (FALSE);
}

static void
test_idx_gzip (void)
{
  check_small_idx (TRUE);
}

static void
test_fashion_mnist (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = NULL;
  const NnMatrix *x, *y;
  gboolean        seen[10] = { FALSE };
  nn_real         lo = 255, hi = 0;
  gint64          start = g_get_monotonic_time ();

  data = nn_dataset_new_from_idx_files (FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz",
                                        FASHION_MNIST_DIR "/train-labels-idx1-ubyte.gz", &error);
  g_print ("(loaded in %.3f s) ", (g_get_monotonic_time () - start) / 1e6);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  x = nn_dataset_get_features (data);
  y = nn_dataset_get_targets (data);
  CU_ASSERT_EQUAL (x->rows, 60000);
  CU_ASSERT_EQUAL (x->cols, 784);
  CU_ASSERT_EQUAL (nn_dataset_get_n_classes (data), 10);
  for (guint c = 0; c < 10; c++)
    {
      char name[4];
      g_snprintf (name, sizeof name, "%u", c);
      CU_ASSERT_STRING_EQUAL (nn_dataset_get_class_names (data)[c], name);
    }
  for (guint r = 0; r < y->rows; r++)
    if (y->data[r] >= 0 && y->data[r] < 10)
      seen[(guint) y->data[r]] = TRUE;
  for (guint c = 0; c < 10; c++)
    CU_ASSERT_TRUE (seen[c]);
  for (gsize i = 0; i < nn_matrix_size (x); i++)
    {
      lo = MIN (lo, x->data[i]);
      hi = MAX (hi, x->data[i]);
    }
  CU_ASSERT_EQUAL (lo, 0);
  CU_ASSERT_EQUAL (hi, 255);
}

/* Test sets */

static NnDataset *
read_csv (const char *name,
          const char *text)
{
  g_autofree char *path = write_text (name, text);
  g_autoptr(GError) error = NULL;
  NnDataset *data = nn_dataset_new_from_csv_file (path, target_y, NULL, &error);

  NN_ASSERT_NO_ERROR (error);
  return data;
}

static void
test_test_set_remapped_by_name (void)
{
  static const char * const want[] = { "cat", "dog", "emu", NULL };
  static const double       emu[] = { 0, 0, 1 }, cat[] = { 1, 0, 0 };
  g_autoptr(NnDataset) train = read_csv ("train.csv", "x,y\n1,dog\n2,cat\n3,emu\n4,dog\n");
  g_autoptr(NnDataset) test = read_csv ("test.csv", "x,y\n5,emu\n6,cat\n");
  g_autoptr(NnDataset) encoded = NULL;
  g_autoptr(NnDataset) binary = NULL;
  g_autoptr(GError) error = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (train);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  /* Read alone, the test set numbers its own two classes. */
  CU_ASSERT_EQUAL (nn_dataset_get_n_classes (test), 2);
  CU_ASSERT_EQUAL (nn_dataset_get_targets (test)->data[0], 1);

  encoded = nn_dataset_encode_like (test, train, NN_TASK_MULTICLASS, -1, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (encoded);
  assert_strv (nn_dataset_get_class_names (encoded), want, __LINE__);
  CU_ASSERT_EQUAL_FATAL (nn_dataset_get_targets (encoded)->cols, 3);
  assert_row (nn_dataset_get_targets (encoded), 0, emu, __LINE__);
  assert_row (nn_dataset_get_targets (encoded), 1, cat, __LINE__);

  /* 'positive' is an index among the training classes: emu is 2. */
  binary = nn_dataset_encode_like (test, train, NN_TASK_BINARY, 2, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (binary);
  CU_ASSERT_EQUAL (nn_dataset_get_targets (binary)->data[0], 1);
  CU_ASSERT_EQUAL (nn_dataset_get_targets (binary)->data[1], 0);
}

static void
test_test_set_unseen_label (void)
{
  g_autoptr(NnDataset) train = read_csv ("train2.csv", "x,y\n1,dog\n2,cat\n");
  g_autoptr(NnDataset) test = read_csv ("test2.csv", "x,y\n5,cat\n6,fox\n");
  g_autoptr(NnDataset) renamed = read_csv ("test3.csv", "z,y\n5,cat\n");
  g_autoptr(NnDataset) encoded = NULL;
  g_autoptr(GError) error = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (train);
  CU_ASSERT_PTR_NOT_NULL_FATAL (test);
  encoded = nn_dataset_encode_like (test, train, NN_TASK_MULTICLASS, -1, &error);
  CU_ASSERT_PTR_NULL (encoded);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID);
  assert_message_at (error, "'fox' in the test data is not a class of the training data",
                     __LINE__);
  g_clear_error (&error);

  encoded = nn_dataset_encode_like (renamed, train, NN_TASK_MULTICLASS, -1, &error);
  CU_ASSERT_PTR_NULL (encoded);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID);
  assert_message_at (error, "feature 1 is 'z' in the test data but 'x' in the training data",
                     __LINE__);
}

static void
test_test_set_numeric_classes (void)
{
  g_autoptr(NnDataset) train = read_csv ("train-num.csv", "x,y\n1,3\n2,10\n3,2\n");
  g_autoptr(NnDataset) test = read_csv ("test-num.csv", "x,y\n5,10.0\n6,2\n");
  g_autoptr(NnDataset) unseen = read_csv ("test-num2.csv", "x,y\n5,4\n");
  g_autoptr(NnDataset) encoded = NULL;
  g_autoptr(GError) error = NULL;
  const NnMatrix *t;

  CU_ASSERT_PTR_NOT_NULL_FATAL (train);
  encoded = nn_dataset_encode_like (test, train, NN_TASK_MULTICLASS, -1, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (encoded);
  t = nn_dataset_get_targets (encoded);
  CU_ASSERT_EQUAL_FATAL (t->cols, 3);
  CU_ASSERT_EQUAL (NN_MATRIX_AT (t, 0, 2), 1); /* 10 is class 2 */
  CU_ASSERT_EQUAL (NN_MATRIX_AT (t, 1, 0), 1); /* 2 is class 0 */
  /* The training data as read are not changed. */
  CU_ASSERT_PTR_NULL (nn_dataset_get_class_names (train));
  g_clear_object (&encoded);

  encoded = nn_dataset_encode_like (unseen, train, NN_TASK_MULTICLASS, -1, &error);
  CU_ASSERT_PTR_NULL (encoded);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID);
  assert_message_at (error, "'4' in the test data is not a class of the training data",
                     __LINE__);
}

/* Scaler */

static void
test_scaler_fitted_on_train_only (void)
{
  /* Feature 0 spans [0, 10]; feature 1 is constant. */
  static const double train_v[] = { 0, 7, 10, 7, 5, 7 };
  static const double test_v[] = { 5, 8, 20, 7 };
  g_autoptr(NnMatrix) train = nn_test_matrix_from_doubles (3, 2, train_v);
  g_autoptr(NnMatrix) test = nn_test_matrix_from_doubles (2, 2, test_v);
  g_autoptr(NnScaler) scaler = nn_scaler_new (NN_SCALE_MINMAX);

  CU_ASSERT_FALSE (nn_scaler_is_fitted (scaler));
  nn_scaler_fit (scaler, train);
  CU_ASSERT_TRUE (nn_scaler_is_fitted (scaler));
  CU_ASSERT_EQUAL (nn_scaler_get_n_features (scaler), 2);
  CU_ASSERT_EQUAL (nn_scaler_get_shift (scaler)[0], 0);
  CU_ASSERT_EQUAL (nn_scaler_get_divisor (scaler)[0], 10);
  CU_ASSERT_EQUAL (nn_scaler_get_shift (scaler)[1], 7);
  CU_ASSERT_EQUAL (nn_scaler_get_divisor (scaler)[1], 1);

  nn_scaler_transform (scaler, test);
  NN_ASSERT_CMPFLOAT (test->data[0], 0.5, 1e-7, 0);
  NN_ASSERT_CMPFLOAT (test->data[1], 1.0, 1e-7, 0);
  NN_ASSERT_CMPFLOAT (test->data[2], 2.0, 1e-7, 0); /* past the training range */
  NN_ASSERT_CMPFLOAT (test->data[3], 0.0, 0, 0);
}

static void
test_scaler_standard (void)
{
  /* Population standard deviation of 1, 2, 3, 4 is sqrt(1.25). */
  static const double v[] = { 1, 2, 3, 4 };
  g_autoptr(NnMatrix) x = nn_test_matrix_from_doubles (4, 1, v);
  g_autoptr(NnScaler) scaler = nn_scaler_new (NN_SCALE_STANDARD);
  NnScale kind = NN_SCALE_NONE;

  g_object_get (scaler, "kind", &kind, NULL);
  CU_ASSERT_EQUAL (kind, NN_SCALE_STANDARD);
  nn_scaler_fit (scaler, x);
  NN_ASSERT_CMPFLOAT (nn_scaler_get_shift (scaler)[0], 2.5, 1e-15, 0);
  NN_ASSERT_CMPFLOAT (nn_scaler_get_divisor (scaler)[0], sqrt (1.25), 1e-15, 0);
  nn_scaler_transform (scaler, x);
  NN_ASSERT_CMPFLOAT (x->data[0], -1.5 / sqrt (1.25), 1e-6, 0);
  NN_ASSERT_CMPFLOAT (x->data[3], 1.5 / sqrt (1.25), 1e-6, 0);
}

static void
test_scaler_from_parameters (void)
{
  static const double train_v[] = { 1, -3, 2, 5, 4, 9 };
  static const double bad_div[] = { 1, 0 };
  g_autoptr(NnMatrix) a = nn_test_matrix_from_doubles (3, 2, train_v);
  g_autoptr(NnMatrix) b = nn_test_matrix_from_doubles (3, 2, train_v);
  g_autoptr(NnScaler) fitted = nn_scaler_new (NN_SCALE_STANDARD);
  g_autoptr(NnScaler) loaded = NULL;
  g_autoptr(NnScaler) bad = NULL;
  g_autoptr(GError) error = NULL;

  nn_scaler_fit (fitted, a);
  loaded = nn_scaler_new_from_parameters (NN_SCALE_STANDARD, nn_scaler_get_shift (fitted),
                                          nn_scaler_get_divisor (fitted), 2, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
  CU_ASSERT_EQUAL (nn_scaler_get_kind (loaded), NN_SCALE_STANDARD);
  nn_scaler_transform (fitted, a);
  nn_scaler_transform (loaded, b);
  CU_ASSERT_EQUAL (memcmp (a->data, b->data, 6 * sizeof (nn_real)), 0);

  bad = nn_scaler_new_from_parameters (NN_SCALE_MINMAX, bad_div, bad_div, 2, &error);
  CU_ASSERT_PTR_NULL (bad);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID);
  assert_message_at (error, "scaler parameters of feature 1 are shift 0, divisor 0: a shift "
                            "must be finite and a divisor finite and positive",
                     __LINE__);
}

static void
test_dataset_scale_matches_scaler (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) iris = nn_dataset_new_iris (&error);
  g_autoptr(NnDataset) a = NULL;
  g_autoptr(NnDataset) b = NULL;
  g_autoptr(NnScaler) scaler = nn_scaler_new (NN_SCALE_STANDARD);
  guint first[100], rest[50];

  CU_ASSERT_PTR_NOT_NULL_FATAL (iris);
  for (guint i = 0; i < 100; i++)
    first[i] = i;
  for (guint i = 0; i < 50; i++)
    rest[i] = 100 + i;
  a = nn_dataset_subset (iris, first, 100);
  b = nn_dataset_subset (iris, rest, 50);
  nn_scaler_fit (scaler, nn_dataset_get_features (a));
  nn_dataset_apply_scaler (a, scaler);
  nn_dataset_apply_scaler (b, scaler);

  {
    g_autoptr(NnDataset) a2 = nn_dataset_subset (iris, first, 100);
    g_autoptr(NnDataset) b2 = nn_dataset_subset (iris, rest, 50);
    NnDataset *others[1];

    others[0] = b2;
    CU_ASSERT_TRUE (nn_dataset_scale (a2, NN_SCALE_STANDARD, others, 1));
    CU_ASSERT_EQUAL (memcmp (nn_dataset_get_features (a)->data, nn_dataset_get_features (a2)->data,
                             400 * sizeof (nn_real)),
                     0);
    CU_ASSERT_EQUAL (memcmp (nn_dataset_get_features (b)->data, nn_dataset_get_features (b2)->data,
                             200 * sizeof (nn_real)),
                     0);
  }
  /* Fitted on the first 100 samples only: the virginica rows are past them. */
  CU_ASSERT_TRUE (NN_MATRIX_AT (nn_dataset_get_features (b), 0, 2) > 1);
}

/* Hostile input */

static void
assert_data_or_data_error (NnDataset    *data,
                           const GError *error,
                           guint         trial)
{
  NN_CHECK ((data != NULL) != (error != NULL) && (error == NULL || error->domain == NN_DATA_ERROR),
            "trial %u: %s", trial, error ? error->message : "no error");
}

/* Random bytes changed, inserted or cut in a good file: every outcome is a
 * data set or a data error, never a crash or a GLib warning. */
static void
test_mutated_files (void)
{
  const char *csv = "a,\"b\",y\r\n1,2.5e1,cat\n3,-4,\"d,og\"\n\n5,6,cat\n";
  guint32     dims[3] = { 3, 2, 2 };
  guint32     ldims[1] = { 3 };
  g_autoptr(GByteArray) images = idx_bytes (0x08, 3, dims, 12);
  g_autoptr(GByteArray) labels = idx_bytes (0x08, 1, ldims, 3);
  g_autoptr(GBytes) gz = gzip_bytes (images->data, images->len);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240611);
  static const guint8 specials[] = { ',', '"', '\n', '\r', '\0', 0xff, '0', ' ', 0x08, 0x03 };

  for (guint trial = 0; trial < 1500; trial++)
    {
      guint              kind = trial % 3;
      GByteArray        *src = kind == 0 ? NULL : kind == 1 ? images
                                                            : labels;
      gsize              len = kind == 0 ? strlen (csv) : src->len;
      g_autofree guint8 *buf = g_malloc (len + 8);
      g_autofree char   *path = NULL;
      g_autofree char   *good = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(NnDataset) data = NULL;
      guint n_edits = 1 + g_rand_int_range (rand, 0, 3);

      memcpy (buf, kind == 0 ? (const guint8 *) csv : src->data, len);
      for (guint e = 0; e < n_edits && len > 0; e++)
        {
          gsize  at = g_rand_int_range (rand, 0, (gint32) len);
          guint8 byte = g_rand_boolean (rand) ? specials[g_rand_int_range (rand, 0, 10)]
                                              : (guint8) g_rand_int_range (rand, 0, 256);
          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0:
              buf[at] = byte;
              break;
            case 1:
              memmove (buf + at + 1, buf + at, len - at);
              buf[at] = byte;
              len++;
              break;
            default:
              len = at;
            }
        }
      path = write_bytes ("mutated", buf, len);
      if (kind == 0)
        data = nn_dataset_new_from_csv_file (path, target_y, NULL, &error);
      else if (kind == 1)
        {
          good = write_bytes ("good-labels", labels->data, labels->len);
          data = nn_dataset_new_from_idx_files (path, good, &error);
        }
      else
        {
          good = write_bytes ("good-images", images->data, images->len);
          data = nn_dataset_new_from_idx_files (good, path, &error);
        }
      assert_data_or_data_error (data, error, trial);
    }

  /* A compressed file cut anywhere. */
  for (gsize cut = 0; cut < g_bytes_get_size (gz); cut++)
    {
      g_autofree char *path = write_bytes ("cut.gz", g_bytes_get_data (gz, NULL), cut);
      g_autofree char *good = write_bytes ("good-labels", labels->data, labels->len);
      g_autoptr(GError) error = NULL;
      g_autoptr(NnDataset) data = nn_dataset_new_from_idx_files (path, good, &error);

      assert_data_or_data_error (data, error, (guint) cut);
      CU_ASSERT_PTR_NULL (data);
    }
}

int
main (void)
{
  CU_pSuite suite;
  int       status;

  tmp_dir = nn_test_new_dir ();
  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("malformed CSV is an error at its line and column", NULL, NULL);
  CU_add_test (suite, "a word in a number column", test_csv_word_in_number_column);
  CU_add_test (suite, "a row with too many fields", test_csv_too_many_fields);
  CU_add_test (suite, "a row with too few fields, LF and CRLF", test_csv_too_few_fields);
  CU_add_test (suite, "a short row after a label over two lines",
               test_csv_ragged_after_multiline_field);
  CU_add_test (suite, "an empty file, a blank one, a byte order mark alone", test_csv_empty_file);
  CU_add_test (suite, "a header and no rows", test_csv_header_only);
  CU_add_test (suite, "nan, -Inf and +INFINITY in features, NaN in a target",
               test_csv_nan_and_inf);
  CU_add_test (suite, "a number beyond the range of nn_real", test_csv_out_of_range);
  CU_add_test (suite, "a missing target column with a did-you-mean",
               test_csv_missing_target_column);
  CU_add_test (suite, "a missing feature column lists the header",
               test_csv_missing_feature_column);
  CU_add_test (suite, "a long header is listed in part", test_csv_missing_column_in_wide_header);
  CU_add_test (suite, "a duplicate column name, after a byte order mark too",
               test_csv_duplicate_column);
  CU_add_test (suite, "an empty target, bare and quoted", test_csv_empty_target);
  CU_add_test (suite, "an empty feature value", test_csv_empty_feature);
  CU_add_test (suite, "a quote never closed", test_csv_unterminated_quote);
  CU_add_test (suite, "text after a closing quote", test_csv_text_after_quote);
  CU_add_test (suite, "a NUL byte", test_csv_nul_byte);
  CU_add_test (suite, "Latin-1 in a column name and in a label", test_csv_invalid_utf8);
  CU_add_test (suite, "a word in one of several regression targets",
               test_csv_word_in_regression_target);
  CU_add_test (suite, "a target also listed as a feature", test_csv_target_as_feature);
  CU_add_test (suite, "a feature listed twice", test_csv_feature_twice);
  CU_add_test (suite, "a column with no name", test_csv_unnamed_column);
  CU_add_test (suite, "no feature column at all", test_csv_no_feature_column);
  CU_add_test (suite, "a gzip-compressed CSV cut short", test_csv_truncated_gzip);
  CU_add_test (suite, "a file that does not exist", test_csv_missing_file);

  suite = CU_add_suite ("malformed IDX is an error at its byte offset", NULL, NULL);
  CU_add_test (suite, "a file that is not IDX, as images and as labels", test_idx_wrong_magic);
  CU_add_test (suite, "float and unknown data types", test_idx_other_dtype);
  CU_add_test (suite, "wrong numbers of dimensions, and swapped files",
               test_idx_wrong_dimensions);
  CU_add_test (suite, "0 images, rows, columns or labels", test_idx_zero_images);
  CU_add_test (suite, "more than 2^31 values, and sizes whose product overflows",
               test_idx_too_many_values);
  CU_add_test (suite, "fewer labels than images", test_idx_label_count_mismatch);
  CU_add_test (suite, "data shorter or longer than the header says", test_idx_truncated_data);
  CU_add_test (suite, "a header cut short, an empty file", test_idx_truncated_header);
  CU_add_test (suite, "a gzip-compressed file cut short", test_idx_truncated_gzip);
  CU_add_test (suite, "a gzip-compressed file with data past the end",
               test_idx_gzip_with_trailing_data);
  CU_add_test (suite, "a file that does not exist", test_idx_missing_file);

  suite = CU_add_suite ("CSV files are read", NULL, NULL);
  CU_add_test (suite, "quoted names and numbers, a feature subset in a chosen order",
               test_csv_quoted_fields);
  CU_add_test (suite, "quoted labels keep quotes, commas and line breaks",
               test_csv_quoted_label_with_quote_and_comma);
  CU_add_test (suite, "CRLF, a byte order mark, blank lines and spaces",
               test_csv_crlf_bom_and_blank_lines);
  CU_add_test (suite, "chosen features in their order; other columns are not parsed",
               test_csv_feature_subset_and_order);
  CU_add_test (suite, "several regression targets", test_csv_multiple_regression_targets);
  CU_add_test (suite, "numeric classes 3, 10, 2 are numbered 2 -> 0, 3 -> 1, 10 -> 2",
               test_csv_numeric_classes);
  CU_add_test (suite, "labels are numbered in byte order", test_csv_labels_in_byte_order);
  CU_add_test (suite, "lines longer than the read buffer", test_csv_long_lines);
  CU_add_test (suite, "data without a target, to predict from", test_csv_without_target);
  CU_add_test (suite, "a gzip-compressed CSV", test_csv_gzip);
  CU_add_test (suite, "CSV text in memory, and iris", test_csv_data_and_iris);

  suite = CU_add_suite ("IDX files are read", NULL, NULL);
  CU_add_test (suite, "plain images and labels", test_idx_plain);
  CU_add_test (suite, "gzip-compressed images and labels", test_idx_gzip);
  if (g_file_test (FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz", G_FILE_TEST_EXISTS) &&
      g_file_test (FASHION_MNIST_DIR "/train-labels-idx1-ubyte.gz", G_FILE_TEST_EXISTS))
    CU_add_test (suite, "Fashion-MNIST training set: 60000 x 784, labels 0..9, values 0..255",
                 test_fashion_mnist);
  else
    g_print ("note: %s is absent (package dataset-fashion-mnist): "
             "the Fashion-MNIST test is not run\n",
             FASHION_MNIST_DIR);

  suite = CU_add_suite ("a test set takes the training classes", NULL, NULL);
  CU_add_test (suite, "classes are remapped by name", test_test_set_remapped_by_name);
  CU_add_test (suite, "a label unseen in training is an error naming it",
               test_test_set_unseen_label);
  CU_add_test (suite, "numeric classes match by value", test_test_set_numeric_classes);

  suite = CU_add_suite ("scaler", NULL, NULL);
  CU_add_test (suite, "minmax fitted on the training data is applied to the test data",
               test_scaler_fitted_on_train_only);
  CU_add_test (suite, "standard uses the population deviation", test_scaler_standard);
  CU_add_test (suite, "a scaler from saved parameters scales the same",
               test_scaler_from_parameters);
  CU_add_test (suite, "nn_dataset_scale() is a scaler fitted on the training data",
               test_dataset_scale_matches_scaler);

  suite = CU_add_suite ("hostile input", NULL, NULL);
  CU_add_test (suite, "mutated CSV and IDX files give a data set or a data error",
               test_mutated_files);

  status = nn_test_run ();
  nn_test_remove_scratch ();
  g_free (tmp_dir);
  return status;
}
