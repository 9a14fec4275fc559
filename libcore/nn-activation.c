/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-activation.h"
#include "nn-registry.h"

/**
 * NnActivation:
 *
 * The abstract base of activation functions. Every activation, the
 * built-in ones included, is a subclass registered by a plugin under a name
 * on the [const@Nn.ACTIVATION_EXTENSION_POINT_NAME] extension point.
 */
G_DEFINE_ABSTRACT_TYPE (NnActivation, nn_activation, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (NnElementwise,
                    nn_elementwise,
                    G_DEFINE_ENUM_VALUE (NN_ELEMENTWISE_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (NN_ELEMENTWISE_RELU, "relu"),
                    G_DEFINE_ENUM_VALUE (NN_ELEMENTWISE_LOGISTIC, "logistic"),
                    G_DEFINE_ENUM_VALUE (NN_ELEMENTWISE_TANH, "tanh"))

static void
nn_activation_class_init (NnActivationClass *klass)
{
}

static void
nn_activation_init (NnActivation *self)
{
}

/**
 * nn_activation_forward:
 * @self: a #NnActivation
 * @z: pre-activations, batch × units
 * @a: activations, written in place, same shape as @z
 *
 * Computes `a = f(z)` for a whole batch.
 */
void
nn_activation_forward (NnActivation   *self,
                       const NnMatrix *z,
                       NnMatrix       *a)
{
  g_return_if_fail (NN_IS_ACTIVATION (self));
  g_return_if_fail (z != NULL && a != NULL);
  g_return_if_fail (nn_matrix_same_shape (z, a));

  NN_ACTIVATION_GET_CLASS (self)->forward (self, z, a);
}

/**
 * nn_activation_backward:
 * @self: a #NnActivation
 * @z: (nullable): the pre-activations of the forward step, or %NULL where
 *   the activation has an element-wise form
 *   ([method@Nn.Activation.get_elementwise]) and none were kept
 * @a: the activations of the forward step
 * @grad_a: the gradient of the loss with respect to @a
 * @grad_z: the gradient with respect to @z, written in place
 *
 * Applies the chain rule through the activation: the derivative is taken at
 * @z (or computed from @a), never at the incoming gradient.
 */
void
nn_activation_backward (NnActivation   *self,
                        const NnMatrix *z,
                        const NnMatrix *a,
                        const NnMatrix *grad_a,
                        NnMatrix       *grad_z)
{
  g_return_if_fail (NN_IS_ACTIVATION (self));
  g_return_if_fail (a != NULL && grad_a != NULL && grad_z != NULL);
  g_return_if_fail (z == NULL || nn_matrix_same_shape (z, a));
  g_return_if_fail (nn_matrix_same_shape (a, grad_a));
  g_return_if_fail (nn_matrix_same_shape (a, grad_z));
  g_return_if_fail (z != NULL || nn_activation_get_elementwise (self, NULL) != NN_ELEMENTWISE_NONE);

  NN_ACTIVATION_GET_CLASS (self)->backward (self, z, a, grad_a, grad_z);
}

/**
 * nn_activation_get_elementwise:
 * @self: a #NnActivation
 * @alpha: (out) (optional): the function's parameter
 *
 * The activation as one of the element-wise functions a matrix engine can
 * apply inside a product, if it is one and its backward step can work
 * without the pre-activations.
 *
 * Returns: the function, or %NN_ELEMENTWISE_NONE
 *
 * Since: 0.2
 */
NnElementwise
nn_activation_get_elementwise (NnActivation *self,
                               double       *alpha)
{
  NnActivationClass *klass;
  double             value = 0;
  NnElementwise      fn = NN_ELEMENTWISE_NONE;

  g_return_val_if_fail (NN_IS_ACTIVATION (self), NN_ELEMENTWISE_NONE);

  klass = NN_ACTIVATION_GET_CLASS (self);
  if (klass->get_elementwise != NULL)
    fn = klass->get_elementwise (self, &value);
  if (alpha != NULL)
    *alpha = fn == NN_ELEMENTWISE_NONE ? 0 : value;
  return fn;
}

/**
 * nn_activation_get_name:
 * @self: a #NnActivation
 *
 * Gets the name the class is registered under, such as `"sigmoid"`.
 *
 * Returns: (transfer none) (nullable): the name the class is registered
 *   under, such as `"sigmoid"`
 */
const char *
nn_activation_get_name (NnActivation *self)
{
  g_return_val_if_fail (NN_IS_ACTIVATION (self), NULL);

  return nn_registry_get_name (G_OBJECT_TYPE (self));
}

/**
 * nn_activation_new_by_name:
 * @name: a registered activation name, e.g. `"leaky_relu"`
 * @error: return location for a #GError
 *
 * Makes a [class@Nn.Activation] with default properties.
 *
 * Returns: (transfer full): a new [class@Nn.Activation] with default
 *   properties, or %NULL with @error set, listing the known names
 */
NnActivation *
nn_activation_new_by_name (const char *name,
                           GError    **error)
{
  return NN_ACTIVATION (nn_registry_new_object (NN_REGISTRY_ACTIVATION, name, error));
}
