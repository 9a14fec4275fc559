/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared helpers of the CUnit suites. */
#pragma once

#include <CUnit/CUnit.h>
#include <nn.h>

/* Finite-difference tolerances: tight in the double build. In the float
 * build a central difference errs by about eps / h + h² (eps ~ 1e-7): with
 * h = 1e-2 that is a few 1e-4, so 5e-3 relative still catches a derivative
 * that is 1 % off. */
#if NN_REAL_IS_DOUBLE
#define NN_TEST_FD_STEP 1e-6
#define NN_TEST_FD_RTOL 1e-6
#define NN_TEST_FD_ATOL 1e-8
#else
#define NN_TEST_FD_STEP 1e-2
#define NN_TEST_FD_RTOL 5e-3
#define NN_TEST_FD_ATOL 5e-4
#endif

int       nn_test_run             (void);
int       nn_test_init_plugins    (void);
gboolean  nn_test_close           (double a,
                                   double b,
                                   double rtol,
                                   double atol);
NnMatrix *nn_test_random_matrix   (GRand *rand,
                                   guint  rows,
                                   guint  cols,
                                   double lo,
                                   double hi);

void      nn_test_assert_close_at (double      got,
                                   double      want,
                                   double      rtol,
                                   double      atol,
                                   const char *what,
                                   gsize       index,
                                   int         line);
NnMatrix *nn_test_matrix_from_doubles (guint         rows,
                                       guint         cols,
                                       const double *values);
NnMatrix *nn_test_one_hot         (GRand *rand,
                                   guint  rows,
                                   guint  classes);
NnLayer  *nn_test_make_layer      (guint       n_inputs,
                                   guint       units,
                                   const char *activation);
NnTrainer *nn_test_make_trainer   (NnModel    *model,
                                   guint       epochs,
                                   guint       batch_size,
                                   gboolean    shuffle);
NnOptimizer *nn_test_make_optimizer (const char *name,
                                     double      learning_rate);
NnLoss   *nn_test_make_loss       (const char *name);
/* @n_layers dense layers from @widths[0] inputs to @widths[i + 1] units. */
NnModel  *nn_test_make_model      (guint64             seed,
                                   const guint        *widths,
                                   const char * const *activations,
                                   guint               n_layers,
                                   NnLoss             *loss,
                                   NnOptimizer        *optimizer);
gboolean  nn_test_same_parameters (NnModel *a,
                                   NnModel *b);
GPtrArray *nn_test_copy_parameters (NnModel *model);
gboolean  nn_test_parameters_equal (NnModel   *model,
                                    GPtrArray *copy);
double    nn_test_max_abs         (const NnMatrix *m);
double    nn_test_parameter_difference (NnModel *a,
                                        NnModel *b);

/* A trainer callback that calls @func at the end of every epoch. */
typedef void (*NnTestEpochFunc) (NnTrainer *trainer,
                                 guint      epoch,
                                 gpointer   data);

NnTrainerCallback *nn_test_epoch_callback_new (NnTestEpochFunc func,
                                               gpointer        data);

/* Suite init: 0 if every named variable (NULL-terminated) is set, else 1
 * with a message; the variables come from meson test. */
int       nn_test_require_env     (const char *first_name,
                                   ...) G_GNUC_NULL_TERMINATED;

/* The Python that the interoperability checks run. They need NumPy, which
 * only `tools/install-deps --reference` installs: a suite registers them
 * only where nn_test_python_has_numpy () holds, and says so otherwise. */
#define NN_TEST_PYTHON "/usr/bin/python3"
gboolean  nn_test_python_has_numpy (void);

/* Scratch folders, removed by nn_test_remove_scratch () (a suite cleanup). */
char     *nn_test_new_dir         (void);
/* One folder of the scratch folder, the same until nn_test_remove_scratch (). */
const char *nn_test_scratch_dir   (void);
int       nn_test_remove_scratch  (void);
void      nn_test_rm_rf           (const char *path);
char     *nn_test_write_file      (const char *dir,
                                   const char *name,
                                   const char *text);
char     *nn_test_write_bytes     (const char *dir,
                                   const char *name,
                                   const void *data,
                                   gsize       length);
char     *nn_test_source_file     (const char *relative);

/* Runs a program (found on PATH) with the arguments (NULL-terminated) in
 * the scratch folder, with @envp (NULL: this process's environment);
 * returns its exit status, or -1 if it did not exit normally. */
int       nn_test_spawn           (char      **envp,
                                   char      **out,
                                   char      **err,
                                   const char *program,
                                   ...) G_GNUC_NULL_TERMINATED;
int       nn_test_spawn_argv      (char               **envp,
                                   char               **out,
                                   char               **err,
                                   const char * const  *argv);

/* The same for $NNRUN. */
int       nn_test_nnrun           (char      **out,
                                   char      **err,
                                   const char *first_arg,
                                   ...) G_GNUC_NULL_TERMINATED;
int       nn_test_nnrun_argv      (char               **out,
                                   char               **err,
                                   const char * const  *args);

/* history.csv of @run_dir without its last column, the seconds, which
 * differ from run to run: the part two runs of one experiment share. */
char     *nn_test_history_without_seconds (const char *run_dir);
/* Whether @haystack (NULL: none) holds @needle. */
gboolean  nn_test_contains        (const char *haystack,
                                   const char *needle);
/* @file in the folder that the environment variable @variable names. */
char     *nn_test_env_file        (const char *variable,
                                   const char *file);
/* The text of @dir/@name, "" if it cannot be read. */
char     *nn_test_read_text (const char *dir,
                             const char *name);
/* nnrun train @experiment --quiet --out @run [--set @set], asserting exit 0. */
void      nn_test_train_into (const char *experiment,
                              const char *run,
                              const char *set);
/* Builds @source into the plugin @library with the guide's command against
 * the build tree's nncore; returns the exit status, stderr in @err. */
int       nn_test_build_plugin (const char *source,
                                const char *library,
                                char      **err);

/* The raw text of a flat member's value in @run_dir/summary.json, quotes
 * removed, or NULL. */
char     *nn_test_summary_member  (const char *run_dir,
                                   const char *key);

/* Assertions that report at @file:@line with a printf message. */
void      nn_test_check_at        (gboolean    ok,
                                   const char *file,
                                   int         line,
                                   const char *format,
                                   ...) G_GNUC_PRINTF (4, 5);
void      nn_test_assert_contains_at (const char *text,
                                      const char *needle,
                                      const char *file,
                                      int         line);

/* Writes @text to a new experiment file and checks that loading it fails
 * with @domain/@code and a message "PATH:LINE:COLUMN: error: " holding every
 * string of the NULL-terminated list after @column; failures are reported
 * at @file:@test_line. */
void      nn_test_assert_bad_file_at (const char *file,
                                      int         test_line,
                                      const char *text,
                                      GQuark      domain,
                                      int         code,
                                      guint       line,
                                      guint       column,
                                      ...) G_GNUC_NULL_TERMINATED;
#define NN_ASSERT_BAD_FILE(text, code, line, column, ...)                                  \
  nn_test_assert_bad_file_at (__FILE__, __LINE__, (text), NN_CONFIG_ERROR, (code), (line), \
                              (column), __VA_ARGS__, NULL)

/* A valid binary experiment on Iris, nine lines; the bad files of the
 * experiment tests are this with one change, so each fails for that change
 * alone. */
extern const char nn_test_base_experiment[];

/* The lines of a CSV file, each split at commas; row 0 is the header. */
GPtrArray *nn_test_read_csv       (const char *path);
/* The column @name of history.csv in @run_dir, as text, one per epoch. */
GStrv     nn_test_history_column  (const char *run_dir,
                                   const char *name);

/* Data files: @name in tests/data, gzip of @data, and an IDX file of the
 * magic number's data type and dimensions, the sizes, then @n_values bytes
 * of values v[i] = (3 i + 1) mod 256. */
char     *nn_test_data_path       (const char *name);
GBytes   *nn_test_gzip_bytes      (const void *data,
                                   gsize       length);
GByteArray *nn_test_idx_bytes     (guint8         dtype,
                                   guint          ndim,
                                   const guint32 *dims,
                                   gsize          n_values);

/* Checks of data sets and their errors that report at @file:@line: the
 * message is @want; no data set, and the error @code with the message @want;
 * row @row of @m is @want; the strings are @want. */
void      nn_test_assert_message_at (const GError *error,
                                     const char   *want,
                                     const char   *file,
                                     int           line);
void      nn_test_assert_data_refused_at (NnDataset    *data,
                                          const GError *error,
                                          NnDataError   code,
                                          const char   *want,
                                          const char   *file,
                                          int           line);
void      nn_test_assert_row_at   (const NnMatrix *m,
                                   guint           row,
                                   const double   *want,
                                   const char     *file,
                                   int             line);
void      nn_test_assert_strv_at  (const char * const *got,
                                   const char * const *want,
                                   const char         *file,
                                   int                 line);
#define NN_ASSERT_MESSAGE(error, want) \
  nn_test_assert_message_at ((error), (want), __FILE__, __LINE__)
#define NN_ASSERT_ROW(m, row, want) nn_test_assert_row_at ((m), (row), (want), __FILE__, __LINE__)
#define NN_ASSERT_STRV(got, want) nn_test_assert_strv_at ((got), (want), __FILE__, __LINE__)

/* What an SVG document says about itself. */
typedef struct
{
  guint    depth;
  char    *root;
  double   width;
  double   height;
  char    *width_unit;
  GString *text; /* the text of each <text> element, each between '|' */
  guint    in_text;
} NnTestSvg;

/* Parses @path as XML into @info, to be cleared by nn_test_svg_clear ()
 * whatever it returns; FALSE, with a failed assertion, if it is not
 * well-formed. */
gboolean  nn_test_read_svg        (const char *path,
                                   NnTestSvg  *info);
void      nn_test_svg_clear       (NnTestSvg  *info);
/* How many <text> elements read @text, exactly; whether any does. */
guint     nn_test_svg_count_text  (const NnTestSvg *info,
                                   const char      *text);
gboolean  nn_test_svg_has_text    (const NnTestSvg *info,
                                   const char      *text);
/* Reads the PNG signature and the IHDR chunk that must follow it: FALSE if
 * @path is not a PNG image. */
gboolean  nn_test_read_png_size   (const char *path,
                                   guint32    *width,
                                   guint32    *height);

/* The files of a folder, and a check that two such snapshots are the same. */
GHashTable *nn_test_snapshot_dir  (const char *dir);
void      nn_test_assert_same_files_at (GHashTable *before,
                                        GHashTable *after,
                                        const char *file,
                                        int         line);
#define NN_ASSERT_SAME_FILES(before, after) \
  nn_test_assert_same_files_at ((before), (after), __FILE__, __LINE__)

/* An assertion whose failure message says what was found. */
#define NN_CHECK(cond, ...) nn_test_check_at ((cond), __FILE__, __LINE__, __VA_ARGS__)

#define NN_ASSERT_CONTAINS(text, needle) \
  nn_test_assert_contains_at ((text), (needle), __FILE__, __LINE__)

#define NN_ASSERT_STATUS(got, want, err)                                                 \
  nn_test_check_at ((got) == (want), __FILE__, __LINE__,                                 \
                    "exit status %d, expected %d; stderr: %s", (got), (want),            \
                    (err) ? (err) : "")

#define NN_ASSERT_CMPFLOAT(a, b, rtol, atol)                                          \
  G_STMT_START {                                                                      \
    double _a = (a), _b = (b);                                                        \
    g_autofree char *_msg = g_strdup_printf ("%s = %.12g, %s = %.12g (rtol %g, atol %g)", \
                                             #a, _a, #b, _b, (double) (rtol),         \
                                             (double) (atol));                        \
    CU_assertImplementation (nn_test_close (_a, _b, (rtol), (atol)), __LINE__, _msg,  \
                             __FILE__, "", CU_FALSE);                                 \
  } G_STMT_END

#define NN_ASSERT_NO_ERROR(err)                                                       \
  G_STMT_START {                                                                      \
    g_autofree char *_msg = g_strdup_printf ("unexpected error: %s",                  \
                                             (err) ? (err)->message : "");            \
    CU_assertImplementation ((err) == NULL, __LINE__, _msg, __FILE__, "", CU_FALSE);  \
  } G_STMT_END

#define NN_ASSERT_ERROR(err, domain, code)                                            \
  G_STMT_START {                                                                      \
    g_autofree char *_msg = g_strdup_printf ("expected error %s/%d, got %s",          \
                                             #domain, (int) (code),                   \
                                             (err) ? (err)->message : "none");        \
    CU_assertImplementation (g_error_matches ((err), (domain), (code)), __LINE__,     \
                             _msg, __FILE__, "", CU_FALSE);                           \
  } G_STMT_END
