/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <mpi.h>
#ifdef __linux__
#include <signal.h>
#include <sys/prctl.h>
#endif

#include "nnrun-commands.h"
#include "nnrun-mpi.h"

#ifdef OPEN_MPI
#define MPI_NAME "Open MPI"
#else
#define MPI_NAME "MPI"
#endif

static gboolean mpi_started;
static double   reduce_seconds;

/* The process count mpirun (Open MPI) or a PMI launcher (srun, MPICH's
 * Hydra) gives its processes, 1 outside of one. */
static guint
launcher_size (void)
{
  static const char * const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE" };

  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      const char *v = g_getenv (vars[i]);
      guint64     n;

      if (v != NULL && g_ascii_string_to_unsigned (v, 10, 1, G_MAXINT, &n, NULL))
        return (guint) n;
    }
  return 1;
}

int
nnrun_mpi_start (guint *rank,
                 guint *n_ranks)
{
  int provided, r, n;

  *rank = 0;
  *n_ranks = 1;
  /* Alone, nnrun needs no MPI at all: no start-up cost, no daemon. */
  if (launcher_size () <= 1)
    return EXIT_OK;
#ifdef OPEN_MPI
  /* Open MPI's non-blocking sum of a large array takes its ring by
   * default, whose many small rounds only advance while the process
   * polls; reduce-scatter then allgather (Rabenseifner) sums the
   * gradients in two exchanges, and on one machine in about half the
   * time. A choice made with mpirun --mca stands. */
  g_setenv ("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "3", FALSE);
#endif
  /* Training runs in its own thread, the only one that calls MPI. */
  if (MPI_Init_thread (NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS ||
      provided < MPI_THREAD_SERIALIZED)
    {
      g_printerr ("nnrun: MPI could not start with the thread support training needs\n");
      return EXIT_BAD_INPUT;
    }
  mpi_started = TRUE;
#ifdef __linux__
  /* A process whose launcher is gone (killed, or stopped at once by a
   * second Ctrl-C) ends with it rather than go on alone: the runs of a
   * sweep it holds would stay claimed, and the others wait for it. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
  MPI_Comm_rank (MPI_COMM_WORLD, &r);
  MPI_Comm_size (MPI_COMM_WORLD, &n);
  /* Started by another MPI's launcher, each process would be alone in its
   * world and train the whole run into the same directory. */
  if ((guint) n != launcher_size ())
    {
      g_printerr ("nnrun: started as one of %u processes, but its MPI (%s) sees %d: "
                  "the launcher is another MPI's; start nnrun with the mpirun of the "
                  "MPI it was built with\n",
                  launcher_size (), MPI_NAME, n);
      return nnrun_mpi_finish (EXIT_BAD_INPUT, FALSE);
    }
  *rank = (guint) r;
  *n_ranks = (guint) n;
  return EXIT_OK;
}

gboolean
nnrun_mpi_all_ok (gboolean  ok,
                  gboolean *report)
{
  int rank, size, mine, first;

  *report = !ok;
  if (!mpi_started)
    return ok;
  MPI_Comm_rank (MPI_COMM_WORLD, &rank);
  MPI_Comm_size (MPI_COMM_WORLD, &size);
  mine = ok ? size : rank;
  MPI_Allreduce (&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  *report = !ok && first == rank;
  return first == size;
}

/* MPI_Wait spins: a process that waits for a slower one takes a core
 * from the processes that still compute whenever there are more of them
 * than cores. After a millisecond of polling, naps that grow to a
 * millisecond leave the core to them; a sum that is ready at once costs
 * no nap. */
static int
wait_for (MPI_Request *request)
{
  gint64 start = g_get_monotonic_time ();
  gulong nap = 0;

  for (;;)
    {
      int done = 0;
      int rc = MPI_Test (request, &done, MPI_STATUS_IGNORE);

      if (rc != MPI_SUCCESS || done)
        return rc;
      if (g_get_monotonic_time () - start < 1000)
        continue;
      g_usleep (nap);
      nap = MIN (nap * 2 + 10, 1000);
    }
}

static gboolean
allreduce (nn_real *values,
           gsize    n_values,
           gpointer user_data,
           GError **error)
{
  MPI_Datatype type = sizeof (nn_real) == sizeof (double) ? MPI_DOUBLE : MPI_FLOAT;
  double       start = MPI_Wtime ();
  MPI_Request  request;
  int          rc;

  g_return_val_if_fail (n_values <= G_MAXINT, FALSE);
  rc = MPI_Iallreduce (MPI_IN_PLACE, values, (int) n_values, type, MPI_SUM, MPI_COMM_WORLD,
                       &request);
  if (rc == MPI_SUCCESS)
    rc = wait_for (&request);
  reduce_seconds += MPI_Wtime () - start;
  if (rc != MPI_SUCCESS)
    {
      char text[MPI_MAX_ERROR_STRING];
      int  len = 0;

      MPI_Error_string (rc, text, &len);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "MPI_Allreduce: %.*s", len, text);
      return FALSE;
    }
  return TRUE;
}

void
nnrun_mpi_attach (NnTrainer *trainer)
{
  int rank, size;

  if (!mpi_started)
    return;
  MPI_Comm_rank (MPI_COMM_WORLD, &rank);
  MPI_Comm_size (MPI_COMM_WORLD, &size);
  nn_trainer_set_data_parallel (trainer, (guint) rank, (guint) size, allreduce, NULL);
}

gboolean
nnrun_mpi_share_state (NnTrainer *trainer,
                       GError   **error)
{
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree guint8 *data = NULL;
  unsigned long long size = 0;
  int                rank;

  if (!mpi_started)
    return TRUE;
  MPI_Comm_rank (MPI_COMM_WORLD, &rank);
  if (rank == 0)
    {
      state = g_variant_ref_sink (g_variant_new_variant (nn_trainer_save_state (trainer)));
      bytes = g_variant_get_data_as_bytes (state);
      size = g_bytes_get_size (bytes);
    }
  MPI_Bcast (&size, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD);
  if (size > G_MAXINT)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "a training state of %llu bytes is too large to send", size);
      return FALSE;
    }
  data = rank == 0 ? g_memdup2 (g_bytes_get_data (bytes, NULL), size) : g_malloc (size);
  MPI_Bcast (data, (int) size, MPI_BYTE, 0, MPI_COMM_WORLD);
  if (rank == 0)
    return TRUE;
  {
    g_autoptr(GVariant) boxed = g_variant_ref_sink (
      g_variant_new_from_data (G_VARIANT_TYPE_VARIANT, g_steal_pointer (&data), size, FALSE,
                               g_free, NULL));
    g_autoptr(GVariant) inner = g_variant_get_variant (boxed);

    return nn_trainer_load_state (trainer, inner, error);
  }
}

double
nnrun_mpi_reduce_seconds (void)
{
  return reduce_seconds;
}

int
nnrun_mpi_finish (int      status,
                  gboolean alone)
{
  if (!mpi_started)
    return status;
  if (alone)
    MPI_Abort (MPI_COMM_WORLD, status);
  MPI_Finalize ();
  mpi_started = FALSE;
  return status;
}
