/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "nn-activation.h"
#include "nn-column-transform-private.h"
#include "nn-errors.h"
#include "nn-pipeline.h"
#include "nn-pipeline-private.h"
#include "nn-plugins.h"
#include "nn-registry.h"
#include "nn-safetensors.h"
#include "nn-utils-private.h"
#include "nn-yaml-object-private.h"

/**
 * NnPipeline:
 *
 * A trained model with what it takes to use it on raw data: the feature
 * columns it reads, the scaler fitted on its training data, the task, the
 * target columns and the class labels. It is what a run saves as
 * `model.yaml` (everything but the weights) and `model.safetensors` (the
 * weights), and what `nnrun eval` and `nnrun predict` load.
 */
G_DEFINE_FINAL_TYPE (NnPipeline, nn_pipeline, G_TYPE_OBJECT)

static void
nn_pipeline_dispose (GObject *object)
{
  NnPipeline *self = NN_PIPELINE (object);

  g_clear_object (&self->model);
  g_clear_object (&self->scaler);
  g_clear_object (&self->target_scaler);
  g_clear_object (&self->transform);

  G_OBJECT_CLASS (nn_pipeline_parent_class)->dispose (object);
}

static void
nn_pipeline_finalize (GObject *object)
{
  NnPipeline *self = NN_PIPELINE (object);

  g_strfreev (self->features);
  g_strfreev (self->targets);
  g_strfreev (self->classes);
  g_free (self->positive);
  g_free (self->id);

  G_OBJECT_CLASS (nn_pipeline_parent_class)->finalize (object);
}

static void
nn_pipeline_class_init (NnPipelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nn_pipeline_dispose;
  object_class->finalize = nn_pipeline_finalize;
}

static void
nn_pipeline_init (NnPipeline *self)
{
}

/**
 * nn_pipeline_new:
 * @model: a model with its loss
 * @scaler: (nullable): the scaler fitted on the training data
 * @task: the task
 * @feature_names: (array zero-terminated=1): the input columns, in order
 * @target_names: (array zero-terminated=1): the target columns
 * @class_names: (nullable) (array zero-terminated=1): the class labels in
 *   index order, for classification
 * @positive: (nullable): for a binary task made from a class column, the
 *   label that is 1
 *
 * Makes a [class@Nn.Pipeline], taking references to @model and @scaler.
 *
 * Returns: (transfer full): a new [class@Nn.Pipeline], taking references to
 *   @model and @scaler
 */
NnPipeline *
nn_pipeline_new (NnModel            *model,
                 NnScaler           *scaler,
                 NnTask              task,
                 const char * const *feature_names,
                 const char * const *target_names,
                 const char * const *class_names,
                 const char         *positive)
{
  NnPipeline *self;

  g_return_val_if_fail (NN_IS_MODEL (model), NULL);
  g_return_val_if_fail (scaler == NULL || NN_IS_SCALER (scaler), NULL);
  g_return_val_if_fail (feature_names != NULL && target_names != NULL, NULL);

  self = g_object_new (NN_TYPE_PIPELINE, NULL);
  self->model = g_object_ref (model);
  self->scaler = scaler ? g_object_ref (scaler) : nn_scaler_new (NN_SCALE_NONE);
  self->task = task;
  self->features = g_strdupv ((char **) feature_names);
  self->targets = g_strdupv ((char **) target_names);
  self->classes = class_names ? g_strdupv ((char **) class_names) : NULL;
  self->positive = g_strdup (positive);
  return self;
}

/**
 * nn_pipeline_get_model:
 * @self: a #NnPipeline
 *
 * Gets the model.
 *
 * Returns: (transfer none): the model
 */
NnModel *
nn_pipeline_get_model (NnPipeline *self)
{
  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);

  return self->model;
}

/**
 * nn_pipeline_get_scaler:
 * @self: a #NnPipeline
 *
 * Gets the scaler, of kind %NN_SCALE_NONE if the data were not scaled.
 *
 * Returns: (transfer none): the scaler, of kind %NN_SCALE_NONE if the data
 *   were not scaled
 */
NnScaler *
nn_pipeline_get_scaler (NnPipeline *self)
{
  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);

  return self->scaler;
}

/**
 * nn_pipeline_get_task:
 * @self: a #NnPipeline
 *
 * Gets the task.
 *
 * Returns: the task
 */
NnTask
nn_pipeline_get_task (NnPipeline *self)
{
  g_return_val_if_fail (NN_IS_PIPELINE (self), NN_TASK_REGRESSION);

  return self->task;
}

/**
 * nn_pipeline_get_feature_names:
 * @self: a #NnPipeline
 *
 * Gets the input columns.
 *
 * Returns: (transfer none) (array zero-terminated=1): the input columns
 */
const char * const *
nn_pipeline_get_feature_names (NnPipeline *self)
{
  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);

  return (const char * const *) self->features;
}

/**
 * nn_pipeline_get_target_names:
 * @self: a #NnPipeline
 *
 * Gets the target columns.
 *
 * Returns: (transfer none) (array zero-terminated=1): the target columns
 */
const char * const *
nn_pipeline_get_target_names (NnPipeline *self)
{
  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);

  return (const char * const *) self->targets;
}

/**
 * nn_pipeline_get_class_names:
 * @self: a #NnPipeline
 *
 * Gets the class labels of the target as read, in index order.
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the class
 *   labels of the target as read, in index order
 */
const char * const *
nn_pipeline_get_class_names (NnPipeline *self)
{
  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);

  return (const char * const *) self->classes;
}

/**
 * nn_pipeline_get_positive:
 * @self: a #NnPipeline
 *
 * Gets the label a binary task calls 1.
 *
 * Returns: (transfer none) (nullable): the label a binary task calls 1
 */
const char *
nn_pipeline_get_positive (NnPipeline *self)
{
  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);

  return self->positive;
}

/**
 * nn_pipeline_get_output_labels:
 * @self: a #NnPipeline
 *
 * The names of the classes the model tells apart, in the order of its class
 * probabilities: the class labels of a multiclass task, the two labels of a
 * binary one (`not X` and `X` for a binary task made of label X).
 *
 * Returns: (transfer full) (nullable): the labels, %NULL for a regression
 */
GStrv
nn_pipeline_get_output_labels (NnPipeline *self)
{
  g_autoptr(GStrvBuilder) b = NULL;

  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);

  if (self->task == NN_TASK_REGRESSION)
    return NULL;
  b = g_strv_builder_new ();
  if (self->task == NN_TASK_BINARY && self->positive != NULL)
    {
      g_autofree char *others = g_strconcat ("not ", self->positive, NULL);
      g_strv_builder_add (b, others);
      g_strv_builder_add (b, self->positive);
    }
  else
    for (gsize i = 0; self->classes != NULL && self->classes[i] != NULL; i++)
      g_strv_builder_add (b, self->classes[i]);
  return g_strv_builder_end (b);
}

/**
 * nn_pipeline_prepare:
 * @self: a #NnPipeline
 * @raw: a data set as read, with the pipeline's feature and target columns
 * @error: return location for a #GError
 *
 * Encodes the targets of @raw with the saved classes (matched by label) and
 * scales its features with the saved scaler, as the training data were.
 *
 * Returns: (transfer full): the data set ready for the model, or %NULL with
 *   @error set (a label the model does not know, for instance)
 */
NnDataset *
nn_pipeline_prepare (NnPipeline *self,
                     NnDataset  *raw,
                     GError    **error)
{
  g_autoptr(NnDataset) reference = NULL;
  NnDataset *ready;
  int        positive = -1;

  g_return_val_if_fail (NN_IS_PIPELINE (self), NULL);
  g_return_val_if_fail (NN_IS_DATASET (raw), NULL);

  /* An empty data set with the training columns and classes. */
  reference = nn_dataset_new (nn_matrix_new (0, g_strv_length (self->features)),
                              nn_matrix_new (0, g_strv_length (self->targets)),
                              (const char * const *) self->features,
                              (const char * const *) self->classes);
  for (guint k = 0; self->positive != NULL && self->classes[k] != NULL; k++)
    if (g_str_equal (self->classes[k], self->positive))
      positive = (int) k;

  ready = nn_dataset_encode_like (raw, reference, self->task, positive, error);
  if (ready != NULL && self->transform != NULL)
    {
      NnDataset *transformed = nn_column_transform_apply (self->transform, ready);
      g_object_unref (ready);
      ready = transformed;
    }
  if (ready != NULL)
    nn_dataset_apply_scaler (ready, self->scaler);
  return ready;
}

/* The name of a layer's weight or bias in model.safetensors. */
char *
nn_pipeline_tensor_name (guint       layer,
                         const char *what)
{
  return g_strdup_printf ("layers.%u.%s", layer, what);
}

/* The SHA-256 of a file, in hex. */
char *
nn_pipeline_file_sha256 (const char *path,
                         GError    **error)
{
  g_autoptr(GMappedFile) mapped = g_mapped_file_new (path, FALSE, error);

  if (mapped == NULL)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                      (const guchar *) g_mapped_file_get_contents (mapped),
                                      g_mapped_file_get_length (mapped));
}

/* ---- loading ------------------------------------------------------------- */

static const char * const model_keys[] = {
  "format", "nn_version", "scalar", "task", "features", "targets", "classes", "positive",
  "missing", "columns", "scaler", "target_scaler", "id", "layers", "loss", "loss_module",
  "weights", "weights_sha256", NULL
};
static const char * const scaler_keys[] = { "kind", "shift", "divisor", NULL };
static const char * const layer_keys[] = {
  "inputs", "units", "activation", "module", "regularizer", NULL
};
static const char * const regularizer_keys[] = NN_LAYER_REGULARIZER_KEYS;
/* A layer of another kind has `type`, `inputs` and its kind's properties. */

static GStrv
read_strings (NnYamlDoc   *doc,
              yaml_node_t *node,
              const char  *what,
              GError     **error)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  if (node->type != YAML_SEQUENCE_NODE || nn_yaml_n_items (node) == 0)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be a non-empty list of names", what);
      return NULL;
    }
  for (guint i = 0; i < nn_yaml_n_items (node); i++)
    {
      const char *s;
      if (!nn_yaml_get_string (doc, nn_yaml_item (doc, node, i), what, &s, error))
        return NULL;
      g_strv_builder_add (b, s);
    }
  return g_strv_builder_end (b);
}

static double *
read_doubles (NnYamlDoc   *doc,
              yaml_node_t *node,
              const char  *what,
              guint        n,
              GError     **error)
{
  g_autofree double *values = NULL;

  if (node == NULL || node->type != YAML_SEQUENCE_NODE || nn_yaml_n_items (node) != n)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be a list of %u numbers, one per feature", what, n);
      return NULL;
    }
  values = g_new (double, n);
  for (guint i = 0; i < n; i++)
    if (!nn_yaml_get_double (doc, nn_yaml_item (doc, node, i), what, -G_MAXDOUBLE,
                             G_MAXDOUBLE, &values[i], error))
      return NULL;
  return g_steal_pointer (&values);
}

static yaml_node_t *
require (NnYamlDoc   *doc,
         yaml_node_t *mapping,
         const char  *key,
         const char  *what,
         GError     **error)
{
  yaml_node_t *v = nn_yaml_lookup (doc, mapping, key);

  if (v == NULL)
    nn_yaml_set_error (error, doc, mapping, NN_CONFIG_ERROR_MISSING_KEY,
                       "%s needs '%s'", what, key);
  return v;
}

/* A dense layer, `layers[@i]`, @width wide inputs in. */
static gboolean
read_dense_layer (NnYamlDoc   *doc,
                  yaml_node_t *item,
                  guint        i,
                  NnModel     *model,
                  guint       *width,
                  guint64     *n_parameters,
                  GError     **error)
{
  g_autofree char *what = g_strdup_printf ("layers[%u]", i);
  g_autoptr(GObject) act = NULL;
  g_autoptr(NnLayer) layer = NULL;
  yaml_node_t *v;
  guint64      inputs, units;

  if (!nn_yaml_check_mapping (doc, item, what, layer_keys, error))
    return FALSE;
  if ((v = require (doc, item, "inputs", what, error)) == NULL ||
      !nn_yaml_get_uint (doc, v, "inputs", 1, NN_LAYER_MAX_WIDTH, &inputs, error))
    return FALSE;
  if (inputs != *width)
    {
      nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s has %" G_GUINT64_FORMAT " inputs, but %s %u",
                         what, inputs, i == 0 ? "the model has features:" : "the layer before has units:",
                         *width);
      return FALSE;
    }
  if ((v = require (doc, item, "units", what, error)) == NULL ||
      !nn_yaml_get_uint (doc, v, "units", 1, NN_LAYER_MAX_WIDTH, &units, error))
    return FALSE;
  /* Both factors are at most 2^20: no overflow. */
  *n_parameters += (inputs + 1) * units;
  if (*n_parameters > NN_MODEL_MAX_PARAMETERS)
    {
      nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s makes the model larger than %" G_GUINT64_FORMAT
                         " parameters, the most a model file may hold",
                         what,
                         NN_MODEL_MAX_PARAMETERS);
      return FALSE;
    }
  if ((v = require (doc, item, "activation", what, error)) == NULL)
    return FALSE;
  act = nn_pipeline_read_plugin_object (doc, v, nn_yaml_lookup (doc, item, "module"),
                                        NN_ACTIVATION_EXTENSION_POINT_NAME, "activation", error);
  if (act == NULL)
    return FALSE;
  layer = nn_layer_new ((guint) inputs, (guint) units, NN_ACTIVATION (act));
  if ((v = nn_yaml_lookup (doc, item, "regularizer")) != NULL)
    {
      g_autofree char *r_what = g_strdup_printf ("%s.regularizer", what);

      if (!nn_yaml_read_some_properties (doc, v, G_OBJECT (layer), r_what, regularizer_keys,
                                         error))
        return FALSE;
    }
  nn_model_add_layer (model, layer);
  *width = (guint) units;
  return TRUE;
}

typedef struct
{
  NnLayer     *layer;
  yaml_node_t *item;
  const char  *what;
  guint        width;
} KindReading;

/* The keys of a layer of another kind that are not its plain properties:
 * `type`, read already, `inputs`, checked, `activation`, with its plugin
 * `module`. */
static gboolean
read_kind_key (NnYamlDoc   *doc,
               yaml_node_t *v,
               const char  *key,
               gpointer     user_data,
               GError     **error)
{
  KindReading *r = user_data;
  guint64      inputs;
  g_autoptr(GObject) act = NULL;

  if (g_str_equal (key, "inputs"))
    {
      if ((v = require (doc, r->item, "inputs", r->what, error)) == NULL ||
          !nn_yaml_get_uint (doc, v, "inputs", 1, NN_LAYER_MAX_WIDTH, &inputs, error))
        return FALSE;
      if (inputs != r->width)
        {
          nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                             "%s has %" G_GUINT64_FORMAT " inputs, but the layer before has %u "
                             "outputs",
                             r->what, inputs, r->width);
          return FALSE;
        }
      return TRUE;
    }
  if (!g_str_equal (key, "activation") || v == NULL)
    return TRUE;
  act = nn_pipeline_read_plugin_object (doc, v, nn_yaml_lookup (doc, r->item, "module"),
                                        NN_ACTIVATION_EXTENSION_POINT_NAME, "activation", error);
  if (act == NULL)
    return FALSE;
  g_object_set (r->layer, "activation", act, NULL);
  return TRUE;
}

/* `layers[@i]` of the kind @type_node names. */
static gboolean
read_kind_layer (NnYamlDoc   *doc,
                 yaml_node_t *item,
                 yaml_node_t *type_node,
                 guint        i,
                 NnModel     *model,
                 guint       *width,
                 GError     **error)
{
  static const char * const custom[] = { "type", "inputs", "activation", "module",
                                         "type_module", NULL };
  g_autofree char          *what = g_strdup_printf ("layers[%u]", i);
  g_autoptr(NnLayer) layer = NULL;
  const char *name;
  GType       type;
  KindReading r = { NULL, item, what, *width };

  if (!nn_yaml_get_string (doc, type_node, "type", &name, error))
    return FALSE;
  type = nn_pipeline_read_plugin_kind (doc, type_node, nn_yaml_lookup (doc, item, "type_module"),
                                       error);
  if (type == G_TYPE_INVALID)
    return FALSE;
  layer = r.layer = g_object_new (type, "n-inputs", *width, NULL);
  if (!nn_yaml_read_properties (doc, item, G_OBJECT (layer), what, custom, read_kind_key, &r,
                                error))
    return FALSE;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (layer), "activation") != NULL &&
      nn_layer_get_activation (layer) == NULL)
    {
      nn_yaml_set_error (error, doc, item, NN_CONFIG_ERROR_MISSING_KEY,
                         "%s needs 'activation'", what);
      return FALSE;
    }
  nn_model_add_layer (model, layer);
  *width = nn_layer_get_n_outputs (layer);
  return TRUE;
}

static gboolean
read_layers (NnYamlDoc   *doc,
             yaml_node_t *node,
             NnModel     *model,
             guint        n_features,
             GError     **error)
{
  guint   width = n_features;
  guint64 n_parameters = 0;

  if (node->type != YAML_SEQUENCE_NODE || nn_yaml_n_items (node) == 0)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "layers must be a non-empty list");
      return FALSE;
    }
  if (nn_yaml_n_items (node) > NN_MODEL_MAX_LAYERS)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "layers has %u layers, more than the %u a model may have",
                         nn_yaml_n_items (node), NN_MODEL_MAX_LAYERS);
      return FALSE;
    }
  for (guint i = 0; i < nn_yaml_n_items (node); i++)
    {
      yaml_node_t *item = nn_yaml_item (doc, node, i);
      yaml_node_t *type = item->type == YAML_MAPPING_NODE ? nn_yaml_lookup (doc, item, "type")
                                                          : NULL;

      if (!(type != NULL ? read_kind_layer (doc, item, type, i, model, &width, error)
                         : read_dense_layer (doc, item, i, model, &width, &n_parameters, error)))
        return FALSE;
    }
  return TRUE;
}

/* Copies tensor `layers.@l.@tensor_name` of the weights file into @target,
 * checked against its shape. */
static gboolean
read_tensor (const char *path,
             GHashTable *tensors,
             guint       l,
             const char *tensor_name,
             NnMatrix   *target,
             GError    **error)
{
  g_autofree char *name = nn_pipeline_tensor_name (l, tensor_name);
  NnMatrix        *t = g_hash_table_lookup (tensors, name);

  if (t == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
                   "%s: error: no tensor '%s'", path, name);
      return FALSE;
    }
  if (!nn_matrix_same_shape (t, target))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
                   "%s: error: tensor '%s' is %u × %u, the model needs %u × %u",
                   path, name, t->rows, t->cols, target->rows, target->cols);
      return FALSE;
    }
  if (!nn_matrix_is_finite (t))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
                   "%s: error: tensor '%s' holds NaN or infinite values", path, name);
      return FALSE;
    }
  nn_matrix_copy_into (t, target);
  return TRUE;
}

/* Copies the weights file's tensors into the layers' parameters and
 * buffers, each checked against the shape the layer needs. */
static gboolean
read_weights (const char *path,
              NnModel    *model,
              GError    **error)
{
  g_autoptr(GHashTable) tensors = nn_safetensors_read (path, NULL, error);
  guint expected = nn_model_get_n_parameters (model);

  if (tensors == NULL)
    return FALSE;
  for (guint l = 0; l < nn_model_get_n_layers (model); l++)
    {
      NnLayer *layer = nn_model_get_layer (model, l);

      for (guint k = 0; k < nn_layer_get_n_parameters (layer); k++)
        if (!read_tensor (path, tensors, l, nn_layer_get_parameter_name (layer, k),
                          nn_layer_get_parameter (layer, k), error))
          return FALSE;
      for (guint k = 0; k < nn_layer_get_n_buffers (layer); k++)
        if (!read_tensor (path, tensors, l, nn_layer_get_buffer_name (layer, k),
                          nn_layer_get_buffer (layer, k), error))
          return FALSE;
      expected += nn_layer_get_n_buffers (layer);
    }
  if (g_hash_table_size (tensors) != expected)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
                   "%s: error: %u tensors, the model has %u (a weight and a bias per dense layer, "
                   "and the parameters and buffers of the other kinds)",
                   path, g_hash_table_size (tensors), expected);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_format (NnYamlDoc   *doc,
             yaml_node_t *root,
             GError     **error)
{
  yaml_node_t *v;
  const char  *s;

  if ((v = require (doc, root, "format", "a model file", error)) == NULL ||
      !nn_yaml_get_string (doc, v, "format", &s, error))
    return FALSE;
  if (!g_str_equal (s, NN_PIPELINE_FORMAT))
    {
      nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                         "format '%s' is not one this nn reads ('%s')", s, NN_PIPELINE_FORMAT);
      return FALSE;
    }
  return TRUE;
}

/* Reads the task and the names of the features, targets and classes. */
static gboolean
read_task (NnPipeline  *self,
           NnYamlDoc   *doc,
           yaml_node_t *root,
           GError     **error)
{
  yaml_node_t *v;
  const char  *s;
  gint         task;

  if ((v = require (doc, root, "task", "a model file", error)) == NULL ||
      !nn_yaml_get_enum (doc, v, "task", NN_TYPE_TASK, &task, error))
    return FALSE;
  self->task = task;
  if ((v = require (doc, root, "features", "a model file", error)) == NULL ||
      (self->features = read_strings (doc, v, "features", error)) == NULL)
    return FALSE;
  if ((v = require (doc, root, "targets", "a model file", error)) == NULL ||
      (self->targets = read_strings (doc, v, "targets", error)) == NULL)
    return FALSE;
  if (self->task != NN_TASK_REGRESSION &&
      ((v = require (doc, root, "classes", "a classification model", error)) == NULL ||
       (self->classes = read_strings (doc, v, "classes", error)) == NULL))
    return FALSE;
  if ((v = nn_yaml_lookup (doc, root, "positive")) != NULL)
    {
      if (!nn_yaml_get_string (doc, v, "positive", &s, error))
        return FALSE;
      if (self->classes == NULL || !g_strv_contains ((const char * const *) self->classes, s))
        {
          nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                             "positive label '%s' is not one of the classes", s);
          return FALSE;
        }
      self->positive = g_strdup (s);
    }
  return TRUE;
}

/* The scaler under @key, of @n_features columns. */
static gboolean
read_id (NnPipeline  *self,
         NnYamlDoc   *doc,
         yaml_node_t *root,
         GError     **error)
{
  yaml_node_t *v = nn_yaml_lookup (doc, root, "id");
  const char  *s;

  if (v == NULL)
    return TRUE;
  if (!nn_yaml_get_string (doc, v, "id", &s, error))
    return FALSE;
  self->id = g_strdup (s);
  return TRUE;
}

static NnScaler *
read_scaler (NnYamlDoc   *doc,
             yaml_node_t *root,
             const char  *key,
             guint        n_features,
             GError     **error)
{
  yaml_node_t       *v, *scaler;
  gint               kind = NN_SCALE_NONE;
  g_autofree double *shift = NULL;
  g_autofree double *divisor = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *kind_what = g_strconcat (key, ".kind", NULL);
  g_autofree char *shift_what = g_strconcat (key, ".shift", NULL);
  g_autofree char *divisor_what = g_strconcat (key, ".divisor", NULL);
  NnScaler        *result;

  if ((scaler = nn_yaml_lookup (doc, root, key)) != NULL)
    {
      if (!nn_yaml_check_mapping (doc, scaler, key, scaler_keys, error))
        return NULL;
      if ((v = require (doc, scaler, "kind", key, error)) == NULL ||
          !nn_yaml_get_enum (doc, v, kind_what, NN_TYPE_SCALE, &kind, error))
        return NULL;
    }
  if (kind == NN_SCALE_NONE)
    return nn_scaler_new (NN_SCALE_NONE);

  shift = read_doubles (doc, nn_yaml_lookup (doc, scaler, "shift"), shift_what,
                        n_features, error);
  if (shift == NULL)
    return NULL;
  divisor = read_doubles (doc, nn_yaml_lookup (doc, scaler, "divisor"), divisor_what,
                          n_features, error);
  if (divisor == NULL)
    return NULL;
  result = nn_scaler_new_from_parameters (kind, shift, divisor, n_features, &local_error);
  if (result == NULL)
    nn_yaml_set_error (error, doc, scaler, NN_CONFIG_ERROR_INVALID_VALUE, "%s",
                       local_error->message);
  return result;
}

/* Reads the layers, which must end in the outputs the task needs, and the
 * loss. */
static gboolean
read_model (NnPipeline  *self,
            NnYamlDoc   *doc,
            yaml_node_t *root,
            GError     **error)
{
  guint        n_features = self->transform ? nn_column_transform_get_n_outputs (self->transform)
                                            : g_strv_length (self->features);
  yaml_node_t *v;
  guint        outputs, want;

  self->model = nn_model_new ();
  if ((v = require (doc, root, "layers", "a model file", error)) == NULL ||
      !read_layers (doc, v, self->model, n_features, error))
    return FALSE;
  outputs = nn_model_get_n_outputs (self->model);
  want = self->task == NN_TASK_BINARY       ? 1
         : self->task == NN_TASK_MULTICLASS ? g_strv_length (self->classes)
                                            : g_strv_length (self->targets);
  if (outputs != want)
    {
      nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                         "the last layer has %u units, the task needs %u", outputs, want);
      return FALSE;
    }
  if ((v = nn_yaml_lookup (doc, root, "loss")) != NULL)
    {
      g_autoptr(GObject) loss = nn_pipeline_read_plugin_object (doc, v, nn_yaml_lookup (doc, root, "loss_module"),
                                                                 NN_LOSS_EXTENSION_POINT_NAME, "loss", error);
      if (loss == NULL)
        return FALSE;
      nn_model_set_loss (self->model, NN_LOSS (loss));
    }
  return TRUE;
}

/* Checks the weights file against the SHA-256 saved with the model. */
static gboolean
check_weights_sha256 (NnYamlDoc   *doc,
                      yaml_node_t *v,
                      const char  *weights,
                      GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *sha256 = NULL;
  const char      *want;

  if (!nn_yaml_get_string (doc, v, "weights_sha256", &want, error))
    return FALSE;
  sha256 = nn_pipeline_file_sha256 (weights, &local_error);
  if (sha256 == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE, "%s: error: %s",
                   weights, local_error->message);
      return FALSE;
    }
  if (g_ascii_strcasecmp (sha256, want) != 0)
    {
      nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s is not the weights file saved with this model (its "
                         "SHA-256 differs): the two files come from different saves",
                         weights);
      return FALSE;
    }
  return TRUE;
}

/* Reads the weights file named in the document, in @dir, into @model. */
static gboolean
load_weights (NnYamlDoc   *doc,
              yaml_node_t *root,
              const char  *dir,
              NnModel     *model,
              GError     **error)
{
  g_autofree char *weights = NULL;
  yaml_node_t     *v;
  const char      *s;

  if ((v = require (doc, root, "weights", "a model file", error)) == NULL ||
      !nn_yaml_get_string (doc, v, "weights", &s, error))
    return FALSE;
  if (strchr (s, '/') != NULL)
    {
      nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                         "weights must name a file beside model.yaml, not '%s'", s);
      return FALSE;
    }
  weights = g_build_filename (dir, s, NULL);
  if (!read_weights (weights, model, error))
    return FALSE;
  /* Optional: files saved before it was recorded have none. */
  v = nn_yaml_lookup (doc, root, "weights_sha256");
  return v == NULL || check_weights_sha256 (doc, v, weights, error);
}

static NnPipeline *
read_document (NnYamlDoc  *doc,
               const char *dir,
               GError    **error)
{
  g_autoptr(NnPipeline) self = g_object_new (NN_TYPE_PIPELINE, NULL);
  g_autoptr(GError) local_error = NULL;
  yaml_node_t *root = nn_yaml_root (doc);

  if (!nn_yaml_check_mapping (doc, root, "a model file", model_keys, error) ||
      !read_format (doc, root, error) ||
      !read_task (self, doc, root, error))
    return NULL;
  /* Absent from models saved before it, and from those that need none. */
  self->transform = nn_column_transform_read (doc, root, (const char * const *) self->features,
                                              &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  self->scaler = read_scaler (doc, root, "scaler",
                              self->transform ? nn_column_transform_get_n_outputs (self->transform)
                                              : g_strv_length (self->features),
                              error);
  if (self->scaler == NULL)
    return NULL;
  if (self->task == NN_TASK_REGRESSION &&
      nn_yaml_lookup (doc, root, "target_scaler") != NULL &&
      (self->target_scaler = read_scaler (doc, root, "target_scaler",
                                          g_strv_length (self->targets), error)) == NULL)
    return NULL;
  if (!read_id (self, doc, root, error) ||
      !read_model (self, doc, root, error) ||
      !load_weights (doc, root, dir, self->model, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * nn_pipeline_load:
 * @path: a run directory, or the `model.yaml` of one
 * @error: return location for a #GError
 *
 * Loads a saved model: `model.yaml` and the weights file it names. A
 * malformed `model.yaml` gives %NN_CONFIG_ERROR with its position; weights
 * that do not fit, and a `model.yaml` that is not a regular file or is
 * longer than [const@Nn.PIPELINE_MAX_FILE_SIZE], give
 * %NN_MODEL_ERROR_INVALID_FILE; a plugin the model uses
 * but this nn lacks is named, with the file it came from and the folders
 * searched.
 *
 * Returns: (transfer full): the pipeline, or %NULL with @error set
 */
NnPipeline *
nn_pipeline_load (const char *path,
                  GError    **error)
{
  g_autofree char *yaml_path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(NnYamlDoc) doc = NULL;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  yaml_path = g_file_test (path, G_FILE_TEST_IS_DIR) ? g_build_filename (path, "model.yaml", NULL)
                                                     : g_strdup (path);
  dir = g_path_get_dirname (yaml_path);
  if (!nn_read_file_limited (yaml_path, NN_PIPELINE_MAX_FILE_SIZE, &contents, &length,
                             &local_error))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE, "%s: error: %s",
                   yaml_path, local_error->message);
      return NULL;
    }
  doc = nn_yaml_doc_new_from_data (yaml_path, contents, length, error);
  if (doc == NULL)
    return NULL;
  /* The plugins it names are loaded as they are looked up, and no others. */
  return read_document (doc, dir, error);
}
