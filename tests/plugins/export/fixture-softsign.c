/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fixture_softsign: f(z) = z / (1 + |z|), f'(z) = 1 / (1 + |z|)². A plugin
 * with a C form and an ONNX form, for nnrun export. */
#include <nn.h>

#define NN_TYPE_FIXTURE_SOFTSIGN_ACTIVATION (nn_fixture_softsign_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnFixtureSoftsignActivation,
                      nn_fixture_softsign_activation,
                      NN,
                      FIXTURE_SOFTSIGN_ACTIVATION,
                      NnActivation)

struct _NnFixtureSoftsignActivation
{
  NnActivation parent_instance;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnFixtureSoftsignActivation,
                                nn_fixture_softsign_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "fixture_softsign",
                                                                0);)

static void
nn_fixture_softsign_activation_forward (NnActivation   *activation,
                                        const NnMatrix *z,
                                        NnMatrix       *a)
{
  gsize n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    a->data[i] = z->data[i] / (1 + nn_fabs (z->data[i]));
}

static void
nn_fixture_softsign_activation_backward (NnActivation   *activation,
                                         const NnMatrix *z,
                                         const NnMatrix *a,
                                         const NnMatrix *grad_a,
                                         NnMatrix       *grad_z)
{
  gsize n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    {
      nn_real d = 1 + nn_fabs (z->data[i]);

      grad_z->data[i] = grad_a->data[i] / (d * d);
    }
}

static char *
nn_fixture_softsign_activation_to_c (NnActivation *activation,
                                     const char   *function)
{
  return g_strdup_printf ("static void %s(float *v, int n)\n{\n"
                          "  int i;\n"
                          "  for (i = 0; i < n; i++)\n"
                          "    v[i] = v[i] / (1 + fabsf(v[i]));\n"
                          "}\n",
                          function);
}

/* Div(z, Add(Abs(z), 1)) */
static char *
nn_fixture_softsign_activation_to_onnx (NnActivation *activation,
                                        NnOnnxGraph  *graph,
                                        const char   *input,
                                        GError      **error)
{
  const char *x[] = { input, NULL };
  const char *abs_plus_one[] = { nn_onnx_graph_add_node (graph, "Abs", x),
                                 nn_onnx_graph_add_scalar (graph, 1), NULL };
  const char *quotient[] = { input, nn_onnx_graph_add_node (graph, "Add", abs_plus_one), NULL };

  return g_strdup (nn_onnx_graph_add_node (graph, "Div", quotient));
}

static void
nn_fixture_softsign_activation_class_init (NnFixtureSoftsignActivationClass *klass)
{
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  activation_class->description = "Test fixture: z / (1 + |z|), with a C form and an ONNX form";
  activation_class->forward = nn_fixture_softsign_activation_forward;
  activation_class->backward = nn_fixture_softsign_activation_backward;
  activation_class->to_c = nn_fixture_softsign_activation_to_c;
  activation_class->to_onnx = nn_fixture_softsign_activation_to_onnx;
}

static void
nn_fixture_softsign_activation_class_finalize (NnFixtureSoftsignActivationClass *klass)
{
}

static void
nn_fixture_softsign_activation_init (NnFixtureSoftsignActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_fixture_softsign_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types)
