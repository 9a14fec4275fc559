/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-output-section-private.h"

/* Where a run goes. */
G_DEFINE_FINAL_TYPE (NnOutputSection, nn_output_section, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DIR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS)

static void
nn_output_section_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NnOutputSection *self = NN_OUTPUT_SECTION (object);

  switch (prop_id)
    {
    case PROP_DIR:
      g_value_set_string (value, self->dir);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_output_section_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NnOutputSection *self = NN_OUTPUT_SECTION (object);

  switch (prop_id)
    {
    case PROP_DIR:
      g_free (self->dir);
      self->dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_output_section_finalize (GObject *object)
{
  NnOutputSection *self = NN_OUTPUT_SECTION (object);

  g_free (self->dir);

  G_OBJECT_CLASS (nn_output_section_parent_class)->finalize (object);
}

static void
nn_output_section_class_init (NnOutputSectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = nn_output_section_finalize;
  object_class->get_property = nn_output_section_get_property;
  object_class->set_property = nn_output_section_set_property;

  /* Installed in the order of the keys in the file. */
  properties[PROP_DIR] =
    g_param_spec_string ("dir", NULL,
                         "Run directory, relative to the working directory; none for "
                         "runs/NAME",
                         NULL, PARAM_FLAGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_output_section_init (NnOutputSection *self)
{
}
