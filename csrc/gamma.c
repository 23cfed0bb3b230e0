/*
 * Gamma sampler (Marsaglia-Tsang, boosting for a < 1, log space for tiny a) and
 * the samplers built on it: the element-wise kernels standard_gamma,
 * log_standard_gamma, chisquare, standard_t, beta, and the Dirichlet rows.
 * Stream rules: numdist/gamma.h (gamma, Dirichlet) and below (element-wise).
 *
 *   standard_gamma     (p0 concentration = 1)  the bulk rule below
 *   log_standard_gamma (p0 concentration = 1)  the bulk rule below, in log space
 *   chisquare          (p0 df = 1)   2 G(df/2) by the bulk rule; df = +inf ->
 *                                    +inf; df NaN or <= 0 -> NaN
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
 * The bulk rule.  The element-wise kernels standard_gamma, log_standard_gamma
 * and chisquare (and the symmetric Dirichlet rows) do not draw element by
 * element with nd_standard_gamma: one kernel call is one run of blocks of
 * first tries, so that the tests of 8 tries run in one vector and accepted
 * tries are compacted.  Their numbers depend on the call's boundaries (a call
 * of n values is not the first n values of a longer call).  The samplers call
 * a kernel per run of the output's last axis inside a chunk
 * (src/numdist/_elementwise.pyx), which the shapes alone fix, so the thread
 * count, the memory layout and the SIMD level still change nothing; and a call
 * whose concentrations are all equal (NaN counted equal) takes the constant
 * rule whatever their stride, so a broadcast concentration and the same values
 * copied give the same numbers.  Below, m = a (a + 1
 * when a < 1), d = m - 1/3, c = 1 / (3 sqrt(d)), and a try with normal x and
 * uniform word wu is: v = 1 + c x; rejected if v <= 0; else v = v^3,
 * u = nd_u01_oc(wu), accepted (value d v) iff the squeeze
 * x^4 < (1 - u) (108 d) (1 + min(c x, 0)) or the exact test
 * log(u) < x^2/2 + d (1 - v + log v) holds (gamma.h; the code decides the
 * exact test by bounds first, mt_accept_open, and takes the logs only between
 * them: the same decisions).
 *
 *   Constant concentration, a > 0 finite, a != 1, a + 1 != 1 (a == 1 takes
 *   exponential fills, a + 1 == 1 and bad or infinite a the scalar rule
 *   element by element):
 *     - a block is 64 tries from 128 words: word i the normal candidate of
 *       try i, word 64 + i its uniform.  A candidate inside its ziggurat
 *       rectangle is the normal x; one outside is finished by the ziggurat's
 *       slow path (nd_standard_normal_slow) with words drawn after the block,
 *       in try order.  The accepted tries' values, in try order, are the
 *       output stream; blocks follow each other until the call has its n
 *       values, and the values left in the last block are dropped.
 *     - a < 1 (boosting): the call's output is cut into pieces of EW_CHUNK =
 *       1024 values; a piece takes its G(a + 1) values from the block stream
 *       (which goes on across pieces), then draws one standard exponential e
 *       per value (nd_exponential_fill: nd_standard_exponential's rule); the
 *       value is g exp(-(e ia)) (numdist's exp, nd_gamma_exp), ia = 1/a, and
 *       the log kernel's log(g) - e ia.  (U^(1/a) = exp(-E/a): no log.)
 *
 *   Concentration per element, not all equal (the call cut into pieces of
 *   1024, a piece into blocks of 64 elements, the last one shorter: nb
 *   elements):
 *     - the block's 2 nb words: word i the normal candidate of element i's
 *       first try, word nb + i its uniform (also for a NaN, <= 0 or +inf a,
 *       whose value is NaN or +inf);
 *     - then, in element order, each valid element whose first try was not
 *       accepted on the spot: an open try (candidate outside its rectangle,
 *       or squeeze failed) is finished as above (slow-path words now); if
 *       rejected, the scalar rule's tries follow (nd_standard_normal, then a
 *       uniform word if v > 0, until one is accepted).  a == 1 and a + 1 == 1
 *       use Marsaglia-Tsang with m = 1 here;
 *     - then one standard exponential (nd_standard_exponential) per element
 *       with 0 < a < 1, in element order;
 *     - boosted values g exp(-(e (1/a))), log kernel log(g) - e (1/a).
 *
 * csrc/tests/test_gamma.c holds a plain word-by-word reference of both rules
 * and checks the kernels against it at every SIMD level.
 *
 * Speed: the first tries' tests (ziggurat rectangle, v > 0, squeeze) run 8 or
 * 4 at a time (explicit AVX-512, AVX2; the tables read with scalar loads,
 * which beat gathers here; a C loop otherwise), their outcomes become 64-bit
 * masks per block; of the few open tries (about 2-5%), those whose normal is
 * in its rectangle draw no words and are decided four at a time in vectors,
 * the others one by one in try order; the accepted values are compacted
 * (vcompresspd; AVX2 a permutation table).  The boosts are exp polynomials
 * over whole pieces, four vectors at a time.  Calls of >= 65536 contiguous
 * float64 values stream whole 64-byte lines out with non-temporal stores
 * when the caller allows it (nd_bits_t.stream_out).
 * Level: nd_exponential_simd_level (NUMDIST_SIMD_MAX).  docs/performance.md,
 * "The gamma bulk rule, third pass", has the measurements.
 */
#include "numdist/gamma.h"

#include <math.h>
#include <string.h>

#include "numdist/strided.h"
#include "ew_common.h"
#include "numdist/simd_words.h"
#include "numdist/stream_store.h"

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

/* ---- blocks of first tries (the bulk rule; see the top of this file) ------
 * A block of nc <= GB_N tries takes 2 nc consecutive words: word i is the
 * normal of try i, word nc + i its uniform.  The fast tests of all tries run in vectors; the
 * few tries they leave open (normal outside the ziggurat's rectangles, squeeze
 * failed) are finished in try order by mt_finish, whose extra words (the
 * ziggurat's slow path) come after the block. */
#define GB_N 64 /* tries per block (one bit each in a uint64_t) */

/* index of the lowest set bit of x != 0 */
static inline int gb_ctz64(uint64_t x)
{
#if defined(__GNUC__)
    return __builtin_ctzll(x);
#else
    int i = 0;
    while (!(x & 1)) { x >>= 1; i++; }
    return i;
#endif
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define GW_X86 1
#include <immintrin.h>

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
#endif

/* The exact test of a try, log(u) < h = x^2/2 + d (1 - v + log v), decided
 * without logs when bounds of exp(h) allow (a refinement of the squeeze, for
 * the tries the squeeze left open).  With y = c x, h = 3 d T(y),
 * T(y) = log(1+y) - y + y^2/2 - y^3/3 = sum_{k>=4} (-1)^(k+1) y^k / k:
 *   T <= P7(y) = y^4 (-1/4 + y/5 - y^2/6 + y^3/7) for all y > -1,
 *   T >= P7(y) - y^8/8 for y >= 0, and >= P7(y) - y^8/8 + y^9 / (9 (1 + y))
 *   for -1 < y < 0
 * (term by term for y < 0, where every term is negative; by comparing
 * derivatives, T' = -y^3 / (1 + y), for y >= 0), and
 * 1 + h + h^2/2 + h^3/6 <= exp(h) <= 1 + h + h^2/2 + h^3/6 + h^4/24 (h <= 0).
 * Margins of 2^-40 cover the roundings; between the bounds (rare: about 1 in
 * 20 of the tries that get here at a = 2.5) the logs decide. */
static int mt_accept_open(double d, double x, double y, double v, double u)
{
    const double y2 = y * y, y4 = y2 * y2, d3 = 3.0 * d;
    const double p = -0.25 + y * (0.2 + y * (-1.0 / 6.0 + y * (1.0 / 7.0)));
    double h = d3 * (y4 * p), t, e;
    if (h <= 0.0) {
        e = 1.0 + h * (1.0 + h * (0.5 + h * (1.0 / 6.0 + h * (1.0 / 24.0))));
        if (u > e * (1.0 + 0x1p-40) + 0x1p-40) return 0;
    }
    t = y4 * (p - y4 * 0.125);
    if (y < 0.0) t += (y4 * y4 * y) / (9.0 * (1.0 + y));
    h = d3 * t;
    e = 1.0 + h * (1.0 + h * (0.5 + h * (1.0 / 6.0)));
    if (u < e * (1.0 - 0x1p-40) - 0x1p-40) return 1;
    return mt_log_accept(d, x, v, u);
}

/* The rest of a try its fast tests left open: the normal completed by the
 * ziggurat's slow path (nd_standard_normal_slow: its words drawn now), then
 * v > 0, the squeeze and the exact test with the try's uniform.  Returns 1 and
 * the value d v^3 if the try is accepted, 0 if rejected. */
static int mt_finish(nd_bits_t *bits, double d, double c, uint64_t wn, uint64_t wu, double *val)
{
    uint64_t m = wn >> 12;
    unsigned j = (unsigned)(wn & 0x1ff);
    double x = (double)(int64_t)m * nd_zig_w64[j], cx, v, u, x2;
    if (!(m < nd_zig_k64[j])) x = nd_standard_normal_slow(bits, wn);
    cx = c * x;
    v = 1.0 + cx;
    if (!(v > 0.0)) return 0;
    v = v * v * v;
    u = nd_u01_oc(wu);
    x2 = x * x;
    if (x2 * x2 < (1.0 - u) * ((108.0 * d) * (1.0 + (cx < 0.0 ? cx : 0.0))) || mt_accept_open(d, x, cx, v, u)) {
        *val = d * v;
        return 1;
    }
    return 0;
}

/* mt_finish's decision for an open try whose normal is in its rectangle (so
 * v = 1 + c x > 0 and no words are drawn: the squeeze or its filter failed),
 * with its operations but without their data-dependent branches (these tries
 * come in an unpredictable mix of accepts and rejects): the squeeze, then
 * mt_accept_open's reject bound, then its accept bound, in that precedence;
 * the logs only when none decides. */
static inline int mt_decide_in_rect(double d, double c, uint64_t wn, uint64_t wu)
{
    const double x = (double)(int64_t)(wn >> 12) * nd_zig_w64[wn & 0x1ff];
    const double y = c * x, v1 = 1.0 + y, v = v1 * v1 * v1, u = nd_u01_oc(wu), x2 = x * x;
    const double y2 = y * y, y4 = y2 * y2, d3 = 3.0 * d;
    const double p = -0.25 + y * (0.2 + y * (-1.0 / 6.0 + y * (1.0 / 7.0)));
    const double h1 = d3 * (y4 * p);
    const double e1 = 1.0 + h1 * (1.0 + h1 * (0.5 + h1 * (1.0 / 6.0 + h1 * (1.0 / 24.0))));
    const double t0 = y4 * (p - y4 * 0.125), tail = (y4 * y4 * y) / (9.0 * (1.0 + y));
    const double h2 = d3 * (y < 0.0 ? t0 + tail : t0);
    const double e2 = 1.0 + h2 * (1.0 + h2 * (0.5 + h2 * (1.0 / 6.0)));
    const int sq = x2 * x2 < (1.0 - u) * ((108.0 * d) * (1.0 + (y < 0.0 ? y : 0.0)));
    const int rej = (h1 <= 0.0) & (u > e1 * (1.0 + 0x1p-40) + 0x1p-40);
    const int acc = u < e2 * (1.0 - 0x1p-40) - 0x1p-40;
    if (G_LIKELY(sq | rej | acc)) return sq | (acc & !rej);
    return mt_log_accept(d, x, v, u);
}

/* Fast tests of tries [i0, nc) (normals wn[i], uniforms wu[i], parameters
 * dv[i], cv[i]): bit i of *ok: the normal is in its rectangle, v = 1 + c x > 0
 * and the squeeze holds, so the try is accepted with value val[i] = d v^3
 * (the rule's operations); bit i of *sp: the normal is outside its rectangle,
 * or v > 0 and the squeeze fails (mt_finish decides); neither: v <= 0,
 * rejected.  Bits below i0 are left as they are. */
G_CLONES static void gb_pass_c(const uint64_t *restrict wn, const uint64_t *restrict wu, intptr_t i0,
                               intptr_t nc, const double *restrict dv, const double *restrict cv,
                               double *restrict val, uint64_t *ok, uint64_t *sp)
{
    uint64_t o = *ok, s = *sp;
    intptr_t i;
    for (i = i0; i < nc; i++) {
        uint64_t w = wn[i], m = w >> 12, j = w & 0x1ff;
        double d = dv[i], c = cv[i], q = 108.0 * d;
        double x = (nd_bits_to_dbl(UINT64_C(0x4330000000000000) | m) - 0x1p52) * nd_zig_w64[j];
        double cx = c * x, v = 1.0 + cx, x2 = x * x, v3 = v * v * v;
        double u = gw_u53p1(wu[i]) * 0x1p-53;
        uint64_t rect = m < nd_zig_k64[j], pos = v > 0.0;
        uint64_t sq = x2 * x2 < (1.0 - u) * (q * (1.0 + (cx < 0.0 ? cx : 0.0)));
        val[i] = d * v3;
        o |= (rect & pos & sq) << i;
        s |= ((rect ^ 1) | (pos & (sq ^ 1))) << i;
    }
    *ok = o;
    *sp = s;
}

#ifdef GW_X86
/* gb_pass_c with explicit vector code (GCC's clones of the C loop read the
 * tables one lane at a time; these gather).  Same operations in the same
 * order, IEEE, no contraction: the same bits. */
__attribute__((target("avx512f,avx512dq,avx512vl"))) static void gb_pass_512(
    const uint64_t *restrict wn, const uint64_t *restrict wu, intptr_t nc, const double *restrict dv,
    const double *restrict cv, double *restrict val, uint64_t *ok, uint64_t *sp)
{
    const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd(), e53 = _mm512_set1_pd(0x1p-53);
    const __m512d c108 = _mm512_set1_pd(108.0);
    uint64_t o = 0, s = 0;
    intptr_t i = 0;
    for (; i + 8 <= nc; i += 8) {
        __m512i WN = _mm512_loadu_si512(wn + i), WU = _mm512_loadu_si512(wu + i);
        /* scalar table loads: as gb_pass_const_512 */
        const unsigned j0 = (unsigned)(wn[i] & 0x1ff), j1 = (unsigned)(wn[i + 1] & 0x1ff);
        const unsigned j2 = (unsigned)(wn[i + 2] & 0x1ff), j3 = (unsigned)(wn[i + 3] & 0x1ff);
        const unsigned j4 = (unsigned)(wn[i + 4] & 0x1ff), j5 = (unsigned)(wn[i + 5] & 0x1ff);
        const unsigned j6 = (unsigned)(wn[i + 6] & 0x1ff), j7 = (unsigned)(wn[i + 7] & 0x1ff);
        __m512i M = _mm512_srli_epi64(WN, 12);
        __m512d vd = _mm512_loadu_pd(dv + i), vc = _mm512_loadu_pd(cv + i);
        __m512d vq = _mm512_mul_pd(c108, vd);
        __m512d tw = _mm512_set_pd(nd_zig_w64[j7], nd_zig_w64[j6], nd_zig_w64[j5], nd_zig_w64[j4],
                                   nd_zig_w64[j3], nd_zig_w64[j2], nd_zig_w64[j1], nd_zig_w64[j0]);
        __m512i tk = _mm512_set_epi64((long long)nd_zig_k64[j7], (long long)nd_zig_k64[j6],
                                      (long long)nd_zig_k64[j5], (long long)nd_zig_k64[j4],
                                      (long long)nd_zig_k64[j3], (long long)nd_zig_k64[j2],
                                      (long long)nd_zig_k64[j1], (long long)nd_zig_k64[j0]);
        __m512d x = _mm512_mul_pd(_mm512_cvtepi64_pd(M), tw);
        __m512d cx = _mm512_mul_pd(vc, x), v = _mm512_add_pd(one, cx), x2 = _mm512_mul_pd(x, x);
        __m512d v3 = _mm512_mul_pd(_mm512_mul_pd(v, v), v);
        __m512d u = _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(WU, 11)), one), e53);
        __m512d mn = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(cx, zero, _CMP_LT_OQ), zero, cx);
        __m512d rhs = _mm512_mul_pd(_mm512_sub_pd(one, u), _mm512_mul_pd(vq, _mm512_add_pd(one, mn)));
        __mmask8 rect = _mm512_cmp_epu64_mask(M, tk, _MM_CMPINT_LT);
        __mmask8 pos = _mm512_cmp_pd_mask(v, zero, _CMP_GT_OQ);
        __mmask8 sq = _mm512_cmp_pd_mask(_mm512_mul_pd(x2, x2), rhs, _CMP_LT_OQ);
        _mm512_storeu_pd(val + i, _mm512_mul_pd(vd, v3));
        o |= (uint64_t)(rect & pos & sq) << i;
        s |= (uint64_t)((uint8_t)~rect | (pos & (uint8_t)~sq)) << i;
    }
    *ok = o;
    *sp = s;
    if (i < nc) gb_pass_c(wn, wu, i, nc, dv, cv, val, ok, sp);
}

__attribute__((target("avx2"))) static void gb_pass_256(
    const uint64_t *restrict wn, const uint64_t *restrict wu, intptr_t nc, const double *restrict dv,
    const double *restrict cv, double *restrict val, uint64_t *ok, uint64_t *sp)
{
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d two52 = _mm256_set1_pd(0x1p52);
    const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd(), e53 = _mm256_set1_pd(0x1p-53);
    const __m256d c108 = _mm256_set1_pd(108.0);
    uint64_t o = 0, s = 0;
    intptr_t i = 0;
    for (; i + 4 <= nc; i += 4) {
        __m256i WN = _mm256_loadu_si256((const __m256i *)(wn + i)), WU = _mm256_loadu_si256((const __m256i *)(wu + i));
        /* scalar table loads, the 2-op conversion of m < 2^52 and a signed
         * compare: as gb_pass_const_256 */
        const unsigned j0 = (unsigned)(wn[i] & 0x1ff), j1 = (unsigned)(wn[i + 1] & 0x1ff);
        const unsigned j2 = (unsigned)(wn[i + 2] & 0x1ff), j3 = (unsigned)(wn[i + 3] & 0x1ff);
        __m256i M = _mm256_srli_epi64(WN, 12);
        __m256d vd = _mm256_loadu_pd(dv + i), vc = _mm256_loadu_pd(cv + i);
        __m256d vq = _mm256_mul_pd(c108, vd);
        __m256d tw = _mm256_set_pd(nd_zig_w64[j3], nd_zig_w64[j2], nd_zig_w64[j1], nd_zig_w64[j0]);
        __m256i tk = _mm256_set_epi64x((long long)nd_zig_k64[j3], (long long)nd_zig_k64[j2],
                                       (long long)nd_zig_k64[j1], (long long)nd_zig_k64[j0]);
        __m256d x = _mm256_mul_pd(_mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(M, magic)), two52), tw);
        __m256d cx = _mm256_mul_pd(vc, x), v = _mm256_add_pd(one, cx), x2 = _mm256_mul_pd(x, x);
        __m256d v3 = _mm256_mul_pd(_mm256_mul_pd(v, v), v);
        __m256d u = _mm256_mul_pd(_mm256_add_pd(gw_u2d_256(_mm256_srli_epi64(WU, 11)), one), e53);
        __m256d rhs = _mm256_mul_pd(_mm256_sub_pd(one, u), _mm256_mul_pd(vq, _mm256_add_pd(one, _mm256_min_pd(cx, zero))));
        unsigned rect = (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(tk, M)));
        unsigned pos = (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(v, zero, _CMP_GT_OQ));
        unsigned sq = (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(_mm256_mul_pd(x2, x2), rhs, _CMP_LT_OQ));
        _mm256_storeu_pd(val + i, _mm256_mul_pd(vd, v3));
        o |= (uint64_t)(rect & pos & sq) << i;
        s |= (uint64_t)((rect ^ 15u) | (pos & (sq ^ 15u))) << i;
    }
    *ok = o;
    *sp = s;
    if (i < nc) gb_pass_c(wn, wu, i, nc, dv, cv, val, ok, sp);
}

/* val[i] for the set bits i of ok, in order, to dst: 8 at a time; dst has
 * room for 8 more than it receives.  (popcnt in the targets: without it
 * __builtin_popcount is a call into libgcc; every AVX2 CPU has it.) */
__attribute__((target("avx512f,avx512dq,avx512vl,popcnt"))) static intptr_t gb_compact_512(
    const double *val, uint64_t ok, intptr_t nc, double *dst)
{
    intptr_t i, n = 0;
    for (i = 0; i < nc; i += 8) {
        __mmask8 m = (__mmask8)(ok >> i);
        _mm512_storeu_pd(dst + n, _mm512_maskz_compress_pd(m, _mm512_loadu_pd(val + i)));
        n += __builtin_popcount((unsigned)m);
    }
    return n;
}

/* gb_compact_512 for AVX2, 4 at a time: gb_perm4[m] moves the lanes set in
 * the 4-bit mask m (as pairs of 32-bit halves) to the front */
static const int32_t gb_perm4[16][8] = {
    {0, 0, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0, 0}, {2, 3, 0, 0, 0, 0, 0, 0}, {0, 1, 2, 3, 0, 0, 0, 0},
    {4, 5, 0, 0, 0, 0, 0, 0}, {0, 1, 4, 5, 0, 0, 0, 0}, {2, 3, 4, 5, 0, 0, 0, 0}, {0, 1, 2, 3, 4, 5, 0, 0},
    {6, 7, 0, 0, 0, 0, 0, 0}, {0, 1, 6, 7, 0, 0, 0, 0}, {2, 3, 6, 7, 0, 0, 0, 0}, {0, 1, 2, 3, 6, 7, 0, 0},
    {4, 5, 6, 7, 0, 0, 0, 0}, {0, 1, 4, 5, 6, 7, 0, 0}, {2, 3, 4, 5, 6, 7, 0, 0}, {0, 1, 2, 3, 4, 5, 6, 7}};

__attribute__((target("avx2,popcnt"))) static intptr_t gb_compact_256(const double *val, uint64_t ok, intptr_t nc, double *dst)
{
    intptr_t i, n = 0;
    for (i = 0; i < nc; i += 4) {
        unsigned m = (unsigned)(ok >> i) & 15u;
        __m256i p = _mm256_loadu_si256((const __m256i *)gb_perm4[m]);
        __m256i v = _mm256_loadu_si256((const __m256i *)(val + i));
        _mm256_storeu_si256((__m256i *)(dst + n), _mm256_permutevar8x32_epi32(v, p));
        n += __builtin_popcount(m);
    }
    return n;
}

/* ---- the fast tests of a constant concentration -------------------------
 * gb_pass for one block of GB_N tries of one (d, c), held in registers (the
 * same val, ok, sp), with fewer operations per try; the numbers do not change:
 *   - m = w >> 12 < 2^52 converts to double as (m | bits of 2^52) - 2^52, and
 *     m < k64[j] is a signed compare (both below 2^52);
 *   - min(c x, 0) is one vminpd (it returns its second operand unless the
 *     first is less: the C expression's result, NaN and -0 included);
 *   - the squeeze runs as a filter on 1 - u rounded down to a multiple of
 *     2^-52: with t = w >> 11, 1 - u = (2^53 - 1 - t) 2^-53 (exact), and
 *     (2^52 - 1 - (w >> 12)) 2^-52, one subtraction from 2^53 - 1 of the
 *     converted w >> 12, is at most 2^-53 below it.  Rounding is
 *     monotone, so a try the filter accepts passes the rule's squeeze; one it
 *     does not accept (besides the rule's failures, a 2^-53 relative sliver)
 *     is open, and mt_finish decides it with the exact u.  The 2^-52 is
 *     folded into 108 d (a power of two: exact);
 *   - the loop is unrolled (constant shifts for the mask bits). */

__attribute__((target("avx512f,avx512dq,avx512vl"))) static void gb_pass_const_512(
    const uint64_t *restrict wn, const uint64_t *restrict wu, double d, double c, double *restrict val,
    uint64_t *ok, uint64_t *sp)
{
    const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd(), top = _mm512_set1_pd(0x1p52 - 1.0);
    const __m512d vd = _mm512_set1_pd(d), vc = _mm512_set1_pd(c), vq = _mm512_set1_pd((108.0 * d) * 0x1p-52);
    uint64_t o = 0, s = 0;
    int i;
#pragma GCC unroll 8
    for (i = 0; i < GB_N; i += 8) {
        __m512i WN = _mm512_loadu_si512(wn + i), WU = _mm512_loadu_si512(wu + i);
        const unsigned j0 = (unsigned)(wn[i] & 0x1ff), j1 = (unsigned)(wn[i + 1] & 0x1ff);
        const unsigned j2 = (unsigned)(wn[i + 2] & 0x1ff), j3 = (unsigned)(wn[i + 3] & 0x1ff);
        const unsigned j4 = (unsigned)(wn[i + 4] & 0x1ff), j5 = (unsigned)(wn[i + 5] & 0x1ff);
        const unsigned j6 = (unsigned)(wn[i + 6] & 0x1ff), j7 = (unsigned)(wn[i + 7] & 0x1ff);
        __m512i M = _mm512_srli_epi64(WN, 12);
        __m512d tw = _mm512_set_pd(nd_zig_w64[j7], nd_zig_w64[j6], nd_zig_w64[j5], nd_zig_w64[j4],
                                   nd_zig_w64[j3], nd_zig_w64[j2], nd_zig_w64[j1], nd_zig_w64[j0]);
        __m512i tk = _mm512_set_epi64((long long)nd_zig_k64[j7], (long long)nd_zig_k64[j6],
                                      (long long)nd_zig_k64[j5], (long long)nd_zig_k64[j4],
                                      (long long)nd_zig_k64[j3], (long long)nd_zig_k64[j2],
                                      (long long)nd_zig_k64[j1], (long long)nd_zig_k64[j0]);
        __m512d x = _mm512_mul_pd(_mm512_cvtepi64_pd(M), tw);
        __m512d cx = _mm512_mul_pd(vc, x), v = _mm512_add_pd(one, cx), x2 = _mm512_mul_pd(x, x);
        __m512d v3 = _mm512_mul_pd(_mm512_mul_pd(v, v), v);
        /* (2^52 - 1) - (w >> 12): exact (see above) */
        __m512d omu = _mm512_sub_pd(top, _mm512_cvtepi64_pd(_mm512_srli_epi64(WU, 12)));
        __m512d rhs = _mm512_mul_pd(omu, _mm512_mul_pd(vq, _mm512_add_pd(one, _mm512_min_pd(cx, zero))));
        __mmask8 rect = _mm512_cmp_epi64_mask(M, tk, _MM_CMPINT_LT);
        __mmask8 pos = _mm512_cmp_pd_mask(v, zero, _CMP_GT_OQ);
        __mmask8 acc = _mm512_mask_cmp_pd_mask((__mmask8)(rect & pos), _mm512_mul_pd(x2, x2), rhs, _CMP_LT_OQ);
        _mm512_storeu_pd(val + i, _mm512_mul_pd(vd, v3));
        o |= (uint64_t)acc << i;
        s |= (uint64_t)(uint8_t)((~rect | pos) & ~acc) << i;
    }
    *ok = o;
    *sp = s;
}

__attribute__((target("avx2"))) static void gb_pass_const_256(
    const uint64_t *restrict wn, const uint64_t *restrict wu, double d, double c, double *restrict val,
    uint64_t *ok, uint64_t *sp)
{
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d two52 = _mm256_set1_pd(0x1p52), top = _mm256_set1_pd(0x1p53 - 1.0);
    const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
    const __m256d vd = _mm256_set1_pd(d), vc = _mm256_set1_pd(c), vq = _mm256_set1_pd((108.0 * d) * 0x1p-52);
    uint64_t o = 0, s = 0;
    int i;
#pragma GCC unroll 16
    for (i = 0; i < GB_N; i += 4) {
        __m256i WN = _mm256_loadu_si256((const __m256i *)(wn + i)), WU = _mm256_loadu_si256((const __m256i *)(wu + i));
        /* the table entries by scalar loads: four-lane gathers cost more
         * than the loads and inserts (0.7x the time of pass and compaction;
         * gb_pass_const_512 likewise, a few % faster than 8-lane gathers) */
        const unsigned j0 = (unsigned)(wn[i] & 0x1ff), j1 = (unsigned)(wn[i + 1] & 0x1ff);
        const unsigned j2 = (unsigned)(wn[i + 2] & 0x1ff), j3 = (unsigned)(wn[i + 3] & 0x1ff);
        __m256i M = _mm256_srli_epi64(WN, 12);
        __m256d tw = _mm256_set_pd(nd_zig_w64[j3], nd_zig_w64[j2], nd_zig_w64[j1], nd_zig_w64[j0]);
        __m256i tk = _mm256_set_epi64x((long long)nd_zig_k64[j3], (long long)nd_zig_k64[j2],
                                       (long long)nd_zig_k64[j1], (long long)nd_zig_k64[j0]);
        __m256d x = _mm256_mul_pd(_mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(M, magic)), two52), tw);
        __m256d cx = _mm256_mul_pd(vc, x), v = _mm256_add_pd(one, cx), x2 = _mm256_mul_pd(x, x);
        __m256d v3 = _mm256_mul_pd(_mm256_mul_pd(v, v), v);
        /* (2^53 - 1) - ((w >> 12) + 2^52): exact (see above) */
        __m256d omu = _mm256_sub_pd(top, _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(WU, 12), magic)));
        __m256d rhs = _mm256_mul_pd(omu, _mm256_mul_pd(vq, _mm256_add_pd(one, _mm256_min_pd(cx, zero))));
        __m256d rect = _mm256_castsi256_pd(_mm256_cmpgt_epi64(tk, M));
        __m256d pos = _mm256_cmp_pd(v, zero, _CMP_GT_OQ);
        __m256d sq = _mm256_cmp_pd(_mm256_mul_pd(x2, x2), rhs, _CMP_LT_OQ);
        unsigned acc = (unsigned)_mm256_movemask_pd(_mm256_and_pd(_mm256_and_pd(rect, pos), sq));
        unsigned drop = (unsigned)_mm256_movemask_pd(_mm256_andnot_pd(pos, rect)); /* rect, v <= 0 */
        _mm256_storeu_pd(val + i, _mm256_mul_pd(vd, v3));
        o |= (uint64_t)acc << i;
        s |= (uint64_t)((drop | acc) ^ 15u) << i;
    }
    *ok = o;
    *sp = s;
}
#endif

#ifdef GW_X86
/* mt_decide_in_rect for the tries set in `in` (normals wn[i], uniforms wu[i]),
 * four at a time: the same operations in vectors (IEEE, no contraction: the
 * same decisions), the logs in line for the lanes the bounds leave open.
 * Returns the accepted tries' bits. */
__attribute__((target("avx2"))) static uint64_t gb_decide_in_rect_256(double d, double c, const uint64_t *wn,
                                                                       const uint64_t *wu, uint64_t in)
{
    const __m256i m9 = _mm256_set1_epi64x(0x1ff), magic = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d two52 = _mm256_set1_pd(0x1p52), one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
    const __m256d vc = _mm256_set1_pd(c), d3 = _mm256_set1_pd(3.0 * d), q = _mm256_set1_pd(108.0 * d);
    uint64_t acc_bits = 0;
    while (in) {
        int idx[4], nl = 0, l;
        double xs[4], vs[4], us[4];
        __m256i WN, WU, J;
        __m256d x, y, v1, v, u, x2, y2, y4, p, h1, e1, t0, tail, h2, e2, sq, rej, acc;
        unsigned dec, res;
        for (; in && nl < 4; in &= in - 1) idx[nl++] = gb_ctz64(in);
        for (l = nl; l < 4; l++) idx[l] = idx[0];
        WN = _mm256_set_epi64x((long long)wn[idx[3]], (long long)wn[idx[2]], (long long)wn[idx[1]], (long long)wn[idx[0]]);
        WU = _mm256_set_epi64x((long long)wu[idx[3]], (long long)wu[idx[2]], (long long)wu[idx[1]], (long long)wu[idx[0]]);
        J = _mm256_and_si256(WN, m9);
        x = _mm256_mul_pd(_mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(WN, 12), magic)), two52),
                          _mm256_i64gather_pd(nd_zig_w64, J, 8));
        y = _mm256_mul_pd(vc, x);
        v1 = _mm256_add_pd(one, y);
        v = _mm256_mul_pd(_mm256_mul_pd(v1, v1), v1);
        u = _mm256_mul_pd(_mm256_add_pd(gw_u2d_256(_mm256_srli_epi64(WU, 11)), one), _mm256_set1_pd(0x1p-53));
        x2 = _mm256_mul_pd(x, x);
        y2 = _mm256_mul_pd(y, y);
        y4 = _mm256_mul_pd(y2, y2);
        p = _mm256_add_pd(_mm256_set1_pd(-0.25), _mm256_mul_pd(y, _mm256_add_pd(_mm256_set1_pd(0.2),
            _mm256_mul_pd(y, _mm256_add_pd(_mm256_set1_pd(-1.0 / 6.0), _mm256_mul_pd(y, _mm256_set1_pd(1.0 / 7.0)))))));
        h1 = _mm256_mul_pd(d3, _mm256_mul_pd(y4, p));
        e1 = _mm256_add_pd(one, _mm256_mul_pd(h1, _mm256_add_pd(one, _mm256_mul_pd(h1, _mm256_add_pd(_mm256_set1_pd(0.5),
             _mm256_mul_pd(h1, _mm256_add_pd(_mm256_set1_pd(1.0 / 6.0), _mm256_mul_pd(h1, _mm256_set1_pd(1.0 / 24.0)))))))));
        t0 = _mm256_mul_pd(y4, _mm256_sub_pd(p, _mm256_mul_pd(y4, _mm256_set1_pd(0.125))));
        tail = _mm256_div_pd(_mm256_mul_pd(_mm256_mul_pd(y4, y4), y),
                             _mm256_mul_pd(_mm256_set1_pd(9.0), _mm256_add_pd(one, y)));
        h2 = _mm256_mul_pd(d3, _mm256_blendv_pd(t0, _mm256_add_pd(t0, tail), _mm256_cmp_pd(y, zero, _CMP_LT_OQ)));
        e2 = _mm256_add_pd(one, _mm256_mul_pd(h2, _mm256_add_pd(one, _mm256_mul_pd(h2, _mm256_add_pd(_mm256_set1_pd(0.5),
             _mm256_mul_pd(h2, _mm256_set1_pd(1.0 / 6.0)))))));
        sq = _mm256_cmp_pd(_mm256_mul_pd(x2, x2),
                           _mm256_mul_pd(_mm256_sub_pd(one, u), _mm256_mul_pd(q, _mm256_add_pd(one, _mm256_min_pd(y, zero)))),
                           _CMP_LT_OQ);
        rej = _mm256_and_pd(_mm256_cmp_pd(h1, zero, _CMP_LE_OQ),
                            _mm256_cmp_pd(u, _mm256_add_pd(_mm256_mul_pd(e1, _mm256_set1_pd(1.0 + 0x1p-40)), _mm256_set1_pd(0x1p-40)), _CMP_GT_OQ));
        acc = _mm256_cmp_pd(u, _mm256_sub_pd(_mm256_mul_pd(e2, _mm256_set1_pd(1.0 - 0x1p-40)), _mm256_set1_pd(0x1p-40)), _CMP_LT_OQ);
        dec = (unsigned)_mm256_movemask_pd(_mm256_or_pd(_mm256_or_pd(sq, rej), acc));
        res = (unsigned)_mm256_movemask_pd(_mm256_or_pd(sq, _mm256_andnot_pd(rej, acc)));
        if (G_UNLIKELY((dec & ((1u << nl) - 1)) != (1u << nl) - 1)) {
            _mm256_storeu_pd(xs, x);
            _mm256_storeu_pd(vs, v);
            _mm256_storeu_pd(us, u);
            for (l = 0; l < nl; l++)
                if (!((dec >> l) & 1)) res |= (unsigned)mt_log_accept(d, xs[l], vs[l], us[l]) << l;
        }
        for (l = 0; l < nl; l++) acc_bits |= (uint64_t)((res >> l) & 1) << idx[l];
    }
    return acc_bits;
}
#endif

/* the fast tests at the fill's SIMD level (nd_exponential_simd_level: the
 * CPU's best, capped by NUMDIST_SIMD_MAX) */
static void gb_pass(int level, const uint64_t *wn, const uint64_t *wu, intptr_t nc, const double *dv,
                    const double *cv, double *val, uint64_t *ok, uint64_t *sp)
{
    *ok = *sp = 0;
#ifdef GW_X86
    if (level >= 3) { gb_pass_512(wn, wu, nc, dv, cv, val, ok, sp); return; }
    if (level == 2) { gb_pass_256(wn, wu, nc, dv, cv, val, ok, sp); return; }
#endif
    (void)level;
    gb_pass_c(wn, wu, 0, nc, dv, cv, val, ok, sp);
}

/* the next block of a numdist source's stream into its buffer
 * (nd_bits_refill's words; AVX-512 lanes in registers at level 3) */
static void gb_refill(nd_bits_t *bits, int level)
{
#ifdef ND_SW_X86
    if (level >= 3) {
        nd_sw_refill512(bits);
        return;
    }
#endif
    (void)level;
    nd_bits_refill(bits);
}

/* The words of a block: a pointer into the buffer when it holds them all,
 * else a copy in wbuf (the buffer's rest, then the next block's first words;
 * NumPy sources word by word). */
static const uint64_t *gb_words(nd_bits_t *bits, intptr_t need, uint64_t *wbuf, int level)
{
    const uint64_t *w;
    intptr_t k;
    if (bits->xo != NULL) {
        intptr_t have = bits->end - bits->pos;
        if (have == 0) {
            gb_refill(bits, level);
            have = bits->end - bits->pos;
        }
        if (have >= need) {
            w = bits->pos;
            bits->pos += need;
            return w;
        }
        if (need - have <= ND_XO_BLOCK) {
            memcpy(wbuf, bits->pos, sizeof(uint64_t) * (size_t)have);
            gb_refill(bits, level);
            memcpy(wbuf + have, bits->pos, sizeof(uint64_t) * (size_t)(need - have));
            bits->pos += need - have;
            return wbuf;
        }
    }
    for (k = 0; k < need; k++) wbuf[k] = nd_bits_next64(bits);
    return wbuf;
}

/* The accepted values of a constant concentration not yet given out (a kernel
 * call's blocks continue from piece to piece), and the block's parameters. */
typedef struct gcarry {
    double v[GB_N + 8];
    intptr_t i, n; /* v[i..n) are left */
    double dv[GB_N], cv[GB_N];
    int level;
} gcarry;

static void gcarry_init(gcarry *cr, const gprm *p)
{
    intptr_t i;
    cr->i = cr->n = 0;
    for (i = 0; i < GB_N; i++) {
        cr->dv[i] = p->d;
        cr->cv[i] = p->c;
    }
    cr->level = nd_exponential_simd_level();
}

/* One block of GB_N tries of a constant concentration (kind GK_MT or GK_BMT):
 * the accepted values, in try order, to dst, which has room for GB_N + 8.
 * Returns their number. */
static intptr_t gb_block_const(nd_bits_t *bits, gcarry *cr, double *dst)
{
    uint64_t wbuf[2 * GB_N], ok, sp, spw[2 * GB_N];
    double val[GB_N];
    int spi[GB_N];
    const uint64_t *w = gb_words(bits, 2 * GB_N, wbuf, cr->level);
    int nsp = 0, e;
#ifdef GW_X86
    if (cr->level >= 3)
        gb_pass_const_512(w, w + GB_N, cr->dv[0], cr->cv[0], val, &ok, &sp);
    else if (cr->level == 2)
        gb_pass_const_256(w, w + GB_N, cr->dv[0], cr->cv[0], val, &ok, &sp);
    else
#endif
        gb_pass(0, w, w + GB_N, GB_N, cr->dv, cr->cv, val, &ok, &sp);
    if (G_UNLIKELY(sp != 0)) {
        /* first the open tries in their rectangles (no words drawn: any
         * order), then the others in try order, their words copied first:
         * drawing can refill the buffer under w */
        uint64_t s, out = 0;
        for (s = sp; s; s &= s - 1) {
            const uint64_t wi = w[gb_ctz64(s)];
            out |= (uint64_t)!((wi >> 12) < nd_zig_k64[wi & 0x1ff]) << gb_ctz64(s);
        }
#ifdef GW_X86
        if (cr->level >= 2)
            ok |= gb_decide_in_rect_256(cr->dv[0], cr->cv[0], w, w + GB_N, sp & ~out);
        else
#endif
            for (s = sp & ~out; s; s &= s - 1) {
                const int i = gb_ctz64(s);
                ok |= (uint64_t)mt_decide_in_rect(cr->dv[0], cr->cv[0], w[i], w[GB_N + i]) << i;
            }
        s = out;
        while (s) {
            int i = gb_ctz64(s);
            spi[nsp] = i;
            spw[2 * nsp] = w[i];
            spw[2 * nsp + 1] = w[GB_N + i];
            nsp++;
            s &= s - 1;
        }
        for (e = 0; e < nsp; e++)
            if (mt_finish(bits, cr->dv[0], cr->cv[0], spw[2 * e], spw[2 * e + 1], &val[spi[e]]))
                ok |= UINT64_C(1) << spi[e];
    }
#ifdef GW_X86
    if (cr->level >= 3) return gb_compact_512(val, ok, GB_N, dst);
    if (cr->level == 2) return gb_compact_256(val, ok, GB_N, dst);
#endif
    {
        intptr_t n = 0;
        while (ok) {
            int i = gb_ctz64(ok);
            dst[n] = val[i];
            n++;
            ok &= ok - 1;
        }
        return n;
    }
}

/* n values of a constant concentration (kind GK_MT: G(a); GK_BMT: G(a + 1))
 * into z: the carry's
 * first, then whole blocks straight into z while it has room, the last block
 * through the carry */
static void gb_fill(nd_bits_t *bits, intptr_t n, double *z, gcarry *cr)
{
    intptr_t k = 0;
    while (k < n) {
        intptr_t t;
        if (cr->i == cr->n) {
            if (n - k >= GB_N + 8) {
                k += gb_block_const(bits, cr, z + k);
                continue;
            }
            cr->n = gb_block_const(bits, cr, cr->v);
            cr->i = 0;
        }
        t = cr->n - cr->i < n - k ? cr->n - cr->i : n - k;
        memcpy(z + k, cr->v + cr->i, sizeof(double) * (size_t)t);
        cr->i += t;
        k += t;
    }
}

/* ---- non-temporal output --------------------------------------------------
 * A large contiguous float64 output (a whole dispatcher chunk or more: n >=
 * GB_NT_MIN, as the exponential fill's EX_NT_MIN) is written with
 * non-temporal stores of whole 64-byte lines from a small staging buffer in
 * L1: the output's lines are not read into the cache before being written
 * (half the memory traffic of a large draw), and do not evict the working
 * set.  Levels 2 and 3 only, and only when the caller allows it
 * (bits->stream_out); the numbers are the same either way.  The copies are
 * numdist/stream_store.h's; the kernel fences (sfence) before it returns. */
#define GB_NT_MIN ((intptr_t)65536)

/* gb_fill (the same values) into a large 8-byte aligned output: the head up
 * to a 64-byte boundary by gb_fill, then blocks into a staging buffer whose
 * whole lines are streamed out after each block, then the end by gb_fill */
static void gb_fill_nt(nd_bits_t *bits, intptr_t n, double *out, gcarry *cr)
{
    double stg[GB_N + 8 + 8];
    intptr_t k = (intptr_t)(((64 - ((uintptr_t)out & 63)) & 63) / 8), ns, nl;
    if (n < 2 * (GB_N + 8 + 8)) {
        gb_fill(bits, n, out, cr);
        return;
    }
    gb_fill(bits, k, out, cr);
    /* what the head's last block left in the carry (at most GB_N + 8 values)
     * comes next */
    ns = cr->n - cr->i;
    memcpy(stg, cr->v + cr->i, sizeof(double) * (size_t)ns);
    cr->i = cr->n;
    for (;;) {
        /* stg holds ns <= GB_N + 8 values, out[k] is on a line boundary */
        nl = ns / 8;
        nd_stream_lines(cr->level, out + k, stg, nl);
        k += 8 * nl;
        ns -= 8 * nl;
        memmove(stg, stg + 8 * nl, sizeof(double) * (size_t)ns);
        if (n - k - ns < GB_N) break;
        ns += gb_block_const(bits, cr, stg + ns); /* room: ns < 8, GB_N + 8 more */
    }
    memcpy(out + k, stg, sizeof(double) * (size_t)ns);
    k += ns;
    gb_fill(bits, n - k, out + k, cr);
    nd_stream_fence(cr->level);
}

/* boosting: z[k] = z[k] exp(-(e[k] ia)), e[k] a standard exponential, ia = 1/a
 * (ia[k] when ia != NULL, else ia0) */
static void g_boost_c(double *z, const double *e, const double *ia, double ia0, intptr_t c)
{
    intptr_t k;
    for (k = 0; k < c; k++) {
        const double y = -(e[k] * (ia ? ia[k] : ia0));
        /* below -746 nd_gamma_exp clamps and returns 0: skip its subnormal work */
        z[k] = z[k] * (y < -746.0 ? 0.0 : nd_gamma_exp(y));
    }
}

#ifdef GW_X86
/* nd_gamma_exp on vectors: the scalar function's operations in its order
 * (gamma.h), so the same bits.  GCC does not vectorise
 * the scalar loop above (the clamps and the integer work on exponents). */
#define GW_EXP_POLY(V, MUL, ADD, r) \
    ADD(V(1.0), MUL(r, ADD(V(1.0), MUL(r, ADD(V(1.0 / 2), MUL(r, ADD(V(1.0 / 6), MUL(r, \
    ADD(V(1.0 / 24), MUL(r, ADD(V(1.0 / 120), MUL(r, ADD(V(1.0 / 720), MUL(r, \
    ADD(V(1.0 / 5040), MUL(r, ADD(V(1.0 / 40320), MUL(r, ADD(V(1.0 / 362880), MUL(r, \
    ADD(V(1.0 / 3628800), MUL(r, ADD(V(1.0 / 39916800), MUL(r, ADD(V(1.0 / 479001600), \
    MUL(r, V(1.0 / 6227020800.0)))))))))))))))))))))))))))

#define GW512_T __attribute__((target("avx512f,avx512dq,avx512vl")))
#define V8(x) _mm512_set1_pd(x)
#define I8(x) _mm512_set1_epi64((long long)(x))

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

/* gw_exp512 for y in [-707, 0] (as gw_exp256_mid: the same bits) */
GW512_T static inline __m512d gw_exp512_mid(__m512d y)
{
    __m512d t, k, r, pl;
    __m512i ki;
    t = _mm512_add_pd(_mm512_mul_pd(y, V8(0x1.71547652b82fep0)), V8(0x1.8p52));
    k = _mm512_sub_pd(t, V8(0x1.8p52));
    r = _mm512_sub_pd(_mm512_sub_pd(y, _mm512_mul_pd(k, V8(ND_LN2_HI))), _mm512_mul_pd(k, V8(ND_LN2_LO)));
    pl = GW_EXP_POLY(V8, _mm512_mul_pd, _mm512_add_pd, r);
    ki = _mm512_sub_epi64(_mm512_castpd_si512(t), I8(nd_dbl_to_bits(0x1.8p52) - 1023)); /* k + 1023 */
    return _mm512_mul_pd(pl, _mm512_castsi512_pd(_mm512_slli_epi64(ki, 52)));
}

GW512_T static void g_boost_512(double *z, const double *e, const double *ia, double ia0, intptr_t c)
{
    const __m512d sgn = V8(-0.0), lo = V8(-707.0);
    intptr_t k = 0;
    /* four independent vectors per step: the polynomial is a long dependent
     * chain, so one vector at a time leaves the units idle */
    for (; k + 32 <= c; k += 32) {
        __m512d y[4];
        __mmask8 in;
        int q;
        for (q = 0; q < 4; q++)
            y[q] = _mm512_xor_pd(_mm512_mul_pd(_mm512_loadu_pd(e + k + 8 * q),
                                               ia ? _mm512_loadu_pd(ia + k + 8 * q) : V8(ia0)), sgn);
        /* y <= 0 always (e >= 0, ia > 0); y >= -707 for all 32: the short exp */
        in = _mm512_cmp_pd_mask(y[0], lo, _CMP_GE_OQ) & _mm512_cmp_pd_mask(y[1], lo, _CMP_GE_OQ) &
             _mm512_cmp_pd_mask(y[2], lo, _CMP_GE_OQ) & _mm512_cmp_pd_mask(y[3], lo, _CMP_GE_OQ);
        if (G_LIKELY(in == 0xff))
            for (q = 0; q < 4; q++) y[q] = gw_exp512_mid(y[q]);
        else
            for (q = 0; q < 4; q++) y[q] = gw_exp512(y[q]);
        for (q = 0; q < 4; q++) _mm512_storeu_pd(z + k + 8 * q, _mm512_mul_pd(_mm512_loadu_pd(z + k + 8 * q), y[q]));
    }
    for (; k + 8 <= c; k += 8) {
        __m512d y = _mm512_xor_pd(_mm512_mul_pd(_mm512_loadu_pd(e + k), ia ? _mm512_loadu_pd(ia + k) : V8(ia0)), sgn);
        _mm512_storeu_pd(z + k, _mm512_mul_pd(_mm512_loadu_pd(z + k), gw_exp512(y)));
    }
    if (k < c) g_boost_c(z + k, e + k, ia ? ia + k : NULL, ia0, c - k);
}
#undef V8
#undef I8

#define GW256_T __attribute__((target("avx2")))
#define V4(x) _mm256_set1_pd(x)
#define I4(x) _mm256_set1_epi64x((long long)(x))

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

/* gw_exp256 for y in [-707, 0]: no clamps, and 2^k as one power of two
 * (k = round(y / ln 2) in [-1020, 0]: exp(r) in [0.7, 1.42] times 2^k is a
 * normal number, exact both ways, so the same bits as p 2^k1 2^(k - k1)) */
GW256_T static inline __m256d gw_exp256_mid(__m256d y)
{
    __m256d t, k, r, pl;
    __m256i ki;
    t = _mm256_add_pd(_mm256_mul_pd(y, V4(0x1.71547652b82fep0)), V4(0x1.8p52));
    k = _mm256_sub_pd(t, V4(0x1.8p52));
    r = _mm256_sub_pd(_mm256_sub_pd(y, _mm256_mul_pd(k, V4(ND_LN2_HI))), _mm256_mul_pd(k, V4(ND_LN2_LO)));
    pl = GW_EXP_POLY(V4, _mm256_mul_pd, _mm256_add_pd, r);
    ki = _mm256_sub_epi64(_mm256_castpd_si256(t), I4(nd_dbl_to_bits(0x1.8p52) - 1023)); /* k + 1023 */
    return _mm256_mul_pd(pl, _mm256_castsi256_pd(_mm256_slli_epi64(ki, 52)));
}

GW256_T static void g_boost_256(double *z, const double *e, const double *ia, double ia0, intptr_t c)
{
    const __m256d sgn = V4(-0.0), lo = V4(-707.0);
    intptr_t k = 0;
    for (; k + 16 <= c; k += 16) { /* as g_boost_512 */
        __m256d y[4], in;
        int q;
        for (q = 0; q < 4; q++)
            y[q] = _mm256_xor_pd(_mm256_mul_pd(_mm256_loadu_pd(e + k + 4 * q),
                                               ia ? _mm256_loadu_pd(ia + k + 4 * q) : V4(ia0)), sgn);
        /* y <= 0 always (e >= 0, ia > 0); y >= -707 for all 16: the short exp */
        in = _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(y[0], lo, _CMP_GE_OQ), _mm256_cmp_pd(y[1], lo, _CMP_GE_OQ)),
                           _mm256_and_pd(_mm256_cmp_pd(y[2], lo, _CMP_GE_OQ), _mm256_cmp_pd(y[3], lo, _CMP_GE_OQ)));
        if (G_LIKELY(_mm256_movemask_pd(in) == 15))
            for (q = 0; q < 4; q++) y[q] = gw_exp256_mid(y[q]);
        else
            for (q = 0; q < 4; q++) y[q] = gw_exp256(y[q]);
        for (q = 0; q < 4; q++) _mm256_storeu_pd(z + k + 4 * q, _mm256_mul_pd(_mm256_loadu_pd(z + k + 4 * q), y[q]));
    }
    for (; k + 4 <= c; k += 4) {
        __m256d y = _mm256_xor_pd(_mm256_mul_pd(_mm256_loadu_pd(e + k), ia ? _mm256_loadu_pd(ia + k) : V4(ia0)), sgn);
        _mm256_storeu_pd(z + k, _mm256_mul_pd(_mm256_loadu_pd(z + k), gw_exp256(y)));
    }
    if (k < c) g_boost_c(z + k, e + k, ia ? ia + k : NULL, ia0, c - k);
}
#undef V4
#undef I4
#endif

/* boosting at the fill's SIMD level, for factors ia all below maxia.  The
 * vector code only where exp(-e ia) stays a normal number (e < 37.2, all but
 * a 1e-16 share of the exponentials, for ia < 19, a > 0.053): below that its
 * subnormal results make every vector operation a microcode assist, and the
 * scalar loop is faster (same numbers either way). */
static void g_boost(double *z, const double *e, const double *ia, double ia0, double maxia, intptr_t c)
{
#ifdef GW_X86
    int level = maxia < 19.0 ? nd_exponential_simd_level() : 0;
    if (level >= 3) { g_boost_512(z, e, ia, ia0, c); return; }
    if (level == 2) { g_boost_256(z, e, ia, ia0, c); return; }
#endif
    (void)maxia;
    g_boost_c(z, e, ia, ia0, c);
}

G_CLONES static void g_log_pass(double *z, intptr_t c)
{
    intptr_t k;
    for (k = 0; k < c; k++) {
        double g = z[k], lg = nd_log_pos(g);
        z[k] = g > 0.0 ? lg : -g_inf;
    }
}

/* Fill z[0..c) with G(a) (log = 0) or log G(a) (log = 1) for one constant a;
 * cr: the call's carry (gcarry_init for p). */
static void gamma_const(nd_bits_t *bits, intptr_t c, double *z, const gprm *p, int log_, gcarry *cr)
{
    intptr_t k;
    double ew[EW_CHUNK];
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
        gb_fill(bits, c, z, cr);
        if (log_) g_log_pass(z, c);
        return;
    default: /* GK_BMT: G(a + 1) for the piece, then its exponentials */
        gb_fill(bits, c, z, cr);
        nd_exponential_fill(bits, c, ew, 0);
        if (log_) {
            g_log_pass(z, c);
            for (k = 0; k < c; k++) z[k] = z[k] - ew[k] * p->ia;
        } else {
            g_boost(z, ew, NULL, p->ia, p->ia, c);
        }
        return;
    }
}

/* ---- varying concentrations ------------------------------------------------
 * (the rule: top of this file) Blocks of GB_N elements: the first tries of
 * all elements by gb_pass, then in element order the open or rejected ones
 * finished, then the boosts' exponentials. */

/* d and c of Marsaglia-Tsang for each a (of a + 1 when a < 1; 1 and 1/3 for a
 * NaN, <= 0 or +inf, whose try is drawn and ignored).  A loop of its own, so
 * that it vectorises (sqrt and division are IEEE). */
G_CLONES static void gv_params(const double *restrict a, intptr_t c, double *restrict dv, double *restrict cv)
{
    intptr_t j;
    for (j = 0; j < c; j++) {
        double aj = a[j], m = aj < 1.0 ? aj + 1.0 : aj, d = m - 1.0 / 3.0;
        d = aj > 0.0 && aj < g_inf ? d : 1.0;
        dv[j] = d;
        cv[j] = 1.0 / (3.0 * sqrt(d));
    }
}

/* per element of a block: bit i of *bad: a[i] NaN, <= 0 or +inf; of *bst:
 * 0 < a[i] < 1 (boosted) */
static void gv_masks_c(const double *a, intptr_t i0, intptr_t nb, uint64_t *bad, uint64_t *bst)
{
    uint64_t b = *bad, s = *bst;
    intptr_t i;
    for (i = i0; i < nb; i++) {
        const double ai = a[i];
        b |= (uint64_t)!(ai > 0.0 && ai < g_inf) << i;
        s |= (uint64_t)(ai > 0.0 && ai < 1.0) << i;
    }
    *bad = b;
    *bst = s;
}

#ifdef GW_X86
__attribute__((target("avx512f"))) static void gv_masks_512(const double *a, intptr_t nb, uint64_t *bad, uint64_t *bst)
{
    const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0), inf = _mm512_set1_pd(g_inf);
    uint64_t b = 0, s = 0;
    intptr_t i = 0;
    for (; i + 8 <= nb; i += 8) {
        __m512d x = _mm512_loadu_pd(a + i);
        __mmask8 pos = _mm512_cmp_pd_mask(x, zero, _CMP_GT_OQ);
        b |= (uint64_t)(uint8_t)~(pos & _mm512_cmp_pd_mask(x, inf, _CMP_LT_OQ)) << i;
        s |= (uint64_t)(pos & _mm512_cmp_pd_mask(x, one, _CMP_LT_OQ)) << i;
    }
    *bad = b;
    *bst = s;
    if (i < nb) gv_masks_c(a, i, nb, bad, bst);
}

__attribute__((target("avx2"))) static void gv_masks_256(const double *a, intptr_t nb, uint64_t *bad, uint64_t *bst)
{
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0), inf = _mm256_set1_pd(g_inf);
    uint64_t b = 0, s = 0;
    intptr_t i = 0;
    for (; i + 4 <= nb; i += 4) {
        __m256d x = _mm256_loadu_pd(a + i);
        __m256d pos = _mm256_cmp_pd(x, zero, _CMP_GT_OQ);
        b |= (uint64_t)(15 & ~_mm256_movemask_pd(_mm256_and_pd(pos, _mm256_cmp_pd(x, inf, _CMP_LT_OQ)))) << i;
        s |= (uint64_t)_mm256_movemask_pd(_mm256_and_pd(pos, _mm256_cmp_pd(x, one, _CMP_LT_OQ))) << i;
    }
    *bad = b;
    *bst = s;
    if (i < nb) gv_masks_c(a, i, nb, bad, bst);
}
#endif

static void gv_masks(int level, const double *a, intptr_t nb, uint64_t *bad, uint64_t *bst)
{
#ifdef GW_X86
    if (level >= 3) { gv_masks_512(a, nb, bad, bst); return; }
    if (level == 2) { gv_masks_256(a, nb, bad, bst); return; }
#endif
    (void)level;
    *bad = *bst = 0;
    gv_masks_c(a, 0, nb, bad, bst);
}

/* c draws for the concentrations a[0..c) into z (c <= EW_CHUNK; z does not
 * overlap a): G(a), or log G(a) when log_ */
static void gamma_vary(nd_bits_t *bits, intptr_t c, const double *a, double *z, int log_)
{
    double dv[EW_CHUNK], cv[EW_CHUNK], eb[EW_CHUNK];
    uint64_t wbuf[2 * GB_N], spw[2 * GB_N], badv[EW_CHUNK / GB_N], bstv[EW_CHUNK / GB_N];
    intptr_t k0, j, nbst = 0;
    const int level = nd_exponential_simd_level();
    gv_params(a, c, dv, cv);
    for (k0 = 0; k0 < c; k0 += GB_N) {
        const intptr_t nb = c - k0 < GB_N ? c - k0 : GB_N;
        const uint64_t *w = gb_words(bits, 2 * nb, wbuf, level);
        const uint64_t lanes = nb == 64 ? ~UINT64_C(0) : (UINT64_C(1) << nb) - 1;
        uint64_t ok, sp, fix, m, badm, bstm;
        intptr_t i, e = 0;
        gv_masks(level, a + k0, nb, &badm, &bstm);
        badv[k0 / GB_N] = badm;
        bstv[k0 / GB_N] = bstm;
        gb_pass(level, w, w + nb, nb, dv + k0, cv + k0, z + k0, &ok, &sp);
        fix = (~ok | badm) & lanes;
        /* the open and rejected tries' words first: drawing can refill the
         * buffer under w */
        for (m = fix & ~badm; m; m &= m - 1, e++) {
            i = gb_ctz64(m);
            spw[2 * e] = w[i];
            spw[2 * e + 1] = w[nb + i];
        }
        for (m = fix, e = 0; m; m &= m - 1) {
            const intptr_t k = k0 + (i = gb_ctz64(m));
            if ((badm >> i) & 1) {
                z[k] = a[k] > 0.0 ? g_inf : g_nan;
                continue;
            }
            if (!(((sp >> i) & 1) && mt_finish(bits, dv[k], cv[k], spw[2 * e], spw[2 * e + 1], &z[k])))
                z[k] = mt_draw(bits, dv[k], cv[k]); /* rejected: new tries after the block */
            e++;
        }
        for (m = bstm; m; m &= m - 1) eb[nbst++] = nd_standard_exponential(bits);
    }
    if (log_) {
        g_log_pass(z, c);
        for (k0 = 0, j = 0; k0 < c; k0 += GB_N) {
            uint64_t m;
            for (m = badv[k0 / GB_N]; m; m &= m - 1) {
                const intptr_t k = k0 + gb_ctz64(m);
                z[k] = a[k] > 0.0 ? g_inf : g_nan;
            }
            for (m = bstv[k0 / GB_N]; m; m &= m - 1) {
                const intptr_t k = k0 + gb_ctz64(m);
                z[k] = z[k] - eb[j++] * (1.0 / a[k]);
            }
        }
        return;
    }
    if (nbst == 0) return;
    /* the boosts g exp(-e / a), gathered (in vectors where the results stay
     * normal: g_boost); dv and cv are free now: the values and 1/a of the
     * boosted elements */
    {
        double *bz = dv, *bia = cv, maxia = 0.0;
        uint16_t bidx[EW_CHUNK];
        intptr_t nb = 0, e;
        for (k0 = 0; k0 < c; k0 += GB_N) {
            uint64_t m;
            for (m = bstv[k0 / GB_N]; m; m &= m - 1) {
                const intptr_t k = k0 + gb_ctz64(m);
                bidx[nb] = (uint16_t)k;
                bz[nb] = z[k];
                bia[nb] = 1.0 / a[k];
                maxia = bia[nb] > maxia ? bia[nb] : maxia;
                nb++;
            }
        }
        g_boost(bz, eb, bia, 0.0, maxia, nb);
        for (e = 0; e < nb; e++) z[bidx[e]] = bz[e];
    }
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
 * pieces of EW_CHUNK (one carry for the call: the pieces continue one run of
 * blocks); varying ones through gamma_vary, a piece's parameters read before
 * its outputs are written (out may be the parameter array itself). */
#define G_KERNEL_GAMMA(fname, T, LOG, SCALE)                                              \
    void fname(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,       \
               intptr_t s0, const char *p1, intptr_t s1)                                  \
    {                                                                                     \
        (void)p1; (void)s1;                                                               \
        if (n <= 0) return;                                                               \
        ew_default(&p0, &s0, sizeof(T) == 8 ? (const void *)&g_one_d : (const void *)&g_one_f); \
        if (s0 != 0) {                                                                    \
            /* every value the same (NaN counted equal): the constant rule, whatever \
             * the stride, so that a broadcast and a copy give the same numbers */   \
            const double v0 = (double)EW_AT(T, p0, 0);                                    \
            intptr_t j = 1;                                                               \
            while (j < n) {                                                               \
                const double vj = (double)EW_AT(T, p0, j * s0);                           \
                if (!(vj == v0 || (vj != vj && v0 != v0))) break;                         \
                j++;                                                                      \
            }                                                                             \
            if (j == n) s0 = 0;                                                           \
        }                                                                                 \
        if (s0 == 0) {                                                                    \
            double a0 = (double)EW_AT(T, p0, 0) * (SCALE);                                \
            gprm p = gprm_of(a0);                                                         \
            double buf[EW_CHUNK];                                                         \
            gcarry cr;                                                                    \
            gcarry_init(&cr, &p);                                                         \
            nd_bits_expect(bits, (size_t)((double)n * (a0 < 1 ? GAMMA_WORDS_SMALL : GAMMA_WORDS)) + 1); \
            if (p.kind == GK_MT && !(LOG) && sizeof(T) == 8 && os == 8 && (SCALE) == 1.0) {        \
                /* contiguous float64 G(a), a > 1: the whole run of blocks in place  \
                 * (the same values as piece by piece; no carry copy per piece) */   \
                if (n >= GB_NT_MIN && cr.level >= 2 && (uintptr_t)out % 8 == 0 && bits->stream_out) \
                    gb_fill_nt(bits, n, (double *)(void *)out, &cr);                      \
                else                                                                      \
                    gb_fill(bits, n, (double *)(void *)out, &cr);                         \
                return;                                                                   \
            }                                                                             \
            {                                                                             \
            /* a large contiguous float64 output: pieces drawn in buf (L1) and \
             * streamed out (nd_stream_copy) */                                  \
            const int nt = sizeof(T) == 8 && os == 8 && (SCALE) == 1.0 && n >= GB_NT_MIN && \
                           cr.level >= 2 && (uintptr_t)out % 8 == 0 && bits->stream_out;  \
            while (n > 0) {                                                               \
                intptr_t c = n < EW_CHUNK ? n : EW_CHUNK, k;                              \
                /* contiguous float64 output: drawn in place (a0 was read first) */       \
                double *z = sizeof(T) == 8 && os == 8 && !nt ? (double *)(void *)out : buf; \
                gamma_const(bits, c, z, &p, LOG, &cr);                                    \
                if (nt)                                                                   \
                    nd_stream_copy(cr.level, (double *)(void *)out, buf, c);              \
                else if ((void *)z != (void *)out || (SCALE) != 1.0)                      \
                    for (k = 0; k < c; k++) EW_OUT(T, out, k * os) = (T)(z[k] / (SCALE)); \
                out += c * os;                                                            \
                n -= c;                                                                   \
            }                                                                             \
            if (nt) nd_stream_fence(cr.level);                                            \
            }                                                                             \
            return;                                                                       \
        }                                                                                 \
        nd_bits_expect(bits, (size_t)((double)n * GAMMA_WORDS_SMALL) + 1);                \
        {                                                                                 \
            double av[EW_CHUNK], zv[EW_CHUNK];                                            \
            while (n > 0) {                                                               \
                intptr_t c = n < EW_CHUNK ? n : EW_CHUNK, k;                              \
                /* aligned contiguous float64: read and written in place */               \
                const int f64 = sizeof(T) == 8 && (SCALE) == 1.0;                         \
                const int pin = f64 && s0 == 8 && (uintptr_t)p0 % 8 == 0;                 \
                const char *plo = s0 > 0 ? p0 : p0 + (c - 1) * s0;                       \
                const char *phi = s0 > 0 ? p0 + (c - 1) * s0 + sizeof(T) : p0 + sizeof(T); \
                const int oin = f64 && os == 8 && (uintptr_t)out % 8 == 0 &&              \
                                ((uintptr_t)(out + c * 8) <= (uintptr_t)plo ||            \
                                 (uintptr_t)phi <= (uintptr_t)out);                       \
                const double *ap = pin ? (const double *)(const void *)p0 : av;           \
                double *zp = oin ? (double *)(void *)out : zv;                            \
                if (!pin)                                                                 \
                    for (k = 0; k < c; k++) av[k] = (double)EW_AT(T, p0, k * s0) * (SCALE); \
                gamma_vary(bits, c, ap, zp, LOG);                                         \
                if (!oin)                                                                 \
                    for (k = 0; k < c; k++) EW_OUT(T, out, k * os) = (T)(zv[k] / (SCALE)); \
                out += c * os;                                                            \
                p0 += c * s0;                                                             \
                n -= c;                                                                   \
            }                                                                             \
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
    gcarry cr;
    gcarry_init(&cr, &p);
    for (off = 0; off < n; off += EW_CHUNK)
        gamma_const(bits, n - off < EW_CHUNK ? n - off : EW_CHUNK, out + off, &p, log_, &cr);
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
