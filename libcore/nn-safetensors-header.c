/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The JSON header of a safetensors file, parsed by a strict parser of
 * exactly its schema (see nn-safetensors.c for why not json-glib). Parsing
 * builds no tree, so memory stays proportional to the number of tensors. */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "nn-errors.h"
#include "nn-safetensors-private.h"

/* NnSafetensorsTensor names in messages are cut to this many characters. */
#define MAX_NAME_IN_MESSAGE 64

void
nn_safetensors_tensor_free (NnSafetensorsTensor *t)
{
  g_free (t->name);
  g_free (t->dtype);
  g_free (t);
}

/* A tensor name fit for an error message: control characters escaped, long
 * names cut. The name is valid UTF-8 without NUL, as the parser ensures. */
char *
nn_safetensors_printable_name (const char *name)
{
  char             exceptions[129];
  g_autofree char *cut = NULL;

  /* Keep UTF-8 as it is. */
  for (int i = 0; i < 128; i++)
    exceptions[i] = (char) (0x80 + i);
  exceptions[128] = '\0';
  if (g_utf8_strlen (name, -1) > MAX_NAME_IN_MESSAGE)
    {
      g_autofree char *head = g_utf8_substring (name, 0, MAX_NAME_IN_MESSAGE);
      cut = g_strconcat (head, "…", NULL);
      name = cut;
    }
  return g_strescape (name, exceptions);
}

typedef struct
{
  const char *path;
  const char *text;
  gsize       len;
  gsize       pos;
} Parser;

static gboolean
syntax_error (Parser     *p,
              gsize       pos,
              GError    **error,
              const char *format,
              ...) G_GNUC_PRINTF (4, 5);

static gboolean
syntax_error (Parser     *p,
              gsize       pos,
              GError    **error,
              const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
               "%s: error: byte %" G_GSIZE_FORMAT ": bad header: %s",
               p->path, NN_SAFETENSORS_HEADER_START + pos, message);
  return FALSE;
}

static char *
describe_next (Parser *p)
{
  guchar c;

  if (p->pos >= p->len)
    return g_strdup ("the end of the header");
  c = (guchar) p->text[p->pos];
  if (g_ascii_isgraph (c))
    return g_strdup_printf ("'%c'", c);
  return g_strdup_printf ("byte 0x%02x", c);
}

static void
skip_ws (Parser *p)
{
  while (p->pos < p->len && strchr (" \t\n\r", p->text[p->pos]) != NULL)
    p->pos++;
}

static gboolean
peek (Parser *p,
      char    c)
{
  skip_ws (p);
  return p->pos < p->len && p->text[p->pos] == c;
}

static gboolean
expect (Parser     *p,
        char        c,
        const char *context,
        GError    **error)
{
  if (peek (p, c))
    {
      p->pos++;
      return TRUE;
    }
  else
    {
      g_autofree char *next = describe_next (p);
      return syntax_error (p, p->pos, error, "expected '%c' %s, found %s", c, context, next);
    }
}

/* After an element of an object or array: TRUE in *more on ',', FALSE on the
 * closing character. */
static gboolean
next_element (Parser     *p,
              char        close,
              const char *context,
              gboolean   *more,
              GError    **error)
{
  skip_ws (p);
  if (p->pos < p->len && (p->text[p->pos] == ',' || p->text[p->pos] == close))
    {
      *more = p->text[p->pos++] == ',';
      return TRUE;
    }
  else
    {
      g_autofree char *next = describe_next (p);
      return syntax_error (p, p->pos, error, "expected ',' or '%c' %s, found %s",
                           close, context, next);
    }
}

/* Reads @open and, if @close follows at once, that too; *more says whether
 * elements follow. */
static gboolean
open_container (Parser     *p,
                char        open,
                char        close,
                const char *context,
                gboolean   *more,
                GError    **error)
{
  if (!expect (p, open, context, error))
    return FALSE;
  *more = !peek (p, close);
  if (!*more)
    p->pos++;
  return TRUE;
}

static gboolean
parse_hex4 (Parser   *p,
            gunichar *out,
            GError  **error)
{
  gunichar u = 0;

  for (int i = 0; i < 4; i++)
    {
      int digit;

      if (p->pos >= p->len || (digit = g_ascii_xdigit_value (p->text[p->pos])) < 0)
        return syntax_error (p, p->pos, error, "a \\u escape needs four hexadecimal digits");
      u = u * 16 + (gunichar) digit;
      p->pos++;
    }
  *out = u;
  return TRUE;
}

/* A JSON string (RFC 8259), decoded. The header is known to be valid UTF-8. */
static gboolean
parse_string (Parser     *p,
              const char *what,
              char      **out,
              GError    **error)
{
  g_autoptr(GString) s = NULL;
  gsize start;

  skip_ws (p);
  start = p->pos;
  if (p->pos >= p->len || p->text[p->pos] != '"')
    {
      g_autofree char *next = describe_next (p);
      return syntax_error (p, p->pos, error, "expected %s (a string), found %s", what, next);
    }
  p->pos++;
  s = g_string_new (NULL);
  for (;;)
    {
      guchar c;

      if (p->pos >= p->len)
        return syntax_error (p, start, error, "unterminated string");
      c = (guchar) p->text[p->pos];
      if (c == '"')
        {
          p->pos++;
          break;
        }
      if (c < 0x20)
        return syntax_error (p, p->pos, error, "control character 0x%02x in a string", c);
      if (c != '\\')
        {
          g_string_append_c (s, (char) c);
          p->pos++;
          continue;
        }

      p->pos++;
      if (p->pos >= p->len)
        return syntax_error (p, start, error, "unterminated string");
      c = (guchar) p->text[p->pos++];
      switch (c)
        {
        case '"':
        case '\\':
        case '/':
          g_string_append_c (s, (char) c);
          break;
        case 'b':
          g_string_append_c (s, '\b');
          break;
        case 'f':
          g_string_append_c (s, '\f');
          break;
        case 'n':
          g_string_append_c (s, '\n');
          break;
        case 'r':
          g_string_append_c (s, '\r');
          break;
        case 't':
          g_string_append_c (s, '\t');
          break;
        case 'u':
          {
            gsize    escape_pos = p->pos - 2;
            gunichar u = 0, low = 0; /* set by parse_hex4 (); -O3 cannot tell */

            if (!parse_hex4 (p, &u, error))
              return FALSE;
            if (u >= 0xdc00 && u <= 0xdfff)
              return syntax_error (p, escape_pos, error, "unpaired surrogate \\u%04x", u);
            if (u >= 0xd800 && u <= 0xdbff)
              {
                if (p->len - p->pos < 2 || p->text[p->pos] != '\\' || p->text[p->pos + 1] != 'u')
                  return syntax_error (p, escape_pos, error, "unpaired surrogate \\u%04x", u);
                p->pos += 2;
                if (!parse_hex4 (p, &low, error))
                  return FALSE;
                if (low < 0xdc00 || low > 0xdfff)
                  return syntax_error (p, escape_pos, error, "unpaired surrogate \\u%04x", u);
                u = 0x10000 + ((u - 0xd800) << 10) + (low - 0xdc00);
              }
            /* Names become C strings. */
            if (u == 0)
              return syntax_error (p, escape_pos, error, "NUL character (\\u0000) in a string");
            g_string_append_unichar (s, u);
          }
          break;
        default:
          return syntax_error (p, p->pos - 2, error, "invalid escape '\\%c' in a string",
                               g_ascii_isgraph (c) ? c : '?');
        }
    }
  *out = g_string_free (g_steal_pointer (&s), FALSE);
  return TRUE;
}

/* A JSON number that must be a non-negative integer, as the reference's
 * usize fields require. */
static gboolean
parse_uint (Parser     *p,
            const char *what,
            guint64    *out,
            GError    **error)
{
  gsize    start, digits;
  gboolean negative = FALSE, fraction = FALSE, overflow = FALSE;
  guint64  value = 0;

  skip_ws (p);
  start = p->pos;
  if (p->pos < p->len && p->text[p->pos] == '-')
    {
      negative = TRUE;
      p->pos++;
    }
  digits = p->pos;
  while (p->pos < p->len && g_ascii_isdigit (p->text[p->pos]))
    {
      guint d = (guint) (p->text[p->pos] - '0');

      if (value > (G_MAXUINT64 - d) / 10)
        overflow = TRUE;
      value = value * 10 + d;
      p->pos++;
    }
  if (p->pos == digits)
    {
      g_autofree char *next = NULL;

      p->pos = start;
      next = describe_next (p);
      return syntax_error (p, start, error, "expected %s (a number), found %s", what, next);
    }
  if (p->pos - digits > 1 && p->text[digits] == '0')
    return syntax_error (p, start, error, "a number with a leading zero");
  if (p->pos < p->len && p->text[p->pos] == '.')
    {
      fraction = TRUE;
      p->pos++;
      if (p->pos >= p->len || !g_ascii_isdigit (p->text[p->pos]))
        return syntax_error (p, start, error, "a number with no digits after '.'");
      while (p->pos < p->len && g_ascii_isdigit (p->text[p->pos]))
        p->pos++;
    }
  if (p->pos < p->len && (p->text[p->pos] == 'e' || p->text[p->pos] == 'E'))
    {
      fraction = TRUE;
      p->pos++;
      if (p->pos < p->len && (p->text[p->pos] == '+' || p->text[p->pos] == '-'))
        p->pos++;
      if (p->pos >= p->len || !g_ascii_isdigit (p->text[p->pos]))
        return syntax_error (p, start, error, "a number with no digits in its exponent");
      while (p->pos < p->len && g_ascii_isdigit (p->text[p->pos]))
        p->pos++;
    }
  if (negative)
    return syntax_error (p, start, error, "%s %.*s is negative", what,
                         (int) MIN (p->pos - start, 40), p->text + start);
  if (fraction)
    return syntax_error (p, start, error, "%s %.*s is not an integer", what,
                         (int) MIN (p->pos - start, 40), p->text + start);
  if (overflow)
    return syntax_error (p, start, error, "%s %.*s is too large", what,
                         (int) MIN (p->pos - start, 40), p->text + start);
  *out = value;
  return TRUE;
}

/* An object's key and the ':' after it; *pos is where the key starts. */
static gboolean
parse_key (Parser     *p,
           const char *what,
           const char *after,
           char      **key,
           gsize      *pos,
           GError    **error)
{
  skip_ws (p);
  *pos = p->pos;
  return parse_string (p, what, key, error) && expect (p, ':', after, error);
}

/* An array of non-negative integers: its length, its first two values and
 * the product of all of them (with a flag for overflow). */
static gboolean
parse_uint_array (Parser     *p,
                  const char *what,
                  guint64    *count,
                  guint64     first[2],
                  guint64    *product,
                  gboolean   *product_overflow,
                  GError    **error)
{
  g_autofree char *context = g_strdup_printf ("in %s", what);
  gboolean         more;

  *count = 0;
  *product = 1;
  *product_overflow = FALSE;
  if (!open_container (p, '[', ']', context, &more, error))
    return FALSE;
  while (more)
    {
      guint64 v = 0;

      if (!parse_uint (p, what, &v, error))
        return FALSE;
      if (*count < 2)
        first[*count] = v;
      (*count)++;
      if (!g_uint64_checked_mul (product, *product, v))
        *product_overflow = TRUE;
      if (!next_element (p, ']', context, &more, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_tensor (Parser              *p,
              NnSafetensorsTensor *t,
              GError             **error)
{
  gboolean more;

  if (!open_container (p, '{', '}', "to open a tensor description", &more, error))
    return FALSE;
  while (more)
    {
      g_autofree char *field = NULL;
      gsize            field_pos;
      guint64          product;

      if (!parse_key (p, "a field name", "after a field name", &field, &field_pos, error))
        return FALSE;
      if ((g_str_equal (field, "dtype") && t->dtype != NULL) ||
          (g_str_equal (field, "shape") && t->has_shape) ||
          (g_str_equal (field, "data_offsets") && t->has_offsets))
        return syntax_error (p, field_pos, error, "field '%s' given twice", field);
      if (g_str_equal (field, "dtype"))
        {
          if (!parse_string (p, "a dtype", &t->dtype, error))
            return FALSE;
        }
      else if (g_str_equal (field, "shape"))
        {
          if (!parse_uint_array (p, "a dimension", &t->rank, t->dims, &t->n_elements,
                                 &t->n_elements_overflow, error))
            return FALSE;
          t->has_shape = TRUE;
        }
      else if (g_str_equal (field, "data_offsets"))
        {
          gboolean ignored;

          if (!parse_uint_array (p, "a data offset", &t->n_offsets, t->offsets, &product,
                                 &ignored, error))
            return FALSE;
          t->has_offsets = TRUE;
        }
      else
        {
          g_autofree char *name = nn_safetensors_printable_name (field);
          return syntax_error (p, field_pos, error, "unknown field '%s' in a tensor description "
                                                    "(expected dtype, shape and data_offsets)",
                               name);
        }
      if (!next_element (p, '}', "in a tensor description", &more, error))
        return FALSE;
    }
  if (t->dtype == NULL || !t->has_shape || !t->has_offsets)
    {
      g_autofree char *name = nn_safetensors_printable_name (t->name);
      return syntax_error (p, t->name_offset - NN_SAFETENSORS_HEADER_START, error,
                           "tensor '%s' has no %s", name,
                           t->dtype == NULL ? "dtype" : !t->has_shape ? "shape"
                                                                      : "data_offsets");
    }
  return TRUE;
}

static gboolean
parse_metadata (Parser     *p,
                GHashTable *metadata,
                GError    **error)
{
  gboolean more;

  if (!open_container (p, '{', '}', "to open __metadata__", &more, error))
    return FALSE;
  while (more)
    {
      g_autofree char *key = NULL;
      g_autofree char *value = NULL;
      gsize            key_pos;

      if (!parse_key (p, "a metadata key", "after a metadata key", &key, &key_pos, error) ||
          !parse_string (p, "a metadata value", &value, error))
        return FALSE;
      if (g_hash_table_contains (metadata, key))
        {
          g_autofree char *name = nn_safetensors_printable_name (key);
          return syntax_error (p, key_pos, error, "metadata key '%s' given twice", name);
        }
      g_hash_table_insert (metadata, g_steal_pointer (&key), g_steal_pointer (&value));
      if (!next_element (p, '}', "in __metadata__", &more, error))
        return FALSE;
    }
  return TRUE;
}

/* The whole header: tensors in header order, and the metadata. */
static gboolean
parse_header (Parser     *p,
              GPtrArray  *tensors,
              GHashTable *metadata,
              GError    **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean more, has_metadata = FALSE;

  /* As the reference does: no leading space, and so no other JSON value. */
  if (p->len == 0 || p->text[0] != '{')
    {
      g_autofree char *next = describe_next (p);
      return syntax_error (p, 0, error, "the header must be a JSON object, but starts with %s",
                           next);
    }
  if (!open_container (p, '{', '}', "to open the header", &more, error))
    return FALSE;
  while (more)
    {
      g_autofree char *name = NULL;
      gsize            name_pos;

      if (!parse_key (p, "a tensor name", "after a tensor name", &name, &name_pos, error))
        return FALSE;
      if (g_str_equal (name, "__metadata__"))
        {
          if (has_metadata)
            return syntax_error (p, name_pos, error, "__metadata__ given twice");
          has_metadata = TRUE;
          if (!parse_metadata (p, metadata, error))
            return FALSE;
        }
      else
        {
          NnSafetensorsTensor *t;

          if (g_hash_table_contains (seen, name))
            {
              g_autofree char *printable = nn_safetensors_printable_name (name);
              return syntax_error (p, name_pos, error, "tensor '%s' is described twice",
                                   printable);
            }
          t = g_new0 (NnSafetensorsTensor, 1);
          t->name = g_steal_pointer (&name);
          t->name_offset = NN_SAFETENSORS_HEADER_START + name_pos;
          g_ptr_array_add (tensors, t);
          g_hash_table_add (seen, t->name);
          if (!parse_tensor (p, t, error))
            return FALSE;
        }
      if (!next_element (p, '}', "in the header", &more, error))
        return FALSE;
    }
  skip_ws (p);
  if (p->pos != p->len)
    return syntax_error (p, p->pos, error, "data after the JSON object (only whitespace may pad it)");
  return TRUE;
}

/* Parses the @len bytes of JSON at @text, the header of the file @path,
 * into @tensors (in header order) and @metadata. */
gboolean
nn_safetensors_parse_header (const char *path,
                             const char *text,
                             gsize       len,
                             GPtrArray  *tensors,
                             GHashTable *metadata,
                             GError    **error)
{
  Parser      p = { path, text, len, 0 };
  const char *end;

  /* Also refuses NUL bytes, so strings can be C strings. */
  if (!g_utf8_validate_len (p.text, p.len, &end))
    return syntax_error (&p, end - p.text, error, "not valid UTF-8");
  return parse_header (&p, tensors, metadata, error);
}
