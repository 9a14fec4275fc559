/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nn-simd.h: hot loops compiled for AVX2 as well, chosen when loaded. */
#pragma once

#if !defined(__NN_H_INSIDE__) && !defined(NN_COMPILATION)
#error "Only <nn.h> can be included directly."
#endif

#include <limits.h>   /* defines __GLIBC__ on glibc */

/**
 * NN_SIMD_BYTES:
 *
 * The width, in bytes, to give the vectors of an #NN_SIMD_CLONES loop
 * (`typedef nn_real Vec __attribute__ ((vector_size (NN_SIMD_BYTES)))`): 32,
 * 8 floats or 4 doubles, one AVX2 register. The baseline clone does the same
 * work as two SSE2 halves.
 */
#define NN_SIMD_BYTES 32

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
 * On x86-64 with glibc it compiles the function twice, once for AVX2 and
 * once for baseline x86-64 (SSE2), and the dynamic loader picks the clone
 * the CPU can run when the file is loaded (an ifunc). With GCC 12 or later
 * the AVX2 clone is x86-64-v3, which fuses `a * b + c` into one FMA
 * instruction; with Clang it is AVX2 alone. Elsewhere (other architectures
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
 *   each clone has its own copy, and take 32-byte vectors by pointer: the
 *   baseline calling convention has no 32-byte registers, and Clang
 *   refuses such arguments;
 * - GCC compiles a comparison of 32-byte vectors (`v > 0`) into one
 *   comparison per element where it lacks 32-byte registers, in the
 *   baseline clone, while it splits arithmetic and bit operations into
 *   halves: take masks from sign bits instead (`(IntVec) x >> 31` is all
 *   ones where x is negative, -0 and NaN with the sign bit included).
 */
#if !defined(NN_SIMD_NO_CLONES) && defined(__x86_64__) && defined(__ELF__) && \
    defined(__GLIBC__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#if defined(__clang__)
/* Clang (14) tests "arch=x86-64-v3" as a CPU model, not a feature level,
 * and a list like "avx2,fma" makes one clone of each. */
#define NN_SIMD_CLONES __attribute__ ((target_clones ("avx2", "default")))
#elif __GNUC__ >= 12
#define NN_SIMD_CLONES __attribute__ ((target_clones ("arch=x86-64-v3", "default")))
#endif
#endif
#endif

#ifndef NN_SIMD_CLONES
#define NN_SIMD_CLONES
#endif
