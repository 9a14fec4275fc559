/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Matrices to and from GBytes, the bulk data path of the bindings, and the
 * version check of the headers. */
#include <string.h>

#include "nn-test.h"

static void
test_bytes_round_trip (void)
{
  const nn_real values[] = { 1, -2, 3.5, 0, 1e-3, 7 };
  g_autoptr (GBytes) in = g_bytes_new (values, sizeof values);
  g_autoptr (GError) error = NULL;
  g_autoptr (NnMatrix) m = nn_matrix_new_from_bytes (2, 3, in, &error);
  g_autoptr (GBytes) out = NULL;
  gsize          size;
  const nn_real *data;

  NN_CHECK (m != NULL, "refused: %s", error ? error->message : "");
  CU_ASSERT_EQUAL (m->rows, 2);
  CU_ASSERT_EQUAL (m->cols, 3);
  CU_ASSERT_EQUAL (NN_MATRIX_AT (m, 1, 0), 0);
  CU_ASSERT_EQUAL (NN_MATRIX_AT (m, 0, 2), (nn_real) 3.5);
  out = nn_matrix_get_bytes (m);
  data = g_bytes_get_data (out, &size);
  CU_ASSERT_EQUAL (size, sizeof values);
  CU_ASSERT (memcmp (data, values, sizeof values) == 0);
}

static void
test_set_bytes_in_place (void)
{
  const nn_real values[] = { 4, 5, 6, 7 };
  g_autoptr (GBytes) in = g_bytes_new (values, sizeof values);
  g_autoptr (NnMatrix) m = nn_matrix_new (2, 2);
  nn_real *before = m->data;
  g_autoptr (GError) error = NULL;

  CU_ASSERT_TRUE (nn_matrix_set_bytes (m, in, &error));
  CU_ASSERT_PTR_EQUAL (m->data, before);
  CU_ASSERT (memcmp (m->data, values, sizeof values) == 0);
}

/* A size that is not rows × cols values is refused, with the sizes. */
static void
test_wrong_sizes (void)
{
  g_autoptr (GBytes) five = g_bytes_new ("abcde", 5);
  g_autoptr (GBytes) one = g_bytes_new ((nn_real[]){ 1 }, sizeof (nn_real));
  g_autoptr (GBytes) seven = g_bytes_new ((nn_real[]){ 1, 2, 3, 4, 5, 6, 7 }, 7 * sizeof (nn_real));
  g_autoptr (NnMatrix) m = nn_matrix_new (2, 3);
  g_autoptr (GError) error = NULL;

  CU_ASSERT_PTR_NULL (nn_matrix_new_from_bytes (2, 3, five, &error));
  NN_CHECK (g_error_matches (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH) && strstr (error->message, "5 bytes are not a 2 × 3 matrix"),
            "%s", error ? error->message : "no error");
  g_clear_error (&error);
  CU_ASSERT_PTR_NULL (nn_matrix_new_from_bytes (2, 3, seven, &error));
  CU_ASSERT_TRUE (g_error_matches (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH));
  g_clear_error (&error);
  CU_ASSERT_PTR_NULL (nn_matrix_new_from_bytes (G_MAXUINT, G_MAXUINT, five, &error));
  CU_ASSERT_TRUE (g_error_matches (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH));
  g_clear_error (&error);
  CU_ASSERT_FALSE (nn_matrix_set_bytes (m, one, &error));
  CU_ASSERT_TRUE (g_error_matches (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH));
  CU_ASSERT_EQUAL (NN_MATRIX_AT (m, 0, 0), 0);
}

static void
test_check_version (void)
{
  g_autofree char *version = g_strdup_printf ("%d.%d.%d", NN_MAJOR_VERSION,
                                              NN_MINOR_VERSION, NN_MICRO_VERSION);

  CU_ASSERT_STRING_EQUAL (version, NN_VERSION_STRING);
  CU_ASSERT_TRUE (NN_CHECK_VERSION (NN_MAJOR_VERSION, NN_MINOR_VERSION, NN_MICRO_VERSION));
  CU_ASSERT_TRUE (NN_CHECK_VERSION (0, 0, 1));
  CU_ASSERT_FALSE (NN_CHECK_VERSION (NN_MAJOR_VERSION, NN_MINOR_VERSION, NN_MICRO_VERSION + 1));
  CU_ASSERT_FALSE (NN_CHECK_VERSION (NN_MAJOR_VERSION, NN_MINOR_VERSION + 1, 0));
  CU_ASSERT_FALSE (NN_CHECK_VERSION (NN_MAJOR_VERSION + 1, 0, 0));
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("matrices as bytes", NULL, NULL);
  CU_add_test (s, "a matrix from bytes gives the same bytes back", test_bytes_round_trip);
  CU_add_test (s, "set_bytes fills the matrix in place", test_set_bytes_in_place);
  CU_add_test (s, "bytes of the wrong size are refused with the sizes", test_wrong_sizes);
  CU_add_test (s, "NN_CHECK_VERSION compares with the headers' version", test_check_version);
  return nn_test_run ();
}
