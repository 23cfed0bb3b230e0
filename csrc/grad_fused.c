/* One-pass gradient kernels of the location-scale families (grad_fused.h).
 *
 * Loops are row-major (s outer, b inner) so that per-batch operands and the
 * column accumulators stay in cache while the sample-sized operands stream
 * through once. The first row initialises the accumulators (NumPy's reduction
 * starts from the first term, not from 0 + first term: they differ for -0.0). */
#include "numdist/grad_fused.h"

#include <string.h>

#define AT(T, a, s, b) (*(const T *)((a).p + (s) * (a).ss + (b) * (a).bs))
#define AT_W(T, a, s, b) (*(T *)((a).p + (s) * (a).ss + (b) * (a).bs))


/* The contiguous row loops are compiled three times: portable, AVX2 and AVX-512
 * (F, DQ, VL, BW), and the widest the CPU has runs, capped by NUMDIST_SIMD_MAX (read
 * once at load time, numdist/simd_env.h), so that a benchmark can measure the AVX2
 * path on a wider machine. IEEE operations only, no contraction (no FMA in the target
 * lists, -ffp-contract=off): every level gives the same bits. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define GF_X86 1
#include "numdist/simd_env.h"
#define GF_T512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2")))
#define GF_T256 __attribute__((target("avx2")))
static int gf_best = 0;  /* 0 portable, 2 AVX2, 3 AVX-512: the CPU's, capped */
static int gf_level = 0; /* the level the kernels run */

__attribute__((constructor)) static void gf_init(void)
{
    int hw = 0, cap = nd_simd_env_cap();
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw"))
        hw = 3;
    else if (__builtin_cpu_supports("avx2"))
        hw = 2;
    gf_best = hw < cap ? hw : (cap >= 2 ? cap : 0);
    gf_level = gf_best;
}

int nd_grad_fused_simd_level(void) { return gf_level; }
void nd_grad_fused_set_simd_level(int level)
{
    gf_level = level >= gf_best ? gf_best : (level >= 2 ? level : 0);
}
#define PICK(fn, SUF) (gf_level >= 3 ? fn##SUF##_v3 : gf_level == 2 ? fn##SUF##_v2 : fn##SUF##_v0)
#else
int nd_grad_fused_simd_level(void) { return 0; }
void nd_grad_fused_set_simd_level(int level) { (void)level; }
#define PICK(fn, SUF) fn##SUF##_v0
#endif

/* Fast paths: rows whose operands are contiguous over the columns (per-element
 * operands and parameters with a column stride of one item), the cotangent either
 * contiguous too or one value per row (a column stride of 0: a cotangent broadcast
 * over reinterpreted dims). The generic strided loops below handle everything else
 * with the same operations. */
#define CONTIG(T, a) ((a).bs == (intptr_t)sizeof(T))
/* Columns per block of the reducing row loops: a block's per-column operands (parameters
 * and the column sums, 4 to 6 arrays) take a few KiB, so they stay in L1 while the
 * sample-sized operands stream through; each column still adds its rows in order. */
#define COL_BLOCK 256
#define ROW(T, a, s, b0) ((const T *)((a).p + (s) * (a).ss) + (b0))

/* Scales that are exact powers of two: x / 2^k and x * 2^-k round the same real
 * number, so multiplying by the (exact) reciprocal gives the bits of the division
 * that NumPy performs, at a fraction of its cost (a Normal(y, 1) likelihood, the
 * common case, divides by 1.0 three times per element otherwise). The reciprocal
 * is formed from the bits: 2^k with exponent field e has reciprocal field 2*bias - e,
 * valid for |k| <= 1022 (126 in float) and a positive sign, which is_pow2 checks. */
#define DEFINE_POW2(SUF, T, U, MANT, SHIFT, EMAX, TWO_BIAS)                                      \
    static inline T recip_pow2##SUF(T s)                                                          \
    {                                                                                             \
        U u;                                                                                      \
        memcpy(&u, &s, sizeof u);                                                                 \
        u = TWO_BIAS - u;                                                                         \
        memcpy(&s, &u, sizeof s);                                                                 \
        return s;                                                                                 \
    }                                                                                             \
    static inline int is_pow2##SUF(T s)                                                           \
    {                                                                                             \
        U u;                                                                                      \
        memcpy(&u, &s, sizeof u);                                                                 \
        return (u & MANT) == 0 && (u >> SHIFT) >= 1 && (u >> SHIFT) <= EMAX;                     \
    }
DEFINE_POW2(_d, double, uint64_t, 0x000FFFFFFFFFFFFFull, 52, 2045, 0x7FE0000000000000ull)
DEFINE_POW2(_f, float, uint32_t, 0x007FFFFFu, 23, 253, 0x7F000000u)

/* Whether every scale of columns [b0, b1) is such a power of two; checked only for a
 * per-batch scale (row stride 0), which the rows then share. */
#define DEFINE_SCALE_POW2(SUF, T)                                                                 \
    static int scale_pow2##SUF(nd_sb scale, intptr_t b0, intptr_t b1)                             \
    {                                                                                             \
        intptr_t b;                                                                               \
        int all = 1;                                                                              \
        if (scale.ss != 0) return 0;                                                              \
        for (b = b0; b < b1; b++) all &= is_pow2##SUF(AT(T, scale, 0, b));                        \
        return all;                                                                               \
    }

/* The row loops' element operations, with the division by the scale (BY_SC) or,
 * for power-of-two scales, the multiplication by its reciprocal (same bits). */
#define BY_SC(v) ((v) / sc[b])
#define BY_RECIP_d(v) ((v) * recip_pow2_d(sc[b]))
#define BY_RECIP_f(v) ((v) * recip_pow2_f(sc[b]))
#define NL_TERMS(T, BY)                                                                           \
    T z = BY(x[b] - loc[b]);                                                                      \
    T q = (T)-0.5 * (z * z);                                                                      \
    lp[b] = (q - ls[b]) - c;
#define NLV_TERMS(T, GV, BY)                                                                      \
    T z = BY(x[b] - loc[b]);                                                                      \
    T t = BY(GV * z), u = BY(GV * (z * z - (T)1));
#define NLV_LOOPS(T, BY)                                                                          \
    if (gstep) {                                                                                  \
        if (first)                                                                                \
            for (b = 0; b < n; b++) { NLV_TERMS(T, g[b], BY) dv[b] = -t; dl[b] = t; ds[b] = u; }  \
        else                                                                                      \
            for (b = 0; b < n; b++) { NLV_TERMS(T, g[b], BY) dv[b] = -t; dl[b] += t; ds[b] += u; } \
    } else {                                                                                      \
        T gv = g[0];                                                                              \
        if (first)                                                                                \
            for (b = 0; b < n; b++) { NLV_TERMS(T, gv, BY) dv[b] = -t; dl[b] = t; ds[b] = u; }    \
        else                                                                                      \
            for (b = 0; b < n; b++) { NLV_TERMS(T, gv, BY) dv[b] = -t; dl[b] += t; ds[b] += u; }  \
    }

/* DEF(SUF, T, U, TWO_BIAS, ATTR, LV, VB) for float64 and float32 (U: the unsigned type of
 * T's bits, TWO_BIAS: recip_pow2's constant) at every level compiled (VB: the level's
 * vector bytes): every per-level definer of this file takes these, whichever it uses */
#define FOR_TYPES(DEF, ATTR, LV, VB)                                                              \
    DEF(_d, double, uint64_t, 0x7FE0000000000000ull, ATTR, LV, VB)                                \
    DEF(_f, float, uint32_t, 0x7F000000u, ATTR, LV, VB)
#ifdef GF_X86
#define FOR_TYPES_AND_LEVELS(DEF)                                                                 \
    FOR_TYPES(DEF, , _v0, 16) FOR_TYPES(DEF, GF_T256, _v2, 32) FOR_TYPES(DEF, GF_T512, _v3, 64)
#else
#define FOR_TYPES_AND_LEVELS(DEF) FOR_TYPES(DEF, , _v0, 16)
#endif

/* Column strips (GCC and Clang vector extensions): the sums over the rows of a strip
 * of two vectors of columns stay in registers, so a row costs one load of each
 * operand and one store of the value gradient. The row loops below instead add into
 * dl and ds in memory every row, and a load of ds waited on the store to dl a few
 * iterations before whenever the two arrays sat a multiple of 4 KiB apart: a third
 * of the speed. The rows are still added in order and every element sees the row
 * loops' operations, so the results have their bits. The vectors are as wide as the
 * level's registers (VB bytes: 16, 32, 64): GCC lowers wider generic vectors through
 * the stack, ten times slower. */
#if defined(__GNUC__) || defined(__clang__)
#define GF_STRIPS 1
#define VLOAD(V, p) ({ V v_; memcpy(&v_, (p), sizeof v_); v_; })
#define VSTORE(p, v) do { V v_ = (v); memcpy((p), &v_, sizeof v_); } while (0)
#define NEXT_ROW(T, p, ss) ((T *)((char *)(p) + (ss)))
/* one strip, rows 0 .. S-1: GV0/GV1 the cotangent vectors of the row at g */
#define AV_VSTRIP(T, GV0, GV1)                                                                    \
    for (s = 0; s < S; s++) {                                                                     \
        V g0 = GV0, g1 = GV1, e0 = VLOAD(V, e), e1 = VLOAD(V, e + N);                             \
        if (s == 0) { al0 = g0; al1 = g1; as0 = g0 * e0; as1 = g1 * e1; }                         \
        else { al0 += g0; al1 += g1; as0 += g0 * e0; as1 += g1 * e1; }                            \
        g = NEXT_ROW(const T, g, gss);                                                            \
        e = NEXT_ROW(const T, e, ess);                                                            \
    }
/* OP: / with r0, r1 the scales, or * with r0, r1 their exact reciprocals (powers of two) */
#define NLV_VSTRIP(T, GV0, GV1, OP)                                                               \
    for (s = 0; s < S; s++) {                                                                     \
        V g0 = GV0, g1 = GV1;                                                                     \
        V z0 = (VLOAD(V, x) - l0) OP r0, z1 = (VLOAD(V, x + N) - l1) OP r1;                       \
        V t0 = (g0 * z0) OP r0, t1 = (g1 * z1) OP r1;                                             \
        V u0 = (g0 * (z0 * z0 - one)) OP r0, u1 = (g1 * (z1 * z1 - one)) OP r1;                   \
        VSTORE(dv, -t0);                                                                          \
        VSTORE(dv + N, -t1);                                                                      \
        if (s == 0) { al0 = t0; al1 = t1; as0 = u0; as1 = u1; }                                   \
        else { al0 += t0; al1 += t1; as0 += u0; as1 += u1; }                                      \
        g = NEXT_ROW(const T, g, gss);                                                            \
        x = NEXT_ROW(const T, x, xss);                                                            \
        dv = NEXT_ROW(T, dv, dvss);                                                               \
    }
/* a strip's column sums out to dl and ds */
#define STRIP_SUMS_OUT()                                                                          \
    do {                                                                                          \
        VSTORE(dl + c, al0);                                                                      \
        VSTORE(dl + c + N, al1);                                                                  \
        VSTORE(ds + c, as0);                                                                      \
        VSTORE(ds + c + N, as1);                                                                  \
    } while (0)
/* The whole strips of columns [0, n): returns the columns done (the rest is the row
 * loops'). Row strides in bytes; the cotangent per element (gstep 1) or one per row
 * (gstep 0). */
#define DEFINE_STRIPS(SUF, T, U, TWO_BIAS, ATTR, LV, VB)                                          \
    ATTR static intptr_t affine_vjp_strips##SUF##LV(intptr_t S, intptr_t n, const T *g_,          \
                                                    intptr_t gss, int gstep, const T *e_,         \
                                                    intptr_t ess, T *dl, T *ds)                   \
    {                                                                                             \
        typedef T V __attribute__((vector_size(VB)));                                             \
        enum { N = VB / sizeof(T) };                                                              \
        intptr_t s, c;                                                                            \
        for (c = 0; c + 2 * N <= n; c += 2 * N) {                                                 \
            const T *g = g_ + (gstep ? c : 0), *e = e_ + c;                                       \
            V al0 = {0}, al1 = {0}, as0 = {0}, as1 = {0};                                         \
            if (gstep) {                                                                          \
                AV_VSTRIP(T, VLOAD(V, g), VLOAD(V, g + N))                                        \
            } else {                                                                              \
                AV_VSTRIP(T, (V){0} + g[0], (V){0} + g[0])                                        \
            }                                                                                     \
            STRIP_SUMS_OUT();                                                                     \
        }                                                                                         \
        return c;                                                                                 \
    }                                                                                             \
    ATTR static intptr_t normal_lp_vjp_strips##SUF##LV(intptr_t S, intptr_t n, const T *g_,       \
                                                       intptr_t gss, int gstep, const T *x_,      \
                                                       intptr_t xss, const T *loc, const T *sc,   \
                                                       int pow2, T *dv_, intptr_t dvss, T *dl,    \
                                                       T *ds)                                     \
    {                                                                                             \
        typedef T V __attribute__((vector_size(VB)));                                             \
        typedef U VU __attribute__((vector_size(VB)));                                            \
        enum { N = VB / sizeof(T) };                                                              \
        const V one = (V){0} + (T)1;                                                              \
        intptr_t s, c;                                                                            \
        for (c = 0; c + 2 * N <= n; c += 2 * N) {                                                 \
            const T *g = g_ + (gstep ? c : 0), *x = x_ + c;                                       \
            T *dv = dv_ + c;                                                                      \
            const V l0 = VLOAD(V, loc + c), l1 = VLOAD(V, loc + c + N);                           \
            V r0 = VLOAD(V, sc + c), r1 = VLOAD(V, sc + c + N);                                   \
            V al0 = {0}, al1 = {0}, as0 = {0}, as1 = {0};                                         \
            if (pow2) { /* the reciprocal from the bits, as recip_pow2 */                         \
                r0 = (V)(((VU){0} + TWO_BIAS) - (VU)r0);                                          \
                r1 = (V)(((VU){0} + TWO_BIAS) - (VU)r1);                                          \
                if (gstep) { NLV_VSTRIP(T, VLOAD(V, g), VLOAD(V, g + N), *) }                     \
                else { NLV_VSTRIP(T, (V){0} + g[0], (V){0} + g[0], *) }                           \
            } else {                                                                              \
                if (gstep) { NLV_VSTRIP(T, VLOAD(V, g), VLOAD(V, g + N), /) }                     \
                else { NLV_VSTRIP(T, (V){0} + g[0], (V){0} + g[0], /) }                           \
            }                                                                                     \
            STRIP_SUMS_OUT();                                                                     \
        }                                                                                         \
        return c;                                                                                 \
    }
FOR_TYPES_AND_LEVELS(DEFINE_STRIPS)
#endif

#define DEFINE_ROWS(SUF, T, U, TWO_BIAS, ATTR, LV, VB)                                            \
    ATTR static void affine_row##SUF##LV(intptr_t n, const T *restrict loc, const T *restrict sc, \
                                          const T *restrict e, T *restrict out)                  \
    {                                                                                             \
        intptr_t b;                                                                               \
        for (b = 0; b < n; b++) {                                                                 \
            T prod = sc[b] * e[b];                                                                \
            out[b] = loc[b] + prod;                                                               \
        }                                                                                         \
    }                                                                                             \
    /* gstep: 1 (a cotangent per element) or 0 (one per row) */                                   \
    ATTR static void affine_vjp_row##SUF##LV(intptr_t n, int first, const T *restrict g,          \
                                              intptr_t gstep, const T *restrict e,                \
                                              T *restrict dl, T *restrict ds)                     \
    {                                                                                             \
        intptr_t b;                                                                               \
        if (gstep) {                                                                              \
            if (first)                                                                            \
                for (b = 0; b < n; b++) { dl[b] = g[b]; ds[b] = g[b] * e[b]; }                    \
            else                                                                                  \
                for (b = 0; b < n; b++) { dl[b] += g[b]; ds[b] += g[b] * e[b]; }                  \
        } else {                                                                                  \
            T gv = g[0];                                                                          \
            if (first)                                                                            \
                for (b = 0; b < n; b++) { dl[b] = gv; ds[b] = gv * e[b]; }                        \
            else                                                                                  \
                for (b = 0; b < n; b++) { dl[b] += gv; ds[b] += gv * e[b]; }                      \
        }                                                                                         \
    }                                                                                             \
    ATTR static void normal_lp_row##SUF##LV(intptr_t n, const T *restrict x, const T *restrict loc, \
                                             const T *restrict sc, int pow2, const T *restrict ls, \
                                             T c, T *restrict lp)                                 \
    {                                                                                             \
        intptr_t b;                                                                               \
        if (pow2)                                                                                 \
            for (b = 0; b < n; b++) { NL_TERMS(T, BY_RECIP##SUF) }                                \
        else                                                                                      \
            for (b = 0; b < n; b++) { NL_TERMS(T, BY_SC) }                                        \
    }                                                                                             \
    ATTR static void normal_lp_vjp_row##SUF##LV(intptr_t n, int first, const T *restrict g,       \
                                                 intptr_t gstep, const T *restrict x,             \
                                                 const T *restrict loc, const T *restrict sc,     \
                                                 int pow2, T *restrict dv, T *restrict dl,        \
                                                 T *restrict ds)                                  \
    {                                                                                             \
        intptr_t b;                                                                               \
        if (pow2) {                                                                               \
            NLV_LOOPS(T, BY_RECIP##SUF)                                                           \
        } else {                                                                                  \
            NLV_LOOPS(T, BY_SC)                                                                   \
        }                                                                                         \
    }

DEFINE_SCALE_POW2(_d, double)
DEFINE_SCALE_POW2(_f, float)
FOR_TYPES_AND_LEVELS(DEFINE_ROWS)

/* whole strips first, where the compiler has vector extensions; the row loops take the rest */
#ifdef GF_STRIPS
#define STRIPS_FIRST(code) code
#else
#define STRIPS_FIRST(code)
#endif

#define DEFINE_AFFINE(NAME, T, SUF)                                                              \
    void NAME(intptr_t S, intptr_t b0, intptr_t b1, nd_sb loc, nd_sb scale, nd_sb eps, nd_sb out) \
    {                                                                                            \
        intptr_t s, b;                                                                           \
        if (CONTIG(T, loc) && CONTIG(T, scale) && CONTIG(T, eps) && CONTIG(T, out)) {            \
            for (s = 0; s < S; s++)                                                              \
                PICK(affine_row, SUF)(b1 - b0, ROW(T, loc, s, b0), ROW(T, scale, s, b0),               \
                                ROW(T, eps, s, b0), (T *)ROW(T, out, s, b0));                    \
            return;                                                                              \
        }                                                                                        \
        for (s = 0; s < S; s++)                                                                  \
            for (b = b0; b < b1; b++) {                                                          \
                T prod = AT(T, scale, s, b) * AT(T, eps, s, b);                                  \
                AT_W(T, out, s, b) = AT(T, loc, s, b) + prod;                                    \
            }                                                                                    \
    }

DEFINE_AFFINE(nd_fused_affine, double, _d)
DEFINE_AFFINE(nd_fused_affine_f, float, _f)

#define DEFINE_AFFINE_VJP(NAME, T, SUF)                                                          \
    void NAME(intptr_t S, intptr_t b0, intptr_t b1, nd_sb g, nd_sb eps, T *dloc, T *dscale)     \
    {                                                                                            \
        intptr_t s, b;                                                                           \
        if (b1 <= b0) return;                                                                    \
        if (S <= 0) {                                                                            \
            for (b = b0; b < b1; b++) {                                                          \
                if (dloc) dloc[b] = 0;                                                           \
                if (dscale) dscale[b] = 0;                                                       \
            }                                                                                    \
            return;                                                                              \
        }                                                                                        \
        if (dloc && dscale && (CONTIG(T, g) || g.bs == 0) && CONTIG(T, eps)) {                   \
            intptr_t c0, c1;                                                                     \
            STRIPS_FIRST(b0 += PICK(affine_vjp_strips, SUF)(S, b1 - b0, ROW(T, g, 0, g.bs ? b0 : 0), g.ss, \
                                                           g.bs != 0, ROW(T, eps, 0, b0), eps.ss,  \
                                                           dloc + b0, dscale + b0);)               \
            for (c0 = b0; c0 < b1; c0 = c1) { /* column blocks: the sums stay in L1 */           \
                c1 = c0 + COL_BLOCK < b1 ? c0 + COL_BLOCK : b1;                                  \
                for (s = 0; s < S; s++)                                                          \
                    PICK(affine_vjp_row, SUF)(c1 - c0, s == 0, ROW(T, g, s, g.bs ? c0 : 0), g.bs != 0, \
                                        ROW(T, eps, s, c0), dloc + c0, dscale + c0);             \
            }                                                                                    \
            return;                                                                              \
        }                                                                                        \
        for (b = b0; b < b1; b++) {                                                              \
            T gv = AT(T, g, 0, b);                                                               \
            if (dloc) dloc[b] = gv;                                                              \
            if (dscale) dscale[b] = gv * AT(T, eps, 0, b);                                       \
        }                                                                                        \
        for (s = 1; s < S; s++) {                                                                \
            if (dloc)                                                                            \
                for (b = b0; b < b1; b++) dloc[b] += AT(T, g, s, b);                             \
            if (dscale)                                                                          \
                for (b = b0; b < b1; b++) dscale[b] += AT(T, g, s, b) * AT(T, eps, s, b);        \
        }                                                                                        \
    }

DEFINE_AFFINE_VJP(nd_fused_affine_vjp, double, _d)
DEFINE_AFFINE_VJP(nd_fused_affine_vjp_f, float, _f)

#define DEFINE_NORMAL_LP(NAME, T, SUF)                                                           \
    void NAME(intptr_t S, intptr_t b0, intptr_t b1, nd_sb x, nd_sb loc, nd_sb scale,             \
              nd_sb log_scale, T half_log_2pi, nd_sb lp)                                         \
    {                                                                                            \
        intptr_t s, b;                                                                           \
        if (CONTIG(T, x) && CONTIG(T, loc) && CONTIG(T, scale) && CONTIG(T, log_scale) &&        \
            CONTIG(T, lp)) {                                                                     \
            int pow2 = scale_pow2##SUF(scale, b0, b1);                                           \
            for (s = 0; s < S; s++)                                                              \
                PICK(normal_lp_row, SUF)(b1 - b0, ROW(T, x, s, b0), ROW(T, loc, s, b0),                \
                                   ROW(T, scale, s, b0), pow2, ROW(T, log_scale, s, b0),         \
                                   half_log_2pi, (T *)ROW(T, lp, s, b0));                        \
            return;                                                                              \
        }                                                                                        \
        for (s = 0; s < S; s++)                                                                  \
            for (b = b0; b < b1; b++) {                                                          \
                T z = (AT(T, x, s, b) - AT(T, loc, s, b)) / AT(T, scale, s, b);                  \
                T q = (T)-0.5 * (z * z);                                                         \
                AT_W(T, lp, s, b) = (q - AT(T, log_scale, s, b)) - half_log_2pi;                 \
            }                                                                                    \
    }

DEFINE_NORMAL_LP(nd_fused_normal_log_prob, double, _d)
DEFINE_NORMAL_LP(nd_fused_normal_log_prob_f, float, _f)

/* Pairwise sums in NumPy's order (its pairwise_sum for float and double): a leaf of
 * at most PW_BLOCK terms uses 8 accumulators (fewer than 8 terms: one, from 0);
 * longer ranges split in two at a multiple of 8. Leaves are computed into a stack
 * buffer of PW_BLOCK values as they are needed. */
#define PW_BLOCK 128

/* res = the sum of v[0 .. n) (n <= PW_BLOCK) in NumPy's leaf order: fewer than 8 terms,
 * one accumulator from 0; else 8 accumulators r[], combined pairwise, then the tail
 * (i, j: the caller's loop counters) */
#define PW_LEAF_SUM(T, v, n, r, i, j, res)                                                       \
    do {                                                                                         \
        if ((n) < 8) {                                                                           \
            (res) = (T)0;                                                                        \
            for ((i) = 0; (i) < (n); (i)++) (res) += (v)[i];                                     \
            break;                                                                               \
        }                                                                                        \
        for ((j) = 0; (j) < 8; (j)++) (r)[j] = (v)[j];                                           \
        for ((i) = 8; (i) < (n) - ((n) % 8); (i) += 8)                                           \
            for ((j) = 0; (j) < 8; (j)++) (r)[j] += (v)[(i) + (j)];                              \
        (res) = (((r)[0] + (r)[1]) + ((r)[2] + (r)[3])) + (((r)[4] + (r)[5]) + ((r)[6] + (r)[7])); \
        for (; (i) < (n); (i)++) (res) += (v)[i];                                                \
    } while (0)

/* A contiguous leaf (n <= PW_BLOCK): the log densities into a stack block and their
 * sum in NumPy's order (fewer than 8 terms: one accumulator from 0; else 8 lanes, the
 * lanes combined pairwise, then the tail), compiled at each SIMD level so that the
 * 8 lanes are vector adds (the same additions in the same order: the same bits). */
#ifdef GF_STRIPS
/* With vector extensions the 8 accumulators are P vectors of NP lanes (as wide as the
 * level's registers, 8 lanes in all), fed straight from the densities of the next 8
 * columns (no stack block): the same additions in the same order. OP and R: / with
 * the scales, or * with their reciprocals (pow2). */
#define LP_PIECE_BYTES(T, VB) ((VB) < 8 * sizeof(T) ? (VB) : 8 * sizeof(T))
#define LPV_SC(i) VLOAD(V, sc + (i))
#define LPV_RECIP(i) ((V)(((VU){0} + two_bias) - (VU)VLOAD(V, sc + (i))))
#define LPV_DENS(z, q) ((((LT)-0.5 * ((z) * (z))) - (q)) - c)
#define LPV(xp, i, OP, R) LPV_DENS((VLOAD(V, (xp) + (i)) - VLOAD(V, loc + (i))) OP R(i), VLOAD(V, ls + (i)))
#define LANE(r, j) (r)[(j) / NP][(j) % NP]
#define LANES_SUM(r) (((LANE(r, 0) + LANE(r, 1)) + (LANE(r, 2) + LANE(r, 3))) +                    \
                      ((LANE(r, 4) + LANE(r, 5)) + (LANE(r, 6) + LANE(r, 7))))
#define LP8_LEAF(OP, R)                                                                           \
    do {                                                                                          \
        V r[P];                                                                                   \
        for (p = 0; p < P; p++) r[p] = LPV(x, p * NP, OP, R);                                     \
        for (i = 8; i < n - (n % 8); i += 8)                                                      \
            for (p = 0; p < P; p++) r[p] += LPV(x, i + p * NP, OP, R);                            \
        res = LANES_SUM(r);                                                                       \
    } while (0)
/* the tail columns [i, n) of a row at xp added to res in order, after the lanes */
#define LP_TAIL(SUF, LV, xp, res)                                                                 \
    do {                                                                                          \
        normal_lp_row##SUF##LV(n - i, (xp) + i, loc + i, sc + i, pow2, ls + i, c, buf);           \
        for (j = 0; j < n - i; j++) (res) += buf[j];                                              \
    } while (0)
#define LP_LEAF_TYPES(T, U, TWO_BIAS, VB)                                                         \
    typedef T V __attribute__((vector_size(LP_PIECE_BYTES(T, VB))));                              \
    typedef U VU __attribute__((vector_size(LP_PIECE_BYTES(T, VB))));                             \
    typedef T LT;                                                                                 \
    enum { NP = LP_PIECE_BYTES(T, VB) / sizeof(T), P = 8 / NP };                                  \
    const U two_bias = TWO_BIAS
#define DEFINE_LP_LEAF(SUF, T, U, TWO_BIAS, ATTR, LV, VB)                                         \
    ATTR static T normal_lp_leaf##SUF##LV(intptr_t n, const T *restrict x, const T *restrict loc, \
                                          const T *restrict sc, int pow2, const T *restrict ls,  \
                                          T c)                                                   \
    {                                                                                             \
        LP_LEAF_TYPES(T, U, TWO_BIAS, VB);                                                        \
        T buf[8], r8[8], res;                                                                     \
        intptr_t i, j, p;                                                                         \
        if (n < 8) {                                                                              \
            normal_lp_row##SUF##LV(n, x, loc, sc, pow2, ls, c, buf);                              \
            PW_LEAF_SUM(T, buf, n, r8, i, j, res);                                                \
            return res;                                                                           \
        }                                                                                         \
        if (pow2) {                                                                               \
            LP8_LEAF(*, LPV_RECIP);                                                               \
        } else {                                                                                  \
            LP8_LEAF(/, LPV_SC);                                                                  \
        }                                                                                         \
        LP_TAIL(SUF, LV, x, res);                                                                 \
        return res;                                                                               \
    }
/* Two rows' leaves over the same columns at once: the two accumulator chains are
 * independent (one alone waits on its own additions), and a column's operands are
 * loaded once for both. Each row's sum is the single leaf's, operation for operation. */
#define LP8_LEAF2(OP, R)                                                                          \
    do {                                                                                          \
        V ra[P], rb[P], l, d, q;                                                                  \
        for (p = 0; p < P; p++) {                                                                 \
            l = VLOAD(V, loc + p * NP);                                                           \
            d = R(p * NP);                                                                        \
            q = VLOAD(V, ls + p * NP);                                                            \
            ra[p] = LPV_DENS((VLOAD(V, x0 + p * NP) - l) OP d, q);                                \
            rb[p] = LPV_DENS((VLOAD(V, x1 + p * NP) - l) OP d, q);                                \
        }                                                                                         \
        for (i = 8; i < n - (n % 8); i += 8)                                                      \
            for (p = 0; p < P; p++) {                                                             \
                l = VLOAD(V, loc + i + p * NP);                                                   \
                d = R(i + p * NP);                                                                \
                q = VLOAD(V, ls + i + p * NP);                                                    \
                ra[p] += LPV_DENS((VLOAD(V, x0 + i + p * NP) - l) OP d, q);                       \
                rb[p] += LPV_DENS((VLOAD(V, x1 + i + p * NP) - l) OP d, q);                       \
            }                                                                                     \
        res0 = LANES_SUM(ra);                                                                     \
        res1 = LANES_SUM(rb);                                                                     \
    } while (0)
#define DEFINE_LP_LEAF2(SUF, T, U, TWO_BIAS, ATTR, LV, VB)                                        \
    ATTR static void normal_lp_leaf2##SUF##LV(intptr_t n, const T *restrict x0,                   \
                                              const T *restrict x1, const T *restrict loc,        \
                                              const T *restrict sc, int pow2,                     \
                                              const T *restrict ls, T c, T *sums)                 \
    {                                                                                             \
        LP_LEAF_TYPES(T, U, TWO_BIAS, VB);                                                        \
        T buf[8], res0, res1;                                                                     \
        intptr_t i, j, p;                                                                         \
        if (n < 8) {                                                                              \
            sums[0] = normal_lp_leaf##SUF##LV(n, x0, loc, sc, pow2, ls, c);                       \
            sums[1] = normal_lp_leaf##SUF##LV(n, x1, loc, sc, pow2, ls, c);                       \
            return;                                                                               \
        }                                                                                         \
        if (pow2) {                                                                               \
            LP8_LEAF2(*, LPV_RECIP);                                                              \
        } else {                                                                                  \
            LP8_LEAF2(/, LPV_SC);                                                                 \
        }                                                                                         \
        LP_TAIL(SUF, LV, x0, res0);                                                               \
        LP_TAIL(SUF, LV, x1, res1);                                                               \
        sums[0] = res0;                                                                           \
        sums[1] = res1;                                                                           \
    }
#else
#define DEFINE_LP_LEAF(SUF, T, U, TWO_BIAS, ATTR, LV, VB)                                             \
    ATTR static T normal_lp_leaf##SUF##LV(intptr_t n, const T *restrict x, const T *restrict loc, \
                                          const T *restrict sc, int pow2, const T *restrict ls,  \
                                          T c)                                                   \
    {                                                                                             \
        T buf[PW_BLOCK], r[8], res;                                                               \
        intptr_t i, j;                                                                            \
        normal_lp_row##SUF##LV(n, x, loc, sc, pow2, ls, c, buf);                                  \
        PW_LEAF_SUM(T, buf, n, r, i, j, res);                                                     \
        return res;                                                                               \
    }
#endif

FOR_TYPES_AND_LEVELS(DEFINE_LP_LEAF)
#ifdef GF_STRIPS
FOR_TYPES_AND_LEVELS(DEFINE_LP_LEAF2)
#endif

#define DEFINE_PAIRWISE_LP(SUF, T)                                                               \
    static T leaf_sum##SUF(const T *v, intptr_t n)                                               \
    {                                                                                            \
        intptr_t i, j;                                                                           \
        T r[8], res;                                                                             \
        PW_LEAF_SUM(T, v, n, r, i, j, res);                                                      \
        return res;                                                                              \
    }                                                                                            \
    typedef struct { nd_sb x, loc, scale, log_scale; T c; intptr_t s; int pow2; } lp_ctx##SUF;             \
    static T pw_lp##SUF(const lp_ctx##SUF *k, intptr_t b, intptr_t n)                            \
    {                                                                                            \
        if (n <= PW_BLOCK) {                                                                     \
            T buf[PW_BLOCK];                                                                     \
            intptr_t i, s = k->s;                                                                \
            if (CONTIG(T, k->x) && CONTIG(T, k->loc) && CONTIG(T, k->scale) &&                   \
                CONTIG(T, k->log_scale)) {                                                       \
                return PICK(normal_lp_leaf, SUF)(n, ROW(T, k->x, s, b), ROW(T, k->loc, s, b),    \
                                                 ROW(T, k->scale, s, b), k->pow2,                \
                                                 ROW(T, k->log_scale, s, b), k->c);              \
            } else {                                                                             \
                for (i = 0; i < n; i++) {                                                        \
                    T z = (AT(T, k->x, s, b + i) - AT(T, k->loc, s, b + i)) / AT(T, k->scale, s, b + i); \
                    T q = (T)-0.5 * (z * z);                                                     \
                    buf[i] = (q - AT(T, k->log_scale, s, b + i)) - k->c;                         \
                }                                                                                \
            }                                                                                    \
            return leaf_sum##SUF(buf, n);                                                        \
        } else {                                                                                 \
            intptr_t n2 = n / 2;                                                                 \
            n2 -= n2 % 8;                                                                        \
            return pw_lp##SUF(k, b, n2) + pw_lp##SUF(k, b + n2, n - n2);                         \
        }                                                                                        \
    }

DEFINE_PAIRWISE_LP(_d, double)
DEFINE_PAIRWISE_LP(_f, float)

#ifdef GF_STRIPS
/* pw_lp of rows k->s and k->s + 1 (columns whose parameters do not vary by row,
 * contiguous): the same tree, the two rows' leaves side by side */
#define DEFINE_PAIRWISE_LP2(SUF, T)                                                              \
    static void pw_lp2##SUF(const lp_ctx##SUF *k, intptr_t b, intptr_t n, T *sums)               \
    {                                                                                            \
        if (n <= PW_BLOCK) {                                                                     \
            PICK(normal_lp_leaf2, SUF)(n, ROW(T, k->x, k->s, b), ROW(T, k->x, k->s + 1, b),      \
                                       ROW(T, k->loc, 0, b), ROW(T, k->scale, 0, b), k->pow2,    \
                                       ROW(T, k->log_scale, 0, b), k->c, sums);                  \
        } else {                                                                                 \
            T a[2], z[2];                                                                        \
            intptr_t n2 = n / 2;                                                                 \
            n2 -= n2 % 8;                                                                        \
            pw_lp2##SUF(k, b, n2, a);                                                            \
            pw_lp2##SUF(k, b + n2, n - n2, z);                                                   \
            sums[0] = a[0] + z[0];                                                               \
            sums[1] = a[1] + z[1];                                                               \
        }                                                                                        \
    }
DEFINE_PAIRWISE_LP2(_d, double)
DEFINE_PAIRWISE_LP2(_f, float)
#define ROWS_IN_PAIRS(T, k) (CONTIG(T, (k).x) && CONTIG(T, (k).loc) && CONTIG(T, (k).scale) &&  \
                          CONTIG(T, (k).log_scale) && (k).loc.ss == 0 && (k).scale.ss == 0 &&    \
                          (k).log_scale.ss == 0)
#define PAIR_OF_ROWS(SUF, T, k, b, R, sums)                                                      \
    do {                                                                                         \
        T two[2];                                                                                \
        pw_lp2##SUF(&(k), b, R, two);                                                            \
        AT_W(T, sums, (k).s, (b) / (R)) = (T)0 + two[0];                                         \
        AT_W(T, sums, (k).s + 1, (b) / (R)) = (T)0 + two[1];                                     \
    } while (0)
#else
#define ROWS_IN_PAIRS(T, k) 0
#define PAIR_OF_ROWS(SUF, T, k, b, R, sums) do { } while (0)
#endif

#define DEFINE_NORMAL_LP_SUM(NAME, T, SUF)                                                       \
    void NAME(intptr_t S, intptr_t b0, intptr_t b1, intptr_t R, nd_sb x, nd_sb loc, nd_sb scale, \
              nd_sb log_scale, T half_log_2pi, nd_sb sums)                                       \
    {                                                                                            \
        lp_ctx##SUF k;                                                                           \
        intptr_t b;                                                                              \
        if (R <= 0) return;                                                                      \
        k.x = x; k.loc = loc; k.scale = scale; k.log_scale = log_scale; k.c = half_log_2pi;      \
        k.pow2 = scale_pow2##SUF(scale, b0, b1);                                                 \
        k.s = 0;                                                                                 \
        if (ROWS_IN_PAIRS(T, k))                                                                 \
            for (; k.s + 2 <= S; k.s += 2)                                                       \
                for (b = b0; b + R <= b1; b += R) PAIR_OF_ROWS(SUF, T, k, b, R, sums);          \
        for (; k.s < S; k.s++)                                                                   \
            for (b = b0; b + R <= b1; b += R)                                                    \
                AT_W(T, sums, k.s, b / R) = (T)0 + pw_lp##SUF(&k, b, R);                         \
    }

DEFINE_NORMAL_LP_SUM(nd_fused_normal_log_prob_sum, double, _d)
DEFINE_NORMAL_LP_SUM(nd_fused_normal_log_prob_sum_f, float, _f)

/* t = g * z / scale and u = g * (z * z - 1) / scale, z = (x - loc) / scale: NumPy's
 * operations (three divisions, no reciprocal), so the gradients keep their bits */
#define NORMAL_LP_TERMS(T, s, b)                                                                 \
    T gv = AT(T, g, s, b), sc = AT(T, scale, s, b);                                              \
    T z = (AT(T, x, s, b) - AT(T, loc, s, b)) / sc;                                              \
    T t = (gv * z) / sc;                                                                         \
    T u = (gv * (z * z - (T)1)) / sc;

#define DEFINE_NORMAL_LP_VJP(NAME, T, SUF)                                                       \
    void NAME(intptr_t S, intptr_t b0, intptr_t b1, nd_sb g, nd_sb x, nd_sb loc, nd_sb scale,     \
              nd_sb dvalue, T *dloc, T *dscale)                                                  \
    {                                                                                            \
        intptr_t s, b;                                                                           \
        if (b1 <= b0) return;                                                                    \
        if (S <= 0) {                                                                            \
            for (b = b0; b < b1; b++) {                                                          \
                if (dloc) dloc[b] = 0;                                                           \
                if (dscale) dscale[b] = 0;                                                       \
            }                                                                                    \
            return;                                                                              \
        }                                                                                        \
        if (dvalue.p && dloc && dscale && (CONTIG(T, g) || g.bs == 0) && CONTIG(T, x) &&         \
            CONTIG(T, loc) && CONTIG(T, scale) && CONTIG(T, dvalue)) {                           \
            int pow2 = scale_pow2##SUF(scale, b0, b1);                                           \
            intptr_t c0, c1;                                                                     \
            STRIPS_FIRST(if (loc.ss == 0 && scale.ss == 0)                                       \
                b0 += PICK(normal_lp_vjp_strips, SUF)(S, b1 - b0, ROW(T, g, 0, g.bs ? b0 : 0), g.ss, \
                                                      g.bs != 0, ROW(T, x, 0, b0), x.ss,         \
                                                      ROW(T, loc, 0, b0), ROW(T, scale, 0, b0),  \
                                                      pow2, (T *)ROW(T, dvalue, 0, b0), dvalue.ss, \
                                                      dloc + b0, dscale + b0);)                  \
            for (c0 = b0; c0 < b1; c0 = c1) { /* column blocks: parameters and sums stay in L1 */ \
                c1 = c0 + COL_BLOCK < b1 ? c0 + COL_BLOCK : b1;                                  \
                for (s = 0; s < S; s++)                                                          \
                    PICK(normal_lp_vjp_row, SUF)(c1 - c0, s == 0, ROW(T, g, s, g.bs ? c0 : 0), g.bs != 0, \
                                           ROW(T, x, s, c0), ROW(T, loc, s, c0), ROW(T, scale, s, c0), \
                                           pow2, (T *)ROW(T, dvalue, s, c0), dloc + c0, dscale + c0); \
            }                                                                                    \
            return;                                                                              \
        }                                                                                        \
        for (b = b0; b < b1; b++) {                                                              \
            NORMAL_LP_TERMS(T, 0, b)                                                             \
            if (dvalue.p) AT_W(T, dvalue, 0, b) = -t;                                            \
            if (dloc) dloc[b] = t;                                                               \
            if (dscale) dscale[b] = u;                                                           \
        }                                                                                        \
        for (s = 1; s < S; s++)                                                                  \
            for (b = b0; b < b1; b++) {                                                          \
                NORMAL_LP_TERMS(T, s, b)                                                         \
                if (dvalue.p) AT_W(T, dvalue, s, b) = -t;                                        \
                if (dloc) dloc[b] += t;                                                          \
                if (dscale) dscale[b] += u;                                                      \
            }                                                                                    \
    }

DEFINE_NORMAL_LP_VJP(nd_fused_normal_log_prob_vjp, double, _d)
DEFINE_NORMAL_LP_VJP(nd_fused_normal_log_prob_vjp_f, float, _f)

#define DEFINE_CAT_SCORE(NAME, T)                                                                \
    void NAME(intptr_t S, intptr_t b0, intptr_t b1, intptr_t K, const char *idx, intptr_t idx_ss, \
              intptr_t idx_bs, nd_sb g, const T *probs, T *grad)                                 \
    {                                                                                            \
        intptr_t s, b, k;                                                                        \
        if (b1 <= b0 || K <= 0) return;                                                          \
        if (S <= 0) {                                                                            \
            for (b = b0; b < b1; b++)                                                            \
                for (k = 0; k < K; k++) grad[b * K + k] = 0;                                     \
            return;                                                                              \
        }                                                                                        \
        for (s = 0; s < S; s++)                                                                  \
            for (b = b0; b < b1; b++) {                                                          \
                int64_t c = *(const int64_t *)(idx + s * idx_ss + b * idx_bs);                   \
                T gv = AT(T, g, s, b);                                                           \
                T dsum = (gv - gv == 0) ? gv : gv - gv; /* the one-hot row's sum */              \
                const T *p = probs + b * K;                                                      \
                T *out = grad + b * K;                                                           \
                for (k = 0; k < K; k++) {                                                        \
                    T d = gv * (k == c ? (T)1 : (T)0);                                           \
                    T term = ((T)0 + d) - p[k] * dsum;                                           \
                    out[k] = s ? out[k] + term : term;                                           \
                }                                                                                \
            }                                                                                    \
    }

DEFINE_CAT_SCORE(nd_fused_categorical_logits_score, double)
DEFINE_CAT_SCORE(nd_fused_categorical_logits_score_f, float)

/* Parameter check of a location-scale family: every loc finite and every scale
 * positive and finite. x - x is 0 for a finite x and NaN for an infinite or NaN one,
 * so the test is comparisons only (no libm, no branch per element); the caller
 * searches for the offending element, to name it, only when this returns 0.
 *
 * KL(Normal(pl, ps) || Normal(ql, qs)) summed over n contiguous elements (an
 * Independent pair), and its VJP: the operations of normal.py's NumPy expressions,
 * in their order, so the numbers are theirs. The two libm-like steps stay NumPy's
 * (log of the variance ratio, qs**3), computed by the caller between the passes.
 * The element loops are compiled at each SIMD level (same bits). */
#define DEFINE_SMALL_LOOPS(SUF, T, U, TWO_BIAS, ATTR, LV, VB)                                     \
    ATTR static int loc_scale_ok##SUF##LV(intptr_t n, const T *restrict loc,                     \
                                          const T *restrict scale)                               \
    {                                                                                            \
        intptr_t i;                                                                              \
        int ok = 1;                                                                              \
        for (i = 0; i < n; i++) {                                                                \
            T l = loc[i], s = scale[i];                                                          \
            ok &= (l - l == (T)0) & (s > (T)0) & (s - s == (T)0);                                \
        }                                                                                        \
        return ok;                                                                               \
    }                                                                                            \
    ATTR static void kl_terms##SUF##LV(intptr_t n, const T *restrict pl, const T *restrict ql,   \
                                       const T *restrict qs, const T *restrict vr, T *restrict kl) \
    {                                                                                            \
        intptr_t i;                                                                              \
        for (i = 0; i < n; i++) {                                                                \
            T d = (pl[i] - ql[i]) / qs[i];                                                       \
            T t1 = d * d;                                                                        \
            kl[i] = (T)0.5 * (((vr[i] + t1) - (T)1) - kl[i]);                                    \
        }                                                                                        \
    }                                                                                            \
    ATTR static void kl_vjp##SUF##LV(intptr_t n, T g, const T *restrict pl, const T *restrict ps, \
                                     const T *restrict ql, const T *restrict qs,                 \
                                     const T *restrict qs3, T *restrict dpl, T *restrict dps,    \
                                     T *restrict dql, T *restrict dqs)                           \
    {                                                                                            \
        intptr_t i;                                                                              \
        T ng = -g;                                                                               \
        for (i = 0; i < n; i++) {                                                                \
            T qs2 = qs[i] * qs[i], dd = pl[i] - ql[i];                                           \
            T diff = dd / qs2;                                                                   \
            T dp = ps[i] / qs2 - (T)1 / ps[i];                                                   \
            T dq = (T)1 / qs[i] - (ps[i] * ps[i] + dd * dd) / qs3[i];                            \
            dpl[i] = g * diff;                                                                   \
            dps[i] = g * dp;                                                                     \
            dql[i] = ng * diff;                                                                  \
            dqs[i] = g * dq;                                                                     \
        }                                                                                        \
    }

FOR_TYPES_AND_LEVELS(DEFINE_SMALL_LOOPS)

int nd_loc_scale_ok(intptr_t n, const double *loc, const double *scale)
{
    return PICK(loc_scale_ok, _d)(n, loc, scale);
}
int nd_loc_scale_ok_f(intptr_t n, const float *loc, const float *scale)
{
    return PICK(loc_scale_ok, _f)(n, loc, scale);
}

#define DEFINE_KL_NORMAL(SUF, T)                                                                 \
    static T pw_sum##SUF(const T *v, intptr_t n)                                                 \
    {                                                                                            \
        intptr_t n2;                                                                             \
        if (n <= PW_BLOCK) return leaf_sum##SUF(v, n);                                           \
        n2 = n / 2;                                                                              \
        n2 -= n2 % 8;                                                                            \
        return pw_sum##SUF(v, n2) + pw_sum##SUF(v + n2, n - n2);                                 \
    }                                                                                            \
    void nd_kl_normal_ratio##SUF(intptr_t n, const T *ps, const T *qs, T *vr)                    \
    {                                                                                            \
        intptr_t i;                                                                              \
        for (i = 0; i < n; i++) {                                                                \
            T r = ps[i] / qs[i];                                                                 \
            vr[i] = r * r;                                                                       \
        }                                                                                        \
    }                                                                                            \
    T nd_kl_normal_sum##SUF(intptr_t n, const T *pl, const T *ql, const T *qs, const T *vr,      \
                            T *kl)                                                               \
    {                                                                                            \
        PICK(kl_terms, SUF)(n, pl, ql, qs, vr, kl);                                              \
        return (T)0 + pw_sum##SUF(kl, n);                                                        \
    }                                                                                            \
    void nd_kl_normal_vjp##SUF(intptr_t n, T g, const T *pl, const T *ps, const T *ql,           \
                               const T *qs, const T *qs3, T *dpl, T *dps, T *dql, T *dqs)        \
    {                                                                                            \
        PICK(kl_vjp, SUF)(n, g, pl, ps, ql, qs, qs3, dpl, dps, dql, dqs);                        \
    }

DEFINE_KL_NORMAL(_d, double)
DEFINE_KL_NORMAL(_f, float)
