/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sweep files: an experiment, the keys to vary and how, read into the
 * list of trials. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "nn-errors.h"
#include "nn-experiment.h"
#include "nn-sweep-private.h"
#include "nn-utils-private.h"

/**
 * NnSweep:
 *
 * A sweep file read: the experiment it varies, its trials (one value for
 * each swept key, as `nnrun train --set` takes it), the runs of each trial
 * and the metric that ranks them.
 */
G_DEFINE_FINAL_TYPE (NnSweep, nn_sweep, G_TYPE_OBJECT)

static const char * const sweep_keys[] = {
  "experiment", "method", "trials", "seed", "parameters", "repeats", "folds", "metric",
  "output", NULL
};

static void
param_free (gpointer data)
{
  NnSweepParam *p = data;

  g_free (p->key);
  g_clear_pointer (&p->values, g_ptr_array_unref);
  g_clear_pointer (&p->value_nodes, g_ptr_array_unref);
  g_free (p);
}

static void
trial_free (gpointer data)
{
  NnSweepTrial *t = data;

  g_strfreev (t->values);
  g_free (t->nodes);
  g_free (t);
}

static void
nn_sweep_finalize (GObject *object)
{
  NnSweep *self = NN_SWEEP (object);

  g_free (self->path);
  g_clear_pointer (&self->doc, nn_yaml_doc_free);
  g_free (self->experiment_path);
  g_free (self->metric);
  g_free (self->output_dir);
  g_ptr_array_unref (self->params);
  g_strfreev (self->param_keys);
  g_ptr_array_unref (self->trials);
  g_strfreev (self->metric_columns);
  G_OBJECT_CLASS (nn_sweep_parent_class)->finalize (object);
}

static void
nn_sweep_class_init (NnSweepClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = nn_sweep_finalize;
}

static void
nn_sweep_init (NnSweep *self)
{
  self->params = g_ptr_array_new_with_free_func (param_free);
  self->trials = g_ptr_array_new_with_free_func (trial_free);
  self->repeats = 1;
}

/* A scalar as YAML that reads back as the same value: plain as written
 * when that is safe inside a flow collection, else single-quoted. */
static void
append_scalar (GString     *out,
               yaml_node_t *node)
{
  const char *text = (const char *) node->data.scalar.value;

  if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && *text != '\0' &&
      strpbrk (text, ",[]{}#'\"") == NULL && strstr (text, ": ") == NULL)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '\'');
  for (const char *c = text; *c != '\0'; c++)
    {
      if (*c == '\'')
        g_string_append_c (out, '\'');
      g_string_append_c (out, *c);
    }
  g_string_append_c (out, '\'');
}

/* @node as flow YAML, the text of a --set value. */
static void
append_node (GString     *out,
             NnYamlDoc   *doc,
             yaml_node_t *node)
{
  if (node->type == YAML_SCALAR_NODE)
    append_scalar (out, node);
  else if (node->type == YAML_SEQUENCE_NODE)
    {
      g_string_append_c (out, '[');
      for (guint i = 0; i < nn_yaml_n_items (node); i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          append_node (out, doc, nn_yaml_item (doc, node, i));
        }
      g_string_append_c (out, ']');
    }
  else if (node->type == YAML_MAPPING_NODE)
    {
      g_string_append_c (out, '{');
      for (guint i = 0; i < nn_yaml_n_pairs (node); i++)
        {
          NnYamlPair pair = nn_yaml_pair (doc, node, i);

          if (i > 0)
            g_string_append (out, ", ");
          append_node (out, doc, pair.key_node);
          g_string_append (out, ": ");
          append_node (out, doc, pair.value);
        }
      g_string_append_c (out, '}');
    }
}

static gboolean
read_values (NnSweep      *self,
             NnSweepParam *p,
             yaml_node_t  *list,
             GError      **error)
{
  if (list->type != YAML_SEQUENCE_NODE || nn_yaml_n_items (list) == 0)
    {
      nn_yaml_set_error (error, self->doc, list, NN_CONFIG_ERROR_INVALID_VALUE,
                         "the values of '%s' must be a list of at least one value, "
                         "such as [0.1, 0.01]",
                         p->key);
      return FALSE;
    }
  p->values = g_ptr_array_new_with_free_func (g_free);
  p->value_nodes = g_ptr_array_new ();
  for (guint i = 0; i < nn_yaml_n_items (list); i++)
    {
      yaml_node_t *item = nn_yaml_item (self->doc, list, i);
      GString     *text = g_string_new (NULL);

      append_node (text, self->doc, item);
      g_ptr_array_add (p->values, g_string_free (text, FALSE));
      g_ptr_array_add (p->value_nodes, item);
    }
  return TRUE;
}

/* min, max, scale and integer of a range to sample. */
static gboolean
read_range (NnSweep      *self,
            NnSweepParam *p,
            GError      **error)
{
  g_autofree char *what = g_strdup_printf ("parameters.%s", p->key);
  yaml_node_t     *min = nn_yaml_lookup (self->doc, p->node, "min");
  yaml_node_t     *max = nn_yaml_lookup (self->doc, p->node, "max");
  yaml_node_t     *scale = nn_yaml_lookup (self->doc, p->node, "scale");
  yaml_node_t     *integer = nn_yaml_lookup (self->doc, p->node, "integer");
  const char      *scale_name = "linear";

  if (min == NULL || max == NULL)
    {
      nn_yaml_set_error (error, self->doc, p->node, NN_CONFIG_ERROR_MISSING_KEY,
                         "'%s' needs either values: [...] or both min and max", p->key);
      return FALSE;
    }
  if (!nn_yaml_get_double (self->doc, min, "min", -G_MAXDOUBLE, G_MAXDOUBLE, &p->min, error) ||
      !nn_yaml_get_double (self->doc, max, "max", -G_MAXDOUBLE, G_MAXDOUBLE, &p->max, error))
    return FALSE;
  if (scale != NULL && !nn_yaml_get_string (self->doc, scale, "scale", &scale_name, error))
    return FALSE;
  if (integer != NULL && !nn_yaml_get_bool (self->doc, integer, "integer", &p->integer, error))
    return FALSE;
  if (!g_str_equal (scale_name, "linear") && !g_str_equal (scale_name, "log"))
    {
      nn_yaml_set_error (error, self->doc, scale, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s.scale must be 'linear' or 'log', not '%s'", what, scale_name);
      return FALSE;
    }
  p->log = g_str_equal (scale_name, "log");
  if (p->min > p->max)
    {
      nn_yaml_set_error (error, self->doc, min, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s.min (%g) is larger than its max (%g)", what, p->min, p->max);
      return FALSE;
    }
  if (p->log && p->min <= 0)
    {
      nn_yaml_set_error (error, self->doc, min, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s: a log scale needs bounds above 0, not min %g", what, p->min);
      return FALSE;
    }
  if (p->integer && (p->min != floor (p->min) || p->max != floor (p->max)))
    {
      nn_yaml_set_error (error, self->doc, p->min != floor (p->min) ? min : max,
                         NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s: integer: true needs whole bounds", what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_param (NnSweep   *self,
            NnYamlPair pair,
            GError   **error)
{
  static const char * const keys[] = { "values", "min", "max", "scale", "integer", NULL };
  g_autofree char          *what = g_strdup_printf ("parameters.%s", pair.key);
  NnSweepParam             *p = g_new0 (NnSweepParam, 1);
  yaml_node_t              *values;

  g_ptr_array_add (self->params, p);
  p->key = g_strdup (pair.key);
  p->key_node = pair.key_node;
  p->node = pair.value;
  if (!nn_yaml_check_mapping (self->doc, pair.value, what, keys, error))
    return FALSE;
  values = nn_yaml_lookup (self->doc, pair.value, "values");
  if (values != NULL)
    {
      if (nn_yaml_n_pairs (pair.value) > 1)
        {
          nn_yaml_set_error (error, self->doc, pair.value, NN_CONFIG_ERROR_INVALID_VALUE,
                             "'%s' has values: a list takes no min, max, scale or integer",
                             pair.key);
          return FALSE;
        }
      return read_values (self, p, values, error);
    }
  if (!self->random)
    {
      nn_yaml_set_error (error, self->doc, pair.value, NN_CONFIG_ERROR_INVALID_VALUE,
                         "a grid takes values: [...] for '%s'; min and max are for "
                         "method: random",
                         pair.key);
      return FALSE;
    }
  return read_range (self, p, error);
}

static gboolean
read_parameters (NnSweep     *self,
                 yaml_node_t *node,
                 GError     **error)
{
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);

  if (node == NULL)
    {
      nn_yaml_set_error (error, self->doc, nn_yaml_root (self->doc),
                         NN_CONFIG_ERROR_MISSING_KEY,
                         "missing key 'parameters': the experiment keys to vary");
      return FALSE;
    }
  if (!nn_yaml_check_mapping (self->doc, node, "parameters", NULL, error))
    return FALSE;
  if (nn_yaml_n_pairs (node) == 0)
    {
      nn_yaml_set_error (error, self->doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "parameters must name at least one key to vary");
      return FALSE;
    }
  for (guint i = 0; i < nn_yaml_n_pairs (node); i++)
    {
      NnYamlPair pair = nn_yaml_pair (self->doc, node, i);

      if (!read_param (self, pair, error))
        return FALSE;
      g_ptr_array_add (keys, g_strdup (pair.key));
    }
  g_ptr_array_add (keys, NULL);
  self->param_keys = (GStrv) g_ptr_array_steal (keys, NULL);
  return TRUE;
}

static gboolean
read_method (NnSweep     *self,
             yaml_node_t *root,
             guint64     *n_trials,
             GError     **error)
{
  static const char * const methods[] = { "grid", "random", NULL };
  yaml_node_t              *method = nn_yaml_lookup (self->doc, root, "method");
  yaml_node_t              *trials = nn_yaml_lookup (self->doc, root, "trials");
  const char               *name = "grid";

  if (method != NULL && !nn_yaml_get_string (self->doc, method, "method", &name, error))
    return FALSE;
  if (!g_strv_contains (methods, name))
    {
      const char *hint = nn_suggest (name, methods);

      nn_yaml_set_error (error, self->doc, method, NN_CONFIG_ERROR_INVALID_VALUE,
                         "method must be 'grid' or 'random', not '%s'%s%s%s", name,
                         hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
      return FALSE;
    }
  self->random = g_str_equal (name, "random");
  if (self->random && trials == NULL)
    {
      nn_yaml_set_error (error, self->doc, method ? method : root, NN_CONFIG_ERROR_MISSING_KEY,
                         "method: random needs trials: the number of trials to sample");
      return FALSE;
    }
  if (!self->random && trials != NULL)
    {
      nn_yaml_set_error (error, self->doc, trials, NN_CONFIG_ERROR_INVALID_VALUE,
                         "trials is for method: random; a grid has one trial per "
                         "combination of values");
      return FALSE;
    }
  return trials == NULL ||
         nn_yaml_get_uint (self->doc, trials, "trials", 1, NN_SWEEP_MAX_TRIALS, n_trials, error);
}

static gboolean
read_metric (NnSweep     *self,
             yaml_node_t *node,
             GError     **error)
{
  static const char * const keys[] = { "name", "goal", NULL };
  yaml_node_t              *name = node;
  const char               *text;

  self->metric_node = node;
  if (node == NULL)
    return TRUE;
  if (node->type == YAML_MAPPING_NODE)
    {
      yaml_node_t *goal;

      if (!nn_yaml_check_mapping (self->doc, node, "metric", keys, error))
        return FALSE;
      name = nn_yaml_lookup (self->doc, node, "name");
      goal = nn_yaml_lookup (self->doc, node, "goal");
      if (name == NULL)
        {
          nn_yaml_set_error (error, self->doc, node, NN_CONFIG_ERROR_MISSING_KEY,
                             "metric needs a name, such as {name: val_loss, goal: min}");
          return FALSE;
        }
      if (goal != NULL)
        {
          const char *g;

          if (!nn_yaml_get_string (self->doc, goal, "metric.goal", &g, error))
            return FALSE;
          if (!g_str_equal (g, "min") && !g_str_equal (g, "max"))
            {
              nn_yaml_set_error (error, self->doc, goal, NN_CONFIG_ERROR_INVALID_VALUE,
                                 "metric.goal must be 'min' or 'max', not '%s'", g);
              return FALSE;
            }
          self->goal = g_str_equal (g, "min") ? 1 : 2;
        }
    }
  if (!nn_yaml_get_string (self->doc, name, "metric", &text, error))
    return FALSE;
  self->metric = g_strdup (text);
  self->metric_node = name;
  return TRUE;
}

static gboolean
read_output (NnSweep     *self,
             yaml_node_t *node,
             GError     **error)
{
  static const char * const keys[] = { "dir", NULL };
  yaml_node_t              *dir;
  const char               *text;

  if (node == NULL)
    {
      g_autofree char *base = g_path_get_basename (self->path);
      char            *dot = strrchr (base, '.');

      if (dot != NULL && dot != base)
        *dot = '\0';
      self->output_dir = g_build_filename ("runs", base, NULL);
      return TRUE;
    }
  if (!nn_yaml_check_mapping (self->doc, node, "output", keys, error))
    return FALSE;
  if ((dir = nn_yaml_lookup (self->doc, node, "dir")) == NULL)
    {
      nn_yaml_set_error (error, self->doc, node, NN_CONFIG_ERROR_MISSING_KEY,
                         "output needs dir: the sweep's directory");
      return FALSE;
    }
  if (!nn_yaml_get_string (self->doc, dir, "output.dir", &text, error))
    return FALSE;
  self->output_dir = g_strdup (text);
  return TRUE;
}

static gboolean
read_experiment (NnSweep     *self,
                 yaml_node_t *root,
                 GError     **error)
{
  yaml_node_t     *node = nn_yaml_lookup (self->doc, root, "experiment");
  g_autofree char *dir = g_path_get_dirname (self->path);
  const char      *text;

  if (node == NULL)
    {
      nn_yaml_set_error (error, self->doc, root, NN_CONFIG_ERROR_MISSING_KEY,
                         "missing key 'experiment': the experiment file to vary, "
                         "relative to this file");
      return FALSE;
    }
  if (!nn_yaml_get_string (self->doc, node, "experiment", &text, error))
    return FALSE;
  self->experiment_node = node;
  self->experiment_path = g_path_is_absolute (text) ? g_strdup (text)
                                                    : g_build_filename (dir, text, NULL);
  if (!g_file_test (self->experiment_path, G_FILE_TEST_IS_REGULAR))
    {
      nn_yaml_set_error (error, self->doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "experiment file %s not found", self->experiment_path);
      return FALSE;
    }
  return TRUE;
}

/* seed, repeats and folds. */
static gboolean
read_numbers (NnSweep     *self,
              yaml_node_t *root,
              GError     **error)
{
  yaml_node_t *seed = nn_yaml_lookup (self->doc, root, "seed");
  yaml_node_t *repeats = nn_yaml_lookup (self->doc, root, "repeats");
  yaml_node_t *folds = nn_yaml_lookup (self->doc, root, "folds");
  guint64      n = 1, k = 0;

  if (repeats != NULL && !nn_yaml_get_uint (self->doc, repeats, "repeats", 1, 1000, &n, error))
    return FALSE;
  self->repeats = (guint) n;
  if (seed != NULL &&
      !nn_yaml_get_uint (self->doc, seed, "seed", 0, G_MAXUINT32 - self->repeats + 1,
                         &self->seed, error))
    return FALSE;
  self->has_seed = seed != NULL;
  if (folds != NULL &&
      !nn_yaml_get_uint (self->doc, folds, "folds", 0, NN_SWEEP_MAX_FOLDS, &k, error))
    return FALSE;
  if (k == 1)
    {
      nn_yaml_set_error (error, self->doc, folds, NN_CONFIG_ERROR_INVALID_VALUE,
                         "folds must be 0 (no cross-validation) or at least 2, not 1");
      return FALSE;
    }
  self->folds = (guint) k;
  self->folds_node = folds;
  return TRUE;
}

static NnSweepTrial *
trial_new (NnSweep *self)
{
  NnSweepTrial *t = g_new0 (NnSweepTrial, 1);

  t->values = g_new0 (char *, self->params->len + 1);
  t->nodes = g_new0 (yaml_node_t *, self->params->len);
  g_ptr_array_add (self->trials, t);
  return t;
}

/* Every combination, the last parameter changing fastest. */
static gboolean
make_grid (NnSweep *self,
           GError **error)
{
  guint64 n = 1;

  for (guint p = 0; p < self->params->len; p++)
    {
      NnSweepParam *param = self->params->pdata[p];

      n *= param->values->len;
      if (n > NN_SWEEP_MAX_TRIALS)
        {
          nn_yaml_set_error (error, self->doc, param->key_node, NN_CONFIG_ERROR_INVALID_VALUE,
                             "the grid has more than %u trials", NN_SWEEP_MAX_TRIALS);
          return FALSE;
        }
    }
  for (guint64 i = 0; i < n; i++)
    {
      NnSweepTrial *t = trial_new (self);
      guint64       rest = i;

      for (guint p = self->params->len; p-- > 0;)
        {
          NnSweepParam *param = self->params->pdata[p];
          guint         k = (guint) (rest % param->values->len);

          rest /= param->values->len;
          t->values[p] = g_strdup (param->values->pdata[k]);
          t->nodes[p] = param->value_nodes->pdata[k];
        }
    }
  return TRUE;
}

static char *
sample_range (NnSweepParam *p,
              GRand        *rand)
{
  double lo = p->log ? log (p->min) : p->min;
  double hi = p->integer ? p->max + 1 : p->max;
  char   text[G_ASCII_DTOSTR_BUF_SIZE];
  double v;

  hi = p->log ? log (hi) : hi;
  v = lo == hi ? lo : g_rand_double_range (rand, lo, hi);
  if (p->log)
    v = exp (v);
  if (p->integer)
    return g_strdup_printf ("%.0f", CLAMP (floor (v), p->min, p->max));
  /* Six digits: a value as short as a person would write, and the one used. */
  v = CLAMP (g_ascii_strtod (g_ascii_formatd (text, sizeof text, "%.6g", v), NULL), p->min,
             p->max);
  return nn_format_double (v);
}

/* Trials drawn in order from one generator seeded by the sweep's seed, so
 * a sweep file always gives the same trials. */
static void
make_random (NnSweep *self,
             guint    n)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) self->seed);

  for (guint i = 0; i < n; i++)
    {
      NnSweepTrial *t = trial_new (self);

      for (guint p = 0; p < self->params->len; p++)
        {
          NnSweepParam *param = self->params->pdata[p];

          if (param->values != NULL)
            {
              guint k = (guint) g_rand_int_range (rand, 0, (gint32) param->values->len);

              t->values[p] = g_strdup (param->values->pdata[k]);
              t->nodes[p] = param->value_nodes->pdata[k];
            }
          else
            {
              t->values[p] = sample_range (param, rand);
              t->nodes[p] = param->node;
            }
        }
    }
}

static gboolean
nn_sweep_load (NnSweep *self,
               GError **error)
{
  yaml_node_t *root = nn_yaml_root (self->doc);
  guint64      n_trials = 0;

  if (root == NULL || root->type != YAML_MAPPING_NODE)
    {
      nn_yaml_set_error (error, self->doc, root, NN_CONFIG_ERROR_INVALID_VALUE,
                         "a sweep file is a mapping of keys such as experiment: and "
                         "parameters:");
      return FALSE;
    }
  if (!nn_yaml_check_mapping (self->doc, root, "the sweep", sweep_keys, error) ||
      !read_experiment (self, root, error) ||
      !read_method (self, root, &n_trials, error) ||
      !read_numbers (self, root, error) ||
      !read_parameters (self, nn_yaml_lookup (self->doc, root, "parameters"), error) ||
      !read_metric (self, nn_yaml_lookup (self->doc, root, "metric"), error) ||
      !read_output (self, nn_yaml_lookup (self->doc, root, "output"), error))
    return FALSE;
  if (self->random)
    make_random (self, (guint) n_trials);
  else if (!make_grid (self, error))
    return FALSE;
  return TRUE;
}

/**
 * nn_sweep_new_from_file:
 * @path: a sweep file
 * @error: return location for a #NN_CONFIG_ERROR naming `FILE:LINE:COLUMN`
 *
 * Reads a sweep file and lists its trials. The experiment itself is read
 * by [method@Nn.Sweep.check].
 *
 * Returns: (transfer full): the sweep, or %NULL
 */
NnSweep *
nn_sweep_new_from_file (const char *path,
                        GError    **error)
{
  g_autoptr(NnSweep) self = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize            length = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!nn_read_file_limited (path, NN_EXPERIMENT_MAX_FILE_SIZE, &contents, &length,
                             &local_error))
    {
      g_autofree char *shown = g_filename_display_name (path);

      g_set_error (error, NN_CONFIG_ERROR, NN_CONFIG_ERROR_FAILED, "%s: error: %s", shown,
                   local_error->message);
      return NULL;
    }
  self = g_object_new (NN_TYPE_SWEEP, NULL);
  self->path = g_strdup (path);
  self->doc = nn_yaml_doc_new_from_data (path, contents, length, error);
  if (self->doc == NULL || !nn_sweep_load (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * nn_sweep_new_cv:
 * @experiment_path: an experiment file
 * @folds: the folds, at least 2
 * @repeats: the cross-validations, each with its own seed (the
 *   experiment's, plus the repeat), so its own shuffle of the rows
 * @output_dir: the directory of the runs
 *
 * The k-fold cross-validation of one experiment as a sweep of one trial
 * with no parameters. Its metric is the experiment's `val_loss`.
 *
 * Returns: (transfer full): the sweep, to check with nn_sweep_check()
 */
NnSweep *
nn_sweep_new_cv (const char *experiment_path,
                 guint       folds,
                 guint       repeats,
                 const char *output_dir)
{
  NnSweep *self;

  g_return_val_if_fail (experiment_path != NULL && output_dir != NULL, NULL);
  g_return_val_if_fail (folds >= 2 && folds <= NN_SWEEP_MAX_FOLDS, NULL);
  g_return_val_if_fail (repeats >= 1, NULL);

  self = g_object_new (NN_TYPE_SWEEP, NULL);
  self->path = g_strdup (experiment_path);
  self->experiment_path = g_strdup (experiment_path);
  self->folds = folds;
  self->repeats = repeats;
  self->output_dir = g_strdup (output_dir);
  self->param_keys = g_new0 (char *, 1);
  trial_new (self);
  return self;
}

/**
 * nn_sweep_get_path:
 * @self: a sweep
 *
 * Gets the sweep file's path.
 *
 * Returns: the sweep file's path
 */
const char *
nn_sweep_get_path (NnSweep *self)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), NULL);
  return self->path;
}

/**
 * nn_sweep_get_experiment_path:
 * @self: a sweep
 *
 * Gets the path of the experiment file, relative to the sweep file's folder
 * resolved.
 *
 * Returns: the path of the experiment file, relative to the sweep file's
 *   folder resolved
 */
const char *
nn_sweep_get_experiment_path (NnSweep *self)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), NULL);
  return self->experiment_path;
}

/**
 * nn_sweep_get_output_dir:
 * @self: a sweep
 *
 * Gets the sweep's directory.
 *
 * Returns: the sweep's directory: output.dir, or runs/ and the sweep
 *   file's name
 */
const char *
nn_sweep_get_output_dir (NnSweep *self)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), NULL);
  return self->output_dir;
}

/**
 * nn_sweep_get_n_trials:
 * @self: a sweep
 *
 * Gets the number of trials.
 *
 * Returns: the number of trials
 */
guint
nn_sweep_get_n_trials (NnSweep *self)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), 0);
  return self->trials->len;
}

/**
 * nn_sweep_get_repeats:
 * @self: a sweep
 *
 * Gets the runs of each trial, with successive seeds.
 *
 * Returns: the runs of each trial, with successive seeds
 */
guint
nn_sweep_get_repeats (NnSweep *self)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), 0);
  return self->repeats;
}

/**
 * nn_sweep_get_folds:
 * @self: a sweep
 *
 * Gets the folds of each run's cross-validation.
 *
 * Returns: the folds of each run's cross-validation, 0 for none
 */
guint
nn_sweep_get_folds (NnSweep *self)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), 0);
  return self->folds;
}

/**
 * nn_sweep_is_cv:
 * @self: a sweep
 *
 * Whether the sweep is the cross-validation of one experiment.
 *
 * Returns: %TRUE for the cross-validation of one experiment made by
 *   nn_sweep_new_cv(): one trial, no parameters
 */
gboolean
nn_sweep_is_cv (NnSweep *self)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), FALSE);
  return self->doc == NULL;
}

/**
 * nn_sweep_get_parameters:
 * @self: a sweep
 *
 * Gets the swept keys, in the file's order.
 *
 * Returns: (transfer none): the swept keys, in the file's order
 */
const char * const *
nn_sweep_get_parameters (NnSweep *self)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), NULL);
  return (const char * const *) self->param_keys;
}

/**
 * nn_sweep_get_parameter_log:
 * @self: a sweep
 * @parameter: a parameter, from 0, as nn_sweep_get_parameters() lists them
 *
 * Whether a parameter's range is sampled on a logarithmic scale.
 *
 * Returns: %TRUE if the parameter's range is sampled with `scale: log`
 */
gboolean
nn_sweep_get_parameter_log (NnSweep *self,
                            guint    parameter)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), FALSE);
  g_return_val_if_fail (parameter < self->params->len, FALSE);
  return ((NnSweepParam *) self->params->pdata[parameter])->log;
}

/**
 * nn_sweep_get_trial_values:
 * @self: a sweep
 * @trial: a trial, from 0
 *
 * Gets the YAML text of each parameter's value in @trial, beside
 * [method@Nn.Sweep.get_parameters].
 *
 * Returns: (transfer none): the YAML text of each parameter's value in
 *   @trial, beside [method@Nn.Sweep.get_parameters]
 */
const char * const *
nn_sweep_get_trial_values (NnSweep *self,
                           guint    trial)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), NULL);
  g_return_val_if_fail (trial < self->trials->len, NULL);
  return (const char * const *) ((NnSweepTrial *) self->trials->pdata[trial])->values;
}

/**
 * nn_sweep_get_run_overrides:
 * @self: a sweep
 * @trial: a trial, from 0
 * @repeat: a run of the trial, from 0
 *
 * The settings of one run as `--set` takes them: the run's seed (the
 * sweep's seed, or else the experiment's, plus @repeat), then each
 * parameter's value.
 *
 * Returns: (transfer full): `KEY=VALUE` strings
 */
GStrv
nn_sweep_get_run_overrides (NnSweep *self,
                            guint    trial,
                            guint    repeat)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  const char * const *values;
  guint64             seed;

  g_return_val_if_fail (NN_IS_SWEEP (self), NULL);
  g_return_val_if_fail (trial < self->trials->len && repeat < self->repeats, NULL);

  seed = (self->has_seed ? self->seed : self->experiment_seed) + repeat;
  if (self->has_seed || repeat > 0)
    {
      g_autofree char *s = g_strdup_printf ("seed=%" G_GUINT64_FORMAT, seed);

      g_strv_builder_add (b, s);
    }
  values = nn_sweep_get_trial_values (self, trial);
  for (guint p = 0; self->param_keys[p] != NULL; p++)
    {
      g_autofree char *s = g_strdup_printf ("%s=%s", self->param_keys[p], values[p]);

      g_strv_builder_add (b, s);
    }
  return g_strv_builder_end (b);
}

/**
 * nn_sweep_get_fold_overrides:
 * @self: a sweep
 * @trial: a trial, from 0
 * @repeat: a run of the trial, from 0
 * @fold: the fold held out, from 0; ignored without folds
 *
 * As nn_sweep_get_run_overrides(), and with folds, the cross-validation
 * (`data.split.folds`) and the fold held out (`data.split.fold`).
 *
 * Returns: (transfer full): `KEY=VALUE` strings
 */
GStrv
nn_sweep_get_fold_overrides (NnSweep *self,
                             guint    trial,
                             guint    repeat,
                             guint    fold)
{
  g_auto(GStrv) run = NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  g_return_val_if_fail (NN_IS_SWEEP (self), NULL);
  g_return_val_if_fail (self->folds == 0 || fold < self->folds, NULL);

  run = nn_sweep_get_run_overrides (self, trial, repeat);
  g_strv_builder_addv (b, (const char **) run);
  /* After the parameters, so that a parameter setting the whole split
   * keeps them. */
  if (self->folds > 0)
    {
      g_autofree char *folds = g_strdup_printf ("data.split.folds=%u", self->folds);
      g_autofree char *held = g_strdup_printf ("data.split.fold=%u", fold);

      g_strv_builder_add (b, folds);
      g_strv_builder_add (b, held);
    }
  return g_strv_builder_end (b);
}

/* "key=value, key=value" of @trial, for messages. */
char *
nn_sweep_describe_trial (NnSweep *self,
                         guint    trial)
{
  const char * const *values = nn_sweep_get_trial_values (self, trial);
  GString            *s = g_string_new (NULL);

  for (guint p = 0; self->param_keys[p] != NULL; p++)
    g_string_append_printf (s, "%s%s=%s", p ? ", " : "", self->param_keys[p], values[p]);
  return g_string_free (s, FALSE);
}

/**
 * nn_sweep_get_metric:
 * @self: a sweep
 *
 * Gets the metric that ranks the trials, a column of trials.csv.
 *
 * Returns: the metric that ranks the trials, a column of trials.csv
 */
const char *
nn_sweep_get_metric (NnSweep *self)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), NULL);
  return self->metric;
}

/**
 * nn_sweep_get_greater_is_better:
 * @self: a sweep checked with [method@Nn.Sweep.check]
 *
 * Whether larger values of the metric are better.
 *
 * Returns: %TRUE if larger values of the metric are better: its goal, or
 *   else as early stopping's `auto` decides from its name
 */
gboolean
nn_sweep_get_greater_is_better (NnSweep *self)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), FALSE);
  return self->greater_is_better;
}

/**
 * nn_sweep_get_metric_columns:
 * @self: a sweep checked with [method@Nn.Sweep.check]
 *
 * Gets the final metrics of a run, named as the columns of history.csv
 * (`loss`, `val_accuracy`, `test_loss`...).
 *
 * Returns: (transfer none): the final metrics of a run, named as the
 *   columns of history.csv (`loss`, `val_accuracy`, `test_loss`...)
 */
const char * const *
nn_sweep_get_metric_columns (NnSweep *self)
{
  g_return_val_if_fail (NN_IS_SWEEP (self), NULL);
  return (const char * const *) self->metric_columns;
}
