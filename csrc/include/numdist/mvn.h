/*
 * Multivariate normal kernels: batched Cholesky of many small matrices,
 * precision -> scale_tril, the draw x = loc + L @ eps (one L for millions of
 * draws, or one L per batch element), a fused factorise-and-draw pass, and the
 * triangular solve / log-determinant used by log_prob.
 *
 * Conventions (see strided.h):
 *   - Every array is a base pointer plus BYTE strides; strides may be negative
 *     and 0 broadcasts. A matrix M of batch element b is element (i, j) at
 *     M + b*m_bs + i*m_rs + j*m_cs, so row-major, column-major (transposed) and
 *     flipped views all work without copies.
 *   - "batch" is one flat dimension (the caller flattens batch dims); kernels
 *     that take a sample dimension as well index (s, b) and read L_b once per
 *     b (it is never broadcast over samples).
 *   - Every kernel has a double version and a float version suffixed _f. The
 *     float versions compute in double internally (Cholesky, inversion, solve,
 *     log-det, the matrix-vector product of the draw) and round on store.
 *   - For d <= 4, Cholesky, the fused draw and the solve work on 4 batch
 *     elements at once (SIMD lanes across matrices); every lane does the
 *     scalar code's operations in the same order, so results never depend on
 *     grouping: element (s, b) gets the same bits whatever nsample/nbatch it
 *     was computed with. Deterministic kernels can therefore be split over
 *     threads by sub-ranges of the batch (offset base pointers), and a draw
 *     over sample sub-ranges (each with its own bits) for parallel chunks.
 *   - Build without FMA contraction (-ffp-contract=off, as CMakeLists does)
 *     for the bit-identical guarantees below to hold on every CPU.
 *   - d >= 0 (d == 0 is an empty event: nothing is read or written except
 *     maha/log-prob/log-det, which get 0). nbatch, nsample >= 0. A negative
 *     size gives ND_E_BAD_PARAM.
 *   - Nothing allocates. All temporaries live on the stack (at most about
 *     26 KB). Two optional outputs are required above ND_MVN_MAXD (see there).
 *   - Status: ND_OK, ND_E_NOT_PD (with *fail_batch = first failing batch
 *     index and *fail_col = 0-based column: the leading minor of order
 *     fail_col+1 is not positive definite) or ND_E_BAD_PARAM. fail_batch /
 *     fail_col may be NULL; on ND_OK they are set to -1, on ND_E_BAD_PARAM
 *     they are left alone.
 *   - "Not positive definite" means a pivot that is not > 0 or not finite, so
 *     NaN and +-inf anywhere in the lower triangle of a matrix are reported as
 *     ND_E_NOT_PD (the comparison is written !(pivot > 0 && pivot < inf)).
 *     No relative tolerance is applied (same criterion as LAPACK potrf).
 *   - Outputs of a failed call: entries for batch indices < *fail_batch are
 *     written and correct; the rest is unspecified, but nothing outside the
 *     described output ranges is ever written. Callers that must not expose
 *     partial results write into a scratch array and discard it on error.
 *   - Aliasing: in-place is allowed where noted (Cholesky A == L, solve
 *     y == x, with the same base and strides). Any other overlap between
 *     inputs and outputs is undefined.
 *
 * Random draws:
 *   eps are standard normals from random_normal_fill / random_normal_fill_f
 *   (normal.h). They are drawn in canonical chunks: a call producing N vectors
 *   of dimension d makes, in order, calls of K*d normals for consecutive
 *   groups of K = nd_mvn_chunk(d) vectors (the last group may be shorter).
 *   Vector number n (n = s*nbatch + b in random_mvn_fill, n = b in
 *   random_mvn_cov_fill) uses normals n*d .. n*d+d-1 of that sequence. So
 *   random_mvn_cov_fill gives exactly the numbers of nd_cholesky_batch followed
 *   by random_mvn_fill (nsample = 1) from the same bits state, and the eps
 *   written out are exactly those used.
 */
#ifndef NUMDIST_MVN_H
#define NUMDIST_MVN_H

#include <stddef.h>
#include <stdint.h>

#include "numdist/bitgen.h"
#include "numdist/normal.h"
#include "numdist/strided.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest d for which the optional outputs may be NULL where noted below
 * (random_mvn_cov_fill without L, nd_mvn_solve_batch / nd_mvn_log_prob_batch
 * without y). Every kernel works for any d when those outputs are given. */
#define ND_MVN_MAXD 32

/* Normals per chunk of the draw (stack buffer of this many doubles). */
#define ND_MVN_EPS_BUF 2048

/* Vectors per chunk of normals: even, at least 1. For d <= ND_MVN_EPS_BUF the
 * K*d normals of a chunk fit the stack buffer; above, K = 1 and the normals
 * of a vector are drawn straight into eps (or out) and transformed in place. */
static inline intptr_t nd_mvn_chunk(intptr_t d)
{
    intptr_t k = d > 0 ? ND_MVN_EPS_BUF / d : ND_MVN_EPS_BUF;
    if (k >= 2) k &= ~(intptr_t)1;
    return k >= 1 ? k : 1;
}

/* ---- 1. Batched Cholesky ------------------------------------------------
 * L[b] = chol(A[b]) for b < nbatch: lower triangular with positive diagonal,
 * L L^T = A. Reads only the lower triangle of A (j <= i), writes the whole
 * d x d of L (zeros above the diagonal). d <= 4: unrolled, 4 matrices at a
 * time in SIMD lanes; d <= ND_MVN_MAXD: in a double stack buffer; above: in
 * L's own memory (float: intermediate L entries then rounded to float).
 * In place (A == L, same strides) is allowed. */
int nd_cholesky_batch(intptr_t nbatch, intptr_t d,
                      const double *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                      double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                      intptr_t *fail_batch, intptr_t *fail_col);
int nd_cholesky_batch_f(intptr_t nbatch, intptr_t d,
                        const float *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                        float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                        intptr_t *fail_batch, intptr_t *fail_col);

/* ---- 2. Precision -> scale_tril -----------------------------------------
 * L[b] lower triangular with positive diagonal and L L^T = P[b]^{-1}, as
 * torch's _precision_to_scale_tril: Lf = chol(flip(P)), L = inv(flip(Lf)^T).
 * Reads only the lower triangle of P. On ND_E_NOT_PD, *fail_col = c means the
 * trailing principal block P[c:, c:] is not positive definite (c = d-1-k where
 * k is the failing column of chol(flip(P))). No in-place (P must not overlap L). */
int nd_precision_to_scale_tril_batch(intptr_t nbatch, intptr_t d,
                                     const double *P, intptr_t p_bs, intptr_t p_rs, intptr_t p_cs,
                                     double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                                     intptr_t *fail_batch, intptr_t *fail_col);
int nd_precision_to_scale_tril_batch_f(intptr_t nbatch, intptr_t d,
                                       const float *P, intptr_t p_bs, intptr_t p_rs, intptr_t p_cs,
                                       float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                                       intptr_t *fail_batch, intptr_t *fail_col);

/* ---- 3. Draw with given scale_tril ----------------------------------------
 * For s < nsample, b < nbatch:
 *   out[s, b, :] = loc[b, :] + L[b] @ eps[s, b, :],  eps standard normal.
 * Element (s, b, i) of out is at out + s*out_ss + b*out_bs + i*out_es (same
 * for eps). Only the lower triangle of L is read. loc may be NULL (zero mean).
 * eps may be NULL; otherwise the normals used are written there. With
 * l_bs == 0 and loc_bs == 0 (one distribution, many draws) L and loc are
 * hoisted into registers (d <= 4) or a stack copy (d <= ND_MVN_MAXD).
 * Returns ND_OK, or ND_E_BAD_PARAM for negative sizes (nothing drawn). */
int random_mvn_fill(nd_bits_t *bits, nd_normal_method m,
                    intptr_t nsample, intptr_t nbatch, intptr_t d,
                    const double *loc, intptr_t loc_bs, intptr_t loc_es,
                    const double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                    double *out, intptr_t out_ss, intptr_t out_bs, intptr_t out_es,
                    double *eps, intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es);
int random_mvn_fill_f(nd_bits_t *bits, nd_normal_method m,
                      intptr_t nsample, intptr_t nbatch, intptr_t d,
                      const float *loc, intptr_t loc_bs, intptr_t loc_es,
                      const float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                      float *out, intptr_t out_ss, intptr_t out_bs, intptr_t out_es,
                      float *eps, intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es);

/* ---- 4. Fused factorise + draw (one draw per covariance) ------------------
 * For b < nbatch: L_b = chol(A[b]) (lower triangle of A read, as
 * nd_cholesky_batch), out[b] = loc[b] + L_b @ eps_b. Same numbers as
 * nd_cholesky_batch + random_mvn_fill(nsample = 1) from the same bits state
 * (for the float version, L_b is rounded to float before the product, as the
 * two-step route does). L (may be NULL) receives L_b; eps (may be NULL) the
 * normals; loc may be NULL. L == NULL requires d <= ND_MVN_MAXD, else
 * ND_E_BAD_PARAM. On ND_E_NOT_PD, out/L/eps rows >= *fail_batch are
 * unspecified (rows before are final) and bits has been advanced by an
 * unspecified amount. */
int random_mvn_cov_fill(nd_bits_t *bits, nd_normal_method m, intptr_t nbatch, intptr_t d,
                        const double *loc, intptr_t loc_bs, intptr_t loc_es,
                        const double *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                        double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                        double *out, intptr_t out_bs, intptr_t out_es,
                        double *eps, intptr_t eps_bs, intptr_t eps_es,
                        intptr_t *fail_batch, intptr_t *fail_col);
int random_mvn_cov_fill_f(nd_bits_t *bits, nd_normal_method m, intptr_t nbatch, intptr_t d,
                          const float *loc, intptr_t loc_bs, intptr_t loc_es,
                          const float *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                          float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                          float *out, intptr_t out_bs, intptr_t out_es,
                          float *eps, intptr_t eps_bs, intptr_t eps_es,
                          intptr_t *fail_batch, intptr_t *fail_col);

/* ---- 5. Triangular solve for log_prob -------------------------------------
 * For b < nbatch (outer loop: L_b is read once, kept on the stack) and
 * s < nsample:
 *   y[s, b, :] = L_b^{-1} (x[s, b, :] - loc[b, :])   (forward substitution)
 *   maha[s, b] = ||y[s, b, :]||^2
 * Only the lower triangle of L is read; loc may be NULL (zero); y may be
 * NULL when d <= ND_MVN_MAXD (else ND_E_BAD_PARAM), or x itself (same base
 * and strides: solved in place); maha may be NULL. A zero
 * or NaN diagonal gives inf/NaN results, not an error (validate L first).
 * Element (s, b) of maha is at maha + s*maha_ss + b*maha_bs. */
int nd_mvn_solve_batch(intptr_t nsample, intptr_t nbatch, intptr_t d,
                       const double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                       const double *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                       const double *loc, intptr_t loc_bs, intptr_t loc_es,
                       double *maha, intptr_t maha_ss, intptr_t maha_bs,
                       double *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es);
int nd_mvn_solve_batch_f(intptr_t nsample, intptr_t nbatch, intptr_t d,
                         const float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                         const float *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                         const float *loc, intptr_t loc_bs, intptr_t loc_es,
                         float *maha, intptr_t maha_ss, intptr_t maha_bs,
                         float *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es);

/* Same pass, writing the log density instead of maha:
 *   lp[s, b] = -0.5 * (d*log(2*pi) + maha[s, b]) - sum_i log L_b[i, i]
 * (torch's MultivariateNormal.log_prob given scale_tril L). y as above. */
int nd_mvn_log_prob_batch(intptr_t nsample, intptr_t nbatch, intptr_t d,
                          const double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                          const double *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                          const double *loc, intptr_t loc_bs, intptr_t loc_es,
                          double *lp, intptr_t lp_ss, intptr_t lp_bs,
                          double *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es);
int nd_mvn_log_prob_batch_f(intptr_t nsample, intptr_t nbatch, intptr_t d,
                            const float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                            const float *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                            const float *loc, intptr_t loc_bs, intptr_t loc_es,
                            float *lp, intptr_t lp_ss, intptr_t lp_bs,
                            float *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es);

/* The same pass with the half log-determinant given: hld[b * hld_bs / 8] =
 * sum_i log L_b[i, i] as nd_tril_logdet_batch computes it (double, also for
 * the float version: nd_tril_logdet_batch_fd), so that a caller evaluating
 * many log densities of one factor takes the logarithms once. The results are
 * bit for bit those of nd_mvn_log_prob_batch(_f). hld == NULL: ND_E_BAD_PARAM. */
int nd_mvn_log_prob_hld_batch(intptr_t nsample, intptr_t nbatch, intptr_t d,
                              const double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                              const double *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                              const double *loc, intptr_t loc_bs, intptr_t loc_es,
                              const double *hld, intptr_t hld_bs,
                              double *lp, intptr_t lp_ss, intptr_t lp_bs,
                              double *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es);
int nd_mvn_log_prob_hld_batch_f(intptr_t nsample, intptr_t nbatch, intptr_t d,
                                const float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                                const float *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                                const float *loc, intptr_t loc_bs, intptr_t loc_es,
                                const double *hld, intptr_t hld_bs,
                                float *lp, intptr_t lp_ss, intptr_t lp_bs,
                                float *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es);

/* ---- 6. log det of a triangular factor ------------------------------------
 * out[b] = sum_i log L[b][i][i] (= 0.5 * log det(L L^T)), computed as the log
 * of a rescaled product (no overflow/underflow for any finite positive
 * diagonal). A zero diagonal gives -inf, negative or NaN gives NaN. */
void nd_tril_logdet_batch(intptr_t nbatch, intptr_t d,
                          const double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                          double *out, intptr_t out_bs);
void nd_tril_logdet_batch_f(intptr_t nbatch, intptr_t d,
                            const float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                            float *out, intptr_t out_bs);

/* The float factor's log det in double (not rounded to float): the hld that
 * nd_mvn_log_prob_hld_batch_f takes. */
void nd_tril_logdet_batch_fd(intptr_t nbatch, intptr_t d,
                             const float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                             double *out, intptr_t out_bs);

/* ---- 8. Packed factors ------------------------------------------------------
 * A lower triangular d x d factor stored as its d(d+1)/2 lower entries, row
 * by row: entry (i, j), j <= i, is item i(i+1)/2 + j, the items of one factor
 * contiguous (element stride = the item size), p_bs bytes between factors
 * (0: one factor for the whole batch). 62.5% of the full matrix at d = 4, so
 * the passes that write or read the factors move less memory. d <= ND_MVN_MAXD
 * (else ND_E_BAD_PARAM). Every function gives bit for bit the numbers of its
 * full-matrix counterpart on the same factor. */

/* nd_cholesky_batch writing packed factors. */
int nd_cholesky_packed_batch(intptr_t nbatch, intptr_t d,
                             const double *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                             double *P, intptr_t p_bs, intptr_t *fail_batch, intptr_t *fail_col);
int nd_cholesky_packed_batch_f(intptr_t nbatch, intptr_t d,
                               const float *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                               float *P, intptr_t p_bs, intptr_t *fail_batch, intptr_t *fail_col);

/* random_mvn_fill from packed factors (same normals, same numbers). For d = 4,
 * float64, one factor per batch element and numdist's generator, the normals of
 * up to 16384 vectors are filled in one call straight into the eps or out rows
 * (or the stack buffer for strided rows) and transformed there: the float64
 * ziggurat and Box-Muller give the same numbers and use the same words in
 * pieces of any even length (normal.h), so these are the canonical chunks'
 * numbers. The Cholesky and this draw have AVX2 / AVX-512 versions for d = 4
 * (nd_mvn_simd_level below), bit for bit the portable code's. */
int random_mvn_fill_packed(nd_bits_t *bits, nd_normal_method m,
                           intptr_t nsample, intptr_t nbatch, intptr_t d,
                           const double *loc, intptr_t loc_bs, intptr_t loc_es,
                           const double *P, intptr_t p_bs,
                           double *out, intptr_t out_ss, intptr_t out_bs, intptr_t out_es,
                           double *eps, intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es);
int random_mvn_fill_packed_f(nd_bits_t *bits, nd_normal_method m,
                             intptr_t nsample, intptr_t nbatch, intptr_t d,
                             const float *loc, intptr_t loc_bs, intptr_t loc_es,
                             const float *P, intptr_t p_bs,
                             float *out, intptr_t out_ss, intptr_t out_bs, intptr_t out_es,
                             float *eps, intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es);

/* nd_mvn_log_prob_hld_batch from packed factors; hld may be NULL here (the
 * log-determinants are then computed in the pass, as nd_mvn_log_prob_batch). */
int nd_mvn_log_prob_packed_batch(intptr_t nsample, intptr_t nbatch, intptr_t d,
                                 const double *P, intptr_t p_bs,
                                 const double *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                                 const double *loc, intptr_t loc_bs, intptr_t loc_es,
                                 const double *hld, intptr_t hld_bs,
                                 double *lp, intptr_t lp_ss, intptr_t lp_bs,
                                 double *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es);
int nd_mvn_log_prob_packed_batch_f(intptr_t nsample, intptr_t nbatch, intptr_t d,
                                   const float *P, intptr_t p_bs,
                                   const float *x, intptr_t x_ss, intptr_t x_bs, intptr_t x_es,
                                   const float *loc, intptr_t loc_bs, intptr_t loc_es,
                                   const double *hld, intptr_t hld_bs,
                                   float *lp, intptr_t lp_ss, intptr_t lp_bs,
                                   float *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es);

/* sum_i log P[b](i, i) in double (nd_tril_logdet_batch's value; for float
 * factors not rounded to float), into out[b * out_bs / 8]. */
int nd_tril_logdet_packed_batch(intptr_t nbatch, intptr_t d, const double *P, intptr_t p_bs,
                                double *out, intptr_t out_bs);
int nd_tril_logdet_packed_batch_f(intptr_t nbatch, intptr_t d, const float *P, intptr_t p_bs,
                                  double *out, intptr_t out_bs);

/* The SIMD level of the d = 4 float64 packed passes above (Cholesky into packed
 * factors, draw from packed factors): 0 portable C, 2 AVX2, 3 AVX-512 (F, DQ, VL),
 * the best the CPU has, capped by NUMDIST_SIMD_MAX (read at load). Every level
 * gives the same numbers and uses the same words. */
int nd_mvn_simd_level(void);

/* ---- 7. Symmetry check (validation of covariance / precision) -------------
 * torch's positive_definite constraint first requires A close to A^T:
 * isclose(A, A^T, rtol, atol), i.e. for every i, j
 *   A[i][j] == A[j][i]  or  |A[i][j] - A[j][i]| <= atol + rtol * |A[j][i]|
 * (torch uses rtol = 1e-5, atol = 1e-6). NaN anywhere fails (also on the
 * diagonal); equal infinities pass (the Cholesky then reports them). Returns
 * ND_OK, or ND_E_BAD_PARAM with the first failing batch index and position
 * (row >= col) in *fail_batch, *fail_row, *fail_col (each may be NULL; -1 on
 * success). The float version compares in double. */
int nd_symmetric_check_batch(intptr_t nbatch, intptr_t d,
                             const double *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                             double rtol, double atol,
                             intptr_t *fail_batch, intptr_t *fail_row, intptr_t *fail_col);
int nd_symmetric_check_batch_f(intptr_t nbatch, intptr_t d,
                               const float *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                               double rtol, double atol,
                               intptr_t *fail_batch, intptr_t *fail_row, intptr_t *fail_col);

/* The same check, and every entry finite: an infinite entry fails as well (at the
 * first position (row >= col) of the pair that holds it). Validation of a
 * covariance or precision in one pass over the matrices. */
int nd_symmetric_finite_check_batch(intptr_t nbatch, intptr_t d,
                                    const double *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                                    double rtol, double atol,
                                    intptr_t *fail_batch, intptr_t *fail_row, intptr_t *fail_col);
int nd_symmetric_finite_check_batch_f(intptr_t nbatch, intptr_t d,
                                      const float *A, intptr_t a_bs, intptr_t a_rs, intptr_t a_cs,
                                      double rtol, double atol,
                                      intptr_t *fail_batch, intptr_t *fail_row, intptr_t *fail_col);

#ifdef __cplusplus
}
#endif
#endif
