/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "nn-dataset.h"
#include "nn-trainer.h"

G_BEGIN_DECLS

/* The callbacks an experiment's run adds to its trainer, in this order:
 * the history, early stopping (an #NnEarlyStopping itself), the periodic
 * checkpoint, and the experiment's epoch-finished signal. */

gboolean nn_experiment_measure (NnModel             *model,
                                NnTask               task,
                                const char * const  *metrics,
                                NnScaler            *target_scaler,
                                NnDataset           *data,
                                double              *out,
                                GError             **error);

#define NN_TYPE_HISTORY_CALLBACK (nn_history_callback_get_type ())
G_DECLARE_FINAL_TYPE (NnHistoryCallback, nn_history_callback, NN, HISTORY_CALLBACK,
                      NnTrainerCallback)

NnTrainerCallback *nn_history_callback_new (const char * const *columns,
                                            const char * const *metrics,
                                            NnTask              task,
                                            NnDataset          *train,
                                            NnDataset          *val,
                                            NnScaler           *target_scaler,
                                            GArray             *history,
                                            guint              *epochs_run,
                                            gint64              start_time,
                                            double              seconds_before);

typedef gboolean (*NnCheckpointWriteFunc) (gpointer   data,
                                           GError   **error);

#define NN_TYPE_CHECKPOINT_CALLBACK (nn_checkpoint_callback_get_type ())
G_DECLARE_FINAL_TYPE (NnCheckpointCallback, nn_checkpoint_callback, NN, CHECKPOINT_CALLBACK,
                      NnTrainerCallback)

NnTrainerCallback *nn_checkpoint_callback_new (guint                  every,
                                               NnCheckpointWriteFunc  write,
                                               gpointer               data);

#define NN_TYPE_SIGNAL_CALLBACK (nn_signal_callback_get_type ())
G_DECLARE_FINAL_TYPE (NnSignalCallback, nn_signal_callback, NN, SIGNAL_CALLBACK,
                      NnTrainerCallback)

NnTrainerCallback *nn_signal_callback_new (gpointer instance,
                                           guint    signal_id);

G_END_DECLS
