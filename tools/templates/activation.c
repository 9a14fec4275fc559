/* plugin_name: an activation for nn, made by `nnrun new-plugin`.
 *
 * Edit the two functions marked EDIT: forward computes f(z) and backward
 * multiplies the incoming gradient by f'(z). As made, f(z) = scale * z,
 * where `scale` shows how a parameter becomes settable from an experiment
 * file: rename it, add others the same way, or remove it.
 *
 * Build, check and use:
 *   cc -shared -fPIC plugin_name.c $(pkg-config --cflags --libs nncore) -o plugin_name.so
 *   nnrun check-plugin ./plugin_name.so
 *   activation: {name: plugin_name, scale: 1.0}      (in an experiment file)
 */
#include <nn.h>

#define PLUGIN_NAME_TYPE_ACTIVATION (plugin_name_activation_get_type ())
G_DECLARE_FINAL_TYPE (PluginNameActivation, plugin_name_activation, PLUGIN_NAME, ACTIVATION, NnActivation)

struct _PluginNameActivation
{
  NnActivation parent_instance;

  double scale;
};

/* Registers the class under the name that experiment files use. */
/* clang-format off */
G_DEFINE_DYNAMIC_TYPE_EXTENDED (PluginNameActivation, plugin_name_activation,
                                NN_TYPE_ACTIVATION, G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id, "plugin_name", 0);)
/* clang-format on */

enum {
  PROP_0,
  PROP_SCALE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* EDIT: a = f(z), element by element. z and a are batch x units matrices,
 * row-major, n values each. */
static void
plugin_name_activation_forward (NnActivation   *activation,
                                const NnMatrix *z,
                                NnMatrix       *a)
{
  PluginNameActivation *self = PLUGIN_NAME_ACTIVATION (activation);
  const nn_real         scale = (nn_real) self->scale;
  gsize                 n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    a->data[i] = scale * z->data[i];
}

/* EDIT: grad_z = grad_a * f'(z), element by element. z and a are the input
 * and the output of forward: use whichever gives f' more cheaply. */
static void
plugin_name_activation_backward (NnActivation   *activation,
                                 const NnMatrix *z,
                                 const NnMatrix *a,
                                 const NnMatrix *grad_a,
                                 NnMatrix       *grad_z)
{
  PluginNameActivation *self = PLUGIN_NAME_ACTIVATION (activation);
  const nn_real         scale = (nn_real) self->scale;
  gsize                 n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    grad_z->data[i] = grad_a->data[i] * scale;
}

static void
plugin_name_activation_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  PluginNameActivation *self = PLUGIN_NAME_ACTIVATION (object);

  switch (prop_id)
    {
    case PROP_SCALE:
      g_value_set_double (value, self->scale);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plugin_name_activation_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  PluginNameActivation *self = PLUGIN_NAME_ACTIVATION (object);

  switch (prop_id)
    {
    case PROP_SCALE:
      self->scale = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plugin_name_activation_class_init (PluginNameActivationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  object_class->get_property = plugin_name_activation_get_property;
  object_class->set_property = plugin_name_activation_set_property;

  /* One line, shown by `nnrun plugins`. */
  activation_class->description = "plugin_name: scale * z";
  activation_class->forward = plugin_name_activation_forward;
  activation_class->backward = plugin_name_activation_backward;

  /* In YAML: {name: plugin_name, scale: 2.0}. Values outside the range are
   * refused when the experiment is read; nnrun check-plugin checks the
   * default and a value away from it. */
  properties[PROP_SCALE] =
    g_param_spec_double ("scale", NULL, "Factor applied to z",
                         0.0, 10.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
plugin_name_activation_class_finalize (PluginNameActivationClass *klass)
{
}

static void
plugin_name_activation_init (PluginNameActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  plugin_name_activation_register_type (module);
}

/* The entry points nn looks for, the plugin ABI and scalar type that this
 * file is built for, and the names it registers, which nn reads from the
 * file to load it only when an experiment names one of them. */
NN_PLUGIN_DEFINE (register_types, "activation:plugin_name")
