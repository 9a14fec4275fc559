/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A checkpoint read and checked apart from its use; not installed. */
#pragma once

#include <glib.h>
#include "nn-trainer.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL
gboolean  nn_checkpoint_write     (const char  *path,
                                   GVariant    *state,
                                   GVariant    *extra,
                                   GError     **error);
G_GNUC_INTERNAL
GVariant *nn_checkpoint_read      (const char  *path,
                                   GError     **error);
G_GNUC_INTERNAL
GVariant *nn_checkpoint_get_extra (GVariant    *file);
G_GNUC_INTERNAL
gboolean  nn_checkpoint_apply     (const char  *path,
                                   GVariant    *file,
                                   NnTrainer   *trainer,
                                   GError     **error);

G_END_DECLS
