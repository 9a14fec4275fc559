/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resuming training: a checkpoint resumes to exactly the uninterrupted run,
 * from an epoch's end or part-way through one, per-epoch shuffling streams,
 * bad checkpoints refused; and training that allocates nothing after its
 * first epoch. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <string.h>

#include "nn-test.h"

/* ---- counting allocations ------------------------------------------------
 * malloc, calloc, realloc and the aligned allocations (g_aligned_alloc)
 * defined here replace the C library's for the whole process (libnncore,
 * GLib, the plugins), so a test can count the allocations a stretch of
 * training makes on this thread. Each is the next definition's, so that
 * free() always meets a pointer of the allocator it calls: with a sanitizer
 * linked into this program, that is the C library's. dlsym() may itself
 * allocate while the real functions are looked up; those few requests come
 * from a static buffer. */

static void *(*real_malloc) (size_t);
static void *(*real_calloc) (size_t, size_t);
static void *(*real_realloc) (void *, size_t);
static void (*real_free) (void *);
static int (*real_posix_memalign) (void **, size_t, size_t);
static void *(*real_aligned_alloc) (size_t, size_t);
static void *(*real_memalign) (size_t, size_t);
static __thread gboolean counting;
static __thread guint    n_allocations;
static gboolean          resolving;
static _Alignas(16) char bootstrap[8192];
static gsize bootstrap_used;

static void *
bootstrap_alloc (size_t size)
{
  void *p;

  size = (size + 15) & ~(size_t) 15;
  if (bootstrap_used + size > sizeof bootstrap)
    return NULL;
  p = bootstrap + bootstrap_used;
  bootstrap_used += size;
  return p;
}

static gboolean
in_bootstrap (const void *p)
{
  return (const char *) p >= bootstrap && (const char *) p < bootstrap + sizeof bootstrap;
}

static gboolean
resolve (void)
{
  if (real_free != NULL)
    return TRUE;
  if (resolving)
    return FALSE;
  resolving = TRUE;
  real_malloc = dlsym (RTLD_NEXT, "malloc");
  real_calloc = dlsym (RTLD_NEXT, "calloc");
  real_realloc = dlsym (RTLD_NEXT, "realloc");
  real_posix_memalign = dlsym (RTLD_NEXT, "posix_memalign");
  real_aligned_alloc = dlsym (RTLD_NEXT, "aligned_alloc");
  real_memalign = dlsym (RTLD_NEXT, "memalign");
  real_free = dlsym (RTLD_NEXT, "free");
  resolving = FALSE;
  return real_free != NULL;
}

void *
malloc (size_t size)
{
  if (!resolve ())
    return bootstrap_alloc (size);
  if (counting)
    n_allocations++;
  return real_malloc (size);
}

void *
calloc (size_t n,
        size_t size)
{
  if (!resolve ())
    return bootstrap_alloc (n * size); /* static memory is zeroed */
  if (counting)
    n_allocations++;
  return real_calloc (n, size);
}

void *
realloc (void  *p,
         size_t size)
{
  if (!resolve ())
    return NULL;
  if (counting)
    n_allocations++;
  if (in_bootstrap (p))
    {
      void *q = real_malloc (size);
      if (q != NULL)
        memcpy (q, p, MIN (size, (size_t) (bootstrap + sizeof bootstrap - (char *) p)));
      return q;
    }
  return real_realloc (p, size);
}

int
posix_memalign (void **p,
                size_t alignment,
                size_t size)
{
  if (!resolve ())
    return ENOMEM;
  if (counting)
    n_allocations++;
  return real_posix_memalign (p, alignment, size);
}

void *
aligned_alloc (size_t alignment,
               size_t size)
{
  if (!resolve ())
    return NULL;
  if (counting)
    n_allocations++;
  return real_aligned_alloc (alignment, size);
}

void *
memalign (size_t alignment,
          size_t size)
{
  if (!resolve ())
    return NULL;
  if (counting)
    n_allocations++;
  return real_memalign (alignment, size);
}

void
free (void *p)
{
  if (p == NULL || in_bootstrap (p))
    return;
  if (resolve ())
    real_free (p);
}

/* ---- a loss that can cancel training part-way ---------------------------- */

#define NN_TYPE_TEST_COUNTING_LOSS (nn_test_counting_loss_get_type ())
G_DECLARE_FINAL_TYPE (NnTestCountingLoss, nn_test_counting_loss, NN, TEST_COUNTING_LOSS, NnLoss)

/* Mean squared error that cancels #cancel_target at its #cancel_at-th
 * computation, which happens in the middle of an epoch. */
struct _NnTestCountingLoss
{
  NnLoss        parent_instance;
  guint         calls;
  guint         cancel_at;
  GCancellable *cancel_target;
};

G_DEFINE_FINAL_TYPE (NnTestCountingLoss, nn_test_counting_loss, NN_TYPE_LOSS)

static double
counting_loss_compute (NnLoss         *loss,
                       const NnMatrix *pred,
                       const NnMatrix *target)
{
  NnTestCountingLoss *self = NN_TEST_COUNTING_LOSS (loss);
  gsize               n = nn_matrix_size (pred);
  double              sum = 0;

  if (++self->calls == self->cancel_at && self->cancel_target != NULL)
    g_cancellable_cancel (self->cancel_target);
  for (gsize i = 0; i < n; i++)
    sum += ((double) pred->data[i] - target->data[i]) * ((double) pred->data[i] - target->data[i]);
  return sum / n;
}

static void
counting_loss_gradient (NnLoss         *loss,
                        const NnMatrix *pred,
                        const NnMatrix *target,
                        NnMatrix       *grad)
{
  gsize n = nn_matrix_size (pred);

  for (gsize i = 0; i < n; i++)
    grad->data[i] = (nn_real) (2.0 * ((double) pred->data[i] - target->data[i]) / n);
}

static void
nn_test_counting_loss_class_init (NnTestCountingLossClass *klass)
{
  NN_LOSS_CLASS (klass)->compute = counting_loss_compute;
  NN_LOSS_CLASS (klass)->gradient = counting_loss_gradient;
}

static void
nn_test_counting_loss_init (NnTestCountingLoss *self)
{
}

/* ---- helpers ------------------------------------------------------------- */

/* A trainer of a two-layer nn_test_make_model (), in batches of 10 for one epoch. */
static NnTrainer *
make_trainer (guint64             seed,
              const guint        *widths,
              const char * const *activations,
              NnLoss             *loss,
              NnOptimizer        *optimizer)
{
  g_autoptr(NnModel) model = nn_test_make_model (seed, widths, activations, 2, loss, optimizer);

  return nn_test_make_trainer (model, 1, 10, TRUE);
}

static gboolean
same_history (GArray *a,
              GArray *b)
{
  return a->len == b->len && memcmp (a->data, b->data, a->len * sizeof (double)) == 0;
}

static char *
temp_path (const char *name)
{
  g_autofree char *dir = nn_test_new_dir ();

  return g_build_filename (dir, name, NULL);
}

/* ---- resuming ------------------------------------------------------------ */

typedef struct
{
  NnMatrix *x, *y, *val_x, *val_y;
} Data;

static void
data_init (Data   *d,
           guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  d->x = nn_test_random_matrix (rand, 50, 4, -1, 1);
  d->y = nn_test_one_hot (rand, 50, 3);
  d->val_x = nn_test_random_matrix (rand, 20, 4, -1, 1);
  d->val_y = nn_test_one_hot (rand, 20, 3);
}

static void
data_clear (Data *d)
{
  g_clear_pointer (&d->x, nn_matrix_free);
  g_clear_pointer (&d->y, nn_matrix_free);
  g_clear_pointer (&d->val_x, nn_matrix_free);
  g_clear_pointer (&d->val_y, nn_matrix_free);
}

#define RESUME_EPOCHS 8
#define RESUME_BATCH 7

/* Adam (whose state matters), shuffled mini-batches with a short last one,
 * clipping and a cosine schedule with warm-up over the whole run. */
static NnTrainer *
make_resume_trainer (guint64 seed,
                     NnLoss *loss)
{
  const guint        widths[] = { 4, 6, 3 };
  const char * const acts[] = { "tanh", "softmax" };
  g_autoptr(NnLoss) default_loss = loss ? NULL : nn_test_make_loss ("categorical_crossentropy");
  g_autoptr(NnOptimizer) opt = nn_test_make_optimizer ("adam", 0.05);
  g_autoptr(NnSchedule) schedule = g_object_new (NN_TYPE_COSINE_SCHEDULE, "warmup-epochs", 2,
                                                  "warmup-start-factor", 0.1, NULL);
  g_autoptr(NnModel) model = nn_test_make_model (seed, widths, acts, 2, loss ? loss : default_loss,
                                                  opt);
  NnTrainer *trainer = nn_test_make_trainer (model, RESUME_EPOCHS, RESUME_BATCH, TRUE);

  nn_schedule_set_total_epochs (schedule, RESUME_EPOCHS);
  nn_trainer_set_schedule (trainer, schedule);
  nn_trainer_set_clip_norm (trainer, 0.5);
  return trainer;
}

#define MODEL(trainer) nn_trainer_get_model (trainer)

static void
test_resume_from_checkpoint_is_exact (void)
{
  g_autoptr(NnTrainer) whole = make_resume_trainer (31, NULL);
  g_autoptr(NnTrainer) first = make_resume_trainer (31, NULL);
  g_autoptr(NnTrainer) second = make_resume_trainer (31, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) extra = NULL;
  g_autofree char *path = temp_path ("checkpoint");
  guint            done = 0;
  Data             d;

  data_init (&d, 30);
  CU_ASSERT_TRUE (nn_trainer_fit (whole, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  nn_trainer_set_epochs (first, 3);
  CU_ASSERT_TRUE (nn_trainer_fit (first, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  CU_ASSERT_TRUE (nn_checkpoint_save (path, first, g_variant_new ("(su)", "history", 3),
                                      &error));
  NN_ASSERT_NO_ERROR (error);

  /* The fresh model's initial weights and Adam state are replaced. */
  CU_ASSERT_FALSE (nn_test_same_parameters (MODEL (first), MODEL (second)));
  CU_ASSERT_TRUE (nn_checkpoint_load (path, second, &done, &extra, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (done, 3);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (second), 3);
  CU_ASSERT_TRUE (nn_test_same_parameters (MODEL (first), MODEL (second)));
  CU_ASSERT_EQUAL (nn_optimizer_get_iterations (nn_model_get_optimizer (MODEL (second))),
                   nn_optimizer_get_iterations (nn_model_get_optimizer (MODEL (first))));
  CU_ASSERT (extra != NULL && g_variant_is_of_type (extra, G_VARIANT_TYPE ("(su)")));

  CU_ASSERT_TRUE (nn_trainer_fit (second, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (second), RESUME_EPOCHS);
  CU_ASSERT_TRUE (nn_test_same_parameters (MODEL (whole), MODEL (second)));
  CU_ASSERT_TRUE (same_history (nn_trainer_get_loss_history (whole),
                                nn_trainer_get_loss_history (second)));
  CU_ASSERT_TRUE (same_history (nn_trainer_get_val_loss_history (whole),
                                nn_trainer_get_val_loss_history (second)));
  CU_ASSERT_EQUAL (nn_optimizer_get_learning_rate (nn_model_get_optimizer (MODEL (whole))),
                   nn_optimizer_get_learning_rate (nn_model_get_optimizer (MODEL (second))));

  data_clear (&d);
}

static NnLoss *
counting_loss_new (guint         cancel_at,
                   GCancellable *cancellable)
{
  NnTestCountingLoss *loss = g_object_new (NN_TYPE_TEST_COUNTING_LOSS, NULL);

  loss->cancel_at = cancel_at;
  loss->cancel_target = cancellable;
  return NN_LOSS (loss);
}

static void
test_resume_part_way_through_epoch (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(NnLoss) plain_loss = counting_loss_new (0, NULL);
  g_autoptr(NnLoss) stop_loss = counting_loss_new (0, NULL);
  g_autoptr(NnLoss) again_loss = counting_loss_new (0, NULL);
  g_autoptr(NnLoss) fresh_loss = counting_loss_new (0, NULL);
  g_autoptr(NnTrainer) whole = make_resume_trainer (41, plain_loss);
  g_autoptr(NnTrainer) stopped = make_resume_trainer (41, stop_loss);
  g_autoptr(NnTrainer) again = make_resume_trainer (41, again_loss);
  g_autoptr(NnTrainer) fresh = make_resume_trainer (41, fresh_loss);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = temp_path ("checkpoint");
  guint            done = 0;
  Data             d;

  data_init (&d, 40);
  CU_ASSERT_TRUE (nn_trainer_fit (whole, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  /* An epoch is 8 batches and one validation; the 13th loss is batch 4 of
   * epoch 2, after which training stops. */
  NN_TEST_COUNTING_LOSS (stop_loss)->cancel_at = 13;
  NN_TEST_COUNTING_LOSS (stop_loss)->cancel_target = cancellable;
  CU_ASSERT_FALSE (nn_trainer_fit (stopped, d.x, d.y, d.val_x, d.val_y, cancellable, &error));
  NN_ASSERT_ERROR (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (stopped), 1);
  CU_ASSERT_EQUAL (nn_trainer_get_loss_history (stopped)->len, 1);
  CU_ASSERT_EQUAL (nn_optimizer_get_iterations (nn_model_get_optimizer (MODEL (stopped))), 12);
  CU_ASSERT_TRUE (nn_checkpoint_save (path, stopped, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  /* Continuing the part-done epoch needs the same batches. */
  g_cancellable_reset (cancellable);
  nn_trainer_set_batch_size (stopped, 5);
  CU_ASSERT_FALSE (nn_trainer_fit (stopped, d.x, d.y, NULL, NULL, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED);
  g_clear_error (&error);
  nn_trainer_set_batch_size (stopped, RESUME_BATCH);

  /* In the same process... */
  CU_ASSERT_TRUE (nn_trainer_fit (stopped, d.x, d.y, d.val_x, d.val_y, cancellable, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (nn_test_same_parameters (MODEL (whole), MODEL (stopped)));
  CU_ASSERT_TRUE (same_history (nn_trainer_get_loss_history (whole),
                                nn_trainer_get_loss_history (stopped)));

  /* ...and from the checkpoint, in a model built afresh. */
  CU_ASSERT_TRUE (nn_checkpoint_load (path, fresh, &done, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (done, 1);
  CU_ASSERT_TRUE (nn_trainer_fit (fresh, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (nn_test_same_parameters (MODEL (whole), MODEL (fresh)));
  CU_ASSERT_TRUE (same_history (nn_trainer_get_loss_history (whole),
                                nn_trainer_get_loss_history (fresh)));
  CU_ASSERT_TRUE (same_history (nn_trainer_get_val_loss_history (whole),
                                nn_trainer_get_val_loss_history (fresh)));

  /* A model that trained differently from the start is not the same. */
  nn_trainer_set_shuffle (again, FALSE);
  CU_ASSERT_TRUE (nn_trainer_fit (again, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  CU_ASSERT_FALSE (nn_test_same_parameters (MODEL (whole), MODEL (again)));

  data_clear (&d);
}

/* Plain SGD, so that the weights and the epoch are the whole state. */
static NnTrainer *
make_sgd_trainer (guint64 seed)
{
  const guint        widths[] = { 4, 6, 3 };
  const char * const acts[] = { "tanh", "softmax" };
  g_autoptr(NnLoss) loss = nn_test_make_loss ("categorical_crossentropy");
  g_autoptr(NnOptimizer) opt = nn_test_make_optimizer ("sgd", 0.1);
  g_autoptr(NnModel) model = nn_test_make_model (seed, widths, acts, 2, loss, opt);

  return nn_test_make_trainer (model, 1, RESUME_BATCH, TRUE);
}

static void
copy_weights (NnModel *from,
              NnModel *to)
{
  for (guint p = 0; p < nn_model_get_n_parameters (from); p++)
    nn_matrix_copy_into (nn_model_get_parameter (from, p), nn_model_get_parameter (to, p));
}

/* Trains one shuffled epoch of @model from @reference's weights as epoch
 * @epoch, and tells whether it ends with the weights @expected ends with. */
static gboolean
trains_like (NnTrainer  *trainer,
             NnTrainer  *reference,
             guint       epoch,
             NnTrainer  *expected,
             const Data *d)
{
  copy_weights (MODEL (reference), MODEL (trainer));
  nn_trainer_set_epoch (trainer, epoch);
  nn_trainer_train_epoch (trainer, d->x, d->y, NULL);
  return nn_test_same_parameters (MODEL (trainer), MODEL (expected));
}

static void
test_shuffling_depends_on_seed_and_epoch (void)
{
  g_autoptr(NnTrainer) start = make_sgd_trainer (51);
  g_autoptr(NnTrainer) expected = make_sgd_trainer (51);
  g_autoptr(NnTrainer) same = make_sgd_trainer (51);
  g_autoptr(NnTrainer) other_seed = make_sgd_trainer (52);
  g_autoptr(NnTrainer) in_order = make_sgd_trainer (51);
  Data d;

  data_init (&d, 50);
  copy_weights (MODEL (start), MODEL (expected));
  nn_trainer_set_epoch (expected, 3);
  nn_trainer_train_epoch (expected, d.x, d.y, NULL);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (expected), 4);

  /* Drawing more from the model's own sequence (initial weights) changes
   * nothing in the shuffling. */
  nn_model_init_parameters (MODEL (same), NN_INIT_HE_NORMAL);
  CU_ASSERT_TRUE (trains_like (same, start, 3, expected, &d));
  /* Another epoch or another seed gives another order. */
  CU_ASSERT_FALSE (trains_like (same, start, 2, expected, &d));
  CU_ASSERT_FALSE (trains_like (other_seed, start, 3, expected, &d));
  /* The order is all that differs: without shuffling they agree. */
  copy_weights (MODEL (start), MODEL (in_order));
  copy_weights (MODEL (start), MODEL (other_seed));
  nn_trainer_set_shuffle (in_order, FALSE);
  nn_trainer_set_shuffle (other_seed, FALSE);
  nn_trainer_train_epoch (in_order, d.x, d.y, NULL);
  nn_trainer_train_epoch (other_seed, d.x, d.y, NULL);
  CU_ASSERT_TRUE (nn_test_same_parameters (MODEL (in_order), MODEL (other_seed)));
  data_clear (&d);
}

/* ---- refusing bad checkpoints -------------------------------------------- */

/* A checkpoint file of @dict: of format version 2 with its digest, or of
 * version 1 (the dictionary right after the magic) if @old_format. */
static void
write_checkpoint_file (const char *path,
                       GVariant   *dict,
                       gboolean    old_format)
{
  g_autoptr(GVariant) v = g_variant_ref_sink (dict);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize            size = g_variant_get_size (v), header = old_format ? 8 : 48, digest_length = 32;
  g_autofree char *data = g_malloc0 (header + size);

  memcpy (data, "nnckpt\n", 8);
  g_variant_store (v, data + header);
  if (!old_format)
    {
      data[8] = 2;
      g_checksum_update (sum, (const guchar *) data + 8, 8);
      g_checksum_update (sum, (const guchar *) data + header, size);
      g_checksum_get_digest (sum, (guint8 *) data + 16, &digest_length);
    }
  g_assert_true (g_file_set_contents (path, data, header + size, NULL));
}

static void
expect_refused (const char *path,
                NnTrainer  *trainer,
                GQuark      domain,
                gint        code,
                const char *words)
{
  NnModel *model = MODEL (trainer);
  g_autoptr(GPtrArray) before = nn_test_copy_parameters (model);
  g_autoptr(GError) error = NULL;
  guint   epoch = nn_trainer_get_epoch (trainer);
  guint64 iterations = nn_optimizer_get_iterations (nn_model_get_optimizer (model));

  CU_ASSERT_FALSE (nn_checkpoint_load (path, trainer, NULL, NULL, &error));
  NN_ASSERT_ERROR (error, domain, code);
  if (words != NULL)
    NN_ASSERT_CONTAINS (error ? error->message : NULL, words);
  CU_ASSERT_TRUE (nn_test_parameters_equal (model, before));
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), epoch);
  CU_ASSERT_EQUAL (nn_optimizer_get_iterations (nn_model_get_optimizer (model)), iterations);
}

static void
test_bad_checkpoints_are_refused (void)
{
  const guint        widths[] = { 4, 6, 3 }, wider[] = { 4, 7, 3 };
  const char * const acts[] = { "tanh", "softmax" }, * const other_acts[] = { "relu", "softmax" };
  g_autoptr(NnLoss) loss = nn_test_make_loss ("categorical_crossentropy");
  g_autoptr(NnOptimizer) opt = nn_test_make_optimizer ("adam", 0.01);
  g_autoptr(NnOptimizer) opt2 = nn_test_make_optimizer ("adam", 0.01);
  g_autoptr(NnOptimizer) opt3 = nn_test_make_optimizer ("adam", 0.01);
  g_autoptr(NnOptimizer) opt4 = nn_test_make_optimizer ("adam", 0.01);
  g_autoptr(NnOptimizer) sgd = nn_test_make_optimizer ("sgd", 0.01);
  g_autoptr(NnOptimizer) sgd2 = nn_test_make_optimizer ("sgd", 0.01);
  g_autoptr(NnTrainer) saved = make_trainer (7, widths, acts, loss, opt);
  g_autoptr(NnTrainer) target = make_trainer (7, widths, acts, loss, opt2);
  g_autoptr(NnTrainer) wide = make_trainer (7, wider, acts, loss, opt3);
  g_autoptr(NnTrainer) relu = make_trainer (7, widths, other_acts, loss, opt4);
  g_autoptr(NnTrainer) seeded = make_trainer (8, widths, acts, loss, sgd2);
  g_autoptr(NnTrainer) with_sgd = make_trainer (7, widths, acts, loss, sgd);
  g_autofree char *path = temp_path ("checkpoint");
  g_autofree char *bad = temp_path ("bad");
  g_autofree char *missing = g_build_filename (g_get_tmp_dir (), "nn-no-such-dir", "x", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (99);
  g_autoptr(GError) error = NULL;
  gsize length;
  Data  d;

  data_init (&d, 60);
  nn_trainer_set_epochs (saved, 2);
  nn_trainer_fit (saved, d.x, d.y, NULL, NULL, NULL, NULL);
  nn_trainer_fit (target, d.x, d.y, NULL, NULL, NULL, NULL);
  CU_ASSERT_TRUE_FATAL (nn_checkpoint_save (path, saved, NULL, &error));

  expect_refused (path, wide, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH, "7 units");
  expect_refused (path, relu, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "Relu");
  expect_refused (path, seeded, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "seed 7");
  expect_refused (path, with_sgd, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "Adam");
  expect_refused (missing, target, NN_MODEL_ERROR, NN_MODEL_ERROR_IO, NULL);

  g_file_set_contents (bad, "epochs: 3\n", -1, NULL);
  expect_refused (bad, target, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "not an nn checkpoint");
  g_file_set_contents (bad, "", 0, NULL);
  expect_refused (bad, target, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "not an nn checkpoint");
  write_checkpoint_file (bad, g_variant_new_parsed ("{'version': <@u 3>}"), FALSE);
  expect_refused (bad, target, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "format version 3");
  write_checkpoint_file (bad, g_variant_new_parsed ("{'version': <@u 1>, 'real': <'double'>}"),
                         TRUE);
  expect_refused (bad, target, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "format version 1");
#if NN_REAL_IS_DOUBLE
  write_checkpoint_file (bad, g_variant_new_parsed ("{'version': <@u 2>, 'real': <'float'>}"),
                         FALSE);
  expect_refused (bad, target, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "float build");
#else
  write_checkpoint_file (bad, g_variant_new_parsed ("{'version': <@u 2>, 'real': <'double'>}"),
                         FALSE);
  expect_refused (bad, target, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "double build");
#endif

  /* Cut short or with bytes changed anywhere: an error or, if the damage
   * happens to leave a valid state, a load; never a crash. */
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  for (gsize cut = 0; cut < length; cut += 1 + length / 40)
    {
      g_autoptr(GPtrArray) before = nn_test_copy_parameters (MODEL (target));
      g_autoptr(GError) local_error = NULL;

      g_file_set_contents (bad, contents, cut, NULL);
      CU_ASSERT_FALSE (nn_checkpoint_load (bad, target, NULL, NULL, &local_error));
      CU_ASSERT (local_error != NULL && local_error->domain == NN_MODEL_ERROR);
      CU_ASSERT_TRUE (nn_test_parameters_equal (MODEL (target), before));
    }
  for (guint trial = 0; trial < 300; trial++)
    {
      g_autofree char *copy = g_memdup2 (contents, length);
      g_autoptr(NnTrainer) victim = NULL;
      g_autoptr(NnOptimizer) victim_opt = nn_test_make_optimizer ("adam", 0.01);
      g_autoptr(GError) local_error = NULL;
      guint n_changes = g_rand_int_range (rand, 1, 4);

      for (guint k = 0; k < n_changes; k++)
        copy[g_rand_int_range (rand, 8, (gint32) length)] = (char) g_rand_int_range (rand, 0, 256);
      g_file_set_contents (bad, copy, length, NULL);
      victim = make_trainer (7, widths, acts, loss, victim_opt);
      if (!nn_checkpoint_load (bad, victim, NULL, NULL, &local_error))
        CU_ASSERT (local_error != NULL && local_error->domain == NN_MODEL_ERROR);
    }

  /* The undamaged file still loads. */
  CU_ASSERT_TRUE (nn_checkpoint_load (path, target, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (nn_test_same_parameters (MODEL (saved), MODEL (target)));

  data_clear (&d);
}

static void
test_checkpoint_written_atomically (void)
{
  const guint        widths[] = { 4, 6, 3 };
  const char * const acts[] = { "tanh", "softmax" };
  g_autoptr(NnLoss) loss = nn_test_make_loss ("categorical_crossentropy");
  g_autoptr(NnOptimizer) opt = nn_test_make_optimizer ("adam", 0.01);
  g_autoptr(NnTrainer) trainer = make_trainer (7, widths, acts, loss, opt);
  g_autofree char *path = temp_path ("checkpoint");
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *unwritable = g_build_filename (path, "inside-a-file", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) listing = NULL;
  guint n_files = 0;

  g_file_set_contents (path, "old", -1, NULL);
  CU_ASSERT_TRUE (nn_checkpoint_save (path, trainer, NULL, &error));
  /* No temporary file is left beside it. */
  listing = g_dir_open (dir, 0, NULL);
  while (g_dir_read_name (listing) != NULL)
    n_files++;
  CU_ASSERT_EQUAL (n_files, 1);
  CU_ASSERT_FALSE (nn_checkpoint_save (unwritable, trainer, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO);
}

/* ---- allocation ---------------------------------------------------------- */

/* After the first epoch, training allocates nothing: steps, schedule,
 * clipping, shuffling, validation, the epoch's values and callbacks, and
 * early stopping. */
static void
test_training_allocates_nothing_after_first_epoch (void)
{
  g_autoptr(NnTrainer) trainer = make_resume_trainer (61, NULL);
  g_autoptr(NnEarlyStopping) es = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 100,
                                                 "restore-best", TRUE, NULL);
  g_autoptr(GError) error = NULL;
  guint before;
  Data  d;

  /* A memory checker such as valgrind replaces malloc in the test too. */
  before = n_allocations;
  counting = TRUE;
  g_free (g_malloc (16));
  counting = FALSE;
  if (n_allocations != before + 1)
    {
      g_print ("allocations cannot be counted here; ");
      return;
    }

  data_init (&d, 60);
  nn_trainer_add_callback (trainer, NN_TRAINER_CALLBACK (es));
  nn_trainer_set_epochs (trainer, 1);
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  /* The histories grow by doubling; room for the next epochs is made now. */
  g_array_set_size (nn_trainer_get_loss_history (trainer), 64);
  g_array_set_size (nn_trainer_get_val_loss_history (trainer), 64);
  g_array_set_size (nn_trainer_get_loss_history (trainer), 1);
  g_array_set_size (nn_trainer_get_val_loss_history (trainer), 1);

  nn_trainer_set_epochs (trainer, 7);
  before = n_allocations;
  counting = TRUE;
  nn_trainer_fit (trainer, d.x, d.y, d.val_x, d.val_y, NULL, &error);
  counting = FALSE;
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), 7);
  if (n_allocations != before)
    g_print ("%u allocations ", n_allocations - before);
  CU_ASSERT_EQUAL (n_allocations, before);
  data_clear (&d);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("resuming", nn_test_init_plugins, nn_test_remove_scratch);
  CU_add_test (s, "training resumed from a checkpoint ends exactly as if never stopped",
               test_resume_from_checkpoint_is_exact);
  CU_add_test (s, "training cancelled part-way through an epoch resumes exactly",
               test_resume_part_way_through_epoch);
  CU_add_test (s, "each epoch's shuffle depends only on the seed and the epoch",
               test_shuffling_depends_on_seed_and_epoch);
  CU_add_test (s, "bad checkpoints are refused and leave the model unchanged",
               test_bad_checkpoints_are_refused);
  CU_add_test (s, "checkpoints are written atomically", test_checkpoint_written_atomically);

  s = CU_add_suite ("allocation", nn_test_init_plugins, NULL);
  CU_add_test (s, "training allocates nothing after the first epoch",
               test_training_allocates_nothing_after_first_epoch);

  return nn_test_run ();
}
