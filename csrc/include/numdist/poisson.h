/*
 * Poisson sampler and the samplers built on it (negative binomial as a
 * gamma-Poisson mixture).  The element-wise entries "poisson" and
 * "negative_binomial_odds" are in the table of elementwise.h (csrc/elementwise.c
 * lists parameters and defaults); their kernels are in csrc/poisson.c.
 *
 * Stream rule of nd_poisson(bits, lam) (fixed: same words, same values on every
 * machine and SIMD level; IEEE double arithmetic, sqrt, numdist's own log
 * (nd_log_pos, ndmath.h) and exp (po_exp in poisson.c: nd_gamma_exp's reduction
 * and polynomial, evaluated by Estrin's scheme), never libm's):
 *
 *   - lam NaN or lam < 0: -1 (not a count); lam == 0: 0;
 *     lam > ND_POISSON_LAM_MAX (including +inf): INT64_MAX.  No words.
 *   - 0 < lam < ND_POISSON_INV_MAX (10): inversion with one word w,
 *     u = (w >> 11) 2^-53.  With p_0 = exp(-lam), F_0 = p_0 and for k >= 1
 *     p_k = p_{k-1} (lam r_k) (r_k = 1/k rounded), F_k = F_{k-1} + p_k (each
 *     operation rounded), the value is the smallest k with u < F_k, except that
 *     the search stops at the first k where F_k == F_{k-1} (the rounded CDF has
 *     stopped growing: u is in its last ulps) or at k = 63, and returns that k.
 *   - lam >= 10: PTRS, Hormann's transformed rejection with squeeze (1993).
 *     With b = 0.931 + 2.53 sqrt(lam), a = -0.059 + 0.02483 b,
 *     1/alpha = 1.1239 + 1.1328 / (b - 3.4), v_r = 0.9277 - 3.6224 / (b - 2),
 *     a try takes two words: U = nd_u01_oo(w1) - 0.5 (so |U| < 1/2),
 *     V = nd_u01_oo(w2); us = 0.5 - |U|, x = (2a / us + b) U + (lam + 0.43) and
 *     k = floor(x).  Accepted at once if us >= 0.07 and V <= v_r, tested as
 *     (V - 0.9277)(b - 2) <= -3.6224 (then 0 <= x < 2^63 for lam >= 10);
 *     rejected if x < 0 or x >= 2^63, or if us < 0.013 and V > us; otherwise
 *     accepted iff
 *         V (1/alpha) <= (a / us^2 + b) exp(log P(k; lam)),
 *     where log P(k; lam) = -lam + k log(lam) - log(k!) (a table of log k! for
 *     k < 256) and, for k >= 256, -lam h(x) - (log(2 pi) + log k)/2 - c(k) with
 *     x = (k - lam)(1/lam), h(x) = (1 + x) log(1 + x) - x (no cancellation: a
 *     series in t = x / (2 + x) for |t| <= 1/4) and c(k) the Stirling series of
 *     log k! - (k log k - k + log(2 pi k)/2) to the k^-9 term, so the test is
 *     accurate for every lam up to ND_POISSON_LAM_MAX (1e18 included); the exact
 *     operations are po_ptrs_accept's in poisson.c.  A rejected try is followed
 *     by a new one.
 *
 *   Expected words: 1 per value for lam < 10, 2.1-2.3 for lam >= 10.
 *
 * Plain C99, no Python.
 */
#ifndef NUMDIST_POISSON_H
#define NUMDIST_POISSON_H

#include <stdint.h>

#include "numdist/bitgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rates below this use inversion, from here on PTRS. */
#define ND_POISSON_INV_MAX 10.0
/* The largest rate sampled: 2^63 - 2^36 (more than 10 standard deviations below
 * 2^63, so the values fit in int64); larger rates give INT64_MAX. */
#define ND_POISSON_LAM_MAX 9223371968147456000.0

/* One Poisson variate of rate lam (rules above). */
int64_t nd_poisson(nd_bits_t *bits, double lam);

/* One negative binomial variate as a gamma-Poisson mixture: the number of
 * failures before the n-th success when the odds of a failure are `odds`
 * (odds = (1 - p) / p for a success probability p; torch's probs / (1 - probs)
 * = exp(logits)).  Rule: n or odds NaN or negative: -1; n == 0 or odds == 0: 0;
 * otherwise n or odds +inf: INT64_MAX (no words for any of these).  Else
 * g = nd_standard_gamma(bits, n) (its words), lam = g odds, and the value is
 * nd_poisson(bits, lam) (its words; lam > ND_POISSON_LAM_MAX: INT64_MAX). */
int64_t nd_negative_binomial_odds(nd_bits_t *bits, double n, double odds);

#ifdef __cplusplus
}
#endif
#endif
