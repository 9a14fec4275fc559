/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "nn-checkpoint.h"
#include "nn-checkpoint-private.h"
#include "nn-errors.h"
#include "nn-experiment-callbacks-private.h"
#include "nn-experiment-diff-private.h"
#include "nn-history-log-private.h"
#include "nn-pipeline-private.h"
#include "nn-experiment-private.h"
#include "nn-json.h"
#include "nn-metrics.h"
#include "nn-utils-private.h"

/* ---- metrics ------------------------------------------------------------- */

/* Loss and every metric of @data under the current weights, in the order of
 * the history columns: loss first, then the metrics. */
static gboolean
measure (NnExperiment *self,
         NnDataset    *data,
         double       *out,
         GError      **error)
{
  return nn_experiment_measure (self->model, self->task, (const char * const *) self->metrics,
                                self->target_scaler, data, out, error);
}

/* ---- running ------------------------------------------------------------- */

/* The targets of @data as the model learns them. */
static NnMatrix *
scaled_targets (NnExperiment *self,
                NnDataset    *data)
{
  NnMatrix *y = nn_matrix_copy (nn_dataset_get_targets (data));

  if (self->target_scaler != NULL)
    nn_scaler_transform (self->target_scaler, y);
  return y;
}

static void
build_columns (NnExperiment *self)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  g_strv_builder_add (b, "epoch");
  g_strv_builder_add (b, "loss");
  g_strv_builder_add (b, "val_loss");
  for (guint m = 0; self->metrics[m] != NULL; m++)
    {
      g_autofree char *val = g_strconcat ("val_", self->metrics[m], NULL);
      g_strv_builder_add (b, self->metrics[m]);
      g_strv_builder_add (b, val);
    }
  g_strv_builder_add (b, "learning_rate");
  g_strv_builder_add (b, "seconds");
  g_strfreev (self->columns);
  self->columns = g_strv_builder_end (b);
}

/* ---- the run directory --------------------------------------------------- */

/* Locks the run directory, unless a resume did, and creates the staging
 * directory of a run (see nn-run-dir.c). */
static gboolean
stage (NnExperiment *self,
       GError      **error)
{
  if (self->run_dir != NULL &&
      !g_str_equal (nn_run_dir_get_path (self->run_dir), self->output_dir))
    g_clear_pointer (&self->run_dir, nn_run_dir_close);
  if (self->run_dir == NULL &&
      (self->run_dir = nn_run_dir_open (self->output_dir, TRUE, error)) == NULL)
    return FALSE;
  if (!nn_run_dir_stage (self->run_dir, error))
    {
      g_clear_pointer (&self->run_dir, nn_run_dir_close);
      return FALSE;
    }
  g_free (self->staging_dir);
  self->staging_dir = g_strdup (nn_run_dir_get_staging (self->run_dir));
  return TRUE;
}

/* The run's files go from the staging directory, but its checkpoint, the
 * newest there is; the run directory is let go. */
static gboolean
discard_staged (NnExperiment *self)
{
  gboolean kept = nn_run_dir_discard (self->run_dir);

  g_clear_pointer (&self->run_dir, nn_run_dir_close);
  g_clear_pointer (&self->staging_dir, g_free);
  return kept;
}

/* Fails the run, and @error says that the run directory kept what it had
 * and where the checkpoint to resume from is. */
static gboolean
fail_staged (NnExperiment *self,
             GError      **error)
{
  g_autofree char *staging = g_strdup (self->staging_dir);
  gboolean         kept;

  if (self->staging_dir == NULL)
    return FALSE;
  kept = discard_staged (self);
  if (error != NULL && *error != NULL)
    {
      char *message = g_strdup_printf ("%s; %s was left as it was%s%s", (*error)->message,
                                       self->output_dir,
                                       kept ? "; the checkpoint to resume from is in " : "",
                                       kept ? staging : "");
      g_free ((*error)->message);
      (*error)->message = message;
    }
  return FALSE;
}

/* A commit that failed keeps the staging directory, with the files not
 * yet moved. */
static gboolean
commit_staged (NnExperiment *self,
               GError      **error)
{
  if (!nn_run_dir_commit (self->run_dir, error))
    return FALSE;
  g_clear_pointer (&self->run_dir, nn_run_dir_close);
  g_clear_pointer (&self->staging_dir, g_free);
  return TRUE;
}

/* What only the experiment knows goes with the model's own state: the
 * experiment itself, the history so far (see nn-history-log.c) and the
 * early-stopping state. @whole: the run's last checkpoint, which holds
 * its whole history. */
static gboolean
write_checkpoint (NnExperiment *self,
                  gboolean      whole,
                  GError      **error)
{
  g_autofree char *path = g_build_filename (self->staging_dir, NN_RUN_DIR_CHECKPOINT_FILE, NULL);
  GVariantBuilder  b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "columns",
                         g_variant_new_strv ((const char * const *) self->columns, -1));
  g_variant_builder_add (&b, "{sv}", "experiment", g_variant_new_string (self->run_config));
  if (self->early_stopping != NULL)
    {
      g_autoptr(GVariant) state = nn_early_stopping_save_state (self->early_stopping);
      g_variant_builder_add (&b, "{sv}", "early_stopping", state);
    }
  if (!nn_history_log_checkpoint (self->history_log, path, self->trainer, &b, self->history,
                                  self->epochs_run, whole, error))
    return FALSE;
  nn_run_dir_checkpoint_saved (self->run_dir);
  return TRUE;
}

/* The last checkpoint of a run that diverged goes into the run directory
 * as it is, but for its history, which it then holds itself. */
static gboolean
finish_checkpoint (NnExperiment *self,
                   GError      **error)
{
  g_autofree char *path = g_build_filename (self->staging_dir, NN_RUN_DIR_CHECKPOINT_FILE, NULL);

  return nn_history_log_finish (self->history_log, path, self->history, error);
}

static gboolean
write_periodic_checkpoint (gpointer self,
                           GError **error)
{
  return write_checkpoint (self, FALSE, error);
}

/* The history so far, for those who follow the run. */
static gboolean
write_live_history (gpointer data,
                    GError **error)
{
  NnExperiment *self = data;

  nn_history_log_live (self->history_log, self->history, self->epochs_run);
  return TRUE;
}

/* Refuses a resume of a run started with another experiment: only keys
 * that leave the epochs done as they were may change (nn-experiment-diff.c).
 * Read before the checkpoint is loaded: the learning rate is then still
 * the one the experiment gives, not the one a schedule had reached. */
static gboolean
check_same_experiment (NnExperiment *self,
                       const char   *path,
                       GVariant     *extra,
                       GError      **error)
{
  g_autofree char *now = nn_experiment_write_yaml (self, error);
  const char      *then = NULL;

  if (now == NULL)
    return FALSE;
  g_free (self->run_config);
  self->run_config = g_strdup (now);
  if (extra == NULL || !g_variant_lookup (extra, "experiment", "&s", &then))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
                   "%s: error: the checkpoint does not record the experiment of its run",
                   path);
      return FALSE;
    }
  return nn_experiment_diff_check (path, then, now, error);
}

/**
 * nn_experiment_resume:
 * @self: a [class@Nn.Experiment], as read from the same file as the run
 * @run_dir: the directory of an earlier run of it
 * @error: return location for a #GError
 *
 * Loads the checkpoint of @run_dir (weights, optimizer state, epochs done,
 * history, early-stopping state) and makes @run_dir the output directory, so
 * that [method@Nn.Experiment.run] trains the remaining epochs. The run ends
 * with exactly the weights and history of the same run left uninterrupted.
 *
 * The checkpoint is `checkpoint.nnckpt` in the staging directory
 * `RUN_DIR.partial` when there is one there (a run killed outright or one
 * that failed left it, and it is the newest), else the one in @run_dir. The
 * run directory is locked from here on, as by [method@Nn.Experiment.run]: a run
 * that holds it fails this with %G_IO_ERROR_BUSY. The resumed run stages
 * its files afresh, starting with that checkpoint, which stays until the
 * new one replaces it, and replaces @run_dir's files as any run does.
 *
 * Nothing is loaded unless the checkpoint is whole (its checksum, and that
 * of the history rows it relies on, `history.rows` beside it) and of a run
 * of this very experiment: the experiment it records is compared key by
 * key with @self, and only `train.epochs`, `train.checkpoint_every`, `name`
 * and `output.*` may differ; the error lists every other difference, one
 * a line, as `KEY: OLD when the run started, NEW now`.
 *
 * Returns: %TRUE, or %FALSE with @error set (%NN_MODEL_ERROR_INVALID_FILE
 *   for a checkpoint that is damaged or does not belong to this experiment)
 */
gboolean
nn_experiment_resume (NnExperiment *self,
                      const char   *run_dir,
                      GError      **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GVariant) file = NULL;
  g_autoptr(GVariant) extra = NULL;
  g_autoptr(GVariant) es_state = NULL;
  g_autoptr(GArray) rows = NULL;
  g_autoptr(NnRunDir) run = NULL;
  guint done, n_cols;

  g_return_val_if_fail (NN_IS_EXPERIMENT (self), FALSE);
  g_return_val_if_fail (run_dir != NULL, FALSE);
  g_return_val_if_fail (self->staging_dir == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* The run directory an earlier resume locked. */
  g_clear_pointer (&self->run_dir, nn_run_dir_close);

  /* Checked again once the run directory is locked: the run that held it
   * may have moved its checkpoint meanwhile. */
  for (guint pass = 0; pass < 2; pass++)
    {
      g_free (path);
      if ((path = nn_run_dir_find_checkpoint (run_dir)) == NULL)
        {
          g_autofree char *missing = g_build_filename (run_dir, NN_RUN_DIR_CHECKPOINT_FILE,
                                                       NULL);

          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
                       "%s: error: no checkpoint to resume from", missing);
          return FALSE;
        }
      if (pass == 0 && (run = nn_run_dir_open (run_dir, FALSE, error)) == NULL)
        return FALSE;
    }
  /* Everything is checked before anything is loaded. */
  build_columns (self);
  n_cols = g_strv_length (self->columns);
  if ((file = nn_checkpoint_read (path, error)) == NULL ||
      !check_same_experiment (self, path, (extra = nn_checkpoint_get_extra (file)), error) ||
      (rows = nn_history_log_read (path, file, extra, (const char * const *) self->columns,
                                   error)) == NULL ||
      !nn_checkpoint_apply (path, file, self->trainer, error))
    {
      if (error != NULL && *error != NULL && (*error)->domain == NN_MODEL_ERROR)
        (*error)->code = NN_MODEL_ERROR_INVALID_FILE;
      return FALSE;
    }
  done = nn_trainer_get_epoch (self->trainer);
  nn_history_log_restore_losses (self->trainer, rows, n_cols);
  if (self->early_stopping != NULL)
    {
      es_state = g_variant_lookup_value (extra, "early_stopping", NULL);
      if (es_state == NULL ||
          !nn_early_stopping_load_state (self->early_stopping, es_state, self->model, error))
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
                         "%s: error: the checkpoint has no early-stopping state", path);
          return FALSE;
        }
    }

  g_array_set_size (self->history, 0);
  g_array_append_vals (self->history, rows->data, rows->len);
  self->epochs_run = done;
  self->seconds_before = done > 0 ? g_array_index (rows, double, (gsize) done *n_cols - 1) : 0;
  self->resumed = TRUE;
  nn_experiment_set_output_dir (self, run_dir);
  self->run_dir = g_steal_pointer (&run);
  return TRUE;
}

/* The shortest of these forms that reads back as the same double. */
static void
append_number (GString *s,
               double   v)
{
  static const char * const formats[] = { "%.15g", "%.16g", "%.17g" };
  char                      buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    return; /* an empty CSV field: no value */
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, sizeof buf, formats[i], v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (s, buf);
}

static gboolean
write_history (NnExperiment *self,
               GError      **error)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *header = g_strjoinv (",", self->columns);
  g_autofree char *path = g_build_filename (self->staging_dir, "history.csv", NULL);
  guint            n_cols = g_strv_length (self->columns);

  g_string_append (s, header);
  g_string_append_c (s, '\n');
  for (guint e = 0; e < self->epochs_run; e++)
    {
      for (guint c = 0; c < n_cols; c++)
        {
          if (c > 0)
            g_string_append_c (s, ',');
          append_number (s, g_array_index (self->history, double, e *n_cols + c));
        }
      g_string_append_c (s, '\n');
    }
  return nn_write_file_atomic (path, s->str, s->len, error);
}

static gboolean
write_summary (NnExperiment *self,
               GError      **error)
{
  static const char * const splits[] = { "train", "validation", "test" };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  g_autofree char *with_newline = NULL;
  g_autofree char *path = g_build_filename (self->staging_dir, "summary.json", NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, self->name);
  json_builder_set_member_name (b, "epochs_run");
  json_builder_add_int_value (b, self->epochs_run);
  json_builder_set_member_name (b, "stop_reason");
  json_builder_add_string_value (b, self->stop_reason);
  nn_json_builder_add_number (b, "seconds", self->seconds);
  json_builder_set_member_name (b, "final");
  json_builder_begin_object (b);
  for (guint s = 0; s < G_N_ELEMENTS (splits); s++)
    {
      g_autofree char *loss_key = g_strconcat (splits[s], "/loss", NULL);
      double          *loss = g_hash_table_lookup (self->final, loss_key);
      NnMatrix        *confusion;

      json_builder_set_member_name (b, splits[s]);
      if (loss == NULL)
        {
          json_builder_add_null_value (b);
          continue;
        }
      json_builder_begin_object (b);
      nn_json_builder_add_number (b, "loss", *loss);
      for (guint m = 0; self->metrics[m] != NULL; m++)
        {
          g_autofree char *key = g_strconcat (splits[s], "/", self->metrics[m], NULL);
          double          *v = g_hash_table_lookup (self->final, key);
          nn_json_builder_add_number (b, self->metrics[m], v ? *v : NAN);
        }
      if ((confusion = g_hash_table_lookup (self->confusion, splits[s])) != NULL)
        {
          /* Rows are the true classes, columns the predicted ones. */
          json_builder_set_member_name (b, "confusion_matrix");
          json_builder_begin_array (b);
          for (guint r = 0; r < confusion->rows; r++)
            {
              json_builder_begin_array (b);
              for (guint c = 0; c < confusion->cols; c++)
                json_builder_add_int_value (b, (gint64) NN_MATRIX_AT (confusion, r, c));
              json_builder_end_array (b);
            }
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  /* Which part predictions.csv holds, when the run wrote one. */
  if (self->predictions != NULL)
    {
      json_builder_set_member_name (b, "predictions");
      json_builder_add_string_value (b, self->predictions);
    }
  if (self->task != NN_TASK_REGRESSION)
    {
      const char * const *classes = nn_dataset_get_class_names (self->train);

      json_builder_set_member_name (b, "classes");
      json_builder_begin_array (b);
      if (self->task == NN_TASK_BINARY && self->positive != NULL)
        {
          /* A class made binary: 0 is every other class. */
          g_autofree char *others = g_strconcat ("not ", self->positive, NULL);
          json_builder_add_string_value (b, others);
          json_builder_add_string_value (b, self->positive);
        }
      else
        for (gsize k = 0; classes != NULL && classes[k] != NULL; k++)
          json_builder_add_string_value (b, classes[k]);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  with_newline = g_strconcat (text, "\n", NULL);
  return nn_write_file_atomic (path, with_newline, strlen (with_newline), error);
}

static void
record_final (NnExperiment *self)
{
  static const char * const splits[] = { "train", "validation", "test" };
  NnDataset                *sets[] = { self->train, self->val, self->test };
  guint                     n_metrics = g_strv_length (self->metrics);

  for (guint s = 0; s < G_N_ELEMENTS (splits); s++)
    {
      g_autofree double *v = g_new0 (double, n_metrics + 1);

      if (sets[s] == NULL || !measure (self, sets[s], v, NULL))
        continue;
      g_hash_table_insert (self->final, g_strconcat (splits[s], "/loss", NULL),
                           g_memdup2 (&v[0], sizeof (double)));
      for (guint m = 0; m < n_metrics; m++)
        g_hash_table_insert (self->final, g_strconcat (splits[s], "/", self->metrics[m], NULL),
                             g_memdup2 (&v[1 + m], sizeof (double)));
      if (self->task != NN_TASK_REGRESSION)
        {
          g_autoptr(NnMatrix) pred = nn_model_predict (self->model,
                                                        nn_dataset_get_features (sets[s]));
          g_hash_table_insert (self->confusion, (gpointer) splits[s],
                               nn_confusion_matrix (self->task, pred,
                                                    nn_dataset_get_targets (sets[s])));
        }
    }
}

/* The target columns as a saved model names them. */
static GStrv
target_names (NnExperiment *self)
{
  static const char * const iris[] = { "species", NULL };
  static const char * const idx[] = { "label", NULL };

  if (self->source.iris && self->source.targets == NULL)
    return g_strdupv ((char **) iris);
  if (self->source.images != NULL)
    return g_strdupv ((char **) idx);
  return g_strdupv (self->source.targets);
}

/**
 * nn_experiment_get_pipeline:
 * @self: a #NnExperiment
 *
 * The model with its preprocessing, as a run saves it.
 *
 * Returns: (transfer full): a new [class@Nn.Pipeline] sharing the experiment's
 *   model
 */
NnPipeline *
nn_experiment_get_pipeline (NnExperiment *self)
{
  g_auto(GStrv) targets = NULL;
  NnPipeline *pipeline;

  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  targets = target_names (self);
  if (self->transform != NULL && !nn_column_transform_is_identity (self->transform))
    {
      pipeline = nn_pipeline_new (self->model, self->scaler, self->task,
                                  nn_column_transform_get_input_names (self->transform),
                                  (const char * const *) targets,
                                  nn_dataset_get_class_names (self->train), self->positive);
      nn_pipeline_set_transform (pipeline, self->transform);
    }
  else
    pipeline = nn_pipeline_new (self->model, self->scaler, self->task,
                                nn_dataset_get_feature_names (self->train),
                                (const char * const *) targets,
                                nn_dataset_get_class_names (self->train), self->positive);
  nn_pipeline_set_target_scaler (pipeline, self->target_scaler);
  nn_pipeline_set_id_column (pipeline, self->source.id);
  return pipeline;
}

static gboolean
save_model (NnExperiment *self,
            GError      **error)
{
  g_autoptr(NnPipeline) pipeline = nn_experiment_get_pipeline (self);

  return nn_pipeline_save (pipeline, self->staging_dir, error);
}

/* What happens after each epoch of a run, in this order: its row of the
 * history, early stopping, the periodic checkpoint, the history so far
 * for those who follow the run, the epoch-finished signal. Returns them, added to the trainer. */
static GPtrArray *
add_run_callbacks (NnExperiment *self)
{
  GPtrArray *callbacks = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (callbacks,
                   nn_history_callback_new ((const char * const *) self->columns,
                                            (const char * const *) self->metrics, self->task,
                                            self->train, self->val, self->target_scaler,
                                            self->history,
                                            &self->epochs_run, self->start_time,
                                            self->seconds_before));
  if (self->early_stopping != NULL)
    g_ptr_array_add (callbacks, g_object_ref (self->early_stopping));
  if (self->checkpoint_every > 0)
    g_ptr_array_add (callbacks, nn_checkpoint_callback_new (self->checkpoint_every,
                                                            write_periodic_checkpoint, self));
  g_ptr_array_add (callbacks, nn_checkpoint_callback_new (1, write_live_history, self));
  g_ptr_array_add (callbacks,
                   nn_signal_callback_new (self, nn_experiment_epoch_finished_signal ()));
  for (guint i = 0; i < callbacks->len; i++)
    nn_trainer_add_callback (self->trainer, callbacks->pdata[i]);
  return callbacks;
}

/* The history of a run from its start, or from the checkpoint it resumes
 * from; @config: the experiment as the run starts. */
static gboolean
begin_history (NnExperiment *self,
               const char   *config,
               GError      **error)
{
  build_columns (self);
  g_clear_pointer (&self->history_log, nn_history_log_free);
  self->history_log = nn_history_log_new (self->staging_dir, g_strv_length (self->columns));
  if (!self->resumed)
    {
      g_free (self->run_config);
      self->run_config = g_strdup (config);
      g_array_set_size (self->history, 0);
      self->epochs_run = 0;
      self->seconds_before = 0;
      return TRUE;
    }
  /* A resumed run's state so far: killed before its next checkpoint, it
   * still resumes from here. */
  return write_checkpoint (self, FALSE, error);
}

static gboolean
run (NnExperiment *self,
     GCancellable *cancellable,
     GError      **error)
{
  g_autoptr(GError) train_error = NULL;
  g_autoptr(GPtrArray) callbacks = NULL;
  g_autofree char *config = NULL;
  g_autoptr(NnMatrix) train_y = NULL;
  g_autoptr(NnMatrix) val_y = NULL;
  NnDataset *val;
  gboolean   ok, cancelled;

  /* Before anything is written: a run directory YAML cannot name. */
  if ((config = nn_experiment_write_yaml (self, error)) == NULL)
    return FALSE;
  if (!stage (self, error))
    return FALSE;
  {
    g_autofree char *path = g_build_filename (self->staging_dir, "config.yaml", NULL);

    if (!nn_write_file_atomic (path, config, strlen (config), error))
      return fail_staged (self, error);
  }

  if (!begin_history (self, config, error))
    return fail_staged (self, error);
  g_hash_table_remove_all (self->final);
  g_hash_table_remove_all (self->confusion);
  self->predictions = NULL;
  self->start_time = g_get_monotonic_time ();
  self->stop_reason = "running";

  val = self->val;
  train_y = scaled_targets (self, self->train);
  val_y = val ? scaled_targets (self, val) : NULL;
  callbacks = add_run_callbacks (self);
  self->running = TRUE;
  ok = nn_trainer_fit (self->trainer,
                       nn_dataset_get_features (self->train), train_y,
                       val ? nn_dataset_get_features (val) : NULL, val_y,
                       cancellable, &train_error);
  self->running = FALSE;
  for (guint i = 0; i < callbacks->len; i++)
    nn_trainer_remove_callback (self->trainer, callbacks->pdata[i]);
  nn_history_log_live_end (self->history_log);

  self->seconds = self->seconds_before + (g_get_monotonic_time () - self->start_time) / 1e6;
  cancelled = !ok && g_error_matches (train_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Early stopping is the only callback of a run that stops it. */
  if (ok)
    self->stop_reason = nn_trainer_get_stop_requested (self->trainer)
                          ? "early_stopping"
                          : "completed";
  else if (cancelled)
    self->stop_reason = "interrupted";
  else if (g_error_matches (train_error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE))
    self->stop_reason = "diverged";
  else
    {
      self->stop_reason = "failed";
      g_propagate_error (error, g_steal_pointer (&train_error));
      return fail_staged (self, error);
    }

  /* A checkpoint of weights that diverged would be of no use: the last
   * good one stays, with its whole history. */
  if ((ok || cancelled) ? !write_checkpoint (self, TRUE, error) : !finish_checkpoint (self, error))
    return fail_staged (self, error);
  if (ok)
    {
      /* The best weights seen, when asked for, whether or not the run
       * stopped early. */
      if (self->early_stopping != NULL)
        {
          gboolean restore = FALSE;
          g_object_get (self->early_stopping, "restore-best", &restore, NULL);
          if (restore)
            nn_early_stopping_restore (self->early_stopping, self->model);
        }
      record_final (self);
      if (!save_model (self, error) || !nn_experiment_write_predictions (self, error))
        return fail_staged (self, error);
    }

  if (!write_history (self, error) || !write_summary (self, error))
    return fail_staged (self, error);
  if (self->auto_commit && !commit_staged (self, error))
    return FALSE;
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&train_error));
      return FALSE;
    }
  return TRUE;
}

/**
 * nn_experiment_run:
 * @self: a #NnExperiment
 * @cancellable: (nullable): stops training between epochs
 * @error: return location for a #GError
 *
 * Writes `config.yaml` ([method@Nn.Experiment.to_yaml]), trains the model, and
 * writes `history.csv`, `summary.json`, the checkpoint and, when training
 * completes, the model (`model.yaml` and `model.safetensors`, see
 * [method@Nn.Pipeline.save]), all into the staging directory `DIR.partial`
 * beside the run directory `DIR`; then, if [property@Nn.Experiment:auto-commit]
 * is set (the default), they replace the previous run's files in `DIR` together
 * (see [method@Nn.Experiment.commit]).
 *
 * When training diverges (%NN_MODEL_ERROR_NOT_FINITE) or is cancelled
 * (%G_IO_ERROR_CANCELLED), the files still record the epochs run, with the
 * reason in `stop_reason`, and replace the previous run as well; the
 * checkpoint is the last good one, or, when cancelled, the state to resume
 * from. When a file cannot be written (%NN_MODEL_ERROR_IO, naming the file
 * in the staging directory) or training fails otherwise, `DIR` keeps the
 * previous run's files as they were, and the staging directory only its
 * checkpoint, the newest there is, if it has one (it goes otherwise), with
 * the history rows it may rely on (`history.rows`: the periodic checkpoints
 * of a run record each epoch's row there once rather than the whole
 * history, so that one costs the same at every epoch; the checkpoint that
 * goes into `DIR` holds the whole history and needs no other file).
 *
 * While it trains, a run longer than a quarter of a second appends the
 * history rows of its latest epochs to `history.live` in the staging
 * directory (in the format of `history.rows`) at most four times a second,
 * so that its curves can be followed (`nnrun serve`), checkpoints or not.
 * Nothing relies on that file: it is not synced, a run that cannot write
 * it goes on without, and it is removed before the staging directory is
 * committed or discarded, so it never reaches `DIR`.
 *
 * Before training, it refuses an output directory that cannot be one (an
 * empty path, the root directory, anything under /proc, /sys or /dev, a
 * file, a symbolic link to one or to nothing, a device, a FIFO):
 * %NN_CONFIG_ERROR_INVALID_VALUE; and one another run holds:
 * %G_IO_ERROR_BUSY.
 *
 * Its matrix products are in `train.precision` ([func@Nn.Matrix.set_precision])
 * for the whole run, evaluations included.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
nn_experiment_run (NnExperiment *self,
                   GCancellable *cancellable,
                   GError      **error)
{
  NnPrecision before = nn_matrix_get_precision ();
  NnPrecision precision;
  gboolean    ok;

  g_return_val_if_fail (NN_IS_EXPERIMENT (self), FALSE);
  g_return_val_if_fail (!self->running, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* The whole run, its evaluations too, computes its products in the
   * precision it trains in, as Lightning's bf16-mixed does. */
  precision = nn_experiment_get_precision (self);
  if (!nn_matrix_check_precision (precision, error))
    return FALSE;
  nn_matrix_set_precision (precision);
  ok = run (self, cancellable, error);
  nn_matrix_set_precision (before);
  return ok;
}

/**
 * nn_experiment_get_staging_dir:
 * @self: a #NnExperiment
 *
 * The directory holding the files of the run in progress, or of a finished run
 * that waits for [method@Nn.Experiment.commit]
 * ([property@Nn.Experiment:auto-commit] unset): `DIR.partial`, beside the run
 * directory `DIR` (or beside the directory `DIR` links to). A caller may add
 * files of its own to the run there, e.g. plots drawn from its `history.csv`.
 *
 * Returns: (transfer none) (nullable): the staging directory, or %NULL when
 *   there is none: before a run, after a run's files were committed or
 *   discarded, and after a run that could not write its files
 */
const char *
nn_experiment_get_staging_dir (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  return self->staging_dir;
}

/**
 * nn_experiment_commit:
 * @self: a [class@Nn.Experiment] whose run finished with
 *   [property@Nn.Experiment:auto-commit] unset, and whose
 *   [method@Nn.Experiment.get_staging_dir] is not %NULL
 * @error: return location for a #GError
 *
 * Puts the files of the finished run, and any the caller added to the
 * staging directory, in place of the previous run's files in the run
 * directory, with a manifest, `.nn-run`, that lists them. A run directory
 * that holds only the files its manifest lists is exchanged with the
 * staging directory in one step (Linux `renameat2 (RENAME_EXCHANGE)`), so a
 * reader sees all the old files or all the new ones, and the old ones are
 * then removed. A run directory that also holds other files (or has no
 * manifest, or belongs to another user, or where the system cannot exchange
 * directories) receives the new files one rename at a time, each file
 * atomically: the new files replace files of the same names, the previous
 * run's files that its manifest lists and the new run did not write are
 * removed, and every other file stays. The run directory is then let go.
 *
 * Returns: %TRUE on success, or %FALSE with @error set (%NN_MODEL_ERROR_IO);
 *   the files not yet moved then stay in the staging directory
 */
gboolean
nn_experiment_commit (NnExperiment *self,
                      GError      **error)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), FALSE);
  g_return_val_if_fail (!self->running, FALSE);
  g_return_val_if_fail (self->staging_dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return commit_staged (self, error);
}

/**
 * nn_experiment_discard:
 * @self: a #NnExperiment
 *
 * Removes the files of a finished run that was not committed from the
 * staging directory, e.g. because a file the caller added could not be
 * written, so that the run directory keeps the previous run's files, and
 * lets the run directory go. The run's checkpoint, the newest there is,
 * stays in the staging directory for [method@Nn.Experiment.resume], and so do
 * files that a run does not write; the directory goes when nothing is
 * left in it. Does nothing when there is no staging directory.
 */
void
nn_experiment_discard (NnExperiment *self)
{
  g_return_if_fail (NN_IS_EXPERIMENT (self));
  g_return_if_fail (!self->running);

  if (self->staging_dir == NULL)
    return;
  discard_staged (self);
}

/**
 * nn_experiment_get_history_columns:
 * @self: a #NnExperiment
 *
 * Gets the names of the columns of `history.csv`, once
 * [method@Nn.Experiment.run] has started.
 *
 * Returns: (transfer none) (array zero-terminated=1): the names of the
 *   columns of `history.csv`, once [method@Nn.Experiment.run] has started
 */
const char * const *
nn_experiment_get_history_columns (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  if (self->columns == NULL)
    build_columns (self);
  return (const char * const *) self->columns;
}

/**
 * nn_experiment_get_epochs_run:
 * @self: a #NnExperiment
 *
 * Gets the number of epochs finished so far.
 *
 * Returns: the number of epochs finished so far
 */
guint
nn_experiment_get_epochs_run (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), 0);

  return self->epochs_run;
}

/**
 * nn_experiment_get_stop_reason:
 * @self: a #NnExperiment
 *
 * Gets why the last run stopped.
 *
 * Returns: (transfer none): why the last run stopped: `completed`,
 *   `early_stopping`, `interrupted` or `diverged`, as in `summary.json`,
 *   or `failed` for a run that could not write its files or failed
 *   otherwise (whose files are not kept)
 */
const char *
nn_experiment_get_stop_reason (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  return self->stop_reason;
}

/**
 * nn_experiment_get_history_value:
 * @self: a #NnExperiment
 * @epoch: an epoch, counting from 1
 * @column: an index into [method@Nn.Experiment.get_history_columns]
 *
 * Gets a value of `history.csv`: the row of @epoch, the column @column.
 *
 * Returns: the value, NaN where there is none (no validation data)
 */
double
nn_experiment_get_history_value (NnExperiment *self,
                                 guint         epoch,
                                 guint         column)
{
  guint n_cols;

  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NAN);
  g_return_val_if_fail (epoch >= 1 && epoch <= self->epochs_run, NAN);

  n_cols = g_strv_length (self->columns);
  g_return_val_if_fail (column < n_cols, NAN);
  return g_array_index (self->history, double, (epoch - 1) * n_cols + column);
}

/**
 * nn_experiment_get_final_metric:
 * @self: a #NnExperiment
 * @split: `"train"`, `"validation"` or `"test"`
 * @metric: `"loss"` or a metric name
 *
 * Gets a metric of a split, computed with the final weights of the last run.
 *
 * Returns: the value with the final weights, or NaN if there is none
 */
double
nn_experiment_get_final_metric (NnExperiment *self,
                                const char   *split,
                                const char   *metric)
{
  g_autofree char *key = NULL;
  double          *v;

  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NAN);

  key = g_strconcat (split, "/", metric, NULL);
  v = g_hash_table_lookup (self->final, key);
  return v ? *v : NAN;
}
