/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The products large enough for the build's engine (oneDNN's matmul or the
 * BLAS): every transpose, scale and bias against sums in double, and on
 * oneDNN one primitive a shape, made the first time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <CUnit/CUnit.h>
#include <glib/gstdio.h>

#ifdef NN_TEST_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

#include "nn-test.h"

/* Sums of up to 784 products of values in [-1, 1] in float: far above the
 * rounding of any order of the terms, far below a wrong term. */
#define TOL (NN_REAL_IS_DOUBLE ? 1e-12 : 2e-4)

/* m × n × k, each above the 32 768 multiply-adds of the library's own
 * small kernels. */
static const guint shapes[][3] = {
  { 64, 64, 64 },
  { 200, 9, 30 },
  { 33, 70, 50 },
  { 128, 256, 784 },
  { 10, 128, 128 },
};

static double
sum_at (const NnMatrix *a,
        const NnMatrix *b,
        gboolean        ta,
        gboolean        tb,
        guint           i,
        guint           j,
        guint           k)
{
  double sum = 0;

  for (guint p = 0; p < k; p++)
    sum += (double) (ta ? NN_MATRIX_AT (a, p, i) : NN_MATRIX_AT (a, i, p)) *
           (tb ? NN_MATRIX_AT (b, j, p) : NN_MATRIX_AT (b, p, j));
  return sum;
}

/* The default thread count is OpenMP's, which oneDNN's products, kept to
 * one OpenMP thread each, do not change: asked for after the first. Runs
 * first, before anything sets or asks for the count. */
static void
test_default_n_threads_after_a_product (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(NnMatrix) a = nn_test_random_matrix (rand, 64, 64, -1, 1);
  g_autoptr(NnMatrix) b = nn_test_random_matrix (rand, 64, 64, -1, 1);
  g_autoptr(NnMatrix) c = nn_matrix_new (64, 64);
  const char *env = g_getenv ("OMP_NUM_THREADS");
  guint       expected = env != NULL && *env != '\0' ? (guint) atoi (env) : g_get_num_processors ();

  if (!g_str_equal (nn_matrix_get_engine_name (), "oneDNN"))
    return;
  nn_matrix_gemm (FALSE, FALSE, 1, a, b, 0, c);
  NN_ASSERT_CMPFLOAT (nn_matrix_get_n_threads (), expected, 0, 0);
}

/* C = alpha op(A) op(B) + beta C, C not read when beta is 0 (NaN there). */
static void
test_products (void)
{
  static const double scales[][2] = { { 1, 0 }, { 0.5, 1 }, { -2, 0.25 } };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (guint ab = 0; ab < G_N_ELEMENTS (scales); ab++)
      for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
          {
            guint  m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
            double alpha = scales[ab][0], beta = scales[ab][1], worst = 0;
            g_autoptr(NnMatrix) a = ta ? nn_test_random_matrix (rand, k, m, -1, 1)
                                        : nn_test_random_matrix (rand, m, k, -1, 1);
            g_autoptr(NnMatrix) b = tb ? nn_test_random_matrix (rand, n, k, -1, 1)
                                        : nn_test_random_matrix (rand, k, n, -1, 1);
            g_autoptr(NnMatrix) c = nn_test_random_matrix (rand, m, n, -1, 1);
            g_autoptr(NnMatrix) c0 = NULL;

            if (beta == 0)
              nn_matrix_fill (c, NAN);
            c0 = nn_matrix_copy (c);
            nn_matrix_gemm (ta, tb, (nn_real) alpha, a, b, (nn_real) beta, c);
            for (guint i = 0; i < m; i++)
              for (guint j = 0; j < n; j++)
                {
                  double want = alpha * sum_at (a, b, ta, tb, i, j, k) +
                                (beta == 0 ? 0 : beta * NN_MATRIX_AT (c0, i, j));
                  double err = fabs (NN_MATRIX_AT (c, i, j) - want);

                  worst = isnan (err) ? INFINITY : MAX (worst, err);
                }
            NN_CHECK (worst <= TOL * k, "m %u n %u k %u alpha %g beta %g trans %d %d: error %g",
                      m, n, k, alpha, beta, ta, tb, worst);
          }
}

/* A dense layer's pre-activations Z = X Wᵀ + b, the bias added in the
 * product where the engine can. */
static void
test_linear_bias (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      guint m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
      g_autoptr(NnLayer) layer = nn_test_make_layer (k, n, "linear");
      g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, m, k, -1, 1);
      g_autoptr(NnMatrix) w = nn_test_random_matrix (rand, n, k, -1, 1);
      g_autoptr(NnMatrix) bias = nn_test_random_matrix (rand, 1, n, -1, 1);
      g_autoptr(GError) error = NULL;
      const NnMatrix *z;
      double          worst = 0;

      g_assert_true (nn_layer_set_parameters (layer, w, bias, &error));
      z = nn_layer_forward (layer, x);
      for (guint i = 0; i < m; i++)
        for (guint j = 0; j < n; j++)
          {
            double want = sum_at (x, w, FALSE, TRUE, i, j, k) + NN_MATRIX_AT (bias, 0, j);

            worst = MAX (worst, fabs (NN_MATRIX_AT (z, i, j) - want));
          }
      NN_CHECK (worst <= TOL * k, "m %u n %u k %u: error %g", m, n, k, worst);
    }
}

#ifdef NN_TEST_HAVE_ONEDNN
/* The lines of oneDNN's verbose output with @what in them while @run runs. */
static guint
count_verbose (void (*run) (void),
               const char *what)
{
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  int              saved, fd;
  guint            count = 0;

  fd = g_file_open_tmp ("nn-matmul-XXXXXX", &path, NULL);
  g_assert_cmpint (fd, >=, 0);
  fflush (stdout);
  saved = dup (STDOUT_FILENO);
  dup2 (fd, STDOUT_FILENO);
  dnnl_set_verbose (2);
  run ();
  dnnl_set_verbose (0);
  fflush (stdout);
  dup2 (saved, STDOUT_FILENO);
  close (saved);
  close (fd);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_unlink (path);
  for (const char *p = text; (p = strstr (p, what)) != NULL; p++)
    count++;
  return count;
}

/* Two shapes, five products each, the first again after the second. */
static void
run_products (void)
{
  g_autoptr(NnMatrix) a = nn_matrix_new (96, 100);
  g_autoptr(NnMatrix) b = nn_matrix_new (100, 48);
  g_autoptr(NnMatrix) c = nn_matrix_new (96, 48);
  g_autoptr(NnMatrix) d = nn_matrix_new (100, 48);

  for (guint r = 0; r < 5; r++)
    nn_matrix_gemm (FALSE, FALSE, 1, a, b, 0, c);
  for (guint r = 0; r < 5; r++)
    nn_matrix_gemm (TRUE, FALSE, 1, a, c, 0, d);
  for (guint r = 0; r < 5; r++)
    nn_matrix_gemm (FALSE, FALSE, 1, a, b, 0, c);
}

/* Fifteen products on oneDNN, from two primitives made once each. */
static void
test_primitives_reused (void)
{
  guint created, executed;

  if (!g_str_equal (nn_matrix_get_engine_name (), "oneDNN"))
    return;
  nn_matrix_set_n_threads (1);
  created = count_verbose (run_products, ",create:");
  executed = count_verbose (run_products, ",exec,");
  NN_CHECK (executed == 15, "%u products on oneDNN, not 15", executed);
  /* Made in the first count, only reused in the second. */
  NN_CHECK (created == 2, "%u primitives made for 2 shapes", created);
  created = count_verbose (run_products, ",create:");
  NN_CHECK (created == 0, "%u primitives made again", created);
}

/* Products of 300 shapes, more than a thread keeps primitives for, then
 * the first again. */
static void
run_many_shapes (void)
{
  g_autoptr(NnMatrix) a = nn_matrix_new (400, 64);
  g_autoptr(NnMatrix) b = nn_matrix_new (64, 64);
  g_autoptr(NnMatrix) c = nn_matrix_new (400, 64);

  for (guint rows = 100; rows < 400; rows++)
    {
      NnMatrix a_rows = nn_matrix_view_rows (a, 0, rows);
      NnMatrix c_rows = nn_matrix_view_rows (c, 0, rows);

      nn_matrix_gemm (FALSE, FALSE, 1, &a_rows, b, 0, &c_rows);
    }
}

static void
run_first_shape (void)
{
  g_autoptr(NnMatrix) a = nn_matrix_new (100, 64);
  g_autoptr(NnMatrix) b = nn_matrix_new (64, 64);
  g_autoptr(NnMatrix) c = nn_matrix_new (100, 64);

  nn_matrix_gemm (FALSE, FALSE, 1, a, b, 0, c);
}

/* A thread keeps a bounded number of primitives: the oldest go. */
static void
test_primitives_bounded (void)
{
  if (!g_str_equal (nn_matrix_get_engine_name (), "oneDNN"))
    return;
  nn_matrix_set_n_threads (1);
  NN_CHECK (count_verbose (run_many_shapes, ",create:") == 300, "300 shapes");
  NN_CHECK (count_verbose (run_first_shape, ",create:") == 1,
            "the primitive of the first of 300 shapes kept");
}

/* The operands of one product, for count_verbose(). */
static struct
{
  gboolean  trans_b;
  nn_real   beta;
  NnMatrix *a, *b, *c;
} counted;

/* Runs enough for a product on several threads to try every way of
 * sharing it (see choose_split() in nn-matmul-onednn.c): each once to
 * make its parts, then each once timed. */
#define RUNS_EVERY_WAY 8

static void
run_counted_products (void)
{
  for (guint r = 0; r < RUNS_EVERY_WAY; r++)
    nn_matrix_gemm (FALSE, counted.trans_b, 1, counted.a, counted.b, counted.beta, counted.c);
}

/* The lines of oneDNN's log with @what for RUNS_EVERY_WAY products of
 * @m × @k by @k × @n (given as its transpose where @trans_b) that add
 * @beta C, on @n_threads threads, after one that made its primitive. */
static guint
count_product_executions (guint       m,
                          guint       k,
                          guint       n,
                          gboolean    trans_b,
                          nn_real     beta,
                          guint       n_threads,
                          const char *what)
{
  g_autoptr(NnMatrix) a = nn_matrix_new (m, k);
  g_autoptr(NnMatrix) b = trans_b ? nn_matrix_new (n, k) : nn_matrix_new (k, n);
  g_autoptr(NnMatrix) c = nn_matrix_new (m, n);

  counted.trans_b = trans_b;
  counted.beta = beta;
  counted.a = a;
  counted.b = b;
  counted.c = c;
  nn_matrix_set_n_threads (n_threads);
  nn_matrix_gemm (FALSE, trans_b, 1, a, b, beta, c);
  return count_verbose (run_counted_products, what);
}

/* A product shared between threads, in chunks of rows or of columns,
 * gives what it gives on one thread, to the bit:
 * every value of C is the same sum in the same order, whichever thread
 * makes it. For every transpose, with a bias, with beta, in bf16 where
 * there is bf16, with rows or columns that do not divide evenly, and at
 * the shapes of a 784-256 layer's products at batches of 128 and 64,
 * where some chunks take other kernels than the whole product. */
static void
test_shared_products_exact (void)
{
  static const guint products[][3] = {
    { 40, 900, 250 },
    { 64, 600, 250 },
    { 129, 700, 100 },
    { 200, 450, 100 },
    { 333, 300, 100 },
    { 128, 784, 256 },
    { 64, 784, 256 },
    { 256, 128, 784 },
    { 256, 64, 784 },
  };
  NnPrecision precisions[] = { NN_PRECISION_FLOAT32, NN_PRECISION_BF16 };

  if (!g_str_equal (nn_matrix_get_engine_name (), "oneDNN"))
    return;
  for (guint p = 0; p < G_N_ELEMENTS (precisions); p++)
    for (guint r = 0; r < G_N_ELEMENTS (products); r++)
      for (guint t = 0; t < 4; t++)
        {
          gboolean ta = t & 1, tb = (t >> 1) & 1;
          guint    m = products[r][0], k = products[r][1], n = products[r][2];
          g_autoptr(GRand) rand = g_rand_new_with_seed (1);
          g_autoptr(NnMatrix) a = nn_test_random_matrix (rand, ta ? k : m, ta ? m : k, -1, 1);
          g_autoptr(NnMatrix) b = nn_test_random_matrix (rand, tb ? n : k, tb ? k : n, -1, 1);
          g_autoptr(NnMatrix) c1 = nn_test_random_matrix (rand, m, n, -1, 1);
          g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, m, k, -1, 1);
          g_autoptr(NnMatrix) c0 = nn_matrix_copy (c1);
          g_autoptr(NnMatrix) c3 = nn_matrix_new (m, n);
          g_autoptr(NnLayer) layer = nn_test_make_layer (k, n, "linear");
          g_autoptr(NnMatrix) z1 = nn_matrix_new (m, n);
          g_autoptr(NnMatrix) z3 = nn_matrix_new (m, n);
          g_autoptr(NnMatrix) weights = nn_test_random_matrix (rand, n, k, -1, 1);
          g_autoptr(NnMatrix) bias = nn_test_random_matrix (rand, 1, n, -1, 1);

          if (!nn_matrix_check_precision (precisions[p], NULL))
            continue;
          g_assert_true (nn_layer_set_parameters (layer, weights, bias, NULL));
          nn_matrix_set_precision (precisions[p]);
          nn_matrix_set_n_threads (1);
          nn_matrix_gemm (ta, tb, 0.5, a, b, 1, c1);
          nn_matrix_copy_into (nn_layer_forward (layer, x), z1);
          nn_matrix_set_n_threads (3);
          /* A product on several threads runs on one and shared each
           * way in turn while they are timed: every run is checked. */
          for (guint run = 0; run < RUNS_EVERY_WAY; run++)
            {
              nn_matrix_copy_into (c0, c3);
              nn_matrix_gemm (ta, tb, 0.5, a, b, 1, c3);
              nn_matrix_copy_into (nn_layer_forward (layer, x), z3);
              NN_CHECK (memcmp (c1->data, c3->data, nn_matrix_size (c1) * sizeof (nn_real)) == 0,
                        "%s, %u × %u, transposes %d %d, run %u: 3 threads differ from 1",
                        p ? "bf16" : "float32", m, n, ta, tb, run);
              NN_CHECK (memcmp (z1->data, z3->data, nn_matrix_size (z1) * sizeof (nn_real)) == 0,
                        "%s, %u × %u, run %u: a layer's product on 3 threads differs from 1",
                        p ? "bf16" : "float32", m, n, run);
            }
          nn_matrix_set_n_threads (1);
          nn_matrix_set_precision (NN_PRECISION_FLOAT32);
        }
  /* And they were shared: more executions than products, a layer's
   * forward product at 784 inputs included. */
  NN_CHECK (count_product_executions (200, 450, 100, FALSE, 0, 2, ",exec,") > RUNS_EVERY_WAY,
            "the product was not shared");
  NN_CHECK (count_product_executions (128, 784, 256, TRUE, 0, 2, ",exec,") > RUNS_EVERY_WAY,
            "a layer's product was not shared");
  /* One that adds to C too, in chunks of 64 of its 256 columns, each made
   * in a buffer of its own from C's values. */
  NN_CHECK (count_product_executions (128, 784, 256, TRUE, 1, 2, ":784x64:") >= 2,
            "a product adding to C was not shared by columns");
  NN_CHECK (count_product_executions (200, 450, 100, FALSE, 0, 1, ",exec,") == RUNS_EVERY_WAY,
            "one thread shared a product");
  /* Nor is one below 4 M multiply-adds, a layer's at batch 16, nor one
   * in bf16. */
  NN_CHECK (count_product_executions (16, 784, 256, TRUE, 0, 2, ",exec,") == RUNS_EVERY_WAY,
            "a product of 3.2 M multiply-adds was shared");
  if (nn_matrix_check_precision (NN_PRECISION_BF16, NULL))
    {
      nn_matrix_set_precision (NN_PRECISION_BF16);
      NN_CHECK (count_product_executions (128, 784, 256, TRUE, 0, 2, ",exec,") == RUNS_EVERY_WAY,
                "a bf16 product was shared");
      nn_matrix_set_precision (NN_PRECISION_FLOAT32);
    }
  nn_matrix_set_n_threads (1);
}

/* The weights of a 784-256-128-10 network after @steps SGD steps at
 * batches of 128 on @n_threads threads (0: as many as set), as nnrun
 * trains it. */
static NnModel *
train_on_threads (guint n_threads,
                  guint steps)
{
  static const guint        widths[] = { 784, 256, 128, 10 };
  static const char * const activations[] = { "relu", "relu", "softmax" };
  g_autoptr(NnLoss) loss = nn_test_make_loss ("categorical_crossentropy");
  g_autoptr(NnOptimizer) sgd = nn_sgd_optimizer_new (0.05);
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  NnModel *model = nn_test_make_model (3, widths, activations, 3, loss, sgd);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 1, 128, FALSE);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 128, 784, 0, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 128, 10);

  nn_trainer_set_keep_pre_activations (trainer, FALSE);
  nn_trainer_set_keep_gradients (trainer, FALSE);
  if (n_threads > 0)
    nn_matrix_set_n_threads (n_threads);
  /* No CUnit here: it may run on a thread of its own. */
  for (guint step = 0; step < steps && model != NULL; step++)
    {
      g_autoptr(GError) error = NULL;

      if (!isfinite (nn_trainer_train_step (trainer, x, y, &error)))
        {
          g_printerr ("step %u: %s\n", step, error != NULL ? error->message : "not finite");
          g_clear_object (&model);
        }
    }
  if (n_threads > 0)
    nn_matrix_set_n_threads (1);
  return model;
}

static gpointer
train_thread (gpointer data)
{
  return train_on_threads (0, 40);
}

/* Training on two or three threads, whichever products it shares and
 * whenever, gives the weights of one thread, to the bit. */
static void
test_training_on_threads_exact (void)
{
  g_autoptr(NnModel) one = train_on_threads (1, 40);

  CU_ASSERT_PTR_NOT_NULL_FATAL (one);

  for (guint n_threads = 2; n_threads <= 3; n_threads++)
    {
      g_autoptr(NnModel) more = train_on_threads (n_threads, 40);

      NN_CHECK (more != NULL && nn_test_same_parameters (one, more),
                "%u threads trained other weights than one",
                n_threads);
    }
  /* Two trainings at once on two threads each: one shares its products,
   * the other meanwhile makes its chunks alone. */
  nn_matrix_set_n_threads (2);
  {
    GThread *threads[2] = { g_thread_new ("train", train_thread, NULL),
                            g_thread_new ("train", train_thread, NULL) };

    for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
      {
        g_autoptr(NnModel) model = g_thread_join (threads[t]);

        NN_CHECK (model != NULL && nn_test_same_parameters (one, model),
                  "a training beside another trained other weights than one thread");
      }
  }
  nn_matrix_set_n_threads (1);
}
#endif

static gpointer
get_n_threads_thread (gpointer data)
{
  return GUINT_TO_POINTER (nn_matrix_get_n_threads ());
}

/* The thread count set is the process's, not only the calling thread's
 * (OpenMP keeps one for each thread). */
static void
test_n_threads_for_every_thread (void)
{
  guint n = g_get_num_processors () + 1;

  nn_matrix_set_n_threads (n);
  NN_ASSERT_CMPFLOAT (nn_matrix_get_n_threads (), n, 0, 0);
  NN_ASSERT_CMPFLOAT (GPOINTER_TO_UINT (g_thread_join (
                        g_thread_new ("n-threads", get_n_threads_thread, NULL))),
                      n, 0, 0);
  nn_matrix_set_n_threads (1);
}

/* Training at batch 1 (products of a few hundred multiply-adds) keeps
 * its products on one thread: a second thread woken for each would make
 * the process switch context at every product, tens of thousands of
 * times here. */
static void
test_small_batches_stay_on_one_thread (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *out = g_build_filename (dir, "run", NULL);
  g_autofree char *experiment = g_build_filename (g_getenv ("NN_SOURCE_ROOT"), "configs",
                                                  "iris.yaml", NULL);
  g_autofree char *text = NULL, *err = NULL;
  struct rusage    before, after;
  long             switches;
  int              status;

  if (!g_str_equal (nn_matrix_get_engine_name (), "oneDNN") || g_get_num_processors () < 2)
    return;
  getrusage (RUSAGE_CHILDREN, &before);
  status = nn_test_spawn (NULL, &text, &err, g_getenv ("NNRUN"), "train", experiment, "--set",
                          "train.epochs=100", "--set", "train.batch_size=1", "--set",
                          "model.layers.0.units=64", "--threads", "2", "--out", out, NULL);
  getrusage (RUSAGE_CHILDREN, &after);
  NN_ASSERT_STATUS (status, 0, err);
  switches = after.ru_nvcsw - before.ru_nvcsw;
  /* 100 epochs of 120 steps, 8 products a step. */
  NN_CHECK (switches < 2000, "training at batch 1 switched context %ld times", switches);
}

/* The OpenMP settings nnrun @command starts with, as OpenMP prints them,
 * under @wait_policy (NULL: unset). */
static char *
nnrun_openmp_env (const char *command,
                  const char *wait_policy)
{
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "OMP_DISPLAY_ENV", "verbose", TRUE);
  g_autofree char *err = NULL;
  int              status;

  envp = g_environ_unsetenv (envp, "OMP_WAIT_POLICY");
  envp = g_environ_unsetenv (envp, "GOMP_SPINCOUNT");
  if (wait_policy != NULL)
    envp = g_environ_setenv (envp, "OMP_WAIT_POLICY", wait_policy, TRUE);
  status = nn_test_spawn (envp, NULL, &err, g_getenv ("NNRUN"), command, "--help", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  return g_steal_pointer (&err);
}

static guint
count (const char *haystack,
       const char *needle)
{
  guint n = 0;

  for (const char *p = haystack; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

/* The OpenMP threads of oneDNN, which only the ceiling of nnrun bench
 * runs, spin a thousand pauses after a product, not OpenMP's default of
 * 300 000, unless the environment says otherwise: OpenMP prints its
 * settings as it loads, in nnrun bench started again last. Other commands
 * are not started again. */
static void
test_nnrun_bench_spins_briefly (void)
{
  g_autofree char *unset = NULL;
  g_autofree char *active = NULL;
  g_autofree char *train = NULL;
  g_autofree char *empty = NULL;
  const char      *last;

  if (!g_str_equal (nn_matrix_get_engine_name (), "oneDNN"))
    return;
  unset = nnrun_openmp_env ("bench", NULL);
  active = nnrun_openmp_env ("bench", "active");
  train = nnrun_openmp_env ("train", NULL);
  empty = nnrun_openmp_env ("bench", "");
  last = g_strrstr (unset, "GOMP_SPINCOUNT");
  NN_CHECK (last != NULL && g_str_has_prefix (last, "GOMP_SPINCOUNT = '1000'"),
            "nnrun bench spins otherwise: %s", unset);
  NN_CHECK (count (unset, "OPENMP DISPLAY ENVIRONMENT BEGIN") == 2,
            "nnrun bench not started again: %s", unset);
  NN_ASSERT_CONTAINS (active, "OMP_WAIT_POLICY = 'ACTIVE'");
  NN_CHECK (strstr (active, "GOMP_SPINCOUNT = '1000'") == NULL, "nnrun set its spin: %s",
            active);
  NN_CHECK (count (active, "OPENMP DISPLAY ENVIRONMENT BEGIN") == 1,
            "nnrun bench started again with OMP_WAIT_POLICY set: %s", active);
  /* An empty value is OpenMP's default, said invalid once, not twice. */
  last = g_strrstr (empty, "GOMP_SPINCOUNT");
  NN_CHECK (last != NULL && g_str_has_prefix (last, "GOMP_SPINCOUNT = '1000'"),
            "nnrun bench with OMP_WAIT_POLICY empty spins otherwise: %s", empty);
  NN_CHECK (count (empty, "Invalid value") == 1, "OpenMP's complaint not once: %s", empty);
  NN_CHECK (count (train, "OPENMP DISPLAY ENVIRONMENT BEGIN") == 1,
            "nnrun train started again: %s", train);
  NN_CHECK (strstr (train, "GOMP_SPINCOUNT = '1000'") == NULL, "nnrun train set its spin: %s",
            train);
}

int
main (void)
{
  CU_pSuite s;

  /* Products shared from the first, whatever else keeps the machine
   * busy: the sharing is what is tested. */
  g_setenv ("OMP_DYNAMIC", "false", TRUE);
  if (CU_initialize_registry () != CUE_SUCCESS)
    return CU_get_error ();
  s = CU_add_suite ("matmul", nn_test_init_plugins, NULL);
  CU_add_test (s, "the default thread count is OpenMP's after a product",
               test_default_n_threads_after_a_product);
  CU_add_test (s, "products of every transpose and scale", test_products);
  CU_add_test (s, "a dense layer's product with its bias", test_linear_bias);
#ifdef NN_TEST_HAVE_ONEDNN
  CU_add_test (s, "one oneDNN primitive a shape, made once", test_primitives_reused);
  CU_add_test (s, "a bounded number of oneDNN primitives", test_primitives_bounded);
  CU_add_test (s, "a product shared between threads equals it on one, to the bit",
               test_shared_products_exact);
  CU_add_test (s, "training on more threads gives one thread's weights, to the bit",
               test_training_on_threads_exact);
#endif
  CU_add_test (s, "nnrun bench's OpenMP threads spin briefly, and only bench starts again",
               test_nnrun_bench_spins_briefly);
  CU_add_test (s, "the thread count holds on every thread", test_n_threads_for_every_thread);
  CU_add_test (s, "training at batch 1 keeps its products on one thread",
               test_small_batches_stay_on_one_thread);
  return nn_test_run ();
}
