/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <mpi.h>

#include "nnrun-commands.h"
#include "nnrun-mpi.h"
#include "nnrun-sweep-mpi.h"

enum {
  TAG_REQUEST = 1, /* a process asks for a run, with its tally */
  TAG_DONE,        /* a process has ended its runs, with its last tally */
  TAG_JOB,         /* the run the first process hands out, or none */
};

#define TALLY_FIELDS (sizeof (NnrunSweepTally) / sizeof (guint))

/* The first process's record of the others, by rank. */
static NnrunSweepTally *tallies;
static gboolean        *done;
static guint            size;
static guint            n_busy;

static gboolean
mpi_running (void)
{
  int started = 0, ended = 0;

  MPI_Initialized (&started);
  MPI_Finalized (&ended);
  return started && !ended;
}

int
nnrun_sweep_mpi_start (guint    *rank,
                       guint    *n_ranks,
                       gboolean *launched)
{
  int status = nnrun_mpi_start (rank, n_ranks);

  *launched = g_getenv ("OMPI_COMM_WORLD_SIZE") != NULL || g_getenv ("PMI_SIZE") != NULL;
  if (status != EXIT_OK || *n_ranks <= 1)
    return status;
  if (*rank == 0)
    {
      tallies = g_new0 (NnrunSweepTally, *n_ranks);
      done = g_new0 (gboolean, *n_ranks);
      size = *n_ranks;
      n_busy = size - 1;
    }
  return EXIT_OK;
}

gboolean
nnrun_sweep_mpi_all_ok (gboolean  ok,
                        gboolean *report)
{
  return nnrun_mpi_all_ok (ok, report);
}

static void
add_tally (NnrunSweepTally       *sum,
           const NnrunSweepTally *tally)
{
  sum->finished += tally->finished;
  sum->failed += tally->failed;
  sum->interrupted += tally->interrupted;
  sum->elsewhere += tally->elsewhere;
  sum->unrecorded += tally->unrecorded;
}

static void
answer (int                source,
        NnrunSweepNextFunc next,
        gpointer           user_data)
{
  NnrunSweepJob job;
  int           message[3] = { -1, -1, -1 };

  if (next (&job, user_data))
    {
      message[0] = (int) job.trial;
      message[1] = (int) job.repeat;
      message[2] = (int) job.fold;
    }
  MPI_Send (message, 3, MPI_INT, source, TAG_JOB, MPI_COMM_WORLD);
}

guint
nnrun_sweep_mpi_serve (NnrunSweepNextFunc next,
                       gpointer           user_data,
                       NnrunSweepTally   *others)
{
  int flag = 1;

  if (tallies == NULL || !mpi_running ())
    return 0;
  while (n_busy > 0)
    {
      MPI_Status      status;
      NnrunSweepTally tally;

      MPI_Iprobe (MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
      if (!flag)
        break;
      MPI_Recv (&tally, TALLY_FIELDS, MPI_UNSIGNED, status.MPI_SOURCE, status.MPI_TAG,
                MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      /* Each tally is a process's whole, the last replacing the one before. */
      tallies[status.MPI_SOURCE] = tally;
      if (status.MPI_TAG == TAG_REQUEST)
        answer (status.MPI_SOURCE, next, user_data);
      else if (!done[status.MPI_SOURCE])
        {
          done[status.MPI_SOURCE] = TRUE;
          n_busy--;
        }
    }
  *others = (NnrunSweepTally){ 0 };
  for (guint r = 1; r < size; r++)
    add_tally (others, &tallies[r]);
  return n_busy;
}

/* Waits for @request without spinning: the process's trial runs meanwhile
 * on a core it shares. */
static void
wait_for (MPI_Request *request)
{
  int flag = 0;

  while (MPI_Test (request, &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS && !flag)
    g_usleep (200);
}

gboolean
nnrun_sweep_mpi_request (const NnrunSweepTally *tally,
                         NnrunSweepJob         *job)
{
  MPI_Request request;
  int         message[3];

  if (!mpi_running ())
    return FALSE;
  MPI_Irecv (message, 3, MPI_INT, 0, TAG_JOB, MPI_COMM_WORLD, &request);
  MPI_Send (tally, TALLY_FIELDS, MPI_UNSIGNED, 0, TAG_REQUEST, MPI_COMM_WORLD);
  wait_for (&request);
  if (message[0] < 0)
    return FALSE;
  job->trial = (guint) message[0];
  job->repeat = (guint) message[1];
  job->fold = (guint) message[2];
  return TRUE;
}

void
nnrun_sweep_mpi_done (const NnrunSweepTally *tally)
{
  if (mpi_running ())
    MPI_Send (tally, TALLY_FIELDS, MPI_UNSIGNED, 0, TAG_DONE, MPI_COMM_WORLD);
}

int
nnrun_sweep_mpi_finish (int status)
{
  g_clear_pointer (&tallies, g_free);
  g_clear_pointer (&done, g_free);
  /* The others wait here while the first writes the results. */
  if (mpi_running ())
    {
      MPI_Request request;

      MPI_Ibarrier (MPI_COMM_WORLD, &request);
      wait_for (&request);
    }
  return nnrun_mpi_finish (status, FALSE);
}
