/* Standalone checks of the truncated_normal kernel (csrc/truncated_normal.c) and of
 * the log-space normal functions (csrc/special_normal.c); no Python.
 *   test_truncated_normal      run all checks
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numdist/bitgen.h"
#include "numdist/elementwise.h"
#include "numdist/special.h"
#include "numdist/xoshiro256.h"

#define ND_TEST_STREAM
#include "check.h"

static const nd_ew_kernel *K;

static void reseed(uint64_t a)
{
    nd_xoshiro_seed(&xo, a * UINT64_C(0x9e3779b97f4a7c15) + 1, a ^ UINT64_C(0xd1b54a32d192ed03));
    nd_bits_init_xoshiro(&bits, &xo);
}


static const double INF = 1.0 / 0.0;

/* intervals every sampler branch sees: straddling 0 wide/narrow, tails near/far,
 * narrow tails, mirrored ones, huge and tiny bounds */
static const double IV[][2] = {
    {-INFINITY, INFINITY}, {-1.0, 2.0}, {-0.1, 0.1}, {-1e-300, 1e-300}, {0.0, INFINITY},
    {0.0, 0.5}, {8.0, 9.0}, {8.0, 8.001}, {30.0, INFINITY}, {-INFINITY, -30.0}, {-40.0, -39.0},
    {1e6, INFINITY}, {1e300, INFINITY}, {-1e300, 1e300}, {5e-324, 1e-323}, {2.0, 2.5}, {-3.0, -2.9},
};
#define NIV (sizeof IV / sizeof IV[0])

static void draw_n(intptr_t n, double *out, double a, double b)
{
    K->f64(&bits, n, (char *)out, 8, (const char *)&a, 0, (const char *)&b, 0);
}

static void test_bounds_and_means(void)
{
    enum { N = 200000 };
    static double x[N];
    size_t j;
    for (j = 0; j < NIV; j++) {
        double a = IV[j][0], b = IV[j][1], s = 0, s2 = 0, mean, se, ref;
        intptr_t i, out = 0;
        uint64_t c0;
        reseed(10 + j);
        c0 = consumed();
        draw_n(N, x, a, b);
        for (i = 0; i < N; i++) {
            if (!(x[i] >= a && x[i] <= b)) out++;
            s += x[i];
            s2 += x[i] * x[i];
        }
        CHECK(out == 0, "[%g, %g]: %ld draws outside", a, b, (long)out);
        CHECK((double)(consumed() - c0) < 4.0 * N, "[%g, %g]: %.2f words per draw", a, b,
              (double)(consumed() - c0) / N);
        /* the mean of a one-sided or two-sided tail: phi/Z by the inverse Mills ratio */
        mean = s / N;
        se = sqrt(fmax(s2 / N - mean * mean, 0.0) / N);
        if (b == INF && a > -INF && a < 1e5) ref = nd_log_ndtr_grad(-a);
        else if (a == -INF && b < INF) ref = -nd_log_ndtr_grad(b);
        else if (a == -INF && b == INF) ref = 0.0;
        else continue;
        CHECK(fabs(mean - ref) <= 5 * se + 1e-12 * fabs(ref), "[%g, %g]: mean %.10g vs %.10g (se %.2g)", a, b, mean,
              ref, se);
    }
    /* [8, 9]: mean 8.121188992979867 (mpmath) */
    {
        double s = 0, s2 = 0, mean, se;
        intptr_t i;
        reseed(3);
        draw_n(N, x, 8.0, 9.0);
        for (i = 0; i < N; i++) s += x[i], s2 += x[i] * x[i];
        mean = s / N;
        se = sqrt((s2 / N - mean * mean) / N);
        CHECK(fabs(mean - 8.121188992979867) < 5 * se, "[8, 9]: mean %.10g (se %.2g)", mean, se);
    }
}

/* words per draw stay bounded over a grid of one-sided intervals [a, a + w] (both
 * sides of every branch switch: w lam = 1, b - a = sqrt(2 pi)) and intervals around 0 */
static void test_bounded_cost(void)
{
    enum { N = 20000 };
    static double x[N];
    static const double as[] = {0.0, 0.1, 0.5, 1.0, 2.0, 4.0, 8.0, 30.0, 1e3};
    static const double ws[] = {1e-6, 0.01, 0.1, 0.3, 0.5, 0.9, 1.0, 1.1, 2.0, 2.5, 5.0, INFINITY};
    double worst = 0;
    size_t i, j;
    for (i = 0; i < sizeof as / sizeof as[0]; i++)
        for (j = 0; j < sizeof ws / sizeof ws[0]; j++) {
            double lo[2] = {as[i], -as[i] * 0.5 - 1e-3}, hi[2] = {as[i] + ws[j], -as[i] * 0.5 + ws[j]};
            int s;
            for (s = 0; s < 2; s++) {
                uint64_t c0;
                double words;
                if (!(lo[s] < hi[s])) continue;
                reseed(100 + i * 31 + j);
                c0 = consumed();
                draw_n(N, x, lo[s], hi[s]);
                words = (double)(consumed() - c0) / N;
                worst = words > worst ? words : worst;
                CHECK(words < 5.0, "[%g, %g]: %.2f words per draw", lo[s], hi[s], words);
            }
        }
    printf("truncated_normal: at most %.2f words per draw over the grid\n", worst);
}

static void test_bad_bounds(void)
{
    static const double bad[][2] = {{NAN, 1.0}, {0.0, NAN}, {2.0, 1.0}, {INFINITY, INFINITY},
                                    {-INFINITY, -INFINITY}, {INFINITY, -INFINITY}};
    double x[8];
    size_t j;
    for (j = 0; j < sizeof bad / sizeof bad[0]; j++) {
        reseed(5);
        draw_n(8, x, bad[j][0], bad[j][1]);
        CHECK(x[0] != x[0] && x[7] != x[7], "[%g, %g] gives %g, not NaN", bad[j][0], bad[j][1], x[0]);
    }
    reseed(5);
    draw_n(8, x, 3.0, 3.0);
    CHECK(x[0] == 3.0 && x[7] == 3.0 && consumed() == 0, "a == b: %g, %llu words", x[0],
          (unsigned long long)consumed());
}

static void test_special(void)
{
    /* log Phi and its inverse: values of mpmath (50 digits) */
    CHECK(fabs(nd_log_ndtr(-40.0) / -804.60844201375379 - 1) < 1e-15, "log_ndtr(-40) %.17g", nd_log_ndtr(-40.0));
    CHECK(fabs(nd_log_ndtr(-1.0) / -1.8410216450092636 - 1) < 1e-15, "log_ndtr(-1) %.17g", nd_log_ndtr(-1.0));
    CHECK(fabs(nd_log_ndtr(8.0) / -6.2209605742717861e-16 - 1) < 1e-13, "log_ndtr(8) %.17g", nd_log_ndtr(8.0));
    CHECK(fabs(nd_log_ndtr_grad(-30.0) / 30.033259667433677 - 1) < 1e-15, "log_ndtr_grad(-30) %.17g",
          nd_log_ndtr_grad(-30.0));
    CHECK(nd_log_ndtr(-INFINITY) == -INFINITY && nd_log_ndtr(INFINITY) == 0.0, "log_ndtr at infinity");
    CHECK(isnan(nd_log_ndtr(NAN)) && isnan(nd_ndtri_exp(0.5)) && nd_ndtri_exp(0.0) == INFINITY, "NaN/edges");
    {
        static const double z[] = {-1e4, -300.0, -38.0, -20.0, -5.0, -0.3, 0.0, 0.7, 3.0, 7.0};
        size_t i;
        for (i = 0; i < sizeof z / sizeof z[0]; i++) {
            double back = nd_ndtri_exp(nd_log_ndtr(z[i]));
            CHECK(fabs(back - z[i]) <= 1e-13 * fmax(1.0, fabs(z[i])), "ndtri_exp(log_ndtr(%g)) = %.17g", z[i], back);
        }
    }
    /* mixture of normals against the direct sum of densities */
    {
        const double mu[3] = {-1.0, 0.5, 4.0}, sig[3] = {0.5, 1.0, 2.0}, w[3] = {0.2, 0.5, 0.3};
        double inv[3], c[3], xs[5] = {-3.0, 0.0, 1.0, 10.0, NAN}, out[5];
        int k, i;
        for (k = 0; k < 3; k++) inv[k] = 1 / sig[k], c[k] = log(w[k]) - log(sig[k]) - 0.91893853320467274178;
        nd_normal_mixture_logpdf(5, xs, 8, 3, mu, inv, c, NULL, out, 8);
        for (i = 0; i < 4; i++) {
            double p = 0;
            for (k = 0; k < 3; k++) p += w[k] * exp(-0.5 * pow((xs[i] - mu[k]) / sig[k], 2)) / (sig[k] * 2.5066282746310002);
            CHECK(fabs(out[i] - log(p)) < 1e-13 * fmax(1.0, fabs(log(p))), "mixture at %g: %.17g vs %.17g", xs[i],
                  out[i], log(p));
        }
        CHECK(isnan(out[4]), "mixture at NaN: %g", out[4]);
    }
}

int main(void)
{
    K = nd_ew_find("truncated_normal");
    if (K == NULL) {
        printf("FAIL: truncated_normal not in the table\n");
        return 1;
    }
    test_bounds_and_means();
    test_bounded_cost();
    test_bad_bounds();
    test_special();
    if (fails) {
        printf("test_truncated_normal: %d failures\n", fails);
        return 1;
    }
    printf("test_truncated_normal: ok\n");
    return 0;
}
