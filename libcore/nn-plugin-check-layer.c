/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `nnrun check-plugin` for layer kinds: the gradients of the backward step
 * in training against finite differences of the forward step. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-activation.h"
#include "nn-layer.h"
#include "nn-layer-private.h"
#include "nn-matrix.h"
#include "nn-plugin-check.h"
#include "nn-plugin-check-private.h"

/*
 * A layer is checked in training, where its backward step is used. The
 * scalar is S = sum(G ⊙ forward(X)) + the layer's regularization term, G a
 * fixed random upstream gradient: its derivative with respect to X is
 * backward's dL/dX, and with respect to each parameter that parameter's
 * gradient (with the regularization gradient added). A kind that draws
 * random numbers in training (dropout, noise) draws them from the step the
 * model names; the check names one step and keeps it, so every forward
 * step of the check draws the same numbers and S is a function of X and
 * the parameters alone.
 */

#define WIDTH 5
#define N_DRAWS 3
/* Any fixed step of training: the one every forward step of a check is in. */
#define STEP_KEY G_GUINT64_CONSTANT (0x9b3c6a1d52f0e874)

/* Not 0.1: a float's difference quotient cannot follow a batch
 * normalization of two rows 0.01 apart, which bends at that scale. */
static const double scales[] = { 1.0, 10.0 };
static const guint  batch_rows[] = { 1, 7 };

/* What a change of one element of the input or of one parameter changes. */
typedef struct
{
  NnLayer        *layer;
  NnMatrix       *x;      /* the input */
  const NnMatrix *a;      /* forward (x), a copy */
  const NnMatrix *grad_a; /* the upstream gradient G */
  NnMatrix       *target; /* x or a parameter; restored after each change */
  const char     *name;   /* "x" or the parameter's name */
  double          reg;    /* the regularization term at the point */
  gboolean        is_parameter;
} LayerPoint;

static gboolean
same_bits (const NnMatrix *a,
           const NnMatrix *b)
{
  return nn_matrix_same_shape (a, b) &&
         memcmp (a->data, b->data, nn_matrix_size (a) * sizeof (nn_real)) == 0;
}

static double
layer_delta (gpointer data,
             gsize    k,
             nn_real  value)
{
  LayerPoint     *p = data;
  nn_real         saved = p->target->data[k];
  const NnMatrix *out;
  double          sum = 0;

  p->target->data[k] = value;
  out = nn_layer_forward (p->layer, p->x);
  /* Only the outputs that changed: exact zeros for the rest. */
  for (gsize j = 0; j < nn_matrix_size (p->a); j++)
    if (out->data[j] != p->a->data[j])
      sum += (double) p->grad_a->data[j] * ((double) out->data[j] - (double) p->a->data[j]);
  if (p->is_parameter)
    sum += nn_layer_get_regularization_loss (p->layer) - p->reg;
  p->target->data[k] = saved;
  return sum;
}

static char *
layer_describe (gpointer data,
                gsize    k)
{
  LayerPoint *p = data;

  return g_strdup_printf ("%s[%u, %u] = %.6g (batch %u × %u)", p->name,
                          (guint) (k / p->target->cols), (guint) (k % p->target->cols),
                          (double) p->target->data[k], p->x->rows, p->x->cols);
}

/* Checks @grad, the derivative of S with respect to @point's target, at
 * every element; counts its mismatches into @n_wrong. */
static void
check_derivatives (NnPluginCheck  *check,
                   LayerPoint     *point,
                   const NnMatrix *grad,
                   double          magnitude,
                   guint          *n_wrong)
{
  g_autofree char       *what = g_strdup_printf ("dL/d%s", point->name);
  NnPluginCheckObjective obj = { layer_delta, layer_describe, point, what,
                                 NN_PLUGIN_CHECK_ATOL, 2 * NN_REAL_EPSILON };
  guint                  before = check->n_mismatches;

  for (gsize k = 0; k < nn_matrix_size (point->target) && !check->failed_hard; k++)
    {
      nn_real x = point->target->data[k];

      if (!nn_plugin_check_point (check, &obj, k, x, nn_plugin_check_step_for (x),
                                  grad->data[k], magnitude, 0))
        nn_plugin_check_fail (check, "forward is not finite near %s[%u, %u] = %.6g",
                              point->name, (guint) (k / point->target->cols),
                              (guint) (k % point->target->cols), (double) x);
    }
  *n_wrong += check->n_mismatches - before;
}

/* Evaluation is deterministic: the step named does not change it. */
static void
check_evaluation (NnPluginCheck  *check,
                  NnLayer        *layer,
                  const NnMatrix *x)
{
  g_autoptr(NnMatrix) first = NULL;
  const NnMatrix *out;

  nn_layer_set_training (layer, FALSE);
  nn_layer_set_step_key (layer, STEP_KEY + 1);
  first = nn_matrix_copy (nn_layer_forward (layer, x));
  nn_layer_set_step_key (layer, STEP_KEY + 2);
  out = nn_layer_forward (layer, x);
  if (!nn_matrix_is_finite (first))
    nn_plugin_check_fail (check, "forward in evaluation gives a value that is not finite "
                                 "(batch %u × %u)",
                          x->rows, x->cols);
  else if (!same_bits (first, out))
    nn_plugin_check_fail (check, "forward in evaluation differs from one training step to "
                                 "another: evaluation must draw no random numbers");
  nn_layer_set_training (layer, TRUE);
  nn_layer_set_step_key (layer, STEP_KEY);
}

/* Whether gradient @index is there, of its parameter's shape, finite. */
static gboolean
gradient_ok (NnLayer *layer,
             guint    index)
{
  const NnMatrix *g = nn_layer_get_gradient (layer, index);

  return g != NULL && nn_matrix_same_shape (g, nn_layer_get_parameter (layer, index)) &&
         nn_matrix_is_finite (g);
}

/* The backward step of run_steps(), asked for no dL/dX first, as for a
 * model's first layer, then for it: the parameters' gradients must be the
 * same. */
static gboolean
run_backward (NnPluginCheck  *check,
              NnLayer        *layer,
              const NnMatrix *x,
              const NnMatrix *grad_a,
              NnMatrix      **grad_x,
              GPtrArray      *grads)
{
  guint n_params = nn_layer_get_n_parameters (layer);
  g_autoptr(GPtrArray) first = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_matrix_free);
  const NnMatrix *back;

  nn_layer_backward (layer, x, grad_a, FALSE);
  for (guint i = 0; i < n_params; i++)
    if (gradient_ok (layer, i))
      g_ptr_array_add (first, nn_matrix_copy (nn_layer_get_gradient (layer, i)));

  back = nn_layer_backward (layer, x, grad_a, TRUE);
  if (back == NULL || !nn_matrix_same_shape (back, x) || !nn_matrix_is_finite (back))
    {
      const char *what = back == NULL                      ? "no"
                         : !nn_matrix_same_shape (back, x) ? "a wrongly shaped"
                                                           : "a non-finite";

      nn_plugin_check_fail (check, "backward gives %s dL/dX for a batch of %u × %u", what,
                            x->rows, x->cols);
      return FALSE;
    }
  *grad_x = nn_matrix_copy (back);
  for (guint i = 0; i < n_params; i++)
    {
      if (!gradient_ok (layer, i))
        {
          nn_plugin_check_fail (check, "the gradient of '%s' is missing, wrongly shaped or "
                                       "not finite",
                                nn_layer_get_parameter_name (layer, i));
          return FALSE;
        }
      if (i >= first->len || !same_bits (first->pdata[i], nn_layer_get_gradient (layer, i)))
        {
          nn_plugin_check_fail (check, "backward asked for no dL/dX (as for a model's first "
                                       "layer) gives another gradient of '%s' than asked for "
                                       "dL/dX",
                                nn_layer_get_parameter_name (layer, i));
          return FALSE;
        }
    }
  nn_layer_add_regularization_gradient (layer);
  for (guint i = 0; i < n_params; i++)
    g_ptr_array_add (grads, nn_matrix_copy (nn_layer_get_gradient (layer, i)));
  return TRUE;
}

/* Runs the forward and backward step at @x and @grad_a, checks what they
 * give, and keeps a copy of the output in @a, of dL/dX in @grad_x and of
 * each parameter's gradient in @grads. */
static gboolean
run_steps (NnPluginCheck  *check,
           NnLayer        *layer,
           const NnMatrix *x,
           const NnMatrix *grad_a,
           NnMatrix      **a,
           NnMatrix      **grad_x,
           GPtrArray      *grads)
{
  const NnMatrix *out = nn_layer_forward (layer, x);

  if (out == NULL)
    {
      nn_plugin_check_fail (check, "forward of a batch of %u × %u gives no output", x->rows,
                            x->cols);
      return FALSE;
    }
  if (out->rows != x->rows || out->cols != grad_a->cols)
    {
      nn_plugin_check_fail (check, "forward of a batch of %u × %u gives %u × %u, not %u × %u "
                                   "(get_n_outputs)",
                            x->rows, x->cols, out->rows, out->cols, x->rows, grad_a->cols);
      return FALSE;
    }
  *a = nn_matrix_copy (out);
  if (!nn_matrix_is_finite (*a))
    {
      nn_plugin_check_fail (check, "forward in training gives a value that is not finite "
                                   "(batch %u × %u)",
                            x->rows, x->cols);
      return FALSE;
    }
  if (!same_bits (*a, nn_layer_forward (layer, x)))
    {
      nn_plugin_check_fail (check, "forward in training is not deterministic: two forward "
                                   "steps of one training step on the same input differ (draw "
                                   "random numbers with nn_layer_get_step_uniform())");
      return FALSE;
    }

  return run_backward (check, layer, x, grad_a, grad_x, grads);
}

/* The size of the terms of S, whose rounding a difference of S cannot
 * resolve. */
static double
magnitude_of (const NnMatrix *a,
              const NnMatrix *grad_a,
              double          reg)
{
  double sum = fabs (reg);

  for (gsize j = 0; j < nn_matrix_size (a); j++)
    sum += fabs ((double) grad_a->data[j] * (double) a->data[j]);
  return sum;
}

static void
check_batch (NnPluginCheck *check,
             NnLayer       *layer,
             GRand         *rand,
             guint          rows,
             double         scale,
             guint         *n_wrong)
{
  guint n_outputs = nn_layer_get_n_outputs (layer);
  g_autoptr(NnMatrix) x = nn_matrix_new (rows, WIDTH);
  g_autoptr(NnMatrix) grad_a = nn_matrix_new (rows, n_outputs);
  g_autoptr(NnMatrix) a = NULL;
  g_autoptr(NnMatrix) grad_x = NULL;
  g_autoptr(GPtrArray) grads = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_matrix_free);
  LayerPoint point = { layer, x, NULL, grad_a, x, "x", 0, FALSE };
  double     magnitude;

  for (gsize i = 0; i < nn_matrix_size (x); i++)
    x->data[i] = (nn_real) g_rand_double_range (rand, -scale, scale);
  for (gsize i = 0; i < nn_matrix_size (grad_a); i++)
    grad_a->data[i] = (nn_real) (g_rand_double_range (rand, 0.5, 1.5) *
                                 (g_rand_boolean (rand) ? 1 : -1));

  nn_layer_set_step_key (layer, STEP_KEY);
  if (!run_steps (check, layer, x, grad_a, &a, &grad_x, grads))
    return;
  point.a = a;
  point.reg = nn_layer_get_regularization_loss (layer);
  magnitude = magnitude_of (a, grad_a, point.reg);

  check_derivatives (check, &point, grad_x, magnitude, &n_wrong[0]);
  point.is_parameter = TRUE;
  for (guint i = 0; i < grads->len && !check->failed_hard; i++)
    {
      point.target = nn_layer_get_parameter (layer, i);
      point.name = nn_layer_get_parameter_name (layer, i);
      check_derivatives (check, &point, grads->pdata[i], magnitude, &n_wrong[1 + i]);
    }
  if (!check->failed_hard)
    check_evaluation (check, layer, x);
}

/* A kind applying an activation gets a smooth one, as a layer of an
 * experiment file must name one: @value is set to it, or left unset. */
static gboolean
activation_value (GType   type,
                  GValue *value)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (type);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), "activation");
  g_autoptr(NnActivation) act = NULL;

  if (pspec == NULL || !g_type_is_a (pspec->value_type, NN_TYPE_ACTIVATION))
    return FALSE;
  act = nn_activation_new_by_name ("tanh", NULL);
  if (act == NULL)
    return FALSE;
  g_value_init (value, pspec->value_type);
  g_value_set_object (value, act);
  return TRUE;
}

/* "dL/dx at 12, dL/dweight at 3": where the mismatches are. */
static char *
describe_wrong (NnLayer     *layer,
                const guint *n_wrong)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i <= nn_layer_get_n_parameters (layer); i++)
    if (n_wrong[i] > 0)
      g_string_append_printf (s, "%sdL/d%s at %u", s->len ? ", " : "",
                              i == 0 ? "x" : nn_layer_get_parameter_name (layer, i - 1),
                              n_wrong[i]);
  return g_string_free (s, FALSE);
}

static void
check_layer (NnPluginCheck *check,
             NnLayer       *layer,
             guint32        seed)
{
  NnLayerClass *klass = NN_LAYER_GET_CLASS (layer);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autofree guint *n_wrong = NULL;
  g_autofree char  *where = NULL;
  guint             n_outputs;

  if (klass->forward == NULL || klass->backward == NULL || klass->get_output == NULL)
    {
      nn_plugin_check_fail (check, "the class does not implement %s",
                            klass->forward == NULL    ? "forward"
                            : klass->backward == NULL ? "backward"
                                                      : "get_output");
      return;
    }
  n_outputs = nn_layer_get_n_outputs (layer);
  if (n_outputs == 0 || n_outputs > NN_LAYER_MAX_WIDTH)
    {
      nn_plugin_check_fail (check, "get_n_outputs gives %u outputs for %u inputs", n_outputs,
                            WIDTH);
      return;
    }
  nn_layer_init_parameters (layer, NN_INIT_GLOROT_UNIFORM, rand);
  n_wrong = g_new0 (guint, nn_layer_get_n_parameters (layer) + 1);

  for (gsize s = 0; s < G_N_ELEMENTS (scales); s++)
    for (guint draw = 0; draw < N_DRAWS; draw++)
      for (gsize r = 0; r < G_N_ELEMENTS (batch_rows) && !check->failed_hard; r++)
        check_batch (check, layer, rand,
                     MAX (batch_rows[r], nn_layer_get_min_training_batch (layer)), scales[s],
                     n_wrong);
  if (check->failed_hard || check->n_mismatches == 0)
    return;
  where = describe_wrong (layer, n_wrong);
  nn_plugin_check_fail (check, "backward disagrees with finite differences at %u of %u "
                               "points (%s); worst %s",
                        check->n_mismatches, check->result->n_points, where, check->worst);
}

static NnPluginCheckResult *
check_setting (GType         type,
               const char   *name,
               GParamSpec   *pspec,
               const GValue *value,
               guint32       seed)
{
  NnPluginCheckResult *result = g_new0 (NnPluginCheckResult, 1);
  NnPluginCheck        check = { result };
  const char          *names[3] = { "n-inputs" };
  GValue               values[3] = { G_VALUE_INIT, G_VALUE_INIT, G_VALUE_INIT };
  guint                n = 1;
  g_autoptr(NnLayer) layer = NULL;

  result->name = g_strdup (name);
  result->kind = g_strdup ("layer");
  result->setting = pspec ? nn_plugin_check_setting_label (pspec, value) : g_strdup ("default");
  result->domain = g_strdup ("training");
  result->passed = TRUE;

  g_value_init (&values[0], G_TYPE_UINT);
  g_value_set_uint (&values[0], WIDTH);
  if (pspec != NULL)
    {
      names[n] = pspec->name;
      g_value_init (&values[n], G_VALUE_TYPE (value));
      g_value_copy (value, &values[n++]);
    }
  if (activation_value (type, &values[n]))
    names[n++] = "activation";
  layer = NN_LAYER (g_object_new_with_properties (type, n, names, values));
  for (guint i = 0; i < n; i++)
    g_value_unset (&values[i]);

  check_layer (&check, layer, seed);
  if (!check.failed_hard && result->n_points == 0 && nn_layer_get_n_parameters (layer) > 0)
    nn_plugin_check_fail (&check, "no point could be checked: the layer is nowhere finite");
  else if (!check.failed_hard &&
           result->n_kinks > NN_PLUGIN_CHECK_MAX_KINK_SHARE * result->n_points)
    nn_plugin_check_fail (&check, "the layer is not smooth at %u of %u points: it is noisy or "
                                  "discontinuous at the scale of the step (in training, draw "
                                  "random numbers from the step, nn_layer_get_step_uniform())",
                          result->n_kinks, result->n_points);
  g_free (check.worst);
  return result;
}

/**
 * nn_plugin_check_layer:
 * @type: a registered layer kind
 * @seed: seeds the random points; the same seed checks the same points
 * @error: return location for a #GError
 *
 * Checks a layer kind the way `nnrun check-plugin` does, with its default
 * parameters and with each set away from its default (as
 * [func@Nn.plugin_check_type] does), on inputs 5 wide.
 *
 * In training, in one training step throughout (so that a kind drawing random
 * numbers from the step, [method@Nn.Layer.get_step_uniform], draws the same
 * ones every time), the backward step's dL/dX and every parameter's gradient
 * (with the regularization gradient added) are compared with central finite
 * differences of the forward step (and of the regularization term) at random
 * inputs at the scales 1 and 10, in batches of 1 and 7 rows (or the kind's
 * smallest training batch), after [method@Nn.Layer.init_parameters]. Forward
 * must give the same bits twice in one step, and finite values; backward asked
 * for no dL/dX, as for a model's first layer, the same parameter gradients; in
 * evaluation, forward must not change from one step to another. A kind with an
 * `activation` property is given tanh.
 *
 * Returns: (transfer full) (element-type NnPluginCheckResult): one result
 *   per setting, the default first, or %NULL with @error set if @type is
 *   not a layer kind that can be made
 */
GPtrArray *
nn_plugin_check_layer (GType    type,
                       guint32  seed,
                       GError **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return nn_plugin_check_each_setting (type, g_type_is_a (type, NN_TYPE_LAYER), "a layer kind",
                                       seed, check_setting, error);
}
