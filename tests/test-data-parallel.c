/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Data-parallel training (nn_trainer_set_data_parallel()) without MPI:
 * the processes are threads of this one, and their sum across processes a
 * barrier that adds their arrays in rank order. */
#include <math.h>
#include <string.h>

#include "nn-test.h"

#define MAX_RANKS 4

#if NN_REAL_IS_DOUBLE
#define RTOL 1e-10
#else
#define RTOL 1e-4
#endif

typedef struct
{
  GMutex   lock;
  GCond    cond;
  guint    n;
  guint    arrived;
  guint64  generation;
  gsize    len;
  nn_real *values[MAX_RANKS];
} Group;

typedef struct
{
  Group          *group;
  guint           rank;
  NnModel        *model;
  NnTrainer      *trainer;
  GCancellable   *cancellable;
  const NnMatrix *x, *y;
  gboolean        ok;
  GError         *error;
} Rank;

/* MPI_Allreduce (MPI_SUM) among the threads of a group. */
static gboolean
group_allreduce (nn_real *values,
                 gsize    n,
                 gpointer data,
                 GError **error)
{
  Rank  *r = data;
  Group *g = r->group;

  g_mutex_lock (&g->lock);
  if (g->arrived == 0)
    g->len = n;
  g_assert_cmpuint (g->len, ==, n); /* every rank sums the same thing */
  g->values[r->rank] = values;
  if (++g->arrived == g->n)
    {
      for (gsize j = 0; j < n; j++)
        {
          nn_real sum = 0;

          for (guint k = 0; k < g->n; k++)
            sum += g->values[k][j];
          for (guint k = 0; k < g->n; k++)
            g->values[k][j] = sum;
        }
      g->arrived = 0;
      g->generation++;
      g_cond_broadcast (&g->cond);
    }
  else
    {
      guint64 generation = g->generation;
      gint64  deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

      /* Ranks that disagree on when to sum would wait for ever. */
      while (g->generation == generation)
        if (!g_cond_wait_until (&g->cond, &g->lock, deadline))
          {
            g->arrived--;
            g_mutex_unlock (&g->lock);
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                         "rank %u: the other ranks did not sum", r->rank);
            return FALSE;
          }
    }
  g_mutex_unlock (&g->lock);
  return TRUE;
}

/* What stands between the hidden layer and the output one. */
typedef enum {
  MIDDLE_NONE,
  MIDDLE_BATCH_NORM, /* the hidden layer then linear */
  MIDDLE_DROPOUT,
} Middle;

/* A 3-4-2 tanh/linear network with mean squared error and plain SGD, with
 * @middle after the hidden layer. */
static NnModel *
make_model (Middle middle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnLoss) loss = nn_loss_new_by_name ("mean_squared_error", &error);
  g_autoptr(NnOptimizer) sgd = nn_sgd_optimizer_new (0.2);
  g_autoptr(NnLayer) hidden = nn_test_make_layer (3, 4, middle == MIDDLE_BATCH_NORM ? "linear" : "tanh");
  g_autoptr(NnLayer) norm = nn_batch_norm_layer_new (4);
  g_autoptr(NnLayer) dropout = nn_dropout_layer_new (4, 0.5);
  g_autoptr(NnLayer) output = nn_test_make_layer (4, 2, "linear");
  NnModel *model = nn_model_new ();

  g_assert_no_error (error);
  nn_model_set_seed (model, 5);
  nn_model_add_layer (model, hidden);
  if (middle == MIDDLE_BATCH_NORM)
    nn_model_add_layer (model, norm);
  else if (middle == MIDDLE_DROPOUT)
    nn_model_add_layer (model, dropout);
  nn_model_add_layer (model, output);
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, sgd);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  return model;
}

/* 11 samples with uneven weights, in shuffled batches of 5: the last batch
 * has 1 sample, fewer than the processes. */
static const double weights[] = { 1, 2, 0, 0.5, 3, 1, 0, 2, 1, 0.25, 1.5 };

static NnTrainer *
make_trainer (NnModel *model,
              guint    epochs,
              double   clip_norm)
{
  NnTrainer *trainer = nn_test_make_trainer (model, epochs, 5, TRUE);

  nn_trainer_set_clip_norm (trainer, clip_norm);
  nn_trainer_set_sample_weights (trainer, weights, G_N_ELEMENTS (weights));
  return trainer;
}

static gpointer
rank_thread (gpointer data)
{
  Rank *r = data;

  r->ok = nn_trainer_fit (r->trainer, r->x, r->y, NULL, NULL, r->cancellable, &r->error);
  return NULL;
}

/* Fits every rank, each in its thread, and waits for all. */
static void
fit_ranks (Rank *ranks,
           guint n)
{
  GThread *threads[MAX_RANKS];

  for (guint k = 0; k < n; k++)
    threads[k] = g_thread_new ("rank", rank_thread, &ranks[k]);
  for (guint k = 0; k < n; k++)
    g_thread_join (threads[k]);
}

static void
setup_ranks_full (Group          *group,
                  Rank           *ranks,
                  guint           n,
                  guint           epochs,
                  double          clip_norm,
                  Middle          middle,
                  const NnMatrix *x,
                  const NnMatrix *y)
{
  memset (group, 0, sizeof *group);
  g_mutex_init (&group->lock);
  g_cond_init (&group->cond);
  group->n = n;
  for (guint k = 0; k < n; k++)
    {
      Rank *r = &ranks[k];

      memset (r, 0, sizeof *r);
      r->group = group;
      r->rank = k;
      r->model = make_model (middle);
      if (middle == MIDDLE_BATCH_NORM)
        r->trainer = nn_test_make_trainer (r->model, epochs, 4, TRUE);
      else
        r->trainer = make_trainer (r->model, epochs, clip_norm);
      r->cancellable = g_cancellable_new ();
      r->x = x;
      r->y = y;
      nn_trainer_set_data_parallel (r->trainer, k, n, group_allreduce, r);
    }
}

static void
setup_ranks (Group          *group,
             Rank           *ranks,
             guint           n,
             guint           epochs,
             double          clip_norm,
             const NnMatrix *x,
             const NnMatrix *y)
{
  setup_ranks_full (group, ranks, n, epochs, clip_norm, MIDDLE_NONE, x, y);
}

static void
clear_ranks (Group *group,
             Rank  *ranks,
             guint  n)
{
  for (guint k = 0; k < n; k++)
    {
      g_clear_error (&ranks[k].error);
      g_clear_object (&ranks[k].cancellable);
      g_clear_object (&ranks[k].trainer);
      g_clear_object (&ranks[k].model);
    }
  g_mutex_clear (&group->lock);
  g_cond_clear (&group->cond);
}

static gboolean
same_parameters (NnModel *a,
                 NnModel *b)
{
  for (guint p = 0; p < nn_model_get_n_parameters (a); p++)
    {
      NnMatrix *pa = nn_model_get_parameter (a, p), *pb = nn_model_get_parameter (b, p);

      if (memcmp (pa->data, pb->data, nn_matrix_size (pa) * sizeof (nn_real)) != 0)
        return FALSE;
    }
  return TRUE;
}

static void
assert_history_close (GArray *got,
                      GArray *want)
{
  CU_ASSERT_EQUAL_FATAL (got->len, want->len);
  for (guint i = 0; i < got->len; i++)
    nn_test_assert_close_at (g_array_index (got, double, i), g_array_index (want, double, i),
                             RTOL, 0, "loss", i, __LINE__);
}

/* N threads train as one: the loss of every epoch within RTOL of one
 * trainer's, and the same parameters in every rank. */
static void
check_matches_one_full (guint  n,
                        double clip_norm,
                        Middle middle)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 11, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 11, 2, -1, 1);
  g_autoptr(NnModel) model = make_model (middle);
  g_autoptr(NnTrainer) trainer = make_trainer (model, 8, clip_norm);
  g_autoptr(GError) error = NULL;
  Group group;
  Rank  ranks[MAX_RANKS];

  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  setup_ranks_full (&group, ranks, n, 8, clip_norm, middle, x, y);
  fit_ranks (ranks, n);
  for (guint k = 0; k < n; k++)
    {
      CU_ASSERT_TRUE (ranks[k].ok);
      NN_ASSERT_NO_ERROR (ranks[k].error);
      CU_ASSERT_TRUE (same_parameters (ranks[k].model, ranks[0].model));
    }
  assert_history_close (nn_trainer_get_loss_history (ranks[0].trainer),
                        nn_trainer_get_loss_history (trainer));
  clear_ranks (&group, ranks, n);
}

static void
check_matches_one (guint  n,
                   double clip_norm)
{
  check_matches_one_full (n, clip_norm, MIDDLE_NONE);
}

static void
test_two_ranks_match_one (void)
{
  check_matches_one (2, 0);
}

/* Each row of a shard keeps the dropout mask it has in the whole batch. */
static void
test_dropout_draws_as_one (void)
{
  check_matches_one_full (2, 0, MIDDLE_DROPOUT);
  check_matches_one_full (3, 0, MIDDLE_DROPOUT);
}

static void
test_three_ranks_match_one (void)
{
  check_matches_one (3, 0.3);
}

/* nn_trainer_stop() in rank 0 alone (early stopping) stops every rank after
 * the same epoch. */
static void
stop_at_epoch_2 (NnTrainer *trainer,
                 guint      epoch,
                 gpointer   data)
{
  if (epoch == 2)
    nn_trainer_stop (trainer);
}

static void
test_stop_in_one_rank_stops_all (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 11, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 11, 2, -1, 1);
  g_autoptr(NnTrainerCallback) stopper = nn_test_epoch_callback_new (stop_at_epoch_2, NULL);
  Group group;
  Rank  ranks[3];

  setup_ranks (&group, ranks, 3, 8, 0, x, y);
  nn_trainer_add_callback (ranks[0].trainer, stopper);
  fit_ranks (ranks, 3);
  for (guint k = 0; k < 3; k++)
    {
      CU_ASSERT_TRUE (ranks[k].ok);
      CU_ASSERT_EQUAL (nn_trainer_get_epoch (ranks[k].trainer), 2);
      CU_ASSERT_TRUE (nn_trainer_get_stop_requested (ranks[k].trainer));
    }
  clear_ranks (&group, ranks, 3);
}

/* A rank cancelled alone makes all stop at the same batch; fitted on, they
 * end as ranks never stopped. */
static void
test_cancel_in_one_rank_stops_all (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 11, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 11, 2, -1, 1);
  Group group, whole_group;
  Rank  ranks[2], whole[2];

  setup_ranks (&whole_group, whole, 2, 4, 0, x, y);
  fit_ranks (whole, 2);
  setup_ranks (&group, ranks, 2, 4, 0, x, y);
  g_cancellable_cancel (ranks[1].cancellable);
  fit_ranks (ranks, 2);
  for (guint k = 0; k < 2; k++)
    {
      CU_ASSERT_FALSE (ranks[k].ok);
      CU_ASSERT_TRUE (g_error_matches (ranks[k].error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
      g_clear_error (&ranks[k].error);
      CU_ASSERT_EQUAL (nn_trainer_get_epoch (ranks[k].trainer), 0);
    }
  /* The first batch was trained in both: the one after the cancellation. */
  CU_ASSERT_TRUE (same_parameters (ranks[0].model, ranks[1].model));
  g_cancellable_reset (ranks[1].cancellable);
  fit_ranks (ranks, 2);
  for (guint k = 0; k < 2; k++)
    {
      CU_ASSERT_TRUE (ranks[k].ok);
      CU_ASSERT_TRUE (same_parameters (ranks[k].model, whole[0].model));
    }
  clear_ranks (&whole_group, whole, 2);
  clear_ranks (&group, ranks, 2);
}

static gboolean
same_buffers (NnModel *a,
              NnModel *b)
{
  for (guint l = 0; l < nn_model_get_n_layers (a); l++)
    {
      NnLayer *la = nn_model_get_layer (a, l), *lb = nn_model_get_layer (b, l);

      for (guint i = 0; i < nn_layer_get_n_buffers (la); i++)
        {
          NnMatrix *ba = nn_layer_get_buffer (la, i), *bb = nn_layer_get_buffer (lb, i);

          if (memcmp (ba->data, bb->data, nn_matrix_size (ba) * sizeof (nn_real)) != 0)
            return FALSE;
        }
    }
  return TRUE;
}

/* Batch normalization normalizes each shard alone; the running statistics
 * of the ranks are made one at the end of every epoch, so that every rank
 * holds the same model. A shard of 1 sample cannot be normalized. */
static void
test_batch_norm_per_shard (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 12, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 12, 2, -1, 1);
  Group group;
  Rank  ranks[3];

  setup_ranks_full (&group, ranks, 2, 3, 0, MIDDLE_BATCH_NORM, x, y);
  fit_ranks (ranks, 2);
  CU_ASSERT_TRUE (ranks[0].ok && ranks[1].ok);
  CU_ASSERT_TRUE (same_parameters (ranks[0].model, ranks[1].model));
  CU_ASSERT_TRUE (same_buffers (ranks[0].model, ranks[1].model));
  clear_ranks (&group, ranks, 2);

  setup_ranks_full (&group, ranks, 3, 3, 0, MIDDLE_BATCH_NORM, x, y);
  fit_ranks (ranks, 3);
  for (guint k = 0; k < 3; k++)
    {
      CU_ASSERT_FALSE (ranks[k].ok);
      CU_ASSERT_PTR_NOT_NULL_FATAL (ranks[k].error);
      NN_ASSERT_CONTAINS (ranks[k].error->message, "split across 3 processes leaves shards of 1");
    }
  clear_ranks (&group, ranks, 3);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("data parallelism", nn_test_init_plugins, NULL);
  CU_add_test (s, "2 ranks train weighted, uneven batches as one trainer",
               test_two_ranks_match_one);
  CU_add_test (s, "3 ranks, a last batch of 1 sample, clipping: as one trainer",
               test_three_ranks_match_one);
  CU_add_test (s, "dropout draws the masks of one trainer, every rank its rows'",
               test_dropout_draws_as_one);
  CU_add_test (s, "a stop asked for in one rank stops every rank after the epoch",
               test_stop_in_one_rank_stops_all);
  CU_add_test (s, "a cancellation in one rank stops every rank at the same batch",
               test_cancel_in_one_rank_stops_all);
  CU_add_test (s, "batch normalization: per shard, the running statistics made one",
               test_batch_norm_per_shard);

  return nn_test_run ();
}
