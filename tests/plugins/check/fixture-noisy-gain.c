/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A layer kind with a parameter and a random step, built four ways:
 * A = X ⊙ M ⊙ gain, M a fresh multiplicative noise in [0.5, 1.5) per value
 * and training step, the identity's gain in evaluation, gain (1 × width)
 * learnt. As it stands, right: check-plugin must pass it, which it can only
 * do if every forward step of the check draws the same M. With
 * -DFIXTURE_WRONG_INPUT, backward's dL/dX forgets M; with
 * -DFIXTURE_WRONG_GAIN, the gain's gradient comes from the first row of the
 * batch only; with -DFIXTURE_UNSEEDED, M comes from GLib's global random
 * numbers instead of the step's; with -DFIXTURE_NOISY_EVALUATION, M is
 * applied in evaluation too; with -DFIXTURE_LAZY_FIRST_LAYER, backward asked
 * for no dL/dX (as for a model's first layer) leaves the gain's gradient
 * as it was. Each of those must fail. */
#include <string.h>
#include <nn.h>

#if defined(FIXTURE_WRONG_INPUT)
#define KIND "fixture_wrong_layer_input"
#define TYPE_NAME "NnFixtureWrongLayerInput"
#elif defined(FIXTURE_WRONG_GAIN)
#define KIND "fixture_wrong_layer_gain"
#define TYPE_NAME "NnFixtureWrongLayerGain"
#elif defined(FIXTURE_UNSEEDED)
#define KIND "fixture_unseeded_layer"
#define TYPE_NAME "NnFixtureUnseededLayer"
#elif defined(FIXTURE_LAZY_FIRST_LAYER)
#define KIND "fixture_lazy_first_layer"
#define TYPE_NAME "NnFixtureLazyFirstLayer"
#elif defined(FIXTURE_NOISY_EVALUATION)
#define KIND "fixture_noisy_evaluation"
#define TYPE_NAME "NnFixtureNoisyEvaluationLayer"
#else
#define KIND "fixture_noisy_gain"
#define TYPE_NAME "NnFixtureNoisyGainLayer"
#endif

typedef struct
{
  NnLayer parent_instance;

  guint     width;
  NnMatrix *gain;
  NnMatrix *grad_gain;
  NnMatrix *mask; /* of the last forward step */
  NnMatrix *a;
  NnMatrix *grad_x;
} Fixture;

static GObjectClass *parent_class;

static Fixture *
fixture_of (NnLayer *layer)
{
  return (Fixture *) layer;
}

/* The matrices of a batch of @rows, made anew when the batch changes. */
static void
ensure_rows (Fixture *self,
             guint    rows)
{
  if (self->a != NULL && self->a->rows == rows)
    return;
  g_clear_pointer (&self->mask, nn_matrix_free);
  g_clear_pointer (&self->a, nn_matrix_free);
  g_clear_pointer (&self->grad_x, nn_matrix_free);
  self->mask = nn_matrix_new (rows, self->width);
  self->a = nn_matrix_new (rows, self->width);
  self->grad_x = nn_matrix_new (rows, self->width);
}

static const NnMatrix *
fixture_forward (NnLayer        *layer,
                 const NnMatrix *x)
{
  Fixture *self = fixture_of (layer);
  gsize    n = nn_matrix_size (x);

  ensure_rows (self, x->rows);
  for (gsize i = 0; i < n; i++)
    {
#ifdef FIXTURE_UNSEEDED
      double u = g_random_double ();
#else
      double u = nn_layer_get_step_uniform (layer, i);
#endif
#ifdef FIXTURE_NOISY_EVALUATION
      self->mask->data[i] = (nn_real) (0.5 + u);
#else
      self->mask->data[i] = nn_layer_get_training (layer) ? (nn_real) (0.5 + u) : 1;
#endif
      self->a->data[i] = x->data[i] * self->mask->data[i] * self->gain->data[i % self->width];
    }
  return self->a;
}

static const NnMatrix *
fixture_backward (NnLayer        *layer,
                  const NnMatrix *x,
                  const NnMatrix *grad_a,
                  gboolean        want_grad_input)
{
  Fixture *self = fixture_of (layer);

#ifdef FIXTURE_LAZY_FIRST_LAYER
  if (!want_grad_input)
    return NULL;
#endif
  nn_matrix_fill (self->grad_gain, 0);
  for (guint r = 0; r < x->rows; r++)
    for (guint c = 0; c < self->width; c++)
      {
        gsize i = (gsize) r * self->width + c;

#ifdef FIXTURE_WRONG_GAIN
        if (r > 0)
          continue;
#endif
        self->grad_gain->data[c] += grad_a->data[i] * x->data[i] * self->mask->data[i];
      }
  if (!want_grad_input)
    return NULL;
  for (gsize i = 0; i < nn_matrix_size (x); i++)
#ifdef FIXTURE_WRONG_INPUT
    self->grad_x->data[i] = grad_a->data[i] * self->gain->data[i % self->width];
#else
    self->grad_x->data[i] = grad_a->data[i] * self->mask->data[i] *
                            self->gain->data[i % self->width];
#endif
  return self->grad_x;
}

static const NnMatrix *
fixture_get_output (NnLayer *layer)
{
  return fixture_of (layer)->a;
}

static guint
fixture_get_n_parameters (NnLayer *layer)
{
  return 1;
}

static NnMatrix *
fixture_get_parameter (NnLayer *layer,
                       guint    index)
{
  return fixture_of (layer)->gain;
}

static const NnMatrix *
fixture_get_gradient (NnLayer *layer,
                      guint    index)
{
  return fixture_of (layer)->grad_gain;
}

static const char *
fixture_get_parameter_name (NnLayer *layer,
                            guint    index)
{
  return "gain";
}

/* Away from 1, so that a wrong gain in dL/dX shows. */
static void
fixture_init_parameters (NnLayer *layer,
                         NnInit   init,
                         GRand   *rand)
{
  Fixture *self = fixture_of (layer);

  for (guint c = 0; c < self->width; c++)
    self->gain->data[c] = (nn_real) g_rand_double_range (rand, 0.5, 2.0);
}

static void
fixture_constructed (GObject *object)
{
  Fixture *self = (Fixture *) object;

  parent_class->constructed (object);
  self->width = nn_layer_get_n_inputs (NN_LAYER (self));
  self->gain = nn_matrix_new (1, self->width);
  self->grad_gain = nn_matrix_new (1, self->width);
  nn_matrix_fill (self->gain, 1);
  ensure_rows (self, 1);
}

static void
fixture_finalize (GObject *object)
{
  Fixture *self = (Fixture *) object;

  nn_matrix_free (self->gain);
  nn_matrix_free (self->grad_gain);
  nn_matrix_free (self->mask);
  nn_matrix_free (self->a);
  nn_matrix_free (self->grad_x);
  parent_class->finalize (object);
}

static void
fixture_class_init (gpointer klass,
                    gpointer data)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  NnLayerClass *layer_class = NN_LAYER_CLASS (klass);

  parent_class = g_type_class_peek_parent (klass);
  object_class->constructed = fixture_constructed;
  object_class->finalize = fixture_finalize;
  layer_class->description = "Multiplicative noise and a learnt gain per input";
  layer_class->forward = fixture_forward;
  layer_class->backward = fixture_backward;
  layer_class->get_output = fixture_get_output;
  layer_class->get_n_parameters = fixture_get_n_parameters;
  layer_class->get_parameter = fixture_get_parameter;
  layer_class->get_gradient = fixture_get_gradient;
  layer_class->get_parameter_name = fixture_get_parameter_name;
  layer_class->init_parameters = fixture_init_parameters;
}

/* Registered by hand, as one source gives four type names. */
static void
register_types (GTypeModule *module)
{
  const GTypeInfo info = {
    .class_size = sizeof (NnLayerClass),
    .class_init = fixture_class_init,
    .instance_size = sizeof (Fixture),
  };
  GType type = g_type_module_register_type (module, NN_TYPE_LAYER, TYPE_NAME, &info, 0);

  g_io_extension_point_implement (NN_LAYER_EXTENSION_POINT_NAME, type, KIND, 0);
}

NN_PLUGIN_DEFINE (register_types, "layer:" KIND)
