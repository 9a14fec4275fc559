/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn-plugin.h: what a plugin file needs to declare itself. */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <gio/gio.h>
#include "nn-real.h"

G_BEGIN_DECLS

/**
 * NN_PLUGIN_ABI_VERSION:
 *
 * Bumped whenever the layout of a class structure that plugins subclass
 * changes. The loader refuses a plugin built for another value.
 */
#define NN_PLUGIN_ABI_VERSION 2

/**
 * NN_PLUGIN_VERSION:
 *
 * The version a plugin records for itself, which saved models keep beside
 * the plugin's name and file. Define it before including `<nn.h>` (or with
 * `-DNN_PLUGIN_VERSION='"1.0"'`); a plugin without it is unversioned.
 */
#ifndef NN_PLUGIN_VERSION
#define NN_PLUGIN_VERSION NULL
#endif

/**
 * NnPluginInfo:
 * @abi_version: [const@Nn.PLUGIN_ABI_VERSION] when the plugin was built
 * @real_size: `sizeof (nn_real)` when the plugin was built
 * @version: (nullable): %NN_PLUGIN_VERSION when the plugin was built
 *
 * Exported by every plugin as `nn_plugin_info`, so the loader can refuse a
 * plugin built for another ABI or scalar type before running any of its code:
 * it reads the first two members from the file, unloaded.
 */
typedef struct {
  guint32     abi_version;
  guint32     real_size;
  const char *version;
} NnPluginInfo;

/**
 * NN_PLUGIN_NAME_SIZE:
 *
 * The size of one entry of a plugin's name record, `"kind:name"` and its
 * terminating NUL included.
 */
#define NN_PLUGIN_NAME_SIZE 64

#ifdef NN_PLUGIN_STATIC
#define NN_PLUGIN_DEFINE(...)
#else
/**
 * NN_PLUGIN_DEFINE:
 * @...: a `void (*) (GTypeModule *)` that registers the plugin's types, each
 *   with g_io_extension_point_implement(), then the names it registers, as
 *   `"activation:NAME"`, `"loss:NAME"`, `"optimizer:NAME"`,
 *   `"schedule:NAME"` or `"layer:NAME"` strings
 *
 * Defines the entry points of a plugin file, as `GST_PLUGIN_DEFINE` does for
 * GStreamer. Use it once per shared object:
 *
 * |[<!-- language="C" -->
 * NN_PLUGIN_DEFINE (register_types, "activation:swish")
 * ]|
 *
 * The ABI version, the scalar type and the names are plain data
 * (`nn_plugin_info`, `nn_plugin_names`) that nn reads from the file before
 * loading it: it refuses a plugin built for another nn without running any
 * of its code, and loads a file only when an experiment or a model names
 * one of its names. A plugin that lists no names still works, but is loaded
 * only when no file lists the name asked for.
 */
#define NN_PLUGIN_DEFINE(...) NN_PLUGIN_DEFINE_WITH_NAMES_ (__VA_ARGS__, "")
#endif

/* Not for direct use, nor for the introspection data: the names end with
 * an empty entry, which also makes the array valid when NN_PLUGIN_DEFINE is
 * given no names. */
#ifndef __GI_SCANNER__
#define NN_PLUGIN_DEFINE_WITH_NAMES_(register_types_func, ...)                  \
  G_MODULE_EXPORT const NnPluginInfo nn_plugin_info = {                        \
    NN_PLUGIN_ABI_VERSION, sizeof (nn_real), NN_PLUGIN_VERSION                 \
  };                                                                           \
  G_MODULE_EXPORT const char nn_plugin_names[][NN_PLUGIN_NAME_SIZE] = {        \
    __VA_ARGS__                                                                \
  };                                                                           \
  G_MODULE_EXPORT void g_io_module_load (GIOModule *module);                   \
  G_MODULE_EXPORT void g_io_module_unload (GIOModule *module);                 \
  G_MODULE_EXPORT void                                                         \
  g_io_module_load (GIOModule *module)                                         \
  {                                                                            \
    register_types_func (G_TYPE_MODULE (module));                              \
  }                                                                            \
  G_MODULE_EXPORT void                                                         \
  g_io_module_unload (GIOModule *module)                                       \
  {                                                                            \
    (void) module;                                                             \
  }
#endif

G_END_DECLS
