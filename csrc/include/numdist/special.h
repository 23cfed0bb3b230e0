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

#ifdef __cplusplus
}
#endif
#endif
