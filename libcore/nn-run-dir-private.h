/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A run's files are written into a staging directory beside the run
 * directory and replace the previous run's files together; not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The checkpoint of a run, in its run or staging directory. */
#define NN_RUN_DIR_CHECKPOINT_FILE "checkpoint.nnckpt"

/* The history rows a run's checkpoints in its staging directory rely on
 * (see nn-history-log.c); never in a run directory. */
#define NN_RUN_DIR_HISTORY_FILE "history.rows"

/* The history so far of a run in training, for those who follow it (see
 * nn-history-log.c); removed before the staging directory is committed or
 * discarded, and of no use to a resume. */
#define NN_RUN_DIR_LIVE_FILE "history.live"

/* The list of the files a run wrote, in its run directory: the only files
 * a later run removes from there. */
#define NN_RUN_DIR_MANIFEST_FILE ".nn-run"

/* A run directory held by this process: checked, locked, and with the
 * state of its staging directory. */
typedef struct _NnRunDir NnRunDir;

G_GNUC_INTERNAL
NnRunDir   *nn_run_dir_open            (const char  *run_dir,
                                        gboolean     create_parents,
                                        GError     **error);
G_GNUC_INTERNAL
void        nn_run_dir_close           (NnRunDir    *self);
G_GNUC_INTERNAL
const char *nn_run_dir_get_path        (NnRunDir    *self);
G_GNUC_INTERNAL
const char *nn_run_dir_get_staging     (NnRunDir    *self);
G_GNUC_INTERNAL
char       *nn_run_dir_find_checkpoint (const char  *run_dir);
G_GNUC_INTERNAL
gboolean    nn_run_dir_stage           (NnRunDir    *self,
                                        GError     **error);
G_GNUC_INTERNAL
void        nn_run_dir_checkpoint_saved (NnRunDir   *self);
G_GNUC_INTERNAL
gboolean    nn_run_dir_commit          (NnRunDir    *self,
                                        GError     **error);
G_GNUC_INTERNAL
gboolean    nn_run_dir_discard         (NnRunDir    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnRunDir, nn_run_dir_close)

/* nn-run-lock.c: what may be a run directory, and the lock beside it. */
G_GNUC_INTERNAL
char       *nn_run_dir_resolve         (const char  *run_dir);
G_GNUC_INTERNAL
gboolean    nn_run_dir_check           (const char  *run_dir,
                                        const char  *target,
                                        GError     **error);
G_GNUC_INTERNAL
int         nn_run_lock_take           (const char  *run_dir,
                                        const char  *lock_path,
                                        GError     **error);
G_GNUC_INTERNAL
void        nn_run_lock_release        (int          fd,
                                        const char  *lock_path);

G_END_DECLS
