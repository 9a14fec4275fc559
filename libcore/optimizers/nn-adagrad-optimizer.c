/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-adagrad-optimizer.h"
#include "nn-optimizer-private.h"
#include "nn-registry-private.h"

/**
 * NnAdagradOptimizer:
 *
 * Adagrad (Duchi, Hazan and Singer), registered as `adagrad`, defined as
 * PyTorch's `torch.optim.Adagrad`. With the gradient `g` plus
 * `weight-decay` × θ and the step number `t`:
 *
 *     S ← S + g²                      (S starts at initial-accumulator-value)
 *     θ ← θ − η / (1 + (t − 1) lr-decay) × g / (√S + ε)
 */
struct _NnAdagradOptimizer
{
  NnOptimizer parent_instance;

  double epsilon;
  double weight_decay;
  double lr_decay;
  double initial_accumulator_value;

  GPtrArray *sum; /* NnMatrix per parameter: S */
};

G_DEFINE_FINAL_TYPE_WITH_CODE (NnAdagradOptimizer,
                               nn_adagrad_optimizer,
                               NN_TYPE_OPTIMIZER,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_OPTIMIZER_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "adagrad",
                                                               0))

enum {
  PROP_0,
  PROP_EPSILON,
  PROP_WEIGHT_DECAY,
  PROP_LR_DECAY,
  PROP_INITIAL_ACCUMULATOR_VALUE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nn_adagrad_optimizer_finalize (GObject *object)
{
  NnAdagradOptimizer *self = NN_ADAGRAD_OPTIMIZER (object);

  g_clear_pointer (&self->sum, g_ptr_array_unref);

  G_OBJECT_CLASS (nn_adagrad_optimizer_parent_class)->finalize (object);
}

static double *
double_field (NnAdagradOptimizer *self,
              guint               prop_id)
{
  switch (prop_id)
    {
    case PROP_EPSILON:
      return &self->epsilon;
    case PROP_WEIGHT_DECAY:
      return &self->weight_decay;
    case PROP_LR_DECAY:
      return &self->lr_decay;
    case PROP_INITIAL_ACCUMULATOR_VALUE:
      return &self->initial_accumulator_value;
    default:
      return NULL;
    }
}

static void
nn_adagrad_optimizer_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  double *field = double_field (NN_ADAGRAD_OPTIMIZER (object), prop_id);

  if (field != NULL)
    g_value_set_double (value, *field);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
nn_adagrad_optimizer_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  double *field = double_field (NN_ADAGRAD_OPTIMIZER (object), prop_id);

  if (field == NULL)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  else if (*field != g_value_get_double (value))
    {
      *field = g_value_get_double (value);
      g_object_notify_by_pspec (object, pspec);
    }
}

static void
nn_adagrad_optimizer_prepare (NnOptimizer     *optimizer,
                              guint            n_params,
                              const NnMatrix **params)
{
  NnAdagradOptimizer *self = NN_ADAGRAD_OPTIMIZER (optimizer);

  g_clear_pointer (&self->sum, g_ptr_array_unref);
  self->sum = nn_optimizer_buffers_new (n_params, params);
  for (guint i = 0; i < n_params; i++)
    nn_matrix_fill (self->sum->pdata[i], (nn_real) self->initial_accumulator_value);
}

static void
nn_adagrad_optimizer_update (NnOptimizer    *optimizer,
                             guint           index,
                             NnMatrix       *param,
                             const NnMatrix *grad)
{
  NnAdagradOptimizer *self = NN_ADAGRAD_OPTIMIZER (optimizer);
  const double        t = (double) nn_optimizer_get_iterations (optimizer);
  const nn_real       neg_clr = (nn_real) - (nn_optimizer_get_learning_rate (optimizer) /
                                       (1.0 + (t - 1.0) * self->lr_decay));
  const nn_real       eps = (nn_real) self->epsilon;
  const nn_real       wd = (nn_real) self->weight_decay;
  const gsize         n = nn_matrix_size (param);
  nn_real            *p = param->data;
  const nn_real      *g = grad->data;
  nn_real            *s;

  g_return_if_fail (self->sum != NULL && index < self->sum->len);

  s = ((NnMatrix *) self->sum->pdata[index])->data;
  for (gsize i = 0; i < n; i++)
    {
      nn_real d = g[i] + wd * p[i];

      s[i] += d * d;
      p[i] += neg_clr * (d / (nn_sqrt (s[i]) + eps));
    }
}

static void
nn_adagrad_optimizer_save_state (NnOptimizer  *optimizer,
                                 GVariantDict *state)
{
  NnAdagradOptimizer *self = NN_ADAGRAD_OPTIMIZER (optimizer);

  nn_optimizer_save_buffers (state, "sum", self->sum, NULL);
}

static gboolean
nn_adagrad_optimizer_load_state (NnOptimizer  *optimizer,
                                 GVariantDict *state,
                                 GError      **error)
{
  NnAdagradOptimizer *self = NN_ADAGRAD_OPTIMIZER (optimizer);

  return nn_optimizer_load_buffers (state, error, "sum", self->sum, NULL);
}

static void
nn_adagrad_optimizer_class_init (NnAdagradOptimizerClass *klass)
{
  GObjectClass     *object_class = G_OBJECT_CLASS (klass);
  NnOptimizerClass *optimizer_class = NN_OPTIMIZER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                            G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = nn_adagrad_optimizer_finalize;
  object_class->get_property = nn_adagrad_optimizer_get_property;
  object_class->set_property = nn_adagrad_optimizer_set_property;

  optimizer_class->description = "Adagrad: steps scaled by the accumulated squared gradients";
  optimizer_class->prepare = nn_adagrad_optimizer_prepare;
  optimizer_class->update = nn_adagrad_optimizer_update;
  optimizer_class->save_state = nn_adagrad_optimizer_save_state;
  optimizer_class->load_state = nn_adagrad_optimizer_load_state;

  /**
   * NnAdagradOptimizer:epsilon:
   *
   * Added to the denominator for numerical stability; at least 1e-30, as
   * 0 would divide 0 by 0.
   */
  properties[PROP_EPSILON] =
    g_param_spec_double ("epsilon", NULL,
                         "Term added to the denominator for numerical stability",
                         NN_OPTIMIZER_EPSILON_MIN, G_MAXDOUBLE, 1e-10, flags);

  /**
   * NnAdagradOptimizer:weight-decay:
   *
   * The L2 penalty factor: `weight-decay` × θ is added to the gradient.
   */
  properties[PROP_WEIGHT_DECAY] =
    g_param_spec_double ("weight-decay", NULL,
                         "L2 penalty added to the gradient as weight_decay times the parameter",
                         0.0, G_MAXDOUBLE, 0.0, flags);

  /**
   * NnAdagradOptimizer:lr-decay:
   *
   * Step `t` uses the learning rate divided by 1 + (t − 1) × `lr-decay`.
   */
  properties[PROP_LR_DECAY] =
    g_param_spec_double ("lr-decay", NULL,
                         "Learning-rate decay: step t uses learning_rate / (1 + (t - 1) * lr_decay)",
                         0.0, G_MAXDOUBLE, 0.0, flags);

  /**
   * NnAdagradOptimizer:initial-accumulator-value:
   *
   * The starting value of the sum of squared gradients, applied when the
   * optimizer is prepared.
   */
  properties[PROP_INITIAL_ACCUMULATOR_VALUE] =
    g_param_spec_double ("initial-accumulator-value", NULL,
                         "Starting value of the sum of squared gradients",
                         0.0, G_MAXDOUBLE, 0.0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_adagrad_optimizer_init (NnAdagradOptimizer *self)
{
}
