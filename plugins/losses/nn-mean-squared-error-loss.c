/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mean_squared_error: PyTorch's MSELoss, mean over all elements. */
#include <nn.h>

#define NN_TYPE_MEAN_SQUARED_ERROR_LOSS (nn_mean_squared_error_loss_get_type ())
G_DECLARE_FINAL_TYPE (NnMeanSquaredErrorLoss, nn_mean_squared_error_loss,
                      NN, MEAN_SQUARED_ERROR_LOSS, NnLoss)

/**
 * NnMeanSquaredErrorLoss:
 *
 * PyTorch's `MSELoss()`: the mean over all N elements of `(p - y)²`, with
 * gradient `2 (p - y) / N`.
 */
struct _NnMeanSquaredErrorLoss
{
  NnLoss parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnMeanSquaredErrorLoss, nn_mean_squared_error_loss,
                                NN_TYPE_LOSS, G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LOSS_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "mean_squared_error", 0);)

static double
nn_mean_squared_error_loss_compute (NnLoss         *loss,
                                    const NnMatrix *pred,
                                    const NnMatrix *target)
{
  const nn_real *pd = pred->data;
  const nn_real *td = target->data;
  gsize n = nn_matrix_size (pred);
  double sum = 0;

  if (n == 0)
    return 0;

  for (gsize i = 0; i < n; i++)
    {
      double d = (double) pd[i] - (double) td[i];

      sum += d * d;
    }
  return sum / (double) n;
}

static void
nn_mean_squared_error_loss_gradient (NnLoss         *loss,
                                     const NnMatrix *pred,
                                     const NnMatrix *target,
                                     NnMatrix       *grad)
{
  const nn_real *pd = pred->data;
  const nn_real *td = target->data;
  nn_real *gd = grad->data;
  gsize n = nn_matrix_size (pred);
  double scale = n ? 2.0 / (double) n : 0;

  for (gsize i = 0; i < n; i++)
    gd[i] = (nn_real) (scale * ((double) pd[i] - (double) td[i]));
}

static void
nn_mean_squared_error_loss_class_init (NnMeanSquaredErrorLossClass *klass)
{
  NnLossClass *loss_class = NN_LOSS_CLASS (klass);

  loss_class->description = "Mean squared error, mean over all elements";
  loss_class->compute = nn_mean_squared_error_loss_compute;
  loss_class->gradient = nn_mean_squared_error_loss_gradient;
}

static void
nn_mean_squared_error_loss_class_finalize (NnMeanSquaredErrorLossClass *klass)
{
}

static void
nn_mean_squared_error_loss_init (NnMeanSquaredErrorLoss *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_mean_squared_error_loss_register_type (module);
}

NN_PLUGIN_DEFINE (register_types)
