/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>
#include <math.h>
#include <gio/gio.h>

#include "nn-column-transform-private.h"
#include "nn-csv-private.h"
#include "nn-dataset.h"
#include "nn-dataset-private.h"
#include "nn-errors.h"
#include "nn-limits.h"
#include "nn-utils-private.h"

/* Reading a CSV table into an NnDataset. */

/* The columns of a header for a message; a long header is cut short. */
static char *
list_columns (const char * const *header,
              guint               n)
{
  GString *s = g_string_new (NULL);
  guint    shown = n <= 20 ? n : 16;

  for (guint i = 0; i < shown; i++)
    g_string_append_printf (s, "%s'%s'", i ? ", " : "", header[i]);
  if (shown < n)
    g_string_append_printf (s, " and %u more", n - shown);
  return g_string_free (s, FALSE);
}

/* A distinct value of a single target column, where it first appears. */
typedef struct
{
  char *text;
  guint line;
  guint column;
  guint index;
} Label;

static void
label_free (gpointer data)
{
  Label *l = data;

  g_free (l->text);
  g_free (l);
}

static int
compare_labels (gconstpointer a,
                gconstpointer b)
{
  return strcmp ((*(Label * const *) a)->text, (*(Label * const *) b)->text);
}

/* An NnMatrix around data allocated with GLib's allocator, as
 * nn_matrix_free() releases it. */
static NnMatrix *
matrix_take (guint    rows,
             guint    cols,
             nn_real *data)
{
  NnMatrix *m = g_new0 (NnMatrix, 1);

  m->rows = rows;
  m->cols = cols;
  m->data = data;
  return m;
}

/* The header: column names, checked, and the role of each column. */
typedef struct
{
  const char        *name; /* of the data, for messages */
  guint              line; /* of the header */
  guint              n_cols;
  char             **columns;    /* n_cols names, NULL-terminated */
  guint             *column_pos; /* byte column of each name */
  GHashTable        *index;      /* name -> column + 1 */
  int               *role;       /* per column: -1 unused, feature j, n_features + target t,
                           * ROLE_WEIGHT */
  guint              n_features;
  guint              n_targets;
  const char        *weight;     /* the weight column's name, or NULL */
  guint              weight_col; /* its column + 1, 0 without one */
  const char        *id;         /* the id column's name, or NULL */
  guint              id_col;     /* its column + 1, 0 without one */
  NnColumnTransform *policy;     /* missing values and text columns, or NULL */
} Header;

#define ROLE_WEIGHT (-2)
#define ROLE_ID (-3)

static void
header_clear (Header *h)
{
  g_strfreev (h->columns);
  g_free (h->column_pos);
  g_clear_pointer (&h->index, g_hash_table_unref);
  g_free (h->role);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Header, header_clear)

static gboolean
read_header (NnCsvReader *reader,
             Header      *h,
             GError     **error)
{
  h->line = nn_csv_reader_get_field_line (reader, 0);
  h->n_cols = nn_csv_reader_get_n_fields (reader);
  h->columns = g_new0 (char *, h->n_cols + 1);
  h->column_pos = g_new0 (guint, h->n_cols);
  h->index = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint c = 0; c < h->n_cols; c++)
    {
      const char *text = nn_csv_reader_get_field (reader, c);
      guint       column = nn_csv_reader_get_field_column (reader, c);
      guint       earlier;

      h->columns[c] = g_strdup (text);
      h->column_pos[c] = column;
      if (!g_utf8_validate (text, -1, NULL))
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                       "%s:%u:%u: error: the name of column %u is not valid UTF-8",
                       h->name, h->line, column, c + 1);
          return FALSE;
        }
      if (*text == '\0')
        continue;
      earlier = GPOINTER_TO_UINT (g_hash_table_lookup (h->index, text));
      if (earlier != 0)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                       "%s:%u:%u: error: duplicate column name '%s' (also column %u)",
                       h->name, h->line, column, text, earlier);
          return FALSE;
        }
      g_hash_table_insert (h->index, h->columns[c], GUINT_TO_POINTER (c + 1));
    }
  return TRUE;
}

/* The column named @column, as a @what ("target" or "feature"). */
static gint
find_column (Header     *h,
             const char *column,
             const char *what,
             GError    **error)
{
  guint c = GPOINTER_TO_UINT (g_hash_table_lookup (h->index, column));

  if (c == 0)
    {
      const char      *suggestion = nn_suggest (column, (const char      *const *) h->columns);
      g_autofree char *list = list_columns ((const char * const *) h->columns, h->n_cols);
      g_autofree char *hint = suggestion ? g_strdup_printf (" (did you mean '%s'?)", suggestion)
                                         : g_strdup ("");

      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "%s:%u:1: error: no %s column '%s'%s; the columns are %s",
                   h->name, h->line, what, column, hint, list);
      return -1;
    }
  return (gint) c - 1;
}

/* The weight column: neither a target nor, unless listed, a feature. */
static gboolean
assign_weight (Header  *h,
               GError **error)
{
  gint c = find_column (h, h->weight, "weight", error);

  if (c < 0)
    return FALSE;
  if (h->role[c] >= 0)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "%s:%u:%u: error: column '%s' is a target, so it cannot be the weight",
                   h->name, h->line, h->column_pos[c], h->weight);
      return FALSE;
    }
  h->role[c] = ROLE_WEIGHT;
  h->weight_col = c + 1;
  return TRUE;
}

/* The id column: text passed through to predictions, no feature. */
static gboolean
assign_id (Header  *h,
           GError **error)
{
  gint c = find_column (h, h->id, "id", error);

  if (c < 0)
    return FALSE;
  if (h->role[c] != -1)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "%s:%u:%u: error: column '%s' is the %s, so it cannot be the id",
                   h->name, h->line, h->column_pos[c], h->id,
                   h->role[c] == ROLE_WEIGHT ? "weight" : "target");
      return FALSE;
    }
  h->role[c] = ROLE_ID;
  h->id_col = c + 1;
  return TRUE;
}

/* Each target column, as role n_features + its index in @targets. */
static gboolean
assign_targets (Header             *h,
                const char * const *targets,
                GError            **error)
{
  for (guint t = 0; t < h->n_targets; t++)
    {
      gint c = find_column (h, targets[t], "target", error);
      if (c < 0)
        return FALSE;
      if (h->role[c] >= 0)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "%s:%u:%u: error: column '%s' is named twice as a target",
                       h->name, h->line, h->column_pos[c], targets[t]);
          return FALSE;
        }
      h->role[c] = h->n_features + t;
    }
  return TRUE;
}

/* Without a list of features, every column left is one, in file order. */
static gboolean
assign_other_features (Header  *h,
                       GError **error)
{
  guint j = 0;

  for (guint c = 0; c < h->n_cols; c++)
    {
      if (h->role[c] != -1)
        continue;
      if (*h->columns[c] == '\0')
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "%s:%u:%u: error: column %u has no name; name it, "
                       "or list the features to use",
                       h->name, h->line,
                       h->column_pos[c], c + 1);
          return FALSE;
        }
      h->role[c] = j++;
    }
  return TRUE;
}

/* The listed features, in the order of @features; none may be a column
 * with another role, or be listed twice. */
static gboolean
assign_listed_features (Header             *h,
                        const char * const *features,
                        GError            **error)
{
  for (guint j = 0; j < h->n_features; j++)
    {
      gint c = find_column (h, features[j], "feature", error);
      if (c < 0)
        return FALSE;
      if (h->role[c] >= (int) h->n_features)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "%s:%u:%u: error: column '%s' is a target, so it cannot be a feature",
                       h->name, h->line, h->column_pos[c], features[j]);
          return FALSE;
        }
      if (h->role[c] == ROLE_ID)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "%s:%u:%u: error: column '%s' is the id, so it cannot be a feature",
                       h->name, h->line, h->column_pos[c], features[j]);
          return FALSE;
        }
      if (h->role[c] == ROLE_WEIGHT)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "%s:%u:%u: error: column '%s' is the weight, so it cannot be a feature",
                       h->name, h->line, h->column_pos[c], features[j]);
          return FALSE;
        }
      if (h->role[c] >= 0)
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                       "%s:%u:%u: error: column '%s' is named twice as a feature",
                       h->name, h->line, h->column_pos[c], features[j]);
          return FALSE;
        }
      h->role[c] = j;
    }
  return TRUE;
}

/* At least one feature, and no more than a layer takes as inputs. */
static gboolean
check_feature_count (Header  *h,
                     gboolean listed,
                     GError **error)
{
  if (h->n_features == 0)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "%s:%u:1: error: %s", h->name, h->line,
                   listed ? "the list of features is empty"
                          : "no feature column: the header holds only the target");
      return FALSE;
    }
  /* Each feature is an input of the first layer. */
  if (h->n_features > NN_LAYER_MAX_WIDTH)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "%s:%u:1: error: %u feature columns, more than %u, the most inputs "
                   "a layer takes",
                   h->name, h->line, h->n_features, NN_LAYER_MAX_WIDTH);
      return FALSE;
    }
  return TRUE;
}

/* The role of each column: feature j (0 <= j < n_features), target
 * n_features + t, the weight, the id, or -1 (unused). */
static gboolean
assign_roles (Header             *h,
              const char * const *targets,
              const char * const *features,
              GError            **error)
{
  h->role = g_new (int, MAX (h->n_cols, 1));
  for (guint c = 0; c < h->n_cols; c++)
    h->role[c] = -1;

  h->n_targets = targets ? g_strv_length ((char **) targets) : 0;
  if (features != NULL)
    h->n_features = g_strv_length ((char **) features);
  else
    for (guint c = 0; c < h->n_cols; c++)
      h->n_features += !(targets && g_strv_contains (targets, h->columns[c])) &&
                       g_strcmp0 (h->weight, h->columns[c]) != 0 &&
                       g_strcmp0 (h->id, h->columns[c]) != 0;

  if (!assign_targets (h, targets, error))
    return FALSE;
  if (h->weight != NULL && !assign_weight (h, error))
    return FALSE;
  if (h->id != NULL && !assign_id (h, error))
    return FALSE;
  if (features == NULL ? !assign_other_features (h, error)
                       : !assign_listed_features (h, features, error))
    return FALSE;
  return check_feature_count (h, features != NULL, error);
}

/* Turns the distinct values of a single target column into the targets:
 * numbers if every value is one, else class indices in byte order of the
 * labels. */
static gboolean
finish_single_target (const char *name,
                      const char *column_name,
                      GPtrArray  *labels,
                      GArray     *label_ids,
                      NnMatrix   *targets,
                      GStrv      *class_names,
                      GError    **error)
{
  g_autofree double *values = g_new (double, MAX (labels->len, 1));
  g_autofree guint  *rank = NULL;
  gboolean           numeric = TRUE;
  const Label       *bad = NULL;
  NnNumberStatus     bad_status = NN_NUMBER_OK;

  for (guint i = 0; i < labels->len && numeric; i++)
    {
      const Label   *l = labels->pdata[i];
      NnNumberStatus status = nn_data_parse_number (l->text, &values[i]);

      if (status == NN_NUMBER_INVALID)
        numeric = FALSE;
      else if (status != NN_NUMBER_OK &&
               (bad == NULL || l->line < bad->line ||
                (l->line == bad->line && l->column < bad->column)))
        {
          bad = l;
          bad_status = status;
        }
    }

  if (numeric)
    {
      if (bad != NULL)
        {
          nn_data_set_number_error (error, bad_status, name, bad->line, bad->column, bad->text,
                                    column_name);
          return FALSE;
        }
      for (guint r = 0; r < label_ids->len; r++)
        targets->data[r] = (nn_real) values[g_array_index (label_ids, guint, r)];
      return TRUE;
    }

  {
    g_autoptr(GPtrArray) sorted = g_ptr_array_copy (labels, NULL, NULL);
    GStrvBuilder *b = g_strv_builder_new ();

    g_ptr_array_set_free_func (sorted, NULL); /* the copy borrows the labels */
    g_ptr_array_sort (sorted, compare_labels);
    rank = g_new (guint, labels->len);
    for (guint i = 0; i < sorted->len; i++)
      {
        const Label *l = sorted->pdata[i];
        rank[l->index] = i;
        g_strv_builder_add (b, l->text);
      }
    *class_names = g_strv_builder_end (b);
    g_strv_builder_unref (b);
  }
  for (guint r = 0; r < label_ids->len; r++)
    targets->data[r] = (nn_real) rank[g_array_index (label_ids, guint, r)];
  return TRUE;
}

/* The samples read so far. */
typedef struct
{
  GArray       *x;           /* features, row by row */
  GArray       *y;           /* targets, when there are several */
  GArray       *w;           /* sample weights, double, with a weight column */
  GPtrArray    *ids;         /* char *, with an id column */
  GArray       *label_ids;   /* per row, the index of its Label */
  GPtrArray    *labels;      /* the distinct values of a single target */
  GHashTable   *label_index; /* text -> Label */
  nn_real      *row;         /* features then targets of the current row */
  guint         n_rows;
  int           single_target; /* the column of a single target, or -1 */
  NnRawColumns *raw;           /* the features as they come, with a policy */
} Rows;

static void
rows_init (Rows   *rows,
           Header *h)
{
  rows->x = g_array_new (FALSE, FALSE, sizeof (nn_real));
  rows->y = g_array_new (FALSE, FALSE, sizeof (nn_real));
  rows->w = g_array_new (FALSE, FALSE, sizeof (double));
  rows->ids = g_ptr_array_new_with_free_func (g_free);
  rows->label_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  rows->labels = g_ptr_array_new_with_free_func (label_free);
  rows->label_index = g_hash_table_new (g_str_hash, g_str_equal);
  rows->row = g_new (nn_real, h->n_features + h->n_targets);
  rows->single_target = -1;
  for (guint c = 0; c < h->n_cols; c++)
    if (h->n_targets == 1 && h->role[c] == (int) h->n_features)
      rows->single_target = c;
  if (h->policy != NULL)
    {
      g_autofree const char **names = g_new0 (const char *, h->n_features + 1);

      for (guint c = 0; c < h->n_cols; c++)
        if (h->role[c] >= 0 && h->role[c] < (int) h->n_features)
          names[h->role[c]] = h->columns[c];
      rows->raw = nn_raw_columns_new (h->policy, h->name, names);
    }
}

static void
rows_clear (Rows *rows)
{
  g_clear_pointer (&rows->x, g_array_unref);
  g_clear_pointer (&rows->y, g_array_unref);
  g_clear_pointer (&rows->w, g_array_unref);
  g_clear_pointer (&rows->ids, g_ptr_array_unref);
  g_clear_pointer (&rows->label_ids, g_array_unref);
  g_clear_pointer (&rows->labels, g_ptr_array_unref);
  g_clear_pointer (&rows->label_index, g_hash_table_unref);
  g_clear_pointer (&rows->row, g_free);
  g_clear_pointer (&rows->raw, nn_raw_columns_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Rows, rows_clear)

/* The columns a policy names must be features. */
static gboolean
check_policy_names (Header  *h,
                    GError **error)
{
  g_autofree const char **names = NULL;
  g_autofree const char **targets = NULL;

  if (h->policy == NULL)
    return TRUE;
  names = g_new0 (const char *, h->n_features + 1);
  targets = g_new0 (const char *, h->n_targets + 1);
  for (guint c = 0; c < h->n_cols; c++)
    if (h->role[c] >= 0 && h->role[c] < (int) h->n_features)
      names[h->role[c]] = h->columns[c];
    else if (h->role[c] >= (int) h->n_features)
      targets[h->role[c] - h->n_features] = h->columns[c];
  return nn_column_transform_check_names (h->policy, names, targets, error);
}

/* Reads the header row and gives each column its role. */
static gboolean
read_header_row (NnCsvReader        *reader,
                 Header             *h,
                 const char * const *targets,
                 const char * const *features,
                 GCancellable       *cancellable,
                 GError            **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!nn_csv_reader_next (reader, cancellable, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                     "%s:1:1: error: the data are empty: no header row", h->name);
      return FALSE;
    }
  return read_header (reader, h, error) && assign_roles (h, targets, features, error) &&
         check_policy_names (h, error);
}

/* Whether the current row has a field per column and fits in the sizes of
 * an NnMatrix. */
static gboolean
check_row_size (NnCsvReader *reader,
                Header      *h,
                Rows        *rows,
                GError     **error)
{
  guint n_fields = nn_csv_reader_get_n_fields (reader);

  if (n_fields != h->n_cols)
    {
      gboolean more = n_fields > h->n_cols;
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                   "%s:%u:%u: error: %u field%s where the header has %u",
                   h->name,
                   more ? nn_csv_reader_get_field_line (reader, h->n_cols)
                        : nn_csv_reader_get_end_line (reader),
                   more ? nn_csv_reader_get_field_column (reader, h->n_cols)
                        : nn_csv_reader_get_end_column (reader),
                   n_fields, n_fields == 1 ? "" : "s", h->n_cols);
      return FALSE;
    }
  if (rows->n_rows == G_MAXUINT ||
      (gsize) rows->x->len + h->n_features > G_MAXUINT ||
      (gsize) rows->y->len + h->n_targets > G_MAXUINT)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "%s:%u:1: error: too many values", h->name,
                   nn_csv_reader_get_field_line (reader, 0));
      return FALSE;
    }
  return TRUE;
}

/* Every sample needs its target: nothing is imputed there. */
static gboolean
missing_target (NnCsvReader *reader,
                Header      *h,
                guint        c,
                GError     **error)
{
  g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
               "%s:%u:%u: error: missing value in target column '%s'; every sample "
               "needs its target",
               h->name,
               nn_csv_reader_get_field_line (reader, c),
               nn_csv_reader_get_field_column (reader, c), h->columns[c]);
  return FALSE;
}

/* Records the value of the single target in column @c, a label until every
 * row is read and it is known whether all labels are numbers. */
static gboolean
read_label (NnCsvReader *reader,
            Header      *h,
            Rows        *rows,
            guint        c,
            GError     **error)
{
  const char *text = nn_csv_reader_get_field (reader, c);
  Label      *l = g_hash_table_lookup (rows->label_index, text);

  if (h->policy != NULL && nn_column_transform_is_missing (h->policy, text))
    return missing_target (reader, h, c, error);
  if (l == NULL)
    {
      if (*text == '\0' || !g_utf8_validate (text, -1, NULL))
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                       "%s:%u:%u: error: %s in target column '%s'", h->name,
                       nn_csv_reader_get_field_line (reader, c),
                       nn_csv_reader_get_field_column (reader, c),
                       *text == '\0' ? "empty value" : "text that is not valid UTF-8",
                       h->columns[c]);
          return FALSE;
        }
      l = g_new (Label, 1);
      l->text = g_strdup (text);
      l->line = nn_csv_reader_get_field_line (reader, c);
      l->column = nn_csv_reader_get_field_column (reader, c);
      l->index = rows->labels->len;
      g_ptr_array_add (rows->labels, l);
      g_hash_table_insert (rows->label_index, l->text, l);
    }
  g_array_append_val (rows->label_ids, l->index);
  return TRUE;
}

/* Reads the number in column @c into its place in the current row. */
static gboolean
read_value (NnCsvReader *reader,
            Header      *h,
            Rows        *rows,
            guint        c,
            GError     **error)
{
  const char    *text = nn_csv_reader_get_field (reader, c);
  int            role = h->role[c];
  double         v = 0;
  NnNumberStatus status;

  if (rows->raw != NULL && role < (int) h->n_features)
    return nn_raw_columns_read (rows->raw, role, rows->n_rows, text,
                                nn_csv_reader_get_field_line (reader, c),
                                nn_csv_reader_get_field_column (reader, c),
                                &rows->row[role], error);
  if (h->policy != NULL && nn_column_transform_is_missing (h->policy, text))
    return missing_target (reader, h, c, error);
  status = nn_data_parse_number (text, &v);
  if (status == NN_NUMBER_OK)
    {
      rows->row[role] = (nn_real) v;
      return TRUE;
    }
  if (role >= (int) h->n_features && status == NN_NUMBER_INVALID)
    {
      g_autofree char *shown = nn_data_display_text (text);
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                   "%s:%u:%u: error: '%s' in target column '%s' is not a number "
                   "(several targets are for a regression, which needs numbers)",
                   h->name, nn_csv_reader_get_field_line (reader, c),
                   nn_csv_reader_get_field_column (reader, c), shown, h->columns[c]);
    }
  else
    nn_data_set_number_error (error, status, h->name, nn_csv_reader_get_field_line (reader, c),
                              nn_csv_reader_get_field_column (reader, c), text, h->columns[c]);
  return FALSE;
}

/* Reads the sample weight in column @c: a number, at least 0. */
static gboolean
read_weight (NnCsvReader *reader,
             Header      *h,
             Rows        *rows,
             guint        c,
             GError     **error)
{
  const char    *text = nn_csv_reader_get_field (reader, c);
  double         v = 0;
  NnNumberStatus status = nn_data_parse_number (text, &v);

  if (status != NN_NUMBER_OK)
    {
      nn_data_set_number_error (error, status, h->name, nn_csv_reader_get_field_line (reader, c),
                                nn_csv_reader_get_field_column (reader, c), text, h->columns[c]);
      return FALSE;
    }
  if (v < 0)
    {
      g_autofree char *shown = nn_data_display_text (text);
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                   "%s:%u:%u: error: weight %s in column '%s' is negative; a sample's "
                   "weight is at least 0",
                   h->name, nn_csv_reader_get_field_line (reader, c),
                   nn_csv_reader_get_field_column (reader, c), shown, h->columns[c]);
      return FALSE;
    }
  g_array_append_val (rows->w, v);
  return TRUE;
}

static gboolean
read_row (NnCsvReader *reader,
          Header      *h,
          Rows        *rows,
          GError     **error)
{
  if (!check_row_size (reader, h, rows, error))
    return FALSE;
  for (guint c = 0; c < h->n_cols; c++)
    {
      gboolean ok;

      if (h->role[c] < 0)
        continue;
      if ((int) c == rows->single_target)
        ok = read_label (reader, h, rows, c, error);
      else
        ok = read_value (reader, h, rows, c, error);
      if (!ok)
        return FALSE;
    }
  if (h->weight_col > 0 && !read_weight (reader, h, rows, h->weight_col - 1, error))
    return FALSE;
  if (h->id_col > 0)
    g_ptr_array_add (rows->ids, g_strdup (nn_csv_reader_get_field (reader, h->id_col - 1)));
  g_array_append_vals (rows->x, rows->row, h->n_features);
  if (h->n_targets > 1)
    g_array_append_vals (rows->y, rows->row + h->n_features, h->n_targets);
  rows->n_rows++;
  return TRUE;
}

/* The data set of the rows read, which it takes. */
static NnDataset *
make_dataset (Header  *h,
              Rows    *rows,
              GError **error)
{
  g_autoptr(NnMatrix) target_matrix = NULL;
  g_auto(GStrv) class_names = NULL;
  g_autofree const char **feature_names = NULL;
  nn_real                *feature_data;
  NnDataset              *dataset;

  if (h->n_targets > 1)
    target_matrix = matrix_take (rows->n_rows, h->n_targets,
                                 (nn_real *) g_array_free (g_steal_pointer (&rows->y), FALSE));
  else
    {
      target_matrix = nn_matrix_new (rows->n_rows, h->n_targets);
      if (h->n_targets == 1 &&
          !finish_single_target (h->name, h->columns[rows->single_target], rows->labels,
                                 rows->label_ids, target_matrix, &class_names, error))
        return NULL;
    }

  /* Each column's name goes to the place of its feature: one pass, as
   * files may have a million columns. */
  feature_names = g_new0 (const char *, h->n_features + 1);
  for (guint c = 0; c < h->n_cols; c++)
    if (h->role[c] >= 0 && h->role[c] < (int) h->n_features)
      feature_names[h->role[c]] = h->columns[c];

  if (rows->raw != NULL &&
      !nn_raw_columns_finish (rows->raw, (nn_real *) (void *) rows->x->data, rows->n_rows, error))
    return NULL;
  feature_data = (nn_real *) g_array_free (g_steal_pointer (&rows->x), FALSE);
  dataset = nn_dataset_new (matrix_take (rows->n_rows, h->n_features, feature_data),
                            g_steal_pointer (&target_matrix), feature_names,
                            (const char * const *) class_names);
  if (h->weight_col > 0)
    nn_dataset_set_weights (dataset, (const double *) (void *) rows->w->data);
  if (rows->raw != NULL)
    {
      g_autoptr(GPtrArray) texts = nn_raw_columns_steal_texts (rows->raw);
      nn_dataset_set_column_texts (dataset, texts);
    }
  if (h->id_col > 0)
    {
      g_ptr_array_add (rows->ids, NULL);
      nn_dataset_set_ids (dataset, (GStrv) g_ptr_array_steal (rows->ids, NULL));
    }
  return dataset;
}

static NnDataset *
read_csv (GInputStream       *stream,
          const char         *name,
          const char * const *targets,
          const char * const *features,
          const char         *weight,
          const char         *id,
          NnColumnTransform  *policy,
          GCancellable       *cancellable,
          GError            **error)
{
  g_autoptr(NnCsvReader) reader = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(Header) h = {
    name,
  };
  g_auto(Rows) rows = {
    NULL,
  };

  h.weight = weight;
  h.id = id;
  h.policy = policy;
  reader = nn_csv_reader_new (stream, name);
  if (!read_header_row (reader, &h, targets, features, cancellable, error))
    return NULL;

  rows_init (&rows, &h);
  while (nn_csv_reader_next (reader, cancellable, &local_error))
    if (!read_row (reader, &h, &rows, error))
      return NULL;
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (rows.n_rows == 0)
    {
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_INVALID,
                   "%s:%u:1: error: the header is the only row: there are no samples",
                   name, h.line);
      return NULL;
    }
  return make_dataset (&h, &rows, error);
}

/**
 * nn_dataset_new_from_csv_stream:
 * @stream: CSV text (UTF-8) with a header row
 * @name: the name of the data in error messages, usually its file name
 * @targets: (nullable) (array zero-terminated=1): the target columns: one
 *   (class labels or numbers), several (numbers, for a regression), or none
 *   (%NULL or empty: data to predict from, with a samples × 0 targets matrix)
 * @features: (nullable) (array zero-terminated=1): the feature columns in
 *   the order wanted, or %NULL for every column that is not a target, in the
 *   file's order
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads a CSV table as it streams in, in time and memory linear in the
 * samples kept (columns that are neither feature nor target are not even
 * parsed).
 *
 * The dialect: comma-separated, LF, CRLF or CR line ends, an optional UTF-8
 * byte order mark, blank lines skipped, spaces around a field dropped, and
 * double quotes around a field to protect commas, line breaks and `""`.
 * Features must be decimal numbers. A single target column is a class label
 * column if any of its values is not a number: the labels are numbered in byte
 * order (see [method@Nn.Dataset.get_class_names]). Otherwise it holds numbers,
 * which [method@Nn.Dataset.encode] may still take as classes.
 *
 * Errors are %NN_DATA_ERROR_PARSE for malformed data (text in a number
 * column, NaN or infinity, an empty value or target, a row with too many or
 * too few fields, a broken quote, a duplicate column name, a record longer
 * than 256 MiB) and %NN_DATA_ERROR_INVALID for data that cannot serve (no
 * rows, no header, a missing column, more than [const@Nn.LAYER_MAX_WIDTH]
 * features), with a message `NAME:LINE:COLUMN: error: ...`, COLUMN being
 * the 1-based byte column of the field.
 *
 * Returns: (transfer full): a new [class@Nn.Dataset], or %NULL with @error set
 */
NnDataset *
nn_dataset_new_from_csv_stream (GInputStream       *stream,
                                const char         *name,
                                const char * const *targets,
                                const char * const *features,
                                GCancellable       *cancellable,
                                GError            **error)
{
  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return read_csv (stream, name, targets, features, NULL, NULL, NULL, cancellable, error);
}

/* nn_dataset_new_from_csv_file() with sample weights from the column named
 * @weight (NULL: none), which is then no feature: numbers, at least 0; and
 * the text of the column named @id (NULL: none) as the samples' ids; and
 * with @policy, missing values as NaN and text columns as the numbers of
 * their texts (see nn_dataset_set_column_texts()). */
NnDataset *
nn_dataset_new_from_csv_file_full (const char         *path,
                                   const char * const *targets,
                                   const char * const *features,
                                   const char         *weight,
                                   const char         *id,
                                   NnColumnTransform  *policy,
                                   GError            **error)
{
  g_autoptr(GInputStream) stream = nn_data_open_file (path, NULL, NULL, error);

  if (stream == NULL)
    return NULL;
  return read_csv (stream, path, targets, features, weight, id, policy, NULL, error);
}

NnDataset *
nn_dataset_new_from_csv_stream_full (GInputStream       *stream,
                                     const char         *name,
                                     const char * const *targets,
                                     const char * const *features,
                                     NnColumnTransform  *policy,
                                     GError            **error)
{
  return read_csv (stream, name, targets, features, NULL, NULL, policy, NULL, error);
}

/**
 * nn_dataset_new_from_csv_file:
 * @path: a CSV file, gzip-compressed or not
 * @targets: (nullable) (array zero-terminated=1): the target columns, as for
 *   [ctor@Nn.Dataset.new_from_csv_stream]
 * @features: (nullable) (array zero-terminated=1): the feature columns in
 *   the order wanted, or %NULL for every column that is not a target
 * @error: return location for a #GError
 *
 * Reads a CSV file as [ctor@Nn.Dataset.new_from_csv_stream] does, with @path as
 * the name in error messages. A gzip-compressed file is recognised by its
 * contents and decompressed as it is read.
 *
 * Returns: (transfer full): a new [class@Nn.Dataset], or %NULL with @error set
 */
NnDataset *
nn_dataset_new_from_csv_file (const char         *path,
                              const char * const *targets,
                              const char * const *features,
                              GError            **error)
{
  g_autoptr(GInputStream) stream = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stream = nn_data_open_file (path, NULL, NULL, error);
  if (stream == NULL)
    return NULL;
  return nn_dataset_new_from_csv_stream (stream, path, targets, features, NULL, error);
}

/**
 * nn_dataset_new_from_csv_data:
 * @name: the name of the data in error messages, usually its file name
 * @text: CSV text with a header row
 * @length: the length of @text
 * @target: the name of the target column
 * @error: return location for a #GError
 *
 * Reads a CSV table held in memory, as [ctor@Nn.Dataset.new_from_csv_stream]
 * does, with @target as the only target and every other column a feature.
 *
 * Returns: (transfer full): a new [class@Nn.Dataset], or %NULL with @error set
 *   to a message naming the line and column
 */
NnDataset *
nn_dataset_new_from_csv_data (const char *name,
                              const char *text,
                              gsize       length,
                              const char *target,
                              GError    **error)
{
  g_autoptr(GInputStream) stream = NULL;
  const char *targets[] = { target, NULL };

  g_return_val_if_fail (name != NULL && text != NULL && target != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stream = g_memory_input_stream_new_from_data (text, length, NULL);
  return nn_dataset_new_from_csv_stream (stream, name, targets, NULL, NULL, error);
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
 * Returns: (transfer full): a new [class@Nn.Dataset], or %NULL with @error set
 */
NnDataset *
nn_dataset_new_iris (GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize       size = 0;
  const char *data;

  bytes = g_resources_lookup_data ("/org/nn/data/iris.csv", G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &size);
  return nn_dataset_new_from_csv_data ("iris", data, size, "species", error);
}
