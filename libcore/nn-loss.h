/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>
#include "nn-activation.h"
#include "nn-matrix.h"

G_BEGIN_DECLS

/**
 * NN_LOSS_EXTENSION_POINT_NAME:
 *
 * The GIO extension point under which loss plugins register.
 */
#define NN_LOSS_EXTENSION_POINT_NAME "nn-loss"

#define NN_TYPE_LOSS (nn_loss_get_type ())
G_DECLARE_DERIVABLE_TYPE (NnLoss, nn_loss, NN, LOSS, GObject)

/**
 * NnLossClass:
 * @parent_class: the parent class
 * @description: one line shown by `nnrun plugins`
 * @compute: returns the loss of a batch: the mean over samples (or over all
 *   elements, for the element-wise losses), computed in double precision
 * @gradient: writes the gradient of exactly that mean with respect to @pred
 * @output_gradient: optional: where the loss and the output layer's
 *   @activation have a simpler joint derivative (softmax and categorical
 *   cross-entropy: (A − Y) / rows), writes the gradient with respect to the
 *   layer's Z from its output @pred and returns %TRUE; returns %FALSE for
 *   any other activation
 * @compute_rows: optional: writes the loss of each row (sample) of the
 *   batch, so that their mean is what @compute returns; without it,
 *   [method@Nn.Loss.compute_rows] calls @compute on each row alone
 *
 * @pred and @target are batch × outputs matrices of the same shape.
 */
struct _NnLossClass
{
  GObjectClass parent_class;

  const char *description;

  double (*compute)  (NnLoss         *self,
                      const NnMatrix *pred,
                      const NnMatrix *target);
  void   (*gradient) (NnLoss         *self,
                      const NnMatrix *pred,
                      const NnMatrix *target,
                      NnMatrix       *grad);
  gboolean (*output_gradient) (NnLoss         *self,
                               NnActivation   *activation,
                               const NnMatrix *pred,
                               const NnMatrix *target,
                               NnMatrix       *grad_z);
  void     (*compute_rows)    (NnLoss         *self,
                               const NnMatrix *pred,
                               const NnMatrix *target,
                               double         *losses);

  /*< private >*/
  gpointer padding[6];
};

double      nn_loss_compute     (NnLoss         *self,
                                 const NnMatrix *pred,
                                 const NnMatrix *target);
void        nn_loss_gradient    (NnLoss         *self,
                                 const NnMatrix *pred,
                                 const NnMatrix *target,
                                 NnMatrix       *grad);
gboolean    nn_loss_output_gradient (NnLoss         *self,
                                     NnActivation   *activation,
                                     const NnMatrix *pred,
                                     const NnMatrix *target,
                                     NnMatrix       *grad_z);
void        nn_loss_compute_rows (NnLoss         *self,
                                  const NnMatrix *pred,
                                  const NnMatrix *target,
                                  double         *losses);
const char *nn_loss_get_name    (NnLoss         *self);
NnLoss     *nn_loss_new_by_name (const char     *name,
                                 GError        **error);

G_END_DECLS
