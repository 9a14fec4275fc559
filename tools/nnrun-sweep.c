/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun sweep: the trials of a sweep file, each run by `nnrun train` in a
 * child process, several at once. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "nnrun-commands.h"
#include "nnrun-sweep-mpi.h"
#include "nnrun-sweep.h"

typedef NnrunSweepJob Job;

/* The fields that name a job's row: trial, repeat and fold. */
typedef struct
{
  char  text[3][16];
  char *fields[4];
} JobKey;

static const char * const *
job_key (Job     job,
         JobKey *key)
{
  g_snprintf (key->text[0], sizeof key->text[0], "%u", job.trial);
  g_snprintf (key->text[1], sizeof key->text[1], "%u", job.repeat);
  g_snprintf (key->text[2], sizeof key->text[2], "%u", job.fold);
  for (guint i = 0; i < 3; i++)
    key->fields[i] = key->text[i];
  key->fields[3] = NULL;
  return (const char * const *) key->fields;
}

typedef struct
{
  NnSweep        *sweep;
  char           *nnrun; /* this program, which runs each trial */
  char           *csv;
  GQueue          jobs; /* Job *, still to start */
  GPtrArray      *runs; /* Run *, running */
  GPtrArray      *rows; /* trials.csv's rows, and those recorded since */
  guint           max_running;
  gint            only;     /* the one trial asked for, or -1 */
  guint           total;    /* runs of the trials asked for */
  guint           finished; /* of them, recorded in this process */
  guint           failed;
  guint           recorded_before;
  guint           elsewhere;   /* runs other processes had under way */
  guint           interrupted; /* runs stopped by a signal of their own */
  guint           rank;        /* under mpirun: this process's; 0 hands out the runs */
  guint           n_ranks;
  guint           handed;     /* runs handed out to the other processes */
  guint           busy_peers; /* other processes not done yet */
  NnrunSweepTally others;
  gboolean        drained; /* no run left for this process */
  gboolean        ended;
  gboolean        json;
  gboolean        tty;
  gboolean        stopping;
  gint64          start;
  GMainLoop      *loop;
  GError         *error; /* a row that could not be recorded */
} Sweep;

typedef struct
{
  Sweep       *s;
  Job          job;
  char        *dir;
  gint64       start;
  int          claim; /* the lock that keeps other processes off the run */
  GSubprocess *process;
} Run;

static void start_runs (Sweep *s);
static int  execute (NnSweep *sweep,
                     guint    jobs,
                     gint     trial,
                     gboolean json,
                     guint    rank,
                     guint    n_ranks);

static void
run_free (Run *run)
{
  if (run->claim >= 0)
    close (run->claim);
  g_free (run->dir);
  g_clear_object (&run->process);
  g_free (run);
}

/* done/failed/running, the best trial so far and the time still to go at
 * this process's pace, on standard error. */
static void
print_progress (Sweep *s)
{
  double elapsed = (g_get_monotonic_time () - s->start) / 1e6;
  guint  finished = s->finished + s->others.finished;
  guint  failed = s->failed + s->others.failed;
  guint  away = s->elsewhere + s->others.elsewhere;
  guint  running = s->runs->len + s->handed - s->others.finished -
                  s->others.interrupted - s->others.elsewhere;
  guint            accounted = finished + s->recorded_before + away;
  guint            left = s->total > accounted ? s->total - accounted : 0;
  g_autofree char *eta = NULL;
  g_autofree char *best_text = NULL;
  double           best_value;
  gint             best;
  g_autofree char *elsewhere = away ? g_strdup_printf (", %u elsewhere", away) : g_strdup ("");

  /* The first process speaks for all. */
  if (s->rank > 0)
    return;
  eta = nnrun_format_duration (finished ? elapsed / finished * left : 0);
  best = nnrun_sweep_best (s->sweep, s->rows, &best_value);

  if (best >= 0 && !nn_sweep_is_cv (s->sweep))
    best_text = g_strdup_printf ("; best %s %.4g (trial %d)", nn_sweep_get_metric (s->sweep),
                                 best_value, best);

  g_printerr ("%s%s: %u/%u done, %u failed, %u running%s%s%s%s%s", s->tty ? "\r\033[K" : "",
              nn_sweep_is_cv (s->sweep) ? "cv" : "sweep", finished + s->recorded_before,
              s->total, failed, running, elsewhere, best_text ? best_text : "",
              finished && left ? "; ETA " : "", finished && left ? eta : "",
              s->tty ? "" : "\n");
}

/* trials/NNNN (NNNN-R with repeats) for a run of a sweep's trial, with
 * folds fold-F inside it; fold-F (repeat-R/fold-F with repeats) for a
 * cross-validation's. */
char *
nnrun_sweep_run_dir (NnSweep *sweep,
                     guint    trial,
                     guint    repeat,
                     guint    fold)
{
  const char      *out = nn_sweep_get_output_dir (sweep);
  gboolean         repeats = nn_sweep_get_repeats (sweep) > 1;
  g_autofree char *fold_name = nn_sweep_get_folds (sweep) > 0 ? g_strdup_printf ("fold-%u", fold)
                                                              : NULL;
  g_autofree char *name = NULL;

  if (nn_sweep_is_cv (sweep))
    {
      name = repeats ? g_strdup_printf ("repeat-%u", repeat) : NULL;
      return g_build_filename (out, name ? name : fold_name, name ? fold_name : NULL, NULL);
    }
  name = repeats ? g_strdup_printf ("%04u-%u", trial, repeat) : g_strdup_printf ("%04u", trial);
  return g_build_filename (out, "trials", name, fold_name, NULL);
}

static char *
run_dir (Sweep *s,
         Job    job)
{
  return nnrun_sweep_run_dir (s->sweep, job.trial, job.repeat, job.fold);
}

/* Removes what an earlier attempt at a run left: a run without a row was
 * cut short. */
static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
  g_rmdir (path);
}

/* The numbers of final.SPLIT.METRIC in summary.json, as trials.csv's
 * metric columns name them, and the stop reason. */
static GStrv
read_summary (Sweep      *s,
              const char *dir,
              char      **stop_reason)
{
  const char * const *columns = nn_sweep_get_metric_columns (s->sweep);
  g_autofree char    *path = g_build_filename (dir, "summary.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  JsonObject *root = NULL, *final = NULL;

  if (json_parser_load_from_file (parser, path, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    root = json_node_get_object (json_parser_get_root (parser));
  if (root != NULL && json_object_has_member (root, "final") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "final")))
    final = json_object_get_object_member (root, "final");
  if (root != NULL && json_object_has_member (root, "stop_reason"))
    *stop_reason = g_strdup (json_object_get_string_member (root, "stop_reason"));
  for (guint c = 0; columns[c] != NULL; c++)
    {
      const char      *split = g_str_has_prefix (columns[c], "val_")    ? "validation"
                               : g_str_has_prefix (columns[c], "test_") ? "test"
                                                                        : "train";
      const char      *name = strchr (columns[c], '_') && !g_str_equal (split, "train")
                                ? strchr (columns[c], '_') + 1
                                : columns[c];
      JsonNode        *value = NULL;
      g_autofree char *text = NULL;

      if (final != NULL && json_object_has_member (final, split) &&
          JSON_NODE_HOLDS_OBJECT (json_object_get_member (final, split)))
        value = json_object_get_member (json_object_get_object_member (final, split), name);
      if (value != NULL && JSON_NODE_HOLDS_VALUE (value))
        text = nnrun_format_number (json_node_get_double (value));
      g_strv_builder_add (b, text ? text : "");
    }
  return g_strv_builder_end (b);
}

/* The last line nnrun train wrote to standard error, without "nnrun: ". */
static char *
last_error_line (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text ? text : "", "\n", -1);

  for (guint i = g_strv_length (lines); i-- > 0;)
    if (*g_strstrip (lines[i]) != '\0')
      return g_strdup (g_str_has_prefix (lines[i], "nnrun: ") ? lines[i] + 7 : lines[i]);
  return g_strdup ("");
}

static void
print_json (JsonBuilder *b)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  g_autofree char *text = NULL;

  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

static void
print_run_json (Sweep       *s,
                const char **row)
{
  const char * const *columns = nn_sweep_get_metric_columns (s->sweep);
  guint               first = nnrun_sweep_n_keys (s->sweep) +
                g_strv_length ((GStrv) nn_sweep_get_parameters (s->sweep));
  guint n = g_strv_length ((GStrv) row);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, "run");
  json_builder_set_member_name (b, "trial");
  json_builder_add_int_value (b, g_ascii_strtoll (row[0], NULL, 10));
  json_builder_set_member_name (b, "repeat");
  json_builder_add_int_value (b, g_ascii_strtoll (row[1], NULL, 10));
  if (nn_sweep_get_folds (s->sweep) > 0)
    {
      json_builder_set_member_name (b, "fold");
      json_builder_add_int_value (b, g_ascii_strtoll (row[2], NULL, 10));
    }
  for (guint c = 0; columns[c] != NULL; c++)
    if (*row[first + c] != '\0')
      {
        json_builder_set_member_name (b, columns[c]);
        json_builder_add_double_value (b, g_ascii_strtod (row[first + c], NULL));
      }
  json_builder_set_member_name (b, "seconds");
  json_builder_add_double_value (b, g_ascii_strtod (row[n - 3], NULL));
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, row[n - 2]);
  json_builder_set_member_name (b, "reason");
  json_builder_add_string_value (b, row[n - 1]);
  json_builder_end_object (b);
  print_json (b);
}

/* The row of a run that ended: its directory is complete by now. */
static void
record_run (Run        *run,
            gboolean    exited,
            int         status,
            const char *errors)
{
  Sweep *s = run->s;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_autofree char *stop_reason = NULL;
  g_autofree char *seconds = g_strdup_printf ("%.3f", (g_get_monotonic_time () - run->start) / 1e6);
  g_autofree char *reason = NULL;
  g_auto(GStrv) metrics = read_summary (s, run->dir, &stop_reason);
  const char *state = "ok";
  JobKey      key;
  GStrv       row;

  /* An interrupted run is not finished: running the sweep again does it. */
  if (g_strcmp0 (stop_reason, "interrupted") == 0)
    {
      s->interrupted++;
      return;
    }
  if (!exited || status != 0)
    {
      state = g_strcmp0 (stop_reason, "diverged") == 0 ? "diverged" : "failed";
      reason = exited ? last_error_line (errors)
                      : g_strdup_printf ("killed by signal %d (%s)", status, g_strsignal (status));
      s->failed++;
    }
  else
    reason = g_strdup (stop_reason ? stop_reason : "");
  job_key (run->job, &key);
  for (guint k = 0; k < nnrun_sweep_n_keys (s->sweep); k++)
    g_strv_builder_add (b, key.fields[k]);
  g_strv_builder_addv (b, (const char **) nn_sweep_get_trial_values (s->sweep, run->job.trial));
  g_strv_builder_addv (b, (const char **) metrics);
  g_strv_builder_add (b, seconds);
  g_strv_builder_add (b, state);
  g_strv_builder_add (b, reason);
  row = g_strv_builder_end (b);
  g_ptr_array_add (s->rows, row);
  s->finished++;
  if (s->error == NULL && nnrun_sweep_csv_append (s->csv, (const char * const *) row,
                                                  nnrun_sweep_n_keys (s->sweep), &s->error))
    {
      g_autofree char *claim = g_strconcat (run->dir, ".claim", NULL);

      /* Whoever takes the claim next finds the row and leaves the run. */
      g_unlink (claim);
    }
  if (s->json)
    print_run_json (s, (const char **) row);
}

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Run             *run = data;
  Sweep           *s = run->s;
  g_autofree char *errors = NULL;
  gboolean         exited;
  int              status;

  g_subprocess_communicate_utf8_finish (run->process, result, NULL, &errors, NULL);
  exited = g_subprocess_get_if_exited (run->process);
  status = exited ? g_subprocess_get_exit_status (run->process)
                  : g_subprocess_get_term_sig (run->process);
  /* A run stopped with the sweep has no row: running again finishes it. */
  if (!s->stopping)
    record_run (run, exited, status, errors);
  g_ptr_array_remove (s->runs, run);
  start_runs (s);
  print_progress (s);
  (void) source;
}

#ifdef __linux__
/* A run ends with its sweep, even one killed outright, rather than go on
 * unrecorded. */
static void
die_with_parent (gpointer parent)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != GPOINTER_TO_INT (parent))
    _exit (1);
}
#endif

static GPtrArray *
train_argv (Sweep *s,
            Run   *run)
{
  g_auto(GStrv) overrides = nn_sweep_get_fold_overrides (s->sweep, run->job.trial,
                                                          run->job.repeat, run->job.fold);
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup (s->nnrun));
  g_ptr_array_add (argv, g_strdup ("train"));
  g_ptr_array_add (argv, g_strdup (nn_sweep_get_experiment_path (s->sweep)));
  for (guint i = 0; overrides[i] != NULL; i++)
    {
      g_ptr_array_add (argv, g_strdup ("--set"));
      g_ptr_array_add (argv, g_strdup (overrides[i]));
    }
  g_ptr_array_add (argv, g_strdup ("--out"));
  g_ptr_array_add (argv, g_strdup (run->dir));
  g_ptr_array_add (argv, g_strdup ("--threads"));
  g_ptr_array_add (argv, g_strdup ("1"));
  g_ptr_array_add (argv, g_strdup ("--quiet"));
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* This process's environment without what an MPI launcher (Open MPI,
 * PMI, PMIx) gives its processes: a trial is nnrun alone, not one of the
 * sweep's processes. Its BLAS starts no threads at all: --threads 1 comes
 * after the library started its own, which then spin idle. */
static GStrv
run_environment (void)
{
  static const char * const prefixes[] = { "OMPI_", "PMI_", "PMIX_" };
  static const char * const blas[] = { "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                       "MKL_NUM_THREADS", "BLIS_NUM_THREADS" };
  GStrv                     env = g_get_environ ();

  for (guint b = 0; b < G_N_ELEMENTS (blas); b++)
    env = g_environ_setenv (env, blas[b], "1", TRUE);
  for (guint i = 0; env[i] != NULL;)
    {
      gboolean launcher = FALSE;

      for (guint p = 0; p < G_N_ELEMENTS (prefixes); p++)
        launcher = launcher || g_str_has_prefix (env[i], prefixes[p]);
      if (!launcher)
        {
          i++;
          continue;
        }
      g_free (env[i]);
      memmove (env + i, env + i + 1, (g_strv_length (env + i + 1) + 1) * sizeof *env);
    }
  return env;
}

static void
start_run (Sweep *s,
           Job    job)
{
  g_autoptr(GSubprocessLauncher) launcher =
               g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) env = run_environment ();
  g_autofree char *partial = NULL;
  g_autofree char *parent = NULL;
  Run             *run = g_new0 (Run, 1);
  JobKey           key;

  run->s = s;
  run->job = job;
  run->dir = run_dir (s, job);
  parent = g_path_get_dirname (run->dir);
  g_mkdir_with_parents (parent, 0755);
  run->claim = nnrun_sweep_claim (run->dir);
  if (run->claim < 0 ||
      nnrun_sweep_csv_has (s->csv, job_key (job, &key), nnrun_sweep_n_keys (s->sweep)))
    {
      /* Another process runs it, or recorded it since this one started. */
      s->elsewhere++;
      run_free (run);
      return;
    }
  run->start = g_get_monotonic_time ();
  partial = g_strconcat (run->dir, ".partial", NULL);
  remove_tree (run->dir);
  remove_tree (partial);
  argv = train_argv (s, run);
  g_subprocess_launcher_set_environ (launcher, env);
#ifdef __linux__
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent,
                                         GINT_TO_POINTER (getpid ()), NULL);
#endif
  run->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                               &error);
  g_ptr_array_add (s->runs, run);
  if (run->process == NULL)
    {
      record_run (run, TRUE, EXIT_RUN_FAILED, error->message);
      g_ptr_array_remove (s->runs, run);
      return;
    }
  g_subprocess_communicate_utf8_async (run->process, NULL, NULL, on_run_done, run);
}

static gboolean
pop_job (Job     *job,
         gpointer data)
{
  Sweep *s = data;
  Job   *next = s->stopping ? NULL : g_queue_pop_head (&s->jobs);

  if (next == NULL)
    return FALSE;
  *job = *next;
  g_free (next);
  return TRUE;
}

static NnrunSweepTally
tally (Sweep *s)
{
  return (NnrunSweepTally){ s->finished, s->failed, s->interrupted, s->elsewhere,
                            s->error != NULL };
}

/* The next run for this process: from the queue, or under mpirun, for a
 * process but the first, from the first. */
static gboolean
take_job (Sweep *s,
          Job   *job)
{
  NnrunSweepTally mine = tally (s);

  if (s->rank == 0)
    return pop_job (job, s);
  if (!s->stopping && !s->drained && !nnrun_sweep_mpi_request (&mine, job))
    s->drained = TRUE;
  return !s->stopping && !s->drained;
}

static void
quit_when_done (Sweep *s)
{
  gboolean more = s->rank == 0 ? !g_queue_is_empty (&s->jobs) : !s->drained;

  if (s->runs->len == 0 && (s->stopping || !more) && s->busy_peers == 0)
    {
      s->ended = TRUE;
      g_main_loop_quit (s->loop);
    }
}

static void
start_runs (Sweep *s)
{
  Job job;

  while (s->runs->len < s->max_running && take_job (s, &job))
    start_run (s, job);
  quit_when_done (s);
}

static gboolean
handed_job (Job     *job,
            gpointer data)
{
  Sweep *s = data;

  if (!pop_job (job, s))
    return FALSE;
  s->handed++;
  return TRUE;
}

/* The first process under mpirun: the others' requests and tallies. */
static gboolean
on_serve (gpointer data)
{
  Sweep *s = data;
  guint  finished = s->others.finished + s->others.elsewhere + s->handed;

  s->busy_peers = nnrun_sweep_mpi_serve (handed_job, s, &s->others);
  if (finished != s->others.finished + s->others.elsewhere + s->handed)
    {
      g_auto(GStrv) columns = nnrun_sweep_columns (s->sweep);
      GPtrArray *rows = nnrun_sweep_csv_load (s->csv, (const char * const *) columns, NULL);

      /* The best so far, theirs included. */
      if (rows != NULL)
        {
          g_ptr_array_unref (s->rows);
          s->rows = rows;
        }
      print_progress (s);
    }
  quit_when_done (s);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stop_signal (gpointer data)
{
  Sweep *s = data;

  if (!s->stopping && s->rank == 0)
    g_printerr ("%snnrun: stopping the sweep; the runs under way end unrecorded\n",
                s->tty ? "\n" : "");
  s->stopping = TRUE;
  for (guint i = 0; i < s->runs->len; i++)
    g_subprocess_send_signal (((Run *) s->runs->pdata[i])->process, SIGTERM);
  return G_SOURCE_CONTINUE;
}

typedef void (*JobFunc) (Sweep     *s,
                         const Job *job,
                         gboolean   recorded,
                         gpointer   data);

/* Calls @func on every run the sweep asks for (of trial @only where it is
 * not negative), with whether @rows records it. */
static void
for_each_job (Sweep     *s,
              gint       only,
              GPtrArray *rows,
              JobFunc    func,
              gpointer   data)
{
  guint n = nn_sweep_get_n_trials (s->sweep);
  guint repeats = nn_sweep_get_repeats (s->sweep);
  guint folds = MAX (nn_sweep_get_folds (s->sweep), 1);
  guint n_key = nnrun_sweep_n_keys (s->sweep);

  for (guint t = 0; t < n; t++)
    for (guint r = 0; (only < 0 || t == (guint) only) && r < repeats; r++)
      for (guint f = 0; f < folds; f++)
        {
          Job    job = { t, r, f };
          JobKey key;

          func (s, &job, nnrun_sweep_rows_have (rows, job_key (job, &key), n_key), data);
        }
}

static void
queue_job (Sweep     *s,
           const Job *job,
           gboolean   recorded,
           gpointer   data)
{
  s->total++;
  if (recorded)
    s->recorded_before++;
  else
    g_queue_push_tail (&s->jobs, g_memdup2 (job, sizeof *job));
}

static void
queue_jobs (Sweep *s,
            gint   only)
{
  for_each_job (s, only, s->rows, queue_job, NULL);
}

static void
run_jobs (Sweep *s)
{
  guint sigint, sigterm, serve = 0;

  s->runs = g_ptr_array_new_with_free_func ((GDestroyNotify) run_free);
  s->loop = g_main_loop_new (NULL, FALSE);
  s->start = g_get_monotonic_time ();
  s->tty = isatty (STDERR_FILENO);
  sigint = g_unix_signal_add (SIGINT, on_stop_signal, s);
  sigterm = g_unix_signal_add (SIGTERM, on_stop_signal, s);
  if (s->rank == 0 && s->n_ranks > 1)
    {
      /* Often enough that a process waits for its next run no longer than
       * the run takes to start. */
      s->busy_peers = s->n_ranks - 1;
      serve = g_timeout_add (2, on_serve, s);
    }
  print_progress (s);
  start_runs (s);
  if (!s->ended)
    g_main_loop_run (s->loop);
  if (s->tty && s->rank == 0)
    g_printerr ("\n");
  if (s->rank > 0)
    {
      NnrunSweepTally mine = tally (s);

      nnrun_sweep_mpi_done (&mine);
    }
  if (serve != 0)
    g_source_remove (serve);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_clear_pointer (&s->runs, g_ptr_array_unref);
  g_clear_pointer (&s->loop, g_main_loop_unref);
}

static void
print_best_json (Sweep     *s,
                 GPtrArray *rows,
                 gint       best,
                 double     value)
{
  const char * const *params = nn_sweep_get_parameters (s->sweep);
  const char * const *values = nn_sweep_get_trial_values (s->sweep, (guint) best);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, "best");
  json_builder_set_member_name (b, "trial");
  json_builder_add_int_value (b, best);
  json_builder_set_member_name (b, "parameters");
  json_builder_begin_object (b);
  for (guint p = 0; params[p] != NULL; p++)
    {
      json_builder_set_member_name (b, params[p]);
      json_builder_add_string_value (b, values[p]);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, nn_sweep_get_metric (s->sweep));
  json_builder_add_double_value (b, value);
  if (nn_sweep_get_folds (s->sweep) > 0)
    {
      const char * const *metrics = nn_sweep_get_metric_columns (s->sweep);
      guint               m = 0;
      double              mean, std;
      guint               n;

      while (!g_str_equal (metrics[m], nn_sweep_get_metric (s->sweep)))
        m++;
      if (nnrun_sweep_stats (s->sweep, rows, (guint) best, m, &mean, &std, &n))
        {
          json_builder_set_member_name (b, "std");
          json_builder_add_double_value (b, std);
        }
    }
  json_builder_end_object (b);
  print_json (b);
}

/* best.yaml: the best trial's experiment, resolved, to train again. */
static gboolean
write_best (Sweep     *s,
            GPtrArray *rows,
            GError   **error)
{
  double           value;
  gint             best = nnrun_sweep_best (s->sweep, rows, &value);
  g_autofree char *yaml = NULL;
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  g_autofree char *shown = NULL;

  if (best < 0)
    return TRUE;
  yaml = nn_sweep_trial_to_yaml (s->sweep, (guint) best, error);
  if (yaml == NULL)
    return FALSE;
  shown = nnrun_format_number (value);
  text = g_strdup_printf ("# The best trial of %s: trial %d, %s %s\n%s",
                          nn_sweep_get_path (s->sweep), best, nn_sweep_get_metric (s->sweep),
                          shown, yaml);
  path = g_build_filename (nn_sweep_get_output_dir (s->sweep), "best.yaml", NULL);
  if (s->json)
    print_best_json (s, rows, best, value);
  if (!g_file_set_contents (path, text, -1, error))
    return FALSE;
  g_printerr ("nnrun: best: trial %d, %s %s; its experiment is %s\n", best,
              nn_sweep_get_metric (s->sweep), shown, path);
  return TRUE;
}

/* Makes the sweep's directory and trials.csv, and reads its rows. */
static gboolean
open_output (Sweep   *s,
             GError **error)
{
  gboolean         cv = nn_sweep_is_cv (s->sweep);
  g_autofree char *trials = g_build_filename (nn_sweep_get_output_dir (s->sweep),
                                              cv ? NULL : "trials", NULL);
  g_auto(GStrv) columns = NULL;

  if (g_mkdir_with_parents (trials, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot create %s: %s",
                   trials, g_strerror (saved));
      return FALSE;
    }
  columns = nnrun_sweep_columns (s->sweep);
  s->csv = g_build_filename (nn_sweep_get_output_dir (s->sweep), cv ? "folds.csv" : "trials.csv",
                             NULL);
  s->rows = nnrun_sweep_csv_load (s->csv, (const char * const *) columns, error);
  return s->rows != NULL;
}

/* The runs asked for that @rows do not record: those another process
 * still had under way when this one looked, or that a process killed
 * left unfinished. */
static void
count_job (Sweep     *s,
           const Job *job,
           gboolean   recorded,
           gpointer   missing)
{
  *(guint *) missing += !recorded;
}

static guint
count_missing (Sweep     *s,
               GPtrArray *rows)
{
  guint missing = 0;

  for_each_job (s, s->only, rows, count_job, &missing);
  return missing;
}

static int
finish (Sweep   *s,
        GError **error)
{
  g_auto(GStrv) columns = nnrun_sweep_columns (s->sweep);
  g_autoptr(GPtrArray) rows = NULL;
  guint missing;

  if (s->error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&s->error));
      return EXIT_RUN_FAILED;
    }
  /* Under mpirun, the first process reports for all. */
  if (s->rank > 0)
    return s->stopping || s->interrupted > 0 ? EXIT_RUN_FAILED : EXIT_OK;
  if (s->others.unrecorded > 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                   "%u other process%s could not record %s runs in %s", s->others.unrecorded,
                   s->others.unrecorded == 1 ? "" : "es",
                   s->others.unrecorded == 1 ? "its" : "their", s->csv);
      return EXIT_RUN_FAILED;
    }
  s->failed += s->others.failed;
  s->interrupted += s->others.interrupted;
  if (s->stopping || s->interrupted > 0)
    {
      g_printerr ("nnrun: %s interrupted; run it again to finish the missing %s\n",
                  nn_sweep_is_cv (s->sweep) ? "cv" : "sweep",
                  nn_sweep_is_cv (s->sweep) ? "folds" : "trials");
      return EXIT_RUN_FAILED;
    }
  /* Other processes may have recorded trials meanwhile. */
  rows = nnrun_sweep_csv_load (s->csv, (const char * const *) columns, error);
  if (rows == NULL)
    return EXIT_RUN_FAILED;
  if ((missing = count_missing (s, rows)) > 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_AGAIN,
                   "%u %s not recorded: another process has %s under way, or was "
                   "killed running %s; run it again once no other process runs it",
                   missing, missing == 1 ? "run is" : "runs are", missing == 1 ? "it" : "them",
                   missing == 1 ? "it" : "them");
      return EXIT_RUN_FAILED;
    }
  if (nn_sweep_get_folds (s->sweep) > 0 && !nnrun_sweep_write_scores (s->sweep, rows, error))
    return EXIT_RUN_FAILED;
  if (nn_sweep_is_cv (s->sweep))
    nnrun_cv_print (s->sweep, rows, s->json);
  else if (!write_best (s, rows, error))
    return EXIT_RUN_FAILED;
  else
    {
      g_autoptr(GError) plot_error = NULL;

      /* The record is complete without the plots: a failure to draw them
       * is said, and the sweep is still a success. */
      if (!nnrun_sweep_plot (s->sweep, rows, &plot_error))
        g_printerr ("nnrun: warning: sweep.svg and sweep.png not drawn: %s\n",
                    plot_error->message);
      if (!s->json)
        nnrun_sweep_print_table (s->sweep, rows);
    }
  return s->failed > 0 ? EXIT_RUN_FAILED : EXIT_OK;
}

int
nnrun_cmd_sweep (int    argc,
                 char **argv)
{
  static const char summary[] =
    "Runs the trials of a sweep file, each as `nnrun train` with its values,\n"
    "several at once, and records them in trials.csv in the sweep's output.dir.\n"
    "Trials recorded already are skipped, so running it again finishes a sweep.";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnSweep) sweep = NULL;
  gint               jobs = 0, trial = -1;
  gboolean           json = FALSE;
  const GOptionEntry entries[] = {
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Trials at once (default: one per core)", "N" },
    { "trial", 0, 0, G_OPTION_ARG_INT, &trial,
      "Run trial I alone, from 0, and record it (one task of a job array)", "I" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object per run and the best", NULL },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("SWEEP.yaml - run the trials of a sweep");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc != 2)
    return nnrun_usage_error (context, argc < 2 ? "sweep needs a sweep file"
                                                : "sweep takes one sweep file");
  if (jobs < 0 || jobs > 1024)
    return nnrun_usage_error (context, "-j must be between 1 and 1024");
  if (nnrun_load_plugins (TRUE, &error))
    sweep = nn_sweep_new_from_file (argv[1], &error);
  if (sweep != NULL && !nn_sweep_check (sweep, &error))
    g_clear_object (&sweep);
  if (sweep != NULL && trial != -1 &&
      (trial < 0 || (guint) trial >= nn_sweep_get_n_trials (sweep)))
    {
      g_autofree char *message = g_strdup_printf ("--trial must be between 0 and %u",
                                                  nn_sweep_get_n_trials (sweep) - 1);

      return nnrun_usage_error (context, message);
    }
  return nnrun_sweep_execute (sweep, error, jobs > 0 ? (guint) jobs : 0, trial, json);
}

int
nnrun_sweep_execute (NnSweep      *sweep,
                     const GError *error,
                     guint         jobs,
                     gint          trial,
                     gboolean      json)
{
  guint    rank, n_ranks;
  gboolean launched, report;
  int      status;

  if ((status = nnrun_sweep_mpi_start (&rank, &n_ranks, &launched)) != EXIT_OK)
    return status;
  /* Every process reads the same files: the first says what is wrong. */
  if (!nnrun_sweep_mpi_all_ok (sweep != NULL, &report))
    return nnrun_sweep_mpi_finish (sweep != NULL ? EXIT_BAD_INPUT
                                   : report      ? nnrun_fail (error)
                                                 : nnrun_status_for_error (error));
  /* mpirun starts a process per core: each runs one trial at a time. */
  if (jobs == 0 && launched)
    jobs = 1;
  return nnrun_sweep_mpi_finish (execute (sweep, jobs, trial, json, rank, n_ranks));
}

/* Runs the sweep as process @rank of @n_ranks (0 of 1 alone). */
static int
execute (NnSweep *sweep,
         guint    jobs,
         gint     trial,
         gboolean json,
         guint    rank,
         guint    n_ranks)
{
  g_autoptr(GError) error = NULL;
  Sweep    s = { 0 };
  int      status;
  gboolean ok, report;

  s.sweep = sweep;
  s.json = json;
  s.rank = rank;
  s.n_ranks = n_ranks;
  s.only = trial;
  s.max_running = jobs > 0 ? jobs : MAX (1, g_get_num_processors ());
  /* The first makes the directory and trials.csv before the others read it. */
  ok = rank > 0 || open_output (&s, &error);
  ok = nnrun_sweep_mpi_all_ok (ok, &report) && (rank == 0 || open_output (&s, &error));
  if (!nnrun_sweep_mpi_all_ok (ok, &report))
    status = error != NULL ? nnrun_fail (error) : EXIT_RUN_FAILED;
  else
    {
      s.nnrun = g_file_read_link ("/proc/self/exe", NULL);
      if (s.nnrun == NULL)
        s.nnrun = g_strdup ("nnrun");
      if (rank == 0)
        queue_jobs (&s, trial);
      run_jobs (&s);
      status = finish (&s, &error);
      if (error != NULL)
        g_printerr ("nnrun: %s\n", error->message);
    }
  g_queue_clear_full (&s.jobs, g_free);
  g_clear_pointer (&s.rows, g_ptr_array_unref);
  g_free (s.csv);
  g_free (s.nnrun);
  return status;
}
