/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-experiment-private.h"

/**
 * NnExperiment:
 *
 * A whole experiment read from a YAML file: data, preprocessing, network,
 * loss, optimizer, training and outputs. Everything in the file is checked,
 * the data are loaded and the model is built when the experiment is
 * created, so a bad file fails before any work; [method@Nn.Experiment.run] then
 * trains and writes the run directory.
 *
 * A run holds the lock `DIR.lock` beside its run directory `DIR` from the start
 * (or from [method@Nn.Experiment.resume]) until its files are committed or
 * discarded: a second run into `DIR` fails before it trains (%G_IO_ERROR_BUSY,
 * naming the pid of the holder). It writes its files into a staging directory
 * beside it, `DIR.partial`, and only a run whose files were all written
 * replaces the previous run's files in `DIR`, all at once: a run that
 * completed, stopped early, was cancelled or diverged. A run that could not
 * write one of its files leaves the previous run as it was and leaves in its
 * staging directory only its last checkpoint, if it has one; a process killed
 * outright leaves `DIR.partial` with the last checkpoint, from which
 * [method@Nn.Experiment.resume] continues. The newest checkpoint is never
 * removed before a newer one is on disk. `DIR` holds a manifest, `.nn-run`, of
 * the files the run wrote: only those, and files of the same names as the new
 * run's, are ever removed or replaced there; files of the user's own stay.
 *
 * By default [method@Nn.Experiment.run] moves the files into place itself. A
 * caller that adds files of its own to the run (nnrun draws its plots) sets
 * [property@Nn.Experiment:auto-commit] to %FALSE, writes them into
 * [method@Nn.Experiment.get_staging_dir], then calls
 * [method@Nn.Experiment.commit], or [method@Nn.Experiment.discard] if they
 * could not be written.
 */
G_DEFINE_FINAL_TYPE (NnExperiment, nn_experiment, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_AUTO_COMMIT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  EPOCH_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
nn_experiment_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  NnExperiment *self = NN_EXPERIMENT (object);

  switch (prop_id)
    {
    case PROP_AUTO_COMMIT:
      g_value_set_boolean (value, self->auto_commit);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_experiment_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  NnExperiment *self = NN_EXPERIMENT (object);

  switch (prop_id)
    {
    case PROP_AUTO_COMMIT:
      nn_experiment_set_auto_commit (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_experiment_dispose (GObject *object)
{
  NnExperiment *self = NN_EXPERIMENT (object);

  g_clear_object (&self->train);
  g_clear_object (&self->val);
  g_clear_object (&self->test);
  g_clear_object (&self->trainer);
  g_clear_object (&self->model);
  g_clear_object (&self->early_stopping);
  g_clear_object (&self->data_section);
  g_clear_object (&self->train_section);

  G_OBJECT_CLASS (nn_experiment_parent_class)->dispose (object);
}

static void
nn_experiment_finalize (GObject *object)
{
  NnExperiment *self = NN_EXPERIMENT (object);

  g_free (self->path);
  g_free (self->name);
  g_strfreev (self->metrics);
  g_free (self->output_dir);
  g_clear_pointer (&self->run_dir, nn_run_dir_close);
  g_free (self->staging_dir);
  g_clear_pointer (&self->history_log, nn_history_log_free);
  g_free (self->run_config);
  g_clear_pointer (&self->plugin_dirs, g_ptr_array_unref);
  nn_source_clear (&self->source);
  nn_source_clear (&self->test_source);
  g_clear_object (&self->scaler);
  g_clear_object (&self->transform);
  g_clear_object (&self->target_scaler);
  g_free (self->positive);
  g_free (self->train_classes);
  g_clear_pointer (&self->inline_weights, g_ptr_array_unref);
  g_clear_pointer (&self->inline_biases, g_ptr_array_unref);
  g_clear_pointer (&self->warnings, g_ptr_array_unref);
  g_strfreev (self->columns);
  g_clear_pointer (&self->history, g_array_unref);
  g_clear_pointer (&self->final, g_hash_table_unref);
  g_clear_pointer (&self->confusion, g_hash_table_unref);

  G_OBJECT_CLASS (nn_experiment_parent_class)->finalize (object);
}

static void
nn_experiment_class_init (NnExperimentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nn_experiment_dispose;
  object_class->finalize = nn_experiment_finalize;
  object_class->get_property = nn_experiment_get_property;
  object_class->set_property = nn_experiment_set_property;

  /**
   * NnExperiment:auto-commit:
   *
   * Whether [method@Nn.Experiment.run] moves the run's files from the staging
   * directory into the run directory itself. When %FALSE, the caller adds
   * its own files to [method@Nn.Experiment.get_staging_dir] and calls
   * [method@Nn.Experiment.commit] (or [method@Nn.Experiment.discard]).
   */
  properties[PROP_AUTO_COMMIT] =
    g_param_spec_boolean ("auto-commit", NULL,
                          "Whether a run moves its files into the run directory itself",
                          TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NnExperiment::epoch-finished:
   * @experiment: the experiment
   * @epoch: the epoch just finished, counting from 1
   *
   * Emitted after each epoch, once its row of the history is complete; read
   * it with [method@Nn.Experiment.get_history_value].
   */
  signals[EPOCH_FINISHED] =
    g_signal_new ("epoch-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
nn_experiment_init (NnExperiment *self)
{
  self->history = g_array_new (FALSE, FALSE, sizeof (double));
  self->final = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->confusion = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                           (GDestroyNotify) nn_matrix_free);
  self->stop_reason = "not started";
  self->plugin_dirs = g_ptr_array_new_with_free_func (g_free);
  self->inline_weights = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_matrix_free);
  self->inline_biases = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_matrix_free);
  self->warnings = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  self->data_section = g_object_new (NN_TYPE_DATA_SECTION, NULL);
  self->train_section = g_object_new (NN_TYPE_TRAIN_SECTION, NULL);
}

guint
nn_experiment_epoch_finished_signal (void)
{
  return signals[EPOCH_FINISHED];
}

/* ---- accessors ----------------------------------------------------------- */

/**
 * nn_experiment_get_name:
 * @self: a #NnExperiment
 *
 * Gets the experiment's name.
 *
 * Returns: (transfer none): the experiment's name
 */
const char *
nn_experiment_get_name (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  return self->name;
}

/**
 * nn_experiment_get_output_dir:
 * @self: a #NnExperiment
 *
 * Gets the run directory.
 *
 * Returns: (transfer none): the run directory
 */
const char *
nn_experiment_get_output_dir (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  return self->output_dir;
}

/**
 * nn_experiment_set_output_dir:
 * @self: a #NnExperiment
 * @dir: the run directory, instead of the file's `output.dir`
 *
 * Sets the directory the next run writes to, in place of the `output.dir` of
 * the experiment file.
 */
void
nn_experiment_set_output_dir (NnExperiment *self,
                              const char   *dir)
{
  g_return_if_fail (NN_IS_EXPERIMENT (self));
  g_return_if_fail (dir != NULL);

  g_free (self->output_dir);
  self->output_dir = g_strdup (dir);
}

/**
 * nn_experiment_get_epochs:
 * @self: a #NnExperiment
 *
 * Gets the number of epochs the experiment trains for.
 *
 * Returns: the number of epochs the experiment trains for
 */
guint
nn_experiment_get_epochs (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), 0);

  return self->train_section->epochs;
}

/**
 * nn_experiment_get_precision:
 * @self: a #NnExperiment
 *
 * Gets the number format of the products the experiment trains with
 * (`train.precision`), which [method@Nn.Experiment.run] sets for its
 * thread ([func@Nn.Matrix.set_precision]) while it runs.
 *
 * Returns: the precision of the experiment's products
 *
 * Since: 0.2
 */
NnPrecision
nn_experiment_get_precision (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NN_PRECISION_FLOAT32);

  return self->train_section->precision;
}

/**
 * nn_experiment_get_model:
 * @self: a #NnExperiment
 *
 * Gets the model.
 *
 * Returns: (transfer none): the model
 */
NnModel *
nn_experiment_get_model (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  return self->model;
}

/**
 * nn_experiment_get_trainer:
 * @self: a #NnExperiment
 *
 * Gets the trainer of the model, with the `train` section's settings.
 *
 * Returns: (transfer none): the trainer of the model, with the `train`
 *   section's settings
 */
NnTrainer *
nn_experiment_get_trainer (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  return self->trainer;
}

/**
 * nn_experiment_get_train_data:
 * @self: a #NnExperiment
 *
 * Gets the training data, encoded and scaled.
 *
 * Returns: (transfer none): the training data, encoded and scaled
 */
NnDataset *
nn_experiment_get_train_data (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  return self->train;
}

/**
 * nn_experiment_get_validation_data:
 * @self: a #NnExperiment
 *
 * Gets the validation data.
 *
 * Returns: (transfer none) (nullable): the validation data
 */
NnDataset *
nn_experiment_get_validation_data (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  return self->val;
}

/**
 * nn_experiment_get_test_data:
 * @self: a #NnExperiment
 *
 * Gets the test data.
 *
 * Returns: (transfer none) (nullable): the test data
 */
NnDataset *
nn_experiment_get_test_data (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  return self->test;
}

/**
 * nn_experiment_set_auto_commit:
 * @self: a #NnExperiment
 * @auto_commit: whether [method@Nn.Experiment.run] moves the run's files into
 *   the run directory itself
 *
 * Sets [property@Nn.Experiment:auto-commit].
 */
void
nn_experiment_set_auto_commit (NnExperiment *self,
                               gboolean      auto_commit)
{
  g_return_if_fail (NN_IS_EXPERIMENT (self));

  auto_commit = !!auto_commit;
  if (self->auto_commit == auto_commit)
    return;
  self->auto_commit = auto_commit;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTO_COMMIT]);
}

/**
 * nn_experiment_get_auto_commit:
 * @self: a #NnExperiment
 *
 * Whether a run replaces the previous one when it ends (#NnExperiment:auto-
 * commit).
 *
 * Returns: the value of [property@Nn.Experiment:auto-commit]
 */
gboolean
nn_experiment_get_auto_commit (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), FALSE);

  return self->auto_commit;
}
