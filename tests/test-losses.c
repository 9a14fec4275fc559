/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The built-in loss plugins: values against PyTorch, gradients against
 * central finite differences of compute(), edge cases and properties. */
#include <stdarg.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

/* Loss values against literals from torch (float64). In the float build the
 * inputs themselves are rounded to single precision (0.9 becomes
 * 0.899999976), which moves a loss by about 1e-7 relative. */
#if NN_REAL_IS_DOUBLE
#define VALUE_RTOL 1e-12
#define VALUE_ATOL 1e-15
#else
#define VALUE_RTOL 1e-5
#define VALUE_ATOL 1e-7
#endif

/* No finite-difference step may straddle a kink (mean_absolute_error at
 * d = 0, huber at |d| = delta): such points are drawn again. */
#define KINK_MARGIN (4 * NN_TEST_FD_STEP)

static const char * const builtin_losses[] = {
  "binary_crossentropy", "categorical_crossentropy", "huber", "mean_absolute_error",
  "mean_squared_error"
};

/* Helpers */

/* With first_property NULL, the loss with default properties, made by name;
 * otherwise the type looked up by name and built with properties. */
static NnLoss *
make_loss (const char *name,
           const char *first_property,
           ...)
{
  g_autoptr(GError) error = NULL;
  NnLoss *loss;
  GType   type;
  va_list args;

  if (first_property == NULL)
    {
      loss = nn_loss_new_by_name (name, &error);
      NN_ASSERT_NO_ERROR (error);
      return loss;
    }

  type = nn_plugins_lookup (NN_LOSS_EXTENSION_POINT_NAME, name, &error);
  NN_ASSERT_NO_ERROR (error);
  if (type == G_TYPE_INVALID)
    return NULL;
  va_start (args, first_property);
  loss = NN_LOSS (g_object_new_valist (type, first_property, args));
  va_end (args);
  return loss;
}

static void
check_loss_value (NnLoss       *loss,
                  const char   *what,
                  guint         rows,
                  guint         cols,
                  const double *pred_values,
                  const double *target_values,
                  double        expected,
                  int           line)
{
  g_autoptr(NnMatrix) pred = nn_test_matrix_from_doubles (rows, cols, pred_values);
  g_autoptr(NnMatrix) target = nn_test_matrix_from_doubles (rows, cols, target_values);

  CU_ASSERT_PTR_NOT_NULL_FATAL (loss);
  nn_test_assert_close_at (nn_loss_compute (loss, pred, target), expected, VALUE_RTOL, VALUE_ATOL,
                           what, 0, line);
}

/* How the finite-difference checks draw their data. */
typedef enum {
  DRAW_PROBABILITIES,    /* pred in [0.15, 0.85], target in [0, 1] */
  DRAW_PROBABILITY_ROWS, /* pred in [0.15, 0.85], target rows summing to 1 */
  DRAW_REAL,             /* pred and target in [-scale, scale] */
  DRAW_REAL_AVOID_ZERO,  /* ... and |pred - target| >= KINK_MARGIN */
  DRAW_REAL_AVOID_DELTA, /* ... and ||pred - target| - delta| >= KINK_MARGIN */
} DrawMode;

static void
draw_data (GRand    *rand,
           DrawMode  mode,
           double    scale,
           double    delta,
           NnMatrix *pred,
           NnMatrix *target)
{
  for (gsize i = 0; i < nn_matrix_size (pred); i++)
    {
      switch (mode)
        {
        case DRAW_PROBABILITIES:
          pred->data[i] = (nn_real) g_rand_double_range (rand, 0.15, 0.85);
          target->data[i] = (nn_real) g_rand_double (rand);
          break;
        case DRAW_PROBABILITY_ROWS:
          pred->data[i] = (nn_real) g_rand_double_range (rand, 0.15, 0.85);
          target->data[i] = (nn_real) g_rand_double_range (rand, 0.05, 1.0);
          break;
        case DRAW_REAL:
        case DRAW_REAL_AVOID_ZERO:
        case DRAW_REAL_AVOID_DELTA:
          target->data[i] = (nn_real) g_rand_double_range (rand, -scale, scale);
          for (;;)
            {
              double d;

              pred->data[i] = (nn_real) g_rand_double_range (rand, -scale, scale);
              d = fabs ((double) pred->data[i] - (double) target->data[i]);
              if (mode == DRAW_REAL ||
                  (mode == DRAW_REAL_AVOID_ZERO && d >= KINK_MARGIN) ||
                  (mode == DRAW_REAL_AVOID_DELTA && fabs (d - delta) >= KINK_MARGIN))
                break;
            }
          break;
        }
    }

  if (mode == DRAW_PROBABILITY_ROWS)
    for (guint r = 0; r < target->rows; r++)
      {
        double sum = 0;

        for (guint c = 0; c < target->cols; c++)
          sum += NN_MATRIX_AT (target, r, c);
        for (guint c = 0; c < target->cols; c++)
          NN_MATRIX_AT (target, r, c) = (nn_real) (NN_MATRIX_AT (target, r, c) / sum);
      }
}

/*
 * Checks gradient() against central differences of compute() with respect
 * to each element of pred, divided by the step actually taken after
 * rounding pred ± h to nn_real.
 */
static void
check_loss_fd (NnLoss     *loss,
               const char *label,
               guint       rows,
               guint       cols,
               DrawMode    mode,
               double      scale,
               double      delta,
               guint32     seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(NnMatrix) pred = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) target = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) grad = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) shifted = NULL;
  g_autofree char *msg = NULL;
  double           worst_ratio = -1, worst_analytic = 0, worst_numeric = 0, max_rel = 0;
  gsize            worst = 0;
  const double     h = NN_TEST_FD_STEP;

  CU_ASSERT_PTR_NOT_NULL_FATAL (loss);
  draw_data (rand, mode, scale, delta, pred, target);
  nn_loss_gradient (loss, pred, target, grad);

  shifted = nn_matrix_copy (pred);
  for (gsize i = 0; i < nn_matrix_size (pred); i++)
    {
      nn_real pi = pred->data[i];
      nn_real p_plus = (nn_real) (pi + h);
      nn_real p_minus = (nn_real) (pi - h);
      double  l_plus, l_minus, numeric, analytic, ratio;

      shifted->data[i] = p_plus;
      l_plus = nn_loss_compute (loss, shifted, target);
      shifted->data[i] = p_minus;
      l_minus = nn_loss_compute (loss, shifted, target);
      shifted->data[i] = pi;

      numeric = (l_plus - l_minus) / ((double) p_plus - (double) p_minus);
      analytic = grad->data[i];
      ratio = fabs (analytic - numeric) /
              (NN_TEST_FD_ATOL + NN_TEST_FD_RTOL * MAX (fabs (analytic), fabs (numeric)));
      if (ratio > worst_ratio)
        {
          worst_ratio = ratio;
          worst = i;
          worst_analytic = analytic;
          worst_numeric = numeric;
        }
      if (MAX (fabs (analytic), fabs (numeric)) > NN_TEST_FD_ATOL)
        max_rel = MAX (max_rel, fabs (analytic - numeric) / MAX (fabs (analytic), fabs (numeric)));
    }

  msg = g_strdup_printf ("%s, %u x %u: dL/dpred[%" G_GSIZE_FORMAT "] at pred = %.9g, "
                         "target = %.9g: gradient %.12g, finite difference %.12g; "
                         "max relative error %.3g (rtol %g, atol %g)",
                         label, rows, cols, worst, (double) pred->data[worst],
                         (double) target->data[worst], worst_analytic, worst_numeric,
                         max_rel, NN_TEST_FD_RTOL, NN_TEST_FD_ATOL);
  CU_assertImplementation (nn_test_close (worst_analytic, worst_numeric,
                                          NN_TEST_FD_RTOL, NN_TEST_FD_ATOL),
                           __LINE__, msg, __FILE__, "", CU_FALSE);
}

/* A single sample and a batch of 5, 3 outputs wide, at two scales. */
static void
check_loss_fd_all (NnLoss     *loss,
                   const char *label,
                   DrawMode    mode,
                   double      delta)
{
  static const double scales[] = { 0.5, 3.0 };
  static const guint  batches[] = { 1, 5 };
  guint32             seed = 11;

  CU_ASSERT_PTR_NOT_NULL_FATAL (loss);
  for (gsize s = 0; s < G_N_ELEMENTS (scales); s++)
    for (gsize b = 0; b < G_N_ELEMENTS (batches); b++)
      check_loss_fd (loss, label, batches[b], 3, mode, scales[s], delta, seed++);
}

/* Values */

/* A batch of 2 samples × 3 outputs shared by the regression losses. */
static const double reg_pred[6] = { 0.5, 2.0, -1.0, 3.0, 0.25, -0.75 };
static const double reg_target[6] = { 0.0, 0.0, 0.0, 1.5, 0.5, 0.5 };

static void
test_binary_crossentropy_value (void)
{
  static const double pred[6] = { 0.9, 0.2, 0.6, 0.3, 0.75, 0.5 };
  static const double hard[6] = { 1, 0, 1, 0, 1, 1 };
  static const double soft[6] = { 0.8, 0.1, 0.7, 0.2, 0.9, 0.4 };
  g_autoptr(NnLoss) loss = make_loss ("binary_crossentropy", NULL);

  check_loss_value (loss, "bce, hard labels", 2, 3, pred, hard, 0.36280564794808096, __LINE__);
  check_loss_value (loss, "bce, soft labels", 2, 3, pred, soft, 0.5259780954407366, __LINE__);
}

static void
test_categorical_crossentropy_value (void)
{
  static const double pred[6] = { 0.7, 0.2, 0.1, 0.1, 0.3, 0.6 };
  static const double onehot[6] = { 1, 0, 0, 0, 0, 1 };
  g_autoptr(NnLoss) loss = make_loss ("categorical_crossentropy", NULL);

  /* torch.nn.functional.nll_loss (log (pred), [0, 2]) */
  check_loss_value (loss, "cce", 2, 3, pred, onehot, 0.4337502838523616, __LINE__);
}

/* softmax followed by categorical_crossentropy is PyTorch's CrossEntropyLoss
 * of the logits. */
static void
test_softmax_then_categorical_crossentropy (void)
{
  static const double logits[6] = { 2.0, 1.0, 0.1, 0.5, -1.0, 3.0 };
  static const double onehot[6] = { 1, 0, 0, 0, 0, 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(NnActivation) softmax = nn_activation_new_by_name ("softmax", &error);
  g_autoptr(NnLoss) loss = make_loss ("categorical_crossentropy", NULL);
  g_autoptr(NnMatrix) z = nn_test_matrix_from_doubles (2, 3, logits);
  g_autoptr(NnMatrix) a = nn_matrix_new (2, 3);
  g_autoptr(NnMatrix) target = nn_test_matrix_from_doubles (2, 3, onehot);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (softmax);
  CU_ASSERT_PTR_NOT_NULL_FATAL (loss);
  nn_activation_forward (softmax, z, a);
  nn_test_assert_close_at (nn_loss_compute (loss, a, target), 0.2563521728461079,
                           VALUE_RTOL, VALUE_ATOL, "cross_entropy (logits)", 0, __LINE__);
}

static void
test_mean_squared_error_value (void)
{
  g_autoptr(NnLoss) loss = make_loss ("mean_squared_error", NULL);
  g_autoptr(NnMatrix) pred = nn_test_matrix_from_doubles (2, 3, reg_pred);
  g_autoptr(NnMatrix) target = nn_test_matrix_from_doubles (2, 3, reg_target);
  g_autoptr(NnMatrix) grad = nn_matrix_new (2, 3);

  check_loss_value (loss, "mse", 2, 3, reg_pred, reg_target, 1.5208333333333333, __LINE__);
  /* The mean over all 6 elements, not over the 2 samples: 2 (p - y) / 6. */
  nn_loss_gradient (loss, pred, target, grad);
  for (gsize i = 0; i < 6; i++)
    nn_test_assert_close_at (grad->data[i], (reg_pred[i] - reg_target[i]) / 3, VALUE_RTOL, VALUE_ATOL,
                             "mse gradient", i, __LINE__);
}

static void
test_mean_absolute_error_value (void)
{
  /* sign(0) = 0, as in PyTorch */
  static const double pred[4] = { 1.0, -2.0, 0.5, 0.25 };
  static const double target[4] = { 0.0, 0.0, 0.5, 1.0 };
  static const double expected_grad[4] = { 0.25, -0.25, 0.0, -0.25 };
  g_autoptr(NnLoss) loss = make_loss ("mean_absolute_error", NULL);
  g_autoptr(NnMatrix) p = nn_test_matrix_from_doubles (2, 2, pred);
  g_autoptr(NnMatrix) t = nn_test_matrix_from_doubles (2, 2, target);
  g_autoptr(NnMatrix) grad = nn_matrix_new (2, 2);

  check_loss_value (loss, "mae", 2, 3, reg_pred, reg_target, 1.0833333333333333, __LINE__);
  nn_loss_gradient (loss, p, t, grad);
  for (gsize i = 0; i < 4; i++)
    nn_test_assert_close_at (grad->data[i], expected_grad[i], 0, 0, "mae gradient", i, __LINE__);
}

static void
test_huber_value (void)
{
  /* d = 1 is on the boundary for delta 1 (PyTorch takes the linear branch;
   * value and gradient are continuous there), d = -0.5 inside it; for
   * delta 0.5, d = 1 is on the linear part and d = -0.5 on the boundary. */
  static const double pred[2] = { 1.0, -0.5 };
  static const double target[2] = { 0.0, 0.0 };
  g_autoptr(NnLoss) loss = make_loss ("huber", NULL);
  g_autoptr(NnLoss) loss_05 = make_loss ("huber", "delta", 0.5, NULL);
  g_autoptr(NnMatrix) p = nn_test_matrix_from_doubles (1, 2, pred);
  g_autoptr(NnMatrix) t = nn_test_matrix_from_doubles (1, 2, target);
  g_autoptr(NnMatrix) grad = nn_matrix_new (1, 2);

  check_loss_value (loss, "huber", 2, 3, reg_pred, reg_target, 0.6510416666666666, __LINE__);
  check_loss_value (loss_05, "huber (delta 0.5)", 2, 3, reg_pred, reg_target, 0.421875,
                    __LINE__);
  nn_loss_gradient (loss, p, t, grad);
  nn_test_assert_close_at (grad->data[0], 0.5, 0, 0, "huber gradient at |d| = delta", 0, __LINE__);
  nn_test_assert_close_at (grad->data[1], -0.25, 0, 0, "huber gradient at |d| < delta", 1, __LINE__);
  check_loss_value (loss, "huber at the boundary", 1, 2, pred, target, 0.3125, __LINE__);
  nn_loss_gradient (loss_05, p, t, grad);
  nn_test_assert_close_at (grad->data[0], 0.25, 0, 0, "huber (delta 0.5) gradient for |d| > delta",
                           0, __LINE__);
  nn_test_assert_close_at (grad->data[1], -0.25, 0, 0, "huber (delta 0.5) gradient at |d| = delta",
                           1, __LINE__);
  check_loss_value (loss_05, "huber (delta 0.5) at the boundary", 1, 2, pred, target,
                    0.25, __LINE__);
}

/* Gradients against finite differences */

static void
test_binary_crossentropy_fd (void)
{
  g_autoptr(NnLoss) loss = make_loss ("binary_crossentropy", NULL);

  check_loss_fd_all (loss, "binary_crossentropy", DRAW_PROBABILITIES, 0);
}

static void
test_categorical_crossentropy_fd (void)
{
  g_autoptr(NnLoss) loss = make_loss ("categorical_crossentropy", NULL);

  check_loss_fd_all (loss, "categorical_crossentropy", DRAW_PROBABILITY_ROWS, 0);
}

static void
test_mean_squared_error_fd (void)
{
  g_autoptr(NnLoss) loss = make_loss ("mean_squared_error", NULL);

  check_loss_fd_all (loss, "mean_squared_error", DRAW_REAL, 0);
}

static void
test_mean_absolute_error_fd (void)
{
  g_autoptr(NnLoss) loss = make_loss ("mean_absolute_error", NULL);

  check_loss_fd_all (loss, "mean_absolute_error", DRAW_REAL_AVOID_ZERO, 0);
}

static void
test_huber_fd (void)
{
  g_autoptr(NnLoss) loss = make_loss ("huber", NULL);

  check_loss_fd_all (loss, "huber", DRAW_REAL_AVOID_DELTA, 1.0);
}

static void
test_huber_delta_fd (void)
{
  g_autoptr(NnLoss) loss = make_loss ("huber", "delta", 0.5, NULL);

  check_loss_fd_all (loss, "huber (delta 0.5)", DRAW_REAL_AVOID_DELTA, 0.5);
}

/* Edge cases */

/* ---- the output layer's gradient in one step ----------------------------- */

#if NN_REAL_IS_DOUBLE
#define JOINT_RTOL 1e-12
#define JOINT_ATOL 1e-15
#else
#define JOINT_RTOL 1e-4
#define JOINT_ATOL 1e-7
#endif

/* nn_loss_output_gradient() of @loss_name after @activation_name equals the
 * loss's gradient taken back through the activation, at random logits and
 * at targets that are one-hot (or 0/1) and, with @soft, probabilities
 * that need not sum to 1. */
static void
check_output_gradient (const char *loss_name,
                       const char *activation_name,
                       gboolean    soft)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (21);
  g_autoptr(NnActivation) activation = nn_activation_new_by_name (activation_name, &error);
  g_autoptr(NnLoss) loss = make_loss (loss_name, NULL);
  g_autoptr(NnMatrix) z = nn_test_random_matrix (rand, 7, 4, -4, 4);
  g_autoptr(NnMatrix) a = nn_matrix_new (7, 4);
  g_autoptr(NnMatrix) target = soft ? nn_test_random_matrix (rand, 7, 4, 0, 0.5)
                                     : nn_test_one_hot (rand, 7, 4);
  g_autoptr(NnMatrix) grad_a = nn_matrix_new (7, 4);
  g_autoptr(NnMatrix) chained = nn_matrix_new (7, 4);
  g_autoptr(NnMatrix) joint = nn_matrix_new (7, 4);

  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (activation);
  nn_activation_forward (activation, z, a);
  nn_loss_gradient (loss, a, target, grad_a);
  nn_activation_backward (activation, z, a, grad_a, chained);
  CU_ASSERT_TRUE_FATAL (nn_loss_output_gradient (loss, activation, a, target, joint));
  for (gsize i = 0; i < nn_matrix_size (joint); i++)
    nn_test_assert_close_at (joint->data[i], chained->data[i], JOINT_RTOL, JOINT_ATOL,
                             "dL/dZ", i, __LINE__);
}

static void
test_softmax_categorical_crossentropy_joint (void)
{
  check_output_gradient ("categorical_crossentropy", "softmax", FALSE);
  check_output_gradient ("categorical_crossentropy", "softmax", TRUE);
}

static void
test_sigmoid_binary_crossentropy_joint (void)
{
  check_output_gradient ("binary_crossentropy", "sigmoid", FALSE);
  check_output_gradient ("binary_crossentropy", "sigmoid", TRUE);
}

/* Other pairs have no joint form: FALSE, and the matrix is not touched. */
static void
test_no_joint_gradient_for_other_pairs (void)
{
  static const char * const pairs[][2] = {
    { "categorical_crossentropy", "sigmoid" },
    { "binary_crossentropy", "softmax" },
    { "mean_squared_error", "linear" },
    { "huber", "tanh" },
  };

  for (gsize k = 0; k < G_N_ELEMENTS (pairs); k++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NnActivation) activation = nn_activation_new_by_name (pairs[k][1], &error);
      g_autoptr(NnLoss) loss = make_loss (pairs[k][0], NULL);
      g_autoptr(NnMatrix) a = nn_matrix_new (2, 3);
      g_autoptr(NnMatrix) target = nn_matrix_new (2, 3);
      g_autoptr(NnMatrix) grad = nn_matrix_new (2, 3);

      NN_ASSERT_NO_ERROR (error);
      nn_matrix_fill (a, 0.25);
      nn_matrix_fill (grad, 7);
      NN_CHECK (!nn_loss_output_gradient (loss, activation, a, target, grad),
                "%s after %s claims a joint form", pairs[k][0], pairs[k][1]);
      NN_CHECK (grad->data[0] == 7 && grad->data[5] == 7, "%s after %s wrote the gradient",
                pairs[k][0], pairs[k][1]);
    }
}

/* A softmax sure of the wrong class: the true class's probability is 0 in
 * float and about e^-200 in double. Taken in two steps, its gradient would
 * pass through the clamped 1 / p and vanish; in one step it is (p - 1) / n,
 * which keeps training going. */
static void
test_joint_gradient_when_saturated (void)
{
  static const double logits[3] = { 100, -100, 0 };
  static const double onehot[3] = { 0, 1, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(NnActivation) softmax = nn_activation_new_by_name ("softmax", &error);
  g_autoptr(NnLoss) loss = make_loss ("categorical_crossentropy", NULL);
  g_autoptr(NnMatrix) z = nn_test_matrix_from_doubles (1, 3, logits);
  g_autoptr(NnMatrix) target = nn_test_matrix_from_doubles (1, 3, onehot);
  g_autoptr(NnMatrix) a = nn_matrix_new (1, 3);
  g_autoptr(NnMatrix) grad = nn_matrix_new (1, 3);

  NN_ASSERT_NO_ERROR (error);
  nn_activation_forward (softmax, z, a);
  CU_ASSERT_TRUE_FATAL (nn_loss_output_gradient (loss, softmax, a, target, grad));
  NN_ASSERT_CMPFLOAT (grad->data[0], 1, 1e-6, 0);
  NN_ASSERT_CMPFLOAT (grad->data[1], -1, 1e-6, 0);
  NN_ASSERT_CMPFLOAT (grad->data[2], 0, 0, 1e-30);
}

static void
test_binary_crossentropy_clamped (void)
{
  /* Both logs clamped at -100: two wrong certain answers cost 100 each. */
  static const double pred[4] = { 0.0, 1.0, 0.0, 1.0 };
  static const double target[4] = { 1.0, 0.0, 0.0, 1.0 };
  g_autoptr(NnLoss) loss = make_loss ("binary_crossentropy", NULL);
  g_autoptr(NnMatrix) p = nn_test_matrix_from_doubles (1, 4, pred);
  g_autoptr(NnMatrix) t = nn_test_matrix_from_doubles (1, 4, target);
  g_autoptr(NnMatrix) grad = nn_matrix_new (1, 4);
  double value;

  CU_ASSERT_PTR_NOT_NULL_FATAL (loss);
  value = nn_loss_compute (loss, p, t);
  CU_ASSERT_TRUE (isfinite (value));
  nn_test_assert_close_at (value, 50.0, VALUE_RTOL, 0, "bce at p = 0 and 1", 0, __LINE__);
  nn_loss_gradient (loss, p, t, grad);
  CU_ASSERT_TRUE (nn_matrix_is_finite (grad));
  /* PyTorch: (p - y) / max (p (1 - p), 1e-12) / N */
  nn_test_assert_close_at (grad->data[0], -1e12 / 4, VALUE_RTOL, 0, "bce gradient", 0, __LINE__);
  nn_test_assert_close_at (grad->data[1], 1e12 / 4, VALUE_RTOL, 0, "bce gradient", 1, __LINE__);
  nn_test_assert_close_at (grad->data[2], 0, 0, 0, "bce gradient", 2, __LINE__);
  nn_test_assert_close_at (grad->data[3], 0, 0, 0, "bce gradient", 3, __LINE__);
}

static void
test_categorical_crossentropy_clamped (void)
{
  static const double pred[6] = { 0.0, 1.0, 0.0, 0.5, 0.5, 0.0 };
  static const double target[6] = { 1, 0, 0, 0, 1, 0 };
  g_autoptr(NnLoss) loss = make_loss ("categorical_crossentropy", NULL);
  g_autoptr(NnMatrix) p = nn_test_matrix_from_doubles (2, 3, pred);
  g_autoptr(NnMatrix) t = nn_test_matrix_from_doubles (2, 3, target);
  g_autoptr(NnMatrix) grad = nn_matrix_new (2, 3);
  double value;

  CU_ASSERT_PTR_NOT_NULL_FATAL (loss);
  value = nn_loss_compute (loss, p, t);
  CU_ASSERT_TRUE (isfinite (value));
  nn_test_assert_close_at (value, (-log ((double) NN_REAL_MIN) + G_LN2) / 2, VALUE_RTOL, 0,
                           "cce with p = 0 for the true class", 0, __LINE__);
  nn_loss_gradient (loss, p, t, grad);
  CU_ASSERT_TRUE (nn_matrix_is_finite (grad));
  nn_test_assert_close_at (grad->data[4], -1.0, VALUE_RTOL, 0, "cce gradient", 4, __LINE__);
  nn_test_assert_close_at (grad->data[5], 0, 0, 0, "cce gradient", 5, __LINE__);
}

/* Properties and registration */

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_huber_delta_property (void)
{
  g_autoptr(NnLoss) loss = make_loss ("huber", NULL);
  GParamSpec *pspec;
  GValue      value = G_VALUE_INIT;
  double      delta = 0;
  guint       notified = 0;

  CU_ASSERT_PTR_NOT_NULL_FATAL (loss);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (loss), "delta");
  CU_ASSERT_PTR_NOT_NULL_FATAL (pspec);
  CU_ASSERT_PTR_NOT_NULL (g_param_spec_get_blurb (pspec));

  g_object_get (loss, "delta", &delta, NULL);
  NN_ASSERT_CMPFLOAT (delta, 1.0, 0, 0);

  g_signal_connect (loss, "notify::delta", G_CALLBACK (count_notify), &notified);
  g_object_set (loss, "delta", 0.5, NULL);
  g_object_get (loss, "delta", &delta, NULL);
  NN_ASSERT_CMPFLOAT (delta, 0.5, 0, 0);
  CU_ASSERT_EQUAL (notified, 1);
  g_object_set (loss, "delta", 0.5, NULL);
  CU_ASSERT_EQUAL (notified, 1);

  /* delta must be positive */
  g_value_init (&value, G_TYPE_DOUBLE);
  g_value_set_double (&value, 0.0);
  CU_ASSERT_FALSE (g_param_value_is_valid (pspec, &value));
  g_value_set_double (&value, -1.0);
  CU_ASSERT_FALSE (g_param_value_is_valid (pspec, &value));
  CU_ASSERT_TRUE (g_param_value_validate (pspec, &value));
  CU_ASSERT_TRUE (g_value_get_double (&value) > 0);
  g_value_unset (&value);
}

static void
test_registered_names (void)
{
  g_auto(GStrv) names = nn_plugins_list (NN_LOSS_EXTENSION_POINT_NAME);

  CU_ASSERT_PTR_NOT_NULL_FATAL (names);
  for (gsize i = 0; i < G_N_ELEMENTS (builtin_losses); i++)
    {
      const char *name = builtin_losses[i];
      g_autoptr(NnLoss) loss = make_loss (name, NULL);
      g_autofree char *msg = g_strdup_printf ("'%s' is listed, has a description and "
                                              "reports its name",
                                              name);
      gboolean         ok;

      CU_ASSERT_PTR_NOT_NULL_FATAL (loss);
      ok = g_strv_contains ((const char * const *) names, name) &&
           g_strcmp0 (nn_loss_get_name (loss), name) == 0 &&
           NN_LOSS_GET_CLASS (loss)->description != NULL &&
           *NN_LOSS_GET_CLASS (loss)->description != '\0' &&
           strchr (NN_LOSS_GET_CLASS (loss)->description, '\n') == NULL &&
           g_str_has_prefix (G_OBJECT_TYPE_NAME (loss), "Nn") &&
           g_str_has_suffix (G_OBJECT_TYPE_NAME (loss), "Loss");
      CU_assertImplementation (ok, __LINE__, msg, __FILE__, "", CU_FALSE);
    }
}

static void
test_unknown_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnLoss) loss = nn_loss_new_by_name ("huberr", &error);

  CU_ASSERT_PTR_NULL (loss);
  NN_ASSERT_ERROR (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "did you mean 'huber'"));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "'mean_squared_error'"));
}

/* ---- the loss of each sample --------------------------------------------- */

/* Each row's loss is the loss of that row alone, and their mean the loss of
 * the batch, for every built-in loss. */
static void
test_row_losses_make_the_batch_loss (void)
{
  static const char * const names[] = { "binary_crossentropy", "categorical_crossentropy",
                                        "mean_squared_error", "mean_absolute_error", "huber" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (21);

  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(NnLoss) loss = nn_loss_new_by_name (names[k], &error);
      g_autoptr(NnMatrix) pred = nn_test_random_matrix (rand, 5, 3, 0.05, 0.95);
      g_autoptr(NnMatrix) target = nn_test_one_hot (rand, 5, 3);
      double rows[5], mean = 0;

      NN_ASSERT_NO_ERROR (error);
      CU_ASSERT_PTR_NOT_NULL (NN_LOSS_GET_CLASS (loss)->compute_rows);
      nn_loss_compute_rows (loss, pred, target, rows);
      for (guint r = 0; r < 5; r++)
        {
          NnMatrix p = nn_matrix_view_rows (pred, r, 1);
          NnMatrix t = nn_matrix_view_rows (target, r, 1);

          nn_test_assert_close_at (rows[r], nn_loss_compute (loss, &p, &t), VALUE_RTOL,
                                   VALUE_ATOL, names[k], r, __LINE__);
          mean += rows[r] / 5;
        }
      nn_test_assert_close_at (mean, nn_loss_compute (loss, pred, target), VALUE_RTOL,
                               VALUE_ATOL, names[k], 5, __LINE__);
    }
}

/* A loss with compute alone: the mean of the squares of its row sums, which
 * only a row at a time gives as its rows' losses. */
#define TEST_TYPE_ROW_SUM_LOSS (test_row_sum_loss_get_type ())
G_DECLARE_FINAL_TYPE (TestRowSumLoss, test_row_sum_loss, TEST, ROW_SUM_LOSS, NnLoss)

struct _TestRowSumLoss
{
  NnLoss parent_instance;
};

G_DEFINE_FINAL_TYPE (TestRowSumLoss, test_row_sum_loss, NN_TYPE_LOSS)

static double
row_sum_loss_compute (NnLoss         *loss,
                      const NnMatrix *pred,
                      const NnMatrix *target)
{
  double total = 0;

  for (guint r = 0; r < pred->rows; r++)
    {
      double sum = 0;

      for (guint c = 0; c < pred->cols; c++)
        sum += NN_MATRIX_AT (pred, r, c) - NN_MATRIX_AT (target, r, c);
      total += sum * sum;
    }
  return pred->rows ? total / pred->rows : 0;
}

static void
test_row_sum_loss_class_init (TestRowSumLossClass *klass)
{
  NN_LOSS_CLASS (klass)->compute = row_sum_loss_compute;
}

static void
test_row_sum_loss_init (TestRowSumLoss *self)
{
}

static void
test_row_losses_without_compute_rows (void)
{
  g_autoptr(NnLoss) loss = g_object_new (TEST_TYPE_ROW_SUM_LOSS, NULL);
  g_autoptr(NnMatrix) pred = nn_matrix_new (3, 2);
  g_autoptr(NnMatrix) target = nn_matrix_new (3, 2);
  static const double expected[] = { 9, 1, 0.25 };
  double              rows[3];

  pred->data[0] = 1, pred->data[1] = 2;  /* 3 */
  pred->data[2] = -1, pred->data[3] = 0; /* -1 */
  pred->data[4] = 0.25, pred->data[5] = 0.25;
  nn_loss_compute_rows (loss, pred, target, rows);
  for (guint r = 0; r < 3; r++)
    nn_test_assert_close_at (rows[r], expected[r], VALUE_RTOL, 0, "row sum", r, __LINE__);
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("loss values match PyTorch", nn_test_init_plugins, NULL);
  CU_add_test (suite, "binary_crossentropy of hard and soft labels",
               test_binary_crossentropy_value);
  CU_add_test (suite, "categorical_crossentropy is the mean over samples",
               test_categorical_crossentropy_value);
  CU_add_test (suite, "softmax then categorical_crossentropy is CrossEntropyLoss of logits",
               test_softmax_then_categorical_crossentropy);
  CU_add_test (suite, "mean_squared_error and its gradient are means over all elements",
               test_mean_squared_error_value);
  CU_add_test (suite, "mean_absolute_error, with gradient 0 where pred equals target",
               test_mean_absolute_error_value);
  CU_add_test (suite, "huber with delta 1 and 0.5, and at |d| = delta",
               test_huber_value);

  suite = CU_add_suite ("loss gradients match finite differences", nn_test_init_plugins, NULL);
  CU_add_test (suite, "binary_crossentropy gradient matches finite differences",
               test_binary_crossentropy_fd);
  CU_add_test (suite, "categorical_crossentropy gradient matches finite differences",
               test_categorical_crossentropy_fd);
  CU_add_test (suite, "mean_squared_error gradient matches finite differences",
               test_mean_squared_error_fd);
  CU_add_test (suite, "mean_absolute_error gradient matches finite differences",
               test_mean_absolute_error_fd);
  CU_add_test (suite, "huber gradient matches finite differences", test_huber_fd);
  CU_add_test (suite, "huber with delta 0.5 gradient matches finite differences",
               test_huber_delta_fd);

  suite = CU_add_suite ("the output layer's gradient in one step", nn_test_init_plugins, NULL);
  CU_add_test (suite, "softmax with categorical_crossentropy gives the chained gradient",
               test_softmax_categorical_crossentropy_joint);
  CU_add_test (suite, "sigmoid with binary_crossentropy gives the chained gradient",
               test_sigmoid_binary_crossentropy_joint);
  CU_add_test (suite, "other pairs have no joint form and leave the matrix alone",
               test_no_joint_gradient_for_other_pairs);
  CU_add_test (suite, "a saturated softmax still gets the gradient p - y",
               test_joint_gradient_when_saturated);

  suite = CU_add_suite ("losses stay finite at certain predictions", nn_test_init_plugins, NULL);
  CU_add_test (suite, "binary_crossentropy at p = 0 and 1 is clamped and finite",
               test_binary_crossentropy_clamped);
  CU_add_test (suite, "categorical_crossentropy at p = 0 is clamped and finite",
               test_categorical_crossentropy_clamped);

  suite = CU_add_suite ("loss properties and names", nn_test_init_plugins, NULL);
  CU_add_test (suite, "huber delta round-trips and rejects values <= 0",
               test_huber_delta_property);
  CU_add_test (suite, "each built-in loss gives each row's loss, whose mean is the batch's",
               test_row_losses_make_the_batch_loss);
  CU_add_test (suite, "a loss without compute_rows gives each row's loss a row at a time",
               test_row_losses_without_compute_rows);
  CU_add_test (suite, "every built-in loss is registered with a description",
               test_registered_names);
  CU_add_test (suite, "an unknown name fails with a suggestion and the known names",
               test_unknown_name);

  return nn_test_run ();
}
