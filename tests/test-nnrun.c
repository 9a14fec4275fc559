/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The nnrun command line, run as a user would: exit statuses, what it
 * prints, and what it leaves on disk (SPEC §3, §4). */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include <glib/gstdio.h>
#include <glib-unix.h>

#include <json-glib/json-glib.h>

#include "nn-test.h"

enum {
  EXIT_OK = 0,
  EXIT_RUN_FAILED = 1,
  EXIT_BAD_INPUT = 2,
  EXIT_CRASHED = -1,
};

/* Helpers */

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", "NN_SOURCE_ROOT", NULL);
}

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; p && *p; p++)
    n += *p == '\n';
  return n;
}

static guint
history_rows (const char *run_dir)
{
  g_autofree char *path = g_build_filename (run_dir, "history.csv", NULL);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  return count_lines (text) - 1; /* the header */
}

/* What a successful lesson run prints and writes. */
static void
check_lesson_run (int         status,
                  const char *out,
                  const char *err,
                  const char *run)
{
  g_auto(GStrv) lines = g_strsplit (out ? out : "", "\n", -1);
  g_autofree char *epochs_run = nn_test_summary_member (run, "epochs_run");
  g_autofree char *stop_reason = nn_test_summary_member (run, "stop_reason");
  g_autofree char *history = g_build_filename (run, "history.csv", NULL);
  g_autofree char *summary = g_build_filename (run, "summary.json", NULL);
  guint            n_epoch_lines = 0;
  gboolean         summary_line = FALSE;

  NN_ASSERT_STATUS (status, EXIT_OK, err);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "epoch"))
        {
          n_epoch_lines++;
          NN_ASSERT_CONTAINS (lines[i], "loss");
        }
      if (g_str_has_prefix (lines[i], "done: 100 epochs"))
        summary_line = TRUE;
    }
  CU_ASSERT_TRUE (n_epoch_lines >= 2);
  CU_ASSERT_TRUE (summary_line);
  CU_ASSERT_TRUE (g_file_test (history, G_FILE_TEST_IS_REGULAR));
  CU_ASSERT_TRUE (g_file_test (summary, G_FILE_TEST_IS_REGULAR));
  CU_ASSERT_EQUAL (history_rows (run), 100);
  CU_ASSERT_STRING_EQUAL (epochs_run ? epochs_run : "(none)", "100");
  CU_ASSERT_STRING_EQUAL (stop_reason ? stop_reason : "(none)", "completed");
}

/* nnrun train */

/* train.precision: bf16 where bf16 products would be emulated (oneDNN held
 * to AVX-512 without BF16, or a build without oneDNN): the run and the
 * bench refuse it with the reason, exit 2, and write nothing. */
static void
test_bf16_refused_without_hardware (void)
{
  static const char yaml[] =
    "seed: 2\n"
    "data: {source: iris, task: multiclass}\n"
    "model: {layers: [{units: 3, activation: softmax}]}\n"
    "train:\n"
    "  epochs: 2\n"
    "  precision: bf16\n";
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "bf16.yaml", yaml);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *where = g_strdup_printf ("%s:6:14: error: precision bf16 is not available",
                                            experiment);
  g_autofree char *err = NULL;
  g_autofree char *bench_err = NULL;
  int              status, bench_status;

  g_setenv ("ONEDNN_MAX_CPU_ISA", "AVX512_CORE", TRUE);
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", run, NULL);
  bench_status = nn_test_nnrun (NULL, &bench_err, "bench", "w1", "--precision", "bf16", NULL);
  g_unsetenv ("ONEDNN_MAX_CPU_ISA");

  NN_ASSERT_STATUS (status, EXIT_BAD_INPUT, err);
  CU_ASSERT_PTR_NOT_NULL (strstr (err, where));
  CU_ASSERT_FALSE (g_file_test (run, G_FILE_TEST_EXISTS));
  NN_ASSERT_STATUS (bench_status, EXIT_BAD_INPUT, bench_err);
  CU_ASSERT_PTR_NOT_NULL (strstr (bench_err, "--precision bf16 is not available"));
}

static void
test_train_lesson (void)
{
  g_autofree char *config = nn_test_source_file ("configs/lesson.yaml");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_nnrun (&out, &err, "train", config, "--out", run, NULL);

  check_lesson_run (status, out, err, run);
}

static void
test_train_without_command_word (void)
{
  g_autofree char *config = nn_test_source_file ("configs/lesson.yaml");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_nnrun (&out, &err, config, "--out", run, NULL);

  check_lesson_run (status, out, err, run);
}

static void
test_quiet (void)
{
  g_autofree char *config = nn_test_source_file ("configs/lesson.yaml");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_nnrun (&out, &err, "train", "--quiet", config, "--out", run, NULL);

  NN_ASSERT_STATUS (status, EXIT_OK, err);
  CU_ASSERT_STRING_EQUAL (out ? out : "(null)", "");
  CU_ASSERT_EQUAL (history_rows (run), 100);
}

/* --threads takes a count of threads for the matrix products; the lesson's
 * products are small enough that the BLAS keeps them on one thread, so the
 * weights come out the same, byte for byte. */
static void
test_threads (void)
{
  g_autofree char *config = nn_test_source_file ("configs/lesson.yaml");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *one = g_build_filename (dir, "one", NULL);
  g_autofree char *two = g_build_filename (dir, "two", NULL);
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *weights_one = g_build_filename (one, "model.safetensors", NULL);
  g_autofree char *weights_two = g_build_filename (two, "model.safetensors", NULL);
  int              status = nn_test_nnrun (NULL, &err, "train", "--quiet", "--threads", "1", config,
                                           "--out", one, NULL);
  int              status2 = nn_test_nnrun (NULL, &err2, "train", "--quiet", "-t", "2", config,
                                            "--out", two, NULL);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  gsize            len_a = 0, len_b = 0;

  NN_ASSERT_STATUS (status, EXIT_OK, err);
  NN_ASSERT_STATUS (status2, EXIT_OK, err2);
  CU_ASSERT_TRUE_FATAL (g_file_get_contents (weights_one, &a, &len_a, NULL) &&
                        g_file_get_contents (weights_two, &b, &len_b, NULL));
  CU_ASSERT (len_a == len_b && memcmp (a, b, len_a) == 0);
}

/* Bad input */

static void
test_bad_experiment_file (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *config = nn_test_write_file (dir, "bad.yaml",
                                                "data:\n"
                                                "  source: iris\n"
                                                "  positive: setosa\n"
                                                "model:\n"
                                                "  layers:\n"
                                                "    - {units: abc, activation: sigmoid}\n");
  g_autofree char *where = g_strconcat (config, ":6:15: error:", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_nnrun (&out, &err, "train", config, "--out", run, NULL);

  NN_ASSERT_STATUS (status, EXIT_BAD_INPUT, err);
  NN_ASSERT_CONTAINS (err, where);
  CU_ASSERT_FALSE (g_file_test (run, G_FILE_TEST_EXISTS));
}

static void
test_bad_data_file (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *csv = nn_test_write_file (dir, "data.csv", "a,b,y\n1,2,x\n3,four,y\n");
  g_autofree char *config = nn_test_write_file (dir, "bad-data.yaml",
                                                "data: {source: {csv: data.csv, target: y}}\n"
                                                "model:\n"
                                                "  layers:\n"
                                                "    - {units: 1, activation: sigmoid}\n");
  g_autofree char *where = g_strconcat (csv, ":3:3: error:", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_nnrun (&out, &err, config, "--out", run, NULL);

  NN_ASSERT_STATUS (status, EXIT_BAD_INPUT, err);
  NN_ASSERT_CONTAINS (err, where);
  CU_ASSERT_FALSE (g_file_test (run, G_FILE_TEST_EXISTS));
}

static void
test_usage_errors (void)
{
  g_autofree char *config = nn_test_source_file ("configs/lesson.yaml");
  struct
  {
    const char *what;
    const char *args[4];
  } cases[] = {
    { "no arguments", { NULL } },
    { "an unknown command", { "frobnicate", NULL } },
    { "train without a file", { "train", NULL } },
    { "train with two files", { "train", config, config, NULL } },
    { "an unknown option", { "train", "--no-such-option", config, NULL } },
    { "no threads", { "train", "--threads=0", config, NULL } },
    { "too many threads", { "train", "--threads=1000", config, NULL } },
    { "threads that are not a number", { "train", "--threads=two", config, NULL } },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int              status = nn_test_nnrun_argv (&out, &err, cases[i].args);

      NN_CHECK (status == EXIT_BAD_INPUT, "%s: exit status %d, expected 2", cases[i].what,
                status);
      NN_CHECK (err != NULL && *err != '\0', "%s: nothing on stderr", cases[i].what);
    }
}

static void
test_help (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *train_out = NULL;
  g_autofree char *train_err = NULL;
  int              status = nn_test_nnrun (&out, &err, "--help", NULL);
  int              train_status = nn_test_nnrun (&train_out, &train_err, "train", "--help", NULL);

  NN_ASSERT_STATUS (status, EXIT_OK, err);
  NN_ASSERT_CONTAINS (out, "Usage");
  NN_ASSERT_CONTAINS (out, "train");
  NN_ASSERT_STATUS (train_status, EXIT_OK, train_err);
  NN_ASSERT_CONTAINS (train_out, "--out");
  NN_ASSERT_CONTAINS (train_out, "--quiet");
}

/* Failed runs */

static void
test_diverging_run (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *stop_reason = NULL;
  g_autofree char *epochs_run = NULL;
  g_autofree char *history = g_build_filename (run, "history.csv", NULL);
  g_autofree char *summary = g_build_filename (run, "summary.json", NULL);
  g_autofree char *config = NULL;
  int              status;

  /* Targets in the thousands and a step of 1e30 overflow in a step or two. */
  g_free (nn_test_write_file (dir, "line.csv",
                              "x,y\n1,1000\n2,2000\n3,3000\n4,4000\n5,5000\n6,6000\n"));
  config = nn_test_write_file (dir, "diverge.yaml",
                               "data:\n"
                               "  source: {csv: line.csv, target: y}\n"
                               "  split: {validation: 0.0}\n"
                               "model:\n"
                               "  layers:\n"
                               "    - {units: 1, activation: linear}\n"
                               "loss: mean_squared_error\n"
                               "optimizer: {name: sgd, learning_rate: 1e30}\n"
                               "train: {epochs: 50}\n");
  status = nn_test_nnrun (&out, &err, "train", config, "--out", run, NULL);

  NN_ASSERT_STATUS (status, EXIT_RUN_FAILED, err);
  CU_ASSERT_TRUE (err != NULL && (strstr (err, "diverged") || strstr (err, "NaN") ||
                                  strstr (err, "nan") || strstr (err, "inf")));
  CU_ASSERT_TRUE (g_file_test (history, G_FILE_TEST_IS_REGULAR));
  CU_ASSERT_TRUE (g_file_test (summary, G_FILE_TEST_IS_REGULAR));
  stop_reason = nn_test_summary_member (run, "stop_reason");
  epochs_run = nn_test_summary_member (run, "epochs_run");
  CU_ASSERT_STRING_EQUAL (stop_reason ? stop_reason : "(none)", "diverged");
  /* The history holds the epochs that finished, and no more. */
  CU_ASSERT_PTR_NOT_NULL_FATAL (epochs_run);
  CU_ASSERT_EQUAL (history_rows (run), (guint) g_ascii_strtoull (epochs_run, NULL, 10));
  CU_ASSERT_TRUE (history_rows (run) < 50);
}

static void
test_unwritable_output (void)
{
  g_autofree char *config = nn_test_source_file ("configs/lesson.yaml");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *file = nn_test_write_file (dir, "a-file", "not a folder\n");
  g_autofree char *run = g_build_filename (file, "run", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_nnrun (&out, &err, "train", config, "--out", run, NULL);

  NN_ASSERT_STATUS (status, EXIT_RUN_FAILED, err);
  NN_ASSERT_CONTAINS (err, run);
  CU_ASSERT_TRUE (g_file_test (file, G_FILE_TEST_IS_REGULAR));
}

static void
test_validate_prints_resolved (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *lesson = nn_test_source_file ("configs/lesson.yaml");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *saved = NULL;
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *out2 = NULL;
  int              status;

  status = nn_test_nnrun (&out, &err, "validate", lesson, "--set", "train.epochs=4",
                          "--set", "optimizer.learning_rate=0.3", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  NN_ASSERT_CONTAINS (out, "epochs: 4");
  NN_ASSERT_CONTAINS (out, "learning_rate: 0.3");
  NN_ASSERT_CONTAINS (out, "task: binary");
  /* Nothing was trained or written. */
  CU_ASSERT_FALSE (g_file_test ("runs", G_FILE_TEST_EXISTS));

  /* The printed experiment runs, and the run saves it as config.yaml. */
  saved = nn_test_write_file (dir, "resolved.yaml", out);
  status = nn_test_nnrun (&out2, NULL, "train", saved, "--quiet", "--out", run, NULL);
  NN_ASSERT_STATUS (status, 0, NULL);
  CU_ASSERT_EQUAL (history_rows (run), 4);
  {
    g_autofree char *config = NULL;
    g_autofree char *path = g_build_filename (run, "config.yaml", NULL);
    CU_ASSERT_TRUE (g_file_get_contents (path, &config, NULL, NULL));
    NN_ASSERT_CONTAINS (config, "learning_rate: 0.3");
  }
}

static void
test_set_errors_exit_2 (void)
{
  g_autofree char *err = NULL;
  g_autofree char *lesson = nn_test_source_file ("configs/lesson.yaml");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  int              status;

  status = nn_test_nnrun (NULL, &err, "train", lesson, "--out", run,
                          "--set", "model.layers.0.units=many", NULL);
  NN_ASSERT_STATUS (status, 2, err);
  NN_ASSERT_CONTAINS (err, "--set model.layers.0.units=many: error:");
  CU_ASSERT_FALSE (g_file_test (run, G_FILE_TEST_EXISTS));

  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (NULL, &err, "validate", lesson, "--set", "train.epoch=3", NULL);
  NN_ASSERT_STATUS (status, 2, err);
  NN_ASSERT_CONTAINS (err, "did you mean 'epochs'?");
}

static void
test_warnings_go_to_stderr (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *lesson = nn_test_source_file ("configs/lesson.yaml");
  int              status;

  status = nn_test_nnrun (&out, &err, "validate", lesson, "--set",
                          "model.layers.1.activation=softmax", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  NN_ASSERT_CONTAINS (err, ": warning: binary_crossentropy after a softmax output");
  CU_ASSERT_PTR_NULL (strstr (out, "warning"));
}

static void
test_json_progress (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *lesson = nn_test_source_file ("configs/lesson.yaml");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_auto(GStrv) lines = NULL;
  guint epochs = 0, summaries = 0;
  int   status;

  status = nn_test_nnrun (&out, &err, "train", lesson, "--json", "--out", run,
                          "--set", "train.epochs=6", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      JsonObject *o;

      CU_ASSERT_TRUE_FATAL (json_parser_load_from_data (parser, lines[i], -1, &error));
      o = json_node_get_object (json_parser_get_root (parser));
      CU_ASSERT_PTR_NOT_NULL_FATAL (o);
      if (g_str_equal (json_object_get_string_member (o, "event"), "epoch"))
        {
          epochs++;
          CU_ASSERT_EQUAL (json_object_get_int_member (o, "epoch"), epochs);
          CU_ASSERT (json_object_get_double_member (o, "loss") > 0);
          CU_ASSERT_TRUE (json_object_has_member (o, "accuracy"));
        }
      else
        {
          summaries++;
          CU_ASSERT_STRING_EQUAL (json_object_get_string_member (o, "event"), "summary");
          CU_ASSERT_EQUAL (json_object_get_int_member (o, "epochs_run"), 6);
          CU_ASSERT_STRING_EQUAL (json_object_get_string_member (o, "stop_reason"), "completed");
          CU_ASSERT_TRUE (json_object_has_member (o, "final"));
        }
    }
  CU_ASSERT_EQUAL (epochs, 6);
  CU_ASSERT_EQUAL (summaries, 1);

  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (NULL, &err, "train", lesson, "--json", "--quiet", NULL);
  NN_ASSERT_STATUS (status, 2, err);
}

/* Sends @signum to a training nnrun once it has printed its first epoch;
 * returns its exit status. */
static int
interrupt_run (const char *experiment,
               const char *run,
               int         signum)
{
  const char *argv[] = { "/bin/sh", "-c", "exec \"$0\" \"$@\"",
                         g_getenv ("NNRUN"), "train", experiment, "--json", "--out", run, NULL };
  /* A process killed outright cannot report to a memory checker wrapping
   * it (tests/valgrind/run), which leaves what /bin/sh starts alone; sh
   * execs nnrun, so @signum still goes to nnrun. */
  const char * const *args = signum == SIGKILL ? argv : argv + 3;
  g_autoptr(GIOChannel) out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *cwd = g_path_get_dirname (run);
  GPid             pid;
  int              out_fd, status = 0;

  if (!g_spawn_async_with_pipes (cwd, (char **) args, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 NULL, NULL, &pid, NULL, &out_fd, NULL, NULL))
    return EXIT_CRASHED;
  out = g_io_channel_unix_new (out_fd);
  g_io_channel_set_close_on_unref (out, TRUE);
  g_io_channel_read_line (out, &line, NULL, NULL, NULL);
  g_clear_pointer (&line, g_free);
  kill (pid, signum);
  while (g_io_channel_read_line (out, &line, NULL, NULL, NULL) == G_IO_STATUS_NORMAL)
    g_clear_pointer (&line, g_free);
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);
  return WIFEXITED (status) ? WEXITSTATUS (status) : EXIT_CRASHED;
}

static void
test_interrupt_and_resume (void)
{
  static const char yaml[] =
    "seed: 2\n"
    "data: {source: iris, task: multiclass, scale: minmax, split: {validation: 0.2}}\n"
    "model: {layers: [{units: 8, activation: tanh}, {units: 3, activation: softmax}]}\n"
    "optimizer: {name: adam, learning_rate: 0.001}\n"
    "train: {epochs: 1500, batch_size: 1}\n";
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "long.yaml", yaml);
  int              signals[] = { SIGINT, SIGTERM };

  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    {
      g_autofree char *name = g_strdup_printf ("run%u", i);
      g_autofree char *run = g_build_filename (dir, name, NULL);
      g_autofree char *reason = NULL;
      g_autofree char *checkpoint = g_build_filename (run, "checkpoint.nnckpt", NULL);
      g_autofree char *err = NULL;
      guint            rows;
      int              status;

      status = interrupt_run (experiment, run, signals[i]);
      NN_ASSERT_STATUS (status, EXIT_RUN_FAILED, NULL);
      reason = nn_test_summary_member (run, "stop_reason");
      CU_ASSERT_STRING_EQUAL (reason ? reason : "(none)", "interrupted");
      CU_ASSERT_TRUE (g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR));
      rows = history_rows (run);
      CU_ASSERT (rows >= 1 && rows < 1500);

      status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run, NULL);
      NN_ASSERT_STATUS (status, EXIT_OK, err);
      CU_ASSERT_EQUAL (history_rows (run), 1500);
      g_clear_pointer (&reason, g_free);
      reason = nn_test_summary_member (run, "stop_reason");
      CU_ASSERT_STRING_EQUAL (reason ? reason : "(none)", "completed");
    }
}

/* Full-batch Iris, a checkpoint every epoch, and more JSON lines than a
 * pipe holds: a run whose output is not read stops part way. */
static const char killable[] =
  "seed: 3\n"
  "data: {source: iris, task: multiclass, scale: minmax, split: {validation: 0.2}}\n"
  "model: {layers: [{units: 8, activation: tanh}, {units: 3, activation: softmax}]}\n"
  "optimizer: {name: adam, learning_rate: 0.01}\n"
  "train: {epochs: 1000, checkpoint_every: 1}\n";

static void
test_killed_run_leaves_previous_run_and_resumes (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "killable.yaml", killable);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *whole = g_build_filename (dir, "whole", NULL);
  g_autofree char *staging = g_strconcat (run, ".partial", NULL);
  g_autofree char *staged_checkpoint = g_build_filename (staging, "checkpoint.nnckpt", NULL);
  g_autofree char *err = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *ha = NULL;
  g_autofree char *hb = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GHashTable) resumed = NULL;
  g_autoptr(GHashTable) uninterrupted = NULL;
  GBytes *wa, *wb;
  int     status;

  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", run,
                          "--set", "train.epochs=3", NULL);
  NN_ASSERT_STATUS (status, EXIT_OK, err);
  before = nn_test_snapshot_dir (run);
  CU_ASSERT_EQUAL (g_hash_table_size (before), 10); /* the manifest .nn-run included */

  status = interrupt_run (experiment, run, SIGKILL);
  CU_ASSERT_EQUAL (status, EXIT_CRASHED);
  after = nn_test_snapshot_dir (run);
  NN_ASSERT_SAME_FILES (before, after);
  CU_ASSERT_TRUE (g_file_test (staged_checkpoint, G_FILE_TEST_IS_REGULAR));

  /* The rest of the run, and the run left alone, need no checkpoints. */
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run,
                          "--set", "train.checkpoint_every=0", NULL);
  NN_ASSERT_STATUS (status, EXIT_OK, err);
  CU_ASSERT_FALSE (g_file_test (staging, G_FILE_TEST_EXISTS));
  reason = nn_test_summary_member (run, "stop_reason");
  CU_ASSERT_STRING_EQUAL (reason ? reason : "(none)", "completed");
  CU_ASSERT_EQUAL (history_rows (run), 1000);

  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", whole,
                          "--set", "train.checkpoint_every=0", NULL);
  NN_ASSERT_STATUS (status, EXIT_OK, err);
  ha = nn_test_history_without_seconds (whole);
  hb = nn_test_history_without_seconds (run);
  CU_ASSERT_STRING_EQUAL (ha, hb);
  uninterrupted = nn_test_snapshot_dir (whole);
  resumed = nn_test_snapshot_dir (run);
  wa = g_hash_table_lookup (uninterrupted, "model.safetensors");
  wb = g_hash_table_lookup (resumed, "model.safetensors");
  CU_ASSERT_TRUE (wa != NULL && wb != NULL && g_bytes_equal (wa, wb));
}

/* A checkpoint that is not one is bad input, whether in the run directory
 * or left staged by a killed run (which --resume prefers). */
static void
test_resume_from_bad_checkpoint_exits_2 (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "killable.yaml", killable);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *staging = g_strconcat (run, ".partial", NULL);
  g_autofree char *checkpoint = g_build_filename (run, "checkpoint.nnckpt", NULL);
  g_autofree char *staged = g_build_filename (staging, "checkpoint.nnckpt", NULL);
  g_autofree char *err = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  int status;

  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", run,
                          "--set", "train.epochs=2", NULL);
  NN_ASSERT_STATUS (status, EXIT_OK, err);
  CU_ASSERT_TRUE (g_file_set_contents (checkpoint, "not a checkpoint\n", -1, NULL));
  before = nn_test_snapshot_dir (run);

  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run, NULL);
  NN_ASSERT_STATUS (status, EXIT_BAD_INPUT, err);
  NN_ASSERT_CONTAINS (err, checkpoint);
  after = nn_test_snapshot_dir (run);
  NN_ASSERT_SAME_FILES (before, after);
  CU_ASSERT_FALSE (g_file_test (staging, G_FILE_TEST_EXISTS));

  CU_ASSERT_EQUAL (g_mkdir (staging, 0700), 0);
  CU_ASSERT_TRUE (g_file_set_contents (staged, "nnckpt\n", 8, NULL));
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run, NULL);
  NN_ASSERT_STATUS (status, EXIT_BAD_INPUT, err);
  NN_ASSERT_CONTAINS (err, staged);
}

/* A closed standard output */

/* In the child: SIGPIPE as a shell leaves it, whatever this test process
 * does with it, so that a write to a closed pipe would kill nnrun. */
static void
default_sigpipe (gpointer data)
{
  signal (SIGPIPE, SIG_DFL);
}

/* Runs nnrun with @args and @out_fd as its standard output; its standard
 * error goes to *@err. Returns its exit status, or EXIT_CRASHED. */
static int
nnrun_with_stdout (int                 out_fd,
                   char              **err,
                   const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GIOChannel) channel = NULL;
  g_autoptr(GError) error = NULL;
  GPid  pid;
  int   err_fd = -1, status = 0;
  gsize length;

  g_ptr_array_add (argv, (gpointer) g_getenv ("NNRUN"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv->pdata, NULL,
                                         G_SPAWN_DO_NOT_REAP_CHILD, default_sigpipe, NULL,
                                         -1, out_fd, -1, NULL, NULL, 0, &pid, NULL, NULL,
                                         &err_fd, &error))
    {
      *err = g_strdup (error->message);
      return EXIT_CRASHED;
    }
  channel = g_io_channel_unix_new (err_fd);
  g_io_channel_set_close_on_unref (channel, TRUE);
  g_io_channel_read_to_end (channel, err, &length, NULL);
  waitpid (pid, &status, 0);
  g_spawn_close_pid (pid);
  return WIFEXITED (status) ? WEXITSTATUS (status) : EXIT_CRASHED;
}

/* As `nnrun train ... | head -1` after head has gone: a pipe nobody
 * reads. */
static int
train_into_closed_pipe (const char *experiment,
                        const char *run,
                        const char *mode,
                        char      **err)
{
  const char *args[] = { "train", experiment, "--out", run, mode, NULL };
  int         fds[2];
  int         status;

  if (!g_unix_open_pipe (fds, FD_CLOEXEC, NULL))
    return EXIT_CRASHED;
  close (fds[0]);
  status = nnrun_with_stdout (fds[1], err, args);
  close (fds[1]);
  return status;
}

static void
check_whole_run (const char *run,
                 guint       epochs)
{
  static const char * const files[] = {
    "config.yaml", "history.csv", "summary.json", "model.yaml", "model.safetensors",
    "loss.svg", "loss.png", NULL
  };
  g_autofree char *staging = g_strconcat (run, ".partial", NULL);
  g_autofree char *stop_reason = nn_test_summary_member (run, "stop_reason");

  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (run, files[i], NULL);
      NN_CHECK (g_file_test (path, G_FILE_TEST_IS_REGULAR), "%s is missing", path);
    }
  CU_ASSERT_EQUAL (history_rows (run), epochs);
  CU_ASSERT_STRING_EQUAL (stop_reason ? stop_reason : "(none)", "completed");
  CU_ASSERT_FALSE (g_file_test (staging, G_FILE_TEST_EXISTS));
}

static void
test_closed_stdout_does_not_stop_a_run (void)
{
  static const char yaml[] =
    "data: {source: iris, split: {validation: 0.2}}\n"
    "model: {layers: [{units: 4, activation: tanh}, {units: 3, activation: softmax}]}\n"
    "train: {epochs: 20, batch_size: 16}\n";
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "exp.yaml", yaml);
  const char      *modes[] = { "--threads=1", "--json" }; /* plain text, JSON */

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autofree char *run = g_strdup_printf ("%s/run%u", dir, i);
      g_autofree char *err = NULL;
      int              status = train_into_closed_pipe (experiment, run, modes[i], &err);

      NN_ASSERT_STATUS (status, EXIT_OK, err);
      /* Nothing on stderr about the pipe, once or per epoch. */
      CU_ASSERT_STRING_EQUAL (err ? err : "(null)", "");
      check_whole_run (run, 20);
    }
}

/* Output that cannot be written for another reason (a full disk) is not
 * what a reader chose to miss: eval and predict fail; a run still keeps
 * its files, with a warning. */
static void
test_unwritable_stdout (void)
{
  static const char yaml[] =
    "data: {source: iris}\n"
    "model: {layers: [{units: 3, activation: softmax}]}\n"
    "train: {epochs: 3}\n";
  static const char csv[] =
    "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n";
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "exp.yaml", yaml);
  g_autofree char *rows = nn_test_write_file (dir, "rows.csv", csv);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  const char      *train[] = { "train", experiment, "--out", run, NULL };
  const char      *eval[] = { "eval", run, "iris", NULL };
  const char      *predict[] = { "predict", run, rows, NULL };
  int              full = g_open ("/dev/full", O_WRONLY | O_CLOEXEC, 0);
  g_autofree char *err = NULL;
  int              status;

  CU_ASSERT_TRUE_FATAL (full >= 0);
  status = nnrun_with_stdout (full, &err, train);
  NN_ASSERT_STATUS (status, EXIT_OK, err);
  NN_ASSERT_CONTAINS (err, "warning: cannot write to standard output");
  check_whole_run (run, 3);

  g_clear_pointer (&err, g_free);
  status = nnrun_with_stdout (full, &err, eval);
  NN_ASSERT_STATUS (status, EXIT_RUN_FAILED, err);
  NN_ASSERT_CONTAINS (err, "error: cannot write to standard output");

  g_clear_pointer (&err, g_free);
  status = nnrun_with_stdout (full, &err, predict);
  NN_ASSERT_STATUS (status, EXIT_RUN_FAILED, err);
  NN_ASSERT_CONTAINS (err, "error: cannot write to standard output");
  close (full);
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("nnrun trains an experiment", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "train lesson.yaml --out DIR prints epochs and a summary and writes the run",
               test_train_lesson);
  CU_add_test (suite, "an experiment file alone means train", test_train_without_command_word);
  CU_add_test (suite, "--quiet prints nothing on stdout", test_quiet);
  CU_add_test (suite, "--threads trains with the given number of threads", test_threads);
  CU_add_test (suite, "--json prints a JSON object per epoch and a summary", test_json_progress);

  suite = CU_add_suite ("nnrun rejects bad input with exit status 2", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "a bad experiment file names FILE:LINE:COLUMN and writes nothing",
               test_bad_experiment_file);
  CU_add_test (suite, "a bad data file names its cell and writes nothing", test_bad_data_file);
  CU_add_test (suite, "usage errors exit 2 with a message", test_usage_errors);
  CU_add_test (suite, "bf16 without bf16 hardware is refused with its reason",
               test_bf16_refused_without_hardware);
  CU_add_test (suite, "--help exits 0 with the usage", test_help);

  suite = CU_add_suite ("nnrun reports a failed run with exit status 1", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "a run that diverges still writes its history and summary",
               test_diverging_run);
  CU_add_test (suite, "a run folder that cannot be created fails the run",
               test_unwritable_output);

  suite = CU_add_suite ("nnrun stops on a signal and resumes", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "SIGINT or SIGTERM stops the run with its outputs, and --resume finishes it",
               test_interrupt_and_resume);
  CU_add_test (suite, "SIGKILL leaves the previous run and a staged checkpoint, "
                      "from which --resume finishes exactly",
               test_killed_run_leaves_previous_run_and_resumes);
  CU_add_test (suite, "--resume with a checkpoint that is not one exits 2",
               test_resume_from_bad_checkpoint_exits_2);

  suite = CU_add_suite ("nnrun outlives its standard output", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "a closed pipe on stdout, plain or --json: the run completes, exit 0",
               test_closed_stdout_does_not_stop_a_run);
  CU_add_test (suite, "a full disk on stdout fails eval and predict, not a run",
               test_unwritable_stdout);

  suite = CU_add_suite ("nnrun validate and --set", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "validate prints the resolved experiment, which then runs as printed",
               test_validate_prints_resolved);
  CU_add_test (suite, "a bad --set exits 2 naming the override, and writes nothing",
               test_set_errors_exit_2);
  CU_add_test (suite, "warnings go to stderr and do not stop the run",
               test_warnings_go_to_stderr);

  return nn_test_run ();
}
