/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A plugin that records its name, as a current one does, and whose
 * constructor dereferences a null pointer: loading it kills the process. */
#include <nn.h>

static volatile int * volatile nowhere;

__attribute__ ((constructor)) static void
fixture_crash_constructor (void)
{
  *nowhere = 1;
}

static void
register_types (GTypeModule *module)
{
}

NN_PLUGIN_DEFINE (register_types, "activation:fixture_crash")
