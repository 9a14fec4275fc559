/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib.h>
#include "nn-matrix.h"

G_BEGIN_DECLS

typedef struct _NnOnnxGraph NnOnnxGraph;

const char *nn_onnx_graph_add_node            (NnOnnxGraph        *graph,
                                               const char         *op_type,
                                               const char * const *inputs);
const char *nn_onnx_graph_add_scalar          (NnOnnxGraph        *graph,
                                               float               value);
const char *nn_onnx_graph_add_floats          (NnOnnxGraph        *graph,
                                               const float        *values,
                                               gsize               n_values,
                                               const gint64       *dims,
                                               guint               n_dims);
const char *nn_onnx_graph_add_matrix          (NnOnnxGraph        *graph,
                                               const NnMatrix     *matrix);
void        nn_onnx_graph_set_attribute_int   (NnOnnxGraph        *graph,
                                               const char         *name,
                                               gint64              value);
void        nn_onnx_graph_set_attribute_float (NnOnnxGraph        *graph,
                                               const char         *name,
                                               float               value);

G_END_DECLS
