/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whether a resumed run is the run that was started; not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
gboolean nn_experiment_diff_check (const char  *checkpoint,
                                   const char  *then,
                                   const char  *now,
                                   GError     **error);

G_END_DECLS
