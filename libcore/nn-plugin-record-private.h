/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a plugin's record from its ELF file, without loading it; not
 * installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Plugin files larger than this are refused unread. */
#define NN_PLUGIN_RECORD_MAX_FILE_SIZE ((gsize) 256 * 1024 * 1024)

typedef struct {
  guint     elf_class;        /* ELFCLASS32 or ELFCLASS64 */
  guint     elf_data;         /* ELFDATA2LSB or ELFDATA2MSB */
  guint     machine;          /* e_machine */
  guint32   abi_version;      /* nn_plugin_info.abi_version */
  guint32   real_size;        /* nn_plugin_info.real_size */
  gboolean  has_load;         /* g_io_module_load is defined */
  GStrv     names;            /* "kind:name" of nn_plugin_names, or NULL */
} NnPluginRecord;

G_GNUC_INTERNAL
gboolean nn_plugin_record_parse     (const guint8    *data,
                                     gsize            size,
                                     NnPluginRecord  *record,
                                     GError         **error);
G_GNUC_INTERNAL
gboolean nn_plugin_record_read_file (const char      *path,
                                     NnPluginRecord  *record,
                                     GError         **error);
G_GNUC_INTERNAL
gboolean nn_plugin_record_check     (const NnPluginRecord *record,
                                     GError              **error);
G_GNUC_INTERNAL
void     nn_plugin_record_clear     (NnPluginRecord  *record);

G_END_DECLS
