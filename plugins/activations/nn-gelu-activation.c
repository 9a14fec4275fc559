/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gelu: z Phi(z), the exact erf form (torch.nn.GELU(approximate='none')). */
#include <nn.h>

/* Phi(z) = erfc(-z / sqrt 2) / 2 is 0.5 (1 + erf(z / sqrt 2)) without the
 * cancellation of 1 + erf for negative z. nn-real.h has no nn_erfc. */
#if NN_REAL_IS_DOUBLE
#define gelu_erfc erfc
#else
#define gelu_erfc erfcf
#endif

#define NN_TYPE_GELU_ACTIVATION (nn_gelu_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnGeluActivation, nn_gelu_activation, NN, GELU_ACTIVATION, NnActivation)

/**
 * NnGeluActivation:
 *
 * The Gaussian error linear unit `f(z) = z Phi(z) = 0.5 z (1 + erf(z / sqrt 2))`,
 * PyTorch's exact (not tanh-approximated) `GELU`, with derivative
 * `Phi(z) + z phi(z)`.
 */
struct _NnGeluActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnGeluActivation,
                                nn_gelu_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "gelu",
                                                                0);)

static void
nn_gelu_activation_forward (NnActivation   *activation,
                            const NnMatrix *z,
                            NnMatrix       *a)
{
  const nn_real *zd = z->data;
  nn_real       *ad = a->data;
  gsize          n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    ad[i] = (nn_real) 0.5 * zd[i] * gelu_erfc (-zd[i] * (nn_real) G_SQRT2 / 2);
}

static void
nn_gelu_activation_backward (NnActivation   *activation,
                             const NnMatrix *z,
                             const NnMatrix *a,
                             const NnMatrix *grad_a,
                             NnMatrix       *grad_z)
{
  /* 1 / sqrt (2 pi) */
  const nn_real  inv_sqrt_2pi = (nn_real) 0.39894228040143267794;
  const nn_real *zd = z->data;
  const nn_real *gd = grad_a->data;
  nn_real       *out = grad_z->data;
  gsize          n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    {
      nn_real x = zd[i];
      nn_real cdf = (nn_real) 0.5 * gelu_erfc (-x * (nn_real) G_SQRT2 / 2);
      nn_real pdf = inv_sqrt_2pi * nn_exp ((nn_real) -0.5 * x * x);

      out[i] = gd[i] * (cdf + x * pdf);
    }
}

static void
nn_gelu_activation_class_init (NnGeluActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Gaussian error linear unit z * Phi(z), erf form";
  activation_class->forward = nn_gelu_activation_forward;
  activation_class->backward = nn_gelu_activation_backward;
}

static void
nn_gelu_activation_class_finalize (NnGeluActivationClass *klass)
{
}

static void
nn_gelu_activation_init (NnGeluActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_gelu_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:gelu")
