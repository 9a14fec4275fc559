/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn-json.h: writing nn's numbers as JSON, for the library's summary.json
 * and nnrun's --json output alike. Not part of <nn.h>: include it beside
 * <json-glib/json-glib.h>, with json-glib-1.0 among your dependencies. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

void nn_json_builder_add_number (JsonBuilder *builder,
                                 const char  *name,
                                 double       value);

G_END_DECLS
