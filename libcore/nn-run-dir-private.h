/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A run's files are written into a staging directory beside the run
 * directory and replace the previous run's files together; not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The checkpoint of a run, in its run or staging directory: the one file
 * that is removed first, so that a resume never finds a stale one. */
#define NN_RUN_DIR_CHECKPOINT_FILE "checkpoint.nnckpt"

G_GNUC_INTERNAL
char     *nn_run_dir_staging_path (const char  *run_dir);
G_GNUC_INTERNAL
gboolean  nn_run_dir_stage        (const char  *run_dir,
                                   char       **target,
                                   char       **staging,
                                   GError     **error);
G_GNUC_INTERNAL
gboolean  nn_run_dir_commit       (const char  *staging,
                                   const char  *target,
                                   GError     **error);
G_GNUC_INTERNAL
gboolean  nn_run_dir_remove       (const char  *path,
                                   GError     **error);

G_END_DECLS
