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

#define NN_TYPE_ACTIVATION (nn_activation_get_type ())
G_DECLARE_DERIVABLE_TYPE (NnActivation, nn_activation, NN, ACTIVATION, GObject)

/**
 * NnActivationClass:
 * @parent_class: the parent class
 * @description: one line shown by `nnrun plugins`
 * @forward: writes the activation `a = f(z)` of a whole batch × units matrix
 * @backward: writes `grad_z = dL/dz` from `grad_a = dL/da`; it receives both
 *   `z` and `a` so that each function can use whichever is cheaper and stable
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

  /*< private >*/
  gpointer padding[6];
};

void          nn_activation_forward     (NnActivation   *self,
                                         const NnMatrix *z,
                                         NnMatrix       *a);
void          nn_activation_backward    (NnActivation   *self,
                                         const NnMatrix *z,
                                         const NnMatrix *a,
                                         const NnMatrix *grad_a,
                                         NnMatrix       *grad_z);
const char   *nn_activation_get_name    (NnActivation   *self);
NnActivation *nn_activation_new_by_name (const char     *name,
                                         GError        **error);

G_END_DECLS
