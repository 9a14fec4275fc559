/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-errors.h"
#include "nn-scaler.h"

/**
 * NnScaler:
 *
 * Per-feature scaling of a features matrix, fitted on the training data and
 * then applied unchanged to any other data (validation, test, and whatever
 * a saved model is later asked to predict).
 *
 * Every feature becomes `(x - shift) / divisor`: for %NN_SCALE_MINMAX the
 * shift is the feature's minimum and the divisor its range, for
 * %NN_SCALE_STANDARD the mean and the population standard deviation (as
 * scikit-learn's `StandardScaler`), and for %NN_SCALE_NONE 0 and 1. A
 * constant feature has divisor 1, so it is shifted but not divided.
 *
 * The parameters are plain arrays of doubles, read with
 * [method@Nn.Scaler.get_shift] and [method@Nn.Scaler.get_divisor] to be saved
 * with a model and given back to [ctor@Nn.Scaler.new_from_parameters].
 */
struct _NnScaler
{
  GObject parent_instance;

  NnScale kind;
  guint   n_features;
  double *shift; /* NULL until fitted */
  double *divisor;
};

enum {
  PROP_0,
  PROP_KIND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (NnScaler, nn_scaler, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (NnScale,
                    nn_scale,
                    G_DEFINE_ENUM_VALUE (NN_SCALE_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (NN_SCALE_MINMAX, "minmax"),
                    G_DEFINE_ENUM_VALUE (NN_SCALE_STANDARD, "standard"))

static void
nn_scaler_finalize (GObject *object)
{
  NnScaler *self = NN_SCALER (object);

  g_clear_pointer (&self->shift, g_free);
  g_clear_pointer (&self->divisor, g_free);

  G_OBJECT_CLASS (nn_scaler_parent_class)->finalize (object);
}

static void
nn_scaler_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  NnScaler *self = NN_SCALER (object);

  switch (prop_id)
    {
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_scaler_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  NnScaler *self = NN_SCALER (object);

  switch (prop_id)
    {
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_scaler_class_init (NnScalerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nn_scaler_finalize;
  object_class->get_property = nn_scaler_get_property;
  object_class->set_property = nn_scaler_set_property;

  /**
   * NnScaler:kind:
   *
   * The kind of scaling.
   */
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, "The kind of scaling: none, minmax or standard",
                       NN_TYPE_SCALE, NN_SCALE_NONE,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_scaler_init (NnScaler *self)
{
}

/**
 * nn_scaler_new:
 * @kind: the kind of scaling
 *
 * Makes a new scaler, to be fitted with [method@Nn.Scaler.fit].
 *
 * Returns: (transfer full): a new scaler, to be fitted with
 *   [method@Nn.Scaler.fit]
 */
NnScaler *
nn_scaler_new (NnScale kind)
{
  return g_object_new (NN_TYPE_SCALER, "kind", kind, NULL);
}

/**
 * nn_scaler_new_from_parameters:
 * @kind: the kind of scaling
 * @shift: (array length=n_features): what to subtract from each feature
 * @divisor: (array length=n_features): what to divide each feature by then
 * @n_features: the number of features
 * @error: return location for a #GError
 *
 * Makes a fitted scaler from saved parameters, as read from a model file.
 * Every shift must be finite and every divisor finite and positive. A
 * scaler of %NN_SCALE_NONE leaves data as they are, whatever its parameters.
 *
 * Returns: (transfer full): a new fitted scaler, or %NULL with @error set
 *   (%NN_DATA_ERROR_INVALID)
 */
NnScaler *
nn_scaler_new_from_parameters (NnScale       kind,
                               const double *shift,
                               const double *divisor,
                               guint         n_features,
                               GError      **error)
{
  NnScaler *self;

  g_return_val_if_fail (n_features == 0 || (shift != NULL && divisor != NULL), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (guint c = 0; c < n_features; c++)
    if (!isfinite (shift[c]) || !isfinite (divisor[c]) || !(divisor[c] > 0))
      {
        g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                     "scaler parameters of feature %u are shift %g, divisor %g: "
                     "a shift must be finite and a divisor finite and positive",
                     c, shift[c], divisor[c]);
        return NULL;
      }

  self = nn_scaler_new (kind);
  self->n_features = n_features;
  self->shift = g_memdup2 (shift, n_features * sizeof (double));
  self->divisor = g_memdup2 (divisor, n_features * sizeof (double));
  if (self->shift == NULL)
    {
      self->shift = g_new0 (double, 1);
      self->divisor = g_new0 (double, 1);
    }
  return self;
}

/**
 * nn_scaler_get_kind:
 * @self: a #NnScaler
 *
 * Gets the kind of scaling.
 *
 * Returns: the kind of scaling
 */
NnScale
nn_scaler_get_kind (NnScaler *self)
{
  g_return_val_if_fail (NN_IS_SCALER (self), NN_SCALE_NONE);

  return self->kind;
}

/**
 * nn_scaler_is_fitted:
 * @self: a #NnScaler
 *
 * Whether the scaler has its parameters.
 *
 * Returns: whether the scaler has its parameters
 */
gboolean
nn_scaler_is_fitted (NnScaler *self)
{
  g_return_val_if_fail (NN_IS_SCALER (self), FALSE);

  return self->shift != NULL;
}

/**
 * nn_scaler_get_n_features:
 * @self: a #NnScaler
 *
 * Gets the number of features it was fitted on, 0 before that.
 *
 * Returns: the number of features it was fitted on, 0 before that
 */
guint
nn_scaler_get_n_features (NnScaler *self)
{
  g_return_val_if_fail (NN_IS_SCALER (self), 0);

  return self->n_features;
}

/**
 * nn_scaler_get_shift:
 * @self: a fitted [class@Nn.Scaler]
 *
 * Gets what is subtracted from each feature, [method@Nn.Scaler.get_n_features]
 * values.
 *
 * Returns: (transfer none) (array) (nullable): what is subtracted from each
 *   feature, [method@Nn.Scaler.get_n_features] values; %NULL before fitting
 */
const double *
nn_scaler_get_shift (NnScaler *self)
{
  g_return_val_if_fail (NN_IS_SCALER (self), NULL);

  return self->shift;
}

/**
 * nn_scaler_get_divisor:
 * @self: a fitted [class@Nn.Scaler]
 *
 * Gets what each shifted feature is divided by,
 * [method@Nn.Scaler.get_n_features] values.
 *
 * Returns: (transfer none) (array) (nullable): what each shifted feature is
 *   divided by, [method@Nn.Scaler.get_n_features] values; %NULL before fitting
 */
const double *
nn_scaler_get_divisor (NnScaler *self)
{
  g_return_val_if_fail (NN_IS_SCALER (self), NULL);

  return self->divisor;
}

/**
 * nn_scaler_fit:
 * @self: a #NnScaler
 * @x: samples × features, at least one sample
 *
 * Computes each feature's parameters from @x (the training data alone),
 * replacing any earlier ones.
 */
void
nn_scaler_fit (NnScaler       *self,
               const NnMatrix *x)
{
  guint              cols;
  g_autofree double *lo = NULL;
  g_autofree double *hi = NULL;
  g_autofree double *sum = NULL;
  g_autofree double *sq = NULL;

  g_return_if_fail (NN_IS_SCALER (self));
  g_return_if_fail (x != NULL && x->rows > 0);

  cols = x->cols;
  g_clear_pointer (&self->shift, g_free);
  g_clear_pointer (&self->divisor, g_free);
  self->n_features = cols;
  self->shift = g_new0 (double, MAX (cols, 1));
  self->divisor = g_new (double, MAX (cols, 1));
  for (guint c = 0; c < cols; c++)
    self->divisor[c] = 1.0;
  if (self->kind == NN_SCALE_NONE)
    return;

  /* Row by row, as the matrix is stored; each column is still summed in
   * sample order. */
  lo = g_new (double, MAX (cols, 1));
  hi = g_new (double, MAX (cols, 1));
  sum = g_new0 (double, MAX (cols, 1));
  sq = g_new0 (double, MAX (cols, 1));
  for (guint c = 0; c < cols; c++)
    {
      lo[c] = INFINITY;
      hi[c] = -INFINITY;
    }
  for (guint r = 0; r < x->rows; r++)
    {
      const nn_real *row = x->data + (gsize) r * cols;
      for (guint c = 0; c < cols; c++)
        {
          double v = row[c];
          lo[c] = MIN (lo[c], v);
          hi[c] = MAX (hi[c], v);
          sum[c] += v;
        }
    }
  for (guint c = 0; c < cols; c++)
    sum[c] /= x->rows; /* now the mean */
  if (self->kind == NN_SCALE_STANDARD)
    for (guint r = 0; r < x->rows; r++)
      {
        const nn_real *row = x->data + (gsize) r * cols;
        for (guint c = 0; c < cols; c++)
          {
            double d = row[c] - sum[c];
            sq[c] += d * d;
          }
      }

  for (guint c = 0; c < cols; c++)
    {
      if (self->kind == NN_SCALE_MINMAX)
        {
          self->shift[c] = lo[c];
          self->divisor[c] = hi[c] > lo[c] ? hi[c] - lo[c] : 1.0;
        }
      else
        {
          /* The population deviation, as scikit-learn's StandardScaler. */
          double sd = sqrt (sq[c] / x->rows);
          self->shift[c] = sum[c];
          self->divisor[c] = sd > 0 ? sd : 1.0;
        }
    }
}

/**
 * nn_scaler_transform:
 * @self: a fitted [class@Nn.Scaler]
 * @x: samples × features, with the number of features it was fitted on;
 *   scaled in place
 *
 * Scales @m in place with the fitted parameters.
 */
void
nn_scaler_transform (NnScaler *self,
                     NnMatrix *x)
{
  g_return_if_fail (NN_IS_SCALER (self));
  g_return_if_fail (x != NULL);

  /* Nothing to fit for no scaling, so nothing to require either. */
  if (self->kind == NN_SCALE_NONE)
    return;
  g_return_if_fail (self->shift != NULL);
  g_return_if_fail (x->cols == self->n_features);
  for (guint r = 0; r < x->rows; r++)
    {
      nn_real *row = x->data + (gsize) r * x->cols;
      for (guint c = 0; c < x->cols; c++)
        row[c] = (nn_real) ((row[c] - self->shift[c]) / self->divisor[c]);
    }
}

/**
 * nn_scaler_inverse_transform:
 * @self: a fitted [class@Nn.Scaler]
 * @x: samples × features, scaled by @self; mapped back in place
 *
 * Undoes [method@Nn.Scaler.transform]: a regression's scaled outputs back in
 * the units of its targets.
 */
void
nn_scaler_inverse_transform (NnScaler *self,
                             NnMatrix *x)
{
  g_return_if_fail (NN_IS_SCALER (self));
  g_return_if_fail (x != NULL);

  if (self->kind == NN_SCALE_NONE)
    return;
  g_return_if_fail (self->shift != NULL);
  g_return_if_fail (x->cols == self->n_features);
  for (guint r = 0; r < x->rows; r++)
    {
      nn_real *row = x->data + (gsize) r * x->cols;
      for (guint c = 0; c < x->cols; c++)
        row[c] = (nn_real) (row[c] * self->divisor[c] + self->shift[c]);
    }
}
