/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A plugin built for ABI version 99 with a constructor that leaves a trace:
 * it appends its name to the file named by NN_TEST_CONSTRUCTOR_LOG. The
 * loader must refuse it from its record, so the file stays empty. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nn.h>

__attribute__ ((constructor)) static void
fixture_abi_constructor (void)
{
  const char *log = getenv ("NN_TEST_CONSTRUCTOR_LOG");
  int         fd;

  if (log == NULL)
    return;
  fd = open (log, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd >= 0)
    {
      if (write (fd, "abi-constructor\n", strlen ("abi-constructor\n")) < 0)
        abort ();
      close (fd);
    }
}

G_MODULE_EXPORT const NnPluginInfo nn_plugin_info = { 99, sizeof (nn_real), NULL };
G_MODULE_EXPORT const char         nn_plugin_names[][NN_PLUGIN_NAME_SIZE] = {
          "activation:fixture_abi", ""
};

G_MODULE_EXPORT void g_io_module_load (GIOModule *module);
G_MODULE_EXPORT void g_io_module_unload (GIOModule *module);

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  g_error ("%s: the loader ran a plugin built for another ABI", G_STRFUNC);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}
