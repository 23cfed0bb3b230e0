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
#include <stdint.h>
#include <string.h>

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
/* as in special_gamma.c: lets GCC if-convert the lane loops' comparisons for AVX2 */
#pragma GCC optimize("no-trapping-math")
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

/* The digammas an array fill asked for last (four arguments each of psi and of
 * psi - log), so that parameters broadcast over a sample (a scalar df beside 1e6
 * values, the 1/2 of every Student t element) are evaluated once: a hit returns the
 * value the function gave for that argument, so no result depends on the cache. */
typedef struct {
    double arg[2][4], val[2][4];
    int next[2];
} bl_memo;

static void bl_memo_init(bl_memo *m)
{
    int k, i;
    for (k = 0; k < 2; k++) {
        for (i = 0; i < 4; i++) m->arg[k][i] = NAN; /* equal to nothing */
        m->next[k] = 0;
    }
}

/* kind 0: nd_i_psi_pos, 1: nd_i_psi_minus_log; m NULL: no cache */
static double bl_psi(bl_memo *m, int kind, double v)
{
    double r;
    int i;
    if (m != NULL)
        for (i = 0; i < 4; i++)
            if (m->arg[kind][i] == v) return m->val[kind][i];
    r = kind ? nd_i_psi_minus_log(v) : nd_i_psi_pos(v);
    if (m != NULL) {
        m->arg[kind][m->next[kind]] = v;
        m->val[kind][m->next[kind]] = r;
        m->next[kind] = (m->next[kind] + 1) & 3;
    }
    return r;
}

/* La = log x - psi(a+1) + psi(a+b) and Lb = log y - psi(b) + psi(a+b) */
static void beta_log_derivs(double a, double b, double x, double y, double *La, double *Lb,
                            bl_memo *m)
{
    double s = a + b;
    double ps = s >= 10.0 ? 0.0 : bl_psi(m, 0, s); /* used when s < 10 */
    if (a >= 10.0)
        *La = log_ratio(x * s - a, a, log_of(x, y) + log(s)) + bl_psi(m, 1, s) - bl_psi(m, 1, a) - 1.0 / a;
    else if (s >= 10.0)
        *La = log_of(x, y) + log(s) + bl_psi(m, 1, s) - bl_psi(m, 0, a + 1.0);
    else
        *La = log_of(x, y) - bl_psi(m, 0, a + 1.0) + ps;
    if (b >= 10.0)
        *Lb = log_ratio(y * s - b, b, log_of(y, x) + log(s)) + bl_psi(m, 1, s) - bl_psi(m, 1, b);
    else if (s >= 10.0)
        *Lb = log_of(y, x) + log(s) + bl_psi(m, 1, s) - bl_psi(m, 0, b);
    else
        *Lb = log_of(y, x) - bl_psi(m, 0, b) + ps;
}

/* The fraction f and df/da, df/db for w <= BL_W elements at once: the lanes of
 * loops the compiler vectorises (GV_DISPATCH, special_impl.h).  One element's
 * steps form a chain (each ends in a division by B), so an element alone waits
 * on latency; eight run in the time of about two.  Each lane does the operations
 * of the one-element rule in its order and stops on its own test (frozen from
 * then on: the later steps of its recurrences are not used), so its values do
 * not depend on the other lanes, and every level gives the same bits.
 * Tolerances are relative to what is used (df + f L). */
#define BL_W 8
static const double bl_zeros[BL_W]; /* +0.0 */

/* one step of lane l with coefficient d and its derivatives dda, ddb:
 * the Wallis recurrences, renormalised by 1/B, and the convergence test */
#define BL_STEP(l, d, dda, ddb)                                                            \
    do {                                                                                   \
        double A = A1[l] + d * A2[l], B = B1[l] + d * B2[l];                               \
        double Aa = A1a[l] + dda * A2[l] + d * A2a[l];                                     \
        double Ba = B1a[l] + dda * B2[l] + d * B2a[l];                                     \
        double Ab = A1b[l] + ddb * A2[l] + d * A2b[l];                                     \
        double Bb = B1b[l] + ddb * B2[l] + d * B2b[l];                                     \
        double r = 1.0 / B, cn, can, cbn;                                                  \
        int done;                                                                          \
        A *= r; Aa *= r; Ba *= r; Ab *= r; Bb *= r;                                        \
        A2[l] = A1[l] * r; B2[l] = B1[l] * r; A2a[l] = A1a[l] * r;                         \
        B2a[l] = B1a[l] * r; A2b[l] = A1b[l] * r; B2b[l] = B1b[l] * r;                     \
        A1[l] = A; B1[l] = 1.0; A1a[l] = Aa; B1a[l] = Ba; A1b[l] = Ab; B1b[l] = Bb;        \
        cn = A;                                                                            \
        can = Aa - A * Ba;                                                                 \
        cbn = Ab - A * Bb;                                                                 \
        done = (fabs(cn - c[l]) <= ND_EPS * fabs(cn))                                      \
               & (fabs(can - ca[l]) <= ND_EPS * (fabs(can) + fabs(cn * La[l])))            \
               & (fabs(cbn - cb[l]) <= ND_EPS * (fabs(cbn) + fabs(cn * Lb[l])));           \
        c[l] = live[l] != 0.0 ? cn : c[l];                                                 \
        ca[l] = live[l] != 0.0 ? can : ca[l];                                              \
        cb[l] = live[l] != 0.0 ? cbn : cb[l];                                              \
        live[l] = done ? 0.0 : live[l];                                                    \
    } while (0)

GV_BODY void bl_cf_body(const int w, const double *restrict av, const double *restrict bv,
                        const double *restrict xv, const double *restrict La,
                        const double *restrict Lb, double *restrict fo, double *restrict fao,
                        double *restrict fbo)
{
    /* convergents k-1 (1) and k-2 (2), and their a- and b-derivatives */
    double A2[BL_W], B2[BL_W], A1[BL_W], B1[BL_W], A2a[BL_W], B2a[BL_W], A1a[BL_W], B1a[BL_W];
    double A2b[BL_W], B2b[BL_W], A1b[BL_W], B1b[BL_W], c[BL_W], ca[BL_W], cb[BL_W], live[BL_W];
    int l, n;
    for (l = 0; l < w; l++) {
        A2[l] = 0.0; B2[l] = 1.0; A1[l] = 1.0; B1[l] = 1.0; /* convergents 0 and 1 */
        A2a[l] = 0.0; B2a[l] = 0.0; A1a[l] = 0.0; B1a[l] = 0.0;
        A2b[l] = 0.0; B2b[l] = 0.0; A1b[l] = 0.0; B1b[l] = 0.0;
        c[l] = 1.0; ca[l] = 0.0; cb[l] = 0.0; live[l] = 1.0;
    }
    for (n = 1; n < ND_BETA_MAXIT; n++) {
        if (n & 1) {
            /* d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)) */
            const double m = (double)((n - 1) / 2);
            for (l = 0; l < w; l++) {
                const double a = av[l], b = bv[l], x = xv[l];
                double am = a + m, abm = a + b + m, a2m = a + 2.0 * m, a2m1 = a2m + 1.0;
                double rD = 1.0 / (a2m * a2m1), xr = x * rD;
                double i1 = a2m1 * rD, i2 = a2m * rD; /* 1/(a+2m), 1/(a+2m+1) */
                double d = -xr * (am * abm);
                double dda = -xr * (m * abm * i1 + (m + 1.0 - b) * am * i2);
                double ddb = -xr * am;
                BL_STEP(l, d, dda, ddb);
            }
        } else {
            /* d_{2m} = m (b-m) x / ((a+2m-1)(a+2m)) */
            const double m = (double)(n / 2);
            for (l = 0; l < w; l++) {
                const double a = av[l], b = bv[l], x = xv[l];
                double a2m = a + 2.0 * m, a2m_1 = a2m - 1.0;
                double rD = 1.0 / (a2m_1 * a2m), xr = x * rD;
                double d = xr * (m * (b - m));
                double dda = -d * ((a2m + a2m_1) * rD);
                double ddb = xr * m;
                BL_STEP(l, d, dda, ddb);
            }
        }
        /* any lane running?  (live is +0.0 or 1.0: compare the bytes) */
        if (w == 1 ? live[0] == 0.0 : memcmp(live, bl_zeros, (size_t)w * sizeof live[0]) == 0) break;
    }
    for (l = 0; l < w; l++) {
        fo[l] = c[l];
        fao[l] = ca[l];
        fbo[l] = cb[l];
    }
}
#undef BL_STEP
GV_BODY void bl_cf8_body(const double *restrict av, const double *restrict bv, const double *restrict xv,
                         const double *restrict La, const double *restrict Lb, double *restrict fo,
                         double *restrict fao, double *restrict fbo)
{
    bl_cf_body(BL_W, av, bv, xv, La, Lb, fo, fao, fbo);
}
GV_DISPATCH(bl_cf8, (const double *restrict av, const double *restrict bv, const double *restrict xv, const double *restrict La, const double *restrict Lb, double *restrict fo, double *restrict fao, double *restrict fbo), (av, bv, xv, La, Lb, fo, fao, fbo))

/* One element's evaluation, in three parts so that the fills can run the middle
 * one (the fraction) on eight elements at once.  For 0 < x < 1 (y = 1 - x), a,
 * b > 0 finite.  bl_prep: the side the fraction is evaluated on (swap: through
 * I_x(a,b) = 1 - I_y(b,a)) and the log-derivatives La, Lb there. */
typedef struct {
    double a, b, x, y, La, Lb;
    int swap;
} bl_point;

static void beta_prep(double a, double b, double x, double y, bl_point *p, bl_memo *m)
{
    p->swap = x > (a + 1.0) / (a + b + 2.0);
    if (p->swap) {
        double t = a; a = b; b = t;
        t = x; x = y; y = t;
    }
    p->a = a; p->b = b; p->x = x; p->y = y;
    beta_log_derivs(a, b, x, y, &p->La, &p->Lb, m);
}

/* want_i: I, dI/da, dI/db (else only ga, gb); ga, gb: dx/da = x y ga,
 * dx/db = x y gb for x ~ Beta(a, b) */
static void beta_finish(const bl_point *p, double f, double fa, double fb, int want_i, double *I,
                        double *Ia, double *Ib, double *ga, double *gb)
{
    double ja = fa + f * p->La, jb = fb + f * p->Lb; /* dJ/da / K, J the fraction's own I */
    double a = p->a;
    if (want_i) {
        double K = exp(beta_log_pow(a, p->b, p->x, p->y) - log(a));
        if (p->swap) {
            *I = 1.0 - K * f;
            *Ia = -K * jb;
            *Ib = -K * ja;
        } else {
            *I = K * f;
            *Ia = K * ja;
            *Ib = K * jb;
        }
    }
    if (p->swap) {
        /* X = 1 - x': dX/da = -dx'/db' = (1/a') jb x'y' */
        *ga = jb / a;
        *gb = ja / a;
    } else {
        *ga = -ja / a;
        *gb = -jb / a;
    }
}

static void beta_eval(double a, double b, double x, double y, int want_i, double *I,
                      double *Ia, double *Ib, double *ga, double *gb)
{
    bl_point p;
    double f, fa, fb;
    beta_prep(a, b, x, y, &p, NULL);
    bl_cf_body(1, &p.a, &p.b, &p.x, &p.La, &p.Lb, &f, &fa, &fb);
    beta_finish(&p, f, fa, fb, want_i, I, Ia, Ib, ga, gb);
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

/* ---- arrays: the fraction eight elements at a time --------------------------
 * A block of BL_BLOCK elements: each ordinary element prepared (beta_prep) as an
 * entry, the others (edges, invalid input) by the one-element function; the
 * entries' fractions in lane groups of BL_W (bl_run; the last group padded by
 * repeating its last entry); then each element finished in place.  Every value is the one-element
 * function's, bit for bit. */
#define BL_BLOCK 256
#define BL_AT(p, i, s) (*(const double *)((const char *)(p) + (i) * (s)))
#define BL_OUT(p, i, s) (*(double *)((char *)(p) + (i) * (s)))

typedef struct {
    bl_point pt[BL_BLOCK];                         /* the prepared entries */
    double f[BL_BLOCK], fa[BL_BLOCK], fb[BL_BLOCK]; /* their fractions */
    int at[BL_BLOCK]; /* the element of each entry */
    int n;
    bl_memo memo; /* for the whole fill */
} bl_block;

static void bl_add(bl_block *k, int j, double a, double b, double x, double y)
{
    beta_prep(a, b, x, y, &k->pt[k->n], &k->memo);
    k->at[k->n++] = j;
}

/* The fraction for the block's entries.  A lane group runs until its slowest lane
 * has converged, and the number of steps grows with how close x is to the side
 * switch (x (a+b+2)/(a+1), in (0, 1] here): the entries go to the groups sorted
 * into 16 buckets of that ratio (on the benchmark's Beta population, 24.8 ->
 * 18.9 steps per group against 16.4 per element).  The order never changes a
 * value: each lane stops on its own test. */
#define BL_NBUCKET 16
static void bl_run(bl_block *k)
{
    double sa[BL_BLOCK + BL_W], sb[BL_BLOCK + BL_W], sx[BL_BLOCK + BL_W], sLa[BL_BLOCK + BL_W];
    double sLb[BL_BLOCK + BL_W], sf[BL_BLOCK + BL_W], sfa[BL_BLOCK + BL_W], sfb[BL_BLOCK + BL_W];
    int perm[BL_BLOCK], bucket[BL_BLOCK], count[BL_NBUCKET + 1] = {0}, e, g;
    if (!GV_VECTOR_LEVEL) { /* baseline: one element at a time (the lanes' waste costs more than they hide) */
        for (e = 0; e < k->n; e++) {
            const bl_point *p = &k->pt[e];
            bl_cf_body(1, &p->a, &p->b, &p->x, &p->La, &p->Lb, k->f + e, k->fa + e, k->fb + e);
        }
        return;
    }
    for (e = 0; e < k->n; e++) {
        const bl_point *p = &k->pt[e];
        double q = p->x * ((p->a + p->b + 2.0) / (p->a + 1.0)) * BL_NBUCKET;
        int c = q < BL_NBUCKET - 1 ? (int)q : BL_NBUCKET - 1; /* q >= 0; NaN: the last */
        bucket[e] = c;
        count[c + 1]++;
    }
    for (g = 0; g < BL_NBUCKET; g++) count[g + 1] += count[g];
    for (e = 0; e < k->n; e++) { /* the lanes' arrays, in bucket order */
        const bl_point *p = &k->pt[e];
        int i = count[bucket[e]]++;
        perm[i] = e;
        sa[i] = p->a; sb[i] = p->b; sx[i] = p->x; sLa[i] = p->La; sLb[i] = p->Lb;
    }
    for (e = k->n; e % BL_W; e++) {
        sa[e] = sa[e - 1]; sb[e] = sb[e - 1]; sx[e] = sx[e - 1];
        sLa[e] = sLa[e - 1]; sLb[e] = sLb[e - 1];
    }
    for (g = 0; g < k->n; g += BL_W)
        bl_cf8(sa + g, sb + g, sx + g, sLa + g, sLb + g, sf + g, sfa + g, sfb + g);
    for (e = 0; e < k->n; e++) {
        k->f[perm[e]] = sf[e];
        k->fa[perm[e]] = sfa[e];
        k->fb[perm[e]] = sfb[e];
    }
}

/* The fills' driver.  BL_BETA: (a, b, x) -> (dx/da, dx/db), nd_beta_sample_grad's
 * ordinary case in lanes, the rest by it; BL_T: (df, t) -> dt/d df, likewise
 * nd_student_t_sample_grad_df's. */
enum { BL_BETA, BL_T };

static void bl_fill(int mode, intptr_t n, const double *p0, intptr_t s0, const double *p1,
                    intptr_t s1, const double *p2, intptr_t s2, double *o0, intptr_t os0,
                    double *o1, intptr_t os1)
{
    bl_block k;
    double tv[BL_BLOCK], dv[BL_BLOCK]; /* BL_T: t and df of each entry */
    intptr_t i0;
    bl_memo_init(&k.memo);
    for (i0 = 0; i0 < n; i0 += BL_BLOCK) {
        int m = n - i0 < BL_BLOCK ? (int)(n - i0) : BL_BLOCK, j, e;
        k.n = 0;
        for (j = 0; j < m; j++) {
            double u = BL_AT(p0, i0 + j, s0), v = BL_AT(p1, i0 + j, s1), x, y;
            if (mode == BL_BETA) {
                x = BL_AT(p2, i0 + j, s2);
                if (u > 0.0 && v > 0.0 && !isinf(u) && !isinf(v) && x > 0.0 && x < 1.0)
                    bl_add(&k, j, u, v, x, 1.0 - x);
                else
                    nd_beta_sample_grad(u, v, x, &BL_OUT(o0, i0 + j, os0), &BL_OUT(o1, i0 + j, os1));
                continue;
            }
            if (!(u > 0.0) || isinf(u) || v != v || v == 0.0 || isinf(v)) {
                BL_OUT(o0, i0 + j, os0) = nd_student_t_sample_grad_df(u, v);
                continue;
            }
            student_xy(u, v, &x, &y);
            if (y < DBL_MIN) y = DBL_MIN;
            if (x < DBL_MIN) x = DBL_MIN;
            tv[k.n] = v;
            dv[k.n] = u;
            bl_add(&k, j, 0.5 * u, 0.5, x, y);
        }
        bl_run(&k);
        for (e = 0; e < k.n; e++) {
            const bl_point *p = &k.pt[e];
            double I, Ia, Ib, ga, gb;
            beta_finish(p, k.f[e], k.fa[e], k.fb[e], 0, &I, &Ia, &Ib, &ga, &gb);
            if (mode == BL_BETA) {
                double xy = p->x * p->y; /* x y, the same product on either side */
                BL_OUT(o0, i0 + k.at[e], os0) = xy * ga;
                BL_OUT(o1, i0 + k.at[e], os1) = xy * gb;
            } else {
                BL_OUT(o0, i0 + k.at[e], os0) = tv[e] * (0.5 / dv[e] - 0.25 * ga);
            }
        }
    }
}

void nd_beta_sample_grad_fill(intptr_t n, const double *a, intptr_t as, const double *b,
                              intptr_t bs, const double *x, intptr_t xs, double *dxda,
                              intptr_t o0s, double *dxdb, intptr_t o1s)
{
    bl_fill(BL_BETA, n, a, as, b, bs, x, xs, dxda, o0s, dxdb, o1s);
}

void nd_student_t_sample_grad_df_fill(intptr_t n, const double *df, intptr_t ds, const double *t,
                                      intptr_t ts, double *out, intptr_t os)
{
    bl_fill(BL_T, n, df, ds, t, ts, NULL, 0, out, os, NULL, 0);
}
