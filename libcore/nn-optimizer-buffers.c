/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "nn-optimizer-private.h"

/*
 * nn_optimizer_buffers_new:
 * @n_params: the number of parameters
 * @params: (array length=n_params): the parameters
 *
 * Returns: (transfer full) (element-type NnMatrix): a zero matrix of the
 *   shape of each parameter
 */
GPtrArray *
nn_optimizer_buffers_new (guint            n_params,
                          const NnMatrix **params)
{
  GPtrArray *buffers = g_ptr_array_new_full (n_params, (GDestroyNotify) nn_matrix_free);

  for (guint i = 0; i < n_params; i++)
    g_ptr_array_add (buffers, nn_matrix_new (params[i]->rows, params[i]->cols));
  return buffers;
}

/*
 * nn_optimizer_save_buffers:
 * @state: the dictionary passed to #NnOptimizerClass.save_state
 * @first_key: the key of the first buffers
 * @...: the first buffers (a #GPtrArray, or %NULL for buffers the optimizer
 *   does not keep, which are left out), then more keys and buffers, ending
 *   with %NULL
 *
 * nn_optimizer_state_add_buffers() for each key and buffers kept.
 */
void
nn_optimizer_save_buffers (GVariantDict *state,
                           const char   *first_key,
                           ...)
{
  va_list args;

  va_start (args, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (args, const char *))
    {
      GPtrArray *buffers = va_arg (args, GPtrArray *);

      if (buffers != NULL)
        nn_optimizer_state_add_buffers (state, key, buffers);
    }
  va_end (args);
}

/*
 * nn_optimizer_load_buffers:
 * @state: the dictionary passed to #NnOptimizerClass.load_state
 * @error: return location for a #GError
 * @first_key: the key of the first buffers
 * @...: as for nn_optimizer_save_buffers()
 *
 * nn_optimizer_state_read_buffers() for each key and buffers kept, up to
 * the first that fails.
 *
 * Returns: %TRUE on success, or %FALSE with @error set
 */
gboolean
nn_optimizer_load_buffers (GVariantDict *state,
                           GError      **error,
                           const char   *first_key,
                           ...)
{
  gboolean ok = TRUE;
  va_list  args;

  va_start (args, first_key);
  for (const char *key = first_key; ok && key != NULL; key = va_arg (args, const char *))
    {
      GPtrArray *buffers = va_arg (args, GPtrArray *);

      if (buffers != NULL)
        ok = nn_optimizer_state_read_buffers (state, key, buffers, error);
    }
  va_end (args);
  return ok;
}
