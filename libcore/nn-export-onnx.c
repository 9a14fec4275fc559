/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A saved model as one ONNX file: the preprocessing nnrun predict applies
 * (imputation, one-hot categories, scaling), the layers, and a regression's
 * target scaling undone, all as standard operators in float32. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-activation.h"
#include "nn-batch-norm-layer.h"
#include "nn-column-transform-private.h"
#include "nn-dense-layer.h"
#include "nn-dropout-layer.h"
#include "nn-activation-layer.h"
#include "nn-errors.h"
#include "nn-export-onnx.h"
#include "nn-export-onnx-private.h"
#include "nn-pipeline-private.h"
#include "nn-plugins.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnOnnxGraph, nn_onnx_graph_free)

static const char * const exported_activations[] = {
  "linear", "relu", "sigmoid", "tanh", "leaky_relu", "elu", "softplus", "softmax", "gelu",
  "silu", NULL
};

static const char *
scalar (NnOnnxGraph *g,
        float        value)
{
  return nn_onnx_floats (g, &value, NULL, 0);
}

static const char *
vector_of_doubles (NnOnnxGraph  *g,
                   const double *values,
                   guint         n)
{
  g_autofree float *f = g_new (float, MAX (n, 1));
  gint64            dims[] = { n };

  for (guint i = 0; i < n; i++)
    f[i] = (float) values[i];
  return nn_onnx_floats (g, f, dims, 1);
}

/* A matrix of parameters; @vector: as a 1-D tensor. */
static const char *
matrix (NnOnnxGraph    *g,
        const NnMatrix *m,
        gboolean        vector)
{
  gsize             n = (gsize) m->rows * m->cols;
  g_autofree float *f = g_new (float, MAX (n, 1));
  gint64            dims[] = { m->rows, m->cols };

  for (gsize i = 0; i < n; i++)
    f[i] = (float) m->data[i];
  if (vector)
    dims[0] = (gint64) n;
  return nn_onnx_floats (g, f, dims, vector ? 1 : 2);
}

static const char *
constant_vector (NnOnnxGraph *g,
                 guint        n,
                 float        value)
{
  g_autofree float *f = g_new (float, MAX (n, 1));
  gint64            dims[] = { n };

  for (guint i = 0; i < n; i++)
    f[i] = value;
  return nn_onnx_floats (g, f, dims, 1);
}

/* softplus(z) = log(1 + e^(beta z)) / beta, z itself where beta z > threshold. */
static const char *
softplus (NnOnnxGraph  *g,
          NnActivation *act,
          const char   *x)
{
  double      beta, threshold;
  const char *bx, *soft;

  g_object_get (act, "beta", &beta, "threshold", &threshold, NULL);
  bx = nn_onnx_node (g, NULL, "Mul", x, scalar (g, (float) beta), NULL);
  soft = nn_onnx_node (g, NULL, "Div", nn_onnx_node (g, NULL, "Softplus", bx, NULL),
                       scalar (g, (float) beta), NULL);
  return nn_onnx_node (g, NULL, "Where",
                       nn_onnx_node (g, NULL, "Greater", bx, scalar (g, (float) threshold), NULL),
                       x, soft, NULL);
}

/* The nodes of a built-in activation on @x; see exported_activations. */
static const char *
builtin_activation (NnOnnxGraph  *g,
                    NnActivation *act,
                    const char   *x)
{
  const char *name = nn_activation_get_name (act);
  double      alpha;

  if (g_str_equal (name, "linear"))
    return x;
  if (g_str_equal (name, "relu"))
    return nn_onnx_node (g, NULL, "Relu", x, NULL);
  if (g_str_equal (name, "sigmoid"))
    return nn_onnx_node (g, NULL, "Sigmoid", x, NULL);
  if (g_str_equal (name, "tanh"))
    return nn_onnx_node (g, NULL, "Tanh", x, NULL);
  if (g_str_equal (name, "leaky_relu") || g_str_equal (name, "elu"))
    {
      g_object_get (act, "alpha", &alpha, NULL);
      nn_onnx_attr_float (g, "alpha", (float) alpha);
      return nn_onnx_node (g, NULL, g_str_equal (name, "elu") ? "Elu" : "LeakyRelu", x, NULL);
    }
  if (g_str_equal (name, "softplus"))
    return softplus (g, act, x);
  if (g_str_equal (name, "softmax"))
    {
      nn_onnx_attr_int (g, "axis", -1);
      return nn_onnx_node (g, NULL, "Softmax", x, NULL);
    }
  if (g_str_equal (name, "gelu"))
    {
      /* 0.5 x (1 + erf(x / sqrt 2)) */
      const char *erf = nn_onnx_node (g, NULL, "Erf",
                                      nn_onnx_node (g, NULL, "Div", x,
                                                    scalar (g, (float) G_SQRT2), NULL),
                                      NULL);
      const char *cdf = nn_onnx_node (g, NULL, "Mul",
                                      nn_onnx_node (g, NULL, "Add", erf, scalar (g, 1), NULL),
                                      scalar (g, 0.5f), NULL);
      return nn_onnx_node (g, NULL, "Mul", x, cdf, NULL);
    }
  g_assert (g_str_equal (name, "silu"));
  return nn_onnx_node (g, NULL, "Mul", x, nn_onnx_node (g, NULL, "Sigmoid", x, NULL), NULL);
}

/* " (FILE)" of the plugin that registered @type, or "". */
static char *
plugin_file (GType type)
{
  const char *file = nn_plugins_get_file_for_type (type);

  return file != NULL ? g_strdup_printf (" (%s)", file) : g_strdup ("");
}

static gboolean
is_builtin_layer (GType type)
{
  return type == NN_TYPE_DENSE_LAYER || type == NN_TYPE_ACTIVATION_LAYER ||
         type == NN_TYPE_DROPOUT_LAYER || type == NN_TYPE_BATCH_NORM_LAYER;
}

/* Every layer and activation of the model has an ONNX form: a built-in's,
 * or its plugin class's to_onnx. */
static gboolean
check_exportable (NnModel *model,
                  GError **error)
{
  for (guint l = 0; l < nn_model_get_n_layers (model); l++)
    {
      NnLayer      *layer = nn_model_get_layer (model, l);
      GType         type = G_OBJECT_TYPE (layer);
      NnActivation *act = nn_layer_get_activation (layer);

      if (!is_builtin_layer (type) && NN_LAYER_GET_CLASS (layer)->to_onnx == NULL)
        {
          g_autofree char *plugin = plugin_file (type);

          g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_FAILED,
                       "layer %u: the layer kind '%s' comes from a plugin%s and has no ONNX "
                       "form; ONNX export takes the kinds dense, activation, dropout and "
                       "batch_norm, and a plugin's whose class sets NnLayerClass.to_onnx to a "
                       "function adding its nodes (plugins/README.md, \"ONNX and C forms\")",
                       l + 1, nn_layer_get_kind_name (layer), plugin);
          return FALSE;
        }
      if (act != NULL && !g_strv_contains (exported_activations, nn_activation_get_name (act)) &&
          NN_ACTIVATION_GET_CLASS (act)->to_onnx == NULL)
        {
          g_autofree char *list = g_strjoinv (", ", (GStrv) exported_activations);

          g_autofree char *plugin = plugin_file (G_OBJECT_TYPE (act));

          g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_FAILED,
                       "layer %u: the activation '%s' comes from a plugin%s and has no ONNX "
                       "form; ONNX export takes the built-in activations %s, and a plugin's "
                       "whose class sets NnActivationClass.to_onnx to a function adding its "
                       "nodes (plugins/README.md, \"ONNX and C forms\")",
                       l + 1, nn_activation_get_name (act), plugin, list);
          return FALSE;
        }
    }
  return TRUE;
}

/* What a plugin's to_onnx returned, @what of layer @l: the name of a value
 * of @g, with no attribute left waiting for a node. */
static const char *
plugin_output (NnOnnxGraph *g,
               char        *out,
               const char  *input,
               guint        l,
               const char  *what,
               GError     **error)
{
  g_autofree char *owned = out;

  if (out == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_FAILED,
                     "layer %u: the ONNX form of %s failed without saying why", l + 1, what);
      else
        g_prefix_error (error, "layer %u: the ONNX form of %s: ", l + 1, what);
      return NULL;
    }
  if (nn_onnx_graph_has_pending_attributes (g))
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_FAILED,
                   "layer %u: the ONNX form of %s set an attribute after its last node", l + 1,
                   what);
      return NULL;
    }
  if (!g_str_equal (out, input) && !nn_onnx_graph_has_name (g, out))
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_FAILED,
                   "layer %u: the ONNX form of %s returned '%s', which is no value of the graph",
                   l + 1, what, out);
      return NULL;
    }
  return nn_onnx_graph_keep_name (g, g_steal_pointer (&owned));
}

/* The nodes of @act on @x: a built-in's, or its plugin class's. */
static const char *
activation (NnOnnxGraph  *g,
            NnActivation *act,
            const char   *x,
            guint         l,
            GError      **error)
{
  g_autofree char *what = NULL;
  char            *out;

  if (g_strv_contains (exported_activations, nn_activation_get_name (act)))
    return builtin_activation (g, act, x);
  what = g_strdup_printf ("the activation '%s'", nn_activation_get_name (act));
  out = NN_ACTIVATION_GET_CLASS (act)->to_onnx (act, g, x, error);
  return plugin_output (g, out, x, l, what, error);
}

/* The nodes of a plugin's @layer on @x, from its class's to_onnx. */
static const char *
plugin_layer (NnOnnxGraph *g,
              NnLayer     *layer,
              const char  *x,
              guint        l,
              GError     **error)
{
  g_autofree char *what = g_strdup_printf ("the layer kind '%s'",
                                           nn_layer_get_kind_name (layer));
  char            *out = NN_LAYER_GET_CLASS (layer)->to_onnx (layer, g, x, error);

  return plugin_output (g, out, x, l, what, error);
}

static const char *
batch_norm (NnOnnxGraph *g,
            NnLayer     *layer,
            const char  *x)
{
  guint       width = nn_layer_get_n_outputs (layer);
  gboolean    affine;
  double      epsilon;
  const char *scale, *bias;

  g_object_get (layer, "affine", &affine, "epsilon", &epsilon, NULL);
  scale = affine ? matrix (g, nn_layer_get_parameter (layer, 0), TRUE)
                 : constant_vector (g, width, 1);
  bias = affine ? matrix (g, nn_layer_get_parameter (layer, 1), TRUE)
                : constant_vector (g, width, 0);
  nn_onnx_attr_float (g, "epsilon", (float) epsilon);
  return nn_onnx_node (g, NULL, "BatchNormalization", x, scale, bias,
                       matrix (g, nn_layer_get_buffer (layer, 0), TRUE),
                       matrix (g, nn_layer_get_buffer (layer, 1), TRUE), NULL);
}

static const char *
layers (NnOnnxGraph *g,
        NnModel     *model,
        const char  *x,
        GError     **error)
{
  for (guint l = 0; l < nn_model_get_n_layers (model); l++)
    {
      NnLayer *layer = nn_model_get_layer (model, l);
      GType    type = G_OBJECT_TYPE (layer);

      if (type == NN_TYPE_DENSE_LAYER)
        {
          /* weights are units × inputs: Gemm's B transposed */
          nn_onnx_attr_int (g, "transB", 1);
          x = nn_onnx_node (g, NULL, "Gemm", x, matrix (g, nn_layer_get_weights (layer), FALSE),
                            matrix (g, nn_layer_get_bias (layer), TRUE), NULL);
        }
      else if (type == NN_TYPE_BATCH_NORM_LAYER)
        x = batch_norm (g, layer, x);
      else if (!is_builtin_layer (type))
        x = plugin_layer (g, layer, x, l, error);
      /* dropout passes its input through at inference */
      if (x != NULL && nn_layer_get_activation (layer) != NULL)
        x = activation (g, nn_layer_get_activation (layer), x, l, error);
      if (x == NULL)
        return NULL;
    }
  return x;
}

/* (x - shift) / divisor, as nn_scaler_transform(). */
static const char *
scale (NnOnnxGraph *g,
       NnScaler    *scaler,
       const char  *x)
{
  guint n = nn_scaler_get_n_features (scaler);

  if (nn_scaler_get_kind (scaler) == NN_SCALE_NONE)
    return x;
  x = nn_onnx_node (g, NULL, "Sub", x, vector_of_doubles (g, nn_scaler_get_shift (scaler), n),
                    NULL);
  return nn_onnx_node (g, NULL, "Div", x,
                       vector_of_doubles (g, nn_scaler_get_divisor (scaler), n), NULL);
}

/* x * divisor + shift, as nn_scaler_inverse_transform(). */
static const char *
unscale (NnOnnxGraph *g,
         NnScaler    *scaler,
         const char  *x)
{
  guint n = nn_scaler_get_n_features (scaler);

  if (nn_scaler_get_kind (scaler) == NN_SCALE_NONE)
    return x;
  x = nn_onnx_node (g, NULL, "Mul", x,
                    vector_of_doubles (g, nn_scaler_get_divisor (scaler), n), NULL);
  return nn_onnx_node (g, NULL, "Add", x, vector_of_doubles (g, nn_scaler_get_shift (scaler), n),
                       NULL);
}

/* The pipeline's metadata: what the inputs and outputs are. */
static void
describe (NnOnnxGraph *g,
          NnPipeline  *pipeline)
{
  g_auto(GStrv) labels = nn_pipeline_get_output_labels (pipeline);
  const char * const *names = labels != NULL ? (const char * const *) labels
                                             : nn_pipeline_get_target_names (pipeline);
  g_autofree char    *outputs = g_strjoinv ("\n", (GStrv) names); /* a regression's: its targets */

  nn_onnx_graph_metadata (g, "outputs", outputs);
  nn_onnx_graph_metadata (g, "task",
                          nn_pipeline_get_class_names (pipeline) != NULL ? "classification"
                                                                         : "regression");
}

/**
 * nn_export_onnx:
 * @pipeline: a saved model, as nn_pipeline_load() reads it
 * @path: the ONNX file to write
 * @error: return location for a #GError
 *
 * Writes @pipeline as an ONNX model (IR version 8, opset 13) that takes raw
 * rows and gives what nn_pipeline_predict() does: the input `features`, a
 * float tensor [N, F] of the numeric columns (NaN for a missing value), and
 * for each categorical column of text an input of strings [N, 1] named as
 * the column; the output `outputs` [N, outputs], probabilities for
 * classification. The metadata `feature_columns`, `text_columns`,
 * `missing_values` and `outputs` name them, a line each.
 *
 * A layer kind or activation from a plugin takes part through its class's
 * ONNX form ([vfunc@Nn.Layer.to_onnx], [vfunc@Nn.Activation.to_onnx]).
 *
 * Returns: %TRUE on success; %NN_PLUGIN_ERROR for a layer or activation
 *   from a plugin without an ONNX form, or whose form failed, or a
 *   #GFileError
 */
gboolean
nn_export_onnx (NnPipeline *pipeline,
                const char *path,
                GError    **error)
{
  g_autoptr(NnOnnxGraph) g = NULL;
  g_autoptr(GBytes) bytes = NULL;
  NnModel    *model;
  const char *x;

  g_return_val_if_fail (NN_IS_PIPELINE (pipeline), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  model = nn_pipeline_get_model (pipeline);
  if (!check_exportable (model, error))
    return FALSE;
  g = nn_onnx_graph_new ();
  x = nn_export_onnx_inputs (g, pipeline);
  x = scale (g, nn_pipeline_get_scaler (pipeline), x);
  x = layers (g, model, x, error);
  if (x == NULL)
    return FALSE;
  if (nn_pipeline_get_target_scaler (pipeline) != NULL)
    x = unscale (g, nn_pipeline_get_target_scaler (pipeline), x);
  nn_onnx_node_named (g, "outputs", NULL, "Identity", x, NULL);
  nn_onnx_graph_output (g, "outputs", nn_model_get_n_outputs (model),
                        "the model's outputs, as nnrun predict gives them");
  describe (g, pipeline);
  bytes = nn_onnx_graph_to_model (g, "nn");
  if (!g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes),
                            error))
    {
      g_prefix_error (error, "cannot write the ONNX model: ");
      return FALSE;
    }
  return TRUE;
}
