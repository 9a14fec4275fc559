/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-adamw-optimizer.h"
#include "nn-adam-optimizer-private.h"
#include "nn-registry-private.h"

/**
 * NnAdamwOptimizer:
 *
 * Adam with decoupled weight decay (Loshchilov and Hutter), registered as
 * `adamw`, defined as PyTorch's `torch.optim.AdamW`. With the gradient `g`
 * and the step number `t`:
 *
 *     θ ← θ (1 − η × weight-decay)
 *     m ← β₁ m + (1 − β₁) g
 *     v ← β₂ v + (1 − β₂) g²
 *     θ ← θ − η / (1 − β₁ᵗ) × m / (√v / √(1 − β₂ᵗ) + ε)
 *
 * It has the properties of [class@Nn.AdamOptimizer], with `weight-decay`
 * defaulting to 0.01 as in PyTorch.
 */
struct _NnAdamwOptimizer
{
  NnAdamOptimizer parent_instance;
};

G_DEFINE_FINAL_TYPE_WITH_CODE (NnAdamwOptimizer,
                               nn_adamw_optimizer,
                               NN_TYPE_ADAM_OPTIMIZER,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_OPTIMIZER_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "adamw",
                                                               0))

static void
nn_adamw_optimizer_class_init (NnAdamwOptimizerClass *klass)
{
  NN_OPTIMIZER_CLASS (klass)->description = "AdamW: Adam with decoupled weight decay";

  /**
   * NnAdamwOptimizer:learning-rate:
   *
   * The step size η, as [property@Nn.AdamOptimizer:learning-rate].
   */
  /**
   * NnAdamwOptimizer:beta1:
   *
   * The decay rate β₁ of the running mean of the gradient.
   */
  /**
   * NnAdamwOptimizer:beta2:
   *
   * The decay rate β₂ of the running mean of the squared gradient.
   */
  /**
   * NnAdamwOptimizer:epsilon:
   *
   * Added to the denominator for numerical stability, as
   * [property@Nn.AdamOptimizer:epsilon].
   */
  /**
   * NnAdamwOptimizer:amsgrad:
   *
   * Whether to use the AMSGrad variant, as [property@Nn.AdamOptimizer:amsgrad].
   */
  /**
   * NnAdamwOptimizer:weight-decay:
   *
   * The decoupled decay: each step first scales θ by
   * 1 − `learning-rate` × `weight-decay`.
   */
  nn_adam_optimizer_class_install_properties (NN_ADAM_OPTIMIZER_CLASS (klass), TRUE);
}

static void
nn_adamw_optimizer_init (NnAdamwOptimizer *self)
{
}
