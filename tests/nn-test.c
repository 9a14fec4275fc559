/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <string.h>
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

NnMatrix *
nn_test_matrix_from_doubles (guint         rows,
                             guint         cols,
                             const double *values)
{
  NnMatrix *m = nn_matrix_new (rows, cols);

  for (gsize i = 0; i < nn_matrix_size (m); i++)
    m->data[i] = (nn_real) values[i];
  return m;
}

/* @rows one-hot rows of @classes columns, the classes drawn from @rand. */
NnMatrix *
nn_test_one_hot (GRand *rand,
                 guint  rows,
                 guint  classes)
{
  NnMatrix *y = nn_matrix_new (rows, classes);

  for (guint r = 0; r < rows; r++)
    NN_MATRIX_AT (y, r, g_rand_int_range (rand, 0, classes)) = 1;
  return y;
}

NnLayer *
nn_test_make_layer (guint       n_inputs,
                    guint       units,
                    const char *activation)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnActivation) act = nn_activation_new_by_name (activation, &error);

  g_assert_no_error (error);
  return nn_layer_new (n_inputs, units, act);
}

/* A trainer of @model whose nn_trainer_fit() trains up to @epochs. */
NnTrainer *
nn_test_make_trainer (NnModel *model,
                      guint    epochs,
                      guint    batch_size,
                      gboolean shuffle)
{
  NnTrainer *trainer = nn_trainer_new (model);

  g_object_set (trainer, "epochs", epochs, "batch-size", batch_size, "shuffle", shuffle, NULL);
  return trainer;
}

NnOptimizer *
nn_test_make_optimizer (const char *name,
                        double      learning_rate)
{
  g_autoptr(GError) error = NULL;
  NnOptimizer *opt = nn_optimizer_new_by_name (name, &error);

  g_assert_no_error (error);
  nn_optimizer_set_learning_rate (opt, learning_rate);
  return opt;
}

NnLoss *
nn_test_make_loss (const char *name)
{
  g_autoptr(GError) error = NULL;
  NnLoss *loss = nn_loss_new_by_name (name, &error);

  g_assert_no_error (error);
  return loss;
}

/* A model with glorot-uniform weights drawn from @seed. */
NnModel *
nn_test_make_model (guint64             seed,
                    const guint        *widths,
                    const char * const *activations,
                    guint               n_layers,
                    NnLoss             *loss,
                    NnOptimizer        *optimizer)
{
  NnModel *model = nn_model_new ();

  nn_model_set_seed (model, seed);
  for (guint i = 0; i < n_layers; i++)
    {
      g_autoptr(NnLayer) layer = nn_test_make_layer (widths[i], widths[i + 1], activations[i]);
      nn_model_add_layer (model, layer);
    }
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, optimizer);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  return model;
}

/* Whether @a and @b have the same parameters, to the bit. */
gboolean
nn_test_same_parameters (NnModel *a,
                         NnModel *b)
{
  if (nn_model_get_n_parameters (a) != nn_model_get_n_parameters (b))
    return FALSE;
  for (guint p = 0; p < nn_model_get_n_parameters (a); p++)
    {
      NnMatrix *pa = nn_model_get_parameter (a, p), *pb = nn_model_get_parameter (b, p);

      if (!nn_matrix_same_shape (pa, pb) ||
          memcmp (pa->data, pb->data, nn_matrix_size (pa) * sizeof (nn_real)) != 0)
        return FALSE;
    }
  return TRUE;
}

/* Copies of @model's parameters, for nn_test_parameters_equal (). */
GPtrArray *
nn_test_copy_parameters (NnModel *model)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_matrix_free);

  for (guint p = 0; p < nn_model_get_n_parameters (model); p++)
    g_ptr_array_add (copy, nn_matrix_copy (nn_model_get_parameter (model, p)));
  return copy;
}

gboolean
nn_test_parameters_equal (NnModel   *model,
                          GPtrArray *copy)
{
  for (guint p = 0; p < copy->len; p++)
    {
      const NnMatrix *m = nn_model_get_parameter (model, p), *c = copy->pdata[p];

      if (memcmp (m->data, c->data, nn_matrix_size (c) * sizeof (nn_real)) != 0)
        return FALSE;
    }
  return TRUE;
}

/* The largest |value| of @m. */
double
nn_test_max_abs (const NnMatrix *m)
{
  double top = 0;

  for (gsize i = 0; i < nn_matrix_size (m); i++)
    top = MAX (top, fabs (m->data[i]));
  return top;
}

/* The largest difference between the parameters of @a and @b relative to
 * their size (at least 0.01). */
double
nn_test_parameter_difference (NnModel *a,
                              NnModel *b)
{
  double worst = 0;

  for (guint p = 0; p < nn_model_get_n_parameters (a); p++)
    {
      const NnMatrix *pa = nn_model_get_parameter (a, p), *pb = nn_model_get_parameter (b, p);

      for (gsize i = 0; i < nn_matrix_size (pa); i++)
        worst = MAX (worst, fabs (pa->data[i] - pb->data[i]) / MAX (fabs (pa->data[i]), 1e-2));
    }
  return worst;
}
#define NN_TYPE_TEST_EPOCH_CALLBACK (nn_test_epoch_callback_get_type ())
G_DECLARE_FINAL_TYPE (NnTestEpochCallback,
                      nn_test_epoch_callback,
                      NN,
                      TEST_EPOCH_CALLBACK,
                      NnTrainerCallback)

struct _NnTestEpochCallback
{
  NnTrainerCallback parent_instance;

  NnTestEpochFunc func;
  gpointer        data;
};

G_DEFINE_FINAL_TYPE (NnTestEpochCallback, nn_test_epoch_callback, NN_TYPE_TRAINER_CALLBACK)

static gboolean
nn_test_epoch_callback_epoch_end (NnTrainerCallback *callback,
                                  NnTrainer         *trainer,
                                  guint              epoch,
                                  GError           **error)
{
  NnTestEpochCallback *self = NN_TEST_EPOCH_CALLBACK (callback);

  self->func (trainer, epoch, self->data);
  return TRUE;
}

static void
nn_test_epoch_callback_class_init (NnTestEpochCallbackClass *klass)
{
  NN_TRAINER_CALLBACK_CLASS (klass)->epoch_end = nn_test_epoch_callback_epoch_end;
}

static void
nn_test_epoch_callback_init (NnTestEpochCallback *self)
{
}

NnTrainerCallback *
nn_test_epoch_callback_new (NnTestEpochFunc func,
                            gpointer        data)
{
  NnTestEpochCallback *self = g_object_new (NN_TYPE_TEST_EPOCH_CALLBACK, NULL);

  self->func = func;
  self->data = data;
  return NN_TRAINER_CALLBACK (self);
}

int
nn_test_require_env (const char *first_name,
                     ...)
{
  int     missing = 0;
  va_list ap;

  va_start (ap, first_name);
  for (const char *name = first_name; name != NULL; name = va_arg (ap, const char *))
    if (g_getenv (name) == NULL)
      {
        g_printerr ("%s is not set: run this test through meson test\n", name);
        missing = 1;
      }
  va_end (ap);
  return missing;
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

static char *scratch_dir;

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
  char            *dir = g_build_filename (scratch_root (), name, NULL);

  g_mkdir_with_parents (dir, 0700);
  return dir;
}

/* One folder of the scratch folder for the files of a whole suite. */
const char *
nn_test_scratch_dir (void)
{
  if (scratch_dir == NULL)
    scratch_dir = nn_test_new_dir ();
  return scratch_dir;
}

int
nn_test_remove_scratch (void)
{
  if (scratch != NULL)
    nn_test_rm_rf (scratch);
  g_clear_pointer (&scratch, g_free);
  g_clear_pointer (&scratch_dir, g_free);
  return 0;
}

char *
nn_test_write_bytes (const char *dir,
                     const char *name,
                     const void *data,
                     gsize       length)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert (g_file_set_contents (path, data, (gssize) length, NULL));
  return path;
}

char *
nn_test_write_file (const char *dir,
                    const char *name,
                    const char *text)
{
  return nn_test_write_bytes (dir, name, text, strlen (text));
}

char *
nn_test_source_file (const char *relative)
{
  return g_build_filename (g_getenv ("NN_SOURCE_ROOT"), relative, NULL);
}

/* @first and the arguments after it up to NULL, NULL-terminated. */
static GPtrArray *
collect_args (const char *first,
              va_list     ap)
{
  GPtrArray *args = g_ptr_array_new ();

  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  g_ptr_array_add (args, NULL);
  return args;
}

int
nn_test_spawn_argv (char              **envp,
                    char              **out,
                    char              **err,
                    const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  if (!g_spawn_sync (scratch_root (), (char **) argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     out, err, &wait_status, &error))
    {
      g_printerr ("running %s: %s\n", argv[0], error->message);
      return -1;
    }
  if (!WIFEXITED (wait_status))
    return -1;
  return WEXITSTATUS (wait_status);
}

gboolean
nn_test_python_has_numpy (void)
{
  const char *argv[] = { NN_TEST_PYTHON, "-c", "import numpy", NULL };
  int         status;

  if (!g_file_test (NN_TEST_PYTHON, G_FILE_TEST_IS_EXECUTABLE))
    return FALSE;
  return g_spawn_sync (NULL, (char **) argv, NULL,
                       G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                       NULL, NULL, NULL, NULL, &status, NULL) &&
         g_spawn_check_wait_status (status, NULL);
}

int
nn_test_spawn (char      **envp,
               char      **out,
               char      **err,
               const char *program,
               ...)
{
  g_autoptr(GPtrArray) argv = NULL;
  va_list ap;

  va_start (ap, program);
  argv = collect_args (program, ap);
  va_end (ap);
  return nn_test_spawn_argv (envp, out, err, (const char * const *) argv->pdata);
}

int
nn_test_nnrun_argv (char              **out,
                    char              **err,
                    const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (gpointer) g_getenv ("NNRUN"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  return nn_test_spawn_argv (NULL, out, err, (const char * const *) argv->pdata);
}

int
nn_test_nnrun (char      **out,
               char      **err,
               const char *first_arg,
               ...)
{
  g_autoptr(GPtrArray) args = NULL;
  va_list ap;

  va_start (ap, first_arg);
  args = collect_args (first_arg, ap);
  va_end (ap);
  return nn_test_nnrun_argv (out, err, (const char * const *) args->pdata);
}

void
nn_test_assert_bad_file_at (const char *file,
                            int         test_line,
                            const char *text,
                            GQuark      domain,
                            int         code,
                            guint       line,
                            guint       column,
                            ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "bad.yaml", text);
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file (path, &error);
  g_autofree char *prefix = g_strdup_printf ("%s:%u:%u: error: ", path, line, column);
  const char      *needle;
  va_list          args;

  nn_test_check_at (e == NULL, file, test_line, "the bad file loaded");
  nn_test_check_at (g_error_matches (error, domain, code), file, test_line,
                    "expected error %s/%d, got %s", g_quark_to_string (domain), code,
                    error ? error->message : "none");
  if (error == NULL)
    return;

  nn_test_check_at (g_str_has_prefix (error->message, prefix), file, test_line,
                    "'%s' does not start with '%s'", error->message, prefix);
  va_start (args, column);
  while ((needle = va_arg (args, const char *)) != NULL)
    nn_test_assert_contains_at (error->message, needle, file, test_line);
  va_end (args);
}

/* Line by line: the bad files of the experiment tests name lines of it. */
const char nn_test_base_experiment[] =
  "seed: 1\n"                               /* 1 */
  "data:\n"                                 /* 2 */
  "  source: iris\n"                        /* 3 */
  "  positive: setosa\n"                    /* 4 */
  "model:\n"                                /* 5 */
  "  layers:\n"                             /* 6 */
  "    - {units: 2, activation: sigmoid}\n" /* 7 */
  "    - {units: 1, activation: sigmoid}\n" /* 8 */
  "train: {epochs: 2}\n";                   /* 9 */

void
nn_test_assert_message_at (const GError *error,
                           const char   *want,
                           const char   *file,
                           int           line)
{
  nn_test_check_at (error != NULL && g_str_equal (error->message, want), file, line,
                    "message\n    '%s'\n  expected\n    '%s'",
                    error ? error->message : "(no error)", want);
}

/* No data set, and the error @code with the message @want. */
void
nn_test_assert_data_refused_at (NnDataset    *data,
                                const GError *error,
                                NnDataError   code,
                                const char   *want,
                                const char   *file,
                                int           line)
{
  nn_test_check_at (data == NULL, file, line, "a data set from malformed input");
  nn_test_check_at (g_error_matches (error, NN_DATA_ERROR, code), file, line,
                    "expected error code %d, got %s", code,
                    error ? error->message : "a data set");
  nn_test_assert_message_at (error, want, file, line);
}

void
nn_test_assert_row_at (const NnMatrix *m,
                       guint           row,
                       const double   *want,
                       const char     *file,
                       int             line)
{
  for (guint c = 0; c < m->cols; c++)
    nn_test_check_at (NN_MATRIX_AT (m, row, c) == (nn_real) want[c], file, line,
                      "[%u, %u] = %g, expected %g", row, c, (double) NN_MATRIX_AT (m, row, c),
                      want[c]);
}

void
nn_test_assert_strv_at (const char * const *got,
                        const char * const *want,
                        const char         *file,
                        int                 line)
{
  g_autofree char *g = got ? g_strjoinv ("|", (char **) got) : g_strdup ("(null)");
  g_autofree char *w = g_strjoinv ("|", (char **) want);

  nn_test_check_at (got != NULL && g_strv_equal (got, want), file, line,
                    "'%s', expected '%s'", g, w);
}

gboolean
nn_test_contains (const char *haystack,
                  const char *needle)
{
  return haystack != NULL && strstr (haystack, needle) != NULL;
}

char *
nn_test_env_file (const char *variable,
                  const char *file)
{
  return g_build_filename (g_getenv (variable), file, NULL);
}

/* The raw text of a member's value in a JSON text, quotes removed; enough
 * for the flat members of summary.json without a JSON parser. */
static char *
json_member (const char *text,
             const char *key)
{
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", key);
  const char      *p = text ? strstr (text, quoted) : NULL;
  const char      *end;

  if (p == NULL)
    return NULL;
  p += strlen (quoted);
  while (g_ascii_isspace (*p))
    p++;
  if (*p++ != ':')
    return NULL;
  while (g_ascii_isspace (*p))
    p++;
  if (*p == '"')
    {
      end = strchr (++p, '"');
      return end ? g_strndup (p, end - p) : NULL;
    }
  for (end = p; *end && *end != ',' && *end != '}' && !g_ascii_isspace (*end); end++)
    ;
  return g_strndup (p, end - p);
}

char *
nn_test_history_without_seconds (const char *run_dir)
{
  g_autofree char *path = g_build_filename (run_dir, "history.csv", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GString *s = g_string_new (NULL);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_string_free (s, FALSE);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *comma = strrchr (lines[i], ',');

      if (comma != NULL)
        *comma = '\0';
      g_string_append_printf (s, "%s\n", lines[i]);
    }
  return g_string_free (s, FALSE);
}

char *
nn_test_summary_member (const char *run_dir,
                        const char *key)
{
  g_autofree char *path = g_build_filename (run_dir, "summary.json", NULL);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return json_member (text, key);
}

void
nn_test_check_at (gboolean    ok,
                  const char *file,
                  int         line,
                  const char *format,
                  ...)
{
  g_autofree char *msg = NULL;
  va_list          args;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  CU_assertImplementation (ok, line, msg, file, "", CU_FALSE);
}

void
nn_test_assert_contains_at (const char *text,
                            const char *needle,
                            const char *file,
                            int         line)
{
  nn_test_check_at (text != NULL && strstr (text, needle) != NULL, file, line,
                    "\"%s\" not in: %s", needle, text ? text : "(null)");
}

/* Name → contents (GBytes, empty for what cannot be read) of every entry in
 * @dir, to tell afterwards what a run changed. */
GHashTable *
nn_test_snapshot_dir (const char *dir)
{
  GHashTable *files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) g_bytes_unref);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      char            *contents = NULL;
      gsize            length = 0;

      g_file_get_contents (path, &contents, &length, NULL);
      g_hash_table_insert (files, g_strdup (name), g_bytes_new_take (contents, length));
    }
  return files;
}

/* @after holds exactly the files of @before, byte for byte. */
void
nn_test_assert_same_files_at (GHashTable *before,
                              GHashTable *after,
                              const char *file,
                              int         line)
{
  GHashTableIter iter;
  gpointer       name, contents;

  nn_test_check_at (g_hash_table_size (after) == g_hash_table_size (before), file, line,
                    "%u files, %u before", g_hash_table_size (after),
                    g_hash_table_size (before));
  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &name, &contents))
    {
      GBytes *now = g_hash_table_lookup (after, name);

      nn_test_check_at (now != NULL && g_bytes_equal (now, contents), file, line,
                        "%s changed", (const char *) name);
    }
}

/* A value-printing closeness check of element @index of @what, at @line. */
void
nn_test_assert_close_at (double      got,
                         double      want,
                         double      rtol,
                         double      atol,
                         const char *what,
                         gsize       index,
                         int         line)
{
  g_autofree char *msg = g_strdup_printf ("%s[%" G_GSIZE_FORMAT "] = %.12g, expected %.12g "
                                          "(rtol %g, atol %g)",
                                          what, index, got, want, rtol, atol);

  CU_assertImplementation (nn_test_close (got, want, rtol, atol), line, msg,
                           __FILE__, "", CU_FALSE);
}

char *
nn_test_read_text (const char *dir,
                   const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char            *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

void
nn_test_train_into (const char *experiment,
                    const char *run,
                    const char *set)
{
  g_autofree char *err = NULL;
  int              status = set ? nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", run,
                                                 "--set", set, NULL)
                                : nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--out", run, NULL);

  NN_ASSERT_STATUS (status, 0, err);
}

int
nn_test_build_plugin (const char *source,
                      const char *library,
                      char      **err)
{
  g_autofree char *command = NULL;
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "PKG_CONFIG_PATH",
                                          g_getenv ("NN_TEST_PKG_CONFIG_PATH"), TRUE);
  g_autofree char *q_cc = g_shell_quote (g_getenv ("NN_TEST_CC"));
  g_autofree char *q_source = g_shell_quote (source);
  g_autofree char *q_library = g_shell_quote (library);

  /* The guide's command, with the build tree's nncore; -Wall -Werror to keep
   * what users start from clean. */
  command = g_strdup_printf ("%s -Wall -Werror -shared -fPIC %s "
                             "$(pkg-config --cflags --libs nncore-uninstalled) -o %s",
                             q_cc, q_source, q_library);
  return nn_test_spawn (envp, NULL, err, "sh", "-c", command, NULL);
}
