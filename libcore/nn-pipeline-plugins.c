/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-errors.h"
#include "nn-pipeline-private.h"
#include "nn-plugins.h"
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
    {
      const char *here = G_OBJECT_TYPE_NAME (object);

      if (type != NULL && !g_str_equal (type, here))
        {
          const char *here_file = nn_plugins_get_file_for_type (G_OBJECT_TYPE (object));
          const char *name = nn_plugins_get_name_for_type (G_OBJECT_TYPE (object));

          nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_UNKNOWN_TYPE,
                             "%s '%s' is %s from %s here, but the model was saved with %s "
                             "from %s; take %s off the plugin path to use the model's",
                             what, name ? name : "?", here, here_file ? here_file : "?",
                             type, file ? file : "an unknown plugin file",
                             here_file ? here_file : "the other file");
          return NULL;
        }
      return g_steal_pointer (&object);
    }
  if (g_error_matches (local_error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_UNKNOWN_TYPE))
    {
      g_auto(GStrv) dirs = nn_plugins_get_search_path ();
      g_autofree char *searched = g_strjoinv (", ", dirs);

      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_UNKNOWN_TYPE,
                   "%s (%s; plugins were looked for in: %s)", local_error->message,
                   recorded ? recorded : "the model was saved with an unknown plugin file",
                   *searched ? searched : "no folder");
      return NULL;
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}
