/*
 * truncated_normal (p0 a = -inf, p1 b = +inf): a standard normal conditioned on
 * [a, b], exactly, for any a < b (the caller standardises: a = (low - loc) /
 * scale, b = (high - loc) / scale, then applies loc + scale * z).
 *
 * b <= 0 is drawn as the negative of a draw on [-b, -a], so the interval either
 * contains 0 inside (a < 0 < b) or lies in [0, inf).  Each case is a rejection
 * sampler whose acceptance rate is bounded below whatever the bounds (Robert,
 * 1995, "Simulation of truncated normal variables"):
 *
 *   a < 0 < b, b - a >= sqrt(2 pi): ziggurat normals until one falls in [a, b]
 *                  (accepts with probability Phi(b) - Phi(a) > 0.49)
 *   a < 0 < b, narrower:            z = a + (b - a) U, accept if E >= z^2 / 2
 *                  (acceptance sqrt(2 pi) (Phi(b) - Phi(a)) / (b - a) > 0.49)
 *   0 <= a, (b - a) lam < 1:        z = a + (b - a) U, accept if E >= (z^2 - a^2) / 2
 *                  (acceptance > exp(-(b - a)(b + a) / 2) > exp(-3/2))
 *   0 <= a, otherwise:              z = a + E1 / lam (exponential proposal with the
 *                  optimal rate lam = (a + sqrt(a^2 + 4)) / 2), reject z > b,
 *                  accept if E2 >= (z - lam)^2 / 2 (acceptance -> 1 as a grows:
 *                  draws in [8, 9] take about 2 exponentials each)
 *
 * Measured over a grid of intervals on both sides of every switch, a draw never
 * takes more than ~4.1 words on average (csrc/tests/test_truncated_normal.c).
 *
 * U is a 53-bit uniform of one word, E, E1, E2 exponential ziggurat draws of
 * ziggurat.h, all consumed in element order (the stream rule).  The acceptance
 * tests compare an exponential with a quadratic, so the sampling path has no
 * exp or log (only sqrt, which IEEE rounds exactly).  Every loop of this file
 * stops after ND_TN_MAX_TRIES proposals (reached with probability below 1e-80),
 * keeping the last proposal clamped to [a, b], so no bound can make it spin.  a == b gives a (no words); a > b, NaN, a = +inf or b = -inf give NaN.
 * f32 reads float bounds, computes in double and rounds once (which stays in
 * [a, b]: the bounds are floats).
 */
#include <math.h>

#include "ew_common.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#define ND_TN_MAX_TRIES 512
#define ND_TN_SQRT_2PI 2.5066282746310002
/* words per element: about 2 exponentials in the tails, ~1.3 normals near 0 */
#define ND_TN_WORDS 2.1

static inline double tn_clamp(double z, double a, double b) { return z < a ? a : (z > b ? b : z); }

/* a < 0 < b */
static double tn_straddle(nd_bits_t *bits, double a, double b)
{
    double z = 0.0, w = b - a;
    int t;
    if (w >= ND_TN_SQRT_2PI) {
        for (t = 0; t < ND_TN_MAX_TRIES; t++) {
            z = nd_standard_normal(bits);
            if (z >= a && z <= b) return z;
        }
        return tn_clamp(z, a, b);
    }
    for (t = 0; t < ND_TN_MAX_TRIES; t++) {
        z = a + w * nd_bits_u01_co(bits);
        if (nd_standard_exponential(bits) >= 0.5 * z * z) break;
    }
    return tn_clamp(z, a, b);
}

/* 0 <= a < b <= inf, a finite */
static double tn_tail(nd_bits_t *bits, double a, double b)
{
    /* lam - a = 2 / (a + sqrt(a^2 + 4)), without overflowing a^2 */
    double delta = a > 1e100 ? 1.0 / a : 2.0 / (a + sqrt(a * a + 4.0));
    double lam = a + delta, w = b - a, z = a;
    int t;
    if (w * lam < 1.0) {
        for (t = 0; t < ND_TN_MAX_TRIES; t++) {
            double d = w * nd_bits_u01_co(bits); /* z - a */
            z = a + d;
            if (nd_standard_exponential(bits) >= 0.5 * d * (2.0 * a + d)) break;
        }
        return tn_clamp(z, a, b);
    }
    for (t = 0; t < ND_TN_MAX_TRIES; t++) {
        double d = nd_standard_exponential(bits) / lam; /* z - a */
        double e;
        z = a + d;
        if (z > b) continue;
        e = d - delta; /* z - lam */
        if (nd_standard_exponential(bits) >= 0.5 * e * e) break;
    }
    return tn_clamp(z, a, b);
}

static inline double tn_value(nd_bits_t *bits, double a, double b)
{
    if (!(a < b)) return a == b && a - a == 0.0 ? a : NAN; /* also NaN bounds */
    if (b <= 0.0) return -tn_tail(bits, -b, -a);
    if (a < 0.0) return tn_straddle(bits, a, b);
    return tn_tail(bits, a, b);
}

#define TN_KERNEL(fname, T, DA, DB)                                                      \
    void fname(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,      \
               intptr_t s0, const char *p1, intptr_t s1)                                 \
    {                                                                                    \
        intptr_t i;                                                                      \
        if (n <= 0) return;                                                              \
        nd_bits_expect(bits, (size_t)((double)n * ND_TN_WORDS) + 1);                     \
        ew_default(&p0, &s0, DA);                                                        \
        ew_default(&p1, &s1, DB);                                                        \
        for (i = 0; i < n; i++) {                                                        \
            double a = (double)EW_AT(T, p0, i * s0), b = (double)EW_AT(T, p1, i * s1);   \
            EW_OUT(T, out, i * os) = (T)tn_value(bits, a, b);                            \
        }                                                                                \
    }

static const double tn_ninf_d = -1.0 / 0.0, tn_pinf_d = 1.0 / 0.0;
static const float tn_ninf_f = -1.0f / 0.0f, tn_pinf_f = 1.0f / 0.0f;

TN_KERNEL(nd_ew_truncated_normal_f64, double, &tn_ninf_d, &tn_pinf_d)
TN_KERNEL(nd_ew_truncated_normal_f32, float, &tn_ninf_f, &tn_pinf_f)
