/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The choice between the ways of making a product (on one thread, or
 * shared in one way or another), fed times made up here: it settles on
 * the fastest, follows a change, and one slow run does not move it. */
#include <CUnit/CUnit.h>

#include "nn-matmul-choice-private.h"
#include "nn-test.h"

/* Runs @choice @n times with the times of @ns (in ns, a way each),
 * counting in @chosen the timed runs of each way. */
static void
run_times (NnMatmulChoice *choice,
           const gint64   *ns,
           guint           n,
           guint          *chosen)
{
  for (guint i = 0; i < NN_MATMUL_MAX_WAYS; i++)
    chosen[i] = 0;
  for (guint r = 0; r < n; r++)
    {
      gboolean timed, trying;
      guint    way = nn_matmul_choice_next (choice, &timed, &trying);

      g_assert_cmpuint (way, <, NN_MATMUL_MAX_WAYS);
      if (!timed)
        continue;
      chosen[way]++;
      nn_matmul_choice_record (choice, way, trying, ns[way]);
    }
}

static void
test_settles_on_the_fastest (void)
{
  /* Ways 0, 1 and 3; 2 would be fastest but is not offered. */
  const gint64   ns[NN_MATMUL_MAX_WAYS] = { 100000, 60000, 1000, 80000 };
  NnMatmulChoice choice;
  guint          chosen[NN_MATMUL_MAX_WAYS];

  nn_matmul_choice_init (&choice, 1 << 0 | 1 << 1 | 1 << 3);
  run_times (&choice, ns, 1000, chosen);
  NN_CHECK (chosen[2] == 0, "a way not offered ran %u times", chosen[2]);
  NN_CHECK (chosen[1] >= 950, "the fastest way ran %u of about 1000 times", chosen[1]);
  NN_CHECK (chosen[0] >= 2 && chosen[3] >= 2, "the others were tried %u and %u times", chosen[0],
            chosen[3]);
  NN_CHECK (nn_matmul_choice_fastest (&choice) == 1, "the fastest is way %u",
            nn_matmul_choice_fastest (&choice));
}

static void
test_follows_a_change (void)
{
  gint64         ns[NN_MATMUL_MAX_WAYS] = { 100000, 60000, 0, 80000 };
  NnMatmulChoice choice;
  guint          chosen[NN_MATMUL_MAX_WAYS];

  nn_matmul_choice_init (&choice, 1 << 0 | 1 << 1 | 1 << 3);
  run_times (&choice, ns, 1000, chosen);
  /* Another process takes the second core: the shared way 1 slows down. */
  ns[1] = 300000;
  run_times (&choice, ns, 200, chosen);
  NN_CHECK (chosen[1] <= 10, "the way that slowed down still ran %u of 200 times", chosen[1]);
  NN_CHECK (chosen[3] >= 180, "the next fastest ran %u of 200 times", chosen[3]);
  /* And leaves it: way 1 is tried again and wins. */
  ns[1] = 60000;
  run_times (&choice, ns, 5000, chosen);
  NN_CHECK (nn_matmul_choice_fastest (&choice) == 1, "the way that sped up again is not taken: %u",
            nn_matmul_choice_fastest (&choice));
}

static void
test_one_slow_run (void)
{
  const gint64   ns[NN_MATMUL_MAX_WAYS] = { 100000, 60000 };
  const gint64   slow[NN_MATMUL_MAX_WAYS] = { 100000, 10000000 };
  NnMatmulChoice choice;
  guint          chosen[NN_MATMUL_MAX_WAYS];

  nn_matmul_choice_init (&choice, 1 << 0 | 1 << 1);
  run_times (&choice, ns, 100, chosen);
  /* A run of the fastest way held up 160 times its time. */
  run_times (&choice, slow, 1, chosen);
  NN_CHECK (chosen[1] == 1, "the fastest way was not the one run");
  run_times (&choice, ns, 5, chosen);
  NN_CHECK (chosen[1] == 5, "one slow run moved the choice: way 1 ran %u of 5 times", chosen[1]);
}

static void
test_one_way (void)
{
  const gint64   ns[NN_MATMUL_MAX_WAYS] = { 1000 };
  NnMatmulChoice choice;
  guint          chosen[NN_MATMUL_MAX_WAYS];

  nn_matmul_choice_init (&choice, 1);
  run_times (&choice, ns, 100, chosen);
  NN_CHECK (chosen[0] == 99, "the only way ran %u timed times of 100", chosen[0]);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return CU_get_error ();
  s = CU_add_suite ("matmul-choice", NULL, NULL);
  CU_add_test (s, "the fastest way of a product is taken, the others tried now and then",
               test_settles_on_the_fastest);
  CU_add_test (s, "a way that slows down is left within a few runs, and taken again",
               test_follows_a_change);
  CU_add_test (s, "one slow run does not move the choice", test_one_slow_run);
  CU_add_test (s, "a product with one way runs it", test_one_way);
  return nn_test_run ();
}
