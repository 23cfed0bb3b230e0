/*
 * Poisson sampler (inversion below rate 10, Hormann's PTRS from 10 on) and the
 * negative binomial as a gamma-Poisson mixture; the element-wise kernels
 * poisson and negative_binomial_odds.  Stream rules: numdist/poisson.h.
 *
 *   poisson                (p0 lam = 1)                 int64, nd_poisson's rule
 *   negative_binomial_odds (p0 n = 1, p1 odds = 1)      int64,
 *                          nd_negative_binomial_odds's rule
 *
 * f32 kernels read float parameters and compute in double.
 *
 * Speed: a constant rate (stride 0, the common `poisson(lam, size=n)`) is
 * prepared once per call: below 10 the rounded CDF F_0, F_1, ... of the rule
 * and a guide table (the answer for u = j / 128) so that most draws take one
 * comparison; from 10 on PTRS's constants.  Varying rates reuse the previous
 * element's PTRS constants when the rate repeats, and otherwise run the rule
 * directly.  Both paths compute the same rounded F_k with the same operations,
 * so the numbers do not depend on the path (test_poisson.c checks it).
 */
#include "numdist/poisson.h"

#include <math.h>

#include "numdist/gamma.h"
#include "ew_common.h"

/* ---- inversion (0 < lam < 10) ------------------------------------------------ */

#define PO_KCAP 63       /* the search stops here (the CDF stagnates by k ~ 40) */
#define PO_GUIDE_BITS 7  /* guide table of 128 entries */

/* The rule's search, element by element: smallest k with u < F_k, stopping at
 * the first stagnant F_k or at PO_KCAP. */
static inline int64_t po_inv_scalar(double u, double lam)
{
    double p = nd_gamma_exp(-lam), F = p, Fn;
    int64_t k = 0;
    while (u >= F) {
        if (k == PO_KCAP) return k;
        k++;
        p = p * lam / (double)k;
        Fn = F + p;
        if (Fn == F) return k;
        F = Fn;
    }
    return k;
}

/* The same search over a table: F[k] for k < kmax, F[kmax] = 2 (> any u) where
 * kmax is where the rule stops; guide[j] = the answer for u = j 2^-7. */
typedef struct po_table {
    double F[PO_KCAP + 1];
    unsigned char guide[1 << PO_GUIDE_BITS];
} po_table;

static void po_table_init(po_table *t, double lam)
{
    double p = nd_gamma_exp(-lam), F = p, Fn;
    int k = 0, j;
    t->F[0] = F;
    while (k < PO_KCAP) {
        k++;
        p = p * lam / (double)k;
        Fn = F + p;
        if (Fn == F) break;
        t->F[k] = Fn;
        F = Fn;
    }
    t->F[k] = 2.0;
    for (j = 0, k = 0; j < (1 << PO_GUIDE_BITS); j++) {
        double uj = (double)j * (1.0 / (1 << PO_GUIDE_BITS));
        while (uj >= t->F[k]) k++;
        t->guide[j] = (unsigned char)k;
    }
}

static inline int64_t po_inv_table(const po_table *t, uint64_t w)
{
    double u = nd_u01_co(w);
    int64_t k = t->guide[w >> (64 - PO_GUIDE_BITS)];
    while (u >= t->F[k]) k++;
    return k;
}

/* ---- PTRS (lam >= 10) ------------------------------------------------------- */

typedef struct po_ptrs {
    double lam, loglam, b, a, twoa, invalpha, vr, lamc;
} po_ptrs;

static inline void po_ptrs_init(po_ptrs *c, double lam)
{
    c->lam = lam;
    c->loglam = nd_log_pos(lam);
    c->b = 0.931 + 2.53 * sqrt(lam);
    c->a = -0.059 + 0.02483 * c->b;
    c->twoa = 2.0 * c->a;
    c->invalpha = 1.1239 + 1.1328 / (c->b - 3.4);
    c->vr = 0.9277 - 3.6224 / (c->b - 2.0);
    c->lamc = lam + 0.43;
}

/* log k! for k < 10 */
static const double po_logfact[10] = {
    0.0, 0.0, 0x1.62e42fefa39efp-1, 0x1.cab0bfa2a2002p+0, 0x1.96ca77c922cf9p+1,
    0x1.326643c4479c9p+2, 0x1.a51273acf01cap+2, 0x1.10ce1f32dcc30p+3, 0x1.5358e82fcb70dp+3,
    0x1.99a8921a7f7cfp+3,
};
#define PO_LOG_2PI 0x1.d67f1c864beb5p+0

/* h(x) = (1 + x) log(1 + x) - x for x > -1, with kl = 1 + x given exactly
 * (k / lam).  Near 0, with t = x / (2 + x): (1 + x) 2t - x = x^2 / (2 + x)
 * exactly, and log(1 + x) = 2 (t + t^3/3 + t^5/5 + ...), so
 * h = x^2 / (2 + x) + 2 (1 + x) t^3 (1/3 + t^2/5 + ...): no cancellation. */
static inline double po_h(double x, double kl)
{
    double t = x / (2.0 + x), t2, s;
    if (t > 0.25 || t < -0.25) return kl * nd_log_pos(kl) - x;
    t2 = t * t; /* t2 <= 1/16: 13 terms leave < 1e-17 */
    s = 1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9 + t2 * (1.0 / 11 + t2 * (1.0 / 13 +
        t2 * (1.0 / 15 + t2 * (1.0 / 17 + t2 * (1.0 / 19 + t2 * (1.0 / 21 + t2 * (1.0 / 23 +
        t2 * (1.0 / 25 + t2 * (1.0 / 27))))))))))));
    return x * x / (2.0 + x) + 2.0 * kl * (t * t2) * s;
}

/* log P(k; lam), k >= 0 (see poisson.h) */
static inline double po_logpmf(int64_t k, const po_ptrs *c)
{
    double kd = (double)k, x, r, r2, corr;
    if (k < 10) return -c->lam + kd * c->loglam - po_logfact[k];
    x = (kd - c->lam) / c->lam;
    r = 1.0 / kd;
    r2 = r * r;
    corr = r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 * (1.0 / 1188)))));
    return -c->lam * po_h(x, kd / c->lam) - 0.5 * (PO_LOG_2PI + nd_log_pos(kd)) - corr;
}

static inline int64_t po_ptrs_draw(nd_bits_t *bits, const po_ptrs *c)
{
    for (;;) {
        double U = nd_u01_oo(nd_bits_next64(bits)) - 0.5;
        double V = nd_u01_oc(nd_bits_next64(bits));
        double us = 0.5 - (U < 0.0 ? -U : U);
        double x = (c->twoa / us + c->b) * U + c->lamc;
        int in_range = x >= 0.0 && x < 0x1p63;
        int64_t k;
        if (us >= 0.07 && V <= c->vr && in_range) return (int64_t)x;
        if (!in_range || (us < 0.013 && V > us)) continue;
        k = (int64_t)x; /* 0 <= x < 2^63: truncation is floor */
        if (nd_log_pos(V * c->invalpha / (c->a / (us * us) + c->b)) <= po_logpmf(k, c)) return k;
    }
}

/* ---- scalar rules ---------------------------------------------------------- */

/* the value of the rates that draw no words, or 0 for a rate to sample */
static inline int po_special(double lam, int64_t *v)
{
    if (!(lam >= 0.0)) { *v = -1; return 1; }
    if (lam == 0.0) { *v = 0; return 1; }
    if (!(lam <= ND_POISSON_LAM_MAX)) { *v = INT64_MAX; return 1; }
    return 0;
}

int64_t nd_poisson(nd_bits_t *bits, double lam)
{
    int64_t v;
    po_ptrs c;
    if (po_special(lam, &v)) return v;
    if (lam < ND_POISSON_INV_MAX) return po_inv_scalar(nd_u01_co(nd_bits_next64(bits)), lam);
    po_ptrs_init(&c, lam);
    return po_ptrs_draw(bits, &c);
}

int64_t nd_negative_binomial_odds(nd_bits_t *bits, double n, double odds)
{
    const double inf = 1.0 / 0.0;
    if (!(n >= 0.0) || !(odds >= 0.0)) return -1;
    if (n == 0.0 || odds == 0.0) return 0;
    if (n == inf || odds == inf) return INT64_MAX;
    return nd_poisson(bits, nd_standard_gamma(bits, n) * odds);
}

/* ---- element-wise kernels ------------------------------------------------- */

#define PO_WORDS 2.2
#define NB_WORDS 4.3

/* n draws of one rate into out (stride os) */
static void po_fill_const(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, double lam)
{
    int64_t v;
    intptr_t i;
    if (po_special(lam, &v)) {
        for (i = 0; i < n; i++) EW_OUT(int64_t, out, i * os) = v;
        return;
    }
    if (lam < ND_POISSON_INV_MAX) {
        po_table t;
        po_table_init(&t, lam);
        while (n > 0) {
            intptr_t c;
            const uint64_t *w = ew_words(bits, n, &c);
            for (i = 0; i < c; i++) EW_OUT(int64_t, out, i * os) = po_inv_table(&t, w[i]);
            out += c * os;
            n -= c;
        }
    } else {
        po_ptrs c;
        po_ptrs_init(&c, lam);
        for (i = 0; i < n; i++) EW_OUT(int64_t, out, i * os) = po_ptrs_draw(bits, &c);
    }
}

#define POISSON_KERNEL(fname, T, ONE)                                                     \
    void fname(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,       \
               intptr_t s0, const char *p1, intptr_t s1)                                  \
    {                                                                                     \
        po_ptrs c;                                                                        \
        intptr_t i;                                                                       \
        (void)p1; (void)s1;                                                               \
        if (n <= 0) return;                                                               \
        nd_bits_expect(bits, (size_t)((double)n * PO_WORDS) + 1);                         \
        ew_default(&p0, &s0, ONE);                                                        \
        if (s0 == 0) {                                                                    \
            po_fill_const(bits, n, out, os, (double)EW_AT(T, p0, 0));                     \
            return;                                                                       \
        }                                                                                 \
        c.lam = -1.0; /* no rate prepared yet */                                          \
        for (i = 0; i < n; i++) {                                                         \
            double lam = (double)EW_AT(T, p0, i * s0);                                    \
            int64_t v;                                                                    \
            if (po_special(lam, &v)) {                                                    \
            } else if (lam < ND_POISSON_INV_MAX) {                                        \
                v = po_inv_scalar(nd_u01_co(nd_bits_next64(bits)), lam);                 \
            } else {                                                                      \
                if (lam != c.lam) po_ptrs_init(&c, lam);                                  \
                v = po_ptrs_draw(bits, &c);                                               \
            }                                                                             \
            EW_OUT(int64_t, out, i * os) = v;                                             \
        }                                                                                 \
    }

POISSON_KERNEL(nd_ew_poisson_f64, double, &ew_one_d)
POISSON_KERNEL(nd_ew_poisson_f32, float, &ew_one_f)

#define NB_KERNEL(fname, T, ONE)                                                          \
    void fname(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,       \
               intptr_t s0, const char *p1, intptr_t s1)                                  \
    {                                                                                     \
        intptr_t i;                                                                       \
        if (n <= 0) return;                                                               \
        nd_bits_expect(bits, (size_t)((double)n * NB_WORDS) + 1);                         \
        ew_default(&p0, &s0, ONE);                                                        \
        ew_default(&p1, &s1, ONE);                                                        \
        for (i = 0; i < n; i++)                                                           \
            EW_OUT(int64_t, out, i * os) = nd_negative_binomial_odds(                     \
                bits, (double)EW_AT(T, p0, i * s0), (double)EW_AT(T, p1, i * s1));        \
    }

NB_KERNEL(nd_ew_negative_binomial_odds_f64, double, &ew_one_d)
NB_KERNEL(nd_ew_negative_binomial_odds_f32, float, &ew_one_f)
