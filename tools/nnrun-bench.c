/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun bench: the project's own speed benchmark. Each workload trains a
 * fixed network with NnTrainer's steps in this process and is measured
 * against ceilings taken in the same process: a plain BLAS run of the same
 * matrix products and oneDNN's matmul of them (the library ceilings,
 * nnrun-bench-onednn.c) and tight FMA and bf16 loops (the hardware
 * ceilings, nnrun-bench-peaks.c). */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <cblas.h>

#include <json-glib/json-glib.h>
#include <nn.h>
#include <nn-json.h>

#include "nnrun-bench.h"
#include "nnrun-commands.h"
#include "nnrun-mpi.h"

#define DEFAULT_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* The learning rates of the workloads' SGD. */
#define W1_RATE 0.5f
#define W2_RATE 0.05f

typedef struct
{
  const char *workload;
  const char *description;
  guint       threads;
  NnPrecision precision;
  guint       epochs;
  guint       batch_size;
  guint       n_samples;
  double      load_seconds;    /* W2: reading the data; NaN otherwise */
  double      seconds;         /* the training loop */
  double      flop_per_sample; /* matrix products executed in training */
  double      sgemm_gflops;
  double      onednn_gflops;       /* NaN where the build has no oneDNN */
  double      onednn_bf16_gflops;  /* NaN also where the CPU has no bf16 */
  double      onednn_fused_gflops; /* of the precision trained in; NaN as above */
  double      fma_gflops;
  double      bf16_peak_gflops; /* NaN where the CPU has no bf16 */
  double      final_loss;
  double      test_accuracy; /* NaN when the workload has no test set */
  double      peak_rss_mib;
  guint       ranks;          /* processes under mpirun, each on its shard */
  double      reduce_seconds; /* of the first, in the gradient sums */
} BenchResult;

double
nnrun_bench_now (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* VmHWM where there is one: getrusage's ru_maxrss keeps the RSS of the
 * parent across fork and exec, so run from a large process (a Python
 * script), nnrun would report that. */
static double
peak_rss_mib (void)
{
  g_autofree char *status = NULL;
  struct rusage    usage;
  const char      *hwm;

  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL) &&
      (hwm = strstr (status, "\nVmHWM:")) != NULL)
    return g_ascii_strtod (hwm + strlen ("\nVmHWM:"), NULL) / 1024.0; /* kB */
  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return NAN;
  return usage.ru_maxrss / 1024.0; /* kilobytes on Linux */
}

/* ---- the library ceiling ------------------------------------------------- */

/* The products of one SGD step of rate @lr of @model on @batch rows
 * through its @n_layers + 1 widths: Z = X Wᵀ + b for every layer, with the
 * activation's element-wise form where it has one, W ← W − lr dZᵀ X for
 * every layer, dX = dZ W for every layer but the first. */
static GArray *
step_gemms (NnModel     *model,
            const guint *widths,
            guint        n_layers,
            guint        batch,
            float        lr)
{
  GArray *shapes = g_array_new (FALSE, FALSE, sizeof (GemmShape));

  for (guint l = 0; l < n_layers; l++)
    {
      NnActivation *activation = nn_layer_get_activation (nn_model_get_layer (model, l));
      double        alpha = 0;
      NnElementwise fn = nn_activation_get_elementwise (activation, &alpha);
      GemmShape     forward = { FALSE, TRUE, batch, widths[l + 1], widths[l], TRUE,
                                fn, (float) alpha, 0 };

      g_array_append_val (shapes, forward);
    }
  for (guint l = n_layers; l-- > 0;)
    {
      GemmShape grad_w = { TRUE, FALSE, widths[l + 1], widths[l], batch, FALSE,
                           NN_ELEMENTWISE_NONE, 0, lr };
      g_array_append_val (shapes, grad_w);
      if (l > 0)
        {
          GemmShape grad_x = { FALSE, FALSE, batch, widths[l], widths[l + 1], FALSE,
                               NN_ELEMENTWISE_NONE, 0, 0 };
          g_array_append_val (shapes, grad_x);
        }
    }
  return shapes;
}

static double
gemms_flop (GArray *shapes)
{
  double flop = 0;

  for (guint i = 0; i < shapes->len; i++)
    {
      GemmShape *s = &g_array_index (shapes, GemmShape, i);
      flop += 2.0 * s->m * s->n * s->k;
    }
  return flop;
}

static void
plain_gemm (const GemmShape *s,
            const nn_real   *a,
            const nn_real   *b,
            nn_real         *c)
{
  int lda = s->trans_a ? (int) s->m : (int) s->k;
  int ldb = s->trans_b ? (int) s->k : (int) s->n;

#if NN_REAL_IS_DOUBLE
  cblas_dgemm (CblasRowMajor,
#else
  cblas_sgemm (CblasRowMajor,
#endif
               s->trans_a ? CblasTrans : CblasNoTrans,
               s->trans_b ? CblasTrans : CblasNoTrans,
               (int) s->m, (int) s->n, (int) s->k,
               1, a, lda, b, ldb, 0, c, (int) s->n);
}

/* FLOP/s of the BLAS running just the products of a training step, over
 * and over, on buffers as large as the largest operand, on the threads
 * training has. */
static double
measure_gemm_ceiling (GArray *shapes)
{
  gsize               biggest = 1;
  g_autofree nn_real *a = NULL;
  g_autofree nn_real *b = NULL;
  g_autofree nn_real *c = NULL;
  double              flop = gemms_flop (shapes), best = 0;
  guint               reps = 1, passes = 0;

  for (guint i = 0; i < shapes->len; i++)
    {
      GemmShape *s = &g_array_index (shapes, GemmShape, i);
      biggest = MAX (biggest, (gsize) s->m * s->k);
      biggest = MAX (biggest, (gsize) s->k * s->n);
      biggest = MAX (biggest, (gsize) s->m * s->n);
    }
  a = g_new (nn_real, biggest);
  b = g_new (nn_real, biggest);
  c = g_new0 (nn_real, biggest);
  for (gsize i = 0; i < biggest; i++)
    {
      a[i] = (nn_real) ((i % 17) / 17.0 - 0.5);
      b[i] = (nn_real) ((i % 13) / 13.0 - 0.5);
    }

  while (passes < 3)
    {
      double start = nnrun_bench_now (), elapsed;

      for (guint r = 0; r < reps; r++)
        for (guint i = 0; i < shapes->len; i++)
          plain_gemm (&g_array_index (shapes, GemmShape, i), a, b, c);
      elapsed = nnrun_bench_now () - start;
      if (elapsed < CEILING_SECONDS / 3)
        {
          reps = elapsed > 0 ? MAX (reps * 2, (guint) (reps * CEILING_SECONDS / 3 / elapsed))
                             : reps * 2;
          continue;
        }
      best = MAX (best, flop * reps / elapsed);
      passes++;
    }
  return best / 1e9;
}

/* The products of a step on each engine the build has, beside the BLAS. */
static void
measure_engine_ceilings (GArray      *shapes,
                         BenchResult *result)
{
  result->sgemm_gflops = measure_gemm_ceiling (shapes);
  result->onednn_gflops = nnrun_bench_onednn_ceiling (shapes, FALSE, FALSE, result->threads);
  result->onednn_bf16_gflops = nnrun_bench_onednn_ceiling (shapes, TRUE, FALSE, result->threads);
  result->onednn_fused_gflops =
    nnrun_bench_onednn_ceiling (shapes, result->precision == NN_PRECISION_BF16, TRUE,
                                result->threads);
}

/* The best ceiling of the precision trained in: what the engine training
 * takes its products from should reach. */
static double
best_ceiling (const BenchResult *r)
{
  if (r->precision == NN_PRECISION_BF16)
    return r->onednn_bf16_gflops;
  return isnan (r->onednn_gflops) ? r->sgemm_gflops : MAX (r->sgemm_gflops, r->onednn_gflops);
}

static const char *
precision_name (NnPrecision precision)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (NN_TYPE_PRECISION);

  return g_enum_get_value (klass, precision)->value_nick;
}

/* ---- building the networks ----------------------------------------------- */

static NnModel *
build_model (const guint        *widths,
             const char * const *activations,
             guint               n_layers,
             const char         *loss_name,
             double              learning_rate,
             GError            **error)
{
  g_autoptr(NnModel) model = nn_model_new ();
  g_autoptr(NnLoss) loss = NULL;
  g_autoptr(NnOptimizer) optimizer = nn_sgd_optimizer_new (learning_rate);

  for (guint l = 0; l < n_layers; l++)
    {
      g_autoptr(NnActivation) activation = nn_activation_new_by_name (activations[l], error);
      g_autoptr(NnLayer) layer = NULL;

      if (activation == NULL)
        return NULL;
      layer = nn_layer_new (widths[l], widths[l + 1], activation);
      nn_model_add_layer (model, layer);
    }
  if ((loss = nn_loss_new_by_name (loss_name, error)) == NULL)
    return NULL;
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, optimizer);
  nn_model_set_seed (model, 42);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  return g_steal_pointer (&model);
}

/* ---- W1: iris-tiny --------------------------------------------------------- */

static gboolean
run_w1 (guint        epochs,
        BenchResult *result,
        GError     **error)
{
  static const guint        widths[] = { 4, 16, 3 };
  static const char * const activations[] = { "sigmoid", "softmax" };
  g_autoptr(NnDataset) raw = NULL;
  g_autoptr(NnDataset) data = NULL;
  g_autoptr(NnModel) model = NULL;
  g_autoptr(NnTrainer) trainer = NULL;
  g_autoptr(GArray) shapes = NULL;
  const NnMatrix *x, *y;
  double          start, loss = NAN;

  if ((raw = nn_dataset_new_iris (error)) == NULL ||
      (data = nn_dataset_encode (raw, NN_TASK_MULTICLASS, -1, error)) == NULL)
    return FALSE;
  nn_dataset_scale (data, NN_SCALE_MINMAX, NULL, 0);
  x = nn_dataset_get_features (data);
  y = nn_dataset_get_targets (data);

  model = build_model (widths, activations, 2, "categorical_crossentropy", W1_RATE, error);
  if (model == NULL)
    return FALSE;
  trainer = nn_trainer_new (model);
  /* Nothing here reads the gradients or pre-activations after a step. */
  nn_trainer_set_keep_gradients (trainer, FALSE);
  nn_trainer_set_keep_pre_activations (trainer, FALSE);
  nnrun_mpi_attach (trainer);

  start = nnrun_bench_now ();
  for (guint e = 0; e < epochs; e++)
    {
      /* Full-batch gradient descent: one step is one epoch. */
      loss = nn_trainer_train_step (trainer, x, y, error);
      if (isnan (loss))
        return FALSE;
    }
  result->seconds = nnrun_bench_now () - start;

  shapes = step_gemms (model, widths, 2, x->rows, W1_RATE);
  result->workload = "w1";
  result->description = "iris-tiny: Iris 150×4 min-max, 4-16-3 sigmoid/softmax, "
                        "categorical cross-entropy, full-batch SGD lr 0.5";
  result->epochs = epochs;
  result->batch_size = x->rows;
  result->n_samples = x->rows;
  result->load_seconds = NAN;
  result->flop_per_sample = gemms_flop (shapes) / x->rows;
  result->final_loss = loss;
  result->test_accuracy = NAN;
  measure_engine_ceilings (shapes, result);
  return TRUE;
}

/* ---- W2: fmnist-mlp -------------------------------------------------------- */

/* An IDX file of unsigned bytes, read whole (gzip or not); the pixels stay
 * bytes, which is a quarter of their size as floats. */
static GBytes *
read_idx (const char *dir,
          const char *name,
          guint       ndim,
          guint32    *dims,
          GError    **error)
{
  g_autofree char *gz_path = g_strdup_printf ("%s/%s.gz", dir, name);
  g_autofree char *plain_path = g_build_filename (dir, name, NULL);
  gboolean         gz = g_file_test (gz_path, G_FILE_TEST_EXISTS);
  g_autoptr(GFile) file = g_file_new_for_path (gz ? gz_path : plain_path);
  g_autoptr(GInputStream) raw = NULL;
  g_autoptr(GInputStream) stream = NULL;
  guint8             header[16];
  gsize              got = 0, size = 1;
  g_autofree guint8 *values = NULL;

  if ((raw = G_INPUT_STREAM (g_file_read (file, NULL, error))) == NULL)
    return NULL;
  if (gz)
    {
      g_autoptr(GZlibDecompressor) inflate =
                   g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
      stream = g_converter_input_stream_new (raw, G_CONVERTER (inflate));
    }
  else
    stream = g_object_ref (raw);

  if (!g_input_stream_read_all (stream, header, 4 + 4 * ndim, &got, NULL, error))
    return NULL;
  if (got != 4 + 4 * ndim || header[0] != 0 || header[1] != 0 || header[2] != 0x08 ||
      header[3] != ndim)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                   "%s: not an IDX file of %u-dimensional unsigned bytes",
                   g_file_peek_path (file), ndim);
      return NULL;
    }
  for (guint d = 0; d < ndim; d++)
    {
      const guint8 *p = header + 4 + 4 * d;

      dims[d] = (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
      size *= dims[d];
    }
  if (size == 0 || size > G_MAXUINT32)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                   "%s: an IDX file of %" G_GSIZE_FORMAT " values", g_file_peek_path (file),
                   size);
      return NULL;
    }
  values = g_malloc (size);
  if (!g_input_stream_read_all (stream, values, size, &got, NULL, error))
    return NULL;
  if (got != size)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                   "%s: %" G_GSIZE_FORMAT " values, the header promises %" G_GSIZE_FORMAT,
                   g_file_peek_path (file), got, size);
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&values), size);
}

typedef struct
{
  GBytes *images; /* n × pixels bytes */
  GBytes *labels; /* n bytes, 0–9 */
  guint   n;
  guint   pixels;
} ByteImages;

static void
byte_images_clear (ByteImages *set)
{
  g_clear_pointer (&set->images, g_bytes_unref);
  g_clear_pointer (&set->labels, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ByteImages, byte_images_clear)

static gboolean
read_image_set (const char *dir,
                const char *prefix,
                ByteImages *set,
                GError    **error)
{
  g_autofree char *images = g_strdup_printf ("%s-images-idx3-ubyte", prefix);
  g_autofree char *labels = g_strdup_printf ("%s-labels-idx1-ubyte", prefix);
  guint32          image_dims[3], label_dims[1];
  const guint8    *l;
  gsize            n_labels;

  if ((set->images = read_idx (dir, images, 3, image_dims, error)) == NULL ||
      (set->labels = read_idx (dir, labels, 1, label_dims, error)) == NULL)
    return FALSE;
  if (image_dims[0] != label_dims[0])
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                   "%s/%s: %u images but %u labels", dir, prefix, image_dims[0], label_dims[0]);
      return FALSE;
    }
  l = g_bytes_get_data (set->labels, &n_labels);
  for (gsize i = 0; i < n_labels; i++)
    if (l[i] > 9)
      {
        g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                     "%s/%s: label %u of sample %" G_GSIZE_FORMAT " is not a class 0–9",
                     dir, labels, l[i], i + 1);
        return FALSE;
      }
  set->n = image_dims[0];
  set->pixels = image_dims[1] * image_dims[2];
  return TRUE;
}

/* NN_SIMD_BYTES of values, and the bytes, 16-bit and 32-bit integers they
 * widen from in scale_bytes(). */
typedef nn_real ScaleVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define SCALE_LANES (sizeof (ScaleVec) / sizeof (nn_real))
typedef guint8  ScaleBytes __attribute__ ((vector_size (SCALE_LANES)));
typedef guint16 ScaleShorts __attribute__ ((vector_size (2 * SCALE_LANES)));
typedef gint32  ScaleInts __attribute__ ((vector_size (4 * SCALE_LANES)));

/* dst[i] = src[i] × scale for i < n, SCALE_LANES at a time through the
 * vector extensions, which an -O2 build leaves scalar otherwise, and with
 * AVX2 where the CPU has it. The bytes widen in steps, which compilers turn
 * into unpacking instructions where they convert bytes to floats one at a
 * time. */
NN_SIMD_CLONES static void
scale_bytes (const guint8 *src,
             guint         n,
             nn_real       scale,
             nn_real      *dst)
{
  guint j = 0;

  for (; j + SCALE_LANES <= n; j += SCALE_LANES)
    {
      ScaleBytes b;
      ScaleInts  wide;
      ScaleVec   r;

      memcpy (&b, src + j, sizeof b);
      wide = __builtin_convertvector(__builtin_convertvector(b, ScaleShorts), ScaleInts);
      r = __builtin_convertvector(wide, ScaleVec) * scale;
      memcpy (dst + j, &r, sizeof r);
    }
  for (; j < n; j++)
    dst[j] = src[j] * scale;
}

/* How many images ahead make_batch() prefetches. */
#define MAKE_BATCH_PREFETCH 4

/* Scales the images @order[0..rows-1] by 1/255 into @x and one-hot encodes
 * their labels into @y: a mini-batch made from bytes. */
static void
make_batch (const ByteImages *set,
            const guint      *order,
            guint             rows,
            NnMatrix         *x,
            NnMatrix         *y)
{
  const guint8 *pixels = g_bytes_get_data (set->images, NULL);
  const guint8 *labels = g_bytes_get_data (set->labels, NULL);
  const nn_real scale = (nn_real) (1.0 / 255.0);

  x->rows = y->rows = rows;
  nn_matrix_fill (y, 0);
  for (guint i = 0; i < rows; i++)
    {
      const guint8 *src = pixels + (gsize) order[i] * set->pixels;
      nn_real      *dst = x->data + (gsize) i * set->pixels;

      /* Shuffled images are far apart in memory: ask for one a few
       * images ahead while this one is scaled. */
      if (i + MAKE_BATCH_PREFETCH < rows)
        {
          const guint8 *ahead = pixels + (gsize) order[i + MAKE_BATCH_PREFETCH] * set->pixels;

          for (guint k = 0; k < set->pixels; k += 64)
            __builtin_prefetch (ahead + k);
          __builtin_prefetch (ahead + set->pixels - 1);
        }
      scale_bytes (src, set->pixels, scale, dst);
      NN_MATRIX_AT (y, i, labels[order[i]]) = 1;
    }
}

/* Asks for the images of the next batch while this one trains, as a data
 * loader fetches ahead: shuffled, each is a read from memory the step
 * would otherwise wait on. Into every level of cache: those the step's
 * products evict from the first stay in the outer ones. */
static void
prefetch_batch (const ByteImages *set,
                const guint      *order,
                guint             rows)
{
  const guint8 *pixels = g_bytes_get_data (set->images, NULL);

  for (guint i = 0; i < rows; i++)
    {
      const guint8 *image = pixels + (gsize) order[i] * set->pixels;

      for (guint k = 0; k < set->pixels; k += 64)
        __builtin_prefetch (image + k, 0, 3);
      __builtin_prefetch (image + set->pixels - 1, 0, 3);
    }
}

static double
test_accuracy (NnModel          *model,
               const ByteImages *test,
               NnMatrix         *x,
               NnMatrix         *y,
               guint             chunk)
{
  const guint8     *labels = g_bytes_get_data (test->labels, NULL);
  g_autofree guint *order = g_new (guint, chunk);
  guint             correct = 0;

  for (guint start = 0; start < test->n; start += chunk)
    {
      guint           rows = MIN (chunk, test->n - start);
      const NnMatrix *pred;

      for (guint i = 0; i < rows; i++)
        order[i] = start + i;
      make_batch (test, order, rows, x, y);
      pred = nn_model_forward (model, x);
      for (guint i = 0; i < rows; i++)
        {
          guint best = 0;

          for (guint c = 1; c < pred->cols; c++)
            if (NN_MATRIX_AT (pred, i, c) > NN_MATRIX_AT (pred, i, best))
              best = c;
          correct += best == labels[start + i];
        }
    }
  return (double) correct / test->n;
}

static gboolean
run_w2 (guint        epochs,
        guint        batch,
        const char  *data_dir,
        BenchResult *result,
        GError     **error)
{
  static const guint        widths[] = { 784, 256, 128, 10 };
  static const char * const activations[] = { "relu", "relu", "softmax" };
  g_auto(ByteImages) train = { 0 };
  g_auto(ByteImages) test = { 0 };
  g_autoptr(NnModel) model = NULL;
  g_autoptr(NnTrainer) trainer = NULL;
  g_autoptr(NnMatrix) x = NULL;
  g_autoptr(NnMatrix) y = NULL;
  g_autoptr(GArray) shapes = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autofree guint *order = NULL;
  double            start, total = 0;

  start = nnrun_bench_now ();
  if (!read_image_set (data_dir, "train", &train, error) ||
      !read_image_set (data_dir, "t10k", &test, error))
    return FALSE;
  result->load_seconds = nnrun_bench_now () - start;
  if (train.pixels != widths[0] || test.pixels != widths[0])
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_FAILED,
                   "%s: images of %u pixels, not 28 × 28", data_dir, train.pixels);
      return FALSE;
    }

  model = build_model (widths, activations, 3, "categorical_crossentropy", W2_RATE, error);
  if (model == NULL)
    return FALSE;
  trainer = nn_trainer_new (model);
  /* Nothing here reads the gradients or pre-activations after a step. */
  nn_trainer_set_keep_gradients (trainer, FALSE);
  nn_trainer_set_keep_pre_activations (trainer, FALSE);
  nnrun_mpi_attach (trainer);
  x = nn_matrix_new (batch, widths[0]);
  y = nn_matrix_new (batch, widths[3]);
  order = g_new (guint, train.n);
  for (guint i = 0; i < train.n; i++)
    order[i] = i;

  start = nnrun_bench_now ();
  for (guint e = 0; e < epochs; e++)
    {
      /* Fisher–Yates: a new order every epoch. */
      for (guint i = train.n - 1; i > 0; i--)
        {
          guint j = g_rand_int_range (rand, 0, (gint32) i + 1);
          guint t = order[i];

          order[i] = order[j];
          order[j] = t;
        }
      prefetch_batch (&train, order, MIN (batch, train.n));
      total = 0;
      for (guint first = 0; first < train.n; first += batch)
        {
          guint  rows = MIN (batch, train.n - first);
          double loss;

          make_batch (&train, order + first, rows, x, y);
          if (first + rows < train.n)
            prefetch_batch (&train, order + first + rows, MIN (batch, train.n - first - rows));
          loss = nn_trainer_train_step (trainer, x, y, error);
          if (isnan (loss))
            return FALSE;
          total += loss * rows;
        }
    }
  result->seconds = nnrun_bench_now () - start;

  x->rows = y->rows = batch;
  result->test_accuracy = test_accuracy (model, &test, x, y, batch);

  shapes = step_gemms (model, widths, 3, batch, W2_RATE);
  result->workload = "w2";
  result->description = "fmnist-mlp: Fashion-MNIST 60000×784 /255, 784-256-128-10 "
                        "relu/relu/softmax, categorical cross-entropy, SGD lr 0.05, "
                        "shuffled";
  result->epochs = epochs;
  result->batch_size = batch;
  result->n_samples = train.n;
  result->flop_per_sample = gemms_flop (shapes) / batch;
  result->final_loss = total / train.n;
  measure_engine_ceilings (shapes, result);
  return TRUE;
}

/* ---- reporting ------------------------------------------------------------ */

static double
seconds_per_epoch (const BenchResult *r)
{
  return r->seconds / r->epochs;
}

static double
samples_per_second (const BenchResult *r)
{
  return (double) r->n_samples * r->epochs / r->seconds;
}

static double
gflops (const BenchResult *r)
{
  return samples_per_second (r) * r->flop_per_sample / 1e9;
}

static void
print_json (const BenchResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "workload");
  json_builder_add_string_value (b, r->workload);
  json_builder_set_member_name (b, "description");
  json_builder_add_string_value (b, r->description);
  json_builder_set_member_name (b, "real");
  json_builder_add_string_value (b, NN_REAL_NAME);
  json_builder_set_member_name (b, "blas");
  json_builder_add_string_value (b, nnrun_bench_blas_name ());
  if (nnrun_bench_openblas_coretype () != NULL)
    {
      json_builder_set_member_name (b, "openblas_coretype");
      json_builder_add_string_value (b, nnrun_bench_openblas_coretype ());
    }
  json_builder_set_member_name (b, "matmul");
  json_builder_add_string_value (b, nn_matrix_get_engine_name ());
  json_builder_set_member_name (b, "precision");
  json_builder_add_string_value (b, precision_name (r->precision));
  json_builder_set_member_name (b, "threads");
  json_builder_add_int_value (b, r->threads);
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, r->epochs);
  json_builder_set_member_name (b, "batch_size");
  json_builder_add_int_value (b, r->batch_size);
  json_builder_set_member_name (b, "samples");
  json_builder_add_int_value (b, r->n_samples);
  nn_json_builder_add_number (b, "seconds", r->seconds);
  nn_json_builder_add_number (b, "seconds_per_epoch", seconds_per_epoch (r));
  nn_json_builder_add_number (b, "samples_per_second", samples_per_second (r));
  json_builder_set_member_name (b, "processes");
  json_builder_add_int_value (b, r->ranks);
  nn_json_builder_add_number (b, "allreduce_seconds", r->reduce_seconds);
  nn_json_builder_add_number (b, "flop_per_sample", r->flop_per_sample);
  nn_json_builder_add_number (b, "gflops", gflops (r));
  nn_json_builder_add_number (b, "sgemm_gflops", r->sgemm_gflops);
  nn_json_builder_add_number (b, "sgemm_ratio", gflops (r) / r->sgemm_gflops);
  if (!isnan (r->onednn_gflops))
    nn_json_builder_add_number (b, "onednn_gflops", r->onednn_gflops);
  if (!isnan (r->onednn_bf16_gflops))
    nn_json_builder_add_number (b, "onednn_bf16_gflops", r->onednn_bf16_gflops);
  if (!isnan (r->onednn_fused_gflops))
    {
      nn_json_builder_add_number (b, "onednn_fused_gflops", r->onednn_fused_gflops);
      nn_json_builder_add_number (b, "fused_ratio", gflops (r) / r->onednn_fused_gflops);
    }
  nn_json_builder_add_number (b, "ceiling_gflops", best_ceiling (r));
  nn_json_builder_add_number (b, "ceiling_ratio", gflops (r) / best_ceiling (r));
  nn_json_builder_add_number (b, "fma_gflops", r->fma_gflops);
  if (!isnan (r->bf16_peak_gflops))
    nn_json_builder_add_number (b, "bf16_peak_gflops", r->bf16_peak_gflops);
  nn_json_builder_add_number (b, "fma_ratio", gflops (r) / r->fma_gflops);
  nn_json_builder_add_number (b, "final_loss", r->final_loss);
  if (!isnan (r->test_accuracy))
    nn_json_builder_add_number (b, "test_accuracy", r->test_accuracy);
  if (!isnan (r->load_seconds))
    nn_json_builder_add_number (b, "load_seconds", r->load_seconds);
  nn_json_builder_add_number (b, "peak_rss_mib", r->peak_rss_mib);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
  fflush (stdout);
}

/* Seconds in the unit that reads best: s, ms or µs. */
static char *
format_time (double seconds)
{
  if (seconds >= 1)
    return g_strdup_printf ("%.3f s", seconds);
  if (seconds >= 1e-3)
    return g_strdup_printf ("%.3f ms", seconds * 1e3);
  return g_strdup_printf ("%.2f µs", seconds * 1e6);
}

static void
print_text (const BenchResult *r)
{
  g_autofree char *per_epoch = format_time (seconds_per_epoch (r));
  const char      *gemm = NN_REAL_IS_DOUBLE ? "dgemm" : "sgemm";

  printf ("%s %s\n", r->workload, r->description);
  printf ("  %u epoch%s in batches of %u, %s on %s, %u thread%s\n", r->epochs,
          r->epochs == 1 ? "" : "s", r->batch_size,
          r->precision == NN_PRECISION_BF16 ? "bf16 products with float sums" : NN_REAL_NAME,
          nn_matrix_get_engine_name (), r->threads, r->threads == 1 ? "" : "s");
  if (!isnan (r->load_seconds))
    printf ("  data loaded in     %.3f s\n", r->load_seconds);
  printf ("  time per epoch     %s\n", per_epoch);
  printf ("  samples/s          %.0f\n", samples_per_second (r));
  if (r->ranks > 1)
    printf ("  in the sums        %.1f%% (%u processes, %.3f s of the first's)\n",
            100 * r->reduce_seconds / r->seconds, r->ranks, r->reduce_seconds);
  printf ("  GFLOP/s            %.2f\n", gflops (r));
  printf ("  of plain %s     %.1f%% (%s of the same products: %.1f GFLOP/s)\n",
          gemm, 100 * gflops (r) / r->sgemm_gflops, gemm, r->sgemm_gflops);
  if (nnrun_bench_openblas_coretype () != NULL)
    printf ("                     (OpenBLAS does not know this CPU and runs kernels without "
            "AVX2 on it; OPENBLAS_CORETYPE=%s selects ones for its vector units)\n",
            nnrun_bench_openblas_coretype ());
  if (!isnan (r->onednn_gflops))
    printf ("  of oneDNN fp32     %.1f%% (oneDNN's matmul of the same products: %.1f GFLOP/s)\n",
            100 * gflops (r) / r->onednn_gflops, r->onednn_gflops);
  if (!isnan (r->onednn_bf16_gflops) && r->precision == NN_PRECISION_BF16)
    printf ("  of oneDNN bf16     %.1f%% (oneDNN's matmul of the same products, bf16 inputs: "
            "%.1f GFLOP/s)\n",
            100 * gflops (r) / r->onednn_bf16_gflops, r->onednn_bf16_gflops);
  else if (!isnan (r->onednn_bf16_gflops))
    printf ("  oneDNN bf16        %.1f GFLOP/s (the same products, bf16 inputs)\n",
            r->onednn_bf16_gflops);
  if (!isnan (r->onednn_fused_gflops))
    printf ("  of oneDNN fused    %.1f%% (oneDNN's matmul of the same %s with the bias, "
            "activation and SGD step in them: %.1f GFLOP/s)\n",
            100 * gflops (r) / r->onednn_fused_gflops,
            r->precision == NN_PRECISION_BF16 ? "bf16 products" : "products",
            r->onednn_fused_gflops);
  printf ("  of FMA peak        %.1f%% (%.1f GFLOP/s)\n",
          100 * gflops (r) / r->fma_gflops, r->fma_gflops);
  if (!isnan (r->bf16_peak_gflops))
    printf ("  bf16 peak          %.1f GFLOP/s (bf16 dot products)\n", r->bf16_peak_gflops);
  printf ("  final loss         %.6g\n", r->final_loss);
  if (!isnan (r->test_accuracy))
    printf ("  test accuracy      %.2f%%\n", 100 * r->test_accuracy);
  printf ("  peak RSS           %.1f MiB\n", r->peak_rss_mib);
  fflush (stdout);
}

/* ---- the command ----------------------------------------------------------- */

int
nnrun_cmd_bench (int    argc,
                 char **argv)
{
  static const char summary[] =
    "Trains fixed workloads in this process and reports time per epoch, samples/s,\n"
    "GFLOP/s of the matrix products, and their ratio to a plain BLAS run of the same\n"
    "products, to oneDNN's matmul of them (fp32, and bf16 where the CPU has it) and\n"
    "to the measured FMA and bf16 dot-product peaks.\n"
    "  w1  iris-tiny: Iris 4-16-3, full batch, 5000 epochs\n"
    "  w2  fmnist-mlp: Fashion-MNIST 784-256-128-10, batch 128, 3 epochs";
  gint             threads = 1, epochs = 0, batch_size = 128;
  gboolean         json = FALSE;
  g_autofree char *data_dir = NULL;
  g_autofree char *precision_text = NULL;
  NnPrecision      precision = NN_PRECISION_FLOAT32;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const char  *which = "all";
  gboolean     w1, w2;
  double       fma = NAN, bf16_peak = NAN, reduced = 0;
  guint        rank, ranks;
  int          status;
  GOptionEntry entries[] = {
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads,
      "Threads for the matrix products (default 1): nn_matrix_set_n_threads()", "N" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs,
      "Train this many epochs instead of the workload's own (5000 for w1, 3 for w2)", "N" },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch_size,
      "Samples per step of w2 (default 128)", "N" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data_dir,
      "Folder of the Fashion-MNIST IDX files (default " DEFAULT_FASHION_MNIST_DIR ")", "DIR" },
    { "precision", 'p', 0, G_OPTION_ARG_STRING, &precision_text,
      "Number format of the products: float32 (default) or bf16 (bf16 inputs, float sums)",
      "P" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print one JSON object per workload", NULL },
    { NULL }
  };

  context = g_option_context_new ("[w1|w2|all] - the speed benchmark");
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc > 2)
    return nnrun_usage_error (context, "at most one workload");
  if (argc == 2)
    which = argv[1];
  w1 = g_str_equal (which, "w1") || g_str_equal (which, "all");
  w2 = g_str_equal (which, "w2") || g_str_equal (which, "all");
  if (!w1 && !w2)
    {
      g_autofree char *message = g_strdup_printf ("unknown workload '%s' (w1, w2 or all)",
                                                  which);
      return nnrun_usage_error (context, message);
    }
  if (threads < 1 || threads > 256)
    return nnrun_usage_error (context, "--threads must be between 1 and 256");
  if (epochs < 0)
    return nnrun_usage_error (context, "--epochs must be positive");
  if (batch_size < 1 || batch_size > 60000)
    return nnrun_usage_error (context, "--batch-size must be between 1 and 60000");
  if (precision_text != NULL)
    {
      g_autoptr(GEnumClass) klass = g_type_class_ref (NN_TYPE_PRECISION);
      GEnumValue      *value = g_enum_get_value_by_nick (klass, precision_text);
      g_autofree char *message = NULL;

      if (value == NULL)
        message = g_strdup_printf ("unknown precision '%s' (float32 or bf16)", precision_text);
      else if (!nn_matrix_check_precision (value->value, &error))
        message = g_strdup_printf ("--precision %s is not available: %s", precision_text,
                                   error->message);
      if (message != NULL)
        return nnrun_usage_error (context, message);
      precision = value->value;
    }

  if (!nnrun_load_plugins (TRUE, &error))
    {
      g_printerr ("nnrun: %s\n", error->message);
      return EXIT_RUN_FAILED;
    }
  nn_matrix_set_n_threads (threads);
  nn_matrix_set_precision (precision);
  /* Under mpirun, the processes train each workload together and the
   * first reports. */
  if ((status = nnrun_mpi_start (&rank, &ranks)) != EXIT_OK)
    return status;

  for (guint pass = 0; pass < 2; pass++)
    {
      BenchResult result = { 0 };
      gboolean    ok;

      if ((pass == 0 && !w1) || (pass == 1 && !w2))
        continue;
      result.threads = threads;
      result.precision = precision;
      if (pass == 0)
        ok = run_w1 (epochs ? epochs : 5000, &result, &error);
      else
        ok = run_w2 (epochs ? epochs : 3, (guint) batch_size, data_dir ? data_dir : DEFAULT_FASHION_MNIST_DIR,
                     &result, &error);
      if (!ok)
        {
          g_printerr ("nnrun: bench %s: %s\n", pass == 0 ? "w1" : "w2", error->message);
          return nnrun_mpi_finish (error->domain == NN_MODEL_ERROR ? EXIT_RUN_FAILED
                                                                   : EXIT_BAD_INPUT,
                                   TRUE);
        }
      result.ranks = ranks;
      result.reduce_seconds = nnrun_mpi_reduce_seconds () - reduced;
      reduced += result.reduce_seconds;
      if (rank > 0)
        continue;
      result.peak_rss_mib = peak_rss_mib ();
      if (isnan (fma))
        {
          fma = nnrun_bench_fma_peak (threads);
          bf16_peak = nnrun_bench_bf16_peak (threads);
        }
      result.fma_gflops = fma;
      result.bf16_peak_gflops = bf16_peak;
      if (json)
        print_json (&result);
      else
        print_text (&result);
    }
  return nnrun_mpi_finish (EXIT_OK, FALSE);
}
