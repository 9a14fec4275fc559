/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A well-formed plugin whose entry point registers no type. */
#include <nn.h>

static void
register_nothing (GTypeModule *module)
{
}

NN_PLUGIN_DEFINE (register_nothing)
