/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding plugin files, checking their records, and loading them, into
 * this process or first into a child process. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <gio/gio.h>
#include <gmodule.h>
#include <glib/gstdio.h>

#include "nn-errors.h"
#include "nn-plugin.h"
#include "nn-plugin-probe-private.h"
#include "nn-plugin-record-private.h"
#include "nn-plugin-registry-private.h"
#include "nn-plugins.h"
#include "nn-registry-private.h"

/* The file whose code runs now, for a crash handler: read from a signal
 * handler, so a plain pointer, written before and after. */
static const char * volatile loading_file;

static void
probed_type_free (NnProbedType *probed)
{
  g_free (probed->key);
  g_free (probed->type_name);
  g_free (probed);
}

void
nn_plugin_file_free (NnPluginFile *file)
{
  g_free (file->path);
  g_strfreev (file->keys);
  g_clear_error (&file->error);
  g_clear_pointer (&file->probed, g_ptr_array_unref);
  g_free (file);
}

static GHashTable *
snapshot_extensions (void)
{
  GHashTable *seen = g_hash_table_new (g_direct_hash, g_direct_equal);

  for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
    {
      const char        *point = nn_registry_kind_get_extension_point (k);
      GIOExtensionPoint *ep = g_io_extension_point_lookup (point);

      for (GList *l = g_io_extension_point_get_extensions (ep); l; l = l->next)
        g_hash_table_add (seen, l->data);
    }
  return seen;
}

/* The extensions added since @before, as "point/name" keys and types. */
static void
new_extensions (GHashTable *before,
                GPtrArray  *keys,
                GArray     *types)
{
  for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
    {
      const char        *point = nn_registry_kind_get_extension_point (k);
      GIOExtensionPoint *ep = g_io_extension_point_lookup (point);

      for (GList *l = g_io_extension_point_get_extensions (ep); l; l = l->next)
        {
          GIOExtension *ext = l->data;
          GType         type = g_io_extension_get_type (ext);

          if (g_hash_table_contains (before, ext))
            continue;
          g_ptr_array_add (keys, nn_plugin_key (point, g_io_extension_get_name (ext)));
          g_array_append_val (types, type);
        }
    }
}

/* The file that registered @type, for messages. */
static const char *
owner_of_type (GType type)
{
  NnPluginEntry *entry = g_hash_table_lookup (nn_registry.entries_by_type, GSIZE_TO_POINTER (type));

  return entry ? entry->file : "another module of this program";
}

/* Called with the lock held: keeps why @file cannot be used, with the load
 * errors for a file of the search path. */
static void
refuse_file (NnPluginFile *file,
             const GError *error)
{
  if (file->error != NULL)
    return;
  file->error = g_error_copy (error);
  if (file->in_search_path)
    g_ptr_array_add (nn_registry.load_errors, g_error_copy (error));
}

/* Opens @path as the loader does, for dlopen()'s own reason when it
 * cannot be: GIOModule only prints it. Its constructors run here. */
static GModule *
open_module (const char *path,
             GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  GModule *handle = g_module_open_full (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL,
                                        &local_error);

  if (handle == NULL)
    g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                 "%s: not a loadable shared object: %s", path, local_error->message);
  return handle;
}

/* Runs in the child process of probe_file_locked(): loads the file as
 * load_into_process_locked() would, runs each class's initialisation, and
 * reports one "point/name\ttype" line per registered class. */
static gboolean
probe_child (gpointer data,
             GString *report,
             GError **error)
{
  const char *path = data;
  g_autoptr(GHashTable) before = snapshot_extensions ();
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (GType));
  GIOModule *module;

  if (open_module (path, error) == NULL)
    return FALSE;
  module = g_io_module_new (path);
  if (!g_type_module_use (G_TYPE_MODULE (module)))
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "%s: the plugin failed to load", path);
      return FALSE;
    }
  new_extensions (before, keys, types);
  for (guint i = 0; i < keys->len; i++)
    {
      GType            type = g_array_index (types, GType, i);
      g_autofree char *key = g_strdup (keys->pdata[i]);

      g_type_class_unref (g_type_class_ref (type));
      /* One line each, whatever the plugin named its class. */
      g_strdelimit (key, "\t\n", '?');
      g_string_append_printf (report, "%s\t%s\n", key, g_type_name (type));
    }
  return TRUE;
}

/* Called with the lock held. Loads @file in a child process, once, and
 * keeps what it registered or why it could not. */
static gboolean
probe_file_locked (NnPluginFile *file,
                   GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *report = NULL;
  g_auto(GStrv) lines = NULL;

  if (file->error != NULL)
    {
      g_propagate_error (error, g_error_copy (file->error));
      return FALSE;
    }
  if (file->probed != NULL || file->loaded)
    return TRUE;
  if (!nn_plugin_run_in_child (file->path, probe_child, file->path, &report, &local_error))
    {
      refuse_file (file, local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  file->probed = g_ptr_array_new_with_free_func ((GDestroyNotify) probed_type_free);
  lines = g_strsplit (report, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      char         *tab = strchr (lines[i], '\t');
      NnProbedType *probed;

      if (tab == NULL)
        continue;
      probed = g_new0 (NnProbedType, 1);
      probed->key = g_strndup (lines[i], tab - lines[i]);
      probed->type_name = g_strdup (tab + 1);
      g_ptr_array_add (file->probed, probed);
    }
  return TRUE;
}

/* Called with the lock held. What can be known to be wrong with loading
 * @file before any of its code runs here: a name its record lists, or a
 * name or type a child process saw it register, already taken. */
static gboolean
check_before_loading (NnPluginFile *file,
                      GError      **error)
{
  g_autoptr(GString) taken = g_string_new (NULL);

  for (gsize i = 0; file->keys != NULL && file->keys[i] != NULL; i++)
    {
      NnPluginEntry   *other = g_hash_table_lookup (nn_registry.entries_by_key, file->keys[i]);
      g_autofree char *what = NULL;

      if (other == NULL)
        continue;
      what = nn_plugin_describe_key (file->keys[i]);
      g_string_append_printf (taken, "%s%s (already provided by %s)", taken->len ? ", " : "",
                              what, other->file);
    }
  if (taken->len > 0)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_DUPLICATE,
                   "%s: name already taken: %s", file->path, taken->str);
      return FALSE;
    }
  if (file->probed == NULL)
    return TRUE;

  for (guint i = 0; i < file->probed->len; i++)
    {
      NnProbedType  *probed = file->probed->pdata[i];
      GType          type = g_type_from_name (probed->type_name);
      NnPluginEntry *other = g_hash_table_lookup (nn_registry.entries_by_key, probed->key);

      /* GLib would only warn, and register nothing. */
      if (type != G_TYPE_INVALID)
        {
          g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_DUPLICATE,
                       "%s: type %s is already registered by %s", file->path,
                       probed->type_name, owner_of_type (type));
          return FALSE;
        }
      if (other != NULL)
        {
          g_autofree char *what = nn_plugin_describe_key (probed->key);

          g_string_append_printf (taken, "%s%s (already provided by %s)",
                                  taken->len ? ", " : "", what, other->file);
        }
    }
  if (taken->len > 0)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_DUPLICATE,
                   "%s: name already taken: %s", file->path, taken->str);
      return FALSE;
    }
  if (file->probed->len == 0)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "%s: the plugin registers no %s", file->path,
                   nn_registry_kinds_text ());
      return FALSE;
    }
  return TRUE;
}

/* The version string the plugin records: a pointer in nn_plugin_info,
 * meaningful once the file is loaded. */
static char *
read_version (const char *path)
{
  GModule            *handle = g_module_open_full (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL, NULL);
  const NnPluginInfo *info = NULL;
  char               *version = NULL;

  if (handle == NULL)
    return NULL;
  if (g_module_symbol (handle, "nn_plugin_info", (gpointer *) &info) && info != NULL)
    version = g_strdup (info->version);
  g_module_close (handle);
  return version;
}

/* Called with the lock held: whether @keys, what @file registered when
 * loaded, are what its record lists, and free. */
static gboolean
check_registered_keys (NnPluginFile *file,
                       GPtrArray    *keys,
                       GError      **error)
{
  g_autoptr(GString) duplicates = g_string_new (NULL);
  g_autoptr(GString) unlisted = g_string_new (NULL);

  for (guint i = 0; i < keys->len; i++)
    {
      const char      *key = keys->pdata[i];
      NnPluginEntry   *other = g_hash_table_lookup (nn_registry.entries_by_key, key);
      g_autofree char *what = nn_plugin_describe_key (key);

      if (other != NULL)
        g_string_append_printf (duplicates, "%s%s (already provided by %s)",
                                duplicates->len ? ", " : "", what, other->file);
      if (file->keys != NULL && !g_strv_contains ((const char * const *) file->keys, key))
        g_string_append_printf (unlisted, "%s%s", unlisted->len ? ", " : "", what);
    }
  for (gsize i = 0; file->keys != NULL && file->keys[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (guint k = 0; k < keys->len && !found; k++)
        found = g_str_equal (keys->pdata[k], file->keys[i]);
      if (!found)
        {
          g_autofree char *what = nn_plugin_describe_key (file->keys[i]);

          g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                       "%s: its NN_PLUGIN_DEFINE lists %s, which it does not register",
                       file->path, what);
          return FALSE;
        }
    }
  if (unlisted->len > 0)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "%s: it registers %s, which its NN_PLUGIN_DEFINE does not list",
                   file->path, unlisted->str);
      return FALSE;
    }
  if (duplicates->len > 0)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_DUPLICATE,
                   "%s: name already taken: %s", file->path, duplicates->str);
      return FALSE;
    }
  if (keys->len == 0)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "%s: the plugin registers no %s", file->path,
                   nn_registry_kinds_text ());
      return FALSE;
    }
  return TRUE;
}

/* Called with the lock held: runs the file's constructors and registration
 * in this process and takes what it registered. */
static gboolean
load_into_process_locked (NnPluginFile *file,
                          GError      **error)
{
  g_autoptr(GHashTable) before = snapshot_extensions ();
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) types = g_array_new (FALSE, FALSE, sizeof (GType));
  g_autofree char *version = NULL;
  GIOModule       *module;
  GModule         *handle;
  gboolean         used;

  /* Its constructors, its registration and its classes' initialisation:
   * all the code that runs before an object is made. The classes stay, as
   * the module does. */
  loading_file = file->path;
  handle = open_module (file->path, error);
  if (handle == NULL)
    {
      loading_file = NULL;
      return FALSE;
    }
  module = g_io_module_new (file->path);
  used = g_type_module_use (G_TYPE_MODULE (module));
  if (used)
    {
      new_extensions (before, keys, types);
      for (guint i = 0; i < types->len; i++)
        g_type_class_ref (g_array_index (types, GType, i));
    }
  loading_file = NULL;
  /* GIOModule holds the file open now, for good. */
  g_module_close (handle);
  if (!used)
    {
      /* It registered no type, so it may go. */
      g_object_unref (module);
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "%s: the plugin failed to load", file->path);
      return FALSE;
    }
  g_ptr_array_add (nn_registry.modules, module);
  version = read_version (file->path);

  if (!check_registered_keys (file, keys, error))
    return FALSE;

  for (guint i = 0; i < keys->len; i++)
    {
      const char      *key = keys->pdata[i];
      const char      *slash = strchr (key, '/');
      g_autofree char *point = g_strndup (key, slash - key);

      nn_plugin_add_entry (point, slash + 1, g_array_index (types, GType, i), file->path, version);
    }
  return TRUE;
}

/* Called with the lock held. Loads @file, once; a failure is kept with the
 * file, and with the load errors for a file of the search path. */
gboolean
nn_plugin_load_file_locked (NnPluginFile *file,
                            GError      **error)
{
  GError *load_error = NULL;

  if (file->loaded)
    return TRUE;
  if (file->error != NULL)
    {
      g_propagate_error (error, g_error_copy (file->error));
      return FALSE;
    }
  if ((!nn_registry.probe_in_child || probe_file_locked (file, &load_error)) &&
      check_before_loading (file, &load_error) &&
      load_into_process_locked (file, &load_error))
    {
      file->loaded = TRUE;
      return TRUE;
    }
  refuse_file (file, load_error);
  g_propagate_error (error, load_error);
  return FALSE;
}

/* Called with the lock held. Records @path as found: reads its record,
 * checks it against this nn, and indexes the names it lists, first file
 * first. Returns the file (also when it was refused), or NULL if a file of
 * that name was found before; @explicit makes that an error. */
static NnPluginFile *
add_file_locked (const char *path,
                 gboolean explicit,
                 GError **error)
{
  g_autofree char *basename = g_path_get_basename (path);
  g_autofree char *canonical = g_canonicalize_filename (path, NULL);
  NnPluginFile    *file = g_hash_table_lookup (nn_registry.files_by_name, basename);
  NnPluginRecord   record = { 0 };
  GError          *local_error = NULL;

  if (file != NULL)
    {
      if (g_str_equal (file->path, canonical))
        return file;
      if (explicit)
        g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_DUPLICATE,
                     "%s: a plugin file of that name was already tried: %s", path, file->path);
      return NULL;
    }

  file = g_new0 (NnPluginFile, 1);
  /* The absolute name: a bare file name would go through dlopen's search
   * path (LD_LIBRARY_PATH, the system library folders) instead. */
  file->path = g_steal_pointer (&canonical);
  file->in_search_path = !explicit;
  g_ptr_array_add (nn_registry.files, file);
  g_hash_table_insert (nn_registry.files_by_name, g_steal_pointer (&basename), file);

  if (!nn_plugin_record_read_file (file->path, &record, &local_error) ||
      !nn_plugin_record_check (&record, &local_error))
    {
      g_prefix_error (&local_error, "%s: ", file->path);
      refuse_file (file, local_error);
      g_clear_error (&local_error);
    }
  else if (record.names != NULL)
    {
      g_autoptr(GString) taken = g_string_new (NULL);
      g_autoptr(GStrvBuilder) keys = g_strv_builder_new ();

      for (gsize i = 0; record.names[i] != NULL; i++)
        {
          const char      *colon = strchr (record.names[i], ':');
          g_autofree char *key = NULL;
          NnRegistryKind   kind;
          NnPluginEntry   *entry;
          NnPluginFile    *other;
          const char      *owner;

          /* Never so: the record reader accepts the names of kinds only. */
          if (!nn_registry_kind_for_name (record.names[i], colon - record.names[i], &kind))
            continue;
          key = nn_plugin_key (nn_registry_kind_get_extension_point (kind), colon + 1);
          entry = g_hash_table_lookup (nn_registry.entries_by_key, key);
          other = g_hash_table_lookup (nn_registry.index_by_key, key);
          owner = entry   ? entry->file
                  : other ? other->path
                          : NULL;

          if (owner != NULL)
            {
              g_autofree char *what = nn_plugin_describe_key (key);

              g_string_append_printf (taken, "%s%s (already provided by %s)",
                                      taken->len ? ", " : "", what, owner);
            }
          g_strv_builder_add (keys, key);
        }
      file->keys = g_strv_builder_end (keys);
      /* Refused whole, as if loaded: none of its names is used. */
      if (taken->len > 0)
        {
          local_error = g_error_new (NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_DUPLICATE,
                                     "%s: name already taken: %s", file->path, taken->str);
          refuse_file (file, local_error);
          g_clear_error (&local_error);
        }
      else
        for (gsize i = 0; file->keys[i] != NULL; i++)
          g_hash_table_insert (nn_registry.index_by_key, g_strdup (file->keys[i]), file);
    }
  nn_plugin_record_clear (&record);
  return file;
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

/* Called with the lock held. A folder anyone may write to is a folder
 * anyone may put code into that nn would run; a sticky bit (as on /tmp)
 * does not change that, since it only protects files from removal. */
static void
check_folder_permissions (const char *dir)
{
  GStatBuf st;

  if (g_stat (dir, &st) == 0 && (st.st_mode & S_IWOTH) != 0)
    g_ptr_array_add (nn_registry.warnings,
                     g_strdup_printf ("plugin folder %s is writable by every user: anyone can "
                                      "put code there that nn would run",
                                      dir));
}

/* Called with the lock held. Adds the plugin files of @dir, sorted, to
 * @found if not %NULL. Per-file failures are kept, not returned. */
static gboolean
scan_directory_locked (const char *dir,
                       gboolean    must_exist,
                       GPtrArray  *found,
                       GError    **error)
{
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local_error = NULL;
  const char *name;

  g_ptr_array_add (nn_registry.searched_dirs, g_strdup (dir));
  d = g_dir_open (dir, 0, &local_error);
  if (d == NULL)
    {
      if (!must_exist && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND,
                   "cannot read plugin directory %s: %s", dir, local_error->message);
      return FALSE;
    }
  check_folder_permissions (dir);

  while ((name = g_dir_read_name (d)) != NULL)
    if (is_plugin_file_name (name))
      g_ptr_array_add (names, g_strdup (name));
  /* A fixed order, so "first one wins" means the same thing on every run. */
  g_ptr_array_sort (names, compare_names);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      NnPluginFile    *file;

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      file = add_file_locked (path, FALSE, NULL);
      if (file != NULL && found != NULL)
        g_ptr_array_add (found, file);
    }
  return TRUE;
}

void
nn_plugin_ensure_env_path_locked (void)
{
  const char *env;

  nn_plugin_registry_ensure ();
  if (nn_registry.env_path_scanned)
    return;
  nn_registry.env_path_scanned = TRUE;

  env = g_getenv ("NN_PLUGIN_PATH");
  if (env != NULL && *env != '\0')
    {
      g_auto(GStrv) dirs = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
      for (gsize i = 0; dirs[i] != NULL; i++)
        {
          GError *dir_error = NULL;

          if (*dirs[i] == '\0')
            continue;
          /* It would mean another folder in each folder nnrun is run from. */
          if (!g_path_is_absolute (dirs[i]))
            {
              g_ptr_array_add (nn_registry.warnings,
                               g_strdup_printf ("NN_PLUGIN_PATH: ignoring the relative folder "
                                                "'%s'; plugin folders must be absolute paths",
                                                dirs[i]));
              continue;
            }
          if (!scan_directory_locked (dirs[i], TRUE, NULL, &dir_error))
            g_ptr_array_add (nn_registry.load_errors, dir_error);
        }
    }
}

/* Called with the lock held. */
gboolean
nn_plugin_ensure_scanned_locked (GError **error)
{
  nn_plugin_ensure_env_path_locked ();
  if (nn_registry.system_scanned)
    return TRUE;
  nn_registry.system_scanned = TRUE;
  return scan_directory_locked (nn_registry.system_directory, FALSE, NULL, error);
}

/* Called with the lock held. With probing, every file is loaded in a child
 * process before any of them is loaded here, so that no child inherits
 * another's types. */
void
nn_plugin_load_files_locked (GPtrArray *list,
                             gboolean   unlisted_only)
{
  if (nn_registry.probe_in_child)
    for (guint i = 0; i < list->len; i++)
      {
        NnPluginFile *file = list->pdata[i];

        if (!file->loaded && file->error == NULL && (!unlisted_only || file->keys == NULL))
          probe_file_locked (file, NULL);
      }
  for (guint i = 0; i < list->len; i++)
    {
      NnPluginFile *file = list->pdata[i];

      if (!unlisted_only || file->keys == NULL)
        nn_plugin_load_file_locked (file, NULL);
    }
}

/**
 * nn_plugins_set_probe_in_child:
 * @probe: whether to load each plugin file in a child process first
 *
 * With @probe, a plugin file is loaded in a child process before it is
 * loaded into this one: its constructors, its registration and its classes'
 * initialisation run there first, and a file whose code crashes, aborts or
 * ends the process is refused with %NN_PLUGIN_ERROR_CRASHED, naming the
 * signal or the exit status, while this process goes on. A file that would
 * register a type or a name already registered is refused too, before it
 * is loaded here. This is for the programs that load every plugin, to list
 * or check them; it costs a fork() per file, and runs each file's code
 * twice.
 */
void
nn_plugins_set_probe_in_child (gboolean probe)
{
  g_mutex_lock (&nn_registry_lock);
  nn_registry.probe_in_child = probe;
  g_mutex_unlock (&nn_registry_lock);
}

/**
 * nn_plugins_get_loading_file:
 *
 * The plugin file whose constructors or registration run in this process
 * now, for a handler of a crash or of exit() to name it. It only reads a
 * variable, so a signal handler may call it.
 *
 * Returns: (transfer none) (nullable): the file, or %NULL when no plugin
 *   code is being loaded
 */
const char *
nn_plugins_get_loading_file (void)
{
  return nn_plugin_in_child () ? NULL : loading_file;
}

/**
 * nn_plugins_scan:
 * @error: return location for a #GError
 *
 * Finds, once, the plugin files of every folder of `NN_PLUGIN_PATH` and
 * then of the system plugin directory, and reads each one's record without
 * running any of its code. A file built for another nn is refused here, and
 * its error kept for [func@Nn.plugins_get_load_errors]; the others are loaded
 * when a name they provide is looked up.
 *
 * Returns: %TRUE, or %FALSE with @error set if the system directory exists
 *   but cannot be read
 */
gboolean
nn_plugins_scan (GError **error)
{
  gboolean ok;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&nn_registry_lock);
  ok = nn_plugin_ensure_scanned_locked (error);
  g_mutex_unlock (&nn_registry_lock);
  return ok;
}

/**
 * nn_plugins_ensure_loaded:
 * @error: return location for a #GError
 *
 * Loads, once, every plugin of the folders of `NN_PLUGIN_PATH`, then of
 * the system plugin directory, and of the folders added so far. A file
 * that fails to load does not make this fail: it is skipped and its error
 * is kept for [func@Nn.plugins_get_load_errors].
 *
 * Returns: %TRUE, or %FALSE with @error set if the system directory exists
 *   but cannot be read
 */
gboolean
nn_plugins_ensure_loaded (GError **error)
{
  gboolean ok;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&nn_registry_lock);
  ok = nn_plugin_ensure_scanned_locked (error);
  nn_plugin_load_files_locked (nn_registry.files, FALSE);
  g_mutex_unlock (&nn_registry_lock);
  return ok;
}

/* Adds @dir to the search path and reads its files; with @load, loads
 * those not loaded yet. */
static gboolean
add_directory (const char *dir,
               gboolean    load,
               GError    **error)
{
  g_autoptr(GPtrArray) found = load ? g_ptr_array_new () : NULL;
  gboolean ok;

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_ensure_env_path_locked ();
  ok = scan_directory_locked (dir, TRUE, found, error);
  if (load)
    nn_plugin_load_files_locked (found, FALSE);
  g_mutex_unlock (&nn_registry_lock);
  return ok;
}

/**
 * nn_plugins_add_directory:
 * @dir: a folder of plugin files
 * @error: return location for a #GError
 *
 * Adds @dir to the search path, after `NN_PLUGIN_PATH` and, unless it was
 * searched already, before the system directory; its files are read as by
 * [func@Nn.plugins_scan], and loaded when one of their names is looked up.
 *
 * Returns: %TRUE, or %FALSE with @error set if @dir cannot be read
 */
gboolean
nn_plugins_add_directory (const char *dir,
                          GError    **error)
{
  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return add_directory (dir, FALSE, error);
}

/**
 * nn_plugins_load_directory:
 * @dir: a folder of plugin files
 * @error: return location for a #GError
 *
 * [func@Nn.plugins_add_directory], then loads every plugin file of @dir not
 * loaded yet.
 *
 * Returns: %TRUE, or %FALSE with @error set if @dir cannot be read
 */
gboolean
nn_plugins_load_directory (const char *dir,
                           GError    **error)
{
  g_return_val_if_fail (dir != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return add_directory (dir, TRUE, error);
}

/* Loads @file into this process or in a child process only. */
typedef gboolean (*FileAction) (NnPluginFile *file,
                                GError      **error);

/* Adds @path to the files known, then does @action to it. */
static gboolean
act_on_file (const char *path,
             FileAction  action,
             GError    **error)
{
  NnPluginFile *file;
  gboolean      ok = FALSE;

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_registry_ensure ();
  file = add_file_locked (path, TRUE, error);
  if (file != NULL)
    ok = action (file, error);
  g_mutex_unlock (&nn_registry_lock);
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
nn_plugins_load_file (const char *path,
                      GError    **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return act_on_file (path, nn_plugin_load_file_locked, error);
}

/**
 * nn_plugins_probe_file:
 * @path: a plugin file
 * @error: return location for a #GError
 *
 * Loads @path in a child process only, as [func@Nn.plugins_set_probe_in_child]
 * describes, and keeps the outcome: a later load of @path into this
 * process is refused with the same error, or skips the child process. A
 * program that loads several files one by one probes them all first, so
 * that no child process inherits the types of another file.
 *
 * Returns: %TRUE if the file loaded in the child process
 */
gboolean
nn_plugins_probe_file (const char *path,
                       GError    **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return act_on_file (path, probe_file_locked, error);
}

/**
 * nn_plugins_inspect_file:
 * @path: a plugin file
 * @names: (out) (optional) (transfer full) (nullable): the names the file
 *   records, as `"activation:NAME"`, `"loss:NAME"` or `"optimizer:NAME"`, or
 *   %NULL if it records none
 * @error: return location for a #GError
 *
 * Reads the record of a plugin file from the file, without loading it or
 * running any of its code, and checks it against this nn: the file must be
 * a shared object for this machine, built for this plugin ABI and scalar
 * type, with the entry point of NN_PLUGIN_DEFINE().
 *
 * Returns: %TRUE, or %FALSE with @error set as the loader would refuse it
 */
gboolean
nn_plugins_inspect_file (const char *path,
                         GStrv      *names,
                         GError    **error)
{
  NnPluginRecord record = { 0 };
  gboolean       ok;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  ok = nn_plugin_record_read_file (path, &record, error) &&
       nn_plugin_record_check (&record, error);
  if (!ok)
    g_prefix_error (error, "%s: ", path);
  if (ok && names != NULL)
    *names = g_steal_pointer (&record.names);
  nn_plugin_record_clear (&record);
  return ok;
}
