/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-batch-norm-layer.h"
#include "nn-registry-private.h"
#include "nn-layer-private.h"
#include "nn-simd.h"

/**
 * NnBatchNormLayer:
 *
 * The layer kind `batch_norm`, PyTorch's `BatchNorm1d`: every input column
 * normalized, `A = γ · (X − μ) / √(σ² + ε) + β`. In training μ and σ² are the
 * batch's mean and biased variance, and the running statistics move towards the
 * batch's mean and unbiased variance by [property@Nn.BatchNormLayer:momentum];
 * in evaluation the running statistics stand for μ and σ². γ (`weight`,
 * starting at 1) and β (`bias`, starting at 0) are learned when
 * [property@Nn.BatchNormLayer:affine]; the running statistics (`running_mean`,
 * `running_var`, starting at 0 and 1) are buffers, saved but not trained. A
 * batch of one sample cannot be normalized in training.
 */
struct _NnBatchNormLayer
{
  NnLayer parent_instance;

  guint    width;
  double   momentum;
  double   epsilon;
  gboolean affine;
  gboolean counted; /* its parameters were counted: affine is fixed */

  NnMatrix *gamma;
  NnMatrix *beta;
  NnMatrix *grad_gamma;
  NnMatrix *grad_beta;
  NnMatrix *running_mean;
  NnMatrix *running_var;

  double *mean;    /* width: μ of the last forward step */
  double *inv_std; /* width: 1 / √(σ² + ε) of the last forward step */

  guint    capacity; /* rows of the work matrices */
  nn_real *x_hat_buf;
  nn_real *a_buf;
  nn_real *grad_x_buf;

  NnMatrix x_hat; /* views of the last batch */
  NnMatrix a;
  NnMatrix grad_x;
};

G_DEFINE_FINAL_TYPE_WITH_CODE (NnBatchNormLayer,
                               nn_batch_norm_layer,
                               NN_TYPE_LAYER,
                               nn_registry_ensure_extension_points ();
                               g_io_extension_point_implement (NN_LAYER_EXTENSION_POINT_NAME,
                                                               g_define_type_id,
                                                               "batch_norm",
                                                               0))

enum {
  PROP_0,
  PROP_MOMENTUM,
  PROP_EPSILON,
  PROP_AFFINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const parameter_names[] = { "weight", "bias" };
static const char * const buffer_names[] = { "running_mean", "running_var" };

static void
reset (NnBatchNormLayer *self)
{
  nn_matrix_fill (self->gamma, 1);
  nn_matrix_fill (self->beta, 0);
  nn_matrix_fill (self->running_mean, 0);
  nn_matrix_fill (self->running_var, 1);
}

static void
nn_batch_norm_layer_constructed (GObject *object)
{
  NnBatchNormLayer *self = NN_BATCH_NORM_LAYER (object);

  G_OBJECT_CLASS (nn_batch_norm_layer_parent_class)->constructed (object);

  self->width = nn_layer_get_n_inputs (NN_LAYER (self));
  self->gamma = nn_matrix_new (1, self->width);
  self->beta = nn_matrix_new (1, self->width);
  self->grad_gamma = nn_matrix_new (1, self->width);
  self->grad_beta = nn_matrix_new (1, self->width);
  self->running_mean = nn_matrix_new (1, self->width);
  self->running_var = nn_matrix_new (1, self->width);
  self->mean = g_new0 (double, self->width);
  self->inv_std = g_new0 (double, self->width);
  self->x_hat = nn_matrix_view (NULL, 0, self->width);
  self->a = nn_matrix_view (NULL, 0, self->width);
  reset (self);
}

static void
nn_batch_norm_layer_finalize (GObject *object)
{
  NnBatchNormLayer *self = NN_BATCH_NORM_LAYER (object);

  g_clear_pointer (&self->gamma, nn_matrix_free);
  g_clear_pointer (&self->beta, nn_matrix_free);
  g_clear_pointer (&self->grad_gamma, nn_matrix_free);
  g_clear_pointer (&self->grad_beta, nn_matrix_free);
  g_clear_pointer (&self->running_mean, nn_matrix_free);
  g_clear_pointer (&self->running_var, nn_matrix_free);
  g_clear_pointer (&self->mean, g_free);
  g_clear_pointer (&self->inv_std, g_free);
  g_clear_pointer (&self->x_hat_buf, g_aligned_free);
  g_clear_pointer (&self->a_buf, g_aligned_free);
  g_clear_pointer (&self->grad_x_buf, g_aligned_free);

  G_OBJECT_CLASS (nn_batch_norm_layer_parent_class)->finalize (object);
}

static void
nn_batch_norm_layer_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  NnBatchNormLayer *self = NN_BATCH_NORM_LAYER (object);

  switch (prop_id)
    {
    case PROP_MOMENTUM:
      g_value_set_double (value, self->momentum);
      break;
    case PROP_EPSILON:
      g_value_set_double (value, self->epsilon);
      break;
    case PROP_AFFINE:
      g_value_set_boolean (value, self->affine);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_batch_norm_layer_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  NnBatchNormLayer *self = NN_BATCH_NORM_LAYER (object);

  switch (prop_id)
    {
    case PROP_MOMENTUM:
      self->momentum = g_value_get_double (value);
      break;
    case PROP_EPSILON:
      self->epsilon = g_value_get_double (value);
      break;
    case PROP_AFFINE:
      /* A model and its optimizer size their state by the parameter count. */
      if (self->counted && self->affine != g_value_get_boolean (value))
        {
          g_warning ("%s: affine cannot change once the layer's parameters are in use",
                     G_OBJECT_TYPE_NAME (object));
          break;
        }
      self->affine = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Grows the work matrices to @rows; a no-op once the largest batch is seen. */
static void
ensure_capacity (NnBatchNormLayer *self,
                 guint             rows)
{
  if (rows <= self->capacity)
    return;

  nn_layer_resize_work (&self->x_hat_buf, rows, self->width);
  nn_layer_resize_work (&self->a_buf, rows, self->width);
  nn_layer_resize_work (&self->grad_x_buf, rows, self->width);
  self->capacity = rows;
}

/* μ and 1 / √(σ² + ε) of the batch, the running statistics moved towards
 * its mean and unbiased variance. */
static void
batch_statistics (NnBatchNormLayer *self,
                  const NnMatrix   *x)
{
  guint  n = x->rows;
  double m = self->momentum;

  for (guint j = 0; j < self->width; j++)
    {
      double sum = 0.0, sq = 0.0, mean, var;

      for (guint i = 0; i < n; i++)
        sum += NN_MATRIX_AT (x, i, j);
      mean = sum / n;
      for (guint i = 0; i < n; i++)
        {
          double d = NN_MATRIX_AT (x, i, j) - mean;

          sq += d * d;
        }
      var = sq / n;
      self->mean[j] = mean;
      self->inv_std[j] = 1.0 / sqrt (var + self->epsilon);
      self->running_mean->data[j] = (nn_real) ((1.0 - m) * self->running_mean->data[j] + m * mean);
      self->running_var->data[j] = (nn_real) ((1.0 - m) * self->running_var->data[j] +
                                              m * sq / (n - 1));
    }
}

static void
running_statistics (NnBatchNormLayer *self)
{
  for (guint j = 0; j < self->width; j++)
    {
      self->mean[j] = self->running_mean->data[j];
      self->inv_std[j] = 1.0 / sqrt ((double) self->running_var->data[j] + self->epsilon);
    }
}

static const NnMatrix *
nn_batch_norm_layer_forward (NnLayer        *layer,
                             const NnMatrix *x)
{
  NnBatchNormLayer *self = (NnBatchNormLayer *) layer;

  ensure_capacity (self, x->rows);
  self->x_hat = nn_matrix_view (self->x_hat_buf, x->rows, self->width);
  self->a = nn_matrix_view (self->a_buf, x->rows, self->width);
  if (!nn_layer_get_training (layer))
    running_statistics (self);
  else if (x->rows > 1)
    batch_statistics (self, x);
  else
    {
      /* No variance to estimate: an output the loss refuses, the running
       * statistics untouched. */
      nn_matrix_fill (&self->a, NAN);
      return &self->a;
    }
  for (guint i = 0; i < x->rows; i++)
    for (guint j = 0; j < self->width; j++)
      {
        double x_hat = (NN_MATRIX_AT (x, i, j) - self->mean[j]) * self->inv_std[j];

        NN_MATRIX_AT (&self->x_hat, i, j) = (nn_real) x_hat;
        NN_MATRIX_AT (&self->a, i, j) = (nn_real) (self->gamma->data[j] * x_hat +
                                                   self->beta->data[j]);
      }
  return &self->a;
}

/* dβ = Σ dA, dγ = Σ dA ⊙ X̂; dX = γ / √(σ² + ε) ⊙ (dA − (dβ + X̂ ⊙ dγ) / n)
 * through the batch's statistics in training, dX = γ / √(σ² + ε) ⊙ dA
 * through the running ones. */
static const NnMatrix *
nn_batch_norm_layer_backward (NnLayer        *layer,
                              const NnMatrix *x,
                              const NnMatrix *grad_a,
                              gboolean        want_grad_input)
{
  NnBatchNormLayer *self = (NnBatchNormLayer *) layer;
  gboolean          training = nn_layer_get_training (layer);
  guint             n = x->rows;

  g_return_val_if_fail (n == self->a.rows, NULL);

  self->grad_x = nn_matrix_view (self->grad_x_buf, n, self->width);
  for (guint j = 0; j < self->width; j++)
    {
      double dbeta = 0.0, dgamma = 0.0, scale;

      for (guint i = 0; i < n; i++)
        {
          dbeta += NN_MATRIX_AT (grad_a, i, j);
          dgamma += (double) NN_MATRIX_AT (grad_a, i, j) * NN_MATRIX_AT (&self->x_hat, i, j);
        }
      self->grad_beta->data[j] = (nn_real) dbeta;
      self->grad_gamma->data[j] = (nn_real) dgamma;
      if (!want_grad_input)
        continue;
      scale = self->gamma->data[j] * self->inv_std[j];
      for (guint i = 0; i < n; i++)
        {
          double g = NN_MATRIX_AT (grad_a, i, j);

          if (training)
            g -= (dbeta + NN_MATRIX_AT (&self->x_hat, i, j) * dgamma) / n;
          NN_MATRIX_AT (&self->grad_x, i, j) = (nn_real) (scale * g);
        }
    }
  return want_grad_input ? &self->grad_x : NULL;
}

static const NnMatrix *
nn_batch_norm_layer_get_output (NnLayer *layer)
{
  return &((NnBatchNormLayer *) layer)->a;
}

static guint
nn_batch_norm_layer_get_n_parameters (NnLayer *layer)
{
  NnBatchNormLayer *self = (NnBatchNormLayer *) layer;

  self->counted = TRUE;
  return self->affine ? G_N_ELEMENTS (parameter_names) : 0;
}

static NnMatrix *
nn_batch_norm_layer_get_parameter (NnLayer *layer,
                                   guint    index)
{
  NnBatchNormLayer *self = (NnBatchNormLayer *) layer;

  return index == 0 ? self->gamma : self->beta;
}

static const NnMatrix *
nn_batch_norm_layer_get_gradient (NnLayer *layer,
                                  guint    index)
{
  NnBatchNormLayer *self = (NnBatchNormLayer *) layer;

  return index == 0 ? self->grad_gamma : self->grad_beta;
}

static const char *
nn_batch_norm_layer_get_parameter_name (NnLayer *layer,
                                        guint    index)
{
  return parameter_names[index];
}

static guint
nn_batch_norm_layer_get_n_buffers (NnLayer *layer)
{
  return G_N_ELEMENTS (buffer_names);
}

static NnMatrix *
nn_batch_norm_layer_get_buffer (NnLayer *layer,
                                guint    index)
{
  NnBatchNormLayer *self = (NnBatchNormLayer *) layer;

  return index == 0 ? self->running_mean : self->running_var;
}

static const char *
nn_batch_norm_layer_get_buffer_name (NnLayer *layer,
                                     guint    index)
{
  return buffer_names[index];
}

/* γ = 1, β = 0 and fresh running statistics; nothing drawn. */
static void
nn_batch_norm_layer_init_parameters (NnLayer *layer,
                                     NnInit   init,
                                     GRand   *rand)
{
  reset ((NnBatchNormLayer *) layer);
}

static void
nn_batch_norm_layer_class_init (NnBatchNormLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NnLayerClass *layer_class = NN_LAYER_CLASS (klass);

  object_class->constructed = nn_batch_norm_layer_constructed;
  object_class->finalize = nn_batch_norm_layer_finalize;
  object_class->get_property = nn_batch_norm_layer_get_property;
  object_class->set_property = nn_batch_norm_layer_set_property;

  layer_class->description = "Batch normalization of every input: γ (X − μ) / √(σ² + ε) + β";
  layer_class->forward = nn_batch_norm_layer_forward;
  layer_class->backward = nn_batch_norm_layer_backward;
  layer_class->get_output = nn_batch_norm_layer_get_output;
  layer_class->get_n_parameters = nn_batch_norm_layer_get_n_parameters;
  layer_class->get_parameter = nn_batch_norm_layer_get_parameter;
  layer_class->get_gradient = nn_batch_norm_layer_get_gradient;
  layer_class->get_parameter_name = nn_batch_norm_layer_get_parameter_name;
  layer_class->get_n_buffers = nn_batch_norm_layer_get_n_buffers;
  layer_class->get_buffer = nn_batch_norm_layer_get_buffer;
  layer_class->get_buffer_name = nn_batch_norm_layer_get_buffer_name;
  layer_class->init_parameters = nn_batch_norm_layer_init_parameters;
  layer_class->min_training_batch = 2;

  /**
   * NnBatchNormLayer:momentum:
   *
   * How far each training step moves the running statistics towards the
   * batch's: `running = (1 − momentum) · running + momentum · batch`.
   */
  properties[PROP_MOMENTUM] =
    g_param_spec_double ("momentum", NULL, "Weight of a batch in the running statistics",
                         0.0, 1.0, 0.1,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * NnBatchNormLayer:epsilon:
   *
   * Added to the variance before its square root is taken.
   */
  properties[PROP_EPSILON] =
    g_param_spec_double ("epsilon", NULL, "Added to the variance",
                         G_MINDOUBLE, G_MAXDOUBLE, 1e-5,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * NnBatchNormLayer:affine:
   *
   * Whether γ and β are learned; without, the output is the normalized
   * input. Set before the layer joins a model: once its parameters were
   * counted, a change is refused with a warning.
   */
  properties[PROP_AFFINE] =
    g_param_spec_boolean ("affine", NULL, "Whether the scale and shift are learned",
                          TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_batch_norm_layer_init (NnBatchNormLayer *self)
{
}

/**
 * nn_batch_norm_layer_new:
 * @n_inputs: the width of the input and of the output
 *
 * Makes a [class@Nn.BatchNormLayer] with PyTorch's defaults.
 *
 * Returns: (transfer full): a new [class@Nn.BatchNormLayer] with PyTorch's
 *   defaults: momentum 0.1, epsilon 1e-5, affine
 */
NnLayer *
nn_batch_norm_layer_new (guint n_inputs)
{
  g_return_val_if_fail (n_inputs > 0 && n_inputs <= NN_LAYER_MAX_WIDTH, NULL);

  return g_object_new (NN_TYPE_BATCH_NORM_LAYER, "n-inputs", n_inputs, NULL);
}
