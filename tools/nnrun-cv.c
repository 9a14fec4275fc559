/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun cv: the k-fold cross-validation of one experiment, a sweep of one
 * trial whose runs are its folds. */
#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "nnrun-commands.h"
#include "nnrun-sweep.h"

static void
print_cv_json (NnSweep   *sweep,
               GPtrArray *rows)
{
  const char * const *metrics = nn_sweep_get_metric_columns (sweep);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, "cv");
  json_builder_set_member_name (b, "folds");
  json_builder_add_int_value (b, nn_sweep_get_folds (sweep));
  json_builder_set_member_name (b, "repeats");
  json_builder_add_int_value (b, nn_sweep_get_repeats (sweep));
  json_builder_set_member_name (b, "metrics");
  json_builder_begin_object (b);
  for (guint m = 0; metrics[m] != NULL; m++)
    {
      double mean, std;
      guint  n;

      if (!nnrun_sweep_stats (sweep, rows, 0, m, &mean, &std, &n))
        continue;
      json_builder_set_member_name (b, metrics[m]);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "mean");
      json_builder_add_double_value (b, mean);
      json_builder_set_member_name (b, "std");
      json_builder_add_double_value (b, std);
      json_builder_set_member_name (b, "runs");
      json_builder_add_int_value (b, n);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

void
nnrun_cv_print (NnSweep   *sweep,
                GPtrArray *rows,
                gboolean   json)
{
  const char * const *metrics = nn_sweep_get_metric_columns (sweep);
  guint               runs = nn_sweep_get_folds (sweep) * nn_sweep_get_repeats (sweep);
  guint               width = strlen ("metric");

  if (json)
    {
      print_cv_json (sweep, rows);
      return;
    }
  for (guint m = 0; metrics[m] != NULL; m++)
    width = MAX (width, strlen (metrics[m]));
  g_print ("%-*s  %-12s  %-12s  %s\n", width, "metric", "mean", "std", "runs ok");
  for (guint m = 0; metrics[m] != NULL; m++)
    {
      double mean, std;
      guint  n;

      if (nnrun_sweep_stats (sweep, rows, 0, m, &mean, &std, &n))
        g_print ("%-*s  %-12.6g  %-12.6g  %u/%u\n", width, metrics[m], mean, std, n, runs);
      else
        g_print ("%-*s  %-12s  %-12s  0/%u\n", width, metrics[m], "-", "-", runs);
    }
}

/* runs/NAME-cv, from the experiment's own output.dir. */
static char *
default_output_dir (const char *path,
                    GError    **error)
{
  g_autoptr(NnExperiment) experiment = nn_experiment_new_from_file (path, error);

  if (experiment == NULL)
    return NULL;
  return g_strconcat (nn_experiment_get_output_dir (experiment), "-cv", NULL);
}

int
nnrun_cmd_cv (int    argc,
              char **argv)
{
  static const char summary[] =
    "Cross-validates an experiment: trains it once per fold, each time on\n"
    "the other folds, validating on the fold held out, as `nnrun train` runs\n"
    "in child processes. Prints the mean and standard deviation of every\n"
    "final metric over the folds; folds.csv in the output directory has a\n"
    "row per fold. Folds recorded already are skipped.";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnSweep) sweep = NULL;
  g_autofree char   *out = NULL;
  gint               folds = 0, repeats = 1, jobs = 0;
  gboolean           json = FALSE;
  const GOptionEntry entries[] = {
    { "folds", 'k', 0, G_OPTION_ARG_INT, &folds, "The number of folds, at least 2 (required)",
      "K" },
    { "repeats", 'r', 0, G_OPTION_ARG_INT, &repeats,
      "Cross-validations, each with the next seed and its own shuffle (default 1)", "R" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Runs at once (default: one per core)", "N" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
      "The output directory (default: the experiment's output.dir and -cv)", "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print one JSON object per fold and one for the mean and standard deviation", NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("EXPERIMENT.yaml - k-fold cross-validation");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc != 2)
    return nnrun_usage_error (context, argc < 2 ? "cv needs an experiment file"
                                                : "cv takes one experiment file");
  if (folds == 0)
    return nnrun_usage_error (context, "cv needs --folds K, K at least 2");
  if (folds < 2 || (guint) folds > NN_SWEEP_MAX_FOLDS)
    return nnrun_usage_error (context, "--folds must be at least 2 and at most 1000");
  if (repeats < 1 || repeats > 1000)
    return nnrun_usage_error (context, "--repeats must be between 1 and 1000");
  if (jobs < 0 || jobs > 1024)
    return nnrun_usage_error (context, "-j must be between 1 and 1024");
  if (nnrun_load_plugins (TRUE, &error) &&
      (out != NULL || (out = default_output_dir (argv[1], &error)) != NULL))
    sweep = nn_sweep_new_cv (argv[1], (guint) folds, (guint) repeats, out);
  if (sweep != NULL && !nn_sweep_check (sweep, &error))
    g_clear_object (&sweep);
  return nnrun_sweep_execute (sweep, error, (guint) jobs, -1, json);
}
