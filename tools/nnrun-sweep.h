/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun sweep's record of runs: trials.csv, shared by every process that
 * runs trials of one sweep, and what is read back from it. */
#pragma once

#include <nn.h>

G_BEGIN_DECLS

/* The columns of trials.csv: trial, repeat, the parameters, the metrics,
 * seconds, status, reason. */
GStrv      nnrun_sweep_columns     (NnSweep            *sweep);
/* @fields as one CSV line, ending in a newline. */
char      *nnrun_csv_line          (const char * const *fields);
/* Creates @path with the header @columns, or checks that its header is
 * @columns; then returns its rows (GStrv each): whole lines only. */
GPtrArray *nnrun_sweep_csv_load    (const char         *path,
                                    const char * const *columns,
                                    GError            **error);
/* Appends @row, one whole line in one write under an exclusive lock,
 * unless a row of the same trial and repeat is there already. */
gboolean   nnrun_sweep_csv_append  (const char         *path,
                                    const char * const *row,
                                    GError            **error);
/* Whether trials.csv at @path records @trial and @repeat now. */
gboolean   nnrun_sweep_csv_has     (const char         *path,
                                    guint               trial,
                                    guint               repeat);
/* Claims the run whose directory is @dir for this process, until the
 * descriptor returned is closed or the process ends: -1 if another
 * process holds it. */
int        nnrun_sweep_claim       (const char         *dir);
/* Whether @rows holds a row for @trial and @repeat. */
gboolean   nnrun_sweep_rows_have   (GPtrArray          *rows,
                                    guint               trial,
                                    guint               repeat);
/* The trial whose runs have the best mean of the metric, or -1; its mean
 * in @value. */
gint       nnrun_sweep_best        (NnSweep            *sweep,
                                    GPtrArray          *rows,
                                    double             *value);
/* The table of the trials, best first, on standard output. */
void       nnrun_sweep_print_table (NnSweep            *sweep,
                                    GPtrArray          *rows);
/* The shortest text that reads back as @value; empty for NaN. */
char      *nnrun_format_number     (double              value);

G_END_DECLS
