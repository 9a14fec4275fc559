/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-optimizer.h"
#include "nn-plugins.h"

/**
 * NnOptimizer:
 *
 * The abstract base of optimizers. It owns the learning rate and the count of
 * steps taken; subclasses keep their per-parameter state, indexed by the
 * parameter numbers the model assigns.
 */
typedef struct
{
  double  learning_rate;
  guint64 iterations;
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
  NnOptimizerClass *klass;

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
  NnOptimizerClass *klass;

  g_return_if_fail (NN_IS_OPTIMIZER (self));

  klass = NN_OPTIMIZER_GET_CLASS (self);
  priv->iterations++;
  for (guint i = 0; i < n_params; i++)
    {
      g_return_if_fail (nn_matrix_same_shape (params[i], grads[i]));
      klass->update (self, i, params[i], grads[i]);
    }
}

/**
 * nn_optimizer_get_learning_rate:
 * @self: a #NnOptimizer
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
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEARNING_RATE]);
}

/**
 * nn_optimizer_get_iterations:
 * @self: a #NnOptimizer
 *
 * Returns: the number of steps taken since the last nn_optimizer_prepare()
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
 * Returns: (transfer none) (nullable): the registered name of the class
 */
const char *
nn_optimizer_get_name (NnOptimizer *self)
{
  g_return_val_if_fail (NN_IS_OPTIMIZER (self), NULL);

  return nn_plugins_get_name_for_type (G_OBJECT_TYPE (self));
}

/**
 * nn_optimizer_new_by_name:
 * @name: a registered optimizer name, e.g. `"sgd"`
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new #NnOptimizer, or %NULL with @error set
 */
NnOptimizer *
nn_optimizer_new_by_name (const char  *name,
                          GError     **error)
{
  return NN_OPTIMIZER (nn_plugins_new_object (NN_OPTIMIZER_EXTENSION_POINT_NAME,
                                              name, error));
}
