/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tabular data as it comes: missing values imputed with scikit-learn's
 * SimpleImputer rules, text columns one-hot encoded as its OneHotEncoder
 * (handle_unknown='ignore') does, and the whole saved with the model. */
#include <math.h>
#include <string.h>

#include "nn-test.h"

static int
init_suite (void)
{
  return nn_test_init_plugins ();
}

/* An experiment on @csv (as data.csv, target y) with @keys in its data
 * section, and every row in the training part, in order. */
static NnExperiment *
load (const char *dir,
      const char *csv,
      const char *keys)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *yaml = g_strdup_printf (
    "data:\n"
    "  source: {csv: data.csv, target: y}\n"
    "  split: {validation: 0, shuffle: false}\n"
    "%s"
    "model: {layers: [{units: 1, activation: linear}]}\n"
    "train: {epochs: 1}\n",
    keys);
  g_autofree char *data = nn_test_write_file (dir, "data.csv", csv);
  g_autofree char *path = nn_test_write_file (dir, "e.yaml", yaml);
  NnExperiment    *e = nn_experiment_new_from_file (path, &error);

  (void) data; /* written for the experiment to read */
  NN_ASSERT_NO_ERROR (error);
  return e;
}

/* Feature @col of the training data, row by row. */
static void
assert_column (NnExperiment *e,
               guint         col,
               const double *want,
               guint         n)
{
  const NnMatrix *x = nn_dataset_get_features (nn_experiment_get_train_data (e));

  CU_ASSERT_EQUAL_FATAL (x->rows, n);
  for (guint r = 0; r < n; r++)
    NN_CHECK (NN_MATRIX_AT (x, r, col) == (nn_real) want[r], "row %u of input %u: %g, want %g",
              r, col, (double) NN_MATRIX_AT (x, r, col), want[r]);
}

/* The median of an even count is the mean of the middle two; the mean is
 * the mean of the values present. */
static void
test_median_and_mean (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autoptr(NnExperiment) e = load (dir, "a,b,y\n1,1,0\n4,NA,1\nNA,2,0\n2,,1\n3,6,0\n",
                                     "  columns: {a: {impute: median}, b: {impute: mean}}\n");
  const double a[] = { 1, 4, 2.5, 2, 3 };
  const double b[] = { 1, 3, 2, 3, 6 };

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  assert_column (e, 0, a, 5);
  assert_column (e, 1, b, 5);
}

/* most_frequent: of values tied, the smallest; numbers by value, text in
 * byte order. */
static void
test_most_frequent_ties (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autoptr(NnExperiment) e = load (dir,
                                     "n,t,y\n10,b,0\n9,a,1\n10,b,0\n9,a,1\nNA,NA,0\n100,B,1\n",
                                     "  categorical: auto\n"
                                     "  columns: {n: {impute: most_frequent}}\n");
  const double n[] = { 10, 9, 10, 9, 9, 100 };
  /* t: categories B, a, b; the missing one is 'a'. */
  const double t_a[] = { 0, 1, 0, 1, 1, 0 };
  const double t_upper[] = { 0, 0, 0, 0, 0, 1 };

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  CU_ASSERT_EQUAL (nn_dataset_get_n_features (nn_experiment_get_train_data (e)), 4);
  assert_column (e, 0, n, 6);
  assert_column (e, 1, t_upper, 6);
  assert_column (e, 2, t_a, 6);
}

/* A numeric column made categorical has its categories in numeric order,
 * and a constant fills missing values as a category of its own. */
static void
test_numeric_categories (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autoptr(NnExperiment) e = load (dir, "c,y\n10,0\n9,1\nNA,0\n9.0,1\n",
                                     "  columns: {c: {categorical: true, impute: {constant: -1}}}\n");
  const char * const *names;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  names = nn_dataset_get_feature_names (nn_experiment_get_train_data (e));
  CU_ASSERT_EQUAL_FATAL (g_strv_length ((GStrv) names), 3);
  CU_ASSERT_STRING_EQUAL (names[0], "c=-1");
  CU_ASSERT_STRING_EQUAL (names[1], "c=9");
  CU_ASSERT_STRING_EQUAL (names[2], "c=10");
  {
    const double nine[] = { 0, 1, 0, 1 };
    const double missing[] = { 0, 0, 1, 0 };
    assert_column (e, 1, nine, 4);
    assert_column (e, 0, missing, 4);
  }
}

/* Numbers before the first text of a column are text too: categories in
 * byte order. */
static void
test_numbers_before_text (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autoptr(NnExperiment) e = load (dir, "m,y\n10,0\n9,1\nx,0\n10,1\n", "  categorical: auto\n");
  const char * const *names;
  const double        ten[] = { 1, 0, 0, 1 };

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  names = nn_dataset_get_feature_names (nn_experiment_get_train_data (e));
  CU_ASSERT_EQUAL_FATAL (g_strv_length ((GStrv) names), 3);
  CU_ASSERT_STRING_EQUAL (names[0], "m=10");
  CU_ASSERT_STRING_EQUAL (names[1], "m=9");
  CU_ASSERT_STRING_EQUAL (names[2], "m=x");
  assert_column (e, 0, ten, 4);
}

/* A category the training part did not have is all zeros; scaling leaves
 * one-hot inputs alone. */
static void
test_unseen_category (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *test = nn_test_write_file (dir, "test.csv", "c,x,y\nred,1,0\npurple,2,1\n");
  g_autoptr(NnExperiment) e = load (dir, "c,x,y\nred,1,0\nblue,3,1\nred,5,0\nblue,7,1\n",
                                     "  test: {csv: test.csv, target: y}\n"
                                     "  categorical: auto\n"
                                     "  scale: standard\n");
  const NnMatrix *x;

  (void) test; /* written for the experiment to read */
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  x = nn_dataset_get_features (nn_experiment_get_test_data (e));
  CU_ASSERT_EQUAL_FATAL (x->cols, 3);
  CU_ASSERT (NN_MATRIX_AT (x, 0, 0) == 0 && NN_MATRIX_AT (x, 0, 1) == 1);
  CU_ASSERT (NN_MATRIX_AT (x, 1, 0) == 0 && NN_MATRIX_AT (x, 1, 1) == 0);
  /* x: mean 4, population standard deviation sqrt(5). */
  NN_ASSERT_CMPFLOAT (NN_MATRIX_AT (x, 1, 2), (2 - 4) / sqrt (5), 1e-6, 1e-6);
}

/* The experiment as resolved reads back as itself, its rules included. */
static void
test_rules_read_back (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autoptr(NnExperiment) e = load (dir, "c,a,b,y\nr,1,2,0\ng,NA,3,1\nr,3,,0\n",
                                     "  missing: [NA, '?', '']\n"
                                     "  categorical: auto\n"
                                     "  columns: {c: {}, a: {categorical: false, impute: median},\n"
                                     "            b: {impute: {constant: 0}}}\n");
  g_autofree char *text = NULL;
  g_autofree char *again = NULL;
  g_autofree char *path = NULL;
  g_autoptr(NnExperiment) reread = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  text = nn_experiment_to_yaml (e);
  NN_ASSERT_CONTAINS (text, "  missing: [NA, '?', '']\n  categorical: auto\n  columns:\n");
  NN_ASSERT_CONTAINS (text, "    c: {}\n    a: {categorical: false, impute: median}\n"
                            "    b: {impute: {constant: '0'}}\n");
  path = nn_test_write_file (dir, "again.yaml", text);
  reread = nn_experiment_new_from_file (path, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (reread);
  again = nn_experiment_to_yaml (reread);
  CU_ASSERT_STRING_EQUAL (again, text);
}

/* The saved model, loaded, gives on raw rows (text, missing values, unseen
 * categories) the outputs the model gave at the end of training, and nnrun
 * predict prints them. */
static void
test_saved_model_on_raw_rows (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *config = nn_test_source_file ("tests/data/transform/experiment.yaml");
  g_autofree char *raw_test = nn_test_source_file ("tests/data/transform/test.csv");
  g_autofree char *run = nn_test_new_dir ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file (config, &error);
  g_autoptr(NnPipeline) loaded = NULL;
  g_autoptr(NnDataset) raw = NULL;
  g_autoptr(NnMatrix) want = NULL;
  g_autoptr(NnMatrix) got = NULL;
  g_auto(GStrv) lines = NULL;
  int status;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  nn_experiment_set_output_dir (e, run);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (e, NULL, &error));
  want = nn_model_predict (nn_experiment_get_model (e),
                           nn_dataset_get_features (nn_experiment_get_test_data (e)));

  loaded = nn_pipeline_load (run, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
  raw = nn_pipeline_read_csv (loaded, raw_test, FALSE, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (raw);
  got = nn_pipeline_predict_dataset (loaded, raw);
  CU_ASSERT_TRUE_FATAL (nn_matrix_same_shape (got, want));
  CU_ASSERT (memcmp (got->data, want->data, nn_matrix_size (want) * sizeof (nn_real)) == 0);

  status = nn_test_nnrun (&out, &err, "predict", run, raw_test, NULL);
  NN_ASSERT_STATUS (status, 0, err);
  /* nnrun eval reads the same rows with their targets: the test loss. */
  {
    g_autofree char *eval_out = NULL;
    g_autofree char *eval_err = NULL;
    const char      *loss;

    status = nn_test_nnrun (&eval_out, &eval_err, "eval", run, raw_test, NULL);
    NN_ASSERT_STATUS (status, 0, eval_err);
    loss = eval_out ? strstr (eval_out, "\nloss ") : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL (loss);
    NN_ASSERT_CMPFLOAT (g_ascii_strtod (loss + 6, NULL),
                        nn_experiment_get_final_metric (e, "test", "loss"), 1e-5, 0);
  }
  lines = g_strsplit (out, "\n", -1);
  CU_ASSERT_EQUAL_FATAL (g_strv_length (lines), want->rows + 2);
  for (guint r = 0; r < want->rows; r++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[r + 1], ",", -1);
      NN_ASSERT_CMPFLOAT (g_ascii_strtod (fields[2], NULL), NN_MATRIX_AT (want, r, 0), 1e-6, 0);
    }
}

/* The id column passes through imputation and one-hot encoding to
 * predictions.csv. */
static void
test_ids_pass_through (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *data = nn_test_write_file (dir, "data.csv",
                                              "id,c,y\na1,red,0\na2,blue,1\na3,,0\na4,blue,1\n");
  g_autofree char *test = nn_test_write_file (dir, "test.csv", "id,c,y\nt1,NA,0\nt2,green,1\n");
  g_autofree char *yaml = nn_test_write_file (
    dir, "e.yaml",
    "data:\n  source: {csv: data.csv, target: y, id: id}\n  test: {csv: test.csv, target: y, id: id}\n"
    "  categorical: auto\n"
    "model: {layers: [{units: 1, activation: sigmoid}]}\ntrain: {epochs: 1}\n");
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *predictions = g_build_filename (run, "predictions.csv", NULL);
  g_autofree char *text = NULL;
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file (yaml, &error);

  (void) data; /* written for the experiment to read */
  (void) test; /* written for the experiment to read */
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  nn_experiment_set_output_dir (e, run);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (e, NULL, &error));
  CU_ASSERT_TRUE_FATAL (g_file_get_contents (predictions, &text, NULL, NULL));
  NN_ASSERT_CONTAINS (text, "\nt1,0,");
  NN_ASSERT_CONTAINS (text, "\nt2,1,");
}

/* A model of numbers without missing values saves no transform: its
 * model.yaml is as before, and missing values stay an error. */
static void
test_plain_model_has_no_transform (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *yaml = NULL;
  g_autofree char *input = NULL;
  g_autoptr(NnExperiment) e = load (dir, "a,y\n1,0\n2,1\n3,0\n4,1\n", "");
  g_autoptr(NnPipeline) pipeline = NULL;
  g_autoptr(NnPipeline) loaded = NULL;
  g_autoptr(NnDataset) raw = NULL;
  g_autofree char *model_yaml = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  pipeline = nn_experiment_get_pipeline (e);
  CU_ASSERT_TRUE_FATAL (nn_pipeline_save (pipeline, dir, &error));
  yaml = g_build_filename (dir, "model.yaml", NULL);
  CU_ASSERT_TRUE (g_file_get_contents (yaml, &model_yaml, NULL, NULL));
  CU_ASSERT_PTR_NULL (strstr (model_yaml, "\ncolumns:"));
  CU_ASSERT_PTR_NULL (strstr (model_yaml, "\nmissing:"));
  loaded = nn_pipeline_load (dir, &error);
  NN_ASSERT_NO_ERROR (error);
  input = nn_test_write_file (dir, "in.csv", "a\n1\nNA\n");
  raw = nn_pipeline_read_csv (loaded, input, FALSE, &error);
  CU_ASSERT_PTR_NULL (raw);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE);
}

/* At prediction, a missing value in a column the model has no imputation
 * for is an error naming it. */
static void
test_missing_without_imputation_at_prediction (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *input = NULL;
  g_autoptr(NnExperiment) e = load (dir, "c,a,y\nr,1,0\ng,2,1\nr,3,0\ng,4,1\n",
                                     "  categorical: auto\n");
  g_autoptr(NnPipeline) pipeline = NULL;
  g_autoptr(NnPipeline) loaded = NULL;
  g_autoptr(NnDataset) raw = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  pipeline = nn_experiment_get_pipeline (e);
  CU_ASSERT_TRUE_FATAL (nn_pipeline_save (pipeline, dir, &error));
  loaded = nn_pipeline_load (dir, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
  input = nn_test_write_file (dir, "in.csv", "c,a\nNA,1\nb,\n");
  raw = nn_pipeline_read_csv (loaded, input, FALSE, &error);
  CU_ASSERT_PTR_NULL (raw);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  NN_ASSERT_CONTAINS (error->message, "in.csv:3:3: error: missing value in column 'a', which "
                                      "has no imputation; the model was trained with no "
                                      "imputation for it");
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("columns", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "median of an even count and mean", test_median_and_mean);
  CU_add_test (s, "most_frequent takes the smallest of values tied", test_most_frequent_ties);
  CU_add_test (s, "categories of numbers in numeric order, a constant one of them",
               test_numeric_categories);
  CU_add_test (s, "numbers before the first text of a column are text", test_numbers_before_text);
  CU_add_test (s, "an unseen category is all zeros, and one-hot inputs are not scaled",
               test_unseen_category);
  CU_add_test (s, "the rules read back as written", test_rules_read_back);
  CU_add_test (s, "a saved model gives on raw rows the outputs of training",
               test_saved_model_on_raw_rows);
  CU_add_test (s, "the id column passes through to predictions.csv", test_ids_pass_through);
  CU_add_test (s, "a model of plain numbers saves no transform", test_plain_model_has_no_transform);
  CU_add_test (s, "a missing value the model cannot impute is an error at prediction",
               test_missing_without_imputation_at_prediction);

  return nn_test_run ();
}
