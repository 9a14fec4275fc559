/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn-errors.h"
#include "nn-param-text.h"
#include "nn-param-text-private.h"
#include "nn-registry.h"
#include "nn-yaml-object-private.h"

/*
 * A section of an experiment file (`train:`, `output:`, `data:`) is an
 * object whose properties are its keys, as json-gobject.c maps JSON objects
 * onto GObjects: the key is the property's name with `_` for `-`, the
 * GParamSpec gives the type, the range and the default, and the same specs
 * serve reading, writing and the list of valid keys. A read-only object
 * property is a nested section (`data.split`); a writable one holds an
 * object made from its own mapping, a named plugin object where its type
 * is a kind of the registry (`train.schedule`), else an object of that very
 * type (`train.early_stopping`).
 */

static int
compare_param_ids (gconstpointer a,
                   gconstpointer b)
{
  guint ia = (*(GParamSpec * const *) a)->param_id;
  guint ib = (*(GParamSpec * const *) b)->param_id;

  return ia < ib ? -1 : ia > ib;
}

/* The properties of @object in the order they were installed, which is
 * the order of the keys in the file, in messages and in `config.yaml`. */
static GParamSpec **
list_properties (GObject *object,
                 guint   *n_props)
{
  GParamSpec **props = g_object_class_list_properties (G_OBJECT_GET_CLASS (object), n_props);

  qsort (props, *n_props, sizeof *props, compare_param_ids);
  return props;
}

/* The keys of the section: those read by the caller that are no property,
 * then every property's. */
static GStrv
section_keys (GParamSpec        **props,
              guint               n_props,
              GObject            *object,
              const char * const *custom)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (guint i = 0; custom != NULL && custom[i] != NULL; i++)
    {
      g_autofree char *prop = nn_param_key_to_property_name (custom[i]);

      if (g_object_class_find_property (G_OBJECT_GET_CLASS (object), prop) == NULL)
        g_strv_builder_add (b, custom[i]);
    }
  for (guint i = 0; i < n_props; i++)
    {
      g_autofree char *key = NULL;

      /* Set when the object was made, as a layer's input width is. */
      if (props[i]->flags & G_PARAM_CONSTRUCT_ONLY)
        continue;
      key = nn_param_spec_get_key (props[i]);
      g_strv_builder_add (b, key);
    }
  return g_strv_builder_end (b);
}

static gboolean read_section (NnYamlDoc          *doc,
                              yaml_node_t        *node,
                              GObject            *object,
                              const char         *what,
                              const char * const *custom,
                              NnYamlKeyFunc       read_custom,
                              gpointer            user_data,
                              GError            **error);

static gboolean
read_object_value (NnYamlDoc   *doc,
                   yaml_node_t *node,
                   const char  *what,
                   GObject     *object,
                   GParamSpec  *pspec,
                   GValue      *value,
                   GError     **error)
{
  GType          type = G_PARAM_SPEC_VALUE_TYPE (pspec);
  NnRegistryKind kind;
  GObject       *made;

  if (!(pspec->flags & G_PARAM_WRITABLE))
    {
      g_autoptr(GObject) nested = NULL;

      g_object_get (object, pspec->name, &nested, NULL);
      return read_section (doc, node, nested, what, NULL, NULL, NULL, error);
    }
  if (nn_registry_kind_for_type (type, &kind))
    made = nn_yaml_new_object (doc, node, nn_registry_kind_get_extension_point (kind),
                               what, error);
  else
    made = nn_yaml_new_object_of_type (doc, node, type, what, error);
  if (made == NULL)
    return FALSE;
  g_value_init (value, type);
  g_value_take_object (value, made);
  return TRUE;
}

/* Reads @node into @value as @pspec says, with the messages of the
 * nn_yaml_get_*() family. */
static gboolean
read_value (NnYamlDoc   *doc,
            yaml_node_t *node,
            const char  *what,
            GObject     *object,
            GParamSpec  *pspec,
            GValue      *value,
            GError     **error)
{
  GType type = G_PARAM_SPEC_VALUE_TYPE (pspec);

  if (G_IS_PARAM_SPEC_UINT (pspec))
    {
      GParamSpecUInt *u = G_PARAM_SPEC_UINT (pspec);
      guint64         n;

      if (!nn_yaml_get_uint (doc, node, what, u->minimum, u->maximum, &n, error))
        return FALSE;
      g_value_init (value, type);
      g_value_set_uint (value, (guint) n);
    }
  else if (G_IS_PARAM_SPEC_DOUBLE (pspec))
    {
      GParamSpecDouble *d = G_PARAM_SPEC_DOUBLE (pspec);
      g_autoptr(GError) local_error = NULL;
      double x;

      if (!nn_yaml_get_double (doc, node, what, d->minimum, d->maximum, &x, &local_error))
        {
          g_autofree char *range = nn_param_spec_describe_bounds (pspec);

          /* A bound just inside a round number, as dropout's rate in
           * [0, 1), is said as that number, excluded. */
          if (strstr (range, "excluded") != NULL &&
              nn_yaml_parse_number (nn_yaml_scalar (node), &x) && isfinite (x))
            nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                               "%s must be %s, not %s", what, range, nn_yaml_scalar (node));
          else
            g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_value_init (value, type);
      g_value_set_double (value, x);
    }
  else if (G_IS_PARAM_SPEC_BOOLEAN (pspec))
    {
      gboolean b;

      if (!nn_yaml_get_bool (doc, node, what, &b, error))
        return FALSE;
      g_value_init (value, type);
      g_value_set_boolean (value, b);
    }
  else if (G_IS_PARAM_SPEC_ENUM (pspec))
    {
      gint e;

      if (!nn_yaml_get_enum (doc, node, what, type, &e, error))
        return FALSE;
      g_value_init (value, type);
      g_value_set_enum (value, e);
    }
  else if (G_IS_PARAM_SPEC_STRING (pspec))
    {
      const char *s;

      if (!nn_yaml_get_string (doc, node, what, &s, error))
        return FALSE;
      g_value_init (value, type);
      g_value_set_string (value, s);
    }
  else if (G_IS_PARAM_SPEC_OBJECT (pspec))
    return read_object_value (doc, node, what, object, pspec, value, error);
  else
    {
      nn_yaml_set_error (error, doc, node, NN_CONFIG_ERROR_INVALID_VALUE,
                         "%s has type %s, which an experiment file cannot set",
                         what, g_type_name (type));
      return FALSE;
    }
  return TRUE;
}

/* Sets the property of @object that @key of the mapping @node names, if
 * the mapping has the key. */
static gboolean
read_key (NnYamlDoc   *doc,
          yaml_node_t *node,
          GObject     *object,
          const char  *what,
          const char  *key,
          GError     **error)
{
  yaml_node_t     *v = nn_yaml_lookup (doc, node, key);
  g_autofree char *prop = NULL;
  g_autofree char *label = NULL;
  GValue           value = G_VALUE_INIT;

  if (v == NULL)
    return TRUE;
  prop = nn_param_key_to_property_name (key);
  label = g_strdup_printf ("%s.%s", what, key);
  if (!read_value (doc, v, label, object,
                   g_object_class_find_property (G_OBJECT_GET_CLASS (object), prop), &value,
                   error))
    return FALSE;
  if (G_IS_VALUE (&value))
    {
      g_object_set_property (object, prop, &value);
      g_value_unset (&value);
    }
  return TRUE;
}

static gboolean
read_section (NnYamlDoc          *doc,
              yaml_node_t        *node,
              GObject            *object,
              const char         *what,
              const char * const *custom,
              NnYamlKeyFunc       read_custom,
              gpointer            user_data,
              GError            **error)
{
  guint                   n_props = 0;
  g_autofree GParamSpec **props = list_properties (object, &n_props);
  g_auto(GStrv) keys = section_keys (props, n_props, object, custom);

  if (!nn_yaml_check_mapping (doc, node, what, (const char * const *) keys, error))
    return FALSE;
  /* In the order of the keys, whatever the file's: the first of several
   * mistakes is the one reported, the same every time. */
  for (guint i = 0; keys[i] != NULL; i++)
    {
      if (custom != NULL && g_strv_contains (custom, keys[i]))
        {
          if (!read_custom (doc, nn_yaml_lookup (doc, node, keys[i]), keys[i], user_data,
                            error))
            return FALSE;
          continue;
        }
      if (!read_key (doc, node, object, what, keys[i], error))
        return FALSE;
    }
  return TRUE;
}

/*
 * nn_yaml_read_properties:
 * @doc: the document
 * @node: the section's mapping
 * @object: the object the section sets, holding every default
 * @what: the section's name in messages, such as `train`
 * @custom: (nullable): keys that @read_custom reads instead, in their place
 *   among the keys; those that are no property come first
 * @read_custom: (nullable): called for each key of @custom, present or not
 * @user_data: for @read_custom
 * @error: return location for a #GError
 *
 * Sets the properties of @object from the keys of @node. A key that is no
 * property is an error that lists or suggests the valid keys; a value is
 * checked against its property's type and range.
 */
gboolean
nn_yaml_read_properties (NnYamlDoc          *doc,
                         yaml_node_t        *node,
                         GObject            *object,
                         const char         *what,
                         const char * const *custom,
                         NnYamlKeyFunc       read_custom,
                         gpointer            user_data,
                         GError            **error)
{
  g_return_val_if_fail (G_IS_OBJECT (object), FALSE);
  g_return_val_if_fail (custom == NULL || read_custom != NULL, FALSE);

  return read_section (doc, node, object, what, custom, read_custom, user_data, error);
}

/*
 * nn_yaml_read_some_properties:
 * @doc: the document
 * @node: a mapping
 * @object: the object it sets, holding every default
 * @what: the mapping's name in messages, such as `model.layers[0].regularizer`
 * @keys: the keys the mapping may have, each naming a property of @object
 * @error: return location for a #GError
 *
 * nn_yaml_read_properties() for a mapping that holds a few of the
 * properties of @object: those of @keys, in that order.
 */
gboolean
nn_yaml_read_some_properties (NnYamlDoc          *doc,
                              yaml_node_t        *node,
                              GObject            *object,
                              const char         *what,
                              const char * const *keys,
                              GError            **error)
{
  g_return_val_if_fail (G_IS_OBJECT (object), FALSE);

  if (!nn_yaml_check_mapping (doc, node, what, keys, error))
    return FALSE;
  for (guint i = 0; keys[i] != NULL; i++)
    if (!read_key (doc, node, object, what, keys[i], error))
      return FALSE;
  return TRUE;
}

/*
 * nn_yaml_writer_some_properties:
 * @w: a writer inside a mapping
 * @object: an object
 * @keys: keys naming properties of @object
 *
 * Writes the properties of @object that @keys name, in that order, each a
 * key of the mapping with its value, as nn_yaml_read_some_properties()
 * reads them.
 */
void
nn_yaml_writer_some_properties (NnYamlWriter       *w,
                                GObject            *object,
                                const char * const *keys)
{
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;
      g_autofree char *prop = nn_param_key_to_property_name (keys[i]);
      GParamSpec      *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), prop);

      g_value_init (&value, G_PARAM_SPEC_VALUE_TYPE (pspec));
      g_object_get_property (object, prop, &value);
      nn_yaml_writer_string (w, keys[i]);
      nn_yaml_writer_value (w, &value);
    }
}

static GQuark
omit_default_quark (void)
{
  return g_quark_from_static_string ("nn-yaml-omit-default");
}

void
nn_param_spec_set_omit_default (GParamSpec *pspec)
{
  g_param_spec_set_qdata (pspec, omit_default_quark (), GINT_TO_POINTER (1));
}

static gboolean
omit_default (GParamSpec   *pspec,
              const GValue *value)
{
  return g_param_spec_get_qdata (pspec, omit_default_quark ()) != NULL &&
         g_param_value_defaults (pspec, value);
}

/*
 * nn_yaml_writer_properties:
 * @w: a writer inside a mapping
 * @object: a section's object
 *
 * Writes every readable property of @object as a key of the mapping, in
 * the order the properties were installed: a nested section as a flow
 * mapping, an object as its parameters (with its registered name, if it
 * has one). A property holding no object or no string is left out.
 */
void
nn_yaml_writer_properties (NnYamlWriter *w,
                           GObject      *object)
{
  guint                   n_props = 0;
  g_autofree GParamSpec **props = list_properties (object, &n_props);

  for (guint i = 0; i < n_props; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;
      g_autofree char *key = nn_param_spec_get_key (props[i]);
      GObject         *held;

      if (!(props[i]->flags & G_PARAM_READABLE) || (props[i]->flags & G_PARAM_CONSTRUCT_ONLY))
        continue;
      g_value_init (&value, G_PARAM_SPEC_VALUE_TYPE (props[i]));
      g_object_get_property (object, props[i]->name, &value);
      if (omit_default (props[i], &value))
        continue;
      if ((G_VALUE_HOLDS_OBJECT (&value) && g_value_get_object (&value) == NULL) ||
          (G_VALUE_HOLDS_STRING (&value) && g_value_get_string (&value) == NULL))
        continue;

      nn_yaml_writer_string (w, key);
      if (!G_VALUE_HOLDS_OBJECT (&value))
        {
          nn_yaml_writer_value (w, &value);
          continue;
        }
      held = g_value_get_object (&value);
      if (!(props[i]->flags & G_PARAM_WRITABLE))
        {
          nn_yaml_writer_begin_mapping (w, TRUE);
          nn_yaml_writer_properties (w, held);
          nn_yaml_writer_end_mapping (w);
        }
      else
        nn_yaml_writer_object (w, held, nn_registry_get_name (G_OBJECT_TYPE (held)));
    }
}
