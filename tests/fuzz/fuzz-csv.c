/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CSV reader. The first byte of an input picks the targets (none, the
 * first column, the last column, two columns, or a column and a feature
 * list); the rest is the CSV text, read from memory or, when it starts with
 * gzip's magic bytes, from a file through the decompressor. */
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
  static const char * const no_targets[] = { NULL };
  static const char * const first[] = { "a", NULL };
  static const char * const last[] = { "y", NULL };
  static const char * const two[] = { "y", "species", NULL };
  static const char * const features[] = { "b", "a", NULL };
  const char * const       *targets;
  const char * const       *wanted = NULL;
  g_autoptr(NnDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;

  if (size < 1)
    return 0;
  switch (data[0] % 5)
    {
    case 0:
      targets = no_targets;
      break;
    case 1:
      targets = first;
      break;
    case 2:
      targets = last;
      break;
    case 3:
      targets = two;
      break;
    default:
      targets = last;
      wanted = features;
      break;
    }
  data++;
  size--;

  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
    {
      g_autofree char *path = nn_fuzz_write ("data.csv.gz", data, size);

      dataset = nn_dataset_new_from_csv_file (path, targets, wanted, &error);
    }
  else
    {
      g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_data (data, size, NULL);

      dataset = nn_dataset_new_from_csv_stream (stream, "data.csv", targets, wanted, NULL, &error);
    }

  if (dataset != NULL)
    {
      NnDataset *encoded;
      guint      n = nn_dataset_get_n_samples (dataset);

      g_assert (n > 0);
      g_assert (nn_dataset_get_features (dataset)->rows == n);
      /* What an experiment does next with a class column. */
      encoded = nn_dataset_encode (dataset, NN_TASK_MULTICLASS, -1, NULL);
      g_clear_object (&encoded);
    }
  else
    g_assert (error != NULL && error->message != NULL);
  return 0;
}
