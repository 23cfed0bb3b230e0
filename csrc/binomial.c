/*
 * Binomial sampler (rules in numdist/binomial.h): inversion for n q < 10, BTRS
 * (Hoermann 1993) above, nothing proportional to n.  The element-wise table
 * entry "binomial" (p0 total_count = 1, p1 probs = 0.5; int64 output) is
 * nd_ew_binomial_f64 / _f32 below.
 */
#include "numdist/binomial.h"

#include <math.h>
#include <string.h>

#include "ew_common.h"
#include "numdist/gamma.h"
#include "numdist/ziggurat.h"

#define BINOM_INVALID ((int64_t)-1)
#define INV_MAX_STEPS 110 /* P(X > 110) < 1e-60 for n q < 10 */

/* ---- small exact helpers (IEEE arithmetic only) ----------------------------- */

#if defined(__GNUC__)
#define BINOM_NOINLINE __attribute__((noinline))
#define BINOM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define BINOM_INLINE static inline __attribute__((always_inline))
#else
#define BINOM_NOINLINE
#define BINOM_UNLIKELY(x) (x)
#define BINOM_INLINE static inline
#endif

/* ziggurat.h's nd_u01_oc / nd_u01_oo / nd_u01_co, the same values, converted
 * through int64 (the shifted word is below 2^53): one instruction on x86-64 */
static inline double u01_oc(uint64_t w) { return ((double)(int64_t)(w >> 11) + 1.0) * 0x1p-53; }
static inline double u01_oo(uint64_t w) { return ((double)(int64_t)(w >> 12) + 0.5) * 0x1p-52; }
static inline double u01_co(uint64_t w) { return (double)(int64_t)(w >> 11) * 0x1p-53; }

/* floor of a finite double in int64 range */
static inline int64_t floor_i64(double x)
{
    int64_t t = (int64_t)x;
    return (double)t > x ? t - 1 : t;
}

/* log(1 + x) for x > -1 (Goldberg's trick over numdist's log) */
static inline double log1p_any(double x)
{
    double u = 1.0 + x;
    if (u == 1.0) return x;
    return nd_log_pos(u) * (x / (u - 1.0));
}

/* (1 + t) log1p(t) - t for t > -1: for |t| < 0.01 its Taylor series
 * sum_{j>=2} (-t)^j / (j (j-1)) to j = 10 (relative error < 1e-17), directly
 * above (relative error below about 1e-14 from the cancellation at |t| = 0.01). */
static inline double one_plus_t_log1p_minus_t(double t)
{
    if (t > -0.01 && t < 0.01) {
        double p = 1.0 / 90 - t * (1.0 / 72);
        p = 1.0 / 56 - t * p;
        p = 1.0 / 42 - t * p;
        p = 1.0 / 30 - t * p;
        p = 1.0 / 20 - t * p;
        p = 1.0 / 12 - t * p;
        p = 1.0 / 6 - t * p;
        p = 1.0 / 2 - t * p;
        return t * t * p;
    }
    return (1.0 + t) * log1p_any(t) - t;
}

/* 1/x for the inversion's steps (x <= INV_MAX_STEPS), each rounded once */
static const double recip[INV_MAX_STEPS + 1] = {
    0.0,
    1.0 / 1, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1.0 / 6, 1.0 / 7, 1.0 / 8, 1.0 / 9, 1.0 / 10,
    1.0 / 11, 1.0 / 12, 1.0 / 13, 1.0 / 14, 1.0 / 15, 1.0 / 16, 1.0 / 17, 1.0 / 18, 1.0 / 19,
    1.0 / 20, 1.0 / 21, 1.0 / 22, 1.0 / 23, 1.0 / 24, 1.0 / 25, 1.0 / 26, 1.0 / 27, 1.0 / 28,
    1.0 / 29, 1.0 / 30, 1.0 / 31, 1.0 / 32, 1.0 / 33, 1.0 / 34, 1.0 / 35, 1.0 / 36, 1.0 / 37,
    1.0 / 38, 1.0 / 39, 1.0 / 40, 1.0 / 41, 1.0 / 42, 1.0 / 43, 1.0 / 44, 1.0 / 45, 1.0 / 46,
    1.0 / 47, 1.0 / 48, 1.0 / 49, 1.0 / 50, 1.0 / 51, 1.0 / 52, 1.0 / 53, 1.0 / 54, 1.0 / 55,
    1.0 / 56, 1.0 / 57, 1.0 / 58, 1.0 / 59, 1.0 / 60, 1.0 / 61, 1.0 / 62, 1.0 / 63, 1.0 / 64,
    1.0 / 65, 1.0 / 66, 1.0 / 67, 1.0 / 68, 1.0 / 69, 1.0 / 70, 1.0 / 71, 1.0 / 72, 1.0 / 73,
    1.0 / 74, 1.0 / 75, 1.0 / 76, 1.0 / 77, 1.0 / 78, 1.0 / 79, 1.0 / 80, 1.0 / 81, 1.0 / 82,
    1.0 / 83, 1.0 / 84, 1.0 / 85, 1.0 / 86, 1.0 / 87, 1.0 / 88, 1.0 / 89, 1.0 / 90, 1.0 / 91,
    1.0 / 92, 1.0 / 93, 1.0 / 94, 1.0 / 95, 1.0 / 96, 1.0 / 97, 1.0 / 98, 1.0 / 99, 1.0 / 100,
    1.0 / 101, 1.0 / 102, 1.0 / 103, 1.0 / 104, 1.0 / 105, 1.0 / 106, 1.0 / 107, 1.0 / 108,
    1.0 / 109, 1.0 / 110,
};

/* Stirling's tail S(y) = lgamma(y) - ((y - 1/2) log y - y + log(2 pi)/2) for an
 * integer y >= 1: exact (40-digit) values below 17, the series above (error
 * below 1e-16). */
static const double stirling_tail_small[17] = {
    0.0,
    0.08106146679532725822, 0.041340695955409294094, 0.027677925684998339149,
    0.020790672103765093112, 0.016644691189821192163, 0.013876128823070747999,
    0.011896709945891770095, 0.010411265261972096497, 0.0092554621827127329177,
    0.0083305634333628712565, 0.007573675487951840795, 0.0069428401072095298657,
    0.0064089941880042070684, 0.0059513701127588477356, 0.005554733551962801371,
    0.0052076559196096404407,
};

static inline double stirling_tail(int64_t yi)
{
    double y, r, r2;
    if (yi < 17) return stirling_tail_small[yi < 1 ? 1 : yi];
    y = (double)yi;
    r = 1.0 / y;
    r2 = r * r;
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 -
           r2 * (1.0 / 1188 - r2 * (691.0 / 360360))))));
}

/* n p exactly, as an int64 mode m = floor((n + 1) p) and g = n p - m (a double
 * in about [-1, 1)): n = nh + nl with nh = (double)n, nh p = hi + lo (Dekker's
 * two-product with Veltkamp splitting; p is normal here). */
static void mode_and_offset(int64_t n, double p, int64_t *m_out, double *g_out)
{
    const double split = 134217729.0; /* 2^27 + 1 */
    double nh = (double)n, nl = (double)(n - (int64_t)nh);
    double c, nh_hi, nh_lo, p_hi, p_lo, hi, lo, f, r;
    int64_t m0, fl;
    c = split * nh;
    nh_hi = c - (c - nh);
    nh_lo = nh - nh_hi;
    c = split * p;
    p_hi = c - (c - p);
    p_lo = p - p_hi;
    hi = nh * p;
    lo = (((nh_hi * p_hi - hi) + nh_hi * p_lo) + nh_lo * p_hi) + nh_lo * p_lo;
    m0 = (int64_t)hi; /* hi >= 0: truncation is floor */
    f = hi - (double)m0; /* exact */
    r = ((f + lo) + nl * p) + p; /* (n + 1) p - m0 */
    fl = floor_i64(r);
    *m_out = m0 + fl;
    *g_out = ((f - (double)fl) + lo) + nl * p;
}

/* ---- set-up ------------------------------------------------------------------ */

void nd_binomial_setup(nd_binomial_t *st, int64_t n, double p)
{
    double q, np;
    st->n = n;
    st->p = p;
    st->kind = 0;
    st->flip = 0;
    st->value = 0;
    if (n < 0 || n > ND_BINOMIAL_MAX_N || !(p >= 0.0 && p <= 1.0)) {
        st->value = BINOM_INVALID;
        return;
    }
    if (n == 0 || p == 0.0) { st->value = 0; return; }
    if (p == 1.0) { st->value = n; return; }
    st->flip = p > 0.5;
    q = st->flip ? 1.0 - p : p;
    np = (double)n * q;
    if (np < 10.0) {
        st->kind = 1;
        st->r0 = nd_gamma_exp((double)n * nd_log1p_neg(-q));
        st->s = q / (1.0 - q);
        st->a_inv = ((double)n + 1.0) * st->s;
        st->bound = n < INV_MAX_STEPS ? n : INV_MAX_STEPS;
        return;
    }
    {
        double spq, g;
        int64_t m;
        st->kind = 2;
        st->s = q / (1.0 - q); /* the pmf's ratio f(i) / f(i-1) = a_inv / i - s */
        st->a_inv = ((double)n + 1.0) * st->s;
        st->npq = np * (1.0 - q);
        spq = sqrt(st->npq);
        st->b = 1.15 + 2.53 * spq;
        st->a = -0.0873 + 0.0248 * st->b + 0.01 * q;
        st->alpha = (2.83 + 5.1 / st->b) * spq;
        st->vr = 0.92 - 4.2 / st->b;
        st->urvr = 0.86 * st->vr;
        st->inv_vr = 1.0 / st->vr;
        st->two_a = 2.0 * st->a;
        st->inv_npq = 1.0 / st->npq;
        mode_and_offset(n, q, &m, &g);
        st->m = m;
        st->cm = g + 0.5; /* c - m, c = n q + 0.5 */
        st->y1 = (double)(m + 1);
        st->y2 = (double)(n - m + 1);
        /* log(y1 q / (y2 q')) with y1 q - y2 q' = m + 1 - 2q - n q = 1 - 2q - g */
        st->lam = log1p_any((1.0 - 2.0 * q - g) / (st->y2 * q));
        st->st1 = stirling_tail(m + 1);
        st->st2 = stirling_tail(n - m + 1);
        st->lo = -(double)m;
        st->hi = (double)(n - m) + 1.0;
        {
            /* the box |U| <= 0.43 maps into [0, n] (true for n q >= 10; checked so the
             * fast path needs no range test) */
            double reach = (st->two_a / 0.07 + st->b) * 0.43;
            st->box_inside = st->cm - reach >= -(double)m && st->cm + reach < (double)(n - m);
        }
    }
}

/* log f(k) - log f(m), f the Binomial(n, q) pmf, relative to the mode:
 *   -y1 phi(t1) - y2 phi(t2) + (log1p(t1) + log1p(t2)) / 2 - d lam
 *   - (S(k+1) - S(y1)) - (S(n-k+1) - S(y2)),
 * d = k - m, y1 = m + 1, y2 = n - m + 1, t1 = d / y1, t2 = -d / y2,
 * phi(t) = (1 + t) log1p(t) - t, lam = log(y1 q / (y2 (1 - q))), S Stirling's
 * tail: Stirling's formula for each log-factorial, rearranged so that no term
 * of size n log n is formed. */
double nd_binomial_log_ratio(const nd_binomial_t *st, int64_t k)
{
    double d = (double)(k - st->m);
    double t1 = d / st->y1, t2 = -d / st->y2;
    double r = -st->y1 * one_plus_t_log1p_minus_t(t1) - st->y2 * one_plus_t_log1p_minus_t(t2);
    r += 0.5 * (log1p_any(t1) + log1p_any(t2));
    r -= d * st->lam;
    r -= (stirling_tail(k + 1) - st->st1) + (stirling_tail(st->n - k + 1) - st->st2);
    return r;
}

/* ---- draws ------------------------------------------------------------------- */

BINOM_NOINLINE static int64_t draw_inversion(nd_bits_t *bits, const nd_binomial_t *st)
{
    for (;;) {
        double u = u01_co(nd_bits_next64(bits)), r = st->r0;
        int64_t x = 0;
        while (u > r) {
            u -= r;
            x++;
            if (x > st->bound) break;
            r *= st->a_inv * recip[x] - st->s;
        }
        if (x <= st->bound) return x;
    }
}

/* f(i) / f(i - 1) = (n - i + 1) q / (i (1 - q)) for 1 <= i <= n */
static inline double ratio_at(const nd_binomial_t *st, int64_t i)
{
    return (i <= INV_MAX_STEPS ? st->a_inv * recip[i] : st->a_inv / (double)i) - st->s;
}

/* The rest of a BTRS try whose first word gave V > urvr, and the tries after it
 * (out of line: about one value in five gets here). */
/* An optional table of f(k)/f(m) for |k - m| <= W (tab[k - m + W]), for long runs of
 * one binomial: it decides the acceptance test v <= h f(k)/f(m) at once unless v
 * lies within a relative 1e-9 of h f(k)/f(m), where the test below runs as without
 * it.  The table's entries are within about 1e-12 of the ratio the test computes,
 * so the decisions, and the numbers, are the same with and without it. */
typedef struct ratio_table {
    const double *tab;
    int64_t W;
} ratio_table;

#define RATIO_TABLE_MAX 4096 /* entries (2 W + 1 <= this): 32 KB on the stack */
#define RATIO_TABLE_MARGIN 1e-9

/* f(k)/f(m) for k = m - W .. m + W by the pmf's ratios from f(m)/f(m) = 1 (0 outside
 * [0, n]); W = min(2047, 5 sd + 20). */
static int64_t ratio_table_width(const nd_binomial_t *st)
{
    int64_t W = (int64_t)(5.0 * sqrt(st->npq)) + 20;
    return W > (RATIO_TABLE_MAX - 1) / 2 ? (RATIO_TABLE_MAX - 1) / 2 : W;
}

static int64_t ratio_table_build(const nd_binomial_t *st, double *tab)
{
    int64_t W = ratio_table_width(st), i;
    tab[W] = 1.0;
    for (i = 1; i <= W; i++) {
        int64_t k = st->m + i;
        tab[W + i] = k <= st->n ? tab[W + i - 1] * ratio_at(st, k) : 0.0;
    }
    for (i = 1; i <= W; i++) {
        int64_t k = st->m - i;
        tab[W - i] = k >= 0 ? tab[W - i + 1] / ratio_at(st, k + 1) : 0.0;
    }
    return W;
}

/* The acceptance test without the table: v (already times alpha) <= h f(k)/f(m),
 * d = k - m, k in [0, n]. */
static int btrs_exact_test(const nd_binomial_t *st, double v, double h, int64_t d, int64_t k)
{
    double km = (double)(d < 0 ? -d : d), lv;
    if (km <= 15.0) {
        /* near the mode: f(k)/f(m) as a product of the pmf's ratios (Hoermann) */
        double f = h;
        int64_t i;
        if (d > 0)
            for (i = st->m + 1; i <= k; i++) f *= ratio_at(st, i);
        else
            for (i = k + 1; i <= st->m; i++) v *= ratio_at(st, i);
        return v <= f;
    }
    lv = nd_log_pos(v / h);
    if (km > 20.0 && km < 0.5 * st->npq - 1.0) {
        /* BTPE's squeeze: |log f(k)/f(m) - t| <= rho, t = -km^2 / (2 npq) */
        double rho = (km * st->inv_npq) * (((km * (1.0 / 3.0) + 0.625) * km + 1.0 / 6.0) * st->inv_npq + 0.5);
        double t = -km * km * (0.5 * st->inv_npq);
        if (lv < t - rho) return 1;
        if (lv > t + rho) return 0;
    }
    return lv <= nd_binomial_log_ratio(st, k);
}

BINOM_NOINLINE static int64_t btrs_slow(nd_bits_t *bits, const nd_binomial_t *st, double V, const ratio_table *rt)
{
    const double lo = st->lo, hi = st->hi;
    for (;;) {
        double U, v, us, ius, x, h;
        int64_t d, k;
        if (V <= st->urvr) { /* a later try inside the box */
            U = V * st->inv_vr - 0.43;
            x = (st->two_a / (0.5 - fabs(U)) + st->b) * U + st->cm;
            if (x >= lo && x < hi) return st->m + floor_i64(x);
            V = u01_oc(nd_bits_next64(bits));
            continue;
        }
        if (V >= st->vr) {
            U = u01_oo(nd_bits_next64(bits)) - 0.5;
            v = V;
        } else {
            U = V * st->inv_vr - 0.93;
            U = (U < 0 ? -0.5 : 0.5) - U;
            v = st->vr * u01_oc(nd_bits_next64(bits));
        }
        us = 0.5 - fabs(U);
        ius = 1.0 / us;
        x = (st->two_a * ius + st->b) * U + st->cm;
        if (x >= lo && x < hi) { /* else k < 0 or k > n: a new try */
            d = floor_i64(x);
            k = st->m + d;
            /* accept iff v alpha / h <= f(k) / f(m), h the hat's height at U */
            h = st->a * ius * ius + st->b;
            v *= st->alpha;
            if (rt != NULL && d >= -rt->W && d <= rt->W) {
                double r = h * rt->tab[d + rt->W];
                if (v < r * (1.0 - RATIO_TABLE_MARGIN)) return k;
                if (v > r * (1.0 + RATIO_TABLE_MARGIN)) goto next;
            }
            if (btrs_exact_test(st, v, h, d, k)) return k;
        }
    next:
        V = u01_oc(nd_bits_next64(bits));
    }
}

/* One BTRS value: the first word inside the box (about 4 in 5) is the value at once. */
BINOM_INLINE int64_t draw_btrs(nd_bits_t *bits, const nd_binomial_t *st)
{
    double V = u01_oc(nd_bits_next64(bits));
    if (ND_ZIG_LIKELY(V <= st->urvr && st->box_inside)) {
        double U = V * st->inv_vr - 0.43;
        double x = (st->two_a / (0.5 - fabs(U)) + st->b) * U + st->cm;
        int64_t t = (int64_t)x;
        return st->m + (t - ((double)t > x)); /* floor */
    }
    return btrs_slow(bits, st, V, NULL);
}

BINOM_INLINE int64_t draw_any(nd_bits_t *bits, const nd_binomial_t *st)
{
    int64_t x;
    if (st->kind == 2) x = draw_btrs(bits, st);
    else if (st->kind == 1) x = draw_inversion(bits, st);
    else return st->value;
    return st->flip ? st->n - x : x;
}

/* ---- long runs of one BTRS binomial: a window of words at a time ---------------
 *
 * The rule is a sequence of tries, each starting at a word: a start word with
 * V <= urvr is a box try (one word, accepted), any other start takes the next word
 * too.  So every word of a window can be evaluated as if a try started there, in
 * vector passes, before it is known which words start tries:
 *   pass 1 (all words):  V, the box test, the box try's value;
 *   pass 2 (the words that fail the box test, with their next word): the other
 *          try's value and its acceptance test decided by the ratio table (accept,
 *          reject, or undecided: within RATIO_TABLE_MARGIN of the threshold, or
 *          beyond the table and not rejected by the bounds there, see below);
 * then a branch-free scan walks the tries in order (start, skip the second word of
 * a two-word try), writes the values of the accepted ones and runs the exact test
 * of btrs_slow for the rare undecided try.  The same operations on the same words
 * as btrs_slow and draw_btrs: the same numbers and the same words consumed.
 *
 * Beyond the table (|k - m| > W) the pmf ratio is at most a bound (bt_tail_bounds:
 * the table's entry at the same edge times rho^j), so v > h bound (1 + margin)
 * rejects the try as the exact test would (the table's entries are within about
 * 1e-12 of the ratio, the exact tests within about 1e-11 of it or bounds of it).
 *
 * Used for runs of at least 2W + 1 values when the table covers 4 standard
 * deviations and the SIMD level is AVX2 or AVX-512 (btrs_fill); the passes and the
 * scan have explicit AVX-512 versions, AVX2 ones compiled from the portable loops
 * (one index compression explicit).  csrc/tests/test_binomial.c checks every level
 * against the element-by-element rule. */

#define BT_WIN 512 /* words per window */
#define BT_PAD 8   /* pass 2's index list is padded to a multiple of this */

/* flags of a word as the start of a try */
#define BT_ACCEPT 1 /* accepted (the value is kv) */
#define BT_CHECK 2  /* undecided, or the next word is not in the buffer */
#define BT_TWO 4    /* a two-word try */

typedef struct bt_consts {
    double urvr, inv_vr, two_a, b, cm, vr, a, alpha, lo, hi;
    const double *tab; /* f(k)/f(m), k - m = -W .. W */
    int64_t W, base, neg; /* value = base + (d ^ neg) - neg, neg = -flip */
} bt_consts;

/* mask ? a : b for a mask of all ones or zeros, by bits (GCC does not if-convert
 * selects of doubles under -ftrapping-math) */
static inline double bt_sel(uint64_t mask, double a, double b)
{
    return nd_bits_to_dbl((nd_dbl_to_bits(a) & mask) | (nd_dbl_to_bits(b) & ~mask));
}

/* u01_oc(w) by exact bit arithmetic: (w >> 12) 2^-52 + ((w >> 11 & 1) + 1) 2^-53 */
static inline double bt_u01_oc(uint64_t w)
{
    /* 2^-53 or 2^-52: the exponent field of 2^-53 plus that bit (no select: the
     * passes vectorise on AVX2 too) */
    return (nd_bits_to_dbl(UINT64_C(0x3ff0000000000000) | (w >> 12)) - 1.0) +
           nd_bits_to_dbl(UINT64_C(0x3ca0000000000000) + (((w >> 11) & 1) << 52));
}

/* u01_oo(w) likewise: (w >> 12) 2^-52 + 2^-53 */
static inline double bt_u01_oo(uint64_t w)
{
    return (nd_bits_to_dbl(UINT64_C(0x3ff0000000000000) | (w >> 12)) - 1.0) + 0x1p-53;
}

/* floor(x) as an int64 for |x| < 2^51 (other x, NaN included, give some value:
 * the passes use it only where |x| is small), by rounding through 1.5 2^52: no
 * double -> int64 conversion, which AVX2 lacks, and no select of doubles, which
 * GCC does not if-convert under -ftrapping-math */
static inline int64_t bt_floor_i64(double x)
{
    double y;
    y = (x + 0x1.8p52) - 0x1.8p52;
    y = y - nd_bits_to_dbl(UINT64_C(0x3ff0000000000000) & (uint64_t)-(int64_t)(y > x)); /* 1 if y > x */
    return (int64_t)(nd_dbl_to_bits(y + 0x1.8p52) - nd_dbl_to_bits(0x1.8p52));
}

/* Bounds of f(k)/f(m) beyond a table of half-width W (tab[0 .. 2W] as built by
 * ratio_table_build), appended at tab[2W + 1 ..]: 64 for the left side, then 64
 * for the right.  Entry L holds for every k whose x (k = m + floor(x)) has
 * |x| / W >= 2^L (as rounded), so j = |k - m| - W >= jL = W (2^L - 1) - 2 - 2^(L-50) W.
 * The pmf's ratio f(i)/f(i-1) decreases in i, so f(k)/f(m) <= tab[edge] rho^j with
 * rho = f(m+W+1)/f(m+W) on the right and f(m-W-1)/f(m-W) on the left; the entry
 * is twice that at j = jL (a factor that covers the rounding of rho, log and exp
 * many times over), and the edge itself for L = 0. */
static void bt_tail_bounds(const nd_binomial_t *st, double *tab, int64_t W)
{
    int side, L;
    for (side = 0; side < 2; side++) {
        double edge = side ? tab[2 * W] : tab[0], rho, lr;
        double *bnd = tab + 2 * W + 1 + 64 * side;
        if (side) rho = st->m + W + 1 <= st->n ? ratio_at(st, st->m + W + 1) : 0.0;
        else rho = st->m - W - 1 >= 0 ? 1.0 / ratio_at(st, st->m - W) : 0.0;
        lr = rho > 0.0 ? nd_log_pos(rho) : -1e300;
        bnd[0] = edge;
        for (L = 1; L < 64; L++) {
            double p2 = (double)(UINT64_C(1) << (L < 62 ? L : 62)), jl = (double)W * (p2 - 1.0) - 2.0 - p2 * (double)W * 0x1p-50;
            double y = (jl > 0.0 ? jl : 0.0) * lr;
            bnd[L] = !(lr > -1e300) ? (jl >= 1.0 ? 0.0 : edge) : y < -740.0 ? 0.0 : 2.0 * edge * nd_gamma_exp(y);
        }
    }
}

/* Pass 1 over words w[0 .. nw-1]: kv[i] the box try's value, flag[i] BT_ACCEPT for
 * a box try, else BT_TWO (pass 2 fills it in); gi/return: the indices of the
 * latter. */
BINOM_INLINE intptr_t bt_pass1(const uint64_t *restrict w, intptr_t nw, const bt_consts *c,
                               int64_t *restrict kv, int64_t *restrict flag, intptr_t *restrict gi)
{
    const double urvr = c->urvr, inv_vr = c->inv_vr, two_a = c->two_a, b = c->b, cm = c->cm;
    const int64_t base = c->base, neg = c->neg;
    intptr_t i, m = 0;
    for (i = 0; i < nw; i++) {
        double V = bt_u01_oc(w[i]);
        double U = V * inv_vr - 0.43;
        double x = (two_a / (0.5 - fabs(U)) + b) * U + cm;
        int64_t two = V > urvr;
        kv[i] = base + ((bt_floor_i64(x) ^ neg) - neg);
        flag[i] = BT_ACCEPT + two * (BT_TWO - BT_ACCEPT);
    }
    if (gi == NULL) return 0; /* the caller compresses */
    for (i = 0; i < nw; i++) { /* the others' indices, branch-free */
        gi[m] = i;
        m += flag[i] >> 2;
    }
    return m;
}

/* Pass 2 over the words gi[0 .. m-1] (each followed by another word): the try of
 * btrs_slow that starts there, decided by the table where it can be; kv[j],
 * fl[j] for word gi[j] (no scatter: AVX2 has none). */
BINOM_INLINE void bt_pass2(const uint64_t *restrict w, intptr_t m, const intptr_t *restrict gi,
                           const bt_consts *c, int64_t *restrict kv, int64_t *restrict fl)
{
    const double inv_vr = c->inv_vr, two_a = c->two_a, b = c->b, cm = c->cm, vr = c->vr;
    const double a = c->a, alpha = c->alpha, lo = c->lo, hi = c->hi;
    const double *restrict tab = c->tab;
    const int64_t W = c->W, base = c->base, neg = c->neg;
    const double Wlo = -(double)W, Whi = (double)W + 1.0; /* floor(x) in [-W, W] */
    const double invW = 1.0 / (double)W;
    intptr_t j;
    for (j = 0; j < m; j++) {
        intptr_t g = gi[j];
        double V = bt_u01_oc(w[g]);
        double Ua = bt_u01_oo(w[g + 1]) - 0.5;
        double Ub = V * inv_vr - 0.93;
        double v2 = vr * bt_u01_oc(w[g + 1]);
        uint64_t upper = -(uint64_t)(V >= vr);
        double Uc = nd_bits_to_dbl(nd_dbl_to_bits(0.5) | (nd_dbl_to_bits(Ub) & UINT64_C(0x8000000000000000))) - Ub; /* sign(Ub)/2 - Ub */
        double U = bt_sel(upper, Ua, Uc);
        double v = bt_sel(upper, V, v2) * alpha;
        double us = 0.5 - fabs(U), ius = 1.0 / us;
        double x = (two_a * ius + b) * U + cm;
        double h = a * ius * ius + b;
        int64_t d = bt_floor_i64(x); /* used where |x| <= W + 1 only */
        int64_t inr = (x >= lo) & (x < hi);
        int64_t intab = (x >= Wlo) & (x < Whi);
        int64_t side = (int64_t)(nd_dbl_to_bits(x) >> 63); /* x < 0 (or -0, NaN with the sign) */
        /* beyond the table: the bound of level L = the exponent of |x| / W */
        int64_t L = (int64_t)((nd_dbl_to_bits(fabs(x) * invW) >> 52) & 0x7ff) - 1023;
        int64_t L0 = L & ~(L >> 63), t63, tb, ti; /* clamped to [0, 63], by arithmetic (selects */
        double r;                                 /* here are not if-converted for AVX2) */
        t63 = L0 - 63;
        L0 = 63 + (t63 & (t63 >> 63));
        tb = 2 * W + 1 + 64 * (side ^ 1) + L0;
        ti = tb + ((d + W - tb) & -intab);
        r = h * tab[ti];
        int64_t acc = intab & (v < r * (1.0 - RATIO_TABLE_MARGIN));
        int64_t rej = v > r * (1.0 + RATIO_TABLE_MARGIN);
        kv[j] = base + ((d ^ neg) - neg);
        fl[j] = BT_TWO | (inr & acc) | (inr & ((acc | rej) ^ 1)) << 1; /* outside [0, n]: rejected */
    }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define BT_LEVELS 1
#define BT_TARGET(t) __attribute__((target(t)))
#include <immintrin.h>
#else
#define BT_TARGET(t)
#endif
/* pass 2 compiled for each SIMD level (IEEE operations, no contraction: the same
 * numbers at every level); pass 1's vector versions are below */
#define BT_PASS2_AT(sfx, ATTR)                                                                     \
    ATTR static void bt_pass2_##sfx(const uint64_t *restrict w, intptr_t m, const intptr_t *restrict gi, \
                                    const bt_consts *c, int64_t *restrict kv, int64_t *restrict fl) \
    {                                                                                              \
        bt_pass2(w, m, gi, c, kv, fl);                                                             \
    }
#ifdef BT_LEVELS
BT_PASS2_AT(512, BT_TARGET("avx512f"))
BT_PASS2_AT(256, BT_TARGET("avx2"))
/* AVX2: the values by the compiler's vectors, the indices by movemask and a table
 * of 16 index vectors (gi has room for the 3 entries written past the end) */
static const int64_t bt_idx4[16][4] = {
    {0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {2, 0, 0, 0}, {0, 2, 0, 0}, {1, 2, 0, 0}, {0, 1, 2, 0},
    {3, 0, 0, 0}, {0, 3, 0, 0}, {1, 3, 0, 0}, {0, 1, 3, 0}, {2, 3, 0, 0}, {0, 2, 3, 0}, {1, 2, 3, 0}, {0, 1, 2, 3},
};
BT_TARGET("avx2") static intptr_t bt_pass1_256(const uint64_t *restrict w, intptr_t nw, const bt_consts *c,
                                               int64_t *restrict kv, int64_t *restrict flag, intptr_t *restrict gi)
{
    intptr_t i, m = 0;
    bt_pass1(w, nw, c, kv, flag, NULL);
    for (i = 0; i + 4 <= nw; i += 4) {
        unsigned two = (unsigned)_mm256_movemask_pd(
            _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_loadu_si256((const __m256i *)(flag + i)), 61)));
        __m256i v = _mm256_add_epi64(_mm256_loadu_si256((const __m256i *)bt_idx4[two]), _mm256_set1_epi64x(i));
        _mm256_storeu_si256((__m256i *)(gi + m), v);
        m += __builtin_popcount(two);
    }
    for (; i < nw; i++) {
        gi[m] = i;
        m += flag[i] >> 2;
    }
    return m;
}
#endif
BT_PASS2_AT(base, )

/* Pass 1 with explicit AVX-512 vectors (level 3: F, DQ, VL): the words' uniforms
 * by one int64 -> double conversion (2^-53 folded into 1/vr: scaling by a power of
 * two commutes with rounding, so U is the same double), the box test on the
 * integers, the other words' indices compressed by vpcompressq.  The division
 * bounds the pass (a vector division per 8 words); the rest is kept short enough
 * to run in its shadow.  The same values as bt_pass1, bit for bit. */
#ifdef BT_LEVELS
BT_TARGET("avx512f,avx512dq,avx512vl") static intptr_t bt_pass1_512(const uint64_t *restrict w, intptr_t nw,
                                                                    const bt_consts *c, int64_t *restrict kv,
                                                                    int64_t *restrict flag, intptr_t *restrict gi)
{
    const __m512d inv_vr53 = _mm512_set1_pd(c->inv_vr * 0x1p-53), two_a = _mm512_set1_pd(c->two_a);
    const __m512d b = _mm512_set1_pd(c->b), cm = _mm512_set1_pd(c->cm), c043 = _mm512_set1_pd(0.43);
    const __m512d half = _mm512_set1_pd(0.5), one = _mm512_set1_pd(1.0), big = _mm512_set1_pd(0x1.8p52);
    /* V <= urvr  <=>  (w >> 11) + 1 <= urvr 2^53  <=>  (w >> 11) < floor(urvr 2^53) (urvr 2^53 is exact:
     * a scaling by a power of two) */
    const double lim = floor(c->urvr * 0x1p53);
    const __m512i boxlim = _mm512_set1_epi64(lim < 0.0 ? 0 : lim > 0x1p54 ? INT64_C(1) << 54 : (int64_t)lim);
    const __m512i one64 = _mm512_set1_epi64(BT_ACCEPT), two64 = _mm512_set1_epi64(BT_TWO);
    const __m512i base = _mm512_set1_epi64(c->base), neg = _mm512_set1_epi64(c->neg);
    __m512i idx = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i eight = _mm512_set1_epi64(8);
    intptr_t i = 0, m = 0, k;
    for (; i + 8 <= nw; i += 8) {
        __m512i A = _mm512_srli_epi64(_mm512_loadu_si512(w + i), 11);
        __m512d U = _mm512_sub_pd(_mm512_mul_pd(_mm512_add_pd(_mm512_cvtepu64_pd(A), one), inv_vr53), c043);
        __m512d den = _mm512_sub_pd(half, _mm512_abs_pd(U));
        __m512d x = _mm512_add_pd(_mm512_mul_pd(_mm512_add_pd(_mm512_div_pd(two_a, den), b), U), cm);
        __m512d y = _mm512_sub_pd(_mm512_add_pd(x, big), big);
        __m512i d;
        __mmask8 box = _mm512_cmp_epu64_mask(A, boxlim, _MM_CMPINT_LT);
        y = _mm512_mask_sub_pd(y, _mm512_cmp_pd_mask(y, x, _CMP_GT_OQ), y, one); /* floor */
        d = _mm512_sub_epi64(_mm512_castpd_si512(_mm512_add_pd(y, big)), _mm512_castpd_si512(big));
        _mm512_storeu_si512(kv + i, _mm512_add_epi64(base, _mm512_sub_epi64(_mm512_xor_si512(d, neg), neg)));
        _mm512_storeu_si512(flag + i, _mm512_mask_blend_epi64(box, two64, one64));
        {
            unsigned cnt = (unsigned)__builtin_popcount((unsigned)(__mmask8)~box);
            _mm512_mask_storeu_epi64(gi + m, (__mmask8)((1u << cnt) - 1), _mm512_maskz_compress_epi64((__mmask8)~box, idx));
            m += cnt;
        }
        idx = _mm512_add_epi64(idx, eight);
    }
    k = bt_pass1(w + i, nw - i, c, kv + i, flag + i, gi + m);
    for (; k > 0; k--, m++) gi[m] += i;
    return m;
}
#endif

/* The try of btrs_slow starting at word w0 (V > urvr) with its second word w1, run
 * exactly: 1 and *k set if accepted. */
static int bt_try_exact(const nd_binomial_t *st, uint64_t w0, uint64_t w1, int64_t *k)
{
    double V = u01_oc(w0), U, v, us, ius, x, h;
    int64_t d;
    if (V >= st->vr) {
        U = u01_oo(w1) - 0.5;
        v = V;
    } else {
        U = V * st->inv_vr - 0.93;
        U = (U < 0 ? -0.5 : 0.5) - U;
        v = st->vr * u01_oc(w1);
    }
    us = 0.5 - fabs(U);
    ius = 1.0 / us;
    x = (st->two_a * ius + st->b) * U + st->cm;
    if (!(x >= st->lo && x < st->hi)) return 0;
    d = floor_i64(x);
    h = st->a * ius * ius + st->b;
    *k = st->m + d;
    return btrs_exact_test(st, v * st->alpha, h, d, *k);
}

/* The scan over words i .. iend-1 (j values written so far, skip as described):
 * returns iend, or the index of a two-word try at the buffer's last word. */
BINOM_INLINE intptr_t bt_scan(const nd_binomial_t *st, const uint64_t *w, intptr_t avail, intptr_t i,
                              intptr_t iend, int64_t *kv, const int64_t *flag, char *out, intptr_t os,
                              intptr_t *jp, int64_t *skipp)
{
    intptr_t j = *jp;
    int64_t skip = *skipp;
    for (; i < iend; i++) {
        int64_t s = skip ^ 1, f = flag[i];
        if (BINOM_UNLIKELY(s & (f >> 1) & 1)) {
            int64_t k = 0;
            if (i + 1 == avail) break; /* its second word is in the next block */
            f = BT_TWO | bt_try_exact(st, w[i], w[i + 1], &k);
            kv[i] = st->flip ? st->n - k : k;
        }
        EW_OUT(int64_t, out, j * os) = kv[i];
        j += s & f & 1;
        skip = s & (f >> 2);
    }
    *jp = j;
    *skipp = skip;
    return i;
}

/* The same scan 8 words at a time (AVX-512, contiguous out): lut[t] for the
 * words' two-word bits t gives the starts (bits 0-7) and the skip after them (bit
 * 8); the accepted starts' values are compressed into out.  Returns the number
 * written (bits 0-3), the skip (bit 8), and bit 9 set, with nothing written, when a
 * start is undecided (the scalar scan takes those 8 words). */
#ifdef BT_LEVELS
BT_TARGET("avx512f,avx512dq,avx512vl") static inline unsigned bt_scan8_512(const int64_t *flag, const int64_t *kv,
                                                                           int64_t *out, const uint16_t *lut)
{
    __m512i f = _mm512_loadu_si512(flag);
    unsigned e = lut[_mm512_test_epi64_mask(f, _mm512_set1_epi64(BT_TWO))];
    __mmask8 starts = (__mmask8)e;
    __mmask8 acc = _mm512_mask_test_epi64_mask(starts, f, _mm512_set1_epi64(BT_ACCEPT));
    if (_mm512_mask_test_epi64_mask(starts, f, _mm512_set1_epi64(BT_CHECK))) return 1u << 9;
    unsigned cnt = (unsigned)__builtin_popcount(acc);
    /* compress in a register, then a masked store (vpcompressq to memory is slow) */
    _mm512_mask_storeu_epi64(out, (__mmask8)((1u << cnt) - 1), _mm512_maskz_compress_epi64(acc, _mm512_loadu_si512(kv)));
    return (e & 0x100) | cnt;
}
#endif

/* n values of one BTRS binomial (box_inside) into out (stride os), with the table
 * tab of half-width W: the same numbers as btrs_fill. */
static void btrs_fill_window(nd_bits_t *bits, const nd_binomial_t *st, intptr_t n, char *out, intptr_t os,
                             const double *tab, int64_t W)
{
    int64_t kv[BT_WIN], flag[BT_WIN], kv2[BT_WIN + BT_PAD], fl2[BT_WIN + BT_PAD];
    intptr_t gi[BT_WIN + BT_PAD];
    ratio_table rt;
    bt_consts c;
    intptr_t j = 0;
    int level = nd_exponential_simd_level();
#ifdef BT_LEVELS
    uint16_t lut[2][256]; /* the vector scan's table (see bt_scan8_512) */
    {
        int sk, t, q;
        for (sk = 0; sk < 2 && level >= 3; sk++)
            for (t = 0; t < 256; t++) {
                int s = sk, starts = 0;
                for (q = 0; q < 8; q++) {
                    int start = s ^ 1;
                    starts |= start << q;
                    s = start & (t >> q) & 1;
                }
                lut[sk][t] = (uint16_t)(starts | s << 8);
            }
    }
#endif
    (void)level; /* without BT_LEVELS only the portable passes run */
    c.urvr = st->urvr; c.inv_vr = st->inv_vr; c.two_a = st->two_a; c.b = st->b; c.cm = st->cm;
    c.vr = st->vr; c.a = st->a; c.alpha = st->alpha; c.lo = st->lo; c.hi = st->hi;
    c.tab = tab; c.W = W;
    c.neg = st->flip ? -1 : 0;
    c.base = st->flip ? st->n - st->m : st->m;
    rt.tab = tab;
    rt.W = W;
    while (j < n) {
        const uint64_t *w;
        intptr_t avail, nw, m, mp, i, i2;
        int64_t skip = 0;
        int stop;
        if (bits->pos == bits->end) nd_bits_refill(bits);
        w = bits->pos;
        avail = bits->end - bits->pos;
        /* at most one value per word: with nw <= n - j the scan cannot pass n */
        nw = avail < BT_WIN ? avail : BT_WIN;
        if (nw > n - j) nw = n - j;
#ifdef BT_LEVELS
        if (level >= 3) m = bt_pass1_512(w, nw, &c, kv, flag, gi);
        else if (level >= 2) m = bt_pass1_256(w, nw, &c, kv, flag, gi);
        else
#endif
            m = bt_pass1(w, nw, &c, kv, flag, gi);
        /* a two-word try at the buffer's last word waits for the scan (BT_CHECK) */
        if (m > 0 && gi[m - 1] + 1 == avail) flag[gi[--m]] = BT_TWO | BT_CHECK;
        for (mp = m; mp % BT_PAD != 0; mp++) gi[mp] = gi[0]; /* padding (results unused) */
#ifdef BT_LEVELS
        if (level >= 3) bt_pass2_512(w, mp, gi, &c, kv2, fl2);
        else if (level >= 2) bt_pass2_256(w, mp, gi, &c, kv2, fl2);
        else
#endif
            bt_pass2_base(w, mp, gi, &c, kv2, fl2);
        for (i = 0; i < m; i++) {
            kv[gi[i]] = kv2[i];
            flag[gi[i]] = fl2[i];
        }
        /* the tries in order: skip is 1 on the second word of a two-word try */
        i = 0;
        stop = 0;
#ifdef BT_LEVELS
        if (level >= 3 && os == 8) {
            while (i + 8 <= nw) {
                unsigned e = bt_scan8_512(flag + i, kv + i, (int64_t *)(void *)out + j, lut[skip]);
                if (BINOM_UNLIKELY(e >> 9)) { /* an undecided start: these 8 words one by one */
                    intptr_t r = bt_scan(st, w, avail, i, i + 8, kv, flag, out, os, &j, &skip);
                    if (r < i + 8) {
                        i = r;
                        stop = 1;
                        break;
                    }
                } else {
                    j += e & 15;
                    skip = (e >> 8) & 1;
                }
                i += 8;
            }
        }
#endif
        if (!stop) i = bt_scan(st, w, avail, i, nw, kv, flag, out, os, &j, &skip);
        i2 = i + skip; /* words used (a final two-word try's second word included) */
        if (i < nw) { /* the try at the buffer's last word: through btrs_slow */
            int64_t x;
            bits->pos = bits->pos + i + 1;
            x = btrs_slow(bits, st, u01_oc(w[i]), &rt);
            EW_OUT(int64_t, out, j * os) = st->flip ? st->n - x : x;
            j++;
        } else {
            bits->pos += i2;
        }
    }
}

/* n values of one BTRS binomial into out (stride os): draw_btrs with the word
 * pointer kept in registers (out may alias the bit source's fields otherwise). */
static void btrs_fill(nd_bits_t *bits, const nd_binomial_t *st, intptr_t n, char *out, intptr_t os)
{
    double tab[RATIO_TABLE_MAX + 128];
    uint64_t *pos = bits->pos, *end = bits->end;
    const double urvr = st->box_inside ? st->urvr : -1.0, inv_vr = st->inv_vr, two_a = st->two_a;
    const double b = st->b, cm = st->cm;
    const int64_t m = st->m, nn = st->n;
    const int flip = st->flip;
    ratio_table rt_store, *rt = NULL;
    intptr_t i;
    int64_t W = ratio_table_width(st);
    if (st->box_inside && n >= 2 * W + 1 && (double)W >= 4.0 * sqrt(st->npq) && nd_exponential_simd_level() >= 2) {
        /* a run long enough to repay the table (a few ns an entry; the windows save
         * more than that per value), a table wide enough to decide nearly all tries
         * (4 standard deviations: up to about npq = 260000), and vectors (with the
         * baseline's SSE2 the windows are about 10% slower than the loop below) */
        ratio_table_build(st, tab);
        bt_tail_bounds(st, tab, W);
        btrs_fill_window(bits, st, n, out, os, tab, W);
        return;
    }
    if (n >= 8 * (intptr_t)RATIO_TABLE_MAX) { /* a long run: the table pays */
        rt_store.W = ratio_table_build(st, tab);
        rt_store.tab = tab;
        rt = &rt_store;
    }
    for (i = 0; i < n; i++) {
        int64_t x;
        double V;
        if (pos == end) {
            bits->pos = pos;
            nd_bits_refill(bits);
            pos = bits->pos;
            end = bits->end;
        }
        V = u01_oc(*pos++);
        if (ND_ZIG_LIKELY(V <= urvr)) {
            double U = V * inv_vr - 0.43;
            double xd = (two_a / (0.5 - fabs(U)) + b) * U + cm;
            int64_t t = (int64_t)xd;
            x = m + (t - ((double)t > xd));
        } else {
            bits->pos = pos;
            x = btrs_slow(bits, st, V, rt);
            pos = bits->pos;
            end = bits->end;
        }
        EW_OUT(int64_t, out, i * os) = flip ? nn - x : x;
    }
    bits->pos = pos;
}


int64_t nd_binomial_draw(nd_bits_t *bits, const nd_binomial_t *st) { return draw_any(bits, st); }

int64_t nd_binomial(nd_bits_t *bits, int64_t n, double p)
{
    nd_binomial_t st;
    nd_binomial_setup(&st, n, p);
    return draw_any(bits, &st);
}

/* ---- element-wise kernels: p0 total_count (NULL: 1), p1 probs (NULL: 0.5) ------
 * total_count is read in the parameters' float type and must be an integer in
 * [0, 2^62] (else -1, as an invalid probs); float32 parameters hold integers
 * exactly up to 2^24 (larger counts are the float32 values given).  The set-up is
 * kept while consecutive elements have the same parameters. */
static inline int64_t count_of(double n)
{
    if (!(n >= 0.0 && n <= (double)ND_BINOMIAL_MAX_N)) return -1;
    if ((double)(int64_t)n != n) return -1;
    return (int64_t)n;
}

#define BINOM_KERNEL(fname, T, ONE, HALF)                                                 \
    void fname(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,       \
               intptr_t s0, const char *p1, intptr_t s1)                                  \
    {                                                                                     \
        static const T one_ = ONE, half_ = HALF;                                          \
        nd_binomial_t st;                                                                 \
        double last_n = 0.0, last_p = 0.0;                                                \
        int have = 0;                                                                     \
        intptr_t i;                                                                       \
        if (n <= 0) return;                                                               \
        nd_bits_expect(bits, (size_t)((double)n * 1.3) + 1);                              \
        ew_default(&p0, &s0, &one_);                                                      \
        ew_default(&p1, &s1, &half_);                                                     \
        if (s0 == 0 && s1 == 0) { /* one binomial for the whole run */                   \
            nd_binomial_setup(&st, count_of((double)*(const T *)p0), (double)*(const T *)p1); \
            if (st.kind == 2) {                                                           \
                btrs_fill(bits, &st, n, out, os);                                         \
            } else if (os == 8) {                                                                \
                int64_t *o = (int64_t *)(void *)out;                                      \
                for (i = 0; i < n; i++) o[i] = draw_any(bits, &st);                       \
            } else {                                                                      \
                for (i = 0; i < n; i++) EW_OUT(int64_t, out, i * os) = draw_any(bits, &st); \
            }                                                                             \
            return;                                                                       \
        }                                                                                 \
        for (i = 0; i < n; i++) {                                                         \
            double nn = (double)EW_AT(T, p0, i * s0), pp = (double)EW_AT(T, p1, i * s1);  \
            if (!have || nn != last_n || pp != last_p) {                                  \
                int64_t ni = count_of(nn);                                                \
                /* NaN parameters compare unequal: set up again each time (cheap) */      \
                nd_binomial_setup(&st, ni, pp);                                           \
                last_n = nn;                                                              \
                last_p = pp;                                                              \
                have = 1;                                                                 \
            }                                                                             \
            EW_OUT(int64_t, out, i * os) = draw_any(bits, &st);                           \
        }                                                                                 \
    }

BINOM_KERNEL(nd_ew_binomial_f64, double, 1.0, 0.5)
BINOM_KERNEL(nd_ew_binomial_f32, float, 1.0f, 0.5f)
