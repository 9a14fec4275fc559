/* plugin_name: a layer kind for nn, made by `nnrun new-plugin`.
 *
 * Edit the functions marked EDIT: forward computes the output A of a batch
 * X, and backward takes dL/dA back to the parameters' gradients and to
 * dL/dX. As made, A = X * gain + bias per input, with gain and bias learnt,
 * gain starting at `initial_gain`, which shows how a parameter becomes
 * settable from an experiment file: rename it, add others the same way, or
 * remove it. A layer that is random in training (dropout, noise) draws its
 * numbers with nn_layer_get_step_uniform (layer, i), the same ones for the
 * same training step.
 *
 * Build, check and use:
 *   cc -shared -fPIC plugin_name.c $(pkg-config --cflags --libs nncore) -o plugin_name.so
 *   nnrun check-plugin ./plugin_name.so
 *   - {type: plugin_name, initial_gain: 1.0}      (in model.layers)
 */
#include <nn.h>

#define PLUGIN_NAME_TYPE_LAYER (plugin_name_layer_get_type ())
G_DECLARE_FINAL_TYPE (PluginNameLayer, plugin_name_layer, PLUGIN_NAME, LAYER, NnLayer)

struct _PluginNameLayer
{
  NnLayer parent_instance;

  double initial_gain;

  /* The width of the input and of the output. */
  guint width;
  /* The parameters, 1 x width each, and their gradients of the last
   * backward step. */
  NnMatrix *gain;
  NnMatrix *bias;
  NnMatrix *grad_gain;
  NnMatrix *grad_bias;
  /* The last batch's output and dL/dX. */
  NnMatrix *a;
  NnMatrix *grad_x;
};

/* Registers the class under the name that experiment files use in `type:`. */
/* clang-format off */
G_DEFINE_DYNAMIC_TYPE_EXTENDED (PluginNameLayer, plugin_name_layer,
                                NN_TYPE_LAYER, G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LAYER_EXTENSION_POINT_NAME,
                                                                g_define_type_id, "plugin_name", 0);)
/* clang-format on */

enum {
  PROP_0,
  PROP_INITIAL_GAIN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The output and dL/dX of a batch of @rows, made anew when the batch
 * size changes. */
static void
ensure_rows (PluginNameLayer *self,
             guint            rows)
{
  if (self->a != NULL && self->a->rows == rows)
    return;
  g_clear_pointer (&self->a, nn_matrix_free);
  g_clear_pointer (&self->grad_x, nn_matrix_free);
  self->a = nn_matrix_new (rows, self->width);
  self->grad_x = nn_matrix_new (rows, self->width);
}

/* EDIT: A = f(X). X is batch x width, row-major; A may have another width
 * (then also set get_n_outputs in class_init). The output stays valid until
 * the next forward step. nn_layer_get_training (layer) says whether this is
 * training or evaluation, for a layer that behaves differently then. */
static const NnMatrix *
plugin_name_layer_forward (NnLayer        *layer,
                           const NnMatrix *x)
{
  PluginNameLayer *self = PLUGIN_NAME_LAYER (layer);

  ensure_rows (self, x->rows);
  for (guint r = 0; r < x->rows; r++)
    for (guint c = 0; c < self->width; c++)
      NN_MATRIX_AT (self->a, r, c) = NN_MATRIX_AT (x, r, c) * self->gain->data[c] +
                                     self->bias->data[c];
  return self->a;
}

/* EDIT: from dL/dA (grad_a, the shape of A) and the X of the last forward
 * step, the gradient of each parameter, summed over the batch's rows, and,
 * if asked, dL/dX. */
static const NnMatrix *
plugin_name_layer_backward (NnLayer        *layer,
                            const NnMatrix *x,
                            const NnMatrix *grad_a,
                            gboolean        want_grad_input)
{
  PluginNameLayer *self = PLUGIN_NAME_LAYER (layer);

  nn_matrix_fill (self->grad_gain, 0);
  nn_matrix_fill (self->grad_bias, 0);
  for (guint r = 0; r < x->rows; r++)
    for (guint c = 0; c < self->width; c++)
      {
        self->grad_gain->data[c] += NN_MATRIX_AT (grad_a, r, c) * NN_MATRIX_AT (x, r, c);
        self->grad_bias->data[c] += NN_MATRIX_AT (grad_a, r, c);
      }
  if (!want_grad_input)
    return NULL;
  for (guint r = 0; r < x->rows; r++)
    for (guint c = 0; c < self->width; c++)
      NN_MATRIX_AT (self->grad_x, r, c) = NN_MATRIX_AT (grad_a, r, c) * self->gain->data[c];
  return self->grad_x;
}

/* The starting values of the parameters, before training: @rand is the
 * experiment's, for a layer that draws them. */
static void
plugin_name_layer_init_parameters (NnLayer *layer,
                                   NnInit   init,
                                   GRand   *rand)
{
  PluginNameLayer *self = PLUGIN_NAME_LAYER (layer);

  nn_matrix_fill (self->gain, (nn_real) self->initial_gain);
  nn_matrix_fill (self->bias, 0);
}

static const NnMatrix *
plugin_name_layer_get_output (NnLayer *layer)
{
  return PLUGIN_NAME_LAYER (layer)->a;
}

/* The parameters, in a fixed order, and their names in saved models. */
static guint
plugin_name_layer_get_n_parameters (NnLayer *layer)
{
  return 2;
}

static NnMatrix *
plugin_name_layer_get_parameter (NnLayer *layer,
                                 guint    index)
{
  PluginNameLayer *self = PLUGIN_NAME_LAYER (layer);

  return index == 0 ? self->gain : self->bias;
}

static const NnMatrix *
plugin_name_layer_get_gradient (NnLayer *layer,
                                guint    index)
{
  PluginNameLayer *self = PLUGIN_NAME_LAYER (layer);

  return index == 0 ? self->grad_gain : self->grad_bias;
}

static const char *
plugin_name_layer_get_parameter_name (NnLayer *layer,
                                      guint    index)
{
  return index == 0 ? "gain" : "bias";
}

/* The input width is known once the object is constructed. */
static void
plugin_name_layer_constructed (GObject *object)
{
  PluginNameLayer *self = PLUGIN_NAME_LAYER (object);

  G_OBJECT_CLASS (plugin_name_layer_parent_class)->constructed (object);

  self->width = nn_layer_get_n_inputs (NN_LAYER (self));
  self->gain = nn_matrix_new (1, self->width);
  self->bias = nn_matrix_new (1, self->width);
  self->grad_gain = nn_matrix_new (1, self->width);
  self->grad_bias = nn_matrix_new (1, self->width);
  nn_matrix_fill (self->gain, (nn_real) self->initial_gain);
  ensure_rows (self, 1);
}

static void
plugin_name_layer_finalize (GObject *object)
{
  PluginNameLayer *self = PLUGIN_NAME_LAYER (object);

  g_clear_pointer (&self->gain, nn_matrix_free);
  g_clear_pointer (&self->bias, nn_matrix_free);
  g_clear_pointer (&self->grad_gain, nn_matrix_free);
  g_clear_pointer (&self->grad_bias, nn_matrix_free);
  g_clear_pointer (&self->a, nn_matrix_free);
  g_clear_pointer (&self->grad_x, nn_matrix_free);

  G_OBJECT_CLASS (plugin_name_layer_parent_class)->finalize (object);
}

static void
plugin_name_layer_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  PluginNameLayer *self = PLUGIN_NAME_LAYER (object);

  switch (prop_id)
    {
    case PROP_INITIAL_GAIN:
      g_value_set_double (value, self->initial_gain);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plugin_name_layer_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  PluginNameLayer *self = PLUGIN_NAME_LAYER (object);

  switch (prop_id)
    {
    case PROP_INITIAL_GAIN:
      self->initial_gain = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plugin_name_layer_class_init (PluginNameLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NnLayerClass *layer_class = NN_LAYER_CLASS (klass);

  object_class->constructed = plugin_name_layer_constructed;
  object_class->finalize = plugin_name_layer_finalize;
  object_class->get_property = plugin_name_layer_get_property;
  object_class->set_property = plugin_name_layer_set_property;

  /* One line, shown by `nnrun plugins`. */
  layer_class->description = "plugin_name: X * gain + bias per input, both learnt";
  layer_class->forward = plugin_name_layer_forward;
  layer_class->backward = plugin_name_layer_backward;
  layer_class->get_output = plugin_name_layer_get_output;
  layer_class->get_n_parameters = plugin_name_layer_get_n_parameters;
  layer_class->get_parameter = plugin_name_layer_get_parameter;
  layer_class->get_gradient = plugin_name_layer_get_gradient;
  layer_class->get_parameter_name = plugin_name_layer_get_parameter_name;
  layer_class->init_parameters = plugin_name_layer_init_parameters;

  /* In YAML: {type: plugin_name, initial_gain: 2.0}. Values outside the
   * range are refused when the experiment is read; nnrun check-plugin
   * checks the default and a value away from it. */
  properties[PROP_INITIAL_GAIN] =
    g_param_spec_double ("initial-gain", NULL, "Value of every gain before training",
                         0.0, 10.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
plugin_name_layer_class_finalize (PluginNameLayerClass *klass)
{
}

static void
plugin_name_layer_init (PluginNameLayer *self)
{
}

static void
register_types (GTypeModule *module)
{
  plugin_name_layer_register_type (module);
}

/* The entry points nn looks for, the plugin ABI and scalar type that this
 * file is built for, and the names it registers, which nn reads from the
 * file to load it only when an experiment names one of them. */
NN_PLUGIN_DEFINE (register_types, "layer:plugin_name")
