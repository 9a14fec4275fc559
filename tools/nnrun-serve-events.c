/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Server-sent events: each client's response stays open, chunked, and
 * receives an event whenever the directories served change, so that the
 * page never polls. */
#include <string.h>

#include "nnrun-serve.h"

/* A comment this often keeps proxies from closing an idle stream and finds
 * clients that left without closing theirs. */
#define KEEPALIVE_SECONDS 15

struct _NnServeEvents
{
  GPtrArray *clients; /* SoupServerMessage, each a reference */
  guint      keepalive;
};

static void
send_text (SoupServerMessage *msg,
           const char        *text)
{
  soup_message_body_append (soup_server_message_get_response_body (msg), SOUP_MEMORY_COPY,
                            text, strlen (text));
  soup_server_message_unpause (msg);
}

static void
on_finished (SoupServerMessage *msg,
             NnServeEvents     *self)
{
  g_signal_handlers_disconnect_by_data (msg, self);
  g_ptr_array_remove_fast (self->clients, msg);
}

static gboolean
keepalive (gpointer data)
{
  NnServeEvents *self = data;

  nn_serve_events_broadcast (self, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

NnServeEvents *
nn_serve_events_new (void)
{
  NnServeEvents *self = g_new0 (NnServeEvents, 1);

  self->clients = g_ptr_array_new_with_free_func (g_object_unref);
  self->keepalive = g_timeout_add_seconds (KEEPALIVE_SECONDS, keepalive, self);
  return self;
}

void
nn_serve_events_free (NnServeEvents *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->clients->len; i++)
    g_signal_handlers_disconnect_by_data (self->clients->pdata[i], self);
  g_ptr_array_unref (self->clients);
  g_clear_handle_id (&self->keepalive, g_source_remove);
  g_free (self);
}

void
nn_serve_events_add (NnServeEvents     *self,
                     SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  g_ptr_array_add (self->clients, g_object_ref (msg));
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), self);
  /* The browser retries after 1 s if the server restarts. */
  send_text (msg, "retry: 1000\n\n");
}

void
nn_serve_events_broadcast (NnServeEvents *self,
                           const char    *name,
                           const char    *data)
{
  g_autofree char *text = name ? g_strdup_printf ("event: %s\ndata: %s\n\n", name, data)
                               : g_strdup (": keepalive\n\n");

  /* A client that leaves while it is written to leaves the array. */
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < self->clients->len; i++)
    g_ptr_array_add (clients, g_object_ref (self->clients->pdata[i]));
  for (guint i = 0; i < clients->len; i++)
    send_text (clients->pdata[i], text);
}

guint
nn_serve_events_n_clients (NnServeEvents *self)
{
  return self->clients->len;
}
