/* plugin_name: an optimizer for nn, made by `nnrun new-plugin`.
 *
 * Edit the function marked EDIT, which takes one step for one parameter
 * matrix. As made, it is gradient descent with momentum: v = momentum v + g,
 * then theta = theta - learning_rate v, with one velocity matrix v per
 * parameter, allocated in prepare. `momentum` shows how a parameter becomes
 * settable from an experiment file; `learning_rate` comes with every
 * optimizer. Keep save_state and load_state in step with the state you
 * keep: a run resumed from a checkpoint goes on from what they save, and
 * nnrun check-plugin checks that it ends where the uninterrupted run ends.
 *
 * Build, check and use:
 *   cc -shared -fPIC plugin_name.c $(pkg-config --cflags --libs nncore) -o plugin_name.so
 *   nnrun check-plugin ./plugin_name.so
 *   optimizer: {name: plugin_name, learning_rate: 0.01, momentum: 0.9}
 */
#include <nn.h>

#define PLUGIN_NAME_TYPE_OPTIMIZER (plugin_name_optimizer_get_type ())
G_DECLARE_FINAL_TYPE (PluginNameOptimizer, plugin_name_optimizer, PLUGIN_NAME, OPTIMIZER, NnOptimizer)

struct _PluginNameOptimizer
{
  NnOptimizer parent_instance;

  double     momentum;
  GPtrArray *velocity; /* NnMatrix, one per parameter */
};

/* Registers the class under the name that experiment files use. */
/* clang-format off */
G_DEFINE_DYNAMIC_TYPE_EXTENDED (PluginNameOptimizer, plugin_name_optimizer,
                                NN_TYPE_OPTIMIZER, G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_OPTIMIZER_EXTENSION_POINT_NAME,
                                                                g_define_type_id, "plugin_name", 0);)
/* clang-format on */

enum {
  PROP_0,
  PROP_MOMENTUM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Called once before training with every parameter, in the model's order:
 * allocate the state here, never in update. */
static void
plugin_name_optimizer_prepare (NnOptimizer     *optimizer,
                               guint            n_params,
                               const NnMatrix **params)
{
  PluginNameOptimizer *self = PLUGIN_NAME_OPTIMIZER (optimizer);

  g_clear_pointer (&self->velocity, g_ptr_array_unref);
  self->velocity = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_matrix_free);
  for (guint i = 0; i < n_params; i++)
    g_ptr_array_add (self->velocity, nn_matrix_new (params[i]->rows, params[i]->cols));
}

/* EDIT: one step for parameter @index (its matrix and its gradient, of the
 * same shape); nn_optimizer_get_iterations() is the step number, from 1. */
static void
plugin_name_optimizer_update (NnOptimizer    *optimizer,
                              guint           index,
                              NnMatrix       *param,
                              const NnMatrix *grad)
{
  PluginNameOptimizer *self = PLUGIN_NAME_OPTIMIZER (optimizer);
  const nn_real        lr = (nn_real) nn_optimizer_get_learning_rate (optimizer);
  const nn_real        mu = (nn_real) self->momentum;
  nn_real             *v = ((NnMatrix *) self->velocity->pdata[index])->data;
  gsize                n = nn_matrix_size (param);

  for (gsize i = 0; i < n; i++)
    {
      v[i] = mu * v[i] + grad->data[i];
      param->data[i] -= lr * v[i];
    }
}

/* What a checkpoint keeps of the state, and reads back on resuming. */
static void
plugin_name_optimizer_save_state (NnOptimizer  *optimizer,
                                  GVariantDict *state)
{
  PluginNameOptimizer *self = PLUGIN_NAME_OPTIMIZER (optimizer);

  nn_optimizer_state_add_buffers (state, "velocity", self->velocity);
}

static gboolean
plugin_name_optimizer_load_state (NnOptimizer  *optimizer,
                                  GVariantDict *state,
                                  GError      **error)
{
  PluginNameOptimizer *self = PLUGIN_NAME_OPTIMIZER (optimizer);

  return nn_optimizer_state_read_buffers (state, "velocity", self->velocity, error);
}

static void
plugin_name_optimizer_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  PluginNameOptimizer *self = PLUGIN_NAME_OPTIMIZER (object);

  switch (prop_id)
    {
    case PROP_MOMENTUM:
      g_value_set_double (value, self->momentum);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plugin_name_optimizer_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  PluginNameOptimizer *self = PLUGIN_NAME_OPTIMIZER (object);

  switch (prop_id)
    {
    case PROP_MOMENTUM:
      self->momentum = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plugin_name_optimizer_finalize (GObject *object)
{
  PluginNameOptimizer *self = PLUGIN_NAME_OPTIMIZER (object);

  g_clear_pointer (&self->velocity, g_ptr_array_unref);
  G_OBJECT_CLASS (plugin_name_optimizer_parent_class)->finalize (object);
}

static void
plugin_name_optimizer_class_init (PluginNameOptimizerClass *klass)
{
  GObjectClass     *object_class = G_OBJECT_CLASS (klass);
  NnOptimizerClass *optimizer_class = NN_OPTIMIZER_CLASS (klass);

  object_class->finalize = plugin_name_optimizer_finalize;
  object_class->get_property = plugin_name_optimizer_get_property;
  object_class->set_property = plugin_name_optimizer_set_property;

  /* One line, shown by `nnrun plugins`. */
  optimizer_class->description = "plugin_name: gradient descent with momentum";
  optimizer_class->prepare = plugin_name_optimizer_prepare;
  optimizer_class->update = plugin_name_optimizer_update;
  optimizer_class->save_state = plugin_name_optimizer_save_state;
  optimizer_class->load_state = plugin_name_optimizer_load_state;

  /* In YAML: {name: plugin_name, momentum: 0.5}. Values outside the range are
   * refused when the experiment is read. */
  properties[PROP_MOMENTUM] =
    g_param_spec_double ("momentum", NULL, "Fraction of the velocity kept at each step",
                         0.0, 0.99, 0.9,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
plugin_name_optimizer_class_finalize (PluginNameOptimizerClass *klass)
{
}

static void
plugin_name_optimizer_init (PluginNameOptimizer *self)
{
}

static void
register_types (GTypeModule *module)
{
  plugin_name_optimizer_register_type (module);
}

/* The entry points nn looks for, the plugin ABI and scalar type that this
 * file is built for, and the names it registers, which nn reads from the
 * file to load it only when an experiment names one of them. */
NN_PLUGIN_DEFINE (register_types, "optimizer:plugin_name")
