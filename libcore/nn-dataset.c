/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <math.h>
#include <gio/gio.h>

#include "nn-dataset.h"
#include "nn-errors.h"

/**
 * NnDataset:
 *
 * Samples as a features matrix (samples × features) and a targets matrix.
 *
 * A data set as read has one target column: a class index for class labels
 * (with the labels in sorted order as its class names) or the raw number for
 * numeric targets. nn_dataset_encode() turns it into what a network's output
 * layer needs: one 0/1 column for a binary task, one-hot rows for a
 * multiclass task.
 */
struct _NnDataset
{
  GObject parent_instance;

  NnMatrix *features;
  NnMatrix *targets;
  GStrv     feature_names;
  GStrv     class_names;    /* NULL for numeric targets */
};

G_DEFINE_FINAL_TYPE (NnDataset, nn_dataset, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (NnTask, nn_task,
  G_DEFINE_ENUM_VALUE (NN_TASK_BINARY, "binary"),
  G_DEFINE_ENUM_VALUE (NN_TASK_MULTICLASS, "multiclass"),
  G_DEFINE_ENUM_VALUE (NN_TASK_REGRESSION, "regression"))

G_DEFINE_ENUM_TYPE (NnScale, nn_scale,
  G_DEFINE_ENUM_VALUE (NN_SCALE_NONE, "none"),
  G_DEFINE_ENUM_VALUE (NN_SCALE_MINMAX, "minmax"),
  G_DEFINE_ENUM_VALUE (NN_SCALE_STANDARD, "standard"))

static void
nn_dataset_finalize (GObject *object)
{
  NnDataset *self = NN_DATASET (object);

  g_clear_pointer (&self->features, nn_matrix_free);
  g_clear_pointer (&self->targets, nn_matrix_free);
  g_clear_pointer (&self->feature_names, g_strfreev);
  g_clear_pointer (&self->class_names, g_strfreev);

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
 * Returns: (transfer full): a new #NnDataset
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

/* A parsed CSV field with where it started, for error messages. */
typedef struct {
  char  *text;
  guint  line;
  guint  column;
} CsvField;

static void
csv_field_clear (CsvField *f)
{
  g_free (f->text);
}

/* Splits one line at commas; double quotes protect commas ("" is a quote). */
static gboolean
csv_split_line (const char  *name,
                const char  *line,
                gsize        len,
                guint        line_no,
                GArray      *fields,
                GError     **error)
{
  gsize i = 0;

  g_array_set_size (fields, 0);
  for (;;)
    {
      GString *s = g_string_new (NULL);
      CsvField f = { NULL, line_no, (guint) i + 1 };

      if (i < len && line[i] == '"')
        {
          i++;
          for (;;)
            {
              if (i >= len)
                {
                  g_string_free (s, TRUE);
                  g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                               "%s:%u:%u: error: unterminated quoted field",
                               name, line_no, f.column);
                  return FALSE;
                }
              if (line[i] == '"')
                {
                  if (i + 1 < len && line[i + 1] == '"')
                    {
                      g_string_append_c (s, '"');
                      i += 2;
                      continue;
                    }
                  i++;
                  break;
                }
              g_string_append_c (s, line[i++]);
            }
          if (i < len && line[i] != ',')
            {
              g_string_free (s, TRUE);
              g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                           "%s:%u:%u: error: text after a closing quote",
                           name, line_no, (guint) i + 1);
              return FALSE;
            }
        }
      else
        {
          while (i < len && line[i] != ',')
            g_string_append_c (s, line[i++]);
        }
      f.text = g_strstrip (g_string_free (s, FALSE));
      g_array_append_val (fields, f);
      if (i >= len)
        break;
      i++;   /* the comma */
    }
  return TRUE;
}

static gboolean
parse_number (const char *text,
              double     *out)
{
  char *end = NULL;

  if (*text == '\0')
    return FALSE;
  *out = g_ascii_strtod (text, &end);
  return end != text && *end == '\0';
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/**
 * nn_dataset_new_from_csv_data:
 * @name: the name of the data in error messages, usually its file name
 * @text: CSV text with a header row
 * @length: the length of @text
 * @target: the name of the target column
 * @error: return location for a #GError
 *
 * Reads a CSV table. Every column but @target is a numeric feature. A target
 * column holding any non-numeric value is a class label column: the labels
 * are numbered in sorted (byte) order.
 *
 * Returns: (transfer full): a new #NnDataset, or %NULL with @error set to a
 *   message naming the line and column
 */
NnDataset *
nn_dataset_new_from_csv_data (const char  *name,
                              const char  *text,
                              gsize        length,
                              const char  *target,
                              GError     **error)
{
  g_autoptr(GArray) fields = g_array_new (FALSE, FALSE, sizeof (CsvField));
  g_autoptr(GPtrArray) header = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) label_fields = g_ptr_array_new_with_free_func (g_free);
  gboolean numeric_target = TRUE;
  gint target_col = -1;
  guint n_cols = 0, n_rows = 0, line_no = 0;
  gsize pos = 0;
  NnMatrix *features, *targets;
  g_autoptr(GStrvBuilder) feature_names = g_strv_builder_new ();
  g_auto(GStrv) class_names = NULL;
  g_autoptr(GArray) target_values = g_array_new (FALSE, FALSE, sizeof (double));

  g_return_val_if_fail (name != NULL && text != NULL && target != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_array_set_clear_func (fields, (GDestroyNotify) csv_field_clear);

  while (pos < length)
    {
      const char *line = text + pos;
      const char *nl = memchr (line, '\n', length - pos);
      gsize len = nl ? (gsize) (nl - line) : length - pos;

      pos += len + (nl ? 1 : 0);
      line_no++;
      if (len > 0 && line[len - 1] == '\r')
        len--;
      if (len == 0)
        continue;
      if (!csv_split_line (name, line, len, line_no, fields, error))
        return NULL;

      if (header->len == 0)
        {
          for (guint c = 0; c < fields->len; c++)
            {
              CsvField *f = &g_array_index (fields, CsvField, c);
              g_ptr_array_add (header, g_strdup (f->text));
              if (g_str_equal (f->text, target))
                target_col = c;
            }
          n_cols = fields->len;
          if (target_col < 0)
            {
              g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                           "%s:%u:1: error: no target column '%s' in the header",
                           name, line_no, target);
              return NULL;
            }
          if (n_cols < 2)
            {
              g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                           "%s:%u:1: error: the header has no feature column",
                           name, line_no);
              return NULL;
            }
          continue;
        }

      if (fields->len != n_cols)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                       "%s:%u:1: error: %u fields where the header has %u",
                       name, line_no, fields->len, n_cols);
          return NULL;
        }
      for (guint c = 0; c < n_cols; c++)
        {
          CsvField *f = &g_array_index (fields, CsvField, c);
          double v;

          if ((gint) c == target_col)
            {
              if (numeric_target && !parse_number (f->text, &v))
                numeric_target = FALSE;
              g_ptr_array_add (labels, g_strdup (f->text));
              g_ptr_array_add (label_fields, g_strdup_printf ("%s:%u:%u", name, f->line, f->column));
              if (*f->text == '\0')
                {
                  g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                               "%s:%u:%u: error: empty target value", name, f->line, f->column);
                  return NULL;
                }
              continue;
            }
          if (!parse_number (f->text, &v))
            {
              g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                           "%s:%u:%u: error: '%s' in column '%s' is not a number",
                           name, f->line, f->column, f->text,
                           (const char *) header->pdata[c]);
              return NULL;
            }
          if (!isfinite (v))
            {
              g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                           "%s:%u:%u: error: '%s' in column '%s' is not finite",
                           name, f->line, f->column, f->text,
                           (const char *) header->pdata[c]);
              return NULL;
            }
          g_array_append_val (values, v);
        }
      n_rows++;
    }

  if (header->len == 0)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "%s:1:1: error: the data are empty", name);
      return NULL;
    }
  if (n_rows == 0)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "%s:%u:1: error: a header but no rows", name, line_no);
      return NULL;
    }

  for (guint c = 0; c < n_cols; c++)
    if ((gint) c != target_col)
      g_strv_builder_add (feature_names, header->pdata[c]);

  if (numeric_target)
    {
      for (guint r = 0; r < n_rows; r++)
        {
          double v;
          parse_number (labels->pdata[r], &v);
          if (!isfinite (v))
            {
              g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                           "%s: error: target '%s' is not finite",
                           (const char *) label_fields->pdata[r],
                           (const char *) labels->pdata[r]);
              return NULL;
            }
          g_array_append_val (target_values, v);
        }
    }
  else
    {
      /* Class labels, numbered in byte order as scikit-learn's LabelEncoder. */
      g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
      g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

      for (guint r = 0; r < n_rows; r++)
        if (!g_hash_table_contains (index, labels->pdata[r]))
          {
            g_hash_table_insert (index, labels->pdata[r], NULL);
            g_ptr_array_add (sorted, labels->pdata[r]);
          }
      g_ptr_array_sort (sorted, compare_strings);
      for (guint k = 0; k < sorted->len; k++)
        {
          g_hash_table_insert (index, sorted->pdata[k], GUINT_TO_POINTER (k));
          g_strv_builder_add (b, sorted->pdata[k]);
        }
      class_names = g_strv_builder_end (b);
      for (guint r = 0; r < n_rows; r++)
        {
          double v = GPOINTER_TO_UINT (g_hash_table_lookup (index, labels->pdata[r]));
          g_array_append_val (target_values, v);
        }
    }

  features = nn_matrix_new (n_rows, n_cols - 1);
  targets = nn_matrix_new (n_rows, 1);
  for (gsize i = 0; i < values->len; i++)
    features->data[i] = (nn_real) g_array_index (values, double, i);
  for (guint r = 0; r < n_rows; r++)
    targets->data[r] = (nn_real) g_array_index (target_values, double, r);

  {
    g_auto(GStrv) names = g_strv_builder_end (feature_names);
    return nn_dataset_new (features, targets, (const char * const *) names,
                           (const char * const *) class_names);
  }
}

/**
 * nn_dataset_new_iris:
 * @error: return location for a #GError
 *
 * The Iris data set embedded in the library: 150 samples in scikit-learn's
 * `load_iris()` order and values, features `sepal_length`, `sepal_width`,
 * `petal_length`, `petal_width`, and the classes `setosa`, `versicolor`,
 * `virginica` as indices 0, 1, 2.
 *
 * Returns: (transfer full): a new #NnDataset, or %NULL with @error set
 */
NnDataset *
nn_dataset_new_iris (GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize size = 0;
  const char *data;

  bytes = g_resources_lookup_data ("/org/nn/data/iris.csv", G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &size);
  return nn_dataset_new_from_csv_data ("iris", data, size, "species", error);
}

/**
 * nn_dataset_get_n_samples:
 * @self: a #NnDataset
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
 * Returns: the number of class labels, 0 for numeric targets
 */
guint
nn_dataset_get_n_classes (NnDataset *self)
{
  g_return_val_if_fail (NN_IS_DATASET (self), 0);

  return self->class_names ? g_strv_length (self->class_names) : 0;
}

/**
 * nn_dataset_subset:
 * @self: a #NnDataset
 * @indices: (array length=n_indices): the samples to take, in order
 * @n_indices: their number
 *
 * Returns: (transfer full): a new data set of copies of those samples
 */
NnDataset *
nn_dataset_subset (NnDataset   *self,
                   const guint *indices,
                   guint        n_indices)
{
  NnMatrix *f, *t;

  g_return_val_if_fail (NN_IS_DATASET (self), NULL);

  f = nn_matrix_new (n_indices, self->features->cols);
  t = nn_matrix_new (n_indices, self->targets->cols);
  nn_matrix_gather_rows (self->features, indices, n_indices, f);
  nn_matrix_gather_rows (self->targets, indices, n_indices, t);
  return nn_dataset_new (f, t, (const char * const *) self->feature_names,
                         (const char * const *) self->class_names);
}

/* Class indices of a data set as read; numeric targets become classes in
 * sorted numeric order, and the data set gains those class names. */
static gboolean
ensure_classes (NnDataset  *self,
                GError    **error)
{
  g_autoptr(GArray) uniq = NULL;
  g_autoptr(GStrvBuilder) b = NULL;

  if (self->class_names != NULL)
    return TRUE;
  if (self->targets->cols != 1)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "a classification needs one target column, not %u",
                   self->targets->cols);
      return FALSE;
    }

  uniq = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint r = 0; r < self->targets->rows; r++)
    {
      double v = self->targets->data[r];
      g_array_append_val (uniq, v);
    }
  g_array_sort (uniq, compare_doubles);
  b = g_strv_builder_new ();
  {
    guint k = 0;
    for (guint i = 0; i < uniq->len; i++)
      if (i == 0 || g_array_index (uniq, double, i) != g_array_index (uniq, double, i - 1))
        g_array_index (uniq, double, k++) = g_array_index (uniq, double, i);
    g_array_set_size (uniq, k);
  }
  if (uniq->len > 1000)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "the target has %u distinct values: is this a regression?",
                   uniq->len);
      return FALSE;
    }
  for (guint i = 0; i < uniq->len; i++)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_strv_builder_add (b, g_ascii_dtostr (buf, sizeof buf, g_array_index (uniq, double, i)));
    }
  for (guint r = 0; r < self->targets->rows; r++)
    {
      double v = self->targets->data[r];
      guint lo = 0, hi = uniq->len - 1;
      while (lo < hi)
        {
          guint mid = (lo + hi) / 2;
          if (g_array_index (uniq, double, mid) < v)
            lo = mid + 1;
          else
            hi = mid;
        }
      self->targets->data[r] = (nn_real) lo;
    }
  self->class_names = g_strv_builder_end (b);
  return TRUE;
}

/**
 * nn_dataset_encode:
 * @self: a data set as read, with one target column
 * @task: the task the targets are for
 * @positive_class: for %NN_TASK_BINARY, the index of the class that becomes 1
 *   (every other class becomes 0), or -1 for a two-class target as it is
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new data set with encoded targets, or %NULL
 *   with @error set
 */
NnDataset *
nn_dataset_encode (NnDataset  *self,
                   NnTask      task,
                   int         positive_class,
                   GError    **error)
{
  g_autoptr(NnMatrix) t = NULL;
  guint n = 0, k;

  g_return_val_if_fail (NN_IS_DATASET (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (task == NN_TASK_REGRESSION)
    {
      if (self->class_names != NULL)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "a regression needs numeric targets, but the target holds "
                       "labels such as '%s'", self->class_names[0]);
          return NULL;
        }
      return nn_dataset_new (nn_matrix_copy (self->features), nn_matrix_copy (self->targets),
                             (const char * const *) self->feature_names, NULL);
    }

  if (!ensure_classes (self, error))
    return NULL;
  n = self->targets->rows;
  k = g_strv_length (self->class_names);

  if (task == NN_TASK_BINARY)
    {
      if (positive_class < 0 && k != 2)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "a binary task needs two classes, the target has %u; "
                       "name the positive one with 'positive'", k);
          return NULL;
        }
      if (positive_class >= (int) k)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "no class %d", positive_class);
          return NULL;
        }
      if (positive_class < 0)
        positive_class = 1;
      t = nn_matrix_new (n, 1);
      for (guint r = 0; r < n; r++)
        t->data[r] = (guint) self->targets->data[r] == (guint) positive_class ? 1 : 0;
    }
  else
    {
      if (k < 2)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "a classification needs at least two classes, the target has %u", k);
          return NULL;
        }
      t = nn_matrix_new (n, k);
      for (guint r = 0; r < n; r++)
        NN_MATRIX_AT (t, r, (guint) self->targets->data[r]) = 1;
    }

  return nn_dataset_new (nn_matrix_copy (self->features), g_steal_pointer (&t),
                         (const char * const *) self->feature_names,
                         (const char * const *) self->class_names);
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
nn_dataset_split (NnDataset   *self,
                  double       validation,
                  double       test,
                  gboolean     stratify,
                  gboolean     shuffle,
                  GRand       *rand,
                  NnDataset  **train,
                  NnDataset  **val,
                  NnDataset  **test_set,
                  GError     **error)
{
  guint n = nn_dataset_get_n_samples (self);
  g_autofree guint *order = g_new (guint, n);
  g_autofree guint *part = g_new0 (guint, n);       /* 0 train, 1 val, 2 test */
  g_autofree guint *idx = g_new (guint, n);
  guint counts[3] = { 0, 0, 0 };
  guint n_groups = 1;
  g_autofree guint *group_size = NULL;
  g_autofree guint *quota = NULL;                   /* per group: val, test */

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
      NnDataset **out = p == 0 ? train : p == 1 ? val : test_set;
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
      if (train) g_clear_object (train);
      if (val) g_clear_object (val);
      if (test_set) g_clear_object (test_set);
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "%u samples are too few for this split: %u for training, "
                   "%u for validation, %u for testing", n, counts[0], counts[1], counts[2]);
      return FALSE;
    }
  return TRUE;
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
 * statistics on @train. A constant feature is shifted but not divided.
 *
 * Returns: %TRUE
 */
gboolean
nn_dataset_scale (NnDataset  *train,
                  NnScale     scale,
                  NnDataset **others,
                  guint       n_others)
{
  const NnMatrix *x;
  g_autofree double *shift = NULL;
  g_autofree double *div = NULL;

  g_return_val_if_fail (NN_IS_DATASET (train), FALSE);

  if (scale == NN_SCALE_NONE)
    return TRUE;

  x = train->features;
  shift = g_new0 (double, x->cols);
  div = g_new0 (double, x->cols);
  for (guint c = 0; c < x->cols; c++)
    {
      double lo = INFINITY, hi = -INFINITY, sum = 0, sq = 0, mean;

      for (guint r = 0; r < x->rows; r++)
        {
          double v = NN_MATRIX_AT (x, r, c);
          lo = MIN (lo, v);
          hi = MAX (hi, v);
          sum += v;
        }
      mean = sum / x->rows;
      for (guint r = 0; r < x->rows; r++)
        {
          double d = NN_MATRIX_AT (x, r, c) - mean;
          sq += d * d;
        }
      if (scale == NN_SCALE_MINMAX)
        {
          shift[c] = lo;
          div[c] = hi > lo ? hi - lo : 1.0;
        }
      else
        {
          /* The population deviation, as scikit-learn's StandardScaler. */
          double sd = sqrt (sq / x->rows);
          shift[c] = mean;
          div[c] = sd > 0 ? sd : 1.0;
        }
    }

  for (guint d = 0; d <= n_others; d++)
    {
      NnDataset *ds = d == 0 ? train : others[d - 1];
      NnMatrix *m;

      if (ds == NULL)
        continue;
      m = ds->features;
      g_return_val_if_fail (m->cols == x->cols, FALSE);
      for (guint r = 0; r < m->rows; r++)
        for (guint c = 0; c < m->cols; c++)
          NN_MATRIX_AT (m, r, c) = (nn_real) ((NN_MATRIX_AT (m, r, c) - shift[c]) / div[c]);
    }
  return TRUE;
}
