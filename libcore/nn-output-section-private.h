/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The `output:` section of an experiment file; not installed. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define NN_TYPE_OUTPUT_SECTION (nn_output_section_get_type ())
G_DECLARE_FINAL_TYPE (NnOutputSection, nn_output_section, NN, OUTPUT_SECTION, GObject)

struct _NnOutputSection
{
  GObject parent_instance;

  char *dir;
};

G_END_DECLS
