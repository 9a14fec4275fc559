/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mean_squared_error: PyTorch's MSELoss, mean over all elements. */
#include <string.h>
#include <nn.h>

#define NN_TYPE_MEAN_SQUARED_ERROR_LOSS (nn_mean_squared_error_loss_get_type ())
G_DECLARE_FINAL_TYPE (NnMeanSquaredErrorLoss,
                      nn_mean_squared_error_loss,
                      NN,
                      MEAN_SQUARED_ERROR_LOSS,
                      NnLoss)

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

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnMeanSquaredErrorLoss,
                                nn_mean_squared_error_loss,
                                NN_TYPE_LOSS,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LOSS_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "mean_squared_error",
                                                                0);)

static double
sum_squares (const nn_real *pd,
             const nn_real *td,
             gsize          n)
{
  double sum = 0;

  for (gsize i = 0; i < n; i++)
    {
      double d = (double) pd[i] - (double) td[i];

      sum += d * d;
    }
  return sum;
}

static double
nn_mean_squared_error_loss_compute (NnLoss         *loss,
                                    const NnMatrix *pred,
                                    const NnMatrix *target)
{
  gsize n = nn_matrix_size (pred);

  if (n == 0)
    return 0;
  return sum_squares (pred->data, target->data, n) / (double) n;
}

/* The mean of each row's elements. */
static void
nn_mean_squared_error_loss_compute_rows (NnLoss         *loss,
                                         const NnMatrix *pred,
                                         const NnMatrix *target,
                                         double         *losses)
{
  for (guint r = 0; r < pred->rows; r++)
    losses[r] = pred->cols == 0 ? 0
                                : sum_squares (pred->data + (gsize) r * pred->cols,
                                               target->data + (gsize) r * pred->cols, pred->cols) /
                                    pred->cols;
}

/* NN_SIMD_BYTES of doubles at a time through the GCC and Clang vector
 * extensions, widened from #nn_real as the scalar form does, so the results
 * are its own; NN_SIMD_CLONES compiles the loop for AVX-512 and AVX2 as
 * well. */
typedef double WideVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define LANES (sizeof (WideVec) / sizeof (double))
typedef nn_real RealVec __attribute__ ((vector_size (LANES * sizeof (nn_real))));

NN_SIMD_CLONES static void
nn_mean_squared_error_loss_gradient (NnLoss         *loss,
                                     const NnMatrix *pred,
                                     const NnMatrix *target,
                                     NnMatrix       *grad)
{
  const nn_real *pd = pred->data;
  const nn_real *td = target->data;
  nn_real       *gd = grad->data;
  gsize          n = nn_matrix_size (pred), i = 0;
  double         scale = n ? 2.0 / (double) n : 0;

  for (; i + LANES <= n; i += LANES)
    {
      RealVec p, t;
      WideVec diff;

      memcpy (&p, pd + i, sizeof p);
      memcpy (&t, td + i, sizeof t);
      diff = __builtin_convertvector(p, WideVec) - __builtin_convertvector(t, WideVec);
      p = __builtin_convertvector(scale * diff, RealVec);
      memcpy (gd + i, &p, sizeof p);
    }
  for (; i < n; i++)
    gd[i] = (nn_real) (scale * ((double) pd[i] - (double) td[i]));
}

static void
nn_mean_squared_error_loss_class_init (NnMeanSquaredErrorLossClass *klass)
{
  NnLossClass *loss_class = NN_LOSS_CLASS (klass);

  loss_class->description = "Mean squared error, mean over all elements";
  loss_class->compute = nn_mean_squared_error_loss_compute;
  loss_class->compute_rows = nn_mean_squared_error_loss_compute_rows;
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

NN_PLUGIN_DEFINE (register_types, "loss:mean_squared_error")
