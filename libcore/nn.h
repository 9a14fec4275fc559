/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn.h: the one header users, plugins and nnrun include. */
#pragma once

#define __NN_H_INSIDE__

#include "nn-version.h"
#include "nn-real.h"
#include "nn-simd.h"
#include "nn-errors.h"
#include "nn-limits.h"
#include "nn-matrix.h"
#include "nn-activation.h"
#include "nn-loss.h"
#include "nn-optimizer.h"
#include "nn-sgd-optimizer.h"
#include "nn-adam-optimizer.h"
#include "nn-adamw-optimizer.h"
#include "nn-rmsprop-optimizer.h"
#include "nn-adagrad-optimizer.h"
#include "nn-rprop-optimizer.h"
#include "nn-schedule.h"
#include "nn-layer.h"
#include "nn-dense-layer.h"
#include "nn-activation-layer.h"
#include "nn-batch-norm-layer.h"
#include "nn-model.h"
#include "nn-trainer-callback.h"
#include "nn-trainer.h"
#include "nn-early-stopping.h"
#include "nn-checkpoint.h"
#include "nn-scaler.h"
#include "nn-dataset.h"
#include "nn-metrics.h"
#include "nn-param-text.h"
#include "nn-registry.h"
#include "nn-plugins.h"
#include "nn-plugin.h"
#include "nn-plugin-check.h"
#include "nn-pipeline.h"
#include "nn-experiment.h"
#include "nn-safetensors.h"

#undef __NN_H_INSIDE__
