/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <float.h>
#include <math.h>

#include "nn-adam-optimizer-private.h"
#include "nn-optimizer-private.h"
#include "nn-registry-private.h"

/* Betas are in [0, 1): 1 would make the bias correction divide by zero. */
#define BETA_MAX (1.0 - DBL_EPSILON / 2)

/**
 * NnAdamOptimizer:
 *
 * Adam (Kingma and Ba), registered as `adam`, defined as PyTorch's
 * `torch.optim.Adam`. With the gradient `g` plus `weight-decay` × θ (an L2
 * penalty) and the step number `t`:
 *
 *     m ← β₁ m + (1 − β₁) g
 *     v ← β₂ v + (1 − β₂) g²
 *     θ ← θ − η / (1 − β₁ᵗ) × m / (√v / √(1 − β₂ᵗ) + ε)
 *
 * With `amsgrad`, the running maximum of `v` takes its place in the
 * denominator. The moments start at zero. [class@Nn.AdamwOptimizer] is the
 * same with the weight decay decoupled (see #NnAdamOptimizerClass).
 */
typedef struct
{
  double   beta1;
  double   beta2;
  double   epsilon;
  double   weight_decay;
  gboolean amsgrad;

  GPtrArray *exp_avg;        /* NnMatrix per parameter: m */
  GPtrArray *exp_avg_sq;     /* v */
  GPtrArray *max_exp_avg_sq; /* running maximum of v, with amsgrad only */
} NnAdamOptimizerPrivate;

/* clang-format off */
G_DEFINE_TYPE_WITH_CODE (NnAdamOptimizer, nn_adam_optimizer, NN_TYPE_OPTIMIZER,
                         G_ADD_PRIVATE (NnAdamOptimizer)
                         nn_registry_ensure_extension_points ();
                         g_io_extension_point_implement (NN_OPTIMIZER_EXTENSION_POINT_NAME,
                                                         g_define_type_id, "adam", 0))
/* clang-format on */

enum {
  PROP_0,
  PROP_LEARNING_RATE,
  PROP_BETA1,
  PROP_BETA2,
  PROP_EPSILON,
  PROP_WEIGHT_DECAY,
  PROP_AMSGRAD,
  N_PROPS
};

static NnAdamOptimizerPrivate *
get_private (gpointer self)
{
  return nn_adam_optimizer_get_instance_private (NN_ADAM_OPTIMIZER (self));
}

static void
nn_adam_optimizer_finalize (GObject *object)
{
  NnAdamOptimizerPrivate *priv = get_private (object);

  g_clear_pointer (&priv->exp_avg, g_ptr_array_unref);
  g_clear_pointer (&priv->exp_avg_sq, g_ptr_array_unref);
  g_clear_pointer (&priv->max_exp_avg_sq, g_ptr_array_unref);

  G_OBJECT_CLASS (nn_adam_optimizer_parent_class)->finalize (object);
}

static double *
double_field (NnAdamOptimizerPrivate *priv,
              guint                   prop_id)
{
  switch (prop_id)
    {
    case PROP_BETA1:
      return &priv->beta1;
    case PROP_BETA2:
      return &priv->beta2;
    case PROP_EPSILON:
      return &priv->epsilon;
    case PROP_WEIGHT_DECAY:
      return &priv->weight_decay;
    default:
      return NULL;
    }
}

static void
nn_adam_optimizer_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NnAdamOptimizerPrivate *priv = get_private (object);
  double                 *field = double_field (priv, prop_id);

  if (field != NULL)
    g_value_set_double (value, *field);
  else if (prop_id == PROP_LEARNING_RATE)
    g_value_set_double (value, nn_optimizer_get_learning_rate (NN_OPTIMIZER (object)));
  else if (prop_id == PROP_AMSGRAD)
    g_value_set_boolean (value, priv->amsgrad);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
nn_adam_optimizer_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NnAdamOptimizerPrivate *priv = get_private (object);
  double                 *field = double_field (priv, prop_id);

  if (field != NULL)
    {
      if (*field != g_value_get_double (value))
        {
          *field = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
    }
  else if (prop_id == PROP_LEARNING_RATE)
    nn_optimizer_set_learning_rate (NN_OPTIMIZER (object), g_value_get_double (value));
  else if (prop_id == PROP_AMSGRAD)
    {
      if (priv->amsgrad != g_value_get_boolean (value))
        {
          priv->amsgrad = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
    }
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
nn_adam_optimizer_prepare (NnOptimizer     *optimizer,
                           guint            n_params,
                           const NnMatrix **params)
{
  NnAdamOptimizerPrivate *priv = get_private (optimizer);

  g_clear_pointer (&priv->exp_avg, g_ptr_array_unref);
  g_clear_pointer (&priv->exp_avg_sq, g_ptr_array_unref);
  g_clear_pointer (&priv->max_exp_avg_sq, g_ptr_array_unref);
  priv->exp_avg = nn_optimizer_buffers_new (n_params, params);
  priv->exp_avg_sq = nn_optimizer_buffers_new (n_params, params);
  if (priv->amsgrad)
    priv->max_exp_avg_sq = nn_optimizer_buffers_new (n_params, params);
}

static void
nn_adam_optimizer_update (NnOptimizer    *optimizer,
                          guint           index,
                          NnMatrix       *param,
                          const NnMatrix *grad)
{
  NnAdamOptimizerPrivate *priv = get_private (optimizer);
  const gboolean          decoupled = NN_ADAM_OPTIMIZER_GET_CLASS (optimizer)->decoupled_weight_decay;
  const double            lr = nn_optimizer_get_learning_rate (optimizer);
  const double            t = (double) nn_optimizer_get_iterations (optimizer);
  const nn_real           neg_step_size = (nn_real) (-lr / (1.0 - pow (priv->beta1, t)));
  const nn_real           bias_correction2_sqrt = (nn_real) sqrt (1.0 - pow (priv->beta2, t));
  const nn_real           beta1 = (nn_real) priv->beta1;
  const nn_real           beta2 = (nn_real) priv->beta2;
  const nn_real           one_minus_beta1 = (nn_real) (1.0 - priv->beta1);
  const nn_real           one_minus_beta2 = (nn_real) (1.0 - priv->beta2);
  const nn_real           eps = (nn_real) priv->epsilon;
  const nn_real           wd = (nn_real) priv->weight_decay;
  const nn_real           decay = (nn_real) (1.0 - lr * priv->weight_decay);
  const gsize             n = nn_matrix_size (param);
  nn_real                *p = param->data;
  const nn_real          *g = grad->data;
  nn_real                *m, *v, *vmax = NULL;

  g_return_if_fail (priv->exp_avg != NULL && index < priv->exp_avg->len);
  /* amsgrad needs the buffer prepare() makes only when it was on then. */
  g_return_if_fail (!priv->amsgrad || priv->max_exp_avg_sq != NULL);

  m = ((NnMatrix *) priv->exp_avg->pdata[index])->data;
  v = ((NnMatrix *) priv->exp_avg_sq->pdata[index])->data;
  if (priv->amsgrad)
    vmax = ((NnMatrix *) priv->max_exp_avg_sq->pdata[index])->data;

  for (gsize i = 0; i < n; i++)
    {
      nn_real d = g[i];
      nn_real second;

      if (decoupled)
        p[i] *= decay;
      else
        d += wd * p[i];
      m[i] = m[i] * beta1 + one_minus_beta1 * d;
      v[i] = v[i] * beta2 + one_minus_beta2 * d * d;
      second = v[i];
      if (vmax != NULL)
        {
          if (vmax[i] < v[i])
            vmax[i] = v[i];
          second = vmax[i];
        }
      p[i] += neg_step_size * (m[i] / (nn_sqrt (second) / bias_correction2_sqrt + eps));
    }
}

static void
nn_adam_optimizer_save_state (NnOptimizer  *optimizer,
                              GVariantDict *state)
{
  NnAdamOptimizerPrivate *priv = get_private (optimizer);

  nn_optimizer_save_buffers (state, "exp_avg", priv->exp_avg, "exp_avg_sq", priv->exp_avg_sq,
                             "max_exp_avg_sq", priv->max_exp_avg_sq, NULL);
}

static gboolean
nn_adam_optimizer_load_state (NnOptimizer  *optimizer,
                              GVariantDict *state,
                              GError      **error)
{
  NnAdamOptimizerPrivate *priv = get_private (optimizer);

  return nn_optimizer_load_buffers (state, error, "exp_avg", priv->exp_avg,
                                    "exp_avg_sq", priv->exp_avg_sq,
                                    "max_exp_avg_sq", priv->max_exp_avg_sq, NULL);
}

void
nn_adam_optimizer_class_install_properties (NnAdamOptimizerClass *klass,
                                            gboolean              decoupled_weight_decay)
{
  GObjectClass     *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                            G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamSpec *properties[N_PROPS] = { NULL };

  klass->decoupled_weight_decay = decoupled_weight_decay;
  /* GObject does not let a subclass inherit these. */
  object_class->get_property = nn_adam_optimizer_get_property;
  object_class->set_property = nn_adam_optimizer_set_property;

  /**
   * NnAdamOptimizer:learning-rate:
   *
   * The step size; replaces [property@Nn.Optimizer:learning-rate] to default to
   * PyTorch's 0.001.
   */
  properties[PROP_LEARNING_RATE] =
    g_param_spec_double ("learning-rate", NULL,
                         "Step size of each update",
                         0.0, G_MAXDOUBLE, 0.001, flags);

  /**
   * NnAdamOptimizer:beta1:
   *
   * The decay rate of the running mean of the gradient.
   */
  properties[PROP_BETA1] =
    g_param_spec_double ("beta1", NULL,
                         "Decay rate of the running mean of the gradient, below 1",
                         0.0, BETA_MAX, 0.9, flags);

  /**
   * NnAdamOptimizer:beta2:
   *
   * The decay rate of the running mean of the squared gradient.
   */
  properties[PROP_BETA2] =
    g_param_spec_double ("beta2", NULL,
                         "Decay rate of the running mean of the squared gradient, below 1",
                         0.0, BETA_MAX, 0.999, flags);

  /**
   * NnAdamOptimizer:epsilon:
   *
   * Added to the denominator for numerical stability; at least 1e-30, as
   * 0 would divide 0 by 0.
   */
  properties[PROP_EPSILON] =
    g_param_spec_double ("epsilon", NULL,
                         "Term added to the denominator for numerical stability",
                         NN_OPTIMIZER_EPSILON_MIN, G_MAXDOUBLE, 1e-8, flags);

  /**
   * NnAdamOptimizer:weight-decay:
   *
   * The L2 penalty factor: `weight-decay` × θ is added to the gradient
   * (see [property@Nn.AdamwOptimizer:weight-decay] for the decoupled form).
   */
  if (decoupled_weight_decay)
    properties[PROP_WEIGHT_DECAY] =
      g_param_spec_double ("weight-decay", NULL,
                           "Decoupled weight decay: each step scales the parameter by 1 - learning_rate * weight_decay",
                           0.0, G_MAXDOUBLE, 0.01, flags);
  else
    properties[PROP_WEIGHT_DECAY] =
      g_param_spec_double ("weight-decay", NULL,
                           "L2 penalty added to the gradient as weight_decay times the parameter",
                           0.0, G_MAXDOUBLE, 0.0, flags);

  /**
   * NnAdamOptimizer:amsgrad:
   *
   * Whether to use the AMSGrad variant (the running maximum of the second
   * moment). Switching it takes effect when the optimizer is next prepared.
   */
  properties[PROP_AMSGRAD] =
    g_param_spec_boolean ("amsgrad", NULL,
                          "Use the AMSGrad variant",
                          FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_adam_optimizer_class_init (NnAdamOptimizerClass *klass)
{
  NnOptimizerClass *optimizer_class = NN_OPTIMIZER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = nn_adam_optimizer_finalize;

  optimizer_class->description = "Adam: adaptive moment estimation with an L2 penalty";
  optimizer_class->prepare = nn_adam_optimizer_prepare;
  optimizer_class->update = nn_adam_optimizer_update;
  optimizer_class->save_state = nn_adam_optimizer_save_state;
  optimizer_class->load_state = nn_adam_optimizer_load_state;

  nn_adam_optimizer_class_install_properties (klass, FALSE);
}

static void
nn_adam_optimizer_init (NnAdamOptimizer *self)
{
}
