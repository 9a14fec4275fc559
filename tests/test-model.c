/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The model as a whole: matrices, forward and backward through layers,
 * training, and the defects of the lesson that nn must not repeat. */
#include <string.h>

#include "nn-test.h"

static NnModel *
make_model (const guint        *widths,
            const char * const *activations,
            guint               n_layers,
            const char         *loss_name,
            double              learning_rate,
            guint64             seed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnLoss) loss = nn_loss_new_by_name (loss_name, &error);
  g_autoptr(NnOptimizer) opt = nn_sgd_optimizer_new (learning_rate);
  NnModel *model = nn_model_new ();

  g_assert_no_error (error);
  nn_model_set_seed (model, seed);
  for (guint i = 0; i < n_layers; i++)
    {
      g_autoptr(NnLayer) layer = nn_test_make_layer (widths[i], widths[i + 1], activations[i]);
      nn_model_add_layer (model, layer);
    }
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, opt);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  return model;
}

/* ---- matrices ------------------------------------------------------------ */

#if NN_REAL_IS_DOUBLE
#define GEMM_TOL 1e-12
#else
#define GEMM_TOL 2e-5
#endif

/* C = alpha op(A) op(B) + beta C against sums in double, for shapes from a
 * single element to products the BLAS splits into blocks, those around the
 * limits of the library's own small-product kernels among them (rows of C
 * of up to 4, 8 or 16 values, 32 rows of op(B), 4 rows of C for sums over
 * op(A)'s columns, 32768 multiply-adds). With beta 0, C is written without
 * being read: NaN in it must not come through. C is the first rows of a
 * larger matrix, whose other rows must stay as they were. */
static void
test_gemm_matches_naive_product (void)
{
  static const guint shapes[][3] = {
    /* m, n, k */
    { 1, 1, 1 },
    { 3, 5, 4 },
    { 150, 16, 4 },
    { 150, 3, 16 },
    { 3, 16, 150 },
    { 16, 4, 150 },
    { 150, 16, 3 },
    { 13, 17, 7 },
    { 9, 33, 5 },
    { 7, 8, 3 },
    { 8, 16, 2 },
    { 5, 40, 20 },
    { 4, 9, 1 },
    { 11, 24, 6 },
    { 64, 64, 64 },
    { 200, 9, 30 },
    { 2, 600, 8 },
    { 7, 4, 32 },
    { 5, 5, 33 },
    { 9, 8, 31 },
    { 6, 9, 2 },
    { 3, 15, 32 },
    { 150, 17, 4 },
    { 128, 16, 16 },
    { 130, 16, 16 },
    { 4, 16, 300 },
    { 16, 4, 301 },
    { 16, 3, 681 },
    { 2, 3, 1 },
    { 5, 16, 150 },
    { 1, 16, 1 },
    { 17, 2, 9 },
    { 6, 1, 40 },
  };
  static const double scales[][2] = { { 1, 0 }, { 2, 0.5 }, { -1, 1 } }; /* alpha, beta */
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (guint ab = 0; ab < G_N_ELEMENTS (scales); ab++)
      for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
          {
            guint  m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
            double alpha = scales[ab][0], beta = scales[ab][1];
            g_autoptr(NnMatrix) a = ta ? nn_test_random_matrix (rand, k, m, -1, 1)
                                        : nn_test_random_matrix (rand, m, k, -1, 1);
            g_autoptr(NnMatrix) b = tb ? nn_test_random_matrix (rand, n, k, -1, 1)
                                        : nn_test_random_matrix (rand, k, n, -1, 1);
            g_autoptr(NnMatrix) whole = nn_test_random_matrix (rand, m + 2, n, -1, 1);
            g_autoptr(NnMatrix) c0 = NULL, whole0 = NULL;
            NnMatrix  view = nn_matrix_view_rows (whole, 0, m);
            NnMatrix *c = &view;

            if (beta == 0)
              nn_matrix_fill (c, NAN);
            c0 = nn_matrix_copy (c);
            whole0 = nn_matrix_copy (whole);
            nn_matrix_gemm (ta, tb, alpha, a, b, beta, c);
            if (memcmp (whole->data + (gsize) m * n, whole0->data + (gsize) m * n,
                        2 * n * sizeof (nn_real)) != 0)
              {
                NN_CHECK (FALSE, "m %u n %u k %u alpha %g beta %g trans %d %d: the rows "
                                 "after C changed",
                          m, n, k, alpha, beta, ta, tb);
                return;
              }
            for (guint i = 0; i < m; i++)
              for (guint j = 0; j < n; j++)
                {
                  double sum = 0, want;

                  for (guint p = 0; p < k; p++)
                    sum += (double) (ta ? NN_MATRIX_AT (a, p, i) : NN_MATRIX_AT (a, i, p)) *
                           (tb ? NN_MATRIX_AT (b, j, p) : NN_MATRIX_AT (b, p, j));
                  want = alpha * sum + (beta == 0 ? 0 : beta * NN_MATRIX_AT (c0, i, j));
                  if (!nn_test_close (NN_MATRIX_AT (c, i, j), want, GEMM_TOL, GEMM_TOL))
                    {
                      nn_test_assert_close_at (NN_MATRIX_AT (c, i, j), want, GEMM_TOL,
                                               GEMM_TOL, "C", (gsize) i * n + j, __LINE__);
                      g_printerr ("m %u n %u k %u alpha %g beta %g trans %d %d\n",
                                  m, n, k, alpha, beta, ta, tb);
                      return;
                    }
                }
          }
}

/* Whether @got, element @index of @what in a layer of that shape, is @want
 * within GEMM_TOL; the failure reported where not. */
static gboolean
layer_value_ok (double      got,
                double      want,
                const char *what,
                gsize       index,
                guint       rows,
                guint       inputs,
                guint       units,
                int         line)
{
  if (nn_test_close (got, want, GEMM_TOL, GEMM_TOL))
    return TRUE;
  nn_test_assert_close_at (got, want, GEMM_TOL, GEMM_TOL, what, index, line);
  g_printerr ("batch %u inputs %u units %u\n", rows, inputs, units);
  return FALSE;
}

/* A linear layer's forward step is Z = X Wᵀ + b, whether the product goes
 * to the BLAS or to the narrow kernel, which adds the bias as it stores
 * each row: units and inputs around its limits, rows around its blocks of
 * four. */
static void
test_layer_forward_is_the_affine_map (void)
{
  static const guint shapes[][3] = {
    /* batch, inputs, units */
    { 1, 1, 1 },
    { 5, 4, 3 },
    { 150, 4, 16 },
    { 150, 16, 3 },
    { 7, 32, 8 },
    { 6, 33, 5 },
    { 9, 3, 17 },
    { 130, 16, 16 },
    { 3, 5, 40 },
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (21);

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      guint rows = shapes[s][0], inputs = shapes[s][1], units = shapes[s][2];
      g_autoptr(NnLayer) layer = nn_test_make_layer (inputs, units, "linear");
      g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, rows, inputs, -1, 1);
      g_autoptr(NnMatrix) w = nn_test_random_matrix (rand, units, inputs, -1, 1);
      g_autoptr(NnMatrix) b = nn_test_random_matrix (rand, 1, units, -1, 1);
      g_autoptr(GError) error = NULL;
      const NnMatrix *z;

      CU_ASSERT_TRUE (nn_layer_set_parameters (layer, w, b, &error));
      NN_ASSERT_NO_ERROR (error);
      nn_layer_forward (layer, x);
      z = nn_layer_get_z (layer);
      CU_ASSERT_TRUE (z->rows == rows && z->cols == units);
      for (guint i = 0; i < rows; i++)
        for (guint j = 0; j < units; j++)
          {
            double want = NN_MATRIX_AT (b, 0, j);

            for (guint p = 0; p < inputs; p++)
              want += (double) NN_MATRIX_AT (x, i, p) * NN_MATRIX_AT (w, j, p);
            if (!layer_value_ok (NN_MATRIX_AT (z, i, j), want, "Z", (gsize) i * units + j,
                                 rows, inputs, units, __LINE__))
              return;
          }
    }
}

/* A layer's parameter gradients from dL/dZ are dW = dZᵀ X, and db the
 * column sums of dZ exactly as nn_matrix_sum_rows() gives them, whether
 * the product goes to the BLAS or to the long-sum kernel, which adds db up
 * from the rows it reads: units and inputs around its limits. */
static void
test_layer_gradients_are_the_products (void)
{
  static const guint shapes[][3] = {
    /* batch, inputs, units */
    { 1, 1, 1 },
    { 150, 16, 3 },
    { 150, 4, 16 },
    { 151, 16, 4 },
    { 7, 5, 2 },
    { 33, 17, 4 },
    { 40, 4, 17 },
    { 300, 16, 16 },
    { 2, 3, 1 },
    { 681, 3, 16 },
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (22);

  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      guint rows = shapes[s][0], inputs = shapes[s][1], units = shapes[s][2];
      g_autoptr(NnLayer) layer = nn_test_make_layer (inputs, units, "linear");
      g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, rows, inputs, -1, 1);
      g_autoptr(NnMatrix) grad_z = nn_test_random_matrix (rand, rows, units, -1, 1);
      g_autoptr(NnMatrix) sums = nn_matrix_new (1, units);
      const NnMatrix *dw, *db;

      nn_layer_forward (layer, x);
      nn_layer_backward_from_z (layer, x, grad_z, FALSE);
      dw = nn_layer_get_weight_gradient (layer);
      db = nn_layer_get_bias_gradient (layer);
      nn_matrix_sum_rows (grad_z, sums);
      NN_CHECK (memcmp (db->data, sums->data, units * sizeof (nn_real)) == 0,
                "batch %u inputs %u units %u: the bias gradient is not the column sums",
                rows, inputs, units);
      for (guint j = 0; j < units; j++)
        for (guint p = 0; p < inputs; p++)
          {
            double want = 0;

            for (guint i = 0; i < rows; i++)
              want += (double) NN_MATRIX_AT (grad_z, i, j) * NN_MATRIX_AT (x, i, p);
            if (!layer_value_ok (NN_MATRIX_AT (dw, j, p), want, "dW", (gsize) j * inputs + p,
                                 rows, inputs, units, __LINE__))
              return;
          }
    }
}

static void
test_gather_and_view_rows (void)
{
  nn_real data[] = { 0, 1, 10, 11, 20, 21, 30, 31 };
  g_autoptr(NnMatrix) m = nn_matrix_new_from_data (4, 2, data);
  g_autoptr(NnMatrix) out = nn_matrix_new (3, 2);
  guint    idx[] = { 3, 0, 2 };
  NnMatrix v = nn_matrix_view_rows (m, 1, 2);

  nn_matrix_gather_rows (m, idx, 3, out);
  CU_ASSERT_EQUAL (NN_MATRIX_AT (out, 0, 1), 31);
  CU_ASSERT_EQUAL (NN_MATRIX_AT (out, 1, 0), 0);
  CU_ASSERT_EQUAL (NN_MATRIX_AT (out, 2, 1), 21);
  CU_ASSERT_EQUAL (v.rows, 2);
  CU_ASSERT_EQUAL (NN_MATRIX_AT (&v, 0, 0), 10);
  CU_ASSERT_EQUAL (NN_MATRIX_AT (&v, 1, 1), 21);
}

/* ---- gradients ----------------------------------------------------------- */

/* The training loss: the loss, or with @w the weighted loss Σ wᵢ lᵢ / Σ wᵢ
 * from the losses of the rows, plus the layers' regularization. */
static double
model_loss (NnModel        *model,
            const NnMatrix *x,
            const NnMatrix *y,
            const double   *w)
{
  const NnMatrix    *pred = nn_model_forward (model, x);
  NnLoss            *loss = nn_model_get_loss (model);
  g_autofree double *rows = NULL;
  double             sum = 0, wsum = 0;

  if (w == NULL)
    return nn_loss_compute (loss, pred, y) + nn_model_get_regularization_loss (model);
  rows = g_new (double, pred->rows);
  nn_loss_compute_rows (loss, pred, y, rows);
  for (guint r = 0; r < pred->rows; r++)
    {
      sum += w[r] * rows[r];
      wsum += w[r];
    }
  return sum / wsum + nn_model_get_regularization_loss (model);
}

/* Every parameter gradient of a whole model against central differences of
 * the training loss: the loss, weighted by @w if not NULL, and the layers'
 * regularization. */
static void
check_model_gradients (NnModel        *model,
                       const NnMatrix *x,
                       const NnMatrix *y,
                       const double   *w)
{
  double worst = 0;

  nn_model_forward (model, x);
  nn_model_backward_weighted (model, x, y, w);
  nn_model_add_regularization_gradients (model);

  for (guint p = 0; p < nn_model_get_n_parameters (model); p++)
    {
      NnMatrix *param = nn_model_get_parameter (model, p);
      g_autoptr(NnMatrix) analytic = nn_matrix_copy (nn_model_get_gradient (model, p));

      for (gsize i = 0; i < nn_matrix_size (param); i++)
        {
          nn_real saved = param->data[i];
          double  plus, minus, numeric;

          param->data[i] = saved + NN_TEST_FD_STEP;
          plus = model_loss (model, x, y, w);
          param->data[i] = saved - NN_TEST_FD_STEP;
          minus = model_loss (model, x, y, w);
          param->data[i] = saved;
          numeric = (plus - minus) / (2 * NN_TEST_FD_STEP);

          NN_ASSERT_CMPFLOAT (analytic->data[i], numeric, NN_TEST_FD_RTOL, NN_TEST_FD_ATOL);
          worst = MAX (worst, fabs (analytic->data[i] - numeric) /
                                MAX (fabs (numeric), NN_TEST_FD_ATOL / NN_TEST_FD_RTOL));
        }
    }
  g_print ("max relative gradient error %.3g ", worst);
}

static void
test_three_layer_softmax_gradients (void)
{
  const guint        widths[] = { 4, 5, 4, 3 };
  const char * const acts[] = { "tanh", "sigmoid", "softmax" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(NnModel) model = make_model (widths, acts, 3, "categorical_crossentropy", 0.1, 3);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 6, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 6, 3);

  check_model_gradients (model, x, y, NULL);
}

static void
test_three_layer_regression_gradients (void)
{
  const guint        widths[] = { 3, 6, 5, 2 };
  const char * const acts[] = { "gelu", "silu", "linear" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (8);
  g_autoptr(NnModel) model = make_model (widths, acts, 3, "mean_squared_error", 0.1, 4);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 5, 3, -2, 2);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 5, 2, -1, 1);

  check_model_gradients (model, x, y, NULL);
}

static void
test_three_layer_binary_gradients (void)
{
  const guint        widths[] = { 4, 3, 3, 1 };
  const char * const acts[] = { "elu", "softplus", "sigmoid" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (9);
  g_autoptr(NnModel) model = make_model (widths, acts, 3, "binary_crossentropy", 0.1, 5);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 7, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_matrix_new (7, 1);

  for (guint r = 0; r < 7; r++)
    y->data[r] = r % 2;
  check_model_gradients (model, x, y, NULL);
}

/* Weights of 0 to 3 (one of 0) for the rows of a batch. */
static const double row_weights[] = { 2.0, 0.5, 0.0, 3.0, 1.0, 0.25, 1.5 };

static void
test_weighted_softmax_gradients (void)
{
  const guint        widths[] = { 4, 5, 4, 3 };
  const char * const acts[] = { "tanh", "sigmoid", "softmax" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(NnModel) model = make_model (widths, acts, 3, "categorical_crossentropy", 0.1, 3);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 6, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 6, 3);

  check_model_gradients (model, x, y, row_weights);
}

static void
test_weighted_regression_gradients (void)
{
  const guint        widths[] = { 3, 6, 5, 2 };
  const char * const acts[] = { "gelu", "silu", "linear" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (8);
  g_autoptr(NnModel) model = make_model (widths, acts, 3, "mean_squared_error", 0.1, 4);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 5, 3, -2, 2);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 5, 2, -1, 1);

  check_model_gradients (model, x, y, row_weights);
}

static void
test_weighted_binary_gradients (void)
{
  const guint        widths[] = { 4, 3, 3, 1 };
  const char * const acts[] = { "elu", "softplus", "sigmoid" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (9);
  g_autoptr(NnModel) model = make_model (widths, acts, 3, "binary_crossentropy", 0.1, 5);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 7, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_matrix_new (7, 1);

  for (guint r = 0; r < 7; r++)
    y->data[r] = r % 2;
  check_model_gradients (model, x, y, row_weights);
}

/* Without the joint form: BCE after a tanh scaled into (0, 1) is not
 * possible, so a sigmoid output with the Huber loss. */
static void
test_weighted_huber_gradients (void)
{
  const guint        widths[] = { 3, 4, 2 };
  const char * const acts[] = { "tanh", "sigmoid" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (10);
  g_autoptr(NnModel) model = make_model (widths, acts, 2, "huber", 0.1, 6);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 6, 3, -2, 2);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 6, 2, -1, 2);

  check_model_gradients (model, x, y, row_weights);
}

/* L1 on the first layer, both on the second, L2 on the third. The
 * weights keep clear of L1's kink at 0 by more than the step, but for one
 * that is exactly 0, where sign(0) = 0 is what the symmetric difference
 * sees. */
static void
test_regularized_gradients (void)
{
  const guint        widths[] = { 4, 5, 4, 3 };
  const char * const acts[] = { "tanh", "relu", "softmax" };
  const double       l1[] = { 0.05, 0.02, 0.0 };
  const double       l2[] = { 0.0, 0.03, 0.1 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (10);
  g_autoptr(NnModel) model = make_model (widths, acts, 3, "categorical_crossentropy", 0.1, 6);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 6, 4, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 6, 3);
  double penalty = 0.0;

  for (guint l = 0; l < 3; l++)
    {
      NnLayer  *layer = nn_model_get_layer (model, l);
      NnMatrix *w = nn_layer_get_weights (layer);

      g_object_set (layer, "l1", l1[l], "l2", l2[l], NULL);
      for (gsize i = 0; i < nn_matrix_size (w); i++)
        {
          if (fabs (w->data[i]) < 0.05)
            w->data[i] = w->data[i] < 0 ? -0.05 : 0.05;
          penalty += l1[l] * fabs (w->data[i]) + l2[l] * w->data[i] * w->data[i];
        }
    }
  NN_ASSERT_CMPFLOAT (nn_model_get_regularization_loss (model), penalty, 1e-6, 0);
  nn_layer_get_weights (nn_model_get_layer (model, 0))->data[3] = 0;
  check_model_gradients (model, x, y, NULL);
}

/* ---- the lesson's defects ------------------------------------------------ */

static nn_real lesson_hidden[] = { 0.49671415, -0.1382643, 0.64768854, 1.52302986,
                                   -0.23415337, -0.23413696, 1.57921282, 0.76743473 };
static nn_real lesson_output[] = { -0.46947439, 0.54256004 };

static NnModel *
make_lesson_model (void)
{
  const guint        widths[] = { 4, 2, 1 };
  const char * const acts[] = { "sigmoid", "sigmoid" };
  NnModel           *model = make_model (widths, acts, 2, "binary_crossentropy", 0.1, 42);
  g_autoptr(NnMatrix) w1 = nn_matrix_new_from_data (2, 4, lesson_hidden);
  g_autoptr(NnMatrix) w2 = nn_matrix_new_from_data (1, 2, lesson_output);
  g_autoptr(NnMatrix) b1 = nn_matrix_new (1, 2);
  g_autoptr(NnMatrix) b2 = nn_matrix_new (1, 1);

  g_assert_true (nn_layer_set_parameters (nn_model_get_layer (model, 0), w1, b1, NULL));
  g_assert_true (nn_layer_set_parameters (nn_model_get_layer (model, 1), w2, b2, NULL));
  return model;
}

static double
sigmoid (double z)
{
  return 1.0 / (1.0 + exp (-z));
}

/* The lesson fed Z, not A, to the next layer. */
static void
test_next_layer_consumes_activations (void)
{
  g_autoptr(NnModel) model = make_lesson_model ();
  nn_real xv[] = { 0.2, 0.4, 0.6, 0.8 };
  g_autoptr(NnMatrix) x = nn_matrix_new_from_data (1, 4, xv);
  const NnMatrix *out = nn_model_forward (model, x);
  double          z[2], a[2], with_a = 0, with_z = 0;

  for (int j = 0; j < 2; j++)
    {
      z[j] = 0;
      for (int i = 0; i < 4; i++)
        z[j] += lesson_hidden[j * 4 + i] * xv[i];
      a[j] = sigmoid (z[j]);
      with_a += lesson_output[j] * a[j];
      with_z += lesson_output[j] * z[j];
    }
  /* The layers kept their Z and A for the backward step. */
  NN_ASSERT_CMPFLOAT (nn_layer_get_z (nn_model_get_layer (model, 0))->data[0], z[0], 1e-6, 1e-7);
  NN_ASSERT_CMPFLOAT (nn_layer_get_a (nn_model_get_layer (model, 0))->data[1], a[1], 1e-6, 1e-7);
  NN_ASSERT_CMPFLOAT (out->data[0], sigmoid (with_a), 1e-6, 1e-7);
  CU_ASSERT (fabs (out->data[0] - sigmoid (with_z)) > 1e-3);
}

/* The lesson applied the activation derivative to the back-propagated
 * gradient instead of to Z. */
static void
test_activation_derivative_taken_at_z (void)
{
  g_autoptr(NnModel) model = make_lesson_model ();
  nn_real xv[] = { 0.2, 0.4, 0.6, 0.8 };
  nn_real yv[] = { 1 };
  g_autoptr(NnMatrix) x = nn_matrix_new_from_data (1, 4, xv);
  g_autoptr(NnMatrix) y = nn_matrix_new_from_data (1, 1, yv);
  const NnMatrix *out, *gw1;
  double          z[2], a[2], g_out, right, wrong;

  out = nn_model_forward (model, x);
  nn_model_backward (model, x, y);
  gw1 = nn_layer_get_weight_gradient (nn_model_get_layer (model, 0));
  for (int j = 0; j < 2; j++)
    {
      z[j] = 0;
      for (int i = 0; i < 4; i++)
        z[j] += lesson_hidden[j * 4 + i] * xv[i];
      a[j] = sigmoid (z[j]);
    }
  /* dL/dz of the output under BCE + sigmoid is p - y. */
  g_out = out->data[0] - yv[0];
  /* Hidden neuron 0, input 0: dL/dW = (w_out · g) σ'(z) x. */
  right = lesson_output[0] * g_out * a[0] * (1 - a[0]) * xv[0];
  {
    double back = lesson_output[0] * g_out;
    wrong = sigmoid (back) * (1 - sigmoid (back)) * xv[0];
  }
  NN_ASSERT_CMPFLOAT (gw1->data[0], right, 1e-5, 1e-7);
  CU_ASSERT (fabs (gw1->data[0] - wrong) > 1e-3);
}

/* The lesson scaled by the global minimum and divided by the maximum. */
static void
test_minmax_scales_each_feature_by_its_range (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) iris = nn_dataset_new_iris (&error);
  g_autoptr(NnDataset) copy = NULL;
  const NnMatrix *raw, *scaled;
  guint           all[150];

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL_FATAL (nn_dataset_get_n_samples (iris), 150);
  for (guint i = 0; i < 150; i++)
    all[i] = i;
  copy = nn_dataset_subset (iris, all, 150);
  nn_dataset_scale (copy, NN_SCALE_MINMAX, NULL, 0);
  raw = nn_dataset_get_features (iris);
  scaled = nn_dataset_get_features (copy);

  for (guint c = 0; c < 4; c++)
    {
      double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE, slo = G_MAXDOUBLE, shi = -G_MAXDOUBLE;
      for (guint r = 0; r < 150; r++)
        {
          lo = MIN (lo, NN_MATRIX_AT (raw, r, c));
          hi = MAX (hi, NN_MATRIX_AT (raw, r, c));
          slo = MIN (slo, NN_MATRIX_AT (scaled, r, c));
          shi = MAX (shi, NN_MATRIX_AT (scaled, r, c));
        }
      NN_ASSERT_CMPFLOAT (slo, 0.0, 0, 1e-6);
      NN_ASSERT_CMPFLOAT (shi, 1.0, 0, 1e-6);
      NN_ASSERT_CMPFLOAT (NN_MATRIX_AT (scaled, 0, c),
                          (NN_MATRIX_AT (raw, 0, c) - lo) / (hi - lo), 1e-6, 1e-6);
    }
  /* The lesson's first row was [0.6329, 0.4304, 0.1646, 0.0127]. */
  NN_ASSERT_CMPFLOAT (NN_MATRIX_AT (scaled, 0, 0), 0.22222222, 1e-5, 0);
  CU_ASSERT (fabs (NN_MATRIX_AT (scaled, 0, 0) - 0.63291139) > 0.1);
}

/* The lesson trained a binary loss on the three-class labels 0, 1, 2. */
static void
test_binary_targets_are_zero_or_one (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) iris = nn_dataset_new_iris (&error);
  g_autoptr(NnDataset) binary = NULL;
  g_autoptr(NnDataset) refused = NULL;
  const NnMatrix *t;
  guint           ones = 0;

  NN_ASSERT_NO_ERROR (error);
  binary = nn_dataset_encode (iris, NN_TASK_BINARY, 0 /* setosa */, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (binary);
  t = nn_dataset_get_targets (binary);
  CU_ASSERT_EQUAL (t->cols, 1);
  for (guint r = 0; r < t->rows; r++)
    {
      CU_ASSERT (t->data[r] == 0 || t->data[r] == 1);
      ones += t->data[r] == 1;
    }
  CU_ASSERT_EQUAL (ones, 50);

  /* Three classes and no positive one named: no binary task. */
  refused = nn_dataset_encode (iris, NN_TASK_BINARY, -1, &error);
  CU_ASSERT_PTR_NULL (refused);
  NN_ASSERT_ERROR (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID);
}

/* ---- training ------------------------------------------------------------ */

static void
lesson_data (NnMatrix **x,
             NnMatrix **y)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnDataset) iris = nn_dataset_new_iris (&error);
  g_autoptr(NnDataset) binary = nn_dataset_encode (iris, NN_TASK_BINARY, 0, &error);

  g_assert_no_error (error);
  nn_dataset_scale (binary, NN_SCALE_MINMAX, NULL, 0);
  *x = nn_matrix_copy (nn_dataset_get_features (binary));
  *y = nn_matrix_copy (nn_dataset_get_targets (binary));
}

static void
test_training_reduces_lesson_loss (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnModel) model = make_lesson_model ();
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 100, 0, FALSE);
  g_autoptr(NnMatrix) x = NULL;
  g_autoptr(NnMatrix) y = NULL;
  GArray *history;

  lesson_data (&x, &y);
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  history = nn_trainer_get_loss_history (trainer);
  CU_ASSERT_EQUAL_FATAL (history->len, 100);
  /* The lesson's network, fixed, starts at 0.70298013 (PyTorch float64). */
  NN_ASSERT_CMPFLOAT (g_array_index (history, double, 0), 0.7029801347226797, 1e-6, 0);
  for (guint e = 1; e < history->len; e++)
    CU_ASSERT (g_array_index (history, double, e) < g_array_index (history, double, e - 1));
}

static void
test_xor_trains_to_low_loss (void)
{
  const guint        widths[] = { 2, 8, 1 };
  const char * const acts[] = { "tanh", "sigmoid" };
  g_autoptr(GError) error = NULL;
  g_autoptr(NnModel) model = make_model (widths, acts, 2, "binary_crossentropy", 0.5, 1);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 2000, 0, FALSE);
  nn_real xv[] = { 0, 0, 0, 1, 1, 0, 1, 1 };
  nn_real yv[] = { 0, 1, 1, 0 };
  g_autoptr(NnMatrix) x = nn_matrix_new_from_data (4, 2, xv);
  g_autoptr(NnMatrix) y = nn_matrix_new_from_data (4, 1, yv);
  g_autoptr(NnMatrix) pred = NULL;

  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT (nn_model_evaluate (model, x, y, NULL) < 0.05);
  pred = nn_model_predict (model, x);
  for (guint r = 0; r < 4; r++)
    CU_ASSERT ((pred->data[r] >= 0.5) == (yv[r] == 1));
}

/* An epoch of mini-batches is the same as steps over consecutive slices, and
 * its loss is the sample-weighted mean of theirs. */
static void
test_minibatch_epoch_is_sum_of_steps (void)
{
  const guint        widths[] = { 3, 4, 2 };
  const char * const acts[] = { "relu", "softmax" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autoptr(NnModel) a = make_model (widths, acts, 2, "categorical_crossentropy", 0.3, 9);
  g_autoptr(NnModel) b = make_model (widths, acts, 2, "categorical_crossentropy", 0.3, 9);
  g_autoptr(NnTrainer) ta = nn_test_make_trainer (a, 1, 4, FALSE);
  g_autoptr(NnTrainer) tb = nn_trainer_new (b);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 10, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 10, 2);
  double epoch_loss, total = 0;
  guint  starts[] = { 0, 4, 8 }, sizes[] = { 4, 4, 2 };

  epoch_loss = nn_trainer_train_epoch (ta, x, y, NULL);
  for (guint i = 0; i < 3; i++)
    {
      NnMatrix bx = nn_matrix_view_rows (x, starts[i], sizes[i]);
      NnMatrix by = nn_matrix_view_rows (y, starts[i], sizes[i]);
      total += nn_trainer_train_step (tb, &bx, &by, NULL) * sizes[i];
    }
  NN_ASSERT_CMPFLOAT (epoch_loss, total / 10, 1e-12, 0);
  for (guint p = 0; p < nn_model_get_n_parameters (a); p++)
    {
      NnMatrix *pa = nn_model_get_parameter (a, p), *pb = nn_model_get_parameter (b, p);
      CU_ASSERT (memcmp (pa->data, pb->data, nn_matrix_size (pa) * sizeof (nn_real)) == 0);
    }
}

/* Work matrices are allocated for the first batch and reused after. */
static void
test_training_steps_reuse_buffers (void)
{
  const guint        widths[] = { 3, 4, 2 };
  const char * const acts[] = { "relu", "softmax" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (12);
  g_autoptr(NnModel) model = make_model (widths, acts, 2, "categorical_crossentropy", 0.1, 1);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 1, 8, TRUE);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 20, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 20, 2);
  const nn_real *z_data;

  nn_trainer_train_epoch (trainer, x, y, NULL);
  z_data = nn_layer_get_z (nn_model_get_layer (model, 0))->data;
  for (int i = 0; i < 5; i++)
    nn_trainer_train_epoch (trainer, x, y, NULL);
  CU_ASSERT_PTR_EQUAL (nn_layer_get_z (nn_model_get_layer (model, 0))->data, z_data);
}

/* A layer added after training widens the output: the loss gradient's work
 * matrix must follow, or backward writes past it. The grown model's
 * gradients equal those of a model built with the same layers at once. */
static void
test_layer_added_after_training (void)
{
  const guint        widths[] = { 3, 2 };
  const char * const acts[] = { "tanh" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(NnModel) model = make_model (widths, acts, 1, "mean_squared_error", 0.1, 3);
  g_autoptr(NnTrainer) trainer = nn_trainer_new (model);
  g_autoptr(NnModel) fresh = nn_model_new ();
  g_autoptr(NnLoss) loss = nn_loss_new_by_name ("mean_squared_error", &error);
  g_autoptr(NnLayer) wide = nn_test_make_layer (2, 40, "linear");
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 10, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 10, 2, -1, 1);
  g_autoptr(NnMatrix) y_wide = nn_test_random_matrix (rand, 10, 40, -1, 1);
  g_autoptr(NnMatrix) grown_grad = NULL;

  nn_trainer_train_step (trainer, x, y, &error);
  NN_ASSERT_NO_ERROR (error);
  nn_model_add_layer (model, wide);
  nn_model_forward (model, x);
  nn_model_backward (model, x, y_wide);
  grown_grad = nn_matrix_copy (nn_layer_get_weight_gradient (nn_model_get_layer (model, 0)));

  /* The same layer objects, so the same weights. */
  nn_model_add_layer (fresh, nn_model_get_layer (model, 0));
  nn_model_add_layer (fresh, wide);
  nn_model_set_loss (fresh, loss);
  nn_model_forward (fresh, x);
  nn_model_backward (fresh, x, y_wide);
  for (gsize i = 0; i < nn_matrix_size (grown_grad); i++)
    nn_test_assert_close_at (grown_grad->data[i],
                             nn_layer_get_weight_gradient (nn_model_get_layer (fresh, 0))->data[i],
                             1e-6, 1e-7, "weight gradient", i, __LINE__);
}

static void
test_same_seed_same_training (void)
{
  const guint        widths[] = { 3, 5, 2 };
  const char * const acts[] = { "tanh", "softmax" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (13);
  g_autoptr(NnModel) a = make_model (widths, acts, 2, "categorical_crossentropy", 0.2, 77);
  g_autoptr(NnModel) b = make_model (widths, acts, 2, "categorical_crossentropy", 0.2, 77);
  g_autoptr(NnModel) c = make_model (widths, acts, 2, "categorical_crossentropy", 0.2, 78);
  g_autoptr(NnTrainer) ta = nn_test_make_trainer (a, 5, 4, TRUE);
  g_autoptr(NnTrainer) tb = nn_test_make_trainer (b, 5, 4, TRUE);
  g_autoptr(NnTrainer) tc = nn_test_make_trainer (c, 5, 4, TRUE);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 30, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_one_hot (rand, 30, 2);

  nn_trainer_fit (ta, x, y, NULL, NULL, NULL, NULL);
  nn_trainer_fit (tb, x, y, NULL, NULL, NULL, NULL);
  nn_trainer_fit (tc, x, y, NULL, NULL, NULL, NULL);
  for (guint e = 0; e < 5; e++)
    CU_ASSERT_EQUAL (g_array_index (nn_trainer_get_loss_history (ta), double, e),
                     g_array_index (nn_trainer_get_loss_history (tb), double, e));
  CU_ASSERT (g_array_index (nn_trainer_get_loss_history (ta), double, 4) !=
             g_array_index (nn_trainer_get_loss_history (tc), double, 4));
}

static void
test_divergence_stops_with_error (void)
{
  const guint        widths[] = { 1, 4, 1 };
  const char * const acts[] = { "relu", "linear" };
  g_autoptr(GError) error = NULL;
  g_autoptr(NnModel) model = make_model (widths, acts, 2, "mean_squared_error", 1e30, 1);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 50, 0, FALSE);
  nn_real xv[] = { 1, 2, 3, 4 };
  nn_real yv[] = { 1e3, 2e3, 3e3, 4e3 };
  g_autoptr(NnMatrix) x = nn_matrix_new_from_data (4, 1, xv);
  g_autoptr(NnMatrix) y = nn_matrix_new_from_data (4, 1, yv);

  CU_ASSERT_FALSE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE);
  CU_ASSERT (error && strstr (error->message, "epoch") != NULL);
  CU_ASSERT (nn_trainer_get_loss_history (trainer)->len < 50);
}

static void
test_inline_parameters_shape_checked (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnLayer) layer = nn_test_make_layer (4, 2, "sigmoid");
  g_autoptr(NnMatrix) wrong = nn_matrix_new (4, 2);

  CU_ASSERT_FALSE (nn_layer_set_parameters (layer, wrong, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("matrices and layers", nn_test_init_plugins, NULL);
  CU_add_test (s, "gemm with every shape, transpose, alpha and beta matches a naive product", test_gemm_matches_naive_product);
  CU_add_test (s, "rows are gathered and viewed in place", test_gather_and_view_rows);
  CU_add_test (s, "a layer's forward step is X Wᵀ + b for narrow and wide layers",
               test_layer_forward_is_the_affine_map);
  CU_add_test (s, "a layer's gradients are dZᵀ X and the column sums of dZ for narrow and "
                  "wide layers",
               test_layer_gradients_are_the_products);

  s = CU_add_suite ("model gradients", nn_test_init_plugins, NULL);
  CU_add_test (s, "3-layer softmax network gradients match finite differences",
               test_three_layer_softmax_gradients);
  CU_add_test (s, "3-layer regression network gradients match finite differences",
               test_three_layer_regression_gradients);
  CU_add_test (s, "3-layer binary network gradients match finite differences",
               test_three_layer_binary_gradients);
  CU_add_test (s, "gradients of L1 and L2 regularized layers match finite differences",
               test_regularized_gradients);
  CU_add_test (s, "weighted softmax and cross-entropy gradients match finite differences",
               test_weighted_softmax_gradients);
  CU_add_test (s, "weighted mean squared error gradients match finite differences",
               test_weighted_regression_gradients);
  CU_add_test (s, "weighted sigmoid and binary cross-entropy gradients match finite "
                  "differences",
               test_weighted_binary_gradients);
  CU_add_test (s, "weighted Huber loss gradients after a sigmoid match finite differences",
               test_weighted_huber_gradients);

  s = CU_add_suite ("the lesson's defects", nn_test_init_plugins, NULL);
  CU_add_test (s, "the next layer consumes A, not Z", test_next_layer_consumes_activations);
  CU_add_test (s, "the activation derivative is taken at Z", test_activation_derivative_taken_at_z);
  CU_add_test (s, "min-max scales each feature by its own range",
               test_minmax_scales_each_feature_by_its_range);
  CU_add_test (s, "binary targets are 0 or 1, never class indices",
               test_binary_targets_are_zero_or_one);

  s = CU_add_suite ("training", nn_test_init_plugins, NULL);
  CU_add_test (s, "the lesson network's loss falls every epoch", test_training_reduces_lesson_loss);
  CU_add_test (s, "XOR trains to a low loss", test_xor_trains_to_low_loss);
  CU_add_test (s, "a mini-batch epoch equals steps over its slices", test_minibatch_epoch_is_sum_of_steps);
  CU_add_test (s, "training steps reuse their buffers", test_training_steps_reuse_buffers);
  CU_add_test (s, "a layer added after training gets gradients of its width",
               test_layer_added_after_training);
  CU_add_test (s, "the same seed trains the same way", test_same_seed_same_training);
  CU_add_test (s, "divergence stops training with an error", test_divergence_stops_with_error);
  CU_add_test (s, "inline parameters have their shapes checked", test_inline_parameters_shape_checked);

  return nn_test_run ();
}
