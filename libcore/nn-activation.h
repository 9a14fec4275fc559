/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>
#include "nn-matrix.h"
#include "nn-onnx-graph.h"

G_BEGIN_DECLS

/**
 * NN_ACTIVATION_EXTENSION_POINT_NAME:
 *
 * The GIO extension point under which activation plugins register.
 */
#define NN_ACTIVATION_EXTENSION_POINT_NAME "nn-activation"

/**
 * NnElementwise:
 * @NN_ELEMENTWISE_NONE: none of these
 * @NN_ELEMENTWISE_RELU: `z` for `z > 0`, `alpha * z` otherwise (relu for
 *   alpha 0)
 * @NN_ELEMENTWISE_LOGISTIC: `1 / (1 + e^-z)`
 * @NN_ELEMENTWISE_TANH: `tanh (z)`
 *
 * Element-wise functions that a matrix engine can apply to a product's
 * result as it stores it (oneDNN's eltwise post-ops), so that a dense layer
 * computes `f(X Wᵀ + b)` in one pass. See
 * [vfunc@Nn.Activation.get_elementwise].
 *
 * Since: 0.2
 */
typedef enum {
  NN_ELEMENTWISE_NONE,
  NN_ELEMENTWISE_RELU,
  NN_ELEMENTWISE_LOGISTIC,
  NN_ELEMENTWISE_TANH,
} NnElementwise;

#define NN_TYPE_ELEMENTWISE (nn_elementwise_get_type ())
GType nn_elementwise_get_type (void) G_GNUC_CONST;

#define NN_TYPE_ACTIVATION (nn_activation_get_type ())
G_DECLARE_DERIVABLE_TYPE (NnActivation, nn_activation, NN, ACTIVATION, GObject)

/**
 * NnActivationClass:
 * @parent_class: the parent class
 * @description: one line shown by `nnrun plugins`
 * @forward: writes the activation `a = f(z)` of a whole batch × units matrix
 * @backward: writes `grad_z = dL/dz` from `grad_a = dL/da`; it receives both
 *   `z` and `a` so that each function can use whichever is cheaper and stable
 *   (`z` may be %NULL only for an activation with @get_elementwise)
 * @to_c: optional: the C99 source of `static void FUNCTION(float *v, int n)`
 *   applying the activation in place to the @n values of one sample, in
 *   float and with nothing beyond `<math.h>` (newly allocated); `nnrun export
 *   --format c` includes it. Without it (%NULL, or a %NULL return), a model
 *   using the activation cannot be exported to C.
 * @to_onnx: optional: adds the activation's ONNX form to @graph, applied to
 *   the value @input ([batch, units] float32), and returns the name of the
 *   value it makes (newly allocated; `g_strdup (input)` for the identity),
 *   or %NULL and sets @error; `nnrun export --format onnx` calls it. Without
 *   it, a model using the activation cannot be exported to ONNX (since 0.2).
 * @get_elementwise: optional: the activation as an #NnElementwise function
 *   with its parameter in @alpha, for an activation whose @backward can
 *   work from `a` alone; %NN_ELEMENTWISE_NONE otherwise. A dense layer
 *   that keeps no pre-activations ([property@Nn.Trainer:keep-pre-activations])
 *   then lets the matrix engine apply it inside the forward product and
 *   calls @backward with `z` %NULL (since 0.2).
 *
 * Both methods work on whole matrices: an element-wise function loops inside
 * the plugin, and a function that couples a row (softmax) applies its
 * Jacobian-vector product.
 */
struct _NnActivationClass
{
  GObjectClass parent_class;

  const char *description;

  void (*forward)  (NnActivation   *self,
                    const NnMatrix *z,
                    NnMatrix       *a);
  void (*backward) (NnActivation   *self,
                    const NnMatrix *z,
                    const NnMatrix *a,
                    const NnMatrix *grad_a,
                    NnMatrix       *grad_z);
  char *(*to_c)    (NnActivation   *self,
                    const char     *function);
  char *(*to_onnx) (NnActivation   *self,
                    NnOnnxGraph    *graph,
                    const char     *input,
                    GError        **error);
  NnElementwise (*get_elementwise) (NnActivation *self,
                                    double       *alpha);

  /*< private >*/
  gpointer padding[5];
};

void          nn_activation_forward     (NnActivation   *self,
                                         const NnMatrix *z,
                                         NnMatrix       *a);
void          nn_activation_backward    (NnActivation   *self,
                                         const NnMatrix *z,
                                         const NnMatrix *a,
                                         const NnMatrix *grad_a,
                                         NnMatrix       *grad_z);
NnElementwise nn_activation_get_elementwise (NnActivation *self,
                                            double       *alpha);
const char   *nn_activation_get_name    (NnActivation   *self);
NnActivation *nn_activation_new_by_name (const char     *name,
                                         GError        **error);

G_END_DECLS
