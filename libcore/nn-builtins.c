/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The classes built into the library. Each registers its name in its own
 * file as its type is defined; this only makes sure the types are, as
 * GIO's _g_io_modules_ensure_loaded() does for its own. */
#include "config.h"

#include "nn-activation-layer.h"
#include "nn-dropout-layer.h"
#include "nn-batch-norm-layer.h"
#include "nn-adagrad-optimizer.h"
#include "nn-adam-optimizer.h"
#include "nn-adamw-optimizer.h"
#include "nn-dense-layer.h"
#include "nn-registry-private.h"
#include "nn-rmsprop-optimizer.h"
#include "nn-rprop-optimizer.h"
#include "nn-schedule.h"
#include "nn-sgd-optimizer.h"

void
nn_registry_ensure_builtins (void)
{
  g_type_ensure (NN_TYPE_SGD_OPTIMIZER);
  g_type_ensure (NN_TYPE_ADAM_OPTIMIZER);
  g_type_ensure (NN_TYPE_ADAMW_OPTIMIZER);
  g_type_ensure (NN_TYPE_RMSPROP_OPTIMIZER);
  g_type_ensure (NN_TYPE_ADAGRAD_OPTIMIZER);
  g_type_ensure (NN_TYPE_RPROP_OPTIMIZER);

  g_type_ensure (NN_TYPE_CONSTANT_SCHEDULE);
  g_type_ensure (NN_TYPE_STEP_SCHEDULE);
  g_type_ensure (NN_TYPE_EXPONENTIAL_SCHEDULE);
  g_type_ensure (NN_TYPE_COSINE_SCHEDULE);

  g_type_ensure (NN_TYPE_DENSE_LAYER);
  g_type_ensure (NN_TYPE_ACTIVATION_LAYER);
  g_type_ensure (NN_TYPE_DROPOUT_LAYER);
  g_type_ensure (NN_TYPE_BATCH_NORM_LAYER);
}
