/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The range of a parameter in an error message; not installed. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* What nn_param_spec_describe_range() says, worded for "... must be RANGE,
 * not VALUE": `between 0 and 1`, `>= 0`. */
G_GNUC_INTERNAL
char *nn_param_spec_describe_bounds (GParamSpec *pspec);

G_END_DECLS
