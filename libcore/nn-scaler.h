/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>
#include "nn-matrix.h"

G_BEGIN_DECLS

/**
 * NnScale:
 * @NN_SCALE_NONE: features as they are
 * @NN_SCALE_MINMAX: each feature to [0, 1] by its own minimum and range
 * @NN_SCALE_STANDARD: each feature to mean 0 and standard deviation 1
 *
 * How a [class@Nn.Scaler] scales each feature.
 */
typedef enum {
  NN_SCALE_NONE,
  NN_SCALE_MINMAX,
  NN_SCALE_STANDARD,
} NnScale;

#define NN_TYPE_SCALE (nn_scale_get_type ())
GType nn_scale_get_type (void) G_GNUC_CONST;

#define NN_TYPE_SCALER (nn_scaler_get_type ())
G_DECLARE_FINAL_TYPE (NnScaler, nn_scaler, NN, SCALER, GObject)

NnScaler     *nn_scaler_new                 (NnScale          kind);
NnScaler     *nn_scaler_new_from_parameters (NnScale          kind,
                                             const double    *shift,
                                             const double    *divisor,
                                             guint            n_features,
                                             GError         **error);
NnScale       nn_scaler_get_kind            (NnScaler        *self);
gboolean      nn_scaler_is_fitted           (NnScaler        *self);
guint         nn_scaler_get_n_features      (NnScaler        *self);
const double *nn_scaler_get_shift           (NnScaler        *self);
const double *nn_scaler_get_divisor         (NnScaler        *self);
void          nn_scaler_fit                 (NnScaler        *self,
                                             const NnMatrix  *x);
void          nn_scaler_transform           (NnScaler        *self,
                                             NnMatrix        *x);
void          nn_scaler_inverse_transform   (NnScaler        *self,
                                             NnMatrix        *x);

G_END_DECLS
