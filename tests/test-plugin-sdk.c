/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing plugins: the finite-difference check (nn_plugin_check_type) on
 * the built-ins, on fixtures that are wrong in one way each, and on the
 * example plugin; `nnrun plugins` and `nnrun check-plugin` run as a user
 * would. */
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

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", "NN_PLUGIN_PATH", "NN_TEST_BUILTIN_PLUGINS",
                              "NN_TEST_CHECK_FIXTURES", "NN_TEST_EXAMPLE_PLUGIN",
                              "NN_TEST_PLUGIN_FIXTURES", "NN_TEST_PLUGIN_GOOD", NULL) ||
         nn_test_init_plugins ();
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
  g_autofree char *path = nn_test_env_file ("NN_TEST_CHECK_FIXTURES", "libfixture-nan-backward.so");
  g_autoptr(GPtrArray) results = check_file (path);
  NnPluginCheckResult *r = result_at (results, 0);

  NN_CHECK (!r->passed, "fixture_nan_backward passes");
  NN_CHECK (nn_test_contains (r->failure, "backward gives nan"), "the failure is: %s", r->failure);
  NN_CHECK (g_strcmp0 (r->name, "fixture_nan_backward") == 0, "the result names '%s'", r->name);
}

static void
test_wrong_factor_fails (void)
{
  g_autofree char *path = nn_test_env_file ("NN_TEST_CHECK_FIXTURES", "libfixture-wrong-factor.so");
  g_autoptr(GPtrArray) results = check_file (path);
  NnPluginCheckResult *r = result_at (results, 0);

  NN_CHECK (!r->passed, "a derivative 2 %% too large passes");
  NN_CHECK (nn_test_contains (r->failure, "backward disagrees with finite differences"),
            "the failure is: %s", r->failure);
  /* 1.02 f' against f': the relative error is 0.02 / 1.02. */
  NN_ASSERT_CMPFLOAT (r->max_rel_error, 0.02 / 1.02, 0.1, 0);
}

static void
test_wrong_negative_fails (void)
{
  g_autofree char *path = nn_test_env_file ("NN_TEST_CHECK_FIXTURES",
                                            "libfixture-wrong-negative.so");
  g_autoptr(GPtrArray) results = check_file (path);
  NnPluginCheckResult *r = result_at (results, 0);

  NN_CHECK (!r->passed, "a derivative wrong for z < 0 passes");
  NN_CHECK (nn_test_contains (r->failure, "(all where z ≤ 0)") ||
              nn_test_contains (r->failure, "(all where z < 0)"),
            "the failure does not say the negative side: %s", r->failure);
}

static void
test_wrong_property_fails (void)
{
  g_autofree char *path = nn_test_env_file ("NN_TEST_CHECK_FIXTURES",
                                            "libfixture-wrong-property.so");
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
  g_autofree char *path = nn_test_env_file ("NN_TEST_CHECK_FIXTURES",
                                            "libfixture-unscaled-loss.so");
  g_autoptr(GPtrArray) results = check_file (path);
  NnPluginCheckResult *r = result_at (results, 0);

  NN_CHECK (!r->passed, "a loss gradient without the 1/n of the mean passes");
  NN_CHECK (nn_test_contains (r->failure, "gradient disagrees"), "the failure is: %s", r->failure);
  NN_CHECK (g_strcmp0 (r->kind, "loss") == 0, "checked as a %s", r->kind);
}

static void
test_example_passes (void)
{
  g_autofree char *path = nn_test_env_file ("NN_TEST_EXAMPLE_PLUGIN", "swish.so");
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
  g_autofree char  *relu = nn_test_env_file ("NN_TEST_BUILTIN_PLUGINS", "libnnact-relu.so");
  g_autofree char  *missing = nn_test_env_file ("NN_TEST_BUILTIN_PLUGINS", "no-such-plugin.so");
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
  g_autofree char *sigmoid_file = nn_test_env_file ("NN_TEST_BUILTIN_PLUGINS",
                                                    "libnnact-sigmoid.so");
  int              status = NNRUN (&out, &err, "plugins");
  const char      *activations, *losses, *optimizers;

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s", status, err);
  activations = strstr (out, "Activations:\n");
  losses = strstr (out, "Losses:\n");
  optimizers = strstr (out, "Optimizers:\n");
  NN_CHECK (activations && losses && optimizers && activations < losses && losses < optimizers,
            "not grouped by kind:\n%s", out);
  NN_CHECK (nn_test_contains (out, sigmoid_file), "the listing lacks %s:\n%s", sigmoid_file, out);
  NN_CHECK (nn_test_contains (out, "Logistic sigmoid"), "the listing lacks sigmoid's description");
  NN_CHECK (nn_test_contains (out, "(built-in)"), "the listing does not say sgd is built in");
  if (activations && losses)
    {
      const char *elu = strstr (activations, "  elu ");
      const char *tanh_line = strstr (activations, "  tanh ");

      NN_CHECK (elu && tanh_line && elu < tanh_line && tanh_line < losses,
                "activations not sorted:\n%s", out);
    }
  NN_CHECK (!nn_test_contains (out, "could not be loaded"),
            "failures listed with none on the path");
}

static void
test_listing_failures (void)
{
  const char      *bad = g_getenv ("NN_TEST_PLUGIN_FIXTURES");
  g_autofree char *path = g_strjoin (G_SEARCHPATH_SEPARATOR_S, g_getenv ("NN_PLUGIN_PATH"),
                                     bad, NULL);
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH", path, TRUE);
  g_autofree char *abi = nn_test_env_file ("NN_TEST_PLUGIN_FIXTURES", "libfixture-wrong-abi.so");
  g_autofree char *scalar = nn_test_env_file ("NN_TEST_PLUGIN_FIXTURES",
                                              "libfixture-wrong-scalar.so");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "plugins", NULL);
  const char      *section = out ? strstr (out, "Plugin files that could not be loaded:") : NULL;

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s", status, err);
  NN_CHECK (section != NULL, "no section of failed files:\n%s", out);
  NN_CHECK (nn_test_contains (section, abi) && nn_test_contains (section, "plugin ABI version"),
            "the wrong-ABI file is not listed with its reason:\n%s", out);
  NN_CHECK (nn_test_contains (section, scalar) && nn_test_contains (section, "scalars"),
            "the wrong-scalar file is not listed with its reason:\n%s", out);
  NN_CHECK (nn_test_contains (out, "  sigmoid "), "the good plugins are gone:\n%s", out);
  NN_CHECK (nn_test_contains (out, bad), "the search path does not show %s", bad);
}

static void
test_describe (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = NNRUN (&out, &err, "plugins", "leaky_relu");

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s", status, err);
  NN_CHECK (nn_test_contains (out, "leaky_relu (activation)"), "no heading:\n%s", out);
  NN_CHECK (nn_test_contains (out, "alpha  number, default 0.01, from 0 to 1"),
            "alpha's type, default or range is missing:\n%s", out);
  NN_CHECK (nn_test_contains (out, "Slope for negative inputs"), "alpha's blurb is missing:\n%s",
            out);
  NN_CHECK (nn_test_contains (out, "activation: {name: leaky_relu, alpha: 0.01}"),
            "no YAML example:\n%s", out);
  NN_CHECK (nn_test_contains (out, "NnLeakyReluActivation"), "the class is not named:\n%s", out);
  NN_CHECK (nn_test_contains (out, "version: " NN_VERSION_STRING "\n"),
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
  NN_CHECK (nn_test_contains (out, "version: (none recorded)\n"), "no version line:\n%s", out);
}

static void
test_describe_loss_and_optimizer (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  int              status = NNRUN (&out, &err, "plugins", "huber");
  int              status2 = NNRUN (&out2, NULL, "plugins", "sgd");

  NN_CHECK (status == EXIT_OK && nn_test_contains (out, "loss: {name: huber, delta: 1}"),
            "huber (status %d):\n%s", status, out);
  NN_CHECK (status2 == EXIT_OK && nn_test_contains (out2, "learning_rate") &&
              nn_test_contains (out2, "optimizer:"),
            "sgd (status %d):\n%s", status2, out2);
}

static void
test_describe_unknown (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = NNRUN (&out, &err, "plugins", "sigmod");

  NN_CHECK (status == EXIT_BAD_INPUT, "exit status %d", status);
  NN_CHECK (nn_test_contains (err, "did you mean 'sigmoid'?"), "no suggestion:\n%s", err);
}

/* nnrun check-plugin */

static void
test_check_name (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = NNRUN (&out, &err, "check-plugin", "softplus");

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s\n%s", status, err, out);
  NN_CHECK (nn_test_contains (out, "max abs err") && nn_test_contains (out, "max rel err"),
            "no table header:\n%s", out);
  NN_CHECK (nn_test_contains (out, "beta=2") && nn_test_contains (out, "threshold=40"),
            "not every setting is in the table:\n%s", out);
  NN_CHECK (nn_test_contains (out, "All 3 checks passed."), "no summary:\n%s", out);
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
      g_autofree char *path = nn_test_env_file ("NN_TEST_CHECK_FIXTURES", bad[i].file);
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int              status = NNRUN (&out, &err, "check-plugin", path);

      NN_CHECK (status == EXIT_FAILED, "%s: exit status %d; stderr:\n%s", bad[i].file, status,
                err);
      NN_CHECK (nn_test_contains (out, bad[i].failed), "%s: no '%s' in:\n%s", bad[i].file,
                bad[i].failed, out);
      NN_CHECK (nn_test_contains (err, "checks failed"), "%s: stderr does not say what failed:\n%s",
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
  g_autofree char *path = nn_test_env_file ("NN_TEST_EXAMPLE_PLUGIN", "swish.so");
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH",
                                          g_getenv ("NN_TEST_PLUGIN_FIXTURES"), TRUE);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "check-plugin",
                                           path, NULL);

  NN_CHECK (status == EXIT_OK, "exit status %d; stderr:\n%s\n%s", status, err, out);
  NN_CHECK (nn_test_contains (out, "swish") && nn_test_contains (out, "beta=2"), "table:\n%s", out);
  NN_CHECK (err != NULL && *err == '\0', "the broken plugins of the path were loaded:\n%s", err);
}

static void
test_check_usage_errors (void)
{
  g_autofree char *abi = nn_test_env_file ("NN_TEST_PLUGIN_FIXTURES", "libfixture-wrong-abi.so");
  g_autofree char *missing = nn_test_env_file ("NN_TEST_CHECK_FIXTURES", "no-such-plugin.so");
  g_autofree char *err1 = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *err3 = NULL;
  g_autofree char *err4 = NULL;
  g_autofree char *err5 = NULL;
  int              status;

  status = NNRUN (NULL, &err1, "check-plugin", abi);
  NN_CHECK (status == EXIT_BAD_INPUT && nn_test_contains (err1, "plugin ABI version"),
            "a refused file: status %d, stderr:\n%s", status, err1);
  status = NNRUN (NULL, &err2, "check-plugin", missing);
  NN_CHECK (status == EXIT_BAD_INPUT && nn_test_contains (err2, "no such file"),
            "a missing file: status %d, stderr:\n%s", status, err2);
  status = NNRUN (NULL, &err3, "check-plugin", "sgd");
  NN_CHECK (status == EXIT_BAD_INPUT && nn_test_contains (err3, "is an optimizer"),
            "an optimizer: status %d, stderr:\n%s", status, err3);
  status = NNRUN (NULL, &err4, "check-plugin", "tahn");
  NN_CHECK (status == EXIT_BAD_INPUT && nn_test_contains (err4, "did you mean 'tanh'?"),
            "a misspelt name: status %d, stderr:\n%s", status, err4);
  status = nn_test_spawn (NULL, NULL, &err5, g_getenv ("NNRUN"), "check-plugin", NULL);
  NN_CHECK (status == EXIT_BAD_INPUT && nn_test_contains (err5, "needs a plugin"),
            "no argument: status %d, stderr:\n%s", status, err5);
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

  return nn_test_run ();
}
