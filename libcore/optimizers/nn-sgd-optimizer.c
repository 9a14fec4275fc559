/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "nn-errors.h"
#include "nn-finite-private.h"
#include "nn-optimizer-private.h"
#include "nn-registry-private.h"
#include "nn-sgd-optimizer.h"
#include "nn-simd.h"

/**
 * NnSgdOptimizer:
 *
 * Gradient descent with optional momentum, registered as `sgd`, defined as
 * PyTorch's `torch.optim.SGD`. With the gradient `g` plus `weight-decay` × θ:
 * without momentum `θ ← θ − η g`; with momentum the buffer `b` starts as the
 * first `g` and then becomes `momentum` × b + (1 − `dampening`) × g, and the
 * step is `θ ← θ − η b`, or `θ ← θ − η (g + momentum × b)` with `nesterov`.
 *
 * With the whole training set as one batch and no momentum this is the
 * lesson's batch gradient descent; with a batch size of 1 it is stochastic
 * gradient descent.
 */
struct _NnSgdOptimizer
{
  NnOptimizer parent_instance;

  double   momentum;
  double   dampening;
  gboolean nesterov;
  double   weight_decay;

  GPtrArray *momentum_buffers; /* NnMatrix, one per parameter, or NULL */
};

G_DEFINE_FINAL_TYPE_WITH_CODE (NnSgdOptimizer,
                               nn_sgd_optimizer,
                               NN_TYPE_OPTIMIZER,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_OPTIMIZER_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "sgd",
                                                               0))

enum {
  PROP_0,
  PROP_MOMENTUM,
  PROP_DAMPENING,
  PROP_NESTEROV,
  PROP_WEIGHT_DECAY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nn_sgd_optimizer_finalize (GObject *object)
{
  NnSgdOptimizer *self = NN_SGD_OPTIMIZER (object);

  g_clear_pointer (&self->momentum_buffers, g_ptr_array_unref);

  G_OBJECT_CLASS (nn_sgd_optimizer_parent_class)->finalize (object);
}

static void
nn_sgd_optimizer_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  NnSgdOptimizer *self = NN_SGD_OPTIMIZER (object);

  switch (prop_id)
    {
    case PROP_MOMENTUM:
      g_value_set_double (value, self->momentum);
      break;
    case PROP_DAMPENING:
      g_value_set_double (value, self->dampening);
      break;
    case PROP_NESTEROV:
      g_value_set_boolean (value, self->nesterov);
      break;
    case PROP_WEIGHT_DECAY:
      g_value_set_double (value, self->weight_decay);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_double (NnSgdOptimizer *self,
            double         *field,
            double          value,
            guint           prop_id)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
nn_sgd_optimizer_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  NnSgdOptimizer *self = NN_SGD_OPTIMIZER (object);

  switch (prop_id)
    {
    case PROP_MOMENTUM:
      set_double (self, &self->momentum, g_value_get_double (value), prop_id);
      break;
    case PROP_DAMPENING:
      set_double (self, &self->dampening, g_value_get_double (value), prop_id);
      break;
    case PROP_NESTEROV:
      if (self->nesterov != g_value_get_boolean (value))
        {
          self->nesterov = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_WEIGHT_DECAY:
      set_double (self, &self->weight_decay, g_value_get_double (value), prop_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_sgd_optimizer_prepare (NnOptimizer     *optimizer,
                          guint            n_params,
                          const NnMatrix **params)
{
  NnSgdOptimizer *self = NN_SGD_OPTIMIZER (optimizer);

  g_clear_pointer (&self->momentum_buffers, g_ptr_array_unref);
  if (self->momentum == 0.0)
    return;
  self->momentum_buffers = nn_optimizer_buffers_new (n_params, params);
}

/* NN_SIMD_BYTES of values at a time through the GCC and Clang vector
 * extensions, which an -O2 build leaves scalar otherwise; NN_SIMD_CLONES
 * compiles the loops for AVX-512 and AVX2 with FMA as well. */
typedef nn_real RealVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define LANES (sizeof (RealVec) / sizeof (nn_real))

/* θ ← θ − η (g + λθ), in place on @p; whether every new θ is finite. */
NN_SIMD_CLONES static gboolean
sgd_step (nn_real       *p,
          const nn_real *g,
          gsize          n,
          nn_real        lr,
          nn_real        wd)
{
  NnFiniteBits bad = { 0 };
  gboolean     finite = TRUE;
  gsize        i = 0;

  for (; i + LANES <= n; i += LANES)
    {
      RealVec pv, gv;

      memcpy (&pv, p + i, sizeof pv);
      memcpy (&gv, g + i, sizeof gv);
      pv += -lr * (gv + wd * pv);
      memcpy (p + i, &pv, sizeof pv);
      nn_finite_bits_add (&bad, &pv);
    }
  for (; i < n; i++)
    {
      p[i] += -lr * (g[i] + wd * p[i]);
      finite = finite && isfinite (p[i]);
    }
  return finite && nn_finite_bits_ok (&bad);
}

/* The same with the momentum buffer @b: d = g + λθ, b ← d on the first
 * step, else μ b + (1 − dampening) d, and θ ← θ − η b, or
 * θ ← θ − η (d + μ b) with Nesterov. */
NN_SIMD_CLONES static gboolean
sgd_momentum_step (nn_real       *p,
                   const nn_real *g,
                   nn_real       *b,
                   gsize          n,
                   nn_real        lr,
                   nn_real        wd,
                   nn_real        mu,
                   nn_real        keep,
                   gboolean       first,
                   gboolean       nesterov)
{
  NnFiniteBits bad = { 0 };
  gboolean     finite = TRUE;
  gsize        i = 0;

  for (; i + LANES <= n; i += LANES)
    {
      RealVec pv, gv, bv;

      memcpy (&pv, p + i, sizeof pv);
      memcpy (&gv, g + i, sizeof gv);
      memcpy (&bv, b + i, sizeof bv);
      gv += wd * pv;
      bv = first ? gv : bv * mu + keep * gv;
      pv += -lr * (nesterov ? gv + mu * bv : bv);
      memcpy (b + i, &bv, sizeof bv);
      memcpy (p + i, &pv, sizeof pv);
      nn_finite_bits_add (&bad, &pv);
    }
  for (; i < n; i++)
    {
      nn_real d = g[i] + wd * p[i];

      b[i] = first ? d : b[i] * mu + keep * d;
      p[i] += -lr * (nesterov ? d + mu * b[i] : b[i]);
      finite = finite && isfinite (p[i]);
    }
  return finite && nn_finite_bits_ok (&bad);
}

static void
nn_sgd_optimizer_update (NnOptimizer    *optimizer,
                         guint           index,
                         NnMatrix       *param,
                         const NnMatrix *grad)
{
  NnSgdOptimizer *self = NN_SGD_OPTIMIZER (optimizer);
  const nn_real   lr = (nn_real) nn_optimizer_get_learning_rate (optimizer);
  const nn_real   wd = (nn_real) self->weight_decay;
  const gsize     n = nn_matrix_size (param);

  if (self->momentum == 0.0)
    {
      nn_optimizer_updated_finite (optimizer, sgd_step (param->data, grad->data, n, lr, wd));
      return;
    }

  /* The buffers exist only if momentum was on when prepare() ran. */
  g_return_if_fail (self->momentum_buffers != NULL &&
                    index < self->momentum_buffers->len);
  nn_optimizer_updated_finite (
    optimizer,
    sgd_momentum_step (param->data, grad->data,
                       ((NnMatrix *) self->momentum_buffers->pdata[index])->data, n, lr, wd,
                       (nn_real) self->momentum, (nn_real) (1.0 - self->dampening),
                       nn_optimizer_get_iterations (optimizer) == 1, self->nesterov));
}

gboolean
nn_sgd_optimizer_is_plain (NnOptimizer *optimizer)
{
  NnSgdOptimizer *self;

  if (!NN_IS_SGD_OPTIMIZER (optimizer))
    return FALSE;
  self = NN_SGD_OPTIMIZER (optimizer);
  return self->momentum == 0.0 && self->weight_decay == 0.0;
}

static gboolean
nn_sgd_optimizer_validate (NnOptimizer *optimizer,
                           GError     **error)
{
  NnSgdOptimizer *self = NN_SGD_OPTIMIZER (optimizer);

  if (self->nesterov && (self->momentum <= 0.0 || self->dampening != 0.0))
    {
      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "sgd with nesterov needs a momentum above 0 and a dampening of 0 "
                   "(momentum %g, dampening %g)",
                   self->momentum, self->dampening);
      return FALSE;
    }
  return TRUE;
}

static void
nn_sgd_optimizer_save_state (NnOptimizer  *optimizer,
                             GVariantDict *state)
{
  NnSgdOptimizer *self = NN_SGD_OPTIMIZER (optimizer);

  nn_optimizer_save_buffers (state, "momentum_buffer", self->momentum_buffers, NULL);
}

static gboolean
nn_sgd_optimizer_load_state (NnOptimizer  *optimizer,
                             GVariantDict *state,
                             GError      **error)
{
  NnSgdOptimizer *self = NN_SGD_OPTIMIZER (optimizer);

  return nn_optimizer_load_buffers (state, error, "momentum_buffer", self->momentum_buffers,
                                    NULL);
}

static void
nn_sgd_optimizer_class_init (NnSgdOptimizerClass *klass)
{
  GObjectClass     *object_class = G_OBJECT_CLASS (klass);
  NnOptimizerClass *optimizer_class = NN_OPTIMIZER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                            G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = nn_sgd_optimizer_finalize;
  object_class->get_property = nn_sgd_optimizer_get_property;
  object_class->set_property = nn_sgd_optimizer_set_property;

  optimizer_class->description = "Stochastic gradient descent with optional (Nesterov) momentum";
  optimizer_class->prepare = nn_sgd_optimizer_prepare;
  optimizer_class->update = nn_sgd_optimizer_update;
  optimizer_class->validate = nn_sgd_optimizer_validate;
  optimizer_class->save_state = nn_sgd_optimizer_save_state;
  optimizer_class->load_state = nn_sgd_optimizer_load_state;

  /**
   * NnSgdOptimizer:momentum:
   *
   * The factor of the momentum buffer; 0 turns momentum off. Switching it
   * between 0 and another value takes effect when the optimizer is next
   * prepared.
   */
  properties[PROP_MOMENTUM] =
    g_param_spec_double ("momentum", NULL,
                         "Momentum factor (0 for none)",
                         0.0, G_MAXDOUBLE, 0.0, flags);

  /**
   * NnSgdOptimizer:dampening:
   *
   * The share of the gradient held back when it enters the momentum buffer.
   */
  properties[PROP_DAMPENING] =
    g_param_spec_double ("dampening", NULL,
                         "Dampening of the gradient added to the momentum buffer",
                         0.0, 1.0, 0.0, flags);

  /**
   * NnSgdOptimizer:nesterov:
   *
   * Whether to use Nesterov momentum; it needs a momentum and no dampening.
   */
  properties[PROP_NESTEROV] =
    g_param_spec_boolean ("nesterov", NULL,
                          "Use Nesterov momentum",
                          FALSE, flags);

  /**
   * NnSgdOptimizer:weight-decay:
   *
   * The L2 penalty factor: `weight-decay` × θ is added to the gradient.
   */
  properties[PROP_WEIGHT_DECAY] =
    g_param_spec_double ("weight-decay", NULL,
                         "L2 penalty added to the gradient as weight_decay times the parameter",
                         0.0, G_MAXDOUBLE, 0.0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_sgd_optimizer_init (NnSgdOptimizer *self)
{
}

/**
 * nn_sgd_optimizer_new:
 * @learning_rate: the step size
 *
 * Makes a new gradient-descent optimizer without momentum or weight decay.
 *
 * Returns: (transfer full): a new gradient-descent optimizer without
 *   momentum or weight decay
 */
NnOptimizer *
nn_sgd_optimizer_new (double learning_rate)
{
  return g_object_new (NN_TYPE_SGD_OPTIMIZER, "learning-rate", learning_rate, NULL);
}
