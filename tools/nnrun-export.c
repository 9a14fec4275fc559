/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun export: a saved model for use outside nn. */
#include "config.h"

#include <nn.h>

#include "nnrun-commands.h"

int
nnrun_cmd_export (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnPipeline) pipeline = NULL;
  g_autofree char *format = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) plugin_dirs = NULL;
  const GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, "onnx", "FORMAT" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "The file to write (default: model.onnx)",
      "PATH" },
    { "plugins", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_dirs,
      "Look for plugins in DIR too, after NN_PLUGIN_PATH (repeatable)", "DIR" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("RUN_DIR|MODEL.yaml - a saved model for use outside nn");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc != 2)
    return nnrun_usage_error (context, "export takes a model");
  if (format == NULL || !g_str_equal (format, "onnx"))
    return nnrun_usage_error (context, "--format must be onnx");

  for (guint i = 0; plugin_dirs != NULL && plugin_dirs[i] != NULL; i++)
    if (!nn_plugins_add_directory (plugin_dirs[i], &error))
      return nnrun_fail (error);
  pipeline = nn_pipeline_load (argv[1], &error);
  nnrun_report_plugin_problems (FALSE);
  if (pipeline == NULL)
    return nnrun_fail (error);
  if (!nn_export_onnx (pipeline, out != NULL ? out : "model.onnx", &error))
    return nnrun_fail (error);
  return EXIT_OK;
}
