/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>
#include "nn-dataset.h"
#include "nn-model.h"
#include "nn-scaler.h"

G_BEGIN_DECLS

/**
 * NN_PIPELINE_FORMAT:
 *
 * The `format` of the model.yaml files this version writes and reads.
 */
#define NN_PIPELINE_FORMAT "nn-model/1"

/**
 * NN_PIPELINE_MAX_FILE_SIZE:
 *
 * The longest `model.yaml` [func@Nn.Pipeline.load] reads, in bytes: 256 MiB,
 * room for the scaler and names of the widest model a layer allows.
 */
#define NN_PIPELINE_MAX_FILE_SIZE (256u << 20)

#define NN_TYPE_PIPELINE (nn_pipeline_get_type ())
G_DECLARE_FINAL_TYPE (NnPipeline, nn_pipeline, NN, PIPELINE, GObject)

NnPipeline         *nn_pipeline_new                (NnModel             *model,
                                                    NnScaler            *scaler,
                                                    NnTask               task,
                                                    const char * const  *feature_names,
                                                    const char * const  *target_names,
                                                    const char * const  *class_names,
                                                    const char          *positive);
NnPipeline         *nn_pipeline_load               (const char          *path,
                                                    GError             **error);
gboolean            nn_pipeline_save               (NnPipeline          *self,
                                                    const char          *dir,
                                                    GError             **error);
void                nn_pipeline_set_target_scaler  (NnPipeline          *self,
                                                    NnScaler            *scaler);
NnScaler           *nn_pipeline_get_target_scaler  (NnPipeline          *self);
void                nn_pipeline_set_id_column      (NnPipeline          *self,
                                                    const char          *id);
const char         *nn_pipeline_get_id_column      (NnPipeline          *self);
NnModel            *nn_pipeline_get_model          (NnPipeline          *self);
NnScaler           *nn_pipeline_get_scaler         (NnPipeline          *self);
NnTask              nn_pipeline_get_task           (NnPipeline          *self);
const char * const *nn_pipeline_get_feature_names  (NnPipeline          *self);
const char * const *nn_pipeline_get_target_names   (NnPipeline          *self);
const char * const *nn_pipeline_get_class_names    (NnPipeline          *self);
const char         *nn_pipeline_get_positive       (NnPipeline          *self);
GStrv               nn_pipeline_get_output_labels  (NnPipeline          *self);
NnMatrix           *nn_pipeline_predict            (NnPipeline          *self,
                                                    const NnMatrix      *raw_features);
NnMatrix           *nn_pipeline_predict_dataset    (NnPipeline          *self,
                                                    NnDataset           *raw);
NnDataset          *nn_pipeline_read_csv           (NnPipeline          *self,
                                                    const char          *path,
                                                    gboolean             with_targets,
                                                    GError             **error);
NnDataset          *nn_pipeline_prepare            (NnPipeline          *self,
                                                    NnDataset           *raw,
                                                    GError             **error);
char               *nn_pipeline_format_predictions (NnPipeline          *self,
                                                    const NnMatrix      *outputs,
                                                    const NnMatrix      *targets,
                                                    const char * const  *ids,
                                                    gboolean             probabilities);
char               *nn_pipeline_predict_csv_file   (NnPipeline          *self,
                                                    const char          *path,
                                                    gboolean             probabilities,
                                                    GError             **error);

G_END_DECLS
