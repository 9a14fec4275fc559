/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The parts of a sweep that reading it and checking its trials share; not
 * installed. */
#pragma once

#include "nn-sweep.h"
#include "nn-yaml-private.h"

G_BEGIN_DECLS

/* One swept key: a list of values, or a range to sample. */
typedef struct
{
  char        *key;
  yaml_node_t *key_node;
  yaml_node_t *node;        /* its mapping: values, or min and max */
  GPtrArray   *values;      /* char *: the YAML text of each value */
  GPtrArray   *value_nodes; /* yaml_node_t *, beside @values */
  double       min, max;
  gboolean     log;
  gboolean     integer;
} NnSweepParam;

/* One trial: a value for each parameter. */
typedef struct
{
  GStrv         values;
  yaml_node_t **nodes;  /* where each value was written, for messages */
} NnSweepTrial;

struct _NnSweep
{
  GObject      parent_instance;

  char        *path;
  NnYamlDoc   *doc;
  char        *experiment_path;
  yaml_node_t *experiment_node;
  gboolean     random;
  guint64      seed;
  gboolean     has_seed;
  guint64      experiment_seed;
  guint        repeats;
  guint        folds;       /* 0: no cross-validation */
  yaml_node_t *folds_node;
  char        *metric;
  yaml_node_t *metric_node;
  int          goal;        /* 0: from the name, 1: min, 2: max */
  gboolean     greater_is_better;
  char        *output_dir;
  GPtrArray   *params;      /* NnSweepParam * */
  GStrv        param_keys;
  GPtrArray   *trials;      /* NnSweepTrial * */
  GStrv        metric_columns;
};

G_GNUC_INTERNAL char *nn_sweep_describe_trial (NnSweep *self,
                                               guint    trial);

G_END_DECLS
