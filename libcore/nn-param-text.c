/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn-param-text.h"
#include "nn-param-text-private.h"

/*
 * The parameters of a class are its writable GObject properties. What they
 * are called in an experiment file, their type, their range and their
 * values as text are said here only, for the YAML reader's errors, `nnrun
 * plugins NAME` and check-plugin's settings alike, as GStreamer's
 * gstutils.c serves gst-launch and gst-inspect: they cannot disagree.
 */

static int
compare_pspec_names (gconstpointer a,
                     gconstpointer b)
{
  return strcmp ((*(GParamSpec * const *) a)->name, (*(GParamSpec * const *) b)->name);
}

/**
 * nn_param_specs_list:
 * @type: a #GObject type
 * @n_pspecs: (out): return location for the number of properties
 *
 * Lists the properties of @type an experiment file can set.
 *
 * Returns: (transfer container) (array length=n_pspecs): the properties of
 *   @type, sorted by name
 */
GParamSpec **
nn_param_specs_list (GType  type,
                     guint *n_pspecs)
{
  GObjectClass *klass;
  GParamSpec  **pspecs;

  g_return_val_if_fail (g_type_is_a (type, G_TYPE_OBJECT), NULL);
  g_return_val_if_fail (n_pspecs != NULL, NULL);

  /* The class, and so its properties, stay: static classes are never
   * finalized, and plugin modules are never unloaded. */
  klass = g_type_class_ref (type);
  pspecs = g_object_class_list_properties (klass, n_pspecs);
  g_type_class_unref (klass);
  qsort (pspecs, *n_pspecs, sizeof *pspecs, compare_pspec_names);
  return pspecs;
}

/**
 * nn_param_spec_get_key:
 * @pspec: a property
 *
 * Gets the key that sets @pspec in an experiment file.
 *
 * Returns: (transfer full): the key that sets @pspec in an experiment file:
 *   its name with `_` for `-` (`learning_rate` for `learning-rate`)
 */
char *
nn_param_spec_get_key (GParamSpec *pspec)
{
  g_return_val_if_fail (G_IS_PARAM_SPEC (pspec), NULL);

  return g_strdelimit (g_strdup (pspec->name), "-", '_');
}

/**
 * nn_param_key_to_property_name:
 * @key: a key of an experiment file, such as `learning_rate`
 *
 * Converts a key of an experiment file to the name of the property it sets.
 *
 * Returns: (transfer full): the name of the property @key sets, such as
 *   `learning-rate`
 */
char *
nn_param_key_to_property_name (const char *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  return g_strdelimit (g_strdup (key), "_", '-');
}

/**
 * nn_param_spec_get_type_word:
 * @pspec: a property
 *
 * Gets the type of @pspec as a user reads it.
 *
 * Returns: (transfer none): the type of @pspec as a user reads it:
 *   `number`, `integer`, `boolean`, `choice`, `string`, or the name of
 *   another type
 */
const char *
nn_param_spec_get_type_word (GParamSpec *pspec)
{
  GType t;

  g_return_val_if_fail (G_IS_PARAM_SPEC (pspec), NULL);

  t = G_PARAM_SPEC_VALUE_TYPE (pspec);
  if (t == G_TYPE_DOUBLE || t == G_TYPE_FLOAT)
    return "number";
  if (t == G_TYPE_INT || t == G_TYPE_UINT || t == G_TYPE_INT64 || t == G_TYPE_UINT64 ||
      t == G_TYPE_LONG || t == G_TYPE_ULONG)
    return "integer";
  if (t == G_TYPE_BOOLEAN)
    return "boolean";
  if (G_TYPE_IS_ENUM (t))
    return "choice";
  if (t == G_TYPE_STRING)
    return "string";
  return g_type_name (t);
}

/* The shortest text of at least @min_digits significant digits (6, as %g
 * has) that reads back as @value, as a double or, with @as_float, as a
 * float: what is shown is exactly what is used. */
static char *
format_number (double   value,
               gboolean as_float)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (int digits = 6; digits <= 17; digits++)
    {
      char   format[8];
      double back;

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, value);
      back = g_ascii_strtod (buf, NULL);
      if (as_float ? (float) back == (float) value : back == value)
        break;
    }
  return g_strdup (buf);
}

/**
 * nn_param_format_double:
 * @value: a number
 *
 * Formats @value as `nnrun` shows numbers.
 *
 * Returns: (transfer full): @value as `nnrun` shows it: as `%g` does, with
 *   more digits where six do not read back as @value
 */
char *
nn_param_format_double (double value)
{
  return format_number (value, FALSE);
}

/**
 * nn_param_format_real:
 * @value: a number of the scalar type
 *
 * Formats @value as the shortest text that reads back as the same #NnReal.
 *
 * Returns: (transfer full): the shortest text of @value that reads back as
 *   the same #nn_real, so that a float build writes `0.49671415` and not
 *   `0.4967141449451447`
 */
char *
nn_param_format_real (nn_real value)
{
  return format_number (value, sizeof (nn_real) == sizeof (float));
}

/**
 * nn_param_value_to_string:
 * @value: a value of a property
 *
 * Formats @value as an experiment file would spell it.
 *
 * Returns: (transfer full): @value as an experiment file would spell it:
 *   a number, `true` or `false`, the nick of a choice, a quoted string or
 *   `none`
 */
char *
nn_param_value_to_string (const GValue *value)
{
  g_return_val_if_fail (G_IS_VALUE (value), NULL);

  if (G_VALUE_HOLDS_DOUBLE (value))
    return format_number (g_value_get_double (value), FALSE);
  if (G_VALUE_HOLDS_FLOAT (value))
    return format_number (g_value_get_float (value), TRUE);
  if (G_VALUE_HOLDS_BOOLEAN (value))
    return g_strdup (g_value_get_boolean (value) ? "true" : "false");
  if (G_VALUE_HOLDS_ENUM (value))
    {
      g_autoptr(GEnumClass) klass = g_type_class_ref (G_VALUE_TYPE (value));
      GEnumValue *ev = g_enum_get_value (klass, g_value_get_enum (value));

      return g_strdup (ev ? ev->value_nick : "?");
    }
  if (G_VALUE_HOLDS_STRING (value))
    return g_value_get_string (value) ? g_strdup_printf ("'%s'", g_value_get_string (value))
                                      : g_strdup ("none");
  if (g_value_type_transformable (G_VALUE_TYPE (value), G_TYPE_STRING))
    {
      GValue str = G_VALUE_INIT;
      char  *text;

      g_value_init (&str, G_TYPE_STRING);
      g_value_transform (value, &str);
      text = g_value_dup_string (&str);
      g_value_unset (&str);
      return text;
    }
  return g_strdup ("?");
}

typedef struct
{
  char    *lo, *hi; /* NULL where the type's own limit is the bound */
  gboolean lo_strict, hi_strict;
} Bounds;

static void
bounds_clear (Bounds *b)
{
  g_free (b->lo);
  g_free (b->hi);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Bounds, bounds_clear)

/* A bound of a number property as text. A class that means "below 1"
 * sets the double next to 1 as its maximum, and one that means "above 0"
 * the smallest normal double as its minimum: that is said as the short
 * number, with *@strict set, where its digits would hide it. */
static char *
number_bound (double    bound,
              gboolean  as_float,
              gboolean *strict)
{
  char   buf[G_ASCII_DTOSTR_BUF_SIZE];
  double near;

  g_ascii_formatd (buf, sizeof buf, "%g", bound);
  near = g_ascii_strtod (buf, NULL);
  if (as_float)
    *strict = (float) near != (float) bound &&
              nextafterf ((float) near, (float) bound) == (float) bound;
  else
    *strict = near != bound && nextafter (near, bound) == bound;
  if (!*strict && bound > 0 && bound <= (as_float ? G_MINFLOAT : G_MINDOUBLE))
    {
      *strict = TRUE;
      return g_strdup ("0");
    }
  return *strict ? g_strdup (buf) : format_number (bound, as_float);
}

/* The bounds of a numeric @pspec as text. FALSE for a property that has no
 * numeric range. */
static gboolean
get_bounds (GParamSpec *pspec,
            Bounds     *b)
{
#define NUMBER_BOUNDS(min, max, limit, as_float) \
  (b->lo = (min) <= -(limit) ? NULL : number_bound ((min), (as_float), &b->lo_strict), \
   b->hi = (max) >= (limit) ? NULL : number_bound ((max), (as_float), &b->hi_strict), TRUE)
#define INTEGER_BOUNDS(SPEC, lo_limit, hi_limit, fmt) \
  if (G_IS_PARAM_SPEC_##SPEC (pspec)) \
    { \
      b->lo = G_PARAM_SPEC_##SPEC (pspec)->minimum <= (lo_limit) \
                ? NULL \
                : g_strdup_printf (fmt, G_PARAM_SPEC_##SPEC (pspec)->minimum); \
      b->hi = G_PARAM_SPEC_##SPEC (pspec)->maximum >= (hi_limit) \
                ? NULL \
                : g_strdup_printf (fmt, G_PARAM_SPEC_##SPEC (pspec)->maximum); \
      return TRUE; \
    }

  if (G_IS_PARAM_SPEC_DOUBLE (pspec))
    return NUMBER_BOUNDS (G_PARAM_SPEC_DOUBLE (pspec)->minimum,
                          G_PARAM_SPEC_DOUBLE (pspec)->maximum, G_MAXDOUBLE, FALSE);
  if (G_IS_PARAM_SPEC_FLOAT (pspec))
    return NUMBER_BOUNDS ((double) G_PARAM_SPEC_FLOAT (pspec)->minimum,
                          (double) G_PARAM_SPEC_FLOAT (pspec)->maximum, G_MAXFLOAT, TRUE);
  INTEGER_BOUNDS (INT, G_MININT, G_MAXINT, "%d")
  INTEGER_BOUNDS (UINT, 0, G_MAXUINT, "%u")
  INTEGER_BOUNDS (INT64, G_MININT64, G_MAXINT64, "%" G_GINT64_FORMAT)
  INTEGER_BOUNDS (UINT64, 0, G_MAXUINT64, "%" G_GUINT64_FORMAT)
  INTEGER_BOUNDS (LONG, G_MINLONG, G_MAXLONG, "%ld")
  INTEGER_BOUNDS (ULONG, 0, G_MAXULONG, "%lu")
  return FALSE;
#undef NUMBER_BOUNDS
#undef INTEGER_BOUNDS
}

/* The allowed values of @pspec, a range bounded on both sides said `from
 * LO to HI`, or in a @sentence `between LO and HI`; NULL where the type
 * says it all. */
static char *
describe_range (GParamSpec *pspec,
                gboolean    sentence)
{
  g_auto(Bounds) b = { NULL };
  GString *text;

  if (G_IS_PARAM_SPEC_ENUM (pspec))
    {
      GEnumClass *klass = G_PARAM_SPEC_ENUM (pspec)->enum_class;

      text = g_string_new ("one of ");
      for (guint i = 0; i < klass->n_values; i++)
        g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", klass->values[i].value_nick);
      return g_string_free (text, FALSE);
    }
  if (!get_bounds (pspec, &b))
    return NULL;
  /* "must be <= 10, not -2" would read as if -2 were fine. */
  if (sentence && b.lo == NULL && b.hi != NULL &&
      (G_IS_PARAM_SPEC_UINT (pspec) || G_IS_PARAM_SPEC_ULONG (pspec) ||
       G_IS_PARAM_SPEC_UINT64 (pspec)))
    b.lo = g_strdup ("0");
  if (b.lo == NULL && b.hi == NULL)
    return g_strdup ("any");
  if (b.hi == NULL)
    return g_strdup_printf ("%s %s", b.lo_strict ? ">" : ">=", b.lo);
  if (b.lo == NULL)
    return g_strdup_printf ("%s %s", b.hi_strict ? "<" : "<=", b.hi);

  text = g_string_new (NULL);
  g_string_printf (text, sentence ? "between %s and %s" : "from %s to %s", b.lo, b.hi);
  if (b.lo_strict && b.hi_strict)
    g_string_append_printf (text, ", %s and %s excluded", b.lo, b.hi);
  else if (b.lo_strict || b.hi_strict)
    g_string_append_printf (text, ", %s excluded", b.lo_strict ? b.lo : b.hi);
  return g_string_free (text, FALSE);
}

/**
 * nn_param_spec_describe_range:
 * @pspec: a property
 *
 * Describes the values @pspec allows, for listings and error messages.
 *
 * Returns: (transfer full) (nullable): the values @pspec allows, such as
 *   `from 0 to 1`, `>= 0`, `any` or `one of min, max`, or %NULL where its
 *   type says it all (a boolean, a string)
 */
char *
nn_param_spec_describe_range (GParamSpec *pspec)
{
  g_return_val_if_fail (G_IS_PARAM_SPEC (pspec), NULL);

  return describe_range (pspec, FALSE);
}

/* The same, for "... must be RANGE, not VALUE": `between 0 and 1`. */
char *
nn_param_spec_describe_bounds (GParamSpec *pspec)
{
  char *range = describe_range (pspec, TRUE);

  return range ? range : g_strdup ("a valid value");
}
