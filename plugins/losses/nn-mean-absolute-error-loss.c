/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mean_absolute_error: PyTorch's L1Loss, mean over all elements. */
#include <nn.h>

#define NN_TYPE_MEAN_ABSOLUTE_ERROR_LOSS (nn_mean_absolute_error_loss_get_type ())
G_DECLARE_FINAL_TYPE (NnMeanAbsoluteErrorLoss,
                      nn_mean_absolute_error_loss,
                      NN,
                      MEAN_ABSOLUTE_ERROR_LOSS,
                      NnLoss)

/**
 * NnMeanAbsoluteErrorLoss:
 *
 * PyTorch's `L1Loss()`: the mean over all N elements of `|p - y|`, with
 * gradient `sign(p - y) / N`, where `sign(0) = 0` as in PyTorch.
 */
struct _NnMeanAbsoluteErrorLoss
{
  NnLoss parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnMeanAbsoluteErrorLoss,
                                nn_mean_absolute_error_loss,
                                NN_TYPE_LOSS,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LOSS_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "mean_absolute_error",
                                                                0);)

static double
sum_absolute (const nn_real *pd,
              const nn_real *td,
              gsize          n)
{
  double sum = 0;

  for (gsize i = 0; i < n; i++)
    sum += fabs ((double) pd[i] - (double) td[i]);
  return sum;
}

static double
nn_mean_absolute_error_loss_compute (NnLoss         *loss,
                                     const NnMatrix *pred,
                                     const NnMatrix *target)
{
  gsize n = nn_matrix_size (pred);

  if (n == 0)
    return 0;
  return sum_absolute (pred->data, target->data, n) / (double) n;
}

/* The mean of each row's elements. */
static void
nn_mean_absolute_error_loss_compute_rows (NnLoss         *loss,
                                          const NnMatrix *pred,
                                          const NnMatrix *target,
                                          double         *losses)
{
  for (guint r = 0; r < pred->rows; r++)
    losses[r] = pred->cols == 0 ? 0
                                : sum_absolute (pred->data + (gsize) r * pred->cols,
                                                target->data + (gsize) r * pred->cols, pred->cols) /
                                    pred->cols;
}

static void
nn_mean_absolute_error_loss_gradient (NnLoss         *loss,
                                      const NnMatrix *pred,
                                      const NnMatrix *target,
                                      NnMatrix       *grad)
{
  const nn_real *pd = pred->data;
  const nn_real *td = target->data;
  nn_real       *gd = grad->data;
  gsize          n = nn_matrix_size (pred);
  nn_real        inv_n = (nn_real) (n ? 1.0 / (double) n : 0);

  for (gsize i = 0; i < n; i++)
    {
      nn_real d = pd[i] - td[i];

      gd[i] = d > 0   ? inv_n
              : d < 0 ? -inv_n
                      : 0;
    }
}

static void
nn_mean_absolute_error_loss_class_init (NnMeanAbsoluteErrorLossClass *klass)
{
  NnLossClass *loss_class = NN_LOSS_CLASS (klass);

  loss_class->description = "Mean absolute error, mean over all elements";
  loss_class->compute = nn_mean_absolute_error_loss_compute;
  loss_class->compute_rows = nn_mean_absolute_error_loss_compute_rows;
  loss_class->gradient = nn_mean_absolute_error_loss_gradient;
}

static void
nn_mean_absolute_error_loss_class_finalize (NnMeanAbsoluteErrorLossClass *klass)
{
}

static void
nn_mean_absolute_error_loss_init (NnMeanAbsoluteErrorLoss *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_mean_absolute_error_loss_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "loss:mean_absolute_error")
