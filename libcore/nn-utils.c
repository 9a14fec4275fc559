/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "nn-utils-private.h"

static guint
edit_distance (const char *a,
               const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree guint *prev = g_new (guint, lb + 1);
  g_autofree guint *cur = g_new (guint, lb + 1);

  for (gsize j = 0; j <= lb; j++)
    prev[j] = j;
  for (gsize i = 1; i <= la; i++)
    {
      cur[0] = i;
      for (gsize j = 1; j <= lb; j++)
        {
          guint cost = g_ascii_tolower (a[i - 1]) == g_ascii_tolower (b[j - 1]) ? 0 : 1;
          cur[j] = MIN (MIN (prev[j] + 1, cur[j - 1] + 1), prev[j - 1] + cost);
        }
      memcpy (prev, cur, (lb + 1) * sizeof (guint));
    }
  return prev[lb];
}

/*
 * nn_suggest:
 * @word: what the user wrote
 * @candidates: (array zero-terminated=1): the valid words
 *
 * Returns: (transfer none) (nullable): the candidate closest to @word when it
 *   is close enough to be a likely typo, for a "did you mean" hint
 */
const char *
nn_suggest (const char         *word,
            const char * const *candidates)
{
  const char *best = NULL;
  guint best_distance = G_MAXUINT;
  guint limit = MAX (2, (guint) strlen (word) / 3);

  for (gsize i = 0; candidates != NULL && candidates[i] != NULL; i++)
    {
      guint d = edit_distance (word, candidates[i]);
      if (d < best_distance)
        {
          best_distance = d;
          best = candidates[i];
        }
    }
  return best_distance <= limit ? best : NULL;
}

/*
 * nn_strjoin_quoted:
 * @words: (array zero-terminated=1): words
 *
 * Returns: (transfer full): the words as `'a', 'b', 'c'`
 */
char *
nn_strjoin_quoted (const char * const *words)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; words != NULL && words[i] != NULL; i++)
    g_string_append_printf (s, "%s'%s'", i ? ", " : "", words[i]);
  return g_string_free (s, FALSE);
}
