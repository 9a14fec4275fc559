/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every registered layer kind together, with every registered optimizer:
 * the network trains to a finite, lower loss; a run stopped half-way and
 * resumed ends with the bytes of the run left alone; and the saved model
 * predicts what the trained one did. */
#include <math.h>
#include <string.h>

#include "nn-test.h"

static int
init_suite (void)
{
  return nn_test_init_plugins ();
}

/* Dense, batch normalization, activation and dropout, in PyTorch's order. */
#define ALL_KINDS_RUN \
  "seed: 11\n" \
  "data: {source: iris, task: multiclass, scale: standard, split: {validation: 0.2}}\n" \
  "model:\n" \
  "  layers:\n" \
  "    - {units: 12, activation: linear, regularizer: {l2: 1.0e-3}}\n" \
  "    - {type: batch_norm}\n" \
  "    - {type: activation, activation: relu}\n" \
  "    - {type: dropout, rate: 0.2}\n" \
  "    - {units: 3, activation: softmax}\n" \
  "train: {epochs: 8, batch_size: 32, checkpoint_every: 1}\n"

/* Runs @experiment into @run with `optimizer.name=@optimizer` and returns
 * the finished experiment. */
static NnExperiment *
run_with (const char *experiment,
          const char *optimizer,
          const char *run)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *set = g_strdup_printf ("optimizer.name=%s", optimizer);
  const char      *overrides[] = { set, NULL };
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file_full (experiment, overrides, &error);

  NN_CHECK (error == NULL, "%s: %s", optimizer, error ? error->message : "");
  if (e == NULL)
    return NULL;
  nn_experiment_set_output_dir (e, run);
  if (!nn_experiment_run (e, NULL, &error))
    {
      NN_CHECK (FALSE, "%s: %s", optimizer, error->message);
      return NULL;
    }
  return g_steal_pointer (&e);
}

static void
test_every_kind_with_every_optimizer (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "all.yaml", ALL_KINDS_RUN);
  g_auto(GStrv) optimizers = nn_registry_list_names (NN_REGISTRY_OPTIMIZER);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) iris = nn_dataset_new_iris (&error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_FATAL (g_strv_length (optimizers) >= 6);
  for (guint i = 0; optimizers[i] != NULL; i++)
    {
      g_autofree char *run = g_build_filename (dir, optimizers[i], NULL);
      g_autoptr(NnExperiment) e = run_with (experiment, optimizers[i], run);
      g_autoptr(NnPipeline) loaded = NULL;
      g_autoptr(NnMatrix) in_memory = NULL;
      g_autoptr(NnMatrix) reloaded = NULL;
      guint  last;
      double first_loss, last_loss;

      if (e == NULL)
        continue;
      last = nn_experiment_get_epochs_run (e);
      CU_ASSERT_EQUAL (last, 8);
      CU_ASSERT_STRING_EQUAL (nn_experiment_get_history_columns (e)[1], "loss");
      first_loss = nn_experiment_get_history_value (e, 1, 1);
      last_loss = nn_experiment_get_history_value (e, last, 1);
      NN_CHECK (isfinite (last_loss) && last_loss < first_loss,
                "%s: loss %g at epoch 1, %g at epoch 8", optimizers[i], first_loss, last_loss);
      NN_CHECK (isfinite (nn_experiment_get_final_metric (e, "validation", "loss")),
                "%s: no finite validation loss", optimizers[i]);

      loaded = nn_pipeline_load (run, &error);
      NN_CHECK (error == NULL, "%s: %s", optimizers[i], error ? error->message : "");
      g_clear_error (&error);
      if (loaded == NULL)
        continue;
      in_memory = nn_pipeline_predict (nn_experiment_get_pipeline (e), nn_dataset_get_features (iris));
      reloaded = nn_pipeline_predict (loaded, nn_dataset_get_features (iris));
      NN_CHECK (nn_matrix_same_shape (in_memory, reloaded) &&
                  memcmp (in_memory->data, reloaded->data,
                          nn_matrix_size (in_memory) * sizeof (nn_real)) == 0,
                "%s: the saved model predicts otherwise", optimizers[i]);
    }
}

/* Stopped after 3 of 8 epochs and resumed, with each optimizer's state and
 * the running statistics in the checkpoint. */
static void
test_every_optimizer_resumes (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "all.yaml", ALL_KINDS_RUN);
  g_auto(GStrv) optimizers = nn_registry_list_names (NN_REGISTRY_OPTIMIZER);

  for (guint i = 0; optimizers[i] != NULL; i++)
    {
      g_autofree char *whole = g_build_filename (dir, "whole", optimizers[i], NULL);
      g_autofree char *run = g_build_filename (dir, "run", optimizers[i], NULL);
      g_autofree char *set = g_strdup_printf ("optimizer.name=%s", optimizers[i]);
      g_autofree char *err = NULL;
      g_autofree char *ha = NULL;
      g_autofree char *hb = NULL;
      g_autofree char *wa = NULL;
      g_autofree char *wb = NULL;
      int              status;

      status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", whole,
                              "--set", set, NULL);
      NN_ASSERT_STATUS (status, 0, err);
      g_clear_pointer (&err, g_free);
      status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", run,
                              "--set", set, "--set", "train.epochs=3", NULL);
      NN_ASSERT_STATUS (status, 0, err);
      g_clear_pointer (&err, g_free);
      status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run,
                              "--set", set, NULL);
      NN_ASSERT_STATUS (status, 0, err);

      ha = nn_test_history_without_seconds (whole);
      hb = nn_test_history_without_seconds (run);
      NN_CHECK (strlen (ha) > 100 && g_str_equal (ha, hb), "%s: histories differ:\n%s\n%s",
                optimizers[i], ha, hb);
      wa = nn_test_read_text (whole, "model.safetensors");
      wb = nn_test_read_text (run, "model.safetensors");
      NN_CHECK (strlen (wa) > 0 && g_str_equal (wa, wb), "%s: weights differ", optimizers[i]);
    }
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("every layer kind with every optimizer", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "dense, batch_norm, activation and dropout train, save and load with each optimizer",
               test_every_kind_with_every_optimizer);
  CU_add_test (s, "a run of every kind resumes to the run left alone with each optimizer",
               test_every_optimizer_resumes);
  return nn_test_run ();
}
