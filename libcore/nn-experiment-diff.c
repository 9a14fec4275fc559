/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "nn-errors.h"
#include "nn-experiment-diff-private.h"
#include "nn-yaml-private.h"

/* A resumed run must be the run its checkpoint is of: its experiment, as
 * nn_experiment_to_yaml() writes it, is compared key by key with the one
 * the run was started with (recorded in the checkpoint). Only keys that
 * leave the epochs already trained as they were may differ. */

/* Keys whose value may change between a run and its resume, with what is
 * under them: more (or fewer) epochs extend (or end) the run, the name and
 * the outputs do not touch training, and checkpoints are only copies of
 * its state. */
static const char * const may_change[] = {
  "name", "train.epochs", "train.checkpoint_every", "output", NULL
};

static gboolean
may_differ (const char *key)
{
  for (gsize i = 0; may_change[i] != NULL; i++)
    {
      gsize n = strlen (may_change[i]);

      if (strncmp (key, may_change[i], n) == 0 && (key[n] == '\0' || key[n] == '.'))
        return TRUE;
    }
  return FALSE;
}

/* Keys this version writes that a checkpoint of an earlier one lacks, with
 * the value that trains as the versions without the key did: absent from
 * the recorded experiment and at that value now, they are no difference. */
static const struct
{
  const char *key;
  const char *value;
} added_keys[] = {
  { "data.target_scale", "none" },
  { "train.precision", "float32" },
};

static gboolean
added_at_old_behaviour (const char  *key,
                        yaml_node_t *now)
{
  for (gsize i = 0; i < G_N_ELEMENTS (added_keys); i++)
    if (g_str_equal (key, added_keys[i].key))
      return g_strcmp0 (nn_yaml_scalar (now), added_keys[i].value) == 0;
  return FALSE;
}

/* The YAML flow text of @node, short enough for a message. */
static void
render (NnYamlDoc   *doc,
        yaml_node_t *node,
        GString     *out)
{
  if (node == NULL)
    g_string_append (out, "(not set)");
  else if (node->type == YAML_SCALAR_NODE)
    g_string_append (out, nn_yaml_scalar (node));
  else if (node->type == YAML_SEQUENCE_NODE)
    {
      g_string_append_c (out, '[');
      for (guint i = 0; i < nn_yaml_n_items (node); i++)
        {
          if (i > 0)
            g_string_append (out, ", ");
          render (doc, nn_yaml_item (doc, node, i), out);
        }
      g_string_append_c (out, ']');
    }
  else if (node->type == YAML_MAPPING_NODE)
    {
      g_string_append_c (out, '{');
      for (guint i = 0; i < nn_yaml_n_pairs (node); i++)
        {
          NnYamlPair pair = nn_yaml_pair (doc, node, i);

          g_string_append_printf (out, "%s%s: ", i > 0 ? ", " : "", pair.key);
          render (doc, pair.value, out);
        }
      g_string_append_c (out, '}');
    }
}

typedef struct
{
  NnYamlDoc *then;
  NnYamlDoc *now;
  GString   *lines;
} Diff;

static void
add_difference (Diff        *d,
                const char  *key,
                yaml_node_t *then,
                yaml_node_t *now)
{
  g_string_append_printf (d->lines, "\n%s: ", key);
  render (d->then, then, d->lines);
  g_string_append (d->lines, " when the run started, ");
  render (d->now, now, d->lines);
  g_string_append (d->lines, " now");
}

static void compare (Diff        *d,
                     const char  *key,
                     yaml_node_t *then,
                     yaml_node_t *now);

/* The keys of both mappings, those of @then first in their order. */
static void
compare_mappings (Diff        *d,
                  const char  *key,
                  yaml_node_t *then,
                  yaml_node_t *now)
{
  for (guint i = 0; i < nn_yaml_n_pairs (then); i++)
    {
      NnYamlPair       pair = nn_yaml_pair (d->then, then, i);
      g_autofree char *sub = *key ? g_strconcat (key, ".", pair.key, NULL) : g_strdup (pair.key);

      compare (d, sub, pair.value, nn_yaml_lookup (d->now, now, pair.key));
    }
  for (guint i = 0; i < nn_yaml_n_pairs (now); i++)
    {
      NnYamlPair       pair = nn_yaml_pair (d->now, now, i);
      g_autofree char *sub = *key ? g_strconcat (key, ".", pair.key, NULL) : g_strdup (pair.key);

      if (nn_yaml_lookup (d->then, then, pair.key) == NULL)
        compare (d, sub, NULL, pair.value);
    }
}

static void
compare (Diff        *d,
         const char  *key,
         yaml_node_t *then,
         yaml_node_t *now)
{
  if (may_differ (key) || (then == NULL && added_at_old_behaviour (key, now)))
    return;
  if (then == NULL || now == NULL || then->type != now->type)
    add_difference (d, key, then, now);
  else if (then->type == YAML_SCALAR_NODE)
    {
      if (!g_str_equal (nn_yaml_scalar (then), nn_yaml_scalar (now)))
        add_difference (d, key, then, now);
    }
  else if (then->type == YAML_MAPPING_NODE)
    compare_mappings (d, key, then, now);
  else if (nn_yaml_n_items (then) != nn_yaml_n_items (now))
    add_difference (d, key, then, now);
  else
    for (guint i = 0; i < nn_yaml_n_items (then); i++)
      {
        g_autofree char *sub = g_strdup_printf ("%s[%u]", key, i);

        compare (d, sub, nn_yaml_item (d->then, then, i), nn_yaml_item (d->now, now, i));
      }
}

/*
 * nn_experiment_diff_check:
 * @checkpoint: the checkpoint's file, for messages
 * @then: the experiment its run was started with, as nn_experiment_to_yaml()
 *   wrote it
 * @now: the experiment being resumed, the same way
 * @error: return location for a #GError
 *
 * Compares the two experiments key by key, but for the keys that may
 * change on a resume: `name`, `train.epochs`, `train.checkpoint_every` and
 * `output`.
 *
 * Returns: %TRUE if nothing else differs, or %FALSE with @error set
 *   (%NN_MODEL_ERROR_INVALID_FILE: the checkpoint is not of this
 *   experiment) listing every difference, one a line,
 *   as `KEY: OLD when the run started, NEW now`
 */
gboolean
nn_experiment_diff_check (const char *checkpoint,
                          const char *then,
                          const char *now,
                          GError    **error)
{
  g_autoptr(NnYamlDoc) then_doc = NULL;
  g_autoptr(NnYamlDoc) now_doc = NULL;
  g_autoptr(GString) lines = g_string_new (NULL);
  g_autoptr(GError) local_error = NULL;
  Diff d;

  then_doc = nn_yaml_doc_new_from_data (checkpoint, then, strlen (then), &local_error);
  if (then_doc == NULL)
    {
      g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
                   "%s: error: the experiment it records cannot be read: %s", checkpoint,
                   local_error->message);
      return FALSE;
    }
  if ((now_doc = nn_yaml_doc_new_from_data ("(experiment)", now, strlen (now), error)) == NULL)
    return FALSE;

  d.then = then_doc;
  d.now = now_doc;
  d.lines = lines;
  compare (&d, "", nn_yaml_root (then_doc), nn_yaml_root (now_doc));
  if (lines->len == 0)
    return TRUE;
  g_set_error (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE,
               "%s: error: the experiment is not the one the run was started with; "
               "only train.epochs, train.checkpoint_every, name and output.* may change "
               "on a resume:%s",
               checkpoint, lines->str);
  return FALSE;
}
