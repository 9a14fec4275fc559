/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn-registry.h: the classes nn finds by name, of every kind. */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * NnRegistryKind:
 * @NN_REGISTRY_ACTIVATION: subclasses of [class@Nn.Activation], on the
 *   extension point [const@Nn.ACTIVATION_EXTENSION_POINT_NAME]
 * @NN_REGISTRY_LOSS: subclasses of [class@Nn.Loss], on
 *   [const@Nn.LOSS_EXTENSION_POINT_NAME]
 * @NN_REGISTRY_OPTIMIZER: subclasses of [class@Nn.Optimizer], on
 *   [const@Nn.OPTIMIZER_EXTENSION_POINT_NAME]
 * @NN_REGISTRY_SCHEDULE: subclasses of [class@Nn.Schedule], on
 *   [const@Nn.SCHEDULE_EXTENSION_POINT_NAME]
 * @NN_REGISTRY_LAYER: subclasses of [class@Nn.Layer], on
 *   [const@Nn.LAYER_EXTENSION_POINT_NAME]
 * @NN_REGISTRY_N_KINDS: the number of kinds
 *
 * The kinds of class that experiment files, saved models and `nnrun` name.
 * Each kind is a GIO extension point whose required type is the kind's
 * abstract base class. A class built into the library registers its name
 * there as its type is defined, as a plugin's class does when its file is
 * loaded, so one lookup finds both.
 */
typedef enum {
  NN_REGISTRY_ACTIVATION,
  NN_REGISTRY_LOSS,
  NN_REGISTRY_OPTIMIZER,
  NN_REGISTRY_SCHEDULE,
  NN_REGISTRY_LAYER,
  NN_REGISTRY_N_KINDS
} NnRegistryKind;

const char *nn_registry_kind_get_name            (NnRegistryKind   kind);
const char *nn_registry_kind_get_title           (NnRegistryKind   kind);
const char *nn_registry_kind_get_extension_point (NnRegistryKind   kind);
GType       nn_registry_kind_get_base_type       (NnRegistryKind   kind);
gboolean    nn_registry_kind_for_extension_point (const char      *extension_point,
                                                  NnRegistryKind  *kind);
gboolean    nn_registry_kind_for_type            (GType            type,
                                                  NnRegistryKind  *kind);

GStrv       nn_registry_list_names               (NnRegistryKind   kind);
GType       nn_registry_lookup                   (NnRegistryKind   kind,
                                                  const char      *name,
                                                  GError         **error);
GType      *nn_registry_lookup_any               (const char      *name,
                                                  guint           *n_types,
                                                  GError         **error);
GObject    *nn_registry_new_object               (NnRegistryKind   kind,
                                                  const char      *name,
                                                  GError         **error);
const char *nn_registry_get_name                 (GType            type);
const char *nn_registry_get_description          (GType            type);

G_END_DECLS
