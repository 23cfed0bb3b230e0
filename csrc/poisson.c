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
 * prepared once per call.  Below 10: the rounded CDF F_0, F_1, ... of the rule
 * and a guide table (the answer for u = j / 128), so that most draws take one
 * comparison.  From 10 on: PTRS's constants, and tries a window at a time
 * (vector quick tests, then the acceptance tests of the undecided tries
 * together), with a table of P(k) within 10 standard deviations when the call
 * draws at least 64 values per entry (po_pmf's values: the test is then a
 * lookup).  Varying rates run the rule element by element (reusing PTRS's
 * constants while the rate repeats).  Every path computes the same rounded
 * values with the same operations, so the numbers do not depend on the path
 * (test_poisson.c checks it word for word).
 */
#include "numdist/poisson.h"

#include <math.h>

#include "numdist/gamma.h"
#include "ew_common.h"

/* exp(y) with nd_gamma_exp's argument reduction and degree-13 Taylor polynomial,
 * evaluated by Estrin's scheme instead of Horner's (a dependency chain of about
 * 5 products instead of 13: the per-element paths wait for it); y NaN -> NaN,
 * y > 709.78 -> +inf, y < -745.14 -> 0.  IEEE operations only, within about
 * 2 ulp of exp. */
static inline double po_exp(double y)
{
    double t, k, r, r2, r4, r8, p, s1, s2;
    uint64_t ki, k1;
    if (y > 710.0) y = 710.0; /* NaN passes both tests unchanged */
    if (y < -746.0) y = -746.0;
    t = y * 0x1.71547652b82fep0 + 0x1.8p52;
    k = t - 0x1.8p52;
    r = (y - k * ND_LN2_HI) - k * ND_LN2_LO;
    r2 = r * r;
    r4 = r2 * r2;
    r8 = r4 * r4;
    p = ((1.0 + r) + r2 * (1.0 / 2 + r * (1.0 / 6)))
        + r4 * ((1.0 / 24 + r * (1.0 / 120)) + r2 * (1.0 / 720 + r * (1.0 / 5040)))
        + r8 * (((1.0 / 40320 + r * (1.0 / 362880)) + r2 * (1.0 / 3628800 + r * (1.0 / 39916800)))
                + r4 * (1.0 / 479001600 + r * (1.0 / 6227020800.0)));
    ki = nd_dbl_to_bits(t) - nd_dbl_to_bits(0x1.8p52) + 2048; /* k + 2048 >= 0 */
    k1 = ki >> 1;
    s1 = nd_bits_to_dbl((k1 - 1024 + 1023) << 52);
    s2 = nd_bits_to_dbl((ki - k1 - 1024 + 1023) << 52);
    return p * s1 * s2;
}

/* ---- inversion (0 < lam < 10) ------------------------------------------------ */

#define PO_KCAP 63       /* the search stops here (the CDF stagnates by k ~ 40) */
#define PO_GUIDE_BITS 7  /* guide table of 128 entries */

/* 1/k rounded, k = 0 .. PO_KCAP: the recurrence multiplies (no division in the loop) */
static const double po_recip[PO_KCAP + 1] = {
    0.0, 0x1.0000000000000p+0, 0x1.0000000000000p-1, 0x1.5555555555555p-2,
    0x1.0000000000000p-2, 0x1.999999999999ap-3, 0x1.5555555555555p-3, 0x1.2492492492492p-3,
    0x1.0000000000000p-3, 0x1.c71c71c71c71cp-4, 0x1.999999999999ap-4, 0x1.745d1745d1746p-4,
    0x1.5555555555555p-4, 0x1.3b13b13b13b14p-4, 0x1.2492492492492p-4, 0x1.1111111111111p-4,
    0x1.0000000000000p-4, 0x1.e1e1e1e1e1e1ep-5, 0x1.c71c71c71c71cp-5, 0x1.af286bca1af28p-5,
    0x1.999999999999ap-5, 0x1.8618618618618p-5, 0x1.745d1745d1746p-5, 0x1.642c8590b2164p-5,
    0x1.5555555555555p-5, 0x1.47ae147ae147bp-5, 0x1.3b13b13b13b14p-5, 0x1.2f684bda12f68p-5,
    0x1.2492492492492p-5, 0x1.1a7b9611a7b96p-5, 0x1.1111111111111p-5, 0x1.0842108421084p-5,
    0x1.0000000000000p-5, 0x1.f07c1f07c1f08p-6, 0x1.e1e1e1e1e1e1ep-6, 0x1.d41d41d41d41dp-6,
    0x1.c71c71c71c71cp-6, 0x1.bacf914c1bad0p-6, 0x1.af286bca1af28p-6, 0x1.a41a41a41a41ap-6,
    0x1.999999999999ap-6, 0x1.8f9c18f9c18fap-6, 0x1.8618618618618p-6, 0x1.7d05f417d05f4p-6,
    0x1.745d1745d1746p-6, 0x1.6c16c16c16c17p-6, 0x1.642c8590b2164p-6, 0x1.5c9882b931057p-6,
    0x1.5555555555555p-6, 0x1.4e5e0a72f0539p-6, 0x1.47ae147ae147bp-6, 0x1.4141414141414p-6,
    0x1.3b13b13b13b14p-6, 0x1.3521cfb2b78c1p-6, 0x1.2f684bda12f68p-6, 0x1.29e4129e4129ep-6,
    0x1.2492492492492p-6, 0x1.1f7047dc11f70p-6, 0x1.1a7b9611a7b96p-6, 0x1.15b1e5f75270dp-6,
    0x1.1111111111111p-6, 0x1.0c9714fbcda3bp-6, 0x1.0842108421084p-6, 0x1.0410410410410p-6,
};

/* The rule's search, element by element: smallest k with u < F_k, stopping at
 * the first stagnant F_k or at PO_KCAP. */
static inline int64_t po_inv_scalar(double u, double lam)
{
    double p = po_exp(-lam), F = p, Fn;
    int64_t k = 0;
    while (u >= F) {
        if (k == PO_KCAP) return k;
        k++;
        p = p * (lam * po_recip[k]); /* lam r_k is off the chain through p */
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
    double p = po_exp(-lam), F = p, Fn;
    int k = 0, j;
    t->F[0] = F;
    while (k < PO_KCAP) {
        k++;
        p = p * (lam * po_recip[k]); /* lam r_k is off the chain through p */
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
    double lam, b, a, twoa, bm2, lamc; /* the quick tests */
    double loglam, inv_lam, invalpha;  /* the acceptance test (computed when first needed) */
    int slow_ready;
} po_ptrs;

static inline void po_ptrs_init_quick(po_ptrs *c, double lam)
{
    c->lam = lam;
    c->b = 0.931 + 2.53 * sqrt(lam);
    c->a = -0.059 + 0.02483 * c->b;
    c->twoa = 2.0 * c->a;
    c->bm2 = c->b - 2.0; /* V <= v_r as (V - 0.9277)(b - 2) <= -3.6224: no division */
    c->lamc = lam + 0.43;
    c->slow_ready = 0;
}

static inline void po_ptrs_init_slow(po_ptrs *c)
{
    if (c->slow_ready) return;
    c->loglam = nd_log_pos(c->lam);
    c->inv_lam = 1.0 / c->lam;
    c->invalpha = 1.1239 + 1.1328 / (c->b - 3.4);
    c->slow_ready = 1;
}

static inline void po_ptrs_init(po_ptrs *c, double lam)
{
    po_ptrs_init_quick(c, lam);
    po_ptrs_init_slow(c);
}

/* log k! for k < PO_LOGFACT_N (correctly rounded, from mpmath) */
#define PO_LOGFACT_N 256
static const double po_logfact[PO_LOGFACT_N] = {
    0x0.0p+0, 0x0.0p+0, 0x1.62e42fefa39efp-1, 0x1.cab0bfa2a2002p+0,
    0x1.96ca77c922cf9p+1, 0x1.326643c4479c9p+2, 0x1.a51273acf01cap+2, 0x1.10ce1f32dcc30p+3,
    0x1.5358e82fcb70dp+3, 0x1.99a8921a7f7cfp+3, 0x1.e357590954d15p+3, 0x1.180973f3a8d74p+4,
    0x1.3fcba16d50143p+4, 0x1.68d5a9c3b32cep+4, 0x1.930f3df162a42p+4, 0x1.be636a63fd346p+4,
    0x1.eabff061f1a84p+4, 0x1.0c0a63f2f353ap+5, 0x1.2329df2d5ee52p+5, 0x1.3ab8153363985p+5,
    0x1.52af57aed77bep+5, 0x1.6b0a8643472a9p+5, 0x1.83c4faba84f06p+5, 0x1.9cda78b856a45p+5,
    0x1.b6472034e8d14p+5, 0x1.d007622cd65e7p+5, 0x1.ea17f717c6794p+5, 0x1.023aeb67e4fefp+6,
    0x1.0f8f18d330240p+6, 0x1.1d07353917231p+6, 0x1.2aa208b59d0e5p+6, 0x1.385e6fd9e5a40p+6,
    0x1.463b59b942084p+6, 0x1.5437c633ace4ap+6, 0x1.6252c474896bap+6, 0x1.708b719e11658p+6,
    0x1.7ee0f79b26758p+6, 0x1.8d528c1243d96p+6, 0x1.9bdf6f75257a3p+6, 0x1.aa86ec2969812p+6,
    0x1.b94855c702ba2p+6, 0x1.c8230869ca105p+6, 0x1.d7166813e12eep+6, 0x1.e621e01eeba4fp+6,
    0x1.f544e2ba69cf1p+6, 0x1.023f743addd9fp+7, 0x1.09e7b7ea41ea9p+7, 0x1.119afe762626bp+7,
    0x1.19590c853a559p+7, 0x1.2121a930c6ec3p+7, 0x1.28f49ddeb1f31p+7, 0x1.30d1b61e86335p+7,
    0x1.38b8bf8931ddbp+7, 0x1.40a989a33a6cdp+7, 0x1.48a3e5c12af19p+7, 0x1.50a7a6ee08711p+7,
    0x1.58b4a1d39da73p+7, 0x1.60caaca474746p+7, 0x1.68e99f0757979p+7, 0x1.711152043b2c4p+7,
    0x1.79419ff26dc59p+7, 0x1.817a6467f6fb9p+7, 0x1.89bb7c2a0aea1p+7, 0x1.9204c51e7c761p+7,
    0x1.9a561e3e1a4bdp+7, 0x1.a2af6787e4609p+7, 0x1.ab1081f509726p+7, 0x1.b3794f6d9d7afp+7,
    0x1.bbe9b2bdfb621p+7, 0x1.c4618f8cc56f7p+7, 0x1.cce0ca5179100p+7, 0x1.d567484b8b7b6p+7,
    0x1.ddf4ef7a05a70p+7, 0x1.e689a69396befp+7, 0x1.ef2554ff15148p+7, 0x1.f7c7e2cc66183p+7,
    0x1.00389c56e3462p+8, 0x1.04909ff8b652bp+8, 0x1.08ebf13dbf263p+8, 0x1.0d4a85602b129p+8,
    0x1.11ac51df8932ap+8, 0x1.16114c7e34736p+8, 0x1.1a796b3ede1acp+8, 0x1.1ee4a46236d3ep+8,
    0x1.2352ee64b46d5p+8, 0x1.27c43ffc72962p+8, 0x1.2c3890172d057p+8, 0x1.30afd5d851956p+8,
    0x1.352a089728f1bp+8, 0x1.39a71fdd14947p+8, 0x1.3e271363e0df7p+8, 0x1.42a9db142a36ap+8,
    0x1.472f6f03d410cp+8, 0x1.4bb7c77491066p+8, 0x1.5042dcd27af64p+8, 0x1.54d0a7b2ba658p+8,
    0x1.596120d23c4ecp+8, 0x1.5df4411475a1cp+8, 0x1.628a018233bedp+8, 0x1.67225b4879462p+8,
    0x1.6bbd47b7669b6p+8, 0x1.705ac0412d89fp+8, 0x1.74fabe790f7bep+8, 0x1.799d3c1265c0ep+8,
    0x1.7e4232dfb367dp+8, 0x1.82e99cd1c0368p+8, 0x1.879373f6bc4fep+8, 0x1.8c3fb2796c21cp+8,
    0x1.90ee52a05c35fp+8, 0x1.959f4ecd1c8b3p+8, 0x1.9a52a17b831ccp+8, 0x1.9f084540f545ep+8,
    0x1.a3c034cbb7b2cp+8, 0x1.a87a6ae24493ap+8, 0x1.ad36e262a7cc0p+8, 0x1.b1f59641e0db5p+8,
    0x1.b6b6818b4a3ebp+8, 0x1.bb799f600610ap+8, 0x1.c03eeaf66facdp+8, 0x1.c5065f9992226p+8,
    0x1.c9cff8a8a340dp+8, 0x1.ce9bb196830eap+8, 0x1.d36985e93f7b8p+8, 0x1.d83971399c213p+8,
    0x1.dd0b6f329dea4p+8, 0x1.e1df7b911a74cp+8, 0x1.e6b592234b0c9p+8, 0x1.eb8daec863182p+8,
    0x1.f067cd7029d4dp+8, 0x1.f543ea1a97428p+8, 0x1.fa2200d7741ebp+8, 0x1.ff020dc5fcd0cp+8,
    0x1.01f2068a4395cp+9, 0x1.0463fd801573cp+9, 0x1.06d6e9ea365edp+9, 0x1.094ac9f576038p+9,
    0x1.0bbf9bd589663p+9, 0x1.0e355dc4e4164p+9, 0x1.10ac0e0492828p+9, 0x1.1323aadc1563ep+9,
    0x1.159c32993e34fp+9, 0x1.1815a3900cac1p+9, 0x1.1a8ffc1a8d2fep+9, 0x1.1d0b3a98b83c1p+9,
    0x1.1f875d7052afep+9, 0x1.2204630ccefc3p+9, 0x1.248249df2f2b1p+9, 0x1.2701105de7b8dp+9,
    0x1.2980b504c3372p+9, 0x1.2c013654c6b40p+9, 0x1.2e8292d416dddp+9, 0x1.3104c90dddddep+9,
    0x1.3387d79231e3dp+9, 0x1.360bbcf5fc5bfp+9, 0x1.389077d2e1cb2p+9, 0x1.3b1606c72a4a4p+9,
    0x1.3d9c6875aa9cfp+9, 0x1.40239b85adddfp+9, 0x1.42ab9ea2dfbd1p+9, 0x1.4534707d3748fp+9,
    0x1.47be0fc8e241ep+9, 0x1.4a487b3e30effp+9, 0x1.4cd3b19982794p+9, 0x1.4f5fb19b31b3fp+9,
    0x1.51ec7a0782708p+9, 0x1.547a09a68f387p+9, 0x1.57085f44377dfp+9, 0x1.599779b00e38ep+9,
    0x1.5c2757bd48ee8p+9, 0x1.5eb7f842af200p+9, 0x1.61495a1a8a1d5p+9, 0x1.63db7c229538bp+9,
    0x1.666e5d3bee594p+9, 0x1.6901fc4b06e89p+9, 0x1.6b96583795197p+9, 0x1.6e2b6fec85852p+9,
    0x1.70c14257ed1c3p+9, 0x1.7357ce6afb697p+9, 0x1.75ef1319ed23cp+9, 0x1.78870f5bff0cdp+9,
    0x1.7b1fc22b611b3p+9, 0x1.7db92a8529ed1p+9, 0x1.805347694a819p+9, 0x1.82ee17da82373p+9,
    0x1.85899ade530d2p+9, 0x1.8825cf7cf6261p+9, 0x1.8ac2b4c15089cp+9, 0x1.8d6049b8e8253p+9,
    0x1.8ffe8d73d9061p+9, 0x1.929d7f04cad12p+9, 0x1.953d1d80e671bp+9, 0x1.97dd67ffcbffcp+9,
    0x1.9a7e5d9b88dd4p+9, 0x1.9d1ffd708e071p+9, 0x1.9fc2469da6998p+9, 0x1.a2653843ee86cp+9,
    0x1.a508d186c97e3p+9, 0x1.a7ad118bda02bp+9, 0x1.aa51f77af8af4p+9, 0x1.acf7827e2ba8fp+9,
    0x1.af9db1c19e3c7p+9, 0x1.b244847398a6bp+9, 0x1.b4ebf9c47806ep+9, 0x1.b79410e6a6799p+9,
    0x1.ba3cc90e935b7p+9, 0x1.bce62172abb2ap+9, 0x1.bf90194b52be1p+9, 0x1.c23aafd2daa98p+9,
    0x1.c4e5e4457d65ep+9, 0x1.c791b5e155a48p+9, 0x1.ca3e23e657f4cp+9, 0x1.cceb2d964c030p+9,
    0x1.cf98d234c5f8ap+9, 0x1.d24711071ffb9p+9, 0x1.d4f5e95473cd6p+9, 0x1.d7a55a6594889p+9,
    0x1.da556385087b9p+9, 0x1.dd0603ff03211p+9, 0x1.dfb73b215f34ap+9, 0x1.e269083b98e2bp+9,
    0x1.e51b6a9ec8146p+9, 0x1.e7ce619d9ad52p+9, 0x1.ea81ec8c4fd29p+9, 0x1.ed360ac0b0f5ep+9,
    0x1.efeabb920e153p+9, 0x1.f29ffe5937be4p+9, 0x1.f555d2707a179p+9, 0x1.f80c373397d9cp+9,
    0x1.fac32bffc55eep+9, 0x1.fd7ab033a3c7fp+9, 0x1.001961979e1c4p+10, 0x1.0175b229fd937p+10,
    0x1.02d2498255e0cp+10, 0x1.042f2752b9b42p+10, 0x1.058c4b4de69d1p+10, 0x1.06e9b52742dadp+10,
    0x1.08476492db365p+10, 0x1.09a5594560e57p+10, 0x1.0b0392f427775p+10, 0x1.0c62115522c95p+10,
    0x1.0dc0d41ee5056p+10, 0x1.0f1fdb089ca83p+10, 0x1.107f25ca12901p+10, 0x1.11deb41ba8145p+10,
    0x1.133e85b655240p+10, 0x1.149e9a53a66d0p+10, 0x1.15fef1adbb8aep+10, 0x1.175f8b7f453cep+10,
    0x1.18c0678383a39p+10, 0x1.1a2185764485fp+10, 0x1.1b82e513e19d0p+10, 0x1.1ce486193ee72p+10,
    0x1.1e466843c9018p+10, 0x1.1fa88b517388ep+10, 0x1.210aef00b7803p+10, 0x1.226d931091be7p+10,
};
#define PO_LOG_2PI 0x1.d67f1c864beb5p+0

/* floor of 0 <= x < 2^63, exactly, branch-free (loops over it vectorise) */
static inline double po_floor(double x)
{
    double y;
    if (x >= 0x1p52) return x; /* already an integer */
    y = (x + 0x1p52) - 0x1p52; /* x rounded to an integer */
    return y > x ? y - 1.0 : y;
}

/* P(k; lam) for k >= PO_LOGFACT_N by the series branch (see po_pmf): *ok = 0 when k < PO_LOGFACT_N
 * or |t| > 1/4 (the value is then not the rule's). */
static inline double po_pmf_series(double kd, const po_ptrs *c, int64_t *ok)
{
    double x = (kd - c->lam) * c->inv_lam, kl = kd * c->inv_lam, q = 2.0 + x, R = 1.0 / (q * kd);
    double t = x * kd * R, r = q * R, t2 = t * t, t4, t8, s, h, logk, r2 = r * r, corr, l;
    t4 = t2 * t2;
    t8 = t4 * t4;
    s = ((1.0 / 3 + t2 * (1.0 / 5)) + t4 * (1.0 / 7 + t2 * (1.0 / 9)))
        + t8 * ((1.0 / 11 + t2 * (1.0 / 13)) + t4 * (1.0 / 15 + t2 * (1.0 / 17)))
        + (t8 * t8) * (((1.0 / 19 + t2 * (1.0 / 21)) + t4 * (1.0 / 23 + t2 * (1.0 / 25))) + t8 * (1.0 / 27));
    h = x * t + 2.0 * kl * (t * t2) * s; /* x^2 / (2 + x) = x t */
    logk = c->loglam + 2.0 * t * (1.0 + t2 * s);
    corr = r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 * (1.0 / 1188)))));
    l = -c->lam * h - 0.5 * (PO_LOG_2PI + logk) - corr;
    *ok = (t <= 0.25) & (t >= -0.25) & (kd >= (double)PO_LOGFACT_N);
    return po_exp(l);
}

/* P(k; lam) as the acceptance test uses it, for k = kd (an integer,
 * 0 <= k < 2^63); a function of k and lam only.  log P(k; lam) is
 *   k < 256:  -lam + k log(lam) - log k!  (a table; the terms that cancel are
 *             below 256 log(lam), so this is accurate wherever P is not tiny);
 *   k >= 256: -lam h(x) - (log(2 pi) + log k) / 2 - c(k),  x = (k - lam) (1/lam),
 * with h(x) = (1 + x) log(1 + x) - x and c(k) the Stirling series of
 * log k! - (k log k - k + log(2 pi k) / 2) to the k^-9 term.
 * For k >= 256 one reciprocal R = 1 / ((2 + x) k) gives t = x / (2 + x) = x k R
 * and 1/k = (2 + x) R.  h has no cancellation: (1 + x) 2t - x = x^2 / (2 + x)
 * = x t exactly and log(1 + x) = 2t (1 + t^2 s), s = 1/3 + t^2/5 + t^4/7 + ...
 * (13 terms: < 1e-17 for |t| <= 1/4), so h = x t + 2 (1 + x) t^3 s and
 * log k = log(lam) + 2t (1 + t^2 s) when |t| <= 1/4; otherwise
 * h = (1 + x) log(1 + x) - x and log k = log(lam) + log(1 + x) with numdist's
 * log (1 + x = k (1/lam)).  P = po_exp(log P). */
static double po_pmf(double kd, const po_ptrs *c)
{
    int64_t ok;
    double P, x, kl, q, R, r, r2, logkl, h, corr, l;
    if (kd < (double)PO_LOGFACT_N) return po_exp(-c->lam + kd * c->loglam - po_logfact[(int)kd]);
    P = po_pmf_series(kd, c, &ok);
    if (ok) return P;
    x = (kd - c->lam) * c->inv_lam;
    kl = kd * c->inv_lam;
    q = 2.0 + x;
    R = 1.0 / (q * kd);
    r = q * R;
    r2 = r * r;
    logkl = nd_log_pos(kl);
    h = kl * logkl - x;
    corr = r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 * (1.0 / 1188)))));
    l = -c->lam * h - 0.5 * (PO_LOG_2PI + (c->loglam + logkl)) - corr;
    return po_exp(l);
}

/* The acceptance test of a try that was neither accepted at once nor rejected
 * by the first tests: V (1/alpha) <= (a / us^2 + b) P(k; lam). */
static inline int64_t po_accept_with(double P, double us, double V, const po_ptrs *c)
{
    return V * c->invalpha <= (c->a / (us * us) + c->b) * P ? 1 : 0;
}

static int64_t po_ptrs_accept(double kd, double us, double V, const po_ptrs *c)
{
    return po_accept_with(po_pmf(kd, c), us, V, c);
}

static inline int64_t po_ptrs_draw(nd_bits_t *bits, po_ptrs *c)
{
    for (;;) {
        double U = nd_u01_oo(nd_bits_next64(bits)) - 0.5;
        double V = nd_u01_oo(nd_bits_next64(bits));
        double us = 0.5 - (U < 0.0 ? -U : U);
        double x = (c->twoa / us + c->b) * U + c->lamc;
        int in_range;
        /* us >= 0.07 puts x in [0, 2^63) for 10 <= lam <= ND_POISSON_LAM_MAX
         * (|U| <= 0.43: x >= lam + 0.43 - 1.86 sqrt(lam) > 4), so this test
         * need not wait for the division */
        if (us >= 0.07 && (V - 0.9277) * c->bm2 <= -3.6224) return (int64_t)x;
        in_range = x >= 0.0 && x < 0x1p63;
        if (!in_range || (us < 0.013 && V > us)) continue;
        po_ptrs_init_slow(c);
        if (po_ptrs_accept(po_floor(x), us, V, c)) return (int64_t)x; /* 0 <= x < 2^63: truncation is floor */
    }
}

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && \
    !defined(__clang__)
/* vector clones of the window passes (picked at run time; IEEE operations
 * only, no contraction: the same numbers on every level) */
#define PO_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PO_CLONES
#endif

#define PO_WIN 256 /* tries per window of a constant rate */
#define PO_PAD 8   /* the undecided tries are padded to a multiple of this (no vector epilogue) */
#define PO_PTAB_MAX 1024  /* P(k) table of a constant rate: at most this many entries */
#define PO_PTAB_PER 64.0  /* ... and only for at least this many draws per entry */

/* (int64_t)k for an integer-valued 0 <= k < 2^63 by bit arithmetic (no
 * double -> int64 conversion: loops over it vectorise on AVX2) */
static inline int64_t po_to_int(double k)
{
    uint64_t small = nd_dbl_to_bits(k + 0x1p52) - nd_dbl_to_bits(0x1p52); /* k < 2^52 */
    uint64_t bits = nd_dbl_to_bits(k), e = (bits >> 52) - 1075;            /* k >= 2^52 */
    uint64_t big = ((bits & UINT64_C(0x000fffffffffffff)) | UINT64_C(0x0010000000000000)) << (e & 63);
    return (int64_t)(k < 0x1p52 ? small : big);
}

/* Tries i = 0 .. nc-1 of a window, try i made of words w[2i], w[2i+1], with
 * the rule's operations (uniforms by exact bit arithmetic: the values of
 * nd_u01_oo).  flag 1: accepted at once; 2: neither accepted at
 * once nor rejected (po_ptrs_accept decides); 0: rejected.  ks: floor(x)
 * where 0 <= x < 2^63, else 0; ki: the same as an int64. */
PO_CLONES static void po_ptrs_pass(const uint64_t *restrict w, intptr_t nc, const po_ptrs *c,
                                   double *restrict ks, int64_t *restrict ki, double *restrict uss,
                                   double *restrict vs, int64_t *restrict flag)
{
    const double twoa = c->twoa, b = c->b, lamc = c->lamc, bm2 = c->bm2;
    intptr_t i;
    for (i = 0; i < nc; i++) {
        double U = ((nd_bits_to_dbl(UINT64_C(0x3ff0000000000000) | (w[2 * i] >> 12)) - 1.0) + 0x1p-53) - 0.5;
        double V = (nd_bits_to_dbl(UINT64_C(0x3ff0000000000000) | (w[2 * i + 1] >> 12)) - 1.0) + 0x1p-53;
        double us = 0.5 - (U < 0.0 ? -U : U);
        double x = (twoa / us + b) * U + lamc;
        int64_t in_range = (x >= 0.0) & (x < 0x1p63);
        int64_t fast = in_range & (us >= 0.07) & ((V - 0.9277) * bm2 <= -3.6224);
        int64_t cut = (us < 0.013) & (V > us);
        double k = po_floor(in_range ? x : 0.0);
        ks[i] = k;
        ki[i] = po_to_int(k);
        uss[i] = us;
        vs[i] = V;
        flag[i] = fast | ((in_range & (fast ^ 1) & (cut ^ 1)) << 1);
    }
}

/* the series branch over the m undecided tries gi[0 .. m-1] of a window:
 * acc[j] = its result, ok[j] = whether it is the rule's */
PO_CLONES static void po_ptrs_accept_pass(intptr_t m, const intptr_t *restrict gi, const double *restrict ks,
                                          const double *restrict uss, const double *restrict vs,
                                          const po_ptrs *c, int64_t *restrict acc, int64_t *restrict ok)
{
    intptr_t j;
    for (j = 0; j < m; j++)
        acc[j] = po_accept_with(po_pmf_series(ks[gi[j]], c, &ok[j]), uss[gi[j]], vs[gi[j]], c);
}

/* the same with P(k) from a table (entries i: k = k0 + i, i < tn, po_pmf's
 * values); ok[j] = 0 for k outside it */
PO_CLONES static void po_ptrs_accept_table(intptr_t m, const intptr_t *restrict gi, const int64_t *restrict ki,
                                           const double *restrict uss, const double *restrict vs,
                                           const po_ptrs *c, const double *restrict tab, int64_t k0, int64_t tn,
                                           int64_t *restrict acc, int64_t *restrict ok)
{
    intptr_t j;
    for (j = 0; j < m; j++) {
        int64_t off = ki[gi[j]] - k0;
        int64_t in = (off >= 0) & (off < tn);
        acc[j] = po_accept_with(tab[in ? off : 0], uss[gi[j]], vs[gi[j]], c);
        ok[j] = in;
    }
}

/* n PTRS values of one rate into out (stride os): the tries of the rule, a
 * window at a time (quick tests; the series test of the undecided tries
 * together, the others one by one; then the values in order); a try that
 * straddles two blocks goes through the scalar rule. */
static void po_ptrs_fill(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, po_ptrs *c)
{
    double ks[PO_WIN], uss[PO_WIN], vs[PO_WIN], tab[PO_PTAB_MAX];
    int64_t ki[PO_WIN], flag[PO_WIN], acc[PO_WIN + PO_PAD], ok[PO_WIN + PO_PAD];
    intptr_t gi[PO_WIN + PO_PAD];
    intptr_t j = 0;
    int64_t k0 = 0, tn = 0;
    {   /* P(k) for k within 10 standard deviations, when the draws repay building it */
        double sd = sqrt(c->lam), lo = c->lam - 10.0 * sd, hi = c->lam + 10.0 * sd + 2.0;
        if (hi - lo < PO_PTAB_MAX && (double)n >= PO_PTAB_PER * (hi - lo)) {
            int64_t i;
            k0 = lo > 0.0 ? (int64_t)lo : 0;
            tn = (int64_t)hi - k0;
            for (i = 0; i < tn; i++) tab[i] = po_pmf((double)(k0 + i), c);
        }
    }
    while (j < n) {
        intptr_t nc, i, m, mp;
        if (bits->pos == bits->end) nd_bits_refill(bits);
        nc = (bits->end - bits->pos) / 2;
        if (nc < 1) {
            EW_OUT(int64_t, out, j * os) = po_ptrs_draw(bits, c);
            j++;
            continue;
        }
        if (nc > PO_WIN) nc = PO_WIN;
        if (nc > n - j) nc = n - j; /* at most one value per try: no try is wasted */
        po_ptrs_pass(bits->pos, nc, c, ks, ki, uss, vs, flag);
        for (i = 0, m = 0; i < nc; i++) { /* the undecided tries, branch-free */
            gi[m] = i;
            m += flag[i] >> 1;
        }
        for (mp = m; mp % PO_PAD != 0; mp++) gi[mp] = 0; /* padding: results unused */
        if (tn > 0) po_ptrs_accept_table(mp, gi, ki, uss, vs, c, tab, k0, tn, acc, ok);
        else po_ptrs_accept_pass(mp, gi, ks, uss, vs, c, acc, ok);
        for (i = 0; i < m; i++) {
            intptr_t g = gi[i];
            flag[g] = ok[i] ? acc[i] : po_ptrs_accept(ks[g], uss[g], vs[g], c);
        }
        if (os == 8) {
            int64_t *o = (int64_t *)(void *)out;
            for (i = 0; i < nc; i++) { /* nc <= n - j: j stays below n */
                o[j] = ki[i];
                j += flag[i];
            }
        } else {
            for (i = 0; i < nc; i++) {
                EW_OUT(int64_t, out, j * os) = ki[i];
                j += flag[i];
            }
        }
        bits->pos += 2 * i;
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
    po_ptrs_init_quick(&c, lam);
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
        po_ptrs_fill(bits, n, out, os, &c);
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
            if (!po_special(lam, &v)) {                                                   \
                if (lam < ND_POISSON_INV_MAX) {                                           \
                    v = po_inv_scalar(nd_u01_co(nd_bits_next64(bits)), lam);             \
                } else {                                                                  \
                    if (lam != c.lam) po_ptrs_init_quick(&c, lam);                        \
                    v = po_ptrs_draw(bits, &c);                                           \
                }                                                                         \
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
