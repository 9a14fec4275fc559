/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-split-section-private.h"

/* How the rows of the data are parted into training, validation and test. */
G_DEFINE_FINAL_TYPE (NnSplitSection, nn_split_section, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_VALIDATION,
  PROP_TEST,
  PROP_STRATIFY,
  PROP_SHUFFLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS)

static void
nn_split_section_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  NnSplitSection *self = NN_SPLIT_SECTION (object);

  switch (prop_id)
    {
    case PROP_VALIDATION:
      g_value_set_double (value, self->validation);
      break;
    case PROP_TEST:
      g_value_set_double (value, self->test);
      break;
    case PROP_STRATIFY:
      g_value_set_boolean (value, self->stratify);
      break;
    case PROP_SHUFFLE:
      g_value_set_boolean (value, self->shuffle);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_split_section_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  NnSplitSection *self = NN_SPLIT_SECTION (object);

  switch (prop_id)
    {
    case PROP_VALIDATION:
      self->validation = g_value_get_double (value);
      break;
    case PROP_TEST:
      self->test = g_value_get_double (value);
      break;
    case PROP_STRATIFY:
      self->stratify = g_value_get_boolean (value);
      break;
    case PROP_SHUFFLE:
      self->shuffle = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_split_section_class_init (NnSplitSectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = nn_split_section_get_property;
  object_class->set_property = nn_split_section_set_property;

  /* Installed in the order of the keys in the file. */
  properties[PROP_VALIDATION] =
    g_param_spec_double ("validation", NULL, "Fraction of the rows held out for validation",
                         0.0, 0.99, 0.0, PARAM_FLAGS);
  properties[PROP_TEST] =
    g_param_spec_double ("test", NULL, "Fraction of the rows held out for the test",
                         0.0, 0.99, 0.0, PARAM_FLAGS);
  properties[PROP_STRATIFY] =
    g_param_spec_boolean ("stratify", NULL,
                          "Keep the class proportions in every part (classification)",
                          TRUE, PARAM_FLAGS);
  properties[PROP_SHUFFLE] =
    g_param_spec_boolean ("shuffle", NULL, "Shuffle the rows before splitting them",
                          TRUE, PARAM_FLAGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_split_section_init (NnSplitSection *self)
{
}
