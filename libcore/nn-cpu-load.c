/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* sched_getaffinity() */
#include "config.h"

#include "nn-cpu-load-private.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#endif

/* A thread that shares products only pays where it has a core to itself.
 * Where another process is busy on the core it would take, it waits for
 * its turn there, or the scheduler moves that process onto the core of
 * the thread that asked: the products' own times do not show it, the
 * step's do, and finding which ways of sharing a product keep one
 * thread's bits costs a few products more for each new shape. So every
 * LOAD_INTERVAL the CPU time that the CPUs this process may run on spent,
 * less this process's own, says how many of them others keep busy, and
 * products are shared between the threads of those left; none are until
 * the first interval has been measured. Beside a busy loop on the other
 * of two cores, w2 on two threads trained 11% slower than on one without
 * this, and with it ran every product on one thread. */
#define LOAD_INTERVAL_US (100 * G_TIME_SPAN_MILLISECOND)
/* /proc/stat is read this far: its lines of CPUs come first. */
#define STAT_BYTES (64 * 1024)

static struct
{
  GMutex  lock;
  gint64  when;       /* monotonic time of the last reading; 0 before; atomic */
  guint64 busy_ticks; /* of the CPUs then allowed */
  guint64 self_ns;    /* this process's CPU time */
  guint   n_cpus;     /* allowed then */
  gint    free_cpus;  /* those others left idle; 0 before the first interval, -1
                       * where they cannot be known; atomic */
  char    text[STAT_BYTES];
} load;

/* Whether @p, up to @limit, starts with a CPU's number below
 * NN_CPU_LOAD_MAX_CPUS: its value in @cpu and what follows in @end. */
static gboolean
parse_cpu_number (const char  *p,
                  const char  *limit,
                  guint       *cpu,
                  const char **end)
{
  guint n = 0;

  if (p >= limit || !g_ascii_isdigit (*p))
    return FALSE;
  for (; p < limit && g_ascii_isdigit (*p); p++)
    {
      n = n * 10 + (guint) (*p - '0');
      if (n >= NN_CPU_LOAD_MAX_CPUS)
        return FALSE;
    }
  *cpu = n;
  *end = p;
  return TRUE;
}

/**
 * nn_cpu_load_parse_stat:
 * @text: the start of /proc/stat
 * @len: its length
 * @cpus: a byte for each of %NN_CPU_LOAD_MAX_CPUS CPUs, nonzero for those counted
 * @busy_ticks: (out): the ticks they spent other than idle
 *
 * Adds up the ticks the CPUs of @cpus spent running something (user,
 * nice, system, interrupts and time stolen by a hypervisor; not idle or
 * waiting for I/O).
 *
 * Returns: whether @text has a whole line for each CPU of @cpus
 */
gboolean
nn_cpu_load_parse_stat (const char   *text,
                        gsize         len,
                        const guint8 *cpus,
                        guint64      *busy_ticks)
{
  /* user nice system idle iowait irq softirq steal: the busy ones. */
  static const gboolean busy_field[8] = { TRUE, TRUE, TRUE, FALSE, FALSE, TRUE, TRUE, TRUE };
  const char           *p = text, *limit = text + len;
  guint                 wanted = 0, found = 0;

  for (guint c = 0; c < NN_CPU_LOAD_MAX_CPUS; c++)
    wanted += cpus[c] != 0;
  *busy_ticks = 0;
  while (p < limit)
    {
      const char *eol = memchr (p, '\n', (gsize) (limit - p));
      const char *q;
      guint       cpu;

      /* A line cut off at the end of what was read is not counted. */
      if (eol == NULL)
        break;
      if (eol - p > 3 && memcmp (p, "cpu", 3) == 0 && parse_cpu_number (p + 3, eol, &cpu, &q) &&
          cpus[cpu])
        {
          guint64 sum = 0;
          guint   f = 0;

          p = q;
          for (; f < G_N_ELEMENTS (busy_field); f++)
            {
              char   *end;
              guint64 v;

              while (p < eol && *p == ' ')
                p++;
              if (p == eol || !g_ascii_isdigit (*p))
                break;
              errno = 0;
              v = g_ascii_strtoull (p, &end, 10);
              if (errno != 0 || end > eol)
                break;
              if (busy_field[f])
                sum += v;
              p = end;
            }
          /* Kernels before 2.6.11 have no steal field. */
          if (f < 7)
            return FALSE;
          *busy_ticks += sum;
          found++;
        }
      else if (found > 0 && (eol - p < 3 || memcmp (p, "cpu", 3) != 0))
        break; /* past the lines of CPUs */
      p = eol + 1;
    }
  return found == wanted && wanted > 0;
}

#ifdef __linux__
static guint64
process_cpu_ns (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
    return 0;
  return (guint64) ts.tv_sec * G_GUINT64_CONSTANT (1000000000) + (guint64) ts.tv_nsec;
}

/* Reads the CPUs this process may run on and their busy ticks into @n_cpus
 * and @busy_ticks. */
static gboolean
read_load (guint   *n_cpus,
           guint64 *busy_ticks)
{
  static guint8 allowed[NN_CPU_LOAD_MAX_CPUS];
  cpu_set_t     set;
  gssize        len = 0, got;
  int           fd;

  CPU_ZERO (&set);
  if (sched_getaffinity (0, sizeof set, &set) != 0)
    return FALSE;
  *n_cpus = 0;
  for (guint c = 0; c < NN_CPU_LOAD_MAX_CPUS; c++)
    {
      allowed[c] = c < CPU_SETSIZE && CPU_ISSET (c, &set);
      *n_cpus += allowed[c];
    }
  if ((fd = open ("/proc/stat", O_RDONLY | O_CLOEXEC)) < 0)
    return FALSE;
  while (len < STAT_BYTES &&
         ((got = read (fd, load.text + len, STAT_BYTES - (gsize) len)) > 0 ||
          (got < 0 && errno == EINTR)))
    len += MAX (got, 0);
  close (fd);
  return nn_cpu_load_parse_stat (load.text, (gsize) len, allowed, busy_ticks);
}

/* Takes a new reading when the last is LOAD_INTERVAL old; under the
 * lock. */
static void
update (gint64 now)
{
  static long ticks_per_second;
  guint64     busy, self_ns = process_cpu_ns ();
  guint       n_cpus;
  double      seconds, others;

  if (ticks_per_second == 0 && (ticks_per_second = sysconf (_SC_CLK_TCK)) <= 0)
    ticks_per_second = 100;
  if (!read_load (&n_cpus, &busy))
    {
      /* Unknown: every thread asked for is taken, as without this. */
      g_atomic_int_set (&load.free_cpus, -1);
      __atomic_store_n (&load.when, now, __ATOMIC_RELAXED);
      return;
    }
  seconds = (now - load.when) / (double) G_TIME_SPAN_SECOND;
  if (load.when != 0 && n_cpus == load.n_cpus && busy >= load.busy_ticks && seconds > 0)
    {
      others = ((busy - load.busy_ticks) / (double) ticks_per_second -
                (self_ns - load.self_ns) / 1e9) /
               seconds;
      g_atomic_int_set (&load.free_cpus, (gint) MAX (1, n_cpus - floor (MAX (others, 0) + 0.5)));
    }
  __atomic_store_n (&load.when, now, __ATOMIC_RELAXED);
  load.busy_ticks = busy;
  load.self_ns = self_ns;
  load.n_cpus = n_cpus;
}
#endif

/**
 * nn_cpu_load_threads:
 * @n_threads: the threads a product could be shared between
 *
 * Returns: how many of @n_threads to share it between: no more than
 *   the CPUs this process may run on that other processes left idle in
 *   the last tenth of a second or so, and at least 1; 1 until the first
 *   tenth of a second has been measured; @n_threads where the load cannot
 *   be read
 */
guint
nn_cpu_load_threads (guint n_threads)
{
  static gsize    once;
  static gboolean fixed;
  gint            free_cpus = -1;

  /* OMP_DYNAMIC=false: as OpenMP's runtime, no fewer threads than set. */
  if (g_once_init_enter (&once))
    {
      g_autofree char *dynamic = g_strdup (g_getenv ("OMP_DYNAMIC"));

      fixed = dynamic != NULL && g_ascii_strcasecmp (g_strstrip (dynamic), "false") == 0;
      g_once_init_leave (&once, 1);
    }
  if (fixed)
    return n_threads;

#ifdef __linux__
  {
    gint64 now = g_get_monotonic_time ();

    /* One thread reads while the others go on with the last reading. */
    if (now - __atomic_load_n (&load.when, __ATOMIC_RELAXED) >= LOAD_INTERVAL_US &&
        g_mutex_trylock (&load.lock))
      {
        if (now - load.when >= LOAD_INTERVAL_US)
          update (now);
        g_mutex_unlock (&load.lock);
      }
    free_cpus = g_atomic_int_get (&load.free_cpus);
  }
#endif
  if (free_cpus < 0)
    return n_threads;
  return MAX (MIN (n_threads, (guint) free_cpus), 1);
}
