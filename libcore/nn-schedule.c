/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-errors.h"
#include "nn-limits.h"
#include "nn-registry.h"
#include "nn-schedule.h"

/**
 * NnSchedule:
 *
 * The abstract base of learning-rate schedules, stepped once per epoch with
 * the definitions of PyTorch's `torch.optim.lr_scheduler`.
 *
 * [method@Nn.Schedule.get_learning_rate] gives the rate of an epoch, counted
 * from 0, from the optimizer's configured rate (the base rate). An optional
 * linear warm-up of [property@Nn.Schedule:warmup-epochs] epochs comes first: in
 * epoch `e` of the warm-up the rate is `base × (f + (1 − f) × e /
 * warmup_epochs)` with `f` = [property@Nn.Schedule:warmup-start-factor], which
 * is PyTorch's `LinearLR(start_factor=f, total_iters=warmup_epochs)`. The
 * schedule proper then starts with the base rate and counts its epochs from the
 * end of the warm-up, as PyTorch's `SequentialLR([LinearLR(…), schedule],
 * milestones=[warmup_epochs])` does.
 *
 * The four built-in schedules are the small final classes
 * [class@Nn.ConstantSchedule], [class@Nn.StepSchedule],
 * [class@Nn.ExponentialSchedule] and [class@Nn.CosineSchedule] of
 * libcore/optimizers/. Each registers its name on
 * [const@Nn.SCHEDULE_EXTENSION_POINT_NAME], where a plugin may add others, and
 * is found with [func@Nn.registry_lookup]. Every parameter is a property, so a
 * schedule can be built from an experiment file like any other object.
 */
typedef struct
{
  guint  warmup_epochs;
  double warmup_start_factor;
  guint  total_epochs;
} NnSchedulePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (NnSchedule, nn_schedule, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_WARMUP_EPOCHS,
  PROP_WARMUP_START_FACTOR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | \
                     G_PARAM_STATIC_STRINGS)

static void
nn_schedule_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  NnSchedulePrivate *priv = nn_schedule_get_instance_private (NN_SCHEDULE (object));

  switch (prop_id)
    {
    case PROP_WARMUP_EPOCHS:
      g_value_set_uint (value, priv->warmup_epochs);
      break;
    case PROP_WARMUP_START_FACTOR:
      g_value_set_double (value, priv->warmup_start_factor);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_schedule_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  NnSchedulePrivate *priv = nn_schedule_get_instance_private (NN_SCHEDULE (object));

  switch (prop_id)
    {
    case PROP_WARMUP_EPOCHS:
      if (priv->warmup_epochs != g_value_get_uint (value))
        {
          priv->warmup_epochs = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_WARMUP_START_FACTOR:
      if (priv->warmup_start_factor != g_value_get_double (value))
        {
          priv->warmup_start_factor = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_schedule_class_init (NnScheduleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = nn_schedule_get_property;
  object_class->set_property = nn_schedule_set_property;

  /**
   * NnSchedule:warmup-epochs:
   *
   * The number of epochs of linear warm-up before the schedule proper; 0
   * for none.
   */
  properties[PROP_WARMUP_EPOCHS] =
    g_param_spec_uint ("warmup-epochs", NULL,
                       "Epochs of linear warm-up before the schedule",
                       0, NN_MAX_EPOCHS, 0, PARAM_FLAGS);

  /**
   * NnSchedule:warmup-start-factor:
   *
   * The fraction of the base rate that the warm-up starts from; PyTorch's
   * `LinearLR` default, 1/3.
   */
  properties[PROP_WARMUP_START_FACTOR] =
    g_param_spec_double ("warmup-start-factor", NULL,
                         "Fraction of the base rate in the first warm-up epoch",
                         0.0, 1.0, 1.0 / 3.0, PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_schedule_init (NnSchedule *self)
{
}

/**
 * nn_schedule_get_learning_rate:
 * @self: a #NnSchedule
 * @base_lr: the optimizer's configured learning rate
 * @epoch: the epoch, counting from 0 for the first
 *
 * The rate to train epoch @epoch with. It depends only on @base_lr, @epoch
 * and the properties, never on earlier calls.
 *
 * Returns: the learning rate
 */
double
nn_schedule_get_learning_rate (NnSchedule *self,
                               double      base_lr,
                               guint       epoch)
{
  NnSchedulePrivate *priv = nn_schedule_get_instance_private (self);

  g_return_val_if_fail (NN_IS_SCHEDULE (self), base_lr);

  if (epoch < priv->warmup_epochs)
    {
      double f = priv->warmup_start_factor;
      return base_lr * (f + (1.0 - f) * epoch / priv->warmup_epochs);
    }
  return NN_SCHEDULE_GET_CLASS (self)->get_rate (self, base_lr, epoch - priv->warmup_epochs);
}

/**
 * nn_schedule_get_warmup_epochs:
 * @self: a #NnSchedule
 *
 * Gets the number of warm-up epochs.
 *
 * Returns: the number of warm-up epochs
 */
guint
nn_schedule_get_warmup_epochs (NnSchedule *self)
{
  NnSchedulePrivate *priv = nn_schedule_get_instance_private (self);

  g_return_val_if_fail (NN_IS_SCHEDULE (self), 0);

  return priv->warmup_epochs;
}

/**
 * nn_schedule_set_total_epochs:
 * @self: a #NnSchedule
 * @epochs: the number of epochs training runs for, warm-up included
 *
 * Tells the schedule how long training lasts, for parameters that default to
 * "until the end": a [class@Nn.CosineSchedule] with
 * [property@Nn.CosineSchedule:t-max] 0 anneals over the epochs after the
 * warm-up.
 */
void
nn_schedule_set_total_epochs (NnSchedule *self,
                              guint       epochs)
{
  NnSchedulePrivate *priv = nn_schedule_get_instance_private (self);

  g_return_if_fail (NN_IS_SCHEDULE (self));

  priv->total_epochs = epochs;
}

/**
 * nn_schedule_get_total_epochs:
 * @self: a #NnSchedule
 *
 * Gets the value given to [method@Nn.Schedule.set_total_epochs], or 0.
 *
 * Returns: the value given to [method@Nn.Schedule.set_total_epochs], or 0
 */
guint
nn_schedule_get_total_epochs (NnSchedule *self)
{
  NnSchedulePrivate *priv = nn_schedule_get_instance_private (self);

  g_return_val_if_fail (NN_IS_SCHEDULE (self), 0);

  return priv->total_epochs;
}

/* ---- lookup by name ------------------------------------------------------ */

/**
 * nn_schedule_lookup:
 * @name: a schedule name, e.g. `"cosine"`
 * @error: return location for a #GError
 *
 * Finds the class of a schedule, for building it with properties (e.g. with
 * g_object_new_with_properties()): [func@Nn.registry_lookup] for
 * %NN_REGISTRY_SCHEDULE, with an unknown name reported as a bad value of an
 * experiment file.
 *
 * Returns: the #GType, or %G_TYPE_INVALID with @error set to
 *   %NN_CONFIG_ERROR_UNKNOWN_TYPE, naming the known schedules
 */
GType
nn_schedule_lookup (const char *name,
                    GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  GType type;

  g_return_val_if_fail (name != NULL, G_TYPE_INVALID);
  g_return_val_if_fail (error == NULL || *error == NULL, G_TYPE_INVALID);

  type = nn_registry_lookup (NN_REGISTRY_SCHEDULE, name, &local_error);
  if (type == G_TYPE_INVALID)
    g_set_error_literal (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_UNKNOWN_TYPE,
                         local_error->message);
  return type;
}

/**
 * nn_schedule_new_by_name:
 * @name: a schedule name, e.g. `"step"`
 * @error: return location for a #GError
 *
 * Makes a new schedule with default properties.
 *
 * Returns: (transfer full): a new schedule with default properties, or
 *   %NULL with @error set (see [func@Nn.Schedule.lookup])
 */
NnSchedule *
nn_schedule_new_by_name (const char *name,
                         GError    **error)
{
  GType type = nn_schedule_lookup (name, error);

  if (type == G_TYPE_INVALID)
    return NULL;
  return g_object_new (type, NULL);
}

/**
 * nn_schedule_get_name:
 * @self: a #NnSchedule
 *
 * Gets the name @self is registered under.
 *
 * Returns: (transfer none) (nullable): the name @self is registered under,
 *   or %NULL for a class registered under none
 */
const char *
nn_schedule_get_name (NnSchedule *self)
{
  g_return_val_if_fail (NN_IS_SCHEDULE (self), NULL);

  return nn_registry_get_name (G_OBJECT_TYPE (self));
}
