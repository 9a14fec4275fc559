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

/* Scratch folders, removed by nn_test_remove_scratch () (a suite cleanup). */
char     *nn_test_new_dir         (void);
int       nn_test_remove_scratch  (void);
void      nn_test_rm_rf           (const char *path);
char     *nn_test_write_file      (const char *dir,
                                   const char *name,
                                   const char *text);
char     *nn_test_source_file     (const char *relative);

/* Runs $NNRUN with the arguments (NULL-terminated) in the scratch folder;
 * returns its exit status, or -1 if it did not exit normally. */
int       nn_test_nnrun           (char      **out,
                                   char      **err,
                                   const char *first_arg,
                                   ...) G_GNUC_NULL_TERMINATED;
int       nn_test_nnrun_argv      (char               **out,
                                   char               **err,
                                   const char * const  *args);

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
