/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The IDX reader: an input is an images file, the separator, and a labels
 * file, each gzip-compressed or not. */
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
  g_autoptr(NnDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *images = NULL;
  g_autofree char *labels = NULL;
  const uint8_t   *rest;
  size_t           first_size, rest_size;

  nn_fuzz_split (data, size, &rest, &first_size, &rest_size);
  images = nn_fuzz_write ("images-idx3-ubyte", data, first_size);
  labels = nn_fuzz_write ("labels-idx1-ubyte", rest, rest_size);
  dataset = nn_dataset_new_from_idx_files (images, labels, &error);
  if (dataset != NULL)
    g_assert (nn_dataset_get_n_samples (dataset) > 0);
  else
    g_assert (error != NULL && error->message != NULL);
  return 0;
}
