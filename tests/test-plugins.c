/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plugin loader: the built-in plugins by name, every way a plugin file
 * can be refused (reported per file while the rest keep working), a folder
 * added at run time, and nnrun with a broken plugin on its path. This is
 * the only test that loads broken plugins: the registry is global to the
 * process and cannot be reset, so the suites run in this order. */
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

static const char * const builtin_activations[] = {
  "elu", "gelu", "leaky_relu", "linear", "relu", "sigmoid", "silu", "softmax",
  "softplus", "tanh"
};

static const char * const builtin_losses[] = {
  "binary_crossentropy", "categorical_crossentropy", "huber", "mean_absolute_error",
  "mean_squared_error"
};

typedef struct
{
  const char *file; /* in $NN_TEST_PLUGIN_FIXTURES */
  int         code; /* the NnPluginError it must be refused with */
} BadFixture;

static const BadFixture bad_fixtures[] = {
  { "libfixture-duplicate.so", NN_PLUGIN_ERROR_DUPLICATE },
  { "libfixture-no-entry.so", NN_PLUGIN_ERROR_INVALID },
  { "libfixture-no-info.so", NN_PLUGIN_ERROR_INVALID },
  { "libfixture-registers-nothing.so", NN_PLUGIN_ERROR_INVALID },
  { "libfixture-wrong-abi.so", NN_PLUGIN_ERROR_ABI_MISMATCH },
  { "libfixture-wrong-scalar.so", NN_PLUGIN_ERROR_ABI_MISMATCH },
  { "libgarbage.so", NN_PLUGIN_ERROR_INVALID },
};

/* Helpers */

static const char *
str_or_null (const char *s)
{
  return s ? s : "(null)";
}

/* The file came from @dir, whatever the spelling of either path. */
static gboolean
file_is_in (const char *file,
            const char *dir)
{
  g_autofree char *parent = NULL;
  g_autofree char *canonical_parent = NULL;
  g_autofree char *canonical_dir = NULL;

  if (file == NULL || dir == NULL)
    return FALSE;
  parent = g_path_get_dirname (file);
  canonical_parent = g_canonicalize_filename (parent, NULL);
  canonical_dir = g_canonicalize_filename (dir, NULL);
  return g_str_equal (canonical_parent, canonical_dir);
}

/* The load error that names @path, or NULL. */
static const GError *
find_error (GPtrArray  *errors,
            const char *path)
{
  for (guint i = 0; i < errors->len; i++)
    {
      const GError *e = errors->pdata[i];

      if (strstr (e->message, path) != NULL)
        return e;
    }
  return NULL;
}

static char *
bad_fixture_path (const BadFixture *fixture)
{
  return g_build_filename (g_getenv ("NN_TEST_PLUGIN_FIXTURES"), fixture->file, NULL);
}

static int
check_environment (void)
{
  return nn_test_require_env ("NN_TEST_BUILTIN_PLUGINS", "NN_TEST_PLUGIN_FIXTURES",
                              "NN_TEST_PLUGIN_GOOD", "NN_SOURCE_ROOT", "NNRUN", NULL);
}

/* The first suite is strict: the built-in plugins must all load. */
static int
init_builtins (void)
{
  return check_environment () || nn_test_init_plugins ();
}

/* Later suites run after the broken fixtures were loaded on purpose, so
 * they only need the registry, not an empty list of load errors. */
static int
init_after_broken (void)
{
  g_autoptr(GError) error = NULL;

  if (check_environment ())
    return 1;
  if (!nn_plugins_ensure_loaded (&error))
    {
      g_printerr ("loading plugins: %s\n", error->message);
      return 1;
    }
  return 0;
}

/* Built-in plugins */

static void
check_builtins (const char         *extension_point,
                const char * const *names,
                gsize               n_names,
                GType               base)
{
  const char *dir = g_getenv ("NN_TEST_BUILTIN_PLUGINS");
  g_auto(GStrv) listed = nn_plugins_list (extension_point);

  for (gsize i = 0; i < n_names; i++)
    {
      g_autoptr(GError) error = NULL;
      GType       type = nn_plugins_lookup (extension_point, names[i], &error);
      const char *file = nn_plugins_get_file_for_type (type);

      NN_ASSERT_NO_ERROR (error);
      NN_CHECK (g_type_is_a (type, base), "%s '%s' is %s, not a %s", extension_point,
                names[i], g_type_name (type), g_type_name (base));
      NN_CHECK (g_strv_contains ((const char * const *) listed, names[i]),
                "nn_plugins_list (\"%s\") lacks '%s'", extension_point, names[i]);
      NN_CHECK (g_strcmp0 (nn_plugins_get_name_for_type (type), names[i]) == 0,
                "'%s' is registered as '%s'", names[i],
                str_or_null (nn_plugins_get_name_for_type (type)));
      NN_CHECK (file_is_in (file, dir), "'%s' comes from %s, not from %s", names[i],
                str_or_null (file), dir);
    }

  for (guint i = 0; listed[i] != NULL && listed[i + 1] != NULL; i++)
    NN_CHECK (strcmp (listed[i], listed[i + 1]) < 0, "nn_plugins_list (\"%s\") is not sorted: "
                                                     "'%s' before '%s'",
              extension_point, listed[i], listed[i + 1]);
}

static void
test_builtin_activations (void)
{
  check_builtins (NN_ACTIVATION_EXTENSION_POINT_NAME, builtin_activations,
                  G_N_ELEMENTS (builtin_activations), NN_TYPE_ACTIVATION);
}

static void
test_builtin_losses (void)
{
  check_builtins (NN_LOSS_EXTENSION_POINT_NAME, builtin_losses,
                  G_N_ELEMENTS (builtin_losses), NN_TYPE_LOSS);
}

static void
test_builtin_sgd (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) listed = nn_plugins_list (NN_OPTIMIZER_EXTENSION_POINT_NAME);
  GType type = nn_plugins_lookup (NN_OPTIMIZER_EXTENSION_POINT_NAME, "sgd", &error);

  NN_ASSERT_NO_ERROR (error);
  NN_CHECK (type == NN_TYPE_SGD_OPTIMIZER, "'sgd' is %s", g_type_name (type));
  NN_CHECK (g_strv_contains ((const char * const *) listed, "sgd"),
            "nn_plugins_list (\"%s\") lacks 'sgd'", NN_OPTIMIZER_EXTENSION_POINT_NAME);
  NN_CHECK (g_strcmp0 (nn_plugins_get_file_for_type (type), "(built-in)") == 0,
            "'sgd' comes from %s", str_or_null (nn_plugins_get_file_for_type (type)));
}

static void
test_unknown_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) loss_error = NULL;
  g_autoptr(NnActivation) activation = NULL;
  GType type;

  type = nn_plugins_lookup (NN_ACTIVATION_EXTENSION_POINT_NAME, "no_such_activation", &error);
  NN_CHECK (type == G_TYPE_INVALID, "an unknown name gave %s", g_type_name (type));
  NN_ASSERT_ERROR (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND);
  if (error != NULL)
    NN_CHECK (strstr (error->message, "no_such_activation") != NULL &&
                strstr (error->message, "sigmoid") != NULL &&
                strstr (error->message, "relu") != NULL,
              "message names neither the unknown nor the known names: %s", error->message);
  g_clear_error (&error);

  activation = nn_activation_new_by_name ("no_such_activation", &error);
  NN_CHECK (activation == NULL, "nn_activation_new_by_name made an unknown activation");
  NN_ASSERT_ERROR (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND);

  type = nn_plugins_lookup (NN_LOSS_EXTENSION_POINT_NAME, "no_such_loss", &loss_error);
  NN_CHECK (type == G_TYPE_INVALID, "an unknown loss gave %s", g_type_name (type));
  NN_ASSERT_ERROR (loss_error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND);
  if (loss_error != NULL)
    NN_CHECK (strstr (loss_error->message, "huber") != NULL &&
                strstr (loss_error->message, "sigmoid") == NULL,
              "message does not list exactly the losses: %s", loss_error->message);
}

/* Broken plugins */

static void
test_broken_folder (void)
{
  const char *dir = g_getenv ("NN_TEST_PLUGIN_FIXTURES");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) before = nn_plugins_get_load_errors ();
  g_autoptr(GPtrArray) after = NULL;
  gboolean ok;

  ok = nn_plugins_load_directory (dir, &error);
  NN_CHECK (ok, "nn_plugins_load_directory (%s) failed", dir);
  NN_ASSERT_NO_ERROR (error);

  after = nn_plugins_get_load_errors ();
  NN_CHECK (after->len == before->len + G_N_ELEMENTS (bad_fixtures),
            "%u new load errors for %u broken files", after->len - before->len,
            (guint) G_N_ELEMENTS (bad_fixtures));

  for (gsize i = 0; i < G_N_ELEMENTS (bad_fixtures); i++)
    {
      const BadFixture *fixture = &bad_fixtures[i];
      g_autofree char  *path = bad_fixture_path (fixture);
      const GError     *e = find_error (after, path);

      NN_CHECK (e != NULL, "no load error names %s", path);
      if (e == NULL)
        continue;
      NN_CHECK (g_error_matches (e, NN_PLUGIN_ERROR, fixture->code),
                "%s: error code %d, expected %d: %s", fixture->file, e->code, fixture->code,
                e->message);
    }
}

/* The reasons say what is wrong, not just that something is. */
static void
test_broken_reasons (void)
{
  const char *dir = g_getenv ("NN_TEST_PLUGIN_FIXTURES");
  g_autoptr(GPtrArray) errors = nn_plugins_get_load_errors ();
  g_autofree char *scalar = g_build_filename (dir, "libfixture-wrong-scalar.so", NULL);
  g_autofree char *abi = g_build_filename (dir, "libfixture-wrong-abi.so", NULL);
  g_autofree char *duplicate = g_build_filename (dir, "libfixture-duplicate.so", NULL);
  g_autofree char *abi_version = g_strdup_printf ("%u", NN_PLUGIN_ABI_VERSION + 1);
  const GError    *e;

  e = find_error (errors, scalar);
  NN_CHECK (e != NULL && strstr (e->message, "float") != NULL &&
              strstr (e->message, "double") != NULL,
            "the scalar mismatch does not name float and double: %s",
            e ? e->message : "(no error)");

  e = find_error (errors, abi);
  NN_CHECK (e != NULL && strstr (e->message, abi_version) != NULL,
            "the ABI mismatch does not name version %s: %s", abi_version,
            e ? e->message : "(no error)");

  e = find_error (errors, duplicate);
  NN_CHECK (e != NULL && strstr (e->message, "sigmoid") != NULL,
            "the duplicate does not name 'sigmoid': %s", e ? e->message : "(no error)");
}

/* Copies of the fixtures under new names, so the loader has not tried
 * them yet. Not the duplicate: a second module registering its type name
 * is a GLib warning, which this test makes fatal. */
static void
test_broken_file_first_time (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = nn_test_new_dir ();

  for (gsize i = 0; i < G_N_ELEMENTS (bad_fixtures); i++)
    {
      const BadFixture *fixture = &bad_fixtures[i];
      g_autofree char  *source = bad_fixture_path (fixture);
      g_autofree char  *copy_name = g_strconcat ("libcopy-", fixture->file + strlen ("lib"), NULL);
      g_autofree char  *copy = g_build_filename (tmp, copy_name, NULL);
      g_autofree char  *contents = NULL;
      gsize             length = 0;
      gboolean          ok;

      if (fixture->code == NN_PLUGIN_ERROR_DUPLICATE)
        continue;
      if (!g_file_get_contents (source, &contents, &length, &error) ||
          !g_file_set_contents (copy, contents, length, &error))
        {
          NN_ASSERT_NO_ERROR (error);
          g_clear_error (&error);
          continue;
        }

      ok = nn_plugins_load_file (copy, &error);
      NN_CHECK (!ok, "nn_plugins_load_file (%s) succeeded", copy);
      NN_ASSERT_ERROR (error, NN_PLUGIN_ERROR, fixture->code);
      if (error != NULL)
        NN_CHECK (strstr (error->message, copy) != NULL, "the error does not name %s: %s", copy,
                  error->message);
      g_clear_error (&error);
    }
}

/* Asking again for a file that failed in the folder scan gets its error
 * again, not a silent success. */
static void
test_broken_file (void)
{
  g_autoptr(GPtrArray) errors = nn_plugins_get_load_errors ();

  for (gsize i = 0; i < G_N_ELEMENTS (bad_fixtures); i++)
    {
      const BadFixture *fixture = &bad_fixtures[i];
      g_autofree char  *path = bad_fixture_path (fixture);
      g_autoptr(GError) error = NULL;
      const GError *recorded = find_error (errors, path);
      gboolean      ok = nn_plugins_load_file (path, &error);

      NN_CHECK (!ok, "nn_plugins_load_file (%s) succeeded", path);
      NN_ASSERT_ERROR (error, NN_PLUGIN_ERROR, fixture->code);
      if (error != NULL && recorded != NULL)
        NN_CHECK (g_str_equal (error->message, recorded->message),
                  "nn_plugins_load_file gave '%s', the folder gave '%s'", error->message,
                  recorded->message);
    }
}

static void
test_builtins_after_broken (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnActivation) sigmoid = NULL;
  g_autoptr(NnMatrix) z = nn_matrix_new (1, 1);
  g_autoptr(NnMatrix) a = nn_matrix_new (1, 1);
  g_auto(GStrv) listed = nn_plugins_list (NN_ACTIVATION_EXTENSION_POINT_NAME);
  GType type;

  type = nn_plugins_lookup (NN_ACTIVATION_EXTENSION_POINT_NAME, "sigmoid", &error);
  NN_ASSERT_NO_ERROR (error);
  NN_CHECK (g_strcmp0 (g_type_name (type), "NnSigmoidActivation") == 0,
            "'sigmoid' is now %s", g_type_name (type));
  NN_CHECK (file_is_in (nn_plugins_get_file_for_type (type), g_getenv ("NN_TEST_BUILTIN_PLUGINS")),
            "'sigmoid' now comes from %s", str_or_null (nn_plugins_get_file_for_type (type)));

  /* The refused files added no name, not even the duplicate's. */
  NN_CHECK (g_strv_length (listed) == G_N_ELEMENTS (builtin_activations),
            "%u activations registered, expected the %u built-in ones", g_strv_length (listed),
            (guint) G_N_ELEMENTS (builtin_activations));

  sigmoid = nn_activation_new_by_name ("sigmoid", &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (sigmoid);
  z->data[0] = 0;
  a->data[0] = -1;
  nn_activation_forward (sigmoid, z, a);
  NN_ASSERT_CMPFLOAT (a->data[0], 0.5, 0, 1e-7);
}

static void
test_missing_folder (void)
{
  g_autofree char *dir = g_build_filename (g_getenv ("NN_TEST_PLUGIN_FIXTURES"),
                                           "no-such-folder", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) before = nn_plugins_get_load_errors ();
  g_autoptr(GPtrArray) after = NULL;
  gboolean ok;

  ok = nn_plugins_load_directory (dir, &error);
  NN_CHECK (!ok, "nn_plugins_load_directory (%s) succeeded", dir);
  NN_ASSERT_ERROR (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND);
  if (error != NULL)
    NN_CHECK (strstr (error->message, dir) != NULL, "the error does not name %s: %s", dir,
              error->message);

  /* Returned to the caller, not also kept as a file's load error. */
  after = nn_plugins_get_load_errors ();
  NN_CHECK (after->len == before->len, "%u load errors kept for a missing folder",
            after->len - before->len);
}

/* A folder added at run time */

static void
test_extra_folder (void)
{
  const char      *dir = g_getenv ("NN_TEST_PLUGIN_GOOD");
  g_autofree char *want_file = g_build_filename (dir, "libfixture-square.so", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) before = nn_plugins_get_load_errors ();
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(NnActivation) square = NULL;
  g_auto(GStrv) listed = NULL;
  const double z_values[] = { -2.0, 0.5, 3.0 };
  const double grad_values[] = { 1.0, 2.0, -1.0 };
  g_autoptr(NnMatrix) z = nn_matrix_new (1, 3);
  g_autoptr(NnMatrix) a = nn_matrix_new (1, 3);
  g_autoptr(NnMatrix) grad_a = nn_matrix_new (1, 3);
  g_autoptr(NnMatrix) grad_z = nn_matrix_new (1, 3);
  GType    type;
  gboolean ok;

  ok = nn_plugins_load_directory (dir, &error);
  NN_CHECK (ok, "nn_plugins_load_directory (%s) failed", dir);
  NN_ASSERT_NO_ERROR (error);
  after = nn_plugins_get_load_errors ();
  NN_CHECK (after->len == before->len, "%u new load errors for a good folder: %s",
            after->len - before->len,
            after->len > before->len ? ((GError *) after->pdata[before->len])->message : "");

  listed = nn_plugins_list (NN_ACTIVATION_EXTENSION_POINT_NAME);
  NN_CHECK (g_strv_contains ((const char * const *) listed, "fixture_square"),
            "nn_plugins_list lacks 'fixture_square'");

  square = nn_activation_new_by_name ("fixture_square", &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (square);
  type = G_OBJECT_TYPE (square);
  NN_CHECK (g_strcmp0 (nn_plugins_get_file_for_type (type), want_file) == 0,
            "'fixture_square' comes from %s, not %s",
            str_or_null (nn_plugins_get_file_for_type (type)), want_file);
  NN_CHECK (g_strcmp0 (nn_plugins_get_name_for_type (type), "fixture_square") == 0,
            "its type is registered as '%s'", str_or_null (nn_plugins_get_name_for_type (type)));

  for (guint i = 0; i < 3; i++)
    {
      z->data[i] = (nn_real) z_values[i];
      grad_a->data[i] = (nn_real) grad_values[i];
    }
  nn_activation_forward (square, z, a);
  nn_activation_backward (square, z, a, grad_a, grad_z);
  for (guint i = 0; i < 3; i++)
    {
      NN_ASSERT_CMPFLOAT (a->data[i], z_values[i] * z_values[i], 1e-6, 0);
      NN_ASSERT_CMPFLOAT (grad_z->data[i], 2 * z_values[i] * grad_values[i], 1e-6, 0);
    }
}

/* nnrun */

/* nnrun train reads the record of every file on its path, and warns about
 * each one that its record refuses; it loads only the files that provide
 * a name the experiment uses, so the fixtures that only loading could
 * refuse (the duplicate, the one that registers nothing) are not loaded
 * at all, and the built-in sigmoid is used. */
static void
test_nnrun_skips_broken (void)
{
  const char      *bad_dir = g_getenv ("NN_TEST_PLUGIN_FIXTURES");
  g_autofree char *config = nn_test_source_file ("configs/lesson.yaml");
  g_autofree char *plugin_path = g_strjoin (G_SEARCHPATH_SEPARATOR_S, bad_dir,
                                            g_getenv ("NN_TEST_BUILTIN_PLUGINS"), NULL);
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH", plugin_path,
                                          TRUE);
  g_autofree char *tmp = nn_test_new_dir ();
  g_autofree char *summary = g_build_filename (tmp, "summary.json", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "train", config, "--quiet",
                                           "--out", tmp, NULL);

  NN_CHECK (status == 0, "nnrun exited with status %d; stderr:\n%s", status, err);
  if (err != NULL)
    {
      NN_CHECK (g_file_test (summary, G_FILE_TEST_IS_REGULAR), "nnrun wrote no %s", summary);

      for (gsize i = 0; i < G_N_ELEMENTS (bad_fixtures); i++)
        {
          g_autofree char *path = bad_fixture_path (&bad_fixtures[i]);
          g_autofree char *warning = g_strdup_printf ("nnrun: warning: skipped plugin %s",
                                                      path);
          gboolean         by_record = !g_str_has_suffix (path, "-duplicate.so") &&
                               !g_str_has_suffix (path, "-registers-nothing.so");

          if (by_record)
            NN_CHECK (strstr (err, warning) != NULL, "stderr lacks '%s':\n%s", warning, err);
          else
            NN_CHECK (strstr (err, path) == NULL, "%s was loaded:\n%s", path, err);
        }
    }
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("built-in plugins are found by name", init_builtins, NULL);
  CU_add_test (suite, "every built-in activation is registered from the build plugin folder",
               test_builtin_activations);
  CU_add_test (suite, "every built-in loss is registered from the build plugin folder",
               test_builtin_losses);
  CU_add_test (suite, "the sgd optimizer is built into the library", test_builtin_sgd);
  CU_add_test (suite, "an unknown name fails with NOT_FOUND and lists the known names",
               test_unknown_name);

  suite = CU_add_suite ("broken plugins are reported and skipped", init_after_broken,
                        nn_test_remove_scratch);
  CU_add_test (suite, "a folder of broken plugins loads, with one error per file",
               test_broken_folder);
  CU_add_test (suite, "each refusal names what is wrong", test_broken_reasons);
  CU_add_test (suite, "loading one broken file fails with its reason",
               test_broken_file_first_time);
  CU_add_test (suite, "loading a file that already failed fails with the same error",
               test_broken_file);
  CU_add_test (suite, "the built-in sigmoid still works and nothing was added",
               test_builtins_after_broken);
  CU_add_test (suite, "a folder that does not exist is an error", test_missing_folder);

  suite = CU_add_suite ("a plugin folder added at run time", init_after_broken, NULL);
  CU_add_test (suite, "fixture_square loads from its folder and computes z squared",
               test_extra_folder);

  suite = CU_add_suite ("nnrun with a broken plugin on NN_PLUGIN_PATH", init_after_broken,
                        nn_test_remove_scratch);
  CU_add_test (suite, "nnrun trains the lesson, warns about each file its record refuses and "
                      "loads no other",
               test_nnrun_skips_broken);

  return nn_test_run ();
}
