/*
 * Regularised incomplete beta function I_x(a,b), its derivatives in a and b,
 * the implicit reparameterisation gradient of the Beta distribution, and the
 * Student t CDF with its df-gradient; see numdist/special.h.
 *
 * Method: the continued fraction
 *     I_x(a,b) = K f,  K = x^a (1-x)^b / (a B(a,b)),
 *     f = 1/(1 + d1/(1 + d2/(1 + ...))),
 *     d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),
 *     d_{2m}   =  m (b-m) x / ((a+2m-1)(a+2m)),
 * for x < (a+1)/(a+b+2), otherwise through I_x(a,b) = 1 - I_{1-x}(b,a).
 * The derivatives df/da, df/db come from the Wallis recurrences of the
 * convergents differentiated term by term (Boik & Robison-Cox 1998), with the
 * coefficients' derivatives in closed form, renormalised every step; then
 *     dI/da = K (df/da + f (log x - psi(a+1) + psi(a+b))),
 *     dI/db = K (df/db + f (log(1-x) - psi(b) + psi(a+b))).
 * The sample gradient -(dI/da)/p uses K/p = x(1-x)/a exactly: no power or
 * Beta function is evaluated, so nothing under/overflows.
 * For a, b >= 10 the prefactor and the digamma differences are formed with
 * log1pmx / psi(t) - log(t) so that they keep relative accuracy near the mode.
 */
#include "numdist/special.h"
#include "special_impl.h"

#include <float.h>
#include <math.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#define ND_EPS 1.1102230246251565e-16
#define ND_LOG_SQRT_2PI 0.91893853320467274178
#define ND_2PI 6.28318530717958647693
#define ND_BETA_MAXIT 1000000

/* log(x^a y^b / B(a,b)), y = 1 - x given separately (accurately). */
/* log x from whichever of x, y = 1 - x is the accurate one (the smaller) */
static double log_of(double x, double y)
{
    return x < 0.5 ? log(x) : log1p(-y);
}

static double beta_log_pow(double a, double b, double x, double y)
{
    double s = a + b, lx = log_of(x, y), ly = log_of(y, x);
    if (a >= 10.0 && b >= 10.0) {
        /* a log(x/x0) + b log(y/y0), x0 = a/s: near the mode by log1pmx, whose
         * linear parts a u + b v = s (x + y - 1) vanish exactly for y = 1 - x */
        double du = x * s - a, dv = y * s - b, ea, eb;
        if (fabs(du) < 0.5 * a && fabs(dv) < 0.5 * b) {
            ea = a * nd_log1pmx(du / a);
            eb = b * nd_log1pmx(dv / b);
        } else {
            ea = a * (lx + log(s / a));
            eb = b * (ly + log(s / b));
        }
        return ea + eb
               + 0.5 * log(a / ND_2PI * (b / s)) - nd_i_stirling_corr(a) - nd_i_stirling_corr(b)
               + nd_i_stirling_corr(s);
    }
    if (b >= 10.0) {
        /* lgamma(b) - lgamma(a+b) by Stirling, without cancellation */
        return a * (lx + log(s)) + b * ly + (b - 0.5) * log1p(a / b) - a
               - nd_i_stirling_corr(b) + nd_i_stirling_corr(s) - nd_lgamma(a);
    }
    if (a >= 10.0) {
        return b * (ly + log(s)) + a * lx + (a - 0.5) * log1p(b / a) - b
               - nd_i_stirling_corr(a) + nd_i_stirling_corr(s) - nd_lgamma(b);
    }
    return a * lx + b * ly - (nd_lgamma(a) + nd_lgamma(b) - nd_lgamma(s));
}

/* log((a + d)/a) where d = v - a was formed from v (e.g. v = x s): log1p near
 * v = a, log(v/a) (computed as lv - log a, lv = log v) elsewhere */
static double log_ratio(double d, double a, double lv)
{
    double t = d / a;
    return fabs(t) < 0.5 ? log1p(t) : lv - log(a);
}

/* La = log x - psi(a+1) + psi(a+b) and Lb = log y - psi(b) + psi(a+b) */
static void beta_log_derivs(double a, double b, double x, double y, double *La, double *Lb)
{
    double s = a + b;
    double ps = s >= 10.0 ? 0.0 : nd_i_psi_pos(s); /* used when s < 10 */
    if (a >= 10.0)
        *La = log_ratio(x * s - a, a, log_of(x, y) + log(s)) + nd_i_psi_minus_log(s) - nd_i_psi_minus_log(a) - 1.0 / a;
    else if (s >= 10.0)
        *La = log_of(x, y) + log(s) + nd_i_psi_minus_log(s) - nd_i_psi_pos(a + 1.0);
    else
        *La = log_of(x, y) - nd_i_psi_pos(a + 1.0) + ps;
    if (b >= 10.0)
        *Lb = log_ratio(y * s - b, b, log_of(y, x) + log(s)) + nd_i_psi_minus_log(s) - nd_i_psi_minus_log(b);
    else if (s >= 10.0)
        *Lb = log_of(y, x) + log(s) + nd_i_psi_minus_log(s) - nd_i_psi_pos(b);
    else
        *Lb = log_of(y, x) - nd_i_psi_pos(b) + ps;
}

/* f and df/da, df/db; tolerances relative to what is used (df + f L). */
static void beta_cf(double a, double b, double x, double La, double Lb, double *f, double *fa,
                    double *fb)
{
    double A2 = 0.0, B2 = 1.0, A1 = 1.0, B1 = 1.0; /* convergents 0 and 1 */
    double A2a = 0.0, B2a = 0.0, A1a = 0.0, B1a = 0.0;
    double A2b = 0.0, B2b = 0.0, A1b = 0.0, B1b = 0.0;
    double c = 1.0, ca = 0.0, cb = 0.0;
    int n;
    for (n = 1; n < ND_BETA_MAXIT; n++) {
        double d, dda, ddb, A, B, Aa, Ba, Ab, Bb, r, cn, can, cbn;
        if (n & 1) {
            double m = (double)((n - 1) / 2);
            double am = a + m, abm = a + b + m, a2m = a + 2.0 * m, a2m1 = a2m + 1.0;
            double D = a2m * a2m1;
            d = -x * (am * abm) / D;
            dda = d * (m / (am * a2m) + (m + 1.0 - b) / (abm * a2m1));
            ddb = -x * am / D;
        } else {
            double m = (double)(n / 2);
            double a2m = a + 2.0 * m, a2m_1 = a2m - 1.0;
            double D = a2m_1 * a2m;
            d = x * m * (b - m) / D;
            dda = -d * (1.0 / a2m_1 + 1.0 / a2m);
            ddb = x * m / D;
        }
        A = A1 + d * A2;
        B = B1 + d * B2;
        Aa = A1a + dda * A2 + d * A2a;
        Ba = B1a + dda * B2 + d * B2a;
        Ab = A1b + ddb * A2 + d * A2b;
        Bb = B1b + ddb * B2 + d * B2b;
        r = 1.0 / B;
        A *= r; Aa *= r; Ba *= r; Ab *= r; Bb *= r;
        A2 = A1 * r; B2 = B1 * r; A2a = A1a * r; B2a = B1a * r; A2b = A1b * r; B2b = B1b * r;
        A1 = A; B1 = 1.0; A1a = Aa; B1a = Ba; A1b = Ab; B1b = Bb;
        cn = A;
        can = Aa - A * Ba;
        cbn = Ab - A * Bb;
        if (fabs(cn - c) <= ND_EPS * fabs(cn)
            && fabs(can - ca) <= ND_EPS * (fabs(can) + fabs(cn * La))
            && fabs(cbn - cb) <= ND_EPS * (fabs(cbn) + fabs(cn * Lb))) {
            c = cn; ca = can; cb = cbn;
            break;
        }
        c = cn; ca = can; cb = cbn;
    }
    *f = c;
    *fa = ca;
    *fb = cb;
}

/* The work: for 0 < x < 1 (y = 1 - x), a, b > 0 finite.
 * want_i: compute I, dI/da, dI/db (else only ga, gb);
 * ga, gb: dx/da = x y ga, dx/db = x y gb for x ~ Beta(a, b). */
static void beta_eval(double a, double b, double x, double y, int want_i, double *I,
                      double *Ia, double *Ib, double *ga, double *gb)
{
    int swap = x > (a + 1.0) / (a + b + 2.0);
    double La, Lb, f, fa, fb, K, ja, jb;
    if (swap) {
        double t = a; a = b; b = t;
        t = x; x = y; y = t;
    }
    beta_log_derivs(a, b, x, y, &La, &Lb);
    beta_cf(a, b, x, La, Lb, &f, &fa, &fb);
    ja = fa + f * La; /* dJ/da / K, J the fraction's own I */
    jb = fb + f * Lb;
    if (want_i) {
        K = exp(beta_log_pow(a, b, x, y) - log(a));
        if (swap) {
            *I = 1.0 - K * f;
            *Ia = -K * jb;
            *Ib = -K * ja;
        } else {
            *I = K * f;
            *Ia = K * ja;
            *Ib = K * jb;
        }
    }
    if (swap) {
        /* X = 1 - x': dX/da = -dx'/db' = (1/a') jb x'y' */
        *ga = jb / a;
        *gb = ja / a;
    } else {
        *ga = -ja / a;
        *gb = -jb / a;
    }
}

/* 0: ordinary, 1: NaN, 2: I = 0 edge, 3: I = 1 edge */
static int beta_domain(double a, double b, double x)
{
    if (a != a || b != b || x != x) return 1;
    if (a < 0.0 || b < 0.0 || x < 0.0 || x > 1.0 || (a == 0.0 && b == 0.0)) return 1;
    if (isinf(a) || isinf(b)) return 1;
    if (a == 0.0) return 3;
    if (b == 0.0) return 2;
    if (x == 0.0) return 2;
    if (x == 1.0) return 3;
    return 0;
}

void nd_betainc_grad(double a, double b, double x, double *da, double *db)
{
    double I, ga, gb;
    int dom = beta_domain(a, b, x);
    if (dom == 1 || a == 0.0 || b == 0.0) { *da = *db = NAN; return; }
    if (dom) { *da = *db = 0.0; return; }
    beta_eval(a, b, x, 1.0 - x, 1, &I, da, db, &ga, &gb);
}

double nd_betainc(double a, double b, double x)
{
    double I, Ia, Ib, ga, gb;
    int dom = beta_domain(a, b, x);
    if (dom == 1) return NAN;
    if (dom == 2) return 0.0;
    if (dom == 3) return 1.0;
    beta_eval(a, b, x, 1.0 - x, 1, &I, &Ia, &Ib, &ga, &gb);
    return I;
}

double nd_betainc_da(double a, double b, double x)
{
    double da, db;
    nd_betainc_grad(a, b, x, &da, &db);
    return da;
}

double nd_betainc_db(double a, double b, double x)
{
    double da, db;
    nd_betainc_grad(a, b, x, &da, &db);
    return db;
}

void nd_beta_sample_grad(double a, double b, double x, double *dxda, double *dxdb)
{
    double I, Ia, Ib, ga, gb, y;
    if (a != a || b != b || x != x || !(a > 0.0) || !(b > 0.0) || isinf(a) || isinf(b)
        || x < 0.0 || x > 1.0) {
        *dxda = *dxdb = NAN;
        return;
    }
    if (x == 0.0 || x == 1.0) { *dxda = *dxdb = 0.0; return; }
    y = 1.0 - x;
    beta_eval(a, b, x, y, 0, &I, &Ia, &Ib, &ga, &gb);
    *dxda = x * y * ga;
    *dxdb = x * y * gb;
}

/* x = df/(df+t^2), y = t^2/(df+t^2), both to full relative accuracy */
static void student_xy(double df, double t, double *x, double *y)
{
    double t2 = t * t;
    if (isinf(t2)) {
        double q = (df / fabs(t)) / fabs(t);
        *x = q;
        *y = 1.0;
        return;
    }
    *x = df / (df + t2);
    *y = t2 / (df + t2);
}

double nd_student_t_cdf(double df, double t)
{
    double x, y, I, Ia, Ib, ga, gb;
    if (df != df || t != t || !(df > 0.0)) return NAN;
    if (isinf(df)) return nd_ndtr(t);
    if (isinf(t)) return t > 0 ? 1.0 : 0.0;
    if (t == 0.0) return 0.5;
    student_xy(df, t, &x, &y);
    if (x == 0.0) return t > 0 ? 1.0 : 0.0;
    if (y == 0.0) return 0.5;
    beta_eval(0.5 * df, 0.5, x, y, 1, &I, &Ia, &Ib, &ga, &gb);
    return t < 0.0 ? 0.5 * I : 1.0 - 0.5 * I;
}

/* F(t; v) = I_x(v/2, 1/2)/2 for t < 0.  dF/dv at fixed t, over the density,
 * with dx/da = x y ga and p_t = -p_B(x) t v/(v+t^2)^2 reduces to
 * dt/dv = t (1/(2v) - ga/4), odd in t (valid for t > 0 by symmetry). */
double nd_student_t_sample_grad_df(double df, double t)
{
    double x, y, I, Ia, Ib, ga, gb;
    if (df != df || t != t || !(df > 0.0)) return NAN;
    if (t == 0.0 || isinf(df)) return 0.0;
    if (isinf(t)) return t;
    student_xy(df, t, &x, &y);
    if (y < DBL_MIN) y = DBL_MIN;
    if (x < DBL_MIN) x = DBL_MIN;
    beta_eval(0.5 * df, 0.5, x, y, 0, &I, &Ia, &Ib, &ga, &gb);
    return t * (0.5 / df - 0.25 * ga);
}
