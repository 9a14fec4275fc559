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
  g_object_set_data_full (G_OBJECT (parser), "run", g_steal_pointer (&run), g_free);
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

/* The file's dropout on the inputs and L2 penalty on the weights against
 * the same network with either or both taken off: the network overfits,
 * and each lowers the final validation loss. */
#define NO_L2 "--set", "model.layers.1.regularizer.l2=0", \
              "--set", "model.layers.2.regularizer.l2=0", \
              "--set", "model.layers.3.regularizer.l2=0"
#define NO_DROPOUT "--set", "model.layers.0.rate=0"

static void
test_breast_cancer (void)
{
  g_autoptr(JsonParser) both_parser = NULL;
  g_autoptr(JsonParser) l2_parser = NULL;
  g_autoptr(JsonParser) dropout_parser = NULL;
  g_autoptr(JsonParser) none_parser = NULL;
  JsonObject *both = run_config ("breast-cancer", &both_parser, NULL);
  JsonObject *l2 = run_config ("breast-cancer", &l2_parser, NO_DROPOUT, NULL);
  JsonObject *dropout = run_config ("breast-cancer", &dropout_parser, NO_L2, NULL);
  JsonObject *none = run_config ("breast-cancer", &none_parser, NO_DROPOUT, NO_L2, NULL);
  double      both_loss, l2_loss, dropout_loss, none_loss;

  CU_ASSERT_PTR_NOT_NULL_FATAL (both);
  CU_ASSERT_PTR_NOT_NULL_FATAL (l2);
  CU_ASSERT_PTR_NOT_NULL_FATAL (dropout);
  CU_ASSERT_PTR_NOT_NULL_FATAL (none);
  both_loss = final (both, "validation", "loss");
  l2_loss = final (l2, "validation", "loss");
  dropout_loss = final (dropout, "validation", "loss");
  none_loss = final (none, "validation", "loss");
  CU_ASSERT (final (both, "validation", "accuracy") >= 0.95);
  CU_ASSERT (final (none, "train", "loss") < 1e-3);
  NN_CHECK (both_loss < l2_loss && both_loss < dropout_loss && l2_loss < none_loss && dropout_loss < none_loss && both_loss < 0.7 * none_loss,
            "validation loss %g with dropout and L2, %g with L2 only, %g with dropout only, "
            "%g without either",
            both_loss, l2_loss, dropout_loss, none_loss);
}

/* The Auto MPG data as they come: missing values imputed, the year one-hot
 * encoded; predictions.csv names each test car; the saved model predicts
 * the raw test rows, missing values included, as the run did. */
static void
test_auto_mpg (void)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject      *s = run_config ("auto-mpg", &parser, NULL);
  const char      *run;
  g_autofree char *predictions = NULL;
  g_autofree char *test_csv = nn_test_source_file ("configs/data/auto-mpg-test.csv");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) lines = NULL;
  int status;

  CU_ASSERT_PTR_NOT_NULL_FATAL (s);
  CU_ASSERT (final (s, "test", "accuracy") >= 0.68);
  CU_ASSERT (final (s, "train", "accuracy") >= 0.85);
  run = g_object_get_data (G_OBJECT (parser), "run");
  predictions = nn_test_read_text (run, "predictions.csv");
  NN_ASSERT_CONTAINS (predictions, "Name,Origin,predicted_Origin,p_Europe,p_Japan,p_USA\n");
  lines = g_strsplit (predictions, "\n", -1);
  CU_ASSERT_EQUAL (g_strv_length (lines), 1 + 122 + 1);

  /* The predicted labels of nnrun predict on the raw file are those of
   * predictions.csv, row by row. */
  status = nn_test_nnrun (&out, &err, "predict", run, test_csv, "--no-proba", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  if (status == 0)
    {
      g_auto(GStrv) predicted = g_strsplit (out, "\n", -1);

      CU_ASSERT_EQUAL_FATAL (g_strv_length (predicted), g_strv_length (lines));
      for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
        {
          g_auto(GStrv) a = g_strsplit (lines[i], ",", 4);
          g_auto(GStrv) b = g_strsplit (predicted[i], ",", -1);
          guint nb = g_strv_length (b);

          NN_CHECK (g_strv_length (a) >= 3 && nb >= 2 && g_str_equal (a[2], b[nb - 1]),
                    "row %u: %s in predictions.csv, %s from nnrun predict", i, lines[i],
                    predicted[i]);
        }
    }
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
  CU_add_test (s, "breast-cancer.yaml: its dropout and L2 penalty lower the validation loss",
               test_breast_cancer);
  CU_add_test (s, "auto-mpg.yaml trains on missing values and text, and predicts raw rows",
               test_auto_mpg);
  /* Registered only where Debian's dataset-fashion-mnist is installed
   * (tools/install-deps installs it): a test that cannot run is not counted. */
  if (g_file_test ("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
                   G_FILE_TEST_EXISTS))
    CU_add_test (s, "fashion-mnist.yaml learns in one epoch", test_fashion_mnist);
  else
    g_printerr ("fashion-mnist.yaml not tested: install dataset-fashion-mnist\n");

  return nn_test_run ();
}
