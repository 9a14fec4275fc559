/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Training features: learning-rate schedules, gradient clipping, per-epoch
 * shuffling streams, early stopping and checkpoints. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <string.h>

#include "nn-test.h"

/* ---- counting allocations ------------------------------------------------
 * malloc, calloc and realloc defined here replace the C library's for the
 * whole process (libnncore, GLib, the plugins), so a test can count the
 * allocations a stretch of training makes on this thread. dlsym() may
 * itself allocate while the real functions are looked up; those few
 * requests come from a static buffer. */

static void *(*real_malloc) (size_t);
static void *(*real_calloc) (size_t, size_t);
static void *(*real_realloc) (void *, size_t);
static void (*real_free) (void *);
static __thread gboolean counting;
static __thread guint    n_allocations;
static gboolean          resolving;
static _Alignas(16) char bootstrap[8192];
static gsize bootstrap_used;

static void *
bootstrap_alloc (size_t size)
{
  void *p;

  size = (size + 15) & ~(size_t) 15;
  if (bootstrap_used + size > sizeof bootstrap)
    return NULL;
  p = bootstrap + bootstrap_used;
  bootstrap_used += size;
  return p;
}

static gboolean
in_bootstrap (const void *p)
{
  return (const char *) p >= bootstrap && (const char *) p < bootstrap + sizeof bootstrap;
}

static gboolean
resolve (void)
{
  if (real_free != NULL)
    return TRUE;
  if (resolving)
    return FALSE;
  resolving = TRUE;
  real_malloc = dlsym (RTLD_NEXT, "malloc");
  real_calloc = dlsym (RTLD_NEXT, "calloc");
  real_realloc = dlsym (RTLD_NEXT, "realloc");
  real_free = dlsym (RTLD_NEXT, "free");
  resolving = FALSE;
  return real_free != NULL;
}

void *
malloc (size_t size)
{
  if (!resolve ())
    return bootstrap_alloc (size);
  if (counting)
    n_allocations++;
  return real_malloc (size);
}

void *
calloc (size_t n,
        size_t size)
{
  if (!resolve ())
    return bootstrap_alloc (n * size); /* static memory is zeroed */
  if (counting)
    n_allocations++;
  return real_calloc (n, size);
}

void *
realloc (void  *p,
         size_t size)
{
  if (!resolve ())
    return NULL;
  if (counting)
    n_allocations++;
  if (in_bootstrap (p))
    {
      void *q = real_malloc (size);
      if (q != NULL)
        memcpy (q, p, MIN (size, (size_t) (bootstrap + sizeof bootstrap - (char *) p)));
      return q;
    }
  return real_realloc (p, size);
}

void
free (void *p)
{
  if (p == NULL || in_bootstrap (p))
    return;
  if (resolve ())
    real_free (p);
}

/* ---- a loss that can cancel training part-way ---------------------------- */

#define NN_TYPE_TEST_COUNTING_LOSS (nn_test_counting_loss_get_type ())
G_DECLARE_FINAL_TYPE (NnTestCountingLoss, nn_test_counting_loss, NN, TEST_COUNTING_LOSS, NnLoss)

/* Mean squared error that cancels #cancel_target at its #cancel_at-th
 * computation, which happens in the middle of an epoch. */
struct _NnTestCountingLoss
{
  NnLoss        parent_instance;
  guint         calls;
  guint         cancel_at;
  GCancellable *cancel_target;
};

G_DEFINE_FINAL_TYPE (NnTestCountingLoss, nn_test_counting_loss, NN_TYPE_LOSS)

static double
counting_loss_compute (NnLoss         *loss,
                       const NnMatrix *pred,
                       const NnMatrix *target)
{
  NnTestCountingLoss *self = NN_TEST_COUNTING_LOSS (loss);
  gsize               n = nn_matrix_size (pred);
  double              sum = 0;

  if (++self->calls == self->cancel_at && self->cancel_target != NULL)
    g_cancellable_cancel (self->cancel_target);
  for (gsize i = 0; i < n; i++)
    sum += ((double) pred->data[i] - target->data[i]) * ((double) pred->data[i] - target->data[i]);
  return sum / n;
}

static void
counting_loss_gradient (NnLoss         *loss,
                        const NnMatrix *pred,
                        const NnMatrix *target,
                        NnMatrix       *grad)
{
  gsize n = nn_matrix_size (pred);

  for (gsize i = 0; i < n; i++)
    grad->data[i] = (nn_real) (2.0 * ((double) pred->data[i] - target->data[i]) / n);
}

static void
nn_test_counting_loss_class_init (NnTestCountingLossClass *klass)
{
  NN_LOSS_CLASS (klass)->compute = counting_loss_compute;
  NN_LOSS_CLASS (klass)->gradient = counting_loss_gradient;
}

static void
nn_test_counting_loss_init (NnTestCountingLoss *self)
{
}

/* ---- helpers ------------------------------------------------------------- */

static NnOptimizer *
make_optimizer (const char *name,
                double      learning_rate)
{
  g_autoptr(GError) error = NULL;
  NnOptimizer *opt = nn_optimizer_new_by_name (name, &error);

  g_assert_no_error (error);
  nn_optimizer_set_learning_rate (opt, learning_rate);
  return opt;
}

/* A model with glorot-uniform weights drawn from @seed. */
static NnModel *
make_model (guint64             seed,
            const guint        *widths,
            const char * const *activations,
            guint               n_layers,
            NnLoss             *loss,
            NnOptimizer        *optimizer)
{
  NnModel *model = nn_model_new ();

  nn_model_set_seed (model, seed);
  for (guint i = 0; i < n_layers; i++)
    {
      g_autoptr(NnLayer) layer = nn_test_make_layer (widths[i], widths[i + 1], activations[i]);
      nn_model_add_layer (model, layer);
    }
  nn_model_set_loss (model, loss);
  nn_model_set_optimizer (model, optimizer);
  nn_model_init_parameters (model, NN_INIT_GLOROT_UNIFORM);
  return model;
}

/* A trainer of a two-layer make_model (), in batches of 10 for one epoch. */
static NnTrainer *
make_trainer (guint64             seed,
              const guint        *widths,
              const char * const *activations,
              NnLoss             *loss,
              NnOptimizer        *optimizer)
{
  g_autoptr(NnModel) model = make_model (seed, widths, activations, 2, loss, optimizer);

  return nn_test_make_trainer (model, 1, 10, TRUE);
}

static NnLoss *
make_loss (const char *name)
{
  g_autoptr(GError) error = NULL;
  NnLoss *loss = nn_loss_new_by_name (name, &error);

  g_assert_no_error (error);
  return loss;
}

static gboolean
same_parameters (NnModel *a,
                 NnModel *b)
{
  if (nn_model_get_n_parameters (a) != nn_model_get_n_parameters (b))
    return FALSE;
  for (guint p = 0; p < nn_model_get_n_parameters (a); p++)
    {
      NnMatrix *pa = nn_model_get_parameter (a, p), *pb = nn_model_get_parameter (b, p);

      if (!nn_matrix_same_shape (pa, pb) ||
          memcmp (pa->data, pb->data, nn_matrix_size (pa) * sizeof (nn_real)) != 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
same_history (GArray *a,
              GArray *b)
{
  return a->len == b->len && memcmp (a->data, b->data, a->len * sizeof (double)) == 0;
}

static GPtrArray *
copy_parameters (NnModel *model)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_matrix_free);

  for (guint p = 0; p < nn_model_get_n_parameters (model); p++)
    g_ptr_array_add (copy, nn_matrix_copy (nn_model_get_parameter (model, p)));
  return copy;
}

static gboolean
parameters_equal (NnModel   *model,
                  GPtrArray *copy)
{
  for (guint p = 0; p < copy->len; p++)
    {
      const NnMatrix *m = nn_model_get_parameter (model, p), *c = copy->pdata[p];

      if (memcmp (m->data, c->data, nn_matrix_size (c) * sizeof (nn_real)) != 0)
        return FALSE;
    }
  return TRUE;
}

static char *
temp_path (const char *name)
{
  g_autofree char *dir = nn_test_new_dir ();

  return g_build_filename (dir, name, NULL);
}

/* ---- schedules ----------------------------------------------------------- */

/* Each row: the rates of 15 epochs from base 0.1, taken from
 * torch.optim.lr_scheduler 1.13 stepped once per epoch (warm-ups are
 * LinearLR(start_factor, total_iters=warmup) then the schedule, chained with
 * SequentialLR(milestones=[warmup])). */
typedef struct
{
  const char *name;
  const char *property; /* a schedule parameter, or NULL */
  double      value;
  const char *property2;
  double      value2;
  guint       warmup;
  double      start_factor;
  double      rates[15];
} ScheduleCase;

/* clang-format off */
static const ScheduleCase schedule_cases[] = {
  { "constant", NULL, 0, NULL, 0, 0, 0,
    { 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 } },
  { "constant", NULL, 0, NULL, 0, 4, 0.25,
    { 0.025, 0.043750000000000004, 0.06250000000000001, 0.08125000000000002, 0.1, 0.1, 0.1,
      0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 } },
  { "step", "step-size", 3, "gamma", 0.5, 0, 0,
    { 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125,
      0.00625, 0.00625, 0.00625 } },
  { "step", "step-size", 3, "gamma", 0.5, 2, 1.0 / 3.0,
    { 0.03333333333333333, 0.06666666666666667, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025,
      0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.00625 } },
  { "exponential", "gamma", 0.9, NULL, 0, 0, 0,
    { 0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002,
      0.06561000000000002, 0.05904900000000002, 0.05314410000000002, 0.04782969000000002,
      0.043046721000000024, 0.03874204890000002, 0.03486784401000002, 0.03138105960900001,
      0.028242953648100012, 0.025418658283290013, 0.022876792454961013 } },
  { "exponential", "gamma", 0.9, NULL, 0, 3, 0.1,
    { 0.010000000000000002, 0.04, 0.07, 0.1, 0.09000000000000001, 0.08100000000000002,
      0.07290000000000002, 0.06561000000000002, 0.05904900000000002, 0.05314410000000002,
      0.04782969000000002, 0.043046721000000024, 0.03874204890000002, 0.03486784401000002,
      0.03138105960900001 } },
  { "cosine", "t-max", 10, "eta-min", 0.001, 0, 0,
    { 0.1, 0.09757729755661011, 0.0905463412215599, 0.07959536998847742, 0.0657963412215599,
      0.0505, 0.03520365877844011, 0.02140463001152259, 0.010453658778440109,
      0.0034227024433899004, 0.001, 0.0034227024433899004, 0.01045365877844014,
      0.02140463001152267, 0.035203658778440255 } },
  { "cosine", "t-max", 8, "eta-min", 0.002, 5, 0.2,
    { 0.020000000000000004, 0.03600000000000001, 0.05200000000000002, 0.06800000000000002,
      0.08400000000000003, 0.1, 0.09627009709305305, 0.08564823227814082,
      0.0697514881858894, 0.051, 0.0322485118141106, 0.016351767721859173,
      0.00572990290694695, 0.002, 0.00572990290694695 } },
};
/* clang-format on */

static NnSchedule *
make_schedule (const ScheduleCase *c)
{
  g_autoptr(GError) error = NULL;
  NnSchedule *s = nn_schedule_new_by_name (c->name, &error);

  g_assert_no_error (error);
  if (c->property != NULL)
    {
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (s), c->property);

      if (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_UINT)
        g_object_set (s, c->property, (guint) c->value, NULL);
      else
        g_object_set (s, c->property, c->value, NULL);
    }
  if (c->property2 != NULL)
    g_object_set (s, c->property2, c->value2, NULL);
  if (c->warmup > 0)
    g_object_set (s, "warmup-epochs", c->warmup, "warmup-start-factor", c->start_factor, NULL);
  return s;
}

static void
check_schedule_cases (gboolean with_warmup)
{
  for (gsize i = 0; i < G_N_ELEMENTS (schedule_cases); i++)
    {
      const ScheduleCase *c = &schedule_cases[i];
      g_autoptr(NnSchedule) s = NULL;

      if ((c->warmup > 0) != with_warmup)
        continue;
      s = make_schedule (c);
      CU_ASSERT_STRING_EQUAL (nn_schedule_get_name (s), c->name);
      for (guint e = 0; e < G_N_ELEMENTS (c->rates); e++)
        NN_ASSERT_CMPFLOAT (nn_schedule_get_learning_rate (s, 0.1, e), c->rates[e], 1e-12, 0);
    }
}

static void
test_schedules_match_torch (void)
{
  check_schedule_cases (FALSE);
}

static void
test_warmups_match_torch (void)
{
  check_schedule_cases (TRUE);
}

static void
test_cosine_t_max_zero_spans_training (void)
{
  g_autoptr(NnSchedule) whole = g_object_new (NN_TYPE_COSINE_SCHEDULE, "eta-min", 0.01,
                                               "warmup-epochs", 3, NULL);
  g_autoptr(NnSchedule) explicit = g_object_new (NN_TYPE_COSINE_SCHEDULE, "eta-min", 0.01,
                                                  "warmup-epochs", 3, "t-max", 17, NULL);

  nn_schedule_set_total_epochs (whole, 20);
  CU_ASSERT_EQUAL (nn_schedule_get_total_epochs (whole), 20);
  for (guint e = 0; e < 20; e++)
    CU_ASSERT_EQUAL (nn_schedule_get_learning_rate (whole, 0.5, e),
                     nn_schedule_get_learning_rate (explicit, 0.5, e));
  /* The last epoch is one step before eta_min, which the epoch after would reach. */
  CU_ASSERT (nn_schedule_get_learning_rate (whole, 0.5, 19) > 0.01);
  NN_ASSERT_CMPFLOAT (nn_schedule_get_learning_rate (whole, 0.5, 20), 0.01, 1e-12, 0);
}

static void
test_schedules_found_by_name (void)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = nn_registry_list_names (NN_REGISTRY_SCHEDULE);
  GType type;

  CU_ASSERT_EQUAL (g_strv_length ((char **) names), 4);
  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autoptr(NnSchedule) s = nn_schedule_new_by_name (names[i], &error);
      NN_ASSERT_NO_ERROR (error);
      CU_ASSERT_STRING_EQUAL (nn_schedule_get_name (s), names[i]);
    }
  type = nn_schedule_lookup ("cosin", &error);
  CU_ASSERT_EQUAL (type, G_TYPE_INVALID);
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_UNKNOWN_TYPE);
  CU_ASSERT (error && strstr (error->message, "did you mean 'cosine'") != NULL);
  g_clear_error (&error);
  CU_ASSERT_PTR_NULL (nn_schedule_new_by_name ("linear_decay", &error));
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_UNKNOWN_TYPE);
  CU_ASSERT (error && strstr (error->message, "'exponential'") != NULL);
}

/* What the experiment loader relies on: every parameter a documented
 * property with a range. */
static void
test_schedule_parameters_are_properties (void)
{
  const struct
  {
    GType       type;
    const char *prop;
  } props[] = {
    { NN_TYPE_STEP_SCHEDULE, "step-size" },
    { NN_TYPE_STEP_SCHEDULE, "gamma" },
    { NN_TYPE_EXPONENTIAL_SCHEDULE, "gamma" },
    { NN_TYPE_COSINE_SCHEDULE, "t-max" },
    { NN_TYPE_COSINE_SCHEDULE, "eta-min" },
    { NN_TYPE_CONSTANT_SCHEDULE, "warmup-epochs" },
    { NN_TYPE_COSINE_SCHEDULE, "warmup-start-factor" },
  };
  g_autoptr(NnSchedule) step = g_object_new (NN_TYPE_STEP_SCHEDULE, NULL);
  g_autoptr(NnSchedule) constant = g_object_new (NN_TYPE_CONSTANT_SCHEDULE, NULL);
  GParamSpec *gamma;
  GValue      value = G_VALUE_INIT;
  double      factor;

  for (gsize i = 0; i < G_N_ELEMENTS (props); i++)
    {
      g_autoptr(GTypeClass) klass = g_type_class_ref (props[i].type);
      GParamSpec *pspec = g_object_class_find_property (G_OBJECT_CLASS (klass), props[i].prop);

      CU_ASSERT_PTR_NOT_NULL_FATAL (pspec);
      CU_ASSERT (g_param_spec_get_blurb (pspec) != NULL && *g_param_spec_get_blurb (pspec));
      CU_ASSERT (pspec->flags & G_PARAM_WRITABLE);
    }
  /* A constant schedule has no gamma: the loader reports such a key. */
  CU_ASSERT_PTR_NULL (g_object_class_find_property (G_OBJECT_GET_CLASS (constant), "gamma"));

  /* Defaults: PyTorch's StepLR gamma and LinearLR start factor. */
  gamma = g_object_class_find_property (G_OBJECT_GET_CLASS (step), "gamma");
  NN_ASSERT_CMPFLOAT (g_value_get_double (g_param_spec_get_default_value (gamma)), 0.1, 0, 0);
  g_object_get (step, "warmup-start-factor", &factor, NULL);
  NN_ASSERT_CMPFLOAT (factor, 1.0 / 3.0, 1e-15, 0);

  g_value_init (&value, G_TYPE_DOUBLE);
  g_value_set_double (&value, 1.5);
  CU_ASSERT_TRUE (g_param_value_validate (gamma, &value));
  g_value_unset (&value);
}

typedef struct
{
  GArray *rates;
} RateLog;

static void
log_rate (NnTrainer *trainer,
          guint      epoch,
          gpointer   data)
{
  RateLog *log = data;
  double   lr = nn_optimizer_get_learning_rate (nn_model_get_optimizer (nn_trainer_get_model (trainer)));

  g_array_append_val (log->rates, lr);
}

static void
test_model_applies_schedule (void)
{
  const guint        widths[] = { 3, 4, 2 };
  const char * const acts[] = { "tanh", "linear" };
  const double       want[] = { 0.1, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(NnLoss) loss = make_loss ("mean_squared_error");
  g_autoptr(NnOptimizer) opt = make_optimizer ("sgd", 0.2);
  g_autoptr(NnModel) model = make_model (5, widths, acts, 2, loss, opt);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 4, 5, TRUE);
  g_autoptr(NnTrainerCallback) logger = NULL;
  g_autoptr(NnSchedule) schedule = g_object_new (NN_TYPE_STEP_SCHEDULE, "step-size", 2,
                                                  "gamma", 0.5, "warmup-epochs", 1,
                                                  "warmup-start-factor", 0.5, NULL);
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 12, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 12, 2, -1, 1);
  g_autoptr(GError) error = NULL;
  RateLog log = { g_array_new (FALSE, FALSE, sizeof (double)) };

  nn_trainer_set_schedule (trainer, schedule);
  logger = nn_test_epoch_callback_new (log_rate, &log);
  nn_trainer_add_callback (trainer, logger);
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  /* A second call continues the schedule where the first left it. */
  nn_trainer_set_epochs (trainer, 7);
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), 7);
  CU_ASSERT_EQUAL_FATAL (log.rates->len, G_N_ELEMENTS (want));
  for (guint e = 0; e < G_N_ELEMENTS (want); e++)
    NN_ASSERT_CMPFLOAT (g_array_index (log.rates, double, e), want[e], 1e-15, 0);

  /* Removing the schedule gives the optimizer its own rate back. */
  nn_trainer_set_schedule (trainer, NULL);
  NN_ASSERT_CMPFLOAT (nn_optimizer_get_learning_rate (opt), 0.2, 0, 0);
  g_array_unref (log.rates);
}

/* ---- gradient clipping --------------------------------------------------- */

/* 3-4-2 tanh/linear network, MSE, and the values PyTorch (float64) gives
 * with torch.nn.utils.clip_grad_norm_ before each optimizer step. */
static const nn_real clip_x[] = { 0.1, -0.4, 0.7, 0.9, 0.2, -0.3, -0.5, 0.8, 0.05,
                                  0.3, 0.3, 0.3, -0.9, -0.1, 0.6 };
static const nn_real clip_y[] = { 1.0, -1.0, 0.5, 2.0, -1.5, 0.25, 2.0, 1.0, 0.0, -2.0 };
static const nn_real clip_w1[] = { 0.5, -0.3, 0.8, -0.6, 0.9, 0.1, 0.7, 0.2, -0.4,
                                   -0.2, -0.8, 0.6 };
static const nn_real clip_b1[] = { 0.1, -0.1, 0.05, 0.0 };
static const nn_real clip_w2[] = { 0.9, -0.7, 0.4, 0.3, -0.5, 0.6, 0.8, -0.9 };
static const nn_real clip_b2[] = { 0.2, -0.3 };

static NnTrainer *
make_clip_trainer (const char *optimizer,
                   double      learning_rate,
                   double      clip_norm)
{
  const guint        widths[] = { 3, 4, 2 };
  const char * const acts[] = { "tanh", "linear" };
  g_autoptr(NnLoss) loss = make_loss ("mean_squared_error");
  g_autoptr(NnOptimizer) opt = make_optimizer (optimizer, learning_rate);
  g_autoptr(NnModel) model = make_model (1, widths, acts, 2, loss, opt);
  NnTrainer *trainer = nn_trainer_new (model);
  g_autoptr(NnMatrix) w1 = nn_matrix_new_from_data (4, 3, clip_w1);
  g_autoptr(NnMatrix) b1 = nn_matrix_new_from_data (1, 4, clip_b1);
  g_autoptr(NnMatrix) w2 = nn_matrix_new_from_data (2, 4, clip_w2);
  g_autoptr(NnMatrix) b2 = nn_matrix_new_from_data (1, 2, clip_b2);

  g_assert_true (nn_layer_set_parameters (nn_model_get_layer (model, 0), w1, b1, NULL));
  g_assert_true (nn_layer_set_parameters (nn_model_get_layer (model, 1), w2, b2, NULL));
  nn_trainer_set_clip_norm (trainer, clip_norm);
  return trainer;
}

#if NN_REAL_IS_DOUBLE
#define CLIP_RTOL 1e-12
#else
#define CLIP_RTOL 2e-5
#endif

static void
check_parameters (NnModel      *model,
                  const double *want)
{
  guint k = 0;

  for (guint p = 0; p < nn_model_get_n_parameters (model); p++)
    {
      const NnMatrix *m = nn_model_get_parameter (model, p);

      for (gsize i = 0; i < nn_matrix_size (m); i++)
        NN_ASSERT_CMPFLOAT (m->data[i], want[k++], CLIP_RTOL, 1e-7);
    }
}

static void
test_clipping_matches_torch (void)
{
  static const double sgd_after[] = {
    0.4906333607394806, -0.302649052956828, 0.8050013645191658, -0.5892044881460861,
    0.9008504893585961, 0.09693733827658806, 0.7146376168727848, 0.20011669402098584,
    -0.39726723237737677, -0.2168798628494527, -0.802470754693025, 0.6020187911321742,
    0.09316329880900528, -0.09224490247142429, 0.06482777042375794, -0.015358677330463356,
    0.9049346495760218, -0.7018062776045522, 0.4014069094877413, 0.30200990360116986,
    -0.48836285126273754, 0.5857768274516558, 0.8167470298752667, -0.9076074401697035,
    0.20192704921074486, -0.2785361938688008
  };
  static const double adam_norms[] = {
    1.1208284083239974, 0.8292272837403843, 0.6148641148424894, 0.5062005535849222
  };
  static const double adam_after[] = {
    0.324498379080156, -0.3682963367467026, 0.9993342450750413, -0.4054957117281393,
    0.8678834529620651, -0.09861089111859277, 0.9000164449753161, 0.1305688187949373,
    -0.25914704632998153, -0.4002565932230166, -0.867864833218636, 0.8000412787316659,
    -0.03292161038114058, 0.07214270028129496, 0.22880373370768178, -0.18329356474155187,
    1.0954737797571314, -0.8620340662763929, 0.5854300499401003, 0.3099403058503647,
    -0.304140009067955, 0.3997064495559885, 1.0003307747128212, -1.1002814337673437,
    0.3866428262669614, -0.11095284076955936
  };
  g_autoptr(NnMatrix) x = nn_matrix_new_from_data (5, 3, clip_x);
  g_autoptr(NnMatrix) y = nn_matrix_new_from_data (5, 2, clip_y);
  g_autoptr(NnTrainer) sgd_trainer = make_clip_trainer ("sgd", 0.1, 0.5);
  g_autoptr(NnTrainer) adam_trainer = make_clip_trainer ("adam", 0.05, 0.3);
  NnModel *sgd = nn_trainer_get_model (sgd_trainer);
  NnModel *adam = nn_trainer_get_model (adam_trainer);
  g_autoptr(GError) error = NULL;

  /* The global norm before clipping is PyTorch's total_norm. */
  nn_model_forward (sgd, x);
  nn_model_backward (sgd, x, y);
  NN_ASSERT_CMPFLOAT (nn_model_get_gradient_norm (sgd), 1.1208284083239974, CLIP_RTOL, 0);

  nn_trainer_train_step (sgd_trainer, x, y, &error);
  NN_ASSERT_NO_ERROR (error);
  /* Clipped to max_norm / (norm + 1e-6) of the norm. */
  NN_ASSERT_CMPFLOAT (nn_model_get_gradient_norm (sgd),
                      0.5 * 1.1208284083239974 / (1.1208284083239974 + 1e-6), CLIP_RTOL, 0);
  check_parameters (sgd, sgd_after);

  for (guint s = 0; s < G_N_ELEMENTS (adam_norms); s++)
    {
      nn_model_forward (adam, x);
      nn_model_backward (adam, x, y);
      NN_ASSERT_CMPFLOAT (nn_model_get_gradient_norm (adam), adam_norms[s], CLIP_RTOL, 0);
      nn_trainer_train_step (adam_trainer, x, y, &error);
      NN_ASSERT_NO_ERROR (error);
    }
  check_parameters (adam, adam_after);
}

static void
test_small_gradients_are_not_clipped (void)
{
  g_autoptr(NnMatrix) x = nn_matrix_new_from_data (5, 3, clip_x);
  g_autoptr(NnMatrix) y = nn_matrix_new_from_data (5, 2, clip_y);
  g_autoptr(NnTrainer) off = make_clip_trainer ("sgd", 0.1, 0.0);
  g_autoptr(NnTrainer) loose = make_clip_trainer ("sgd", 0.1, 1.2);
  g_autoptr(NnTrainer) tight = make_clip_trainer ("sgd", 0.1, 1.0);

  for (int s = 0; s < 3; s++)
    {
      nn_trainer_train_step (off, x, y, NULL);
      nn_trainer_train_step (loose, x, y, NULL);
      nn_trainer_train_step (tight, x, y, NULL);
    }
  /* The norm starts at 1.12 and falls: a threshold of 1.2 never acts. */
  CU_ASSERT_TRUE (same_parameters (nn_trainer_get_model (off), nn_trainer_get_model (loose)));
  CU_ASSERT_FALSE (same_parameters (nn_trainer_get_model (off), nn_trainer_get_model (tight)));
  CU_ASSERT_EQUAL (nn_trainer_get_clip_norm (loose), 1.2);
}

/* The regularization's gradient is part of the gradient that is clipped,
 * as when the penalty is part of the loss in Keras or PyTorch: what the
 * optimizer gets has the clipping norm exactly. */
static void
test_regularization_gradient_is_clipped (void)
{
  g_autoptr(NnMatrix) x = nn_matrix_new_from_data (5, 3, clip_x);
  g_autoptr(NnMatrix) y = nn_matrix_new_from_data (5, 2, clip_y);
  g_autoptr(NnTrainer) trainer = make_clip_trainer ("sgd", 0.1, 0.5);
  NnModel *model = nn_trainer_get_model (trainer);
  double   norm;
  GError  *error = NULL;

  g_object_set (nn_model_get_layer (model, 0), "l1", 0.5, "l2", 2.0, NULL);
  g_object_set (nn_model_get_layer (model, 1), "l2", 1.0, NULL);
  nn_trainer_train_step (trainer, x, y, &error);
  NN_ASSERT_NO_ERROR (error);
  /* torch.nn.utils.clip_grad_norm_ scales by 0.5 / (norm + 1e-6). */
  norm = nn_model_get_gradient_norm (model);
  NN_ASSERT_CMPFLOAT (norm, 0.5, 1e-5, 0);
}

/* ---- early stopping ------------------------------------------------------ */

/* Feeds @values from epoch 1 on; returns the epoch at which it said stop,
 * or 0. */
static guint
feed (NnEarlyStopping *es,
      const double    *values,
      guint            n)
{
  for (guint e = 1; e <= n; e++)
    if (nn_early_stopping_update (es, e, values[e - 1], NULL))
      return e;
  return 0;
}

static void
test_patience_counts_epochs_without_improvement (void)
{
  const double values[] = { 1.0, 0.9, 0.95, 0.92, 0.91, 0.89, 0.9, 0.9, 0.9, 0.9 };
  g_autoptr(NnEarlyStopping) p0 = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 0, NULL);
  g_autoptr(NnEarlyStopping) p2 = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 2, NULL);
  g_autoptr(NnEarlyStopping) p4 = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 4, NULL);
  g_autoptr(NnEarlyStopping) p9 = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 9, NULL);

  /* Keras: patience 0 stops at the first epoch that does not improve. */
  CU_ASSERT_EQUAL (feed (p0, values, 10), 3);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (p0), 2);
  /* Epochs 3 and 4 do not improve on 0.9. */
  CU_ASSERT_EQUAL (feed (p2, values, 10), 4);
  CU_ASSERT_EQUAL (nn_early_stopping_get_stopped_epoch (p2), 4);
  /* 0.89 at epoch 6 resets the count; 7 to 10 do not improve. */
  CU_ASSERT_EQUAL (feed (p4, values, 10), 10);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (p4), 6);
  NN_ASSERT_CMPFLOAT (nn_early_stopping_get_best_value (p4), 0.89, 0, 0);
  CU_ASSERT_EQUAL (feed (p9, values, 10), 0);
  CU_ASSERT_EQUAL (nn_early_stopping_get_wait (p9), 4);
  CU_ASSERT_EQUAL (nn_early_stopping_get_stopped_epoch (p9), 0);
}

static void
test_min_delta_sets_smallest_improvement (void)
{
  const double values[] = { 1.0, 0.96, 0.94, 0.90, 0.895, 0.5 };
  g_autoptr(NnEarlyStopping) es = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 2,
                                                 "min-delta", 0.05, NULL);
  g_autoptr(NnEarlyStopping) none = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 2, NULL);

  /* 0.96 is not 0.05 below 1.0; 0.94 is; 0.90 and 0.895 are not below 0.94
   * by 0.05. */
  CU_ASSERT_EQUAL (feed (es, values, 6), 5);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (es), 3);
  NN_ASSERT_CMPFLOAT (nn_early_stopping_get_best_value (es), 0.94, 0, 0);
  CU_ASSERT_EQUAL (feed (none, values, 6), 0);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (none), 6);
}

static void
test_never_stops_after_first_epoch (void)
{
  const double values[] = { NAN, 0.5, 0.6 };
  const double nans[] = { NAN, NAN };
  g_autoptr(NnEarlyStopping) es = nn_early_stopping_new ("val_loss");
  g_autoptr(NnEarlyStopping) es_nan = nn_early_stopping_new ("val_loss");

  CU_ASSERT_EQUAL (feed (es, values, 3), 3);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (es), 2);
  /* NaN never improves. */
  CU_ASSERT_EQUAL (feed (es_nan, nans, 2), 2);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (es_nan), 0);
  CU_ASSERT (isnan (nn_early_stopping_get_best_value (es_nan)));
}

static void
test_mode_follows_metric (void)
{
  const struct
  {
    const char *monitor;
    gboolean    greater;
  } cases[] = {
    { "val_loss", FALSE },
    { "loss", FALSE },
    { "val_accuracy", TRUE },
    { "accuracy", TRUE },
    { "val_f1", TRUE },
    { "val_auc", TRUE },
    { "val_r2", TRUE },
    { "val_precision", TRUE },
    { "recall", TRUE },
    { "val_mae", FALSE },
    { "val_rmse", FALSE },
    { "custom", FALSE },
  };
  const double accuracy[] = { 0.5, 0.6, 0.6, 0.59, 0.7 };
  g_autoptr(NnEarlyStopping) forced = g_object_new (NN_TYPE_EARLY_STOPPING,
                                                     "monitor", "val_loss", "mode",
                                                     NN_EARLY_STOPPING_MODE_MAX, NULL);
  g_autoptr(NnEarlyStopping) acc = g_object_new (NN_TYPE_EARLY_STOPPING,
                                                  "monitor", "val_accuracy", "patience", 1,
                                                  NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(NnEarlyStopping) es = nn_early_stopping_new (cases[i].monitor);
      CU_ASSERT_EQUAL (nn_early_stopping_get_greater_is_better (es), cases[i].greater);
    }
  CU_ASSERT_TRUE (nn_early_stopping_get_greater_is_better (forced));
  g_object_set (forced, "mode", NN_EARLY_STOPPING_MODE_AUTO, NULL);
  CU_ASSERT_FALSE (nn_early_stopping_get_greater_is_better (forced));

  /* An equal accuracy is no improvement. */
  CU_ASSERT_EQUAL (feed (acc, accuracy, 5), 3);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (acc), 2);
}

typedef struct
{
  NnEarlyStopping *es;
  const double    *values;
  guint            copy_epoch;
  GPtrArray       *copy;
} StopRun;

static void
on_epoch_early_stop (NnTrainer *trainer,
                     guint      epoch,
                     gpointer   data)
{
  StopRun *run = data;
  NnModel *model = nn_trainer_get_model (trainer);

  if (epoch == run->copy_epoch)
    run->copy = copy_parameters (model);
  if (nn_early_stopping_update (run->es, epoch, run->values[epoch - 1], model))
    nn_trainer_stop (trainer);
}

static void
test_restore_best_weights (void)
{
  const guint        widths[] = { 3, 5, 2 };
  const char * const acts[] = { "relu", "linear" };
  const double       values[] = { 0.9, 0.7, 0.5, 0.6, 0.55, 0.52, 0.4, 0.3, 0.2, 0.1 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (21);
  g_autoptr(NnLoss) loss = make_loss ("mean_squared_error");
  g_autoptr(NnOptimizer) opt = make_optimizer ("adam", 0.01);
  g_autoptr(NnModel) model = make_model (8, widths, acts, 2, loss, opt);
  g_autoptr(NnTrainer) trainer = nn_test_make_trainer (model, 10, 4, TRUE);
  g_autoptr(NnTrainerCallback) stopper = NULL;
  g_autoptr(NnMatrix) x = nn_test_random_matrix (rand, 20, 3, -1, 1);
  g_autoptr(NnMatrix) y = nn_test_random_matrix (rand, 20, 2, -1, 1);
  g_autoptr(NnEarlyStopping) es = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 3,
                                                 "restore-best", TRUE, NULL);
  g_autoptr(GError) error = NULL;
  StopRun run = { es, values, 3, NULL };

  stopper = nn_test_epoch_callback_new (on_epoch_early_stop, &run);
  nn_trainer_add_callback (trainer, stopper);
  /* The stop request ends fit() successfully after epoch 6. */
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, x, y, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), 6);
  CU_ASSERT_EQUAL (nn_trainer_get_loss_history (trainer)->len, 6);
  CU_ASSERT_EQUAL (nn_early_stopping_get_stopped_epoch (es), 6);
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (es), 3);
  CU_ASSERT_PTR_NOT_NULL_FATAL (run.copy);
  CU_ASSERT_FALSE (parameters_equal (model, run.copy));
  CU_ASSERT_TRUE (nn_early_stopping_restore (es, model));
  CU_ASSERT_TRUE (parameters_equal (model, run.copy));

  /* Without restore-best nothing is kept. */
  g_object_set (es, "restore-best", FALSE, NULL);
  CU_ASSERT_FALSE (nn_early_stopping_restore (es, model));
  g_ptr_array_unref (run.copy);
}

static void
test_early_stopping_state_round_trips (void)
{
  const guint        widths[] = { 2, 3, 1 };
  const char * const acts[] = { "tanh", "linear" };
  const double       values[] = { 0.8, 0.6, 0.7, 0.65, 0.62, 0.61 };
  g_autoptr(NnLoss) loss = make_loss ("mean_squared_error");
  g_autoptr(NnOptimizer) opt = make_optimizer ("sgd", 0.1);
  g_autoptr(NnModel) model = make_model (2, widths, acts, 2, loss, opt);
  g_autoptr(NnEarlyStopping) a = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 3,
                                                "restore-best", TRUE, NULL);
  g_autoptr(NnEarlyStopping) b = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 3,
                                                "restore-best", TRUE, NULL);
  g_autoptr(NnEarlyStopping) other = g_object_new (NN_TYPE_EARLY_STOPPING,
                                                    "monitor", "val_accuracy", NULL);
  g_autoptr(GVariant) state = NULL;
  g_autoptr(GPtrArray) best = NULL;
  g_autoptr(GError) error = NULL;

  for (guint e = 1; e <= 3; e++)
    {
      nn_model_get_parameter (model, 0)->data[0] = (nn_real) e;
      if (e == 2)
        best = copy_parameters (model);
      CU_ASSERT_FALSE (nn_early_stopping_update (a, e, values[e - 1], model));
    }
  state = nn_early_stopping_save_state (a);
  CU_ASSERT_TRUE (nn_early_stopping_load_state (b, state, model, &error));
  NN_ASSERT_NO_ERROR (error);
  for (guint e = 4; e <= 5; e++)
    {
      gboolean stop_a = nn_early_stopping_update (a, e, values[e - 1], model);
      gboolean stop_b = nn_early_stopping_update (b, e, values[e - 1], model);

      CU_ASSERT_EQUAL (stop_a, stop_b);
      CU_ASSERT_EQUAL (stop_b, e == 5);
    }
  CU_ASSERT_EQUAL (nn_early_stopping_get_best_epoch (b), 2);
  CU_ASSERT_TRUE (nn_early_stopping_restore (b, model));
  CU_ASSERT_TRUE (parameters_equal (model, best));

  CU_ASSERT_FALSE (nn_early_stopping_load_state (other, state, model, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED);
}

/* ---- resuming ------------------------------------------------------------ */

typedef struct
{
  NnMatrix *x, *y, *val_x, *val_y;
} Data;

static void
data_init (Data   *d,
           guint32 seed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  d->x = nn_test_random_matrix (rand, 50, 4, -1, 1);
  d->y = nn_test_one_hot (rand, 50, 3);
  d->val_x = nn_test_random_matrix (rand, 20, 4, -1, 1);
  d->val_y = nn_test_one_hot (rand, 20, 3);
}

static void
data_clear (Data *d)
{
  g_clear_pointer (&d->x, nn_matrix_free);
  g_clear_pointer (&d->y, nn_matrix_free);
  g_clear_pointer (&d->val_x, nn_matrix_free);
  g_clear_pointer (&d->val_y, nn_matrix_free);
}

#define RESUME_EPOCHS 8
#define RESUME_BATCH 7

/* Adam (whose state matters), shuffled mini-batches with a short last one,
 * clipping and a cosine schedule with warm-up over the whole run. */
static NnTrainer *
make_resume_trainer (guint64 seed,
                     NnLoss *loss)
{
  const guint        widths[] = { 4, 6, 3 };
  const char * const acts[] = { "tanh", "softmax" };
  g_autoptr(NnLoss) default_loss = loss ? NULL : make_loss ("categorical_crossentropy");
  g_autoptr(NnOptimizer) opt = make_optimizer ("adam", 0.05);
  g_autoptr(NnSchedule) schedule = g_object_new (NN_TYPE_COSINE_SCHEDULE, "warmup-epochs", 2,
                                                  "warmup-start-factor", 0.1, NULL);
  g_autoptr(NnModel) model = make_model (seed, widths, acts, 2, loss ? loss : default_loss, opt);
  NnTrainer *trainer = nn_test_make_trainer (model, RESUME_EPOCHS, RESUME_BATCH, TRUE);

  nn_schedule_set_total_epochs (schedule, RESUME_EPOCHS);
  nn_trainer_set_schedule (trainer, schedule);
  nn_trainer_set_clip_norm (trainer, 0.5);
  return trainer;
}

#define MODEL(trainer) nn_trainer_get_model (trainer)

static void
test_resume_from_checkpoint_is_exact (void)
{
  g_autoptr(NnTrainer) whole = make_resume_trainer (31, NULL);
  g_autoptr(NnTrainer) first = make_resume_trainer (31, NULL);
  g_autoptr(NnTrainer) second = make_resume_trainer (31, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) extra = NULL;
  g_autofree char *path = temp_path ("checkpoint");
  guint            done = 0;
  Data             d;

  data_init (&d, 30);
  CU_ASSERT_TRUE (nn_trainer_fit (whole, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  nn_trainer_set_epochs (first, 3);
  CU_ASSERT_TRUE (nn_trainer_fit (first, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  CU_ASSERT_TRUE (nn_checkpoint_save (path, first, g_variant_new ("(su)", "history", 3),
                                      &error));
  NN_ASSERT_NO_ERROR (error);

  /* The fresh model's initial weights and Adam state are replaced. */
  CU_ASSERT_FALSE (same_parameters (MODEL (first), MODEL (second)));
  CU_ASSERT_TRUE (nn_checkpoint_load (path, second, &done, &extra, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (done, 3);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (second), 3);
  CU_ASSERT_TRUE (same_parameters (MODEL (first), MODEL (second)));
  CU_ASSERT_EQUAL (nn_optimizer_get_iterations (nn_model_get_optimizer (MODEL (second))),
                   nn_optimizer_get_iterations (nn_model_get_optimizer (MODEL (first))));
  CU_ASSERT (extra != NULL && g_variant_is_of_type (extra, G_VARIANT_TYPE ("(su)")));

  CU_ASSERT_TRUE (nn_trainer_fit (second, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (second), RESUME_EPOCHS);
  CU_ASSERT_TRUE (same_parameters (MODEL (whole), MODEL (second)));
  CU_ASSERT_TRUE (same_history (nn_trainer_get_loss_history (whole),
                                nn_trainer_get_loss_history (second)));
  CU_ASSERT_TRUE (same_history (nn_trainer_get_val_loss_history (whole),
                                nn_trainer_get_val_loss_history (second)));
  CU_ASSERT_EQUAL (nn_optimizer_get_learning_rate (nn_model_get_optimizer (MODEL (whole))),
                   nn_optimizer_get_learning_rate (nn_model_get_optimizer (MODEL (second))));

  data_clear (&d);
}

static NnLoss *
counting_loss_new (guint         cancel_at,
                   GCancellable *cancellable)
{
  NnTestCountingLoss *loss = g_object_new (NN_TYPE_TEST_COUNTING_LOSS, NULL);

  loss->cancel_at = cancel_at;
  loss->cancel_target = cancellable;
  return NN_LOSS (loss);
}

static void
test_resume_part_way_through_epoch (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(NnLoss) plain_loss = counting_loss_new (0, NULL);
  g_autoptr(NnLoss) stop_loss = counting_loss_new (0, NULL);
  g_autoptr(NnLoss) again_loss = counting_loss_new (0, NULL);
  g_autoptr(NnLoss) fresh_loss = counting_loss_new (0, NULL);
  g_autoptr(NnTrainer) whole = make_resume_trainer (41, plain_loss);
  g_autoptr(NnTrainer) stopped = make_resume_trainer (41, stop_loss);
  g_autoptr(NnTrainer) again = make_resume_trainer (41, again_loss);
  g_autoptr(NnTrainer) fresh = make_resume_trainer (41, fresh_loss);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = temp_path ("checkpoint");
  guint            done = 0;
  Data             d;

  data_init (&d, 40);
  CU_ASSERT_TRUE (nn_trainer_fit (whole, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  /* An epoch is 8 batches and one validation; the 13th loss is batch 4 of
   * epoch 2, after which training stops. */
  NN_TEST_COUNTING_LOSS (stop_loss)->cancel_at = 13;
  NN_TEST_COUNTING_LOSS (stop_loss)->cancel_target = cancellable;
  CU_ASSERT_FALSE (nn_trainer_fit (stopped, d.x, d.y, d.val_x, d.val_y, cancellable, &error));
  NN_ASSERT_ERROR (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (stopped), 1);
  CU_ASSERT_EQUAL (nn_trainer_get_loss_history (stopped)->len, 1);
  CU_ASSERT_EQUAL (nn_optimizer_get_iterations (nn_model_get_optimizer (MODEL (stopped))), 12);
  CU_ASSERT_TRUE (nn_checkpoint_save (path, stopped, NULL, &error));
  NN_ASSERT_NO_ERROR (error);

  /* Continuing the part-done epoch needs the same batches. */
  g_cancellable_reset (cancellable);
  nn_trainer_set_batch_size (stopped, 5);
  CU_ASSERT_FALSE (nn_trainer_fit (stopped, d.x, d.y, NULL, NULL, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED);
  g_clear_error (&error);
  nn_trainer_set_batch_size (stopped, RESUME_BATCH);

  /* In the same process... */
  CU_ASSERT_TRUE (nn_trainer_fit (stopped, d.x, d.y, d.val_x, d.val_y, cancellable, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (same_parameters (MODEL (whole), MODEL (stopped)));
  CU_ASSERT_TRUE (same_history (nn_trainer_get_loss_history (whole),
                                nn_trainer_get_loss_history (stopped)));

  /* ...and from the checkpoint, in a model built afresh. */
  CU_ASSERT_TRUE (nn_checkpoint_load (path, fresh, &done, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (done, 1);
  CU_ASSERT_TRUE (nn_trainer_fit (fresh, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (same_parameters (MODEL (whole), MODEL (fresh)));
  CU_ASSERT_TRUE (same_history (nn_trainer_get_loss_history (whole),
                                nn_trainer_get_loss_history (fresh)));
  CU_ASSERT_TRUE (same_history (nn_trainer_get_val_loss_history (whole),
                                nn_trainer_get_val_loss_history (fresh)));

  /* A model that trained differently from the start is not the same. */
  nn_trainer_set_shuffle (again, FALSE);
  CU_ASSERT_TRUE (nn_trainer_fit (again, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  CU_ASSERT_FALSE (same_parameters (MODEL (whole), MODEL (again)));

  data_clear (&d);
}

/* Plain SGD, so that the weights and the epoch are the whole state. */
static NnTrainer *
make_sgd_trainer (guint64 seed)
{
  const guint        widths[] = { 4, 6, 3 };
  const char * const acts[] = { "tanh", "softmax" };
  g_autoptr(NnLoss) loss = make_loss ("categorical_crossentropy");
  g_autoptr(NnOptimizer) opt = make_optimizer ("sgd", 0.1);
  g_autoptr(NnModel) model = make_model (seed, widths, acts, 2, loss, opt);

  return nn_test_make_trainer (model, 1, RESUME_BATCH, TRUE);
}

static void
copy_weights (NnModel *from,
              NnModel *to)
{
  for (guint p = 0; p < nn_model_get_n_parameters (from); p++)
    nn_matrix_copy_into (nn_model_get_parameter (from, p), nn_model_get_parameter (to, p));
}

/* Trains one shuffled epoch of @model from @reference's weights as epoch
 * @epoch, and tells whether it ends with the weights @expected ends with. */
static gboolean
trains_like (NnTrainer  *trainer,
             NnTrainer  *reference,
             guint       epoch,
             NnTrainer  *expected,
             const Data *d)
{
  copy_weights (MODEL (reference), MODEL (trainer));
  nn_trainer_set_epoch (trainer, epoch);
  nn_trainer_train_epoch (trainer, d->x, d->y, NULL);
  return same_parameters (MODEL (trainer), MODEL (expected));
}

static void
test_shuffling_depends_on_seed_and_epoch (void)
{
  g_autoptr(NnTrainer) start = make_sgd_trainer (51);
  g_autoptr(NnTrainer) expected = make_sgd_trainer (51);
  g_autoptr(NnTrainer) same = make_sgd_trainer (51);
  g_autoptr(NnTrainer) other_seed = make_sgd_trainer (52);
  g_autoptr(NnTrainer) in_order = make_sgd_trainer (51);
  Data d;

  data_init (&d, 50);
  copy_weights (MODEL (start), MODEL (expected));
  nn_trainer_set_epoch (expected, 3);
  nn_trainer_train_epoch (expected, d.x, d.y, NULL);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (expected), 4);

  /* Drawing more from the model's own sequence (initial weights) changes
   * nothing in the shuffling. */
  nn_model_init_parameters (MODEL (same), NN_INIT_HE_NORMAL);
  CU_ASSERT_TRUE (trains_like (same, start, 3, expected, &d));
  /* Another epoch or another seed gives another order. */
  CU_ASSERT_FALSE (trains_like (same, start, 2, expected, &d));
  CU_ASSERT_FALSE (trains_like (other_seed, start, 3, expected, &d));
  /* The order is all that differs: without shuffling they agree. */
  copy_weights (MODEL (start), MODEL (in_order));
  copy_weights (MODEL (start), MODEL (other_seed));
  nn_trainer_set_shuffle (in_order, FALSE);
  nn_trainer_set_shuffle (other_seed, FALSE);
  nn_trainer_train_epoch (in_order, d.x, d.y, NULL);
  nn_trainer_train_epoch (other_seed, d.x, d.y, NULL);
  CU_ASSERT_TRUE (same_parameters (MODEL (in_order), MODEL (other_seed)));
  data_clear (&d);
}

/* ---- refusing bad checkpoints -------------------------------------------- */

/* A checkpoint file of @dict: of format version 2 with its digest, or of
 * version 1 (the dictionary right after the magic) if @old_format. */
static void
write_checkpoint_file (const char *path,
                       GVariant   *dict,
                       gboolean    old_format)
{
  g_autoptr(GVariant) v = g_variant_ref_sink (dict);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize            size = g_variant_get_size (v), header = old_format ? 8 : 48, digest_length = 32;
  g_autofree char *data = g_malloc0 (header + size);

  memcpy (data, "nnckpt\n", 8);
  g_variant_store (v, data + header);
  if (!old_format)
    {
      data[8] = 2;
      g_checksum_update (sum, (const guchar *) data + 8, 8);
      g_checksum_update (sum, (const guchar *) data + header, size);
      g_checksum_get_digest (sum, (guint8 *) data + 16, &digest_length);
    }
  g_assert_true (g_file_set_contents (path, data, header + size, NULL));
}

static void
expect_refused (const char *path,
                NnTrainer  *trainer,
                GQuark      domain,
                gint        code,
                const char *words)
{
  NnModel *model = MODEL (trainer);
  g_autoptr(GPtrArray) before = copy_parameters (model);
  g_autoptr(GError) error = NULL;
  guint   epoch = nn_trainer_get_epoch (trainer);
  guint64 iterations = nn_optimizer_get_iterations (nn_model_get_optimizer (model));

  CU_ASSERT_FALSE (nn_checkpoint_load (path, trainer, NULL, NULL, &error));
  NN_ASSERT_ERROR (error, domain, code);
  if (words != NULL)
    NN_ASSERT_CONTAINS (error ? error->message : NULL, words);
  CU_ASSERT_TRUE (parameters_equal (model, before));
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), epoch);
  CU_ASSERT_EQUAL (nn_optimizer_get_iterations (nn_model_get_optimizer (model)), iterations);
}

static void
test_bad_checkpoints_are_refused (void)
{
  const guint        widths[] = { 4, 6, 3 }, wider[] = { 4, 7, 3 };
  const char * const acts[] = { "tanh", "softmax" }, * const other_acts[] = { "relu", "softmax" };
  g_autoptr(NnLoss) loss = make_loss ("categorical_crossentropy");
  g_autoptr(NnOptimizer) opt = make_optimizer ("adam", 0.01);
  g_autoptr(NnOptimizer) opt2 = make_optimizer ("adam", 0.01);
  g_autoptr(NnOptimizer) opt3 = make_optimizer ("adam", 0.01);
  g_autoptr(NnOptimizer) opt4 = make_optimizer ("adam", 0.01);
  g_autoptr(NnOptimizer) sgd = make_optimizer ("sgd", 0.01);
  g_autoptr(NnOptimizer) sgd2 = make_optimizer ("sgd", 0.01);
  g_autoptr(NnTrainer) saved = make_trainer (7, widths, acts, loss, opt);
  g_autoptr(NnTrainer) target = make_trainer (7, widths, acts, loss, opt2);
  g_autoptr(NnTrainer) wide = make_trainer (7, wider, acts, loss, opt3);
  g_autoptr(NnTrainer) relu = make_trainer (7, widths, other_acts, loss, opt4);
  g_autoptr(NnTrainer) seeded = make_trainer (8, widths, acts, loss, sgd2);
  g_autoptr(NnTrainer) with_sgd = make_trainer (7, widths, acts, loss, sgd);
  g_autofree char *path = temp_path ("checkpoint");
  g_autofree char *bad = temp_path ("bad");
  g_autofree char *missing = g_build_filename (g_get_tmp_dir (), "nn-no-such-dir", "x", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (99);
  g_autoptr(GError) error = NULL;
  gsize length;
  Data  d;

  data_init (&d, 60);
  nn_trainer_set_epochs (saved, 2);
  nn_trainer_fit (saved, d.x, d.y, NULL, NULL, NULL, NULL);
  nn_trainer_fit (target, d.x, d.y, NULL, NULL, NULL, NULL);
  CU_ASSERT_TRUE_FATAL (nn_checkpoint_save (path, saved, NULL, &error));

  expect_refused (path, wide, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH, "7 units");
  expect_refused (path, relu, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "Relu");
  expect_refused (path, seeded, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "seed 7");
  expect_refused (path, with_sgd, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "Adam");
  expect_refused (missing, target, NN_MODEL_ERROR, NN_MODEL_ERROR_IO, NULL);

  g_file_set_contents (bad, "epochs: 3\n", -1, NULL);
  expect_refused (bad, target, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "not an nn checkpoint");
  g_file_set_contents (bad, "", 0, NULL);
  expect_refused (bad, target, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "not an nn checkpoint");
  write_checkpoint_file (bad, g_variant_new_parsed ("{'version': <@u 3>}"), FALSE);
  expect_refused (bad, target, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "format version 3");
  write_checkpoint_file (bad, g_variant_new_parsed ("{'version': <@u 1>, 'real': <'double'>}"),
                         TRUE);
  expect_refused (bad, target, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "format version 1");
#if NN_REAL_IS_DOUBLE
  write_checkpoint_file (bad, g_variant_new_parsed ("{'version': <@u 2>, 'real': <'float'>}"),
                         FALSE);
  expect_refused (bad, target, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "float build");
#else
  write_checkpoint_file (bad, g_variant_new_parsed ("{'version': <@u 2>, 'real': <'double'>}"),
                         FALSE);
  expect_refused (bad, target, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED, "double build");
#endif

  /* Cut short or with bytes changed anywhere: an error or, if the damage
   * happens to leave a valid state, a load; never a crash. */
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  for (gsize cut = 0; cut < length; cut += 1 + length / 40)
    {
      g_autoptr(GPtrArray) before = copy_parameters (MODEL (target));
      g_autoptr(GError) local_error = NULL;

      g_file_set_contents (bad, contents, cut, NULL);
      CU_ASSERT_FALSE (nn_checkpoint_load (bad, target, NULL, NULL, &local_error));
      CU_ASSERT (local_error != NULL && local_error->domain == NN_MODEL_ERROR);
      CU_ASSERT_TRUE (parameters_equal (MODEL (target), before));
    }
  for (guint trial = 0; trial < 300; trial++)
    {
      g_autofree char *copy = g_memdup2 (contents, length);
      g_autoptr(NnTrainer) victim = NULL;
      g_autoptr(NnOptimizer) victim_opt = make_optimizer ("adam", 0.01);
      g_autoptr(GError) local_error = NULL;
      guint n_changes = g_rand_int_range (rand, 1, 4);

      for (guint k = 0; k < n_changes; k++)
        copy[g_rand_int_range (rand, 8, (gint32) length)] = (char) g_rand_int_range (rand, 0, 256);
      g_file_set_contents (bad, copy, length, NULL);
      victim = make_trainer (7, widths, acts, loss, victim_opt);
      if (!nn_checkpoint_load (bad, victim, NULL, NULL, &local_error))
        CU_ASSERT (local_error != NULL && local_error->domain == NN_MODEL_ERROR);
    }

  /* The undamaged file still loads. */
  CU_ASSERT_TRUE (nn_checkpoint_load (path, target, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (same_parameters (MODEL (saved), MODEL (target)));

  data_clear (&d);
}

static void
test_checkpoint_written_atomically (void)
{
  const guint        widths[] = { 4, 6, 3 };
  const char * const acts[] = { "tanh", "softmax" };
  g_autoptr(NnLoss) loss = make_loss ("categorical_crossentropy");
  g_autoptr(NnOptimizer) opt = make_optimizer ("adam", 0.01);
  g_autoptr(NnTrainer) trainer = make_trainer (7, widths, acts, loss, opt);
  g_autofree char *path = temp_path ("checkpoint");
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *unwritable = g_build_filename (path, "inside-a-file", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) listing = NULL;
  guint n_files = 0;

  g_file_set_contents (path, "old", -1, NULL);
  CU_ASSERT_TRUE (nn_checkpoint_save (path, trainer, NULL, &error));
  /* No temporary file is left beside it. */
  listing = g_dir_open (dir, 0, NULL);
  while (g_dir_read_name (listing) != NULL)
    n_files++;
  CU_ASSERT_EQUAL (n_files, 1);
  CU_ASSERT_FALSE (nn_checkpoint_save (unwritable, trainer, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO);
}

/* ---- allocation ---------------------------------------------------------- */

/* After the first epoch, training allocates nothing: steps, schedule,
 * clipping, shuffling, validation, the epoch's values and callbacks, and
 * early stopping. */
static void
test_training_allocates_nothing_after_first_epoch (void)
{
  g_autoptr(NnTrainer) trainer = make_resume_trainer (61, NULL);
  g_autoptr(NnEarlyStopping) es = g_object_new (NN_TYPE_EARLY_STOPPING, "patience", 100,
                                                 "restore-best", TRUE, NULL);
  g_autoptr(GError) error = NULL;
  guint before;
  Data  d;

  /* A memory checker such as valgrind replaces malloc in the test too. */
  before = n_allocations;
  counting = TRUE;
  g_free (g_malloc (16));
  counting = FALSE;
  if (n_allocations != before + 1)
    {
      g_print ("allocations cannot be counted here; ");
      return;
    }

  data_init (&d, 60);
  nn_trainer_add_callback (trainer, NN_TRAINER_CALLBACK (es));
  nn_trainer_set_epochs (trainer, 1);
  CU_ASSERT_TRUE (nn_trainer_fit (trainer, d.x, d.y, d.val_x, d.val_y, NULL, &error));
  /* The histories grow by doubling; room for the next epochs is made now. */
  g_array_set_size (nn_trainer_get_loss_history (trainer), 64);
  g_array_set_size (nn_trainer_get_val_loss_history (trainer), 64);
  g_array_set_size (nn_trainer_get_loss_history (trainer), 1);
  g_array_set_size (nn_trainer_get_val_loss_history (trainer), 1);

  nn_trainer_set_epochs (trainer, 7);
  before = n_allocations;
  counting = TRUE;
  nn_trainer_fit (trainer, d.x, d.y, d.val_x, d.val_y, NULL, &error);
  counting = FALSE;
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (nn_trainer_get_epoch (trainer), 7);
  if (n_allocations != before)
    g_print ("%u allocations ", n_allocations - before);
  CU_ASSERT_EQUAL (n_allocations, before);
  data_clear (&d);
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("learning-rate schedules", nn_test_init_plugins, NULL);
  CU_add_test (s, "constant, step, exponential and cosine match torch.optim.lr_scheduler",
               test_schedules_match_torch);
  CU_add_test (s, "warm-ups match LinearLR chained before the schedule",
               test_warmups_match_torch);
  CU_add_test (s, "cosine with t_max 0 anneals over the epochs after the warm-up",
               test_cosine_t_max_zero_spans_training);
  CU_add_test (s, "schedules are found by name, with a suggestion for a typo",
               test_schedules_found_by_name);
  CU_add_test (s, "schedule parameters are properties with blurbs and ranges",
               test_schedule_parameters_are_properties);
  CU_add_test (s, "the model sets each epoch's scheduled rate", test_model_applies_schedule);

  s = CU_add_suite ("gradient clipping", nn_test_init_plugins, NULL);
  CU_add_test (s, "clipping by global norm matches torch.nn.utils.clip_grad_norm_",
               test_clipping_matches_torch);
  CU_add_test (s, "gradients within the norm are left alone", test_small_gradients_are_not_clipped);
  CU_add_test (s, "the regularization's gradient is clipped with the loss's",
               test_regularization_gradient_is_clipped);

  s = CU_add_suite ("early stopping", nn_test_init_plugins, NULL);
  CU_add_test (s, "patience counts epochs in a row without improvement",
               test_patience_counts_epochs_without_improvement);
  CU_add_test (s, "min_delta is the smallest improvement", test_min_delta_sets_smallest_improvement);
  CU_add_test (s, "training never stops after the first epoch, and NaN never improves",
               test_never_stops_after_first_epoch);
  CU_add_test (s, "the auto mode maximises accuracy-like metrics and minimises losses",
               test_mode_follows_metric);
  CU_add_test (s, "restore_best puts back the best epoch's weights", test_restore_best_weights);
  CU_add_test (s, "the early-stopping state survives a save and load",
               test_early_stopping_state_round_trips);

  s = CU_add_suite ("resuming", nn_test_init_plugins, nn_test_remove_scratch);
  CU_add_test (s, "training resumed from a checkpoint ends exactly as if never stopped",
               test_resume_from_checkpoint_is_exact);
  CU_add_test (s, "training cancelled part-way through an epoch resumes exactly",
               test_resume_part_way_through_epoch);
  CU_add_test (s, "each epoch's shuffle depends only on the seed and the epoch",
               test_shuffling_depends_on_seed_and_epoch);
  CU_add_test (s, "bad checkpoints are refused and leave the model unchanged",
               test_bad_checkpoints_are_refused);
  CU_add_test (s, "checkpoints are written atomically", test_checkpoint_written_atomically);

  s = CU_add_suite ("allocation", nn_test_init_plugins, NULL);
  CU_add_test (s, "training allocates nothing after the first epoch",
               test_training_allocates_nothing_after_first_epoch);

  return nn_test_run ();
}
