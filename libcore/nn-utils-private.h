/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared inside libnncore; not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
const char *nn_suggest             (const char         *word,
                                    const char * const *candidates);
G_GNUC_INTERNAL
char       *nn_strjoin_quoted      (const char * const *words);
G_GNUC_INTERNAL
gboolean    nn_read_file_limited   (const char         *path,
                                    gsize               max_length,
                                    char              **contents,
                                    gsize              *length,
                                    GError            **error);
G_GNUC_INTERNAL
gboolean    nn_set_io_error        (GError            **error,
                                    int                 saved_errno,
                                    const char         *format,
                                    ...) G_GNUC_PRINTF (3, 4);
G_GNUC_INTERNAL
gboolean    nn_write_file_atomic   (const char         *path,
                                    const void         *data,
                                    gsize               length,
                                    GError            **error);

G_END_DECLS
