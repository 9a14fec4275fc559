/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every shipped experiment in configs/ runs with nnrun and reaches what its
 * comments promise. */
#include <string.h>
#include <json-glib/json-glib.h>

#include "nn-test.h"

/* Trains configs/@name.yaml into a new folder and returns its summary. */
static JsonObject *
run_config (const char  *name,
            JsonParser **parser_out,
            ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *relative = g_strdup_printf ("configs/%s.yaml", name);
  g_autofree char *config = nn_test_source_file (relative);
  g_autofree char *run = nn_test_new_dir ();
  g_autofree char *summary = g_build_filename (run, "summary.json", NULL);
  g_autofree char *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *extra;
  va_list     ap;
  int         status;

  g_ptr_array_add (args, g_strdup ("train"));
  g_ptr_array_add (args, g_strdup (config));
  g_ptr_array_add (args, g_strdup ("--quiet"));
  g_ptr_array_add (args, g_strdup ("--out"));
  g_ptr_array_add (args, g_strdup (run));
  va_start (ap, parser_out);
  while ((extra = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, g_strdup (extra));
  va_end (ap);
  g_ptr_array_add (args, NULL);

  status = nn_test_nnrun_argv (NULL, &err, (const char * const *) args->pdata);
  NN_CHECK (status == 0, "nnrun train %s exited %d: %s", relative, status, err);
  if (status != 0 || !json_parser_load_from_file (parser, summary, NULL))
    return NULL;
  *parser_out = g_steal_pointer (&parser);
  return json_node_get_object (json_parser_get_root (*parser_out));
}

static double
final (JsonObject *summary,
       const char *split,
       const char *metric)
{
  JsonObject *final = json_object_get_object_member (summary, "final");
  JsonObject *part = json_object_get_object_member (final, split);

  return part ? json_object_get_double_member (part, metric) : NAN;
}

static void
test_iris (void)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *s = run_config ("iris", &parser, NULL);

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  CU_ASSERT (final (s, "validation", "accuracy") >= 0.95);
}

static void
test_lesson (void)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *s = run_config ("lesson", &parser, NULL);

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  CU_ASSERT_EQUAL (json_object_get_int_member (s, "epochs_run"), 100);
  CU_ASSERT (final (s, "train", "loss") < 0.6);
}

static void
test_iris_binary (void)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *s = run_config ("iris-binary", &parser, NULL);

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  CU_ASSERT (final (s, "test", "accuracy") >= 0.95);
  CU_ASSERT (final (s, "test", "auc") >= 0.95);
}

static void
test_iris_regression (void)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *s = run_config ("iris-regression", &parser, NULL);

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  CU_ASSERT (final (s, "test", "r2") >= 0.85);
  CU_ASSERT (final (s, "test", "rmse") < 0.3);
}

/* The L2 penalty of the file against the same network without it: the
 * network overfits, and the penalty lowers the final validation loss. */
static void
test_breast_cancer (void)
{
  g_autoptr(JsonParser) with_parser = NULL;
  g_autoptr(JsonParser) without_parser = NULL;
  JsonObject *with = run_config ("breast-cancer", &with_parser, NULL);
  JsonObject *without = run_config ("breast-cancer", &without_parser,
                                    "--set", "model.layers.0.regularizer.l2=0",
                                    "--set", "model.layers.1.regularizer.l2=0",
                                    "--set", "model.layers.2.regularizer.l2=0", NULL);

  CU_ASSERT_PTR_NOT_NULL_FATAL (with);
  CU_ASSERT_PTR_NOT_NULL_FATAL (without);
  CU_ASSERT (final (with, "validation", "accuracy") >= 0.95);
  CU_ASSERT (final (without, "train", "loss") < 1e-3);
  NN_CHECK (final (with, "validation", "loss") < 0.8 * final (without, "validation", "loss"),
            "validation loss %g with L2, %g without", final (with, "validation", "loss"),
            final (without, "validation", "loss"));
}

/* One epoch, to keep the suite short; the ten epochs of the file are
 * measured in README.md's Quick start. */
static void
test_fashion_mnist (void)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *s = run_config ("fashion-mnist", &parser, "--set", "train.epochs=1", NULL);

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  CU_ASSERT (final (s, "test", "accuracy") >= 0.80);
  CU_ASSERT_EQUAL (json_array_get_length (json_object_get_array_member (s, "classes")), 10);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("the shipped configs", nn_test_init_plugins, nn_test_remove_scratch);
  CU_add_test (s, "iris.yaml reaches 0.95 validation accuracy", test_iris);
  CU_add_test (s, "lesson.yaml trains its 100 epochs", test_lesson);
  CU_add_test (s, "iris-binary.yaml tells setosa apart on the test part", test_iris_binary);
  CU_add_test (s, "iris-regression.yaml predicts petal width", test_iris_regression);
  CU_add_test (s, "breast-cancer.yaml: its L2 penalty lowers the validation loss",
               test_breast_cancer);
  /* Registered only where Debian's dataset-fashion-mnist is installed
   * (tools/install-deps installs it): a test that cannot run is not counted. */
  if (g_file_test ("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
                   G_FILE_TEST_EXISTS))
    CU_add_test (s, "fashion-mnist.yaml learns in one epoch", test_fashion_mnist);
  else
    g_printerr ("fashion-mnist.yaml not tested: install dataset-fashion-mnist\n");

  return nn_test_run ();
}
