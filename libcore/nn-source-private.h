/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Data sources as experiment files and nnrun name them:
 *   iris
 *   {csv: FILE, target: COLUMN | [COLUMN...], features: [COLUMN...], weight: COLUMN,
 *    id: COLUMN}
 *   {idx: {images: FILE, labels: FILE}}
 */
#pragma once

#include "nn-dataset.h"
#include "nn-dataset-private.h"
#include "nn-yaml-private.h"

G_BEGIN_DECLS

typedef struct {
  gboolean  iris;
  char     *csv;        /* absolute */
  GStrv     targets;
  GStrv     features;   /* NULL: every other column */
  char     *weight;     /* the sample weight column, or NULL */
  char     *id;         /* the id column, passed through to predictions, or NULL */
  char     *images;     /* absolute */
  char     *labels;     /* absolute */
} NnSource;

G_GNUC_INTERNAL void       nn_source_clear (NnSource      *source);
G_GNUC_INTERNAL gboolean   nn_source_parse (NnYamlDoc     *doc,
                                            yaml_node_t   *node,
                                            const char    *what,
                                            const char    *base_dir,
                                            NnSource      *source,
                                            GError       **error);
G_GNUC_INTERNAL NnDataset *nn_source_load  (const NnSource      *source,
                                            const char * const  *features,
                                            gboolean             need_targets,
                                            NnColumnTransform   *policy,
                                            GError             **error);
G_GNUC_INTERNAL void       nn_source_write (const NnSource *source,
                                            NnYamlWriter   *w);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NnSource, nn_source_clear)

G_END_DECLS
