/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>

#include "nn-json.h"

/**
 * nn_json_builder_add_number:
 * @builder: a #JsonBuilder inside an object
 * @name: the member's name
 * @value: its value
 *
 * Adds the member @name holding @value, or `null` where @value is not
 * finite: JSON has no NaN or infinity, and a diverged loss or an undefined
 * metric must still give a file that reads back.
 */
void
nn_json_builder_add_number (JsonBuilder *builder,
                            const char  *name,
                            double       value)
{
  g_return_if_fail (JSON_IS_BUILDER (builder));
  g_return_if_fail (name != NULL);

  json_builder_set_member_name (builder, name);
  if (isfinite (value))
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}
