/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "nn-activation.h"
#include "nn-checkpoint.h"
#include "nn-checkpoint-private.h"
#include "nn-early-stopping.h"
#include "nn-errors.h"
#include "nn-experiment.h"
#include "nn-experiment-callbacks-private.h"
#include "nn-experiment-diff-private.h"
#include "nn-history-log-private.h"
#include "nn-json.h"
#include "nn-metrics.h"
#include "nn-plugins.h"
#include "nn-run-dir-private.h"
#include "nn-schedule.h"
#include "nn-sgd-optimizer.h"
#include "nn-source-private.h"
#include "nn-utils-private.h"
#include "nn-yaml-private.h"

/**
 * NnExperiment:
 *
 * A whole experiment read from a YAML file: data, preprocessing, network,
 * loss, optimizer, training and outputs. Everything in the file is checked,
 * the data are loaded and the model is built when the experiment is
 * created, so a bad file fails before any work; nn_experiment_run() then
 * trains and writes the run directory.
 *
 * A run holds the lock `DIR.lock` beside its run directory `DIR` from
 * the start (or from nn_experiment_resume()) until its files are committed
 * or discarded: a second run into `DIR` fails before it trains
 * (%G_IO_ERROR_BUSY, naming the pid of the holder). It writes its files
 * into a staging directory beside it, `DIR.partial`, and only a run whose
 * files were all written replaces the previous run's files in `DIR`, all at
 * once: a run that completed, stopped early, was cancelled or diverged. A
 * run that could not write one of its files leaves the previous run as it
 * was and leaves in its staging directory only its last checkpoint, if it
 * has one; a process killed outright leaves `DIR.partial` with the last
 * checkpoint, from which nn_experiment_resume() continues. The newest
 * checkpoint is never removed before a newer one is on disk. `DIR` holds a
 * manifest, `.nn-run`, of the files the run wrote: only those, and files
 * of the same names as the new run's, are ever removed or replaced there;
 * files of the user's own stay.
 *
 * By default nn_experiment_run() moves the files into place itself. A
 * caller that adds files of its own to the run (nnrun draws its plots) sets
 * #NnExperiment:auto-commit to %FALSE, writes them into
 * nn_experiment_get_staging_dir(), then calls nn_experiment_commit(), or
 * nn_experiment_discard() if they could not be written.
 */
struct _NnExperiment
{
  GObject parent_instance;

  char       *path;
  char       *name;
  guint64     seed;
  NnTask      task;
  NnDataset  *train;
  NnDataset  *val;
  NnDataset  *test;
  NnModel    *model;
  NnTrainer  *trainer;
  guint       epochs;
  guint       batch_size;
  gboolean    shuffle;
  NnEarlyStopping *early_stopping;
  guint       checkpoint_every;
  gboolean    resumed;        /* the history holds a checkpoint's epochs */
  double      seconds_before; /* training time of the epochs before a resume */
  GStrv       metrics;
  char       *output_dir;
  gboolean    auto_commit;
  gboolean    running;
  NnRunDir   *run_dir;        /* locked from resume or staging to commit or discard */
  char       *staging_dir;    /* while a run's files are there, else NULL */
  NnHistoryLog *history_log;  /* of the run in the staging directory */
  char       *run_config;     /* the experiment as its run started */

  /* The experiment as resolved, for nn_experiment_to_yaml(). */
  GPtrArray  *plugin_dirs;     /* absolute paths */
  NnSource    source;
  NnSource    test_source;     /* all zero without data.test */
  NnScaler   *scaler;
  char       *positive;        /* a class label, or NULL */
  NnScale     scale;
  double      split_validation;
  double      split_test;
  gboolean    split_stratify;
  gboolean    split_shuffle;
  gboolean    raw_class_sorted;
  NnInit      init;
  GPtrArray  *inline_weights;  /* per layer: NnMatrix as given, or NULL */
  GPtrArray  *inline_biases;
  GPtrArray  *warnings;        /* char *, NULL-terminated */

  GStrv       columns;
  GArray     *history;      /* double, epochs_run × columns */
  guint       epochs_run;
  gint64      start_time;
  const char *stop_reason;
  double      seconds;
  GHashTable *final;        /* "split/metric" -> double* */
  GHashTable *confusion;    /* "split" -> NnMatrix, for classification */
};

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
  g_free (self->positive);
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
   * Whether nn_experiment_run() moves the run's files from the staging
   * directory into the run directory itself. When %FALSE, the caller adds
   * its own files to nn_experiment_get_staging_dir() and calls
   * nn_experiment_commit() (or nn_experiment_discard()).
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
   * it with nn_experiment_get_history_value().
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
}

/* ---- reading the file ---------------------------------------------------- */

static const char * const top_keys[] = {
  "name", "seed", "plugins", "data", "model", "loss", "optimizer", "train",
  "metrics", "output", NULL
};
static const char * const data_keys[] = {
  "source", "test", "task", "positive", "scale", "split", NULL
};
static const char * const split_keys[] = { "validation", "test", "stratify", "shuffle", NULL };
static const char * const model_keys[] = { "init", "layers", NULL };
static const char * const layer_keys[] = { "units", "activation", "weights", "bias", NULL };
static const char * const train_keys[] = {
  "epochs", "batch_size", "shuffle", "schedule", "clip_norm", "early_stopping",
  "checkpoint_every", NULL
};
static const char * const output_keys[] = { "dir", NULL };

/* What the data section asks for, kept until the model is known. */
typedef struct {
  NnDataset   *raw;
  NnDataset   *test_raw;     /* a separate test set, as read */
  yaml_node_t *test_node;
  yaml_node_t *source_node;
  yaml_node_t *task_node;
  yaml_node_t *split_node;
  yaml_node_t *positive_node;
  gboolean     task_given;
  NnTask       task;
  int          positive;
  NnScale      scale;
  double       validation;
  double       test;
  gboolean     stratify;
  gboolean     shuffle;
} DataSpec;

static void
data_spec_clear (DataSpec *spec)
{
  g_clear_object (&spec->raw);
  g_clear_object (&spec->test_raw);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DataSpec, data_spec_clear)

static char *
resolve_path (NnExperiment *self,
              const char   *path)
{
  g_autofree char *dir = NULL;

  if (g_path_is_absolute (path))
    return g_strdup (path);
  dir = g_path_get_dirname (self->path);
  return g_build_filename (dir, path, NULL);
}

static gboolean
read_source (NnExperiment  *self,
             NnYamlDoc     *doc,
             yaml_node_t   *node,
             DataSpec      *spec,
             GError       **error)
{
  g_autofree char *base_dir = g_path_get_dirname (self->path);

  spec->source_node = node;
  if (!nn_source_parse (doc, node, "data.source", base_dir, &self->source, error))
    return FALSE;
  spec->raw = nn_source_load (&self->source, NULL, TRUE, error);
  return spec->raw != NULL;
}

/* A separate test set: its features are the training data's columns, and
 * its classes are encoded like the training data's later. */
static gboolean
read_test_source (NnExperiment  *self,
                  NnYamlDoc     *doc,
                  yaml_node_t   *node,
                  DataSpec      *spec,
                  GError       **error)
{
  g_autofree char *base_dir = g_path_get_dirname (self->path);

  spec->test_node = node;
  if (!nn_source_parse (doc, node, "data.test", base_dir, &self->test_source, error))
    return FALSE;
  if (self->test_source.csv != NULL && self->source.csv != NULL &&
      !g_strv_equal ((const char * const *) self->test_source.targets,
                     (const char * const *) self->source.targets))
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "data.test must have the same target columns as data.source");
      return FALSE;
    }
  spec->test_raw = nn_source_load (&self->test_source,
                                   self->source.images ? NULL
                                   : nn_dataset_get_feature_names (spec->raw),
                                   TRUE, error);
  return spec->test_raw != NULL;
}

static gboolean
read_data (NnExperiment  *self,
           NnYamlDoc     *doc,
           yaml_node_t   *node,
           DataSpec      *spec,
           GError       **error)
{
  yaml_node_t *v;

  spec->positive = -1;
  spec->scale = NN_SCALE_NONE;
  spec->stratify = TRUE;
  spec->shuffle = TRUE;

  if (!nn_yaml_check_mapping (doc, node, "data", data_keys, error))
    return FALSE;

  if ((v = nn_yaml_lookup (doc, node, "source")) == NULL)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_MISSING_KEY,
                         "data needs a 'source'");
      return FALSE;
    }
  if (!read_source (self, doc, v, spec, error))
    return FALSE;
  if ((v = nn_yaml_lookup (doc, node, "test")) != NULL &&
      !read_test_source (self, doc, v, spec, error))
    return FALSE;

  if ((v = nn_yaml_lookup (doc, node, "task")) != NULL)
    {
      gint task;
      if (!nn_yaml_get_enum (doc, v, "data.task", NN_TYPE_TASK, &task, error))
        return FALSE;
      spec->task = task;
      spec->task_given = TRUE;
      spec->task_node = v;
    }

  if ((v = nn_yaml_lookup (doc, node, "positive")) != NULL)
    {
      const char * const *classes = nn_dataset_get_class_names (spec->raw);
      const char *label = nn_yaml_scalar (v);
      g_autofree char *list = NULL;

      for (guint k = 0; label && classes && classes[k]; k++)
        if (g_str_equal (classes[k], label))
          spec->positive = k;
      if (spec->positive < 0)
        {
          list = classes ? g_strjoinv ("', '", (char **) classes) : NULL;
          nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                             list ? "positive label '%s' is not a class of the target; "
                                    "classes: '%s'"
                                  : "positive label '%s' needs a target of class labels%s",
                             label ? label : "", list ? list : "");
          return FALSE;
        }
      if (spec->task_given && spec->task != NN_TASK_BINARY)
        {
          nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                             "'positive' makes a binary task, but data.task is not binary");
          return FALSE;
        }
      spec->task = NN_TASK_BINARY;
      spec->task_given = TRUE;
      spec->positive_node = v;
      self->positive = g_strdup (label);
    }

  if ((v = nn_yaml_lookup (doc, node, "scale")) != NULL)
    {
      gint scale;
      if (!nn_yaml_get_enum (doc, v, "data.scale", NN_TYPE_SCALE, &scale, error))
        return FALSE;
      spec->scale = scale;
    }

  if ((v = nn_yaml_lookup (doc, node, "split")) != NULL)
    {
      yaml_node_t *s;

      spec->split_node = v;
      if (!nn_yaml_check_mapping (doc, v, "data.split", split_keys, error))
        return FALSE;
      if ((s = nn_yaml_lookup (doc, v, "validation")) != NULL &&
          !nn_yaml_get_double (doc, s, "data.split.validation", 0, 0.99, &spec->validation, error))
        return FALSE;
      if ((s = nn_yaml_lookup (doc, v, "test")) != NULL &&
          !nn_yaml_get_double (doc, s, "data.split.test", 0, 0.99, &spec->test, error))
        return FALSE;
      if ((s = nn_yaml_lookup (doc, v, "stratify")) != NULL &&
          !nn_yaml_get_bool (doc, s, "data.split.stratify", &spec->stratify, error))
        return FALSE;
      if ((s = nn_yaml_lookup (doc, v, "shuffle")) != NULL &&
          !nn_yaml_get_bool (doc, s, "data.split.shuffle", &spec->shuffle, error))
        return FALSE;
      if (spec->test > 0 && spec->test_node != NULL)
        {
          nn_yaml_set_error (error, doc, nn_yaml_lookup (doc, v, "test"),
                             NN_CONFIG_ERROR_INVALID_VALUE,
                             "the test data come from data.test: give either data.test "
                             "or a test fraction of the split, not both");
          return FALSE;
        }
      if (spec->validation + spec->test >= 1.0)
        {
          nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                             "validation and test fractions leave nothing to train on");
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
targets_are_integers (NnDataset *raw)
{
  const NnMatrix *t = nn_dataset_get_targets (raw);

  if (t->cols != 1)
    return FALSE;
  for (guint r = 0; r < t->rows; r++)
    if (t->data[r] != floor (t->data[r]))
      return FALSE;
  return TRUE;
}

/* The task, when the file does not say: class labels are a classification,
 * as are integer targets under a sigmoid or softmax output; the rest is a
 * regression. One output unit makes a classification binary. */
static NnTask
infer_task (DataSpec   *spec,
            guint       out_units,
            const char *out_activation)
{
  gboolean squashing = g_strcmp0 (out_activation, "sigmoid") == 0 ||
                       g_strcmp0 (out_activation, "softmax") == 0;

  if (nn_dataset_get_class_names (spec->raw) != NULL ||
      (squashing && targets_are_integers (spec->raw)))
    return out_units == 1 ? NN_TASK_BINARY : NN_TASK_MULTICLASS;
  return NN_TASK_REGRESSION;
}

static gboolean
read_layers (NnExperiment  *self,
             NnYamlDoc     *doc,
             yaml_node_t   *node,
             NnInit         init,
             guint          n_inputs,
             DataSpec      *spec,
             GError       **error)
{
  GPtrArray *weights = self->inline_weights;
  GPtrArray *biases = self->inline_biases;
  guint n_layers, width = n_inputs, want = 0;
  guint64 n_parameters = 0;
  yaml_node_t *last_units = NULL;
  const char *what_out = NULL;

  if (node->type != YAML_SEQUENCE_NODE || nn_yaml_n_items (node) == 0)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "model.layers must be a non-empty list of layers");
      return FALSE;
    }
  n_layers = nn_yaml_n_items (node);
  if (n_layers > NN_MODEL_MAX_LAYERS)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "model.layers has %u layers, more than the %u a model may have",
                         n_layers, NN_MODEL_MAX_LAYERS);
      return FALSE;
    }

  for (guint i = 0; i < n_layers; i++)
    {
      yaml_node_t *item = nn_yaml_item (doc, node, i);
      g_autofree char *what = g_strdup_printf ("model.layers[%u]", i);
      g_autofree char *act_what = g_strdup_printf ("model.layers[%u].activation", i);
      g_autofree char *w_what = g_strdup_printf ("model.layers[%u].weights", i);
      g_autofree char *b_what = g_strdup_printf ("model.layers[%u].bias", i);
      g_autoptr(NnActivation) activation = NULL;
      g_autoptr(NnLayer) layer = NULL;
      yaml_node_t *v;
      guint64 units;
      NnMatrix *w = NULL, *b = NULL;

      if (!nn_yaml_check_mapping (doc, item, what, layer_keys, error))
        return FALSE;
      if ((v = nn_yaml_lookup (doc, item, "units")) == NULL)
        {
          nn_yaml_set_error (error, doc, item, NN_CONFIG_ERROR_MISSING_KEY,
                             "%s needs 'units'", what);
          return FALSE;
        }
      last_units = v;
      {
        g_autofree char *u_what = g_strdup_printf ("model.layers[%u].units", i);
        if (!nn_yaml_get_uint (doc, v, u_what, 1, NN_LAYER_MAX_WIDTH, &units, error))
          return FALSE;
        /* Checked before anything is allocated: two wide layers could
         * otherwise ask for terabytes. */
        n_parameters += ((guint64) width + 1) * units;
        if (n_parameters > NN_MODEL_MAX_PARAMETERS)
          {
            nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                               "%s makes the model larger than %" G_GUINT64_FORMAT
                               " parameters, the most an experiment may have",
                               u_what, (guint64) NN_MODEL_MAX_PARAMETERS);
            return FALSE;
          }
      }

      if ((v = nn_yaml_lookup (doc, item, "activation")) != NULL)
        activation = NN_ACTIVATION (nn_yaml_new_object (doc, v, NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                        act_what, error));
      else
        {
          g_autoptr(GError) local_error = NULL;
          activation = nn_activation_new_by_name ("linear", &local_error);
          if (activation == NULL)
            nn_yaml_set_error (error, doc, item, NN_CONFIG_ERROR_UNKNOWN_TYPE,
                               "%s has no activation and the default 'linear' is not "
                               "available: %s", what, local_error->message);
        }
      if (activation == NULL)
        return FALSE;
      if (i == n_layers - 1)
        what_out = nn_activation_get_name (activation);

      if ((v = nn_yaml_lookup (doc, item, "weights")) != NULL &&
          (w = nn_yaml_get_matrix (doc, v, w_what, (guint) units, width, FALSE, error)) == NULL)
        return FALSE;
      g_ptr_array_add (weights, w);
      if ((v = nn_yaml_lookup (doc, item, "bias")) != NULL &&
          (b = nn_yaml_get_matrix (doc, v, b_what, 1, (guint) units, TRUE, error)) == NULL)
        return FALSE;
      g_ptr_array_add (biases, b);

      layer = nn_layer_new (width, (guint) units, activation);
      nn_model_add_layer (self->model, layer);
      width = (guint) units;
    }

  /* The output layer must fit the targets. */
  if (!spec->task_given)
    spec->task = infer_task (spec, width, what_out);
  switch (spec->task)
    {
    case NN_TASK_BINARY:
    case NN_TASK_MULTICLASS:
      {
        /* Numbering the classes of the whole data set here, before it is
         * split, gives every part the same classes. */
        g_autoptr(GError) local_error = NULL;
        g_autoptr(NnDataset) encoded = nn_dataset_encode (spec->raw, spec->task, spec->positive,
                                                          &local_error);
        if (encoded == NULL)
          {
            nn_yaml_set_error (error, doc,
                               spec->task_node ? spec->task_node : spec->source_node,
                               NN_CONFIG_ERROR_INVALID_VALUE, "%s", local_error->message);
            return FALSE;
          }
        want = nn_dataset_get_targets (encoded)->cols;
      }
      break;
    case NN_TASK_REGRESSION:
      if (nn_dataset_get_class_names (spec->raw) != NULL)
        {
          nn_yaml_set_error (error, doc, spec->task_node ? spec->task_node : spec->source_node,
                             NN_CONFIG_ERROR_INVALID_VALUE,
                             "a regression needs numeric targets, but the target holds "
                             "class labels such as '%s'",
                             nn_dataset_get_class_names (spec->raw)[0]);
          return FALSE;
        }
      want = nn_dataset_get_targets (spec->raw)->cols;
      break;
    default:
      g_assert_not_reached ();
    }
  if (width != want)
    {
      const char *task_name = spec->task == NN_TASK_BINARY ? "a binary task"
                              : spec->task == NN_TASK_MULTICLASS ? "the data's classes"
                              : "the regression targets";
      nn_yaml_set_error (error, doc, last_units, NN_CONFIG_ERROR_INVALID_VALUE,
                         "the output layer has %u units, but %s need%s %u",
                         width, task_name,
                         spec->task == NN_TASK_BINARY ? "s" : "", want);
      return FALSE;
    }

  nn_model_init_parameters (self->model, init);
  for (guint i = 0; i < n_layers; i++)
    if (!nn_layer_set_parameters (nn_model_get_layer (self->model, i),
                                  weights->pdata[i], biases->pdata[i], error))
      return FALSE;   /* shapes were checked while reading */
  return TRUE;
}

static gboolean
read_model (NnExperiment  *self,
            NnYamlDoc     *doc,
            yaml_node_t   *node,
            DataSpec      *spec,
            GError       **error)
{
  yaml_node_t *v;
  gint init = NN_INIT_GLOROT_UNIFORM;

  if (!nn_yaml_check_mapping (doc, node, "model", model_keys, error))
    return FALSE;
  if ((v = nn_yaml_lookup (doc, node, "init")) != NULL &&
      !nn_yaml_get_enum (doc, v, "model.init", NN_TYPE_INIT, &init, error))
    return FALSE;
  self->init = init;
  if ((v = nn_yaml_lookup (doc, node, "layers")) == NULL)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_MISSING_KEY,
                         "model needs 'layers'");
      return FALSE;
    }
  return read_layers (self, doc, v, init,
                      nn_dataset_get_n_features (spec->raw), spec, error);
}

/* Splits, encodes and scales the data once the task is known. */
static gboolean
prepare_data (NnExperiment  *self,
              NnYamlDoc     *doc,
              DataSpec      *spec,
              GError       **error)
{
  guint32 seeds[2] = { (guint32) self->seed, 1 };   /* a stream apart from the model's */
  g_autoptr(GRand) rand = g_rand_new_with_seed_array (seeds, 2);
  g_autoptr(NnDataset) train = NULL;
  g_autoptr(NnDataset) val = NULL;
  g_autoptr(NnDataset) test = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!nn_dataset_split (spec->raw, spec->validation, spec->test,
                         spec->stratify && spec->task != NN_TASK_REGRESSION,
                         spec->shuffle, rand, &train, &val, &test, &local_error))
    {
      nn_yaml_set_error (error, doc, spec->split_node ? spec->split_node : spec->source_node,
                         NN_CONFIG_ERROR_INVALID_VALUE, "%s", local_error->message);
      return FALSE;
    }

  /* The classes were checked on the whole data set, so encoding a part
   * cannot fail. */
  self->train = nn_dataset_encode (train, spec->task, spec->positive, error);
  if (self->train == NULL)
    return FALSE;
  if (val != NULL && (self->val = nn_dataset_encode (val, spec->task, spec->positive, error)) == NULL)
    return FALSE;
  if (test != NULL && (self->test = nn_dataset_encode (test, spec->task, spec->positive, error)) == NULL)
    return FALSE;
  if (spec->test_raw != NULL)
    {
      g_autoptr(GError) test_error = NULL;

      self->test = nn_dataset_encode_like (spec->test_raw, spec->raw, spec->task, spec->positive,
                                           &test_error);
      if (self->test == NULL)
        {
          nn_yaml_set_error (error, doc, spec->test_node, NN_CONFIG_ERROR_INVALID_VALUE,
                             "%s", test_error->message);
          return FALSE;
        }
    }

  /* Fitted on the training part alone, applied unchanged to the rest and,
   * once saved, to the data a model predicts on. */
  self->scaler = nn_scaler_new (spec->scale);
  nn_scaler_fit (self->scaler, nn_dataset_get_features (self->train));
  nn_dataset_apply_scaler (self->train, self->scaler);
  if (self->val != NULL)
    nn_dataset_apply_scaler (self->val, self->scaler);
  if (self->test != NULL)
    nn_dataset_apply_scaler (self->test, self->scaler);
  return TRUE;
}

static const char *
default_loss (NnTask task)
{
  switch (task)
    {
    case NN_TASK_BINARY:
      return "binary_crossentropy";
    case NN_TASK_MULTICLASS:
      return "categorical_crossentropy";
    case NN_TASK_REGRESSION:
    default:
      return "mean_squared_error";
    }
}

static gboolean
read_training (NnExperiment  *self,
               NnYamlDoc     *doc,
               yaml_node_t   *root,
               GError       **error)
{
  yaml_node_t *v, *s, *early_node = NULL;

  /* loss */
  if ((v = nn_yaml_lookup (doc, root, "loss")) != NULL)
    {
      g_autoptr(GObject) loss = nn_yaml_new_object (doc, v, NN_LOSS_EXTENSION_POINT_NAME,
                                                    "loss", error);
      if (loss == NULL)
        return FALSE;
      nn_model_set_loss (self->model, NN_LOSS (loss));
    }
  else
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(NnLoss) loss = nn_loss_new_by_name (default_loss (self->task), &local_error);
      if (loss == NULL)
        {
          nn_yaml_set_error (error, doc, root, NN_CONFIG_ERROR_UNKNOWN_TYPE,
                             "no loss given, and the default one is not available: %s",
                             local_error->message);
          return FALSE;
        }
      nn_model_set_loss (self->model, loss);
    }

  /* optimizer */
  if ((v = nn_yaml_lookup (doc, root, "optimizer")) != NULL)
    {
      g_autoptr(GObject) opt = nn_yaml_new_object (doc, v, NN_OPTIMIZER_EXTENSION_POINT_NAME,
                                                   "optimizer", error);
      g_autoptr(GError) local_error = NULL;

      if (opt == NULL)
        return FALSE;
      if (!nn_optimizer_validate (NN_OPTIMIZER (opt), &local_error))
        {
          nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE, "optimizer: %s",
                             local_error->message);
          return FALSE;
        }
      nn_model_set_optimizer (self->model, NN_OPTIMIZER (opt));
    }
  else
    {
      g_autoptr(NnOptimizer) opt = nn_sgd_optimizer_new (0.01);
      nn_model_set_optimizer (self->model, opt);
    }

  /* train */
  self->epochs = 100;
  self->batch_size = 0;
  self->shuffle = TRUE;
  if ((v = nn_yaml_lookup (doc, root, "train")) != NULL)
    {
      guint64 n;

      if (!nn_yaml_check_mapping (doc, v, "train", train_keys, error))
        return FALSE;
      if ((s = nn_yaml_lookup (doc, v, "epochs")) != NULL)
        {
          if (!nn_yaml_get_uint (doc, s, "train.epochs", 1, 10000000, &n, error))
            return FALSE;
          self->epochs = (guint) n;
        }
      if ((s = nn_yaml_lookup (doc, v, "batch_size")) != NULL)
        {
          if (!nn_yaml_get_uint (doc, s, "train.batch_size", 0, G_MAXUINT32, &n, error))
            return FALSE;
          self->batch_size = (guint) n;
        }
      if ((s = nn_yaml_lookup (doc, v, "shuffle")) != NULL &&
          !nn_yaml_get_bool (doc, s, "train.shuffle", &self->shuffle, error))
        return FALSE;
      if ((s = nn_yaml_lookup (doc, v, "schedule")) != NULL)
        {
          g_autoptr(GObject) schedule = nn_yaml_new_object (doc, s, NN_SCHEDULE_EXTENSION_POINT_NAME,
                                                            "train.schedule", error);
          if (schedule == NULL)
            return FALSE;
          nn_schedule_set_total_epochs (NN_SCHEDULE (schedule), self->epochs);
          nn_trainer_set_schedule (self->trainer, NN_SCHEDULE (schedule));
        }
      if ((s = nn_yaml_lookup (doc, v, "clip_norm")) != NULL)
        {
          double clip;
          if (!nn_yaml_get_double (doc, s, "train.clip_norm", 0, G_MAXDOUBLE, &clip, error))
            return FALSE;
          nn_trainer_set_clip_norm (self->trainer, clip);
        }
      if ((s = nn_yaml_lookup (doc, v, "early_stopping")) != NULL)
        {
          GObject *es = nn_yaml_new_object_of_type (doc, s, NN_TYPE_EARLY_STOPPING,
                                                    "train.early_stopping", error);
          if (es == NULL)
            return FALSE;
          self->early_stopping = NN_EARLY_STOPPING (es);
          early_node = s;
        }
      if ((s = nn_yaml_lookup (doc, v, "checkpoint_every")) != NULL)
        {
          if (!nn_yaml_get_uint (doc, s, "train.checkpoint_every", 0, G_MAXUINT32, &n, error))
            return FALSE;
          self->checkpoint_every = (guint) n;
        }
    }
  g_object_set (self->trainer, "epochs", self->epochs, "batch-size", self->batch_size,
                "shuffle", self->shuffle, NULL);

  /* metrics */
  if ((v = nn_yaml_lookup (doc, root, "metrics")) != NULL)
    {
      g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

      if (v->type != YAML_SEQUENCE_NODE)
        {
          nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                             "metrics must be a list of metric names");
          return FALSE;
        }
      for (guint i = 0; i < nn_yaml_n_items (v); i++)
        {
          yaml_node_t *item = nn_yaml_item (doc, v, i);
          g_autoptr(GError) local_error = NULL;
          const char *m;

          if (!nn_yaml_get_string (doc, item, "a metric", &m, error))
            return FALSE;
          /* Each once: the history and the summary have a column each. */
          for (guint k = 0; k < i; k++)
            if (g_str_equal (nn_yaml_scalar (nn_yaml_item (doc, v, k)), m))
              {
                nn_yaml_set_error (error, doc, item, NN_CONFIG_ERROR_INVALID_VALUE,
                                   "metric '%s' is listed twice", m);
                return FALSE;
              }
          if (!nn_metric_is_valid (m, self->task, &local_error))
            {
              nn_yaml_set_error (error, doc, item, local_error->code, "%s",
                                 local_error->message);
              return FALSE;
            }
          g_strv_builder_add (b, m);
        }
      self->metrics = g_strv_builder_end (b);
    }
  else
    {
      static const char * const classification[] = { "accuracy", NULL };
      static const char * const regression[] = { "mae", NULL };
      self->metrics = g_strdupv ((char **) (self->task == NN_TASK_REGRESSION ? regression
                                                                             : classification));
    }

  /* output */
  if ((v = nn_yaml_lookup (doc, root, "output")) != NULL)
    {
      const char *dir;

      if (!nn_yaml_check_mapping (doc, v, "output", output_keys, error))
        return FALSE;
      if ((s = nn_yaml_lookup (doc, v, "dir")) != NULL)
        {
          if (!nn_yaml_get_string (doc, s, "output.dir", &dir, error))
            return FALSE;
          self->output_dir = g_strdup (dir);
        }
    }
  if (self->output_dir == NULL)
    self->output_dir = g_build_filename ("runs", self->name, NULL);

  /* Early stopping watches a column of the history. */
  if (self->early_stopping != NULL)
    {
      const char *monitor = nn_early_stopping_get_monitor (self->early_stopping);
      const char * const *columns = nn_experiment_get_history_columns (self);
      g_autofree char *list = NULL;

      if (!g_strv_contains (columns, monitor) || g_str_equal (monitor, "epoch") ||
          g_str_equal (monitor, "seconds") || g_str_equal (monitor, "learning_rate"))
        {
          g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
          g_auto(GStrv) watchable = NULL;
          for (guint c = 1; columns[c] != NULL; c++)
            if (!g_str_equal (columns[c], "seconds") && !g_str_equal (columns[c], "learning_rate"))
              g_strv_builder_add (b, columns[c]);
          watchable = g_strv_builder_end (b);
          list = g_strjoinv ("', '", watchable);
          nn_yaml_set_error (error, doc, nn_yaml_lookup (doc, early_node, "monitor")
                                         ? nn_yaml_lookup (doc, early_node, "monitor") : early_node,
                             NN_CONFIG_ERROR_INVALID_VALUE,
                             "train.early_stopping cannot monitor '%s'; the history has '%s'",
                             monitor, list);
          return FALSE;
        }
      if (g_str_has_prefix (monitor, "val_") && self->val == NULL)
        {
          nn_yaml_set_error (error, doc, early_node, NN_CONFIG_ERROR_INVALID_VALUE,
                             "train.early_stopping monitors '%s', but there is no validation "
                             "data: set data.split.validation", monitor);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
is_class_sorted (NnDataset *raw)
{
  const NnMatrix *t = nn_dataset_get_targets (raw);
  guint changes = 0;

  for (guint r = 1; r < t->rows; r++)
    changes += t->data[r] != t->data[r - 1];
  return t->rows > 2 && changes + 1 <= nn_dataset_get_n_classes (raw);
}

static gboolean
load_document (NnExperiment  *self,
               NnYamlDoc     *doc,
               GError       **error)
{
  g_auto(DataSpec) spec = { 0 };
  yaml_node_t *root = nn_yaml_root (doc);
  yaml_node_t *v;
  guint64 seed = 42;

  if (!nn_yaml_check_mapping (doc, root, "the experiment", top_keys, error))
    return FALSE;

  if ((v = nn_yaml_lookup (doc, root, "name")) != NULL)
    {
      const char *name;
      if (!nn_yaml_get_string (doc, v, "name", &name, error))
        return FALSE;
      if (strchr (name, '/') != NULL || g_str_equal (name, ".") || g_str_equal (name, ".."))
        {
          nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                             "name '%s' cannot be a folder name", name);
          return FALSE;
        }
      self->name = g_strdup (name);
    }
  else
    {
      /* UTF-8 like every name written, whatever the file's name. */
      g_autofree char *base = g_filename_display_basename (self->path);
      char *dot = strrchr (base, '.');
      if (dot != NULL && dot != base)
        *dot = '\0';
      self->name = g_strdup (base);
    }

  if ((v = nn_yaml_lookup (doc, root, "seed")) != NULL &&
      !nn_yaml_get_uint (doc, v, "seed", 0, G_MAXUINT32, &seed, error))
    return FALSE;
  self->seed = seed;

  if ((v = nn_yaml_lookup (doc, root, "plugins")) != NULL)
    {
      if (v->type != YAML_SEQUENCE_NODE)
        {
          nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                             "plugins must be a list of folders");
          return FALSE;
        }
      for (guint i = 0; i < nn_yaml_n_items (v); i++)
        {
          yaml_node_t *item = nn_yaml_item (doc, v, i);
          g_autoptr(GError) local_error = NULL;
          g_autofree char *given = NULL;
          g_autofree char *dir = NULL;
          const char *rel;

          if (!nn_yaml_get_string (doc, item, "a plugins folder", &rel, error))
            return FALSE;
          given = resolve_path (self, rel);
          dir = g_canonicalize_filename (given, NULL);
          if (!nn_yaml_check_path (doc, item, "a plugins folder", dir, error))
            return FALSE;
          g_ptr_array_add (self->plugin_dirs, g_strdup (dir));
          if (!nn_plugins_add_directory (dir, &local_error))
            {
              nn_yaml_set_error (error, doc, item, NN_CONFIG_ERROR_INVALID_VALUE,
                                 "%s", local_error->message);
              return FALSE;
            }
        }
    }

  if ((v = nn_yaml_lookup (doc, root, "data")) == NULL)
    {
      nn_yaml_set_error (error, doc, root, NN_CONFIG_ERROR_MISSING_KEY,
                         "the experiment needs a 'data' section");
      return FALSE;
    }
  if (!read_data (self, doc, v, &spec, error))
    return FALSE;

  self->model = nn_model_new ();
  nn_model_set_seed (self->model, self->seed);
  self->trainer = nn_trainer_new (self->model);
  if ((v = nn_yaml_lookup (doc, root, "model")) == NULL)
    {
      nn_yaml_set_error (error, doc, root, NN_CONFIG_ERROR_MISSING_KEY,
                         "the experiment needs a 'model' section");
      return FALSE;
    }
  if (!read_model (self, doc, v, &spec, error))
    return FALSE;
  self->task = spec.task;
  self->scale = spec.scale;
  self->split_validation = spec.validation;
  self->split_test = spec.test;
  self->split_stratify = spec.stratify;
  self->split_shuffle = spec.shuffle;
  self->raw_class_sorted = nn_dataset_get_class_names (spec.raw) != NULL &&
                           is_class_sorted (spec.raw);

  if (!prepare_data (self, doc, &spec, error))
    return FALSE;
  return read_training (self, doc, root, error);
}

/* ---- likely mistakes ----------------------------------------------------- */

static void
warn (NnExperiment *self,
      NnYamlDoc    *doc,
      yaml_node_t  *node,
      const char   *format,
      ...) G_GNUC_PRINTF (4, 5);

static void
warn (NnExperiment *self,
      NnYamlDoc    *doc,
      yaml_node_t  *node,
      const char   *format,
      ...)
{
  g_autoptr(GError) as_error = NULL;
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  /* Positions are formatted as for errors, then called a warning. */
  nn_yaml_set_error (&as_error, doc, node, 0, "%s", message);
  {
    char *at = strstr (as_error->message, ": error: ");
    if (at != NULL)
      g_ptr_array_add (self->warnings,
                       g_strdup_printf ("%.*s: warning: %s", (int) (at - as_error->message),
                                        as_error->message, at + strlen (": error: ")));
    else
      g_ptr_array_add (self->warnings, g_strdup (as_error->message));
  }
}

static yaml_node_t *
path_node (NnYamlDoc   *doc,
           const char  *first,
           const char  *second)
{
  yaml_node_t *root = nn_yaml_root (doc);
  yaml_node_t *a = nn_yaml_lookup (doc, root, first);

  if (a != NULL && second != NULL)
    {
      yaml_node_t *b = nn_yaml_lookup (doc, a, second);
      return b ? b : a;
    }
  return a ? a : root;
}

/* Combinations that load and run but are probably not what the user meant.
 * They are warnings: each can be intended. */
static void
add_warnings (NnExperiment *self,
              NnYamlDoc    *doc)
{
  NnLayer *out = nn_model_get_layer (self->model, nn_model_get_n_layers (self->model) - 1);
  const char *act = nn_activation_get_name (nn_layer_get_activation (out));
  const char *loss = nn_loss_get_name (nn_model_get_loss (self->model));
  yaml_node_t *loss_node = path_node (doc, "loss", NULL);

  if (g_strcmp0 (act, "softmax") == 0 && g_strcmp0 (loss, "binary_crossentropy") == 0)
    warn (self, doc, loss_node, "binary_crossentropy after a softmax output: a softmax over "
          "one unit is always 1, and over several units the classes compete; use "
          "categorical_crossentropy, or a sigmoid output");
  if (g_strcmp0 (act, "sigmoid") == 0 && g_strcmp0 (loss, "categorical_crossentropy") == 0 &&
      nn_layer_get_units (out) > 2)
    warn (self, doc, loss_node, "categorical_crossentropy after a sigmoid output over %u "
          "classes: the outputs do not sum to 1; use a softmax output",
          nn_layer_get_units (out));

  if (self->task == NN_TASK_REGRESSION)
    {
      const NnMatrix *t = nn_dataset_get_targets (self->train);
      double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE, min = -G_MAXDOUBLE, max = G_MAXDOUBLE;

      for (gsize i = 0; i < nn_matrix_size (t); i++)
        {
          lo = MIN (lo, t->data[i]);
          hi = MAX (hi, t->data[i]);
        }
      if (g_strcmp0 (act, "sigmoid") == 0 || g_strcmp0 (act, "softmax") == 0)
        min = 0, max = 1;
      else if (g_strcmp0 (act, "tanh") == 0)
        min = -1, max = 1;
      else if (g_strcmp0 (act, "relu") == 0 || g_strcmp0 (act, "softplus") == 0)
        min = 0;
      if (lo < min || hi > max)
        warn (self, doc, path_node (doc, "model", "layers"),
              "the regression targets range from %g to %g, but a %s output can only "
              "give values in [%g, %g]", lo, hi, act, min, max);
    }

  if (self->split_validation > 0 && !self->split_shuffle && self->task != NN_TASK_REGRESSION &&
      !self->split_stratify && self->raw_class_sorted)
    warn (self, doc, path_node (doc, "data", "split"),
          "the data rows are sorted by class and the split does not shuffle: the "
          "validation part holds only the last classes");
}

/**
 * nn_experiment_get_warnings:
 * @self: a #NnExperiment
 *
 * Likely mistakes found when the experiment was read, such as a softmax
 * output with binary cross-entropy, each as `FILE:LINE:COLUMN: warning: ...`.
 *
 * Returns: (transfer none) (array zero-terminated=1): the warnings
 */
const char * const *
nn_experiment_get_warnings (NnExperiment *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  /* An empty array may have no storage, not even the terminator. */
  if (self->warnings->len == 0)
    return none;
  return (const char * const *) self->warnings->pdata;
}

/**
 * nn_experiment_new_from_file:
 * @path: an experiment YAML file
 * @error: return location for a #GError
 *
 * Reads and checks the whole experiment, loads its data and builds its
 * model. Errors in the file are %NN_CONFIG_ERROR with messages
 * `FILE:LINE:COLUMN: error: ...`; errors in the data are %NN_DATA_ERROR.
 *
 * Returns: (transfer full): a new #NnExperiment, or %NULL with @error set
 */
NnExperiment *
nn_experiment_new_from_file (const char  *path,
                             GError     **error)
{
  return nn_experiment_new_from_file_full (path, NULL, error);
}

/**
 * nn_experiment_new_from_file_full:
 * @path: an experiment YAML file
 * @overrides: (nullable) (array zero-terminated=1): `KEY=VALUE` settings
 *   applied to the file before it is read, as `nnrun --set` does: KEY is a
 *   dotted path of keys and list indices (`model.layers.0.units`), VALUE is
 *   YAML
 * @error: return location for a #GError
 *
 * Like nn_experiment_new_from_file(), with overrides. An error in an
 * overridden value is reported as `--set KEY=VALUE: error: ...`.
 *
 * Returns: (transfer full): a new #NnExperiment, or %NULL with @error set
 */
NnExperiment *
nn_experiment_new_from_file_full (const char          *path,
                                  const char * const  *overrides,
                                  GError             **error)
{
  g_autoptr(NnExperiment) self = NULL;
  g_autoptr(NnYamlDoc) doc = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!nn_read_file_limited (path, NN_EXPERIMENT_MAX_FILE_SIZE, &contents, &length,
                             &local_error))
    {
      g_autofree char *shown = g_filename_display_name (path);

      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_FAILED,
                   "%s: error: %s", shown, local_error->message);
      return NULL;
    }
  doc = nn_yaml_doc_new_from_data (path, contents, length, error);
  if (doc == NULL)
    return NULL;
  for (gsize i = 0; overrides != NULL && overrides[i] != NULL; i++)
    if (!nn_yaml_doc_override (doc, overrides[i], error))
      return NULL;

  self = g_object_new (NN_TYPE_EXPERIMENT, NULL);
  self->path = g_strdup (path);
  if (!load_document (self, doc, error))
    return NULL;
  add_warnings (self, doc);
  return g_steal_pointer (&self);
}

/* ---- accessors ----------------------------------------------------------- */

/**
 * nn_experiment_get_name:
 * @self: a #NnExperiment
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
 * Returns: the number of epochs the experiment trains for
 */
guint
nn_experiment_get_epochs (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), 0);

  return self->epochs;
}

/**
 * nn_experiment_get_model:
 * @self: a #NnExperiment
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
 * Returns: (transfer none) (nullable): the test data
 */
NnDataset *
nn_experiment_get_test_data (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  return self->test;
}

/* ---- metrics ------------------------------------------------------------- */

/* Loss and every metric of @data under the current weights, in the order of
 * the history columns: loss first, then the metrics. */
static gboolean
measure (NnExperiment  *self,
         NnDataset     *data,
         double        *out,
         GError       **error)
{
  return nn_experiment_measure (self->model, self->task, (const char * const *) self->metrics,
                                data, out, error);
}

/* ---- running ------------------------------------------------------------- */

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
stage (NnExperiment  *self,
       GError       **error)
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
fail_staged (NnExperiment  *self,
             GError       **error)
{
  g_autofree char *staging = g_strdup (self->staging_dir);
  gboolean kept;

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
commit_staged (NnExperiment  *self,
               GError       **error)
{
  if (!nn_run_dir_commit (self->run_dir, error))
    return FALSE;
  g_clear_pointer (&self->run_dir, nn_run_dir_close);
  g_clear_pointer (&self->staging_dir, g_free);
  return TRUE;
}

static char *to_yaml (NnExperiment  *self,
                      GError       **error);

/* What only the experiment knows goes with the model's own state: the
 * experiment itself, the history so far (see nn-history-log.c) and the
 * early-stopping state. @whole: the run's last checkpoint, which holds
 * its whole history. */
static gboolean
write_checkpoint (NnExperiment  *self,
                  gboolean       whole,
                  GError       **error)
{
  g_autofree char *path = g_build_filename (self->staging_dir, NN_RUN_DIR_CHECKPOINT_FILE, NULL);
  GVariantBuilder b;

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
finish_checkpoint (NnExperiment  *self,
                   GError       **error)
{
  g_autofree char *path = g_build_filename (self->staging_dir, NN_RUN_DIR_CHECKPOINT_FILE, NULL);

  return nn_history_log_finish (self->history_log, path, self->history, error);
}

static gboolean
write_periodic_checkpoint (gpointer   self,
                           GError   **error)
{
  return write_checkpoint (self, FALSE, error);
}

/* Refuses a resume of a run started with another experiment: only keys
 * that leave the epochs done as they were may change (nn-experiment-diff.c).
 * Read before the checkpoint is loaded: the learning rate is then still
 * the one the experiment gives, not the one a schedule had reached. */
static gboolean
check_same_experiment (NnExperiment  *self,
                       const char    *path,
                       GVariant      *extra,
                       GError       **error)
{
  g_autofree char *now = to_yaml (self, error);
  const char *then = NULL;

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
 * @self: a #NnExperiment, as read from the same file as the run
 * @run_dir: the directory of an earlier run of it
 * @error: return location for a #GError
 *
 * Loads the checkpoint of @run_dir (weights, optimizer state, epochs done,
 * history, early-stopping state) and makes @run_dir the output directory,
 * so that nn_experiment_run() trains the remaining epochs. The run ends with
 * exactly the weights and history of the same run left uninterrupted.
 *
 * The checkpoint is `checkpoint.nnckpt` in the staging directory
 * `RUN_DIR.partial` when there is one there (a run killed outright or one
 * that failed left it, and it is the newest), else the one in @run_dir. The
 * run directory is locked from here on, as by nn_experiment_run(): a run
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
nn_experiment_resume (NnExperiment  *self,
                      const char    *run_dir,
                      GError       **error)
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
  self->seconds_before = done > 0 ? g_array_index (rows, double, (gsize) done * n_cols - 1) : 0;
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
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    return;   /* an empty CSV field: no value */
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, sizeof buf, formats[i], v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (s, buf);
}

static gboolean
write_history (NnExperiment  *self,
               GError       **error)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *header = g_strjoinv (",", self->columns);
  g_autofree char *path = g_build_filename (self->staging_dir, "history.csv", NULL);
  guint n_cols = g_strv_length (self->columns);

  g_string_append (s, header);
  g_string_append_c (s, '\n');
  for (guint e = 0; e < self->epochs_run; e++)
    {
      for (guint c = 0; c < n_cols; c++)
        {
          if (c > 0)
            g_string_append_c (s, ',');
          append_number (s, g_array_index (self->history, double, e * n_cols + c));
        }
      g_string_append_c (s, '\n');
    }
  return nn_write_file_atomic (path, s->str, s->len, error);
}

static gboolean
write_summary (NnExperiment  *self,
               GError       **error)
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
      double *loss = g_hash_table_lookup (self->final, loss_key);
      NnMatrix *confusion;

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
          double *v = g_hash_table_lookup (self->final, key);
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
  NnDataset *sets[] = { self->train, self->val, self->test };
  guint n_metrics = g_strv_length (self->metrics);

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
 * Returns: (transfer full): a new #NnPipeline sharing the experiment's model
 */
NnPipeline *
nn_experiment_get_pipeline (NnExperiment *self)
{
  g_auto(GStrv) targets = NULL;

  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  targets = target_names (self);
  return nn_pipeline_new (self->model, self->scaler, self->task,
                          nn_dataset_get_feature_names (self->train),
                          (const char * const *) targets,
                          nn_dataset_get_class_names (self->train),
                          self->positive);
}

static gboolean
save_model (NnExperiment  *self,
            GError       **error)
{
  g_autoptr(NnPipeline) pipeline = nn_experiment_get_pipeline (self);

  return nn_pipeline_save (pipeline, self->staging_dir, error);
}

/* What happens after each epoch of a run, in this order: its row of the
 * history, early stopping, the periodic checkpoint, the epoch-finished
 * signal. Returns them, added to the trainer. */
static GPtrArray *
add_run_callbacks (NnExperiment *self)
{
  GPtrArray *callbacks = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (callbacks,
                   nn_history_callback_new ((const char * const *) self->columns,
                                            (const char * const *) self->metrics, self->task,
                                            self->train, self->val, self->history,
                                            &self->epochs_run, self->start_time,
                                            self->seconds_before));
  if (self->early_stopping != NULL)
    g_ptr_array_add (callbacks, g_object_ref (self->early_stopping));
  if (self->checkpoint_every > 0)
    g_ptr_array_add (callbacks, nn_checkpoint_callback_new (self->checkpoint_every,
                                                            write_periodic_checkpoint, self));
  g_ptr_array_add (callbacks, nn_signal_callback_new (self, signals[EPOCH_FINISHED]));
  for (guint i = 0; i < callbacks->len; i++)
    nn_trainer_add_callback (self->trainer, callbacks->pdata[i]);
  return callbacks;
}

/* The history of a run from its start, or from the checkpoint it resumes
 * from; @config: the experiment as the run starts. */
static gboolean
begin_history (NnExperiment  *self,
               const char    *config,
               GError       **error)
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

/**
 * nn_experiment_run:
 * @self: a #NnExperiment
 * @cancellable: (nullable): stops training between epochs
 * @error: return location for a #GError
 *
 * Writes `config.yaml` (nn_experiment_to_yaml()), trains the model, and
 * writes `history.csv`, `summary.json`, the checkpoint and, when training
 * completes, the model (`model.yaml` and `model.safetensors`, see
 * nn_pipeline_save()), all into the staging directory `DIR.partial` beside
 * the run directory `DIR`; then, if #NnExperiment:auto-commit is set (the
 * default), they replace the previous run's files in `DIR` together (see
 * nn_experiment_commit()).
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
 * Before training, it refuses an output directory that cannot be one (an
 * empty path, the root directory, anything under /proc, /sys or /dev, a
 * file, a symbolic link to one or to nothing, a device, a FIFO):
 * %NN_CONFIG_ERROR_INVALID_VALUE; and one another run holds:
 * %G_IO_ERROR_BUSY.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
nn_experiment_run (NnExperiment  *self,
                   GCancellable  *cancellable,
                   GError       **error)
{
  g_autoptr(GError) train_error = NULL;
  g_autoptr(GPtrArray) callbacks = NULL;
  g_autofree char *config = NULL;
  NnDataset *val;
  gboolean ok, cancelled;

  g_return_val_if_fail (NN_IS_EXPERIMENT (self), FALSE);
  g_return_val_if_fail (!self->running, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Before anything is written: a run directory YAML cannot name. */
  if ((config = to_yaml (self, error)) == NULL)
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
  self->start_time = g_get_monotonic_time ();
  self->stop_reason = "running";

  val = self->val;
  callbacks = add_run_callbacks (self);
  self->running = TRUE;
  ok = nn_trainer_fit (self->trainer,
                       nn_dataset_get_features (self->train), nn_dataset_get_targets (self->train),
                       val ? nn_dataset_get_features (val) : NULL,
                       val ? nn_dataset_get_targets (val) : NULL,
                       cancellable, &train_error);
  self->running = FALSE;
  for (guint i = 0; i < callbacks->len; i++)
    nn_trainer_remove_callback (self->trainer, callbacks->pdata[i]);

  self->seconds = self->seconds_before + (g_get_monotonic_time () - self->start_time) / 1e6;
  cancelled = !ok && g_error_matches (train_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* Early stopping is the only callback of a run that stops it. */
  if (ok)
    self->stop_reason = nn_trainer_get_stop_requested (self->trainer)
                        ? "early_stopping" : "completed";
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
      if (!save_model (self, error))
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
 * nn_experiment_set_auto_commit:
 * @self: a #NnExperiment
 * @auto_commit: whether nn_experiment_run() moves the run's files into
 *   the run directory itself
 *
 * Sets #NnExperiment:auto-commit.
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
 * Returns: the value of #NnExperiment:auto-commit
 */
gboolean
nn_experiment_get_auto_commit (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), FALSE);

  return self->auto_commit;
}

/**
 * nn_experiment_get_staging_dir:
 * @self: a #NnExperiment
 *
 * The directory holding the files of the run in progress, or of a finished
 * run that waits for nn_experiment_commit() (#NnExperiment:auto-commit
 * unset): `DIR.partial`, beside the run directory `DIR` (or beside the
 * directory `DIR` links to). A caller may add files of its own to the run
 * there, e.g. plots drawn from its `history.csv`.
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
 * @self: a #NnExperiment whose run finished with #NnExperiment:auto-commit
 *   unset, and whose nn_experiment_get_staging_dir() is not %NULL
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
nn_experiment_commit (NnExperiment  *self,
                      GError       **error)
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
 * stays in the staging directory for nn_experiment_resume(), and so do
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
 * Returns: (transfer none) (array zero-terminated=1): the names of the
 *   columns of `history.csv`, once nn_experiment_run() has started
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
 * @column: an index into nn_experiment_get_history_columns()
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
 * Returns: the value with the final weights, or NaN if there is none
 */
double
nn_experiment_get_final_metric (NnExperiment *self,
                                const char   *split,
                                const char   *metric)
{
  g_autofree char *key = NULL;
  double *v;

  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NAN);

  key = g_strconcat (split, "/", metric, NULL);
  v = g_hash_table_lookup (self->final, key);
  return v ? *v : NAN;
}

/* ---- the resolved experiment --------------------------------------------- */

static void
write_enum (NnYamlWriter *w,
            GType         type,
            gint          value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);

  nn_yaml_writer_string (w, g_enum_get_value (klass, value)->value_nick);
}

static void
write_matrix (NnYamlWriter   *w,
              const NnMatrix *m,
              gboolean        vector)
{
  nn_yaml_writer_begin_sequence (w, TRUE);
  for (guint r = 0; r < m->rows; r++)
    {
      if (!vector)
        nn_yaml_writer_begin_sequence (w, TRUE);
      for (guint c = 0; c < m->cols; c++)
        nn_yaml_writer_real (w, NN_MATRIX_AT (m, r, c));
      if (!vector)
        nn_yaml_writer_end_sequence (w);
    }
  nn_yaml_writer_end_sequence (w);
}

static void
key (NnYamlWriter *w,
     const char   *name)
{
  nn_yaml_writer_string (w, name);
}

static char *
to_yaml (NnExperiment  *self,
         GError       **error)
{
  g_autoptr(NnYamlWriter) w = NULL;
  g_autoptr(GError) local_error = NULL;
  NnModel *model;
  char *text;

  model = self->model;
  w = nn_yaml_writer_new ();
  nn_yaml_writer_begin_mapping (w, FALSE);

  key (w, "name");
  nn_yaml_writer_string (w, self->name);
  key (w, "seed");
  nn_yaml_writer_uint (w, self->seed);
  if (self->plugin_dirs->len > 0)
    {
      key (w, "plugins");
      nn_yaml_writer_begin_sequence (w, FALSE);
      for (guint i = 0; i < self->plugin_dirs->len; i++)
        nn_yaml_writer_string (w, self->plugin_dirs->pdata[i]);
      nn_yaml_writer_end_sequence (w);
    }

  key (w, "data");
  nn_yaml_writer_begin_mapping (w, FALSE);
  key (w, "source");
  nn_source_write (&self->source, w);
  if (self->test_source.iris || self->test_source.csv || self->test_source.images)
    {
      key (w, "test");
      nn_source_write (&self->test_source, w);
    }
  key (w, "task");
  write_enum (w, NN_TYPE_TASK, self->task);
  if (self->positive != NULL)
    {
      key (w, "positive");
      nn_yaml_writer_string (w, self->positive);
    }
  key (w, "scale");
  write_enum (w, NN_TYPE_SCALE, self->scale);
  key (w, "split");
  nn_yaml_writer_begin_mapping (w, TRUE);
  key (w, "validation");
  nn_yaml_writer_double (w, self->split_validation);
  key (w, "test");
  nn_yaml_writer_double (w, self->split_test);
  key (w, "stratify");
  nn_yaml_writer_bool (w, self->split_stratify);
  key (w, "shuffle");
  nn_yaml_writer_bool (w, self->split_shuffle);
  nn_yaml_writer_end_mapping (w);
  nn_yaml_writer_end_mapping (w);

  key (w, "model");
  nn_yaml_writer_begin_mapping (w, FALSE);
  key (w, "init");
  write_enum (w, NN_TYPE_INIT, self->init);
  key (w, "layers");
  nn_yaml_writer_begin_sequence (w, FALSE);
  for (guint i = 0; i < nn_model_get_n_layers (model); i++)
    {
      NnLayer *layer = nn_model_get_layer (model, i);
      NnActivation *act = nn_layer_get_activation (layer);

      nn_yaml_writer_begin_mapping (w, FALSE);
      key (w, "units");
      nn_yaml_writer_uint (w, nn_layer_get_units (layer));
      key (w, "activation");
      nn_yaml_writer_object (w, G_OBJECT (act), nn_activation_get_name (act));
      if (self->inline_weights->pdata[i] != NULL)
        {
          key (w, "weights");
          write_matrix (w, self->inline_weights->pdata[i], FALSE);
        }
      if (self->inline_biases->pdata[i] != NULL)
        {
          key (w, "bias");
          write_matrix (w, self->inline_biases->pdata[i], TRUE);
        }
      nn_yaml_writer_end_mapping (w);
    }
  nn_yaml_writer_end_sequence (w);
  nn_yaml_writer_end_mapping (w);

  key (w, "loss");
  nn_yaml_writer_object (w, G_OBJECT (nn_model_get_loss (model)),
                         nn_loss_get_name (nn_model_get_loss (model)));
  key (w, "optimizer");
  nn_yaml_writer_object (w, G_OBJECT (nn_model_get_optimizer (model)),
                         nn_optimizer_get_name (nn_model_get_optimizer (model)));

  key (w, "train");
  nn_yaml_writer_begin_mapping (w, FALSE);
  key (w, "epochs");
  nn_yaml_writer_uint (w, self->epochs);
  key (w, "batch_size");
  nn_yaml_writer_uint (w, self->batch_size);
  key (w, "shuffle");
  nn_yaml_writer_bool (w, self->shuffle);
  if (nn_trainer_get_schedule (self->trainer) != NULL)
    {
      key (w, "schedule");
      nn_yaml_writer_object (w, G_OBJECT (nn_trainer_get_schedule (self->trainer)),
                             nn_schedule_get_name (nn_trainer_get_schedule (self->trainer)));
    }
  key (w, "clip_norm");
  nn_yaml_writer_double (w, nn_trainer_get_clip_norm (self->trainer));
  if (self->early_stopping != NULL)
    {
      key (w, "early_stopping");
      nn_yaml_writer_object (w, G_OBJECT (self->early_stopping), NULL);
    }
  key (w, "checkpoint_every");
  nn_yaml_writer_uint (w, self->checkpoint_every);
  nn_yaml_writer_end_mapping (w);

  key (w, "metrics");
  nn_yaml_writer_begin_sequence (w, TRUE);
  for (guint m = 0; self->metrics[m] != NULL; m++)
    nn_yaml_writer_string (w, self->metrics[m]);
  nn_yaml_writer_end_sequence (w);

  key (w, "output");
  nn_yaml_writer_begin_mapping (w, FALSE);
  key (w, "dir");
  nn_yaml_writer_string (w, self->output_dir);
  nn_yaml_writer_end_mapping (w);

  nn_yaml_writer_end_mapping (w);
  text = nn_yaml_writer_finish (g_steal_pointer (&w), &local_error);
  /* A file read is UTF-8 throughout: only a run directory given to
   * nn_experiment_set_output_dir() can be at fault. */
  if (text == NULL && !g_utf8_validate (self->output_dir, -1, NULL))
    {
      g_autofree char *shown = g_filename_display_name (self->output_dir);

      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "the run directory '%s' is not valid UTF-8, so config.yaml could not "
                   "record it", shown);
    }
  else if (text == NULL)
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "config.yaml: ");
  return text;
}

/**
 * nn_experiment_to_yaml:
 * @self: a #NnExperiment
 *
 * The experiment with every default and override applied, every plugin
 * parameter written out and every path absolute: the `config.yaml` of a
 * run. Running it reproduces the run.
 *
 * An experiment read from a file is UTF-8 throughout (a path that is not
 * is refused when the file is read), so only a run directory given to
 * nn_experiment_set_output_dir() that is not valid UTF-8 makes this fail.
 *
 * Returns: (transfer full) (nullable): the experiment as YAML, or %NULL
 *   when a string of it is not valid UTF-8
 */
char *
nn_experiment_to_yaml (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  return to_yaml (self, NULL);
}
