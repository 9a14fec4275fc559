/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "nn-activation.h"
#include "nn-loss.h"
#include "nn-matrix.h"
#include "nn-plugin-check.h"
#include "nn-plugin-check-private.h"
#include "nn-plugins.h"

/*
 * How a derivative is checked. At a point x, with a step h that is a power
 * of two (so x ± h and x ± 2h are exact), the derivative g that the plugin
 * computes is compared with the central difference C and with the mean of
 * the second-order one-sided differences L and R (which is exact where
 * only the curvature jumps, as elu's at 0). Where neither agrees, the step
 * is halved, down to h/8: a function that bends sharply at the scale of h
 * (a softmax of two close large logits, a sine at 1000) needs a smaller one.
 *
 * Where the function is smooth, L and R agree to O(h³); within 2h of a
 * kink they differ by a share of the jump in slope, and g must lie between
 * them (relu at 0 may answer 0 or 1, |z| at 0 may answer 0). So a kink is
 * never skipped blindly, and a wrong derivative cannot pass at a smooth
 * point.
 */

#if NN_REAL_IS_DOUBLE
#define STEP_LOG2 (-17) /* h = 2^-17 near |x| = 1: rounding ~1e-11, truncation ~1e-11 */
#define MEAN_RTOL 1e-10 /* a batch loss against the mean of its rows' losses, or each */
#else
#define STEP_LOG2 (-7) /* h = 2^-7: rounding and truncation both ~1e-5 */
#define MEAN_RTOL 1e-5
#endif

/* Two computations of one value that must agree up to the order of a few
 * float operations (a row alone against the same row in a batch). */
#define SAME_RTOL (16 * NN_REAL_EPSILON)

/* A loss's joint output gradient against its gradient taken back through
 * the activation: two ways of rounding the same derivative. */
#define JOINT_RTOL (1024 * NN_REAL_EPSILON)

static const double scales[] = { 0.1, 1.0, 10.0, 1000.0 };
#define N_STEPS 4          /* h, h/2, h/4, h/8: a smaller step where h is too coarse */
#define LARGE_SCALE 1000.0 /* where overflow to ±inf is allowed (as e^z would) */
#define N_DRAWS 2

static const guint activation_shapes[][2] = { { 1, 1 }, { 1, 5 }, { 7, 5 } };
static const guint loss_shapes[][2] = { { 1, 1 }, { 1, 3 }, { 6, 3 } };

/* Keeps the first failure: later ones often follow from it. */
void
nn_plugin_check_fail (NnPluginCheck *check,
                      const char    *format,
                      ...)
{
  va_list args;

  check->result->passed = FALSE;
  if (check->failed_hard)
    return;
  check->failed_hard = TRUE;
  va_start (args, format);
  g_free (check->result->failure);
  check->result->failure = g_strdup_vprintf (format, args);
  va_end (args);
}

/* 2^(STEP_LOG2 + floor(log2 sqrt(max(1, |x|)))): the rounding error of a
 * difference grows with |x|, the curvature of most functions does not, so
 * the step grows more slowly than |x|. */
double
nn_plugin_check_step_for (double x)
{
  int e;

  frexp (sqrt (MAX (1.0, fabs (x))), &e);
  return ldexp (1.0, STEP_LOG2 + e - 1);
}

/* The largest power of two not above @h. */
static double
floor_pow2 (double h)
{
  int e;

  frexp (h, &e);
  return ldexp (1.0, e - 1);
}

/* The relative error counts where the relative tolerance dominates: near a
 * zero derivative, or where rounding blurs it, it means little. */
static void
record_error (NnPluginCheck *check,
              double         err,
              double         scale,
              double         floor)
{
  NnPluginCheckResult *r = check->result;

  r->max_abs_error = MAX (r->max_abs_error, err);
  if (scale >= floor / NN_PLUGIN_CHECK_RTOL)
    r->max_rel_error = MAX (r->max_rel_error, err / scale);
}

/* The change of the checked scalar at x ± @s, at the points actually
 * reached, which may differ from x ± s by a rounding. FALSE where it is not
 * finite. */
static gboolean
sample (const NnPluginCheckObjective *obj,
        gsize                         k,
        nn_real                       x,
        double                        s,
        nn_real                      *xp,
        nn_real                      *xm,
        double                       *dp,
        double                       *dm)
{
  *xp = (nn_real) ((double) x + s);
  *xm = (nn_real) ((double) x - s);
  *dp = obj->delta (obj->data, k, *xp);
  *dm = obj->delta (obj->data, k, *xm);
  return isfinite (*dp) && isfinite (*dm);
}

/* Counts a derivative @g at element @k that no finite difference agrees
 * with; @ratio is its error over the tolerance against the closest,
 * @estimate. */
static void
record_mismatch (NnPluginCheck                *check,
                 const NnPluginCheckObjective *obj,
                 gsize                         k,
                 double                        g,
                 int                           side,
                 double                        ratio,
                 double                        estimate,
                 gboolean                      kinky)
{
  check->n_mismatches++;
  if (side < 0)
    check->n_below++;
  else if (side > 0)
    check->n_above++;
  /* Report a smooth point if there is one: at a kink, the finite
   * differences shown would straddle it. */
  if (check->worst == NULL || (check->worst_at_kink && !kinky) ||
      (check->worst_at_kink == kinky && ratio > check->worst_ratio))
    {
      g_autofree char *where = obj->describe (obj->data, k);

      check->worst_ratio = ratio;
      check->worst_at_kink = kinky;
      g_free (check->worst);
      check->worst = g_strdup_printf ("at %s: %s %.9g, finite differences %.9g",
                                      where, obj->what, g, estimate);
    }
}

/* Checks the derivative @g at element @k, whose value is @x, where the
 * checked scalar is about @magnitude; @side is the sign of x (or of
 * pred - target), for the report. Returns FALSE, checking nothing, if the
 * function is not finite within 2h. */
gboolean
nn_plugin_check_point (NnPluginCheck                *check,
                       const NnPluginCheckObjective *obj,
                       gsize                         k,
                       nn_real                       x,
                       double                        h,
                       double                        g,
                       double                        magnitude,
                       int                           side)
{
  const double rtol = NN_PLUGIN_CHECK_RTOL;
  /* The change of the scalar at x ± s[i], s[i] = 2h / 2^i, filled as the
   * smaller steps are needed. */
  double   s[N_STEPS + 1], dp[N_STEPS + 1], dm[N_STEPS + 1];
  nn_real  xp[N_STEPS + 1], xm[N_STEPS + 1];
  double   best_ratio = INFINITY, best_estimate = 0, best_err = 0, best_scale = 0;
  double   best_floor = 0;
  gboolean kinky = FALSE;

  for (int i = 0; i <= N_STEPS; i++)
    s[i] = ldexp (h, 1 - i);
  for (int i = 0; i <= 1; i++)
    if (!sample (obj, k, x, s[i], &xp[i], &xm[i], &dp[i], &dm[i]))
      return FALSE;
  check->result->n_points++;

  /* At each step s[j], from h down: the central difference C, and the
   * second-order one-sided differences L and R, which use x ± 2s[j]. */
  for (int j = 1; j <= N_STEPS; j++)
    {
      double   c, l, r, m, e_c, e_m, scale, floor_c, floor_m, tol_c, tol_m;
      gboolean near_kink;

      if (j > 1 && (!sample (obj, k, x, s[j], &xp[j], &xm[j], &dp[j], &dm[j]) ||
                    xp[j] == xm[j]))
        break;
      /* The actual points, which may differ from x ± s by a rounding. */
      c = (dp[j] - dm[j]) / ((double) xp[j] - (double) xm[j]);
      r = (4 * dp[j] - dp[j - 1]) / (2 * s[j]);
      l = (dm[j - 1] - 4 * dm[j]) / (2 * s[j]);
      m = (l + r) / 2;
      scale = MAX (fabs (g), MAX (fabs (c), fabs (m)));
      /* Plus the rounding of the scalar, divided by the step: the
       * resolution of a difference quotient (L and R weigh their values more). */
      floor_c = obj->atol + obj->eps * magnitude / s[j];
      floor_m = obj->atol + 2.5 * obj->eps * magnitude / s[j];
      tol_c = floor_c + rtol * scale;
      tol_m = floor_m + rtol * scale;
      /* Smooth, L and R agree to O(s³); within 2s of a kink, they differ
       * by a share of the jump in slope, except where the kink cancels out
       * of R, but then L and R are both exact and so is their mean. */
      near_kink = fabs (r - l) > tol_m;
      kinky = kinky || near_kink;

      /* C; the mean of L and R, which is exact where only the curvature
       * jumps at x (elu at 0) while C errs by s/4 of the jump; or L or R
       * alone, one of which is exact next to a kink that C straddles. Every
       * one is good to O(s²) where the function is smooth. Near a kink the
       * errors say nothing about the plugin and stay out of the maxima. */
      e_c = fabs (g - c);
      e_m = MIN (fabs (g - m), MIN (fabs (g - l), fabs (g - r)));
      if (e_c <= tol_c || e_m <= tol_m)
        {
          gboolean central = e_c <= tol_c && e_c <= e_m;

          if (near_kink)
            check->result->n_kinks++;
          else
            record_error (check, central ? e_c : e_m, scale, central ? floor_c : floor_m);
          return TRUE;
        }
      /* At a kink the derivative lies between the one-sided ones (relu at
       * 0 may say 0 or 1, |z| at 0 may say 0). */
      if (near_kink && g >= MIN (l, r) - tol_m && g <= MAX (l, r) + tol_m)
        {
          check->result->n_kinks++;
          return TRUE;
        }
      if (fabs (g - c) / tol_c < best_ratio)
        {
          best_ratio = fabs (g - c) / tol_c;
          best_estimate = c;
          best_err = fabs (g - c);
          best_scale = scale;
          best_floor = floor_c;
        }
    }

  record_error (check, best_err, best_scale, best_floor);
  record_mismatch (check, obj, k, g, side, best_ratio, best_estimate, kinky);
  return TRUE;
}

static void
fill_nan (NnMatrix *m)
{
  nn_matrix_fill (m, (nn_real) NAN);
}

static gboolean
same_bits (const NnMatrix *a,
           const NnMatrix *b)
{
  return memcmp (a->data, b->data, nn_matrix_size (a) * sizeof (nn_real)) == 0;
}

/* Computes into @out. */
typedef void (*ComputeFunc) (gpointer  data,
                             NnMatrix *out);

/* Runs @compute twice into NaN, once into other garbage: the same bits each
 * time, or a failure naming @method. @scratch is of the shape of @out. */
static gboolean
check_writes_all (NnPluginCheck *check,
                  const char    *method,
                  ComputeFunc    compute,
                  gpointer       data,
                  NnMatrix      *out,
                  NnMatrix      *scratch)
{
  fill_nan (out);
  compute (data, out);
  fill_nan (scratch);
  compute (data, scratch);
  if (!same_bits (out, scratch))
    {
      nn_plugin_check_fail (check, "%s is not deterministic: two calls on the same input differ",
                            method);
      return FALSE;
    }
  nn_matrix_fill (scratch, 7);
  compute (data, scratch);
  if (!same_bits (out, scratch))
    {
      nn_plugin_check_fail (check, "%s's result depends on what the output matrix held: "
                                   "it must write every element",
                            method);
      return FALSE;
    }
  return TRUE;
}

static gboolean
nearly_equal (double a,
              double b)
{
  if (a == b)
    return TRUE;
  return fabs (a - b) <= SAME_RTOL * MAX (fabs (a), fabs (b)) + 4 * NN_REAL_MIN;
}

/* Activations */

typedef struct
{
  NnActivation *act;
  NnMatrix     *z;      /* the input; restored after each change */
  NnMatrix     *a;      /* forward (z) */
  NnMatrix     *grad_a; /* the upstream gradient */
  NnMatrix     *grad_z; /* backward (z, a, grad_a) */
  NnMatrix     *tmp;
} ActivationPoint;

/* The change of sum(grad_a ⊙ f(z)): its derivative is backward's result. */
static double
activation_delta (gpointer data,
                  gsize    k,
                  nn_real  value)
{
  ActivationPoint *p = data;
  nn_real          saved = p->z->data[k];
  gsize            n = nn_matrix_size (p->z);
  double           sum = 0;

  p->z->data[k] = value;
  nn_activation_forward (p->act, p->z, p->tmp);
  p->z->data[k] = saved;
  /* Only the outputs that changed: exact zeros for the rest, and no
   * inf - inf where an untouched output overflowed. */
  for (gsize j = 0; j < n; j++)
    if (p->tmp->data[j] != p->a->data[j])
      sum += (double) p->grad_a->data[j] * ((double) p->tmp->data[j] - (double) p->a->data[j]);
  return sum;
}

static char *
activation_describe (gpointer data,
                     gsize    k)
{
  ActivationPoint *p = data;

  return g_strdup_printf ("z = %.6g (batch %u × %u)", (double) p->z->data[k],
                          p->z->rows, p->z->cols);
}

static void
activation_forward_into (gpointer  data,
                         NnMatrix *out)
{
  ActivationPoint *p = data;

  nn_activation_forward (p->act, p->z, out);
}

static void
activation_backward_into (gpointer  data,
                          NnMatrix *out)
{
  ActivationPoint *p = data;

  nn_activation_backward (p->act, p->z, p->a, p->grad_a, out);
}

/* A row of a batch must come out as it does alone: a layer's samples are
 * independent. */
static void
check_activation_rows (NnPluginCheck  *check,
                       NnActivation   *act,
                       const NnMatrix *z,
                       const NnMatrix *a,
                       const NnMatrix *grad_a,
                       const NnMatrix *grad_z)
{
  g_autoptr(NnMatrix) row_a = nn_matrix_new (1, z->cols);
  g_autoptr(NnMatrix) row_grad = nn_matrix_new (1, z->cols);

  for (guint r = 0; r < z->rows; r++)
    {
      NnMatrix zr = nn_matrix_view_rows (z, r, 1);
      NnMatrix ar = nn_matrix_view_rows (a, r, 1);
      NnMatrix gr = nn_matrix_view_rows (grad_a, r, 1);

      nn_activation_forward (act, &zr, row_a);
      nn_activation_backward (act, &zr, &ar, &gr, row_grad);
      for (guint c = 0; c < z->cols; c++)
        {
          double batch_a = NN_MATRIX_AT (a, r, c), alone_a = row_a->data[c];
          double batch_g = NN_MATRIX_AT (grad_z, r, c), alone_g = row_grad->data[c];

          if (!nearly_equal (batch_a, alone_a))
            {
              nn_plugin_check_fail (check, "forward of row %u of a batch of %u differs from the same "
                                           "row alone: %.9g against %.9g at z = %.6g",
                                    r + 1, z->rows,
                                    batch_a, alone_a, (double) NN_MATRIX_AT (z, r, c));
              return;
            }
          if (!nearly_equal (batch_g, alone_g))
            {
              nn_plugin_check_fail (check, "backward of row %u of a batch of %u differs from the same "
                                           "row alone: %.9g against %.9g at z = %.6g",
                                    r + 1, z->rows,
                                    batch_g, alone_g, (double) NN_MATRIX_AT (z, r, c));
              return;
            }
        }
    }
}

static void
draw_activation_input (NnMatrix *z,
                       NnMatrix *grad_a,
                       GRand    *rand,
                       double    scale)
{
  gsize n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    {
      z->data[i] = (nn_real) g_rand_double_range (rand, -scale, scale);
      /* Away from 0, so that every point tests the derivative. */
      grad_a->data[i] = (nn_real) (g_rand_double_range (rand, 0.5, 1.5) *
                                   (g_rand_boolean (rand) ? 1 : -1));
    }
  if (scale < 1 && n > 1)
    z->data[n / 2] = 0; /* exactly at the kink of relu and its kind */
}

/* Checks backward's result, @grad_z, against finite differences of
 * forward at every element. */
static void
check_activation_derivatives (NnPluginCheck          *check,
                              NnPluginCheckObjective *obj,
                              gboolean                large)
{
  ActivationPoint *p = obj->data;
  const NnMatrix  *z = p->z, *a = p->a, *grad_a = p->grad_a, *grad_z = p->grad_z;
  guint            rows = z->rows, cols = z->cols;

  for (gsize k = 0; k < nn_matrix_size (z); k++)
    {
      nn_real x = z->data[k];
      guint   row = k / cols;
      double  magnitude = 0;

      if (!isfinite (a->data[k]))
        continue; /* overflowed, at the large scale only */
      /* A change of z may move every output of its row (softmax). */
      for (guint c = 0; c < cols; c++)
        if (isfinite (NN_MATRIX_AT (a, row, c)))
          magnitude = MAX (magnitude, fabs ((double) NN_MATRIX_AT (grad_a, row, c) *
                                            (double) NN_MATRIX_AT (a, row, c)));
      if (!nn_plugin_check_point (check, obj, k, x, nn_plugin_check_step_for (x), grad_z->data[k], magnitude,
                                  (x > 0) - (x < 0)) &&
          !large)
        {
          nn_plugin_check_fail (check, "forward is not finite near z = %.6g (batch %u × %u)",
                                (double) x, rows, cols);
          return;
        }
    }
}

static void
check_activation_batch (NnPluginCheck *check,
                        NnActivation  *act,
                        GRand         *rand,
                        guint          rows,
                        guint          cols,
                        double         scale)
{
  g_autoptr(NnMatrix) z = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) grad_a = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) a = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) grad_z = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) scratch = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) tmp = nn_matrix_new (rows, cols);
  const gboolean  large = scale >= LARGE_SCALE;
  gsize           n = nn_matrix_size (z);
  ActivationPoint point = { act, z, a, grad_a, grad_z, tmp };
  /* Two outputs rounded to the nearest differ by up to one ulp. */
  NnPluginCheckObjective obj = { activation_delta, activation_describe, &point, "backward",
                                 NN_PLUGIN_CHECK_ATOL, 2 * NN_REAL_EPSILON };

  draw_activation_input (z, grad_a, rand, scale);

  if (!check_writes_all (check, "forward", activation_forward_into, &point, a, scratch))
    return;
  for (gsize i = 0; i < n; i++)
    if (isnan (a->data[i]) || (!large && !isfinite (a->data[i])))
      {
        nn_plugin_check_fail (check, "forward gives %g at z = %.6g (batch %u × %u)", (double) a->data[i],
                              (double) z->data[i], rows, cols);
        return;
      }

  if (!check_writes_all (check, "backward", activation_backward_into, &point, grad_z, scratch))
    return;
  for (gsize i = 0; i < n; i++)
    if (isfinite (a->data[i]) && !isfinite (grad_z->data[i]))
      {
        nn_plugin_check_fail (check, "backward gives %g at z = %.6g (batch %u × %u), where forward "
                                     "gives %.6g",
                              (double) grad_z->data[i], (double) z->data[i], rows, cols,
                              (double) a->data[i]);
        return;
      }

  if (rows > 1)
    {
      check_activation_rows (check, act, z, a, grad_a, grad_z);
      if (check->failed_hard)
        return;
    }
  check_activation_derivatives (check, &obj, large);
}

static void
check_activation (NnPluginCheck *check,
                  NnActivation  *act,
                  guint32        seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  for (gsize s = 0; s < G_N_ELEMENTS (scales); s++)
    for (guint draw = 0; draw < N_DRAWS; draw++)
      for (gsize i = 0; i < G_N_ELEMENTS (activation_shapes); i++)
        {
          check_activation_batch (check, act, rand, activation_shapes[i][0],
                                  activation_shapes[i][1], scales[s]);
          if (check->failed_hard)
            return;
        }
}

/* Losses */

typedef struct
{
  NnLoss   *loss;
  NnMatrix *pred; /* restored after each change */
  NnMatrix *target;
  double    value; /* the loss at pred */
} LossPoint;

static double
loss_delta (gpointer data,
            gsize    k,
            nn_real  value)
{
  LossPoint *p = data;
  nn_real    saved = p->pred->data[k];
  double     v;

  p->pred->data[k] = value;
  v = nn_loss_compute (p->loss, p->pred, p->target);
  p->pred->data[k] = saved;
  return v - p->value;
}

static char *
loss_describe (gpointer data,
               gsize    k)
{
  LossPoint *p = data;

  return g_strdup_printf ("pred = %.6g, target = %.6g (batch %u × %u)",
                          (double) p->pred->data[k], (double) p->target->data[k],
                          p->pred->rows, p->pred->cols);
}

static void
loss_gradient_into (gpointer  data,
                    NnMatrix *out)
{
  LossPoint *p = data;

  nn_loss_gradient (p->loss, p->pred, p->target, out);
}

/* A loss meant for probabilities (a cross-entropy) grows without bound as
 * a prediction leaves the right label for the edge of (0, 1); a loss of
 * real values barely moves there. Outside (0, 1) the former is undefined,
 * so it is checked inside only. */
static gboolean
loss_wants_probabilities (NnLoss *loss)
{
  g_autoptr(NnMatrix) p = nn_matrix_new (1, 1);
  g_autoptr(NnMatrix) y = nn_matrix_new (1, 1);

  for (int label = 0; label <= 1; label++)
    {
      double near, edge;

      y->data[0] = (nn_real) label;
      p->data[0] = (nn_real) (label ? 1e-3 : 1 - 1e-3);
      near = nn_loss_compute (loss, p, y);
      p->data[0] = (nn_real) (label ? 1e-6 : 1 - 1e-6);
      edge = nn_loss_compute (loss, p, y);
      if (isfinite (near) && (!isfinite (edge) || edge - near > 3))
        return TRUE;
    }
  return FALSE;
}

/* @scale 0: probabilities in (0, 1) with labels 0 and 1; otherwise
 * predictions and targets uniform in (-scale, scale). */
static void
draw_loss_input (NnMatrix *pred,
                 NnMatrix *target,
                 GRand    *rand,
                 double    scale)
{
  for (gsize i = 0; i < nn_matrix_size (pred); i++)
    if (scale == 0)
      {
        /* Logistic of a uniform draw: dense near 0 and 1 as well. */
        pred->data[i] = (nn_real) (1 / (1 + exp (-g_rand_double_range (rand, -7, 7))));
        target->data[i] = g_rand_boolean (rand) ? 1 : 0;
      }
    else
      {
        pred->data[i] = (nn_real) g_rand_double_range (rand, -scale, scale);
        target->data[i] = (nn_real) g_rand_double_range (rand, -scale, scale);
      }
}

/* The loss of a batch, @v, must be the mean of the losses of its rows,
 * which compute_rows, if the loss has it, must give. */
static gboolean
check_loss_mean (NnPluginCheck  *check,
                 NnLoss         *loss,
                 const NnMatrix *pred,
                 const NnMatrix *target,
                 double          v)
{
  guint              rows = pred->rows;
  double             mean = 0;
  g_autofree double *each = g_new (double, MAX (rows, 1));

  nn_loss_compute_rows (loss, pred, target, each);
  for (guint r = 0; r < rows; r++)
    {
      NnMatrix pr = nn_matrix_view_rows (pred, r, 1);
      NnMatrix tr = nn_matrix_view_rows (target, r, 1);
      double   alone = nn_loss_compute (loss, &pr, &tr);

      if (!(fabs (each[r] - alone) <= MEAN_RTOL * MAX (fabs (each[r]), fabs (alone)) + 1e-300))
        {
          nn_plugin_check_fail (check, "compute_rows gives row %u of a batch of %u × %u a loss of %.9g, "
                                       "compute %.9g",
                                r + 1, rows, pred->cols, each[r], alone);
          return FALSE;
        }
      mean += alone / rows;
    }
  if (!(fabs (mean - v) <= MEAN_RTOL * MAX (fabs (mean), fabs (v)) + 1e-300))
    {
      nn_plugin_check_fail (check, "the loss of a batch of %u × %u, %.9g, is not the mean of the "
                                   "losses of its rows, %.9g: a loss must be a mean over samples",
                            rows, pred->cols, v, mean);
      return FALSE;
    }
  return TRUE;
}

/* Checks the gradient @grad against finite differences of compute at
 * every element. */
static void
check_loss_derivatives (NnPluginCheck          *check,
                        NnPluginCheckObjective *obj,
                        const NnMatrix         *grad,
                        gboolean                probabilities,
                        gboolean                large)
{
  LossPoint      *p = obj->data;
  const NnMatrix *pred = p->pred, *target = p->target;

  for (gsize k = 0; k < nn_matrix_size (pred); k++)
    {
      nn_real x = pred->data[k];
      double  h = nn_plugin_check_step_for (x);

      /* Inside (0, 1), and small enough for the curvature of log p:
       * the truncation error of C(h) is h² / 3p² of the derivative. */
      if (probabilities)
        h = MIN (h, floor_pow2 (MIN ((double) x, 1 - (double) x) * ldexp (1, STEP_LOG2 + 2)));
      if (!nn_plugin_check_point (check, obj, k, x, h, grad->data[k], fabs (p->value),
                                  (x > target->data[k]) - (x < target->data[k])) &&
          !large)
        {
          nn_plugin_check_fail (check, "compute is not finite near pred = %.6g, target = %.6g "
                                       "(batch %u × %u)",
                                (double) x, (double) target->data[k],
                                pred->rows, pred->cols);
          return;
        }
    }
}

/* @scale as for draw_loss_input(). */
static void
check_loss_batch (NnPluginCheck *check,
                  NnLoss        *loss,
                  GRand         *rand,
                  guint          rows,
                  guint          cols,
                  double         scale)
{
  g_autoptr(NnMatrix) pred = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) target = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) grad = nn_matrix_new (rows, cols);
  g_autoptr(NnMatrix) scratch = nn_matrix_new (rows, cols);
  const gboolean probabilities = scale == 0;
  const gboolean large = scale >= LARGE_SCALE;
  gsize          n = nn_matrix_size (pred);
  LossPoint      point = { loss, pred, target, 0 };
  /* compute returns a double computed in double precision (NnLossClass),
   * a sum of n terms. */
  NnPluginCheckObjective obj = { loss_delta, loss_describe, &point, "gradient",
                                 NN_PLUGIN_CHECK_ATOL / (double) n, 16 * DBL_EPSILON };
  double                 v, v2;

  draw_loss_input (pred, target, rand, scale);

  v = nn_loss_compute (loss, pred, target);
  v2 = nn_loss_compute (loss, pred, target);
  if (memcmp (&v, &v2, sizeof v) != 0)
    {
      nn_plugin_check_fail (check, "compute is not deterministic: two calls on the same input differ");
      return;
    }
  if (!isfinite (v))
    {
      if (large && !isnan (v))
        return; /* overflowed */
      nn_plugin_check_fail (check, "compute gives %g on a batch of %u × %u %s", v, rows, cols,
                            probabilities ? "probabilities" : "finite values");
      return;
    }
  point.value = v;
  if (rows > 1 && !check_loss_mean (check, loss, pred, target, v))
    return;

  if (!check_writes_all (check, "gradient", loss_gradient_into, &point, grad, scratch))
    return;
  for (gsize i = 0; i < n; i++)
    if (!isfinite (grad->data[i]))
      {
        nn_plugin_check_fail (check, "gradient gives %g at pred = %.6g, target = %.6g (batch %u × %u)",
                              (double) grad->data[i], (double) pred->data[i],
                              (double) target->data[i], rows, cols);
        return;
      }
  check_loss_derivatives (check, &obj, grad, probabilities, large);
}

/* #NnLossClass.output_gradient, where the loss has one, against the
 * gradient taken back through each registered activation it accepts, at
 * moderate logits and one-hot targets (which suit every loss); an
 * activation it declines must leave the matrix alone. */
static void
check_output_gradients (NnPluginCheck *check,
                        NnLoss        *loss,
                        GRand         *rand)
{
  g_auto(GStrv) names = nn_plugins_list (NN_ACTIVATION_EXTENSION_POINT_NAME);
  const guint rows = 6, cols = 3;

  if (NN_LOSS_GET_CLASS (loss)->output_gradient == NULL)
    return;
  for (gsize k = 0; names != NULL && names[k] != NULL && !check->failed_hard; k++)
    {
      g_autoptr(NnActivation) activation = nn_activation_new_by_name (names[k], NULL);
      g_autoptr(NnMatrix) z = nn_matrix_new (rows, cols);
      g_autoptr(NnMatrix) a = nn_matrix_new (rows, cols);
      g_autoptr(NnMatrix) target = nn_matrix_new (rows, cols);
      g_autoptr(NnMatrix) grad_a = nn_matrix_new (rows, cols);
      g_autoptr(NnMatrix) chained = nn_matrix_new (rows, cols);
      g_autoptr(NnMatrix) joint = nn_matrix_new (rows, cols);
      double largest = 0;

      if (activation == NULL)
        continue;
      for (guint r = 0; r < rows; r++)
        {
          guint hot = (guint) g_rand_int_range (rand, 0, (gint32) cols);

          for (guint c = 0; c < cols; c++)
            {
              NN_MATRIX_AT (z, r, c) = (nn_real) g_rand_double_range (rand, -3, 3);
              NN_MATRIX_AT (target, r, c) = c == hot;
            }
        }
      nn_activation_forward (activation, z, a);
      nn_matrix_fill (joint, 7);
      if (!nn_loss_output_gradient (loss, activation, a, target, joint))
        {
          if (joint->data[0] != 7 || joint->data[nn_matrix_size (joint) - 1] != 7)
            nn_plugin_check_fail (check, "output_gradient returned FALSE after %s but wrote the "
                                         "matrix",
                                  names[k]);
          continue;
        }
      nn_loss_gradient (loss, a, target, grad_a);
      nn_activation_backward (activation, z, a, grad_a, chained);
      for (gsize i = 0; i < nn_matrix_size (chained); i++)
        largest = MAX (largest, fabs ((double) chained->data[i]));
      for (gsize i = 0; i < nn_matrix_size (chained); i++)
        if (!(fabs ((double) joint->data[i] - chained->data[i]) <= JOINT_RTOL * largest))
          {
            nn_plugin_check_fail (check, "output_gradient after %s gives %.9g at z = %.6g, target "
                                         "= %g, where the gradient taken back through %s is %.9g",
                                  names[k], (double) joint->data[i], (double) z->data[i],
                                  (double) target->data[i], names[k], (double) chained->data[i]);
            break;
          }
    }
}

static void
check_loss (NnPluginCheck *check,
            NnLoss        *loss,
            guint32        seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  gboolean reals = !loss_wants_probabilities (loss);

  g_free (check->result->domain);
  check->result->domain = g_strdup (reals ? "reals" : "probabilities");

  /* Probabilities with 0/1 labels suit every loss; reals only the others. */
  for (guint draw = 0; draw < 2 * N_DRAWS; draw++)
    for (gsize i = 0; i < G_N_ELEMENTS (loss_shapes); i++)
      {
        check_loss_batch (check, loss, rand, loss_shapes[i][0], loss_shapes[i][1], 0);
        if (check->failed_hard)
          return;
      }
  for (gsize s = 0; reals && s < G_N_ELEMENTS (scales); s++)
    for (guint draw = 0; draw < N_DRAWS; draw++)
      for (gsize i = 0; i < G_N_ELEMENTS (loss_shapes); i++)
        {
          check_loss_batch (check, loss, rand, loss_shapes[i][0], loss_shapes[i][1],
                            scales[s]);
          if (check->failed_hard)
            return;
        }
  check_output_gradients (check, loss, rand);
}

static NnPluginCheckResult *
check_setting (GType         type,
               const char   *name,
               GParamSpec   *pspec,
               const GValue *value,
               guint32       seed)
{
  NnPluginCheckResult *result = g_new0 (NnPluginCheckResult, 1);
  const gboolean       is_activation = g_type_is_a (type, NN_TYPE_ACTIVATION);
  g_autoptr(GObject) object = NULL;
  NnPluginCheck check = { result };
  const char   *variable = is_activation ? "z" : "pred";
  const char   *zero = is_activation ? "0" : "target";

  result->name = g_strdup (name);
  result->kind = g_strdup (is_activation ? "activation" : "loss");
  result->setting = pspec ? nn_plugin_check_setting_label (pspec, value) : g_strdup ("default");
  result->domain = g_strdup ("reals");
  result->passed = TRUE;

  if (pspec != NULL)
    object = g_object_new_with_properties (type, 1, (const char **) &pspec->name, value);
  else
    object = g_object_new (type, NULL);

  if (is_activation)
    {
      NnActivationClass *klass = NN_ACTIVATION_GET_CLASS (object);

      if (klass->forward == NULL || klass->backward == NULL)
        nn_plugin_check_fail (&check, "the class does not implement %s",
                              klass->forward == NULL ? "forward" : "backward");
      else
        check_activation (&check, NN_ACTIVATION (object), seed);
    }
  else
    {
      NnLossClass *klass = NN_LOSS_GET_CLASS (object);

      if (klass->compute == NULL || klass->gradient == NULL)
        nn_plugin_check_fail (&check, "the class does not implement %s",
                              klass->compute == NULL ? "compute" : "gradient");
      else
        check_loss (&check, NN_LOSS (object), seed);
    }

  if (!check.failed_hard && check.n_mismatches > 0)
    {
      g_autofree char *where = NULL;
      gboolean         some_at_zero = check.n_below + check.n_above < check.n_mismatches;

      /* A bug in one branch shows as failures on one side only. */
      if (check.n_mismatches >= 3 && check.n_above == 0 && check.n_below > 0)
        where = g_strdup_printf (" (all where %s %s %s)", variable, some_at_zero ? "≤" : "<",
                                 zero);
      else if (check.n_mismatches >= 3 && check.n_below == 0 && check.n_above > 0)
        where = g_strdup_printf (" (all where %s %s %s)", variable, some_at_zero ? "≥" : ">",
                                 zero);
      nn_plugin_check_fail (&check, "%s disagrees with finite differences at %u of %u points%s; "
                                    "worst %s",
                            is_activation ? "backward" : "gradient", check.n_mismatches,
                            result->n_points, where ? where : "", check.worst);
    }
  else if (!check.failed_hard && result->n_points == 0)
    nn_plugin_check_fail (&check, "no point could be checked: the function is nowhere finite");
  else if (!check.failed_hard && result->n_kinks > NN_PLUGIN_CHECK_MAX_KINK_SHARE * result->n_points)
    nn_plugin_check_fail (&check, "the function is not smooth at %u of %u points: it is noisy or "
                                  "discontinuous at the scale of the step",
                          result->n_kinks, result->n_points);

  g_free (check.worst);
  return result;
}

/**
 * nn_plugin_check_type:
 * @type: a registered activation or loss type
 * @seed: seeds the random points; the same seed checks the same points
 * @error: return location for a #GError
 *
 * Checks a plugin class the way `nnrun check-plugin` does, once with its
 * default parameters and once more for each parameter set away from its
 * default (a number to twice or half its default, within its range; a
 * boolean flipped; another enumeration value).
 *
 * For an activation, backward is compared with central finite differences
 * of forward at random points at the scales 0.1 (and 0 itself), 1, 10 and
 * 1000, in batches of 1 × 1, 1 × 5 and 7 × 5; for a loss, the gradient with
 * respect to the predictions, on probabilities in (0, 1) with 0/1 labels
 * and, unless the loss is a cross-entropy of probabilities, on values at
 * the same scales. Forward (compute) and backward (gradient) must also be
 * deterministic, write every output element, give finite values on finite
 * inputs (at the scale 1000, an overflow to ±inf is allowed), treat the
 * rows of a batch independently, and a loss must be the mean over the rows.
 *
 * Returns: (transfer full) (element-type NnPluginCheckResult): one result
 *   per setting, the default first, or %NULL with @error set if @type is
 *   neither an activation nor a loss
 */
GPtrArray *
nn_plugin_check_type (GType    type,
                      guint32  seed,
                      GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return nn_plugin_check_each_setting (type,
                                       g_type_is_a (type, NN_TYPE_ACTIVATION) ||
                                         g_type_is_a (type, NN_TYPE_LOSS),
                                       "an activation or a loss", seed, check_setting, error);
}
