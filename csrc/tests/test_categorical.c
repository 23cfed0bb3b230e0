/* Standalone checks of the categorical kernels (no Python). Exit status 0 iff
 * every check passes. Build:
 *   gcc -O3 -std=c99 -Wall -Wextra -Icsrc/include csrc/bits.c csrc/xoshiro256.c \
 *       csrc/categorical.c csrc/tests/test_categorical.c -lm -o test_categorical
 * (also passes with -DND_NO_INT128, the portable 64x64 multiply). */
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numdist/bitgen.h"
#include "numdist/categorical.h"
#include "numdist/xoshiro256.h"

static int fails = 0, checks = 0;

#define CHECK(cond, ...)                                          \
    do {                                                          \
        checks++;                                                 \
        if (!(cond)) {                                            \
            fails++;                                              \
            printf("FAIL %s:%d: ", __func__, __LINE__);           \
            printf(__VA_ARGS__);                                  \
            printf("\n");                                         \
        }                                                         \
    } while (0)

/* ------------------------------------------------------------------------ */
/* helpers                                                                   */

static nd_xoshiro_t xo_main;
static nd_bits_t bits_main; /* weights etc. */

static void seed_bits(nd_bits_t *b, nd_xoshiro_t *xo, uint64_t seed)
{
    nd_xoshiro_seed(xo, seed, 0x9e3779b97f4a7c15ULL ^ seed);
    nd_bits_init_xoshiro(b, xo);
}

static double urand(void) { return nd_bits_next_double(&bits_main); }

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) { printf("out of memory\n"); exit(2); }
    return p;
}

/* Wilson-Hilferty quantile of chi2(df) at standard normal z. */
static double chi2_quantile(double df, double z)
{
    double a = 2.0 / (9.0 * df), c = 1.0 - a + z * sqrt(a);
    return c <= 0.0 ? 0.0 : df * c * c * c;
}

/* Chi-square goodness of fit of counts against weights w (contiguous).
 * Zero-weight categories must have count 0. Consecutive cells are pooled
 * until each pool expects >= 20. Passes if the statistic is within z = 5.5
 * of its distribution on either side (p ~ 4e-8 per tail): deterministic
 * seeds make this a fixed check that a wrong distribution fails. */
static int chisq_pass(const int64_t *counts, const double *w, intptr_t K, double n,
                      double *stat_out, double *df_out)
{
    long double tot = 0.0L;
    double stat = 0.0, e = 0.0, o = 0.0, df;
    intptr_t j, groups = 0;
    int ok = 1;
    for (j = 0; j < K; j++) tot += w[j];
    for (j = 0; j < K; j++) {
        if (w[j] == 0.0) {
            if (counts[j] != 0) ok = 0;
            continue;
        }
        e += (double)(n * (w[j] / tot));
        o += (double)counts[j];
        if (e >= 20.0) {
            stat += (o - e) * (o - e) / e;
            groups++;
            e = o = 0.0;
        }
    }
    if (e > 0.0) { /* tail pool: add as its own cell (expected < 20 but > 0) */
        stat += (o - e) * (o - e) / e;
        groups++;
    }
    df = groups > 1 ? (double)(groups - 1) : 1.0;
    if (stat_out) *stat_out = stat;
    if (df_out) *df_out = df;
    if (!ok) return 0;
    if (groups <= 1) return 1;
    return stat <= chi2_quantile(df, 5.5) && stat >= chi2_quantile(df, -5.5);
}

static void count(const int64_t *x, intptr_t n, intptr_t K, int64_t *counts, int *out_of_range)
{
    intptr_t i;
    memset(counts, 0, K * sizeof *counts);
    *out_of_range = 0;
    for (i = 0; i < n; i++) {
        if (x[i] < 0 || x[i] >= K) (*out_of_range)++;
        else counts[x[i]]++;
    }
}

/* Build one table for a contiguous row; returns status. */
static int build1(intptr_t K, const double *w, nd_alias_entry *tab)
{
    void *work = xmalloc(nd_alias_work_bytes(K));
    intptr_t bad = -99;
    int st = nd_alias_build_batch(1, K, w, 0, sizeof(double), tab, work, &bad);
    free(work);
    return st;
}

/* ------------------------------------------------------------------------ */
/* tests                                                                     */

static void test_umul(void)
{
    static const uint64_t edge[] = {0, 1, 2, 3, 0xffffffffu, 0x100000000ULL, 0x7fffffffffffffffULL,
                                    0x8000000000000000ULL, 0xfffffffffffffffeULL, UINT64_MAX};
    size_t a, b;
    int i, bad = 0;
    for (a = 0; a < sizeof edge / sizeof *edge; a++)
        for (b = 0; b < sizeof edge / sizeof *edge; b++) {
            uint64_t l1, l2, h1 = nd_umul128(edge[a], edge[b], &l1);
            uint64_t h2 = nd_umul128_portable(edge[a], edge[b], &l2);
            bad += h1 != h2 || l1 != l2;
        }
    for (i = 0; i < 100000; i++) {
        uint64_t x = nd_bits_next64(&bits_main), y = nd_bits_next64(&bits_main) >> (i % 64);
        uint64_t l1, l2, h1 = nd_umul128(x, y, &l1), h2 = nd_umul128_portable(x, y, &l2);
        bad += h1 != h2 || l1 != l2;
    }
    /* a known value: (2^64-1)^2 = 2^128 - 2^65 + 1 */
    {
        uint64_t lo, hi = nd_umul128_portable(UINT64_MAX, UINT64_MAX, &lo);
        bad += hi != 0xfffffffffffffffeULL || lo != 1;
    }
    CHECK(bad == 0, "portable 64x64 multiply disagrees %d times", bad);
}

/* Exact probabilities a table gives, from its integer thresholds. */
static void implied_probs(const nd_alias_entry *tab, intptr_t K, long double *P,
                          int *zero_mass /* per column: no mass at all (exact) */)
{
    const long double two64 = 18446744073709551616.0L;
    intptr_t c;
    for (c = 0; c < K; c++) { P[c] = 0.0L; zero_mass[c] = 1; }
    for (c = 0; c < K; c++) {
        uint64_t t = tab[c].thresh;
        if (t == UINT64_MAX) { /* full: j always (alias is j itself) */
            P[c] += two64;
            zero_mass[c] = 0;
            continue;
        }
        if (t > 0) { P[c] += (long double)t; zero_mass[c] = 0; }
        if (tab[c].alias >= 0 && tab[c].alias < K) {
            P[tab[c].alias] += two64 - (long double)t;
            zero_mass[tab[c].alias] = 0;
        }
    }
    for (c = 0; c < K; c++) P[c] /= two64 * (long double)K;
}

/* Structure + exact-probability check of a table against weights w. */
static void check_table(const char *name, intptr_t K, const double *w)
{
    nd_alias_entry *tab = xmalloc(K * sizeof *tab);
    long double *P = xmalloc(K * sizeof *P), tot = 0.0L;
    int *zm = xmalloc(K * sizeof *zm);
    intptr_t j, jmax = 0, bad_alias = 0, bad_full = 0, bad_zero = 0, bad_prob = 0, worst = -1;
    long double worst_err = 0.0L;
    int st = build1(K, w, tab);
    CHECK(st == ND_OK, "%s: build returned %d", name, st);
    if (st != ND_OK) goto done;
    for (j = 0; j < K; j++) {
        tot += w[j];
        if (w[j] > w[jmax]) jmax = j;
    }
    for (j = 0; j < K; j++) {
        int64_t a = tab[j].alias;
        if (a < 0 || a >= K) { bad_alias++; continue; }
        if (tab[j].thresh == UINT64_MAX && a != j) bad_full++;
        /* any column that can fall through to its alias must alias a positive weight */
        if (tab[j].thresh != UINT64_MAX && !(w[a] > 0.0)) bad_zero++;
        if (w[j] == 0.0 && tab[j].thresh != 0) bad_zero++;
    }
    CHECK(bad_alias == 0, "%s: %ld aliases out of range", name, (long)bad_alias);
    CHECK(bad_full == 0, "%s: %ld full columns not aliased to themselves", name, (long)bad_full);
    CHECK(bad_zero == 0, "%s: %ld zero-weight columns reachable", name, (long)bad_zero);
    if (bad_alias) goto done;
    implied_probs(tab, K, P, zm);
    for (j = 0; j < K; j++) {
        long double p = w[j] / tot;
        long double err = fabsl(P[j] - p);
        long double tol = 4.0L / 9223372036854775808.0L + 1e-11L * p + (j == jmax ? 1e-12L : 0.0L);
        if (w[j] == 0.0 && !zm[j]) bad_prob++;
        if (err > tol) {
            bad_prob++;
            if (err / (p + 1e-300L) > worst_err) { worst_err = err / (p + 1e-300L); worst = j; }
        }
    }
    CHECK(bad_prob == 0, "%s: %ld implied probabilities off (worst col %ld, rel err %Lg)", name,
          (long)bad_prob, (long)worst, worst_err);
done:
    free(tab); free(P); free(zm);
}

static void test_table_exact(void)
{
    intptr_t K, j;
    double *w = xmalloc(100000 * sizeof *w);
    /* random with ~30% zeros, K = 1000 */
    K = 1000;
    for (j = 0; j < K; j++) w[j] = urand() < 0.3 ? 0.0 : urand();
    w[0] = 0.0; w[K - 1] = 0.0;
    check_table("random K=1000 with zeros", K, w);
    /* K = 100000 */
    K = 100000;
    for (j = 0; j < K; j++) w[j] = urand() < 0.1 ? 0.0 : urand() * urand();
    check_table("random K=100000", K, w);
    /* skewed: one category at 1 - 1e-9 */
    K = 10;
    w[0] = 1.0 - 1e-9;
    for (j = 1; j < 4; j++) w[j] = 1e-9 / 3;
    for (j = 4; j < K; j++) w[j] = 0.0;
    check_table("skewed 1-1e-9", K, w);
    /* skewed, heavy one in the middle and last */
    K = 1000;
    for (j = 0; j < K; j++) w[j] = (j % 7 == 0) ? 0.0 : 1e-12;
    w[500] = 1.0;
    check_table("one heavy among 1e-12s", K, w);
    /* huge dynamic range 2^0 .. 2^-990 */
    K = 100;
    for (j = 0; j < K; j++) w[j] = ldexp(1.0, -(int)(10 * j));
    check_table("range 2^0..2^-990", K, w);
    /* sum overflows (finite weights) */
    K = 10;
    for (j = 0; j < K; j++) w[j] = 1.7e308 * (j % 3 ? 1.0 : 0.5);
    w[4] = 0.0;
    check_table("sum overflows", K, w);
    /* subnormal weights */
    K = 4;
    w[0] = 5e-324; w[1] = 1e-320; w[2] = 0.0; w[3] = 3e-320;
    check_table("subnormals", K, w);
    /* uniform, K power of two: every column exactly full */
    K = 1024;
    for (j = 0; j < K; j++) w[j] = 0.1;
    check_table("uniform K=1024", K, w);
    /* nearly uniform: residue lands on near-M columns */
    K = 1000;
    for (j = 0; j < K; j++) w[j] = 1.0 + 1e-15 * (double)(j % 5);
    check_table("nearly uniform K=1000", K, w);
    /* single positive entry, at the ends and middle */
    K = 1000;
    for (j = 0; j < K; j++) w[j] = 0.0;
    w[999] = 2.5;
    check_table("single positive last", K, w);
    w[999] = 0.0; w[0] = 1e-200;
    check_table("single positive first (tiny)", K, w);
    /* small K */
    w[0] = 3.0;
    check_table("K=1", 1, w);
    w[0] = 1.0; w[1] = 3.0;
    check_table("K=2", 2, w);
    w[0] = 0.0; w[1] = 1.0; w[2] = 0.0;
    check_table("K=3 middle only", 3, w);
    w[0] = -0.0; w[1] = 1.0; w[2] = 2.0;
    check_table("negative zero", 3, w);
    /* fuzz: random K and mixtures of zeros, equal values, and exponents over
     * the whole double range (one exponent band per row, plus outliers) */
    {
        int t;
        for (t = 0; t < 400; t++) {
            int band = (int)(urand() * 2000.0) - 1000, mode = t % 4;
            char name[64];
            K = 1 + (intptr_t)(urand() * (t % 3 == 0 ? 3000.0 : 40.0));
            for (j = 0; j < K; j++) {
                double r = urand();
                if (r < 0.3) w[j] = 0.0;
                else if (mode == 0) w[j] = 1.0;
                else if (mode == 1) w[j] = ldexp(0.5 + urand(), band);
                else if (mode == 2) w[j] = ldexp(urand(), band - (int)(urand() * 60.0));
                else w[j] = ldexp(0.5 + urand(), (int)(urand() * 2090.0) - 1070);
            }
            w[(intptr_t)(urand() * (double)K)] = ldexp(1.0, band); /* at least one positive */
            sprintf(name, "fuzz %d (K=%ld, mode %d, band %d)", t, (long)K, mode, band);
            check_table(name, K, w);
            {   /* and neither sampler draws a zero-weight category */
                enum { ND = 500 };
                int64_t o[ND];
                double *cw = xmalloc(K * sizeof *cw);
                nd_alias_entry *tb = xmalloc(K * sizeof *tb);
                void *wk = xmalloc(nd_alias_work_bytes(K));
                int i, st1, st2, zero = 0;
                st1 = random_categorical_cdf_fill(&bits_main, 1, ND, K, w, 0, 8, o, 0, 8, cw, NULL);
                for (i = 0; i < ND; i++) zero += o[i] < 0 || o[i] >= K || w[o[i]] == 0.0;
                st2 = random_categorical_alias_fill(&bits_main, 1, ND, K, w, 0, 8, o, 0, 8, tb, wk,
                                                    NULL);
                for (i = 0; i < ND; i++) zero += o[i] < 0 || o[i] >= K || w[o[i]] == 0.0;
                CHECK(st1 == ND_OK && st2 == ND_OK && zero == 0,
                      "%s: status %d/%d, %d zero-weight draws", name, st1, st2, zero);
                free(cw); free(tb); free(wk);
            }
        }
    }
    free(w);
}

/* Fill output must equal a reference draw: portable multiply + plain branch. */
static void test_draw_reference(void)
{
    intptr_t K = 777, n = 100000, i, j, bad = 0;
    double *w = xmalloc(K * sizeof *w);
    nd_alias_entry *tab = xmalloc(K * sizeof *tab);
    int64_t *out = xmalloc(n * sizeof *out);
    static nd_bits_t b1, b2;
    nd_xoshiro_t x1, x2;
    for (j = 0; j < K; j++) w[j] = (j % 4 == 1) ? 0.0 : urand();
    build1(K, w, tab);
    seed_bits(&b1, &x1, 42);
    seed_bits(&b2, &x2, 42);
    random_alias_fill(&b1, 1, n, K, tab, out, 0, sizeof(int64_t));
    for (i = 0; i < n; i++) {
        uint64_t lo, hi = nd_umul128_portable(nd_bits_next64(&b2), (uint64_t)K, &lo);
        int64_t ref = lo < tab[hi].thresh ? (int64_t)hi : tab[hi].alias;
        bad += out[i] != ref;
    }
    CHECK(bad == 0, "alias fill differs from reference draw %ld times", (long)bad);
    free(w); free(tab); free(out);
}

/* Reference CDF draw, same arithmetic as the kernel (serial cumsum). */
static int64_t cdf_ref(const double *w, intptr_t K, uint64_t u)
{
    double c = 0.0, x, *cum = xmalloc(K * sizeof *cum);
    intptr_t j, r = -1, last = -1;
    for (j = 0; j < K; j++) { c += w[j]; cum[j] = c; }
    x = (double)(u >> 11) * (1.0 / 9007199254740992.0) * c;
    for (j = 0; j < K; j++)
        if (cum[j] > x) { r = j; break; }
    for (j = 0; j < K; j++)
        if (j == 0 ? cum[0] > 0.0 : cum[j] > cum[j - 1]) last = j;
    free(cum);
    return r >= 0 ? r : last;
}

static void test_cdf_reference(void)
{
    static const intptr_t Ks[] = {1, 2, 3, 5, 8, 15, 16, 17, 23, 24, 25, 31, 32, 33, 63, 64, 65, 100, 1000, 4097};
    size_t a;
    intptr_t bad = 0, total = 0;
    static nd_bits_t b1, b2;
    nd_xoshiro_t x1, x2;
    for (a = 0; a < sizeof Ks / sizeof *Ks; a++) {
        intptr_t K = Ks[a], n = 2000, i, j;
        double *w = xmalloc(K * sizeof *w), *work = xmalloc(K * sizeof *work);
        int64_t *out = xmalloc(n * sizeof *out);
        for (j = 0; j < K; j++) w[j] = (urand() < 0.25) ? 0.0 : urand();
        w[K - 1] = 0.0;
        if (K == 1) w[0] = 0.5;
        else w[K / 2] = 1.0;
        seed_bits(&b1, &x1, 1000 + K);
        seed_bits(&b2, &x2, 1000 + K);
        CHECK(random_categorical_cdf_fill(&b1, 1, n, K, w, 0, 8, out, 0, 8, work, NULL) == ND_OK,
              "cdf K=%ld failed", (long)K);
        for (i = 0; i < n; i++) {
            bad += out[i] != cdf_ref(w, K, nd_bits_next64(&b2));
            total++;
        }
        free(w); free(work); free(out);
    }
    CHECK(bad == 0, "cdf fill differs from linear-scan reference %ld of %ld times", (long)bad,
          (long)total);
}

static void run_gof(const char *name, intptr_t K, const double *w, intptr_t n, int use_alias,
                    uint64_t seed)
{
    int64_t *out = xmalloc(n * sizeof *out), *counts = xmalloc(K * sizeof *counts);
    static nd_bits_t b;
    nd_xoshiro_t xo;
    int oor, st = ND_OK;
    double stat, df;
    seed_bits(&b, &xo, seed);
    if (use_alias) {
        nd_alias_entry *tab = xmalloc(K * sizeof *tab);
        st = build1(K, w, tab);
        random_alias_fill(&b, 1, n, K, tab, out, 0, 8);
        free(tab);
    } else {
        double *work = xmalloc(K * sizeof *work);
        st = random_categorical_cdf_fill(&b, 1, n, K, w, 0, 8, out, 0, 8, work, NULL);
        free(work);
    }
    CHECK(st == ND_OK, "%s (%s): status %d", name, use_alias ? "alias" : "cdf", st);
    count(out, n, K, counts, &oor);
    CHECK(oor == 0, "%s (%s): %d draws out of range", name, use_alias ? "alias" : "cdf", oor);
    CHECK(chisq_pass(counts, w, K, (double)n, &stat, &df),
          "%s (%s): chi2 = %.1f on %.0f df (or a zero-weight category drawn)", name,
          use_alias ? "alias" : "cdf", stat, df);
    free(out); free(counts);
}

static void test_goodness_of_fit(void)
{
    static const intptr_t Ks[] = {2, 3, 1000, 100000};
    size_t a;
    for (a = 0; a < sizeof Ks / sizeof *Ks; a++) {
        intptr_t K = Ks[a], j;
        double *w = xmalloc(K * sizeof *w);
        char name[64];
        if (K == 2) { w[0] = 0.3; w[1] = 0.7; }
        else if (K == 3) { w[0] = 1.0; w[1] = 0.0; w[2] = 2.0; }
        else
            for (j = 0; j < K; j++) w[j] = (j % 10 == 3) ? 0.0 : urand() + 0.01;
        sprintf(name, "K=%ld", (long)K);
        run_gof(name, K, w, 1000000, 1, 7 + K);
        run_gof(name, K, w, 1000000, 0, 8 + K);
        free(w);
    }
    /* negative control: the test must reject a wrong distribution */
    {
        double w[3] = {1.0, 0.0, 2.0}, wrong[3] = {1.1, 0.0, 2.0};
        intptr_t n = 1000000;
        int64_t *out = xmalloc(n * sizeof *out), counts[3];
        nd_alias_entry tab[3];
        static nd_bits_t b;
        nd_xoshiro_t xo;
        int oor;
        seed_bits(&b, &xo, 5);
        build1(3, w, tab);
        random_alias_fill(&b, 1, n, 3, tab, out, 0, 8);
        count(out, n, 3, counts, &oor);
        CHECK(chisq_pass(counts, w, 3, (double)n, NULL, NULL), "control: right weights rejected");
        CHECK(!chisq_pass(counts, wrong, 3, (double)n, NULL, NULL),
              "control: chi2 accepted a 10%% wrong weight");
        free(out);
    }
}

static void test_skewed(void)
{
    intptr_t K = 10, j, n;
    double wa[10], wb[10];
    nd_alias_entry ta[10], tb[10];
    int64_t *out, counts[10];
    static nd_bits_t b;
    nd_xoshiro_t xo;
    int oor;
    double work[10];
    wa[0] = 1.0 - 1e-9;
    wb[0] = 1.0 - 1e-5;
    for (j = 1; j < K; j++) {
        wa[j] = j < 4 ? 1e-9 / 3 : 0.0;
        wb[j] = j < 4 ? 1e-5 / 3 : 0.0;
    }
    build1(K, wa, ta);
    build1(K, wb, tb);
    n = 100000000;
    out = xmalloc(n * sizeof *out);
    seed_bits(&b, &xo, 11);
    /* A: rare mass 1e-9 over 1e8 draws: Poisson(0.1) rare draws */
    random_alias_fill(&b, 1, n, K, ta, out, 0, 8);
    count(out, n, K, counts, &oor);
    CHECK(oor == 0, "skew A: out of range");
    for (j = 4; j < K; j++) CHECK(counts[j] == 0, "skew A: zero category %ld drawn", (long)j);
    CHECK(counts[1] + counts[2] + counts[3] <= 6, "skew A: %ld rare draws, expected ~0.1",
          (long)(counts[1] + counts[2] + counts[3]));
    /* B: rare mass 1e-5 over 1e8 draws: ~1000 rare, ~333 each */
    random_alias_fill(&b, 1, n, K, tb, out, 0, 8);
    count(out, n, K, counts, &oor);
    CHECK(oor == 0, "skew B: out of range");
    for (j = 4; j < K; j++) CHECK(counts[j] == 0, "skew B: zero category %ld drawn", (long)j);
    {
        int64_t r = counts[1] + counts[2] + counts[3];
        CHECK(r > 1000 - 6 * 32 && r < 1000 + 6 * 32, "skew B alias: %ld rare draws, expected 1000",
              (long)r);
        for (j = 1; j < 4; j++)
            CHECK(counts[j] > 333 - 6 * 19 && counts[j] < 333 + 6 * 19,
                  "skew B alias: category %ld drawn %ld times, expected 333", (long)j,
                  (long)counts[j]);
    }
    /* B through the cdf path: 1e7 draws, ~100 rare */
    n = 10000000;
    CHECK(random_categorical_cdf_fill(&b, 1, n, K, wb, 0, 8, out, 0, 8, work, NULL) == ND_OK,
          "skew B cdf status");
    count(out, n, K, counts, &oor);
    CHECK(oor == 0, "skew B cdf: out of range");
    for (j = 4; j < K; j++) CHECK(counts[j] == 0, "skew B cdf: zero category %ld drawn", (long)j);
    {
        int64_t r = counts[1] + counts[2] + counts[3];
        CHECK(r > 100 - 6 * 10 && r < 100 + 6 * 10, "skew B cdf: %ld rare draws, expected 100",
              (long)r);
    }
    free(out);
}

static void test_zero_never(void)
{
    intptr_t K = 1000, n = 10000000, j, i, hits_a = 0, hits_c = 0;
    double *w = xmalloc(K * sizeof *w), *work = xmalloc(K * sizeof *work);
    nd_alias_entry *tab = xmalloc(K * sizeof *tab);
    int64_t *out = xmalloc(n * sizeof *out);
    static nd_bits_t b;
    nd_xoshiro_t xo;
    /* zeros at both ends and in runs; a total that is not a power of two */
    for (j = 0; j < K; j++) w[j] = (j % 3 == 0 || (j > 400 && j < 450) || j >= 990) ? 0.0 : urand() * 3.7;
    seed_bits(&b, &xo, 13);
    build1(K, w, tab);
    random_alias_fill(&b, 1, n, K, tab, out, 0, 8);
    for (i = 0; i < n; i++) hits_a += (out[i] < 0 || out[i] >= K || w[out[i]] == 0.0);
    CHECK(hits_a == 0, "alias: %ld draws of zero-weight (or invalid) categories", (long)hits_a);
    CHECK(random_categorical_cdf_fill(&b, 1, n, K, w, 0, 8, out, 0, 8, work, NULL) == ND_OK,
          "cdf status");
    for (i = 0; i < n; i++) hits_c += (out[i] < 0 || out[i] >= K || w[out[i]] == 0.0);
    CHECK(hits_c == 0, "cdf: %ld draws of zero-weight (or invalid) categories", (long)hits_c);
    /* small K with zeros (linear-count path), many draws */
    {
        double w8[8] = {0, 1e-300, 0, 5, 0, 0, 2.5, 0};
        double work8[8];
        intptr_t bad = 0;
        CHECK(random_categorical_cdf_fill(&b, 1, n, 8, w8, 0, 8, out, 0, 8, work8, NULL) == ND_OK,
              "cdf K=8 status");
        for (i = 0; i < n; i++) bad += (out[i] < 0 || out[i] >= 8 || w8[out[i]] == 0.0);
        CHECK(bad == 0, "cdf K=8: %ld zero-weight draws", (long)bad);
    }
    free(w); free(work); free(tab); free(out);
}

/* A fake NumPy bit generator returning words from a list (cycling) and
 * counting how many it gave. */
static const uint64_t *fake_words;
static size_t fake_n, fake_i, fake_calls;
static uint64_t fake_next(void *st)
{
    (void)st;
    fake_calls++;
    return fake_words[fake_i++ % fake_n];
}

static void test_edge_words(void)
{
    static const uint64_t words[] = {0, 1, 0x8000000000000000ULL, UINT64_MAX, UINT64_MAX - 1,
                                     0x5555555555555555ULL, 0xAAAAAAAAAAAAAAAAULL, 3};
    const size_t nw = sizeof words / sizeof *words;
    static nd_bits_t b;
    nd_bitgen_t bg;
    int64_t out[8];
    double work[8];
    nd_alias_entry tab[8];
    size_t i;
    memset(&bg, 0, sizeof bg);
    bg.next_uint64 = fake_next;
    fake_words = words;
    fake_n = nw;
    {   /* only column 1 positive: every word gives 1, both paths */
        double w[4] = {0, 1, 0, 0};
        int ok_a = 1, ok_c = 1;
        build1(4, w, tab);
        fake_i = 0;
        nd_bits_init_numpy(&b, &bg);
        random_alias_fill(&b, 1, (intptr_t)nw, 4, tab, out, 0, 8);
        for (i = 0; i < nw; i++) ok_a &= out[i] == 1;
        fake_i = 0;
        nd_bits_init_numpy(&b, &bg);
        random_categorical_cdf_fill(&b, 1, (intptr_t)nw, 4, w, 0, 8, out, 0, 8, work, NULL);
        for (i = 0; i < nw; i++) ok_c &= out[i] == 1;
        CHECK(ok_a, "alias: edge words drew a zero category");
        CHECK(ok_c, "cdf: edge words drew a zero category");
    }
    {   /* trailing zeros and u at its maximum: the last positive index */
        double w[5] = {1, 2, 0, 0, 0};
        uint64_t one = UINT64_MAX;
        fake_words = &one; fake_n = 1; fake_i = 0;
        nd_bits_init_numpy(&b, &bg);
        random_categorical_cdf_fill(&b, 1, 1, 5, w, 0, 8, out, 0, 8, work, NULL);
        CHECK(out[0] == 1, "cdf: u max with trailing zeros gave %ld", (long)out[0]);
        build1(5, w, tab);
        nd_bits_init_numpy(&b, &bg);
        random_alias_fill(&b, 1, 1, 5, tab, out, 0, 8);
        CHECK(out[0] == 0 || out[0] == 1, "alias: u max gave %ld", (long)out[0]);
    }
    {   /* leading zeros and u == 0: the first positive index */
        double w[5] = {0, 0, 5, 0, 1};
        uint64_t zero = 0;
        fake_words = &zero; fake_n = 1; fake_i = 0;
        nd_bits_init_numpy(&b, &bg);
        random_categorical_cdf_fill(&b, 1, 1, 5, w, 0, 8, out, 0, 8, work, NULL);
        CHECK(out[0] == 2, "cdf: u == 0 with leading zeros gave %ld", (long)out[0]);
        build1(5, w, tab);
        nd_bits_init_numpy(&b, &bg);
        random_alias_fill(&b, 1, 1, 5, tab, out, 0, 8);
        CHECK(out[0] == 2 || out[0] == 4, "alias: u == 0 gave %ld", (long)out[0]);
    }
    {   /* same on the binary-search path (K = 40): leading zeros, u == 0 */
        double w40[40], work40[40];
        uint64_t zero = 0;
        int j;
        for (j = 0; j < 40; j++) w40[j] = j < 30 ? 0.0 : 1.0;
        fake_words = &zero; fake_n = 1; fake_i = 0;
        nd_bits_init_numpy(&b, &bg);
        random_categorical_cdf_fill(&b, 1, 1, 40, w40, 0, 8, out, 0, 8, work40, NULL);
        CHECK(out[0] == 30, "cdf K=40: u == 0 with leading zeros gave %ld", (long)out[0]);
    }
    {   /* u*total rounded up to total (upward rounding mode): must give the
         * last positive index, not a trailing zero one; both search paths */
        double w5[5] = {1, 2, 0, 0, 0}, w40[40], work40[40];
        uint64_t one = UINT64_MAX;
        int j, old = fegetround();
        for (j = 0; j < 40; j++) w40[j] = j < 25 ? 1.0 + (j % 3) : 0.0;
        fake_words = &one; fake_n = 1; fake_i = 0;
        if (fesetround(FE_UPWARD) == 0) {
            nd_bits_init_numpy(&b, &bg);
            random_categorical_cdf_fill(&b, 1, 1, 5, w5, 0, 8, out, 0, 8, work, NULL);
            nd_bits_init_numpy(&b, &bg);
            random_categorical_cdf_fill(&b, 1, 1, 40, w40, 0, 8, out + 1, 0, 8, work40, NULL);
            fesetround(old);
            CHECK(out[0] == 1, "cdf (round up): u max with trailing zeros gave %ld", (long)out[0]);
            CHECK(out[1] == 24, "cdf K=40 (round up): u max with trailing zeros gave %ld",
                  (long)out[1]);
        }
    }
}

static void test_single_and_k1(void)
{
    static const intptr_t pos[] = {0, 500, 999};
    intptr_t K = 1000, n = 100000, i;
    double *w = xmalloc(K * sizeof *w), *work = xmalloc(K * sizeof *work);
    nd_alias_entry *tab = xmalloc(K * sizeof *tab);
    int64_t *out = xmalloc(n * sizeof *out);
    static nd_bits_t b;
    nd_xoshiro_t xo;
    size_t a;
    seed_bits(&b, &xo, 17);
    for (a = 0; a < 3; a++) {
        intptr_t bad_a = 0, bad_c = 0;
        memset(w, 0, K * sizeof *w);
        w[pos[a]] = 0.37;
        build1(K, w, tab);
        random_alias_fill(&b, 1, n, K, tab, out, 0, 8);
        for (i = 0; i < n; i++) bad_a += out[i] != pos[a];
        random_categorical_cdf_fill(&b, 1, n, K, w, 0, 8, out, 0, 8, work, NULL);
        for (i = 0; i < n; i++) bad_c += out[i] != pos[a];
        CHECK(bad_a == 0 && bad_c == 0, "single positive at %ld: %ld alias / %ld cdf misses",
              (long)pos[a], (long)bad_a, (long)bad_c);
    }
    {
        intptr_t bad = 0;
        w[0] = 4.2;
        build1(1, w, tab);
        CHECK(tab[0].thresh == UINT64_MAX && tab[0].alias == 0, "K=1 table");
        random_alias_fill(&b, 1, n, 1, tab, out, 0, 8);
        for (i = 0; i < n; i++) bad += out[i] != 0;
        random_categorical_cdf_fill(&b, 1, n, 1, w, 0, 8, out, 0, 8, work, NULL);
        for (i = 0; i < n; i++) bad += out[i] != 0;
        CHECK(bad == 0, "K=1: %ld nonzero draws", (long)bad);
    }
    free(w); free(work); free(tab); free(out);
}

/* Strided / negative-stride / broadcast weights and outputs give the same
 * results as contiguous copies of the same logical rows. */
static void test_strides(void)
{
    enum { R = 5, K = 37, N = 301 };
    static double B[R][K], T[K][R], L[R][K];
    static nd_alias_entry tab_ref[R * K], tab[R * K];
    static int64_t out_ref[R][N], out[R * N], out2[N][R];
    static double cwork[K];
    static nd_bits_t b;
    nd_xoshiro_t xo;
    void *work = xmalloc(nd_alias_work_bytes(K));
    int v, r, j, k;
    for (r = 0; r < R; r++)
        for (j = 0; j < K; j++) {
            B[r][j] = (j + r) % 5 == 0 ? 0.0 : urand();
            T[j][r] = B[r][j];
        }
    for (v = 0; v < 5; v++) {
        const double *w;
        intptr_t rs, cs;
        const char *name;
        int same_tab, same_a = 1, same_c = 1;
        switch (v) {
        case 0: w = &B[0][0]; rs = K * 8; cs = 8; name = "contiguous"; break;
        case 1: w = &B[R - 1][0]; rs = -K * 8; cs = 8; name = "negative row stride"; break;
        case 2: w = &B[0][K - 1]; rs = K * 8; cs = -8; name = "negative column stride"; break;
        case 3: w = &T[0][0]; rs = 8; cs = R * 8; name = "transposed"; break;
        default: w = &B[2][0]; rs = 0; cs = 8; name = "broadcast row"; break;
        }
        for (r = 0; r < R; r++)
            for (j = 0; j < K; j++) L[r][j] = *(const double *)((const char *)w + r * rs + j * cs);
        CHECK(nd_alias_build_batch(R, K, &L[0][0], K * 8, 8, tab_ref, work, NULL) == ND_OK,
              "%s: ref build", name);
        CHECK(nd_alias_build_batch(R, K, w, rs, cs, tab, work, NULL) == ND_OK, "%s: build", name);
        same_tab = memcmp(tab, tab_ref, sizeof tab) == 0;
        CHECK(same_tab, "%s: table differs from contiguous copy", name);
        /* alias: ref into (R, N) contiguous; strided into (N, R) and into
         * (R, N) with negative draw stride (filled back to front) */
        seed_bits(&b, &xo, 99);
        random_alias_fill(&b, R, N, K, tab_ref, &out_ref[0][0], N * 8, 8);
        seed_bits(&b, &xo, 99);
        random_alias_fill(&b, R, N, K, tab, &out2[0][0], 8, R * 8);
        seed_bits(&b, &xo, 99);
        random_alias_fill(&b, R, N, K, tab, &out[N - 1], N * 8, -8);
        for (r = 0; r < R; r++)
            for (k = 0; k < N; k++) {
                same_a &= out2[k][r] == out_ref[r][k];
                same_a &= out[r * N + (N - 1 - k)] == out_ref[r][k];
            }
        CHECK(same_a, "%s: alias output depends on layout", name);
        /* cdf */
        seed_bits(&b, &xo, 77);
        random_categorical_cdf_fill(&b, R, N, K, &L[0][0], K * 8, 8, &out_ref[0][0], N * 8, 8,
                                    cwork, NULL);
        seed_bits(&b, &xo, 77);
        random_categorical_cdf_fill(&b, R, N, K, w, rs, cs, &out2[0][0], 8, R * 8, cwork, NULL);
        seed_bits(&b, &xo, 77);
        random_categorical_cdf_fill(&b, R, N, K, w, rs, cs, &out[(R - 1) * N], -N * 8, 8, cwork,
                                    NULL);
        for (r = 0; r < R; r++)
            for (k = 0; k < N; k++) {
                same_c &= out2[k][r] == out_ref[r][k];
                same_c &= out[(R - 1 - r) * N + k] == out_ref[r][k];
            }
        CHECK(same_c, "%s: cdf output depends on layout", name);
        /* zero-weight categories never drawn in any of them */
        {
            int zero_hit = 0;
            for (r = 0; r < R; r++)
                for (k = 0; k < N; k++) zero_hit |= L[r][out_ref[r][k]] == 0.0;
            CHECK(!zero_hit, "%s: zero-weight category drawn", name);
        }
    }
    free(work);
}

/* Each bad value, in each row position, is reported with its row index by
 * both builders. Buffers are exactly sized (run under ASan/valgrind to check
 * nothing reads out of bounds). */
static void test_bad_rows(void)
{
    enum { R = 6, K = 10 };
    const double bads[] = {-1.0, -1e-300, NAN, INFINITY, -INFINITY, -DBL_MAX};
    size_t bi;
    int r, pos;
    double *w = xmalloc(R * K * sizeof *w), *cw = xmalloc(K * sizeof *cw);
    nd_alias_entry *tab = xmalloc(R * K * sizeof *tab);
    void *work = xmalloc(nd_alias_work_bytes(K));
    int64_t *out = xmalloc(R * 3 * sizeof *out);
    static nd_bits_t b;
    nd_xoshiro_t xo;
    int wrong = 0;
    seed_bits(&b, &xo, 3);
    for (bi = 0; bi < sizeof bads / sizeof *bads; bi++)
        for (r = 0; r < R; r++)
            for (pos = 0; pos < K; pos += 3) {
                intptr_t br1 = -5, br2 = -5;
                int s1, s2, i;
                for (i = 0; i < R * K; i++) w[i] = 0.5 + (i % 3);
                w[r * K + pos] = bads[bi];
                s1 = nd_alias_build_batch(R, K, w, K * 8, 8, tab, work, &br1);
                s2 = random_categorical_cdf_fill(&b, R, 3, K, w, K * 8, 8, out, 3 * 8, 8, cw, &br2);
                if (s1 != ND_E_BAD_PARAM || br1 != r || s2 != ND_E_BAD_PARAM || br2 != r) {
                    if (wrong++ < 5)
                        printf("  bad value %g at row %d col %d: alias (%d, row %ld) cdf (%d, row %ld)\n",
                               bads[bi], r, pos, s1, (long)br1, s2, (long)br2);
                }
            }
    CHECK(wrong == 0, "%d bad rows misreported", wrong);
    {   /* rows summing to zero (incl. -0.0), with negative row stride */
        intptr_t br1 = -5, br2 = -5;
        int i;
        for (i = 0; i < R * K; i++) w[i] = 1.0;
        for (i = 0; i < K; i++) w[1 * K + i] = (i % 2) ? -0.0 : 0.0;
        /* logical row r = physical row R-1-r: physical 1 is logical 4 */
        CHECK(nd_alias_build_batch(R, K, w + (R - 1) * K, -K * 8, 8, tab, work, &br1) ==
                  ND_E_BAD_PARAM && br1 == 4,
              "all-zero row: alias reported row %ld", (long)br1);
        CHECK(random_categorical_cdf_fill(&b, R, 3, K, w + (R - 1) * K, -K * 8, 8, out, 24, 8, cw,
                                          &br2) == ND_E_BAD_PARAM && br2 == 4,
              "all-zero row: cdf reported row %ld", (long)br2);
    }
    {   /* finite weights whose sum overflows are fine */
        intptr_t br = -5;
        int i;
        for (i = 0; i < R * K; i++) w[i] = DBL_MAX;
        CHECK(nd_alias_build_batch(R, K, w, K * 8, 8, tab, work, &br) == ND_OK,
              "overflowing sum rejected by alias build");
        CHECK(random_categorical_cdf_fill(&b, R, 3, K, w, K * 8, 8, out, 24, 8, cw, &br) == ND_OK,
              "overflowing sum rejected by cdf");
    }
    {   /* K == 0, and K == 0 with no rows */
        intptr_t br = -5;
        CHECK(nd_alias_build_batch(R, 0, w, 0, 8, tab, work, &br) == ND_E_BAD_PARAM && br == 0,
              "K=0 alias");
        br = -5;
        CHECK(random_categorical_cdf_fill(&b, R, 3, 0, w, 0, 8, out, 24, 8, cw, &br) ==
                  ND_E_BAD_PARAM && br == 0,
              "K=0 cdf");
        CHECK(nd_alias_build_batch(R, 5, w, 0, 8, tab, NULL, &br) == ND_E_NOMEM, "NULL work");
        CHECK(nd_alias_work_bytes(0) == 0, "work bytes for K=0");
    }
    free(w); free(cw); free(tab); free(work); free(out);
}

static void test_reproducible(void)
{
    enum { R = 7, K = 50, N = 1000 };
    static double w[R * K];
    static nd_alias_entry tab[R * K];
    static int64_t o1[R * N], o2[R * N];
    static double cw[K];
    static nd_bits_t b;
    nd_xoshiro_t xo;
    void *work = xmalloc(nd_alias_work_bytes(K));
    int i;
    for (i = 0; i < R * K; i++) w[i] = (i % 11 == 0) ? 0.0 : urand();
    nd_alias_build_batch(R, K, w, K * 8, 8, tab, work, NULL);
    seed_bits(&b, &xo, 2024);
    random_alias_fill(&b, R, N, K, tab, o1, N * 8, 8);
    seed_bits(&b, &xo, 2024);
    random_alias_fill(&b, R, N, K, tab, o2, N * 8, 8);
    CHECK(memcmp(o1, o2, sizeof o1) == 0, "alias: same seed, different output");
    /* in two calls (rows 0..2, then 3..6): same stream, same numbers */
    seed_bits(&b, &xo, 2024);
    random_alias_fill(&b, 3, N, K, tab, o2, N * 8, 8);
    random_alias_fill(&b, R - 3, N, K, tab + 3 * K, o2 + 3 * N, N * 8, 8);
    CHECK(memcmp(o1, o2, sizeof o1) == 0, "alias: split call differs");
    seed_bits(&b, &xo, 2025);
    random_alias_fill(&b, R, N, K, tab, o2, N * 8, 8);
    CHECK(memcmp(o1, o2, sizeof o1) != 0, "alias: different seeds, same output");

    seed_bits(&b, &xo, 31);
    random_categorical_cdf_fill(&b, R, N, K, w, K * 8, 8, o1, N * 8, 8, cw, NULL);
    seed_bits(&b, &xo, 31);
    random_categorical_cdf_fill(&b, 4, N, K, w, K * 8, 8, o2, N * 8, 8, cw, NULL);
    random_categorical_cdf_fill(&b, R - 4, N, K, w + 4 * K, K * 8, 8, o2 + 4 * N, N * 8, 8, cw,
                                NULL);
    CHECK(memcmp(o1, o2, sizeof o1) == 0, "cdf: same seed / split call differs");

    /* fused build+draw gives the same numbers as build_batch + fill */
    {
        nd_alias_entry scratch[K];
        intptr_t br = -5;
        seed_bits(&b, &xo, 2024);
        random_alias_fill(&b, R, N, K, tab, o1, N * 8, 8);
        seed_bits(&b, &xo, 2024);
        CHECK(random_categorical_alias_fill(&b, R, N, K, w, K * 8, 8, o2, N * 8, 8, scratch, work,
                                            &br) == ND_OK,
              "fused alias status");
        CHECK(memcmp(o1, o2, sizeof o1) == 0, "fused alias differs from build + fill");
        w[5 * K + 7] = -1.0;
        CHECK(random_categorical_alias_fill(&b, R, N, K, w, K * 8, 8, o2, N * 8, 8, scratch, work,
                                            &br) == ND_E_BAD_PARAM && br == 5,
              "fused alias: bad row 5 reported as %ld", (long)br);
        w[5 * K + 7] = 0.5;
    }

    /* NumPy source: exactly one word per draw is taken from the generator */
    {
        static const uint64_t words[] = {0x123456789abcdefULL, 0xfedcba9876543210ULL, 77,
                                         UINT64_MAX / 3};
        nd_bitgen_t bg;
        memset(&bg, 0, sizeof bg);
        bg.next_uint64 = fake_next;
        fake_words = words; fake_n = 4; fake_i = 0; fake_calls = 0;
        nd_bits_init_numpy(&b, &bg);
        random_alias_fill(&b, R, N, K, tab, o1, N * 8, 8);
        CHECK(fake_calls == (size_t)R * N, "alias drew %lu words from numpy for %d draws",
              (unsigned long)fake_calls, R * N);
        fake_calls = 0;
        random_categorical_cdf_fill(&b, R, 3, K, w, K * 8, 8, o1, 3 * 8, 8, cw, NULL);
        CHECK(fake_calls == (size_t)R * 3, "cdf drew %lu words from numpy for %d draws",
              (unsigned long)fake_calls, R * 3);
    }
    free(work);
}

static void test_prefer(void)
{
    CHECK(nd_categorical_prefer_alias(1000, 10000000) == 1, "K=1000, 1e7 draws should use alias");
    CHECK(nd_categorical_prefer_alias(100, 1000) == 1, "K=100, 1000 draws should use alias");
    CHECK(nd_categorical_prefer_alias(16, 1) == 0, "K=16, 1 draw should use cdf");
    CHECK(nd_categorical_prefer_alias(100000, 1) == 0, "K=1e5, 1 draw should use cdf");
    CHECK(nd_categorical_prefer_alias(1, 1000000) == 0, "K=1 needs no table");
}

int main(void)
{
    seed_bits(&bits_main, &xo_main, 20240601);
    test_umul();
    test_table_exact();
    test_draw_reference();
    test_cdf_reference();
    test_goodness_of_fit();
    test_skewed();
    test_zero_never();
    test_edge_words();
    test_single_and_k1();
    test_strides();
    test_bad_rows();
    test_reproducible();
    test_prefer();
    printf("test_categorical: %d checks, %s\n", checks, fails ? "FAILED" : "ok");
    return fails != 0;
}
