/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a plugin's ONNX form adds to the graph nn_export_onnx() writes. */
#include "config.h"

#include "nn-export-onnx-private.h"

/**
 * NnOnnxGraph:
 *
 * The ONNX graph [func@Nn.export_onnx] is writing, as a plugin's ONNX form
 * ([vfunc@Nn.Activation.to_onnx], [vfunc@Nn.Layer.to_onnx]) receives it: it
 * adds nodes of the default domain's operators (opset 13) and constant
 * tensors, each known by the name of the value it makes. The graph owns
 * those names; they stay valid while the export runs. Every tensor is
 * float32.
 *
 * Since: 0.2
 */

/**
 * nn_onnx_graph_add_node:
 * @graph: a graph being written
 * @op_type: an operator of the default domain, opset 13: `Add`, `Tanh`...
 * @inputs: (array zero-terminated=1): the names of its inputs, in the
 *   operator's order
 *
 * Adds a node of @op_type with one output, and the attributes set since the
 * last node ([method@Nn.OnnxGraph.set_attribute_int],
 * [method@Nn.OnnxGraph.set_attribute_float]).
 *
 * Returns: (transfer none): the name of the node's output
 *
 * Since: 0.2
 */
const char *
nn_onnx_graph_add_node (NnOnnxGraph        *graph,
                        const char         *op_type,
                        const char * const *inputs)
{
  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (op_type != NULL && *op_type != '\0', NULL);
  g_return_val_if_fail (inputs != NULL, NULL);

  return nn_onnx_node_v (graph, op_type, inputs, g_strv_length ((GStrv) inputs));
}

/**
 * nn_onnx_graph_add_scalar:
 * @graph: a graph being written
 * @value: the number
 *
 * Adds a constant float32 scalar, which broadcasts against any tensor.
 *
 * Returns: (transfer none): the name of the constant
 *
 * Since: 0.2
 */
const char *
nn_onnx_graph_add_scalar (NnOnnxGraph *graph,
                          float        value)
{
  g_return_val_if_fail (graph != NULL, NULL);

  return nn_onnx_floats (graph, &value, NULL, 0);
}

/**
 * nn_onnx_graph_add_floats:
 * @graph: a graph being written
 * @values: (array length=n_values): the numbers, the last dimension
 *   varying fastest
 * @n_values: the number of @values, the product of @dims
 * @dims: (array length=n_dims): the shape
 * @n_dims: the number of dimensions
 *
 * Adds a constant float32 tensor of shape @dims.
 *
 * Returns: (transfer none) (nullable): the name of the constant, or %NULL
 *   when @n_values is not the product of @dims
 *
 * Since: 0.2
 */
const char *
nn_onnx_graph_add_floats (NnOnnxGraph  *graph,
                          const float  *values,
                          gsize         n_values,
                          const gint64 *dims,
                          guint         n_dims)
{
  gsize n = 1;

  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (values != NULL || n_values == 0, NULL);
  g_return_val_if_fail (dims != NULL || n_dims == 0, NULL);

  for (guint i = 0; i < n_dims; i++)
    {
      g_return_val_if_fail (dims[i] >= 0, NULL);
      n *= (gsize) dims[i];
    }
  g_return_val_if_fail (n == n_values, NULL);
  return nn_onnx_floats (graph, values, dims, n_dims);
}

/**
 * nn_onnx_graph_add_matrix:
 * @graph: a graph being written
 * @matrix: a matrix, such as a layer's parameter
 *   ([method@Nn.Layer.get_parameter])
 *
 * Adds @matrix as a constant float32 tensor of shape [rows, columns]; a
 * layer's weights of units × inputs multiply its input as `Gemm` with
 * `transB = 1`, or `MatMul` after `Transpose`.
 *
 * Returns: (transfer none): the name of the constant
 *
 * Since: 0.2
 */
const char *
nn_onnx_graph_add_matrix (NnOnnxGraph    *graph,
                          const NnMatrix *matrix)
{
  gsize             n;
  g_autofree float *f = NULL;
  gint64            dims[2];

  g_return_val_if_fail (graph != NULL, NULL);
  g_return_val_if_fail (matrix != NULL, NULL);

  n = (gsize) matrix->rows * matrix->cols;
  f = g_new (float, MAX (n, 1));
  dims[0] = matrix->rows;
  dims[1] = matrix->cols;
  for (gsize i = 0; i < n; i++)
    f[i] = (float) matrix->data[i];
  return nn_onnx_floats (graph, f, dims, 2);
}

/**
 * nn_onnx_graph_set_attribute_int:
 * @graph: a graph being written
 * @name: the attribute's name, such as `axis`
 * @value: its value
 *
 * Gives the next node added an integer attribute.
 *
 * Since: 0.2
 */
void
nn_onnx_graph_set_attribute_int (NnOnnxGraph *graph,
                                 const char  *name,
                                 gint64       value)
{
  g_return_if_fail (graph != NULL);
  g_return_if_fail (name != NULL);

  nn_onnx_attr_int (graph, name, value);
}

/**
 * nn_onnx_graph_set_attribute_float:
 * @graph: a graph being written
 * @name: the attribute's name, such as `alpha`
 * @value: its value
 *
 * Gives the next node added a float attribute.
 *
 * Since: 0.2
 */
void
nn_onnx_graph_set_attribute_float (NnOnnxGraph *graph,
                                   const char  *name,
                                   float        value)
{
  g_return_if_fail (graph != NULL);
  g_return_if_fail (name != NULL);

  nn_onnx_attr_float (graph, name, value);
}
