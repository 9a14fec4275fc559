/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A program around a model exported by `nnrun export --format c`, built by
 * test-export-c.py with -DMODEL=NAME -include NAME.h and the same flags a
 * user's C99 would see. `main CSV` prints the outputs of
 * MODEL_predict_row() for each row of CSV, its columns picked by
 * MODEL_FEATURES; `main --nan` prints what MODEL_predict() returns for a
 * row of NaN. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASTE2(a, b) a##b
#define PASTE(a, b) PASTE2 (a, b)
#define N_FEATURES PASTE (MODEL, _N_FEATURES)
#define N_OUTPUTS PASTE (MODEL, _N_OUTPUTS)

#define MAX_FIELDS 1024
#define MAX_LINE 65536

/* Splits @line in place into CSV fields, quotes undone. */
static int
split (char *line, char **fields)
{
  int   n = 0;
  char *r = line, *w;

  line[strcspn (line, "\r\n")] = '\0';
  for (;;)
    {
      fields[n++] = w = r;
      if (*r == '"')
        {
          for (r++; *r; r++)
            {
              if (*r == '"' && r[1] == '"')
                *w++ = *r++;
              else if (*r == '"')
                {
                  r++;
                  break;
                }
              else
                *w++ = *r;
            }
        }
      while (*r && *r != ',')
        *w++ = *r++;
      if (*r == '\0' || n == MAX_FIELDS)
        {
          *w = '\0';
          return n;
        }
      r++;
      *w = '\0';
    }
}

int
main (int argc, char **argv)
{
  static char line[MAX_LINE], names[MAX_LINE];
  char       *header[MAX_FIELDS], *fields[MAX_FIELDS];
  const char *cells[N_FEATURES];
  int         column[N_FEATURES];
  float       features[N_FEATURES], outputs[N_OUTPUTS];
  int         n_header, i, j, status;
  FILE       *f;

  if (argc == 2 && strcmp (argv[1], "--nan") == 0)
    {
      for (j = 0; j < N_FEATURES; j++)
        features[j] = NAN;
      printf ("%d\n", PASTE (MODEL, _predict) (features, outputs));
      return 0;
    }
  if (argc != 2 || (f = fopen (argv[1], "r")) == NULL || !fgets (names, sizeof names, f))
    return 3;
  n_header = split (names, header);
  for (j = 0; j < N_FEATURES; j++)
    {
      for (column[j] = -1, i = 0; i < n_header; i++)
        if (strcmp (header[i], PASTE (MODEL, _FEATURES)[j]) == 0)
          column[j] = i;
      if (column[j] < 0)
        return 4;
    }
  while (fgets (line, sizeof line, f))
    {
      if (split (line, fields) != n_header)
        return 5;
      for (j = 0; j < N_FEATURES; j++)
        cells[j] = fields[column[j]];
      status = PASTE (MODEL, _predict_row) (cells, outputs);
      if (status != 0)
        {
          printf ("status %d\n", status);
          continue;
        }
      for (i = 0; i < N_OUTPUTS; i++)
        printf (i == 0 ? "%.9g" : ",%.9g", outputs[i]);
      printf ("\n");
    }
  fclose (f);
  return 0;
}
