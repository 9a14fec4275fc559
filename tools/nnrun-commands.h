/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun commands defined outside nnrun.c. Each takes its own argv, whose
 * argv[0] is the command name, and returns nnrun's exit status. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int nnrun_cmd_plugins      (int    argc,
                            char **argv);
int nnrun_cmd_check_plugin (int    argc,
                            char **argv);
int nnrun_cmd_new_plugin   (int    argc,
                            char **argv);
int nnrun_cmd_bench        (int    argc, char **argv);

G_END_DECLS
