/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rules of experiment text beyond well-formed YAML: what a file may
 * hold, how numbers are written, and which paths config.yaml can record. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-errors.h"
#include "nn-yaml-private.h"

/* Reports @message at @mark of the file, or against the --set override. */
static void
set_text_error (GError           **error,
                const char        *file,
                const char        *assignment,
                const yaml_mark_t *mark,
                const char        *message)
{
  if (assignment != NULL)
    g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_PARSE, "--set %s: error: %s",
                 assignment, message);
  else
    g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_PARSE, "%s:%lu:%lu: error: %s", file,
                 (unsigned long) mark->line + 1, (unsigned long) mark->column + 1, message);
}

/* Checks one event; returns %NULL or what is wrong with it. */
static char *
check_event (const yaml_event_t *event,
             guint              *depth,
             guint              *n_documents,
             guint              *n_nodes,
             guint               max_depth)
{
  if ((event->type == YAML_SCALAR_EVENT || event->type == YAML_SEQUENCE_START_EVENT ||
       event->type == YAML_MAPPING_START_EVENT || event->type == YAML_ALIAS_EVENT) &&
      ++*n_nodes > NN_YAML_MAX_NODES)
    return g_strdup_printf ("more than %u values, lists and mappings", NN_YAML_MAX_NODES);
  switch (event->type)
    {
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
      if (++*depth > max_depth)
        return g_strdup_printf ("nested more than %u levels deep", max_depth);
      break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
      --*depth;
      break;
    case YAML_DOCUMENT_START_EVENT:
      /* libyaml's loader reads the first document and drops the rest. */
      if (++*n_documents > 1)
        return g_strdup ("a second YAML document; the text must hold one");
      break;
    case YAML_SCALAR_EVENT:
      if (event->data.scalar.length > NN_YAML_MAX_SCALAR_LENGTH)
        return g_strdup_printf ("a value of %zu bytes, more than the %u a value may have",
                                event->data.scalar.length, NN_YAML_MAX_SCALAR_LENGTH);
      /* Only an escape ("\0") makes one; the C string would end there. */
      if (memchr (event->data.scalar.value, '\0', event->data.scalar.length) != NULL)
        return g_strdup ("a value holding a NUL character");
      break;
    case YAML_NO_EVENT:
    case YAML_STREAM_START_EVENT:
    case YAML_STREAM_END_EVENT:
    case YAML_DOCUMENT_END_EVENT:
    case YAML_ALIAS_EVENT:
    default:
      break;
    }
  return NULL;
}

/*
 * A first pass over the events of @data, which stops at the first thing
 * the loader must not see: nesting deeper than @max_depth (libyaml's loader
 * has no limit, and its time grows with the square of the depth), more
 * than %NN_YAML_MAX_NODES nodes, a second document, an overlong value or a
 * NUL. Errors name FILE:LINE:COLUMN, or the
 * override when @assignment is given.
 */
gboolean
nn_yaml_check_text (const char *data,
                    gsize       length,
                    guint       max_depth,
                    const char *file,
                    const char *assignment,
                    GError    **error)
{
  yaml_parser_t parser;
  guint         depth = 0, n_documents = 0, n_nodes = 0;
  gboolean      done = FALSE, ok = TRUE;

  yaml_parser_initialize (&parser);
  yaml_parser_set_input_string (&parser, (const unsigned char *) data, length);
  while (ok && !done)
    {
      g_autofree char *problem = NULL;
      yaml_event_t     event;

      if (!yaml_parser_parse (&parser, &event))
        {
          if (assignment != NULL)
            problem = g_strdup_printf ("the value is not valid YAML: %s",
                                       parser.problem ? parser.problem : "malformed");
          else
            problem = g_strdup_printf ("%s%s%s",
                                       parser.problem ? parser.problem : "malformed YAML",
                                       parser.context ? " " : "",
                                       parser.context ? parser.context : "");
          set_text_error (error, file, assignment, &parser.problem_mark, problem);
          ok = FALSE;
          break;
        }
      done = event.type == YAML_STREAM_END_EVENT;
      problem = check_event (&event, &depth, &n_documents, &n_nodes, max_depth);
      if (problem != NULL)
        {
          set_text_error (error, file, assignment, &event.start_mark, problem);
          ok = FALSE;
        }
      yaml_event_delete (&event);
    }
  yaml_parser_delete (&parser);
  return ok;
}

/* ---- numbers ------------------------------------------------------------- */

static gsize
count_digits (const char *s)
{
  gsize n = 0;

  while (g_ascii_isdigit (s[n]))
    n++;
  return n;
}

/*
 * Reads a number written as YAML 1.2's core schema writes it in decimal:
 * [-+]?(.[0-9]+|[0-9]+(.[0-9]*)?)([eE][-+]?[0-9]+)?, or .inf, -.inf, .nan
 * and their capitalised spellings. What g_ascii_strtod() takes besides
 * (hexadecimal, `inf`, `nan`, spaces) is not a number here.
 */
gboolean
nn_yaml_parse_number (const char *s,
                      double     *out)
{
  const char *p = s;
  gsize       int_digits, frac_digits = 0;

  if (s == NULL)
    return FALSE;
  if (g_str_equal (s, ".nan") || g_str_equal (s, ".NaN") || g_str_equal (s, ".NAN"))
    {
      *out = NAN;
      return TRUE;
    }
  if (*p == '+' || *p == '-')
    p++;
  if (g_str_equal (p, ".inf") || g_str_equal (p, ".Inf") || g_str_equal (p, ".INF"))
    {
      *out = *s == '-' ? -INFINITY : INFINITY;
      return TRUE;
    }
  int_digits = count_digits (p);
  p += int_digits;
  if (*p == '.')
    {
      frac_digits = count_digits (++p);
      p += frac_digits;
    }
  if (int_digits == 0 && frac_digits == 0)
    return FALSE;
  if (*p == 'e' || *p == 'E')
    {
      gsize exp_digits;

      p++;
      if (*p == '+' || *p == '-')
        p++;
      if ((exp_digits = count_digits (p)) == 0)
        return FALSE;
      p += exp_digits;
    }
  if (*p != '\0')
    return FALSE;
  *out = g_ascii_strtod (s, NULL);
  return TRUE;
}

/* Reads [-+]?[0-9]+, the core schema's decimal integer; a magnitude past
 * G_MAXUINT64 is kept as @overflow, out of every range. */
gboolean
nn_yaml_parse_integer (const char    *s,
                       NnYamlInteger *out)
{
  const char *p = s;

  if (s == NULL)
    return FALSE;
  memset (out, 0, sizeof *out);
  if (*p == '+' || *p == '-')
    out->negative = *p++ == '-';
  if (!g_ascii_isdigit (*p))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    {
      guint digit = (guint) (*p - '0');

      if (out->magnitude > (G_MAXUINT64 - digit) / 10)
        out->overflow = TRUE;
      else
        out->magnitude = out->magnitude * 10 + digit;
    }
  if (out->negative && out->magnitude == 0 && !out->overflow)
    out->negative = FALSE; /* -0 */
  return *p == '\0';
}

gboolean
nn_yaml_integer_to_unsigned (const NnYamlInteger *v,
                             guint64              min,
                             guint64              max,
                             guint64             *out)
{
  if (v->overflow || v->negative || v->magnitude < min || v->magnitude > max)
    return FALSE;
  *out = v->magnitude;
  return TRUE;
}

gboolean
nn_yaml_integer_to_signed (const NnYamlInteger *v,
                           gint64               min,
                           gint64               max,
                           gint64              *out)
{
  gint64 value;

  if (v->overflow)
    return FALSE;
  if (v->negative)
    {
      /* -2^63 is the one magnitude past G_MAXINT64 that fits. */
      if (v->magnitude > (guint64) G_MAXINT64 + 1)
        return FALSE;
      value = v->magnitude == (guint64) G_MAXINT64 + 1 ? G_MININT64 : -(gint64) v->magnitude;
    }
  else
    {
      if (v->magnitude > (guint64) G_MAXINT64)
        return FALSE;
      value = (gint64) v->magnitude;
    }
  if (value < min || value > max)
    return FALSE;
  *out = value;
  return TRUE;
}

/* ---- paths --------------------------------------------------------------- */

/*
 * A path that config.yaml will record must be UTF-8: YAML holds text, and
 * no escape brings back bytes that are not, so the name of a file in a
 * folder such as "d\xfe" is refused where it was given.
 */
gboolean
nn_yaml_check_path (NnYamlDoc   *doc,
                    yaml_node_t *node,
                    const char  *what,
                    const char  *path,
                    GError     **error)
{
  g_autofree char *shown = NULL;

  if (g_utf8_validate (path, -1, NULL))
    return TRUE;
  shown = g_filename_display_name (path);
  nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                     "%s: the path '%s' is not valid UTF-8, so a run's config.yaml could not "
                     "record it; rename the file or folder",
                     what, shown);
  return FALSE;
}
