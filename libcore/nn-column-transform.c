/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn-column-transform-private.h"
#include "nn-dataset-private.h"
#include "nn-errors.h"
#include "nn-limits.h"
#include "nn-utils-private.h"

/* The columns of a table as a network takes them, as scikit-learn's
 * ColumnTransformer of a SimpleImputer per column, a OneHotEncoder
 * (handle_unknown='ignore') per categorical column: each numeric column
 * stays one input, with its missing values imputed; each categorical column
 * becomes one input per category seen in the training part, in sorted
 * order, with an unseen category all zeros. Imputation is fitted on the
 * training part, and the categories on the imputed training part. */

const char * const nn_impute_names[] = { "mean", "median", "most_frequent", NULL };

G_DEFINE_FINAL_TYPE (NnColumnTransform, nn_column_transform, G_TYPE_OBJECT)

static void
rule_free (gpointer data)
{
  NnColumnRule *r = data;

  g_free (r->name);
  g_free (r->constant);
  g_free (r);
}

void
nn_column_free (gpointer data)
{
  NnColumn *c = data;

  g_free (c->name);
  g_free (c->fill_text);
  g_clear_pointer (&c->categories, g_ptr_array_unref);
  g_free (c->values);
  g_clear_pointer (&c->index, g_hash_table_unref);
  g_free (c);
}

static void
nn_column_transform_finalize (GObject *object)
{
  NnColumnTransform *self = NN_COLUMN_TRANSFORM (object);

  g_strfreev (self->missing);
  g_ptr_array_unref (self->rules);
  g_hash_table_unref (self->rule_index);
  g_hash_table_unref (self->followed);
  g_clear_pointer (&self->column_index, g_hash_table_unref);
  g_clear_pointer (&self->columns, g_ptr_array_unref);
  g_strfreev (self->inputs);

  G_OBJECT_CLASS (nn_column_transform_parent_class)->finalize (object);
}

static void
nn_column_transform_class_init (NnColumnTransformClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nn_column_transform_finalize;
}

static void
nn_column_transform_init (NnColumnTransform *self)
{
  self->rules = g_ptr_array_new_with_free_func (rule_free);
  self->rule_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->followed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

NnColumnTransform *
nn_column_transform_new (void)
{
  return g_object_new (NN_TYPE_COLUMN_TRANSFORM, NULL);
}

/* ---- reading ------------------------------------------------------------- */

NnColumn *
nn_column_transform_find (NnColumnTransform *self,
                          const char        *name)
{
  return self->column_index ? g_hash_table_lookup (self->column_index, name) : NULL;
}

/* Adds a column, found by its name from then on. */
void
nn_column_transform_add (NnColumnTransform *self,
                         NnColumn          *c)
{
  if (self->columns == NULL)
    {
      self->columns = g_ptr_array_new_with_free_func (nn_column_free);
      self->column_index = g_hash_table_new (g_str_hash, g_str_equal);
    }
  g_ptr_array_add (self->columns, c);
  g_hash_table_insert (self->column_index, c->name, c);
}

gboolean
nn_column_transform_is_missing (NnColumnTransform *self,
                                const char        *text)
{
  if (self->missing == NULL)
    return *text == '\0' || strcmp (text, "NA") == 0;
  return g_strv_contains ((const char * const *) self->missing, text);
}

NnReadKind
nn_column_transform_read_kind (NnColumnTransform *self,
                               const char        *name)
{
  NnColumnRule *rule = g_hash_table_lookup (self->rule_index, name);
  gint          followed = GPOINTER_TO_INT (g_hash_table_lookup (self->followed, name));

  if (self->fitted)
    {
      NnColumn *c = nn_column_transform_find (self, name);
      return c != NULL && c->categorical ? NN_READ_TEXT : NN_READ_NUMBER;
    }
  if (followed > 0)
    return followed - 1;
  if (rule != NULL && rule->categorical)
    return NN_READ_TEXT;
  /* Text in a column with a rule is the rule's to refuse, where it is. */
  return self->categorical_auto || rule != NULL ? NN_READ_AUTO : NN_READ_NUMBER;
}

gboolean
nn_column_transform_allows_missing (NnColumnTransform *self,
                                    const char        *name,
                                    gboolean           text)
{
  NnColumnRule *rule = g_hash_table_lookup (self->rule_index, name);

  if (self->fitted)
    {
      NnColumn *c = nn_column_transform_find (self, name);
      return c != NULL && c->has_fill;
    }
  return text || (rule != NULL && (rule->categorical || rule->impute != NN_IMPUTE_NONE));
}

char *
nn_column_transform_missing_hint (NnColumnTransform *self,
                                  const char        *name)
{
  if (self->fitted)
    return g_strdup ("the model was trained with no imputation for it");
  return g_strdup_printf ("add `columns: {%s: {impute: median}}` (or mean, most_frequent, "
                          "{constant: VALUE}) to data",
                          name);
}

char *
nn_column_transform_text_hint (NnColumnTransform *self,
                               const char        *name)
{
  if (self->fitted)
    return g_strdup ("the model takes numbers there");
  if (g_hash_table_contains (self->followed, name))
    return g_strdup ("the training data hold numbers there");
  return g_strdup_printf ("to one-hot encode it, add `categorical: auto` or "
                          "`columns: {%s: categorical}` to data",
                          name);
}

/* A separate test set is read as the training data were: a text column
 * stays text even where its values look like numbers. */
void
nn_column_transform_follow (NnColumnTransform *self,
                            NnDataset         *raw)
{
  const char * const *names = nn_dataset_get_feature_names (raw);

  for (guint j = 0; names[j] != NULL; j++)
    g_hash_table_insert (self->followed, g_strdup (names[j]),
                         GINT_TO_POINTER ((nn_column_texts_of (raw, j) ? NN_READ_TEXT
                                                                       : NN_READ_NUMBER) +
                                          1));
}

/* ---- fitting and applying ------------------------------------------------ */

/* The text of feature @j in row @r, or NULL when missing; a number in a
 * column read as numbers is written out into @buf. */
static const char *
cell_text (NnDataset *raw,
           GPtrArray *texts,
           guint      j,
           guint      r,
           char      *buf)
{
  const NnMatrix *x = nn_dataset_get_features (raw);
  nn_real         v = NN_MATRIX_AT (x, r, j);

  if (isnan (v))
    return NULL;
  if (texts != NULL)
    return g_ptr_array_index (texts, (guint) v);
  return g_ascii_dtostr (buf, G_ASCII_DTOSTR_BUF_SIZE, v);
}

static int
compare_numbers (const char *a,
                 const char *b)
{
  double x = 0, y = 0;

  nn_data_parse_number (a, &x);
  nn_data_parse_number (b, &y);
  return x < y ? -1 : x > y;
}

/* Categories in order: numbers by value, text in byte order, as the class
 * labels of a target are. */
static int
compare_categories (gconstpointer a,
                    gconstpointer b,
                    gpointer      numbers)
{
  const char *x = *(const char * const *) a, *y = *(const char * const *) b;

  int by_value = GPOINTER_TO_INT (numbers) ? compare_numbers (x, y) : 0;

  /* Numbers equal in value are named by the first of their texts. */
  return by_value != 0 ? by_value : strcmp (x, y);
}

/* SimpleImputer(strategy='most_frequent'): the most frequent value, the
 * smallest of those tied. */
static const char *
most_frequent (GHashTable *counts,
               gboolean    numbers)
{
  GHashTableIter iter;
  gpointer       key, value;
  const char    *best = NULL;
  guint          best_count = 0;

  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint n = GPOINTER_TO_UINT (value);

      if (n > best_count ||
          (n == best_count && compare_categories (&key, &best, GINT_TO_POINTER (numbers)) < 0))
        {
          best = key;
          best_count = n;
        }
    }
  return best;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* SimpleImputer on a numeric column: the mean, the median (of an even
 * count, the mean of the middle two) or the most frequent value (the
 * smallest of those tied). FALSE when the column has no value. */
static gboolean
impute_number (NnImpute        impute,
               const NnMatrix *x,
               guint           j,
               double         *fill)
{
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  double *v;
  guint   n;

  for (guint r = 0; r < x->rows; r++)
    if (!isnan (NN_MATRIX_AT (x, r, j)))
      {
        double d = NN_MATRIX_AT (x, r, j);
        g_array_append_val (values, d);
      }
  n = values->len;
  if (n == 0)
    return FALSE;
  v = (double *) (void *) values->data;
  if (impute == NN_IMPUTE_MEAN)
    {
      double sum = 0;
      for (guint i = 0; i < n; i++)
        sum += v[i];
      *fill = sum / n;
      return TRUE;
    }
  qsort (v, n, sizeof (double), compare_doubles);
  if (impute == NN_IMPUTE_MEDIAN)
    {
      *fill = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
      return TRUE;
    }
  /* Sorted, the first longest run is the smallest most frequent value. */
  {
    guint best = 0, best_len = 0;

    for (guint i = 0, len = 1; i < n; i++, len++)
      if (i + 1 == n || v[i + 1] != v[i])
        {
          if (len > best_len)
            {
              best = i;
              best_len = len;
            }
          len = 0;
        }
    *fill = v[best];
  }
  return TRUE;
}

static gboolean
fit_numeric (NnColumn     *c,
             NnColumnRule *rule,
             NnDataset    *train,
             guint         j,
             GError      **error)
{
  const NnMatrix *x = nn_dataset_get_features (train);

  if (rule == NULL || rule->impute == NN_IMPUTE_NONE)
    return TRUE;
  c->has_fill = TRUE;
  if (rule->impute == NN_IMPUTE_CONSTANT)
    {
      nn_data_parse_number (rule->constant, &c->fill);
      return TRUE;
    }
  if (!impute_number (rule->impute, x, j, &c->fill))
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "column '%s' has no value in the training part to impute %s from",
                   c->name, nn_impute_names[rule->impute - NN_IMPUTE_MEAN]);
      return FALSE;
    }
  return TRUE;
}

/* Index and, for numbers, values of the sorted categories. */
void
nn_column_index_categories (NnColumn *c)
{
  c->index = g_hash_table_new (g_str_hash, g_str_equal);
  if (c->numbers)
    c->values = g_new (double, MAX (c->categories->len, 1));
  for (guint k = 0; k < c->categories->len; k++)
    {
      const char *s = g_ptr_array_index (c->categories, k);

      g_hash_table_insert (c->index, (gpointer) s, GUINT_TO_POINTER (k + 1));
      if (c->numbers)
        nn_data_parse_number (s, &c->values[k]);
    }
}

/* The distinct values of the imputed training column, sorted; numbers
 * equal in value are one category. */
static void
set_categories (NnColumn   *c,
                GHashTable *counts)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer       key;

  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, key);

  if (c->fill_text != NULL && !g_hash_table_contains (counts, c->fill_text))
    g_ptr_array_add (keys, c->fill_text);
  g_ptr_array_sort_with_data (keys, compare_categories, GINT_TO_POINTER (c->numbers));
  c->categories = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < keys->len; k++)
    {
      const char *s = g_ptr_array_index (keys, k);

      if (c->numbers && c->categories->len > 0 &&
          compare_numbers (g_ptr_array_index (c->categories, c->categories->len - 1), s) == 0)
        continue;
      g_ptr_array_add (c->categories, g_strdup (s));
    }
  nn_column_index_categories (c);
}

static gboolean
fit_categorical (NnColumn     *c,
                 NnColumnRule *rule,
                 NnDataset    *train,
                 guint         j,
                 GError      **error)
{
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *texts = nn_column_texts_of (train, j);
  char       buf[G_ASCII_DTOSTR_BUF_SIZE];
  guint      n_missing = 0;

  /* The text of a numeric column outlives the loop only as a count key. */
  g_autoptr(GStringChunk) chunk = g_string_chunk_new (256);

  c->numbers = rule != NULL && rule->categorical && nn_column_all_numbers (texts);
  for (guint r = 0; r < nn_dataset_get_n_samples (train); r++)
    {
      const char *s = cell_text (train, texts, j, r, buf);

      if (s == NULL)
        {
          n_missing++;
          continue;
        }
      if (texts == NULL)
        s = g_string_chunk_insert_const (chunk, s);
      g_hash_table_insert (counts, (gpointer) s,
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, s)) + 1));
    }
  c->has_fill = TRUE;
  if (rule != NULL && rule->impute == NN_IMPUTE_CONSTANT)
    c->fill_text = g_strdup (rule->constant);
  else if (g_hash_table_size (counts) > 0)
    c->fill_text = g_strdup (most_frequent (counts, c->numbers));
  else
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "column '%s' has no value in the training part", c->name);
      return FALSE;
    }
  if (n_missing == 0)
    {
      /* The fill is a category only when the training part needed it. */
      g_autofree char *fill = g_steal_pointer (&c->fill_text);
      set_categories (c, counts);
      c->fill_text = g_steal_pointer (&fill);
    }
  else
    set_categories (c, counts);
  if (c->categories->len > NN_MAX_CATEGORIES)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "column '%s' has %u categories in the training part, more than the "
                   "%u a categorical column may have (NN_MAX_CATEGORIES)",
                   c->name, c->categories->len, NN_MAX_CATEGORIES);
      return FALSE;
    }
  return TRUE;
}

static gboolean fit_columns (NnColumnTransform *self,
                             NnDataset         *train,
                             GError           **error);

/* Fitted on the training part. With @doc, an error is given the place in
 * the experiment file of the column's rule, of data.categorical, or else
 * @node. */
gboolean
nn_column_transform_fit (NnColumnTransform *self,
                         NnDataset         *train,
                         NnYamlDoc         *doc,
                         yaml_node_t       *node,
                         GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  NnColumn     *last;
  NnColumnRule *rule;

  if (fit_columns (self, train, &local_error))
    return TRUE;
  if (doc == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  last = g_ptr_array_index (self->columns, self->columns->len - 1);
  rule = g_hash_table_lookup (self->rule_index, last->name);
  nn_yaml_set_error (error, doc,
                     rule ? rule->node : self->categorical_node ? self->categorical_node
                                                                : node,
                     NN_CONFIG_ERROR_INVALID_VALUE, "%s", local_error->message);
  return FALSE;
}

static gboolean
fit_columns (NnColumnTransform *self,
             NnDataset         *train,
             GError           **error)
{
  const char * const *names = nn_dataset_get_feature_names (train);
  guint               offset = 0;

  g_clear_pointer (&self->column_index, g_hash_table_unref);
  g_clear_pointer (&self->columns, g_ptr_array_unref);
  g_clear_pointer (&self->inputs, g_strfreev);
  self->inputs = g_strdupv ((char **) names);
  for (guint j = 0; names[j] != NULL; j++)
    {
      NnColumn     *c = g_new0 (NnColumn, 1);
      NnColumnRule *rule = g_hash_table_lookup (self->rule_index, names[j]);
      gboolean      ok;

      c->name = g_strdup (names[j]);
      c->categorical = nn_column_texts_of (train, j) != NULL || (rule != NULL && rule->categorical);
      c->offset = offset;
      nn_column_transform_add (self, c);
      ok = c->categorical ? fit_categorical (c, rule, train, j, error)
                          : fit_numeric (c, rule, train, j, error);
      if (!ok)
        return FALSE;
      offset += c->categorical ? c->categories->len : 1;
      if (offset > NN_LAYER_MAX_WIDTH)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "the columns make %u inputs, more than the %u a layer takes",
                       offset, NN_LAYER_MAX_WIDTH);
          return FALSE;
        }
    }
  self->n_outputs = offset;
  self->fitted = TRUE;
  return TRUE;
}

/* Whether the transform changes nothing: unfitted, it reads only numbers
 * with nothing to impute. */
gboolean
nn_column_transform_is_identity (NnColumnTransform *self)
{
  if (!self->fitted)
    return TRUE;
  for (guint j = 0; j < self->columns->len; j++)
    {
      NnColumn *c = g_ptr_array_index (self->columns, j);
      if (c->categorical || c->has_fill)
        return FALSE;
    }
  return TRUE;
}

guint
nn_column_transform_get_n_outputs (NnColumnTransform *self)
{
  return self->n_outputs;
}

const char * const *
nn_column_transform_get_input_names (NnColumnTransform *self)
{
  return (const char * const *) self->inputs;
}

/* The place of category @s, or -1 for one unseen in training. */
static gint
lookup_category (NnColumn   *c,
                 const char *s)
{
  double v;

  if (c->numbers)
    {
      guint lo = 0, hi = c->categories->len;

      if (nn_data_parse_number (s, &v) != NN_NUMBER_OK)
        return -1;
      while (lo < hi)
        {
          guint mid = (lo + hi) / 2;
          if (c->values[mid] < v)
            lo = mid + 1;
          else
            hi = mid;
        }
      return lo < c->categories->len && c->values[lo] == v ? (gint) lo : -1;
    }
  return (gint) GPOINTER_TO_UINT (g_hash_table_lookup (c->index, s)) - 1;
}

static void
apply_column (NnColumn  *c,
              NnDataset *raw,
              guint      j,
              NnMatrix  *out)
{
  const NnMatrix *x = nn_dataset_get_features (raw);
  GPtrArray      *texts = nn_column_texts_of (raw, j);
  char            buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint r = 0; r < x->rows; r++)
    {
      if (!c->categorical)
        {
          nn_real v = NN_MATRIX_AT (x, r, j);
          NN_MATRIX_AT (out, r, c->offset) = isnan (v) && c->has_fill ? (nn_real) c->fill : v;
        }
      else
        {
          const char *s = cell_text (raw, texts, j, r, buf);
          gint        k = lookup_category (c, s != NULL ? s : c->fill_text);

          if (k >= 0)
            NN_MATRIX_AT (out, r, c->offset + (guint) k) = 1;
        }
    }
}

/* The features of @raw, columns as read, as the model's inputs; targets,
 * classes, weights and ids unchanged. */
NnDataset *
nn_column_transform_apply (NnColumnTransform *self,
                           NnDataset         *raw)
{
  guint n = nn_dataset_get_n_samples (raw);
  g_autoptr(NnMatrix) out = nn_matrix_new (n, self->n_outputs);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  NnDataset *ready;

  g_return_val_if_fail (self->fitted, NULL);
  g_return_val_if_fail (nn_dataset_get_n_features (raw) == self->columns->len, NULL);

  for (guint j = 0; j < self->columns->len; j++)
    {
      NnColumn *c = g_ptr_array_index (self->columns, j);

      apply_column (c, raw, j, out);
      if (!c->categorical)
        g_ptr_array_add (names, g_strdup (c->name));
      for (guint k = 0; c->categorical && k < c->categories->len; k++)
        g_ptr_array_add (names, g_strdup_printf ("%s=%s", c->name,
                                                 (char *) g_ptr_array_index (c->categories, k)));
    }
  g_ptr_array_add (names, NULL);
  ready = nn_dataset_new (g_steal_pointer (&out), nn_matrix_copy (nn_dataset_get_targets (raw)),
                          (const char * const *) names->pdata,
                          nn_dataset_get_class_names (raw));
  nn_dataset_set_weights (ready, nn_dataset_get_weights (raw));
  nn_dataset_set_ids (ready, g_strdupv ((GStrv) nn_dataset_get_ids (raw)));
  return ready;
}

/* A scaler fitted on the numeric inputs alone: one-hot inputs are left as
 * they are, as a ColumnTransformer scales only its numeric columns. */
NnScaler *
nn_column_transform_fit_scaler (NnColumnTransform *self,
                                NnScale            kind,
                                const NnMatrix    *train)
{
  g_autoptr(NnScaler) fitted = nn_scaler_new (kind);
  g_autofree double *shift = NULL;
  g_autofree double *divisor = NULL;

  nn_scaler_fit (fitted, train);
  if (kind == NN_SCALE_NONE || !nn_scaler_is_fitted (fitted))
    return g_steal_pointer (&fitted);
  shift = g_memdup2 (nn_scaler_get_shift (fitted), MAX (train->cols, 1) * sizeof (double));
  divisor = g_memdup2 (nn_scaler_get_divisor (fitted), MAX (train->cols, 1) * sizeof (double));
  for (guint j = 0; j < self->columns->len; j++)
    {
      NnColumn *c = g_ptr_array_index (self->columns, j);

      for (guint k = 0; c->categorical && k < c->categories->len; k++)
        {
          shift[c->offset + k] = 0;
          divisor[c->offset + k] = 1;
        }
    }
  return nn_scaler_new_from_parameters (kind, shift, divisor, train->cols, NULL);
}
