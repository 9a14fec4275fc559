/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-errors.h"
#include "nn-model.h"

/**
 * NnModel:
 *
 * An ordered stack of dense layers with a loss and an optimizer.
 *
 * The model has forward and backward steps, a training step that combines
 * them with the optimizer, epochs of mini-batches, and a history of the
 * loss after each epoch. Every layer keeps its Z and A from the forward
 * step, which the backward step uses. All randomness (initial weights,
 * shuffling) comes from one #GRand seeded by #NnModel:seed.
 */
struct _NnModel
{
  GObject parent_instance;

  GPtrArray   *layers;        /* NnLayer */
  NnLoss      *loss;
  NnOptimizer *optimizer;
  guint64      seed;
  GRand       *rand;

  GPtrArray   *params;        /* NnMatrix, borrowed from the layers */
  GPtrArray   *grads;
  gboolean     optimizer_ready;

  /* Work space, grown to the largest batch and then reused. */
  NnMatrix    *grad_out;      /* batch × outputs */
  NnMatrix    *batch_x;
  NnMatrix    *batch_y;
  guint       *order;
  guint        order_len;

  GArray      *loss_history;      /* double */
  GArray      *val_loss_history;  /* double, NAN without validation data */
};

G_DEFINE_FINAL_TYPE (NnModel, nn_model, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (NnInit, nn_init,
  G_DEFINE_ENUM_VALUE (NN_INIT_NORMAL, "normal"),
  G_DEFINE_ENUM_VALUE (NN_INIT_GLOROT_UNIFORM, "glorot_uniform"),
  G_DEFINE_ENUM_VALUE (NN_INIT_GLOROT_NORMAL, "glorot_normal"),
  G_DEFINE_ENUM_VALUE (NN_INIT_HE_NORMAL, "he_normal"),
  G_DEFINE_ENUM_VALUE (NN_INIT_HE_UNIFORM, "he_uniform"))

enum {
  PROP_0,
  PROP_LOSS,
  PROP_OPTIMIZER,
  PROP_SEED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  EPOCH_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Rows per forward step when predicting or evaluating a whole data set. */
#define EVAL_CHUNK 4096

static void
nn_model_dispose (GObject *object)
{
  NnModel *self = NN_MODEL (object);

  g_clear_pointer (&self->layers, g_ptr_array_unref);
  g_clear_object (&self->loss);
  g_clear_object (&self->optimizer);

  G_OBJECT_CLASS (nn_model_parent_class)->dispose (object);
}

static void
nn_model_finalize (GObject *object)
{
  NnModel *self = NN_MODEL (object);

  g_clear_pointer (&self->rand, g_rand_free);
  g_clear_pointer (&self->params, g_ptr_array_unref);
  g_clear_pointer (&self->grads, g_ptr_array_unref);
  g_clear_pointer (&self->grad_out, nn_matrix_free);
  g_clear_pointer (&self->batch_x, nn_matrix_free);
  g_clear_pointer (&self->batch_y, nn_matrix_free);
  g_clear_pointer (&self->order, g_free);
  g_clear_pointer (&self->loss_history, g_array_unref);
  g_clear_pointer (&self->val_loss_history, g_array_unref);

  G_OBJECT_CLASS (nn_model_parent_class)->finalize (object);
}

static void
nn_model_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  NnModel *self = NN_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOSS:
      g_value_set_object (value, self->loss);
      break;
    case PROP_OPTIMIZER:
      g_value_set_object (value, self->optimizer);
      break;
    case PROP_SEED:
      g_value_set_uint64 (value, self->seed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_model_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  NnModel *self = NN_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOSS:
      nn_model_set_loss (self, g_value_get_object (value));
      break;
    case PROP_OPTIMIZER:
      nn_model_set_optimizer (self, g_value_get_object (value));
      break;
    case PROP_SEED:
      nn_model_set_seed (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nn_model_class_init (NnModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = nn_model_dispose;
  object_class->finalize = nn_model_finalize;
  object_class->get_property = nn_model_get_property;
  object_class->set_property = nn_model_set_property;

  /**
   * NnModel:loss:
   *
   * The loss minimised by training.
   */
  properties[PROP_LOSS] =
    g_param_spec_object ("loss", NULL, "Loss minimised by training",
                         NN_TYPE_LOSS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NnModel:optimizer:
   *
   * The optimizer that updates the parameters after each batch.
   */
  properties[PROP_OPTIMIZER] =
    g_param_spec_object ("optimizer", NULL, "Optimizer updating the parameters",
                         NN_TYPE_OPTIMIZER,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * NnModel:seed:
   *
   * The seed of every random choice: initial weights and shuffling.
   * Setting it restarts the random sequence.
   */
  properties[PROP_SEED] =
    g_param_spec_uint64 ("seed", NULL, "Seed of initial weights and shuffling",
                         0, G_MAXUINT32, 42,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * NnModel::epoch-finished:
   * @model: the model
   * @epoch: the epoch just finished, counting from 1
   * @loss: its training loss
   * @val_loss: the validation loss at its end, or NaN without validation data
   *
   * Emitted by nn_model_fit() after every epoch.
   */
  signals[EPOCH_FINISHED] =
    g_signal_new ("epoch-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_UINT, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
}

static void
nn_model_init (NnModel *self)
{
  self->layers = g_ptr_array_new_with_free_func (g_object_unref);
  self->params = g_ptr_array_new ();
  self->grads = g_ptr_array_new ();
  self->loss_history = g_array_new (FALSE, FALSE, sizeof (double));
  self->val_loss_history = g_array_new (FALSE, FALSE, sizeof (double));
}

/**
 * nn_model_new:
 *
 * Returns: (transfer full): an empty model
 */
NnModel *
nn_model_new (void)
{
  return g_object_new (NN_TYPE_MODEL, NULL);
}

/**
 * nn_model_add_layer:
 * @self: a #NnModel
 * @layer: a layer whose input width is the last layer's units
 *
 * Appends @layer, taking a reference.
 */
void
nn_model_add_layer (NnModel *self,
                    NnLayer *layer)
{
  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (NN_IS_LAYER (layer));
  g_return_if_fail (self->layers->len == 0 ||
                    nn_layer_get_n_inputs (layer) == nn_model_get_n_outputs (self));

  g_ptr_array_add (self->layers, g_object_ref (layer));
  g_ptr_array_add (self->params, nn_layer_get_weights (layer));
  g_ptr_array_add (self->params, nn_layer_get_bias (layer));
  g_ptr_array_add (self->grads, (gpointer) nn_layer_get_weight_gradient (layer));
  g_ptr_array_add (self->grads, (gpointer) nn_layer_get_bias_gradient (layer));
  self->optimizer_ready = FALSE;
}

/**
 * nn_model_get_n_layers:
 * @self: a #NnModel
 *
 * Returns: the number of layers
 */
guint
nn_model_get_n_layers (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0);

  return self->layers->len;
}

/**
 * nn_model_get_layer:
 * @self: a #NnModel
 * @index: a layer index, from 0
 *
 * Returns: (transfer none): the layer
 */
NnLayer *
nn_model_get_layer (NnModel *self,
                    guint    index)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);
  g_return_val_if_fail (index < self->layers->len, NULL);

  return self->layers->pdata[index];
}

/**
 * nn_model_get_n_inputs:
 * @self: a #NnModel
 *
 * Returns: the input width of the first layer, or 0 without layers
 */
guint
nn_model_get_n_inputs (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0);

  return self->layers->len ? nn_layer_get_n_inputs (self->layers->pdata[0]) : 0;
}

/**
 * nn_model_get_n_outputs:
 * @self: a #NnModel
 *
 * Returns: the units of the last layer, or 0 without layers
 */
guint
nn_model_get_n_outputs (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0);

  return self->layers->len
         ? nn_layer_get_units (self->layers->pdata[self->layers->len - 1]) : 0;
}

/**
 * nn_model_get_loss:
 * @self: a #NnModel
 *
 * Returns: (transfer none) (nullable): the loss
 */
NnLoss *
nn_model_get_loss (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);

  return self->loss;
}

/**
 * nn_model_set_loss:
 * @self: a #NnModel
 * @loss: (nullable): the loss to minimise
 */
void
nn_model_set_loss (NnModel *self,
                   NnLoss  *loss)
{
  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (loss == NULL || NN_IS_LOSS (loss));

  if (g_set_object (&self->loss, loss))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOSS]);
}

/**
 * nn_model_get_optimizer:
 * @self: a #NnModel
 *
 * Returns: (transfer none) (nullable): the optimizer
 */
NnOptimizer *
nn_model_get_optimizer (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);

  return self->optimizer;
}

/**
 * nn_model_set_optimizer:
 * @self: a #NnModel
 * @optimizer: (nullable): the optimizer
 */
void
nn_model_set_optimizer (NnModel     *self,
                        NnOptimizer *optimizer)
{
  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (optimizer == NULL || NN_IS_OPTIMIZER (optimizer));

  if (g_set_object (&self->optimizer, optimizer))
    {
      self->optimizer_ready = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPTIMIZER]);
    }
}

/**
 * nn_model_get_seed:
 * @self: a #NnModel
 *
 * Returns: the seed of the model's random numbers
 */
guint64
nn_model_get_seed (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0);

  return self->seed;
}

/**
 * nn_model_set_seed:
 * @self: a #NnModel
 * @seed: the seed, at most %G_MAXUINT32
 *
 * Restarts the model's random sequence from @seed.
 */
void
nn_model_set_seed (NnModel *self,
                   guint64  seed)
{
  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (seed <= G_MAXUINT32);

  g_clear_pointer (&self->rand, g_rand_free);
  self->rand = g_rand_new_with_seed ((guint32) seed);
  if (self->seed != seed)
    {
      self->seed = seed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEED]);
    }
}

/* Box–Muller; g_rand_double is in [0, 1), so 1 - u is in (0, 1]. */
static double
rand_normal (GRand *rand)
{
  double u1 = 1.0 - g_rand_double (rand);
  double u2 = g_rand_double (rand);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

/**
 * nn_model_init_parameters:
 * @self: a #NnModel
 * @init: the weight initialisation scheme
 *
 * Draws every weight from the model's random sequence, layer by layer and
 * row by row, and sets every bias to zero.
 */
void
nn_model_init_parameters (NnModel *self,
                          NnInit   init)
{
  g_return_if_fail (NN_IS_MODEL (self));

  for (guint l = 0; l < self->layers->len; l++)
    {
      NnLayer *layer = self->layers->pdata[l];
      NnMatrix *w = nn_layer_get_weights (layer);
      double fan_in = nn_layer_get_n_inputs (layer);
      double fan_out = nn_layer_get_units (layer);
      double std = 1.0, limit = 0.0;
      gboolean uniform = FALSE;

      switch (init)
        {
        case NN_INIT_NORMAL:
          std = 1.0;
          break;
        case NN_INIT_GLOROT_UNIFORM:
          uniform = TRUE;
          limit = sqrt (6.0 / (fan_in + fan_out));
          break;
        case NN_INIT_GLOROT_NORMAL:
          std = sqrt (2.0 / (fan_in + fan_out));
          break;
        case NN_INIT_HE_NORMAL:
          std = sqrt (2.0 / fan_in);
          break;
        case NN_INIT_HE_UNIFORM:
          uniform = TRUE;
          limit = sqrt (6.0 / fan_in);
          break;
        default:
          g_return_if_reached ();
        }

      for (gsize i = 0; i < nn_matrix_size (w); i++)
        w->data[i] = (nn_real) (uniform ? g_rand_double_range (self->rand, -limit, limit)
                                        : std * rand_normal (self->rand));
      nn_matrix_fill (nn_layer_get_bias (layer), 0);
    }
}

/**
 * nn_model_forward:
 * @self: a #NnModel
 * @x: a batch of inputs, batch × inputs
 *
 * Runs every layer in order, each on the previous layer's activations.
 *
 * Returns: (transfer none): the last layer's activations, the predictions,
 *   valid until the next forward step
 */
const NnMatrix *
nn_model_forward (NnModel        *self,
                  const NnMatrix *x)
{
  const NnMatrix *a = x;

  g_return_val_if_fail (NN_IS_MODEL (self), NULL);
  g_return_val_if_fail (self->layers->len > 0, NULL);
  g_return_val_if_fail (x != NULL && x->cols == nn_model_get_n_inputs (self), NULL);

  for (guint l = 0; l < self->layers->len; l++)
    a = nn_layer_forward (self->layers->pdata[l], a);
  return a;
}

/**
 * nn_model_backward:
 * @self: a #NnModel
 * @x: the inputs of the last forward step
 * @y: the targets of that batch, batch × outputs
 *
 * Computes the gradient of the loss with respect to every parameter, from
 * the Z and A each layer kept in the last forward step.
 */
void
nn_model_backward (NnModel        *self,
                   const NnMatrix *x,
                   const NnMatrix *y)
{
  NnLayer *last;
  NnMatrix grad;
  const NnMatrix *grad_a;

  g_return_if_fail (NN_IS_MODEL (self));
  g_return_if_fail (NN_IS_LOSS (self->loss));
  g_return_if_fail (self->layers->len > 0);

  last = self->layers->pdata[self->layers->len - 1];
  g_return_if_fail (y != NULL && nn_matrix_same_shape (y, nn_layer_get_a (last)));

  if (self->grad_out == NULL || self->grad_out->rows < y->rows)
    {
      g_clear_pointer (&self->grad_out, nn_matrix_free);
      self->grad_out = nn_matrix_new (y->rows, y->cols);
    }
  grad = nn_matrix_view (self->grad_out->data, y->rows, y->cols);
  nn_loss_gradient (self->loss, nn_layer_get_a (last), y, &grad);

  grad_a = &grad;
  for (guint l = self->layers->len; l-- > 0;)
    {
      const NnMatrix *input = l > 0 ? nn_layer_get_a (self->layers->pdata[l - 1]) : x;
      grad_a = nn_layer_backward (self->layers->pdata[l], input, grad_a, l > 0);
    }
}

static void
ensure_optimizer_ready (NnModel *self)
{
  if (self->optimizer_ready)
    return;
  nn_optimizer_prepare (self->optimizer, self->params->len,
                        (const NnMatrix **) self->params->pdata);
  self->optimizer_ready = TRUE;
}

/**
 * nn_model_train_step:
 * @self: a #NnModel
 * @x: a batch of inputs
 * @y: its targets
 * @error: return location for a #GError
 *
 * One forward step, one backward step and one optimizer update.
 *
 * Returns: the loss of the batch before the update, or NaN with
 *   %NN_MODEL_ERROR_NOT_FINITE set if it is not finite (the update is then
 *   not applied)
 */
double
nn_model_train_step (NnModel         *self,
                     const NnMatrix  *x,
                     const NnMatrix  *y,
                     GError         **error)
{
  const NnMatrix *pred;
  double loss;

  g_return_val_if_fail (NN_IS_MODEL (self), NAN);
  g_return_val_if_fail (NN_IS_LOSS (self->loss), NAN);
  g_return_val_if_fail (NN_IS_OPTIMIZER (self->optimizer), NAN);
  g_return_val_if_fail (x != NULL && y != NULL && x->rows == y->rows, NAN);
  g_return_val_if_fail (error == NULL || *error == NULL, NAN);

  ensure_optimizer_ready (self);
  pred = nn_model_forward (self, x);
  loss = nn_loss_compute (self->loss, pred, y);
  if (!isfinite (loss))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE,
                   "the loss became %g; training diverged (a smaller learning "
                   "rate usually helps)", loss);
      return NAN;
    }
  nn_model_backward (self, x, y);
  nn_optimizer_step (self->optimizer, self->params->len,
                     (NnMatrix **) self->params->pdata,
                     (const NnMatrix **) self->grads->pdata);
  return loss;
}

static NnMatrix *
ensure_rows (NnMatrix *m,
             guint     rows,
             guint     cols)
{
  if (m != NULL && m->rows >= rows && m->cols == cols)
    return m;
  nn_matrix_free (m);
  return nn_matrix_new (rows, cols);
}

/**
 * nn_model_train_epoch:
 * @self: a #NnModel
 * @x: the training inputs, samples × inputs
 * @y: the training targets, samples × outputs
 * @batch_size: samples per update; 0 (or more than the samples) for the
 *   whole set (batch gradient descent), 1 for stochastic gradient descent
 * @shuffle: draw a new order of the samples from the model's random
 *   sequence before the epoch
 * @error: return location for a #GError
 *
 * Returns: the sample-weighted mean of the batch losses of the epoch, or NaN
 *   with @error set
 */
double
nn_model_train_epoch (NnModel         *self,
                      const NnMatrix  *x,
                      const NnMatrix  *y,
                      guint            batch_size,
                      gboolean         shuffle,
                      GError         **error)
{
  guint n, bs;
  double total = 0.0;

  g_return_val_if_fail (NN_IS_MODEL (self), NAN);
  g_return_val_if_fail (x != NULL && y != NULL && x->rows == y->rows && x->rows > 0, NAN);
  g_return_val_if_fail (error == NULL || *error == NULL, NAN);

  n = x->rows;
  bs = (batch_size == 0 || batch_size > n) ? n : batch_size;

  if (shuffle)
    {
      if (self->order_len != n)
        {
          g_free (self->order);
          self->order = g_new (guint, n);
          self->order_len = n;
        }
      for (guint i = 0; i < n; i++)
        self->order[i] = i;
      /* Fisher–Yates, from the model's seeded sequence. */
      for (guint i = n - 1; i > 0; i--)
        {
          guint j = g_rand_int_range (self->rand, 0, (gint32) i + 1);
          guint t = self->order[i];
          self->order[i] = self->order[j];
          self->order[j] = t;
        }
      self->batch_x = ensure_rows (self->batch_x, bs, x->cols);
      self->batch_y = ensure_rows (self->batch_y, bs, y->cols);
    }

  for (guint start = 0; start < n; start += bs)
    {
      guint rows = MIN (bs, n - start);
      NnMatrix bx, by;
      double loss;

      if (shuffle)
        {
          bx = nn_matrix_view (self->batch_x->data, rows, x->cols);
          by = nn_matrix_view (self->batch_y->data, rows, y->cols);
          nn_matrix_gather_rows (x, self->order + start, rows, &bx);
          nn_matrix_gather_rows (y, self->order + start, rows, &by);
        }
      else
        {
          bx = nn_matrix_view_rows (x, start, rows);
          by = nn_matrix_view_rows (y, start, rows);
        }

      loss = nn_model_train_step (self, &bx, &by, error);
      if (isnan (loss))
        {
          g_prefix_error (error, "batch %u: ", start / bs + 1);
          return NAN;
        }
      total += loss * rows;
    }
  return total / n;
}

static gboolean
parameters_finite (NnModel *self)
{
  for (guint i = 0; i < self->params->len; i++)
    if (!nn_matrix_is_finite (self->params->pdata[i]))
      return FALSE;
  return TRUE;
}

/**
 * nn_model_fit:
 * @self: a #NnModel
 * @x: training inputs
 * @y: training targets
 * @val_x: (nullable): validation inputs
 * @val_y: (nullable): validation targets
 * @epochs: the number of epochs
 * @batch_size: samples per update, 0 for the whole set
 * @shuffle: reshuffle the samples before every epoch
 * @cancellable: (nullable): checked between epochs
 * @error: return location for a #GError
 *
 * Trains for @epochs epochs, appending the training loss and the validation
 * loss of each to the history and emitting #NnModel::epoch-finished.
 *
 * Returns: %TRUE, or %FALSE with @error set: %NN_MODEL_ERROR_NOT_FINITE when
 *   training diverges, %G_IO_ERROR_CANCELLED when cancelled
 */
gboolean
nn_model_fit (NnModel         *self,
              const NnMatrix  *x,
              const NnMatrix  *y,
              const NnMatrix  *val_x,
              const NnMatrix  *val_y,
              guint            epochs,
              guint            batch_size,
              gboolean         shuffle,
              GCancellable    *cancellable,
              GError         **error)
{
  g_return_val_if_fail (NN_IS_MODEL (self), FALSE);
  g_return_val_if_fail ((val_x == NULL) == (val_y == NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint epoch = 1; epoch <= epochs; epoch++)
    {
      double loss, val_loss = NAN;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      loss = nn_model_train_epoch (self, x, y, batch_size, shuffle, error);
      if (isnan (loss))
        {
          g_prefix_error (error, "epoch %u, ", epoch);
          return FALSE;
        }
      if (!parameters_finite (self))
        {
          g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE,
                       "epoch %u: a weight became NaN or infinite; training "
                       "diverged (a smaller learning rate usually helps)", epoch);
          return FALSE;
        }
      if (val_x != NULL)
        {
          val_loss = nn_model_evaluate (self, val_x, val_y, error);
          if (isnan (val_loss))
            {
              g_prefix_error (error, "epoch %u, validation: ", epoch);
              return FALSE;
            }
        }
      g_array_append_val (self->loss_history, loss);
      g_array_append_val (self->val_loss_history, val_loss);
      g_signal_emit (self, signals[EPOCH_FINISHED], 0, epoch, loss, val_loss);
    }
  return TRUE;
}

/**
 * nn_model_predict:
 * @self: a #NnModel
 * @x: inputs, samples × inputs
 *
 * Returns: (transfer full): the outputs, samples × outputs
 */
NnMatrix *
nn_model_predict (NnModel        *self,
                  const NnMatrix *x)
{
  NnMatrix *out;

  g_return_val_if_fail (NN_IS_MODEL (self), NULL);
  g_return_val_if_fail (x != NULL && x->cols == nn_model_get_n_inputs (self), NULL);

  out = nn_matrix_new (x->rows, nn_model_get_n_outputs (self));
  for (guint start = 0; start < x->rows; start += EVAL_CHUNK)
    {
      guint rows = MIN (EVAL_CHUNK, x->rows - start);
      NnMatrix xs = nn_matrix_view_rows (x, start, rows);
      NnMatrix os = nn_matrix_view_rows (out, start, rows);

      nn_matrix_copy_into (nn_model_forward (self, &xs), &os);
    }
  return out;
}

/**
 * nn_model_evaluate:
 * @self: a #NnModel
 * @x: inputs
 * @y: targets
 * @error: return location for a #GError
 *
 * Returns: the loss over the whole set, or NaN with
 *   %NN_MODEL_ERROR_NOT_FINITE set
 */
double
nn_model_evaluate (NnModel         *self,
                   const NnMatrix  *x,
                   const NnMatrix  *y,
                   GError         **error)
{
  double total = 0.0;

  g_return_val_if_fail (NN_IS_MODEL (self), NAN);
  g_return_val_if_fail (NN_IS_LOSS (self->loss), NAN);
  g_return_val_if_fail (x != NULL && y != NULL && x->rows == y->rows && x->rows > 0, NAN);
  g_return_val_if_fail (y->cols == nn_model_get_n_outputs (self), NAN);

  for (guint start = 0; start < x->rows; start += EVAL_CHUNK)
    {
      guint rows = MIN (EVAL_CHUNK, x->rows - start);
      NnMatrix xs = nn_matrix_view_rows (x, start, rows);
      NnMatrix ys = nn_matrix_view_rows (y, start, rows);

      total += nn_loss_compute (self->loss, nn_model_forward (self, &xs), &ys) * rows;
    }
  total /= x->rows;
  if (!isfinite (total))
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_NOT_FINITE,
                   "the loss is %g", total);
      return NAN;
    }
  return total;
}

/**
 * nn_model_get_loss_history:
 * @self: a #NnModel
 *
 * Returns: (transfer none) (element-type gdouble): the training loss of
 *   every epoch trained so far
 */
GArray *
nn_model_get_loss_history (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);

  return self->loss_history;
}

/**
 * nn_model_get_val_loss_history:
 * @self: a #NnModel
 *
 * Returns: (transfer none) (element-type gdouble): the validation loss at the
 *   end of every epoch, NaN where there was no validation data
 */
GArray *
nn_model_get_val_loss_history (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);

  return self->val_loss_history;
}

/**
 * nn_model_get_n_parameters:
 * @self: a #NnModel
 *
 * Returns: the number of parameter matrices: a weight and a bias matrix per
 *   layer
 */
guint
nn_model_get_n_parameters (NnModel *self)
{
  g_return_val_if_fail (NN_IS_MODEL (self), 0);

  return self->params->len;
}

/**
 * nn_model_get_parameter:
 * @self: a #NnModel
 * @index: 2 × layer for its weights, 2 × layer + 1 for its bias
 *
 * Returns: (transfer none): the parameter matrix, modifiable in place
 */
NnMatrix *
nn_model_get_parameter (NnModel *self,
                        guint    index)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);
  g_return_val_if_fail (index < self->params->len, NULL);

  return self->params->pdata[index];
}

/**
 * nn_model_get_gradient:
 * @self: a #NnModel
 * @index: as for nn_model_get_parameter()
 *
 * Returns: (transfer none): the gradient of that parameter from the last
 *   backward step
 */
const NnMatrix *
nn_model_get_gradient (NnModel *self,
                       guint    index)
{
  g_return_val_if_fail (NN_IS_MODEL (self), NULL);
  g_return_val_if_fail (index < self->grads->len, NULL);

  return self->grads->pdata[index];
}
