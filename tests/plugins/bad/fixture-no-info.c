/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A valid shared object that is not an nn plugin: no nn_plugin_info. */
#include <glib.h>
#include <gmodule.h>

G_MODULE_EXPORT int fixture_no_info_answer (void);

G_MODULE_EXPORT int
fixture_no_info_answer (void)
{
  return 42;
}
