/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the built-in activations share to run NN_SIMD_BYTES of values at a
 * time through the GCC and Clang vector extensions (an -O2 build leaves
 * loops of unknown length scalar, and a libm call per element is slow);
 * NN_SIMD_CLONES compiles the functions that use them for AVX2 and FMA as
 * well. Not installed. */
#pragma once

#include <nn.h>

typedef nn_real RealVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#if NN_REAL_IS_DOUBLE
typedef guint64 BitsVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
typedef gint64 MaskVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define INFINITY_BITS G_GUINT64_CONSTANT (0x7ff0000000000000)
#else
typedef guint32 BitsVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
typedef gint32 MaskVec __attribute__ ((vector_size (NN_SIMD_BYTES)));
#define INFINITY_BITS 0x7f800000u
#endif
#define LANES (sizeof (RealVec) / sizeof (nn_real))

/* All ones in the lanes of @v above 0 (NaN not): 0 < bits <= those of +∞,
 * told by the sign bits of two differences. GCC compares 32-byte vectors
 * one element at a time where it lacks 32-byte registers (the baseline
 * clone); it splits integer arithmetic into halves. */
G_ALWAYS_INLINE static inline void
positive_lanes (const RealVec *v,
                MaskVec       *mask)
{
  BitsVec bits = (BitsVec) *v;
  BitsVec outside = (bits - 1) | (INFINITY_BITS - bits);

  *mask = ~((MaskVec) outside >> (8 * sizeof (nn_real) - 1));
}

#if !NN_REAL_IS_DOUBLE
/* e^x for x <= 0 (and NaN), in place: Cephes' expf. n = x log2 e rounded
 * to the nearest integer by adding 1.5 × 2^23, r = x - n ln 2 in two parts,
 * a degree-7 polynomial in r, times 2^n built in the exponent bits. Within
 * 2 ulp of expf, except that it is 0 below -87.3, where expf turns
 * subnormal. Vectors go by pointer: the baseline clone has no 32-byte
 * registers to pass them in. Masks come from sign bits, not comparisons,
 * which GCC makes one element at a time in that clone. */
G_ALWAYS_INLINE static inline void
exp_nonpositive (RealVec *v)
{
  const RealVec lowest = (RealVec) { 0 } - 87.3f;
  const RealVec shifter = (RealVec) { 0 } + 0x1.8p23f;
  RealVec x = *v, t, fn, r, p;
  /* All ones for NaN, whose bits but the sign are above those of ∞ ... */
  MaskVec nan = (0x7f800000 - ((MaskVec) x & 0x7fffffff)) >> 31;
  /* ... and for x < lowest, where x - lowest is negative. */
  MaskVec under = ((MaskVec) (x - lowest) >> 31) & ~nan;

  x = (RealVec) (((MaskVec) x & ~under) | ((MaskVec) lowest & under));
  t = x * 1.44269504088896341f + shifter;
  fn = t - shifter;
  r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  p = 1.9875691500e-4f * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  /* The low bits of t hold n; the shift drops those of 1.5 × 2^23. */
  p *= (RealVec) (((BitsVec) t + 127) << 23);
  *v = (RealVec) ((MaskVec) p & ~under);
}
#endif
