/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <mpi.h>
#include <string.h>
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

/* Beyond this many processes on one machine, summing every process's
 * array in each costs more memory traffic than MPI's sum, whose every
 * process adds only its part. */
#define SHARED_SUM_MAX_RANKS 4

/* The sum through memory shared by the processes of one machine: each
 * copies its array into its slot, and after a barrier adds all the slots
 * into its array, in rank order, so that every process gets the same
 * bits. Two sets of slots, used in turn, spare a second barrier: a
 * process fills a set again only after every other has passed the next
 * barrier, so finished reading it. */
static struct
{
  MPI_Comm  comm; /* MPI_COMM_NULL: the sum is MPI's */
  MPI_Win   win;
  nn_real **slots; /* [set * n_ranks + rank] */
  gsize     len;   /* values in each slot */
  guint     set;
  int       rank, n_ranks;
} shared = { .comm = MPI_COMM_NULL, .win = MPI_WIN_NULL };

/* Whether all the processes share one machine's memory, and are few
 * enough for the shared sum to pay. */
static void
shared_sum_init (void)
{
  MPI_Comm comm;
  int      size, world;

  MPI_Comm_size (MPI_COMM_WORLD, &world);
  MPI_Comm_split_type (MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &comm);
  MPI_Comm_size (comm, &size);
  if (size != world || size < 2 || size > SHARED_SUM_MAX_RANKS)
    {
      MPI_Comm_free (&comm);
      return;
    }
  shared.comm = comm;
  MPI_Comm_rank (comm, &shared.rank);
  shared.n_ranks = size;
}

static void
shared_sum_free_window (void)
{
  if (shared.win == MPI_WIN_NULL)
    return;
  MPI_Win_unlock_all (shared.win);
  MPI_Win_free (&shared.win);
  g_clear_pointer (&shared.slots, g_free);
  shared.len = 0;
}

/* Slots for @n values; every process asks for the same @n at the same
 * sum, so all make the same collective calls. */
static void
shared_sum_reserve (gsize n)
{
  gsize    stride;
  nn_real *mine;

  if (shared.len >= n)
    return;
  shared_sum_free_window ();
  /* Whole cache lines apart, so that no two processes write one line. */
  stride = (n + 15) / 16 * 16;
  MPI_Win_allocate_shared ((MPI_Aint) (2 * stride * sizeof (nn_real)), sizeof (nn_real),
                           MPI_INFO_NULL, shared.comm, &mine, &shared.win);
  shared.slots = g_new (nn_real *, 2 * shared.n_ranks);
  for (int r = 0; r < shared.n_ranks; r++)
    {
      MPI_Aint size;
      int      unit;
      nn_real *base;

      MPI_Win_shared_query (shared.win, r, &size, &unit, &base);
      shared.slots[r] = base;
      shared.slots[shared.n_ranks + r] = base + stride;
    }
  MPI_Win_lock_all (MPI_MODE_NOCHECK, shared.win);
  shared.len = stride;
}

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
  if ((guint) n == launcher_size ())
    shared_sum_init ();
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

static int
shared_sum (nn_real *values,
            gsize    n)
{
  nn_real   **slot;
  MPI_Request request;
  int         rc;

  shared_sum_reserve (n);
  slot = shared.slots + shared.set * shared.n_ranks;
  shared.set ^= 1;
  memcpy (slot[shared.rank], values, n * sizeof (nn_real));
  MPI_Win_sync (shared.win);
  rc = MPI_Ibarrier (shared.comm, &request);
  if (rc == MPI_SUCCESS)
    rc = wait_for (&request);
  if (rc != MPI_SUCCESS)
    return rc;
  MPI_Win_sync (shared.win);
  for (gsize j = 0; j < n; j++)
    values[j] = slot[0][j] + slot[1][j];
  for (int r = 2; r < shared.n_ranks; r++)
    for (gsize j = 0; j < n; j++)
      values[j] += slot[r][j];
  return MPI_SUCCESS;
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
  if (shared.comm != MPI_COMM_NULL)
    rc = shared_sum (values, n_values);
  else
    {
      rc = MPI_Iallreduce (MPI_IN_PLACE, values, (int) n_values, type, MPI_SUM, MPI_COMM_WORLD,
                           &request);
      if (rc == MPI_SUCCESS)
        rc = wait_for (&request);
    }
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
  shared_sum_free_window ();
  if (shared.comm != MPI_COMM_NULL)
    MPI_Comm_free (&shared.comm);
  MPI_Finalize ();
  mpi_started = FALSE;
  return status;
}
