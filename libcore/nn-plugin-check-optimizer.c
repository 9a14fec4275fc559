/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checking an optimizer plugin: what can be asked of any optimizer without
 * knowing its rule. On a convex quadratic it must keep the parameters
 * finite and (with its defaults) lower the loss, take the same steps twice
 * from the same start, and, resumed from the state it saves, go on exactly
 * as if it had not stopped (a checkpoint resumes training through that
 * state). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-matrix.h"
#include "nn-optimizer.h"
#include "nn-plugin-check.h"
#include "nn-plugin-check-private.h"

/* Steps of a run; the resumed run stops after half of them. */
#define N_STEPS 200
#define N_PARAMS 2

typedef struct
{
  NnMatrix *target[N_PARAMS];
  NnMatrix *curvature[N_PARAMS];
  NnMatrix *start[N_PARAMS];
} Problem;

typedef struct
{
  NnMatrix *params[N_PARAMS];
  NnMatrix *grads[N_PARAMS];
} Run;

static void
problem_clear (Problem *problem)
{
  for (guint i = 0; i < N_PARAMS; i++)
    {
      g_clear_pointer (&problem->target[i], nn_matrix_free);
      g_clear_pointer (&problem->curvature[i], nn_matrix_free);
      g_clear_pointer (&problem->start[i], nn_matrix_free);
    }
}

static void
run_clear (Run *run)
{
  for (guint i = 0; i < N_PARAMS; i++)
    {
      g_clear_pointer (&run->params[i], nn_matrix_free);
      g_clear_pointer (&run->grads[i], nn_matrix_free);
    }
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Problem, problem_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* The shapes of a layer's weights and bias. */
static void
problem_init (Problem *problem,
              guint32  seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  const guint rows[N_PARAMS] = { 2, 1 };

  for (guint i = 0; i < N_PARAMS; i++)
    {
      problem->target[i] = nn_matrix_new (rows[i], 3);
      problem->curvature[i] = nn_matrix_new (rows[i], 3);
      problem->start[i] = nn_matrix_new (rows[i], 3);
      for (gsize k = 0; k < nn_matrix_size (problem->target[i]); k++)
        {
          problem->target[i]->data[k] = (nn_real) g_rand_double_range (rand, -1, 1);
          problem->curvature[i]->data[k] = (nn_real) g_rand_double_range (rand, 0.5, 2);
          problem->start[i]->data[k] = (nn_real) g_rand_double_range (rand, -1, 1);
        }
    }
}

static void
run_init (Run             *run,
          const NnMatrix **from)
{
  for (guint i = 0; i < N_PARAMS; i++)
    {
      run->params[i] = nn_matrix_copy (from[i]);
      run->grads[i] = nn_matrix_new (from[i]->rows, from[i]->cols);
    }
}

/* f = ½ Σ a (θ − c)², and its gradient into the run's grads. */
static double
loss_and_gradient (const Problem *problem,
                   Run           *run)
{
  double f = 0;

  for (guint i = 0; i < N_PARAMS; i++)
    for (gsize k = 0; k < nn_matrix_size (run->params[i]); k++)
      {
        double d = (double) run->params[i]->data[k] - (double) problem->target[i]->data[k];
        double a = problem->curvature[i]->data[k];

        f += 0.5 * a * d * d;
        run->grads[i]->data[k] = (nn_real) (a * d);
      }
  return f;
}

static gboolean
run_is_finite (const Run *run)
{
  for (guint i = 0; i < N_PARAMS; i++)
    for (gsize k = 0; k < nn_matrix_size (run->params[i]); k++)
      if (!isfinite (run->params[i]->data[k]))
        return FALSE;
  return TRUE;
}

/* Steps @first + 1 to @last; FALSE at the first step whose parameters are
 * not finite, which @bad_step gets. */
static gboolean
take_steps (NnOptimizer   *optimizer,
            const Problem *problem,
            Run           *run,
            guint          first,
            guint          last,
            guint         *bad_step)
{
  for (guint step = first + 1; step <= last; step++)
    {
      loss_and_gradient (problem, run);
      nn_optimizer_step (optimizer, N_PARAMS, run->params, (const NnMatrix **) run->grads);
      if (!run_is_finite (run))
        {
          *bad_step = step;
          return FALSE;
        }
    }
  return TRUE;
}

static double
max_difference (const Run *a,
                const Run *b,
                double    *scale)
{
  double diff = 0;

  *scale = 0;
  for (guint i = 0; i < N_PARAMS; i++)
    for (gsize k = 0; k < nn_matrix_size (a->params[i]); k++)
      {
        diff = MAX (diff, fabs ((double) a->params[i]->data[k] - (double) b->params[i]->data[k]));
        *scale = MAX (*scale, fabs ((double) a->params[i]->data[k]));
      }
  return diff;
}

static NnOptimizer *
new_optimizer (GType          type,
               GParamSpec    *pspec,
               const GValue  *value,
               const Problem *problem)
{
  NnOptimizer *optimizer;

  if (pspec != NULL)
    optimizer = NN_OPTIMIZER (g_object_new_with_properties (type, 1,
                                                            (const char **) &pspec->name,
                                                            value));
  else
    optimizer = g_object_new (type, NULL);
  nn_optimizer_prepare (optimizer, N_PARAMS, (const NnMatrix **) problem->start);
  return optimizer;
}

static NnPluginCheckResult *
check_setting (GType         type,
               const char   *name,
               GParamSpec   *pspec,
               const GValue *value,
               guint32       seed)
{
  NnPluginCheckResult *result = g_new0 (NnPluginCheckResult, 1);
  g_auto(Problem) problem = { { NULL } };
  g_auto(Run) whole = { { NULL } };
  g_auto(Run) again = { { NULL } };
  g_auto(Run) resumed = { { NULL } };
  g_autoptr(NnOptimizer) first = NULL;
  g_autoptr(NnOptimizer) second = NULL;
  g_autoptr(NnOptimizer) third = NULL;
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GError) error = NULL;
  double start_loss, end_loss, diff, scale;
  guint  bad_step = 0;

  result->name = g_strdup (name);
  result->kind = g_strdup ("optimizer");
  result->setting = pspec ? nn_plugin_check_setting_label (pspec, value) : g_strdup ("default");
  result->domain = g_strdup ("quadratic");
  result->n_points = N_STEPS;
  result->passed = TRUE;

  problem_init (&problem, seed);
  first = new_optimizer (type, pspec, value, &problem);
  if (NN_OPTIMIZER_GET_CLASS (first)->update == NULL)
    {
      result->passed = FALSE;
      result->failure = g_strdup ("the class does not implement update");
      return result;
    }

  /* One run of every step. */
  run_init (&whole, (const NnMatrix **) problem.start);
  start_loss = loss_and_gradient (&problem, &whole);
  if (!take_steps (first, &problem, &whole, 0, N_STEPS, &bad_step))
    {
      result->passed = FALSE;
      result->failure = g_strdup_printf ("a parameter is not finite after step %u on a convex "
                                         "quadratic",
                                         bad_step);
      return result;
    }
  /* Only with its defaults: a parameter set away from them (a growth
   * factor doubled) may make an optimizer oscillate, by design. */
  end_loss = loss_and_gradient (&problem, &whole);
  if (pspec == NULL && !(end_loss < start_loss))
    {
      result->passed = FALSE;
      result->failure = g_strdup_printf ("after %u steps on a convex quadratic the loss is %g, "
                                         "not below its start, %g",
                                         N_STEPS, end_loss,
                                         start_loss);
      return result;
    }

  /* The same run again, stopped halfway and its state saved... */
  second = new_optimizer (type, pspec, value, &problem);
  run_init (&again, (const NnMatrix **) problem.start);
  take_steps (second, &problem, &again, 0, N_STEPS / 2, &bad_step);
  state = nn_optimizer_save_state (second);
  /* ...then a new optimizer from that state and those parameters. */
  third = new_optimizer (type, pspec, value, &problem);
  run_init (&resumed, (const NnMatrix **) again.params);
  if (!nn_optimizer_load_state (third, state, &error))
    {
      result->passed = FALSE;
      result->failure = g_strdup_printf ("the state it saves does not load back: %s",
                                         error->message);
      return result;
    }
  take_steps (second, &problem, &again, N_STEPS / 2, N_STEPS, &bad_step);
  take_steps (third, &problem, &resumed, N_STEPS / 2, N_STEPS, &bad_step);

  diff = max_difference (&whole, &again, &scale);
  if (diff != 0)
    {
      result->passed = FALSE;
      result->failure = g_strdup_printf ("two runs from the same start end apart (by up to %g): "
                                         "its steps are not deterministic",
                                         diff);
      return result;
    }
  diff = max_difference (&again, &resumed, &scale);
  result->max_abs_error = diff;
  result->max_rel_error = scale > 0 ? diff / scale : diff;
  if (diff != 0)
    {
      result->passed = FALSE;
      result->failure = g_strdup_printf ("resumed from the state it saved after step %u, it "
                                         "takes other steps (parameters apart by up to %g): "
                                         "save_state and load_state miss some of its state",
                                         N_STEPS / 2, diff);
    }
  return result;
}

/**
 * nn_plugin_check_optimizer:
 * @type: a registered optimizer type
 * @seed: seeds the problem; the same seed checks the same steps
 * @error: return location for a #GError
 *
 * Checks an optimizer class the way `nnrun check-plugin` does, once with
 * its default parameters and once more for each parameter set away from
 * its default, on a convex quadratic in the shapes of a layer's weights and
 * bias, at its default learning rate: after 200 steps every parameter is
 * finite and, with the default parameters, the loss is lower than at the
 * start; a second run takes the
 * same steps; and a run resumed after step 100 from the state the
 * optimizer saved ([method@Nn.Optimizer.save_state]) ends exactly where the run
 * that did not stop ends. A result's `max_abs_error` is the largest
 * difference between those two, `max_rel_error` the same relative to the
 * largest parameter.
 *
 * Returns: (transfer full) (element-type NnPluginCheckResult): one result
 *   per setting, the default first, or %NULL with @error set if @type is
 *   not an optimizer that can be made
 */
GPtrArray *
nn_plugin_check_optimizer (GType    type,
                           guint32  seed,
                           GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return nn_plugin_check_each_setting (type, g_type_is_a (type, NN_TYPE_OPTIMIZER),
                                       "an optimizer", seed, check_setting, error);
}
