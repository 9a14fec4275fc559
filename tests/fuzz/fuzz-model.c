/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The saved-model reader: an input is model.yaml, the separator, and
 * model.safetensors. A model that loads also predicts one row of zeros. */
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  nn_fuzz_init (NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(NnPipeline) pipeline = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *yaml = NULL;
  g_autofree char *weights = NULL;
  const uint8_t   *rest;
  size_t           first_size, rest_size;

  nn_fuzz_split (data, size, &rest, &first_size, &rest_size);
  yaml = nn_fuzz_write ("model.yaml", data, first_size);
  weights = nn_fuzz_write ("model.safetensors", rest, rest_size);
  pipeline = nn_pipeline_load (nn_fuzz_dir, &error);
  if (pipeline != NULL)
    {
      guint n_features = g_strv_length ((GStrv) nn_pipeline_get_feature_names (pipeline));
      g_autoptr(NnMatrix) x = nn_matrix_new (1, n_features);
      g_autoptr(NnMatrix) y = nn_pipeline_predict (pipeline, x);

      g_assert (y != NULL && y->rows == 1);
    }
  else
    g_assert (error != NULL && error->message != NULL);
  return 0;
}
