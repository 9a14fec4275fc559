/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared inside libnncore; not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

G_GNUC_INTERNAL
const char *nn_suggest             (const char         *word,
                                    const char * const *candidates);
G_GNUC_INTERNAL
char       *nn_strjoin_quoted      (const char * const *words);

G_END_DECLS
