/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib.h>
#include "nn-dataset.h"
#include "nn-matrix.h"

G_BEGIN_DECLS

GStrv     nn_metrics_list             (NnTask          task);
gboolean  nn_metric_is_valid          (const char     *name,
                                       NnTask          task,
                                       GError        **error);
gboolean  nn_metric_greater_is_better (const char     *name);
double    nn_metric_compute           (const char     *name,
                                       NnTask          task,
                                       const NnMatrix *pred,
                                       const NnMatrix *target);
NnMatrix *nn_confusion_matrix         (NnTask          task,
                                       const NnMatrix *pred,
                                       const NnMatrix *target);

G_END_DECLS
