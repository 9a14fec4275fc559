/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checkpoints: damaged files are refused before anything in them is used,
 * a resumed run must be the run that was started, and a checkpoint costs
 * the same whatever the number of epochs done. */
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
  guint n_flips = 0, n_cuts = 0;
  gsize length;

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
  gsize size = g_variant_get_size (dict);
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
  int status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", run,
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
  gsize length;
  int status;

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

  return nn_test_run ();
}
