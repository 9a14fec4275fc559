/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* binary_crossentropy: PyTorch's BCELoss of probabilities, mean reduction. */
#include <nn.h>

#define NN_TYPE_BINARY_CROSSENTROPY_LOSS (nn_binary_crossentropy_loss_get_type ())
G_DECLARE_FINAL_TYPE (NnBinaryCrossentropyLoss,
                      nn_binary_crossentropy_loss,
                      NN,
                      BINARY_CROSSENTROPY_LOSS,
                      NnLoss)

/**
 * NnBinaryCrossentropyLoss:
 *
 * PyTorch's `BCELoss()`: the mean over all elements of
 * `-(y log(p) + (1 - y) log(1 - p))`, where @pred holds probabilities (a
 * sigmoid output) and each logarithm is clamped to be at least -100, so a
 * prediction of exactly 0 or 1 gives a finite loss. The gradient is
 * PyTorch's, `(p - y) / max(p (1 - p), 1e-12) / N`.
 */
struct _NnBinaryCrossentropyLoss
{
  NnLoss parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnBinaryCrossentropyLoss,
                                nn_binary_crossentropy_loss,
                                NN_TYPE_LOSS,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LOSS_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "binary_crossentropy",
                                                                0);)

#define LOG_MIN (-100.0)
#define GRAD_EPSILON 1e-12

static double
sum_cross_entropy (const nn_real *pd,
                   const nn_real *td,
                   gsize          n)
{
  double sum = 0;

  for (gsize i = 0; i < n; i++)
    {
      double p = pd[i];
      double y = td[i];
      double log_p = MAX (log (p), LOG_MIN);
      double log_1mp = MAX (log1p (-p), LOG_MIN);

      sum -= y * log_p + (1 - y) * log_1mp;
    }
  return sum;
}

static double
nn_binary_crossentropy_loss_compute (NnLoss         *loss,
                                     const NnMatrix *pred,
                                     const NnMatrix *target)
{
  gsize n = nn_matrix_size (pred);

  if (n == 0)
    return 0;
  return sum_cross_entropy (pred->data, target->data, n) / (double) n;
}

/* The mean of each row's elements. */
static void
nn_binary_crossentropy_loss_compute_rows (NnLoss         *loss,
                                          const NnMatrix *pred,
                                          const NnMatrix *target,
                                          double         *losses)
{
  for (guint r = 0; r < pred->rows; r++)
    losses[r] = pred->cols == 0 ? 0
                                : sum_cross_entropy (pred->data + (gsize) r * pred->cols,
                                                     target->data + (gsize) r * pred->cols,
                                                     pred->cols) /
                                    pred->cols;
}

static void
nn_binary_crossentropy_loss_gradient (NnLoss         *loss,
                                      const NnMatrix *pred,
                                      const NnMatrix *target,
                                      NnMatrix       *grad)
{
  const nn_real *pd = pred->data;
  const nn_real *td = target->data;
  nn_real       *gd = grad->data;
  gsize          n = nn_matrix_size (pred);
  double         inv_n = n ? 1.0 / (double) n : 0;

  for (gsize i = 0; i < n; i++)
    {
      double p = pd[i];
      double y = td[i];

      gd[i] = (nn_real) ((p - y) / MAX (p * (1 - p), GRAD_EPSILON) * inv_n);
    }
}

/* After a sigmoid, dL/dZ = (A − Y) / N: the derivative of the sigmoid,
 * A (1 − A), cancels the loss's denominator. */
static gboolean
nn_binary_crossentropy_loss_output_gradient (NnLoss         *loss,
                                             NnActivation   *activation,
                                             const NnMatrix *pred,
                                             const NnMatrix *target,
                                             NnMatrix       *grad_z)
{
  gsize n = nn_matrix_size (pred);

  if (g_strcmp0 (nn_activation_get_name (activation), "sigmoid") != 0)
    return FALSE;
  nn_matrix_scaled_difference (pred, target, (nn_real) (n ? 1.0 / n : 0), grad_z);
  return TRUE;
}

static void
nn_binary_crossentropy_loss_class_init (NnBinaryCrossentropyLossClass *klass)
{
  NnLossClass *loss_class = NN_LOSS_CLASS (klass);

  loss_class->description = "Binary cross-entropy of probabilities, mean over all elements";
  loss_class->compute = nn_binary_crossentropy_loss_compute;
  loss_class->compute_rows = nn_binary_crossentropy_loss_compute_rows;
  loss_class->gradient = nn_binary_crossentropy_loss_gradient;
  loss_class->output_gradient = nn_binary_crossentropy_loss_output_gradient;
}

static void
nn_binary_crossentropy_loss_class_finalize (NnBinaryCrossentropyLossClass *klass)
{
}

static void
nn_binary_crossentropy_loss_init (NnBinaryCrossentropyLoss *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_binary_crossentropy_loss_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "loss:binary_crossentropy")
