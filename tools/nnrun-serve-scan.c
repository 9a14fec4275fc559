/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The runs and sweeps under the directories nnrun serve shows, found by
 * walking them, and watched with a GFileMonitor on every directory walked:
 * inotify has no recursive watch. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "nnrun-serve.h"

/* Deep enough for ROOT/group/sweep/trials/NNNN.partial. */
#define MAX_DEPTH 6
/* Changes closer together than this make one event. */
#define COALESCE_MS 100

struct _NnServeScan
{
  GStrv              roots;
  GHashTable        *monitors; /* path -> GFileMonitor */
  GHashTable        *seen;     /* the paths of this walk */
  JsonBuilder       *runs;
  JsonBuilder       *sweeps;
  NnServeChangedFunc changed;
  gpointer           user_data;
  guint              pending;
};

static gboolean
is_file (const char *dir,
         const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static char *
read_text (const char *dir,
           const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char            *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return text;
}

/* The first group of @pattern in @text, or NULL. */
static char *
match (const char *text,
       const char *pattern)
{
  g_autoptr(GRegex) re = g_regex_new (pattern, G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) info = NULL;

  if (text == NULL || !g_regex_match (re, text, 0, &info))
    return NULL;
  return g_match_info_fetch (info, 1);
}

/* A run is held by its trainer while this process can see its lock taken
 * in /proc/locks: asking flock() would take the lock for an instant and
 * could turn a starting run away. */
static gboolean
is_locked (const char *target)
{
  g_autofree char *lock = g_strconcat (target, ".lock", NULL);
  g_autofree char *locks = NULL;
  g_autofree char *needle = NULL;
  GStatBuf         st;

  if (g_stat (lock, &st) != 0 || !g_file_get_contents ("/proc/locks", &locks, NULL, NULL))
    return FALSE;
  needle = g_strdup_printf (" %02x:%02x:%lu ", major (st.st_dev), minor (st.st_dev),
                            (unsigned long) st.st_ino);
  return strstr (locks, needle) != NULL;
}

/* The experiment's key parameters, from its resolved config.yaml. */
static void
add_params (JsonBuilder *b,
            const char  *config)
{
  static const char * const keys[][2] = {
    { "optimizer", "^optimizer: \\{name: ([A-Za-z0-9_]+)" },
    { "learning_rate", "^optimizer: \\{[^}]*learning_rate: ([^,}\\s]+)" },
    { "batch_size", "^  batch_size: (\\S+)" },
    { "loss", "^loss: \\{name: ([A-Za-z0-9_]+)" },
  };
  g_autoptr(GRegex) units = g_regex_new ("^  - (?:units: (\\d+)|type: ([a-z_]+))",
                                          G_REGEX_MULTILINE, 0, NULL);
  g_autoptr(GMatchInfo) info = NULL;
  g_autoptr(GString) layers = g_string_new (NULL);

  json_builder_set_member_name (b, "params");
  json_builder_begin_object (b);
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *v = match (config, keys[i][1]);

      if (v == NULL)
        continue;
      json_builder_set_member_name (b, keys[i][0]);
      json_builder_add_string_value (b, v);
    }
  if (config != NULL)
    for (g_regex_match (units, config, 0, &info); g_match_info_matches (info);
         g_match_info_next (info, NULL))
      {
        g_autofree char *u = g_match_info_fetch (info, 1);
        g_autofree char *t = g_match_info_fetch (info, 2);

        g_string_append_printf (layers, "%s%s", layers->len ? "-" : "", u && *u ? u : t);
      }
  json_builder_set_member_name (b, "layers");
  json_builder_add_string_value (b, layers->str);
  json_builder_end_object (b);
}

/* status, epochs_run and the final metrics of summary.json. */
static void
add_summary (JsonBuilder *b,
             const char  *dir,
             gboolean     running)
{
  g_autofree char *path = g_build_filename (dir, "summary.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root = NULL, *final = NULL;

  if (json_parser_load_from_file (parser, path, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    root = json_node_get_object (json_parser_get_root (parser));
  json_builder_set_member_name (b, "status");
  if (running)
    json_builder_add_string_value (b, "running");
  else if (root != NULL && json_object_has_member (root, "stop_reason"))
    json_builder_add_string_value (b, json_object_get_string_member (root, "stop_reason"));
  else
    json_builder_add_string_value (b, "interrupted");
  if (root == NULL || running)
    return;
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, json_object_get_int_member_with_default (root, "epochs_run", 0));
  if (json_object_has_member (root, "final") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "final")))
    final = json_object_get_object_member (root, "final");
  if (final == NULL)
    return;
  json_builder_set_member_name (b, "final");
  json_builder_add_value (b, json_node_copy (json_object_get_member (root, "final")));
}

/* @target: a run directory, or where one is being trained (@target.partial). */
static void
add_run (NnServeScan *self,
         const char  *id,
         const char  *target,
         const char  *sweep)
{
  g_autofree char *partial = g_strconcat (target, ".partial", NULL);
  gboolean         running = g_file_test (partial, G_FILE_TEST_IS_DIR) && is_locked (target);
  const char      *dir = running ? partial : target;
  g_autofree char *config = read_text (dir, "config.yaml");
  g_autofree char *name = match (config, "^name: (.+)$");
  g_autofree char *epochs = match (config, "^  epochs: (\\d+)");
  JsonBuilder     *b = self->runs;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name ? name : "");
  json_builder_set_member_name (b, "sweep");
  json_builder_add_string_value (b, sweep);
  json_builder_set_member_name (b, "epochs_planned");
  json_builder_add_int_value (b, epochs ? g_ascii_strtoll (epochs, NULL, 10) : 0);
  add_params (b, config);
  add_summary (b, target, running);
  json_builder_end_object (b);
}

static void watch (NnServeScan *self,
                   const char  *path);

static void walk (NnServeScan *self,
                  const char  *path,
                  const char  *id,
                  const char  *sweep,
                  guint        depth);

/* A sweep: trials.csv, best.yaml and trials/NNNN/. */
static void
add_sweep (NnServeScan *self,
           const char  *path,
           const char  *id)
{
  g_autofree char *best = read_text (path, "best.yaml");
  g_autofree char *first = best ? match (best, "^# (.*)$") : NULL;
  g_autofree char *trials = g_build_filename (path, "trials", NULL);
  g_autofree char *trials_id = g_build_filename (id, "trials", NULL);
  g_autofree char *best_trial = best ? match (best, "trial (\\d+),") : NULL;
  g_autofree char *metric = best ? match (best, "trial \\d+, (\\S+) ") : NULL;
  JsonBuilder     *b = self->sweeps;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "best");
  json_builder_add_string_value (b, first ? first : "");
  json_builder_set_member_name (b, "best_trial");
  json_builder_add_int_value (b, best_trial ? g_ascii_strtoll (best_trial, NULL, 10) : -1);
  json_builder_set_member_name (b, "metric");
  json_builder_add_string_value (b, metric ? metric : "");
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, best ? "completed" : "running");
  json_builder_end_object (b);
  if (g_file_test (trials, G_FILE_TEST_IS_DIR))
    walk (self, trials, trials_id, id, MAX_DEPTH - 1);
}

static gboolean
is_run (const char *path)
{
  return is_file (path, "summary.json") || is_file (path, "config.yaml");
}

static void
walk_entry (NnServeScan *self,
            const char  *path,
            const char  *name,
            const char  *id,
            const char  *sweep,
            guint        depth)
{
  g_autofree char *child = g_build_filename (path, name, NULL);
  g_autofree char *child_id = g_build_filename (id, name, NULL);
  GStatBuf         st;

  /* Symbolic links are not followed: they could lead out of the root. */
  if (g_lstat (child, &st) != 0 || !S_ISDIR (st.st_mode) || name[0] == '.')
    return;
  if (g_str_has_suffix (name, ".partial"))
    {
      g_autofree char *target = g_strndup (child, strlen (child) - strlen (".partial"));
      g_autofree char *target_id = g_strndup (child_id, strlen (child_id) - strlen (".partial"));

      watch (self, child);
      /* A run trained again is listed once, under its own name. */
      if (!g_file_test (target, G_FILE_TEST_IS_DIR) && is_file (child, "config.yaml"))
        add_run (self, target_id, target, sweep);
      return;
    }
  if (is_file (child, "trials.csv") || is_file (child, "best.yaml"))
    {
      watch (self, child);
      add_sweep (self, child, child_id);
    }
  else if (is_run (child))
    {
      watch (self, child);
      add_run (self, child_id, child, sweep);
    }
  else
    walk (self, child, child_id, sweep, depth + 1);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
walk (NnServeScan *self,
      const char  *path,
      const char  *id,
      const char  *sweep,
      guint        depth)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (depth > MAX_DEPTH || (dir = g_dir_open (path, 0, NULL)) == NULL)
    return;
  watch (self, path);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    walk_entry (self, path, names->pdata[i], id, sweep, depth);
}

static gboolean
emit_changed (gpointer data)
{
  NnServeScan *self = data;

  self->pending = 0;
  nn_serve_scan_update (self);
  self->changed (self->user_data);
  return G_SOURCE_REMOVE;
}

static void
on_changed (GFileMonitor     *monitor,
            GFile            *file,
            GFile            *other,
            GFileMonitorEvent event,
            NnServeScan      *self)
{
  if (event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED || self->pending != 0)
    return;
  self->pending = g_timeout_add (COALESCE_MS, emit_changed, self);
}

static void
watch (NnServeScan *self,
       const char  *path)
{
  g_autoptr(GFile) file = NULL;
  GFileMonitor *monitor;

  g_hash_table_add (self->seen, g_strdup (path));
  if (g_hash_table_contains (self->monitors, path))
    return;
  file = g_file_new_for_path (path);
  monitor = g_file_monitor_directory (file, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL);
  if (monitor == NULL)
    return;
  /* A file written row by row is seen at once, not at most every 800 ms. */
  g_file_monitor_set_rate_limit (monitor, 0);
  g_signal_connect (monitor, "changed", G_CALLBACK (on_changed), self);
  g_hash_table_insert (self->monitors, g_strdup (path), monitor);
}

static gboolean
is_stale (gpointer key,
          gpointer value,
          gpointer data)
{
  NnServeScan *self = data;

  return !g_hash_table_contains (self->seen, key);
}

void
nn_serve_scan_update (NnServeScan *self)
{
  g_clear_object (&self->runs);
  g_clear_object (&self->sweeps);
  self->runs = json_builder_new ();
  self->sweeps = json_builder_new ();
  json_builder_begin_array (self->runs);
  json_builder_begin_array (self->sweeps);
  g_hash_table_remove_all (self->seen);
  for (guint r = 0; self->roots[r] != NULL; r++)
    {
      g_autofree char *id = g_strdup_printf ("%u", r);

      if (is_run (self->roots[r]))
        {
          watch (self, self->roots[r]);
          add_run (self, id, self->roots[r], "");
        }
      else
        walk (self, self->roots[r], id, "", 0);
    }
  json_builder_end_array (self->runs);
  json_builder_end_array (self->sweeps);
  g_hash_table_foreach_remove (self->monitors, is_stale, self);
}

NnServeScan *
nn_serve_scan_new (const char * const *roots,
                   NnServeChangedFunc  changed,
                   gpointer            user_data)
{
  NnServeScan *self = g_new0 (NnServeScan, 1);

  self->roots = g_strdupv ((char **) roots);
  self->monitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->changed = changed;
  self->user_data = user_data;
  nn_serve_scan_update (self);
  return self;
}

void
nn_serve_scan_free (NnServeScan *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->pending, g_source_remove);
  g_hash_table_destroy (self->monitors);
  g_hash_table_destroy (self->seen);
  g_clear_object (&self->runs);
  g_clear_object (&self->sweeps);
  g_strfreev (self->roots);
  g_free (self);
}

JsonNode *
nn_serve_scan_list (NnServeScan *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "roots");
  json_builder_begin_array (b);
  for (guint r = 0; self->roots[r] != NULL; r++)
    json_builder_add_string_value (b, self->roots[r]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "runs");
  json_builder_add_value (b, json_builder_get_root (self->runs));
  json_builder_set_member_name (b, "sweeps");
  json_builder_add_value (b, json_builder_get_root (self->sweeps));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
nn_serve_scan_resolve (NnServeScan *self,
                       const char  *id)
{
  g_auto(GStrv) parts = g_strsplit (id, "/", -1);
  g_autofree char *relative = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *prefix = NULL;
  char            *real;
  guint64          root;

  if (parts[0] == NULL ||
      !g_ascii_string_to_unsigned (parts[0], 10, 0, g_strv_length (self->roots) - 1, &root, NULL))
    return NULL;
  for (guint i = 1; parts[i] != NULL; i++)
    if (*parts[i] == '\0' || g_str_equal (parts[i], ".") || g_str_equal (parts[i], ".."))
      return NULL;
  relative = g_build_filenamev (parts + 1);
  joined = g_build_filename (self->roots[root], relative, NULL);
  /* Every symbolic link resolved: the file itself must lie under the root. */
  if ((real = realpath (joined, NULL)) == NULL)
    return NULL;
  prefix = g_strconcat (self->roots[root], "/", NULL);
  if (!g_str_equal (real, self->roots[root]) && !g_str_has_prefix (real, prefix))
    {
      free (real);
      return NULL;
    }
  return real;
}

/* The rows in @name in @partial, *@n_cols columns each, or %NULL. */
static char *
read_rows (const char *partial,
           const char *name,
           gsize      *length,
           guint32    *n_cols,
           gsize      *n_rows)
{
  g_autofree char *path = g_build_filename (partial, name, NULL);
  g_autofree char *data = NULL;

  if (!g_file_get_contents (path, &data, length, NULL) || *length < 16 ||
      memcmp (data, "nnrows\n", 8) != 0)
    return NULL;
  memcpy (n_cols, data + 8, 4);
  *n_cols = GUINT32_FROM_LE (*n_cols);
  if (*n_cols < 5 || *n_cols > 1000)
    return NULL;
  *n_rows = (*length - 16) / (8 * (gsize) *n_cols);
  return g_steal_pointer (&data);
}

/* The rows a run in training has written (history.rows, beside its
 * checkpoints, or history.live, a few times a second, whichever holds
 * more: 8 bytes of magic, the number of columns as 32 bits, 4 bytes, then
 * the rows as little-endian doubles; a partial row at the end is
 * ignored), with the columns of history.csv named from its config.yaml. */
static char *
history_from_rows (const char *partial)
{
  g_autofree char *config = read_text (partial, "config.yaml");
  g_autofree char *list = match (config, "^metrics: \\[(.*)\\]");
  g_auto(GStrv) metrics = g_strsplit (list ? list : "", ",", -1);
  g_autofree char *data = NULL;
  g_autofree char *live = NULL;
  g_autoptr(GString) csv = g_string_new ("epoch,loss,val_loss");
  gsize   length = 0, n_rows = 0, live_length = 0, live_n_rows = 0;
  guint32 n_cols = 0, live_n_cols = 0;

  data = read_rows (partial, "history.rows", &length, &n_cols, &n_rows);
  live = read_rows (partial, "history.live", &live_length, &live_n_cols, &live_n_rows);
  if (live != NULL && (data == NULL || live_n_rows > n_rows))
    {
      g_free (data);
      data = g_steal_pointer (&live);
      n_cols = live_n_cols;
      n_rows = live_n_rows;
    }
  if (data == NULL)
    return NULL;
  for (guint m = 0; m < (n_cols - 5) / 2; m++)
    {
      g_autofree char *name = g_strstrip (g_strdup (metrics[0] && m < g_strv_length (metrics)
                                                      ? metrics[m]
                                                      : "metric"));

      g_string_append_printf (csv, ",%s,val_%s", name, name);
    }
  g_string_append (csv, ",learning_rate,seconds\n");
  for (gsize r = 0; r < n_rows; r++)
    {
      for (guint c = 0; c < n_cols; c++)
        {
          guint64 bits;
          double  v;
          char    buf[G_ASCII_DTOSTR_BUF_SIZE];

          memcpy (&bits, data + 16 + 8 * (r * n_cols + c), 8);
          bits = GUINT64_FROM_LE (bits);
          memcpy (&v, &bits, 8);
          g_string_append (csv, c ? "," : "");
          g_string_append (csv, g_ascii_dtostr (buf, sizeof buf, v));
        }
      g_string_append_c (csv, '\n');
    }
  return g_string_free (g_steal_pointer (&csv), FALSE);
}

char *
nn_serve_scan_history (NnServeScan *self,
                       const char  *id)
{
  g_autofree char *staged = g_strconcat (id, ".partial", NULL);
  g_autofree char *partial = nn_serve_scan_resolve (self, staged);
  g_autofree char *dir = NULL;
  char            *csv;

  if (partial != NULL && g_str_has_suffix (partial, ".partial"))
    {
      g_autofree char *target = g_strndup (partial, strlen (partial) - strlen (".partial"));

      if (is_locked (target) && (csv = history_from_rows (partial)) != NULL)
        return csv;
    }
  dir = nn_serve_scan_resolve (self, id);
  return dir ? read_text (dir, "history.csv") : NULL;
}
