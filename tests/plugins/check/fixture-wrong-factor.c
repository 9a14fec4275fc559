/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fixture_wrong_factor: tanh, whose backward is 2 % too large everywhere.
 * A model still trains with it, a little worse; check-plugin must fail it. */
#include <nn.h>

#define NN_TYPE_FIXTURE_WRONG_FACTOR_ACTIVATION (nn_fixture_wrong_factor_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnFixtureWrongFactorActivation,
                      nn_fixture_wrong_factor_activation,
                      NN,
                      FIXTURE_WRONG_FACTOR_ACTIVATION,
                      NnActivation)

struct _NnFixtureWrongFactorActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnFixtureWrongFactorActivation,
                                nn_fixture_wrong_factor_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "fixture_wrong_factor",
                                                                0);)

static void
nn_fixture_wrong_factor_activation_forward (NnActivation   *activation,
                                            const NnMatrix *z,
                                            NnMatrix       *a)
{
  gsize n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    a->data[i] = nn_tanh (z->data[i]);
}

static void
nn_fixture_wrong_factor_activation_backward (NnActivation   *activation,
                                             const NnMatrix *z,
                                             const NnMatrix *a,
                                             const NnMatrix *grad_a,
                                             NnMatrix       *grad_z)
{
  gsize n = nn_matrix_size (z);

  /* The bug: 1.02 (1 - a²) instead of 1 - a². */
  for (gsize i = 0; i < n; i++)
    grad_z->data[i] = grad_a->data[i] * (nn_real) 1.02 * (1 - a->data[i] * a->data[i]);
}

static void
nn_fixture_wrong_factor_activation_class_init (NnFixtureWrongFactorActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Test fixture: tanh whose derivative is 2 % too large";
  activation_class->forward = nn_fixture_wrong_factor_activation_forward;
  activation_class->backward = nn_fixture_wrong_factor_activation_backward;
}

static void
nn_fixture_wrong_factor_activation_class_finalize (NnFixtureWrongFactorActivationClass *klass)
{
}

static void
nn_fixture_wrong_factor_activation_init (NnFixtureWrongFactorActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_fixture_wrong_factor_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:fixture_wrong_factor")
