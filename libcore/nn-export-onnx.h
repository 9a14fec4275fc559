/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib.h>
#include "nn-pipeline.h"

G_BEGIN_DECLS

gboolean nn_export_onnx (NnPipeline  *pipeline,
                         const char  *path,
                         GError     **error);

G_END_DECLS
