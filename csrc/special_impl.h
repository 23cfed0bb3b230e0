/* Helpers shared by csrc/special_gamma.c and csrc/special_beta.c (not API). */
#ifndef NUMDIST_SPECIAL_IMPL_H
#define NUMDIST_SPECIAL_IMPL_H

/* lgamma(x) - [(x-1/2) log x - x + log sqrt(2 pi)], x >= 10 */
double nd_i_stirling_corr(double x);
/* psi(x) - log x, x >= 10 */
double nd_i_psi_minus_log(double x);
/* psi(x), x > 0, absolute accuracy (no root treatment) */
double nd_i_psi_pos(double x);

#endif
