/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What nn promises whatever it is given: training that diverges stops at
 * once and says why, the built-ins stay finite at extreme inputs, sizes read
 * from files are checked against documented limits before anything is
 * allocated, plugins come only from where they are asked for, and a failed
 * write leaves no partial file and the previous run's files as they were. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "nn-test.h"

/* Address space limits do not mix with AddressSanitizer's shadow memory. */
#if defined(__SANITIZE_ADDRESS__)
#define NN_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NN_TEST_ASAN 1
#endif
#endif
#ifndef NN_TEST_ASAN
#define NN_TEST_ASAN 0
#endif

/* The largest magnitude worth testing: up to 1e4 is asked for in float;
 * near the top of each type is stronger still. */
#if NN_REAL_IS_DOUBLE
#define HUGE_Z 1e300
#else
#define HUGE_Z 1e38
#endif

/* ---- divergence ----------------------------------------------------------- */

/* A linear model y = w x with targets in the thousands. */
static NnModel *
line_model (double     learning_rate,
            NnMatrix **x,
            NnMatrix **y)
{
  static const double xs[] = { 1, 2, 3, 4, 5, 6 };
  static const double ys[] = { 1000, 2000, 3000, 4000, 5000, 6000 };
  g_autoptr(GError) error = NULL;
  g_autoptr(NnActivation) linear = nn_activation_new_by_name ("linear", &error);
  g_autoptr(NnLoss) mse = nn_loss_new_by_name ("mean_squared_error", &error);
  g_autoptr(NnOptimizer) sgd = nn_sgd_optimizer_new (learning_rate);
  g_autoptr(NnLayer) layer = NULL;
  NnModel *model;

  g_assert_no_error (error);
  layer = nn_layer_new (1, 1, linear);
  model = nn_model_new ();
  nn_model_add_layer (model, layer);
  nn_model_set_loss (model, mse);
  nn_model_set_optimizer (model, sgd);
  nn_model_set_seed (model, 1);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  *x = nn_test_matrix_from_doubles (6, 1, xs);
  *y = nn_test_matrix_from_doubles (6, 1, ys);
  return model;
}

static void
test_divergence_names_epoch_batch_and_rate (void)
{
  g_autoptr(NnMatrix) x = NULL;
  g_autoptr(NnMatrix) y = NULL;
  g_autoptr(NnModel) model = line_model (1e300, &x, &y);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 20, 2, FALSE);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  /* The rate overflows within the first epoch, in float and in double. */
  ok = nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error);

  CU_ASSERT_FALSE (ok);
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE);
  if (error == NULL)
    return;
  NN_ASSERT_CONTAINS (error->message, "epoch 1, batch ");
  NN_ASSERT_CONTAINS (error->message, "training diverged at learning rate 1e+300");
  NN_ASSERT_CONTAINS (error->message, "a smaller learning rate");
  /* The epoch that diverged is not counted, and has no loss. */
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), 0);
  CU_ASSERT_EQUAL (nn_trainer_get_loss_history (trainer)->len, 0);
}

static void
test_non_finite_loss_before_any_update_blames_the_data (void)
{
  g_autoptr(NnMatrix) x = NULL;
  g_autoptr(NnMatrix) y = NULL;
  g_autoptr(NnModel) model = line_model (0.01, &x, &y);
  g_autoptr(NnTrainer) trainer = nn_trainer_new (model);
  g_autoptr(NnMatrix) before = NULL;
  g_autoptr(GError) error = NULL;
  NnLayer *layer = nn_model_get_layer (model, 0);
  double   loss;

  /* Inputs near the top of the scalar type overflow the output. */
  for (guint i = 0; i < x->rows; i++)
    x->data[i] = (nn_real) (HUGE_Z * (i + 1));
  nn_layer_get_weights (layer)->data[0] = 1e10;
  before = nn_matrix_copy (nn_layer_get_weights (layer));

  loss = nn_trainer_train_step (trainer, x, y, &error);

  CU_ASSERT_TRUE (isnan (loss));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE);
  if (error != NULL)
    {
      NN_ASSERT_CONTAINS (error->message, "before any update");
      NN_ASSERT_CONTAINS (error->message, "scaling the data");
    }
  /* Nothing was applied: the weights are those of before the step. */
  CU_ASSERT_EQUAL (nn_optimizer_get_iterations (nn_model_get_optimizer (model)), 0);
  CU_ASSERT_EQUAL (nn_layer_get_weights (layer)->data[0], before->data[0]);
}

static void
test_first_bad_step_stops_training (void)
{
  g_autoptr(NnMatrix) x = NULL;
  g_autoptr(NnMatrix) y = NULL;
  g_autoptr(NnModel) model = line_model (1e30, &x, &y);
  g_autoptr(NnTrainer) trainer = nn_trainer_new (model);
  g_autoptr(GError) error = NULL;
  guint64 steps = 0;
  double  loss = 0;

  /* Step by step: the step that makes anything non-finite is refused, and
   * the parameters are finite until the one that fails. */
  while (!isnan (loss) && steps < 100)
    {
      CU_ASSERT_TRUE (nn_matrix_is_finite (nn_layer_get_weights (nn_model_get_layer (model, 0))));
      loss = nn_trainer_train_step (trainer, x, y, &error);
      steps++;
    }
  CU_ASSERT_TRUE (isnan (loss));
  CU_ASSERT_TRUE (steps <= 10);
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE);
}

/* SGD tests the weights as it writes them, in vectors and one by one at
 * the end: an update that makes one weight infinite, at every position of
 * 37 and with every kind of SGD, stops training and names the weight. The
 * input at that position is 1000, the others 0.001, every weight 1, and
 * the rate such that only that weight's step overflows. */
static void
test_sgd_update_overflow_found_anywhere (void)
{
  static const char * const kinds[] = { "plain", "momentum", "nesterov" };
  const guint               n = 37;
  const double              rate = NN_REAL_MAX / 1e6;

  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    for (guint at = 0; at < n; at++)
      {
        g_autoptr(NnOptimizer) sgd = nn_sgd_optimizer_new (rate);
        g_autoptr(NnActivation) linear = nn_activation_new_by_name ("linear", NULL);
        g_autoptr(NnLayer) layer = nn_layer_new (n, 1, linear);
        g_autoptr(NnModel) model = nn_model_new ();
        g_autoptr(NnLoss) mse = nn_test_make_loss ("mean_squared_error");
        g_autoptr(NnMatrix) x = nn_matrix_new (1, n);
        g_autoptr(NnMatrix) y = nn_matrix_new (1, 1);
        g_autoptr(NnTrainer) trainer = NULL;
        g_autoptr(GError) error = NULL;
        double loss;

        if (k > 0)
          g_object_set (sgd, "momentum", 0.9, "nesterov", k == 2, NULL);
        nn_model_add_layer (model, layer);
        nn_model_set_loss (model, mse);
        nn_model_set_optimizer (model, sgd);
        nn_matrix_fill (nn_layer_get_weights (layer), 1);
        nn_matrix_fill (x, 0.001);
        x->data[at] = 1000;
        trainer = nn_trainer_new (model);

        loss = nn_trainer_train_step (trainer, x, y, &error);

        NN_CHECK (isnan (loss) && g_error_matches (error, NN_MODEL_ERROR,
                                                   NN_MODEL_ERROR_NOT_FINITE),
                  "%s SGD, weight %u of %u: loss %g, %s", kinds[k], at, n, loss,
                  error ? error->message : "no error");
        if (error != NULL)
          NN_ASSERT_CONTAINS (error->message, "the update made a weight of layer 1");
        NN_CHECK (!isfinite (nn_layer_get_weights (layer)->data[at]),
                  "%s SGD: weight %u is %g", kinds[k], at,
                  (double) nn_layer_get_weights (layer)->data[at]);
      }
}

/* Every position, in the vectorised body and in the tail. */
static void
test_is_finite_finds_every_bad_value (void)
{
  const double bad[] = { NAN, INFINITY, -INFINITY };
  g_autoptr(NnMatrix) m = nn_matrix_new (7, 5);

  nn_matrix_fill (m, (nn_real) 1e30);
  CU_ASSERT_TRUE (nn_matrix_is_finite (m));
  for (guint b = 0; b < G_N_ELEMENTS (bad); b++)
    for (gsize i = 0; i < nn_matrix_size (m); i++)
      {
        m->data[i] = (nn_real) bad[b];
        NN_CHECK (!nn_matrix_is_finite (m), "%g at %" G_GSIZE_FORMAT " not found", bad[b], i);
        m->data[i] = (nn_real) 1e30;
      }
  CU_ASSERT_TRUE (nn_matrix_is_finite (m));
}

/* ---- extreme inputs --------------------------------------------------------- */

static NnActivation *
activation (const char *name)
{
  g_autoptr(GError) error = NULL;
  NnActivation *a = nn_activation_new_by_name (name, &error);

  NN_ASSERT_NO_ERROR (error);
  return a;
}

/* Forward and backward of @name on rows {+H, -H, 0} and {-H, -H, -H}, H
 * near the top of the type: every value finite and at its limit. */
static void
check_huge (const char   *name,
            const double *expected)
{
  const double z_values[6] = { HUGE_Z, -HUGE_Z, 0, -HUGE_Z, -HUGE_Z, -HUGE_Z };
  g_autoptr(NnActivation) act = activation (name);
  g_autoptr(NnMatrix) z = nn_test_matrix_from_doubles (2, 3, z_values);
  g_autoptr(NnMatrix) a = nn_matrix_new (2, 3);
  g_autoptr(NnMatrix) ones = nn_matrix_new (2, 3);
  g_autoptr(NnMatrix) grad = nn_matrix_new (2, 3);

  if (act == NULL)
    return;
  nn_activation_forward (act, z, a);
  nn_matrix_fill (ones, 1);
  nn_activation_backward (act, z, a, ones, grad);
  NN_CHECK (nn_matrix_is_finite (a), "%s forward at +-%g is finite", name, HUGE_Z);
  NN_CHECK (nn_matrix_is_finite (grad), "%s backward at +-%g is finite", name, HUGE_Z);
  for (guint i = 0; i < 6; i++)
    NN_CHECK (nn_test_close (a->data[i], expected[i], 1e-6, 1e-6),
              "%s(%g) = %g, expected %g", name, z_values[i], (double) a->data[i], expected[i]);
}

static void
test_activations_at_the_top_of_the_type (void)
{
  const double sigmoid[6] = { 1, 0, 0.5, 0, 0, 0 };
  const double tanh_[6] = { 1, -1, 0, -1, -1, -1 };
  const double relu[6] = { HUGE_Z, 0, 0, 0, 0, 0 };
  const double elu[6] = { HUGE_Z, -1, 0, -1, -1, -1 };
  const double softplus[6] = { HUGE_Z, 0, G_LN2, 0, 0, 0 };
  const double softmax[6] = { 1, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3 };
  const double linear[6] = { HUGE_Z, -HUGE_Z, 0, -HUGE_Z, -HUGE_Z, -HUGE_Z };

  check_huge ("sigmoid", sigmoid);
  check_huge ("tanh", tanh_);
  check_huge ("relu", relu);
  check_huge ("gelu", relu);
  check_huge ("silu", relu);
  check_huge ("elu", elu);
  check_huge ("softplus", softplus);
  check_huge ("softmax", softmax);
  check_huge ("linear", linear);
}

static NnLoss *
loss_named (const char *name)
{
  g_autoptr(GError) error = NULL;
  NnLoss *l = nn_loss_new_by_name (name, &error);

  NN_ASSERT_NO_ERROR (error);
  return l;
}

/* Probabilities of exactly 0 and 1, the wrong way round: the logarithms
 * are clamped, so value and gradient are finite. */
static void
test_cross_entropies_at_certain_wrong_answers (void)
{
  const double p_bin[4] = { 0, 1, 1, 0 };
  const double y_bin[4] = { 1, 0, 1, 0 };
  const double p_cat[6] = { 1, 0, 0, 0, 0, 1 };
  const double y_cat[6] = { 0, 1, 0, 0, 0, 1 };
  g_autoptr(NnLoss) bce = loss_named ("binary_crossentropy");
  g_autoptr(NnLoss) cce = loss_named ("categorical_crossentropy");
  g_autoptr(NnMatrix) pb = nn_test_matrix_from_doubles (4, 1, p_bin);
  g_autoptr(NnMatrix) yb = nn_test_matrix_from_doubles (4, 1, y_bin);
  g_autoptr(NnMatrix) gb = nn_matrix_new (4, 1);
  g_autoptr(NnMatrix) pc = nn_test_matrix_from_doubles (2, 3, p_cat);
  g_autoptr(NnMatrix) yc = nn_test_matrix_from_doubles (2, 3, y_cat);
  g_autoptr(NnMatrix) gc = nn_matrix_new (2, 3);
  double v;

  CU_ASSERT_PTR_NOT_NULL_FATAL (bce);
  CU_ASSERT_PTR_NOT_NULL_FATAL (cce);
  /* PyTorch's BCELoss: each log clamped at -100, so two wrong answers of
   * four give 50. */
  v = nn_loss_compute (bce, pb, yb);
  NN_ASSERT_CMPFLOAT (v, 50.0, 1e-9, 0);
  nn_loss_gradient (bce, pb, yb, gb);
  CU_ASSERT_TRUE (nn_matrix_is_finite (gb));

  /* The wrong row costs -log of the smallest normal number. */
  v = nn_loss_compute (cce, pc, yc);
  NN_ASSERT_CMPFLOAT (v, -log ((double) NN_REAL_MIN) / 2, 1e-6, 0);
  nn_loss_gradient (cce, pc, yc, gc);
  CU_ASSERT_TRUE (nn_matrix_is_finite (gc));
}

/* A softmax output on huge logits with cross-entropy: the training loss is
 * finite and so is the step. */
static void
test_saturated_softmax_trains_finitely (void)
{
  const double xs[4] = { HUGE_Z / 4, -HUGE_Z / 4, -HUGE_Z / 4, HUGE_Z / 4 };
  const double ys[4] = { 1, 0, 1, 0 };
  g_autoptr(NnActivation) softmax = activation ("softmax");
  g_autoptr(NnLoss) cce = loss_named ("categorical_crossentropy");
  g_autoptr(NnOptimizer) sgd = nn_sgd_optimizer_new (1e-3);
  g_autoptr(NnModel) model = nn_model_new ();
  g_autoptr(NnTrainer) trainer = NULL;
  g_autoptr(NnLayer) layer = NULL;
  g_autoptr(NnMatrix) x = nn_test_matrix_from_doubles (2, 2, xs);
  g_autoptr(NnMatrix) y = nn_test_matrix_from_doubles (2, 2, ys);
  g_autoptr(GError) error = NULL;
  double loss;

  CU_ASSERT_PTR_NOT_NULL_FATAL (softmax);
  layer = nn_layer_new (2, 2, softmax);
  nn_model_add_layer (model, layer);
  nn_model_set_loss (model, cce);
  nn_model_set_optimizer (model, sgd);
  /* Identity weights: logits of +-H/4, the first sample right, the
   * second wrong. */
  nn_layer_get_weights (layer)->data[0] = 1;
  nn_layer_get_weights (layer)->data[3] = 1;

  trainer = nn_trainer_new (model);
  loss = nn_trainer_train_step (trainer, x, y, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (isfinite (loss));
  CU_ASSERT_TRUE (nn_matrix_is_finite (nn_layer_get_weights (layer)));
}

/* ---- limits on sizes read from files -------------------------------------- */

static char *
write_idx_header (const char *dir,
                  const char *name,
                  guint8      ndim,
                  guint32     d0,
                  guint32     d1,
                  guint32     d2)
{
  guint8  header[16] = { 0, 0, 0x08, ndim };
  guint32 dims[3] = { GUINT32_TO_BE (d0), GUINT32_TO_BE (d1), GUINT32_TO_BE (d2) };

  memcpy (header + 4, dims, 4 * ndim);
  return nn_test_write_bytes (dir, name, header, 4 + 4 * ndim);
}

static void
test_idx_image_wider_than_a_layer (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *images = write_idx_header (dir, "images", 3, 1, 2048, 2048);
  g_autofree char *labels = write_idx_header (dir, "labels", 1, 1, 0, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = nn_dataset_new_from_idx_files (images, labels, &error);

  CU_ASSERT_PTR_NULL (data);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID);
  if (error != NULL)
    NN_ASSERT_CONTAINS (error->message, "2048 × 2048 pixels");
}

/* A few compressed bytes whose header promises 2^31 values: an error at
 * the end of the data, with memory for what arrived only. */
static char *
write_gzip (const char   *dir,
            const char   *name,
            const guint8 *data,
            gsize         length)
{
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  guint8 out[256];
  gsize  read, written;

  g_assert_cmpint (g_converter_convert (G_CONVERTER (z), data, length, out, sizeof out,
                                        G_CONVERTER_INPUT_AT_END, &read, &written, NULL),
                   ==, G_CONVERTER_FINISHED);
  return nn_test_write_bytes (dir, name, out, written);
}

/* The size of this process's address space, from /proc/self/statm. */
static rlim_t
address_space_size (void)
{
  g_autofree char *statm = NULL;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    return 0;
  return (rlim_t) g_ascii_strtoull (statm, NULL, 10) * (rlim_t) sysconf (_SC_PAGESIZE);
}

static void
test_idx_compressed_header_promising_too_much (void)
{
  /* 32768 images of 256 × 256: 2^31 values, and then only 48 of them. */
  const guint8     image_bytes[64] = { 0, 0, 0x08, 3, 0, 0, 0x80, 0, 0, 0, 1, 0, 0, 0, 1, 0 };
  const guint8     label_bytes[8] = { 0, 0, 0x08, 1, 0, 0, 0x80, 0 };
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *images = write_gzip (dir, "images.gz", image_bytes, sizeof image_bytes);
  g_autofree char *labels = write_gzip (dir, "labels.gz", label_bytes, sizeof label_bytes);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = NULL;
  struct rlimit old_limit, limit;
  rlim_t        used = address_space_size ();

  /* Believing the header would take 8 GiB (16 in double): allow 1 GiB
   * more than the process has. */
  getrlimit (RLIMIT_AS, &old_limit);
  limit = old_limit;
  if (!NN_TEST_ASAN && used > 0)
    {
      limit.rlim_cur = MIN (old_limit.rlim_max, used + ((rlim_t) 1 << 30));
      setrlimit (RLIMIT_AS, &limit);
    }
  data = nn_dataset_new_from_idx_files (images, labels, &error);
  setrlimit (RLIMIT_AS, &old_limit);

  CU_ASSERT_PTR_NULL (data);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE);
  if (error != NULL)
    NN_ASSERT_CONTAINS (error->message, "the data end after 48 of the 2147483648 values");
}

static void
test_csv_wider_than_a_layer (void)
{
  g_autoptr(GString) csv = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = NULL;

  for (guint c = 0; c <= NN_LAYER_MAX_WIDTH; c++)
    g_string_append_printf (csv, "c%u,", c);
  g_string_append (csv, "y\n");
  for (guint c = 0; c <= NN_LAYER_MAX_WIDTH; c++)
    g_string_append (csv, "0,");
  g_string_append (csv, "1\n");

  data = nn_dataset_new_from_csv_data ("wide.csv", csv->str, csv->len, "y", &error);
  CU_ASSERT_PTR_NULL (data);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID);
  if (error != NULL)
    NN_ASSERT_CONTAINS (error->message, "1048577 feature columns, more than 1048576");
}

/* A CSV file as wide as a layer may be loads in time linear in its
 * columns: 200 000 of them in 0.3 s, 1.3 s under AddressSanitizer, where a
 * pass over the columns per column took 46 s. The bound leaves room for a
 * slow, shared machine. */
#define WIDE_CSV_COLUMNS 200000
#define WIDE_CSV_SECONDS 10.0

static void
test_csv_wide_loads_in_linear_time (void)
{
  g_autoptr(GString) csv = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = NULL;
  g_autoptr(GTimer) timer = NULL;
  const char * const *names;
  double              seconds;

  /* The target in the middle, so that features follow it too. */
  for (guint c = 0; c < WIDE_CSV_COLUMNS; c++)
    g_string_append_printf (csv, "%sc%u", c ? "," : "", c);
  g_string_append (csv, ",y\n");
  for (guint r = 0; r < 3; r++)
    {
      for (guint c = 0; c < WIDE_CSV_COLUMNS; c++)
        g_string_append_printf (csv, "%s%u", c ? "," : "", (c + r) % 10);
      g_string_append_printf (csv, ",%u\n", r);
    }

  timer = g_timer_new ();
  data = nn_dataset_new_from_csv_data ("wide.csv", csv->str, csv->len, "y", &error);
  seconds = g_timer_elapsed (timer, NULL);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (data);
  NN_CHECK (seconds < WIDE_CSV_SECONDS, "%u columns took %.1f s to load, more than %.0f s",
            WIDE_CSV_COLUMNS, seconds, WIDE_CSV_SECONDS);
  CU_ASSERT_EQUAL (nn_dataset_get_n_features (data), WIDE_CSV_COLUMNS);
  CU_ASSERT_EQUAL (nn_dataset_get_n_samples (data), 3);
  names = nn_dataset_get_feature_names (data);
  CU_ASSERT_STRING_EQUAL (names[0], "c0");
  CU_ASSERT_STRING_EQUAL (names[12345], "c12345");
  CU_ASSERT_STRING_EQUAL (names[WIDE_CSV_COLUMNS - 1], "c199999");
  CU_ASSERT_PTR_NULL (names[WIDE_CSV_COLUMNS]);
  CU_ASSERT_DOUBLE_EQUAL (NN_MATRIX_AT (nn_dataset_get_features (data), 2, 12345),
                          (12345 + 2) % 10, 0);
}

/* 257 MiB without a line break, from one 1 MiB buffer, never copied. */
static void
test_csv_record_without_end (void)
{
  g_autofree char *chunk = g_malloc (1 << 20);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) data = NULL;
  const char *targets[] = { "y", NULL };

  memset (chunk, '7', 1 << 20);
  g_memory_input_stream_add_data (G_MEMORY_INPUT_STREAM (stream), "x,y\n1,", 6, NULL);
  for (guint i = 0; i < 257; i++)
    g_memory_input_stream_add_data (G_MEMORY_INPUT_STREAM (stream), chunk, 1 << 20, NULL);

  data = nn_dataset_new_from_csv_stream (stream, "long.csv", targets, NULL, NULL, &error);
  CU_ASSERT_PTR_NULL (data);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE);
  if (error != NULL)
    NN_ASSERT_CONTAINS (error->message, "long.csv:2:1: error: a record longer than 256 MiB");
}

static const char model_head[] =
  "format: nn-model/1\n"
  "task: regression\n"
  "features: [a, b]\n"
  "targets: [y]\n"
  "layers:\n";

static void
test_model_file_too_large (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *yaml = g_strconcat (model_head,
                                       "- {inputs: 2, units: 1048576, activation: {name: relu}}\n"
                                       "- {inputs: 1048576, units: 1048576, activation: {name: relu}}\n"
                                       "- {inputs: 1048576, units: 1, activation: {name: linear}}\n"
                                       "weights: model.safetensors\n",
                                       NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnPipeline) pipeline = NULL;

  g_free (nn_test_write_file (dir, "model.yaml", yaml));
  pipeline = nn_pipeline_load (dir, &error);
  CU_ASSERT_PTR_NULL (pipeline);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  NN_ASSERT_CONTAINS (error->message, "model.yaml:7:");
  NN_ASSERT_CONTAINS (error->message, "layers[1] makes the model larger than 67108864 parameters");
}

static void
test_checkpoint_that_is_not_a_file (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *fifo = g_build_filename (dir, "checkpoint.nnckpt", NULL);
  g_autoptr(NnMatrix) x = NULL;
  g_autoptr(NnMatrix) y = NULL;
  g_autoptr(NnModel) model = line_model (0.01, &x, &y);
  g_autoptr(NnTrainer) trainer = nn_trainer_new (model);
  g_autoptr(GError) error = NULL;

  CU_ASSERT_EQUAL_FATAL (mkfifo (fifo, 0600), 0);
  /* A FIFO would block a plain read for ever. */
  CU_ASSERT_FALSE (nn_checkpoint_load (fifo, trainer, NULL, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO);
  if (error != NULL)
    NN_ASSERT_CONTAINS (error->message, "not a regular file");
}

static void
test_model_file_that_is_not_a_file (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *fifo = g_build_filename (dir, "model.yaml", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(NnPipeline) pipeline = NULL;

  CU_ASSERT_EQUAL_FATAL (mkfifo (fifo, 0600), 0);
  pipeline = nn_pipeline_load (dir, &error);
  CU_ASSERT_PTR_NULL (pipeline);
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE);
  if (error != NULL)
    NN_ASSERT_CONTAINS (error->message, "model.yaml: error: not a regular file");
}

/* Runs nnrun with @args, and kills it if it has not finished within
 * @seconds: a test of something that could block must not block. Returns
 * its exit status, or -1 (with a failed check) if it was killed or
 * crashed; its standard error goes to *@err. */
static int
nnrun_within (guint               seconds,
              char              **err,
              const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err_path = NULL;
  gint64           deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;
  int              err_fd, status = 0;
  GPid             pid;

  g_ptr_array_add (argv, (gpointer) g_getenv ("NNRUN"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  err_fd = g_file_open_tmp ("nn-test-err-XXXXXX", &err_path, &error);
  g_assert_no_error (error);
  if (!g_spawn_async_with_pipes_and_fds (NULL, (const char * const *) argv->pdata, NULL,
                                         G_SPAWN_DO_NOT_REAP_CHILD |
                                           G_SPAWN_STDOUT_TO_DEV_NULL,
                                         NULL, NULL,
                                         -1, -1, err_fd, NULL, NULL, 0, &pid, NULL, NULL,
                                         NULL, &error))
    {
      NN_ASSERT_NO_ERROR (error);
      close (err_fd);
      g_unlink (err_path);
      return -1;
    }
  close (err_fd);
  while (waitpid (pid, &status, WNOHANG) == 0)
    {
      if (g_get_monotonic_time () > deadline)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &status, 0);
          NN_CHECK (FALSE, "nnrun %s %s %s still ran after %u s", args[0], args[1],
                    args[2] ? args[2] : "", seconds);
          break;
        }
      g_usleep (G_USEC_PER_SEC / 50);
    }
  g_spawn_close_pid (pid);
  g_file_get_contents (err_path, err, NULL, NULL);
  g_unlink (err_path);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* nnrun predict reads its model and its input as eval and train read
 * theirs: a FIFO in place of either is refused at once (exit 2) instead of
 * blocking until a writer comes. */
static void
test_predict_from_a_fifo (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *config = nn_test_write_file (dir, "exp.yaml",
                                                "data: {source: {csv: data.csv, target: y}}\n"
                                                "model: {layers: [{units: 1, activation: linear}]}\n"
                                                "loss: mean_squared_error\n"
                                                "train: {epochs: 1}\n");
  g_autofree char *csv = nn_test_write_file (dir, "data.csv", "a,b,y\n1,2,3\n2,3,5\n");
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *input = g_build_filename (dir, "input.csv", NULL);
  g_autofree char *model_dir = g_build_filename (dir, "fifo-model", NULL);
  g_autofree char *model = g_build_filename (model_dir, "model.yaml", NULL);
  const char      *train[] = { "train", config, "--quiet", "--out", run, NULL };
  const char      *from_fifo[] = { "predict", run, input, NULL };
  const char      *fifo_model[] = { "predict", model_dir, csv, NULL };
  const char      *fifo_model_file[] = { "predict", model, csv, NULL };
  const char      *eval_fifo[] = { "eval", run, input, NULL };
  g_autofree char *err = NULL;
  int              status;

  status = nnrun_within (120, &err, train);
  NN_ASSERT_STATUS (status, 0, err);
  CU_ASSERT_EQUAL_FATAL (mkfifo (input, 0600), 0);
  CU_ASSERT_EQUAL_FATAL (g_mkdir (model_dir, 0700), 0);
  CU_ASSERT_EQUAL_FATAL (mkfifo (model, 0600), 0);

  g_clear_pointer (&err, g_free);
  status = nnrun_within (60, &err, from_fifo);
  NN_ASSERT_STATUS (status, 2, err);
  if (err != NULL)
    NN_ASSERT_CONTAINS (err, "input.csv: error: not a regular file");

  g_clear_pointer (&err, g_free);
  status = nnrun_within (60, &err, fifo_model);
  NN_ASSERT_STATUS (status, 2, err);
  if (err != NULL)
    NN_ASSERT_CONTAINS (err, "model.yaml: error: not a regular file");

  g_clear_pointer (&err, g_free);
  status = nnrun_within (60, &err, fifo_model_file);
  NN_ASSERT_STATUS (status, 2, err);
  if (err != NULL)
    NN_ASSERT_CONTAINS (err, "model.yaml: error: not a regular file");

  g_clear_pointer (&err, g_free);
  status = nnrun_within (60, &err, eval_fifo);
  NN_ASSERT_STATUS (status, 2, err);
}

/* ---- plugins ---------------------------------------------------------------- */

/* A bare file name is a file in the working directory, never one that
 * dlopen() would find in the system's library folders. */
static void
test_bare_plugin_name_is_not_searched_for (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *expected = g_build_filename (dir, "libm.so.6", NULL);
  g_autoptr(GError) error = NULL;

  CU_ASSERT_EQUAL_FATAL (g_chdir (dir), 0);
  CU_ASSERT_FALSE (nn_plugins_load_file ("libm.so.6", &error));
  g_assert (g_chdir (cwd) == 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  /* Tried where it was asked for, and not found there. */
  NN_ASSERT_CONTAINS (error->message, expected);
}

/* ---- failed writes ------------------------------------------------------------ */

static rlim_t file_size_limit;

/* In the child: files may not grow past the limit, and going past it is
 * an error (EFBIG) rather than a signal, like a full disk. */
static void
limit_file_size (gpointer data)
{
  struct rlimit limit = { file_size_limit, file_size_limit };

  signal (SIGXFSZ, SIG_IGN);
  setrlimit (RLIMIT_FSIZE, &limit);
}

/* The same, with SIGXFSZ at its default, as a shell's `ulimit -f` leaves
 * it: nnrun itself must make going past the limit an error. */
static void
limit_file_size_default_signal (gpointer data)
{
  struct rlimit limit = { file_size_limit, file_size_limit };

  signal (SIGXFSZ, SIG_DFL);
  setrlimit (RLIMIT_FSIZE, &limit);
}

static int
spawn_limited (rlim_t               limit,
               GSpawnChildSetupFunc setup,
               char               **err,
               const char * const  *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  int wait_status = 0;

  g_ptr_array_add (argv, (gpointer) g_getenv ("NNRUN"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  file_size_limit = limit;
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                     setup, NULL, NULL, err, &wait_status, NULL))
    return -1;
  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
}

static int
nnrun_limited (rlim_t              limit,
               char              **err,
               const char * const *args)
{
  return spawn_limited (limit, limit_file_size, err, args);
}

/* A failed run leaves no staging directory behind. */
static void
check_no_staging_dir (const char *run)
{
  g_autofree char *staging = g_strconcat (run, ".partial", NULL);

  NN_CHECK (!g_file_test (staging, G_FILE_TEST_EXISTS), "%s is left", staging);
}

/* A failed run that had a checkpoint leaves it, and nothing else, in its
 * staging directory: the newest one there is, to resume from. */
static void
check_only_checkpoint_staged (const char *run)
{
  g_autofree char *staging = g_strconcat (run, ".partial", NULL);
  g_autoptr(GHashTable) staged = nn_test_snapshot_dir (staging);

  NN_CHECK (g_hash_table_size (staged) == 1 &&
              g_hash_table_contains (staged, "checkpoint.nnckpt"),
            "%s holds %u files, not just its checkpoint", staging, g_hash_table_size (staged));
}

static const char small_run[] =
  "data: {source: iris, split: {validation: 0.2}}\n"
  "model: {layers: [{units: 4, activation: tanh}, {units: 3, activation: softmax}]}\n"
  "optimizer: {name: adam, learning_rate: 0.01}\n"
  "train: {epochs: 3, batch_size: 16}\n";

static void
test_failed_first_write_leaves_previous_run (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *config = nn_test_write_file (dir, "exp.yaml", small_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *err = NULL;
  const char      *args[] = { "train", config, "--out", run, "--quiet", "--set", "train.epochs=2",
                              NULL };
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  int status;

  status = nnrun_limited (RLIM_INFINITY, &err, args);
  NN_ASSERT_STATUS (status, 0, err);
  before = nn_test_snapshot_dir (run);
  CU_ASSERT_TRUE (g_hash_table_contains (before, "config.yaml"));

  /* Not one byte may be written: the first file fails. */
  g_clear_pointer (&err, g_free);
  args[6] = "train.epochs=3";
  status = nnrun_limited (0, &err, args);
  NN_ASSERT_STATUS (status, 1, err);
  NN_ASSERT_CONTAINS (err, "config.yaml");

  after = nn_test_snapshot_dir (run);
  NN_ASSERT_SAME_FILES (before, after);
  check_no_staging_dir (run);
}

/* `(ulimit -f N; nnrun train ...)`: SIGXFSZ as the shell leaves it, at its
 * default, would kill nnrun part way through a file. nnrun fails the write
 * instead: exit 1 naming the file, no temporary file anywhere, and the
 * previous run as it was. */
static void
test_file_size_limit_with_default_signal (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *config = nn_test_write_file (dir, "exp.yaml", small_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *err = NULL;
  const char      *args[] = { "train", config, "--out", run, "--quiet", "--set", "train.epochs=2",
                              NULL };
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GHashTable) scratch = NULL;
  int status;

  status = nnrun_limited (RLIM_INFINITY, &err, args);
  NN_ASSERT_STATUS (status, 0, err);
  before = nn_test_snapshot_dir (run);

  /* config.yaml (about 560 bytes) fits in 1 KiB; the checkpoint and the
   * plots do not. */
  g_clear_pointer (&err, g_free);
  args[6] = "train.epochs=3";
  status = spawn_limited (1024, limit_file_size_default_signal, &err, args);
  NN_ASSERT_STATUS (status, 1, err);
  NN_ASSERT_CONTAINS (err, run);
  NN_ASSERT_CONTAINS (err, "error: cannot write");
  NN_ASSERT_CONTAINS (err, g_strerror (EFBIG));

  after = nn_test_snapshot_dir (run);
  NN_ASSERT_SAME_FILES (before, after);
  check_no_staging_dir (run);
  /* Nothing beside the run either: only the experiment and the run. */
  scratch = nn_test_snapshot_dir (dir);
  NN_CHECK (g_hash_table_size (scratch) == 2, "%u files in %s, expected exp.yaml and run",
            g_hash_table_size (scratch), dir);
}

/* Run B fails part way, at the plots after every other file, or at its
 * first checkpoint: every file of run A is as it was. */
static void
test_failed_later_write_leaves_previous_run (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *config = nn_test_write_file (dir, "exp.yaml", small_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *err = NULL;
  const char      *args[] = { "train", config, "--out", run, "--quiet", "--set", "train.epochs=2",
                              NULL };
  const char      *checkpointing[] = { "train", config, "--out", run, "--quiet", "--set",
                                       "train.checkpoint_every=1", NULL };
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GHashTable) after_checkpoint = NULL;
  int status;

  status = nnrun_limited (RLIM_INFINITY, &err, args);
  NN_ASSERT_STATUS (status, 0, err);
  before = nn_test_snapshot_dir (run);
  CU_ASSERT_TRUE (g_hash_table_contains (before, "loss.png"));
  CU_ASSERT_TRUE (g_hash_table_contains (before, "model.safetensors"));

  /* Small files fit in 8 KiB, the plots do not. */
  g_clear_pointer (&err, g_free);
  args[6] = "train.epochs=3";
  status = nnrun_limited (8192, &err, args);
  NN_ASSERT_STATUS (status, 1, err);
  NN_ASSERT_CONTAINS (err, "loss.svg: error: cannot write");
  NN_ASSERT_CONTAINS (err, "was left as it was");
  after = nn_test_snapshot_dir (run);
  NN_ASSERT_SAME_FILES (before, after);
  check_only_checkpoint_staged (run);

  /* config.yaml fits in 1 KiB, the first checkpoint does not. */
  g_clear_pointer (&err, g_free);
  status = nnrun_limited (1024, &err, checkpointing);
  NN_ASSERT_STATUS (status, 1, err);
  NN_ASSERT_CONTAINS (err, "checkpoint.nnckpt: error: cannot write");
  after_checkpoint = nn_test_snapshot_dir (run);
  NN_ASSERT_SAME_FILES (before, after_checkpoint);
  check_only_checkpoint_staged (run); /* the failed run's before, kept */
}

static void
test_failed_later_write_leaves_whole_files (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *config = nn_test_write_file (dir, "exp.yaml", small_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *err = NULL;
  const char      *args[] = { "train", config, "--out", run, "--quiet", NULL };
  const char      *outputs[] = { "config.yaml", "history.csv", "summary.json", "model.yaml",
                                 "model.safetensors", "predictions.csv", "loss.svg", "loss.png",
                                 "checkpoint.nnckpt", ".nn-run", NULL };
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnPipeline) pipeline = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *summary = g_build_filename (run, "summary.json", NULL);
  GHashTableIter   iter;
  gpointer         name;
  int              status;

  /* Small files fit in 8 KiB, the plots do not: the run is not kept,
   * and there was no run before it. */
  status = nnrun_limited (8192, &err, args);
  NN_ASSERT_STATUS (status, 1, err);
  NN_CHECK (err != NULL && strstr (err, "loss."), "stderr names the plot: %s", err);
  CU_ASSERT_FALSE (g_file_test (run, G_FILE_TEST_EXISTS));
  check_only_checkpoint_staged (run);

  /* Without the limit the same run writes every file, whole, and no
   * temporary file is left behind. */
  g_clear_pointer (&err, g_free);
  status = nnrun_limited (RLIM_INFINITY, &err, args);
  NN_ASSERT_STATUS (status, 0, err);
  after = nn_test_snapshot_dir (run);
  CU_ASSERT_EQUAL (g_hash_table_size (after), g_strv_length ((char **) outputs));
  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    NN_CHECK (g_strv_contains (outputs, name), "a temporary file is left: %s",
              (const char *) name);
  CU_ASSERT_TRUE (json_parser_load_from_file (parser, summary, NULL));
  pipeline = nn_pipeline_load (run, &error);
  NN_ASSERT_NO_ERROR (error);
  check_no_staging_dir (run);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("training that diverges stops at once", nn_test_init_plugins, NULL);
  CU_add_test (s, "the error names the epoch, the batch and the learning rate",
               test_divergence_names_epoch_batch_and_rate);
  CU_add_test (s, "a loss that is not finite before any update blames the data and changes nothing",
               test_non_finite_loss_before_any_update_blames_the_data);
  CU_add_test (s, "the first step that goes non-finite is the last one",
               test_first_bad_step_stops_training);
  CU_add_test (s, "an SGD update that overflows one weight is found wherever it is",
               test_sgd_update_overflow_found_anywhere);
  CU_add_test (s, "nn_matrix_is_finite finds NaN and infinities anywhere",
               test_is_finite_finds_every_bad_value);

  s = CU_add_suite ("the built-ins are finite at extreme inputs", nn_test_init_plugins, NULL);
  CU_add_test (s, "every activation at the top of the scalar type",
               test_activations_at_the_top_of_the_type);
  CU_add_test (s, "cross-entropies of certain wrong answers", test_cross_entropies_at_certain_wrong_answers);
  CU_add_test (s, "a saturated softmax with cross-entropy trains finitely",
               test_saturated_softmax_trains_finitely);

  s = CU_add_suite ("sizes read from files are checked", nn_test_init_plugins, nn_test_remove_scratch);
  CU_add_test (s, "an IDX image wider than a layer", test_idx_image_wider_than_a_layer);
  CU_add_test (s, "a compressed IDX header promising 2^31 values",
               test_idx_compressed_header_promising_too_much);
  CU_add_test (s, "a CSV file wider than a layer", test_csv_wider_than_a_layer);
  CU_add_test (s, "a CSV record without end", test_csv_record_without_end);
  CU_add_test (s, "a CSV of 200 000 columns loads in linear time",
               test_csv_wide_loads_in_linear_time);
  CU_add_test (s, "a model file with too many parameters", test_model_file_too_large);
  CU_add_test (s, "a checkpoint that is a FIFO", test_checkpoint_that_is_not_a_file);
  CU_add_test (s, "a model file that is a FIFO", test_model_file_that_is_not_a_file);
  CU_add_test (s, "nnrun predict from a FIFO, or with a model that is one",
               test_predict_from_a_fifo);

  s = CU_add_suite ("plugins come from where they are asked for", nn_test_init_plugins,
                    nn_test_remove_scratch);
  CU_add_test (s, "a bare file name is not looked up in the library path",
               test_bare_plugin_name_is_not_searched_for);

  s = CU_add_suite ("a failed write leaves no partial file", nn_test_init_plugins,
                    nn_test_remove_scratch);
  CU_add_test (s, "failing at the first file leaves the previous run as it was",
               test_failed_first_write_leaves_previous_run);
  CU_add_test (s, "failing at the plots or at a checkpoint leaves the previous run as it was",
               test_failed_later_write_leaves_previous_run);
  CU_add_test (s, "a first run that fails leaves nothing; one that succeeds every file whole",
               test_failed_later_write_leaves_whole_files);
  CU_add_test (s, "a file size limit with SIGXFSZ at its default fails the run, not nnrun",
               test_file_size_limit_with_default_signal);

  return nn_test_run ();
}
