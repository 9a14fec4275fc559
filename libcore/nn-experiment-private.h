/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The experiment's state, shared by its reading, running and writing. */
#pragma once

#include "nn-column-transform-private.h"
#include "nn-data-section-private.h"
#include "nn-early-stopping.h"
#include "nn-experiment.h"
#include "nn-history-log-private.h"
#include "nn-run-dir-private.h"
#include "nn-source-private.h"
#include "nn-train-section-private.h"
#include "nn-yaml-private.h"

G_BEGIN_DECLS

/* The data that experiments read one after another read last, for the next
 * to take where its data section reads the same files the same way: a
 * sweep's check then reads them once, not once a trial. */
typedef struct
{
  char      *key;      /* the experiment file and its data section's reading keys */
  NnDataset *raw;
  NnDataset *test_raw; /* data.test's, or NULL */
} NnExperimentData;

struct _NnExperiment
{
  GObject parent_instance;

  char       *path;
  char       *name;
  guint64     seed;
  NnTask      task;
  NnDataset  *train;
  guint      *train_classes;  /* the class label of each training sample, or NULL */
  NnDataset  *val;
  NnDataset  *test;
  NnModel    *model;
  NnTrainer  *trainer;
  NnEarlyStopping *early_stopping;  /* the train section's, or NULL */
  guint       checkpoint_every;     /* the train section's */
  gboolean    resumed;        /* the history holds a checkpoint's epochs */
  double      seconds_before; /* training time of the epochs before a resume */
  GStrv       metrics;
  char       *output_dir;
  gboolean    auto_commit;
  gboolean    running;
  NnRunDir   *run_dir;        /* locked from resume or staging to commit or discard */
  char       *staging_dir;    /* while a run's files are there, else NULL */
  NnHistoryLog *history_log;  /* of the run in the staging directory */
  char       *run_config;     /* the experiment as its run started */

  /* The experiment as resolved, for nn_experiment_to_yaml(). */
  GPtrArray  *plugin_dirs;     /* absolute paths */
  NnSource    source;
  NnSource    test_source;     /* all zero without data.test */
  NnScaler   *scaler;
  NnColumnTransform *transform; /* fitted; NULL for an idx source */
  NnScaler   *target_scaler;   /* fitted on the training targets, or NULL */
  char       *positive;        /* a class label, or NULL */
  NnDataSection  *data_section;   /* task resolved */
  NnTrainSection *train_section;
  gboolean    raw_class_sorted;
  NnInit      init;
  GPtrArray  *inline_weights;  /* per layer: NnMatrix as given, or NULL */
  GPtrArray  *inline_biases;
  GPtrArray  *warnings;        /* char *, NULL-terminated */
  NnExperimentData *reuse;     /* while it loads, or NULL */

  GStrv       columns;
  GArray     *history;      /* double, epochs_run × columns */
  guint       epochs_run;
  gint64      start_time;
  const char *stop_reason;
  double      seconds;
  GHashTable *final;        /* "split/metric" -> double* */
  GHashTable *confusion;    /* "split" -> NnMatrix, for classification */
  const char *predictions;  /* the part predictions.csv holds, once written, or NULL */
};

/* nn-experiment.c */
G_GNUC_INTERNAL guint     nn_experiment_epoch_finished_signal (void);

/* nn-experiment-columns.c */
G_GNUC_INTERNAL gboolean  nn_experiment_load_sources  (NnExperiment  *self,
                                                       NnYamlDoc     *doc,
                                                       gboolean       has_test,
                                                       NnDataset    **raw,
                                                       NnDataset    **test_raw,
                                                       GError       **error);
G_GNUC_INTERNAL gboolean  nn_experiment_fit_columns   (NnExperiment  *self,
                                                       NnYamlDoc     *doc,
                                                       NnDataset     *raw,
                                                       yaml_node_t   *node,
                                                       gboolean       stratify,
                                                       guint         *width,
                                                       GError       **error);
G_GNUC_INTERNAL void      nn_experiment_scale_parts   (NnExperiment  *self);
G_GNUC_INTERNAL void      nn_experiment_data_clear    (NnExperimentData *data);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NnExperimentData, nn_experiment_data_clear)

/* nn-experiment-load.c */
G_GNUC_INTERNAL gboolean  nn_experiment_load          (NnExperiment  *self,
                                                       NnYamlDoc     *doc,
                                                       GError       **error);
G_GNUC_INTERNAL NnExperiment *nn_experiment_new_from_file_reusing (const char         *path,
                                                                 const char * const *overrides,
                                                                 NnExperimentData   *data,
                                                                 GError            **error);

/* nn-experiment-layers.c */
G_GNUC_INTERNAL gboolean  nn_experiment_read_layer    (NnExperiment  *self,
                                                       NnYamlDoc     *doc,
                                                       yaml_node_t   *item,
                                                       guint          i,
                                                       guint         *width,
                                                       guint64       *n_parameters,
                                                       yaml_node_t  **units_node,
                                                       GError       **error);

/* nn-experiment-weights.c */
G_GNUC_INTERNAL gboolean  nn_experiment_read_class_weight  (NnExperiment  *self,
                                                            NnYamlDoc     *doc,
                                                            yaml_node_t   *node,
                                                            GError       **error);
G_GNUC_INTERNAL void      nn_experiment_write_class_weight (NnExperiment  *self,
                                                            NnYamlWriter  *w);
G_GNUC_INTERNAL gboolean  nn_experiment_weigh_samples      (NnExperiment  *self,
                                                            NnYamlDoc     *doc,
                                                            yaml_node_t   *source_node,
                                                            GError       **error);

/* nn-experiment-warnings.c */
G_GNUC_INTERNAL void      nn_experiment_add_warnings  (NnExperiment  *self,
                                                       NnYamlDoc     *doc);

/* nn-experiment-predictions.c */
G_GNUC_INTERNAL gboolean  nn_experiment_write_predictions (NnExperiment  *self,
                                                           GError       **error);

/* nn-experiment-yaml.c */
G_GNUC_INTERNAL char     *nn_experiment_write_yaml    (NnExperiment  *self,
                                                       GError       **error);

G_END_DECLS
