/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include <nn.h>
#include <nn-export.h>

#include "nnrun-commands.h"

/* The name of a saved model: its run directory's, or the directory of
 * MODEL.yaml's. */
static char *
model_name (const char *path)
{
  g_autofree char *dir = g_file_test (path, G_FILE_TEST_IS_DIR) ? g_strdup (path)
                                                                : g_path_get_dirname (path);
  g_autofree char *abs = g_canonicalize_filename (dir, NULL);
  g_autofree char *base = g_path_get_basename (abs);

  return nn_export_c_identifier (base);
}

static int
export_c (NnPipeline *pipeline,
          const char *model,
          const char *name,
          const char *out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = name != NULL ? nn_export_c_identifier (name) : model_name (model);
  g_autofree char *path = out == NULL                    ? g_strconcat (id, ".c", NULL)
                          : g_str_has_suffix (out, ".c") ? g_strdup (out)
                                                         : g_strconcat (out, ".c", NULL);

  if (!nn_export_c (pipeline, id, path, &error))
    {
      g_prefix_error (&error, "%s: ", path);
      return nnrun_fail (error);
    }
  g_print ("%s\n", path);
  return EXIT_OK;
}

static int
export_onnx (NnPipeline *pipeline,
             const char *out)
{
  g_autoptr(GError) error = NULL;

  if (!nn_export_onnx (pipeline, out != NULL ? out : "model.onnx", &error))
    return nnrun_fail (error);
  return EXIT_OK;
}

int
nnrun_cmd_export (int    argc,
                  char **argv)
{
  static const char summary[] =
    "Writes a saved model for use outside nn, its preprocessing included:\n"
    "  onnx  one ONNX file (default model.onnx)\n"
    "  c     a C99 source and header (PATH.c, PATH.h; default NAME.c), nothing\n"
    "        beyond libm: int NAME_predict(const float *features, float *outputs)\n"
    "NAME is the run directory's name, made a C identifier, unless --name.";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnPipeline) pipeline = NULL;
  g_autofree char *format = NULL;
  g_autofree char *out = NULL;
  g_autofree char *name = NULL;
  g_auto(GStrv) plugin_dirs = NULL;
  const GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, "What to write: onnx or c", "FORMAT" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Where to write it", "PATH" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "The C prefix of the names (c)", "NAME" },
    { "plugins", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_dirs,
      "Look for plugins in DIR too, after NN_PLUGIN_PATH (repeatable)", "DIR" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("RUN_DIR|MODEL.yaml --format onnx|c - a saved model for use outside nn");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc != 2)
    return nnrun_usage_error (context, "export takes one saved model");
  if (format == NULL)
    return nnrun_usage_error (context, "export needs --format onnx or c");

  for (guint i = 0; plugin_dirs != NULL && plugin_dirs[i] != NULL; i++)
    if (!nn_plugins_add_directory (plugin_dirs[i], &error))
      return nnrun_fail (error);
  pipeline = nn_pipeline_load (argv[1], &error);
  nnrun_report_plugin_problems (FALSE);
  if (pipeline == NULL)
    return nnrun_fail (error);

  if (g_str_equal (format, "onnx"))
    return export_onnx (pipeline, out);
  if (g_str_equal (format, "c"))
    return export_c (pipeline, argv[1], name, out);
  return nnrun_usage_error (context, "--format is onnx or c");
}
