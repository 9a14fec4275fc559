/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-early-stopping.h"
#include "nn-errors.h"
#include "nn-metrics.h"
#include "nn-model-private.h"
#include "nn-trainer.h"

/**
 * NnEarlyStopping:
 *
 * Stops training when a monitored value has stopped improving, with the
 * semantics of Keras' `EarlyStopping` callback.
 *
 * As an [class@Nn.TrainerCallback], it reads the monitored value at the end of
 * each epoch from the trainer's values of the epoch
 * ([method@Nn.Trainer.lookup_epoch_value]: `loss`, `val_loss`, or a value a
 * callback added before it sets, such as `val_accuracy`), passes it to
 * [method@Nn.EarlyStopping.update], and calls [method@Nn.Trainer.stop] when
 * that says so; an epoch without the value fails the fit. Used on its own, the
 * caller computes the monitored value ([property@Nn.EarlyStopping:monitor]
 * names it) after each epoch and passes it to [method@Nn.EarlyStopping.update].
 * A value improves on the best so far when it is smaller by more than
 * [property@Nn.EarlyStopping:min-delta] (larger, when larger is better); NaN
 * never improves. Each epoch without improvement adds one to a wait count that
 * an improvement resets to 0, and training should stop when the count reaches
 * [property@Nn.EarlyStopping:patience], though never after the first epoch:
 * with a patience of 0 it stops at the first epoch that does not improve, with
 * a patience of 3 at the third in a row.
 *
 * With [property@Nn.EarlyStopping:restore-best] the parameters of the model are
 * copied at the first update and at every improvement (into matrices allocated
 * once), and [method@Nn.EarlyStopping.restore] puts the best ones back.
 */
struct _NnEarlyStopping
{
  NnTrainerCallback parent_instance;

  char               *monitor;
  guint               patience;
  double              min_delta;
  NnEarlyStoppingMode mode;
  gboolean            restore_best;
  gboolean            greater; /* the direction, resolved from mode */

  gboolean   have_best;
  double     best;
  guint      best_epoch;
  guint      wait;
  guint      n_updates;
  guint      stopped_epoch;
  GPtrArray *best_weights; /* NnMatrix, one per model parameter, then buffer */
  gboolean   have_weights; /* best_weights hold this run's copy */
};

G_DEFINE_FINAL_TYPE (NnEarlyStopping, nn_early_stopping, NN_TYPE_TRAINER_CALLBACK)

G_DEFINE_ENUM_TYPE (NnEarlyStoppingMode,
                    nn_early_stopping_mode,
                    G_DEFINE_ENUM_VALUE (NN_EARLY_STOPPING_MODE_AUTO, "auto"),
                    G_DEFINE_ENUM_VALUE (NN_EARLY_STOPPING_MODE_MIN, "min"),
                    G_DEFINE_ENUM_VALUE (NN_EARLY_STOPPING_MODE_MAX, "max"))

enum {
  PROP_0,
  PROP_MONITOR,
  PROP_PATIENCE,
  PROP_MIN_DELTA,
  PROP_MODE,
  PROP_RESTORE_BEST,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
metric_known (const char *name)
{
  const NnTask tasks[] = { NN_TASK_BINARY, NN_TASK_MULTICLASS, NN_TASK_REGRESSION };

  for (gsize t = 0; t < G_N_ELEMENTS (tasks); t++)
    {
      g_auto(GStrv) names = nn_metrics_list (tasks[t]);

      if (g_strv_contains ((const char * const *) names, name))
        return TRUE;
    }
  return FALSE;
}

static void
resolve_direction (NnEarlyStopping *self)
{
  const char *name = self->monitor != NULL ? self->monitor : "";

  switch (self->mode)
    {
    case NN_EARLY_STOPPING_MODE_MIN:
      self->greater = FALSE;
      break;
    case NN_EARLY_STOPPING_MODE_MAX:
      self->greater = TRUE;
      break;
    case NN_EARLY_STOPPING_MODE_AUTO:
    default:
      if (g_str_has_prefix (name, "val_"))
        name += strlen ("val_");
      self->greater = metric_known (name) && nn_metric_greater_is_better (name);
      break;
    }
}

static void
nn_early_stopping_finalize (GObject *object)
{
  NnEarlyStopping *self = NN_EARLY_STOPPING (object);

  g_clear_pointer (&self->monitor, g_free);
  g_clear_pointer (&self->best_weights, g_ptr_array_unref);

  G_OBJECT_CLASS (nn_early_stopping_parent_class)->finalize (object);
}

static void
nn_early_stopping_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  NnEarlyStopping *self = NN_EARLY_STOPPING (object);

  switch (prop_id)
    {
    case PROP_MONITOR:
      g_value_set_string (value, self->monitor);
      break;
    case PROP_PATIENCE:
      g_value_set_uint (value, self->patience);
      break;
    case PROP_MIN_DELTA:
      g_value_set_double (value, self->min_delta);
      break;
    case PROP_MODE:
      g_value_set_enum (value, self->mode);
      break;
    case PROP_RESTORE_BEST:
      g_value_set_boolean (value, self->restore_best);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_early_stopping_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  NnEarlyStopping *self = NN_EARLY_STOPPING (object);

  switch (prop_id)
    {
    case PROP_MONITOR:
      if (g_strcmp0 (self->monitor, g_value_get_string (value)) != 0)
        {
          g_free (self->monitor);
          self->monitor = g_value_dup_string (value);
          resolve_direction (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_PATIENCE:
      if (self->patience != g_value_get_uint (value))
        {
          self->patience = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_MIN_DELTA:
      if (self->min_delta != g_value_get_double (value))
        {
          self->min_delta = g_value_get_double (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_MODE:
      if (self->mode != (NnEarlyStoppingMode) g_value_get_enum (value))
        {
          self->mode = g_value_get_enum (value);
          resolve_direction (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_RESTORE_BEST:
      if (self->restore_best != g_value_get_boolean (value))
        {
          self->restore_best = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
nn_early_stopping_epoch_end (NnTrainerCallback *callback,
                             NnTrainer         *trainer,
                             guint              epoch,
                             GError           **error)
{
  NnEarlyStopping *self = NN_EARLY_STOPPING (callback);
  double           value;

  if (self->monitor == NULL || !nn_trainer_lookup_epoch_value (trainer, self->monitor, &value))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "early stopping monitors '%s', which epoch %u has no value of",
                   self->monitor != NULL ? self->monitor : "", epoch);
      return FALSE;
    }
  if (nn_early_stopping_update (self, epoch, value, nn_trainer_get_model (trainer)))
    nn_trainer_stop (trainer);
  return TRUE;
}

static void
nn_early_stopping_class_init (NnEarlyStoppingClass *klass)
{
  GObjectClass           *object_class = G_OBJECT_CLASS (klass);
  NnTrainerCallbackClass *callback_class = NN_TRAINER_CALLBACK_CLASS (klass);

  object_class->finalize = nn_early_stopping_finalize;
  object_class->get_property = nn_early_stopping_get_property;
  object_class->set_property = nn_early_stopping_set_property;
  callback_class->epoch_end = nn_early_stopping_epoch_end;

  /**
   * NnEarlyStopping:monitor:
   *
   * The name of the monitored value, e.g. `val_loss` or `val_accuracy`. The
   * caller supplies the values; the name chooses the direction in the
   * `auto` [property@Nn.EarlyStopping:mode].
   */
  properties[PROP_MONITOR] =
    g_param_spec_string ("monitor", NULL, "Name of the monitored value, e.g. val_loss",
                         "val_loss",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                           G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NnEarlyStopping:patience:
   *
   * The number of epochs in a row without improvement after which training
   * stops; Keras' default, 0, stops at the first.
   */
  properties[PROP_PATIENCE] =
    g_param_spec_uint ("patience", NULL,
                       "Epochs in a row without improvement before stopping",
                       0, 10000000, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NnEarlyStopping:min-delta:
   *
   * The smallest change of the monitored value that counts as an
   * improvement.
   */
  properties[PROP_MIN_DELTA] =
    g_param_spec_double ("min-delta", NULL,
                         "Smallest change of the monitored value that counts as an improvement",
                         0.0, G_MAXDOUBLE, 0.0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                           G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NnEarlyStopping:mode:
   *
   * Whether smaller or larger values are better; `auto` decides from the
   * name of [property@Nn.EarlyStopping:monitor].
   */
  properties[PROP_MODE] =
    g_param_spec_enum ("mode", NULL,
                       "Whether smaller (min) or larger (max) is better; auto from the name",
                       NN_TYPE_EARLY_STOPPING_MODE, NN_EARLY_STOPPING_MODE_AUTO,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NnEarlyStopping:restore-best:
   *
   * Whether to keep a copy of the parameters of the best epoch for
   * [method@Nn.EarlyStopping.restore].
   */
  properties[PROP_RESTORE_BEST] =
    g_param_spec_boolean ("restore-best", NULL,
                          "Keep the parameters of the best epoch to restore them",
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                            G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
nn_early_stopping_init (NnEarlyStopping *self)
{
  self->best = NAN;
}

/**
 * nn_early_stopping_new:
 * @monitor: the name of the monitored value, e.g. `"val_loss"`
 *
 * Makes a [class@Nn.EarlyStopping] with default settings.
 *
 * Returns: (transfer full): a new [class@Nn.EarlyStopping] with default
 *   settings
 */
NnEarlyStopping *
nn_early_stopping_new (const char *monitor)
{
  g_return_val_if_fail (monitor != NULL, NULL);

  return g_object_new (NN_TYPE_EARLY_STOPPING, "monitor", monitor, NULL);
}

/**
 * nn_early_stopping_get_monitor:
 * @self: a #NnEarlyStopping
 *
 * Gets the name of the monitored value.
 *
 * Returns: (transfer none): the name of the monitored value
 */
const char *
nn_early_stopping_get_monitor (NnEarlyStopping *self)
{
  g_return_val_if_fail (NN_IS_EARLY_STOPPING (self), NULL);

  return self->monitor;
}

/**
 * nn_early_stopping_get_greater_is_better:
 * @self: a #NnEarlyStopping
 *
 * Whether larger values of the monitored value are improvements.
 *
 * Returns: %TRUE if larger values are improvements, with the `auto`
 *   [property@Nn.EarlyStopping:mode] resolved
 */
gboolean
nn_early_stopping_get_greater_is_better (NnEarlyStopping *self)
{
  g_return_val_if_fail (NN_IS_EARLY_STOPPING (self), FALSE);

  return self->greater;
}

/* What the best weights keep: the parameters, then the buffers (running
 * statistics), which belong to the same epoch. */
static guint
n_kept (NnModel *model)
{
  return nn_model_get_n_parameters (model) + nn_model_peek_buffer_array (model)->len;
}

static NnMatrix *
kept (NnModel *model,
      guint    i)
{
  guint n_params = nn_model_get_n_parameters (model);

  return i < n_params ? nn_model_get_parameter (model, i)
                      : nn_model_peek_buffer_array (model)->pdata[i - n_params];
}

/* Copies the model's parameters and buffers into the best weights,
 * allocated the first time. */
static void
snapshot (NnEarlyStopping *self,
          NnModel         *model)
{
  guint n = n_kept (model);

  self->have_weights = TRUE;
  if (self->best_weights == NULL)
    {
      self->best_weights = g_ptr_array_new_full (n, (GDestroyNotify) nn_matrix_free);
      for (guint i = 0; i < n; i++)
        g_ptr_array_add (self->best_weights, nn_matrix_copy (kept (model, i)));
      return;
    }
  g_return_if_fail (self->best_weights->len == n);
  for (guint i = 0; i < n; i++)
    nn_matrix_copy_into (kept (model, i), self->best_weights->pdata[i]);
}

/* Keras' _is_improvement: min_delta is subtracted in the better direction. */
static gboolean
is_improvement (NnEarlyStopping *self,
                double           value)
{
  double reference = self->have_best ? self->best : (self->greater ? -INFINITY : INFINITY);

  if (self->greater)
    return value - self->min_delta > reference;
  return value + self->min_delta < reference;
}

/**
 * nn_early_stopping_update:
 * @self: a #NnEarlyStopping
 * @epoch: the epoch just finished, counting from 1
 * @value: the monitored value at its end
 * @model: (nullable): the model, needed with
 *   [property@Nn.EarlyStopping:restore-best] to copy its parameters
 *
 * Takes the value of one more epoch. With
 * [property@Nn.EarlyStopping:restore-best] the parameters are copied at the
 * first call and whenever @value improves; only the first copy allocates.
 *
 * Returns: %TRUE if training should stop now
 */
gboolean
nn_early_stopping_update (NnEarlyStopping *self,
                          guint            epoch,
                          double           value,
                          NnModel         *model)
{
  g_return_val_if_fail (NN_IS_EARLY_STOPPING (self), FALSE);
  g_return_val_if_fail (!self->restore_best || NN_IS_MODEL (model), FALSE);

  if (self->restore_best && !self->have_weights)
    snapshot (self, model);

  self->n_updates++;
  self->wait++;
  if (is_improvement (self, value))
    {
      self->have_best = TRUE;
      self->best = value;
      self->best_epoch = epoch;
      self->wait = 0;
      if (self->restore_best)
        snapshot (self, model);
      return FALSE;
    }
  if (self->wait >= self->patience && self->n_updates > 1)
    {
      self->stopped_epoch = epoch;
      return TRUE;
    }
  return FALSE;
}

/**
 * nn_early_stopping_restore:
 * @self: a #NnEarlyStopping
 * @model: the model given to [method@Nn.EarlyStopping.update]
 *
 * Copies the parameters of the best epoch (or of the first, if none improved)
 * back into @model, if [property@Nn.EarlyStopping:restore-best] is set and
 * there was an update.
 *
 * Returns: %TRUE if the parameters were restored
 */
gboolean
nn_early_stopping_restore (NnEarlyStopping *self,
                           NnModel         *model)
{
  g_return_val_if_fail (NN_IS_EARLY_STOPPING (self), FALSE);
  g_return_val_if_fail (NN_IS_MODEL (model), FALSE);

  if (!self->restore_best || !self->have_weights)
    return FALSE;
  g_return_val_if_fail (self->best_weights->len == n_kept (model), FALSE);
  for (guint i = 0; i < self->best_weights->len; i++)
    nn_matrix_copy_into (self->best_weights->pdata[i], kept (model, i));
  return TRUE;
}

/**
 * nn_early_stopping_get_best_epoch:
 * @self: a #NnEarlyStopping
 *
 * Gets the epoch of the best value so far, or 0 if none improved.
 *
 * Returns: the epoch of the best value so far, or 0 if none improved
 */
guint
nn_early_stopping_get_best_epoch (NnEarlyStopping *self)
{
  g_return_val_if_fail (NN_IS_EARLY_STOPPING (self), 0);

  return self->best_epoch;
}

/**
 * nn_early_stopping_get_best_value:
 * @self: a #NnEarlyStopping
 *
 * Gets the best value so far.
 *
 * Returns: the best value so far, or NaN if none improved
 */
double
nn_early_stopping_get_best_value (NnEarlyStopping *self)
{
  g_return_val_if_fail (NN_IS_EARLY_STOPPING (self), NAN);

  return self->have_best ? self->best : NAN;
}

/**
 * nn_early_stopping_get_stopped_epoch:
 * @self: a #NnEarlyStopping
 *
 * Gets the epoch at which [method@Nn.EarlyStopping.update] returned %TRUE, or
 * 0.
 *
 * Returns: the epoch at which [method@Nn.EarlyStopping.update] returned %TRUE,
 *   or 0
 */
guint
nn_early_stopping_get_stopped_epoch (NnEarlyStopping *self)
{
  g_return_val_if_fail (NN_IS_EARLY_STOPPING (self), 0);

  return self->stopped_epoch;
}

/**
 * nn_early_stopping_get_wait:
 * @self: a #NnEarlyStopping
 *
 * Gets the number of epochs since the last improvement.
 *
 * Returns: the number of epochs since the last improvement
 */
guint
nn_early_stopping_get_wait (NnEarlyStopping *self)
{
  g_return_val_if_fail (NN_IS_EARLY_STOPPING (self), 0);

  return self->wait;
}

/**
 * nn_early_stopping_reset:
 * @self: a #NnEarlyStopping
 *
 * Forgets every update, for a new training run. The best-weight matrices
 * are kept for reuse.
 */
void
nn_early_stopping_reset (NnEarlyStopping *self)
{
  g_return_if_fail (NN_IS_EARLY_STOPPING (self));

  self->have_best = FALSE;
  self->best = NAN;
  self->best_epoch = 0;
  self->wait = 0;
  self->n_updates = 0;
  self->stopped_epoch = 0;
  self->have_weights = FALSE;
}

/**
 * nn_early_stopping_save_state:
 * @self: a #NnEarlyStopping
 *
 * Captures the progress of @self, for a checkpoint: an `a{sv}` dictionary
 * with `monitor` (`s`), `best` (`d`, NaN if none), `best-epoch`, `wait`,
 * `updates`, `stopped-epoch` (`u`) and, once copied, `best-weights`
 * (`a(uuad)`, as [func@Nn.Optimizer.state_add_buffers] stores them).
 *
 * Returns: (transfer full): the state
 */
GVariant *
nn_early_stopping_save_state (NnEarlyStopping *self)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);

  g_return_val_if_fail (NN_IS_EARLY_STOPPING (self), NULL);

  g_variant_dict_insert (&dict, "monitor", "s", self->monitor);
  g_variant_dict_insert (&dict, "best", "d", self->have_best ? self->best : NAN);
  g_variant_dict_insert (&dict, "best-epoch", "u", self->best_epoch);
  g_variant_dict_insert (&dict, "wait", "u", self->wait);
  g_variant_dict_insert (&dict, "updates", "u", self->n_updates);
  g_variant_dict_insert (&dict, "stopped-epoch", "u", self->stopped_epoch);
  if (self->have_weights)
    nn_optimizer_state_add_buffers (&dict, "best-weights", self->best_weights);
  return g_variant_ref_sink (g_variant_dict_end (&dict));
}

static gboolean
lookup_uint (GVariant   *state,
             const char *key,
             guint      *out,
             GError    **error)
{
  g_autoptr(GVariant) v = g_variant_lookup_value (state, key, NULL);

  if (v == NULL || !g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the early-stopping state has no '%s' of type u", key);
      return FALSE;
    }
  *out = g_variant_get_uint32 (v);
  return TRUE;
}

/**
 * nn_early_stopping_load_state:
 * @self: a [class@Nn.EarlyStopping] configured as the one that saved @state
 * @state: a state from [method@Nn.EarlyStopping.save_state]
 * @model: (nullable): the model being trained, needed to check the best
 *   weights with [property@Nn.EarlyStopping:restore-best]
 * @error: return location for a #GError
 *
 * Restores the progress saved by [method@Nn.EarlyStopping.save_state], after
 * checking all of it.
 *
 * Returns: %TRUE on success, or %FALSE with @error set in the
 *   %NN_MODEL_ERROR domain and @self unchanged
 */
gboolean
nn_early_stopping_load_state (NnEarlyStopping *self,
                              GVariant        *state,
                              NnModel         *model,
                              GError         **error)
{
  g_autoptr(GVariant) monitor = NULL;
  g_autoptr(GVariant) best = NULL;
  g_autoptr(GVariant) weights = NULL;
  g_autoptr(GPtrArray) buffers = NULL;
  guint best_epoch, wait, updates, stopped_epoch;

  g_return_val_if_fail (NN_IS_EARLY_STOPPING (self), FALSE);
  g_return_val_if_fail (state != NULL, FALSE);
  g_return_val_if_fail (model == NULL || NN_IS_MODEL (model), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_variant_is_of_type (state, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "an early-stopping state is a dictionary of type a{sv}, not %s",
                   g_variant_get_type_string (state));
      return FALSE;
    }
  monitor = g_variant_lookup_value (state, "monitor", G_VARIANT_TYPE_STRING);
  best = g_variant_lookup_value (state, "best", G_VARIANT_TYPE_DOUBLE);
  if (monitor == NULL || best == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the early-stopping state has no '%s'", monitor == NULL ? "monitor" : "best");
      return FALSE;
    }
  if (g_strcmp0 (g_variant_get_string (monitor, NULL), self->monitor) != 0)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                   "the early-stopping state monitors '%s', not '%s'",
                   g_variant_get_string (monitor, NULL), self->monitor);
      return FALSE;
    }
  if (!lookup_uint (state, "best-epoch", &best_epoch, error) ||
      !lookup_uint (state, "wait", &wait, error) ||
      !lookup_uint (state, "updates", &updates, error) ||
      !lookup_uint (state, "stopped-epoch", &stopped_epoch, error))
    return FALSE;

  weights = g_variant_lookup_value (state, "best-weights", NULL);
  if (self->restore_best && updates > 0)
    {
      g_autoptr(GVariantDict) dict = NULL;

      if (weights == NULL)
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_FAILED,
                       "the early-stopping state has no best weights to restore");
          return FALSE;
        }
      g_return_val_if_fail (NN_IS_MODEL (model), FALSE);
      buffers = g_ptr_array_new_full (n_kept (model), (GDestroyNotify) nn_matrix_free);
      for (guint i = 0; i < n_kept (model); i++)
        {
          const NnMatrix *p = kept (model, i);
          g_ptr_array_add (buffers, nn_matrix_new (p->rows, p->cols));
        }
      dict = g_variant_dict_new (state);
      if (!nn_optimizer_state_read_buffers (dict, "best-weights", buffers, error))
        {
          g_prefix_error (error, "early stopping: ");
          return FALSE;
        }
    }

  self->have_best = !isnan (g_variant_get_double (best));
  self->best = g_variant_get_double (best);
  self->best_epoch = best_epoch;
  self->wait = wait;
  self->n_updates = updates;
  self->stopped_epoch = stopped_epoch;
  if (buffers != NULL)
    {
      g_clear_pointer (&self->best_weights, g_ptr_array_unref);
      self->best_weights = g_steal_pointer (&buffers);
    }
  self->have_weights = self->best_weights != NULL && self->restore_best && updates > 0;
  return TRUE;
}
