/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun plugins and check-plugin: listing and checking plugins. */
#include <string.h>

#include <nn.h>

#include "nnrun-commands.h"

/* Loads every plugin, each first in a child process, so that the others
 * are still listed or checked when one crashes; with @warn, reports the
 * files that failed on stderr, as the other commands do (`plugins` lists
 * them itself). */
static void
load_plugins (gboolean warn)
{
  g_autoptr(GError) error = NULL;

  if (!nnrun_load_plugins (warn, &error))
    g_printerr ("nnrun: warning: %s\n", error->message);
}

static const char *
description_of (GType type)
{
  const char *description = nn_registry_get_description (type);

  return description ? description : "(no description)";
}

/* The classes of any kind named @name, or NULL after saying there is none. */
static GType *
lookup_any (const char *name,
            guint      *n_types)
{
  g_autoptr(GError) error = NULL;
  GType *types = nn_registry_lookup_any (name, n_types, &error);

  if (types == NULL)
    g_printerr ("nnrun: %s (nnrun plugins lists them all)\n", error->message);
  return types;
}

/* nnrun plugins */

/* Where an experiment file names a class of each kind. */
typedef struct
{
  const char *parents; /* the lines above, as in an experiment file */
  const char *key;     /* NULL for an activation, which a layer names, or a layer */
  int         indent;
} Place;

static const Place places[NN_REGISTRY_N_KINDS] = {
  [NN_REGISTRY_ACTIVATION] = { "  model:\n    layers:\n", NULL, 6 },
  [NN_REGISTRY_LOSS] = { "", "loss", 2 },
  [NN_REGISTRY_OPTIMIZER] = { "", "optimizer", 2 },
  [NN_REGISTRY_SCHEDULE] = { "  train:\n", "schedule", 4 },
  [NN_REGISTRY_LAYER] = { "  model:\n    layers:\n", NULL, 6 },
};

/* Whether an experiment file sets @pspec: a layer's input width comes from
 * the layer before it, or the data. */
static gboolean
is_file_key (GParamSpec *pspec)
{
  return g_type_is_a (pspec->owner_type, NN_TYPE_LAYER) ? !g_str_equal (pspec->name, "n-inputs")
                                                        : TRUE;
}

/* A dense layer's l1 and l2 are written under `regularizer:`. */
static gboolean
is_regularizer (GParamSpec *pspec)
{
  return g_type_is_a (pspec->owner_type, NN_TYPE_LAYER) &&
         (g_str_equal (pspec->name, "l1") || g_str_equal (pspec->name, "l2"));
}

/* The key that sets @pspec, as an experiment file writes it. */
static char *
file_key (GParamSpec *pspec)
{
  g_autofree char *key = nn_param_spec_get_key (pspec);

  return is_regularizer (pspec) ? g_strconcat ("regularizer.", key, NULL) : g_steal_pointer (&key);
}

/* A layer of kind @name as model.layers lists it: its type and every
 * property the file may set, an activation named. */
static void
print_layer_example (const Place *place,
                     const char  *name,
                     GParamSpec **pspecs,
                     guint        n_pspecs)
{
  g_autoptr(GString) line = g_string_new (NULL);
  g_autoptr(GString) regularizer = g_string_new (NULL);

  g_string_append_printf (line, "{type: %s", name);
  for (guint i = 0; i < n_pspecs; i++)
    {
      GParamSpec      *pspec = pspecs[i];
      g_autofree char *key = nn_param_spec_get_key (pspec);
      g_autofree char *text = NULL;

      if (!(pspec->flags & G_PARAM_WRITABLE) || !is_file_key (pspec))
        continue;
      if (g_type_is_a (G_PARAM_SPEC_VALUE_TYPE (pspec), NN_TYPE_ACTIVATION))
        text = g_strdup ("relu");
      else if (G_IS_PARAM_SPEC_UINT (pspec) && g_str_equal (pspec->name, "units"))
        text = g_strdup ("16");
      else
        text = nn_param_value_to_string (g_param_spec_get_default_value (pspec));
      if (is_regularizer (pspec))
        g_string_append_printf (regularizer, "%s%s: %s", regularizer->len ? ", " : "", key, text);
      else
        g_string_append_printf (line, ", %s: %s", key, text);
    }
  if (regularizer->len > 0)
    g_string_append_printf (line, ", regularizer: {%s}", regularizer->str);
  g_print ("%*s- %s}\n", place->indent, "", line->str);
}

static void
print_example (NnRegistryKind kind,
               const char    *name,
               GParamSpec   **pspecs,
               guint          n_pspecs)
{
  const Place *place = &places[kind];
  g_autoptr(GPtrArray) settings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) value = g_string_new (name);

  /* A kind an experiment file cannot name yet has no example. */
  if (place->parents == NULL)
    return;
  if (kind == NN_REGISTRY_LAYER)
    {
      g_print ("\nIn an experiment file:\n%s", place->parents);
      print_layer_example (place, name, pspecs, n_pspecs);
      return;
    }

  /* "key: default" for every parameter the file may set. */
  for (guint i = 0; i < n_pspecs; i++)
    if (pspecs[i]->flags & G_PARAM_WRITABLE)
      {
        g_autofree char *key = nn_param_spec_get_key (pspecs[i]);
        g_autofree char *text = nn_param_value_to_string (
          g_param_spec_get_default_value (pspecs[i]));

        g_ptr_array_add (settings, g_strdup_printf ("%s: %s", key, text));
      }
  if (settings->len > 0)
    {
      g_string_prepend (value, "{name: ");
      for (guint i = 0; i < settings->len; i++)
        g_string_append_printf (value, ", %s", (char *) settings->pdata[i]);
      g_string_append (value, "}");
    }

  g_print ("\nIn an experiment file:\n%s", place->parents);
  if (place->key == NULL)
    g_print ("%*s- {units: 16, activation: %s}\n", place->indent, "", value->str);
  else if (settings->len <= 2)
    g_print ("%*s%s: %s\n", place->indent, "", place->key, value->str);
  else
    {
      /* One line per parameter, as a long list reads better. */
      g_print ("%*s%s:\n%*sname: %s\n", place->indent, "", place->key, place->indent + 2, "",
               name);
      for (guint i = 0; i < settings->len; i++)
        g_print ("%*s%s\n", place->indent + 2, "", (char *) settings->pdata[i]);
    }
}

static void
print_details (GType type)
{
  const char             *name = nn_registry_get_name (type);
  const char             *version = nn_plugins_get_version_for_type (type);
  g_autofree GParamSpec **pspecs = NULL;
  NnRegistryKind          kind;
  guint                   n_pspecs = 0;
  int                     width = 0;

  if (!nn_registry_kind_for_type (type, &kind))
    g_return_if_reached ();
  g_print ("%s (%s)\n", name, nn_registry_kind_get_name (kind));
  g_print ("  %s\n", description_of (type));
  g_print ("  file:    %s\n", nn_plugins_get_file_for_type (type));
  g_print ("  version: %s\n", version ? version : "(none recorded)");
  g_print ("  class:   %s\n", g_type_name (type));

  pspecs = nn_param_specs_list (type, &n_pspecs);
  /* Only what a file may set. */
  for (guint i = 0; i < n_pspecs;)
    if (is_file_key (pspecs[i]))
      i++;
    else
      memmove (pspecs + i, pspecs + i + 1, (--n_pspecs - i) * sizeof *pspecs);
  g_print ("\nParameters:\n");
  if (n_pspecs == 0)
    g_print ("  none\n");
  for (guint i = 0; i < n_pspecs; i++)
    {
      g_autofree char *key = file_key (pspecs[i]);

      width = MAX (width, (int) strlen (key));
    }
  for (guint i = 0; i < n_pspecs; i++)
    {
      GParamSpec      *pspec = pspecs[i];
      g_autofree char *key = file_key (pspec);
      g_autofree char *def = nn_param_value_to_string (g_param_spec_get_default_value (pspec));
      g_autofree char *range = nn_param_spec_describe_range (pspec);
      const char      *blurb = g_param_spec_get_blurb (pspec);

      g_print ("  %-*s  %s, default %s%s%s%s\n", width, key, nn_param_spec_get_type_word (pspec), def,
               range ? ", " : "", range ? range : "",
               (pspec->flags & G_PARAM_WRITABLE) ? "" : " (read-only)");
      if (blurb != NULL && *blurb != '\0')
        g_print ("  %-*s  %s\n", width, "", blurb);
    }
  print_example (kind, name, pspecs, n_pspecs);
}

static void
print_listing (void)
{
  g_autoptr(GPtrArray) failures = nn_plugins_get_load_errors ();
  const char *env = g_getenv ("NN_PLUGIN_PATH");
  GStrv       names[NN_REGISTRY_N_KINDS];
  int         name_width = 0, description_width = 0;

  for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
    {
      names[k] = nn_registry_list_names (k);
      for (gsize i = 0; names[k][i] != NULL; i++)
        {
          GType type = nn_registry_lookup (k, names[k][i], NULL);

          name_width = MAX (name_width, (int) strlen (names[k][i]));
          description_width = MAX (description_width,
                                   (int) g_utf8_strlen (description_of (type), -1));
        }
    }

  for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
    {
      g_print ("%s%s:\n", k > 0 ? "\n" : "", nn_registry_kind_get_title (k));
      if (names[k][0] == NULL)
        g_print ("  none\n");
      for (gsize i = 0; names[k][i] != NULL; i++)
        {
          GType       type = nn_registry_lookup (k, names[k][i], NULL);
          const char *description = description_of (type);
          /* printf pads bytes; pad characters, for descriptions like "z²". */
          int         pad = description_width - (int) g_utf8_strlen (description, -1);
          const char *file = nn_plugins_get_file_for_type (type);

          /* The library's own say "(built-in)" already. */
          g_print (file[0] == '(' ? "  %-*s  %s%*s  %s\n" : "  %-*s  %s%*s  (%s)\n",
                   name_width, names[k][i], description, pad, "", file);
        }
      g_strfreev (names[k]);
    }

  if (failures->len > 0)
    {
      g_print ("\nPlugin files that could not be loaded:\n");
      for (guint i = 0; i < failures->len; i++)
        g_print ("  %s\n", ((GError *) failures->pdata[i])->message);
    }

  g_print ("\nPlugin folders, in search order:\n");
  if (env != NULL && *env != '\0')
    {
      g_auto(GStrv) dirs = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);

      for (gsize i = 0; dirs[i] != NULL; i++)
        if (*dirs[i] != '\0')
          g_print ("  %s (NN_PLUGIN_PATH%s)\n", dirs[i],
                   g_path_is_absolute (dirs[i]) ? "" : "; ignored: not an absolute path");
    }
  g_print ("  %s\n", nn_plugins_get_system_directory ());
}

int
nnrun_cmd_plugins (int    argc,
                   char **argv)
{
  static const char summary[] =
    "Without NAME: every activation, loss, optimizer, schedule and layer kind, with\n"
    "its description and the file it comes from, and every plugin file that could\n"
    "not be loaded, with the reason. With NAME: its description, its parameters (type,\n"
    "default, allowed values) and how an experiment file names it.";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  g_autofree GType  *types = NULL;
  guint              n_types = 0;

  context = g_option_context_new ("[NAME] - list the plugins, or describe one");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc > 2)
    return nnrun_usage_error (context, "plugins takes at most one NAME");

  nn_plugins_set_probe_in_child (TRUE);
  load_plugins (argc == 2);
  if (argc == 1)
    {
      print_listing ();
      return EXIT_OK;
    }

  types = lookup_any (argv[1], &n_types);
  if (types == NULL)
    return EXIT_BAD_INPUT;
  for (guint i = 0; i < n_types; i++)
    {
      if (i > 0)
        g_print ("\n");
      print_details (types[i]);
    }
  return EXIT_OK;
}

/* nnrun check-plugin */

static gboolean
looks_like_file (const char *arg)
{
  return strchr (arg, G_DIR_SEPARATOR) != NULL || g_str_has_suffix (arg, "." G_MODULE_SUFFIX);
}

/* Whether check-plugin has a check for @type: derivatives for activations,
 * losses and layer kinds, steps on a quadratic for optimizers. */
static gboolean
is_checkable (GType type)
{
  return g_type_is_a (type, NN_TYPE_ACTIVATION) || g_type_is_a (type, NN_TYPE_LOSS) ||
         g_type_is_a (type, NN_TYPE_OPTIMIZER) || g_type_is_a (type, NN_TYPE_LAYER);
}

static gboolean
is_builtin (GType type)
{
  return g_str_equal (nn_plugins_get_file_for_type (type), "(built-in)");
}

/* Adds the checkable types of the file at @arg to @types. */
static int
collect_file_types (const char *arg,
                    GArray     *types)
{
  /* Absolute: dlopen() looks for a bare "x.so" in the library path, not in
   * the current folder. */
  g_autofree char *path = g_canonicalize_filename (arg, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree GType *file_types = NULL;
  guint             n_types = 0, n_before = types->len;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_printerr ("nnrun: %s: no such file\n", arg);
      return EXIT_BAD_INPUT;
    }
  /* That file alone: what the search path holds is not under test. */
  if (!nn_plugins_load_file (path, &error))
    {
      g_printerr ("nnrun: cannot load the plugin: %s\n", error->message);
      return EXIT_BAD_INPUT;
    }
  file_types = nn_plugins_get_types_for_file (path, &n_types);
  for (guint i = 0; i < n_types; i++)
    if (is_checkable (file_types[i]))
      g_array_append_val (types, file_types[i]);
  if (types->len == n_before)
    {
      g_printerr ("nnrun: %s registers no activation, loss, optimizer or layer kind to "
                  "check\n",
                  arg);
      return EXIT_BAD_INPUT;
    }
  return EXIT_OK;
}

/* Adds the checkable types of @arg, a file or a name, to @types. */
static int
collect_types (const char *arg,
               GArray     *types,
               gboolean   *loaded_all)
{
  g_autofree GType *named = NULL;
  GType             refused = G_TYPE_INVALID;
  NnRegistryKind    kind = NN_REGISTRY_ACTIVATION;
  const char       *kind_name;
  guint             n_named = 0, n_before = types->len;

  if (looks_like_file (arg))
    return collect_file_types (arg, types);

  if (!*loaded_all)
    {
      load_plugins (TRUE);
      *loaded_all = TRUE;
    }
  named = lookup_any (arg, &n_named);
  if (named == NULL)
    return EXIT_BAD_INPUT;
  for (guint i = 0; i < n_named; i++)
    if (is_checkable (named[i]) && !is_builtin (named[i]))
      g_array_append_val (types, named[i]);
    else if (refused == G_TYPE_INVALID)
      refused = named[i];
  if (types->len > n_before)
    return EXIT_OK;

  nn_registry_kind_for_type (refused, &kind);
  kind_name = nn_registry_kind_get_name (kind);
  /* The library's own optimizers and schedules are not plugins. */
  if (is_builtin (refused))
    g_printerr ("nnrun: '%s' is %s %s built into nn, not a plugin; check-plugin checks "
                "plugins\n",
                arg, strchr ("aeiou", kind_name[0]) ? "an" : "a", kind_name);
  else
    g_printerr ("nnrun: '%s' is a %s; check-plugin checks activations, losses, optimizers "
                "and layer kinds\n",
                arg, kind_name);
  return EXIT_BAD_INPUT;
}

static char *
format_error (double e)
{
  return e == 0 ? g_strdup ("0") : g_strdup_printf ("%.1e", e);
}

static void
print_table (GPtrArray *results)
{
  static const char * const headers[] = {
    "class", "kind", "setting", "domain", "points", "kinks", "max abs err", "max rel err",
    "result"
  };
  enum { N_COLUMNS = G_N_ELEMENTS (headers) };
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  int width[N_COLUMNS] = { 0 };

  for (guint i = 0; i < results->len; i++)
    {
      NnPluginCheckResult *r = results->pdata[i];
      char               **row = g_new0 (char *, N_COLUMNS + 1);

      row[0] = g_strdup (r->name);
      row[1] = g_strdup (r->kind);
      row[2] = g_strdup (r->setting);
      row[3] = g_strdup (r->domain);
      row[4] = g_strdup_printf ("%u", r->n_points);
      row[5] = g_strdup_printf ("%u", r->n_kinks);
      row[6] = format_error (r->max_abs_error);
      row[7] = format_error (r->max_rel_error);
      row[8] = g_strdup (r->passed ? "pass" : "FAIL");
      g_ptr_array_add (rows, row);
    }
  for (int c = 0; c < N_COLUMNS; c++)
    {
      width[c] = strlen (headers[c]);
      for (guint i = 0; i < rows->len; i++)
        width[c] = MAX (width[c], (int) strlen (((char **) rows->pdata[i])[c]));
    }

  /* Text columns flush left, numbers flush right, the last one unpadded. */
  for (guint i = 0; i <= rows->len; i++)
    {
      const char * const *row = i == 0 ? headers : rows->pdata[i - 1];

      for (int c = 0; c < N_COLUMNS - 1; c++)
        g_print (c >= 4 ? "%*s  " : "%-*s  ", width[c], row[c]);
      g_print ("%s\n", row[N_COLUMNS - 1]);
    }
}

/* Adds every checkable plugin of the search path to @types. */
static void
collect_every_plugin (GArray *types)
{
  load_plugins (TRUE);
  for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
    {
      g_auto(GStrv) names = nn_registry_list_names (k);

      for (gsize i = 0; names[i] != NULL; i++)
        {
          GType type = nn_registry_lookup (k, names[i], NULL);

          if (is_checkable (type) && !is_builtin (type))
            g_array_append_val (types, type);
        }
    }
}

/* Prints what was checked, the table and what failed; returns the exit
 * status. */
static int
print_results (GPtrArray *results,
               gboolean   derivatives,
               gboolean   optimizers)
{
  g_autoptr(GString) failed = g_string_new (NULL);
  guint n_failed = 0;

  if (derivatives)
    g_print ("Derivatives against central finite differences, %s build: a point passes "
             "within %g relative\n+ %g absolute + the rounding of the function.\n",
             NN_REAL_NAME, NN_PLUGIN_CHECK_RTOL, NN_PLUGIN_CHECK_ATOL);
  if (optimizers)
    g_print ("Optimizers: %d steps on a convex quadratic, the loss must fall; a run resumed "
             "from the\nsaved state after step %d must end where the whole run ends (its "
             "largest difference\nis the max abs err).\n",
             200, 100);
  g_print ("\n");
  print_table (results);

  for (guint i = 0; i < results->len; i++)
    {
      NnPluginCheckResult *r = results->pdata[i];

      if (r->passed)
        continue;
      if (n_failed++ == 0)
        g_print ("\n");
      g_print ("FAIL %s (%s): %s\n", r->name, r->setting, r->failure);
      g_string_append_printf (failed, "%s%s (%s)", failed->len ? ", " : "", r->name,
                              r->setting);
    }
  if (n_failed > 0)
    {
      g_printerr ("nnrun: %u of %u checks failed: %s\n", n_failed, results->len, failed->str);
      return EXIT_RUN_FAILED;
    }
  g_print ("\nAll %u checks passed.\n", results->len);
  return EXIT_OK;
}

int
nnrun_cmd_check_plugin (int    argc,
                        char **argv)
{
  static const char summary[] =
    "Checks each activation and loss of a plugin file (loaded alone), or the one\n"
    "registered under NAME: backward (or a loss's gradient) against central\n"
    "finite differences at random points of several scales and batch sizes,\n"
    "forward determinism, finite outputs, and independent rows, with the default\n"
    "parameters and with each parameter set away from its default. A layer kind's\n"
    "dL/dX and parameter gradients are checked the same way in training, within\n"
    "one training step (the same random numbers throughout), and evaluation must\n"
    "not depend on the step. An optimizer takes 200 steps on a convex quadratic:\n"
    "finite, falling, deterministic, and resumed from its saved state exactly. The file is loaded in a child process\n"
    "first: a crash or exit() there is reported by file, with status 2.\n"
    "Exit status: 0 when all pass, 1 when one fails, 2 on a usage or load error.";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (GType));
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (
    (GDestroyNotify) nn_plugin_check_result_free);
  gboolean           all = FALSE, loaded_all = FALSE;
  int                seed = 1;
  guint              n_optimizers = 0;
  const GOptionEntry entries[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all,
      "Check every activation, loss, optimizer and layer plugin found on the plugin path",
      NULL },
    { "seed", 's', 0, G_OPTION_ARG_INT, &seed, "Seed of the random points (default 1)", "N" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("NAME|FILE.so... - check the derivatives of plugins");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (all && argc > 1)
    return nnrun_usage_error (context, "--all takes no NAME or FILE");
  if (!all && argc < 2)
    return nnrun_usage_error (context, "check-plugin needs a plugin NAME or FILE.so");
  if (seed < 0)
    return nnrun_usage_error (context, "--seed must be 0 or more");

  /* Every file named is loaded in a child process before any is loaded
   * here, so that no child inherits another file's types. */
  nn_plugins_set_probe_in_child (TRUE);
  for (int i = 1; i < argc; i++)
    if (looks_like_file (argv[i]))
      {
        g_autofree char *path = g_canonicalize_filename (argv[i], NULL);

        if (g_file_test (path, G_FILE_TEST_EXISTS))
          nn_plugins_probe_file (path, NULL);
      }

  if (all)
    collect_every_plugin (types);
  for (int i = 1; i < argc; i++)
    {
      int status = collect_types (argv[i], types, &loaded_all);

      if (status != EXIT_OK)
        return status;
    }

  for (guint i = 0; i < types->len; i++)
    {
      GType type = g_array_index (types, GType, i);
      g_autoptr(GPtrArray) these = NULL;

      if (g_type_is_a (type, NN_TYPE_OPTIMIZER))
        {
          these = nn_plugin_check_optimizer (type, (guint32) seed, &error);
          n_optimizers++;
        }
      else if (g_type_is_a (type, NN_TYPE_LAYER))
        these = nn_plugin_check_layer (type, (guint32) seed, &error);
      else
        these = nn_plugin_check_type (type, (guint32) seed, &error);

      if (these == NULL)
        {
          g_printerr ("nnrun: %s\n", error->message);
          return EXIT_BAD_INPUT;
        }
      g_ptr_array_extend_and_steal (results, g_steal_pointer (&these));
    }

  return print_results (results, n_optimizers<types->len, n_optimizers> 0);
}
