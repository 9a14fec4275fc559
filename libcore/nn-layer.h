/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>
#include "nn-activation.h"
#include "nn-limits.h"
#include "nn-matrix.h"

G_BEGIN_DECLS

/**
 * NN_LAYER_EXTENSION_POINT_NAME:
 *
 * The GIO extension point under which kinds of layer register.
 */
#define NN_LAYER_EXTENSION_POINT_NAME "nn-layer"

/**
 * NnInit:
 * @NN_INIT_NORMAL: weights from N(0, 1), the lesson's `np.random.randn`
 * @NN_INIT_GLOROT_UNIFORM: U(±√(6 / (fan_in + fan_out)))
 * @NN_INIT_GLOROT_NORMAL: N(0, 2 / (fan_in + fan_out))
 * @NN_INIT_HE_NORMAL: N(0, 2 / fan_in)
 * @NN_INIT_HE_UNIFORM: U(±√(6 / fan_in))
 *
 * Weight initialisation schemes. Biases always start at zero.
 */
typedef enum {
  NN_INIT_NORMAL,
  NN_INIT_GLOROT_UNIFORM,
  NN_INIT_GLOROT_NORMAL,
  NN_INIT_HE_NORMAL,
  NN_INIT_HE_UNIFORM,
} NnInit;

#define NN_TYPE_INIT (nn_init_get_type ())
GType nn_init_get_type (void) G_GNUC_CONST;

#define NN_TYPE_LAYER (nn_layer_get_type ())
G_DECLARE_DERIVABLE_TYPE (NnLayer, nn_layer, NN, LAYER, GObject)

/**
 * NnLayerClass:
 * @parent_class: the parent class
 * @description: one line shown by `nnrun plugins`
 * @get_n_outputs: the width of the output for @n_inputs wide inputs
 * @forward: computes the output of a batch and keeps what the backward
 *   step needs; returns the output, valid until the next forward step
 * @backward: from dL/d(output) of the last forward step, computes the
 *   gradients of the parameters and, if asked, dL/dX
 * @backward_from_z: (nullable): for a kind whose output is an activation
 *   applied last, @backward from dL/dZ, Z the activation's input: the step
 *   a loss's joint output gradient ([method@Nn.Loss.output_gradient]) enters at
 * @get_output: the output of the last forward step
 * @get_activation: (nullable): the activation applied last, or %NULL
 * @get_n_parameters: (nullable): the number of parameter matrices; none
 *   when unset
 * @get_parameter: the parameter matrix @index, modifiable in place
 * @get_gradient: dL/d(parameter @index) of the last backward step
 * @get_parameter_name: the name of parameter @index, as saved models key
 *   it (`weight`, `bias`)
 * @init_parameters: (nullable): draws the initial parameters from @rand;
 *   a kind that draws nothing leaves it unset
 * @set_training: (nullable): switches between training and evaluation,
 *   after the base class has recorded the mode
 * @regularization_loss: (nullable): the layer's term of the training loss
 *   at its current parameters; none when unset
 * @add_regularization_gradient: (nullable): adds the gradient of
 *   @regularization_loss to the parameters' gradients
 * @get_n_buffers: (nullable): the number of buffer matrices, state the
 *   layer keeps that no optimizer trains (running statistics) but that
 *   checkpoints and saved models hold; none when unset
 * @get_buffer: the buffer matrix @index, modifiable in place
 * @get_buffer_name: the name of buffer @index, as saved models key it
 * @min_training_batch: the fewest samples a training batch may have; 0
 *   or 1 for any
 * @to_c: (nullable): the C99 source of `static void FUNCTION(const float
 *   *in, float *out)`, the layer's inference on one sample (its parameters
 *   as `static const` data before it, named from FUNCTION), in float and
 *   with nothing beyond `<math.h>` (newly allocated); `nnrun export
 *   --format c` includes it. Without it, a model with the layer cannot be
 *   exported to C.
 * @to_onnx: (nullable): adds the layer's inference to @graph as ONNX nodes
 *   taking the value @input ([batch, inputs] float32, inputs the width of
 *   [method@Nn.Layer.get_n_inputs]; its parameters through
 *   [method@Nn.OnnxGraph.add_matrix]); returns the name of the value it
 *   makes (newly allocated), or %NULL and sets @error. The export applies
 *   the activation of @get_activation after it. `nnrun export --format
 *   onnx` calls it; without it, a model with the layer cannot be exported
 *   to ONNX (since 0.2).
 *
 * A kind of layer. The base class keeps the input width and the mode. A
 * plugin adds a kind by subclassing it and registering the subclass on
 * [const@Nn.LAYER_EXTENSION_POINT_NAME] (plugins/README.md, "Writing a layer
 * plugin"); a kind random in training draws from
 * [method@Nn.Layer.get_step_uniform].
 */
struct _NnLayerClass
{
  GObjectClass parent_class;

  const char *description;

  guint (*get_n_outputs) (NnLayer *self,
                          guint    n_inputs);
  const NnMatrix *(*forward) (NnLayer        *self,
                              const NnMatrix *x);
  const NnMatrix *(*backward) (NnLayer        *self,
                               const NnMatrix *x,
                               const NnMatrix *grad_a,
                               gboolean        want_grad_input);
  const NnMatrix *(*backward_from_z) (NnLayer        *self,
                                      const NnMatrix *x,
                                      const NnMatrix *grad_z,
                                      gboolean        want_grad_input);
  const NnMatrix *(*get_output) (NnLayer *self);
  NnActivation *(*get_activation) (NnLayer *self);
  guint (*get_n_parameters) (NnLayer *self);
  NnMatrix *(*get_parameter) (NnLayer *self,
                              guint    index);
  const NnMatrix *(*get_gradient) (NnLayer *self,
                                   guint    index);
  const char *(*get_parameter_name) (NnLayer *self,
                                     guint    index);
  void (*init_parameters) (NnLayer *self,
                           NnInit   init,
                           GRand   *rand);
  void (*set_training) (NnLayer *self,
                        gboolean training);
  double (*regularization_loss) (NnLayer *self);
  void (*add_regularization_gradient) (NnLayer *self);
  guint (*get_n_buffers) (NnLayer *self);
  NnMatrix *(*get_buffer) (NnLayer *self,
                           guint    index);
  const char *(*get_buffer_name) (NnLayer *self,
                                  guint    index);
  guint min_training_batch;
  char *(*to_c) (NnLayer    *self,
                 const char *function);
  char *(*to_onnx) (NnLayer     *self,
                    NnOnnxGraph *graph,
                    const char  *input,
                    GError     **error);

  /*< private >*/
  gpointer padding[2];
};

/* Any kind. */
guint           nn_layer_get_n_inputs        (NnLayer         *self);
guint           nn_layer_get_n_outputs       (NnLayer         *self);
guint           nn_layer_get_units           (NnLayer         *self);
NnActivation   *nn_layer_get_activation      (NnLayer         *self);
const char     *nn_layer_get_kind_name       (NnLayer         *self);
guint           nn_layer_get_n_parameters    (NnLayer         *self);
NnMatrix       *nn_layer_get_parameter       (NnLayer         *self,
                                              guint            index);
const NnMatrix *nn_layer_get_gradient        (NnLayer         *self,
                                              guint            index);
const char     *nn_layer_get_parameter_name  (NnLayer         *self,
                                              guint            index);
guint           nn_layer_get_n_buffers       (NnLayer         *self);
NnMatrix       *nn_layer_get_buffer          (NnLayer         *self,
                                              guint            index);
const char     *nn_layer_get_buffer_name     (NnLayer         *self,
                                              guint            index);
guint           nn_layer_get_min_training_batch (NnLayer      *self);
void            nn_layer_init_parameters     (NnLayer         *self,
                                              NnInit           init,
                                              GRand           *rand);
void            nn_layer_set_training        (NnLayer         *self,
                                              gboolean         training);
gboolean        nn_layer_get_training        (NnLayer         *self);
double          nn_layer_get_step_uniform    (NnLayer         *self,
                                              guint64          index);
double          nn_layer_get_regularization_loss     (NnLayer         *self);
void            nn_layer_add_regularization_gradient (NnLayer         *self);

const NnMatrix *nn_layer_forward             (NnLayer         *self,
                                              const NnMatrix  *x);
const NnMatrix *nn_layer_backward            (NnLayer         *self,
                                              const NnMatrix  *x,
                                              const NnMatrix  *grad_a,
                                              gboolean         want_grad_input);
gboolean        nn_layer_has_backward_from_z (NnLayer         *self);
const NnMatrix *nn_layer_backward_from_z     (NnLayer         *self,
                                              const NnMatrix  *x,
                                              const NnMatrix  *grad_z,
                                              gboolean         want_grad_input);
const NnMatrix *nn_layer_get_a               (NnLayer         *self);

/* A dense layer (NnDenseLayer), the kind `dense`. */
NnLayer        *nn_layer_new                 (guint            n_inputs,
                                              guint            units,
                                              NnActivation    *activation);
double          nn_layer_get_l1              (NnLayer         *self);
double          nn_layer_get_l2              (NnLayer         *self);
NnMatrix       *nn_layer_get_weights         (NnLayer         *self);
NnMatrix       *nn_layer_get_bias            (NnLayer         *self);
const NnMatrix *nn_layer_get_weight_gradient (NnLayer         *self);
const NnMatrix *nn_layer_get_bias_gradient   (NnLayer         *self);
gboolean        nn_layer_set_parameters      (NnLayer         *self,
                                              const NnMatrix  *weights,
                                              const NnMatrix  *bias,
                                              GError         **error);
const NnMatrix *nn_layer_get_z               (NnLayer         *self);

G_END_DECLS
