/*
 * Special functions of the standard normal distribution.
 *
 *   nd_ndtr(x)  = P(Z <= x) = erfc(-x/sqrt 2) / 2, accurate (relative) in both
 *                 tails: the rounding of x/sqrt 2 is corrected to first order.
 *                 nd_ndtr(-inf) = 0, nd_ndtr(+inf) = 1, NaN -> NaN.
 *   nd_ndtri(p) = the p-quantile of N(0,1): Wichura's AS241 (PPND16), about
 *                 1e-16 relative over (0,1); -inf at 0, +inf at 1, NaN outside
 *                 [0,1] or for NaN.
 *
 * The _fill variants map n values between strided buffers (byte strides, may be
 * negative or 0); out may alias x exactly (in place).  Plain C99, no Python.
 */
#ifndef NUMDIST_SPECIAL_H
#define NUMDIST_SPECIAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

double nd_ndtr(double x);
double nd_ndtri(double p);

void nd_ndtr_fill(intptr_t n, const double *x, intptr_t xs, double *out, intptr_t os);
void nd_ndtri_fill(intptr_t n, const double *x, intptr_t xs, double *out, intptr_t os);

/* ---- Gamma and Beta families (csrc/special_gamma.c, csrc/special_beta.c) ----
 * Pure functions (thread-safe, no allocation).  NaN in -> NaN out; arguments
 * outside the domain give NaN; poles give +-inf as scipy.special.
 *
 *   nd_lgamma(x)             log|Gamma(x)|                       (scipy gammaln)
 *   nd_digamma(x)            psi(x)                              (scipy digamma)
 *   nd_trigamma(x)           psi'(x)                             (scipy polygamma(1, x))
 *   nd_log1pmx(t)            log(1+t) - t
 *   nd_gammainc_p(a, x)      P(a,x) = gamma(a,x)/Gamma(a)        (scipy gammainc)
 *   nd_gammainc_q(a, x)      Q(a,x) = 1 - P(a,x)                 (scipy gammaincc)
 *   nd_gammainc_p_da(a, x)   dP/da (a > 0)
 *   nd_gamma_sample_grad(a, z)
 *                            dz/da = -(dP/da)(z; a) / p(z; a) for z ~ Gamma(a, 1):
 *                            the implicit reparameterisation gradient
 *   nd_betainc(a, b, x)      I_x(a,b)                            (scipy betainc)
 *   nd_betainc_da(a, b, x), nd_betainc_db(a, b, x)   dI/da, dI/db
 *   nd_betainc_grad(a, b, x, *da, *db)               both at once
 *   nd_beta_sample_grad(a, b, x, *dxda, *dxdb)
 *                            -(dI/da)/p and -(dI/db)/p for x ~ Beta(a, b)
 *   nd_student_t_cdf(df, t)  CDF of the standard Student t       (scipy stdtr)
 *   nd_student_t_sample_grad_df(df, t)
 *                            dt/d(df) = -(dF/d df)/p at fixed t
 *
 * Strided loops (byte strides; 0 broadcasts a scalar; out may alias an input
 * exactly): out[i] = f(x[i]), f(a[i], x[i]), f(a[i], b[i], x[i]), and the
 * two-output form f(a[i], b[i], x[i], &out0[i], &out1[i]).
 */
typedef double (*nd_fn_d_d)(double);
typedef double (*nd_fn_dd_d)(double, double);
typedef double (*nd_fn_ddd_d)(double, double, double);
typedef void (*nd_fn_ddd_dd)(double, double, double, double *, double *);

double nd_lgamma(double x);
double nd_digamma(double x);
double nd_trigamma(double x);
double nd_log1pmx(double t);
double nd_gammainc_p(double a, double x);
double nd_gammainc_q(double a, double x);
double nd_gammainc_p_da(double a, double x);
double nd_gamma_sample_grad(double a, double z);
double nd_betainc(double a, double b, double x);
double nd_betainc_da(double a, double b, double x);
double nd_betainc_db(double a, double b, double x);
void nd_betainc_grad(double a, double b, double x, double *da, double *db);
void nd_beta_sample_grad(double a, double b, double x, double *dxda, double *dxdb);
double nd_student_t_cdf(double df, double t);
double nd_student_t_sample_grad_df(double df, double t);
/* the same over arrays (strides in bytes), faster (the continued fraction of
 * eight elements at a time), bit for bit the one-element functions' values */
void nd_beta_sample_grad_fill(intptr_t n, const double *a, intptr_t as, const double *b,
                              intptr_t bs, const double *x, intptr_t xs, double *dxda,
                              intptr_t o0s, double *dxdb, intptr_t o1s);
void nd_student_t_sample_grad_df_fill(intptr_t n, const double *df, intptr_t ds, const double *t,
                                      intptr_t ts, double *out, intptr_t os);

void nd_fill_d_d(intptr_t n, nd_fn_d_d f, const double *x, intptr_t xs, double *out, intptr_t os);
void nd_fill_dd_d(intptr_t n, nd_fn_dd_d f, const double *a, intptr_t as, const double *x,
                  intptr_t xs, double *out, intptr_t os);
void nd_fill_ddd_d(intptr_t n, nd_fn_ddd_d f, const double *a, intptr_t as, const double *b,
                   intptr_t bs, const double *x, intptr_t xs, double *out, intptr_t os);
void nd_fill_ddd_dd(intptr_t n, nd_fn_ddd_dd f, const double *a, intptr_t as, const double *b,
                    intptr_t bs, const double *x, intptr_t xs, double *out0, intptr_t o0s,
                    double *out1, intptr_t o1s);

/* ---- normal in log space (csrc/special_normal.c) ----------------------------
 *   nd_log_ndtr(x)       log Phi(x), relative accuracy over the whole line
 *                        (asymptotic series below -15; log1p(-Phi(-x)) above 0)
 *   nd_log_ndtr_grad(x)  d/dx log Phi(x) = phi(x)/Phi(x)
 *   nd_ndtri_exp(y)      the z with log Phi(z) = y, y <= 0 (scipy ndtri_exp):
 *                        -inf at -inf, +inf at 0, NaN above 0; Newton-refined
 */
double nd_log_ndtr(double x);
double nd_log_ndtr_grad(double x);
double nd_ndtri_exp(double y);

/* out[i * os] = log sum_k exp(c[k] - ((x[i * xs] - mu[k]) inv_sigma[k])^2 / 2) for n
 * values (byte strides) and one mixture of K normals (contiguous arrays; c[k] =
 * log w_k - log sigma_k - log(2 pi)/2); work: unused (NULL allowed). */
void nd_normal_mixture_logpdf(intptr_t n, const double *x, intptr_t xs, intptr_t K, const double *mu,
                              const double *inv_sigma, const double *c, double *work, double *out,
                              intptr_t os);
/* out[i] = g[i] * nd_gamma_sample_grad(a[i], z[i]) / rate[i] (g, rate may be NULL:
 * factor 1), the elements evaluated GV_W at a time by vectorised kernels; the
 * same bits as nd_gamma_sample_grad element by element.  out may alias an input
 * exactly. */
void nd_gamma_sample_grad_fill(intptr_t n, const double *a, intptr_t as, const double *z,
                               intptr_t zs, const double *g, intptr_t gs, const double *rate,
                               intptr_t rs, double *out, intptr_t os);
/* Gamma.rsample_vjp's backward in one pass: dconc as out above and
 * drate[i] = -(g[i] (z[i] / rate[i])) / rate[i] (g, rate may be NULL: factor 1).
 * The outputs must not overlap the inputs. */
void nd_gamma_rsample_grads_fill(intptr_t n, const double *a, intptr_t as, const double *z,
                                 intptr_t zs, const double *g, intptr_t gs, const double *rate,
                                 intptr_t rs, double *dconc, intptr_t dcs, double *drate,
                                 intptr_t drs);

#ifdef __cplusplus
}
#endif
#endif
