/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A well-formed plugin that registers an activation under "sigmoid", a
 * name the built-in plugins already use. Its type name is its own: two
 * modules registering one type name is a GLib warning, not our case. It
 * computes the logistic function so that a run where it loads first (it
 * comes first on NN_PLUGIN_PATH) still trains. */
#include <nn.h>

#define NN_TYPE_FIXTURE_DUPLICATE_SIGMOID_ACTIVATION \
  (nn_fixture_duplicate_sigmoid_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnFixtureDuplicateSigmoidActivation,
                      nn_fixture_duplicate_sigmoid_activation,
                      NN,
                      FIXTURE_DUPLICATE_SIGMOID_ACTIVATION,
                      NnActivation)

struct _NnFixtureDuplicateSigmoidActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnFixtureDuplicateSigmoidActivation,
                                nn_fixture_duplicate_sigmoid_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "sigmoid",
                                                                0);)

static void
nn_fixture_duplicate_sigmoid_activation_forward (NnActivation   *activation,
                                                 const NnMatrix *z,
                                                 NnMatrix       *a)
{
  gsize n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    {
      nn_real e = nn_exp (-nn_fabs (z->data[i]));

      a->data[i] = z->data[i] >= 0 ? 1 / (1 + e) : e / (1 + e);
    }
}

static void
nn_fixture_duplicate_sigmoid_activation_backward (NnActivation   *activation,
                                                  const NnMatrix *z,
                                                  const NnMatrix *a,
                                                  const NnMatrix *grad_a,
                                                  NnMatrix       *grad_z)
{
  gsize n = nn_matrix_size (a);

  for (gsize i = 0; i < n; i++)
    grad_z->data[i] = grad_a->data[i] * a->data[i] * (1 - a->data[i]);
}

static void
nn_fixture_duplicate_sigmoid_activation_class_init (NnFixtureDuplicateSigmoidActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Test fixture: a second sigmoid";
  activation_class->forward = nn_fixture_duplicate_sigmoid_activation_forward;
  activation_class->backward = nn_fixture_duplicate_sigmoid_activation_backward;
}

static void
nn_fixture_duplicate_sigmoid_activation_class_finalize (NnFixtureDuplicateSigmoidActivationClass *klass)
{
}

static void
nn_fixture_duplicate_sigmoid_activation_init (NnFixtureDuplicateSigmoidActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_fixture_duplicate_sigmoid_activation_register_type (module);
}

/* Built a second time, into a folder of its own, recording its name: a
 * plugin that takes a built-in's name and comes first on the path. */
#ifdef FIXTURE_RECORDS_NAMES
NN_PLUGIN_DEFINE (register_types, "activation:sigmoid")
#else
NN_PLUGIN_DEFINE (register_types)
#endif
