/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Predictions in the data's own terms: a run's predictions.csv, the id
 * column passed through, targets scaled for the loss alone, and nnrun
 * predict's columns. */
#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "nn-test.h"

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", NULL) || nn_test_init_plugins ();
}

/* A regression far from unit scale: y = 1000 + 300 a - 200 b², each row
 * named r<i>. */
static char *
write_regression (const char *dir)
{
  g_autoptr(GString) s = g_string_new ("row_id,a,b,y\n");
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (guint i = 0; i < 150; i++)
    {
      double a = g_rand_double_range (rand, -1, 1);
      double b = g_rand_double_range (rand, -1, 1);

      g_string_append_printf (s, "r%u,%.4f,%.4f,%.3f\n", i, a, b,
                              1000 + 300 * a - 200 * b * b + g_rand_double_range (rand, -5, 5));
    }
  return nn_test_write_file (dir, "reg.csv", s->str);
}

static char *
write_experiment (const char *dir,
                  const char *target_scale)
{
  g_autofree char *yaml = g_strdup_printf (
    "seed: 3\n"
    "data:\n"
    "  source: {csv: reg.csv, target: y, id: row_id}\n"
    "  scale: standard\n"
    "  target_scale: %s\n"
    "  split: {validation: 0.2, test: 0.2}\n"
    "model:\n"
    "  layers:\n"
    "    - {units: 8, activation: tanh}\n"
    "    - {units: 1, activation: linear}\n"
    "optimizer: {name: adam, learning_rate: 0.05}\n"
    "train: {epochs: 40, batch_size: 16}\n"
    "metrics: [mae]\n"
    "output: {dir: run}\n",
    target_scale);

  return nn_test_write_file (dir, "reg.yaml", yaml);
}

/* The rows of a CSV file without quoted fields, header first. */
static GPtrArray *
read_rows (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text ? text : "", "\n", -1);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  for (guint i = 0; lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_ptr_array_add (rows, g_strsplit (lines[i], ",", -1));
  return rows;
}

static GPtrArray *
read_csv_file (const char *dir,
               const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return read_rows (text);
}

static double
summary_number (const char *run,
                const char *part,
                const char *key)
{
  g_autofree char *path = g_build_filename (run, "summary.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *final;

  if (!json_parser_load_from_file (parser, path, NULL))
    return NAN;
  final = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                         "final");
  return json_object_get_double_member (json_object_get_object_member (final, part), key);
}

/* The y of each row_id in the data. */
static GHashTable *
true_targets (const char *dir)
{
  g_autoptr(GPtrArray) rows = read_csv_file (dir, "reg.csv");
  GHashTable *y = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint r = 1; r < rows->len; r++)
    {
      char **row = rows->pdata[r];
      double v = g_ascii_strtod (row[3], NULL);

      g_hash_table_insert (y, g_strdup (row[0]), g_memdup2 (&v, sizeof v));
    }
  return y;
}

/* With target_scale, the test part's mae in summary.json is that of
 * predictions.csv, in the units of y, and the loss is the mean squared
 * error of the scaled targets; the true targets are y as read, each with
 * its row's id. */
static void
check_scaled_run (const char *target_scale)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *data = write_regression (dir);
  g_autofree char *experiment = write_experiment (dir, target_scale);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *err = NULL;
  g_autofree char *model = NULL;
  g_autofree char *model_path = g_build_filename (run, "model.yaml", NULL);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) y = true_targets (dir);
  g_autoptr(GPtrArray) history = NULL;
  double mae = 0, mse = 0, divisor;
  int    status;
  char  *divisor_text;

  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", run, NULL);
  NN_ASSERT_STATUS (status, 0, err);
  rows = read_csv_file (run, "predictions.csv");
  CU_ASSERT_EQUAL_FATAL (rows->len, 31);
  NN_CHECK (g_strv_equal ((const char * const *) rows->pdata[0],
                          (const char * const[]){ "row_id", "y", "predicted_y", NULL }),
            "predictions.csv header: %s,...", ((char **) rows->pdata[0])[0]);
  for (guint r = 1; r < rows->len; r++)
    {
      char  **row = rows->pdata[r];
      double *want = g_hash_table_lookup (y, row[0]);
      double  truth = g_ascii_strtod (row[1], NULL);
      double  pred = g_ascii_strtod (row[2], NULL);

      CU_ASSERT_PTR_NOT_NULL_FATAL (want);
      NN_ASSERT_CMPFLOAT (truth, *want, 1e-6, 0);
      mae += fabs (truth - pred) / 30;
      mse += (truth - pred) * (truth - pred) / 30;
    }
  NN_ASSERT_CMPFLOAT (summary_number (run, "test", "mae"), mae, 1e-5, 0);
  /* A model of y within a few units of it, so mae is in y's units. */
  NN_CHECK (mae > 1 && mae < 60, "test mae %g", mae);

  g_file_get_contents (model_path, &model, NULL, NULL);
  NN_ASSERT_CONTAINS (model, "id: row_id\n");
  divisor_text = model ? strstr (model, "target_scaler:") : NULL;
  CU_ASSERT_PTR_NOT_NULL_FATAL (divisor_text);
  divisor_text = strstr (divisor_text, "divisor: [");
  CU_ASSERT_PTR_NOT_NULL_FATAL (divisor_text);
  divisor = g_ascii_strtod (divisor_text + strlen ("divisor: ["), NULL);
  NN_ASSERT_CMPFLOAT (summary_number (run, "test", "loss"), mse / (divisor * divisor), 1e-4, 0);

  /* The history's last mae is the training part's, in y's units too. */
  history = read_csv_file (run, "history.csv");
  NN_ASSERT_CMPFLOAT (g_ascii_strtod (((char **) history->pdata[history->len - 1])[3], NULL),
                      summary_number (run, "train", "mae"), 1e-6, 0);

  /* nnrun predict maps back the same way, and passes the ids through. */
  {
    g_autofree char *out = NULL;
    g_autoptr(GPtrArray) predicted = NULL;
    g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);

    g_clear_pointer (&err, g_free);
    status = nn_test_nnrun (&out, &err, "predict", run, data, NULL);
    NN_ASSERT_STATUS (status, 0, err);
    predicted = read_rows (out);
    CU_ASSERT_EQUAL_FATAL (predicted->len, 151);
    NN_CHECK (g_strv_equal ((const char * const *) predicted->pdata[0],
                            (const char * const[]){ "row_id", "predicted_y", NULL }),
              "predict header: %s", out);
    for (guint r = 1; r < predicted->len; r++)
      g_hash_table_insert (by_id, ((char **) predicted->pdata[r])[0], predicted->pdata[r]);
    for (guint r = 1; r < rows->len; r++)
      {
        char **row = rows->pdata[r];
        char **same = g_hash_table_lookup (by_id, row[0]);

        CU_ASSERT_PTR_NOT_NULL_FATAL (same);
        NN_ASSERT_CMPFLOAT (g_ascii_strtod (same[1], NULL), g_ascii_strtod (row[2], NULL), 1e-6,
                            0);
      }
  }
}

static void
test_standard_target_scale (void)
{
  check_scaled_run ("standard");
}

static void
test_minmax_target_scale (void)
{
  check_scaled_run ("minmax");
}

/* A classification's predictions.csv holds the validation part when there
 * is no test part, with the label and a probability per class. */
static void
test_classification_predictions (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (
    dir, "iris.yaml",
    "data: {source: iris, scale: standard, split: {validation: 0.2}}\n"
    "model: {layers: [{units: 8, activation: relu}, {units: 3, activation: softmax}]}\n"
    "optimizer: {name: adam, learning_rate: 0.05}\n"
    "train: {epochs: 30}\n"
    "metrics: [accuracy]\n"
    "output: {dir: run}\n");
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *err = NULL;
  g_autofree char *part = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  static const char * const labels[] = { "setosa", "versicolor", "virginica" };
  double                    right = 0;
  int                       status;

  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", run, NULL);
  NN_ASSERT_STATUS (status, 0, err);
  part = nn_test_summary_member (run, "predictions");
  CU_ASSERT_STRING_EQUAL (part ? part : "", "validation");
  rows = read_csv_file (run, "predictions.csv");
  CU_ASSERT_EQUAL_FATAL (rows->len, 31);
  NN_CHECK (g_strv_equal ((const char * const *) rows->pdata[0],
                          (const char * const[]){ "species", "predicted_species", "p_setosa",
                                                  "p_versicolor", "p_virginica", NULL }),
            "predictions.csv header: %s,...", ((char **) rows->pdata[0])[0]);
  for (guint r = 1; r < rows->len; r++)
    {
      char **row = rows->pdata[r];
      double sum = 0;
      guint  best = 0;

      for (guint k = 0; k < 3; k++)
        {
          sum += g_ascii_strtod (row[2 + k], NULL);
          if (g_ascii_strtod (row[2 + k], NULL) > g_ascii_strtod (row[2 + best], NULL))
            best = k;
        }
      NN_ASSERT_CMPFLOAT (sum, 1, 1e-5, 0);
      CU_ASSERT_STRING_EQUAL (row[1], labels[best]);
      right += g_str_equal (row[0], row[1]) ? 1.0 / 30 : 0;
    }
  NN_ASSERT_CMPFLOAT (summary_number (run, "validation", "accuracy"), right, 1e-9, 1e-9);

  /* --no-proba: the label alone. */
  {
    g_autofree char *input = nn_test_write_file (
      dir, "in.csv", "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n");
    g_autofree char *out = NULL;

    g_clear_pointer (&err, g_free);
    status = nn_test_nnrun (&out, &err, "predict", "--no-proba", run, input, NULL);
    NN_ASSERT_STATUS (status, 0, err);
    CU_ASSERT_STRING_EQUAL (out ? out : "", "predicted_species\nsetosa\n");
  }
}

/* Bad data keys exit 2 at their place in the file. */
static void
test_bad_keys (void)
{
  static const struct
  {
    const char *data;
    const char *where;
    const char *message;
  } cases[] = {
    { "  source: {csv: reg.csv, target: y, id: row_id}\n  target_scale: standart\n", ":3:17:",
      "did you mean 'standard'?" },
    { "  source: {csv: reg.csv, target: y, id: rowid}\n", "reg.csv:1:1:",
      "no id column 'rowid' (did you mean 'row_id'?)" },
    { "  source: {csv: reg.csv, target: y, id: y}\n", ":2:41:",
      "column 'y' is the target, so it cannot be the id" },
    { "  source: {csv: reg.csv, target: y, features: [a, row_id], id: row_id}\n", "reg.csv:1:1:",
      "column 'row_id' is the id, so it cannot be a feature" },
    { "  source: iris\n  target_scale: standard\n", ":3:17:",
      "target_scale scales the targets of a regression" },
  };
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *data = write_regression (dir);

  (void) data; /* the file the experiments name */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *yaml = g_strdup_printf ("data:\n%smodel: {layers: [{units: %s}]}\n",
                                               cases[i].data, i == 4 ? "3" : "1");
      g_autofree char *experiment = nn_test_write_file (dir, "bad.yaml", yaml);
      g_autofree char *err = NULL;
      int              status = nn_test_nnrun (NULL, &err, "validate", experiment, NULL);

      NN_ASSERT_STATUS (status, 2, err);
      NN_ASSERT_CONTAINS (err, cases[i].where);
      NN_ASSERT_CONTAINS (err, cases[i].message);
    }
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("predictions", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "standard target scaling: metrics in y's units, the loss on the scaled y",
               test_standard_target_scale);
  CU_add_test (s, "minmax target scaling: metrics in y's units, the loss on the scaled y",
               test_minmax_target_scale);
  CU_add_test (s, "a classification's predictions.csv: labels and class probabilities",
               test_classification_predictions);
  CU_add_test (s, "bad target_scale and id keys exit 2 where they are",
               test_bad_keys);

  return nn_test_run ();
}
