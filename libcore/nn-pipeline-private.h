/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by saving (nn-pipeline-save.c) and loading (nn-pipeline.c) a
 * pipeline; not installed. */
#pragma once

#include <glib.h>

#include "nn-pipeline.h"
#include "nn-yaml-private.h"

G_BEGIN_DECLS

typedef struct _NnColumnTransform NnColumnTransform;

/* A saved model: see nn-pipeline.c. */
struct _NnPipeline
{
  GObject parent_instance;

  NnModel  *model;
  NnScaler *scaler;
  NnScaler *target_scaler; /* a regression's, or NULL */
  NnTask    task;
  GStrv     features;
  GStrv     targets;
  GStrv     classes;  /* the labels as read; NULL for regression */
  char     *positive; /* the label a binary task calls 1, or NULL */
  char     *id;       /* the id column of the training data, or NULL */
  NnColumnTransform *transform; /* imputation and categories, or NULL */
};

G_GNUC_INTERNAL char *nn_pipeline_tensor_name (guint        layer,
                                               const char  *what);
G_GNUC_INTERNAL char *nn_pipeline_file_sha256 (const char  *path,
                                               GError     **error);

G_GNUC_INTERNAL void               nn_pipeline_set_transform (NnPipeline        *self,
                                                              NnColumnTransform *transform);
G_GNUC_INTERNAL NnColumnTransform *nn_pipeline_get_transform (NnPipeline        *self);

/* nn-pipeline-plugins.c */
G_GNUC_INTERNAL GObject *nn_pipeline_read_plugin_object (NnYamlDoc    *doc,
                                                         yaml_node_t  *node,
                                                         yaml_node_t  *module,
                                                         const char   *extension_point,
                                                         const char   *what,
                                                         GError      **error);
G_GNUC_INTERNAL GType    nn_pipeline_read_plugin_kind   (NnYamlDoc    *doc,
                                                         yaml_node_t  *name_node,
                                                         yaml_node_t  *module,
                                                         GError      **error);

G_END_DECLS
