/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>
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

  /*< private >*/
  gpointer padding[8];
};

double      nn_loss_compute     (NnLoss         *self,
                                 const NnMatrix *pred,
                                 const NnMatrix *target);
void        nn_loss_gradient    (NnLoss         *self,
                                 const NnMatrix *pred,
                                 const NnMatrix *target,
                                 NnMatrix       *grad);
const char *nn_loss_get_name    (NnLoss         *self);
NnLoss     *nn_loss_new_by_name (const char     *name,
                                 GError        **error);

G_END_DECLS
