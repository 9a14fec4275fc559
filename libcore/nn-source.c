/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>

#include "nn-errors.h"
#include <string.h>

#include "nn-dataset-private.h"
#include "nn-source-private.h"

static const char * const source_keys[] = { "builtin", "csv", "target", "features",
                                            "weight", "id", "idx", NULL };
static const char * const idx_keys[] = { "images", "labels", NULL };

void
nn_source_clear (NnSource *source)
{
  g_clear_pointer (&source->csv, g_free);
  g_clear_pointer (&source->weight, g_free);
  g_clear_pointer (&source->id, g_free);
  g_clear_pointer (&source->targets, g_strfreev);
  g_clear_pointer (&source->features, g_strfreev);
  g_clear_pointer (&source->images, g_free);
  g_clear_pointer (&source->labels, g_free);
  source->iris = FALSE;
}

/* An existing file, relative to @base_dir, made absolute. */
static char *
get_file (NnYamlDoc   *doc,
          yaml_node_t *node,
          const char  *what,
          const char  *base_dir,
          GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *canonical = NULL;
  const char      *given;

  if (!nn_yaml_get_string (doc, node, what, &given, error))
    return NULL;
  path = g_path_is_absolute (given) ? g_strdup (given) : g_build_filename (base_dir, given, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *shown = g_filename_display_name (path);

      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s: no such file: %s", what, shown);
      return NULL;
    }
  canonical = g_canonicalize_filename (path, NULL);
  if (!nn_yaml_check_path (doc, node, what, canonical, error))
    return NULL;
  return g_steal_pointer (&canonical);
}

/* A column name or a list of them. */
static GStrv
get_names (NnYamlDoc   *doc,
           yaml_node_t *node,
           const char  *what,
           GError     **error)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  const char *name;

  if (node->type == YAML_SCALAR_NODE)
    {
      if (!nn_yaml_get_string (doc, node, what, &name, error))
        return NULL;
      g_strv_builder_add (b, name);
      return g_strv_builder_end (b);
    }
  if (node->type != YAML_SEQUENCE_NODE || nn_yaml_n_items (node) == 0)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s must be a column name or a non-empty list of them", what);
      return NULL;
    }
  for (guint i = 0; i < nn_yaml_n_items (node); i++)
    {
      if (!nn_yaml_get_string (doc, nn_yaml_item (doc, node, i), what, &name, error))
        return NULL;
      g_strv_builder_add (b, name);
    }
  return g_strv_builder_end (b);
}

/* {builtin: iris, target: ..., features: ...}: the built-in Iris table
 * with other target and feature columns. */
static gboolean
parse_builtin (NnYamlDoc   *doc,
               yaml_node_t *node,
               yaml_node_t *builtin,
               const char  *what,
               NnSource    *source,
               GError     **error)
{
  g_autofree char *target_what = g_strconcat (what, ".target", NULL);
  g_autofree char *features_what = g_strconcat (what, ".features", NULL);
  yaml_node_t     *v;

  if (g_strcmp0 (nn_yaml_scalar (builtin), "iris") != 0)
    {
      nn_yaml_set_error (error, doc, builtin, NN_CONFIG_ERROR_INVALID_VALUE,
                         "the only built-in data set is 'iris'");
      return FALSE;
    }
  source->iris = TRUE;
  if ((v = nn_yaml_lookup (doc, node, "target")) != NULL &&
      (source->targets = get_names (doc, v, target_what, error)) == NULL)
    return FALSE;
  if ((v = nn_yaml_lookup (doc, node, "features")) != NULL &&
      (source->features = get_names (doc, v, features_what, error)) == NULL)
    return FALSE;
  return TRUE;
}

/* {idx: {images: FILE, labels: FILE}}: no columns to name. */
static gboolean
parse_idx (NnYamlDoc   *doc,
           yaml_node_t *node,
           yaml_node_t *idx,
           const char  *what,
           const char  *base_dir,
           NnSource    *source,
           GError     **error)
{
  g_autofree char *idx_what = g_strconcat (what, ".idx", NULL);
  g_autofree char *images_what = g_strconcat (idx_what, ".images", NULL);
  g_autofree char *labels_what = g_strconcat (idx_what, ".labels", NULL);
  yaml_node_t     *images, *labels, *v;

  if ((v = nn_yaml_lookup (doc, node, "target")) != NULL ||
      (v = nn_yaml_lookup (doc, node, "features")) != NULL)
    {
      nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                         "an idx source has no columns to name");
      return FALSE;
    }
  if (!nn_yaml_check_mapping (doc, idx, idx_what, idx_keys, error))
    return FALSE;
  images = nn_yaml_lookup (doc, idx, "images");
  labels = nn_yaml_lookup (doc, idx, "labels");
  if (images == NULL || labels == NULL)
    {
      nn_yaml_set_error (error, doc, idx, NN_CONFIG_ERROR_MISSING_KEY,
                         "%s needs both 'images' and 'labels'", idx_what);
      return FALSE;
    }
  source->images = get_file (doc, images, images_what, base_dir, error);
  if (source->images == NULL)
    return FALSE;
  source->labels = get_file (doc, labels, labels_what, base_dir, error);
  return source->labels != NULL;
}

/* {csv: FILE, target: ..., features: ..., weight: COLUMN}. */
static gboolean
parse_csv (NnYamlDoc   *doc,
           yaml_node_t *node,
           yaml_node_t *csv,
           const char  *what,
           const char  *base_dir,
           NnSource    *source,
           GError     **error)
{
  g_autofree char *csv_what = g_strconcat (what, ".csv", NULL);
  g_autofree char *target_what = g_strconcat (what, ".target", NULL);
  g_autofree char *features_what = g_strconcat (what, ".features", NULL);
  yaml_node_t     *v;

  if ((v = nn_yaml_lookup (doc, node, "target")) == NULL)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_MISSING_KEY,
                         "%s needs a 'target' column", what);
      return FALSE;
    }
  if ((source->targets = get_names (doc, v, target_what, error)) == NULL)
    return FALSE;
  if ((v = nn_yaml_lookup (doc, node, "id")) != NULL)
    {
      const char *id;

      if (!nn_yaml_get_string (doc, v, "the id column", &id, error))
        return FALSE;
      if (g_strv_contains ((const char * const *) source->targets, id))
        {
          nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                             "column '%s' is the target, so it cannot be the id", id);
          return FALSE;
        }
      if (g_strcmp0 (source->weight, id) == 0)
        {
          nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                             "column '%s' is the weight, so it cannot be the id", id);
          return FALSE;
        }
      source->id = g_strdup (id);
    }
  if ((v = nn_yaml_lookup (doc, node, "features")) != NULL &&
      (source->features = get_names (doc, v, features_what, error)) == NULL)
    return FALSE;
  source->csv = get_file (doc, csv, csv_what, base_dir, error);
  return source->csv != NULL;
}

/*
 * Reads a source description, checking that its files exist, without
 * reading them.
 */
gboolean
nn_source_parse (NnYamlDoc   *doc,
                 yaml_node_t *node,
                 const char  *what,
                 const char  *base_dir,
                 NnSource    *source,
                 GError     **error)
{
  yaml_node_t *csv, *idx, *builtin, *v;

  nn_source_clear (source);
  if (node->type == YAML_SCALAR_NODE)
    {
      if (g_strcmp0 (nn_yaml_scalar (node), "iris") != 0)
        {
          nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                             "unknown %s '%s'; use 'iris', {csv: FILE, target: COLUMN} "
                             "or {idx: {images: FILE, labels: FILE}}",
                             what,
                             nn_yaml_scalar (node));
          return FALSE;
        }
      source->iris = TRUE;
      return TRUE;
    }

  if (!nn_yaml_check_mapping (doc, node, what, source_keys, error))
    return FALSE;
  csv = nn_yaml_lookup (doc, node, "csv");
  idx = nn_yaml_lookup (doc, node, "idx");
  builtin = nn_yaml_lookup (doc, node, "builtin");
  if ((csv != NULL) + (idx != NULL) + (builtin != NULL) != 1)
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_MISSING_KEY,
                         "%s needs one of 'builtin', 'csv' or 'idx'", what);
      return FALSE;
    }

  if ((v = nn_yaml_lookup (doc, node, "weight")) != NULL)
    {
      const char *weight;

      if (csv == NULL)
        {
          nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                             "%s.weight names a column of a csv source", what);
          return FALSE;
        }
      if (!nn_yaml_get_string (doc, v, "the weight column", &weight, error))
        return FALSE;
      source->weight = g_strdup (weight);
    }
  if ((v = nn_yaml_lookup (doc, node, "id")) != NULL && csv == NULL)
    {
      nn_yaml_set_error (error, doc, v, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s.id names a column of a csv source", what);
      return FALSE;
    }

  if (builtin != NULL)
    return parse_builtin (doc, node, builtin, what, source, error);
  if (idx != NULL)
    return parse_idx (doc, node, idx, what, base_dir, source, error);
  return parse_csv (doc, node, csv, what, base_dir, source, error);
}

/*
 * Reads the data, with @policy (nullable) for missing values and text
 * columns of a CSV table. @features, when given, replaces the source's own feature
 * list: a test set or a saved model's input takes the training columns.
 * Without @need_targets a CSV without the target columns is read too, for
 * predictions.
 */
NnDataset *
nn_source_load (const NnSource     *source,
                const char * const *features,
                gboolean            need_targets,
                NnColumnTransform  *policy,
                GError            **error)
{
  if (source->iris && source->targets == NULL && source->features == NULL && features == NULL)
    return nn_dataset_new_iris (error);
  if (source->iris)
    {
      static const char * const species[] = { "species", NULL };
      g_autoptr(GInputStream) stream = g_resources_open_stream ("/org/nn/data/iris.csv",
                                                                 G_RESOURCE_LOOKUP_FLAGS_NONE,
                                                                 error);
      const char * const *targets = source->targets ? (const char * const *) source->targets
                                                    : species;

      if (stream == NULL)
        return NULL;
      return nn_dataset_new_from_csv_stream_full (stream, "iris", need_targets ? targets : NULL,
                                                  features ? features
                                                           : (const char * const *) source->features,
                                                  policy, error);
    }
  if (source->images != NULL)
    return nn_dataset_new_from_idx_files (source->images, source->labels, error);
  return nn_dataset_new_from_csv_file_full (
    source->csv, need_targets ? (const char * const *) source->targets : NULL,
    features ? features : (const char * const *) source->features,
    need_targets ? source->weight : NULL, source->id, policy, error);
}

static void
write_names (NnYamlWriter       *w,
             const char         *key,
             const char * const *names)
{
  nn_yaml_writer_string (w, key);
  if (g_strv_length ((GStrv) names) == 1)
    {
      nn_yaml_writer_string (w, names[0]);
      return;
    }
  nn_yaml_writer_begin_sequence (w, TRUE);
  for (guint i = 0; names[i] != NULL; i++)
    nn_yaml_writer_string (w, names[i]);
  nn_yaml_writer_end_sequence (w);
}

static void
write_columns (NnYamlWriter   *w,
               const NnSource *source)
{
  if (source->targets != NULL)
    write_names (w, "target", (const char * const *) source->targets);
  if (source->features != NULL)
    write_names (w, "features", (const char * const *) source->features);
  if (source->weight != NULL)
    {
      nn_yaml_writer_string (w, "weight");
      nn_yaml_writer_string (w, source->weight);
    }
  if (source->id != NULL)
    {
      nn_yaml_writer_string (w, "id");
      nn_yaml_writer_string (w, source->id);
    }
}

/* Writes the source back, with absolute paths, as the experiment keys. */
void
nn_source_write (const NnSource *source,
                 NnYamlWriter   *w)
{
  if (source->iris && source->targets == NULL && source->features == NULL)
    {
      nn_yaml_writer_string (w, "iris");
      return;
    }
  nn_yaml_writer_begin_mapping (w, TRUE);
  if (source->iris)
    {
      nn_yaml_writer_string (w, "builtin");
      nn_yaml_writer_string (w, "iris");
      write_columns (w, source);
    }
  else if (source->images != NULL)
    {
      nn_yaml_writer_string (w, "idx");
      nn_yaml_writer_begin_mapping (w, TRUE);
      nn_yaml_writer_string (w, "images");
      nn_yaml_writer_string (w, source->images);
      nn_yaml_writer_string (w, "labels");
      nn_yaml_writer_string (w, source->labels);
      nn_yaml_writer_end_mapping (w);
    }
  else
    {
      nn_yaml_writer_string (w, "csv");
      nn_yaml_writer_string (w, source->csv);
      write_columns (w, source);
    }
  nn_yaml_writer_end_mapping (w);
}

/**
 * nn_dataset_new_from_source_text:
 * @name: the name of @text in error messages, such as `"DATA"`
 * @text: a data source as an experiment file writes one, in YAML: `iris`,
 *   `{csv: FILE, target: COLUMN, features: [...]}` or
 *   `{idx: {images: FILE, labels: FILE}}`; paths are relative to the
 *   working directory
 * @features: (nullable) (array zero-terminated=1): the feature columns to
 *   read from a CSV file, instead of the source's own
 * @error: return location for a #GError
 *
 * Reads a data set from the text of a data source.
 *
 * Returns: (transfer full): the data as read, or %NULL with @error set
 */
NnDataset *
nn_dataset_new_from_source_text (const char         *name,
                                 const char         *text,
                                 const char * const *features,
                                 GError            **error)
{
  g_autoptr(NnYamlDoc) doc = NULL;
  g_auto(NnSource) source = { 0 };
  g_autofree char *cwd = g_get_current_dir ();

  g_return_val_if_fail (name != NULL && text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  doc = nn_yaml_doc_new_from_data (name, text, strlen (text), error);
  if (doc == NULL)
    return NULL;
  if (!nn_source_parse (doc, nn_yaml_root (doc), "the data source", cwd, &source, error))
    return NULL;
  return nn_source_load (&source, features, TRUE, NULL, error);
}
