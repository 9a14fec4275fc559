/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The `data.split:` section of an experiment file; not installed. */
#pragma once

#include <glib-object.h>

#include "nn-yaml-private.h"

G_BEGIN_DECLS

#define NN_TYPE_SPLIT_SECTION (nn_split_section_get_type ())
G_DECLARE_FINAL_TYPE (NnSplitSection, nn_split_section, NN, SPLIT_SECTION, GObject)

struct _NnSplitSection
{
  GObject parent_instance;

  double   validation;
  double   test;
  gboolean stratify;
  gboolean shuffle;
  guint    folds; /* 0: no cross-validation */
  guint    fold;  /* held out for validation */
};

G_GNUC_INTERNAL gboolean nn_split_section_check_folds (NnSplitSection *split,
                                                       NnYamlDoc      *doc,
                                                       yaml_node_t    *node,
                                                       GError        **error);

G_END_DECLS
