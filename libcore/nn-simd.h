/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn-simd.h: hot loops compiled for AVX-512 and AVX2 as well, chosen when
 * loaded. */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <limits.h>   /* defines __GLIBC__ on glibc */

/**
 * NN_SIMD_BYTES:
 *
 * The width, in bytes, to give the vectors of an #NN_SIMD_CLONES loop
 * (`typedef nn_real Vec __attribute__ ((vector_size (NN_SIMD_BYTES)))`): 64,
 * 16 floats or 8 doubles, one AVX-512 register. The AVX2 clone does the same
 * work as two halves, the baseline clone as four SSE2 quarters.
 */
#define NN_SIMD_BYTES 64

/**
 * NN_SIMD_CLONES:
 *
 * Put in front of the definition of a static function whose loops run over
 * whole matrices (an activation's forward and backward, a loss gradient):
 *
 * ```c
 * NN_SIMD_CLONES static void
 * my_activation_forward (NnActivation *self, const NnMatrix *z, NnMatrix *a)
 * ```
 *
 * On x86-64 with glibc it compiles the function three times, for AVX-512,
 * for AVX2 and for baseline x86-64 (SSE2), and the dynamic loader picks the
 * best clone the CPU can run when the file is loaded (an ifunc). With GCC
 * 12 or later the clones are x86-64-v4 and x86-64-v3, which fuse `a * b + c`
 * into one FMA instruction; with Clang they are AVX-512F (with FMA) and AVX2
 * alone. Elsewhere (other architectures
 * or C libraries, older compilers, or with `NN_SIMD_NO_CLONES` defined, as
 * `-Dc_args=-DNN_SIMD_NO_CLONES` does for a whole build) it expands to
 * nothing and the one function is compiled as usual.
 *
 * The clones of one source give the same results up to rounding: only the
 * fused multiply-adds round differently. Write loops of unknown length with
 * vectors of #NN_SIMD_BYTES (an -O2 build leaves such plain loops scalar),
 * and mind that:
 *
 * - the function must be static: Clang names the dispatcher of an exported
 *   function differently from GCC, so other files would not find it;
 * - it is not inlined into its callers, so put it on the function with the
 *   loop, not on a small helper;
 * - helpers it calls should be `G_ALWAYS_INLINE static inline`, so that
 *   each clone has its own copy, and take vectors by pointer: the AVX2 and
 *   baseline calling conventions have no 64-byte registers, and Clang
 *   refuses such arguments;
 * - GCC compiles a comparison of vectors wider than its registers
 *   (`v > 0`) into one comparison per element, while it splits arithmetic
 *   and bit operations into parts: take masks from sign bits instead (`(IntVec) x >> 31` is all
 *   ones where x is negative, -0 and NaN with the sign bit included).
 */
/* ThreadSanitizer's runtime is not up yet when the dynamic loader calls
 * the resolvers of the clones, which it instruments: the program would
 * crash before main. */
#if !defined(NN_SIMD_NO_CLONES) && defined(__SANITIZE_THREAD__)
#define NN_SIMD_NO_CLONES
#elif !defined(NN_SIMD_NO_CLONES) && defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define NN_SIMD_NO_CLONES
#endif
#endif

#if !defined(NN_SIMD_NO_CLONES) && defined(__x86_64__) && defined(__ELF__) && \
    defined(__GLIBC__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#if defined(__clang__)
/* Clang (14) tests "arch=x86-64-v4" as a CPU model, not a feature level,
 * and a list like "avx2,fma" makes one clone of each; AVX-512F brings FMA
 * along. */
#define NN_SIMD_CLONES __attribute__ ((target_clones ("avx512f", "avx2", "default")))
#elif __GNUC__ >= 12
#define NN_SIMD_CLONES __attribute__ ((target_clones ("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#endif

#ifndef NN_SIMD_CLONES
#define NN_SIMD_CLONES
#endif
