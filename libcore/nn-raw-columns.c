/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-column-transform-private.h"
#include "nn-dataset-private.h"
#include "nn-errors.h"

/* The feature cells of a CSV table as they come: numbers, missing values
 * (NaN) and text, each text column's values numbered in the order they
 * first appear. Which columns may hold text or miss values is the
 * transform's to say. */

/* More distinct texts than this in one column cannot be told apart as
 * float indices. */
#define MAX_TEXTS (1u << 24)

typedef struct
{
  const char *name;
  NnReadKind  kind;
  gboolean    text;         /* holds text */
  guint       text_from;    /* the first row with text */
  GPtrArray  *texts;        /* char *, when text */
  GHashTable *index;        /* text -> its number + 1 */
  guint       missing_line; /* the first missing value, 0 if none */
  guint       missing_column;
} RawColumn;

struct _NnRawColumns
{
  NnColumnTransform *policy;
  const char        *file;
  guint              n;
  RawColumn         *columns;
};

NnRawColumns *
nn_raw_columns_new (NnColumnTransform  *policy,
                    const char         *file,
                    const char * const *feature_names)
{
  NnRawColumns *self = g_new0 (NnRawColumns, 1);

  self->policy = g_object_ref (policy);
  self->file = file;
  self->n = g_strv_length ((char **) feature_names);
  self->columns = g_new0 (RawColumn, MAX (self->n, 1));
  for (guint j = 0; j < self->n; j++)
    {
      RawColumn *c = &self->columns[j];

      c->name = feature_names[j];
      c->kind = nn_column_transform_read_kind (policy, c->name);
      c->text = c->kind == NN_READ_TEXT;
      if (c->text)
        {
          c->texts = g_ptr_array_new_with_free_func (g_free);
          c->index = g_hash_table_new (g_str_hash, g_str_equal);
        }
    }
  return self;
}

void
nn_raw_columns_free (NnRawColumns *self)
{
  for (guint j = 0; j < self->n; j++)
    {
      g_clear_pointer (&self->columns[j].texts, g_ptr_array_unref);
      g_clear_pointer (&self->columns[j].index, g_hash_table_unref);
    }
  g_free (self->columns);
  g_object_unref (self->policy);
  g_free (self);
}

static void
missing_error (NnRawColumns *self,
               RawColumn    *c,
               guint         line,
               guint         column,
               GError      **error)
{
  g_autofree char *hint = nn_column_transform_missing_hint (self->policy, c->name);

  g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
               "%s:%u:%u: error: missing value in column '%s', which has no imputation; %s",
               self->file, line, column, c->name, hint);
}

/* The number of @text in @c, added if new. */
static gboolean
intern (NnRawColumns *self,
        RawColumn    *c,
        const char   *text,
        guint         line,
        guint         column,
        nn_real      *value,
        GError      **error)
{
  guint k = GPOINTER_TO_UINT (g_hash_table_lookup (c->index, text));

  if (k == 0)
    {
      if (c->texts->len >= MAX_TEXTS || !g_utf8_validate (text, -1, NULL))
        {
          g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                       c->texts->len >= MAX_TEXTS
                         ? "%s:%u:%u: error: column '%s' has more than 2^24 distinct values"
                         : "%s:%u:%u: error: text that is not valid UTF-8 in column '%s'",
                       self->file, line, column, c->name);
          return FALSE;
        }
      g_ptr_array_add (c->texts, g_strdup (text));
      k = c->texts->len;
      g_hash_table_insert (c->index, g_ptr_array_index (c->texts, k - 1), GUINT_TO_POINTER (k));
    }
  *value = (nn_real) (k - 1);
  return TRUE;
}

/* Reads feature @j of row @row, at @line and @column of the file. */
gboolean
nn_raw_columns_read (NnRawColumns *self,
                     guint         j,
                     guint         row,
                     const char   *text,
                     guint         line,
                     guint         column,
                     nn_real      *value,
                     GError      **error)
{
  RawColumn     *c = &self->columns[j];
  double         v = 0;
  NnNumberStatus status;

  if (nn_column_transform_is_missing (self->policy, text))
    {
      /* A column that may still turn to text is judged at the end. */
      if (c->kind != NN_READ_AUTO && !nn_column_transform_allows_missing (self->policy, c->name,
                                                                          c->text))
        {
          missing_error (self, c, line, column, error);
          return FALSE;
        }
      if (c->missing_line == 0)
        {
          c->missing_line = line;
          c->missing_column = column;
        }
      *value = NAN;
      return TRUE;
    }
  if (c->text)
    return intern (self, c, text, line, column, value, error);
  status = nn_data_parse_number (text, &v);
  if (status == NN_NUMBER_OK)
    {
      *value = (nn_real) v;
      return TRUE;
    }
  if (status == NN_NUMBER_INVALID && c->kind == NN_READ_AUTO)
    {
      c->text = TRUE;
      c->text_from = row;
      c->texts = g_ptr_array_new_with_free_func (g_free);
      c->index = g_hash_table_new (g_str_hash, g_str_equal);
      return intern (self, c, text, line, column, value, error);
    }
  if (status == NN_NUMBER_INVALID)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *hint = nn_column_transform_text_hint (self->policy, c->name);

      nn_data_set_number_error (&local_error, status, self->file, line, column, text, c->name);
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE, "%s; %s", local_error->message,
                   hint);
      return FALSE;
    }
  nn_data_set_number_error (error, status, self->file, line, column, text, c->name);
  return FALSE;
}

/* The numbers read before a column turned to text become text too, as a
 * text column's values all are. */
static gboolean
numbers_to_text (NnRawColumns *self,
                 RawColumn    *c,
                 nn_real      *x,
                 guint         j,
                 GError      **error)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint r = 0; r < c->text_from; r++)
    {
      nn_real *cell = &x[(gsize) r * self->n + j];

      if (isnan (*cell))
        continue;
      g_ascii_dtostr (buf, sizeof buf, *cell);
      if (!intern (self, c, buf, c->missing_line, 1, cell, error))
        return FALSE;
    }
  return TRUE;
}

/* Once every row is read into @x (@n_rows × the features): turns the early
 * numbers of text columns to text, and refuses missing values where they
 * are not allowed. */
gboolean
nn_raw_columns_finish (NnRawColumns *self,
                       nn_real      *x,
                       guint         n_rows,
                       GError      **error)
{
  for (guint j = 0; j < self->n; j++)
    {
      RawColumn *c = &self->columns[j];

      if (c->text && c->kind == NN_READ_AUTO && !numbers_to_text (self, c, x, j, error))
        return FALSE;
      if (c->missing_line != 0 &&
          !nn_column_transform_allows_missing (self->policy, c->name, c->text))
        {
          missing_error (self, c, c->missing_line, c->missing_column, error);
          return FALSE;
        }
    }
  (void) n_rows;
  return TRUE;
}

static void
texts_unref (gpointer texts)
{
  if (texts != NULL)
    g_ptr_array_unref (texts);
}

/* The distinct texts of each text column, NULL for the others; NULL when
 * no column holds text. */
GPtrArray *
nn_raw_columns_steal_texts (NnRawColumns *self)
{
  GPtrArray *all = NULL;

  for (guint j = 0; j < self->n; j++)
    if (self->columns[j].text)
      {
        all = g_ptr_array_new_full (self->n, texts_unref);
        break;
      }
  for (guint j = 0; all != NULL && j < self->n; j++)
    g_ptr_array_add (all, g_steal_pointer (&self->columns[j].texts));
  return all;
}
