/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fixture_gain: A = X ⊙ gain + bias, gain and bias learnt per input. A
 * layer kind with parameters and an ONNX form (NnLayerClass.to_onnx): the
 * gain as a matrix, the bias as a vector. Its `fault` makes the form go
 * wrong in one way for what export must refuse: 1 fails with an error, 2
 * returns a name the graph does not have, 3 leaves an attribute with no
 * node. */
#include <nn.h>

#define FIXTURE_GAIN_TYPE_LAYER (fixture_gain_layer_get_type ())
G_DECLARE_FINAL_TYPE (FixtureGainLayer, fixture_gain_layer, FIXTURE_GAIN, LAYER, NnLayer)

struct _FixtureGainLayer
{
  NnLayer parent_instance;

  guint fault;

  guint     width;
  NnMatrix *param[2]; /* gain, bias: 1 × width */
  NnMatrix *grad[2];
  NnMatrix *a;
  NnMatrix *grad_x;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (FixtureGainLayer,
                                fixture_gain_layer,
                                NN_TYPE_LAYER,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LAYER_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "fixture_gain",
                                                                0);)

enum {
  PROP_0,
  PROP_FAULT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
fixture_gain_layer_constructed (GObject *object)
{
  FixtureGainLayer *self = FIXTURE_GAIN_LAYER (object);

  G_OBJECT_CLASS (fixture_gain_layer_parent_class)->constructed (object);

  self->width = nn_layer_get_n_inputs (NN_LAYER (self));
  for (guint i = 0; i < 2; i++)
    {
      self->param[i] = nn_matrix_new (1, self->width);
      self->grad[i] = nn_matrix_new (1, self->width);
    }
  nn_matrix_fill (self->param[0], 1);
}

static void
fixture_gain_layer_finalize (GObject *object)
{
  FixtureGainLayer *self = FIXTURE_GAIN_LAYER (object);

  for (guint i = 0; i < 2; i++)
    {
      g_clear_pointer (&self->param[i], nn_matrix_free);
      g_clear_pointer (&self->grad[i], nn_matrix_free);
    }
  g_clear_pointer (&self->a, nn_matrix_free);
  g_clear_pointer (&self->grad_x, nn_matrix_free);

  G_OBJECT_CLASS (fixture_gain_layer_parent_class)->finalize (object);
}

static const NnMatrix *
fixture_gain_layer_forward (NnLayer        *layer,
                            const NnMatrix *x)
{
  FixtureGainLayer *self = FIXTURE_GAIN_LAYER (layer);

  if (self->a == NULL || self->a->rows != x->rows)
    {
      g_clear_pointer (&self->a, nn_matrix_free);
      g_clear_pointer (&self->grad_x, nn_matrix_free);
      self->a = nn_matrix_new (x->rows, self->width);
      self->grad_x = nn_matrix_new (x->rows, self->width);
    }
  for (gsize i = 0; i < nn_matrix_size (x); i++)
    self->a->data[i] = x->data[i] * self->param[0]->data[i % self->width] +
                       self->param[1]->data[i % self->width];
  return self->a;
}

static const NnMatrix *
fixture_gain_layer_backward (NnLayer        *layer,
                             const NnMatrix *x,
                             const NnMatrix *grad_a,
                             gboolean        want_grad_input)
{
  FixtureGainLayer *self = FIXTURE_GAIN_LAYER (layer);

  nn_matrix_fill (self->grad[0], 0);
  nn_matrix_fill (self->grad[1], 0);
  for (gsize i = 0; i < nn_matrix_size (x); i++)
    {
      self->grad[0]->data[i % self->width] += grad_a->data[i] * x->data[i];
      self->grad[1]->data[i % self->width] += grad_a->data[i];
      self->grad_x->data[i] = grad_a->data[i] * self->param[0]->data[i % self->width];
    }
  return want_grad_input ? self->grad_x : NULL;
}

static const NnMatrix *
fixture_gain_layer_get_output (NnLayer *layer)
{
  return FIXTURE_GAIN_LAYER (layer)->a;
}

static guint
fixture_gain_layer_get_n_parameters (NnLayer *layer)
{
  return 2;
}

static NnMatrix *
fixture_gain_layer_get_parameter (NnLayer *layer,
                                  guint    index)
{
  return FIXTURE_GAIN_LAYER (layer)->param[index];
}

static const NnMatrix *
fixture_gain_layer_get_gradient (NnLayer *layer,
                                 guint    index)
{
  return FIXTURE_GAIN_LAYER (layer)->grad[index];
}

static const char *
fixture_gain_layer_get_parameter_name (NnLayer *layer,
                                       guint    index)
{
  return index == 0 ? "gain" : "bias";
}

/* Away from the identity, so that a form forgetting either shows. */
static void
fixture_gain_layer_init_parameters (NnLayer *layer,
                                    NnInit   init,
                                    GRand   *rand)
{
  FixtureGainLayer *self = FIXTURE_GAIN_LAYER (layer);

  for (guint c = 0; c < self->width; c++)
    {
      self->param[0]->data[c] = (nn_real) g_rand_double_range (rand, 0.5, 2.0);
      self->param[1]->data[c] = (nn_real) g_rand_double_range (rand, -0.5, 0.5);
    }
}

/* Add(Mul(X, gain [1, width]), bias [width]) */
static char *
fixture_gain_layer_to_onnx (NnLayer     *layer,
                            NnOnnxGraph *graph,
                            const char  *input,
                            GError     **error)
{
  FixtureGainLayer *self = FIXTURE_GAIN_LAYER (layer);
  g_autofree float *bias = g_new (float, self->width);
  gint64            dims[] = { self->width };
  const char       *product[] = { input, nn_onnx_graph_add_matrix (graph, self->param[0]), NULL };
  const char       *sum[3];
  const char       *out;

  if (self->fault == 1)
    {
      g_set_error_literal (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_FAILED,
                           "fixture_gain was asked to fail");
      return NULL;
    }
  for (guint c = 0; c < self->width; c++)
    bias[c] = (float) self->param[1]->data[c];
  sum[0] = nn_onnx_graph_add_node (graph, "Mul", product);
  sum[1] = nn_onnx_graph_add_floats (graph, bias, self->width, dims, 1);
  sum[2] = NULL;
  if (self->fault == 2)
    return g_strdup ("no_such_value");
  out = nn_onnx_graph_add_node (graph, "Add", sum);
  if (self->fault == 3)
    nn_onnx_graph_set_attribute_float (graph, "alpha", 1);
  return g_strdup (out);
}

static void
fixture_gain_layer_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_FAULT:
      g_value_set_uint (value, FIXTURE_GAIN_LAYER (object)->fault);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fixture_gain_layer_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_FAULT:
      FIXTURE_GAIN_LAYER (object)->fault = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fixture_gain_layer_class_init (FixtureGainLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NnLayerClass *layer_class = NN_LAYER_CLASS (klass);

  object_class->constructed = fixture_gain_layer_constructed;
  object_class->finalize = fixture_gain_layer_finalize;
  object_class->get_property = fixture_gain_layer_get_property;
  object_class->set_property = fixture_gain_layer_set_property;

  layer_class->description = "Test fixture: X ⊙ gain + bias, with an ONNX form";
  layer_class->forward = fixture_gain_layer_forward;
  layer_class->backward = fixture_gain_layer_backward;
  layer_class->get_output = fixture_gain_layer_get_output;
  layer_class->get_n_parameters = fixture_gain_layer_get_n_parameters;
  layer_class->get_parameter = fixture_gain_layer_get_parameter;
  layer_class->get_gradient = fixture_gain_layer_get_gradient;
  layer_class->get_parameter_name = fixture_gain_layer_get_parameter_name;
  layer_class->init_parameters = fixture_gain_layer_init_parameters;
  layer_class->to_onnx = fixture_gain_layer_to_onnx;

  properties[PROP_FAULT] =
    g_param_spec_uint ("fault", NULL, "How the ONNX form goes wrong: 0 it does not", 0, 3, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fixture_gain_layer_class_finalize (FixtureGainLayerClass *klass)
{
}

static void
fixture_gain_layer_init (FixtureGainLayer *self)
{
}

static void
register_types (GTypeModule *module)
{
  fixture_gain_layer_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "layer:fixture_gain")
