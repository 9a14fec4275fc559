/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-matmul-pool-private.h"

/* The threads that share a product with the thread that asks for it: the
 * product's rows go in chunks to whichever thread claims each first, the
 * asking thread included, so that a thread that wakes late (another
 * process has its core) leaves its chunks to the others instead of making
 * them wait. A product therefore never waits for a thread that has not
 * started, only for one that is in the middle of a chunk.
 *
 * A worker waits a short while after each product for the next one, which
 * in training follows within microseconds, then sleeps. Whether a product
 * is worth sharing at all is for the caller to measure. */

/* How long a worker looks for the next product before it sleeps. */
#define SPIN_MICROSECONDS 200
#define MAX_WORKERS 63

typedef struct
{
  NnMatmulChunkFunc func;
  gpointer          data;
  guint             n_chunks;
  gint              next;  /* the next chunk to claim */
  gint              done;  /* chunks finished */
  gint              users; /* workers inside this job */
} Job;

static struct
{
  GMutex lock;
  GCond  wake;
  Job   *job;        /* the product being shared, or NULL */
  gint   generation; /* of jobs posted; workers compare it */
  guint  n_workers;
  guint  sleepers;
} pool;

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

static void
run_chunks (Job *job)
{
  gint chunk;

  while ((chunk = g_atomic_int_add (&job->next, 1)) < (gint) job->n_chunks)
    {
      job->func ((guint) chunk, job->data);
      g_atomic_int_inc (&job->done);
    }
}

/* The job posted after @seen, taken under the lock so that it outlives
 * its use here; NULL when none came. */
static Job *
take_job (gint *seen)
{
  Job *job = NULL;

  if (pool.generation != *seen && pool.job != NULL)
    {
      job = pool.job;
      job->users++;
    }
  *seen = pool.generation;
  return job;
}

static gpointer
worker_main (gpointer unused)
{
  gint seen;

  g_mutex_lock (&pool.lock);
  seen = pool.generation;
  for (;;)
    {
      gint64 until;
      Job   *job;

      pool.sleepers++;
      while (pool.generation == seen)
        g_cond_wait (&pool.wake, &pool.lock);
      pool.sleepers--;

      for (;;)
        {
          job = take_job (&seen);
          g_mutex_unlock (&pool.lock);
          if (job != NULL)
            {
              run_chunks (job);
              g_mutex_lock (&pool.lock);
              job->users--;
              g_mutex_unlock (&pool.lock);
            }
          /* The next product of a training step is close behind. The
           * worker yields as it waits: where another thread is ready
           * to run on its core (the one that shares products, put there
           * by the scheduler, or another process's) that one runs. */
          until = g_get_monotonic_time () + SPIN_MICROSECONDS;
          while (g_atomic_int_get (&pool.generation) == seen &&
                 g_get_monotonic_time () < until)
            g_thread_yield ();
          g_mutex_lock (&pool.lock);
          if (pool.generation == seen)
            break;
        }
    }
  return NULL;
}

static void
ensure_workers (guint n)
{
  n = MIN (n, MAX_WORKERS);
  while (pool.n_workers < n)
    {
      /* The workers live as long as the process. */
      g_thread_unref (g_thread_new ("nn-matmul", worker_main, NULL));
      pool.n_workers++;
    }
}

/**
 * nn_matmul_pool_run:
 * @n_threads: the threads to share the chunks between, the caller's included
 * @n_chunks: the number of chunks
 * @func: does one chunk
 * @data: its data
 *
 * Calls @func on every chunk from 0 to @n_chunks − 1, on the calling thread
 * and up to @n_threads − 1 workers, and returns when all are done. One
 * thread at a time shares its products; another meanwhile runs its chunks
 * alone.
 */
void
nn_matmul_pool_run (guint             n_threads,
                    guint             n_chunks,
                    NnMatmulChunkFunc func,
                    gpointer          data)
{
  Job      job = { func, data, n_chunks, 0, 0, 0 };
  gboolean shared = FALSE;

  if (n_threads > 1 && n_chunks > 1)
    {
      g_mutex_lock (&pool.lock);
      if (pool.job == NULL)
        {
          ensure_workers (n_threads - 1);
          pool.job = &job;
          g_atomic_int_inc (&pool.generation);
          if (pool.sleepers > 0)
            g_cond_broadcast (&pool.wake);
          shared = TRUE;
        }
      g_mutex_unlock (&pool.lock);
    }

  run_chunks (&job);
  if (!shared)
    return;

  /* Only a worker in the middle of a chunk is waited for. */
  while (g_atomic_int_get (&job.done) < (gint) n_chunks)
    cpu_relax ();
  g_mutex_lock (&pool.lock);
  pool.job = NULL;
  while (job.users > 0)
    {
      g_mutex_unlock (&pool.lock);
      cpu_relax ();
      g_mutex_lock (&pool.lock);
    }
  g_mutex_unlock (&pool.lock);
}
