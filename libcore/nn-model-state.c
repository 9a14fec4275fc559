/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The model's part of a training state: its layers, loss, parameters and
 * optimizer state. */
#include "config.h"

#include "nn-dense-layer.h"
#include "nn-errors.h"
#include "nn-model-private.h"

/* The type name of @layer's activation, or "" for a kind without one. */
static const char *
activation_type_name (NnLayer *layer)
{
  NnActivation *act = nn_layer_get_activation (layer);

  return act != NULL ? G_OBJECT_TYPE_NAME (act) : "";
}

/* The kinds of the layers, for a state: NULL when every layer is dense, as
 * states of models of dense layers have always been written. */
static GVariant *
layer_kinds (NnModel *self)
{
  GVariantBuilder kinds;
  gboolean        all_dense = TRUE;

  g_variant_builder_init (&kinds, G_VARIANT_TYPE_STRING_ARRAY);
  for (guint l = 0; l < nn_model_get_n_layers (self); l++)
    {
      NnLayer *layer = nn_model_get_layer (self, l);

      all_dense = all_dense && NN_IS_DENSE_LAYER (layer);
      g_variant_builder_add (&kinds, "s", G_OBJECT_TYPE_NAME (layer));
    }
  if (all_dense)
    {
      g_variant_builder_clear (&kinds);
      return NULL;
    }
  return g_variant_builder_end (&kinds);
}

/* The model's part of nn_trainer_save_state(), in the order the dictionary
 * has always been built: `layers`, `loss`, `parameters` and `optimizer`;
 * `layer_kinds` follows `layers` when a layer is not dense, `buffers`
 * follows `parameters` when a layer keeps any. */
void
nn_model_save_state (NnModel      *self,
                     GVariantDict *dict)
{
  GVariantBuilder layers;
  GVariant       *kinds = layer_kinds (self);

  g_variant_builder_init (&layers, G_VARIANT_TYPE ("a(uus)"));
  for (guint l = 0; l < nn_model_get_n_layers (self); l++)
    {
      NnLayer *layer = nn_model_get_layer (self, l);

      g_variant_builder_add (&layers, "(uus)", nn_layer_get_n_inputs (layer),
                             nn_layer_get_n_outputs (layer), activation_type_name (layer));
    }
  g_variant_dict_insert_value (dict, "layers", g_variant_builder_end (&layers));
  if (kinds != NULL)
    g_variant_dict_insert_value (dict, "layer_kinds", kinds);
  g_variant_dict_insert (dict, "loss", "s",
                         nn_model_get_loss (self) != NULL ? G_OBJECT_TYPE_NAME (nn_model_get_loss (self)) : "");
  nn_optimizer_state_add_buffers (dict, "parameters", nn_model_peek_parameter_array (self));
  if (nn_model_peek_buffer_array (self)->len > 0)
    nn_optimizer_state_add_buffers (dict, "buffers", nn_model_peek_buffer_array (self));
  if (nn_model_get_optimizer (self) != NULL)
    {
      g_autoptr(GVariant) optimizer = NULL;

      nn_model_prepare_optimizer (self);
      optimizer = nn_optimizer_save_state (nn_model_get_optimizer (self));
      g_variant_dict_insert_value (dict, "optimizer", optimizer);
    }
}

/* The value of @key, which must be there with type @type. */
GVariant *
nn_training_state_lookup (GVariant   *state,
                          const char *key,
                          const char *type,
                          GError    **error)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (state, key, NULL);

  if (value == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the training state has no '%s'", key);
      return NULL;
    }
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE (type)))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "training state '%s' is of type %s, not %s", key,
                   g_variant_get_type_string (value), type);
      return NULL;
    }
  return g_steal_pointer (&value);
}

static gboolean
check_layers (NnModel  *self,
              GVariant *layers,
              GError  **error)
{
  gsize n = g_variant_n_children (layers);

  if (n != nn_model_get_n_layers (self))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "the training state is of a model with %" G_GSIZE_FORMAT " layers; "
                   "this one has %u",
                   n, nn_model_get_n_layers (self));
      return FALSE;
    }
  for (gsize l = 0; l < n; l++)
    {
      NnLayer    *layer = nn_model_get_layer (self, l);
      const char *activation = activation_type_name (layer);
      const char *saved_activation;
      guint32     inputs, units;

      g_variant_get_child (layers, l, "(uu&s)", &inputs, &units, &saved_activation);
      if (inputs != nn_layer_get_n_inputs (layer) || units != nn_layer_get_n_outputs (layer))
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                       "layer %" G_GSIZE_FORMAT " of the training state has %u inputs and "
                       "%u units; this model's has %u inputs and %u units",
                       l + 1, inputs, units,
                       nn_layer_get_n_inputs (layer), nn_layer_get_n_outputs (layer));
          return FALSE;
        }
      if (!g_str_equal (saved_activation, activation))
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                       "layer %" G_GSIZE_FORMAT " of the training state has a %s; "
                       "this model's has a %s",
                       l + 1, saved_activation, activation);
          return FALSE;
        }
    }
  return TRUE;
}

/* The kinds of the state's layers, all dense when it does not say. */
static gboolean
check_layer_kinds (NnModel  *self,
                   GVariant *state,
                   GError  **error)
{
  g_autoptr(GVariant) kinds = g_variant_lookup_value (state, "layer_kinds", NULL);

  if (kinds != NULL && !g_variant_is_of_type (kinds, G_VARIANT_TYPE_STRING_ARRAY))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "training state 'layer_kinds' is of type %s, not as",
                   g_variant_get_type_string (kinds));
      return FALSE;
    }
  for (guint l = 0; l < nn_model_get_n_layers (self); l++)
    {
      const char *kind = G_OBJECT_TYPE_NAME (nn_model_get_layer (self, l));
      const char *saved = g_type_name (NN_TYPE_DENSE_LAYER);

      if (kinds != NULL && l < g_variant_n_children (kinds))
        g_variant_get_child (kinds, l, "&s", &saved);
      if (!g_str_equal (saved, kind))
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                       "layer %u of the training state is a %s; this model's is a %s",
                       l + 1, saved, kind);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_matrices (GPtrArray  *matrices,
                GVariant   *params,
                const char *what,
                GError    **error)
{
  gsize n = g_variant_n_children (params);

  if (n != matrices->len)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "the training state has %" G_GSIZE_FORMAT " %s matrices; "
                   "this model has %u",
                   n, what, matrices->len);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    {
      const NnMatrix *m = matrices->pdata[i];
      g_autoptr(GVariant) values = NULL;
      guint32 rows, cols;

      g_variant_get_child (params, i, "(uu@ad)", &rows, &cols, &values);
      if (rows != m->rows || cols != m->cols ||
          g_variant_n_children (values) != nn_matrix_size (m))
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                       "%s %" G_GSIZE_FORMAT " of the training state is %u×%u with "
                       "%" G_GSIZE_FORMAT " values; this model's is %u×%u",
                       what, i, rows, cols, g_variant_n_children (values), m->rows, m->cols);
          return FALSE;
        }
    }
  return TRUE;
}

/* Checks the model's part of a training state, changing nothing. */
gboolean
nn_model_check_state (NnModel  *self,
                      GVariant *state,
                      GError  **error)
{
  g_autoptr(GVariant) layers = NULL;
  g_autoptr(GVariant) params = NULL;
  g_autoptr(GVariant) buffers = NULL;
  g_autoptr(GVariant) optimizer = NULL;
  g_autoptr(GVariant) scalar = NULL;
  const char *loss;

  if ((layers = nn_training_state_lookup (state, "layers", "a(uus)", error)) == NULL ||
      !check_layers (self, layers, error) || !check_layer_kinds (self, state, error))
    return FALSE;

  if ((scalar = nn_training_state_lookup (state, "loss", "s", error)) == NULL)
    return FALSE;
  loss = g_variant_get_string (scalar, NULL);
  if (*loss != '\0' && nn_model_get_loss (self) != NULL && !g_str_equal (loss, G_OBJECT_TYPE_NAME (nn_model_get_loss (self))))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the training state is of a model trained with a %s; this one has a %s",
                   loss, G_OBJECT_TYPE_NAME (nn_model_get_loss (self)));
      return FALSE;
    }

  if ((params = nn_training_state_lookup (state, "parameters", "a(uuad)", error)) == NULL ||
      !check_matrices (nn_model_peek_parameter_array (self), params, "parameter", error))
    return FALSE;
  /* Running statistics and the like, in states of models that keep any. */
  if (nn_model_peek_buffer_array (self)->len > 0 &&
      ((buffers = nn_training_state_lookup (state, "buffers", "a(uuad)", error)) == NULL ||
       !check_matrices (nn_model_peek_buffer_array (self), buffers, "buffer", error)))
    return FALSE;

  optimizer = g_variant_lookup_value (state, "optimizer", NULL);
  if (optimizer != NULL && !g_variant_is_of_type (optimizer, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "training state 'optimizer' is of type %s, not a{sv}",
                   g_variant_get_type_string (optimizer));
      return FALSE;
    }
  if ((optimizer != NULL) != (nn_model_get_optimizer (self) != NULL))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   optimizer != NULL ? "the training state has an optimizer state, "
                                       "but this model has no optimizer"
                                     : "the training state has no optimizer state");
      return FALSE;
    }
  return TRUE;
}

/* Restores the parameters and the optimizer state of a state that
 * nn_model_check_state() accepted. Only the optimizer can still refuse,
 * and it changes nothing when it does; a fresh optimizer is prepared
 * first, as training would. */
gboolean
nn_model_load_state (NnModel  *self,
                     GVariant *state,
                     GError  **error)
{
  g_autoptr(GVariant) optimizer = g_variant_lookup_value (state, "optimizer", NULL);
  g_autoptr(GVariantDict) dict = NULL;

  if (optimizer != NULL)
    {
      nn_model_prepare_optimizer (self);
      if (!nn_optimizer_load_state (nn_model_get_optimizer (self), optimizer, error))
        return FALSE;
    }

  dict = g_variant_dict_new (state);
  if (!nn_optimizer_state_read_buffers (dict, "parameters", nn_model_peek_parameter_array (self), error))
    g_return_val_if_reached (FALSE);
  if (nn_model_peek_buffer_array (self)->len > 0 &&
      !nn_optimizer_state_read_buffers (dict, "buffers", nn_model_peek_buffer_array (self), error))
    g_return_val_if_reached (FALSE);
  return TRUE;
}
