/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-errors.h"
#include "nn-experiment-callbacks-private.h"
#include "nn-metrics.h"

/* ---- metrics ------------------------------------------------------------- */

/* Loss and every metric of @data under the current weights, in the order of
 * the history columns: loss first, then the metrics. With @target_scaler,
 * the loss is on the scaled targets the model learns, the metrics on the
 * targets and predictions in the data's own units. */
gboolean
nn_experiment_measure (NnModel            *model,
                       NnTask              task,
                       const char * const *metrics,
                       NnScaler           *target_scaler,
                       NnDataset          *data,
                       double             *out,
                       GError            **error)
{
  const NnMatrix *x = nn_dataset_get_features (data);
  const NnMatrix *y = nn_dataset_get_targets (data);
  g_autoptr(NnMatrix) pred = nn_model_predict (model, x);
  g_autoptr(NnMatrix) scaled_y = NULL;

  if (target_scaler != NULL)
    {
      scaled_y = nn_matrix_copy (y);
      nn_scaler_transform (target_scaler, scaled_y);
    }
  out[0] = nn_loss_compute (nn_model_get_loss (model), pred, scaled_y ? scaled_y : y);
  if (!isfinite (out[0]))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE,
                   "the loss is %g", out[0]);
      return FALSE;
    }
  if (target_scaler != NULL)
    nn_scaler_inverse_transform (target_scaler, pred);
  for (guint m = 0; metrics[m] != NULL; m++)
    out[1 + m] = nn_metric_compute (metrics[m], task, pred, y);
  return TRUE;
}

/* ---- the history --------------------------------------------------------- */

/* Appends each epoch's row of `history.csv` to the experiment's history:
 * the epoch, the trainer's losses, the metrics of the training and
 * validation data, the learning rate and the seconds since the run began
 * (plus those of the epochs before a resume). Every value of the row is
 * also an epoch value of the trainer, for early stopping to monitor. */
struct _NnHistoryCallback
{
  NnTrainerCallback parent_instance;

  GStrv      columns;
  GStrv      metrics;
  NnTask     task;
  NnDataset *train;
  NnDataset *val;
  NnScaler  *target_scaler; /* or NULL */
  GArray    *history;       /* the experiment's, shared */
  guint     *epochs_run;    /* the experiment's */
  gint64     start_time;
  double     seconds_before;
};

G_DEFINE_FINAL_TYPE (NnHistoryCallback, nn_history_callback, NN_TYPE_TRAINER_CALLBACK)

static void
nn_history_callback_finalize (GObject *object)
{
  NnHistoryCallback *self = NN_HISTORY_CALLBACK (object);

  g_strfreev (self->columns);
  g_strfreev (self->metrics);
  g_clear_object (&self->train);
  g_clear_object (&self->val);
  g_clear_object (&self->target_scaler);
  g_clear_pointer (&self->history, g_array_unref);

  G_OBJECT_CLASS (nn_history_callback_parent_class)->finalize (object);
}

static gboolean
nn_history_callback_epoch_end (NnTrainerCallback *callback,
                               NnTrainer         *trainer,
                               guint              epoch,
                               GError           **error)
{
  NnHistoryCallback *self = NN_HISTORY_CALLBACK (callback);
  NnModel           *model = nn_trainer_get_model (trainer);
  guint              n_metrics = g_strv_length (self->metrics);
  guint              n_cols = g_strv_length (self->columns);
  g_autofree double *row = g_new0 (double, n_cols);
  g_autofree double *train_m = g_new0 (double, n_metrics + 1);
  g_autofree double *val_m = g_new0 (double, n_metrics + 1);

  row[0] = epoch;
  nn_trainer_lookup_epoch_value (trainer, "loss", &row[1]);
  if (!nn_trainer_lookup_epoch_value (trainer, "val_loss", &row[2]))
    row[2] = NAN;
  if (n_metrics > 0)
    {
      /* Training metrics at the weights the epoch ended with, as for
       * validation; the loss column stays the mean of the batch losses. */
      nn_experiment_measure (model, self->task, (const char * const *) self->metrics,
                             self->target_scaler, self->train, train_m, NULL);
      if (self->val != NULL)
        nn_experiment_measure (model, self->task, (const char * const *) self->metrics,
                               self->target_scaler, self->val, val_m, NULL);
      for (guint m = 0; m < n_metrics; m++)
        {
          row[3 + 2 * m] = train_m[1 + m];
          row[4 + 2 * m] = self->val ? val_m[1 + m] : NAN;
        }
    }
  row[n_cols - 2] = nn_optimizer_get_learning_rate (nn_model_get_optimizer (model));
  row[n_cols - 1] = self->seconds_before + (g_get_monotonic_time () - self->start_time) / 1e6;
  g_array_append_vals (self->history, row, n_cols);
  *self->epochs_run = epoch;

  for (guint c = 0; c < n_cols; c++)
    nn_trainer_set_epoch_value (trainer, self->columns[c], row[c]);
  return TRUE;
}

static void
nn_history_callback_class_init (NnHistoryCallbackClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nn_history_callback_finalize;
  NN_TRAINER_CALLBACK_CLASS (klass)->epoch_end = nn_history_callback_epoch_end;
}

static void
nn_history_callback_init (NnHistoryCallback *self)
{
}

/* @columns: the history's, `epoch`, `loss`, `val_loss`, each metric and
 *   its `val_` form, `learning_rate`, `seconds`; @val, @target_scaler:
 *   nullable;
 * @history and @epochs_run: the experiment's, which outlives the run. */
NnTrainerCallback *
nn_history_callback_new (const char * const *columns,
                         const char * const *metrics,
                         NnTask              task,
                         NnDataset          *train,
                         NnDataset          *val,
                         NnScaler           *target_scaler,
                         GArray             *history,
                         guint              *epochs_run,
                         gint64              start_time,
                         double              seconds_before)
{
  NnHistoryCallback *self = g_object_new (NN_TYPE_HISTORY_CALLBACK, NULL);

  self->columns = g_strdupv ((char **) columns);
  self->metrics = g_strdupv ((char **) metrics);
  self->task = task;
  self->train = g_object_ref (train);
  self->val = val != NULL ? g_object_ref (val) : NULL;
  self->target_scaler = target_scaler != NULL ? g_object_ref (target_scaler) : NULL;
  self->history = g_array_ref (history);
  self->epochs_run = epochs_run;
  self->start_time = start_time;
  self->seconds_before = seconds_before;
  return NN_TRAINER_CALLBACK (self);
}

/* ---- the periodic checkpoint --------------------------------------------- */

/* Writes the checkpoint every few epochs, through the experiment, which
 * knows where and with what. One that cannot be written fails the run,
 * once the other callbacks have seen the epoch. */
struct _NnCheckpointCallback
{
  NnTrainerCallback parent_instance;

  guint                 every;
  NnCheckpointWriteFunc write;
  gpointer              data;
};

G_DEFINE_FINAL_TYPE (NnCheckpointCallback, nn_checkpoint_callback, NN_TYPE_TRAINER_CALLBACK)

static gboolean
nn_checkpoint_callback_epoch_end (NnTrainerCallback *callback,
                                  NnTrainer         *trainer,
                                  guint              epoch,
                                  GError           **error)
{
  NnCheckpointCallback *self = NN_CHECKPOINT_CALLBACK (callback);

  return epoch % self->every != 0 || self->write (self->data, error);
}

static void
nn_checkpoint_callback_class_init (NnCheckpointCallbackClass *klass)
{
  NN_TRAINER_CALLBACK_CLASS (klass)->epoch_end = nn_checkpoint_callback_epoch_end;
}

static void
nn_checkpoint_callback_init (NnCheckpointCallback *self)
{
}

/* @every: at least 1; @write is called with @data after every @every-th
 * epoch (counting from 1 over the whole run). */
NnTrainerCallback *
nn_checkpoint_callback_new (guint                 every,
                            NnCheckpointWriteFunc write,
                            gpointer              data)
{
  NnCheckpointCallback *self;

  g_return_val_if_fail (every > 0 && write != NULL, NULL);

  self = g_object_new (NN_TYPE_CHECKPOINT_CALLBACK, NULL);
  self->every = every;
  self->write = write;
  self->data = data;
  return NN_TRAINER_CALLBACK (self);
}

/* ---- the experiment's signal --------------------------------------------- */

/* Emits a signal with the epoch, for those who follow the run (nnrun's
 * progress lines): last, once the epoch is recorded and checkpointed. */
struct _NnSignalCallback
{
  NnTrainerCallback parent_instance;

  gpointer instance; /* unowned: it owns the trainer */
  guint    signal_id;
};

G_DEFINE_FINAL_TYPE (NnSignalCallback, nn_signal_callback, NN_TYPE_TRAINER_CALLBACK)

static gboolean
nn_signal_callback_epoch_end (NnTrainerCallback *callback,
                              NnTrainer         *trainer,
                              guint              epoch,
                              GError           **error)
{
  NnSignalCallback *self = NN_SIGNAL_CALLBACK (callback);

  g_signal_emit (self->instance, self->signal_id, 0, epoch);
  return TRUE;
}

static void
nn_signal_callback_class_init (NnSignalCallbackClass *klass)
{
  NN_TRAINER_CALLBACK_CLASS (klass)->epoch_end = nn_signal_callback_epoch_end;
}

static void
nn_signal_callback_init (NnSignalCallback *self)
{
}

/* @signal_id: a signal of @instance taking the epoch as a #guint. */
NnTrainerCallback *
nn_signal_callback_new (gpointer instance,
                        guint    signal_id)
{
  NnSignalCallback *self = g_object_new (NN_TYPE_SIGNAL_CALLBACK, NULL);

  self->instance = instance;
  self->signal_id = signal_id;
  return NN_TRAINER_CALLBACK (self);
}
