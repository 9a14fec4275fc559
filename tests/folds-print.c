/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn_folds_assign() on standard input, for a comparison with scikit-learn:
 * reads `N K N_CLASSES`, then N classes (when N_CLASSES > 0), then the N
 * rows of the order; prints the fold of each row, one a line. */
#include <stdio.h>

#include <nn.h>

static gboolean
read_uints (guint *out,
            guint  n)
{
  for (guint i = 0; i < n; i++)
    if (scanf ("%u", &out[i]) != 1)
      return FALSE;
  return TRUE;
}

int
main (void)
{
  guint             n, k, n_classes;
  g_autofree guint *classes = NULL;
  g_autofree guint *order = NULL;
  g_autofree guint *fold = NULL;
  g_autoptr(GError) error = NULL;

  if (scanf ("%u %u %u", &n, &k, &n_classes) != 3 || n > 1000000 || k < 2)
    return 2;
  classes = g_new (guint, MAX (n, 1));
  order = g_new (guint, MAX (n, 1));
  fold = g_new (guint, MAX (n, 1));
  if ((n_classes > 0 && !read_uints (classes, n)) || !read_uints (order, n))
    return 2;
  if (!nn_folds_assign (n, n_classes > 0 ? classes : NULL, n_classes, NULL, order, k, fold,
                        &error))
    {
      printf ("error: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < n; i++)
    printf ("%u\n", fold[i]);
  return 0;
}
