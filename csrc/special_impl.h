/* Helpers shared by csrc/special_gamma.c and csrc/special_beta.c (not API). */
#ifndef NUMDIST_SPECIAL_IMPL_H
#define NUMDIST_SPECIAL_IMPL_H

/* lgamma(x) - [(x-1/2) log x - x + log sqrt(2 pi)], x >= 10 */
double nd_i_stirling_corr(double x);
/* psi(x) - log x, x >= 10 */
double nd_i_psi_minus_log(double x);
/* psi(x), x > 0, absolute accuracy (no root treatment) */
double nd_i_psi_pos(double x);
/* test hook: points where the dispatched (vector) region classifier of the gamma gradient
 * fill disagrees with the scalar one (csrc/tests/test_special.c) */
int nd_i_gamma_grad_class_mismatches(int n, const double *a, const double *x);

#endif
