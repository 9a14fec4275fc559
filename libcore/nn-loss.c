/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-loss.h"
#include "nn-registry.h"

/**
 * NnLoss:
 *
 * The abstract base of loss functions, registered by plugins under a name
 * on the [const@Nn.LOSS_EXTENSION_POINT_NAME] extension point.
 */
G_DEFINE_ABSTRACT_TYPE (NnLoss, nn_loss, G_TYPE_OBJECT)

static void
nn_loss_class_init (NnLossClass *klass)
{
}

static void
nn_loss_init (NnLoss *self)
{
}

/**
 * nn_loss_compute:
 * @self: a #NnLoss
 * @pred: predictions, batch × outputs
 * @target: targets, same shape
 *
 * Computes the loss of a batch of predictions against their targets.
 *
 * Returns: the loss of the batch, a mean
 */
double
nn_loss_compute (NnLoss         *self,
                 const NnMatrix *pred,
                 const NnMatrix *target)
{
  g_return_val_if_fail (NN_IS_LOSS (self), NAN);
  g_return_val_if_fail (pred != NULL && target != NULL, NAN);
  g_return_val_if_fail (nn_matrix_same_shape (pred, target), NAN);

  return NN_LOSS_GET_CLASS (self)->compute (self, pred, target);
}

/**
 * nn_loss_gradient:
 * @self: a #NnLoss
 * @pred: predictions, batch × outputs
 * @target: targets, same shape
 * @grad: the gradient of [method@Nn.Loss.compute] with respect to @pred,
 *   written in place
 *
 * Writes the gradient of [method@Nn.Loss.compute] with respect to the
 * predictions into @grad.
 */
void
nn_loss_gradient (NnLoss         *self,
                  const NnMatrix *pred,
                  const NnMatrix *target,
                  NnMatrix       *grad)
{
  g_return_if_fail (NN_IS_LOSS (self));
  g_return_if_fail (pred != NULL && target != NULL && grad != NULL);
  g_return_if_fail (nn_matrix_same_shape (pred, target));
  g_return_if_fail (nn_matrix_same_shape (pred, grad));

  NN_LOSS_GET_CLASS (self)->gradient (self, pred, target, grad);
}

/**
 * nn_loss_output_gradient:
 * @self: a #NnLoss
 * @activation: the output layer's activation
 * @pred: the output layer's activations A, batch × outputs
 * @target: targets, same shape
 * @grad_z: written in place: the gradient of [method@Nn.Loss.compute] with
 *   respect to the output layer's Z, if the loss has a joint form for
 *   @activation
 *
 * The gradient through the output activation in one step, where the loss
 * knows one for @activation (#NnLossClass.output_gradient): softmax with
 * categorical cross-entropy and sigmoid with binary cross-entropy give
 * (A − Y) / n, with none of the divisions by A of the two steps taken
 * apart, which lose accuracy, and vanish, as A nears 0 or 1.
 *
 * Returns: %TRUE if @grad_z was written, %FALSE if the loss has no joint form
 *   for @activation (then use [method@Nn.Loss.gradient] and the activation's
 *   backward step)
 */
gboolean
nn_loss_output_gradient (NnLoss         *self,
                         NnActivation   *activation,
                         const NnMatrix *pred,
                         const NnMatrix *target,
                         NnMatrix       *grad_z)
{
  NnLossClass *klass;

  g_return_val_if_fail (NN_IS_LOSS (self), FALSE);
  g_return_val_if_fail (NN_IS_ACTIVATION (activation), FALSE);
  g_return_val_if_fail (pred != NULL && target != NULL && grad_z != NULL, FALSE);
  g_return_val_if_fail (nn_matrix_same_shape (pred, target), FALSE);
  g_return_val_if_fail (nn_matrix_same_shape (pred, grad_z), FALSE);

  klass = NN_LOSS_GET_CLASS (self);
  return klass->output_gradient != NULL &&
         klass->output_gradient (self, activation, pred, target, grad_z);
}

/**
 * nn_loss_compute_rows:
 * @self: a #NnLoss
 * @pred: predictions, batch × outputs
 * @target: targets, same shape
 * @losses: (out caller-allocates) (array): a loss per row of @pred
 *
 * The loss of each sample of the batch, whose mean is [method@Nn.Loss.compute]:
 * what a weighted loss, Σ wᵢ lᵢ / Σ wᵢ, is made of. A loss without its own
 * #NnLossClass.compute_rows is computed on each row alone.
 */
void
nn_loss_compute_rows (NnLoss         *self,
                      const NnMatrix *pred,
                      const NnMatrix *target,
                      double         *losses)
{
  NnLossClass *klass;

  g_return_if_fail (NN_IS_LOSS (self));
  g_return_if_fail (pred != NULL && target != NULL && (losses != NULL || pred->rows == 0));
  g_return_if_fail (nn_matrix_same_shape (pred, target));

  klass = NN_LOSS_GET_CLASS (self);
  if (klass->compute_rows != NULL)
    {
      klass->compute_rows (self, pred, target, losses);
      return;
    }
  for (guint r = 0; r < pred->rows; r++)
    {
      NnMatrix p = nn_matrix_view_rows (pred, r, 1);
      NnMatrix t = nn_matrix_view_rows (target, r, 1);

      losses[r] = klass->compute (self, &p, &t);
    }
}

/**
 * nn_loss_get_name:
 * @self: a #NnLoss
 *
 * Gets the registered name of the class.
 *
 * Returns: (transfer none) (nullable): the registered name of the class
 */
const char *
nn_loss_get_name (NnLoss *self)
{
  g_return_val_if_fail (NN_IS_LOSS (self), NULL);

  return nn_registry_get_name (G_OBJECT_TYPE (self));
}

/**
 * nn_loss_new_by_name:
 * @name: a registered loss name, e.g. `"binary_crossentropy"`
 * @error: return location for a #GError
 *
 * Makes a #NnLoss.
 *
 * Returns: (transfer full): a new [class@Nn.Loss], or %NULL with @error set
 */
NnLoss *
nn_loss_new_by_name (const char *name,
                     GError    **error)
{
  return NN_LOSS (nn_registry_new_object (NN_REGISTRY_LOSS, name, error));
}
