/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fixture_nan_backward: tanh, whose backward writes NaN. It loads and
 * trains without complaint; check-plugin must catch it. */
#include <nn.h>

#define NN_TYPE_FIXTURE_NAN_BACKWARD_ACTIVATION (nn_fixture_nan_backward_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnFixtureNanBackwardActivation,
                      nn_fixture_nan_backward_activation,
                      NN,
                      FIXTURE_NAN_BACKWARD_ACTIVATION,
                      NnActivation)

struct _NnFixtureNanBackwardActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnFixtureNanBackwardActivation,
                                nn_fixture_nan_backward_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "fixture_nan_backward",
                                                                0);)

static void
nn_fixture_nan_backward_activation_forward (NnActivation   *activation,
                                            const NnMatrix *z,
                                            NnMatrix       *a)
{
  gsize n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    a->data[i] = nn_tanh (z->data[i]);
}

static void
nn_fixture_nan_backward_activation_backward (NnActivation   *activation,
                                             const NnMatrix *z,
                                             const NnMatrix *a,
                                             const NnMatrix *grad_a,
                                             NnMatrix       *grad_z)
{
  nn_matrix_fill (grad_z, (nn_real) NAN);
}

static void
nn_fixture_nan_backward_activation_class_init (NnFixtureNanBackwardActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Test fixture: tanh whose backward gives NaN";
  activation_class->forward = nn_fixture_nan_backward_activation_forward;
  activation_class->backward = nn_fixture_nan_backward_activation_backward;
}

static void
nn_fixture_nan_backward_activation_class_finalize (NnFixtureNanBackwardActivationClass *klass)
{
}

static void
nn_fixture_nan_backward_activation_init (NnFixtureNanBackwardActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_fixture_nan_backward_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:fixture_nan_backward")
