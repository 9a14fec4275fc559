/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-errors.h"
#include "nn-pipeline-private.h"
#include "nn-plugins.h"
#include "nn-registry.h"
#include "nn-yaml-object-private.h"

/* Where the plugin file a model was saved with stands, when the plugin
 * path lacks its plugin: NULL when it was loaded from there. */
static char *
load_recorded_file (const char *file)
{
  g_autoptr(GError) load_error = NULL;

  if (file == NULL || !g_path_is_absolute (file))
    return g_strdup_printf ("the model was saved with %s",
                            file ? file : "an unknown plugin file");
  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
    return g_strdup_printf ("the model was saved with %s, which is no longer there", file);
  if (!nn_plugins_load_file (file, &load_error))
    return g_strdup_printf ("the model was saved with %s, which could not be loaded: %s", file,
                            load_error->message);
  return NULL;
}

/* Whether @found, the class this nn has under the name, is the class
 * @type the model was saved with (from @file); an error at @node if not. */
static gboolean
check_same_class (NnYamlDoc   *doc,
                  yaml_node_t *node,
                  const char  *file,
                  const char  *type,
                  GType        found,
                  const char  *what,
                  GError     **error)
{
  const char *here = g_type_name (found);
  const char *here_file;
  const char *name;

  if (type == NULL || g_str_equal (type, here))
    return TRUE;
  here_file = nn_plugins_get_file_for_type (found);
  name = nn_plugins_get_name_for_type (found);
  nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_UNKNOWN_TYPE,
                     "%s '%s' is %s from %s here, but the model was saved with %s "
                     "from %s; take %s off the plugin path to use the model's",
                     what, name ? name : "?", here, here_file ? here_file : "?",
                     type, file ? file : "an unknown plugin file",
                     here_file ? here_file : "the other file");
  return FALSE;
}

/* @lookup_error, which says the name is unknown, with what @recorded says
 * of the file the model was saved with and where plugins were looked for. */
static void
set_missing_error (GError    **error,
                   GError     *lookup_error,
                   const char *recorded)
{
  g_auto(GStrv) dirs = nn_plugins_get_search_path ();
  g_autofree char *searched = g_strjoinv (", ", dirs);

  g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_UNKNOWN_TYPE,
               "%s (%s; plugins were looked for in: %s)", lookup_error->message,
               recorded ? recorded : "the model was saved with an unknown plugin file",
               *searched ? searched : "no folder");
}

/* A plugin object of a saved model: found by name on the plugin path, or
 * else in the file the model was saved with (`file` of @module), when it is
 * still there. A plugin neither has is named, with that file's state and
 * where plugins were looked for. A plugin found under that name whose class
 * is not the one the model was saved with (a plugin that took a built-in's
 * name, earlier on the path) is refused: it would compute something else
 * with the same weights. The same class from another file (the build
 * tree's plugins against the installed ones) is the same code. */
GObject *
nn_pipeline_read_plugin_object (NnYamlDoc   *doc,
                                yaml_node_t *node,
                                yaml_node_t *module,
                                const char  *extension_point,
                                const char  *what,
                                GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GObject) object = nn_yaml_new_object (doc, node, extension_point, what,
                                                   &local_error);
  const char      *file = nn_yaml_scalar (nn_yaml_lookup (doc, module, "file"));
  const char      *type = nn_yaml_scalar (nn_yaml_lookup (doc, module, "type"));
  g_autofree char *recorded = NULL;

  if (object == NULL &&
      g_error_matches (local_error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_UNKNOWN_TYPE) &&
      (recorded = load_recorded_file (file)) == NULL)
    {
      g_clear_error (&local_error);
      object = nn_yaml_new_object (doc, node, extension_point, what, &local_error);
      if (object == NULL)
        recorded = g_strdup_printf ("the model was saved with %s, which does not provide it "
                                    "any more",
                                    file);
    }
  if (object != NULL)
    return check_same_class (doc, node, file, type, G_OBJECT_TYPE (object), what, error)
             ? g_steal_pointer (&object)
             : NULL;
  if (g_error_matches (local_error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_UNKNOWN_TYPE))
    {
      set_missing_error (error, local_error, recorded);
      return NULL;
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

/* The layer kind @name_node names, with its plugin @module (the layer's
 * `type_module`, none for a built-in kind): found as
 * nn_pipeline_read_plugin_object() finds an object. */
GType
nn_pipeline_read_plugin_kind (NnYamlDoc   *doc,
                              yaml_node_t *name_node,
                              yaml_node_t *module,
                              GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  const char      *name = nn_yaml_scalar (name_node);
  const char      *file = nn_yaml_scalar (nn_yaml_lookup (doc, module, "file"));
  const char      *type = nn_yaml_scalar (nn_yaml_lookup (doc, module, "type"));
  g_autofree char *recorded = NULL;
  GType            found = nn_registry_lookup (NN_REGISTRY_LAYER, name, &local_error);

  if (found == G_TYPE_INVALID && module != NULL && (recorded = load_recorded_file (file)) == NULL)
    {
      g_clear_error (&local_error);
      found = nn_registry_lookup (NN_REGISTRY_LAYER, name, &local_error);
      if (found == G_TYPE_INVALID)
        recorded = g_strdup_printf ("the model was saved with %s, which does not provide it "
                                    "any more",
                                    file);
    }
  if (found != G_TYPE_INVALID)
    return check_same_class (doc, name_node, file, type, found, "layer", error)
             ? found
             : G_TYPE_INVALID;
  {
    g_autoptr(GError) at_node = NULL;

    nn_yaml_set_error (&at_node, doc, name_node, NN_CONFIG_ERROR_UNKNOWN_TYPE, "%s",
                       local_error->message);
    if (module == NULL)
      g_propagate_error (error, g_steal_pointer (&at_node));
    else
      set_missing_error (error, at_node, recorded);
  }
  return G_TYPE_INVALID;
}
