/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun: runs nn experiments. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <nn.h>
#include <nn-json.h>

#include "nnrun-model.h"
#include "nnrun-plot.h"
#include "nnrun-commands.h"
#include "nnrun-mpi.h"

/* An nnrun started from its build tree uses the plugins built beside it,
 * not whatever an older install left in the plugin directory. */
static void
use_build_tree_plugins_if_uninstalled (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = exe ? g_path_get_dirname (exe) : NULL;
  g_autofree char *build = g_canonicalize_filename (NN_BUILD_TOOLS_DIR, NULL);

  if (dir != NULL && g_str_equal (dir, build))
    nn_plugins_set_system_directory (NN_BUILD_PLUGIN_DIR);
}

typedef enum {
  OUTPUT_TEXT,
  OUTPUT_QUIET,
  OUTPUT_JSON,
} OutputMode;

typedef struct
{
  OutputMode mode;
  guint      every;
  guint      epochs;
  guint      last_printed;
} Progress;

/* One line: epoch/total, the loss, validation loss and metrics, the time
 * so far and the time still to go at the pace so far. */
static void
print_row (NnExperiment *experiment,
           guint         epoch)
{
  const char * const *columns = nn_experiment_get_history_columns (experiment);
  guint               total = nn_experiment_get_epochs (experiment);
  guint               width = 1;

  for (guint e = total; e >= 10; e /= 10)
    width++;
  g_print ("epoch %*u/%u", width, epoch, total);
  for (guint c = 1; columns[c] != NULL; c++)
    {
      double v = nn_experiment_get_history_value (experiment, epoch, c);

      if (isnan (v) || g_str_equal (columns[c], "learning_rate"))
        continue;
      if (g_str_equal (columns[c], "seconds"))
        {
          g_autofree char *elapsed = nnrun_format_duration (v);
          g_autofree char *eta = nnrun_format_duration (v / epoch * (total - epoch));

          g_print ("  %s  ETA %s", elapsed, eta);
        }
      else
        g_print ("  %s %.4g", columns[c], v);
    }
  g_print ("\n");
}

static void
print_json (JsonNode *root)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

/* {"event": "epoch", "epoch": 3, "loss": ..., ...}: the row of history.csv. */
static void
print_json_row (NnExperiment *experiment,
                guint         epoch)
{
  const char * const *columns = nn_experiment_get_history_columns (experiment);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, "epoch");
  json_builder_set_member_name (b, "epoch");
  json_builder_add_int_value (b, epoch);
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, nn_experiment_get_epochs (experiment));
  for (guint c = 1; columns[c] != NULL; c++)
    nn_json_builder_add_number (b, columns[c], nn_experiment_get_history_value (experiment, epoch, c));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  print_json (root);
}

static void
on_epoch_finished (NnExperiment *experiment,
                   guint         epoch,
                   Progress     *progress)
{
  switch (progress->mode)
    {
    case OUTPUT_JSON:
      print_json_row (experiment, epoch);
      break;
    case OUTPUT_TEXT:
      if (epoch == 1 || epoch == progress->epochs || epoch % progress->every == 0)
        {
          print_row (experiment, epoch);
          progress->last_printed = epoch;
        }
      break;
    case OUTPUT_QUIET:
    default:
      break;
    }
}

/* {"event": "summary", ...}: summary.json, on one line. */
static gboolean
print_json_summary (NnExperiment *experiment,
                    GError      **error)
{
  g_autofree char *path = g_build_filename (nn_experiment_get_output_dir (experiment),
                                            "summary.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;

  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;
  object = json_node_get_object (json_parser_get_root (parser));
  json_object_set_string_member (object, "event", "summary");
  print_json (json_parser_get_root (parser));
  return TRUE;
}

static void
print_summary (NnExperiment *experiment)
{
  static const char * const splits[] = { "train", "validation", "test" };
  const char * const       *columns = nn_experiment_get_history_columns (experiment);

  g_print ("done: %u epochs%s; results in %s\n", nn_experiment_get_epochs_run (experiment),
           g_str_equal (nn_experiment_get_stop_reason (experiment), "early_stopping")
             ? " (stopped early)"
             : "",
           nn_experiment_get_output_dir (experiment));
  for (guint s = 0; s < G_N_ELEMENTS (splits); s++)
    {
      double loss = nn_experiment_get_final_metric (experiment, splits[s], "loss");

      if (isnan (loss))
        continue;
      g_print ("  %-10s loss %.6g", splits[s], loss);
      /* The metrics are the history columns between val_loss and learning_rate,
       * in pairs. */
      for (guint c = 3; columns[c] != NULL && !g_str_equal (columns[c], "learning_rate"); c += 2)
        g_print ("  %s %.4f", columns[c],
                 nn_experiment_get_final_metric (experiment, splits[s], columns[c]));
      g_print ("\n");
    }
}

static void
print_warnings (NnExperiment *experiment)
{
  const char * const *warnings = nn_experiment_get_warnings (experiment);

  for (gsize i = 0; warnings[i] != NULL; i++)
    g_printerr ("%s\n", warnings[i]);
}

/* 0, or the exit status of @command given other than one experiment
 * file. */
static int
check_one_experiment (GOptionContext *context,
                      const char     *command,
                      int             argc)
{
  g_autofree char *message = NULL;

  if (argc == 2)
    return 0;
  message = g_strdup_printf (argc < 2 ? "%s needs an experiment file"
                                      : "%s takes one experiment file",
                             command);
  return nnrun_usage_error (context, message);
}

/* Reads an experiment file, reports the plugins that failed, and prints
 * the experiment's warnings. */
static NnExperiment *
load_experiment (const char         *path,
                 const char * const *overrides,
                 GError            **error)
{
  NnExperiment *experiment = nn_experiment_new_from_file_full (path, overrides, error);

  nnrun_report_plugin_problems (TRUE);
  if (experiment != NULL)
    print_warnings (experiment);
  return experiment;
}

static int
cmd_validate (int    argc,
              char **argv)
{
  static const char summary[] =
    "Checks the experiment whole, loads its data, and prints it resolved:\n"
    "every default and override applied, as a run saves it in config.yaml.";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) experiment = NULL;
  g_auto(GStrv) overrides = NULL;
  g_autofree char   *yaml = NULL;
  int                status;
  const GOptionEntry entries[] = {
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &overrides,
      "Override a key of the experiment, e.g. optimizer.learning_rate=0.05", "KEY=VALUE" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("EXPERIMENT.yaml - check an experiment file");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if ((status = check_one_experiment (context, "validate", argc)) != 0)
    return status;

  experiment = load_experiment (argv[1], (const char * const *) overrides, &error);
  if (experiment == NULL)
    return nnrun_fail (error);
  yaml = nn_experiment_to_yaml (experiment);
  g_assert (yaml != NULL); /* a file read is UTF-8 throughout */
  g_print ("%s", yaml);
  return EXIT_OK;
}

/* SIGINT and SIGTERM stop the training after the current batch: a signal
 * handler itself may not touch a GCancellable, so the main thread waits
 * for them while training runs in a thread. Once the training has
 * stopped, they are held until the run's files are written: under
 * mpirun, which passes Ctrl-C on as SIGTERM and kills a second later,
 * that second is the time to write them in. */
typedef struct
{
  GCancellable *cancellable;
  gboolean      peer; /* one of the processes under mpirun that write nothing */
  guint         sigint;
  guint         sigterm;
} StopSignals;

static gboolean
on_stop_signal (gpointer data)
{
  StopSignals *s = data;

  if (!g_cancellable_is_cancelled (s->cancellable) && !s->peer)
    g_printerr ("nnrun: stopping after the current batch\n");
  g_cancellable_cancel (s->cancellable);
  return G_SOURCE_CONTINUE;
}

static void
stop_signals_watch (StopSignals *s,
                    gboolean     peer)
{
  s->cancellable = g_cancellable_new ();
  s->peer = peer;
  s->sigint = g_unix_signal_add (SIGINT, on_stop_signal, s);
  s->sigterm = g_unix_signal_add (SIGTERM, on_stop_signal, s);
}

static void
stop_signals_clear (StopSignals *s)
{
  g_clear_handle_id (&s->sigint, g_source_remove);
  g_clear_handle_id (&s->sigterm, g_source_remove);
  g_clear_object (&s->cancellable);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StopSignals, stop_signals_clear)

typedef struct
{
  NnExperiment *experiment;
  GCancellable *cancellable;
  GMainLoop    *loop;
  GError       *error;
  gboolean      ok;
  gboolean      peer;
} Training;

/* A process under mpirun other than the first: the same training, with
 * no run directory, no history and no checkpoint of its own. */
static gboolean
fit_as_peer (NnExperiment *experiment,
             GCancellable *cancellable,
             GError      **error)
{
  NnDataset  *train = nn_experiment_get_train_data (experiment);
  NnDataset  *val = nn_experiment_get_validation_data (experiment);
  NnPrecision before = nn_matrix_get_precision ();
  gboolean    ok;

  /* In the precision of the first process, which nn_experiment_run()
   * sets for itself. */
  nn_matrix_set_precision (nn_experiment_get_precision (experiment));
  ok = nn_trainer_fit (nn_experiment_get_trainer (experiment),
                       nn_dataset_get_features (train), nn_dataset_get_targets (train),
                       val ? nn_dataset_get_features (val) : NULL,
                       val ? nn_dataset_get_targets (val) : NULL, cancellable, error);
  nn_matrix_set_precision (before);
  return ok;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static gpointer
training_thread (gpointer data)
{
  Training *t = data;

  t->ok = t->peer ? fit_as_peer (t->experiment, t->cancellable, &t->error)
                  : nn_experiment_run (t->experiment, t->cancellable, &t->error);
  /* g_idle_add() is safe from any thread; the main loop quits when it runs. */
  g_idle_add (quit_loop, t->loop);
  return NULL;
}

static gboolean
run_training (NnExperiment *experiment,
              StopSignals  *signals,
              GError      **error)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Training t = { experiment, signals->cancellable, loop, NULL, FALSE, signals->peer };
  GThread *thread;

  thread = g_thread_new ("training", training_thread, &t);
  g_main_loop_run (loop);
  g_thread_join (thread);
  if (!t.ok)
    g_propagate_error (error, t.error);
  return t.ok;
}

/* The plots join the run's other files in its staging directory, and
 * then all of them replace the previous run's together: a run whose files
 * could not all be written leaves the previous run as it was. */
static gboolean
plot_and_commit (NnExperiment *experiment,
                 GError      **error)
{
  const char *staging = nn_experiment_get_staging_dir (experiment);
  g_autoptr(GError) plot_error = NULL;

  if (staging == NULL)
    return TRUE; /* nothing to keep: the run failed to write its files */
  if (nn_experiment_get_epochs_run (experiment) > 0)
    {
      g_autofree char *dir = g_canonicalize_filename (nn_experiment_get_output_dir (experiment),
                                                      NULL);
      g_autofree char *label = g_path_get_basename (dir);

      if (!nnrun_plot_run_dir_as (staging, label, &plot_error) &&
          plot_error->domain == G_FILE_ERROR)
        {
          g_autofree char *kept = g_strdup (staging);
          g_autofree char *checkpoint = g_build_filename (staging, "checkpoint.nnckpt", NULL);

          /* The run's checkpoint stays staged, to resume from. */
          nn_experiment_discard (experiment);
          if (!g_file_test (checkpoint, G_FILE_TEST_IS_REGULAR))
            g_clear_pointer (&kept, g_free);
          g_set_error (error, G_FILE_ERROR, plot_error->code, "%s; %s was left as it was%s%s",
                       plot_error->message, nn_experiment_get_output_dir (experiment),
                       kept ? "; the checkpoint to resume from is in " : "", kept ? kept : "");
          return FALSE;
        }
    }
  /* A plot that could not be drawn (no PLplot device) fails the command,
   * but the run's own files are whole and kept. */
  if (!nn_experiment_commit (experiment, error))
    return FALSE;
  if (plot_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&plot_error));
      return FALSE;
    }
  return TRUE;
}

/* The files of a run that stopped record the epochs run and why it
 * stopped; then the command fails. */
static int
fail_run (NnExperiment *experiment,
          const GError *error,
          gboolean      json,
          const char   *path)
{
  const char *dir = nn_experiment_get_output_dir (experiment);

  if (json)
    print_json_summary (experiment, NULL);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_printerr ("nnrun: interrupted after epoch %u; the checkpoint and the outputs so "
                  "far are in %s; continue with: nnrun train %s --resume %s\n",
                  nn_experiment_get_epochs_run (experiment), dir, path, dir);
      return EXIT_RUN_FAILED;
    }
  return nnrun_fail (error);
}

typedef struct
{
  const char         *path;
  const char * const *overrides;
  const char         *out_dir;
  const char         *resume_dir;
  gboolean            quiet;
  gboolean            json;
  guint               rank;    /* under mpirun: this process's, from 0 */
  guint               n_ranks; /* 1 alone */
} TrainOptions;

/* Under mpirun every process loads the experiment and its data itself:
 * the data of an experiment are small next to its training, and every
 * process needs the same split, scaling, initial weights and shuffling,
 * which reading gives with no message to send. Each process checks the
 * same things, and all stop when one finds bad input, which the first
 * that found it reports. */
static NnExperiment *
load_for_ranks (const TrainOptions *o,
                int                *status)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(NnExperiment) experiment = NULL;
  gboolean report;

  experiment = o->rank == 0 ? load_experiment (o->path, o->overrides, &error)
                            : nn_experiment_new_from_file_full (o->path, o->overrides, &error);
  if (experiment != NULL && o->n_ranks > 1)
    {
      guint n = nn_dataset_get_n_samples (nn_experiment_get_train_data (experiment));
      guint bs = nn_trainer_get_batch_size (nn_experiment_get_trainer (experiment));

      if (bs == 0 || bs > n)
        bs = n;
      if (o->n_ranks > bs)
        {
          g_set_error (&error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                       "%s: %u processes for training batches of %u sample%s: each process "
                       "trains a part of every batch; run at most %u processes, or set a "
                       "larger train.batch_size",
                       o->path, o->n_ranks, bs, bs == 1 ? "" : "s", bs);
          g_clear_object (&experiment);
        }
    }
  /* Nothing here reads the gradients or pre-activations after a step. */
  if (experiment != NULL)
    {
      nn_trainer_set_keep_gradients (nn_experiment_get_trainer (experiment), FALSE);
      nn_trainer_set_keep_pre_activations (nn_experiment_get_trainer (experiment), FALSE);
    }
  if (!nnrun_mpi_all_ok (experiment != NULL, &report))
    {
      if (experiment != NULL)
        *status = EXIT_BAD_INPUT; /* another process's input is bad */
      else
        *status = report ? nnrun_fail (error) : nnrun_status_for_error (error);
      return NULL;
    }
  return g_steal_pointer (&experiment);
}

/* A process under mpirun other than the first trains, and says nothing
 * that the first says for all: a run that diverged or was interrupted
 * stops every process alike. Anything else stops all of them. */
static int
train_as_peer (NnExperiment *experiment)
{
  g_autoptr(GError) error = NULL;
  g_auto(StopSignals) signals = { 0 };

  stop_signals_watch (&signals, TRUE);
  if (run_training (experiment, &signals, &error))
    return nnrun_mpi_finish (EXIT_OK, FALSE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE))
    return nnrun_mpi_finish (EXIT_RUN_FAILED, FALSE);
  g_printerr ("nnrun: process %u: %s\n", nn_trainer_get_rank (nn_experiment_get_trainer (experiment)),
              error->message);
  return nnrun_mpi_finish (nnrun_status_for_error (error), TRUE);
}

/* A failure under mpirun that the other processes may not know of stops
 * them all. */
static int
fail_alone (int status)
{
  return nnrun_mpi_finish (status, status != EXIT_OK);
}

/* --resume: the first process reads the checkpoint, all stop if it
 * cannot, and the others receive its state. */
static int
resume_for_ranks (NnExperiment       *experiment,
                  const TrainOptions *o)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = o->rank > 0 || nn_experiment_resume (experiment, o->resume_dir, &error);
  gboolean report;

  if (!nnrun_mpi_all_ok (ok, &report))
    return nnrun_mpi_finish (ok ? EXIT_BAD_INPUT : nnrun_fail (error), FALSE);
  if (o->n_ranks > 1 && !nnrun_mpi_share_state (nn_experiment_get_trainer (experiment), &error))
    {
      g_printerr ("nnrun: process %u: %s\n", o->rank, error->message);
      return nnrun_mpi_finish (EXIT_RUN_FAILED, TRUE);
    }
  return EXIT_OK;
}

static int
train_experiment (const TrainOptions *o)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) commit_error = NULL;
  g_autoptr(NnExperiment) experiment = NULL;
  g_auto(StopSignals) signals = { 0 };
  Progress progress = { 0 };
  gboolean ok;
  int      status = EXIT_OK;

  if ((experiment = load_for_ranks (o, &status)) == NULL)
    return nnrun_mpi_finish (status, FALSE);
  if (o->rank == 0 && o->out_dir != NULL)
    nn_experiment_set_output_dir (experiment, o->out_dir);
  if (o->resume_dir != NULL && (status = resume_for_ranks (experiment, o)) != EXIT_OK)
    return status;
  nnrun_mpi_attach (nn_experiment_get_trainer (experiment));
  if (o->rank > 0)
    return train_as_peer (experiment);

  progress.mode = o->json ? OUTPUT_JSON : o->quiet ? OUTPUT_QUIET
                                                   : OUTPUT_TEXT;
  progress.epochs = nn_experiment_get_epochs (experiment);
  /* Every epoch on a terminal; twenty lines in all in a log. */
  progress.every = isatty (STDOUT_FILENO) ? 1 : MAX (1, progress.epochs / 20);
  g_signal_connect (experiment, "epoch-finished", G_CALLBACK (on_epoch_finished), &progress);
  nn_experiment_set_auto_commit (experiment, FALSE);

  stop_signals_watch (&signals, FALSE);
  ok = run_training (experiment, &signals, &error);
  if (!plot_and_commit (experiment, &commit_error))
    {
      /* Why the run stopped, then why it was not kept. */
      if (!ok)
        g_printerr ("nnrun: %s\n", error->message);
      return fail_alone (nnrun_fail (commit_error));
    }
  if (!ok)
    {
      status = fail_run (experiment, error, o->json, o->path);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          g_error_matches (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE))
        return nnrun_mpi_finish (status, FALSE);
      return fail_alone (status);
    }
  if (o->json)
    {
      if (!print_json_summary (experiment, &error))
        return nnrun_mpi_finish (nnrun_fail (error), FALSE);
    }
  else if (!o->quiet)
    {
      /* A run that stopped early ends with its last epoch too. */
      guint last = nn_experiment_get_epochs_run (experiment);

      if (last > progress.last_printed)
        print_row (experiment, last);
      print_summary (experiment);
    }
  return nnrun_mpi_finish (EXIT_OK, FALSE);
}

static int
cmd_train (int    argc,
           char **argv)
{
  static const char summary[] =
    "Reads the experiment, checks it whole, trains, and writes history.csv and\n"
    "summary.json into the run directory. Under mpirun -np N, the N processes\n"
    "train together, each on its part of every batch (docs/distributed.md).";
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out_dir = NULL;
  g_autofree char *resume_dir = NULL;
  g_auto(GStrv) overrides = NULL;
  gboolean           quiet = FALSE, json = FALSE;
  gint               threads = -1;
  int                status;
  TrainOptions       o = { 0 };
  const GOptionEntry entries[] = {
    { "resume", 'r', 0, G_OPTION_ARG_FILENAME, &resume_dir,
      "Continue the run in DIR from its latest checkpoint (DIR.partial's, after a kill)",
      "DIR" },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &overrides,
      "Override a key of the experiment, e.g. optimizer.learning_rate=0.05", "KEY=VALUE" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
      "Write the run into DIR instead of the experiment's output.dir", "DIR" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only errors", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      "Print one JSON object per epoch and a final summary object", NULL },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads,
      "Threads for the matrix products (default: the BLAS's own, OPENBLAS_NUM_THREADS "
      "or one per core)",
      "N" },
    G_OPTION_ENTRY_NULL
  };

  context = g_option_context_new ("EXPERIMENT.yaml - train the experiment's model");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, summary);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if ((status = check_one_experiment (context, "train", argc)) != 0)
    return status;
  if (quiet && json)
    return nnrun_usage_error (context, "--quiet and --json exclude each other");
  if (resume_dir != NULL && out_dir != NULL)
    return nnrun_usage_error (context, "--resume continues in its own directory: no --out");
  if (threads != -1 && (threads < 1 || threads > 256))
    return nnrun_usage_error (context, "--threads must be between 1 and 256");
  if (threads != -1)
    nn_matrix_set_n_threads ((guint) threads);
  if ((status = nnrun_mpi_start (&o.rank, &o.n_ranks)) != EXIT_OK)
    return status;

  o.path = argv[1];
  o.overrides = (const char * const *) overrides;
  o.out_dir = out_dir;
  o.resume_dir = resume_dir;
  o.quiet = quiet;
  o.json = json;
  return train_experiment (&o);
}

typedef struct
{
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "train", cmd_train, "train an experiment (also: nnrun EXPERIMENT.yaml)" },
  { "validate", cmd_validate, "check an experiment and print it resolved" },
  { "eval", nnrun_cmd_eval, "metrics of a saved model on a data set: RUN_DIR|MODEL DATA" },
  { "predict", nnrun_cmd_predict, "predictions of a saved model: RUN_DIR|MODEL INPUT.csv" },
  { "export", nnrun_cmd_export, "a saved model for use outside nn: RUN_DIR|MODEL --format onnx|c" },
  { "sweep", nnrun_cmd_sweep, "run the trials of a sweep file: SWEEP.yaml [-j N] [--trial I]" },
  { "cv", nnrun_cmd_cv, "k-fold cross-validation: EXPERIMENT.yaml --folds K [--repeats R]" },
  { "plot", nnrun_cmd_plot, "draw loss.svg and loss.png from runs' history.csv" },
  { "plugins", nnrun_cmd_plugins, "list the plugins, or describe one: [NAME]" },
  { "check-plugin", nnrun_cmd_check_plugin, "check a plugin's derivatives: NAME|FILE.so" },
  { "new-plugin", nnrun_cmd_new_plugin, "start a plugin: activation|loss|optimizer NAME [DIR]" },
  { "bench", nnrun_cmd_bench, "the speed benchmark: [w1|w2|all] [--threads N] [--json]" },
  { "serve", nnrun_cmd_serve, "a live dashboard of runs and sweeps: [DIR...] [--port N]" },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: nnrun COMMAND [OPTION...] ARGS\n"
                "       nnrun EXPERIMENT.yaml\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-14s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nRun 'nnrun COMMAND --help' for a command's options.\n");
}

/* A standard output that could not be written: a reader that went away
 * (EPIPE) had what it wanted and is no error. Otherwise the output of
 * every command but train is lost, which fails it; a run's results are in
 * its directory. */
static int
check_stdout (int      status,
              gboolean training)
{
  int saved = nnrun_stdout_error ();

  if (saved == 0 || saved == EPIPE)
    return status;
  if (training)
    {
      g_printerr ("nnrun: warning: cannot write to standard output: %s\n", g_strerror (saved));
      return status;
    }
  g_printerr ("nnrun: error: cannot write to standard output: %s\n", g_strerror (saved));
  return status == EXIT_OK ? EXIT_RUN_FAILED : status;
}

/* Training keeps oneDNN to one OpenMP thread and shares products between
 * threads of its own; only the ceiling of nnrun bench lets oneDNN's OpenMP
 * threads run. By default they spin for milliseconds after each product,
 * and when another process shares the cores a product on two threads then
 * takes ten to twenty times as long as on one; waiting in the kernel at
 * once (OMP_WAIT_POLICY=passive) costs a wake-up a product, and halved the
 * two-thread ceiling on an idle machine (134 against 275 GFLOP/s for w2 on
 * an Intel Xeon). A spin of a thousand pauses, tens of microseconds, covers
 * the gap between the ceiling's products. OpenMP reads GOMP_SPINCOUNT once,
 * as it loads, before main: where neither it nor OMP_WAIT_POLICY is set,
 * nnrun bench starts itself again with it set. Not under valgrind, which
 * would not follow. */
#define BENCH_OPENMP_SPINCOUNT "1000"

/* Whether an environment variable has a value: OpenMP ignores an empty one. */
static gboolean
is_set (const char *value)
{
  return value != NULL && *value != '\0';
}

static void
shorten_openmp_spinning (int    argc,
                         char **argv)
{
  const char *preload = g_getenv ("LD_PRELOAD");

  if (argc < 2 || !g_str_equal (argv[1], "bench") ||
      !g_str_equal (nn_matrix_get_engine_name (), "oneDNN") ||
      is_set (g_getenv ("OMP_WAIT_POLICY")) || is_set (g_getenv ("GOMP_SPINCOUNT")) ||
      (preload != NULL && strstr (preload, "vgpreload") != NULL))
    return;
  /* OpenMP has said once that an empty value is invalid, and ignored it. */
  g_unsetenv ("OMP_WAIT_POLICY");
  g_setenv ("GOMP_SPINCOUNT", BENCH_OPENMP_SPINCOUNT, TRUE);
  execv ("/proc/self/exe", argv);
  /* Where that fails, the threads wait as OpenMP's default has it. */
}

int
main (int    argc,
      char **argv)
{
  shorten_openmp_spinning (argc, argv);
  setlocale (LC_ALL, "");
  nnrun_setup_output ();
  use_build_tree_plugins_if_uninstalled ();
  nnrun_name_plugin_crashes ();

  if (argc < 2)
    {
      print_usage (stderr);
      return EXIT_BAD_INPUT;
    }
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help"))
    {
      print_usage (stdout);
      return EXIT_OK;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("nnrun %s (%s scalars)\n", NN_VERSION_STRING, NN_REAL_NAME);
      return EXIT_OK;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      {
        /* The command sees itself as argv[0], so its --help reads naturally. */
        g_autofree char *prgname = g_strdup_printf ("nnrun %s", commands[i].name);
        g_set_prgname (prgname);
        return check_stdout (commands[i].run (argc - 1, argv + 1), commands[i].run == cmd_train);
      }

  /* nnrun EXPERIMENT.yaml is nnrun train EXPERIMENT.yaml. */
  if (g_str_has_suffix (argv[1], ".yaml") || g_str_has_suffix (argv[1], ".yml"))
    {
      g_set_prgname ("nnrun train");
      argv[0] = (char *) "nnrun train";
      return check_stdout (cmd_train (argc, argv), TRUE);
    }

  g_printerr ("nnrun: unknown command '%s'\n", argv[1]);
  print_usage (stderr);
  return EXIT_BAD_INPUT;
}
