/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The layer kind `batch_norm`: its gradients w.r.t. inputs, γ and β match
 * finite differences in training; its running statistics follow PyTorch's
 * BatchNorm1d and stand for the batch's in evaluation; they are saved,
 * loaded, checkpointed and resumed; a training batch of one is refused;
 * and experiment files with bad settings are errors with their place. */
#include <math.h>
#include <string.h>

#include "nn-test.h"

static int
init_suite (void)
{
  return nn_test_init_plugins ();
}

/* ---- gradients ----------------------------------------------------------- */

/* L = Σ C ⊙ A, so that dL/dA = C. */
static double
weighted_output (NnLayer        *layer,
                 const NnMatrix *x,
                 const NnMatrix *c)
{
  const NnMatrix *a = nn_layer_forward (layer, x);
  double          sum = 0.0;

  for (gsize i = 0; i < nn_matrix_size (a); i++)
    sum += (double) c->data[i] * a->data[i];
  return sum;
}

/* Central differences of L at @values[i], each put back. */
static void
check_against_differences (NnLayer        *layer,
                           NnMatrix       *x,
                           const NnMatrix *c,
                           nn_real        *values,
                           gsize           n,
                           const NnMatrix *analytic)
{
  for (gsize i = 0; i < n; i++)
    {
      nn_real saved = values[i];
      double  plus, minus;

      values[i] = saved + NN_TEST_FD_STEP;
      plus = weighted_output (layer, x, c);
      values[i] = saved - NN_TEST_FD_STEP;
      minus = weighted_output (layer, x, c);
      values[i] = saved;
      NN_ASSERT_CMPFLOAT (analytic->data[i], (plus - minus) / (2 * NN_TEST_FD_STEP),
                          NN_TEST_FD_RTOL, NN_TEST_FD_ATOL);
    }
}

/* dL/dX, dL/dγ and dL/dβ through the batch's statistics. */
static void
test_gradients_match_finite_differences (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (14);
  g_autoptr(NnLayer) layer = nn_batch_norm_layer_new (3);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 7, 3, -2, 2);
  g_autoptr(NnMatrix) c = nn_test_random_matrix (rand, 7, 3, -1, 1);
  g_autoptr(NnMatrix) grad_x = NULL;
  g_autoptr(NnMatrix) grad_gamma = NULL;
  g_autoptr(NnMatrix) grad_beta = NULL;
  NnMatrix *gamma = nn_layer_get_parameter (layer, 0);
  NnMatrix *beta = nn_layer_get_parameter (layer, 1);

  CU_ASSERT_EQUAL_FATAL (nn_layer_get_n_parameters (layer), 2);
  for (guint j = 0; j < 3; j++)
    {
      gamma->data[j] = (nn_real) (0.5 + j);
      beta->data[j] = (nn_real) (0.1 * j - 0.2);
    }
  nn_layer_forward (layer, x);
  grad_x = nn_matrix_copy (nn_layer_backward (layer, x, c, TRUE));
  grad_gamma = nn_matrix_copy (nn_layer_get_gradient (layer, 0));
  grad_beta = nn_matrix_copy (nn_layer_get_gradient (layer, 1));

  check_against_differences (layer, x, c, x->data, nn_matrix_size (x), grad_x);
  check_against_differences (layer, x, c, gamma->data, 3, grad_gamma);
  check_against_differences (layer, x, c, beta->data, 3, grad_beta);
}

/* The whole model's parameters, batch normalization inside. */
static void
test_model_gradients (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(NnModel) model = nn_model_new ();
  g_autoptr(NnLayer) l1 = nn_test_make_layer (4, 5, "linear");
  g_autoptr(NnLayer) bn = nn_batch_norm_layer_new (5);
  g_autoptr(NnLayer) l2 = nn_test_make_layer (5, 3, "softmax");
  g_autoptr(NnLoss) loss = nn_loss_new_by_name ("categorical_crossentropy", &error);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 6, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 6, 3);

  NN_ASSERT_NO_ERROR (error);
  nn_model_add_layer (model, l1);
  nn_model_add_layer (model, bn);
  nn_model_add_layer (model, l2);
  nn_model_set_loss (model, loss);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  CU_ASSERT_EQUAL_FATAL (nn_model_get_n_parameters (model), 6);
  nn_model_forward (model, x);
  nn_model_backward (model, x, y);
  for (guint p = 0; p < 6; p++)
    {
      NnMatrix *param = nn_model_get_parameter (model, p);
      g_autoptr(NnMatrix) analytic = nn_matrix_copy (nn_model_get_gradient (model, p));

      for (gsize i = 0; i < nn_matrix_size (param); i++)
        {
          nn_real saved = param->data[i];
          double  plus, minus;

          param->data[i] = saved + NN_TEST_FD_STEP;
          plus = nn_loss_compute (loss, nn_model_forward (model, x), y);
          param->data[i] = saved - NN_TEST_FD_STEP;
          minus = nn_loss_compute (loss, nn_model_forward (model, x), y);
          param->data[i] = saved;
          NN_ASSERT_CMPFLOAT (analytic->data[i], (plus - minus) / (2 * NN_TEST_FD_STEP),
                              NN_TEST_FD_RTOL, NN_TEST_FD_ATOL);
        }
    }
}

/* ---- running statistics ---------------------------------------------------- */

/* One training step moves them by momentum towards the batch's mean and
 * unbiased variance; evaluation normalizes by them. */
static void
test_running_statistics (void)
{
  static const double xs[] = { 1, 10, 2, 20, 4, 30, 5, 60 };
  g_autoptr(NnMatrix) x = nn_test_matrix_from_doubles (4, 2, xs);
  g_autoptr(NnLayer) layer = g_object_new (NN_TYPE_BATCH_NORM_LAYER, "n-inputs", 2,
                                            "momentum", 0.25, "epsilon", 0.5, NULL);
  NnMatrix       *rm, *rv;
  const NnMatrix *a;

  CU_ASSERT_EQUAL_FATAL (nn_layer_get_n_buffers (layer), 2);
  CU_ASSERT_STRING_EQUAL (nn_layer_get_buffer_name (layer, 0), "running_mean");
  CU_ASSERT_STRING_EQUAL (nn_layer_get_buffer_name (layer, 1), "running_var");
  rm = nn_layer_get_buffer (layer, 0);
  rv = nn_layer_get_buffer (layer, 1);
  CU_ASSERT_EQUAL (rm->data[0], 0);
  CU_ASSERT_EQUAL (rv->data[1], 1);

  a = nn_layer_forward (layer, x);
  /* column 0: mean 3, biased variance 2.5, unbiased 10/3 */
  NN_ASSERT_CMPFLOAT (a->data[0], (1 - 3) / sqrt (2.5 + 0.5), 1e-6, 1e-6);
  NN_ASSERT_CMPFLOAT (rm->data[0], 0.25 * 3, 1e-6, 0);
  NN_ASSERT_CMPFLOAT (rv->data[0], 0.75 + 0.25 * 10.0 / 3, 1e-6, 0);
  /* column 1: mean 30, unbiased variance (400 + 100 + 0 + 900) / 3 */
  NN_ASSERT_CMPFLOAT (rm->data[1], 0.25 * 30, 1e-6, 0);
  NN_ASSERT_CMPFLOAT (rv->data[1], 0.75 + 0.25 * 1400.0 / 3, 1e-6, 0);

  nn_layer_set_training (layer, FALSE);
  a = nn_layer_forward (layer, x);
  NN_ASSERT_CMPFLOAT (a->data[2], (2 - 0.75) / sqrt (0.75 + 2.5 / 3 + 0.5), 1e-6, 1e-6);
  NN_ASSERT_CMPFLOAT (rm->data[0], 0.75, 1e-6, 0);
}

/* Without affine there is nothing to train, the buffers are still kept. */
static void
test_without_affine (void)
{
  g_autoptr(NnLayer) layer = g_object_new (NN_TYPE_BATCH_NORM_LAYER, "n-inputs", 3,
                                            "affine", FALSE, NULL);
  g_autoptr(NnModel) model = nn_model_new ();

  nn_model_add_layer (model, layer);
  CU_ASSERT_EQUAL (nn_model_get_n_parameters (model), 0);
  CU_ASSERT_EQUAL (nn_layer_get_n_buffers (layer), 2);
  CU_ASSERT_EQUAL (nn_model_get_min_training_batch (model), 2);
}

/* A training step on one sample is an error; evaluating one is not. */
static void
test_batch_of_one (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(NnModel) model = nn_model_new ();
  g_autoptr(NnLayer) bn = nn_batch_norm_layer_new (4);
  g_autoptr(NnLayer) out = nn_test_make_layer (4, 3, "softmax");
  g_autoptr(NnLoss) loss = nn_loss_new_by_name ("categorical_crossentropy", &error);
  g_autoptr(NnOptimizer) opt = nn_optimizer_new_by_name ("sgd", &error);
  g_autoptr(NnTrainer) trainer = NULL;
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 1, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 1, 3);
  g_autoptr(NnMatrix) p = NULL;
  double l;

  NN_ASSERT_NO_ERROR (error);
  nn_model_add_layer (model, bn);
  nn_model_add_layer (model, out);
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, opt);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  trainer = nn_trainer_new (model);
  l = nn_trainer_train_step (trainer, x, y, &error);
  CU_ASSERT_TRUE (isnan (l));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED);
  if (error != NULL)
    NN_ASSERT_CONTAINS (error->message, "a training batch of 1 sample");
  CU_ASSERT_EQUAL (nn_layer_get_buffer (bn, 0)->data[0], 0);
  p = nn_model_predict (model, x);
  CU_ASSERT_TRUE (nn_matrix_is_finite (p));
}

static void
count_warnings (const char    *domain,
                GLogLevelFlags level,
                const char    *message,
                gpointer       data)
{
  (*(guint *) data)++;
}

/* affine changes the parameter count a model and its optimizer are sized
 * by: once the layer is in a model, a change is refused. */
static void
test_affine_fixed_in_model (void)
{
  g_autoptr(NnModel) model = nn_model_new ();
  g_autoptr(NnLayer) bn = nn_batch_norm_layer_new (4);
  guint          warnings = 0;
  guint          handler;
  GLogLevelFlags fatal;
  gboolean       affine;

  g_object_set (bn, "affine", FALSE, NULL);
  g_object_set (bn, "affine", TRUE, NULL);
  nn_model_add_layer (model, bn);
  CU_ASSERT_EQUAL (nn_layer_get_n_parameters (bn), 2);
  /* G_DEBUG=fatal-warnings would make the expected warning abort. */
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  handler = g_log_set_handler ("Nn", G_LOG_LEVEL_WARNING, count_warnings, &warnings);
  g_object_set (bn, "affine", FALSE, NULL);
  g_object_set (bn, "affine", TRUE, NULL);
  g_log_remove_handler ("Nn", handler);
  g_log_set_always_fatal (fatal);
  g_object_get (bn, "affine", &affine, NULL);
  CU_ASSERT_TRUE (affine);
  CU_ASSERT_EQUAL (warnings, 1);
  CU_ASSERT_EQUAL (nn_layer_get_n_parameters (bn), 2);
}

/* restore_best puts back the best epoch's running statistics with its
 * parameters. */
static void
test_early_stopping_restores_running_statistics (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (8);
  g_autoptr(NnModel) model = nn_model_new ();
  g_autoptr(NnLayer) bn = nn_batch_norm_layer_new (2);
  g_autoptr(NnEarlyStopping) es = nn_early_stopping_new ("val_loss");
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 5, 2, -3, 3);
  NnMatrix *rm = nn_layer_get_buffer (bn, 0);
  NnMatrix *rv = nn_layer_get_buffer (bn, 1);
  nn_real   best_mean, best_var;

  nn_model_add_layer (model, bn);
  g_object_set (es, "restore-best", TRUE, NULL);
  nn_layer_forward (bn, x);
  best_mean = rm->data[1];
  best_var = rv->data[1];
  nn_early_stopping_update (es, 1, 0.5, model);
  nn_layer_forward (bn, x);
  nn_early_stopping_update (es, 2, 0.9, model);
  CU_ASSERT (rm->data[1] != best_mean);
  CU_ASSERT_TRUE (nn_early_stopping_restore (es, model));
  CU_ASSERT_EQUAL (rm->data[1], best_mean);
  CU_ASSERT_EQUAL (rv->data[1], best_var);
}

/* ---- experiment files, saved models, checkpoints -------------------------- */

#define IRIS_RUN(bn) \
  "seed: 3\n" \
  "data: {source: iris, task: multiclass, scale: minmax, split: {validation: 0.2}}\n" \
  "model: {layers: [{units: 8, activation: linear}, " bn ", " \
  "{type: activation, activation: relu}, {units: 3, activation: softmax}]}\n" \
  "optimizer: {name: adam, learning_rate: 0.01}\n" \
  "train: {epochs: 6, batch_size: 16, checkpoint_every: 1}\n"

static const char bn_run[] = IRIS_RUN ("{type: batch_norm, momentum: 0.2, epsilon: 1.0e-4}");

/* model.yaml records the kind and its settings, model.safetensors the
 * running statistics; the loaded model predicts the same bits. */
static void
test_saved_model_predicts_the_same (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "bn.yaml", bn_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *model_yaml = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file (path, &error);
  g_autoptr(NnPipeline) loaded = NULL;
  g_autoptr(NnDataset) iris = NULL;
  g_autoptr(NnMatrix) in_memory = NULL;
  g_autoptr(NnMatrix) reloaded = NULL;
  NnLayer *bn;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  nn_experiment_set_output_dir (e, run);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (e, NULL, &error));
  model_yaml = nn_test_read_text (run, "model.yaml");
  NN_ASSERT_CONTAINS (model_yaml, "type: batch_norm");
  NN_ASSERT_CONTAINS (model_yaml, "momentum: 0.2");
  loaded = nn_pipeline_load (run, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
  bn = nn_model_get_layer (nn_pipeline_get_model (loaded), 1);
  CU_ASSERT_TRUE_FATAL (NN_IS_BATCH_NORM_LAYER (bn));
  CU_ASSERT (nn_layer_get_buffer (bn, 0)->data[0] != 0);

  iris = nn_dataset_new_iris (&error);
  in_memory = nn_pipeline_predict (nn_experiment_get_pipeline (e), nn_dataset_get_features (iris));
  reloaded = nn_pipeline_predict (loaded, nn_dataset_get_features (iris));
  CU_ASSERT_TRUE_FATAL (nn_matrix_same_shape (in_memory, reloaded));
  CU_ASSERT (memcmp (in_memory->data, reloaded->data,
                     nn_matrix_size (in_memory) * sizeof (nn_real)) == 0);
}

/* config.yaml writes the layer back: run again, it gives the same history. */
static void
test_config_runs_the_same (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "bn.yaml", bn_run);
  g_autofree char *ra = g_build_filename (dir, "a", NULL);
  g_autofree char *rb = g_build_filename (dir, "b", NULL);
  g_autofree char *config = NULL;
  g_autofree char *text = NULL;
  g_autofree char *ha = NULL;
  g_autofree char *hb = NULL;

  nn_test_train_into (path, ra, NULL);
  text = nn_test_read_text (ra, "config.yaml");
  NN_ASSERT_CONTAINS (text, "type: batch_norm");
  config = g_build_filename (ra, "config.yaml", NULL);
  nn_test_train_into (config, rb, NULL);
  ha = nn_test_history_without_seconds (ra);
  hb = nn_test_history_without_seconds (rb);
  CU_ASSERT (strlen (ha) > 100);
  NN_CHECK (g_str_equal (ha, hb), "histories differ:\n%s\n%s", ha, hb);
}

/* Resumed from its checkpoint, the run is the run left alone, to the bytes
 * of model.safetensors (running statistics included). */
static void
test_resume_byte_identical (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "bn.yaml", bn_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *whole = g_build_filename (dir, "whole", NULL);
  g_autofree char *err = NULL;
  g_autofree char *ha = NULL;
  g_autofree char *hb = NULL;
  g_autofree char *wa = NULL;
  g_autofree char *wb = NULL;
  gsize            la = 0, lb = 0;
  int              status;

  nn_test_train_into (experiment, run, "train.epochs=3");
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run, NULL);
  NN_ASSERT_STATUS (status, 0, err);
  nn_test_train_into (experiment, whole, NULL);

  ha = nn_test_history_without_seconds (whole);
  hb = nn_test_history_without_seconds (run);
  NN_CHECK (g_str_equal (ha, hb), "histories differ:\n%s\n%s", ha, hb);
  {
    g_autofree char *pa = g_build_filename (whole, "model.safetensors", NULL);
    g_autofree char *pb = g_build_filename (run, "model.safetensors", NULL);

    CU_ASSERT_TRUE_FATAL (g_file_get_contents (pa, &wa, &la, NULL));
    CU_ASSERT_TRUE_FATAL (g_file_get_contents (pb, &wb, &lb, NULL));
  }
  CU_ASSERT (la > 0 && la == lb && memcmp (wa, wb, la) == 0);
  CU_ASSERT (la > 8 && g_strstr_len (wa + 8, la - 8, "layers.1.running_var") != NULL);
}

/* ---- bad input ----------------------------------------------------------- */

typedef struct
{
  const char *what;
  const char *layer;
  const char *train;
  const char *needle; /* in stderr; NULL: the file is fine */
} BadCase;

static void
test_bad_input (void)
{
  static const BadCase cases[] = {
    { "momentum 2", "{type: batch_norm, momentum: 2}", "{epochs: 1}",
      "e.yaml:3:59: error: model.layers[1].momentum must be between 0 and 1, not 2" },
    { "epsilon 0", "{type: batch_norm, epsilon: 0}", "{epochs: 1}",
      "e.yaml:3:58: error: model.layers[1].epsilon must be greater than 0, not 0" },
    { "unknown key", "{type: batch_norm, momentun: 0.1}", "{epochs: 1}",
      "e.yaml:3:49: error: unknown key 'momentun' in model.layers[1]" },
    { "batch_size 1", "{type: batch_norm}", "{epochs: 1, batch_size: 1}",
      "e.yaml:4:32: error: train.batch_size: 150 training samples in batches of 1" },
    { "a last batch of 1", "{type: batch_norm}", "{epochs: 1, batch_size: 149}",
      "e.yaml:4:32: error: train.batch_size: 150 training samples in batches of 149 make a "
      "last batch of 1" },
    { "batch_size 1 without batch_norm", "{type: activation, activation: relu}",
      "{epochs: 1, batch_size: 1}", NULL },
    { "batch_size 2", "{type: batch_norm, affine: false}", "{epochs: 1, batch_size: 2}", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = nn_test_new_dir ();
      g_autofree char *text = g_strdup_printf ("seed: 1\ndata: {source: iris}\n"
                                               "model: {layers: [{units: 4}, %s, "
                                               "{units: 3, activation: softmax}]}\ntrain: %s\n",
                                               cases[i].layer, cases[i].train);
      g_autofree char *file = nn_test_write_file (dir, "e.yaml", text);
      g_autofree char *run = g_build_filename (dir, "run", NULL);
      g_autofree char *err = NULL;
      int              status = nn_test_nnrun (NULL, &err, "train", file, "--quiet", "--out", run, NULL);

      if (cases[i].needle == NULL)
        {
          NN_ASSERT_STATUS (status, 0, err);
          continue;
        }
      NN_CHECK (status == 2, "%s: exit status %d", cases[i].what, status);
      NN_CHECK (err != NULL && strstr (err, cases[i].needle) != NULL, "%s: %s", cases[i].what,
                err);
      CU_ASSERT_FALSE (g_file_test (run, G_FILE_TEST_EXISTS));
    }
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return CU_get_error ();

  s = CU_add_suite ("Batch normalization", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "dL/dX, dL/dgamma and dL/dbeta match finite differences",
               test_gradients_match_finite_differences);
  CU_add_test (s, "a model's gradients through batch normalization match finite differences",
               test_model_gradients);
  CU_add_test (s, "running statistics follow BatchNorm1d and normalize in evaluation",
               test_running_statistics);
  CU_add_test (s, "affine: false trains nothing and keeps the running statistics",
               test_without_affine);
  CU_add_test (s, "a training batch of one sample is an error", test_batch_of_one);
  CU_add_test (s, "affine is fixed once the layer is in a model", test_affine_fixed_in_model);
  CU_add_test (s, "early stopping restores the best epoch's running statistics",
               test_early_stopping_restores_running_statistics);
  CU_add_test (s, "a saved model with batch normalization predicts the same",
               test_saved_model_predicts_the_same);
  CU_add_test (s, "config.yaml of a run with batch normalization runs the same",
               test_config_runs_the_same);
  CU_add_test (s, "a run with batch normalization resumes byte-identical",
               test_resume_byte_identical);
  CU_add_test (s, "bad batch normalization settings are errors with their place, exit 2",
               test_bad_input);
  return nn_test_run ();
}
