/* Spot values of the Gamma/Beta special functions (csrc/special_gamma.c,
 * special_beta.c) against mpmath at 40 digits; the full grids are in
 * tests/test_special.py. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "numdist/special.h"
#include "../special_impl.h"

static int failures = 0;

#define CHECK(expr, ref) check(#expr, (expr), (ref))

static void check(const char *what, double got, double ref)
{
    double err = fabs(got - ref) / fabs(ref);
    if (!(err <= 1e-13)) {
        printf("FAIL %s = %.17g, reference %.17g (rel %.2g)\n", what, got, ref, err);
        failures++;
    }
}

int main(void)
{
    double da, db;
    CHECK(nd_lgamma(0.5), 0.5723649429247001);
    CHECK(nd_lgamma(1e-5), 11.512919692895826);
    CHECK(nd_lgamma(123.25), 468.6144829505166);
    CHECK(nd_digamma(1.5), 0.03648997397857652);
    CHECK(nd_digamma(0.001), -1000.5755719318103);
    CHECK(nd_digamma(25.5), 3.2189424728839198);
    CHECK(nd_trigamma(0.25), 17.19732915450711);
    CHECK(nd_trigamma(50.0), 0.020201333226697125);
    CHECK(nd_gammainc_p(0.5, 0.2), 0.4729107431344619);
    CHECK(nd_gammainc_q(0.5, 0.2), 0.5270892568655381);
    CHECK(nd_gammainc_p_da(0.5, 0.2), -0.8201614064863388);
    CHECK(nd_gamma_sample_grad(0.5, 0.2), 0.7940505663308434);
    CHECK(nd_gammainc_p(2.5, 3.0), 0.6937810815867216);
    CHECK(nd_gammainc_q(2.5, 3.0), 0.3062189184132784);
    CHECK(nd_gammainc_p_da(2.5, 3.0), -0.22754855127826082);
    CHECK(nd_gamma_sample_grad(2.5, 3.0), 1.1692620067376636);
    CHECK(nd_gammainc_p(100.0, 90.0), 0.15822098918643016);
    CHECK(nd_gammainc_q(100.0, 90.0), 0.8417790108135699);
    CHECK(nd_gammainc_p_da(100.0, 90.0), -0.02461191684397991);
    CHECK(nd_gamma_sample_grad(100.0, 90.0), 0.9498259498011414);
    CHECK(nd_gammainc_p(100.0, 120.0), 0.9721362601094793);
    CHECK(nd_gammainc_q(100.0, 120.0), 0.027863739890520663);
    CHECK(nd_gammainc_p_da(100.0, 120.0), -0.006213185929140656);
    CHECK(nd_gamma_sample_grad(100.0, 120.0), 1.0957525107070083);
    CHECK(nd_gammainc_p(0.001, 1e-05), 0.9891230446957827);
    CHECK(nd_gammainc_q(0.001, 1e-05), 0.01087695530421733);
    CHECK(nd_gammainc_p_da(0.001, 1e-05), -10.81839829908634);
    CHECK(nd_gamma_sample_grad(0.001, 1e-05), 0.10937472778081825);
    /* one point per method of nd_gamma_sample_grad_fill: Temme (x = a exactly,
     * above and below the median), fraction and series lanes, the scalar tiny-z
     * path, the scalar path beyond GV_A_MAX, series lanes for a >= 30 */
    CHECK(nd_gamma_sample_grad(30.0, 30.0), 1.0055737170827104);
    CHECK(nd_gamma_sample_grad(50.0, 80.0), 1.2575002982313406);
    CHECK(nd_gamma_sample_grad(1000.0, 1020.0), 1.0101023292255482);
    CHECK(nd_gamma_sample_grad(10000.0, 9000.0), 0.9482604393016554);
    CHECK(nd_gamma_sample_grad(5.0, 12.0), 1.5508363766251059);
    CHECK(nd_gamma_sample_grad(0.7, 4.0), 2.6389603889779396);
    CHECK(nd_gamma_sample_grad(0.0001, 1e-25), 5.69875761413368e-20);
    CHECK(nd_gamma_sample_grad(200000.0, 90000.0), 0.653325011847491);
    CHECK(nd_gamma_sample_grad(40.0, 19.0), 0.6763008898611291);
    {
        /* the fill: strided and broadcast (stride 0) inputs, the g and rate factors,
         * out aliasing an input, the same bits as one element at a time */
        double a[6] = {0.3, 2.5, 45.0, 1e-4, 7.0, 1e3}, z[6] = {0.01, 9.0, 47.0, 1e-30, 2.0, 1100.0};
        double buf[12], out[6], g = 3.0, rate[6] = {0.5, 1.0, 2.0, 4.0, 1.5, 0.25};
        int i;
        for (i = 0; i < 6; i++) { buf[2 * i] = z[i]; buf[2 * i + 1] = -1.0; }
        nd_gamma_sample_grad_fill(6, a, sizeof(double), buf, 2 * sizeof(double), &g, 0, rate,
                                  sizeof(double), out, sizeof(double));
        for (i = 0; i < 6; i++)
            if (out[i] != g * nd_gamma_sample_grad(a[i], z[i]) / rate[i]) {
                printf("FAIL gamma_sample_grad_fill element %d\n", i);
                failures++;
            }
        nd_gamma_sample_grad_fill(6, a, sizeof(double), z, sizeof(double), NULL, 0, NULL, 0, z,
                                  sizeof(double)); /* in place */
        for (i = 0; i < 6; i++)
            if (z[i] != nd_gamma_sample_grad(a[i], buf[2 * i])) {
                printf("FAIL gamma_sample_grad_fill in place %d\n", i);
                failures++;
            }
    }
    {
        /* Gamma.rsample_vjp's one-pass backward: the concentration cotangent as the
         * fill, the rate cotangent -(g (z / rate)) / rate with numpy's operation
         * order (unit rates included: the divisions skipped there change no bit),
         * over the series, fraction, Temme and tiny-z regions; strided and
         * broadcast (stride 0) g */
        double a[8] = {0.3, 2.5, 45.0, 1e-4, 7.0, 1e3, 4.0, 0.5};
        double z[8] = {0.01, 9.0, 47.0, 1e-30, 2.0, 1100.0, 4.5, 1e-21};
        double g[16], rate[8] = {0.5, 1.0, 2.0, 1.0, 1.5, 0.25, 3.0, 1.0};
        double dc[8], dr[8], ref[8], g1 = -2.0;
        int i;
        for (i = 0; i < 8; i++) { g[2 * i] = 0.5 + i; g[2 * i + 1] = NAN; }
        nd_gamma_sample_grad_fill(8, a, sizeof(double), z, sizeof(double), g, 2 * sizeof(double),
                                  rate, sizeof(double), ref, sizeof(double));
        nd_gamma_rsample_grads_fill(8, a, sizeof(double), z, sizeof(double), g, 2 * sizeof(double),
                                    rate, sizeof(double), dc, sizeof(double), dr, sizeof(double));
        for (i = 0; i < 8; i++) {
            double x = z[i] / rate[i], d = -((g[2 * i] * x) / rate[i]);
            if (dc[i] != ref[i] || dr[i] != d) {
                printf("FAIL gamma_rsample_grads_fill element %d: %.17g %.17g, %.17g %.17g\n", i,
                       dc[i], ref[i], dr[i], d);
                failures++;
            }
        }
        nd_gamma_rsample_grads_fill(8, a, sizeof(double), z, sizeof(double), &g1, 0, NULL, 0, dc,
                                    sizeof(double), dr, sizeof(double));
        for (i = 0; i < 8; i++)
            if (dc[i] != g1 * nd_gamma_sample_grad(a[i], z[i]) || dr[i] != -(g1 * z[i])) {
                printf("FAIL gamma_rsample_grads_fill broadcast g, no rate, element %d\n", i);
                failures++;
            }
    }
    {
        /* the vector region classifiers (the full one, and the plain-block one
         * where it applies) = the scalar one (the class picks the method, so the
         * bits): a grid over every boundary, plus edge values; run under each
         * NUMDIST_SIMD_MAX to check each level's build */
        static double ga[4096], gx[4096];
        static const double as_[] = {-1.0, 0.0, 5e-5, 1e-4, 0.3, 1.0, 2.5, 29.9, 30.0, 31.0,
                                     1e3, 99999.0, 1e5, 1e300, INFINITY, NAN};
        static const double xs[] = {-1.0, 0.0, 1e-310, 2.2250738585072014e-308, 1e-21, 1e-20, 0.5,
                                    1.1, 1.1000000000000001, 2.0, 3.0, 4.6, 15.0, 15.6, 31.0,
                                    45.0, 51.0, 520.0, 1700.0, 1e30, 1e300, INFINITY, NAN};
        int na = sizeof as_ / sizeof as_[0], nx = sizeof xs / sizeof xs[0], i, k, n = 0, bad;
        for (i = 0; i < na; i++)
            for (k = 0; k < nx; k++) {
                ga[n] = as_[i];
                gx[n++] = xs[k];
                ga[n] = as_[i];
                gx[n++] = xs[k] * as_[i]; /* x/a on the Temme bounds too */
                ga[n] = as_[i];
                gx[n++] = as_[i] + 1.0 + sqrt(fabs(as_[i])) + xs[k] * 1e-15;
            }
        bad = nd_i_gamma_grad_class_mismatches(n, ga, gx);
        if (bad) { printf("FAIL %d class mismatches\n", bad); failures++; }
    }
    CHECK(nd_betainc(0.3, 0.3, 0.2), 0.3545229841223989);
    CHECK(nd_betainc_da(0.3, 0.3, 0.2), -1.0248807127256487);
    CHECK(nd_betainc_db(0.3, 0.3, 0.2), 0.6772231431723331);
    CHECK(nd_betainc(5.0, 0.7, 0.9), 0.43587540861971585);
    CHECK(nd_betainc_da(5.0, 0.7, 0.9), -0.05944812503981948);
    CHECK(nd_betainc_db(5.0, 0.7, 0.9), 0.5671721849930873);
    CHECK(nd_betainc(40.0, 60.0, 0.45), 0.8462247976813987);
    CHECK(nd_betainc_da(40.0, 60.0, 0.45), -0.027801706569232844);
    CHECK(nd_betainc_db(40.0, 60.0, 0.45), 0.020506282168790118);
    CHECK(nd_student_t_cdf(3.0, -1.5), 0.11529193262241152);
    {
        /* the array fills (eight elements per lane group) give the one-element
         * functions' bits at every level the CPU has, edges and invalid input
         * included */
        enum { N = 531 };
        static double a[N], b[N], x[N], t[N], ra[N], rb[N], rt[N], fa[N], fb[N], ft[N];
        int i, lv, bad = 0;
#if ND_I_LANES_X86
        int saved = nd_i_special_level;
#else
        int saved = 0;
#endif
        for (i = 0; i < N; i++) {
            a[i] = exp(-7.0 + 14.0 * ((i * 37) % N) / N);
            b[i] = exp(-7.0 + 14.0 * ((i * 91) % N) / N);
            x[i] = (0.5 + (i * 53) % N) / N;
            t[i] = -8.0 + 16.0 * ((i * 29) % N) / N;
        }
        x[7] = 0.0; x[8] = 1.0; x[9] = NAN; a[10] = -1.0; b[11] = INFINITY; x[12] = 1e-300;
        t[13] = 0.0; t[14] = INFINITY; a[15] = NAN; t[16] = 1e300; t[17] = -1e-300;
        for (i = 0; i < N; i++) {
            nd_beta_sample_grad(a[i], b[i], x[i], &ra[i], &rb[i]);
            rt[i] = nd_student_t_sample_grad_df(a[i], t[i]);
        }
        for (lv = saved; lv >= 0; lv--) {
            if (lv == 1) continue;
#if ND_I_LANES_X86
            nd_i_special_level = lv;
#endif
            nd_beta_sample_grad_fill(N, a, 8, b, 8, x, 8, fa, 8, fb, 8);
            nd_student_t_sample_grad_df_fill(N, a, 8, t, 8, ft, 8);
            for (i = 0; i < N; i++)
                bad += memcmp(&fa[i], &ra[i], 8) != 0 || memcmp(&fb[i], &rb[i], 8) != 0
                       || memcmp(&ft[i], &rt[i], 8) != 0;
        }
#if ND_I_LANES_X86
        nd_i_special_level = saved;
#endif
        if (bad) { printf("FAIL %d beta / t fill values differ from the one-element ones\n", bad); failures++; }
    }
    nd_beta_sample_grad(0.3, 0.3, 0.2, &da, &db);
    if (!(isfinite(da) && isfinite(db) && da > 0 && db < 0)) { printf("FAIL beta_sample_grad sign\n"); failures++; }
    if (!isnan(nd_gammainc_p(-1.0, 1.0)) || nd_digamma(0.0) != -INFINITY || nd_trigamma(-2.0) != INFINITY) {
        printf("FAIL domain edges\n");
        failures++;
    }
    return failures != 0;
}
