/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Data sets: test sets encoded with the training classes, the scaler, and
 * mutated CSV and IDX files that give a data set or a data error. */
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

/* Helpers */

static const char * const target_y[] = { "y", NULL };

/* Test sets */

static NnDataset *
read_csv (const char *name,
          const char *text)
{
  g_autofree char *path = nn_test_write_file (nn_test_scratch_dir (), name, text);
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
  NN_ASSERT_STRV (nn_dataset_get_class_names (encoded), want);
  CU_ASSERT_EQUAL_FATAL (nn_dataset_get_targets (encoded)->cols, 3);
  NN_ASSERT_ROW (nn_dataset_get_targets (encoded), 0, emu);
  NN_ASSERT_ROW (nn_dataset_get_targets (encoded), 1, cat);

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
  NN_ASSERT_MESSAGE (error, "'fox' in the test data is not a class of the training data");
  g_clear_error (&error);

  encoded = nn_dataset_encode_like (renamed, train, NN_TASK_MULTICLASS, -1, &error);
  CU_ASSERT_PTR_NULL (encoded);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID);
  NN_ASSERT_MESSAGE (error, "feature 1 is 'z' in the test data but 'x' in the training data");
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
  NN_ASSERT_MESSAGE (error, "'4' in the test data is not a class of the training data");
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
  NN_ASSERT_MESSAGE (error, "scaler parameters of feature 1 are shift 0, divisor 0: a shift "
                            "must be finite and a divisor finite and positive");
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
  g_autoptr(GByteArray) images = nn_test_idx_bytes (0x08, 3, dims, 12);
  g_autoptr(GByteArray) labels = nn_test_idx_bytes (0x08, 1, ldims, 3);
  g_autoptr(GBytes) gz = nn_test_gzip_bytes (images->data, images->len);
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
      path = nn_test_write_bytes (nn_test_scratch_dir (), "mutated", buf, len);
      if (kind == 0)
        data = nn_dataset_new_from_csv_file (path, target_y, NULL, &error);
      else if (kind == 1)
        {
          good = nn_test_write_bytes (nn_test_scratch_dir (), "good-labels", labels->data,
                                      labels->len);
          data = nn_dataset_new_from_idx_files (path, good, &error);
        }
      else
        {
          good = nn_test_write_bytes (nn_test_scratch_dir (), "good-images", images->data,
                                      images->len);
          data = nn_dataset_new_from_idx_files (good, path, &error);
        }
      assert_data_or_data_error (data, error, trial);
    }

  /* A compressed file cut anywhere. */
  for (gsize cut = 0; cut < g_bytes_get_size (gz); cut++)
    {
      g_autofree char *path = nn_test_write_bytes (nn_test_scratch_dir (), "cut.gz",
                                                   g_bytes_get_data (gz, NULL), cut);
      g_autofree char *good = nn_test_write_bytes (nn_test_scratch_dir (), "good-labels",
                                                   labels->data, labels->len);
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

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("a test set takes the training classes", NULL, nn_test_remove_scratch);
  CU_add_test (suite, "classes are remapped by name", test_test_set_remapped_by_name);
  CU_add_test (suite, "a label unseen in training is an error naming it",
               test_test_set_unseen_label);
  CU_add_test (suite, "numeric classes match by value", test_test_set_numeric_classes);

  suite = CU_add_suite ("scaler", NULL, nn_test_remove_scratch);
  CU_add_test (suite, "minmax fitted on the training data is applied to the test data",
               test_scaler_fitted_on_train_only);
  CU_add_test (suite, "standard uses the population deviation", test_scaler_standard);
  CU_add_test (suite, "a scaler from saved parameters scales the same",
               test_scaler_from_parameters);
  CU_add_test (suite, "nn_dataset_scale() is a scaler fitted on the training data",
               test_dataset_scale_matches_scaler);

  suite = CU_add_suite ("hostile input", NULL, nn_test_remove_scratch);
  CU_add_test (suite, "mutated CSV and IDX files give a data set or a data error",
               test_mutated_files);

  return nn_test_run ();
}
