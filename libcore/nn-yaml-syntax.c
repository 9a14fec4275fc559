/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rules of experiment text beyond well-formed YAML: what a file may
 * hold, how numbers are written, and which paths config.yaml can record. */
#include "config.h"

#include "nn-errors.h"
#include "nn-yaml-private.h"

/* ---- paths --------------------------------------------------------------- */

/*
 * A path that config.yaml will record must be UTF-8: YAML holds text, and
 * no escape brings back bytes that are not, so the name of a file in a
 * folder such as "d\xfe" is refused where it was given.
 */
gboolean
nn_yaml_check_path (NnYamlDoc    *doc,
                    yaml_node_t  *node,
                    const char   *what,
                    const char   *path,
                    GError      **error)
{
  g_autofree char *shown = NULL;

  if (g_utf8_validate (path, -1, NULL))
    return TRUE;
  shown = g_filename_display_name (path);
  nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                     "%s: the path '%s' is not valid UTF-8, so a run's config.yaml could not "
                     "record it; rename the file or folder", what, shown);
  return FALSE;
}
