/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* silu: z sigmoid(z), also called swish (torch.nn.SiLU). */
#include <nn.h>

#define NN_TYPE_SILU_ACTIVATION (nn_silu_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnSiluActivation, nn_silu_activation, NN, SILU_ACTIVATION, NnActivation)

/**
 * NnSiluActivation:
 *
 * The sigmoid linear unit `f(z) = z sigma(z)`, with derivative
 * `sigma(z) (1 + z (1 - sigma(z)))`.
 */
struct _NnSiluActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnSiluActivation,
                                nn_silu_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "silu",
                                                                0);)

/* sigma(x) and 1 - sigma(x) = sigma(-x), each without overflow or
 * cancellation: the exponential is only taken of -|x|. */
static inline void
sigmoid_pair (nn_real  x,
              nn_real *s,
              nn_real *one_minus_s)
{
  nn_real e = nn_exp (-nn_fabs (x));
  nn_real inv = 1 / (1 + e);

  if (x >= 0)
    {
      *s = inv;
      *one_minus_s = e * inv;
    }
  else
    {
      *s = e * inv;
      *one_minus_s = inv;
    }
}

static void
nn_silu_activation_forward (NnActivation   *activation,
                            const NnMatrix *z,
                            NnMatrix       *a)
{
  const nn_real *zd = z->data;
  nn_real       *ad = a->data;
  gsize          n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    {
      nn_real s, one_minus_s;

      sigmoid_pair (zd[i], &s, &one_minus_s);
      ad[i] = zd[i] * s;
    }
}

static void
nn_silu_activation_backward (NnActivation   *activation,
                             const NnMatrix *z,
                             const NnMatrix *a,
                             const NnMatrix *grad_a,
                             NnMatrix       *grad_z)
{
  const nn_real *zd = z->data;
  const nn_real *gd = grad_a->data;
  nn_real       *out = grad_z->data;
  gsize          n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    {
      nn_real s, one_minus_s;

      sigmoid_pair (zd[i], &s, &one_minus_s);
      out[i] = gd[i] * s * (1 + zd[i] * one_minus_s);
    }
}

static void
nn_silu_activation_class_init (NnSiluActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Sigmoid linear unit (swish) z * sigmoid(z)";
  activation_class->forward = nn_silu_activation_forward;
  activation_class->backward = nn_silu_activation_backward;
}

static void
nn_silu_activation_class_finalize (NnSiluActivationClass *klass)
{
}

static void
nn_silu_activation_init (NnSiluActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_silu_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:silu")
