/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nnrun bench: the OpenBLAS the sgemm ceiling runs on, and whether it
 * knows this CPU. */
#include <cblas.h>

#include "nnrun-bench.h"

const char *
nnrun_bench_blas_name (void)
{
#ifdef OPENBLAS_VERSION
  static char name[256];

  if (name[0] == '\0')
    g_snprintf (name, sizeof name, "%s, %s kernels", g_strstrip (openblas_get_config ()),
                openblas_get_corename ());
  return name;
#else
  return "CBLAS";
#endif
}

const char *
nnrun_bench_openblas_coretype (void)
{
#if defined(OPENBLAS_VERSION) && (defined(__x86_64__) || defined(__i386__))
  /* The kernels without AVX2 that OpenBLAS falls back to; on a CPU it
   * does not know (0.3.21 and Intel's Emerald Rapids, say) it takes
   * Prescott's, a quarter of the speed its AVX-512 ones give there. */
  static const char * const old[] = { "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem",
                                      "Sandybridge", "Atom", "Katmai", "Coppermine", "Northwood",
                                      "Banias", "Opteron", "Opteron_SSE3", "Barcelona", "Bobcat",
                                      "Bulldozer", "Piledriver", NULL };

  if (!g_strv_contains (old, openblas_get_corename ()))
    return NULL;
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512bf16") && __builtin_cpu_supports ("avx512bw") &&
      __builtin_cpu_supports ("avx512vl"))
    return "Cooperlake";
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw") &&
      __builtin_cpu_supports ("avx512vl") && __builtin_cpu_supports ("avx512dq"))
    return "SkylakeX";
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    return "Haswell";
#endif
  return NULL;
}
