/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The `train:` section of an experiment file; not installed. */
#pragma once

#include "nn-early-stopping.h"
#include "nn-schedule.h"

G_BEGIN_DECLS

#define NN_TYPE_TRAIN_SECTION (nn_train_section_get_type ())
G_DECLARE_FINAL_TYPE (NnTrainSection, nn_train_section, NN, TRAIN_SECTION, GObject)

struct _NnTrainSection
{
  GObject parent_instance;

  guint            epochs;
  guint            batch_size;
  gboolean         shuffle;
  NnSchedule      *schedule;
  double           clip_norm;
  NnEarlyStopping *early_stopping;
  guint            checkpoint_every;
  NnPrecision      precision; /* of the products, for the run */

  /* class_weight, which is no property: `balanced`, or the weights of the
   * classes named, as given */
  gboolean         class_weight_balanced;
  GStrv            class_weight_labels;
  double          *class_weight_values;
};

G_END_DECLS
