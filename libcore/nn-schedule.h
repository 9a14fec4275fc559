/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * NN_SCHEDULE_EXTENSION_POINT_NAME:
 *
 * The GIO extension point under which learning-rate schedules register,
 * the built-in ones and those of plugins.
 */
#define NN_SCHEDULE_EXTENSION_POINT_NAME "nn-schedule"

#define NN_TYPE_SCHEDULE (nn_schedule_get_type ())
G_DECLARE_DERIVABLE_TYPE (NnSchedule, nn_schedule, NN, SCHEDULE, GObject)

/**
 * NnScheduleClass:
 * @parent_class: the parent class
 * @description: one line shown by `nnrun plugins`
 * @get_rate: the learning rate of @epoch epochs after the warm-up (0 for
 *   the first epoch after it), scaled from @base_lr
 *
 * A schedule is a pure function of the epoch: it keeps no state between
 * calls, so training can resume at any epoch.
 */
struct _NnScheduleClass
{
  GObjectClass parent_class;

  const char *description;

  double (*get_rate) (NnSchedule *self,
                      double      base_lr,
                      guint       epoch);

  /*< private >*/
  gpointer padding[4];
};

#define NN_TYPE_CONSTANT_SCHEDULE (nn_constant_schedule_get_type ())
G_DECLARE_FINAL_TYPE (NnConstantSchedule, nn_constant_schedule, NN, CONSTANT_SCHEDULE, NnSchedule)

#define NN_TYPE_STEP_SCHEDULE (nn_step_schedule_get_type ())
G_DECLARE_FINAL_TYPE (NnStepSchedule, nn_step_schedule, NN, STEP_SCHEDULE, NnSchedule)

#define NN_TYPE_EXPONENTIAL_SCHEDULE (nn_exponential_schedule_get_type ())
G_DECLARE_FINAL_TYPE (NnExponentialSchedule, nn_exponential_schedule, NN,
                      EXPONENTIAL_SCHEDULE, NnSchedule)

#define NN_TYPE_COSINE_SCHEDULE (nn_cosine_schedule_get_type ())
G_DECLARE_FINAL_TYPE (NnCosineSchedule, nn_cosine_schedule, NN, COSINE_SCHEDULE, NnSchedule)

double              nn_schedule_get_learning_rate  (NnSchedule  *self,
                                                    double       base_lr,
                                                    guint        epoch);
guint               nn_schedule_get_warmup_epochs  (NnSchedule  *self);
void                nn_schedule_set_total_epochs   (NnSchedule  *self,
                                                    guint        epochs);
guint               nn_schedule_get_total_epochs   (NnSchedule  *self);
const char         *nn_schedule_get_name           (NnSchedule  *self);
GType               nn_schedule_lookup             (const char  *name,
                                                    GError     **error);
NnSchedule         *nn_schedule_new_by_name        (const char  *name,
                                                    GError     **error);

G_END_DECLS
