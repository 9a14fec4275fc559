/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
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

static char *scratch;
static guint scratch_serial;

void
nn_test_rm_rf (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          nn_test_rm_rf (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static const char *
scratch_root (void)
{
  if (scratch == NULL)
    scratch = g_dir_make_tmp ("nn-test-XXXXXX", NULL);
  g_assert (scratch != NULL);
  return scratch;
}

/* A new empty folder in this process's scratch folder. */
char *
nn_test_new_dir (void)
{
  g_autofree char *name = g_strdup_printf ("t%u", ++scratch_serial);
  char *dir = g_build_filename (scratch_root (), name, NULL);

  g_mkdir_with_parents (dir, 0700);
  return dir;
}

int
nn_test_remove_scratch (void)
{
  if (scratch != NULL)
    nn_test_rm_rf (scratch);
  g_clear_pointer (&scratch, g_free);
  return 0;
}

char *
nn_test_write_file (const char *dir,
                    const char *name,
                    const char *text)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert (g_file_set_contents (path, text, -1, NULL));
  return path;
}

char *
nn_test_source_file (const char *relative)
{
  return g_build_filename (g_getenv ("NN_SOURCE_ROOT"), relative, NULL);
}

int
nn_test_nnrun_argv (char               **out,
                    char               **err,
                    const char * const  *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  int wait_status = 0;

  g_ptr_array_add (argv, (gpointer) g_getenv ("NNRUN"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (scratch_root (), (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     out, err, &wait_status, NULL))
    return -1;
  if (!WIFEXITED (wait_status))
    return -1;
  return WEXITSTATUS (wait_status);
}

int
nn_test_nnrun (char       **out,
               char       **err,
               const char  *first_arg,
               ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  return nn_test_nnrun_argv (out, err, (const char * const *) args->pdata);
}
