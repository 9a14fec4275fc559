/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Trains a 2-8-1 network on XOR with the C API. */
#include <nn.h>

int
main (void)
{
  g_autoptr(GError) error = NULL;
  nn_real xs[] = {
    0, 0,
    0, 1,
    1, 0,
    1, 1
  };
  nn_real ys[] = { 0, 1, 1, 0 };
  g_autoptr(NnMatrix) x = nn_matrix_new_from_data (4, 2, xs);
  g_autoptr(NnMatrix) y = nn_matrix_new_from_data (4, 1, ys);
  g_autoptr(NnModel) model = nn_model_new ();
  g_autoptr(NnActivation) tanh_act = nn_activation_new_by_name ("tanh", &error);
  g_autoptr(NnActivation) sigmoid = nn_activation_new_by_name ("sigmoid", &error);
  g_autoptr(NnLoss) loss = nn_loss_new_by_name ("binary_crossentropy", &error);
  g_autoptr(NnOptimizer) sgd = nn_sgd_optimizer_new (0.5);
  g_autoptr(NnLayer) hidden = NULL;
  g_autoptr(NnLayer) output = NULL;
  g_autoptr(NnTrainer) trainer = NULL;
  g_autoptr(NnMatrix) pred = NULL;

  if (error != NULL)
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  hidden = nn_layer_new (2, 8, tanh_act);
  output = nn_layer_new (8, 1, sigmoid);
  nn_model_add_layer (model, hidden);
  nn_model_add_layer (model, output);
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, sgd);
  nn_model_set_seed (model, 1);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);

  trainer = nn_trainer_new (model);
  g_object_set (trainer, "epochs", 2000, "shuffle", FALSE, NULL);
  if (!nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  pred = nn_model_predict (model, x);
  for (guint i = 0; i < 4; i++)
    g_print ("%g xor %g -> %.3f\n", xs[2 * i], xs[2 * i + 1], pred->data[i]);
  return nn_model_evaluate (model, x, y, NULL) < 0.05 ? 0 : 1;
}
