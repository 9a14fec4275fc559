/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <gio/gio.h>
#include "nn-dataset.h"
#include "nn-model.h"
#include "nn-pipeline.h"
#include "nn-trainer.h"

G_BEGIN_DECLS

/**
 * NN_EXPERIMENT_MAX_FILE_SIZE:
 *
 * The longest experiment file [ctor@Nn.Experiment.new_from_file] reads, in
 * bytes: 256 MiB.
 */
#define NN_EXPERIMENT_MAX_FILE_SIZE (256u << 20)

#define NN_TYPE_EXPERIMENT (nn_experiment_get_type ())
G_DECLARE_FINAL_TYPE (NnExperiment, nn_experiment, NN, EXPERIMENT, GObject)

NnExperiment       *nn_experiment_new_from_file        (const char    *path,
                                                        GError       **error);
NnExperiment       *nn_experiment_new_from_file_full   (const char          *path,
                                                        const char * const  *overrides,
                                                        GError             **error);
const char * const *nn_experiment_get_warnings         (NnExperiment  *self);
char               *nn_experiment_to_yaml              (NnExperiment  *self);
NnPipeline         *nn_experiment_get_pipeline         (NnExperiment  *self);
const char         *nn_experiment_get_name             (NnExperiment  *self);
const char         *nn_experiment_get_output_dir       (NnExperiment  *self);
void                nn_experiment_set_output_dir       (NnExperiment  *self,
                                                        const char    *dir);
guint               nn_experiment_get_epochs           (NnExperiment  *self);
NnPrecision         nn_experiment_get_precision        (NnExperiment  *self);
NnModel            *nn_experiment_get_model            (NnExperiment  *self);
NnTrainer          *nn_experiment_get_trainer          (NnExperiment  *self);
NnDataset          *nn_experiment_get_train_data       (NnExperiment  *self);
NnDataset          *nn_experiment_get_validation_data  (NnExperiment  *self);
NnDataset          *nn_experiment_get_test_data        (NnExperiment  *self);
gboolean            nn_experiment_resume               (NnExperiment  *self,
                                                        const char    *run_dir,
                                                        GError       **error);
gboolean            nn_experiment_run                  (NnExperiment  *self,
                                                        GCancellable  *cancellable,
                                                        GError       **error);
void                nn_experiment_set_auto_commit      (NnExperiment  *self,
                                                        gboolean       auto_commit);
gboolean            nn_experiment_get_auto_commit      (NnExperiment  *self);
const char         *nn_experiment_get_staging_dir      (NnExperiment  *self);
gboolean            nn_experiment_commit               (NnExperiment  *self,
                                                        GError       **error);
void                nn_experiment_discard              (NnExperiment  *self);
const char * const *nn_experiment_get_history_columns  (NnExperiment  *self);
guint               nn_experiment_get_epochs_run       (NnExperiment  *self);
const char         *nn_experiment_get_stop_reason      (NnExperiment  *self);
double              nn_experiment_get_history_value    (NnExperiment  *self,
                                                        guint          epoch,
                                                        guint          column);
double              nn_experiment_get_final_metric     (NnExperiment  *self,
                                                        const char    *split,
                                                        const char    *metric);

G_END_DECLS
