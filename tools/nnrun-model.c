/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <nn.h>
#include <nn-json.h>

#include "nnrun-commands.h"
#include "nnrun-model.h"

/* A CSV field, quoted when it holds a comma, a quote or a line break. */
static void
append_field (GString    *out,
              const char *text)
{
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/* The shortest decimal that reads back as the same nn_real. */
static void
append_real (GString *out,
             nn_real  value)
{
  g_autofree char *text = nn_param_format_real (value);

  g_string_append (out, text);
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
  g_auto(GStrv) metrics = NULL;
  gboolean           json = FALSE;
  NnModel           *model;
  const NnMatrix    *targets;
  NnTask             task;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the results as one JSON object", NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("RUN_DIR|MODEL.yaml DATA - metrics of a saved model on data");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc != 3)
    return nnrun_usage_error (context, "eval takes a model and a data set");

  pipeline = nn_pipeline_load (argv[1], &error);
  nnrun_report_plugin_problems (FALSE);
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
        nn_json_builder_add_number (b, "loss", nn_loss_compute (nn_model_get_loss (model), pred, targets));
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
    g_print ("loss %.6g\n", nn_loss_compute (nn_model_get_loss (model), pred, targets));
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
    "preprocessing, and writes CSV on standard output: the predicted label (or\n"
    "value) of each row and, for classification, a probability column per class.";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnPipeline) pipeline = NULL;
  g_autoptr(NnDataset) raw = NULL;
  g_autoptr(NnMatrix) pred = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) labels = NULL;
  const char * const *targets;
  NnTask              task;

  context = g_option_context_new ("RUN_DIR|MODEL.yaml INPUT.csv - predictions of a saved model");
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc != 3)
    return nnrun_usage_error (context, "predict takes a model and a CSV file");

  pipeline = nn_pipeline_load (argv[1], &error);
  nnrun_report_plugin_problems (FALSE);
  if (pipeline == NULL)
    return nnrun_fail (error);
  raw = nn_pipeline_read_csv (pipeline, argv[2], FALSE, &error);
  if (raw == NULL)
    return nnrun_fail (error);
  pred = nn_pipeline_predict_dataset (pipeline, raw);
  task = nn_pipeline_get_task (pipeline);
  labels = nn_pipeline_get_output_labels (pipeline);
  targets = nn_pipeline_get_target_names (pipeline);

  /* Header: the prediction, then one probability column per class. */
  if (task == NN_TASK_REGRESSION)
    for (guint c = 0; targets[c] != NULL; c++)
      {
        if (c > 0)
          g_string_append_c (out, ',');
        append_field (out, targets[c]);
      }
  else
    {
      append_field (out, targets[0]);
      for (guint k = 0; labels[k] != NULL; k++)
        {
          g_string_append_c (out, ',');
          append_field (out, labels[k]);
        }
    }
  g_string_append_c (out, '\n');

  for (guint r = 0; r < pred->rows; r++)
    {
      if (task == NN_TASK_REGRESSION)
        for (guint c = 0; c < pred->cols; c++)
          {
            if (c > 0)
              g_string_append_c (out, ',');
            append_real (out, NN_MATRIX_AT (pred, r, c));
          }
      else if (task == NN_TASK_BINARY)
        {
          nn_real p = NN_MATRIX_AT (pred, r, 0);
          append_field (out, labels[p >= 0.5 ? 1 : 0]);
          g_string_append_c (out, ',');
          append_real (out, 1 - p);
          g_string_append_c (out, ',');
          append_real (out, p);
        }
      else
        {
          guint best = 0;
          for (guint c = 1; c < pred->cols; c++)
            if (NN_MATRIX_AT (pred, r, c) > NN_MATRIX_AT (pred, r, best))
              best = c;
          append_field (out, labels[best]);
          for (guint c = 0; c < pred->cols; c++)
            {
              g_string_append_c (out, ',');
              append_real (out, NN_MATRIX_AT (pred, r, c));
            }
        }
      g_string_append_c (out, '\n');
    }
  nnrun_write_stdout (out->str, out->len);
  return 0;
}
