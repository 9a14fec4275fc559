/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Protobuf encoding of the ONNX messages an export writes (see
 * nn-export-onnx-private.h for why by hand). */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "nn-export-onnx-private.h"

/* onnx.proto's field numbers. */
enum {
  MODEL_IR_VERSION = 1,
  MODEL_PRODUCER_NAME = 2,
  MODEL_PRODUCER_VERSION = 3,
  MODEL_GRAPH = 7,
  MODEL_OPSET_IMPORT = 8,
  MODEL_METADATA_PROPS = 14,
  OPSET_DOMAIN = 1,
  OPSET_VERSION = 2,
  ENTRY_KEY = 1,
  ENTRY_VALUE = 2,
  GRAPH_NODE = 1,
  GRAPH_NAME = 2,
  GRAPH_INITIALIZER = 5,
  GRAPH_INPUT = 11,
  GRAPH_OUTPUT = 12,
  NODE_INPUT = 1,
  NODE_OUTPUT = 2,
  NODE_NAME = 3,
  NODE_OP_TYPE = 4,
  NODE_ATTRIBUTE = 5,
  NODE_DOMAIN = 7,
  ATTR_NAME = 1,
  ATTR_F = 2,
  ATTR_I = 3,
  ATTR_INTS = 8,
  ATTR_STRINGS = 9,
  ATTR_TYPE = 20,
  TENSOR_DIMS = 1,
  TENSOR_DATA_TYPE = 2,
  TENSOR_INT64_DATA = 7,
  TENSOR_NAME = 8,
  TENSOR_RAW_DATA = 9,
  VALUE_NAME = 1,
  VALUE_TYPE = 2,
  VALUE_DOC = 3,
  TYPE_TENSOR = 1,
  TYPE_TENSOR_ELEM_TYPE = 1,
  TYPE_TENSOR_SHAPE = 2,
  SHAPE_DIM = 1,
  DIM_VALUE = 1,
  DIM_PARAM = 2,
};

/* AttributeProto.AttributeType */
enum { ATTR_TYPE_FLOAT = 1,
       ATTR_TYPE_INT = 2,
       ATTR_TYPE_INTS = 7,
       ATTR_TYPE_STRINGS = 8 };

enum { WIRE_VARINT = 0,
       WIRE_LEN = 2,
       WIRE_FIXED32 = 5 };

struct _NnOnnxGraph
{
  GByteArray *body;  /* GraphProto fields but the name */
  GByteArray *attrs; /* of the next node */
  GByteArray *meta;  /* ModelProto.metadata_props */
  GPtrArray  *names; /* the value names handed out, and the inputs' */
  guint       n_nodes;
  gboolean    uses_ml;
};

static void
put_varint (GByteArray *b,
            guint64     v)
{
  guint8 byte;

  do
    {
      byte = v & 0x7f;
      v >>= 7;
      if (v != 0)
        byte |= 0x80;
      g_byte_array_append (b, &byte, 1);
    }
  while (v != 0);
}

static void
put_key (GByteArray *b,
         guint       field,
         guint       wire)
{
  put_varint (b, ((guint64) field << 3) | wire);
}

/* A negative int64 is ten bytes of two's complement, as protobuf wants. */
static void
put_int (GByteArray *b,
         guint       field,
         gint64      v)
{
  put_key (b, field, WIRE_VARINT);
  put_varint (b, (guint64) v);
}

static void
put_bytes (GByteArray *b,
           guint       field,
           const void *data,
           gsize       len)
{
  put_key (b, field, WIRE_LEN);
  put_varint (b, len);
  g_byte_array_append (b, data, (guint) len);
}

static void
put_string (GByteArray *b,
            guint       field,
            const char *s)
{
  put_bytes (b, field, s, strlen (s));
}

/* Appends @sub as a length-delimited message and frees it. */
static void
put_message (GByteArray *b,
             guint       field,
             GByteArray *sub)
{
  put_bytes (b, field, sub->data, sub->len);
  g_byte_array_unref (sub);
}

static void
put_float (GByteArray *b,
           guint       field,
           float       f)
{
  guint32 bits;

  memcpy (&bits, &f, sizeof bits);
  bits = GUINT32_TO_LE (bits);
  put_key (b, field, WIRE_FIXED32);
  g_byte_array_append (b, (const guint8 *) &bits, sizeof bits);
}

NnOnnxGraph *
nn_onnx_graph_new (void)
{
  NnOnnxGraph *g = g_new0 (NnOnnxGraph, 1);

  g->body = g_byte_array_new ();
  g->attrs = g_byte_array_new ();
  g->meta = g_byte_array_new ();
  g->names = g_ptr_array_new_with_free_func (g_free);
  return g;
}

void
nn_onnx_graph_free (NnOnnxGraph *g)
{
  g_byte_array_unref (g->body);
  g_byte_array_unref (g->attrs);
  g_byte_array_unref (g->meta);
  g_ptr_array_unref (g->names);
  g_free (g);
}

static const char *
keep_name (NnOnnxGraph *g,
           char        *name)
{
  g_ptr_array_add (g->names, name);
  return name;
}

const char *
nn_onnx_graph_keep_name (NnOnnxGraph *g,
                         char        *name)
{
  return keep_name (g, name);
}

gboolean
nn_onnx_graph_has_name (NnOnnxGraph *g,
                        const char  *name)
{
  for (guint i = 0; i < g->names->len; i++)
    if (g_str_equal (g_ptr_array_index (g->names, i), name))
      return TRUE;
  return FALSE;
}

gboolean
nn_onnx_graph_has_pending_attributes (NnOnnxGraph *g)
{
  return g->attrs->len > 0;
}

static GByteArray *
attr_begin (const char *name,
            int         type)
{
  GByteArray *a = g_byte_array_new ();

  put_string (a, ATTR_NAME, name);
  put_int (a, ATTR_TYPE, type);
  return a;
}

void
nn_onnx_attr_int (NnOnnxGraph *g,
                  const char  *name,
                  gint64       value)
{
  GByteArray *a = attr_begin (name, ATTR_TYPE_INT);

  put_int (a, ATTR_I, value);
  put_message (g->attrs, NODE_ATTRIBUTE, a);
}

void
nn_onnx_attr_float (NnOnnxGraph *g,
                    const char  *name,
                    float        value)
{
  GByteArray *a = attr_begin (name, ATTR_TYPE_FLOAT);

  put_float (a, ATTR_F, value);
  put_message (g->attrs, NODE_ATTRIBUTE, a);
}

void
nn_onnx_attr_ints (NnOnnxGraph  *g,
                   const char   *name,
                   const gint64 *values,
                   guint         n)
{
  GByteArray *a = attr_begin (name, ATTR_TYPE_INTS);

  for (guint i = 0; i < n; i++)
    put_int (a, ATTR_INTS, values[i]);
  put_message (g->attrs, NODE_ATTRIBUTE, a);
}

void
nn_onnx_attr_strings (NnOnnxGraph        *g,
                      const char         *name,
                      const char * const *values,
                      guint               n)
{
  GByteArray *a = attr_begin (name, ATTR_TYPE_STRINGS);

  for (guint i = 0; i < n; i++)
    put_string (a, ATTR_STRINGS, values[i]);
  put_message (g->attrs, NODE_ATTRIBUTE, a);
}

static const char *
add_node (NnOnnxGraph        *g,
          const char         *output,
          const char         *domain,
          const char         *op_type,
          const char * const *inputs,
          guint               n_inputs)
{
  GByteArray *n = g_byte_array_new ();

  for (guint i = 0; i < n_inputs; i++)
    put_string (n, NODE_INPUT, inputs[i]);
  output = output != NULL ? keep_name (g, g_strdup (output))
                          : keep_name (g, g_strdup_printf ("%s_%u", op_type, g->n_nodes));
  put_string (n, NODE_OUTPUT, output);
  put_string (n, NODE_NAME, output);
  put_string (n, NODE_OP_TYPE, op_type);
  g_byte_array_append (n, g->attrs->data, g->attrs->len);
  g_byte_array_set_size (g->attrs, 0);
  if (domain != NULL)
    {
      put_string (n, NODE_DOMAIN, domain);
      g->uses_ml = TRUE;
    }
  put_message (g->body, GRAPH_NODE, n);
  g->n_nodes++;
  return output;
}

static const char *
add_node_va (NnOnnxGraph *g,
             const char  *output,
             const char  *domain,
             const char  *op_type,
             va_list      ap)
{
  g_autoptr(GPtrArray) inputs = g_ptr_array_new ();
  const char *in;

  while ((in = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (inputs, (gpointer) in);
  return add_node (g, output, domain, op_type, (const char * const *) inputs->pdata, inputs->len);
}

const char *
nn_onnx_node (NnOnnxGraph *g,
              const char  *domain,
              const char  *op_type,
              ...)
{
  const char *out;
  va_list     ap;

  va_start (ap, op_type);
  out = add_node_va (g, NULL, domain, op_type, ap);
  va_end (ap);
  return out;
}

const char *
nn_onnx_node_named (NnOnnxGraph *g,
                    const char  *output,
                    const char  *domain,
                    const char  *op_type,
                    ...)
{
  const char *out;
  va_list     ap;

  va_start (ap, op_type);
  out = add_node_va (g, output, domain, op_type, ap);
  va_end (ap);
  return out;
}

const char *
nn_onnx_node_v (NnOnnxGraph        *g,
                const char         *op_type,
                const char * const *inputs,
                guint               n_inputs)
{
  return add_node (g, NULL, NULL, op_type, inputs, n_inputs);
}

static GByteArray *
tensor_begin (NnOnnxGraph  *g,
              const char  **name,
              int           type,
              const gint64 *dims,
              guint         n_dims)
{
  GByteArray *t = g_byte_array_new ();

  *name = keep_name (g, g_strdup_printf ("const_%u", g->names->len));
  for (guint i = 0; i < n_dims; i++)
    put_int (t, TENSOR_DIMS, dims[i]);
  put_int (t, TENSOR_DATA_TYPE, type);
  put_string (t, TENSOR_NAME, *name);
  return t;
}

static gsize
n_elements (const gint64 *dims,
            guint         n_dims)
{
  gsize n = 1;

  for (guint i = 0; i < n_dims; i++)
    n *= (gsize) dims[i];
  return n;
}

const char *
nn_onnx_floats (NnOnnxGraph  *g,
                const float  *values,
                const gint64 *dims,
                guint         n_dims)
{
  const char         *name;
  GByteArray         *t = tensor_begin (g, &name, NN_ONNX_FLOAT, dims, n_dims);
  gsize               n = n_elements (dims, n_dims);
  g_autofree guint32 *le = g_new (guint32, MAX (n, 1));

  /* raw_data is little-endian whatever the machine. */
  memcpy (le, values, n * sizeof (float));
  for (gsize i = 0; i < n; i++)
    le[i] = GUINT32_TO_LE (le[i]);
  put_bytes (t, TENSOR_RAW_DATA, le, n * sizeof (float));
  put_message (g->body, GRAPH_INITIALIZER, t);
  return name;
}

const char *
nn_onnx_int64s (NnOnnxGraph  *g,
                const gint64 *values,
                const gint64 *dims,
                guint         n_dims)
{
  const char *name;
  GByteArray *t = tensor_begin (g, &name, NN_ONNX_INT64, dims, n_dims);
  gsize       n = n_elements (dims, n_dims);

  for (gsize i = 0; i < n; i++)
    put_int (t, TENSOR_INT64_DATA, values[i]);
  put_message (g->body, GRAPH_INITIALIZER, t);
  return name;
}

/* A ValueInfoProto of a [N, @cols] tensor. */
static GByteArray *
value_info (const char *name,
            int         elem_type,
            gint64      cols,
            const char *doc)
{
  GByteArray *v = g_byte_array_new ();
  GByteArray *type = g_byte_array_new ();
  GByteArray *tensor = g_byte_array_new ();
  GByteArray *shape = g_byte_array_new ();
  GByteArray *batch = g_byte_array_new ();
  GByteArray *width = g_byte_array_new ();

  put_string (batch, DIM_PARAM, "N");
  put_int (width, DIM_VALUE, cols);
  put_message (shape, SHAPE_DIM, batch);
  put_message (shape, SHAPE_DIM, width);
  put_int (tensor, TYPE_TENSOR_ELEM_TYPE, elem_type);
  put_message (tensor, TYPE_TENSOR_SHAPE, shape);
  put_message (type, TYPE_TENSOR, tensor);
  put_string (v, VALUE_NAME, name);
  put_message (v, VALUE_TYPE, type);
  if (doc != NULL)
    put_string (v, VALUE_DOC, doc);
  return v;
}

void
nn_onnx_graph_input (NnOnnxGraph *g,
                     const char  *name,
                     int          elem_type,
                     gint64       cols,
                     const char  *doc)
{
  keep_name (g, g_strdup (name));
  put_message (g->body, GRAPH_INPUT, value_info (name, elem_type, cols, doc));
}

void
nn_onnx_graph_output (NnOnnxGraph *g,
                      const char  *name,
                      gint64       cols,
                      const char  *doc)
{
  put_message (g->body, GRAPH_OUTPUT, value_info (name, NN_ONNX_FLOAT, cols, doc));
}

void
nn_onnx_graph_metadata (NnOnnxGraph *g,
                        const char  *key,
                        const char  *value)
{
  GByteArray *e = g_byte_array_new ();

  put_string (e, ENTRY_KEY, key);
  put_string (e, ENTRY_VALUE, value);
  put_message (g->meta, MODEL_METADATA_PROPS, e);
}

static void
put_opset (GByteArray *m,
           const char *domain,
           gint64      version)
{
  GByteArray *o = g_byte_array_new ();

  if (domain != NULL)
    put_string (o, OPSET_DOMAIN, domain);
  put_int (o, OPSET_VERSION, version);
  put_message (m, MODEL_OPSET_IMPORT, o);
}

GBytes *
nn_onnx_graph_to_model (NnOnnxGraph *g,
                        const char  *name)
{
  GByteArray *m = g_byte_array_new ();
  GByteArray *graph = g_byte_array_new ();

  g_byte_array_append (graph, g->body->data, g->body->len);
  put_string (graph, GRAPH_NAME, name);
  put_int (m, MODEL_IR_VERSION, 8);
  put_string (m, MODEL_PRODUCER_NAME, "nn");
  put_string (m, MODEL_PRODUCER_VERSION, NN_VERSION);
  put_message (m, MODEL_GRAPH, graph);
  put_opset (m, NULL, 13);
  if (g->uses_ml)
    put_opset (m, "ai.onnx.ml", 2);
  g_byte_array_append (m, g->meta->data, g->meta->len);
  return g_byte_array_free_to_bytes (m);
}
