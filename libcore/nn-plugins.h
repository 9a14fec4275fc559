/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn-plugins.h: finding, loading and looking up plugins. */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

void          nn_plugins_set_system_directory (const char  *dir);
const char   *nn_plugins_get_system_directory (void);
void          nn_plugins_set_probe_in_child   (gboolean     probe);
const char   *nn_plugins_get_loading_file     (void);
gboolean      nn_plugins_scan                 (GError     **error);
gboolean      nn_plugins_ensure_loaded        (GError     **error);
gboolean      nn_plugins_add_directory        (const char  *dir,
                                               GError     **error);
gboolean      nn_plugins_load_directory       (const char  *dir,
                                               GError     **error);
gboolean      nn_plugins_load_file            (const char  *path,
                                               GError     **error);
gboolean      nn_plugins_probe_file           (const char  *path,
                                               GError     **error);
gboolean      nn_plugins_inspect_file         (const char  *path,
                                               GStrv       *names,
                                               GError     **error);
GPtrArray    *nn_plugins_get_load_errors      (void);
GStrv         nn_plugins_get_warnings         (void);
GStrv         nn_plugins_get_search_path      (void);
GStrv         nn_plugins_list                 (const char  *extension_point);
GType         nn_plugins_lookup               (const char  *extension_point,
                                               const char  *name,
                                               GError     **error);
const char   *nn_plugins_get_name_for_type    (GType        type);
const char   *nn_plugins_get_file_for_type    (GType        type);
const char   *nn_plugins_get_version_for_type (GType        type);
GType        *nn_plugins_get_types_for_file   (const char  *path,
                                               guint       *n_types);
GObject      *nn_plugins_new_object           (const char  *extension_point,
                                               const char  *name,
                                               GError     **error);

G_END_DECLS
