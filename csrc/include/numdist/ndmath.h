/*
 * Deterministic elementary functions for the sampling paths.
 *
 * numdist's numbers must not depend on libm or on the SIMD level, so sampling
 * code calls these instead of log / log1p: plain IEEE double arithmetic (no
 * fused multiply-add: compile with -ffp-contract=off, as CMake does; the
 * pragmas below say so for GCC and clang), integer bit work, no tables.  Every
 * function is static inline so that hot loops can inline (and vectorise) it.
 * Plain C99, no Python.
 */
#ifndef NUMDIST_NDMATH_H
#define NUMDIST_NDMATH_H

#include <stdint.h>
#include <string.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#ifdef __cplusplus
extern "C" {
#endif

static inline uint64_t nd_dbl_to_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static inline double nd_bits_to_dbl(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Natural log of a positive normal finite double (sampling callers pass values
 * in [2^-60, 2^60]).  x = 2^k (1+f), 1+f in [sqrt(2)/2, sqrt(2)); with
 * s = f/(2+f), log(1+f) = 2 atanh(s) = f - hf + s (hf + R), hf = f^2/2,
 * R = sum_{j>=1} 2 s^{2j} / (2j+1) (Taylor, |s| < 0.1716, 10 terms: < 1e-19).
 * Within 1 ulp of glibc's log over (0,1] (test_normal.c compares Box-Muller
 * output, which uses it, with libm).  Moved here unchanged from normal.c: the
 * normal sampler's numbers depend on it bit for bit. */
#define ND_LN2_HI 0x1.62e42fee00000p-1  /* ln 2 rounded to 32 bits: k*HI exact */
#define ND_LN2_LO 0x1.a39ef35793c76p-33 /* ln 2 - HI */
static inline double nd_log_pos(double x)
{
    uint64_t ix = nd_dbl_to_bits(x);
    double f, hf, s, z, R, dk;
    /* shift the mantissa range [sqrt(2)/2, sqrt(2)) onto one binade; k is the
     * biased exponent field, turned into a double without an int conversion
     * (2^52 + e, exact) so that loops over this function vectorise */
    ix += UINT64_C(0x3ff0000000000000) - UINT64_C(0x3fe6a09e667f3bcd);
    dk = nd_bits_to_dbl(UINT64_C(0x4330000000000000) | (ix >> 52)) - (0x1p52 + 1023.0);
    ix = (ix & UINT64_C(0x000fffffffffffff)) + UINT64_C(0x3fe6a09e667f3bcd);
    f = nd_bits_to_dbl(ix) - 1.0;
    hf = 0.5 * f * f;
    s = f / (2.0 + f);
    z = s * s;
    R = z * (0x1.5555555555555p-1 +      /* 2/3  */
        z * (0x1.999999999999ap-2 +      /* 2/5  */
        z * (0x1.2492492492492p-2 +      /* 2/7  */
        z * (0x1.c71c71c71c71cp-3 +      /* 2/9  */
        z * (0x1.745d1745d1746p-3 +      /* 2/11 */
        z * (0x1.3b13b13b13b14p-3 +      /* 2/13 */
        z * (0x1.1111111111111p-3 +      /* 2/15 */
        z * (0x1.e1e1e1e1e1e1ep-4 +      /* 2/17 */
        z * (0x1.af286bca1af28p-4 +      /* 2/19 */
        z * 0x1.8618618618618p-4)))))))));  /* 2/21 */
    return dk * ND_LN2_HI - ((hf - (s * (hf + R) + dk * ND_LN2_LO)) - f);
}

/* log(1 + x) for -1 < x <= 0 (x finite), accurate to a few ulps also for tiny
 * |x| (Goldberg's trick: u = 1 + x rounded, log1p(x) = log(u) * x / (u - 1),
 * exact cancellation of u's rounding error; x itself when u == 1).  1 + x >=
 * 2^-53 here, so nd_log_pos gets a normal number.  Callers: geometric. */
static inline double nd_log1p_neg(double x)
{
    double u = 1.0 + x;
    if (u == 1.0) return x;
    return nd_log_pos(u) * (x / (u - 1.0));
}

#ifdef __cplusplus
}
#endif
#endif
