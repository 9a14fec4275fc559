/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun plugins, check-plugin and new-plugin: the commands of plugin
 * writers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include <nn.h>

#include "nnrun-commands.h"

typedef struct {
  const char *extension_point;
  const char *kind;      /* as in the experiment file: the key that names one */
  const char *title;
} Kind;

static const Kind kinds[] = {
  { NN_ACTIVATION_EXTENSION_POINT_NAME, "activation", "Activations" },
  { NN_LOSS_EXTENSION_POINT_NAME, "loss", "Losses" },
  { NN_OPTIMIZER_EXTENSION_POINT_NAME, "optimizer", "Optimizers" },
};

/* Loads every plugin; with @warn, reports the files that failed on stderr,
 * as the other commands do (`plugins` lists them itself). */
static void
load_plugins (gboolean warn)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) failures = NULL;

  if (!nn_plugins_ensure_loaded (&error))
    g_printerr ("nnrun: warning: %s\n", error->message);
  if (!warn)
    return;
  failures = nn_plugins_get_load_errors ();
  for (guint i = 0; i < failures->len; i++)
    g_printerr ("nnrun: warning: skipped plugin %s\n",
                ((GError *) failures->pdata[i])->message);
}

static const Kind *
kind_of_type (GType type)
{
  if (g_type_is_a (type, NN_TYPE_ACTIVATION))
    return &kinds[0];
  if (g_type_is_a (type, NN_TYPE_LOSS))
    return &kinds[1];
  return &kinds[2];
}

static char *
description_of (GType type)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (type);
  const char *description = NULL;

  if (g_type_is_a (type, NN_TYPE_ACTIVATION))
    description = NN_ACTIVATION_CLASS (klass)->description;
  else if (g_type_is_a (type, NN_TYPE_LOSS))
    description = NN_LOSS_CLASS (klass)->description;
  else if (g_type_is_a (type, NN_TYPE_OPTIMIZER))
    description = NN_OPTIMIZER_CLASS (klass)->description;
  return g_strdup (description ? description : "(no description)");
}

static guint
edit_distance (const char *a,
               const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *row = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    row[j] = j;
  for (gsize i = 1; i <= la; i++)
    {
      guint diagonal = row[0];

      row[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint above = row[j];

          row[j] = MIN (MIN (row[j] + 1, row[j - 1] + 1),
                        diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
          diagonal = above;
        }
    }
  return row[lb];
}

/* The closest of @candidates to @word, if it is close enough to be what
 * was meant. */
static const char *
suggest (const char         *word,
         const char * const *candidates)
{
  const char *best = NULL;
  guint best_distance = MAX (2, strlen (word) / 3) + 1;

  for (gsize i = 0; candidates[i] != NULL; i++)
    {
      guint d = edit_distance (word, candidates[i]);

      if (d < best_distance)
        {
          best_distance = d;
          best = candidates[i];
        }
    }
  return best;
}

/* Every registered name of the first @n_kinds kinds. */
static GStrv
all_names (gsize n_kinds)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (gsize k = 0; k < n_kinds; k++)
    {
      g_auto(GStrv) names = nn_plugins_list (kinds[k].extension_point);
      g_strv_builder_addv (builder, (const char **) names);
    }
  return g_strv_builder_end (builder);
}

static void
print_unknown (const char *name,
               const char *what,
               gsize       n_kinds)
{
  g_auto(GStrv) names = all_names (n_kinds);
  const char *hint = suggest (name, (const char * const *) names);

  if (hint != NULL)
    g_printerr ("nnrun: no %s named '%s'; did you mean '%s'? (nnrun plugins lists them all)\n",
                what, name, hint);
  else
    g_printerr ("nnrun: no %s named '%s' (nnrun plugins lists them all)\n", what, name);
}

/* nnrun plugins */

static char *
yaml_key (const char *property)
{
  return g_strdelimit (g_strdup (property), "-", '_');
}

static char *
format_value (const GValue *value)
{
  if (G_VALUE_HOLDS_DOUBLE (value))
    return g_strdup_printf ("%g", g_value_get_double (value));
  if (G_VALUE_HOLDS_FLOAT (value))
    return g_strdup_printf ("%g", (double) g_value_get_float (value));
  if (G_VALUE_HOLDS_BOOLEAN (value))
    return g_strdup (g_value_get_boolean (value) ? "true" : "false");
  if (G_VALUE_HOLDS_ENUM (value))
    {
      g_autoptr(GEnumClass) klass = g_type_class_ref (G_VALUE_TYPE (value));
      GEnumValue *ev = g_enum_get_value (klass, g_value_get_enum (value));

      return g_strdup (ev ? ev->value_nick : "?");
    }
  if (G_VALUE_HOLDS_STRING (value))
    return g_value_get_string (value) ? g_strdup_printf ("'%s'", g_value_get_string (value))
                                      : g_strdup ("none");
  if (g_value_type_transformable (G_VALUE_TYPE (value), G_TYPE_STRING))
    {
      GValue str = G_VALUE_INIT;
      char *text;

      g_value_init (&str, G_TYPE_STRING);
      g_value_transform (value, &str);
      text = g_value_dup_string (&str);
      g_value_unset (&str);
      return text;
    }
  return g_strdup ("?");
}

static const char *
type_word (GParamSpec *pspec)
{
  GType t = G_PARAM_SPEC_VALUE_TYPE (pspec);

  if (t == G_TYPE_DOUBLE || t == G_TYPE_FLOAT)
    return "number";
  if (t == G_TYPE_INT || t == G_TYPE_UINT || t == G_TYPE_INT64 || t == G_TYPE_UINT64 ||
      t == G_TYPE_LONG || t == G_TYPE_ULONG)
    return "integer";
  if (t == G_TYPE_BOOLEAN)
    return "boolean";
  if (G_TYPE_IS_ENUM (t))
    return "choice";
  if (t == G_TYPE_STRING)
    return "string";
  return g_type_name (t);
}

#define RANGE_TEXT(lo, hi, lo_min, hi_max, fmt)                                      \
  ((lo) <= (lo_min) && (hi) >= (hi_max) ? g_strdup ("any") :                          \
   (hi) >= (hi_max) ? g_strdup_printf (">= " fmt, lo) :                               \
   (lo) <= (lo_min) ? g_strdup_printf ("<= " fmt, hi) :                               \
   g_strdup_printf ("from " fmt " to " fmt, lo, hi))

/* The allowed values, or NULL where the type says it all. */
static char *
format_range (GParamSpec *pspec)
{
  if (G_IS_PARAM_SPEC_DOUBLE (pspec))
    {
      GParamSpecDouble *p = G_PARAM_SPEC_DOUBLE (pspec);
      return RANGE_TEXT (p->minimum, p->maximum, -G_MAXDOUBLE, G_MAXDOUBLE, "%g");
    }
  if (G_IS_PARAM_SPEC_FLOAT (pspec))
    {
      GParamSpecFloat *p = G_PARAM_SPEC_FLOAT (pspec);
      return RANGE_TEXT ((double) p->minimum, (double) p->maximum, -G_MAXFLOAT,
                         G_MAXFLOAT, "%g");
    }
  if (G_IS_PARAM_SPEC_INT (pspec))
    {
      GParamSpecInt *p = G_PARAM_SPEC_INT (pspec);
      return RANGE_TEXT (p->minimum, p->maximum, G_MININT, G_MAXINT, "%d");
    }
  if (G_IS_PARAM_SPEC_UINT (pspec))
    {
      GParamSpecUInt *p = G_PARAM_SPEC_UINT (pspec);
      return RANGE_TEXT (p->minimum, p->maximum, 0, G_MAXUINT, "%u");
    }
  if (G_IS_PARAM_SPEC_INT64 (pspec))
    {
      GParamSpecInt64 *p = G_PARAM_SPEC_INT64 (pspec);
      return RANGE_TEXT (p->minimum, p->maximum, G_MININT64, G_MAXINT64,
                         "%" G_GINT64_FORMAT);
    }
  if (G_IS_PARAM_SPEC_UINT64 (pspec))
    {
      GParamSpecUInt64 *p = G_PARAM_SPEC_UINT64 (pspec);
      return RANGE_TEXT (p->minimum, p->maximum, 0, G_MAXUINT64, "%" G_GUINT64_FORMAT);
    }
  if (G_IS_PARAM_SPEC_LONG (pspec))
    {
      GParamSpecLong *p = G_PARAM_SPEC_LONG (pspec);
      return RANGE_TEXT (p->minimum, p->maximum, G_MINLONG, G_MAXLONG, "%ld");
    }
  if (G_IS_PARAM_SPEC_ULONG (pspec))
    {
      GParamSpecULong *p = G_PARAM_SPEC_ULONG (pspec);
      return RANGE_TEXT (p->minimum, p->maximum, 0, G_MAXULONG, "%lu");
    }
  if (G_IS_PARAM_SPEC_ENUM (pspec))
    {
      GEnumClass *klass = G_PARAM_SPEC_ENUM (pspec)->enum_class;
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) nicks = NULL;
      g_autofree char *joined = NULL;

      for (guint i = 0; i < klass->n_values; i++)
        g_strv_builder_add (builder, klass->values[i].value_nick);
      nicks = g_strv_builder_end (builder);
      joined = g_strjoinv (", ", nicks);
      return g_strconcat ("one of ", joined, NULL);
    }
  return NULL;
}

static int
compare_pspecs (gconstpointer a,
                gconstpointer b)
{
  return strcmp ((*(GParamSpec * const *) a)->name, (*(GParamSpec * const *) b)->name);
}

/* The properties a user can see, sorted: GObject's own have none. */
static GParamSpec **
list_properties (GType  type,
                 guint *n)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (type);
  GParamSpec **pspecs = g_object_class_list_properties (G_OBJECT_CLASS (klass), n);

  qsort (pspecs, *n, sizeof *pspecs, compare_pspecs);
  return pspecs;
}

static void
print_example (const Kind *kind,
               const char *name,
               GParamSpec **pspecs,
               guint        n_pspecs)
{
  g_autoptr(GString) value = g_string_new (NULL);
  guint n_set = 0;

  for (guint i = 0; i < n_pspecs; i++)
    {
      g_autofree char *key = NULL;
      g_autofree char *text = NULL;

      if (!(pspecs[i]->flags & G_PARAM_WRITABLE))
        continue;
      key = yaml_key (pspecs[i]->name);
      text = format_value (g_param_spec_get_default_value (pspecs[i]));
      g_string_append_printf (value, ", %s: %s", key, text);
      n_set++;
    }
  if (n_set > 0)
    {
      g_string_prepend (value, name);
      g_string_prepend (value, "{name: ");
      g_string_append (value, "}");
    }
  else
    g_string_assign (value, name);

  g_print ("\nIn an experiment file:\n");
  if (g_str_equal (kind->kind, "activation"))
    g_print ("  model:\n    layers:\n      - {units: 16, activation: %s}\n", value->str);
  else if (n_set <= 2)
    g_print ("  %s: %s\n", kind->kind, value->str);
  else
    {
      /* One line per parameter, as a long list reads better. */
      g_print ("  %s:\n    name: %s\n", kind->kind, name);
      for (guint i = 0; i < n_pspecs; i++)
        {
          g_autofree char *key = NULL;
          g_autofree char *text = NULL;

          if (!(pspecs[i]->flags & G_PARAM_WRITABLE))
            continue;
          key = yaml_key (pspecs[i]->name);
          text = format_value (g_param_spec_get_default_value (pspecs[i]));
          g_print ("    %s: %s\n", key, text);
        }
    }
}

static void
print_details (GType type)
{
  const Kind *kind = kind_of_type (type);
  const char *name = nn_plugins_get_name_for_type (type);
  const char *version = nn_plugins_get_version_for_type (type);
  g_autofree char *description = description_of (type);
  g_autofree GParamSpec **pspecs = NULL;
  guint n_pspecs = 0;
  int width = 0;

  g_print ("%s (%s)\n", name, kind->kind);
  g_print ("  %s\n", description);
  g_print ("  file:    %s\n", nn_plugins_get_file_for_type (type));
  g_print ("  version: %s\n", version ? version : "(none recorded)");
  g_print ("  class:   %s\n", g_type_name (type));

  pspecs = list_properties (type, &n_pspecs);
  g_print ("\nParameters:\n");
  if (n_pspecs == 0)
    g_print ("  none\n");
  for (guint i = 0; i < n_pspecs; i++)
    width = MAX (width, (int) strlen (pspecs[i]->name));
  for (guint i = 0; i < n_pspecs; i++)
    {
      GParamSpec *pspec = pspecs[i];
      g_autofree char *key = yaml_key (pspec->name);
      g_autofree char *def = format_value (g_param_spec_get_default_value (pspec));
      g_autofree char *range = format_range (pspec);
      const char *blurb = g_param_spec_get_blurb (pspec);

      g_print ("  %-*s  %s, default %s%s%s%s\n", width, key, type_word (pspec), def,
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
  int name_width = 0, description_width = 0;

  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_auto(GStrv) names = nn_plugins_list (kinds[k].extension_point);

      for (gsize i = 0; names[i] != NULL; i++)
        {
          GType type = nn_plugins_lookup (kinds[k].extension_point, names[i], NULL);
          g_autofree char *description = description_of (type);

          name_width = MAX (name_width, (int) strlen (names[i]));
          description_width = MAX (description_width, (int) g_utf8_strlen (description, -1));
        }
    }

  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      g_auto(GStrv) names = nn_plugins_list (kinds[k].extension_point);

      g_print ("%s%s:\n", k > 0 ? "\n" : "", kinds[k].title);
      if (names[0] == NULL)
        g_print ("  none\n");
      for (gsize i = 0; names[i] != NULL; i++)
        {
          GType type = nn_plugins_lookup (kinds[k].extension_point, names[i], NULL);
          g_autofree char *description = description_of (type);
          /* printf pads bytes; pad characters, for descriptions like "z²". */
          int pad = description_width - (int) g_utf8_strlen (description, -1);

          const char *file = nn_plugins_get_file_for_type (type);

          /* The library's own say "(built-in)" already. */
          g_print (file[0] == '(' ? "  %-*s  %s%*s  %s\n" : "  %-*s  %s%*s  (%s)\n",
                   name_width, names[i], description, pad, "", file);
        }
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
          g_print ("  %s (NN_PLUGIN_PATH)\n", dirs[i]);
    }
  g_print ("  %s\n", nn_plugins_get_system_directory ());
}

int
nnrun_cmd_plugins (int    argc,
                   char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  gboolean found = FALSE;

  context = g_option_context_new ("[NAME] - list the plugins, or describe one");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
    "Without NAME: every activation, loss and optimizer, with its description\n"
    "and the file it comes from, and every plugin file that could not be loaded,\n"
    "with the reason. With NAME: its description, its parameters (type, default,\n"
    "allowed values) and how an experiment file names it.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc > 2)
    return nnrun_usage_error (context, "plugins takes at most one NAME");

  load_plugins (argc == 2);
  if (argc == 1)
    {
      print_listing ();
      return EXIT_OK;
    }

  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      GType type = nn_plugins_lookup (kinds[k].extension_point, argv[1], NULL);

      if (type == G_TYPE_INVALID)
        continue;
      if (found)
        g_print ("\n");
      print_details (type);
      found = TRUE;
    }
  if (!found)
    {
      print_unknown (argv[1], "activation, loss or optimizer", G_N_ELEMENTS (kinds));
      return EXIT_BAD_INPUT;
    }
  return EXIT_OK;
}

/* nnrun check-plugin */

static gboolean
looks_like_file (const char *arg)
{
  return strchr (arg, G_DIR_SEPARATOR) != NULL || g_str_has_suffix (arg, "." G_MODULE_SUFFIX);
}

/* Adds the checkable types of @arg, a file or a name, to @types. */
static int
collect_types (const char *arg,
               GArray     *types,
               gboolean   *loaded_all)
{
  g_autoptr(GError) error = NULL;

  if (looks_like_file (arg))
    {
      /* Absolute: dlopen() looks for a bare "x.so" in the library path,
       * not in the current folder. */
      g_autofree char *path = g_canonicalize_filename (arg, NULL);
      g_autofree GType *file_types = NULL;
      guint n_types = 0, n_checkable = 0;

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
        if (g_type_is_a (file_types[i], NN_TYPE_OPTIMIZER))
          g_print ("note: optimizer '%s' is not checked: check-plugin checks activations "
                   "and losses\n", nn_plugins_get_name_for_type (file_types[i]));
        else
          {
            g_array_append_val (types, file_types[i]);
            n_checkable++;
          }
      if (n_checkable == 0)
        {
          g_printerr ("nnrun: %s registers no activation or loss to check\n", arg);
          return EXIT_BAD_INPUT;
        }
      return EXIT_OK;
    }

  if (!*loaded_all)
    {
      load_plugins (TRUE);
      *loaded_all = TRUE;
    }
  {
    GType activation = nn_plugins_lookup (NN_ACTIVATION_EXTENSION_POINT_NAME, arg, NULL);
    GType loss = nn_plugins_lookup (NN_LOSS_EXTENSION_POINT_NAME, arg, NULL);

    if (activation != G_TYPE_INVALID)
      g_array_append_val (types, activation);
    if (loss != G_TYPE_INVALID)
      g_array_append_val (types, loss);
    if (activation != G_TYPE_INVALID || loss != G_TYPE_INVALID)
      return EXIT_OK;
  }
  if (nn_plugins_lookup (NN_OPTIMIZER_EXTENSION_POINT_NAME, arg, NULL) != G_TYPE_INVALID)
    g_printerr ("nnrun: '%s' is an optimizer; check-plugin checks activations and losses\n",
                arg);
  else
    print_unknown (arg, "activation or loss", 2);
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
    "result",
  };
  enum { N_COLUMNS = G_N_ELEMENTS (headers) };
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  int width[N_COLUMNS] = { 0 };

  for (guint i = 0; i < results->len; i++)
    {
      NnPluginCheckResult *r = results->pdata[i];
      char **row = g_new0 (char *, N_COLUMNS + 1);

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

int
nnrun_cmd_check_plugin (int    argc,
                        char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (GType));
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (
    (GDestroyNotify) nn_plugin_check_result_free);
  g_autoptr(GString) failed = g_string_new (NULL);
  gboolean all = FALSE, loaded_all = FALSE;
  int seed = 1;
  guint n_failed = 0;
  const GOptionEntry entries[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all,
      "Check every activation and loss found on the plugin path", NULL },
    { "seed", 's', 0, G_OPTION_ARG_INT, &seed, "Seed of the random points (default 1)", "N" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("NAME|FILE.so... - check the derivatives of plugins");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
    "Checks each activation and loss of a plugin file (loaded alone), or the one\n"
    "registered under NAME: backward (or a loss's gradient) against central\n"
    "finite differences at random points of several scales and batch sizes,\n"
    "forward determinism, finite outputs, and independent rows, with the default\n"
    "parameters and with each parameter set away from its default.\n"
    "Exit status: 0 when all pass, 1 when one fails, 2 on a usage or load error.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (all && argc > 1)
    return nnrun_usage_error (context, "--all takes no NAME or FILE");
  if (!all && argc < 2)
    return nnrun_usage_error (context, "check-plugin needs a plugin NAME or FILE.so");
  if (seed < 0)
    return nnrun_usage_error (context, "--seed must be 0 or more");

  if (all)
    {
      load_plugins (TRUE);
      for (gsize k = 0; k < 2; k++)
        {
          g_auto(GStrv) names = nn_plugins_list (kinds[k].extension_point);

          for (gsize i = 0; names[i] != NULL; i++)
            {
              GType type = nn_plugins_lookup (kinds[k].extension_point, names[i], NULL);
              g_array_append_val (types, type);
            }
        }
    }
  for (int i = 1; i < argc; i++)
    {
      int status = collect_types (argv[i], types, &loaded_all);

      if (status != EXIT_OK)
        return status;
    }

  for (guint i = 0; i < types->len; i++)
    {
      GType type = g_array_index (types, GType, i);
      g_autoptr(GPtrArray) these = nn_plugin_check_type (type, (guint32) seed, &error);

      if (these == NULL)
        {
          g_printerr ("nnrun: %s\n", error->message);
          return EXIT_BAD_INPUT;
        }
      g_ptr_array_extend_and_steal (results, g_steal_pointer (&these));
    }

  g_print ("Derivatives against central finite differences, %s build: a point passes "
           "within %g relative\n+ %g absolute + the rounding of the function.\n\n",
           NN_REAL_NAME, NN_PLUGIN_CHECK_RTOL, NN_PLUGIN_CHECK_ATOL);
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

/* nnrun new-plugin */

/* The files it writes, rendered by render(): a complete plugin each, in
 * the style of examples/plugins/swish.c, that builds with the guide's
 * command and passes check-plugin as it is. */
static const char activation_template[] =
  "/* @name@: an activation for nn, made by `nnrun new-plugin`.\n"
  " *\n"
  " * Edit the two functions marked EDIT: forward computes f(z) and backward\n"
  " * multiplies the incoming gradient by f'(z). As made, f(z) = scale * z,\n"
  " * where `scale` shows how a parameter becomes settable from an experiment\n"
  " * file: rename it, add others the same way, or remove it.\n"
  " *\n"
  " * Build, check and use:\n"
  " *   cc -shared -fPIC @name@.c $(pkg-config --cflags --libs nncore) -o @name@.so\n"
  " *   nnrun check-plugin ./@name@.so\n"
  " *   activation: {name: @name@, scale: 1.0}      (in an experiment file)\n"
  " */\n"
  "#include <nn.h>\n"
  "\n"
  "#define @UPPER@_TYPE_ACTIVATION (@name@_activation_get_type ())\n"
  "G_DECLARE_FINAL_TYPE (@Camel@Activation, @name@_activation, @UPPER@, ACTIVATION, NnActivation)\n"
  "\n"
  "struct _@Camel@Activation\n"
  "{\n"
  "  NnActivation parent_instance;\n"
  "\n"
  "  double scale;\n"
  "};\n"
  "\n"
  "/* Registers the class under the name that experiment files use. */\n"
  "G_DEFINE_DYNAMIC_TYPE_EXTENDED (@Camel@Activation, @name@_activation,\n"
  "~NN_TYPE_ACTIVATION, G_TYPE_FLAG_FINAL,\n"
  "~g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,\n"
  "~                                g_define_type_id, \"@name@\", 0);)\n"
  "\n"
  "enum {\n"
  "  PROP_0,\n"
  "  PROP_SCALE,\n"
  "  N_PROPS\n"
  "};\n"
  "\n"
  "static GParamSpec *properties[N_PROPS];\n"
  "\n"
  "/* EDIT: a = f(z), element by element. z and a are batch x units matrices,\n"
  " * row-major, n values each. */\n"
  "static void\n"
  "@name@_activation_forward (NnActivation   *activation,\n"
  "~const NnMatrix *z,\n"
  "~NnMatrix       *a)\n"
  "{\n"
  "  @Camel@Activation *self = @UPPER@_ACTIVATION (activation);\n"
  "  const nn_real scale = (nn_real) self->scale;\n"
  "  gsize n = nn_matrix_size (z);\n"
  "\n"
  "  for (gsize i = 0; i < n; i++)\n"
  "    a->data[i] = scale * z->data[i];\n"
  "}\n"
  "\n"
  "/* EDIT: grad_z = grad_a * f'(z), element by element. z and a are the input\n"
  " * and the output of forward: use whichever gives f' more cheaply. */\n"
  "static void\n"
  "@name@_activation_backward (NnActivation   *activation,\n"
  "~const NnMatrix *z,\n"
  "~const NnMatrix *a,\n"
  "~const NnMatrix *grad_a,\n"
  "~NnMatrix       *grad_z)\n"
  "{\n"
  "  @Camel@Activation *self = @UPPER@_ACTIVATION (activation);\n"
  "  const nn_real scale = (nn_real) self->scale;\n"
  "  gsize n = nn_matrix_size (z);\n"
  "\n"
  "  for (gsize i = 0; i < n; i++)\n"
  "    grad_z->data[i] = grad_a->data[i] * scale;\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_activation_get_property (GObject    *object,\n"
  "~guint       prop_id,\n"
  "~GValue     *value,\n"
  "~GParamSpec *pspec)\n"
  "{\n"
  "  @Camel@Activation *self = @UPPER@_ACTIVATION (object);\n"
  "\n"
  "  switch (prop_id)\n"
  "    {\n"
  "    case PROP_SCALE:\n"
  "      g_value_set_double (value, self->scale);\n"
  "      break;\n"
  "    default:\n"
  "      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);\n"
  "    }\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_activation_set_property (GObject      *object,\n"
  "~guint         prop_id,\n"
  "~const GValue *value,\n"
  "~GParamSpec   *pspec)\n"
  "{\n"
  "  @Camel@Activation *self = @UPPER@_ACTIVATION (object);\n"
  "\n"
  "  switch (prop_id)\n"
  "    {\n"
  "    case PROP_SCALE:\n"
  "      self->scale = g_value_get_double (value);\n"
  "      break;\n"
  "    default:\n"
  "      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);\n"
  "    }\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_activation_class_init (@Camel@ActivationClass *klass)\n"
  "{\n"
  "  GObjectClass *object_class = G_OBJECT_CLASS (klass);\n"
  "  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);\n"
  "\n"
  "  object_class->get_property = @name@_activation_get_property;\n"
  "  object_class->set_property = @name@_activation_set_property;\n"
  "\n"
  "  /* One line, shown by `nnrun plugins`. */\n"
  "  activation_class->description = \"@name@: scale * z\";\n"
  "  activation_class->forward = @name@_activation_forward;\n"
  "  activation_class->backward = @name@_activation_backward;\n"
  "\n"
  "  /* In YAML: {name: @name@, scale: 2.0}. Values outside the range are\n"
  "   * refused when the experiment is read; nnrun check-plugin checks the\n"
  "   * default and a value away from it. */\n"
  "  properties[PROP_SCALE] =\n"
  "    g_param_spec_double (\"scale\", NULL, \"Factor applied to z\",\n"
  "                         0.0, 10.0, 1.0,\n"
  "                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);\n"
  "\n"
  "  g_object_class_install_properties (object_class, N_PROPS, properties);\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_activation_class_finalize (@Camel@ActivationClass *klass)\n"
  "{\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_activation_init (@Camel@Activation *self)\n"
  "{\n"
  "}\n"
  "\n"
  "static void\n"
  "register_types (GTypeModule *module)\n"
  "{\n"
  "  @name@_activation_register_type (module);\n"
  "}\n"
  "\n"
  "/* The entry points nn looks for, and the plugin ABI and scalar type that\n"
  " * this file is built for. */\n"
  "NN_PLUGIN_DEFINE (register_types)\n";

static const char loss_template[] =
  "/* @name@: a loss for nn, made by `nnrun new-plugin`.\n"
  " *\n"
  " * Edit the two functions marked EDIT: compute returns the loss of a batch,\n"
  " * a mean over the samples, and gradient writes the derivative of exactly\n"
  " * that mean with respect to each prediction. As made, it is the mean\n"
  " * squared error times `weight`, a parameter that shows how one becomes\n"
  " * settable from an experiment file: rename it, add others the same way,\n"
  " * or remove it.\n"
  " *\n"
  " * Build, check and use:\n"
  " *   cc -shared -fPIC @name@.c $(pkg-config --cflags --libs nncore) -o @name@.so\n"
  " *   nnrun check-plugin ./@name@.so\n"
  " *   loss: {name: @name@, weight: 1.0}      (in an experiment file)\n"
  " */\n"
  "#include <nn.h>\n"
  "\n"
  "#define @UPPER@_TYPE_LOSS (@name@_loss_get_type ())\n"
  "G_DECLARE_FINAL_TYPE (@Camel@Loss, @name@_loss, @UPPER@, LOSS, NnLoss)\n"
  "\n"
  "struct _@Camel@Loss\n"
  "{\n"
  "  NnLoss parent_instance;\n"
  "\n"
  "  double weight;\n"
  "};\n"
  "\n"
  "/* Registers the class under the name that experiment files use. */\n"
  "G_DEFINE_DYNAMIC_TYPE_EXTENDED (@Camel@Loss, @name@_loss,\n"
  "~NN_TYPE_LOSS, G_TYPE_FLAG_FINAL,\n"
  "~g_io_extension_point_implement (NN_LOSS_EXTENSION_POINT_NAME,\n"
  "~                                g_define_type_id, \"@name@\", 0);)\n"
  "\n"
  "enum {\n"
  "  PROP_0,\n"
  "  PROP_WEIGHT,\n"
  "  N_PROPS\n"
  "};\n"
  "\n"
  "static GParamSpec *properties[N_PROPS];\n"
  "\n"
  "/* EDIT: the loss of a batch, a mean. pred and target are batch x outputs\n"
  " * matrices, row-major, n values each; sum in double. */\n"
  "static double\n"
  "@name@_loss_compute (NnLoss         *loss,\n"
  "~const NnMatrix *pred,\n"
  "~const NnMatrix *target)\n"
  "{\n"
  "  @Camel@Loss *self = @UPPER@_LOSS (loss);\n"
  "  gsize n = nn_matrix_size (pred);\n"
  "  double sum = 0;\n"
  "\n"
  "  if (n == 0)\n"
  "    return 0;\n"
  "  for (gsize i = 0; i < n; i++)\n"
  "    {\n"
  "      double d = (double) pred->data[i] - (double) target->data[i];\n"
  "\n"
  "      sum += d * d;\n"
  "    }\n"
  "  return self->weight * sum / (double) n;\n"
  "}\n"
  "\n"
  "/* EDIT: grad = the derivative of compute's mean with respect to each\n"
  " * prediction, so mind the 1 / n. */\n"
  "static void\n"
  "@name@_loss_gradient (NnLoss         *loss,\n"
  "~const NnMatrix *pred,\n"
  "~const NnMatrix *target,\n"
  "~NnMatrix       *grad)\n"
  "{\n"
  "  @Camel@Loss *self = @UPPER@_LOSS (loss);\n"
  "  gsize n = nn_matrix_size (pred);\n"
  "\n"
  "  for (gsize i = 0; i < n; i++)\n"
  "    {\n"
  "      double d = (double) pred->data[i] - (double) target->data[i];\n"
  "\n"
  "      grad->data[i] = (nn_real) (self->weight * 2 * d / (double) n);\n"
  "    }\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_loss_get_property (GObject    *object,\n"
  "~guint       prop_id,\n"
  "~GValue     *value,\n"
  "~GParamSpec *pspec)\n"
  "{\n"
  "  @Camel@Loss *self = @UPPER@_LOSS (object);\n"
  "\n"
  "  switch (prop_id)\n"
  "    {\n"
  "    case PROP_WEIGHT:\n"
  "      g_value_set_double (value, self->weight);\n"
  "      break;\n"
  "    default:\n"
  "      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);\n"
  "    }\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_loss_set_property (GObject      *object,\n"
  "~guint         prop_id,\n"
  "~const GValue *value,\n"
  "~GParamSpec   *pspec)\n"
  "{\n"
  "  @Camel@Loss *self = @UPPER@_LOSS (object);\n"
  "\n"
  "  switch (prop_id)\n"
  "    {\n"
  "    case PROP_WEIGHT:\n"
  "      self->weight = g_value_get_double (value);\n"
  "      break;\n"
  "    default:\n"
  "      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);\n"
  "    }\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_loss_class_init (@Camel@LossClass *klass)\n"
  "{\n"
  "  GObjectClass *object_class = G_OBJECT_CLASS (klass);\n"
  "  NnLossClass *loss_class = NN_LOSS_CLASS (klass);\n"
  "\n"
  "  object_class->get_property = @name@_loss_get_property;\n"
  "  object_class->set_property = @name@_loss_set_property;\n"
  "\n"
  "  /* One line, shown by `nnrun plugins`. */\n"
  "  loss_class->description = \"@name@: weight * mean squared error\";\n"
  "  loss_class->compute = @name@_loss_compute;\n"
  "  loss_class->gradient = @name@_loss_gradient;\n"
  "\n"
  "  /* In YAML: {name: @name@, weight: 2.0}. Values outside the range are\n"
  "   * refused when the experiment is read; nnrun check-plugin checks the\n"
  "   * default and a value away from it. */\n"
  "  properties[PROP_WEIGHT] =\n"
  "    g_param_spec_double (\"weight\", NULL, \"Factor applied to the loss\",\n"
  "                         0.0, 1000.0, 1.0,\n"
  "                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);\n"
  "\n"
  "  g_object_class_install_properties (object_class, N_PROPS, properties);\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_loss_class_finalize (@Camel@LossClass *klass)\n"
  "{\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_loss_init (@Camel@Loss *self)\n"
  "{\n"
  "}\n"
  "\n"
  "static void\n"
  "register_types (GTypeModule *module)\n"
  "{\n"
  "  @name@_loss_register_type (module);\n"
  "}\n"
  "\n"
  "/* The entry points nn looks for, and the plugin ABI and scalar type that\n"
  " * this file is built for. */\n"
  "NN_PLUGIN_DEFINE (register_types)\n";

static const char meson_template[] =
  "# Builds @name@.so, the nn @kind@ in @name@.c, against the installed nn:\n"
  "#   meson setup build && meson compile -C build\n"
  "#   nnrun check-plugin build/@name@.so\n"
  "# `meson install -C build` copies it into nn's plugin folder.\n"
  "project('@name@', 'c')\n"
  "\n"
  "nncore_dep = dependency('nncore')\n"
  "\n"
  "shared_module('@name@', '@name@.c',\n"
  "  name_prefix: '',\n"
  "  dependencies: nncore_dep,\n"
  "  gnu_symbol_visibility: 'hidden',\n"
  "  install: true,\n"
  "  install_dir: nncore_dep.get_variable(pkgconfig: 'plugindir'))\n";

/* The template with @name@, @Camel@, @UPPER@ and @kind@ filled in. A line
 * starting with '~' continues the argument list of the line before it: the
 * '~' becomes the spaces that align it under the first '(' there, whatever
 * the length of the name. */
static char *
render (const char *template,
        const char *name,
        const char *kind)
{
  g_autoptr(GString) text = g_string_new (template);
  g_autoptr(GString) camel = g_string_new (NULL);
  g_autofree char *upper = g_ascii_strup (name, -1);
  g_auto(GStrv) lines = NULL;
  GString *out = g_string_new (NULL);
  gsize align = 0;

  for (const char *p = name; *p != '\0'; p++)
    if (*p != '_')
      g_string_append_c (camel, p == name || p[-1] == '_' ? g_ascii_toupper (*p) : *p);

  g_string_replace (text, "@name@", name, 0);
  g_string_replace (text, "@Camel@", camel->str, 0);
  g_string_replace (text, "@UPPER@", upper, 0);
  g_string_replace (text, "@kind@", kind, 0);

  lines = g_strsplit (text->str, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (line[0] == '~')
        {
          for (gsize s = 0; s < align; s++)
            g_string_append_c (out, ' ');
          line++;
        }
      else
        {
          const char *paren = strchr (line, '(');
          align = paren ? (gsize) (paren - line) + 1 : 0;
        }
      g_string_append (out, line);
      if (lines[i + 1] != NULL)
        g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* A registered name: what a YAML file names it by, and a C identifier. */
static gboolean
valid_plugin_name (const char *name)
{
  if (!g_ascii_islower (name[0]))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_')
      return FALSE;
  return !g_str_has_suffix (name, "_") && strstr (name, "__") == NULL;
}

static gboolean
write_new_file (const char  *path,
                const char  *contents,
                GError     **error)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                   "%s already exists; not overwriting it", path);
      return FALSE;
    }
  return g_file_set_contents (path, contents, -1, error);
}

int
nnrun_cmd_new_plugin (int    argc,
                      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  g_autofree char *source_name = NULL;
  g_autofree char *source = NULL;
  g_autofree char *build = NULL;
  g_autofree char *code = NULL;
  g_autofree char *meson = NULL;
  g_autofree char *library = NULL;
  const char *kind, *name, *dir;
  gboolean activation;

  context = g_option_context_new ("activation|loss NAME [DIR] - start a plugin");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
    "Writes DIR/NAME.c, a complete plugin that registers NAME (an identity-like\n"
    "activation, or the mean squared error), and DIR/meson.build. It builds,\n"
    "loads and passes check-plugin as it is: edit its two functions. DIR is\n"
    "./NAME by default.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc < 3 || argc > 4)
    return nnrun_usage_error (context, "new-plugin needs a kind, a NAME and at most one DIR");

  kind = argv[1];
  name = argv[2];
  dir = argc == 4 ? argv[3] : name;
  activation = g_str_equal (kind, "activation");
  if (!activation && !g_str_equal (kind, "loss"))
    return nnrun_usage_error (context, "the kind of plugin is 'activation' or 'loss'");
  if (!valid_plugin_name (name))
    {
      g_printerr ("nnrun: '%s' cannot name a plugin: use lower-case letters, digits and "
                  "single underscores, starting with a letter (like leaky_relu)\n", name);
      return EXIT_BAD_INPUT;
    }

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved_errno = errno;

      g_printerr ("nnrun: cannot make the folder %s: %s\n", dir, g_strerror (saved_errno));
      return EXIT_RUN_FAILED;
    }
  source_name = g_strconcat (name, ".c", NULL);
  source = g_build_filename (dir, source_name, NULL);
  build = g_build_filename (dir, "meson.build", NULL);
  code = render (activation ? activation_template : loss_template, name, kind);
  meson = render (meson_template, name, kind);
  /* Neither file, if either is there already. */
  if (g_file_test (build, G_FILE_TEST_EXISTS))
    {
      g_printerr ("nnrun: %s already exists; not overwriting it\n", build);
      return EXIT_BAD_INPUT;
    }
  if (!write_new_file (source, code, &error) || !write_new_file (build, meson, &error))
    {
      g_printerr ("nnrun: %s\n", error->message);
      return g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_EXIST)
             ? EXIT_BAD_INPUT : EXIT_RUN_FAILED;
    }

  library = g_build_filename (dir, name, NULL);
  g_print ("Wrote %s and %s: %s, %s.\n\n", source, build,
           activation ? "an activation" : "a loss",
           activation ? "f(z) = scale * z" : "weight * mean squared error");
  g_print ("Edit the two functions marked EDIT, then build and check it:\n"
           "  cc -shared -fPIC %s $(pkg-config --cflags --libs nncore) -o %s.so\n"
           "  nnrun check-plugin %s.so\n\n", source, library, library);
  g_print ("Then put its folder, %s, in an experiment's plugins: list or in NN_PLUGIN_PATH,\n"
           "and name it like a built-in:\n", dir);
  if (activation)
    g_print ("  - {units: 16, activation: {name: %s, scale: 1.0}}\n", name);
  else
    g_print ("  loss: {name: %s, weight: 1.0}\n", name);
  return EXIT_OK;
}
