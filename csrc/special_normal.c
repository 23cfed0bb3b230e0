/* Tail-accurate functions of the standard normal in log space; see numdist/special.h. */
#include "numdist/special.h"

#include <math.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off", "no-trapping-math") /* no-trapping-math: selects in loops vectorise */
#endif

#define ND_HALF_LOG_2PI 0.91893853320467274178 /* log(2 pi) / 2 */

/* log Phi(x) for x <= -15 from the asymptotic series of the Mills ratio:
 * Phi(x) = phi(x)/|x| * (1 - 1/x^2 + 3/x^4 - 15/x^6 + ...).  At |x| >= 15 the
 * terms fall by at least (2k-1)/225 each: the 13th is below 1e-17. */
static double mills_series(double x)
{
    double r = 1.0 / (x * x), term = 1.0, sum = 1.0;
    int k;
    for (k = 1; k <= 12; k++) {
        term *= -(2.0 * k - 1.0) * r;
        sum += term;
    }
    return sum;
}

static double log_ndtr_asymptotic(double x)
{
    return -0.5 * x * x - ND_HALF_LOG_2PI - log(-x) + log(mills_series(x));
}

double nd_log_ndtr(double x)
{
    if (x != x) return x;
    if (x > 0.0) return log1p(-nd_ndtr(-x)); /* Phi(x) near 1: keep the small tail exact */
    if (x > -15.0) return log(nd_ndtr(x));    /* nd_ndtr is relatively accurate here */
    if (x == -INFINITY) return -INFINITY;
    return log_ndtr_asymptotic(x);
}

/* d/dx log Phi(x) = phi(x) / Phi(x) (the inverse Mills ratio of -x). */
double nd_log_ndtr_grad(double x)
{
    if (x != x) return x;
    if (x == -INFINITY) return INFINITY;
    if (x > 40.0) return 0.0;
    if (x <= -15.0) return -x / mills_series(x); /* the same series, no cancellation */
    if (x > 0.0) return 0.3989422804014327 * exp(-0.5 * x * x) / nd_ndtr(x); /* Phi(x) >= 1/2 */
    return exp(-0.5 * x * x - ND_HALF_LOG_2PI - nd_log_ndtr(x));
}

double nd_ndtri_exp(double y)
{
    double z, step;
    int i;
    if (!(y <= 0.0)) return NAN; /* also NaN */
    if (y == 0.0) return INFINITY;
    if (y == -INFINITY) return -INFINITY;
    if (y > -0.6931471805599453) return -nd_ndtri(-expm1(y)); /* p > 1/2: via the small tail 1 - p */
    if (y > -700.0) z = nd_ndtri(exp(y));
    else z = -sqrt(-2.0 * y - log(-2.0 * y) - 2.0 * ND_HALF_LOG_2PI); /* leading asymptotics */
    /* Newton on log Phi(z) = y: quadratic, a few steps from either start. */
    for (i = 0; i < 60; i++) {
        double g = nd_log_ndtr_grad(z);
        if (!(g > 0.0)) break;
        step = (nd_log_ndtr(z) - y) / g;
        z -= step;
        if (fabs(step) <= 1e-15 * fabs(z)) break;
    }
    return z;
}

/* ---- log-density of a mixture of normals --------------------------------------
 * out[i] = log sum_k exp(c_k - ((x_i - mu_k) inv_sigma_k)^2 / 2), by the max shift;
 * the exps and the log are numdist's IEEE-only ones (gamma.h, ndmath.h), so the
 * loop over k vectorises.  x NaN -> NaN, every term -inf (x infinite) -> -inf. */
#include "numdist/gamma.h"
#include "numdist/ndmath.h"

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && \
    !defined(__clang__)
/* AVX2 clone picked at run time (IEEE operations only: the same numbers) */
#define ND_MIX_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define ND_MIX_CLONES
#endif

#define ND_MIX_BLOCK 256

/* One block of c <= ND_MIX_BLOCK contiguous values: the loops run over the values,
 * so they vectorise whatever K is; s_k is recomputed in the second pass (3 flops)
 * rather than stored. */
ND_MIX_CLONES static void mixture_block(intptr_t c, const double *xb, intptr_t K, const double *mu,
                                        const double *inv_sigma, const double *cst, double *m, double *sum)
{
    intptr_t i, k;
    for (i = 0; i < c; i++) { m[i] = -INFINITY; sum[i] = 0.0; }
    for (k = 0; k < K; k++) {
        double mk = mu[k], ik = inv_sigma[k], ck = cst[k];
        for (i = 0; i < c; i++) {
            double z = (xb[i] - mk) * ik, v = ck - 0.5 * (z * z);
            m[i] = v > m[i] ? v : m[i];
        }
    }
    for (k = 0; k < K; k++) {
        double mk = mu[k], ik = inv_sigma[k], ck = cst[k];
        for (i = 0; i < c; i++) {
            double z = (xb[i] - mk) * ik, v = ck - 0.5 * (z * z);
            sum[i] += nd_gamma_exp(v - m[i]);
        }
    }
    for (i = 0; i < c; i++) sum[i] = m[i] + nd_log_pos(sum[i]); /* sum in [1, K] where m is finite */
}

void nd_normal_mixture_logpdf(intptr_t n, const double *x, intptr_t xs, intptr_t K, const double *mu,
                              const double *inv_sigma, const double *c, double *work, double *out,
                              intptr_t os)
{
    double xb[ND_MIX_BLOCK], m[ND_MIX_BLOCK], r[ND_MIX_BLOCK];
    intptr_t i0, i;
    (void)work;
    for (i0 = 0; i0 < n; i0 += ND_MIX_BLOCK) {
        intptr_t cnt = n - i0 < ND_MIX_BLOCK ? n - i0 : ND_MIX_BLOCK;
        for (i = 0; i < cnt; i++) xb[i] = *(const double *)((const char *)x + (i0 + i) * xs);
        mixture_block(cnt, xb, K, mu, inv_sigma, c, m, r);
        for (i = 0; i < cnt; i++) {
            double v = r[i];
            if (xb[i] != xb[i]) v = xb[i];
            else if (m[i] == -INFINITY) v = -INFINITY;
            else if (m[i] != m[i]) v = m[i];
            *(double *)((char *)out + (i0 + i) * os) = v;
        }
    }
}
