/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn-export.h: a saved model written as C, as `nnrun export --format c`
 * writes it (nn_export_onnx() is in <nn.h>). Not part of <nn.h>: include
 * it after <nn.h>. */
#pragma once

#include <nn.h>

G_BEGIN_DECLS

gboolean nn_export_c            (NnPipeline  *pipeline,
                                 const char  *name,
                                 const char  *path,
                                 GError     **error);
char    *nn_export_c_identifier (const char  *text);

G_END_DECLS
