/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The element-wise loops of the library and of the built-in plugins. They
 * run NN_SIMD_BYTES at a time, on x86-64 as an AVX-512, AVX2 or baseline
 * clone, and finish with a tail shorter than a vector: at every length from 1
 * to 40 each value goes through the body or the tail, and must come out as
 * the plain loop or the value alone gives it, NaN and infinities
 * included. */
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

#define MAX_LENGTH 40

static gboolean
same_bits (nn_real a,
           nn_real b)
{
  return memcmp (&a, &b, sizeof a) == 0;
}

/* A value for position @i: mostly random in [-@scale, @scale], with every
 * seventh a signed zero, a tiny or a huge value, so that each kind lands
 * in the vector body and in the tail at some length. */
static nn_real
value_at (GRand *rand,
          guint  i,
          double scale)
{
  static const double special[] = { 0.0, -0.0, 1e-30, -3e4, 3e4, -1e-3, 0.5 };

  if (i % 7 == 3)
    return (nn_real) special[(i / 7) % G_N_ELEMENTS (special)];
  return (nn_real) g_rand_double_range (rand, -scale, scale);
}

/* The distance from @got to @want in units in the last place of #nn_real
 * at @want. */
static double
ulps (double got,
      double want)
{
  nn_real w = (nn_real) want;
#if NN_REAL_IS_DOUBLE
  double ulp = nextafter (fabs (w), INFINITY) - fabs (w);
#else
  double ulp = nextafterf (fabsf (w), INFINITY) - fabsf (w);
#endif

  return fabs (got - want) / ulp;
}

static NnMatrix *
row_of_values (GRand *rand,
               guint  n,
               double scale)
{
  NnMatrix *m = nn_matrix_new (1, n);

  for (guint i = 0; i < n; i++)
    m->data[i] = value_at (rand, i, scale);
  return m;
}

/* ---- libcore -------------------------------------------------------------- */

static void
test_is_finite_every_position (void)
{
  const double bad[] = { NAN, -NAN, INFINITY, -INFINITY };
  const double good[] = { NN_REAL_MAX, -NN_REAL_MAX, -0.0, NN_REAL_MIN / 4, 1 };
  guint        missed = 0, wrong = 0;

  for (guint n = 1; n <= MAX_LENGTH; n++)
    {
      /* Exactly n values, so that a read past them is a sanitizer error. */
      g_autoptr(NnMatrix) m = nn_matrix_new (1, n);

      for (guint i = 0; i < n; i++)
        m->data[i] = (nn_real) good[i % G_N_ELEMENTS (good)];
      if (!nn_matrix_is_finite (m))
        wrong++;
      for (guint b = 0; b < G_N_ELEMENTS (bad); b++)
        for (guint i = 0; i < n; i++)
          {
            nn_real keep = m->data[i];

            m->data[i] = (nn_real) bad[b];
            if (nn_matrix_is_finite (m))
              {
                if (missed++ == 0)
                  NN_CHECK (FALSE, "%g at %u of %u not found", bad[b], i, n);
              }
            m->data[i] = keep;
          }
    }
  NN_CHECK (missed == 0, "%u non-finite values not found", missed);
  NN_CHECK (wrong == 0, "%u matrices of the largest, smallest and zero values called "
                        "not finite",
            wrong);
}

static void
test_fill_every_length (void)
{
  const nn_real values[] = { -0.0, 3, (nn_real) NAN };
  nn_real       buffer[MAX_LENGTH + 16];
  guint         bad = 0;

  for (guint v = 0; v < G_N_ELEMENTS (values); v++)
    for (guint n = 0; n <= MAX_LENGTH; n++)
      {
        NnMatrix m = nn_matrix_view (buffer, 1, n);

        for (guint i = 0; i < G_N_ELEMENTS (buffer); i++)
          buffer[i] = 7;
        nn_matrix_fill (&m, values[v]);
        for (guint i = 0; i < G_N_ELEMENTS (buffer); i++)
          if (!same_bits (buffer[i], i < n ? values[v] : 7))
            {
              if (bad++ == 0)
                NN_CHECK (FALSE, "filling %u values with %g: element %u is %g", n,
                          (double) values[v], i, (double) buffer[i]);
            }
      }
  NN_CHECK (bad == 0, "%u elements wrong after nn_matrix_fill", bad);
}

static void
test_sum_rows_is_the_plain_sum (void)
{
  static const guint row_counts[] = { 1, 2, 3, 8, 9, 17, 150 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  guint bad = 0;

  for (guint k = 0; k < G_N_ELEMENTS (row_counts); k++)
    for (guint cols = 1; cols <= MAX_LENGTH; cols++)
      {
        guint rows = row_counts[k];
        g_autoptr(NnMatrix) m = nn_matrix_new (rows, cols);
        g_autoptr(NnMatrix) out = nn_matrix_new (1, cols);

        /* Magnitudes far apart, so that another order of the sum would
         * round differently. */
        for (gsize i = 0; i < nn_matrix_size (m); i++)
          m->data[i] = value_at (rand, (guint) i, i % 2 ? 1e-3 : 1e3);
        nn_matrix_fill (out, 7);
        nn_matrix_sum_rows (m, out);
        for (guint c = 0; c < cols; c++)
          {
            nn_real sum = 0;

            for (guint r = 0; r < rows; r++)
              sum += NN_MATRIX_AT (m, r, c);
            if (!same_bits (out->data[c], sum))
              {
                if (bad++ == 0)
                  NN_CHECK (FALSE, "%u × %u: column %u sums to %.9g, the plain loop to %.9g",
                            rows, cols, c, (double) out->data[c], (double) sum);
              }
          }
      }
  NN_CHECK (bad == 0, "%u column sums differ from the plain loop", bad);
}

static void
test_sum_rows_of_no_rows (void)
{
  g_autoptr(NnMatrix) m = nn_matrix_new (0, 13);
  g_autoptr(NnMatrix) out = nn_matrix_new (1, 13);

  nn_matrix_fill (out, 7);
  nn_matrix_sum_rows (m, out);
  for (guint c = 0; c < 13; c++)
    NN_CHECK (same_bits (out->data[c], 0), "column %u of no rows sums to %g", c,
              (double) out->data[c]);
}

static void
test_sum_rows_carries_nan (void)
{
  g_autoptr(NnMatrix) m = nn_matrix_new (9, 11);
  g_autoptr(NnMatrix) out = nn_matrix_new (1, 11);

  for (guint c = 0; c < 11; c++)
    {
      nn_matrix_fill (m, 1);
      NN_MATRIX_AT (m, c % 9, c) = c % 3 ? (nn_real) NAN : (nn_real) INFINITY;
      nn_matrix_sum_rows (m, out);
      for (guint j = 0; j < 11; j++)
        if (j == c)
          NN_CHECK (c % 3 ? isnan (out->data[j]) : isinf (out->data[j]),
                    "column %u with a %s sums to %g", c, c % 3 ? "NaN" : "infinity",
                    (double) out->data[j]);
        else
          NN_CHECK (out->data[j] == 9, "column %u beside it sums to %g", j,
                    (double) out->data[j]);
    }
}

static void
test_add_row_vector_is_the_plain_sum (void)
{
  static const guint row_counts[] = { 1, 2, 7, 8, 9, 17, 150 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (12);
  guint bad = 0;

  for (guint k = 0; k < G_N_ELEMENTS (row_counts); k++)
    for (guint cols = 1; cols <= MAX_LENGTH; cols++)
      {
        guint rows = row_counts[k];
        g_autoptr(NnMatrix) m = nn_matrix_new (rows, cols);
        g_autoptr(NnMatrix) before = NULL;
        g_autoptr(NnMatrix) v = row_of_values (rand, cols, 10);

        for (gsize i = 0; i < nn_matrix_size (m); i++)
          m->data[i] = value_at (rand, (guint) i + 1, 10);
        if (rows > 1)
          NN_MATRIX_AT (m, 1, 0) = (nn_real) NAN;
        before = nn_matrix_copy (m);
        nn_matrix_add_row_vector (m, v);
        for (guint r = 0; r < rows; r++)
          for (guint c = 0; c < cols; c++)
            {
              nn_real want = NN_MATRIX_AT (before, r, c) + v->data[c];

              if (!same_bits (NN_MATRIX_AT (m, r, c), want))
                {
                  if (bad++ == 0)
                    NN_CHECK (FALSE, "%u × %u: (%u, %u) is %.9g, the plain sum %.9g", rows, cols,
                              r, c, (double) NN_MATRIX_AT (m, r, c), (double) want);
                }
            }
      }
  NN_CHECK (bad == 0, "%u sums differ from the plain loop", bad);
}

static void
test_axpy_each_value_as_alone (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (13);
  const nn_real alpha = (nn_real) -0.3;
  guint         bad = 0, far = 0;

  for (guint n = 1; n <= MAX_LENGTH; n++)
    {
      g_autoptr(NnMatrix) x = row_of_values (rand, n, 100);
      g_autoptr(NnMatrix) y = row_of_values (rand, n, 100);
      g_autoptr(NnMatrix) y0 = nn_matrix_copy (y);

      nn_matrix_axpy (alpha, x, y);
      for (guint i = 0; i < n; i++)
        {
          NnMatrix xi = nn_matrix_view (x->data + i, 1, 1);
          nn_real  yi = y0->data[i];
          NnMatrix yv = nn_matrix_view (&yi, 1, 1);

          nn_matrix_axpy (alpha, &xi, &yv);
          if (!same_bits (y->data[i], yi) && bad++ == 0)
            NN_CHECK (FALSE, "length %u: element %u is %.9g, alone %.9g", n, i,
                      (double) y->data[i], (double) yi);
          /* Two roundings at most, of the product and of the sum. */
          if (!nn_test_close (y->data[i], (double) alpha * x->data[i] + y0->data[i], 0,
                              NN_REAL_EPSILON * (fabs ((double) alpha * x->data[i]) +
                                                 fabs (y0->data[i]))) &&
              far++ == 0)
            NN_CHECK (FALSE, "length %u: element %u is %.9g, not %.9g", n, i,
                      (double) y->data[i], (double) alpha * x->data[i] + y0->data[i]);
        }
    }
  NN_CHECK (bad == 0, "%u elements differ from the same element alone", bad);
  NN_CHECK (far == 0, "%u elements off by more than rounding", far);
}

static void
test_scaled_difference_each_value_as_alone (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (14);
  const nn_real scale = (nn_real) (1.0 / 3.0);
  guint         bad = 0, far = 0;

  for (guint n = 1; n <= MAX_LENGTH; n++)
    {
      g_autoptr(NnMatrix) a = row_of_values (rand, n, 100);
      g_autoptr(NnMatrix) b = row_of_values (rand, n, 100);
      g_autoptr(NnMatrix) out = nn_matrix_new (1, n);

      nn_matrix_fill (out, 7);
      nn_matrix_scaled_difference (a, b, scale, out);
      for (guint i = 0; i < n; i++)
        {
          NnMatrix ai = nn_matrix_view (a->data + i, 1, 1);
          NnMatrix bi = nn_matrix_view (b->data + i, 1, 1);
          nn_real  alone = 0;
          NnMatrix oi = nn_matrix_view (&alone, 1, 1);
          double   want = (double) scale * ((double) a->data[i] - b->data[i]);

          nn_matrix_scaled_difference (&ai, &bi, scale, &oi);
          if (!same_bits (out->data[i], alone) && bad++ == 0)
            NN_CHECK (FALSE, "length %u: element %u is %.9g, alone %.9g", n, i,
                      (double) out->data[i], (double) alone);
          /* Two roundings at most, of the difference and of the product. */
          if (!nn_test_close (out->data[i], want, 0, 2 * NN_REAL_EPSILON * fabs (want) + 1e-300) &&
              far++ == 0)
            NN_CHECK (FALSE, "length %u: element %u is %.9g, not %.9g", n, i,
                      (double) out->data[i], want);
        }
    }
}

/* ---- activations ------------------------------------------------------------ */

/* Forward and backward of @act on every length from 1 to MAX_LENGTH, each
 * value against the same value as a 1 × 1 matrix; @reference, if set, is
 * the function in double, which forward must meet within @max_ulps. */
static void
check_activation_each_value_as_alone (const char *name,
                                      double (*reference) (double),
                                      double max_ulps)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnActivation) act = nn_activation_new_by_name (name, &error);
  g_autoptr(GRand) rand = g_rand_new_with_seed (14);
  guint bad = 0, far = 0;

  NN_ASSERT_NO_ERROR (error);
  if (act == NULL)
    return;
  for (guint n = 1; n <= MAX_LENGTH; n++)
    {
      g_autoptr(NnMatrix) z = row_of_values (rand, n, 30);
      g_autoptr(NnMatrix) grad_a = row_of_values (rand, n, 2);
      g_autoptr(NnMatrix) a = nn_matrix_new (1, n);
      g_autoptr(NnMatrix) grad_z = nn_matrix_new (1, n);

      /* NaN and infinities too, somewhere in the body or the tail. */
      z->data[(n * 5) / 6] = (nn_real) (n % 2 ? NAN : -NAN);
      z->data[n / 3] = (nn_real) INFINITY;
      z->data[n / 2] = (nn_real) -INFINITY;

      nn_activation_forward (act, z, a);
      nn_activation_backward (act, z, a, grad_a, grad_z);
      for (guint i = 0; i < n; i++)
        {
          NnMatrix zi = nn_matrix_view (z->data + i, 1, 1);
          NnMatrix gi = nn_matrix_view (grad_a->data + i, 1, 1);
          nn_real  a1 = 0, g1 = 0;
          NnMatrix ai = nn_matrix_view (&a1, 1, 1);
          NnMatrix grad_zi = nn_matrix_view (&g1, 1, 1);

          nn_activation_forward (act, &zi, &ai);
          nn_activation_backward (act, &zi, &ai, &gi, &grad_zi);
          if ((!same_bits (a->data[i], a1) || !same_bits (grad_z->data[i], g1)) && bad++ == 0)
            NN_CHECK (FALSE, "%s at z = %.9g, element %u of %u: forward %.9g, backward %.9g; "
                             "alone %.9g, %.9g",
                      name, (double) z->data[i], i, n,
                      (double) a->data[i], (double) grad_z->data[i], (double) a1, (double) g1);
          if (reference != NULL && isfinite (z->data[i]) &&
              ulps (a->data[i], reference (z->data[i])) > max_ulps && far++ == 0)
            NN_CHECK (FALSE, "%s at z = %.9g is %.9g, not %.9g", name, (double) z->data[i],
                      (double) a->data[i], reference (z->data[i]));
        }
    }
  NN_CHECK (bad == 0, "%s: %u values differ from the same value alone", name, bad);
  NN_CHECK (far == 0, "%s: %u values off by more than rounding", name, far);
}

static double
sigmoid (double z)
{
  return z >= 0 ? 1 / (1 + exp (-z)) : exp (z) / (1 + exp (z));
}

static double
relu (double z)
{
  return z > 0 ? z : 0;
}

static void
test_sigmoid_each_value_as_alone (void)
{
  check_activation_each_value_as_alone ("sigmoid", sigmoid, 3);
}

static void
test_relu_each_value_as_alone (void)
{
  check_activation_each_value_as_alone ("relu", relu, 0);
}

static void
test_leaky_relu_each_value_as_alone (void)
{
  check_activation_each_value_as_alone ("leaky_relu", NULL, 0);
}

/* Every float from -87 to 87 in steps of 2^-12 (every double at
 * 1 + 2^-12 apart in the double build), through the vector exponential. */
static void
test_sigmoid_sweep (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnActivation) act = nn_activation_new_by_name ("sigmoid", &error);
  const guint n = 174 * 4096 + 1;
  g_autoptr(NnMatrix) z = nn_matrix_new (1, n);
  g_autoptr(NnMatrix) a = nn_matrix_new (1, n);
  double worst = 0, worst_z = 0;

  NN_ASSERT_NO_ERROR (error);
  if (act == NULL)
    return;
  for (guint i = 0; i < n; i++)
    z->data[i] = (nn_real) (-87.0 + i / 4096.0);
  nn_activation_forward (act, z, a);
  for (guint i = 0; i < n; i++)
    {
      double e = ulps (a->data[i], sigmoid (z->data[i]));

      if (e > worst)
        {
          worst = e;
          worst_z = z->data[i];
        }
    }
  NN_CHECK (worst <= 3, "sigmoid is %.2f ulp off at z = %.9g", worst, worst_z);
}

/* Infinities and NaN at every position of every length: the sigmoid of
 * ±∞ is 1 or 0 and of NaN NaN, and the values beside them are untouched. */
static void
test_sigmoid_of_infinities_and_nan (void)
{
  const double special[] = { INFINITY, -INFINITY, NAN, 1e4, -1e4 };
  g_autoptr(GError) error = NULL;
  g_autoptr(NnActivation) act = nn_activation_new_by_name ("sigmoid", &error);
  guint bad = 0;

  NN_ASSERT_NO_ERROR (error);
  if (act == NULL)
    return;
  for (guint s = 0; s < G_N_ELEMENTS (special); s++)
    for (guint n = 1; n <= MAX_LENGTH; n++)
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(NnMatrix) z = nn_matrix_new (1, n);
          g_autoptr(NnMatrix) a = nn_matrix_new (1, n);
          double want = isnan (special[s]) ? NAN : special[s] > 0 ? 1
                                                                  : 0;

          z->data[i] = (nn_real) special[s];
          nn_activation_forward (act, z, a);
          for (guint j = 0; j < n; j++)
            {
              double got = a->data[j], expected = j == i ? want : 0.5;

              if (!(isnan (expected) ? isnan (got) : got == expected) && bad++ == 0)
                NN_CHECK (FALSE, "sigmoid of %g at %u of %u: element %u is %g, not %g",
                          special[s], i, n, j, got, expected);
            }
        }
  NN_CHECK (bad == 0, "%u wrong values beside or at infinities and NaN", bad);
}

/* Softmax: each row of a batch as alone, a NaN spreading over its own row
 * only, rows of ±1e4 finite and summing to 1. */
static void
test_softmax_rows_as_alone (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnActivation) act = nn_activation_new_by_name ("softmax", &error);
  g_autoptr(GRand) rand = g_rand_new_with_seed (15);
  guint bad = 0;

  NN_ASSERT_NO_ERROR (error);
  if (act == NULL)
    return;
  for (guint cols = 1; cols <= 12; cols++)
    for (guint rows = 5; rows <= 37; rows += 32)
      {
        g_autoptr(NnMatrix) z = nn_matrix_new (rows, cols);
        g_autoptr(NnMatrix) a = nn_matrix_new (rows, cols);

        for (gsize i = 0; i < nn_matrix_size (z); i++)
          z->data[i] = (nn_real) g_rand_double_range (rand, -1e4, 1e4);
        NN_MATRIX_AT (z, 2, cols / 2) = (nn_real) (cols % 2 ? NAN : -NAN);
        nn_activation_forward (act, z, a);
        for (guint r = 0; r < rows; r++)
          {
            NnMatrix zr = nn_matrix_view_rows (z, r, 1);
            g_autoptr(NnMatrix) ar = nn_matrix_new (1, cols);
            double sum = 0;

            nn_activation_forward (act, &zr, ar);
            for (guint c = 0; c < cols; c++)
              {
                nn_real got = NN_MATRIX_AT (a, r, c);

                sum += got;
                if (!same_bits (got, ar->data[c]) && bad++ == 0)
                  NN_CHECK (FALSE, "%u × %u: (%u, %u) is %.9g, the row alone %.9g", rows, cols,
                            r, c, (double) got, (double) ar->data[c]);
                if ((r == 2) != isnan (got) && bad++ == 0)
                  NN_CHECK (FALSE, "%u × %u: (%u, %u) is %g with a NaN in row 2", rows, cols,
                            r, c, (double) got);
              }
            if (r != 2 && !nn_test_close (sum, 1, cols * NN_REAL_EPSILON, 0) && bad++ == 0)
              NN_CHECK (FALSE, "%u × %u: row %u sums to %.9g", rows, cols, r, sum);
          }
      }
  NN_CHECK (bad == 0, "%u wrong softmax values", bad);
}

/* ---- losses ----------------------------------------------------------------- */

/* The gradient of @name over every length against @plain, the scalar form
 * of the plugin, bit for bit. */
static void
check_loss_gradient (const char *name,
                     double (*plain) (double p, double t, guint rows, gsize n))
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnLoss) loss = nn_loss_new_by_name (name, &error);
  g_autoptr(GRand) rand = g_rand_new_with_seed (16);
  guint bad = 0;

  NN_ASSERT_NO_ERROR (error);
  if (loss == NULL)
    return;
  for (guint n = 1; n <= MAX_LENGTH; n++)
    for (guint rows = 1; rows <= 2; rows++)
      {
        guint cols = rows == 1 ? n : n + 1;
        g_autoptr(NnMatrix) pred = nn_matrix_new (rows, cols);
        g_autoptr(NnMatrix) target = nn_matrix_new (rows, cols);
        g_autoptr(NnMatrix) grad = nn_matrix_new (rows, cols);

        for (gsize i = 0; i < nn_matrix_size (pred); i++)
          {
            pred->data[i] = (nn_real) g_rand_double (rand);
            target->data[i] = (nn_real) (g_rand_boolean (rand) ? g_rand_double (rand) : 0);
          }
        pred->data[n / 2] = 0;
        pred->data[n / 3] = (nn_real) 1e-40; /* subnormal in float */
        pred->data[n / 4] = (nn_real) INFINITY;
        pred->data[n / 5] = (nn_real) -0.5;
        pred->data[n - 1] = (nn_real) NAN;
        target->data[n - 1] = 1;
        nn_loss_gradient (loss, pred, target, grad);
        for (gsize i = 0; i < nn_matrix_size (pred); i++)
          {
            nn_real want = (nn_real) plain (pred->data[i], target->data[i], rows,
                                            nn_matrix_size (pred));

            if (!same_bits (grad->data[i], want) && bad++ == 0)
              NN_CHECK (FALSE, "%s, %u × %u: gradient %" G_GSIZE_FORMAT " at p = %.9g, "
                               "t = %.9g is %.12g, the scalar form %.12g",
                        name, rows, cols, i,
                        (double) pred->data[i], (double) target->data[i],
                        (double) grad->data[i], (double) want);
          }
      }
  NN_CHECK (bad == 0, "%s: %u gradients differ from the scalar form", name, bad);
}

static double
categorical_crossentropy_gradient (double p,
                                   double t,
                                   guint  rows,
                                   gsize  n)
{
  return -t / MAX (p, (double) NN_REAL_MIN) * (1.0 / rows);
}

static double
mean_squared_error_gradient (double p,
                             double t,
                             guint  rows,
                             gsize  n)
{
  return 2.0 / (double) n * (p - t);
}

/* The categorical cross-entropy of @pred against @target as the scalar
 * form gives it, in double throughout. */
static double
categorical_crossentropy_plain (const NnMatrix *pred,
                                const NnMatrix *target)
{
  double sum = 0;

  for (gsize i = 0; i < nn_matrix_size (pred); i++)
    if (target->data[i] != 0)
      sum -= target->data[i] * log (MAX ((double) pred->data[i], (double) NN_REAL_MIN));
  return sum / pred->rows;
}

/* The loss is a sum, so where each term is taken (vector body, tail, block
 * of the float build) changes it only within rounding: every length
 * against the scalar form in double, the values that need care included,
 * each alone and then all together. */
static void
test_categorical_crossentropy_loss_is_the_scalar_form (void)
{
  static const double special[] = { 0, 1e-40 /* subnormal in float */, -0.5, 1, INFINITY, NAN };
  static const guint  lengths[] = { 127, 128, 129, 130, 255, 256, 257, 1000, 4099 };
  g_autoptr(GError) error = NULL;
  g_autoptr(NnLoss) loss = nn_loss_new_by_name ("categorical_crossentropy", &error);
  g_autoptr(GRand) rand = g_rand_new_with_seed (18);
  guint bad = 0;

  NN_ASSERT_NO_ERROR (error);
  if (loss == NULL)
    return;
  for (guint l = 0; l < MAX_LENGTH + G_N_ELEMENTS (lengths); l++)
    for (guint s = 0; s <= G_N_ELEMENTS (special); s++)
      {
        guint n = l < MAX_LENGTH ? l + 1 : lengths[l - MAX_LENGTH];
        g_autoptr(NnMatrix) pred = nn_matrix_new (1, n);
        g_autoptr(NnMatrix) target = nn_matrix_new (1, n);
        double   got, want;
        gboolean same;

        for (gsize i = 0; i < n; i++)
          {
            pred->data[i] = (nn_real) g_rand_double_range (rand, 1e-6, 1);
            target->data[i] = (nn_real) (g_rand_boolean (rand) ? g_rand_double (rand) : 0);
          }
        /* A NaN or infinite prediction where the target is 0 counts for
         * nothing. */
        pred->data[n / 2] = (nn_real) NAN;
        target->data[n / 2] = 0;
        pred->data[n - 1] = (nn_real) INFINITY;
        target->data[n - 1] = (nn_real) -0.0;
        if (s < G_N_ELEMENTS (special))
          {
            pred->data[n / 3] = (nn_real) special[s];
            target->data[n / 3] = 1;
          }
        got = nn_loss_compute (loss, pred, target);
        want = categorical_crossentropy_plain (pred, target);
        same = isnan (want)   ? isnan (got)
               : isinf (want) ? got == want
                              : nn_test_close (got, want, 8 * NN_REAL_EPSILON, 0);
        if (!same && bad++ == 0)
          NN_CHECK (FALSE, "length %u, p = %g at %u: %.12g, the scalar form %.12g", n,
                    s < G_N_ELEMENTS (special) ? special[s] : 0.5, n / 3, got, want);
      }
  NN_CHECK (bad == 0, "%u cross-entropies differ from the scalar form", bad);
}

static void
test_categorical_crossentropy_gradient_is_the_scalar_form (void)
{
  check_loss_gradient ("categorical_crossentropy", categorical_crossentropy_gradient);
}

static void
test_mean_squared_error_gradient_is_the_scalar_form (void)
{
  check_loss_gradient ("mean_squared_error", mean_squared_error_gradient);
}

/* ---- the optimizer ---------------------------------------------------------- */

/* Three steps of sgd with @first_property... on a parameter of every length,
 * each element against the same element as a parameter of its own. */
static void
check_sgd_each_value_as_alone (const char *what,
                               const char *first_property,
                               ...)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (17);
  guint bad = 0;

  for (guint n = 1; n <= MAX_LENGTH; n++)
    {
      g_autoptr(NnOptimizer) whole = NULL;
      g_autoptr(NnOptimizer) single = NULL;
      g_autoptr(NnMatrix) param = row_of_values (rand, n, 1);
      g_autoptr(NnMatrix) grad = nn_matrix_new (1, n);
      g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_matrix_free);
      g_autoptr(GPtrArray) grads = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_matrix_free);
      va_list args;

      va_start (args, first_property);
      whole = NN_OPTIMIZER (g_object_new_valist (NN_TYPE_SGD_OPTIMIZER, first_property, args));
      va_end (args);
      va_start (args, first_property);
      single = NN_OPTIMIZER (g_object_new_valist (NN_TYPE_SGD_OPTIMIZER, first_property, args));
      va_end (args);

      for (guint i = 0; i < n; i++)
        {
          g_ptr_array_add (params, nn_matrix_new_from_data (1, 1, param->data + i));
          g_ptr_array_add (grads, nn_matrix_new (1, 1));
        }
      nn_optimizer_prepare (whole, 1, (const NnMatrix **) &param);
      nn_optimizer_prepare (single, n, (const NnMatrix **) params->pdata);
      for (guint step = 0; step < 3; step++)
        {
          for (guint i = 0; i < n; i++)
            grad->data[i] = ((NnMatrix *) grads->pdata[i])->data[0] =
              value_at (rand, i + step, 1);
          nn_optimizer_step (whole, 1, &param, (const NnMatrix **) &grad);
          nn_optimizer_step (single, n, (NnMatrix **) params->pdata,
                             (const NnMatrix **) grads->pdata);
          for (guint i = 0; i < n; i++)
            {
              nn_real alone = ((NnMatrix *) params->pdata[i])->data[0];

              /* The sign of a zero parameter does not matter, and
               * valgrind's scalar FMA gives -η × 0 + 0 as -0, the CPU +0. */
              if (!same_bits (param->data[i], alone) &&
                  !(param->data[i] == 0 && alone == 0) && bad++ == 0)
                NN_CHECK (FALSE, "sgd %s, step %u, length %u: element %u is %.9g, alone %.9g",
                          what, step + 1, n, i, (double) param->data[i], (double) alone);
            }
        }
    }
  NN_CHECK (bad == 0, "sgd %s: %u values differ from the same value alone", what, bad);
}

static void
test_sgd_each_value_as_alone (void)
{
  check_sgd_each_value_as_alone ("without momentum", "learning-rate", 0.1, NULL);
  check_sgd_each_value_as_alone ("with weight decay", "learning-rate", 0.1,
                                 "weight-decay", 0.01, NULL);
  check_sgd_each_value_as_alone ("with momentum and dampening", "learning-rate", 0.1,
                                 "momentum", 0.9, "dampening", 0.1, "weight-decay", 0.01, NULL);
  check_sgd_each_value_as_alone ("with Nesterov momentum", "learning-rate", 0.1,
                                 "momentum", 0.9, "nesterov", TRUE, "weight-decay", 0.01, NULL);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("matrix loops at every length", NULL, NULL);
  CU_add_test (s, "nn_matrix_is_finite finds NaN and infinities at every position of every "
                  "length",
               test_is_finite_every_position);
  CU_add_test (s, "nn_matrix_fill writes every element and nothing past them",
               test_fill_every_length);
  CU_add_test (s, "nn_matrix_sum_rows adds each column top to bottom like the plain loop",
               test_sum_rows_is_the_plain_sum);
  CU_add_test (s, "nn_matrix_sum_rows of no rows is zero", test_sum_rows_of_no_rows);
  CU_add_test (s, "nn_matrix_sum_rows carries NaN and infinities into their column only",
               test_sum_rows_carries_nan);
  CU_add_test (s, "nn_matrix_add_row_vector gives the sums of the plain loop",
               test_add_row_vector_is_the_plain_sum);
  CU_add_test (s, "nn_matrix_axpy gives each element as it gives it alone",
               test_axpy_each_value_as_alone);
  CU_add_test (s, "nn_matrix_scaled_difference gives each element as it gives it alone",
               test_scaled_difference_each_value_as_alone);

  s = CU_add_suite ("plugin loops at every length", nn_test_init_plugins, NULL);
  CU_add_test (s, "sigmoid gives each value as it gives it alone, within rounding of exp",
               test_sigmoid_each_value_as_alone);
  CU_add_test (s, "sigmoid is within 3 ulp from -87 to 87", test_sigmoid_sweep);
  CU_add_test (s, "sigmoid of infinities and NaN at every position",
               test_sigmoid_of_infinities_and_nan);
  CU_add_test (s, "relu gives each value as it gives it alone", test_relu_each_value_as_alone);
  CU_add_test (s, "leaky_relu gives each value as it gives it alone",
               test_leaky_relu_each_value_as_alone);
  CU_add_test (s, "softmax gives each row as it gives it alone, NaN staying in its row",
               test_softmax_rows_as_alone);
  CU_add_test (s, "categorical_crossentropy loss is its scalar form within rounding at every "
                  "length",
               test_categorical_crossentropy_loss_is_the_scalar_form);
  CU_add_test (s, "categorical_crossentropy gradient is its scalar form at every length",
               test_categorical_crossentropy_gradient_is_the_scalar_form);
  CU_add_test (s, "mean_squared_error gradient is its scalar form at every length",
               test_mean_squared_error_gradient_is_the_scalar_form);

  s = CU_add_suite ("optimizer loops at every length", NULL, NULL);
  CU_add_test (s, "sgd updates each value as it updates it alone", test_sgd_each_value_as_alone);

  return nn_test_run ();
}
