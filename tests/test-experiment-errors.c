/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bad experiment files: every kind fails before any work, at the node at
 * fault, and hostile files (any bytes, deep nesting, aliases) give an
 * experiment or an error, never a crash. */
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

/* Checks that loading @path fails with a message naming FILE:LINE:COLUMN
 * of the experiment file, whatever the node. */
static void
assert_error_has_position_at (int         test_line,
                              const char *path,
                              const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) e = NULL;
  g_autofree char *pattern = NULL;
  g_autofree char *escaped = g_regex_escape_string (path, -1);

  g_file_set_contents (path, text, -1, NULL);
  e = nn_experiment_new_from_file (path, &error);
  nn_test_check_at (e == NULL && error != NULL, __FILE__, test_line, "the bad file loaded");
  if (error == NULL)
    return;
  pattern = g_strdup_printf ("^%s:[0-9]+:[0-9]+: error: ", escaped);
  nn_test_check_at (g_regex_match_simple (pattern, error->message, 0, 0), __FILE__, test_line,
                    "'%s' does not name %s:LINE:COLUMN", error->message, path);
}

/* Bad experiment files */

static void
test_base_experiment_loads (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "good.yaml", nn_test_base_experiment);
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file (path, &error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  CU_ASSERT_EQUAL (nn_model_get_n_layers (nn_experiment_get_model (e)), 2);
  /* The name defaults to the file's base name. */
  CU_ASSERT_STRING_EQUAL (nn_experiment_get_name (e), "good");
}

/* train.precision takes float32 or bf16, and bf16 is refused with its
 * reason where the build or the CPU has no bf16 products (test-nnrun
 * checks the refusal on this CPU, with oneDNN held to AVX-512 without
 * BF16). */
static void
test_train_precision (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = NULL;
  g_autoptr(NnExperiment) e = NULL;
  g_autofree char *text = g_strndup (nn_test_base_experiment,
                                     strlen (nn_test_base_experiment) - strlen ("train: {epochs: 2}\n"));
  g_autofree char *good = g_strconcat (text, "train: {epochs: 2, precision: float32}\n", NULL);
  g_autofree char *typo = g_strconcat (text, "train: {epochs: 2, precision: bf61}\n", NULL);
  g_autofree char *bf16 = g_strconcat (text, "train: {epochs: 2, precision: bf16}\n", NULL);

  path = nn_test_write_file (dir, "good.yaml", good);
  e = nn_experiment_new_from_file (path, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL (e);
  NN_ASSERT_BAD_FILE (typo, NN_CONFIG_ERROR_INVALID_VALUE, 9, 31, "'bf61'",
                      "did you mean 'bf16'?");
  if (nn_matrix_check_precision (NN_PRECISION_BF16, NULL))
    {
      g_autoptr(NnExperiment) e16 = NULL;
      g_autofree char *resolved = NULL;

      g_clear_pointer (&path, g_free);
      path = nn_test_write_file (dir, "bf16.yaml", bf16);
      e16 = nn_experiment_new_from_file (path, &error);
      NN_ASSERT_NO_ERROR (error);
      CU_ASSERT_PTR_NOT_NULL_FATAL (e16);
      resolved = nn_experiment_to_yaml (e16);
      CU_ASSERT_PTR_NOT_NULL (strstr (resolved, "precision: bf16"));
    }
  else
    NN_ASSERT_BAD_FILE (bf16, NN_CONFIG_ERROR_INVALID_VALUE, 9, 31, "precision bf16",
                        "is not available");
}

static void
test_malformed_yaml (void)
{
  /* An unclosed list shows where it could not go on. */
  NN_ASSERT_BAD_FILE ("name: bad\n"
                      "model:\n"
                      "  layers: [{units: 2}\n"
                      "seed: 1\n",
                      NN_CONFIG_ERROR_PARSE, 4, 1, "flow sequence");
  NN_ASSERT_BAD_FILE ("name: a: b\n", NN_CONFIG_ERROR_PARSE, 1, 8, "mapping values");
}

static void
test_unknown_top_level_key (void)
{
  g_autofree char *text = g_strconcat (nn_test_base_experiment,
                                       "optimiser: {name: sgd, learning_rate: 0.1}\n", NULL);

  NN_ASSERT_BAD_FILE (text, NN_CONFIG_ERROR_UNKNOWN_KEY, 10, 1,
                      "'optimiser'", "did you mean 'optimizer'?");
}

static void
test_unknown_layer_key (void)
{
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: 2, dropout: 0.5}\n"
                      "    - {units: 1, activation: sigmoid}\n",
                      NN_CONFIG_ERROR_UNKNOWN_KEY, 7, 18, "'dropout'", "model.layers[0]",
                      "'activation'");
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: 2}\n"
                      "    - {units: 1, activaton: sigmoid}\n",
                      NN_CONFIG_ERROR_UNKNOWN_KEY, 8, 18, "model.layers[1]",
                      "did you mean 'activation'?");
}

static void
test_wrong_type (void)
{
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: abc, activation: sigmoid}\n"
                      "    - {units: 1, activation: sigmoid}\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 7, 15, "model.layers[0].units", "'abc'");
  NN_ASSERT_BAD_FILE ("seed: [1, 2]\n"
                      "data: {source: iris}\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 1, 7, "seed", "a list");
}

static void
test_out_of_range (void)
{
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: 0, activation: sigmoid}\n"
                      "    - {units: 1, activation: sigmoid}\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 7, 15, "model.layers[0].units", "between 1 and");
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "  split: {validation: 1.5}\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: 1, activation: sigmoid}\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 5, 23, "data.split.validation", "1.5");
}

static void
test_duplicate_key (void)
{
  g_autofree char *text = g_strconcat (nn_test_base_experiment, "seed: 2\n", NULL);

  NN_ASSERT_BAD_FILE (text, NN_CONFIG_ERROR_INVALID_VALUE, 10, 1,
                      "duplicate key 'seed'", "line 1");
}

static void
test_unknown_activation (void)
{
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: 2, activation: sigmoid}\n"
                      "    - {units: 1, activation: sigmod}\n",
                      NN_CONFIG_ERROR_UNKNOWN_TYPE, 8, 30, "'sigmod'", "did you mean 'sigmoid'?",
                      "'relu'", "'tanh'", "'softmax'");
  /* The name inside a mapping is the node at fault. */
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  layers:\n"
                      "    - units: 1\n"
                      "      activation: {name: no_such_thing}\n",
                      NN_CONFIG_ERROR_UNKNOWN_TYPE, 8, 26, "'no_such_thing'", "'sigmoid'");
}

static void
test_unknown_plugin_parameter (void)
{
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: 2, activation: {name: leaky_relu, alfa: 0.1}}\n"
                      "    - {units: 1, activation: sigmoid}\n",
                      NN_CONFIG_ERROR_UNKNOWN_KEY, 7, 49, "'alfa'", "did you mean 'alpha'?");
}

static void
test_plugin_parameter_out_of_range (void)
{
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: 2, activation: {name: leaky_relu, alpha: 5}}\n"
                      "    - {units: 1, activation: sigmoid}\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 7, 56, "'alpha'", "between 0 and 1",
                      "not 5");
}

static void
test_inline_parameter_shapes (void)
{
  /* Two neurons of four inputs each: one row is missing. */
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  layers:\n"
                      "    - units: 2\n"
                      "      activation: sigmoid\n"
                      "      weights: [[1, 2, 3, 4]]\n"
                      "    - {units: 1, activation: sigmoid}\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 9, 16, "model.layers[0].weights", "2 neurons");
  /* The second row has three weights for four inputs. */
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  layers:\n"
                      "    - units: 2\n"
                      "      activation: sigmoid\n"
                      "      weights: [[1, 2, 3, 4],\n"
                      "                [1, 2, 3]]\n"
                      "    - {units: 1, activation: sigmoid}\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 10, 17, "row 2", "4 inputs");
  /* The second layer's inputs are the first layer's two units. */
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: 2, activation: sigmoid}\n"
                      "    - units: 1\n"
                      "      activation: sigmoid\n"
                      "      weights: [[1, 2, 3, 4]]\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 10, 17, "model.layers[1].weights", "2 inputs");
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  layers:\n"
                      "    - units: 2\n"
                      "      activation: sigmoid\n"
                      "      bias: [0, 0, 0]\n"
                      "    - {units: 1, activation: sigmoid}\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 9, 13, "model.layers[0].bias", "3 values",
                      "2 neurons");
}

static void
test_output_width_must_fit_classes (void)
{
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  task: multiclass\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: 8, activation: relu}\n"
                      "    - {units: 2, activation: softmax}\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 8, 15, "2 units", "3");
}

static void
test_positive_not_a_class (void)
{
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: rose\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: 1, activation: sigmoid}\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 4, 13, "'rose'",
                      "'setosa', 'versicolor', 'virginica'");
}

static void
test_missing_sections (void)
{
  /* The mapping that lacks the key is at fault: here the whole file. */
  NN_ASSERT_BAD_FILE ("# no data\n"
                      "seed: 1\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: 1, activation: sigmoid}\n",
                      NN_CONFIG_ERROR_MISSING_KEY, 2, 1, "'data'");
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n"
                      "model:\n"
                      "  init: normal\n",
                      NN_CONFIG_ERROR_MISSING_KEY, 6, 3, "'layers'");
  NN_ASSERT_BAD_FILE ("seed: 1\n"
                      "data:\n"
                      "  source: iris\n"
                      "  positive: setosa\n",
                      NN_CONFIG_ERROR_MISSING_KEY, 1, 1, "'model'");
}

static void
test_empty_file (void)
{
  NN_ASSERT_BAD_FILE ("", NN_CONFIG_ERROR_PARSE, 1, 1, "no experiment");
  NN_ASSERT_BAD_FILE ("# only a comment\n", NN_CONFIG_ERROR_PARSE, 1, 1, "no experiment");
}

static void
test_missing_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = g_build_filename (dir, "no-such-experiment.yaml", NULL);
  g_autofree char *prefix = g_strconcat (path, ": error: ", NULL);
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file (path, &error);

  CU_ASSERT_PTR_NULL (e);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_EQUAL (error->domain, NN_CONFIG_ERROR);
  CU_ASSERT_TRUE (g_str_has_prefix (error->message, prefix));
}

static void
test_csv_missing (void)
{
  NN_ASSERT_BAD_FILE ("data:\n"
                      "  source: {csv: missing.csv, target: y}\n"
                      "model:\n"
                      "  layers:\n"
                      "    - {units: 1, activation: sigmoid}\n",
                      NN_CONFIG_ERROR_INVALID_VALUE, 2, 17, "missing.csv");
}

static void
test_csv_word_in_number_column (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *csv = nn_test_write_file (dir, "data.csv",
                                             "a,b,label\n"
                                             "0.1,0.2,x\n"
                                             "0.3,abc,y\n"
                                             "0.5,0.6,x\n");
  g_autofree char *path = nn_test_write_file (dir, "bad.yaml",
                                              "data:\n"
                                              "  source: {csv: data.csv, target: label}\n"
                                              "model:\n"
                                              "  layers:\n"
                                              "    - {units: 1, activation: sigmoid}\n");
  g_autofree char *prefix = g_strconcat (csv, ":3:5: error: ", NULL);
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file (path, &error);

  CU_ASSERT_PTR_NULL (e);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_TRUE (g_str_has_prefix (error->message, prefix));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "'abc'"));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "'b'"));
}

/* Problems only seen once the data meet the model still name the file and
 * a position, like every other error in it. */
static void
test_late_data_errors_have_positions (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = g_build_filename (dir, "late.yaml", NULL);

  /* One sigmoid unit and no 'positive' for three classes. */
  assert_error_has_position_at (__LINE__, path,
                                "data:\n"
                                "  source: iris\n"
                                "model:\n"
                                "  layers:\n"
                                "    - {units: 1, activation: sigmoid}\n");
  /* 0.001 of each class's 50 flowers rounds to no validation flower. */
  assert_error_has_position_at (__LINE__, path,
                                "data:\n"
                                "  source: iris\n"
                                "  split: {validation: 0.001}\n"
                                "model:\n"
                                "  layers:\n"
                                "    - {units: 3, activation: softmax}\n");
}

/* CSV sources */

/* ---- hostile input ------------------------------------------------------- */

/* Loads @text as an experiment: it must give an experiment or an error,
 * never both, never neither (and never crash). */
static gboolean
loads_or_fails_cleanly (const char *path,
                        const char *text,
                        gsize       length)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) e = NULL;

  g_file_set_contents (path, text, (gssize) length, NULL);
  e = nn_experiment_new_from_file (path, &error);
  return (e != NULL) != (error != NULL);
}

static void
test_any_bytes_give_a_result_or_an_error (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = g_build_filename (dir, "fuzz.yaml", NULL);
  g_autofree char *lesson_path = nn_test_source_file ("configs/lesson.yaml");
  g_autofree char *lesson = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (2024);
  gsize length = 0;
  guint bad = 0, runs = 0;

  CU_ASSERT_TRUE_FATAL (g_file_get_contents (lesson_path, &lesson, &length, NULL));

  /* Every prefix of a real experiment. */
  for (gsize cut = 0; cut <= length; cut += 3, runs++)
    bad += !loads_or_fails_cleanly (path, lesson, cut);

  /* Random mutations of it: bytes replaced, including NUL and UTF-8 debris. */
  for (guint i = 0; i < 400; i++, runs++)
    {
      g_autofree char *copy = g_memdup2 (lesson, length);
      guint            n = g_rand_int_range (rand, 1, 8);

      for (guint k = 0; k < n; k++)
        copy[g_rand_int_range (rand, 0, (gint32) length)] =
          (char) g_rand_int_range (rand, 0, 256);
      bad += !loads_or_fails_cleanly (path, copy, length);
    }

  /* Random bytes. */
  for (guint i = 0; i < 200; i++, runs++)
    {
      char  buf[256];
      gsize n = g_rand_int_range (rand, 0, sizeof buf);

      for (gsize k = 0; k < n; k++)
        buf[k] = (char) g_rand_int_range (rand, 0, 256);
      bad += !loads_or_fails_cleanly (path, buf, n);
    }
  CU_ASSERT_EQUAL (bad, 0);
  CU_ASSERT (runs > 700);
}

static void
test_deep_nesting_is_refused_quickly (void)
{
  g_autoptr(GString) text = g_string_new ("data: ");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) e = NULL;
  gint64 start;

  for (int i = 0; i < 100000; i++)
    g_string_append_c (text, '[');
  for (int i = 0; i < 100000; i++)
    g_string_append_c (text, ']');
  path = nn_test_write_file (dir, "deep.yaml", text->str);
  start = g_get_monotonic_time ();
  e = nn_experiment_new_from_file (path, &error);
  CU_ASSERT_PTR_NULL (e);
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_PARSE);
  CU_ASSERT (error && strstr (error->message, "nested more than 64 levels") != NULL);
  /* Not a timing test: a loader without the limit takes tens of seconds. */
  CU_ASSERT (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC);
}

static void
test_aliases_do_not_expand (void)
{
  g_autoptr(GString) text = g_string_new ("x0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) e = NULL;

  /* 40 levels of doubling: 10 × 2^40 values if expanded. */
  for (int i = 1; i <= 40; i++)
    g_string_append_printf (text, "x%d: &a%d [*a%d, *a%d]\n", i, i, i - 1, i - 1);
  g_string_append (text, "data: {source: iris, positive: setosa}\n"
                         "model: {layers: [{units: 1, activation: sigmoid, weights: *a40}]}\n");
  path = nn_test_write_file (dir, "bomb.yaml", text->str);
  e = nn_experiment_new_from_file (path, &error);
  CU_ASSERT_PTR_NULL (e);
  CU_ASSERT_PTR_NOT_NULL (error);
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("A bad experiment file fails at the node at fault", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "the file the bad ones are made from loads", test_base_experiment_loads);
  CU_add_test (suite, "train.precision is float32, bf16 refused with its reason",
               test_train_precision);
  CU_add_test (suite, "malformed YAML is a parse error where parsing stopped",
               test_malformed_yaml);
  CU_add_test (suite, "an unknown top-level key suggests the close one",
               test_unknown_top_level_key);
  CU_add_test (suite, "an unknown layer key lists or suggests the valid keys",
               test_unknown_layer_key);
  CU_add_test (suite, "a value of the wrong type is rejected", test_wrong_type);
  CU_add_test (suite, "an out-of-range value is rejected", test_out_of_range);
  CU_add_test (suite, "a duplicate key names the first one", test_duplicate_key);
  CU_add_test (suite, "an unknown activation lists the known ones and suggests one",
               test_unknown_activation);
  CU_add_test (suite, "an unknown plugin parameter suggests the close one",
               test_unknown_plugin_parameter);
  CU_add_test (suite, "an out-of-range plugin parameter gives the range",
               test_plugin_parameter_out_of_range);
  CU_add_test (suite, "inline weights and biases of the wrong shape are rejected",
               test_inline_parameter_shapes);
  CU_add_test (suite, "an output layer that does not fit the classes is rejected",
               test_output_width_must_fit_classes);
  CU_add_test (suite, "a positive label that is not a class lists the classes",
               test_positive_not_a_class);
  CU_add_test (suite, "missing data, model and model.layers sections are reported",
               test_missing_sections);
  CU_add_test (suite, "an empty file holds no experiment", test_empty_file);
  CU_add_test (suite, "a file that does not exist is an error, not a crash", test_missing_file);
  CU_add_test (suite, "a csv source whose file is missing is reported at its name",
               test_csv_missing);
  CU_add_test (suite, "a word in a number column names the CSV cell",
               test_csv_word_in_number_column);
  CU_add_test (suite, "data problems found after reading the file still name a position",
               test_late_data_errors_have_positions);

  suite = CU_add_suite ("Hostile experiment files", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "any bytes give an experiment or an error, never a crash",
               test_any_bytes_give_a_result_or_an_error);
  CU_add_test (suite, "deep nesting is refused at once", test_deep_nesting_is_refused_quickly);
  CU_add_test (suite, "aliases are not expanded", test_aliases_do_not_expand);

  return nn_test_run ();
}
