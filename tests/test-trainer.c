/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NnTrainer's callbacks: behaviours around the epochs and in every step
 * that plug into the trainer's loop without changing it. The callbacks
 * here live only in this file. */
#include <math.h>
#include <string.h>

#include "nn-test.h"

/* ---- helpers ------------------------------------------------------------- */

/* A 3-4-2 tanh/linear network with mean squared error and plain SGD. */
static NnModel *
make_model (guint64 seed,
            double  learning_rate)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnLoss) loss = nn_loss_new_by_name ("mean_squared_error", &error);
  g_autoptr(NnOptimizer) sgd = nn_sgd_optimizer_new (learning_rate);
  g_autoptr(NnLayer) hidden = nn_test_make_layer (3, 4, "tanh");
  g_autoptr(NnLayer) output = nn_test_make_layer (4, 2, "linear");
  NnModel *model = nn_model_new ();

  g_assert_no_error (error);
  nn_model_set_seed (model, seed);
  nn_model_add_layer (model, hidden);
  nn_model_add_layer (model, output);
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, sgd);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  return model;
}

static gboolean
same_parameters (NnModel *a,
                 NnModel *b)
{
  for (guint p = 0; p < nn_model_get_n_parameters (a); p++)
    {
      NnMatrix *pa = nn_model_get_parameter (a, p), *pb = nn_model_get_parameter (b, p);

      if (memcmp (pa->data, pb->data, nn_matrix_size (pa) * sizeof (nn_real)) != 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
same_history (GArray *a,
              GArray *b)
{
  return a->len == b->len && memcmp (a->data, b->data, a->len * sizeof (double)) == 0;
}

/* ---- a gradient watch ---------------------------------------------------- */

/* Records the largest gradient norm of each epoch's steps, taken before
 * clipping, passes it on as the epoch value `max_gradient_norm`, and stops
 * training at the first epoch where it falls below a threshold. */
#define TEST_TYPE_GRADIENT_WATCH (test_gradient_watch_get_type ())
G_DECLARE_FINAL_TYPE (TestGradientWatch,
                      test_gradient_watch,
                      TEST,
                      GRADIENT_WATCH,
                      NnTrainerCallback)

struct _TestGradientWatch
{
  NnTrainerCallback parent_instance;

  double  threshold;
  double  epoch_max;
  guint   steps;
  GArray *norms; /* double, one per epoch */
};

G_DEFINE_FINAL_TYPE (TestGradientWatch, test_gradient_watch, NN_TYPE_TRAINER_CALLBACK)

static gboolean
watch_epoch_begin (NnTrainerCallback *callback,
                   NnTrainer         *trainer,
                   guint              epoch,
                   GError           **error)
{
  TEST_GRADIENT_WATCH (callback)->epoch_max = 0;
  return TRUE;
}

static gboolean
watch_gradients_ready (NnTrainerCallback *callback,
                       NnTrainer         *trainer,
                       GError           **error)
{
  TestGradientWatch *self = TEST_GRADIENT_WATCH (callback);

  self->epoch_max = MAX (self->epoch_max,
                         nn_model_get_gradient_norm (nn_trainer_get_model (trainer)));
  self->steps++;
  return TRUE;
}

static gboolean
watch_epoch_end (NnTrainerCallback *callback,
                 NnTrainer         *trainer,
                 guint              epoch,
                 GError           **error)
{
  TestGradientWatch *self = TEST_GRADIENT_WATCH (callback);

  g_array_append_val (self->norms, self->epoch_max);
  nn_trainer_set_epoch_value (trainer, "max_gradient_norm", self->epoch_max);
  if (self->epoch_max < self->threshold)
    nn_trainer_stop (trainer);
  return TRUE;
}

static void
test_gradient_watch_finalize (GObject *object)
{
  g_array_unref (TEST_GRADIENT_WATCH (object)->norms);

  G_OBJECT_CLASS (test_gradient_watch_parent_class)->finalize (object);
}

static void
test_gradient_watch_class_init (TestGradientWatchClass *klass)
{
  NnTrainerCallbackClass *callback_class = NN_TRAINER_CALLBACK_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_gradient_watch_finalize;
  callback_class->epoch_begin = watch_epoch_begin;
  callback_class->gradients_ready = watch_gradients_ready;
  callback_class->epoch_end = watch_epoch_end;
}

static void
test_gradient_watch_init (TestGradientWatch *self)
{
  self->norms = g_array_new (FALSE, FALSE, sizeof (double));
}

#define WATCH_EPOCHS 40

/* The watch sees the gradients of every step before clipping, its value
 * reaches the callbacks after it, and its stop request ends the fit. */
static void
test_gradient_watch_stops_training (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 12, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 12, 2, -1, 1);
  g_autoptr(NnModel) model = make_model (6, 0.1);
  g_autoptr(NnModel) twin_model = make_model (6, 0.1);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, WATCH_EPOCHS, 0, FALSE);
  g_autoptr(NnTrainer) twin = nn_test_make_trainer (twin_model, WATCH_EPOCHS, 0, FALSE);
  g_autoptr(TestGradientWatch) watch = g_object_new (TEST_TYPE_GRADIENT_WATCH, NULL);
  g_autoptr(NnEarlyStopping) es = g_object_new (NN_TYPE_EARLY_STOPPING,
                                                 "monitor", "max_gradient_norm", "mode",
                                                 NN_EARLY_STOPPING_MODE_MIN, "patience",
                                                 1000, NULL);
  g_autoptr(GError) error = NULL;
  double norms[WATCH_EPOCHS], least = INFINITY;
  guint  stop = 0;

  /* The same run step by step: one full batch a step, and the norm
   * before each update, where clipping has not acted yet. */
  nn_trainer_set_clip_norm (trainer, 0.2);
  nn_trainer_set_clip_norm (twin, 0.2);
  for (guint e = 0; e < WATCH_EPOCHS; e++)
    {
      nn_model_forward (twin_model, x);
      nn_model_backward (twin_model, x, y);
      norms[e] = nn_model_get_gradient_norm (twin_model);
      nn_trainer_train_step (twin, x, y, &error);
      NN_ASSERT_NO_ERROR (error);
    }
  watch->threshold = norms[WATCH_EPOCHS / 2];
  while (stop < WATCH_EPOCHS && !(norms[stop] < watch->threshold))
    stop++;
  CU_ASSERT_FATAL (stop > 1 && stop < WATCH_EPOCHS - 1);

  nn_trainer_add_callback (trainer, NN_TRAINER_CALLBACK (watch));
  nn_trainer_add_callback (trainer, NN_TRAINER_CALLBACK (es));
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  /* Stopped after the first epoch below the threshold, as asked. */
  CU_ASSERT_TRUE (nn_trainer_get_stop_requested (trainer));
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), stop + 1);
  CU_ASSERT_EQUAL (nn_trainer_get_loss_history (trainer)->len, stop + 1);
  CU_ASSERT_EQUAL (watch->steps, stop + 1);
  CU_ASSERT_EQUAL_FATAL (watch->norms->len, stop + 1);
  for (guint e = 0; e <= stop; e++)
    {
      CU_ASSERT_EQUAL (g_array_index (watch->norms, double, e), norms[e]);
      least = MIN (least, norms[e]);
    }
  /* Clipping acted on the gradients the watch saw. */
  CU_ASSERT (norms[0] > 0.2);
  /* Early stopping, added after the watch, read its value every epoch. */
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_value (es), least);

  /* Watching changed nothing in the training. */
  g_clear_object (&twin);
  g_clear_object (&twin_model);
  twin_model = make_model (6, 0.1);
  twin = nn_test_make_trainer (twin_model, stop + 1, 0, FALSE);
  nn_trainer_set_clip_norm (twin, 0.2);
  CU_ASSERT_TRUE (nn_trainer_fit (twin, x, y, NULL, NULL, NULL, &error));
  CU_ASSERT_TRUE (same_parameters (model, twin_model));
  CU_ASSERT_TRUE (same_history (nn_trainer_get_loss_history (trainer),
                                nn_trainer_get_loss_history (twin)));
}

/* ---- a callback that changes the gradients ------------------------------- */

/* Halves every gradient, as averaging them over two processes whose other
 * half is zero would. */
#define TEST_TYPE_HALVING (test_halving_get_type ())
G_DECLARE_FINAL_TYPE (TestHalving, test_halving, TEST, HALVING, NnTrainerCallback)

struct _TestHalving
{
  NnTrainerCallback parent_instance;
};

G_DEFINE_FINAL_TYPE (TestHalving, test_halving, NN_TYPE_TRAINER_CALLBACK)

static gboolean
halving_gradients_ready (NnTrainerCallback *callback,
                         NnTrainer         *trainer,
                         GError           **error)
{
  nn_model_scale_gradients (nn_trainer_get_model (trainer), 0.5);
  return TRUE;
}

static void
test_halving_class_init (TestHalvingClass *klass)
{
  NN_TRAINER_CALLBACK_CLASS (klass)->gradients_ready = halving_gradients_ready;
}

static void
test_halving_init (TestHalving *self)
{
}

/* With SGD, halved gradients train exactly as half the learning rate does,
 * so the hook runs before every update, on every batch. */
static void
test_gradients_ready_changes_every_update (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (8);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 20, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 20, 2, -1, 1);
  g_autoptr(NnModel) halved_model = make_model (3, 0.2);
  g_autoptr(NnModel) slow_model = make_model (3, 0.1);
  g_autoptr(NnModel) plain_model = make_model (3, 0.2);
  g_autoptr(NnTrainer) halved = nn_test_make_trainer (halved_model, 3, 6, TRUE);
  g_autoptr(NnTrainer) slow = nn_test_make_trainer (slow_model, 3, 6, TRUE);
  g_autoptr(NnTrainer) plain = nn_test_make_trainer (plain_model, 3, 6, TRUE);
  g_autoptr(NnTrainerCallback) halving = g_object_new (TEST_TYPE_HALVING, NULL);
  g_autoptr(GError) error = NULL;

  nn_trainer_add_callback (halved, halving);
  CU_ASSERT_TRUE (nn_trainer_fit (halved, x, y, NULL, NULL, NULL, &error));
  CU_ASSERT_TRUE (nn_trainer_fit (slow, x, y, NULL, NULL, NULL, &error));
  CU_ASSERT_TRUE (nn_trainer_fit (plain, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (same_parameters (halved_model, slow_model));
  CU_ASSERT_TRUE (same_history (nn_trainer_get_loss_history (halved),
                                nn_trainer_get_loss_history (slow)));
  CU_ASSERT_FALSE (same_parameters (halved_model, plain_model));

  /* Removed, it no longer acts. */
  nn_trainer_remove_callback (halved, halving);
  nn_trainer_set_epochs (halved, 4);
  nn_trainer_set_epochs (plain, 4);
  CU_ASSERT_TRUE (nn_trainer_fit (halved, x, y, NULL, NULL, NULL, &error));
  CU_ASSERT_TRUE (nn_trainer_fit (plain, x, y, NULL, NULL, NULL, &error));
  CU_ASSERT_FALSE (same_parameters (halved_model, plain_model));
}

/* ---- callbacks that fail ------------------------------------------------- */

/* Counts what the trainer calls, and fails at one point if asked. */
#define TEST_TYPE_PROBE (test_probe_get_type ())
G_DECLARE_FINAL_TYPE (TestProbe, test_probe, TEST, PROBE, NnTrainerCallback)

struct _TestProbe
{
  NnTrainerCallback parent_instance;

  gboolean fail_begin;
  guint    fail_at; /* an epoch, or 0 */
  guint    begins;
  guint    epochs_seen;
  guint    ends;
};

G_DEFINE_FINAL_TYPE (TestProbe, test_probe, NN_TYPE_TRAINER_CALLBACK)

static gboolean
probe_train_begin (NnTrainerCallback *callback,
                   NnTrainer         *trainer,
                   GError           **error)
{
  TestProbe *self = TEST_PROBE (callback);

  self->begins++;
  if (self->fail_begin)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "no peer");
      return FALSE;
    }
  return TRUE;
}

static gboolean
probe_epoch_end (NnTrainerCallback *callback,
                 NnTrainer         *trainer,
                 guint              epoch,
                 GError           **error)
{
  TestProbe *self = TEST_PROBE (callback);

  self->epochs_seen = epoch;
  if (epoch == self->fail_at)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "disk full at epoch %u", epoch);
      return FALSE;
    }
  return TRUE;
}

static void
probe_train_end (NnTrainerCallback *callback,
                 NnTrainer         *trainer)
{
  TEST_PROBE (callback)->ends++;
}

static void
test_probe_class_init (TestProbeClass *klass)
{
  NnTrainerCallbackClass *callback_class = NN_TRAINER_CALLBACK_CLASS (klass);

  callback_class->train_begin = probe_train_begin;
  callback_class->epoch_end = probe_epoch_end;
  callback_class->train_end = probe_train_end;
}

static void
test_probe_init (TestProbe *self)
{
}

/* An epoch_end that fails ends the fit with its error once the callbacks
 * after it have seen the epoch; train_end follows a train_begin that
 * succeeded, and one that fails trains nothing. */
static void
test_failing_callbacks_end_the_fit (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (9);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 10, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 10, 2, -1, 1);
  g_autoptr(NnModel) model = make_model (5, 0.1);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 10, 4, TRUE);
  g_autoptr(TestProbe) failing = g_object_new (TEST_TYPE_PROBE, NULL);
  g_autoptr(TestProbe) after = g_object_new (TEST_TYPE_PROBE, NULL);
  g_autoptr(NnEarlyStopping) es = nn_early_stopping_new ("val_loss");
  g_autoptr(GError) error = NULL;

  failing->fail_at = 3;
  nn_trainer_add_callback (trainer, NN_TRAINER_CALLBACK (failing));
  nn_trainer_add_callback (trainer, NN_TRAINER_CALLBACK (after));
  CU_ASSERT_FALSE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_ERROR (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  if (error != NULL)
    CU_ASSERT_STRING_EQUAL (error->message, "disk full at epoch 3");
  g_clear_error (&error);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), 3);
  CU_ASSERT_EQUAL (nn_trainer_get_loss_history (trainer)->len, 3);
  CU_ASSERT_EQUAL (after->epochs_seen, 3);
  CU_ASSERT_EQUAL (failing->ends, 1);
  CU_ASSERT_EQUAL (after->ends, 1);

  /* The next fit carries on. */
  failing->fail_at = 0;
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (after->epochs_seen, 10);

  /* A train_begin that fails: the callbacks before it end, the others never
   * began, and no epoch is trained. */
  nn_trainer_set_epochs (trainer, 12);
  after->fail_begin = TRUE;
  CU_ASSERT_FALSE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_ERROR (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), 10);
  CU_ASSERT_EQUAL (failing->begins, 3);
  CU_ASSERT_EQUAL (failing->ends, 3);
  CU_ASSERT_EQUAL (after->begins, 3);
  CU_ASSERT_EQUAL (after->ends, 2);

  /* Early stopping without the value it monitors says so. */
  after->fail_begin = FALSE;
  nn_trainer_add_callback (trainer, NN_TRAINER_CALLBACK (es));
  CU_ASSERT_FALSE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED);
  if (error != NULL)
    NN_ASSERT_CONTAINS (error->message, "'val_loss'");
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), 11);
}

/* ---- the schedule and the model's optimizer ------------------------------ */

/* A new optimizer of the model is scheduled from its own rate, and the old
 * one gets its rate back. */
static void
test_schedule_follows_a_new_optimizer (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (10);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 10, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 10, 2, -1, 1);
  g_autoptr(NnModel) model = make_model (5, 0.2);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 2, 0, FALSE);
  g_autoptr(NnSchedule) schedule = g_object_new (NN_TYPE_STEP_SCHEDULE, "step-size", 1,
                                                  "gamma", 0.5, NULL);
  g_autoptr(NnOptimizer) first = g_object_ref (nn_model_get_optimizer (model));
  g_autoptr(NnOptimizer) second = nn_sgd_optimizer_new (0.4);
  g_autoptr(GError) error = NULL;

  nn_trainer_set_schedule (trainer, schedule);
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_CMPFLOAT (nn_optimizer_get_learning_rate (first), 0.1, 1e-15, 0);

  nn_model_set_optimizer (model, second);
  nn_trainer_set_epochs (trainer, 3);
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  NN_ASSERT_CMPFLOAT (nn_optimizer_get_learning_rate (first), 0.2, 0, 0);
  NN_ASSERT_CMPFLOAT (nn_optimizer_get_learning_rate (second), 0.1, 1e-15, 0);
  nn_trainer_set_schedule (trainer, NULL);
  NN_ASSERT_CMPFLOAT (nn_optimizer_get_learning_rate (second), 0.4, 0, 0);
}

/* ---- sample weights ------------------------------------------------------ */

#if NN_REAL_IS_DOUBLE
#define WEIGHT_RTOL 1e-13
#else
#define WEIGHT_RTOL 1e-5
#endif

/* Every sample weighing 3 trains as no weights do, to rounding: the losses
 * and the parameters of 5 shuffled mini-batch epochs. */
static void
test_equal_weights_train_as_none (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 10, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 10, 2, -1, 1);
  g_autoptr(NnModel) plain = make_model (6, 0.1);
  g_autoptr(NnModel) weighted = make_model (6, 0.1);
  g_autoptr(NnTrainer) a = nn_test_make_trainer (plain, 5, 4, TRUE);
  g_autoptr(NnTrainer) b = nn_test_make_trainer (weighted, 5, 4, TRUE);
  g_autoptr(GError) error = NULL;
  double  weights[10], worst = 0;
  GArray *ha, *hb;

  for (guint i = 0; i < G_N_ELEMENTS (weights); i++)
    weights[i] = 3.0;
  nn_trainer_set_sample_weights (b, weights, G_N_ELEMENTS (weights));
  CU_ASSERT_TRUE (nn_trainer_fit (a, x, y, NULL, NULL, NULL, &error));
  CU_ASSERT_TRUE (nn_trainer_fit (b, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  ha = nn_trainer_get_loss_history (a);
  hb = nn_trainer_get_loss_history (b);
  CU_ASSERT_EQUAL_FATAL (ha->len, hb->len);
  for (guint e = 0; e < ha->len; e++)
    {
      double la = g_array_index (ha, double, e), lb = g_array_index (hb, double, e);

      NN_ASSERT_CMPFLOAT (lb, la, WEIGHT_RTOL, 0);
      worst = MAX (worst, fabs (lb - la) / fabs (la));
    }
  for (guint p = 0; p < nn_model_get_n_parameters (plain); p++)
    {
      NnMatrix *pa = nn_model_get_parameter (plain, p), *pb = nn_model_get_parameter (weighted, p);

      for (gsize i = 0; i < nn_matrix_size (pa); i++)
        NN_ASSERT_CMPFLOAT (pb->data[i], pa->data[i], WEIGHT_RTOL, WEIGHT_RTOL);
    }
  g_print ("max relative loss difference %.3g ", worst);
}

/* The loss of an epoch is Σ wᵢ lᵢ / Σ wᵢ over all its samples, whatever
 * the batches, shuffled or not, one of them weighing 0: at a learning
 * rate of 0 every batch sees the same network. */
static void
test_epoch_loss_is_weighted_mean (void)
{
  static const double weights[] = { 1, 2, 0, 0, 0, 0, 3, 0.5, 1, 2 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (12);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 10, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 10, 2, -1, 1);
  g_autoptr(NnModel) model = make_model (7, 0.0);
  double rows[10], sum = 0, wsum = 0;

  nn_loss_compute_rows (nn_model_get_loss (model), nn_model_forward (model, x), y, rows);
  for (guint i = 0; i < 10; i++)
    {
      sum += weights[i] * rows[i];
      wsum += weights[i];
    }
  for (guint shuffle = 0; shuffle < 2; shuffle++)
    for (guint bs = 0; bs <= 4; bs++)
      {
        g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 3, bs, shuffle);
        g_autoptr(GError) error = NULL;
        double loss;

        nn_trainer_set_sample_weights (trainer, weights, G_N_ELEMENTS (weights));
        loss = nn_trainer_train_epoch (trainer, x, y, &error);
        NN_ASSERT_NO_ERROR (error);
        NN_ASSERT_CMPFLOAT (loss, sum / wsum, WEIGHT_RTOL, 0);
      }
}

/* Cancels its cancellable at the update numbered @at. */
#define TEST_TYPE_CANCELLER (test_canceller_get_type ())
G_DECLARE_FINAL_TYPE (TestCanceller, test_canceller, TEST, CANCELLER, NnTrainerCallback)

struct _TestCanceller
{
  NnTrainerCallback parent_instance;

  GCancellable *cancellable;
  guint         steps;
  guint         at;
};

G_DEFINE_FINAL_TYPE (TestCanceller, test_canceller, NN_TYPE_TRAINER_CALLBACK)

static gboolean
canceller_gradients_ready (NnTrainerCallback *callback,
                           NnTrainer         *trainer,
                           GError           **error)
{
  TestCanceller *self = TEST_CANCELLER (callback);

  if (++self->steps == self->at)
    g_cancellable_cancel (self->cancellable);
  return TRUE;
}

static void
test_canceller_class_init (TestCancellerClass *klass)
{
  NN_TRAINER_CALLBACK_CLASS (klass)->gradients_ready = canceller_gradients_ready;
}

static void
test_canceller_init (TestCanceller *self)
{
}

/* A weighted fit cancelled in the middle of an epoch and fitted on
 * trains exactly as one left alone: the same losses, bit for bit, and the
 * same parameters. */
static void
test_weighted_fit_cancelled_goes_on (void)
{
  static const double weights[] = { 1, 2, 0, 0.5, 3, 1, 0, 2, 1, 0.25, 1.5 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (14);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 11, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 11, 2, -1, 1);
  g_autoptr(NnModel) whole_model = make_model (9, 0.1);
  g_autoptr(NnModel) model = make_model (9, 0.1);
  g_autoptr(NnTrainer) whole = nn_test_make_trainer (whole_model, 4, 3, TRUE);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 4, 3, TRUE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(TestCanceller) canceller = g_object_new (TEST_TYPE_CANCELLER, NULL);
  g_autoptr(GError) error = NULL;

  nn_trainer_set_sample_weights (whole, weights, G_N_ELEMENTS (weights));
  nn_trainer_set_sample_weights (trainer, weights, G_N_ELEMENTS (weights));
  CU_ASSERT_TRUE (nn_trainer_fit (whole, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  /* The 4 batches of an epoch: cancelled after the second of epoch 2. */
  canceller->cancellable = cancellable;
  canceller->at = 6;
  nn_trainer_add_callback (trainer, NN_TRAINER_CALLBACK (canceller));
  CU_ASSERT_FALSE (nn_trainer_fit (trainer, x, y, NULL, NULL, cancellable, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), 1);
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (same_history (nn_trainer_get_loss_history (whole),
                                nn_trainer_get_loss_history (trainer)));
  CU_ASSERT_TRUE (same_parameters (whole_model, model));
}

/* Weights for other data are refused with a message. */
static void
test_weights_of_other_data_refused (void)
{
  static const double weights[] = { 1, 2, 3 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (13);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 4, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 4, 2, -1, 1);
  g_autoptr(NnModel) model = make_model (8, 0.1);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 1, 0, FALSE);
  g_autoptr(GError) error = NULL;

  nn_trainer_set_sample_weights (trainer, weights, G_N_ELEMENTS (weights));
  CU_ASSERT_TRUE (isnan (nn_trainer_train_epoch (trainer, x, y, &error)));
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  NN_ASSERT_CONTAINS (error->message, "sample weights are for 3 samples");
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("callbacks", nn_test_init_plugins, NULL);
  CU_add_test (s, "a gradient watch sees every step, passes its value on and stops training",
               test_gradient_watch_stops_training);
  CU_add_test (s, "gradients_ready may change the gradients of every update",
               test_gradients_ready_changes_every_update);
  CU_add_test (s, "a failing callback ends the fit after the epoch is complete",
               test_failing_callbacks_end_the_fit);

  s = CU_add_suite ("schedule", nn_test_init_plugins, NULL);
  CU_add_test (s, "a new optimizer of the model is scheduled, the old one restored",
               test_schedule_follows_a_new_optimizer);

  s = CU_add_suite ("sample weights", nn_test_init_plugins, NULL);
  CU_add_test (s, "every sample weighing 3 trains as no weights, to rounding",
               test_equal_weights_train_as_none);
  CU_add_test (s, "an epoch's loss is the weighted mean over its samples in any batches",
               test_epoch_loss_is_weighted_mean);
  CU_add_test (s, "a weighted fit cancelled mid-epoch goes on as if left alone",
               test_weighted_fit_cancelled_goes_on);
  CU_add_test (s, "weights for another number of samples are refused",
               test_weights_of_other_data_refused);

  return nn_test_run ();
}
