/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How many of the CPUs this process may run on other processes leave
 * idle (nn-cpu-load.c). Not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The most CPUs nn_cpu_load_parse_stat() reads. */
#define NN_CPU_LOAD_MAX_CPUS 1024

G_GNUC_INTERNAL
gboolean nn_cpu_load_parse_stat (const char    *text,
                                 gsize          len,
                                 const guint8  *cpus,
                                 guint64       *busy_ticks);
G_GNUC_INTERNAL
guint    nn_cpu_load_threads   (guint          n_threads);

G_END_DECLS
