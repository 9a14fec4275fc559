/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A trainer that need not keep the gradients: plain SGD then moves the
 * weights within the backward step, to the same parameters up to rounding,
 * and nowhere else. */
#include <math.h>
#include <string.h>

#include "nn-test.h"

/* A float's rounding, 6e-8, grown by the hundred steps of fit(): by
 * about 500 times at batch 1, as the double build's 4e-14 shows. */
#if NN_REAL_IS_DOUBLE
#define UPDATE_RTOL 1e-12
#else
#define UPDATE_RTOL 1e-4
#endif

/* An @n_inputs-@hidden-@hidden-3 network with relu, tanh, softmax and
 * cross-entropy, SGD at 0.1: with 256 inputs and 64 units its products
 * are large enough for the engine; with 8 units, at batch 1, the weight
 * gradient of its last layer takes the library's own kernel. */
static NnModel *
make_model (guint n_inputs,
            guint hidden)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnLoss) loss = nn_loss_new_by_name ("categorical_crossentropy", &error);
  g_autoptr(NnOptimizer) sgd = nn_sgd_optimizer_new (0.1);
  g_autoptr(NnLayer) first = nn_test_make_layer (n_inputs, hidden, "relu");
  g_autoptr(NnLayer) second = nn_test_make_layer (hidden, hidden, "tanh");
  g_autoptr(NnLayer) output = nn_test_make_layer (hidden, 3, "softmax");
  NnModel *model = nn_model_new ();

  g_assert_no_error (error);
  nn_model_set_seed (model, 5);
  nn_model_add_layer (model, first);
  nn_model_add_layer (model, second);
  nn_model_add_layer (model, output);
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, sgd);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  return model;
}

/* One-hot targets of @rows random classes. */
static NnMatrix *
random_classes (GRand *rand,
                guint  rows)
{
  NnMatrix *y = nn_matrix_new (rows, 3);

  for (guint r = 0; r < rows; r++)
    y->data[r * 3 + g_rand_int_range (rand, 0, 3)] = 1;
  return y;
}

/* Fits @model for 4 shuffled epochs of 25 batches of @batch, keeping the
 * gradients or not, after @setup if not NULL. */
static void
fit (NnModel *model,
     guint    batch,
     gboolean keep,
     void (*setup) (NnTrainer *trainer))
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  guint n_inputs = nn_layer_get_n_inputs (nn_model_get_layer (model, 0));
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 25 * batch, n_inputs, -1, 1);
  g_autoptr(NnMatrix) y = random_classes (rand, 25 * batch);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 4, batch, TRUE);
  g_autoptr(GError) error = NULL;

  CU_ASSERT_TRUE (nn_trainer_get_keep_gradients (trainer));
  nn_trainer_set_keep_gradients (trainer, keep);
  if (setup != NULL)
    setup (trainer);
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
}

/* A first layer of 16384 weights or more, and batches small enough that
 * they are checked from their bound: every layer then updates within its
 * backward step and writes no gradient of its weights. */
static void
check_same_training (guint n_inputs,
                     guint hidden,
                     guint batch)
{
  g_autoptr(NnModel) kept = make_model (n_inputs, hidden);
  g_autoptr(NnModel) folded = make_model (n_inputs, hidden);
  double moved = 0, worst;

  fit (kept, batch, TRUE, NULL);
  fit (folded, batch, FALSE, NULL);
  for (guint p = 0; p < nn_model_get_n_parameters (folded); p += 2)
    {
      CU_ASSERT (nn_test_max_abs (nn_model_get_gradient (kept, p)) > 0);
      CU_ASSERT_EQUAL (nn_test_max_abs (nn_model_get_gradient (folded, p)), 0);
    }
  worst = nn_test_parameter_difference (kept, folded);
  CU_ASSERT (worst <= UPDATE_RTOL);
  CU_ASSERT_EQUAL (nn_optimizer_get_iterations (nn_model_get_optimizer (kept)),
                   nn_optimizer_get_iterations (nn_model_get_optimizer (folded)));
  /* Training moved the weights well beyond the tolerance. */
  {
    g_autoptr(NnModel) untrained = make_model (n_inputs, hidden);

    moved = nn_test_parameter_difference (kept, untrained);
  }
  CU_ASSERT (moved > 100 * UPDATE_RTOL);
  g_print ("largest relative difference %.3g ", worst);
}

static void
test_small_products (void)
{
  check_same_training (2048, 8, 1);
}

static void
test_engine_products (void)
{
  check_same_training (256, 64, 4);
}

static void
clip (NnTrainer *trainer)
{
  nn_trainer_set_clip_norm (trainer, 0.05);
}

static void
momentum (NnTrainer *trainer)
{
  g_object_set (nn_model_get_optimizer (nn_trainer_get_model (trainer)), "momentum", 0.9, NULL);
}

static void
weight_decay (NnTrainer *trainer)
{
  g_object_set (nn_model_get_optimizer (nn_trainer_get_model (trainer)), "weight-decay", 0.1,
                NULL);
}

static void
l2 (NnTrainer *trainer)
{
  g_object_set (nn_model_get_layer (nn_trainer_get_model (trainer), 1), "l2", 0.1, NULL);
}

/* Where the update needs the gradients first, training is the same to the
 * bit whether they are kept or not. */
static void
test_update_needing_gradients (void)
{
  void (*setups[]) (NnTrainer *) = { clip, momentum, weight_decay, l2 };

  for (guint i = 0; i < G_N_ELEMENTS (setups); i++)
    {
      g_autoptr(NnModel) kept = make_model (256, 64);
      g_autoptr(NnModel) unkept = make_model (256, 64);

      fit (kept, 4, TRUE, setups[i]);
      fit (unkept, 4, FALSE, setups[i]);
      CU_ASSERT_EQUAL (nn_test_parameter_difference (kept, unkept), 0);
    }
}

/* Batches too large for the bound of the layers holding most weights, and
 * layers whose weights fit in the first-level cache, go through the
 * optimizer, which checks the weights as it writes them: training is the
 * same to the bit whether the gradients are kept. */
static void
test_large_batches_through_optimizer (void)
{
  struct
  {
    guint n_inputs, hidden, batch;
  } cases[] = { { 256, 64, 128 }, { 64, 48, 1 } };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NnModel) kept = make_model (cases[i].n_inputs, cases[i].hidden);
      g_autoptr(NnModel) unkept = make_model (cases[i].n_inputs, cases[i].hidden);

      fit (kept, cases[i].batch, TRUE, NULL);
      fit (unkept, cases[i].batch, FALSE, NULL);
      CU_ASSERT_EQUAL (nn_test_parameter_difference (kept, unkept), 0);
    }
}

/* Kept, the gradients are those of the last step. */
static void
test_kept_gradients (void)
{
  g_autoptr(NnModel) model = make_model (64, 48);
  g_autoptr(GRand) rand = g_rand_new_with_seed (8);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 16, 64, -1, 1);
  g_autoptr(NnMatrix) y = random_classes (rand, 16);
  g_autoptr(NnMatrix) before = NULL;
  g_autoptr(NnTrainer) trainer = nn_trainer_new (model);
  g_autoptr(GError) error = NULL;
  NnMatrix       *w = nn_model_get_parameter (model, 0);
  const NnMatrix *g;

  before = nn_matrix_copy (w);
  CU_ASSERT_FALSE (isnan (nn_trainer_train_step (trainer, x, y, &error)));
  NN_ASSERT_NO_ERROR (error);
  g = nn_model_get_gradient (model, 0);
  for (gsize i = 0; i < nn_matrix_size (w); i++)
    NN_ASSERT_CMPFLOAT (w->data[i], before->data[i] - 0.1 * g->data[i], UPDATE_RTOL, 1e-7);
}

/* Units of the first layer of make_regression(). */
#define REGRESSION_UNITS 256

/* A 64-256 network, relu then a linear 1-unit layer where @deep, else
 * linear, with mean squared error and SGD at 0.01: with a batch of 8, its
 * first layer keeps a bound on its weights. */
static NnModel *
make_regression (gboolean deep)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnLoss) loss = nn_loss_new_by_name ("mean_squared_error", &error);
  g_autoptr(NnOptimizer) sgd = nn_sgd_optimizer_new (0.01);
  g_autoptr(NnLayer) first = nn_test_make_layer (64, REGRESSION_UNITS, deep ? "relu" : "linear");
  NnModel *model = nn_model_new ();

  g_assert_no_error (error);
  nn_model_set_seed (model, 2);
  nn_model_add_layer (model, first);
  if (deep)
    {
      g_autoptr(NnLayer) output = nn_test_make_layer (REGRESSION_UNITS, 1, "linear");

      nn_model_add_layer (model, output);
    }
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, sgd);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  return model;
}

/* The message of @error, or "none" without one. */
static char *
error_message (const GError *error)
{
  return g_strdup (error != NULL ? error->message : "none");
}

/* One epoch at @lr in two batches of 8, the first of inputs and targets 0
 * (it moves no weight, and sets the bound of the first layer), the second
 * with input @column scaled by @scale: the error of the epoch. */
static char *
epoch_error (gboolean keep,
             double   lr,
             double   scale,
             guint    column)
{
  g_autoptr(NnModel) model = make_regression (FALSE);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 1, 8, FALSE);
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 16, 64, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 16, REGRESSION_UNITS, -1, 1);
  g_autoptr(GError) error = NULL;

  memset (x->data, 0, 8 * 64 * sizeof (nn_real));
  memset (y->data, 0, 8 * REGRESSION_UNITS * sizeof (nn_real));
  for (guint r = 8; r < 16; r++)
    x->data[r * 64 + column] = (nn_real) (x->data[r * 64 + column] * scale);
  nn_trainer_set_keep_gradients (trainer, keep);
  nn_optimizer_set_learning_rate (nn_model_get_optimizer (model), lr);
  nn_trainer_train_epoch (trainer, x, y, &error);
  return error_message (error);
}

/* An update too large for the type, from inputs of a size that leaves the
 * biases and the loss finite, is caught as when the gradients are kept,
 * where the layer's bound decides: from every input column, so that the
 * bound's max|X| sees every lane. */
static void
test_overflow_caught (void)
{
#if NN_REAL_IS_DOUBLE
  double lr = 1e112, scale = 1e101;
#else
  double lr = 1e22, scale = 1e11;
#endif

  for (guint column = 0; column < 64; column++)
    {
      g_autofree char *kept = epoch_error (TRUE, lr, scale, column);
      g_autofree char *unkept = epoch_error (FALSE, lr, scale, column);

      NN_ASSERT_CONTAINS (kept, "the update made a weight of layer");
      CU_ASSERT_STRING_EQUAL (unkept, kept);
    }
}

/* A matrix of the first layer's weights handed out before training. */
static NnMatrix *held_weights;

/* A weight of the first layer made NaN, which relu hides from the loss:
 * through the model, the layer, or a matrix handed out before. */
static void
poison_weight (NnModel *model)
{
  nn_model_get_parameter (model, 0)->data[0] = NAN;
}

static void
poison_layer_weight (NnModel *model)
{
  nn_layer_get_weights (nn_model_get_layer (model, 0))->data[0] = NAN;
}

static void
poison_held_weight (NnModel *model)
{
  held_weights->data[0] = NAN;
}

/* Trains the relu network twice, by a step of 8 or by an epoch of two,
 * with @poison between: the error of the second time. Batches of 8 keep
 * the bound on the first layer's weights. */
static char *
poisoned_error (gboolean keep,
                gboolean by_epoch,
                void (*poison) (NnModel *model))
{
  g_autoptr(NnModel) model = make_regression (TRUE);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 1, 8, FALSE);
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, by_epoch ? 16 : 8, 64, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, x->rows, 1, -1, 1);
  g_autoptr(GError) error = NULL;

  nn_trainer_set_keep_gradients (trainer, keep);
  held_weights = nn_layer_get_weights (nn_model_get_layer (model, 0));
  for (guint i = 0; i < 2 && error == NULL; i++)
    {
      if (i == 1)
        poison (model);
      if (by_epoch)
        nn_trainer_train_epoch (trainer, x, y, &error);
      else
        nn_trainer_train_step (trainer, x, y, &error);
    }
  return error_message (error);
}

/* Weights changed between steps through a matrix handed out then, or
 * between epochs through one handed out at any time, are checked again. */
static void
test_changed_weights_checked (void)
{
  void (*poisons[]) (NnModel *) = { poison_weight, poison_layer_weight, poison_held_weight };

  for (guint by_epoch = 0; by_epoch < 2; by_epoch++)
    for (guint i = 0; i < (by_epoch ? G_N_ELEMENTS (poisons) : 2); i++)
      {
        g_autofree char *kept = poisoned_error (TRUE, by_epoch, poisons[i]);
        g_autofree char *unkept = poisoned_error (FALSE, by_epoch, poisons[i]);

        CU_ASSERT_STRING_EQUAL (unkept, kept);
        NN_ASSERT_CONTAINS (kept, "the update made a weight of layer 1");
      }
}

/* After a step refused for its loss, a backward step outside the trainer
 * moves no weight and gives the gradients. */
static void
test_refused_step_leaves_backward_alone (void)
{
  g_autoptr(NnModel) model = make_regression (TRUE);
  g_autoptr(NnTrainer) trainer = nn_trainer_new (model);
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 8, 64, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 8, 1, -1, 1);
  g_autoptr(NnMatrix) before = NULL;
  g_autoptr(GError) error = NULL;
  nn_real target = y->data[0];

  nn_trainer_set_keep_gradients (trainer, FALSE);
  y->data[0] = NAN;
  CU_ASSERT_TRUE (isnan (nn_trainer_train_step (trainer, x, y, &error)));
  CU_ASSERT_PTR_NOT_NULL (error);
  y->data[0] = target;
  before = nn_matrix_copy (nn_model_get_parameter (model, 0));
  nn_model_forward (model, x);
  nn_model_backward (model, x, y);
  CU_ASSERT_EQUAL (memcmp (before->data, nn_model_get_parameter (model, 0)->data,
                           nn_matrix_size (before) * sizeof (nn_real)),
                   0);
  CU_ASSERT (nn_test_max_abs (nn_model_get_gradient (model, 0)) > 0);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("keep gradients", nn_test_init_plugins, NULL);
  CU_add_test (s, "unkept, small products train as kept, to rounding", test_small_products);
  CU_add_test (s, "unkept, the engine's products train as kept, to rounding",
               test_engine_products);
  CU_add_test (s, "clipping, momentum, weight decay and l2 update as kept, to the bit",
               test_update_needing_gradients);
  CU_add_test (s, "unkept, batches too large for the bound update as kept, to the bit",
               test_large_batches_through_optimizer);
  CU_add_test (s, "kept, the gradients are those of the last step", test_kept_gradients);
  CU_add_test (s, "unkept, an update too large for the type is caught", test_overflow_caught);
  CU_add_test (s, "unkept, weights changed between steps are checked again",
               test_changed_weights_checked);
  CU_add_test (s, "unkept, a step refused for its loss leaves the backward step alone",
               test_refused_step_leaves_backward_alone);

  return nn_test_run ();
}
