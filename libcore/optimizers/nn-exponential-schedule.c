/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-limits.h"
#include "nn-registry-private.h"
#include "nn-schedule.h"

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | \
                     G_PARAM_STATIC_STRINGS)

/**
 * NnExponentialSchedule:
 *
 * Decay by [property@Nn.ExponentialSchedule:gamma] every epoch, registered as
 * `exponential`: `base × gamma^e`, PyTorch's `ExponentialLR`.
 */
struct _NnExponentialSchedule
{
  NnSchedule parent_instance;

  double gamma;
};

G_DEFINE_FINAL_TYPE_WITH_CODE (NnExponentialSchedule,
                               nn_exponential_schedule,
                               NN_TYPE_SCHEDULE,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_SCHEDULE_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "exponential",
                                                               0))

enum {
  EXP_PROP_0,
  EXP_PROP_GAMMA,
  EXP_N_PROPS
};

static GParamSpec *exp_properties[EXP_N_PROPS];

static void
nn_exponential_schedule_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  NnExponentialSchedule *self = NN_EXPONENTIAL_SCHEDULE (object);

  switch (prop_id)
    {
    case EXP_PROP_GAMMA:
      g_value_set_double (value, self->gamma);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_exponential_schedule_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  NnExponentialSchedule *self = NN_EXPONENTIAL_SCHEDULE (object);

  switch (prop_id)
    {
    case EXP_PROP_GAMMA:
      if (self->gamma != g_value_get_double (value))
        {
          self->gamma = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static double
nn_exponential_schedule_get_rate (NnSchedule *schedule,
                                  double      base_lr,
                                  guint       epoch)
{
  NnExponentialSchedule *self = NN_EXPONENTIAL_SCHEDULE (schedule);

  return base_lr * pow (self->gamma, epoch);
}

static void
nn_exponential_schedule_class_init (NnExponentialScheduleClass *klass)
{
  GObjectClass    *object_class = G_OBJECT_CLASS (klass);
  NnScheduleClass *schedule_class = NN_SCHEDULE_CLASS (klass);

  object_class->get_property = nn_exponential_schedule_get_property;
  object_class->set_property = nn_exponential_schedule_set_property;
  schedule_class->description = "Multiply the rate by gamma every epoch";
  schedule_class->get_rate = nn_exponential_schedule_get_rate;

  /**
   * NnExponentialSchedule:gamma:
   *
   * The factor applied every epoch. PyTorch has no default; this one
   * halves the rate in about 14 epochs.
   */
  exp_properties[EXP_PROP_GAMMA] =
    g_param_spec_double ("gamma", NULL, "Factor applied to the rate every epoch",
                         0.0, 1.0, 0.95, PARAM_FLAGS);

  g_object_class_install_properties (object_class, EXP_N_PROPS, exp_properties);
}

static void
nn_exponential_schedule_init (NnExponentialSchedule *self)
{
}
