/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-limits.h"
#include "nn-registry-private.h"
#include "nn-schedule.h"

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | \
                     G_PARAM_STATIC_STRINGS)

/**
 * NnStepSchedule:
 *
 * Decay by [property@Nn.StepSchedule:gamma] every
 * [property@Nn.StepSchedule:step-size] epochs, registered as `step`: `base ×
 * gamma^⌊e / step_size⌋`, PyTorch's `StepLR`.
 */
struct _NnStepSchedule
{
  NnSchedule parent_instance;

  guint  step_size;
  double gamma;
};

G_DEFINE_FINAL_TYPE_WITH_CODE (NnStepSchedule,
                               nn_step_schedule,
                               NN_TYPE_SCHEDULE,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_SCHEDULE_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "step",
                                                               0))

enum {
  STEP_PROP_0,
  STEP_PROP_STEP_SIZE,
  STEP_PROP_GAMMA,
  STEP_N_PROPS
};

static GParamSpec *step_properties[STEP_N_PROPS];

static void
nn_step_schedule_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  NnStepSchedule *self = NN_STEP_SCHEDULE (object);

  switch (prop_id)
    {
    case STEP_PROP_STEP_SIZE:
      g_value_set_uint (value, self->step_size);
      break;
    case STEP_PROP_GAMMA:
      g_value_set_double (value, self->gamma);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_step_schedule_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  NnStepSchedule *self = NN_STEP_SCHEDULE (object);

  switch (prop_id)
    {
    case STEP_PROP_STEP_SIZE:
      if (self->step_size != g_value_get_uint (value))
        {
          self->step_size = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case STEP_PROP_GAMMA:
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
nn_step_schedule_get_rate (NnSchedule *schedule,
                           double      base_lr,
                           guint       epoch)
{
  NnStepSchedule *self = NN_STEP_SCHEDULE (schedule);

  return base_lr * pow (self->gamma, epoch / self->step_size);
}

static void
nn_step_schedule_class_init (NnStepScheduleClass *klass)
{
  GObjectClass    *object_class = G_OBJECT_CLASS (klass);
  NnScheduleClass *schedule_class = NN_SCHEDULE_CLASS (klass);

  object_class->get_property = nn_step_schedule_get_property;
  object_class->set_property = nn_step_schedule_set_property;
  schedule_class->description = "Multiply the rate by gamma every step_size epochs";
  schedule_class->get_rate = nn_step_schedule_get_rate;

  /**
   * NnStepSchedule:step-size:
   *
   * The number of epochs between two decays.
   */
  step_properties[STEP_PROP_STEP_SIZE] =
    g_param_spec_uint ("step-size", NULL, "Epochs between two decays",
                       1, NN_MAX_EPOCHS, 10, PARAM_FLAGS);

  /**
   * NnStepSchedule:gamma:
   *
   * The factor of each decay; PyTorch's default, 0.1.
   */
  step_properties[STEP_PROP_GAMMA] =
    g_param_spec_double ("gamma", NULL, "Factor applied to the rate at each decay",
                         0.0, 1.0, 0.1, PARAM_FLAGS);

  g_object_class_install_properties (object_class, STEP_N_PROPS, step_properties);
}

static void
nn_step_schedule_init (NnStepSchedule *self)
{
}
