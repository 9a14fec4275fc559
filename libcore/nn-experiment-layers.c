/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* model.layers of an experiment file: a layer of each kind. */
#include "config.h"

#include "nn-dense-layer.h"
#include "nn-errors.h"
#include "nn-experiment-private.h"
#include "nn-registry.h"
#include "nn-yaml-object-private.h"

static const char * const layer_keys[] = {
  "units", "activation", "weights", "bias", "regularizer", "type", NULL
};
static const char * const regularizer_keys[] = NN_LAYER_REGULARIZER_KEYS;
/* The key of any other kind of layer besides its properties. */
static const char * const kind_keys[] = { "type", NULL };

/* A dense layer @i of model.layers, @width wide inputs in; the model's
 * size is checked as it grows. */
static gboolean
read_dense_layer (NnExperiment *self,
                  NnYamlDoc    *doc,
                  yaml_node_t  *item,
                  guint         i,
                  guint        *width,
                  guint64      *n_parameters,
                  yaml_node_t **units_node,
                  GError      **error)
{
  g_autofree char *what = g_strdup_printf ("model.layers[%u]", i);
  g_autofree char *u_what = g_strdup_printf ("model.layers[%u].units", i);
  g_autofree char *act_what = g_strdup_printf ("model.layers[%u].activation", i);
  g_autofree char *w_what = g_strdup_printf ("model.layers[%u].weights", i);
  g_autofree char *b_what = g_strdup_printf ("model.layers[%u].bias", i);
  g_autoptr(NnActivation) activation = NULL;
  g_autoptr(NnLayer) layer = NULL;
  yaml_node_t *v;
  guint64      units;
  NnMatrix    *w = NULL, *b = NULL;

  if (!nn_yaml_check_mapping (doc, item, what, layer_keys, error))
    return FALSE;
  if ((v = nn_yaml_lookup (doc, item, "units")) == NULL)
    {
      nn_yaml_set_error (error, doc, item, NN_CONFIG_ERROR_MISSING_KEY,
                         "%s needs 'units'", what);
      return FALSE;
    }
  *units_node = v;
  if (!nn_yaml_get_uint (doc, v, u_what, 1, NN_LAYER_MAX_WIDTH, &units, error))
    return FALSE;
  /* Checked before anything is allocated: two wide layers could otherwise
   * ask for terabytes. */
  *n_parameters += ((guint64) *width + 1) * units;
  if (*n_parameters > NN_MODEL_MAX_PARAMETERS)
    {
      nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s makes the model larger than %" G_GUINT64_FORMAT
                         " parameters, the most an experiment may have",
                         u_what, (guint64) NN_MODEL_MAX_PARAMETERS);
      return FALSE;
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
                           "available: %s",
                           what, local_error->message);
    }
  if (activation == NULL)
    return FALSE;

  if ((v = nn_yaml_lookup (doc, item, "weights")) != NULL &&
      (w = nn_yaml_get_matrix (doc, v, w_what, (guint) units, *width, FALSE, error)) == NULL)
    return FALSE;
  g_ptr_array_add (self->inline_weights, w);
  if ((v = nn_yaml_lookup (doc, item, "bias")) != NULL &&
      (b = nn_yaml_get_matrix (doc, v, b_what, 1, (guint) units, TRUE, error)) == NULL)
    return FALSE;
  g_ptr_array_add (self->inline_biases, b);

  layer = nn_layer_new (*width, (guint) units, activation);
  if ((v = nn_yaml_lookup (doc, item, "regularizer")) != NULL)
    {
      g_autofree char *r_what = g_strdup_printf ("model.layers[%u].regularizer", i);

      if (!nn_yaml_read_some_properties (doc, v, G_OBJECT (layer), r_what, regularizer_keys,
                                         error))
        return FALSE;
    }
  nn_model_add_layer (self->model, layer);
  *width = (guint) units;
  return TRUE;
}

/* `type`, read already. */
static gboolean
read_kind_key (NnYamlDoc   *doc,
               yaml_node_t *v,
               const char  *key,
               gpointer     user_data,
               GError     **error)
{
  return TRUE;
}

/* Layer @i of model.layers of a kind other than dense, its keys the
 * kind's properties. */
static gboolean
read_kind_layer (NnExperiment *self,
                 NnYamlDoc    *doc,
                 yaml_node_t  *item,
                 GType         type,
                 guint         i,
                 guint        *width,
                 GError      **error)
{
  g_autofree char *what = g_strdup_printf ("model.layers[%u]", i);
  g_autoptr(NnLayer) layer = g_object_new (type, "n-inputs", *width, NULL);
  GParamSpec *activation = g_object_class_find_property (G_OBJECT_GET_CLASS (layer),
                                                         "activation");

  if (!nn_yaml_read_properties (doc, item, G_OBJECT (layer), what, kind_keys, read_kind_key,
                                NULL, error))
    return FALSE;
  /* A kind named for its activation has nothing to do without one. */
  if (activation != NULL && nn_layer_get_activation (layer) == NULL)
    {
      nn_yaml_set_error (error, doc, item, NN_CONFIG_ERROR_MISSING_KEY,
                         "%s needs 'activation'", what);
      return FALSE;
    }
  g_ptr_array_add (self->inline_weights, NULL);
  g_ptr_array_add (self->inline_biases, NULL);
  nn_model_add_layer (self->model, layer);
  *width = nn_layer_get_n_outputs (layer);
  return TRUE;
}

/* Layer @i of model.layers, of the kind its `type` names, dense if none,
 * @width wide inputs in; @width becomes its output width. */
gboolean
nn_experiment_read_layer (NnExperiment *self,
                          NnYamlDoc    *doc,
                          yaml_node_t  *item,
                          guint         i,
                          guint        *width,
                          guint64      *n_parameters,
                          yaml_node_t **units_node,
                          GError      **error)
{
  g_autofree char *t_what = g_strdup_printf ("model.layers[%u].type", i);
  g_autoptr(GError) local_error = NULL;
  yaml_node_t *v = item->type == YAML_MAPPING_NODE ? nn_yaml_lookup (doc, item, "type") : NULL;
  const char  *name;
  GType        type;

  if (v == NULL)
    return read_dense_layer (self, doc, item, i, width, n_parameters, units_node, error);
  if (!nn_yaml_get_string (doc, v, t_what, &name, error))
    return FALSE;
  type = nn_registry_lookup (NN_REGISTRY_LAYER, name, &local_error);
  if (type == G_TYPE_INVALID)
    {
      nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_UNKNOWN_TYPE, "%s: %s", t_what,
                         local_error->message);
      return FALSE;
    }
  if (type == NN_TYPE_DENSE_LAYER)
    return read_dense_layer (self, doc, item, i, width, n_parameters, units_node, error);
  if (i == 0)
    *units_node = v;
  if (!read_kind_layer (self, doc, item, type, i, width, error))
    return FALSE;
  /* A kind's parameters are as wide as its input, which is bounded: the
   * total is what could grow past the limit. */
  {
    NnLayer *layer = nn_model_get_layer (self->model, nn_model_get_n_layers (self->model) - 1);

    for (guint k = 0; k < nn_layer_get_n_parameters (layer); k++)
      *n_parameters += nn_matrix_size (nn_layer_get_parameter (layer, k));
  }
  if (*n_parameters > NN_MODEL_MAX_PARAMETERS)
    {
      nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                         "model.layers[%u] makes the model larger than %" G_GUINT64_FORMAT
                         " parameters, the most an experiment may have",
                         i, (guint64) NN_MODEL_MAX_PARAMETERS);
      return FALSE;
    }
  return TRUE;
}
