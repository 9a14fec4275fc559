/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <float.h>

#include "nn-errors.h"
#include "nn-optimizer-private.h"
#include "nn-registry-private.h"
#include "nn-rprop-optimizer.h"

/* eta-minus lies in (0, 1) and eta-plus above 1, as PyTorch requires. */
#define ETA_MINUS_MIN DBL_MIN
#define ETA_MINUS_MAX (1.0 - DBL_EPSILON / 2)
#define ETA_PLUS_MIN (1.0 + DBL_EPSILON)

/**
 * NnRpropOptimizer:
 *
 * Resilient backpropagation (Riedmiller and Braun), registered as `rprop`,
 * defined as PyTorch's `torch.optim.Rprop`. Each element has its own step
 * size, which starts at `learning-rate`; only the sign of the gradient is
 * used. Where the gradient kept its sign since the last step, the step size
 * is multiplied by `eta-plus`; where it flipped, by `eta-minus`, and that
 * element stays put this time and counts as having gradient 0 next time.
 * Step sizes are kept in [`step-min`, `step-max`].
 */
struct _NnRpropOptimizer
{
  NnOptimizer parent_instance;

  double eta_minus;
  double eta_plus;
  double step_min;
  double step_max;

  GPtrArray *prev;      /* NnMatrix per parameter: the last gradient used */
  GPtrArray *step_size; /* per-element step sizes */
};

G_DEFINE_FINAL_TYPE_WITH_CODE (NnRpropOptimizer,
                               nn_rprop_optimizer,
                               NN_TYPE_OPTIMIZER,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_OPTIMIZER_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "rprop",
                                                               0))

enum {
  PROP_0,
  PROP_ETA_MINUS,
  PROP_ETA_PLUS,
  PROP_STEP_MIN,
  PROP_STEP_MAX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nn_rprop_optimizer_finalize (GObject *object)
{
  NnRpropOptimizer *self = NN_RPROP_OPTIMIZER (object);

  g_clear_pointer (&self->prev, g_ptr_array_unref);
  g_clear_pointer (&self->step_size, g_ptr_array_unref);

  G_OBJECT_CLASS (nn_rprop_optimizer_parent_class)->finalize (object);
}

static double *
double_field (NnRpropOptimizer *self,
              guint             prop_id)
{
  switch (prop_id)
    {
    case PROP_ETA_MINUS:
      return &self->eta_minus;
    case PROP_ETA_PLUS:
      return &self->eta_plus;
    case PROP_STEP_MIN:
      return &self->step_min;
    case PROP_STEP_MAX:
      return &self->step_max;
    default:
      return NULL;
    }
}

static void
nn_rprop_optimizer_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  double *field = double_field (NN_RPROP_OPTIMIZER (object), prop_id);

  if (field != NULL)
    g_value_set_double (value, *field);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
nn_rprop_optimizer_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  double *field = double_field (NN_RPROP_OPTIMIZER (object), prop_id);

  if (field == NULL)
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  else if (*field != g_value_get_double (value))
    {
      *field = g_value_get_double (value);
      g_object_notify_by_pspec (object, pspec);
    }
}

static void
nn_rprop_optimizer_prepare (NnOptimizer     *optimizer,
                            guint            n_params,
                            const NnMatrix **params)
{
  NnRpropOptimizer *self = NN_RPROP_OPTIMIZER (optimizer);

  g_clear_pointer (&self->prev, g_ptr_array_unref);
  g_clear_pointer (&self->step_size, g_ptr_array_unref);
  self->prev = nn_optimizer_buffers_new (n_params, params);
  self->step_size = nn_optimizer_buffers_new (n_params, params);
}

static void
nn_rprop_optimizer_update (NnOptimizer    *optimizer,
                           guint           index,
                           NnMatrix       *param,
                           const NnMatrix *grad)
{
  NnRpropOptimizer *self = NN_RPROP_OPTIMIZER (optimizer);
  const nn_real     eta_minus = (nn_real) self->eta_minus;
  const nn_real     eta_plus = (nn_real) self->eta_plus;
  const nn_real     step_min = (nn_real) self->step_min;
  const nn_real     step_max = (nn_real) self->step_max;
  const gsize       n = nn_matrix_size (param);
  nn_real          *p = param->data;
  const nn_real    *g = grad->data;
  nn_real          *prev, *step;

  g_return_if_fail (self->prev != NULL && index < self->prev->len);

  prev = ((NnMatrix *) self->prev->pdata[index])->data;
  step = ((NnMatrix *) self->step_size->pdata[index])->data;
  /* As PyTorch, the step sizes start at the learning rate of the first step. */
  if (nn_optimizer_get_iterations (optimizer) == 1)
    {
      NnMatrix *m = self->step_size->pdata[index];

      nn_matrix_fill (m, (nn_real) nn_optimizer_get_learning_rate (optimizer));
    }

  for (gsize i = 0; i < n; i++)
    {
      nn_real agreement = g[i] * prev[i];
      nn_real d = g[i];
      nn_real s;

      if (agreement > 0)
        s = step[i] * eta_plus;
      else if (agreement < 0)
        {
          s = step[i] * eta_minus;
          d = 0;
        }
      else
        s = step[i];
      /* clamp (min, max) as torch.clamp_: the maximum wins if they cross */
      s = s < step_min ? step_min : s;
      s = s > step_max ? step_max : s;
      step[i] = s;

      if (d > 0)
        p[i] -= s;
      else if (d < 0)
        p[i] += s;
      prev[i] = d;
    }
}

static gboolean
nn_rprop_optimizer_validate (NnOptimizer *optimizer,
                             GError     **error)
{
  NnRpropOptimizer *self = NN_RPROP_OPTIMIZER (optimizer);

  if (self->step_min > self->step_max)
    {
      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "rprop step_min (%g) must not exceed step_max (%g)",
                   self->step_min, self->step_max);
      return FALSE;
    }
  return TRUE;
}

static void
nn_rprop_optimizer_save_state (NnOptimizer  *optimizer,
                               GVariantDict *state)
{
  NnRpropOptimizer *self = NN_RPROP_OPTIMIZER (optimizer);

  nn_optimizer_save_buffers (state, "prev", self->prev, "step_size", self->step_size, NULL);
}

static gboolean
nn_rprop_optimizer_load_state (NnOptimizer  *optimizer,
                               GVariantDict *state,
                               GError      **error)
{
  NnRpropOptimizer *self = NN_RPROP_OPTIMIZER (optimizer);

  return nn_optimizer_load_buffers (state, error, "prev", self->prev,
                                    "step_size", self->step_size, NULL);
}

static void
nn_rprop_optimizer_class_init (NnRpropOptimizerClass *klass)
{
  GObjectClass     *object_class = G_OBJECT_CLASS (klass);
  NnOptimizerClass *optimizer_class = NN_OPTIMIZER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                            G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = nn_rprop_optimizer_finalize;
  object_class->get_property = nn_rprop_optimizer_get_property;
  object_class->set_property = nn_rprop_optimizer_set_property;

  optimizer_class->description = "Rprop: per-element step sizes adapted to the gradient's sign";
  optimizer_class->prepare = nn_rprop_optimizer_prepare;
  optimizer_class->update = nn_rprop_optimizer_update;
  optimizer_class->validate = nn_rprop_optimizer_validate;
  optimizer_class->save_state = nn_rprop_optimizer_save_state;
  optimizer_class->load_state = nn_rprop_optimizer_load_state;

  /**
   * NnRpropOptimizer:eta-minus:
   *
   * The factor, between 0 and 1 exclusive, applied to a step size where the
   * gradient changed sign.
   */
  properties[PROP_ETA_MINUS] =
    g_param_spec_double ("eta-minus", NULL,
                         "Step-size factor where the gradient changed sign, between 0 and 1",
                         ETA_MINUS_MIN, ETA_MINUS_MAX, 0.5, flags);

  /**
   * NnRpropOptimizer:eta-plus:
   *
   * The factor, above 1, applied to a step size where the gradient kept
   * its sign.
   */
  properties[PROP_ETA_PLUS] =
    g_param_spec_double ("eta-plus", NULL,
                         "Step-size factor where the gradient kept its sign, above 1",
                         ETA_PLUS_MIN, G_MAXDOUBLE, 1.2, flags);

  /**
   * NnRpropOptimizer:step-min:
   *
   * The smallest step size.
   */
  properties[PROP_STEP_MIN] =
    g_param_spec_double ("step-min", NULL,
                         "Smallest allowed step size",
                         0.0, G_MAXDOUBLE, 1e-6, flags);

  /**
   * NnRpropOptimizer:step-max:
   *
   * The largest step size.
   */
  properties[PROP_STEP_MAX] =
    g_param_spec_double ("step-max", NULL,
                         "Largest allowed step size",
                         0.0, G_MAXDOUBLE, 50.0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_rprop_optimizer_init (NnRpropOptimizer *self)
{
}
