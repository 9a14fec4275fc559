/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "nn-column-transform-private.h"
#include "nn-errors.h"
#include "nn-export-c-private.h"
#include "nn-export.h"
#include "nn-pipeline-private.h"
#include "nn-plugins.h"

/*
 * A saved model as a C99 source and header: the weights as `static const`
 * data, no allocation, nothing beyond libm. The preprocessing (imputation,
 * one-hot categories, the scaler) and a regression's target scaler are in
 * NAME_predict(); NAME_predict_row() takes a row's cells as text, as they
 * stand in a CSV file. Everything is computed in float with the formulas
 * of nn's float build; the scalers, as nn's, in double.
 */

typedef struct
{
  NnPipeline *pipeline;
  const char *name;
  GString    *src;
  GString    *calls; /* the body of NAME_predict's layers */
  guint       width; /* the widest layer's outputs */
} Export;

/**
 * nn_export_c_identifier:
 * @text: any text, such as a run's name
 *
 * Makes a C identifier of @text, for the names of an exported model.
 *
 * Returns: (transfer full): a C identifier made of @text: what is not an
 *   ASCII letter, digit or '_' becomes '_', and one leads a digit
 */
char *
nn_export_c_identifier (const char *text)
{
  GString *id = g_string_new (NULL);

  g_return_val_if_fail (text != NULL, NULL);

  if (g_ascii_isdigit (*text) || *text == '\0')
    g_string_append_c (id, '_');
  for (const char *p = text; *p; p++)
    g_string_append_c (id, g_ascii_isalnum (*p) || *p == '_' ? *p : '_');
  return g_string_free (id, FALSE);
}

/* @text as a C string literal. */
static void
append_string (GString    *out,
               const char *text)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) text; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if (*p < 0x20 || *p >= 0x7f)
        g_string_append_printf (out, "\\%03o", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  g_string_append_c (out, '"');
}

/* An array of string literals, ending with a null pointer when
 * @terminated. */
static void
append_strings (GString            *out,
                const char         *declaration,
                const char * const *texts,
                gboolean            terminated)
{
  g_string_append_printf (out, "%s = {", declaration);
  for (guint i = 0; texts[i] != NULL; i++)
    {
      g_string_append (out, i == 0 ? "\n  " : ",\n  ");
      append_string (out, texts[i]);
    }
  if (terminated)
    g_string_append (out, texts[0] != NULL ? ",\n  0" : "\n  0");
  g_string_append (out, "\n};\n");
}

/* @source, with @name for each "@N@". */
static void
append_named (GString    *out,
              const char *source,
              const char *name)
{
  g_auto(GStrv) parts = g_strsplit (source, "@N@", -1);
  g_autofree char *text = g_strjoinv (name, parts);

  g_string_append (out, text);
}

static float *
floats_of (const NnMatrix *m)
{
  gsize  n = nn_matrix_size (m);
  float *values = g_new (float, MAX (n, 1));

  for (gsize i = 0; i < n; i++)
    values[i] = (float) m->data[i];
  return values;
}

static gboolean
check_finite (const NnMatrix *m,
              guint           layer,
              GError        **error)
{
  for (gsize i = 0; i < nn_matrix_size (m); i++)
    if (!isfinite (m->data[i]))
      {
        g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE,
                     "layer %u has a value that is not a finite number", layer + 1);
        return FALSE;
      }
  return TRUE;
}

static gboolean
export_dense (Export  *e,
              NnLayer *layer,
              guint    l,
              GError **error)
{
  const NnMatrix   *w = nn_layer_get_parameter (layer, 0);
  const NnMatrix   *b = nn_layer_get_parameter (layer, 1);
  g_autofree char  *wname = g_strdup_printf ("%s_w%u", e->name, l);
  g_autofree char  *bname = g_strdup_printf ("%s_b%u", e->name, l);
  g_autofree char  *act = g_strdup_printf ("%s_activation%u", e->name, l);
  g_autofree float *wv = floats_of (w);
  g_autofree float *bv = floats_of (b);
  gsize             len = e->src->len;

  if (!check_finite (w, l, error) || !check_finite (b, l, error))
    return FALSE;
  g_string_append_c (e->src, '\n');
  nn_export_c_append_floats (e->src, wname, wv, nn_matrix_size (w));
  nn_export_c_append_floats (e->src, bname, bv, nn_matrix_size (b));
  g_string_append_printf (e->calls, "  dense(%s, %s, %u, %u, in, out);\n", wname, bname,
                          nn_layer_get_n_inputs (layer), nn_layer_get_units (layer));
  len = e->src->len;
  if (!nn_export_c_activation (nn_layer_get_activation (layer), act, e->src, error))
    return FALSE;
  if (e->src->len > len)
    g_string_append_printf (e->calls, "  %s(out, %u);\n", act, nn_layer_get_units (layer));
  g_string_append (e->calls, "  SWAP();\n");
  return TRUE;
}

static gboolean
export_activation (Export  *e,
                   NnLayer *layer,
                   guint    l,
                   GError **error)
{
  g_autofree char *act = g_strdup_printf ("%s_activation%u", e->name, l);
  gsize            len = e->src->len;

  if (!nn_export_c_activation (nn_layer_get_activation (layer), act, e->src, error))
    return FALSE;
  if (e->src->len > len)
    g_string_append_printf (e->calls, "  %s(in, %u);\n", act, nn_layer_get_n_outputs (layer));
  return TRUE;
}

/* Inference form: γ (x - μ) / √(σ² + ε) + β, in double as nn's layer. */
static gboolean
export_batch_norm (Export  *e,
                   NnLayer *layer,
                   guint    l,
                   GError **error)
{
  const NnMatrix    *mean = nn_layer_get_buffer (layer, 0);
  const NnMatrix    *var = nn_layer_get_buffer (layer, 1);
  gboolean           affine = nn_layer_get_n_parameters (layer) == 2;
  guint              n = nn_layer_get_n_outputs (layer);
  double             epsilon = 0;
  g_autofree float  *mv = floats_of (mean);
  g_autofree double *inv_std = g_new (double, MAX (n, 1));
  g_autofree float  *gamma = g_new (float, MAX (n, 1));
  g_autofree float  *beta = g_new (float, MAX (n, 1));
  g_autofree char   *m = g_strdup_printf ("%s_bn%u_mean", e->name, l);
  g_autofree char   *s = g_strdup_printf ("%s_bn%u_inv_std", e->name, l);
  g_autofree char   *g = g_strdup_printf ("%s_bn%u_gamma", e->name, l);
  g_autofree char   *b = g_strdup_printf ("%s_bn%u_beta", e->name, l);

  if (!check_finite (mean, l, error) || !check_finite (var, l, error) ||
      (affine && (!check_finite (nn_layer_get_parameter (layer, 0), l, error) ||
                  !check_finite (nn_layer_get_parameter (layer, 1), l, error))))
    return FALSE;
  g_object_get (layer, "epsilon", &epsilon, NULL);
  for (guint j = 0; j < n; j++)
    {
      inv_std[j] = 1.0 / sqrt ((double) var->data[j] + epsilon);
      gamma[j] = affine ? (float) nn_layer_get_parameter (layer, 0)->data[j] : 1;
      beta[j] = affine ? (float) nn_layer_get_parameter (layer, 1)->data[j] : 0;
    }
  g_string_append_c (e->src, '\n');
  nn_export_c_append_floats (e->src, m, mv, n);
  nn_export_c_append_doubles (e->src, s, inv_std, n);
  nn_export_c_append_floats (e->src, g, gamma, n);
  nn_export_c_append_floats (e->src, b, beta, n);
  g_string_append_printf (e->calls,
                          "  for (i = 0; i < %u; i++)\n"
                          "    in[i] = (float) (%s[i] * (((double) in[i] - %s[i]) * %s[i]) + %s[i]);\n",
                          n, g, m, s, b);
  return TRUE;
}

/* A plugin's layer, through NnLayerClass.to_c. */
static gboolean
export_plugin_layer (Export  *e,
                     NnLayer *layer,
                     guint    l,
                     GError **error)
{
  NnLayerClass    *klass = NN_LAYER_GET_CLASS (layer);
  g_autofree char *function = g_strdup_printf ("%s_layer%u", e->name, l);
  g_autofree char *own = NULL;
  const char      *file;

  if (klass->to_c != NULL && (own = klass->to_c (layer, function)) != NULL)
    {
      g_string_append_printf (e->src, "\n%s", own);
      g_string_append_printf (e->calls, "  %s(in, out);\n  SWAP();\n", function);
      return TRUE;
    }
  file = nn_plugins_get_file_for_type (G_OBJECT_TYPE (layer));
  g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_FAILED,
               "layer %u, of kind '%s' (%s, from %s), has no C form: its class can give one "
               "by setting NnLayerClass.to_c to a function returning the C99 source of "
               "'static void FUNCTION(const float *in, float *out)'",
               l + 1, nn_layer_get_kind_name (layer), G_OBJECT_TYPE_NAME (layer),
               file != NULL ? file : "the program");
  return FALSE;
}

static gboolean
export_layers (Export  *e,
               GError **error)
{
  NnModel *model = nn_pipeline_get_model (e->pipeline);

  e->width = nn_model_get_n_inputs (model);
  for (guint l = 0; l < nn_model_get_n_layers (model); l++)
    {
      NnLayer    *layer = nn_model_get_layer (model, l);
      const char *type = G_OBJECT_TYPE_NAME (layer);
      gboolean    ok;

      e->width = MAX (e->width, nn_layer_get_n_outputs (layer));
      if (g_str_equal (type, "NnDenseLayer"))
        ok = export_dense (e, layer, l, error);
      else if (g_str_equal (type, "NnActivationLayer"))
        ok = export_activation (e, layer, l, error);
      else if (g_str_equal (type, "NnBatchNormLayer"))
        ok = export_batch_norm (e, layer, l, error);
      else if (g_str_equal (type, "NnDropoutLayer"))
        ok = TRUE; /* the identity in inference */
      else
        ok = export_plugin_layer (e, layer, l, error);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

/* The missing-value marks of predict_row(). */
static void
export_missing (Export            *e,
                NnColumnTransform *transform)
{
  static const char * const defaults[] = { "", "NA", NULL };
  g_autofree char          *decl = g_strdup_printf ("static const char *const %s_missing[]", e->name);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) marks = NULL;

  g_strv_builder_addv (b, transform != NULL && transform->missing != NULL
                            ? (const char **) transform->missing
                            : (const char **) defaults);
  marks = g_strv_builder_end (b);
  append_strings (e->src, decl, (const char * const *) marks, TRUE);
}

static const char column_source[] =
  "\n/* Feature @j of value @v into the model's inputs @x. */\n"
  "static int\n"
  "@N@_column(int j, float v, float *x)\n"
  "{\n"
  "  int k, n = @N@_ncat[j];\n"
  "  float *dst = x + @N@_offset[j];\n"
  "  if (isnan(v)) {\n"
  "    if (!@N@_has_fill[j])\n"
  "      return 1;\n"
  "    v = @N@_fill[j];\n"
  "  }\n"
  "  if (n == 0) {\n"
  "    *dst = v;\n"
  "    return 0;\n"
  "  }\n"
  "  for (k = 0; k < n; k++)\n"
  "    dst[k] = 0;\n"
  "  if (v >= 0 && v < n && v == (float) (int) v)\n"
  "    dst[(int) v] = 1;\n"
  "  return 0;\n"
  "}\n";

static const char cell_source[] =
  "\n/* Cell @cell of feature @j as predict() takes it. */\n"
  "static int\n"
  "@N@_cell(int j, const char *cell, float *v)\n"
  "{\n"
  "  int k, kind = @N@_kind[j];\n"
  "  char *end;\n"
  "  double d;\n"
  "  for (k = 0; @N@_missing[k] != 0; k++)\n"
  "    if (strcmp(cell, @N@_missing[k]) == 0) {\n"
  "      *v = NAN;\n"
  "      return 0;\n"
  "    }\n"
  "  *v = -1;\n"
  "  if (kind == 1) {\n"
  "    for (k = 0; k < @N@_ncat[j]; k++)\n"
  "      if (strcmp(cell, @N@_categories[@N@_first[j] + k]) == 0)\n"
  "        *v = (float) k;\n"
  "    return 0;\n"
  "  }\n"
  "  d = strtod(cell, &end);\n"
  "  while (*end == ' ' || *end == '\\t')\n"
  "    end++;\n"
  "  if (end == cell || *end != '\\0')\n"
  "    return kind == 2 ? 0 : 2;\n"
  "  if (kind == 2) {\n"
  "    for (k = 0; k < @N@_ncat[j]; k++)\n"
  "      if (d == @N@_values[@N@_first[j] + k])\n"
  "        *v = (float) k;\n"
  "    return 0;\n"
  "  }\n"
  "  *v = (float) d;\n"
  "  return 0;\n"
  "}\n";

static void
append_ints (GString    *out,
             const char *name,
             const char *suffix,
             const int  *values,
             guint       n)
{
  g_string_append_printf (out, "static const int %s_%s[%u] = {", name, suffix, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    g_string_append_printf (out, "%s%d%s", i % 16 == 0 ? "\n  " : " ", values[i],
                            i + 1 < n ? "," : "");
  g_string_append (out, "\n};\n");
}

/* The tables of imputation and one-hot categories, and the functions that
 * read them. */
static void
export_columns (Export            *e,
                NnColumnTransform *t)
{
  guint             n = t->columns->len;
  g_autofree int   *kind = g_new0 (int, n);
  g_autofree int   *ncat = g_new0 (int, n);
  g_autofree int   *offset = g_new0 (int, n);
  g_autofree int   *has_fill = g_new0 (int, n);
  g_autofree int   *first = g_new0 (int, n);
  g_autofree float *fill = g_new0 (float, n);
  g_autoptr(GPtrArray) texts = g_ptr_array_new ();
  g_autoptr(GArray) values = g_array_new (FALSE, TRUE, sizeof (double));
  g_autofree char *name = g_strdup_printf ("%s_fill", e->name);

  for (guint j = 0; j < n; j++)
    {
      NnColumn *c = g_ptr_array_index (t->columns, j);

      offset[j] = (int) c->offset;
      first[j] = (int) texts->len;
      if (!c->categorical)
        {
          has_fill[j] = c->has_fill;
          fill[j] = (float) (nn_real) c->fill;
          continue;
        }
      kind[j] = c->numbers ? 2 : 1;
      ncat[j] = (int) c->categories->len;
      has_fill[j] = c->fill_text != NULL;
      fill[j] = -1;
      for (guint k = 0; k < c->categories->len; k++)
        {
          const char *s = g_ptr_array_index (c->categories, k);
          double      v = c->numbers ? c->values[k] : 0;

          g_ptr_array_add (texts, (gpointer) s);
          g_array_append_val (values, v);
          if (c->fill_text != NULL && g_str_equal (s, c->fill_text))
            fill[j] = (float) k;
        }
    }
  g_ptr_array_add (texts, NULL);
  g_string_append_c (e->src, '\n');
  append_ints (e->src, e->name, "kind", kind, n);
  append_ints (e->src, e->name, "ncat", ncat, n);
  append_ints (e->src, e->name, "offset", offset, n);
  append_ints (e->src, e->name, "has_fill", has_fill, n);
  append_ints (e->src, e->name, "first", first, n);
  nn_export_c_append_floats (e->src, name, fill, n);
  g_free (name);
  name = g_strdup_printf ("%s_values", e->name);
  nn_export_c_append_doubles (e->src, name, (double *) values->data, values->len);
  g_free (name);
  name = g_strdup_printf ("static const char *const %s_categories[]", e->name);
  if (texts->len == 1)
    g_ptr_array_insert (texts, 0, (gpointer) "");
  append_strings (e->src, name, (const char * const *) texts->pdata, FALSE);
  export_missing (e, t);
  append_named (e->src, column_source, e->name);
  append_named (e->src, cell_source, e->name);
}

/* predict_row() of a model without column transform: every cell a number
 * or missing. */
static const char plain_cell_source[] =
  "\nstatic int\n"
  "@N@_cell(int j, const char *cell, float *v)\n"
  "{\n"
  "  int k;\n"
  "  char *end;\n"
  "  (void) j;\n"
  "  for (k = 0; @N@_missing[k] != 0; k++)\n"
  "    if (strcmp(cell, @N@_missing[k]) == 0) {\n"
  "      *v = NAN;\n"
  "      return 0;\n"
  "    }\n"
  "  *v = (float) strtod(cell, &end);\n"
  "  while (*end == ' ' || *end == '\\t')\n"
  "    end++;\n"
  "  return end == cell || *end != '\\0' ? 2 : 0;\n"
  "}\n";

static const char row_source[] =
  "\nint\n"
  "@N@_predict_row(const char *const *cells, float *outputs)\n"
  "{\n"
  "  float features[@N@_N_FEATURES];\n"
  "  int j, status;\n"
  "  for (j = 0; j < @N@_N_FEATURES; j++)\n"
  "    if ((status = @N@_cell(j, cells[j], &features[j])) != 0)\n"
  "      return status;\n"
  "  return @N@_predict(features, outputs);\n"
  "}\n";

static const char dense_source[] =
  "\n/* y = W x + b, W being n_out by n_in. */\n"
  "static void\n"
  "dense(const float *w, const float *b, int n_in, int n_out, const float *x, float *y)\n"
  "{\n"
  "  int i, j;\n"
  "  for (i = 0; i < n_out; i++) {\n"
  "    const float *row = w + (long) i * n_in;\n"
  "    float s = 0;\n"
  "    for (j = 0; j < n_in; j++)\n"
  "      s += row[j] * x[j];\n"
  "    y[i] = s + b[i];\n"
  "  }\n"
  "}\n";

/* `static const double NAME_SUFFIX_shift[]` and `..._divisor[]`, or
 * FALSE for a scaler that changes nothing. */
static gboolean
export_scaler (Export     *e,
               NnScaler   *scaler,
               const char *what)
{
  g_autofree char *shift = g_strdup_printf ("%s_%s_shift", e->name, what);
  g_autofree char *divisor = g_strdup_printf ("%s_%s_divisor", e->name, what);
  guint            n;

  if (scaler == NULL || !nn_scaler_is_fitted (scaler) || nn_scaler_get_shift (scaler) == NULL)
    return FALSE;
  n = nn_scaler_get_n_features (scaler);
  g_string_append_c (e->src, '\n');
  nn_export_c_append_doubles (e->src, shift, nn_scaler_get_shift (scaler), n);
  nn_export_c_append_doubles (e->src, divisor, nn_scaler_get_divisor (scaler), n);
  return TRUE;
}

static void
append_predict (Export  *e,
                gboolean columns,
                gboolean scaled,
                gboolean target_scaled)
{
  NnModel *model = nn_pipeline_get_model (e->pipeline);
  GString *s = e->src;

  g_string_append_printf (s, "\nint\n%s_predict(const float *features, float *outputs)\n{\n"
                             "  float a[%u], b[%u];\n"
                             "  float *in = a, *out = b, *t;\n"
                             "  int i;\n"
                             "#define SWAP() (t = in, in = out, out = t)\n",
                          e->name, MAX (e->width, 1), MAX (e->width, 1));
  if (columns)
    g_string_append_printf (s, "  for (i = 0; i < %s_N_FEATURES; i++)\n"
                               "    if (%s_column(i, features[i], in) != 0)\n"
                               "      return 1;\n",
                            e->name, e->name);
  else
    g_string_append_printf (s, "  for (i = 0; i < %s_N_FEATURES; i++) {\n"
                               "    if (isnan(features[i]))\n"
                               "      return 1;\n"
                               "    in[i] = features[i];\n"
                               "  }\n",
                            e->name);
  if (scaled)
    g_string_append_printf (s, "  for (i = 0; i < %u; i++)\n"
                               "    in[i] = (float) ((in[i] - %s_input_shift[i]) / %s_input_divisor[i]);\n",
                            nn_model_get_n_inputs (model), e->name, e->name);
  g_string_append (s, e->calls->str);
  g_string_append_printf (s, "  for (i = 0; i < %s_N_OUTPUTS; i++)\n", e->name);
  if (target_scaled)
    g_string_append_printf (s, "    outputs[i] = (float) (in[i] * %s_target_divisor[i] + "
                               "%s_target_shift[i]);\n",
                            e->name, e->name);
  else
    g_string_append (s, "    outputs[i] = in[i];\n");
  g_string_append (s, "  (void) out;\n  (void) t;\n  return 0;\n#undef SWAP\n}\n");
}

static const char header_usage[] =
  " * @N@_predict(features, outputs) reads the @N@_N_FEATURES raw features, in\n"
  " * the order of @N@_FEATURES, NaN standing for a missing value, and writes\n"
  " * the @N@_N_OUTPUTS outputs as `nnrun predict` gives them:";

static const char header_usage_end[] =
  " * It returns 0, or 1 for a missing value the model does not impute.\n"
  " * A categorical feature takes the index of its category in the list\n"
  " * below; any other number is a category unseen in training.\n *\n"
  " * @N@_predict_row(cells, outputs) does the same from the row's cells as\n"
  " * text, as they stand in a CSV file; it returns 2 for text where a\n"
  " * number is needed.\n";

/* @text inside a C comment. */
static void
append_comment_text (GString    *out,
                     const char *text)
{
  for (const char *p = text; *p; p++)
    {
      g_string_append_c (out, *p < 0x20 && *p > 0 ? ' ' : *p);
      if (p[0] == '*' && p[1] == '/')
        g_string_append_c (out, ' ');
    }
}

static char *
header_text (Export            *e,
             NnColumnTransform *t)
{
  NnModel *model = nn_pipeline_get_model (e->pipeline);
  g_auto(GStrv) labels = nn_pipeline_get_output_labels (e->pipeline);
  g_autofree char *guard = g_ascii_strup (e->name, -1);
  GString         *h = g_string_new (NULL);

  g_string_append_printf (h, "/* %s: a model trained by nn " NN_VERSION ", as C99 with nothing\n"
                             " * beyond libm.\n *\n",
                          e->name);
  append_named (h, header_usage, e->name);
  if (labels == NULL)
    g_string_append (h, " the predicted values.\n");
  else
    g_string_append_printf (h, "\n * the probability of %s %s_CLASSES.\n",
                            g_strv_length (labels) == 2 && nn_model_get_n_outputs (model) == 1
                              ? "the second of"
                              : "each of",
                            e->name);
  append_named (h, header_usage_end, e->name);
  for (guint j = 0; t != NULL && j < t->columns->len; j++)
    {
      NnColumn *c = g_ptr_array_index (t->columns, j);

      if (!c->categorical)
        continue;
      g_string_append_printf (h, " *\n * Feature %u, ", j);
      append_comment_text (h, c->name);
      g_string_append (h, ":");
      for (guint k = 0; k < c->categories->len; k++)
        {
          g_string_append_printf (h, "%s%u \"", k % 6 == 0 ? "\n *  " : " ", k);
          append_comment_text (h, g_ptr_array_index (c->categories, k));
          g_string_append_c (h, '"');
        }
      g_string_append_c (h, '\n');
    }
  g_string_append_printf (h, " */\n#ifndef %s_H\n#define %s_H\n\n", guard, guard);
  g_string_append_printf (h, "#define %s_N_FEATURES %u\n#define %s_N_OUTPUTS %u\n", e->name,
                          g_strv_length ((GStrv) nn_pipeline_get_feature_names (e->pipeline)),
                          e->name, nn_model_get_n_outputs (model));
  if (labels != NULL)
    g_string_append_printf (h, "#define %s_N_CLASSES %u\n", e->name, g_strv_length (labels));
  g_string_append_printf (h, "\nextern const char *const %s_FEATURES[%s_N_FEATURES];\n",
                          e->name, e->name);
  if (labels != NULL)
    g_string_append_printf (h, "extern const char *const %s_CLASSES[%s_N_CLASSES];\n",
                            e->name, e->name);
  g_string_append_printf (h, "\nint %s_predict(const float *features, float *outputs);\n"
                             "int %s_predict_row(const char *const *cells, float *outputs);\n"
                             "\n#endif\n",
                          e->name, e->name);
  return g_string_free (h, FALSE);
}

static char *
source_text (Export            *e,
             NnColumnTransform *t,
             const char        *header,
             GError           **error)
{
  g_auto(GStrv) labels = nn_pipeline_get_output_labels (e->pipeline);
  g_autofree char *decl = NULL;
  gboolean         columns = t != NULL && !nn_column_transform_is_identity (t);
  gboolean         scaled, target_scaled;
  GString         *s = e->src;

  g_string_append_printf (s, "/* %s: the model's weights and inference; see %s. */\n"
                             "#include <math.h>\n#include <stdlib.h>\n#include <string.h>\n\n"
                             "#include \"%s\"\n\n",
                          e->name, header, header);
  decl = g_strdup_printf ("const char *const %s_FEATURES[%s_N_FEATURES]", e->name, e->name);
  append_strings (s, decl, nn_pipeline_get_feature_names (e->pipeline), FALSE);
  if (labels != NULL)
    {
      g_free (decl);
      decl = g_strdup_printf ("const char *const %s_CLASSES[%s_N_CLASSES]", e->name, e->name);
      append_strings (s, decl, (const char * const *) labels, FALSE);
    }
  if (columns)
    export_columns (e, t);
  else
    {
      g_string_append_c (s, '\n');
      export_missing (e, t);
      append_named (s, plain_cell_source, e->name);
    }
  scaled = export_scaler (e, nn_pipeline_get_scaler (e->pipeline), "input");
  target_scaled = export_scaler (e, nn_pipeline_get_target_scaler (e->pipeline), "target");
  if (!export_layers (e, error))
    return NULL;
  if (strstr (e->calls->str, "  dense(") != NULL)
    g_string_append (s, dense_source);
  append_predict (e, columns, scaled, target_scaled);
  append_named (s, row_source, e->name);
  return g_string_free (g_steal_pointer (&e->src), FALSE);
}

/* Writes @h then @c, each through a temporary file renamed over it; the
 * header goes again when the source cannot be written. */
static gboolean
write_pair (const char *c_path,
            const char *c_text,
            const char *h_path,
            const char *h_text,
            GError    **error)
{
  gboolean had_header = g_file_test (h_path, G_FILE_TEST_EXISTS);

  if (!g_file_set_contents_full (h_path, h_text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                 error))
    return FALSE;
  if (g_file_set_contents_full (c_path, c_text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                error))
    return TRUE;
  if (!had_header)
    g_unlink (h_path);
  return FALSE;
}

/**
 * nn_export_c:
 * @pipeline: a saved model, as nn_pipeline_load() reads it
 * @name: a C identifier, the prefix of every name the files declare
 * @path: the C source to write, ending in `.c`; the header goes beside it
 *   with `.h` for `.c`
 * @error: return location for a #GError
 *
 * Writes @pipeline as C99 with nothing beyond libm:
 * `int NAME_predict(const float *features, float *outputs)` and
 * `int NAME_predict_row(const char *const *cells, float *outputs)`, with
 * the model's preprocessing, weights as `static const` data and no
 * allocation (docs/export.md). Nothing is written when the model has a
 * plugin without a C form (%NN_PLUGIN_ERROR).
 *
 * Returns: %TRUE when both files were written
 */
gboolean
nn_export_c (NnPipeline *pipeline,
             const char *name,
             const char *path,
             GError    **error)
{
  g_autofree char *h_path = NULL;
  g_autofree char *h_base = NULL;
  g_autofree char *h_text = NULL;
  g_autofree char *c_text = NULL;
  g_autoptr(GString) calls = g_string_new (NULL);
  NnColumnTransform *t;
  Export             e = { pipeline, name, g_string_new (NULL), calls, 0 };

  g_return_val_if_fail (NN_IS_PIPELINE (pipeline), FALSE);
  g_return_val_if_fail (name != NULL && path != NULL, FALSE);
  g_return_val_if_fail (g_str_has_suffix (path, ".c"), FALSE);

  t = nn_pipeline_get_transform (pipeline);
  h_path = g_strdup (path);
  h_path[strlen (h_path) - 1] = 'h';
  h_base = g_path_get_basename (h_path);
  h_text = header_text (&e, t);
  c_text = source_text (&e, t, h_base, error);
  if (e.src != NULL)
    g_string_free (e.src, TRUE);
  if (c_text == NULL)
    return FALSE;
  return write_pair (path, c_text, h_path, h_text, error);
}
