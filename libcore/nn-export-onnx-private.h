/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The few protobuf messages of onnx.proto an exported model needs, written
 * by hand: a varint and length-delimited writer is a few hundred lines,
 * where protobuf-c would be a new build dependency and a generated
 * onnx.pb-c.c of several thousand. Field numbers are onnx.proto's. */
#pragma once

#include <glib.h>
#include "nn-onnx-graph.h"
#include "nn-pipeline.h"

G_BEGIN_DECLS

/* TensorProto.DataType */
enum {
  NN_ONNX_FLOAT = 1,
  NN_ONNX_STRING = 8,
  NN_ONNX_INT64 = 7,
};

G_GNUC_INTERNAL NnOnnxGraph *nn_onnx_graph_new        (void);
G_GNUC_INTERNAL void         nn_onnx_graph_free       (NnOnnxGraph        *g);

/* Attributes of the next node, in the order given. */
G_GNUC_INTERNAL void         nn_onnx_attr_int         (NnOnnxGraph        *g,
                                                       const char         *name,
                                                       gint64              value);
G_GNUC_INTERNAL void         nn_onnx_attr_float       (NnOnnxGraph        *g,
                                                       const char         *name,
                                                       float               value);
G_GNUC_INTERNAL void         nn_onnx_attr_ints        (NnOnnxGraph        *g,
                                                       const char         *name,
                                                       const gint64       *values,
                                                       guint               n);
G_GNUC_INTERNAL void         nn_onnx_attr_strings     (NnOnnxGraph        *g,
                                                       const char         *name,
                                                       const char * const *values,
                                                       guint               n);

/* Adds a node of @op_type (in @domain, NULL for the default one) taking the
 * NULL-terminated inputs and the attributes given since the last node;
 * returns the name of its one output, owned by @g. */
G_GNUC_INTERNAL const char  *nn_onnx_node             (NnOnnxGraph        *g,
                                                       const char         *domain,
                                                       const char         *op_type,
                                                       ...) G_GNUC_NULL_TERMINATED;
/* As nn_onnx_node(), the output named @output. */
G_GNUC_INTERNAL const char  *nn_onnx_node_named       (NnOnnxGraph        *g,
                                                       const char         *output,
                                                       const char         *domain,
                                                       const char         *op_type,
                                                       ...) G_GNUC_NULL_TERMINATED;

/* As nn_onnx_node(), in the default domain, the inputs an array. */
G_GNUC_INTERNAL const char  *nn_onnx_node_v           (NnOnnxGraph        *g,
                                                       const char         *op_type,
                                                       const char * const *inputs,
                                                       guint               n_inputs);

/* Constant tensors; return their names, owned by @g. */
G_GNUC_INTERNAL const char  *nn_onnx_floats           (NnOnnxGraph        *g,
                                                       const float        *values,
                                                       const gint64       *dims,
                                                       guint               n_dims);
G_GNUC_INTERNAL const char  *nn_onnx_int64s           (NnOnnxGraph        *g,
                                                       const gint64       *values,
                                                       const gint64       *dims,
                                                       guint               n_dims);

/* Whether @name is a value of @g: an input or a name it handed out. */
G_GNUC_INTERNAL gboolean     nn_onnx_graph_has_name   (NnOnnxGraph        *g,
                                                       const char         *name);
/* Whether attributes wait for a node. */
G_GNUC_INTERNAL gboolean     nn_onnx_graph_has_pending_attributes (NnOnnxGraph *g);
/* Takes @name and returns it, owned by @g from now on. */
G_GNUC_INTERNAL const char  *nn_onnx_graph_keep_name  (NnOnnxGraph        *g,
                                                       char               *name);

/* A graph input or output of @elem_type, shape [N, @cols], N dynamic. */
G_GNUC_INTERNAL void         nn_onnx_graph_input      (NnOnnxGraph        *g,
                                                       const char         *name,
                                                       int                 elem_type,
                                                       gint64              cols,
                                                       const char         *doc);
G_GNUC_INTERNAL void         nn_onnx_graph_output     (NnOnnxGraph        *g,
                                                       const char         *name,
                                                       gint64              cols,
                                                       const char         *doc);

/* A string pair of ModelProto.metadata_props. */
G_GNUC_INTERNAL void         nn_onnx_graph_metadata   (NnOnnxGraph        *g,
                                                       const char         *key,
                                                       const char         *value);

/* The ModelProto: IR version 8, opset 13 of the default domain and, when a
 * node used it, opset 2 of ai.onnx.ml. */
G_GNUC_INTERNAL GBytes      *nn_onnx_graph_to_model   (NnOnnxGraph        *g,
                                                       const char         *name);

/* nn-export-onnx-columns.c: declares the graph's inputs and returns the
 * model's input before scaling, missing values imputed and categories
 * one-hot encoded. */
G_GNUC_INTERNAL const char  *nn_export_onnx_inputs    (NnOnnxGraph        *g,
                                                       NnPipeline         *pipeline);

G_END_DECLS
