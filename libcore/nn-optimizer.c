/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-errors.h"
#include "nn-optimizer-private.h"
#include "nn-registry.h"

/**
 * NnOptimizer:
 *
 * The abstract base of optimizers. It owns the learning rate and the count of
 * steps taken; subclasses keep their per-parameter state, indexed by the
 * parameter numbers the model assigns.
 *
 * A subclass whose learning rate has another default installs its own
 * `learning-rate` property with that default in its `class_init`, handled by
 * [method@Nn.Optimizer.get_learning_rate] and
 * [method@Nn.Optimizer.set_learning_rate]; GObject lets a subclass property of
 * the same name replace the inherited one, construct default included.
 *
 * The state saved by [method@Nn.Optimizer.save_state] is an `a{sv}` dictionary:
 * `type` (`s`, the type name), `iterations` (`t`) and one `a(uuad)` entry
 * per kind of buffer, holding for each parameter in order its rows, columns
 * and row-major values.
 */
typedef struct
{
  double  learning_rate;
  guint64 iterations;
  /* Of the last step: its parameters, and how many of them an update
   * found finite as it wrote them. */
  guint n_step_params;
  guint n_known_finite;
} NnOptimizerPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NnOptimizer, nn_optimizer, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LEARNING_RATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nn_optimizer_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  NnOptimizerPrivate *priv = nn_optimizer_get_instance_private (NN_OPTIMIZER (object));

  switch (prop_id)
    {
    case PROP_LEARNING_RATE:
      g_value_set_double (value, priv->learning_rate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_optimizer_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  NnOptimizer *self = NN_OPTIMIZER (object);

  switch (prop_id)
    {
    case PROP_LEARNING_RATE:
      nn_optimizer_set_learning_rate (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_optimizer_class_init (NnOptimizerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = nn_optimizer_get_property;
  object_class->set_property = nn_optimizer_set_property;

  /**
   * NnOptimizer:learning-rate:
   *
   * The step size. Schedules change it between epochs.
   */
  properties[PROP_LEARNING_RATE] =
    g_param_spec_double ("learning-rate", NULL,
                         "Step size of each update",
                         0.0, G_MAXDOUBLE, 0.01,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                           G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_optimizer_init (NnOptimizer *self)
{
}

/**
 * nn_optimizer_prepare:
 * @self: a #NnOptimizer
 * @n_params: the number of parameter matrices
 * @params: (array length=n_params): the parameters, in the model's order
 *
 * Resets the step count and lets the optimizer allocate its state. The model
 * calls it before training starts.
 */
void
nn_optimizer_prepare (NnOptimizer     *self,
                      guint            n_params,
                      const NnMatrix **params)
{
  NnOptimizerPrivate *priv = nn_optimizer_get_instance_private (self);
  NnOptimizerClass   *klass;

  g_return_if_fail (NN_IS_OPTIMIZER (self));

  priv->iterations = 0;
  klass = NN_OPTIMIZER_GET_CLASS (self);
  if (klass->prepare != NULL)
    klass->prepare (self, n_params, params);
}

/**
 * nn_optimizer_step:
 * @self: a #NnOptimizer
 * @n_params: the number of parameter matrices
 * @params: (array length=n_params): the parameters, updated in place
 * @grads: (array length=n_params): their gradients
 *
 * Takes one optimization step over every parameter.
 */
void
nn_optimizer_step (NnOptimizer     *self,
                   guint            n_params,
                   NnMatrix       **params,
                   const NnMatrix **grads)
{
  NnOptimizerPrivate *priv = nn_optimizer_get_instance_private (self);
  NnOptimizerClass   *klass;

  g_return_if_fail (NN_IS_OPTIMIZER (self));

  klass = NN_OPTIMIZER_GET_CLASS (self);
  priv->iterations++;
  priv->n_step_params = n_params;
  priv->n_known_finite = 0;
  for (guint i = 0; i < n_params; i++)
    {
      g_return_if_fail (nn_matrix_same_shape (params[i], grads[i]));
      klass->update (self, i, params[i], grads[i]);
    }
}

void
nn_optimizer_count_step (NnOptimizer *self)
{
  NnOptimizerPrivate *priv = nn_optimizer_get_instance_private (self);

  priv->iterations++;
  priv->n_step_params = 0;
}

/* An update that tests the values it writes says what it found, so that
 * the trainer need not pass over them again. */
void
nn_optimizer_updated_finite (NnOptimizer *self,
                             gboolean     finite)
{
  NnOptimizerPrivate *priv = nn_optimizer_get_instance_private (self);

  if (finite)
    priv->n_known_finite++;
}

/* Whether every update of the last step found its parameter finite. */
gboolean
nn_optimizer_step_known_finite (NnOptimizer *self)
{
  NnOptimizerPrivate *priv = nn_optimizer_get_instance_private (self);

  return priv->n_step_params > 0 && priv->n_known_finite == priv->n_step_params;
}

/**
 * nn_optimizer_get_learning_rate:
 * @self: a #NnOptimizer
 *
 * Gets the current learning rate.
 *
 * Returns: the current learning rate
 */
double
nn_optimizer_get_learning_rate (NnOptimizer *self)
{
  NnOptimizerPrivate *priv = nn_optimizer_get_instance_private (self);

  g_return_val_if_fail (NN_IS_OPTIMIZER (self), 0.0);

  return priv->learning_rate;
}

/**
 * nn_optimizer_set_learning_rate:
 * @self: a #NnOptimizer
 * @learning_rate: the new step size, non-negative
 *
 * Sets the learning rate of the next steps
 * ([property@Nn.Optimizer:learning-rate]).
 */
void
nn_optimizer_set_learning_rate (NnOptimizer *self,
                                double       learning_rate)
{
  NnOptimizerPrivate *priv = nn_optimizer_get_instance_private (self);

  g_return_if_fail (NN_IS_OPTIMIZER (self));
  g_return_if_fail (learning_rate >= 0.0);

  if (priv->learning_rate == learning_rate)
    return;
  priv->learning_rate = learning_rate;
  /* By name: a subclass may have replaced the pspec to change the default. */
  g_object_notify (G_OBJECT (self), "learning-rate");
}

/**
 * nn_optimizer_get_iterations:
 * @self: a #NnOptimizer
 *
 * Gets the number of steps taken since the last [method@Nn.Optimizer.prepare].
 *
 * Returns: the number of steps taken since the last
 *   [method@Nn.Optimizer.prepare]
 */
guint64
nn_optimizer_get_iterations (NnOptimizer *self)
{
  NnOptimizerPrivate *priv = nn_optimizer_get_instance_private (self);

  g_return_val_if_fail (NN_IS_OPTIMIZER (self), 0);

  return priv->iterations;
}

/**
 * nn_optimizer_get_name:
 * @self: a #NnOptimizer
 *
 * Gets the registered name of the class.
 *
 * Returns: (transfer none) (nullable): the registered name of the class
 */
const char *
nn_optimizer_get_name (NnOptimizer *self)
{
  g_return_val_if_fail (NN_IS_OPTIMIZER (self), NULL);

  return nn_registry_get_name (G_OBJECT_TYPE (self));
}

/**
 * nn_optimizer_new_by_name:
 * @name: a registered optimizer name, e.g. `"sgd"`
 * @error: return location for a #GError
 *
 * Makes a #NnOptimizer.
 *
 * Returns: (transfer full): a new [class@Nn.Optimizer], or %NULL with @error
 *   set
 */
NnOptimizer *
nn_optimizer_new_by_name (const char *name,
                          GError    **error)
{
  return NN_OPTIMIZER (nn_registry_new_object (NN_REGISTRY_OPTIMIZER, name, error));
}

/**
 * nn_optimizer_validate:
 * @self: a #NnOptimizer
 * @error: return location for a #GError
 *
 * Checks that the properties make sense together, e.g. that `sgd`'s
 * `nesterov` comes with a momentum. Each property's own range is already
 * enforced by its #GParamSpec. Call it once the object is configured and
 * before training.
 *
 * Returns: %TRUE if the settings are usable, or %FALSE with @error set
 *   (%NN_CONFIG_ERROR_INVALID_VALUE)
 */
gboolean
nn_optimizer_validate (NnOptimizer *self,
                       GError     **error)
{
  NnOptimizerClass *klass;

  g_return_val_if_fail (NN_IS_OPTIMIZER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  klass = NN_OPTIMIZER_GET_CLASS (self);
  if (klass->validate == NULL)
    return TRUE;
  return klass->validate (self, error);
}

/**
 * nn_optimizer_save_state:
 * @self: a #NnOptimizer
 *
 * Captures everything a later [method@Nn.Optimizer.load_state] needs to
 * continue exactly where @self is: the step count and every per-parameter
 * buffer (as doubles, so nothing is lost in either build). See
 * [class@Nn.Optimizer] for the format.
 *
 * Returns: (transfer full): the state, an `a{sv}` #GVariant
 */
GVariant *
nn_optimizer_save_state (NnOptimizer *self)
{
  NnOptimizerPrivate *priv = nn_optimizer_get_instance_private (self);
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  NnOptimizerClass *klass;

  g_return_val_if_fail (NN_IS_OPTIMIZER (self), NULL);

  klass = NN_OPTIMIZER_GET_CLASS (self);
  g_variant_dict_insert (&dict, "type", "s", G_OBJECT_TYPE_NAME (self));
  g_variant_dict_insert (&dict, "iterations", "t", priv->iterations);
  if (klass->save_state != NULL)
    klass->save_state (self, &dict);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static gboolean
check_buffers (const char *key,
               GVariant   *want,
               GVariant   *got,
               GError    **error)
{
  gsize n = g_variant_n_children (want);

  if (g_variant_n_children (got) != n)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "optimizer state '%s' has %" G_GSIZE_FORMAT " buffers, "
                   "the optimizer %" G_GSIZE_FORMAT,
                   key,
                   g_variant_n_children (got), n);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) w = g_variant_get_child_value (want, i);
      g_autoptr(GVariant) g = g_variant_get_child_value (got, i);
      g_autoptr(GVariant) values = g_variant_get_child_value (g, 2);
      guint32 w_rows, w_cols, g_rows, g_cols;

      g_variant_get_child (w, 0, "u", &w_rows);
      g_variant_get_child (w, 1, "u", &w_cols);
      g_variant_get_child (g, 0, "u", &g_rows);
      g_variant_get_child (g, 1, "u", &g_cols);
      if (w_rows != g_rows || w_cols != g_cols ||
          g_variant_n_children (values) != (gsize) g_rows * g_cols)
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                       "optimizer state '%s' buffer %" G_GSIZE_FORMAT " is %u×%u "
                       "with %" G_GSIZE_FORMAT " values; the parameter is %u×%u",
                       key, i, g_rows, g_cols, g_variant_n_children (values),
                       w_rows, w_cols);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * nn_optimizer_load_state:
 * @self: a [class@Nn.Optimizer], prepared for the same parameters and
 *   configured as the one that saved @state
 * @state: a state from [method@Nn.Optimizer.save_state]
 * @error: return location for a #GError
 *
 * Restores the step count and buffers saved by
 * [method@Nn.Optimizer.save_state], so that the following steps are those the
 * saving optimizer would have taken. @state must come from the same type with
 * the same buffers (e.g. `adam` with the same `amsgrad`) and the same parameter
 * shapes; everything is checked before anything changes.
 *
 * Returns: %TRUE on success, or %FALSE with @error set and @self unchanged
 */
gboolean
nn_optimizer_load_state (NnOptimizer *self,
                         GVariant    *state,
                         GError     **error)
{
  NnOptimizerPrivate *priv = nn_optimizer_get_instance_private (self);
  g_autoptr(GVariant) expected = NULL;
  g_autoptr(GVariantDict) dict = NULL;
  NnOptimizerClass *klass;
  GVariantIter      iter;
  const char       *key;
  GVariant         *value;
  guint64           iterations;

  g_return_val_if_fail (NN_IS_OPTIMIZER (self), FALSE);
  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_variant_is_of_type (state, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "an optimizer state is a dictionary of type a{sv}, not %s",
                   g_variant_get_type_string (state));
      return FALSE;
    }

  /* What this optimizer would save gives the keys, types and shapes. */
  expected = nn_optimizer_save_state (self);
  g_variant_iter_init (&iter, expected);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) want = value;
      g_autoptr(GVariant) got = g_variant_lookup_value (state, key, NULL);

      if (got == NULL)
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                       "the optimizer state has no '%s'", key);
          return FALSE;
        }
      if (!g_variant_is_of_type (got, g_variant_get_type (want)))
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                       "optimizer state '%s' is of type %s, not %s", key,
                       g_variant_get_type_string (got), g_variant_get_type_string (want));
          return FALSE;
        }
      if (g_str_equal (key, "type") && !g_variant_equal (got, want))
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                       "the optimizer state is of a %s, not of a %s",
                       g_variant_get_string (got, NULL), G_OBJECT_TYPE_NAME (self));
          return FALSE;
        }
      if (g_variant_is_of_type (want, G_VARIANT_TYPE ("a(uuad)")) &&
          !check_buffers (key, want, got, error))
        return FALSE;
    }
  g_variant_iter_init (&iter, state);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr(GVariant) known = g_variant_lookup_value (expected, key, NULL);

      g_variant_unref (value);
      if (known == NULL)
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                       "the optimizer state has '%s', which this %s does not keep; "
                       "was it configured differently?",
                       key, G_OBJECT_TYPE_NAME (self));
          return FALSE;
        }
    }

  klass = NN_OPTIMIZER_GET_CLASS (self);
  dict = g_variant_dict_new (state);
  if (klass->load_state != NULL && !klass->load_state (self, dict, error))
    return FALSE;
  g_variant_lookup (state, "iterations", "t", &iterations);
  priv->iterations = iterations;
  return TRUE;
}

/**
 * nn_optimizer_state_add_buffers:
 * @state: the dictionary passed to #NnOptimizerClass.save_state
 * @key: the name of this kind of buffer, e.g. `"exp_avg"`
 * @buffers: (element-type NnMatrix): one matrix per parameter, in the
 *   model's order
 *
 * Stores @buffers under @key as an `a(uuad)` array. For the `save_state`
 * virtual function of subclasses.
 */
void
nn_optimizer_state_add_buffers (GVariantDict *state,
                                const char   *key,
                                GPtrArray    *buffers)
{
  GVariantBuilder builder;

  g_return_if_fail (state != NULL);
  g_return_if_fail (key != NULL);
  g_return_if_fail (buffers != NULL);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(uuad)"));
  for (guint i = 0; i < buffers->len; i++)
    {
      const NnMatrix    *m = buffers->pdata[i];
      gsize              n = nn_matrix_size (m);
      g_autofree double *values = g_new (double, MAX (n, 1));

      for (gsize j = 0; j < n; j++)
        values[j] = m->data[j];
      g_variant_builder_add (&builder, "(uu@ad)", m->rows, m->cols,
                             g_variant_new_fixed_array (G_VARIANT_TYPE_DOUBLE, values,
                                                        n, sizeof (double)));
    }
  g_variant_dict_insert_value (state, key, g_variant_builder_end (&builder));
}

/**
 * nn_optimizer_state_read_buffers:
 * @state: the dictionary passed to #NnOptimizerClass.load_state
 * @key: the name of this kind of buffer
 * @buffers: (element-type NnMatrix): the matrices to fill, one per
 *   parameter
 * @error: return location for a #GError
 *
 * Copies the values stored under @key into @buffers, which are left
 * untouched unless every shape matches. For the `load_state` virtual
 * function of subclasses.
 *
 * Returns: %TRUE on success, or %FALSE with @error set
 */
gboolean
nn_optimizer_state_read_buffers (GVariantDict *state,
                                 const char   *key,
                                 GPtrArray    *buffers,
                                 GError      **error)
{
  g_autoptr(GVariant) stored = NULL;
  gsize n;

  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (buffers != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  stored = g_variant_dict_lookup_value (state, key, G_VARIANT_TYPE ("a(uuad)"));
  if (stored == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the optimizer state has no '%s' buffers", key);
      return FALSE;
    }
  n = g_variant_n_children (stored);
  if (n != buffers->len)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "optimizer state '%s' has %" G_GSIZE_FORMAT " buffers, "
                   "the optimizer %u",
                   key, n, buffers->len);
      return FALSE;
    }
  for (int pass = 0; pass < 2; pass++)
    for (gsize i = 0; i < n; i++)
      {
        NnMatrix *m = buffers->pdata[i];
        g_autoptr(GVariant) values = NULL;
        const double *data;
        guint32       rows, cols;
        gsize         n_values;

        g_variant_get_child (stored, i, "(uu@ad)", &rows, &cols, &values);
        data = g_variant_get_fixed_array (values, &n_values, sizeof (double));
        if (pass == 0)
          {
            if (rows != m->rows || cols != m->cols || n_values != nn_matrix_size (m))
              {
                g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                             "optimizer state '%s' buffer %" G_GSIZE_FORMAT " is %u×%u "
                             "with %" G_GSIZE_FORMAT " values; the parameter is %u×%u",
                             key, i, rows, cols, n_values, m->rows, m->cols);
                return FALSE;
              }
            continue;
          }
        for (gsize j = 0; j < n_values; j++)
          m->data[j] = (nn_real) data[j];
      }
  return TRUE;
}
