/* Standalone checks of the binomial and multinomial kernels (numdist/binomial.h);
 * no Python.  The statistics (chi-square against scipy) are in
 * tests/test_binomial_multinomial.py; here: the defined values of bad
 * parameters, termination on extreme ones, the log pmf ratio against lgammal and
 * 60-digit mpmath values (to n = 2^62), BTPE's squeeze as a bound of it, moments at
 * n = 1e12 and 2^62, the element-wise entry, the row kernel (both paths).
 *   test_binomial      run all checks
 *   test_binomial -v   print the statistics too
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numdist/binomial.h"
#include "numdist/bitgen.h"
#include "numdist/elementwise.h"
#include "numdist/strided.h"
#include "numdist/xoshiro256.h"

#define ND_TEST_STREAM
#include "check.h"
static int verbose = 0;


static void reseed(uint64_t a)
{
    nd_xoshiro_seed(&xo, (a + 1) * UINT64_C(0x9e3779b97f4a7c15), (a + 7) * UINT64_C(0xd1b54a32d192ed03));
    nd_bits_init_xoshiro(&bits, &xo);
}


static void test_defined_values(void)
{
    const int64_t big = ND_BINOMIAL_MAX_N;
    uint64_t c0;
    reseed(1);
    c0 = consumed();
    CHECK(nd_binomial(&bits, -1, 0.3) == -1, "n < 0");
    CHECK(nd_binomial(&bits, big + 1, 0.3) == -1, "n > 2^62");
    CHECK(nd_binomial(&bits, 10, NAN) == -1, "p NaN");
    CHECK(nd_binomial(&bits, 10, -0.1) == -1, "p < 0");
    CHECK(nd_binomial(&bits, 10, 1.5) == -1, "p > 1");
    CHECK(nd_binomial(&bits, 10, INFINITY) == -1, "p inf");
    CHECK(nd_binomial(&bits, 0, 0.3) == 0, "n = 0");
    CHECK(nd_binomial(&bits, 10, 0.0) == 0, "p = 0");
    CHECK(nd_binomial(&bits, 10, 1.0) == 10, "p = 1");
    CHECK(nd_binomial(&bits, big, 1.0) == big, "p = 1, n = 2^62");
    CHECK(consumed() == c0, "defined values drew words");
}

/* extreme but valid parameters terminate and stay in [0, n] */
static void test_extremes(void)
{
    static const double ps[] = {1e-300, 5e-324, 1e-18, 2.2e-18, 1e-9, 0.3, 0.5, 0.7, 1 - 1e-16, 1 - 1e-300};
    static const int64_t ns[] = {1, 2, 9, 10, 11, 19, 20, 21, 1000, 1000000000, INT64_C(1000000000000),
                                 ND_BINOMIAL_MAX_N - 1, ND_BINOMIAL_MAX_N};
    size_t i, j;
    int k;
    reseed(2);
    for (i = 0; i < sizeof ps / sizeof ps[0]; i++)
        for (j = 0; j < sizeof ns / sizeof ns[0]; j++)
            for (k = 0; k < 200; k++) {
                int64_t x = nd_binomial(&bits, ns[j], ps[i]);
                CHECK(x >= 0 && x <= ns[j], "n %lld p %g gave %lld", (long long)ns[j], ps[i], (long long)x);
                if (!(x >= 0 && x <= ns[j])) return;
            }
}

/* log f(k) / f(m) against long double lgammal (tolerance: 1e-12 relative plus the
 * reference's own rounding, about 1e-19 n log n) */
static void test_log_ratio(void)
{
    static const int64_t ns[] = {20, 57, 200, 1000, 123457, 10000000};
    static const double ps[] = {0.5, 0.3, 0.05, 0.7};
    size_t i, j;
    double worst = 0.0;
    for (i = 0; i < sizeof ns / sizeof ns[0]; i++)
        for (j = 0; j < sizeof ps / sizeof ps[0]; j++) {
            nd_binomial_t st;
            int64_t n = ns[i], k, step;
            double q = ps[j] > 0.5 ? 1 - ps[j] : ps[j], lfm;
            nd_binomial_setup(&st, n, ps[j]);
            if (st.kind != 2) continue;
            lfm = -lgammal((long double)st.m + 1) - lgammal((long double)(n - st.m) + 1) +
                  (long double)st.m * logl((long double)q) + (long double)(n - st.m) * log1pl(-(long double)q);
            step = n / 997 + 1;
            for (k = 0; k <= n; k += step) {
                long double refl = -lgammal((long double)k + 1) - lgammal((long double)(n - k) + 1) +
                                   (long double)k * logl((long double)q) + (long double)(n - k) * log1pl(-(long double)q) - lfm;
                double ref = (double)refl;
                double got = nd_binomial_log_ratio(&st, k);
                /* glibc's lgammal is the limit here (4e-11 off at n = 123457: the
                 * 60-digit points below settle those) */
                double tol = 1e-12 * (1 + fabs(ref)) + 1e-16 * (double)n * log((double)n);
                double err = fabs(got - ref);
                if (err / tol > worst) worst = err / tol;
                CHECK(err <= tol, "log ratio n %lld p %g k %lld: %.17g vs %.17g", (long long)n, ps[j],
                      (long long)k, got, ref);
                if (err > tol) return;
            }
        }
    if (verbose) printf("log ratio: worst error / tolerance %.3g\n", worst);
}

/* log f(k) / f(m) at points computed with mpmath (60 digits) from the exact mode
 * m = floor((n + 1) q), up to n = 2^62 (3.3 standard deviations from the mode) */
static void test_log_ratio_mpmath(void)
{
    static const struct { int64_t n; double p; int64_t k; double lr; } pts[] = {
        {INT64_C(123457), 0.5, INT64_C(60140), -40.882090587187155527},
        {INT64_C(123457), 0.3, INT64_C(36000), -20.847704136566840567},
        {INT64_C(1000000000000), 0.3, INT64_C(300002500000), -14.88093114158709976},
        {INT64_C(4611686018427387904), 0.4, INT64_C(1844674410842713115), -5.4449999983701605822},
        {INT64_C(4611686018427387904), 0.5, INT64_C(2305843012757041971), -5.4449999993853271017},
        {INT64_C(1000000000000000), 0.01, INT64_C(10000010383207), -5.4449980221649741276},
        {INT64_C(4611686018427375559), 0.03, INT64_C(138350581761721044), -5.4449999747526889216},
    };
    size_t i;
    for (i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        nd_binomial_t st;
        double got;
        nd_binomial_setup(&st, pts[i].n, pts[i].p);
        got = nd_binomial_log_ratio(&st, pts[i].k);
        CHECK(fabs(got - pts[i].lr) <= 1e-13 * (1 + fabs(pts[i].lr)), "n %lld p %g k %lld: %.17g vs %.17g",
              (long long)pts[i].n, pts[i].p, (long long)pts[i].k, got, pts[i].lr);
    }
}

/* BTPE's squeeze, used by the BTRS slow path for 20 < |k - m| < npq/2 - 1, must bound
 * the exact log ratio: t - rho <= log f(k)/f(m) <= t + rho (else draws near its edges
 * would be accepted or rejected wrongly) */
static void test_squeeze_bounds(void)
{
    static const int64_t ns[] = {100, 1000, 12345, 1000000, INT64_C(1000000000000), ND_BINOMIAL_MAX_N};
    static const double ps[] = {0.5, 0.3, 0.1, 0.01, 0.9};
    size_t i, j;
    long checked = 0;
    for (i = 0; i < sizeof ns / sizeof ns[0]; i++)
        for (j = 0; j < sizeof ps / sizeof ps[0]; j++) {
            nd_binomial_t st;
            double km;
            nd_binomial_setup(&st, ns[i], ps[j]);
            if (st.kind != 2) continue;
            for (km = 21; km < 0.5 * st.npq - 1.0 && km < 40 * sqrt(st.npq); km += 1 + floor(km / 64)) {
                int sgn;
                for (sgn = -1; sgn <= 1; sgn += 2) {
                    int64_t k = st.m + (int64_t)(sgn * km);
                    double rho = (km / st.npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6.0) / st.npq + 0.5);
                    double t = -km * km / (2.0 * st.npq), lr;
                    if (k < 0 || k > st.n) continue;
                    lr = nd_binomial_log_ratio(&st, k);
                    checked++;
                    CHECK(lr >= t - rho && lr <= t + rho, "squeeze n %lld p %g k-m %g: %g not in [%g, %g]",
                          (long long)ns[i], ps[j], sgn * km, lr, t - rho, t + rho);
                    if (!(lr >= t - rho && lr <= t + rho)) return;
                }
            }
        }
    if (verbose) printf("squeeze bounds: %ld points\n", checked);
}

/* mean and variance of many draws, in units of their standard errors */
static void moments(int64_t n, double p, long draws, double *zmean, double *zvar)
{
    long i;
    double mu = (double)n * p, var = mu * (1 - p), sd = sqrt(var), s1 = 0, s2 = 0, m, v;
    for (i = 0; i < draws; i++) {
        double z = ((double)(nd_binomial(&bits, n, p) - (int64_t)llround(mu))
                    + ((double)(int64_t)llround(mu) - mu)) / sd; /* exact offsets near 1e18 */
        s1 += z;
        s2 += z * z;
    }
    m = s1 / draws;
    v = s2 / draws - m * m;
    *zmean = m * sqrt((double)draws);
    *zvar = (v - 1) / sqrt(2.0 / draws); /* normal approximation of the variance's se */
}

static void test_huge_counts(void)
{
    static const int64_t ns[] = {INT64_C(1000000000000), ND_BINOMIAL_MAX_N, ND_BINOMIAL_MAX_N - 12345};
    static const double ps[] = {0.3, 0.5, 0.9, 1e-6, 3e-15};
    size_t i, j;
    reseed(3);
    for (i = 0; i < sizeof ns / sizeof ns[0]; i++)
        for (j = 0; j < sizeof ps / sizeof ps[0]; j++) {
            double zm, zv;
            moments(ns[i], ps[j], 400000, &zm, &zv);
            if (verbose) printf("n %lld p %g: mean z %.2f, variance z %.2f\n", (long long)ns[i], ps[j], zm, zv);
            CHECK(fabs(zm) < 5 && fabs(zv) < 6, "n %lld p %g: mean z %.2f variance z %.2f", (long long)ns[i], ps[j],
                  zm, zv);
        }
    /* not quantised: counts near 1e18 take odd and even values, all residues mod 256 */
    {
        int seen[256] = {0}, distinct = 0, r;
        for (r = 0; r < 20000; r++) seen[nd_binomial(&bits, ND_BINOMIAL_MAX_N, 0.3) & 255] = 1;
        for (r = 0; r < 256; r++) distinct += seen[r];
        CHECK(distinct == 256, "n = 2^62: only %d residues mod 256", distinct);
    }
}

/* the table entry: same numbers as nd_binomial element after element, -1 for bad
 * parameters, float32 parameters read as float */
static void test_elementwise(void)
{
    const nd_ew_kernel *k = nd_ew_find("binomial");
    double n[6] = {10, 1e6, 2.5, -3, 4611686018427387904.0, 100}, p[6] = {0.3, 0.3, 0.5, 0.5, 0.25, NAN};
    float nf[6], pf[6];
    int64_t out[6], ref[6];
    int i;
    CHECK(k != NULL && k->nparams == 2 && k->out_int64 == 1, "binomial entry");
    if (k == NULL) return;
    reseed(4);
    k->f64(&bits, 6, (char *)out, 8, (const char *)n, 8, (const char *)p, 8);
    reseed(4);
    ref[0] = nd_binomial(&bits, 10, 0.3);
    ref[1] = nd_binomial(&bits, 1000000, 0.3);
    ref[2] = -1;
    ref[3] = -1;
    ref[4] = nd_binomial(&bits, ND_BINOMIAL_MAX_N, 0.25);
    ref[5] = -1;
    for (i = 0; i < 6; i++) CHECK(out[i] == ref[i], "f64 element %d: %lld vs %lld", i, (long long)out[i], (long long)ref[i]);
    for (i = 0; i < 6; i++) { nf[i] = (float)n[i]; pf[i] = (float)p[i]; }
    reseed(4);
    k->f32(&bits, 6, (char *)out, 8, (const char *)nf, 4, (const char *)pf, 4);
    reseed(4);
    ref[0] = nd_binomial(&bits, 10, (double)0.3f);
    ref[1] = nd_binomial(&bits, 1000000, (double)0.3f);
    ref[4] = nd_binomial(&bits, ND_BINOMIAL_MAX_N, 0.25);
    for (i = 0; i < 6; i++) CHECK(out[i] == ref[i], "f32 element %d: %lld vs %lld", i, (long long)out[i], (long long)ref[i]);
    /* defaults: n = 1, p = 0.5 */
    reseed(5);
    k->f64(&bits, 6, (char *)out, 8, NULL, 0, NULL, 0);
    for (i = 0; i < 6; i++) CHECK(out[i] == 0 || out[i] == 1, "default draw %lld", (long long)out[i]);
}

/* Long runs of one binomial decide most acceptance tests from a table of pmf ratios;
 * the numbers must be those of the same draws without it (parameters given as
 * arrays take the element-by-element path, which has no table). */
static void test_ratio_table_same_numbers(void)
{
    enum { N = 200000 };
    static const double ns[] = {45, 200, 1e6, 2e3, 1e7, 1e12, 4611686018427387904.0};
    static const double ps[] = {0.5, 0.7, 0.3, 0.02, 0.5, 0.3, 0.4};
    static int64_t a[N], b[N];
    static double na[N], pa[N];
    static float nf[N], pf[N];
    const nd_ew_kernel *k = nd_ew_find("binomial");
    size_t c;
    intptr_t i;
    for (c = 0; c < sizeof ns / sizeof ns[0]; c++) {
        for (i = 0; i < N; i++) { na[i] = ns[c]; pa[i] = ps[c]; nf[i] = (float)ns[c]; pf[i] = (float)ps[c]; }
        reseed(40 + c);
        k->f64(&bits, N, (char *)a, 8, (const char *)&ns[c], 0, (const char *)&ps[c], 0);
        reseed(40 + c);
        k->f64(&bits, N, (char *)b, 8, (const char *)na, 8, (const char *)pa, 8);
        CHECK(memcmp(a, b, sizeof a) == 0, "f64 n %g p %g: the table changed the numbers", ns[c], ps[c]);
        reseed(50 + c);
        k->f32(&bits, N, (char *)a, 8, (const char *)nf, 0, (const char *)pf, 0);
        reseed(50 + c);
        k->f32(&bits, N, (char *)b, 8, (const char *)nf, 4, (const char *)pf, 4);
        CHECK(memcmp(a, b, sizeof a) == 0, "f32 n %g p %g: the table changed the numbers", ns[c], ps[c]);
    }
}

static void test_multinomial(void)
{
    enum { K = 5, R = 4 };
    double p[R][K] = {{0.1, 0.2, 0.3, 0.4, 0.0}, {1, 1, 1, 1, 1}, {0.5, NAN, 0.5, 0, 0}, {0, 0, 0, 0, 0}};
    int64_t n[R] = {1000, INT64_C(1000000000000), 10, 10}, out[R][K], n_bad = -5;
    int r, j, rc;
    reseed(6);
    rc = random_multinomial_fill(&bits, R, K, n, 8, &p[0][0], K * 8, 8, &out[0][0], K * 8, 8, NULL);
    CHECK(rc == ND_OK, "status %d", rc);
    for (r = 0; r < 2; r++) {
        int64_t s = 0;
        for (j = 0; j < K; j++) { CHECK(out[r][j] >= 0, "row %d count %lld", r, (long long)out[r][j]); s += out[r][j]; }
        CHECK(s == n[r], "row %d sums to %lld, not %lld", r, (long long)s, (long long)n[r]);
    }
    CHECK(out[0][4] == 0, "zero probability got %lld", (long long)out[0][4]);
    for (r = 2; r < 4; r++)
        for (j = 0; j < K; j++) CHECK(out[r][j] == -1, "bad row %d: %lld", r, (long long)out[r][j]);
    rc = random_multinomial_fill(&bits, 1, K, &n_bad, 0, &p[1][0], 0, 8, &out[0][0], 0, 8, NULL);
    CHECK(rc == ND_OK && out[0][0] == -1 && out[0][4] == -1, "negative n");
    /* K above the stack buffer without a workspace: refused, nothing written */
    {
        int64_t one = 1, sentinel = 77;
        double dummy = 1.0;
        rc = random_multinomial_fill(&bits, 1, ND_MULTINOMIAL_STACK_K + 1, &one, 0, &dummy, 0, 0, &sentinel, 0, 0, NULL);
        CHECK(rc == ND_E_NOMEM && sentinel == 77, "large K without workspace: %d", rc);
    }
    /* marginal means over many rows: n p_j within 5 standard errors, on the alias
     * path (n <= 16 K) and the conditional-binomial path; rows sum to n */
    {
        enum { ROWS = 20000 };
        static int64_t o[ROWS][K];
        static const int64_t counts[2] = {37, 500};
        double q[K] = {0.05, 0.25, 0.4, 0.3, 0.0};
        int c;
        for (c = 0; c < 2; c++) {
            double sums[K] = {0};
            int64_t nn = counts[c];
            int sum_ok = 1;
            reseed(7 + c);
            random_multinomial_fill(&bits, ROWS, K, &nn, 0, q, 0, 8, &o[0][0], K * 8, 8, NULL);
            for (r = 0; r < ROWS; r++) {
                int64_t s = 0;
                for (j = 0; j < K; j++) { sums[j] += (double)o[r][j]; s += o[r][j]; }
                sum_ok &= s == nn;
            }
            CHECK(sum_ok, "n %lld: rows do not sum to n", (long long)nn);
            for (j = 0; j < K; j++) {
                double mu = nn * q[j], se = sqrt(nn * q[j] * (1 - q[j]) / ROWS) + 1e-12;
                CHECK(fabs(sums[j] / ROWS - mu) < 5 * se + 1e-12, "n %lld category %d mean %g vs %g", (long long)nn, j,
                      sums[j] / ROWS, mu);
            }
        }
    }
}

/* Long runs of one binomial go through windows of words (vector passes at the
 * SIMD level of nd_exponential_simd_level, then a scan over the tries): at every
 * level (capped through nd_exponential_level_cap) the values and the words
 * consumed must be those of the element-by-element rule (parameters as arrays),
 * for runs of many lengths started at many places of a block (windows end at
 * the block's end, where a two-word try straddles two blocks), for flipped
 * p > 1/2, float32 parameters and strided output. */
extern int nd_exponential_level_cap;
static void test_windows_same_numbers_at_every_level(void)
{
    enum { N = 70001 };
    static const double ns[] = {20, 45, 200, 1000, 1e5, 1e6, 4e6, 1e7, 1e12};
    static const double ps[] = {0.5, 0.5, 0.7, 0.3, 0.999, 0.3, 0.25, 0.5, 0.3};
    static const intptr_t lens[] = {1, 7, 300, 4097, 20011, N};
    static int64_t a[2 * N], b[2 * N];
    static double na[N], pa[N];
    static const int caps[] = {3, 2, 0};
    const nd_ew_kernel *k = nd_ew_find("binomial");
    size_t c, l, v;
    intptr_t i;
    for (v = 0; v < sizeof caps / sizeof caps[0]; v++) {
        nd_exponential_level_cap = caps[v];
        for (c = 0; c < sizeof ns / sizeof ns[0]; c++)
            for (l = 0; l < sizeof lens / sizeof lens[0]; l++) {
                intptr_t n = lens[l], os = (l & 1) ? 2 : 1, skip = (intptr_t)(c * 977 + l * 331) % ND_XO_BLOCK;
                uint64_t wa, wb;
                int same;
                for (i = 0; i < n; i++) { na[i] = ns[c]; pa[i] = ps[c]; }
                memset(a, 0, sizeof a);
                memset(b, 0, sizeof b);
                reseed(60 + c + 10 * l);
                for (i = 0; i < skip; i++) nd_bits_next64(&bits);
                if (l == 2) {
                    float nf = (float)ns[c], pf = (float)ps[c];
                    k->f32(&bits, n, (char *)a, 8 * os, (const char *)&nf, 0, (const char *)&pf, 0);
                } else {
                    k->f64(&bits, n, (char *)a, 8 * os, (const char *)&ns[c], 0, (const char *)&ps[c], 0);
                }
                wa = consumed();
                reseed(60 + c + 10 * l);
                for (i = 0; i < skip; i++) nd_bits_next64(&bits);
                if (l == 2) for (i = 0; i < n; i++) { na[i] = (double)(float)ns[c]; pa[i] = (double)(float)ps[c]; }
                k->f64(&bits, n, (char *)b, 8 * os, (const char *)na, 8, (const char *)pa, 8);
                wb = consumed();
                same = memcmp(a, b, sizeof(int64_t) * (size_t)(n * os)) == 0;
                CHECK(same && wa == wb, "level cap %d n %g p %g length %ld: values %s, words %llu vs %llu",
                      caps[v], ns[c], ps[c], (long)n, same ? "same" : "differ", (unsigned long long)wa,
                      (unsigned long long)wb);
            }
    }
    nd_exponential_level_cap = 3;
}

int main(int argc, char **argv)
{
    verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    test_defined_values();
    test_extremes();
    test_log_ratio();
    test_log_ratio_mpmath();
    test_squeeze_bounds();
    test_huge_counts();
    test_elementwise();
    test_ratio_table_same_numbers();
    test_windows_same_numbers_at_every_level();
    test_multinomial();
    if (fails) printf("%d failures\n", fails);
    return fails != 0;
}
