/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun plot: the files it draws (an SVG document and a PNG image of the
 * expected size, with the expected labels), overlays, and its errors. */
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"
#include "../tools/nnrun-plot.h"

static const char history_text[] =
  "epoch,loss,val_loss,accuracy,val_accuracy,learning_rate,seconds\n"
  "1,0.9,1.0,0.50,0.45,0.1,0.01\n"
  "2,0.7,0.8,0.60,0.55,0.1,0.02\n"
  "3,0.5,,0.70,,0.1,0.03\n" /* no validation values this epoch */
  "4,0.4,0.6,0.80,0.70,0.1,0.04\n"
  "5,nan,0.6,0.80,0.70,0.1,0.05\n";

/* Helpers */

static char *
make_run (const char *workdir,
          const char *name,
          const char *history)
{
  char *run = g_build_filename (workdir, name, NULL);

  g_mkdir_with_parents (run, 0755);
  if (history != NULL)
    g_free (nn_test_write_file (run, "history.csv", history));
  return run;
}

static int
compare_names (const void *a,
               const void *b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The names in @path, sorted. */
static GStrv
list_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  qsort (names->pdata, names->len, sizeof (gpointer), compare_names);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

/* Tests */

static void
test_svg (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *work = nn_test_new_dir ();
  g_autofree char *run = make_run (work, "run-a", history_text);
  g_autofree char *svg = g_build_filename (run, "loss.svg", NULL);
  const char      *dirs[] = { run };
  NnTestSvg        info;

  CU_ASSERT_TRUE (nnrun_plot_run_dirs (dirs, 1, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  if (nn_test_read_svg (svg, &info))
    {
      CU_ASSERT_STRING_EQUAL (info.root, "svg");
      NN_ASSERT_CMPFLOAT (info.width, NNRUN_PLOT_WIDTH, 0, 0);
      NN_ASSERT_CMPFLOAT (info.height, NNRUN_PLOT_HEIGHT, 0, 0);
      CU_ASSERT_STRING_EQUAL (info.width_unit, "pt");
      /* Both panels' axis labels, the title and the legend. */
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "epoch"));
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "loss"));
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "accuracy"));
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "run-a"));
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "training"));
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "validation"));
    }
  nn_test_svg_clear (&info);
  nn_test_rm_rf (work);
}

static void
test_png (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *work = nn_test_new_dir ();
  g_autofree char *run = make_run (work, "run-a", history_text);
  g_autofree char *png = g_build_filename (run, "loss.png", NULL);
  const char      *dirs[] = { run };
  guint32          width = 0, height = 0;

  CU_ASSERT_TRUE (nnrun_plot_run_dirs (dirs, 1, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (nn_test_read_png_size (png, &width, &height));
  CU_ASSERT_EQUAL (width, NNRUN_PLOT_WIDTH);
  CU_ASSERT_EQUAL (height, NNRUN_PLOT_HEIGHT);
  nn_test_rm_rf (work);
}

static void
test_no_temporary_files (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *work = nn_test_new_dir ();
  g_autofree char *run = make_run (work, "run-a", history_text);
  g_autofree char *png = g_build_filename (run, "loss.png", NULL);
  const char      *dirs[] = { run };
  g_auto(GStrv) names = NULL;
  g_autofree char *joined = NULL;
  guint32          width = 0, height = 0;

  /* An old plot is replaced whole. */
  g_file_set_contents (png, "old", -1, &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (nnrun_plot_run_dirs (dirs, 1, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (nnrun_plot_run_dirs (dirs, 1, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (nn_test_read_png_size (png, &width, &height));
  names = list_dir (run);
  joined = g_strjoinv (",", names);
  CU_ASSERT_STRING_EQUAL (joined, "history.csv,loss.png,loss.svg");
  nn_test_rm_rf (work);
}

static void
test_overlay (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *work = nn_test_new_dir ();
  g_autofree char *a = make_run (work, "run-a", history_text);
  g_autofree char *b = make_run (work, "run-b",
                                 "epoch,loss,val_loss,accuracy,val_accuracy,learning_rate,seconds\n"
                                 "1,1.2,1.3,0.4,0.3,0.1,0.01\n"
                                 "2,0.6,0.9,0.7,0.6,0.1,0.02\n");
  /* A regression run: no accuracy column, and no validation data. */
  g_autofree char *c = make_run (work, "run-c",
                                 "epoch,loss,val_loss,learning_rate,seconds\n"
                                 "1,3.0,,0.1,0.01\n"
                                 "2,2.0,,0.1,0.02\n");
  g_autofree char *out = g_build_filename (work, "compare", "new", NULL);
  g_autofree char *svg = g_build_filename (out, "loss.svg", NULL);
  g_autofree char *png = g_build_filename (out, "loss.png", NULL);
  g_autofree char *a_svg = g_build_filename (a, "loss.svg", NULL);
  const char      *dirs[] = { a, b, c };
  guint32          width = 0, height = 0;
  NnTestSvg        info;

  CU_ASSERT_TRUE (nnrun_plot_run_dirs (dirs, 3, out, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_FALSE (g_file_test (a_svg, G_FILE_TEST_EXISTS));
  CU_ASSERT_TRUE (nn_test_read_png_size (png, &width, &height));
  CU_ASSERT_EQUAL (width, NNRUN_PLOT_WIDTH);
  if (nn_test_read_svg (svg, &info))
    {
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "3 runs"));
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "run-a training"));
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "run-a validation"));
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "run-b validation"));
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "run-c training"));
      CU_ASSERT_FALSE (nn_test_svg_has_text (&info, "run-c validation"));
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "accuracy"));
    }
  nn_test_svg_clear (&info);
  nn_test_rm_rf (work);
}

static void
test_loss_only (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *work = nn_test_new_dir ();
  g_autofree char *run = make_run (work, "one-epoch",
                                   "epoch,loss,val_loss,learning_rate,seconds\n"
                                   "1,0.25,0.5,0.1,0.01\n");
  g_autofree char *svg = g_build_filename (run, "loss.svg", NULL);
  const char      *dirs[] = { run };
  NnTestSvg        info;

  CU_ASSERT_TRUE (nnrun_plot_run_dirs (dirs, 1, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  if (nn_test_read_svg (svg, &info))
    {
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "loss"));
      CU_ASSERT_TRUE (nn_test_svg_has_text (&info, "validation"));
      CU_ASSERT_FALSE (nn_test_svg_has_text (&info, "accuracy"));
    }
  nn_test_svg_clear (&info);
  nn_test_rm_rf (work);
}

static void
assert_history_error (const char *history,
                      const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *work = nn_test_new_dir ();
  g_autofree char *run = make_run (work, "bad", history);
  g_autofree char *path = g_build_filename (run, "history.csv", NULL);
  g_autofree char *want = g_strconcat (path, expected, NULL);
  const char      *dirs[] = { run };

  CU_ASSERT_FALSE (nnrun_plot_run_dirs (dirs, 1, NULL, &error));
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_EQUAL (error->domain, NN_DATA_ERROR);
  NN_ASSERT_CONTAINS (error->message, want);
  nn_test_rm_rf (work);
}

static void
test_missing_history (void)
{
  assert_history_error (NULL, ": no such file");
}

static void
test_malformed_history (void)
{
  assert_history_error ("epoch,loss\n1,0.5\n2,zero\n", ":3: 'zero' in column 'loss' is not a number");
  assert_history_error ("epoch,loss\n1,0.5,0.7\n", ":2: 3 fields, but the header has 2");
  assert_history_error ("epoch,accuracy\n1,0.5\n", ":1: the header needs the columns");
  assert_history_error ("epoch,loss,val_loss\n", ": no epochs");
  assert_history_error ("", ": empty");
  assert_history_error ("epoch,loss\n,0.5\n", ":2: no epoch number");
}

static void
test_command_errors (void)
{
  g_autofree char *work = nn_test_new_dir ();
  g_autofree char *empty = make_run (work, "empty", NULL);
  g_autofree char *run = make_run (work, "run-a", history_text);
  g_autofree char *file = g_build_filename (work, "a-file", NULL);
  g_autofree char *under_file = g_build_filename (file, "out", NULL);
  const char      *missing[] = { "plot", empty, NULL };
  const char      *no_out[] = { "plot", run, run, NULL };
  const char      *no_dir[] = { "plot", NULL };
  const char      *unwritable[] = { "plot", run, "--out", under_file, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  CU_ASSERT_EQUAL (nn_test_nnrun_argv (&out, &err, missing), 2);
  CU_ASSERT_PTR_NOT_NULL (strstr (err, "history.csv"));
  CU_ASSERT_STRING_EQUAL (out, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  CU_ASSERT_EQUAL (nn_test_nnrun_argv (&out, &err, no_out), 2);
  CU_ASSERT_PTR_NOT_NULL (strstr (err, "--out"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  CU_ASSERT_EQUAL (nn_test_nnrun_argv (&out, &err, no_dir), 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* A write that fails is a failed run: status 1. */
  g_file_set_contents (file, "x", -1, NULL);
  CU_ASSERT_EQUAL (nn_test_nnrun_argv (&out, &err, unwritable), 1);
  CU_ASSERT_PTR_NOT_NULL (strstr (err, under_file));
  nn_test_rm_rf (work);
}

static void
test_command_is_quiet (void)
{
  g_autofree char *work = nn_test_new_dir ();
  g_autofree char *run = make_run (work, "run-a", history_text);
  g_autofree char *png = g_build_filename (run, "loss.png", NULL);
  const char      *args[] = { "plot", run, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;

  CU_ASSERT_EQUAL (nn_test_nnrun_argv (&out, &err, args), 0);
  /* One line naming the files, and nothing from PLplot. */
  expected = g_strdup_printf ("wrote %s%closs.svg and %s\n", run, G_DIR_SEPARATOR, png);
  CU_ASSERT_STRING_EQUAL (out, expected);
  CU_ASSERT_STRING_EQUAL (err, "");
  CU_ASSERT_TRUE (g_file_test (png, G_FILE_TEST_EXISTS));
  nn_test_rm_rf (work);
}

/* Names as PLplot must not get them */

/* A history whose first metric is @metric. */
static char *
history_with_metric (const char *metric)
{
  return g_strdup_printf ("epoch,loss,val_loss,%s,val_%s,learning_rate,seconds\n"
                          "1,0.9,1.0,0.50,0.45,0.1,0.01\n"
                          "2,0.7,0.8,0.60,0.55,0.1,0.02\n",
                          metric, metric);
}

/* nnrun plot @args draws both files, and the SVG, well-formed, shows each
 * of @labels (NULL-terminated) as a text of its own. */
static void
check_plot_command (const char * const *args,
                    const char         *dir,
                    const char * const *labels)
{
  g_autofree char *svg = g_build_filename (dir, "loss.svg", NULL);
  g_autofree char *png = g_build_filename (dir, "loss.png", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  guint32          width = 0, height = 0;
  int              status = nn_test_nnrun_argv (&out, &err, args);
  NnTestSvg        info;

  NN_ASSERT_STATUS (status, 0, err);
  CU_ASSERT_TRUE (nn_test_read_png_size (png, &width, &height));
  CU_ASSERT_EQUAL (width, NNRUN_PLOT_WIDTH);
  if (nn_test_read_svg (svg, &info))
    for (guint i = 0; labels[i] != NULL; i++)
      NN_CHECK (nn_test_svg_has_text (&info, labels[i]), "no text '%s' in %s", labels[i], svg);
  nn_test_svg_clear (&info);
}

static void
test_odd_metric_names (void)
{
  g_autofree char *work = nn_test_new_dir ();
  g_autofree char *m3000 = g_strnfill (3000, 'm');
  g_autofree char *m1m = g_strnfill (1 << 20, 'm');
  g_autoptr(GString) e3000 = g_string_new (NULL);
  g_autofree char *m29 = g_strnfill (29, 'm');
  g_autofree char *cut_m = g_strconcat (m29, "…", NULL);
  g_autoptr(GString) cut_e = g_string_new (NULL);
  struct
  {
    const char *metric;
    const char *shown;
  } cases[] = {
    { m3000, cut_m },
    { m1m, cut_m },
    { NULL, NULL }, /* 1500 × é: cut between characters, not bytes */
    { "#", "#" },
    { "#u", "#u" },
    { "##", "##" },
    { "#fr#d", "#fr#d" },
    { "%s%n%x", "%s%n%x" },
    { "a<b&c>\"", "a<b&c>\"" },
    { "tab\there", "tab\xef\xbf\xbdhere" },
    { "", "loss" }, /* no name: no metric panel */
  };

  for (guint i = 0; i < 1500; i++)
    g_string_append (e3000, "é");
  for (guint i = 0; i < 29; i++)
    g_string_append (cut_e, "é");
  g_string_append (cut_e, "…");
  cases[2].metric = e3000->str;
  cases[2].shown = cut_e->str;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("run%u", i);
      g_autofree char *history = history_with_metric (cases[i].metric);
      g_autofree char *run = make_run (work, name, history);
      const char      *args[] = { "plot", run, NULL };
      const char      *labels[] = { "epoch", name, cases[i].shown, "validation", NULL };

      check_plot_command (args, run, labels);
    }
}

/* A run's name is its folder's: any bytes but '/'. */
static void
test_odd_run_names (void)
{
  g_autofree char *work = nn_test_new_dir ();
  g_autofree char *hashes = g_strnfill (255, '#');
  g_autofree char *hashes29 = g_strnfill (29, '#');
  g_autofree char *cut = g_strconcat (hashes29, "…", NULL);
  g_autofree char *cut_training = g_strconcat (cut, " training", NULL);
  g_autofree char *out = g_build_filename (work, "all", NULL);
  const char      *names[] = { "#u%s", "bad\xff\xfename", "line\nbreak", hashes };
  const char      *shown[] = { "#u%s", "bad\xef\xbf\xbd\xef\xbf\xbdname",
                               "line\xef\xbf\xbd"
                                    "break",
                               cut };
  const char      *overlay[G_N_ELEMENTS (names) + 4] = { "plot" };
  const char      *legend[] = { "#u%s training", "bad\xef\xbf\xbd\xef\xbf\xbdname validation",
                                "line\xef\xbf\xbd"
                                     "break training",
                                cut_training, NULL };
  g_autofree char *history = history_with_metric ("accuracy");

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *run = make_run (work, names[i], history);
      const char      *args[] = { "plot", run, NULL };
      const char      *labels[] = { shown[i], "accuracy", NULL };

      check_plot_command (args, run, labels);
      overlay[i + 1] = g_steal_pointer (&run);
    }
  overlay[G_N_ELEMENTS (names) + 1] = "--out";
  overlay[G_N_ELEMENTS (names) + 2] = out;
  check_plot_command (overlay, out, legend);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_free ((char *) overlay[i + 1]);
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("plots of a run", NULL, nn_test_remove_scratch);
  CU_add_test (suite, "loss.svg is an SVG document of the expected size with labels and legend",
               test_svg);
  CU_add_test (suite, "loss.png is a PNG image of the expected size", test_png);
  CU_add_test (suite, "plots replace old ones and leave no temporary file",
               test_no_temporary_files);
  CU_add_test (suite, "several runs are overlaid into the --out directory", test_overlay);
  CU_add_test (suite, "a history without metrics and of one epoch is plotted",
               test_loss_only);

  suite = CU_add_suite ("plots of runs with odd names", NULL, nn_test_remove_scratch);
  CU_add_test (suite, "metric names of 3000 bytes, 1 MB, '#u', '%s', a tab, none",
               test_odd_metric_names);
  CU_add_test (suite, "run names with '#', invalid UTF-8, a line break, 255 bytes, overlaid",
               test_odd_run_names);

  suite = CU_add_suite ("plot errors", NULL, nn_test_remove_scratch);
  CU_add_test (suite, "a missing history.csv is a data error naming the file",
               test_missing_history);
  CU_add_test (suite, "a malformed history.csv is a data error naming the file and line",
               test_malformed_history);
  CU_add_test (suite, "nnrun plot exits 2 for bad input and 1 for a failed write",
               test_command_errors);
  CU_add_test (suite, "nnrun plot prints one line and nothing from PLplot",
               test_command_is_quiet);

  return nn_test_run ();
}
