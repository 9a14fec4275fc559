/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* huber: PyTorch's HuberLoss(delta), mean over all elements. */
#include <nn.h>

#define NN_TYPE_HUBER_LOSS (nn_huber_loss_get_type ())
G_DECLARE_FINAL_TYPE (NnHuberLoss, nn_huber_loss, NN, HUBER_LOSS, NnLoss)

/**
 * NnHuberLoss:
 *
 * PyTorch's `HuberLoss(delta)`: the mean over all N elements of
 * `0.5 d²` where `|d| < delta` and `delta (|d| - 0.5 delta)` otherwise, with
 * `d = p - y`. The gradient is `d / N` or `delta sign(d) / N`.
 */
struct _NnHuberLoss
{
  NnLoss parent_instance;

  double delta;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnHuberLoss,
                                nn_huber_loss,
                                NN_TYPE_LOSS,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LOSS_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "huber",
                                                                0);)

enum {
  PROP_0,
  PROP_DELTA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static double
sum_huber (const nn_real *pd,
           const nn_real *td,
           gsize          n,
           double         delta)
{
  double sum = 0;

  for (gsize i = 0; i < n; i++)
    {
      double d = fabs ((double) pd[i] - (double) td[i]);

      sum += d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta);
    }
  return sum;
}

static double
nn_huber_loss_compute (NnLoss         *loss,
                       const NnMatrix *pred,
                       const NnMatrix *target)
{
  gsize n = nn_matrix_size (pred);

  if (n == 0)
    return 0;
  return sum_huber (pred->data, target->data, n, NN_HUBER_LOSS (loss)->delta) / (double) n;
}

/* The mean of each row's elements. */
static void
nn_huber_loss_compute_rows (NnLoss         *loss,
                            const NnMatrix *pred,
                            const NnMatrix *target,
                            double         *losses)
{
  double delta = NN_HUBER_LOSS (loss)->delta;

  for (guint r = 0; r < pred->rows; r++)
    losses[r] = pred->cols == 0 ? 0
                                : sum_huber (pred->data + (gsize) r * pred->cols,
                                             target->data + (gsize) r * pred->cols, pred->cols,
                                             delta) /
                                    pred->cols;
}

static void
nn_huber_loss_gradient (NnLoss         *loss,
                        const NnMatrix *pred,
                        const NnMatrix *target,
                        NnMatrix       *grad)
{
  NnHuberLoss   *self = NN_HUBER_LOSS (loss);
  const double   delta = self->delta;
  const nn_real *pd = pred->data;
  const nn_real *td = target->data;
  nn_real       *gd = grad->data;
  gsize          n = nn_matrix_size (pred);
  double         inv_n = n ? 1.0 / (double) n : 0;

  for (gsize i = 0; i < n; i++)
    {
      double d = (double) pd[i] - (double) td[i];
      double g;

      if (fabs (d) < delta)
        g = d;
      else
        g = d > 0 ? delta : -delta;
      gd[i] = (nn_real) (g * inv_n);
    }
}

static void
nn_huber_loss_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  NnHuberLoss *self = NN_HUBER_LOSS (object);

  switch (prop_id)
    {
    case PROP_DELTA:
      g_value_set_double (value, self->delta);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_huber_loss_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  NnHuberLoss *self = NN_HUBER_LOSS (object);

  switch (prop_id)
    {
    case PROP_DELTA:
      if (self->delta != g_value_get_double (value))
        {
          self->delta = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_huber_loss_class_init (NnHuberLossClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NnLossClass  *loss_class = NN_LOSS_CLASS (klass);

  object_class->get_property = nn_huber_loss_get_property;
  object_class->set_property = nn_huber_loss_set_property;

  loss_class->description = "Huber loss: quadratic below delta, linear above; mean over all elements";
  loss_class->compute = nn_huber_loss_compute;
  loss_class->compute_rows = nn_huber_loss_compute_rows;
  loss_class->gradient = nn_huber_loss_gradient;

  /**
   * NnHuberLoss:delta:
   *
   * The error size where the loss turns from quadratic to linear.
   */
  properties[PROP_DELTA] =
    g_param_spec_double ("delta", NULL,
                         "Error size where the loss turns from quadratic to linear",
                         1e-12, G_MAXDOUBLE, 1.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                           G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_huber_loss_class_finalize (NnHuberLossClass *klass)
{
}

static void
nn_huber_loss_init (NnHuberLoss *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_huber_loss_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "loss:huber")
