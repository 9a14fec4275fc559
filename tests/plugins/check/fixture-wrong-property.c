/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fixture_wrong_property: a leaky rectifier whose backward uses the
 * default slope, 0.1, instead of the `slope` property: right at the
 * default, wrong at any other value. check-plugin must fail it there. */
#include <nn.h>

#define NN_TYPE_FIXTURE_WRONG_PROPERTY_ACTIVATION (nn_fixture_wrong_property_activation_get_type ())
G_DECLARE_FINAL_TYPE (NnFixtureWrongPropertyActivation,
                      nn_fixture_wrong_property_activation,
                      NN,
                      FIXTURE_WRONG_PROPERTY_ACTIVATION,
                      NnActivation)

struct _NnFixtureWrongPropertyActivation
{
  NnActivation parent_instance;

  double slope;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnFixtureWrongPropertyActivation,
                                nn_fixture_wrong_property_activation,
                                NN_TYPE_ACTIVATION,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "fixture_wrong_property",
                                                                0);)

enum {
  PROP_0,
  PROP_SLOPE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
nn_fixture_wrong_property_activation_forward (NnActivation   *activation,
                                              const NnMatrix *z,
                                              NnMatrix       *a)
{
  NnFixtureWrongPropertyActivation *self = NN_FIXTURE_WRONG_PROPERTY_ACTIVATION (activation);
  const nn_real                     slope = (nn_real) self->slope;
  gsize                             n = nn_matrix_size (z);

  for (gsize i = 0; i < n; i++)
    a->data[i] = z->data[i] > 0 ? z->data[i] : slope * z->data[i];
}

static void
nn_fixture_wrong_property_activation_backward (NnActivation   *activation,
                                               const NnMatrix *z,
                                               const NnMatrix *a,
                                               const NnMatrix *grad_a,
                                               NnMatrix       *grad_z)
{
  gsize n = nn_matrix_size (z);

  /* The bug: the default where self->slope belongs. */
  for (gsize i = 0; i < n; i++)
    grad_z->data[i] = z->data[i] > 0 ? grad_a->data[i] : (nn_real) 0.1 * grad_a->data[i];
}

static void
nn_fixture_wrong_property_activation_get_property (GObject    *object,
                                                   guint       prop_id,
                                                   GValue     *value,
                                                   GParamSpec *pspec)
{
  NnFixtureWrongPropertyActivation *self = NN_FIXTURE_WRONG_PROPERTY_ACTIVATION (object);

  switch (prop_id)
    {
    case PROP_SLOPE:
      g_value_set_double (value, self->slope);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_fixture_wrong_property_activation_set_property (GObject      *object,
                                                   guint         prop_id,
                                                   const GValue *value,
                                                   GParamSpec   *pspec)
{
  NnFixtureWrongPropertyActivation *self = NN_FIXTURE_WRONG_PROPERTY_ACTIVATION (object);

  switch (prop_id)
    {
    case PROP_SLOPE:
      self->slope = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_fixture_wrong_property_activation_class_init (NnFixtureWrongPropertyActivationClass *klass)
{
  GObjectClass      *object_class = G_OBJECT_CLASS (klass);
  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);

  object_class->get_property = nn_fixture_wrong_property_activation_get_property;
  object_class->set_property = nn_fixture_wrong_property_activation_set_property;

  activation_class->description = "Test fixture: leaky rectifier whose backward ignores slope";
  activation_class->forward = nn_fixture_wrong_property_activation_forward;
  activation_class->backward = nn_fixture_wrong_property_activation_backward;

  properties[PROP_SLOPE] =
    g_param_spec_double ("slope", NULL, "Slope for negative inputs",
                         0.0, 1.0, 0.1,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_fixture_wrong_property_activation_class_finalize (NnFixtureWrongPropertyActivationClass *klass)
{
}

static void
nn_fixture_wrong_property_activation_init (NnFixtureWrongPropertyActivation *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_fixture_wrong_property_activation_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "activation:fixture_wrong_property")
