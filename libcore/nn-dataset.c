/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <math.h>
#include <gio/gio.h>

#include "nn-dataset.h"
#include "nn-dataset-private.h"
#include "nn-errors.h"

/**
 * NnDataset:
 *
 * Samples as a features matrix (samples × features) and a targets matrix.
 *
 * A data set comes from [ctor@Nn.Dataset.new_iris], a CSV table
 * ([ctor@Nn.Dataset.new_from_csv_file] and its stream and in-memory forms), a
 * pair of IDX files ([ctor@Nn.Dataset.new_from_idx_files]), or
 * [ctor@Nn.Dataset.new]. As read, it has one target column: a class index for
 * class labels (with the labels in sorted order as its class names) or the raw
 * number for numeric targets; a regression may have several numeric target
 * columns, and data to predict from none. [method@Nn.Dataset.encode] turns the
 * targets into what a network's output layer needs: one 0/1 column for a binary
 * task, one-hot rows for a multiclass task; [method@Nn.Dataset.encode_like]
 * does it for a separate test set with the classes of the training data.
 */
struct _NnDataset
{
  GObject parent_instance;

  NnMatrix  *features;
  NnMatrix  *targets;
  GStrv      feature_names;
  GStrv      class_names; /* NULL for numeric targets */
  double    *weights;     /* a weight per sample, or NULL */
  GStrv      ids;         /* a sample's id column text, or NULL */
  GPtrArray *texts;       /* per feature, the distinct texts of a text column
                           * (GPtrArray of char *) or NULL; see
                           * nn_dataset_set_column_texts() */
};

G_DEFINE_FINAL_TYPE (NnDataset, nn_dataset, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (NnTask,
                    nn_task,
                    G_DEFINE_ENUM_VALUE (NN_TASK_BINARY, "binary"),
                    G_DEFINE_ENUM_VALUE (NN_TASK_MULTICLASS, "multiclass"),
                    G_DEFINE_ENUM_VALUE (NN_TASK_REGRESSION, "regression"))

static void
nn_dataset_finalize (GObject *object)
{
  NnDataset *self = NN_DATASET (object);

  g_clear_pointer (&self->features, nn_matrix_free);
  g_clear_pointer (&self->targets, nn_matrix_free);
  g_clear_pointer (&self->feature_names, g_strfreev);
  g_clear_pointer (&self->class_names, g_strfreev);
  g_clear_pointer (&self->weights, g_free);
  g_clear_pointer (&self->ids, g_strfreev);
  g_clear_pointer (&self->texts, g_ptr_array_unref);

  G_OBJECT_CLASS (nn_dataset_parent_class)->finalize (object);
}

static void
nn_dataset_class_init (NnDatasetClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nn_dataset_finalize;
}

static void
nn_dataset_init (NnDataset *self)
{
}

/**
 * nn_dataset_new:
 * @features: (transfer full): samples × features
 * @targets: (transfer full): samples × targets
 * @feature_names: (nullable) (array zero-terminated=1): a name per feature
 * @class_names: (nullable) (array zero-terminated=1): the class labels, in
 *   the order of their indices, when @targets holds class indices
 *
 * Makes a #NnDataset.
 *
 * Returns: (transfer full): a new [class@Nn.Dataset]
 */
NnDataset *
nn_dataset_new (NnMatrix           *features,
                NnMatrix           *targets,
                const char * const *feature_names,
                const char * const *class_names)
{
  NnDataset *self;

  g_return_val_if_fail (features != NULL && targets != NULL, NULL);
  g_return_val_if_fail (features->rows == targets->rows, NULL);

  self = g_object_new (NN_TYPE_DATASET, NULL);
  self->features = features;
  self->targets = targets;
  if (feature_names != NULL)
    self->feature_names = g_strdupv ((char **) feature_names);
  else
    {
      g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
      for (guint i = 0; i < features->cols; i++)
        {
          g_autofree char *fname = g_strdup_printf ("x%u", i);
          g_strv_builder_add (b, fname);
        }
      self->feature_names = g_strv_builder_end (b);
    }
  if (class_names != NULL)
    self->class_names = g_strdupv ((char **) class_names);
  return self;
}

/**
 * nn_dataset_get_n_samples:
 * @self: a #NnDataset
 *
 * Gets the number of samples.
 *
 * Returns: the number of samples
 */
guint
nn_dataset_get_n_samples (NnDataset *self)
{
  g_return_val_if_fail (NN_IS_DATASET (self), 0);

  return self->features->rows;
}

/**
 * nn_dataset_get_n_features:
 * @self: a #NnDataset
 *
 * Gets the number of features.
 *
 * Returns: the number of features
 */
guint
nn_dataset_get_n_features (NnDataset *self)
{
  g_return_val_if_fail (NN_IS_DATASET (self), 0);

  return self->features->cols;
}

/**
 * nn_dataset_get_features:
 * @self: a #NnDataset
 *
 * Gets the features, samples × features.
 *
 * Returns: (transfer none): samples × features
 */
const NnMatrix *
nn_dataset_get_features (NnDataset *self)
{
  g_return_val_if_fail (NN_IS_DATASET (self), NULL);

  return self->features;
}

/**
 * nn_dataset_get_targets:
 * @self: a #NnDataset
 *
 * Gets the targets, samples × targets.
 *
 * Returns: (transfer none): samples × targets
 */
const NnMatrix *
nn_dataset_get_targets (NnDataset *self)
{
  g_return_val_if_fail (NN_IS_DATASET (self), NULL);

  return self->targets;
}

/**
 * nn_dataset_get_feature_names:
 * @self: a #NnDataset
 *
 * Gets the feature names.
 *
 * Returns: (transfer none) (array zero-terminated=1): the feature names
 */
const char * const *
nn_dataset_get_feature_names (NnDataset *self)
{
  g_return_val_if_fail (NN_IS_DATASET (self), NULL);

  return (const char * const *) self->feature_names;
}

/**
 * nn_dataset_get_class_names:
 * @self: a #NnDataset
 *
 * Gets the class labels in index order.
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the class
 *   labels in index order, or %NULL for numeric targets
 */
const char * const *
nn_dataset_get_class_names (NnDataset *self)
{
  g_return_val_if_fail (NN_IS_DATASET (self), NULL);

  return (const char * const *) self->class_names;
}

/**
 * nn_dataset_get_n_classes:
 * @self: a #NnDataset
 *
 * Gets the number of class labels, 0 for numeric targets.
 *
 * Returns: the number of class labels, 0 for numeric targets
 */
guint
nn_dataset_get_n_classes (NnDataset *self)
{
  g_return_val_if_fail (NN_IS_DATASET (self), 0);

  return self->class_names ? g_strv_length (self->class_names) : 0;
}

/**
 * nn_dataset_get_weights:
 * @self: a #NnDataset
 *
 * Gets a weight per sample (such as a CSV file's weight column).
 *
 * Returns: (nullable) (transfer none): a weight per sample (such as a CSV
 *   file's weight column), or %NULL when the samples have none
 */
const double *
nn_dataset_get_weights (NnDataset *self)
{
  g_return_val_if_fail (NN_IS_DATASET (self), NULL);

  return self->weights;
}

/**
 * nn_dataset_set_weights:
 * @self: a #NnDataset
 * @weights: (nullable) (array): a weight per sample, at least 0, or %NULL
 *   for none
 *
 * Sets the samples' weights, copied. A subset, a split and the encoded data
 * set keep each sample's weight.
 */
void
nn_dataset_set_weights (NnDataset    *self,
                        const double *weights)
{
  g_return_if_fail (NN_IS_DATASET (self));

  g_clear_pointer (&self->weights, g_free);
  if (weights != NULL)
    {
      self->weights = g_new (double, MAX (self->features->rows, 1));
      memcpy (self->weights, weights, (gsize) self->features->rows * sizeof (double));
    }
}

/* Text columns as read: feature j of a row holds the index of its text in
 * texts[j], or NaN for a missing value. Shared, not copied, by the data
 * sets derived from one. */
void
nn_dataset_set_column_texts (NnDataset *self,
                             GPtrArray *texts)
{
  g_clear_pointer (&self->texts, g_ptr_array_unref);
  if (texts != NULL)
    self->texts = g_ptr_array_ref (texts);
}

GPtrArray *
nn_dataset_get_column_texts (NnDataset *self)
{
  return self->texts;
}

/* A new data set of @features and @targets with the names and weights of
 * @self. */
static NnDataset *
derive (NnDataset          *self,
        NnMatrix           *features,
        NnMatrix           *targets,
        const char * const *class_names)
{
  NnDataset *derived = nn_dataset_new (features, targets,
                                       (const char * const *) self->feature_names, class_names);

  nn_dataset_set_weights (derived, self->weights);
  derived->ids = g_strdupv (self->ids);
  nn_dataset_set_column_texts (derived, self->texts);
  return derived;
}

/**
 * nn_dataset_subset:
 * @self: a #NnDataset
 * @indices: (array length=n_indices): the samples to take, in order
 * @n_indices: their number
 *
 * Makes a data set of copies of the samples at @indices.
 *
 * Returns: (transfer full): a new data set of copies of those samples
 */
NnDataset *
nn_dataset_subset (NnDataset   *self,
                   const guint *indices,
                   guint        n_indices)
{
  NnMatrix  *f, *t;
  NnDataset *subset;

  g_return_val_if_fail (NN_IS_DATASET (self), NULL);

  f = nn_matrix_new (n_indices, self->features->cols);
  t = nn_matrix_new (n_indices, self->targets->cols);
  nn_matrix_gather_rows (self->features, indices, n_indices, f);
  nn_matrix_gather_rows (self->targets, indices, n_indices, t);
  subset = nn_dataset_new (f, t, (const char * const *) self->feature_names,
                           (const char * const *) self->class_names);
  if (self->weights != NULL)
    {
      subset->weights = g_new (double, MAX (n_indices, 1));
      for (guint i = 0; i < n_indices; i++)
        subset->weights[i] = self->weights[indices[i]];
    }
  if (self->ids != NULL)
    {
      subset->ids = g_new0 (char *, n_indices + 1);
      for (guint i = 0; i < n_indices; i++)
        subset->ids[i] = g_strdup (self->ids[indices[i]]);
    }
  nn_dataset_set_column_texts (subset, self->texts);
  return subset;
}

/* Class indices of a data set as read; numeric targets become classes in
 * sorted numeric order, and the data set gains those class names. */
static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* The classes of a data set as read: its class names and the class index of
 * each sample. Numeric targets become classes in sorted numeric order, named
 * by their shortest decimal form. @self is left as it is. */
static gboolean
get_classes (NnDataset *self,
             GStrv     *names,
             guint    **indices,
             GError   **error)
{
  const NnMatrix *t = self->targets;
  g_autoptr(GArray) uniq = NULL;
  g_autoptr(GStrvBuilder) b = NULL;
  guint k = 0;

  if (t->cols != 1)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "a classification needs one target column, not %u", t->cols);
      return FALSE;
    }
  *indices = g_new (guint, MAX (t->rows, 1));
  if (self->class_names != NULL)
    {
      *names = g_strdupv (self->class_names);
      for (guint r = 0; r < t->rows; r++)
        (*indices)[r] = (guint) t->data[r];
      return TRUE;
    }

  uniq = g_array_sized_new (FALSE, FALSE, sizeof (double), t->rows);
  for (guint r = 0; r < t->rows; r++)
    {
      double v = t->data[r];
      g_array_append_val (uniq, v);
    }
  g_array_sort (uniq, compare_doubles);
  for (guint i = 0; i < uniq->len; i++)
    if (i == 0 || g_array_index (uniq, double, i) != g_array_index (uniq, double, i - 1))
      g_array_index (uniq, double, k++) = g_array_index (uniq, double, i);
  g_array_set_size (uniq, k);
  if (uniq->len > 1000)
    {
      g_clear_pointer (indices, g_free);
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "the target has %u distinct values: is this a regression?",
                   uniq->len);
      return FALSE;
    }

  b = g_strv_builder_new ();
  for (guint i = 0; i < uniq->len; i++)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_strv_builder_add (b, g_ascii_dtostr (buf, sizeof buf, g_array_index (uniq, double, i)));
    }
  for (guint r = 0; r < t->rows; r++)
    {
      double v = t->data[r];
      guint  lo = 0, hi = uniq->len - 1;
      while (lo < hi)
        {
          guint mid = (lo + hi) / 2;
          if (g_array_index (uniq, double, mid) < v)
            lo = mid + 1;
          else
            hi = mid;
        }
      (*indices)[r] = lo;
    }
  *names = g_strv_builder_end (b);
  return TRUE;
}

/* Checks that the targets of @self suit @task and sets @width to the
 * columns their encoding takes. For a classification, numbers the classes
 * (in @self too, where its targets are numbers) into @names and the class
 * of each sample into @idx. */
static gboolean
number_classes (NnDataset *self,
                NnTask     task,
                int        positive_class,
                GStrv     *names,
                guint    **idx,
                guint     *width,
                GError   **error)
{
  g_auto(GStrv) found = NULL;
  g_autofree guint *classes = NULL;
  guint             k;

  if (task == NN_TASK_REGRESSION)
    {
      if (self->class_names != NULL)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "a regression needs numeric targets, but the target holds "
                       "labels such as '%s'",
                       self->class_names[0]);
          return FALSE;
        }
      *width = self->targets->cols;
      return TRUE;
    }

  if (!get_classes (self, &found, &classes, error))
    return FALSE;
  k = g_strv_length (found);
  if (self->class_names == NULL)
    {
      /* Numbers become classes in @self too, so that the parts later split
       * from it keep every class, even one a part lacks. */
      for (guint r = 0; r < self->targets->rows; r++)
        self->targets->data[r] = (nn_real) classes[r];
      self->class_names = g_strdupv (found);
    }

  if (task == NN_TASK_BINARY && positive_class < 0 && k != 2)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "a binary task needs two classes, the target has %u; "
                   "name the positive one with 'positive'",
                   k);
      return FALSE;
    }
  if (task == NN_TASK_BINARY && positive_class >= (int) k)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID, "no class %d", positive_class);
      return FALSE;
    }
  if (task != NN_TASK_BINARY && k < 2)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "a classification needs at least two classes, the target has %u", k);
      return FALSE;
    }
  *width = task == NN_TASK_BINARY ? 1 : k;
  *names = g_steal_pointer (&found);
  *idx = g_steal_pointer (&classes);
  return TRUE;
}

/* The targets of @self encoded for @task (see nn_dataset_encode()), and
 * the names of their classes in @names where it is a classification. */
static NnMatrix *
encode_targets (NnDataset *self,
                NnTask     task,
                int        positive_class,
                GStrv     *names,
                GError   **error)
{
  g_autofree guint *idx = NULL;
  NnMatrix         *t;
  guint             width;

  *names = NULL;
  if (!number_classes (self, task, positive_class, names, &idx, &width, error))
    return NULL;
  if (task == NN_TASK_REGRESSION)
    return nn_matrix_copy (self->targets);

  t = nn_matrix_new (self->targets->rows, width);
  if (task == NN_TASK_BINARY)
    {
      guint positive = positive_class < 0 ? 1 : (guint) positive_class;

      for (guint r = 0; r < t->rows; r++)
        t->data[r] = idx[r] == positive ? 1 : 0;
    }
  else
    for (guint r = 0; r < t->rows; r++)
      NN_MATRIX_AT (t, r, idx[r]) = 1;
  return t;
}

/* @self with its targets encoded: its features are taken where
 * @take_features, else copied. */
static NnDataset *
encode (NnDataset *self,
        gboolean   take_features,
        NnTask     task,
        int        positive_class,
        GError   **error)
{
  g_auto(GStrv) names = NULL;
  NnMatrix *t = encode_targets (self, task, positive_class, &names, error);

  if (t == NULL)
    return NULL;
  return derive (self,
                 take_features ? g_steal_pointer (&self->features) : nn_matrix_copy (self->features),
                 t, (const char * const *) names);
}

/**
 * nn_dataset_encode:
 * @self: a data set as read, with one target column
 * @task: the task the targets are for
 * @positive_class: for %NN_TASK_BINARY, the index of the class that becomes 1
 *   (every other class becomes 0), or -1 for a two-class target as it is
 * @error: return location for a #GError
 *
 * Encodes the targets for a network's output layer: one 0/1 column for a
 * binary task, one-hot rows for a multiclass task, the numbers as they are
 * for a regression. Numeric targets of a classification become classes in
 * sorted numeric order (2, 3, 10 are the classes 0, 1, 2), named by their
 * shortest decimal form, in @self too: numeric targets of @self become
 * those class indices, so that parts split from it afterwards keep all the
 * classes.
 *
 * Returns: (transfer full): a new data set with encoded targets, or %NULL
 *   with @error set
 */
NnDataset *
nn_dataset_encode (NnDataset *self,
                   NnTask     task,
                   int        positive_class,
                   GError   **error)
{
  g_return_val_if_fail (NN_IS_DATASET (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return encode (self, FALSE, task, positive_class, error);
}

/* nn_dataset_encode() of a data set that nothing else holds, which it
 * takes: its features move into the result rather than being copied. */
NnDataset *
nn_dataset_encode_take (NnDataset *self,
                        NnTask     task,
                        int        positive_class,
                        GError   **error)
{
  g_autoptr(NnDataset) owned = self;

  g_return_val_if_fail (NN_IS_DATASET (self), NULL);

  return encode (owned, TRUE, task, positive_class, error);
}

/* The columns nn_dataset_encode() would give the targets of @self, which
 * it numbers and checks as that does, without encoding them; 0 on
 * error. */
guint
nn_dataset_encoded_width (NnDataset *self,
                          NnTask     task,
                          int        positive_class,
                          GError   **error)
{
  g_auto(GStrv) names = NULL;
  g_autofree guint *idx = NULL;
  guint             width;

  g_return_val_if_fail (NN_IS_DATASET (self), 0);

  if (!number_classes (self, task, positive_class, &names, &idx, &width, error))
    return 0;
  return width;
}

/* Whether two class names stand for the same class: the same text, or the
 * same number ("1" and "1.0"). */
static gboolean
same_class (const char *a,
            const char *b)
{
  double x, y;

  if (strcmp (a, b) == 0)
    return TRUE;
  return nn_data_parse_number (a, &x) == NN_NUMBER_OK &&
         nn_data_parse_number (b, &y) == NN_NUMBER_OK && x == y;
}

/**
 * nn_dataset_encode_like:
 * @self: a separate test set as read, with one target column (several for a
 *   regression)
 * @reference: the training data, as read or encoded: its classes are the
 *   model's
 * @task: the task the targets are for
 * @positive_class: for %NN_TASK_BINARY, the index of the class (of
 *   @reference) that becomes 1, or -1 for a two-class target as it is
 * @error: return location for a #GError
 *
 * Encodes the targets of @self as [method@Nn.Dataset.encode] would encode those
 * of the reference data set, its classes matched by name, so that a class has
 * the same index and one-hot column in both even when @self lacks some classes.
 * A label of @self that is not a class of @reference is an error naming it. The
 * features must have the same names in the same order.
 *
 * Returns: (transfer full): a new data set with encoded targets, or %NULL
 *   with @error set (%NN_DATA_ERROR_INVALID)
 */
NnDataset *
nn_dataset_encode_like (NnDataset *self,
                        NnDataset *reference,
                        NnTask     task,
                        int        positive_class,
                        GError   **error)
{
  g_auto(GStrv) ref_names = NULL;
  g_auto(GStrv) names = NULL;
  g_autofree guint *ref_idx = NULL;
  g_autofree guint *idx = NULL;
  g_autofree guint *map = NULL;
  g_autoptr(NnDataset) remapped = NULL;
  NnMatrix *t;
  guint     n_names;

  g_return_val_if_fail (NN_IS_DATASET (self), NULL);
  g_return_val_if_fail (NN_IS_DATASET (reference), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->features->cols != reference->features->cols)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "the test data have %u features, the training data %u",
                   self->features->cols, reference->features->cols);
      return NULL;
    }
  for (guint j = 0; j < self->features->cols; j++)
    if (!g_str_equal (self->feature_names[j], reference->feature_names[j]))
      {
        g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                     "feature %u is '%s' in the test data but '%s' in the training data",
                     j + 1, self->feature_names[j], reference->feature_names[j]);
        return NULL;
      }

  if (task == NN_TASK_REGRESSION)
    {
      if (reference->class_names == NULL && self->targets->cols != reference->targets->cols)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "the test data have %u targets, the training data %u",
                       self->targets->cols, reference->targets->cols);
          return NULL;
        }
      return nn_dataset_encode (self, task, positive_class, error);
    }

  if (reference->class_names != NULL)
    ref_names = g_strdupv (reference->class_names);
  else if (!get_classes (reference, &ref_names, &ref_idx, error))
    return NULL;
  if (!get_classes (self, &names, &idx, error))
    return NULL;

  n_names = g_strv_length (names);
  map = g_new (guint, MAX (n_names, 1));
  for (guint i = 0; i < n_names; i++)
    {
      guint j = 0;

      while (ref_names[j] != NULL && !same_class (names[i], ref_names[j]))
        j++;
      if (ref_names[j] == NULL)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "'%s' in the test data is not a class of the training data",
                       names[i]);
          return NULL;
        }
      map[i] = j;
    }

  t = nn_matrix_new (self->targets->rows, 1);
  for (guint r = 0; r < t->rows; r++)
    t->data[r] = (nn_real) map[idx[r]];
  remapped = derive (self, nn_matrix_copy (self->features), t, (const char * const *) ref_names);
  return nn_dataset_encode (remapped, task, positive_class, error);
}

gboolean
nn_dataset_get_class_indices (NnDataset *self,
                              GStrv     *names,
                              guint    **indices,
                              GError   **error)
{
  return get_classes (self, names, indices, error);
}

static guint
fraction_count (double fraction,
                guint  n)
{
  return (guint) floor (fraction * n + 0.5);
}

/**
 * nn_dataset_split:
 * @self: a data set as read (one target column)
 * @validation: the fraction of samples for validation, in [0, 1)
 * @test: the fraction of samples for testing, in [0, 1)
 * @stratify: keep the class proportions in every part (class targets only)
 * @shuffle: draw the samples of each part at random from @rand, instead of
 *   taking validation and test samples from the end, in order
 * @rand: the random sequence for @shuffle
 * @train: (out) (transfer full): the training part
 * @val: (out) (transfer full) (nullable): the validation part, %NULL if empty
 * @test_set: (out) (transfer full) (nullable): the test part, %NULL if empty
 * @error: return location for a #GError
 *
 * Splits the samples into three parts. Each part keeps the order in which
 * the samples were drawn.
 *
 * Returns: %TRUE, or %FALSE with @error set if a part would be empty
 */
gboolean
nn_dataset_split (NnDataset  *self,
                  double      validation,
                  double      test,
                  gboolean    stratify,
                  gboolean    shuffle,
                  GRand      *rand,
                  NnDataset **train,
                  NnDataset **val,
                  NnDataset **test_set,
                  GError    **error)
{
  guint             n = nn_dataset_get_n_samples (self);
  g_autofree guint *order = g_new (guint, n);
  g_autofree guint *part = g_new0 (guint, n); /* 0 train, 1 val, 2 test */
  g_autofree guint *idx = g_new (guint, n);
  guint             counts[3] = { 0, 0, 0 };
  guint             n_groups = 1;
  g_autofree guint *group_size = NULL;
  g_autofree guint *quota = NULL; /* per group: val, test */

  g_return_val_if_fail (NN_IS_DATASET (self), FALSE);
  g_return_val_if_fail (validation >= 0 && test >= 0 && validation + test < 1, FALSE);
  g_return_val_if_fail (!shuffle || rand != NULL, FALSE);

  for (guint i = 0; i < n; i++)
    order[i] = i;
  if (shuffle)
    for (guint i = n - 1; i > 0; i--)
      {
        guint j = g_rand_int_range (rand, 0, (gint32) i + 1);
        guint t = order[i];
        order[i] = order[j];
        order[j] = t;
      }

  if (stratify && self->class_names != NULL)
    n_groups = g_strv_length (self->class_names);
  group_size = g_new0 (guint, n_groups);
  quota = g_new0 (guint, 2 * n_groups);
  for (guint i = 0; i < n; i++)
    group_size[n_groups > 1 ? (guint) self->targets->data[i] : 0]++;
  for (guint g = 0; g < n_groups; g++)
    {
      quota[2 * g] = fraction_count (validation, group_size[g]);
      quota[2 * g + 1] = fraction_count (test, group_size[g]);
    }

  /* Test samples are taken from the end, validation samples before them. */
  for (guint i = n; i-- > 0;)
    {
      guint s = order[i];
      guint g = n_groups > 1 ? (guint) self->targets->data[s] : 0;

      if (quota[2 * g + 1] > 0)
        {
          part[s] = 2;
          quota[2 * g + 1]--;
        }
      else if (quota[2 * g] > 0)
        {
          part[s] = 1;
          quota[2 * g]--;
        }
    }

  for (guint p = 0; p < 3; p++)
    {
      NnDataset **out = p == 0   ? train
                        : p == 1 ? val
                                 : test_set;
      counts[p] = 0;
      for (guint i = 0; i < n; i++)
        if (part[order[i]] == p)
          idx[counts[p]++] = order[i];
      if (out == NULL)
        continue;
      *out = counts[p] > 0 ? nn_dataset_subset (self, idx, counts[p]) : NULL;
    }

  if (counts[0] == 0 || (validation > 0 && counts[1] == 0) || (test > 0 && counts[2] == 0))
    {
      if (train)
        g_clear_object (train);
      if (val)
        g_clear_object (val);
      if (test_set)
        g_clear_object (test_set);
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "%u samples are too few for this split: %u for training, "
                   "%u for validation, %u for testing",
                   n, counts[0], counts[1], counts[2]);
      return FALSE;
    }
  return TRUE;
}

/**
 * nn_dataset_apply_scaler:
 * @self: a #NnDataset
 * @scaler: a fitted [class@Nn.Scaler], fitted on as many features as @self has
 *
 * Scales the features of @self in place.
 */
void
nn_dataset_apply_scaler (NnDataset *self,
                         NnScaler  *scaler)
{
  g_return_if_fail (NN_IS_DATASET (self));
  g_return_if_fail (NN_IS_SCALER (scaler));

  nn_scaler_transform (scaler, self->features);
}

/**
 * nn_dataset_scale:
 * @train: the training data; the scaler is fitted on its features alone
 * @scale: the kind of scaling
 * @others: (array length=n_others) (nullable): more data sets (validation,
 *   test; %NULL entries are skipped) scaled with the same parameters
 * @n_others: the length of @others
 *
 * Scales the features of every data set in place, each feature by its own
 * statistics on @train, as an [class@Nn.Scaler] of @scale fitted on @train
 * does. The parameters are not kept: to keep them, use a [class@Nn.Scaler] and
 * [method@Nn.Dataset.apply_scaler].
 *
 * Returns: %TRUE
 */
gboolean
nn_dataset_scale (NnDataset  *train,
                  NnScale     scale,
                  NnDataset **others,
                  guint       n_others)
{
  g_autoptr(NnScaler) scaler = NULL;

  g_return_val_if_fail (NN_IS_DATASET (train), FALSE);

  if (scale == NN_SCALE_NONE)
    return TRUE;
  scaler = nn_scaler_new (scale);
  nn_scaler_fit (scaler, train->features);
  for (guint d = 0; d <= n_others; d++)
    {
      NnDataset *ds = d == 0 ? train : others[d - 1];

      if (ds == NULL)
        continue;
      g_return_val_if_fail (ds->features->cols == train->features->cols, FALSE);
      nn_scaler_transform (scaler, ds->features);
    }
  return TRUE;
}

/* Takes @ids, one per sample, or NULL. */
void
nn_dataset_set_ids (NnDataset *self,
                    GStrv      ids)
{
  g_return_if_fail (NN_IS_DATASET (self));
  g_return_if_fail (ids == NULL || g_strv_length (ids) == self->features->rows);

  g_strfreev (self->ids);
  self->ids = ids;
}

/* The id of each sample, or NULL when the data have no id column. */
const char * const *
nn_dataset_get_ids (NnDataset *self)
{
  g_return_val_if_fail (NN_IS_DATASET (self), NULL);

  return (const char * const *) self->ids;
}
