/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "nn-activation.h"
#include "nn-experiment-private.h"
#include "layers/nn-dropout-layer.h"

static void
warn (NnExperiment *self,
      NnYamlDoc    *doc,
      yaml_node_t  *node,
      const char   *format,
      ...) G_GNUC_PRINTF (4, 5);

static void
warn (NnExperiment *self,
      NnYamlDoc    *doc,
      yaml_node_t  *node,
      const char   *format,
      ...)
{
  g_autoptr(GError) as_error = NULL;
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  /* Positions are formatted as for errors, then called a warning. */
  nn_yaml_set_error (&as_error, doc, node, 0, "%s", message);
  {
    char *at = strstr (as_error->message, ": error: ");
    if (at != NULL)
      g_ptr_array_add (self->warnings,
                       g_strdup_printf ("%.*s: warning: %s", (int) (at - as_error->message),
                                        as_error->message, at + strlen (": error: ")));
    else
      g_ptr_array_add (self->warnings, g_strdup (as_error->message));
  }
}

static yaml_node_t *
path_node (NnYamlDoc  *doc,
           const char *first,
           const char *second)
{
  yaml_node_t *root = nn_yaml_root (doc);
  yaml_node_t *a = nn_yaml_lookup (doc, root, first);

  if (a != NULL && second != NULL)
    {
      yaml_node_t *b = nn_yaml_lookup (doc, a, second);
      return b ? b : a;
    }
  return a ? a : root;
}

/* Combinations that load and run but are probably not what the user meant.
 * They are warnings: each can be intended. */
void
nn_experiment_add_warnings (NnExperiment *self,
                            NnYamlDoc    *doc)
{
  NnLayer        *out = nn_model_get_layer (self->model, nn_model_get_n_layers (self->model) - 1);
  NnActivation   *out_activation = nn_layer_get_activation (out);
  const char     *act = out_activation ? nn_activation_get_name (out_activation) : NULL;
  const char     *loss = nn_loss_get_name (nn_model_get_loss (self->model));
  yaml_node_t    *loss_node = path_node (doc, "loss", NULL);
  NnSplitSection *split;

  if (NN_IS_DROPOUT_LAYER (out))
    {
      guint        n = nn_model_get_n_layers (self->model) - 1;
      yaml_node_t *layers = path_node (doc, "model", "layers");
      yaml_node_t *item = layers->type == YAML_SEQUENCE_NODE && n < nn_yaml_n_items (layers)
                            ? nn_yaml_item (doc, layers, n)
                            : NULL;

      warn (self, doc, item ? item : layers,
            "model.layers[%u]: dropout as the last layer zeroes outputs in training that "
            "the loss compares with the targets (log(0) after a softmax or sigmoid); put "
            "it before the last dense layer",
            n);
    }
  if (g_strcmp0 (act, "softmax") == 0 && g_strcmp0 (loss, "binary_crossentropy") == 0)
    warn (self, doc, loss_node, "binary_crossentropy after a softmax output: a softmax over "
                                "one unit is always 1, and over several units the classes compete; use "
                                "categorical_crossentropy, or a sigmoid output");
  if (g_strcmp0 (act, "sigmoid") == 0 && g_strcmp0 (loss, "categorical_crossentropy") == 0 &&
      nn_layer_get_units (out) > 2)
    warn (self, doc, loss_node, "categorical_crossentropy after a sigmoid output over %u "
                                "classes: the outputs do not sum to 1; use a softmax output",
          nn_layer_get_units (out));

  if (self->task == NN_TASK_REGRESSION)
    {
      const NnMatrix *t = nn_dataset_get_targets (self->train);
      double          lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE, min = -G_MAXDOUBLE, max = G_MAXDOUBLE;

      for (gsize i = 0; i < nn_matrix_size (t); i++)
        {
          lo = MIN (lo, t->data[i]);
          hi = MAX (hi, t->data[i]);
        }
      if (g_strcmp0 (act, "sigmoid") == 0 || g_strcmp0 (act, "softmax") == 0)
        min = 0, max = 1;
      else if (g_strcmp0 (act, "tanh") == 0)
        min = -1, max = 1;
      else if (g_strcmp0 (act, "relu") == 0 || g_strcmp0 (act, "softplus") == 0)
        min = 0;
      if (lo < min || hi > max)
        warn (self, doc, path_node (doc, "model", "layers"),
              "the regression targets range from %g to %g, but a %s output can only "
              "give values in [%g, %g]",
              lo, hi, act, min, max);
    }

  split = self->data_section->split;
  if (split->validation > 0 && !split->shuffle && self->task != NN_TASK_REGRESSION &&
      !split->stratify && self->raw_class_sorted)
    warn (self, doc, path_node (doc, "data", "split"),
          "the data rows are sorted by class and the split does not shuffle: the "
          "validation part holds only the last classes");
}

/**
 * nn_experiment_get_warnings:
 * @self: a #NnExperiment
 *
 * Likely mistakes found when the experiment was read, such as a softmax
 * output with binary cross-entropy, each as `FILE:LINE:COLUMN: warning: ...`.
 *
 * Returns: (transfer none) (array zero-terminated=1): the warnings
 */
const char * const *
nn_experiment_get_warnings (NnExperiment *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  /* An empty array may have no storage, not even the terminator. */
  if (self->warnings->len == 0)
    return none;
  return (const char * const *) self->warnings->pdata;
}
