/*
 * One-pass kernels for the gradient paths of the location-scale families
 * (rsample_vjp, log_prob_vjp): each replaces several NumPy passes and their
 * temporaries by one loop over the operands.
 *
 * Layout: every operand is an (S, B) array given as a base pointer and two
 * BYTE strides (row stride, column stride; zero broadcasts, negative allowed):
 * S counts sample elements (the leading dims, merged), B batch elements (the
 * trailing dims, merged). Per-batch parameters pass a row stride of 0; a
 * cotangent broadcast over reinterpreted dims passes a column stride of 0.
 * Reduced outputs (gradients of per-batch parameters) are contiguous (B,).
 *
 * Numbers: each element is computed with the operations, in the order, that
 * the NumPy expressions they replace use (built with -ffp-contract=off), so
 * element-wise outputs are bit-identical to NumPy's; column sums run over s
 * in increasing order starting from the row-0 term, as NumPy's reduction over
 * leading axes of a C-ordered array does. Float versions (_f) compute in float
 * as NumPy does for float32 arrays.
 *
 * Every kernel works on columns [b0, b1) only, so callers may split B over
 * threads: a column's numbers never depend on the split. Nothing allocates,
 * nothing fails: S, B or b1 - b0 <= 0 do nothing (a reduction over S = 0
 * writes zeros). Outputs must not overlap inputs.
 */
#ifndef NUMDIST_GRAD_FUSED_H
#define NUMDIST_GRAD_FUSED_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A strided (S, B) operand. */
typedef struct nd_sb {
    char *p;
    intptr_t ss, bs;   /* byte strides of the row (sample) and column (batch) dims */
} nd_sb;

/* out[s, b] = loc[s, b] + scale[s, b] * eps[s, b]   (product rounded, then the sum:
 * the numbers of the element-wise kernels and of NumPy's loc + scale * eps). */
void nd_fused_affine(intptr_t S, intptr_t b0, intptr_t b1, nd_sb loc, nd_sb scale, nd_sb eps, nd_sb out);
void nd_fused_affine_f(intptr_t S, intptr_t b0, intptr_t b1, nd_sb loc, nd_sb scale, nd_sb eps, nd_sb out);

/* Backward pass of x = loc + scale * eps: for b in [b0, b1)
 *   dloc[b]   = sum_s g[s, b]
 *   dscale[b] = sum_s g[s, b] * eps[s, b]
 * dloc, dscale: contiguous (B,) outputs (either may be NULL). */
void nd_fused_affine_vjp(intptr_t S, intptr_t b0, intptr_t b1, nd_sb g, nd_sb eps, double *dloc, double *dscale);
void nd_fused_affine_vjp_f(intptr_t S, intptr_t b0, intptr_t b1, nd_sb g, nd_sb eps, float *dloc, float *dscale);

/* Normal log density, z = (x - loc) / scale:
 *   lp[s, b] = (-0.5 * (z * z) - log_scale[s, b]) - half_log_2pi
 * log_scale is log(scale) computed by the caller (per batch element, once), so that
 * the C library's log is never on this path. */
void nd_fused_normal_log_prob(intptr_t S, intptr_t b0, intptr_t b1, nd_sb x, nd_sb loc, nd_sb scale,
                              nd_sb log_scale, double half_log_2pi, nd_sb lp);
void nd_fused_normal_log_prob_f(intptr_t S, intptr_t b0, intptr_t b1, nd_sb x, nd_sb loc, nd_sb scale,
                                nd_sb log_scale, float half_log_2pi, nd_sb lp);

/* The same log densities summed over groups of R consecutive columns (the dims an
 * Independent reinterprets): sums[s, k] = sum of lp[s, k*R .. k*R + R-1], as NumPy's
 * sum over the last axis of the C-ordered lp computes it: 0 + the pairwise sum
 * (blocks of at most 128 terms in 8 accumulators, halves split at multiples of 8),
 * bit for bit, without the lp array. [b0, b1) must be whole groups (multiples of
 * R); sums is an (S, B / R) operand. */
void nd_fused_normal_log_prob_sum(intptr_t S, intptr_t b0, intptr_t b1, intptr_t R, nd_sb x, nd_sb loc,
                                  nd_sb scale, nd_sb log_scale, double half_log_2pi, nd_sb sums);
void nd_fused_normal_log_prob_sum_f(intptr_t S, intptr_t b0, intptr_t b1, intptr_t R, nd_sb x, nd_sb loc,
                                    nd_sb scale, nd_sb log_scale, float half_log_2pi, nd_sb sums);

/* Backward pass of the Normal log density: with z = (x - loc) / scale and
 * t = g * z / scale,
 *   dvalue[s, b] = -t                       (may be p == NULL: not written)
 *   dloc[b]      = sum_s t
 *   dscale[b]    = sum_s g * (z * z - 1) / scale
 * with NumPy's divisions (no reciprocal: the same bits as the NumPy expressions).
 * dloc, dscale: contiguous (B,) outputs (either may be NULL). */
void nd_fused_normal_log_prob_vjp(intptr_t S, intptr_t b0, intptr_t b1, nd_sb g, nd_sb x, nd_sb loc,
                                  nd_sb scale, nd_sb dvalue, double *dloc, double *dscale);
void nd_fused_normal_log_prob_vjp_f(intptr_t S, intptr_t b0, intptr_t b1, nd_sb g, nd_sb x, nd_sb loc,
                                    nd_sb scale, nd_sb dvalue, float *dloc, float *dscale);

/* Score function of a categorical log_prob with respect to its logits (the VJP of
 * log_softmax(logits)[idx] through torch's normalisation), summed over the draws:
 * for b in [b0, b1), k < K, with d = g[s, b] * (k == idx[s, b]) and
 * dsum = the sum of d over k (g itself, NaN for an infinite or NaN g),
 *   grad[b, k] = sum_s ((0 + d) - probs[b, k] * dsum)
 * rows s added in order from the first: the operations and order of the NumPy
 * expressions over a one-hot (S, B, K) array, without that array. idx: int64 (S, B)
 * operand (byte strides ss, bs); probs: contiguous (B, K); grad: contiguous (B, K). */
void nd_fused_categorical_logits_score(intptr_t S, intptr_t b0, intptr_t b1, intptr_t K, const char *idx,
                                       intptr_t idx_ss, intptr_t idx_bs, nd_sb g, const double *probs,
                                       double *grad);
void nd_fused_categorical_logits_score_f(intptr_t S, intptr_t b0, intptr_t b1, intptr_t K, const char *idx,
                                         intptr_t idx_ss, intptr_t idx_bs, nd_sb g, const float *probs,
                                         float *grad);

/* SIMD level of the row loops (0 portable, 2 AVX2, 3 AVX-512): the CPU's best capped
 * by NUMDIST_SIMD_MAX; set: at most that (tests compare the levels; same bits). */
int nd_grad_fused_simd_level(void);
void nd_grad_fused_set_simd_level(int level);

/* 1 if loc[i] is finite and scale[i] positive and finite for every i < n, else 0
 * (contiguous arrays of n items; the validation of a location-scale family). */
int nd_loc_scale_ok(intptr_t n, const double *loc, const double *scale);
int nd_loc_scale_ok_f(intptr_t n, const float *loc, const float *scale);

/* KL(Normal(pl, ps) || Normal(ql, qs)) over n contiguous elements, with NumPy's
 * operations in NumPy's order (normal.py):
 *   nd_kl_normal_ratio: vr = (ps / qs)^2
 *   nd_kl_normal_sum:   kl (in: log(vr), as NumPy computes it; out: the KL terms)
 *                       = 0.5 * (((vr + ((pl - ql) / qs)^2) - 1) - log(vr)); returns
 *                       0 + their pairwise sum (NumPy's order, as the sums above)
 *   nd_kl_normal_vjp:   with diff = (pl - ql) / qs^2 and qs3 = qs**3 as NumPy computes it,
 *                       dpl = g diff, dps = g (ps / qs^2 - 1 / ps), dql = (-g) diff,
 *                       dqs = g (1 / qs - (ps^2 + (pl - ql)^2) / qs3)
 * Outputs must not overlap inputs (kl excepted: read, then written). */
void nd_kl_normal_ratio_d(intptr_t n, const double *ps, const double *qs, double *vr);
void nd_kl_normal_ratio_f(intptr_t n, const float *ps, const float *qs, float *vr);
double nd_kl_normal_sum_d(intptr_t n, const double *pl, const double *ql, const double *qs, const double *vr,
                          double *kl);
float nd_kl_normal_sum_f(intptr_t n, const float *pl, const float *ql, const float *qs, const float *vr,
                         float *kl);
void nd_kl_normal_vjp_d(intptr_t n, double g, const double *pl, const double *ps, const double *ql,
                        const double *qs, const double *qs3, double *dpl, double *dps, double *dql, double *dqs);
void nd_kl_normal_vjp_f(intptr_t n, float g, const float *pl, const float *ps, const float *ql,
                        const float *qs, const float *qs3, float *dpl, float *dps, float *dql, float *dqs);

#ifdef __cplusplus
}
#endif
#endif
