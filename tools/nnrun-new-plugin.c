/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun new-plugin: a working plugin to start from. */
#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#include <nn.h>

#include "nnrun-commands.h"

/* nnrun new-plugin */

/* The files it writes, rendered by render(): a complete plugin each, in
 * the style of examples/plugins/swish.c, that builds with the guide's
 * command and passes check-plugin as it is. */
static const char activation_template[] =
  "/* @name@: an activation for nn, made by `nnrun new-plugin`.\n"
  " *\n"
  " * Edit the two functions marked EDIT: forward computes f(z) and backward\n"
  " * multiplies the incoming gradient by f'(z). As made, f(z) = scale * z,\n"
  " * where `scale` shows how a parameter becomes settable from an experiment\n"
  " * file: rename it, add others the same way, or remove it.\n"
  " *\n"
  " * Build, check and use:\n"
  " *   cc -shared -fPIC @name@.c $(pkg-config --cflags --libs nncore) -o @name@.so\n"
  " *   nnrun check-plugin ./@name@.so\n"
  " *   activation: {name: @name@, scale: 1.0}      (in an experiment file)\n"
  " */\n"
  "#include <nn.h>\n"
  "\n"
  "#define @UPPER@_TYPE_ACTIVATION (@name@_activation_get_type ())\n"
  "G_DECLARE_FINAL_TYPE (@Camel@Activation, @name@_activation, @UPPER@, ACTIVATION, NnActivation)\n"
  "\n"
  "struct _@Camel@Activation\n"
  "{\n"
  "  NnActivation parent_instance;\n"
  "\n"
  "  double scale;\n"
  "};\n"
  "\n"
  "/* Registers the class under the name that experiment files use. */\n"
  "G_DEFINE_DYNAMIC_TYPE_EXTENDED (@Camel@Activation, @name@_activation,\n"
  "~NN_TYPE_ACTIVATION, G_TYPE_FLAG_FINAL,\n"
  "~g_io_extension_point_implement (NN_ACTIVATION_EXTENSION_POINT_NAME,\n"
  "~                                g_define_type_id, \"@name@\", 0);)\n"
  "\n"
  "enum {\n"
  "  PROP_0,\n"
  "  PROP_SCALE,\n"
  "  N_PROPS\n"
  "};\n"
  "\n"
  "static GParamSpec *properties[N_PROPS];\n"
  "\n"
  "/* EDIT: a = f(z), element by element. z and a are batch x units matrices,\n"
  " * row-major, n values each. */\n"
  "static void\n"
  "@name@_activation_forward (NnActivation   *activation,\n"
  "~const NnMatrix *z,\n"
  "~NnMatrix       *a)\n"
  "{\n"
  "  @Camel@Activation *self = @UPPER@_ACTIVATION (activation);\n"
  "  const nn_real scale = (nn_real) self->scale;\n"
  "  gsize n = nn_matrix_size (z);\n"
  "\n"
  "  for (gsize i = 0; i < n; i++)\n"
  "    a->data[i] = scale * z->data[i];\n"
  "}\n"
  "\n"
  "/* EDIT: grad_z = grad_a * f'(z), element by element. z and a are the input\n"
  " * and the output of forward: use whichever gives f' more cheaply. */\n"
  "static void\n"
  "@name@_activation_backward (NnActivation   *activation,\n"
  "~const NnMatrix *z,\n"
  "~const NnMatrix *a,\n"
  "~const NnMatrix *grad_a,\n"
  "~NnMatrix       *grad_z)\n"
  "{\n"
  "  @Camel@Activation *self = @UPPER@_ACTIVATION (activation);\n"
  "  const nn_real scale = (nn_real) self->scale;\n"
  "  gsize n = nn_matrix_size (z);\n"
  "\n"
  "  for (gsize i = 0; i < n; i++)\n"
  "    grad_z->data[i] = grad_a->data[i] * scale;\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_activation_get_property (GObject    *object,\n"
  "~guint       prop_id,\n"
  "~GValue     *value,\n"
  "~GParamSpec *pspec)\n"
  "{\n"
  "  @Camel@Activation *self = @UPPER@_ACTIVATION (object);\n"
  "\n"
  "  switch (prop_id)\n"
  "    {\n"
  "    case PROP_SCALE:\n"
  "      g_value_set_double (value, self->scale);\n"
  "      break;\n"
  "    default:\n"
  "      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);\n"
  "    }\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_activation_set_property (GObject      *object,\n"
  "~guint         prop_id,\n"
  "~const GValue *value,\n"
  "~GParamSpec   *pspec)\n"
  "{\n"
  "  @Camel@Activation *self = @UPPER@_ACTIVATION (object);\n"
  "\n"
  "  switch (prop_id)\n"
  "    {\n"
  "    case PROP_SCALE:\n"
  "      self->scale = g_value_get_double (value);\n"
  "      break;\n"
  "    default:\n"
  "      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);\n"
  "    }\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_activation_class_init (@Camel@ActivationClass *klass)\n"
  "{\n"
  "  GObjectClass *object_class = G_OBJECT_CLASS (klass);\n"
  "  NnActivationClass *activation_class = NN_ACTIVATION_CLASS (klass);\n"
  "\n"
  "  object_class->get_property = @name@_activation_get_property;\n"
  "  object_class->set_property = @name@_activation_set_property;\n"
  "\n"
  "  /* One line, shown by `nnrun plugins`. */\n"
  "  activation_class->description = \"@name@: scale * z\";\n"
  "  activation_class->forward = @name@_activation_forward;\n"
  "  activation_class->backward = @name@_activation_backward;\n"
  "\n"
  "  /* In YAML: {name: @name@, scale: 2.0}. Values outside the range are\n"
  "   * refused when the experiment is read; nnrun check-plugin checks the\n"
  "   * default and a value away from it. */\n"
  "  properties[PROP_SCALE] =\n"
  "    g_param_spec_double (\"scale\", NULL, \"Factor applied to z\",\n"
  "                         0.0, 10.0, 1.0,\n"
  "                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);\n"
  "\n"
  "  g_object_class_install_properties (object_class, N_PROPS, properties);\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_activation_class_finalize (@Camel@ActivationClass *klass)\n"
  "{\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_activation_init (@Camel@Activation *self)\n"
  "{\n"
  "}\n"
  "\n"
  "static void\n"
  "register_types (GTypeModule *module)\n"
  "{\n"
  "  @name@_activation_register_type (module);\n"
  "}\n"
  "\n"
  "/* The entry points nn looks for, the plugin ABI and scalar type that this\n"
  " * file is built for, and the names it registers, which nn reads from the\n"
  " * file to load it only when an experiment names one of them. */\n"
  "NN_PLUGIN_DEFINE (register_types, \"@kind@:@name@\")\n";

static const char loss_template[] =
  "/* @name@: a loss for nn, made by `nnrun new-plugin`.\n"
  " *\n"
  " * Edit the two functions marked EDIT: compute returns the loss of a batch,\n"
  " * a mean over the samples, and gradient writes the derivative of exactly\n"
  " * that mean with respect to each prediction. As made, it is the mean\n"
  " * squared error times `weight`, a parameter that shows how one becomes\n"
  " * settable from an experiment file: rename it, add others the same way,\n"
  " * or remove it.\n"
  " *\n"
  " * Build, check and use:\n"
  " *   cc -shared -fPIC @name@.c $(pkg-config --cflags --libs nncore) -o @name@.so\n"
  " *   nnrun check-plugin ./@name@.so\n"
  " *   loss: {name: @name@, weight: 1.0}      (in an experiment file)\n"
  " */\n"
  "#include <nn.h>\n"
  "\n"
  "#define @UPPER@_TYPE_LOSS (@name@_loss_get_type ())\n"
  "G_DECLARE_FINAL_TYPE (@Camel@Loss, @name@_loss, @UPPER@, LOSS, NnLoss)\n"
  "\n"
  "struct _@Camel@Loss\n"
  "{\n"
  "  NnLoss parent_instance;\n"
  "\n"
  "  double weight;\n"
  "};\n"
  "\n"
  "/* Registers the class under the name that experiment files use. */\n"
  "G_DEFINE_DYNAMIC_TYPE_EXTENDED (@Camel@Loss, @name@_loss,\n"
  "~NN_TYPE_LOSS, G_TYPE_FLAG_FINAL,\n"
  "~g_io_extension_point_implement (NN_LOSS_EXTENSION_POINT_NAME,\n"
  "~                                g_define_type_id, \"@name@\", 0);)\n"
  "\n"
  "enum {\n"
  "  PROP_0,\n"
  "  PROP_WEIGHT,\n"
  "  N_PROPS\n"
  "};\n"
  "\n"
  "static GParamSpec *properties[N_PROPS];\n"
  "\n"
  "/* EDIT: the loss of a batch, a mean. pred and target are batch x outputs\n"
  " * matrices, row-major, n values each; sum in double. */\n"
  "static double\n"
  "@name@_loss_compute (NnLoss         *loss,\n"
  "~const NnMatrix *pred,\n"
  "~const NnMatrix *target)\n"
  "{\n"
  "  @Camel@Loss *self = @UPPER@_LOSS (loss);\n"
  "  gsize n = nn_matrix_size (pred);\n"
  "  double sum = 0;\n"
  "\n"
  "  if (n == 0)\n"
  "    return 0;\n"
  "  for (gsize i = 0; i < n; i++)\n"
  "    {\n"
  "      double d = (double) pred->data[i] - (double) target->data[i];\n"
  "\n"
  "      sum += d * d;\n"
  "    }\n"
  "  return self->weight * sum / (double) n;\n"
  "}\n"
  "\n"
  "/* EDIT: grad = the derivative of compute's mean with respect to each\n"
  " * prediction, so mind the 1 / n. */\n"
  "static void\n"
  "@name@_loss_gradient (NnLoss         *loss,\n"
  "~const NnMatrix *pred,\n"
  "~const NnMatrix *target,\n"
  "~NnMatrix       *grad)\n"
  "{\n"
  "  @Camel@Loss *self = @UPPER@_LOSS (loss);\n"
  "  gsize n = nn_matrix_size (pred);\n"
  "\n"
  "  for (gsize i = 0; i < n; i++)\n"
  "    {\n"
  "      double d = (double) pred->data[i] - (double) target->data[i];\n"
  "\n"
  "      grad->data[i] = (nn_real) (self->weight * 2 * d / (double) n);\n"
  "    }\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_loss_get_property (GObject    *object,\n"
  "~guint       prop_id,\n"
  "~GValue     *value,\n"
  "~GParamSpec *pspec)\n"
  "{\n"
  "  @Camel@Loss *self = @UPPER@_LOSS (object);\n"
  "\n"
  "  switch (prop_id)\n"
  "    {\n"
  "    case PROP_WEIGHT:\n"
  "      g_value_set_double (value, self->weight);\n"
  "      break;\n"
  "    default:\n"
  "      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);\n"
  "    }\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_loss_set_property (GObject      *object,\n"
  "~guint         prop_id,\n"
  "~const GValue *value,\n"
  "~GParamSpec   *pspec)\n"
  "{\n"
  "  @Camel@Loss *self = @UPPER@_LOSS (object);\n"
  "\n"
  "  switch (prop_id)\n"
  "    {\n"
  "    case PROP_WEIGHT:\n"
  "      self->weight = g_value_get_double (value);\n"
  "      break;\n"
  "    default:\n"
  "      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);\n"
  "    }\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_loss_class_init (@Camel@LossClass *klass)\n"
  "{\n"
  "  GObjectClass *object_class = G_OBJECT_CLASS (klass);\n"
  "  NnLossClass *loss_class = NN_LOSS_CLASS (klass);\n"
  "\n"
  "  object_class->get_property = @name@_loss_get_property;\n"
  "  object_class->set_property = @name@_loss_set_property;\n"
  "\n"
  "  /* One line, shown by `nnrun plugins`. */\n"
  "  loss_class->description = \"@name@: weight * mean squared error\";\n"
  "  loss_class->compute = @name@_loss_compute;\n"
  "  loss_class->gradient = @name@_loss_gradient;\n"
  "\n"
  "  /* In YAML: {name: @name@, weight: 2.0}. Values outside the range are\n"
  "   * refused when the experiment is read; nnrun check-plugin checks the\n"
  "   * default and a value away from it. */\n"
  "  properties[PROP_WEIGHT] =\n"
  "    g_param_spec_double (\"weight\", NULL, \"Factor applied to the loss\",\n"
  "                         0.0, 1000.0, 1.0,\n"
  "                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);\n"
  "\n"
  "  g_object_class_install_properties (object_class, N_PROPS, properties);\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_loss_class_finalize (@Camel@LossClass *klass)\n"
  "{\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_loss_init (@Camel@Loss *self)\n"
  "{\n"
  "}\n"
  "\n"
  "static void\n"
  "register_types (GTypeModule *module)\n"
  "{\n"
  "  @name@_loss_register_type (module);\n"
  "}\n"
  "\n"
  "/* The entry points nn looks for, the plugin ABI and scalar type that this\n"
  " * file is built for, and the names it registers, which nn reads from the\n"
  " * file to load it only when an experiment names one of them. */\n"
  "NN_PLUGIN_DEFINE (register_types, \"@kind@:@name@\")\n";

static const char optimizer_template[] =
  "/* @name@: an optimizer for nn, made by `nnrun new-plugin`.\n"
  " *\n"
  " * Edit the function marked EDIT, which takes one step for one parameter\n"
  " * matrix. As made, it is gradient descent with momentum: v = momentum v + g,\n"
  " * then theta = theta - learning_rate v, with one velocity matrix v per\n"
  " * parameter, allocated in prepare. `momentum` shows how a parameter becomes\n"
  " * settable from an experiment file; `learning_rate` comes with every\n"
  " * optimizer. Keep save_state and load_state in step with the state you\n"
  " * keep: a run resumed from a checkpoint goes on from what they save, and\n"
  " * nnrun check-plugin checks that it ends where the uninterrupted run ends.\n"
  " *\n"
  " * Build, check and use:\n"
  " *   cc -shared -fPIC @name@.c $(pkg-config --cflags --libs nncore) -o @name@.so\n"
  " *   nnrun check-plugin ./@name@.so\n"
  " *   optimizer: {name: @name@, learning_rate: 0.01, momentum: 0.9}\n"
  " */\n"
  "#include <nn.h>\n"
  "\n"
  "#define @UPPER@_TYPE_OPTIMIZER (@name@_optimizer_get_type ())\n"
  "G_DECLARE_FINAL_TYPE (@Camel@Optimizer, @name@_optimizer, @UPPER@, OPTIMIZER, NnOptimizer)\n"
  "\n"
  "struct _@Camel@Optimizer\n"
  "{\n"
  "  NnOptimizer parent_instance;\n"
  "\n"
  "  double     momentum;\n"
  "  GPtrArray *velocity;   /* NnMatrix, one per parameter */\n"
  "};\n"
  "\n"
  "/* Registers the class under the name that experiment files use. */\n"
  "G_DEFINE_DYNAMIC_TYPE_EXTENDED (@Camel@Optimizer, @name@_optimizer,\n"
  "~NN_TYPE_OPTIMIZER, G_TYPE_FLAG_FINAL,\n"
  "~g_io_extension_point_implement (NN_OPTIMIZER_EXTENSION_POINT_NAME,\n"
  "~                                g_define_type_id, \"@name@\", 0);)\n"
  "\n"
  "enum {\n"
  "  PROP_0,\n"
  "  PROP_MOMENTUM,\n"
  "  N_PROPS\n"
  "};\n"
  "\n"
  "static GParamSpec *properties[N_PROPS];\n"
  "\n"
  "/* Called once before training with every parameter, in the model's order:\n"
  " * allocate the state here, never in update. */\n"
  "static void\n"
  "@name@_optimizer_prepare (NnOptimizer     *optimizer,\n"
  "~guint            n_params,\n"
  "~const NnMatrix **params)\n"
  "{\n"
  "  @Camel@Optimizer *self = @UPPER@_OPTIMIZER (optimizer);\n"
  "\n"
  "  g_clear_pointer (&self->velocity, g_ptr_array_unref);\n"
  "  self->velocity = g_ptr_array_new_with_free_func ((GDestroyNotify) nn_matrix_free);\n"
  "  for (guint i = 0; i < n_params; i++)\n"
  "    g_ptr_array_add (self->velocity, nn_matrix_new (params[i]->rows, params[i]->cols));\n"
  "}\n"
  "\n"
  "/* EDIT: one step for parameter @index (its matrix and its gradient, of the\n"
  " * same shape); nn_optimizer_get_iterations() is the step number, from 1. */\n"
  "static void\n"
  "@name@_optimizer_update (NnOptimizer    *optimizer,\n"
  "~guint           index,\n"
  "~NnMatrix       *param,\n"
  "~const NnMatrix *grad)\n"
  "{\n"
  "  @Camel@Optimizer *self = @UPPER@_OPTIMIZER (optimizer);\n"
  "  const nn_real lr = (nn_real) nn_optimizer_get_learning_rate (optimizer);\n"
  "  const nn_real mu = (nn_real) self->momentum;\n"
  "  nn_real *v = ((NnMatrix *) self->velocity->pdata[index])->data;\n"
  "  gsize n = nn_matrix_size (param);\n"
  "\n"
  "  for (gsize i = 0; i < n; i++)\n"
  "    {\n"
  "      v[i] = mu * v[i] + grad->data[i];\n"
  "      param->data[i] -= lr * v[i];\n"
  "    }\n"
  "}\n"
  "\n"
  "/* What a checkpoint keeps of the state, and reads back on resuming. */\n"
  "static void\n"
  "@name@_optimizer_save_state (NnOptimizer  *optimizer,\n"
  "~GVariantDict *state)\n"
  "{\n"
  "  @Camel@Optimizer *self = @UPPER@_OPTIMIZER (optimizer);\n"
  "\n"
  "  nn_optimizer_state_add_buffers (state, \"velocity\", self->velocity);\n"
  "}\n"
  "\n"
  "static gboolean\n"
  "@name@_optimizer_load_state (NnOptimizer   *optimizer,\n"
  "~GVariantDict  *state,\n"
  "~GError       **error)\n"
  "{\n"
  "  @Camel@Optimizer *self = @UPPER@_OPTIMIZER (optimizer);\n"
  "\n"
  "  return nn_optimizer_state_read_buffers (state, \"velocity\", self->velocity, error);\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_optimizer_get_property (GObject    *object,\n"
  "~guint       prop_id,\n"
  "~GValue     *value,\n"
  "~GParamSpec *pspec)\n"
  "{\n"
  "  @Camel@Optimizer *self = @UPPER@_OPTIMIZER (object);\n"
  "\n"
  "  switch (prop_id)\n"
  "    {\n"
  "    case PROP_MOMENTUM:\n"
  "      g_value_set_double (value, self->momentum);\n"
  "      break;\n"
  "    default:\n"
  "      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);\n"
  "    }\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_optimizer_set_property (GObject      *object,\n"
  "~guint         prop_id,\n"
  "~const GValue *value,\n"
  "~GParamSpec   *pspec)\n"
  "{\n"
  "  @Camel@Optimizer *self = @UPPER@_OPTIMIZER (object);\n"
  "\n"
  "  switch (prop_id)\n"
  "    {\n"
  "    case PROP_MOMENTUM:\n"
  "      self->momentum = g_value_get_double (value);\n"
  "      break;\n"
  "    default:\n"
  "      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);\n"
  "    }\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_optimizer_finalize (GObject *object)\n"
  "{\n"
  "  @Camel@Optimizer *self = @UPPER@_OPTIMIZER (object);\n"
  "\n"
  "  g_clear_pointer (&self->velocity, g_ptr_array_unref);\n"
  "  G_OBJECT_CLASS (@name@_optimizer_parent_class)->finalize (object);\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_optimizer_class_init (@Camel@OptimizerClass *klass)\n"
  "{\n"
  "  GObjectClass *object_class = G_OBJECT_CLASS (klass);\n"
  "  NnOptimizerClass *optimizer_class = NN_OPTIMIZER_CLASS (klass);\n"
  "\n"
  "  object_class->finalize = @name@_optimizer_finalize;\n"
  "  object_class->get_property = @name@_optimizer_get_property;\n"
  "  object_class->set_property = @name@_optimizer_set_property;\n"
  "\n"
  "  /* One line, shown by `nnrun plugins`. */\n"
  "  optimizer_class->description = \"@name@: gradient descent with momentum\";\n"
  "  optimizer_class->prepare = @name@_optimizer_prepare;\n"
  "  optimizer_class->update = @name@_optimizer_update;\n"
  "  optimizer_class->save_state = @name@_optimizer_save_state;\n"
  "  optimizer_class->load_state = @name@_optimizer_load_state;\n"
  "\n"
  "  /* In YAML: {name: @name@, momentum: 0.5}. Values outside the range are\n"
  "   * refused when the experiment is read. */\n"
  "  properties[PROP_MOMENTUM] =\n"
  "    g_param_spec_double (\"momentum\", NULL, \"Fraction of the velocity kept at each step\",\n"
  "                         0.0, 0.99, 0.9,\n"
  "                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);\n"
  "\n"
  "  g_object_class_install_properties (object_class, N_PROPS, properties);\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_optimizer_class_finalize (@Camel@OptimizerClass *klass)\n"
  "{\n"
  "}\n"
  "\n"
  "static void\n"
  "@name@_optimizer_init (@Camel@Optimizer *self)\n"
  "{\n"
  "}\n"
  "\n"
  "static void\n"
  "register_types (GTypeModule *module)\n"
  "{\n"
  "  @name@_optimizer_register_type (module);\n"
  "}\n"
  "\n"
  "/* The entry points nn looks for, the plugin ABI and scalar type that this\n"
  " * file is built for, and the names it registers, which nn reads from the\n"
  " * file to load it only when an experiment names one of them. */\n"
  "NN_PLUGIN_DEFINE (register_types, \"@kind@:@name@\")\n";

/* A new meson.build: the project, then the first plugin's stanza. */
static const char meson_template[] =
  "# Builds the nn plugins of this folder against the installed nn:\n"
  "#   meson setup build && meson compile -C build\n"
  "#   nnrun check-plugin build/NAME.so\n"
  "# `meson install -C build` copies them into nn's plugin folder.\n"
  "project('@name@', 'c')\n";

/* One plugin; `nnrun new-plugin` appends one to the meson.build of a
 * folder that has one. */
static const char meson_stanza_template[] =
  "\n"
  "# @name@.so, the nn @kind@ in @name@.c\n"
  "shared_module('@name@', '@name@.c',\n"
  "  name_prefix: '',\n"
  "  dependencies: dependency('nncore'),\n"
  "  gnu_symbol_visibility: 'hidden',\n"
  "  install: true,\n"
  "  install_dir: dependency('nncore').get_variable(pkgconfig: 'plugindir'))\n";

/* The template with @name@, @Camel@, @UPPER@ and @kind@ filled in. A line
 * starting with '~' continues the argument list of the line before it: the
 * '~' becomes the spaces that align it under the first '(' there, whatever
 * the length of the name. */
static char *
render (const char *template,
        const char *name,
        const char *kind)
{
  g_autoptr(GString) text = g_string_new (template);
  g_autoptr(GString) camel = g_string_new (NULL);
  g_autofree char *upper = g_ascii_strup (name, -1);
  g_auto(GStrv) lines = NULL;
  GString *out = g_string_new (NULL);
  gsize align = 0;

  for (const char *p = name; *p != '\0'; p++)
    if (*p != '_')
      g_string_append_c (camel, p == name || p[-1] == '_' ? g_ascii_toupper (*p) : *p);

  g_string_replace (text, "@name@", name, 0);
  g_string_replace (text, "@Camel@", camel->str, 0);
  g_string_replace (text, "@UPPER@", upper, 0);
  g_string_replace (text, "@kind@", kind, 0);

  lines = g_strsplit (text->str, "\n", -1);
  for (gsize i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (line[0] == '~')
        {
          for (gsize s = 0; s < align; s++)
            g_string_append_c (out, ' ');
          line++;
        }
      else
        {
          const char *paren = strchr (line, '(');
          align = paren ? (gsize) (paren - line) + 1 : 0;
        }
      g_string_append (out, line);
      if (lines[i + 1] != NULL)
        g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

/* A registered name: what a YAML file names it by, and a C identifier. */
static gboolean
valid_plugin_name (const char *name)
{
  if (!g_ascii_islower (name[0]))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_')
      return FALSE;
  return !g_str_has_suffix (name, "_") && strstr (name, "__") == NULL;
}

static gboolean
write_new_file (const char  *path,
                const char  *contents,
                GError     **error)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                   "%s already exists; not overwriting it", path);
      return FALSE;
    }
  return g_file_set_contents (path, contents, -1, error);
}

typedef struct {
  const char *kind;
  const char *template;
  const char *article;       /* "an activation" */
  const char *what;          /* what the new plugin computes */
  const char *yaml;          /* how an experiment names it, a template */
  const char *edit;          /* what to edit */
} Kind;

static const Kind kinds[] = {
  { "activation", activation_template, "an activation", "f(z) = scale * z",
    "  - {units: 16, activation: {name: @name@, scale: 1.0}}\n", "the two functions marked EDIT" },
  { "loss", loss_template, "a loss", "weight * mean squared error",
    "  loss: {name: @name@, weight: 1.0}\n", "the two functions marked EDIT" },
  { "optimizer", optimizer_template, "an optimizer", "gradient descent with momentum",
    "  optimizer: {name: @name@, learning_rate: 0.01, momentum: 0.9}\n",
    "the function marked EDIT" },
};

/* Adds @stanza to the meson.build at @path, which exists: written anew
 * beside and renamed over it, so it is whole or as it was. */
static gboolean
append_to_meson_build (const char  *path,
                       const char  *source_name,
                       const char  *stanza,
                       GError     **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *quoted = g_strdup_printf ("'%s'", source_name);
  g_autofree char *updated = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;
  if (strstr (contents, quoted) != NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_EXIST,
                   "%s already builds %s; not adding it again", path, source_name);
      return FALSE;
    }
  updated = g_strconcat (contents, length > 0 && contents[length - 1] != '\n' ? "\n" : "",
                         stanza, NULL);
  return g_file_set_contents (path, updated, -1, error);
}

int
nnrun_cmd_new_plugin (int    argc,
                      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
  g_autofree char *source_name = NULL;
  g_autofree char *source = NULL;
  g_autofree char *build = NULL;
  g_autofree char *code = NULL;
  g_autofree char *meson = NULL;
  g_autofree char *stanza = NULL;
  g_autofree char *render_tmp = NULL;
  g_autofree char *library = NULL;
  g_autofree char *yaml = NULL;
  const Kind *kind = NULL;
  const char *name, *dir;
  gboolean have_build;

  context = g_option_context_new ("activation|loss|optimizer NAME [DIR] - start a plugin");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context,
    "Writes DIR/NAME.c, a complete plugin that registers NAME (an identity-like\n"
    "activation, the mean squared error, or gradient descent with momentum), and\n"
    "DIR/meson.build, or adds NAME to the meson.build already in DIR. It builds,\n"
    "loads and passes check-plugin as it is: edit the functions marked EDIT. DIR\n"
    "is ./NAME by default.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return nnrun_usage_error (context, error->message);
  if (argc < 3 || argc > 4)
    return nnrun_usage_error (context, "new-plugin needs a kind, a NAME and at most one DIR");

  name = argv[2];
  dir = argc == 4 ? argv[3] : name;
  for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++)
    if (g_str_equal (argv[1], kinds[k].kind))
      kind = &kinds[k];
  if (kind == NULL)
    return nnrun_usage_error (context,
                              "the kind of plugin is 'activation', 'loss' or 'optimizer'");
  if (!valid_plugin_name (name))
    {
      g_printerr ("nnrun: '%s' cannot name a plugin: use lower-case letters, digits and "
                  "single underscores, starting with a letter (like leaky_relu)\n", name);
      return EXIT_BAD_INPUT;
    }

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved_errno = errno;

      g_printerr ("nnrun: cannot make the folder %s: %s\n", dir, g_strerror (saved_errno));
      return EXIT_RUN_FAILED;
    }
  source_name = g_strconcat (name, ".c", NULL);
  source = g_build_filename (dir, source_name, NULL);
  build = g_build_filename (dir, "meson.build", NULL);
  code = render (kind->template, name, kind->kind);
  stanza = render (meson_stanza_template, name, kind->kind);
  meson = g_strconcat (render_tmp = render (meson_template, name, kind->kind), stanza, NULL);
  have_build = g_file_test (build, G_FILE_TEST_EXISTS);
  /* The source first: if it is there already, nothing is written; if the
   * build file cannot take it, the source goes again. */
  if (!write_new_file (source, code, &error))
    {
      g_printerr ("nnrun: %s\n", error->message);
      return g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_EXIST)
             ? EXIT_BAD_INPUT : EXIT_RUN_FAILED;
    }
  if (!(have_build ? append_to_meson_build (build, source_name, stanza, &error)
                   : write_new_file (build, meson, &error)))
    {
      g_unlink (source);
      g_printerr ("nnrun: %s\n", error->message);
      return g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_EXIST)
             ? EXIT_BAD_INPUT : EXIT_RUN_FAILED;
    }

  library = g_build_filename (dir, name, NULL);
  g_print ("Wrote %s and %s%s: %s, %s.\n\n", source, have_build ? "added it to " : "",
           build, kind->article, kind->what);
  g_print ("Edit %s, then build and check it:\n"
           "  cc -shared -fPIC %s $(pkg-config --cflags --libs nncore) -o %s.so\n"
           "  nnrun check-plugin %s.so\n\n", kind->edit, source, library, library);
  g_print ("Then put its folder, %s, in an experiment's plugins: list or in NN_PLUGIN_PATH,\n"
           "and name it like a built-in:\n", dir);
  yaml = render (kind->yaml, name, kind->kind);
  g_print ("%s", yaml);
  return EXIT_OK;
}
