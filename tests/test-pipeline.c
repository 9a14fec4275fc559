/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Saved models: model.yaml + model.safetensors written by a run, loaded
 * back by the library, nnrun eval and nnrun predict; bad model files. */
#include <string.h>
#include <glib/gstdio.h>

#include "nn-test.h"

static int
init_suite (void)
{
  return nn_test_init_plugins ();
}

static int
init_plugin_suite (void)
{
  return nn_test_require_env ("NNRUN", "NN_TEST_EXAMPLE_PLUGIN", NULL) || init_suite ();
}

/* Trains @config (relative to the source root) with overrides into a new
 * folder and returns the experiment, run. */
static NnExperiment *
train (const char *config,
       char      **run_dir,
       ...)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) overrides = NULL;
  g_autofree char *path = nn_test_source_file (config);
  g_autoptr(NnExperiment) e = NULL;
  const char *o;
  va_list     args;

  va_start (args, run_dir);
  while ((o = va_arg (args, const char *)) != NULL)
    g_strv_builder_add (b, o);
  va_end (args);
  overrides = g_strv_builder_end (b);

  e = nn_experiment_new_from_file_full (path, (const char * const *) overrides, &error);
  NN_ASSERT_NO_ERROR (error);
  if (e == NULL)
    return NULL;
  *run_dir = nn_test_new_dir ();
  nn_experiment_set_output_dir (e, *run_dir);
  CU_ASSERT_TRUE (nn_experiment_run (e, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  return g_steal_pointer (&e);
}

static void
assert_same_matrix (const NnMatrix *a,
                    const NnMatrix *b)
{
  CU_ASSERT_TRUE_FATAL (nn_matrix_same_shape (a, b));
  CU_ASSERT (memcmp (a->data, b->data, nn_matrix_size (a) * sizeof (nn_real)) == 0);
}

/* The model saved by a run predicts exactly what the model in memory did. */
static void
test_saved_model_predicts_the_same (void)
{
  g_autofree char *run = NULL;
  g_autoptr(NnExperiment) e = train ("configs/iris.yaml", &run, "train.epochs=40", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnPipeline) loaded = NULL;
  g_autoptr(NnDataset) iris = NULL;
  g_autoptr(NnMatrix) in_memory = NULL;
  g_autoptr(NnMatrix) reloaded = NULL;
  g_autoptr(NnPipeline) original = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  loaded = nn_pipeline_load (run, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
  CU_ASSERT_EQUAL (nn_pipeline_get_task (loaded), NN_TASK_MULTICLASS);
  CU_ASSERT_STRING_EQUAL (nn_pipeline_get_class_names (loaded)[2], "virginica");
  CU_ASSERT_STRING_EQUAL (nn_pipeline_get_feature_names (loaded)[3], "petal_width");
  CU_ASSERT_EQUAL (nn_scaler_get_kind (nn_pipeline_get_scaler (loaded)), NN_SCALE_MINMAX);

  iris = nn_dataset_new_iris (&error);
  original = nn_experiment_get_pipeline (e);
  in_memory = nn_pipeline_predict (original, nn_dataset_get_features (iris));
  reloaded = nn_pipeline_predict (loaded, nn_dataset_get_features (iris));
  assert_same_matrix (in_memory, reloaded);

  /* Every weight came back as it was. */
  for (guint p = 0; p < nn_model_get_n_parameters (nn_experiment_get_model (e)); p++)
    assert_same_matrix (nn_model_get_parameter (nn_experiment_get_model (e), p),
                        nn_model_get_parameter (nn_pipeline_get_model (loaded), p));
}

/* The weights file, read by a reader that shares no code with nn. */
static void
test_weights_read_independently (void)
{
  g_autofree char *run = NULL;
  g_autoptr(NnExperiment) e = train ("configs/lesson.yaml", &run, "train.epochs=3", NULL);
  g_autofree char *script = nn_test_source_file ("tests/reference/read_safetensors.py");
  g_autofree char *weights = NULL;
  g_autofree char *out = NULL;
  const char      *argv[] = { NN_TEST_PYTHON, script, NULL, NULL };
  int              status = 1;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  weights = g_build_filename (run, "model.safetensors", NULL);
  argv[2] = weights;
  CU_ASSERT_TRUE_FATAL (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                      &out, NULL, &status, NULL));
  CU_ASSERT_TRUE (g_spawn_check_wait_status (status, NULL));
  CU_ASSERT_PTR_NOT_NULL (strstr (out, "layers.0.weight\t" NN_SAFETENSORS_DTYPE "\t2x4"));
  CU_ASSERT_PTR_NOT_NULL (strstr (out, "layers.1.weight\t" NN_SAFETENSORS_DTYPE "\t1x2"));
  CU_ASSERT_PTR_NOT_NULL (strstr (out, "layers.1.bias\t" NN_SAFETENSORS_DTYPE "\t1x1"));
}

/* nnrun predict writes the same probabilities as the model in memory. */
static void
test_predict_command (void)
{
  g_autofree char *run = NULL;
  g_autoptr(NnExperiment) e = train ("configs/iris.yaml", &run, "train.epochs=30", NULL);
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *input = nn_test_write_file (dir, "in.csv",
                                               "petal_width,sepal_length,sepal_width,petal_length\n"
                                               "0.2,5.1,3.5,1.4\n"
                                               "1.8,6.3,2.9,5.6\n");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(NnPipeline) pipeline = NULL;
  g_autoptr(NnMatrix) x = NULL;
  g_autoptr(NnMatrix) p = NULL;
  nn_real rows[] = { 5.1, 3.5, 1.4, 0.2, 6.3, 2.9, 5.6, 1.8 };
  int     status;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  status = nn_test_nnrun (&out, &err, "predict", run, input, NULL);
  CU_ASSERT_EQUAL (status, 0);
  lines = g_strsplit (out, "\n", -1);
  CU_ASSERT_STRING_EQUAL (lines[0], "predicted_species,p_setosa,p_versicolor,p_virginica");
  CU_ASSERT (g_str_has_prefix (lines[1], "setosa,"));
  CU_ASSERT (g_str_has_prefix (lines[2], "virginica,"));

  /* The columns were taken by name, and the values are the model's. */
  pipeline = nn_experiment_get_pipeline (e);
  x = nn_matrix_new_from_data (2, 4, rows);
  p = nn_pipeline_predict (pipeline, x);
  for (guint r = 0; r < 2; r++)
    {
      g_auto(GStrv) cells = g_strsplit (lines[r + 1], ",", -1);
      for (guint c = 0; c < 3; c++)
        CU_ASSERT_EQUAL ((nn_real) g_ascii_strtod (cells[c + 1], NULL), NN_MATRIX_AT (p, r, c));
    }
}

static void
test_eval_command (void)
{
  g_autofree char *run = NULL;
  g_autoptr(NnExperiment) e = train ("configs/iris.yaml", &run, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  status = nn_test_nnrun (&out, &err, "eval", run, "iris", NULL);
  CU_ASSERT_EQUAL (status, 0);
  CU_ASSERT_PTR_NOT_NULL (strstr (out, "samples 150\n"));
  CU_ASSERT_PTR_NOT_NULL (strstr (out, "accuracy 0.9"));
  CU_ASSERT_PTR_NOT_NULL (strstr (out, "f1 "));

  /* On the validation rows alone it gives the run's own final figure. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (&out, &err, "eval", "--json", run, "iris", NULL);
  CU_ASSERT_EQUAL (status, 0);
  CU_ASSERT (g_str_has_prefix (out, "{\"samples\":150,\"loss\":"));
}

/* ---- bad model files ----------------------------------------------------- */

static char *
copy_run (const char *run)
{
  char       *dir = nn_test_new_dir ();
  const char *names[] = { "model.yaml", "model.safetensors" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *from = g_build_filename (run, names[i], NULL);
      g_autofree char *to = g_build_filename (dir, names[i], NULL);
      g_autofree char *data = NULL;
      gsize            len = 0;

      g_assert (g_file_get_contents (from, &data, &len, NULL));
      g_assert (g_file_set_contents (to, data, (gssize) len, NULL));
    }
  return dir;
}

/* Replaces @old by @new in @dir/@name. */
static void
edit (const char *dir,
      const char *name,
      const char *old,
      const char *new)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GString) s = NULL;

  g_assert (g_file_get_contents (path, &text, NULL, NULL));
  s = g_string_new (text);
  g_assert (g_string_replace (s, old, new, 1) == 1);
  g_assert (g_file_set_contents (path, s->str, -1, NULL));
}

static void
truncate_file (const char *dir,
               const char *name,
               gssize      keep)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *data = NULL;
  gsize            len = 0;

  g_assert (g_file_get_contents (path, &data, &len, NULL));
  g_assert (g_file_set_contents (path, data, keep < 0 ? (gssize) len + keep : keep, NULL));
}

/* Loading fails with exit status 2 from nnrun, and a message with @needle. */
static void
assert_bad_model (int         line,
                  const char *dir,
                  const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnPipeline) p = nn_pipeline_load (dir, &error);
  g_autofree char *err = NULL;
  int              status;

  nn_test_check_at (p == NULL && error != NULL, __FILE__, line, "a bad model loaded");
  nn_test_assert_contains_at (error ? error->message : NULL, needle, __FILE__, line);
  status = nn_test_nnrun (NULL, &err, "eval", dir, "iris", NULL);
  nn_test_check_at (status == 2, __FILE__, line, "nnrun eval exited %d: %s", status, err);
}

#define ASSERT_BAD_MODEL(dir, needle) assert_bad_model (__LINE__, (dir), (needle))

static void
test_bad_model_files (void)
{
  g_autofree char *run = NULL;
  g_autoptr(NnExperiment) e = train ("configs/iris.yaml", &run, "train.epochs=2", NULL);
  struct
  {
    const char *file, *old, *new, *needle;
  } edits[] = {
    { "model.yaml", "format: nn-model/1", "format: nn-model/9", "format 'nn-model/9'" },
    { "model.yaml", "units: 16", "units: 17", "has 16 inputs, but the layer before has units: 17" },
    { "model.yaml", "inputs: 16", "inputs: 15", "has 15 inputs" },
    { "model.yaml", "{name: relu}", "{name: no_such_act}", "unknown activation 'no_such_act'" },
    { "model.yaml", "{name: relu}", "{name: relu, slope: 2}", "has no parameter 'slope'" },
    { "model.yaml", "task: multiclass", "task: binary", "the last layer has 3 units, the task needs 1" },
    { "model.yaml", "classes: [setosa, versicolor, virginica]", "classes: [setosa, versicolor]",
      "the task needs 2" },
    { "model.yaml", "kind: minmax", "kind: maxmin", "scaler.kind must be one of" },
    { "model.yaml", "weights: model.safetensors", "weights: ../elsewhere.safetensors",
      "beside model.yaml" },
    { "model.yaml", "weights: model.safetensors", "weights: missing.safetensors", "missing.safetensors" },
    { "model.yaml", "scalar: ", "scalr: ", "unknown key 'scalr'" },
    { "model.yaml", "targets: [species]", "targets: []", "targets must be a non-empty list" },
  };

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autofree char *dir = copy_run (run);
      edit (dir, edits[i].file, edits[i].old, edits[i].new);
      ASSERT_BAD_MODEL (dir, edits[i].needle);
    }

  /* The unknown activation names the file that provided it and the folders. */
  {
    g_autofree char *dir = copy_run (run);
    g_autoptr(GError) error = NULL;
    g_autoptr(NnPipeline) p = NULL;

    edit (dir, "model.yaml", "{name: relu}", "{name: swishy}");
    p = nn_pipeline_load (dir, &error);
    CU_ASSERT_PTR_NULL (p);
    CU_ASSERT (error && strstr (error->message, "libnnact-relu") != NULL);
    CU_ASSERT (error && strstr (error->message, "looked for in") != NULL);
  }

  /* Another model's weights. */
  {
    g_autofree char *lesson_run = NULL;
    g_autoptr(NnExperiment) lesson = train ("configs/lesson.yaml", &lesson_run, "train.epochs=1",
                                             NULL);
    g_autofree char *dir = copy_run (run);
    g_autofree char *from = g_build_filename (lesson_run, "model.safetensors", NULL);
    g_autofree char *to = g_build_filename (dir, "model.safetensors", NULL);
    g_autofree char *data = NULL;
    gsize            len = 0;

    g_assert (lesson != NULL);
    g_assert (g_file_get_contents (from, &data, &len, NULL));
    g_assert (g_file_set_contents (to, data, (gssize) len, NULL));
    ASSERT_BAD_MODEL (dir, "tensor 'layers.0.weight' is 2 × 4, the model needs 16 × 4");
  }

  /* Weights files cut short, or with a header length that lies. */
  {
    g_autofree char *dir = copy_run (run);
    truncate_file (dir, "model.safetensors", -10);
    ASSERT_BAD_MODEL (dir, "model.safetensors");
  }
  {
    g_autofree char *dir = copy_run (run);
    g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
    g_autofree char *data = NULL;
    gsize            len = 0;

    g_assert (g_file_get_contents (path, &data, &len, NULL));
    data[0] = (char) 0xff; /* header length far beyond the file */
    g_assert (g_file_set_contents (path, data, (gssize) len, NULL));
    ASSERT_BAD_MODEL (dir, "model.safetensors");
  }
  {
    g_autofree char *dir = copy_run (run);
    truncate_file (dir, "model.yaml", 40);
    ASSERT_BAD_MODEL (dir, "model.yaml");
  }
  {
    g_autofree char *dir = nn_test_new_dir ();
    ASSERT_BAD_MODEL (dir, "model.yaml");
  }
}

static void
test_bad_predict_input (void)
{
  g_autofree char *run = NULL;
  g_autoptr(NnExperiment) e = train ("configs/iris.yaml", &run, "train.epochs=2", NULL);
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *missing_col = nn_test_write_file (dir, "a.csv", "sepal_length,sepal_width\n1,2\n");
  g_autofree char *word = nn_test_write_file (dir, "b.csv",
                                              "sepal_length,sepal_width,petal_length,petal_width\n"
                                              "1,2,three,4\n");
  g_autofree char *err = NULL;
  int              status;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  status = nn_test_nnrun (NULL, &err, "predict", run, missing_col, NULL);
  CU_ASSERT_EQUAL (status, 2);
  CU_ASSERT (err && strstr (err, "no feature column 'petal_length'") != NULL);
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (NULL, &err, "predict", run, word, NULL);
  CU_ASSERT_EQUAL (status, 2);
  CU_ASSERT (err && strstr (err, "b.csv:2:") != NULL);
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (NULL, &err, "predict", run, NULL);
  CU_ASSERT_EQUAL (status, 2);
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (NULL, &err, "eval", run, "nonsense", NULL);
  CU_ASSERT_EQUAL (status, 2);
  CU_ASSERT (err && strstr (err, "neither 'iris'") != NULL);
}

/* A model trained on unscaled data has a scaler with nothing to apply. */
static void
test_unscaled_model_predicts (void)
{
  g_autofree char *run = NULL;
  g_autoptr(NnExperiment) e = train ("configs/iris.yaml", &run, "train.epochs=2",
                                      "data.scale=none", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnPipeline) loaded = NULL;
  g_autoptr(NnDataset) iris = NULL;
  g_autoptr(NnMatrix) p = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  loaded = nn_pipeline_load (run, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
  CU_ASSERT_EQUAL (nn_scaler_get_kind (nn_pipeline_get_scaler (loaded)), NN_SCALE_NONE);
  iris = nn_dataset_new_iris (&error);
  p = nn_pipeline_predict (loaded, nn_dataset_get_features (iris));
  CU_ASSERT_PTR_NOT_NULL_FATAL (p);
  CU_ASSERT_EQUAL (p->rows, 150);
}

static gboolean
has (const char *haystack,
     const char *needle)
{
  return haystack != NULL && strstr (haystack, needle) != NULL;
}

/* A model trained with a plugin from its experiment's plugins: folder
 * loads from the plugin file recorded in model.yaml, with NN_PLUGIN_PATH
 * unset; once that file is gone, eval and predict say so, and --plugins
 * finds it elsewhere. */
static void
test_model_finds_its_plugin_file (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *plugin_dir = g_build_filename (dir, "plugins", NULL);
  g_autofree char *moved_dir = g_build_filename (dir, "moved", NULL);
  g_autofree char *plugin = g_build_filename (plugin_dir, "swish.so", NULL);
  g_autofree char *moved = g_build_filename (moved_dir, "swish.so", NULL);
  g_autofree char *source = g_build_filename (g_getenv ("NN_TEST_EXAMPLE_PLUGIN"), "swish.so", NULL);
  g_autofree char *plugins = g_strdup_printf ("plugins: [%s]\n", plugin_dir);
  g_autofree char *experiment = NULL;
  g_autofree char *yaml = NULL;
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *input = g_build_filename (dir, "in.csv", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) envp = g_environ_unsetenv (g_get_environ (), "NN_PLUGIN_PATH");
  gsize length = 0;
  int   status;

  g_mkdir_with_parents (plugin_dir, 0755);
  g_mkdir_with_parents (moved_dir, 0755);
  CU_ASSERT_TRUE_FATAL (g_file_get_contents (source, &contents, &length, NULL));
  CU_ASSERT_TRUE_FATAL (g_file_set_contents (plugin, contents, length, NULL));
  g_file_set_contents (input, "sepal_length,sepal_width,petal_length,petal_width\n"
                              "5.1,3.5,1.4,0.2\n",
                       -1, NULL);
  experiment = g_strdup_printf ("%s/experiment.yaml", dir);
  yaml = g_strdup_printf ("%s"
                          "data: {source: iris, scale: minmax}\n"
                          "model: {layers: [{units: 8, activation: {name: swish, beta: 1.5}},\n"
                          "                 {units: 3, activation: softmax}]}\n"
                          "train: {epochs: 5}\n"
                          "output: {dir: %s/run}\n",
                          plugins, dir);
  g_file_set_contents (experiment, yaml, -1, NULL);
  status = nn_test_spawn (envp, NULL, NULL, g_getenv ("NNRUN"), "train", experiment, "--quiet",
                          NULL);
  CU_ASSERT_EQUAL_FATAL (status, 0);

  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "eval", run, "iris", NULL);
    NN_CHECK (status == 0, "eval: exit status %d; stderr:\n%s", status, err);
    NN_CHECK (has (out, "accuracy "), "eval printed:\n%s", out);
  }
  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "predict", run, input, NULL);
    NN_CHECK (status == 0, "predict: exit status %d; stderr:\n%s", status, err);
    NN_CHECK (g_str_has_prefix (out ? out : "", "predicted_species,"), "predict printed:\n%s",
              out);
  }

  CU_ASSERT_EQUAL_FATAL (g_rename (plugin, moved), 0);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *err = NULL;
      const char      *data = i == 0 ? "iris" : input;

      status = nn_test_spawn (envp, NULL, &err, g_getenv ("NNRUN"), i == 0 ? "eval" : "predict",
                              run, data, NULL);
      NN_CHECK (status == 2, "exit status %d; stderr:\n%s", status, err);
      NN_CHECK (has (err, plugin) && has (err, "no longer there"),
                "no word of the missing file:\n%s", err);
    }
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      const char      *data = i == 0 ? "iris" : input;

      status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), i == 0 ? "eval" : "predict",
                              "--plugins", moved_dir, run, data, NULL);
      NN_CHECK (status == 0, "--plugins: exit status %d; stderr:\n%s", status, err);
      NN_CHECK (has (out, i == 0 ? "accuracy " : "predicted_species,"), "--plugins: printed\n%s",
                out);
    }
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("saved models", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "a saved model predicts exactly what the trained one did",
               test_saved_model_predicts_the_same);
  if (nn_test_python_has_numpy ())
    CU_add_test (s, "model.safetensors is read by an independent reader",
                 test_weights_read_independently);
  else
    g_printerr ("skipping the independent reader of model.safetensors: " NN_TEST_PYTHON
                " with numpy was not found\n");
  CU_add_test (s, "nnrun predict writes labels and class probabilities",
               test_predict_command);
  CU_add_test (s, "nnrun eval prints the loss and every metric", test_eval_command);
  CU_add_test (s, "a model trained without scaling predicts", test_unscaled_model_predicts);

  s = CU_add_suite ("bad model files and inputs", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "corrupt or mismatched model files exit 2 with a clear message",
               test_bad_model_files);
  CU_add_test (s, "bad input to predict and eval exits 2", test_bad_predict_input);

  s = CU_add_suite ("models with plugins", init_plugin_suite, nn_test_remove_scratch);
  CU_add_test (s, "a saved model loads its plugin from the file it recorded, and says when it "
                  "is gone",
               test_model_finds_its_plugin_file);

  return nn_test_run ();
}
