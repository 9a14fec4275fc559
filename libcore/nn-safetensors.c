/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The safetensors format: an 8-byte little-endian header length N, N bytes
 * of JSON describing the tensors, then their data, little-endian, C order.
 *
 * The header is parsed here by a strict parser of exactly that schema rather
 * than by json-glib 1.6, which accepts comments, single quotes, hexadecimal
 * and trailing documents, wraps integers that overflow, keeps the last of
 * two members with one name, and recurses without a depth limit. Parsing
 * builds no tree, so memory stays proportional to the number of tensors. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "nn-errors.h"
#include "nn-safetensors.h"
#include "nn-utils-private.h"

/* File offset of the header's first byte. */
#define HEADER_START 8

/* Tensor names in messages are cut to this many characters. */
#define MAX_NAME_IN_MESSAGE 64

/* Every dtype of the published format, so that a supported-but-unread one
 * gets a different message from a misspelt one. */
static const char * const known_dtypes[] = {
  "BOOL", "U8", "I8", "U16", "I16", "U32", "I32", "U64", "I64", "F16", "BF16",
  "F32", "F64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64",
};

typedef struct {
  char    *name;
  gsize    name_offset;   /* file offset of the name, for messages */
  char    *dtype;
  guint    item_size;
  guint64  rank;
  guint64  dims[2];       /* the first two dimensions */
  guint64  n_elements;
  gboolean n_elements_overflow;
  guint64  n_offsets;
  guint64  offsets[2];
  gboolean has_shape;
  gboolean has_offsets;
} Tensor;

static void
tensor_free (Tensor *t)
{
  g_free (t->name);
  g_free (t->dtype);
  g_free (t);
}

/* A tensor name fit for an error message: control characters escaped, long
 * names cut. The name is valid UTF-8 without NUL, as the parser ensures. */
static char *
printable_name (const char *name)
{
  char exceptions[129];
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

static gboolean G_GNUC_PRINTF (3, 4)
file_error (GError    **error,
            const char *path,
            const char *format,
            ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE, "%s: error: %s", path, message);
  return FALSE;
}

static gboolean G_GNUC_PRINTF (4, 5)
tensor_error (GError      **error,
              const char   *path,
              const Tensor *t,
              const char   *format,
              ...)
{
  g_autofree char *message = NULL;
  g_autofree char *name = printable_name (t->name);
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
               "%s: error: tensor '%s' (byte %" G_GSIZE_FORMAT "): %s",
               path, name, t->name_offset, message);
  return FALSE;
}

/* ---- the header parser ---------------------------------------------------- */

typedef struct {
  const char *path;
  const char *text;
  gsize       len;
  gsize       pos;
} Parser;

static gboolean G_GNUC_PRINTF (4, 5)
syntax_error (Parser     *p,
              gsize       pos,
              GError    **error,
              const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
               "%s: error: byte %" G_GSIZE_FORMAT ": bad header: %s",
               p->path, HEADER_START + pos, message);
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
        case '"': case '\\': case '/':
          g_string_append_c (s, (char) c);
          break;
        case 'b': g_string_append_c (s, '\b'); break;
        case 'f': g_string_append_c (s, '\f'); break;
        case 'n': g_string_append_c (s, '\n'); break;
        case 'r': g_string_append_c (s, '\r'); break;
        case 't': g_string_append_c (s, '\t'); break;
        case 'u':
          {
            gsize escape_pos = p->pos - 2;
            gunichar u = 0, low = 0;   /* set by parse_hex4 (); -O3 cannot tell */

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
  gsize start, digits;
  gboolean negative = FALSE, fraction = FALSE, overflow = FALSE;
  guint64 value = 0;

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
  gboolean more;

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
parse_tensor (Parser  *p,
              Tensor  *t,
              GError **error)
{
  gboolean more;

  if (!open_container (p, '{', '}', "to open a tensor description", &more, error))
    return FALSE;
  while (more)
    {
      g_autofree char *field = NULL;
      gsize field_pos;
      guint64 product;

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
          g_autofree char *name = printable_name (field);
          return syntax_error (p, field_pos, error, "unknown field '%s' in a tensor description "
                               "(expected dtype, shape and data_offsets)", name);
        }
      if (!next_element (p, '}', "in a tensor description", &more, error))
        return FALSE;
    }
  if (t->dtype == NULL || !t->has_shape || !t->has_offsets)
    {
      g_autofree char *name = printable_name (t->name);
      return syntax_error (p, t->name_offset - HEADER_START, error,
                           "tensor '%s' has no %s", name,
                           t->dtype == NULL ? "dtype" : !t->has_shape ? "shape" : "data_offsets");
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
      gsize key_pos;

      if (!parse_key (p, "a metadata key", "after a metadata key", &key, &key_pos, error) ||
          !parse_string (p, "a metadata value", &value, error))
        return FALSE;
      if (g_hash_table_contains (metadata, key))
        {
          g_autofree char *name = printable_name (key);
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
      gsize name_pos;

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
          Tensor *t;

          if (g_hash_table_contains (seen, name))
            {
              g_autofree char *printable = printable_name (name);
              return syntax_error (p, name_pos, error, "tensor '%s' is described twice",
                                   printable);
            }
          t = g_new0 (Tensor, 1);
          t->name = g_steal_pointer (&name);
          t->name_offset = HEADER_START + name_pos;
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

/* ---- checks on the parsed header ------------------------------------------- */

static gboolean
check_tensor (const char *path,
              Tensor     *t,
              guint64     data_len,
              GError    **error)
{
  guint64 n_bytes;

  if (g_str_equal (t->dtype, "F32"))
    t->item_size = 4;
  else if (g_str_equal (t->dtype, "F64"))
    t->item_size = 8;
  else
    {
      g_autofree char *dtype = printable_name (t->dtype);

      for (gsize i = 0; i < G_N_ELEMENTS (known_dtypes); i++)
        if (g_str_equal (t->dtype, known_dtypes[i]))
          return tensor_error (error, path, t, "dtype %s is not supported: nn reads F32 and F64",
                               dtype);
      return tensor_error (error, path, t, "unknown dtype '%s'", dtype);
    }

  if (t->n_offsets != 2)
    return tensor_error (error, path, t, "data_offsets has %" G_GUINT64_FORMAT " entries "
                         "instead of two", t->n_offsets);
  if (t->offsets[0] > t->offsets[1])
    return tensor_error (error, path, t, "data_offsets [%" G_GUINT64_FORMAT ", %"
                         G_GUINT64_FORMAT "] end before they begin",
                         t->offsets[0], t->offsets[1]);
  if (t->offsets[1] > data_len)
    return tensor_error (error, path, t, "data_offsets [%" G_GUINT64_FORMAT ", %"
                         G_GUINT64_FORMAT "] run past the end of the data, which has %"
                         G_GUINT64_FORMAT " bytes", t->offsets[0], t->offsets[1], data_len);

  if (t->n_elements_overflow || !g_uint64_checked_mul (&n_bytes, t->n_elements, t->item_size))
    return tensor_error (error, path, t, "its shape has too many elements");
  if (t->rank == 0)
    return tensor_error (error, path, t, "a scalar (0-D tensor): nn reads 1-D and 2-D tensors");
  if (t->rank > 2)
    return tensor_error (error, path, t, "a %" G_GUINT64_FORMAT "-D tensor: nn reads 1-D and "
                         "2-D tensors", t->rank);
  if (t->dims[0] > G_MAXUINT || (t->rank == 2 && t->dims[1] > G_MAXUINT))
    return tensor_error (error, path, t, "a dimension exceeds %u", G_MAXUINT);
  if (n_bytes != t->offsets[1] - t->offsets[0])
    {
      g_autofree char *shape = t->rank == 1
        ? g_strdup_printf ("[%" G_GUINT64_FORMAT "]", t->dims[0])
        : g_strdup_printf ("[%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "]",
                           t->dims[0], t->dims[1]);

      return tensor_error (error, path, t, "shape %s of %s takes %" G_GUINT64_FORMAT " bytes, "
                           "but data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT "] "
                           "hold %" G_GUINT64_FORMAT, shape, t->dtype, n_bytes,
                           t->offsets[0], t->offsets[1], t->offsets[1] - t->offsets[0]);
    }
  return TRUE;
}

static int
compare_by_offsets (gconstpointer a,
                    gconstpointer b)
{
  const Tensor *ta = *(const Tensor * const *) a;
  const Tensor *tb = *(const Tensor * const *) b;

  if (ta->offsets[0] != tb->offsets[0])
    return ta->offsets[0] < tb->offsets[0] ? -1 : 1;
  if (ta->offsets[1] != tb->offsets[1])
    return ta->offsets[1] < tb->offsets[1] ? -1 : 1;
  return 0;
}

/* The tensors must tile the data region exactly, as the reference demands. */
static gboolean
check_coverage (const char *path,
                GPtrArray  *tensors,
                guint64     data_start,
                guint64     data_len,
                GError    **error)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_copy (tensors, NULL, NULL);
  const Tensor *previous = NULL;
  guint64 end = 0;

  /* The copy would free the tensors too. */
  g_ptr_array_set_free_func (sorted, NULL);
  g_ptr_array_sort (sorted, compare_by_offsets);
  for (guint i = 0; i < sorted->len; i++)
    {
      const Tensor *t = sorted->pdata[i];

      if (t->offsets[0] < end)
        {
          g_autofree char *other = printable_name (previous ? previous->name : "");

          return tensor_error (error, path, t, "data_offsets [%" G_GUINT64_FORMAT ", %"
                               G_GUINT64_FORMAT "] overlap tensor '%s' [%" G_GUINT64_FORMAT
                               ", %" G_GUINT64_FORMAT "]", t->offsets[0], t->offsets[1],
                               other, previous ? previous->offsets[0] : 0,
                               previous ? previous->offsets[1] : 0);
        }
      if (t->offsets[0] > end)
        return file_error (error, path, "data bytes [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                           ") (file offset %" G_GUINT64_FORMAT ") belong to no tensor",
                           end, t->offsets[0], data_start + end);
      if (t->offsets[1] > t->offsets[0])
        previous = t;
      end = t->offsets[1];
    }
  if (end != data_len)
    return file_error (error, path, "data bytes [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                       ") (file offset %" G_GUINT64_FORMAT ") belong to no tensor",
                       end, data_len, data_start + end);
  return TRUE;
}

static gboolean
convert_tensor (const char   *path,
                const Tensor *t,
                const guchar *data,
                NnMatrix     *m,
                GError      **error)
{
  gsize n = nn_matrix_size (m);
  const guchar *src = data + t->offsets[0];

  if (t->item_size == 4)
    for (gsize i = 0; i < n; i++)
      {
        guint32 bits;
        float f;

        memcpy (&bits, src + 4 * i, 4);
        bits = GUINT32_FROM_LE (bits);
        memcpy (&f, &bits, 4);
        m->data[i] = (nn_real) f;
      }
  else
    for (gsize i = 0; i < n; i++)
      {
        guint64 bits;
        double d;

        memcpy (&bits, src + 8 * i, 8);
        bits = GUINT64_FROM_LE (bits);
        memcpy (&d, &bits, 8);
        m->data[i] = (nn_real) d;
#if !NN_REAL_IS_DOUBLE
        if (isfinite (d) && !isfinite (m->data[i]))
          return tensor_error (error, path, t, "element %" G_GSIZE_FORMAT " (%g) is out of the "
                               "range of float", i, d);
#endif
      }
  return TRUE;
}

/* ---- public API -------------------------------------------------------------- */

/* Maps the file at @path, which must be a regular file. */
static GMappedFile *
map_file (const char  *path,
          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  GMappedFile *mapped;
  struct stat st;
  int fd;

  /* O_NONBLOCK: a FIFO in place of the file must not hang the open. */
  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    {
      int saved_errno = errno;
      file_error (error, path, "cannot open: %s", g_strerror (saved_errno));
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      file_error (error, path, "not a regular file");
      return NULL;
    }
  /* Mapped rather than read: a huge file costs no memory until it passes
   * the checks. (A file truncated under the mapping would fault; nn never
   * truncates one, it replaces files by renaming.) */
  mapped = g_mapped_file_new_from_fd (fd, FALSE, &local_error);
  close (fd);
  if (mapped == NULL)
    file_error (error, path, "cannot read: %s", local_error->message);
  return mapped;
}

/* Reads the length of the JSON header, which must fit in the file. */
static gboolean
read_header_length (const char    *path,
                    const guchar  *contents,
                    guint64        file_len,
                    guint64       *header_len,
                    GError       **error)
{
  if (file_len < HEADER_START)
    return file_error (error, path, "the file has %" G_GUINT64_FORMAT " bytes, fewer than the "
                       "8 of the header length", file_len);
  memcpy (header_len, contents, 8);
  *header_len = GUINT64_FROM_LE (*header_len);
  if (*header_len > NN_SAFETENSORS_MAX_HEADER_SIZE)
    return file_error (error, path, "byte 0: header length %" G_GUINT64_FORMAT " exceeds the "
                       "limit of %d bytes", *header_len, NN_SAFETENSORS_MAX_HEADER_SIZE);
  if (*header_len > file_len - HEADER_START)
    return file_error (error, path, "byte 0: header length %" G_GUINT64_FORMAT " runs past "
                       "the end of the file, which has %" G_GUINT64_FORMAT " bytes",
                       *header_len, file_len);
  return TRUE;
}

/* The checked @tensors as matrices, by name, their values read from
 * @data. */
static GHashTable *
make_matrices (const char    *path,
               GPtrArray     *tensors,
               const guchar  *data,
               GError       **error)
{
  g_autoptr(GHashTable) result = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) nn_matrix_free);

  for (guint i = 0; i < tensors->len; i++)
    {
      Tensor *t = tensors->pdata[i];
      g_autoptr(NnMatrix) m = t->rank == 1 ? nn_matrix_new (1, (guint) t->dims[0])
                                           : nn_matrix_new ((guint) t->dims[0],
                                                            (guint) t->dims[1]);

      if (!convert_tensor (path, t, data, m, error))
        return NULL;
      g_hash_table_insert (result, g_steal_pointer (&t->name), g_steal_pointer (&m));
    }
  return g_steal_pointer (&result);
}

/**
 * nn_safetensors_read:
 * @path: a safetensors file
 * @metadata_out: (out) (optional) (transfer full) (element-type utf8 utf8): the
 *   file's `__metadata__`, string to string; empty when the file has none
 * @error: return location for a #GError
 *
 * Reads a safetensors file of F32 and F64 tensors, converted to #nn_real. A
 * 1-D tensor of n elements becomes a 1 × n matrix, a 2-D tensor [r, c] an
 * r × c matrix; other ranks and dtypes are refused.
 *
 * The whole file is checked before any matrix is allocated: the header
 * length (at most %NN_SAFETENSORS_MAX_HEADER_SIZE and within the file), the
 * header as strict JSON (RFC 8259) describing each tensor by exactly
 * `dtype`, `shape` and `data_offsets`, every name given once, sizes that
 * match the shapes without overflow, and data offsets that cover the data
 * region exactly, with no gap or overlap. Values are not checked: NaN and
 * infinities are read as they are, except an F64 value too large for float
 * in the float build, which is an error.
 *
 * Errors are %NN_MODEL_ERROR_INVALID_FILE, with a message `PATH: error: ...` that
 * names the tensor and the byte offset in the file where one applies.
 *
 * Returns: (transfer full) (element-type utf8 NnMatrix): a table from tensor
 *   name to #NnMatrix, or %NULL with @error set
 */
GHashTable *
nn_safetensors_read (const char  *path,
                     GHashTable **metadata_out,
                     GError     **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GPtrArray) tensors = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  GHashTable *result;
  const guchar *contents;
  guint64 file_len, header_len = 0, data_len;
  const char *end;
  Parser p;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  mapped = map_file (path, error);
  if (mapped == NULL)
    return NULL;
  contents = (const guchar *) g_mapped_file_get_contents (mapped);
  file_len = g_mapped_file_get_length (mapped);
  if (!read_header_length (path, contents, file_len, &header_len, error))
    return NULL;
  data_len = file_len - HEADER_START - header_len;

  p.path = path;
  p.text = (const char *) contents + HEADER_START;
  p.len = header_len;
  p.pos = 0;
  /* Also refuses NUL bytes, so strings can be C strings. */
  if (!g_utf8_validate_len (p.text, p.len, &end))
    {
      syntax_error (&p, end - p.text, error, "not valid UTF-8");
      return NULL;
    }

  tensors = g_ptr_array_new_with_free_func ((GDestroyNotify) tensor_free);
  metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!parse_header (&p, tensors, metadata, error))
    return NULL;
  for (guint i = 0; i < tensors->len; i++)
    if (!check_tensor (path, tensors->pdata[i], data_len, error))
      return NULL;
  if (!check_coverage (path, tensors, HEADER_START + header_len, data_len, error))
    return NULL;

  result = make_matrices (path, tensors, contents + HEADER_START + header_len, error);
  if (result != NULL && metadata_out != NULL)
    *metadata_out = g_steal_pointer (&metadata);
  return result;
}

/* A JSON string as serde_json writes it: only '"', '\\' and control
 * characters escaped. */
static void
append_json_string (GString    *s,
                    const char *str)
{
  g_string_append_c (s, '"');
  for (const guchar *c = (const guchar *) str; *c; c++)
    switch (*c)
      {
      case '"': g_string_append (s, "\\\""); break;
      case '\\': g_string_append (s, "\\\\"); break;
      case '\b': g_string_append (s, "\\b"); break;
      case '\f': g_string_append (s, "\\f"); break;
      case '\n': g_string_append (s, "\\n"); break;
      case '\r': g_string_append (s, "\\r"); break;
      case '\t': g_string_append (s, "\\t"); break;
      default:
        if (*c < 0x20)
          g_string_append_printf (s, "\\u%04x", *c);
        else
          g_string_append_c (s, (char) *c);
      }
  g_string_append_c (s, '"');
}

static int
compare_names (gconstpointer a,
               gconstpointer b,
               gpointer      names)
{
  return strcmp (((const char * const *) names)[*(const guint *) a],
                 ((const char * const *) names)[*(const guint *) b]);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The order of @names sorted, each checked to be a valid, distinct tensor
 * name. */
static guint *
sort_names (const char         *path,
            guint               n_tensors,
            const char * const *names,
            GError            **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree guint *order = g_new (guint, MAX (n_tensors, 1));

  for (guint i = 0; i < n_tensors; i++)
    {
      if (!g_utf8_validate (names[i], -1, NULL))
        {
          file_error (error, path, "tensor name %u is not valid UTF-8", i);
          return NULL;
        }
      if (g_str_equal (names[i], "__metadata__"))
        {
          file_error (error, path, "'__metadata__' cannot name a tensor");
          return NULL;
        }
      if (!g_hash_table_add (seen, (gpointer) names[i]))
        {
          g_autofree char *name = printable_name (names[i]);
          file_error (error, path, "tensor name '%s' is given twice", name);
          return NULL;
        }
      order[i] = i;
    }
  g_qsort_with_data (order, n_tensors, sizeof (guint), compare_names, (gpointer) names);
  return g_steal_pointer (&order);
}

/* Appends the `__metadata__` object, its keys sorted, and a comma if
 * tensors follow. */
static gboolean
append_metadata (GString     *header,
                 GHashTable  *metadata,
                 gboolean     more,
                 const char  *path,
                 GError     **error)
{
  g_autofree gpointer *keys = g_hash_table_get_keys_as_array (metadata, NULL);
  guint n_keys = g_hash_table_size (metadata);

  qsort (keys, n_keys, sizeof (gpointer), compare_strings);
  g_string_append (header, "\"__metadata__\":{");
  for (guint i = 0; i < n_keys; i++)
    {
      const char *value = g_hash_table_lookup (metadata, keys[i]);

      if (!g_utf8_validate (keys[i], -1, NULL) || value == NULL ||
          !g_utf8_validate (value, -1, NULL))
        return file_error (error, path, "metadata must map UTF-8 strings to UTF-8 strings");
      if (i > 0)
        g_string_append_c (header, ',');
      append_json_string (header, keys[i]);
      g_string_append_c (header, ':');
      append_json_string (header, value);
    }
  g_string_append (header, more ? "}," : "}");
  return TRUE;
}

/* Appends an entry per tensor, in @order; returns the length of their
 * data. */
static gsize
append_tensor_entries (GString                *header,
                       guint                   n_tensors,
                       const guint            *order,
                       const char * const     *names,
                       const NnMatrix * const *tensors)
{
  gsize data_len = 0;

  for (guint k = 0; k < n_tensors; k++)
    {
      const NnMatrix *m = tensors[order[k]];
      gsize n_bytes = nn_matrix_size (m) * sizeof (nn_real);

      if (k > 0)
        g_string_append_c (header, ',');
      append_json_string (header, names[order[k]]);
      g_string_append_printf (header, ":{\"dtype\":\"%s\",\"shape\":[%u,%u],"
                              "\"data_offsets\":[%" G_GSIZE_FORMAT ",%" G_GSIZE_FORMAT "]}",
                              NN_SAFETENSORS_DTYPE, m->rows, m->cols, data_len,
                              data_len + n_bytes);
      data_len += n_bytes;
    }
  return data_len;
}

/* Copies the values of the tensors, in @order, little-endian. */
static void
copy_tensor_data (guchar                 *out,
                  guint                   n_tensors,
                  const guint            *order,
                  const NnMatrix * const *tensors)
{
  gsize offset = 0;

  for (guint k = 0; k < n_tensors; k++)
    {
      const NnMatrix *m = tensors[order[k]];
      gsize n = nn_matrix_size (m);

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
      if (n > 0)
        memcpy (out + offset, m->data, n * sizeof (nn_real));
#else
      for (gsize i = 0; i < n; i++)
        {
#if NN_REAL_IS_DOUBLE
          guint64 bits;
          memcpy (&bits, &m->data[i], 8);
          bits = GUINT64_TO_LE (bits);
#else
          guint32 bits;
          memcpy (&bits, &m->data[i], 4);
          bits = GUINT32_TO_LE (bits);
#endif
          memcpy (out + offset + i * sizeof (nn_real), &bits, sizeof (nn_real));
        }
#endif
      offset += n * sizeof (nn_real);
    }
}

/**
 * nn_safetensors_write:
 * @path: the file to write
 * @n_tensors: the number of tensors
 * @names: (array length=n_tensors): tensor names, distinct UTF-8 strings other
 *   than `__metadata__`
 * @tensors: (array length=n_tensors): the matrices, in the order of @names
 * @metadata: (nullable) (element-type utf8 utf8): string to string pairs stored
 *   as `__metadata__`, or %NULL
 * @error: return location for a #GError
 *
 * Writes matrices to a safetensors file, each as a 2-D tensor of shape
 * [rows, cols] in the dtype of #nn_real (%NN_SAFETENSORS_DTYPE), so a bias
 * stored as a 1 × n matrix is a [1, n] tensor. As the reference
 * implementation does, the header lists the metadata and then the tensors
 * sorted by name, in the order of their data, and is padded with spaces to
 * a multiple of 8 bytes.
 *
 * The file is written atomically: a temporary file renamed over @path, so
 * @path holds either its old contents or the whole new file. Invalid names
 * are %NN_MODEL_ERROR_INVALID_FILE, write failures %NN_MODEL_ERROR_IO.
 *
 * Returns: %TRUE on success, %FALSE with @error set
 */
gboolean
nn_safetensors_write (const char             *path,
                      guint                   n_tensors,
                      const char * const     *names,
                      const NnMatrix * const *tensors,
                      GHashTable             *metadata,
                      GError                **error)
{
  g_autoptr(GString) header = NULL;
  g_autofree guint *order = NULL;
  g_autofree guchar *buffer = NULL;
  gsize data_len, total;
  guint64 header_len_le;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (n_tensors == 0 || (names != NULL && tensors != NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  for (guint i = 0; i < n_tensors; i++)
    g_return_val_if_fail (names[i] != NULL && tensors[i] != NULL, FALSE);

  order = sort_names (path, n_tensors, names, error);
  if (order == NULL)
    return FALSE;

  header = g_string_new ("{");
  if (metadata != NULL && g_hash_table_size (metadata) > 0 &&
      !append_metadata (header, metadata, n_tensors > 0, path, error))
    return FALSE;
  data_len = append_tensor_entries (header, n_tensors, order, names, tensors);
  g_string_append_c (header, '}');
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');

  total = HEADER_START + header->len + data_len;
  buffer = g_malloc (total);
  header_len_le = GUINT64_TO_LE ((guint64) header->len);
  memcpy (buffer, &header_len_le, 8);
  memcpy (buffer + HEADER_START, header->str, header->len);
  copy_tensor_data (buffer + HEADER_START + header->len, n_tensors, order, tensors);

  return nn_write_file_atomic (path, buffer, total, error);
}
