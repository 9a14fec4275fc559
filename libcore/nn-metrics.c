/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Evaluation metrics with scikit-learn's definitions, so that a number in
 * history.csv can be checked against sklearn.metrics. */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "nn-errors.h"
#include "nn-metrics.h"
#include "nn-utils-private.h"

#define TASK_BIT(t) (1u << (t))
#define CLASSIFICATION (TASK_BIT (NN_TASK_BINARY) | TASK_BIT (NN_TASK_MULTICLASS))
#define REGRESSION TASK_BIT (NN_TASK_REGRESSION)

typedef double (*MetricFunc) (NnTask          task,
                              const NnMatrix *pred,
                              const NnMatrix *target);

typedef struct
{
  const char *name;
  guint       tasks; /* TASK_BIT set */
  gboolean    greater_is_better;
  MetricFunc  func;
} Metric;

/* ---- classification ------------------------------------------------------ */

static guint
argmax_row (const NnMatrix *m,
            guint           r)
{
  guint best = 0;

  /* The first of equal maxima wins, as with numpy.argmax. */
  for (guint c = 1; c < m->cols; c++)
    if (NN_MATRIX_AT (m, r, c) > NN_MATRIX_AT (m, r, best))
      best = c;
  return best;
}

static guint
class_of_row (NnTask          task,
              const NnMatrix *m,
              guint           r)
{
  if (task == NN_TASK_BINARY)
    return NN_MATRIX_AT (m, r, 0) >= 0.5;
  return argmax_row (m, r);
}

static guint
n_classes_of (NnTask          task,
              const NnMatrix *pred)
{
  return task == NN_TASK_BINARY ? 2 : pred->cols;
}

/* Counts, row-major k × k: [true class][predicted class]. */
static guint64 *
confusion_counts (NnTask          task,
                  const NnMatrix *pred,
                  const NnMatrix *target,
                  guint          *n_classes)
{
  guint    k = n_classes_of (task, pred);
  guint64 *counts = g_new0 (guint64, (gsize) k * k);

  for (guint r = 0; r < pred->rows; r++)
    counts[(gsize) class_of_row (task, target, r) * k + class_of_row (task, pred, r)]++;
  *n_classes = k;
  return counts;
}

static double
accuracy (NnTask          task,
          const NnMatrix *pred,
          const NnMatrix *target)
{
  guint64 correct = 0;

  if (pred->rows == 0)
    return NAN;
  for (guint r = 0; r < pred->rows; r++)
    correct += class_of_row (task, pred, r) == class_of_row (task, target, r);
  return (double) correct / pred->rows;
}

typedef enum {
  SCORE_PRECISION,
  SCORE_RECALL,
  SCORE_F1,
} Score;

/* @tp over @tp + @other, or 0 when that is 0/0: scikit-learn's
 * zero_division=0. */
static double
ratio_or_zero (double tp,
               double denominator)
{
  return denominator > 0 ? tp / denominator : 0.0;
}

static double
class_score (Score   score,
             guint64 tp,
             guint64 n_true,
             guint64 n_predicted)
{
  switch (score)
    {
    case SCORE_PRECISION:
      return ratio_or_zero (tp, n_predicted);
    case SCORE_RECALL:
      return ratio_or_zero (tp, n_true);
    case SCORE_F1:
    default:
      return ratio_or_zero (2.0 * tp, (double) n_true + n_predicted);
    }
}

/* Binary: the score of the positive class. Multiclass: the unweighted mean
 * over the classes that occur in the targets or the predictions, which is
 * scikit-learn's average='macro' with its default labels. */
static double
score (Score           which,
       NnTask          task,
       const NnMatrix *pred,
       const NnMatrix *target)
{
  g_autofree guint64 *counts = NULL;
  guint               k;
  double              sum = 0;
  guint               n_present = 0;

  if (pred->rows == 0)
    return NAN;
  counts = confusion_counts (task, pred, target, &k);
  for (guint c = task == NN_TASK_BINARY ? 1 : 0; c < k; c++)
    {
      guint64 n_true = 0, n_predicted = 0;

      for (guint j = 0; j < k; j++)
        {
          n_true += counts[(gsize) c * k + j];
          n_predicted += counts[(gsize) j * k + c];
        }
      if (task == NN_TASK_MULTICLASS && n_true == 0 && n_predicted == 0)
        continue;
      sum += class_score (which, counts[(gsize) c * k + c], n_true, n_predicted);
      n_present++;
    }
  return n_present ? sum / n_present : NAN;
}

static double
precision (NnTask          task,
           const NnMatrix *pred,
           const NnMatrix *target)
{
  return score (SCORE_PRECISION, task, pred, target);
}

static double
recall (NnTask          task,
        const NnMatrix *pred,
        const NnMatrix *target)
{
  return score (SCORE_RECALL, task, pred, target);
}

static double
f1 (NnTask          task,
    const NnMatrix *pred,
    const NnMatrix *target)
{
  return score (SCORE_F1, task, pred, target);
}

typedef struct
{
  double   score;
  gboolean positive;
} Scored;

static int
compare_scored (const void *a,
                const void *b)
{
  double x = ((const Scored *) a)->score, y = ((const Scored *) b)->score;

  return (x > y) - (x < y);
}

/* The Mann-Whitney form of the area under the ROC curve: tied scores share
 * their average rank, which equals the trapezoid under sklearn's roc_curve,
 * where a tie is one threshold and so a diagonal step. */
static double
auc (NnTask          task,
     const NnMatrix *pred,
     const NnMatrix *target)
{
  g_autofree Scored *s = g_new (Scored, MAX (pred->rows, 1));
  double             n_pos = 0, rank_sum = 0;
  guint              i = 0;

  for (guint r = 0; r < pred->rows; r++)
    {
      s[r].score = NN_MATRIX_AT (pred, r, 0);
      s[r].positive = NN_MATRIX_AT (target, r, 0) >= 0.5;
      if (isnan (s[r].score))
        return NAN;
      n_pos += s[r].positive;
    }
  if (n_pos == 0 || n_pos == pred->rows)
    return NAN; /* one class only: the curve is undefined */

  qsort (s, pred->rows, sizeof (Scored), compare_scored);
  while (i < pred->rows)
    {
      guint j = i + 1, pos_in_tie = s[i].positive;

      while (j < pred->rows && s[j].score == s[i].score)
        pos_in_tie += s[j++].positive;
      /* Ranks i + 1 … j, averaged. */
      rank_sum += pos_in_tie * (i + 1 + j) / 2.0;
      i = j;
    }
  return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * (pred->rows - n_pos));
}

/* ---- regression ---------------------------------------------------------- */

typedef enum {
  REGRESSION_MAE,
  REGRESSION_RMSE,
  REGRESSION_R2,
} RegressionScore;

static double
column_score (RegressionScore which,
              const NnMatrix *pred,
              const NnMatrix *target,
              guint           c)
{
  double sum_abs = 0, ss_res = 0, mean = 0, ss_tot = 0;
  guint  n = pred->rows;

  for (guint r = 0; r < n; r++)
    {
      double d = (double) NN_MATRIX_AT (pred, r, c) - NN_MATRIX_AT (target, r, c);
      sum_abs += fabs (d);
      ss_res += d * d;
      mean += NN_MATRIX_AT (target, r, c);
    }
  mean /= n;

  switch (which)
    {
    case REGRESSION_MAE:
      return sum_abs / n;
    case REGRESSION_RMSE:
      return sqrt (ss_res / n);
    case REGRESSION_R2:
    default:
      for (guint r = 0; r < n; r++)
        {
          double d = NN_MATRIX_AT (target, r, c) - mean;
          ss_tot += d * d;
        }
      /* A constant target: sklearn's force_finite gives 1 for a perfect
       * fit and 0 otherwise, rather than ±inf or NaN. */
      if (ss_tot == 0)
        return ss_res == 0 ? 1.0 : 0.0;
      return 1.0 - ss_res / ss_tot;
    }
}

/* The uniform mean over outputs of each output's score, as sklearn's
 * multioutput='uniform_average'. */
static double
regression_score (RegressionScore which,
                  const NnMatrix *pred,
                  const NnMatrix *target)
{
  double sum = 0;

  if (pred->rows == 0 || pred->cols == 0 || (which == REGRESSION_R2 && pred->rows < 2))
    return NAN;
  for (guint c = 0; c < pred->cols; c++)
    sum += column_score (which, pred, target, c);
  return sum / pred->cols;
}

static double
mae (NnTask          task,
     const NnMatrix *pred,
     const NnMatrix *target)
{
  return regression_score (REGRESSION_MAE, pred, target);
}

static double
rmse (NnTask          task,
      const NnMatrix *pred,
      const NnMatrix *target)
{
  return regression_score (REGRESSION_RMSE, pred, target);
}

static double
r2 (NnTask          task,
    const NnMatrix *pred,
    const NnMatrix *target)
{
  return regression_score (REGRESSION_R2, pred, target);
}

/* ---- registry ------------------------------------------------------------ */

static const Metric metrics[] = {
  { "accuracy", CLASSIFICATION, TRUE, accuracy },
  { "precision", CLASSIFICATION, TRUE, precision },
  { "recall", CLASSIFICATION, TRUE, recall },
  { "f1", CLASSIFICATION, TRUE, f1 },
  { "auc", TASK_BIT (NN_TASK_BINARY), TRUE, auc },
  { "mae", REGRESSION, FALSE, mae },
  { "rmse", REGRESSION, FALSE, rmse },
  { "r2", REGRESSION, TRUE, r2 },
};

static const Metric *
find_metric (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (metrics); i++)
    if (g_str_equal (metrics[i].name, name))
      return &metrics[i];
  return NULL;
}

static const char *
task_phrase (NnTask task)
{
  switch (task)
    {
    case NN_TASK_BINARY:
      return "a binary classification";
    case NN_TASK_MULTICLASS:
      return "a multiclass classification";
    case NN_TASK_REGRESSION:
    default:
      return "a regression";
    }
}

static const char *
tasks_phrase (guint tasks)
{
  if (tasks == CLASSIFICATION)
    return "classification";
  if (tasks == TASK_BIT (NN_TASK_BINARY))
    return "binary classification";
  return "regression";
}

/**
 * nn_metrics_list:
 * @task: the task of the data
 *
 * The metrics that apply to @task: `accuracy`, `precision`, `recall`, `f1`
 * for classification, `auc` for binary classification too, and `mae`,
 * `rmse`, `r2` for regression.
 *
 * Returns: (transfer full): the names, %NULL-terminated
 */
GStrv
nn_metrics_list (NnTask task)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (metrics); i++)
    if (metrics[i].tasks & TASK_BIT (task))
      g_strv_builder_add (b, metrics[i].name);
  return g_strv_builder_end (b);
}

/**
 * nn_metric_is_valid:
 * @name: a metric name, e.g. `"f1"`
 * @task: the task the metric is for
 * @error: return location for a #GError
 *
 * Checks that @name is a metric and that it applies to @task. An unknown
 * name is %NN_CONFIG_ERROR_UNKNOWN_TYPE, with a suggestion when one is
 * close; a metric of another task (`f1` for a regression, `auc` for a
 * multiclass task) is %NN_CONFIG_ERROR_INVALID_VALUE. Both messages list the
 * metrics of @task.
 *
 * Returns: %TRUE if [func@Nn.metric_compute] can compute @name for @task
 */
gboolean
nn_metric_is_valid (const char *name,
                    NnTask      task,
                    GError    **error)
{
  const Metric *metric;
  g_auto(GStrv) valid = NULL;
  g_autofree char *list = NULL;

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  metric = find_metric (name);
  if (metric != NULL && (metric->tasks & TASK_BIT (task)))
    return TRUE;

  valid = nn_metrics_list (task);
  list = nn_strjoin_quoted ((const char * const *) valid);
  if (metric == NULL)
    {
      g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
      g_auto(GStrv) all = NULL;
      const char *hint;

      for (gsize i = 0; i < G_N_ELEMENTS (metrics); i++)
        g_strv_builder_add (b, metrics[i].name);
      all = g_strv_builder_end (b);
      hint = nn_suggest (name, (const char * const *) all);
      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_UNKNOWN_TYPE,
                   "unknown metric '%s'%s%s%s; metrics of %s: %s", name,
                   hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "",
                   task_phrase (task), list);
    }
  else
    g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE,
                 "metric '%s' is for %s, and this is %s; its metrics: %s",
                 name, tasks_phrase (metric->tasks), task_phrase (task), list);
  return FALSE;
}

/**
 * nn_metric_greater_is_better:
 * @name: a metric name
 *
 * Whether a larger value of @name is better (`accuracy`, `r2`, …) or a
 * smaller one (`mae`, `rmse`), for example to choose the direction of early
 * stopping. @name must be a known metric.
 *
 * Returns: %TRUE if larger is better
 */
gboolean
nn_metric_greater_is_better (const char *name)
{
  const Metric *metric;

  g_return_val_if_fail (name != NULL, TRUE);
  metric = find_metric (name);
  g_return_val_if_fail (metric != NULL, TRUE);
  return metric->greater_is_better;
}

/**
 * nn_metric_compute:
 * @name: a metric valid for @task (see [func@Nn.metric_is_valid])
 * @task: the task
 * @pred: predictions, batch × outputs: for a binary task one column of
 *   probabilities (class 1 where ≥ 0.5); for a multiclass task one column per
 *   class (the predicted class is the first largest); for a regression the
 *   values
 * @target: targets as [class@Nn.Dataset] encodes them, the shape of @pred: a
 *   0/1 column, one-hot rows, or values
 *
 * Computes a metric with scikit-learn's definitions:
 *
 * - `accuracy`: the share of rows whose predicted class is the target class;
 * - `precision`, `recall`, `f1`: of class 1 for a binary task; for a
 *   multiclass task the unweighted mean over the classes that occur in the
 *   targets or the predictions (`average='macro'`). A ratio with a zero
 *   denominator (precision with no positive prediction, recall with no
 *   positive target) counts as 0 (`zero_division=0`);
 * - `auc`: the area under the ROC curve of the binary scores, tied scores
 *   counting half (`roc_auc_score`); NaN when the targets hold one class only;
 * - `mae`, `rmse`: the mean absolute error and the root mean squared error
 *   of each output, averaged over the outputs;
 * - `r2`: 1 − SS_res / SS_tot of each output (1 for a constant target fitted
 *   exactly, 0 for one that is not), averaged over the outputs; NaN with
 *   fewer than two rows.
 *
 * Every metric is NaN for zero rows.
 *
 * Returns: the metric
 */
double
nn_metric_compute (const char     *name,
                   NnTask          task,
                   const NnMatrix *pred,
                   const NnMatrix *target)
{
  const Metric *metric;

  g_return_val_if_fail (name != NULL, NAN);
  g_return_val_if_fail (pred != NULL && target != NULL, NAN);
  g_return_val_if_fail (nn_matrix_same_shape (pred, target), NAN);
  g_return_val_if_fail (task != NN_TASK_BINARY || pred->cols == 1, NAN);
  metric = find_metric (name);
  g_return_val_if_fail (metric != NULL && (metric->tasks & TASK_BIT (task)), NAN);

  return metric->func (task, pred, target);
}

/**
 * nn_confusion_matrix:
 * @task: %NN_TASK_BINARY or %NN_TASK_MULTICLASS
 * @pred: predictions, as for [func@Nn.metric_compute]
 * @target: targets, as for [func@Nn.metric_compute]
 *
 * Counts the rows by true and predicted class: the element (i, j) is the
 * number of rows of class i predicted as class j, as scikit-learn's
 * `confusion_matrix`. A binary task gives 2 × 2 (class 0, then class 1), a
 * multiclass task one row and column per output.
 *
 * Returns: (transfer full): the counts, classes × classes
 */
NnMatrix *
nn_confusion_matrix (NnTask          task,
                     const NnMatrix *pred,
                     const NnMatrix *target)
{
  g_autofree guint64 *counts = NULL;
  NnMatrix           *m;
  guint               k;

  g_return_val_if_fail (task == NN_TASK_BINARY || task == NN_TASK_MULTICLASS, NULL);
  g_return_val_if_fail (pred != NULL && target != NULL, NULL);
  g_return_val_if_fail (nn_matrix_same_shape (pred, target), NULL);
  g_return_val_if_fail (task != NN_TASK_BINARY || pred->cols == 1, NULL);

  counts = confusion_counts (task, pred, target, &k);
  m = nn_matrix_new (k, k);
  for (gsize i = 0; i < (gsize) k * k; i++)
    m->data[i] = (nn_real) counts[i];
  return m;
}
