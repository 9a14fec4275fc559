/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Prints the features an experiment trains, validates and tests on, as the
 * model takes them: for the reference test against scikit-learn. */
#include <stdio.h>

#include <nn.h>

static void
dump (const char *part,
      NnDataset  *data)
{
  const NnMatrix *x;

  if (data == NULL)
    return;
  x = nn_dataset_get_features (data);
  printf ("%s %u %u\n", part, x->rows, x->cols);
  for (guint r = 0; r < x->rows; r++)
    for (guint c = 0; c < x->cols; c++)
      printf ("%.17g%c", (double) NN_MATRIX_AT (x, r, c), c + 1 < x->cols ? ',' : '\n');
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) e = NULL;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s EXPERIMENT.yaml\n", argv[0]);
      return 2;
    }
  e = nn_experiment_new_from_file (argv[1], &error);
  if (e == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  dump ("train", nn_experiment_get_train_data (e));
  dump ("validation", nn_experiment_get_validation_data (e));
  dump ("test", nn_experiment_get_test_data (e));
  return 0;
}
