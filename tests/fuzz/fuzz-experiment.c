/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The experiment-file loader, overrides included: leading lines
 * `--set KEY=VALUE` of an input are overrides, the rest is the file, written
 * beside the fuzzing data (tests/fuzz/data) so that relative data paths in
 * it can name small CSV and IDX files. */
#include "fuzz-common.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  nn_fuzz_init (NN_FUZZ_DATA_DIR);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) overrides = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(NnExperiment) experiment = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  const uint8_t   *p = data, *end = data + size;

  while (end - p >= 6 && memcmp (p, "--set ", 6) == 0)
    {
      const uint8_t *nl = memchr (p, '\n', (size_t) (end - p));

      if (nl == NULL)
        nl = end;
      g_ptr_array_add (overrides, g_strndup ((const char *) p + 6, (gsize) (nl - p - 6)));
      p = nl < end ? nl + 1 : end;
    }
  g_ptr_array_add (overrides, NULL);

  path = nn_fuzz_write ("experiment.yaml", p, (size_t) (end - p));
  experiment = nn_experiment_new_from_file_full (path, (const char * const *) overrides->pdata,
                                                 &error);
  if (experiment != NULL)
    {
      g_autofree char *yaml = nn_experiment_to_yaml (experiment);

      g_assert (yaml != NULL);
    }
  else
    g_assert (error != NULL && error->message != NULL);
  return 0;
}
