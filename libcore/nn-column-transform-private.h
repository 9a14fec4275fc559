/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tabular data as it comes: missing values imputed and text columns one-hot
 * encoded, with scikit-learn's SimpleImputer and OneHotEncoder
 * (handle_unknown='ignore') semantics; not installed. */
#pragma once

#include "nn-dataset.h"
#include "nn-scaler.h"
#include "nn-yaml-private.h"

G_BEGIN_DECLS

/* How a feature column is read. */
typedef enum {
  NN_READ_NUMBER, /* numbers only */
  NN_READ_AUTO,   /* numbers, or text once a value is not a number */
  NN_READ_TEXT,   /* categories, kept as text */
} NnReadKind;

#define NN_TYPE_COLUMN_TRANSFORM (nn_column_transform_get_type ())
G_DECLARE_FINAL_TYPE (NnColumnTransform, nn_column_transform, NN, COLUMN_TRANSFORM, GObject)

G_GNUC_INTERNAL NnColumnTransform *nn_column_transform_new (void);

/* The experiment's keys data.missing, data.categorical, data.columns. */
G_GNUC_INTERNAL gboolean   nn_column_transform_parse_missing     (NnColumnTransform *self,
                                                                  NnYamlDoc         *doc,
                                                                  yaml_node_t       *node,
                                                                  GError           **error);
G_GNUC_INTERNAL gboolean   nn_column_transform_parse_categorical (NnColumnTransform *self,
                                                                  NnYamlDoc         *doc,
                                                                  yaml_node_t       *node,
                                                                  GError           **error);
G_GNUC_INTERNAL gboolean   nn_column_transform_parse_columns     (NnColumnTransform *self,
                                                                  NnYamlDoc         *doc,
                                                                  yaml_node_t       *node,
                                                                  GError           **error);
G_GNUC_INTERNAL gboolean   nn_column_transform_check             (NnColumnTransform *self,
                                                                  NnYamlDoc         *doc,
                                                                  NnDataset         *raw,
                                                                  const char * const *targets,
                                                                  GError           **error);
G_GNUC_INTERNAL void       nn_column_transform_write_config      (NnColumnTransform *self,
                                                                  NnYamlWriter      *w);

/* What the CSV reader asks of it. */
G_GNUC_INTERNAL gboolean   nn_column_transform_is_missing        (NnColumnTransform *self,
                                                                  const char        *text);
G_GNUC_INTERNAL NnReadKind nn_column_transform_read_kind         (NnColumnTransform *self,
                                                                  const char        *name);
G_GNUC_INTERNAL gboolean   nn_column_transform_allows_missing    (NnColumnTransform *self,
                                                                  const char        *name,
                                                                  gboolean           text);
G_GNUC_INTERNAL char      *nn_column_transform_missing_hint      (NnColumnTransform *self,
                                                                  const char        *name);
G_GNUC_INTERNAL char      *nn_column_transform_text_hint         (NnColumnTransform *self,
                                                                  const char        *name);
G_GNUC_INTERNAL void       nn_column_transform_follow            (NnColumnTransform *self,
                                                                  NnDataset         *raw);

/* Fitting on the training part, and applying to any part. */
G_GNUC_INTERNAL gboolean   nn_column_transform_fit               (NnColumnTransform *self,
                                                                  NnDataset         *train,
                                                                  NnYamlDoc         *doc,
                                                                  yaml_node_t       *node,
                                                                  GError           **error);
G_GNUC_INTERNAL gboolean   nn_column_transform_is_identity       (NnColumnTransform *self);
G_GNUC_INTERNAL NnDataset *nn_column_transform_apply             (NnColumnTransform *self,
                                                                  NnDataset         *raw);
G_GNUC_INTERNAL guint      nn_column_transform_get_n_outputs     (NnColumnTransform *self);
G_GNUC_INTERNAL const char * const *nn_column_transform_get_input_names (NnColumnTransform *self);
G_GNUC_INTERNAL NnScaler  *nn_column_transform_fit_scaler        (NnColumnTransform *self,
                                                                  NnScale            kind,
                                                                  const NnMatrix    *train);

/* In model.yaml: the keys `missing` and `columns`. */
G_GNUC_INTERNAL void       nn_column_transform_write             (NnColumnTransform *self,
                                                                  NnYamlWriter      *w);
G_GNUC_INTERNAL NnColumnTransform *nn_column_transform_read      (NnYamlDoc          *doc,
                                                                  yaml_node_t        *root,
                                                                  const char * const *features,
                                                                  GError            **error);

G_END_DECLS
