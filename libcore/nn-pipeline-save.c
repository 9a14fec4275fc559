/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Saving a pipeline: model.safetensors, then the model.yaml that names it. */
#include "config.h"

#include <string.h>

#include "nn-activation.h"
#include "nn-column-transform-private.h"
#include "nn-dense-layer.h"
#include "nn-errors.h"
#include "nn-pipeline.h"
#include "nn-pipeline-private.h"
#include "nn-plugin.h"
#include "nn-plugins.h"
#include "nn-safetensors.h"
#include "nn-utils-private.h"
#include "nn-yaml-object-private.h"

static void
write_strings (NnYamlWriter       *w,
               const char         *key,
               const char * const *values)
{
  nn_yaml_writer_string (w, key);
  nn_yaml_writer_begin_sequence (w, TRUE);
  for (gsize i = 0; values[i] != NULL; i++)
    nn_yaml_writer_string (w, values[i]);
  nn_yaml_writer_end_sequence (w);
}

static void
write_doubles (NnYamlWriter *w,
               const char   *key,
               const double *values,
               guint         n)
{
  nn_yaml_writer_string (w, key);
  nn_yaml_writer_begin_sequence (w, TRUE);
  for (guint i = 0; i < n; i++)
    nn_yaml_writer_double (w, values[i]);
  nn_yaml_writer_end_sequence (w);
}

/* Where a plugin object's class came from, so a missing one can be named. */
static void
write_module (NnYamlWriter *w,
              const char   *key,
              GObject      *object)
{
  const char *file = nn_plugins_get_file_for_type (G_OBJECT_TYPE (object));

  nn_yaml_writer_string (w, key);
  nn_yaml_writer_begin_mapping (w, TRUE);
  nn_yaml_writer_string (w, "type");
  nn_yaml_writer_string (w, G_OBJECT_TYPE_NAME (object));
  nn_yaml_writer_string (w, "file");
  nn_yaml_writer_string (w, file ? file : "(unknown)");
  nn_yaml_writer_string (w, "version");
  nn_yaml_writer_string (w, nn_plugins_get_version_for_type (G_OBJECT_TYPE (object))
                              ? nn_plugins_get_version_for_type (G_OBJECT_TYPE (object))
                              : "unversioned");
  nn_yaml_writer_string (w, "abi");
  nn_yaml_writer_uint (w, NN_PLUGIN_ABI_VERSION);
  nn_yaml_writer_end_mapping (w);
}

/* Writes the weights of every layer to @weights_path; returns the SHA-256
 * of the file written. */
static char *
save_weights (NnModel    *model,
              const char *weights_path,
              GError    **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) tensors = g_ptr_array_new ();
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) local_error = NULL;
  char *weights_sha256;

  for (guint l = 0; l < nn_model_get_n_layers (model); l++)
    {
      NnLayer *layer = nn_model_get_layer (model, l);

      for (guint k = 0; k < nn_layer_get_n_parameters (layer); k++)
        {
          g_ptr_array_add (names, nn_pipeline_tensor_name (l, nn_layer_get_parameter_name (layer,
                                                                                           k)));
          g_ptr_array_add (tensors, nn_layer_get_parameter (layer, k));
        }
      for (guint k = 0; k < nn_layer_get_n_buffers (layer); k++)
        {
          g_ptr_array_add (names, nn_pipeline_tensor_name (l, nn_layer_get_buffer_name (layer, k)));
          g_ptr_array_add (tensors, nn_layer_get_buffer (layer, k));
        }
    }
  g_hash_table_insert (metadata, (gpointer) "format", (gpointer) NN_PIPELINE_FORMAT);
  if (!nn_safetensors_write (weights_path, names->len, (const char * const *) names->pdata,
                             (const NnMatrix * const *) tensors->pdata, metadata, error))
    return NULL;

  weights_sha256 = nn_pipeline_file_sha256 (weights_path, &local_error);
  if (weights_sha256 == NULL)
    g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO, "%s: error: %s", weights_path,
                 local_error->message);
  return weights_sha256;
}

static void
write_scaler (NnYamlWriter *w,
              NnScaler     *scaler)
{
  nn_yaml_writer_begin_mapping (w, FALSE);
  nn_yaml_writer_string (w, "kind");
  nn_yaml_writer_enum (w, NN_TYPE_SCALE, nn_scaler_get_kind (scaler));
  if (nn_scaler_is_fitted (scaler) && nn_scaler_get_kind (scaler) != NN_SCALE_NONE)
    {
      write_doubles (w, "shift", nn_scaler_get_shift (scaler),
                     nn_scaler_get_n_features (scaler));
      write_doubles (w, "divisor", nn_scaler_get_divisor (scaler),
                     nn_scaler_get_n_features (scaler));
    }
  nn_yaml_writer_end_mapping (w);
}

static const char * const regularizer_keys[] = NN_LAYER_REGULARIZER_KEYS;

static void
write_layers (NnYamlWriter *w,
              NnModel      *model)
{
  nn_yaml_writer_begin_sequence (w, FALSE);
  for (guint l = 0; l < nn_model_get_n_layers (model); l++)
    {
      NnLayer      *layer = nn_model_get_layer (model, l);
      NnActivation *act = nn_layer_get_activation (layer);
      const char   *file = nn_plugins_get_file_for_type (G_OBJECT_TYPE (layer));

      nn_yaml_writer_begin_mapping (w, FALSE);
      if (!NN_IS_DENSE_LAYER (layer))
        {
          /* Another kind: its name, its input width and its properties. */
          nn_yaml_writer_string (w, "type");
          nn_yaml_writer_string (w, nn_layer_get_kind_name (layer));
          nn_yaml_writer_string (w, "inputs");
          nn_yaml_writer_uint (w, nn_layer_get_n_inputs (layer));
          nn_yaml_writer_properties (w, G_OBJECT (layer));
          /* A kind from a plugin file, as `module` for an activation. */
          if (file != NULL && !g_str_equal (file, "(built-in)"))
            write_module (w, "type_module", G_OBJECT (layer));
          if (act != NULL)
            write_module (w, "module", G_OBJECT (act));
          nn_yaml_writer_end_mapping (w);
          continue;
        }
      nn_yaml_writer_string (w, "inputs");
      nn_yaml_writer_uint (w, nn_layer_get_n_inputs (layer));
      nn_yaml_writer_string (w, "units");
      nn_yaml_writer_uint (w, nn_layer_get_units (layer));
      nn_yaml_writer_string (w, "activation");
      nn_yaml_writer_object (w, G_OBJECT (act), nn_activation_get_name (act));
      write_module (w, "module", G_OBJECT (act));
      if (nn_layer_get_l1 (layer) != 0.0 || nn_layer_get_l2 (layer) != 0.0)
        {
          nn_yaml_writer_string (w, "regularizer");
          nn_yaml_writer_begin_mapping (w, TRUE);
          nn_yaml_writer_some_properties (w, G_OBJECT (layer), regularizer_keys);
          nn_yaml_writer_end_mapping (w);
        }
      nn_yaml_writer_end_mapping (w);
    }
  nn_yaml_writer_end_sequence (w);
}

/* The text of model.yaml, naming @yaml_path in an error. */
static char *
describe (NnPipeline *self,
          const char *weights_sha256,
          const char *yaml_path,
          GError    **error)
{
  g_autoptr(NnYamlWriter) w = nn_yaml_writer_new ();
  g_autoptr(GError) local_error = NULL;
  NnLoss             *loss = nn_model_get_loss (nn_pipeline_get_model (self));
  const char * const *classes = nn_pipeline_get_class_names (self);
  const char         *positive = nn_pipeline_get_positive (self);
  char               *yaml;

  nn_yaml_writer_begin_mapping (w, FALSE);
  nn_yaml_writer_string (w, "format");
  nn_yaml_writer_string (w, NN_PIPELINE_FORMAT);
  nn_yaml_writer_string (w, "nn_version");
  nn_yaml_writer_string (w, NN_VERSION);
  nn_yaml_writer_string (w, "scalar");
  nn_yaml_writer_string (w, NN_REAL_NAME);
  nn_yaml_writer_string (w, "task");
  nn_yaml_writer_enum (w, NN_TYPE_TASK, nn_pipeline_get_task (self));
  write_strings (w, "features", nn_pipeline_get_feature_names (self));
  write_strings (w, "targets", nn_pipeline_get_target_names (self));
  if (classes != NULL)
    write_strings (w, "classes", classes);
  if (positive != NULL)
    {
      nn_yaml_writer_string (w, "positive");
      nn_yaml_writer_string (w, positive);
    }
  if (nn_pipeline_get_transform (self) != NULL)
    nn_column_transform_write (nn_pipeline_get_transform (self), w);
  nn_yaml_writer_string (w, "scaler");
  write_scaler (w, nn_pipeline_get_scaler (self));
  if (nn_pipeline_get_target_scaler (self) != NULL)
    {
      nn_yaml_writer_string (w, "target_scaler");
      write_scaler (w, nn_pipeline_get_target_scaler (self));
    }
  if (nn_pipeline_get_id_column (self) != NULL)
    {
      nn_yaml_writer_string (w, "id");
      nn_yaml_writer_string (w, nn_pipeline_get_id_column (self));
    }
  nn_yaml_writer_string (w, "layers");
  write_layers (w, nn_pipeline_get_model (self));
  if (loss != NULL)
    {
      nn_yaml_writer_string (w, "loss");
      nn_yaml_writer_object (w, G_OBJECT (loss), nn_loss_get_name (loss));
      write_module (w, "loss_module", G_OBJECT (loss));
    }
  nn_yaml_writer_string (w, "weights");
  nn_yaml_writer_string (w, "model.safetensors");
  nn_yaml_writer_string (w, "weights_sha256");
  nn_yaml_writer_string (w, weights_sha256);
  nn_yaml_writer_end_mapping (w);

  yaml = nn_yaml_writer_finish (g_steal_pointer (&w), &local_error);
  if (yaml == NULL)
    {
      g_autofree char *shown = g_filename_display_name (yaml_path);

      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "%s: error: %s", shown,
                   local_error->message);
    }
  return yaml;
}

/**
 * nn_pipeline_save:
 * @self: a #NnPipeline
 * @dir: an existing directory
 * @error: return location for a #GError
 *
 * Writes `model.safetensors` (tensors `layers.N.weight`, units × inputs, and
 * `layers.N.bias`, 1 × units) and then `model.yaml`, each atomically.
 * `model.yaml` records the SHA-256 of the weights file (`weights_sha256`),
 * so that a pair from two different saves (one interrupted between the two
 * files) is refused when loaded rather than used.
 *
 * Returns: %TRUE, or %FALSE with %NN_MODEL_ERROR_IO set
 */
gboolean
nn_pipeline_save (NnPipeline *self,
                  const char *dir,
                  GError    **error)
{
  g_autofree char *weights_path = NULL;
  g_autofree char *yaml_path = NULL;
  g_autofree char *weights_sha256 = NULL;
  g_autofree char *yaml = NULL;

  g_return_val_if_fail (NN_IS_PIPELINE (self), FALSE);
  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  weights_path = g_build_filename (dir, "model.safetensors", NULL);
  yaml_path = g_build_filename (dir, "model.yaml", NULL);
  weights_sha256 = save_weights (nn_pipeline_get_model (self), weights_path, error);
  if (weights_sha256 == NULL)
    return FALSE;
  yaml = describe (self, weights_sha256, yaml_path, error);
  if (yaml == NULL)
    return FALSE;
  return nn_write_file_atomic (yaml_path, yaml, strlen (yaml), error);
}
