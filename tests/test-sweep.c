/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sweep files and nnrun sweep: the trials a file gives, runs equal to
 * nnrun train's, a record that survives kill -9, errors at their place. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nn-test.h"

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", NULL) || nn_test_init_plugins ();
}

/* Quick on Iris; @epochs sets how long a run takes. */
static char *
write_experiment (const char *dir,
                  guint       epochs)
{
  g_autofree char *text = g_strdup_printf (
    "seed: 42\n"
    "data: {source: iris, task: multiclass, scale: minmax,\n"
    "       split: {validation: 0.2, stratify: true, shuffle: true}}\n"
    "model: {layers: [{units: 16, activation: relu}, {units: 3, activation: softmax}]}\n"
    "loss: categorical_crossentropy\n"
    "optimizer: {name: sgd, learning_rate: 0.1}\n"
    "train: {epochs: %u, batch_size: 16}\n"
    "metrics: [accuracy]\n",
    epochs);

  return nn_test_write_file (dir, "experiment.yaml", text);
}

/* The 3 x 3 grid of configs/iris-sweep.yaml, into @dir/@out. */
static char *
write_grid (const char *dir,
            const char *name,
            const char *out)
{
  g_autofree char *out_dir = g_build_filename (dir, out, NULL);
  g_autofree char *text = g_strdup_printf (
    "experiment: experiment.yaml\n"
    "method: grid\n"
    "seed: 1\n"
    "parameters:\n"
    "  optimizer.learning_rate: {values: [0.3, 0.1, 0.03]}\n"
    "  model.layers.0.units: {values: [4, 16, 64]}\n"
    "metric: val_accuracy\n"
    "output: {dir: '%s'}\n",
    out_dir);

  return nn_test_write_file (dir, name, text);
}

static NnSweep *
load_sweep (const char *dir,
            const char *text)
{
  g_autofree char *path = nn_test_write_file (dir, "sweep.yaml", text);
  g_autoptr(GError) error = NULL;
  NnSweep *sweep = nn_sweep_new_from_file (path, &error);

  NN_ASSERT_NO_ERROR (error);
  return sweep;
}

static void
test_grid_is_the_product_in_file_order (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_experiment (dir, 2);
  g_autoptr(NnSweep) sweep = load_sweep (dir,
                                          "experiment: experiment.yaml\n"
                                          "seed: 5\n"
                                          "repeats: 2\n"
                                          "parameters:\n"
                                          "  optimizer.learning_rate: {values: [0.5, 0.05, 1.0e-3]}\n"
                                          "  optimizer: {values: [sgd, {name: adam, learning_rate: 0.01}]}\n");
  static const char * const want[][2] = {
    { "0.5", "sgd" },
    { "0.5", "{name: adam, learning_rate: 0.01}" },
    { "0.05", "sgd" },
    { "0.05", "{name: adam, learning_rate: 0.01}" },
    { "1.0e-3", "sgd" },
    { "1.0e-3", "{name: adam, learning_rate: 0.01}" },
  };
  g_auto(GStrv) overrides = NULL;

  (void) exp; /* the file the sweep or experiment names */
  CU_ASSERT_FATAL (sweep != NULL);
  CU_ASSERT_EQUAL_FATAL (nn_sweep_get_n_trials (sweep), 6);
  CU_ASSERT_EQUAL (nn_sweep_get_repeats (sweep), 2);
  for (guint t = 0; t < 6; t++)
    for (guint p = 0; p < 2; p++)
      NN_CHECK (g_str_equal (nn_sweep_get_trial_values (sweep, t)[p], want[t][p]),
                "trial %u parameter %u: %s, expected %s", t, p,
                nn_sweep_get_trial_values (sweep, t)[p], want[t][p]);
  /* The second run of a trial has the next seed, and each value as --set takes it. */
  overrides = nn_sweep_get_run_overrides (sweep, 3, 1);
  CU_ASSERT_EQUAL_FATAL (g_strv_length (overrides), 3);
  CU_ASSERT_STRING_EQUAL (overrides[0], "seed=6");
  CU_ASSERT_STRING_EQUAL (overrides[1], "optimizer.learning_rate=0.05");
  CU_ASSERT_STRING_EQUAL (overrides[2], "optimizer={name: adam, learning_rate: 0.01}");
}

static void
test_random_is_seeded_and_in_range (void)
{
  g_autofree char  *dir = nn_test_new_dir ();
  g_autofree char  *exp = write_experiment (dir, 2);
  static const char text[] =
    "experiment: experiment.yaml\n"
    "method: random\n"
    "trials: 200\n"
    "seed: %u\n"
    "parameters:\n"
    "  optimizer.learning_rate: {min: 1.0e-4, max: 1.0e-1, scale: log}\n"
    "  model.layers.0.units: {min: 8, max: 64, integer: true}\n"
    "  train.batch_size: {values: [8, 16, 32]}\n";
  g_autofree char *one = g_strdup_printf (text, 1);
  g_autofree char *other = g_strdup_printf (text, 2);
  g_autoptr(NnSweep) a = load_sweep (dir, one);
  g_autoptr(NnSweep) b = load_sweep (dir, one);
  g_autoptr(NnSweep) c = load_sweep (dir, other);
  guint below = 0, differ = 0, lowest = G_MAXUINT, highest = 0, batches[3] = { 0 };

  (void) exp; /* the file the sweep or experiment names */
  CU_ASSERT_FATAL (a != NULL && b != NULL && c != NULL);
  CU_ASSERT_EQUAL_FATAL (nn_sweep_get_n_trials (a), 200);
  for (guint t = 0; t < 200; t++)
    {
      const char * const *va = nn_sweep_get_trial_values (a, t);
      const char * const *vb = nn_sweep_get_trial_values (b, t);
      double              lr = g_ascii_strtod (va[0], NULL);
      char                six[G_ASCII_DTOSTR_BUF_SIZE];
      guint64             units;

      for (guint p = 0; p < 3; p++)
        NN_CHECK (g_str_equal (va[p], vb[p]), "trial %u: %s then %s", t, va[p], vb[p]);
      differ += !g_str_equal (va[0], nn_sweep_get_trial_values (c, t)[0]);
      NN_CHECK (lr >= 1e-4 && lr <= 1e-1, "learning rate %s out of its range", va[0]);
      NN_CHECK (g_ascii_strtod (g_ascii_formatd (six, sizeof six, "%.6g", lr), NULL) == lr,
                "learning rate %s has more than six digits", va[0]);
      /* Log-uniform: a third of the draws fall below 1e-3, not a hundredth. */
      below += lr < 1e-3;
      NN_CHECK (g_ascii_string_to_unsigned (va[1], 10, 8, 64, &units, NULL),
                "units %s is not a whole number from 8 to 64", va[1]);
      lowest = MIN (lowest, units);
      highest = MAX (highest, units);
      batches[g_str_equal (va[2], "8") ? 0 : g_str_equal (va[2], "16") ? 1
                                                                       : 2]++;
    }
  NN_CHECK (below > 40 && below < 95, "%u of 200 log-uniform draws below 1e-3", below);
  NN_CHECK (lowest == 8 && highest == 64, "units from %u to %u", lowest, highest);
  NN_CHECK (batches[0] > 30 && batches[1] > 30 && batches[2] > 30, "batch sizes %u %u %u",
            batches[0], batches[1], batches[2]);
  NN_CHECK (differ > 190, "another seed changed %u of 200 trials", differ);
}

static void
test_shipped_sweep_is_a_3x3_grid (void)
{
  g_autofree char *path = nn_test_source_file ("configs/iris-sweep.yaml");
  g_autoptr(GError) error = NULL;
  g_autoptr(NnSweep) sweep = nn_sweep_new_from_file (path, &error);
  g_autofree char *experiment = NULL;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_FATAL (sweep != NULL);
  CU_ASSERT_TRUE (nn_sweep_check (sweep, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (nn_sweep_get_n_trials (sweep), 9);
  CU_ASSERT_STRING_EQUAL (nn_sweep_get_metric (sweep), "val_accuracy");
  CU_ASSERT_TRUE (nn_sweep_get_greater_is_better (sweep));
  experiment = g_path_get_basename (nn_sweep_get_experiment_path (sweep));
  CU_ASSERT_STRING_EQUAL (experiment, "iris.yaml");
}

static void
test_shipped_fashion_mnist_sweep (void)
{
  g_autofree char *path = nn_test_source_file ("configs/fashion-mnist-sweep.yaml");
  g_autoptr(GError) error = NULL;
  g_autoptr(NnSweep) sweep = nn_sweep_new_from_file (path, &error);
  g_auto(GStrv) overrides = NULL;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_FATAL (sweep != NULL);
  CU_ASSERT_TRUE (nn_sweep_check (sweep, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL_FATAL (nn_sweep_get_n_trials (sweep), 4);
  overrides = nn_sweep_get_run_overrides (sweep, 3, 0);
  CU_ASSERT_STRING_EQUAL (overrides[1], "train.epochs=3");
  CU_ASSERT_STRING_EQUAL (overrides[3], "model.layers.0.units=256");
  /* The separate test set gives test_ metrics too. */
  CU_ASSERT_TRUE (g_strv_contains (nn_sweep_get_metric_columns (sweep), "test_accuracy"));
}

/* @rows rows of four features and a class of three, into @dir/@name. */
static void
write_csv (const char *dir,
           const char *name,
           guint       rows,
           const char *target)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *path = NULL;

  g_string_append_printf (text, "a,b,c,d,%s\n", target);
  for (guint i = 0; i < rows; i++)
    g_string_append_printf (text, "%u.25,%u.5,%u,%u.125,c%u\n", i % 97, i % 13, i % 7, i % 31,
                            i % 3);
  path = nn_test_write_file (dir, name, text->str);
}

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1e6;
}

/* Checking a sweep reads the data once where the trials read it the same
 * way: 24 trials take far less than 24 reads of a file that dominates one
 * experiment's check (the best of two each, against a pause of the
 * machine). A trial that reads another file still reads it. */
static void
test_check_reads_shared_data_once (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = NULL;
  g_autoptr(NnSweep) sweep = NULL;
  g_autoptr(NnSweep) other = NULL;
  g_autoptr(GError) error = NULL;
  double one = G_MAXDOUBLE, all = G_MAXDOUBLE;
  gint64 start;

  write_csv (dir, "data.csv", 100000, "label");
  write_csv (dir, "other.csv", 10, "kind");
  experiment = nn_test_write_file (
    dir, "experiment.yaml",
    "seed: 1\n"
    "data: {source: {csv: data.csv, target: label}, task: multiclass,\n"
    "       split: {validation: 0.2}}\n"
    "model: {layers: [{units: 4, activation: relu}, {units: 3, activation: softmax}]}\n"
    "loss: categorical_crossentropy\n"
    "optimizer: {name: sgd, learning_rate: 0.1}\n"
    "train: {epochs: 1}\n");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(NnExperiment) e = NULL;

      start = g_get_monotonic_time ();
      e = nn_experiment_new_from_file (experiment, &error);
      NN_ASSERT_NO_ERROR (error);
      one = MIN (one, seconds_since (start));
    }

  sweep = load_sweep (dir, "experiment: experiment.yaml\n"
                           "method: grid\n"
                           "parameters:\n"
                           "  optimizer.learning_rate: {values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}\n"
                           "  data.split.validation: {values: [0.1, 0.2]}\n"
                           "  model.layers.0.units: {values: [2, 4]}\n"
                           "metric: val_loss\n"
                           "output: {dir: out}\n");
  CU_ASSERT_FATAL (sweep != NULL);
  CU_ASSERT_EQUAL_FATAL (nn_sweep_get_n_trials (sweep), 24);
  for (guint i = 0; i < 2; i++)
    {
      start = g_get_monotonic_time ();
      CU_ASSERT_TRUE (nn_sweep_check (sweep, &error));
      all = MIN (all, seconds_since (start));
      NN_ASSERT_NO_ERROR (error);
    }
  NN_CHECK (all < 8 * one, "24 trials checked in %.3f s, one experiment in %.3f s", all, one);

  /* other.csv has no column "label": read, not taken for data.csv. */
  other = load_sweep (dir, "experiment: experiment.yaml\n"
                           "method: grid\n"
                           "parameters:\n"
                           "  data.source.csv: {values: [data.csv, other.csv]}\n"
                           "metric: val_loss\n"
                           "output: {dir: out2}\n");
  CU_ASSERT_FATAL (other != NULL);
  CU_ASSERT_FALSE (nn_sweep_check (other, &error));
  NN_ASSERT_CONTAINS (error ? error->message : "", "trial 1");
  NN_ASSERT_CONTAINS (error ? error->message : "", "label");
}

typedef struct
{
  const char *text;
  const char *place; /* LINE:COL */
  const char *message;
} BadSweep;

static void
test_bad_sweeps_name_their_place (void)
{
  static const BadSweep cases[] = {
    { "experiment: experiment.yaml\nparameters:\n  optimizer.learning_rat: {values: [0.1]}\n",
      "3:3", "did you mean 'learning_rate'?" },
    { "experiment: experiment.yaml\nparameters:\n  optimizer.learning_rate: {values: [0.1, -2]}\n",
      "3:43", "trial 1 (optimizer.learning_rate=-2): optimizer 'sgd' parameter" },
    { "experiment: experiment.yaml\nparameters:\n  model.layers.0.units: {values: [4]}\n"
      "  optimizer.name: {values: [sgd, adamm]}\n",
      "4:34", "trial 1 (model.layers.0.units=4, optimizer.name=adamm)" },
    { "experiment: experiment.yaml\nmethod: random\nparameters:\n"
      "  optimizer.learning_rate: {min: 0.01, max: 0.1}\n",
      "2:9", "method: random needs trials" },
    { "experiment: experiment.yaml\nmethod: random\ntrials: 4\nparameters:\n"
      "  optimizer.learning_rate: {min: 0.1, max: 0.01}\n",
      "5:34", "min (0.1) is larger than its max (0.01)" },
    { "experiment: experiment.yaml\nmethod: random\ntrials: 4\nparameters:\n"
      "  optimizer.learning_rate: {min: 0, max: 0.01, scale: log}\n",
      "5:34", "a log scale needs bounds above 0" },
    { "experiment: experiment.yaml\nparameters:\n  optimizer.learning_rate: {values: [0.1]}\n"
      "metric: val_acuracy\n",
      "4:9", "unknown metric 'val_acuracy'; did you mean 'val_accuracy'?" },
    { "experiment: experiment.yaml\nparameters:\n  optimizer.learning_rate: {values: [0.1]}\n"
      "metric: {name: loss, goal: up}\n",
      "4:28", "metric.goal must be 'min' or 'max'" },
    { "experiment: experiment.yaml\nparameters:\n  optimizer.learning_rate: {values: [0.1]}\n"
      "folds: 1\n",
      "4:8", "folds must be 0 (no cross-validation) or at least 2, not 1" },
    { "experiment: experiment.yaml\nparameters:\n  optimizer.learning_rate: {values: [0.1]}\n"
      "folds: 60\n",
      "4:8", "60 stratified folds need at least 60 rows of each class, but class 'setosa' has 50" },
    { "experiment: experiment.yaml\nmethd: random\nparameters:\n"
      "  optimizer.learning_rate: {values: [0.1]}\n",
      "2:1", "did you mean 'method'?" },
    { "experiment: experiment.yaml\nparameters:\n  optimizer.learning_rate: {min: 0.1, max: 1}\n",
      "3:28", "a grid takes values: [...]" },
    { "experiment: experiment.yaml\ntrials: 3\nparameters:\n"
      "  optimizer.learning_rate: {values: [0.1]}\n",
      "2:9", "trials is for method: random" },
    { "experiment: missing.yaml\nparameters:\n  optimizer.learning_rate: {values: [0.1]}\n",
      "1:13", "missing.yaml not found" },
  };
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_experiment (dir, 2);

  (void) exp; /* the file the sweep or experiment names */
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = nn_test_write_file (dir, "bad.yaml", cases[i].text);
      g_autofree char *err = NULL;
      g_autofree char *where = g_strdup_printf ("%s:%s: error: ", path, cases[i].place);
      int              status = nn_test_nnrun (NULL, &err, "sweep", path, "-j", "1", NULL);

      NN_ASSERT_STATUS (status, 2, err);
      NN_ASSERT_CONTAINS (err, where);
      NN_ASSERT_CONTAINS (err, cases[i].message);
    }
  /* A trial the sweep does not have is refused before anything is written. */
  {
    g_autofree char *path = nn_test_write_file (dir, "bad.yaml",
                                                "experiment: experiment.yaml\nparameters:\n"
                                                "  optimizer.learning_rate: {values: [0.1]}\n");
    g_autofree char *err = NULL;
    int              status = nn_test_nnrun (NULL, &err, "sweep", path, "--trial", "1", NULL);

    NN_ASSERT_STATUS (status, 2, err);
    NN_ASSERT_CONTAINS (err, "--trial must be between 0 and 0");
  }
  /* Nothing ran: no sweep directory, runs/bad by default, in the working
   * directory. */
  {
    g_autofree char *parent = g_path_get_dirname (dir);
    g_autofree char *out = g_build_filename (parent, "runs", NULL);

    CU_ASSERT_FALSE (g_file_test (out, G_FILE_TEST_EXISTS));
  }
}

static gint
compare_lines (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* trials.csv's rows without their seconds, sorted: what two sweeps of one
 * file share. */
static char *
rows_without_seconds (const char *sweep_dir)
{
  g_autofree char *path = g_build_filename (sweep_dir, "trials.csv", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  int seconds = -1;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], ",", -1);

      for (int f = 0; i == 0 && fields[f] != NULL; f++)
        if (g_str_equal (fields[f], "seconds"))
          seconds = f;
      if (seconds >= 0 && (guint) seconds < g_strv_length (fields))
        *fields[seconds] = '\0';
      g_ptr_array_add (kept, g_strjoinv (",", fields));
    }
  g_ptr_array_sort (kept, compare_lines);
  g_ptr_array_add (kept, NULL);
  return g_strjoinv ("\n", (char **) kept->pdata);
}

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *c = text; c != NULL && *c != '\0'; c++)
    n += *c == '\n';
  return n;
}

static void
test_grid_runs_equal_nnrun_train (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_experiment (dir, 15);
  g_autofree char *path = write_grid (dir, "grid.yaml", "sweep");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(NnSweep) sweep = nn_sweep_new_from_file (path, NULL);
  g_autofree char *csv = g_build_filename (dir, "sweep", "trials.csv", NULL);
  g_autofree char *rows = NULL;
  int              status = nn_test_nnrun (&out, &err, "sweep", path, "-j", "2", NULL);

  NN_ASSERT_STATUS (status, 0, err);
  CU_ASSERT_FATAL (sweep != NULL);
  CU_ASSERT_EQUAL_FATAL (nn_sweep_get_n_trials (sweep), 9);
  g_file_get_contents (csv, &rows, NULL, NULL);
  NN_CHECK (count_lines (rows) == 10, "trials.csv: %s", rows);
  for (guint t = 0; t < 9; t++)
    {
      const char * const *values = nn_sweep_get_trial_values (sweep, t);
      g_autofree char    *trial = g_strdup_printf ("%04u", t);
      g_autofree char    *swept = g_build_filename (dir, "sweep", "trials", trial, NULL);
      g_autofree char    *alone = g_build_filename (dir, "alone", trial, NULL);
      g_autofree char    *lr = g_strdup_printf ("optimizer.learning_rate=%s", values[0]);
      g_autofree char    *units = g_strdup_printf ("model.layers.0.units=%s", values[1]);
      g_autofree char    *train_err = NULL;
      g_autofree char    *want = NULL, *got = NULL;

      status = nn_test_nnrun (NULL, &train_err, "train", exp, "--set", "seed=1", "--set", lr,
                              "--set", units, "--out", alone, "--quiet", NULL);
      NN_ASSERT_STATUS (status, 0, train_err);
      want = nn_test_history_without_seconds (alone);
      got = nn_test_history_without_seconds (swept);
      NN_CHECK (count_lines (want) >= 16, "trial %u alone: %s", t, want);
      NN_CHECK (g_str_equal (got, want), "trial %u (%s, %s): the sweep's history\n%s\n"
                                         "differs from nnrun train's\n%s",
                t, lr, units, got, want);
    }
  /* The table ranks by val_accuracy, best first; best.yaml is the best trial's. */
  NN_ASSERT_CONTAINS (out, "val_accuracy");
  {
    g_autofree char *best = g_build_filename (dir, "sweep", "best.yaml", NULL);
    g_autofree char *text = NULL;

    CU_ASSERT_FATAL (g_file_get_contents (best, &text, NULL, NULL));
    NN_ASSERT_CONTAINS (text, "# The best trial of ");
    NN_ASSERT_CONTAINS (text, "seed: 1\n");
  }
}

static void
test_jobs_give_the_same_rows (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_experiment (dir, 10);
  g_autofree char *one = write_grid (dir, "one.yaml", "one");
  g_autofree char *two = write_grid (dir, "two.yaml", "two");
  g_autofree char *out1 = NULL, *out2 = NULL, *err = NULL;
  g_autofree char *dir1 = g_build_filename (dir, "one", NULL);
  g_autofree char *dir2 = g_build_filename (dir, "two", NULL);
  g_autofree char *rows1 = NULL, *rows2 = NULL;

  (void) exp; /* the file the sweep or experiment names */
  int status = nn_test_nnrun (&out1, &err, "sweep", one, "-j", "1", NULL);

  NN_ASSERT_STATUS (status, 0, err);
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (&out2, &err, "sweep", two, "-j", "2", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  rows1 = rows_without_seconds (dir1);
  rows2 = rows_without_seconds (dir2);
  NN_CHECK (count_lines (rows1) == 9, "trials.csv of -j 1:\n%s", rows1);
  NN_CHECK (g_str_equal (rows1, rows2), "-j 1 gave\n%s\n-j 2 gave\n%s", rows1, rows2);
  /* The table has no seconds: the same text. */
  NN_CHECK (g_str_equal (out1, out2), "-j 1 printed\n%s\n-j 2 printed\n%s", out1, out2);
}

static void
test_repeats_train_with_successive_seeds (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_experiment (dir, 10);
  g_autofree char *out_dir = g_build_filename (dir, "repeated", NULL);
  g_autofree char *text = g_strdup_printf ("experiment: experiment.yaml\n"
                                           "seed: 3\n"
                                           "repeats: 2\n"
                                           "parameters:\n"
                                           "  optimizer.learning_rate: {values: [0.1, 0.05]}\n"
                                           "output: {dir: '%s'}\n",
                                           out_dir);
  g_autofree char *path = nn_test_write_file (dir, "repeated.yaml", text);
  g_autofree char *unseeded = nn_test_write_file (dir, "unseeded.yaml",
                                                  "experiment: experiment.yaml\n"
                                                  "repeats: 3\n"
                                                  "parameters:\n"
                                                  "  train.batch_size: {values: [8]}\n");
  g_autoptr(NnSweep) sweep = nn_sweep_new_from_file (unseeded, NULL);
  g_auto(GStrv) first = NULL;
  g_auto(GStrv) third = NULL;
  g_autofree char *out = NULL, *err = NULL, *best_text = NULL;
  g_autofree char *best = g_build_filename (out_dir, "best.yaml", NULL);
  int              status;

  /* Without a seed of the sweep's, the runs take the experiment's and the next. */
  CU_ASSERT_FATAL (sweep != NULL && nn_sweep_check (sweep, NULL));
  first = nn_sweep_get_run_overrides (sweep, 0, 0);
  third = nn_sweep_get_run_overrides (sweep, 0, 2);
  CU_ASSERT_EQUAL (g_strv_length (first), 1);
  CU_ASSERT_STRING_EQUAL (third[0], "seed=44");

  status = nn_test_nnrun (&out, &err, "sweep", path, "-j", "2", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  for (guint t = 0; t < 2; t++)
    for (guint r = 0; r < 2; r++)
      {
        g_autofree char *name = g_strdup_printf ("%04u-%u", t, r);
        g_autofree char *swept = g_build_filename (out_dir, "trials", name, NULL);
        g_autofree char *alone = g_build_filename (dir, "alone", name, NULL);
        g_autofree char *seed = g_strdup_printf ("seed=%u", 3 + r);
        g_autofree char *lr = g_strdup_printf ("optimizer.learning_rate=%s", t ? "0.05" : "0.1");
        g_autofree char *train_err = NULL, *want = NULL, *got = NULL;

        status = nn_test_nnrun (NULL, &train_err, "train", exp, "--set", seed, "--set", lr,
                                "--out", alone, "--quiet", NULL);
        NN_ASSERT_STATUS (status, 0, train_err);
        want = nn_test_history_without_seconds (alone);
        got = nn_test_history_without_seconds (swept);
        NN_CHECK (count_lines (want) > 10 && g_str_equal (got, want),
                  "run %s: the sweep's history\n%s\ndiffers from nnrun train's\n%s", name, got,
                  want);
      }
  /* Each trial ranked by its two runs; best.yaml is its first run's. */
  NN_ASSERT_CONTAINS (out, "2/2\n");
  CU_ASSERT_FATAL (g_file_get_contents (best, &best_text, NULL, NULL));
  NN_ASSERT_CONTAINS (best_text, "\nseed: 3\n");
}

static void
test_another_sweeps_record_is_refused (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_experiment (dir, 2);
  g_autofree char *out_dir = g_build_filename (dir, "shared", NULL);
  g_autofree char *first_text = g_strdup_printf (
    "experiment: experiment.yaml\nparameters:\n  optimizer.learning_rate: {values: [0.1]}\n"
    "output: {dir: '%s'}\n",
    out_dir);
  g_autofree char *second_text = g_strdup_printf (
    "experiment: experiment.yaml\nparameters:\n  train.batch_size: {values: [8]}\n"
    "output: {dir: '%s'}\n",
    out_dir);
  g_autofree char *first = nn_test_write_file (dir, "first.yaml", first_text);
  g_autofree char *second = nn_test_write_file (dir, "second.yaml", second_text);
  g_autofree char *csv = g_build_filename (out_dir, "trials.csv", NULL);
  g_autofree char *before = NULL, *after = NULL, *err = NULL;
  int              status = nn_test_nnrun (NULL, &err, "sweep", first, NULL);

  (void) exp; /* the file the sweep or experiment names */
  NN_ASSERT_STATUS (status, 0, err);
  g_clear_pointer (&err, g_free);
  g_file_get_contents (csv, &before, NULL, NULL);
  status = nn_test_nnrun (NULL, &err, "sweep", second, NULL);
  NN_ASSERT_STATUS (status, 2, err);
  NN_ASSERT_CONTAINS (err, "trials.csv records another sweep");
  g_file_get_contents (csv, &after, NULL, NULL);
  CU_ASSERT_STRING_EQUAL (after, before);
}

/* Starts nnrun sweep without waiting; its pid. */
static GPid
start_sweep (const char *path)
{
  const char *argv[] = { g_getenv ("NNRUN"), "sweep", path, "-j", "1", NULL };
  g_autoptr(GError) error = NULL;
  GPid pid = 0;

  g_spawn_async (NULL, (char **) argv, NULL,
                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                   G_SPAWN_STDERR_TO_DEV_NULL,
                 NULL, NULL, &pid, &error);
  NN_ASSERT_NO_ERROR (error);
  return pid;
}

static guint
csv_lines (const char *csv)
{
  g_autofree char *text = NULL;

  g_file_get_contents (csv, &text, NULL, NULL);
  return count_lines (text);
}

static void
test_kill_then_rerun_finishes_the_rest (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_experiment (dir, 1500);
  g_autofree char *path = write_grid (dir, "grid.yaml", "killed");
  g_autofree char *whole = write_grid (dir, "whole.yaml", "whole");
  g_autofree char *csv = g_build_filename (dir, "killed", "trials.csv", NULL);
  g_autofree char *out = NULL, *err = NULL, *whole_out = NULL;
  g_autofree char *killed_dir = g_build_filename (dir, "killed", NULL);
  g_autofree char *whole_dir = g_build_filename (dir, "whole", NULL);
  g_autofree char *got = NULL, *want = NULL;
  GPid             pid = start_sweep (path);
  gint64           deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  guint            before, runs = 0;
  int              wait_status, status;

  (void) exp; /* the file the sweep or experiment names */
  /* Killed once two trials are recorded, with the third under way. */
  while (csv_lines (csv) < 3 && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  kill (pid, SIGKILL);
  waitpid (pid, &wait_status, 0);
  g_spawn_close_pid (pid);
  before = csv_lines (csv) - 1;
  NN_CHECK (before >= 2 && before < 9, "%u trials recorded when killed", before);

  status = nn_test_nnrun (&out, &err, "sweep", path, "-j", "2", "--json", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  for (const char *c = out; (c = strstr (c, "\"event\":\"run\"")) != NULL; c++)
    runs++;
  NN_CHECK (runs == 9 - before, "the rerun ran %u trials; %u were recorded", runs, before);
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (&whole_out, &err, "sweep", whole, "-j", "2", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  got = rows_without_seconds (killed_dir);
  want = rows_without_seconds (whole_dir);
  NN_CHECK (count_lines (want) == 9, "uninterrupted:\n%s", want);
  NN_CHECK (g_str_equal (got, want), "killed and rerun:\n%s\nuninterrupted:\n%s", got, want);
}

/* A run another process holds (its claim locked) is left to it; the sweep
 * then has no complete record to rank and says so. */
static void
test_a_run_held_elsewhere_is_not_done (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_experiment (dir, 50);
  g_autofree char *path = write_grid (dir, "grid.yaml", "held");
  g_autofree char *trials = g_build_filename (dir, "held", "trials", NULL);
  g_autofree char *claim = g_build_filename (trials, "0004.claim", NULL);
  g_autofree char *best = g_build_filename (dir, "held", "best.yaml", NULL);
  g_autofree char *out = NULL, *err = NULL;
  int              fd, status;

  (void) exp; /* the file the sweep names */
  g_mkdir_with_parents (trials, 0755);
  fd = open (claim, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  CU_ASSERT_FATAL (fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) == 0);
  status = nn_test_nnrun (&out, &err, "sweep", path, "-j", "2", NULL);
  NN_ASSERT_STATUS (status, 1, err);
  NN_ASSERT_CONTAINS (err, "1 run is not recorded: another process has it under way");
  CU_ASSERT_FALSE (g_file_test (best, G_FILE_TEST_EXISTS));
  close (fd);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (&out, &err, "sweep", path, "-j", "2", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  CU_ASSERT_TRUE (g_file_test (best, G_FILE_TEST_EXISTS));
}

static void
test_sigterm_records_no_run_under_way (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_experiment (dir, 3000);
  g_autofree char *path = write_grid (dir, "grid.yaml", "stopped");
  g_autofree char *csv = g_build_filename (dir, "stopped", "trials.csv", NULL);
  g_autofree char *text = NULL;
  GPid             pid = start_sweep (path);
  gint64           deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  guint            before;
  int              wait_status = 0;

  (void) exp; /* the file the sweep or experiment names */
  while (csv_lines (csv) < 2 && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  before = csv_lines (csv);
  kill (pid, SIGTERM);
  waitpid (pid, &wait_status, 0);
  g_spawn_close_pid (pid);
  NN_CHECK (WIFEXITED (wait_status) && WEXITSTATUS (wait_status) == 1,
            "the stopped sweep ended with wait status %d", wait_status);
  g_file_get_contents (csv, &text, NULL, NULL);
  /* The run under way when the signal came has no row, failed or other. */
  NN_CHECK (csv_lines (csv) <= before + 1 && csv_lines (csv) < 10 &&
              strstr (text, ",failed,") == NULL && strstr (text, "interrupted") == NULL,
            "trials.csv after SIGTERM (%u lines before):\n%s", before, text);
}

static void
test_trial_processes_record_each_row_once (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_experiment (dir, 1000);
  g_autofree char *path = write_grid (dir, "grid.yaml", "array");
  g_autofree char *csv = g_build_filename (dir, "array", "trials.csv", NULL);
  g_autofree char *sweep_dir = g_build_filename (dir, "array", NULL);
  g_autofree char *rows = NULL, *out = NULL, *err = NULL;
  GPid             pids[12];
  int              status;

  (void) exp; /* the file the sweep or experiment names */
  /* An array of tasks, trial 4 given to three of them at once. */
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++)
    {
      g_autofree char *trial = g_strdup_printf ("%u", i < 9 ? i : 4);
      const char      *argv[] = { g_getenv ("NNRUN"), "sweep", path, "--trial", trial, NULL };
      g_autoptr(GError) error = NULL;

      g_spawn_async (NULL, (char **) argv, NULL,
                     G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                       G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &pids[i], &error);
      NN_ASSERT_NO_ERROR (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (pids); i++)
    {
      int wait_status;

      waitpid (pids[i], &wait_status, 0);
      g_spawn_close_pid (pids[i]);
    }
  rows = rows_without_seconds (sweep_dir);
  NN_CHECK (csv_lines (csv) == 10, "trials.csv:\n%s", rows);
  /* The tasks given trial 4 with it under way leave it to the one running it. */
  NN_CHECK (strstr (rows, ",failed,") == NULL, "trials.csv:\n%s", rows);
  for (guint t = 0; t < 9; t++)
    {
      g_autofree char *prefix = g_strdup_printf ("\n%u,0,", t);
      g_autofree char *text = g_strconcat ("\n", rows, NULL);
      const char      *first = strstr (text, prefix);

      NN_CHECK (first != NULL && strstr (first + 1, prefix) == NULL,
                "trial %u recorded %s:\n%s", t, first ? "twice" : "never", rows);
    }
  /* Everything recorded: a whole sweep now runs nothing. */
  status = nn_test_nnrun (&out, &err, "sweep", path, "--json", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  NN_ASSERT_CONTAINS (out, "\"event\":\"best\"");
  CU_ASSERT_PTR_NULL (strstr (out, "\"event\":\"run\""));
}

static void
test_a_failed_trial_is_recorded_and_the_rest_run (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = write_experiment (dir, 30);
  g_autofree char *out_dir = g_build_filename (dir, "diverging", NULL);
  g_autofree char *text = g_strdup_printf (
    "experiment: experiment.yaml\n"
    "parameters:\n"
    "  optimizer.learning_rate: {values: [0.1, 1.0e+300, 0.05]}\n"
    "metric: val_loss\n"
    "output: {dir: '%s'}\n",
    out_dir);
  g_autofree char *path = nn_test_write_file (dir, "diverging.yaml", text);
  g_autofree char *out = NULL, *err = NULL, *rows = NULL;
  g_autofree char *csv = g_build_filename (out_dir, "trials.csv", NULL);
  const char      *last;
  int              status = nn_test_nnrun (&out, &err, "sweep", path, "-j", "1", NULL);

  (void) exp; /* the file the sweep or experiment names */
  NN_ASSERT_STATUS (status, 1, err);
  g_file_get_contents (csv, &rows, NULL, NULL);
  NN_CHECK (count_lines (rows) == 4, "trials.csv:\n%s", rows);
  NN_ASSERT_CONTAINS (rows, "\n0,0,0.1,");
  NN_ASSERT_CONTAINS (rows, "\n1,0,1.0e+300,,,,,");
  NN_ASSERT_CONTAINS (rows, ",diverged,\"epoch 1, batch ");
  NN_ASSERT_CONTAINS (rows, ": the update made a weight of layer");
  NN_ASSERT_CONTAINS (rows, "\n2,0,0.05,");
  /* The table puts the diverged trial last, with no run that succeeded. */
  last = g_strrstr_len (out, (gssize) strlen (out) - 1, "\n");
  NN_CHECK (last != NULL && g_str_has_prefix (last + 1, "1 ") && strstr (last, " 0/1") != NULL,
            "table:\n%s", out);
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("A sweep file gives its trials", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "a grid is the product of the values, the last key fastest",
               test_grid_is_the_product_in_file_order);
  CU_add_test (suite, "random trials come from the seed and stay in their ranges",
               test_random_is_seeded_and_in_range);
  CU_add_test (suite, "configs/iris-sweep.yaml is a 3x3 grid of configs/iris.yaml",
               test_shipped_sweep_is_a_3x3_grid);
  /* Registered only where Debian's dataset-fashion-mnist is installed. */
  if (g_file_test ("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
                   G_FILE_TEST_EXISTS))
    CU_add_test (suite, "configs/fashion-mnist-sweep.yaml is a 2x2 grid with test metrics",
                 test_shipped_fashion_mnist_sweep);
  else
    g_printerr ("fashion-mnist-sweep.yaml not tested: install dataset-fashion-mnist\n");
  CU_add_test (suite, "the check reads data the trials share once, and other data too",
               test_check_reads_shared_data_once);
  CU_add_test (suite, "bad input exits 2 and names FILE:LINE:COL",
               test_bad_sweeps_name_their_place);

  suite = CU_add_suite ("nnrun sweep runs and records trials", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "a 3x3 grid equals 9 runs of nnrun train --set",
               test_grid_runs_equal_nnrun_train);
  CU_add_test (suite, "-j 2 records the rows of -j 1", test_jobs_give_the_same_rows);
  CU_add_test (suite, "a sweep directory of another sweep is refused, untouched",
               test_another_sweeps_record_is_refused);
  CU_add_test (suite, "the runs of a trial train with successive seeds",
               test_repeats_train_with_successive_seeds);
  CU_add_test (suite, "a run another process holds leaves the sweep unfinished, exit 1",
               test_a_run_held_elsewhere_is_not_done);
  CU_add_test (suite, "kill -9, then a rerun finishes only the missing trials",
               test_kill_then_rerun_finishes_the_rest);
  CU_add_test (suite, "SIGTERM stops the sweep and records no run under way",
               test_sigterm_records_no_run_under_way);
  CU_add_test (suite, "--trial processes at once record each row once",
               test_trial_processes_record_each_row_once);
  CU_add_test (suite, "a diverged trial is recorded and the others run",
               test_a_failed_trial_is_recorded_and_the_rest_run);

  return nn_test_run ();
}
