/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-registry-private.h"
#include "nn-schedule.h"

/**
 * NnConstantSchedule:
 *
 * The base rate in every epoch, registered as `constant`: with a warm-up,
 * PyTorch's `LinearLR` alone.
 */
struct _NnConstantSchedule
{
  NnSchedule parent_instance;
};

G_DEFINE_FINAL_TYPE_WITH_CODE (NnConstantSchedule,
                               nn_constant_schedule,
                               NN_TYPE_SCHEDULE,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_SCHEDULE_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "constant",
                                                               0))

static double
nn_constant_schedule_get_rate (NnSchedule *self,
                               double      base_lr,
                               guint       epoch)
{
  return base_lr;
}

static void
nn_constant_schedule_class_init (NnConstantScheduleClass *klass)
{
  NnScheduleClass *schedule_class = NN_SCHEDULE_CLASS (klass);

  schedule_class->description = "The base rate in every epoch";
  schedule_class->get_rate = nn_constant_schedule_get_rate;
}

static void
nn_constant_schedule_init (NnConstantSchedule *self)
{
}
