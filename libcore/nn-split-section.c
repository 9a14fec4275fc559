/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-errors.h"
#include "nn-split-section-private.h"
#include "nn-sweep.h"
#include "nn-yaml-object-private.h"

/* How the rows of the data are parted into training, validation and test. */
G_DEFINE_FINAL_TYPE (NnSplitSection, nn_split_section, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_VALIDATION,
  PROP_TEST,
  PROP_STRATIFY,
  PROP_SHUFFLE,
  PROP_FOLDS,
  PROP_FOLD,
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
    case PROP_FOLDS:
      g_value_set_uint (value, self->folds);
      break;
    case PROP_FOLD:
      g_value_set_uint (value, self->fold);
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
    case PROP_FOLDS:
      self->folds = g_value_get_uint (value);
      break;
    case PROP_FOLD:
      self->fold = g_value_get_uint (value);
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
  properties[PROP_FOLDS] =
    g_param_spec_uint ("folds", NULL,
                       "k-fold cross-validation: the rows parted into this many folds "
                       "(0: no folds)",
                       0, NN_SWEEP_MAX_FOLDS, 0, PARAM_FLAGS);
  properties[PROP_FOLD] =
    g_param_spec_uint ("fold", NULL, "The fold held out for validation, from 0", 0,
                       NN_SWEEP_MAX_FOLDS - 1, 0, PARAM_FLAGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  /* Runs without folds write the file they wrote before folds existed. */
  nn_param_spec_set_omit_default (properties[PROP_FOLDS]);
  nn_param_spec_set_omit_default (properties[PROP_FOLD]);
}

static void
nn_split_section_init (NnSplitSection *self)
{
}

/* folds is 0 or at least 2, and fold one of them; errors at the keys of
 * @node, the section's mapping. */
gboolean
nn_split_section_check_folds (NnSplitSection *split,
                              NnYamlDoc      *doc,
                              yaml_node_t    *node,
                              GError        **error)
{
  yaml_node_t *folds = nn_yaml_lookup (doc, node, "folds");
  yaml_node_t *fold = nn_yaml_lookup (doc, node, "fold");

  if (split->folds == 1)
    {
      nn_yaml_set_error (error, doc, folds, NN_CONFIG_ERROR_INVALID_VALUE,
                         "data.split.folds must be 0 (no cross-validation) or at least 2, "
                         "not 1");
      return FALSE;
    }
  if (fold != NULL && split->folds == 0)
    {
      nn_yaml_set_error (error, doc, fold, NN_CONFIG_ERROR_INVALID_VALUE,
                         "data.split.fold is for cross-validation: give data.split.folds too");
      return FALSE;
    }
  if (split->folds > 0 && split->fold >= split->folds)
    {
      nn_yaml_set_error (error, doc, fold, NN_CONFIG_ERROR_INVALID_VALUE,
                         "data.split.fold must be below folds (%u), not %u", split->folds,
                         split->fold);
      return FALSE;
    }
  return TRUE;
}
