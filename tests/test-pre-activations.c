/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A trainer that need not keep the pre-activations: the matrix engine then
 * applies relu, leaky_relu, sigmoid and tanh inside the forward product,
 * to the same training (to the bit for the first two), and only there. */
#include <math.h>
#include <string.h>

#include "nn-test.h"

#define BATCH 32
#define N_BATCHES 8

/* oneDNN's sigmoid and tanh against the plugins': a last bit here and
 * there, grown by 24 steps of training. */
#define ROUNDING_RTOL 1e-5

/* Whether the build's engine applies activations inside its products. */
static gboolean
engine_fuses (void)
{
  return strcmp (nn_matrix_get_engine_name (), "oneDNN") == 0;
}

static NnActivation *
make_activation (const char *name,
                 double      alpha)
{
  g_autoptr(GError) error = NULL;
  NnActivation *activation = nn_activation_new_by_name (name, &error);

  g_assert_no_error (error);
  if (alpha != 0)
    g_object_set (activation, "alpha", alpha, NULL);
  return activation;
}

/* A 64-48-32-3 network of @activation (with @alpha if not 0) and softmax,
 * cross-entropy, SGD at 0.1: its hidden products are large enough for the
 * engine. */
static NnModel *
make_model (const char *activation,
            double      alpha)
{
  static const guint widths[] = { 64, 48, 32, 3 };
  g_autoptr(NnLoss) loss = nn_test_make_loss ("categorical_crossentropy");
  g_autoptr(NnOptimizer) sgd = nn_sgd_optimizer_new (0.1);
  NnModel *model = nn_model_new ();

  nn_model_set_seed (model, 11);
  for (guint l = 0; l < 3; l++)
    {
      g_autoptr(NnActivation) act =
                   l < 2 ? make_activation (activation, alpha) : make_activation ("softmax", 0);
      g_autoptr(NnLayer) layer = nn_layer_new (widths[l], widths[l + 1], act);

      nn_model_add_layer (model, layer);
    }
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, sgd);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  return model;
}

/* Trains @model for 3 epochs of N_BATCHES batches step by step, keeping
 * the pre-activations or not; @z_rows gets the rows of each layer's Z
 * after every step, the same after each or G_MAXUINT. */
static void
train (NnModel *model,
       gboolean keep,
       guint    z_rows[3])
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 3, BATCH, FALSE);
  g_autoptr(GError) error = NULL;

  CU_ASSERT_TRUE (nn_trainer_get_keep_pre_activations (trainer));
  g_object_set (trainer, "keep-pre-activations", keep, NULL);
  CU_ASSERT_EQUAL (nn_trainer_get_keep_pre_activations (trainer), keep);
  for (guint l = 0; l < 3; l++)
    z_rows[l] = 0;
  for (guint step = 0; step < 3 * N_BATCHES; step++)
    {
      g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, BATCH, 64, -2, 2);
      g_autoptr(NnMatrix) y = nn_test_one_hot (rand, BATCH, 3);

      CU_ASSERT_TRUE (isfinite (nn_trainer_train_step (trainer, x, y, &error)));
      NN_ASSERT_NO_ERROR (error);
      for (guint l = 0; l < 3; l++)
        {
          guint rows = nn_layer_get_z (nn_model_get_layer (model, l))->rows;

          z_rows[l] = step == 0 || z_rows[l] == rows ? rows : G_MAXUINT;
        }
    }
}

/* Trains two models of @activation, keeping Z and not: returns their
 * largest difference, and checks where Z was kept. */
static double
compare_training (const char *activation,
                  double      alpha,
                  gboolean    has_form)
{
  g_autoptr(NnModel) kept = make_model (activation, alpha);
  g_autoptr(NnModel) fused = make_model (activation, alpha);
  g_autoptr(NnModel) untrained = make_model (activation, alpha);
  guint  kept_rows[3], fused_rows[3];
  double worst;

  train (kept, TRUE, kept_rows);
  train (fused, FALSE, fused_rows);
  for (guint l = 0; l < 3; l++)
    CU_ASSERT_EQUAL (kept_rows[l], BATCH);
  /* The hidden layers, where the engine applies the function; the softmax
   * has no element-wise form. */
  CU_ASSERT_EQUAL (fused_rows[0], has_form && engine_fuses () ? 0 : BATCH);
  CU_ASSERT_EQUAL (fused_rows[1], has_form && engine_fuses () ? 0 : BATCH);
  CU_ASSERT_EQUAL (fused_rows[2], BATCH);
  /* Training moved the weights well beyond any tolerance here. */
  CU_ASSERT (nn_test_parameter_difference (kept, untrained) > 1e3 * ROUNDING_RTOL);
  worst = nn_test_parameter_difference (kept, fused);
  g_print ("%s: largest relative difference %.3g ", activation, worst);
  return worst;
}

static void
test_relu_exact (void)
{
  CU_ASSERT_EQUAL (compare_training ("relu", 0, TRUE), 0);
  CU_ASSERT_EQUAL (compare_training ("leaky_relu", 0.2, TRUE), 0);
  CU_ASSERT_EQUAL (compare_training ("leaky_relu", 1, TRUE), 0);
}

static void
test_sigmoid_tanh_to_rounding (void)
{
  CU_ASSERT (compare_training ("sigmoid", 0, TRUE) <= ROUNDING_RTOL);
  CU_ASSERT (compare_training ("tanh", 0, TRUE) <= ROUNDING_RTOL);
}

/* The derivatives of gelu and elu need z: they keep Z and train as
 * before, to the bit. */
static void
test_without_form_kept (void)
{
  CU_ASSERT_EQUAL (compare_training ("gelu", 0, FALSE), 0);
  CU_ASSERT_EQUAL (compare_training ("elu", 0, FALSE), 0);
}

/* A forward step outside training keeps Z, whatever the trainer did. */
static void
test_forward_keeps_z (void)
{
  g_autoptr(NnModel) model = make_model ("relu", 0);
  g_autoptr(GRand) rand = g_rand_new_with_seed (9);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 40, 64, -1, 1);
  const NnMatrix *z, *a;
  guint           rows[3];

  train (model, FALSE, rows);
  a = nn_model_forward (model, x);
  CU_ASSERT_EQUAL (a->rows, 40);
  z = nn_layer_get_z (nn_model_get_layer (model, 0));
  CU_ASSERT_EQUAL (z->rows, 40);
  CU_ASSERT_EQUAL (z->cols, 48);
}

/* After fit(), which trains the layers in the mode of the trainer's epoch
 * (here: Z not kept, and the weights of the 1024-64 layer, most of them,
 * updated within the backward step), they are back as they were: a
 * forward step keeps Z, and a backward step writes the gradients and
 * moves no weight. */
static void
test_layers_restored_after_fit (void)
{
  static const guint        widths[] = { 1024, 64, 32, 3 };
  static const char * const activations[] = { "relu", "relu", "softmax" };
  g_autoptr(NnLoss) loss = nn_test_make_loss ("categorical_crossentropy");
  g_autoptr(NnOptimizer) sgd = nn_sgd_optimizer_new (0.1);
  g_autoptr(NnModel) model = nn_test_make_model (3, widths, activations, 3, loss, sgd);
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 100, 1024, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 100, 3);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 2, 16, TRUE);
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GError) error = NULL;

  nn_trainer_set_keep_pre_activations (trainer, FALSE);
  nn_trainer_set_keep_gradients (trainer, FALSE);
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  /* The updates were made within the backward step. */
  CU_ASSERT_EQUAL (nn_test_max_abs (nn_model_get_gradient (model, 0)), 0);
  before = nn_test_copy_parameters (model);
  nn_model_forward (model, x);
  CU_ASSERT_EQUAL (nn_layer_get_z (nn_model_get_layer (model, 0))->rows, x->rows);
  nn_model_backward (model, x, y);
  CU_ASSERT_TRUE (nn_test_parameters_equal (model, before));
  CU_ASSERT (nn_test_max_abs (nn_model_get_gradient (model, 0)) > 0);
}

static void
check_form (const char   *name,
            double        alpha,
            NnElementwise expected,
            double        expected_alpha)
{
  g_autoptr(NnActivation) activation = make_activation (name, alpha);
  double got_alpha = -1;

  CU_ASSERT_EQUAL (nn_activation_get_elementwise (activation, &got_alpha), expected);
  CU_ASSERT_EQUAL (got_alpha, expected_alpha);
  CU_ASSERT_EQUAL (nn_activation_get_elementwise (activation, NULL), expected);
}

static void
test_forms (void)
{
  check_form ("relu", 0, NN_ELEMENTWISE_RELU, 0);
  check_form ("leaky_relu", 0.2, NN_ELEMENTWISE_RELU, 0.2);
  check_form ("leaky_relu", 1, NN_ELEMENTWISE_RELU, 1);
  check_form ("sigmoid", 0, NN_ELEMENTWISE_LOGISTIC, 0);
  check_form ("tanh", 0, NN_ELEMENTWISE_TANH, 0);
  check_form ("gelu", 0, NN_ELEMENTWISE_NONE, 0);
  check_form ("elu", 0, NN_ELEMENTWISE_NONE, 0);
  check_form ("softmax", 0, NN_ELEMENTWISE_NONE, 0);
  check_form ("linear", 0, NN_ELEMENTWISE_NONE, 0);
}

/* The backward step of an activation with an element-wise form, from a
 * alone, is the one from z, to the bit: at z = 0 and -0 too. */
static void
check_backward_without_z (const char *name,
                          double      alpha)
{
  g_autoptr(NnActivation) activation = make_activation (name, alpha);
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  g_autoptr(NnMatrix) z = nn_test_random_matrix (rand, 7, 37, -3, 3);
  g_autoptr(NnMatrix) grad_a = nn_test_random_matrix (rand, 7, 37, -1, 1);
  g_autoptr(NnMatrix) a = nn_matrix_new (7, 37);
  g_autoptr(NnMatrix) from_z = nn_matrix_new (7, 37);
  g_autoptr(NnMatrix) from_a = nn_matrix_new (7, 37);

  for (guint i = 0; i < 37; i += 3)
    z->data[i] = i % 2 ? 0.0 : -0.0;
  nn_activation_forward (activation, z, a);
  nn_activation_backward (activation, z, a, grad_a, from_z);
  nn_activation_backward (activation, NULL, a, grad_a, from_a);
  CU_ASSERT_EQUAL (memcmp (from_z->data, from_a->data, nn_matrix_size (a) * sizeof (nn_real)), 0);
}

static void
test_backward_without_z (void)
{
  check_backward_without_z ("relu", 0);
  check_backward_without_z ("leaky_relu", 0.2);
  check_backward_without_z ("leaky_relu", 1);
  check_backward_without_z ("sigmoid", 0);
  check_backward_without_z ("tanh", 0);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("keep pre-activations", nn_test_init_plugins, NULL);
  CU_add_test (s, "relu and leaky_relu without Z train as with it, to the bit", test_relu_exact);
  CU_add_test (s, "sigmoid and tanh without Z train as with it, to rounding",
               test_sigmoid_tanh_to_rounding);
  CU_add_test (s, "activations without an element-wise form keep Z", test_without_form_kept);
  CU_add_test (s, "a forward step outside training keeps Z", test_forward_keeps_z);
  CU_add_test (s, "after fit, the layers keep Z and their gradients again",
               test_layers_restored_after_fit);
  CU_add_test (s, "the element-wise forms of the plugins", test_forms);
  CU_add_test (s, "backward from a alone is backward from z", test_backward_without_z);

  return nn_test_run ();
}
