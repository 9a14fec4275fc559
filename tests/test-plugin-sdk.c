/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing plugins: the finite-difference check (nn_plugin_check_type) on
 * the built-ins, on fixtures that are wrong in one way each, and on the
 * example plugin; `nnrun plugins`, `nnrun check-plugin` and
 * `nnrun new-plugin` run as a user would; and experiments that name a
 * plugin from their plugins: folder, from NN_PLUGIN_PATH, or one that a
 * refused file may provide. */
#include <string.h>
#include <sys/wait.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_BAD_INPUT = 2,
};

/* Helpers */

static gboolean
contains (const char *haystack,
          const char *needle)
{
  return haystack != NULL && strstr (haystack, needle) != NULL;
}

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", "NN_PLUGIN_PATH", "NN_TEST_BUILTIN_PLUGINS",
                              "NN_TEST_CHECK_FIXTURES", "NN_TEST_EXAMPLE_PLUGIN",
                              "NN_TEST_PLUGIN_FIXTURES", "NN_TEST_PLUGIN_GOOD", "NN_TEST_CC",
                              "NN_TEST_PKG_CONFIG_PATH",
                              NULL) ||
         nn_test_init_plugins ();
}

static char *
fixture (const char *variable,
         const char *file)
{
  return g_build_filename (g_getenv (variable), file, NULL);
}

#define NNRUN(out, err, ...) nn_test_nnrun ((out), (err), __VA_ARGS__, NULL)

/* Checks one class; returns its results. */
static GPtrArray *
check_type (const char *extension_point,
            const char *name)
{
  g_autoptr(GError) error = NULL;
  GType      type = nn_plugins_lookup (extension_point, name, &error);
  GPtrArray *results;

  NN_ASSERT_NO_ERROR (error);
  if (type == G_TYPE_INVALID)
    return g_ptr_array_new ();
  results = nn_plugin_check_type (type, 1, &error);
  NN_ASSERT_NO_ERROR (error);
  return results ? results : g_ptr_array_new ();
}

/* Loads one fixture file and checks the class it registers. */
static GPtrArray *
check_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree GType *types = NULL;
  guint             n_types = 0;
  GPtrArray        *results;

  nn_plugins_load_file (path, &error);
  NN_ASSERT_NO_ERROR (error);
  types = nn_plugins_get_types_for_file (path, &n_types);
  NN_CHECK (n_types == 1, "%s registers %u types, expected 1", path, n_types);
  if (n_types < 1)
    return g_ptr_array_new ();
  results = nn_plugin_check_type (types[0], 1, &error);
  NN_ASSERT_NO_ERROR (error);
  return results ? results : g_ptr_array_new ();
}

static NnPluginCheckResult *
result_at (GPtrArray *results,
           guint      i)
{
  static NnPluginCheckResult empty = { (char *) "", (char *) "", (char *) "", (char *) "",
                                       0, 0, 0, 0, FALSE, (char *) "" };

  return i < results->len ? results->pdata[i] : &empty;
}

/* The library's check */

static void
check_all_pass (const char *extension_point)
{
  g_auto(GStrv) names = nn_plugins_list (extension_point);

  NN_CHECK (g_strv_length (names) >= 5, "only %u plugins on %s", g_strv_length (names),
            extension_point);
  for (gsize i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) results = check_type (extension_point, names[i]);

      NN_CHECK (results->len >= 1, "no result for '%s'", names[i]);
      for (guint r = 0; r < results->len; r++)
        {
          NnPluginCheckResult *result = results->pdata[r];

          NN_CHECK (result->passed, "'%s' (%s) fails: %s", names[i], result->setting,
                    result->failure);
          NN_CHECK (result->n_points >= 80, "'%s' (%s) was compared at %u points only",
                    names[i], result->setting, result->n_points);
          NN_CHECK (result->max_rel_error <= NN_PLUGIN_CHECK_RTOL,
                    "'%s' (%s): max relative error %g", names[i], result->setting,
                    result->max_rel_error);
        }
    }
}

static void
test_builtin_activations_pass (void)
{
  check_all_pass (NN_ACTIVATION_EXTENSION_POINT_NAME);
}

static void
test_builtin_losses_pass (void)
{
  check_all_pass (NN_LOSS_EXTENSION_POINT_NAME);
}

/* Each number away from its default, and the default first. */
static void
test_settings (void)
{
  static const struct
  {
    const char *point;
    const char *name;
    const char *settings[4];
  } expected[] = {
    { NN_ACTIVATION_EXTENSION_POINT_NAME, "leaky_relu", { "default", "alpha=0.02" } },
    { NN_ACTIVATION_EXTENSION_POINT_NAME, "softplus", { "default", "beta=2", "threshold=40" } },
    { NN_ACTIVATION_EXTENSION_POINT_NAME, "relu", { "default" } },
    { NN_LOSS_EXTENSION_POINT_NAME, "huber", { "default", "delta=2" } },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(GPtrArray) results = check_type (expected[i].point, expected[i].name);
      guint n = g_strv_length ((char **) expected[i].settings);

      NN_CHECK (results->len == n, "'%s': %u settings, expected %u", expected[i].name,
                results->len, n);
      for (guint r = 0; r < n; r++)
        NN_CHECK (g_strcmp0 (result_at (results, r)->setting, expected[i].settings[r]) == 0,
                  "'%s' setting %u is '%s', expected '%s'", expected[i].name, r,
                  result_at (results, r)->setting, expected[i].settings[r]);
    }
}

/* Cross-entropies are checked on probabilities, the others on all reals. */
static void
test_loss_domains (void)
{
  static const struct
  {
    const char *name;
    const char *domain;
  } expected[] = {
    { "binary_crossentropy", "probabilities" },
    { "categorical_crossentropy", "probabilities" },
    { "mean_squared_error", "reals" },
    { "mean_absolute_error", "reals" },
    { "huber", "reals" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(GPtrArray) results = check_type (NN_LOSS_EXTENSION_POINT_NAME,
                                                  expected[i].name);

      NN_CHECK (g_strcmp0 (result_at (results, 0)->domain, expected[i].domain) == 0,
                "'%s' checked on %s, expected %s", expected[i].name,
                result_at (results, 0)->domain, expected[i].domain);
      NN_CHECK (g_strcmp0 (result_at (results, 0)->kind, "loss") == 0, "'%s' is a %s",
                expected[i].name, result_at (results, 0)->kind);
    }
}

/* relu's kink at 0 is found and allowed, not skipped: its points are
 * checked against the one-sided differences. */
static void
test_kinks_counted (void)
{
  g_autoptr(GPtrArray) relu = check_type (NN_ACTIVATION_EXTENSION_POINT_NAME, "relu");
  g_autoptr(GPtrArray) tanh_results = check_type (NN_ACTIVATION_EXTENSION_POINT_NAME, "tanh");

  NN_CHECK (result_at (relu, 0)->n_kinks > 0, "no kink found in relu");
  NN_CHECK (result_at (relu, 0)->n_kinks < result_at (relu, 0)->n_points / 4,
            "relu: %u kinks of %u points", result_at (relu, 0)->n_kinks,
            result_at (relu, 0)->n_points);
  NN_CHECK (result_at (tanh_results, 0)->n_kinks == 0, "%u kinks found in tanh",
            result_at (tanh_results, 0)->n_kinks);
}

static void
test_same_seed_same_result (void)
{
  g_autoptr(GError) error = NULL;
  GType type = nn_plugins_lookup (NN_ACTIVATION_EXTENSION_POINT_NAME, "gelu", &error);
  g_autoptr(GPtrArray) a = nn_plugin_check_type (type, 7, &error);
  g_autoptr(GPtrArray) b = nn_plugin_check_type (type, 7, &error);
  g_autoptr(GPtrArray) c = nn_plugin_check_type (type, 8, &error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (a);
  CU_ASSERT_PTR_NOT_NULL_FATAL (b);
  CU_ASSERT_PTR_NOT_NULL_FATAL (c);
  NN_CHECK (result_at (a, 0)->max_abs_error == result_at (b, 0)->max_abs_error,
            "seed 7 gave %g, then %g", result_at (a, 0)->max_abs_error,
            result_at (b, 0)->max_abs_error);
  NN_CHECK (result_at (a, 0)->max_abs_error != result_at (c, 0)->max_abs_error,
            "seeds 7 and 8 checked the same points");
  NN_CHECK (nn_plugin_check_all_passed (c), "gelu fails with seed 8");
}

static void
test_not_checkable (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) results = nn_plugin_check_type (NN_TYPE_SGD_OPTIMIZER, 1, &error);

  NN_CHECK (results == NULL, "an optimizer was checked");
  NN_ASSERT_ERROR (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_pointer (&results, g_ptr_array_unref);
  results = nn_plugin_check_type (NN_TYPE_ACTIVATION, 1, &error);
  NN_CHECK (results == NULL, "the abstract NnActivation was checked");
  NN_ASSERT_ERROR (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID);
}

static void
test_result_copy (void)
{
  g_autoptr(GPtrArray) results = check_type (NN_ACTIVATION_EXTENSION_POINT_NAME, "elu");
  g_autoptr(NnPluginCheckResult) copy = nn_plugin_check_result_copy (result_at (results, 1));

  NN_CHECK (g_strcmp0 (copy->setting, "alpha=2") == 0, "the copy's setting is '%s'",
            copy->setting);
  NN_CHECK (copy->setting != result_at (results, 1)->setting, "the copy shares its strings");
  NN_CHECK (copy->n_points == result_at (results, 1)->n_points, "the copy lost its counts");
  NN_CHECK (G_TYPE_IS_BOXED (NN_TYPE_PLUGIN_CHECK_RESULT), "not a boxed type");
}

/* Wrong derivatives */

static void
test_nan_backward_fails (void)
{
  g_autofree char *path = fixture ("NN_TEST_CHECK_FIXTURES", "libfixture-nan-backward.so");
  g_autoptr(GPtrArray) results = check_file (path);
  NnPluginCheckResult *r = result_at (results, 0);

  NN_CHECK (!r->passed, "fixture_nan_backward passes");
  NN_CHECK (contains (r->failure, "backward gives nan"), "the failure is: %s", r->failure);
  NN_CHECK (g_strcmp0 (r->name, "fixture_nan_backward") == 0, "the result names '%s'", r->name);
}

static void
test_wrong_factor_fails (void)
{
  g_autofree char *path = fixture ("NN_TEST_CHECK_FIXTURES", "libfixture-wrong-factor.so");
  g_autoptr(GPtrArray) results = check_file (path);
  NnPluginCheckResult *r = result_at (results, 0);

  NN_CHECK (!r->passed, "a derivative 2 %% too large passes");
  NN_CHECK (contains (r->failure, "backward disagrees with finite differences"),
            "the failure is: %s", r->failure);
  /* 1.02 f' against f': the relative error is 0.02 / 1.02. */
  NN_ASSERT_CMPFLOAT (r->max_rel_error, 0.02 / 1.02, 0.1, 0);
}

static void
test_wrong_negative_fails (void)
{
  g_autofree char *path = fixture ("NN_TEST_CHECK_FIXTURES", "libfixture-wrong-negative.so");
  g_autoptr(GPtrArray) results = check_file (path);
  NnPluginCheckResult *r = result_at (results, 0);

  NN_CHECK (!r->passed, "a derivative wrong for z < 0 passes");
  NN_CHECK (contains (r->failure, "(all where z ≤ 0)") ||
              contains (r->failure, "(all where z < 0)"),
            "the failure does not say the negative side: %s", r->failure);
}

static void
test_wrong_property_fails (void)
{
  g_autofree char *path = fixture ("NN_TEST_CHECK_FIXTURES", "libfixture-wrong-property.so");
  g_autoptr(GPtrArray) results = check_file (path);

  NN_CHECK (results->len == 2, "%u settings, expected the default and slope=0.2", results->len);
  NN_CHECK (result_at (results, 0)->passed, "the default fails: %s",
            result_at (results, 0)->failure);
  NN_CHECK (g_strcmp0 (result_at (results, 1)->setting, "slope=0.2") == 0, "setting '%s'",
            result_at (results, 1)->setting);
  NN_CHECK (!result_at (results, 1)->passed, "slope=0.2 passes");
  NN_CHECK (!nn_plugin_check_all_passed (results), "nn_plugin_check_all_passed says yes");
}

static void
test_unscaled_loss_fails (void)
{
  g_autofree char *path = fixture ("NN_TEST_CHECK_FIXTURES", "libfixture-unscaled-loss.so");
  g_autoptr(GPtrArray) results = check_file (path);
  NnPluginCheckResult *r = result_at (results, 0);

  NN_CHECK (!r->passed, "a loss gradient without the 1/n of the mean passes");
  NN_CHECK (contains (r->failure, "gradient disagrees"), "the failure is: %s", r->failure);
  NN_CHECK (g_strcmp0 (r->kind, "loss") == 0, "checked as a %s", r->kind);
}

static void
test_example_passes (void)
{
  g_autofree char *path = fixture ("NN_TEST_EXAMPLE_PLUGIN", "swish.so");
  g_autoptr(GPtrArray) results = check_file (path);

  NN_CHECK (results->len == 2, "swish: %u settings", results->len);
  NN_CHECK (g_strcmp0 (result_at (results, 1)->setting, "beta=2") == 0, "setting '%s'",
            result_at (results, 1)->setting);
  NN_CHECK (nn_plugin_check_all_passed (results), "swish fails: %s / %s",
            result_at (results, 0)->failure, result_at (results, 1)->failure);
}

static void
test_types_for_file (void)
{
  g_autofree char  *relu = fixture ("NN_TEST_BUILTIN_PLUGINS", "libnnact-relu.so");
  g_autofree char  *missing = fixture ("NN_TEST_BUILTIN_PLUGINS", "no-such-plugin.so");
  g_autofree GType *types = NULL;
  g_autofree GType *none = NULL;
  guint             n = 0, n_none = 1;

  types = nn_plugins_get_types_for_file (relu, &n);
  NN_CHECK (n == 1 && types[0] == nn_plugins_lookup (NN_ACTIVATION_EXTENSION_POINT_NAME, "relu",
                                                     NULL),
            "%s provides %u types", relu, n);
  none = nn_plugins_get_types_for_file (missing, &n_none);
  NN_CHECK (n_none == 0 && none != NULL && none[0] == 0, "an unknown file provides %u types",
            n_none);
}

/* nnrun plugins */

static void
test_listing (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *sigmoid_file = fixture ("NN_TEST_BUILTIN_PLUGINS", "libnnact-sigmoid.so");
  int              status = NNRUN (&out, &err, "plugins");
  const char      *activations, *losses, *optimizers;

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s", status, err);
  activations = strstr (out, "Activations:\n");
  losses = strstr (out, "Losses:\n");
  optimizers = strstr (out, "Optimizers:\n");
  NN_CHECK (activations && losses && optimizers && activations < losses && losses < optimizers,
            "not grouped by kind:\n%s", out);
  NN_CHECK (contains (out, sigmoid_file), "the listing lacks %s:\n%s", sigmoid_file, out);
  NN_CHECK (contains (out, "Logistic sigmoid"), "the listing lacks sigmoid's description");
  NN_CHECK (contains (out, "(built-in)"), "the listing does not say sgd is built in");
  if (activations && losses)
    {
      const char *elu = strstr (activations, "  elu ");
      const char *tanh_line = strstr (activations, "  tanh ");

      NN_CHECK (elu && tanh_line && elu < tanh_line && tanh_line < losses,
                "activations not sorted:\n%s", out);
    }
  NN_CHECK (!contains (out, "could not be loaded"), "failures listed with none on the path");
}

static void
test_listing_failures (void)
{
  const char      *bad = g_getenv ("NN_TEST_PLUGIN_FIXTURES");
  g_autofree char *path = g_strjoin (G_SEARCHPATH_SEPARATOR_S, g_getenv ("NN_PLUGIN_PATH"),
                                     bad, NULL);
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH", path, TRUE);
  g_autofree char *abi = fixture ("NN_TEST_PLUGIN_FIXTURES", "libfixture-wrong-abi.so");
  g_autofree char *scalar = fixture ("NN_TEST_PLUGIN_FIXTURES", "libfixture-wrong-scalar.so");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "plugins", NULL);
  const char      *section = out ? strstr (out, "Plugin files that could not be loaded:") : NULL;

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s", status, err);
  NN_CHECK (section != NULL, "no section of failed files:\n%s", out);
  NN_CHECK (contains (section, abi) && contains (section, "plugin ABI version"),
            "the wrong-ABI file is not listed with its reason:\n%s", out);
  NN_CHECK (contains (section, scalar) && contains (section, "scalars"),
            "the wrong-scalar file is not listed with its reason:\n%s", out);
  NN_CHECK (contains (out, "  sigmoid "), "the good plugins are gone:\n%s", out);
  NN_CHECK (contains (out, bad), "the search path does not show %s", bad);
}

static void
test_describe (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = NNRUN (&out, &err, "plugins", "leaky_relu");

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s", status, err);
  NN_CHECK (contains (out, "leaky_relu (activation)"), "no heading:\n%s", out);
  NN_CHECK (contains (out, "alpha  number, default 0.01, from 0 to 1"),
            "alpha's type, default or range is missing:\n%s", out);
  NN_CHECK (contains (out, "Slope for negative inputs"), "alpha's blurb is missing:\n%s", out);
  NN_CHECK (contains (out, "activation: {name: leaky_relu, alpha: 0.01}"),
            "no YAML example:\n%s", out);
  NN_CHECK (contains (out, "NnLeakyReluActivation"), "the class is not named:\n%s", out);
  NN_CHECK (contains (out, "version: " NN_VERSION_STRING "\n"),
            "the plugin's version is not shown:\n%s", out);
}

/* A plugin built without NN_PLUGIN_VERSION is described as unversioned. */
static void
test_describe_unversioned (void)
{
  g_autofree char *path = g_strjoin (G_SEARCHPATH_SEPARATOR_S, g_getenv ("NN_PLUGIN_PATH"),
                                     g_getenv ("NN_TEST_PLUGIN_GOOD"), NULL);
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH", path, TRUE);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "plugins",
                                           "fixture_square", NULL);

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s", status, err);
  NN_CHECK (contains (out, "version: (none recorded)\n"), "no version line:\n%s", out);
}

static void
test_describe_loss_and_optimizer (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  int              status = NNRUN (&out, &err, "plugins", "huber");
  int              status2 = NNRUN (&out2, NULL, "plugins", "sgd");

  NN_CHECK (status == EXIT_OK && contains (out, "loss: {name: huber, delta: 1}"),
            "huber (status %d):\n%s", status, out);
  NN_CHECK (status2 == EXIT_OK && contains (out2, "learning_rate") &&
              contains (out2, "optimizer:"),
            "sgd (status %d):\n%s", status2, out2);
}

static void
test_describe_unknown (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = NNRUN (&out, &err, "plugins", "sigmod");

  NN_CHECK (status == EXIT_BAD_INPUT, "exit status %d", status);
  NN_CHECK (contains (err, "did you mean 'sigmoid'?"), "no suggestion:\n%s", err);
}

/* nnrun check-plugin */

static void
test_check_name (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = NNRUN (&out, &err, "check-plugin", "softplus");

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s\n%s", status, err, out);
  NN_CHECK (contains (out, "max abs err") && contains (out, "max rel err"),
            "no table header:\n%s", out);
  NN_CHECK (contains (out, "beta=2") && contains (out, "threshold=40"),
            "not every setting is in the table:\n%s", out);
  NN_CHECK (contains (out, "All 3 checks passed."), "no summary:\n%s", out);
}

/* Each bad fixture: exit 1, with its name and setting in the failure. */
static void
test_check_bad_files (void)
{
  static const struct
  {
    const char *file;
    const char *failed;
  } bad[] = {
    { "libfixture-nan-backward.so", "FAIL fixture_nan_backward (default): backward gives nan" },
    { "libfixture-wrong-factor.so", "FAIL fixture_wrong_factor (default): backward disagrees" },
    { "libfixture-wrong-negative.so", "FAIL fixture_wrong_negative (default): backward" },
    { "libfixture-wrong-property.so", "FAIL fixture_wrong_property (slope=0.2): backward" },
    { "libfixture-unscaled-loss.so", "FAIL fixture_unscaled_loss (default): gradient" },
    { "libfixture-wrong-joint.so",
      "FAIL fixture_wrong_joint (default): output_gradient after linear" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *path = fixture ("NN_TEST_CHECK_FIXTURES", bad[i].file);
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int              status = NNRUN (&out, &err, "check-plugin", path);

      NN_CHECK (status == EXIT_FAILED, "%s: exit status %d; stderr:\n%s", bad[i].file, status,
                err);
      NN_CHECK (contains (out, bad[i].failed), "%s: no '%s' in:\n%s", bad[i].file,
                bad[i].failed, out);
      NN_CHECK (contains (err, "checks failed"), "%s: stderr does not say what failed:\n%s",
                bad[i].file, err);
    }
}

/* "x.so" means the file in the current folder, as a shell user expects. */
static void
test_check_bare_file_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char      *argv[] = { g_getenv ("NNRUN"), "check-plugin", "swish.so", NULL };
  int              wait_status = 0;

  g_spawn_sync (g_getenv ("NN_TEST_EXAMPLE_PLUGIN"), (char **) argv, NULL, G_SPAWN_DEFAULT,
                NULL, NULL, &out, &err, &wait_status, &error);
  NN_ASSERT_NO_ERROR (error);
  NN_CHECK (WIFEXITED (wait_status) && WEXITSTATUS (wait_status) == EXIT_OK,
            "check-plugin swish.so in its folder: wait status %d; stderr:\n%s", wait_status, err);
}

/* A file is checked alone: what the plugin path holds does not matter. */
static void
test_check_file_alone (void)
{
  g_autofree char *path = fixture ("NN_TEST_EXAMPLE_PLUGIN", "swish.so");
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH",
                                          g_getenv ("NN_TEST_PLUGIN_FIXTURES"), TRUE);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "check-plugin", path, NULL);

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s\n%s", status, err, out);
  NN_CHECK (contains (out, "swish") && contains (out, "beta=2"), "table:\n%s", out);
  NN_CHECK (err != NULL && *err == '\0', "the broken plugins of the path were loaded:\n%s", err);
}

static void
test_check_usage_errors (void)
{
  g_autofree char *abi = fixture ("NN_TEST_PLUGIN_FIXTURES", "libfixture-wrong-abi.so");
  g_autofree char *missing = fixture ("NN_TEST_CHECK_FIXTURES", "no-such-plugin.so");
  g_autofree char *err1 = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *err3 = NULL;
  g_autofree char *err4 = NULL;
  g_autofree char *err5 = NULL;
  int              status;

  status = NNRUN (NULL, &err1, "check-plugin", abi);
  NN_CHECK (status == EXIT_BAD_INPUT && contains (err1, "plugin ABI version"),
            "a refused file: status %d, stderr:\n%s", status, err1);
  status = NNRUN (NULL, &err2, "check-plugin", missing);
  NN_CHECK (status == EXIT_BAD_INPUT && contains (err2, "no such file"),
            "a missing file: status %d, stderr:\n%s", status, err2);
  status = NNRUN (NULL, &err3, "check-plugin", "sgd");
  NN_CHECK (status == EXIT_BAD_INPUT && contains (err3, "is an optimizer"),
            "an optimizer: status %d, stderr:\n%s", status, err3);
  status = NNRUN (NULL, &err4, "check-plugin", "tahn");
  NN_CHECK (status == EXIT_BAD_INPUT && contains (err4, "did you mean 'tanh'?"),
            "a misspelt name: status %d, stderr:\n%s", status, err4);
  status = nn_test_spawn (NULL, NULL, &err5, g_getenv ("NNRUN"), "check-plugin", NULL);
  NN_CHECK (status == EXIT_BAD_INPUT && contains (err5, "needs a plugin"),
            "no argument: status %d, stderr:\n%s", status, err5);
}

/* nnrun new-plugin */

static void
check_new_plugin (const char *kind,
                  const char *name,
                  const char *setting)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *source_name = g_strconcat (name, ".c", NULL);
  g_autofree char *library_name = g_strconcat (name, ".so", NULL);
  g_autofree char *source = g_build_filename (dir, source_name, NULL);
  g_autofree char *build = g_build_filename (dir, "meson.build", NULL);
  g_autofree char *library = g_build_filename (dir, library_name, NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *cc_err = NULL;
  g_autofree char *check_out = NULL;
  g_autofree char *check_err = NULL;
  g_autofree char *meson = NULL;
  int              status;

  status = NNRUN (&out, &err, "new-plugin", kind, name, dir);
  NN_CHECK (status == EXIT_OK, "new-plugin %s: exit status %d; stderr:\n%s", kind, status, err);
  NN_CHECK (g_file_test (source, G_FILE_TEST_IS_REGULAR), "no %s", source);
  NN_CHECK (g_file_get_contents (build, &meson, NULL, NULL) &&
              contains (meson, "get_variable(pkgconfig: 'plugindir')"),
            "no meson.build installing into the plugin folder: %s", build);
  NN_CHECK (contains (out, "pkg-config --cflags --libs nncore"), "no build command:\n%s", out);

  status = nn_test_build_plugin (source, library, &cc_err);
  NN_CHECK (status == EXIT_OK, "the generated %s does not compile (status %d):\n%s", kind,
            status, cc_err);
  if (status != EXIT_OK)
    return;

  status = NNRUN (&check_out, &check_err, "check-plugin", library);
  NN_CHECK (status == EXIT_OK, "the generated %s fails check-plugin (status %d):\n%s\n%s", kind,
            status, check_out, check_err);
  NN_CHECK (contains (check_out, setting), "the parameter was not varied:\n%s", check_out);
}

static void
test_new_activation (void)
{
  check_new_plugin ("activation", "my_act2", "scale=2");
}

static void
test_new_loss (void)
{
  check_new_plugin ("loss", "my_loss", "weight=2");
}

static void
test_new_plugin_refusals (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *source = g_build_filename (dir, "twice.c", NULL);
  g_autofree char *after = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *err3 = NULL;
  int              status;

  status = NNRUN (&out, NULL, "new-plugin", "activation", "twice", dir);
  NN_CHECK (status == EXIT_OK, "first new-plugin: status %d", status);
  g_file_set_contents (source, "edited", -1, NULL);
  status = NNRUN (NULL, &err, "new-plugin", "activation", "twice", dir);
  NN_CHECK (status == EXIT_BAD_INPUT && contains (err, "already exists"),
            "a second new-plugin: status %d, stderr:\n%s", status, err);
  NN_CHECK (g_file_get_contents (source, &after, NULL, NULL) && g_str_equal (after, "edited"),
            "the user's file was overwritten");

  status = NNRUN (NULL, &err2, "new-plugin", "activation", "My-Act", dir);
  NN_CHECK (status == EXIT_BAD_INPUT && contains (err2, "cannot name a plugin"),
            "a bad name: status %d, stderr:\n%s", status, err2);
  status = NNRUN (NULL, &err3, "new-plugin", "metric", "mine", dir);
  NN_CHECK (status == EXIT_BAD_INPUT && contains (err3, "'activation', 'loss', 'optimizer' or "
                                                        "'layer'"),
            "a bad kind: status %d, stderr:\n%s", status, err3);
}

/* The continuation lines of an argument list stay under its first
 * argument whatever the length of the name, shorter or longer than the
 * template's plugin_name. */
static void
check_aligned (const char *name)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *source_name = g_strconcat (name, ".c", NULL);
  g_autofree char *source = g_build_filename (dir, source_name, NULL);
  g_autofree char *code = NULL;
  g_autofree char *head = g_strdup_printf ("%s_loss_gradient (", name);
  g_autofree char *want = g_strdup_printf ("\n%sNnLoss         *loss,\n%*sconst NnMatrix *pred,\n",
                                           head, (int) strlen (head), "");
  int              status = NNRUN (NULL, NULL, "new-plugin", "loss", name, dir);

  NN_CHECK (status == EXIT_OK && g_file_get_contents (source, &code, NULL, NULL),
            "new-plugin loss %s: status %d", name, status);
  if (code == NULL)
    return;
  NN_CHECK (contains (code, want), "the arguments of %s are not aligned:\n%s", head, code);
  NN_CHECK (contains (code, "\n                                NN_TYPE_LOSS, G_TYPE_FLAG_FINAL,\n"),
            "G_DEFINE_DYNAMIC_TYPE_EXTENDED's arguments moved:\n%s", code);
}

static void
test_new_plugin_aligned (void)
{
  check_aligned ("l");
  check_aligned ("a_loss_with_a_much_longer_name_than_the_template");
}

/* Experiments */

static char *
write_experiment (const char *dir,
                  const char *plugins,
                  const char *activation)
{
  g_autofree char *yaml = NULL;
  char            *path = g_build_filename (dir, "experiment.yaml", NULL);

  yaml = g_strdup_printf ("seed: 1\n"
                          "%s"
                          "data:\n"
                          "  source: iris\n"
                          "  scale: minmax\n"
                          "model:\n"
                          "  layers:\n"
                          "    - {units: 8, activation: %s}\n"
                          "    - {units: 3, activation: softmax}\n"
                          "optimizer: {name: sgd, learning_rate: 0.1}\n"
                          "train: {epochs: 5}\n"
                          "output: {dir: %s/run}\n",
                          plugins, activation, dir);
  g_file_set_contents (path, yaml, -1, NULL);
  return path;
}

/* A second plugin beside the first: its stanza is added to the folder's
 * meson.build, the first one's kept, and both build and pass. */
static void
test_new_plugin_beside_another (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *build = g_build_filename (dir, "meson.build", NULL);
  g_autofree char *first_build = NULL;
  g_autofree char *meson = NULL;
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  int              status;

  status = NNRUN (NULL, &err, "new-plugin", "activation", "first_act", dir);
  NN_CHECK (status == EXIT_OK, "first: status %d, stderr:\n%s", status, err);
  g_file_get_contents (build, &first_build, NULL, NULL);
  status = NNRUN (NULL, &err2, "new-plugin", "loss", "second_loss", dir);
  NN_CHECK (status == EXIT_OK, "second: status %d, stderr:\n%s", status, err2);
  NN_CHECK (g_file_get_contents (build, &meson, NULL, NULL) && first_build != NULL &&
              g_str_has_prefix (meson, first_build) &&
              contains (meson, "shared_module('first_act', 'first_act.c'") &&
              contains (meson, "shared_module('second_loss', 'second_loss.c'"),
            "meson.build does not build both:\n%s", meson);

  for (gsize i = 0; i < 2; i++)
    {
      const char      *name = i == 0 ? "first_act" : "second_loss";
      g_autofree char *source_name = g_strconcat (name, ".c", NULL);
      g_autofree char *library_name = g_strconcat (name, ".so", NULL);
      g_autofree char *source = g_build_filename (dir, source_name, NULL);
      g_autofree char *library = g_build_filename (dir, library_name, NULL);
      g_autofree char *cc_err = NULL;
      g_autofree char *check_err = NULL;

      status = nn_test_build_plugin (source, library, &cc_err);
      NN_CHECK (status == EXIT_OK, "%s does not compile:\n%s", name, cc_err);
      status = NNRUN (NULL, &check_err, "check-plugin", library);
      NN_CHECK (status == EXIT_OK, "%s fails check-plugin (status %d):\n%s", name, status,
                check_err);
    }
}

/* The optimizer skeleton builds, passes its check, and trains. */
static void
test_new_optimizer (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *source = g_build_filename (dir, "my_opt.c", NULL);
  g_autofree char *library = g_build_filename (dir, "my_opt.so", NULL);
  g_autofree char *plugins = g_strdup_printf ("plugins: [%s]\n", dir);
  g_autofree char *experiment = NULL;
  g_autofree char *summary = g_build_filename (dir, "run", "summary.json", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *cc_err = NULL;
  g_autofree char *check_out = NULL;
  g_autofree char *check_err = NULL;
  g_autofree char *train_err = NULL;
  g_autofree char *yaml = NULL;
  int              status;

  status = NNRUN (&out, &err, "new-plugin", "optimizer", "my_opt", dir);
  NN_CHECK (status == EXIT_OK, "new-plugin optimizer: status %d, stderr:\n%s", status, err);
  NN_CHECK (contains (out, "optimizer: {name: my_opt"), "no YAML line:\n%s", out);
  status = nn_test_build_plugin (source, library, &cc_err);
  NN_CHECK (status == EXIT_OK, "the generated optimizer does not compile:\n%s", cc_err);
  if (status != EXIT_OK)
    return;

  status = NNRUN (&check_out, &check_err, "check-plugin", library);
  NN_CHECK (status == EXIT_OK, "the optimizer fails check-plugin (status %d):\n%s\n%s", status,
            check_out, check_err);
  NN_CHECK (contains (check_out, "my_opt  optimizer  default") &&
              contains (check_out, "momentum=0.45"),
            "not every setting checked:\n%s", check_out);

  experiment = write_experiment (dir, plugins, "relu");
  g_file_get_contents (experiment, &yaml, NULL, NULL);
  {
    g_autoptr(GString) text = g_string_new (yaml);

    g_string_replace (text, "optimizer: {name: sgd, learning_rate: 0.1}",
                      "optimizer: {name: my_opt, learning_rate: 0.05, momentum: 0.5}", 1);
    g_file_set_contents (experiment, text->str, -1, NULL);
  }
  status = NNRUN (NULL, &train_err, "train", experiment, "--quiet");
  NN_CHECK (status == EXIT_OK, "training with my_opt: status %d, stderr:\n%s", status,
            train_err);
  NN_CHECK (g_file_test (summary, G_FILE_TEST_IS_REGULAR), "no %s", summary);
}

/* An optimizer whose state is not saved resumes differently: it fails. */
static void
test_optimizer_without_state_fails (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *source = g_build_filename (dir, "lossy_opt.c", NULL);
  g_autofree char *library = g_build_filename (dir, "lossy_opt.so", NULL);
  g_autofree char *code = NULL;
  g_autofree char *cc_err = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GString) edited = g_string_new (NULL);
  int status;

  status = NNRUN (NULL, NULL, "new-plugin", "optimizer", "lossy_opt", dir);
  NN_CHECK (status == EXIT_OK, "new-plugin: status %d", status);
  CU_ASSERT_FATAL (g_file_get_contents (source, &code, NULL, NULL));
  /* It saves no velocity, and so resumes with none. */
  g_string_assign (edited, code);
  NN_CHECK (g_string_replace (edited, "  nn_optimizer_state_add_buffers (state, \"velocity\", "
                                      "self->velocity);",
                              "  (void) self;", 1) == 1 &&
              g_string_replace (edited, "  return nn_optimizer_state_read_buffers (state, "
                                        "\"velocity\", self->velocity, error);",
                                "  (void) self;\n  return TRUE;", 1) == 1,
            "the template's state functions changed:\n%s", code);
  g_file_set_contents (source, edited->str, -1, NULL);
  status = nn_test_build_plugin (source, library, &cc_err);
  NN_CHECK (status == EXIT_OK, "lossy_opt does not compile:\n%s", cc_err);
  status = NNRUN (&out, &err, "check-plugin", library);
  NN_CHECK (status == EXIT_FAILED, "check-plugin: status %d", status);
  NN_CHECK (contains (out, "FAIL lossy_opt (default): resumed from the state it saved"),
            "no failure about the resumed run:\n%s", out);
}

/* The library's own optimizers pass the optimizer check. */
static void
test_builtin_optimizers_pass (void)
{
  g_auto(GStrv) names = nn_plugins_list (NN_OPTIMIZER_EXTENSION_POINT_NAME);

  NN_CHECK (g_strv_length (names) >= 6, "only %u optimizers", g_strv_length (names));
  for (gsize i = 0; names[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      GType type = nn_plugins_lookup (NN_OPTIMIZER_EXTENSION_POINT_NAME, names[i], &error);
      g_autoptr(GPtrArray) results = nn_plugin_check_optimizer (type, 1, &error);

      NN_ASSERT_NO_ERROR (error);
      for (guint r = 0; results != NULL && r < results->len; r++)
        {
          NnPluginCheckResult *result = results->pdata[r];

          NN_CHECK (result->passed, "'%s' (%s) fails: %s", names[i], result->setting,
                    result->failure);
        }
    }
}

static void
test_experiment_plugins_folder (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *plugins = g_strdup_printf ("plugins: [%s]\n",
                                              g_getenv ("NN_TEST_EXAMPLE_PLUGIN"));
  g_autofree char *experiment = write_experiment (dir, plugins, "{name: swish, beta: 1.5}");
  g_autofree char *summary = g_build_filename (dir, "run", "summary.json", NULL);
  g_autofree char *err = NULL;
  int              status = NNRUN (NULL, &err, "train", experiment, "--quiet");

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s", status, err);
  NN_CHECK (g_file_test (summary, G_FILE_TEST_IS_REGULAR), "no %s", summary);
}

static void
test_experiment_out_of_range (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *plugins = g_strdup_printf ("plugins: [%s]\n",
                                              g_getenv ("NN_TEST_EXAMPLE_PLUGIN"));
  g_autofree char *experiment = write_experiment (dir, plugins, "{name: swish, beta: 500}");
  g_autofree char *where = g_strdup_printf ("%s:8:", experiment);
  g_autofree char *err = NULL;
  int              status = NNRUN (NULL, &err, "train", experiment);

  NN_CHECK (status == EXIT_BAD_INPUT, "exit status %d", status);
  NN_CHECK (contains (err, where) && contains (err, "beta"), "no error at line 8:\n%s", err);
}

static void
test_experiment_plugin_path (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = g_strjoin (G_SEARCHPATH_SEPARATOR_S, g_getenv ("NN_PLUGIN_PATH"),
                                     g_getenv ("NN_TEST_EXAMPLE_PLUGIN"), NULL);
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH", path, TRUE);
  g_autofree char *experiment = write_experiment (dir, "", "{name: swish, beta: 0.5}");
  g_autofree char *err = NULL;
  int              status = nn_test_spawn (envp, NULL, &err, g_getenv ("NNRUN"),
                                           "train", experiment, "--quiet", NULL);

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s", status, err);
}

/* The refused file's would-be name is unknown; the error says a refused
 * file may provide it, at the line that names it. */
static void
test_experiment_refused_plugin (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *plugins = g_strdup_printf ("plugins: [%s]\n",
                                              g_getenv ("NN_TEST_PLUGIN_FIXTURES"));
  g_autofree char *experiment = write_experiment (dir, plugins, "fixture_wrong_scalar");
  g_autofree char *where = g_strdup_printf ("%s:8:", experiment);
  g_autofree char *scalar = fixture ("NN_TEST_PLUGIN_FIXTURES", "libfixture-wrong-scalar.so");
  g_autofree char *err = NULL;
  int              status = NNRUN (NULL, &err, "train", experiment);

  NN_CHECK (status == EXIT_BAD_INPUT, "exit status %d; stderr:\n%s", status, err);
  NN_CHECK (contains (err, where) && contains (err, "unknown activation 'fixture_wrong_scalar'"),
            "no config error at line 8:\n%s", err);
  NN_CHECK (contains (err, "could not be loaded and may provide it") && contains (err, scalar),
            "the error does not point at the refused file:\n%s", err);
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("the finite-difference check", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "every built-in activation passes at every setting",
               test_builtin_activations_pass);
  CU_add_test (suite, "every built-in loss passes at every setting", test_builtin_losses_pass);
  CU_add_test (suite, "each numeric parameter is checked away from its default",
               test_settings);
  CU_add_test (suite, "cross-entropies are checked on probabilities, other losses on reals",
               test_loss_domains);
  CU_add_test (suite, "relu's kink is found and checked, tanh has none", test_kinks_counted);
  CU_add_test (suite, "a seed gives the same points every time", test_same_seed_same_result);
  CU_add_test (suite, "an optimizer or an abstract class cannot be checked",
               test_not_checkable);
  CU_add_test (suite, "a result copies deeply", test_result_copy);
  CU_add_test (suite, "a backward that gives NaN fails", test_nan_backward_fails);
  CU_add_test (suite, "a derivative 2 % off everywhere fails", test_wrong_factor_fails);
  CU_add_test (suite, "a derivative wrong for z < 0 fails, saying so",
               test_wrong_negative_fails);
  CU_add_test (suite, "a derivative wrong only away from the default parameter fails there",
               test_wrong_property_fails);
  CU_add_test (suite, "a loss gradient without the 1/n of the mean fails",
               test_unscaled_loss_fails);
  CU_add_test (suite, "the example swish plugin passes", test_example_passes);
  CU_add_test (suite, "the types of a plugin file are listed", test_types_for_file);

  suite = CU_add_suite ("nnrun plugins", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "lists every plugin by kind, sorted, with description and file",
               test_listing);
  CU_add_test (suite, "lists the files that could not be loaded, with the reason",
               test_listing_failures);
  CU_add_test (suite, "describes a plugin's parameters, version and a YAML example",
               test_describe);
  CU_add_test (suite, "says when a plugin records no version",
               test_describe_unversioned);
  CU_add_test (suite, "describes a loss and an optimizer", test_describe_loss_and_optimizer);
  CU_add_test (suite, "an unknown name exits 2 with a suggestion", test_describe_unknown);

  suite = CU_add_suite ("nnrun check-plugin", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "a built-in passes, with a table of every setting", test_check_name);
  CU_add_test (suite, "each fixture with wrong derivatives fails with exit status 1",
               test_check_bad_files);
  CU_add_test (suite, "a file is checked alone", test_check_file_alone);
  CU_add_test (suite, "a bare file name is a file of the current folder",
               test_check_bare_file_name);
  CU_add_test (suite, "refused and missing files, optimizers and typos exit 2",
               test_check_usage_errors);

  suite = CU_add_suite ("nnrun new-plugin", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "a new activation compiles with the guide's command and passes the check",
               test_new_activation);
  CU_add_test (suite, "a new loss compiles with the guide's command and passes the check",
               test_new_loss);
  CU_add_test (suite, "existing files, bad names and bad kinds are refused",
               test_new_plugin_refusals);
  CU_add_test (suite, "a second plugin is added to the folder's meson.build; both pass",
               test_new_plugin_beside_another);
  CU_add_test (suite, "new-plugin aligns argument lists under a short or a long name",
               test_new_plugin_aligned);
  CU_add_test (suite, "a new optimizer compiles, passes the check and trains",
               test_new_optimizer);
  CU_add_test (suite, "an optimizer that does not save its state fails the check",
               test_optimizer_without_state_fails);
  CU_add_test (suite, "the built-in optimizers pass the optimizer check",
               test_builtin_optimizers_pass);

  suite = CU_add_suite ("experiments name plugins", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "swish from the experiment's plugins: folder, beta from YAML",
               test_experiment_plugins_folder);
  CU_add_test (suite, "a parameter out of its range is an error at its line",
               test_experiment_out_of_range);
  CU_add_test (suite, "swish from NN_PLUGIN_PATH", test_experiment_plugin_path);
  CU_add_test (suite, "a name only a refused file may provide is an error at its line",
               test_experiment_refused_plugin);

  return nn_test_run ();
}
