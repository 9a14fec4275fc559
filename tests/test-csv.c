/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CSV reader: good files read, malformed ones an error at their exact
 * line and column. */
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

/* Helpers */

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
  g_autofree char *path = nn_test_write_bytes (nn_test_scratch_dir (), name, text, length);
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, targets, features, &error);
  g_autofree char *want = g_strdup_printf ("%s:%s", path, where);

  nn_test_assert_data_refused_at (data, error, code, want, __FILE__, line);
}

#define CHECK_CSV_ERROR(name, text, targets, features, code, where) \
  check_csv_error_at (name, text, sizeof (text) - 1, targets, features, code, where, __LINE__)

static const char * const target_y[] = { "y", NULL };

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
  g_autoptr(GBytes) gz = nn_test_gzip_bytes (text, strlen (text));
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
  g_autofree char *path = g_build_filename (nn_test_scratch_dir (), "absent.csv", NULL);
  g_autofree char *want = g_strdup_printf ("%s: error: no such file", path);
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, target_y, NULL, &error);

  CU_ASSERT_PTR_NULL (data);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED);
  NN_ASSERT_MESSAGE (error, want);
}

/* Good CSV */

static void
test_csv_quoted_fields (void)
{
  static const char * const features[] = { "sepal_width", "petal, length", NULL };
  static const char * const targets[] = { "species", NULL };
  static const char * const want_features[] = { "sepal_width", "petal, length", NULL };
  static const char * const want_classes[] = { "setosa", "versicolor", "virginica", NULL };
  static const double       row0[] = { 3.0, 1.5 }, row1[] = { 2.5, 4.5 }, row2[] = { 3.1, 5.9 };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = nn_test_data_path ("data-quoted.csv");
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, targets, features, &error);
  g_autofree char *want = g_strdup_printf ("%s:2:13: error: 'said \"hi\"' in column 'note' "
                                           "is not a number",
                                           path);
  const NnMatrix  *x, *y;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (data), 3);
  NN_ASSERT_STRV (nn_dataset_get_feature_names (data), want_features);
  NN_ASSERT_STRV (nn_dataset_get_class_names (data), want_classes);
  x = nn_dataset_get_features (data);
  y = nn_dataset_get_targets (data);
  NN_ASSERT_ROW (x, 0, row0);
  NN_ASSERT_ROW (x, 1, row1);
  NN_ASSERT_ROW (x, 2, row2);
  CU_ASSERT_EQUAL (y->data[0], 0);
  CU_ASSERT_EQUAL (y->data[1], 1);
  CU_ASSERT_EQUAL (y->data[2], 2);

  /* Every other column as a feature takes in the text column 'note'. */
  g_clear_object (&data);
  data = nn_dataset_new_from_csv_file (path, targets, NULL, &error);
  CU_ASSERT_PTR_NULL (data);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE);
  NN_ASSERT_MESSAGE (error, want);
}

static void
test_csv_quoted_label_with_quote_and_comma (void)
{
  static const char * const targets[] = { "label", NULL };
  static const char * const want_classes[] = { "a \"b\", c", "two\r\nlines", NULL };
  const char               *text = "x,label\n1,\"a \"\"b\"\", c\"\n2, \"two\r\nlines\" \n";
  g_autofree char          *path = nn_test_write_file (nn_test_scratch_dir (), "quoted-label.csv",
                                                       text);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, targets, NULL, &error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (data), 2);
  NN_ASSERT_STRV (nn_dataset_get_class_names (data), want_classes);
}

static void
test_csv_crlf_bom_and_blank_lines (void)
{
  static const char * const want_features[] = { "a", "b", NULL };
  static const char * const want_classes[] = { "no", "yes", NULL };
  static const double       row0[] = { 1, 2 }, row1[] = { 3.5, -4e-1 };
  const char               *text = "\xef\xbb\xbf"
                                   "a, b ,y\r\n1,2,yes\r\n\r\n3.5 ,\t-4e-1,no\r\n\r\n\r\n";
  g_autofree char          *path = nn_test_write_file (nn_test_scratch_dir (), "crlf.csv", text);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, target_y, NULL, &error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (data), 2);
  NN_ASSERT_STRV (nn_dataset_get_feature_names (data), want_features);
  NN_ASSERT_STRV (nn_dataset_get_class_names (data), want_classes);
  NN_ASSERT_ROW (nn_dataset_get_features (data), 0, row0);
  NN_ASSERT_ROW (nn_dataset_get_features (data), 1, row1);
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
  g_autofree char *path = nn_test_write_file (nn_test_scratch_dir (), "subset.csv",
                                              "a,b,c,y\n1,n/a,3,0.5\n4,x,6,1.5\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, target_y, features, &error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  NN_ASSERT_STRV (nn_dataset_get_feature_names (data), want);
  NN_ASSERT_ROW (nn_dataset_get_features (data), 0, row0);
  NN_ASSERT_ROW (nn_dataset_get_features (data), 1, row1);
  CU_ASSERT_PTR_NULL (nn_dataset_get_class_names (data));
  CU_ASSERT_EQUAL (nn_dataset_get_targets (data)->data[1], (nn_real) 1.5);
}

static void
test_csv_multiple_regression_targets (void)
{
  static const char * const targets[] = { "y2", "y1", NULL };
  static const char * const want[] = { "a", "b", NULL };
  static const double       t0[] = { 20, 10 }, t1[] = { -2, 1e-3 };
  g_autofree char          *path = nn_test_write_file (nn_test_scratch_dir (), "targets.csv",
                                                       "y1,a,y2,b\n10,1,20,2\n1e-3,3,-2,4\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, targets, NULL, &error);
  g_autoptr(NnDataset) encoded = NULL;
  const NnMatrix *y;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  NN_ASSERT_STRV (nn_dataset_get_feature_names (data), want);
  y = nn_dataset_get_targets (data);
  CU_ASSERT_EQUAL_FATAL (y->cols, 2);
  NN_ASSERT_ROW (y, 0, t0);
  NN_ASSERT_ROW (y, 1, t1);
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
  g_autofree char          *path = nn_test_write_file (nn_test_scratch_dir (), "numeric-classes.csv",
                                                       "x,y\n1,3\n2,10\n3,2\n4,3.0\n");
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
  NN_ASSERT_STRV (nn_dataset_get_class_names (encoded), want);
  t = nn_dataset_get_targets (encoded);
  CU_ASSERT_EQUAL_FATAL (t->cols, 3);
  NN_ASSERT_ROW (t, 0, r0); /* 3 -> 1 */
  NN_ASSERT_ROW (t, 1, r1); /* 10 -> 2 */
  NN_ASSERT_ROW (t, 2, r2); /* 2 -> 0 */
  NN_ASSERT_ROW (t, 3, r0); /* 3.0 is 3 */
}

static void
test_csv_labels_in_byte_order (void)
{
  g_autofree char          *path = nn_test_write_file (nn_test_scratch_dir (), "byte-order.csv",
                                                       "x,y\n1,b\n2,\xc3\xa9t\xc3\xa9\n3,B\n4,a\n5,1\n");
  static const char * const with_number[] = { "1", "B", "a", "b", "\xc3\xa9t\xc3\xa9", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, target_y, NULL, &error);
  const NnMatrix *t;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  /* One label that is not a number makes them all labels, "1" too. */
  NN_ASSERT_STRV (nn_dataset_get_class_names (data), with_number);
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
  path = nn_test_write_file (nn_test_scratch_dir (), "long.csv", text);

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
  g_autofree char          *path = nn_test_write_file (nn_test_scratch_dir (), "predict.csv",
                                                       "a,b,label\n1,2,whatever\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_csv_file (path, NULL, features, &error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (data), 1);
  CU_ASSERT_EQUAL (nn_dataset_get_targets (data)->cols, 0);
  NN_ASSERT_ROW (nn_dataset_get_features (data), 0, row0);
}

static void
test_csv_gzip (void)
{
  const char *text = "a,y\n1,cat\n2,dog\n";
  g_autoptr(GBytes) gz = nn_test_gzip_bytes (text, strlen (text));
  g_autofree char *path = nn_test_write_bytes (nn_test_scratch_dir (), "animals.csv.gz",
                                               g_bytes_get_data (gz, NULL),
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
  NN_ASSERT_MESSAGE (error, "inline:3:1: error: 'b' in column 'a' is not a number");
  g_clear_error (&error);

  iris = nn_dataset_new_iris (&error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (iris);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (iris), 150);
  CU_ASSERT_EQUAL (nn_dataset_get_n_features (iris), 4);
  CU_ASSERT_EQUAL (nn_dataset_get_n_classes (iris), 3);
  CU_ASSERT_STRING_EQUAL (nn_dataset_get_class_names (iris)[2], "virginica");
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("malformed CSV is an error at its line and column", NULL,
                        nn_test_remove_scratch);
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

  suite = CU_add_suite ("CSV files are read", NULL, nn_test_remove_scratch);
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

  return nn_test_run ();
}
