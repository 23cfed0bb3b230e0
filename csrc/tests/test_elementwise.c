/* Standalone checks of the scalar samplers (numdist/ziggurat.h) and of the
 * element-wise kernel table (numdist/elementwise.h); no Python.
 *   test_elementwise      run all checks
 *   test_elementwise -v   print the statistics too
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numdist/bitgen.h"
#include "numdist/elementwise.h"
#include "numdist/normal.h"
#include "numdist/xoshiro256.h"
#include "numdist/ziggurat.h"

#define ND_TEST_STREAM
#include "check.h"
static int verbose = 0;


static void reseed(uint64_t a)
{
    uint64_t k0 = (a + 1) * UINT64_C(0x9e3779b97f4a7c15), k1 = (a + 7) * UINT64_C(0xd1b54a32d192ed03);
    nd_xoshiro_seed(&xo, k0 ^ (k0 >> 29), k1 ^ (k1 >> 31));
    nd_bits_init_xoshiro(&bits, &xo);
}


#define NBIG 1000000
static double *A, *B; /* NBIG doubles each */

/* ---------------------------------------------------------------- scalars */

static void test_scalars(void)
{
    intptr_t n = 300000, i;
    uint64_t c1, c2;
    int bad = 0;
    reseed(1);
    random_normal_fill(&bits, ND_NORMAL_ZIGGURAT, n, A, 8, NULL, 0, NULL, 0);
    c1 = consumed();
    reseed(1);
    for (i = 0; i < n; i++) B[i] = nd_standard_normal(&bits);
    c2 = consumed();
    CHECK(memcmp(A, B, (size_t)n * 8) == 0, "nd_standard_normal differs from random_normal_fill");
    CHECK(c1 == c2, "normal words %llu vs %llu", (unsigned long long)c1, (unsigned long long)c2);
    /* interleaved with fills (a compound sampler's pattern): same stream */
    reseed(2);
    random_normal_fill(&bits, ND_NORMAL_ZIGGURAT, n, A, 8, NULL, 0, NULL, 0);
    reseed(2);
    for (i = 0; i < n;) {
        intptr_t c = (i / 7) % 5;
        if (c > n - i) c = n - i;
        if (c) { random_normal_fill(&bits, ND_NORMAL_ZIGGURAT, c, B + i, 8, NULL, 0, NULL, 0); i += c; }
        if (i < n) { B[i] = nd_standard_normal(&bits); i++; }
    }
    CHECK(memcmp(A, B, (size_t)n * 8) == 0, "normal: mixed scalar / fill differs");

    reseed(3);
    nd_exponential_fill(&bits, n, A, 0);
    c1 = consumed();
    reseed(3);
    for (i = 0; i < n; i++) B[i] = nd_standard_exponential(&bits);
    c2 = consumed();
    CHECK(memcmp(A, B, (size_t)n * 8) == 0, "nd_standard_exponential differs from the fill");
    CHECK(c1 == c2, "exponential words %llu vs %llu", (unsigned long long)c1, (unsigned long long)c2);
    if (verbose) printf("exponential: %.5f words per value\n", (double)c1 / n);
    CHECK((double)c1 / n > 1.0 && (double)c1 / n < 1.04, "words per exponential %g", (double)c1 / n);
    /* Laplace: |value| is the exponential of the same words, sign from bit 8 */
    reseed(3);
    nd_exponential_fill(&bits, n, B, 1);
    for (i = 0; i < n; i++) bad += fabs(B[i]) != A[i];
    CHECK(bad == 0, "signed fill: %d magnitudes differ", bad);
    reseed(4);
    {
        uint64_t w0 = bits.pos == bits.end ? (nd_bits_refill(&bits), *bits.pos) : *bits.pos;
        double v;
        nd_exponential_fill(&bits, 1, &v, 1);
        CHECK((signbit(v) != 0) == (int)((w0 >> 8) & 1) || v == 0, "laplace sign is not bit 8");
    }
    /* uniform helpers */
    CHECK(nd_u01_co(0) == 0.0 && nd_u01_co(~UINT64_C(0)) < 1.0, "u01_co range");
    CHECK(nd_u01_oc(0) > 0.0 && nd_u01_oc(~UINT64_C(0)) == 1.0, "u01_oc range");
    CHECK(nd_u01_oo(0) > 0.0 && nd_u01_oo(~UINT64_C(0)) < 1.0, "u01_oo range");
    CHECK(nd_u01f_co(0) == 0.0f && nd_u01f_co(~UINT64_C(0)) < 1.0f, "u01f_co range");
    CHECK(nd_u01f_oc(0) > 0.0f && nd_u01f_oc(~UINT64_C(0)) == 1.0f, "u01f_oc range");
    CHECK(nd_u01f_oo(0) > 0.0f && nd_u01f_oo(~UINT64_C(0)) < 1.0f, "u01f_oo range");
    {
        uint64_t w = UINT64_C(0x123456789abcdef0);
        CHECK(nd_u01_co(w) == (double)(w >> 11) * (1.0 / 9007199254740992.0), "u01_co rule");
    }
    /* own log1p against libm (informative accuracy check) */
    {
        double worst = 0, x = -0.999999;
        int it;
        for (it = 0; it < 6000; it++, x *= 0.9) {
            double r = nd_log1p_neg(x), e = log1p(x);
            double rel = fabs(r - e) / fabs(e);
            if (rel > worst) worst = rel;
        }
        CHECK(worst < 1e-15, "nd_log1p_neg rel err %g", worst);
    }
}

/* ------------------------------------------------- exponential SIMD levels */

/* exponential.c's run-time cap on its SIMD level (0 scalar, 2 AVX2, 3 AVX-512);
 * not part of the public API. */
extern int nd_exponential_level_cap;

/* Every level gives the numbers of n scalar calls, in pieces of many sizes (so
 * windows start at many buffer offsets, and pieces >= 65536 take the
 * non-temporal path at several output alignments when bits.stream_out allows
 * it), plain and signed, with plain and with streaming stores. */
static void test_exp_levels(void)
{
    static const intptr_t pieces[] = {1, 2, 3, 7, 15, 16, 17, 31, 64, 255, 256, 257, 1000, 2047,
                                      2048, 4099, 65536, 70001, 5, 131072};
    const intptr_t nl = 400000;
    double *ref = B, *got = A + 1, *sref; /* got: 8- but not 64-byte aligned */
    intptr_t i;
    int cap, sg, st;
    reseed(21);
    for (i = 0; i < nl; i++) ref[i] = nd_standard_exponential(&bits);
    sref = malloc(sizeof(double) * (size_t)nl);
    if (!sref) return;
    nd_exponential_level_cap = 0;
    reseed(21);
    nd_exponential_fill(&bits, nl, sref, 1);
    for (st = 0; st < 2; st++)
    for (sg = 0; sg < 2; sg++) {
        for (cap = 3; cap >= 0; cap--) {
            intptr_t done = 0, k = 0;
            long bad = 0;
            nd_exponential_level_cap = cap;
            reseed(21);
            bits.stream_out = st; /* after reseed: nd_bits_init_* clears it */
            while (done < nl) {
                intptr_t c = pieces[k++ % (sizeof pieces / sizeof pieces[0])];
                if (c > nl - done) c = nl - done;
                nd_exponential_fill(&bits, c, got + done, sg);
                done += c;
            }
            for (i = 0; i < nl; i++) bad += fabs(got[i]) != ref[i] || (!sg && signbit(got[i]));
            CHECK(bad == 0, "exponential level cap %d (runs at %d), signed %d, stream_out %d: %ld values differ",
                  cap, nd_exponential_simd_level(), sg, st, bad);
            /* Laplace signs: bit 8 of each element's first word (the scalar
             * level, checked in test_scalars, is the reference) */
            if (sg) {
                bad = 0;
                for (i = 0; i < nl; i++) bad += memcmp(&sref[i], &got[i], 8) != 0;
                CHECK(bad == 0, "laplace fill, level cap %d: %ld values differ from the scalar level", cap, bad);
            }
        }
    }
    free(sref);
    nd_exponential_level_cap = 3;
    if (verbose) printf("exponential SIMD level %d\n", nd_exponential_simd_level());
}

/* ---------------------------------------------------------------- table */

typedef struct {
    const char *name;
    double p0, p1; /* explicit parameters for the statistics */
    double mean, var; /* expected; var < 0: not checked */
} stat_case;

static size_t out_size(const nd_ew_kernel *k, int f32) { return k->out_int64 ? 8 : (f32 ? 4 : 8); }

/* draw n with parameters given as arrays (or NULL) of the kernel's float type */
static void draw(const nd_ew_kernel *k, int f32, intptr_t n, void *out, intptr_t os,
                 const void *p0, intptr_t s0, const void *p1, intptr_t s1)
{
    (f32 ? k->f32 : k->f64)(&bits, n, (char *)out, os, (const char *)p0, s0, (const char *)p1, s1);
}

static double val(const nd_ew_kernel *k, int f32, const void *buf, intptr_t i)
{
    if (k->out_int64) return (double)((const int64_t *)buf)[i];
    return f32 ? (double)((const float *)buf)[i] : ((const double *)buf)[i];
}

static void moments(const nd_ew_kernel *k, int f32, const stat_case *c)
{
    intptr_t n = NBIG, i;
    double s = 0, s2 = 0, mean, var, se;
    float pf[2] = {(float)c->p0, (float)c->p1};
    double pd[2] = {c->p0, c->p1};
    reseed(100 + f32);
    draw(k, f32, n, A, (intptr_t)out_size(k, f32), f32 ? (void *)&pf[0] : (void *)&pd[0], 0,
         k->nparams > 1 ? (f32 ? (void *)&pf[1] : (void *)&pd[1]) : NULL, 0);
    for (i = 0; i < n; i++) {
        double v = val(k, f32, A, i);
        s += v;
        s2 += v * v;
    }
    mean = s / n;
    var = s2 / n - mean * mean;
    se = sqrt(c->var / n);
    if (verbose) printf("%-20s %s mean %.5f (%.5f) var %.5f (%.5f)\n", k->name, f32 ? "f32" : "f64",
                        mean, c->mean, var, c->var);
    CHECK(fabs(mean - c->mean) < 5 * se + 1e-6, "%s %s mean %g expected %g", k->name,
          f32 ? "f32" : "f64", mean, c->mean);
    /* the variance estimate: a loose 3% band (heavy tails: laplace, gumbel) */
    CHECK(fabs(var - c->var) < 0.03 * c->var, "%s %s var %g expected %g", k->name,
          f32 ? "f32" : "f64", var, c->var);
}

/* Cauchy: quartiles at loc +- scale: the fraction in between is 1/2. */
static void cauchy_check(const nd_ew_kernel *k, int f32)
{
    intptr_t n = NBIG, i, in = 0, below = 0;
    float pf[2] = {1.5f, 2.0f};
    double pd[2] = {1.5, 2.0};
    reseed(200 + f32);
    draw(k, f32, n, A, f32 ? 4 : 8, f32 ? (void *)&pf[0] : (void *)&pd[0], 0,
         f32 ? (void *)&pf[1] : (void *)&pd[1], 0);
    for (i = 0; i < n; i++) {
        double v = val(k, f32, A, i);
        in += v > -0.5 && v < 3.5;
        below += v < 1.5;
    }
    CHECK(fabs((double)in / n - 0.5) < 0.003, "cauchy inter-quartile fraction %g", (double)in / n);
    CHECK(fabs((double)below / n - 0.5) < 0.003, "cauchy median fraction %g", (double)below / n);
}

/* Exponential goodness of fit: P(E > t) = exp(-t), including the tail (> r). */
static void exp_gof(void)
{
    static const double ts[] = {0.01, 0.1, 0.5, 1, 2, 4, 7, 7.6971174701310501, 9, 12};
    intptr_t n = NBIG, i;
    int j, rep;
    for (j = 0; j < (int)(sizeof ts / sizeof ts[0]); j++) {
        double cnt = 0, p = exp(-ts[j]), tot;
        reseed(300);
        for (rep = 0; rep < (ts[j] > 6 ? 20 : 1); rep++) {
            nd_exponential_fill(&bits, n, A, 0);
            for (i = 0; i < n; i++) cnt += A[i] > ts[j];
        }
        tot = (double)n * rep;
        CHECK(fabs(cnt / tot - p) < 5 * sqrt(p * (1 - p) / tot) + 1e-9,
              "exponential P(E > %g) = %g expected %g", ts[j], cnt / tot, p);
    }
    /* chi-square over 100 equiprobable bins */
    {
        static long h[100];
        double chi = 0;
        memset(h, 0, sizeof h);
        reseed(301);
        nd_exponential_fill(&bits, n, A, 0);
        for (i = 0; i < n; i++) {
            int b = (int)(100.0 * (1.0 - exp(-A[i])));
            if (b > 99) b = 99;
            h[b]++;
        }
        for (j = 0; j < 100; j++) chi += (h[j] - n / 100.0) * (h[j] - n / 100.0) / (n / 100.0);
        if (verbose) printf("exponential chi2(99) = %.1f\n", chi);
        CHECK(chi < 160, "exponential chi2 %g over 99 dof", chi);
    }
}

/* strides, prefix, NULL defaults, n = 0, bad parameters */
static void structural(const nd_ew_kernel *k, int f32)
{
    enum { N = 3000 };
    static unsigned char ref[N * 8], got[4 * N * 8 + 64], pbuf[2][N * 8];
    static unsigned char big[8 * 4 * N];
    size_t es = out_size(k, f32), ps = f32 ? 4 : 8;
    intptr_t i, m;
    const char *nm = k->name, *ty = f32 ? "f32" : "f64";
    uint64_t c0;
    void *p0 = pbuf[0], *p1 = k->nparams > 1 ? (void *)pbuf[1] : NULL;
    /* parameters: a varying valid array */
    for (i = 0; i < N; i++) {
        double a, b;
        if (!strcmp(nm, "bernoulli") || !strncmp(nm, "geometric", 9)) a = 0.05 + 0.9 * (i % 97) / 97.0, b = 0;
        else if (!strcmp(nm, "uniform")) a = -1.0 + (i % 13), b = a + 0.5 + (i % 7);
        else if (!strcmp(nm, "exponential")) a = 0.5 + (i % 11), b = 0;
        else a = -2.0 + (i % 9), b = 0.25 + (i % 5);
        if (f32) { ((float *)pbuf[0])[i] = (float)a; ((float *)pbuf[1])[i] = (float)b; }
        else { ((double *)pbuf[0])[i] = a; ((double *)pbuf[1])[i] = b; }
    }
    reseed(7);
    draw(k, f32, N, ref, (intptr_t)es, p0, (intptr_t)ps, p1, (intptr_t)ps);
    c0 = consumed();
    /* n = 0 and n < 0 draw nothing and write nothing */
    memset(got, 0xab, 64);
    reseed(7);
    draw(k, f32, 0, got, (intptr_t)es, p0, (intptr_t)ps, p1, (intptr_t)ps);
    draw(k, f32, -5, got, (intptr_t)es, p0, (intptr_t)ps, p1, (intptr_t)ps);
    CHECK(consumed() == 0 && got[0] == 0xab && got[63] == 0xab, "%s %s: n <= 0 drew or wrote", nm, ty);
    /* the bulk gamma kernels draw a call as one run of blocks (csrc/gamma.c):
     * their prefixes and pieces are checked in test_gamma.c against that
     * rule instead */
    if (!strcmp(nm, "standard_gamma") || !strcmp(nm, "log_standard_gamma") || !strcmp(nm, "chisquare"))
        goto no_pieces;
    /* prefix: first m of N */
    for (m = 1; m < N; m = m * 3 + 1) {
        reseed(7);
        draw(k, f32, m, got, (intptr_t)es, p0, (intptr_t)ps, p1, (intptr_t)ps);
        CHECK(memcmp(got, ref, (size_t)m * es) == 0, "%s %s: prefix %ld differs", nm, ty, (long)m);
    }
    /* pieces: the same numbers in calls of 1, 2, 5, ... (not for the normal
     * rules that pair values: float32 ziggurat words, Box-Muller pairs) */
    reseed(7);
    if (!strcmp(nm, "normal_box_muller") || (!strcmp(nm, "normal") && f32)) goto no_pieces;
    for (i = 0, m = 1; i < N; m = m % 37 + 2) {
        intptr_t c = m < N - i ? m : N - i;
        draw(k, f32, c, got + i * es, (intptr_t)es, (char *)p0 + i * ps, (intptr_t)ps,
             p1 ? (char *)p1 + i * ps : NULL, (intptr_t)ps);
        i += c;
    }
    CHECK(memcmp(got, ref, N * es) == 0, "%s %s: pieces differ", nm, ty);
    CHECK(consumed() == c0, "%s %s: pieces used other words", nm, ty);
no_pieces:
    /* output stride 3 and -1 (written from the end), parameters strided -2 */
    {
        unsigned char *pb0 = big, *pb1 = big + 8 * N; /* reversed params, stride -2 elems */
        unsigned char *pe0, *pe1;
        for (i = 0; i < N; i++) {
            memcpy(pb0 + (2 * (N - 1 - i)) * ps / 2 * 1, (char *)p0 + i * ps, 0); /* placeholder */
        }
        (void)pe0; (void)pe1;
        reseed(7);
        draw(k, f32, N, got, 3 * (intptr_t)es, p0, (intptr_t)ps, p1, (intptr_t)ps);
        for (i = 0; i < N; i++) CHECK(memcmp(got + 3 * i * es, ref + i * es, es) == 0 || (i = N, 0),
                                      "%s %s: stride 3 differs", nm, ty);
        reseed(7);
        draw(k, f32, N, got + (N - 1) * es, -(intptr_t)es, p0, (intptr_t)ps, p1, (intptr_t)ps);
        for (i = 0; i < N; i++) CHECK(memcmp(got + (N - 1 - i) * es, ref + i * es, es) == 0 || (i = N, 0),
                                      "%s %s: stride -1 differs", nm, ty);
        /* parameters read backwards with stride -2 elements */
        {
            unsigned char *q0 = big, *q1 = big + 2 * N * 8; /* 2N elements each */
            for (i = 0; i < N; i++) {
                memcpy(q0 + (2 * (N - 1 - i)) * ps, (char *)p0 + i * ps, ps);
                if (p1) memcpy(q1 + (2 * (N - 1 - i)) * ps, (char *)p1 + i * ps, ps);
            }
            reseed(7);
            draw(k, f32, N, got, (intptr_t)es, q0 + 2 * (N - 1) * ps, -2 * (intptr_t)ps,
                 p1 ? q1 + 2 * (N - 1) * ps : NULL, -2 * (intptr_t)ps);
            CHECK(memcmp(got, ref, N * es) == 0, "%s %s: parameter stride -2 differs", nm, ty);
        }
        (void)pb0; (void)pb1;
    }
    /* output stride 0: every element goes to one place, the last one stays */
    reseed(7);
    draw(k, f32, N, got, 0, p0, (intptr_t)ps, p1, (intptr_t)ps);
    CHECK(memcmp(got, ref + (N - 1) * es, es) == 0, "%s %s: output stride 0", nm, ty);
    CHECK(consumed() == c0, "%s %s: output stride 0 used other words", nm, ty);
    /* broadcast parameter (stride 0) equals the repeated array; NULL equals the default */
    {
        int gam = !strcmp(nm, "standard_gamma") || !strcmp(nm, "log_standard_gamma") ||
                  !strcmp(nm, "chisquare") || !strcmp(nm, "standard_t") || !strcmp(nm, "beta") ||
                  !strcmp(nm, "weibull");
        int counts = !strcmp(nm, "poisson") || !strcmp(nm, "negative_binomial_odds");
        double d0 = k->nparams && (!strcmp(nm, "bernoulli") || !strncmp(nm, "geometric", 9)) ? 0.5
                    : (!strcmp(nm, "exponential") || gam || counts ? 1.0 : 0.0);
        double d1 = !strcmp(nm, "binomial") ? 0.5 : 1.0;
        unsigned char rep[2][N * 8], r1[N * 8];
        if (!strcmp(nm, "binomial")) d0 = 1.0; /* total_count 1, probs 0.5 */
        if (!strcmp(nm, "truncated_normal")) d0 = -INFINITY, d1 = INFINITY; /* untruncated */
        for (i = 0; i < N; i++) {
            if (f32) { ((float *)rep[0])[i] = (float)d0; ((float *)rep[1])[i] = (float)d1; }
            else { ((double *)rep[0])[i] = d0; ((double *)rep[1])[i] = d1; }
        }
        reseed(8);
        draw(k, f32, N, r1, (intptr_t)es, rep[0], (intptr_t)ps, rep[1], (intptr_t)ps);
        reseed(8);
        draw(k, f32, N, got, (intptr_t)es, rep[0], 0, rep[1], 0);
        CHECK(memcmp(got, r1, N * es) == 0, "%s %s: stride-0 parameters differ", nm, ty);
        reseed(8);
        draw(k, f32, N, got, (intptr_t)es, NULL, 0, NULL, 0);
        CHECK(memcmp(got, r1, N * es) == 0, "%s %s: NULL parameters differ from defaults", nm, ty);
        /* in place: out is the parameter array (contiguous f64) */
        if (!k->out_int64) {
            memcpy(got, pbuf[0], N * ps);
            reseed(7);
            draw(k, f32, N, got, (intptr_t)es, got, (intptr_t)ps, p1, (intptr_t)ps);
            CHECK(memcmp(got, ref, N * es) == 0, "%s %s: out aliasing p0 differs", nm, ty);
        }
    }
    /* bad parameters: never crash; documented values */
    {
        static const double badv[] = {NAN, INFINITY, -INFINITY, -1.0, 0.0, 1.0, 2.0, 1e308, -1e308,
                                      5e-324, 1e-300, 0.5};
        enum { NB = sizeof badv / sizeof badv[0] };
        unsigned char q0[NB * NB * 8], q1[NB * NB * 8], o[NB * NB * 8];
        int a, b;
        for (a = 0; a < NB; a++)
            for (b = 0; b < NB; b++) {
                if (f32) { ((float *)q0)[a * NB + b] = (float)badv[a]; ((float *)q1)[a * NB + b] = (float)badv[b]; }
                else { ((double *)q0)[a * NB + b] = badv[a]; ((double *)q1)[a * NB + b] = badv[b]; }
            }
        reseed(9);
        draw(k, f32, NB * NB, o, (intptr_t)es, q0, (intptr_t)ps, q1, (intptr_t)ps);
        for (a = 0; a < NB; a++) {
            double p = badv[a];
            if (f32) p = (float)p;
            if (k->out_int64 && (!strcmp(nm, "poisson") || !strcmp(nm, "negative_binomial_odds"))) {
                /* counts of a rate (numdist/poisson.h): NaN or negative -> -1, a zero
                 * parameter -> 0, too large or inf -> INT64_MAX */
                int nb = !strcmp(nm, "negative_binomial_odds");
                for (b = 0; b < (nb ? NB : 1); b++) {
                    int64_t v = ((int64_t *)o)[a * NB + b];
                    double r = nb ? (f32 ? (float)badv[b] : badv[b]) : 1.0;
                    if (p != p || p < 0 || r != r || r < 0) CHECK(v == -1, "%s %s (%g, %g) gives %lld", nm, ty, p, r, (long long)v);
                    else if (p == 0 || r == 0) CHECK(v == 0, "%s %s (%g, %g) gives %lld", nm, ty, p, r, (long long)v);
                    else if (p == INFINITY || r == INFINITY || (!nb && p > 1e19))
                        CHECK(v == INT64_MAX, "%s %s (%g, %g) gives %lld", nm, ty, p, r, (long long)v);
                    else CHECK(v >= 0, "%s %s (%g, %g) gives %lld", nm, ty, p, r, (long long)v);
                }
            } else if (!strcmp(nm, "binomial")) { /* p0 total_count = badv[a], p1 probs = badv[b] */
                for (b = 0; b < NB; b++) {
                    double cnt = p, pr = f32 ? (float)badv[b] : badv[b];
                    int64_t v = ((int64_t *)o)[a * NB + b];
                    int bad_n = !(cnt >= 0 && cnt <= 0x1p62) || cnt != floor(cnt);
                    if (bad_n || !(pr >= 0 && pr <= 1)) CHECK(v == -1, "binomial(%g, %g) gives %lld", cnt, pr, (long long)v);
                    else if (cnt == 0 || pr == 0) CHECK(v == 0, "binomial(%g, %g) gives %lld", cnt, pr, (long long)v);
                    else if (pr == 1) CHECK(v == (int64_t)cnt, "binomial(%g, %g) gives %lld", cnt, pr, (long long)v);
                    else CHECK(v >= 0 && (double)v <= cnt, "binomial(%g, %g) gives %lld", cnt, pr, (long long)v);
                }
            } else if (k->out_int64) {
                int64_t v = ((int64_t *)o)[a * NB];
                int trials = !strcmp(nm, "geometric");
                if (p != p || p < 0 || p > 1) CHECK(v == -1, "%s %s p=%g gives %lld", nm, ty, p, (long long)v);
                else if (p == 1) CHECK(v == trials, "%s %s p=1 gives %lld", nm, ty, (long long)v);
                else if (p == 0) CHECK(v == INT64_MAX, "%s %s p=0 gives %lld", nm, ty, (long long)v);
                else CHECK(v >= trials, "%s %s p=%g gives %lld", nm, ty, p, (long long)v);
            } else if (!strcmp(nm, "bernoulli")) {
                double v = val(k, f32, o, a * NB);
                if (p != p) CHECK(v != v, "bernoulli NaN p gives %g", v);
                else if (p <= 0) CHECK(v == 0, "bernoulli p=%g gives %g", p, v);
                else if (p >= 1) CHECK(v == 1, "bernoulli p=%g gives %g", p, v);
            } else if (!strcmp(nm, "uniform")) {
                for (b = 0; b < NB; b++) {
                    double v = val(k, f32, o, a * NB + b), lo = p, hi = f32 ? (float)badv[b] : badv[b];
                    if (hi > lo && isfinite(hi - lo) && isfinite(lo))
                        CHECK(v >= lo && v < hi, "uniform(%g, %g) gives %g", lo, hi, v);
                }
            }
        }
    }
}

static void uniform_edges(void)
{
    const nd_ew_kernel *k = nd_ew_find("uniform");
    intptr_t i, n = 200000;
    double lo = 1e16, hi = 1e16 + 4.0; /* ulp 2: rounding reaches hi often */
    float lof = 1.0f, hif = 1.0f + 2.0f * 0x1p-23f;
    int bad = 0, athi = 0;
    reseed(11);
    k->f64(&bits, n, (char *)A, 8, (const char *)&lo, 0, (const char *)&hi, 0);
    for (i = 0; i < n; i++) { bad += !(A[i] >= lo && A[i] < hi); athi += A[i] == 1e16 + 2.0; }
    CHECK(bad == 0 && athi > 0, "uniform f64 near-equal bounds: %d outside", bad);
    reseed(12);
    k->f32(&bits, n, (char *)B, 4, (const char *)&lof, 0, (const char *)&hif, 0);
    for (i = 0, bad = 0; i < n; i++) {
        float v = ((float *)B)[i];
        bad += !(v >= lof && v < hif);
    }
    CHECK(bad == 0, "uniform f32 near-equal bounds: %d outside", bad);
    {   /* high = 0 and negative high */
        double l2 = -1e-300, h2 = 0.0, l3 = -3.0, h3 = -2.0;
        reseed(13);
        k->f64(&bits, n, (char *)A, 8, (const char *)&l2, 0, (const char *)&h2, 0);
        for (i = 0, bad = 0; i < n; i++) bad += !(A[i] >= l2 && A[i] < h2);
        CHECK(bad == 0, "uniform(-1e-300, 0): %d outside", bad);
        k->f64(&bits, n, (char *)A, 8, (const char *)&l3, 0, (const char *)&h3, 0);
        for (i = 0, bad = 0; i < n; i++) bad += !(A[i] >= l3 && A[i] < h3);
        CHECK(bad == 0, "uniform(-3, -2): %d outside", bad);
    }
}

int main(int argc, char **argv)
{
    static const stat_case cases[] = {
        {"normal", 1.0, 2.0, 1.0, 4.0},
        {"normal_box_muller", -1.0, 0.5, -1.0, 0.25},
        {"uniform", 2.0, 5.0, 3.5, 0.75},
        {"exponential", 2.0, 0, 2.0, 4.0},
        {"laplace", 1.0, 2.0, 1.0, 8.0},
        {"gumbel", 1.0, 2.0, 1.0 + 2.0 * 0.57721566490153286, 4.0 * 1.6449340668482264},
        {"bernoulli", 0.3, 0, 0.3, 0.21},
        {"geometric", 0.3, 0, 1.0 / 0.3, 0.7 / 0.09},
        {"geometric_failures", 0.3, 0, 0.7 / 0.3, 0.7 / 0.09},
        {"lognormal", 0.5, 0.6, 1.9738777322304475, 1.6883351624808391},   /* exp(m + s^2/2), expm1(s^2) exp(2m + s^2) */
        {"weibull", 2.0, 0, 0.88622692545275801, 0.21460183660255170},  /* G(1.5), G(2) - G(1.5)^2 */
        {"binomial", 200.0, 0.3, 60.0, 42.0},
    };
    int i, f32;
    if (argc > 1 && !strcmp(argv[1], "-v")) verbose = 1;
    A = malloc(sizeof(double) * NBIG);
    B = malloc(sizeof(double) * NBIG);
    if (!A || !B) return 2;

    CHECK(nd_ew_count() == 21, "table has %d entries", nd_ew_count());
    CHECK(nd_ew_find("nope") == NULL && nd_ew_find(NULL) == NULL, "unknown name found");
    for (i = 0; i < nd_ew_count(); i++) {
        const nd_ew_kernel *k = &nd_ew_table()[i];
        CHECK(nd_ew_find(k->name) == k, "find %s", k->name);
        CHECK(k->f64 && k->f32 && k->words_per_element >= 1.0, "entry %s", k->name);
    }

    test_scalars();
    test_exp_levels();
    exp_gof();
    uniform_edges();
    for (f32 = 0; f32 < 2; f32++) {
        for (i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
            const nd_ew_kernel *k = nd_ew_find(cases[i].name);
            CHECK(k != NULL, "missing %s", cases[i].name);
            if (k) moments(k, f32, &cases[i]);
        }
        cauchy_check(nd_ew_find("cauchy"), f32);
        for (i = 0; i < nd_ew_count(); i++) structural(&nd_ew_table()[i], f32);
    }
    free(A);
    free(B);
    if (fails) {
        printf("test_elementwise: %d failures\n", fails);
        return 1;
    }
    printf("test_elementwise: ok\n");
    return 0;
}
