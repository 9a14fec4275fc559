/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A plugin built for the next ABI version: refused before its code runs. */
#include <nn.h>

G_MODULE_EXPORT const NnPluginInfo nn_plugin_info = {
  NN_PLUGIN_ABI_VERSION + 1, sizeof (nn_real)
};

G_MODULE_EXPORT void g_io_module_load (GIOModule *module);
G_MODULE_EXPORT void g_io_module_unload (GIOModule *module);

/* The loader must check nn_plugin_info first, so reaching this is a bug. */
G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  g_error ("%s: the loader ran a plugin built for another ABI", G_STRFUNC);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}
