/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by nn-export-c.c and nn-export-c-code.c; not installed. */
#pragma once

#include <glib.h>

#include "nn-activation.h"

G_BEGIN_DECLS

G_GNUC_INTERNAL void     nn_export_c_append_float  (GString      *out,
                                                    float         value);
G_GNUC_INTERNAL void     nn_export_c_append_double (GString      *out,
                                                    double        value);
G_GNUC_INTERNAL void     nn_export_c_append_floats (GString      *out,
                                                    const char   *name,
                                                    const float  *values,
                                                    gsize         n);
G_GNUC_INTERNAL void     nn_export_c_append_doubles (GString     *out,
                                                     const char  *name,
                                                     const double *values,
                                                     gsize        n);
G_GNUC_INTERNAL gboolean nn_export_c_activation    (NnActivation *activation,
                                                    const char   *function,
                                                    GString      *out,
                                                    GError      **error);

G_END_DECLS
