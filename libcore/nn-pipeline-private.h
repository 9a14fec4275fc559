/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by saving (nn-pipeline-save.c) and loading (nn-pipeline.c) a
 * pipeline; not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL char *nn_pipeline_tensor_name (guint        layer,
                                               const char  *what);
G_GNUC_INTERNAL char *nn_pipeline_file_sha256 (const char  *path,
                                               GError     **error);

typedef struct _NnPipeline NnPipeline;
typedef struct _NnColumnTransform NnColumnTransform;

G_GNUC_INTERNAL void               nn_pipeline_set_transform (NnPipeline        *self,
                                                              NnColumnTransform *transform);
G_GNUC_INTERNAL NnColumnTransform *nn_pipeline_get_transform (NnPipeline        *self);

G_END_DECLS
