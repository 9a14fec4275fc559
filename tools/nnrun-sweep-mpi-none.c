/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "nnrun-commands.h"
#include "nnrun-sweep-mpi.h"

/* nnrun built without MPI: started by mpirun or srun as one of several
 * processes, each would run the whole sweep, so it refuses and says what
 * runs a sweep on many cores or machines instead. */
int
nnrun_sweep_mpi_start (guint    *rank,
                       guint    *n_ranks,
                       gboolean *launched)
{
  static const char * const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE" };

  *rank = 0;
  *n_ranks = 1;
  *launched = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      const char *v = g_getenv (vars[i]);
      guint64     n;

      *launched = *launched || v != NULL;
      if (v != NULL && g_ascii_string_to_unsigned (v, 10, 1, G_MAXINT, &n, NULL) && n > 1)
        {
          g_printerr ("nnrun: started as one of %" G_GUINT64_FORMAT " processes (%s is set), "
                      "but this nnrun was built without MPI, so each would run the whole "
                      "sweep; install Open MPI (tools/install-deps does) and build again, "
                      "or run `nnrun sweep -j N` alone on a machine, or one `nnrun sweep "
                      "--trial I` per task of a job array\n",
                      n, vars[i]);
          return EXIT_BAD_INPUT;
        }
    }
  return EXIT_OK;
}

gboolean
nnrun_sweep_mpi_all_ok (gboolean  ok,
                        gboolean *report)
{
  *report = !ok;
  return ok;
}

guint
nnrun_sweep_mpi_serve (NnrunSweepNextFunc next,
                       gpointer           user_data,
                       NnrunSweepTally   *others)
{
  *others = (NnrunSweepTally){ 0 };
  return 0;
}

gboolean
nnrun_sweep_mpi_request (const NnrunSweepTally *tally,
                         NnrunSweepJob         *job)
{
  return FALSE;
}

void
nnrun_sweep_mpi_done (const NnrunSweepTally *tally)
{
}

int
nnrun_sweep_mpi_finish (int status)
{
  return status;
}
