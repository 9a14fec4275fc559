/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn-matrix-bytes.c: NnMatrix to and from GBytes, the bulk data path of
 * the bindings. */
#include "config.h"

#include <string.h>

#include "nn-errors.h"
#include "nn-matrix.h"

/**
 * nn_matrix_new_from_bytes:
 * @rows: number of rows
 * @cols: number of columns
 * @bytes: @rows × @cols native-endian [alias@Nn.Real] values, row-major, copied
 * @error: return location for a #GError
 *
 * Makes a matrix of the values in @bytes. This is the way for bindings to pass
 * bulk data: from Python, `GLib.Bytes (array.astype (numpy.float32) .tobytes
 * ())` (`float64` in a double build, see [const@Nn.REAL_NAME]) crosses in one
 * copy, where a list of Python floats converts value by value, some ten times
 * slower. [method@Nn.Matrix.get_bytes] is the way back.
 *
 * Returns: (transfer full): a new [struct@Nn.Matrix], or %NULL with @error set
 *   (%NN_MODEL_ERROR_SHAPE_MISMATCH) when @bytes does not hold exactly
 *   @rows × @cols values
 *
 * Since: 0.2
 */
NnMatrix *
nn_matrix_new_from_bytes (guint    rows,
                          guint    cols,
                          GBytes  *bytes,
                          GError **error)
{
  gsize         size;
  gconstpointer data;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (bytes, &size);
  if (cols != 0 && rows > G_MAXSIZE / cols / sizeof (nn_real))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "a %u × %u matrix is too large", rows, cols);
      return NULL;
    }
  if (size != (gsize) rows * cols * sizeof (nn_real))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "%" G_GSIZE_FORMAT " bytes are not a %u × %u matrix of %s "
                   "(%" G_GSIZE_FORMAT " bytes)",
                   size, rows, cols,
                   NN_REAL_NAME, (gsize) rows * cols * sizeof (nn_real));
      return NULL;
    }
  return nn_matrix_new_from_data (rows, cols, data);
}

/**
 * nn_matrix_get_bytes:
 * @m: a #NnMatrix
 *
 * Copies the values of @m, row-major, into a #GBytes of native-endian
 * [alias@Nn.Real] values: from Python, `numpy.frombuffer (m.get_bytes
 * ().get_data (), numpy.float32).reshape (m.rows, m.cols)`.
 *
 * Returns: (transfer full): the @rows × @cols values of @m
 *
 * Since: 0.2
 */
GBytes *
nn_matrix_get_bytes (const NnMatrix *m)
{
  g_return_val_if_fail (m != NULL, NULL);

  return g_bytes_new (m->data, nn_matrix_size (m) * sizeof (nn_real));
}

/**
 * nn_matrix_set_bytes:
 * @m: a #NnMatrix
 * @bytes: as many native-endian [alias@Nn.Real] values as @m holds, row-major
 * @error: return location for a #GError
 *
 * Copies the values of @bytes into @m, in place: the way for code in
 * another language, such as an activation written in Python, to fill a
 * matrix it is given.
 *
 * Returns: %TRUE, or %FALSE with @error set
 *   (%NN_MODEL_ERROR_SHAPE_MISMATCH) when the sizes differ
 *
 * Since: 0.2
 */
gboolean
nn_matrix_set_bytes (NnMatrix *m,
                     GBytes   *bytes,
                     GError  **error)
{
  gsize         size;
  gconstpointer data;

  g_return_val_if_fail (m != NULL, FALSE);
  g_return_val_if_fail (bytes != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = g_bytes_get_data (bytes, &size);
  if (size != nn_matrix_size (m) * sizeof (nn_real))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_SHAPE_MISMATCH,
                   "%" G_GSIZE_FORMAT " bytes are not a %u × %u matrix of %s "
                   "(%" G_GSIZE_FORMAT " bytes)",
                   size, m->rows, m->cols,
                   NN_REAL_NAME, nn_matrix_size (m) * sizeof (nn_real));
      return FALSE;
    }
  if (size)
    memcpy (m->data, data, size);
  return TRUE;
}
