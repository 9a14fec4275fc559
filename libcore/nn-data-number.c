/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-dataset-private.h"
#include "nn-errors.h"
#include "nn-limits.h"
#include "nn-real.h"

/* Numbers as data files write them, and the errors that name a field. */

/* A decimal number as written in data files: an optional sign, digits with
 * an optional point, an optional exponent. No hexadecimal, and nan and inf
 * (in any case) are recognised only to be refused. */
NnNumberStatus
nn_data_parse_number (const char *text,
                      double     *out)
{
  const char *p = text;
  gboolean    negative = FALSE, digits = FALSE, integer = TRUE;
  guint64     value = 0;
  guint       n_digits = 0;

  if (*p == '\0')
    return NN_NUMBER_EMPTY;
  if (*p == '+' || *p == '-')
    negative = *p++ == '-';
  if ((*p == 'n' || *p == 'N' || *p == 'i' || *p == 'I') &&
      (g_ascii_strcasecmp (p, "nan") == 0 || g_ascii_strcasecmp (p, "inf") == 0 ||
       g_ascii_strcasecmp (p, "infinity") == 0))
    return NN_NUMBER_NOT_FINITE;
  for (; g_ascii_isdigit (*p); p++, n_digits++)
    {
      value = value * 10 + (guint64) (*p - '0');
      digits = TRUE;
      if (n_digits >= 15)
        integer = FALSE;
    }
  if (*p == '.')
    for (p++, integer = FALSE; g_ascii_isdigit (*p); p++)
      digits = TRUE;
  if (!digits)
    return NN_NUMBER_INVALID;
  if (*p == 'e' || *p == 'E')
    {
      p++;
      integer = FALSE;
      if (*p == '+' || *p == '-')
        p++;
      if (!g_ascii_isdigit (*p))
        return NN_NUMBER_INVALID;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (*p != '\0')
    return NN_NUMBER_INVALID;
  /* Integers of up to 15 digits, the bulk of many data sets (pixels,
   * counts), are exact in a double: no need for strtod. */
  if (integer)
    {
      *out = negative ? -(double) value : (double) value;
      return fabs (*out) > NN_REAL_MAX ? NN_NUMBER_OUT_OF_RANGE : NN_NUMBER_OK;
    }
  *out = g_ascii_strtod (text, NULL);
  if (!isfinite (*out) || fabs (*out) > NN_REAL_MAX)
    return NN_NUMBER_OUT_OF_RANGE;
  return NN_NUMBER_OK;
}

/* A field's text fit for a message: valid UTF-8, and not too long. */
char *
nn_data_display_text (const char *text)
{
  gsize len = strlen (text);

  if (len <= 40)
    return g_utf8_make_valid (text, len);
  {
    g_autofree char *head = g_utf8_make_valid (text, 40);
    return g_strdup_printf ("%s…", head);
  }
}

void
nn_data_set_number_error (GError       **error,
                          NnNumberStatus status,
                          const char    *name,
                          guint          line,
                          guint          column,
                          const char    *text,
                          const char    *column_name)
{
  g_autofree char *shown = nn_data_display_text (text);

  switch (status)
    {
    case NN_NUMBER_EMPTY:
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                   "%s:%u:%u: error: empty value in column '%s' "
                   "(missing values are not supported)",
                   name, line, column, column_name);
      break;
    case NN_NUMBER_INVALID:
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                   "%s:%u:%u: error: '%s' in column '%s' is not a number",
                   name, line, column, shown, column_name);
      break;
    case NN_NUMBER_NOT_FINITE:
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                   "%s:%u:%u: error: '%s' in column '%s' is not a finite number",
                   name, line, column, shown, column_name);
      break;
    case NN_NUMBER_OUT_OF_RANGE:
      g_set_error (error, NN_DATA_ERROR, NN_DATA_ERROR_PARSE,
                   "%s:%u:%u: error: '%s' in column '%s' is out of the range of " NN_REAL_NAME,
                   name, line, column, shown, column_name);
      break;
    case NN_NUMBER_OK:
    default:
      g_assert_not_reached ();
    }
}
