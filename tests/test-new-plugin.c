/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing plugins from a skeleton: `nnrun new-plugin` run as a user would,
 * its activations, losses and optimizers built with the guide's command and
 * checked; and experiments that name a plugin from their plugins: folder,
 * from NN_PLUGIN_PATH, or one that a refused file may provide. */
#include <string.h>
#include <sys/wait.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_BAD_INPUT = 2,
};

#define NNRUN(out, err, ...) nn_test_nnrun ((out), (err), __VA_ARGS__, NULL)

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", "NN_PLUGIN_PATH", "NN_TEST_EXAMPLE_PLUGIN",
                              "NN_TEST_PLUGIN_FIXTURES", "NN_TEST_CC", "NN_TEST_PKG_CONFIG_PATH",
                              NULL) ||
         nn_test_init_plugins ();
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
              nn_test_contains (meson, "get_variable(pkgconfig: 'plugindir')"),
            "no meson.build installing into the plugin folder: %s", build);
  NN_CHECK (nn_test_contains (out, "pkg-config --cflags --libs nncore"), "no build command:\n%s",
            out);

  status = nn_test_build_plugin (source, library, &cc_err);
  NN_CHECK (status == EXIT_OK, "the generated %s does not compile (status %d):\n%s", kind,
            status, cc_err);
  if (status != EXIT_OK)
    return;

  status = NNRUN (&check_out, &check_err, "check-plugin", library);
  NN_CHECK (status == EXIT_OK, "the generated %s fails check-plugin (status %d):\n%s\n%s", kind,
            status, check_out, check_err);
  NN_CHECK (nn_test_contains (check_out, setting), "the parameter was not varied:\n%s", check_out);
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
  NN_CHECK (status == EXIT_BAD_INPUT && nn_test_contains (err, "already exists"),
            "a second new-plugin: status %d, stderr:\n%s", status, err);
  NN_CHECK (g_file_get_contents (source, &after, NULL, NULL) && g_str_equal (after, "edited"),
            "the user's file was overwritten");

  status = NNRUN (NULL, &err2, "new-plugin", "activation", "My-Act", dir);
  NN_CHECK (status == EXIT_BAD_INPUT && nn_test_contains (err2, "cannot name a plugin"),
            "a bad name: status %d, stderr:\n%s", status, err2);
  status = NNRUN (NULL, &err3, "new-plugin", "metric", "mine", dir);
  NN_CHECK (status == EXIT_BAD_INPUT && nn_test_contains (err3,
                                                          "'activation', 'loss', 'optimizer' or "
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
  NN_CHECK (nn_test_contains (code, want), "the arguments of %s are not aligned:\n%s", head, code);
  NN_CHECK (nn_test_contains (code,
                              "\n                                NN_TYPE_LOSS, G_TYPE_FLAG_FINAL,\n"),
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
              nn_test_contains (meson, "shared_module('first_act', 'first_act.c'") &&
              nn_test_contains (meson, "shared_module('second_loss', 'second_loss.c'"),
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
  NN_CHECK (nn_test_contains (out, "optimizer: {name: my_opt"), "no YAML line:\n%s", out);
  status = nn_test_build_plugin (source, library, &cc_err);
  NN_CHECK (status == EXIT_OK, "the generated optimizer does not compile:\n%s", cc_err);
  if (status != EXIT_OK)
    return;

  status = NNRUN (&check_out, &check_err, "check-plugin", library);
  NN_CHECK (status == EXIT_OK, "the optimizer fails check-plugin (status %d):\n%s\n%s", status,
            check_out, check_err);
  NN_CHECK (nn_test_contains (check_out, "my_opt  optimizer  default") &&
              nn_test_contains (check_out, "momentum=0.45"),
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
  NN_CHECK (nn_test_contains (out, "FAIL lossy_opt (default): resumed from the state it saved"),
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
  NN_CHECK (nn_test_contains (err, where) && nn_test_contains (err, "beta"),
            "no error at line 8:\n%s", err);
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
  g_autofree char *scalar = nn_test_env_file ("NN_TEST_PLUGIN_FIXTURES",
                                              "libfixture-wrong-scalar.so");
  g_autofree char *err = NULL;
  int              status = NNRUN (NULL, &err, "train", experiment);

  NN_CHECK (status == EXIT_BAD_INPUT, "exit status %d; stderr:\n%s", status, err);
  NN_CHECK (nn_test_contains (err, where) &&
              nn_test_contains (err, "unknown activation 'fixture_wrong_scalar'"),
            "no config error at line 8:\n%s", err);
  NN_CHECK (nn_test_contains (err,
                              "could not be loaded and may provide it") &&
              nn_test_contains (err, scalar),
            "the error does not point at the refused file:\n%s", err);
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

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
