/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the classes built into the library need to register their names,
 * and what the plugin loader needs of the kinds; not installed. */
#pragma once

#include <gio/gio.h>

#include "nn-registry.h"

G_BEGIN_DECLS

/* Registers the extension point of every kind, once. A built-in class
 * calls it in its type definition before g_io_extension_point_implement(). */
G_GNUC_INTERNAL
void        nn_registry_ensure_extension_points (void);

/* Defines every class built into the library (nn-builtins.c), so that each
 * registers its name. */
G_GNUC_INTERNAL
void        nn_registry_ensure_builtins         (void);

/* The kind whose name is the @length bytes at @name ("activation"). */
G_GNUC_INTERNAL
gboolean    nn_registry_kind_for_name           (const char     *name,
                                                 gsize           length,
                                                 NnRegistryKind *kind);

/* "activation, loss, optimizer or schedule", for messages. */
G_GNUC_INTERNAL
const char *nn_registry_kinds_text              (void);

G_END_DECLS
