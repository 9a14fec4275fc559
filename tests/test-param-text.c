/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A class's parameters as text: experiment-file keys, type words, ranges
 * and values, said once for the YAML reader, nnrun plugins and
 * check-plugin, so that the range an error names is the one nnrun shows. */
#include <float.h>
#include <math.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

#define FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)

typedef enum { SHADE_LIGHT,
               SHADE_DARK } Shade;

static GType
shade_get_type (void)
{
  static GType            type;
  static const GEnumValue values[] = {
    { SHADE_LIGHT, "SHADE_LIGHT", "light" },
    { SHADE_DARK, "SHADE_DARK", "dark" },
    { 0, NULL, NULL },
  };

  if (type == 0)
    type = g_enum_register_static ("TestParamTextShade", values);
  return type;
}

static void
check_range (GParamSpec *pspec,
             const char *want)
{
  g_autofree char *got = nn_param_spec_describe_range (g_param_spec_ref_sink (pspec));

  NN_CHECK (g_strcmp0 (got, want) == 0, "%s (%s): '%s', not '%s'", pspec->name,
            g_type_name (G_PARAM_SPEC_VALUE_TYPE (pspec)), got ? got : "(null)",
            want ? want : "(null)");
  g_param_spec_unref (pspec);
}

static void
test_ranges (void)
{
  check_range (g_param_spec_double ("d", NULL, "b", 0, 1, 0.5, FLAGS), "from 0 to 1");
  check_range (g_param_spec_double ("d", NULL, "b", -G_MAXDOUBLE, G_MAXDOUBLE, 0, FLAGS), "any");
  check_range (g_param_spec_double ("d", NULL, "b", 1e-6, 1e6, 1, FLAGS), "from 1e-06 to 1e+06");
  check_range (g_param_spec_double ("d", NULL, "b", 0, G_MAXDOUBLE, 1, FLAGS), ">= 0");
  check_range (g_param_spec_double ("d", NULL, "b", -G_MAXDOUBLE, 2.5, 1, FLAGS), "<= 2.5");
  /* "Below 1" and "above 0", as classes write them. */
  check_range (g_param_spec_double ("d", NULL, "b", 0, nextafter (1, 0), 0.5, FLAGS),
               "from 0 to 1, 1 excluded");
  check_range (g_param_spec_double ("d", NULL, "b", DBL_MIN, G_MAXDOUBLE, 1, FLAGS), "> 0");
  check_range (g_param_spec_double ("d", NULL, "b", nextafter (1, 2), G_MAXDOUBLE, 1.2, FLAGS),
               "> 1");
  check_range (g_param_spec_double ("d", NULL, "b", DBL_MIN, nextafter (1, 0), 0.5, FLAGS),
               "from 0 to 1, 0 and 1 excluded");
  /* A bound that needs its digits keeps them. */
  check_range (g_param_spec_double ("d", NULL, "b", 0, 1.0 / 3, 0, FLAGS),
               "from 0 to 0.3333333333333333");
  check_range (g_param_spec_float ("f", NULL, "b", 0.1f, 10, 1, FLAGS), "from 0.1 to 10");
  check_range (g_param_spec_int ("i", NULL, "b", -3, 3, 0, FLAGS), "from -3 to 3");
  check_range (g_param_spec_uint ("u", NULL, "b", 1, G_MAXUINT, 1, FLAGS), ">= 1");
  check_range (g_param_spec_uint ("u", NULL, "b", 0, 10000000, 1, FLAGS), "<= 10000000");
  check_range (g_param_spec_int64 ("l", NULL, "b", -5, G_GINT64_CONSTANT (1) << 40, 0, FLAGS),
               "from -5 to 1099511627776");
  check_range (g_param_spec_uint64 ("l", NULL, "b", 0, G_MAXUINT64, 0, FLAGS), "any");
  check_range (g_param_spec_long ("l", NULL, "b", 2, 9, 2, FLAGS), "from 2 to 9");
  check_range (g_param_spec_ulong ("l", NULL, "b", 2, G_MAXULONG, 2, FLAGS), ">= 2");
  check_range (g_param_spec_enum ("e", NULL, "b", shade_get_type (), SHADE_DARK, FLAGS),
               "one of light, dark");
  check_range (g_param_spec_boolean ("b", NULL, "b", FALSE, FLAGS), NULL);
  check_range (g_param_spec_string ("s", NULL, "b", NULL, FLAGS), NULL);
}

static void
check_value (GValue     *value,
             const char *want)
{
  g_autofree char *got = nn_param_value_to_string (value);

  NN_CHECK (g_strcmp0 (got, want) == 0, "a %s: '%s', not '%s'",
            g_type_name (G_VALUE_TYPE (value)), got, want);
  g_value_unset (value);
}

static void
test_values (void)
{
  GValue v = G_VALUE_INIT;
  const struct
  {
    double      value;
    const char *text;
  } doubles[] = {
    { 0.01, "0.01" },
    { 20, "20" },
    { 1e-8, "1e-08" },
    { 1e6, "1e+06" },
    { 0, "0" },
    { -2.5, "-2.5" },
    { 1.0 / 3, "0.3333333333333333" },
    { 0.9 / 2 + 0.99 / 2, "0.9450000000000001" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (doubles); i++)
    {
      g_value_set_double (g_value_init (&v, G_TYPE_DOUBLE), doubles[i].value);
      check_value (&v, doubles[i].text);
    }
  {
    g_autofree char *third = nn_param_format_real ((nn_real) (1.0 / 3));
    g_autofree char *tenth = nn_param_format_real ((nn_real) 0.1);

    /* As many digits as the scalar type needs, and no more. */
    CU_ASSERT_STRING_EQUAL (third, NN_REAL_IS_DOUBLE ? "0.3333333333333333" : "0.33333334");
    CU_ASSERT_STRING_EQUAL (tenth, "0.1");
  }
  g_value_set_float (g_value_init (&v, G_TYPE_FLOAT), 0.1f);
  check_value (&v, "0.1");
  g_value_set_boolean (g_value_init (&v, G_TYPE_BOOLEAN), TRUE);
  check_value (&v, "true");
  g_value_set_uint (g_value_init (&v, G_TYPE_UINT), 7);
  check_value (&v, "7");
  g_value_set_int64 (g_value_init (&v, G_TYPE_INT64), -9);
  check_value (&v, "-9");
  g_value_set_enum (g_value_init (&v, shade_get_type ()), SHADE_DARK);
  check_value (&v, "dark");
  g_value_set_string (g_value_init (&v, G_TYPE_STRING), "val_loss");
  check_value (&v, "'val_loss'");
  g_value_init (&v, G_TYPE_STRING);
  check_value (&v, "none");
}

static void
test_keys_and_types (void)
{
  g_autoptr(GParamSpec) rate = g_param_spec_ref_sink (
    g_param_spec_double ("learning-rate", NULL, "b", 0, 1, 0.1, FLAGS));
  g_autoptr(GParamSpec) steps = g_param_spec_ref_sink (
    g_param_spec_uint64 ("step-size", NULL, "b", 1, 9, 1, FLAGS));
  g_autoptr(GParamSpec) mode = g_param_spec_ref_sink (
    g_param_spec_enum ("mode", NULL, "b", shade_get_type (), SHADE_DARK, FLAGS));
  g_autofree char *key = nn_param_spec_get_key (rate);
  g_autofree char *back = nn_param_key_to_property_name (key);

  CU_ASSERT_STRING_EQUAL (key, "learning_rate");
  CU_ASSERT_STRING_EQUAL (back, "learning-rate");
  CU_ASSERT_STRING_EQUAL (nn_param_spec_get_type_word (rate), "number");
  CU_ASSERT_STRING_EQUAL (nn_param_spec_get_type_word (steps), "integer");
  CU_ASSERT_STRING_EQUAL (nn_param_spec_get_type_word (mode), "choice");
}

static void
test_list_sorted (void)
{
  guint                   n = 0;
  g_autofree GParamSpec **pspecs = nn_param_specs_list (NN_TYPE_ADAM_OPTIMIZER, &n);

  CU_ASSERT_FATAL (n >= 5);
  for (guint i = 0; i + 1 < n; i++)
    NN_CHECK (strcmp (pspecs[i]->name, pspecs[i + 1]->name) < 0, "'%s' before '%s'",
              pspecs[i]->name, pspecs[i + 1]->name);
}

/* The range of a refused value, as the experiment's error names it, is the
 * range nnrun plugins shows: adam's beta1 is below 1, which both say. */
static void
test_error_and_listing_agree (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "e.yaml",
                                              "data: {source: iris, positive: setosa}\n"
                                              "model: {layers: [{units: 1, activation: sigmoid}]}\n"
                                              "optimizer: {name: adam, beta1: 1}\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) e = nn_experiment_new_from_file (path, &error);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status;

  CU_ASSERT_PTR_NULL (e);
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE);
  if (error != NULL)
    NN_ASSERT_CONTAINS (error->message, "optimizer 'adam' parameter 'beta1' must be between "
                                        "0 and 1, 1 excluded, not 1");
  status = nn_test_nnrun (&out, &err, "plugins", "adam", NULL);
  NN_ASSERT_STATUS (status, 0, err);
  NN_ASSERT_CONTAINS (out, "beta1          number, default 0.9, from 0 to 1, 1 excluded\n");
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return CU_get_error ();

  suite = CU_add_suite ("Parameters as text", NULL, nn_test_remove_scratch);
  CU_add_test (suite, "ranges of every number, integer and choice type", test_ranges);
  CU_add_test (suite, "values as an experiment file spells them, exactly", test_values);
  CU_add_test (suite, "keys are snake_case property names, and back; type words",
               test_keys_and_types);
  CU_add_test (suite, "a class's parameters are listed sorted by name", test_list_sorted);
  CU_add_test (suite, "an out-of-range value is refused with the range nnrun plugins shows",
               test_error_and_listing_agree);

  return nn_test_run ();
}
