/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing YAML with libyaml's emitter, so that quoting is always right. */
#include "config.h"

#include <string.h>

#include "nn-errors.h"
#include "nn-param-text.h"
#include "nn-yaml-private.h"

struct _NnYamlWriter
{
  yaml_emitter_t emitter;
  GString       *out;
  GError        *error; /* the first failure; nothing is emitted after it */
};

static int
write_to_gstring (void          *data,
                  unsigned char *buffer,
                  size_t         size)
{
  g_string_append_len (data, (const char *) buffer, (gssize) size);
  return 1;
}

static void
writer_fail (NnYamlWriter *w,
             const char   *message)
{
  if (w->error == NULL)
    w->error = g_error_new (NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE, "%s", message);
}

/* Emits @event, made by a yaml_*_event_initialize() that returned @made. */
static void
emit (NnYamlWriter *w,
      yaml_event_t *event,
      int           made)
{
  if (!made)
    {
      writer_fail (w, "the YAML emitter could not make an event");
      return;
    }
  if (w->error != NULL)
    {
      yaml_event_delete (event);
      return;
    }
  /* The emitter owns the event now, even when it fails. */
  if (!yaml_emitter_emit (&w->emitter, event))
    {
      g_autofree char *message = g_strdup_printf ("the YAML emitter failed: %s",
                                                  w->emitter.problem ? w->emitter.problem
                                                                     : "no reason given");
      writer_fail (w, message);
    }
}

NnYamlWriter *
nn_yaml_writer_new (void)
{
  NnYamlWriter *w = g_new0 (NnYamlWriter, 1);
  yaml_event_t  event;

  w->out = g_string_new (NULL);
  yaml_emitter_initialize (&w->emitter);
  yaml_emitter_set_output (&w->emitter, write_to_gstring, w->out);
  yaml_emitter_set_unicode (&w->emitter, 1);
  yaml_emitter_set_width (&w->emitter, 100);
  emit (w, &event, yaml_stream_start_event_initialize (&event, YAML_UTF8_ENCODING));
  emit (w, &event, yaml_document_start_event_initialize (&event, NULL, NULL, NULL, 1));
  return w;
}

void
nn_yaml_writer_free (NnYamlWriter *w)
{
  if (w == NULL)
    return;
  yaml_emitter_delete (&w->emitter);
  if (w->out != NULL)
    g_string_free (w->out, TRUE);
  g_clear_error (&w->error);
  g_free (w);
}

/* Returns: (transfer full) (nullable): the document, consuming @w; %NULL
 * with @error set when a string was not valid UTF-8, which YAML cannot
 * hold, or the emitter failed */
char *
nn_yaml_writer_finish (NnYamlWriter *w,
                       GError      **error)
{
  yaml_event_t event;
  char        *text;

  emit (w, &event, yaml_document_end_event_initialize (&event, 1));
  emit (w, &event, yaml_stream_end_event_initialize (&event));
  if (w->error == NULL && !yaml_emitter_flush (&w->emitter))
    writer_fail (w, "the YAML emitter could not flush its output");
  if (w->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&w->error));
      nn_yaml_writer_free (w);
      return NULL;
    }
  text = g_string_free (g_steal_pointer (&w->out), FALSE);
  nn_yaml_writer_free (w);
  return text;
}

void
nn_yaml_writer_begin_mapping (NnYamlWriter *w,
                              gboolean      flow)
{
  yaml_event_t event;

  emit (w, &event,
        yaml_mapping_start_event_initialize (&event, NULL, NULL, 1,
                                             flow ? YAML_FLOW_MAPPING_STYLE
                                                  : YAML_BLOCK_MAPPING_STYLE));
}

void
nn_yaml_writer_end_mapping (NnYamlWriter *w)
{
  yaml_event_t event;

  emit (w, &event, yaml_mapping_end_event_initialize (&event));
}

void
nn_yaml_writer_begin_sequence (NnYamlWriter *w,
                               gboolean      flow)
{
  yaml_event_t event;

  emit (w, &event,
        yaml_sequence_start_event_initialize (&event, NULL, NULL, 1,
                                              flow ? YAML_FLOW_SEQUENCE_STYLE
                                                   : YAML_BLOCK_SEQUENCE_STYLE));
}

void
nn_yaml_writer_end_sequence (NnYamlWriter *w)
{
  yaml_event_t event;

  emit (w, &event, yaml_sequence_end_event_initialize (&event));
}

static void
emit_scalar (NnYamlWriter       *w,
             const char         *text,
             yaml_scalar_style_t style)
{
  yaml_event_t event;

  /* libyaml would refuse to make the event, and leave it unset. */
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_autofree char *shown = g_utf8_make_valid (text, -1);
      g_autofree char *message = g_strdup_printf ("'%s' is not valid UTF-8", shown);

      writer_fail (w, message);
      return;
    }
  emit (w, &event,
        yaml_scalar_event_initialize (&event, NULL, NULL, (yaml_char_t *) text,
                                      (int) strlen (text), 1, 1, style));
}

/* Whether another reader could take @s for a number: what this one takes,
 * and whatever g_ascii_strtod() does (hexadecimal, inf, nan). */
static gboolean
looks_like_number (const char *s)
{
  char  *end = NULL;
  double d;

  if (nn_yaml_parse_number (s, &d))
    return TRUE;
  d = g_ascii_strtod (s, &end);
  return end != s && *end == '\0';
}

/* A string that would read back as a number, a boolean or null is quoted. */
void
nn_yaml_writer_string (NnYamlWriter *w,
                       const char   *value)
{
  static const char * const special[] = {
    "true", "false", "yes", "no", "on", "off", "null", "~", "True", "False", "Null", NULL
  };
  gboolean quote = *value == '\0' || g_strv_contains (special, value) ||
                   looks_like_number (value);

  emit_scalar (w, value, quote ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
}

/* Returns: (transfer full): the shortest of %.15g, %.16g and %.17g that
 * reads back as @value */
char *
nn_format_double (double value)
{
  static const char * const formats[] = { "%.15g", "%.16g", "%.17g" };
  char                      buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buf, sizeof buf, formats[i], value);
      if (g_ascii_strtod (buf, NULL) == value)
        break;
    }
  return g_strdup (buf);
}

void
nn_yaml_writer_double (NnYamlWriter *w,
                       double        value)
{
  g_autofree char *text = nn_format_double (value);

  emit_scalar (w, text, YAML_PLAIN_SCALAR_STYLE);
}

/* The shortest decimal that reads back as the same nn_real, so a float
 * build writes 0.49671415 and not 0.4967141449451447. */
void
nn_yaml_writer_real (NnYamlWriter *w,
                     nn_real       value)
{
  g_autofree char *text = nn_param_format_real (value);

  emit_scalar (w, text, YAML_PLAIN_SCALAR_STYLE);
}

void
nn_yaml_writer_uint (NnYamlWriter *w,
                     guint64       value)
{
  char buf[32];

  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, value);
  emit_scalar (w, buf, YAML_PLAIN_SCALAR_STYLE);
}

void
nn_yaml_writer_bool (NnYamlWriter *w,
                     gboolean      value)
{
  emit_scalar (w, value ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
}

/* An enumeration value by its nick, as an experiment or model file names
 * it. */
void
nn_yaml_writer_enum (NnYamlWriter *w,
                     GType         type,
                     gint          value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);

  nn_yaml_writer_string (w, g_enum_get_value (klass, value)->value_nick);
}

void
nn_yaml_writer_value (NnYamlWriter *w,
                      const GValue *value)
{
  GType type = G_VALUE_TYPE (value);

  if (type == G_TYPE_DOUBLE)
    nn_yaml_writer_double (w, g_value_get_double (value));
  else if (type == G_TYPE_FLOAT)
    nn_yaml_writer_double (w, g_value_get_float (value));
  else if (type == G_TYPE_INT)
    {
      char buf[32];
      g_snprintf (buf, sizeof buf, "%d", g_value_get_int (value));
      emit_scalar (w, buf, YAML_PLAIN_SCALAR_STYLE);
    }
  else if (type == G_TYPE_INT64)
    {
      char buf[32];
      g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, g_value_get_int64 (value));
      emit_scalar (w, buf, YAML_PLAIN_SCALAR_STYLE);
    }
  else if (type == G_TYPE_UINT)
    nn_yaml_writer_uint (w, g_value_get_uint (value));
  else if (type == G_TYPE_UINT64)
    nn_yaml_writer_uint (w, g_value_get_uint64 (value));
  else if (type == G_TYPE_BOOLEAN)
    nn_yaml_writer_bool (w, g_value_get_boolean (value));
  else if (G_TYPE_IS_ENUM (type))
    {
      g_autoptr(GEnumClass) klass = g_type_class_ref (type);
      GEnumValue *v = g_enum_get_value (klass, g_value_get_enum (value));
      nn_yaml_writer_string (w, v ? v->value_nick : "");
    }
  else if (type == G_TYPE_STRING)
    nn_yaml_writer_string (w, g_value_get_string (value) ? g_value_get_string (value) : "");
  else
    emit_scalar (w, "null", YAML_PLAIN_SCALAR_STYLE);
}

/* Writes `{name: NAME, property: value, ...}` with every writable property,
 * the inverse of nn_yaml_new_object(). */
void
nn_yaml_writer_object (NnYamlWriter *w,
                       GObject      *object,
                       const char   *name)
{
  guint                   n_props = 0;
  g_autofree GParamSpec **props = g_object_class_list_properties (G_OBJECT_GET_CLASS (object),
                                                                  &n_props);

  nn_yaml_writer_begin_mapping (w, TRUE);
  if (name != NULL)
    {
      nn_yaml_writer_string (w, "name");
      nn_yaml_writer_string (w, name);
    }
  for (guint i = 0; i < n_props; i++)
    {
      GValue           value = G_VALUE_INIT;
      g_autofree char *key = NULL;

      if (!(props[i]->flags & G_PARAM_WRITABLE) || !(props[i]->flags & G_PARAM_READABLE))
        continue;
      key = nn_param_spec_get_key (props[i]);
      g_value_init (&value, G_PARAM_SPEC_VALUE_TYPE (props[i]));
      g_object_get_property (object, props[i]->name, &value);
      nn_yaml_writer_string (w, key);
      nn_yaml_writer_value (w, &value);
      g_value_unset (&value);
    }
  nn_yaml_writer_end_mapping (w);
}
