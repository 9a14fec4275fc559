/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-limits.h"
#include "nn-train-section-private.h"

/* What an experiment trains for and how; the trainer takes these settings,
 * the run its early stopping and checkpoints. */
G_DEFINE_FINAL_TYPE (NnTrainSection, nn_train_section, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_EPOCHS,
  PROP_BATCH_SIZE,
  PROP_SHUFFLE,
  PROP_SCHEDULE,
  PROP_CLIP_NORM,
  PROP_EARLY_STOPPING,
  PROP_CHECKPOINT_EVERY,
  PROP_PRECISION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS)

static void
nn_train_section_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  NnTrainSection *self = NN_TRAIN_SECTION (object);

  switch (prop_id)
    {
    case PROP_EPOCHS:
      g_value_set_uint (value, self->epochs);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_uint (value, self->batch_size);
      break;
    case PROP_SHUFFLE:
      g_value_set_boolean (value, self->shuffle);
      break;
    case PROP_SCHEDULE:
      g_value_set_object (value, self->schedule);
      break;
    case PROP_CLIP_NORM:
      g_value_set_double (value, self->clip_norm);
      break;
    case PROP_EARLY_STOPPING:
      g_value_set_object (value, self->early_stopping);
      break;
    case PROP_CHECKPOINT_EVERY:
      g_value_set_uint (value, self->checkpoint_every);
      break;
    case PROP_PRECISION:
      g_value_set_enum (value, self->precision);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_train_section_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  NnTrainSection *self = NN_TRAIN_SECTION (object);

  switch (prop_id)
    {
    case PROP_EPOCHS:
      self->epochs = g_value_get_uint (value);
      break;
    case PROP_BATCH_SIZE:
      self->batch_size = g_value_get_uint (value);
      break;
    case PROP_SHUFFLE:
      self->shuffle = g_value_get_boolean (value);
      break;
    case PROP_SCHEDULE:
      g_set_object (&self->schedule, g_value_get_object (value));
      break;
    case PROP_CLIP_NORM:
      self->clip_norm = g_value_get_double (value);
      break;
    case PROP_EARLY_STOPPING:
      g_set_object (&self->early_stopping, g_value_get_object (value));
      break;
    case PROP_CHECKPOINT_EVERY:
      self->checkpoint_every = g_value_get_uint (value);
      break;
    case PROP_PRECISION:
      self->precision = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_train_section_dispose (GObject *object)
{
  NnTrainSection *self = NN_TRAIN_SECTION (object);

  g_clear_object (&self->schedule);
  g_clear_object (&self->early_stopping);
  g_clear_pointer (&self->class_weight_labels, g_strfreev);
  g_clear_pointer (&self->class_weight_values, g_free);

  G_OBJECT_CLASS (nn_train_section_parent_class)->dispose (object);
}

static void
nn_train_section_class_init (NnTrainSectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nn_train_section_dispose;
  object_class->get_property = nn_train_section_get_property;
  object_class->set_property = nn_train_section_set_property;

  /* Installed in the order of the keys in the file. */
  properties[PROP_EPOCHS] =
    g_param_spec_uint ("epochs", NULL, "Passes over the training data", 1, NN_MAX_EPOCHS, 100,
                       PARAM_FLAGS);
  properties[PROP_BATCH_SIZE] =
    g_param_spec_uint ("batch-size", NULL,
                       "Samples per update; 0 for the whole training set",
                       0, G_MAXUINT32, 0, PARAM_FLAGS);
  properties[PROP_SHUFFLE] =
    g_param_spec_boolean ("shuffle", NULL, "Reshuffle the samples before every epoch",
                          TRUE, PARAM_FLAGS);
  properties[PROP_SCHEDULE] =
    g_param_spec_object ("schedule", NULL,
                         "Learning-rate schedule, stepped once per epoch; none keeps the "
                         "optimizer's rate",
                         NN_TYPE_SCHEDULE, PARAM_FLAGS);
  properties[PROP_CLIP_NORM] =
    g_param_spec_double ("clip-norm", NULL,
                         "Largest global gradient norm before each update; 0 for no clipping",
                         0.0, G_MAXDOUBLE, 0.0, PARAM_FLAGS);
  properties[PROP_EARLY_STOPPING] =
    g_param_spec_object ("early-stopping", NULL,
                         "Stop when a value of the history stops improving; none trains "
                         "every epoch",
                         NN_TYPE_EARLY_STOPPING, PARAM_FLAGS);
  properties[PROP_CHECKPOINT_EVERY] =
    g_param_spec_uint ("checkpoint-every", NULL,
                       "Epochs between checkpoints during a run; 0 for one at its end only",
                       0, G_MAXUINT32, 0, PARAM_FLAGS);
  properties[PROP_PRECISION] =
    g_param_spec_enum ("precision", NULL,
                       "Number format of the matrix products: float32, or bf16 inputs "
                       "with float32 sums",
                       NN_TYPE_PRECISION, NN_PRECISION_FLOAT32, PARAM_FLAGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_train_section_init (NnTrainSection *self)
{
}
