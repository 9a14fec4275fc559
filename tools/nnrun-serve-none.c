/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "nnrun-commands.h"

/* nnrun built without libsoup 3 has no server to start. */
int
nnrun_cmd_serve (int    argc,
                 char **argv)
{
  g_printerr ("nnrun: serve: this nnrun was built without libsoup 3; install libsoup-3.0-dev "
              "(tools/install-deps does), then meson setup --reconfigure and build again\n");
  return EXIT_BAD_INPUT;
}
