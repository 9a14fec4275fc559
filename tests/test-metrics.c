/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Metrics on small cases computed by hand; the expected values were also
 * checked with an independent NumPy implementation (a sklearn-style ROC
 * curve integrated with the trapezoid rule, per-class counts, per-output
 * regression scores). Every input is exact in single precision, so the
 * tolerance is tight in both builds. */
#include <math.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

#define TOL 1e-12

static double
metric (const char   *name,
        NnTask        task,
        guint         rows,
        guint         cols,
        const double *pred,
        const double *target)
{
  g_autoptr(NnMatrix) p = nn_test_matrix_from_doubles (rows, cols, pred);
  g_autoptr(NnMatrix) t = nn_test_matrix_from_doubles (rows, cols, target);

  return nn_metric_compute (name, task, p, t);
}

/* Binary: TP 3 (rows 0, 1, 7), FN 1 (row 2), FP 2 (rows 3, 5), TN 2. */
static const double bin_pred[] = { 0.9, 0.8, 0.3, 0.6, 0.2, 0.5, 0.1, 0.7 };
static const double bin_target[] = { 1, 1, 1, 0, 0, 0, 0, 1 };

static void
test_binary_counts (void)
{
  NN_ASSERT_CMPFLOAT (metric ("accuracy", NN_TASK_BINARY, 8, 1, bin_pred, bin_target),
                      5.0 / 8, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("precision", NN_TASK_BINARY, 8, 1, bin_pred, bin_target),
                      3.0 / 5, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("recall", NN_TASK_BINARY, 8, 1, bin_pred, bin_target),
                      3.0 / 4, TOL, TOL);
  /* 2TP / (2TP + FP + FN) = 2PR / (P + R) */
  NN_ASSERT_CMPFLOAT (metric ("f1", NN_TASK_BINARY, 8, 1, bin_pred, bin_target),
                      6.0 / 9, TOL, TOL);
}

static void
test_binary_threshold (void)
{
  /* 0.5 is class 1, just below is class 0. */
  const double pred[] = { 0.5, 0.49 };
  const double target[] = { 1, 0 };

  NN_ASSERT_CMPFLOAT (metric ("accuracy", NN_TASK_BINARY, 2, 1, pred, target), 1.0, TOL, TOL);
}

static void
test_binary_auc (void)
{
  /* 14 of the 16 positive-negative pairs are ordered right: 0.3 is above
   * only 0.2 and 0.1. */
  NN_ASSERT_CMPFLOAT (metric ("auc", NN_TASK_BINARY, 8, 1, bin_pred, bin_target),
                      14.0 / 16, TOL, TOL);
}

static void
test_auc_ties (void)
{
  /* Positives 0.5 and 0.8, negatives 0.5, 0.5, 0.2: the positive 0.5 beats
   * 0.2 and ties twice (½ each); 0.8 beats all three: 5 of 6. */
  const double pred[] = { 0.5, 0.5, 0.5, 0.2, 0.8 };
  const double target[] = { 1, 0, 0, 0, 1 };
  const double flat[] = { 0.3, 0.3, 0.3, 0.3 };
  const double flat_target[] = { 1, 0, 1, 0 };

  NN_ASSERT_CMPFLOAT (metric ("auc", NN_TASK_BINARY, 5, 1, pred, target), 5.0 / 6, TOL, TOL);
  /* One threshold only: the diagonal. */
  NN_ASSERT_CMPFLOAT (metric ("auc", NN_TASK_BINARY, 4, 1, flat, flat_target), 0.5, TOL, TOL);
}

static void
test_auc_many_ties (void)
{
  /* Scores rounded to one decimal, so most are tied; 13 positives and 7
   * negatives; the ROC trapezoid in NumPy gives 0.32967032967032972. */
  const double pred[] = { 0.6, 0.9, 0.8, 0.2, 0.3, 0.9, 0.0, 0.8, 0.8, 0.5,
                          0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 1.0, 0.8, 0.6, 1.0 };
  const double target[] = { 1, 1, 0, 1, 1, 0, 1, 0, 0, 0,
                            1, 1, 1, 1, 0, 1, 1, 1, 0, 1 };

  NN_ASSERT_CMPFLOAT (metric ("auc", NN_TASK_BINARY, 20, 1, pred, target),
                      0.32967032967032972, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("auc", NN_TASK_BINARY, 20, 1, pred, target), 30.0 / 91, TOL, TOL);
}

static void
test_single_class (void)
{
  /* Every target positive: no ROC curve; precision has no false positive. */
  const double pred[] = { 0.9, 0.2, 0.7 };
  const double target[] = { 1, 1, 1 };

  CU_ASSERT (isnan (metric ("auc", NN_TASK_BINARY, 3, 1, pred, target)));
  NN_ASSERT_CMPFLOAT (metric ("accuracy", NN_TASK_BINARY, 3, 1, pred, target), 2.0 / 3, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("precision", NN_TASK_BINARY, 3, 1, pred, target), 1.0, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("recall", NN_TASK_BINARY, 3, 1, pred, target), 2.0 / 3, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("f1", NN_TASK_BINARY, 3, 1, pred, target), 0.8, TOL, TOL);
}

static void
test_zero_division (void)
{
  /* No positive prediction: precision is 0/0, counted as 0. */
  const double pred[] = { 0.1, 0.2 };
  const double target[] = { 1, 0 };
  /* No positive at all: precision, recall and f1 are all 0/0. */
  const double negatives[] = { 0, 0 };

  NN_ASSERT_CMPFLOAT (metric ("precision", NN_TASK_BINARY, 2, 1, pred, target), 0.0, 0, 0);
  NN_ASSERT_CMPFLOAT (metric ("recall", NN_TASK_BINARY, 2, 1, pred, target), 0.0, 0, 0);
  NN_ASSERT_CMPFLOAT (metric ("f1", NN_TASK_BINARY, 2, 1, pred, target), 0.0, 0, 0);
  NN_ASSERT_CMPFLOAT (metric ("precision", NN_TASK_BINARY, 2, 1, pred, negatives), 0.0, 0, 0);
  NN_ASSERT_CMPFLOAT (metric ("recall", NN_TASK_BINARY, 2, 1, pred, negatives), 0.0, 0, 0);
  NN_ASSERT_CMPFLOAT (metric ("f1", NN_TASK_BINARY, 2, 1, pred, negatives), 0.0, 0, 0);
  NN_ASSERT_CMPFLOAT (metric ("accuracy", NN_TASK_BINARY, 2, 1, pred, negatives), 1.0, 0, 0);
}

static void
test_binary_confusion (void)
{
  g_autoptr(NnMatrix) p = nn_test_matrix_from_doubles (8, 1, bin_pred);
  g_autoptr(NnMatrix) t = nn_test_matrix_from_doubles (8, 1, bin_target);
  g_autoptr(NnMatrix) cm = nn_confusion_matrix (NN_TASK_BINARY, p, t);
  const double want[] = { 2, 2,   /* true 0: TN, FP */
                          1, 3 }; /* true 1: FN, TP */

  CU_ASSERT_PTR_NOT_NULL_FATAL (cm);
  CU_ASSERT_EQUAL (cm->rows, 2);
  CU_ASSERT_EQUAL (cm->cols, 2);
  for (guint i = 0; i < 4; i++)
    NN_ASSERT_CMPFLOAT (cm->data[i], want[i], 0, 0);
}

/* Multiclass: predicted classes 0 1 2 1 2 0 against 0 1 1 2 2 2; the
 * confusion matrix is [[1 0 0] [0 1 1] [1 1 1]]. Per class, precision
 * 1/2 1/2 1/2, recall 1 1/2 1/3, f1 2/3 1/2 2/5. */
static const double mc_pred[] = {
  0.7, 0.2, 0.1,
  0.1, 0.8, 0.1,
  0.2, 0.3, 0.5,
  0.3, 0.4, 0.3,
  0.1, 0.1, 0.8,
  0.6, 0.3, 0.1
};
static const double mc_target[] = {
  1, 0, 0,
  0, 1, 0,
  0, 1, 0,
  0, 0, 1,
  0, 0, 1,
  0, 0, 1
};

static void
test_multiclass_macro (void)
{
  NN_ASSERT_CMPFLOAT (metric ("accuracy", NN_TASK_MULTICLASS, 6, 3, mc_pred, mc_target),
                      0.5, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("precision", NN_TASK_MULTICLASS, 6, 3, mc_pred, mc_target),
                      0.5, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("recall", NN_TASK_MULTICLASS, 6, 3, mc_pred, mc_target),
                      (1 + 0.5 + 1.0 / 3) / 3, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("recall", NN_TASK_MULTICLASS, 6, 3, mc_pred, mc_target),
                      0.61111111111111105, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("f1", NN_TASK_MULTICLASS, 6, 3, mc_pred, mc_target),
                      (2.0 / 3 + 0.5 + 0.4) / 3, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("f1", NN_TASK_MULTICLASS, 6, 3, mc_pred, mc_target),
                      0.52222222222222214, TOL, TOL);
}

static void
test_multiclass_absent_class (void)
{
  /* The same rows with a fourth class that is neither a target nor a
   * prediction: it stays out of the macro average, as in scikit-learn. */
  double pred[6 * 4], target[6 * 4];

  for (guint r = 0; r < 6; r++)
    {
      for (guint c = 0; c < 3; c++)
        {
          pred[r * 4 + c] = mc_pred[r * 3 + c];
          target[r * 4 + c] = mc_target[r * 3 + c];
        }
      pred[r * 4 + 3] = 0.0;
      target[r * 4 + 3] = 0.0;
    }
  NN_ASSERT_CMPFLOAT (metric ("recall", NN_TASK_MULTICLASS, 6, 4, pred, target),
                      (1 + 0.5 + 1.0 / 3) / 3, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("f1", NN_TASK_MULTICLASS, 6, 4, pred, target),
                      (2.0 / 3 + 0.5 + 0.4) / 3, TOL, TOL);
}

static void
test_multiclass_argmax_tie (void)
{
  /* Equal largest outputs: the first class wins, as numpy.argmax. */
  const double pred[] = { 0.4, 0.4, 0.2 };
  const double first[] = { 1, 0, 0 };
  const double second[] = { 0, 1, 0 };

  NN_ASSERT_CMPFLOAT (metric ("accuracy", NN_TASK_MULTICLASS, 1, 3, pred, first), 1.0, 0, 0);
  NN_ASSERT_CMPFLOAT (metric ("accuracy", NN_TASK_MULTICLASS, 1, 3, pred, second), 0.0, 0, 0);
}

static void
test_multiclass_confusion (void)
{
  g_autoptr(NnMatrix) p = nn_test_matrix_from_doubles (6, 3, mc_pred);
  g_autoptr(NnMatrix) t = nn_test_matrix_from_doubles (6, 3, mc_target);
  g_autoptr(NnMatrix) cm = nn_confusion_matrix (NN_TASK_MULTICLASS, p, t);
  const double want[] = { 1, 0, 0,
                          0, 1, 1,
                          1, 1, 1 };

  CU_ASSERT_PTR_NOT_NULL_FATAL (cm);
  CU_ASSERT_EQUAL (cm->rows, 3);
  CU_ASSERT_EQUAL (cm->cols, 3);
  for (guint i = 0; i < 9; i++)
    NN_ASSERT_CMPFLOAT (cm->data[i], want[i], 0, 0);
}

/* Regression, two outputs. Output 0 is scikit-learn's r2_score example:
 * errors -0.5 0.5 0 1, SS_res 1.5, SS_tot 29.1875. Output 1: errors
 * 0.5 0 -1 1, SS_res 2.25, SS_tot 5. */
static const double reg_target[] = { 3, 1, -0.5, 2, 2, 3, 7, 4 };
static const double reg_pred[] = { 2.5, 1.5, 0, 2, 2, 2, 8, 5 };

static void
test_regression (void)
{
  NN_ASSERT_CMPFLOAT (metric ("mae", NN_TASK_REGRESSION, 4, 2, reg_pred, reg_target),
                      (0.5 + 0.625) / 2, TOL, TOL);
  /* The mean of the per-output RMSEs, sqrt(0.375) and sqrt(0.5625). */
  NN_ASSERT_CMPFLOAT (metric ("rmse", NN_TASK_REGRESSION, 4, 2, reg_pred, reg_target),
                      (sqrt (0.375) + 0.75) / 2, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("rmse", NN_TASK_REGRESSION, 4, 2, reg_pred, reg_target),
                      0.68118621784789724, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("r2", NN_TASK_REGRESSION, 4, 2, reg_pred, reg_target),
                      ((1 - 1.5 / 29.1875) + (1 - 2.25 / 5)) / 2, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("r2", NN_TASK_REGRESSION, 4, 2, reg_pred, reg_target),
                      0.74930406852248399, TOL, TOL);
}

static void
test_regression_single_output (void)
{
  const double target[] = { 3, -0.5, 2, 7 };
  const double pred[] = { 2.5, 0, 2, 8 };

  NN_ASSERT_CMPFLOAT (metric ("mae", NN_TASK_REGRESSION, 4, 1, pred, target), 0.5, TOL, TOL);
  NN_ASSERT_CMPFLOAT (metric ("rmse", NN_TASK_REGRESSION, 4, 1, pred, target),
                      sqrt (0.375), TOL, TOL);
  /* sklearn: r2_score([3, -0.5, 2, 7], [2.5, 0.0, 2, 8]) = 0.948... */
  NN_ASSERT_CMPFLOAT (metric ("r2", NN_TASK_REGRESSION, 4, 1, pred, target),
                      0.94860813704496794, TOL, TOL);
}

static void
test_r2_constant_target (void)
{
  const double target[] = { 2, 2, 2 };
  const double exact[] = { 2, 2, 2 };
  const double off[] = { 1, 2, 3 };

  NN_ASSERT_CMPFLOAT (metric ("r2", NN_TASK_REGRESSION, 3, 1, exact, target), 1.0, 0, 0);
  NN_ASSERT_CMPFLOAT (metric ("r2", NN_TASK_REGRESSION, 3, 1, off, target), 0.0, 0, 0);
  /* One row: R² is not defined. */
  CU_ASSERT (isnan (metric ("r2", NN_TASK_REGRESSION, 1, 1, off, target)));
}

static void
test_empty (void)
{
  g_autoptr(NnMatrix) p = nn_matrix_new (0, 1);
  g_autoptr(NnMatrix) t = nn_matrix_new (0, 1);

  CU_ASSERT (isnan (nn_metric_compute ("accuracy", NN_TASK_BINARY, p, t)));
  CU_ASSERT (isnan (nn_metric_compute ("f1", NN_TASK_BINARY, p, t)));
  CU_ASSERT (isnan (nn_metric_compute ("auc", NN_TASK_BINARY, p, t)));
  CU_ASSERT (isnan (nn_metric_compute ("mae", NN_TASK_REGRESSION, p, t)));
}

/* Names */

static void
test_lists (void)
{
  g_auto(GStrv) binary = nn_metrics_list (NN_TASK_BINARY);
  g_auto(GStrv) multiclass = nn_metrics_list (NN_TASK_MULTICLASS);
  g_auto(GStrv) regression = nn_metrics_list (NN_TASK_REGRESSION);
  g_autofree char *b = g_strjoinv (",", binary);
  g_autofree char *m = g_strjoinv (",", multiclass);
  g_autofree char *r = g_strjoinv (",", regression);

  CU_ASSERT_STRING_EQUAL (b, "accuracy,precision,recall,f1,auc");
  CU_ASSERT_STRING_EQUAL (m, "accuracy,precision,recall,f1");
  CU_ASSERT_STRING_EQUAL (r, "mae,rmse,r2");
}

static void
test_valid_names (void)
{
  g_autoptr(GError) error = NULL;

  CU_ASSERT_TRUE (nn_metric_is_valid ("f1", NN_TASK_MULTICLASS, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (nn_metric_is_valid ("auc", NN_TASK_BINARY, &error));
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE (nn_metric_is_valid ("r2", NN_TASK_REGRESSION, &error));
  NN_ASSERT_NO_ERROR (error);
}

static void
test_unknown_name (void)
{
  g_autoptr(GError) error = NULL;

  CU_ASSERT_FALSE (nn_metric_is_valid ("acuracy", NN_TASK_BINARY, &error));
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_UNKNOWN_TYPE);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "unknown metric 'acuracy'"));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "did you mean 'accuracy'?"));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "'auc'"));
  g_clear_error (&error);

  /* Nothing close: no suggestion, only the list. */
  CU_ASSERT_FALSE (nn_metric_is_valid ("perplexity", NN_TASK_REGRESSION, &error));
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_UNKNOWN_TYPE);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_PTR_NULL (strstr (error->message, "did you mean"));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "'mae', 'rmse', 'r2'"));
}

static void
test_wrong_task (void)
{
  g_autoptr(GError) error = NULL;

  CU_ASSERT_FALSE (nn_metric_is_valid ("f1", NN_TASK_REGRESSION, &error));
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "'f1' is for classification"));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "regression"));
  g_clear_error (&error);

  CU_ASSERT_FALSE (nn_metric_is_valid ("auc", NN_TASK_MULTICLASS, &error));
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE);
  g_clear_error (&error);

  CU_ASSERT_FALSE (nn_metric_is_valid ("rmse", NN_TASK_BINARY, &error));
  NN_ASSERT_ERROR (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_INVALID_VALUE);
}

static void
test_direction (void)
{
  CU_ASSERT_TRUE (nn_metric_greater_is_better ("accuracy"));
  CU_ASSERT_TRUE (nn_metric_greater_is_better ("auc"));
  CU_ASSERT_TRUE (nn_metric_greater_is_better ("r2"));
  CU_ASSERT_FALSE (nn_metric_greater_is_better ("mae"));
  CU_ASSERT_FALSE (nn_metric_greater_is_better ("rmse"));
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("binary classification metrics", NULL, NULL);
  CU_add_test (suite, "accuracy, precision, recall and f1 from hand-counted TP, FP, FN",
               test_binary_counts);
  CU_add_test (suite, "an output of exactly 0.5 is class 1", test_binary_threshold);
  CU_add_test (suite, "auc is the share of positive-negative pairs ordered right",
               test_binary_auc);
  CU_add_test (suite, "tied scores count half in auc", test_auc_ties);
  CU_add_test (suite, "auc with many ties matches the ROC trapezoid", test_auc_many_ties);
  CU_add_test (suite, "one class only: auc is NaN, the others are defined",
               test_single_class);
  CU_add_test (suite, "a zero denominator gives 0, as zero_division=0", test_zero_division);
  CU_add_test (suite, "the binary confusion matrix has true classes in rows",
               test_binary_confusion);
  CU_add_test (suite, "every metric of zero rows is NaN", test_empty);

  suite = CU_add_suite ("multiclass classification metrics", NULL, NULL);
  CU_add_test (suite, "precision, recall and f1 are macro averages over classes",
               test_multiclass_macro);
  CU_add_test (suite, "a class absent from targets and predictions is left out of the average",
               test_multiclass_absent_class);
  CU_add_test (suite, "equal largest outputs predict the first class",
               test_multiclass_argmax_tie);
  CU_add_test (suite, "the multiclass confusion matrix counts true by predicted class",
               test_multiclass_confusion);

  suite = CU_add_suite ("regression metrics", NULL, NULL);
  CU_add_test (suite, "mae, rmse and r2 of two outputs are uniform averages",
               test_regression);
  CU_add_test (suite, "mae, rmse and r2 of scikit-learn's r2_score example",
               test_regression_single_output);
  CU_add_test (suite, "r2 of a constant target is 1 when exact and 0 otherwise",
               test_r2_constant_target);

  suite = CU_add_suite ("metric names", NULL, NULL);
  CU_add_test (suite, "each task lists its metrics", test_lists);
  CU_add_test (suite, "a metric of the task is valid", test_valid_names);
  CU_add_test (suite, "an unknown metric fails with a suggestion and the task's metrics",
               test_unknown_name);
  CU_add_test (suite, "a metric of another task is an invalid value", test_wrong_task);
  CU_add_test (suite, "mae and rmse are better smaller, the others larger", test_direction);

  return nn_test_run ();
}
