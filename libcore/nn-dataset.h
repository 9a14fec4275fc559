/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <gio/gio.h>
#include "nn-matrix.h"
#include "nn-scaler.h"

G_BEGIN_DECLS

/**
 * NnTask:
 * @NN_TASK_BINARY: one 0/1 output
 * @NN_TASK_MULTICLASS: one-hot targets over the classes
 * @NN_TASK_REGRESSION: real-valued targets
 *
 * What a model learns from a data set's targets.
 */
typedef enum {
  NN_TASK_BINARY,
  NN_TASK_MULTICLASS,
  NN_TASK_REGRESSION,
} NnTask;

#define NN_TYPE_TASK (nn_task_get_type ())
GType nn_task_get_type (void) G_GNUC_CONST;

#define NN_TYPE_DATASET (nn_dataset_get_type ())
G_DECLARE_FINAL_TYPE (NnDataset, nn_dataset, NN, DATASET, GObject)

NnDataset           *nn_dataset_new                 (NnMatrix           *features,
                                                     NnMatrix           *targets,
                                                     const char * const *feature_names,
                                                     const char * const *class_names);
NnDataset           *nn_dataset_new_iris            (GError            **error);
NnDataset           *nn_dataset_new_from_csv_file   (const char         *path,
                                                     const char * const *targets,
                                                     const char * const *features,
                                                     GError            **error);
NnDataset           *nn_dataset_new_from_csv_stream (GInputStream       *stream,
                                                     const char         *name,
                                                     const char * const *targets,
                                                     const char * const *features,
                                                     GCancellable       *cancellable,
                                                     GError            **error);
NnDataset           *nn_dataset_new_from_csv_data   (const char         *name,
                                                     const char         *text,
                                                     gsize               length,
                                                     const char         *target,
                                                     GError            **error);
NnDataset           *nn_dataset_new_from_source_text (const char        *name,
                                                      const char        *text,
                                                      const char * const *features,
                                                      GError           **error);
NnDataset           *nn_dataset_new_from_idx_files  (const char         *images_path,
                                                     const char         *labels_path,
                                                     GError            **error);
guint                nn_dataset_get_n_samples       (NnDataset          *self);
guint                nn_dataset_get_n_features      (NnDataset          *self);
const NnMatrix      *nn_dataset_get_features        (NnDataset          *self);
const NnMatrix      *nn_dataset_get_targets         (NnDataset          *self);
const char * const  *nn_dataset_get_feature_names   (NnDataset          *self);
const char * const  *nn_dataset_get_class_names     (NnDataset          *self);
guint                nn_dataset_get_n_classes       (NnDataset          *self);
const double        *nn_dataset_get_weights         (NnDataset          *self);
void                 nn_dataset_set_weights         (NnDataset          *self,
                                                     const double       *weights);
NnDataset           *nn_dataset_subset              (NnDataset          *self,
                                                     const guint        *indices,
                                                     guint               n_indices);
NnDataset           *nn_dataset_encode              (NnDataset          *self,
                                                     NnTask              task,
                                                     int                 positive_class,
                                                     GError            **error);
NnDataset           *nn_dataset_encode_like         (NnDataset          *self,
                                                     NnDataset          *reference,
                                                     NnTask              task,
                                                     int                 positive_class,
                                                     GError            **error);
gboolean             nn_dataset_split               (NnDataset          *self,
                                                     double              validation,
                                                     double              test,
                                                     gboolean            stratify,
                                                     gboolean            shuffle,
                                                     GRand              *rand,
                                                     NnDataset         **train,
                                                     NnDataset         **val,
                                                     NnDataset         **test_set,
                                                     GError            **error);
void                 nn_dataset_apply_scaler        (NnDataset          *self,
                                                     NnScaler           *scaler);
gboolean             nn_dataset_scale               (NnDataset          *train,
                                                     NnScale             scale,
                                                     NnDataset         **others,
                                                     guint               n_others);

G_END_DECLS
