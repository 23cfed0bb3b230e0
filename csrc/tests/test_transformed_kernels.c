/* Checks of the element-wise kernels of the transformed families; no Python.
 * lognormal (csrc/lognormal.c) must give exactly nd_gamma_exp(loc + scale * z) with
 * z the normal kernel's standard draws (same words), weibull (csrc/weibull.c)
 * exactly nd_gamma_exp(nd_log_pos(E) / a) with E the exponential kernel's draws,
 * whatever the strides and their SIMD clones, and neither may fail on non-finite
 * parameters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numdist/bitgen.h"
#include "numdist/elementwise.h"
#include "numdist/gamma.h"
#include "numdist/ndmath.h"
#include "numdist/xoshiro256.h"

#define ND_TEST_STREAM
#include "check.h"


static void reseed(uint64_t a)
{
    nd_xoshiro_seed(&xo, (a + 1) * UINT64_C(0x9e3779b97f4a7c15), (a + 3) * UINT64_C(0xd1b54a32d192ed03));
    nd_bits_init_xoshiro(&bits, &xo);
}


#define N 100003

/* out[i] == nd_gamma_exp(loc[i*sl] + scale[i*ss] * z[i]) bit for bit (scalar reference) */
static void check_against_reference(intptr_t sl, intptr_t ss, intptr_t os)
{
    static double loc[N], scale[N], z[N], out[2 * N];
    float outf[N];
    const nd_ew_kernel *ln = nd_ew_find("lognormal"), *nk = nd_ew_find("normal");
    intptr_t i, bad = 0, badf = 0;
    uint64_t c_ln, c_n;
    for (i = 0; i < N; i++) {
        loc[i] = -2.0 + 4.0 * (double)i / N;
        scale[i] = 0.1 + 3.0 * (double)(i % 97) / 97;
    }
    reseed(7);
    nk->f64(&bits, N, (char *)z, 8, NULL, 0, NULL, 0);
    c_n = consumed();
    reseed(7);
    ln->f64(&bits, N, (char *)out, os * 8, (const char *)loc, sl * 8, (const char *)scale, ss * 8);
    c_ln = consumed();
    CHECK(c_ln == c_n, "lognormal used %llu words, normal %llu", (unsigned long long)c_ln, (unsigned long long)c_n);
    for (i = 0; i < N; i++) {
        double ref = nd_gamma_exp(loc[i * sl] + scale[i * ss] * z[i]);
        if (memcmp(&ref, &out[i * os], 8) != 0) bad++;
    }
    CHECK(bad == 0, "f64 strides (%ld, %ld, %ld): %ld elements differ from the reference", (long)sl, (long)ss,
          (long)os, (long)bad);
    reseed(7);
    {
        static float locf[N], scalef[N];
        for (i = 0; i < N; i++) { locf[i] = (float)loc[i]; scalef[i] = (float)scale[i]; }
        ln->f32(&bits, N, (char *)outf, 4, (const char *)locf, sl * 4, (const char *)scalef, ss * 4);
        for (i = 0; i < N; i++) {
            float ref = (float)nd_gamma_exp((double)locf[i * sl] + (double)scalef[i * ss] * z[i]);
            if (memcmp(&ref, &outf[i], 4) != 0) badf++;
        }
    }
    CHECK(badf == 0, "f32: %ld elements differ from the reference", (long)badf);
}

static void check_defaults_and_nonfinite(void)
{
    static double z[64], out[64];
    const nd_ew_kernel *ln = nd_ew_find("lognormal"), *nk = nd_ew_find("normal");
    double bad_loc[4] = {NAN, INFINITY, -INFINITY, 1e308}, bad_scale[4] = {1.0, 1.0, 1.0, 1e308};
    intptr_t i;
    reseed(3);
    nk->f64(&bits, 64, (char *)z, 8, NULL, 0, NULL, 0);
    reseed(3);
    ln->f64(&bits, 64, (char *)out, 8, NULL, 0, NULL, 0);
    for (i = 0; i < 64; i++) CHECK(out[i] == nd_gamma_exp(z[i]), "NULL parameters: element %ld", (long)i);
    reseed(4);
    ln->f64(&bits, 4, (char *)out, 8, (const char *)bad_loc, 8, (const char *)bad_scale, 8);
    CHECK(isnan(out[0]), "NaN loc gives %g", out[0]);
    CHECK(out[1] == INFINITY, "inf loc gives %g", out[1]);
    CHECK(out[2] == 0.0, "-inf loc gives %g", out[2]);
    CHECK(out[3] == INFINITY || out[3] == 0.0 || isnan(out[3]), "huge parameters give %g", out[3]);
}

/* nd_gamma_exp within 2 ulp of libm's exp where lognormal draws land */
static void check_exp_accuracy(void)
{
    double y, worst = 0;
    for (y = -700.0; y < 700.0; y += 0.0137) {
        double a = nd_gamma_exp(y), b = exp(y);
        double ulps = fabs(a - b) / (nextafter(b, INFINITY) - b);
        if (ulps > worst) worst = ulps;
    }
    CHECK(worst <= 2.0, "nd_gamma_exp is %g ulp from exp", worst);
}

static void check_weibull(void)
{
    static double a[N], e[N], out[N];
    float outf[N], af[N];
    const nd_ew_kernel *wb = nd_ew_find("weibull"), *ex = nd_ew_find("exponential");
    double special_a[5] = {0.0, NAN, 1.0, 1e-3, 1e3}, so[5];
    intptr_t i, bad = 0, badf = 0;
    uint64_t c_w, c_e;
    for (i = 0; i < N; i++) { a[i] = 0.2 + 5.0 * (double)(i % 101) / 101; af[i] = (float)a[i]; }
    reseed(9);
    ex->f64(&bits, N, (char *)e, 8, NULL, 0, NULL, 0);
    c_e = consumed();
    reseed(9);
    wb->f64(&bits, N, (char *)out, 8, (const char *)a, 8, NULL, 0);
    c_w = consumed();
    CHECK(c_w == c_e, "weibull used %llu words, exponential %llu", (unsigned long long)c_w, (unsigned long long)c_e);
    for (i = 0; i < N; i++) {
        double ref = e[i] > 0 ? nd_gamma_exp(nd_log_pos(e[i]) / a[i]) : 0.0;
        if (memcmp(&ref, &out[i], 8) != 0) bad++;
    }
    CHECK(bad == 0, "weibull f64: %ld elements differ from the reference", (long)bad);
    reseed(9);
    wb->f32(&bits, N, (char *)outf, 4, (const char *)af, 4, NULL, 0);
    for (i = 0; i < N; i++) {
        float ref = (float)(e[i] > 0 ? nd_gamma_exp(nd_log_pos(e[i]) / (double)af[i]) : 0.0);
        if (memcmp(&ref, &outf[i], 4) != 0) badf++;
    }
    CHECK(badf == 0, "weibull f32: %ld elements differ from the reference", (long)badf);
    reseed(10);
    wb->f64(&bits, 5, (char *)so, 8, (const char *)special_a, 8, NULL, 0);
    CHECK(so[0] == 0.0, "a = 0 gives %g (NumPy: 0)", so[0]);
    CHECK(isnan(so[1]), "NaN a gives %g", so[1]);
    CHECK(so[2] >= 0.0 && so[3] >= 0.0 && so[4] > 0.0, "finite a: %g %g %g", so[2], so[3], so[4]);
}

int main(void)
{
    check_against_reference(1, 1, 1);
    check_against_reference(0, 1, 1);
    check_against_reference(1, 0, 2);
    check_against_reference(0, 0, 1);
    check_defaults_and_nonfinite();
    check_exp_accuracy();
    check_weibull();
    if (fails) {
        printf("test_transformed_kernels: %d failures\n", fails);
        return 1;
    }
    printf("test_transformed_kernels: ok\n");
    return 0;
}
