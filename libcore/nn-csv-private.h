/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading data files: a streaming CSV tokenizer that knows where every field
 * is, and opening a file that may be gzip-compressed. Not installed. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _NnCsvReader NnCsvReader;

G_GNUC_INTERNAL NnCsvReader  *nn_csv_reader_new             (GInputStream  *stream,
                                                             const char    *name);
G_GNUC_INTERNAL void          nn_csv_reader_free            (NnCsvReader   *self);
G_GNUC_INTERNAL gboolean      nn_csv_reader_next            (NnCsvReader   *self,
                                                             GCancellable  *cancellable,
                                                             GError       **error);
G_GNUC_INTERNAL guint         nn_csv_reader_get_n_fields    (NnCsvReader   *self);
G_GNUC_INTERNAL const char   *nn_csv_reader_get_field       (NnCsvReader   *self,
                                                             guint          i);
G_GNUC_INTERNAL guint         nn_csv_reader_get_field_line  (NnCsvReader   *self,
                                                             guint          i);
G_GNUC_INTERNAL guint         nn_csv_reader_get_field_column (NnCsvReader  *self,
                                                             guint          i);
G_GNUC_INTERNAL guint         nn_csv_reader_get_end_line    (NnCsvReader   *self);
G_GNUC_INTERNAL guint         nn_csv_reader_get_end_column  (NnCsvReader   *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnCsvReader, nn_csv_reader_free)

G_GNUC_INTERNAL GInputStream *nn_data_open_file             (const char    *path,
                                                             gboolean      *compressed,
                                                             goffset       *size,
                                                             GError       **error);
G_GNUC_INTERNAL void          nn_data_set_read_error        (GError       **error,
                                                             const char    *name,
                                                             gint64         offset,
                                                             const GError  *read_error);

G_END_DECLS
