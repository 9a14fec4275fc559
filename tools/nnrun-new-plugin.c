/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun new-plugin: a working plugin to start from. */
#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include <nn.h>

#include "nnrun-commands.h"

/* nnrun new-plugin */

/* The files it writes are tools/templates/, compiled in as resources: a
 * complete plugin in each C file, in the style of examples/plugins/swish.c,
 * that builds with the guide's command and passes check-plugin as it is.
 * They name the plugin plugin_name (PluginName, PLUGIN_NAME), of the kind
 * plugin_kind, which render() replaces. */
#define TEMPLATES "/org/nn/nnrun/templates/"

static char *
replace_placeholders (const char *text,
                      const char *name,
                      const char *camel,
                      const char *upper,
                      const char *kind)
{
  GString *out = g_string_new (text);

  /* The kind first, so that a name containing "plugin_kind" stays whole;
   * names are lower case, so the replaced text holds no other placeholder. */
  g_string_replace (out, "plugin_kind", kind, 0);
  g_string_replace (out, "plugin_name", name, 0);
  g_string_replace (out, "PluginName", camel, 0);
  g_string_replace (out, "PLUGIN_NAME", upper, 0);
  return g_string_free (out, FALSE);
}

static gsize
column_after_paren (const char *line)
{
  const char *paren = strchr (line, '(');

  return paren ? (gsize) (paren - line) + 1 : 0;
}

/* @template with the placeholders replaced. A line indented to just after
 * the first '(' of the line that opens its argument list continues that
 * list, and is indented again for the length of the name there. */
static char *
render (const char *template,
        const char *name,
        const char *kind)
{
  g_autoptr(GString) camel = g_string_new (NULL);
  g_autofree char *upper = g_ascii_strup (name, -1);
  g_auto(GStrv) lines = g_strsplit (template, "\n", -1);
  GString *out = g_string_new (NULL);
  gsize    template_align = 0, align = 0;

  for (const char *p = name; *p != '\0'; p++)
    if (*p != '_')
      g_string_append_c (camel, p == name || p[-1] == '_' ? g_ascii_toupper (*p) : *p);

  for (gsize i = 0; lines[i] != NULL; i++)
    {
      const char      *line = lines[i];
      gsize            indent = strspn (line, " ");
      g_autofree char *text = NULL;

      if (template_align > 0 && indent >= template_align && line[indent] != '\0')
        {
          text = replace_placeholders (line + template_align, name, camel->str, upper, kind);
          for (gsize s = 0; s < align; s++)
            g_string_append_c (out, ' ');
        }
      else
        {
          text = replace_placeholders (line, name, camel->str, upper, kind);
          template_align = column_after_paren (line);
          align = column_after_paren (text);
        }
      g_string_append (out, text);
      if (lines[i + 1] != NULL)
        g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* The template @file of tools/templates/, rendered. */
static char *
render_template (const char *file,
                 const char *name,
                 const char *kind)
{
  g_autofree char *path = g_strconcat (TEMPLATES, file, NULL);
  g_autoptr(GBytes) bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_autofree char *template = NULL;

  /* Compiled into nnrun: never missing. */
  g_assert (bytes != NULL);
  template = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return render (template, name, kind);
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
write_new_file (const char *path,
                const char *contents,
                GError    **error)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                   "%s already exists; not overwriting it", path);
      return FALSE;
    }
  return g_file_set_contents (path, contents, -1, error);
}

typedef struct
{
  const char *kind;
  const char *template; /* the file of tools/templates/ */
  const char *article;  /* "an activation" */
  const char *what;     /* what the new plugin computes */
  const char *yaml;     /* how an experiment names it, a template */
  const char *edit;     /* what to edit */
} Kind;

static const Kind kinds[] = {
  { "activation", "activation.c", "an activation", "f(z) = scale * z",
    "  - {units: 16, activation: {name: plugin_name, scale: 1.0}}\n",
    "the two functions marked EDIT" },
  { "loss", "loss.c", "a loss", "weight * mean squared error",
    "  loss: {name: plugin_name, weight: 1.0}\n", "the two functions marked EDIT" },
  { "optimizer", "optimizer.c", "an optimizer", "gradient descent with momentum",
    "  optimizer: {name: plugin_name, learning_rate: 0.01, momentum: 0.9}\n",
    "the function marked EDIT" },
  { "layer", "layer.c", "a layer kind", "a learnt gain and bias per input",
    "  model:\n    layers:\n      - {type: plugin_name, initial_gain: 1.0}\n",
    "the functions marked EDIT" },
};

/* Adds @stanza to the meson.build at @path, which exists: written anew
 * beside and renamed over it, so it is whole or as it was. */
static gboolean
append_to_meson_build (const char *path,
                       const char *source_name,
                       const char *stanza,
                       GError    **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *quoted = g_strdup_printf ("'%s'", source_name);
  g_autofree char *updated = NULL;
  gsize            length = 0;

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;
  if (strstr (contents, quoted) != NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                   "%s already builds %s; not adding it again", path, source_name);
      return FALSE;
    }
  updated = g_strconcat (contents, length > 0 && contents[length - 1] != '\n' ? "\n" : "",
                         stanza, NULL);
  return g_file_set_contents (path, updated, -1, error);
}

int
nnrun_cmd_new_plugin (int    argc,
                      char **argv)
{
  static const char summary[] =
    "Writes DIR/NAME.c, a complete plugin that registers NAME (an identity-like\n"
    "activation, the mean squared error, gradient descent with momentum, or a\n"
    "layer kind with a learnt gain and bias per input), and DIR/meson.build, or\n"
    "adds NAME to the meson.build already in DIR. It builds, loads and passes\n"
    "check-plugin as it is: edit the functions marked EDIT. DIR is ./NAME by\n"
    "default.";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  g_autofree char   *source_name = NULL;
  g_autofree char   *source = NULL;
  g_autofree char   *build = NULL;
  g_autofree char   *code = NULL;
  g_autofree char   *meson = NULL;
  g_autofree char   *stanza = NULL;
  g_autofree char   *project = NULL;
  g_autofree char   *library = NULL;
  g_autofree char   *yaml = NULL;
  const Kind        *kind = NULL;
  const char        *name, *dir;
  gboolean           have_build;

  context = g_option_context_new ("activation|loss|optimizer|layer NAME [DIR] - start a plugin");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc < 3 || argc > 4)
    return nnrun_usage_error (context, "new-plugin needs a kind, a NAME and at most one DIR");

  name = argv[2];
  dir = argc == 4 ? argv[3] : name;
  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    if (g_str_equal (argv[1], kinds[k].kind))
      kind = &kinds[k];
  if (kind == NULL)
    return nnrun_usage_error (context,
                              "the kind of plugin is 'activation', 'loss', 'optimizer' or "
                              "'layer'");
  if (!valid_plugin_name (name))
    {
      g_printerr ("nnrun: '%s' cannot name a plugin: use lower-case letters, digits and "
                  "single underscores, starting with a letter (like leaky_relu)\n",
                  name);
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
  code = render_template (kind->template, name, kind->kind);
  stanza = render_template ("plugin.meson", name, kind->kind);
  project = render_template ("project.meson", name, kind->kind);
  meson = g_strconcat (project, stanza, NULL);
  have_build = g_file_test (build, G_FILE_TEST_EXISTS);
  /* The source first: if it is there already, nothing is written; if the
   * build file cannot take it, the source goes again. */
  if (!write_new_file (source, code, &error))
    {
      g_printerr ("nnrun: %s\n", error->message);
      return g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_EXIST)
               ? EXIT_BAD_INPUT
               : EXIT_RUN_FAILED;
    }
  if (!(have_build ? append_to_meson_build (build, source_name, stanza, &error)
                   : write_new_file (build, meson, &error)))
    {
      g_unlink (source);
      g_printerr ("nnrun: %s\n", error->message);
      return g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_EXIST)
               ? EXIT_BAD_INPUT
               : EXIT_RUN_FAILED;
    }

  library = g_build_filename (dir, name, NULL);
  g_print ("Wrote %s and %s%s: %s, %s.\n\n", source, have_build ? "added it to " : "",
           build, kind->article, kind->what);
  g_print ("Edit %s, then build and check it:\n"
           "  cc -shared -fPIC %s $(pkg-config --cflags --libs nncore) -o %s.so\n"
           "  nnrun check-plugin %s.so\n\n",
           kind->edit, source, library, library);
  g_print ("Then put its folder, %s, in an experiment's plugins: list or in NN_PLUGIN_PATH,\n"
           "and name it like a built-in:\n",
           dir);
  yaml = render (kind->yaml, name, kind->kind);
  g_print ("%s", yaml);
  return EXIT_OK;
}
