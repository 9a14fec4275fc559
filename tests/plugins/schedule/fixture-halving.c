/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fixture_halving: a learning-rate schedule from a plugin, base × factor^e,
 * to check that schedules are found, listed and used as the built-in ones
 * are. */
#include <math.h>
#include <nn.h>

#define NN_TYPE_FIXTURE_HALVING_SCHEDULE (nn_fixture_halving_schedule_get_type ())
G_DECLARE_FINAL_TYPE (NnFixtureHalvingSchedule,
                      nn_fixture_halving_schedule,
                      NN,
                      FIXTURE_HALVING_SCHEDULE,
                      NnSchedule)

struct _NnFixtureHalvingSchedule
{
  NnSchedule parent_instance;

  double factor;
};

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NnFixtureHalvingSchedule,
                                nn_fixture_halving_schedule,
                                NN_TYPE_SCHEDULE,
                                G_TYPE_FLAG_FINAL,
                                g_io_extension_point_implement (NN_SCHEDULE_EXTENSION_POINT_NAME,
                                                                g_define_type_id,
                                                                "fixture_halving",
                                                                0);)

enum {
  PROP_0,
  PROP_FACTOR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static double
nn_fixture_halving_schedule_get_rate (NnSchedule *schedule,
                                      double      base_lr,
                                      guint       epoch)
{
  NnFixtureHalvingSchedule *self = NN_FIXTURE_HALVING_SCHEDULE (schedule);

  return base_lr * pow (self->factor, epoch);
}

static void
nn_fixture_halving_schedule_get_property (GObject    *object,
                                          guint       prop_id,
                                          GValue     *value,
                                          GParamSpec *pspec)
{
  NnFixtureHalvingSchedule *self = NN_FIXTURE_HALVING_SCHEDULE (object);

  switch (prop_id)
    {
    case PROP_FACTOR:
      g_value_set_double (value, self->factor);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_fixture_halving_schedule_set_property (GObject      *object,
                                          guint         prop_id,
                                          const GValue *value,
                                          GParamSpec   *pspec)
{
  NnFixtureHalvingSchedule *self = NN_FIXTURE_HALVING_SCHEDULE (object);

  switch (prop_id)
    {
    case PROP_FACTOR:
      self->factor = g_value_get_double (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_fixture_halving_schedule_class_init (NnFixtureHalvingScheduleClass *klass)
{
  GObjectClass    *object_class = G_OBJECT_CLASS (klass);
  NnScheduleClass *schedule_class = NN_SCHEDULE_CLASS (klass);

  object_class->get_property = nn_fixture_halving_schedule_get_property;
  object_class->set_property = nn_fixture_halving_schedule_set_property;
  schedule_class->description = "Test fixture: the rate times factor every epoch";
  schedule_class->get_rate = nn_fixture_halving_schedule_get_rate;

  properties[PROP_FACTOR] =
    g_param_spec_double ("factor", NULL, "Factor applied to the rate every epoch",
                         0.0, 1.0, 0.5,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_fixture_halving_schedule_class_finalize (NnFixtureHalvingScheduleClass *klass)
{
}

static void
nn_fixture_halving_schedule_init (NnFixtureHalvingSchedule *self)
{
}

static void
register_types (GTypeModule *module)
{
  nn_fixture_halving_schedule_register_type (module);
}

NN_PLUGIN_DEFINE (register_types, "schedule:fixture_halving")
