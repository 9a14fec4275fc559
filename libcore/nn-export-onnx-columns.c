/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The inputs of an exported model and the column transform as nodes:
 * numeric columns in one float input, imputed with Where(IsNaN), and a
 * string input per categorical column of text, one-hot encoded through
 * ai.onnx.ml's LabelEncoder (the default domain compares strings only from
 * opset 19 on, which ONNX 1.12's checker does not know). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-column-transform-private.h"
#include "nn-dataset-private.h"
#include "nn-export-onnx-private.h"
#include "nn-pipeline-private.h"

static const char * const default_missing[] = { "", "NA", NULL };

/* The one-hot columns of @index ([N, 1] int64, -1 for none) over @k
 * categories. */
static const char *
one_hot_of_index (NnOnnxGraph *g,
                  const char  *index,
                  guint        k)
{
  g_autofree gint64 *range = g_new (gint64, MAX (k, 1));
  gint64             dims[] = { k };
  const char        *equal;

  for (guint i = 0; i < k; i++)
    range[i] = i;
  equal = nn_onnx_node (g, NULL, "Equal", index, nn_onnx_int64s (g, range, dims, 1), NULL);
  nn_onnx_attr_int (g, "to", NN_ONNX_FLOAT);
  return nn_onnx_node (g, NULL, "Cast", equal, NULL);
}

/* A categorical column of text: its own input of strings, each category
 * its place, a missing value the fill's, anything else -1. */
static const char *
text_categories (NnOnnxGraph        *g,
                 NnColumn           *c,
                 const char * const *missing)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 fill = -1;

  nn_onnx_graph_input (g, c->name, NN_ONNX_STRING, 1, "a categorical column, as text");
  for (guint k = 0; k < c->categories->len; k++)
    {
      gint64 v = k;

      g_ptr_array_add (keys, g_ptr_array_index (c->categories, k));
      g_array_append_val (values, v);
      if (c->fill_text != NULL && g_str_equal (c->fill_text, g_ptr_array_index (c->categories, k)))
        fill = k;
    }
  for (guint m = 0; missing[m] != NULL; m++)
    if (!g_ptr_array_find_with_equal_func (keys, missing[m], g_str_equal, NULL))
      {
        g_ptr_array_add (keys, (gpointer) missing[m]);
        g_array_append_val (values, fill);
      }
  nn_onnx_attr_strings (g, "keys_strings", (const char * const *) keys->pdata, keys->len);
  nn_onnx_attr_ints (g, "values_int64s", (const gint64 *) values->data, values->len);
  nn_onnx_attr_int (g, "default_int64", -1);
  return one_hot_of_index (g, nn_onnx_node (g, "ai.onnx.ml", "LabelEncoder", c->name, NULL),
                           c->categories->len);
}

/* A categorical column of numbers, matched by value. */
static const char *
number_categories (NnOnnxGraph *g,
                   NnColumn    *c,
                   const char  *column)
{
  guint             k = c->categories->len;
  g_autofree float *values = g_new (float, MAX (k, 1));
  gint64            dims[] = { k };
  const char       *equal;

  for (guint i = 0; i < k; i++)
    values[i] = (float) c->values[i];
  equal = nn_onnx_node (g, NULL, "Equal", column, nn_onnx_floats (g, values, dims, 1), NULL);
  nn_onnx_attr_int (g, "to", NN_ONNX_FLOAT);
  return nn_onnx_node (g, NULL, "Cast", equal, NULL);
}

static const char *
gather (NnOnnxGraph *g,
        const char  *x,
        GArray      *columns)
{
  gint64 dims[] = { columns->len };

  nn_onnx_attr_int (g, "axis", 1);
  return nn_onnx_node (g, NULL, "Gather", x,
                       nn_onnx_int64s (g, (const gint64 *) columns->data, dims, 1), NULL);
}

/* The float input `features` with its missing values imputed; @numeric
 * gets the place there of each column, -1 for text. */
static const char *
numeric_input (NnOnnxGraph       *g,
               NnColumnTransform *t,
               gint64            *numeric)
{
  g_autoptr(GArray) fill = g_array_new (FALSE, FALSE, sizeof (float));
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree char *columns = NULL;
  gboolean         any_fill = FALSE;
  gint64           dims[1];

  for (guint j = 0; j < t->columns->len; j++)
    {
      NnColumn *c = g_ptr_array_index (t->columns, j);
      float     f = NAN;
      double    v;

      numeric[j] = -1;
      if (c->categorical && !c->numbers)
        continue;
      if (!c->categorical && c->has_fill)
        f = (float) c->fill;
      else if (c->categorical && c->fill_text != NULL &&
               nn_data_parse_number (c->fill_text, &v) == NN_NUMBER_OK)
        f = (float) v;
      any_fill = any_fill || !isnan (f);
      numeric[j] = fill->len;
      g_array_append_val (fill, f);
      g_ptr_array_add (names, c->name);
    }
  g_ptr_array_add (names, NULL);
  columns = g_strjoinv ("\n", (GStrv) names->pdata);
  nn_onnx_graph_metadata (g, "feature_columns", columns);
  if (fill->len == 0)
    return NULL;
  nn_onnx_graph_input (g, "features", NN_ONNX_FLOAT, fill->len,
                       "the numeric columns, NaN for a missing value");
  if (!any_fill)
    return "features";
  dims[0] = fill->len;
  return nn_onnx_node (g, NULL, "Where", nn_onnx_node (g, NULL, "IsNaN", "features", NULL),
                       nn_onnx_floats (g, (const float *) fill->data, dims, 1), "features", NULL);
}

static const char *
transform_inputs (NnOnnxGraph       *g,
                  NnColumnTransform *t)
{
  const char * const *missing = t->missing != NULL ? (const char * const *) t->missing
                                                   : default_missing;
  g_autofree gint64  *numeric = g_new (gint64, MAX (t->columns->len, 1));
  g_autoptr(GPtrArray) pieces = g_ptr_array_new ();
  g_autoptr(GPtrArray) texts = g_ptr_array_new ();
  g_autoptr(GArray) run = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *text_columns = NULL;
  g_autofree char *missing_values = g_strjoinv ("\n", (GStrv) missing);
  const char      *x = numeric_input (g, t, numeric);

  for (guint j = 0; j < t->columns->len; j++)
    {
      NnColumn *c = g_ptr_array_index (t->columns, j);

      if (!c->categorical)
        {
          g_array_append_val (run, numeric[j]);
          continue;
        }
      if (run->len > 0)
        g_ptr_array_add (pieces, (gpointer) gather (g, x, run));
      g_array_set_size (run, 0);
      if (c->numbers)
        {
          g_array_append_val (run, numeric[j]);
          g_ptr_array_add (pieces, (gpointer) number_categories (g, c, gather (g, x, run)));
          g_array_set_size (run, 0);
        }
      else
        {
          g_ptr_array_add (pieces, (gpointer) text_categories (g, c, missing));
          g_ptr_array_add (texts, c->name);
        }
    }
  if (run->len > 0)
    g_ptr_array_add (pieces, (gpointer) (run->len == t->columns->len ? x : gather (g, x, run)));
  g_ptr_array_add (texts, NULL);
  text_columns = g_strjoinv ("\n", (GStrv) texts->pdata);
  nn_onnx_graph_metadata (g, "text_columns", text_columns);
  nn_onnx_graph_metadata (g, "missing_values", missing_values);
  if (pieces->len == 1)
    return g_ptr_array_index (pieces, 0);
  nn_onnx_attr_int (g, "axis", 1);
  return nn_onnx_node_v (g, "Concat", (const char * const *) pieces->pdata, pieces->len);
}

const char *
nn_export_onnx_inputs (NnOnnxGraph *g,
                       NnPipeline  *pipeline)
{
  NnColumnTransform  *t = nn_pipeline_get_transform (pipeline);
  const char * const *features = nn_pipeline_get_feature_names (pipeline);
  g_autofree char    *columns = NULL;

  if (t != NULL && t->fitted)
    return transform_inputs (g, t);
  columns = g_strjoinv ("\n", (GStrv) features);
  nn_onnx_graph_metadata (g, "feature_columns", columns);
  nn_onnx_graph_metadata (g, "text_columns", "");
  nn_onnx_graph_metadata (g, "missing_values", "");
  nn_onnx_graph_input (g, "features", NN_ONNX_FLOAT, g_strv_length ((GStrv) features),
                       "the feature columns");
  return "features";
}
