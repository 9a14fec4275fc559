/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <gmodule.h>

#include "nn-activation.h"
#include "nn-adagrad-optimizer.h"
#include "nn-adam-optimizer.h"
#include "nn-adamw-optimizer.h"
#include "nn-errors.h"
#include "nn-loss.h"
#include "nn-optimizer.h"
#include "nn-plugin.h"
#include "nn-plugins.h"
#include "nn-rmsprop-optimizer.h"
#include "nn-rprop-optimizer.h"
#include "nn-sgd-optimizer.h"
#include "nn-utils-private.h"

/*
 * The registry is GIO's extension points; this file adds what GIO lacks:
 * a search path, checks of the ABI and scalar type before any plugin code
 * runs, per-file errors as GErrors, and refusal of duplicate names (GIO
 * would let a later plugin shadow an earlier one). Modules stay resident:
 * a GTypeModule must not be unloaded while its types exist.
 */

typedef struct {
  char  *extension_point;
  char  *name;
  GType  type;
  char  *file;
  char  *version;
} NnPluginEntry;

static const char * const extension_points[] = {
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

G_LOCK_DEFINE_STATIC (registry);
static GHashTable *entries_by_key;    /* "point/name" -> NnPluginEntry */
static GHashTable *entries_by_type;   /* GType -> NnPluginEntry (borrowed) */
static GHashTable *tried_files;       /* basename -> TriedFile */
static GPtrArray  *modules;           /* GIOModule, never released */
static GPtrArray  *load_errors;       /* GError */
static GPtrArray  *searched_dirs;     /* char *, in search order */
static char       *system_directory;
static gboolean    env_path_loaded;
static gboolean    system_loaded;

/* A file the loader has tried, with the outcome, so that trying it again
 * gives the same answer without running its code twice. */
typedef struct {
  char   *path;
  GError *error;   /* NULL if it loaded */
} TriedFile;

static void
tried_file_free (TriedFile *tried)
{
  g_free (tried->path);
  g_clear_error (&tried->error);
  g_free (tried);
}

static void
nn_plugin_entry_free (NnPluginEntry *entry)
{
  g_free (entry->extension_point);
  g_free (entry->name);
  g_free (entry->file);
  g_free (entry->version);
  g_free (entry);
}

static char *
entry_key (const char *extension_point,
           const char *name)
{
  return g_strconcat (extension_point, "/", name, NULL);
}

static void
add_entry (const char *extension_point,
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
  g_hash_table_insert (entries_by_type, GSIZE_TO_POINTER (type), entry);
  g_hash_table_insert (entries_by_key, entry_key (extension_point, name), entry);
}

/* Called with the lock held. */
static void
ensure_registry (void)
{
  GIOExtensionPoint *ep;

  if (entries_by_key != NULL)
    return;

  entries_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) nn_plugin_entry_free);
  entries_by_type = g_hash_table_new (g_direct_hash, g_direct_equal);
  tried_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) tried_file_free);
  modules = g_ptr_array_new ();
  load_errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  searched_dirs = g_ptr_array_new_with_free_func (g_free);
  if (system_directory == NULL)
    system_directory = g_strdup (NN_PLUGIN_DIR);

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
      add_entry (NN_OPTIMIZER_EXTENSION_POINT_NAME, builtin_optimizers[i].name, type,
                 "(built-in)", NN_VERSION);
    }
}

static GHashTable *
snapshot_extensions (void)
{
  GHashTable *seen = g_hash_table_new (g_direct_hash, g_direct_equal);

  for (gsize i = 0; i < G_N_ELEMENTS (extension_points); i++)
    {
      GIOExtensionPoint *ep = g_io_extension_point_lookup (extension_points[i]);
      for (GList *l = g_io_extension_point_get_extensions (ep); l; l = l->next)
        g_hash_table_add (seen, l->data);
    }
  return seen;
}

/* Checks a file before any of its code runs; @version gets the version
 * it records, copied, since the probe's handle is closed again. */
static gboolean
probe_file (const char  *path,
            char       **version,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  GModule *handle;
  const NnPluginInfo *info = NULL;
  gpointer load = NULL;
  gboolean ok = FALSE;

  handle = g_module_open_full (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL, &local_error);
  if (handle == NULL)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "%s: not a loadable shared object: %s", path, local_error->message);
      return FALSE;
    }

  if (!g_module_symbol (handle, "nn_plugin_info", (gpointer *) &info) || info == NULL)
    g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                 "%s: not an nn plugin: it has no nn_plugin_info symbol "
                 "(use NN_PLUGIN_DEFINE)", path);
  else if (info->abi_version != NN_PLUGIN_ABI_VERSION)
    g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_ABI_MISMATCH,
                 "%s: built for plugin ABI version %u, this nn needs version %u; "
                 "rebuild the plugin", path, info->abi_version, NN_PLUGIN_ABI_VERSION);
  else if (info->real_size != sizeof (nn_real))
    g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_ABI_MISMATCH,
                 "%s: built for %s scalars, this nn uses %s; rebuild the plugin",
                 path,
                 info->real_size == sizeof (double) ? "double" :
                 info->real_size == sizeof (float) ? "float" : "unknown",
                 NN_REAL_NAME);
  else if (!g_module_symbol (handle, "g_io_module_load", &load) || load == NULL)
    g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                 "%s: no g_io_module_load entry point (use NN_PLUGIN_DEFINE)", path);
  else
    {
      /* The string lives in the plugin, which the probe closes. */
      *version = g_strdup (info->version);
      ok = TRUE;
    }

  g_module_close (handle);
  return ok;
}

/* Called with the lock held. */
static gboolean
load_new_file_locked (const char  *path,
                      GError     **error)
{
  g_autoptr(GHashTable) before = NULL;
  g_autofree char *version = NULL;
  GIOModule *module;
  guint n_new = 0;
  GString *duplicates = NULL;

  if (!probe_file (path, &version, error))
    return FALSE;

  before = snapshot_extensions ();
  module = g_io_module_new (path);
  if (!g_type_module_use (G_TYPE_MODULE (module)))
    {
      /* It registered no type, so it may go. */
      g_object_unref (module);
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "%s: the plugin failed to load", path);
      return FALSE;
    }
  g_ptr_array_add (modules, module);

  for (gsize i = 0; i < G_N_ELEMENTS (extension_points); i++)
    {
      GIOExtensionPoint *ep = g_io_extension_point_lookup (extension_points[i]);
      for (GList *l = g_io_extension_point_get_extensions (ep); l; l = l->next)
        {
          GIOExtension *ext = l->data;
          const char *name = g_io_extension_get_name (ext);
          g_autofree char *key = NULL;
          NnPluginEntry *other;

          if (g_hash_table_contains (before, ext))
            continue;
          n_new++;
          key = entry_key (extension_points[i], name);
          other = g_hash_table_lookup (entries_by_key, key);
          if (other != NULL)
            {
              if (duplicates == NULL)
                duplicates = g_string_new (NULL);
              g_string_append_printf (duplicates, "%s%s '%s' (already provided by %s)",
                                      duplicates->len ? ", " : "",
                                      extension_points[i] + strlen ("nn-"),
                                      name, other->file);
              continue;
            }
          add_entry (extension_points[i], name, g_io_extension_get_type (ext), path, version);
        }
    }

  if (duplicates != NULL)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_DUPLICATE,
                   "%s: name already taken: %s", path, duplicates->str);
      g_string_free (duplicates, TRUE);
      return FALSE;
    }
  if (n_new == 0)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "%s: the plugin registers no activation, loss or optimizer", path);
      return FALSE;
    }
  return TRUE;
}

/* Called with the lock held. The first file of a name wins, as in PATH: a
 * directory scan skips later ones, and an explicit request for one is an
 * error. */
static gboolean
load_file_locked (const char  *path,
                  gboolean     explicit,
                  GError     **error)
{
  g_autofree char *basename = g_path_get_basename (path);
  g_autofree char *canonical = g_canonicalize_filename (path, NULL);
  TriedFile *tried = g_hash_table_lookup (tried_files, basename);
  GError *load_error = NULL;

  if (tried != NULL)
    {
      if (g_str_equal (tried->path, canonical))
        {
          if (tried->error == NULL)
            return TRUE;
          g_propagate_error (error, g_error_copy (tried->error));
          return FALSE;
        }
      if (!explicit)
        return TRUE;
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_DUPLICATE,
                   "%s: a plugin file of that name was already tried: %s",
                   path, tried->path);
      return FALSE;
    }

  tried = g_new0 (TriedFile, 1);
  tried->path = g_steal_pointer (&canonical);
  g_hash_table_insert (tried_files, g_strdup (basename), tried);
  /* The absolute name: a bare file name would go through dlopen's search
   * path (LD_LIBRARY_PATH, the system library folders) instead. */
  if (load_new_file_locked (tried->path, &load_error))
    return TRUE;
  tried->error = g_error_copy (load_error);
  g_propagate_error (error, load_error);
  return FALSE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static gboolean
is_plugin_file_name (const char *name)
{
  return g_str_has_suffix (name, "." G_MODULE_SUFFIX);
}

/* Called with the lock held. Per-file failures are kept, not returned. */
static gboolean
load_directory_locked (const char  *dir,
                       gboolean     must_exist,
                       GError     **error)
{
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local_error = NULL;
  const char *name;

  g_ptr_array_add (searched_dirs, g_strdup (dir));
  d = g_dir_open (dir, 0, &local_error);
  if (d == NULL)
    {
      if (!must_exist && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND,
                   "cannot read plugin directory %s: %s", dir, local_error->message);
      return FALSE;
    }

  while ((name = g_dir_read_name (d)) != NULL)
    if (is_plugin_file_name (name))
      g_ptr_array_add (names, g_strdup (name));
  /* A fixed order, so "first one wins" means the same thing on every run. */
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      GError *file_error = NULL;

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      if (!load_file_locked (path, FALSE, &file_error))
        g_ptr_array_add (load_errors, file_error);
    }
  return TRUE;
}

static void
ensure_env_path_locked (void)
{
  const char *env;

  ensure_registry ();
  if (env_path_loaded)
    return;
  env_path_loaded = TRUE;

  env = g_getenv ("NN_PLUGIN_PATH");
  if (env != NULL && *env != '\0')
    {
      g_auto(GStrv) dirs = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
      for (gsize i = 0; dirs[i] != NULL; i++)
        {
          GError *dir_error = NULL;
          if (*dirs[i] == '\0')
            continue;
          if (!load_directory_locked (dirs[i], TRUE, &dir_error))
            g_ptr_array_add (load_errors, dir_error);
        }
    }
}

/**
 * nn_plugins_set_system_directory:
 * @dir: the directory of the built-in plugins
 *
 * Replaces the compiled-in plugin directory, for a program that runs from
 * its build tree. It has an effect only before the first plugin is loaded.
 */
void
nn_plugins_set_system_directory (const char *dir)
{
  g_return_if_fail (dir != NULL);

  G_LOCK (registry);
  if (!system_loaded)
    {
      g_free (system_directory);
      system_directory = g_strdup (dir);
    }
  G_UNLOCK (registry);
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

  G_LOCK (registry);
  ensure_registry ();
  dir = system_directory;
  G_UNLOCK (registry);
  return dir;
}

/**
 * nn_plugins_ensure_loaded:
 * @error: return location for a #GError
 *
 * Loads, once, the plugins of every folder of `NN_PLUGIN_PATH` and then of
 * the system plugin directory. A file that fails to load does not make this
 * fail: it is skipped and its error is kept for
 * nn_plugins_get_load_errors().
 *
 * Returns: %TRUE, or %FALSE with @error set if a folder of `NN_PLUGIN_PATH`
 *   cannot be read
 */
gboolean
nn_plugins_ensure_loaded (GError **error)
{
  gboolean ok = TRUE;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  G_LOCK (registry);
  ensure_env_path_locked ();
  if (!system_loaded)
    {
      system_loaded = TRUE;
      ok = load_directory_locked (system_directory, FALSE, error);
    }
  G_UNLOCK (registry);
  return ok;
}

/**
 * nn_plugins_load_directory:
 * @dir: a folder of plugin files
 * @error: return location for a #GError
 *
 * Loads every plugin file of @dir not loaded yet. `NN_PLUGIN_PATH` is
 * searched before, the system directory after, so that an experiment's own
 * folders sit between the two.
 *
 * Returns: %TRUE, or %FALSE with @error set if @dir cannot be read
 */
gboolean
nn_plugins_load_directory (const char  *dir,
                           GError     **error)
{
  gboolean ok;

  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  G_LOCK (registry);
  ensure_env_path_locked ();
  ok = load_directory_locked (dir, TRUE, error);
  G_UNLOCK (registry);
  return ok;
}

/**
 * nn_plugins_load_file:
 * @path: a plugin file
 * @error: return location for a #GError
 *
 * Loads one plugin file. Unlike the directory functions, a failure is
 * returned, not kept.
 *
 * Returns: %TRUE on success
 */
gboolean
nn_plugins_load_file (const char  *path,
                      GError     **error)
{
  gboolean ok;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  G_LOCK (registry);
  ensure_registry ();
  ok = load_file_locked (path, TRUE, error);
  G_UNLOCK (registry);
  return ok;
}

/**
 * nn_plugins_get_load_errors:
 *
 * Returns: (transfer container) (element-type GError): copies of the errors of
 *   the plugin files that could not be loaded so far
 */
GPtrArray *
nn_plugins_get_load_errors (void)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);

  G_LOCK (registry);
  ensure_registry ();
  for (guint i = 0; i < load_errors->len; i++)
    g_ptr_array_add (copy, g_error_copy (load_errors->pdata[i]));
  G_UNLOCK (registry);
  return copy;
}

static GStrv
list_locked (const char *extension_point)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  GHashTableIter iter;
  NnPluginEntry *entry;

  g_hash_table_iter_init (&iter, entries_by_key);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (g_str_equal (entry->extension_point, extension_point))
      g_ptr_array_add (names, entry->name);
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

  G_LOCK (registry);
  ensure_registry ();
  for (guint i = 0; i < searched_dirs->len; i++)
    g_strv_builder_add (b, searched_dirs->pdata[i]);
  G_UNLOCK (registry);
  return g_strv_builder_end (b);
}

/**
 * nn_plugins_list:
 * @extension_point: %NN_ACTIVATION_EXTENSION_POINT_NAME,
 *   %NN_LOSS_EXTENSION_POINT_NAME or %NN_OPTIMIZER_EXTENSION_POINT_NAME
 *
 * Loads the plugins if needed.
 *
 * Returns: (transfer full): the registered names, sorted
 */
GStrv
nn_plugins_list (const char *extension_point)
{
  GStrv names;

  g_return_val_if_fail (extension_point != NULL, NULL);

  nn_plugins_ensure_loaded (NULL);
  G_LOCK (registry);
  names = list_locked (extension_point);
  G_UNLOCK (registry);
  return names;
}

static const char *
kind_of (const char *extension_point)
{
  return g_str_has_prefix (extension_point, "nn-")
         ? extension_point + strlen ("nn-") : extension_point;
}

/**
 * nn_plugins_lookup:
 * @extension_point: the kind of plugin
 * @name: its registered name
 * @error: return location for a #GError
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

  nn_plugins_ensure_loaded (NULL);
  key = entry_key (extension_point, name);

  G_LOCK (registry);
  entry = g_hash_table_lookup (entries_by_key, key);
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

      for (guint i = 0; i < load_errors->len; i++)
        {
          const GError *e = load_errors->pdata[i];

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
  G_UNLOCK (registry);
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

  G_LOCK (registry);
  ensure_registry ();
  entry = g_hash_table_lookup (entries_by_type, GSIZE_TO_POINTER (type));
  G_UNLOCK (registry);
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

  G_LOCK (registry);
  ensure_registry ();
  entry = g_hash_table_lookup (entries_by_type, GSIZE_TO_POINTER (type));
  G_UNLOCK (registry);
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
  G_LOCK (registry);
  ensure_registry ();
  g_hash_table_iter_init (&iter, entries_by_key);
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
  G_UNLOCK (registry);
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

  G_LOCK (registry);
  ensure_registry ();
  entry = g_hash_table_lookup (entries_by_type, GSIZE_TO_POINTER (type));
  G_UNLOCK (registry);
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
