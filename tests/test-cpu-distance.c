/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How far apart two cores are, and the smallest product shared at that
 * distance. */
#define _GNU_SOURCE
#include <sched.h>
#include <CUnit/CUnit.h>

#include "nn-cpu-distance-private.h"
#include "nn-test.h"

/* Near cores share products from 4 M multiply-adds, far ones from 8 M, and
 * cores that could not be measured are far. */
static void
test_min_shared_product (void)
{
  static const guint64 near[] = { 0, 120, 200, NN_CPU_DISTANCE_NEAR_NS };
  static const guint64 far[] = { NN_CPU_DISTANCE_NEAR_NS + 1, 437, 100000, G_MAXUINT64 };

  for (guint i = 0; i < G_N_ELEMENTS (near); i++)
    NN_CHECK (nn_cpu_distance_min_shared_product (near[i]) == 4u << 20,
              "%" G_GUINT64_FORMAT " ns: %" G_GUINT64_FORMAT, near[i],
              nn_cpu_distance_min_shared_product (near[i]));
  for (guint i = 0; i < G_N_ELEMENTS (far); i++)
    NN_CHECK (nn_cpu_distance_min_shared_product (far[i]) == 8u << 20,
              "%" G_GUINT64_FORMAT " ns: %" G_GUINT64_FORMAT, far[i],
              nn_cpu_distance_min_shared_product (far[i]));
}

/* A round trip takes some time, and not milliseconds where it is measured
 * at all; two threads on one CPU are never near: the partner only runs
 * when the first is put off the CPU. */
static void
test_round_trip (void)
{
  cpu_set_t saved, one;
  guint64   ns = nn_cpu_distance_round_trip_ns ();

  NN_CHECK (ns > 0 && (ns == G_MAXUINT64 || ns < 2000000), "round trip %" G_GUINT64_FORMAT " ns",
            ns);
  if (sched_getaffinity (0, sizeof saved, &saved) != 0)
    return;
  CPU_ZERO (&one);
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET (c, &saved))
      {
        CPU_SET (c, &one);
        break;
      }
  /* The thread the measurement starts takes this thread's CPUs. */
  CU_ASSERT_EQUAL_FATAL (sched_setaffinity (0, sizeof one, &one), 0);
  ns = nn_cpu_distance_round_trip_ns ();
  sched_setaffinity (0, sizeof saved, &saved);
  NN_CHECK (ns > NN_CPU_DISTANCE_NEAR_NS, "round trip on one CPU %" G_GUINT64_FORMAT " ns", ns);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return CU_get_error ();
  s = CU_add_suite ("cpu-distance", NULL, NULL);
  CU_add_test (s, "near cores share products from 4 M multiply-adds, far ones from 8 M",
               test_min_shared_product);
  CU_add_test (s, "a round trip is measured, and on one CPU it is never near", test_round_trip);
  return nn_test_run ();
}
