/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Layer kinds from plugins: the finite-difference check of a layer kind
 * (nn_plugin_check_layer) on the built-in kinds, on the example
 * gaussian_noise, on a random kind with a parameter and on its wrong
 * variants; gaussian_noise itself; `nnrun check-plugin`, `nnrun plugins`
 * and `nnrun new-plugin layer` as a user runs them; and an experiment that
 * trains with gaussian_noise, saves, and predicts from the saved model. */
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_BAD_INPUT = 2,
};

#define NNRUN(out, err, ...) nn_test_nnrun ((out), (err), __VA_ARGS__, NULL)

static gboolean
contains (const char *haystack,
          const char *needle)
{
  return haystack != NULL && strstr (haystack, needle) != NULL;
}

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", "NN_PLUGIN_PATH", "NN_TEST_CHECK_FIXTURES",
                              "NN_TEST_EXAMPLE_PLUGIN", "NN_TEST_CC", "NN_TEST_PKG_CONFIG_PATH",
                              NULL) ||
         nn_test_init_plugins ();
}

static char *
fixture (const char *variable,
         const char *file)
{
  return g_build_filename (g_getenv (variable), file, NULL);
}

/* Loads @path and returns the one type it registers. */
static GType
load_one (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree GType *types = NULL;
  guint             n_types = 0;

  nn_plugins_load_file (path, &error);
  NN_ASSERT_NO_ERROR (error);
  types = nn_plugins_get_types_for_file (path, &n_types);
  NN_CHECK (n_types == 1, "%s registers %u types, expected 1", path, n_types);
  return n_types == 1 ? types[0] : G_TYPE_INVALID;
}

static GPtrArray *
check_file (const char *variable,
            const char *file)
{
  g_autofree char *path = fixture (variable, file);
  g_autoptr(GError) error = NULL;
  GType      type = load_one (path);
  GPtrArray *results;

  if (type == G_TYPE_INVALID)
    return g_ptr_array_new ();
  results = nn_plugin_check_layer (type, 1, &error);
  NN_ASSERT_NO_ERROR (error);
  return results ? results : g_ptr_array_new ();
}

static void
assert_all_pass (GPtrArray  *results,
                 const char *name,
                 guint       min_points)
{
  NN_CHECK (results->len >= 1, "no result for '%s'", name);
  for (guint r = 0; r < results->len; r++)
    {
      NnPluginCheckResult *result = results->pdata[r];

      NN_CHECK (result->passed, "'%s' (%s) fails: %s", name, result->setting, result->failure);
      NN_CHECK (g_str_equal (result->kind, "layer"), "'%s' checked as %s", name, result->kind);
      NN_CHECK (result->n_points >= min_points, "'%s' (%s) was compared at %u points only",
                name, result->setting, result->n_points);
      NN_CHECK (result->max_rel_error <= NN_PLUGIN_CHECK_RTOL, "'%s' (%s): max relative error %g",
                name, result->setting, result->max_rel_error);
    }
}

/* The first result's failure, which must be there. */
static const char *
failure_of (GPtrArray *results)
{
  NnPluginCheckResult *result = results->len > 0 ? results->pdata[0] : NULL;

  NN_CHECK (result != NULL && !result->passed, "the check passed");
  return result != NULL && result->failure != NULL ? result->failure : "";
}

/* The check */

/* Dense (with its weights and regularizer), batch_norm (rows coupled, a
 * smallest batch of 2), dropout (random) and activation layers pass, at
 * every setting. */
static void
test_builtin_layers_pass (void)
{
  g_auto(GStrv) names = nn_plugins_list (NN_LAYER_EXTENSION_POINT_NAME);

  NN_CHECK (g_strv_length (names) >= 4, "only %u layer kinds", g_strv_length (names));
  for (gsize i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      GType type = nn_plugins_lookup (NN_LAYER_EXTENSION_POINT_NAME, names[i], &error);
      g_autoptr(GPtrArray) results = nn_plugin_check_layer (type, 1, &error);

      NN_ASSERT_NO_ERROR (error);
      if (results != NULL)
        assert_all_pass (results, names[i], 200);
    }
}

static void
test_example_passes (void)
{
  g_autoptr(GPtrArray) results = check_file ("NN_TEST_EXAMPLE_PLUGIN", "gaussian_noise.so");
  NnPluginCheckResult *second = results->len > 1 ? results->pdata[1] : NULL;

  assert_all_pass (results, "gaussian_noise", 200);
  NN_CHECK (results->len == 2 && g_str_equal (second->setting, "stddev=0.2"),
            "stddev was not varied (%u results)", results->len);
}

/* Multiplicative noise and a learnt gain pass: every forward step of the
 * check draws the same noise. */
static void
test_random_layer_passes (void)
{
  g_autoptr(GPtrArray) results = check_file ("NN_TEST_CHECK_FIXTURES",
                                              "libfixture-noisy-gain.so");

  assert_all_pass (results, "fixture_noisy_gain", 200);
}

static void
test_wrong_input_gradient_fails (void)
{
  g_autoptr(GPtrArray) results = check_file ("NN_TEST_CHECK_FIXTURES",
                                              "libfixture-wrong-layer-input.so");
  const char *failure = failure_of (results);

  NN_CHECK (contains (failure, "backward disagrees with finite differences") &&
              contains (failure, "(dL/dx at ") && !contains (failure, "dL/dgain"),
            "the failure does not name dL/dx alone: %s", failure);
}

static void
test_wrong_parameter_gradient_fails (void)
{
  g_autoptr(GPtrArray) results = check_file ("NN_TEST_CHECK_FIXTURES",
                                              "libfixture-wrong-layer-gain.so");
  const char *failure = failure_of (results);

  NN_CHECK (contains (failure, "(dL/dgain at ") && !contains (failure, "dL/dx") &&
              contains (failure, "worst at gain["),
            "the failure does not name the gain: %s", failure);
}

static void
test_unseeded_fails (void)
{
  g_autoptr(GPtrArray) results = check_file ("NN_TEST_CHECK_FIXTURES",
                                              "libfixture-unseeded-layer.so");
  const char *failure = failure_of (results);

  NN_CHECK (contains (failure, "forward in training is not deterministic") &&
              contains (failure, "nn_layer_get_step_uniform"),
            "the failure does not say why: %s", failure);
}

static void
test_noisy_evaluation_fails (void)
{
  g_autoptr(GPtrArray) results = check_file ("NN_TEST_CHECK_FIXTURES",
                                              "libfixture-noisy-evaluation.so");
  const char *failure = failure_of (results);

  NN_CHECK (contains (failure, "forward in evaluation differs from one training step to "
                               "another"),
            "the failure does not say why: %s", failure);
}

static void
test_lazy_first_layer_fails (void)
{
  g_autoptr(GPtrArray) results = check_file ("NN_TEST_CHECK_FIXTURES",
                                              "libfixture-lazy-first-layer.so");
  const char *failure = failure_of (results);

  NN_CHECK (contains (failure, "backward asked for no dL/dX (as for a model's first layer) "
                               "gives another gradient of 'gain'"),
            "the failure does not say why: %s", failure);
}

static void
test_not_a_layer_kind (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  g_autoptr(GPtrArray) abstract = nn_plugin_check_layer (NN_TYPE_LAYER, 1, &error);
  GType tanh = nn_plugins_lookup (NN_ACTIVATION_EXTENSION_POINT_NAME, "tanh", NULL);
  g_autoptr(GPtrArray) activation = nn_plugin_check_layer (tanh, 1, &error2);

  CU_ASSERT_PTR_NULL (abstract);
  CU_ASSERT (g_error_matches (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID));
  CU_ASSERT_PTR_NULL (activation);
  NN_CHECK (error2 != NULL && contains (error2->message, "is not a layer kind"),
            "an activation: %s", error2 ? error2->message : "no error");
}

/* gaussian_noise */

/* N(0, stddev²) in training, the same for the same step; nothing in
 * evaluation. */
static void
test_gaussian_noise (void)
{
  g_autofree char *path = fixture ("NN_TEST_EXAMPLE_PLUGIN", "gaussian_noise.so");
  GType            type = load_one (path);
  g_autoptr(NnLayer) layer = NULL;
  g_autoptr(NnMatrix) x = nn_matrix_new (4000, 5);
  g_autoptr(NnMatrix) first = NULL;
  double sum = 0, sum2 = 0, n = nn_matrix_size (x), mean, sd;

  if (type == G_TYPE_INVALID)
    return;
  layer = g_object_new (type, "n-inputs", 5, "stddev", 0.5, NULL);
  for (gsize i = 0; i < n; i++)
    x->data[i] = (nn_real) (i % 7) - 3;
  first = nn_matrix_copy (nn_layer_forward (layer, x));
  for (gsize i = 0; i < n; i++)
    {
      double d = (double) first->data[i] - (double) x->data[i];

      sum += d;
      sum2 += d * d;
    }
  mean = sum / n;
  sd = sqrt (sum2 / n - mean * mean);
  /* Standard errors about 0.004 and 0.003. */
  NN_CHECK (fabs (mean) < 0.02 && fabs (sd - 0.5) < 0.015, "noise of mean %g, sd %g", mean, sd);
  NN_CHECK (memcmp (first->data, nn_layer_forward (layer, x)->data, n * sizeof (nn_real)) == 0,
            "the same step gives other noise");
  nn_layer_set_training (layer, FALSE);
  NN_CHECK (memcmp (x->data, nn_layer_forward (layer, x)->data, n * sizeof (nn_real)) == 0,
            "evaluation is not the identity");
}

/* nnrun */

static void
test_check_plugin_command (void)
{
  g_autofree char *example = fixture ("NN_TEST_EXAMPLE_PLUGIN", "gaussian_noise.so");
  g_autofree char *wrong = fixture ("NN_TEST_CHECK_FIXTURES", "libfixture-wrong-layer-input.so");
  g_autofree char *out = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *err3 = NULL;
  int              status;

  status = NNRUN (&out, NULL, "check-plugin", example);
  NN_CHECK (status == EXIT_OK && contains (out, "gaussian_noise  layer  default     training") &&
              contains (out, "All 2 checks passed."),
            "gaussian_noise.so: status %d:\n%s", status, out);
  status = NNRUN (&out2, &err2, "check-plugin", wrong);
  NN_CHECK (status == EXIT_FAILED &&
              contains (out2, "FAIL fixture_wrong_layer_input (default): backward disagrees "
                              "with finite differences") &&
              contains (err2, "1 of 1 checks failed"),
            "a wrong dL/dX: status %d:\n%s\n%s", status, out2, err2);
  status = NNRUN (NULL, &err3, "check-plugin", "dropout");
  NN_CHECK (status == EXIT_BAD_INPUT && contains (err3, "is a layer built into nn"),
            "a built-in kind: status %d, stderr:\n%s", status, err3);
}

static char **
environ_with_example (void)
{
  g_autofree char *path = g_strjoin (G_SEARCHPATH_SEPARATOR_S, g_getenv ("NN_PLUGIN_PATH"),
                                     g_getenv ("NN_TEST_EXAMPLE_PLUGIN"), NULL);

  return g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH", path, TRUE);
}

static void
test_plugins_command (void)
{
  g_auto(GStrv) envp = environ_with_example ();
  g_autofree char *file = fixture ("NN_TEST_EXAMPLE_PLUGIN", "gaussian_noise.so");
  g_autofree char *listed = g_strdup_printf ("(%s)", file);
  g_autofree char *out = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *out3 = NULL;
  const char      *layers;
  int              status;

  status = nn_test_spawn (envp, &out, NULL, g_getenv ("NNRUN"), "plugins", NULL);
  layers = out ? strstr (out, "Layers:\n") : NULL;
  NN_CHECK (status == EXIT_OK && layers != NULL && contains (layers, "  gaussian_noise ") &&
              contains (layers, "Adds N(0, stddev²) noise in training") &&
              contains (layers, listed),
            "gaussian_noise is not listed under Layers: status %d:\n%s", status, out);
  status = nn_test_spawn (envp, &out2, NULL, g_getenv ("NNRUN"), "plugins", "gaussian_noise",
                          NULL);
  NN_CHECK (status == EXIT_OK && contains (out2, "gaussian_noise (layer)") &&
              contains (out2, "stddev  number, default 0.1, from 0 to 1000") &&
              contains (out2, "- {type: gaussian_noise, stddev: 0.1}"),
            "plugins gaussian_noise: status %d:\n%s", status, out2);
  status = nn_test_spawn (envp, &out3, NULL, g_getenv ("NNRUN"), "check-plugin", "gaussian_noise",
                          NULL);
  NN_CHECK (status == EXIT_OK && contains (out3, "gaussian_noise  layer  stddev=0.2"),
            "check-plugin gaussian_noise, by name: status %d:\n%s", status, out3);
}

static char *
write_experiment (const char *dir,
                  const char *plugin_dir,
                  const char *layer)
{
  g_autofree char *yaml = g_strdup_printf ("seed: 3\n"
                                           "plugins: [%s]\n"
                                           "data: {source: iris, scale: minmax}\n"
                                           "model:\n"
                                           "  layers:\n"
                                           "    - %s\n"
                                           "    - {units: 8, activation: tanh}\n"
                                           "    - {units: 3, activation: softmax}\n"
                                           "optimizer: {name: sgd, learning_rate: 0.1}\n"
                                           "train: {epochs: 20, batch_size: 16}\n",
                                           plugin_dir, layer);

  return nn_test_write_file (dir, "experiment.yaml", yaml);
}

static NnMatrix *
train_and_predict (const char *experiment,
                   const char *run,
                   NnMatrix  **reloaded)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file (experiment, &error);
  g_autoptr(NnPipeline) original = NULL;
  g_autoptr(NnPipeline) loaded = NULL;
  g_autoptr(NnDataset) iris = nn_dataset_new_iris (NULL);

  NN_ASSERT_NO_ERROR (error);
  if (e == NULL)
    return NULL;
  nn_experiment_set_output_dir (e, run);
  CU_ASSERT_TRUE (nn_experiment_run (e, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  loaded = nn_pipeline_load (run, &error);
  NN_ASSERT_NO_ERROR (error);
  if (loaded == NULL)
    return NULL;
  original = nn_experiment_get_pipeline (e);
  *reloaded = nn_pipeline_predict (loaded, nn_dataset_get_features (iris));
  return nn_pipeline_predict (original, nn_dataset_get_features (iris));
}

/* Trained with noise, saved with the kind and its file, loaded again: the
 * same predictions, and other than without the noise. */
static void
test_experiment_saves_and_predicts (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *quiet_dir = nn_test_new_dir ();
  const char      *plugin_dir = g_getenv ("NN_TEST_EXAMPLE_PLUGIN");
  g_autofree char *experiment = write_experiment (dir, plugin_dir,
                                                  "{type: gaussian_noise, stddev: 0.3}");
  g_autofree char *quiet = write_experiment (quiet_dir, plugin_dir,
                                             "{type: gaussian_noise, stddev: 0}");
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *quiet_run = g_build_filename (quiet_dir, "run", NULL);
  g_autofree char *model_path = g_build_filename (run, "model.yaml", NULL);
  g_autofree char *file = g_build_filename (plugin_dir, "gaussian_noise.so", NULL);
  g_autofree char *module = g_strdup_printf ("type_module: {type: GaussianNoiseLayer, file: %s",
                                             file);
  g_autofree char *model = NULL;
  g_autoptr(NnMatrix) reloaded = NULL;
  g_autoptr(NnMatrix) quiet_reloaded = NULL;
  g_autoptr(NnMatrix) in_memory = train_and_predict (experiment, run, &reloaded);
  g_autoptr(NnMatrix) without = train_and_predict (quiet, quiet_run, &quiet_reloaded);

  CU_ASSERT_PTR_NOT_NULL_FATAL (in_memory);
  CU_ASSERT_PTR_NOT_NULL_FATAL (without);
  CU_ASSERT_FATAL (reloaded != NULL && nn_matrix_same_shape (in_memory, reloaded));
  NN_CHECK (memcmp (in_memory->data, reloaded->data,
                    nn_matrix_size (in_memory) * sizeof (nn_real)) == 0,
            "the saved model predicts otherwise than the model trained");
  NN_CHECK (memcmp (in_memory->data, without->data,
                    nn_matrix_size (in_memory) * sizeof (nn_real)) != 0,
            "noise of stddev 0.3 trains as no noise");
  NN_CHECK (g_file_get_contents (model_path, &model, NULL, NULL) &&
              contains (model, "- type: gaussian_noise\n  inputs: 4\n  stddev: 0.3") &&
              contains (model, module),
            "model.yaml does not record the kind and its file:\n%s", model);
}

/* `nnrun predict` finds the kind on the path or, off it, in the file the
 * model was saved with, to the same predictions; it names that file when
 * it is gone. */
static void
test_predict_command (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *plugin_dir = g_build_filename (dir, "my-plugins", NULL);
  g_autofree char *file = g_build_filename (plugin_dir, "gaussian_noise.so", NULL);
  g_autofree char *built = fixture ("NN_TEST_EXAMPLE_PLUGIN", "gaussian_noise.so");
  g_autofree char *experiment = write_experiment (dir, plugin_dir,
                                                  "{type: gaussian_noise, stddev: 0.1}");
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *csv = nn_test_source_file ("libcore/data/iris.csv");
  g_autofree char *gone = g_strdup_printf ("the model was saved with %s, which is no longer "
                                           "there",
                                           file);
  g_autoptr(GFile) from = g_file_new_for_path (built);
  g_autoptr(GFile) to = g_file_new_for_path (file);
  g_autofree char *path = g_strjoin (G_SEARCHPATH_SEPARATOR_S, g_getenv ("NN_PLUGIN_PATH"),
                                     plugin_dir, NULL);
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH", path, TRUE);
  g_autofree char *err = NULL;
  g_autofree char *on_path = NULL;
  g_autofree char *off_path = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *err3 = NULL;
  g_autofree char *err4 = NULL;
  int              status;

  g_mkdir_with_parents (plugin_dir, 0755);
  CU_ASSERT_FATAL (g_file_copy (from, to, G_FILE_COPY_NONE, NULL, NULL, NULL, NULL));
  status = NNRUN (NULL, &err, "train", experiment, "--quiet", "--out", run);
  NN_ASSERT_STATUS (status, EXIT_OK, err);
  status = nn_test_spawn (envp, &on_path, &err2, g_getenv ("NNRUN"), "predict", run, csv, NULL);
  NN_CHECK (status == EXIT_OK && contains (on_path, "setosa"), "predict: status %d:\n%s",
            status, err2);
  status = NNRUN (&off_path, &err3, "predict", run, csv);
  NN_CHECK (status == EXIT_OK && g_strcmp0 (on_path, off_path) == 0,
            "predict from the saved file: status %d:\n%s%s", status, off_path, err3);
  g_unlink (file);
  status = NNRUN (NULL, &err4, "predict", run, csv);
  NN_CHECK (status == EXIT_BAD_INPUT && contains (err4, "unknown layer 'gaussian_noise'") &&
              contains (err4, gone),
            "predict without the plugin: status %d, stderr:\n%s", status, err4);
}

/* nnrun new-plugin layer */

/* Built with the guide's command, it passes check-plugin and trains. */
static void
test_new_layer_plugin (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *source = g_build_filename (dir, "my_gain.c", NULL);
  g_autofree char *library = g_build_filename (dir, "my_gain.so", NULL);
  g_autofree char *experiment = NULL;
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *cc_err = NULL;
  g_autofree char *check_out = NULL;
  g_autofree char *train_err = NULL;
  int              status;

  status = NNRUN (&out, &err, "new-plugin", "layer", "my_gain", dir);
  NN_CHECK (status == EXIT_OK && contains (out, "- {type: my_gain, initial_gain: 1.0}"),
            "new-plugin layer: status %d:\n%s%s", status, out, err);
  status = nn_test_build_plugin (source, library, &cc_err);
  NN_CHECK (status == EXIT_OK, "the generated layer does not compile:\n%s", cc_err);
  if (status != EXIT_OK)
    return;
  status = NNRUN (&check_out, NULL, "check-plugin", library);
  NN_CHECK (status == EXIT_OK && contains (check_out, "my_gain  layer  default") &&
              contains (check_out, "initial_gain=2"),
            "the generated layer fails check-plugin: status %d:\n%s", status, check_out);

  experiment = write_experiment (dir, dir, "{type: my_gain, initial_gain: 0.5}");
  status = NNRUN (NULL, &train_err, "train", experiment, "--quiet", "--out", run);
  NN_ASSERT_STATUS (status, EXIT_OK, train_err);
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("the layer check", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "every built-in layer kind passes at every setting",
               test_builtin_layers_pass);
  CU_add_test (suite, "the example gaussian_noise passes, stddev varied", test_example_passes);
  CU_add_test (suite, "a random kind with a parameter passes: one step, one draw",
               test_random_layer_passes);
  CU_add_test (suite, "a dL/dX that forgets the mask fails, naming dL/dx",
               test_wrong_input_gradient_fails);
  CU_add_test (suite, "a parameter gradient of one row fails, naming the parameter",
               test_wrong_parameter_gradient_fails);
  CU_add_test (suite, "a kind drawing other numbers each forward step fails",
               test_unseeded_fails);
  CU_add_test (suite, "a kind random in evaluation fails", test_noisy_evaluation_fails);
  CU_add_test (suite, "a kind whose gradients need dL/dX asked for fails",
               test_lazy_first_layer_fails);
  CU_add_test (suite, "an abstract class or an activation is no layer kind",
               test_not_a_layer_kind);

  suite = CU_add_suite ("gaussian_noise", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "adds N(0, stddev²) in training, the same for one step, none in evaluation",
               test_gaussian_noise);
  CU_add_test (suite, "trains, saves with its file, and the saved model predicts the same",
               test_experiment_saves_and_predicts);
  CU_add_test (suite, "nnrun predict finds it on the path or in the file the model was saved "
                      "with, and names that file when it is gone",
               test_predict_command);

  suite = CU_add_suite ("nnrun", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "check-plugin passes gaussian_noise.so, fails a wrong dL/dX, refuses "
                      "a built-in kind",
               test_check_plugin_command);
  CU_add_test (suite, "plugins lists gaussian_noise under Layers and describes it; "
                      "check-plugin checks it by name",
               test_plugins_command);
  CU_add_test (suite, "new-plugin layer builds with the guide's command, passes and trains",
               test_new_layer_plugin);

  return nn_test_run ();
}
