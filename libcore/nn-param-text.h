/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn-param-text.h: a class's parameters as experiment files and nnrun
 * spell them. */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib-object.h>
#include "nn-real.h"

G_BEGIN_DECLS

GParamSpec **nn_param_specs_list             (GType         type,
                                              guint        *n_pspecs);
char        *nn_param_spec_get_key           (GParamSpec   *pspec);
char        *nn_param_key_to_property_name   (const char   *key);
const char  *nn_param_spec_get_type_word     (GParamSpec   *pspec);
char        *nn_param_spec_describe_range    (GParamSpec   *pspec);
char        *nn_param_value_to_string        (const GValue *value);
char        *nn_param_format_double          (double        value);
char        *nn_param_format_real            (nn_real       value);

G_END_DECLS
