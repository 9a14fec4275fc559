/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A sweep's trials read as experiments before any of them runs, so a bad
 * combination of values fails at once, not at trial 37. */
#include "config.h"

#include <string.h>

#include "nn-early-stopping.h"
#include "nn-errors.h"
#include "nn-experiment-private.h"
#include "nn-sweep-private.h"
#include "nn-utils-private.h"

/* The experiment's error for @trial, at the place of the sweep file that
 * gave the value it refused, with the trial's values. */
static void
set_trial_error (NnSweep      *self,
                 guint         trial,
                 const GError *cause,
                 GError      **error)
{
  NnSweepTrial    *t = self->trials->pdata[trial];
  yaml_node_t     *node = self->experiment_node;
  const char      *message = cause->message;
  g_autofree char *values = NULL;
  g_autofree char *folds = g_strdup_printf ("--set data.split.folds=%u: error: ", self->folds);

  if (self->folds > 0 && g_str_has_prefix (message, folds))
    {
      message += strlen (folds);
      if (self->doc == NULL)
        {
          /* A cross-validation of nnrun cv: the folds come from its command line. */
          g_set_error (error, cause->domain, cause->code, "--folds %u: error: %s", self->folds,
                       message);
          return;
        }
      node = self->folds_node;
    }
  else if (self->doc == NULL)
    {
      g_propagate_error (error, g_error_copy (cause));
      return;
    }
  values = nn_sweep_describe_trial (self, trial);
  for (guint p = 0; node == self->experiment_node && p < self->params->len; p++)
    {
      NnSweepParam    *param = self->params->pdata[p];
      g_autofree char *prefix = g_strdup_printf ("--set %s=%s: error: ", param->key,
                                                 t->values[p]);

      if (g_str_has_prefix (message, prefix))
        {
          node = cause->code == NN_CONFIG_ERROR_UNKNOWN_KEY ? param->key_node : t->nodes[p];
          message += strlen (prefix);
          break;
        }
    }
  nn_yaml_set_error (error, self->doc, node,
                     cause->domain == NN_CONFIG_ERROR ? cause->code : NN_CONFIG_ERROR_FAILED,
                     "trial %u (%s): %s", trial, values, message);
}

/* The final metrics of a run, as history.csv names them, with the metric
 * that ranks the trials among them. */
static gboolean
check_metric (NnSweep      *self,
              NnExperiment *experiment,
              GError      **error)
{
  const char * const *columns = nn_experiment_get_history_columns (experiment);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_autoptr(GPtrArray) bases = g_ptr_array_new ();
  const char *prefixes[] = { "", "val_", "test_" };
  gboolean    present[] = { TRUE, experiment->val != NULL, experiment->test != NULL };
  g_autoptr(NnEarlyStopping) stopping = NULL;
  const char *name;

  g_ptr_array_add (bases, (gpointer) "loss");
  for (guint c = 3; columns[c] != NULL && columns[c + 1] != NULL &&
                    !g_str_equal (columns[c], "learning_rate");
       c += 2)
    g_ptr_array_add (bases, (gpointer) columns[c]);
  for (guint s = 0; s < G_N_ELEMENTS (prefixes); s++)
    for (guint m = 0; present[s] && m < bases->len; m++)
      {
        g_autofree char *column = g_strconcat (prefixes[s], bases->pdata[m], NULL);

        g_strv_builder_add (b, column);
      }
  g_strfreev (self->metric_columns);
  self->metric_columns = g_strv_builder_end (b);

  if (self->metric == NULL)
    self->metric = g_strdup (experiment->val != NULL ? "val_loss" : "loss");
  if (!g_strv_contains ((const char * const *) self->metric_columns, self->metric))
    {
      const char      *hint = nn_suggest (self->metric, (const char      *const *) self->metric_columns);
      g_autofree char *list = nn_strjoin_quoted ((const char * const *) self->metric_columns);

      nn_yaml_set_error (error, self->doc, self->metric_node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "unknown metric '%s'%s%s%s %s",
                         self->metric, hint ? "; did you mean '" : "", hint ? hint : "",
                         hint ? "'? Its runs give" : "; its runs give", list);
      return FALSE;
    }
  if (self->goal != 0)
    {
      self->greater_is_better = self->goal == 2;
      return TRUE;
    }
  name = g_str_has_prefix (self->metric, "test_") ? self->metric + 5 : self->metric;
  stopping = nn_early_stopping_new (name);
  self->greater_is_better = nn_early_stopping_get_greater_is_better (stopping);
  return TRUE;
}

/**
 * nn_sweep_check:
 * @self: a sweep
 * @error: return location for a #NN_CONFIG_ERROR naming the place of the
 *   sweep file that gave the value refused
 *
 * Reads the experiment with the values of every trial, as its first run
 * would, and checks the metric against the metrics its runs give.
 *
 * Returns: %TRUE if every trial is an experiment that can run
 */
gboolean
nn_sweep_check (NnSweep *self,
                GError **error)
{
  g_auto(NnExperimentData) data = { 0 };

  g_return_val_if_fail (NN_IS_SWEEP (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Trials that read the same data read it once. */
  for (guint t = 0; t < self->trials->len; t++)
    {
      g_auto(GStrv) overrides = nn_sweep_get_fold_overrides (self, t, 0, 0);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(NnExperiment) experiment = nn_experiment_new_from_file_reusing (
        self->experiment_path, (const char * const *) overrides, &data, &local_error);

      if (experiment == NULL)
        {
          set_trial_error (self, t, local_error, error);
          return FALSE;
        }
      if (t > 0)
        continue;
      self->experiment_seed = experiment->seed;
      if (!self->has_seed && self->experiment_seed + self->repeats - 1 > G_MAXUINT32 &&
          self->doc == NULL)
        {
          g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                       "the experiment's seed plus --repeats passes %u", G_MAXUINT32);
          return FALSE;
        }
      if (!self->has_seed && self->experiment_seed + self->repeats - 1 > G_MAXUINT32)
        {
          nn_yaml_set_error (error, self->doc, nn_yaml_root (self->doc),
                             NN_CONFIG_ERROR_INVALID_VALUE,
                             "the experiment's seed plus repeats passes %u; give the "
                             "sweep a seed",
                             G_MAXUINT32);
          return FALSE;
        }
      if (!check_metric (self, experiment, error))
        return FALSE;
    }
  return TRUE;
}

/**
 * nn_sweep_trial_to_yaml:
 * @self: a sweep checked with [method@Nn.Sweep.check]
 * @trial: a trial, from 0
 * @error: return location for a #GError
 *
 * Resolves the experiment of a trial's first run, as `nnrun validate` prints
 * it.
 *
 * Returns: (transfer full): the experiment of @trial's first run,
 *   resolved, as nnrun validate prints it; %NULL on error
 */
char *
nn_sweep_trial_to_yaml (NnSweep *self,
                        guint    trial,
                        GError **error)
{
  g_auto(GStrv) overrides = NULL;
  g_autoptr(NnExperiment) experiment = NULL;

  g_return_val_if_fail (NN_IS_SWEEP (self), NULL);
  g_return_val_if_fail (trial < self->trials->len, NULL);

  overrides = nn_sweep_get_run_overrides (self, trial, 0);
  experiment = nn_experiment_new_from_file_full (self->experiment_path,
                                                 (const char * const *) overrides, error);
  return experiment != NULL ? nn_experiment_to_yaml (experiment) : NULL;
}
