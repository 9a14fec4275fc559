/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "nn-activation.h"
#include "nn-adagrad-optimizer.h"
#include "nn-adam-optimizer.h"
#include "nn-adamw-optimizer.h"
#include "nn-errors.h"
#include "nn-loss.h"
#include "nn-optimizer.h"
#include "nn-plugin.h"
#include "nn-plugin-registry-private.h"
#include "nn-plugins.h"
#include "nn-rmsprop-optimizer.h"
#include "nn-rprop-optimizer.h"
#include "nn-sgd-optimizer.h"
#include "nn-utils-private.h"

/*
 * The registry is GIO's extension points; this file adds what GIO lacks:
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

NnPluginRegistry nn_registry;
GMutex           nn_registry_lock;

const char * const nn_plugin_extension_points[3] = {
  NN_ACTIVATION_EXTENSION_POINT_NAME,
  NN_LOSS_EXTENSION_POINT_NAME,
  NN_OPTIMIZER_EXTENSION_POINT_NAME,
};

/* The optimizers built into the library. */
static const struct {
  const char *name;
  GType     (*get_type) (void);
} builtin_optimizers[] = {
  { "sgd", nn_sgd_optimizer_get_type },
  { "adam", nn_adam_optimizer_get_type },
  { "adamw", nn_adamw_optimizer_get_type },
  { "rmsprop", nn_rmsprop_optimizer_get_type },
  { "adagrad", nn_adagrad_optimizer_get_type },
  { "rprop", nn_rprop_optimizer_get_type },
};

static void
nn_plugin_entry_free (NnPluginEntry *entry)
{
  g_free (entry->extension_point);
  g_free (entry->name);
  g_free (entry->file);
  g_free (entry->version);
  g_free (entry);
}

char *
nn_plugin_key (const char *extension_point,
               const char *name)
{
  return g_strconcat (extension_point, "/", name, NULL);
}

static const char *
kind_of (const char *extension_point)
{
  return g_str_has_prefix (extension_point, "nn-")
         ? extension_point + strlen ("nn-") : extension_point;
}

/* "kind 'name'", as messages name a key. */
char *
nn_plugin_describe_key (const char *key)
{
  const char *slash = strchr (key, '/');
  g_autofree char *point = g_strndup (key, slash - key);

  return g_strdup_printf ("%s '%s'", kind_of (point), slash + 1);
}

void
nn_plugin_add_entry (const char *extension_point,
                     const char *name,
                     GType       type,
                     const char *file,
                     const char *version)
{
  NnPluginEntry *entry = g_new0 (NnPluginEntry, 1);

  entry->version = g_strdup (version);
  entry->extension_point = g_strdup (extension_point);
  entry->name = g_strdup (name);
  entry->type = type;
  entry->file = g_strdup (file);
  g_hash_table_insert (nn_registry.entries_by_type, GSIZE_TO_POINTER (type), entry);
  g_hash_table_insert (nn_registry.entries_by_key, nn_plugin_key (extension_point, name), entry);
}

/* Called with the lock held. */
void
nn_plugin_registry_ensure (void)
{
  GIOExtensionPoint *ep;

  if (nn_registry.entries_by_key != NULL)
    return;

  nn_registry.entries_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) nn_plugin_entry_free);
  nn_registry.entries_by_type = g_hash_table_new (g_direct_hash, g_direct_equal);
  nn_registry.files = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_plugin_file_free);
  nn_registry.files_by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  nn_registry.index_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  nn_registry.modules = g_ptr_array_new ();
  nn_registry.load_errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  nn_registry.warnings = g_ptr_array_new_with_free_func (g_free);
  nn_registry.searched_dirs = g_ptr_array_new_with_free_func (g_free);
  if (nn_registry.system_directory == NULL)
    nn_registry.system_directory = g_strdup (NN_PLUGIN_DIR);

  ep = g_io_extension_point_register (NN_ACTIVATION_EXTENSION_POINT_NAME);
  g_io_extension_point_set_required_type (ep, NN_TYPE_ACTIVATION);
  ep = g_io_extension_point_register (NN_LOSS_EXTENSION_POINT_NAME);
  g_io_extension_point_set_required_type (ep, NN_TYPE_LOSS);
  ep = g_io_extension_point_register (NN_OPTIMIZER_EXTENSION_POINT_NAME);
  g_io_extension_point_set_required_type (ep, NN_TYPE_OPTIMIZER);

  /* Built into the library, registered the way a plugin would be. */
  for (gsize i = 0; i < G_N_ELEMENTS (builtin_optimizers); i++)
    {
      GType type = builtin_optimizers[i].get_type ();

      g_io_extension_point_implement (NN_OPTIMIZER_EXTENSION_POINT_NAME, type,
                                      builtin_optimizers[i].name, 0);
      nn_plugin_add_entry (NN_OPTIMIZER_EXTENSION_POINT_NAME, builtin_optimizers[i].name, type,
                 "(built-in)", NN_VERSION);
    }
}

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

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/**
 * nn_plugins_get_load_errors:
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

/* Called with the lock held: the names of @extension_point, loaded or
 * recorded by a file not refused, sorted. */
static GStrv
list_locked (const char *extension_point)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *prefix = g_strconcat (extension_point, "/", NULL);
  GHashTableIter iter;
  NnPluginEntry *entry;
  const char *key;
  NnPluginFile *file;

  g_hash_table_iter_init (&iter, nn_registry.entries_by_key);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (g_str_equal (entry->extension_point, extension_point) &&
        g_hash_table_add (seen, entry->name))
      g_ptr_array_add (names, entry->name);
  g_hash_table_iter_init (&iter, nn_registry.index_by_key);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &file))
    if (!file->loaded && file->error == NULL && g_str_has_prefix (key, prefix) &&
        g_hash_table_add (seen, (gpointer) (key + strlen (prefix))))
      g_ptr_array_add (names, (gpointer) (key + strlen (prefix)));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    g_strv_builder_add (builder, names->pdata[i]);
  return g_strv_builder_end (builder);
}

/**
 * nn_plugins_get_search_path:
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

/**
 * nn_plugins_list:
 * @extension_point: %NN_ACTIVATION_EXTENSION_POINT_NAME,
 *   %NN_LOSS_EXTENSION_POINT_NAME or %NN_OPTIMIZER_EXTENSION_POINT_NAME
 *
 * Lists the names loaded or recorded by a file of the search path. To know
 * the names of the files that record none, it loads them.
 *
 * Returns: (transfer full): the registered names, sorted
 */
GStrv
nn_plugins_list (const char *extension_point)
{
  GStrv names;

  g_return_val_if_fail (extension_point != NULL, NULL);

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_ensure_scanned_locked (NULL);
  nn_plugin_load_files_locked (nn_registry.files, TRUE);
  names = list_locked (extension_point);
  g_mutex_unlock (&nn_registry_lock);
  return names;
}

/**
 * nn_plugins_suggest:
 * @name: a name that is not registered
 * @points: (array zero-terminated=1): the extension points (kinds of
 *   plugin) to look in
 *
 * Returns: (transfer full) (nullable): the name of those kinds closest to
 *   @name, when it is close enough to be what was meant (a typo, two
 *   letters swapped), for a "did you mean" hint
 */
char *
nn_plugins_suggest (const char         *name,
                    const char * const *points)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) all = NULL;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (points != NULL, NULL);

  for (gsize i = 0; points[i] != NULL; i++)
    {
      g_auto(GStrv) names = nn_plugins_list (points[i]);

      g_strv_builder_addv (builder, (const char **) names);
    }
  all = g_strv_builder_end (builder);
  return g_strdup (nn_suggest (name, (const char * const *) all));
}

/* Called with the lock held: loads the file that provides @key, if one
 * does: the one whose record lists it, else the first file that records
 * no names and registers it. */
static NnPluginEntry *
find_locked (const char *key)
{
  NnPluginEntry *entry = g_hash_table_lookup (nn_registry.entries_by_key, key);
  NnPluginFile *file;

  if (entry != NULL)
    return entry;
  nn_plugin_ensure_scanned_locked (NULL);
  file = g_hash_table_lookup (nn_registry.index_by_key, key);
  if (file != NULL && nn_plugin_load_file_locked (file, NULL))
    return g_hash_table_lookup (nn_registry.entries_by_key, key);
  for (guint i = 0; i < nn_registry.files->len && entry == NULL; i++)
    {
      file = nn_registry.files->pdata[i];
      if (file->keys == NULL && nn_plugin_load_file_locked (file, NULL))
        entry = g_hash_table_lookup (nn_registry.entries_by_key, key);
    }
  return entry;
}

/**
 * nn_plugins_lookup:
 * @extension_point: the kind of plugin
 * @name: its registered name
 * @error: return location for a #GError
 *
 * Loads the plugin file that provides @name, if it is not loaded yet.
 *
 * Returns: the #GType registered under @name, or %G_TYPE_INVALID with @error
 *   set to %NN_PLUGIN_ERROR_NOT_FOUND, naming the known ones
 */
GType
nn_plugins_lookup (const char  *extension_point,
                   const char  *name,
                   GError     **error)
{
  g_autofree char *key = NULL;
  NnPluginEntry *entry;
  GType type = G_TYPE_INVALID;

  g_return_val_if_fail (extension_point != NULL, G_TYPE_INVALID);
  g_return_val_if_fail (name != NULL, G_TYPE_INVALID);
  g_return_val_if_fail (error == NULL || *error == NULL, G_TYPE_INVALID);

  key = nn_plugin_key (extension_point, name);

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_ensure_env_path_locked ();
  entry = find_locked (key);
  if (entry != NULL)
    type = entry->type;
  else
    {
      g_auto(GStrv) known = list_locked (extension_point);
      g_autofree char *list = nn_strjoin_quoted ((const char * const *) known);
      const char *hint = nn_suggest (name, (const char * const *) known);
      g_autofree char *did_you_mean = hint ? g_strdup_printf ("did you mean '%s'? ", hint) : NULL;

      /* A refused file may be the one meant to provide it: none of its code
       * ran, so what it would register is unknown. Its reason is shown,
       * preferring a file whose path mentions the name. */
      g_autofree char *refused = NULL;
      g_autofree char *dashed = g_strdelimit (g_strdup (name), "_", '-');
      const GError *shown = NULL;
      guint n_unknown = 0;

      for (guint i = 0; i < nn_registry.load_errors->len; i++)
        {
          const GError *e = nn_registry.load_errors->pdata[i];

          /* A file refused for a taken name registered its other names. */
          if (g_error_matches (e, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_DUPLICATE))
            continue;
          n_unknown++;
          if (shown == NULL || (strstr (shown->message, name) == NULL &&
                                strstr (shown->message, dashed) == NULL &&
                                (strstr (e->message, name) || strstr (e->message, dashed))))
            shown = e;
        }
      if (n_unknown == 1)
        refused = g_strdup_printf ("; a plugin file could not be loaded and may provide it: "
                                   "%s", shown->message);
      else if (n_unknown > 1)
        refused = g_strdup_printf ("; %u plugin files could not be loaded and may provide "
                                   "it, such as %s", n_unknown, shown->message);

      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND,
                   "unknown %s '%s'; %sknown: %s%s", kind_of (extension_point), name,
                   did_you_mean ? did_you_mean : "", *list ? list : "none",
                   refused ? refused : "");
    }
  g_mutex_unlock (&nn_registry_lock);
  return type;
}

/**
 * nn_plugins_get_name_for_type:
 * @type: a registered type
 *
 * Returns: (transfer none) (nullable): the name @type is registered under
 */
const char *
nn_plugins_get_name_for_type (GType type)
{
  NnPluginEntry *entry;

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_registry_ensure ();
  entry = g_hash_table_lookup (nn_registry.entries_by_type, GSIZE_TO_POINTER (type));
  g_mutex_unlock (&nn_registry_lock);
  return entry ? entry->name : NULL;
}

/**
 * nn_plugins_get_file_for_type:
 * @type: a registered type
 *
 * Returns: (transfer none) (nullable): the file that registered @type, or
 *   `"(built-in)"` for the types of the library itself
 */
const char *
nn_plugins_get_file_for_type (GType type)
{
  NnPluginEntry *entry;

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_registry_ensure ();
  entry = g_hash_table_lookup (nn_registry.entries_by_type, GSIZE_TO_POINTER (type));
  g_mutex_unlock (&nn_registry_lock);
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
 * @path: a plugin file, loaded with nn_plugins_load_file() or from a folder
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
  GType *types;

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
 * Returns: (transfer none) (nullable): the version the plugin that
 *   registered @type records (%NN_PLUGIN_VERSION), the library's version for
 *   its own types, or %NULL for an unversioned plugin
 */
const char *
nn_plugins_get_version_for_type (GType type)
{
  NnPluginEntry *entry;

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_registry_ensure ();
  entry = g_hash_table_lookup (nn_registry.entries_by_type, GSIZE_TO_POINTER (type));
  g_mutex_unlock (&nn_registry_lock);
  return entry ? entry->version : NULL;
}

/**
 * nn_plugins_new_object:
 * @extension_point: the kind of plugin
 * @name: its registered name
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new instance with default properties, or %NULL
 *   with @error set
 */
GObject *
nn_plugins_new_object (const char  *extension_point,
                       const char  *name,
                       GError     **error)
{
  GType type = nn_plugins_lookup (extension_point, name, error);

  if (type == G_TYPE_INVALID)
    return NULL;
  return g_object_new (type, NULL);
}
