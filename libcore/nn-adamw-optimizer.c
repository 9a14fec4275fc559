/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <float.h>
#include <math.h>

#include "nn-adamw-optimizer.h"

/* Betas are in [0, 1): 1 would make the bias correction divide by zero. */
#define BETA_MAX (1.0 - DBL_EPSILON / 2)

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
 * With `amsgrad`, the running maximum of `v` takes its place in the
 * denominator. The moments start at zero.
 */
struct _NnAdamwOptimizer
{
  NnOptimizer parent_instance;

  double      beta1;
  double      beta2;
  double      epsilon;
  double      weight_decay;
  gboolean    amsgrad;

  GPtrArray  *exp_avg;          /* NnMatrix per parameter: m */
  GPtrArray  *exp_avg_sq;       /* v */
  GPtrArray  *max_exp_avg_sq;   /* running maximum of v, with amsgrad only */
};

G_DEFINE_FINAL_TYPE (NnAdamwOptimizer, nn_adamw_optimizer, NN_TYPE_OPTIMIZER)

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

static GParamSpec *properties[N_PROPS];

static void
nn_adamw_optimizer_finalize (GObject *object)
{
  NnAdamwOptimizer *self = NN_ADAMW_OPTIMIZER (object);

  g_clear_pointer (&self->exp_avg, g_ptr_array_unref);
  g_clear_pointer (&self->exp_avg_sq, g_ptr_array_unref);
  g_clear_pointer (&self->max_exp_avg_sq, g_ptr_array_unref);

  G_OBJECT_CLASS (nn_adamw_optimizer_parent_class)->finalize (object);
}

static double *
double_field (NnAdamwOptimizer *self,
              guint            prop_id)
{
  switch (prop_id)
    {
    case PROP_BETA1:
      return &self->beta1;
    case PROP_BETA2:
      return &self->beta2;
    case PROP_EPSILON:
      return &self->epsilon;
    case PROP_WEIGHT_DECAY:
      return &self->weight_decay;
    default:
      return NULL;
    }
}

static void
nn_adamw_optimizer_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NnAdamwOptimizer *self = NN_ADAMW_OPTIMIZER (object);
  double *field = double_field (self, prop_id);

  if (field != NULL)
    g_value_set_double (value, *field);
  else if (prop_id == PROP_LEARNING_RATE)
    g_value_set_double (value, nn_optimizer_get_learning_rate (NN_OPTIMIZER (self)));
  else if (prop_id == PROP_AMSGRAD)
    g_value_set_boolean (value, self->amsgrad);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
nn_adamw_optimizer_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NnAdamwOptimizer *self = NN_ADAMW_OPTIMIZER (object);
  double *field = double_field (self, prop_id);

  if (field != NULL)
    {
      if (*field != g_value_get_double (value))
        {
          *field = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
    }
  else if (prop_id == PROP_LEARNING_RATE)
    nn_optimizer_set_learning_rate (NN_OPTIMIZER (self), g_value_get_double (value));
  else if (prop_id == PROP_AMSGRAD)
    {
      if (self->amsgrad != g_value_get_boolean (value))
        {
          self->amsgrad = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
    }
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static GPtrArray *
new_buffers (guint            n_params,
             const NnMatrix **params)
{
  GPtrArray *buffers = g_ptr_array_new_full (n_params, (GDestroyNotify) nn_matrix_free);

  for (guint i = 0; i < n_params; i++)
    g_ptr_array_add (buffers, nn_matrix_new (params[i]->rows, params[i]->cols));
  return buffers;
}

static void
nn_adamw_optimizer_prepare (NnOptimizer     *optimizer,
                           guint            n_params,
                           const NnMatrix **params)
{
  NnAdamwOptimizer *self = NN_ADAMW_OPTIMIZER (optimizer);

  g_clear_pointer (&self->exp_avg, g_ptr_array_unref);
  g_clear_pointer (&self->exp_avg_sq, g_ptr_array_unref);
  g_clear_pointer (&self->max_exp_avg_sq, g_ptr_array_unref);
  self->exp_avg = new_buffers (n_params, params);
  self->exp_avg_sq = new_buffers (n_params, params);
  if (self->amsgrad)
    self->max_exp_avg_sq = new_buffers (n_params, params);
}

static void
nn_adamw_optimizer_update (NnOptimizer    *optimizer,
                          guint           index,
                          NnMatrix       *param,
                          const NnMatrix *grad)
{
  NnAdamwOptimizer *self = NN_ADAMW_OPTIMIZER (optimizer);
  const double t = (double) nn_optimizer_get_iterations (optimizer);
  const nn_real neg_step_size = (nn_real) (-nn_optimizer_get_learning_rate (optimizer) /
                                           (1.0 - pow (self->beta1, t)));
  const nn_real bias_correction2_sqrt = (nn_real) sqrt (1.0 - pow (self->beta2, t));
  const nn_real beta1 = (nn_real) self->beta1;
  const nn_real beta2 = (nn_real) self->beta2;
  const nn_real one_minus_beta1 = (nn_real) (1.0 - self->beta1);
  const nn_real one_minus_beta2 = (nn_real) (1.0 - self->beta2);
  const nn_real eps = (nn_real) self->epsilon;
  const nn_real decay = (nn_real) (1.0 - nn_optimizer_get_learning_rate (optimizer) *
                                         self->weight_decay);
  const gsize n = nn_matrix_size (param);
  nn_real *p = param->data;
  const nn_real *g = grad->data;
  nn_real *m, *v, *vmax = NULL;

  g_return_if_fail (self->exp_avg != NULL && index < self->exp_avg->len);
  /* amsgrad needs the buffer prepare() makes only when it was on then. */
  g_return_if_fail (!self->amsgrad || self->max_exp_avg_sq != NULL);

  m = ((NnMatrix *) self->exp_avg->pdata[index])->data;
  v = ((NnMatrix *) self->exp_avg_sq->pdata[index])->data;
  if (self->amsgrad)
    vmax = ((NnMatrix *) self->max_exp_avg_sq->pdata[index])->data;

  for (gsize i = 0; i < n; i++)
    {
      nn_real second;

      p[i] *= decay;
      m[i] = m[i] * beta1 + one_minus_beta1 * g[i];
      v[i] = v[i] * beta2 + one_minus_beta2 * g[i] * g[i];
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
nn_adamw_optimizer_save_state (NnOptimizer  *optimizer,
                              GVariantDict *state)
{
  NnAdamwOptimizer *self = NN_ADAMW_OPTIMIZER (optimizer);

  if (self->exp_avg == NULL)
    return;
  nn_optimizer_state_add_buffers (state, "exp_avg", self->exp_avg);
  nn_optimizer_state_add_buffers (state, "exp_avg_sq", self->exp_avg_sq);
  if (self->max_exp_avg_sq != NULL)
    nn_optimizer_state_add_buffers (state, "max_exp_avg_sq", self->max_exp_avg_sq);
}

static gboolean
nn_adamw_optimizer_load_state (NnOptimizer   *optimizer,
                              GVariantDict  *state,
                              GError       **error)
{
  NnAdamwOptimizer *self = NN_ADAMW_OPTIMIZER (optimizer);

  if (self->exp_avg == NULL)
    return TRUE;
  return nn_optimizer_state_read_buffers (state, "exp_avg", self->exp_avg, error) &&
         nn_optimizer_state_read_buffers (state, "exp_avg_sq", self->exp_avg_sq, error) &&
         (self->max_exp_avg_sq == NULL ||
          nn_optimizer_state_read_buffers (state, "max_exp_avg_sq", self->max_exp_avg_sq,
                                           error));
}

static void
nn_adamw_optimizer_class_init (NnAdamwOptimizerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NnOptimizerClass *optimizer_class = NN_OPTIMIZER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                            G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = nn_adamw_optimizer_finalize;
  object_class->get_property = nn_adamw_optimizer_get_property;
  object_class->set_property = nn_adamw_optimizer_set_property;

  optimizer_class->description = "AdamW: Adam with decoupled weight decay";
  optimizer_class->prepare = nn_adamw_optimizer_prepare;
  optimizer_class->update = nn_adamw_optimizer_update;
  optimizer_class->save_state = nn_adamw_optimizer_save_state;
  optimizer_class->load_state = nn_adamw_optimizer_load_state;

  /**
   * NnAdamwOptimizer:learning-rate:
   *
   * The step size; replaces #NnOptimizer:learning-rate to default to
   * PyTorch's 0.001.
   */
  properties[PROP_LEARNING_RATE] =
    g_param_spec_double ("learning-rate", NULL,
                         "Step size of each update",
                         0.0, G_MAXDOUBLE, 0.001, flags);

  /**
   * NnAdamwOptimizer:beta1:
   *
   * The decay rate of the running mean of the gradient.
   */
  properties[PROP_BETA1] =
    g_param_spec_double ("beta1", NULL,
                         "Decay rate of the running mean of the gradient, below 1",
                         0.0, BETA_MAX, 0.9, flags);

  /**
   * NnAdamwOptimizer:beta2:
   *
   * The decay rate of the running mean of the squared gradient.
   */
  properties[PROP_BETA2] =
    g_param_spec_double ("beta2", NULL,
                         "Decay rate of the running mean of the squared gradient, below 1",
                         0.0, BETA_MAX, 0.999, flags);

  /**
   * NnAdamwOptimizer:epsilon:
   *
   * Added to the denominator for numerical stability.
   */
  properties[PROP_EPSILON] =
    g_param_spec_double ("epsilon", NULL,
                         "Term added to the denominator for numerical stability",
                         0.0, G_MAXDOUBLE, 1e-8, flags);

  /**
   * NnAdamwOptimizer:weight-decay:
   *
   * The decoupled decay: each step first scales θ by
   * 1 − `learning-rate` × `weight-decay`.
   */
  properties[PROP_WEIGHT_DECAY] =
    g_param_spec_double ("weight-decay", NULL,
                         "Decoupled weight decay: each step scales the parameter by 1 - learning_rate * weight_decay",
                         0.0, G_MAXDOUBLE, 0.01, flags);

  /**
   * NnAdamwOptimizer:amsgrad:
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
nn_adamw_optimizer_init (NnAdamwOptimizer *self)
{
}
