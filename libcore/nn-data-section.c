/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-data-section-private.h"

/* What the data are and how they are prepared. `source` and `test` are no
 * properties: the experiment reads and loads them, and checks `positive`
 * against their classes. `missing`, `categorical` and `columns` are keys
 * in their place, read and written by the experiment's column transform:
 * their properties only name them, write-only and never set. */
G_DEFINE_FINAL_TYPE (NnDataSection, nn_data_section, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TASK,
  PROP_POSITIVE,
  PROP_SCALE,
  PROP_TARGET_SCALE,
  PROP_SPLIT,
  PROP_MISSING,
  PROP_CATEGORICAL,
  PROP_COLUMNS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS)

static void
nn_data_section_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NnDataSection *self = NN_DATA_SECTION (object);

  switch (prop_id)
    {
    case PROP_TASK:
      g_value_set_enum (value, self->task);
      break;
    case PROP_POSITIVE:
      g_value_set_string (value, self->positive);
      break;
    case PROP_SCALE:
      g_value_set_enum (value, self->scale);
      break;
    case PROP_TARGET_SCALE:
      g_value_set_enum (value, self->target_scale);
      break;
    case PROP_SPLIT:
      g_value_set_object (value, self->split);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_data_section_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  NnDataSection *self = NN_DATA_SECTION (object);

  switch (prop_id)
    {
    case PROP_TASK:
      self->task = g_value_get_enum (value);
      break;
    case PROP_POSITIVE:
      g_free (self->positive);
      self->positive = g_value_dup_string (value);
      break;
    case PROP_SCALE:
      self->scale = g_value_get_enum (value);
      break;
    case PROP_TARGET_SCALE:
      self->target_scale = g_value_get_enum (value);
      break;
    case PROP_MISSING:
    case PROP_CATEGORICAL:
    case PROP_COLUMNS:
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_data_section_dispose (GObject *object)
{
  NnDataSection *self = NN_DATA_SECTION (object);

  g_clear_object (&self->split);

  G_OBJECT_CLASS (nn_data_section_parent_class)->dispose (object);
}

static void
nn_data_section_finalize (GObject *object)
{
  NnDataSection *self = NN_DATA_SECTION (object);

  g_free (self->positive);

  G_OBJECT_CLASS (nn_data_section_parent_class)->finalize (object);
}

static void
nn_data_section_class_init (NnDataSectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nn_data_section_dispose;
  object_class->finalize = nn_data_section_finalize;
  object_class->get_property = nn_data_section_get_property;
  object_class->set_property = nn_data_section_set_property;

  /* Installed in the order of the keys in the file. */
  properties[PROP_TASK] =
    g_param_spec_enum ("task", NULL,
                       "What the targets are; inferred from them and the output layer when "
                       "not given",
                       NN_TYPE_TASK, NN_TASK_BINARY, PARAM_FLAGS);
  properties[PROP_POSITIVE] =
    g_param_spec_string ("positive", NULL,
                         "Class label that is 1 in a binary task made from a class column; "
                         "the others are 0",
                         NULL, PARAM_FLAGS);
  properties[PROP_SCALE] =
    g_param_spec_enum ("scale", NULL,
                       "Feature scaling, fitted on the training part alone",
                       NN_TYPE_SCALE, NN_SCALE_NONE, PARAM_FLAGS);
  properties[PROP_TARGET_SCALE] =
    g_param_spec_enum ("target-scale", NULL,
                       "Scaling of a regression's targets, fitted on the training part alone; "
                       "the loss is on the scaled targets, predictions and metrics in the "
                       "targets' own units",
                       NN_TYPE_SCALE, NN_SCALE_NONE, PARAM_FLAGS);
  properties[PROP_SPLIT] =
    g_param_spec_object ("split", NULL, "How the rows are parted",
                         NN_TYPE_SPLIT_SECTION, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MISSING] =
    g_param_spec_boxed ("missing", NULL,
                        "Texts that are missing values in CSV data; default \"\" and NA",
                        G_TYPE_STRV, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CATEGORICAL] =
    g_param_spec_string ("categorical", NULL,
                         "auto: text feature columns become one-hot, in sorted categories",
                         NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLUMNS] =
    g_param_spec_pointer ("columns", NULL,
                          "Per feature column: categorical, or {impute: mean | median | "
                          "most_frequent | {constant: VALUE}}",
                          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_data_section_init (NnDataSection *self)
{
  self->split = g_object_new (NN_TYPE_SPLIT_SECTION, NULL);
}
