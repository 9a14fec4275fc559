/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Early stopping: patience, the smallest improvement, the mode of the
 * metric, restoring the best weights and the state a checkpoint keeps. */
#include <math.h>
#include <string.h>

#include "nn-test.h"

/* Feeds @values from epoch 1 on; returns the epoch at which it said stop,
 * or 0. */
static guint
feed (NnEarlyStopping *es,
      const double    *values,
      guint            n)
{
  for (guint e = 1; e <= n; e++)
    if (nn_early_stopping_update (es, e, values[e - 1], NULL))
      return e;
  return 0;
}

static void
test_patience_counts_epochs_without_improvement (void)
{
  const double values[] = { 1.0, 0.9, 0.95, 0.92, 0.91, 0.89, 0.9, 0.9, 0.9, 0.9 };
  g_autoptr(NnEarlyStopping) p0 = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 0, NULL);
  g_autoptr(NnEarlyStopping) p2 = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 2, NULL);
  g_autoptr(NnEarlyStopping) p4 = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 4, NULL);
  g_autoptr(NnEarlyStopping) p9 = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 9, NULL);

  /* Keras: patience 0 stops at the first epoch that does not improve. */
  CU_ASSERT_EQUAL (feed (p0, values, 10), 3);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (p0), 2);
  /* Epochs 3 and 4 do not improve on 0.9. */
  CU_ASSERT_EQUAL (feed (p2, values, 10), 4);
  CU_ASSERT_EQUAL (nn_early_stopping_get_stopped_epoch (p2), 4);
  /* 0.89 at epoch 6 resets the count; 7 to 10 do not improve. */
  CU_ASSERT_EQUAL (feed (p4, values, 10), 10);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (p4), 6);
  NN_ASSERT_CMPFLOAT (nn_early_stopping_get_best_value (p4), 0.89, 0, 0);
  CU_ASSERT_EQUAL (feed (p9, values, 10), 0);
  CU_ASSERT_EQUAL (nn_early_stopping_get_wait (p9), 4);
  CU_ASSERT_EQUAL (nn_early_stopping_get_stopped_epoch (p9), 0);
}

static void
test_min_delta_sets_smallest_improvement (void)
{
  const double values[] = { 1.0, 0.96, 0.94, 0.90, 0.895, 0.5 };
  g_autoptr(NnEarlyStopping) es = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 2,
                                                 "min-delta", 0.05, NULL);
  g_autoptr(NnEarlyStopping) none = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 2, NULL);

  /* 0.96 is not 0.05 below 1.0; 0.94 is; 0.90 and 0.895 are not below 0.94
   * by 0.05. */
  CU_ASSERT_EQUAL (feed (es, values, 6), 5);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (es), 3);
  NN_ASSERT_CMPFLOAT (nn_early_stopping_get_best_value (es), 0.94, 0, 0);
  CU_ASSERT_EQUAL (feed (none, values, 6), 0);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (none), 6);
}

static void
test_never_stops_after_first_epoch (void)
{
  const double values[] = { NAN, 0.5, 0.6 };
  const double nans[] = { NAN, NAN };
  g_autoptr(NnEarlyStopping) es = nn_early_stopping_new ("val_loss");
  g_autoptr(NnEarlyStopping) es_nan = nn_early_stopping_new ("val_loss");

  CU_ASSERT_EQUAL (feed (es, values, 3), 3);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (es), 2);
  /* NaN never improves. */
  CU_ASSERT_EQUAL (feed (es_nan, nans, 2), 2);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (es_nan), 0);
  CU_ASSERT (isnan (nn_early_stopping_get_best_value (es_nan)));
}

static void
test_mode_follows_metric (void)
{
  const struct
  {
    const char *monitor;
    gboolean    greater;
  } cases[] = {
    { "val_loss", FALSE },
    { "loss", FALSE },
    { "val_accuracy", TRUE },
    { "accuracy", TRUE },
    { "val_f1", TRUE },
    { "val_auc", TRUE },
    { "val_r2", TRUE },
    { "val_precision", TRUE },
    { "recall", TRUE },
    { "val_mae", FALSE },
    { "val_rmse", FALSE },
    { "custom", FALSE },
  };
  const double accuracy[] = { 0.5, 0.6, 0.6, 0.59, 0.7 };
  g_autoptr(NnEarlyStopping) forced = g_object_new (NN_TYPE_EARLY_STOPPING,
                                                     "monitor", "val_loss", "mode",
                                                     NN_EARLY_STOPPING_MODE_MAX, NULL);
  g_autoptr(NnEarlyStopping) acc = g_object_new (NN_TYPE_EARLY_STOPPING,
                                                  "monitor", "val_accuracy", "patience", 1,
                                                  NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NnEarlyStopping) es = nn_early_stopping_new (cases[i].monitor);
      CU_ASSERT_EQUAL (nn_early_stopping_get_greater_is_better (es), cases[i].greater);
    }
  CU_ASSERT_TRUE (nn_early_stopping_get_greater_is_better (forced));
  g_object_set (forced, "mode", NN_EARLY_STOPPING_MODE_AUTO, NULL);
  CU_ASSERT_FALSE (nn_early_stopping_get_greater_is_better (forced));

  /* An equal accuracy is no improvement. */
  CU_ASSERT_EQUAL (feed (acc, accuracy, 5), 3);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (acc), 2);
}

typedef struct
{
  NnEarlyStopping *es;
  const double    *values;
  guint            copy_epoch;
  GPtrArray       *copy;
} StopRun;

static void
on_epoch_early_stop (NnTrainer *trainer,
                     guint      epoch,
                     gpointer   data)
{
  StopRun *run = data;
  NnModel *model = nn_trainer_get_model (trainer);

  if (epoch == run->copy_epoch)
    run->copy = nn_test_copy_parameters (model);
  if (nn_early_stopping_update (run->es, epoch, run->values[epoch - 1], model))
    nn_trainer_stop (trainer);
}

static void
test_restore_best_weights (void)
{
  const guint        widths[] = { 3, 5, 2 };
  const char * const acts[] = { "relu", "linear" };
  const double       values[] = { 0.9, 0.7, 0.5, 0.6, 0.55, 0.52, 0.4, 0.3, 0.2, 0.1 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (21);
  g_autoptr(NnLoss) loss = nn_test_make_loss ("mean_squared_error");
  g_autoptr(NnOptimizer) opt = nn_test_make_optimizer ("adam", 0.01);
  g_autoptr(NnModel) model = nn_test_make_model (8, widths, acts, 2, loss, opt);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 10, 4, TRUE);
  g_autoptr(NnTrainerCallback) stopper = NULL;
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 20, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 20, 2, -1, 1);
  g_autoptr(NnEarlyStopping) es = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 3,
                                                 "restore-best", TRUE, NULL);
  g_autoptr(GError) error = NULL;
  StopRun run = { es, values, 3, NULL };

  stopper = nn_test_epoch_callback_new (on_epoch_early_stop, &run);
  nn_trainer_add_callback (trainer, stopper);
  /* The stop request ends fit() successfully after epoch 6. */
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), 6);
  CU_ASSERT_EQUAL (nn_trainer_get_loss_history (trainer)->len, 6);
  CU_ASSERT_EQUAL (nn_early_stopping_get_stopped_epoch (es), 6);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (es), 3);
  CU_ASSERT_PTR_NOT_NULL_FATAL (run.copy);
  CU_ASSERT_FALSE (nn_test_parameters_equal (model, run.copy));
  CU_ASSERT_TRUE (nn_early_stopping_restore (es, model));
  CU_ASSERT_TRUE (nn_test_parameters_equal (model, run.copy));

  /* Without restore-best nothing is kept. */
  g_object_set (es, "restore-best", FALSE, NULL);
  CU_ASSERT_FALSE (nn_early_stopping_restore (es, model));
  g_ptr_array_unref (run.copy);
}

static void
test_early_stopping_state_round_trips (void)
{
  const guint        widths[] = { 2, 3, 1 };
  const char * const acts[] = { "tanh", "linear" };
  const double       values[] = { 0.8, 0.6, 0.7, 0.65, 0.62, 0.61 };
  g_autoptr(NnLoss) loss = nn_test_make_loss ("mean_squared_error");
  g_autoptr(NnOptimizer) opt = nn_test_make_optimizer ("sgd", 0.1);
  g_autoptr(NnModel) model = nn_test_make_model (2, widths, acts, 2, loss, opt);
  g_autoptr(NnEarlyStopping) a = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 3,
                                                "restore-best", TRUE, NULL);
  g_autoptr(NnEarlyStopping) b = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 3,
                                                "restore-best", TRUE, NULL);
  g_autoptr(NnEarlyStopping) other = g_object_new (NN_TYPE_EARLY_STOPPING,
                                                    "monitor", "val_accuracy", NULL);
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GPtrArray) best = NULL;
  g_autoptr(GError) error = NULL;

  for (guint e = 1; e <= 3; e++)
    {
      nn_model_get_parameter (model, 0)->data[0] = (nn_real) e;
      if (e == 2)
        best = nn_test_copy_parameters (model);
      CU_ASSERT_FALSE (nn_early_stopping_update (a, e, values[e - 1], model));
    }
  state = nn_early_stopping_save_state (a);
  CU_ASSERT_TRUE (nn_early_stopping_load_state (b, state, model, &error));
  NN_ASSERT_NO_ERROR (error);
  for (guint e = 4; e <= 5; e++)
    {
      gboolean stop_a = nn_early_stopping_update (a, e, values[e - 1], model);
      gboolean stop_b = nn_early_stopping_update (b, e, values[e - 1], model);

      CU_ASSERT_EQUAL (stop_a, stop_b);
      CU_ASSERT_EQUAL (stop_b, e == 5);
    }
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (b), 2);
  CU_ASSERT_TRUE (nn_early_stopping_restore (b, model));
  CU_ASSERT_TRUE (nn_test_parameters_equal (model, best));

  CU_ASSERT_FALSE (nn_early_stopping_load_state (other, state, model, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("early stopping", nn_test_init_plugins, NULL);
  CU_add_test (s, "patience counts epochs in a row without improvement",
               test_patience_counts_epochs_without_improvement);
  CU_add_test (s, "min_delta is the smallest improvement",
               test_min_delta_sets_smallest_improvement);
  CU_add_test (s, "training never stops after the first epoch, and NaN never improves",
               test_never_stops_after_first_epoch);
  CU_add_test (s, "the auto mode maximises accuracy-like metrics and minimises losses",
               test_mode_follows_metric);
  CU_add_test (s, "restore_best puts back the best epoch's weights", test_restore_best_weights);
  CU_add_test (s, "the early-stopping state survives a save and load",
               test_early_stopping_state_round_trips);

  return nn_test_run ();
}
