/* Tail-accurate functions of the standard normal in log space; see numdist/special.h. */
#include "numdist/special.h"

#include <math.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
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
