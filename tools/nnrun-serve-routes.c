/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The routes of nnrun serve, all read-only:
 *   /, /app.js, /style.css   the page, compiled in
 *   /api/runs                the runs and sweeps found, as JSON
 *   /api/history?run=ID      a run's history.csv, also while it trains
 *   /api/events              server-sent events: `change` when files change
 *   /files/ID/FILE           a file inside a directory served */
#include <string.h>

#include "nnrun-serve.h"

typedef struct
{
  NnServeScan   *scan;
  NnServeEvents *events;
} Routes;

static void
respond (SoupServerMessage *msg,
         guint              status,
         const char        *type,
         const char        *body,
         gsize              length)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-store");
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY, body, length);
}

static void
respond_error (SoupServerMessage *msg,
               guint              status)
{
  const char *reason = soup_status_get_phrase (status);

  respond (msg, status, "text/plain", reason, strlen (reason));
}

/* Only GET and HEAD: the server changes nothing. */
static gboolean
check_method (SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);

  if (method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD)
    return TRUE;
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                "GET, HEAD");
  respond_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
  return FALSE;
}

static const char *
content_type (const char *name)
{
  static const char * const types[][2] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".json", "application/json" },
    { ".csv", "text/csv; charset=utf-8" },
    { ".yaml", "text/plain; charset=utf-8" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (name, types[i][0]))
      return types[i][1];
  return "application/octet-stream";
}

static void
serve_page (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           data)
{
  g_autofree char *resource = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize       length;
  const char *body;

  if (!check_method (msg))
    return;
  if (g_str_equal (path, "/"))
    path = "/index.html";
  resource = g_strconcat ("/org/nn/nnrun/serve", path, NULL);
  if (strchr (path + 1, '/') != NULL ||
      (bytes = g_resources_lookup_data (resource, 0, NULL)) == NULL)
    {
      respond_error (msg, SOUP_STATUS_NOT_FOUND);
      return;
    }
  body = g_bytes_get_data (bytes, &length);
  respond (msg, SOUP_STATUS_OK, content_type (path), body, length);
}

static void
serve_runs (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           data)
{
  Routes *routes = data;
  g_autoptr(JsonNode) list = NULL;
  g_autofree char *text = NULL;

  if (!check_method (msg))
    return;
  list = nn_serve_scan_list (routes->scan);
  text = json_to_string (list, FALSE);
  respond (msg, SOUP_STATUS_OK, "application/json", text, strlen (text));
}

static void
serve_history (SoupServer        *server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           data)
{
  Routes          *routes = data;
  const char      *id = query ? g_hash_table_lookup (query, "run") : NULL;
  g_autofree char *csv = NULL;

  if (!check_method (msg))
    return;
  if (id == NULL)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST);
      return;
    }
  if ((csv = nn_serve_scan_history (routes->scan, id)) == NULL)
    {
      respond_error (msg, SOUP_STATUS_NOT_FOUND);
      return;
    }
  respond (msg, SOUP_STATUS_OK, "text/csv; charset=utf-8", csv, strlen (csv));
}

static void
serve_events (SoupServer        *server,
              SoupServerMessage *msg,
              const char        *path,
              GHashTable        *query,
              gpointer           data)
{
  Routes *routes = data;

  if (check_method (msg))
    nn_serve_events_add (routes->events, msg);
}

/* /files/ID/FILE: a regular file inside a root, every symbolic link
 * resolved first. The path arrives percent-encoded: decoded here, once. */
static void
serve_file (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           data)
{
  Routes          *routes = data;
  const char      *raw = g_uri_get_path (soup_server_message_get_uri (msg));
  g_autofree char *id = NULL;
  g_autofree char *real = NULL;
  g_autofree char *contents = NULL;
  gsize            length;

  if (!check_method (msg))
    return;
  if (!g_str_has_prefix (raw, "/files/") ||
      (id = g_uri_unescape_string (raw + strlen ("/files/"), NULL)) == NULL)
    {
      respond_error (msg, SOUP_STATUS_BAD_REQUEST);
      return;
    }
  if ((real = nn_serve_scan_resolve (routes->scan, id)) == NULL ||
      !g_file_test (real, G_FILE_TEST_IS_REGULAR) ||
      !g_file_get_contents (real, &contents, &length, NULL))
    {
      respond_error (msg, SOUP_STATUS_NOT_FOUND);
      return;
    }
  /* Read, not mapped: a file cut short while mapped would kill the server. */
  respond (msg, SOUP_STATUS_OK, content_type (real), NULL, 0);
  soup_server_message_set_response (msg, content_type (real), SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&contents), length);
}

void
nn_serve_routes_add (SoupServer    *server,
                     NnServeScan   *scan,
                     NnServeEvents *events)
{
  Routes *routes = g_new0 (Routes, 1);

  routes->scan = scan;
  routes->events = events;
  soup_server_add_handler (server, "/api/runs", serve_runs, routes, NULL);
  soup_server_add_handler (server, "/api/history", serve_history, routes, NULL);
  soup_server_add_handler (server, "/api/events", serve_events, routes, NULL);
  soup_server_add_handler (server, "/files", serve_file, routes, NULL);
  soup_server_add_handler (server, NULL, serve_page, routes, g_free);
}
