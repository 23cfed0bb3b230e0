/* Standard normal CDF and quantile; see numdist/special.h. */
#include "numdist/special.h"

#include <math.h>

/* No fused multiply-add contraction, whatever the flags (-std=gnu99 with FMA
 * hardware would otherwise contract): results must not depend on the CPU. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* 1/sqrt(2) = S_HI + S_LO */
#define ND_RSQRT2_HI 0x1.6a09e667f3bcdp-1
#define ND_RSQRT2_LO (-0x1.bdd3413b26456p-55)
#define ND_2_RSQRTPI 0x1.20dd750429b6dp+0 /* 2/sqrt(pi) */

/* Dekker: a*b = p + e exactly (no FMA needed; |a|, |b| well inside range). */
static void two_prod(double a, double b, double *p, double *e)
{
    const double split = 134217729.0; /* 2^27 + 1 */
    double t, ah, al, bh, bl;
    *p = a * b;
    t = split * a; ah = t - (t - a); al = a - ah;
    t = split * b; bh = t - (t - b); bl = b - bh;
    *e = ((ah * bh - *p) + ah * bl + al * bh) + al * bl;
}

double nd_ndtr(double x)
{
    double zh, zl, e, c;
    if (x != x) return x;
    if (x < -40.0) return 0.0; /* below the smallest subnormal */
    if (x > 40.0) return 1.0;
    /* z = -x/sqrt(2) = zh + zl, with zl the rounding error of zh. */
    two_prod(-x, ND_RSQRT2_HI, &zh, &e);
    zl = e + (-x) * ND_RSQRT2_LO;
    /* erfc(zh + zl) = erfc(zh) - zl * 2/sqrt(pi) exp(-zh^2) + O(zl^2) */
    c = erfc(zh);
    if (zh < 26.0) {
        c -= zl * ND_2_RSQRTPI * exp(-zh * zh);
    } else {
        /* exp(-zh^2) underflows: use the ratio 2/sqrt(pi) e^{-z^2} / erfc(z),
         * which is 2z + 1/z + O(z^-3). */
        c -= c * zl * (2.0 * zh + 1.0 / zh);
    }
    return 0.5 * c;
}

/* Wichura, Algorithm AS 241 (PPND16), Appl. Statist. 37 (1988) 477-484.
 * Coefficients listed from the constant term up. */
static const double as241_a[8] = {
    3.3871328727963666080e+0, 1.3314166789178437745e+2, 1.9715909503065514427e+3,
    1.3731693765509461125e+4, 4.5921953931549871457e+4, 6.7265770927008700853e+4,
    3.3430575583588128105e+4, 2.5090809287301226727e+3};
static const double as241_b[8] = {
    1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2,
    5.3941960214247511077e+3, 2.1213794301586595867e+4, 3.9307895800092710610e+4,
    2.8729085735721942674e+4, 5.2264952788528545610e+3};
static const double as241_c[8] = {
    1.42343711074968357734e+0, 4.63033784615654529590e+0, 5.76949722146069140550e+0,
    3.64784832476320460504e+0, 1.27045825245236838258e+0, 2.41780725177450611770e-1,
    2.27238449892691845833e-2, 7.74545014278341407640e-4};
static const double as241_d[8] = {
    1.0, 2.05319162663775882187e+0, 1.67638483018380384940e+0,
    6.89767334985100004550e-1, 1.48103976427480074590e-1, 1.51986665636164571966e-2,
    5.47593808499534494600e-4, 1.05075007164441684324e-9};
static const double as241_e[8] = {
    6.65790464350110377720e+0, 5.46378491116411436990e+0, 1.78482653991729133580e+0,
    2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
    2.71155556874348757815e-5, 2.01033439929228813265e-7};
static const double as241_f[8] = {
    1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1,
    1.48753612908506148525e-2, 7.86869131145613259100e-4, 1.84631831751005468180e-5,
    1.42151175831644588870e-7, 2.04426310338993978564e-15};

static double horner7(const double *c, double r)
{
    double v = c[7];
    int i;
    for (i = 6; i >= 0; i--) v = v * r + c[i];
    return v;
}

double nd_ndtri(double p)
{
    double q, r, x, pt;
    if (!(p >= 0.0 && p <= 1.0)) return NAN; /* also NaN */
    if (p == 0.0) return -INFINITY;
    if (p == 1.0) return INFINITY;
    q = p - 0.5;
    if (fabs(q) <= 0.425) {
        double zh, zl, res;
        r = 0.180625 - q * q;
        x = q * horner7(as241_a, r) / horner7(as241_b, r);
        /* One Newton step, AS241's ~4 ulp to ~1 ulp: near 0 on Phi(x) - 1/2 = q
         * with erf (full relative precision there) and x/sqrt(2) split exactly. */
        if (fabs(q) < 0.2) {
            two_prod(x, ND_RSQRT2_HI, &zh, &zl);
            zl += x * ND_RSQRT2_LO;
            res = 0.5 * (erf(zh) + zl * ND_2_RSQRTPI * exp(-zh * zh)) - q;
        } else {
            /* further out the residual is best taken on the lower tail, where
             * nd_ndtr is accurate to the last bit of min(p, 1-p) (exact) */
            res = q < 0.0 ? nd_ndtr(x) - p : (1.0 - p) - nd_ndtr(-x);
        }
        return x - res / (0.3989422804014327 * exp(-0.5 * x * x));
    }
    pt = q < 0.0 ? p : 1.0 - p; /* exact: the smaller tail, < 0.075 */
    r = sqrt(-log(pt));
    if (r <= 5.0) {
        r -= 1.6;
        x = horner7(as241_c, r) / horner7(as241_d, r);
    } else {
        r -= 5.0;
        x = horner7(as241_e, r) / horner7(as241_f, r);
    }
    /* One Newton step on the lower tail, Phi(-x) = pt, where nd_ndtr keeps full
     * relative precision: takes AS241's ~3 ulp to ~1 ulp.  Skipped where pt is
     * (nearly) subnormal. */
    if (pt > 1e-300) {
        double phi = 0.3989422804014327 * exp(-0.5 * x * x);
        x += (nd_ndtr(-x) - pt) / phi;
    }
    return q < 0.0 ? -x : x;
}

void nd_ndtr_fill(intptr_t n, const double *x, intptr_t xs, double *out, intptr_t os)
{
    intptr_t i;
    for (i = 0; i < n; i++)
        *(double *)((char *)out + i * os) = nd_ndtr(*(const double *)((const char *)x + i * xs));
}

void nd_ndtri_fill(intptr_t n, const double *x, intptr_t xs, double *out, intptr_t os)
{
    intptr_t i;
    for (i = 0; i < n; i++)
        *(double *)((char *)out + i * os) = nd_ndtri(*(const double *)((const char *)x + i * xs));
}
