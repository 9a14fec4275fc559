/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fixture_wrong_negative: elu (alpha 1) whose derivative is wrong on the
 * negative side only, a classic slip: it uses a = e^z - 1 where the
 * derivative is e^z = a + 1. check-plugin must fail it, and say where. */
#include <nn.h>

#define NN_TYPE_FIXTURE_WRONG_NEGATIVE_ACTIVATION (nn_fixture_wrong_negative_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnFixtureWrongNegativeActivation,
                      nn_fixture_wrong_negative_activation,
                      NN,
                      FIXTURE_WRONG_NEGATIVE_ACTIVATION,
                      NnActivation)

struct _NnFixtureWrongNegativeActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnFixtureWrongNegativeActivation,
                                nn_fixture_wrong_negative_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "fixture_wrong_negative",
                                                                0);)

static void
nn_fixture_wrong_negative_activation_forward (NnActivation   *activation,
                                              const NnMatrix *z,
                                              NnMatrix       *a)
{
  gsize n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    a->data[i] = z->data[i] > 0 ? z->data[i] : nn_expm1 (z->data[i]);
}

static void
nn_fixture_wrong_negative_activation_backward (NnActivation   *activation,
                                               const NnMatrix *z,
                                               const NnMatrix *a,
                                               const NnMatrix *grad_a,
                                               NnMatrix       *grad_z)
{
  gsize n = nn_matrix_size (z);

  /* The bug: a where it should be a + 1. */
  for (gsize i = 0; i < n; i++)
    grad_z->data[i] = grad_a->data[i] * (z->data[i] > 0 ? 1 : a->data[i]);
}

static void
nn_fixture_wrong_negative_activation_class_init (NnFixtureWrongNegativeActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Test fixture: elu whose derivative is wrong for z < 0";
  activation_class->forward = nn_fixture_wrong_negative_activation_forward;
  activation_class->backward = nn_fixture_wrong_negative_activation_backward;
}

static void
nn_fixture_wrong_negative_activation_class_finalize (NnFixtureWrongNegativeActivationClass *klass)
{
}

static void
nn_fixture_wrong_negative_activation_init (NnFixtureWrongNegativeActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_fixture_wrong_negative_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:fixture_wrong_negative")
