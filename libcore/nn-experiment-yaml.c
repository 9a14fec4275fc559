/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-dense-layer.h"
#include "nn-errors.h"
#include "nn-experiment-private.h"
#include "nn-output-section-private.h"
#include "nn-yaml-object-private.h"

/* ---- the resolved experiment --------------------------------------------- */

static const char * const regularizer_keys[] = NN_LAYER_REGULARIZER_KEYS;

static void
write_matrix (NnYamlWriter   *w,
              const NnMatrix *m,
              gboolean        vector)
{
  nn_yaml_writer_begin_sequence (w, TRUE);
  for (guint r = 0; r < m->rows; r++)
    {
      if (!vector)
        nn_yaml_writer_begin_sequence (w, TRUE);
      for (guint c = 0; c < m->cols; c++)
        nn_yaml_writer_real (w, NN_MATRIX_AT (m, r, c));
      if (!vector)
        nn_yaml_writer_end_sequence (w);
    }
  nn_yaml_writer_end_sequence (w);
}

static void
key (NnYamlWriter *w,
     const char   *name)
{
  nn_yaml_writer_string (w, name);
}

static void
write_data (NnExperiment *self,
            NnYamlWriter *w)
{
  key (w, "data");
  nn_yaml_writer_begin_mapping (w, FALSE);
  key (w, "source");
  nn_source_write (&self->source, w);
  if (self->test_source.iris || self->test_source.csv || self->test_source.images)
    {
      key (w, "test");
      nn_source_write (&self->test_source, w);
    }
  nn_yaml_writer_properties (w, G_OBJECT (self->data_section));
  if (self->transform != NULL)
    nn_column_transform_write_config (self->transform, w);
  nn_yaml_writer_end_mapping (w);
}

static void
write_model (NnExperiment *self,
             NnYamlWriter *w)
{
  g_autoptr(GEnumClass) init_class = g_type_class_ref (NN_TYPE_INIT);

  key (w, "model");
  nn_yaml_writer_begin_mapping (w, FALSE);
  key (w, "init");
  nn_yaml_writer_string (w, g_enum_get_value (init_class, self->init)->value_nick);
  key (w, "layers");
  nn_yaml_writer_begin_sequence (w, FALSE);
  for (guint i = 0; i < nn_model_get_n_layers (self->model); i++)
    {
      NnLayer      *layer = nn_model_get_layer (self->model, i);
      NnActivation *act = nn_layer_get_activation (layer);

      nn_yaml_writer_begin_mapping (w, FALSE);
      if (!NN_IS_DENSE_LAYER (layer))
        {
          /* Another kind: its name and its properties. */
          key (w, "type");
          nn_yaml_writer_string (w, nn_layer_get_kind_name (layer));
          nn_yaml_writer_properties (w, G_OBJECT (layer));
          nn_yaml_writer_end_mapping (w);
          continue;
        }
      key (w, "units");
      nn_yaml_writer_uint (w, nn_layer_get_units (layer));
      key (w, "activation");
      nn_yaml_writer_object (w, G_OBJECT (act), nn_activation_get_name (act));
      if (self->inline_weights->pdata[i] != NULL)
        {
          key (w, "weights");
          write_matrix (w, self->inline_weights->pdata[i], FALSE);
        }
      if (self->inline_biases->pdata[i] != NULL)
        {
          key (w, "bias");
          write_matrix (w, self->inline_biases->pdata[i], TRUE);
        }
      if (nn_layer_get_l1 (layer) != 0.0 || nn_layer_get_l2 (layer) != 0.0)
        {
          key (w, "regularizer");
          nn_yaml_writer_begin_mapping (w, TRUE);
          nn_yaml_writer_some_properties (w, G_OBJECT (layer), regularizer_keys);
          nn_yaml_writer_end_mapping (w);
        }
      nn_yaml_writer_end_mapping (w);
    }
  nn_yaml_writer_end_sequence (w);
  nn_yaml_writer_end_mapping (w);
}

/* A section of its object's properties, as a block mapping. */
static void
write_section (NnYamlWriter *w,
               const char   *name,
               GObject      *section)
{
  key (w, name);
  nn_yaml_writer_begin_mapping (w, FALSE);
  nn_yaml_writer_properties (w, section);
  nn_yaml_writer_end_mapping (w);
}

static void
write_experiment (NnExperiment *self,
                  NnYamlWriter *w)
{
  NnModel *model = self->model;
  g_autoptr(NnOutputSection) output = g_object_new (NN_TYPE_OUTPUT_SECTION,
                                                     "dir", self->output_dir, NULL);

  nn_yaml_writer_begin_mapping (w, FALSE);
  key (w, "name");
  nn_yaml_writer_string (w, self->name);
  key (w, "seed");
  nn_yaml_writer_uint (w, self->seed);
  if (self->plugin_dirs->len > 0)
    {
      key (w, "plugins");
      nn_yaml_writer_begin_sequence (w, FALSE);
      for (guint i = 0; i < self->plugin_dirs->len; i++)
        nn_yaml_writer_string (w, self->plugin_dirs->pdata[i]);
      nn_yaml_writer_end_sequence (w);
    }
  write_data (self, w);
  write_model (self, w);
  key (w, "loss");
  nn_yaml_writer_object (w, G_OBJECT (nn_model_get_loss (model)),
                         nn_loss_get_name (nn_model_get_loss (model)));
  key (w, "optimizer");
  nn_yaml_writer_object (w, G_OBJECT (nn_model_get_optimizer (model)),
                         nn_optimizer_get_name (nn_model_get_optimizer (model)));
  key (w, "train");
  nn_yaml_writer_begin_mapping (w, FALSE);
  nn_yaml_writer_properties (w, G_OBJECT (self->train_section));
  nn_experiment_write_class_weight (self, w);
  nn_yaml_writer_end_mapping (w);
  key (w, "metrics");
  nn_yaml_writer_begin_sequence (w, TRUE);
  for (guint m = 0; self->metrics[m] != NULL; m++)
    nn_yaml_writer_string (w, self->metrics[m]);
  nn_yaml_writer_end_sequence (w);
  write_section (w, "output", G_OBJECT (output));
  nn_yaml_writer_end_mapping (w);
}

char *
nn_experiment_write_yaml (NnExperiment *self,
                          GError      **error)
{
  g_autoptr(NnYamlWriter) w = nn_yaml_writer_new ();
  g_autoptr(GError) local_error = NULL;
  char *text;

  write_experiment (self, w);
  text = nn_yaml_writer_finish (g_steal_pointer (&w), &local_error);
  /* A file read is UTF-8 throughout: only a run directory given to
   * nn_experiment_set_output_dir() can be at fault. */
  if (text == NULL && !g_utf8_validate (self->output_dir, -1, NULL))
    {
      g_autofree char *shown = g_filename_display_name (self->output_dir);

      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                   "the run directory '%s' is not valid UTF-8, so config.yaml could not "
                   "record it",
                   shown);
    }
  else if (text == NULL)
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "config.yaml: ");
  return text;
}

/**
 * nn_experiment_to_yaml:
 * @self: a #NnExperiment
 *
 * The experiment with every default and override applied, every plugin
 * parameter written out and every path absolute: the `config.yaml` of a
 * run. Running it reproduces the run.
 *
 * An experiment read from a file is UTF-8 throughout (a path that is not is
 * refused when the file is read), so only a run directory given to
 * [method@Nn.Experiment.set_output_dir] that is not valid UTF-8 makes this
 * fail.
 *
 * Returns: (transfer full) (nullable): the experiment as YAML, or %NULL
 *   when a string of it is not valid UTF-8
 */
char *
nn_experiment_to_yaml (NnExperiment *self)
{
  g_return_val_if_fail (NN_IS_EXPERIMENT (self), NULL);

  return nn_experiment_write_yaml (self, NULL);
}
