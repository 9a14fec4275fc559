/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The history of a run beside its checkpoints, appended to rather than
 * rewritten, so that a checkpoint costs the same at every epoch; not
 * installed. */
#pragma once

#include <glib.h>

#include "nn-trainer.h"

G_BEGIN_DECLS

#include "nn-run-dir-private.h"

/* The history file in a staging directory. */
#define NN_HISTORY_LOG_FILE NN_RUN_DIR_HISTORY_FILE
#define NN_HISTORY_LOG_LIVE_FILE NN_RUN_DIR_LIVE_FILE

/* How often, at most, a run appends its new rows to `history.live`. */
#define NN_HISTORY_LOG_LIVE_INTERVAL (G_USEC_PER_SEC / 4)

typedef struct _NnHistoryLog NnHistoryLog;

G_GNUC_INTERNAL
NnHistoryLog *nn_history_log_new         (const char       *staging_dir,
                                          guint             n_cols);
G_GNUC_INTERNAL
void          nn_history_log_free        (NnHistoryLog     *self);
G_GNUC_INTERNAL
gboolean      nn_history_log_checkpoint  (NnHistoryLog     *self,
                                          const char       *path,
                                          NnTrainer        *trainer,
                                          GVariantBuilder  *extra,
                                          GArray           *history,
                                          guint             n_rows,
                                          gboolean          whole,
                                          GError          **error);
G_GNUC_INTERNAL
gboolean      nn_history_log_finish      (NnHistoryLog     *self,
                                          const char       *checkpoint,
                                          GArray           *history,
                                          GError          **error);
G_GNUC_INTERNAL
void          nn_history_log_live        (NnHistoryLog     *self,
                                          GArray           *history,
                                          guint             n_rows);
G_GNUC_INTERNAL
void          nn_history_log_live_end    (NnHistoryLog     *self);
G_GNUC_INTERNAL
GArray       *nn_history_log_read        (const char       *checkpoint,
                                          GVariant         *file,
                                          GVariant         *extra,
                                          const char * const *columns,
                                          GError          **error);
G_GNUC_INTERNAL
void          nn_history_log_restore_losses (NnTrainer     *trainer,
                                             GArray        *history,
                                             guint          n_cols);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnHistoryLog, nn_history_log_free)

G_END_DECLS
