/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kinds of layer: an activation layer is the activation of a dense layer
 * taken apart, to the last bit of a training history; gradients through it
 * match finite differences; it is saved, loaded, checkpointed and resumed
 * as dense layers are; and experiment files name kinds by `type`. */
#include <math.h>
#include <string.h>

#include "nn-test.h"

static int
init_suite (void)
{
  return nn_test_init_plugins ();
}

static NnLayer *
make_activation_layer (guint       width,
                       const char *activation)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnActivation) act = nn_activation_new_by_name (activation, &error);

  g_assert_no_error (error);
  return nn_activation_layer_new (width, act);
}

/* A model of layers given as "dense:UNITS:ACTIVATION" or "act:ACTIVATION",
 * on @n_inputs wide inputs. */
static NnModel *
make_model (guint               n_inputs,
            const char * const *layers,
            const char         *loss_name,
            guint64             seed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnLoss) loss = nn_loss_new_by_name (loss_name, &error);
  g_autoptr(NnOptimizer) opt = nn_optimizer_new_by_name ("adam", &error);
  NnModel *model = nn_model_new ();
  guint    width = n_inputs;

  g_assert_no_error (error);
  nn_model_set_seed (model, seed);
  for (guint i = 0; layers[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (layers[i], ":", -1);
      g_autoptr(NnLayer) layer = NULL;

      if (g_str_equal (parts[0], "dense"))
        layer = nn_test_make_layer (width, (guint) atoi (parts[1]), parts[2]);
      else
        layer = make_activation_layer (width, parts[1]);
      nn_model_add_layer (model, layer);
      width = nn_layer_get_n_outputs (layer);
    }
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, opt);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  return model;
}

/* ---- gradients ----------------------------------------------------------- */

static double
model_loss (NnModel        *model,
            const NnMatrix *x,
            const NnMatrix *y)
{
  return nn_loss_compute (nn_model_get_loss (model), nn_model_forward (model, x), y);
}

/* Every parameter gradient against central differences of the loss. */
static void
check_model_gradients (NnModel        *model,
                       const NnMatrix *x,
                       const NnMatrix *y)
{
  nn_model_forward (model, x);
  nn_model_backward (model, x, y);

  for (guint p = 0; p < nn_model_get_n_parameters (model); p++)
    {
      NnMatrix *param = nn_model_get_parameter (model, p);
      g_autoptr(NnMatrix) analytic = nn_matrix_copy (nn_model_get_gradient (model, p));

      for (gsize i = 0; i < nn_matrix_size (param); i++)
        {
          nn_real saved = param->data[i];
          double  plus, minus;

          param->data[i] = saved + NN_TEST_FD_STEP;
          plus = model_loss (model, x, y);
          param->data[i] = saved - NN_TEST_FD_STEP;
          minus = model_loss (model, x, y);
          param->data[i] = saved;
          NN_ASSERT_CMPFLOAT (analytic->data[i], (plus - minus) / (2 * NN_TEST_FD_STEP),
                              NN_TEST_FD_RTOL, NN_TEST_FD_ATOL);
        }
    }
}

/* Through activation layers in the middle, first and last (where the
 * loss's joint gradient enters). */
static void
test_gradients_through_activation_layers (void)
{
  static const char * const softmax[] = { "dense:5:linear", "act:tanh", "dense:3:linear",
                                          "act:softmax", NULL };
  static const char * const binary[] = { "act:tanh", "dense:3:linear", "act:elu",
                                         "dense:1:sigmoid", NULL };
  static const char * const regression[] = { "dense:4:linear", "act:silu", "dense:2:linear",
                                             NULL };
  g_autoptr(GRand) rand = g_rand_new_with_seed (17);
  g_autoptr(NnModel) m1 = make_model (4, softmax, "categorical_crossentropy", 3);
  g_autoptr(NnModel) m2 = make_model (4, binary, "binary_crossentropy", 4);
  g_autoptr(NnModel) m3 = make_model (3, regression, "mean_squared_error", 5);
  g_autoptr(NnMatrix) x1 = nn_test_random_matrix (rand, 6, 4, -1, 1);
  g_autoptr(NnMatrix) y1 = nn_test_one_hot (rand, 6, 3);
  g_autoptr(NnMatrix) x2 = nn_test_random_matrix (rand, 7, 4, -1, 1);
  g_autoptr(NnMatrix) y2 = nn_matrix_new (7, 1);
  g_autoptr(NnMatrix) x3 = nn_test_random_matrix (rand, 5, 3, -2, 2);
  g_autoptr(NnMatrix) y3 = nn_test_random_matrix (rand, 5, 2, -1, 1);

  for (guint r = 0; r < 7; r++)
    y2->data[r] = r % 2;
  CU_ASSERT_EQUAL (nn_model_get_n_parameters (m1), 4);
  CU_ASSERT_EQUAL (nn_model_get_n_parameters (m2), 4);
  check_model_gradients (m1, x1, y1);
  check_model_gradients (m2, x2, y2);
  check_model_gradients (m3, x3, y3);
}

/* ---- the same network, taken apart ---------------------------------------- */

/* @a and @b trained alike on the same data give the same bits. */
static void
assert_same_training (NnModel *a,
                      NnModel *b)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (23);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 40, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 40, 3);
  g_autoptr(NnTrainer) ta = nn_test_make_trainer (a, 6, 8, TRUE);
  g_autoptr(NnTrainer) tb = nn_test_make_trainer (b, 6, 8, TRUE);
  g_autoptr(GError) error = NULL;
  GArray *la, *lb;

  CU_ASSERT_EQUAL_FATAL (nn_model_get_n_parameters (a), nn_model_get_n_parameters (b));
  for (guint p = 0; p < nn_model_get_n_parameters (a); p++)
    CU_ASSERT (memcmp (nn_model_get_parameter (a, p)->data, nn_model_get_parameter (b, p)->data,
                       nn_matrix_size (nn_model_get_parameter (a, p)) * sizeof (nn_real)) == 0);
  CU_ASSERT_TRUE (nn_trainer_fit (ta, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (nn_trainer_fit (tb, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  la = nn_trainer_get_loss_history (ta);
  lb = nn_trainer_get_loss_history (tb);
  CU_ASSERT_EQUAL_FATAL (la->len, 6);
  CU_ASSERT_EQUAL_FATAL (lb->len, 6);
  NN_CHECK (memcmp (la->data, lb->data, la->len * sizeof (double)) == 0,
            "histories differ: last losses %.17g and %.17g", g_array_index (la, double, 5),
            g_array_index (lb, double, 5));
  for (guint p = 0; p < nn_model_get_n_parameters (a); p++)
    NN_CHECK (memcmp (nn_model_get_parameter (a, p)->data, nn_model_get_parameter (b, p)->data,
                      nn_matrix_size (nn_model_get_parameter (a, p)) * sizeof (nn_real)) == 0,
              "parameter %u differs after training", p);
}

/* dense(linear) → activation(relu) → dense(softmax) is dense(relu) →
 * dense(softmax): the activation layer draws no random number and adds
 * nothing to the arithmetic. */
static void
test_activation_layer_is_the_dense_activation (void)
{
  static const char * const apart[] = { "dense:6:linear", "act:relu", "dense:3:softmax", NULL };
  static const char * const together[] = { "dense:6:relu", "dense:3:softmax", NULL };
  g_autoptr(NnModel) a = make_model (4, apart, "categorical_crossentropy", 11);
  g_autoptr(NnModel) b = make_model (4, together, "categorical_crossentropy", 11);

  CU_ASSERT_EQUAL (nn_layer_get_n_parameters (nn_model_get_layer (a, 1)), 0);
  assert_same_training (a, b);
}

/* The same with the dense layer's weights regularized: the penalty is the
 * dense layer's, whichever layer applies its activation. */
static void
test_activation_layer_after_regularized_dense (void)
{
  static const char * const apart[] = { "dense:6:linear", "act:tanh", "dense:3:softmax", NULL };
  static const char * const together[] = { "dense:6:tanh", "dense:3:softmax", NULL };
  g_autoptr(NnModel) a = make_model (4, apart, "categorical_crossentropy", 13);
  g_autoptr(NnModel) b = make_model (4, together, "categorical_crossentropy", 13);

  g_object_set (nn_model_get_layer (a, 0), "l1", 0.01, "l2", 0.02, NULL);
  g_object_set (nn_model_get_layer (b, 0), "l1", 0.01, "l2", 0.02, NULL);
  CU_ASSERT (nn_model_get_regularization_loss (a) > 0);
  CU_ASSERT_EQUAL (nn_layer_get_regularization_loss (nn_model_get_layer (a, 1)), 0.0);
  assert_same_training (a, b);
}

/* A softmax layer last takes the joint gradient of softmax and
 * cross-entropy as a dense softmax layer does, to the bit. */
static void
test_activation_layer_last_takes_joint_gradient (void)
{
  static const char * const apart[] = { "dense:5:tanh", "dense:3:linear", "act:softmax", NULL };
  static const char * const together[] = { "dense:5:tanh", "dense:3:softmax", NULL };
  g_autoptr(NnModel) a = make_model (4, apart, "categorical_crossentropy", 12);
  g_autoptr(NnModel) b = make_model (4, together, "categorical_crossentropy", 12);

  assert_same_training (a, b);
}

/* A kind of layer defined here: the identity, recording the mode of its
 * forward steps. */
#define TEST_TYPE_PROBE_LAYER (test_probe_layer_get_type ())
G_DECLARE_FINAL_TYPE (TestProbeLayer, test_probe_layer, TEST, PROBE_LAYER, NnLayer)

struct _TestProbeLayer
{
  NnLayer  parent_instance;
  NnMatrix out;
  guint    training_steps;
  guint    evaluation_steps;
};

G_DEFINE_FINAL_TYPE (TestProbeLayer, test_probe_layer, NN_TYPE_LAYER)

static const NnMatrix *
probe_forward (NnLayer        *layer,
               const NnMatrix *x)
{
  TestProbeLayer *self = TEST_PROBE_LAYER (layer);

  if (nn_layer_get_training (layer))
    self->training_steps++;
  else
    self->evaluation_steps++;
  self->out = *x;
  return &self->out;
}

static const NnMatrix *
probe_backward (NnLayer        *layer,
                const NnMatrix *x,
                const NnMatrix *grad_a,
                gboolean        want_grad_input)
{
  return want_grad_input ? grad_a : NULL;
}

static const NnMatrix *
probe_get_output (NnLayer *layer)
{
  return &TEST_PROBE_LAYER (layer)->out;
}

static void
test_probe_layer_class_init (TestProbeLayerClass *klass)
{
  NnLayerClass *layer_class = NN_LAYER_CLASS (klass);

  layer_class->description = "Test: the identity";
  layer_class->forward = probe_forward;
  layer_class->backward = probe_backward;
  layer_class->get_output = probe_get_output;
}

static void
test_probe_layer_init (TestProbeLayer *self)
{
}

/* Sample weights scale the joint output gradient of an activation layer
 * last as they do a dense layer's: the same gradients, to the bit. */
static void
test_weighted_gradient_through_activation_layer (void)
{
  static const char * const apart[] = { "dense:5:tanh", "dense:3:linear", "act:softmax", NULL };
  static const char * const together[] = { "dense:5:tanh", "dense:3:softmax", NULL };
  static const double       weights[] = { 1.0, 0.0, 2.5, 0.5, 1.0, 3.0 };
  g_autoptr(NnModel) a = make_model (4, apart, "categorical_crossentropy", 14);
  g_autoptr(NnModel) b = make_model (4, together, "categorical_crossentropy", 14);
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 6, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 6, 3);
  g_autoptr(NnMatrix) unweighted = NULL;

  nn_model_forward (a, x);
  nn_model_backward (a, x, y);
  unweighted = nn_matrix_copy (nn_model_get_gradient (a, 0));
  nn_model_forward (a, x);
  nn_model_backward_weighted (a, x, y, weights);
  nn_model_forward (b, x);
  nn_model_backward_weighted (b, x, y, weights);
  for (guint p = 0; p < nn_model_get_n_parameters (a); p++)
    NN_CHECK (memcmp (nn_model_get_gradient (a, p)->data, nn_model_get_gradient (b, p)->data,
                      nn_matrix_size (nn_model_get_gradient (a, p)) * sizeof (nn_real)) == 0,
              "gradient %u differs", p);
  CU_ASSERT (memcmp (unweighted->data, nn_model_get_gradient (a, 0)->data,
                     nn_matrix_size (unweighted) * sizeof (nn_real)) != 0);
}

/* The trainer's steps train; predicting and evaluating use evaluation and
 * leave the mode as it was. */
static void
test_training_mode (void)
{
  static const char * const layers[] = { "dense:3:linear", "act:relu", NULL };
  g_autoptr(NnModel) model = make_model (2, layers, "mean_squared_error", 1);
  g_autoptr(TestProbeLayer) probe = g_object_new (TEST_TYPE_PROBE_LAYER, "n-inputs", 3, NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (2);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 4, 2, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 4, 3, -1, 1);
  g_autoptr(NnMatrix) pred = NULL;
  g_autoptr(NnTrainer) trainer = NULL;
  g_autoptr(GError) error = NULL;

  nn_model_add_layer (model, NN_LAYER (probe));
  trainer = nn_trainer_new (model);
  CU_ASSERT_TRUE (nn_model_get_training (model));
  pred = nn_model_predict (model, x);
  CU_ASSERT_EQUAL (probe->evaluation_steps, 1);
  CU_ASSERT_EQUAL (probe->training_steps, 0);
  CU_ASSERT_TRUE (nn_model_get_training (model));
  CU_ASSERT_TRUE (nn_layer_get_training (nn_model_get_layer (model, 1)));

  nn_model_set_training (model, FALSE);
  for (guint l = 0; l < nn_model_get_n_layers (model); l++)
    CU_ASSERT_FALSE (nn_layer_get_training (nn_model_get_layer (model, l)));
  nn_trainer_train_step (trainer, x, y, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (probe->training_steps, 1);
  CU_ASSERT_TRUE (nn_layer_get_training (nn_model_get_layer (model, 1)));
  nn_model_evaluate (model, x, y, &error);
  CU_ASSERT_EQUAL (probe->evaluation_steps, 2);
  CU_ASSERT_TRUE (nn_model_get_training (model));
  CU_ASSERT_TRUE (nn_layer_get_training (NN_LAYER (probe)));
}

/* ---- experiment files, saved models, checkpoints -------------------------- */

#define IRIS_RUN(layers) \
  "seed: 3\n" \
  "data: {source: iris, task: multiclass, scale: minmax, split: {validation: 0.2}}\n" \
  "model: {layers: [" layers "]}\n" \
  "optimizer: {name: adam, learning_rate: 0.01}\n" \
  "train: {epochs: 6, batch_size: 16, checkpoint_every: 1}\n"

static const char apart_run[] =
  IRIS_RUN ("{units: 8, activation: linear}, {type: activation, activation: relu}, "
            "{units: 3, activation: softmax}");
static const char together_run[] =
  IRIS_RUN ("{units: 8, activation: relu}, {units: 3, activation: softmax}");

/* An experiment file with `type: activation` runs as the dense layer with
 * that activation, and its config.yaml names the kind. */
static void
test_nnrun_activation_layer_same_history (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *fa = nn_test_write_file (dir, "apart.yaml", apart_run);
  g_autofree char *fb = nn_test_write_file (dir, "together.yaml", together_run);
  g_autofree char *ra = g_build_filename (dir, "apart", NULL);
  g_autofree char *rb = g_build_filename (dir, "together", NULL);
  g_autofree char *ha = NULL;
  g_autofree char *hb = NULL;
  g_autofree char *config_a = NULL;
  g_autofree char *config_b = NULL;

  nn_test_train_into (fa, ra, NULL);
  nn_test_train_into (fb, rb, NULL);
  ha = nn_test_history_without_seconds (ra);
  hb = nn_test_history_without_seconds (rb);
  CU_ASSERT (strlen (ha) > 100);
  NN_CHECK (g_str_equal (ha, hb), "histories differ:\n%s\n%s", ha, hb);
  config_a = nn_test_read_text (ra, "config.yaml");
  config_b = nn_test_read_text (rb, "config.yaml");
  NN_ASSERT_CONTAINS (config_a, "type: activation");
  NN_CHECK (strstr (config_b, "type:") == NULL, "a dense layer's type is written:\n%s", config_b);
}

/* config.yaml of a run with an activation layer is itself an experiment
 * that runs the same. */
static void
test_config_of_activation_layer_runs (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *fa = nn_test_write_file (dir, "apart.yaml", apart_run);
  g_autofree char *ra = g_build_filename (dir, "apart", NULL);
  g_autofree char *rc = g_build_filename (dir, "again", NULL);
  g_autofree char *config = NULL;
  g_autofree char *ha = NULL;
  g_autofree char *hc = NULL;

  nn_test_train_into (fa, ra, NULL);
  config = g_build_filename (ra, "config.yaml", NULL);
  nn_test_train_into (config, rc, NULL);
  ha = nn_test_history_without_seconds (ra);
  hc = nn_test_history_without_seconds (rc);
  NN_CHECK (g_str_equal (ha, hc), "histories differ:\n%s\n%s", ha, hc);
}

/* model.yaml records the kind; the loaded model predicts the same bits;
 * nnrun eval and predict take it. */
static void
test_saved_activation_layer_predicts_the_same (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "apart.yaml", apart_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *model_yaml = NULL;
  g_autofree char *csv = nn_test_source_file ("libcore/data/iris.csv");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file (path, &error);
  g_autoptr(NnPipeline) loaded = NULL;
  g_autoptr(NnDataset) iris = NULL;
  g_autoptr(NnMatrix) in_memory = NULL;
  g_autoptr(NnMatrix) reloaded = NULL;
  int status;

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  nn_experiment_set_output_dir (e, run);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (e, NULL, &error));
  model_yaml = nn_test_read_text (run, "model.yaml");
  NN_ASSERT_CONTAINS (model_yaml, "type: activation");
  loaded = nn_pipeline_load (run, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (loaded);
  CU_ASSERT_EQUAL (nn_model_get_n_layers (nn_pipeline_get_model (loaded)), 3);
  CU_ASSERT_TRUE (NN_IS_ACTIVATION_LAYER (nn_model_get_layer (nn_pipeline_get_model (loaded), 1)));

  iris = nn_dataset_new_iris (&error);
  in_memory = nn_pipeline_predict (nn_experiment_get_pipeline (e), nn_dataset_get_features (iris));
  reloaded = nn_pipeline_predict (loaded, nn_dataset_get_features (iris));
  CU_ASSERT_TRUE_FATAL (nn_matrix_same_shape (in_memory, reloaded));
  CU_ASSERT (memcmp (in_memory->data, reloaded->data,
                     nn_matrix_size (in_memory) * sizeof (nn_real)) == 0);

  status = nn_test_nnrun (&out, &err, "eval", run, "iris", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  status = nn_test_nnrun (&out, &err, "predict", run, csv, NULL);
  NN_ASSERT_STATUS (status, 0, err);
  NN_ASSERT_CONTAINS (out, "setosa");
}

/* A run with an activation layer resumed from its checkpoint is the run
 * left alone. */
static void
test_resume_with_activation_layer (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "apart.yaml", apart_run);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *whole = g_build_filename (dir, "whole", NULL);
  g_autofree char *err = NULL;
  g_autofree char *ha = NULL;
  g_autofree char *hb = NULL;
  g_autofree char *wa = NULL;
  g_autofree char *wb = NULL;
  int              status;

  nn_test_train_into (experiment, run, "train.epochs=3");
  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", "--resume", run, NULL);
  NN_ASSERT_STATUS (status, 0, err);
  nn_test_train_into (experiment, whole, NULL);

  ha = nn_test_history_without_seconds (whole);
  hb = nn_test_history_without_seconds (run);
  NN_CHECK (g_str_equal (ha, hb), "histories differ:\n%s\n%s", ha, hb);
  wa = nn_test_read_text (whole, "model.safetensors");
  wb = nn_test_read_text (run, "model.safetensors");
  CU_ASSERT (strlen (wa) > 0 && g_str_equal (wa, wb));
}

/* ---- bad input ----------------------------------------------------------- */

typedef struct
{
  const char *what;
  const char *layers;
  const char *needle; /* in stderr; NULL: the file is fine */
} LayerCase;

static void
test_bad_layers (void)
{
  static const LayerCase cases[] = {
    { "unknown type", "{units: 8}, {type: actvation, activation: relu}, {units: 3, activation: softmax}",
      "e.yaml:3:37: error: model.layers[1].type: unknown layer 'actvation'; did you mean "
      "'activation'?" },
    { "units on an activation layer",
      "{units: 8}, {type: activation, activation: relu, units: 4}, {units: 3, activation: softmax}",
      "e.yaml:3:67: error: unknown key 'units' in model.layers[1]" },
    { "activation layer without activation", "{units: 8}, {type: activation}, {units: 3, activation: softmax}",
      "e.yaml:3:30: error: model.layers[1] needs 'activation'" },
    { "only activation layers", "{type: activation, activation: relu}",
      "e.yaml:3:17: error: the model has no parameters" },
    { "type not a string", "{type: [dense], units: 3}", "model.layers[0].type must be" },
    { "activation layer first", "{type: activation, activation: tanh}, {units: 3, activation: softmax}",
      NULL },
    { "dense named", "{type: dense, units: 3, activation: softmax}", NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = nn_test_new_dir ();
      g_autofree char *text = g_strdup_printf ("seed: 1\ndata: {source: iris}\n"
                                               "model: {layers: [%s]}\ntrain: {epochs: 1}\n",
                                               cases[i].layers);
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

  s = CU_add_suite ("Kinds of layer", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "gradients through activation layers match finite differences",
               test_gradients_through_activation_layers);
  CU_add_test (s, "dense(linear) then activation(relu) trains as dense(relu), to the bit",
               test_activation_layer_is_the_dense_activation);
  CU_add_test (s, "an activation layer after a regularized dense layer trains as one layer",
               test_activation_layer_after_regularized_dense);
  CU_add_test (s, "an activation layer last takes the loss's joint gradient",
               test_activation_layer_last_takes_joint_gradient);
  CU_add_test (s, "sample weights reach an activation layer's joint gradient",
               test_weighted_gradient_through_activation_layer);
  CU_add_test (s, "steps train, predicting and evaluating leave the mode as it was",
               test_training_mode);
  CU_add_test (s, "type: activation in an experiment file runs as the dense activation",
               test_nnrun_activation_layer_same_history);
  CU_add_test (s, "config.yaml of a run with an activation layer runs the same",
               test_config_of_activation_layer_runs);
  CU_add_test (s, "a saved activation layer loads and predicts the same",
               test_saved_activation_layer_predicts_the_same);
  CU_add_test (s, "a run with an activation layer resumes to the run left alone",
               test_resume_with_activation_layer);
  CU_add_test (s, "bad layer kinds and keys are errors with their place, exit 2",
               test_bad_layers);
  return nn_test_run ();
}
