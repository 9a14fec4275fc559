/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun bench: what it reports and that the numbers are sane. Nothing here
 * depends on how fast the machine is. */
#include <math.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "nn-test.h"

#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", NULL);
}

/* The one JSON object of each line of @out, in order. */
static GPtrArray *
parse_lines (const char *out)
{
  g_autoptr(GPtrArray) objects = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      JsonNode *node;

      if (*lines[i] == '\0')
        continue;
      node = json_from_string (lines[i], &error);
      NN_CHECK (node != NULL && JSON_NODE_HOLDS_OBJECT (node),
                "line %u is not a JSON object: %s (%s)", i + 1, lines[i],
                error ? error->message : "not an object");
      if (node != NULL)
        g_ptr_array_add (objects, node);
    }
  return g_steal_pointer (&objects);
}

static double
member_number (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  NN_CHECK (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
              (json_node_get_value_type (node) == G_TYPE_DOUBLE ||
               json_node_get_value_type (node) == G_TYPE_INT64),
            "member %s is missing or not a number", name);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NAN;
  return json_node_get_double (node);
}

static gboolean
cpu_has_bf16 (void)
{
#if defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bf16");
#else
  return FALSE;
#endif
}

/* The engine's name, oneDNN's ceilings where the build has oneDNN (bf16
 * where the CPU has it too) and none where not, the best fp32 ceiling
 * the ratio is taken against. */
static void
check_ceilings (JsonObject *r,
                double      gflops,
                double      sgemm_gflops)
{
  const char *engine = json_object_get_string_member_with_default (r, "matmul", "");
  gboolean    onednn = g_str_equal (nn_matrix_get_engine_name (), "oneDNN");
  double      ceiling = sgemm_gflops;

  NN_CHECK (g_str_equal (engine, nn_matrix_get_engine_name ()), "matmul '%s', not '%s'", engine,
            nn_matrix_get_engine_name ());
  NN_CHECK (json_object_has_member (r, "onednn_gflops") == onednn,
            "onednn_gflops with oneDNN %d", onednn);
  NN_CHECK (json_object_has_member (r, "onednn_bf16_gflops") == (onednn && cpu_has_bf16 ()),
            "onednn_bf16_gflops with oneDNN %d, bf16 %d", onednn, cpu_has_bf16 ());
  NN_CHECK (json_object_has_member (r, "bf16_peak_gflops") == cpu_has_bf16 (),
            "bf16_peak_gflops with bf16 %d", cpu_has_bf16 ());
  NN_CHECK (json_object_has_member (r, "onednn_fused_gflops") == onednn,
            "onednn_fused_gflops with oneDNN %d", onednn);
  if (onednn)
    {
      double onednn_gflops = member_number (r, "onednn_gflops");
      double fused = member_number (r, "onednn_fused_gflops");

      NN_CHECK (onednn_gflops > 0 && isfinite (onednn_gflops), "onednn_gflops %g",
                onednn_gflops);
      NN_CHECK (fused > 0 && isfinite (fused), "onednn_fused_gflops %g", fused);
      NN_ASSERT_CMPFLOAT (member_number (r, "fused_ratio"), gflops / fused, 1e-9, 0);
      ceiling = MAX (ceiling, onednn_gflops);
    }
  if (cpu_has_bf16 ())
    NN_CHECK (member_number (r, "bf16_peak_gflops") > 0, "bf16_peak_gflops %g",
              member_number (r, "bf16_peak_gflops"));
  /* bf16 products are set against the bf16 ceiling. */
  if (g_strcmp0 (json_object_get_string_member_with_default (r, "precision", ""), "bf16") == 0)
    ceiling = member_number (r, "onednn_bf16_gflops");
  NN_ASSERT_CMPFLOAT (member_number (r, "ceiling_gflops"), ceiling, 1e-12, 0);
  NN_ASSERT_CMPFLOAT (member_number (r, "ceiling_ratio"), gflops / ceiling, 1e-9, 0);
}

/* Every field of the issue, present and sane, for a workload of @epochs
 * epochs on @threads threads. */
static void
check_result (JsonObject *r,
              const char *workload,
              double      epochs,
              double      threads)
{
  double seconds_per_epoch = member_number (r, "seconds_per_epoch");
  double samples_per_second = member_number (r, "samples_per_second");
  double gflops = member_number (r, "gflops");
  double flop_per_sample = member_number (r, "flop_per_sample");
  double sgemm_gflops = member_number (r, "sgemm_gflops");
  double fma_gflops = member_number (r, "fma_gflops");
  double samples = member_number (r, "samples");

  NN_CHECK (g_strcmp0 (json_object_get_string_member_with_default (r, "workload", ""),
                       workload) == 0,
            "workload is not %s", workload);
  NN_ASSERT_CMPFLOAT (member_number (r, "threads"), threads, 0, 0);
  NN_ASSERT_CMPFLOAT (member_number (r, "epochs"), epochs, 0, 0);
  NN_CHECK (seconds_per_epoch > 0, "seconds_per_epoch %g", seconds_per_epoch);
  /* The derived numbers agree with each other. */
  NN_ASSERT_CMPFLOAT (samples_per_second * seconds_per_epoch, samples, 1e-9, 0);
  NN_ASSERT_CMPFLOAT (gflops, samples_per_second * flop_per_sample / 1e9, 1e-9, 0);
  NN_ASSERT_CMPFLOAT (member_number (r, "sgemm_ratio"), gflops / sgemm_gflops, 1e-9, 0);
  NN_ASSERT_CMPFLOAT (member_number (r, "fma_ratio"), gflops / fma_gflops, 1e-9, 0);
  NN_CHECK (sgemm_gflops > 0 && isfinite (sgemm_gflops), "sgemm_gflops %g", sgemm_gflops);
  NN_CHECK (fma_gflops > 0 && isfinite (fma_gflops), "fma_gflops %g", fma_gflops);
  /* No training runs faster than the machine can multiply: on every core,
   * since a BLAS that cannot be told the thread count uses them all. */
  NN_CHECK (gflops < 1.5 * fma_gflops / threads * MAX (threads, (double) g_get_num_processors ()),
            "gflops %g above the FMA peak %g of %g threads on %u cores", gflops, fma_gflops,
            threads, g_get_num_processors ());
  NN_CHECK (member_number (r, "peak_rss_mib") > 1, "peak_rss_mib %g",
            member_number (r, "peak_rss_mib"));
  check_ceilings (r, gflops, sgemm_gflops);
}

static void
test_w1_json (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GPtrArray) results = NULL;
  JsonObject *r;
  int         status;

  status = nn_test_nnrun (&out, &err, "bench", "w1", "--json", "--epochs", "200", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  results = parse_lines (out);
  CU_ASSERT_EQUAL_FATAL (results->len, 1);
  r = json_node_get_object (results->pdata[0]);
  check_result (r, "w1", 200, 1);
  /* 4-16-3: the products of a step are 544 FLOP per sample. */
  NN_ASSERT_CMPFLOAT (member_number (r, "flop_per_sample"), 544, 0, 0);
  NN_ASSERT_CMPFLOAT (member_number (r, "samples"), 150, 0, 0);
  /* Trained: below the loss of a uniform guess, ln 3. */
  NN_CHECK (member_number (r, "final_loss") > 0 && member_number (r, "final_loss") < log (3.0),
            "final_loss %g after 200 epochs", member_number (r, "final_loss"));
  NN_CHECK (!json_object_has_member (r, "test_accuracy"), "w1 has no test set");
}

static void
test_w1_same_loss_every_run (void)
{
  g_autofree char *out1 = NULL;
  g_autofree char *out2 = NULL;
  g_autoptr(GPtrArray) r1 = NULL;
  g_autoptr(GPtrArray) r2 = NULL;
  int status1, status2;

  status1 = nn_test_nnrun (&out1, NULL, "bench", "w1", "--json", "--epochs", "30", NULL);
  status2 = nn_test_nnrun (&out2, NULL, "bench", "w1", "--json", "--epochs", "30", NULL);
  CU_ASSERT_EQUAL (status1, 0);
  CU_ASSERT_EQUAL (status2, 0);
  r1 = parse_lines (out1);
  r2 = parse_lines (out2);
  CU_ASSERT_EQUAL_FATAL (r1->len, 1);
  CU_ASSERT_EQUAL_FATAL (r2->len, 1);
  NN_ASSERT_CMPFLOAT (member_number (json_node_get_object (r1->pdata[0]), "final_loss"),
                      member_number (json_node_get_object (r2->pdata[0]), "final_loss"), 0, 0);
}

static void
test_threads_option (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GPtrArray) results = NULL;
  int status;

  status = nn_test_nnrun (&out, &err, "bench", "w1", "--json", "--epochs", "20",
                          "--threads", "2", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  results = parse_lines (out);
  CU_ASSERT_EQUAL_FATAL (results->len, 1);
  check_result (json_node_get_object (results->pdata[0]), "w1", 20, 2);
}

static void
test_text_report (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status;

  status = nn_test_nnrun (&out, &err, "bench", "w1", "--epochs", "10", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  NN_ASSERT_CONTAINS (out, "time per epoch");
  NN_ASSERT_CONTAINS (out, "samples/s");
  NN_ASSERT_CONTAINS (out, "GFLOP/s");
  NN_ASSERT_CONTAINS (out, "of FMA peak");
  NN_ASSERT_CONTAINS (out, "peak RSS");
}

/* The core OpenBLAS ran on, from the "blas" member: "…, Prescott kernels". */
static char *
blas_core (JsonObject *r)
{
  const char *blas = json_object_get_string_member_with_default (r, "blas", "");
  const char *comma = strrchr (blas, ',');

  if (comma == NULL || !g_str_has_suffix (blas, " kernels"))
    return NULL;
  return g_strndup (comma + 2, strlen (comma + 2) - strlen (" kernels"));
}

/* bench w1 --epochs 1 --json with OPENBLAS_CORETYPE=@coretype. */
static JsonObject *
bench_with_coretype (const char *coretype,
                     GPtrArray **results)
{
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "OPENBLAS_CORETYPE", coretype, TRUE);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status;

  status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "bench", "w1", "--json",
                          "--epochs", "1", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  *results = parse_lines (out ? out : "");
  CU_ASSERT_EQUAL_FATAL ((*results)->len, 1);
  return json_node_get_object ((*results)->pdata[0]);
}

/* OpenBLAS on kernels older than the CPU (as on a CPU it does not know)
 * is told apart, with the OPENBLAS_CORETYPE that gives it vector kernels;
 * on those, nothing is said. */
static void
test_openblas_fallback_named (void)
{
  g_autoptr(GPtrArray) old_results = NULL;
  g_autoptr(GPtrArray) new_results = NULL;
  g_autofree char *old_core = NULL;
  g_autofree char *new_core = NULL;
  const char      *expected = NULL;
  const char      *hint;
  JsonObject      *r;

#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports ("avx512bf16") && __builtin_cpu_supports ("avx512bw") &&
      __builtin_cpu_supports ("avx512vl"))
    expected = "Cooperlake";
  else if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw") &&
           __builtin_cpu_supports ("avx512vl") && __builtin_cpu_supports ("avx512dq"))
    expected = "SkylakeX";
  else if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    expected = "Haswell";
#endif
  r = bench_with_coretype ("Prescott", &old_results);
  old_core = blas_core (r);
  hint = json_object_get_string_member_with_default (r, "openblas_coretype", NULL);
  /* An OpenBLAS built for one CPU only does not take OPENBLAS_CORETYPE. */
  if (g_strcmp0 (old_core, "Prescott") != 0)
    return;
  CU_ASSERT_STRING_EQUAL (hint ? hint : "(none)", expected ? expected : "(none)");
  if (expected == NULL)
    return;
  r = bench_with_coretype (expected, &new_results);
  new_core = blas_core (r);
  CU_ASSERT_STRING_EQUAL (new_core ? new_core : "(none)", expected);
  NN_CHECK (!json_object_has_member (r, "openblas_coretype"), "openblas_coretype %s on %s",
            json_object_get_string_member_with_default (r, "openblas_coretype", ""), new_core);
}

static void
test_usage_errors (void)
{
  static const char * const cases[][4] = {
    { "bench", "w3", NULL },
    { "bench", "w1", "w2", NULL },
    { "bench", "--threads", "0", NULL },
    { "bench", "--epochs", "-1", NULL },
    { "bench", "--batch-size", "0", NULL },
    { "bench", "--precision", "fp8", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *err = NULL;
      int              status = nn_test_nnrun_argv (NULL, &err, cases[i]);

      NN_CHECK (status == 2, "case %" G_GSIZE_FORMAT ": exit status %d, expected 2", i, status);
      NN_CHECK (err != NULL && g_str_has_prefix (err, "nnrun: "),
                "case %" G_GSIZE_FORMAT ": stderr %s", i, err ? err : "");
    }
}

static void
test_missing_data (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *err = NULL;
  int              status;

  status = nn_test_nnrun (NULL, &err, "bench", "w2", "--data", dir, NULL);
  NN_ASSERT_STATUS (status, 2, err);
  NN_ASSERT_CONTAINS (err, "train-images-idx3-ubyte");
}

/* One epoch of Fashion-MNIST, where the data are installed. */
static void
test_w2_json (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GPtrArray) results = NULL;
  JsonObject *r;
  int         status;

  g_auto(GStrv) envp = g_get_environ ();
  g_autofree char *asan = NULL;

  /* The memory bound is about what nnrun keeps, not what the allocator's
   * debugging keeps: meson's MALLOC_PERTURB_ writes every block it hands
   * out, whole (about 160 MiB here), and AddressSanitizer holds freed blocks
   * back in its quarantine. */
  envp = g_environ_unsetenv (envp, "MALLOC_PERTURB_");
  asan = g_strconcat (g_environ_getenv (envp, "ASAN_OPTIONS") ?: "", ":quarantine_size_mb=0",
                      NULL);
  envp = g_environ_setenv (envp, "ASAN_OPTIONS", asan, TRUE);
  status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "bench", "w2", "--json",
                          "--epochs", "1", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  results = parse_lines (out);
  CU_ASSERT_EQUAL_FATAL (results->len, 1);
  r = json_node_get_object (results->pdata[0]);
  check_result (r, "w2", 1, 1);
  NN_ASSERT_CMPFLOAT (member_number (r, "flop_per_sample"), 1007104, 0, 0);
  NN_ASSERT_CMPFLOAT (member_number (r, "samples"), 60000, 0, 0);
  /* One epoch of this recipe reaches about 80%; ten classes guess 10%. */
  NN_CHECK (member_number (r, "test_accuracy") > 0.7 && member_number (r, "test_accuracy") <= 1,
            "test_accuracy %g", member_number (r, "test_accuracy"));
  NN_CHECK (member_number (r, "final_loss") < 1.0, "final_loss %g",
            member_number (r, "final_loss"));
  /* The pixels are kept as bytes: below the 179 MiB of a float copy alone
   * (about 90 MiB in all, 110 under AddressSanitizer). */
  NN_CHECK (member_number (r, "peak_rss_mib") < 179, "peak_rss_mib %g",
            member_number (r, "peak_rss_mib"));
}

/* --batch-size and --precision bf16: the batch is the one asked for, and
 * bf16 trains as well as float32 does in one epoch, set against the bf16
 * ceiling; a build or a CPU without bf16 refuses it. */
static void
test_w2_batch_and_bf16 (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GPtrArray) results = NULL;
  JsonObject *r;
  int         status;

  status = nn_test_nnrun (&out, &err, "bench", "w2", "--json", "--epochs", "1", "--batch-size",
                          "32", "--precision", "bf16", NULL);
  if (!nn_matrix_check_precision (NN_PRECISION_BF16, NULL))
    {
      NN_ASSERT_STATUS (status, 2, err);
      NN_ASSERT_CONTAINS (err, "--precision bf16 is not available");
      return;
    }
  NN_ASSERT_STATUS (status, 0, err);
  results = parse_lines (out);
  CU_ASSERT_EQUAL_FATAL (results->len, 1);
  r = json_node_get_object (results->pdata[0]);
  check_result (r, "w2", 1, 1);
  CU_ASSERT_STRING_EQUAL (json_object_get_string_member (r, "precision"), "bf16");
  NN_ASSERT_CMPFLOAT (member_number (r, "batch_size"), 32, 0, 0);
  NN_CHECK (member_number (r, "test_accuracy") > 0.7 && member_number (r, "test_accuracy") <= 1,
            "test_accuracy %g", member_number (r, "test_accuracy"));
}

/* Products on several threads are the single-threaded ones, within
 * rounding, for every transpose and with beta. */
static void
test_split_products_are_exact (void)
{
  static const guint shapes[][3] = {
    { 128, 256, 784 },
    { 256, 784, 128 },
    { 100, 37, 300 },
    { 37, 200, 300 },
    { 64, 64, 64 },
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);

  for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (guint t = 0; t < 4; t++)
      {
        gboolean ta = t & 1, tb = t & 2;
        guint    m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        g_autoptr(NnMatrix) a = nn_test_random_matrix (rand, ta ? k : m, ta ? m : k, -1, 1);
        g_autoptr(NnMatrix) b = nn_test_random_matrix (rand, tb ? n : k, tb ? k : n, -1, 1);
        g_autoptr(NnMatrix) c0 = nn_test_random_matrix (rand, m, n, -1, 1);
        g_autoptr(NnMatrix) c1 = nn_matrix_copy (c0);
        g_autoptr(NnMatrix) c3 = nn_matrix_copy (c0);

        nn_matrix_set_n_threads (1);
        nn_matrix_gemm (ta, tb, 0.5, a, b, 1, c1);
        nn_matrix_set_n_threads (3);
        CU_ASSERT_EQUAL (nn_matrix_get_n_threads (), 3);
        nn_matrix_gemm (ta, tb, 0.5, a, b, 1, c3);
        nn_matrix_set_n_threads (1);
        /* The same sums, though the BLAS may order a block's differently:
         * each element within rounding of k products. */
        for (gsize i = 0; i < nn_matrix_size (c1); i++)
          if (!nn_test_close (c1->data[i], c3->data[i], 0, 4.0 * k * NN_REAL_EPSILON))
            {
              NN_CHECK (FALSE,
                        "%u×%u×%u, transposes %d %d: element %" G_GSIZE_FORMAT " is %.9g on 3 threads, %.9g on 1",
                        m, n, k, ta, tb, i,
                        (double) c3->data[i], (double) c1->data[i]);
              break;
            }
        NN_CHECK (memcmp (c0->data, c1->data, nn_matrix_size (c1) * sizeof (nn_real)) != 0,
                  "%u×%u×%u: the product changed nothing", m, n, k);
      }
}

/* The FANN peer of tools/bench/compare: $NN_BENCH_FANN, else bench/fann-peer
 * next to $NNRUN, as compare finds it; NULL when it was not built. */
static char *
find_fann_peer (void)
{
  const char      *env = g_getenv ("NN_BENCH_FANN");
  g_autofree char *path = NULL;

  if (env != NULL && *env != '\0')
    path = g_canonicalize_filename (env, NULL);
  else if (g_getenv ("NNRUN") != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (g_getenv ("NNRUN"));

      path = g_build_filename (dir, "bench", "fann-peer", NULL);
    }
  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    return NULL;
  return g_steal_pointer (&path);
}

static char *fann_peer;

static void
test_fann_peer_w1 (void)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out1 = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) results1 = NULL;
  JsonObject *r;
  double      seconds_per_epoch, final_loss, untrained_loss;
  int         status;

  status = nn_test_spawn (NULL, &out, &err, fann_peer, "w1", "--epochs", "50", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  results = parse_lines (out);
  CU_ASSERT_EQUAL_FATAL (results->len, 1);
  r = json_node_get_object (results->pdata[0]);
  NN_CHECK (g_strcmp0 (json_object_get_string_member_with_default (r, "workload", ""),
                       "w1") == 0,
            "workload is not w1");
  NN_CHECK (g_strcmp0 (json_object_get_string_member_with_default (r, "peer", ""),
                       "fann") == 0,
            "peer is not fann");
  NN_ASSERT_CMPFLOAT (member_number (r, "threads"), 1, 0, 0);
  NN_ASSERT_CMPFLOAT (member_number (r, "epochs"), 50, 0, 0);
  seconds_per_epoch = member_number (r, "seconds_per_epoch");
  NN_CHECK (seconds_per_epoch > 0 && isfinite (seconds_per_epoch),
            "seconds_per_epoch %g", seconds_per_epoch);
  /* The same products as nnrun bench w1 counts, over the whole set. */
  NN_ASSERT_CMPFLOAT (member_number (r, "flop_per_sample"), 544, 0, 0);
  NN_ASSERT_CMPFLOAT (member_number (r, "batch_size"), 150, 0, 0);
  NN_ASSERT_CMPFLOAT (member_number (r, "samples_per_second") * seconds_per_epoch, 150,
                      1e-9, 0);
  NN_ASSERT_CMPFLOAT (member_number (r, "gflops"),
                      member_number (r, "samples_per_second") * 544 / 1e9, 1e-9, 0);
  NN_ASSERT_CMPFLOAT (member_number (r, "seconds"), 50 * seconds_per_epoch, 1e-9, 0);
  NN_CHECK (member_number (r, "peak_rss_mib") > 0, "peak_rss_mib %g",
            member_number (r, "peak_rss_mib"));

  /* One epoch reports the MSE of the untrained network, the same weights
   * every run; the threads asked for are reported, one is used. */
  status = nn_test_spawn (NULL, &out1, NULL, fann_peer, "w1", "--epochs", "1",
                          "--threads", "2", NULL);
  CU_ASSERT_EQUAL_FATAL (status, 0);
  results1 = parse_lines (out1);
  CU_ASSERT_EQUAL_FATAL (results1->len, 1);
  NN_ASSERT_CMPFLOAT (member_number (json_node_get_object (results1->pdata[0]), "threads"),
                      2, 0, 0);
  NN_ASSERT_CMPFLOAT (member_number (json_node_get_object (results1->pdata[0]),
                                     "threads_used"),
                      1, 0, 0);
  untrained_loss = member_number (json_node_get_object (results1->pdata[0]), "final_loss");
  final_loss = member_number (r, "final_loss");
  NN_CHECK (isfinite (untrained_loss) && untrained_loss > 0, "untrained loss %g",
            untrained_loss);
  NN_CHECK (isfinite (final_loss) && final_loss >= 0 && final_loss < untrained_loss,
            "final_loss %g after 50 epochs, %g untrained", final_loss, untrained_loss);
}

static void
test_fann_peer_usage_errors (void)
{
  static const char * const cases[][4] = {
    { "w2", NULL },
    { "w3", NULL },
    { NULL },
    { "w1", "--bogus", NULL },
    { "w1", "--epochs", "0", NULL },
    { "w1", "--threads", "x", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      int              status;

      g_ptr_array_add (argv, fann_peer);
      for (gsize j = 0; cases[i][j] != NULL; j++)
        g_ptr_array_add (argv, (gpointer) cases[i][j]);
      g_ptr_array_add (argv, NULL);
      status = nn_test_spawn_argv (NULL, &out, &err, (const char * const *) argv->pdata);
      NN_CHECK (status == 2, "case %" G_GSIZE_FORMAT ": exit status %d, expected 2", i, status);
      NN_CHECK (err != NULL && g_str_has_prefix (err, "fann-peer: "),
                "case %" G_GSIZE_FORMAT ": stderr %s", i, err ? err : "");
      NN_CHECK (out != NULL && *out == '\0', "case %" G_GSIZE_FORMAT ": stdout %s", i,
                out ? out : "");
    }
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("nnrun bench", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "bench w1 --json prints every field, consistent and sane", test_w1_json);
  CU_add_test (suite, "bench w1 trains to the same loss every run", test_w1_same_loss_every_run);
  CU_add_test (suite, "--threads 2 is reported and the numbers stay sane", test_threads_option);
  CU_add_test (suite, "without --json it prints a readable report", test_text_report);
  CU_add_test (suite, "OpenBLAS on kernels older than the CPU is named, with a better core",
               test_openblas_fallback_named);
  CU_add_test (suite, "bad workloads and options exit 2", test_usage_errors);
  CU_add_test (suite, "w2 without its data files exits 2 naming the file", test_missing_data);
  CU_add_test (suite, "products on 3 threads equal those on 1, within rounding",
               test_split_products_are_exact);
  if (g_file_test (FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz", G_FILE_TEST_EXISTS))
    {
      CU_add_test (suite, "bench w2 --json trains one epoch of Fashion-MNIST to over 70%",
                   test_w2_json);
      CU_add_test (suite, "w2 takes --batch-size and --precision bf16", test_w2_batch_and_bf16);
    }
  /* The FANN peer is built only where FANN is installed: say so when its
   * tests do not run. */
  if ((fann_peer = find_fann_peer ()) != NULL)
    {
      CU_add_test (suite, "the FANN peer trains w1 and prints the peers' fields",
                   test_fann_peer_w1);
      CU_add_test (suite, "the FANN peer refuses w2 and bad options with exit 2",
                   test_fann_peer_usage_errors);
    }
  else
    g_printerr ("no fann-peer (built where FANN is installed): its tests do not run\n");

  return nn_test_run ();
}
