/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn-limits.h: the sizes nn accepts, for the readers of data and models
 * to check before they allocate. */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * NN_LAYER_MAX_WIDTH:
 *
 * The most neurons or inputs a layer may have, and so the most features a
 * data set may have.
 */
#define NN_LAYER_MAX_WIDTH (1u << 20)

/**
 * NN_MODEL_MAX_PARAMETERS:
 *
 * The most parameters (weights and biases of all layers together) a model
 * read from a file, an experiment or a saved model, may have: 2^26
 * (67 108 864), 256 MiB of float weights. The loaders check it before
 * allocating any layer.
 */
#define NN_MODEL_MAX_PARAMETERS (G_GUINT64_CONSTANT (1) << 26)

/**
 * NN_MODEL_MAX_LAYERS:
 *
 * The most layers a model read from a file, an experiment or a saved
 * model, may have.
 */
#define NN_MODEL_MAX_LAYERS 1024u

/**
 * NN_MAX_EPOCHS:
 *
 * The most epochs a training may last, and so the largest epoch count a
 * parameter (of a learning-rate schedule, for one) accepts.
 */
#define NN_MAX_EPOCHS 10000000

/**
 * NN_MAX_CATEGORIES:
 *
 * The most categories a categorical feature column may have in the
 * training data: 2^16 (65 536), each of which is an input of the first
 * layer.
 */
#define NN_MAX_CATEGORIES (1u << 16)

G_END_DECLS
