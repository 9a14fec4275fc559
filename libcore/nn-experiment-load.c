/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-activation.h"
#include "nn-dataset-private.h"
#include "nn-errors.h"
#include "nn-experiment-private.h"
#include "nn-metrics.h"
#include "nn-plugins.h"
#include "nn-schedule.h"
#include "nn-sgd-optimizer.h"
#include "nn-output-section-private.h"
#include "nn-utils-private.h"
#include "nn-yaml-object-private.h"

/* ---- reading the file ---------------------------------------------------- */

static const char * const top_keys[] = {
  "name", "seed", "plugins", "data", "model", "loss", "optimizer", "train",
  "metrics", "output", NULL
};
static const char * const model_keys[] = { "init", "layers", NULL };

/* The keys of `data:` that the experiment reads itself: the sources, which
 * it loads, and the positive label, which must be one of their classes. */
static const char * const data_custom_keys[] = {
  "source", "test", "positive", "missing", "categorical", "columns", NULL
};

/* What the data section asks for, kept until the model is known. */
typedef struct
{
  NnDataset   *raw;
  NnDataset   *test_raw; /* a separate test set, as read */
  yaml_node_t *node;
  yaml_node_t *test_node;
  yaml_node_t *source_node;
  yaml_node_t *task_node;
  yaml_node_t *split_node;
  yaml_node_t *positive_node;
  gboolean     task_given;
  NnTask       task;
  int          positive;
  guint        width; /* of the model's inputs */
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
read_source (NnExperiment *self,
             NnYamlDoc    *doc,
             yaml_node_t  *node,
             DataSpec     *spec,
             GError      **error)
{
  g_autofree char *base_dir = g_path_get_dirname (self->path);

  spec->source_node = node;
  return nn_source_parse (doc, node, "data.source", base_dir, &self->source, error);
}

/* A separate test set: its features are the training data's columns, and
 * its classes are encoded like the training data's later. It is loaded
 * with the training data. */
static gboolean
read_test_source (NnExperiment *self,
                  NnYamlDoc    *doc,
                  yaml_node_t  *node,
                  DataSpec     *spec,
                  GError      **error)
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
  return TRUE;
}

/* A binary task from a class column: @v names the class that is 1. */
static gboolean
read_positive (NnExperiment *self,
               NnYamlDoc    *doc,
               yaml_node_t  *v,
               DataSpec     *spec,
               GError      **error)
{
  const char * const *classes = nn_dataset_get_class_names (spec->raw);
  const char         *label = nn_yaml_scalar (v);
  g_autofree char    *list = NULL;

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
  /* data.task, before this key, was read already. */
  if (nn_yaml_lookup (doc, spec->node, "task") != NULL &&
      self->data_section->task != NN_TASK_BINARY)
    {
      nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                         "'positive' makes a binary task, but data.task is not binary");
      return FALSE;
    }
  spec->task = NN_TASK_BINARY;
  spec->task_given = TRUE;
  self->positive = g_strdup (label);
  g_object_set (self->data_section, "positive", label, NULL);
  return TRUE;
}

typedef struct
{
  NnExperiment *self;
  DataSpec     *spec;
} DataReading;

static gboolean
read_data_key (NnYamlDoc   *doc,
               yaml_node_t *v,
               const char  *key,
               gpointer     user_data,
               GError     **error)
{
  DataReading *r = user_data;

  if (v != NULL && g_str_equal (key, "missing"))
    return nn_column_transform_parse_missing (r->self->transform, doc, v, error);
  if (v != NULL && g_str_equal (key, "categorical"))
    return nn_column_transform_parse_categorical (r->self->transform, doc, v, error);
  if (v != NULL && g_str_equal (key, "columns"))
    return nn_column_transform_parse_columns (r->self->transform, doc, v, error);
  if (g_str_equal (key, "missing") || g_str_equal (key, "categorical") ||
      g_str_equal (key, "columns"))
    return TRUE;
  if (g_str_equal (key, "source"))
    {
      if (v == NULL)
        {
          nn_yaml_set_error (error, doc, r->spec->node, NN_CONFIG_ERROR_MISSING_KEY,
                             "data needs a 'source'");
          return FALSE;
        }
      return read_source (r->self, doc, v, r->spec, error);
    }
  if (v == NULL)
    return TRUE;
  if (g_str_equal (key, "test"))
    return read_test_source (r->self, doc, v, r->spec, error);
  /* Checked against the classes once the data are loaded. */
  r->spec->positive_node = v;
  return TRUE;
}

static gboolean
read_data (NnExperiment *self,
           NnYamlDoc    *doc,
           yaml_node_t  *node,
           DataSpec     *spec,
           GError      **error)
{
  DataReading     r = { self, spec };
  NnSplitSection *split = self->data_section->split;

  spec->node = node;
  spec->positive = -1;
  self->transform = nn_column_transform_new ();
  if (!nn_yaml_read_properties (doc, node, G_OBJECT (self->data_section), "data",
                                data_custom_keys, read_data_key, &r, error) ||
      !nn_experiment_load_sources (self, doc, spec->test_node != NULL, &spec->raw,
                                   &spec->test_raw, error) ||
      (spec->positive_node != NULL &&
       !read_positive (self, doc, spec->positive_node, spec, error)))
    return FALSE;
  if ((spec->task_node = nn_yaml_lookup (doc, node, "task")) != NULL)
    {
      spec->task = self->data_section->task;
      spec->task_given = TRUE;
    }

  if ((spec->split_node = nn_yaml_lookup (doc, node, "split")) == NULL)
    return TRUE;
  if (split->test > 0 && spec->test_node != NULL)
    {
      nn_yaml_set_error (error, doc, nn_yaml_lookup (doc, spec->split_node, "test"),
                         NN_CONFIG_ERROR_INVALID_VALUE,
                         "the test data come from data.test: give either data.test "
                         "or a test fraction of the split, not both");
      return FALSE;
    }
  if (!nn_split_section_check_folds (split, doc, spec->split_node, error))
    return FALSE;
  if (split->validation + split->test >= 1.0)
    {
      nn_yaml_set_error (error, doc, spec->split_node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "validation and test fractions leave nothing to train on");
      return FALSE;
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

/* The output layer, @width units wide, must fit the targets. */
static gboolean
check_output_layer (NnYamlDoc   *doc,
                    DataSpec    *spec,
                    guint        width,
                    yaml_node_t *units_node,
                    GError     **error)
{
  NnDataset   *raw = spec->raw;
  yaml_node_t *task_node = spec->task_node ? spec->task_node : spec->source_node;
  guint        want = 0;

  switch (spec->task)
    {
    case NN_TASK_BINARY:
    case NN_TASK_MULTICLASS:
      {
        /* Numbering the classes of the whole data set here, before it is
         * split, gives every part the same classes. */
        g_autoptr(GError) local_error = NULL;

        want = nn_dataset_encoded_width (raw, spec->task, spec->positive, &local_error);
        if (want == 0)
          {
            nn_yaml_set_error (error, doc, task_node, NN_CONFIG_ERROR_INVALID_VALUE,
                               "%s", local_error->message);
            return FALSE;
          }
      }
      break;
    case NN_TASK_REGRESSION:
      if (nn_dataset_get_class_names (raw) != NULL)
        {
          nn_yaml_set_error (error, doc, task_node, NN_CONFIG_ERROR_INVALID_VALUE,
                             "a regression needs numeric targets, but the target holds "
                             "class labels such as '%s'",
                             nn_dataset_get_class_names (raw)[0]);
          return FALSE;
        }
      want = nn_dataset_get_targets (raw)->cols;
      break;
    default:
      g_assert_not_reached ();
    }
  if (width != want)
    {
      const char *task_name = spec->task == NN_TASK_BINARY       ? "a binary task"
                              : spec->task == NN_TASK_MULTICLASS ? "the data's classes"
                                                                 : "the regression targets";
      nn_yaml_set_error (error, doc, units_node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "the output layer has %u units, but %s need%s %u",
                         width, task_name,
                         spec->task == NN_TASK_BINARY ? "s" : "", want);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_layers (NnExperiment *self,
             NnYamlDoc    *doc,
             yaml_node_t  *node,
             NnInit        init,
             guint         n_inputs,
             DataSpec     *spec,
             GError      **error)
{
  guint         n_layers, width = n_inputs;
  guint64       n_parameters = 0;
  yaml_node_t  *last_units = NULL;
  NnLayer      *out;
  NnActivation *out_activation;

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
    if (!nn_experiment_read_layer (self, doc, nn_yaml_item (doc, node, i), i, &width,
                                   &n_parameters, &last_units, error))
      return FALSE;

  if (nn_model_get_n_parameters (self->model) == 0)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "the model has no parameters: model.layers needs a layer that "
                         "learns, such as a dense one");
      return FALSE;
    }
  out = nn_model_get_layer (self->model, n_layers - 1);
  out_activation = nn_layer_get_activation (out);
  if (!spec->task_given)
    spec->task = infer_task (spec, width,
                             out_activation ? nn_activation_get_name (out_activation) : NULL);
  if (!check_output_layer (doc, spec, width, last_units, error))
    return FALSE;

  nn_model_init_parameters (self->model, init);
  for (guint i = 0; i < n_layers; i++)
    if ((self->inline_weights->pdata[i] != NULL || self->inline_biases->pdata[i] != NULL) &&
        !nn_layer_set_parameters (nn_model_get_layer (self->model, i),
                                  self->inline_weights->pdata[i],
                                  self->inline_biases->pdata[i], error))
      return FALSE; /* shapes were checked while reading */
  return TRUE;
}

static gboolean
read_model (NnExperiment *self,
            NnYamlDoc    *doc,
            yaml_node_t  *node,
            DataSpec     *spec,
            GError      **error)
{
  yaml_node_t *v;
  gint         init = NN_INIT_GLOROT_UNIFORM;

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
  return read_layers (self, doc, v, init, spec->width, spec, error);
}

/* Splits, encodes and scales the data once the task is known. */
static gboolean
prepare_data (NnExperiment *self,
              NnYamlDoc    *doc,
              DataSpec     *spec,
              GError      **error)
{
  guint32 seeds[2] = { (guint32) self->seed, 1 }; /* a stream apart from the model's */
  g_autoptr(GRand) rand = g_rand_new_with_seed_array (seeds, 2);
  g_autoptr(NnDataset) train = NULL;
  g_autoptr(NnDataset) val = NULL;
  g_autoptr(NnDataset) test = NULL;
  g_autoptr(GError) local_error = NULL;
  NnSplitSection *split = self->data_section->split;

  /* With folds, the held-out fold replaces the validation fraction. */
  if (split->folds > 1)
    {
      if (!nn_dataset_split_folds (spec->raw, split->test,
                                   split->stratify && spec->task != NN_TASK_REGRESSION,
                                   split->shuffle, rand, split->folds, split->fold, &train, &val,
                                   &test, &local_error))
        {
          nn_yaml_set_error (error, doc, nn_yaml_lookup (doc, spec->split_node, "folds"),
                             NN_CONFIG_ERROR_INVALID_VALUE, "%s", local_error->message);
          return FALSE;
        }
    }
  else if (!nn_dataset_split (spec->raw, split->validation, split->test,
                              split->stratify && spec->task != NN_TASK_REGRESSION,
                              split->shuffle, rand, &train, &val, &test, &local_error))
    {
      nn_yaml_set_error (error, doc, spec->split_node ? spec->split_node : spec->source_node,
                         NN_CONFIG_ERROR_INVALID_VALUE, "%s", local_error->message);
      return FALSE;
    }

  /* The class label of each training sample, which a class weight may
   * name even where a binary task makes it 0. */
  if (spec->task != NN_TASK_REGRESSION)
    {
      const NnMatrix *t = nn_dataset_get_targets (train);

      self->train_classes = g_new (guint, MAX (t->rows, 1));
      for (guint r = 0; r < t->rows; r++)
        self->train_classes[r] = (guint) t->data[r];
    }

  /* The classes were checked on the whole data set, so encoding a part
   * cannot fail. The parts are this function's alone: their features
   * move into the encoded ones. */
  self->train = nn_dataset_encode_take (g_steal_pointer (&train), spec->task, spec->positive,
                                        error);
  if (self->train == NULL)
    return FALSE;
  if (val != NULL && (self->val = nn_dataset_encode_take (g_steal_pointer (&val), spec->task,
                                                          spec->positive, error)) == NULL)
    return FALSE;
  if (test != NULL && (self->test = nn_dataset_encode_take (g_steal_pointer (&test), spec->task,
                                                            spec->positive, error)) == NULL)
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

  nn_experiment_scale_parts (self);

  /* The data keep their targets: the trainer gets scaled copies, and
   * predictions are mapped back. */
  if (self->data_section->target_scale != NN_SCALE_NONE)
    {
      self->target_scaler = nn_scaler_new (self->data_section->target_scale);
      nn_scaler_fit (self->target_scaler, nn_dataset_get_targets (self->train));
    }
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
read_loss (NnExperiment *self,
           NnYamlDoc    *doc,
           yaml_node_t  *root,
           GError      **error)
{
  yaml_node_t *v;

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
  return TRUE;
}

static gboolean
read_optimizer (NnExperiment *self,
                NnYamlDoc    *doc,
                yaml_node_t  *root,
                GError      **error)
{
  yaml_node_t *v;

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
  return TRUE;
}

static gboolean
read_train_key (NnYamlDoc   *doc,
                yaml_node_t *value,
                const char  *key,
                gpointer     user_data,
                GError     **error)
{
  return nn_experiment_read_class_weight (user_data, doc, value, error);
}

/* Every training batch, the last one too, as large as the model's layers
 * need: batch normalization cannot estimate a variance from one sample. */
static gboolean
check_batch_size (NnExperiment *self,
                  NnYamlDoc    *doc,
                  yaml_node_t  *root,
                  yaml_node_t  *train,
                  GError      **error)
{
  guint        min = nn_model_get_min_training_batch (self->model);
  guint        n = self->train != NULL ? nn_dataset_get_n_samples (self->train) : 0;
  guint        bs = self->train_section->batch_size;
  guint        last;
  yaml_node_t *v = train != NULL ? nn_yaml_lookup (doc, train, "batch_size") : NULL;

  if (min <= 1 || n == 0)
    return TRUE;
  if (bs == 0 || bs > n)
    bs = n;
  last = n % bs != 0 ? n % bs : bs;
  if (MIN (bs, last) >= min)
    return TRUE;
  nn_yaml_set_error (error, doc, v != NULL ? v : train != NULL ? train
                                                               : root,
                     NN_CONFIG_ERROR_INVALID_VALUE,
                     "train.batch_size: %u training samples in batches of %u make a%s batch of "
                     "%u; batch normalization needs at least %u samples per training batch",
                     n, bs, last < bs ? " last" : "", MIN (bs, last), min);
  return FALSE;
}

/* The trainer takes the section's settings; early stopping and checkpoints
 * are the run's. */
static gboolean
read_train (NnExperiment *self,
            NnYamlDoc    *doc,
            yaml_node_t  *root,
            GError      **error)
{
  NnTrainSection *train = self->train_section;
  yaml_node_t    *v;
  g_autoptr(GError) local_error = NULL;

  static const char * const custom[] = { "class_weight", NULL };

  if ((v = nn_yaml_lookup (doc, root, "train")) != NULL &&
      !nn_yaml_read_properties (doc, v, G_OBJECT (train), "train", custom, read_train_key, self,
                                error))
    return FALSE;
  if (!check_batch_size (self, doc, root, v, error))
    return FALSE;
  if (!nn_matrix_check_precision (train->precision, &local_error))
    {
      nn_yaml_set_error (error, doc, v != NULL ? nn_yaml_lookup (doc, v, "precision") : root,
                         NN_CONFIG_ERROR_INVALID_VALUE, "precision %s is not available: %s",
                         train->precision == NN_PRECISION_BF16 ? "bf16" : "float32",
                         local_error->message);
      return FALSE;
    }
  if (train->schedule != NULL)
    nn_schedule_set_total_epochs (train->schedule, train->epochs);
  g_object_set (self->trainer, "epochs", train->epochs, "batch-size", train->batch_size,
                "shuffle", train->shuffle, "clip-norm", train->clip_norm,
                "schedule", train->schedule, NULL);
  g_set_object (&self->early_stopping, train->early_stopping);
  self->checkpoint_every = train->checkpoint_every;
  return TRUE;
}

static gboolean
read_metrics (NnExperiment *self,
              NnYamlDoc    *doc,
              yaml_node_t  *root,
              GError      **error)
{
  yaml_node_t *v;

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
  return TRUE;
}

static gboolean
read_output (NnExperiment *self,
             NnYamlDoc    *doc,
             yaml_node_t  *root,
             GError      **error)
{
  g_autoptr(NnOutputSection) output = g_object_new (NN_TYPE_OUTPUT_SECTION, NULL);
  yaml_node_t *v;

  if ((v = nn_yaml_lookup (doc, root, "output")) != NULL &&
      !nn_yaml_read_properties (doc, v, G_OBJECT (output), "output", NULL, NULL, NULL, error))
    return FALSE;
  self->output_dir = output->dir != NULL ? g_strdup (output->dir)
                                         : g_build_filename ("runs", self->name, NULL);
  return TRUE;
}

/* Early stopping watches a column of the history. */
static gboolean
check_early_stopping (NnExperiment *self,
                      NnYamlDoc    *doc,
                      yaml_node_t  *root,
                      GError      **error)
{
  yaml_node_t *early_node = nn_yaml_lookup (doc, nn_yaml_lookup (doc, root, "train"),
                                            "early_stopping");

  if (self->early_stopping != NULL)
    {
      const char         *monitor = nn_early_stopping_get_monitor (self->early_stopping);
      const char * const *columns = nn_experiment_get_history_columns (self);
      g_autofree char    *list = NULL;

      if (!g_strv_contains (columns, monitor) || g_str_equal (monitor, "epoch") ||
          g_str_equal (monitor, "seconds") || g_str_equal (monitor, "learning_rate"))
        {
          g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
          g_auto(GStrv) watchable = NULL;
          yaml_node_t *monitor_node = nn_yaml_lookup (doc, early_node, "monitor");

          for (guint c = 1; columns[c] != NULL; c++)
            if (!g_str_equal (columns[c], "seconds") && !g_str_equal (columns[c], "learning_rate"))
              g_strv_builder_add (b, columns[c]);
          watchable = g_strv_builder_end (b);
          list = g_strjoinv ("', '", watchable);
          nn_yaml_set_error (error, doc, monitor_node != NULL ? monitor_node : early_node,
                             NN_CONFIG_ERROR_INVALID_VALUE,
                             "train.early_stopping cannot monitor '%s'; the history has '%s'",
                             monitor, list);
          return FALSE;
        }
      if (g_str_has_prefix (monitor, "val_") && self->val == NULL)
        {
          nn_yaml_set_error (error, doc, early_node, NN_CONFIG_ERROR_INVALID_VALUE,
                             "train.early_stopping monitors '%s', but there is no validation "
                             "data: set data.split.validation",
                             monitor);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
read_training (NnExperiment *self,
               NnYamlDoc    *doc,
               yaml_node_t  *root,
               GError      **error)
{
  return read_loss (self, doc, root, error) &&
         read_optimizer (self, doc, root, error) &&
         read_train (self, doc, root, error) &&
         read_metrics (self, doc, root, error) &&
         read_output (self, doc, root, error) &&
         check_early_stopping (self, doc, root, error);
}

static gboolean
is_class_sorted (NnDataset *raw)
{
  const NnMatrix *t = nn_dataset_get_targets (raw);
  guint           changes = 0;

  for (guint r = 1; r < t->rows; r++)
    changes += t->data[r] != t->data[r - 1];
  return t->rows > 2 && changes + 1 <= nn_dataset_get_n_classes (raw);
}

static gboolean
read_name (NnExperiment *self,
           NnYamlDoc    *doc,
           yaml_node_t  *root,
           GError      **error)
{
  yaml_node_t *v;

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
      char            *dot = strrchr (base, '.');
      if (dot != NULL && dot != base)
        *dot = '\0';
      self->name = g_strdup (base);
    }
  return TRUE;
}

/* Plugin folders, loaded before any name is looked up. */
static gboolean
read_plugins (NnExperiment *self,
              NnYamlDoc    *doc,
              yaml_node_t  *root,
              GError      **error)
{
  yaml_node_t *v;

  if ((v = nn_yaml_lookup (doc, root, "plugins")) == NULL)
    return TRUE;
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
      const char      *rel;

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
  return TRUE;
}

gboolean
nn_experiment_load (NnExperiment *self,
                    NnYamlDoc    *doc,
                    GError      **error)
{
  g_auto(DataSpec) spec = { 0 };
  yaml_node_t *root = nn_yaml_root (doc);
  yaml_node_t *v;
  guint64      seed = 42;

  if (!nn_yaml_check_mapping (doc, root, "the experiment", top_keys, error) ||
      !read_name (self, doc, root, error))
    return FALSE;
  if ((v = nn_yaml_lookup (doc, root, "seed")) != NULL &&
      !nn_yaml_get_uint (doc, v, "seed", 0, G_MAXUINT32, &seed, error))
    return FALSE;
  self->seed = seed;
  if (!read_plugins (self, doc, root, error))
    return FALSE;

  if ((v = nn_yaml_lookup (doc, root, "data")) == NULL)
    {
      nn_yaml_set_error (error, doc, root, NN_CONFIG_ERROR_MISSING_KEY,
                         "the experiment needs a 'data' section");
      return FALSE;
    }
  if (!read_data (self, doc, v, &spec, error) ||
      !nn_experiment_fit_columns (self, doc, spec.raw, spec.node,
                                  !(spec.task_given && spec.task == NN_TASK_REGRESSION),
                                  &spec.width, error))
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
  g_object_set (self->data_section, "task", spec.task, NULL);
  if (spec.task != NN_TASK_REGRESSION && self->data_section->target_scale != NN_SCALE_NONE)
    {
      nn_yaml_set_error (error, doc, nn_yaml_lookup (doc, spec.node, "target_scale"),
                         NN_CONFIG_ERROR_INVALID_VALUE,
                         "target_scale scales the targets of a regression, and this is "
                         "a classification");
      return FALSE;
    }
  self->raw_class_sorted = nn_dataset_get_class_names (spec.raw) != NULL &&
                           is_class_sorted (spec.raw);

  if (!prepare_data (self, doc, &spec, error))
    return FALSE;
  return read_training (self, doc, root, error) &&
         nn_experiment_weigh_samples (self, doc, spec.source_node, error);
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
 * Returns: (transfer full): a new [class@Nn.Experiment], or %NULL with @error
 *   set
 */
NnExperiment *
nn_experiment_new_from_file (const char *path,
                             GError    **error)
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
 * Like [ctor@Nn.Experiment.new_from_file], with overrides. An error in an
 * overridden value is reported as `--set KEY=VALUE: error: ...`.
 *
 * Returns: (transfer full): a new [class@Nn.Experiment], or %NULL with @error
 *   set
 */
NnExperiment *
nn_experiment_new_from_file_full (const char         *path,
                                  const char * const *overrides,
                                  GError            **error)
{
  return nn_experiment_new_from_file_reusing (path, overrides, NULL, error);
}

/* Like nn_experiment_new_from_file_full(), taking the data of @data where
 * it reads the same, and leaving its own there. */
NnExperiment *
nn_experiment_new_from_file_reusing (const char         *path,
                                     const char * const *overrides,
                                     NnExperimentData   *data,
                                     GError            **error)
{
  g_autoptr(NnExperiment) self = NULL;
  g_autoptr(NnYamlDoc) doc = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize            length = 0;

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
  self->reuse = data;
  if (!nn_experiment_load (self, doc, error))
    return NULL;
  self->reuse = NULL;
  nn_experiment_add_warnings (self, doc);
  return g_steal_pointer (&self);
}
