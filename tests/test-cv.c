/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* k-fold cross-validation: nnrun cv and a sweep's folds. */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "nn-test.h"

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", NULL) || nn_test_init_plugins ();
}

static char *
write_iris (const char *dir,
            const char *split)
{
  g_autofree char *text = g_strdup_printf (
    "seed: 42\n"
    "data: {source: iris, task: multiclass, scale: minmax,\n"
    "       split: %s}\n"
    "model: {layers: [{units: 8, activation: relu}, {units: 3, activation: softmax}]}\n"
    "loss: categorical_crossentropy\n"
    "optimizer: {name: sgd, learning_rate: 0.3}\n"
    "train: {epochs: 20, batch_size: 16}\n"
    "metrics: [accuracy]\n",
    split);

  return nn_test_write_file (dir, "iris.yaml", text);
}

/* The rows of a CSV file after its header, each split at commas (no
 * quoted fields in the files read here). */
static GPtrArray *
read_rows (const char *dir,
           const char *name,
           GStrv      *header)
{
  g_autofree char *text = nn_test_read_text (dir, name);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  *header = lines[0] ? g_strsplit (lines[0], ",", -1) : g_new0 (char *, 1);
  for (guint i = 1; lines[0] && lines[i] != NULL; i++)
    if (*lines[i] != '\0')
      g_ptr_array_add (rows, g_strsplit (lines[i], ",", -1));
  return rows;
}

static guint
column_of (GStrv       header,
           const char *name)
{
  for (guint c = 0; header[c] != NULL; c++)
    if (g_str_equal (header[c], name))
      return c;
  CU_FAIL ("no such column");
  return 0;
}

/* The last line of @out, a JSON object. */
static JsonObject *
last_json (JsonParser *parser,
           const char *out)
{
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  guint n = g_strv_length (lines);

  while (n > 0 && *lines[n - 1] == '\0')
    n--;
  if (n == 0 || !json_parser_load_from_data (parser, lines[n - 1], -1, NULL))
    return NULL;
  return json_node_get_object (json_parser_get_root (parser));
}

/* nnrun cv on Iris: K rows in folds.csv, a run directory per fold, and the
 * mean and population standard deviation of each metric over the rows. */
static void
test_cv_reports_mean_and_std_of_the_folds (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_iris (dir, "{validation: 0.2}");
  g_autofree char *out_dir = g_build_filename (dir, "cv", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_auto(GStrv) header = NULL;
  const char *metrics[] = { "loss", "accuracy", "val_loss", "val_accuracy" };
  JsonObject *cv, *stats;
  int         status = nn_test_nnrun (&out, &err, "cv", exp, "--folds", "5", "-j", "2",
                                      "--json", "--out", out_dir, NULL);

  NN_ASSERT_STATUS (status, 0, err);
  rows = read_rows (out_dir, "folds.csv", &header);
  CU_ASSERT_EQUAL_FATAL (rows->len, 5);
  for (guint f = 0; f < 5; f++)
    {
      g_autofree char *name = g_strdup_printf ("fold-%u/summary.json", f);
      g_autofree char *path = g_build_filename (out_dir, name, NULL);

      NN_CHECK (g_file_test (path, G_FILE_TEST_EXISTS), "%s missing", path);
    }
  cv = last_json (parser, out);
  CU_ASSERT_PTR_NOT_NULL_FATAL (cv);
  CU_ASSERT_STRING_EQUAL (json_object_get_string_member (cv, "event"), "cv");
  CU_ASSERT_EQUAL (json_object_get_int_member (cv, "folds"), 5);
  stats = json_object_get_object_member (cv, "metrics");
  for (guint m = 0; m < G_N_ELEMENTS (metrics); m++)
    {
      guint       c = column_of (header, metrics[m]);
      double      sum = 0, squares = 0, mean;
      JsonObject *got = json_object_get_object_member (stats, metrics[m]);

      for (guint r = 0; r < rows->len; r++)
        sum += g_ascii_strtod (((char **) rows->pdata[r])[c], NULL);
      mean = sum / rows->len;
      for (guint r = 0; r < rows->len; r++)
        {
          double d = g_ascii_strtod (((char **) rows->pdata[r])[c], NULL) - mean;

          squares += d * d;
        }
      NN_ASSERT_CMPFLOAT (json_object_get_double_member (got, "mean"), mean, 1e-12, 1e-15);
      NN_ASSERT_CMPFLOAT (json_object_get_double_member (got, "std"), sqrt (squares / rows->len),
                          1e-12, 1e-15);
      CU_ASSERT_EQUAL (json_object_get_int_member (got, "runs"), 5);
    }
  /* The table names every metric with its mean and std. */
  {
    g_autofree char *table = NULL;

    status = nn_test_nnrun (&table, &err, "cv", exp, "--folds", "5", "--out", out_dir, NULL);
    NN_ASSERT_STATUS (status, 0, err);
    NN_ASSERT_CONTAINS (table, "metric");
    NN_ASSERT_CONTAINS (table, "val_accuracy");
    NN_ASSERT_CONTAINS (table, "5/5");
  }
}

/* 40 rows, 25 of class a and 15 of b, each with its id. */
static char *
write_id_data (const char *dir)
{
  g_autoptr(GString) csv = g_string_new ("id,x1,x2,label\n");
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autofree char *data = NULL;

  for (guint i = 0; i < 40; i++)
    g_string_append_printf (csv, "r%u,%.3f,%.3f,%s\n", i, g_rand_double (rand),
                            g_rand_double (rand), i < 25 ? "a" : "b");
  data = nn_test_write_file (dir, "d.csv", csv->str);
  return nn_test_write_file (dir, "ids.yaml",
                             "seed: 7\n"
                             "data: {source: {csv: d.csv, target: label, id: id},\n"
                             "       split: {validation: 0.2}}\n"
                             "model: {layers: [{units: 1, activation: sigmoid}]}\n"
                             "loss: binary_crossentropy\n"
                             "train: {epochs: 1}\n");
}

/* Each fold's held-out rows, read from its predictions.csv: disjoint, all
 * of them together, and each class dealt as evenly as it goes. */
static void
test_held_out_rows_are_disjoint_and_cover_the_data (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_id_data (dir);
  g_autofree char *out_dir = g_build_filename (dir, "cv", NULL);
  g_autofree char *err = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int status = nn_test_nnrun (NULL, &err, "cv", exp, "--folds", "4", "--out", out_dir, NULL);

  NN_ASSERT_STATUS (status, 0, err);
  for (guint f = 0; f < 4; f++)
    {
      g_autofree char *fold_dir = g_strdup_printf ("%s/fold-%u", out_dir, f);
      g_auto(GStrv) header = NULL;
      g_autoptr(GPtrArray) rows = read_rows (fold_dir, "predictions.csv", &header);
      guint a = 0;

      /* 25 a: 7 7 6 5 ... dealt round robin over 40 sorted labels: 10 per
       * fold, a's share 7, 6 or 6, 6. */
      CU_ASSERT_EQUAL (rows->len, 10);
      for (guint r = 0; r < rows->len; r++)
        {
          char **row = rows->pdata[r];

          NN_CHECK (!g_hash_table_contains (seen, row[0]), "row %s held out twice", row[0]);
          g_hash_table_add (seen, g_strdup (row[0]));
          a += g_str_equal (row[1], "a");
        }
      NN_CHECK (a == 6 || a == 7, "fold %u holds %u rows of class a", f, a);
    }
  CU_ASSERT_EQUAL (g_hash_table_size (seen), 40);
}

/* A sweep's folds: a row per fold, a run directory per fold, and each
 * trial ranked by the mean over its folds, which scores.csv records. */
static void
test_sweep_folds_score_each_trial_by_its_mean (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_iris (dir, "{validation: 0.2}");
  g_autofree char *out_dir = g_build_filename (dir, "sweep", NULL);
  g_autofree char *text = g_strdup_printf ("experiment: iris.yaml\n"
                                           "parameters:\n"
                                           "  optimizer.learning_rate: {values: [0.3, 0.01]}\n"
                                           "folds: 3\n"
                                           "metric: val_accuracy\n"
                                           "output: {dir: '%s'}\n",
                                           out_dir);
  g_autofree char *sweep = nn_test_write_file (dir, "sweep.yaml", text);
  g_autofree char *err = NULL;
  g_autoptr(GPtrArray) rows = NULL, scores = NULL;
  g_auto(GStrv) header = NULL;
  g_auto(GStrv) score_header = NULL;
  int status = nn_test_nnrun (NULL, &err, "sweep", sweep, "-j", "2", NULL);

  (void) exp;
  NN_ASSERT_STATUS (status, 0, err);
  rows = read_rows (out_dir, "trials.csv", &header);
  CU_ASSERT_EQUAL_FATAL (rows->len, 6);
  CU_ASSERT_STRING_EQUAL (header[2], "fold");
  scores = read_rows (out_dir, "scores.csv", &score_header);
  CU_ASSERT_EQUAL_FATAL (scores->len, 2);
  for (guint t = 0; t < 2; t++)
    {
      guint  c = column_of (header, "val_accuracy");
      double sum = 0;

      for (guint r = 0; r < rows->len; r++)
        if (atoi (((char **) rows->pdata[r])[0]) == (int) t)
          sum += g_ascii_strtod (((char **) rows->pdata[r])[c], NULL);
      NN_ASSERT_CMPFLOAT (
        g_ascii_strtod (((char **) scores->pdata[t])[column_of (score_header,
                                                                "val_accuracy_mean")],
                        NULL),
        sum / 3, 1e-12, 1e-15);
    }
  /* Run again, every fold recorded: the best trial with its std. */
  {
    g_autofree char *out = NULL;
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *best;
    guint       t;

    g_clear_pointer (&err, g_free);
    status = nn_test_nnrun (&out, &err, "sweep", sweep, "--json", NULL);
    NN_ASSERT_STATUS (status, 0, err);
    best = last_json (parser, out);
    CU_ASSERT_PTR_NOT_NULL_FATAL (best);
    t = (guint) json_object_get_int_member (best, "trial");
    CU_ASSERT_FATAL (t < 2);
    NN_ASSERT_CMPFLOAT (
      json_object_get_double_member (best, "std"),
      g_ascii_strtod (
        ((char **) scores->pdata[t])[column_of (score_header, "val_accuracy_std")], NULL),
      1e-12, 1e-15);
  }
  for (guint f = 0; f < 3; f++)
    {
      g_autofree char *path = g_strdup_printf ("%s/trials/0001/fold-%u/history.csv", out_dir, f);

      NN_CHECK (g_file_test (path, G_FILE_TEST_EXISTS), "%s missing", path);
    }
}

/* --folds 1, folds above the smallest class, data.split.folds: 1 in a file. */
static void
test_bad_folds_exit_2 (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_iris (dir, "{validation: 0.2}");
  g_autofree char *err = NULL;
  int              status;

  status = nn_test_nnrun (NULL, &err, "cv", exp, "--folds", "1", NULL);
  NN_ASSERT_STATUS (status, 2, err);
  NN_ASSERT_CONTAINS (err, "--folds must be at least 2");
  g_clear_pointer (&err, g_free);

  status = nn_test_nnrun (NULL, &err, "cv", exp, NULL);
  NN_ASSERT_STATUS (status, 2, err);
  NN_ASSERT_CONTAINS (err, "cv needs --folds K");
  g_clear_pointer (&err, g_free);

  status = nn_test_nnrun (NULL, &err, "cv", exp, "--folds", "51", NULL);
  NN_ASSERT_STATUS (status, 2, err);
  NN_ASSERT_CONTAINS (err, "--folds 51: error: 51 stratified folds need at least 51 rows of "
                           "each class, but class 'setosa' has 50");
  g_clear_pointer (&err, g_free);

  {
    g_autofree char *bad = write_iris (dir, "{validation: 0.2, folds: 1}");
    g_autofree char *where = g_strdup_printf ("%s:3:40: error: data.split.folds must be 0", bad);

    status = nn_test_nnrun (NULL, &err, "validate", bad, NULL);
    NN_ASSERT_STATUS (status, 2, err);
    NN_ASSERT_CONTAINS (err, where);
    g_clear_pointer (&err, g_free);
  }
  {
    g_autofree char *bad = write_iris (dir, "{validation: 0.2, folds: 60}");
    g_autofree char *where = g_strdup_printf ("%s:3:40: error: 60 stratified folds", bad);

    status = nn_test_nnrun (NULL, &err, "validate", bad, NULL);
    NN_ASSERT_STATUS (status, 2, err);
    NN_ASSERT_CONTAINS (err, where);
    NN_ASSERT_CONTAINS (err, "class 'setosa' has 50");
  }
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("nnrun cv and a sweep's folds", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "nnrun cv on Iris reports the mean and std of its folds' rows",
               test_cv_reports_mean_and_std_of_the_folds);
  CU_add_test (suite, "the folds' held-out rows are disjoint and cover the data",
               test_held_out_rows_are_disjoint_and_cover_the_data);
  CU_add_test (suite, "a sweep's folds: K scores each trial by its folds' mean",
               test_sweep_folds_score_each_trial_by_its_mean);
  CU_add_test (suite, "bad folds exit 2, naming FILE:LINE:COL or the option",
               test_bad_folds_exit_2);

  return nn_test_run ();
}
