/*
 * Gamma and the samplers built on it: standard gamma (value and log), and the
 * Dirichlet row kernel.  The element-wise entries "standard_gamma",
 * "log_standard_gamma", "chisquare", "standard_t" and "beta" are in the table
 * of elementwise.h (csrc/elementwise.c lists parameters and defaults); their
 * kernels are in csrc/gamma.c.
 *
 * Stream rules (fixed: same words, same values on every machine and SIMD level;
 * IEEE double arithmetic, sqrt, and numdist's own log (ndmath.h) and exp
 * (nd_gamma_exp below), never libm's):
 *
 *   nd_standard_gamma(bits, a), concentration a:
 *     - a NaN or a <= 0: NaN; a = +inf: +inf.  No words.
 *     - a == 1: one standard exponential (nd_standard_exponential, ziggurat.h).
 *     - a > 1: Marsaglia-Tsang, d = a - 1/3, c = 1 / (3 sqrt(d)).  A try draws
 *       x = nd_standard_normal(bits) (the ziggurat's words); v = 1 + c x; if
 *       v <= 0 the try ends there (no more words); else v = v^3 and the next
 *       word gives u = nd_u01_oc(w) in (0, 1]; the try is accepted iff
 *         x^4 < (1 - u) (108 d) (1 + min(c x, 0))             (squeeze)
 *       or log(u) < x^2/2 + d (1 - v + log(v))                 (exact test)
 *       (x^4 = (x x)(x x), c x and 108 d rounded once, numdist's log), and the
 *       value is d v; otherwise a new try follows.  The squeeze is a lower
 *       bound of the exact test: with y = c x, x^2/2 + d (1 - v + log v) =
 *       3 d (log(1+y) - y + y^2/2 - y^3/3) >= -x^4 / (108 d (1 + min(y, 0))),
 *       and exp(h) >= 1 + h; it is tighter than Marsaglia-Tsang's
 *       1 - 0.0331 x^4 (about 1% of tries go on to the logs instead of 10%).
 *     - 0 < a < 1 (boosting): g = the value of this same rule for a + 1
 *       (rounded; a + 1 == 1 takes the exponential), then one word gives
 *       u = nd_u01_oc(w); the value is g * exp(log(u) * ia), ia = 1 / a
 *       rounded once.
 *
 *   nd_log_standard_gamma(bits, a): the same words as nd_standard_gamma(bits, a)
 *     (bad a: NaN, a = +inf: +inf, no words).  The value is log(g) for a >= 1
 *     (log(0) = -inf for the exponential's 0), and log(g) + log(u) * ia for
 *     a < 1 (g drawn for a + 1): computed in log space, so it neither underflows
 *     nor loses the law for tiny a (1e-3, 1e-6, ...: exp of it is often below
 *     the smallest double).
 *
 *   Expected words per value: 1 for a == 1, about 2.03-2.1 for a > 1 (1 + 2/e_a
 *   with e_a the acceptance rate, 0.95 at a -> 1+ up to 1 for large a), one more
 *   for a < 1.
 *
 *   The element-wise kernels standard_gamma, log_standard_gamma and chisquare
 *   follow a faster bulk rule built from the same tries (blocks of first tries
 *   tested in vectors; boosting by exp(-E/a) with E a standard exponential):
 *   csrc/gamma.c describes it.  standard_t, beta and the Dirichlet rows other
 *   than symmetric ones draw by the rules here.
 *
 *   random_dirichlet_fill: rows in order; in a row, the K gammas in order
 *   k = 0 .. K-1, each by the rule above for alpha[k].  A row whose alpha has a
 *   NaN, non-positive or infinite entry gives K NaNs and draws no words.  A row
 *   with every alpha >= 1 is normalised directly, x_k = g_k / sum(g); any
 *   alpha < 1 puts the row in log space: L_k = log g_k, m = max L,
 *   x_k = exp(L_k - m) / sum_j exp(L_j - m), so rows of tiny concentrations sum
 *   to 1 with no NaN and the right means (every L_k = -inf, concentrations below
 *   ~1e-305 only: x_k = 1/K).  Symmetric rows (one alpha for all, C-contiguous
 *   output) draw their nrows K gammas as one bulk-rule run (log space when
 *   alpha < 1) and are then normalised as above.
 *
 * Plain C99, no Python.
 */
#ifndef NUMDIST_GAMMA_H
#define NUMDIST_GAMMA_H

#include <stddef.h>
#include <stdint.h>

#include "numdist/bitgen.h"
#include "numdist/ndmath.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One standard gamma / log standard gamma variate (rules above). */
double nd_standard_gamma(nd_bits_t *bits, double a);
double nd_log_standard_gamma(nd_bits_t *bits, double a);

/* Dirichlet rows.  alpha: nrows x K with byte strides a_rs (0: one alpha for
 * every row), a_cs; out: nrows x K with byte strides o_rs, o_cs (out must not
 * overlap alpha).  The f64 kernel uses the output row as its workspace.  The
 * f32 kernel computes in double in `work` (K doubles), which may be NULL when
 * K <= ND_DIRICHLET_STACK_K (a stack buffer is used).  Returns ND_OK, or
 * ND_E_NOMEM (nothing drawn) for f32 with work NULL and K too large.  nrows <= 0
 * or K <= 0 draws nothing. */
#define ND_DIRICHLET_STACK_K 1024
int random_dirichlet_fill(nd_bits_t *bits, intptr_t nrows, intptr_t K, const double *alpha,
                          intptr_t a_rs, intptr_t a_cs, double *out, intptr_t o_rs, intptr_t o_cs);
int random_dirichlet_fill_f(nd_bits_t *bits, intptr_t nrows, intptr_t K, const float *alpha,
                            intptr_t a_rs, intptr_t a_cs, float *out, intptr_t o_rs, intptr_t o_cs,
                            double *work);

/* exp(y) from IEEE arithmetic only (no libm): y NaN -> NaN, y > 709.78 -> +inf,
 * y < -745.14 -> 0 (subnormal results rounded once).  Within about 1 ulp of
 * libm's exp.  k = round(y / ln 2), r = (y - k ln2_hi) - k ln2_lo (|r| <= 0.347),
 * exp(r) by its Taylor polynomial of degree 13 (Horner), times 2^k as two
 * powers of two.  Branch-free apart from the clamp, so loops over it vectorise. */
static inline double nd_gamma_exp(double y)
{
    double t, k, r, p, s1, s2;
    uint64_t ki, k1;
    if (y > 710.0) y = 710.0;   /* NaN passes both tests unchanged */
    if (y < -746.0) y = -746.0;
    t = y * 0x1.71547652b82fep0 + 0x1.8p52; /* k in the low bits of t */
    k = t - 0x1.8p52;
    r = (y - k * ND_LN2_HI) - k * ND_LN2_LO;
    p = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 +
        r * (1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 +
        r * (1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600 +
        r * (1.0 / 6227020800.0)))))))))))));
    /* k in [-1077, 1025] as a biased integer; 2^k = 2^k1 2^(k - k1), both normal */
    ki = nd_dbl_to_bits(t) - nd_dbl_to_bits(0x1.8p52) + 2048; /* k + 2048 >= 0 */
    k1 = ki >> 1;                                             /* floor(k/2) + 1024 */
    s1 = nd_bits_to_dbl((k1 - 1024 + 1023) << 52);
    s2 = nd_bits_to_dbl((ki - k1 - 1024 + 1023) << 52);
    return p * s1 * s2;
}

#ifdef __cplusplus
}
#endif
#endif
