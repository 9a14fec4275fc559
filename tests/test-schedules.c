/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Learning-rate schedules: the rates PyTorch gives, with and without
 * warm-up, found by name, and applied by the trainer. */
#include <math.h>
#include <string.h>

#include "nn-test.h"

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
  g_autoptr(NnLoss) loss = nn_test_make_loss ("mean_squared_error");
  g_autoptr(NnOptimizer) opt = nn_test_make_optimizer ("sgd", 0.2);
  g_autoptr(NnModel) model = nn_test_make_model (5, widths, acts, 2, loss, opt);
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

  return nn_test_run ();
}
