/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib.h>
#include "nn-trainer.h"

G_BEGIN_DECLS

/**
 * NN_CHECKPOINT_VERSION:
 *
 * The version of the checkpoint format that [func@Nn.checkpoint_save] writes
 * and [func@Nn.checkpoint_load] reads.
 */
#define NN_CHECKPOINT_VERSION 2

gboolean nn_checkpoint_save (const char  *path,
                             NnTrainer   *trainer,
                             GVariant    *extra,
                             GError     **error);
gboolean nn_checkpoint_load (const char  *path,
                             NnTrainer   *trainer,
                             guint       *epochs_done,
                             GVariant   **extra,
                             GError     **error);

G_END_DECLS
