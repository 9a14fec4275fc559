/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun as one of the processes of `mpirun -np N`: synchronous data
 * parallelism (nnrun-mpi.c with MPI; nnrun-mpi-none.c, which refuses to
 * run under mpirun, without). */
#pragma once

#include <nn.h>

G_BEGIN_DECLS

/* Finds this process's rank among the N of an mpirun, and starts MPI when
 * N > 1. Returns 0, or the exit status after printing why nnrun cannot
 * run as one of them. */
int      nnrun_mpi_start          (guint     *rank,
                                   guint     *n_ranks);
/* Whether every process is @ok; the first that is not gets %TRUE in
 * @report, to print its reason alone. */
gboolean nnrun_mpi_all_ok         (gboolean   ok,
                                   gboolean  *report);
/* Makes @trainer sum its gradients across the processes. */
void     nnrun_mpi_attach         (NnTrainer *trainer);
/* Gives every process the training state of the first (a resumed run's):
 * the weights, the optimizer's state, the epoch and how far it got. */
gboolean nnrun_mpi_share_state    (NnTrainer *trainer,
                                   GError   **error);
/* Seconds spent in the sums across processes so far. */
double   nnrun_mpi_reduce_seconds (void);
/* Ends MPI and returns @status; or, for a failure the other processes
 * cannot know of, stops all of them with @status. */
int      nnrun_mpi_finish         (int        status,
                                   gboolean   alone);

G_END_DECLS
