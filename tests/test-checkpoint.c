/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checkpoints: damaged files are refused before anything in them is used,
 * a resumed run must be the run that was started, and a checkpoint costs
 * the same whatever the number of epochs done. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "nn-test.h"

enum {
  EXIT_OK = 0,
  EXIT_BAD_INPUT = 2,
};

static int
init_suite (void)
{
  if (nn_test_require_env ("NNRUN", "NN_SOURCE_ROOT", NULL) != 0)
    return 1;
  return nn_test_init_plugins ();
}

/* ---- damaged files ------------------------------------------------------- */

/* A small trained trainer: 4 inputs, 3 units, 2 classes, Adam. */
static NnTrainer *
make_trainer (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnModel) model = nn_model_new ();
  g_autoptr(NnLayer) layer = nn_test_make_layer (4, 2, "softmax");
  g_autoptr(NnLoss) loss = nn_loss_new_by_name ("categorical_crossentropy", &error);
  g_autoptr(NnOptimizer) opt = nn_optimizer_new_by_name ("adam", &error);

  g_assert_no_error (error);
  nn_model_set_seed (model, 5);
  nn_model_add_layer (model, layer);
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, opt);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  return nn_test_make_trainer (model, 2, 4, TRUE);
}

static void
train (NnTrainer *trainer)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 10, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 10, 2);

  g_assert_true (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, NULL));
}

/* Loads @contents as a checkpoint into @trainer: it must be refused with
 * an error naming the file, and the trainer's state stay as it was. */
static gboolean
refused_untouched (const char *path,
                   const char *contents,
                   gsize       length,
                   NnTrainer  *trainer,
                   GVariant   *state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) extra = NULL;
  g_autoptr(GVariant) after = NULL;
  gboolean ok;

  g_assert_true (g_file_set_contents (path, contents, (gssize) length, NULL));
  ok = !nn_checkpoint_load (path, trainer, NULL, &extra, &error);
  ok = ok && error != NULL && error->domain == NN_MODEL_ERROR &&
       strstr (error->message, path) != NULL && extra == NULL;
  after = nn_trainer_save_state (trainer);
  return ok && g_variant_equal (state, after);
}

static void
test_every_damaged_byte_is_refused (void)
{
  g_autoptr(NnTrainer) saved = make_trainer ();
  g_autoptr(NnTrainer) target = make_trainer ();
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = g_build_filename (dir, "checkpoint.nnckpt", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.nnckpt", NULL);
  g_autofree char *contents = NULL;
  guint            n_flips = 0, n_cuts = 0;
  gsize            length;

  train (saved);
  CU_ASSERT_TRUE_FATAL (nn_checkpoint_save (path, saved, g_variant_new_string ("history"),
                                            &error));
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  state = nn_trainer_save_state (target);

  for (gsize i = 0; i < length; i++)
    {
      g_autofree char *copy = g_memdup2 (contents, length);

      copy[i] ^= 1 << (i % 8);
      n_flips += refused_untouched (bad, copy, length, target, state);
    }
  NN_CHECK (n_flips == length, "%u of %zu flipped bits refused", n_flips, length);
  for (gsize cut = 0; cut < length; cut++)
    n_cuts += refused_untouched (bad, contents, cut, target, state);
  NN_CHECK (n_cuts == length, "%u of %zu cuts refused", n_cuts, length);

  /* A bit in the weights is named as damage. */
  {
    g_autofree char *copy = g_memdup2 (contents, length);
    g_autoptr(GError) local_error = NULL;

    copy[length / 2] ^= 0x10;
    g_assert_true (g_file_set_contents (bad, copy, (gssize) length, NULL));
    CU_ASSERT_FALSE (nn_checkpoint_load (bad, target, NULL, NULL, &local_error));
    NN_ASSERT_CONTAINS (local_error ? local_error->message : NULL,
                        "is damaged: its checksum does not match");
  }

  /* The file itself loads. */
  CU_ASSERT_TRUE (nn_checkpoint_load (path, target, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
}

/* The file of format version 1: the dictionary right after the magic. */
static void
test_version_1_is_named (void)
{
  g_autoptr(NnTrainer) target = make_trainer ();
  g_autoptr(GVariant) dict = g_variant_ref_sink (
    g_variant_new_parsed ("{'version': <@u 1>, 'real': <'double'>, 'model': <@a{sv} {}>}"));
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = g_build_filename (dir, "old.nnckpt", NULL);
  gsize            size = g_variant_get_size (dict);
  g_autofree char *data = g_malloc (8 + size);

  memcpy (data, "nnckpt\n", 8);
  g_variant_store (dict, data + 8);
  g_assert_true (g_file_set_contents (path, data, (gssize) (8 + size), NULL));
  CU_ASSERT_FALSE (nn_checkpoint_load (path, target, NULL, NULL, &error));
  NN_ASSERT_CONTAINS (error ? error->message : NULL, "format version 1; this nn reads version 2");
}

/* ---- through nnrun ------------------------------------------------------- */

static const char small_run[] =
  "seed: 3\n"
  "data: {source: iris, task: multiclass, scale: minmax, split: {validation: 0.2}}\n"
  "model: {layers: [{units: 8, activation: tanh}, {units: 3, activation: softmax}]}\n"
  "optimizer: {name: adam, learning_rate: 0.01}\n"
  "train: {epochs: 6, batch_size: 16, checkpoint_every: 1}\n";

/* A run of 3 epochs of @experiment into @run, checkpoint in @run. */
static void
run_three_epochs (const char *experiment,
                  const char *run)
{
  g_autofree char *err = NULL;
  int              status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", run,
                                           "--set", "train.epochs=3", NULL);

  NN_ASSERT_STATUS (status, EXIT_OK, err);
}

static void
test_nnrun_refuses_flipped_staged_checkpoint (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "small.yaml", small_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *staging = g_strconcat (run, ".partial", NULL);
  g_autofree char *checkpoint = g_build_filename (run, "checkpoint.nnckpt", NULL);
  g_autofree char *staged = g_build_filename (staging, "checkpoint.nnckpt", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *err = NULL;
  gsize            length;
  int              status;

  run_three_epochs (experiment, run);
  g_assert_true (g_file_get_contents (checkpoint, &contents, &length, NULL));
  contents[length - length / 3] ^= 0x04;
  CU_ASSERT_EQUAL (g_mkdir (staging, 0700), 0);
  g_assert_true (g_file_set_contents (staged, contents, (gssize) length, NULL));

  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run, NULL);
  NN_ASSERT_STATUS (status, EXIT_BAD_INPUT, err);
  NN_ASSERT_CONTAINS (err, staged);
  NN_ASSERT_CONTAINS (err, "is damaged: its checksum does not match");
}

/* ---- a resumed run is the run that was started -------------------------- */

static gboolean
same_weights (const char *a,
              const char *b)
{
  g_autofree char *pa = g_build_filename (a, "model.safetensors", NULL);
  g_autofree char *pb = g_build_filename (b, "model.safetensors", NULL);
  g_autofree char *wa = NULL;
  g_autofree char *wb = NULL;
  gsize            la = 0, lb = 0;

  return g_file_get_contents (pa, &wa, &la, NULL) && g_file_get_contents (pb, &wb, &lb, NULL) &&
         la == lb && memcmp (wa, wb, la) == 0;
}

typedef struct
{
  const char *set;  /* the change, a --set */
  const char *line; /* the line that names it */
} Change;

/* A run checkpointed by the nn before data.target_scale existed (the
 * checkpoint and manifest of tests/data/run-before-target-scale, of each
 * build): its
 * recorded experiment lacks the key, which at `none` trains as it did, so
 * it resumes, to the end of a run of 5 epochs left alone. */
static void
test_checkpoint_of_an_earlier_version_resumes (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_source_file ("tests/data/run-before-target-scale.yaml");
  g_autofree char *fixture = nn_test_source_file (sizeof (nn_real) == sizeof (float)
                                                    ? "tests/data/run-before-target-scale/float"
                                                    : "tests/data/run-before-target-scale/double");
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *whole = g_build_filename (dir, "whole", NULL);
  g_autofree char *err = NULL;
  g_autofree char *ha = NULL;
  g_autofree char *hb = NULL;
  int              status;

  g_mkdir (run, 0755);
  for (guint i = 0; i < 2; i++)
    {
      const char      *name = i == 0 ? ".nn-run" : "checkpoint.nnckpt";
      g_autofree char *from = g_build_filename (fixture, name, NULL);
      g_autofree char *to = g_build_filename (run, name, NULL);
      g_autofree char *bytes = NULL;
      gsize            length = 0;

      CU_ASSERT_TRUE_FATAL (g_file_get_contents (from, &bytes, &length, NULL));
      CU_ASSERT_TRUE_FATAL (g_file_set_contents (to, bytes, (gssize) length, NULL));
    }
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run,
                          "--set", "train.epochs=5", NULL);
  NN_ASSERT_STATUS (status, EXIT_OK, err);
  nn_test_train_into (experiment, whole, "train.epochs=5");
  ha = nn_test_history_without_seconds (whole);
  hb = nn_test_history_without_seconds (run);
  /* To rounding, not to the bit: the fixture's epochs were computed by the
   * element-wise loops of the machine that made it, which a build with
   * only the portable ones does not share. */
  {
    g_auto(GStrv) a = g_strsplit (ha, "\n", -1);
    g_auto(GStrv) b = g_strsplit (hb, "\n", -1);

    CU_ASSERT_EQUAL_FATAL (g_strv_length (a), 1 + 5 + 2);
    CU_ASSERT_EQUAL_FATAL (g_strv_length (b), g_strv_length (a));
    CU_ASSERT_STRING_EQUAL (a[0], b[0]);
    for (guint i = 1; a[i] != NULL; i++)
      {
        g_auto(GStrv) va = g_strsplit (a[i], ",", -1);
        g_auto(GStrv) vb = g_strsplit (b[i], ",", -1);

        CU_ASSERT_EQUAL_FATAL (g_strv_length (va), g_strv_length (vb));
        for (guint k = 0; va[k] != NULL; k++)
          {
            double x = g_ascii_strtod (va[k], NULL), y = g_ascii_strtod (vb[k], NULL);

            NN_CHECK (fabs (x - y) <= 1e-5 * fabs (x), "epoch %u, column %u: %s, resumed %s", i, k,
                      va[k], vb[k]);
          }
      }
  }
}

static void
test_nnrun_refuses_changed_experiment (void)
{
  static const Change changes[] = {
    { "optimizer.learning_rate=0.05",
      "\noptimizer.learning_rate: 0.01 when the run started, 0.05 now\n" },
    { "train.batch_size=8", "\ntrain.batch_size: 16 when the run started, 8 now\n" },
    { "data.scale=standard", "\ndata.scale: minmax when the run started, standard now\n" },
    { "data.split.validation=0.3",
      "\ndata.split.validation: 0.2 when the run started, 0.3 now\n" },
    { "data.split.shuffle=false",
      "\ndata.split.shuffle: true when the run started, false now\n" },
    { "train.shuffle=false", "\ntrain.shuffle: true when the run started, false now\n" },
    { "model.init=he_normal",
      "\nmodel.init: glorot_uniform when the run started, he_normal now\n" },
    { "model.layers.0.units=9", "\nmodel.layers[0].units: 8 when the run started, 9 now\n" },
    { "seed=4", "\nseed: 3 when the run started, 4 now\n" },
    { "loss=mean_squared_error",
      "\nloss.name: categorical_crossentropy when the run started, mean_squared_error now\n" },
    { "optimizer.name=sgd", "\noptimizer.name: adam when the run started, sgd now\n" },
    { "metrics=[accuracy, f1]",
      "\nmetrics: [accuracy] when the run started, [accuracy, f1] now\n" },
  };
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "small.yaml", small_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autoptr(GHashTable) before = NULL;

  run_three_epochs (experiment, run);
  before = nn_test_snapshot_dir (run);
  for (gsize i = 0; i < G_N_ELEMENTS (changes); i++)
    {
      g_autofree char *err = NULL;
      g_autofree char *staging = g_strconcat (run, ".partial", NULL);
      g_autoptr(GHashTable) after = NULL;
      int status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run,
                                  "--set", changes[i].set, NULL);

      NN_ASSERT_STATUS (status, EXIT_BAD_INPUT, err);
      NN_ASSERT_CONTAINS (err, changes[i].line);
      NN_ASSERT_CONTAINS (err, "is not the one the run was started with");
      after = nn_test_snapshot_dir (run);
      NN_ASSERT_SAME_FILES (before, after);
      CU_ASSERT_FALSE (g_file_test (staging, G_FILE_TEST_EXISTS));
    }

  /* Every difference, one a line. */
  {
    g_autofree char *err = NULL;
    int              status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run,
                                             "--set", "optimizer.learning_rate=0.05",
                                             "--set", "train.batch_size=8", NULL);

    NN_ASSERT_STATUS (status, EXIT_BAD_INPUT, err);
    NN_ASSERT_CONTAINS (err, changes[0].line);
    NN_ASSERT_CONTAINS (err, changes[1].line);
  }
}

/* More epochs (and other checkpoints) extend the run, to the result of a
 * run of that many epochs left alone. */
static void
test_nnrun_resumes_with_more_epochs (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "small.yaml", small_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *whole = g_build_filename (dir, "whole", NULL);
  g_autofree char *err = NULL;
  g_autofree char *ha = NULL;
  g_autofree char *hb = NULL;
  int              status;

  run_three_epochs (experiment, run);
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run,
                          "--set", "train.checkpoint_every=2", "--set", "output.dir=elsewhere",
                          NULL);
  NN_ASSERT_STATUS (status, EXIT_OK, err);
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", whole, NULL);
  NN_ASSERT_STATUS (status, EXIT_OK, err);

  ha = nn_test_history_without_seconds (whole);
  hb = nn_test_history_without_seconds (run);
  NN_CHECK (g_str_equal (ha, hb), "histories differ:\n%s\n%s", ha, hb);
  CU_ASSERT_TRUE (same_weights (whole, run));
}

/* A weighted run resumes to the run left alone: the weights come from the
 * data and the experiment written back, class weights by label, sample
 * weights from a column (0 among them), mini-batches shuffled. */
static void
test_nnrun_resumes_weighted_run (void)
{
  static const char weighted_run[] =
    "seed: 5\n"
    "data: {source: {csv: w.csv, target: label, weight: w}, split: {validation: 0.25}}\n"
    "model: {layers: [{units: 5, activation: tanh}, {units: 3, activation: softmax}]}\n"
    "optimizer: {name: adam, learning_rate: 0.02}\n"
    "train: {epochs: 6, batch_size: 5, checkpoint_every: 1, class_weight: {a: 3, c: 0.5}}\n";
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "weighted.yaml", weighted_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *whole = g_build_filename (dir, "whole", NULL);
  g_autofree char *err = NULL;
  g_autofree char *ha = NULL;
  g_autofree char *hb = NULL;
  g_autoptr(GString) csv = g_string_new ("x1,x2,label,w\n");
  int status;

  for (guint i = 0; i < 40; i++)
    g_string_append_printf (csv, "%g,%g,%c,%g\n", (i * 7 % 11) / 3.0, (i * 5 % 13) / 4.0,
                            "abc"[i % 3], (i % 4) * 0.5);
  g_free (nn_test_write_file (dir, "w.csv", csv->str));
  run_three_epochs (experiment, run);
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run, NULL);
  NN_ASSERT_STATUS (status, EXIT_OK, err);
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", whole, NULL);
  NN_ASSERT_STATUS (status, EXIT_OK, err);

  ha = nn_test_history_without_seconds (whole);
  hb = nn_test_history_without_seconds (run);
  NN_CHECK (g_str_equal (ha, hb), "histories differ:\n%s\n%s", ha, hb);
  CU_ASSERT_TRUE (same_weights (whole, run));

  /* Other class weights are another experiment. */
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run, "--set",
                          "train.class_weight=balanced", NULL);
  NN_ASSERT_STATUS (status, EXIT_BAD_INPUT, err);
  NN_ASSERT_CONTAINS (err, "train.class_weight: {a: 3, c: 0.5} when the run started, balanced now");
}

/* ---- the cost of a checkpoint ------------------------------------------- */

/* Full-batch Iris, a checkpoint every epoch. */
static const char long_run[] =
  "seed: 7\n"
  "data: {source: iris, task: multiclass, scale: minmax, split: {validation: 0.2}}\n"
  "model: {layers: [{units: 4, activation: tanh}, {units: 3, activation: softmax}]}\n"
  "optimizer: {name: adam, learning_rate: 0.01}\n"
  "train: {epochs: 1000, batch_size: 120, checkpoint_every: 1}\n"
  "metrics: [accuracy]\n";

typedef struct
{
  guint   epochs[2];
  goffset sizes[2];
} Sizes;

static void
measure_checkpoint (NnExperiment *e,
                    guint         epoch,
                    Sizes        *sizes)
{
  g_autofree char *path = g_build_filename (nn_experiment_get_staging_dir (e),
                                            "checkpoint.nnckpt", NULL);
  GStatBuf         st;

  for (guint i = 0; i < G_N_ELEMENTS (sizes->epochs); i++)
    if (epoch == sizes->epochs[i] && g_stat (path, &st) == 0)
      sizes->sizes[i] = st.st_size;
}

static NnExperiment *
load (const char *path,
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

static void
test_checkpoint_size_does_not_grow (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "long.yaml", long_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autoptr(NnExperiment) e = load (path, run, NULL);
  g_autoptr(GError) error = NULL;
  Sizes sizes = { { 10, 1000 }, { 0, 0 } };

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  g_signal_connect (e, "epoch-finished", G_CALLBACK (measure_checkpoint), &sizes);
  CU_ASSERT_TRUE (nn_experiment_run (e, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (sizes.sizes[0] > 0);
  NN_CHECK (sizes.sizes[1] >= sizes.sizes[0] && sizes.sizes[1] - sizes.sizes[0] <= 8,
            "the checkpoint has %" G_GOFFSET_FORMAT " bytes at epoch 10 and %" G_GOFFSET_FORMAT " at epoch 1000",
            sizes.sizes[0], sizes.sizes[1]);
}

typedef struct
{
  guint epoch;
  char *copy; /* a run directory whose staging directory gets the staged files */
} CopyAt;

/* Copies the staging directory's files at the end of an epoch, as a run
 * killed then would have left them. */
static void
copy_staged (NnExperiment *e,
             guint         epoch,
             CopyAt       *at)
{
  g_autofree char *staging = g_strconcat (at->copy, ".partial", NULL);
  const char      *names[] = { "checkpoint.nnckpt", "history.rows" };

  if (epoch != at->epoch)
    return;
  g_mkdir_with_parents (staging, 0700);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *from = g_build_filename (nn_experiment_get_staging_dir (e), names[i],
                                                NULL);
      g_autofree char *to = g_build_filename (staging, names[i], NULL);
      g_autofree char *contents = NULL;
      gsize            length;

      NN_CHECK (g_file_get_contents (from, &contents, &length, NULL) &&
                  g_file_set_contents (to, contents, (gssize) length, NULL),
                "%s is not staged at epoch %u", names[i], epoch);
    }
}

/* @run, with @rows as its staged history file, resumed: whether it
 * resumes, and if it does its history and weights are those of @whole. */
static gboolean
resume_with_rows (const char *path,
                  const char *run,
                  const char *rows,
                  gsize       length,
                  const char *whole,
                  char      **message)
{
  g_autofree char *copy = g_strconcat (run, "-copy", NULL);
  g_autofree char *staging = g_strconcat (copy, ".partial", NULL);
  g_autofree char *from = g_strconcat (run, ".partial/checkpoint.nnckpt", NULL);
  g_autofree char *to = g_build_filename (staging, "checkpoint.nnckpt", NULL);
  g_autofree char *rows_path = g_build_filename (staging, "history.rows", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *ha = NULL;
  g_autofree char *hb = NULL;
  g_autoptr(NnExperiment) e = load (path, copy, "train.epochs=60");
  g_autoptr(GError) error = NULL;
  gsize size;

  nn_test_rm_rf (copy);
  nn_test_rm_rf (staging);
  g_mkdir_with_parents (staging, 0700);
  g_assert_true (g_file_get_contents (from, &contents, &size, NULL));
  g_assert_true (g_file_set_contents (to, contents, (gssize) size, NULL));
  if (rows != NULL)
    g_assert_true (g_file_set_contents (rows_path, rows, (gssize) length, NULL));
  if (!nn_experiment_resume (e, copy, &error))
    {
      *message = g_strdup (error->message);
      return FALSE;
    }
  CU_ASSERT_TRUE (nn_experiment_run (e, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  ha = nn_test_history_without_seconds (whole);
  hb = nn_test_history_without_seconds (copy);
  CU_ASSERT_STRING_EQUAL (ha, hb);
  CU_ASSERT_TRUE (same_weights (whole, copy));
  CU_ASSERT_FALSE (g_file_test (rows_path, G_FILE_TEST_EXISTS));
  *message = NULL;
  return TRUE;
}

/* A checkpoint that relies on the history file resumes from the rows it
 * covers, whatever was appended after them, and refuses a file that does
 * not hold them. */
static void
test_resume_from_history_file (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "long.yaml", long_run);
  g_autofree char *whole = g_build_filename (dir, "whole", NULL);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *killed = g_build_filename (dir, "killed", NULL);
  g_autofree char *rows_path = g_strconcat (killed, ".partial/history.rows", NULL);
  g_autoptr(NnExperiment) a = load (path, whole, "train.epochs=60");
  g_autoptr(NnExperiment) b = load (path, run, "train.epochs=60");
  g_autoptr(GError) error = NULL;
  g_autofree char *rows = NULL;
  g_autofree char *longer = NULL;
  g_autofree char *message = NULL;
  CopyAt           at = { 40, killed };
  gsize            length;

  CU_ASSERT_TRUE_FATAL (a != NULL && b != NULL);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (a, NULL, &error));
  g_signal_connect (b, "epoch-finished", G_CALLBACK (copy_staged), &at);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (b, NULL, &error));
  CU_ASSERT_TRUE_FATAL (g_file_get_contents (rows_path, &rows, &length, NULL));
  /* The history of 40 epochs, of 7 columns, is in the file, not in the
   * checkpoint. */
  CU_ASSERT_EQUAL (length, 16 + 40 * 7 * sizeof (double));

  CU_ASSERT_TRUE (resume_with_rows (path, killed, rows, length, whole, &message));
  NN_ASSERT_NO_ERROR (error);
  /* Rows written after the checkpoint, or part of one: ignored. */
  longer = g_malloc (length + 100);
  memcpy (longer, rows, length);
  memset (longer + length, 0x5a, 100);
  CU_ASSERT_TRUE (resume_with_rows (path, killed, longer, length + 100, whole, &message));

  /* A changed value, a file cut short or none: refused, naming it. */
  rows[length - 3] ^= 0x20;
  CU_ASSERT_FALSE (resume_with_rows (path, killed, rows, length, whole, &message));
  NN_ASSERT_CONTAINS (message, "history.rows, is damaged: its checksum does not match");
  g_clear_pointer (&message, g_free);
  rows[length - 3] ^= 0x20;
  CU_ASSERT_FALSE (resume_with_rows (path, killed, rows, length - 8, whole, &message));
  NN_ASSERT_CONTAINS (message, "history.rows, is damaged");
  g_clear_pointer (&message, g_free);
  CU_ASSERT_FALSE (resume_with_rows (path, killed, NULL, 0, whole, &message));
  NN_ASSERT_CONTAINS (message, "cannot read the history it needs");
}

/* Each step multiplies the error by about 30: past float's range in some
 * 25 epochs, past double's in some 210. */
static const char diverge_yaml[] =
  "data: {source: {csv: line.csv, target: y}, split: {validation: 0.0}}\n"
  "model: {layers: [{units: 1, activation: linear}]}\n"
  "loss: mean_squared_error\n"
  "optimizer: {name: sgd, learning_rate: 1.0}\n"
  "train: {epochs: 1000, checkpoint_every: 1}\n";

/* A run that diverges keeps its last good checkpoint, which relied on the
 * history file: it goes into the run directory holding its history. */
static void
test_diverged_run_keeps_whole_checkpoint (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "diverge.yaml", diverge_yaml);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *staging = g_strconcat (run, ".partial", NULL);
  g_autofree char *rows = g_build_filename (run, "history.rows", NULL);
  g_autofree char *epochs_run = NULL;
  g_autofree char *diverged = NULL;
  g_autofree char *resumed = NULL;
  g_autofree char *set = NULL;
  g_autofree char *err = NULL;
  int              status;

  g_free (nn_test_write_file (dir, "line.csv",
                              "x,y\n1,1000\n2,2000\n3,3000\n4,4000\n5,5000\n6,6000\n"));
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", run, NULL);
  NN_ASSERT_STATUS (status, 1, err);
  NN_ASSERT_CONTAINS (err, "diverged");
  epochs_run = nn_test_summary_member (run, "epochs_run");
  CU_ASSERT_PTR_NOT_NULL_FATAL (epochs_run);
  CU_ASSERT_TRUE (g_ascii_strtoull (epochs_run, NULL, 10) > 2);
  CU_ASSERT_FALSE (g_file_test (rows, G_FILE_TEST_EXISTS));
  CU_ASSERT_FALSE (g_file_test (staging, G_FILE_TEST_EXISTS));
  diverged = nn_test_history_without_seconds (run);

  /* Resumed to the epochs it had: nothing left to train. */
  g_clear_pointer (&err, g_free);
  set = g_strconcat ("train.epochs=", epochs_run, NULL);
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run,
                          "--set", set, NULL);
  NN_ASSERT_STATUS (status, EXIT_OK, err);
  resumed = nn_test_history_without_seconds (run);
  CU_ASSERT_STRING_EQUAL (diverged, resumed);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("damaged checkpoints", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "every flipped bit and every cut is refused before anything is loaded",
               test_every_damaged_byte_is_refused);
  CU_add_test (s, "a file of format version 1 is named as such", test_version_1_is_named);
  CU_add_test (s, "nnrun --resume exits 2 on a flipped bit in DIR.partial's checkpoint",
               test_nnrun_refuses_flipped_staged_checkpoint);

  s = CU_add_suite ("resuming another experiment", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "a changed rate, batch size, scaling, split, shuffle, init, layers, seed, "
                  "loss, optimizer or metric: "
                  "exit 2 with every difference",
               test_nnrun_refuses_changed_experiment);
  CU_add_test (s, "more epochs, other checkpoints and output: the run goes on to the same end",
               test_nnrun_resumes_with_more_epochs);
  CU_add_test (s, "a run with class and sample weights resumes to the same end, and other "
                  "class weights are refused",
               test_nnrun_resumes_weighted_run);

  s = CU_add_suite ("the cost of a checkpoint", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "a checkpoint of the nn before data.target_scale resumes",
               test_checkpoint_of_an_earlier_version_resumes);
  CU_add_test (s, "the checkpoint at epoch 1000 is the size of the one at epoch 10",
               test_checkpoint_size_does_not_grow);
  CU_add_test (s, "a checkpoint resumes from the history file's rows it covers, and refuses "
                  "a damaged file",
               test_resume_from_history_file);
  CU_add_test (s, "a run that diverges keeps its last good checkpoint with its history",
               test_diverged_run_keeps_whole_checkpoint);

  return nn_test_run ();
}
