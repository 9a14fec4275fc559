/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "nn-plugin-registry-private.h"
#include "nn-plugins.h"
#include "nn-registry.h"

/*
 * The registry (nn-registry.c) is GIO's extension points; the loader adds
 * what GIO lacks for plugins:
 * a search path, per-file errors as GErrors, refusal of duplicate names
 * (GIO would let a later plugin shadow an earlier one), and loading on
 * demand.
 *
 * Scanning a folder runs no plugin code: each file's record (ABI version,
 * scalar type, entry point, the names it provides) is read from its ELF
 * file, so a file built for another nn is refused unloaded, and a name is
 * mapped to the one file that provides it. A file is loaded when one of its
 * names is asked for; a file that records no names (built with an older
 * NN_PLUGIN_DEFINE) only when no record provides the name asked for, or when
 * everything is listed. Modules stay resident: a GTypeModule must not be
 * unloaded while its types exist.
 */

/**
 * nn_plugins_set_system_directory:
 * @dir: the directory of the built-in plugins
 *
 * Replaces the compiled-in plugin directory, for a program that runs from
 * its build tree. It has an effect only before that directory is searched.
 */
void
nn_plugins_set_system_directory (const char *dir)
{
  g_return_if_fail (dir != NULL);

  g_mutex_lock (&nn_registry_lock);
  if (!nn_registry.system_scanned)
    {
      g_free (nn_registry.system_directory);
      nn_registry.system_directory = g_strdup (dir);
    }
  g_mutex_unlock (&nn_registry_lock);
}

/**
 * nn_plugins_get_system_directory:
 *
 * Gets the directory of the built-in plugins.
 *
 * Returns: (transfer none): the directory of the built-in plugins
 */
const char *
nn_plugins_get_system_directory (void)
{
  const char *dir;

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_registry_ensure ();
  dir = nn_registry.system_directory;
  g_mutex_unlock (&nn_registry_lock);
  return dir;
}

/**
 * nn_plugins_get_load_errors:
 *
 * Gets copies of the errors of the plugin files that could not be used so
 * far.
 *
 * Returns: (transfer container) (element-type GError): copies of the errors of
 *   the plugin files that could not be used so far
 */
GPtrArray *
nn_plugins_get_load_errors (void)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_registry_ensure ();
  for (guint i = 0; i < nn_registry.load_errors->len; i++)
    g_ptr_array_add (copy, g_error_copy (nn_registry.load_errors->pdata[i]));
  g_mutex_unlock (&nn_registry_lock);
  return copy;
}

/**
 * nn_plugins_get_warnings:
 *
 * What is suspect about the search path so far, one sentence each: a
 * relative folder in `NN_PLUGIN_PATH`, which is ignored, or a plugin folder
 * that every user may write to.
 *
 * Returns: (transfer full): the warnings, oldest first
 */
GStrv
nn_plugins_get_warnings (void)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_registry_ensure ();
  for (guint i = 0; i < nn_registry.warnings->len; i++)
    g_strv_builder_add (b, nn_registry.warnings->pdata[i]);
  g_mutex_unlock (&nn_registry_lock);
  return g_strv_builder_end (b);
}

/**
 * nn_plugins_get_search_path:
 *
 * Gets the folders searched for plugins so far, in order.
 *
 * Returns: (transfer full): the folders searched for plugins so far, in
 *   order
 */
GStrv
nn_plugins_get_search_path (void)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_registry_ensure ();
  for (guint i = 0; i < nn_registry.searched_dirs->len; i++)
    g_strv_builder_add (b, nn_registry.searched_dirs->pdata[i]);
  g_mutex_unlock (&nn_registry_lock);
  return g_strv_builder_end (b);
}

/* The kind of @extension_point, which must be one. */
static gboolean
kind_of (const char     *extension_point,
         NnRegistryKind *kind)
{
  g_return_val_if_fail (extension_point != NULL, FALSE);

  if (nn_registry_kind_for_extension_point (extension_point, kind))
    return TRUE;
  g_critical ("'%s' is not the extension point of a kind of nn class", extension_point);
  return FALSE;
}

/**
 * nn_plugins_list:
 * @extension_point: the extension point of a kind, such as
 *   [const@Nn.ACTIVATION_EXTENSION_POINT_NAME]
 *
 * [func@Nn.registry_list_names] for the kind of @extension_point.
 *
 * Returns: (transfer full): the registered names, sorted
 */
GStrv
nn_plugins_list (const char *extension_point)
{
  NnRegistryKind kind;

  if (!kind_of (extension_point, &kind))
    return NULL;
  return nn_registry_list_names (kind);
}

/**
 * nn_plugins_lookup:
 * @extension_point: the extension point of a kind
 * @name: a registered name
 * @error: return location for a #GError
 *
 * [func@Nn.registry_lookup] for the kind of @extension_point.
 *
 * Returns: the #GType registered under @name, or %G_TYPE_INVALID with @error
 *   set to %NN_PLUGIN_ERROR_NOT_FOUND, naming the known ones
 */
GType
nn_plugins_lookup (const char *extension_point,
                   const char *name,
                   GError    **error)
{
  NnRegistryKind kind;

  if (!kind_of (extension_point, &kind))
    return G_TYPE_INVALID;
  return nn_registry_lookup (kind, name, error);
}

/**
 * nn_plugins_get_name_for_type:
 * @type: a registered type
 *
 * The same as [func@Nn.registry_get_name].
 *
 * Returns: (transfer none) (nullable): the name @type is registered under
 */
const char *
nn_plugins_get_name_for_type (GType type)
{
  return nn_registry_get_name (type);
}

/**
 * nn_plugins_get_file_for_type:
 * @type: a registered type
 *
 * Gets the file that registered @type, or `"(built-in)"` for the types of the
 * library itself.
 *
 * Returns: (transfer none) (nullable): the file that registered @type, or
 *   `"(built-in)"` for the types of the library itself
 */
const char *
nn_plugins_get_file_for_type (GType type)
{
  const NnPluginEntry *entry = nn_plugin_entry_for_type (type);

  return entry ? entry->file : NULL;
}

static int
compare_entry_names (gconstpointer a,
                     gconstpointer b)
{
  const NnPluginEntry *ea = *(NnPluginEntry * const *) a;
  const NnPluginEntry *eb = *(NnPluginEntry * const *) b;

  return strcmp (ea->name, eb->name);
}

/**
 * nn_plugins_get_types_for_file:
 * @path: a plugin file, loaded with [func@Nn.plugins_load_file] or from a
 *   folder
 * @n_types: (out): return location for the number of types
 *
 * Lists what one file provides, so that a tool can check a plugin file on
 * its own. It loads nothing.
 *
 * Returns: (transfer full) (array length=n_types): the types registered by
 *   the file at @path, sorted by name; empty if it provided none
 */
GType *
nn_plugins_get_types_for_file (const char *path,
                               guint      *n_types)
{
  g_autofree char *canonical = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();
  GHashTableIter iter;
  NnPluginEntry *entry;
  GType         *types;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (n_types != NULL, NULL);

  canonical = g_canonicalize_filename (path, NULL);
  g_mutex_lock (&nn_registry_lock);
  nn_plugin_registry_ensure ();
  g_hash_table_iter_init (&iter, nn_registry.entries_by_key);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      g_autofree char *file = g_canonicalize_filename (entry->file, NULL);

      if (g_str_equal (file, canonical))
        g_ptr_array_add (entries, entry);
    }
  g_ptr_array_sort (entries, compare_entry_names);
  types = g_new0 (GType, entries->len + 1);
  for (guint i = 0; i < entries->len; i++)
    types[i] = ((NnPluginEntry *) entries->pdata[i])->type;
  g_mutex_unlock (&nn_registry_lock);
  *n_types = entries->len;
  return types;
}

/**
 * nn_plugins_get_version_for_type:
 * @type: a registered type
 *
 * Gets the version the plugin that registered @type records
 * (%NN_PLUGIN_VERSION), the library's version for its own types.
 *
 * Returns: (transfer none) (nullable): the version the plugin that
 *   registered @type records (%NN_PLUGIN_VERSION), the library's version for
 *   its own types, or %NULL for an unversioned plugin
 */
const char *
nn_plugins_get_version_for_type (GType type)
{
  const NnPluginEntry *entry = nn_plugin_entry_for_type (type);

  return entry ? entry->version : NULL;
}

/**
 * nn_plugins_new_object:
 * @extension_point: the extension point of a kind
 * @name: a registered name
 * @error: return location for a #GError
 *
 * [func@Nn.registry_new_object] for the kind of @extension_point.
 *
 * Returns: (transfer full): a new instance with default properties, or %NULL
 *   with @error set
 */
GObject *
nn_plugins_new_object (const char *extension_point,
                       const char *name,
                       GError    **error)
{
  NnRegistryKind kind;

  if (!kind_of (extension_point, &kind))
    return NULL;
  return nn_registry_new_object (kind, name, error);
}
