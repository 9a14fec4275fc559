/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whether values are finite, tested on vectors of NN_SIMD_BYTES already in
 * registers; for the NN_SIMD_CLONES loops of libnncore, not installed. */
#pragma once

#include <string.h>
#include <glib.h>

#include "nn-matrix.h"
#include "nn-simd.h"

G_BEGIN_DECLS

/* A NaN or an infinity has every exponent bit set, and only then does
 * adding the lowest of them carry into the sign bit: the OR of those sums
 * answers for all the values seen. An addition, not a comparison, which
 * GCC makes one element at a time where the vectors are wider than its
 * registers. */
#if NN_REAL_IS_DOUBLE
typedef guint64 NnFiniteBits __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define NN_FINITE_EXPONENT_BITS G_GUINT64_CONSTANT (0x7ff0000000000000)
#define NN_FINITE_EXPONENT_ONE G_GUINT64_CONSTANT (0x0010000000000000)
#define NN_FINITE_SIGN_BIT G_GUINT64_CONSTANT (0x8000000000000000)
#else
typedef guint32 NnFiniteBits __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define NN_FINITE_EXPONENT_BITS 0x7f800000u
#define NN_FINITE_EXPONENT_ONE 0x00800000u
#define NN_FINITE_SIGN_BIT 0x80000000u
#endif

/* Adds the NN_SIMD_BYTES of values at @v to @bad. */
G_ALWAYS_INLINE static inline void
nn_finite_bits_add (NnFiniteBits *bad,
                    const void   *v)
{
  NnFiniteBits bits;

  memcpy (&bits, v, sizeof bits);
  *bad |= (bits & NN_FINITE_EXPONENT_BITS) + NN_FINITE_EXPONENT_ONE;
}

/* Whether every value added to @bad was finite. */
G_ALWAYS_INLINE static inline gboolean
nn_finite_bits_ok (const NnFiniteBits *bad)
{
  for (gsize k = 0; k < sizeof (NnFiniteBits) / sizeof ((*bad)[0]); k++)
    if ((*bad)[k] & NN_FINITE_SIGN_BIT)
      return FALSE;
  return TRUE;
}

G_END_DECLS
