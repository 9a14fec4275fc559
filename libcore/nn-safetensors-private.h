/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading safetensors files: the header parser (nn-safetensors-header.c)
 * and the tensors it describes to the checks of nn-safetensors.c. Not
 * installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* File offset of the header's first byte. */
#define NN_SAFETENSORS_HEADER_START 8

/* A tensor as the header describes it. */
typedef struct {
  char    *name;
  gsize    name_offset;   /* file offset of the name, for messages */
  char    *dtype;
  guint    item_size;
  guint64  rank;
  guint64  dims[2];       /* the first two dimensions */
  guint64  n_elements;
  gboolean n_elements_overflow;
  guint64  n_offsets;
  guint64  offsets[2];
  gboolean has_shape;
  gboolean has_offsets;
} NnSafetensorsTensor;

G_GNUC_INTERNAL void      nn_safetensors_tensor_free    (NnSafetensorsTensor  *t);
G_GNUC_INTERNAL char     *nn_safetensors_printable_name (const char           *name);
G_GNUC_INTERNAL gboolean  nn_safetensors_parse_header   (const char           *path,
                                                         const char           *text,
                                                         gsize                 len,
                                                         GPtrArray            *tensors,
                                                         GHashTable           *metadata,
                                                         GError              **error);

G_END_DECLS
