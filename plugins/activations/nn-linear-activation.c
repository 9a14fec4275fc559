/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* linear: the identity (torch.nn.Identity), for regression outputs. */
#include <string.h>
#include <nn.h>

#define NN_TYPE_LINEAR_ACTIVATION (nn_linear_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnLinearActivation, nn_linear_activation, NN, LINEAR_ACTIVATION, NnActivation)

/**
 * NnLinearActivation:
 *
 * The identity `f(z) = z`, whose derivative is 1.
 */
struct _NnLinearActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnLinearActivation,
                                nn_linear_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "linear",
                                                                0);)

static void
nn_linear_activation_forward (NnActivation   *activation,
                              const NnMatrix *z,
                              NnMatrix       *a)
{
  /* memmove: a caller may compute in place (a == z). */
  if (a->data != z->data)
    memmove (a->data, z->data, nn_matrix_size (z) * sizeof (nn_real));
}

static void
nn_linear_activation_backward (NnActivation   *activation,
                               const NnMatrix *z,
                               const NnMatrix *a,
                               const NnMatrix *grad_a,
                               NnMatrix       *grad_z)
{
  if (grad_z->data != grad_a->data)
    memmove (grad_z->data, grad_a->data, nn_matrix_size (grad_a) * sizeof (nn_real));
}

static void
nn_linear_activation_class_init (NnLinearActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Identity f(z) = z, for regression outputs";
  activation_class->forward = nn_linear_activation_forward;
  activation_class->backward = nn_linear_activation_backward;
}

static void
nn_linear_activation_class_finalize (NnLinearActivationClass *klass)
{
}

static void
nn_linear_activation_init (NnLinearActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_linear_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:linear")
