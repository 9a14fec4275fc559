/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reader of a plugin's record: an input is a whole plugin file, read
 * from its ELF headers and never loaded. */
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
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  g_autofree char *path = nn_fuzz_write ("plugin.so", data, size);

  if (nn_plugins_inspect_file (path, &names, &error))
    {
      for (gsize i = 0; names != NULL && names[i] != NULL; i++)
        g_assert (strchr (names[i], ':') != NULL);
    }
  else
    g_assert (error != NULL && error->message != NULL);
  return 0;
}
