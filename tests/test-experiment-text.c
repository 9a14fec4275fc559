/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Experiment text in and out: what a file may hold and how it is read, and
 * that every file a run writes is UTF-8 that reads back. */
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include <glib/gstdio.h>

#include "nn-test.h"

/* A three-class experiment on the built-in Iris data, two epochs. */
#define IRIS_EXPERIMENT \
  "data: {source: iris}\n" \
  "model: {layers: [{units: 3, activation: softmax}]}\n" \
  "train: {epochs: 2}\n"

/* Ten rows of a small classification table. */
#define SMALL_CSV "a,b,label\n1,2,x\n2,1,y\n3,4,x\n4,3,y\n5,6,x\n6,5,y\n7,8,x\n8,7,y\n9,9,x\n0,1,y\n"

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", NULL) || nn_test_init_plugins ();
}

/* Runs nnrun with the arguments (NULL-terminated), killed after a minute:
 * a run that hangs fails the test instead of the suite's time-out. */
static int
nnrun_within_a_minute (char      **out,
                       char      **err,
                       const char *first_arg,
                       ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *arg;
  va_list     ap;

  g_ptr_array_add (argv, (gpointer) "timeout");
  g_ptr_array_add (argv, (gpointer) "-k");
  g_ptr_array_add (argv, (gpointer) "5");
  g_ptr_array_add (argv, (gpointer) "60");
  g_ptr_array_add (argv, (gpointer) g_getenv ("NNRUN"));
  va_start (ap, first_arg);
  for (arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  return nn_test_spawn_argv (NULL, out, err, (const char * const *) argv->pdata);
}

/* Checks that @path holds valid UTF-8, and returns its text. */
static char *
read_utf8_at (const char *path,
              int         line)
{
  g_autofree char *text = NULL;
  gsize            length = 0;

  if (!g_file_get_contents (path, &text, &length, NULL))
    {
      nn_test_check_at (FALSE, __FILE__, line, "%s cannot be read", path);
      return g_strdup ("");
    }
  nn_test_check_at (g_utf8_validate (text, (gssize) length, NULL) && strlen (text) == length,
                    __FILE__, line, "%s is not valid UTF-8", path);
  return g_steal_pointer (&text);
}
#define READ_UTF8(path) read_utf8_at ((path), __LINE__)

#define ASSERT_UTF8(text) \
  NN_CHECK ((text) != NULL && g_utf8_validate ((text), -1, NULL), "not UTF-8: %s", (text))

/* ---- names that are not UTF-8 -------------------------------------------- */

static void
test_file_name_not_utf8 (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "bad\xff.yaml", IRIS_EXPERIMENT);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *config = g_build_filename (run, "config.yaml", NULL);
  g_autofree char *summary = g_build_filename (run, "summary.json", NULL);
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
  g_autofree char *out3 = NULL, *err3 = NULL;
  g_autofree char *config_text = NULL, *summary_text = NULL;
  int              status;

  /* The name comes from the file name, shown as UTF-8. */
  status = nnrun_within_a_minute (&out, &err, "validate", path, NULL);
  NN_ASSERT_STATUS (status, 0, err);
  ASSERT_UTF8 (out);
  NN_CHECK (out != NULL && g_str_has_prefix (out, "name: bad") && strlen (out) > 200,
            "validate printed: %s", out);

  status = nnrun_within_a_minute (&out2, &err2, "train", "--quiet", path, "--out", run, NULL);
  NN_ASSERT_STATUS (status, 0, err2);
  config_text = READ_UTF8 (config);
  summary_text = READ_UTF8 (summary);
  NN_ASSERT_CONTAINS (summary_text, "\"name\" : \"bad");
  NN_ASSERT_CONTAINS (config_text, "name: bad");

  /* What the run recorded runs again. */
  status = nnrun_within_a_minute (&out3, &err3, "validate", config, NULL);
  NN_ASSERT_STATUS (status, 0, err3);
}

static void
test_folder_name_not_utf8 (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *folder = g_build_filename (dir, "d\xfe", NULL);
  g_autofree char *iris = NULL, *csv = NULL, *plugins = NULL;
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *config = g_build_filename (run, "config.yaml", NULL);
  g_autofree char *refused = g_build_filename (dir, "refused", NULL);
  g_autofree char *refused_partial = g_build_filename (dir, "refused.partial", NULL);
  g_autofree char *config_text = NULL;
  int              status;

  g_assert (g_mkdir (folder, 0755) == 0);
  g_free (nn_test_write_file (folder, "data.csv", SMALL_CSV));
  iris = nn_test_write_file (folder, "e.yaml", IRIS_EXPERIMENT);
  csv = nn_test_write_file (folder, "csv.yaml",
                            "data: {source: {csv: data.csv, target: label}}\n"
                            "model: {layers: [{units: 1, activation: sigmoid}]}\n");
  plugins = nn_test_write_file (folder, "plugins.yaml", "plugins: [.]\n" IRIS_EXPERIMENT);

  /* Nothing of the folder's name goes into the run's files. */
  {
    g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;

    status = nnrun_within_a_minute (&out, &err, "train", "--quiet", iris, "--out", run, NULL);
    NN_ASSERT_STATUS (status, 0, err);
    config_text = READ_UTF8 (config);
    status = nnrun_within_a_minute (&out2, &err2, "validate", config, NULL);
    NN_ASSERT_STATUS (status, 0, err2);
  }

  /* A path config.yaml would have to record is refused, by name. */
  {
    g_autofree char *out = NULL, *err = NULL;

    status = nnrun_within_a_minute (&out, &err, "train", csv, "--out", refused, NULL);
    NN_ASSERT_STATUS (status, 2, err);
    ASSERT_UTF8 (err);
    NN_ASSERT_CONTAINS (err, "csv.yaml:1:22: error: data.source.csv: the path ");
    NN_ASSERT_CONTAINS (err, "data.csv' is not valid UTF-8");
  }
  {
    g_autofree char *out = NULL, *err = NULL;

    status = nnrun_within_a_minute (&out, &err, "train", plugins, "--out", refused, NULL);
    NN_ASSERT_STATUS (status, 2, err);
    ASSERT_UTF8 (err);
    NN_ASSERT_CONTAINS (err, "plugins.yaml:1:11: error: a plugins folder: the path ");
    NN_ASSERT_CONTAINS (err, "is not valid UTF-8");
  }
  CU_ASSERT_FALSE (g_file_test (refused, G_FILE_TEST_EXISTS));
  CU_ASSERT_FALSE (g_file_test (refused_partial, G_FILE_TEST_EXISTS));
}

static void
test_run_dir_not_utf8 (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "e.yaml", IRIS_EXPERIMENT);
  g_autofree char *run = g_build_filename (dir, "r\xfe", NULL);
  g_autofree char *partial = g_build_filename (dir, "r\xfe.partial", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) e = NULL;
  int status;

  status = nnrun_within_a_minute (&out, &err, "train", path, "--out", run, NULL);
  NN_ASSERT_STATUS (status, 2, err);
  ASSERT_UTF8 (err);
  NN_ASSERT_CONTAINS (err, "is not valid UTF-8");
  CU_ASSERT_FALSE (g_file_test (run, G_FILE_TEST_EXISTS));
  CU_ASSERT_FALSE (g_file_test (partial, G_FILE_TEST_EXISTS));

  /* The same through the library: no YAML, and a run fails before it
   * writes anything. */
  e = nn_experiment_new_from_file (path, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  nn_experiment_set_output_dir (e, run);
  CU_ASSERT_PTR_NULL (nn_experiment_to_yaml (e));
  CU_ASSERT_FALSE (nn_experiment_run (e, NULL, &error));
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE);
  if (error != NULL)
    ASSERT_UTF8 (error->message);
  CU_ASSERT_FALSE (g_file_test (run, G_FILE_TEST_EXISTS));
  CU_ASSERT_FALSE (g_file_test (partial, G_FILE_TEST_EXISTS));
}

static void
test_data_and_overrides_not_utf8 (void)
{
  static const char * const bad_csvs[] = {
    "a,b\xfe,label\n1,2,x\n2,1,y\n", /* a column name */
    "a,b,label\n1,2,x\xfe\n2,1,y\n", /* a class label */
  };
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "e.yaml",
                                              "data: {source: {csv: data.csv, target: label}}\n"
                                              "model: {layers: [{units: 1, activation: sigmoid}]}\n"
                                              "train: {epochs: 2}\n");
  g_autofree char *iris = nn_test_write_file (dir, "iris.yaml", IRIS_EXPERIMENT);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  int              status;

  for (gsize i = 0; i < G_N_ELEMENTS (bad_csvs); i++)
    {
      g_autofree char *out = NULL, *err = NULL;

      g_free (nn_test_write_file (dir, "data.csv", bad_csvs[i]));
      status = nnrun_within_a_minute (&out, &err, "train", path, "--out", run, NULL);
      NN_ASSERT_STATUS (status, 2, err);
      ASSERT_UTF8 (err);
      NN_ASSERT_CONTAINS (err, "is not valid UTF-8");
      CU_ASSERT_FALSE (g_file_test (run, G_FILE_TEST_EXISTS));
    }

  /* A --set that is not UTF-8: nnrun's options refuse it, and so does the
   * library. */
  {
    g_autofree char *out = NULL, *err = NULL;
    const char      *overrides[] = { "see\xff"
                                          "d=3",
                                     NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(NnExperiment) e = NULL;

    status = nnrun_within_a_minute (&out, &err, "validate", iris, "--set", overrides[0], NULL);
    NN_ASSERT_STATUS (status, 2, err);
    ASSERT_UTF8 (err);

    e = nn_experiment_new_from_file_full (iris, overrides, &error);
    CU_ASSERT_PTR_NULL (e);
    NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE);
    if (error != NULL)
      {
        ASSERT_UTF8 (error->message);
        NN_ASSERT_CONTAINS (error->message, "the setting is not valid UTF-8");
      }
  }
}

/* ---- --set values -------------------------------------------------------- */

/* Address space limits do not mix with AddressSanitizer's shadow memory. */
#if defined(__SANITIZE_ADDRESS__)
#define NN_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NN_TEST_ASAN 1
#endif
#endif
#ifndef NN_TEST_ASAN
#define NN_TEST_ASAN 0
#endif

static rlim_t
address_space_size (void)
{
  g_autofree char *statm = NULL;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    return 0;
  return (rlim_t) g_ascii_strtoull (statm, NULL, 10) * (rlim_t) sysconf (_SC_PAGESIZE);
}

static void
test_set_keeps_aliases (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "e.yaml", IRIS_EXPERIMENT);
  g_autoptr(GString) value = g_string_new ("model.layers.0.weights=[&a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]");
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) e = NULL;
  const char   *overrides[2] = { NULL, NULL };
  struct rlimit old_limit, limit;
  rlim_t        used = address_space_size ();
  gint64        start;

  /* Ten levels of nine: 9^10 values if expanded. */
  for (int i = 1; i < 10; i++)
    g_string_append_printf (value, ", &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]",
                            i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
  g_string_append_c (value, ']');
  overrides[0] = value->str;

  /* Expanded, the copy would take gigabytes: allow 256 MiB more than the
   * process has. */
  getrlimit (RLIMIT_AS, &old_limit);
  limit = old_limit;
  if (!NN_TEST_ASAN && used > 0)
    {
      limit.rlim_cur = MIN (old_limit.rlim_max, used + ((rlim_t) 256 << 20));
      setrlimit (RLIMIT_AS, &limit);
    }
  start = g_get_monotonic_time ();
  e = nn_experiment_new_from_file_full (path, overrides, &error);
  setrlimit (RLIMIT_AS, &old_limit);

  /* Not a timing test: expanding takes seconds even where memory allows. */
  CU_ASSERT (g_get_monotonic_time () - start < 2 * G_USEC_PER_SEC);
  CU_ASSERT_PTR_NULL (e);
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE);
  /* The value arrived whole, and was read as what it is. */
  if (error != NULL)
    NN_ASSERT_CONTAINS (error->message, "model.layers[0].weights has 10 rows, the layer has 3 neurons");
}

/* ---- numbers ------------------------------------------------------------- */

/* Writes @text to a new experiment file and checks that loading it fails
 * with %NN_CONFIG_ERROR/@code and "PATH:LINE:COLUMN: error: " then
 * @needle. */
static void
assert_bad_at (int         test_line,
               const char *text,
               gsize       length,
               int         code,
               guint       line,
               guint       column,
               const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_bytes (dir, "bad.yaml", text, length);
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file (path, &error);
  g_autofree char *prefix = g_strdup_printf ("%s:%u:%u: error: ", path, line, column);

  nn_test_check_at (e == NULL, __FILE__, test_line, "the bad file loaded");
  nn_test_check_at (g_error_matches (error, NN_CONFIG_ERROR, code), __FILE__, test_line,
                    "expected NnConfigError %d, got %s", code, error ? error->message : "none");
  if (error == NULL)
    return;
  nn_test_check_at (g_str_has_prefix (error->message, prefix), __FILE__, test_line,
                    "'%s' does not start with '%s'", error->message, prefix);
  nn_test_assert_contains_at (error->message, needle, __FILE__, test_line);
}
#define ASSERT_BAD(text, code, line, column, needle) \
  assert_bad_at (__LINE__, (text), strlen (text), (code), (line), (column), (needle))

/* Loads @text, which must be a good experiment. */
static NnExperiment *
load_good_at (int         test_line,
              const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "good.yaml", text);
  NnExperiment    *e = nn_experiment_new_from_file (path, &error);

  nn_test_check_at (e != NULL, __FILE__, test_line, "'%s' did not load: %s", text,
                    error ? error->message : "");
  return e;
}
#define LOAD_GOOD(text) load_good_at (__LINE__, (text))

/* clang-format off */
#define ASSERT_GOOD(text)                                   \
  G_STMT_START {                                            \
    NnExperiment *_e = load_good_at (__LINE__, (text));     \
    g_clear_object (&_e);                                   \
  } G_STMT_END
/* clang-format on */

static void
test_numbers_are_decimal (void)
{
  static const char * const not_numbers[] = {
    "0x10", "0x1p-3", "0X1P-3", "inf", "-inf", "Infinity", "nan", "NAN", "' 0.5'", "'0.5\t'",
    "1_0", "1e", "e3", ".", "+", "0.5f", "--1", "'\n0.5'"
  };
  static const struct
  {
    const char *text;
    double      value;
  } numbers[] = {
    { "0.125", 0.125 },
    { "1e-3", 1e-3 },
    { "1E-3", 1e-3 },
    { "2e+1", 20 },
    { ".5", 0.5 },
    { "5.", 5 },
    { "+0.25", 0.25 },
    { "3", 3 },
    { "007", 7 },
    { "-0.0", 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (not_numbers); i++)
    {
      g_autofree char *text = g_strdup_printf ("data: {source: iris}\n"
                                               "model: {layers: [{units: 3, activation: softmax}]}\n"
                                               "optimizer: {name: sgd, learning_rate: %s}\n",
                                               not_numbers[i]);
      g_autofree char *clip = g_strdup_printf ("data: {source: iris}\n"
                                               "model: {layers: [{units: 3, activation: softmax}]}\n"
                                               "train: {clip_norm: %s}\n",
                                               not_numbers[i]);

      ASSERT_BAD (text, NN_CONFIG_ERROR_INVALID_VALUE, 3, 39,
                  "optimizer 'sgd' parameter 'learning_rate' must be a decimal number, not '");
      ASSERT_BAD (clip, NN_CONFIG_ERROR_INVALID_VALUE, 3, 20,
                  "train.clip_norm must be a decimal number, not '");
    }
  for (gsize i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      g_autofree char *text = g_strdup_printf ("data: {source: iris}\n"
                                               "model: {layers: [{units: 3, activation: softmax}]}\n"
                                               "optimizer: {name: sgd, learning_rate: 1}\n"
                                               "train: {clip_norm: %s}\n",
                                               numbers[i].text);
      g_autoptr(NnExperiment) e = LOAD_GOOD (text);

      if (e != NULL)
        CU_ASSERT_DOUBLE_EQUAL (nn_trainer_get_clip_norm (nn_experiment_get_trainer (e)),
                                numbers[i].value, 1e-12);
    }

  /* YAML's own infinity is a number, but not a finite one. */
  ASSERT_BAD ("data: {source: iris}\nmodel: {layers: [{units: 3, activation: softmax}]}\n"
              "train: {clip_norm: .inf}\n",
              NN_CONFIG_ERROR_INVALID_VALUE, 3, 20,
              "train.clip_norm must be a finite number, not '.inf'");
  /* Whole numbers: decimal digits alone. */
  ASSERT_BAD ("data: {source: iris}\nmodel: {layers: [{units: 3, activation: softmax}]}\n"
              "train: {epochs: 0x10}\n",
              NN_CONFIG_ERROR_INVALID_VALUE, 3, 17,
              "train.epochs must be a whole number, not '0x10'");
  ASSERT_BAD ("data: {source: iris}\nmodel: {layers: [{units: 3, activation: softmax}]}\n"
              "train: {epochs: ' 10'}\n",
              NN_CONFIG_ERROR_INVALID_VALUE, 3, 17,
              "train.epochs must be a whole number, not ' 10'");
}

/* Layer kinds other than dense count towards the parameter limit: 5·8191 +
 * 8192·8186 parameters are within it, batch normalization's 2·8186 more
 * are not. */
static void
test_layer_kinds_count_towards_the_limit (void)
{
  ASSERT_BAD ("data: {source: iris}\nmodel: {layers: [{units: 8191}, {units: 8186},\n"
              "  {type: batch_norm}, {units: 3, activation: softmax}]}\n",
              NN_CONFIG_ERROR_INVALID_VALUE, 3, 10,
              "model.layers[2] makes the model larger than 67108864 parameters");
}

static void
test_negative_whole_numbers_give_the_range (void)
{
  ASSERT_BAD ("data: {source: iris}\nmodel: {layers: [{units: 3, activation: softmax}]}\n"
              "train: {epochs: -5}\n",
              NN_CONFIG_ERROR_INVALID_VALUE, 3, 17,
              "train.epochs must be between 1 and 10000000, not -5");
  ASSERT_BAD ("seed: -1\ndata: {source: iris}\nmodel: {layers: [{units: 3, activation: softmax}]}\n",
              NN_CONFIG_ERROR_INVALID_VALUE, 1, 7, "seed must be between 0 and 4294967295, not -1");
  ASSERT_BAD ("data: {source: iris}\nmodel: {layers: [{units: -3, activation: softmax}]}\n",
              NN_CONFIG_ERROR_INVALID_VALUE, 2, 26,
              "model.layers[0].units must be between 1 and 1048576, not -3");
  ASSERT_BAD ("data: {source: iris}\nmodel: {layers: [{units: 3, activation: softmax}]}\n"
              "train: {batch_size: -1}\n",
              NN_CONFIG_ERROR_INVALID_VALUE, 3, 21,
              "train.batch_size must be between 0 and 4294967295, not -1");
  ASSERT_BAD ("data: {source: iris}\nmodel: {layers: [{units: 3, activation: softmax}]}\n"
              "train: {checkpoint_every: 99999999999999999999999}\n",
              NN_CONFIG_ERROR_INVALID_VALUE, 3, 27,
              "train.checkpoint_every must be between 0 and 4294967295, not 99999999999999999999999");
  /* Parameters of a class, by their GParamSpec */
  ASSERT_BAD ("data: {source: iris, split: {validation: 0.2}}\n"
              "model: {layers: [{units: 3, activation: softmax}]}\n"
              "train: {early_stopping: {patience: -2}}\n",
              NN_CONFIG_ERROR_INVALID_VALUE, 3, 36,
              "train.early_stopping parameter 'patience' must be between 0 and 10000000, not -2");
  ASSERT_BAD ("data: {source: iris}\nmodel: {layers: [{units: 3, activation: softmax}]}\n"
              "train: {schedule: {name: step, step_size: -10}}\n",
              NN_CONFIG_ERROR_INVALID_VALUE, 3, 43,
              "train.schedule 'step' parameter 'step_size' must be between 1 and");
}

/* ---- sections as objects ------------------------------------------------- */

#define IRIS_MODEL "model: {layers: [{units: 3, activation: softmax}]}\n"

static void
test_section_keys_are_their_properties (void)
{
  ASSERT_BAD ("data: {source: iris}\n" IRIS_MODEL "train: {zzz: 1}\n",
              NN_CONFIG_ERROR_UNKNOWN_KEY, 3, 9,
              "unknown key 'zzz' in train; valid keys: 'class_weight', 'epochs', 'batch_size', "
              "'shuffle', 'schedule', 'clip_norm', 'early_stopping', 'checkpoint_every'");
  /* The keys the experiment reads itself come first, as in the file's
   * documentation. */
  ASSERT_BAD ("data: {source: iris, zzz: 1}\n" IRIS_MODEL, NN_CONFIG_ERROR_UNKNOWN_KEY, 1, 22,
              "unknown key 'zzz' in data; valid keys: 'source', 'test', 'task', 'positive', "
              "'scale', 'target_scale', 'split'");
  ASSERT_BAD ("data: {source: iris, split: {zzz: 1}}\n" IRIS_MODEL,
              NN_CONFIG_ERROR_UNKNOWN_KEY, 1, 30,
              "unknown key 'zzz' in data.split; valid keys: 'validation', 'test', 'stratify', "
              "'shuffle'");
  ASSERT_BAD ("data: {source: iris}\n" IRIS_MODEL "output: {zzz: 1}\n",
              NN_CONFIG_ERROR_UNKNOWN_KEY, 3, 10, "unknown key 'zzz' in output; valid keys: 'dir'");
}

/* Of several mistakes in a section, the first key in the section's order
 * is reported, wherever it is in the file. */
static void
test_first_mistake_in_key_order (void)
{
  ASSERT_BAD ("data: {source: iris}\n" IRIS_MODEL
              "train: {checkpoint_every: x, clip_norm: x, epochs: -1}\n",
              NN_CONFIG_ERROR_INVALID_VALUE, 3, 52, "train.epochs must be between 1 and");
  ASSERT_BAD ("data: {split: {validation: 2}, scale: bad, source: iris}\n" IRIS_MODEL,
              NN_CONFIG_ERROR_INVALID_VALUE, 1, 39, "data.scale must be one of");
}

/* Every key of a section is written, with the defaults of its specs. */
static void
test_sections_written_from_their_specs (void)
{
  g_autoptr(NnExperiment) plain = LOAD_GOOD ("name: plain\ndata: {source: iris}\n" IRIS_MODEL);
  g_autoptr(NnExperiment) full = LOAD_GOOD (
    "data: {source: iris, scale: standard, split: {validation: 0.25, shuffle: false}}\n" IRIS_MODEL
    "train: {checkpoint_every: 3, epochs: 7, batch_size: 8, shuffle: false, clip_norm: 1.5,\n"
    "        schedule: {name: constant}, early_stopping: {patience: 2}}\n"
    "output: {dir: somewhere}\n");
  g_autofree char *a = plain ? nn_experiment_to_yaml (plain) : NULL;
  g_autofree char *b = full ? nn_experiment_to_yaml (full) : NULL;

  if (a == NULL || b == NULL)
    return;
  NN_ASSERT_CONTAINS (a, "data:\n  source: iris\n  task: multiclass\n  scale: none\n"
                         "  target_scale: none\n  split: {validation: 0, test: 0, stratify: true, shuffle: true}\n");
  NN_ASSERT_CONTAINS (a, "train:\n  epochs: 100\n  batch_size: 0\n  shuffle: true\n"
                         "  clip_norm: 0\n  checkpoint_every: 0\n  precision: float32\nmetrics:");
  NN_ASSERT_CONTAINS (a, "output:\n  dir: runs/plain\n");
  NN_ASSERT_CONTAINS (b, "  scale: standard\n  target_scale: none\n"
                         "  split: {validation: 0.25, test: 0, stratify: true, shuffle: false}\n");
  NN_ASSERT_CONTAINS (b, "train:\n  epochs: 7\n  batch_size: 8\n  shuffle: false\n"
                         "  schedule: {name: constant, ");
  NN_ASSERT_CONTAINS (b, "  clip_norm: 1.5\n  early_stopping: {monitor: val_loss, patience: 2, ");
  NN_ASSERT_CONTAINS (b, "  checkpoint_every: 3\n  precision: float32\nmetrics:");
  NN_ASSERT_CONTAINS (b, "output:\n  dir: somewhere\n");
  CU_ASSERT_EQUAL (nn_experiment_get_epochs (full), 7);
  CU_ASSERT_EQUAL (nn_trainer_get_epochs (nn_experiment_get_trainer (full)), 7);
}

/* ---- the shape of the text ----------------------------------------------- */

static void
test_one_document (void)
{
  ASSERT_BAD (IRIS_EXPERIMENT "---\n" IRIS_EXPERIMENT, NN_CONFIG_ERROR_PARSE, 4, 1,
              "a second YAML document");
  ASSERT_BAD (IRIS_EXPERIMENT "...\n---\nseed: 3\n", NN_CONFIG_ERROR_PARSE, 5, 1,
              "a second YAML document");
  /* An explicit start and end of the one document are fine. */
  ASSERT_GOOD ("---\n" IRIS_EXPERIMENT "...\n");
}

static void
test_no_nul_in_values (void)
{
  static const char text[] = "name: \"a\\0b\"\n" IRIS_EXPERIMENT;
  static const char key[] = "data: {source: iris, \"task\\x00\": 1}\n";

  ASSERT_BAD (text, NN_CONFIG_ERROR_PARSE, 1, 7, "a value holding a NUL character");
  ASSERT_BAD (key, NN_CONFIG_ERROR_PARSE, 1, 22, "a value holding a NUL character");
}

static void
test_values_are_bounded (void)
{
  g_autoptr(GString) name = g_string_new ("name: \"");

  /* 64 KiB and one byte */
  for (guint i = 0; i < (64u << 10) + 1; i++)
    g_string_append_c (name, 'n');
  g_string_append (name, "\"\n" IRIS_EXPERIMENT);
  ASSERT_BAD (name->str, NN_CONFIG_ERROR_PARSE, 1, 7,
              "a value of 65537 bytes, more than the 65536 a value may have");
}

/* A list of 2²¹ numbers: the node past the limit is named where it stands. */
static void
test_nodes_are_bounded (void)
{
  const guint limit = 1u << 21;
  /* The mapping, `name`, `x`, `extra` and the list come first. */
  const guint n_items = limit - 4;
  g_autoptr(GString) text = g_string_new ("name: x\nextra: [0");
  gint64 start;

  for (guint i = 1; i < n_items; i++)
    g_string_append (text, ",0");
  g_string_append (text, "]\n" IRIS_EXPERIMENT);
  start = g_get_monotonic_time ();
  /* Item k (from 1) of `extra: [0,0,...` starts in column 2k + 7. */
  ASSERT_BAD (text->str, NN_CONFIG_ERROR_PARSE, 2, 2 * n_items + 7,
              "more than 2097152 values, lists and mappings");
  NN_CHECK (g_get_monotonic_time () - start < 30 * G_USEC_PER_SEC,
            "refusing 2^21 nodes took %.1f s", (g_get_monotonic_time () - start) / 1e6);
}

/* ---- sizes --------------------------------------------------------------- */

static void
test_metrics_and_layers_are_bounded (void)
{
  g_autoptr(GString) metrics = g_string_new (IRIS_EXPERIMENT "metrics: [accuracy");
  g_autoptr(GString) layers = g_string_new ("data: {source: iris, positive: setosa}\n"
                                             "model:\n  layers:\n");
  gint64 start;

  /* Each metric once: a long list fails at its second item, at once. */
  for (guint i = 0; i < 200000; i++)
    g_string_append (metrics, ", accuracy");
  g_string_append (metrics, "]\n");
  start = g_get_monotonic_time ();
  ASSERT_BAD (metrics->str, NN_CONFIG_ERROR_INVALID_VALUE, 4, 21,
              "metric 'accuracy' is listed twice");
  CU_ASSERT (g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC);

  /* At most 1024 layers */
  for (guint i = 0; i < 1025; i++)
    g_string_append (layers, "    - {units: 1, activation: sigmoid}\n");
  ASSERT_BAD (layers->str, NN_CONFIG_ERROR_INVALID_VALUE, 4, 5,
              "model.layers has 1025 layers, more than the 1024 a model may have");
  /* 1024 are fine. */
  g_string_truncate (layers, layers->len - strlen ("    - {units: 1, activation: sigmoid}\n"));
  ASSERT_GOOD (layers->str);
}

/* ---- optimizers ---------------------------------------------------------- */

static void
test_epsilon_must_be_positive (void)
{
  static const char * const optimizers[] = { "adam", "adamw", "rmsprop", "adagrad" };

  for (gsize i = 0; i < G_N_ELEMENTS (optimizers); i++)
    {
      g_autofree char *text = g_strdup_printf ("data: {source: iris}\n"
                                               "model: {layers: [{units: 3, activation: softmax}]}\n"
                                               "optimizer: {name: %s, epsilon: 0}\n",
                                               optimizers[i]);
      g_autofree char *tiny = g_strdup_printf ("data: {source: iris}\n"
                                               "model: {layers: [{units: 3, activation: softmax}]}\n"
                                               "optimizer: {name: %s, epsilon: 1e-30}\n",
                                               optimizers[i]);
      g_autofree char *needle = g_strdup_printf ("optimizer '%s' parameter 'epsilon' "
                                                 "must be >= 1e-30, not 0",
                                                 optimizers[i]);

      ASSERT_BAD (text, NN_CONFIG_ERROR_INVALID_VALUE, 3, (guint) (30 + strlen (optimizers[i])),
                  needle);
      ASSERT_GOOD (tiny);
    }
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("experiment text", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "an experiment file not named in UTF-8 runs, and its files are UTF-8 that reloads",
               test_file_name_not_utf8);
  CU_add_test (s, "a folder not named in UTF-8: its paths are refused by name, nothing else is",
               test_folder_name_not_utf8);
  CU_add_test (s, "a run directory not named in UTF-8 is refused before anything is written",
               test_run_dir_not_utf8);
  CU_add_test (s, "data and --set keys that are not UTF-8 are refused", test_data_and_overrides_not_utf8);
  CU_add_test (s, "--set keeps aliases as aliases: a nested-alias value stays small",
               test_set_keeps_aliases);
  CU_add_test (s, "numbers are decimal as YAML writes them; hexadecimal, inf and nan are not",
               test_numbers_are_decimal);
  CU_add_test (s, "a negative whole number gives the key's range",
               test_negative_whole_numbers_give_the_range);
  CU_add_test (s, "layer kinds count towards the parameter limit",
               test_layer_kinds_count_towards_the_limit);
  CU_add_test (s, "a section's keys are its object's properties, in their order",
               test_section_keys_are_their_properties);
  CU_add_test (s, "of several mistakes in a section, the first key's is reported",
               test_first_mistake_in_key_order);
  CU_add_test (s, "config.yaml writes every key of a section, defaults from the specs",
               test_sections_written_from_their_specs);
  CU_add_test (s, "a second YAML document is refused where it begins", test_one_document);
  CU_add_test (s, "a NUL in a quoted value is refused where the value is", test_no_nul_in_values);
  CU_add_test (s, "a value longer than 64 KiB is refused", test_values_are_bounded);
  CU_add_test (s, "more than 2^21 nodes are refused where the next stands", test_nodes_are_bounded);
  CU_add_test (s, "each metric is listed once, and a model has at most 1024 layers",
               test_metrics_and_layers_are_bounded);
  CU_add_test (s, "an optimizer's epsilon must be above 0", test_epsilon_must_be_positive);

  return nn_test_run ();
}
