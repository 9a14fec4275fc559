/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the libFuzzer targets: set-up, a scratch folder for the readers
 * that take file names, and splitting one input into several files. */
#pragma once

#include <nn.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Separates the parts of an input that holds several files. */
#define NN_FUZZ_SEPARATOR "\n--8<-- nn-fuzz --8<--\n"

int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

static char *nn_fuzz_dir;

static inline void
nn_fuzz_remove_dir (void)
{
  g_autoptr(GDir) dir = g_dir_open (nn_fuzz_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (nn_fuzz_dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (nn_fuzz_dir);
}

/* Makes every GLib warning or critical a crash, so the fuzzer reports it,
 * loads the build tree's plugins and makes a scratch folder, linking the
 * files of @data_dir (if not %NULL) into it for inputs that name them. */
static inline void
nn_fuzz_init (const char *data_dir)
{
  g_autoptr(GError) error = NULL;

  g_log_set_always_fatal (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_FATAL_MASK);
  g_setenv ("NN_PLUGIN_PATH", NN_FUZZ_PLUGIN_DIR, FALSE);
  if (!nn_plugins_ensure_loaded (&error))
    g_error ("cannot load the plugins: %s", error->message);

  nn_fuzz_dir = g_dir_make_tmp ("nn-fuzz-XXXXXX", &error);
  if (nn_fuzz_dir == NULL)
    g_error ("cannot make a scratch folder: %s", error->message);
  atexit (nn_fuzz_remove_dir);
  if (data_dir != NULL)
    {
      g_autoptr(GDir) dir = g_dir_open (data_dir, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *target = g_build_filename (data_dir, name, NULL);
          g_autofree char *link = g_build_filename (nn_fuzz_dir, name, NULL);

          if (symlink (target, link) != 0)
            g_error ("cannot link %s: %s", link, g_strerror (errno));
        }
    }
}

/* Writes @size bytes to @name in the scratch folder; returns the path. */
static inline char *
nn_fuzz_write (const char *name,
               const void *data,
               size_t      size)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (nn_fuzz_dir, name, NULL);

  if (!g_file_set_contents (path, data, (gssize) size, &error))
    g_error ("cannot write %s: %s", path, error->message);
  return path;
}

/* The part of @data before the first separator (all of it if there is
 * none) in @first, the rest in @rest. */
static inline void
nn_fuzz_split (const uint8_t  *data,
               size_t          size,
               const uint8_t **rest,
               size_t         *first_size,
               size_t         *rest_size)
{
  size_t sep = strlen (NN_FUZZ_SEPARATOR);
  const uint8_t *at = NULL;

  for (size_t i = 0; size >= sep && i <= size - sep && at == NULL; i++)
    if (memcmp (data + i, NN_FUZZ_SEPARATOR, sep) == 0)
      at = data + i;

  if (at == NULL)
    {
      *first_size = size;
      *rest = data + size;
      *rest_size = 0;
      return;
    }
  *first_size = (size_t) (at - data);
  *rest = at + sep;
  *rest_size = size - *first_size - sep;
}
