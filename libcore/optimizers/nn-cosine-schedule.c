/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-limits.h"
#include "nn-registry-private.h"
#include "nn-schedule.h"

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | \
                     G_PARAM_STATIC_STRINGS)

/**
 * NnCosineSchedule:
 *
 * Cosine annealing from the base rate to [property@Nn.CosineSchedule:eta-min]
 * over [property@Nn.CosineSchedule:t-max] epochs, registered as `cosine`:
 * `eta_min + (base − eta_min) × (1 + cos(π e / t_max)) / 2`, the closed form of
 * PyTorch's `CosineAnnealingLR`. Past `t_max` the rate rises again along the
 * same cosine, as in PyTorch.
 */
struct _NnCosineSchedule
{
  NnSchedule parent_instance;

  guint  t_max;
  double eta_min;
};

G_DEFINE_FINAL_TYPE_WITH_CODE (NnCosineSchedule,
                               nn_cosine_schedule,
                               NN_TYPE_SCHEDULE,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_SCHEDULE_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "cosine",
                                                               0))

enum {
  COS_PROP_0,
  COS_PROP_T_MAX,
  COS_PROP_ETA_MIN,
  COS_N_PROPS
};

static GParamSpec *cos_properties[COS_N_PROPS];

static void
nn_cosine_schedule_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  NnCosineSchedule *self = NN_COSINE_SCHEDULE (object);

  switch (prop_id)
    {
    case COS_PROP_T_MAX:
      g_value_set_uint (value, self->t_max);
      break;
    case COS_PROP_ETA_MIN:
      g_value_set_double (value, self->eta_min);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_cosine_schedule_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  NnCosineSchedule *self = NN_COSINE_SCHEDULE (object);

  switch (prop_id)
    {
    case COS_PROP_T_MAX:
      if (self->t_max != g_value_get_uint (value))
        {
          self->t_max = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case COS_PROP_ETA_MIN:
      if (self->eta_min != g_value_get_double (value))
        {
          self->eta_min = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static double
nn_cosine_schedule_get_rate (NnSchedule *schedule,
                             double      base_lr,
                             guint       epoch)
{
  NnCosineSchedule *self = NN_COSINE_SCHEDULE (schedule);
  guint             t_max = self->t_max;

  if (t_max == 0)
    {
      guint total = nn_schedule_get_total_epochs (schedule);
      guint warmup = nn_schedule_get_warmup_epochs (schedule);

      g_return_val_if_fail (total > 0, base_lr);
      /* No epoch follows a warm-up that fills the training. */
      if (total <= warmup)
        return base_lr;
      t_max = total - warmup;
    }
  return self->eta_min + (base_lr - self->eta_min) * (1.0 + cos (G_PI * epoch / t_max)) / 2.0;
}

static void
nn_cosine_schedule_class_init (NnCosineScheduleClass *klass)
{
  GObjectClass    *object_class = G_OBJECT_CLASS (klass);
  NnScheduleClass *schedule_class = NN_SCHEDULE_CLASS (klass);

  object_class->get_property = nn_cosine_schedule_get_property;
  object_class->set_property = nn_cosine_schedule_set_property;
  schedule_class->description = "Cosine annealing from the base rate to eta_min over t_max epochs";
  schedule_class->get_rate = nn_cosine_schedule_get_rate;

  /**
   * NnCosineSchedule:t-max:
   *
   * The number of epochs from the base rate down to
   * [property@Nn.CosineSchedule:eta-min]; 0 means every epoch after the
   * warm-up, as given by [method@Nn.Schedule.set_total_epochs].
   */
  cos_properties[COS_PROP_T_MAX] =
    g_param_spec_uint ("t-max", NULL,
                       "Epochs from the base rate down to eta_min; 0 for the rest of training",
                       0, NN_MAX_EPOCHS, 0, PARAM_FLAGS);

  /**
   * NnCosineSchedule:eta-min:
   *
   * The lowest rate, reached after [property@Nn.CosineSchedule:t-max] epochs.
   */
  cos_properties[COS_PROP_ETA_MIN] =
    g_param_spec_double ("eta-min", NULL, "Lowest rate, reached after t_max epochs",
                         0.0, G_MAXDOUBLE, 0.0, PARAM_FLAGS);

  g_object_class_install_properties (object_class, COS_N_PROPS, cos_properties);
}

static void
nn_cosine_schedule_init (NnCosineSchedule *self)
{
}
