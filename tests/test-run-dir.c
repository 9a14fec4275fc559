/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The run directory: one run at a time holds it, the newest checkpoint
 * survives a kill or a full disk at any step, only nn's own files are ever
 * removed from it, and what cannot be one is refused before training. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include <glib/gstdio.h>

#include "nn-test.h"

enum {
  EXIT_OK = 0,
  EXIT_RUN_FAILED = 1,
  EXIT_BAD_INPUT = 2,
  EXIT_KILLED = -1,
};

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", "NN_FAULT_PRELOAD", NULL) || nn_test_init_plugins ();
}

/* Small and quick, a checkpoint every epoch. */
static const char small[] =
  "seed: 7\n"
  "data: {source: iris, task: multiclass, scale: minmax, split: {validation: 0.2}}\n"
  "model: {layers: [{units: 4, activation: tanh}, {units: 3, activation: softmax}]}\n"
  "optimizer: {name: adam, learning_rate: 0.01}\n"
  "train: {epochs: 5, batch_size: 32, checkpoint_every: 1}\n";

/* ---- helpers -------------------------------------------------------------- */

/* Not inlined: gcc then takes the text for a pointer to a local. */
G_GNUC_NO_INLINE static char *
read_text (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char            *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text;
}

static gboolean
exists_in (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf         st;

  return g_lstat (path, &st) == 0;
}

static gboolean
sibling_exists (const char *run,
                const char *suffix)
{
  g_autofree char *path = g_strconcat (run, suffix, NULL);
  GStatBuf         st;

  return g_lstat (path, &st) == 0;
}

/* The same history and weights as @whole: one run, not a mix of two. */
static gboolean
same_run (const char *run,
          const char *whole)
{
  g_autofree char *ha = nn_test_history_without_seconds (run);
  g_autofree char *hb = nn_test_history_without_seconds (whole);
  g_autofree char *wa = NULL;
  g_autofree char *wb = NULL;
  g_autofree char *pa = g_build_filename (run, "model.safetensors", NULL);
  g_autofree char *pb = g_build_filename (whole, "model.safetensors", NULL);
  gsize            la = 0, lb = 0;

  return g_str_equal (ha, hb) && g_file_get_contents (pa, &wa, &la, NULL) &&
         g_file_get_contents (pb, &wb, &lb, NULL) && la == lb && memcmp (wa, wb, la) == 0;
}

/* @run holds exactly the files of a run that completed (@plots: with
 * nnrun's plots) and @extra, and neither a staging directory nor a lock
 * is left beside it. */
static gboolean
holds_one_whole_run (const char *run,
                     gboolean    plots,
                     const char *extra,
                     char      **why)
{
  static const char * const files[] = {
    ".nn-run", "checkpoint.nnckpt", "config.yaml", "history.csv", "model.safetensors",
    "model.yaml", "predictions.csv", "summary.json", NULL
  };
  g_autoptr(GHashTable) found = nn_test_snapshot_dir (run);
  guint          expected = g_strv_length ((char **) files) + (plots ? 2 : 0) + (extra ? 1 : 0);
  GHashTableIter iter;
  gpointer       name;

  g_hash_table_iter_init (&iter, found);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (!g_strv_contains (files, name) && !(extra && g_str_equal (name, extra)) &&
        !(plots && (g_str_equal (name, "loss.svg") || g_str_equal (name, "loss.png"))))
      {
        *why = g_strdup_printf ("%s holds %s", run, (const char *) name);
        return FALSE;
      }
  if (g_hash_table_size (found) != expected)
    *why = g_strdup_printf ("%s holds %u files, not %u", run, g_hash_table_size (found),
                            expected);
  else if (sibling_exists (run, ".partial"))
    *why = g_strdup_printf ("%s.partial is left", run);
  else if (sibling_exists (run, ".lock"))
    *why = g_strdup_printf ("%s.lock is left", run);
  return *why == NULL;
}

static NnExperiment *
load (const char *path,
      const char *run,
      const char *override)
{
  g_autoptr(GError) error = NULL;
  const char   *overrides[] = { override, NULL };
  NnExperiment *e = nn_experiment_new_from_file_full (path, overrides, &error);

  NN_ASSERT_NO_ERROR (error);
  if (e != NULL)
    nn_experiment_set_output_dir (e, run);
  return e;
}

typedef struct
{
  GCancellable *cancellable;
  guint         epoch;
} CancelAt;

static void
cancel_at (NnExperiment *e,
           guint         epoch,
           CancelAt     *at)
{
  if (epoch == at->epoch)
    g_cancellable_cancel (at->cancellable);
}

/* Runs the experiment at @path into @run until epoch @stop (0: to the end),
 * committed or, with @commit unset, left staged as by a process killed. */
static void
run_until (const char *path,
           const char *run,
           const char *override,
           guint       stop,
           gboolean    commit)
{
  g_autoptr(NnExperiment) e = load (path, run, override);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  CancelAt at = { cancellable, stop };

  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  nn_experiment_set_auto_commit (e, commit);
  g_signal_connect (e, "epoch-finished", G_CALLBACK (cancel_at), &at);
  if (nn_experiment_run (e, cancellable, &error))
    {
      CU_ASSERT_EQUAL (stop, 0);
    }
  else
    {
      NN_ASSERT_ERROR (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    }
}

/* The epochs of the checkpoint a resume of @run starts from, or -1 with
 * *@why set. */
static int
resumable_epochs (const char *path,
                  const char *run,
                  char      **why)
{
  g_autoptr(NnExperiment) e = load (path, run, NULL);
  g_autoptr(GError) error = NULL;

  if (e == NULL)
    return -1;
  if (!nn_experiment_resume (e, run, &error))
    {
      *why = g_strdup (error->message);
      return -1;
    }
  return (int) nn_experiment_get_epochs_run (e);
}

/* Resumes @run to the end through the library. */
static gboolean
resume_to_end (const char *path,
               const char *run,
               char      **why)
{
  g_autoptr(NnExperiment) e = load (path, run, NULL);
  g_autoptr(GError) error = NULL;

  if (e == NULL)
    return FALSE;
  if (!nn_experiment_resume (e, run, &error) || !nn_experiment_run (e, NULL, &error))
    {
      *why = g_strdup (error->message);
      return FALSE;
    }
  return TRUE;
}

/* nnrun with @args, started and not waited for. */
typedef struct
{
  GPid pid;
  int  err_fd;
} Child;

static gboolean
start_nnrun (char              **envp,
             const char * const *args,
             Child              *child)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, (gpointer) g_getenv ("NNRUN"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_async_with_pipes (NULL, (char **) argv->pdata, envp,
                                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                                 NULL, NULL, &child->pid, NULL, NULL, &child->err_fd, &error))
    {
      NN_ASSERT_NO_ERROR (error);
      return FALSE;
    }
  return TRUE;
}

/* Its exit status once it ends, or EXIT_KILLED; its standard error. */
static int
finish_nnrun (Child *child,
              char **err)
{
  GString *text = g_string_new (NULL);
  char     buf[4096];
  ssize_t  n;
  int      status = 0;

  while ((n = read (child->err_fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      g_string_append_len (text, buf, n);
  close (child->err_fd);
  while (waitpid (child->pid, &status, 0) < 0 && errno == EINTR)
    ;
  g_spawn_close_pid (child->pid);
  *err = g_string_free (text, FALSE);
  return WIFEXITED (status) ? WEXITSTATUS (status) : EXIT_KILLED;
}

static int
nnrun_with (char              **envp,
            const char * const *args,
            char              **err)
{
  Child child;

  if (!start_nnrun (envp, args, &child))
    return -2;
  return finish_nnrun (&child, err);
}

/* ---- one run at a time ---------------------------------------------------- */

#define N_PAIRS 50

static char *
seed_of (const char *run)
{
  char       *config = read_text (run, "config.yaml");
  const char *p = config ? strstr (config, "\nseed: ") : NULL;
  char       *seed = p ? g_strndup (p + 7, strcspn (p + 7, "\n")) : g_strdup ("(none)");

  g_free (config);
  return seed;
}

/* Two runs started together into one directory: one of them has it and
 * the other is refused, exit status 2, before it trains; or one ran after
 * the other. Either way the directory holds one run's files, all of them. */
static void
test_concurrent_runs_are_exclusive (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "small.yaml", small);
  g_autofree char *out = g_build_filename (dir, "out", NULL);
  g_autofree char *ref1 = g_build_filename (dir, "ref-1", NULL);
  g_autofree char *ref2 = g_build_filename (dir, "ref-2", NULL);
  const char      *args1[] = { "train", path, "--quiet", "--out", out, "--set", "seed=1",
                               "--set", "train.epochs=40", "--set", "train.checkpoint_every=10",
                               NULL };
  const char      *args2[] = { "train", path, "--quiet", "--out", out, "--set", "seed=2",
                               "--set", "train.epochs=40", "--set", "train.checkpoint_every=10",
                               NULL };
  guint            clean = 0, refused = 0, sequential = 0;
  int              status;

  for (guint s = 0; s < 2; s++)
    {
      const char      *ref_args[] = { "train", path, "--quiet", "--out", s ? ref2 : ref1,
                                      "--set", s ? "seed=2" : "seed=1", "--set", "train.epochs=40",
                                      "--set", "train.checkpoint_every=10", NULL };
      g_autofree char *err = NULL;

      status = nnrun_with (NULL, ref_args, &err);
      NN_ASSERT_STATUS (status, EXIT_OK, err);
    }

  for (guint i = 0; i < N_PAIRS; i++)
    {
      g_autofree char *err1 = NULL;
      g_autofree char *err2 = NULL;
      g_autofree char *seed = NULL;
      g_autofree char *why = NULL;
      g_autofree char *holder = NULL;
      Child            a, b;
      int              s1, s2;
      gboolean         ok;

      nn_test_rm_rf (out);
      CU_ASSERT_TRUE_FATAL (start_nnrun (NULL, args1, &a));
      CU_ASSERT_TRUE_FATAL (start_nnrun (NULL, args2, &b));
      s1 = finish_nnrun (&a, &err1);
      s2 = finish_nnrun (&b, &err2);

      seed = seed_of (out);
      ok = holds_one_whole_run (out, TRUE, NULL, &why);
      if (ok && g_str_equal (seed, "1"))
        ok = same_run (out, ref1);
      else if (ok && g_str_equal (seed, "2"))
        ok = same_run (out, ref2);
      else if (ok)
        ok = FALSE;
      NN_CHECK (ok, "pair %u (exit %d and %d): %s holds a mix of runs (seed %s; %s)", i, s1,
                s2, out, seed, why ? why : "files of another run");

      if (s1 == EXIT_OK && s2 == EXIT_OK)
        sequential++;
      else if ((s1 == EXIT_OK && s2 == EXIT_BAD_INPUT) || (s1 == EXIT_BAD_INPUT && s2 == EXIT_OK))
        {
          const char *refusal = s1 == EXIT_OK ? err2 : err1;
          Child      *winner = s1 == EXIT_OK ? &a : &b;

          holder = g_strdup_printf ("%s is in use by another run (pid %d)", out,
                                    (int) winner->pid);
          NN_CHECK (strstr (refusal, holder) != NULL, "pair %u: the refusal says: %s", i,
                    refusal);
          /* The run that had the directory is the one whose files are there. */
          NN_CHECK (g_str_equal (seed, s1 == EXIT_OK ? "1" : "2"),
                    "pair %u: the refused run's seed %s is in %s", i, seed, out);
          refused++;
        }
      else
        NN_CHECK (FALSE, "pair %u: exit statuses %d and %d; stderr: %s / %s", i, s1, s2, err1,
                  err2);
      clean += ok;
    }
  g_printerr ("\n    %u/%u pairs clean, %u refused, %u sequential\n", clean, N_PAIRS,
              refused, sequential);
  CU_ASSERT_EQUAL (clean, N_PAIRS);
}

/* A run that holds the directory is named by its pid; a run or a resume
 * that finds it held changes nothing and exits 2 before training. */
static void
test_held_directory_names_its_holder (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "small.yaml", small);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *staging = g_strconcat (run, ".partial", NULL);
  g_autofree char *holder = NULL;
  g_autoptr(NnExperiment) e = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) staged = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GHashTable) staged_after = NULL;
  g_autofree char    *why = NULL;
  const char         *train[] = { "train", path, "--out", run, NULL };
  const char         *resume[] = { "train", path, "--resume", run, NULL };
  const char * const *commands[] = { train, resume };
  int                 status;

  run_until (path, run, "train.epochs=2", 0, TRUE);
  before = nn_test_snapshot_dir (run);

  /* A finished run not committed yet holds the directory. */
  e = load (path, run, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (e);
  nn_experiment_set_auto_commit (e, FALSE);
  CU_ASSERT_TRUE_FATAL (nn_experiment_run (e, NULL, &error));
  staged = nn_test_snapshot_dir (staging);
  holder = g_strdup_printf ("%s is in use by another run (pid %d)", run, (int) getpid ());

  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    {
      g_autofree char    *err = NULL;
      g_autofree char    *out = NULL;
      const char * const *args = commands[c];
      g_autoptr(GPtrArray) argv = g_ptr_array_new ();

      g_ptr_array_add (argv, (gpointer) g_getenv ("NNRUN"));
      for (guint i = 0; args[i] != NULL; i++)
        g_ptr_array_add (argv, (gpointer) args[i]);
      g_ptr_array_add (argv, NULL);
      status = nn_test_spawn_argv (NULL, &out, &err, (const char * const *) argv->pdata);
      NN_ASSERT_STATUS (status, EXIT_BAD_INPUT, err);
      NN_ASSERT_CONTAINS (err, holder);
      NN_CHECK (out != NULL && strstr (out, "epoch") == NULL, "it trained: %s", out);
      after = nn_test_snapshot_dir (run);
      NN_ASSERT_SAME_FILES (before, after);
      g_clear_pointer (&after, g_hash_table_unref);
      staged_after = nn_test_snapshot_dir (staging);
      NN_ASSERT_SAME_FILES (staged, staged_after);
      g_clear_pointer (&staged_after, g_hash_table_unref);
    }

  /* Committed, the directory is free again, and the lock gone. */
  CU_ASSERT_TRUE (nn_experiment_commit (e, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_FALSE (sibling_exists (run, ".lock"));
  {
    g_autofree char *err = NULL;
    const char      *args[] = { "train", path, "--quiet", "--out", run, NULL };

    status = nnrun_with (NULL, args, &err);
    NN_ASSERT_STATUS (status, EXIT_OK, err);
    gboolean whole = holds_one_whole_run (run, TRUE, NULL, &why);

    NN_CHECK (whole, "%s", why);
  }
}

/* The lock of a run that is gone (killed: its lock file stays) stops no
 * one; a file in the lock's place that nn did not make is left alone. */
static void
test_stale_lock_stops_no_one (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "small.yaml", small);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *lock = g_strconcat (run, ".lock", NULL);
  g_autofree char *other = g_build_filename (dir, "other", NULL);
  g_autofree char *other_lock = g_strconcat (other, ".lock", NULL);
  g_autofree char *err = NULL;
  g_autofree char *why = NULL;
  g_autofree char *kept = NULL;
  const char      *args[] = { "train", path, "--quiet", "--out", run, NULL };
  const char      *other_args[] = { "train", path, "--quiet", "--out", other, NULL };
  gboolean         ok;
  int              status;

  CU_ASSERT_TRUE (g_file_set_contents (lock, "2147483646\n", -1, NULL));
  status = nnrun_with (NULL, args, &err);
  NN_ASSERT_STATUS (status, EXIT_OK, err);
  ok = holds_one_whole_run (run, TRUE, NULL, &why);
  NN_CHECK (ok, "%s", why);

  CU_ASSERT_TRUE (g_file_set_contents (other_lock, "my notes\n", -1, NULL));
  g_clear_pointer (&err, g_free);
  status = nnrun_with (NULL, other_args, &err);
  NN_ASSERT_STATUS (status, EXIT_RUN_FAILED, err);
  NN_ASSERT_CONTAINS (err, other_lock);
  CU_ASSERT_TRUE (g_file_get_contents (other_lock, &kept, NULL, NULL));
  CU_ASSERT_STRING_EQUAL (kept ? kept : "", "my notes\n");
  CU_ASSERT_FALSE (g_file_test (other, G_FILE_TEST_EXISTS));
}

/* ---- the newest checkpoint survives --------------------------------------- */

/* How a run directory looks before the resume that fails. */
typedef enum {
  /* A completed run of 2 epochs, and a run killed at epoch 3 left staged. */
  STATE_KILLED_RUN_STAGED,
  /* A run interrupted at epoch 3 and committed, and a file of the user's. */
  STATE_INTERRUPTED_WITH_USER_FILE,
} State;

static int
prepare (State       state,
         const char *path,
         const char *run)
{
  nn_test_rm_rf (run);
  if (state == STATE_KILLED_RUN_STAGED)
    {
      g_autofree char *staging = g_strconcat (run, ".partial", NULL);

      nn_test_rm_rf (staging);
      run_until (path, run, "train.epochs=2", 0, TRUE);
      run_until (path, run, NULL, 3, FALSE);
    }
  else
    {
      g_autofree char *notes = NULL;

      run_until (path, run, NULL, 3, TRUE);
      notes = nn_test_write_file (run, "notes.txt", "mine\n");
    }
  return 3;
}

static char **
fault_environ (const char *dir,
               const char *how,
               guint       at,
               const char *count_file)
{
  char           **env = g_get_environ ();
  g_autofree char *n = g_strdup_printf ("%u", at);
  const char      *asan = g_environ_getenv (env, "ASAN_OPTIONS");
  /* The preloaded library comes before the sanitizer's. */
  g_autofree char *asan_options = g_strconcat (asan ? asan : "", asan ? ":" : "",
                                               "verify_asan_link_order=0", NULL);

  env = g_environ_setenv (env, "LD_PRELOAD", g_getenv ("NN_FAULT_PRELOAD"), TRUE);
  env = g_environ_setenv (env, "ASAN_OPTIONS", asan_options, TRUE);
  env = g_environ_setenv (env, "NN_FAULT_DIR", dir, TRUE);
  env = g_environ_setenv (env, "NN_FAULT", how, TRUE);
  env = g_environ_setenv (env, "NN_FAULT_AT", n, TRUE);
  env = g_environ_setenv (env, "NN_FAULT_COUNT", count_file, TRUE);
  return env;
}

/* `nnrun train --resume RUN` killed (@how "kill") or failing with a full
 * disk (@how "enospc") at each change it makes to the file system in turn:
 * after each, the checkpoint a resume starts from is no older than the one
 * before, and the resumed run ends exactly as the run left alone. */
static void
fault_at_every_step (State       state,
                     const char *how)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "small.yaml", small);
  g_autofree char *whole = g_build_filename (dir, "whole", NULL);
  g_autofree char *work = g_build_filename (dir, "work", NULL);
  g_autofree char *run = g_build_filename (work, "run", NULL);
  g_autofree char *count_file = g_build_filename (dir, "count", NULL);
  const char      *args[] = { "train", path, "--quiet", "--resume", run, NULL };
  const char      *extra = state == STATE_INTERRUPTED_WITH_USER_FILE ? "notes.txt" : NULL;
  guint            steps = 0, faults = 0;

  run_until (path, whole, NULL, 0, TRUE);
  g_mkdir (work, 0700);
  for (guint k = 1; k < 1000; k++)
    {
      g_auto(GStrv) env = fault_environ (work, how, k, count_file);
      g_autofree char *err = NULL;
      g_autofree char *count = NULL;
      g_autofree char *why = NULL;
      g_autofree char *notes = NULL;
      int              before = prepare (state, path, run);
      int              status, epochs;
      gboolean         fired, ok;

      g_unlink (count_file);
      status = nnrun_with (env, args, &err);
      g_file_get_contents (count_file, &count, NULL, NULL);
      fired = status == EXIT_KILLED || (count != NULL && g_ascii_strtoull (count, NULL, 10) >= k);
      if (!fired)
        {
          /* Past the last step: the run went through untouched. */
          NN_ASSERT_STATUS (status, EXIT_OK, err);
          steps = k - 1;
          break;
        }
      faults++;
      NN_CHECK (status == EXIT_KILLED || status == EXIT_OK || status == EXIT_RUN_FAILED,
                "%s at step %u: exit status %d: %s", how, k, status, err);

      epochs = resumable_epochs (path, run, &why);
      NN_CHECK (epochs >= before, "%s at step %u: the checkpoint to resume from is at "
                                  "epoch %d, it was at %d: %s",
                how, k, epochs, before, why ? why : "");
      g_clear_pointer (&why, g_free);
      ok = resume_to_end (path, run, &why);
      NN_CHECK (ok, "%s at step %u: resuming failed: %s", how, k, why);
      g_clear_pointer (&why, g_free);
      NN_CHECK (same_run (run, whole), "%s at step %u: the resumed run differs from the run "
                                       "left alone",
                how, k);
      ok = holds_one_whole_run (run, FALSE, extra, &why);
      NN_CHECK (ok, "%s at step %u: %s", how, k, why);
      if (extra != NULL)
        {
          notes = read_text (run, extra);
          NN_CHECK (notes != NULL && g_str_equal (notes, "mine\n"),
                    "%s at step %u: the user's file was lost", how, k);
        }
    }
  g_printerr ("\n    %s at each of %u steps: resumable %u/%u\n", how, steps, faults, steps);
  CU_ASSERT (steps > 20);
  CU_ASSERT_EQUAL (faults, steps);
}

static void
test_kill_at_every_step_with_a_killed_run_staged (void)
{
  fault_at_every_step (STATE_KILLED_RUN_STAGED, "kill");
}

static void
test_kill_at_every_step_beside_user_files (void)
{
  fault_at_every_step (STATE_INTERRUPTED_WITH_USER_FILE, "kill");
}

static void
test_full_disk_at_every_step (void)
{
  fault_at_every_step (STATE_KILLED_RUN_STAGED, "enospc");
}

/* The newest checkpoint @run can resume from, at least @newest (-1:
 * none yet, and there may be none). */
static int
check_resumable (const char *path,
                 const char *run,
                 int         newest,
                 const char *what)
{
  g_autofree char *staged = g_strconcat (run, ".partial/checkpoint.nnckpt", NULL);
  g_autofree char *committed = g_build_filename (run, "checkpoint.nnckpt", NULL);
  g_autoptr(NnExperiment) e = NULL;
  g_autoptr(GError) error = NULL;
  int epochs = -1;

  if (!g_file_test (staged, G_FILE_TEST_EXISTS) && !g_file_test (committed, G_FILE_TEST_EXISTS))
    {
      NN_CHECK (newest < 0, "%s: the checkpoint of epoch %d is gone", what, newest);
      return newest;
    }
  e = load (path, run, NULL);
  if (e != NULL && nn_experiment_resume (e, run, &error))
    epochs = (int) nn_experiment_get_epochs_run (e);
  NN_CHECK (epochs >= newest, "%s: resumable from epoch %d after %d: %s", what, epochs, newest,
            error ? error->message : "");
  return MAX (newest, epochs);
}

/* kill -9 at random times during a run and the resumes of it, then one
 * resume left alone: the checkpoint never goes back, and the end is the
 * run left alone. The times are drawn over how long a run takes here. */
static void
test_random_kills_stay_resumable (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "small.yaml", small);
  g_autofree char *whole = g_build_filename (dir, "whole", NULL);
  g_autofree char *timed = g_build_filename (dir, "timed", NULL);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  const char      *timed_args[] = { "train", path, "--quiet", "--out", timed, NULL };
  const char      *fresh[] = { "train", path, "--quiet", "--out", run, NULL };
  const char      *resumed[] = { "train", path, "--quiet", "--resume", run, NULL };
  g_autoptr(GRand) rand = g_rand_new_with_seed (12);
  g_autofree char *err = NULL;
  guint            kills = 0, rounds = 5, kills_per_round = 4;
  gint64           start, duration;
  int              status;

  run_until (path, whole, NULL, 0, TRUE);
  start = g_get_monotonic_time ();
  status = nnrun_with (NULL, timed_args, &err);
  duration = g_get_monotonic_time () - start;
  NN_ASSERT_STATUS (status, EXIT_OK, err);

  for (guint r = 0; r < rounds; r++)
    {
      g_autofree char *what = g_strdup_printf ("round %u", r);
      g_autofree char *why = NULL;
      int              newest = -1;
      gboolean         ok;

      nn_test_rm_rf (run);
      for (guint i = 0; i <= kills_per_round; i++)
        {
          gboolean         resume = newest >= 0;
          g_autofree char *kill_err = NULL;
          Child            child;

          CU_ASSERT_TRUE_FATAL (start_nnrun (NULL, resume ? resumed : fresh, &child));
          if (i < kills_per_round)
            {
              g_usleep (g_rand_int_range (rand, 0, (gint32) MIN (duration, G_MAXINT32)));
              kill (child.pid, SIGKILL);
            }
          status = finish_nnrun (&child, &kill_err);
          NN_CHECK (status == EXIT_OK || (status == EXIT_KILLED && i < kills_per_round),
                    "%s: exit status %d: %s", what, status, kill_err);
          kills += status == EXIT_KILLED;
          newest = check_resumable (path, run, newest, what);
        }
      NN_CHECK (same_run (run, whole), "%s: the run differs from the run left alone", what);
      ok = holds_one_whole_run (run, TRUE, NULL, &why);
      NN_CHECK (ok, "%s: %s", what, why);
    }
  g_printerr ("\n    %u rounds, %u kills, every one resumable\n", rounds, kills);
  CU_ASSERT (kills >= rounds);
}

/* ---- only nn's files are removed ------------------------------------------ */

static char *
manifest_of (const char *run)
{
  char       *text = read_text (run, ".nn-run");
  const char *nl = text ? strchr (text, '\n') : NULL;
  char       *names = nl ? g_strdup (nl + 1) : g_strdup ("(none)");

  g_free (text);
  return names;
}

/* Files named as a run's that the user put there, or that a run from
 * before the manifest wrote, stay when a new run does not write them; the
 * files a run writes replace theirs, and from then on the manifest says
 * which are nn's. */
static void
test_files_not_in_the_manifest_stay (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "small.yaml", small);
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *model = NULL;
  g_autofree char *weights = NULL;
  g_autofree char *config = NULL;
  g_autofree char *listed = NULL;
  g_autofree char *text = NULL;

  g_mkdir (run, 0700);
  g_free (nn_test_write_file (run, "model.yaml", "my model\n"));
  g_free (nn_test_write_file (run, "model.safetensors", "my weights\n"));
  g_free (nn_test_write_file (run, "config.yaml", "an old config\n"));

  /* Interrupted: it writes no model. */
  run_until (path, run, NULL, 2, TRUE);
  model = read_text (run, "model.yaml");
  weights = read_text (run, "model.safetensors");
  config = read_text (run, "config.yaml");
  CU_ASSERT_STRING_EQUAL (model ? model : "(gone)", "my model\n");
  CU_ASSERT_STRING_EQUAL (weights ? weights : "(gone)", "my weights\n");
  CU_ASSERT_TRUE (config != NULL && strstr (config, "seed: 7") != NULL);
  listed = manifest_of (run);
  CU_ASSERT_STRING_EQUAL (listed, "checkpoint.nnckpt\nconfig.yaml\nhistory.csv\nsummary.json\n");

  /* Again, into a directory with a manifest that does not list them. */
  run_until (path, run, NULL, 3, TRUE);
  g_clear_pointer (&model, g_free);
  model = read_text (run, "model.yaml");
  CU_ASSERT_STRING_EQUAL (model ? model : "(gone)", "my model\n");
  CU_ASSERT_FALSE (sibling_exists (run, ".partial"));

  /* A completed run writes its model over theirs; an interrupted one then
   * removes it, as the manifest lists it. */
  run_until (path, run, NULL, 0, TRUE);
  g_clear_pointer (&model, g_free);
  model = read_text (run, "model.yaml");
  CU_ASSERT_TRUE (model != NULL && !g_str_equal (model, "my model\n"));
  g_clear_pointer (&listed, g_free);
  listed = manifest_of (run);
  NN_ASSERT_CONTAINS (listed, "model.yaml\n");
  run_until (path, run, NULL, 2, TRUE);
  CU_ASSERT_FALSE (exists_in (run, "model.yaml"));
  CU_ASSERT_FALSE (exists_in (run, "model.safetensors"));
  text = read_text (run, "summary.json");
  CU_ASSERT_TRUE (text != NULL && strstr (text, "interrupted") != NULL);
}

/* `--out .` in a folder of the user's, interrupted: the folder stays the
 * same folder, and the files the run did not write are all still there. */
static void
test_run_into_working_directory_keeps_user_files (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "small.yaml", small);
  g_autofree char *work = g_build_filename (dir, "work", NULL);
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *model = NULL;
  g_autofree char *weights = NULL;
  g_autofree char *notes = NULL;
  GStatBuf         st_before, st_after;

  g_mkdir (work, 0700);
  g_free (nn_test_write_file (work, "model.yaml", "my model\n"));
  g_free (nn_test_write_file (work, "model.safetensors", "my weights\n"));
  g_free (nn_test_write_file (work, "notes.txt", "mine\n"));
  CU_ASSERT_EQUAL_FATAL (g_chdir (work), 0);
  g_stat (".", &st_before);
  run_until (path, ".", NULL, 2, TRUE);
  g_stat (".", &st_after);
  CU_ASSERT_EQUAL (g_chdir (cwd), 0);

  CU_ASSERT_EQUAL (st_before.st_ino, st_after.st_ino);
  model = read_text (work, "model.yaml");
  weights = read_text (work, "model.safetensors");
  notes = read_text (work, "notes.txt");
  CU_ASSERT_STRING_EQUAL (model ? model : "(gone)", "my model\n");
  CU_ASSERT_STRING_EQUAL (weights ? weights : "(gone)", "my weights\n");
  CU_ASSERT_STRING_EQUAL (notes ? notes : "(gone)", "mine\n");
  CU_ASSERT_TRUE (exists_in (work, "checkpoint.nnckpt"));
  CU_ASSERT_TRUE (exists_in (work, "history.csv"));
}

/* ---- what cannot be a run directory --------------------------------------- */

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* The names in @dir, sorted, one a line (a FIFO is not to be read). */
static char *
names_in (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) text = g_string_new (NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (text, "%s\n", (const char *) names->pdata[i]);
  return g_strdup (text->str);
}

/* nnrun --out @out: exit status 2 before training, naming @named, and
 * nothing made in @dir, in the working directory or beside @out. */
static void
check_refused (const char *dir,
               const char *path,
               const char *out,
               const char *named)
{
  g_autofree char *work = g_build_filename (dir, "cwd", NULL);
  g_autofree char *out_text = NULL;
  g_autofree char *err = NULL;
  g_autofree char *before = names_in (dir);
  g_autofree char *after = NULL;
  g_autofree char *in_cwd = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { g_getenv ("NNRUN"), "train", path, "--out", out, NULL };
  int         wait_status = 0;

  if (!g_spawn_sync (work, (char **) argv, NULL, 0, NULL, NULL, &out_text, &err, &wait_status,
                     &error))
    {
      NN_ASSERT_NO_ERROR (error);
      return;
    }
  NN_CHECK (WIFEXITED (wait_status) && WEXITSTATUS (wait_status) == EXIT_BAD_INPUT,
            "--out '%s': exit status %d, not 2; stderr: %s", out,
            WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1, err);
  NN_CHECK (err != NULL && strstr (err, named) != NULL && strstr (err, "error:") != NULL,
            "--out '%s': the message does not name %s: %s", out, named, err);
  NN_CHECK (out_text != NULL && strstr (out_text, "epoch") == NULL, "--out '%s': it trained",
            out);
  after = names_in (dir);
  NN_CHECK (g_str_equal (before, after), "--out '%s': %s now holds\n%s", out, dir, after);
  in_cwd = names_in (work);
  NN_CHECK (*in_cwd == '\0', "--out '%s': it wrote in the working directory: %s", out, in_cwd);
  NN_CHECK (!sibling_exists (out, ".partial") && !sibling_exists (out, ".lock"),
            "--out '%s': it wrote beside it", out);
}

static void
test_what_cannot_be_a_run_directory_is_refused (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_file (dir, "small.yaml", small);
  g_autofree char *work = g_build_filename (dir, "cwd", NULL);
  g_autofree char *file = nn_test_write_file (dir, "a-file", "not a folder\n");
  g_autofree char *fifo = g_build_filename (dir, "a-fifo", NULL);
  g_autofree char *to_file = g_build_filename (dir, "link-to-file", NULL);
  g_autofree char *to_nothing = g_build_filename (dir, "link-to-nothing", NULL);
  g_autofree char *to_proc = g_build_filename (dir, "link-to-proc", NULL);
  g_autofree char *under_proc = g_build_filename (to_proc, "run", NULL);
  g_autofree char *kept = NULL;

  g_mkdir (work, 0700);
  CU_ASSERT_EQUAL (mkfifo (fifo, 0600), 0);
  CU_ASSERT_EQUAL (symlink (file, to_file), 0);
  CU_ASSERT_EQUAL (symlink ("nothing-here", to_nothing), 0);
  CU_ASSERT_EQUAL (symlink ("/proc/self", to_proc), 0);

  check_refused (dir, path, "", "''");
  check_refused (dir, path, "/", "/");
  check_refused (dir, path, "/proc/nn-run", "/proc/nn-run");
  check_refused (dir, path, "/sys/nn-run", "/sys/nn-run");
  check_refused (dir, path, "/dev/nn-run", "/dev/nn-run");
  check_refused (dir, path, "/dev/null", "/dev/null: error: cannot be a run directory: it is a device");
  check_refused (dir, path, fifo, "it is a FIFO");
  check_refused (dir, path, file, "it is a file");
  check_refused (dir, path, to_file, "it links to a file");
  check_refused (dir, path, to_nothing, "it is a symbolic link to nothing");
  check_refused (dir, path, under_proc, under_proc);

  CU_ASSERT_TRUE (g_file_get_contents (file, &kept, NULL, NULL));
  CU_ASSERT_STRING_EQUAL (kept ? kept : "", "not a folder\n");
  CU_ASSERT_FALSE (g_file_test ("/.partial", G_FILE_TEST_EXISTS));
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("One run at a time holds a run directory", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "50 pairs of runs into one directory: one run's files, one refusal",
               test_concurrent_runs_are_exclusive);
  CU_add_test (suite, "a held directory names its holder and refuses before training",
               test_held_directory_names_its_holder);
  CU_add_test (suite, "the lock of a run that is gone stops no one",
               test_stale_lock_stops_no_one);

  suite = CU_add_suite ("The newest checkpoint survives every failure", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "a kill at every step of a resume, with a killed run staged",
               test_kill_at_every_step_with_a_killed_run_staged);
  CU_add_test (suite, "a kill at every step of a resume, beside files of the user's",
               test_kill_at_every_step_beside_user_files);
  CU_add_test (suite, "a full disk at every step of a resume",
               test_full_disk_at_every_step);
  CU_add_test (suite, "kill -9 at random times, then --resume", test_random_kills_stay_resumable);

  suite = CU_add_suite ("Only the files a run wrote are removed", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "files a run did not write stay, whatever their names",
               test_files_not_in_the_manifest_stay);
  CU_add_test (suite, "--out . keeps the user's files", test_run_into_working_directory_keeps_user_files);

  suite = CU_add_suite ("What cannot be a run directory is refused", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "'', /, /proc, /sys, /dev, devices, FIFOs, files and links to them",
               test_what_cannot_be_a_run_directory_is_refused);

  return nn_test_run ();
}
