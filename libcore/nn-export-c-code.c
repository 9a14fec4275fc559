/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn-errors.h"
#include "nn-export-c-private.h"
#include "nn-plugins.h"

/* Numbers and activations as C99 source, for nn-export-c.c. Each
 * activation is the formula of its plugin, in float. */

/* The shortest decimal that reads back as @value, as a float literal. */
void
nn_export_c_append_float (GString *out,
                          float    value)
{
  char buf[32];

  for (int digits = 1; digits <= 9; digits++)
    {
      g_snprintf (buf, sizeof buf, "%.*g", digits, (double) value);
      if (strtof (buf, NULL) == value)
        break;
    }
  g_string_append (out, buf);
  if (strpbrk (buf, ".e") == NULL)
    g_string_append_c (out, '.');
  g_string_append_c (out, 'f');
}

void
nn_export_c_append_double (GString *out,
                           double   value)
{
  char buf[40];

  for (int digits = 1; digits <= 17; digits++)
    {
      g_snprintf (buf, sizeof buf, "%.*g", digits, value);
      if (strtod (buf, NULL) == value)
        break;
    }
  g_string_append (out, buf);
  if (strpbrk (buf, ".e") == NULL)
    g_string_append_c (out, '.');
}

/* `static const TYPE NAME[N] = { ... };`, a line per ten values. */
static void
append_array_start (GString    *out,
                    const char *type,
                    const char *name,
                    gsize       n)
{
  g_string_append_printf (out, "static const %s %s[%" G_GSIZE_FORMAT "] = {", type, name,
                          MAX (n, 1));
  if (n == 0)
    g_string_append (out, " 0");
}

void
nn_export_c_append_floats (GString     *out,
                           const char  *name,
                           const float *values,
                           gsize        n)
{
  append_array_start (out, "float", name, n);
  for (gsize i = 0; i < n; i++)
    {
      g_string_append (out, i % 10 == 0 ? "\n  " : " ");
      nn_export_c_append_float (out, values[i]);
      if (i + 1 < n)
        g_string_append_c (out, ',');
    }
  g_string_append (out, "\n};\n");
}

void
nn_export_c_append_doubles (GString      *out,
                            const char   *name,
                            const double *values,
                            gsize         n)
{
  append_array_start (out, "double", name, n);
  for (gsize i = 0; i < n; i++)
    {
      g_string_append (out, i % 10 == 0 ? "\n  " : " ");
      nn_export_c_append_double (out, values[i]);
      if (i + 1 < n)
        g_string_append_c (out, ',');
    }
  g_string_append (out, "\n};\n");
}

static double
get_double (NnActivation *activation,
            const char   *property)
{
  double value = 0;

  g_object_get (activation, property, &value, NULL);
  return value;
}

/* The body of the loop over v[i] of an element-wise built-in, with the
 * activation's parameters as literals, or NULL. */
static char *
elementwise_body (NnActivation *activation,
                  const char   *type)
{
  GString *body = g_string_new (NULL);

  if (g_str_equal (type, "NnSigmoidActivation"))
    g_string_append (body, "float x = v[i];\n"
                           "    if (x >= 0) {\n"
                           "      v[i] = 1 / (1 + expf(-x));\n"
                           "    } else {\n"
                           "      float e = expf(x);\n"
                           "      v[i] = e / (1 + e);\n"
                           "    }");
  else if (g_str_equal (type, "NnTanhActivation"))
    g_string_append (body, "v[i] = tanhf(v[i]);");
  else if (g_str_equal (type, "NnReluActivation"))
    g_string_append (body, "v[i] = v[i] > 0 ? v[i] : 0;");
  else if (g_str_equal (type, "NnLeakyReluActivation"))
    {
      g_string_append (body, "v[i] = v[i] > 0 ? v[i] : ");
      nn_export_c_append_float (body, (float) get_double (activation, "alpha"));
      g_string_append (body, " * v[i];");
    }
  else if (g_str_equal (type, "NnEluActivation"))
    {
      g_string_append (body, "v[i] = v[i] > 0 ? v[i] : ");
      nn_export_c_append_float (body, (float) get_double (activation, "alpha"));
      g_string_append (body, " * expm1f(v[i]);");
    }
  else if (g_str_equal (type, "NnSoftplusActivation"))
    {
      double beta = get_double (activation, "beta");

      g_string_append (body, "float x = ");
      nn_export_c_append_float (body, (float) beta);
      g_string_append (body, " * v[i];\n    if ((double) x <= ");
      nn_export_c_append_double (body, get_double (activation, "threshold"));
      g_string_append (body, ")\n      v[i] = ((x > 0 ? x : 0) + log1pf(expf(-fabsf(x)))) * ");
      nn_export_c_append_float (body, (float) (1.0 / beta));
      g_string_append (body, ";");
    }
  else if (g_str_equal (type, "NnGeluActivation"))
    g_string_append (body, "v[i] = 0.5f * v[i] * erfcf(-v[i] * 1.41421356237f / 2);");
  else if (g_str_equal (type, "NnSiluActivation"))
    g_string_append (body, "float e = expf(-fabsf(v[i]));\n"
                           "    float inv = 1 / (1 + e);\n"
                           "    v[i] = v[i] * (v[i] >= 0 ? inv : e * inv);");
  else
    return g_string_free (body, TRUE), NULL;
  return g_string_free (body, FALSE);
}

static const char softmax_source[] =
  "(float *v, int n)\n"
  "{\n"
  "  float max = v[0], sum = 0, scale;\n"
  "  int i;\n"
  "  for (i = 1; i < n; i++)\n"
  "    max = v[i] > max ? v[i] : max;\n"
  "  for (i = 0; i < n; i++) {\n"
  "    v[i] = expf(v[i] - max);\n"
  "    sum += v[i];\n"
  "  }\n"
  "  scale = 1 / sum;\n"
  "  for (i = 0; i < n; i++)\n"
  "    v[i] *= scale;\n"
  "}\n";

/*
 * Appends `static void FUNCTION(float *v, int n)`, @activation applied in
 * place to the @n values of one sample; nothing for linear (FUNCTION is
 * then not called). A plugin's activation gives its own through
 * NnActivationClass.to_c, or has no C form.
 */
gboolean
nn_export_c_activation (NnActivation *activation,
                        const char   *function,
                        GString      *out,
                        GError      **error)
{
  const char        *type = G_OBJECT_TYPE_NAME (activation);
  NnActivationClass *klass = NN_ACTIVATION_GET_CLASS (activation);
  g_autofree char   *body = NULL;
  g_autofree char   *own = NULL;
  const char        *file;

  if (g_str_equal (type, "NnLinearActivation"))
    return TRUE;
  if (g_str_equal (type, "NnSoftmaxActivation"))
    {
      g_string_append_printf (out, "\nstatic void\n%s%s", function, softmax_source);
      return TRUE;
    }
  body = elementwise_body (activation, type);
  if (body != NULL)
    {
      g_string_append_printf (out, "\nstatic void\n%s(float *v, int n)\n{\n"
                                   "  int i;\n  for (i = 0; i < n; i++) {\n    %s\n  }\n}\n",
                              function, body);
      return TRUE;
    }
  if (klass->to_c != NULL && (own = klass->to_c (activation, function)) != NULL)
    {
      g_string_append_c (out, '\n');
      g_string_append (out, own);
      return TRUE;
    }
  file = nn_plugins_get_file_for_type (G_OBJECT_TYPE (activation));
  g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_FAILED,
               "activation '%s' (%s, from %s) has no C form: its class can give one by "
               "setting NnActivationClass.to_c to a function returning the C99 source of "
               "'static void FUNCTION(float *v, int n)', which applies it in place",
               nn_activation_get_name (activation), type, file != NULL ? file : "the program");
  return FALSE;
}
