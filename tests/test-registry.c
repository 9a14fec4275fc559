/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One registry for every kind of named class: each kind's names through
 * the same call, the library's built-ins (optimizers, schedules), the
 * built-in plugins and test plugins alike, with one description accessor
 * and one did-you-mean; and nnrun plugins, which lists every kind. */
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

/* For each kind, a name built into the library or shipped as a plugin, and
 * one from a test plugin (NULL where no test plugin has that kind). */
static const struct
{
  NnRegistryKind kind;
  const char    *builtin;
  const char    *from_test_plugin;
  const char    *test_plugin_dir; /* the variable naming its folder */
} expected[] = {
  { NN_REGISTRY_ACTIVATION, "relu", "fixture_square", "NN_TEST_PLUGIN_GOOD" },
  { NN_REGISTRY_LOSS, "huber", NULL, NULL },
  { NN_REGISTRY_OPTIMIZER, "sgd", NULL, NULL },
  { NN_REGISTRY_SCHEDULE, "cosine", "fixture_halving", "NN_TEST_PLUGIN_SCHEDULE" },
  { NN_REGISTRY_LAYER, "activation", NULL, NULL },
};

G_STATIC_ASSERT (G_N_ELEMENTS (expected) == NN_REGISTRY_N_KINDS);

static int
init_suite (void)
{
  g_autoptr(GError) error = NULL;

  if (nn_test_require_env ("NN_TEST_PLUGIN_GOOD", "NN_TEST_PLUGIN_SCHEDULE", "NNRUN", NULL))
    return 1;
  if (!nn_plugins_add_directory (g_getenv ("NN_TEST_PLUGIN_GOOD"), &error) ||
      !nn_plugins_add_directory (g_getenv ("NN_TEST_PLUGIN_SCHEDULE"), &error))
    {
      g_printerr ("adding the test plugins: %s\n", error->message);
      return 1;
    }
  return 0;
}

static int
init_nnrun (void)
{
  return nn_test_require_env ("NN_PLUGIN_PATH", "NN_TEST_PLUGIN_SCHEDULE", "NNRUN", NULL);
}

/* A name of @kind, as every lookup must see it. */
static void
check_name (NnRegistryKind kind,
            const char    *name)
{
  g_autoptr(GError) error = NULL;
  GType          type = nn_registry_lookup (kind, name, &error);
  NnRegistryKind found_kind = NN_REGISTRY_N_KINDS;
  const char    *description;

  NN_ASSERT_NO_ERROR (error);
  NN_CHECK (g_type_is_a (type, nn_registry_kind_get_base_type (kind)),
            "%s '%s' is %s", nn_registry_kind_get_name (kind), name, g_type_name (type));
  NN_CHECK (nn_registry_kind_for_type (type, &found_kind) && found_kind == kind,
            "%s '%s' is of kind %d", nn_registry_kind_get_name (kind), name, found_kind);
  NN_CHECK (g_strcmp0 (nn_registry_get_name (type), name) == 0, "'%s' is registered as '%s'",
            name, nn_registry_get_name (type));
  description = nn_registry_get_description (type);
  NN_CHECK (description != NULL && *description != '\0', "'%s' has no description", name);
}

static void
test_every_kind_lists_builtins_and_plugins (void)
{
  for (gsize e = 0; e < G_N_ELEMENTS (expected); e++)
    {
      NnRegistryKind kind = expected[e].kind;
      g_auto(GStrv) names = nn_registry_list_names (kind);

      CU_ASSERT_PTR_NOT_NULL_FATAL (names);
      NN_CHECK (g_strv_contains ((const char * const *) names, expected[e].builtin),
                "the %s names lack the built-in '%s'", nn_registry_kind_get_name (kind),
                expected[e].builtin);
      if (expected[e].from_test_plugin != NULL)
        NN_CHECK (g_strv_contains ((const char * const *) names, expected[e].from_test_plugin),
                  "the %s names lack '%s' of the test plugin", nn_registry_kind_get_name (kind),
                  expected[e].from_test_plugin);
      for (guint i = 0; names[i] != NULL; i++)
        {
          check_name (kind, names[i]);
          if (names[i + 1] != NULL)
            NN_CHECK (strcmp (names[i], names[i + 1]) < 0, "'%s' before '%s'", names[i],
                      names[i + 1]);
        }
    }
}

/* The kinds of layer are names of the one registry, as activations are. */
static void
test_layer_kinds (void)
{
  g_auto(GStrv) names = nn_registry_list_names (NN_REGISTRY_LAYER);

  CU_ASSERT_PTR_NOT_NULL_FATAL (names);
  NN_CHECK (g_strv_contains ((const char * const *) names, "dense") &&
              g_strv_contains ((const char * const *) names, "activation"),
            "the layer kinds are not listed");
  CU_ASSERT_EQUAL (nn_registry_lookup (NN_REGISTRY_LAYER, "dense", NULL), NN_TYPE_DENSE_LAYER);
  CU_ASSERT_EQUAL (nn_registry_lookup (NN_REGISTRY_LAYER, "activation", NULL),
                   NN_TYPE_ACTIVATION_LAYER);
  NN_CHECK (g_str_equal (nn_plugins_get_file_for_type (NN_TYPE_DENSE_LAYER), "(built-in)"),
            "dense comes from %s", nn_plugins_get_file_for_type (NN_TYPE_DENSE_LAYER));
  CU_ASSERT_STRING_EQUAL (nn_registry_kind_get_extension_point (NN_REGISTRY_LAYER),
                          NN_LAYER_EXTENSION_POINT_NAME);
}

/* Where each name comes from: the library, its plugin folder, a test folder. */
static void
test_names_know_their_files (void)
{
  for (gsize e = 0; e < G_N_ELEMENTS (expected); e++)
    {
      GType       builtin = nn_registry_lookup (expected[e].kind, expected[e].builtin, NULL);
      const char *file = nn_plugins_get_file_for_type (builtin);

      NN_CHECK (file != NULL, "'%s' comes from no file", expected[e].builtin);
      if (expected[e].from_test_plugin != NULL)
        {
          GType       type = nn_registry_lookup (expected[e].kind, expected[e].from_test_plugin, NULL);
          const char *dir = g_getenv (expected[e].test_plugin_dir);

          NN_CHECK (g_str_has_prefix (nn_plugins_get_file_for_type (type), dir),
                    "'%s' comes from %s, not from %s", expected[e].from_test_plugin,
                    nn_plugins_get_file_for_type (type), dir);
        }
    }
  NN_CHECK (g_str_equal (nn_plugins_get_file_for_type (NN_TYPE_SGD_OPTIMIZER), "(built-in)"),
            "sgd comes from %s", nn_plugins_get_file_for_type (NN_TYPE_SGD_OPTIMIZER));
  NN_CHECK (g_str_equal (nn_plugins_get_file_for_type (NN_TYPE_STEP_SCHEDULE), "(built-in)"),
            "step comes from %s", nn_plugins_get_file_for_type (NN_TYPE_STEP_SCHEDULE));
}

/* A built-in registers its name in its own type definition: on GIO's
 * extension point, where a plugin's class registers too. */
static void
test_builtins_are_extensions (void)
{
  GIOExtensionPoint *ep = g_io_extension_point_lookup (NN_SCHEDULE_EXTENSION_POINT_NAME);
  GIOExtension      *cosine = ep ? g_io_extension_point_get_extension_by_name (ep, "cosine") : NULL;
  GIOExtension      *halving = NULL;

  NN_CHECK (cosine != NULL && g_io_extension_get_type (cosine) == NN_TYPE_COSINE_SCHEDULE,
            "'cosine' is not an extension of %s", NN_SCHEDULE_EXTENSION_POINT_NAME);
  /* Loaded on demand, as a name of its record. */
  NN_CHECK (nn_registry_lookup (NN_REGISTRY_SCHEDULE, "fixture_halving", NULL) != G_TYPE_INVALID,
            "no 'fixture_halving'");
  halving = ep ? g_io_extension_point_get_extension_by_name (ep, "fixture_halving") : NULL;
  NN_CHECK (halving != NULL, "the plugin's schedule is not an extension");
  NN_CHECK (g_io_extension_point_get_required_type (ep) == NN_TYPE_SCHEDULE,
            "the schedules' extension point requires %s",
            g_type_name (g_io_extension_point_get_required_type (ep)));
}

static void
test_kinds (void)
{
  for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
    {
      NnRegistryKind   back = NN_REGISTRY_N_KINDS;
      const char      *point = nn_registry_kind_get_extension_point (k);
      g_autofree char *nn_name = g_strconcat ("nn-", nn_registry_kind_get_name (k), NULL);

      NN_CHECK (nn_registry_kind_for_extension_point (point, &back) && back == k,
                "%s does not map back to its kind", point);
      NN_CHECK (g_str_equal (point, nn_name), "kind '%s' has the extension point %s",
                nn_registry_kind_get_name (k), point);
      NN_CHECK (g_ascii_isupper (nn_registry_kind_get_title (k)[0]), "title '%s'",
                nn_registry_kind_get_title (k));
    }
  CU_ASSERT_FALSE (nn_registry_kind_for_extension_point ("nn-network", &(NnRegistryKind){ 0 }));
  CU_ASSERT_FALSE (nn_registry_kind_for_type (G_TYPE_OBJECT, &(NnRegistryKind){ 0 }));
  CU_ASSERT_PTR_NULL (nn_registry_get_description (G_TYPE_OBJECT));
}

/* One accessor reads the description every kind's class holds. */
static void
test_descriptions (void)
{
  GType halving = nn_registry_lookup (NN_REGISTRY_SCHEDULE, "fixture_halving", NULL);
  g_autoptr(NnScheduleClass) cosine = g_type_class_ref (NN_TYPE_COSINE_SCHEDULE);
  g_autoptr(NnOptimizerClass) sgd = g_type_class_ref (NN_TYPE_SGD_OPTIMIZER);

  CU_ASSERT_STRING_EQUAL (nn_registry_get_description (NN_TYPE_COSINE_SCHEDULE),
                          cosine->description);
  CU_ASSERT_STRING_EQUAL (nn_registry_get_description (NN_TYPE_SGD_OPTIMIZER),
                          sgd->description);
  CU_ASSERT_STRING_EQUAL (nn_registry_get_description (halving),
                          "Test fixture: the rate times factor every epoch");
  CU_ASSERT_STRING_EQUAL (nn_registry_get_description (
                            nn_registry_lookup (NN_REGISTRY_ACTIVATION, "fixture_square", NULL)),
                          "Test fixture: z squared");
}

/* A plugin's schedule is made and used by name as a built-in one is. */
static void
test_plugin_schedule_by_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnSchedule) halving = nn_schedule_new_by_name ("fixture_halving", &error);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (halving);
  CU_ASSERT_STRING_EQUAL (nn_schedule_get_name (halving), "fixture_halving");
  NN_ASSERT_CMPFLOAT (nn_schedule_get_learning_rate (halving, 0.8, 2), 0.2, 1e-12, 0);
}

static void
test_did_you_mean (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) any_error = NULL;
  g_autofree GType *step = NULL;
  g_autofree GType *none = NULL;
  guint             n = 0;

  CU_ASSERT_EQUAL (nn_registry_lookup (NN_REGISTRY_SCHEDULE, "fixture_halvign", &error),
                   G_TYPE_INVALID);
  NN_ASSERT_ERROR (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND);
  if (error != NULL)
    NN_CHECK (strstr (error->message, "unknown schedule 'fixture_halvign'; did you mean "
                                      "'fixture_halving'?") != NULL &&
                strstr (error->message, "'cosine'") != NULL,
              "%s", error->message);

  step = nn_registry_lookup_any ("step", &n, NULL);
  NN_CHECK (step != NULL && n == 1 && step[0] == NN_TYPE_STEP_SCHEDULE && step[1] == 0,
            "'step' of any kind: %u types", n);
  none = nn_registry_lookup_any ("fixture_sqaure", &n, &any_error);
  CU_ASSERT_PTR_NULL (none);
  CU_ASSERT_EQUAL (n, 0);
  NN_ASSERT_ERROR (any_error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND);
  if (any_error != NULL)
    NN_CHECK (g_str_equal (any_error->message,
                           "no activation, loss, optimizer, schedule or layer named "
                           "'fixture_sqaure'; "
                           "did you mean 'fixture_square'?"),
              "%s", any_error->message);
}

/* nnrun */

static char **
environment_with_test_plugins (void)
{
  g_autofree char *path = g_strjoin (G_SEARCHPATH_SEPARATOR_S, g_getenv ("NN_PLUGIN_PATH"),
                                     g_getenv ("NN_TEST_PLUGIN_SCHEDULE"), NULL);

  return g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH", path, TRUE);
}

static void
test_nnrun_lists_schedules (void)
{
  g_auto(GStrv) envp = environment_with_test_plugins ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *halving_file = g_build_filename (g_getenv ("NN_TEST_PLUGIN_SCHEDULE"),
                                                    "libfixture-halving.so", NULL);
  int              status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "plugins", NULL);
  const char      *optimizers = out ? strstr (out, "Optimizers:\n") : NULL;
  const char      *schedules = out ? strstr (out, "Schedules:\n") : NULL;
  const char      *folders = out ? strstr (out, "Plugin folders") : NULL;

  NN_ASSERT_STATUS (status, 0, err);
  NN_CHECK (optimizers && schedules && folders && optimizers < schedules && schedules < folders,
            "no section of schedules after the optimizers:\n%s", out);
  if (schedules == NULL)
    return;
  NN_CHECK (strstr (schedules, "  cosine ") && strstr (schedules, "Cosine annealing"),
            "the built-in cosine is not listed:\n%s", schedules);
  NN_CHECK (strstr (schedules, "  fixture_halving ") && strstr (schedules, halving_file),
            "the plugin's schedule is not listed with its file:\n%s", schedules);
}

static void
test_nnrun_lists_layers (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *err2 = NULL;
  int              status = nn_test_spawn (NULL, &out, &err, g_getenv ("NNRUN"), "plugins", NULL);
  int              status2 = nn_test_spawn (NULL, &out2, &err2, g_getenv ("NNRUN"), "plugins",
                                            "activation", NULL);
  const char      *layers = out ? strstr (out, "Layers:\n") : NULL;
  const char      *folders = out ? strstr (out, "Plugin folders") : NULL;

  NN_ASSERT_STATUS (status, 0, err);
  NN_CHECK (layers && folders && layers < folders, "no section of layers:\n%s", out);
  if (layers == NULL)
    return;
  NN_CHECK (strstr (layers, "  dense ") && strstr (layers, "  activation ") &&
              strstr (layers, "Fully connected"),
            "the built-in layer kinds are not listed:\n%s", layers);
  NN_ASSERT_STATUS (status2, 0, err2);
  NN_ASSERT_CONTAINS (out2, "activation (layer)");
  NN_ASSERT_CONTAINS (out2, "      - {type: activation, activation: relu}\n");
}

/* The entry `nnrun plugins KIND` shows for each kind of layer is one an
 * experiment file takes, and it lists only what a file sets. */
static void
test_layer_examples_validate (void)
{
  static const char * const kinds[] = { "dense", "activation", "dropout", "batch_norm" };
  g_autofree char          *dir = nn_test_new_dir ();

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autofree char *entry = NULL;
      g_autofree char *text = NULL;
      g_autofree char *path = NULL;
      const char      *start, *end;
      int              status = nn_test_spawn (NULL, &out, &err, g_getenv ("NNRUN"), "plugins",
                                               kinds[k], NULL);

      NN_ASSERT_STATUS (status, 0, err);
      start = out ? strstr (out, "    layers:\n      - ") : NULL;
      NN_CHECK (start != NULL, "no layer entry for %s:\n%s", kinds[k], out);
      if (start == NULL)
        continue;
      NN_CHECK (strstr (out, "n_inputs") == NULL, "%s lists its input width:\n%s", kinds[k], out);
      start += strlen ("    layers:\n      ");
      end = strchr (start, '\n');
      entry = g_strndup (start, end ? (gsize) (end - start) : strlen (start));
      text = g_strdup_printf ("data: {source: iris}\n"
                              "model:\n"
                              "  layers:\n"
                              "    - {units: 8, activation: relu}\n"
                              "    %s\n"
                              "    - {units: 3, activation: softmax}\n",
                              entry);
      path = nn_test_write_file (dir, "example.yaml", text);
      g_clear_pointer (&err, g_free);
      status = nn_test_nnrun (NULL, &err, "validate", path, NULL);
      NN_CHECK (status == 0, "the %s entry `%s` does not validate: %s", kinds[k], entry, err);
    }
}

static void
test_nnrun_describes_schedule (void)
{
  g_auto(GStrv) envp = environment_with_test_plugins ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *err2 = NULL;
  int              status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "plugins", "cosine", NULL);
  int              status2 = nn_test_spawn (envp, &out2, &err2, g_getenv ("NNRUN"), "plugins",
                                            "fixture_halving", NULL);

  NN_ASSERT_STATUS (status, 0, err);
  NN_ASSERT_CONTAINS (out, "cosine (schedule)");
  NN_ASSERT_CONTAINS (out, "t_max  ");
  NN_ASSERT_CONTAINS (out, "  train:\n    schedule:\n      name: cosine\n");
  NN_ASSERT_STATUS (status2, 0, err2);
  NN_ASSERT_CONTAINS (out2, "fixture_halving (schedule)");
  NN_ASSERT_CONTAINS (out2, "  factor               number, default 0.5, from 0 to 1\n");
}

/* check-plugin checks activations, losses and optimizers: a schedule is
 * refused with its kind named. */
static void
test_check_plugin_refuses_schedules (void)
{
  g_auto(GStrv) envp = environment_with_test_plugins ();
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *file = g_build_filename (g_getenv ("NN_TEST_PLUGIN_SCHEDULE"),
                                            "libfixture-halving.so", NULL);
  int              status = nn_test_spawn (envp, NULL, &err, g_getenv ("NNRUN"), "check-plugin",
                                           "fixture_halving", NULL);
  int              status2 = nn_test_spawn (envp, NULL, &err2, g_getenv ("NNRUN"), "check-plugin", file,
                                            NULL);

  NN_ASSERT_STATUS (status, 2, err);
  NN_ASSERT_CONTAINS (err, "'fixture_halving' is a schedule");
  NN_ASSERT_STATUS (status2, 2, err2);
  NN_ASSERT_CONTAINS (err2, "registers no activation, loss, optimizer or layer kind to check");
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return CU_get_error ();

  suite = CU_add_suite ("One registry for every kind", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "every kind lists its built-ins and its test plugins' names through "
                      "one call",
               test_every_kind_lists_builtins_and_plugins);
  CU_add_test (suite, "every name knows the file it comes from", test_names_know_their_files);
  CU_add_test (suite, "the kinds of layer are names of the registry", test_layer_kinds);
  CU_add_test (suite, "built-in and plugin schedules are extensions of nn-schedule",
               test_builtins_are_extensions);
  CU_add_test (suite, "kinds map to and from their extension points and types", test_kinds);
  CU_add_test (suite, "one accessor reads the description of every kind", test_descriptions);
  CU_add_test (suite, "a plugin's schedule is made by name", test_plugin_schedule_by_name);
  CU_add_test (suite, "an unknown name of one kind or of any gets a did-you-mean",
               test_did_you_mean);

  suite = CU_add_suite ("nnrun and every kind", init_nnrun, nn_test_remove_scratch);
  CU_add_test (suite, "nnrun plugins lists the schedules, built-in and from plugins",
               test_nnrun_lists_schedules);
  CU_add_test (suite, "nnrun plugins NAME describes a schedule", test_nnrun_describes_schedule);
  CU_add_test (suite, "nnrun plugins lists the kinds of layer", test_nnrun_lists_layers);
  CU_add_test (suite, "the layer entry nnrun plugins shows for each kind validates",
               test_layer_examples_validate);
  CU_add_test (suite, "check-plugin refuses a schedule, by name or by file",
               test_check_plugin_refuses_schedules);

  return nn_test_run ();
}
