/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Experiments changed from outside: --set overrides of any key, bad
 * overrides reported against the override, the resolved experiment that
 * reads back as the same, and warnings of likely mistakes. */
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

/* ---- overrides, the resolved experiment, warnings ------------------------ */

static NnExperiment *
load_with (const char *path,
           GError    **error,
           ...)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) overrides = NULL;
  const char *o;
  va_list     args;

  va_start (args, error);
  while ((o = va_arg (args, const char *)) != NULL)
    g_strv_builder_add (b, o);
  va_end (args);
  overrides = g_strv_builder_end (b);
  return nn_experiment_new_from_file_full (path, (const char * const *) overrides, error);
}

static void
test_overrides_change_any_key (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "base.yaml", nn_test_base_experiment);
  g_autoptr(NnExperiment) e = load_with (path, &error,
                                          "model.layers.0.units=7",
                                          "optimizer={name: sgd, learning_rate: 0.25}",
                                          "train.epochs=3",
                                          "data.split.validation=0.2",
                                          "metrics=[accuracy]",
                                          NULL);
  NnModel *model;
  double   lr = 0;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  model = nn_experiment_get_model (e);
  CU_ASSERT_EQUAL (nn_layer_get_units (nn_model_get_layer (model, 0)), 7);
  CU_ASSERT_EQUAL (nn_layer_get_n_inputs (nn_model_get_layer (model, 1)), 7);
  g_object_get (nn_model_get_optimizer (model), "learning-rate", &lr, NULL);
  NN_ASSERT_CMPFLOAT (lr, 0.25, 0, 0);
  CU_ASSERT_EQUAL (nn_experiment_get_epochs (e), 3);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (nn_experiment_get_validation_data (e)), 30);
}

static void
assert_override_error (const char *path,
                       const char *assignment,
                       const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) e = load_with (path, &error, assignment, NULL);
  g_autofree char *prefix = g_strdup_printf ("--set %s: error: ", assignment);

  CU_ASSERT_PTR_NULL (e);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_EQUAL (error->domain, NN_CONFIG_ERROR);
  NN_CHECK (g_str_has_prefix (error->message, prefix) && strstr (error->message, needle) != NULL,
            "'%s' lacks '%s' or '%s'", error->message, prefix, needle);
}

static void
test_bad_overrides_name_the_override (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "base.yaml", nn_test_base_experiment);

  assert_override_error (path, "model.layers.0.units=abc", "must be a whole number");
  assert_override_error (path, "model.layers.9.units=3", "'model.layers' is a list of 2 items");
  assert_override_error (path, "optimizer={name: sgd, learning_rat: 0.1}",
                         "did you mean 'learning_rate'?");
  assert_override_error (path, "seed.x=1", "'seed' holds a single value");
  assert_override_error (path, "nonsense", "expected KEY=VALUE");
  assert_override_error (path, "train.epochs=[1", "not valid YAML");
  assert_override_error (path, "train.epochs=", "no value");
  assert_override_error (path, "train..epochs=1", "not a key path");
  assert_override_error (path, "train.epochs=0", "between 1 and");
}

/* The resolved experiment, read back, is the same experiment. */
static void
test_resolved_yaml_round_trips (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *lesson = nn_test_source_file ("configs/lesson.yaml");
  g_autoptr(NnExperiment) e = load_with (lesson, &error, "train.epochs=7", NULL);
  g_autofree char *yaml = NULL;
  g_autofree char *again = NULL;
  g_autofree char *resolved = NULL;
  g_autofree char *run_a = g_build_filename (dir, "a", NULL);
  g_autofree char *run_b = g_build_filename (dir, "b", NULL);
  g_autofree char *saved = NULL;
  g_autoptr(NnExperiment) a = NULL;
  g_autoptr(NnExperiment) b = NULL;
  g_auto(GStrv) loss_a = NULL;
  g_auto(GStrv) loss_b = NULL;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  yaml = nn_experiment_to_yaml (e);
  CU_ASSERT_PTR_NOT_NULL (strstr (yaml, "epochs: 7"));
  CU_ASSERT_PTR_NOT_NULL (strstr (yaml, "learning_rate: 0.1"));
  CU_ASSERT_PTR_NOT_NULL (strstr (yaml, "positive: setosa"));
  CU_ASSERT_PTR_NOT_NULL (strstr (yaml, "0.54256004"));
  resolved = nn_test_write_file (dir, "resolved.yaml", yaml);

  b = nn_experiment_new_from_file (resolved, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (b);
  again = nn_experiment_to_yaml (b);
  CU_ASSERT_STRING_EQUAL (again, yaml);

  /* Running either gives the same losses, and the run saves the same text. */
  nn_experiment_set_output_dir (e, run_a);
  nn_experiment_set_output_dir (b, run_b);
  CU_ASSERT_TRUE (nn_experiment_run (e, NULL, NULL));
  CU_ASSERT_TRUE (nn_experiment_run (b, NULL, NULL));
  loss_a = nn_test_history_column (run_a, "loss");
  loss_b = nn_test_history_column (run_b, "loss");
  CU_ASSERT_EQUAL (g_strv_length (loss_a), 7);
  CU_ASSERT_TRUE (g_strv_equal ((const char * const *) loss_a, (const char * const *) loss_b));
  {
    g_autofree char *config = g_build_filename (run_a, "config.yaml", NULL);
    g_file_get_contents (config, &saved, NULL, NULL);
  }
  CU_ASSERT_PTR_NOT_NULL_FATAL (saved);
  CU_ASSERT_PTR_NOT_NULL (strstr (saved, run_a));
  (void) a;
}

static gboolean
has_warning (NnExperiment *e,
             const char   *needle)
{
  const char * const *w = nn_experiment_get_warnings (e);

  for (gsize i = 0; w[i] != NULL; i++)
    if (strstr (w[i], needle) != NULL && strstr (w[i], ": warning: ") != NULL)
      return TRUE;
  return FALSE;
}

static void
test_likely_mistakes_warn (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *iris = nn_test_source_file ("configs/iris.yaml");
  g_autofree char *lesson = nn_test_source_file ("configs/lesson.yaml");
  g_autofree char *csv = nn_test_write_file (dir, "reg.csv", "x,y\n1,5\n2,7\n3,9\n4,11\n5,13\n");
  g_autofree char *reg =
    nn_test_write_file (dir, "reg.yaml",
                        "data: {source: {csv: reg.csv, target: y}, task: regression}\n"
                        "model: {layers: [{units: 1, activation: sigmoid}]}\n"
                        "loss: mean_squared_error\n");
  g_autoptr(NnExperiment) clean = load_with (iris, &error, NULL);
  g_autoptr(NnExperiment) softmax_bce = NULL;
  g_autoptr(NnExperiment) sigmoid_cce = NULL;
  g_autoptr(NnExperiment) out_of_range = NULL;
  g_autoptr(NnExperiment) sorted = NULL;
  g_autoptr(NnExperiment) dropout_last = NULL;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (csv);
  CU_ASSERT_PTR_NOT_NULL_FATAL (clean);
  CU_ASSERT_PTR_NULL (nn_experiment_get_warnings (clean)[0]);

  softmax_bce = load_with (lesson, &error, "model.layers.1.activation=softmax", NULL);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (softmax_bce);
  CU_ASSERT_TRUE (has_warning (softmax_bce, "binary_crossentropy after a softmax"));

  sigmoid_cce = load_with (iris, &error, "model.layers.1.activation=sigmoid", NULL);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (sigmoid_cce);
  CU_ASSERT_TRUE (has_warning (sigmoid_cce, "sigmoid output over 3 classes"));

  out_of_range = load_with (reg, &error, NULL);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (out_of_range);
  CU_ASSERT_TRUE (has_warning (out_of_range, "range from 5 to 13"));

  sorted = load_with (iris, &error, "data.split={validation: 0.2, shuffle: false, stratify: false}",
                      NULL);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (sorted);
  CU_ASSERT_TRUE (has_warning (sorted, "sorted by class"));

  dropout_last = load_with (iris, &error,
                            "model.layers=[{units: 8, activation: relu}, "
                            "{units: 3, activation: softmax}, {type: dropout, rate: 0.5}]",
                            NULL);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (dropout_last);
  CU_ASSERT_TRUE (has_warning (dropout_last, "model.layers[2]: dropout as the last layer"));
  CU_ASSERT_FALSE (has_warning (clean, "dropout"));
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("Overrides, resolved experiments and warnings", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "--set overrides change any key, lists included",
               test_overrides_change_any_key);
  CU_add_test (suite, "a bad override is reported against the override",
               test_bad_overrides_name_the_override);
  CU_add_test (suite, "the resolved experiment reads back as the same experiment",
               test_resolved_yaml_round_trips);
  CU_add_test (suite, "likely mistakes give warnings, a clean file none",
               test_likely_mistakes_warn);

  return nn_test_run ();
}
