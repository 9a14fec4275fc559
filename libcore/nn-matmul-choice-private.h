/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which of a few ways of making a product is fastest here and now, timed
 * as the products run (nn-matmul-choice.c). Not installed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The most ways to choose from. */
#define NN_MATMUL_MAX_WAYS 8

typedef struct
{
  guint  ways;     /* the ways to choose from, a bit (1 << way) each */
  guint  warm;     /* the ways run once, untimed */
  guint  since;    /* runs since another way was last tried */
  guint  interval; /* runs between tries of another way */
  guint  tried;    /* the way tried last */
  gint64 ns[NN_MATMUL_MAX_WAYS]; /* moving averages of a run each way; 0 before the first */
} NnMatmulChoice;

G_GNUC_INTERNAL
void  nn_matmul_choice_init    (NnMatmulChoice       *choice,
                                guint                 ways);
G_GNUC_INTERNAL
guint nn_matmul_choice_next    (NnMatmulChoice       *choice,
                                gboolean             *timed,
                                gboolean             *trying);
G_GNUC_INTERNAL
void  nn_matmul_choice_record  (NnMatmulChoice       *choice,
                                guint                 way,
                                gboolean              trying,
                                gint64                ns);
G_GNUC_INTERNAL
guint nn_matmul_choice_fastest (const NnMatmulChoice *choice);

G_END_DECLS
