/* Standalone checks of the Poisson and negative binomial kernels (numdist/poisson.h,
 * csrc/poisson.c); no Python.  Statistical goodness of fit is in
 * tests/test_poisson_negbin.py (chi-square against scipy); here: the kernels give
 * the scalar rule's numbers and words on every path (constant rate table / window,
 * varying rates, strides, block boundaries), the documented values for bad
 * parameters without drawing, termination for extreme rates, and moments.
 *   test_poisson      run all checks
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numdist/bitgen.h"
#include "numdist/elementwise.h"
#include "numdist/gamma.h"
#include "numdist/poisson.h"
#include "numdist/xoshiro256.h"

#define ND_TEST_STREAM
#include "check.h"


static void reseed(uint64_t a)
{
    uint64_t k0 = (a + 3) * UINT64_C(0x9e3779b97f4a7c15), k1 = (a + 11) * UINT64_C(0xd1b54a32d192ed03);
    nd_xoshiro_seed(&xo, k0 ^ (k0 >> 29), k1 ^ (k1 >> 31));
    nd_bits_init_xoshiro(&bits, &xo);
}


#define N 300000
static int64_t A[N], B[N];
static double P[N];

static const double rates[] = {1e-300, 0.05, 1.0, 3.7, 9.999999, 10.0, 12.0, 25.0, 1000.0, 4000.0,
                               1e6, 1e12, 1e18, ND_POISSON_LAM_MAX};

/* the table kernel (constant rate: inversion table / PTRS windows) and the
 * varying-rate kernel give nd_poisson's numbers and words, also when the
 * stream starts at an odd word (tries straddling block boundaries) */
static void test_paths_agree(void)
{
    const nd_ew_kernel *k = nd_ew_find("poisson");
    size_t r;
    CHECK(k != NULL && k->out_int64 == 1 && k->nparams == 1, "poisson kernel entry");
    for (r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        double lam = rates[r];
        int skip;
        for (skip = 0; skip < 2; skip++) {
            intptr_t i, n = 70001;
            uint64_t c1, c2, c3;
            reseed(r);
            for (i = 0; i < skip; i++) nd_bits_next64(&bits);
            k->f64(&bits, n, (char *)A, 8, (const char *)&lam, 0, NULL, 0);
            c1 = consumed();
            reseed(r);
            for (i = 0; i < skip; i++) nd_bits_next64(&bits);
            for (i = 0; i < n; i++) B[i] = nd_poisson(&bits, lam);
            c2 = consumed();
            CHECK(memcmp(A, B, (size_t)n * 8) == 0, "lam %g: constant-rate kernel differs from nd_poisson", lam);
            CHECK(c1 == c2, "lam %g: words %llu vs %llu", lam, (unsigned long long)c1, (unsigned long long)c2);
            /* varying path: the same rate read with a non-zero stride */
            for (i = 0; i < n; i++) P[i] = lam;
            reseed(r);
            for (i = 0; i < skip; i++) nd_bits_next64(&bits);
            k->f64(&bits, n, (char *)A, 8, (const char *)P, 8, NULL, 0);
            c3 = consumed();
            CHECK(memcmp(A, B, (size_t)n * 8) == 0, "lam %g: strided kernel differs from nd_poisson", lam);
            CHECK(c3 == c2, "lam %g: strided words", lam);
        }
    }
}

/* mixed rates, negative output stride, float32 parameters */
static void test_mixed_strided_f32(void)
{
    const nd_ew_kernel *k = nd_ew_find("poisson");
    static float Pf[N];
    intptr_t i, n = 50000;
    for (i = 0; i < n; i++) {
        P[i] = (i % 7 == 0) ? 2500.5 : (i % 3 == 0 ? 0.3 : 11.0 + (double)(i % 50));
        Pf[i] = (float)P[i];
    }
    reseed(99);
    k->f64(&bits, n, (char *)(A + n - 1), -8, (const char *)P, 8, NULL, 0);
    reseed(99);
    for (i = 0; i < n; i++) B[n - 1 - i] = nd_poisson(&bits, P[i]);
    CHECK(memcmp(A, B, (size_t)n * 8) == 0, "mixed rates, negative stride");
    reseed(99);
    k->f32(&bits, n, (char *)A, 8, (const char *)Pf, 4, NULL, 0);
    reseed(99);
    for (i = 0; i < n; i++) B[i] = nd_poisson(&bits, (double)Pf[i]);
    CHECK(memcmp(A, B, (size_t)n * 8) == 0, "float32 rates");
}

static void test_bad_rates(void)
{
    const nd_ew_kernel *k = nd_ew_find("poisson");
    const double bad[] = {NAN, -1.0, -0.0, 0.0, INFINITY, -INFINITY, 1e19, 2 * ND_POISSON_LAM_MAX};
    const int64_t want[] = {-1, -1, 0, 0, INT64_MAX, -1, INT64_MAX, INT64_MAX};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t c0;
        int64_t v;
        intptr_t j;
        reseed(5);
        c0 = consumed();
        v = nd_poisson(&bits, bad[i]);
        CHECK(v == want[i], "nd_poisson(%g) = %lld, want %lld", bad[i], (long long)v, (long long)want[i]);
        k->f64(&bits, 1000, (char *)A, 8, (const char *)&bad[i], 0, NULL, 0);
        for (j = 0; j < 1000; j++) CHECK(A[j] == want[i], "kernel(%g)[%ld] = %lld", bad[i], (long)j, (long long)A[j]);
        CHECK(consumed() == c0, "no words for rate %g", bad[i]);
    }
}

static void moments(const int64_t *x, intptr_t n, double *m, double *v)
{
    double s = 0, s2 = 0;
    intptr_t i;
    for (i = 0; i < n; i++) s += (double)x[i];
    *m = s / (double)n;
    for (i = 0; i < n; i++) s2 += ((double)x[i] - *m) * ((double)x[i] - *m);
    *v = s2 / (double)(n - 1);
}

static void test_moments(void)
{
    const nd_ew_kernel *k = nd_ew_find("poisson");
    size_t r;
    for (r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        double lam = rates[r], m, v, se;
        reseed(100 + r);
        k->f64(&bits, N, (char *)A, 8, (const char *)&lam, 0, NULL, 0);
        moments(A, N, &m, &v);
        se = sqrt(lam / N);
        CHECK(fabs(m - lam) < 6 * se + 1e-300 || lam > 1e17, "lam %g: mean %.17g", lam, m);
        if (lam >= 0.05 && lam < 1e15) CHECK(fabs(v / lam - 1) < 6 * sqrt(2.0 / N) * (1 + 1 / sqrt(lam)), "lam %g: var %.17g", lam, v);
        if (lam > 1e17) CHECK(fabs(m / lam - 1) < 1e-12, "lam %g: mean %.17g", lam, m);
    }
}

static void test_negative_binomial(void)
{
    const nd_ew_kernel *k = nd_ew_find("negative_binomial_odds");
    const double ns[] = {0.5, 3.0, 50.0}, odds[] = {0.2, 1.5, 40.0};
    size_t a, b;
    intptr_t i;
    CHECK(k != NULL && k->out_int64 == 1 && k->nparams == 2, "negative_binomial_odds entry");
    for (a = 0; a < 3; a++)
        for (b = 0; b < 3; b++) {
            double n = ns[a], o = odds[b], m, v, mean = n * o, var = n * o * (1 + o);
            uint64_t c1, c2;
            reseed(200 + 3 * a + b);
            k->f64(&bits, N, (char *)A, 8, (const char *)&n, 0, (const char *)&o, 0);
            c1 = consumed();
            moments(A, N, &m, &v);
            CHECK(fabs(m - mean) < 6 * sqrt(var / N), "nb(%g, %g): mean %g want %g", n, o, m, mean);
            CHECK(fabs(v / var - 1) < 0.1, "nb(%g, %g): var %g want %g", n, o, v, var);
            reseed(200 + 3 * a + b);
            for (i = 0; i < N; i++) B[i] = nd_poisson(&bits, nd_standard_gamma(&bits, n) * o);
            c2 = consumed();
            CHECK(memcmp(A, B, (size_t)N * 8) == 0 && c1 == c2, "nb(%g, %g): not gamma then poisson", n, o);
        }
    {
        const double bn[] = {NAN, -1.0, 2.0, 0.0, 2.0, INFINITY, 2.0, 0.0};
        const double bo[] = {1.0, 1.0, NAN, 1.0, 0.0, 1.0, INFINITY, INFINITY};
        const int64_t want[] = {-1, -1, -1, 0, 0, INT64_MAX, INT64_MAX, 0};
        for (a = 0; a < sizeof bn / sizeof bn[0]; a++) {
            uint64_t c0;
            reseed(7);
            c0 = consumed();
            k->f64(&bits, 10, (char *)A, 8, (const char *)&bn[a], 0, (const char *)&bo[a], 0);
            CHECK(A[0] == want[a] && A[9] == want[a], "nb(%g, %g) = %lld", bn[a], bo[a], (long long)A[0]);
            CHECK(consumed() == c0, "nb(%g, %g) drew words", bn[a], bo[a]);
        }
    }
    { /* huge and tiny mixtures terminate */
        double n = 1e300, o = 1e10, t = 1e-300;
        reseed(8);
        k->f64(&bits, 100, (char *)A, 8, (const char *)&n, 0, (const char *)&o, 0);
        CHECK(A[0] == INT64_MAX, "nb(1e300, 1e10) = %lld", (long long)A[0]);
        k->f64(&bits, 1000, (char *)A, 8, (const char *)&t, 0, (const char *)&o, 0);
        for (i = 0; i < 1000; i++) CHECK(A[i] >= 0, "nb(1e-300, 1e10) = %lld", (long long)A[i]);
    }
}

int main(void)
{
    test_paths_agree();
    test_mixed_strided_f32();
    test_bad_rates();
    test_moments();
    test_negative_binomial();
    if (fails) printf("test_poisson: %d failures\n", fails);
    return fails ? 1 : 0;
}
