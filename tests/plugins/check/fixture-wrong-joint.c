/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fixture_wrong_joint: the mean squared error, with a right gradient and a
 * joint output gradient after a linear activation that forgets the factor
 * 2. check-plugin must fail it. */
#include <nn.h>

#define NN_TYPE_FIXTURE_WRONG_JOINT (nn_fixture_wrong_joint_get_type ())
G_DECLARE_FINAL_TYPE (NnFixtureWrongJoint, nn_fixture_wrong_joint, NN, FIXTURE_WRONG_JOINT, NnLoss)

struct _NnFixtureWrongJoint
{
  NnLoss parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnFixtureWrongJoint,
                                nn_fixture_wrong_joint,
                                NN_TYPE_LOSS,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LOSS_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "fixture_wrong_joint",
                                                                0);)

static double
nn_fixture_wrong_joint_compute (NnLoss         *loss,
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
nn_fixture_wrong_joint_gradient (NnLoss         *loss,
                                 const NnMatrix *pred,
                                 const NnMatrix *target,
                                 NnMatrix       *grad)
{
  gsize n = nn_matrix_size (pred);

  for (gsize i = 0; i < n; i++)
    grad->data[i] = (nn_real) (2 * ((double) pred->data[i] - target->data[i]) / n);
}

static gboolean
nn_fixture_wrong_joint_output_gradient (NnLoss         *loss,
                                        NnActivation   *activation,
                                        const NnMatrix *pred,
                                        const NnMatrix *target,
                                        NnMatrix       *grad_z)
{
  gsize n = nn_matrix_size (pred);

  if (g_strcmp0 (nn_activation_get_name (activation), "linear") != 0)
    return FALSE;
  /* The bug: no 2. */
  nn_matrix_scaled_difference (pred, target, (nn_real) (1.0 / n), grad_z);
  return TRUE;
}

static void
nn_fixture_wrong_joint_class_init (NnFixtureWrongJointClass *klass)
{
  NnLossClass *loss_class = NN_LOSS_CLASS (klass);

  loss_class->description = "Test fixture: mean squared error with a wrong joint gradient";
  loss_class->compute = nn_fixture_wrong_joint_compute;
  loss_class->gradient = nn_fixture_wrong_joint_gradient;
  loss_class->output_gradient = nn_fixture_wrong_joint_output_gradient;
}

static void
nn_fixture_wrong_joint_class_finalize (NnFixtureWrongJointClass *klass)
{
}

static void
nn_fixture_wrong_joint_init (NnFixtureWrongJoint *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_fixture_wrong_joint_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "loss:fixture_wrong_joint")
