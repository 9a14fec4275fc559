/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The folds of k-fold cross-validation, as scikit-learn's KFold and
 * StratifiedKFold part the rows of a data set. */
#include "config.h"

#include "nn-dataset-private.h"
#include "nn-dataset.h"
#include "nn-errors.h"
#include "nn-folds.h"

/* KFold: in @order, the first n % k folds take n / k + 1 rows, the rest
 * n / k, one block after the other. */
static void
plain_folds (guint        n,
             const guint *order,
             guint        k,
             guint       *fold)
{
  guint at = 0;

  for (guint f = 0; f < k; f++)
    {
      guint size = n / k + (f < n % k ? 1 : 0);

      for (guint i = 0; i < size; i++, at++)
        fold[order ? order[at] : at] = f;
    }
}

/* StratifiedKFold with shuffle=False on the rows in @order: the classes
 * numbered by first appearance, each fold's share of each class dealt
 * round robin over the rows sorted by that number, and each class's rows
 * given their folds in blocks, in order. */
static void
stratified_folds (guint        n,
                  const guint *classes,
                  guint        n_classes,
                  const guint *counts,
                  const guint *order,
                  guint        k,
                  guint       *fold)
{
  g_autofree guint *rank = g_new (guint, n_classes);  /* class -> first-appearance number */
  g_autofree guint *next = g_new0 (guint, n_classes); /* per class: rows given a fold */
  g_autofree guint *share = g_new0 (guint, (gsize) n_classes * k);
  guint             seen = 0, start = 0;

  for (guint c = 0; c < n_classes; c++)
    rank[c] = G_MAXUINT;
  for (guint i = 0; i < n; i++)
    {
      guint c = classes[order ? order[i] : i];

      if (rank[c] == G_MAXUINT)
        rank[c] = seen++;
    }
  /* Position p of the sorted numbers goes to fold p % k. */
  for (guint r = 0; r < seen; r++)
    {
      guint c = 0;

      while (rank[c] != r)
        c++;
      for (guint p = start; p < start + counts[c]; p++)
        share[(gsize) c * k + p % k]++;
      start += counts[c];
    }
  for (guint i = 0; i < n; i++)
    {
      guint row = order ? order[i] : i;
      guint c = classes[row];
      guint f = 0, before = share[(gsize) c * k];

      while (next[c] >= before)
        before += share[(gsize) c * k + ++f];
      fold[row] = f;
      next[c]++;
    }
}

/**
 * nn_folds_assign:
 * @n: the number of rows
 * @classes: (array length=n) (nullable): the class of each row, from 0
 *   to @n_classes - 1, for stratified folds; %NULL for plain folds (a
 *   regression)
 * @n_classes: the number of classes
 * @class_names: (nullable): the classes' names, for messages
 * @order: (array length=n) (nullable): the rows in the order they are
 *   dealt, a permutation of 0 to @n - 1 (shuffled for scikit-learn's
 *   `shuffle=True`); %NULL for the rows' own order
 * @k: the number of folds, at least 2
 * @fold: (array length=n) (out caller-allocates): the fold of each row,
 *   the one in which it is held out
 * @error: return location for a #NN_DATA_ERROR
 *
 * Parts the rows into @k folds as scikit-learn's `StratifiedKFold` (or,
 * without @classes, `KFold`) with `shuffle=False` parts the rows taken in the
 * order of @order: the folds of `StratifiedKFold(shuffle=False).split(X[order],
 * y[order])`, mapped back through @order.
 *
 * Returns: %TRUE, or %FALSE if a class (or, for plain folds, the data)
 *   has fewer rows than folds
 */
gboolean
nn_folds_assign (guint               n,
                 const guint        *classes,
                 guint               n_classes,
                 const char * const *class_names,
                 const guint        *order,
                 guint               k,
                 guint              *fold,
                 GError            **error)
{
  g_autofree guint *counts = NULL;

  g_return_val_if_fail (k >= 2, FALSE);
  g_return_val_if_fail (fold != NULL || n == 0, FALSE);
  g_return_val_if_fail (classes == NULL || n_classes > 0, FALSE);

  if (n < k)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "%u folds need at least %u rows, not %u", k, k, n);
      return FALSE;
    }
  if (classes == NULL)
    {
      plain_folds (n, order, k, fold);
      return TRUE;
    }
  counts = g_new0 (guint, n_classes);
  for (guint i = 0; i < n; i++)
    {
      g_return_val_if_fail (classes[i] < n_classes, FALSE);
      counts[classes[i]]++;
    }
  for (guint c = 0; c < n_classes; c++)
    if (counts[c] > 0 && counts[c] < k)
      {
        g_autofree char *name = class_names ? g_strdup_printf ("'%s'", class_names[c])
                                            : g_strdup_printf ("%u", c);

        g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                     "%u stratified folds need at least %u rows of each class, "
                     "but class %s has %u",
                     k, k, name, counts[c]);
        return FALSE;
      }
  stratified_folds (n, classes, n_classes, counts, order, k, fold);
  return TRUE;
}

gboolean
nn_dataset_split_folds (NnDataset  *self,
                        double      test,
                        gboolean    stratify,
                        gboolean    shuffle,
                        GRand      *rand,
                        guint       folds,
                        guint       fold,
                        NnDataset **train,
                        NnDataset **val,
                        NnDataset **test_set,
                        GError    **error)
{
  g_autoptr(NnDataset) rest = NULL;
  g_auto(GStrv) names = NULL;
  g_autofree guint *classes = NULL;
  g_autofree guint *of = NULL;
  g_autofree guint *idx = NULL;
  guint             n, n_val = 0, n_train = 0;

  g_return_val_if_fail (folds >= 2 && fold < folds, FALSE);

  if (!nn_dataset_split (self, 0, test, stratify, shuffle, rand, &rest, NULL, test_set, error))
    return FALSE;
  n = nn_dataset_get_n_samples (rest);
  if (stratify && !nn_dataset_get_class_indices (rest, &names, &classes, error))
    return FALSE;
  of = g_new (guint, MAX (n, 1));
  if (!nn_folds_assign (n, classes, names ? g_strv_length (names) : 0,
                        (const char * const *) names, NULL, folds, of, error))
    {
      if (test_set != NULL)
        g_clear_object (test_set);
      return FALSE;
    }
  /* Validation first, training after it, each in the order drawn. */
  idx = g_new (guint, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    if (of[i] == fold)
      idx[n_val++] = i;
  n_train = n_val;
  for (guint i = 0; i < n; i++)
    if (of[i] != fold)
      idx[n_train++] = i;
  *val = nn_dataset_subset (rest, idx, n_val);
  *train = nn_dataset_subset (rest, idx + n_val, n - n_val);
  return TRUE;
}
