/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The w1 workload of `nnrun bench` written with FANN, as a FANN user would:
 *
 *   fann-peer w1 [--threads N] [--epochs N] [--iris FILE]
 *
 * Iris 150×4 min-max scaled per feature, a 4-16-3 network, full-batch
 * gradient descent (FANN_TRAIN_BATCH), learning rate 0.5, 5000 epochs,
 * float32. FANN has no softmax and no cross-entropy, so the outputs are
 * sigmoids trained on one-hot targets with FANN's mean squared error: the
 * same network size and the same products per sample, another loss.
 * Prints one JSON object with the fields tools/bench/peer prints. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#include <floatfann.h>

#ifndef NN_BENCH_IRIS_CSV
#define NN_BENCH_IRIS_CSV "libcore/data/iris.csv"
#endif

#define W1_EPOCHS 5000
#define N_FEATURES 4
#define N_CLASSES 3
#define SEED 42

static const unsigned int w1_widths[] = { N_FEATURES, 16, N_CLASSES };

typedef struct
{
  unsigned int  n;
  float        *x;     /* n × N_FEATURES */
  unsigned int *label; /* n, index into the sorted class names */
} Iris;

static int
usage_error (const char *message)
{
  fprintf (stderr, "fann-peer: %s\n"
                   "usage: fann-peer w1 [--threads N] [--epochs N] [--iris FILE]\n",
           message);
  return 2;
}

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* VmHWM where there is one: getrusage's ru_maxrss keeps the parent's RSS
 * across fork and exec, so a child of a large process would report that. */
static double
peak_rss_mib (void)
{
  struct rusage usage;
  char          line[256];
  FILE         *f = fopen ("/proc/self/status", "r");

  if (f != NULL)
    {
      unsigned long kib;

      while (fgets (line, sizeof line, f) != NULL)
        if (sscanf (line, "VmHWM: %lu kB", &kib) == 1)
          {
            fclose (f);
            return kib / 1024.0;
          }
      fclose (f);
    }
  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return NAN;
  return usage.ru_maxrss / 1024.0; /* kilobytes on Linux */
}

/* The rule of tools/bench/peer: Z = X W^T and dW = dZ^T X for every
 * layer, dX = dZ W for every layer but the first. */
static double
flop_per_sample (const unsigned int *widths,
                 unsigned int        n_widths)
{
  double flop = 0;

  for (unsigned int l = 0; l + 1 < n_widths; l++)
    {
      flop += 2.0 * 2 * widths[l] * widths[l + 1];
      if (l > 0)
        flop += 2.0 * widths[l] * widths[l + 1];
    }
  return flop;
}

/* A whole positive number no larger than @max, or 0. */
static long
parse_count (const char *text,
             long        max)
{
  char *end;
  long  value;

  errno = 0;
  value = strtol (text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 1 || value > max)
    return 0;
  return value;
}

static void
iris_clear (Iris *iris)
{
  free (iris->x);
  free (iris->label);
}

/* Reads the CSV (a header, then four numbers and a species per row); the
 * classes are numbered in the sorted order of their names, as the peers do. */
static int
iris_read (const char *path,
           Iris       *iris)
{
  char         names[N_CLASSES][64] = { { 0 } };
  unsigned int n_names = 0, rank[N_CLASSES], line_no = 0, capacity = 0;
  char         line[512];
  FILE        *f = fopen (path, "r");

  memset (iris, 0, sizeof *iris);
  if (f == NULL)
    {
      fprintf (stderr, "fann-peer: %s: %s\n", path, strerror (errno));
      return 0;
    }
  while (fgets (line, sizeof line, f) != NULL)
    {
      float        row[N_FEATURES];
      char        *p = line, *end;
      unsigned int c;

      if (line_no++ == 0 || strspn (line, " \t\r\n") == strlen (line))
        continue;
      for (unsigned int j = 0; j < N_FEATURES; j++)
        {
          row[j] = strtof (p, &end);
          if (end == p || *end != ',')
            goto malformed;
          p = end + 1;
        }
      p[strcspn (p, "\r\n")] = '\0';
      if (*p == '\0' || strlen (p) >= sizeof names[0])
        goto malformed;
      for (c = 0; c < n_names && strcmp (names[c], p) != 0; c++)
        ;
      if (c == n_names)
        {
          if (n_names == N_CLASSES)
            {
              fprintf (stderr, "fann-peer: %s:%u: more than %d classes\n", path, line_no,
                       N_CLASSES);
              goto fail;
            }
          strcpy (names[n_names++], p);
        }
      if (iris->n == capacity)
        {
          float        *x;
          unsigned int *label;

          capacity = capacity ? 2 * capacity : 256;
          x = realloc (iris->x, sizeof (float) * N_FEATURES * capacity);
          if (x != NULL)
            iris->x = x;
          label = realloc (iris->label, sizeof (unsigned int) * capacity);
          if (label != NULL)
            iris->label = label;
          if (x == NULL || label == NULL)
            {
              fprintf (stderr, "fann-peer: out of memory\n");
              goto fail;
            }
        }
      memcpy (iris->x + (size_t) iris->n * N_FEATURES, row, sizeof row);
      iris->label[iris->n++] = c;
    }
  if (ferror (f) || iris->n == 0 || n_names != N_CLASSES)
    {
      fprintf (stderr, "fann-peer: %s: expected rows of %d classes\n", path, N_CLASSES);
      goto fail;
    }
  fclose (f);

  for (unsigned int c = 0; c < N_CLASSES; c++)
    {
      rank[c] = 0;
      for (unsigned int d = 0; d < N_CLASSES; d++)
        rank[c] += strcmp (names[d], names[c]) < 0;
    }
  for (unsigned int i = 0; i < iris->n; i++)
    iris->label[i] = rank[iris->label[i]];
  return 1;

malformed:
  fprintf (stderr, "fann-peer: %s:%u: expected %d numbers and a species\n", path, line_no,
           N_FEATURES);
fail:
  fclose (f);
  iris_clear (iris);
  return 0;
}

/* FANN's training set: features min-max scaled per column, one-hot targets. */
static struct fann_train_data *
make_train_data (const Iris *iris)
{
  struct fann_train_data *data = fann_create_train (iris->n, N_FEATURES, N_CLASSES);

  if (data == NULL)
    return NULL;
  for (unsigned int j = 0; j < N_FEATURES; j++)
    {
      float lo = iris->x[j], hi = iris->x[j];

      for (unsigned int i = 1; i < iris->n; i++)
        {
          lo = fminf (lo, iris->x[(size_t) i * N_FEATURES + j]);
          hi = fmaxf (hi, iris->x[(size_t) i * N_FEATURES + j]);
        }
      for (unsigned int i = 0; i < iris->n; i++)
        data->input[i][j] = hi > lo ? (iris->x[(size_t) i * N_FEATURES + j] - lo) / (hi - lo)
                                    : 0;
    }
  for (unsigned int i = 0; i < iris->n; i++)
    for (unsigned int c = 0; c < N_CLASSES; c++)
      data->output[i][c] = iris->label[i] == c;
  return data;
}

/* JSON has no NaN or infinity. */
static void
print_number (const char *name,
              double      value,
              const char *separator)
{
  if (isfinite (value))
    printf ("\"%s\": %.17g%s", name, value, separator);
  else
    printf ("\"%s\": null%s", name, separator);
}

int
main (int   argc,
      char *argv[])
{
  const char             *workload = NULL, *iris_path = NN_BENCH_IRIS_CSV;
  long                    threads = 1, epochs = W1_EPOCHS;
  struct fann_train_data *data;
  struct fann            *ann;
  double                  start, seconds, samples_per_second, flop;
  float                   loss;
  Iris                    iris;

  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0)
        {
          printf ("usage: fann-peer w1 [--threads N] [--epochs N] [--iris FILE]\n"
                  "Trains the w1 workload of nnrun bench with FANN and prints one JSON "
                  "object.\n");
          return 0;
        }
      if (strcmp (arg, "--threads") == 0 || strcmp (arg, "--epochs") == 0 || strcmp (arg, "--iris") == 0)
        {
          if (i + 1 == argc)
            {
              char message[64];

              snprintf (message, sizeof message, "%s needs a value", arg);
              return usage_error (message);
            }
          if (strcmp (arg, "--iris") == 0)
            iris_path = argv[++i];
          else if (strcmp (arg, "--threads") == 0)
            {
              if ((threads = parse_count (argv[++i], 256)) == 0)
                return usage_error ("--threads must be between 1 and 256");
            }
          else if ((epochs = parse_count (argv[++i], INT_MAX)) == 0)
            return usage_error ("--epochs must be positive");
        }
      else if (arg[0] == '-')
        {
          char message[128];

          snprintf (message, sizeof message, "unknown option %.80s", arg);
          return usage_error (message);
        }
      else if (workload != NULL)
        return usage_error ("one workload only");
      else
        workload = arg;
    }
  if (workload == NULL)
    return usage_error ("no workload (w1)");
  if (strcmp (workload, "w2") == 0)
    {
      /* FANN updates after every sample or after the whole set: no batches
       * of 128. */
      fprintf (stderr, "fann-peer: w2 is not supported: FANN has no mini-batches\n");
      return 2;
    }
  if (strcmp (workload, "w1") != 0)
    {
      char message[128];

      snprintf (message, sizeof message, "unknown workload '%.80s' (w1)", workload);
      return usage_error (message);
    }
  if (threads > 1)
    fprintf (stderr, "fann-peer: FANN is single-threaded: ran on 1 thread, not %ld\n",
             threads);

  if (!iris_read (iris_path, &iris))
    return 1;
  data = make_train_data (&iris);
  ann = fann_create_standard (3, w1_widths[0], w1_widths[1], w1_widths[2]);
  if (data == NULL || ann == NULL)
    {
      fprintf (stderr, "fann-peer: FANN could not create the network or its data\n");
      return 1;
    }
  fann_set_activation_function_hidden (ann, FANN_SIGMOID);
  fann_set_activation_function_output (ann, FANN_SIGMOID);
  /* The plain squared error's gradient, so that the loss reported is the
   * one descended (FANN's default bends it with a tanh). */
  fann_set_train_error_function (ann, FANN_ERRORFUNC_LINEAR);
  fann_set_training_algorithm (ann, FANN_TRAIN_BATCH);
  fann_set_learning_rate (ann, 0.5f);
  /* fann_create_standard seeds rand () itself and draws the weights from
   * [-0.1, 0.1]: the same draw again after a fixed seed, for the same
   * weights every run. */
  srand (SEED);
  fann_randomize_weights (ann, -0.1f, 0.1f);

  start = now ();
  for (long e = 0; e < epochs; e++)
    fann_train_epoch (ann, data);
  seconds = now () - start;
  /* The MSE of the last epoch's forward pass, as the peers report theirs. */
  loss = fann_get_MSE (ann);

  samples_per_second = (double) iris.n * epochs / seconds;
  flop = flop_per_sample (w1_widths, sizeof w1_widths / sizeof w1_widths[0]);
  printf ("{\"workload\": \"w1\", \"peer\": \"fann\", \"threads\": %ld, \"threads_used\": 1, "
          "\"epochs\": %ld, ",
          threads, epochs);
  print_number ("seconds_per_epoch", seconds / epochs, ", ");
  print_number ("samples_per_second", samples_per_second, ", ");
  print_number ("flop_per_sample", flop, ", ");
  print_number ("gflops", samples_per_second * flop / 1e9, ", ");
  print_number ("peak_rss_mib", peak_rss_mib (), ", ");
  print_number ("seconds", seconds, ", ");
  printf ("\"batch_size\": %u, ", iris.n);
  print_number ("final_loss", loss, "}\n");

  fann_destroy (ann);
  fann_destroy_train (data);
  iris_clear (&iris);
  return fflush (stdout) == 0 ? 0 : 1;
}
