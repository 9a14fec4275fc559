/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun serve: the directories it shows, what changes in them, and the
 * HTTP routes of the dashboard. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* ---- the runs and sweeps under the directories served ---- */

typedef struct _NnServeScan NnServeScan;

/* Called, coalesced, after files under the roots changed. */
typedef void (*NnServeChangedFunc) (gpointer user_data);

/* @roots: canonical directories, without symbolic links. */
NnServeScan *nn_serve_scan_new     (const char * const *roots,
                                    NnServeChangedFunc  changed,
                                    gpointer            user_data);
void         nn_serve_scan_free    (NnServeScan        *self);
/* Walks the roots again and watches every directory found. */
void         nn_serve_scan_update  (NnServeScan        *self);
/* {"roots": [...], "runs": [...], "sweeps": [...]} */
JsonNode    *nn_serve_scan_list    (NnServeScan        *self);
/* The canonical path of @id ("ROOT/RELATIVE", decoded), which must lie
 * inside root ROOT, even through symbolic links; NULL if it does not or
 * does not exist. */
char        *nn_serve_scan_resolve (NnServeScan        *self,
                                    const char         *id);
/* The history of run @id as history.csv has it: the rows written so far
 * while it trains, else its history.csv. NULL if none. */
char        *nn_serve_scan_history (NnServeScan        *self,
                                    const char         *id);

/* ---- the server-sent events ---- */

typedef struct _NnServeEvents NnServeEvents;

NnServeEvents *nn_serve_events_new       (void);
void           nn_serve_events_free      (NnServeEvents     *self);
/* Answers @msg with a stream of events, open until the client leaves. */
void           nn_serve_events_add       (NnServeEvents     *self,
                                          SoupServerMessage *msg);
/* Sends `event: @name` with @data to every client. */
void           nn_serve_events_broadcast (NnServeEvents     *self,
                                          const char        *name,
                                          const char        *data);
guint          nn_serve_events_n_clients (NnServeEvents     *self);

/* ---- the routes ---- */

void nn_serve_routes_add (SoupServer    *server,
                          NnServeScan   *scan,
                          NnServeEvents *events);

G_END_DECLS
