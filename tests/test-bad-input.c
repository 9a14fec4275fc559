/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Malformed input of every kind, through nnrun as a user would give it:
 * each must exit with status 2, say what is wrong and where, and write no
 * run directory. */
#include <string.h>

#include "nn-test.h"

/* Ten rows of a small classification table. */
#define GOOD_CSV "a,b,label\n1,2,x\n2,1,y\n3,4,x\n4,3,y\n5,6,x\n6,5,y\n7,8,x\n8,7,y\n9,9,x\n0,1,y\n"

/* A valid experiment on data.csv; @extra is appended (YAML keys). */
#define EXPERIMENT(data, extra) \
  "data: {source: " data "}\n" \
  "model: {layers: [{units: 4, activation: tanh}, {units: 1, activation: sigmoid}]}\n" \
  "train: {epochs: 2}\n" extra

/* The same with a weight column w, the row of a 'x' first. */
#define WEIGHT_CSV(first) \
  "a,b,label,w\n1,2,x," first "\n2,1,y,1\n3,4,x,1\n4,3,y,2\n5,6,x,1\n6,5,y,1\n7,8,x,1\n8,7,y,1\n"

/* An experiment on data.csv with @train's keys in its train section. */
#define WEIGHTED(data, train) \
  "data: {source: " data "}\n" \
  "model: {layers: [{units: 4, activation: tanh}, {units: 1, activation: sigmoid}]}\n" \
  "train: {epochs: 2, " train "}\n"

/* A table with a text column, colour, and missing values in hp. */
#define TABLE_CSV \
  "colour,hp,label\nred,1,x\nblue,NA,y\nred,3,x\ngreen,4,y\nblue,5,x\nred,,y\ngreen,7,x\nblue,8,y\n"

/* An experiment on TABLE_CSV as data.csv, with @keys in its data section. */
#define TABULAR(keys) \
  "data:\n  source: {csv: data.csv, target: label}\n" keys \
  "model: {layers: [{units: 4, activation: tanh}, {units: 1, activation: sigmoid}]}\n" \
  "train: {epochs: 2}\n"

typedef struct
{
  const char *name;
  const char *content;
  gsize       length; /* 0: the length of the string */
} CaseFile;

typedef struct
{
  const char *what;
  CaseFile    files[4];
  const char *args[8]; /* "@" stands for the case's folder + '/' */
  const char *needle;  /* in stderr */
} BadCase;

/* clang-format off */
static const BadCase cases[] = {
  /* experiment files */
  { "malformed YAML", { { "e.yaml", "data: [\n" } }, { "train", "@e.yaml" },
    "e.yaml:2:1: error: did not find expected" },
  { "unknown top-level key", { { "e.yaml", "optimiser: sgd\n" } }, { "train", "@e.yaml" },
    "did you mean 'optimizer'?" },
  { "units not a number", { { "data.csv", GOOD_CSV }, { "e.yaml", "data: {source: {csv: data.csv, target: label}}\nmodel: {layers: [{units: abc}]}\n" } },
    { "train", "@e.yaml" }, "e.yaml:2:26: error: model.layers[0].units must be a whole number" },
  { "units zero", { { "data.csv", GOOD_CSV }, { "e.yaml", "data: {source: {csv: data.csv, target: label}}\nmodel: {layers: [{units: 0}]}\n" } },
    { "train", "@e.yaml" }, "must be between 1 and" },
  { "duplicate key", { { "e.yaml", "seed: 1\nseed: 2\n" } }, { "train", "@e.yaml" },
    "e.yaml:2:1: error: duplicate key 'seed'" },
  { "unknown activation", { { "data.csv", GOOD_CSV }, { "e.yaml", "data: {source: {csv: data.csv, target: label}}\n"
      "model: {layers: [{units: 1, activation: sigmod}]}\n" } },
    { "train", "@e.yaml" }, "did you mean 'sigmoid'?" },
  { "plugin parameter out of range", { { "data.csv", GOOD_CSV }, { "e.yaml", "data: {source: {csv: data.csv, target: label}}\n"
      "model: {layers: [{units: 1, activation: {name: leaky_relu, alpha: 5}}]}\n" } },
    { "train", "@e.yaml" }, "must be between 0 and 1, not 5" },
  { "negative l1", { { "data.csv", GOOD_CSV }, { "e.yaml", "data: {source: {csv: data.csv, target: label}}\n"
      "model: {layers: [{units: 1, activation: sigmoid, regularizer: {l1: -0.1}}]}\n" } },
    { "validate", "@e.yaml" }, "e.yaml:2:68: error: model.layers[0].regularizer.l1 must be 0 or more, not -0.1" },
  { "negative l2", { { "data.csv", GOOD_CSV }, { "e.yaml", "data: {source: {csv: data.csv, target: label}}\n"
      "model: {layers: [{units: 1, activation: sigmoid, regularizer: {l1: 0, l2: -1}}]}\n" } },
    { "train", "@e.yaml" }, "e.yaml:2:75: error: model.layers[0].regularizer.l2 must be 0 or more" },
  { "l2 not a number", { { "data.csv", GOOD_CSV }, { "e.yaml", "data: {source: {csv: data.csv, target: label}}\n"
      "model: {layers: [{units: 1, activation: sigmoid, regularizer: {l2: small}}]}\n" } },
    { "validate", "@e.yaml" }, "e.yaml:2:68: error: model.layers[0].regularizer.l2 must be a decimal number, not 'small'" },
  { "unknown regularizer key", { { "data.csv", GOOD_CSV }, { "e.yaml", "data: {source: {csv: data.csv, target: label}}\n"
      "model: {layers: [{units: 1, activation: sigmoid, regularizer: {l2: 0.1, l3: 1}}]}\n" } },
    { "train", "@e.yaml" }, "e.yaml:2:73: error: unknown key 'l3' in model.layers[0].regularizer; did you mean" },
  { "regularizer not a mapping", { { "data.csv", GOOD_CSV }, { "e.yaml", "data: {source: {csv: data.csv, target: label}}\n"
      "model: {layers: [{units: 1, activation: sigmoid, regularizer: 0.01}]}\n" } },
    { "validate", "@e.yaml" }, "e.yaml:2:63: error: model.layers[0].regularizer must be a mapping, not a scalar" },
  { "weights with the wrong rows", { { "data.csv", GOOD_CSV }, { "e.yaml", "data: {source: {csv: data.csv, target: label}}\n"
      "model: {layers: [{units: 1, activation: sigmoid, weights: [[1, 2], [3, 4]]}]}\n" } },
    { "train", "@e.yaml" }, "has 2 rows, the layer has 1 neurons" },
  { "bias of the wrong length", { { "data.csv", GOOD_CSV }, { "e.yaml", "data: {source: {csv: data.csv, target: label}}\n"
      "model: {layers: [{units: 1, activation: sigmoid, bias: [0, 0, 0]}]}\n" } },
    { "train", "@e.yaml" }, "has 3 values, the layer has 1 neurons" },
  { "output layer too wide", { { "e.yaml", "data: {source: iris}\nmodel: {layers: [{units: 2, activation: softmax}]}\n" } },
    { "train", "@e.yaml" }, "the output layer has 2 units" },
  { "positive label not a class", { { "e.yaml", "data: {source: iris, positive: rose}\nmodel: {layers: [{units: 1}]}\n" } },
    { "train", "@e.yaml" }, "positive label 'rose' is not a class" },
  { "no data section", { { "e.yaml", "seed: 3\n" } }, { "train", "@e.yaml" },
    "needs a 'data' section" },
  { "empty experiment file", { { "e.yaml", "" } }, { "train", "@e.yaml" },
    "holds no experiment" },
  { "missing experiment file", { { NULL } }, { "train", "@missing.yaml" }, "missing.yaml" },
  { "csv source file missing", { { "e.yaml", EXPERIMENT ("{csv: nowhere.csv, target: label}", "") } }, { "train", "@e.yaml" }, "no such file" },
  { "nesting too deep", { { "e.yaml", "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n" } }, { "train", "@e.yaml" }, "nested more than 64 levels deep" },
  { "validation fraction out of range", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}, split: {validation: 1.5}", "") } },
    { "train", "@e.yaml" }, "data.split.validation must be between 0 and 0.99" },
  { "nothing left to train on", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}, split: {validation: 0.5, test: 0.5}", "") } }, { "train", "@e.yaml" }, "leave nothing to train on" },
  { "unknown metric", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "metrics: [acuracy]\n") } },
    { "train", "@e.yaml" }, "acuracy" },
  { "regression metric on a classification", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "metrics: [r2]\n") } },
    { "train", "@e.yaml" }, "r2" },
  { "nesterov without momentum", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "optimizer: {name: sgd, nesterov: true}\n") } }, { "train", "@e.yaml" }, "nesterov" },
  { "adam beta1 out of range", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "optimizer: {name: adam, beta1: 1.5}\n") } }, { "train", "@e.yaml" }, "parameter 'beta1' must be between 0 and" },
  { "unknown loss", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "loss: cross_entropy\n") } },
    { "train", "@e.yaml" }, "unknown loss 'cross_entropy'" },
  { "regression on class labels", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}, task: regression", "") } },
    { "train", "@e.yaml" }, "a regression needs numeric targets" },
  { "test split and test source", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}, test: {csv: data.csv, target: label}, "
                  "split: {test: 0.2}", "") } },
    { "train", "@e.yaml" }, "give either data.test or a test fraction" },
  { "idx source naming columns", { { "e.yaml", EXPERIMENT ("{idx: {images: a, labels: b}, target: label}", "") } },
    { "train", "@e.yaml" }, "an idx source has no columns to name" },
  /* CSV data */
  { "a word in a number column", { { "data.csv", "a,b,label\n1,2,x\n3,four,y\n" }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "") } },
    { "train", "@e.yaml" }, "data.csv:3:3: error:" },
  { "a ragged row", { { "data.csv", "a,b,label\n1,2,x\n3,4\n" }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "") } },
    { "train", "@e.yaml" }, "data.csv:3:" },
  { "a header and no rows", { { "data.csv", "a,b,label\n" }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "") } },
    { "train", "@e.yaml" }, "data.csv:" },
  { "NaN in the data", { { "data.csv", "a,b,label\n1,nan,x\n2,3,y\n" }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "") } },
    { "train", "@e.yaml" }, "data.csv:2:3: error:" },
  { "missing target column", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: lable}", "") } },
    { "train", "@e.yaml" }, "did you mean 'label'?" },
  { "empty CSV file", { { "data.csv", "" }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "") } },
    { "train", "@e.yaml" }, "data.csv" },
  { "duplicate column name", { { "data.csv", "a,a,label\n1,2,x\n" }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "") } },
    { "train", "@e.yaml" }, "data.csv:1:3: error:" },
  { "a test label unseen in training", { { "data.csv", GOOD_CSV }, { "test.csv", "a,b,label\n1,2,z\n" }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}, test: {csv: test.csv, target: label}",
                            "") } },
    { "train", "@e.yaml" }, "'z' in the test data is not a class of the training data" },
  /* IDX data */
  { "IDX file with a wrong magic number", { { "i", "\x00\x00\x0d\x03\x00\x00\x00\x01", 8 },
      { "l", "\x00\x00\x08\x01\x00\x00\x00\x01\x01", 9 },
      { "e.yaml", EXPERIMENT ("{idx: {images: i, labels: l}}", "") } },
    { "train", "@e.yaml" }, "i: error: at byte" },
  { "truncated IDX images", { { "i", "\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02\x01", 17 },
      { "l", "\x00\x00\x08\x01\x00\x00\x00\x02\x01\x00", 10 },
      { "e.yaml", EXPERIMENT ("{idx: {images: i, labels: l}}", "") } },
    { "train", "@e.yaml" }, "error: at byte" },
  { "IDX data with categorical columns", { { "i", "" }, { "l", "" },
      { "e.yaml", EXPERIMENT ("{idx: {images: i, labels: l}}, categorical: auto", "") } },
    { "validate", "@e.yaml" }, "e.yaml:1:60: error: an idx source has no columns to impute or encode" },
  /* the command line */
  { "--set into a list past its end", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "") } },
    { "train", "@e.yaml", "--set", "model.layers.7.units=3" }, "is a list of 2 items" },
  { "--set without a value", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "") } },
    { "validate", "@e.yaml", "--set", "seed" }, "expected KEY=VALUE" },
  { "--set with a bad value", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label}", "") } },
    { "validate", "@e.yaml", "--set", "train.epochs=-3" }, "--set train.epochs=-3: error:" },
  /* class and sample weights */
  { "class weight for a label the data lack", { { "data.csv", GOOD_CSV }, { "e.yaml", WEIGHTED ("{csv: data.csv, target: label}", "class_weight: {x: 1.0, z: 2.0}") } },
    { "validate", "@e.yaml" }, "e.yaml:3:43: error: train.class_weight names class 'z', which the data do not have; the classes are 'x', 'y'" },
  { "class weight of 0", { { "data.csv", GOOD_CSV }, { "e.yaml", WEIGHTED ("{csv: data.csv, target: label}", "class_weight: {x: 0, y: 1}") } },
    { "train", "@e.yaml" }, "e.yaml:3:38: error: the weight of class 'x' must be positive, not 0" },
  { "negative class weight", { { "data.csv", GOOD_CSV }, { "e.yaml", WEIGHTED ("{csv: data.csv, target: label}", "class_weight: {y: -2}") } },
    { "validate", "@e.yaml" }, "e.yaml:3:38: error: the weight of class 'y' must be positive, not -2" },
  { "class weight not a number", { { "data.csv", GOOD_CSV }, { "e.yaml", WEIGHTED ("{csv: data.csv, target: label}", "class_weight: {x: heavy}") } },
    { "validate", "@e.yaml" }, "e.yaml:3:38: error: the weight of class 'x' must be a decimal number" },
  { "class weight neither balanced nor a mapping", { { "data.csv", GOOD_CSV }, { "e.yaml", WEIGHTED ("{csv: data.csv, target: label}", "class_weight: equal") } },
    { "validate", "@e.yaml" }, "e.yaml:3:34: error: train.class_weight must be 'balanced' or a mapping" },
  { "class weight of a regression", { { "data.csv", "a,y\n1,0.5\n2,1.5\n3,2.5\n4,3.5\n" }, { "e.yaml", "data: {source: {csv: data.csv, target: y}, task: regression}\n"
      "model: {layers: [{units: 1, activation: linear}]}\ntrain: {class_weight: balanced}\n" } },
    { "train", "@e.yaml" }, "e.yaml:3:23: error: train.class_weight is for a classification, and the task is a regression" },
  { "negative sample weight", { { "data.csv", WEIGHT_CSV ("-1") }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label, weight: w}", "") } },
    { "validate", "@e.yaml" }, "data.csv:2:7: error: weight -1 in column 'w' is negative" },
  { "sample weight not a number", { { "data.csv", WEIGHT_CSV ("one") }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label, weight: w}", "") } },
    { "train", "@e.yaml" }, "data.csv:2:7: error: 'one' in column 'w' is not a number" },
  { "weight column missing", { { "data.csv", GOOD_CSV }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label, weight: w}", "") } },
    { "validate", "@e.yaml" }, "data.csv:1:1: error: no weight column 'w'" },
  { "weight column also a target", { { "data.csv", WEIGHT_CSV ("1") }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label, weight: label}", "") } },
    { "validate", "@e.yaml" }, "data.csv:1:5: error: column 'label' is a target, so it cannot be the weight" },
  { "weight column of the iris source", { { "e.yaml", "data: {source: {builtin: iris, weight: w}}\nmodel: {layers: [{units: 3, activation: softmax}]}\n" } },
    { "validate", "@e.yaml" }, "e.yaml:1:40: error: data.source.weight names a column of a csv source" },
  { "every sample weight 0", { { "data.csv", "a,b,label,w\n1,2,x,0\n2,1,y,0\n3,4,x,0\n4,3,y,0\n" }, { "e.yaml", EXPERIMENT ("{csv: data.csv, target: label, weight: w}", "") } },
    { "train", "@e.yaml" }, "e.yaml:1:55: error: every sample of the training part has a weight of 0" },
  /* tabular data as it comes */
  { "text in a numeric column", { { "data.csv", TABLE_CSV }, { "e.yaml", TABULAR ("") } },
    { "validate", "@e.yaml" }, "data.csv:2:1: error: 'red' in column 'colour' is not a number; to one-hot encode it, add `categorical: auto`" },
  { "missing value without imputation", { { "data.csv", TABLE_CSV }, { "e.yaml", TABULAR ("  categorical: auto\n") } },
    { "train", "@e.yaml" }, "data.csv:3:6: error: missing value in column 'hp', which has no imputation; add `columns: {hp: {impute: median}}`" },
  { "a column data.columns names is no column", { { "data.csv", TABLE_CSV }, { "e.yaml", TABULAR ("  categorical: auto\n  columns: {hpp: {impute: median}}\n") } },
    { "validate", "@e.yaml" }, "e.yaml:4:13: error: data.columns names 'hpp', which is no feature column (did you mean 'hp'?)" },
  { "data.columns names the target", { { "data.csv", TABLE_CSV }, { "e.yaml", TABULAR ("  categorical: auto\n  columns: {label: {impute: median}}\n") } },
    { "validate", "@e.yaml" }, "e.yaml:4:13: error: column 'label' is a target" },
  { "the mean of a text column", { { "data.csv", TABLE_CSV }, { "e.yaml", TABULAR ("  categorical: auto\n  columns: {colour: {impute: mean}, hp: {impute: mean}}\n") } },
    { "validate", "@e.yaml" }, "e.yaml:4:30: error: impute: mean needs numbers, but column 'colour' is text" },
  { "the median of a text column read as numbers", { { "data.csv", TABLE_CSV }, { "e.yaml", TABULAR ("  columns: {colour: {impute: median}, hp: {impute: mean}}\n") } },
    { "validate", "@e.yaml" }, "e.yaml:3:30: error: impute: median needs numbers, but column 'colour' is text" },
  { "text in a column with a rule", { { "data.csv", TABLE_CSV }, { "e.yaml", TABULAR ("  columns: {colour: {impute: most_frequent}, hp: {impute: mean}}\n") } },
    { "validate", "@e.yaml" }, "e.yaml:3:13: error: column 'colour' holds text such as 'red'" },
  { "text in a column said to be numeric", { { "data.csv", TABLE_CSV }, { "e.yaml", TABULAR ("  categorical: auto\n  columns: {colour: numeric, hp: {impute: mean}}\n") } },
    { "validate", "@e.yaml" }, "e.yaml:4:13: error: column 'colour' is to be numeric, but it holds text such as 'red'" },
  { "a constant that is not a number", { { "data.csv", TABLE_CSV }, { "e.yaml", TABULAR ("  categorical: auto\n  columns: {hp: {impute: {constant: many}}}\n") } },
    { "validate", "@e.yaml" }, "e.yaml:4:26: error: the constant 'many' is not a number, but column 'hp' holds numbers" },
  { "an unknown impute strategy", { { "data.csv", TABLE_CSV }, { "e.yaml", TABULAR ("  categorical: auto\n  columns: {hp: {impute: medain}}\n") } },
    { "validate", "@e.yaml" }, "e.yaml:4:26: error: unknown data.columns.hp.impute 'medain' (did you mean 'median'?)" },
  { "data.categorical neither auto nor none", { { "data.csv", TABLE_CSV }, { "e.yaml", TABULAR ("  categorical: maybe\n") } },
    { "validate", "@e.yaml" }, "e.yaml:3:16: error: data.categorical must be 'auto'" },
  { "a missing target", { { "data.csv", "colour,hp,label\nred,1,x\nblue,2,NA\nred,3,x\ngreen,4,y\n" }, { "e.yaml", TABULAR ("  categorical: auto\n") } },
    { "validate", "@e.yaml" }, "data.csv:3:8: error: missing value in target column 'label'" },
  { "unknown command", { { NULL } }, { "tarin", "x.yaml" }, "unknown command 'tarin'" },
  { "unknown option", { { NULL } }, { "train", "--epochs", "3", "x.yaml" }, "Unknown option" },
  { "train without a file", { { NULL } }, { "train" }, "train needs an experiment file" },
  { "validate with two files", { { NULL } }, { "validate", "a.yaml", "b.yaml" }, "one experiment file" },
  { "predict without input", { { NULL } }, { "predict", "@" }, "takes a model and a CSV file" },
  /* saved models */
  { "eval of a folder without a model", { { NULL } }, { "eval", "@", "iris" }, "model.yaml" },
  { "a model file of another format", { { "model.yaml", "format: other\n" } },
    { "eval", "@", "iris" }, "model.yaml:1:9: error: format 'other'" },
  { "a model file that is not YAML", { { "model.yaml", "format: [\n" } },
    { "eval", "@model.yaml", "iris" }, "model.yaml:2:1: error:" },
  { "predict input that is no file", { { "model.yaml", "format: nn-model/1\n" } },
    { "predict", "@", "@nothing.csv" }, "error" },
};
/* clang-format on */

static void
write_case_files (const BadCase *c,
                  const char    *dir)
{
  for (guint i = 0; i < G_N_ELEMENTS (c->files) && c->files[i].name != NULL; i++)
    {
      g_autofree char *path = g_build_filename (dir, c->files[i].name, NULL);
      gsize            len = c->files[i].length ? c->files[i].length : strlen (c->files[i].content);

      g_assert (g_file_set_contents (path, c->files[i].content, (gssize) len, NULL));
    }
}

static void
test_every_bad_input_exits_2 (void)
{
  guint checked = 0;

  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      const BadCase   *c = &cases[k];
      g_autofree char *dir = nn_test_new_dir ();
      g_autofree char *run = g_build_filename (dir, "run", NULL);
      g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *err = NULL;
      int              status;

      write_case_files (c, dir);
      for (guint i = 0; i < G_N_ELEMENTS (c->args) && c->args[i] != NULL; i++)
        g_ptr_array_add (args, c->args[i][0] == '@'
                                 ? g_strconcat (dir, "/", c->args[i] + 1, NULL)
                                 : g_strdup (c->args[i]));
      if (g_str_equal (c->args[0], "train"))
        {
          g_ptr_array_add (args, g_strdup ("--out"));
          g_ptr_array_add (args, g_strdup (run));
        }
      g_ptr_array_add (args, NULL);

      status = nn_test_nnrun_argv (NULL, &err, (const char * const *) args->pdata);
      NN_CHECK (status == 2, "%s: exit status %d, stderr: %s", c->what, status, err);
      NN_CHECK (err != NULL && g_str_has_prefix (err, "nnrun: ") && strstr (err, c->needle) != NULL,
                "%s: '%s' not in: %s", c->what, c->needle, err);
      NN_CHECK (!g_file_test (run, G_FILE_TEST_EXISTS), "%s: a run directory was written",
                c->what);
      checked++;
    }
  CU_ASSERT (checked >= 40);
}

/* More categories than NN_MAX_CATEGORIES in the training part. */
static void
test_too_many_categories (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autoptr(GString) csv = g_string_new ("colour,label\n");
  g_autofree char *data = NULL;
  g_autofree char *yaml = NULL;
  g_autofree char *err = NULL;
  int              status;

  for (guint i = 0; i <= NN_MAX_CATEGORIES; i++)
    g_string_append_printf (csv, "c%u,%c\n", i, i % 2 ? 'x' : 'y');
  data = nn_test_write_file (dir, "data.csv", csv->str);
  yaml = nn_test_write_file (dir, "e.yaml",
                             TABULAR ("  categorical: auto\n  split: {validation: 0}\n"));
  status = nn_test_nnrun (NULL, &err, "validate", yaml, NULL);
  NN_ASSERT_STATUS (status, 2, err);
  NN_ASSERT_CONTAINS (err, "e.yaml:3:16: error: column 'colour' has 65537 categories in the "
                           "training part, more than the 65536 a categorical column may have "
                           "(NN_MAX_CATEGORIES)");
}

/* The domains' names are what g_quark_to_string() shows in a log or a
 * debugger, in GLib's form ("g-file-error-quark"). */
static void
test_error_domain_names (void)
{
  CU_ASSERT_STRING_EQUAL (g_quark_to_string (NN_PLUGIN_ERROR), "nn-plugin-error-quark");
  CU_ASSERT_STRING_EQUAL (g_quark_to_string (NN_CONFIG_ERROR), "nn-config-error-quark");
  CU_ASSERT_STRING_EQUAL (g_quark_to_string (NN_MODEL_ERROR), "nn-model-error-quark");
  CU_ASSERT_STRING_EQUAL (g_quark_to_string (NN_DATA_ERROR), "nn-data-error-quark");
}

int
main (void)
{
  CU_pSuite s;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  s = CU_add_suite ("bad input through nnrun", nn_test_init_plugins, nn_test_remove_scratch);
  CU_add_test (s, "every malformed input exits 2 with a message and writes nothing",
               test_every_bad_input_exits_2);
  CU_add_test (s, "a categorical column has at most NN_MAX_CATEGORIES categories",
               test_too_many_categories);
  CU_add_test (s, "the error domains are named as GLib names its own", test_error_domain_names);

  return nn_test_run ();
}
