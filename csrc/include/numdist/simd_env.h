/*
 * NUMDIST_SIMD_MAX: the cap on the SIMD level of the sampling kernels, read from
 * the environment once when the library is loaded (so that tests and benchmarks
 * can run the narrower paths on a wide machine).  One parser for every kernel
 * family that chooses a level at run time (normal.c, exponential.c; the gamma and
 * binomial window passes take the exponential fill's level).
 *
 * Levels: 0 portable C, 1 SSE2, 2 AVX2, 3 AVX-512.  Accepted values: "avx512" / "3",
 * "avx2" / "2", "sse2" / "1", "scalar" / "0"; anything else, or unset, is no cap (3).
 * A kernel without a level-1 path treats 1 as 0.
 */
#ifndef NUMDIST_SIMD_ENV_H
#define NUMDIST_SIMD_ENV_H

#include <stdlib.h>
#include <string.h>

static inline int nd_simd_env_cap(void)
{
    const char *e = getenv("NUMDIST_SIMD_MAX");
    if (e == NULL) return 3;
    if (!strcmp(e, "avx2") || !strcmp(e, "2")) return 2;
    if (!strcmp(e, "sse2") || !strcmp(e, "1")) return 1;
    if (!strcmp(e, "scalar") || !strcmp(e, "0")) return 0;
    return 3;
}

#endif
