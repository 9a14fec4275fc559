/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <nn.h>
#include <nn-json.h>

#include "nnrun-commands.h"
#include "nnrun-model.h"

/* Loads a saved model, with the plugin folders of --plugins searched as an
 * experiment's plugins: are, and reports the plugins that failed to load. */
static NnPipeline *
load_pipeline (const char         *path,
               const char * const *plugin_dirs,
               GError            **error)
{
  NnPipeline *pipeline;

  for (guint i = 0; plugin_dirs != NULL && plugin_dirs[i] != NULL; i++)
    if (!nn_plugins_add_directory (plugin_dirs[i], error))
      return NULL;
  pipeline = nn_pipeline_load (path, error);
  nnrun_report_plugin_problems (FALSE);
  return pipeline;
}

/*
 * DATA as nnrun eval takes it: `iris`, a CSV file (with the model's target
 * columns), or a source as an experiment writes it, in YAML:
 * `{idx: {images: FILE, labels: FILE}}`, `{csv: FILE, target: y}`.
 */
static NnDataset *
load_data (NnPipeline *pipeline,
           const char *data,
           GError    **error)
{
  const char * const *features = nn_pipeline_get_feature_names (pipeline);

  if (g_str_equal (data, "iris"))
    {
      /* The built-in table, with the model's own target columns. */
      g_autofree char *targets = g_strjoinv ("', '", (GStrv) nn_pipeline_get_target_names (pipeline));
      g_autofree char *text = g_strdup_printf ("{builtin: iris, target: ['%s']}", targets);

      return nn_dataset_new_from_source_text ("iris", text, features, error);
    }
  if (g_file_test (data, G_FILE_TEST_IS_REGULAR))
    return nn_pipeline_read_csv (pipeline, data, TRUE, error);
  if (strchr (data, '{') != NULL)
    return nn_dataset_new_from_source_text ("DATA", data, features, error);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "DATA '%s' is neither 'iris', an existing CSV file, nor a source such as "
               "'{idx: {images: FILE, labels: FILE}}'",
               data);
  return NULL;
}

int
nnrun_cmd_eval (int    argc,
                char **argv)
{
  static const char summary[] =
    "DATA is 'iris', a CSV file with the model's feature and target columns, or a\n"
    "source as in an experiment file, e.g. '{idx: {images: FILE, labels: FILE}}'.\n"
    "Prints the loss and every metric of the model's task.";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnPipeline) pipeline = NULL;
  g_autoptr(NnDataset) raw = NULL;
  g_autoptr(NnDataset) data = NULL;
  g_autoptr(NnMatrix) pred = NULL;
  g_autoptr(NnMatrix) scaled_targets = NULL;
  g_auto(GStrv) metrics = NULL;
  g_auto(GStrv) plugin_dirs = NULL;
  gboolean           json = FALSE;
  NnModel           *model;
  const NnMatrix    *targets;
  NnTask             task;
  double             loss = 0;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the results as one JSON object", NULL },
    { "plugins", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_dirs,
      "Look for plugins in DIR too, after NN_PLUGIN_PATH (repeatable)", "DIR" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("RUN_DIR|MODEL.yaml DATA - metrics of a saved model on data");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc != 3)
    return nnrun_usage_error (context, "eval takes a model and a data set");

  pipeline = load_pipeline (argv[1], (const char * const *) plugin_dirs, &error);
  if (pipeline == NULL)
    return nnrun_fail (error);
  raw = load_data (pipeline, argv[2], &error);
  if (raw == NULL)
    return nnrun_fail (error);
  data = nn_pipeline_prepare (pipeline, raw, &error);
  if (data == NULL)
    {
      g_prefix_error (&error, "%s: error: ", argv[2]);
      return nnrun_fail (error);
    }

  model = nn_pipeline_get_model (pipeline);
  task = nn_pipeline_get_task (pipeline);
  pred = nn_model_predict (model, nn_dataset_get_features (data));
  targets = nn_dataset_get_targets (data);
  metrics = nn_metrics_list (task);
  /* The loss on the targets as the model learnt them, the metrics in the
   * targets' own units, as a run reports them. */
  scaled_targets = nn_matrix_copy (targets);
  if (nn_pipeline_get_target_scaler (pipeline) != NULL)
    nn_scaler_transform (nn_pipeline_get_target_scaler (pipeline), scaled_targets);
  if (nn_model_get_loss (model) != NULL)
    loss = nn_loss_compute (nn_model_get_loss (model), pred, scaled_targets);
  if (nn_pipeline_get_target_scaler (pipeline) != NULL)
    nn_scaler_inverse_transform (nn_pipeline_get_target_scaler (pipeline), pred);

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "samples");
      json_builder_add_int_value (b, nn_dataset_get_n_samples (data));
      if (nn_model_get_loss (model) != NULL)
        nn_json_builder_add_number (b, "loss", loss);
      for (guint m = 0; metrics[m] != NULL; m++)
        nn_json_builder_add_number (b, metrics[m], nn_metric_compute (metrics[m], task, pred, targets));
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      text = json_generator_to_data (gen, NULL);
      g_print ("%s\n", text);
      return 0;
    }

  g_print ("samples %u\n", nn_dataset_get_n_samples (data));
  if (nn_model_get_loss (model) != NULL)
    g_print ("loss %.6g\n", loss);
  for (guint m = 0; metrics[m] != NULL; m++)
    g_print ("%s %.6g\n", metrics[m],
             nn_metric_compute (metrics[m], task, pred, targets));
  return 0;
}

int
nnrun_cmd_predict (int    argc,
                   char **argv)
{
  static const char summary[] =
    "Reads raw (unscaled) rows with the model's feature columns, applies the saved\n"
    "preprocessing, and writes CSV on standard output: the model's id column, when\n"
    "the input has it, then the predicted label (or value, in the target's units)\n"
    "of each row as predicted_TARGET and, for classification, a probability column\n"
    "p_LABEL per class (unless --no-proba).";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnPipeline) pipeline = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) plugin_dirs = NULL;
  gboolean           proba = TRUE;
  const GOptionEntry entries[] = {
    { "proba", 0, 0, G_OPTION_ARG_NONE, &proba,
      "Print a probability column per class (the default)", NULL },
    { "no-proba", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &proba,
      "Print the predicted label alone", NULL },
    { "plugins", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &plugin_dirs,
      "Look for plugins in DIR too, after NN_PLUGIN_PATH (repeatable)", "DIR" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("RUN_DIR|MODEL.yaml INPUT.csv - predictions of a saved model");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc != 3)
    return nnrun_usage_error (context, "predict takes a model and a CSV file");

  pipeline = load_pipeline (argv[1], (const char * const *) plugin_dirs, &error);
  if (pipeline == NULL)
    return nnrun_fail (error);
  text = nn_pipeline_predict_csv_file (pipeline, argv[2], proba, &error);
  if (text == NULL)
    return nnrun_fail (error);
  nnrun_write_stdout (text, strlen (text));
  return 0;
}
