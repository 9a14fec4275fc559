/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The layer kind dropout: at rate 0 the network without it, to the bit;
 * gradients through a step's mask match finite differences; it keeps
 * 1 − rate of the values, scaled by 1 / (1 − rate); evaluation is the
 * identity; a training interrupted and resumed draws the same masks. */
#include <math.h>
#include <string.h>

#include "nn-test.h"

static int
init_suite (void)
{
  return nn_test_init_plugins ();
}

/* dense(@n_inputs → 6, tanh), dropout at @rate if at least 0, dense(→ 3,
 * softmax), categorical cross-entropy and Adam. */
static NnModel *
make_model (guint  n_inputs,
            double rate,
            guint  seed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnLoss) loss = nn_loss_new_by_name ("categorical_crossentropy", &error);
  g_autoptr(NnOptimizer) opt = nn_optimizer_new_by_name ("adam", &error);
  g_autoptr(NnLayer) first = nn_test_make_layer (n_inputs, 6, "tanh");
  g_autoptr(NnLayer) last = nn_test_make_layer (6, 3, "softmax");
  NnModel *model = nn_model_new ();

  g_assert_no_error (error);
  nn_model_set_seed (model, seed);
  nn_model_add_layer (model, first);
  if (rate >= 0.0)
    {
      g_autoptr(NnLayer) dropout = nn_dropout_layer_new (6, rate);

      nn_model_add_layer (model, dropout);
    }
  nn_model_add_layer (model, last);
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, opt);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  return model;
}

static double
model_loss (NnModel        *model,
            const NnMatrix *x,
            const NnMatrix *y)
{
  return nn_loss_compute (nn_model_get_loss (model), nn_model_forward (model, x), y);
}

/* ---- the mask ------------------------------------------------------------ */

/* In training the mask of a step stays as long as the model names no
 * other step, so central differences see the same network the backward
 * step differentiated. */
static void
test_gradients_through_a_mask (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 7, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 7, 3);
  g_autoptr(NnModel) model = make_model (4, 0.4, 9);
  const NnMatrix *dropped;
  guint           zeros = 0;

  nn_model_forward (model, x);
  nn_model_backward (model, x, y);
  dropped = nn_layer_get_a (nn_model_get_layer (model, 1));
  for (gsize i = 0; i < nn_matrix_size (dropped); i++)
    zeros += dropped->data[i] == 0;
  /* The mask drops some values and keeps others. */
  CU_ASSERT (zeros > 0 && zeros < nn_matrix_size (dropped));

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

/* Over 100 training steps of 100 × 6 values (60 000 draws at rate 0.3,
 * and as many at 0.7) the kept fraction is within 3σ of 1 − rate, each
 * kept value is its input scaled by 1 / (1 − rate), and steps draw
 * different masks. */
static void
check_kept_fraction (double rate)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (21);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 100, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 100, 3);
  g_autoptr(NnModel) model = make_model (4, rate, 4);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 1, 0, FALSE);
  g_autoptr(NnMatrix) previous = NULL;
  nn_real scale = (nn_real) (1.0 / (1.0 - rate));
  guint64 kept = 0, total = 0, same_masks = 0, bad_values = 0;
  double  sigma, fraction;

  for (guint step = 0; step < 100; step++)
    {
      g_autoptr(GError) error = NULL;
      const NnMatrix *in, *out;
      gboolean        same = previous != NULL;

      CU_ASSERT (isfinite (nn_trainer_train_step (trainer, x, y, &error)));
      NN_ASSERT_NO_ERROR (error);
      in = nn_layer_get_a (nn_model_get_layer (model, 0));
      out = nn_layer_get_a (nn_model_get_layer (model, 1));
      for (gsize i = 0; i < nn_matrix_size (out); i++)
        {
          if (out->data[i] != 0)
            {
              kept++;
              bad_values += out->data[i] != in->data[i] * scale;
            }
          if (same && (out->data[i] != 0) != (previous->data[i] != 0))
            same = FALSE;
        }
      total += nn_matrix_size (out);
      same_masks += same;
      g_clear_pointer (&previous, nn_matrix_free);
      previous = nn_matrix_copy (out);
    }
  fraction = (double) kept / total;
  sigma = sqrt ((1 - rate) * rate / total);
  NN_CHECK (fabs (fraction - (1 - rate)) < 3 * sigma, "rate %g: kept %g, 3σ = %g", rate,
            fraction, 3 * sigma);
  NN_CHECK (bad_values == 0, "rate %g: %" G_GUINT64_FORMAT " kept values not scaled by %g",
            rate, bad_values, (double) scale);
  CU_ASSERT_EQUAL (same_masks, 0);
}

static void
test_kept_fraction (void)
{
  check_kept_fraction (0.3);
  check_kept_fraction (0.7);
}

/* Evaluation is the identity: predicting twice gives the same bits, those
 * of the network without the layer, whatever was trained before. */
static void
test_evaluation_is_the_identity (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (8);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 20, 4, -1, 1);
  g_autoptr(NnModel) with = make_model (4, 0.5, 11);
  g_autoptr(NnModel) without = make_model (4, -1, 11);
  g_autoptr(NnMatrix) p1 = NULL;
  g_autoptr(NnMatrix) p2 = NULL;
  g_autoptr(NnMatrix) p0 = NULL;
  g_autoptr(NnMatrix) trained = NULL;

  p1 = nn_model_predict (with, x);
  p2 = nn_model_predict (with, x);
  p0 = nn_model_predict (without, x);
  CU_ASSERT_TRUE_FATAL (nn_matrix_same_shape (p1, p0));
  CU_ASSERT (memcmp (p1->data, p2->data, nn_matrix_size (p1) * sizeof (nn_real)) == 0);
  CU_ASSERT (memcmp (p1->data, p0->data, nn_matrix_size (p1) * sizeof (nn_real)) == 0);
  /* ... and training mode differs, or the layer did nothing at all. */
  trained = nn_matrix_copy (nn_model_forward (with, x));
  CU_ASSERT (memcmp (trained->data, p0->data, nn_matrix_size (p0) * sizeof (nn_real)) != 0);
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

/* A fit cancelled in the middle of an epoch and fitted on draws the masks
 * of the fit left alone: the same losses and parameters, to the bit. */
static void
test_cancelled_fit_goes_on (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (14);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 11, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 11, 3);
  g_autoptr(NnModel) whole_model = make_model (4, 0.3, 9);
  g_autoptr(NnModel) model = make_model (4, 0.3, 9);
  g_autoptr(NnTrainer) whole = nn_test_make_trainer (whole_model, 4, 3, TRUE);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 4, 3, TRUE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(TestCanceller) canceller = g_object_new (TEST_TYPE_CANCELLER, NULL);
  g_autoptr(GError) error = NULL;
  const GArray *a, *b;

  CU_ASSERT_TRUE (nn_trainer_fit (whole, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  /* The 4 batches of an epoch: cancelled after the second of epoch 2. */
  canceller->cancellable = cancellable;
  canceller->at = 6;
  nn_trainer_add_callback (trainer, NN_TRAINER_CALLBACK (canceller));
  CU_ASSERT_FALSE (nn_trainer_fit (trainer, x, y, NULL, NULL, cancellable, &error));
  CU_ASSERT_TRUE (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_clear_error (&error);
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  a = nn_trainer_get_loss_history (whole);
  b = nn_trainer_get_loss_history (trainer);
  CU_ASSERT_EQUAL_FATAL (a->len, b->len);
  CU_ASSERT (memcmp (a->data, b->data, a->len * sizeof (double)) == 0);
  for (guint p = 0; p < nn_model_get_n_parameters (model); p++)
    {
      NnMatrix *pa = nn_model_get_parameter (whole_model, p);
      NnMatrix *pb = nn_model_get_parameter (model, p);

      CU_ASSERT (memcmp (pa->data, pb->data, nn_matrix_size (pa) * sizeof (nn_real)) == 0);
    }
}

/* ---- experiment files ---------------------------------------------------- */

#define IRIS_RUN(layers) \
  "seed: 3\n" \
  "data: {source: iris, task: multiclass, scale: minmax, split: {validation: 0.2}}\n" \
  "model: {layers: [" layers "]}\n" \
  "optimizer: {name: adam, learning_rate: 0.01}\n" \
  "train: {epochs: 6, batch_size: 16, checkpoint_every: 1}\n"

static const char dropout_run[] =
  IRIS_RUN ("{units: 8, activation: relu}, {type: dropout, rate: 0.3}, "
            "{units: 3, activation: softmax}");
static const char rate_0_run[] =
  IRIS_RUN ("{units: 8, activation: relu}, {type: dropout, rate: 0}, "
            "{units: 3, activation: softmax}");
static const char plain_run[] =
  IRIS_RUN ("{units: 8, activation: relu}, {units: 3, activation: softmax}");

/* `{type: dropout, rate: 0}` trains as the network without it, to the bit,
 * and its config.yaml names it. */
static void
test_rate_0_is_the_network_without_it (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *f0 = nn_test_write_file (dir, "rate0.yaml", rate_0_run);
  g_autofree char *fp = nn_test_write_file (dir, "plain.yaml", plain_run);
  g_autofree char *fd = nn_test_write_file (dir, "dropout.yaml", dropout_run);
  g_autofree char *r0 = g_build_filename (dir, "rate0", NULL);
  g_autofree char *rp = g_build_filename (dir, "plain", NULL);
  g_autofree char *rd = g_build_filename (dir, "dropout", NULL);
  g_autofree char *h0 = NULL;
  g_autofree char *hp = NULL;
  g_autofree char *hd = NULL;
  g_autofree char *config = NULL;

  nn_test_train_into (f0, r0, NULL);
  nn_test_train_into (fp, rp, NULL);
  nn_test_train_into (fd, rd, NULL);
  h0 = nn_test_history_without_seconds (r0);
  hp = nn_test_history_without_seconds (rp);
  hd = nn_test_history_without_seconds (rd);
  CU_ASSERT (strlen (h0) > 100);
  NN_CHECK (g_str_equal (h0, hp), "histories differ:\n%s\n%s", h0, hp);
  NN_CHECK (!g_str_equal (hd, hp), "rate 0.3 trains as no dropout:\n%s", hd);
  config = nn_test_read_text (rd, "config.yaml");
  NN_ASSERT_CONTAINS (config, "type: dropout");
  NN_ASSERT_CONTAINS (config, "rate: 0.3");
}

/* config.yaml of a run with dropout runs the same; model.yaml records the
 * kind and rate, and the loaded model evaluates and predicts. */
static void
test_saved_dropout_runs_again (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *fd = nn_test_write_file (dir, "dropout.yaml", dropout_run);
  g_autofree char *rd = g_build_filename (dir, "dropout", NULL);
  g_autofree char *rc = g_build_filename (dir, "again", NULL);
  g_autofree char *config = NULL;
  g_autofree char *model_yaml = NULL;
  g_autofree char *ha = NULL;
  g_autofree char *hc = NULL;
  g_autofree char *csv = nn_test_source_file ("libcore/data/iris.csv");
  g_autofree char *out1 = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *err = NULL;
  int              status;

  nn_test_train_into (fd, rd, NULL);
  config = g_build_filename (rd, "config.yaml", NULL);
  nn_test_train_into (config, rc, NULL);
  ha = nn_test_history_without_seconds (rd);
  hc = nn_test_history_without_seconds (rc);
  NN_CHECK (g_str_equal (ha, hc), "histories differ:\n%s\n%s", ha, hc);
  model_yaml = nn_test_read_text (rd, "model.yaml");
  NN_ASSERT_CONTAINS (model_yaml, "type: dropout");
  NN_ASSERT_CONTAINS (model_yaml, "rate: 0.3");

  status = nn_test_nnrun (&out1, &err, "eval", rd, "iris", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  NN_ASSERT_CONTAINS (out1, "accuracy");
  g_clear_pointer (&out1, g_free);
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (&out1, &err, "predict", rd, csv, NULL);
  NN_ASSERT_STATUS (status, 0, err);
  g_clear_pointer (&err, g_free);
  status = nn_test_nnrun (&out2, &err, "predict", rd, csv, NULL);
  NN_ASSERT_STATUS (status, 0, err);
  NN_ASSERT_CONTAINS (out1, "setosa");
  CU_ASSERT (g_str_equal (out1, out2));
}

/* A run with dropout resumed from its checkpoint is the run left alone. */
static void
test_resume_with_dropout (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = nn_test_write_file (dir, "dropout.yaml", dropout_run);
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

static void
test_bad_rates (void)
{
  static const struct
  {
    const char *layer;
    const char *needle;
  } cases[] = {
    { "{type: dropout, rate: 1}",
      "e.yaml:3:52: error: model.layers[1].rate must be between 0 and 1, 1 excluded, not 1" },
    { "{type: dropout, rate: -0.1}",
      "e.yaml:3:52: error: model.layers[1].rate must be between 0 and 1, 1 excluded, not -0.1" },
    { "{type: dropout, rate: x}", "e.yaml:3:52: error: model.layers[1].rate must be a decimal number" },
    { "{type: dropout, rat: 0.3}", "e.yaml:3:46: error: unknown key 'rat' in model.layers[1]" },
    { "{type: dropout, rate: 0.3, units: 4}", "e.yaml:3:57: error: unknown key 'units' in model.layers[1]" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = nn_test_new_dir ();
      g_autofree char *text = g_strdup_printf ("seed: 1\ndata: {source: iris}\n"
                                               "model: {layers: [{units: 8}, %s, {units: 3}]}\n"
                                               "train: {epochs: 1}\n",
                                               cases[i].layer);
      g_autofree char *file = nn_test_write_file (dir, "e.yaml", text);
      g_autofree char *run = g_build_filename (dir, "run", NULL);
      g_autofree char *err = NULL;
      int              status = nn_test_nnrun (NULL, &err, "train", file, "--quiet", "--out", run, NULL);

      NN_CHECK (status == 2, "%s: exit status %d", cases[i].layer, status);
      NN_CHECK (err != NULL && strstr (err, cases[i].needle) != NULL, "%s: %s", cases[i].layer,
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

  s = CU_add_suite ("Dropout", init_suite, nn_test_remove_scratch);
  CU_add_test (s, "gradients through a step's mask match finite differences",
               test_gradients_through_a_mask);
  CU_add_test (s, "training keeps 1 - rate of the values within 3 sigma, scaled by 1 / (1 - rate)",
               test_kept_fraction);
  CU_add_test (s, "evaluation is the identity, the same bits every time",
               test_evaluation_is_the_identity);
  CU_add_test (s, "a fit cancelled mid-epoch goes on as if left alone, to the bit",
               test_cancelled_fit_goes_on);
  CU_add_test (s, "rate 0 trains as the network without dropout, to the bit",
               test_rate_0_is_the_network_without_it);
  CU_add_test (s, "config.yaml and model.yaml of a run with dropout run, evaluate and predict",
               test_saved_dropout_runs_again);
  CU_add_test (s, "a run with dropout resumes to the run left alone", test_resume_with_dropout);
  CU_add_test (s, "bad rates and keys are errors with their place, exit 2", test_bad_rates);
  return nn_test_run ();
}
