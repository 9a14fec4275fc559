/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun export --format onnx as a user runs it: what it writes, and what it
 * refuses. The graph's numbers are checked against ONNX Runtime by
 * tests/reference/onnx_check.py (the onnx suite). */
#include <string.h>
#include <CUnit/CUnit.h>
#include <glib/gstdio.h>

#include "nn-test.h"

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", "NN_SOURCE_ROOT", "NN_TEST_EXAMPLE_PLUGIN",
                              "NN_TEST_PLUGIN_EXPORT", NULL);
}

static gboolean
has_bytes (GBytes     *bytes,
           const char *needle)
{
  gsize         n, len = strlen (needle);
  const guint8 *data = g_bytes_get_data (bytes, &n);

  for (gsize i = 0; i + len <= n; i++)
    if (memcmp (data + i, needle, len) == 0)
      return TRUE;
  return FALSE;
}

/* A ModelProto of IR version 8 whose graph holds the layers. */
static void
test_export_writes_model (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *path = g_build_filename (dir, "iris.onnx", NULL);
  g_autofree char *experiment = nn_test_source_file ("configs/iris.yaml");
  g_autofree char *err = NULL;
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GBytes) bytes = NULL;
  int status;

  nn_test_train_into (experiment, run, "train.epochs=2");
  status = nn_test_nnrun (NULL, &err, "export", run, "--format", "onnx", "--out", path, NULL);
  NN_ASSERT_STATUS (status, 0, err);
  file = g_mapped_file_new (path, FALSE, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (file);
  bytes = g_mapped_file_get_bytes (file);
  /* field 1 (ir_version), varint 8 */
  CU_ASSERT_TRUE_FATAL (g_bytes_get_size (bytes) > 2);
  CU_ASSERT_EQUAL (((const guint8 *) g_bytes_get_data (bytes, NULL))[0], 0x08);
  CU_ASSERT_EQUAL (((const guint8 *) g_bytes_get_data (bytes, NULL))[1], 8);
  CU_ASSERT_TRUE (has_bytes (bytes, "Gemm"));
  CU_ASSERT_TRUE (has_bytes (bytes, "Softmax"));
  CU_ASSERT_TRUE (has_bytes (bytes, "features"));
  CU_ASSERT_TRUE (has_bytes (bytes, "setosa"));
}

/* A layer kind or activation from a plugin whose class has no ONNX form:
 * exit 2 naming it, its file and the method to set, and no file. */
static void
test_plugin_refused (void)
{
  static const struct
  {
    const char *layer;
    const char *named;
    const char *file;
    const char *method;
  } cases[] = {
    { "{units: 8, activation: {name: swish, beta: 1.5}}", "activation 'swish'", "swish.so",
      "NnActivationClass.to_onnx" },
    { "{type: fixture_noise, stddev: 0.1}", "layer kind 'fixture_noise'", "fixture-noise.so",
      "NnLayerClass.to_onnx" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = nn_test_new_dir ();
      g_autofree char *run = g_build_filename (dir, "run", NULL);
      g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
      g_autofree char *yaml =
        g_strdup_printf ("plugins: [%s, %s]\n"
                         "data: {source: iris, scale: minmax}\n"
                         "model: {layers: [%s, {units: 3, activation: softmax}]}\n"
                         "train: {epochs: 2}\n",
                         g_getenv ("NN_TEST_EXAMPLE_PLUGIN"), g_getenv ("NN_TEST_PLUGIN_EXPORT"),
                         cases[i].layer);
      g_autofree char *experiment = nn_test_write_file (dir, "experiment.yaml", yaml);
      g_autofree char *err = NULL;
      int              status;

      nn_test_train_into (experiment, run, NULL);
      status = nn_test_nnrun (NULL, &err, "export", run, "--format", "onnx", "--out", path, NULL);
      NN_ASSERT_STATUS (status, 2, err);
      NN_ASSERT_CONTAINS (err, cases[i].named);
      NN_ASSERT_CONTAINS (err, "no ONNX form");
      NN_ASSERT_CONTAINS (err, cases[i].file);
      NN_ASSERT_CONTAINS (err, cases[i].method);
      CU_ASSERT_FALSE (g_file_test (path, G_FILE_TEST_EXISTS));
    }
}

/* A plugin's ONNX form that fails, returns a name the graph lacks or leaves
 * an attribute with no node: exit 2 naming the layer and what went wrong,
 * and no file. */
static void
test_plugin_form_fails (void)
{
  static const char * const reasons[] = {
    "fixture_gain was asked to fail",
    "returned 'no_such_value', which is no value of the graph",
    "set an attribute after its last node",
  };

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      g_autofree char *dir = nn_test_new_dir ();
      g_autofree char *run = g_build_filename (dir, "run", NULL);
      g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
      g_autofree char *yaml =
        g_strdup_printf ("plugins: [%s]\n"
                         "data: {source: iris, scale: minmax}\n"
                         "model: {layers: [{units: 4, activation: relu}, "
                         "{type: fixture_gain, fault: %u}, {units: 3, activation: softmax}]}\n"
                         "train: {epochs: 1}\n",
                         g_getenv ("NN_TEST_PLUGIN_EXPORT"), i + 1);
      g_autofree char *experiment = nn_test_write_file (dir, "experiment.yaml", yaml);
      g_autofree char *err = NULL;
      int              status;

      nn_test_train_into (experiment, run, NULL);
      status = nn_test_nnrun (NULL, &err, "export", run, "--format", "onnx", "--out", path, NULL);
      NN_ASSERT_STATUS (status, 2, err);
      NN_ASSERT_CONTAINS (err, "layer 2: the ONNX form of the layer kind 'fixture_gain'");
      NN_ASSERT_CONTAINS (err, reasons[i]);
      CU_ASSERT_FALSE (g_file_test (path, G_FILE_TEST_EXISTS));
    }
}

/* A model directory of @yaml (model.yaml's text) and the weights file
 * @weights (none when %NULL). */
static char *
model_dir (const char *parent,
           const char *name,
           const char *yaml,
           const char *weights)
{
  g_autofree char *dir = g_build_filename (parent, name, NULL);
  g_autofree char *bytes = NULL;
  gsize            len = 0;

  g_assert (g_mkdir (dir, 0700) == 0);
  g_free (nn_test_write_file (dir, "model.yaml", yaml));
  if (weights != NULL)
    {
      g_assert (g_file_get_contents (weights, &bytes, &len, NULL));
      g_free (nn_test_write_bytes (dir, "model.safetensors", bytes, len));
    }
  return g_steal_pointer (&dir);
}

static char *
replace (const char *text,
         const char *old,
         const char *new)
{
  g_auto(GStrv) parts = g_strsplit (text, old, 2);

  g_assert (parts[1] != NULL);
  return g_strjoin (new, parts[0], parts[1], NULL);
}

/* model.yaml and model.safetensors that do not belong together: exit 2 with
 * the file and the reason, for ONNX and C alike, and nothing written. */
static void
test_mismatched_files (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *a = g_build_filename (dir, "a", NULL);
  g_autofree char *b = g_build_filename (dir, "b", NULL);
  g_autofree char *c = g_build_filename (dir, "c", NULL);
  g_autofree char *experiment = nn_test_source_file ("configs/iris.yaml");
  g_autofree char *yaml = NULL;
  g_autofree char *a_weights = g_build_filename (a, "model.safetensors", NULL);
  g_autofree char *b_weights = g_build_filename (b, "model.safetensors", NULL);
  g_autofree char *c_weights = g_build_filename (c, "model.safetensors", NULL);
  g_autofree char *no_weights = NULL, *narrow = NULL;
  const char      *formats[] = { "onnx", "c" };

  nn_test_train_into (experiment, a, "train.epochs=1");
  nn_test_train_into (experiment, b, "model.layers=[{units: 5, activation: relu}, "
                                     "{units: 3, activation: softmax}]");
  nn_test_train_into (experiment, c, "train.epochs=2");
  yaml = nn_test_read_text (a, "model.yaml");
  no_weights = replace (yaml, "weights: model.safetensors", "weights: other.safetensors");
  narrow = replace (yaml, "features: [sepal_length, sepal_width, petal_length, petal_width]",
                    "features: [sepal_length, sepal_width, petal_length]");

  {
    const struct
    {
      const char *name;
      char       *dir;
      const char *file;
      const char *reason;
    } cases[] = {
      { "another model's weights", model_dir (dir, "shape", yaml, b_weights), "model.safetensors",
        "tensor 'layers.0.weight' is 5 × 4, the model needs 16 × 4" },
      { "another save's weights", model_dir (dir, "save", yaml, c_weights), "model.yaml:",
        "is not the weights file saved with this model" },
      { "no weights", model_dir (dir, "none", yaml, NULL), "model.safetensors", "cannot open" },
      { "weights named otherwise", model_dir (dir, "other", no_weights, a_weights),
        "other.safetensors", "cannot open" },
      { "a feature fewer", model_dir (dir, "narrow", narrow, a_weights), "model.yaml:",
        "one per feature" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        for (guint f = 0; f < G_N_ELEMENTS (formats); f++)
          {
            g_autofree char *out = g_build_filename (cases[i].dir, "out.c", NULL);
            g_autofree char *err = NULL;
            int              status;

            status = nn_test_nnrun (NULL, &err, "export", cases[i].dir, "--format", formats[f],
                                    "--out", out, NULL);
            NN_ASSERT_STATUS (status, 2, err);
            NN_ASSERT_CONTAINS (err, cases[i].file);
            NN_ASSERT_CONTAINS (err, cases[i].reason);
            CU_ASSERT_FALSE (g_file_test (out, G_FILE_TEST_EXISTS));
          }
        g_free (cases[i].dir);
      }
  }
}

/* An output that cannot be written: exit 1 with the reason; a model that
 * cannot be read: exit 2. */
static void
test_bad_paths (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *path = g_build_filename (dir, "missing", "model.onnx", NULL);
  g_autofree char *experiment = nn_test_source_file ("configs/iris.yaml");
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  int              status;

  nn_test_train_into (experiment, run, "train.epochs=1");
  status = nn_test_nnrun (NULL, &err, "export", run, "--format", "onnx", "--out", path, NULL);
  NN_ASSERT_STATUS (status, 1, err);
  NN_ASSERT_CONTAINS (err, "cannot write the ONNX model");
  NN_ASSERT_CONTAINS (err, "model.onnx");
  status = nn_test_nnrun (NULL, &err2, "export", dir, "--format", "onnx", "--out", path, NULL);
  CU_ASSERT_NOT_EQUAL (status, 0);
  CU_ASSERT_PTR_NOT_NULL (err2 != NULL ? strstr (err2, "nnrun: ") : NULL);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("export-onnx", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "export writes an ONNX model of IR version 8 with the layers",
               test_export_writes_model);
  CU_add_test (s, "a plugin's layer kind or activation is refused with exit 2, naming it",
               test_plugin_refused);
  CU_add_test (s, "a plugin's ONNX form that goes wrong exits 2 with the reason",
               test_plugin_form_fails);
  CU_add_test (s, "a model directory with mismatched files exits 2 with the reason, ONNX or C",
               test_mismatched_files);
  CU_add_test (s, "an unwritable output exits 1, an unreadable model fails", test_bad_paths);

  return nn_test_run ();
}
