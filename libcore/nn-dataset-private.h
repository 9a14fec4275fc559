/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numbers as written in data files, shared by reading CSV tables and by
 * matching class names. Not installed. */
#pragma once

#include <gio/gio.h>
#include "nn-dataset.h"
#include "nn-real.h"

G_BEGIN_DECLS

typedef enum {
  NN_NUMBER_OK,
  NN_NUMBER_EMPTY,
  NN_NUMBER_INVALID,
  NN_NUMBER_NOT_FINITE,
  NN_NUMBER_OUT_OF_RANGE,
} NnNumberStatus;

G_GNUC_INTERNAL NnNumberStatus nn_data_parse_number (const char *text,
                                                     double     *out);

typedef struct _NnDataset NnDataset;

G_GNUC_INTERNAL char *nn_data_display_text (const char *text);
G_GNUC_INTERNAL void nn_data_set_number_error (GError       **error,
                                               NnNumberStatus status,
                                               const char    *name,
                                               guint          line,
                                               guint          column,
                                               const char    *text,
                                               const char    *column_name);

G_GNUC_INTERNAL NnDataset *nn_dataset_encode_take (NnDataset *self,
                                                  NnTask     task,
                                                  int        positive_class,
                                                  GError   **error);
G_GNUC_INTERNAL guint nn_dataset_encoded_width (NnDataset *self,
                                                NnTask     task,
                                                int        positive_class,
                                                GError   **error);

typedef struct _NnColumnTransform NnColumnTransform;

G_GNUC_INTERNAL NnDataset *nn_dataset_new_from_csv_file_full (const char         *path,
                                                              const char * const *targets,
                                                              const char * const *features,
                                                              const char         *weight,
                                                              const char         *id,
                                                              NnColumnTransform  *policy,
                                                              GError            **error);
G_GNUC_INTERNAL NnDataset *nn_dataset_new_from_csv_stream_full (GInputStream       *stream,
                                                                const char         *name,
                                                                const char * const *targets,
                                                                const char * const *features,
                                                                NnColumnTransform  *policy,
                                                                GError            **error);

/* Feature cells as they come, for nn-dataset-csv.c. */
typedef struct _NnRawColumns NnRawColumns;

G_GNUC_INTERNAL NnRawColumns *nn_raw_columns_new        (NnColumnTransform  *policy,
                                                         const char         *file,
                                                         const char * const *feature_names);
G_GNUC_INTERNAL void          nn_raw_columns_free       (NnRawColumns       *self);
G_GNUC_INTERNAL gboolean      nn_raw_columns_read       (NnRawColumns       *self,
                                                         guint               j,
                                                         guint               row,
                                                         const char         *text,
                                                         guint               line,
                                                         guint               column,
                                                         nn_real            *value,
                                                         GError            **error);
G_GNUC_INTERNAL gboolean      nn_raw_columns_finish     (NnRawColumns       *self,
                                                         nn_real            *x,
                                                         guint               n_rows,
                                                         GError            **error);
G_GNUC_INTERNAL GPtrArray    *nn_raw_columns_steal_texts (NnRawColumns      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnRawColumns, nn_raw_columns_free)

G_GNUC_INTERNAL void       nn_dataset_set_column_texts (NnDataset *self,
                                                        GPtrArray *texts);
G_GNUC_INTERNAL GPtrArray *nn_dataset_get_column_texts (NnDataset *self);

G_GNUC_INTERNAL void                nn_dataset_set_ids (NnDataset *self,
                                                        GStrv      ids);
G_GNUC_INTERNAL const char * const *nn_dataset_get_ids (NnDataset *self);

/* The class of each sample, numbered as the sorted labels (or the class
 * names), and the labels in @names. */
G_GNUC_INTERNAL gboolean nn_dataset_get_class_indices (NnDataset *self,
                                                       GStrv     *names,
                                                       guint    **indices,
                                                       GError   **error);

/* The rows parted for fold @fold of @folds: the test part as
 * nn_dataset_split() draws it, then the rest, in the order drawn, in
 * folds as nn_folds_assign() deals them; @fold is validation. */
G_GNUC_INTERNAL gboolean nn_dataset_split_folds (NnDataset  *self,
                                                 double      test,
                                                 gboolean    stratify,
                                                 gboolean    shuffle,
                                                 GRand      *rand,
                                                 guint       folds,
                                                 guint       fold,
                                                 NnDataset **train,
                                                 NnDataset **val,
                                                 NnDataset **test_set,
                                                 GError    **error);

G_END_DECLS
