/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A plugin built for the other scalar type (float in a double build and
 * the reverse): its matrices would be misread, so it must be refused. */
#include <nn.h>

#if NN_REAL_IS_DOUBLE
#define OTHER_REAL float
#else
#define OTHER_REAL double
#endif

G_MODULE_EXPORT const NnPluginInfo nn_plugin_info = {
  NN_PLUGIN_ABI_VERSION, sizeof (OTHER_REAL)
};

G_MODULE_EXPORT void g_io_module_load (GIOModule *module);
G_MODULE_EXPORT void g_io_module_unload (GIOModule *module);

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  g_error ("%s: the loader ran a plugin built for another scalar type", G_STRFUNC);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}
