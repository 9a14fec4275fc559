/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading experiment files: libyaml documents with positions in every error. */
#pragma once

#include <glib-object.h>
#include <yaml.h>

#include "nn-matrix.h"

G_BEGIN_DECLS

typedef struct {
  char            *file;          /* the name used in messages */
  yaml_document_t  doc;
  guint            n_file_nodes;  /* nodes past these come from overrides */
  GPtrArray       *overrides;     /* the KEY=VALUE text of each override */
  GArray          *override_start; /* guint: first node id of each override */
} NnYamlDoc;

/* The longest scalar an experiment or model file may hold: far more than
 * any name, path or number needs. */
#define NN_YAML_MAX_SCALAR_LENGTH (64u << 10)

/* The most nodes (values, lists, mappings and aliases) an experiment or
 * model file may hold: libyaml's loader keeps about 160 bytes a node, so
 * a file of the largest size allowed could otherwise take tens of GB.
 * Weights given inline in an experiment stay far below it. */
#define NN_YAML_MAX_NODES (1u << 21)

G_GNUC_INTERNAL gboolean     nn_yaml_check_text        (const char    *data,
                                                        gsize          length,
                                                        guint          max_depth,
                                                        const char    *file,
                                                        const char    *assignment,
                                                        GError       **error);

/* A decimal integer as written: its sign and magnitude. */
typedef struct {
  gboolean negative;
  gboolean overflow;    /* more than G_MAXUINT64 */
  guint64  magnitude;
} NnYamlInteger;

G_GNUC_INTERNAL gboolean     nn_yaml_parse_number      (const char    *s,
                                                        double        *out);
G_GNUC_INTERNAL gboolean     nn_yaml_parse_integer     (const char    *s,
                                                        NnYamlInteger *out);
G_GNUC_INTERNAL gboolean     nn_yaml_integer_to_unsigned (const NnYamlInteger *v,
                                                          guint64              min,
                                                          guint64              max,
                                                          guint64             *out);
G_GNUC_INTERNAL gboolean     nn_yaml_integer_to_signed (const NnYamlInteger *v,
                                                        gint64               min,
                                                        gint64               max,
                                                        gint64              *out);

G_GNUC_INTERNAL NnYamlDoc   *nn_yaml_doc_new_from_data (const char    *file,
                                                        const char    *data,
                                                        gsize          length,
                                                        GError       **error);
G_GNUC_INTERNAL void         nn_yaml_doc_free          (NnYamlDoc     *doc);
G_GNUC_INTERNAL gboolean     nn_yaml_doc_override      (NnYamlDoc     *doc,
                                                        const char    *assignment,
                                                        GError       **error);
G_GNUC_INTERNAL yaml_node_t *nn_yaml_root              (NnYamlDoc     *doc);
G_GNUC_INTERNAL void         nn_yaml_set_error         (GError       **error,
                                                        NnYamlDoc     *doc,
                                                        yaml_node_t   *node,
                                                        gint           code,
                                                        const char    *format,
                                                        ...) G_GNUC_PRINTF (5, 6);

/* One key of a mapping, with its value and the nodes for messages. */
typedef struct {
  const char  *key;
  yaml_node_t *key_node;
  yaml_node_t *value;
} NnYamlPair;

G_GNUC_INTERNAL gboolean     nn_yaml_check_mapping     (NnYamlDoc          *doc,
                                                        yaml_node_t        *node,
                                                        const char         *what,
                                                        const char * const *allowed,
                                                        GError            **error);
G_GNUC_INTERNAL yaml_node_t *nn_yaml_lookup            (NnYamlDoc     *doc,
                                                        yaml_node_t   *mapping,
                                                        const char    *key);
G_GNUC_INTERNAL guint        nn_yaml_n_pairs           (yaml_node_t   *mapping);
G_GNUC_INTERNAL NnYamlPair   nn_yaml_pair              (NnYamlDoc     *doc,
                                                        yaml_node_t   *mapping,
                                                        guint          index);
G_GNUC_INTERNAL guint        nn_yaml_n_items           (yaml_node_t   *sequence);
G_GNUC_INTERNAL yaml_node_t *nn_yaml_item              (NnYamlDoc     *doc,
                                                        yaml_node_t   *sequence,
                                                        guint          index);

G_GNUC_INTERNAL const char  *nn_yaml_scalar            (yaml_node_t   *node);
G_GNUC_INTERNAL gboolean     nn_yaml_append_key        (NnYamlDoc     *doc,
                                                        yaml_node_t   *node,
                                                        guint         *budget,
                                                        GString       *key);
G_GNUC_INTERNAL gboolean     nn_yaml_check_path        (NnYamlDoc     *doc,
                                                        yaml_node_t   *node,
                                                        const char    *what,
                                                        const char    *path,
                                                        GError       **error);
G_GNUC_INTERNAL gboolean     nn_yaml_get_string        (NnYamlDoc     *doc,
                                                        yaml_node_t   *node,
                                                        const char    *what,
                                                        const char   **out,
                                                        GError       **error);
G_GNUC_INTERNAL gboolean     nn_yaml_get_double        (NnYamlDoc     *doc,
                                                        yaml_node_t   *node,
                                                        const char    *what,
                                                        double         min,
                                                        double         max,
                                                        double        *out,
                                                        GError       **error);
G_GNUC_INTERNAL gboolean     nn_yaml_get_uint          (NnYamlDoc     *doc,
                                                        yaml_node_t   *node,
                                                        const char    *what,
                                                        guint64        min,
                                                        guint64        max,
                                                        guint64       *out,
                                                        GError       **error);
G_GNUC_INTERNAL gboolean     nn_yaml_get_bool          (NnYamlDoc     *doc,
                                                        yaml_node_t   *node,
                                                        const char    *what,
                                                        gboolean      *out,
                                                        GError       **error);
G_GNUC_INTERNAL gboolean     nn_yaml_get_enum          (NnYamlDoc     *doc,
                                                        yaml_node_t   *node,
                                                        const char    *what,
                                                        GType          enum_type,
                                                        gint          *out,
                                                        GError       **error);
G_GNUC_INTERNAL NnMatrix    *nn_yaml_get_matrix        (NnYamlDoc     *doc,
                                                        yaml_node_t   *node,
                                                        const char    *what,
                                                        guint          rows,
                                                        guint          cols,
                                                        gboolean       vector,
                                                        GError       **error);
G_GNUC_INTERNAL GObject     *nn_yaml_new_object_of_type   (NnYamlDoc     *doc,
                                                           yaml_node_t   *node,
                                                           GType          type,
                                                           const char    *what,
                                                           GError       **error);
G_GNUC_INTERNAL GObject     *nn_yaml_new_object        (NnYamlDoc     *doc,
                                                        yaml_node_t   *node,
                                                        const char    *extension_point,
                                                        const char    *what,
                                                        GError       **error);

/* Writing YAML, with libyaml's emitter so that quoting is always right. */
typedef struct _NnYamlWriter NnYamlWriter;

G_GNUC_INTERNAL NnYamlWriter *nn_yaml_writer_new            (void);
G_GNUC_INTERNAL void          nn_yaml_writer_free           (NnYamlWriter *w);
G_GNUC_INTERNAL char         *nn_yaml_writer_finish         (NnYamlWriter *w,
                                                             GError      **error);
G_GNUC_INTERNAL void          nn_yaml_writer_begin_mapping  (NnYamlWriter *w,
                                                             gboolean      flow);
G_GNUC_INTERNAL void          nn_yaml_writer_end_mapping    (NnYamlWriter *w);
G_GNUC_INTERNAL void          nn_yaml_writer_begin_sequence (NnYamlWriter *w,
                                                             gboolean      flow);
G_GNUC_INTERNAL void          nn_yaml_writer_end_sequence   (NnYamlWriter *w);
G_GNUC_INTERNAL void          nn_yaml_writer_string         (NnYamlWriter *w,
                                                             const char   *value);
G_GNUC_INTERNAL void          nn_yaml_writer_double         (NnYamlWriter *w,
                                                             double        value);
G_GNUC_INTERNAL void          nn_yaml_writer_real           (NnYamlWriter *w,
                                                             nn_real       value);
G_GNUC_INTERNAL void          nn_yaml_writer_uint           (NnYamlWriter *w,
                                                             guint64       value);
G_GNUC_INTERNAL void          nn_yaml_writer_bool           (NnYamlWriter *w,
                                                             gboolean      value);
G_GNUC_INTERNAL void          nn_yaml_writer_enum           (NnYamlWriter *w,
                                                             GType         type,
                                                             gint          value);
G_GNUC_INTERNAL void          nn_yaml_writer_value          (NnYamlWriter *w,
                                                             const GValue *value);
G_GNUC_INTERNAL void          nn_yaml_writer_object         (NnYamlWriter *w,
                                                             GObject      *object,
                                                             const char   *name);
G_GNUC_INTERNAL char         *nn_format_double              (double        value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnYamlDoc, nn_yaml_doc_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NnYamlWriter, nn_yaml_writer_free)

G_END_DECLS
