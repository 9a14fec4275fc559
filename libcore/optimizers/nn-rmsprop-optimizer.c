/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-optimizer-private.h"
#include "nn-registry-private.h"
#include "nn-rmsprop-optimizer.h"

/**
 * NnRmspropOptimizer:
 *
 * RMSprop (Hinton), registered as `rmsprop`, defined as PyTorch's
 * `torch.optim.RMSprop`. With the gradient `g` plus `weight-decay` × θ:
 *
 *     s ← α s + (1 − α) g²
 *     d ← √s + ε                      (centered: a ← α a + (1 − α) g, d ← √(s − a²) + ε)
 *     θ ← θ − η g / d                 (momentum μ: b ← μ b + g / d, θ ← θ − η b)
 *
 * Every buffer starts at zero.
 */
struct _NnRmspropOptimizer
{
  NnOptimizer parent_instance;

  double   alpha;
  double   epsilon;
  double   momentum;
  double   weight_decay;
  gboolean centered;

  GPtrArray *square_avg;      /* NnMatrix per parameter: s */
  GPtrArray *grad_avg;        /* a, when centered */
  GPtrArray *momentum_buffer; /* b, when momentum > 0 */
};

G_DEFINE_FINAL_TYPE_WITH_CODE (NnRmspropOptimizer,
                               nn_rmsprop_optimizer,
                               NN_TYPE_OPTIMIZER,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_OPTIMIZER_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "rmsprop",
                                                               0))

enum {
  PROP_0,
  PROP_ALPHA,
  PROP_EPSILON,
  PROP_MOMENTUM,
  PROP_WEIGHT_DECAY,
  PROP_CENTERED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nn_rmsprop_optimizer_finalize (GObject *object)
{
  NnRmspropOptimizer *self = NN_RMSPROP_OPTIMIZER (object);

  g_clear_pointer (&self->square_avg, g_ptr_array_unref);
  g_clear_pointer (&self->grad_avg, g_ptr_array_unref);
  g_clear_pointer (&self->momentum_buffer, g_ptr_array_unref);

  G_OBJECT_CLASS (nn_rmsprop_optimizer_parent_class)->finalize (object);
}

static double *
double_field (NnRmspropOptimizer *self,
              guint               prop_id)
{
  switch (prop_id)
    {
    case PROP_ALPHA:
      return &self->alpha;
    case PROP_EPSILON:
      return &self->epsilon;
    case PROP_MOMENTUM:
      return &self->momentum;
    case PROP_WEIGHT_DECAY:
      return &self->weight_decay;
    default:
      return NULL;
    }
}

static void
nn_rmsprop_optimizer_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  NnRmspropOptimizer *self = NN_RMSPROP_OPTIMIZER (object);
  double             *field = double_field (self, prop_id);

  if (field != NULL)
    g_value_set_double (value, *field);
  else if (prop_id == PROP_CENTERED)
    g_value_set_boolean (value, self->centered);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
nn_rmsprop_optimizer_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  NnRmspropOptimizer *self = NN_RMSPROP_OPTIMIZER (object);
  double             *field = double_field (self, prop_id);

  if (field != NULL)
    {
      if (*field != g_value_get_double (value))
        {
          *field = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
    }
  else if (prop_id == PROP_CENTERED)
    {
      if (self->centered != g_value_get_boolean (value))
        {
          self->centered = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
    }
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
nn_rmsprop_optimizer_prepare (NnOptimizer     *optimizer,
                              guint            n_params,
                              const NnMatrix **params)
{
  NnRmspropOptimizer *self = NN_RMSPROP_OPTIMIZER (optimizer);

  g_clear_pointer (&self->square_avg, g_ptr_array_unref);
  g_clear_pointer (&self->grad_avg, g_ptr_array_unref);
  g_clear_pointer (&self->momentum_buffer, g_ptr_array_unref);
  self->square_avg = nn_optimizer_buffers_new (n_params, params);
  if (self->centered)
    self->grad_avg = nn_optimizer_buffers_new (n_params, params);
  if (self->momentum > 0.0)
    self->momentum_buffer = nn_optimizer_buffers_new (n_params, params);
}

static void
nn_rmsprop_optimizer_update (NnOptimizer    *optimizer,
                             guint           index,
                             NnMatrix       *param,
                             const NnMatrix *grad)
{
  NnRmspropOptimizer *self = NN_RMSPROP_OPTIMIZER (optimizer);
  const nn_real       neg_lr = (nn_real) -nn_optimizer_get_learning_rate (optimizer);
  const nn_real       alpha = (nn_real) self->alpha;
  const nn_real       one_minus_alpha = (nn_real) (1.0 - self->alpha);
  const nn_real       eps = (nn_real) self->epsilon;
  const nn_real       mu = (nn_real) self->momentum;
  const nn_real       wd = (nn_real) self->weight_decay;
  const gsize         n = nn_matrix_size (param);
  nn_real            *p = param->data;
  const nn_real      *g = grad->data;
  nn_real            *s, *a = NULL, *b = NULL;

  g_return_if_fail (self->square_avg != NULL && index < self->square_avg->len);
  /* The optional buffers exist only if their setting was on at prepare(). */
  g_return_if_fail (!self->centered || self->grad_avg != NULL);
  g_return_if_fail (self->momentum <= 0.0 || self->momentum_buffer != NULL);

  s = ((NnMatrix *) self->square_avg->pdata[index])->data;
  if (self->centered)
    a = ((NnMatrix *) self->grad_avg->pdata[index])->data;
  if (self->momentum > 0.0)
    b = ((NnMatrix *) self->momentum_buffer->pdata[index])->data;

  for (gsize i = 0; i < n; i++)
    {
      nn_real d = g[i] + wd * p[i];
      nn_real denom;

      s[i] = s[i] * alpha + one_minus_alpha * d * d;
      if (a != NULL)
        {
          a[i] = a[i] * alpha + one_minus_alpha * d;
          denom = nn_sqrt (s[i] - a[i] * a[i]) + eps;
        }
      else
        denom = nn_sqrt (s[i]) + eps;

      if (b != NULL)
        {
          b[i] = b[i] * mu + d / denom;
          p[i] += neg_lr * b[i];
        }
      else
        p[i] += neg_lr * (d / denom);
    }
}

static void
nn_rmsprop_optimizer_save_state (NnOptimizer  *optimizer,
                                 GVariantDict *state)
{
  NnRmspropOptimizer *self = NN_RMSPROP_OPTIMIZER (optimizer);

  nn_optimizer_save_buffers (state, "square_avg", self->square_avg, "grad_avg", self->grad_avg,
                             "momentum_buffer", self->momentum_buffer, NULL);
}

static gboolean
nn_rmsprop_optimizer_load_state (NnOptimizer  *optimizer,
                                 GVariantDict *state,
                                 GError      **error)
{
  NnRmspropOptimizer *self = NN_RMSPROP_OPTIMIZER (optimizer);

  return nn_optimizer_load_buffers (state, error, "square_avg", self->square_avg,
                                    "grad_avg", self->grad_avg,
                                    "momentum_buffer", self->momentum_buffer, NULL);
}

static void
nn_rmsprop_optimizer_class_init (NnRmspropOptimizerClass *klass)
{
  GObjectClass     *object_class = G_OBJECT_CLASS (klass);
  NnOptimizerClass *optimizer_class = NN_OPTIMIZER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                            G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = nn_rmsprop_optimizer_finalize;
  object_class->get_property = nn_rmsprop_optimizer_get_property;
  object_class->set_property = nn_rmsprop_optimizer_set_property;

  optimizer_class->description = "RMSprop: steps scaled by a running mean of squared gradients";
  optimizer_class->prepare = nn_rmsprop_optimizer_prepare;
  optimizer_class->update = nn_rmsprop_optimizer_update;
  optimizer_class->save_state = nn_rmsprop_optimizer_save_state;
  optimizer_class->load_state = nn_rmsprop_optimizer_load_state;

  /**
   * NnRmspropOptimizer:alpha:
   *
   * The smoothing constant of the running means.
   */
  properties[PROP_ALPHA] =
    g_param_spec_double ("alpha", NULL,
                         "Smoothing constant of the running mean of squared gradients",
                         0.0, 1.0, 0.99, flags);

  /**
   * NnRmspropOptimizer:epsilon:
   *
   * Added to the denominator for numerical stability; at least 1e-30, as
   * 0 would divide 0 by 0.
   */
  properties[PROP_EPSILON] =
    g_param_spec_double ("epsilon", NULL,
                         "Term added to the denominator for numerical stability",
                         NN_OPTIMIZER_EPSILON_MIN, G_MAXDOUBLE, 1e-8, flags);

  /**
   * NnRmspropOptimizer:momentum:
   *
   * The momentum factor; 0 turns momentum off. Switching it between 0 and
   * another value takes effect when the optimizer is next prepared.
   */
  properties[PROP_MOMENTUM] =
    g_param_spec_double ("momentum", NULL,
                         "Momentum factor (0 for none)",
                         0.0, G_MAXDOUBLE, 0.0, flags);

  /**
   * NnRmspropOptimizer:weight-decay:
   *
   * The L2 penalty factor: `weight-decay` × θ is added to the gradient.
   */
  properties[PROP_WEIGHT_DECAY] =
    g_param_spec_double ("weight-decay", NULL,
                         "L2 penalty added to the gradient as weight_decay times the parameter",
                         0.0, G_MAXDOUBLE, 0.0, flags);

  /**
   * NnRmspropOptimizer:centered:
   *
   * Whether to divide by an estimate of the gradient's variance rather than
   * of its second moment. Switching it takes effect when the optimizer is
   * next prepared.
   */
  properties[PROP_CENTERED] =
    g_param_spec_boolean ("centered", NULL,
                          "Normalize by the estimated variance of the gradient",
                          FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_rmsprop_optimizer_init (NnRmspropOptimizer *self)
{
}
