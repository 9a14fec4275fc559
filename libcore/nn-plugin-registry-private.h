/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The registry's state, shared by nn-registry.c (names, types, lookup),
 * nn-plugin-loader.c (the search path and its errors) and nn-plugin-files.c
 * (finding, checking and loading files); not installed. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct {
  char  *extension_point;
  char  *name;
  GType  type;
  char  *file;
  char  *version;
} NnPluginEntry;

/* What a child process saw a file register. */
typedef struct {
  char *key;         /* "point/name" */
  char *type_name;
} NnProbedType;

/* A file of the search path, or one loaded by name. */
typedef struct {
  char      *path;         /* canonical */
  GStrv      keys;         /* "point/name" of its record, or NULL if it lists none */
  GError    *error;        /* why it cannot be used, or NULL */
  gboolean   loaded;
  gboolean   in_search_path;
  GPtrArray *probed;       /* NnProbedType, once a child process loaded it */
} NnPluginFile;

typedef struct {
  GHashTable *entries_by_key;    /* "point/name" -> NnPluginEntry */
  GHashTable *entries_by_type;   /* GType -> NnPluginEntry (borrowed) */
  GPtrArray  *files;             /* NnPluginFile, in the order found */
  GHashTable *files_by_name;     /* basename -> NnPluginFile (borrowed) */
  GHashTable *index_by_key;      /* "point/name" -> NnPluginFile of the record (borrowed) */
  GPtrArray  *modules;           /* GIOModule, never released */
  GPtrArray  *load_errors;       /* GError */
  GPtrArray  *warnings;          /* char * */
  GPtrArray  *searched_dirs;     /* char *, in search order */
  char       *system_directory;
  gboolean    env_path_scanned;
  gboolean    system_scanned;
  gboolean    probe_in_child;
} NnPluginRegistry;

/* Both are only touched with nn_registry_lock held. */
G_GNUC_INTERNAL extern NnPluginRegistry nn_registry;
G_GNUC_INTERNAL extern GMutex           nn_registry_lock;

G_GNUC_INTERNAL
void          nn_plugin_registry_ensure         (void);
G_GNUC_INTERNAL
const NnPluginEntry *nn_plugin_entry_for_type (GType         type);
G_GNUC_INTERNAL
char         *nn_plugin_key                     (const char    *extension_point,
                                                 const char    *name);
G_GNUC_INTERNAL
char         *nn_plugin_describe_key            (const char    *key);
G_GNUC_INTERNAL
void          nn_plugin_add_entry               (const char    *extension_point,
                                                 const char    *name,
                                                 GType          type,
                                                 const char    *file,
                                                 const char    *version);
G_GNUC_INTERNAL
void          nn_plugin_file_free               (NnPluginFile  *file);
G_GNUC_INTERNAL
void          nn_plugin_ensure_env_path_locked  (void);
G_GNUC_INTERNAL
gboolean      nn_plugin_ensure_scanned_locked   (GError       **error);
G_GNUC_INTERNAL
gboolean      nn_plugin_load_file_locked        (NnPluginFile  *file,
                                                 GError       **error);
G_GNUC_INTERNAL
void          nn_plugin_load_files_locked       (GPtrArray     *list,
                                                 gboolean       unlisted_only);

G_END_DECLS
