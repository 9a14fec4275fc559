/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* sched_getaffinity(), sched_getcpu() */
#include "config.h"

#ifdef __linux__
#include <sched.h>
#endif

#include "nn-cpu-distance-private.h"

/* A shared product costs more than its own time shows: the thread that
 * reads its result next fetches the other threads' parts from their
 * cores' caches. How much depends on how far apart the cores are. Where a
 * cache line went there and back in 437 ns (two cores of an AMD Zen 5),
 * sharing w2's products of 6.4 M multiply-adds made training 6 to 11%
 * slower than one thread; where it took 120 to 200 ns (two cores of an
 * Intel Xeon sharing their last-level cache), sharing those of 4.2 and
 * 6.4 M made it 10% faster at batch 128 and 26% at batch 32. */

#define ROUND_TRIPS 2000
/* A partner that does not answer within this has no core of its own. */
#define GIVE_UP_US 2000
/* How long the partner may take to start on a core of its own. */
#define START_US 50000

typedef struct
{
  gint ball; /* odd: the partner's turn */
  gint ready;
  gint gave_up;
#ifdef __linux__
  cpu_set_t there; /* the CPUs the partner runs on */
#endif
} Rally;

static inline void
relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

static gpointer
partner (gpointer data)
{
  Rally *r = data;

#ifdef __linux__
  sched_setaffinity (0, sizeof r->there, &r->there);
#endif
  g_atomic_int_set (&r->ready, 1);
  for (gint i = 0; i < ROUND_TRIPS; i++)
    {
      while (g_atomic_int_get (&r->ball) != 2 * i + 1)
        {
          if (g_atomic_int_get (&r->gave_up))
            return NULL;
          relax ();
        }
      g_atomic_int_set (&r->ball, 2 * i + 2);
    }
  return NULL;
}

/* The mean round trip of the rally with the partner, which has started;
 * G_MAXUINT64 if it stops answering. */
static guint64
rally (Rally *r)
{
  gint64 start = g_get_monotonic_time ();
  gint   i;

  for (i = 0; i < ROUND_TRIPS; i++)
    {
      guint spins = 0;

      g_atomic_int_set (&r->ball, 2 * i + 1);
      /* The clock is read now and then, not to slow the rally down. */
      while (g_atomic_int_get (&r->ball) != 2 * i + 2 &&
             (++spins % 1024 != 0 || g_get_monotonic_time () - start < GIVE_UP_US))
        relax ();
      if (g_atomic_int_get (&r->ball) != 2 * i + 2)
        return G_MAXUINT64;
    }
  return (guint64) (g_get_monotonic_time () - start) * 1000 / ROUND_TRIPS;
}

/**
 * nn_cpu_distance_round_trip_ns:
 *
 * Measures a cache line's round trip between a CPU this process may run
 * on and the others, passing a counter between this thread, held on its
 * CPU meanwhile, and a new one on the others, ROUND_TRIPS times.
 *
 * Returns: the mean round trip in nanoseconds, or %G_MAXUINT64 where the
 *   process has one CPU, or the other thread did not get one of its own
 *   within a few milliseconds
 */
guint64
nn_cpu_distance_round_trip_ns (void)
{
#ifdef __linux__
  /* On its own cache line, joined before it goes out of scope. */
  Rally     r __attribute__ ((aligned (64))) = { 0 };
  cpu_set_t allowed, here;
  GThread  *thread;
  guint64   result = G_MAXUINT64;
  gint64    start;
  int       cpu = sched_getcpu ();

  if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity (0, sizeof allowed, &allowed) != 0)
    return G_MAXUINT64;
  r.there = allowed;
  CPU_CLR (cpu, &r.there);
  CPU_ZERO (&here);
  CPU_SET (cpu, &here);
  if (CPU_COUNT (&r.there) == 0 || sched_setaffinity (0, sizeof here, &here) != 0)
    return G_MAXUINT64;
  thread = g_thread_new ("nn-distance", partner, &r);
  /* Where the partner starts on this CPU, it runs as this thread yields,
   * and moves to the others. */
  start = g_get_monotonic_time ();
  while (!g_atomic_int_get (&r.ready) && g_get_monotonic_time () - start < START_US)
    g_thread_yield ();
  if (g_atomic_int_get (&r.ready))
    result = rally (&r);
  g_atomic_int_set (&r.gave_up, 1);
  g_thread_join (thread);
  sched_setaffinity (0, sizeof allowed, &allowed);
  return result;
#else
  return G_MAXUINT64;
#endif
}

/**
 * nn_cpu_distance_min_shared_product:
 * @round_trip_ns: a cache line's round trip between two cores, as
 *   nn_cpu_distance_round_trip_ns() measures it
 *
 * Returns: the fewest multiply-adds of a product shared between threads
 */
guint64
nn_cpu_distance_min_shared_product (guint64 round_trip_ns)
{
  return round_trip_ns <= NN_CPU_DISTANCE_NEAR_NS ? NN_CPU_DISTANCE_NEAR_PRODUCT
                                                  : NN_CPU_DISTANCE_FAR_PRODUCT;
}
