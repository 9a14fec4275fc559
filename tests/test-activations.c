/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The built-in activation plugins: values against PyTorch, derivatives
 * against central finite differences, stability at extreme inputs, and
 * their properties. */
#include <stdarg.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

/* Forward values against literals from torch (float64). The float build
 * rounds each libm call to single precision (a few ulp, ~1e-7 relative). */
#if NN_REAL_IS_DOUBLE
#define VALUE_RTOL 1e-12
#define VALUE_ATOL 1e-15
#else
#define VALUE_RTOL 2e-6
#define VALUE_ATOL 1e-7
#endif

/* No finite-difference step may straddle a kink (relu, leaky_relu and elu
 * at 0): pre-activations closer to 0 than this are drawn again. */
#define KINK_MARGIN (4 * NN_TEST_FD_STEP)

#define N_Z 7
static const double z_points[N_Z] = { -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0 };

static const char * const builtin_activations[] = {
  "elu", "gelu", "leaky_relu", "linear", "relu", "sigmoid", "silu", "softmax",
  "softplus", "tanh"
};

/* Helpers */

/* With first_property NULL, the activation with default properties, made
 * by name; otherwise the type looked up by name and built with properties. */
static NnActivation *
make_activation (const char *name,
                 const char *first_property,
                 ...)
{
  g_autoptr(GError) error = NULL;
  NnActivation *activation;
  GType         type;
  va_list       args;

  if (first_property == NULL)
    {
      activation = nn_activation_new_by_name (name, &error);
      NN_ASSERT_NO_ERROR (error);
      return activation;
    }

  type = nn_plugins_lookup (NN_ACTIVATION_EXTENSION_POINT_NAME, name, &error);
  NN_ASSERT_NO_ERROR (error);
  if (type == G_TYPE_INVALID)
    return NULL;
  va_start (args, first_property);
  activation = NN_ACTIVATION (g_object_new_valist (type, first_property, args));
  va_end (args);
  return activation;
}

static void
check_forward_values (NnActivation *activation,
                      const char   *what,
                      guint         rows,
                      guint         cols,
                      const double *z_values,
                      const double *expected,
                      int           line)
{
  g_autoptr(NnMatrix) z = nn_test_matrix_from_doubles (rows, cols, z_values);
  g_autoptr(NnMatrix) a = nn_matrix_new (rows, cols);

  CU_ASSERT_PTR_NOT_NULL_FATAL (activation);
  nn_activation_forward (activation, z, a);
  for (gsize i = 0; i < nn_matrix_size (a); i++)
    nn_test_assert_close_at (a->data[i], expected[i], VALUE_RTOL, VALUE_ATOL, what, i, line);
}

#define CHECK_FORWARD(act, expected) \
  check_forward_values ((act), #expected, 1, N_Z, z_points, (expected), __LINE__)

/* Draws values uniformly in [-scale, scale], none within KINK_MARGIN of 0. */
static NnMatrix *
random_away_from_zero (GRand *rand,
                       guint  rows,
                       guint  cols,
                       double scale)
{
  NnMatrix *m = nn_matrix_new (rows, cols);

  for (gsize i = 0; i < nn_matrix_size (m); i++)
    {
      double v;

      do
        v = g_rand_double_range (rand, -scale, scale);
      while (fabs (v) < KINK_MARGIN);
      m->data[i] = (nn_real) v;
    }
  return m;
}

/*
 * Checks backward() against central differences of the scalar objective
 * L(z) = sum_ij w_ij a_ij(z), whose gradient with respect to a is w, so
 * backward() must return dL/dz for grad_a = w. The difference of L is summed
 * term by term, (a+ - a-) . w, to keep rounding out of it, and divided by
 * the step actually taken after rounding z ± h to nn_real.
 */
static void
check_activation_fd (NnActivation *activation,
                     const char   *label,
                     guint         rows,
                     guint         cols,
                     double        scale,
                     guint32       seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(NnMatrix) z = random_away_from_zero (rand, rows, cols, scale);
  g_autoptr(NnMatrix) w = nn_test_random_matrix (rand, rows, cols, -1.0, 1.0);
  g_autoptr(NnMatrix) a = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) grad_z = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) z_shifted = NULL;
  g_autoptr(NnMatrix) a_plus = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) a_minus = nn_matrix_new (rows, cols);
  g_autofree char *msg = NULL;
  double           worst_ratio = -1, worst_analytic = 0, worst_numeric = 0, max_rel = 0;
  gsize            worst = 0;
  const double     h = NN_TEST_FD_STEP;

  CU_ASSERT_PTR_NOT_NULL_FATAL (activation);
  nn_activation_forward (activation, z, a);
  nn_activation_backward (activation, z, a, w, grad_z);

  z_shifted = nn_matrix_copy (z);
  for (gsize i = 0; i < nn_matrix_size (z); i++)
    {
      nn_real zi = z->data[i];
      nn_real z_plus = (nn_real) (zi + h);
      nn_real z_minus = (nn_real) (zi - h);
      double  diff = 0, numeric, analytic, ratio;

      z_shifted->data[i] = z_plus;
      nn_activation_forward (activation, z_shifted, a_plus);
      z_shifted->data[i] = z_minus;
      nn_activation_forward (activation, z_shifted, a_minus);
      z_shifted->data[i] = zi;

      for (gsize j = 0; j < nn_matrix_size (z); j++)
        diff += (double) w->data[j] * ((double) a_plus->data[j] - (double) a_minus->data[j]);
      numeric = diff / ((double) z_plus - (double) z_minus);
      analytic = grad_z->data[i];

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

  msg = g_strdup_printf ("%s, %u x %u, z in [-%g, %g]: dL/dz[%" G_GSIZE_FORMAT "] at z = %.9g: "
                         "backward %.12g, finite difference %.12g; max relative error %.3g "
                         "(rtol %g, atol %g)",
                         label, rows, cols, scale, scale, worst, (double) z->data[worst],
                         worst_analytic, worst_numeric, max_rel,
                         NN_TEST_FD_RTOL, NN_TEST_FD_ATOL);
  CU_assertImplementation (nn_test_close (worst_analytic, worst_numeric,
                                          NN_TEST_FD_RTOL, NN_TEST_FD_ATOL),
                           __LINE__, msg, __FILE__, "", CU_FALSE);
}

/* Every activation is checked at three scales (around 0, moderate, large)
 * with a single sample and with a batch of 5, 4 units wide. */
static void
check_activation_fd_all (NnActivation *activation,
                         const char   *label)
{
  static const double scales[] = { 0.1, 1.0, 3.0 };
  static const guint  batches[] = { 1, 5 };
  guint32             seed = 1;

  CU_ASSERT_PTR_NOT_NULL_FATAL (activation);
  for (gsize s = 0; s < G_N_ELEMENTS (scales); s++)
    for (gsize b = 0; b < G_N_ELEMENTS (batches); b++)
      check_activation_fd (activation, label, batches[b], 4, scales[s], seed++);
}

/* Forward values */

static void
test_linear_forward (void)
{
  static const double expected[N_Z] = { -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0 };
  g_autoptr(NnActivation) act = make_activation ("linear", NULL);

  CHECK_FORWARD (act, expected);
}

static void
test_sigmoid_forward (void)
{
  static const double expected[N_Z] = {
    0.04742587317756678, 0.2689414213699951, 0.3775406687981454, 0.5,
    0.6224593312018546, 0.7310585786300049, 0.9525741268224334
  };
  g_autoptr(NnActivation) act = make_activation ("sigmoid", NULL);

  CHECK_FORWARD (act, expected);
}

static void
test_tanh_forward (void)
{
  static const double expected[N_Z] = {
    -0.9950547536867305, -0.7615941559557649, -0.46211715726000974, 0.0,
    0.46211715726000974, 0.7615941559557649, 0.9950547536867305
  };
  g_autoptr(NnActivation) act = make_activation ("tanh", NULL);

  CHECK_FORWARD (act, expected);
}

static void
test_relu_forward (void)
{
  static const double expected[N_Z] = { 0.0, 0.0, 0.0, 0.0, 0.5, 1.0, 3.0 };
  g_autoptr(NnActivation) act = make_activation ("relu", NULL);

  CHECK_FORWARD (act, expected);
}

static void
test_leaky_relu_forward (void)
{
  static const double expected[N_Z] = { -0.03, -0.01, -0.005, 0.0, 0.5, 1.0, 3.0 };
  static const double expected_alpha_02[N_Z] = {
    -0.6000000000000001, -0.2, -0.1, 0.0, 0.5, 1.0, 3.0
  };
  g_autoptr(NnActivation) act = make_activation ("leaky_relu", NULL);
  g_autoptr(NnActivation) act_02 = make_activation ("leaky_relu", "alpha", 0.2, NULL);

  CHECK_FORWARD (act, expected);
  CHECK_FORWARD (act_02, expected_alpha_02);
}

static void
test_elu_forward (void)
{
  static const double expected[N_Z] = {
    -0.950212931632136, -0.6321205588285577, -0.3934693402873666, 0.0, 0.5, 1.0, 3.0
  };
  static const double expected_alpha_05[N_Z] = {
    -0.475106465816068, -0.31606027941427883, -0.1967346701436833, 0.0, 0.5, 1.0, 3.0
  };
  g_autoptr(NnActivation) act = make_activation ("elu", NULL);
  g_autoptr(NnActivation) act_05 = make_activation ("elu", "alpha", 0.5, NULL);

  CHECK_FORWARD (act, expected);
  CHECK_FORWARD (act_05, expected_alpha_05);
}

static void
test_softplus_forward (void)
{
  static const double expected[N_Z] = {
    0.04858735157374206, 0.31326168751822286, 0.4740769841801067, 0.6931471805599453,
    0.9740769841801067, 1.3132616875182228, 3.048587351573742
  };
  static const double expected_beta_2[N_Z] = {
    0.0012378425688652247, 0.06346400552148625, 0.15663084375911143, 0.34657359027997264,
    0.6566308437591114, 1.0634640055214863, 3.001237842568865
  };
  /* threshold 1: beta z = 3 > 1 is the identity; beta z = 1 is not (strict) */
  static const double expected_threshold_1[N_Z] = {
    0.04858735157374206, 0.31326168751822286, 0.4740769841801067, 0.6931471805599453,
    0.9740769841801067, 1.3132616875182228, 3.0
  };
  g_autoptr(NnActivation) act = make_activation ("softplus", NULL);
  g_autoptr(NnActivation) act_b2 = make_activation ("softplus", "beta", 2.0, NULL);
  g_autoptr(NnActivation) act_t1 = make_activation ("softplus", "threshold", 1.0, NULL);

  CHECK_FORWARD (act, expected);
  CHECK_FORWARD (act_b2, expected_beta_2);
  CHECK_FORWARD (act_t1, expected_threshold_1);
}

static void
test_gelu_forward (void)
{
  static const double expected[N_Z] = {
    -0.00404969409489031, -0.15865525393145702, -0.15426876936299344, 0.0,
    0.34573123063700656, 0.841344746068543, 2.99595030590511
  };
  g_autoptr(NnActivation) act = make_activation ("gelu", NULL);

  CHECK_FORWARD (act, expected);
}

static void
test_silu_forward (void)
{
  static const double expected[N_Z] = {
    -0.14227761953270035, -0.2689414213699951, -0.1887703343990727, 0.0,
    0.3112296656009273, 0.7310585786300049, 2.8577223804672998
  };
  g_autoptr(NnActivation) act = make_activation ("silu", NULL);

  CHECK_FORWARD (act, expected);
}

static void
test_softmax_forward (void)
{
  static const double z[9] = { 1.0, 2.0, 3.0, 0.0, 0.0, 0.0, -1.0, 0.5, -2.0 };
  static const double expected[9] = {
    0.09003057317038045, 0.2447284710547976, 0.6652409557748218,
    0.3333333333333333, 0.3333333333333333, 0.3333333333333333,
    0.17095278019779026, 0.7661572065563422, 0.0628900132458675
  };
  /* Each row on its own: the same as a batch of one. */
  g_autoptr(NnActivation) act = make_activation ("softmax", NULL);

  check_forward_values (act, "softmax of 3 rows", 3, 3, z, expected, __LINE__);
  check_forward_values (act, "softmax of row 3", 1, 3, z + 6, expected + 6, __LINE__);
}

/* The derivatives at exactly 0, where relu, leaky_relu and elu have a kink:
 * PyTorch takes relu's as 0, leaky_relu's as alpha and elu's as alpha. */
static void
test_derivatives_at_zero (void)
{
  static const struct
  {
    const char *name;
    double      expected;
  } cases[] = {
    { "relu", 0.0 },
    { "leaky_relu", 0.01 },
    { "elu", 1.0 },
    { "linear", 1.0 },
    { "sigmoid", 0.25 },
    { "tanh", 1.0 },
    { "softplus", 0.5 },
    { "gelu", 0.5 },
    { "silu", 0.5 },
  };

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(NnActivation) act = make_activation (cases[c].name, NULL);
      g_autoptr(NnMatrix) z = nn_matrix_new (1, 1);
      g_autoptr(NnMatrix) a = nn_matrix_new (1, 1);
      g_autoptr(NnMatrix) ones = nn_matrix_new (1, 1);
      g_autoptr(NnMatrix) grad_z = nn_matrix_new (1, 1);

      CU_ASSERT_PTR_NOT_NULL_FATAL (act);
      nn_matrix_fill (ones, 1);
      nn_activation_forward (act, z, a);
      nn_activation_backward (act, z, a, ones, grad_z);
      nn_test_assert_close_at (grad_z->data[0], cases[c].expected, VALUE_RTOL, VALUE_ATOL,
                               cases[c].name, 0, __LINE__);
    }
}

/* Finite differences */

/* A test function checking the activation @name, made with the given
 * properties (or NULL for the defaults), under the label @label. */
#define FD_TEST(func, label, name, ...) \
  static void \
  func (void) \
  { \
    g_autoptr(NnActivation) act = make_activation (name, __VA_ARGS__); \
    check_activation_fd_all (act, label); \
  }

FD_TEST (test_linear_fd, "linear", "linear", NULL)
FD_TEST (test_sigmoid_fd, "sigmoid", "sigmoid", NULL)
FD_TEST (test_tanh_fd, "tanh", "tanh", NULL)
FD_TEST (test_relu_fd, "relu", "relu", NULL)
FD_TEST (test_leaky_relu_fd, "leaky_relu", "leaky_relu", NULL)
FD_TEST (test_leaky_relu_alpha_fd, "leaky_relu (alpha 0.2)", "leaky_relu", "alpha", 0.2, NULL)
FD_TEST (test_elu_fd, "elu", "elu", NULL)
FD_TEST (test_elu_alpha_fd, "elu (alpha 0.5)", "elu", "alpha", 0.5, NULL)
FD_TEST (test_softplus_fd, "softplus", "softplus", NULL)
FD_TEST (test_softplus_beta_fd, "softplus (beta 2)", "softplus", "beta", 2.0, NULL)
FD_TEST (test_softmax_fd, "softmax", "softmax", NULL)
FD_TEST (test_gelu_fd, "gelu", "gelu", NULL)
FD_TEST (test_silu_fd, "silu", "silu", NULL)

/* Stability */

/* Row 0 holds ±1e4 and 0; row 1 three equal large negative values. */
#define N_EXTREME 6
static const double extreme_z[N_EXTREME] = { 1e4, -1e4, 0.0, -1e4, -1e4, -1e4 };

static NnMatrix *
forward_extreme (NnActivation *activation,
                 const char   *name)
{
  g_autoptr(NnMatrix) z = nn_test_matrix_from_doubles (2, 3, extreme_z);
  g_autoptr(NnMatrix) a = nn_matrix_new (2, 3);
  g_autoptr(NnMatrix) ones = nn_matrix_new (2, 3);
  g_autoptr(NnMatrix) grad_z = nn_matrix_new (2, 3);
  g_autofree char *msg_a = g_strdup_printf ("%s forward at +-1e4 is finite", name);
  g_autofree char *msg_g = g_strdup_printf ("%s backward at +-1e4 is finite", name);

  nn_activation_forward (activation, z, a);
  nn_matrix_fill (ones, 1);
  nn_activation_backward (activation, z, a, ones, grad_z);
  CU_assertImplementation (nn_matrix_is_finite (a), __LINE__, msg_a, __FILE__, "", CU_FALSE);
  CU_assertImplementation (nn_matrix_is_finite (grad_z), __LINE__, msg_g, __FILE__, "",
                           CU_FALSE);
  return g_steal_pointer (&a);
}

static void
check_extreme (const char   *name,
               NnActivation *activation,
               const double *expected)
{
  g_autoptr(NnMatrix) a = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (activation);
  a = forward_extreme (activation, name);
  for (gsize i = 0; i < N_EXTREME; i++)
    nn_test_assert_close_at (a->data[i], expected[i], VALUE_RTOL, VALUE_ATOL, name, i, __LINE__);
}

static void
test_extreme_inputs (void)
{
  static const double sigmoid[N_EXTREME] = { 1, 0, 0.5, 0, 0, 0 };
  static const double tanh_[N_EXTREME] = { 1, -1, 0, -1, -1, -1 };
  static const double relu_like[N_EXTREME] = { 1e4, 0, 0, 0, 0, 0 };
  static const double elu[N_EXTREME] = { 1e4, -1, 0, -1, -1, -1 };
  static const double softplus[N_EXTREME] = { 1e4, 0, G_LN2, 0, 0, 0 };
  static const double softmax[N_EXTREME] = { 1, 0, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3 };
  g_autoptr(NnActivation) act_sigmoid = make_activation ("sigmoid", NULL);
  g_autoptr(NnActivation) act_tanh = make_activation ("tanh", NULL);
  g_autoptr(NnActivation) act_relu = make_activation ("relu", NULL);
  g_autoptr(NnActivation) act_gelu = make_activation ("gelu", NULL);
  g_autoptr(NnActivation) act_silu = make_activation ("silu", NULL);
  g_autoptr(NnActivation) act_elu = make_activation ("elu", NULL);
  g_autoptr(NnActivation) act_softplus = make_activation ("softplus", NULL);
  /* With no threshold, softplus must still not overflow at 1e4. */
  g_autoptr(NnActivation) act_softplus_nt = make_activation ("softplus", "threshold",
                                                              G_MAXDOUBLE, NULL);
  g_autoptr(NnActivation) act_softmax = make_activation ("softmax", NULL);

  check_extreme ("sigmoid", act_sigmoid, sigmoid);
  check_extreme ("tanh", act_tanh, tanh_);
  check_extreme ("relu", act_relu, relu_like);
  check_extreme ("gelu", act_gelu, relu_like);
  check_extreme ("silu", act_silu, relu_like);
  check_extreme ("elu", act_elu, elu);
  check_extreme ("softplus", act_softplus, softplus);
  check_extreme ("softplus (no threshold)", act_softplus_nt, softplus);
  check_extreme ("softmax", act_softmax, softmax);
}

static void
test_softmax_rows_sum_to_one (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(NnActivation) act = make_activation ("softmax", NULL);
  g_autoptr(NnMatrix) z = nn_test_random_matrix (rand, 6, 5, -1e4, 1e4);
  g_autoptr(NnMatrix) a = nn_matrix_new (6, 5);

  CU_ASSERT_PTR_NOT_NULL_FATAL (act);
  nn_activation_forward (act, z, a);
  CU_ASSERT_TRUE (nn_matrix_is_finite (a));
  for (guint r = 0; r < a->rows; r++)
    {
      double sum = 0;

      for (guint c = 0; c < a->cols; c++)
        {
          CU_ASSERT_TRUE (NN_MATRIX_AT (a, r, c) >= 0 && NN_MATRIX_AT (a, r, c) <= 1);
          sum += NN_MATRIX_AT (a, r, c);
        }
      nn_test_assert_close_at (sum, 1.0, 4 * NN_REAL_EPSILON, 0, "row sum", r, __LINE__);
    }
}

static void
test_sigmoid_range (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (8);
  g_autoptr(NnActivation) act = make_activation ("sigmoid", NULL);
  g_autoptr(NnMatrix) z = nn_test_random_matrix (rand, 10, 10, -1e4, 1e4);
  g_autoptr(NnMatrix) a = nn_matrix_new (10, 10);

  CU_ASSERT_PTR_NOT_NULL_FATAL (act);
  nn_activation_forward (act, z, a);
  for (gsize i = 0; i < nn_matrix_size (a); i++)
    CU_ASSERT_TRUE (a->data[i] >= 0 && a->data[i] <= 1);
}

/* Properties and registration */

static GParamSpec *
find_property (GObject    *object,
               const char *name)
{
  return g_object_class_find_property (G_OBJECT_GET_CLASS (object), name);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
check_double_property (const char *name,
                       const char *property,
                       double      default_value,
                       double      new_value,
                       double      invalid_value,
                       double      clamped_value)
{
  g_autoptr(NnActivation) act = make_activation (name, NULL);
  GParamSpec      *pspec;
  GValue           value = G_VALUE_INIT;
  double           got = -1;
  guint            notified = 0;
  g_autofree char *signal = g_strconcat ("notify::", property, NULL);

  CU_ASSERT_PTR_NOT_NULL_FATAL (act);
  pspec = find_property (G_OBJECT (act), property);
  CU_ASSERT_PTR_NOT_NULL_FATAL (pspec);
  CU_ASSERT_EQUAL (G_PARAM_SPEC_VALUE_TYPE (pspec), G_TYPE_DOUBLE);
  CU_ASSERT_PTR_NOT_NULL (g_param_spec_get_blurb (pspec));

  g_object_get (act, property, &got, NULL);
  NN_ASSERT_CMPFLOAT (got, default_value, 0, 0);
  NN_ASSERT_CMPFLOAT (g_value_get_double (g_param_spec_get_default_value (pspec)),
                      default_value, 0, 0);

  /* Explicit notify: once on a change, not when the value stays. */
  g_signal_connect (act, signal, G_CALLBACK (count_notify), &notified);
  g_object_set (act, property, new_value, NULL);
  g_object_get (act, property, &got, NULL);
  NN_ASSERT_CMPFLOAT (got, new_value, 0, 0);
  CU_ASSERT_EQUAL (notified, 1);
  g_object_set (act, property, new_value, NULL);
  CU_ASSERT_EQUAL (notified, 1);

  /* Out of range: rejected by validation, which clamps to the bound. */
  g_value_init (&value, G_TYPE_DOUBLE);
  g_value_set_double (&value, invalid_value);
  CU_ASSERT_FALSE (g_param_value_is_valid (pspec, &value));
  CU_ASSERT_TRUE (g_param_value_validate (pspec, &value));
  NN_ASSERT_CMPFLOAT (g_value_get_double (&value), clamped_value, 0, 0);
  g_value_set_double (&value, new_value);
  CU_ASSERT_TRUE (g_param_value_is_valid (pspec, &value));
  g_value_unset (&value);
}

static void
test_leaky_relu_alpha_property (void)
{
  check_double_property ("leaky_relu", "alpha", 0.01, 0.2, 5.0, 1.0);
  check_double_property ("leaky_relu", "alpha", 0.01, 0.0, -0.1, 0.0);
}

static void
test_elu_alpha_property (void)
{
  check_double_property ("elu", "alpha", 1.0, 0.5, -1.0, 0.0);
}

static void
test_softplus_properties (void)
{
  check_double_property ("softplus", "beta", 1.0, 2.0, 0.0, 1e-6);
  check_double_property ("softplus", "threshold", 20.0, 5.0, -1.0, 0.0);
}

static void
test_registered_names (void)
{
  g_auto(GStrv) names = nn_plugins_list (NN_ACTIVATION_EXTENSION_POINT_NAME);

  CU_ASSERT_PTR_NOT_NULL_FATAL (names);
  for (gsize i = 0; i < G_N_ELEMENTS (builtin_activations); i++)
    {
      const char *name = builtin_activations[i];
      g_autoptr(NnActivation) act = make_activation (name, NULL);
      g_autofree char *msg = g_strdup_printf ("'%s' is listed, has a description and "
                                              "reports its name",
                                              name);
      gboolean         ok;

      CU_ASSERT_PTR_NOT_NULL_FATAL (act);
      ok = g_strv_contains ((const char * const *) names, name) &&
           g_strcmp0 (nn_activation_get_name (act), name) == 0 &&
           NN_ACTIVATION_GET_CLASS (act)->description != NULL &&
           *NN_ACTIVATION_GET_CLASS (act)->description != '\0' &&
           strchr (NN_ACTIVATION_GET_CLASS (act)->description, '\n') == NULL &&
           g_str_has_prefix (G_OBJECT_TYPE_NAME (act), "Nn") &&
           g_str_has_suffix (G_OBJECT_TYPE_NAME (act), "Activation");
      CU_assertImplementation (ok, __LINE__, msg, __FILE__, "", CU_FALSE);
    }
}

static void
test_unknown_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnActivation) act = nn_activation_new_by_name ("sigmoidd", &error);

  CU_ASSERT_PTR_NULL (act);
  NN_ASSERT_ERROR (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "did you mean 'sigmoid'"));
  for (gsize i = 0; i < G_N_ELEMENTS (builtin_activations); i++)
    {
      g_autofree char *quoted = g_strdup_printf ("'%s'", builtin_activations[i]);
      g_autofree char *msg = g_strdup_printf ("the message \"%s\" lists %s",
                                              error->message, quoted);

      CU_assertImplementation (strstr (error->message, quoted) != NULL, __LINE__, msg,
                               __FILE__, "", CU_FALSE);
    }
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("activation forward values match PyTorch", nn_test_init_plugins, NULL);
  CU_add_test (suite, "linear is the identity", test_linear_forward);
  CU_add_test (suite, "sigmoid forward", test_sigmoid_forward);
  CU_add_test (suite, "tanh forward", test_tanh_forward);
  CU_add_test (suite, "relu forward", test_relu_forward);
  CU_add_test (suite, "leaky_relu forward, alpha 0.01 and 0.2", test_leaky_relu_forward);
  CU_add_test (suite, "elu forward, alpha 1 and 0.5", test_elu_forward);
  CU_add_test (suite, "softplus forward, default, beta 2 and threshold 1",
               test_softplus_forward);
  CU_add_test (suite, "gelu forward (erf form)", test_gelu_forward);
  CU_add_test (suite, "silu forward", test_silu_forward);
  CU_add_test (suite, "softmax forward, row by row", test_softmax_forward);
  CU_add_test (suite, "derivatives at exactly 0 follow PyTorch", test_derivatives_at_zero);

  suite = CU_add_suite ("activation backward matches finite differences",
                        nn_test_init_plugins, NULL);
  CU_add_test (suite, "linear backward matches finite differences", test_linear_fd);
  CU_add_test (suite, "sigmoid backward matches finite differences", test_sigmoid_fd);
  CU_add_test (suite, "tanh backward matches finite differences", test_tanh_fd);
  CU_add_test (suite, "relu backward matches finite differences", test_relu_fd);
  CU_add_test (suite, "leaky_relu backward matches finite differences", test_leaky_relu_fd);
  CU_add_test (suite, "leaky_relu with alpha 0.2 backward matches finite differences",
               test_leaky_relu_alpha_fd);
  CU_add_test (suite, "elu backward matches finite differences", test_elu_fd);
  CU_add_test (suite, "elu with alpha 0.5 backward matches finite differences",
               test_elu_alpha_fd);
  CU_add_test (suite, "softplus backward matches finite differences", test_softplus_fd);
  CU_add_test (suite, "softplus with beta 2 backward matches finite differences",
               test_softplus_beta_fd);
  CU_add_test (suite, "softmax backward matches finite differences", test_softmax_fd);
  CU_add_test (suite, "gelu backward matches finite differences", test_gelu_fd);
  CU_add_test (suite, "silu backward matches finite differences", test_silu_fd);

  suite = CU_add_suite ("activations are stable at extreme inputs", nn_test_init_plugins, NULL);
  CU_add_test (suite, "forward and backward at +-1e4 are finite and at their limits",
               test_extreme_inputs);
  CU_add_test (suite, "softmax rows sum to 1 for inputs up to +-1e4",
               test_softmax_rows_sum_to_one);
  CU_add_test (suite, "sigmoid stays in [0, 1] for inputs up to +-1e4", test_sigmoid_range);

  suite = CU_add_suite ("activation properties and names", nn_test_init_plugins, NULL);
  CU_add_test (suite, "leaky_relu alpha round-trips and rejects values outside [0, 1]",
               test_leaky_relu_alpha_property);
  CU_add_test (suite, "elu alpha round-trips and rejects negative values",
               test_elu_alpha_property);
  CU_add_test (suite, "softplus beta and threshold round-trip and reject bad values",
               test_softplus_properties);
  CU_add_test (suite, "every built-in activation is registered with a description",
               test_registered_names);
  CU_add_test (suite, "an unknown name fails with a suggestion and the known names",
               test_unknown_name);

  return nn_test_run ();
}
