/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun serve [DIR...]: a read-only live dashboard of the runs and sweeps
 * under DIR, over HTTP on the loopback address. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <glib-unix.h>

#include "nnrun-commands.h"
#include "nnrun-serve.h"

typedef struct
{
  NnServeEvents *events;
  GMainLoop     *loop;
} Server;

static void
on_changed (gpointer data)
{
  Server *server = data;

  nn_serve_events_broadcast (server->events, "change", "{}");
}

static gboolean
on_signal (gpointer data)
{
  Server *server = data;

  g_main_loop_quit (server->loop);
  return G_SOURCE_REMOVE;
}

/* Each client is a file descriptor, each directory watched another: as
 * many as the system lets this process have. */
static void
raise_file_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

/* The canonical directories, or an exit status. */
static int
resolve_roots (char **dirs,
               GStrv *roots)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  const char *fallback[] = { "runs", NULL };

  for (char **d = dirs && dirs[0] ? dirs : (char **) fallback; *d != NULL; d++)
    {
      char *real = realpath (*d, NULL);

      if (real == NULL || !g_file_test (real, G_FILE_TEST_IS_DIR))
        {
          g_printerr ("nnrun: %s: error: %s%s\n", *d, real ? "not a directory" : g_strerror (errno),
                      dirs && dirs[0] ? "" : " (with no DIR, nnrun serve shows runs/)");
          free (real);
          return EXIT_BAD_INPUT;
        }
      g_strv_builder_add (b, real);
      free (real);
    }
  *roots = g_strv_builder_end (b);
  return EXIT_OK;
}

/* The socket is made here rather than by soup_server_listen() for its
 * backlog: GLib's default of 10 drops the connections of a burst, which
 * then wait seconds to be tried again. */
static gboolean
listen_on (SoupServer   *server,
           GInetAddress *address,
           int           port,
           GError      **error)
{
  g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new (address, port);
  g_autoptr(GSocket) socket = g_socket_new (g_inet_address_get_family (address),
                                             G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);

  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, SOMAXCONN);
  return g_socket_bind (socket, socket_address, TRUE, error) && g_socket_listen (socket, error) &&
         soup_server_listen_socket (server, socket, 0, error);
}

static void
print_uris (SoupServer *server)
{
  GSList *uris = soup_server_get_uris (server);

  for (GSList *l = uris; l != NULL; l = l->next)
    {
      g_autofree char *text = g_uri_to_string (l->data);

      g_print ("nnrun serve: open %s\n", text);
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
}

int
nnrun_cmd_serve (int    argc,
                 char **argv)
{
  g_autofree char *address = NULL;
  g_auto(GStrv) dirs = NULL;
  g_auto(GStrv) roots = NULL;
  int          port = 8000, status;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port,
      "Port to listen on; 0 picks a free one (default 8000)", "N" },
    { "address", 'a', 0, G_OPTION_ARG_STRING, &address,
      "Address to listen on (default 127.0.0.1, this machine alone)", "ADDR" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &dirs, NULL, "[DIR...]" },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupServer) soup = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  Server       server = { 0 };
  NnServeScan *scan;

  g_option_context_set_summary (context,
                                "Serve a live dashboard of the runs and sweeps under each DIR "
                                "(default runs/), read-only.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (port < 0 || port > 65535)
    return nnrun_usage_error (context, "--port: must be between 0 and 65535");
  if (address == NULL)
    address = g_strdup ("127.0.0.1");
  if ((inet = g_inet_address_new_from_string (address)) == NULL)
    {
      g_autofree char *message = g_strdup_printf ("--address %s: not an IPv4 or IPv6 address",
                                                  address);
      return nnrun_usage_error (context, message);
    }
  if ((status = resolve_roots (dirs, &roots)) != EXIT_OK)
    return status;

  raise_file_limit ();
  soup = soup_server_new ("server-header", "nnrun-serve", NULL);
  if (!listen_on (soup, inet, port, &error))
    {
      g_printerr ("nnrun: serve: error: cannot listen on %s port %d: %s\n", address, port,
                  error->message);
      return EXIT_BAD_INPUT;
    }
  server.events = nn_serve_events_new ();
  server.loop = g_main_loop_new (NULL, FALSE);
  scan = nn_serve_scan_new ((const char * const *) roots, on_changed, &server);
  nn_serve_routes_add (soup, scan, server.events);
  print_uris (soup);
  fflush (stdout);
  g_unix_signal_add (SIGINT, on_signal, &server);
  g_unix_signal_add (SIGTERM, on_signal, &server);
  g_main_loop_run (server.loop);

  soup_server_disconnect (soup);
  nn_serve_scan_free (scan);
  nn_serve_events_free (server.events);
  g_main_loop_unref (server.loop);
  return EXIT_OK;
}
