/*
 * Gamma-function family: lgamma, digamma, trigamma, the regularised incomplete
 * gamma functions P(a,x), Q(a,x), dP/da, and the implicit reparameterisation
 * gradient of the standard gamma; see numdist/special.h.
 *
 * Plain C99, no allocation, no global state: every function is pure.
 *
 * Methods
 *   lgamma   x < 0.5 (x > 0): lgamma(1+x) - log x; [0.5, 2.5): Taylor series of
 *            lgamma(2+z) (coefficients (-1)^k (zeta(k)-1)/k, exact values, not a
 *            fit), with lgamma(1+z) = lgamma(2+z) - log1p(z), so both zeros (1, 2)
 *            keep relative accuracy; [2.5, 10): downward recurrence; >= 10:
 *            Stirling series; x < 0: reflection.
 *   digamma  [1, 2]: Taylor series about the positive root x0 (argument reduced
 *            in double-double), so psi keeps relative accuracy at its zero;
 *            (0,1): psi(x+1) - 1/x; (2, 10): recurrence up; >= 10 asymptotic.
 *   trigamma recurrence up to 10, asymptotic series; reflection below 0.
 *   P, Q     series (x < a or x <= 1.1) and Legendre continued fraction
 *            (otherwise), both with their a-derivatives carried analytically
 *            term by term (series: d/da of x^n/((a+1)..(a+n)) is -term*H_n;
 *            continued fraction: Wallis recurrences of the convergents and of
 *            their a-derivatives, renormalised every step).  Q for small a and
 *            x <= 1.1 by the complementary series (cephes igamc_series), so Q
 *            keeps relative accuracy when it is tiny.  The prefactor
 *            x^a e^-x / Gamma(a) is taken, for a >= 10, as
 *            exp(a log1pmx((x-a)/a)) sqrt(a/2pi) exp(-stirling_corr(a)), which
 *            keeps full relative accuracy for x near a when a is large.
 *   dz/da    -(dP/da)/p in the ratio form: the prefactor cancels exactly,
 *            series: -(x/a) (S' + S (log x - psi(a+1))),
 *            fraction: x (C' + C (log x - psi(a))),
 *            so no exponential is evaluated: nothing under/overflows for tiny
 *            a or tiny densities.  For a >= 30 near the bulk, Temme's uniform
 *            expansion differentiated (gv_temme).  Arrays go through
 *            nd_gamma_sample_grad_fill (vectorised by region; see "dz/da" below
 *            and docs/architecture.md).
 */
#include "numdist/special.h"
#include "special_impl.h"
#include "special_gamma_temme.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
/* no-trapping-math: the FP exception flags are not part of any result here; it lets
 * GCC if-convert the comparisons of the lane loops for AVX2 too (values unchanged:
 * still IEEE operations in source order, no contraction) */
#pragma GCC optimize("no-trapping-math")
#endif

#define ND_EPS 1.1102230246251565e-16 /* 2^-53 */
#define ND_LOG_SQRT_2PI 0.91893853320467274178
#define ND_PI 3.14159265358979323846
#define ND_MAXIT 1000000
#define ND_CF_TOL 4.440892098500626e-16 /* 2^-51 */

/* ---------------------------------------------------------------- helpers */

/* lgamma(2 + z) = sum_k c_k z^k, c_1 = 1 - gamma, c_k = (-1)^k (zeta(k) - 1)/k;
 * |z| <= 0.5: terms fall like 4^-k. */
static const double lg2_c[29] = {
    0.42278433509846713, 0.3224670334241132, -0.0673523010531981,
    0.020580808427784546, -0.007385551028673986, 0.0028905103307415234,
    -0.001192753911703261, 0.0005096695247430425, -0.00022315475845357939,
    9.945751278180853e-05, -4.492623673813314e-05, 2.050721277567069e-05,
    -9.439488275268397e-06, 4.374866789907488e-06, -2.039215753801366e-06,
    9.55141213040742e-07, -4.492469198764566e-07, 2.1207184805554665e-07,
    -1.0043224823968099e-07, 4.7698101693639804e-08, -2.2711094608943164e-08,
    1.0838659214896955e-08, -5.183475041970047e-09, 2.4836745438024785e-09,
    -1.1921401405860912e-09, 5.731367241678862e-10, -2.7595228851242334e-10,
    1.330476437424449e-10, -6.4229645638381e-11};

static double lgamma2p(double z) /* lgamma(2 + z), |z| <= 0.5, z exact */
{
    double s = lg2_c[28];
    int k;
    for (k = 27; k >= 0; k--) s = s * z + lg2_c[k];
    return s * z;
}

/* lgamma(1 + z) for |z| <= 0.5 (relative accuracy near z = 0). */
static double lgamma1p_small(double z)
{
    return lgamma2p(z) - log1p(z);
}

/* Stirling correction lgamma(x) - [(x-1/2) log x - x + log sqrt(2 pi)], x >= 10:
 * sum_k B_2k / (2k (2k-1) x^(2k-1)), k = 1..9 (next term < 2e-19 at x = 10). */
double nd_i_stirling_corr(double x)
{
    double r = 1.0 / x, r2 = r * r;
    double s = 43867.0 / 244188.0;
    s = s * r2 - 3617.0 / 122400.0;
    s = s * r2 + 1.0 / 156.0;
    s = s * r2 - 691.0 / 360360.0;
    s = s * r2 + 1.0 / 1188.0;
    s = s * r2 - 1.0 / 1680.0;
    s = s * r2 + 1.0 / 1260.0;
    s = s * r2 - 1.0 / 360.0;
    s = s * r2 + 1.0 / 12.0;
    return s * r;
}

/* psi(x) - log(x) for x >= 10: -1/(2x) - sum_k B_2k / (2k x^2k), k = 1..9. */
double nd_i_psi_minus_log(double x)
{
    double r = 1.0 / x, r2 = r * r;
    double s = 43867.0 / 14364.0;
    s = s * r2 - 3617.0 / 8160.0;
    s = s * r2 + 1.0 / 12.0;
    s = s * r2 - 691.0 / 32760.0;
    s = s * r2 + 1.0 / 132.0;
    s = s * r2 - 1.0 / 240.0;
    s = s * r2 + 1.0 / 252.0;
    s = s * r2 - 1.0 / 120.0;
    s = s * r2 + 1.0 / 12.0;
    return -0.5 * r - s * r2;
}

/* log(1+t) - t, accurate for all t > -1 (relative accuracy near 0). */
double nd_log1pmx(double t)
{
    if (fabs(t) < 0.3) {
        /* log1p(t) = 2 atanh(u), u = t/(2+t): 2u - t = -t^2/(2+t) exactly */
        double u = t / (2.0 + t), u2 = u * u, s = 0.0;
        int k;
        for (k = 23; k >= 3; k -= 2) s = s * u2 + 2.0 / k;
        return -t * t / (2.0 + t) + s * u2 * u;
    }
    return log1p(t) - t;
}

/* sin(pi x), exact argument reduction */
static double sinpi(double x)
{
    double r = x - 2.0 * floor(0.5 * x); /* [0, 2) exact */
    double s = 1.0;
    if (r >= 1.0) { r -= 1.0; s = -1.0; }
    if (r > 0.5) r = 1.0 - r;
    return s * sin(ND_PI * r);
}

/* --------------------------------------------------------------- lgamma */

double nd_lgamma(double x)
{
    if (x != x) return x;
    if (isinf(x)) return INFINITY;
    if (x <= 0.0) {
        double s;
        if (x == floor(x)) return INFINITY;
        s = sinpi(x);
        /* Gamma(x) Gamma(1-x) = pi / sin(pi x) */
        return log(ND_PI / fabs(s)) - nd_lgamma(1.0 - x);
    }
    if (x < 0.5) return lgamma1p_small(x) - log(x);
    if (x < 1.5) return lgamma1p_small(x - 1.0);
    if (x < 2.5) return lgamma2p(x - 2.0);
    if (x < 10.0) {
        double y = x, p = 1.0;
        while (y >= 2.5) { y -= 1.0; p *= y; }
        return lgamma2p(y - 2.0) + log(p);
    }
    if (x > 1e300) return x * (log(x) - 1.0);
    return (x - 0.5) * log(x) - x + ND_LOG_SQRT_2PI + nd_i_stirling_corr(x);
}

/* lgamma(1 + a) for a > 0 without rounding 1 + a. */
static double lgamma1p(double a)
{
    if (a <= 0.5) return lgamma1p_small(a);
    if (a < 1.5) return lgamma2p(a - 1.0);
    return nd_lgamma(a) + log(a);
}

/* -------------------------------------------------------------- digamma */

#define DG_X0_HI 1.4616321449683622
#define DG_X0_LO 9.549995429965697e-17
/* psi(x0 + h) = sum_k c_k h^k, c_k = psi^(k)(x0)/k!; |h| <= 0.54: ratio <= 0.37 */
static const double dg_root_c[41] = {
    0.9676722454476212, -0.4427631689835921, 0.258499760955651,
    -0.16394270544240652, 0.10782405069126237, -0.07219956125645471,
    0.04880428816414311, -0.03316112647484736, 0.022597648232218104,
    -0.01542476590494896, 0.010538791616612175, -0.007204534386356869,
    0.004926781395729853, -0.003369801655439328, 0.002305126326734928,
    -0.0015769367714301972, 0.0010788252019162967, -0.0007380709389960052,
    0.000504953265834602, -0.0003454680251063077, 0.00023635601564027053,
    -0.00016170622091974803, 0.0001106337276874741, -7.569179582195066e-05,
    5.178575795222081e-05, -3.5430070947659604e-05, 2.424006611860132e-05,
    -1.6584242271854135e-05, 1.134638458466385e-05, -7.762817668462094e-06,
    5.3110609208898636e-06, -3.6336507898010456e-06, 2.486022733129538e-06,
    -1.7008538854332607e-06, 1.1636675363548843e-06, -7.96142543124197e-07,
    5.446941930669446e-07, -3.7266161283438227e-07, 2.549626552021554e-07,
    -1.7443695117727745e-07, 1.1934394829830244e-07};

static double digamma_root(double x) /* x in [1, 2] */
{
    double h = (x - DG_X0_HI) - DG_X0_LO; /* x - x0_hi exact (Sterbenz) */
    double s = dg_root_c[40];
    int k;
    for (k = 39; k >= 0; k--) s = s * h + dg_root_c[k];
    return s * h;
}

/* psi(x) for x > 0 to about 1e-16 absolute + relative away from the root:
 * recurrence up to 10 and the asymptotic series (no root treatment; the
 * cheaper form used inside the gradients, where only absolute accuracy counts). */
double nd_i_psi_pos(double x)
{
    double s = 0.0;
    if (x < 10.0) {
        /* sum_{i<n} 1/(x+i) = N/D with D = prod (x+i): one division (all terms
         * positive: no cancellation); below 1e-5 the first term separately */
        int n = (int)(10.0 - x) + 1, i;
        double N = 0.0, D = 1.0, s0 = 0.0, y = x;
        if (x < 1e-5) { s0 = 1.0 / x; y = x + 1.0; n--; }
        for (i = 0; i < n; i++) { N = N * (y + i) + D; D *= y + i; }
        s = s0 + N / D;
        x = y + n;
    }
    return log(x) + nd_i_psi_minus_log(x) - s;
}

double nd_digamma(double x)
{
    if (x != x) return x;
    if (x <= 0.0) {
        if (x == 0.0) return signbit(x) ? INFINITY : -INFINITY;
        if (x == floor(x)) return NAN; /* poles; also -inf */
        /* psi(1-x) - psi(x) = pi cot(pi x) */
        {
            double r = x - floor(x); /* (0,1) */
            double c = cos(ND_PI * r) / sinpi(r);
            return nd_digamma(1.0 - x) - ND_PI * c;
        }
    }
    if (isinf(x)) return x;
    if (x < 1.0) return digamma_root(x + 1.0) - 1.0 / x;
    if (x <= 2.0) return digamma_root(x);
    if (x < 10.0) {
        /* below 4 recurrence down onto [1, 2] (one or two steps) */
        if (x < 4.0) {
            double s = 0.0, y = x;
            while (y > 2.0) { y -= 1.0; s += 1.0 / y; }
            return digamma_root(y) + s;
        }
        return nd_i_psi_pos(x);
    }
    return log(x) + nd_i_psi_minus_log(x);
}


/* ------------------------------------------------------------- trigamma */

static double trigamma_pos(double x)
{
    double s = 0.0, r, r2, t;
    if (x < 10.0) {
        int n = (int)(10.0 - x) + 1, i;
        for (i = n - 1; i >= 0; i--) { double y = x + i; s += 1.0 / (y * y); }
        x += n;
    }
    r = 1.0 / x; r2 = r * r;
    /* 1/x + 1/(2x^2) + sum B_2k / x^(2k+1) */
    t = 43867.0 / 798.0;
    t = t * r2 - 3617.0 / 510.0;
    t = t * r2 + 7.0 / 6.0;
    t = t * r2 - 691.0 / 2730.0;
    t = t * r2 + 5.0 / 66.0;
    t = t * r2 - 1.0 / 30.0;
    t = t * r2 + 1.0 / 42.0;
    t = t * r2 - 1.0 / 30.0;
    t = t * r2 + 1.0 / 6.0;
    return s + r + 0.5 * r2 + t * r2 * r;
}

double nd_trigamma(double x)
{
    if (x != x) return x;
    if (x <= 0.0) {
        double s;
        if (x == floor(x)) return INFINITY; /* poles, and -inf, as scipy */
        s = sinpi(x);
        /* psi1(x) + psi1(1-x) = pi^2 / sin^2(pi x) */
        return ND_PI * ND_PI / (s * s) - trigamma_pos(1.0 - x);
    }
    if (isinf(x)) return 0.0;
    return trigamma_pos(x);
}

/* ---------------------------------------------------- incomplete gamma */

/* log(x^a e^-x / Gamma(a)), a > 0, x > 0. */
static double log_pref_q(double a, double x)
{
    if (a >= 10.0) {
        double t = (x - a) / a;
        /* a (log(x/a) - t): log1pmx near x = a; far from it log(x/a) directly
         * (1 + t would lose the low bits of a small x/a) */
        double e = fabs(t) < 0.5 ? a * nd_log1pmx(t) : a * log(x / a) - (x - a);
        return e + 0.5 * log(a) - ND_LOG_SQRT_2PI - nd_i_stirling_corr(a);
    }
    if (a < 0.5) return a * log(x) - x - lgamma1p_small(a) + log(a);
    return a * log(x) - x - nd_lgamma(a);
}

/* log x - psi(a) (shift = 0) or log x - psi(a+1) (shift = 1), keeping
 * absolute accuracy where the two nearly cancel (large a, x near a). */
static double lx_minus_psi(double a, double x, int shift)
{
    double v;
    if (a >= 10.0) {
        double t = (x - a) / a;
        v = (fabs(t) < 0.5 ? log1p(t) : log(x / a)) - nd_i_psi_minus_log(a);
    }
    else return log(x) - nd_i_psi_pos(shift ? a + 1.0 : a); /* no 1/a cancellation */
    return shift ? v - 1.0 / a : v;
}

/* S = sum_{n>=0} x^n / ((a+1)...(a+n)), dS = dS/da; requires x < a + 1. */
static void gamma_series(double a, double x, double *S, double *dS)
{
    /* two terms per division: r = 1/((a+n)(a+n+1)) */
    double term = 1.0, sum = 1.0, dsum = 0.0, H = 0.0, x2 = x * x;
    int n;
    for (n = 1; n < ND_MAXIT; n += 2) {
        double u = a + n, v = u + 1.0, r = 1.0 / (u * v);
        /* one multiplication per step on the recurrence's critical path */
        double t1 = term * (x * v * r), t2 = term * (x2 * r);
        double H1 = H + v * r, H2 = H + (u + v) * r;
        sum += t1 + t2;
        dsum -= t1 * H1 + t2 * H2;
        term = t2;
        H = H2;
        /* remaining tail <= term * x / (a + n + 2 - x) */
        if (term * x <= ND_EPS * sum * (v + 1.0 - x)
            && term * H * x <= ND_EPS * fabs(dsum) * (v + 1.0 - x))
            break;
    }
    *S = sum;
    *dS = dsum;
}

/* Legendre continued fraction of Q(a,x) e^x x^-a Gamma(a):
 * C = 1/(b1 + a2/(b2 + ...)), b_k = x + 2k - 1 - a, a_k = -(k-1)(k-1-a),
 * and dC/da, through the Wallis recurrences renormalised each step.
 * L: the log-derivative of the prefactor, so the tolerance on dC is relative
 * to dC + C L (what is used). */
static void gamma_cf(double a, double x, double L, int want_d, double *C, double *dC)
{
    /* convergents k-1 (A1/B1) and k-2 (A2/B2) and their a-derivatives:
     * A_0 = 0, B_0 = 1, A_1 = 1, B_1 = b1, dB_1 = -1.  The recurrences run
     * unnormalised for `block` steps (no division on the critical path), then
     * are divided by B and tested for convergence. */
    double b1 = x + 1.0 - a;
    double A2 = 0.0, B2 = 1.0, dA2 = 0.0, dB2 = 0.0;
    double A1 = 1.0, B1 = b1, dA1 = 0.0, dB1 = -1.0;
    double c = 1.0 / b1, dc = c * c;
    int k = 2, j, block = x < 1e60 ? 4 : 1;
    while (k < ND_MAXIT) {
        double s, cn, dcn;
        for (j = 0; j < block; j++, k++) {
            double km1 = k - 1.0;
            double ak = -km1 * (km1 - a), dak = km1;
            double bk = x + 2.0 * k - 1.0 - a;
            /* the k-2 terms first: off the critical path */
            double A = bk * A1 + ak * A2, B = bk * B1 + ak * B2;
            double dA = (bk * dA1 - A1) + (dak * A2 + ak * dA2);
            double dB = (bk * dB1 - B1) + (dak * B2 + ak * dB2);
            A2 = A1; B2 = B1; dA2 = dA1; dB2 = dB1;
            A1 = A; B1 = B; dA1 = dA; dB1 = dB;
        }
        s = 1.0 / B1;
        A1 *= s; dA1 *= s; dB1 *= s; B1 = 1.0;
        A2 *= s; B2 *= s; dA2 *= s; dB2 *= s;
        cn = A1;
        dcn = dA1 - A1 * dB1;
        /* a few ulps: the last bits are rounding noise of the recurrence */
        if (fabs(cn - c) <= ND_CF_TOL * fabs(cn)
            && (!want_d || fabs(dcn - dc) <= ND_CF_TOL * (fabs(dcn) + fabs(cn * L)))) {
            c = cn; dc = dcn;
            break;
        }
        c = cn; dc = dcn;
    }
    *C = c;
    *dC = dc;
}

/* Q by the complementary series, small a, x <= 1.1 (cephes igamc_series). */
static double gamma_q_small_a(double a, double x)
{
    double fac = 1.0, sum = 0.0, term, logx;
    int n;
    for (n = 1; n < 2000; n++) {
        fac *= -x / n;
        term = fac / (a + n);
        sum += term;
        if (fabs(term) <= ND_EPS * fabs(sum)) break;
    }
    logx = log(x);
    /* x^a/Gamma(a) = a x^a / Gamma(a+1) */
    return -expm1(a * logx - lgamma1p(a)) - a * exp(a * logx - lgamma1p(a)) * sum;
}

/* Which method for (a, x): 1 = continued fraction (Q first), 0 = series (P first). */
static int use_cf(double a, double x)
{
    return x > 1.1 && x >= a;
}

/* For dP/da and dz/da the series serves further, up to x < a + 1 + sqrt(a):
 * there the cancellation in S' + S (log x - psi(a+1)) costs at most ~15 ulp,
 * and the fraction, which converges slowly near x = a, is avoided. */
static int use_cf_d(double a, double x)
{
    return x > 1.1 && x >= a + 1.0 + sqrt(a);
}

/* Q small-a rule (cephes): in the series region, Q by the complementary series? */
static int q_by_small_a(double a, double x)
{
    if (x > 1.1) return 0;
    if (x <= 0.5) return !(-0.4 / log(x) < a);
    return !(x * 1.1 < a);
}

static int gamma_bad(double a, double x)
{
    return a != a || x != x || a < 0.0 || x < 0.0 || (a == 0.0 && x == 0.0) || isinf(a);
}

double nd_gammainc_p(double a, double x)
{
    double S, dS, C, dC;
    if (gamma_bad(a, x)) return NAN;
    if (a == 0.0) return 1.0;
    if (x == 0.0) return 0.0;
    if (isinf(x)) return 1.0;
    if (use_cf(a, x)) {
        gamma_cf(a, x, 0.0, 0, &C, &dC);
        return 1.0 - exp(log_pref_q(a, x)) * C;
    }
    gamma_series(a, x, &S, &dS);
    return exp(log_pref_q(a, x) - log(a)) * S;
}

double nd_gammainc_q(double a, double x)
{
    double S, dS, C, dC;
    if (gamma_bad(a, x)) return NAN;
    if (a == 0.0) return 0.0;
    if (x == 0.0) return 1.0;
    if (isinf(x)) return 0.0;
    if (use_cf(a, x)) {
        gamma_cf(a, x, 0.0, 0, &C, &dC);
        return exp(log_pref_q(a, x)) * C;
    }
    if (q_by_small_a(a, x)) return gamma_q_small_a(a, x);
    gamma_series(a, x, &S, &dS);
    return 1.0 - exp(log_pref_q(a, x) - log(a)) * S;
}

double nd_gammainc_p_da(double a, double x)
{
    double S, dS, C, dC, L;
    if (gamma_bad(a, x)) return NAN;
    if (x == 0.0 || isinf(x) || a == 0.0) return a == 0.0 && x > 0.0 ? -INFINITY : 0.0;
    if (use_cf_d(a, x)) {
        L = lx_minus_psi(a, x, 0);
        gamma_cf(a, x, L, 1, &C, &dC);
        return -exp(log_pref_q(a, x)) * (dC + C * L);
    }
    L = lx_minus_psi(a, x, 1);
    gamma_series(a, x, &S, &dS);
    return exp(log_pref_q(a, x) - log(a)) * (dS + S * L);
}

/* ------------------------------------------------------------------ dz/da
 * dz/da = -(dP/da)(z; a) / p(z; a) in the ratio forms above (series for
 * z < a + 1 + sqrt(a) or z <= 1.1, continued fraction beyond).  Arrays are
 * evaluated by nd_gamma_sample_grad_fill: each block of GV_BLOCK elements is
 * sorted by region, and the series and fraction elements are run GV_W at a time
 * by loops over lanes that the compiler vectorises (AVX-512 / AVX2 / baseline
 * copies, GV_DISPATCH, picked at run time; IEEE operations only and no contraction, so every level gives the
 * same bits).  A lane stops on its own convergence test and is frozen from
 * then on, so an element's value depends on its own (a, z) only, never on the
 * other lanes.  log and psi are evaluated once per element, without libm
 * (gv_log, gv_lx_minus_psi).  What the lanes leave out - a >= GV_A_MAX, z below
 * GV_X_TINY or above GV_X_MAX, non-finite or invalid input - goes through
 * grad_scalar.  nd_gamma_sample_grad(a, z) is the fill of one element, so the
 * scalar and array forms agree bit for bit. */
#define GV_W 8           /* lanes of a group: one AVX-512 vector, two AVX2 */
#define GV_BLOCK 1024    /* elements sorted by region at a time */
#define GV_PF_N 32       /* elements prefetched per step (four lines of a contiguous array) */
#define GV_A_MAX 1e5     /* above: scalar path (terms grow like sqrt(a)) */
#define GV_X_TINY 1e-20  /* below: two-term series, scalar (powers of z would be subnormal) */
#define GV_X_MAX 1e30    /* above: the unnormalised fraction steps could overflow */
#define GV_MAXIT 4096    /* caps on the lane loops (reached by no valid input) */

/* The reference (one element at a time) form of dz/da: the method that
 * nd_gammainc_p_da uses.  Serves the elements the vector kernels below leave
 * out (a >= GV_A_MAX, tiny or non-finite arguments). */
static double grad_scalar(double a, double z)
{
    double S, dS, C, dC, L;
    if (a != a || z != z || !(a > 0.0) || z < 0.0 || isinf(a)) return NAN;
    if (z == 0.0 || isinf(z)) return z;
    if (z < GV_X_TINY) {
        /* S = 1 + O(z), S' = O(z), and |L| > 45 here: -(z/a) L has relative
         * error below 1e-20.  No series loop: its powers of z would be subnormal
         * (slow), and so would z/(a+1)^2. */
        L = log(z) - nd_i_psi_pos(a + 1.0);
        return -(z / a) * L;
    }
    if (use_cf_d(a, z)) {
        L = lx_minus_psi(a, z, 0);
        gamma_cf(a, z, L, 1, &C, &dC);
        return z * (dC + C * L);
    }
    L = lx_minus_psi(a, z, 1);
    gamma_series(a, z, &S, &dS);
    return -(z / a) * (dS + S * L);
}

/* The lane loops below are plain C loops the compiler vectorises (GV_BODY,
 * GV_DISPATCH: special_impl.h).  The level they run at: */
#if ND_I_LANES_X86
#include "numdist/simd_env.h"
int nd_i_special_level; /* 3 AVX-512F, 2 AVX2, 0 baseline */
__attribute__((constructor)) static void gv_level_init(void)
{
    int hw = 0, cap = nd_simd_env_cap();
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) hw = 3;
    else if (__builtin_cpu_supports("avx2")) hw = 2;
    nd_i_special_level = hw < cap ? hw : cap;
}
#endif

#define GV_LN2_HI 0.6931471803691238      /* 33 bits: e * GV_LN2_HI exact for |e| < 2^20 */
#define GV_LN2_LO 1.9082149292705877e-10  /* log 2 - GV_LN2_HI */
#define GV_SQRT2 1.4142135623730951

static const double gv_zeros[2 * GV_W]; /* +0.0 */

static double gv_from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static uint64_t gv_to_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/* log v for positive normal finite v (no libm; the loop vectorises):
 * v = 2^e m, m in [sqrt(1/2), sqrt 2); log m = 2 atanh s, s = f/(2+f), f = m - 1,
 * |s| <= 0.172: 2s = f - s f, then the odd series to s^21 (next term < 1e-18
 * relative).  About 1 ulp. */
static inline double gv_log(double v)
{
    uint64_t b = gv_to_bits(v);
    double m = gv_from_bits((b & UINT64_C(0x000fffffffffffff)) | UINT64_C(0x3ff0000000000000));
    /* the biased exponent (11 bits) as a double, by the 2^52 trick */
    double e = gv_from_bits(UINT64_C(0x4330000000000000) | (b >> 52)) - 0x1p52 - 1023.0;
    double f, s, s2, s4, p, q, lm;
    /* m -> m/2, e -> e + 1 above sqrt 2, as arithmetic (exact: m - m/2 = m/2
     * by Sterbenz) because selects here stop GCC's AVX2 vectoriser */
    double big = m > GV_SQRT2 ? 1.0 : 0.0;
    m = m - 0.5 * big * m;
    e = e + big;
    f = m - 1.0;
    s = f / (2.0 + f);
    s2 = s * s;
    s4 = s2 * s2;
    /* sum_{k=1..10} 2 s2^(k-1)/(2k+1) in two interleaved halves (shorter chain) */
    p = 2.0 / 19 * s4 + 2.0 / 15;
    q = 2.0 / 21 * s4 + 2.0 / 17;
    p = p * s4 + 2.0 / 11;
    q = q * s4 + 2.0 / 13;
    p = p * s4 + 2.0 / 7;
    q = q * s4 + 2.0 / 9;
    p = p * s4 + 2.0 / 3;
    q = q * s4 + 2.0 / 5;
    lm = (f - s * f) + s * s2 * (p + s2 * q);
    return e * GV_LN2_HI + (lm + e * GV_LN2_LO);
}

/* L[i] = log x[i] - psi(a[i] + shift), 1e-4 <= a < GV_A_MAX, x normal, for n
 * elements (a loop the compiler vectorises, iterations independent).
 * y = a + shift; psi(y) = psi(w) - sum_{i<10} 1/(y+i), w = y + 10 >= 10, with
 * psi(w) = log w + nd_i_psi_minus_log(w); the sum is N/D, built pairwise as a
 * tree (all terms positive: no cancellation).  One division gives 1/w, N/D and
 * x/w: q = 1/(D w).  L = log(x/w) - (psi(w) - log w) + N/D: one log. */
GV_BODY void gv_lx_minus_psi_body(int n, const double *restrict a, const double *restrict x,
                                      double shift, double *restrict L)
{
    int l;
    for (l = 0; l < n; l++) {
        double y = a[l] + shift, w = y + 10.0, N, D, q, r, r2, s;
        double nk[5], dk[5];
        /* 1/(y+2k) + 1/(y+2k+1) = nk/dk (written out: an inner loop would stop
         * the vectoriser) */
#define GV_PAIR(k) nk[k] = (y + 2 * k) + (y + (2 * k + 1)); dk[k] = (y + 2 * k) * (y + (2 * k + 1))
        GV_PAIR(0); GV_PAIR(1); GV_PAIR(2); GV_PAIR(3); GV_PAIR(4);
#undef GV_PAIR
        {
            double n01 = nk[0] * dk[1] + nk[1] * dk[0], d01 = dk[0] * dk[1];
            double n23 = nk[2] * dk[3] + nk[3] * dk[2], d23 = dk[2] * dk[3];
            double n03 = n01 * d23 + n23 * d01, d03 = d01 * d23;
            N = n03 * dk[4] + nk[4] * d03;
            D = d03 * dk[4];
        }
        q = 1.0 / (D * w);
        r = D * q; /* 1/w */
        r2 = r * r;
        s = 43867.0 / 14364.0;
        s = s * r2 - 3617.0 / 8160.0;
        s = s * r2 + 1.0 / 12.0;
        s = s * r2 - 691.0 / 32760.0;
        s = s * r2 + 1.0 / 132.0;
        s = s * r2 - 1.0 / 240.0;
        s = s * r2 + 1.0 / 252.0;
        s = s * r2 - 1.0 / 120.0;
        s = s * r2 + 1.0 / 12.0;
        /* log(x/w) + N/D - (psi(w) - log w) */
        L[l] = gv_log(x[l] * r) + ((N * w) * q + (0.5 * r + s * r2));
    }
}
GV_DISPATCH(gv_lx_minus_psi, (int n, const double *restrict a, const double *restrict x, double shift, double *restrict L), (n, a, x, shift, L))

/* Series lanes: S = sum x^n/((a+1)...(a+n)) and its a-derivative as in
 * gamma_series, eight terms per block: one division per block (x/(u1...u8)
 * gives each x/u_k by products), one multiplication per block on the
 * loop-carried chain (term times the block's prefix products), and the
 * convergence test once per block.  The harmonic sums are carried times x
 * (Hx = x H, whose increments x/u_k are the ratios the terms need anyway), so
 * dsx = sum t_n x H_n = -x S' and
 *   out = -(x/a)(S' + S L) = (dsx - x S L)/a,  L = log x - psi(a+1) (gv_lx_minus_psi_body). */
GV_BODY void gv_series_body(const double *restrict av, const double *restrict xv,
                                double *restrict out, const int w)
{
    double term[2 * GV_W], sum[2 * GV_W], dsx[2 * GV_W], Hx[2 * GV_W];
    double live[2 * GV_W]; /* 1 running, 0 frozen (doubles: selects vectorise on AVX2) */
    int l, n;
    double L[2 * GV_W];
    /* L = log x - psi(a+1) for the group here, not in a pass of its own: its
     * operations (two divisions, one log) overlap the blocks' dependent chains */
    gv_lx_minus_psi_body(w, av, xv, 1.0, L);
    for (l = 0; l < w; l++) {
        term[l] = 1.0; sum[l] = 1.0; dsx[l] = 0.0; Hx[l] = 0.0; live[l] = 1.0;
    }
    for (n = 1; n < GV_MAXIT; n += 8) {
        int any = 0;
        for (l = 0; l < w; l++) {
            double a = av[l], x = xv[l];
            double u1 = a + n, u2 = u1 + 1.0, u3 = u1 + 2.0, u4 = u1 + 3.0;
            double u5 = u1 + 4.0, u6 = u1 + 5.0, u7 = u1 + 6.0, u8 = u1 + 7.0;
            double p12 = u1 * u2, p34 = u3 * u4, p56 = u5 * u6, p78 = u7 * u8;
            double p14 = p12 * p34, p58 = p56 * p78;
            double xr = x / (p14 * p58); /* < 1e41 for a < GV_A_MAX: no overflow */
            double xr14 = p58 * xr, xr58 = p14 * xr;
            double xr12 = p34 * xr14, xr34 = p12 * xr14, xr56 = p78 * xr58, xr78 = p56 * xr58;
            /* c_k = x/u_k; C_k their prefix products (off the loop-carried chain) */
            double c1 = u2 * xr12, c2 = u1 * xr12, c3 = u4 * xr34, c4 = u3 * xr34;
            double c5 = u6 * xr56, c6 = u5 * xr56, c7 = u8 * xr78, c8 = u7 * xr78;
            double C2 = c1 * c2, C3 = C2 * c3, C4 = C3 * c4;
            double C5 = C4 * c5, C6 = C5 * c6, C7 = C6 * c7, C8 = C7 * c8;
            double h1 = Hx[l] + c1, h2 = h1 + c2, h3 = h2 + c3, h4 = h3 + c4;
            double h5 = h4 + c5, h6 = h5 + c6, h7 = h6 + c7, h8 = h7 + c8;
            /* the block's terms are term C_k: the sums are taken over C_k and then
             * scaled (two multiplications, not sixteen) */
            double sC = ((c1 + C2) + (C3 + C4)) + ((C5 + C6) + (C7 + C8));
            double sCh = ((c1 * h1 + C2 * h2) + (C3 * h3 + C4 * h4))
                         + ((C5 * h5 + C6 * h6) + (C7 * h7 + C8 * h8));
            double t8 = term[l] * C8;
            double eg = ND_EPS * (u8 + 1.0 - x); /* eps (next denominator - x) */
            int done;
            sum[l] += term[l] * sC;
            dsx[l] += term[l] * sCh;
            Hx[l] = h8;
            /* remaining tail <= t8 x / gap (terms then fall at least by x/(u8+1)),
             * for the sum times h8 (the largest harmonic factor so far) against
             * dsx; as dsx <= h8 sum, this also bounds the tail of the sum itself */
            done = t8 * x * h8 <= eg * dsx[l];
            live[l] = done ? 0.0 : live[l];
            term[l] = t8 * live[l]; /* a frozen lane adds exact zeros from now on */
        }
        /* any lane running?  live is +0.0 or 1.0: compare the bytes (a few vector
         * instructions; a lane-by-lane test is a long scalar sequence) */
        any = memcmp(live, gv_zeros, w * sizeof live[0]) != 0;
        if (!any) break;
    }
    for (l = 0; l < w; l++) out[l] = (dsx[l] - (xv[l] * sum[l]) * L[l]) / av[l];
}
/* One group of GV_W lanes, or two groups run as one of 2 GV_W lanes (more
 * independent work in flight; each lane still stops on its own test, so the bits
 * do not depend on the grouping). */
GV_BODY void gv_series1_body(const double *restrict av, const double *restrict xv,
                             double *restrict out)
{
    gv_series_body(av, xv, out, GV_W);
}
GV_BODY void gv_series2_body(const double *restrict av, const double *restrict xv,
                             double *restrict out)
{
    gv_series_body(av, xv, out, 2 * GV_W);
}
GV_DISPATCH(gv_series1, (const double *restrict av, const double *restrict xv, double *restrict out), (av, xv, out))
GV_DISPATCH(gv_series2, (const double *restrict av, const double *restrict xv, double *restrict out), (av, xv, out))

/* Continued-fraction lanes: gamma_cf's Wallis recurrences for C and dC/da, four
 * unnormalised steps per division (x < GV_X_MAX keeps them finite); then
 * out = x (C' + C L) with L = log x - psi(a) (gv_lx_minus_psi_body). */
GV_BODY void gv_cf_body(const double *restrict av, const double *restrict xv,
                            double *restrict out)
{
    double A2[GV_W], B2[GV_W], dA2[GV_W], dB2[GV_W], A1[GV_W], B1[GV_W], dA1[GV_W], dB1[GV_W];
    double c[GV_W], dc[GV_W], live[GV_W];
    int l, k, j;
    double L[GV_W];
    gv_lx_minus_psi_body(GV_W, av, xv, 0.0, L); /* log x - psi(a), as in gv_series */
    for (l = 0; l < GV_W; l++) {
        double b1 = xv[l] + 1.0 - av[l];
        A2[l] = 0.0; B2[l] = 1.0; dA2[l] = 0.0; dB2[l] = 0.0;
        A1[l] = 1.0; B1[l] = b1; dA1[l] = 0.0; dB1[l] = -1.0;
        c[l] = 1.0 / b1; dc[l] = c[l] * c[l];
        live[l] = 1.0;
    }
    for (k = 2; k < GV_MAXIT; k += 4) {
        int any = 0;
        for (l = 0; l < GV_W; l++) {
            double a = av[l], x = xv[l], s, cn, dcn;
            double a2 = A2[l], b2 = B2[l], da2 = dA2[l], db2 = dB2[l];
            double a1 = A1[l], b1 = B1[l], da1 = dA1[l], db1 = dB1[l];
            int done;
            for (j = 0; j < 4; j++) {
                double km1 = (double)(k + j) - 1.0;
                double ak = -km1 * (km1 - a), dak = km1;
                double bk = x + 2.0 * (k + j) - 1.0 - a;
                double A = bk * a1 + ak * a2, B = bk * b1 + ak * b2;
                double dA = (bk * da1 - a1) + (dak * a2 + ak * da2);
                double dB = (bk * db1 - b1) + (dak * b2 + ak * db2);
                a2 = a1; b2 = b1; da2 = da1; db2 = db1;
                a1 = A; b1 = B; da1 = dA; db1 = dB;
            }
            s = 1.0 / b1;
            a1 *= s; da1 *= s; db1 *= s; b1 = 1.0;
            a2 *= s; b2 *= s; da2 *= s; db2 *= s;
            A2[l] = a2; B2[l] = b2; dA2[l] = da2; dB2[l] = db2;
            A1[l] = a1; B1[l] = b1; dA1[l] = da1; dB1[l] = db1;
            cn = a1;
            dcn = da1 - a1 * db1;
            done = (fabs(cn - c[l]) <= ND_CF_TOL * fabs(cn))
                   & (fabs(dcn - dc[l]) <= ND_CF_TOL * (fabs(dcn) + fabs(cn * L[l])));
            c[l] = live[l] != 0.0 ? cn : c[l];
            dc[l] = live[l] != 0.0 ? dcn : dc[l];
            live[l] = done ? 0.0 : live[l];
        }
        /* any lane running?  live is +0.0 or 1.0: compare the bytes (a few vector
         * instructions; a lane-by-lane test is a long scalar sequence) */
        any = memcmp(live, gv_zeros, sizeof live) != 0;
        if (!any) break;
    }
    for (l = 0; l < GV_W; l++) out[l] = xv[l] * (dc[l] + c[l] * L[l]);
}
GV_DISPATCH(gv_cf, (const double *restrict av, const double *restrict xv, double *restrict out), (av, xv, out))

/* Temme lanes, a >= GT_A_MIN and x/a in [GT_LAM_LO, GT_LAM_HI] (|eta| <= 0.59):
 * with Q = F(a, eta) = erfc(eta sqrt(a/2))/2 + e^(-a eta^2/2)/sqrt(2 pi a) S,
 * S = sum_k c_k(eta) a^-k (tools/gen_gamma_temme.py), and p = -dQ/dx,
 *   dz/da = -(dQ/da)_x / (dQ/dx)_a = lambda - lambda (eta/(lambda-1)) num / den,
 *   num = eta/2 + (eta^2/2 + 1/(2a)) S + T/a,   den = 1 + eta S - S'/a,
 * T = sum_k k c_k a^-k, S' = sum_k c_k'(eta) a^-k: the common factor
 * e^(-a eta^2/2)/sqrt(2 pi a) cancels, nothing cancels catastrophically, and the
 * cost does not grow with a.  eta^2/2 = lambda - 1 - log(lambda) = -log1pmx(t),
 * t = lambda - 1 = (x - a)/a (x - a exact: x/a in [1/2, 2]); log1pmx(t) by
 * log(1+t) = 2 atanh(u), u = t/(2+t), |u| <= 0.32: -t u + 2 u^3 sum u^2j/(2j+3),
 * j < 16 (next term < 1e-17 relative), taken as eta/t directly (below).
 * Terms to a^-7: relative error below 3e-16 at a = 30, smaller above. */
#define GT_LAM_LO 0.52
#define GT_LAM_HI 1.7
GV_BODY void gv_temme_body(int n, const double *restrict av, const double *restrict xv,
                               double *restrict out)
{
    int l;
    for (l = 0; l < n; l++) {
        /* t by a division, not (x - a) * r: r = 1/a is subnormal above 2^1022 (there
         * it only scales terms far below rounding) */
        double a = av[l], x = xv[l], r = 1.0 / a, t = (x - a) / a, lam = 1.0 + t;
        double inv = 1.0 / (2.0 + t), u = t * inv, u2 = u * u, p, et, eta, S, T, dS, num, den;
        double c0, c1, c2, c3, c4, c5, c6, c7;
        p = 1.0 / 33;
        p = p * u2 + 1.0 / 31;
        p = p * u2 + 1.0 / 29;
        p = p * u2 + 1.0 / 27;
        p = p * u2 + 1.0 / 25;
        p = p * u2 + 1.0 / 23;
        p = p * u2 + 1.0 / 21;
        p = p * u2 + 1.0 / 19;
        p = p * u2 + 1.0 / 17;
        p = p * u2 + 1.0 / 15;
        p = p * u2 + 1.0 / 13;
        p = p * u2 + 1.0 / 11;
        p = p * u2 + 1.0 / 9;
        p = p * u2 + 1.0 / 7;
        p = p * u2 + 1.0 / 5;
        p = p * u2 + 1.0 / 3;
        /* log(1+t) - t = -t u + 2 u^3 p, so (eta/t)^2 = -2 (log(1+t) - t) / t^2
         * = 2 inv (1 - 2 u p inv) with inv = 1/(2+t): eta/t without dividing by t
         * (no 0/0 at x = a, no select) and eta carries the sign of t */
        et = sqrt(2.0 * inv * (1.0 - 2.0 * u * p * inv));
        eta = t * et;
        c0 = gt_c0(eta); c1 = gt_c1(eta); c2 = gt_c2(eta); c3 = gt_c3(eta);
        c4 = gt_c4(eta); c5 = gt_c5(eta); c6 = gt_c6(eta); c7 = gt_c7(eta);
        S = c0 + r * (c1 + r * (c2 + r * (c3 + r * (c4 + r * (c5 + r * (c6 + r * c7))))));
        T = r * (c1 + r * (2.0 * c2 + r * (3.0 * c3 + r * (4.0 * c4 + r * (5.0 * c5
              + r * (6.0 * c6 + r * (7.0 * c7)))))));
        dS = gt_dc0(eta) + r * (gt_dc1(eta) + r * (gt_dc2(eta) + r * (gt_dc3(eta)
               + r * (gt_dc4(eta) + r * (gt_dc5(eta) + r * (gt_dc6(eta) + r * gt_dc7(eta)))))));
        num = 0.5 * eta + (0.5 * (eta * eta) + 0.5 * r) * S + T * r;
        den = 1.0 + eta * S - dS * r;
        out[l] = lam - (lam * et) * num / den;
    }
}
GV_DISPATCH(gv_temme, (int n, const double *restrict av, const double *restrict xv, double *restrict out), (n, av, xv, out))

#define ND_AT(p, i, s) (*(const double *)((const char *)(p) + (i) * (s)))
#define ND_OUT(p, i, s) (*(double *)((char *)(p) + (i) * (s)))

/* Region and bucket of an element: -1 scalar path; [0, GV_NB) series, bucketed
 * by x / (1.5 (a+1)) (< 1 there, as sqrt a <= (a+1)/2); [GV_NB, GV_NC)
 * fraction, bucketed by half-octaves of x (fewer: fraction elements are rarer,
 * and each bucket's last group is padded).  Within a bucket the elements need
 * similar numbers of terms, so a group of lanes wastes little on its slowest. */
#define GV_NB 8
#define GV_NC (GV_NB + 4)
#define GV_TEMME GV_NC       /* class of the Temme elements (one loop, no lanes) */
#define GV_TINY (GV_NC + 1)  /* normal x < GV_X_TINY: -(x/a) L, one loop */
#define GV_SCALAR (GV_NC + 2) /* grad_scalar */
#define GV_NCLS (GV_NC + 3)
/* The class of (a, x) (the comparisons are false for NaN, which so goes to
 * grad_scalar): Temme if a >= GT_A_MIN and x/a in [GT_LAM_LO, GT_LAM_HI]; else
 * grad_scalar unless 1e-4 <= a < GV_A_MAX, x < GV_X_MAX; then tiny for normal
 * x < GV_X_TINY, fraction if x > 1.1 and x >= a + 1 + sqrt(a) (use_cf_d, as
 * (x-a-1)^2 >= a), else series. */
static int gv_class(double a, double x)
{
    double t = x - a - 1.0;
    int k;
    if (a >= GT_A_MIN && a <= DBL_MAX && x >= GT_LAM_LO * a && x <= GT_LAM_HI * a) return GV_TEMME;
    if (!(a >= 1e-4 && a < GV_A_MAX && x < GV_X_MAX)) return GV_SCALAR;
    if (x < GV_X_TINY) return x >= DBL_MIN ? GV_TINY : GV_SCALAR;
    if (!(x >= GV_X_TINY)) return GV_SCALAR;
    if (x > 1.1 && t >= 0.0 && t * t >= a) {
        uint64_t b = gv_to_bits(x);
        k = (int)(((b >> 52) - 1023) * 2 + ((b >> 51) & 1)); /* x > 1.1: >= 0 */
        return GV_NB + (k < GV_NC - GV_NB ? k : GV_NC - GV_NB - 1);
    }
    k = (int)(x * (GV_NB / 1.5) / (a + 1.0));
    return k < GV_NB ? k : GV_NB - 1;
}

/* The same classes without branches, one body compiled for every level
 * (GV_DISPATCH): no selects of variables (they stop GCC's AVX2 vectoriser), only
 * 0/1 masks from comparisons and exact blends of finite values.  The series
 * bucket is the difference of the top 14 bits of x and of a + 1, about
 * 4 log2(x / (a+1)) (quarter octaves, from integer bits: finite for every input):
 * the buckets only group lanes of similar length, they never change a result;
 * the regions are gv_class's. */
GV_BODY void gv_classify_body(int m, const double *restrict ab, const double *restrict xb,
                              int *restrict cls)
{
    int j;
    for (j = 0; j < m; j++) {
        double a = ab[j], x = xb[j], t = x - a - 1.0, c, mk;
        uint64_t b = gv_to_bits(x), q;
        /* fraction bucket: 2 log2(x) rounded down, from the exponent and the first
         * mantissa bit (x > 1.1 there: >= 0) */
        double e = gv_from_bits(UINT64_C(0x4330000000000000) | ((b >> 52) & 0x7ff)) - 0x1p52 - 1023.0;
        double mh = gv_from_bits((b & UINT64_C(0x000fffffffffffff)) | UINT64_C(0x3ff0000000000000));
        double kc = 2.0 * e + (mh >= 1.5 ? 1.0 : 0.0), ks;
        /* series bucket: 5 + quarter octaves of x/(a+1) (<= 2 there: x/(a+1) < 1.5),
         * as an exact double by the 2^52 trick (q < 2^15) */
        q = (b >> 50) + 16384 - (gv_to_bits(a + 1.0) >> 50);
        ks = gv_from_bits(UINT64_C(0x4330000000000000) | q) - 0x1p52 - 16384.0 + 5.0;
        mk = kc < GV_NC - GV_NB - 1 ? 1.0 : 0.0;
        kc = mk * kc + (1.0 - mk) * (GV_NC - GV_NB - 1);
        mk = ks < GV_NB - 1 ? 1.0 : 0.0;
        ks = mk * ks + (1.0 - mk) * (GV_NB - 1);
        mk = ks > 0.0 ? 1.0 : 0.0;
        ks = mk * ks;
        /* conditions as 0/1 doubles and exact blends c = m u + (1 - m) v (u, v
         * finite), in gv_class's order of precedence */
        double m_cf = (x > 1.1 ? 1.0 : 0.0) * (t >= 0.0 ? 1.0 : 0.0) * (t * t >= a ? 1.0 : 0.0);
        double m_reg = x >= GV_X_TINY ? 1.0 : 0.0;
        double m_tiny = (x < GV_X_TINY ? 1.0 : 0.0) * (x >= DBL_MIN ? 1.0 : 0.0);
        double m_vec = (a >= 1e-4 ? 1.0 : 0.0) * (a < GV_A_MAX ? 1.0 : 0.0) * (x < GV_X_MAX ? 1.0 : 0.0);
        double m_temme = (a >= GT_A_MIN ? 1.0 : 0.0) * (a <= DBL_MAX ? 1.0 : 0.0)
                         * (x >= GT_LAM_LO * a ? 1.0 : 0.0) * (x <= GT_LAM_HI * a ? 1.0 : 0.0);
        c = m_cf * (GV_NB + kc) + (1.0 - m_cf) * ks;
        c = m_reg * c + (1.0 - m_reg) * GV_SCALAR;
        c = m_tiny * GV_TINY + (1.0 - m_tiny) * c;
        c = m_vec * c + (1.0 - m_vec) * GV_SCALAR;
        c = m_temme * GV_TEMME + (1.0 - m_temme) * c;
        cls[j] = (int)c; /* c in [0, GV_NCLS): truncation gives the bucket */
    }
}
GV_DISPATCH(gv_classify, (int m, const double *restrict ab, const double *restrict xb, int *restrict cls), (m, ab, xb, cls))

/* The classes of a block whose every element is a plain series or fraction one
 * (1e-4 <= a < GT_A_MIN, GV_X_TINY <= x < GV_X_MAX: no Temme, tiny or scalar
 * element; the common case), in a third of gv_classify's operations: the buckets
 * as integers from the bits (the fraction bucket (bits >> 51) - 2046 is
 * 2 log2(x) rounded down to a half octave, as above).  Returns 0, having written
 * nothing, if some element is not plain (then gv_classify serves the block). */
GV_BODY int gv_classify_plain_body(int m, const double *restrict ab, const double *restrict xb,
                                   int *restrict cls)
{
    int j, other = 0;
    for (j = 0; j < m; j++) {
        double a = ab[j], x = xb[j];
        other += (a >= 1e-4) & (a < GT_A_MIN) & (x >= GV_X_TINY) & (x < GV_X_MAX) ? 0 : 1;
    }
    if (other) return 0;
    for (j = 0; j < m; j++) {
        double a = ab[j], x = xb[j], t = x - a - 1.0;
        uint64_t b = gv_to_bits(x);
        int64_t kc = (int64_t)(b >> 51) - 2046 + GV_NB;
        int64_t ks = (int64_t)(b >> 50) - (int64_t)(gv_to_bits(a + 1.0) >> 50) + 5;
        kc = kc < GV_NC - 1 ? kc : GV_NC - 1;
        ks = ks < GV_NB - 1 ? ks : GV_NB - 1;
        ks = ks > 0 ? ks : 0;
        cls[j] = (int)((x > 1.1) & (t >= 0.0) & (t * t >= a) ? kc : ks);
    }
    return 1;
}
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
/* (GV_DISPATCH's clones, for a body with a result) */
__attribute__((target("avx512f"))) static int gv_classify_plain_512(int m, const double *restrict ab,
                                                                    const double *restrict xb,
                                                                    int *restrict cls)
{
    return gv_classify_plain_body(m, ab, xb, cls);
}
__attribute__((target("avx2"))) static int gv_classify_plain_256(int m, const double *restrict ab,
                                                                 const double *restrict xb,
                                                                 int *restrict cls)
{
    return gv_classify_plain_body(m, ab, xb, cls);
}
static int gv_classify_plain(int m, const double *restrict ab, const double *restrict xb,
                             int *restrict cls)
{
    if (nd_i_special_level >= 3) return gv_classify_plain_512(m, ab, xb, cls);
    if (nd_i_special_level == 2) return gv_classify_plain_256(m, ab, xb, cls);
    return gv_classify_plain_body(m, ab, xb, cls);
}
#else
static int gv_classify_plain(int m, const double *restrict ab, const double *restrict xb,
                             int *restrict cls)
{
    return gv_classify_plain_body(m, ab, xb, cls);
}
#endif

/* The region of gv_class for a class (bucket dropped). */
static int gv_region(int c)
{
    return c < GV_NB ? 0 : c < GV_NC ? 1 : c;
}

/* Test hook (special_impl.h): how many of n points the dispatched classifier puts
 * in a different region than the scalar, branching gv_class, plus how many the
 * plain-block classifier, where it takes the point, puts in a different class
 * than the dispatched one. */
int nd_i_gamma_grad_class_mismatches(int n, const double *a, const double *x)
{
    int bad = 0, j, cls[64];
    for (j = 0; j < n; j += 64) {
        int m = n - j < 64 ? n - j : 64, i, c;
        gv_classify(m, a + j, x + j, cls);
        for (i = 0; i < m; i++) {
            bad += gv_region(cls[i]) != gv_region(gv_class(a[j + i], x[j + i]));
            if (gv_classify_plain(1, a + j + i, x + j + i, &c)) bad += c != cls[i];
        }
    }
    return bad;
}

/* Prefetch into L2, for reading or (w) writing, the lines of elements
 * [i, i + GV_PF_N) of a contiguous array (nothing for NULL, broadcast or other
 * strides: a hint only). */
static inline void gv_prefetch(const void *p, intptr_t s, intptr_t i, int w)
{
    const char *c = (const char *)p + i * s;
    int k;
    if (p == NULL || s != (intptr_t)sizeof(double)) return;
    for (k = 0; k < GV_PF_N * (int)sizeof(double); k += 64) {
        if (w) __builtin_prefetch(c + k, 1, 2);
        else __builtin_prefetch(c + k, 0, 2);
    }
}

/* The fill, and with drate non-NULL Gamma.rsample_vjp's rate cotangent as well,
 * drate[i] = -(g[i] (z[i] / rate[i])) / rate[i] (numpy's order of operations on
 * x = z / rate, so the same bits), in the same pass (the inputs still in cache). */
static void grad_fill(intptr_t n, const double *a, intptr_t as, const double *z, intptr_t zs,
                      const double *g, intptr_t gs, const double *rate, intptr_t rs, double *out,
                      intptr_t os, double *drate, intptr_t ds)
{
    /* per block, the elements sorted by class (counting sort) into va/vx and
     * their results vr, at order[j] for element j: series buckets, fraction
     * buckets (each padded to whole groups of lanes by repeating its last
     * element), Temme, tiny x, then the scalar ones (class -1, stored last) */
    enum { NCLS = GV_NCLS, SCALAR = GV_SCALAR, CAP = GV_BLOCK + NCLS * GV_W };
    double abuf[GV_BLOCK], xbuf[GV_BLOCK], va[CAP], vx[CAP], vL[CAP], vr[CAP];
    int order[GV_BLOCK], cls[GV_BLOCK];
    intptr_t i0, pf, pf_end;
#define GV_PREFETCH_STEP()                                      \
    do {                                                        \
        if (pf < pf_end) {                                      \
            gv_prefetch(a, as, pf, 0);                          \
            gv_prefetch(z, zs, pf, 0);                          \
            gv_prefetch(g, gs, pf, 0);                          \
            gv_prefetch(rate, rs, pf, 0);                       \
            gv_prefetch(out, os, pf, 1);                        \
            gv_prefetch(drate, ds, pf, 1);                      \
            pf += GV_PF_N;                                      \
        }                                                       \
    } while (0)
    for (i0 = 0; i0 < n; i0 += GV_BLOCK) {
        int m = n - i0 < GV_BLOCK ? (int)(n - i0) : GV_BLOCK, j, c, k;
        int cnt[4][NCLS] = {{0}}, count[NCLS], start[NCLS + 1], fill[4][NCLS];
        int nser, nall;
        /* contiguous inputs are read in place (out, which may alias them, is
         * written only after the block's last read) */
        const double *ab = as == (intptr_t)sizeof(double) ? a + i0 : abuf;
        const double *xb = zs == (intptr_t)sizeof(double) ? z + i0 : xbuf;
        if (ab == abuf)
            for (j = 0; j < m; j++) abuf[j] = ND_AT(a, i0 + j, as);
        if (xb == xbuf)
            for (j = 0; j < m; j++) xbuf[j] = ND_AT(z, i0 + j, zs);
        if (!GV_VECTOR_LEVEL) /* SSE2: the branches are faster than 2-lane masks */
            for (j = 0; j < m; j++) cls[j] = gv_class(ab[j], xb[j]);
        else if (!gv_classify_plain(m, ab, xb, cls))
            gv_classify(m, ab, xb, cls);
        /* the next block's lines of a, z, g, rate and of the outputs are touched
         * (prefetched to L2) a few at a time between the series groups, so their
         * misses overlap the lanes' arithmetic */
        pf = i0 + GV_BLOCK;
        pf_end = n - pf < GV_BLOCK ? n : pf + GV_BLOCK;
        /* four counters per class, one for each j mod 4: consecutive elements
         * mostly share a class, and one counter would chain every increment
         * through memory (store to load, ~5 cycles each).  Within a class the
         * elements then come j = 0, 4, 8, ..., then 1, 5, ...: any order gives the
         * same values (lanes are independent) */
        for (j = 0; j + 4 <= m; j += 4) {
            cnt[0][cls[j]]++;
            cnt[1][cls[j + 1]]++;
            cnt[2][cls[j + 2]]++;
            cnt[3][cls[j + 3]]++;
        }
        for (; j < m; j++) cnt[j & 3][cls[j]]++;
        start[0] = 0;
        for (c = 0; c < NCLS; c++) {
            count[c] = cnt[0][c] + cnt[1][c] + cnt[2][c] + cnt[3][c];
            start[c + 1] = start[c] + (c < GV_NC ? (count[c] + GV_W - 1) / GV_W * GV_W : count[c]);
            fill[0][c] = start[c];
            fill[1][c] = fill[0][c] + cnt[0][c];
            fill[2][c] = fill[1][c] + cnt[1][c];
            fill[3][c] = fill[2][c] + cnt[2][c];
        }
        nser = start[GV_NB];
        nall = start[GV_NC];
        for (j = 0; j < m; j++) {
            k = fill[j & 3][cls[j]]++;
            order[j] = k;
            va[k] = ab[j];
            vx[k] = xb[j];
        }
        for (c = 0; c < GV_NC; c++)
            for (k = start[c] + count[c]; k < start[c + 1]; k++) { va[k] = va[k - 1]; vx[k] = vx[k - 1]; }
        /* series buckets: two groups run as one where a bucket has two (about 5%
         * faster at both levels: more independent work in flight) */
        for (c = 0; c < GV_NB; c++) {
            for (k = start[c]; k + 2 * GV_W <= start[c + 1]; k += 2 * GV_W) {
                gv_series2(va + k, vx + k, vr + k);
                GV_PREFETCH_STEP();
            }
            for (; k < start[c + 1]; k += GV_W) {
                gv_series1(va + k, vx + k, vr + k);
                GV_PREFETCH_STEP();
            }
        }
        for (k = nser; k < nall; k += GV_W) gv_cf(va + k, vx + k, vr + k);
        gv_temme(count[GV_TEMME], va + nall, vx + nall, vr + nall);
        /* tiny x: L of x 2^64 (x/w must stay normal for gv_log), less 64 log 2 */
        for (k = start[GV_TINY]; k < start[GV_TINY + 1]; k++) vr[k] = vx[k] * 0x1p64;
        k = start[GV_TINY];
        gv_lx_minus_psi(count[GV_TINY], va + k, vr + k, 1.0, vL + k);
        for (; k < start[GV_TINY + 1]; k++)
            vr[k] = -(vx[k] / va[k]) * ((vL[k] - 64.0 * GV_LN2_HI) - 64.0 * GV_LN2_LO);
        for (k = start[SCALAR]; k < start[SCALAR + 1]; k++) vr[k] = grad_scalar(va[k], vx[k]);
        for (j = 0; j < m; j++) {
            double r = vr[order[j]], q = rate ? ND_AT(rate, i0 + j, rs) : 1.0;
            double gj = g ? ND_AT(g, i0 + j, gs) : 1.0, zj = xb[j];
            /* g r / 1 is g r: the unit rate (the standard gamma's) skips the divisions */
            if (g) r = gj * r;
            if (q != 1.0) r = r / q;
            if (drate) {
                double d = gj * (q != 1.0 ? zj / q : zj);
                ND_OUT(drate, i0 + j, ds) = -(q != 1.0 ? d / q : d);
            }
            ND_OUT(out, i0 + j, os) = r;
        }
    }
}
#undef GV_PREFETCH_STEP

void nd_gamma_sample_grad_fill(intptr_t n, const double *a, intptr_t as, const double *z,
                               intptr_t zs, const double *g, intptr_t gs, const double *rate,
                               intptr_t rs, double *out, intptr_t os)
{
    grad_fill(n, a, as, z, zs, g, gs, rate, rs, out, os, NULL, 0);
}

void nd_gamma_rsample_grads_fill(intptr_t n, const double *a, intptr_t as, const double *z,
                                 intptr_t zs, const double *g, intptr_t gs, const double *rate,
                                 intptr_t rs, double *dconc, intptr_t dcs, double *drate,
                                 intptr_t drs)
{
    grad_fill(n, a, as, z, zs, g, gs, rate, rs, dconc, dcs, drate, drs);
}

double nd_gamma_sample_grad(double a, double z)
{
    double r;
    nd_gamma_sample_grad_fill(1, &a, 0, &z, 0, NULL, 0, NULL, 0, &r, 0);
    return r;
}

/* ------------------------------------------------- strided fill loops */

void nd_fill_d_d(intptr_t n, nd_fn_d_d f, const double *x, intptr_t xs, double *out, intptr_t os)
{
    intptr_t i;
    for (i = 0; i < n; i++) ND_OUT(out, i, os) = f(ND_AT(x, i, xs));
}

void nd_fill_dd_d(intptr_t n, nd_fn_dd_d f, const double *a, intptr_t as, const double *x,
                  intptr_t xs, double *out, intptr_t os)
{
    intptr_t i;
    for (i = 0; i < n; i++) ND_OUT(out, i, os) = f(ND_AT(a, i, as), ND_AT(x, i, xs));
}

void nd_fill_ddd_d(intptr_t n, nd_fn_ddd_d f, const double *a, intptr_t as, const double *b,
                   intptr_t bs, const double *x, intptr_t xs, double *out, intptr_t os)
{
    intptr_t i;
    for (i = 0; i < n; i++)
        ND_OUT(out, i, os) = f(ND_AT(a, i, as), ND_AT(b, i, bs), ND_AT(x, i, xs));
}

void nd_fill_ddd_dd(intptr_t n, nd_fn_ddd_dd f, const double *a, intptr_t as, const double *b,
                    intptr_t bs, const double *x, intptr_t xs, double *out0, intptr_t o0s,
                    double *out1, intptr_t o1s)
{
    intptr_t i;
    for (i = 0; i < n; i++) {
        double r0, r1;
        f(ND_AT(a, i, as), ND_AT(b, i, bs), ND_AT(x, i, xs), &r0, &r1);
        ND_OUT(out0, i, o0s) = r0;
        ND_OUT(out1, i, o1s) = r1;
    }
}
