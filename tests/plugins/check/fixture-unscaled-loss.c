/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fixture_unscaled_loss: the mean squared error, whose gradient forgets
 * the 1/n of the mean: right for one element, n times too large for a
 * batch. check-plugin must fail it. */
#include <nn.h>

#define NN_TYPE_FIXTURE_UNSCALED_LOSS (nn_fixture_unscaled_loss_get_type ())
G_DECLARE_FINAL_TYPE (NnFixtureUnscaledLoss,
                      nn_fixture_unscaled_loss,
                      NN,
                      FIXTURE_UNSCALED_LOSS,
                      NnLoss)

struct _NnFixtureUnscaledLoss
{
  NnLoss parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnFixtureUnscaledLoss,
                                nn_fixture_unscaled_loss,
                                NN_TYPE_LOSS,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LOSS_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "fixture_unscaled_loss",
                                                                0);)

static double
nn_fixture_unscaled_loss_compute (NnLoss         *loss,
                                  const NnMatrix *pred,
                                  const NnMatrix *target)
{
  gsize  n = nn_matrix_size (pred);
  double sum = 0;

  for (gsize i = 0; i < n; i++)
    {
      double d = (double) pred->data[i] - (double) target->data[i];

      sum += d * d;
    }
  return n ? sum / (double) n : 0;
}

static void
nn_fixture_unscaled_loss_gradient (NnLoss         *loss,
                                   const NnMatrix *pred,
                                   const NnMatrix *target,
                                   NnMatrix       *grad)
{
  gsize n = nn_matrix_size (pred);

  /* The bug: no / n. */
  for (gsize i = 0; i < n; i++)
    grad->data[i] = 2 * (pred->data[i] - target->data[i]);
}

static void
nn_fixture_unscaled_loss_class_init (NnFixtureUnscaledLossClass *klass)
{
  NnLossClass *loss_class = NN_LOSS_CLASS (klass);

  loss_class->description = "Test fixture: mean squared error with the gradient of the sum";
  loss_class->compute = nn_fixture_unscaled_loss_compute;
  loss_class->gradient = nn_fixture_unscaled_loss_gradient;
}

static void
nn_fixture_unscaled_loss_class_finalize (NnFixtureUnscaledLossClass *klass)
{
}

static void
nn_fixture_unscaled_loss_init (NnFixtureUnscaledLoss *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_fixture_unscaled_loss_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "loss:fixture_unscaled_loss")
