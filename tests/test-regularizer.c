/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Layers that regularize their weights, through experiment files: a zero
 * regularizer is no regularizer, the training loss holds the penalty and
 * the validation loss does not, and config.yaml, model.yaml and resuming
 * keep it. (The losses themselves are checked against PyTorch by the
 * reference-l2 and reference-l1-l2 tests, the gradients in test-model.) */
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

/* An Iris run in mini-batches with a validation part; @layer0 and @layer1
 * are added to the layers' mappings. */
#define EXPERIMENT(layer0, layer1, optimizer) \
  "name: r\n" \
  "seed: 3\n" \
  "data: {source: iris, task: multiclass, scale: standard, split: {validation: 0.2}}\n" \
  "model: {layers: [{units: 6, activation: tanh" layer0 "},\n" \
  "                 {units: 3, activation: softmax" layer1 "}]}\n" \
  "optimizer: " optimizer "\n" \
  "train: {epochs: 4, batch_size: 16, shuffle: true}\n"

#define ADAM "{name: adam, learning_rate: 0.02}"

static int
init_suite (void)
{
  return nn_test_init_plugins ();
}

static char *
file_text (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char            *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text;
}

/* Loads @text (written to @dir/@name.yaml) with @overrides and runs it into
 * @dir/@name. */
static NnExperiment *
run_text (const char         *dir,
          const char         *name,
          const char         *text,
          const char * const *overrides)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_strdup_printf ("%s.yaml", name);
  g_autofree char *path = nn_test_write_file (dir, file, text);
  g_autofree char *run = g_build_filename (dir, name, NULL);
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file_full (path, overrides, &error);

  NN_ASSERT_NO_ERROR (error);
  if (e == NULL)
    return NULL;
  nn_experiment_set_output_dir (e, run);
  CU_ASSERT_TRUE (nn_experiment_run (e, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  return g_steal_pointer (&e);
}

static void
test_zero_regularizer_changes_nothing (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autoptr(NnExperiment) plain = run_text (dir, "plain", EXPERIMENT ("", "", ADAM), NULL);
  g_autoptr(NnExperiment) zero =
               run_text (dir, "zero",
                         EXPERIMENT (", regularizer: {l1: 0, l2: 0}", ", regularizer: {l2: 0.0}", ADAM),
                         NULL);
  g_autofree char *plain_run = g_build_filename (dir, "plain", NULL);
  g_autofree char *zero_run = g_build_filename (dir, "zero", NULL);
  g_autofree char *plain_history = nn_test_history_without_seconds (plain_run);
  g_autofree char *zero_history = nn_test_history_without_seconds (zero_run);
  g_autofree char *plain_config = NULL;
  g_autofree char *zero_config = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (plain);
  CU_ASSERT_PTR_NOT_NULL_FATAL (zero);
  CU_ASSERT_STRING_EQUAL (zero_history, plain_history);
  CU_ASSERT_TRUE (strlen (plain_history) > 100);
  /* The resolved experiments differ in their run directory alone. */
  nn_experiment_set_output_dir (zero, plain_run);
  plain_config = nn_experiment_to_yaml (plain);
  zero_config = nn_experiment_to_yaml (zero);
  CU_ASSERT_STRING_EQUAL (zero_config, plain_config);
}

/* With a learning rate of 0 the weights stay as they start, so every
 * epoch's training loss is the loss of the first weights plus their
 * penalty, and the validation loss is the same as without regularization. */
static void
test_loss_holds_the_penalty_and_val_loss_not (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autoptr(NnExperiment) plain =
               run_text (dir, "plain", EXPERIMENT ("", "", "{name: sgd, learning_rate: 0}"), NULL);
  g_autoptr(NnExperiment) reg =
               run_text (dir, "reg",
                         EXPERIMENT (", regularizer: {l1: 0.01, l2: 0.02}", ", regularizer: {l2: 0.05}",
                                     "{name: sgd, learning_rate: 0}"),
                         NULL);
  double penalty;

  CU_ASSERT_PTR_NOT_NULL_FATAL (plain);
  CU_ASSERT_PTR_NOT_NULL_FATAL (reg);
  penalty = nn_model_get_regularization_loss (nn_experiment_get_model (reg));
  CU_ASSERT_TRUE (penalty > 0.01);
  for (guint epoch = 1; epoch <= 4; epoch++)
    {
      double loss = nn_experiment_get_history_value (reg, epoch, 1);
      double plain_loss = nn_experiment_get_history_value (plain, epoch, 1);

      CU_ASSERT_STRING_EQUAL (nn_experiment_get_history_columns (reg)[1], "loss");
      CU_ASSERT_STRING_EQUAL (nn_experiment_get_history_columns (reg)[2], "val_loss");
      NN_ASSERT_CMPFLOAT (loss, plain_loss + penalty, 1e-5, 0);
      CU_ASSERT_EQUAL (nn_experiment_get_history_value (reg, epoch, 2),
                       nn_experiment_get_history_value (plain, epoch, 2));
    }
}

/* The run's config.yaml runs the same run again, and its model.yaml keeps
 * every layer's regularizer. */
static void
test_config_and_model_keep_the_regularizer (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autoptr(NnExperiment) a =
               run_text (dir, "a", EXPERIMENT (", regularizer: {l1: 0.001}", ", regularizer: {l2: 0.002}", ADAM),
                         NULL);
  g_autofree char *run_a = g_build_filename (dir, "a", NULL);
  g_autofree char *config_a = file_text (run_a, "config.yaml");
  g_autofree char *again = NULL;
  g_autofree char *history_a = nn_test_history_without_seconds (run_a);
  g_autofree char *history_b = NULL;
  g_autofree char *run_b = g_build_filename (dir, "b", NULL);
  g_autoptr(NnExperiment) b = NULL;
  g_autoptr(NnPipeline) saved = NULL;
  NnModel *model;

  CU_ASSERT_PTR_NOT_NULL_FATAL (a);
  CU_ASSERT_PTR_NOT_NULL_FATAL (config_a);
  NN_ASSERT_CONTAINS (config_a, "regularizer: {l1: 0.001, l2: 0}");
  NN_ASSERT_CONTAINS (config_a, "regularizer: {l1: 0, l2: 0.002}");

  b = run_text (dir, "b", config_a, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (b);
  history_b = nn_test_history_without_seconds (run_b);
  CU_ASSERT_STRING_EQUAL (history_b, history_a);
  nn_experiment_set_output_dir (b, run_a);
  again = nn_experiment_to_yaml (b);
  CU_ASSERT_STRING_EQUAL (again, config_a);

  saved = nn_pipeline_load (run_a, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (saved);
  model = nn_pipeline_get_model (saved);
  CU_ASSERT_EQUAL (nn_layer_get_l1 (nn_model_get_layer (model, 0)), 0.001);
  CU_ASSERT_EQUAL (nn_layer_get_l2 (nn_model_get_layer (model, 0)), 0.0);
  CU_ASSERT_EQUAL (nn_layer_get_l1 (nn_model_get_layer (model, 1)), 0.0);
  CU_ASSERT_EQUAL (nn_layer_get_l2 (nn_model_get_layer (model, 1)), 0.002);
}

/* A run resumes with its regularizer, and not with another. */
static void
test_resume_keeps_the_regularizer (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  const char      *text = EXPERIMENT (", regularizer: {l2: 0.01}", "", ADAM);
  const char      *six[] = { "train.epochs=6", NULL };
  g_autoptr(NnExperiment) whole = run_text (dir, "whole", text, six);
  g_autoptr(NnExperiment) part = run_text (dir, "part", text, NULL);
  g_autofree char *path = g_build_filename (dir, "part.yaml", NULL);
  g_autofree char *run = g_build_filename (dir, "part", NULL);
  g_autofree char *whole_run = g_build_filename (dir, "whole", NULL);
  g_autofree char *history = NULL;
  g_autofree char *whole_history = NULL;
  g_autoptr(NnExperiment) changed = NULL;
  g_autoptr(NnExperiment) added = NULL;
  g_autoptr(NnExperiment) same = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (whole);
  CU_ASSERT_PTR_NOT_NULL_FATAL (part);

  changed = nn_experiment_new_from_file_full (
    path, (const char *[]){ "train.epochs=6", "model.layers.0.regularizer.l2=0.5", NULL },
    &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_FALSE (nn_experiment_resume (changed, run, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE);
  if (error != NULL)
    NN_ASSERT_CONTAINS (error->message, "model.layers[0].regularizer.l2: 0.01 when the run "
                                        "started, 0.5 now");
  g_clear_error (&error);

  added = nn_experiment_new_from_file_full (
    path, (const char *[]){ "train.epochs=6", "model.layers.1.regularizer.l1=0.1", NULL },
    &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_FALSE (nn_experiment_resume (added, run, &error));
  if (error != NULL)
    NN_ASSERT_CONTAINS (error->message, "model.layers[1].regularizer: (not set) when the run "
                                        "started");
  g_clear_error (&error);

  same = nn_experiment_new_from_file_full (path, six, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (nn_experiment_resume (same, run, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (nn_experiment_run (same, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  history = nn_test_history_without_seconds (run);
  whole_history = nn_test_history_without_seconds (whole_run);
  CU_ASSERT_STRING_EQUAL (history, whole_history);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("regularized layers", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "l1: 0 and l2: 0 train exactly as no regularizer",
               test_zero_regularizer_changes_nothing);
  CU_add_test (s, "the training loss holds the penalty, the validation loss does not",
               test_loss_holds_the_penalty_and_val_loss_not);
  CU_add_test (s, "config.yaml reruns the run and model.yaml keeps the regularizer",
               test_config_and_model_keep_the_regularizer);
  CU_add_test (s, "a run resumes with its regularizer and not with another",
               test_resume_keeps_the_regularizer);
  return nn_test_run ();
}
