/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The IDX reader: good files, plain and gzipped, read; malformed ones an
 * error at their exact byte offset. */
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* Helpers */

static char *
write_images (const char *name,
              guint32     n,
              guint32     rows,
              guint32     cols)
{
  guint32 dims[3] = { n, rows, cols };
  g_autoptr(GByteArray) b = nn_test_idx_bytes (0x08, 3, dims, (gsize) n * rows * cols);

  return nn_test_write_bytes (nn_test_scratch_dir (), name, b->data, b->len);
}

static char *
write_labels (const char   *name,
              guint32       n,
              const guint8 *values)
{
  guint32 dims[1] = { n };
  g_autoptr(GByteArray) b = nn_test_idx_bytes (0x08, 1, dims, 0);

  g_byte_array_append (b, values, n);
  return nn_test_write_bytes (nn_test_scratch_dir (), name, b->data, b->len);
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

  nn_test_assert_data_refused_at (data, error, code, want, __FILE__, line);
}

#define CHECK_IDX_ERROR(images, labels, file, code, where) \
  check_idx_error_at (images, labels, file, code, where, __LINE__)

static const guint8 four_labels[4] = { 7, 2, 7, 0 };

/* Malformed IDX */

static void
test_idx_wrong_magic (void)
{
  g_autofree char *labels = write_labels ("magic-labels", 4, four_labels);
  g_autofree char *pgm = nn_test_write_file (nn_test_scratch_dir (), "image.pgm",
                                             "P5\n5 5\n255\n0123456789");
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
  g_autoptr(GByteArray) floats = nn_test_idx_bytes (0x0d, 3, dims, 400);
  g_autoptr(GByteArray) odd = nn_test_idx_bytes (0x42, 3, dims, 100);
  g_autofree char *labels = write_labels ("dtype-labels", 4, four_labels);
  g_autofree char *f = nn_test_write_bytes (nn_test_scratch_dir (), "float-images", floats->data,
                                            floats->len);
  g_autofree char *o = nn_test_write_bytes (nn_test_scratch_dir (), "odd-images", odd->data,
                                            odd->len);

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
  g_autoptr(GByteArray) four = nn_test_idx_bytes (0x08, 4, dims, 100);
  g_autofree char *labels = write_labels ("dims-labels", 4, four_labels);
  g_autofree char *images = write_images ("dims-images", 4, 5, 5);
  g_autofree char *f = nn_test_write_bytes (nn_test_scratch_dir (), "four-dims", four->data,
                                            four->len);

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
  g_autoptr(GByteArray) a = nn_test_idx_bytes (0x08, 3, huge, 100);
  g_autoptr(GByteArray) b = nn_test_idx_bytes (0x08, 3, just_over, 100);
  g_autoptr(GByteArray) c = nn_test_idx_bytes (0x08, 3, max32, 100);
  g_autofree char *labels = write_labels ("huge-labels", 4, four_labels);
  g_autofree char *pa = nn_test_write_bytes (nn_test_scratch_dir (), "huge-images", a->data,
                                             a->len);
  g_autofree char *pb = nn_test_write_bytes (nn_test_scratch_dir (), "over-images", b->data,
                                             b->len);
  g_autofree char *pc = nn_test_write_bytes (nn_test_scratch_dir (), "max-images", c->data, c->len);

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
  g_autoptr(GByteArray) short_images = nn_test_idx_bytes (0x08, 3, dims, 99);
  g_autoptr(GByteArray) long_images = nn_test_idx_bytes (0x08, 3, dims, 103);
  g_autoptr(GByteArray) short_labels = nn_test_idx_bytes (0x08, 1, ldims, 2);
  g_autofree char *labels = write_labels ("trunc-labels", 4, four_labels);
  g_autofree char *images = write_images ("trunc-good-images", 4, 5, 5);
  g_autofree char *si = nn_test_write_bytes (nn_test_scratch_dir (), "short-images",
                                             short_images->data, short_images->len);
  g_autofree char *li = nn_test_write_bytes (nn_test_scratch_dir (), "long-images",
                                             long_images->data, long_images->len);
  g_autofree char *sl = nn_test_write_bytes (nn_test_scratch_dir (), "short-labels",
                                             short_labels->data, short_labels->len);

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
  g_autofree char *empty = nn_test_write_bytes (nn_test_scratch_dir (), "empty-images", "", 0);
  g_autofree char *tiny = nn_test_write_bytes (nn_test_scratch_dir (), "tiny-labels", "\0\0\x08",
                                               3);
  g_autofree char *contents = NULL;
  gsize            length;

  g_file_get_contents (images, &contents, &length, NULL);
  cut = nn_test_write_bytes (nn_test_scratch_dir (), "cut-header-images", contents, 10);
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
  g_autofree char *images = nn_test_data_path ("data-truncated-images-idx3-ubyte.gz");
  g_autofree char *labels = write_labels ("gz-labels", 4, four_labels);

  CHECK_IDX_ERROR (images, labels, images, NN_DATA_ERROR_PARSE,
                   "60: the compressed data end early: the file is truncated");
}

static void
test_idx_gzip_with_trailing_data (void)
{
  /* A compressed file's length is only known at its end. */
  guint32 dims[3] = { 4, 5, 5 };
  g_autoptr(GByteArray) long_images = nn_test_idx_bytes (0x08, 3, dims, 101);
  g_autoptr(GBytes) gz = nn_test_gzip_bytes (long_images->data, long_images->len);
  g_autofree char *images = nn_test_write_bytes (nn_test_scratch_dir (), "long-images.gz",
                                                 g_bytes_get_data (gz, NULL),
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
  g_autofree char *path = g_build_filename (nn_test_scratch_dir (), "absent-images", NULL);
  g_autofree char *want = g_strdup_printf ("%s: error: no such file", path);
  g_autoptr(NnDataset) data = nn_dataset_new_from_idx_files (path, labels, &error);

  CU_ASSERT_PTR_NULL (data);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED);
  NN_ASSERT_MESSAGE (error, want);
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

  images = nn_test_idx_bytes (0x08, 3, dims, 24);
  labels = nn_test_idx_bytes (0x08, 1, ldims, 0);
  g_byte_array_append (labels, four_labels, 4);
  if (compressed)
    {
      g_autoptr(GBytes) gi = nn_test_gzip_bytes (images->data, images->len);
      g_autoptr(GBytes) gl = nn_test_gzip_bytes (labels->data, labels->len);
      ip = nn_test_write_bytes (nn_test_scratch_dir (), "small-images.gz",
                                g_bytes_get_data (gi, NULL), g_bytes_get_size (gi));
      lp = nn_test_write_bytes (nn_test_scratch_dir (), "small-labels.gz",
                                g_bytes_get_data (gl, NULL), g_bytes_get_size (gl));
    }
  else
    {
      ip = nn_test_write_bytes (nn_test_scratch_dir (), "small-images", images->data, images->len);
      lp = nn_test_write_bytes (nn_test_scratch_dir (), "small-labels", labels->data, labels->len);
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
  NN_ASSERT_STRV (nn_dataset_get_class_names (data), want_classes);
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

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("malformed IDX is an error at its byte offset", NULL,
                        nn_test_remove_scratch);
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

  suite = CU_add_suite ("IDX files are read", NULL, nn_test_remove_scratch);
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

  return nn_test_run ();
}
