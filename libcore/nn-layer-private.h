/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The layer's regularization and random stream for the model's training
 * step; not installed. */
#pragma once

#include "nn-layer.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL double nn_layer_regularization_loss (NnLayer *self);
G_GNUC_INTERNAL void   nn_layer_add_regularization  (NnLayer *self);
G_GNUC_INTERNAL void    nn_layer_set_step_key (NnLayer *self,
                                               guint64  key);
G_GNUC_INTERNAL guint64 nn_layer_get_step_key (NnLayer *self);

G_GNUC_INTERNAL void    nn_layer_resize_work  (nn_real **buf,
                                               guint     rows,
                                               guint     cols);

/* splitmix64's finalizer: a counter or a tuple folded through it gives
 * independent-looking 64-bit values. */
static inline guint64
nn_mix64 (guint64 z)
{
  z += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

G_END_DECLS
