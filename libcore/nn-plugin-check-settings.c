/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the checks of activations and losses (nn-plugin-check.c) and of
 * optimizers (nn-plugin-check-optimizer.c) share: their results, and the
 * settings a class is checked with. */
#include "config.h"

#include <math.h>

#include "nn-errors.h"
#include "nn-layer.h"
#include "nn-param-text.h"
#include "nn-plugin-check.h"
#include "nn-plugin-check-private.h"
#include "nn-registry.h"

/**
 * nn_plugin_check_result_copy:
 * @result: a #NnPluginCheckResult
 *
 * Copies @result.
 *
 * Returns: (transfer full): a copy of @result
 */
NnPluginCheckResult *
nn_plugin_check_result_copy (const NnPluginCheckResult *result)
{
  NnPluginCheckResult *copy;

  g_return_val_if_fail (result != NULL, NULL);

  copy = g_memdup2 (result, sizeof *result);
  copy->name = g_strdup (result->name);
  copy->kind = g_strdup (result->kind);
  copy->setting = g_strdup (result->setting);
  copy->domain = g_strdup (result->domain);
  copy->failure = g_strdup (result->failure);
  return copy;
}

/**
 * nn_plugin_check_result_free:
 * @result: (transfer full): a [struct@Nn.PluginCheckResult]
 *
 * Frees @result.
 */
void
nn_plugin_check_result_free (NnPluginCheckResult *result)
{
  if (result == NULL)
    return;
  g_free (result->name);
  g_free (result->kind);
  g_free (result->setting);
  g_free (result->domain);
  g_free (result->failure);
  g_free (result);
}

/* clang-format off */
G_DEFINE_BOXED_TYPE (NnPluginCheckResult, nn_plugin_check_result,
                     nn_plugin_check_result_copy, nn_plugin_check_result_free)
/* clang-format on */

/* A value of @pspec inside its range and away from its default, or FALSE
 * if there is none or the type is not one a value can be made up for. */
gboolean
nn_plugin_check_alternative_value (GParamSpec *pspec,
                                   GValue     *value)
{
  if (G_IS_PARAM_SPEC_DOUBLE (pspec) || G_IS_PARAM_SPEC_FLOAT (pspec))
    {
      double   d, lo, hi;
      gboolean found = FALSE;
      double   pick = 0;

      if (G_IS_PARAM_SPEC_DOUBLE (pspec))
        {
          GParamSpecDouble *p = G_PARAM_SPEC_DOUBLE (pspec);
          d = p->default_value, lo = p->minimum, hi = p->maximum;
        }
      else
        {
          GParamSpecFloat *p = G_PARAM_SPEC_FLOAT (pspec);
          d = p->default_value, lo = p->minimum, hi = p->maximum;
        }

      {
        const double candidates[] = {
          d != 0 ? 2 * d : 0.5,
          d != 0 ? d / 2 : -0.5,
          d / 2 + hi / 2,
          d / 2 + lo / 2,
        };

        /* Strictly inside the range first: a bound is often degenerate. */
        for (int strict = 1; strict >= 0 && !found; strict--)
          for (gsize i = 0; i < G_N_ELEMENTS (candidates) && !found; i++)
            {
              double c = candidates[i];

              if (c != d && isfinite (c) &&
                  (strict ? (c > lo && c < hi) : (c >= lo && c <= hi)))
                {
                  pick = c;
                  found = TRUE;
                }
            }
      }
      if (!found)
        return FALSE;
      g_value_init (value, G_PARAM_SPEC_VALUE_TYPE (pspec));
      if (G_IS_PARAM_SPEC_DOUBLE (pspec))
        g_value_set_double (value, pick);
      else
        g_value_set_float (value, (float) pick);
      return TRUE;
    }

#define INTEGER_ALTERNATIVE(SPEC, CTYPE, setter) \
  if (G_IS_PARAM_SPEC_##SPEC (pspec)) \
    { \
      GParamSpec##CTYPE *p = G_PARAM_SPEC_##SPEC (pspec); \
      if (p->default_value < p->maximum) \
        { \
          g_value_init (value, G_PARAM_SPEC_VALUE_TYPE (pspec)); \
          setter (value, p->default_value + 1); \
          return TRUE; \
        } \
      if (p->default_value > p->minimum) \
        { \
          g_value_init (value, G_PARAM_SPEC_VALUE_TYPE (pspec)); \
          setter (value, p->default_value - 1); \
          return TRUE; \
        } \
      return FALSE; \
    }

  INTEGER_ALTERNATIVE (INT, Int, g_value_set_int)
  INTEGER_ALTERNATIVE (UINT, UInt, g_value_set_uint)
  INTEGER_ALTERNATIVE (INT64, Int64, g_value_set_int64)
  INTEGER_ALTERNATIVE (UINT64, UInt64, g_value_set_uint64)
  INTEGER_ALTERNATIVE (LONG, Long, g_value_set_long)
  INTEGER_ALTERNATIVE (ULONG, ULong, g_value_set_ulong)
#undef INTEGER_ALTERNATIVE

  if (G_IS_PARAM_SPEC_BOOLEAN (pspec))
    {
      g_value_init (value, G_TYPE_BOOLEAN);
      g_value_set_boolean (value, !G_PARAM_SPEC_BOOLEAN (pspec)->default_value);
      return TRUE;
    }

  if (G_IS_PARAM_SPEC_ENUM (pspec))
    {
      GParamSpecEnum *p = G_PARAM_SPEC_ENUM (pspec);

      for (guint i = 0; i < p->enum_class->n_values; i++)
        if (p->enum_class->values[i].value != p->default_value)
          {
            g_value_init (value, G_PARAM_SPEC_VALUE_TYPE (pspec));
            g_value_set_enum (value, p->enum_class->values[i].value);
            return TRUE;
          }
    }
  return FALSE;
}

/* Checks @type, which must be a class that can be made of @kind (@of_kind
 * says whether it is of that kind), with its default parameters, then with
 * each parameter set away from its default in turn, each setting with
 * @check. */
GPtrArray *
nn_plugin_check_each_setting (GType                type,
                              gboolean             of_kind,
                              const char          *kind,
                              guint32              seed,
                              NnPluginCheckSetting check,
                              GError             **error)
{
  g_autoptr(GPtrArray) results = NULL;
  g_autofree GParamSpec **pspecs = NULL;
  const char             *name;
  guint                   n_pspecs = 0;

  if (!of_kind || G_TYPE_IS_ABSTRACT (type))
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "%s is not %s that can be checked",
                   type ? g_type_name (type) : "(invalid type)", kind);
      return NULL;
    }

  name = nn_registry_get_name (type);
  if (name == NULL)
    name = g_type_name (type);
  pspecs = nn_param_specs_list (type, &n_pspecs);

  results = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_plugin_check_result_free);
  g_ptr_array_add (results, check (type, name, NULL, NULL, seed));
  for (guint i = 0; i < n_pspecs; i++)
    {
      GParamSpec *pspec = pspecs[i];
      GValue      value = G_VALUE_INIT;

      if ((pspec->flags & G_PARAM_WRITABLE) == 0 || (pspec->flags & G_PARAM_DEPRECATED) != 0)
        continue;
      /* A layer's input width is the check's, not a setting. */
      if (pspec->owner_type == NN_TYPE_LAYER)
        continue;
      if (!nn_plugin_check_alternative_value (pspec, &value))
        continue;
      g_ptr_array_add (results, check (type, name, pspec, &value, seed));
      g_value_unset (&value);
    }
  return g_steal_pointer (&results);
}

/* `key=value` as an experiment file would say it. */
char *
nn_plugin_check_setting_label (GParamSpec   *pspec,
                               const GValue *value)
{
  g_autofree char *key = nn_param_spec_get_key (pspec);
  g_autofree char *text = nn_param_value_to_string (value);

  return g_strdup_printf ("%s=%s", key, text);
}

/**
 * nn_plugin_check_all_passed:
 * @results: (element-type NnPluginCheckResult): results of
 *   [func@Nn.plugin_check_type]
 *
 * Whether every result of a plugin check passed.
 *
 * Returns: whether every result passed
 */
gboolean
nn_plugin_check_all_passed (GPtrArray *results)
{
  g_return_val_if_fail (results != NULL, FALSE);

  for (guint i = 0; i < results->len; i++)
    if (!((NnPluginCheckResult *) results->pdata[i])->passed)
      return FALSE;
  return TRUE;
}
