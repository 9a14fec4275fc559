/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <CUnit/Basic.h>

#include "nn-test.h"

/* CU_basic_run_tests() returns CUE_SUCCESS even when tests fail, so the exit
 * status comes from the failure records, read before the registry goes. */
int
nn_test_run (void)
{
  int status;

  if (CU_get_error () != CUE_SUCCESS)
    {
      g_printerr ("CUnit error: %s\n", CU_get_error_msg ());
      return 99;
    }
  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();
  if (CU_get_error () != CUE_SUCCESS)
    status = 99;
  else if (CU_get_number_of_tests_run () == 0)
    status = 77;
  else if (CU_get_number_of_failure_records () > 0)
    status = 1;
  else
    status = 0;
  CU_cleanup_registry ();
  return status;
}

/* Suite init: load the plugins of NN_PLUGIN_PATH; any load error fails it. */
int
nn_test_init_plugins (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) failures = NULL;

  if (!nn_plugins_ensure_loaded (&error))
    {
      g_printerr ("loading plugins: %s\n", error->message);
      return 1;
    }
  failures = nn_plugins_get_load_errors ();
  for (guint i = 0; i < failures->len; i++)
    g_printerr ("plugin failed to load: %s\n", ((GError *) failures->pdata[i])->message);
  return failures->len > 0;
}

gboolean
nn_test_close (double a,
               double b,
               double rtol,
               double atol)
{
  if (isnan (a) || isnan (b))
    return FALSE;
  return fabs (a - b) <= atol + rtol * MAX (fabs (a), fabs (b));
}

NnMatrix *
nn_test_random_matrix (GRand *rand,
                       guint  rows,
                       guint  cols,
                       double lo,
                       double hi)
{
  NnMatrix *m = nn_matrix_new (rows, cols);

  for (gsize i = 0; i < nn_matrix_size (m); i++)
    m->data[i] = (nn_real) g_rand_double_range (rand, lo, hi);
  return m;
}
