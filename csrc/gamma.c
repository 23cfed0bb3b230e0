/*
 * Gamma sampler (Marsaglia-Tsang, boosting for a < 1, log space for tiny a) and
 * the samplers built on it: the element-wise kernels standard_gamma,
 * log_standard_gamma, chisquare, standard_t, beta, and the Dirichlet rows.
 * Stream rules: numdist/gamma.h (gamma, Dirichlet) and below (element-wise).
 *
 *   standard_gamma     (p0 concentration = 1)  nd_standard_gamma's rule
 *   log_standard_gamma (p0 concentration = 1)  nd_log_standard_gamma's rule
 *   chisquare          (p0 df = 1)   2 G(df/2); df = +inf -> +inf; df NaN or
 *                                    <= 0 -> NaN (no words)
 *   standard_t         (p0 df = 1)   N first (nd_standard_normal), then
 *                                    G(df/2) by the gamma rule; with a = df/2,
 *                                    N / sqrt(G / a) for a >= 1, and
 *                                    N exp((log a - log G) / 2) (log G in log
 *                                    space) for a < 1; df = +inf -> N alone;
 *                                    df NaN or <= 0 -> NaN (no words)
 *   beta               (p0 a = 1, p1 b = 1)  G(a) then G(b) by the gamma rule;
 *                                    a, b >= 1: G(a) / (G(a) + G(b)); otherwise
 *                                    in log space, 1 / (1 + exp(logG(b) - logG(a)))
 *                                    (Beta(1e-3, 1e-3): half the mass each side
 *                                    of 1/2, values in [0, 1], no NaN).  a or b
 *                                    NaN or <= 0 -> NaN; a = +inf -> 1, b = +inf
 *                                    -> 0, both -> NaN (no words)
 *
 * f32 kernels read float parameters, compute in double and round once.
 *
 * Speed: the draws of a constant concentration (stride 0, the common
 * `standard_gamma(a, size=n)`, and symmetric Dirichlet rows) are evaluated a
 * window of words at a time: candidate i takes word S i as the normal of a
 * first try and word S i + 1 as its uniform (S = 2; 3 when boosting, the boost
 * word third), and a vector pass (AVX-512 / AVX2 clones) applies the
 * ziggurat's rectangle test, v > 0 and the squeeze.  The window is then walked
 * in element order: a candidate that passed is taken as it is; anything else
 * (ziggurat slow path, v <= 0, squeeze failure: about 2.5% at a = 2.5) is
 * resolved by the scalar rule from that word on, and the walk continues with
 * the window's candidates if the rule stopped on their grid, else from a new
 * window.  The numbers and words are the scalar rule's (test_gamma.c checks
 * them against nd_standard_gamma word for word).  Varying concentrations go
 * element by element through the scalar rule.
 */
#include "numdist/gamma.h"

#include <math.h>

#include "numdist/strided.h"
#include "ew_common.h"

#if defined(__GNUC__)
#define G_LIKELY(x) __builtin_expect(!!(x), 1)
#define G_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define G_LIKELY(x) (x)
#define G_UNLIKELY(x) (x)
#endif

static const double g_nan = 0.0 / 0.0, g_inf = 1.0 / 0.0;

/* ---- the scalar rule ------------------------------------------------------ */

enum { GK_BAD = 0, GK_INF, GK_EXP, GK_MT, GK_BEXP, GK_BMT };

typedef struct gprm {
    int kind;
    double a, d, c; /* d, c of Marsaglia-Tsang (for a, or a + 1 when boosting) */
    double ia;      /* 1 / a (boosting) */
} gprm;

static inline gprm gprm_of(double a)
{
    gprm p;
    double m;
    p.a = a;
    p.d = p.c = 0.0;
    p.ia = 1.0 / a;
    if (!(a > 0.0)) { p.kind = GK_BAD; return p; }
    if (!(a < g_inf)) { p.kind = GK_INF; return p; }
    if (a == 1.0) { p.kind = GK_EXP; return p; }
    m = a;
    if (a < 1.0) {
        m = a + 1.0;
        if (m == 1.0) { p.kind = GK_BEXP; return p; }
        p.kind = GK_BMT;
    } else {
        p.kind = GK_MT;
    }
    p.d = m - 1.0 / 3.0;
    p.c = 1.0 / (3.0 * sqrt(p.d));
    return p;
}

/* log of x >= 0 (0 -> -inf) */
static inline double g_log0(double x)
{
    return x > 0.0 ? nd_log_pos(x) : -g_inf;
}

/* The log test of a try that failed the squeeze: x, v = (1 + c x)^3 > 0, u. */
static inline int mt_log_accept(double d, double x, double v, double u)
{
    return nd_log_pos(u) < 0.5 * (x * x) + d * (1.0 - v + nd_log_pos(v));
}

/* Marsaglia-Tsang from its first try on; the normal of that try is already
 * drawn (x).  Returns d v. */
static double mt_from(nd_bits_t *bits, double d, double c, double x)
{
    const double q = 108.0 * d;
    for (;;) {
        double cx = c * x, v = 1.0 + cx, u, x2;
        if (v > 0.0) {
            v = v * v * v;
            u = nd_u01_oc(nd_bits_next64(bits));
            x2 = x * x;
            if (x2 * x2 < (1.0 - u) * (q * (1.0 + (cx < 0.0 ? cx : 0.0)))) return d * v;
            if (mt_log_accept(d, x, v, u)) return d * v;
        }
        x = nd_standard_normal(bits);
    }
}

static inline double mt_draw(nd_bits_t *bits, double d, double c)
{
    return mt_from(bits, d, c, nd_standard_normal(bits));
}

/* the value g of the base draw (a >= 1 part) of a valid, finite a */
static inline double g_base(nd_bits_t *bits, const gprm *p)
{
    if (p->kind == GK_EXP || p->kind == GK_BEXP) return nd_standard_exponential(bits);
    return mt_draw(bits, p->d, p->c);
}

static inline double g_value(nd_bits_t *bits, const gprm *p)
{
    double g;
    switch (p->kind) {
    case GK_BAD: return g_nan;
    case GK_INF: return g_inf;
    case GK_EXP: return nd_standard_exponential(bits);
    case GK_MT: return mt_draw(bits, p->d, p->c);
    default:
        g = g_base(bits, p);
        return g * nd_gamma_exp(nd_log_pos(nd_u01_oc(nd_bits_next64(bits))) * p->ia);
    }
}

static inline double g_logvalue(nd_bits_t *bits, const gprm *p)
{
    double g;
    switch (p->kind) {
    case GK_BAD: return g_nan;
    case GK_INF: return g_inf;
    case GK_EXP: return g_log0(nd_standard_exponential(bits));
    case GK_MT: return nd_log_pos(mt_draw(bits, p->d, p->c));
    default:
        g = g_base(bits, p);
        return g_log0(g) + nd_log_pos(nd_u01_oc(nd_bits_next64(bits))) * p->ia;
    }
}

double nd_standard_gamma(nd_bits_t *bits, double a)
{
    gprm p = gprm_of(a);
    return g_value(bits, &p);
}

double nd_log_standard_gamma(nd_bits_t *bits, double a)
{
    gprm p = gprm_of(a);
    return g_logvalue(bits, &p);
}

/* ---- derived scalar draws ------------------------------------------------- */

static inline double chisq_value(nd_bits_t *bits, double df)
{
    gprm p = gprm_of(0.5 * df);
    if (df != df || df <= 0.0) return g_nan;
    return 2.0 * g_value(bits, &p);
}

/* p = gprm_of(df / 2), pb unused */
static inline double t_value(nd_bits_t *bits, double df, const gprm *p, const gprm *pb)
{
    double z, a = 0.5 * df;
    (void)pb;
    if (!(df > 0.0)) return g_nan;
    z = nd_standard_normal(bits);
    if (!(df < g_inf)) return z;
    if (p->kind == GK_BAD) return g_nan; /* df/2 underflowed to 0 */
    if (a >= 1.0) return z / sqrt(g_value(bits, p) / a);
    return z * nd_gamma_exp(0.5 * (nd_log_pos(a) - g_logvalue(bits, p)));
}

/* pa = gprm_of(a), pb = gprm_of(b) */
static inline double beta_value(nd_bits_t *bits, double a, double b, const gprm *pa, const gprm *pb)
{
    double ga, gb, s, x;
    if (!(a > 0.0) || !(b > 0.0)) return g_nan;
    if (!(a < g_inf) || !(b < g_inf)) return (a < g_inf) ? 0.0 : ((b < g_inf) ? 1.0 : g_nan);
    if (a >= 1.0 && b >= 1.0) {
        ga = g_value(bits, pa);
        gb = g_value(bits, pb);
        s = ga + gb;
        if (G_LIKELY(s > 0.0 && s < g_inf)) return ga / s;
        if (s > 0.0) return 1.0 / (1.0 + gb / ga); /* both huge */
        return 0.5;                                 /* both 0: exponential zeros */
    }
    ga = g_logvalue(bits, pa);
    gb = g_logvalue(bits, pb);
    s = gb - ga;
    if (s != s) return 0.5; /* both -inf (concentrations below ~1e-305) */
    x = 1.0 / (1.0 + nd_gamma_exp(s));
    return x;
}

/* ---- element-wise kernels ------------------------------------------------- */

/* words per element (hints for NumPy sources) */
#define GAMMA_WORDS 2.1
#define GAMMA_WORDS_SMALL 3.1

static const double g_one_d = 1.0;
static const float g_one_f = 1.0f;

/* The window walk for a constant concentration (kind GK_MT or GK_BMT; see the
 * top of this file). */
/* exact (double)(w >> 11) + 1, without an int64 -> double conversion */
static inline double gw_u53p1(uint64_t w)
{
    uint64_t t = w >> 11;
    double hi = nd_bits_to_dbl(UINT64_C(0x4330000000000000) | (t >> 26)) - 0x1p52;
    double lo = nd_bits_to_dbl(UINT64_C(0x4330000000000000) | (t & 0x3ffffff)) - 0x1p52;
    return (hi * 0x1p26 + lo) + 1.0;
}

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && \
    !defined(__clang__)
/* vector clones of the candidate passes (picked at run time; IEEE operations
 * only, no contraction: the same numbers on every level) */
#define G_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define G_CLONES
#endif

/* Candidate i of a window: the try whose normal is word w[S i] and whose
 * uniform is w[S i + 1] (S = 2, or 3 when boosting: the boost word follows).
 * ok[i]: the normal passed its rectangle test, v = 1 + c x > 0 and the uniform
 * passed the squeeze, i.e. the rule accepts this first try and val[i] = d v^3
 * is its value, computed with the rule's operations.  Everything else (about
 * 2-3% of the candidates: ziggurat slow path, squeeze failures) goes through
 * the scalar rule. */
#define GW_CAND 32       /* candidates per window */
#define GW_CAND_BOOST 24 /* when boosting: rejections (2 words) leave the 3-word grid */
#define GW_CAND_MAX (GW_CAND > GW_CAND_BOOST ? GW_CAND : GW_CAND_BOOST) /* buffer sizes */

#define GW_PASS1(name, S)                                                                    \
    G_CLONES static void name(const uint64_t *restrict w, intptr_t nc, double d, double c,   \
                              double *restrict val, int64_t *restrict ok)                    \
    {                                                                                        \
        const double q = 108.0 * d;                                                          \
        intptr_t i;                                                                          \
        for (i = 0; i < nc; i++) {                                                           \
            uint64_t wn = w[S * i], m = wn >> 12, j = wn & 0x1ff;                            \
            double x = (nd_bits_to_dbl(UINT64_C(0x4330000000000000) | m) - 0x1p52) * nd_zig_w64[j]; \
            double cx = c * x, v = 1.0 + cx, x2 = x * x, v3 = v * v * v;                     \
            double u = gw_u53p1(w[S * i + 1]) * 0x1p-53;                                     \
            int64_t rect = m < nd_zig_k64[j] ? 1 : 0;                                        \
            int64_t pos = v > 0.0 ? 1 : 0;                                                   \
            int64_t sq = x2 * x2 < (1.0 - u) * (q * (1.0 + (cx < 0.0 ? cx : 0.0))) ? 1 : 0;  \
            val[i] = d * v3;                                                                 \
            ok[i] = rect & pos & sq;                                                         \
        }                                                                                    \
    }
GW_PASS1(gw_pass1_2, 2)

/* The same pass with explicit vector code on x86-64 (GCC): the compiler's
 * clones above look the ziggurat tables up one lane at a time (16 scalar loads
 * and as many inserts per 8 candidates); these use gathers, and an exact int64
 * -> double conversion (m < 2^52, t < 2^53).  Same operations in the same
 * order, IEEE, no contraction: the same bits as gw_pass1_2.  The level is the
 * exponential fill's (nd_exponential_simd_level: the CPU's best, capped by
 * NUMDIST_SIMD_MAX). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define GW_X86 1
#include <immintrin.h>

__attribute__((target("avx512f,avx512dq,avx512vl"))) static void gw_pass1_512(
    const uint64_t *restrict w, intptr_t nc, double d, double c, double *restrict val, int64_t *restrict ok)
{
    const __m512i even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0), odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
    const __m512i m9 = _mm512_set1_epi64(0x1ff), one64 = _mm512_set1_epi64(1);
    const __m512d vc = _mm512_set1_pd(c), vd = _mm512_set1_pd(d), vq = _mm512_set1_pd(108.0 * d);
    const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd(), e53 = _mm512_set1_pd(0x1p-53);
    intptr_t i = 0;
    for (; i + 8 <= nc; i += 8) {
        __m512i A = _mm512_loadu_si512(w + 2 * i), B = _mm512_loadu_si512(w + 2 * i + 8);
        __m512i WN = _mm512_permutex2var_epi64(A, even, B), WU = _mm512_permutex2var_epi64(A, odd, B);
        __m512i M = _mm512_srli_epi64(WN, 12), J = _mm512_and_si512(WN, m9);
        __m512d tw = _mm512_i64gather_pd(J, nd_zig_w64, 8);
        __m512i tk = _mm512_i64gather_epi64(J, (const void *)nd_zig_k64, 8);
        __m512d x = _mm512_mul_pd(_mm512_cvtepi64_pd(M), tw);
        __m512d cx = _mm512_mul_pd(vc, x), v = _mm512_add_pd(one, cx), x2 = _mm512_mul_pd(x, x);
        __m512d v3 = _mm512_mul_pd(_mm512_mul_pd(v, v), v);
        __m512d u = _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(WU, 11)), one), e53);
        __m512d mn = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(cx, zero, _CMP_LT_OQ), zero, cx);
        __m512d rhs = _mm512_mul_pd(_mm512_sub_pd(one, u), _mm512_mul_pd(vq, _mm512_add_pd(one, mn)));
        __mmask8 okm = _mm512_cmp_epu64_mask(M, tk, _MM_CMPINT_LT) &
                       _mm512_cmp_pd_mask(v, zero, _CMP_GT_OQ) &
                       _mm512_cmp_pd_mask(_mm512_mul_pd(x2, x2), rhs, _CMP_LT_OQ);
        _mm512_storeu_pd(val + i, _mm512_mul_pd(vd, v3));
        _mm512_storeu_si512(ok + i, _mm512_maskz_mov_epi64(okm, one64));
    }
    if (i < nc) gw_pass1_2(w + 2 * i, nc - i, d, c, val + i, ok + i);
}

/* m < 2^52 (or t < 2^53) to double, exactly, without AVX-512DQ:
 * 2^52 + (m mod 2^52) minus 2^52, plus 2^52 again when bit 52 is set */
__attribute__((target("avx2"))) static inline __m256d gw_u2d_256(__m256i m)
{
    const __m256i lo52 = _mm256_set1_epi64x((long long)((UINT64_C(1) << 52) - 1));
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d two52 = _mm256_set1_pd(0x1p52);
    __m256d lo = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(m, lo52), magic)), two52);
    __m256i hi = _mm256_srli_epi64(m, 52); /* 0 or 1 */
    return _mm256_add_pd(lo, _mm256_and_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(hi, _mm256_set1_epi64x(1))), two52));
}

__attribute__((target("avx2"))) static void gw_pass1_256(
    const uint64_t *restrict w, intptr_t nc, double d, double c, double *restrict val, int64_t *restrict ok)
{
    const __m256i m9 = _mm256_set1_epi64x(0x1ff), one64 = _mm256_set1_epi64x(1), sb = _mm256_set1_epi64x(INT64_MIN);
    const __m256d vc = _mm256_set1_pd(c), vd = _mm256_set1_pd(d), vq = _mm256_set1_pd(108.0 * d);
    const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd(), e53 = _mm256_set1_pd(0x1p-53);
    intptr_t i = 0;
    for (; i + 4 <= nc; i += 4) {
        __m256i A = _mm256_loadu_si256((const __m256i *)(w + 2 * i)), B = _mm256_loadu_si256((const __m256i *)(w + 2 * i + 4));
        /* A = n0 u0 n1 u1, B = n2 u2 n3 u3 -> n0 n1 n2 n3, u0 u1 u2 u3 */
        __m256i L = _mm256_unpacklo_epi64(A, B), H = _mm256_unpackhi_epi64(A, B); /* n0 n2 n1 n3 / u0 u2 u1 u3 */
        __m256i WN = _mm256_permute4x64_epi64(L, 0xd8), WU = _mm256_permute4x64_epi64(H, 0xd8);
        __m256i M = _mm256_srli_epi64(WN, 12), J = _mm256_and_si256(WN, m9);
        __m256d tw = _mm256_i64gather_pd(nd_zig_w64, J, 8);
        __m256i tk = _mm256_i64gather_epi64((const long long *)nd_zig_k64, J, 8);
        __m256d x = _mm256_mul_pd(gw_u2d_256(M), tw);
        __m256d cx = _mm256_mul_pd(vc, x), v = _mm256_add_pd(one, cx), x2 = _mm256_mul_pd(x, x);
        __m256d v3 = _mm256_mul_pd(_mm256_mul_pd(v, v), v);
        __m256d u = _mm256_mul_pd(_mm256_add_pd(gw_u2d_256(_mm256_srli_epi64(WU, 11)), one), e53);
        __m256d mn = _mm256_blendv_pd(zero, cx, _mm256_cmp_pd(cx, zero, _CMP_LT_OQ));
        __m256d rhs = _mm256_mul_pd(_mm256_sub_pd(one, u), _mm256_mul_pd(vq, _mm256_add_pd(one, mn)));
        /* unsigned M < tk: both < 2^63 here (M < 2^52; k64 entries < 2^52) */
        __m256i rect = _mm256_cmpgt_epi64(_mm256_xor_si256(tk, sb), _mm256_xor_si256(M, sb));
        __m256d okd = _mm256_and_pd(_mm256_and_pd(_mm256_castsi256_pd(rect), _mm256_cmp_pd(v, zero, _CMP_GT_OQ)),
                                    _mm256_cmp_pd(_mm256_mul_pd(x2, x2), rhs, _CMP_LT_OQ));
        _mm256_storeu_pd(val + i, _mm256_mul_pd(vd, v3));
        _mm256_storeu_si256((__m256i *)(ok + i), _mm256_and_si256(_mm256_castpd_si256(okd), one64));
    }
    if (i < nc) gw_pass1_2(w + 2 * i, nc - i, d, c, val + i, ok + i);
}
#endif

/* gw_pass1_2 at the fill's SIMD level */
static void gw_pass1(int level, const uint64_t *w, intptr_t nc, double d, double c, double *val, int64_t *ok)
{
#ifdef GW_X86
    if (level >= 3) { gw_pass1_512(w, nc, d, c, val, ok); return; }
    if (level == 2) { gw_pass1_256(w, nc, d, c, val, ok); return; }
#endif
    (void)level;
    gw_pass1_2(w, nc, d, c, val, ok);
}


/* n draws of kind GK_MT (the values into z) or GK_BMT (the a + 1 draw into z,
 * the boost word into zw), exactly the scalar rule's numbers.  A window holds
 * the candidates at word offsets 0, S, 2S, ... from the stream's position;
 * they are taken in order while they pass; a try that does not is resolved by
 * the scalar rule, and if that ends a multiple of S words further, the walk
 * goes on with the window's candidates, else a new window starts there. */
static void gw_fill(nd_bits_t *bits, intptr_t n, double *z, uint64_t *zw, const gprm *p)
{
    double val[GW_CAND_MAX];
    int64_t ok[GW_CAND_MAX];
    uint64_t wd[2 * GW_CAND_MAX];
    const int boost = p->kind == GK_BMT;
    const intptr_t S = boost ? 3 : 2;
    const double d = p->d, c = p->c;
    const int level = nd_exponential_simd_level();
    intptr_t k = 0;
    while (k < n) {
        const uint64_t *w;
        intptr_t nc, i = 0, t;
        if (bits->pos == bits->end) nd_bits_refill(bits);
        nc = (bits->end - bits->pos) / S;
        if (bits->xo == NULL || nc < 1) {
            /* a NumPy source (refills are not counted) or the end of a block */
            z[k] = mt_draw(bits, d, c);
            if (boost) zw[k] = nd_bits_next64(bits);
            k++;
            continue;
        }
        w = bits->pos;
        if (nc > (boost ? GW_CAND_BOOST : GW_CAND)) nc = boost ? GW_CAND_BOOST : GW_CAND;
        if (nc > n - k) nc = n - k;
        if (S == 2) {
            gw_pass1(level, w, nc, d, c, val, ok);
        } else { /* deinterleave first: contiguous loads vectorise without gathers */
            intptr_t ii;
            for (ii = 0; ii < nc; ii++) { wd[2 * ii] = w[3 * ii]; wd[2 * ii + 1] = w[3 * ii + 1]; }
            gw_pass1(level, wd, nc, d, c, val, ok);
        }
        while (k < n && i < nc) {
            if (G_LIKELY(ok[i])) {
                z[k] = val[i];
                if (boost) zw[k] = w[S * i + 2];
                i++;
                k++;
            } else {
                uint64_t blk = bits->xo->counter;
                bits->pos = (uint64_t *)w + S * i;
                z[k] = mt_draw(bits, d, c);
                if (boost) zw[k] = nd_bits_next64(bits);
                k++;
                if (bits->xo->counter != blk) goto next_window; /* refilled: w is stale */
                t = bits->pos - w;
                if (t % S != 0) goto next_window; /* off the candidates' grid */
                i = t / S;
            }
        }
        bits->pos = (uint64_t *)w + S * i;
    next_window:;
    }
}

/* boosting: z[k] = z[k] exp(log(u_k) ia) (log_ = 0) or log z[k] + log(u_k) ia, ia = 1/a,
 * u_k = nd_u01_oc(zw[k]) */
G_CLONES static void g_boost_pass_c(double *z, const uint64_t *zw, intptr_t c, double ia, int log_)
{
    intptr_t k;
    if (log_) {
        for (k = 0; k < c; k++) {
            double g = z[k], lu = nd_log_pos(gw_u53p1(zw[k]) * 0x1p-53) * ia;
            double lg = nd_log_pos(g);
            z[k] = (g > 0.0 ? lg : -g_inf) + lu;
        }
    } else {
        for (k = 0; k < c; k++)
            z[k] = z[k] * nd_gamma_exp(nd_log_pos(gw_u53p1(zw[k]) * 0x1p-53) * ia);
    }
}

#ifdef GW_X86
/* nd_log_pos and nd_gamma_exp on vectors: the scalar functions' operations in
 * their order (ndmath.h, gamma.h), so the same bits.  GCC does not vectorise
 * the scalar loop above (the clamps and the integer work on exponents). */
#define GW_LOG_POLY(V, MUL, ADD, z) \
    MUL(z, ADD(V(0x1.5555555555555p-1), MUL(z, ADD(V(0x1.999999999999ap-2), MUL(z, \
    ADD(V(0x1.2492492492492p-2), MUL(z, ADD(V(0x1.c71c71c71c71cp-3), MUL(z, \
    ADD(V(0x1.745d1745d1746p-3), MUL(z, ADD(V(0x1.3b13b13b13b14p-3), MUL(z, \
    ADD(V(0x1.1111111111111p-3), MUL(z, ADD(V(0x1.e1e1e1e1e1e1ep-4), MUL(z, \
    ADD(V(0x1.af286bca1af28p-4), MUL(z, V(0x1.8618618618618p-4))))))))))))))))))))
#define GW_EXP_POLY(V, MUL, ADD, r) \
    ADD(V(1.0), MUL(r, ADD(V(1.0), MUL(r, ADD(V(1.0 / 2), MUL(r, ADD(V(1.0 / 6), MUL(r, \
    ADD(V(1.0 / 24), MUL(r, ADD(V(1.0 / 120), MUL(r, ADD(V(1.0 / 720), MUL(r, \
    ADD(V(1.0 / 5040), MUL(r, ADD(V(1.0 / 40320), MUL(r, ADD(V(1.0 / 362880), MUL(r, \
    ADD(V(1.0 / 3628800), MUL(r, ADD(V(1.0 / 39916800), MUL(r, ADD(V(1.0 / 479001600), \
    MUL(r, V(1.0 / 6227020800.0)))))))))))))))))))))))))))

#define GW512_T __attribute__((target("avx512f,avx512dq,avx512vl")))
#define V8(x) _mm512_set1_pd(x)
#define I8(x) _mm512_set1_epi64((long long)(x))

GW512_T static inline __m512d gw_log512(__m512d x)
{
    __m512i ix = _mm512_add_epi64(_mm512_castpd_si512(x), I8(UINT64_C(0x3ff0000000000000) - UINT64_C(0x3fe6a09e667f3bcd)));
    __m512d dk = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(I8(0x4330000000000000), _mm512_srli_epi64(ix, 52))),
                               V8(0x1p52 + 1023.0));
    __m512d f, hf, sv, z, R;
    ix = _mm512_add_epi64(_mm512_and_si512(ix, I8(0x000fffffffffffff)), I8(0x3fe6a09e667f3bcd));
    f = _mm512_sub_pd(_mm512_castsi512_pd(ix), V8(1.0));
    hf = _mm512_mul_pd(_mm512_mul_pd(V8(0.5), f), f);
    sv = _mm512_div_pd(f, _mm512_add_pd(V8(2.0), f));
    z = _mm512_mul_pd(sv, sv);
    R = GW_LOG_POLY(V8, _mm512_mul_pd, _mm512_add_pd, z);
    return _mm512_sub_pd(_mm512_mul_pd(dk, V8(ND_LN2_HI)),
                         _mm512_sub_pd(_mm512_sub_pd(hf, _mm512_add_pd(_mm512_mul_pd(sv, _mm512_add_pd(hf, R)),
                                                                       _mm512_mul_pd(dk, V8(ND_LN2_LO)))),
                                       f));
}

GW512_T static inline __m512d gw_exp512(__m512d y)
{
    __m512d t, k, r, pl, s1, s2;
    __m512i ki, k1;
    y = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(y, V8(710.0), _CMP_GT_OQ), y, V8(710.0));
    y = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(y, V8(-746.0), _CMP_LT_OQ), y, V8(-746.0));
    t = _mm512_add_pd(_mm512_mul_pd(y, V8(0x1.71547652b82fep0)), V8(0x1.8p52));
    k = _mm512_sub_pd(t, V8(0x1.8p52));
    r = _mm512_sub_pd(_mm512_sub_pd(y, _mm512_mul_pd(k, V8(ND_LN2_HI))), _mm512_mul_pd(k, V8(ND_LN2_LO)));
    pl = GW_EXP_POLY(V8, _mm512_mul_pd, _mm512_add_pd, r);
    ki = _mm512_add_epi64(_mm512_sub_epi64(_mm512_castpd_si512(t), I8(nd_dbl_to_bits(0x1.8p52))), I8(2048));
    k1 = _mm512_srli_epi64(ki, 1);
    s1 = _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(k1, I8(-1024 + 1023)), 52));
    s2 = _mm512_castsi512_pd(_mm512_slli_epi64(_mm512_add_epi64(_mm512_sub_epi64(ki, k1), I8(-1024 + 1023)), 52));
    return _mm512_mul_pd(_mm512_mul_pd(pl, s1), s2);
}

GW512_T static void g_boost_pass_512(double *z, const uint64_t *zw, intptr_t c, double ia, int log_)
{
    const __m512d via = V8(ia), e53 = V8(0x1p-53);
    intptr_t k = 0;
    /* four independent vectors per step: the polynomials are long dependent
     * chains, so one vector at a time leaves the units idle */
    for (; !log_ && k + 32 <= c; k += 32) {
        __m512d u[4], lu[4], e[4];
        int q;
        for (q = 0; q < 4; q++)
            u[q] = _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(
                       _mm512_loadu_si512(zw + k + 8 * q), 11)), V8(1.0)), e53);
        for (q = 0; q < 4; q++) lu[q] = _mm512_mul_pd(gw_log512(u[q]), via);
        for (q = 0; q < 4; q++) e[q] = gw_exp512(lu[q]);
        for (q = 0; q < 4; q++) _mm512_storeu_pd(z + k + 8 * q, _mm512_mul_pd(_mm512_loadu_pd(z + k + 8 * q), e[q]));
    }
    for (; k + 8 <= c; k += 8) {
        __m512d u = _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(_mm512_loadu_si512(zw + k), 11)),
                                                V8(1.0)), e53);
        __m512d lu = _mm512_mul_pd(gw_log512(u), via), g = _mm512_loadu_pd(z + k);
        if (log_) {
            __m512d lg = gw_log512(g);
            lg = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(g, _mm512_setzero_pd(), _CMP_GT_OQ), V8(-g_inf), lg);
            _mm512_storeu_pd(z + k, _mm512_add_pd(lg, lu));
        } else {
            _mm512_storeu_pd(z + k, _mm512_mul_pd(g, gw_exp512(lu)));
        }
    }
    if (k < c) g_boost_pass_c(z + k, zw + k, c - k, ia, log_);
}
/* the boosts of varying concentrations: z[k] = z[k] exp(log(u_k) ia[k]),
 * u_k = nd_u01_oc(zw[k]) (as g_value) */
GW512_T static void g_boost_vary_512(double *z, const uint64_t *zw, const double *ia, intptr_t c)
{
    const __m512d e53 = V8(0x1p-53);
    intptr_t k = 0;
    for (; k + 16 <= c; k += 16) {
        __m512d u[2], lu[2], e[2];
        int q;
        for (q = 0; q < 2; q++)
            u[q] = _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(
                       _mm512_loadu_si512(zw + k + 8 * q), 11)), V8(1.0)), e53);
        for (q = 0; q < 2; q++) lu[q] = _mm512_mul_pd(gw_log512(u[q]), _mm512_loadu_pd(ia + k + 8 * q));
        for (q = 0; q < 2; q++) e[q] = gw_exp512(lu[q]);
        for (q = 0; q < 2; q++) _mm512_storeu_pd(z + k + 8 * q, _mm512_mul_pd(_mm512_loadu_pd(z + k + 8 * q), e[q]));
    }
    for (; k < c; k++) z[k] = z[k] * nd_gamma_exp(nd_log_pos(nd_u01_oc(zw[k])) * ia[k]);
}
#undef V8
#undef I8

#define GW256_T __attribute__((target("avx2")))
#define V4(x) _mm256_set1_pd(x)
#define I4(x) _mm256_set1_epi64x((long long)(x))

GW256_T static inline __m256d gw_log256(__m256d x)
{
    __m256i ix = _mm256_add_epi64(_mm256_castpd_si256(x), I4(UINT64_C(0x3ff0000000000000) - UINT64_C(0x3fe6a09e667f3bcd)));
    __m256d dk = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(I4(0x4330000000000000), _mm256_srli_epi64(ix, 52))),
                               V4(0x1p52 + 1023.0));
    __m256d f, hf, sv, z, R;
    ix = _mm256_add_epi64(_mm256_and_si256(ix, I4(0x000fffffffffffff)), I4(0x3fe6a09e667f3bcd));
    f = _mm256_sub_pd(_mm256_castsi256_pd(ix), V4(1.0));
    hf = _mm256_mul_pd(_mm256_mul_pd(V4(0.5), f), f);
    sv = _mm256_div_pd(f, _mm256_add_pd(V4(2.0), f));
    z = _mm256_mul_pd(sv, sv);
    R = GW_LOG_POLY(V4, _mm256_mul_pd, _mm256_add_pd, z);
    return _mm256_sub_pd(_mm256_mul_pd(dk, V4(ND_LN2_HI)),
                         _mm256_sub_pd(_mm256_sub_pd(hf, _mm256_add_pd(_mm256_mul_pd(sv, _mm256_add_pd(hf, R)),
                                                                       _mm256_mul_pd(dk, V4(ND_LN2_LO)))),
                                       f));
}

GW256_T static inline __m256d gw_exp256(__m256d y)
{
    __m256d t, k, r, pl, s1, s2;
    __m256i ki, k1;
    y = _mm256_blendv_pd(y, V4(710.0), _mm256_cmp_pd(y, V4(710.0), _CMP_GT_OQ));
    y = _mm256_blendv_pd(y, V4(-746.0), _mm256_cmp_pd(y, V4(-746.0), _CMP_LT_OQ));
    t = _mm256_add_pd(_mm256_mul_pd(y, V4(0x1.71547652b82fep0)), V4(0x1.8p52));
    k = _mm256_sub_pd(t, V4(0x1.8p52));
    r = _mm256_sub_pd(_mm256_sub_pd(y, _mm256_mul_pd(k, V4(ND_LN2_HI))), _mm256_mul_pd(k, V4(ND_LN2_LO)));
    pl = GW_EXP_POLY(V4, _mm256_mul_pd, _mm256_add_pd, r);
    ki = _mm256_add_epi64(_mm256_sub_epi64(_mm256_castpd_si256(t), I4(nd_dbl_to_bits(0x1.8p52))), I4(2048));
    k1 = _mm256_srli_epi64(ki, 1);
    s1 = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(k1, I4(-1024 + 1023)), 52));
    s2 = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(_mm256_sub_epi64(ki, k1), I4(-1024 + 1023)), 52));
    return _mm256_mul_pd(_mm256_mul_pd(pl, s1), s2);
}

GW256_T static void g_boost_pass_256(double *z, const uint64_t *zw, intptr_t c, double ia, int log_)
{
    const __m256d via = V4(ia), e53 = V4(0x1p-53);
    intptr_t k = 0;
    for (; !log_ && k + 16 <= c; k += 16) { /* as g_boost_pass_512 */
        __m256d u[4], lu[4], e[4];
        int q;
        for (q = 0; q < 4; q++)
            u[q] = _mm256_mul_pd(_mm256_add_pd(gw_u2d_256(_mm256_srli_epi64(
                       _mm256_loadu_si256((const __m256i *)(zw + k + 4 * q)), 11)), V4(1.0)), e53);
        for (q = 0; q < 4; q++) lu[q] = _mm256_mul_pd(gw_log256(u[q]), via);
        for (q = 0; q < 4; q++) e[q] = gw_exp256(lu[q]);
        for (q = 0; q < 4; q++) _mm256_storeu_pd(z + k + 4 * q, _mm256_mul_pd(_mm256_loadu_pd(z + k + 4 * q), e[q]));
    }
    for (; k + 4 <= c; k += 4) {
        __m256d u = _mm256_mul_pd(_mm256_add_pd(gw_u2d_256(_mm256_srli_epi64(_mm256_loadu_si256((const __m256i *)(zw + k)), 11)),
                                                V4(1.0)), e53);
        __m256d lu = _mm256_mul_pd(gw_log256(u), via), g = _mm256_loadu_pd(z + k);
        if (log_) {
            __m256d lg = gw_log256(g);
            lg = _mm256_blendv_pd(V4(-g_inf), lg, _mm256_cmp_pd(g, _mm256_setzero_pd(), _CMP_GT_OQ));
            _mm256_storeu_pd(z + k, _mm256_add_pd(lg, lu));
        } else {
            _mm256_storeu_pd(z + k, _mm256_mul_pd(g, gw_exp256(lu)));
        }
    }
    if (k < c) g_boost_pass_c(z + k, zw + k, c - k, ia, log_);
}
#undef V4
#undef I4
#endif

/* boosting at the fill's SIMD level.  The vector code only where exp(log(u) ia)
 * stays a normal number (log(u) >= -36.74, so ia < 19, a > 0.053): below that
 * its subnormal results make every vector operation a microcode assist, and
 * the scalar loop is faster (same numbers either way). */
static void g_boost_pass(double *z, const uint64_t *zw, intptr_t c, double ia, int log_)
{
#ifdef GW_X86
    int level = log_ || ia < 19.0 ? nd_exponential_simd_level() : 0;
    if (level >= 3) { g_boost_pass_512(z, zw, c, ia, log_); return; }
    if (level == 2) { g_boost_pass_256(z, zw, c, ia, log_); return; }
#endif
    g_boost_pass_c(z, zw, c, ia, log_);
}

G_CLONES static void g_log_pass(double *z, intptr_t c)
{
    intptr_t k;
    for (k = 0; k < c; k++) {
        double g = z[k], lg = nd_log_pos(g);
        z[k] = g > 0.0 ? lg : -g_inf;
    }
}

/* Fill z[0..c) with G(a) (log = 0) or log G(a) (log = 1) for one constant a. */
static void gamma_const(nd_bits_t *bits, intptr_t c, double *z, const gprm *p, int log_)
{
    intptr_t k;
    uint64_t zw[EW_CHUNK];
    switch (p->kind) {
    case GK_BAD:
    case GK_INF:
        for (k = 0; k < c; k++) z[k] = p->kind == GK_BAD ? g_nan : g_inf;
        return;
    case GK_EXP:
        nd_exponential_fill(bits, c, z, 0);
        if (log_) g_log_pass(z, c);
        return;
    case GK_BEXP:
        for (k = 0; k < c; k++) z[k] = log_ ? g_logvalue(bits, p) : g_value(bits, p);
        return;
    case GK_MT:
        gw_fill(bits, c, z, NULL, p);
        if (log_) g_log_pass(z, c);
        return;
    default: /* GK_BMT */
        gw_fill(bits, c, z, zw, p);
        g_boost_pass(z, zw, c, p->ia, log_);
        return;
    }
}

/* ---- varying concentrations ------------------------------------------------
 * The same idea as gw_fill with a parameter per element: in a window of
 * elements k, k+1, ..., element i's first try is assumed to start at word
 * off[i] (off[i+1] = off[i] + 2, or + 3 when boosting: the boost word follows
 * the uniform); a vector pass tests every first try (per-lane d, c), and the
 * walk takes the elements whose first try the rule accepts; anything else
 * (other kinds: a == 1, a + 1 == 1, bad or infinite a; rejections) goes
 * through the scalar rule from off[i], and the walk continues if the rule
 * ended at off[i+1], else from a new window.  The boost of the elements with
 * a < 1 is applied afterwards (scalar, element by element).  Same words and
 * numbers as the element-by-element rule (test_gamma checks). */
#define GV_CAND 32

G_CLONES static void gv_pass1_c(const uint64_t *restrict w, intptr_t nc, const double *restrict dv,
                                const double *restrict cv, double *restrict val, int64_t *restrict ok)
{
    intptr_t i;
    for (i = 0; i < nc; i++) {
        uint64_t wn = w[2 * i], m = wn >> 12, j = wn & 0x1ff;
        double d = dv[i], c = cv[i], q = 108.0 * d;
        double x = (nd_bits_to_dbl(UINT64_C(0x4330000000000000) | m) - 0x1p52) * nd_zig_w64[j];
        double cx = c * x, v = 1.0 + cx, x2 = x * x, v3 = v * v * v;
        double u = gw_u53p1(w[2 * i + 1]) * 0x1p-53;
        int64_t rect = m < nd_zig_k64[j] ? 1 : 0;
        int64_t pos = v > 0.0 ? 1 : 0;
        int64_t sq = x2 * x2 < (1.0 - u) * (q * (1.0 + (cx < 0.0 ? cx : 0.0))) ? 1 : 0;
        val[i] = d * v3;
        ok[i] = rect & pos & sq;
    }
}

#ifdef GW_X86
__attribute__((target("avx512f,avx512dq,avx512vl"))) static void gv_pass1_512(
    const uint64_t *restrict w, intptr_t nc, const double *restrict dv, const double *restrict cv,
    double *restrict val, int64_t *restrict ok)
{
    const __m512i even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0), odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
    const __m512i m9 = _mm512_set1_epi64(0x1ff), one64 = _mm512_set1_epi64(1);
    const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd(), e53 = _mm512_set1_pd(0x1p-53);
    intptr_t i = 0;
    for (; i + 8 <= nc; i += 8) {
        __m512i A = _mm512_loadu_si512(w + 2 * i), B = _mm512_loadu_si512(w + 2 * i + 8);
        __m512i WN = _mm512_permutex2var_epi64(A, even, B), WU = _mm512_permutex2var_epi64(A, odd, B);
        __m512i M = _mm512_srli_epi64(WN, 12), J = _mm512_and_si512(WN, m9);
        __m512d vd = _mm512_loadu_pd(dv + i), vc = _mm512_loadu_pd(cv + i);
        __m512d vq = _mm512_mul_pd(_mm512_set1_pd(108.0), vd);
        __m512d tw = _mm512_i64gather_pd(J, nd_zig_w64, 8);
        __m512i tk = _mm512_i64gather_epi64(J, (const void *)nd_zig_k64, 8);
        __m512d x = _mm512_mul_pd(_mm512_cvtepi64_pd(M), tw);
        __m512d cx = _mm512_mul_pd(vc, x), v = _mm512_add_pd(one, cx), x2 = _mm512_mul_pd(x, x);
        __m512d v3 = _mm512_mul_pd(_mm512_mul_pd(v, v), v);
        __m512d u = _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(WU, 11)), one), e53);
        __m512d mn = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(cx, zero, _CMP_LT_OQ), zero, cx);
        __m512d rhs = _mm512_mul_pd(_mm512_sub_pd(one, u), _mm512_mul_pd(vq, _mm512_add_pd(one, mn)));
        __mmask8 okm = _mm512_cmp_epu64_mask(M, tk, _MM_CMPINT_LT) &
                       _mm512_cmp_pd_mask(v, zero, _CMP_GT_OQ) &
                       _mm512_cmp_pd_mask(_mm512_mul_pd(x2, x2), rhs, _CMP_LT_OQ);
        _mm512_storeu_pd(val + i, _mm512_mul_pd(vd, v3));
        _mm512_storeu_si512(ok + i, _mm512_maskz_mov_epi64(okm, one64));
    }
    if (i < nc) gv_pass1_c(w + 2 * i, nc - i, dv + i, cv + i, val + i, ok + i);
}
#endif

/* d and c of Marsaglia-Tsang for each a (of a + 1 when a < 1), as gprm_of (a
 * loop of its own, so that it vectorises: sqrt and division are IEEE) */
G_CLONES static void gv_params(const double *restrict a, intptr_t c, double *restrict dv, double *restrict cv)
{
    intptr_t j;
    for (j = 0; j < c; j++) {
        double aj = a[j], m = aj < 1.0 ? aj + 1.0 : aj, d = m - 1.0 / 3.0;
        dv[j] = d;
        cv[j] = 1.0 / (3.0 * sqrt(d));
    }
}

/* c draws for the concentrations a[0..c) into z (c <= EW_CHUNK) */
static void gamma_vary(nd_bits_t *bits, intptr_t c, const double *a, double *z)
{
    double dv[EW_CHUNK], cv[EW_CHUNK], val[GV_CAND];
    int64_t ok[GV_CAND];
    uint64_t wd[2 * GV_CAND], zb[EW_CHUNK];
    uint8_t kind[EW_CHUNK]; /* 0 the scalar rule, 1 Marsaglia-Tsang, 2 boosted */
    intptr_t off[GV_CAND + 1], k, j;
    const int level = nd_exponential_simd_level();
    gv_params(a, c, dv, cv);
    for (j = 0; j < c; j++) {
        double aj = a[j], m = aj < 1.0 ? aj + 1.0 : aj;
        kind[j] = (uint8_t)(((aj > 0.0) & (aj < g_inf) & (aj != 1.0) & (m != 1.0)) * (1 + (aj < 1.0)));
    }
    k = 0;
    while (k < c) {
        const uint64_t *w;
        intptr_t nc, cnt, i, t;
        if (bits->pos == bits->end) nd_bits_refill(bits);
        cnt = bits->end - bits->pos;
        w = bits->pos;
        nc = c - k < GV_CAND ? c - k : GV_CAND;
        off[0] = 0;
        for (i = 0; i < nc; i++) off[i + 1] = off[i] + (kind[k + i] == 2 ? 3 : 2);
        while (nc > 0 && off[nc] > cnt) nc--;
        if (bits->xo == NULL || nc == 0) {
            /* a NumPy source, or the end of a block: one element by the rule */
            gprm pp = gprm_of(a[k]);
            if (kind[k] == 0) {
                z[k] = g_value(bits, &pp);
            } else {
                z[k] = mt_draw(bits, pp.d, pp.c);
                if (kind[k] == 2) zb[k] = nd_bits_next64(bits);
            }
            k++;
            continue;
        }
        for (i = 0; i < nc; i++) {
            wd[2 * i] = w[off[i]];
            wd[2 * i + 1] = w[off[i] + 1];
        }
#ifdef GW_X86
        if (level >= 3) gv_pass1_512(wd, nc, dv + k, cv + k, val, ok);
        else
#endif
            gv_pass1_c(wd, nc, dv + k, cv + k, val, ok);
        (void)level;
        i = 0;
        while (i < nc) {
            if (G_LIKELY(ok[i] & (kind[k] != 0))) {
                z[k] = val[i];
                if (kind[k] == 2) zb[k] = w[off[i] + 2];
            } else {
                uint64_t blk = bits->xo->counter;
                bits->pos = (uint64_t *)w + off[i];
                if (kind[k] == 0) {
                    gprm pp = gprm_of(a[k]);
                    z[k] = g_value(bits, &pp);
                } else {
                    z[k] = mt_draw(bits, dv[k], cv[k]);
                    if (kind[k] == 2) zb[k] = nd_bits_next64(bits);
                }
                if (bits->xo->counter != blk) { k++; goto next_window; } /* refilled: w is stale */
                t = bits->pos - w;
                if (t != off[i + 1]) { k++; goto next_window; } /* off the window's grid */
            }
            i++;
            k++;
        }
        bits->pos = (uint64_t *)w + off[i];
    next_window:;
    }
    /* the boosts: g exp(log(u) / a), as g_value; gathered, in vectors where
     * the results stay normal (1/a < 19, as g_boost_pass) */
    {
        /* dv and cv are free now: the values and 1/a of the boosted elements;
         * their words compacted in zb (nb <= j) */
        double *bz = dv, *bia = cv, maxia = 0.0;
        uint16_t bidx[EW_CHUNK];
        intptr_t nb = 0, e;
        for (j = 0; j < c; j++) {
            if (kind[j] != 2) continue;
            bidx[nb] = (uint16_t)j;
            bz[nb] = z[j];
            zb[nb] = zb[j];
            bia[nb] = 1.0 / a[j];
            maxia = bia[nb] > maxia ? bia[nb] : maxia;
            nb++;
        }
#ifdef GW_X86
        if (level >= 3 && maxia < 19.0) g_boost_vary_512(bz, zb, bia, nb);
        else
#endif
            for (e = 0; e < nb; e++) bz[e] = bz[e] * nd_gamma_exp(nd_log_pos(nd_u01_oc(zb[e])) * bia[e]);
        for (e = 0; e < nb; e++) z[bidx[e]] = bz[e];
    }
}

/* Do the byte ranges of n elements of out (stride os) and p0 (stride s0) miss
 * each other?  (Then a piece of parameters can be read before its outputs
 * are written, as the element order would.) */
static int ew_disjoint_runs(const char *out, intptr_t os, const char *p0, intptr_t s0, intptr_t n, size_t esz)
{
    uintptr_t o0 = (uintptr_t)out, p = (uintptr_t)p0, o1, p1;
    if (n <= 0) return 1;
    if (os < 0) o0 -= (uintptr_t)(-os) * (uintptr_t)(n - 1);
    o1 = o0 + (uintptr_t)(os < 0 ? -os : os) * (uintptr_t)(n - 1) + esz;
    if (s0 < 0) p -= (uintptr_t)(-s0) * (uintptr_t)(n - 1);
    p1 = p + (uintptr_t)(s0 < 0 ? -s0 : s0) * (uintptr_t)(n - 1) + esz;
    return o1 <= p || p1 <= o0;
}

/* out[k] = F(bits, p0[k], p1[k], &pa, &pb) in element order, pa / pb the
 * gprm of PA(p0[k]) / p1[k], recomputed only when a parameter changes;
 * parameters are read before the element's output is written (out may be a
 * parameter). */
#define G_KERNEL_SCALAR(fname, T, F, PA, D0, WORDS)                                       \
    void fname(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,       \
               intptr_t s0, const char *p1, intptr_t s1)                                  \
    {                                                                                     \
        intptr_t i;                                                                       \
        double la = g_nan, lb = g_nan;                                                    \
        gprm pa = gprm_of(g_nan), pb = gprm_of(g_nan);                                    \
        if (n <= 0) return;                                                               \
        nd_bits_expect(bits, (size_t)((double)n * (WORDS)) + 1);                          \
        ew_default(&p0, &s0, D0);                                                         \
        ew_default(&p1, &s1, D0);                                                         \
        for (i = 0; i < n; i++) {                                                         \
            double a = (double)EW_AT(T, p0, i * s0), b = (double)EW_AT(T, p1, i * s1);    \
            if (!(a == la)) { la = a; pa = gprm_of(PA); }                                  \
            if (!(b == lb)) { lb = b; pb = gprm_of(b); }                                   \
            EW_OUT(T, out, i * os) = (T)F(bits, a, &pa, &pb, b);                          \
        }                                                                                 \
    }

#define G_T(bits, a, pa, pb, b) t_value(bits, a, pa, pb)
#define G_BETA(bits, a, pa, pb, b) beta_value(bits, a, b, pa, pb)

/* gamma / log gamma: a constant concentration goes through gamma_const in
 * pieces of EW_CHUNK; varying ones element by element. */
#define G_KERNEL_GAMMA(fname, T, LOG, SCALE)                                              \
    void fname(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,       \
               intptr_t s0, const char *p1, intptr_t s1)                                  \
    {                                                                                     \
        intptr_t i;                                                                       \
        (void)p1; (void)s1;                                                               \
        if (n <= 0) return;                                                               \
        ew_default(&p0, &s0, sizeof(T) == 8 ? (const void *)&g_one_d : (const void *)&g_one_f); \
        if (s0 == 0) {                                                                    \
            double a0 = (double)EW_AT(T, p0, 0) * (SCALE);                                \
            gprm p = gprm_of(a0);                                                         \
            double buf[EW_CHUNK];                                                         \
            nd_bits_expect(bits, (size_t)((double)n * (a0 < 1 ? GAMMA_WORDS_SMALL : GAMMA_WORDS)) + 1); \
            while (n > 0) {                                                               \
                intptr_t c = n < EW_CHUNK ? n : EW_CHUNK, k;                              \
                /* contiguous float64 output: drawn in place (a0 was read first) */       \
                double *z = sizeof(T) == 8 && os == 8 ? (double *)(void *)out : buf;      \
                gamma_const(bits, c, z, &p, LOG);                                         \
                if ((void *)z != (void *)out || (SCALE) != 1.0)                           \
                    for (k = 0; k < c; k++) EW_OUT(T, out, k * os) = (T)(z[k] / (SCALE)); \
                out += c * os;                                                            \
                n -= c;                                                                   \
            }                                                                             \
            return;                                                                       \
        }                                                                                 \
        nd_bits_expect(bits, (size_t)((double)n * GAMMA_WORDS_SMALL) + 1);                \
        if (!(LOG) && bits->xo != NULL &&                                                 \
            (((const char *)out == p0 && os == s0 && sizeof(T) == sizeof(double)) ||     \
             ew_disjoint_runs(out, os, p0, s0, n, sizeof(T)))) {                          \
            /* windows of first tries, parameters of a piece read before its output */   \
            double av[EW_CHUNK], zv[EW_CHUNK];                                            \
            while (n > 0) {                                                               \
                intptr_t c = n < EW_CHUNK ? n : EW_CHUNK, k;                              \
                for (k = 0; k < c; k++) av[k] = (double)EW_AT(T, p0, k * s0) * (SCALE);   \
                gamma_vary(bits, c, av, zv);                                              \
                for (k = 0; k < c; k++) EW_OUT(T, out, k * os) = (T)(zv[k] / (SCALE));    \
                out += c * os;                                                            \
                p0 += c * s0;                                                             \
                n -= c;                                                                   \
            }                                                                             \
            return;                                                                       \
        }                                                                                 \
        for (i = 0; i < n; i++) {                                                         \
            double a = (double)EW_AT(T, p0, i * s0) * (SCALE);                            \
            gprm p = gprm_of(a);                                                          \
            double r;                                                                     \
            r = LOG ? g_logvalue(bits, &p) : g_value(bits, &p);                           \
            EW_OUT(T, out, i * os) = (T)(r / (SCALE));                                    \
        }                                                                                 \
    }

G_KERNEL_GAMMA(nd_ew_standard_gamma_f64, double, 0, 1.0)
G_KERNEL_GAMMA(nd_ew_standard_gamma_f32, float, 0, 1.0)
G_KERNEL_GAMMA(nd_ew_log_standard_gamma_f64, double, 1, 1.0)
G_KERNEL_GAMMA(nd_ew_log_standard_gamma_f32, float, 1, 1.0)
/* chisquare: 2 G(df/2) = G(df * 0.5) / 0.5 (exact scaling by powers of two) */
G_KERNEL_GAMMA(nd_ew_chisquare_f64, double, 0, 0.5)
G_KERNEL_GAMMA(nd_ew_chisquare_f32, float, 0, 0.5)

G_KERNEL_SCALAR(nd_ew_standard_t_f64, double, G_T, 0.5 * a, &g_one_d, GAMMA_WORDS + 1.0125)
G_KERNEL_SCALAR(nd_ew_standard_t_f32, float, G_T, 0.5 * a, &g_one_f, GAMMA_WORDS + 1.0125)
G_KERNEL_SCALAR(nd_ew_beta_f64, double, G_BETA, a, &g_one_d, 2 * GAMMA_WORDS)
G_KERNEL_SCALAR(nd_ew_beta_f32, float, G_BETA, a, &g_one_f, 2 * GAMMA_WORDS)

/* ---- Dirichlet ------------------------------------------------------------ */

/* One row: alpha via a(k) (double), the K draws into z[k * zs] (doubles),
 * normalised in place. */
#define DIR_ROW(AK)                                                                      \
    do {                                                                                 \
        int bad = 0, small = 0;                                                          \
        intptr_t k;                                                                      \
        for (k = 0; k < K; k++) {                                                        \
            double a_ = (AK);                                                            \
            bad |= !(a_ > 0.0 && a_ < g_inf);                                            \
            small |= a_ < 1.0;                                                           \
        }                                                                                \
        if (bad) {                                                                       \
            for (k = 0; k < K; k++) Z(k) = g_nan;                                        \
        } else if (!small) {                                                             \
            double s = 0.0;                                                              \
            for (k = 0; k < K; k++) {                                                    \
                gprm p = gprm_of(AK);                                                    \
                double g = g_value(bits, &p);                                            \
                Z(k) = g;                                                                \
                s += g;                                                                  \
            }                                                                            \
            if (G_LIKELY(s > 0.0 && s < g_inf)) {                                        \
                for (k = 0; k < K; k++) Z(k) = Z(k) / s;                                 \
            } else {                                                                     \
                double mx = 0.0;                                                         \
                for (k = 0; k < K; k++) mx = Z(k) > mx ? Z(k) : mx;                      \
                if (mx > 0.0) {                                                          \
                    s = 0.0;                                                             \
                    for (k = 0; k < K; k++) s += Z(k) / mx;                              \
                    for (k = 0; k < K; k++) Z(k) = (Z(k) / mx) / s;                      \
                } else {                                                                 \
                    for (k = 0; k < K; k++) Z(k) = 1.0 / (double)K;                      \
                }                                                                        \
            }                                                                            \
        } else {                                                                         \
            double mx = -g_inf, s = 0.0;                                                 \
            for (k = 0; k < K; k++) {                                                    \
                gprm p = gprm_of(AK);                                                    \
                double l = g_logvalue(bits, &p);                                         \
                Z(k) = l;                                                                \
                mx = l > mx ? l : mx;                                                    \
            }                                                                            \
            if (mx > -g_inf) {                                                           \
                for (k = 0; k < K; k++) {                                                \
                    double e = nd_gamma_exp(Z(k) - mx);                                  \
                    Z(k) = e;                                                            \
                    s += e;                                                              \
                }                                                                        \
                for (k = 0; k < K; k++) Z(k) = Z(k) / s;                                 \
            } else {                                                                     \
                for (k = 0; k < K; k++) Z(k) = 1.0 / (double)K;                          \
            }                                                                            \
        }                                                                                \
    } while (0)

/* Symmetric rows (one valid concentration a for every entry) into a C-contiguous
 * block: the nrows K gammas are one constant-concentration run (gamma_const:
 * the same words and values as the row rule), then each row is normalised
 * with DIR_ROW's arithmetic, in the same order. */
static void dir_symmetric(nd_bits_t *bits, intptr_t nrows, intptr_t K, double a, double *out)
{
    gprm p = gprm_of(a);
    const int log_ = a < 1.0;
    intptr_t n = nrows * K, off, r, k;
    for (off = 0; off < n; off += EW_CHUNK)
        gamma_const(bits, n - off < EW_CHUNK ? n - off : EW_CHUNK, out + off, &p, log_);
    for (r = 0; r < nrows; r++) {
        double *z = out + r * K, s = 0.0, mx = -g_inf;
        if (!log_) {
            for (k = 0; k < K; k++) s += z[k];
            if (G_LIKELY(s > 0.0 && s < g_inf)) {
                for (k = 0; k < K; k++) z[k] = z[k] / s;
            } else {
                mx = 0.0;
                for (k = 0; k < K; k++) mx = z[k] > mx ? z[k] : mx;
                if (mx > 0.0) {
                    s = 0.0;
                    for (k = 0; k < K; k++) s += z[k] / mx;
                    for (k = 0; k < K; k++) z[k] = (z[k] / mx) / s;
                } else {
                    for (k = 0; k < K; k++) z[k] = 1.0 / (double)K;
                }
            }
        } else {
            for (k = 0; k < K; k++) mx = z[k] > mx ? z[k] : mx;
            if (mx > -g_inf) {
                for (k = 0; k < K; k++) {
                    double e = nd_gamma_exp(z[k] - mx);
                    z[k] = e;
                    s += e;
                }
                for (k = 0; k < K; k++) z[k] = z[k] / s;
            } else {
                for (k = 0; k < K; k++) z[k] = 1.0 / (double)K;
            }
        }
    }
}

int random_dirichlet_fill(nd_bits_t *bits, intptr_t nrows, intptr_t K, const double *alpha,
                          intptr_t a_rs, intptr_t a_cs, double *out, intptr_t o_rs, intptr_t o_cs)
{
    intptr_t r;
    if (nrows <= 0 || K <= 0) return ND_OK;
    nd_bits_expect(bits, (size_t)((double)nrows * (double)K * GAMMA_WORDS_SMALL) + 1);
    if ((a_rs == 0 || nrows == 1) && o_cs == 8 && o_rs == 8 * K) {
        double a0 = alpha[0];
        int sym = a0 > 0.0 && a0 < g_inf;
        for (r = 1; r < K && sym; r++) sym = EW_AT(double, alpha, r * a_cs) == a0;
        if (sym) {
            dir_symmetric(bits, nrows, K, a0, out);
            return ND_OK;
        }
    }
    for (r = 0; r < nrows; r++) {
        const char *ar = (const char *)alpha + r * a_rs;
        char *orow = (char *)out + r * o_rs;
#define Z(k) EW_OUT(double, orow, (k) * o_cs)
        DIR_ROW(EW_AT(double, ar, k * a_cs));
#undef Z
    }
    return ND_OK;
}

int random_dirichlet_fill_f(nd_bits_t *bits, intptr_t nrows, intptr_t K, const float *alpha,
                            intptr_t a_rs, intptr_t a_cs, float *out, intptr_t o_rs, intptr_t o_cs,
                            double *work)
{
    double stack[ND_DIRICHLET_STACK_K];
    double *z = work;
    intptr_t r, k;
    if (nrows <= 0 || K <= 0) return ND_OK;
    if (z == NULL) {
        if (K > ND_DIRICHLET_STACK_K) return ND_E_NOMEM;
        z = stack;
    }
    nd_bits_expect(bits, (size_t)((double)nrows * (double)K * GAMMA_WORDS_SMALL) + 1);
    for (r = 0; r < nrows; r++) {
        const char *ar = (const char *)alpha + r * a_rs;
        char *orow = (char *)out + r * o_rs;
#define Z(k) z[k]
        DIR_ROW((double)EW_AT(float, ar, k * a_cs));
#undef Z
        for (k = 0; k < K; k++) EW_OUT(float, orow, k * o_cs) = (float)z[k];
    }
    return ND_OK;
}
