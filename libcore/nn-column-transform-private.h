/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tabular data as it comes: missing values imputed and text columns one-hot
 * encoded, with scikit-learn's SimpleImputer and OneHotEncoder
 * (handle_unknown='ignore') semantics; not installed. */
#pragma once

#include "nn-dataset.h"
#include "nn-scaler.h"
#include "nn-yaml-private.h"

G_BEGIN_DECLS

/* How a feature column is read. */
typedef enum {
  NN_READ_NUMBER, /* numbers only */
  NN_READ_AUTO,   /* numbers, or text once a value is not a number */
  NN_READ_TEXT,   /* categories, kept as text */
} NnReadKind;

#define NN_TYPE_COLUMN_TRANSFORM (nn_column_transform_get_type ())
G_DECLARE_FINAL_TYPE (NnColumnTransform, nn_column_transform, NN, COLUMN_TRANSFORM, GObject)

G_GNUC_INTERNAL NnColumnTransform *nn_column_transform_new (void);

/* The experiment's keys data.missing, data.categorical, data.columns. */
G_GNUC_INTERNAL gboolean   nn_column_transform_parse_missing     (NnColumnTransform *self,
                                                                  NnYamlDoc         *doc,
                                                                  yaml_node_t       *node,
                                                                  GError           **error);
G_GNUC_INTERNAL gboolean   nn_column_transform_parse_categorical (NnColumnTransform *self,
                                                                  NnYamlDoc         *doc,
                                                                  yaml_node_t       *node,
                                                                  GError           **error);
G_GNUC_INTERNAL gboolean   nn_column_transform_parse_columns     (NnColumnTransform *self,
                                                                  NnYamlDoc         *doc,
                                                                  yaml_node_t       *node,
                                                                  GError           **error);
G_GNUC_INTERNAL gboolean   nn_column_transform_check_no_columns  (NnColumnTransform  *self,
                                                                  NnYamlDoc          *doc,
                                                                  GError            **error);
G_GNUC_INTERNAL gboolean   nn_column_transform_is_plain          (NnColumnTransform  *self);
G_GNUC_INTERNAL gboolean   nn_column_transform_check_names       (NnColumnTransform  *self,
                                                                  const char * const *names,
                                                                  const char * const *targets,
                                                                  GError            **error);
G_GNUC_INTERNAL gboolean   nn_column_transform_check             (NnColumnTransform *self,
                                                                  NnYamlDoc         *doc,
                                                                  NnDataset         *raw,
                                                                  GError           **error);
G_GNUC_INTERNAL void       nn_column_transform_write_config      (NnColumnTransform *self,
                                                                  NnYamlWriter      *w);

/* What the CSV reader asks of it. */
G_GNUC_INTERNAL gboolean   nn_column_transform_is_missing        (NnColumnTransform *self,
                                                                  const char        *text);
G_GNUC_INTERNAL NnReadKind nn_column_transform_read_kind         (NnColumnTransform *self,
                                                                  const char        *name);
G_GNUC_INTERNAL gboolean   nn_column_transform_allows_missing    (NnColumnTransform *self,
                                                                  const char        *name,
                                                                  gboolean           text);
G_GNUC_INTERNAL char      *nn_column_transform_missing_hint      (NnColumnTransform *self,
                                                                  const char        *name);
G_GNUC_INTERNAL char      *nn_column_transform_text_hint         (NnColumnTransform *self,
                                                                  const char        *name);
G_GNUC_INTERNAL void       nn_column_transform_follow            (NnColumnTransform *self,
                                                                  NnDataset         *raw);

/* Fitting on the training part, and applying to any part. */
G_GNUC_INTERNAL gboolean   nn_column_transform_fit               (NnColumnTransform *self,
                                                                  NnDataset         *train,
                                                                  NnYamlDoc         *doc,
                                                                  yaml_node_t       *node,
                                                                  GError           **error);
G_GNUC_INTERNAL gboolean   nn_column_transform_is_identity       (NnColumnTransform *self);
G_GNUC_INTERNAL NnDataset *nn_column_transform_apply             (NnColumnTransform *self,
                                                                  NnDataset         *raw);
G_GNUC_INTERNAL guint      nn_column_transform_get_n_outputs     (NnColumnTransform *self);
G_GNUC_INTERNAL const char * const *nn_column_transform_get_input_names (NnColumnTransform *self);
G_GNUC_INTERNAL NnScaler  *nn_column_transform_fit_scaler        (NnColumnTransform *self,
                                                                  NnScale            kind,
                                                                  const NnMatrix    *train);

/* In model.yaml: the keys `missing` and `columns`. */
G_GNUC_INTERNAL void       nn_column_transform_write             (NnColumnTransform *self,
                                                                  NnYamlWriter      *w);
G_GNUC_INTERNAL NnColumnTransform *nn_column_transform_read      (NnYamlDoc          *doc,
                                                                  yaml_node_t        *root,
                                                                  const char * const *features,
                                                                  GError            **error);

/* ---- shared by nn-column-transform.c, nn-column-rules.c and
 * nn-column-transform-save.c ------------------------------------------ */

typedef enum {
  NN_IMPUTE_NONE,
  NN_IMPUTE_MEAN,
  NN_IMPUTE_MEDIAN,
  NN_IMPUTE_MOST_FREQUENT,
  NN_IMPUTE_CONSTANT,
} NnImpute;

extern const char * const nn_impute_names[];

/* What the experiment file says of a column. */
typedef struct
{
  char        *name;
  gboolean     categorical;
  gboolean     numeric;     /* said to be numbers: text there is an error */
  NnImpute     impute;
  char        *constant;
  yaml_node_t *node;        /* for messages, while the file is read */
  yaml_node_t *impute_node;
} NnColumnRule;

/* A fitted column. */
typedef struct
{
  char       *name;
  gboolean    categorical;
  gboolean    numbers;    /* categories that are numbers, matched by value */
  gboolean    has_fill;
  double      fill;       /* a numeric column's imputed value */
  char       *fill_text;  /* a categorical column's */
  GPtrArray  *categories; /* char *, sorted */
  double     *values;     /* the categories' numbers, when numbers */
  GHashTable *index;      /* category -> its place + 1 */
  guint       offset;     /* its first output */
} NnColumn;

struct _NnColumnTransform
{
  GObject parent_instance;

  GStrv        missing;          /* NULL: "" and "NA" */
  gboolean     categorical_auto;
  yaml_node_t *categorical_node;
  NnYamlDoc   *doc;              /* of the rules' nodes, while it is read */
  GPtrArray   *rules;            /* Rule *, in the file's order */
  GHashTable  *rule_index;       /* name -> Rule * */
  GHashTable  *followed;         /* name -> NnReadKind + 1 */

  gboolean   fitted;
  GPtrArray  *columns;      /* NnColumn *, one per input */
  GHashTable *column_index; /* name -> NnColumn * */
  GStrv      inputs;
  guint      n_outputs;
};

G_GNUC_INTERNAL GPtrArray *nn_column_texts_of         (NnDataset         *raw,
                                                       guint              j);
G_GNUC_INTERNAL gboolean   nn_column_all_numbers      (GPtrArray         *texts);
G_GNUC_INTERNAL void       nn_column_free             (gpointer           column);
G_GNUC_INTERNAL void       nn_column_index_categories (NnColumn          *c);
G_GNUC_INTERNAL NnColumn  *nn_column_transform_find   (NnColumnTransform *self,
                                                       const char        *name);
G_GNUC_INTERNAL void       nn_column_transform_add    (NnColumnTransform *self,
                                                       NnColumn          *c);

G_END_DECLS
