/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The `data:` section of an experiment file; not installed. */
#pragma once

#include "nn-dataset.h"
#include "nn-scaler.h"
#include "nn-split-section-private.h"

G_BEGIN_DECLS

#define NN_TYPE_DATA_SECTION (nn_data_section_get_type ())
G_DECLARE_FINAL_TYPE (NnDataSection, nn_data_section, NN, DATA_SECTION, GObject)

struct _NnDataSection
{
  GObject parent_instance;

  NnTask            task;
  char             *positive;
  NnScale           scale;
  NnScale           target_scale;
  NnSplitSection   *split;
};

G_END_DECLS
