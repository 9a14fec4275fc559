/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A section of an experiment file as the properties of an object, read and
 * written through its GParamSpecs; not installed. */
#pragma once

#include "nn-yaml-private.h"

G_BEGIN_DECLS

/* Reads the key @key of a section that is not a plain property: @value is
 * its node, or NULL when the section does not have it. */
typedef gboolean (*NnYamlKeyFunc) (NnYamlDoc    *doc,
                                   yaml_node_t  *value,
                                   const char   *key,
                                   gpointer      user_data,
                                   GError      **error);

G_GNUC_INTERNAL gboolean nn_yaml_read_properties        (NnYamlDoc           *doc,
                                                         yaml_node_t         *node,
                                                         GObject             *object,
                                                         const char          *what,
                                                         const char * const  *custom,
                                                         NnYamlKeyFunc        read_custom,
                                                         gpointer             user_data,
                                                         GError             **error);
G_GNUC_INTERNAL void     nn_yaml_writer_properties      (NnYamlWriter        *w,
                                                         GObject             *object);
G_GNUC_INTERNAL gboolean nn_yaml_read_some_properties   (NnYamlDoc           *doc,
                                                         yaml_node_t         *node,
                                                         GObject             *object,
                                                         const char          *what,
                                                         const char * const  *keys,
                                                         GError             **error);
G_GNUC_INTERNAL void     nn_yaml_writer_some_properties (NnYamlWriter        *w,
                                                         GObject             *object,
                                                         const char * const  *keys);

/* Marks a property written to YAML only when it is not at its default. */
G_GNUC_INTERNAL void     nn_param_spec_set_omit_default (GParamSpec          *pspec);

/* The keys of a layer's `regularizer` mapping, properties of #NnDenseLayer. */
#define NN_LAYER_REGULARIZER_KEYS { "l1", "l2", NULL }

G_END_DECLS
