/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sweep.svg and sweep.png: written, valid, a panel per swept parameter. */
#include "nn-test.h"

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", NULL) || nn_test_init_plugins ();
}

/* The number of <text> elements of @svg reading @label; asserts that the
 * file is well-formed XML. */
static guint
count_label (const char *svg,
             const char *label)
{
  NnTestSvg info;
  guint     n = nn_test_read_svg (svg, &info) ? nn_test_svg_count_text (&info, label) : 0;

  nn_test_svg_clear (&info);
  return n;
}

/* Runs a sweep of @parameters (YAML lines) into @dir/@name; returns its
 * directory. */
static char *
run_sweep (const char *dir,
           const char *name,
           const char *parameters)
{
  g_autofree char *out = g_build_filename (dir, name, NULL);
  g_autofree char *text = g_strdup_printf ("experiment: iris.yaml\n"
                                           "parameters:\n%s"
                                           "metric: val_accuracy\n"
                                           "output: {dir: '%s'}\n",
                                           parameters, out);
  g_autofree char *file = g_strconcat (name, ".yaml", NULL);
  g_autofree char *path = nn_test_write_file (dir, file, text);
  g_autofree char *err = NULL;
  int              status = nn_test_nnrun (NULL, &err, "sweep", path, "-j", "2", NULL);

  NN_ASSERT_STATUS (status, 0, err);
  return g_steal_pointer (&out);
}

static void
test_a_panel_per_parameter (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *exp = nn_test_write_file (
    dir, "iris.yaml",
    "seed: 42\n"
    "data: {source: iris, split: {validation: 0.2}}\n"
    "model: {layers: [{units: 4, activation: relu}, {units: 3, activation: softmax}]}\n"
    "loss: categorical_crossentropy\n"
    "optimizer: {name: sgd, learning_rate: 0.1}\n"
    "train: {epochs: 5}\n"
    "metrics: [accuracy]\n");
  g_autofree char *one = run_sweep (dir, "one",
                                    "  optimizer.learning_rate: {values: [0.3, 0.01, 0.001]}\n");
  g_autofree char *two = run_sweep (dir, "two",
                                    "  optimizer.learning_rate: {values: [0.3, 0.01]}\n"
                                    "  optimizer.name: {values: [sgd, adam]}\n");
  g_autofree char *one_svg = g_build_filename (one, "sweep.svg", NULL);
  g_autofree char *one_png = g_build_filename (one, "sweep.png", NULL);
  g_autofree char *two_svg = g_build_filename (two, "sweep.svg", NULL);
  g_autofree char *two_png = g_build_filename (two, "sweep.png", NULL);
  guint32          width = 0, height = 0;

  (void) exp;
  CU_ASSERT_TRUE (nn_test_read_png_size (one_png, &width, &height));
  CU_ASSERT_TRUE (nn_test_read_png_size (two_png, &width, &height));
  /* Each parameter's panel reads the metric up its side; the panel of the
   * best trials' curves reads epoch along its foot. */
  CU_ASSERT_EQUAL (count_label (one_svg, "val_accuracy"), 1);
  CU_ASSERT_EQUAL (count_label (one_svg, "optimizer.learning_rate"), 1);
  CU_ASSERT_EQUAL (count_label (one_svg, "epoch"), 1);
  CU_ASSERT_EQUAL (count_label (two_svg, "val_accuracy"), 2);
  CU_ASSERT_EQUAL (count_label (two_svg, "optimizer.name"), 1);
  /* Named values under their places; 0.3 to 0.001 on a log axis (10 and
   * its exponent), 0.3 and 0.01 not. */
  CU_ASSERT_EQUAL (count_label (two_svg, "adam"), 1);
  CU_ASSERT_EQUAL (count_label (one_svg, "10-2"), 1);
  CU_ASSERT_EQUAL (count_label (two_svg, "10-2"), 0);
  /* A dot per trial in each parameter's panel. */
  CU_ASSERT_EQUAL (count_label (one_svg, "•"), 3);
  CU_ASSERT_EQUAL (count_label (two_svg, "•"), 8);
  CU_ASSERT_EQUAL (count_label (one_svg, "trial 0"), 1);
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("sweep.svg and sweep.png", init_suite, nn_test_remove_scratch);
  CU_add_test (suite, "a panel per parameter, and the best trials' curves",
               test_a_panel_per_parameter);

  return nn_test_run ();
}
