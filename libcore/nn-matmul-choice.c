/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-matmul-choice-private.h"

/* Whether sharing a product between threads pays, and which way, depends
 * on the machine and on what else runs on it: a second thread that the
 * scheduler puts on the first's core, or whose core another process has,
 * makes the product slower than one thread, and oneDNN's kernels run some
 * shapes of chunk faster than others. So a product keeps a moving average
 * of its time each way and runs the fastest, trying another now and then,
 * in turn: every EXPLORE runs while the one tried wins, twice as seldom
 * each time it loses, down to once in EXPLORE_MAX runs. An average
 * follows a change in the machine within a few runs; a run held up by an
 * interrupt or a sleeping thread moves it by at most a quarter of itself. */
#define EXPLORE 16
#define EXPLORE_MAX 4096

/**
 * nn_matmul_choice_init:
 * @choice: the choice to set up
 * @ways: the ways to choose from, a bit (1 << way) each, way 0 among them
 *
 * Sets @choice up with nothing timed yet.
 */
void
nn_matmul_choice_init (NnMatmulChoice *choice,
                       guint           ways)
{
  g_return_if_fail ((ways & 1) && ways < 1u << NN_MATMUL_MAX_WAYS);

  *choice = (NnMatmulChoice){ .ways = ways };
}

static gboolean
has_way (const NnMatmulChoice *choice,
         guint                 way)
{
  return (choice->ways >> way) & 1;
}

/**
 * nn_matmul_choice_fastest:
 * @choice: a choice
 *
 * Returns: the way fastest so far; way 0 before any other is timed
 */
guint
nn_matmul_choice_fastest (const NnMatmulChoice *choice)
{
  guint best = 0;

  for (guint w = 1; w < NN_MATMUL_MAX_WAYS; w++)
    if (has_way (choice, w) && choice->ns[w] != 0 && choice->ns[w] < choice->ns[best])
      best = w;
  return best;
}

/**
 * nn_matmul_choice_next:
 * @choice: a choice
 * @timed: (out): whether the run is to be timed
 * @trying: (out): whether it tries a way slower so far
 *
 * The way of the next run: each way first once untimed (it makes the
 * primitives of its parts on every thread), then once timed, then the
 * fastest, with a try of another now and then.
 *
 * Returns: the way
 */
guint
nn_matmul_choice_next (NnMatmulChoice *choice,
                       gboolean       *timed,
                       gboolean       *trying)
{
  guint best = nn_matmul_choice_fastest (choice), w;

  *trying = FALSE;
  *timed = FALSE;
  for (w = 0; w < NN_MATMUL_MAX_WAYS; w++)
    if (has_way (choice, w) && !((choice->warm >> w) & 1))
      {
        choice->warm |= 1u << w;
        return w;
      }
  *timed = TRUE;
  for (w = 0; w < NN_MATMUL_MAX_WAYS; w++)
    if (has_way (choice, w) && choice->ns[w] == 0)
      return w;
  if (choice->ways == 1 || ++choice->since < MAX (choice->interval, EXPLORE))
    return best;
  choice->since = 0;
  w = choice->tried;
  do
    w = (w + 1) % NN_MATMUL_MAX_WAYS;
  while (!has_way (choice, w) || w == best);
  choice->tried = w;
  *trying = TRUE;
  return w;
}

/**
 * nn_matmul_choice_record:
 * @choice: a choice
 * @way: the way of a timed run
 * @trying: whether nn_matmul_choice_next() said it tried a slower way
 * @ns: its time
 *
 * Adds the time of a run @way to its average; after a try of a slower
 * way, sets when the next try comes.
 */
void
nn_matmul_choice_record (NnMatmulChoice *choice,
                         guint           way,
                         gboolean        trying,
                         gint64          ns)
{
  gint64 *average;

  g_return_if_fail (way < NN_MATMUL_MAX_WAYS && has_way (choice, way));

  average = &choice->ns[way];
  /* 0 stands for no time yet. */
  ns = MAX (ns, 1);
  if (trying)
    choice->interval = ns < choice->ns[nn_matmul_choice_fastest (choice)]
                         ? EXPLORE
                         : MIN (MAX (choice->interval, EXPLORE) * 2, EXPLORE_MAX);
  if (*average == 0)
    *average = ns;
  else
    *average += (MIN (ns, 2 * *average) - *average) / 4;
}
