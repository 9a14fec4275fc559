/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Numbers as written in data files, shared by reading CSV tables and by
 * matching class names. Not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  NN_NUMBER_OK,
  NN_NUMBER_EMPTY,
  NN_NUMBER_INVALID,
  NN_NUMBER_NOT_FINITE,
  NN_NUMBER_OUT_OF_RANGE,
} NnNumberStatus;

G_GNUC_INTERNAL NnNumberStatus nn_data_parse_number (const char *text,
                                                     double     *out);

typedef struct _NnDataset NnDataset;

G_GNUC_INTERNAL NnDataset *nn_dataset_new_from_csv_file_weighted (const char         *path,
                                                                  const char * const *targets,
                                                                  const char * const *features,
                                                                  const char         *weight,
                                                                  const char         *id,
                                                                  GError            **error);

G_GNUC_INTERNAL void                nn_dataset_set_ids (NnDataset *self,
                                                        GStrv      ids);
G_GNUC_INTERNAL const char * const *nn_dataset_get_ids (NnDataset *self);

G_END_DECLS
