/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fixture_square: f(z) = z², f'(z) = 2z. A plugin outside the built-in
 * folder, to check that a folder added at run time is loaded. */
#include <nn.h>

#define NN_TYPE_FIXTURE_SQUARE_ACTIVATION (nn_fixture_square_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnFixtureSquareActivation,
                      nn_fixture_square_activation,
                      NN,
                      FIXTURE_SQUARE_ACTIVATION,
                      NnActivation)

struct _NnFixtureSquareActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnFixtureSquareActivation,
                                nn_fixture_square_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "fixture_square",
                                                                0);)

static void
nn_fixture_square_activation_forward (NnActivation   *activation,
                                      const NnMatrix *z,
                                      NnMatrix       *a)
{
  gsize n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    a->data[i] = z->data[i] * z->data[i];
}

static void
nn_fixture_square_activation_backward (NnActivation   *activation,
                                       const NnMatrix *z,
                                       const NnMatrix *a,
                                       const NnMatrix *grad_a,
                                       NnMatrix       *grad_z)
{
  gsize n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    grad_z->data[i] = 2 * z->data[i] * grad_a->data[i];
}

static void
nn_fixture_square_activation_class_init (NnFixtureSquareActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Test fixture: z squared";
  activation_class->forward = nn_fixture_square_activation_forward;
  activation_class->backward = nn_fixture_square_activation_backward;
}

static void
nn_fixture_square_activation_class_finalize (NnFixtureSquareActivationClass *klass)
{
}

static void
nn_fixture_square_activation_init (NnFixtureSquareActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_fixture_square_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types)
