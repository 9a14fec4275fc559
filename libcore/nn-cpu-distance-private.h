/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How far apart two of this process's CPUs are, as the time a cache line
 * takes there and back between two threads (nn-cpu-distance.c), and the
 * smallest product worth sharing at that distance. Not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Round trips at or below this are near: a shared cache. */
#define NN_CPU_DISTANCE_NEAR_NS 300

/* The smallest products, in multiply-adds, shared between threads: where
 * the cores are far apart and where they are near. */
#define NN_CPU_DISTANCE_FAR_PRODUCT  (8u << 20)
#define NN_CPU_DISTANCE_NEAR_PRODUCT (4u << 20)

G_GNUC_INTERNAL
guint64 nn_cpu_distance_round_trip_ns (void);

G_GNUC_INTERNAL
guint64 nn_cpu_distance_min_shared_product (guint64 round_trip_ns);

G_END_DECLS
