/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A plugin that declares itself but has no g_io_module_load to call. */
#include <nn.h>

G_MODULE_EXPORT const NnPluginInfo nn_plugin_info = {
  NN_PLUGIN_ABI_VERSION, sizeof (nn_real)
};
