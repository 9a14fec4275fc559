/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun sweep as one of the processes of `mpirun -np N`: the first hands
 * out the runs one at a time to whichever process asks, itself included
 * (nnrun-sweep-mpi.c with MPI; nnrun-sweep-mpi-none.c, which refuses to
 * run under mpirun, without). */
#pragma once

#include <nn.h>

G_BEGIN_DECLS

/* A run of a sweep: its trial, repeat and fold. */
typedef struct
{
  guint trial;
  guint repeat;
  guint fold;
} NnrunSweepJob;

/* What a process did with the runs it was handed, in all. */
typedef struct
{
  guint finished;    /* recorded */
  guint failed;      /* of them, failed or diverged */
  guint interrupted; /* stopped by a signal of their own */
  guint elsewhere;   /* under way in a process outside the sweep's */
  guint unrecorded;  /* ended, but their row could not be written */
} NnrunSweepTally;

/* The first process's way to the next run, %FALSE when none is left. */
typedef gboolean (*NnrunSweepNextFunc) (NnrunSweepJob *job,
                                        gpointer       user_data);

/* Finds this process's rank among the N of an mpirun and starts MPI when
 * N > 1; @launched tells whether a launcher started nnrun at all (then
 * each process runs one trial at a time unless -j says otherwise).
 * Returns 0, or the exit status after printing why it cannot run. */
int      nnrun_sweep_mpi_start   (guint                *rank,
                                  guint                *n_ranks,
                                  gboolean             *launched);
/* Whether every process is @ok; the first that is not gets %TRUE in
 * @report, to print its reason alone. */
gboolean nnrun_sweep_mpi_all_ok  (gboolean              ok,
                                  gboolean             *report);
/* The first process: answers the requests that came, each with a run
 * from @next, and adds up the others' tallies in @others. Returns how
 * many other processes are still at work. */
guint    nnrun_sweep_mpi_serve   (NnrunSweepNextFunc    next,
                                  gpointer              user_data,
                                  NnrunSweepTally      *others);
/* Any other process: sends its @tally with a request for a run, and
 * waits for it; %FALSE when none is left. */
gboolean nnrun_sweep_mpi_request (const NnrunSweepTally *tally,
                                  NnrunSweepJob         *job);
/* Any other process: tells the first it is done, with its last @tally. */
void     nnrun_sweep_mpi_done    (const NnrunSweepTally *tally);
/* Ends MPI once every process is done, and returns @status. */
int      nnrun_sweep_mpi_finish  (int                   status);

G_END_DECLS
