/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "nnrun-commands.h"
#include "nnrun-mpi.h"

/* nnrun built without MPI: alone it trains as always; started by mpirun
 * or srun as one of several processes, it would train N copies of the run
 * that all write the same directory, so it refuses. */
int
nnrun_mpi_start (guint *rank,
                 guint *n_ranks)
{
  static const char * const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE" };

  *rank = 0;
  *n_ranks = 1;
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      const char *v = g_getenv (vars[i]);
      guint64     n;

      if (v != NULL && g_ascii_string_to_unsigned (v, 10, 1, G_MAXINT, &n, NULL) && n > 1)
        {
          g_printerr ("nnrun: started as one of %" G_GUINT64_FORMAT " processes (%s is set), "
                      "but this nnrun was built without MPI; install Open MPI "
                      "(tools/install-deps does) and build again, or run nnrun alone\n",
                      n, vars[i]);
          return EXIT_BAD_INPUT;
        }
    }
  return EXIT_OK;
}

gboolean
nnrun_mpi_all_ok (gboolean  ok,
                  gboolean *report)
{
  *report = !ok;
  return ok;
}

void
nnrun_mpi_attach (NnTrainer *trainer)
{
}

gboolean
nnrun_mpi_share_state (NnTrainer *trainer,
                       GError   **error)
{
  return TRUE;
}

double
nnrun_mpi_reduce_seconds (void)
{
  return 0;
}

int
nnrun_mpi_finish (int      status,
                  gboolean alone)
{
  return status;
}
