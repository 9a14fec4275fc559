/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the built-in activations and losses share to run NN_SIMD_BYTES of
 * values at a time through the GCC and Clang vector extensions (an -O2
 * build leaves loops of unknown length scalar, and a libm call per element
 * is slow); NN_SIMD_CLONES compiles the functions that use them for
 * AVX-512 and AVX2 with FMA as well. Not installed. */
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
 * told by the sign bits of two differences. GCC compares vectors one
 * element at a time where they are wider than its registers; it splits
 * integer arithmetic into parts. */
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
 * subnormal. Vectors go by pointer: the AVX2 and baseline clones have no
 * 64-byte registers to pass them in. Masks come from sign bits, not
 * comparisons, which GCC makes one element at a time in those clones. */
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

#if !NN_REAL_IS_DOUBLE
/* The natural logarithm of positive normal floats, in place: Cephes' logf.
 * x = m 2^e with m in [sqrt(1/2), sqrt(2)), then a degree-8 polynomial in
 * m - 1 and e ln 2 in two parts. Within 2 ulp of logf. The caller sees to
 * the lanes that are not positive normal numbers or are +∞. */
G_ALWAYS_INLINE static inline void
log_positive_normal (RealVec *v)
{
  const RealVec one = (RealVec) { 0 } + 1.0f;
  BitsVec bits = (BitsVec) *v;
  /* m in [1/2, 1) from the mantissa; e from the exponent bits. */
  RealVec m = (RealVec) ((bits & 0x007fffffu) | 0x3f000000u);
  RealVec e = __builtin_convertvector ((MaskVec) (bits >> 23) - 126, RealVec);
  /* Below sqrt(1/2), 2m and e - 1 instead: the sign bit of m - sqrt(1/2). */
  MaskVec low = (MaskVec) (m - 0.707106781186547524f) >> 31;
  RealVec x, z, y;

  e -= (RealVec) ((MaskVec) one & low);
  x = m + (RealVec) ((MaskVec) m & low) - one;
  z = x * x;
  y = 7.0376836292e-2f * x - 1.1514610310e-1f;
  y = y * x + 1.1676998740e-1f;
  y = y * x - 1.2420140846e-1f;
  y = y * x + 1.4249322787e-1f;
  y = y * x - 1.6668057665e-1f;
  y = y * x + 2.0000714765e-1f;
  y = y * x - 2.4999993993e-1f;
  y = y * x + 3.3333331174e-1f;
  y = y * x * z;
  y += e * -2.12194440e-4f;
  y -= 0.5f * z;
  *v = x + y + e * 0.693359375f;
}
#endif

/* Expands to call (w) with w the row width @cols, a constant for the
 * widths of most classifiers' outputs, so that the compiler unrolls and
 * vectorises the loops over a row that @call inlines (marked with
 * NN_UNROLL_ROW, which -O2 needs to unroll them): at a few values per row,
 * loops of unknown length cost more than their arithmetic. */
#define NN_UNROLL_ROW _Pragma ("GCC unroll 16")

#define NN_FOR_NARROW_WIDTHS(cols, call) \
  switch (cols)                          \
    {                                    \
    case 1: call (1); break;             \
    case 2: call (2); break;             \
    case 3: call (3); break;             \
    case 4: call (4); break;             \
    case 5: call (5); break;             \
    case 6: call (6); break;             \
    case 7: call (7); break;             \
    case 8: call (8); break;             \
    case 10: call (10); break;           \
    default: call (cols); break;         \
    }
