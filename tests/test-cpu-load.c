/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How many threads a product is shared between beside other processes:
 * /proc/stat read for the CPUs allowed, and none shared before the first
 * interval of load is known. */
#include <stdio.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-cpu-load-private.h"
#include "nn-test.h"

/* The head of a /proc/stat of four CPUs: user nice system idle iowait irq
 * softirq steal guest guest_nice. */
static const char stat_text[] =
  "cpu  400 40 80 9000 9 4 4 8 0 0\n"
  "cpu0 100 10 20 2000 1 1 1 2 0 0\n"
  "cpu1 200 20 40 3000 2 2 2 4 0 0\n"
  "cpu2 50 5 10 2000 3 1 1 1 0 0\n"
  "cpu3 50 5 10 2000 3 0 0 1 0 0\n"
  "intr 123456 0 0\n"
  "ctxt 98765\n";

static void
allow (guint8      *cpus,
       const guint *which,
       guint        n)
{
  memset (cpus, 0, NN_CPU_LOAD_MAX_CPUS);
  for (guint i = 0; i < n; i++)
    cpus[which[i]] = 1;
}

/* The busy ticks are user, nice, system, irq, softirq and steal of the
 * CPUs allowed, not their idle or I/O wait, nor the total line's. */
static void
test_parse_busy_ticks (void)
{
  static const guint cpu1[] = { 1 }, cpu0_3[] = { 0, 3 }, all[] = { 0, 1, 2, 3 };
  guint8             cpus[NN_CPU_LOAD_MAX_CPUS];
  guint64            busy = 0;

  allow (cpus, cpu1, 1);
  NN_CHECK (nn_cpu_load_parse_stat (stat_text, strlen (stat_text), cpus, &busy), "cpu1 read");
  NN_ASSERT_CMPFLOAT ((double) busy, 200 + 20 + 40 + 2 + 2 + 4, 0, 0);
  allow (cpus, cpu0_3, 2);
  NN_CHECK (nn_cpu_load_parse_stat (stat_text, strlen (stat_text), cpus, &busy), "cpu0, 3 read");
  NN_ASSERT_CMPFLOAT ((double) busy, (100 + 10 + 20 + 1 + 1 + 2) + (50 + 5 + 10 + 0 + 0 + 1), 0,
                      0);
  allow (cpus, all, 4);
  NN_CHECK (nn_cpu_load_parse_stat (stat_text, strlen (stat_text), cpus, &busy), "all read");
  NN_ASSERT_CMPFLOAT ((double) busy, 134 + 268 + 68 + 66, 0, 0);
}

/* A CPU allowed but missing, a line cut off where the reading stopped, a
 * line short of the fields every kernel since 2.6 has, a number that is
 * not one: not read. */
static void
test_parse_incomplete (void)
{
  static const guint cpu3[] = { 3 }, cpu7[] = { 7 }, cpu0[] = { 0 };
  static const char  old_kernel[] = "cpu  1 2 3 4 5 6 7\ncpu0 1 2 3 4 5 6 7\n";
  static const char  short_line[] = "cpu  1 2 3 4 5 6\ncpu0 1 2 3 4 5 6\n";
  static const char  garbled[] = "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 x 4 5 6 7 8\n";
  guint8             cpus[NN_CPU_LOAD_MAX_CPUS];
  guint64            busy;
  const char        *cut = strstr (stat_text, "cpu3");

  allow (cpus, cpu7, 1);
  NN_CHECK (!nn_cpu_load_parse_stat (stat_text, strlen (stat_text), cpus, &busy),
            "a CPU that is not there read");
  allow (cpus, cpu3, 1);
  NN_CHECK (!nn_cpu_load_parse_stat (stat_text, (gsize) (cut - stat_text) + 12, cpus, &busy),
            "a line cut off read");
  NN_CHECK (nn_cpu_load_parse_stat (stat_text, (gsize) (strchr (cut, '\n') + 1 - stat_text), cpus,
                                    &busy),
            "a whole line not read");
  allow (cpus, cpu0, 1);
  /* Kernels before 2.6.11 count no steal time. */
  NN_CHECK (nn_cpu_load_parse_stat (old_kernel, strlen (old_kernel), cpus, &busy),
            "a line without steal time not read");
  NN_ASSERT_CMPFLOAT ((double) busy, 1 + 2 + 3 + 6 + 7, 0, 0);
  NN_CHECK (!nn_cpu_load_parse_stat (short_line, strlen (short_line), cpus, &busy),
            "a line without softirq time read");
  NN_CHECK (!nn_cpu_load_parse_stat (garbled, strlen (garbled), cpus, &busy),
            "a line with a word for a number read");
  memset (cpus, 0, sizeof cpus);
  NN_CHECK (!nn_cpu_load_parse_stat (stat_text, strlen (stat_text), cpus, &busy),
            "no CPUs read");
}

/* One thread until a tenth of a second of load has been measured, then
 * between one and the threads asked for. */
static void
test_threads (void)
{
  gint64 start = g_get_monotonic_time ();
  guint  n;

  /* Without /proc/stat, every thread asked for is taken. */
  if (!g_file_test ("/proc/stat", G_FILE_TEST_EXISTS))
    {
      NN_CHECK (nn_cpu_load_threads (4) == 4, "threads taken without /proc/stat");
      return;
    }
  NN_CHECK (nn_cpu_load_threads (4) == 1, "shared before the load was known");
  NN_CHECK (nn_cpu_load_threads (4) == 1, "shared before the load was known");
  /* Long enough for a reading on the busiest machine. */
  while (g_get_monotonic_time () - start < 250 * G_TIME_SPAN_MILLISECOND)
    g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  n = nn_cpu_load_threads (4);
  NN_CHECK (n >= 1 && n <= 4, "%u threads of 4", n);
  NN_CHECK (nn_cpu_load_threads (1) == 1, "more than the one thread asked for");
}

static const char *self;

/* OMP_DYNAMIC=false, in any case and with spaces, as OpenMP reads it:
 * every thread from the first product on. Its own process: the variable
 * is read once. */
static void
test_omp_dynamic_false (void)
{
  static const char * const values[] = { "false", " FALSE ", "true", "" };
  static const char * const expected[] = { "4 4", "4 4", "1 1", "1 1" };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      const char *argv[] = { self, "--threads", NULL };
      g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "OMP_DYNAMIC", values[i], TRUE);
      g_autofree char *out = NULL;
      g_autoptr(GError) error = NULL;
      int status = -1;

      NN_CHECK (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL,
                              &status, &error),
                "%s", error != NULL ? error->message : "");
      NN_CHECK (g_spawn_check_wait_status (status, NULL), "OMP_DYNAMIC='%s': status %d",
                values[i], status);
      NN_CHECK (g_strcmp0 (out != NULL ? g_strstrip (out) : NULL, expected[i]) == 0,
                "OMP_DYNAMIC='%s': threads '%s', not '%s'", values[i], out, expected[i]);
    }
}

int
main (int   argc,
      char *argv[])
{
  CU_pSuite s;

  self = argv[0];
  /* test_omp_dynamic_false()'s child: the threads of its first two
   * products. */
  if (argc == 2 && g_str_equal (argv[1], "--threads"))
    {
      guint first = nn_cpu_load_threads (4);

      printf ("%u %u\n", first, nn_cpu_load_threads (4));
      return 0;
    }
  /* The default, whatever the environment of the test run. */
  g_unsetenv ("OMP_DYNAMIC");
  if (CU_initialize_registry () != CUE_SUCCESS)
    return CU_get_error ();
  s = CU_add_suite ("cpu-load", NULL, NULL);
  CU_add_test (s, "/proc/stat's busy ticks of the CPUs allowed", test_parse_busy_ticks);
  CU_add_test (s, "an incomplete /proc/stat is not read", test_parse_incomplete);
  CU_add_test (s, "one thread until the load is known", test_threads);
  CU_add_test (s, "OMP_DYNAMIC=false: every thread at once", test_omp_dynamic_false);
  return nn_test_run ();
}
