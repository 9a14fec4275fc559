/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun sweep's record of runs: trials.csv, shared by every process that
 * runs trials of one sweep, and what is read back from it. */
#pragma once

#include <nn.h>

G_BEGIN_DECLS

/* The columns that name a run in trials.csv: trial, repeat, and with
 * folds, fold. */
guint      nnrun_sweep_n_keys      (NnSweep            *sweep);
/* The columns of trials.csv: trial, repeat, fold (with folds), the
 * parameters, the metrics, seconds, status, reason. */
GStrv      nnrun_sweep_columns     (NnSweep            *sweep);
/* @fields as one CSV line, ending in a newline. */
char      *nnrun_csv_line          (const char * const *fields);
/* Creates @path with the header @columns, or checks that its header is
 * @columns; then returns its rows (GStrv each): whole lines only. */
GPtrArray *nnrun_sweep_csv_load    (const char         *path,
                                    const char * const *columns,
                                    GError            **error);
/* Appends @row, one whole line in one write under an exclusive lock,
 * unless a row of the same run (its first @n_key fields) is there
 * already. */
gboolean   nnrun_sweep_csv_append  (const char         *path,
                                    const char * const *row,
                                    guint               n_key,
                                    GError            **error);
/* Whether the CSV file at @path records the run @key (@n_key fields)
 * now. */
gboolean   nnrun_sweep_csv_has     (const char         *path,
                                    const char * const *key,
                                    guint               n_key);
/* Claims the run whose directory is @dir for this process, until the
 * descriptor returned is closed or the process ends: -1 if another
 * process holds it. */
int        nnrun_sweep_claim       (const char         *dir);
/* Whether @rows holds a row for the run @key (@n_key fields). */
gboolean   nnrun_sweep_rows_have   (GPtrArray          *rows,
                                    const char * const *key,
                                    guint               n_key);
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

/* The directory of a run: trials/NNNN (NNNN-R with repeats), with folds
 * fold-F inside it; for a cross-validation, fold-F (repeat-R/fold-F). */
char      *nnrun_sweep_run_dir     (NnSweep            *sweep,
                                    guint               trial,
                                    guint               repeat,
                                    guint               fold);
/* sweep.svg and sweep.png in the sweep's directory: the metric of each
 * trial against each parameter, and the loss curves of the best trials. */
gboolean   nnrun_sweep_plot        (NnSweep            *sweep,
                                    GPtrArray          *rows,
                                    GError            **error);
/* Runs the runs of @sweep (checked) not recorded yet, @jobs at once (0:
 * one per core; one under mpirun), only those of @trial unless it is -1,
 * and reports: the status nnrun exits with. Under mpirun, the processes
 * share the runs; @sweep is %NULL in one that could not read it, @error
 * saying why. */
int        nnrun_sweep_execute     (NnSweep            *sweep,
                                    const GError       *error,
                                    guint               jobs,
                                    gint                trial,
                                    gboolean            json);
/* The mean and standard deviation (population: numpy's std, ddof=0) of
 * metric @metric (an index into the metric columns) over the runs of
 * @trial that succeeded, and their number: %FALSE if none. */
gboolean   nnrun_sweep_stats       (NnSweep            *sweep,
                                    GPtrArray          *rows,
                                    guint               trial,
                                    guint               metric,
                                    double             *mean,
                                    double             *std,
                                    guint              *n);
/* With folds, scores.csv in the sweep's directory: one row per trial, the
 * mean and standard deviation of every metric over its runs that
 * succeeded. */
gboolean   nnrun_sweep_write_scores (NnSweep           *sweep,
                                     GPtrArray         *rows,
                                     GError           **error);
/* The mean and standard deviation of every metric of a cross-validation,
 * a table on standard output, or with @json one JSON object. */
void       nnrun_cv_print          (NnSweep            *sweep,
                                    GPtrArray          *rows,
                                    gboolean            json);

G_END_DECLS
