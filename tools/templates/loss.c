/* plugin_name: a loss for nn, made by `nnrun new-plugin`.
 *
 * Edit the two functions marked EDIT: compute returns the loss of a batch,
 * a mean over the samples, and gradient writes the derivative of exactly
 * that mean with respect to each prediction. As made, it is the mean
 * squared error times `weight`, a parameter that shows how one becomes
 * settable from an experiment file: rename it, add others the same way,
 * or remove it.
 *
 * Build, check and use:
 *   cc -shared -fPIC plugin_name.c $(pkg-config --cflags --libs nncore) -o plugin_name.so
 *   nnrun check-plugin ./plugin_name.so
 *   loss: {name: plugin_name, weight: 1.0}      (in an experiment file)
 */
#include <nn.h>

#define PLUGIN_NAME_TYPE_LOSS (plugin_name_loss_get_type ())
G_DECLARE_FINAL_TYPE (PluginNameLoss, plugin_name_loss, PLUGIN_NAME, LOSS, NnLoss)

struct _PluginNameLoss
{
  NnLoss parent_instance;

  double weight;
};

/* Registers the class under the name that experiment files use. */
/* clang-format off */
G_DEFINE_DYNAMIC_TYPE_EXTENDED (PluginNameLoss, plugin_name_loss,
                                NN_TYPE_LOSS, G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_LOSS_EXTENSION_POINT_NAME,
                                                                g_define_type_id, "plugin_name", 0);)
/* clang-format on */

enum {
  PROP_0,
  PROP_WEIGHT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* EDIT: the loss of a batch, a mean. pred and target are batch x outputs
 * matrices, row-major, n values each; sum in double. */
static double
plugin_name_loss_compute (NnLoss         *loss,
                          const NnMatrix *pred,
                          const NnMatrix *target)
{
  PluginNameLoss *self = PLUGIN_NAME_LOSS (loss);
  gsize           n = nn_matrix_size (pred);
  double          sum = 0;

  if (n == 0)
    return 0;
  for (gsize i = 0; i < n; i++)
    {
      double d = (double) pred->data[i] - (double) target->data[i];

      sum += d * d;
    }
  return self->weight * sum / (double) n;
}

/* EDIT: grad = the derivative of compute's mean with respect to each
 * prediction, so mind the 1 / n. */
static void
plugin_name_loss_gradient (NnLoss         *loss,
                           const NnMatrix *pred,
                           const NnMatrix *target,
                           NnMatrix       *grad)
{
  PluginNameLoss *self = PLUGIN_NAME_LOSS (loss);
  gsize           n = nn_matrix_size (pred);

  for (gsize i = 0; i < n; i++)
    {
      double d = (double) pred->data[i] - (double) target->data[i];

      grad->data[i] = (nn_real) (self->weight * 2 * d / (double) n);
    }
}

static void
plugin_name_loss_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  PluginNameLoss *self = PLUGIN_NAME_LOSS (object);

  switch (prop_id)
    {
    case PROP_WEIGHT:
      g_value_set_double (value, self->weight);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plugin_name_loss_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  PluginNameLoss *self = PLUGIN_NAME_LOSS (object);

  switch (prop_id)
    {
    case PROP_WEIGHT:
      self->weight = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
plugin_name_loss_class_init (PluginNameLossClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NnLossClass  *loss_class = NN_LOSS_CLASS (klass);

  object_class->get_property = plugin_name_loss_get_property;
  object_class->set_property = plugin_name_loss_set_property;

  /* One line, shown by `nnrun plugins`. */
  loss_class->description = "plugin_name: weight * mean squared error";
  loss_class->compute = plugin_name_loss_compute;
  loss_class->gradient = plugin_name_loss_gradient;

  /* In YAML: {name: plugin_name, weight: 2.0}. Values outside the range are
   * refused when the experiment is read; nnrun check-plugin checks the
   * default and a value away from it. */
  properties[PROP_WEIGHT] =
    g_param_spec_double ("weight", NULL, "Factor applied to the loss",
                         0.0, 1000.0, 1.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
plugin_name_loss_class_finalize (PluginNameLossClass *klass)
{
}

static void
plugin_name_loss_init (PluginNameLoss *self)
{
}

static void
register_types (GTypeModule *module)
{
  plugin_name_loss_register_type (module);
}

/* The entry points nn looks for, the plugin ABI and scalar type that this
 * file is built for, and the names it registers, which nn reads from the
 * file to load it only when an experiment names one of them. */
NN_PLUGIN_DEFINE (register_types, "loss:plugin_name")
