/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Experiment runs over time: schedules, clipping and early stopping from
 * the file, interrupted runs that resume exactly, and a run directory that
 * a run replaces whole or not at all. */
#include <string.h>
#include <CUnit/CUnit.h>
#include <glib/gstdio.h>

#include "nn-test.h"

/* Helpers */

static int
init_suite (void)
{
  return nn_test_require_env ("NN_SOURCE_ROOT", NULL) || nn_test_init_plugins ();
}

/* ---- schedules, clipping, early stopping, checkpoints --------------------- */

static NnExperiment *
load_text (const char *dir,
           const char *text,
           GError    **error)
{
  g_autofree char *path = nn_test_write_file (dir, "e.yaml", text);

  return nn_experiment_new_from_file (path, error);
}

static void
test_schedule_sets_each_epochs_rate (void)
{
  static const char text[] =
    "data: {source: iris, positive: setosa}\n"
    "model: {layers: [{units: 1, activation: sigmoid}]}\n"
    "optimizer: {name: sgd, learning_rate: 0.4}\n"
    "train: {epochs: 6, schedule: {name: step, step_size: 2, gamma: 0.5}, clip_norm: 1.0}\n";
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autoptr(NnExperiment) e = load_text (dir, text, &error);
  g_auto(GStrv) rates = NULL;
  const char *expected[] = { "0.4", "0.4", "0.2", "0.2", "0.1", "0.1" };

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  nn_experiment_set_output_dir (e, run);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (e, NULL, &error));
  rates = nn_test_history_column (run, "learning_rate");
  CU_ASSERT_EQUAL_FATAL (g_strv_length (rates), 6);
  for (guint i = 0; i < 6; i++)
    NN_ASSERT_CMPFLOAT (g_ascii_strtod (rates[i], NULL), g_ascii_strtod (expected[i], NULL),
                        1e-12, 0);
  CU_ASSERT_EQUAL (nn_trainer_get_clip_norm (nn_experiment_get_trainer (e)), 1.0);
  {
    g_autofree char *yaml = nn_experiment_to_yaml (e);
    CU_ASSERT_PTR_NOT_NULL (strstr (yaml, "schedule: {name: step"));
    CU_ASSERT_PTR_NOT_NULL (strstr (yaml, "clip_norm: 1"));
  }
}

static void
test_bad_training_keys (void)
{
  const char      *head = "data: {source: iris, positive: setosa, split: {validation: 0.2}}\n"
                          "model: {layers: [{units: 1, activation: sigmoid}]}\n";
  g_autofree char *a = g_strconcat (head, "train: {schedule: cosin}\n", NULL);
  g_autofree char *b = g_strconcat (head, "train: {schedule: {name: step, gama: 2}}\n", NULL);
  g_autofree char *c = g_strconcat (head, "train: {clip_norm: -1}\n", NULL);
  g_autofree char *d = g_strconcat (head, "train: {early_stopping: {monitor: val_acc}}\n", NULL);
  g_autofree char *f = g_strconcat (head, "train: {early_stopping: {patience: many}}\n", NULL);

  NN_ASSERT_BAD_FILE (a, NN_CONFIG_ERROR_UNKNOWN_TYPE, 3, 19, "did you mean 'cosine'?");
  NN_ASSERT_BAD_FILE (b, NN_CONFIG_ERROR_UNKNOWN_KEY, 3, 32, "did you mean 'gamma'?");
  NN_ASSERT_BAD_FILE (c, NN_CONFIG_ERROR_INVALID_VALUE, 3, 20, "train.clip_norm");
  NN_ASSERT_BAD_FILE (d, NN_CONFIG_ERROR_INVALID_VALUE, 3, 35, "cannot monitor 'val_acc'");
  NN_ASSERT_BAD_FILE (f, NN_CONFIG_ERROR_INVALID_VALUE, 3, 36, "patience");
  /* Validation loss with no validation data. */
  NN_ASSERT_BAD_FILE ("data: {source: iris, positive: setosa}\n"
                      "model: {layers: [{units: 1, activation: sigmoid}]}\n"
                      "train: {early_stopping: {monitor: val_loss}}\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 3, 25, "no validation data");
}

static void
test_early_stopping_restores_best (void)
{
  /* A learning rate far too high makes the validation loss wander. */
  static const char text[] =
    "seed: 3\n"
    "data: {source: iris, task: multiclass, scale: minmax, split: {validation: 0.3}}\n"
    "model: {layers: [{units: 8, activation: relu}, {units: 3, activation: softmax}]}\n"
    "optimizer: {name: sgd, learning_rate: 0.5}\n"
    "train: {epochs: 400, batch_size: 8,\n"
    "        early_stopping: {monitor: val_loss, patience: 5, restore_best: true}}\n";
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autoptr(NnExperiment) e = load_text (dir, text, &error);
  g_auto(GStrv) val = NULL;
  g_autofree char *reason = NULL;
  double           best = G_MAXDOUBLE;
  guint            n;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  nn_experiment_set_output_dir (e, run);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (e, NULL, &error));
  val = nn_test_history_column (run, "val_loss");
  n = g_strv_length (val);
  CU_ASSERT (n < 400);
  reason = nn_test_summary_member (run, "stop_reason");
  CU_ASSERT_STRING_EQUAL (reason ? reason : "(none)", "early_stopping");
  for (guint i = 0; i < n; i++)
    best = MIN (best, g_ascii_strtod (val[i], NULL));
  /* The last five epochs did not improve on the best... */
  for (guint i = n - 5; i < n; i++)
    CU_ASSERT (g_ascii_strtod (val[i], NULL) >= best);
  /* ...whose weights are the final ones. */
  NN_ASSERT_CMPFLOAT (nn_experiment_get_final_metric (e, "validation", "loss"), best, 1e-9, 0);
}

static void
cancel_at_epoch (NnExperiment *e,
                 guint         epoch,
                 GCancellable *cancellable)
{
  if (epoch == 3)
    g_cancellable_cancel (cancellable);
}

static const char resumable[] =
  "seed: 5\n"
  "data: {source: iris, task: multiclass, scale: standard, split: {validation: 0.2}}\n"
  "model: {layers: [{units: 8, activation: tanh}, {units: 3, activation: softmax}]}\n"
  "optimizer: {name: adam, learning_rate: 0.01}\n"
  "train: {epochs: 8, batch_size: 16, shuffle: true, schedule: {name: cosine},\n"
  "        early_stopping: {monitor: val_accuracy, patience: 50}}\n";

static void
test_interrupted_run_resumes_exactly (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "e.yaml", resumable);
  g_autofree char *whole = g_build_filename (dir, "whole", NULL);
  g_autofree char *parts = g_build_filename (dir, "parts", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(NnExperiment) a = nn_experiment_new_from_file (path, &error);
  g_autoptr(NnExperiment) b = nn_experiment_new_from_file (path, &error);
  g_autoptr(NnExperiment) c = nn_experiment_new_from_file (path, &error);
  g_autofree char *reason = NULL;
  g_autofree char *ha = NULL;
  g_autofree char *hc = NULL;
  g_autofree char *wa = NULL;
  g_autofree char *wc = NULL;
  gsize            la = 0, lc = 0;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE_FATAL (a != NULL && b != NULL && c != NULL);

  nn_experiment_set_output_dir (a, whole);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (a, NULL, &error));

  nn_experiment_set_output_dir (b, parts);
  g_signal_connect (b, "epoch-finished", G_CALLBACK (cancel_at_epoch), cancellable);
  CU_ASSERT_FALSE (nn_experiment_run (b, cancellable, &error));
  NN_ASSERT_ERROR (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  reason = nn_test_summary_member (parts, "stop_reason");
  CU_ASSERT_STRING_EQUAL (reason ? reason : "(none)", "interrupted");
  CU_ASSERT_EQUAL (nn_experiment_get_epochs_run (b), 3);

  /* A fresh experiment from the same file continues the run. */
  CU_ASSERT_TRUE_FATAL (nn_experiment_resume (c, parts, &error));
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (c, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  ha = nn_test_history_without_seconds (whole);
  hc = nn_test_history_without_seconds (parts);
  CU_ASSERT_STRING_EQUAL (ha, hc);
  {
    g_autofree char *pa = g_build_filename (whole, "model.safetensors", NULL);
    g_autofree char *pc = g_build_filename (parts, "model.safetensors", NULL);
    CU_ASSERT_TRUE (g_file_get_contents (pa, &wa, &la, NULL));
    CU_ASSERT_TRUE (g_file_get_contents (pc, &wc, &lc, NULL));
    CU_ASSERT_TRUE (la == lc && memcmp (wa, wc, la) == 0);
  }
}

static void
test_resume_refuses_another_run (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "e.yaml", resumable);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autoptr(NnExperiment) a = nn_experiment_new_from_file (path, &error);
  g_autoptr(NnExperiment) other = NULL;
  g_autoptr(NnExperiment) none = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (a);
  nn_experiment_set_output_dir (a, run);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (a, NULL, &error));

  /* Another architecture. */
  other = nn_experiment_new_from_file_full (path, (const char *[]){ "model.layers.0.units=9", NULL },
                                            &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (other);
  CU_ASSERT_FALSE (nn_experiment_resume (other, run, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE);
  g_clear_error (&error);

  /* No checkpoint at all. */
  none = nn_experiment_new_from_file (path, &error);
  CU_ASSERT_FALSE (nn_experiment_resume (none, dir, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE);
}

/* ---- the run directory ------------------------------------------------------ */

/* The number of entries in @dir. */
static guint
snapshot_size (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static gboolean
same_file (GHashTable *a,
           GHashTable *b,
           const char *name)
{
  GBytes *x = g_hash_table_lookup (a, name);
  GBytes *y = g_hash_table_lookup (b, name);

  return x != NULL && y != NULL && g_bytes_equal (x, y);
}

/* Every file of @before is in @after with the same contents. */
static void
check_kept (GHashTable *before,
            GHashTable *after)
{
  GHashTableIter iter;
  gpointer       name;

  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    NN_CHECK (same_file (before, after, name), "%s changed", (const char *) name);
}

/* A scratch folder holding the resumable experiment, the run directory it
 * writes and that directory's staging sibling. */
typedef struct
{
  char *dir;
  char *path;    /* dir/e.yaml */
  char *run;     /* dir/run */
  char *staging; /* dir/run.partial */
} RunDirs;

static RunDirs
run_dirs_new (void)
{
  RunDirs d;

  d.dir = nn_test_new_dir ();
  d.path = nn_test_write_file (d.dir, "e.yaml", resumable);
  d.run = g_build_filename (d.dir, "run", NULL);
  d.staging = g_strconcat (d.run, ".partial", NULL);
  return d;
}

static void
run_dirs_clear (RunDirs *d)
{
  g_free (d->dir);
  g_free (d->path);
  g_free (d->run);
  g_free (d->staging);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RunDirs, run_dirs_clear)

static NnExperiment *
load_resumable (const char *path,
                const char *run,
                const char *override)
{
  g_autoptr(GError) error = NULL;
  const char   *overrides[] = { override, NULL };
  NnExperiment *e = nn_experiment_new_from_file_full (path, overrides, &error);

  NN_ASSERT_NO_ERROR (error);
  if (e != NULL)
    nn_experiment_set_output_dir (e, run);
  return e;
}

static gboolean
exists_in (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

typedef struct
{
  GCancellable *cancellable;
  guint         epoch;
} CancelAt;

static void
cancel_at (NnExperiment *e,
           guint         epoch,
           CancelAt     *at)
{
  if (epoch == at->epoch)
    g_cancellable_cancel (at->cancellable);
}

static void
test_run_replaces_previous_run_at_once (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(RunDirs) d = run_dirs_new ();
  g_autofree char *plot = g_build_filename (d.staging, "loss.svg", NULL);
  g_autoptr(NnExperiment) a = load_resumable (d.path, d.run, "train.epochs=2");
  g_autoptr(NnExperiment) b = load_resumable (d.path, d.run, NULL);
  g_autoptr(NnExperiment) c = load_resumable (d.path, d.run, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  CancelAt at = { cancellable, 3 };
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) waiting = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GHashTable) last = NULL;
  g_autofree char *reason = NULL;
  GHashTableIter   iter;
  gpointer         name;

  CU_ASSERT_TRUE_FATAL (a != NULL && b != NULL && c != NULL);
  CU_ASSERT_TRUE (nn_experiment_get_auto_commit (a));
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (a, NULL, &error));
  CU_ASSERT_PTR_NULL (nn_experiment_get_staging_dir (a));
  CU_ASSERT_FALSE (g_file_test (d.staging, G_FILE_TEST_EXISTS));
  before = nn_test_snapshot_dir (d.run);
  CU_ASSERT_EQUAL (g_hash_table_size (before), 8); /* the manifest .nn-run included */

  /* A run not committed yet has every file staged, and the run directory
   * is as it was; the caller adds a file of its own. */
  nn_experiment_set_auto_commit (b, FALSE);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (b, NULL, &error));
  CU_ASSERT_STRING_EQUAL (nn_experiment_get_staging_dir (b) ? nn_experiment_get_staging_dir (b)
                                                            : "(none)",
                          d.staging);
  CU_ASSERT_TRUE (exists_in (d.staging, "model.safetensors"));
  waiting = nn_test_snapshot_dir (d.run);
  check_kept (before, waiting);
  CU_ASSERT_EQUAL (g_hash_table_size (waiting), g_hash_table_size (before));
  CU_ASSERT_TRUE (g_file_set_contents (plot, "<svg/>\n", -1, NULL));

  CU_ASSERT_TRUE (nn_experiment_commit (b, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NULL (nn_experiment_get_staging_dir (b));
  CU_ASSERT_FALSE (g_file_test (d.staging, G_FILE_TEST_EXISTS));
  after = nn_test_snapshot_dir (d.run);
  CU_ASSERT_EQUAL (g_hash_table_size (after), g_hash_table_size (before) + 1);
  CU_ASSERT_TRUE (g_hash_table_contains (after, "loss.svg"));
  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    NN_CHECK (g_hash_table_contains (after, name) && !same_file (before, after, name),
              "%s still holds the previous run's contents", (const char *) name);

  /* An interrupted run replaces it in turn: its files record the
   * interruption, and the model of the completed run is gone with it. */
  g_signal_connect (c, "epoch-finished", G_CALLBACK (cancel_at), &at);
  CU_ASSERT_FALSE (nn_experiment_run (c, cancellable, &error));
  NN_ASSERT_ERROR (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  last = nn_test_snapshot_dir (d.run);
  reason = nn_test_summary_member (d.run, "stop_reason");
  CU_ASSERT_STRING_EQUAL (reason ? reason : "(none)", "interrupted");
  CU_ASSERT_TRUE (g_hash_table_contains (last, "checkpoint.nnckpt"));
  CU_ASSERT_FALSE (g_hash_table_contains (last, "model.yaml"));
  CU_ASSERT_FALSE (g_hash_table_contains (last, "model.safetensors"));
  CU_ASSERT_FALSE (g_hash_table_contains (last, "loss.svg"));
  CU_ASSERT_FALSE (g_file_test (d.staging, G_FILE_TEST_EXISTS));
}

static void
test_user_files_stay (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(RunDirs) d = run_dirs_new ();
  g_autofree char *notes = NULL;
  g_autoptr(NnExperiment) a = load_resumable (d.path, d.run, "train.epochs=2");
  g_autoptr(NnExperiment) b = load_resumable (d.path, d.run, NULL);
  g_autoptr(NnExperiment) c = load_resumable (d.path, d.run, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  CancelAt at = { cancellable, 3 };
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GHashTable) last = NULL;
  GHashTableIter iter;
  gpointer       name;

  CU_ASSERT_TRUE_FATAL (a != NULL && b != NULL && c != NULL);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (a, NULL, &error));
  notes = nn_test_write_file (d.run, "notes.txt", "mine\n");
  before = nn_test_snapshot_dir (d.run);

  /* The run directory is not exchanged: the new files move in. */
  g_signal_connect (b, "epoch-finished", G_CALLBACK (cancel_at), &at);
  CU_ASSERT_FALSE (nn_experiment_run (b, cancellable, &error));
  NN_ASSERT_ERROR (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  after = nn_test_snapshot_dir (d.run);
  CU_ASSERT_TRUE (same_file (before, after, "notes.txt"));
  CU_ASSERT_FALSE (g_hash_table_contains (after, "model.yaml"));
  CU_ASSERT_FALSE (g_hash_table_contains (after, "model.safetensors"));
  CU_ASSERT_EQUAL (g_hash_table_size (after), 6); /* the manifest .nn-run included */
  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (!g_str_equal (name, "notes.txt"))
      NN_CHECK (!same_file (before, after, name), "%s was not replaced", (const char *) name);
  CU_ASSERT_FALSE (g_file_test (d.staging, G_FILE_TEST_EXISTS));

  CU_ASSERT_TRUE (nn_experiment_run (c, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  last = nn_test_snapshot_dir (d.run);
  CU_ASSERT_TRUE (same_file (before, last, "notes.txt"));
  CU_ASSERT_TRUE (g_hash_table_contains (last, "model.yaml"));
  CU_ASSERT_EQUAL (g_hash_table_size (last), 9);
  CU_ASSERT_FALSE (g_file_test (d.staging, G_FILE_TEST_EXISTS));
}

static void
test_discarded_run_leaves_previous_run (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(RunDirs) d = run_dirs_new ();
  g_autoptr(NnExperiment) a = load_resumable (d.path, d.run, "train.epochs=2");
  g_autoptr(NnExperiment) b = load_resumable (d.path, d.run, NULL);
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;

  CU_ASSERT_TRUE_FATAL (a != NULL && b != NULL);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (a, NULL, &error));
  before = nn_test_snapshot_dir (d.run);

  nn_experiment_set_auto_commit (b, FALSE);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (b, NULL, &error));
  CU_ASSERT_TRUE (g_file_test (d.staging, G_FILE_TEST_IS_DIR));
  nn_experiment_discard (b);
  CU_ASSERT_PTR_NULL (nn_experiment_get_staging_dir (b));
  /* Only the run's checkpoint stays staged, the newest one to resume from. */
  CU_ASSERT_EQUAL (snapshot_size (d.staging), 1);
  CU_ASSERT_TRUE (exists_in (d.staging, "checkpoint.nnckpt"));
  after = nn_test_snapshot_dir (d.run);
  check_kept (before, after);
  CU_ASSERT_EQUAL (g_hash_table_size (after), g_hash_table_size (before));
}

typedef struct
{
  GBytes *checkpoint; /* the staged checkpoint at the first epoch */
} FirstEpoch;

static void
read_staged_checkpoint (NnExperiment *e,
                        guint         epoch,
                        FirstEpoch   *first)
{
  g_autofree char *path = NULL;
  char            *contents = NULL;
  gsize            length = 0;

  if (first->checkpoint != NULL)
    return;
  path = g_build_filename (nn_experiment_get_staging_dir (e), "checkpoint.nnckpt", NULL);
  if (g_file_get_contents (path, &contents, &length, NULL))
    first->checkpoint = g_bytes_new_take (contents, length);
}

/* A process killed outright leaves the staging directory with its last
 * checkpoint, newer than the run directory's: resuming takes it. */
static void
test_resume_takes_the_staged_checkpoint (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "e.yaml", resumable);
  g_autofree char *whole = g_build_filename (dir, "whole", NULL);
  g_autofree char *parts = g_build_filename (dir, "parts", NULL);
  g_autofree char *staging = g_strconcat (parts, ".partial", NULL);
  g_autoptr(NnExperiment) a = load_resumable (path, whole, NULL);
  g_autoptr(NnExperiment) b = load_resumable (path, parts, NULL);
  g_autoptr(NnExperiment) killed = load_resumable (path, parts, NULL);
  g_autoptr(NnExperiment) c = load_resumable (path, parts, NULL);
  g_autoptr(GCancellable) at3 = g_cancellable_new ();
  g_autoptr(GCancellable) at5 = g_cancellable_new ();
  CancelAt   stop3 = { at3, 3 }, stop5 = { at5, 5 };
  FirstEpoch first = { NULL };
  g_autoptr(GHashTable) interrupted = NULL;
  g_autofree char *ha = NULL;
  g_autofree char *hc = NULL;
  g_autofree char *wa = NULL;
  g_autofree char *wc = NULL;

  CU_ASSERT_TRUE_FATAL (a != NULL && b != NULL && killed != NULL && c != NULL);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (a, NULL, &error));

  g_signal_connect (b, "epoch-finished", G_CALLBACK (cancel_at), &stop3);
  CU_ASSERT_FALSE (nn_experiment_run (b, at3, &error));
  g_clear_error (&error);
  interrupted = nn_test_snapshot_dir (parts);

  /* Resumed to epoch 5, then left uncommitted, as if killed. Its staging
   * directory started with the checkpoint it resumed from. */
  CU_ASSERT_TRUE_FATAL (nn_experiment_resume (killed, parts, &error));
  CU_ASSERT_EQUAL (nn_experiment_get_epochs_run (killed), 3);
  nn_experiment_set_auto_commit (killed, FALSE);
  g_signal_connect (killed, "epoch-finished", G_CALLBACK (read_staged_checkpoint), &first);
  g_signal_connect (killed, "epoch-finished", G_CALLBACK (cancel_at), &stop5);
  CU_ASSERT_FALSE (nn_experiment_run (killed, at5, &error));
  g_clear_error (&error);
  NN_CHECK (first.checkpoint != NULL &&
              g_bytes_equal (first.checkpoint,
                             g_hash_table_lookup (interrupted, "checkpoint.nnckpt")),
            "the resumed run's staging directory does not start with its checkpoint");
  g_clear_pointer (&first.checkpoint, g_bytes_unref);
  CU_ASSERT_TRUE (exists_in (staging, "checkpoint.nnckpt"));
  g_clear_object (&killed);

  CU_ASSERT_TRUE_FATAL (nn_experiment_resume (c, parts, &error));
  CU_ASSERT_EQUAL (nn_experiment_get_epochs_run (c), 5);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (c, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_FALSE (g_file_test (staging, G_FILE_TEST_EXISTS));

  ha = nn_test_history_without_seconds (whole);
  hc = nn_test_history_without_seconds (parts);
  CU_ASSERT_STRING_EQUAL (ha, hc);
  {
    g_autofree char *pa = g_build_filename (whole, "model.safetensors", NULL);
    g_autofree char *pc = g_build_filename (parts, "model.safetensors", NULL);
    gsize            la = 0, lc = 0;

    CU_ASSERT_TRUE (g_file_get_contents (pa, &wa, &la, NULL));
    CU_ASSERT_TRUE (g_file_get_contents (pc, &wc, &lc, NULL));
    CU_ASSERT_TRUE (la == lc && la > 0 && memcmp (wa, wc, la) == 0);
  }
}

/* Each epoch made 0.15 s longer, so that a run of a few epochs is longer
 * than the interval between two writes of history.live. */
static void
slow_epoch (NnExperiment *e,
            guint         epoch,
            gpointer      data)
{
  g_usleep (G_USEC_PER_SEC * 15 / 100);
}

/* The rows in `history.live` in @dir, or -1 when there is none. */
static int
live_rows (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "history.live", NULL);
  g_autofree char *data = NULL;
  gsize            length = 0;
  guint32          n_cols;

  if (!g_file_get_contents (path, &data, &length, NULL))
    return -1;
  if (length < 16 || memcmp (data, "nnrows\n", 8) != 0)
    return -2;
  memcpy (&n_cols, data + 8, 4);
  n_cols = GUINT32_FROM_LE (n_cols);
  if (n_cols == 0 || (length - 16) % (8 * (gsize) n_cols) != 0)
    return -2;
  return (int) ((length - 16) / (8 * (gsize) n_cols));
}

static void
count_live_rows (NnExperiment *e,
                 guint         epoch,
                 int          *rows)
{
  *rows = MAX (*rows, live_rows (nn_experiment_get_staging_dir (e)));
}

/* A run longer than a quarter of a second, without checkpoints, writes its
 * history so far to history.live in its staging directory; the file never
 * reaches the run directory, and a killed run's staging directory that
 * holds one resumes exactly. */
static void
test_live_history_stays_staged (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "e.yaml", resumable);
  g_autofree char *whole = g_build_filename (dir, "whole", NULL);
  g_autofree char *parts = g_build_filename (dir, "parts", NULL);
  g_autofree char *staging = g_strconcat (parts, ".partial", NULL);
  g_autoptr(NnExperiment) a = load_resumable (path, whole, NULL);
  g_autoptr(NnExperiment) b = load_resumable (path, parts, NULL);
  g_autoptr(NnExperiment) killed = load_resumable (path, parts, NULL);
  g_autoptr(NnExperiment) c = load_resumable (path, parts, NULL);
  g_autoptr(GCancellable) at3 = g_cancellable_new ();
  g_autoptr(GCancellable) at6 = g_cancellable_new ();
  CancelAt         stop3 = { at3, 3 }, stop6 = { at6, 6 };
  int              seen = -1;
  g_autofree char *ha = NULL;
  g_autofree char *hc = NULL;

  CU_ASSERT_TRUE_FATAL (a != NULL && b != NULL && killed != NULL && c != NULL);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (a, NULL, &error));
  CU_ASSERT_FALSE (exists_in (whole, "history.live"));

  g_signal_connect (b, "epoch-finished", G_CALLBACK (count_live_rows), &seen);
  g_signal_connect (b, "epoch-finished", G_CALLBACK (slow_epoch), NULL);
  g_signal_connect (b, "epoch-finished", G_CALLBACK (cancel_at), &stop3);
  CU_ASSERT_FALSE (nn_experiment_run (b, at3, &error));
  g_clear_error (&error);
  NN_CHECK (seen >= 2, "history.live held %d rows while the run trained", seen);
  CU_ASSERT_FALSE (exists_in (parts, "history.live"));
  CU_ASSERT_FALSE (g_file_test (staging, G_FILE_TEST_EXISTS));

  /* Resumed to epoch 6 and left staged, as if killed: history.live holds
   * the rows from the run's first epoch on. */
  CU_ASSERT_TRUE_FATAL (nn_experiment_resume (killed, parts, &error));
  nn_experiment_set_auto_commit (killed, FALSE);
  g_signal_connect (killed, "epoch-finished", G_CALLBACK (slow_epoch), NULL);
  g_signal_connect (killed, "epoch-finished", G_CALLBACK (cancel_at), &stop6);
  CU_ASSERT_FALSE (nn_experiment_run (killed, at6, &error));
  g_clear_error (&error);
  g_clear_object (&killed);
  seen = live_rows (staging);
  NN_CHECK (seen >= 5 && seen <= 6, "the staged history.live holds %d rows", seen);

  CU_ASSERT_TRUE_FATAL (nn_experiment_resume (c, parts, &error));
  CU_ASSERT_EQUAL (nn_experiment_get_epochs_run (c), 6);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (c, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_FALSE (g_file_test (staging, G_FILE_TEST_EXISTS));
  CU_ASSERT_FALSE (exists_in (parts, "history.live"));
  ha = nn_test_history_without_seconds (whole);
  hc = nn_test_history_without_seconds (parts);
  CU_ASSERT_STRING_EQUAL (ha, hc);
}

/* After epoch 1, a directory where the checkpoint of epoch 2 goes. */
static void
make_checkpoint_unwritable (NnExperiment *e,
                            guint         epoch,
                            gpointer      data)
{
  g_autofree char *path = NULL;

  if (epoch != 1)
    return;
  path = g_build_filename (nn_experiment_get_staging_dir (e), "checkpoint.nnckpt", NULL);
  CU_ASSERT_EQUAL (g_mkdir (path, 0700), 0);
}

/* A checkpoint that cannot be written fails the run, which leaves the
 * previous one as it was; stop_reason says "failed". */
static void
test_failed_checkpoint_leaves_previous_run (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(RunDirs) d = run_dirs_new ();
  g_autofree char *blocker = NULL;
  g_autoptr(NnExperiment) a = load_resumable (d.path, d.run, "train.epochs=2");
  g_autoptr(NnExperiment) b = load_resumable (d.path, d.run, "train.checkpoint_every=2");
  g_autoptr(GError) error2 = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;

  CU_ASSERT_TRUE_FATAL (a != NULL && b != NULL);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (a, NULL, &error));
  before = nn_test_snapshot_dir (d.run);

  /* A directory where the checkpoint goes: its rename fails. */
  g_signal_connect (b, "epoch-finished", G_CALLBACK (make_checkpoint_unwritable), NULL);
  CU_ASSERT_FALSE (nn_experiment_run (b, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO);
  blocker = g_build_filename (d.staging, "checkpoint.nnckpt", NULL);
  if (error != NULL)
    {
      NN_ASSERT_CONTAINS (error->message, blocker);
      NN_ASSERT_CONTAINS (error->message, "was left as it was");
    }
  CU_ASSERT_STRING_EQUAL (nn_experiment_get_stop_reason (b), "failed");
  CU_ASSERT_EQUAL (nn_experiment_get_epochs_run (b), 2);
  CU_ASSERT_PTR_NULL (nn_experiment_get_staging_dir (b));
  after = nn_test_snapshot_dir (d.run);
  check_kept (before, after);
  CU_ASSERT_EQUAL (g_hash_table_size (after), g_hash_table_size (before));

  /* The run's own files are gone from the staging directory; what nn did
   * not make stays, and stops the next run before it starts. */
  CU_ASSERT_TRUE (g_file_test (blocker, G_FILE_TEST_IS_DIR));
  CU_ASSERT_EQUAL (snapshot_size (d.staging), 1);
  CU_ASSERT_FALSE (nn_experiment_run (a, NULL, &error2));
  NN_ASSERT_ERROR (error2, NN_MODEL_ERROR, NN_MODEL_ERROR_IO);
  if (error2 != NULL)
    NN_ASSERT_CONTAINS (error2->message, "which nn did not write");
  CU_ASSERT_TRUE (g_file_test (blocker, G_FILE_TEST_IS_DIR));
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("Schedules, clipping, early stopping and resuming", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "a step schedule sets each epoch's learning rate",
               test_schedule_sets_each_epochs_rate);
  CU_add_test (suite, "bad schedule, clipping and early-stopping settings are reported",
               test_bad_training_keys);
  CU_add_test (suite, "early stopping stops, and restores the best weights",
               test_early_stopping_restores_best);
  CU_add_test (suite, "an interrupted run resumes to exactly the uninterrupted result",
               test_interrupted_run_resumes_exactly);
  CU_add_test (suite, "resuming refuses another experiment's run", test_resume_refuses_another_run);

  suite = CU_add_suite ("A run replaces the previous one whole, or not at all", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "a run's files replace the previous run's together when committed",
               test_run_replaces_previous_run_at_once);
  CU_add_test (suite, "files of the user's own in the run directory stay",
               test_user_files_stay);
  CU_add_test (suite, "a discarded run leaves the previous run as it was",
               test_discarded_run_leaves_previous_run);
  CU_add_test (suite, "resuming takes the newer checkpoint a killed run left staged",
               test_resume_takes_the_staged_checkpoint);
  CU_add_test (suite, "a checkpoint that cannot be written leaves the previous run as it was",
               test_failed_checkpoint_leaves_previous_run);
  CU_add_test (suite, "the history so far stays in the staging directory, and resumes",
               test_live_history_stays_staged);

  return nn_test_run ();
}
