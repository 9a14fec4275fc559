/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-dataset-private.h"
#include "nn-errors.h"
#include "nn-experiment-private.h"

/* The weights of the training samples: train.class_weight (scikit-learn's
 * `balanced`, or a weight per class label) times data.source.weight. */

static gboolean
same_label (const char *a,
            const char *b)
{
  double x, y;

  if (strcmp (a, b) == 0)
    return TRUE;
  return nn_data_parse_number (a, &x) == NN_NUMBER_OK &&
         nn_data_parse_number (b, &y) == NN_NUMBER_OK && x == y;
}

/* A weight per class label: each label one of @classes, each weight
 * positive. */
static gboolean
read_mapping (NnTrainSection     *train,
              NnYamlDoc          *doc,
              yaml_node_t        *node,
              const char * const *classes,
              GError            **error)
{
  guint n = nn_yaml_n_pairs (node);
  g_autoptr(GStrvBuilder) labels = g_strv_builder_new ();
  g_autofree double *values = g_new (double, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      NnYamlPair       pair = nn_yaml_pair (doc, node, i);
      g_autofree char *what = g_strdup_printf ("the weight of class '%s'", pair.key);
      guint            k = 0;

      while (classes[k] != NULL && !same_label (pair.key, classes[k]))
        k++;
      if (classes[k] == NULL)
        {
          g_autofree char *list = g_strjoinv ("', '", (char **) classes);
          nn_yaml_set_error (error, doc, pair.key_node, NN_CONFIG_ERROR_INVALID_VALUE,
                             "train.class_weight names class '%s', which the data do not "
                             "have; the classes are '%s'",
                             pair.key, list);
          return FALSE;
        }
      if (!nn_yaml_get_double (doc, pair.value, what, -G_MAXDOUBLE, G_MAXDOUBLE, &values[i], error))
        return FALSE;
      if (!(values[i] > 0))
        {
          nn_yaml_set_error (error, doc, pair.value, NN_CONFIG_ERROR_INVALID_VALUE,
                             "%s must be positive, not %s", what,
                             nn_yaml_scalar (pair.value));
          return FALSE;
        }
      g_strv_builder_add (labels, pair.key);
    }
  train->class_weight_labels = g_strv_builder_end (labels);
  train->class_weight_values = g_steal_pointer (&values);
  return TRUE;
}

/*
 * nn_experiment_read_class_weight:
 * @node: (nullable): the value of train.class_weight, if given
 *
 * Reads train.class_weight into the train section, checked against the
 * task and the classes of the data.
 */
gboolean
nn_experiment_read_class_weight (NnExperiment *self,
                                 NnYamlDoc    *doc,
                                 yaml_node_t  *node,
                                 GError      **error)
{
  NnTrainSection *train = self->train_section;

  train->class_weight_balanced = FALSE;
  g_clear_pointer (&train->class_weight_labels, g_strfreev);
  g_clear_pointer (&train->class_weight_values, g_free);
  if (node == NULL)
    return TRUE;
  if (self->task == NN_TASK_REGRESSION)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "train.class_weight is for a classification, and the task is a "
                         "regression");
      return FALSE;
    }
  if (node->type == YAML_SCALAR_NODE && g_strcmp0 (nn_yaml_scalar (node), "balanced") == 0)
    {
      train->class_weight_balanced = TRUE;
      return TRUE;
    }
  if (node->type != YAML_MAPPING_NODE)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "train.class_weight must be 'balanced' or a mapping from class "
                         "label to weight, such as {%s: 2.0}",
                         nn_dataset_get_class_names (self->train)[0]);
      return FALSE;
    }
  return read_mapping (train, doc, node, nn_dataset_get_class_names (self->train), error);
}

/* Writes train.class_weight back, if set. */
void
nn_experiment_write_class_weight (NnExperiment *self,
                                  NnYamlWriter *w)
{
  NnTrainSection *train = self->train_section;

  if (train->class_weight_balanced)
    {
      nn_yaml_writer_string (w, "class_weight");
      nn_yaml_writer_string (w, "balanced");
    }
  else if (train->class_weight_labels != NULL)
    {
      nn_yaml_writer_string (w, "class_weight");
      nn_yaml_writer_begin_mapping (w, TRUE);
      for (guint i = 0; train->class_weight_labels[i] != NULL; i++)
        {
          nn_yaml_writer_string (w, train->class_weight_labels[i]);
          nn_yaml_writer_double (w, train->class_weight_values[i]);
        }
      nn_yaml_writer_end_mapping (w);
    }
}

/* The class of each training sample that train.class_weight weighs: the
 * class the network learns for `balanced` (1 or 0 for a binary task), the
 * class label of the data for a mapping. */
static guint
class_of (NnExperiment *self,
          guint         r,
          gboolean      balanced)
{
  const NnMatrix *t = nn_dataset_get_targets (self->train);

  if (self->task == NN_TASK_BINARY)
    return balanced ? (guint) t->data[r] : self->train_classes[r];
  return self->train_classes[r];
}

/* scikit-learn's compute_class_weight ('balanced'): n / (classes · count),
 * over the classes present. */
static double *
balanced_weights (NnExperiment *self,
                  guint         n_classes)
{
  guint             n = nn_dataset_get_n_samples (self->train), present = 0;
  g_autofree guint *count = g_new0 (guint, n_classes);
  double           *by_class = g_new0 (double, n_classes);

  for (guint r = 0; r < n; r++)
    count[class_of (self, r, TRUE)]++;
  for (guint k = 0; k < n_classes; k++)
    present += count[k] > 0;
  for (guint k = 0; k < n_classes; k++)
    by_class[k] = count[k] > 0 ? (double) n / ((double) present * count[k]) : 1;
  return by_class;
}

static double *
class_weights (NnExperiment *self)
{
  NnTrainSection     *train = self->train_section;
  const char * const *classes = nn_dataset_get_class_names (self->train);
  guint               n_classes = g_strv_length ((char **) classes);
  double             *by_class;

  if (train->class_weight_balanced)
    return balanced_weights (self, self->task == NN_TASK_BINARY ? 2 : n_classes);
  by_class = g_new (double, n_classes);
  for (guint k = 0; k < n_classes; k++)
    {
      by_class[k] = 1;
      for (guint i = 0; train->class_weight_labels[i] != NULL; i++)
        if (same_label (train->class_weight_labels[i], classes[k]))
          by_class[k] = train->class_weight_values[i];
    }
  return by_class;
}

/*
 * nn_experiment_weigh_samples:
 *
 * Gives the trainer the weight of each training sample, a class weight
 * times a sample weight, when the experiment has either.
 */
gboolean
nn_experiment_weigh_samples (NnExperiment *self,
                             NnYamlDoc    *doc,
                             yaml_node_t  *source_node,
                             GError      **error)
{
  NnTrainSection    *train = self->train_section;
  const double      *sample = nn_dataset_get_weights (self->train);
  gboolean           by_class = train->class_weight_balanced || train->class_weight_labels;
  guint              n = nn_dataset_get_n_samples (self->train);
  g_autofree double *weights = NULL;
  g_autofree double *per_class = NULL;
  double             sum = 0;

  if (sample == NULL && !by_class)
    return TRUE;
  per_class = by_class ? class_weights (self) : NULL;
  weights = g_new (double, MAX (n, 1));
  for (guint r = 0; r < n; r++)
    {
      weights[r] = (per_class ? per_class[class_of (self, r, train->class_weight_balanced)] : 1) *
                   (sample ? sample[r] : 1);
      sum += weights[r];
    }
  if (!(sum > 0))
    {
      yaml_node_t *v = nn_yaml_lookup (doc, source_node, "weight");

      nn_yaml_set_error (error, doc, v ? v : source_node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "every sample of the training part has a weight of 0");
      return FALSE;
    }
  nn_trainer_set_sample_weights (self->trainer, weights, n);
  return TRUE;
}
