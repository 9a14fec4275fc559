/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>
#include "nn-model.h"
#include "nn-trainer-callback.h"

G_BEGIN_DECLS

/**
 * NnEarlyStoppingMode:
 * @NN_EARLY_STOPPING_MODE_AUTO: from the monitored name: larger is better
 *   for a metric where it is (`accuracy`, `precision`, `recall`, `f1`,
 *   `auc`, `r2`, with or without a `val_` prefix), smaller otherwise (losses,
 *   `mae`, `rmse`)
 * @NN_EARLY_STOPPING_MODE_MIN: smaller is better
 * @NN_EARLY_STOPPING_MODE_MAX: larger is better
 *
 * Which direction of the monitored value is an improvement.
 */
typedef enum {
  NN_EARLY_STOPPING_MODE_AUTO,
  NN_EARLY_STOPPING_MODE_MIN,
  NN_EARLY_STOPPING_MODE_MAX,
} NnEarlyStoppingMode;

#define NN_TYPE_EARLY_STOPPING_MODE (nn_early_stopping_mode_get_type ())
GType nn_early_stopping_mode_get_type (void) G_GNUC_CONST;

#define NN_TYPE_EARLY_STOPPING (nn_early_stopping_get_type ())
G_DECLARE_FINAL_TYPE (NnEarlyStopping, nn_early_stopping, NN, EARLY_STOPPING,
                      NnTrainerCallback)

NnEarlyStopping *nn_early_stopping_new                   (const char       *monitor);
const char      *nn_early_stopping_get_monitor           (NnEarlyStopping  *self);
gboolean         nn_early_stopping_get_greater_is_better (NnEarlyStopping  *self);
gboolean         nn_early_stopping_update                (NnEarlyStopping  *self,
                                                          guint             epoch,
                                                          double            value,
                                                          NnModel          *model);
gboolean         nn_early_stopping_restore               (NnEarlyStopping  *self,
                                                          NnModel          *model);
guint            nn_early_stopping_get_best_epoch        (NnEarlyStopping  *self);
double           nn_early_stopping_get_best_value        (NnEarlyStopping  *self);
guint            nn_early_stopping_get_stopped_epoch     (NnEarlyStopping  *self);
guint            nn_early_stopping_get_wait              (NnEarlyStopping  *self);
void             nn_early_stopping_reset                 (NnEarlyStopping  *self);
GVariant        *nn_early_stopping_save_state            (NnEarlyStopping  *self);
gboolean         nn_early_stopping_load_state            (NnEarlyStopping  *self,
                                                          GVariant         *state,
                                                          NnModel          *model,
                                                          GError          **error);

G_END_DECLS
