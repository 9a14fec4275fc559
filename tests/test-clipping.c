/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Gradient clipping: the weights PyTorch gives with clip_grad_norm_, small
 * gradients left alone, the regularization's gradient clipped too. */
#include <math.h>
#include <string.h>

#include "nn-test.h"

/* 3-4-2 tanh/linear network, MSE, and the values PyTorch (float64) gives
 * with torch.nn.utils.clip_grad_norm_ before each optimizer step. */
static const nn_real clip_x[] = { 0.1, -0.4, 0.7, 0.9, 0.2, -0.3, -0.5, 0.8, 0.05,
                                  0.3, 0.3, 0.3, -0.9, -0.1, 0.6 };
static const nn_real clip_y[] = { 1.0, -1.0, 0.5, 2.0, -1.5, 0.25, 2.0, 1.0, 0.0, -2.0 };
static const nn_real clip_w1[] = { 0.5, -0.3, 0.8, -0.6, 0.9, 0.1, 0.7, 0.2, -0.4,
                                   -0.2, -0.8, 0.6 };
static const nn_real clip_b1[] = { 0.1, -0.1, 0.05, 0.0 };
static const nn_real clip_w2[] = { 0.9, -0.7, 0.4, 0.3, -0.5, 0.6, 0.8, -0.9 };
static const nn_real clip_b2[] = { 0.2, -0.3 };

static NnTrainer *
make_clip_trainer (const char *optimizer,
                   double      learning_rate,
                   double      clip_norm)
{
  const guint        widths[] = { 3, 4, 2 };
  const char * const acts[] = { "tanh", "linear" };
  g_autoptr(NnLoss) loss = nn_test_make_loss ("mean_squared_error");
  g_autoptr(NnOptimizer) opt = nn_test_make_optimizer (optimizer, learning_rate);
  g_autoptr(NnModel) model = nn_test_make_model (1, widths, acts, 2, loss, opt);
  NnTrainer *trainer = nn_trainer_new (model);
  g_autoptr(NnMatrix) w1 = nn_matrix_new_from_data (4, 3, clip_w1);
  g_autoptr(NnMatrix) b1 = nn_matrix_new_from_data (1, 4, clip_b1);
  g_autoptr(NnMatrix) w2 = nn_matrix_new_from_data (2, 4, clip_w2);
  g_autoptr(NnMatrix) b2 = nn_matrix_new_from_data (1, 2, clip_b2);

  g_assert_true (nn_layer_set_parameters (nn_model_get_layer (model, 0), w1, b1, NULL));
  g_assert_true (nn_layer_set_parameters (nn_model_get_layer (model, 1), w2, b2, NULL));
  nn_trainer_set_clip_norm (trainer, clip_norm);
  return trainer;
}

#if NN_REAL_IS_DOUBLE
#define CLIP_RTOL 1e-12
#else
#define CLIP_RTOL 2e-5
#endif

static void
check_parameters (NnModel      *model,
                  const double *want)
{
  guint k = 0;

  for (guint p = 0; p < nn_model_get_n_parameters (model); p++)
    {
      const NnMatrix *m = nn_model_get_parameter (model, p);

      for (gsize i = 0; i < nn_matrix_size (m); i++)
        NN_ASSERT_CMPFLOAT (m->data[i], want[k++], CLIP_RTOL, 1e-7);
    }
}

static void
test_clipping_matches_torch (void)
{
  static const double sgd_after[] = {
    0.4906333607394806, -0.302649052956828, 0.8050013645191658, -0.5892044881460861,
    0.9008504893585961, 0.09693733827658806, 0.7146376168727848, 0.20011669402098584,
    -0.39726723237737677, -0.2168798628494527, -0.802470754693025, 0.6020187911321742,
    0.09316329880900528, -0.09224490247142429, 0.06482777042375794, -0.015358677330463356,
    0.9049346495760218, -0.7018062776045522, 0.4014069094877413, 0.30200990360116986,
    -0.48836285126273754, 0.5857768274516558, 0.8167470298752667, -0.9076074401697035,
    0.20192704921074486, -0.2785361938688008
  };
  static const double adam_norms[] = {
    1.1208284083239974, 0.8292272837403843, 0.6148641148424894, 0.5062005535849222
  };
  static const double adam_after[] = {
    0.324498379080156, -0.3682963367467026, 0.9993342450750413, -0.4054957117281393,
    0.8678834529620651, -0.09861089111859277, 0.9000164449753161, 0.1305688187949373,
    -0.25914704632998153, -0.4002565932230166, -0.867864833218636, 0.8000412787316659,
    -0.03292161038114058, 0.07214270028129496, 0.22880373370768178, -0.18329356474155187,
    1.0954737797571314, -0.8620340662763929, 0.5854300499401003, 0.3099403058503647,
    -0.304140009067955, 0.3997064495559885, 1.0003307747128212, -1.1002814337673437,
    0.3866428262669614, -0.11095284076955936
  };
  g_autoptr(NnMatrix) x = nn_matrix_new_from_data (5, 3, clip_x);
  g_autoptr(NnMatrix) y = nn_matrix_new_from_data (5, 2, clip_y);
  g_autoptr(NnTrainer) sgd_trainer = make_clip_trainer ("sgd", 0.1, 0.5);
  g_autoptr(NnTrainer) adam_trainer = make_clip_trainer ("adam", 0.05, 0.3);
  NnModel *sgd = nn_trainer_get_model (sgd_trainer);
  NnModel *adam = nn_trainer_get_model (adam_trainer);
  g_autoptr(GError) error = NULL;

  /* The global norm before clipping is PyTorch's total_norm. */
  nn_model_forward (sgd, x);
  nn_model_backward (sgd, x, y);
  NN_ASSERT_CMPFLOAT (nn_model_get_gradient_norm (sgd), 1.1208284083239974, CLIP_RTOL, 0);

  nn_trainer_train_step (sgd_trainer, x, y, &error);
  NN_ASSERT_NO_ERROR (error);
  /* Clipped to max_norm / (norm + 1e-6) of the norm. */
  NN_ASSERT_CMPFLOAT (nn_model_get_gradient_norm (sgd),
                      0.5 * 1.1208284083239974 / (1.1208284083239974 + 1e-6), CLIP_RTOL, 0);
  check_parameters (sgd, sgd_after);

  for (guint s = 0; s < G_N_ELEMENTS (adam_norms); s++)
    {
      nn_model_forward (adam, x);
      nn_model_backward (adam, x, y);
      NN_ASSERT_CMPFLOAT (nn_model_get_gradient_norm (adam), adam_norms[s], CLIP_RTOL, 0);
      nn_trainer_train_step (adam_trainer, x, y, &error);
      NN_ASSERT_NO_ERROR (error);
    }
  check_parameters (adam, adam_after);
}

static void
test_small_gradients_are_not_clipped (void)
{
  g_autoptr(NnMatrix) x = nn_matrix_new_from_data (5, 3, clip_x);
  g_autoptr(NnMatrix) y = nn_matrix_new_from_data (5, 2, clip_y);
  g_autoptr(NnTrainer) off = make_clip_trainer ("sgd", 0.1, 0.0);
  g_autoptr(NnTrainer) loose = make_clip_trainer ("sgd", 0.1, 1.2);
  g_autoptr(NnTrainer) tight = make_clip_trainer ("sgd", 0.1, 1.0);

  for (int s = 0; s < 3; s++)
    {
      nn_trainer_train_step (off, x, y, NULL);
      nn_trainer_train_step (loose, x, y, NULL);
      nn_trainer_train_step (tight, x, y, NULL);
    }
  /* The norm starts at 1.12 and falls: a threshold of 1.2 never acts. */
  CU_ASSERT_TRUE (nn_test_same_parameters (nn_trainer_get_model (off),
                                           nn_trainer_get_model (loose)));
  CU_ASSERT_FALSE (nn_test_same_parameters (nn_trainer_get_model (off),
                                            nn_trainer_get_model (tight)));
  CU_ASSERT_EQUAL (nn_trainer_get_clip_norm (loose), 1.2);
}

/* The regularization's gradient is part of the gradient that is clipped,
 * as when the penalty is part of the loss in Keras or PyTorch: what the
 * optimizer gets has the clipping norm exactly. */
static void
test_regularization_gradient_is_clipped (void)
{
  g_autoptr(NnMatrix) x = nn_matrix_new_from_data (5, 3, clip_x);
  g_autoptr(NnMatrix) y = nn_matrix_new_from_data (5, 2, clip_y);
  g_autoptr(NnTrainer) trainer = make_clip_trainer ("sgd", 0.1, 0.5);
  NnModel *model = nn_trainer_get_model (trainer);
  double   norm;
  GError  *error = NULL;

  g_object_set (nn_model_get_layer (model, 0), "l1", 0.5, "l2", 2.0, NULL);
  g_object_set (nn_model_get_layer (model, 1), "l2", 1.0, NULL);
  nn_trainer_train_step (trainer, x, y, &error);
  NN_ASSERT_NO_ERROR (error);
  /* torch.nn.utils.clip_grad_norm_ scales by 0.5 / (norm + 1e-6). */
  norm = nn_model_get_gradient_norm (model);
  NN_ASSERT_CMPFLOAT (norm, 0.5, 1e-5, 0);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("gradient clipping", nn_test_init_plugins, NULL);
  CU_add_test (s, "clipping by global norm matches torch.nn.utils.clip_grad_norm_",
               test_clipping_matches_torch);
  CU_add_test (s, "gradients within the norm are left alone", test_small_gradients_are_not_clipped);
  CU_add_test (s, "the regularization's gradient is clipped with the loss's",
               test_regularization_gradient_is_clipped);

  return nn_test_run ();
}
