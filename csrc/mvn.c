/*
 * Multivariate normal kernels; see numdist/mvn.h for the contract.
 *
 * Every kernel is written once as an always-inline body taking the dimension D
 * and the element type f (0 = double, 1 = float) as arguments; the public
 * functions call it with constants (D = 1..4, and a runtime D for larger
 * matrices), so the compiler emits fully unrolled code for small D with the
 * element type resolved at compile time. All arithmetic is in double.
 *
 * D <= 4: Cholesky, the fused draw and the solve also run NW = 4 batch
 * elements side by side ("lanes", see below), which the compiler turns into
 * SIMD across matrices (sqrt and division included); each lane repeats the
 * scalar operations exactly, so the scalar code handles tails and failures.
 * Small matrices (D <= ND_MVN_MAXD) are copied into a double stack buffer,
 * factorised / inverted / applied there; larger ones are worked on in the
 * caller's output memory (no allocation, any D).
 */
#include "numdist/mvn.h"

#include <math.h>
#include <string.h>

/* No FMA contraction: every route to a draw (lanes or scalar, fused or two
 * steps) must round the same way, whatever flags or -march this is built with. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

#if defined(__GNUC__) || defined(__clang__)
#define ND_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define ND_INLINE static __forceinline
#else
#define ND_INLINE static inline
#endif

#define MD ND_MVN_MAXD
#define LOG_2PI 1.8378770664093454835606594728112

/* ---- SIMD level of the d = 4 packed passes ----------------------------------
 * The float64 Cholesky into packed factors and the float64 draw from packed
 * factors (the covariance route of MultivariateNormal) have explicit AVX2 and
 * AVX-512 versions for d = 4; every other case, and level 0, is the portable
 * code. All levels give the same bits (same IEEE operations in the same order,
 * no FMA). The level is the best the CPU has, capped by NUMDIST_SIMD_MAX (read
 * once at load) and by nd_mvn_level_cap (tests and benches; not in a header;
 * -1 runs the previous code, fill_small and chol_packed_lanes, for comparison). */
int nd_mvn_level_cap = 3;

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define MV_X86 1
#include <immintrin.h>
#include "numdist/simd_env.h"
#define MV_T512 __attribute__((target("avx512f,avx512dq,avx512vl")))
#define MV_T256 __attribute__((target("avx2")))
static int mv_hw_level = 0, mv_env_cap = 3;

__attribute__((constructor)) static void mv_init(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        mv_hw_level = 3;
    else if (__builtin_cpu_supports("avx2"))
        mv_hw_level = 2;
    mv_env_cap = nd_simd_env_cap();
}

static int mv_level(void)
{
    int l = mv_hw_level;
    if (l > mv_env_cap) l = mv_env_cap;
    if (l > nd_mvn_level_cap) l = nd_mvn_level_cap;
    return l;
}
#else
static int mv_level(void) { return nd_mvn_level_cap < 0 ? nd_mvn_level_cap : 0; }
#endif

int nd_mvn_simd_level(void) { return mv_level(); }

#define BYTES(p, off) ((char *)(p) + (off))

/* ---- typed access (f: 0 double, 1 float) --------------------------------- */

ND_INLINE double ld(const void *p, intptr_t off, const int f)
{
    return f ? (double)*(const float *)((const char *)p + off) : *(const double *)((const char *)p + off);
}

ND_INLINE void st(void *p, intptr_t off, double v, const int f)
{
    if (f)
        *(float *)((char *)p + off) = (float)v;
    else
        *(double *)((char *)p + off) = v;
}

/* (double)(float)x, kept through a volatile: GCC 12.2 (x86-64, -O2/-O3)
 * SLP-vectorises this round trip into V2SF conversions and then drops it,
 * silently returning x (seen in the fused float path below). */
ND_INLINE double round_to_float(double x)
{
    volatile float t = (float)x;
    return (double)t;
}

ND_INLINE int pivot_ok(double s) { return s > 0.0 && s < HUGE_VAL; }

static void set_fail(intptr_t *fb, intptr_t *fc, intptr_t b, intptr_t c)
{
    if (fb) *fb = b;
    if (fc) *fc = c;
}

/* a[i*n + j] = M[i][j] for j <= i (lower triangle of a strided matrix). */
ND_INLINE void load_lower(double *a, const intptr_t n, const void *M, intptr_t rs, intptr_t cs,
                          const intptr_t D, const int f)
{
    intptr_t i, j;
    for (i = 0; i < D; i++)
        for (j = 0; j <= i; j++) a[i * n + j] = ld(M, i * rs + j * cs, f);
}

/* Whole D x D of a strided matrix from the lower triangle of a, zeros above. */
ND_INLINE void store_full(void *M, intptr_t rs, intptr_t cs, const double *a, const intptr_t n,
                          const intptr_t D, const int f)
{
    intptr_t i, j;
    for (i = 0; i < D; i++)
        for (j = 0; j < D; j++) st(M, i * rs + j * cs, j <= i ? a[i * n + j] : 0.0, f);
}

/* Packed lower triangle (mvn.h): entry (i, j), j <= i, is item i(i+1)/2 + j. */
#define TRI(i, j) ((i) * ((i) + 1) / 2 + (j))

/* load_lower from a strided matrix, or (pk) from a packed triangle whose items
 * are es bytes apart (es = cs). */
ND_INLINE void load_tri(double *a, const intptr_t n, const void *M, intptr_t rs, intptr_t cs,
                        const intptr_t D, const int f, const int pk)
{
    intptr_t i, j;
    if (!pk) {
        load_lower(a, n, M, rs, cs, D, f);
        return;
    }
    for (i = 0; i < D; i++)
        for (j = 0; j <= i; j++) a[i * n + j] = ld(M, TRI(i, j) * cs, f);
}

/* The lower triangle of a as a packed triangle, items es bytes apart. */
ND_INLINE void store_packed(void *P, intptr_t es, const double *a, const intptr_t n,
                            const intptr_t D, const int f)
{
    intptr_t i, j;
    for (i = 0; i < D; i++)
        for (j = 0; j <= i; j++) st(P, TRI(i, j) * es, a[i * n + j], f);
}

ND_INLINE void load_vec(double *v, const void *p, intptr_t es, const intptr_t D, const int f)
{
    intptr_t i;
    for (i = 0; i < D; i++) v[i] = p ? ld(p, i * es, f) : 0.0;
}

/* ---- cores, on a strided typed matrix (a double buffer or caller memory) -- */

/* In-place Cholesky of the lower triangle (left-looking, by columns).
 * Returns -1, or the column whose pivot is not finite and > 0. */
ND_INLINE intptr_t chol_core(void *p, const intptr_t rs, const intptr_t cs, const intptr_t D,
                             const int f)
{
    intptr_t i, j, k;
    for (j = 0; j < D; j++) {
        double s = ld(p, j * rs + j * cs, f), r;
        for (k = 0; k < j; k++) {
            double v = ld(p, j * rs + k * cs, f);
            s -= v * v;
        }
        if (!pivot_ok(s)) return j;
        s = sqrt(s);
        st(p, j * rs + j * cs, s, f);
        r = 1.0 / s;
        for (i = j + 1; i < D; i++) {
            double t = ld(p, i * rs + j * cs, f);
            for (k = 0; k < j; k++) t -= ld(p, i * rs + k * cs, f) * ld(p, j * rs + k * cs, f);
            st(p, i * rs + j * cs, t * r, f);
        }
    }
    return -1;
}

/* In-place inverse of a lower triangular matrix (by columns, left to right:
 * column j of the inverse only needs columns >= j of the input). */
ND_INLINE void trinv_core(void *p, const intptr_t rs, const intptr_t cs, const intptr_t D,
                          const int f)
{
    intptr_t i, j, k;
    for (j = 0; j < D; j++) {
        st(p, j * rs + j * cs, 1.0 / ld(p, j * rs + j * cs, f), f);
        for (i = j + 1; i < D; i++) {
            double t = 0.0;
            for (k = j; k < i; k++) t += ld(p, i * rs + k * cs, f) * ld(p, k * rs + j * cs, f);
            st(p, i * rs + j * cs, -t / ld(p, i * rs + i * cs, f), f);
        }
    }
}

/* sum_i log(diag_i), as the log of a product kept in [1e-200, 1e200]. */
ND_INLINE double logdiag(const void *p, intptr_t ds, const intptr_t D, const int f)
{
    double acc = 0.0, prod = 1.0;
    intptr_t i;
    for (i = 0; i < D; i++) {
        double v = ld(p, i * ds, f);
        if (v > 1e-100 && v < 1e100) {
            prod *= v;
            if (!(prod > 1e-200 && prod < 1e200)) {
                acc += log(prod);
                prod = 1.0;
            }
        } else {
            acc += log(v);
        }
    }
    return acc + log(prod);
}

/* y = mu + l e, l lower with row stride n. The one product every draw path
 * uses (same order of operations), so all routes give the same numbers. */
ND_INLINE void trmv(const intptr_t D, const double *l, const intptr_t n, const double *mu,
                    const double *e, double *y)
{
    intptr_t i, j;
    for (i = 0; i < D; i++) {
        double t = mu[i];
        for (j = 0; j <= i; j++) t += l[i * n + j] * e[j];
        y[i] = t;
    }
}

/* ---- lanes: NW batch elements side by side (SIMD across matrices) ---------
 * For D <= 4 the kernels work on NW matrices at once, stored lane-minor
 * (element (i, j) of lane w at a[(i*D + j)*NW + w]), so that the compiler
 * turns every operation into vector instructions (sqrt and division
 * included). Each lane performs exactly the operations of the scalar code
 * above, in the same order, so results do not depend on which path (or
 * which SIMD width) ran. */
#define NW 4

ND_INLINE void lanes_load_lower(double *a, const intptr_t D, const void *M, intptr_t bs,
                                intptr_t rs, intptr_t cs, const int f)
{
    intptr_t w, i, j;
    for (w = 0; w < NW; w++)
        for (i = 0; i < D; i++)
            for (j = 0; j <= i; j++) a[(i * D + j) * NW + w] = ld(M, w * bs + i * rs + j * cs, f);
}

ND_INLINE void lanes_store_full(void *M, intptr_t bs, intptr_t rs, intptr_t cs, const double *a,
                                const intptr_t D, const int f)
{
    intptr_t w, i, j;
    for (w = 0; w < NW; w++)
        for (i = 0; i < D; i++)
            for (j = 0; j < D; j++)
                st(M, w * bs + i * rs + j * cs, j <= i ? a[(i * D + j) * NW + w] : 0.0, f);
}

ND_INLINE void lanes_store_packed(void *P, intptr_t bs, intptr_t es, const double *a,
                                  const intptr_t D, const int f)
{
    intptr_t w, i, j;
    for (w = 0; w < NW; w++)
        for (i = 0; i < D; i++)
            for (j = 0; j <= i; j++) st(P, w * bs + TRI(i, j) * es, a[(i * D + j) * NW + w], f);
}

/* chol_core on NW lanes; returns nonzero when some lane has a bad pivot
 * (its factor is then garbage and the caller redoes the group in scalar).
 * The lane loops are innermost and branch-free so that each becomes vector
 * instructions. A pivot s is good iff sqrt(s) is finite and > 0, so the
 * check is done once, on the diagonal of the result. */
ND_INLINE int chol_lanes(double *a, const intptr_t D)
{
    double s[NW], r[NW], t[NW];
    intptr_t w, i, j, k;
    for (j = 0; j < D; j++) {
        for (w = 0; w < NW; w++) s[w] = a[(j * D + j) * NW + w];
        for (k = 0; k < j; k++)
            for (w = 0; w < NW; w++) s[w] -= a[(j * D + k) * NW + w] * a[(j * D + k) * NW + w];
        for (w = 0; w < NW; w++) {
            s[w] = sqrt(s[w]);
            a[(j * D + j) * NW + w] = s[w];
            r[w] = 1.0 / s[w];
        }
        for (i = j + 1; i < D; i++) {
            for (w = 0; w < NW; w++) t[w] = a[(i * D + j) * NW + w];
            for (k = 0; k < j; k++)
                for (w = 0; w < NW; w++) t[w] -= a[(i * D + k) * NW + w] * a[(j * D + k) * NW + w];
            for (w = 0; w < NW; w++) a[(i * D + j) * NW + w] = t[w] * r[w];
        }
    }
    for (j = 0; j < D; j++)
        for (w = 0; w < NW; w++)
            if (!pivot_ok(a[(j * D + j) * NW + w])) return 1;
    return 0;
}

/* trmv on NW lanes: y = mu + l e (l per lane). */
ND_INLINE void trmv_lanes(const intptr_t D, const double *l, const double *mu, const double *e,
                          double *y)
{
    intptr_t w, i, j;
    for (i = 0; i < D; i++) {
        for (w = 0; w < NW; w++) y[i * NW + w] = mu[i * NW + w];
        for (j = 0; j <= i; j++)
            for (w = 0; w < NW; w++) y[i * NW + w] += l[(i * D + j) * NW + w] * e[j * NW + w];
    }
}

/* ---- 1. Cholesky ----------------------------------------------------------- */

ND_INLINE int chol_batch_buf(intptr_t nb, const intptr_t D, const void *A, intptr_t a_bs,
                             intptr_t a_rs, intptr_t a_cs, void *L, intptr_t l_bs, intptr_t l_rs,
                             intptr_t l_cs, intptr_t *fb, intptr_t *fc, const int f, double *a,
                             const intptr_t n)
{
    intptr_t b, c;
    for (b = 0; b < nb; b++) {
        load_lower(a, n, BYTES(A, b * a_bs), a_rs, a_cs, D, f);
        c = chol_core(a, n * (intptr_t)sizeof(double), sizeof(double), D, 0);
        if (c >= 0) {
            set_fail(fb, fc, b, c);
            return ND_E_NOT_PD;
        }
        store_full(BYTES(L, b * l_bs), l_rs, l_cs, a, n, D, f);
    }
    set_fail(fb, fc, -1, -1);
    return ND_OK;
}

/* D > MD: copy the lower triangle into L, zero its upper part, factorise there. */
static int chol_batch_mem(intptr_t nb, intptr_t D, const void *A, intptr_t a_bs, intptr_t a_rs,
                          intptr_t a_cs, void *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                          intptr_t *fb, intptr_t *fc, const int f)
{
    intptr_t b, i, j, c;
    for (b = 0; b < nb; b++) {
        const char *Ab = BYTES(A, b * a_bs);
        char *Lb = BYTES(L, b * l_bs);
        for (i = 0; i < D; i++)
            for (j = 0; j < D; j++)
                st(Lb, i * l_rs + j * l_cs, j <= i ? ld(Ab, i * a_rs + j * a_cs, f) : 0.0, f);
        c = chol_core(Lb, l_rs, l_cs, D, f);
        if (c >= 0) {
            set_fail(fb, fc, b, c);
            return ND_E_NOT_PD;
        }
    }
    set_fail(fb, fc, -1, -1);
    return ND_OK;
}

/* D <= 4: groups of NW matrices in lanes; the remainder, and a group in
 * which some matrix fails, go through the scalar path (which then finds and
 * reports the first failure). */
ND_INLINE int chol_batch_lanes(intptr_t nb, const intptr_t D, const void *A, intptr_t a_bs,
                               intptr_t a_rs, intptr_t a_cs, void *L, intptr_t l_bs, intptr_t l_rs,
                               intptr_t l_cs, intptr_t *fb, intptr_t *fc, const int f)
{
    double a[16 * NW], s[16];
    intptr_t b = 0;
    int r;
    for (; b + NW <= nb; b += NW) {
        lanes_load_lower(a, D, BYTES(A, b * a_bs), a_bs, a_rs, a_cs, f);
        if (chol_lanes(a, D)) break;
        lanes_store_full(BYTES(L, b * l_bs), l_bs, l_rs, l_cs, a, D, f);
    }
    r = chol_batch_buf(nb - b, D, BYTES(A, b * a_bs), a_bs, a_rs, a_cs, BYTES(L, b * l_bs), l_bs,
                       l_rs, l_cs, fb, fc, f, s, D);
    if (r != ND_OK && fb) *fb += b;
    return r;
}

/* C-contiguous A and L (the usual case): the same code with the strides as
 * constants, so that loads and stores have fixed offsets (no index arithmetic). */
ND_INLINE int chol_batch_lanes_dispatch(intptr_t nb, const intptr_t D, const void *A, intptr_t a_bs,
                                        intptr_t a_rs, intptr_t a_cs, void *L, intptr_t l_bs,
                                        intptr_t l_rs, intptr_t l_cs, intptr_t *fb, intptr_t *fc,
                                        const int f)
{
    const intptr_t es = f ? (intptr_t)sizeof(float) : (intptr_t)sizeof(double);
    if (a_cs == es && a_rs == D * es && a_bs == D * D * es && l_cs == es && l_rs == D * es &&
        l_bs == D * D * es)
        return chol_batch_lanes(nb, D, A, D * D * es, D * es, es, L, D * D * es, D * es, es, fb, fc,
                                f);
    return chol_batch_lanes(nb, D, A, a_bs, a_rs, a_cs, L, l_bs, l_rs, l_cs, fb, fc, f);
}

#define CHOL_CASE(DD)                                                                           \
    case DD:                                                                                    \
        return chol_batch_lanes_dispatch(nb, DD, A, a_bs, a_rs, a_cs, L, l_bs, l_rs, l_cs, fb, fc, \
                                         f);

ND_INLINE int chol_batch(intptr_t nb, intptr_t d, const void *A, intptr_t a_bs, intptr_t a_rs,
                         intptr_t a_cs, void *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                         intptr_t *fb, intptr_t *fc, const int f)
{
    if (nb < 0 || d < 0) return ND_E_BAD_PARAM;
    switch (d) {
    case 0:
        set_fail(fb, fc, -1, -1);
        return ND_OK;
        CHOL_CASE(1)
        CHOL_CASE(2)
        CHOL_CASE(3)
        CHOL_CASE(4)
    default:
        if (d <= MD) {
            double a[MD * MD];
            return chol_batch_buf(nb, d, A, a_bs, a_rs, a_cs, L, l_bs, l_rs, l_cs, fb, fc, f, a, d);
        }
        return chol_batch_mem(nb, d, A, a_bs, a_rs, a_cs, L, l_bs, l_rs, l_cs, fb, fc, f);
    }
}

int nd_cholesky_batch(intptr_t nbatch, intptr_t d, const double *A, intptr_t a_bs, intptr_t a_rs,
                      intptr_t a_cs, double *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                      intptr_t *fail_batch, intptr_t *fail_col)
{
    return chol_batch(nbatch, d, A, a_bs, a_rs, a_cs, L, l_bs, l_rs, l_cs, fail_batch, fail_col, 0);
}

int nd_cholesky_batch_f(intptr_t nbatch, intptr_t d, const float *A, intptr_t a_bs, intptr_t a_rs,
                        intptr_t a_cs, float *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                        intptr_t *fail_batch, intptr_t *fail_col)
{
    return chol_batch(nbatch, d, A, a_bs, a_rs, a_cs, L, l_bs, l_rs, l_cs, fail_batch, fail_col, 1);
}

/* Packed output (d <= MD): the same factorisation, only the triangle stored. */
ND_INLINE int chol_packed_buf(intptr_t nb, const intptr_t D, const void *A, intptr_t a_bs,
                              intptr_t a_rs, intptr_t a_cs, void *P, intptr_t p_bs, intptr_t *fb,
                              intptr_t *fc, const int f, double *a, const intptr_t n)
{
    const intptr_t es = f ? (intptr_t)sizeof(float) : (intptr_t)sizeof(double);
    intptr_t b, c;
    for (b = 0; b < nb; b++) {
        load_lower(a, n, BYTES(A, b * a_bs), a_rs, a_cs, D, f);
        c = chol_core(a, n * (intptr_t)sizeof(double), sizeof(double), D, 0);
        if (c >= 0) {
            set_fail(fb, fc, b, c);
            return ND_E_NOT_PD;
        }
        store_packed(BYTES(P, b * p_bs), es, a, n, D, f);
    }
    set_fail(fb, fc, -1, -1);
    return ND_OK;
}

ND_INLINE int chol_packed_lanes(intptr_t nb, const intptr_t D, const void *A, intptr_t a_bs,
                                intptr_t a_rs, intptr_t a_cs, void *P, intptr_t p_bs, intptr_t *fb,
                                intptr_t *fc, const int f)
{
    const intptr_t es = f ? (intptr_t)sizeof(float) : (intptr_t)sizeof(double);
    double a[16 * NW], s[16];
    intptr_t b = 0;
    int r;
    for (; b + NW <= nb; b += NW) {
#if defined(__GNUC__) || defined(__clang__)
        /* the matrices 8 groups ahead (first and last row): measured 6-7% faster than
         * leaving the stream to the hardware prefetcher; hints only, no effect on results */
        if (b + 9 * NW <= nb) {
            intptr_t w;
            for (w = 0; w < NW; w++) {
                __builtin_prefetch(BYTES(A, (b + 8 * NW + w) * a_bs));
                __builtin_prefetch(BYTES(A, (b + 8 * NW + w) * a_bs + (D - 1) * a_rs));
            }
        }
#endif
        lanes_load_lower(a, D, BYTES(A, b * a_bs), a_bs, a_rs, a_cs, f);
        if (chol_lanes(a, D)) break;
        lanes_store_packed(BYTES(P, b * p_bs), p_bs, es, a, D, f);
    }
    r = chol_packed_buf(nb - b, D, BYTES(A, b * a_bs), a_bs, a_rs, a_cs, BYTES(P, b * p_bs), p_bs,
                        fb, fc, f, s, D);
    if (r != ND_OK && fb) *fb += b;
    return r;
}

#ifdef MV_X86
/* Ten entry vectors (lane w: factor w) stored as eight packed factors of ten
 * items at p, p + 10, ...: an 8 x 8 transpose of the first eight entries (one
 * 64-byte store per factor) and the last two as pairs (16 bytes per factor). */
MV_T512 static inline void pk4_store8_512(double *p, __m512d v0, __m512d v1, __m512d v2, __m512d v3,
                                          __m512d v4, __m512d v5, __m512d v6, __m512d v7, __m512d v8,
                                          __m512d v9)
{
    const __m512i lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    const __m512i hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    const __m512i h0 = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
    const __m512i h1 = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
    __m512d u0 = _mm512_unpacklo_pd(v0, v1), u1 = _mm512_unpackhi_pd(v0, v1);
    __m512d u2 = _mm512_unpacklo_pd(v2, v3), u3 = _mm512_unpackhi_pd(v2, v3);
    __m512d u4 = _mm512_unpacklo_pd(v4, v5), u5 = _mm512_unpackhi_pd(v4, v5);
    __m512d u6 = _mm512_unpacklo_pd(v6, v7), u7 = _mm512_unpackhi_pd(v6, v7);
    /* x0: lanes 0 and 4 of v0..v3; x1: lanes 2 and 6; x2: 1 and 5; x3: 3 and 7 (x4..x7: v4..v7) */
    __m512d x0 = _mm512_permutex2var_pd(u0, lo, u2), x1 = _mm512_permutex2var_pd(u0, hi, u2);
    __m512d x2 = _mm512_permutex2var_pd(u1, lo, u3), x3 = _mm512_permutex2var_pd(u1, hi, u3);
    __m512d x4 = _mm512_permutex2var_pd(u4, lo, u6), x5 = _mm512_permutex2var_pd(u4, hi, u6);
    __m512d x6 = _mm512_permutex2var_pd(u5, lo, u7), x7 = _mm512_permutex2var_pd(u5, hi, u7);
    __m512d q0 = _mm512_unpacklo_pd(v8, v9), q1 = _mm512_unpackhi_pd(v8, v9);
    _mm512_storeu_pd(p + 0, _mm512_permutex2var_pd(x0, h0, x4));
    _mm512_storeu_pd(p + 10, _mm512_permutex2var_pd(x2, h0, x6));
    _mm512_storeu_pd(p + 20, _mm512_permutex2var_pd(x1, h0, x5));
    _mm512_storeu_pd(p + 30, _mm512_permutex2var_pd(x3, h0, x7));
    _mm512_storeu_pd(p + 40, _mm512_permutex2var_pd(x0, h1, x4));
    _mm512_storeu_pd(p + 50, _mm512_permutex2var_pd(x2, h1, x6));
    _mm512_storeu_pd(p + 60, _mm512_permutex2var_pd(x1, h1, x5));
    _mm512_storeu_pd(p + 70, _mm512_permutex2var_pd(x3, h1, x7));
    /* q0: (v8, v9) of factors 0, 2, 4, 6 in its 128-bit lanes; q1: 1, 3, 5, 7 */
    _mm_storeu_pd(p + 8, _mm512_castpd512_pd128(q0));
    _mm_storeu_pd(p + 18, _mm512_castpd512_pd128(q1));
    _mm_storeu_pd(p + 28, _mm512_extractf64x2_pd(q0, 1));
    _mm_storeu_pd(p + 38, _mm512_extractf64x2_pd(q1, 1));
    _mm_storeu_pd(p + 48, _mm512_extractf64x2_pd(q0, 2));
    _mm_storeu_pd(p + 58, _mm512_extractf64x2_pd(q1, 2));
    _mm_storeu_pd(p + 68, _mm512_extractf64x2_pd(q0, 3));
    _mm_storeu_pd(p + 78, _mm512_extractf64x2_pd(q1, 3));
}

/* The column steps of the 4 x 4 Cholesky of two groups of matrices side by side
 * (lane w of a vector: matrix w of its group), chol_lanes' operations in its order;
 * SUB, MUL, DIV and SQRT are the vector width's intrinsics (chol_pk4_512 / _256). */
#define CHOL4_COLUMNS(SUB, MUL, DIV, SQRT)                                                              \
    for (g = 0; g < 2; g++) { /* column 0 */                                                            \
        d0[g] = SQRT(a00[g]);                                                                           \
        r[g] = DIV(one, d0[g]);                                                                         \
        l10[g] = MUL(a10[g], r[g]);                                                                     \
        l20[g] = MUL(a20[g], r[g]);                                                                     \
        l30[g] = MUL(a30[g], r[g]);                                                                     \
    }                                                                                                   \
    for (g = 0; g < 2; g++) { /* column 1 */                                                            \
        s[g] = SUB(a11[g], MUL(l10[g], l10[g]));                                                        \
        d1[g] = SQRT(s[g]);                                                                             \
        r[g] = DIV(one, d1[g]);                                                                         \
        l21[g] = MUL(SUB(a21[g], MUL(l20[g], l10[g])), r[g]);                                           \
        l31[g] = MUL(SUB(a31[g], MUL(l30[g], l10[g])), r[g]);                                           \
    }                                                                                                   \
    for (g = 0; g < 2; g++) { /* column 2 */                                                            \
        s[g] = SUB(SUB(a22[g], MUL(l20[g], l20[g])), MUL(l21[g], l21[g]));                              \
        d2[g] = SQRT(s[g]);                                                                             \
        r[g] = DIV(one, d2[g]);                                                                         \
        l32[g] = MUL(SUB(SUB(a32[g], MUL(l30[g], l20[g])), MUL(l31[g], l21[g])), r[g]);                 \
    }                                                                                                   \
    for (g = 0; g < 2; g++) { /* column 3 */                                                            \
        s[g] = SUB(SUB(SUB(a33[g], MUL(l30[g], l30[g])), MUL(l31[g], l31[g])), MUL(l32[g], l32[g]));    \
        d3[g] = SQRT(s[g]);                                                                             \
    }

/* d = 4, float64, A C-contiguous (128 bytes a matrix) and P contiguous (80
 * bytes a factor): 8 matrices per group, one matrix per lane, chol_lanes'
 * operations in its order (the lower entries gathered, the ten factor entries
 * stored back as packed rows by pk4_store8_512). Returns the matrices done: a group in which
 * some pivot fails stops the pass there (chol_packed_lanes redoes it and finds
 * the failure). */
MV_T512 static intptr_t chol_pk4_512(intptr_t nb, const double *A, double *P)
{
    const __m512i gi = _mm512_set_epi64(112, 96, 80, 64, 48, 32, 16, 0); /* matrix w at 16 w */
    const __m512d zero = _mm512_setzero_pd(), inf = _mm512_set1_pd(HUGE_VAL), one = _mm512_set1_pd(1.0);
    intptr_t b;
    int g;
    /* two groups of 8 side by side: the column steps form a long chain of square roots
     * and divisions, and two independent chains keep the divider busy */
    for (b = 0; b + 16 <= nb; b += 16) {
        __m512d d0[2], d1[2], d2[2], d3[2], r[2], l10[2], l20[2], l30[2], l21[2], l31[2], l32[2], s[2];
        __m512d a00[2], a10[2], a11[2], a20[2], a21[2], a22[2], a30[2], a31[2], a32[2], a33[2];
        __mmask8 ok = 0xFF;
        for (g = 0; g < 2; g++) {
            const double *a = A + 16 * (b + 8 * g);
            a00[g] = _mm512_i64gather_pd(gi, a + 0, 8);
            a10[g] = _mm512_i64gather_pd(gi, a + 4, 8);
            a11[g] = _mm512_i64gather_pd(gi, a + 5, 8);
            a20[g] = _mm512_i64gather_pd(gi, a + 8, 8);
            a21[g] = _mm512_i64gather_pd(gi, a + 9, 8);
            a22[g] = _mm512_i64gather_pd(gi, a + 10, 8);
            a30[g] = _mm512_i64gather_pd(gi, a + 12, 8);
            a31[g] = _mm512_i64gather_pd(gi, a + 13, 8);
            a32[g] = _mm512_i64gather_pd(gi, a + 14, 8);
            a33[g] = _mm512_i64gather_pd(gi, a + 15, 8);
        }
        CHOL4_COLUMNS(_mm512_sub_pd, _mm512_mul_pd, _mm512_div_pd, _mm512_sqrt_pd)
        /* pivot_ok on the diagonal of the result, as chol_lanes */
        for (g = 0; g < 2; g++)
            ok &= _mm512_cmp_pd_mask(d0[g], zero, _CMP_GT_OQ) & _mm512_cmp_pd_mask(d0[g], inf, _CMP_LT_OQ) &
                  _mm512_cmp_pd_mask(d1[g], zero, _CMP_GT_OQ) & _mm512_cmp_pd_mask(d1[g], inf, _CMP_LT_OQ) &
                  _mm512_cmp_pd_mask(d2[g], zero, _CMP_GT_OQ) & _mm512_cmp_pd_mask(d2[g], inf, _CMP_LT_OQ) &
                  _mm512_cmp_pd_mask(d3[g], zero, _CMP_GT_OQ) & _mm512_cmp_pd_mask(d3[g], inf, _CMP_LT_OQ);
        if (ok != 0xFF) break;
        for (g = 0; g < 2; g++)
            pk4_store8_512(P + 10 * (b + 8 * g), d0[g], l10[g], d1[g], l20[g], l21[g], d2[g], l30[g], l31[g],
                           l32[g], d3[g]);
    }
    return b;
}
/* Four entry vectors (lane w: factor w) stored as items [o, o + 4) of four packed
 * factors at p, p + 10, ... (a 4 x 4 transpose). */
MV_T256 static inline void pk4_store4x4_256(double *p, __m256d v0, __m256d v1, __m256d v2, __m256d v3)
{
    __m256d t0 = _mm256_unpacklo_pd(v0, v1), t1 = _mm256_unpackhi_pd(v0, v1);
    __m256d t2 = _mm256_unpacklo_pd(v2, v3), t3 = _mm256_unpackhi_pd(v2, v3);
    _mm256_storeu_pd(p, _mm256_permute2f128_pd(t0, t2, 0x20));
    _mm256_storeu_pd(p + 10, _mm256_permute2f128_pd(t1, t3, 0x20));
    _mm256_storeu_pd(p + 20, _mm256_permute2f128_pd(t0, t2, 0x31));
    _mm256_storeu_pd(p + 30, _mm256_permute2f128_pd(t1, t3, 0x31));
}

/* chol_pk4_512 at the AVX2 level: 4 matrices per register, two groups side by side. */
MV_T256 static intptr_t chol_pk4_256(intptr_t nb, const double *A, double *P)
{
    const __m256i gi = _mm256_set_epi64x(48, 32, 16, 0); /* matrix w at 16 w */
    const __m256d zero = _mm256_setzero_pd(), inf = _mm256_set1_pd(HUGE_VAL), one = _mm256_set1_pd(1.0);
    intptr_t b;
    int g;
    for (b = 0; b + 8 <= nb; b += 8) {
        __m256d d0[2], d1[2], d2[2], d3[2], r[2], l10[2], l20[2], l30[2], l21[2], l31[2], l32[2], s[2];
        __m256d a00[2], a10[2], a11[2], a20[2], a21[2], a22[2], a30[2], a31[2], a32[2], a33[2];
        int ok = 1;
        if (b + 16 <= nb) { /* the next 8 matrices: 2-4% faster streaming than the hardware alone */
            int q;
            for (q = 0; q < 16; q++) _mm_prefetch((const char *)(A + 16 * (b + 8) + 8 * q), _MM_HINT_T0);
        }
        for (g = 0; g < 2; g++) {
            const double *a = A + 16 * (b + 4 * g);
            a00[g] = _mm256_i64gather_pd(a + 0, gi, 8);
            a10[g] = _mm256_i64gather_pd(a + 4, gi, 8);
            a11[g] = _mm256_i64gather_pd(a + 5, gi, 8);
            a20[g] = _mm256_i64gather_pd(a + 8, gi, 8);
            a21[g] = _mm256_i64gather_pd(a + 9, gi, 8);
            a22[g] = _mm256_i64gather_pd(a + 10, gi, 8);
            a30[g] = _mm256_i64gather_pd(a + 12, gi, 8);
            a31[g] = _mm256_i64gather_pd(a + 13, gi, 8);
            a32[g] = _mm256_i64gather_pd(a + 14, gi, 8);
            a33[g] = _mm256_i64gather_pd(a + 15, gi, 8);
        }
        CHOL4_COLUMNS(_mm256_sub_pd, _mm256_mul_pd, _mm256_div_pd, _mm256_sqrt_pd)
        for (g = 0; g < 2; g++) {
            __m256d m = _mm256_and_pd(_mm256_cmp_pd(d0[g], zero, _CMP_GT_OQ), _mm256_cmp_pd(d0[g], inf, _CMP_LT_OQ));
            m = _mm256_and_pd(m, _mm256_and_pd(_mm256_cmp_pd(d1[g], zero, _CMP_GT_OQ), _mm256_cmp_pd(d1[g], inf, _CMP_LT_OQ)));
            m = _mm256_and_pd(m, _mm256_and_pd(_mm256_cmp_pd(d2[g], zero, _CMP_GT_OQ), _mm256_cmp_pd(d2[g], inf, _CMP_LT_OQ)));
            m = _mm256_and_pd(m, _mm256_and_pd(_mm256_cmp_pd(d3[g], zero, _CMP_GT_OQ), _mm256_cmp_pd(d3[g], inf, _CMP_LT_OQ)));
            ok &= _mm256_movemask_pd(m) == 0xF;
        }
        if (!ok) break;
        for (g = 0; g < 2; g++) {
            double *p = P + 10 * (b + 4 * g);
            __m256d q0 = _mm256_unpacklo_pd(l32[g], d3[g]), q1 = _mm256_unpackhi_pd(l32[g], d3[g]);
            pk4_store4x4_256(p, d0[g], l10[g], d1[g], l20[g]);
            pk4_store4x4_256(p + 4, l21[g], d2[g], l30[g], l31[g]);
            /* q0: (l32, l33) of factors 0 and 2; q1: of 1 and 3 */
            _mm_storeu_pd(p + 8, _mm256_castpd256_pd128(q0));
            _mm_storeu_pd(p + 18, _mm256_castpd256_pd128(q1));
            _mm_storeu_pd(p + 28, _mm256_extractf128_pd(q0, 1));
            _mm_storeu_pd(p + 38, _mm256_extractf128_pd(q1, 1));
        }
    }
    return b;
}
#endif

/* C-contiguous A: strides as constants (fixed offsets), as chol_batch_lanes_dispatch. */
ND_INLINE int chol_packed_lanes_dispatch(intptr_t nb, const intptr_t D, const void *A,
                                         intptr_t a_bs, intptr_t a_rs, intptr_t a_cs, void *P,
                                         intptr_t p_bs, intptr_t *fb, intptr_t *fc, const int f)
{
    const intptr_t es = f ? (intptr_t)sizeof(float) : (intptr_t)sizeof(double);
    if (a_cs == es && a_rs == D * es && a_bs == D * D * es && p_bs == TRI(D, 0) * es) {
#ifdef MV_X86
        const int level = D == 4 && !f ? mv_level() : 0;
        if (level >= 2) {
            intptr_t done = level >= 3 ? chol_pk4_512(nb, (const double *)A, (double *)P)
                                       : chol_pk4_256(nb, (const double *)A, (double *)P);
            int r = chol_packed_lanes(nb - done, D, BYTES(A, done * a_bs), D * D * es, D * es, es,
                                      BYTES(P, done * p_bs), TRI(D, 0) * es, fb, fc, f);
            if (r != ND_OK && fb) *fb += done;
            return r;
        }
#endif
        return chol_packed_lanes(nb, D, A, D * D * es, D * es, es, P, TRI(D, 0) * es, fb, fc, f);
    }
    return chol_packed_lanes(nb, D, A, a_bs, a_rs, a_cs, P, p_bs, fb, fc, f);
}

#define CHOLP_CASE(DD)                                                                          \
    case DD:                                                                                    \
        return chol_packed_lanes_dispatch(nb, DD, A, a_bs, a_rs, a_cs, P, p_bs, fb, fc, f);

ND_INLINE int chol_packed(intptr_t nb, intptr_t d, const void *A, intptr_t a_bs, intptr_t a_rs,
                          intptr_t a_cs, void *P, intptr_t p_bs, intptr_t *fb, intptr_t *fc,
                          const int f)
{
    if (nb < 0 || d < 0 || d > MD) return ND_E_BAD_PARAM;
    switch (d) {
    case 0:
        set_fail(fb, fc, -1, -1);
        return ND_OK;
        CHOLP_CASE(1)
        CHOLP_CASE(2)
        CHOLP_CASE(3)
        CHOLP_CASE(4)
    default: {
        double a[MD * MD];
        return chol_packed_buf(nb, d, A, a_bs, a_rs, a_cs, P, p_bs, fb, fc, f, a, d);
    }
    }
}

int nd_cholesky_packed_batch(intptr_t nbatch, intptr_t d, const double *A, intptr_t a_bs,
                             intptr_t a_rs, intptr_t a_cs, double *P, intptr_t p_bs,
                             intptr_t *fail_batch, intptr_t *fail_col)
{
    return chol_packed(nbatch, d, A, a_bs, a_rs, a_cs, P, p_bs, fail_batch, fail_col, 0);
}

int nd_cholesky_packed_batch_f(intptr_t nbatch, intptr_t d, const float *A, intptr_t a_bs,
                               intptr_t a_rs, intptr_t a_cs, float *P, intptr_t p_bs,
                               intptr_t *fail_batch, intptr_t *fail_col)
{
    return chol_packed(nbatch, d, A, a_bs, a_rs, a_cs, P, p_bs, fail_batch, fail_col, 1);
}

/* ---- 2. precision -> scale_tril --------------------------------------------
 * F = flip(P) (rows and columns reversed); its lower triangle F[i][j] (j <= i)
 * is P[D-1-j][D-1-i], in the lower triangle of P. Lf = chol(F), M = Lf^{-1};
 * the result is L = inv(flip(Lf)^T) = J M^T J, i.e. L[i][j] = M[D-1-j][D-1-i]. */

ND_INLINE int prec_batch_buf(intptr_t nb, const intptr_t D, const void *P, intptr_t p_bs,
                             intptr_t p_rs, intptr_t p_cs, void *L, intptr_t l_bs, intptr_t l_rs,
                             intptr_t l_cs, intptr_t *fb, intptr_t *fc, const int f, double *a,
                             const intptr_t n)
{
    intptr_t b, c, i, j;
    const intptr_t ds = sizeof(double);
    for (b = 0; b < nb; b++) {
        const char *F = BYTES(P, b * p_bs + (D - 1) * (p_rs + p_cs));
        char *Lb = BYTES(L, b * l_bs);
        load_lower(a, n, F, -p_cs, -p_rs, D, f);
        c = chol_core(a, n * ds, ds, D, 0);
        if (c >= 0) {
            set_fail(fb, fc, b, D - 1 - c);
            return ND_E_NOT_PD;
        }
        trinv_core(a, n * ds, ds, D, 0);
        for (i = 0; i < D; i++)
            for (j = 0; j < D; j++)
                st(Lb, i * l_rs + j * l_cs, j <= i ? a[(D - 1 - j) * n + (D - 1 - i)] : 0.0, f);
    }
    set_fail(fb, fc, -1, -1);
    return ND_OK;
}

static int prec_batch_mem(intptr_t nb, intptr_t D, const void *P, intptr_t p_bs, intptr_t p_rs,
                          intptr_t p_cs, void *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                          intptr_t *fb, intptr_t *fc, const int f)
{
    intptr_t b, c, i, j;
    for (b = 0; b < nb; b++) {
        const char *F = BYTES(P, b * p_bs + (D - 1) * (p_rs + p_cs));
        char *Lb = BYTES(L, b * l_bs);
        for (i = 0; i < D; i++)
            for (j = 0; j <= i; j++) st(Lb, i * l_rs + j * l_cs, ld(F, -i * p_cs - j * p_rs, f), f);
        c = chol_core(Lb, l_rs, l_cs, D, f);
        if (c >= 0) {
            set_fail(fb, fc, b, D - 1 - c);
            return ND_E_NOT_PD;
        }
        trinv_core(Lb, l_rs, l_cs, D, f);
        /* anti-transpose the lower triangle in place: (i, j) <-> (D-1-j, D-1-i) */
        for (i = 0; i < D; i++)
            for (j = 0; j <= i && i + j < D - 1; j++) {
                intptr_t o1 = i * l_rs + j * l_cs, o2 = (D - 1 - j) * l_rs + (D - 1 - i) * l_cs;
                double t = ld(Lb, o1, f);
                st(Lb, o1, ld(Lb, o2, f), f);
                st(Lb, o2, t, f);
            }
        for (i = 0; i < D; i++)
            for (j = i + 1; j < D; j++) st(Lb, i * l_rs + j * l_cs, 0.0, f);
    }
    set_fail(fb, fc, -1, -1);
    return ND_OK;
}

#define PREC_CASE(DD)                                                                           \
    case DD: {                                                                                  \
        double a[DD * DD];                                                                      \
        return prec_batch_buf(nb, DD, P, p_bs, p_rs, p_cs, L, l_bs, l_rs, l_cs, fb, fc, f, a,   \
                              DD);                                                              \
    }

ND_INLINE int prec_batch(intptr_t nb, intptr_t d, const void *P, intptr_t p_bs, intptr_t p_rs,
                         intptr_t p_cs, void *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs,
                         intptr_t *fb, intptr_t *fc, const int f)
{
    if (nb < 0 || d < 0) return ND_E_BAD_PARAM;
    switch (d) {
    case 0:
        set_fail(fb, fc, -1, -1);
        return ND_OK;
        PREC_CASE(1)
        PREC_CASE(2)
        PREC_CASE(3)
        PREC_CASE(4)
    default:
        if (d <= MD) {
            double a[MD * MD];
            return prec_batch_buf(nb, d, P, p_bs, p_rs, p_cs, L, l_bs, l_rs, l_cs, fb, fc, f, a, d);
        }
        return prec_batch_mem(nb, d, P, p_bs, p_rs, p_cs, L, l_bs, l_rs, l_cs, fb, fc, f);
    }
}

int nd_precision_to_scale_tril_batch(intptr_t nbatch, intptr_t d, const double *P, intptr_t p_bs,
                                     intptr_t p_rs, intptr_t p_cs, double *L, intptr_t l_bs,
                                     intptr_t l_rs, intptr_t l_cs, intptr_t *fail_batch,
                                     intptr_t *fail_col)
{
    return prec_batch(nbatch, d, P, p_bs, p_rs, p_cs, L, l_bs, l_rs, l_cs, fail_batch, fail_col, 0);
}

int nd_precision_to_scale_tril_batch_f(intptr_t nbatch, intptr_t d, const float *P, intptr_t p_bs,
                                       intptr_t p_rs, intptr_t p_cs, float *L, intptr_t l_bs,
                                       intptr_t l_rs, intptr_t l_cs, intptr_t *fail_batch,
                                       intptr_t *fail_col)
{
    return prec_batch(nbatch, d, P, p_bs, p_rs, p_cs, L, l_bs, l_rs, l_cs, fail_batch, fail_col, 1);
}

/* ---- 3./4. draws ------------------------------------------------------------ */

typedef union {
    double d[ND_MVN_EPS_BUF];
    float f[ND_MVN_EPS_BUF];
} eps_buf_t;

ND_INLINE void draw(nd_bits_t *bits, nd_normal_method m, intptr_t n, void *dst, intptr_t stride,
                    const int f)
{
    if (f)
        random_normal_fill_f(bits, m, n, (float *)dst, stride, NULL, 0, NULL, 0);
    else
        random_normal_fill(bits, m, n, (double *)dst, stride, NULL, 0, NULL, 0);
}

ND_INLINE void load_eps(double *e, const eps_buf_t *buf, intptr_t k, const intptr_t D, const int f)
{
    intptr_t j;
    for (j = 0; j < D; j++) e[j] = f ? (double)buf->f[k * D + j] : buf->d[k * D + j];
}

/* Vectors n = s*nb + b for s < ns, b < nb, in chunks of nd_mvn_chunk(D).
 * bcast: L and loc are the same for every b (loaded once). (A lanes version
 * of this loop was measured slower: transposing eps costs more than it saves.) */
ND_INLINE void fill_small(nd_bits_t *bits, nd_normal_method m, intptr_t ns, intptr_t nb,
                          const intptr_t D, const void *loc, intptr_t loc_bs, intptr_t loc_es,
                          const void *L, intptr_t l_bs, intptr_t l_rs, intptr_t l_cs, void *out,
                          intptr_t out_ss, intptr_t out_bs, intptr_t out_es, void *eps,
                          intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es, const int f,
                          const int bcast, double *l, const intptr_t n, double *mu, double *e,
                          double *y, eps_buf_t *buf, const int pk)
{
    const intptr_t K = nd_mvn_chunk(D), total = ns * nb;
    const intptr_t es = f ? sizeof(float) : sizeof(double);
    const intptr_t out_wrap = out_ss - (nb - 1) * out_bs, eps_wrap = eps_ss - (nb - 1) * eps_bs;
    intptr_t done = 0, b = 0, oo = 0, eo = 0, lo = 0, mo = 0, i, k;
    if (bcast) {
        load_tri(l, n, L, l_rs, l_cs, D, f, pk);
        load_vec(mu, loc, loc_es, D, f);
    }
    while (done < total) {
        const intptr_t cnt = total - done < K ? total - done : K;
        draw(bits, m, cnt * D, buf, es, f);
        for (k = 0; k < cnt; k++) {
            if (!bcast) load_vec(mu, loc ? BYTES(loc, mo) : NULL, loc_es, D, f);
            load_eps(e, buf, k, D, f);
            if (!bcast && pk) {
                /* trmv straight from the packed factor (same operations, same order): GCC
                 * makes slow code of the copy into l for this layout */
                const char *pb = BYTES(L, lo);
                intptr_t i2, j2;
                for (i2 = 0; i2 < D; i2++) {
                    double t = mu[i2];
                    for (j2 = 0; j2 <= i2; j2++) t += ld(pb, TRI(i2, j2) * l_cs, f) * e[j2];
                    y[i2] = t;
                }
            } else {
                if (!bcast) load_tri(l, n, BYTES(L, lo), l_rs, l_cs, D, f, pk);
                trmv(D, l, n, mu, e, y);
            }
            for (i = 0; i < D; i++) st(out, oo + i * out_es, y[i], f);
            if (eps)
                for (i = 0; i < D; i++) st(eps, eo + i * eps_es, e[i], f);
            if (++b == nb) {
                b = 0;
                oo += out_wrap;
                eo += eps_wrap;
                lo = 0;
                mo = 0;
            } else {
                oo += out_bs;
                eo += eps_bs;
                lo += l_bs;
                mo += loc_bs;
            }
        }
        done += cnt;
    }
}

/* out_i = loc_i + sum_{j<=i} L_ij e_j for i from D-1 down to 0, with L read
 * from memory: in place when e is the out row itself. */
static void trmv_mem(intptr_t D, const void *L, intptr_t l_rs, intptr_t l_cs, const void *loc,
                     intptr_t loc_es, const void *e, intptr_t e_es, void *out, intptr_t out_es,
                     const int f)
{
    intptr_t i, j;
    for (i = D - 1; i >= 0; i--) {
        double t = loc ? ld(loc, i * loc_es, f) : 0.0;
        for (j = 0; j <= i; j++) t += ld(L, i * l_rs + j * l_cs, f) * ld(e, j * e_es, f);
        st(out, i * out_es, t, f);
    }
}

/* D > MD: L read from memory. For D > ND_MVN_EPS_BUF (chunks of one vector)
 * the normals go straight into the eps row (or the out row, then in place). */
static void fill_big(nd_bits_t *bits, nd_normal_method m, intptr_t ns, intptr_t nb, intptr_t D,
                     const void *loc, intptr_t loc_bs, intptr_t loc_es, const void *L, intptr_t l_bs,
                     intptr_t l_rs, intptr_t l_cs, void *out, intptr_t out_ss, intptr_t out_bs,
                     intptr_t out_es, void *eps, intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es,
                     const int f, eps_buf_t *buf)
{
    const intptr_t K = nd_mvn_chunk(D), total = ns * nb;
    const intptr_t es = f ? sizeof(float) : sizeof(double);
    const intptr_t out_wrap = out_ss - (nb - 1) * out_bs, eps_wrap = eps_ss - (nb - 1) * eps_bs;
    intptr_t done = 0, b = 0, oo = 0, eo = 0, lo = 0, mo = 0, i, k;
    while (done < total) {
        const intptr_t cnt = total - done < K ? total - done : K;
        int direct = D > ND_MVN_EPS_BUF;
        if (direct) {
            if (eps)
                draw(bits, m, D, BYTES(eps, eo), eps_es, f);
            else
                draw(bits, m, D, BYTES(out, oo), out_es, f);
        } else {
            draw(bits, m, cnt * D, buf, es, f);
        }
        for (k = 0; k < cnt; k++) {
            const void *lb = BYTES(L, lo), *mb = loc ? BYTES(loc, mo) : NULL;
            if (direct) {
                if (eps)
                    trmv_mem(D, lb, l_rs, l_cs, mb, loc_es, BYTES(eps, eo), eps_es, BYTES(out, oo),
                             out_es, f);
                else
                    trmv_mem(D, lb, l_rs, l_cs, mb, loc_es, BYTES(out, oo), out_es, BYTES(out, oo),
                             out_es, f);
            } else {
                const char *src = (const char *)buf + k * D * es;
                trmv_mem(D, lb, l_rs, l_cs, mb, loc_es, src, es, BYTES(out, oo), out_es, f);
                if (eps)
                    for (i = 0; i < D; i++) st(eps, eo + i * eps_es, ld(src, i * es, f), f);
            }
            if (++b == nb) {
                b = 0;
                oo += out_wrap;
                eo += eps_wrap;
                lo = 0;
                mo = 0;
            } else {
                oo += out_bs;
                eo += eps_bs;
                lo += l_bs;
                mo += loc_bs;
            }
        }
        done += cnt;
    }
}

/* ---- d = 4, packed factors, float64: the draw of the covariance route ----------
 * One factor per batch element (the bcast case keeps fill_small). A piece of
 * vectors has its normals drawn straight into contiguous memory (the eps row
 * if eps is wanted, else the out row, else the stack buffer) and is then
 * transformed there, out[k] = loc[k] + L[k] @ z[k], while it is in cache: no
 * copy through the stack buffer, and pieces large enough for the normal fill's
 * whole-block pass. The float64 ziggurat and Box-Muller give the same numbers
 * in pieces of any even length as in one call (normal.h), so the vectors get
 * the normals of the canonical chunks of mvn.h; only for numdist's generator
 * (a NumPy source takes words per call as the call's size hints, so it keeps
 * fill_small). Each output is the trmv of fill_small: mu_i, then + L_ij e_j for
 * j = 0..i, each product rounded, then the sum. */

#define PK4_PIECE 16384 /* vectors per piece: the 65,536 normals of a chunk of the stream */

/* One vector from a packed factor p (items es bytes apart), as fill_small. */
ND_INLINE void trmv4pk_one(const char *p, intptr_t es, const double *mu, const double *e, double *y)
{
    intptr_t i, j;
    for (i = 0; i < 4; i++) {
        double t = mu[i];
        for (j = 0; j <= i; j++) t += ld(p, TRI(i, j) * es, 0) * e[j];
        y[i] = t;
    }
}

#ifdef MV_X86
/* n vectors, everything contiguous: P (n x 10), z and out (n x 4; out may be
 * z), loc n x 4 (lstep 8 doubles per pair) or one vector for all (lstep 0) or
 * NULL (zero). Two vectors per register (lanes 0-3 and 4-7); column j of both
 * factors is gathered by permutes and added to rows >= j only (masked add), so
 * each lane does trmv's operations in trmv's order. Returns the vectors done
 * (an even number; the caller does the last one). */
MV_T512 static intptr_t pk4_apply_512(intptr_t n, const double *P, const double *loc, intptr_t lstep,
                                      const double *z, double *out)
{
    const __m512i c0 = _mm512_set_epi64(0, 13, 11, 10, 6, 3, 1, 0);
    const __m512i c1 = _mm512_set_epi64(0, 14, 12, 0, 7, 4, 2, 0);
    const __m512i c2 = _mm512_set_epi64(0, 15, 0, 0, 8, 5, 0, 0);
    __m512d mu = _mm512_setzero_pd();
    intptr_t k;
    if (loc != NULL && lstep == 0) mu = _mm512_broadcast_f64x4(_mm256_loadu_pd(loc));
    for (k = 0; k + 2 <= n; k += 2) {
        const double *p = P + 10 * k, *e = z + 4 * k;
        __m512d a = _mm512_loadu_pd(p), b = _mm512_loadu_pd(p + 8), y;
        /* lane 7 of column j is item 16 + j (the second factor's row 3) */
        __m512d l0 = _mm512_mask_mov_pd(_mm512_permutex2var_pd(a, c0, b), 0x80, _mm512_set1_pd(p[16]));
        __m512d l1 = _mm512_mask_mov_pd(_mm512_permutex2var_pd(a, c1, b), 0x80, _mm512_set1_pd(p[17]));
        __m512d l2 = _mm512_mask_mov_pd(_mm512_permutex2var_pd(a, c2, b), 0x80, _mm512_set1_pd(p[18]));
        __m512d l3 = _mm512_mask_mov_pd(_mm512_set1_pd(p[9]), 0x80, _mm512_set1_pd(p[19]));
        __m512d e0 = _mm512_mask_mov_pd(_mm512_set1_pd(e[0]), 0xF0, _mm512_set1_pd(e[4]));
        __m512d e1 = _mm512_mask_mov_pd(_mm512_set1_pd(e[1]), 0xF0, _mm512_set1_pd(e[5]));
        __m512d e2 = _mm512_mask_mov_pd(_mm512_set1_pd(e[2]), 0xF0, _mm512_set1_pd(e[6]));
        __m512d e3 = _mm512_mask_mov_pd(_mm512_set1_pd(e[3]), 0xF0, _mm512_set1_pd(e[7]));
        if (loc != NULL && lstep != 0) mu = _mm512_loadu_pd(loc + 4 * k);
        y = _mm512_add_pd(mu, _mm512_mul_pd(l0, e0));
        y = _mm512_mask_add_pd(y, 0xEE, y, _mm512_mul_pd(l1, e1)); /* rows 1-3 */
        y = _mm512_mask_add_pd(y, 0xCC, y, _mm512_mul_pd(l2, e2)); /* rows 2-3 */
        y = _mm512_mask_add_pd(y, 0x88, y, _mm512_mul_pd(l3, e3)); /* row 3 */
        _mm512_storeu_pd(out + 4 * k, y);
    }
    return k;
}

/* The same, one vector per register (AVX2): returns n. */
MV_T256 static intptr_t pk4_apply_256(intptr_t n, const double *P, const double *loc, intptr_t lstep,
                                      const double *z, double *out)
{
    __m256d mu = _mm256_setzero_pd();
    intptr_t k;
    if (loc != NULL && lstep == 0) mu = _mm256_loadu_pd(loc);
    for (k = 0; k < n; k++) {
        const double *p = P + 10 * k, *e = z + 4 * k;
        __m256d a = _mm256_loadu_pd(p), b = _mm256_loadu_pd(p + 4), y;
        /* (P0 P1 P3 P6), (. P2 P4 P7), (. . P5 P8), (. . . P9) */
        __m256d l0 = _mm256_blend_pd(_mm256_permute4x64_pd(a, 0xF4), _mm256_permute4x64_pd(b, 0xAA), 0x8);
        __m256d l1 = _mm256_blend_pd(_mm256_permute4x64_pd(a, 0xAA), _mm256_permute4x64_pd(b, 0xC0), 0xC);
        __m256d l2 = _mm256_blend_pd(_mm256_permute4x64_pd(b, 0x55), _mm256_broadcast_sd(p + 8), 0x8);
        __m256d l3 = _mm256_broadcast_sd(p + 9);
        if (loc != NULL && lstep != 0) mu = _mm256_loadu_pd(loc + 4 * k);
        y = _mm256_add_pd(mu, _mm256_mul_pd(l0, _mm256_broadcast_sd(e)));
        y = _mm256_blend_pd(y, _mm256_add_pd(y, _mm256_mul_pd(l1, _mm256_broadcast_sd(e + 1))), 0xE);
        y = _mm256_blend_pd(y, _mm256_add_pd(y, _mm256_mul_pd(l2, _mm256_broadcast_sd(e + 2))), 0xC);
        y = _mm256_blend_pd(y, _mm256_add_pd(y, _mm256_mul_pd(l3, _mm256_broadcast_sd(e + 3))), 0x8);
        _mm256_storeu_pd(out + 4 * k, y);
    }
    return k;
}
#endif

/* ---- d = 4: the draw fused with its normals (rsample: no eps wanted) ------------
 * The two-pass draw (fill_pk4 below) is a compute pass, the normals of a piece,
 * then a memory pass, loc + L z with the factor and loc streamed in; one core does
 * not overlap the two, and prefetching across them did not help
 * (docs/performance.md). This loop takes the stream's words one at a time and
 * applies each vector's four normals at once, so the loads of the factor and loc
 * (prefetched PK4_AHEAD vectors ahead) run under the normal arithmetic: 1e5
 * vectors streamed 0.78 -> 0.65-0.70 ms at AVX-512 (0.82 -> 0.69 at AVX2), although
 * the word-by-word normals cost more than the AVX-512 fill's whole-block pass.
 * The numbers are the sequential rule's, nd_standard_normal (numdist/ziggurat.h)
 * inlined with the buffer position in registers: a word whose candidate passes
 * the rectangle test is the value, otherwise nd_standard_normal_slow draws the
 * element from that word on; the fill gives the same words and values, hence so
 * does the two-pass draw. Tried and slower: two vectors per AVX-512 step with the
 * 8 candidates gathered (the rule for the 8 when one fails, about 1 step in 9),
 * whole blocks made in registers with the factor prefetched during the block, and
 * the four candidates of a vector tested together. numdist's generator only, the
 * ziggurat only; one AVX2 body serves both levels (its SSE slow path costs nothing
 * to enter from ymm code). */
#ifdef MV_X86
#include "numdist/ziggurat.h"

#define PK4_AHEAD 48 /* vectors ahead (4 KB of factor): 32-96 measured alike, 0 or 160 slower */

/* The rule for a word w whose candidate x failed the rectangle test (*ppos just
 * after w). Its usual case in line, as zig_slow64 does it: the wedge filter of
 * zig_wedge_accept with the next word, and if the wedge rejects, the word after
 * as a fresh candidate; anything else (layer 0, the filter undecided, a fresh
 * candidate that fails too, fewer than two words left) goes to
 * nd_standard_normal_slow from the word the rule is at. About 1.5% of words:
 * out of line it was 15% of the fused draw (perf). */
static inline double pk4_reject(nd_bits_t *b, uint64_t **ppos, uint64_t **pend, uint64_t w, double x)
{
    uint64_t *pos = *ppos;
    const unsigned li = (unsigned)(w & 0xff);
    if (li != 0 && *pend - pos >= 2) {
        const double u = (double)(pos[0] >> 11) * (1.0 / 9007199254740992.0);
        const double t = (nd_zig_x[li] - fabs(x)) * nd_zig_idx[li];
        if (u < t + nd_zig_acc[li]) {
            *ppos = pos + 1;
            return x;
        }
        if (u > t + nd_zig_rej[li]) {
            const uint64_t w2 = pos[1], m2 = w2 >> 12;
            const unsigned j2 = (unsigned)(w2 & 0x1ff);
            if (m2 < nd_zig_k64[j2]) {
                *ppos = pos + 2;
                return (double)(int64_t)m2 * nd_zig_w64[j2];
            }
            pos += 2;
            w = w2;
        }
    }
    b->pos = pos;
    x = nd_standard_normal_slow(b, w);
    *ppos = b->pos;
    *pend = b->end;
    return x;
}

/* one normal by the rule, the buffer position in *pos / *end */
#define PK4_NORMAL(x)                                                                         \
    do {                                                                                      \
        uint64_t w_, m_;                                                                      \
        unsigned j_;                                                                          \
        if (pos == end) {                                                                     \
            b->pos = pos;                                                                     \
            nd_bits_refill(b);                                                                \
            pos = b->pos;                                                                     \
            end = b->end;                                                                     \
        }                                                                                     \
        w_ = *pos++;                                                                          \
        m_ = w_ >> 12;                                                                        \
        j_ = (unsigned)(w_ & 0x1ff);                                                          \
        (x) = (double)(int64_t)m_ * nd_zig_w64[j_];                                           \
        if (__builtin_expect(m_ >= nd_zig_k64[j_], 0)) (x) = pk4_reject(b, &pos, &end, w_, (x)); \
    } while (0)

/* n vectors of one row: out (n x 4, contiguous) = loc + L z, z the stream's next
 * 4n normals; P (n x 10), loc n x 4 (lstep != 0) or one vector (lstep 0) or NULL.
 * pk4_apply_256's operations in its order. */
MV_T256 static void pk4_fused_256(nd_bits_t *b, intptr_t n, const double *P, const double *loc,
                                  intptr_t lstep, double *out)
{
    uint64_t *pos = b->pos, *end = b->end;
    __m256d mu = _mm256_setzero_pd();
    intptr_t k;
    if (loc != NULL && lstep == 0) mu = _mm256_loadu_pd(loc);
    for (k = 0; k < n; k++) {
        const double *p = P + 10 * k;
        double e0, e1, e2, e3;
        __m256d a, bb, l0, l1, l2, l3, y;
        PK4_NORMAL(e0);
        PK4_NORMAL(e1);
        PK4_NORMAL(e2);
        PK4_NORMAL(e3);
        _mm_prefetch((const char *)(p + 10 * PK4_AHEAD), _MM_HINT_T0);
        _mm_prefetch((const char *)(p + 10 * PK4_AHEAD + 8), _MM_HINT_T0);
        if (loc != NULL && lstep != 0) _mm_prefetch((const char *)(loc + 4 * (k + PK4_AHEAD)), _MM_HINT_T0);
        _mm_prefetch((const char *)(out + 4 * (k + PK4_AHEAD)), _MM_HINT_T0);
        a = _mm256_loadu_pd(p);
        bb = _mm256_loadu_pd(p + 4);
        l0 = _mm256_blend_pd(_mm256_permute4x64_pd(a, 0xF4), _mm256_permute4x64_pd(bb, 0xAA), 0x8);
        l1 = _mm256_blend_pd(_mm256_permute4x64_pd(a, 0xAA), _mm256_permute4x64_pd(bb, 0xC0), 0xC);
        l2 = _mm256_blend_pd(_mm256_permute4x64_pd(bb, 0x55), _mm256_broadcast_sd(p + 8), 0x8);
        l3 = _mm256_broadcast_sd(p + 9);
        if (loc != NULL && lstep != 0) mu = _mm256_loadu_pd(loc + 4 * k);
        y = _mm256_add_pd(mu, _mm256_mul_pd(l0, _mm256_set1_pd(e0)));
        y = _mm256_blend_pd(y, _mm256_add_pd(y, _mm256_mul_pd(l1, _mm256_set1_pd(e1))), 0xE);
        y = _mm256_blend_pd(y, _mm256_add_pd(y, _mm256_mul_pd(l2, _mm256_set1_pd(e2))), 0xC);
        y = _mm256_blend_pd(y, _mm256_add_pd(y, _mm256_mul_pd(l3, _mm256_set1_pd(e3))), 0x8);
        _mm256_storeu_pd(out + 4 * k, y);
    }
    b->pos = pos;
}
#undef PK4_NORMAL
#endif

/* Tests and benches only (not in a header): 0 keeps the two-pass draw for rsample. */
int nd_mvn_fused_draw = 1;

/* Vectors [b0, b0 + n) of one sample row, normals z (contiguous): out = loc + L z
 * (out may be z, strides as given), and z copied to eps unless eps is z. */
static void pk4_apply(intptr_t n, intptr_t b0, const double *z, const void *loc, intptr_t loc_bs,
                      intptr_t loc_es, const void *P, intptr_t p_bs, void *orow, intptr_t out_bs,
                      intptr_t out_es, void *erow, intptr_t eps_bs, intptr_t eps_es, int level)
{
    const intptr_t DS = sizeof(double);
    intptr_t k = 0, i;
    if (erow != NULL && (const void *)z != BYTES(erow, b0 * eps_bs))
        for (k = 0; k < n; k++)
            for (i = 0; i < 4; i++) st(erow, (b0 + k) * eps_bs + i * eps_es, z[4 * k + i], 0);
    k = 0;
#ifdef MV_X86
    if (level >= 2 && p_bs == 10 * DS && out_es == DS && out_bs == 4 * DS &&
        (loc == NULL || (loc_es == DS && (loc_bs == 4 * DS || loc_bs == 0)))) {
        const double *lp = loc == NULL ? NULL : (const double *)BYTES(loc, b0 * loc_bs);
        const double *pp = (const double *)BYTES(P, b0 * p_bs);
        double *op = (double *)BYTES(orow, b0 * out_bs);
        intptr_t lstep = loc_bs == 0 ? 0 : 8;
        k = level >= 3 ? pk4_apply_512(n, pp, lp, lstep, z, op) : pk4_apply_256(n, pp, lp, lstep, z, op);
    }
#else
    (void)level;
#endif
    for (; k < n; k++) {
        double mu[4], e[4], y[4];
        load_vec(mu, loc ? BYTES(loc, (b0 + k) * loc_bs) : NULL, loc_es, 4, 0);
        for (i = 0; i < 4; i++) e[i] = z[4 * k + i];
        trmv4pk_one(BYTES(P, (b0 + k) * p_bs), DS, mu, e, y);
        for (i = 0; i < 4; i++) st(orow, (b0 + k) * out_bs + i * out_es, y[i], 0);
    }
}

static void fill_pk4(nd_bits_t *bits, nd_normal_method m, intptr_t ns, intptr_t nb,
                     const void *loc, intptr_t loc_bs, intptr_t loc_es, const void *P, intptr_t p_bs,
                     void *out, intptr_t out_ss, intptr_t out_bs, intptr_t out_es, void *eps,
                     intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es, eps_buf_t *buf, int level)
{
    const intptr_t DS = sizeof(double);
    const int out_c = out_es == DS && out_bs == 4 * DS, eps_c = eps_es == DS && eps_bs == 4 * DS;
    intptr_t s, b0, cnt;
#ifdef MV_X86
    if (nd_mvn_fused_draw && level >= 2 && m == ND_NORMAL_ZIGGURAT && eps == NULL && out_c &&
        p_bs == 10 * DS && (loc == NULL || (loc_es == DS && (loc_bs == 4 * DS || loc_bs == 0)))) {
        for (s = 0; s < ns; s++)
            pk4_fused_256(bits, nb, (const double *)P, (const double *)loc, loc_bs,
                          (double *)BYTES(out, s * out_ss));
        return;
    }
#endif
    for (s = 0; s < ns; s++) {
        char *orow = BYTES(out, s * out_ss), *erow = eps ? BYTES(eps, s * eps_ss) : NULL;
        for (b0 = 0; b0 < nb; b0 += cnt) {
            double *z;
            cnt = nb - b0 < PK4_PIECE ? nb - b0 : PK4_PIECE;
            if (erow != NULL && eps_c)
                z = (double *)BYTES(erow, b0 * eps_bs);
            else if (erow == NULL && out_c)
                z = (double *)BYTES(orow, b0 * out_bs);
            else {
                z = buf->d;
                if (cnt > ND_MVN_EPS_BUF / 4) cnt = ND_MVN_EPS_BUF / 4;
            }
            draw(bits, m, 4 * cnt, z, DS, 0);
            pk4_apply(cnt, b0, z, loc, loc_bs, loc_es, P, p_bs, orow, out_bs, out_es, erow, eps_bs,
                      eps_es, level);
        }
    }
}

#define FILL_SMALL_ARGS(DD)                                                                          \
    bits, m, ns, nb, DD, loc, loc_bs, loc_es, L, l_bs, l_rs, l_cs, out, out_ss, out_bs, out_es,  \
        eps, eps_ss, eps_bs, eps_es, f
#define FILL_CASE(DD)                                                                             \
    case DD: {                                                                                    \
        double l[DD * DD], mu[DD], e[DD], y[DD];                                                  \
        if (bcast)                                                                                \
            fill_small(FILL_SMALL_ARGS(DD), 1, l, DD, mu, e, y, &buf, pk);                        \
        else                                                                                      \
            fill_small(FILL_SMALL_ARGS(DD), 0, l, DD, mu, e, y, &buf, pk);                        \
        return ND_OK;                                                                             \
    }

ND_INLINE int fill(nd_bits_t *bits, nd_normal_method m, intptr_t ns, intptr_t nb, intptr_t d,
                   const void *loc, intptr_t loc_bs, intptr_t loc_es, const void *L, intptr_t l_bs,
                   intptr_t l_rs, intptr_t l_cs, void *out, intptr_t out_ss, intptr_t out_bs,
                   intptr_t out_es, void *eps, intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es,
                   const int f, const int pk)
{
    eps_buf_t buf;
    int bcast, level;
    if (ns < 0 || nb < 0 || d < 0 || (pk && d > MD)) return ND_E_BAD_PARAM;
    if (ns == 0 || nb == 0 || d == 0) return ND_OK;
    if (ns > INTPTR_MAX / nb || ns * nb > INTPTR_MAX / d) return ND_E_BAD_PARAM;
    nd_bits_expect(bits, (size_t)(ns * nb * d));
    bcast = nb == 1 || (l_bs == 0 && (loc == NULL || loc_bs == 0));
    if (d == 4 && pk && !f && !bcast && bits->xo != NULL && (level = mv_level()) >= 0) {
        fill_pk4(bits, m, ns, nb, loc, loc_bs, loc_es, L, l_bs, out, out_ss, out_bs, out_es, eps,
                 eps_ss, eps_bs, eps_es, &buf, level);
        return ND_OK;
    }
    switch (d) {
        FILL_CASE(1)
        FILL_CASE(2)
        FILL_CASE(3)
        FILL_CASE(4)
    default:
        if (d <= MD) {
            const intptr_t DD = d;
            double l[MD * MD], mu[MD], e[MD], y[MD];
            if (bcast)
                fill_small(FILL_SMALL_ARGS(DD), 1, l, MD, mu, e, y, &buf, pk);
            else
                fill_small(FILL_SMALL_ARGS(DD), 0, l, MD, mu, e, y, &buf, pk);
        } else {
            fill_big(bits, m, ns, nb, d, loc, loc_bs, loc_es, L, l_bs, l_rs, l_cs, out, out_ss,
                     out_bs, out_es, eps, eps_ss, eps_bs, eps_es, f, &buf);
        }
        return ND_OK;
    }
}

int random_mvn_fill(nd_bits_t *bits, nd_normal_method m, intptr_t nsample, intptr_t nbatch,
                    intptr_t d, const double *loc, intptr_t loc_bs, intptr_t loc_es, const double *L,
                    intptr_t l_bs, intptr_t l_rs, intptr_t l_cs, double *out, intptr_t out_ss,
                    intptr_t out_bs, intptr_t out_es, double *eps, intptr_t eps_ss, intptr_t eps_bs,
                    intptr_t eps_es)
{
    return fill(bits, m, nsample, nbatch, d, loc, loc_bs, loc_es, L, l_bs, l_rs, l_cs, out, out_ss,
                out_bs, out_es, eps, eps_ss, eps_bs, eps_es, 0, 0);
}

int random_mvn_fill_f(nd_bits_t *bits, nd_normal_method m, intptr_t nsample, intptr_t nbatch,
                      intptr_t d, const float *loc, intptr_t loc_bs, intptr_t loc_es, const float *L,
                      intptr_t l_bs, intptr_t l_rs, intptr_t l_cs, float *out, intptr_t out_ss,
                      intptr_t out_bs, intptr_t out_es, float *eps, intptr_t eps_ss,
                      intptr_t eps_bs, intptr_t eps_es)
{
    return fill(bits, m, nsample, nbatch, d, loc, loc_bs, loc_es, L, l_bs, l_rs, l_cs, out, out_ss,
                out_bs, out_es, eps, eps_ss, eps_bs, eps_es, 1, 0);
}

int random_mvn_fill_packed(nd_bits_t *bits, nd_normal_method m, intptr_t nsample, intptr_t nbatch,
                           intptr_t d, const double *loc, intptr_t loc_bs, intptr_t loc_es,
                           const double *P, intptr_t p_bs, double *out, intptr_t out_ss,
                           intptr_t out_bs, intptr_t out_es, double *eps, intptr_t eps_ss,
                           intptr_t eps_bs, intptr_t eps_es)
{
    return fill(bits, m, nsample, nbatch, d, loc, loc_bs, loc_es, P, p_bs, 0, sizeof(double), out,
                out_ss, out_bs, out_es, eps, eps_ss, eps_bs, eps_es, 0, 1);
}

int random_mvn_fill_packed_f(nd_bits_t *bits, nd_normal_method m, intptr_t nsample,
                             intptr_t nbatch, intptr_t d, const float *loc, intptr_t loc_bs,
                             intptr_t loc_es, const float *P, intptr_t p_bs, float *out,
                             intptr_t out_ss, intptr_t out_bs, intptr_t out_es, float *eps,
                             intptr_t eps_ss, intptr_t eps_bs, intptr_t eps_es)
{
    return fill(bits, m, nsample, nbatch, d, loc, loc_bs, loc_es, P, p_bs, 0, sizeof(float), out,
                out_ss, out_bs, out_es, eps, eps_ss, eps_bs, eps_es, 1, 1);
}

/* Fused group of NW vectors b..b+NW-1 (k: index in the chunk) in lanes.
 * Returns 0, or 1 (nothing written) when some matrix of the group is not PD. */
ND_INLINE int cov_group_lanes(const intptr_t D, intptr_t b, intptr_t k, const void *loc,
                              intptr_t loc_bs, intptr_t loc_es, const void *A, intptr_t a_bs,
                              intptr_t a_rs, intptr_t a_cs, void *L, intptr_t l_bs,
                              intptr_t l_rs, intptr_t l_cs, void *out, intptr_t out_bs,
                              intptr_t out_es, void *eps, intptr_t eps_bs, intptr_t eps_es,
                              const int f, const eps_buf_t *buf)
{
    double a[16 * NW], lr[16 * NW], mu[4 * NW], e[4 * NW], y[4 * NW];
    intptr_t w, i, j;
    lanes_load_lower(a, D, BYTES(A, b * a_bs), a_bs, a_rs, a_cs, f);
    if (chol_lanes(a, D)) return 1;
    if (L) lanes_store_full(BYTES(L, b * l_bs), l_bs, l_rs, l_cs, a, D, f);
    if (f) /* the product uses L rounded to float, as the two-step route */
        for (i = 0; i < D; i++)
            for (j = 0; j <= i; j++)
                for (w = 0; w < NW; w++)
                    lr[(i * D + j) * NW + w] = round_to_float(a[(i * D + j) * NW + w]);
    for (w = 0; w < NW; w++)
        for (i = 0; i < D; i++) {
            mu[i * NW + w] = loc ? ld(loc, (b + w) * loc_bs + i * loc_es, f) : 0.0;
            e[i * NW + w] = f ? (double)buf->f[(k + w) * D + i] : buf->d[(k + w) * D + i];
        }
    trmv_lanes(D, f ? lr : a, mu, e, y);
    for (w = 0; w < NW; w++)
        for (i = 0; i < D; i++) st(out, (b + w) * out_bs + i * out_es, y[i * NW + w], f);
    if (eps)
        for (w = 0; w < NW; w++)
            for (i = 0; i < D; i++) st(eps, (b + w) * eps_bs + i * eps_es, e[i * NW + w], f);
    return 0;
}

/* Fused: factorise A[b] into the stack buffer and draw vector b from it.
 * lanes (D <= 4): groups of NW vectors at once where possible; a group with
 * a failing matrix is redone one by one (which reports the first failure). */
ND_INLINE int cov_fill_small(nd_bits_t *bits, nd_normal_method m, intptr_t nb, const intptr_t D,
                             const void *loc, intptr_t loc_bs, intptr_t loc_es, const void *A,
                             intptr_t a_bs, intptr_t a_rs, intptr_t a_cs, void *L, intptr_t l_bs,
                             intptr_t l_rs, intptr_t l_cs, void *out, intptr_t out_bs,
                             intptr_t out_es, void *eps, intptr_t eps_bs, intptr_t eps_es,
                             intptr_t *fb, intptr_t *fc, const int f, double *a, double *lr,
                             const intptr_t n, double *mu, double *e, double *y, eps_buf_t *buf,
                             const int lanes)
{
    const intptr_t K = nd_mvn_chunk(D);
    const intptr_t es = f ? sizeof(float) : sizeof(double), ds = sizeof(double);
    intptr_t done = 0, b = 0, i, j, k, c;
    while (done < nb) {
        const intptr_t cnt = nb - done < K ? nb - done : K;
        draw(bits, m, cnt * D, buf, es, f);
        for (k = 0; k < cnt; k++, b++) {
            if (lanes && k + NW <= cnt &&
                cov_group_lanes(D, b, k, loc, loc_bs, loc_es, A, a_bs, a_rs, a_cs, L, l_bs, l_rs,
                                l_cs, out, out_bs, out_es, eps, eps_bs, eps_es, f, buf) == 0) {
                k += NW - 1;
                b += NW - 1;
                continue;
            }
            load_lower(a, n, BYTES(A, b * a_bs), a_rs, a_cs, D, f);
            c = chol_core(a, n * ds, ds, D, 0);
            if (c >= 0) {
                set_fail(fb, fc, b, c);
                return ND_E_NOT_PD;
            }
            if (L) store_full(BYTES(L, b * l_bs), l_rs, l_cs, a, n, D, f);
            if (f) /* the product uses L rounded to float, as the two-step route */
                for (i = 0; i < D; i++)
                    for (j = 0; j <= i; j++) lr[i * n + j] = round_to_float(a[i * n + j]);
            load_vec(mu, loc ? BYTES(loc, b * loc_bs) : NULL, loc_es, D, f);
            load_eps(e, buf, k, D, f);
            trmv(D, f ? lr : a, n, mu, e, y);
            for (i = 0; i < D; i++) st(out, b * out_bs + i * out_es, y[i], f);
            if (eps)
                for (i = 0; i < D; i++) st(eps, b * eps_bs + i * eps_es, e[i], f);
        }
        done += cnt;
    }
    set_fail(fb, fc, -1, -1);
    return ND_OK;
}

#define COV_SMALL_ARGS(DD)                                                                             \
    bits, m, nb, DD, loc, loc_bs, loc_es, A, a_bs, a_rs, a_cs, L, l_bs, l_rs, l_cs, out, out_bs,   \
        out_es, eps, eps_bs, eps_es, fb, fc, f
#define COV_CASE(DD)                                                                               \
    case DD: {                                                                                     \
        double a[DD * DD], lr[DD * DD], mu[DD], e[DD], y[DD];                                      \
        return cov_fill_small(COV_SMALL_ARGS(DD), a, lr, DD, mu, e, y, &buf, 1);                       \
    }

ND_INLINE int cov_fill(nd_bits_t *bits, nd_normal_method m, intptr_t nb, intptr_t d,
                       const void *loc, intptr_t loc_bs, intptr_t loc_es, const void *A,
                       intptr_t a_bs, intptr_t a_rs, intptr_t a_cs, void *L, intptr_t l_bs,
                       intptr_t l_rs, intptr_t l_cs, void *out, intptr_t out_bs, intptr_t out_es,
                       void *eps, intptr_t eps_bs, intptr_t eps_es, intptr_t *fb, intptr_t *fc,
                       const int f)
{
    eps_buf_t buf;
    if (nb < 0 || d < 0) return ND_E_BAD_PARAM;
    if (d > MD && L == NULL) return ND_E_BAD_PARAM;
    if (nb == 0 || d == 0) {
        set_fail(fb, fc, -1, -1);
        return ND_OK;
    }
    if (nb > INTPTR_MAX / d) return ND_E_BAD_PARAM;
    nd_bits_expect(bits, (size_t)(nb * d));
    switch (d) {
        COV_CASE(1)
        COV_CASE(2)
        COV_CASE(3)
        COV_CASE(4)
    default:
        if (d <= MD) {
            const intptr_t DD = d;
            double a[MD * MD], lr[MD * MD], mu[MD], e[MD], y[MD];
            return cov_fill_small(COV_SMALL_ARGS(DD), a, lr, MD, mu, e, y, &buf, 0);
        } else {
            /* Large d: factorise into L (as nd_cholesky_batch does for this d),
             * then the same product as random_mvn_fill, one chunk at a time. */
            const intptr_t K = nd_mvn_chunk(d);
            intptr_t done = 0, r;
            while (done < nb) {
                const intptr_t cnt = nb - done < K ? nb - done : K;
                r = chol_batch_mem(cnt, d, BYTES(A, done * a_bs), a_bs, a_rs, a_cs,
                                   BYTES(L, done * l_bs), l_bs, l_rs, l_cs, fb, fc, f);
                if (r != ND_OK) {
                    if (fb) *fb += done;
                    return (int)r;
                }
                fill_big(bits, m, 1, cnt, d, loc ? BYTES(loc, done * loc_bs) : NULL, loc_bs,
                         loc_es, BYTES(L, done * l_bs), l_bs, l_rs, l_cs, BYTES(out, done * out_bs),
                         0, out_bs, out_es, eps ? BYTES(eps, done * eps_bs) : NULL, 0, eps_bs,
                         eps_es, f, &buf);
                done += cnt;
            }
            set_fail(fb, fc, -1, -1);
            return ND_OK;
        }
    }
}

int random_mvn_cov_fill(nd_bits_t *bits, nd_normal_method m, intptr_t nbatch, intptr_t d,
                        const double *loc, intptr_t loc_bs, intptr_t loc_es, const double *A,
                        intptr_t a_bs, intptr_t a_rs, intptr_t a_cs, double *L, intptr_t l_bs,
                        intptr_t l_rs, intptr_t l_cs, double *out, intptr_t out_bs,
                        intptr_t out_es, double *eps, intptr_t eps_bs, intptr_t eps_es,
                        intptr_t *fail_batch, intptr_t *fail_col)
{
    return cov_fill(bits, m, nbatch, d, loc, loc_bs, loc_es, A, a_bs, a_rs, a_cs, L, l_bs, l_rs,
                    l_cs, out, out_bs, out_es, eps, eps_bs, eps_es, fail_batch, fail_col, 0);
}

int random_mvn_cov_fill_f(nd_bits_t *bits, nd_normal_method m, intptr_t nbatch, intptr_t d,
                          const float *loc, intptr_t loc_bs, intptr_t loc_es, const float *A,
                          intptr_t a_bs, intptr_t a_rs, intptr_t a_cs, float *L, intptr_t l_bs,
                          intptr_t l_rs, intptr_t l_cs, float *out, intptr_t out_bs,
                          intptr_t out_es, float *eps, intptr_t eps_bs, intptr_t eps_es,
                          intptr_t *fail_batch, intptr_t *fail_col)
{
    return cov_fill(bits, m, nbatch, d, loc, loc_bs, loc_es, A, a_bs, a_rs, a_cs, L, l_bs, l_rs,
                    l_cs, out, out_bs, out_es, eps, eps_bs, eps_es, fail_batch, fail_col, 1);
}

/* ---- 5. solve / log_prob ----------------------------------------------------- */

/* b outer (L_b loaded once into the buffer), s inner. lpmode: write the log
 * density instead of maha. */
ND_INLINE void solve_small(intptr_t ns, intptr_t nb, const intptr_t D, const void *L,
                           intptr_t l_bs, intptr_t l_rs, intptr_t l_cs, const void *x,
                           intptr_t x_ss, intptr_t x_bs, intptr_t x_es, const void *loc,
                           intptr_t loc_bs, intptr_t loc_es, void *out, intptr_t out_ss,
                           intptr_t out_bs, void *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es,
                           const int f, const int lpmode, const double *hld, intptr_t hld_bs,
                           const int pk, double *l, const intptr_t n, double *r, double *mu,
                           double *v)
{
    intptr_t b, s, i, j;
    for (b = 0; b < nb; b++) {
        double c0 = 0.0;
        load_tri(l, n, BYTES(L, b * l_bs), l_rs, l_cs, D, f, pk);
        for (i = 0; i < D; i++) r[i] = 1.0 / l[i * n + i];
        load_vec(mu, loc ? BYTES(loc, b * loc_bs) : NULL, loc_es, D, f);
        if (lpmode)
            c0 = -0.5 * (double)D * LOG_2PI -
                 (hld ? ND_AT(const double, hld, b * hld_bs)
                      : logdiag(l, (n + 1) * (intptr_t)sizeof(double), D, 0));
        for (s = 0; s < ns; s++) {
            const intptr_t xo = s * x_ss + b * x_bs;
            double maha = 0.0;
            for (i = 0; i < D; i++) {
                double t = ld(x, xo + i * x_es, f) - mu[i];
                for (j = 0; j < i; j++) t -= l[i * n + j] * v[j];
                v[i] = t * r[i];
                maha += v[i] * v[i];
            }
            if (y)
                for (i = 0; i < D; i++) st(y, s * y_ss + b * y_bs + i * y_es, v[i], f);
            if (out) st(out, s * out_ss + b * out_bs, lpmode ? c0 - 0.5 * maha : maha, f);
        }
    }
}

/* D <= 4, on NW lanes. A group is NW (b, s) pairs: NW consecutive b for
 * one s ("lanes over b", L per lane), or NW consecutive s for one b ("lanes
 * over s", L repeated). Lanes past the end repeat the last valid pair and
 * are not stored. Per lane, the operations are those of solve_small. */
typedef struct {
    double l[16 * NW], r[4 * NW], mu[4 * NW], c0[NW];
} solve_lanes_t;

/* Parameters of batch element b into lane w. */
ND_INLINE void solve_lanes_param(solve_lanes_t *p, int w, const intptr_t D, const void *Lb,
                                 intptr_t l_rs, intptr_t l_cs, const void *locb, intptr_t loc_es,
                                 const int f, const int lpmode, const double *hldb, const int pk)
{
    intptr_t i, j;
    for (i = 0; i < D; i++)
        for (j = 0; j <= i; j++)
            p->l[(i * D + j) * NW + w] = ld(Lb, pk ? TRI(i, j) * l_cs : i * l_rs + j * l_cs, f);
    for (i = 0; i < D; i++) p->r[i * NW + w] = 1.0 / p->l[(i * D + i) * NW + w];
    for (i = 0; i < D; i++) p->mu[i * NW + w] = locb ? ld(locb, i * loc_es, f) : 0.0;
    if (lpmode)
        p->c0[w] = -0.5 * (double)D * LOG_2PI -
                   (hldb ? *hldb : logdiag(p->l + w, (D + 1) * NW * (intptr_t)sizeof(double), D, 0));
}

/* Solve NW systems; xo[w], yo[w], oo[w]: byte offsets of lane w's x row, y
 * row and out element; only the first nv lanes are stored. */
ND_INLINE void solve_lanes_run(const solve_lanes_t *p, const intptr_t D, const void *x,
                               const intptr_t *xo, intptr_t x_es, void *y, const intptr_t *yo,
                               intptr_t y_es, void *out, const intptr_t *oo, int nv, const int f,
                               const int lpmode)
{
    double v[4 * NW], t[NW], maha[NW];
    intptr_t w, i, j;
    for (i = 0; i < D; i++)
        for (w = 0; w < NW; w++) v[i * NW + w] = ld(x, xo[w] + i * x_es, f);
    for (w = 0; w < NW; w++) maha[w] = 0.0;
    for (i = 0; i < D; i++) {
        for (w = 0; w < NW; w++) t[w] = v[i * NW + w] - p->mu[i * NW + w];
        for (j = 0; j < i; j++)
            for (w = 0; w < NW; w++) t[w] -= p->l[(i * D + j) * NW + w] * v[j * NW + w];
        for (w = 0; w < NW; w++) v[i * NW + w] = t[w] * p->r[i * NW + w];
        for (w = 0; w < NW; w++) maha[w] += v[i * NW + w] * v[i * NW + w];
    }
    if (lpmode)
        for (w = 0; w < NW; w++) maha[w] = p->c0[w] - 0.5 * maha[w];
    for (w = 0; w < NW; w++) {
        if (w >= nv) break;
        if (y)
            for (i = 0; i < D; i++) st(y, yo[w] + i * y_es, v[i * NW + w], f);
        if (out) st(out, oo[w], maha[w], f);
    }
}

ND_INLINE void solve_lanes(intptr_t ns, intptr_t nb, const intptr_t D, const void *L,
                           intptr_t l_bs, intptr_t l_rs, intptr_t l_cs, const void *x,
                           intptr_t x_ss, intptr_t x_bs, intptr_t x_es, const void *loc,
                           intptr_t loc_bs, intptr_t loc_es, void *out, intptr_t out_ss,
                           intptr_t out_bs, void *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es,
                           const int f, const int lpmode, const double *hld, intptr_t hld_bs,
                           const int pk)
{
    solve_lanes_t p;
    intptr_t xo[NW], yo[NW], oo[NW], b = 0, s;
    int w;
    /* lanes over b: full groups, and the tail too when there are few samples */
    while (b < nb && (b + NW <= nb || ns < NW)) {
        const int nv = nb - b < NW ? (int)(nb - b) : NW;
        for (w = 0; w < NW; w++) {
            const intptr_t bw = b + (w < nv ? w : nv - 1);
            solve_lanes_param(&p, w, D, BYTES(L, bw * l_bs), l_rs, l_cs,
                              loc ? BYTES(loc, bw * loc_bs) : NULL, loc_es, f, lpmode,
                              hld ? (const double *)BYTES(hld, bw * hld_bs) : NULL, pk);
        }
        for (s = 0; s < ns; s++) {
            for (w = 0; w < NW; w++) {
                const intptr_t bw = b + (w < nv ? w : nv - 1);
                xo[w] = s * x_ss + bw * x_bs;
                /* absent outputs: their strides are not read (may be anything) */
                yo[w] = y ? s * y_ss + bw * y_bs : 0;
                oo[w] = out ? s * out_ss + bw * out_bs : 0;
            }
            solve_lanes_run(&p, D, x, xo, x_es, y, yo, y_es, out, oo, nv, f, lpmode);
        }
        b += nv;
    }
    /* remaining b (fewer than NW, with ns >= NW): lanes over s */
    for (; b < nb; b++) {
        for (w = 0; w < NW; w++)
            solve_lanes_param(&p, w, D, BYTES(L, b * l_bs), l_rs, l_cs,
                              loc ? BYTES(loc, b * loc_bs) : NULL, loc_es, f, lpmode,
                              hld ? (const double *)BYTES(hld, b * hld_bs) : NULL, pk);
        for (s = 0; s < ns; s += NW) {
            const int nv = ns - s < NW ? (int)(ns - s) : NW;
            for (w = 0; w < NW; w++) {
                const intptr_t sw = s + (w < nv ? w : nv - 1);
                xo[w] = sw * x_ss + b * x_bs;
                /* absent outputs: their strides are not read (may be anything) */
                yo[w] = y ? sw * y_ss + b * y_bs : 0;
                oo[w] = out ? sw * out_ss + b * out_bs : 0;
            }
            solve_lanes_run(&p, D, x, xo, x_es, y, yo, y_es, out, oo, nv, f, lpmode);
        }
    }
}

/* D > MD: L read from memory, y (required) holds the solution as it grows. */
static void solve_mem(intptr_t ns, intptr_t nb, intptr_t D, const void *L, intptr_t l_bs,
                      intptr_t l_rs, intptr_t l_cs, const void *x, intptr_t x_ss, intptr_t x_bs,
                      intptr_t x_es, const void *loc, intptr_t loc_bs, intptr_t loc_es, void *out,
                      intptr_t out_ss, intptr_t out_bs, void *y, intptr_t y_ss, intptr_t y_bs,
                      intptr_t y_es, const int f, const int lpmode, const double *hld,
                      intptr_t hld_bs)
{
    intptr_t b, s, i, j;
    for (b = 0; b < nb; b++) {
        const char *Lb = BYTES(L, b * l_bs);
        double c0 = lpmode ? -0.5 * (double)D * LOG_2PI -
                                 (hld ? ND_AT(const double, hld, b * hld_bs)
                                      : logdiag(Lb, l_rs + l_cs, D, f))
                           : 0.0;
        for (s = 0; s < ns; s++) {
            const char *xb = BYTES(x, s * x_ss + b * x_bs);
            char *yb = BYTES(y, s * y_ss + b * y_bs);
            double maha = 0.0;
            for (i = 0; i < D; i++) {
                double t = ld(xb, i * x_es, f) - (loc ? ld(loc, b * loc_bs + i * loc_es, f) : 0.0);
                for (j = 0; j < i; j++) t -= ld(Lb, i * l_rs + j * l_cs, f) * ld(yb, j * y_es, f);
                t /= ld(Lb, i * l_rs + i * l_cs, f);
                st(yb, i * y_es, t, f);
                maha += t * t;
            }
            if (out) st(out, s * out_ss + b * out_bs, lpmode ? c0 - 0.5 * maha : maha, f);
        }
    }
}

#define SOLVE_ARGS(DD)                                                                                 \
    ns, nb, DD, L, l_bs, l_rs, l_cs, x, x_ss, x_bs, x_es, loc, loc_bs, loc_es, out, out_ss,        \
        out_bs, y, y_ss, y_bs, y_es, f, lpmode, hld, hld_bs, pk
#define SOLVE_CASE(DD)                                                                             \
    case DD:                                                                                       \
        solve_lanes(SOLVE_ARGS(DD));                                                               \
        return ND_OK;

ND_INLINE int solve(intptr_t ns, intptr_t nb, intptr_t d, const void *L, intptr_t l_bs,
                    intptr_t l_rs, intptr_t l_cs, const void *x, intptr_t x_ss, intptr_t x_bs,
                    intptr_t x_es, const void *loc, intptr_t loc_bs, intptr_t loc_es, void *out,
                    intptr_t out_ss, intptr_t out_bs, void *y, intptr_t y_ss, intptr_t y_bs,
                    intptr_t y_es, const int f, const int lpmode, const double *hld,
                    intptr_t hld_bs, const int pk)
{
    if (ns < 0 || nb < 0 || d < 0 || (pk && d > MD)) return ND_E_BAD_PARAM;
    if (d > MD && y == NULL) return ND_E_BAD_PARAM;
    if (d == 0) {
        intptr_t s, b;
        if (out)
            for (b = 0; b < nb; b++)
                for (s = 0; s < ns; s++) st(out, s * out_ss + b * out_bs, 0.0, f);
        return ND_OK;
    }
    switch (d) {
        SOLVE_CASE(1)
        SOLVE_CASE(2)
        SOLVE_CASE(3)
        SOLVE_CASE(4)
    default:
        if (d <= MD) {
            const intptr_t DD = d;
            double l[MD * MD], r[MD], mu[MD], v[MD];
            solve_small(SOLVE_ARGS(DD), l, MD, r, mu, v);
        } else {
            solve_mem(ns, nb, d, L, l_bs, l_rs, l_cs, x, x_ss, x_bs, x_es, loc, loc_bs, loc_es, out,
                      out_ss, out_bs, y, y_ss, y_bs, y_es, f, lpmode, hld, hld_bs);
        }
        return ND_OK;
    }
}

int nd_mvn_solve_batch(intptr_t nsample, intptr_t nbatch, intptr_t d, const double *L,
                       intptr_t l_bs, intptr_t l_rs, intptr_t l_cs, const double *x, intptr_t x_ss,
                       intptr_t x_bs, intptr_t x_es, const double *loc, intptr_t loc_bs,
                       intptr_t loc_es, double *maha, intptr_t maha_ss, intptr_t maha_bs,
                       double *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
{
    return solve(nsample, nbatch, d, L, l_bs, l_rs, l_cs, x, x_ss, x_bs, x_es, loc, loc_bs, loc_es,
                 maha, maha_ss, maha_bs, y, y_ss, y_bs, y_es, 0, 0, NULL, 0, 0);
}

int nd_mvn_solve_batch_f(intptr_t nsample, intptr_t nbatch, intptr_t d, const float *L,
                         intptr_t l_bs, intptr_t l_rs, intptr_t l_cs, const float *x, intptr_t x_ss,
                         intptr_t x_bs, intptr_t x_es, const float *loc, intptr_t loc_bs,
                         intptr_t loc_es, float *maha, intptr_t maha_ss, intptr_t maha_bs,
                         float *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
{
    return solve(nsample, nbatch, d, L, l_bs, l_rs, l_cs, x, x_ss, x_bs, x_es, loc, loc_bs, loc_es,
                 maha, maha_ss, maha_bs, y, y_ss, y_bs, y_es, 1, 0, NULL, 0, 0);
}

int nd_mvn_log_prob_batch(intptr_t nsample, intptr_t nbatch, intptr_t d, const double *L,
                          intptr_t l_bs, intptr_t l_rs, intptr_t l_cs, const double *x,
                          intptr_t x_ss, intptr_t x_bs, intptr_t x_es, const double *loc,
                          intptr_t loc_bs, intptr_t loc_es, double *lp, intptr_t lp_ss,
                          intptr_t lp_bs, double *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
{
    return solve(nsample, nbatch, d, L, l_bs, l_rs, l_cs, x, x_ss, x_bs, x_es, loc, loc_bs, loc_es,
                 lp, lp_ss, lp_bs, y, y_ss, y_bs, y_es, 0, 1, NULL, 0, 0);
}

int nd_mvn_log_prob_batch_f(intptr_t nsample, intptr_t nbatch, intptr_t d, const float *L,
                            intptr_t l_bs, intptr_t l_rs, intptr_t l_cs, const float *x,
                            intptr_t x_ss, intptr_t x_bs, intptr_t x_es, const float *loc,
                            intptr_t loc_bs, intptr_t loc_es, float *lp, intptr_t lp_ss,
                            intptr_t lp_bs, float *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
{
    return solve(nsample, nbatch, d, L, l_bs, l_rs, l_cs, x, x_ss, x_bs, x_es, loc, loc_bs, loc_es,
                 lp, lp_ss, lp_bs, y, y_ss, y_bs, y_es, 1, 1, NULL, 0, 0);
}

int nd_mvn_log_prob_hld_batch(intptr_t nsample, intptr_t nbatch, intptr_t d, const double *L,
                              intptr_t l_bs, intptr_t l_rs, intptr_t l_cs, const double *x,
                              intptr_t x_ss, intptr_t x_bs, intptr_t x_es, const double *loc,
                              intptr_t loc_bs, intptr_t loc_es, const double *hld, intptr_t hld_bs,
                              double *lp, intptr_t lp_ss, intptr_t lp_bs, double *y, intptr_t y_ss,
                              intptr_t y_bs, intptr_t y_es)
{
    if (hld == NULL) return ND_E_BAD_PARAM;
    return solve(nsample, nbatch, d, L, l_bs, l_rs, l_cs, x, x_ss, x_bs, x_es, loc, loc_bs, loc_es,
                 lp, lp_ss, lp_bs, y, y_ss, y_bs, y_es, 0, 1, hld, hld_bs, 0);
}

int nd_mvn_log_prob_packed_batch(intptr_t nsample, intptr_t nbatch, intptr_t d, const double *P,
                                 intptr_t p_bs, const double *x, intptr_t x_ss, intptr_t x_bs,
                                 intptr_t x_es, const double *loc, intptr_t loc_bs, intptr_t loc_es,
                                 const double *hld, intptr_t hld_bs, double *lp, intptr_t lp_ss,
                                 intptr_t lp_bs, double *y, intptr_t y_ss, intptr_t y_bs,
                                 intptr_t y_es)
{
    return solve(nsample, nbatch, d, P, p_bs, 0, sizeof(double), x, x_ss, x_bs, x_es, loc, loc_bs,
                 loc_es, lp, lp_ss, lp_bs, y, y_ss, y_bs, y_es, 0, 1, hld, hld_bs, 1);
}

int nd_mvn_log_prob_packed_batch_f(intptr_t nsample, intptr_t nbatch, intptr_t d, const float *P,
                                   intptr_t p_bs, const float *x, intptr_t x_ss, intptr_t x_bs,
                                   intptr_t x_es, const float *loc, intptr_t loc_bs,
                                   intptr_t loc_es, const double *hld, intptr_t hld_bs, float *lp,
                                   intptr_t lp_ss, intptr_t lp_bs, float *y, intptr_t y_ss,
                                   intptr_t y_bs, intptr_t y_es)
{
    return solve(nsample, nbatch, d, P, p_bs, 0, sizeof(float), x, x_ss, x_bs, x_es, loc, loc_bs,
                 loc_es, lp, lp_ss, lp_bs, y, y_ss, y_bs, y_es, 1, 1, hld, hld_bs, 1);
}

int nd_mvn_log_prob_hld_batch_f(intptr_t nsample, intptr_t nbatch, intptr_t d, const float *L,
                                intptr_t l_bs, intptr_t l_rs, intptr_t l_cs, const float *x,
                                intptr_t x_ss, intptr_t x_bs, intptr_t x_es, const float *loc,
                                intptr_t loc_bs, intptr_t loc_es, const double *hld,
                                intptr_t hld_bs, float *lp, intptr_t lp_ss, intptr_t lp_bs,
                                float *y, intptr_t y_ss, intptr_t y_bs, intptr_t y_es)
{
    if (hld == NULL) return ND_E_BAD_PARAM;
    return solve(nsample, nbatch, d, L, l_bs, l_rs, l_cs, x, x_ss, x_bs, x_es, loc, loc_bs, loc_es,
                 lp, lp_ss, lp_bs, y, y_ss, y_bs, y_es, 1, 1, hld, hld_bs, 0);
}

/* ---- 6. log det ------------------------------------------------------------- */

void nd_tril_logdet_batch(intptr_t nbatch, intptr_t d, const double *L, intptr_t l_bs,
                          intptr_t l_rs, intptr_t l_cs, double *out, intptr_t out_bs)
{
    intptr_t b;
    for (b = 0; b < nbatch; b++)
        ND_AT(double, out, b * out_bs) = logdiag(BYTES(L, b * l_bs), l_rs + l_cs, d, 0);
}

void nd_tril_logdet_batch_f(intptr_t nbatch, intptr_t d, const float *L, intptr_t l_bs,
                            intptr_t l_rs, intptr_t l_cs, float *out, intptr_t out_bs)
{
    intptr_t b;
    for (b = 0; b < nbatch; b++)
        ND_AT(float, out, b * out_bs) = (float)logdiag(BYTES(L, b * l_bs), l_rs + l_cs, d, 1);
}

void nd_tril_logdet_batch_fd(intptr_t nbatch, intptr_t d, const float *L, intptr_t l_bs,
                             intptr_t l_rs, intptr_t l_cs, double *out, intptr_t out_bs)
{
    intptr_t b;
    for (b = 0; b < nbatch; b++)
        ND_AT(double, out, b * out_bs) = logdiag(BYTES(L, b * l_bs), l_rs + l_cs, d, 1);
}

/* The diagonal gathered into doubles first: logdiag then sees the same values. */
ND_INLINE void logdet_packed(intptr_t nb, intptr_t d, const void *P, intptr_t p_bs, double *out,
                             intptr_t out_bs, const int f)
{
    const intptr_t es = f ? (intptr_t)sizeof(float) : (intptr_t)sizeof(double);
    double diag[MD];
    intptr_t b, i;
    for (b = 0; b < nb; b++) {
        for (i = 0; i < d; i++) diag[i] = ld(P, b * p_bs + TRI(i, i) * es, f);
        ND_AT(double, out, b * out_bs) = logdiag(diag, sizeof(double), d, 0);
    }
}

int nd_tril_logdet_packed_batch(intptr_t nbatch, intptr_t d, const double *P, intptr_t p_bs,
                                double *out, intptr_t out_bs)
{
    if (nbatch < 0 || d < 0 || d > MD) return ND_E_BAD_PARAM;
    logdet_packed(nbatch, d, P, p_bs, out, out_bs, 0);
    return ND_OK;
}

int nd_tril_logdet_packed_batch_f(intptr_t nbatch, intptr_t d, const float *P, intptr_t p_bs,
                                  double *out, intptr_t out_bs)
{
    if (nbatch < 0 || d < 0 || d > MD) return ND_E_BAD_PARAM;
    logdet_packed(nbatch, d, P, p_bs, out, out_bs, 1);
    return ND_OK;
}

/* ---- 7. symmetry check --------------------------------------------------- */

ND_INLINE int close_to(double a, double b, double rtol, double atol)
{
    return a == b || fabs(a - b) <= atol + rtol * fabs(b);
}

/* need_finite: an infinite entry fails too (x - x is NaN exactly for NaN and +-inf),
 * so that validation checks symmetry and finiteness in one pass */
ND_INLINE int symcheck(intptr_t nb, intptr_t d, const void *A, intptr_t a_bs, intptr_t a_rs,
                       intptr_t a_cs, double rtol, double atol, intptr_t *fb, intptr_t *fr,
                       intptr_t *fc, const int f, const int need_finite)
{
    intptr_t b, i, j;
    if (nb < 0 || d < 0) return ND_E_BAD_PARAM;
    for (b = 0; b < nb; b++) {
        const char *M = BYTES(A, b * a_bs);
        int ok = 1;
        /* a branch-free pass over the matrix; the failing position is looked for only
         * in a matrix that fails */
        for (i = 0; i < d; i++)
            for (j = 0; j <= i; j++) {
                double u = ld(M, i * a_rs + j * a_cs, f), v = ld(M, j * a_rs + i * a_cs, f);
                ok &= (fabs(u - v) <= atol + rtol * fabs(v)) & (fabs(v - u) <= atol + rtol * fabs(u));
                if (need_finite) ok &= (u - u == 0.0) & (v - v == 0.0);
                else ok &= (u == u) & (v == v);
            }
        if (ok) continue;
        for (i = 0; i < d; i++)
            for (j = 0; j <= i; j++) {
                double u = ld(M, i * a_rs + j * a_cs, f), v = ld(M, j * a_rs + i * a_cs, f);
                if (!(close_to(u, v, rtol, atol) && close_to(v, u, rtol, atol)) ||
                    (need_finite && !(u - u == 0.0 && v - v == 0.0))) {
                    if (fb) *fb = b;
                    if (fr) *fr = i;
                    if (fc) *fc = j;
                    return ND_E_BAD_PARAM;
                }
            }
    }
    if (fb) *fb = -1;
    if (fr) *fr = -1;
    if (fc) *fc = -1;
    return ND_OK;
}

int nd_symmetric_check_batch(intptr_t nbatch, intptr_t d, const double *A, intptr_t a_bs,
                             intptr_t a_rs, intptr_t a_cs, double rtol, double atol,
                             intptr_t *fail_batch, intptr_t *fail_row, intptr_t *fail_col)
{
    return symcheck(nbatch, d, A, a_bs, a_rs, a_cs, rtol, atol, fail_batch, fail_row, fail_col, 0, 0);
}

int nd_symmetric_check_batch_f(intptr_t nbatch, intptr_t d, const float *A, intptr_t a_bs,
                               intptr_t a_rs, intptr_t a_cs, double rtol, double atol,
                               intptr_t *fail_batch, intptr_t *fail_row, intptr_t *fail_col)
{
    return symcheck(nbatch, d, A, a_bs, a_rs, a_cs, rtol, atol, fail_batch, fail_row, fail_col, 1, 0);
}

int nd_symmetric_finite_check_batch(intptr_t nbatch, intptr_t d, const double *A, intptr_t a_bs,
                                    intptr_t a_rs, intptr_t a_cs, double rtol, double atol,
                                    intptr_t *fail_batch, intptr_t *fail_row, intptr_t *fail_col)
{
    return symcheck(nbatch, d, A, a_bs, a_rs, a_cs, rtol, atol, fail_batch, fail_row, fail_col, 0, 1);
}

int nd_symmetric_finite_check_batch_f(intptr_t nbatch, intptr_t d, const float *A, intptr_t a_bs,
                                      intptr_t a_rs, intptr_t a_cs, double rtol, double atol,
                                      intptr_t *fail_batch, intptr_t *fail_row, intptr_t *fail_col)
{
    return symcheck(nbatch, d, A, a_bs, a_rs, a_cs, rtol, atol, fail_batch, fail_row, fail_col, 1, 1);
}
