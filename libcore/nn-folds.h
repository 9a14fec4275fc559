/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

gboolean nn_folds_assign (guint               n,
                          const guint        *classes,
                          guint               n_classes,
                          const char * const *class_names,
                          const guint        *order,
                          guint               k,
                          guint              *fold,
                          GError            **error);

G_END_DECLS
