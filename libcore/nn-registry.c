/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "nn-activation.h"
#include "nn-errors.h"
#include "nn-layer.h"
#include "nn-loss.h"
#include "nn-optimizer.h"
#include "nn-plugin-registry-private.h"
#include "nn-registry.h"
#include "nn-registry-private.h"
#include "nn-schedule.h"
#include "nn-utils-private.h"

/*
 * One registry of named classes for every kind: GIO's extension points,
 * with a table of entries that says where each name comes from. A class
 * built into the library registers its name in its own file, in its type
 * definition, as glocalvfs.c does for GIO; nn_registry_ensure_builtins()
 * only makes sure those types exist. A plugin's classes register the same
 * way when its file is loaded (nn-plugin-files.c), so a lookup, a listing
 * and a description treat both alike.
 */

NnPluginRegistry nn_registry;
GMutex           nn_registry_lock;

typedef struct
{
  const char *name;  /* "activation": messages, plugin records */
  const char *title; /* "Activations": listings */
  const char *extension_point;
  GType (*get_base_type) (void);
  gsize description_offset; /* of the class's `const char *description` */
} KindInfo;

static const KindInfo kinds[NN_REGISTRY_N_KINDS] = {
  [NN_REGISTRY_ACTIVATION] = { "activation", "Activations", NN_ACTIVATION_EXTENSION_POINT_NAME,
                               nn_activation_get_type,
                               G_STRUCT_OFFSET (NnActivationClass, description) },
  [NN_REGISTRY_LOSS] = { "loss", "Losses", NN_LOSS_EXTENSION_POINT_NAME, nn_loss_get_type,
                         G_STRUCT_OFFSET (NnLossClass, description) },
  [NN_REGISTRY_OPTIMIZER] = { "optimizer", "Optimizers", NN_OPTIMIZER_EXTENSION_POINT_NAME,
                              nn_optimizer_get_type,
                              G_STRUCT_OFFSET (NnOptimizerClass, description) },
  [NN_REGISTRY_SCHEDULE] = { "schedule", "Schedules", NN_SCHEDULE_EXTENSION_POINT_NAME,
                             nn_schedule_get_type,
                             G_STRUCT_OFFSET (NnScheduleClass, description) },
  [NN_REGISTRY_LAYER] = { "layer", "Layers", NN_LAYER_EXTENSION_POINT_NAME, nn_layer_get_type,
                          G_STRUCT_OFFSET (NnLayerClass, description) },
};

/* ---- kinds ---------------------------------------------------------------- */

/**
 * nn_registry_kind_get_name:
 * @kind: a kind
 *
 * Gets what one class of @kind is called, such as `"activation"`.
 *
 * Returns: (transfer none): what one class of @kind is called, such as
 *   `"activation"`: the word of messages and of a plugin's name record
 */
const char *
nn_registry_kind_get_name (NnRegistryKind kind)
{
  g_return_val_if_fail ((guint) kind < NN_REGISTRY_N_KINDS, NULL);

  return kinds[kind].name;
}

/**
 * nn_registry_kind_get_title:
 * @kind: a kind
 *
 * Gets the heading of a listing of @kind, such as `"Activations"`.
 *
 * Returns: (transfer none): the heading of a listing of @kind, such as
 *   `"Activations"`
 */
const char *
nn_registry_kind_get_title (NnRegistryKind kind)
{
  g_return_val_if_fail ((guint) kind < NN_REGISTRY_N_KINDS, NULL);

  return kinds[kind].title;
}

/**
 * nn_registry_kind_get_extension_point:
 * @kind: a kind
 *
 * Gets the name of the GIO extension point of @kind, such as
 * [const@Nn.ACTIVATION_EXTENSION_POINT_NAME].
 *
 * Returns: (transfer none): the name of the GIO extension point of @kind,
 *   such as [const@Nn.ACTIVATION_EXTENSION_POINT_NAME]
 */
const char *
nn_registry_kind_get_extension_point (NnRegistryKind kind)
{
  g_return_val_if_fail ((guint) kind < NN_REGISTRY_N_KINDS, NULL);

  return kinds[kind].extension_point;
}

/**
 * nn_registry_kind_get_base_type:
 * @kind: a kind
 *
 * Gets the abstract class every class of @kind derives from.
 *
 * Returns: the abstract class every class of @kind derives from
 */
GType
nn_registry_kind_get_base_type (NnRegistryKind kind)
{
  g_return_val_if_fail ((guint) kind < NN_REGISTRY_N_KINDS, G_TYPE_INVALID);

  return kinds[kind].get_base_type ();
}

/**
 * nn_registry_kind_for_extension_point:
 * @extension_point: the name of an extension point
 * @kind: (out): return location for its kind
 *
 * Finds the kind of plugin class registered on an extension point.
 *
 * Returns: whether @extension_point is that of a kind
 */
gboolean
nn_registry_kind_for_extension_point (const char     *extension_point,
                                      NnRegistryKind *kind)
{
  g_return_val_if_fail (extension_point != NULL, FALSE);
  g_return_val_if_fail (kind != NULL, FALSE);

  for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
    if (g_str_equal (extension_point, kinds[k].extension_point))
      {
        *kind = k;
        return TRUE;
      }
  return FALSE;
}

/**
 * nn_registry_kind_for_type:
 * @type: a type
 * @kind: (out): return location for its kind
 *
 * Finds the kind of plugin class @type is.
 *
 * Returns: whether @type derives from the base class of a kind
 */
gboolean
nn_registry_kind_for_type (GType           type,
                           NnRegistryKind *kind)
{
  g_return_val_if_fail (kind != NULL, FALSE);

  for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
    if (g_type_is_a (type, kinds[k].get_base_type ()))
      {
        *kind = k;
        return TRUE;
      }
  return FALSE;
}

gboolean
nn_registry_kind_for_name (const char     *name,
                           gsize           length,
                           NnRegistryKind *kind)
{
  for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
    if (strlen (kinds[k].name) == length && strncmp (name, kinds[k].name, length) == 0)
      {
        *kind = k;
        return TRUE;
      }
  return FALSE;
}

/* "activation, loss, optimizer, schedule or layer", for messages. */
const char *
nn_registry_kinds_text (void)
{
  static gsize text;

  if (g_once_init_enter (&text))
    {
      GString *s = g_string_new (NULL);

      for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
        {
          if (k > 0)
            g_string_append (s, k + 1 == NN_REGISTRY_N_KINDS ? " or " : ", ");
          g_string_append (s, kinds[k].name);
        }
      g_once_init_leave (&text, (gsize) g_string_free (s, FALSE));
    }
  return (const char *) text;
}

/* Before any class registers a name: a built-in's type definition calls
 * it, as GIO's do _g_io_modules_ensure_extension_points_registered(), and
 * so does the registry before it loads a plugin. */
void
nn_registry_ensure_extension_points (void)
{
  static gsize registered;

  if (g_once_init_enter (&registered))
    {
      for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
        {
          GIOExtensionPoint *ep = g_io_extension_point_register (kinds[k].extension_point);

          g_io_extension_point_set_required_type (ep, kinds[k].get_base_type ());
        }
      g_once_init_leave (&registered, 1);
    }
}

/* ---- the table of entries -------------------------------------------------- */

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
kind_name_of (const char *extension_point)
{
  NnRegistryKind kind;

  return nn_registry_kind_for_extension_point (extension_point, &kind) ? kinds[kind].name
                                                                       : extension_point;
}

/* "kind 'name'", as messages name a key. */
char *
nn_plugin_describe_key (const char *key)
{
  const char      *slash = strchr (key, '/');
  g_autofree char *point = g_strndup (key, slash - key);

  return g_strdup_printf ("%s '%s'", kind_name_of (point), slash + 1);
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

/* Called with the lock held: gives an entry to each class that registered
 * a name without a plugin file, the library's own and any a program
 * defines. A plugin's classes have a GTypePlugin, and get their entries
 * from the loader once the file is checked. */
static void
adopt_static_classes_locked (void)
{
  for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
    {
      GIOExtensionPoint *ep = g_io_extension_point_lookup (kinds[k].extension_point);

      for (GList *l = g_io_extension_point_get_extensions (ep); l != NULL; l = l->next)
        {
          GType            type = g_io_extension_get_type (l->data);
          const char      *name = g_io_extension_get_name (l->data);
          g_autofree char *key = NULL;

          if (g_type_get_plugin (type) != NULL ||
              g_hash_table_contains (nn_registry.entries_by_type, GSIZE_TO_POINTER (type)))
            continue;
          key = nn_plugin_key (kinds[k].extension_point, name);
          if (!g_hash_table_contains (nn_registry.entries_by_key, key))
            nn_plugin_add_entry (kinds[k].extension_point, name, type, "(built-in)", NN_VERSION);
        }
    }
}

/* The entry of @type, or NULL: entries are never freed, so it may be read
 * without the lock. */
const NnPluginEntry *
nn_plugin_entry_for_type (GType type)
{
  NnPluginEntry *entry;

  g_mutex_lock (&nn_registry_lock);
  /* Asked for in training steps (a loss checks the output activation's
   * name): classes defined since the last call are adopted only when the
   * type has no entry yet. */
  entry = nn_registry.entries_by_type != NULL
            ? g_hash_table_lookup (nn_registry.entries_by_type, GSIZE_TO_POINTER (type))
            : NULL;
  if (entry == NULL)
    {
      nn_plugin_registry_ensure ();
      entry = g_hash_table_lookup (nn_registry.entries_by_type, GSIZE_TO_POINTER (type));
    }
  g_mutex_unlock (&nn_registry_lock);
  return entry;
}

/* Called with the lock held. */
void
nn_plugin_registry_ensure (void)
{
  if (nn_registry.entries_by_key == NULL)
    {
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

      nn_registry_ensure_extension_points ();
      nn_registry_ensure_builtins ();
    }
  adopt_static_classes_locked ();
}

/* ---- names ------------------------------------------------------------------ */

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* Called with the lock held: the names of @kind, loaded or recorded by a
 * file not refused, sorted. */
static GStrv
list_locked (NnRegistryKind kind)
{
  const char *extension_point = kinds[kind].extension_point;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *prefix = g_strconcat (extension_point, "/", NULL);
  GHashTableIter   iter;
  NnPluginEntry   *entry;
  const char      *key;
  NnPluginFile    *file;

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
 * nn_registry_list_names:
 * @kind: a kind
 *
 * Lists the names of @kind: the library's own, and those loaded or
 * recorded by a plugin file of the search path. To know the names of the
 * files that record none, it loads them.
 *
 * Returns: (transfer full): the registered names, sorted
 */
GStrv
nn_registry_list_names (NnRegistryKind kind)
{
  GStrv names;

  g_return_val_if_fail ((guint) kind < NN_REGISTRY_N_KINDS, NULL);

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_ensure_scanned_locked (NULL);
  nn_plugin_load_files_locked (nn_registry.files, TRUE);
  nn_plugin_registry_ensure ();
  names = list_locked (kind);
  g_mutex_unlock (&nn_registry_lock);
  return names;
}

/* Called with the lock held: loads the file that provides @key, if one
 * does: the one whose record lists it, else the first file that records
 * no names and registers it. */
static NnPluginEntry *
find_locked (const char *key)
{
  NnPluginEntry *entry;
  NnPluginFile  *file;

  nn_plugin_registry_ensure ();
  entry = g_hash_table_lookup (nn_registry.entries_by_key, key);
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

/* Called with the lock held: why a name may be missing when a plugin file
 * was refused, since none of its code ran and what it would register is
 * unknown. Shows one reason, preferring a file whose path mentions @name. */
static char *
describe_refused_locked (const char *name)
{
  g_autofree char *dashed = g_strdelimit (g_strdup (name), "_", '-');
  const GError    *shown = NULL;
  guint            n_unknown = 0;

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
    return g_strdup_printf ("; a plugin file could not be loaded and may provide it: %s",
                            shown->message);
  if (n_unknown > 1)
    return g_strdup_printf ("; %u plugin files could not be loaded and may provide it, such "
                            "as %s",
                            n_unknown, shown->message);
  return NULL;
}

/**
 * nn_registry_lookup:
 * @kind: the kind of class
 * @name: its registered name
 * @error: return location for a #GError
 *
 * Finds the class registered under @name: one of the library, or one of a
 * plugin, whose file it loads if it is not loaded yet.
 *
 * Returns: the #GType, or %G_TYPE_INVALID with @error set to
 *   %NN_PLUGIN_ERROR_NOT_FOUND, naming the known names of @kind and the
 *   closest one to @name
 */
GType
nn_registry_lookup (NnRegistryKind kind,
                    const char    *name,
                    GError       **error)
{
  g_autofree char *key = NULL;
  NnPluginEntry   *entry;
  GType            type = G_TYPE_INVALID;

  g_return_val_if_fail ((guint) kind < NN_REGISTRY_N_KINDS, G_TYPE_INVALID);
  g_return_val_if_fail (name != NULL, G_TYPE_INVALID);
  g_return_val_if_fail (error == NULL || *error == NULL, G_TYPE_INVALID);

  key = nn_plugin_key (kinds[kind].extension_point, name);

  g_mutex_lock (&nn_registry_lock);
  nn_plugin_ensure_env_path_locked ();
  entry = find_locked (key);
  if (entry != NULL)
    type = entry->type;
  else if (error != NULL)
    {
      g_auto(GStrv) known = list_locked (kind);
      g_autofree char *list = nn_strjoin_quoted ((const char * const *) known);
      const char      *hint = nn_suggest (name, (const char      *const *) known);
      g_autofree char *did_you_mean = hint ? g_strdup_printf ("did you mean '%s'? ", hint) : NULL;
      g_autofree char *refused = describe_refused_locked (name);

      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND,
                   "unknown %s '%s'; %sknown: %s%s", kinds[kind].name, name,
                   did_you_mean ? did_you_mean : "", *list ? list : "none",
                   refused ? refused : "");
    }
  g_mutex_unlock (&nn_registry_lock);
  return type;
}

/**
 * nn_registry_lookup_any:
 * @name: a registered name
 * @n_types: (out) (optional): return location for the number of types
 * @error: return location for a #GError
 *
 * Finds the classes of every kind registered under @name, as a command
 * that takes any name does: a schedule and an activation may share one.
 *
 * Returns: (transfer full) (array length=n_types zero-terminated=1): the
 *   types, in the order of [enum@Nn.RegistryKind], or %NULL with @error set to
 *   %NN_PLUGIN_ERROR_NOT_FOUND, with the closest name of any kind
 */
GType *
nn_registry_lookup_any (const char *name,
                        guint      *n_types,
                        GError    **error)
{
  g_autoptr(GArray) types = g_array_new (TRUE, FALSE, sizeof (GType));
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) all = NULL;
  const char *hint;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
    {
      GType type = nn_registry_lookup (k, name, NULL);

      if (type != G_TYPE_INVALID)
        g_array_append_val (types, type);
    }
  if (n_types != NULL)
    *n_types = types->len;
  if (types->len > 0)
    return (GType *) g_array_free (g_steal_pointer (&types), FALSE);

  builder = g_strv_builder_new ();
  for (guint k = 0; k < NN_REGISTRY_N_KINDS; k++)
    {
      g_auto(GStrv) names = nn_registry_list_names (k);

      g_strv_builder_addv (builder, (const char **) names);
    }
  all = g_strv_builder_end (builder);
  hint = nn_suggest (name, (const char * const *) all);
  if (hint != NULL)
    g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND,
                 "no %s named '%s'; did you mean '%s'?", nn_registry_kinds_text (), name, hint);
  else
    g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_NOT_FOUND,
                 "no %s named '%s'", nn_registry_kinds_text (), name);
  return NULL;
}

/**
 * nn_registry_new_object:
 * @kind: the kind of class
 * @name: its registered name
 * @error: return location for a #GError
 *
 * Makes an instance of the class registered under @name for @kind.
 *
 * Returns: (transfer full): a new instance with default properties, or %NULL
 *   with @error set, as by [func@Nn.registry_lookup]
 */
GObject *
nn_registry_new_object (NnRegistryKind kind,
                        const char    *name,
                        GError       **error)
{
  GType type = nn_registry_lookup (kind, name, error);

  if (type == G_TYPE_INVALID)
    return NULL;
  return g_object_new (type, NULL);
}

/**
 * nn_registry_get_name:
 * @type: a type
 *
 * Gets the name @type is registered under.
 *
 * Returns: (transfer none) (nullable): the name @type is registered under,
 *   or %NULL if it is registered under none
 */
const char *
nn_registry_get_name (GType type)
{
  const NnPluginEntry *entry = nn_plugin_entry_for_type (type);

  return entry ? entry->name : NULL;
}

/**
 * nn_registry_get_description:
 * @type: a class of one of the kinds
 *
 * The one line every kind's class structure holds in its `description`
 * member (#NnActivationClass, #NnLossClass, #NnOptimizerClass,
 * #NnScheduleClass), as `nnrun plugins` shows it.
 *
 * Returns: (transfer none) (nullable): the description of @type, or %NULL
 *   if its class sets none or @type is of no kind
 */
const char *
nn_registry_get_description (GType type)
{
  NnRegistryKind kind;
  GTypeClass    *klass;
  const char    *description;

  if (!nn_registry_kind_for_type (type, &kind))
    return NULL;
  /* Classes stay once made: static ones always, those of plugins because
   * modules are never unloaded. */
  klass = g_type_class_ref (type);
  description = G_STRUCT_MEMBER (const char *, klass, kinds[kind].description_offset);
  g_type_class_unref (klass);
  return description;
}
