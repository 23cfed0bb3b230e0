/*
 * Binomial and multinomial samplers: no work or memory proportional to the
 * count, total_count up to 2^62.  The element-wise entry "binomial" is in the
 * table of elementwise.h (csrc/elementwise.c); its kernels and the scalar
 * sampler are in csrc/binomial.c, the multinomial row kernel in
 * csrc/multinomial.c.
 *
 * Stream rules (fixed: same words, same values on every machine and SIMD level;
 * IEEE double arithmetic, sqrt, and numdist's own log (ndmath.h) and exp
 * (gamma.h's nd_gamma_exp), never libm's):
 *
 *   nd_binomial(bits, n, p), n trials of success probability p, int64 result:
 *     - defined without drawing: n < 0, n > 2^62, p NaN, p < 0 or p > 1 give -1
 *       (not a count: visible, never undefined behaviour); n == 0 or p == 0
 *       give 0; p == 1 gives n.  No words.
 *     - otherwise with q = min(p, 1 - p) (1 - p is exact for p >= 1/2) a draw X
 *       of Binomial(n, q) is made, and the value is X for p <= 1/2, n - X else.
 *     - n q < 10: inversion.  r0 = exp(n log1p(-q)), s = q / (1 - q),
 *       a = (n + 1) s; one word gives u = nd_u01_co(w); x = 0, r = r0; while
 *       u > r: u -= r, x += 1, r *= a / x - s.  If x passes min(n, 110) (a tail
 *       of mass < 1e-60 plus rounding) the try is dropped and a new word starts
 *       the next one.  About n q + 1 steps per value, one word.
 *     - n q >= 10: BTRS (Hoermann 1993, transformed rejection with squeeze):
 *       spq = sqrt(n q (1-q)), b = 1.15 + 2.53 spq, a = -0.0873 + 0.0248 b + 0.01 q,
 *       alpha = (2.83 + 5.1 / b) spq, vr = 0.92 - 4.2 / b, m = floor((n + 1) q)
 *       (the mode, an int64; n q is formed exactly with a two-product, so that
 *       counts near 1e18 are not quantised by double rounding).  A try takes one
 *       word V = nd_u01_oc(w):
 *         V <= 0.86 vr:  U = V / vr - 0.43, the value is m + floor((2a/(0.5-|U|)
 *                        + b) U + (n q - m) + 0.5) (accepted, no more words);
 *         vr < V:        U = nd_u01_oo(next word) - 0.5, v = V;
 *         else:          U = V / vr - 0.93, U = sign(U)/2 - U, v = vr nd_u01_oc(next word);
 *       then us = 0.5 - |U|, k as above; k outside [0, n] ends the try; else
 *       v = v alpha / (a / us^2 + b) and the try is accepted iff
 *       v <= f(k) / f(m) (f the pmf): for |k - m| <= 15 as a product of the
 *       pmf's ratios f(i)/f(i-1) = (n+1) s / i - s, s = q / (1-q) (1/i from a
 *       table of 1/1 .. 1/110 rounded once, a division above); otherwise in logs,
 *       log v <= log(f(k) / f(m)), BTPE's squeeze t +- rho deciding first when
 *       20 < |k - m| < npq/2 - 1.  log(f(k)/f(m)) is evaluated
 *       relative to the mode (nd_binomial_log_ratio), so it stays accurate at
 *       n = 2^62: Stirling's series with exact tails below 17, and
 *       (1 + t) log1p(t) - t by its Taylor series for |t| < 0.1.
 *     A long run of one binomial (the element-wise kernel given one n and p for at
 *     least 32768 elements) first tabulates f(k)/f(m) near the mode by the pmf's
 *     ratios and lets the table decide acceptance tests that are not within a
 *     relative 1e-9 of their threshold: the same decisions, so the same numbers,
 *     at about 70% of the cost (test_binomial.c compares the two).  When the run
 *     is at least 2W + 1 long and the table's half-width W covers 4 standard
 *     deviations (npq up to about 260000; binomial(1e6, 0.3) included), the run
 *     goes a window of up to 512 words at a time: every word is evaluated as if a
 *     try started there (vector passes at the SIMD level of
 *     nd_exponential_simd_level: the box try, and the two-word try decided by the
 *     table or, beyond it, by bounds edge rho^j of the pmf's decreasing ratios),
 *     then a scan walks the tries in order and runs the exact test for the rare
 *     undecided one.  Same words, same values, at every SIMD level (binomial.c
 *     and docs/performance.md describe it; test_binomial.c checks every level).
 *     Expected words per value: 1 for inversion, about 1.2-1.4 for BTRS.
 *
 *   random_multinomial_fill: rows in order.  A row with n < 0, n > 2^62, or a
 *     probability that is NaN, negative or infinite, or all zero, gives K counts
 *     of -1 and draws no words.  Probabilities need not sum to 1: the row is
 *     Multinomial(n, p / sum(p)).  Otherwise, with K > 1 and
 *     n <= ND_MULTINOMIAL_ALIAS_PER_K * K (few trials per category): the row's
 *     alias table (nd_alias_build_batch of numdist/categorical.h, from the
 *     probabilities as doubles) and n draws nd_alias_draw(table, K, word), one
 *     word each, counted.  Else categories j = 0 .. K-2 in order,
 *     x_j = nd_binomial(rem, min(1, p_j / S_j)) with rem the trials left and
 *     S_j = p_j + ... + p_{K-1} (suffix sums, accurate for small tails); the
 *     last category takes rem; once rem is 0 the row's other counts are 0 and no
 *     more words are drawn.  Either way O(K) work per row whatever n.
 *
 * Plain C99, no Python.
 */
#ifndef NUMDIST_BINOMIAL_H
#define NUMDIST_BINOMIAL_H

#include <stddef.h>
#include <stdint.h>

#include "numdist/bitgen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest total_count the samplers take (int64 output, headroom for n - X). */
#define ND_BINOMIAL_MAX_N (INT64_C(1) << 62)

/* A binomial's set-up (nd_binomial_setup), reused for many draws of the same
 * parameters; the kernels keep the last one. */
typedef struct nd_binomial {
    int kind;          /* 0: constant value, 1: inversion, 2: BTRS */
    int flip;          /* drawn for 1 - p: the value is n - X */
    int64_t n, value;  /* value: kind 0's result */
    double p;          /* the parameter as given */
    /* inversion */
    double r0, s, a_inv;
    int64_t bound;
    /* BTRS */
    int64_t m;
    double a, b, cm, alpha, vr, urvr, npq, y1, y2, lam, st1, st2;
    double inv_vr, two_a, inv_npq, lo, hi;
    int box_inside;    /* the box's values all lie in [0, n] */
} nd_binomial_t;

/* Set up st for Binomial(n, p) (rules above; invalid parameters give kind 0
 * with value -1). */
void nd_binomial_setup(nd_binomial_t *st, int64_t n, double p);
/* One draw from a set-up binomial. */
int64_t nd_binomial_draw(nd_bits_t *bits, const nd_binomial_t *st);
/* One Binomial(n, p) variate: set-up and draw (rules above). */
int64_t nd_binomial(nd_bits_t *bits, int64_t n, double p);

/* log(f(k) / f(m)) of a BTRS set-up (kind 2, before the flip: f is the pmf of
 * Binomial(n, q) and m its mode), for 0 <= k <= n; exposed for tests. */
double nd_binomial_log_ratio(const nd_binomial_t *st, int64_t k);

/* Multinomial rows.  n: nrows counts (int64) with byte stride n_rs (0: one n for
 * every row); p: nrows x K probabilities with byte strides p_rs (0: one row for
 * all), p_cs; out: nrows x K int64 with byte strides o_rs, o_cs (must not
 * overlap p or n).  work: nd_multinomial_work_bytes(K) bytes aligned to 16 (the
 * row as doubles, an alias table and its build workspace), or NULL when
 * K <= ND_MULTINOMIAL_STACK_K (stack buffers are used).  Returns ND_OK, or
 * ND_E_NOMEM (nothing drawn or written) for work NULL and K too large.
 * nrows <= 0 or K <= 0 does nothing. */
#define ND_MULTINOMIAL_STACK_K 512
#define ND_MULTINOMIAL_ALIAS_PER_K 16
size_t nd_multinomial_work_bytes(intptr_t K);
int random_multinomial_fill(nd_bits_t *bits, intptr_t nrows, intptr_t K, const int64_t *n,
                            intptr_t n_rs, const double *p, intptr_t p_rs, intptr_t p_cs,
                            int64_t *out, intptr_t o_rs, intptr_t o_cs, void *work);
int random_multinomial_fill_f(nd_bits_t *bits, intptr_t nrows, intptr_t K, const int64_t *n,
                              intptr_t n_rs, const float *p, intptr_t p_rs, intptr_t p_cs,
                              int64_t *out, intptr_t o_rs, intptr_t o_cs, void *work);

#ifdef __cplusplus
}
#endif
#endif
