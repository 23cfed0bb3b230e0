/*
 * Standard exponential: 256-layer ziggurat, exact tail by memorylessness.  The
 * stream rule is in numdist/ziggurat.h; the tables (nd_exp_*) come from
 * tools/gen_ziggurat_tables.py.  This file has the out-of-line rest of the rule
 * (rejections) and the fast fill of a contiguous buffer, which gives exactly the
 * numbers of nd_standard_exponential called once per element.
 *
 * Determinism: IEEE double arithmetic, integer work and nd_log_pos only (no
 * libm), no contraction (pragmas in ndmath.h, -ffp-contract=off from CMake).
 */
#include "numdist/ziggurat.h"

#include <string.h>

#if defined(__GNUC__)
#define EX_LIKELY(x) __builtin_expect(!!(x), 1)
#define EX_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define EX_NOINLINE __attribute__((noinline))
#else
#define EX_LIKELY(x) (x)
#define EX_UNLIKELY(x) (x)
#define EX_NOINLINE
#endif

/* Words for the rejections go through an ex_src, which records whether the bit
 * buffer was refilled meanwhile (the fast fill then drops its view of it). */
typedef struct {
    nd_bits_t *b;
    int refilled;
} ex_src;

static inline uint64_t ex_next64(ex_src *s)
{
    nd_bits_t *b = s->b;
    if (EX_UNLIKELY(b->pos == b->end)) {
        nd_bits_refill(b);
        s->refilled = 1;
    }
    return *b->pos++;
}

/* The exact wedge test of layer i >= 1 (y below the curve: -log y > x). */
static EX_NOINLINE int ex_wedge_exact(unsigned i, double u, double x)
{
    double y = nd_exp_fe[i] + u * (nd_exp_fe[i - 1] - nd_exp_fe[i]);
    return -nd_log_pos(y) > x;
}

/* Wedge decision of layer i >= 1 for candidate x with uniform word uw. */
static inline int ex_wedge(unsigned i, double x, uint64_t uw)
{
    const double *wt = nd_exp_wedge[i];
    double u = nd_u01_co(uw);
    double t = (wt[0] - x) * wt[1];
    if (u < t + wt[2]) return 1;
    if (u > t + wt[3]) return 0;
    return ex_wedge_exact(i, u, x);
}

/* The rule from candidate word w on (w is tested again). */
static EX_NOINLINE double ex_slow(ex_src *s, uint64_t w)
{
    double off = 0.0;
    for (;;) {
        unsigned i = (unsigned)(w & 0xff);
        uint64_t m = w >> 11;
        double x = (double)(int64_t)m * nd_exp_w[i];
        if (m < nd_exp_k[i]) return off + x;
        if (i == 0) {
            off += ND_EXP_R;
        } else if (ex_wedge(i, x, ex_next64(s))) {
            return off + x;
        }
        w = ex_next64(s);
    }
}

double nd_standard_exponential_slow(nd_bits_t *bits, uint64_t w)
{
    ex_src s;
    s.b = bits;
    s.refilled = 0;
    return ex_slow(&s, w);
}

/* Sign of a Laplace element: bit 8 of its first word, moved to bit 63. */
static inline double ex_sign(double x, uint64_t w, int sg)
{
    if (!sg) return x;
    return nd_bits_to_dbl(nd_dbl_to_bits(x) ^ ((w & 0x100) << 55));
}

/* Word i of p failed the rectangle test (w = p[i], x its candidate): resolve it
 * into o[0] (o[1] too if room >= 2), as normal.c's zig64_event does: the usual
 * case - wedge decided by the quick tests with word i+1, and word i+2 a
 * candidate that passes - needs no branch and always uses three words: if the
 * wedge accepted, x, then word i+2's value as the next element; if it
 * rejected, word i+2's value in x's place.  Returns (words used) << 2 | (values
 * written); meaningless if s->refilled.  p[i+1], p[i+2] are in the buffer. */
static EX_NOINLINE intptr_t ex_event(ex_src *s, const uint64_t *p, intptr_t i, uint64_t w,
                                     double x, double *o, intptr_t room, int sg)
{
    unsigned li = (unsigned)(w & 0xff);
    uint64_t w2 = p[i + 2], m2 = w2 >> 11, sel;
    unsigned j2 = (unsigned)(w2 & 0xff);
    const double *wt = nd_exp_wedge[li];
    double u = nd_u01_co(p[i + 1]);
    double t = (wt[0] - x) * wt[1];
    double x2 = (double)(int64_t)m2 * nd_exp_w[j2];
    int acc = u < t + wt[2], rj = u > t + wt[3], ok2 = m2 < nd_exp_k[j2];
    if (EX_LIKELY((li != 0) & (acc | rj) & ok2 & (room >= 2))) {
        sel = (uint64_t)0 - (uint64_t)acc;
        o[0] = ex_sign(nd_bits_to_dbl((nd_dbl_to_bits(x) & sel) | (nd_dbl_to_bits(x2) & ~sel)), w, sg);
        o[1] = ex_sign(x2, w2, sg);
        return (3 << 2) | (1 + acc);
    }
    s->b->pos = (uint64_t *)p + i + 1;
    o[0] = ex_sign(ex_slow(s, w), w, sg);
    if (s->refilled) return 1; /* the caller drops its view of the buffer */
    return ((intptr_t)(s->b->pos - (p + i)) << 2) | 1;
}


/* ---- level 0: the scalar fill ------------------------------------------- */

#define EX_STEP(k)                                                     \
    do {                                                               \
        uint64_t w_ = p[i + (k)], m_ = w_ >> 11;                       \
        unsigned j_ = (unsigned)(w_ & 0xff);                           \
        double x_ = (double)(int64_t)m_ * nd_exp_w[j_];                \
        if (EX_UNLIKELY(m_ >= nd_exp_k[j_])) {                         \
            i += (k);                                                  \
            d += (k);                                                  \
            w = w_;                                                    \
            x = x_;                                                    \
            goto event;                                                \
        }                                                              \
        out[d + (k)] = ex_sign(x_, w_, sg);                            \
    } while (0)

static inline void ex_fill_scalar(nd_bits_t *b, intptr_t n, double *out, const int sg)
{
    ex_src s;
    s.b = b;
    while (n > 0) {
        uint64_t *p, w;
        intptr_t i, d, lim, r;
        double x;
        if (b->pos == b->end) nd_bits_refill(b);
        p = b->pos;
        /* i: next word, d: next output (d <= i); two words of look-ahead are
         * kept for the usual resolution */
        lim = (b->end - p) - 2;
        i = d = 0;
        s.refilled = 0;
        for (;;) {
            if (i + 4 > lim || d + 4 > n) break;
            EX_STEP(0);
            EX_STEP(1);
            EX_STEP(2);
            EX_STEP(3);
            i += 4;
            d += 4;
            continue;
        event: /* word i failed the rectangle test; outputs before d are done */
            r = ex_event(&s, p, i, w, x, out + d, n - d, sg);
            d += r & 3;
            i += r >> 2;
            if (s.refilled) break;
        }
        out += d;
        n -= d;
        if (s.refilled) continue; /* b->pos is in the new buffer */
        /* the last few words of the buffer or of the draw, one at a time */
        b->pos = p + i;
        while (n > 0 && b->pos != b->end) {
            w = *b->pos++;
            *out++ = ex_sign(ex_slow(&s, w), w, sg);
            n--;
            if (s.refilled) break;
        }
    }
}

static void ex_fill_plain(nd_bits_t *b, intptr_t n, double *out) { ex_fill_scalar(b, n, out, 0); }
static void ex_fill_signed(nd_bits_t *b, intptr_t n, double *out) { ex_fill_scalar(b, n, out, 1); }

/* ---- SIMD levels -----------------------------------------------------------
 * The vector fill runs the same sequential rule: a step takes the next V
 * candidate words (V = 16 at AVX-512, 8 at AVX2), computes all V candidates
 * x = m * w[i] and stores them, and tests them with a filter that never
 * accepts what the rule rejects.  While every lane passes, element j is word
 * j's candidate and the loop moves on V words and V outputs.  At the first
 * lane that did not pass, the outputs before it stand, and that word goes
 * through the scalar rule exactly (the exact rectangle test, then ex_event /
 * ex_slow with the following words, as in the scalar fill); the vector loop
 * then resumes at the first word not used yet, and its stores overwrite the
 * junk lanes of the interrupted step.  So every value is the scalar rule's,
 * bit for bit, on every level.
 *
 * Table: one 64-bit entry per layer (ex_pack, built at load time from nd_exp_w
 * and nd_exp_k): bits 0-54 hold w[i]'s bit pattern minus EX_E0 << 52 (every
 * w[i] has a biased exponent in [EX_E0, EX_E0 + 7], checked at build time of
 * the entry: otherwise the SIMD levels are off), bits 55-63 hold
 * K9 = k[i] >> 44.  One gather gives both:
 *   w[i] = (entry & (2^55 - 1)) + (EX_E0 << 52)       (exact);
 *   filter: word < (entry & ~(2^55 - 1)), i.e. (m >> 44) < (k[i] >> 44), which
 *   implies m < k[i]; it also turns away the m < k[i] whose top 9 bits equal
 *   K9 (about 0.1% of candidates): the exact test in scalar code accepts them.
 * m to double: AVX-512DQ vcvtqq2pd; AVX2: 2^52 + (m mod 2^52) from the bit
 * pattern, minus 2^52 unless bit 52 of m is set (exact: m < 2^53).
 *
 * Large fills (n >= EX_NT_MIN, i.e. a whole dispatcher chunk of 512 KB or
 * more) write through an L1 staging buffer of EX_STAGE values copied to the
 * output with non-temporal stores: the output does not pass through the
 * caches (no read for ownership), which at 1e7 values halves the memory
 * traffic.  Smaller fills store directly.
 *
 * Level selection: 0 scalar (any machine), 2 AVX2, 3 AVX-512 (F, DQ, VL); the
 * best the CPU has, capped by nd_exponential_level_cap (tests; not in a
 * public header) and by the environment variable NUMDIST_SIMD_MAX, read once
 * at load time (for tests and benchmarks: "avx512", "avx2", or "scalar"; also
 * 3 / 2 / 0).  Only the exponential-ziggurat fills (exponential, laplace,
 * gumbel, geometric) and the gumbel / geometric log passes honour it. */

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define EX_X86 1
#include <immintrin.h>
#include <stdlib.h>
#define EX_T512 __attribute__((target("avx512f,avx512dq,avx512vl,popcnt")))
#define EX_T256 __attribute__((target("avx2,popcnt")))
#define EX_ALWAYS_INLINE inline __attribute__((always_inline))
#endif

int nd_exponential_level_cap = 3; /* tests only: lower it to run the narrower paths */

#ifdef EX_X86
static int ex_hw_level = 0;    /* best level of this CPU (and of ex_pack) */
static int ex_env_cap = 3;     /* NUMDIST_SIMD_MAX */
static uint64_t ex_pack[256] __attribute__((aligned(64)));
#define EX_LOW55 ((UINT64_C(1) << 55) - 1)
static uint64_t ex_e0; /* EX_E0 << 52 */

__attribute__((constructor)) static void ex_init(void)
{
    const char *e = getenv("NUMDIST_SIMD_MAX");
    unsigned emin = 0x7ff, emax = 0, i;
    int lvl = 0;
    for (i = 0; i < 256; i++) {
        unsigned ex = (unsigned)(nd_dbl_to_bits(nd_exp_w[i]) >> 52);
        if (ex < emin) emin = ex;
        if (ex > emax) emax = ex;
    }
    if (emin >= 1 && emax < 0x7ff && emax - emin <= 7) {
        ex_e0 = (uint64_t)emin << 52;
        for (i = 0; i < 256; i++)
            ex_pack[i] = ((nd_exp_k[i] >> 44) << 55) | (nd_dbl_to_bits(nd_exp_w[i]) - ex_e0);
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
            __builtin_cpu_supports("avx512vl"))
            lvl = 3;
        else if (__builtin_cpu_supports("avx2"))
            lvl = 2;
    }
    ex_hw_level = lvl;
    if (e != NULL) {
        if (!strcmp(e, "avx512") || !strcmp(e, "3")) ex_env_cap = 3;
        else if (!strcmp(e, "avx2") || !strcmp(e, "2")) ex_env_cap = 2;
        else if (!strcmp(e, "sse2") || !strcmp(e, "1") || !strcmp(e, "scalar") || !strcmp(e, "0"))
            ex_env_cap = 0;
    }
}

static inline int ex_level(void)
{
    int l = ex_hw_level;
    if (l > ex_env_cap) l = ex_env_cap;
    if (l > nd_exponential_level_cap) l = nd_exponential_level_cap;
    return l;
}
#else
static inline int ex_level(void) { return 0; }
#endif

int nd_exponential_simd_level(void) { return ex_level(); }

#ifdef EX_X86

#define EX_NT_MIN ((intptr_t)65536)
#define EX_STAGE 512

/* V = 16 words: stores 16 candidates at o, returns the filter's pass mask. */
EX_T512 static EX_ALWAYS_INLINE unsigned ex_step512(const uint64_t *q, double *o, const int sg)
{
    const __m512i ff = _mm512_set1_epi64(0xff), low = _mm512_set1_epi64((long long)EX_LOW55);
    const __m512i e0 = _mm512_set1_epi64((long long)ex_e0), sb = _mm512_set1_epi64(INT64_MIN);
    __m512i W0 = _mm512_loadu_si512(q), W1 = _mm512_loadu_si512(q + 8);
    __m512i E0 = _mm512_i64gather_epi64(_mm512_and_si512(W0, ff), (const void *)ex_pack, 8);
    __m512i E1 = _mm512_i64gather_epi64(_mm512_and_si512(W1, ff), (const void *)ex_pack, 8);
    __m512d w0 = _mm512_castsi512_pd(_mm512_add_epi64(_mm512_and_si512(E0, low), e0));
    __m512d w1 = _mm512_castsi512_pd(_mm512_add_epi64(_mm512_and_si512(E1, low), e0));
    __m512d x0 = _mm512_mul_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(W0, 11)), w0);
    __m512d x1 = _mm512_mul_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(W1, 11)), w1);
    __mmask8 a0 = _mm512_cmplt_epu64_mask(W0, _mm512_andnot_si512(low, E0));
    __mmask8 a1 = _mm512_cmplt_epu64_mask(W1, _mm512_andnot_si512(low, E1));
    if (sg) {
        /* x ^ ((word << 55) & sign): bit 8 is the sign */
        x0 = _mm512_castsi512_pd(_mm512_ternarylogic_epi64(_mm512_castpd_si512(x0), _mm512_slli_epi64(W0, 55), sb, 0x78));
        x1 = _mm512_castsi512_pd(_mm512_ternarylogic_epi64(_mm512_castpd_si512(x1), _mm512_slli_epi64(W1, 55), sb, 0x78));
    }
    _mm512_storeu_pd(o, x0);
    _mm512_storeu_pd(o + 8, x1);
    return (unsigned)a0 | ((unsigned)a1 << 8);
}

EX_T256 static EX_ALWAYS_INLINE unsigned ex_step256_1(const uint64_t *q, double *o, const int sg)
{
    const __m256i ff = _mm256_set1_epi64x(0xff), low = _mm256_set1_epi64x((long long)EX_LOW55);
    const __m256i e0 = _mm256_set1_epi64x((long long)ex_e0), sb = _mm256_set1_epi64x(INT64_MIN);
    const __m256i m52 = _mm256_set1_epi64x((long long)((UINT64_C(1) << 52) - 1));
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d two52 = _mm256_set1_pd(0x1p52);
    __m256i W = _mm256_loadu_si256((const __m256i *)q);
    __m256i E = _mm256_i64gather_epi64((const long long *)ex_pack, _mm256_and_si256(W, ff), 8);
    __m256d w = _mm256_castsi256_pd(_mm256_add_epi64(_mm256_and_si256(E, low), e0));
    /* m = word >> 11 < 2^53: 2^52 + (m mod 2^52), minus 2^52 unless bit 52 of m
     * (bit 63 of the word, its sign) is set */
    __m256d lo = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(_mm256_srli_epi64(W, 11), m52), magic));
    __m256d md = _mm256_sub_pd(lo, _mm256_blendv_pd(two52, _mm256_setzero_pd(), _mm256_castsi256_pd(W)));
    __m256d x = _mm256_mul_pd(md, w);
    __m256i acc = _mm256_cmpgt_epi64(_mm256_srli_epi64(E, 55), _mm256_srli_epi64(W, 55));
    if (sg) x = _mm256_xor_pd(x, _mm256_castsi256_pd(_mm256_and_si256(_mm256_slli_epi64(W, 55), sb)));
    _mm256_storeu_pd(o, x);
    return (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(acc));
}

/* V = 8 words */
EX_T256 static EX_ALWAYS_INLINE unsigned ex_step256(const uint64_t *q, double *o, const int sg)
{
    unsigned a0 = ex_step256_1(q, o, sg), a1 = ex_step256_1(q + 4, o + 4, sg);
    return a0 | (a1 << 4);
}

/* The vector fill: n values into o, which has room for max(n, room) values
 * (room > n lets the steps write past n: the staging buffer). */
#define EX_FILL_SIMD(NAME, TGT, V, STEP)                                                   \
    TGT static EX_ALWAYS_INLINE void NAME(nd_bits_t *b, intptr_t n, double *out,         \
                                          intptr_t room, const int sg)                     \
    {                                                                                      \
        ex_src s;                                                                          \
        const unsigned full = (1u << (V)) - 1;                                             \
        s.b = b;                                                                           \
        if (room < n) room = n;                                                            \
        while (n > 0) {                                                                    \
            uint64_t *p, w, m;                                                             \
            intptr_t i, d, lim, r;                                                         \
            unsigned ok, li;                                                               \
            double x;                                                                      \
            if (b->pos == b->end) nd_bits_refill(b);                                       \
            p = b->pos;                                                                    \
            lim = (b->end - p) - 2; /* two words of look-ahead for ex_event */             \
            i = d = 0;                                                                     \
            s.refilled = 0;                                                                \
            for (;;) {                                                                     \
                if (i + (V) > lim || d + (V) > room) break;                                \
                ok = STEP(p + i, out + d, sg);                                             \
                if (EX_LIKELY(ok == full) && d + (V) <= n) {                               \
                    i += (V);                                                              \
                    d += (V);                                                              \
                    continue;                                                              \
                }                                                                          \
                r = (intptr_t)__builtin_ctz(~ok); /* <= V */                               \
                if (d + r >= n) { /* the draw ends within the passing lanes */             \
                    i += n - d;                                                            \
                    d = n;                                                                 \
                    break;                                                                 \
                }                                                                          \
                i += r;                                                                    \
                d += r;                                                                    \
                /* word i: the exact rule */                                               \
                w = p[i];                                                                  \
                m = w >> 11;                                                               \
                li = (unsigned)(w & 0xff);                                                 \
                x = (double)(int64_t)m * nd_exp_w[li];                                     \
                if (m < nd_exp_k[li]) {                                                    \
                    out[d++] = ex_sign(x, w, sg);                                          \
                    i++;                                                                   \
                    if (d == n) break;                                                     \
                    continue;                                                              \
                }                                                                          \
                r = ex_event(&s, p, i, w, x, out + d, n - d, sg);                          \
                d += r & 3;                                                                \
                i += r >> 2;                                                               \
                if (s.refilled || d >= n) break;                                           \
            }                                                                              \
            out += d;                                                                      \
            n -= d;                                                                        \
            room -= d;                                                                     \
            if (s.refilled) continue; /* b->pos is in the new buffer */                    \
            b->pos = p + i;                                                                \
            while (n > 0 && b->pos != b->end) {                                            \
                w = *b->pos++;                                                             \
                *out++ = ex_sign(ex_slow(&s, w), w, sg);                                   \
                n--;                                                                       \
                room--;                                                                    \
                if (s.refilled) break;                                                     \
            }                                                                              \
        }                                                                                  \
    }

EX_FILL_SIMD(ex_core512, EX_T512, 16, ex_step512)
EX_FILL_SIMD(ex_core256, EX_T256, 8, ex_step256)

/* Large fills: head to a 64-byte boundary directly, then EX_STAGE values at a
 * time through the staging buffer with non-temporal stores, then the rest. */
#define EX_FILL_NT(NAME, TGT, CORE, V, STREAM)                                             \
    TGT static EX_ALWAYS_INLINE void NAME(nd_bits_t *b, intptr_t n, double *out, const int sg) \
    {                                                                                      \
        double tmp[EX_STAGE + (V)] __attribute__((aligned(64)));                           \
        intptr_t head = (intptr_t)(((64 - ((uintptr_t)out & 63)) & 63) >> 3), k;           \
        if (((uintptr_t)out & 7) != 0 || n < EX_NT_MIN) {                                  \
            CORE(b, n, out, n, sg);                                                        \
            return;                                                                        \
        }                                                                                  \
        CORE(b, head, out, head, sg);                                                      \
        out += head;                                                                       \
        n -= head;                                                                         \
        while (n >= EX_STAGE) {                                                            \
            CORE(b, EX_STAGE, tmp, EX_STAGE + (V), sg);                                    \
            for (k = 0; k < EX_STAGE; k += 8) STREAM(out + k, tmp + k);                    \
            out += EX_STAGE;                                                               \
            n -= EX_STAGE;                                                                 \
        }                                                                                  \
        _mm_sfence();                                                                      \
        CORE(b, n, out, n, sg);                                                            \
    }

#define EX_STREAM512(o, t) _mm512_stream_pd((o), _mm512_load_pd(t))
#define EX_STREAM256(o, t)                                       \
    do {                                                         \
        _mm256_stream_pd((o), _mm256_load_pd(t));                \
        _mm256_stream_pd((o) + 4, _mm256_load_pd((t) + 4));      \
    } while (0)

EX_FILL_NT(ex_fill512, EX_T512, ex_core512, 16, EX_STREAM512)
EX_FILL_NT(ex_fill256, EX_T256, ex_core256, 8, EX_STREAM256)

EX_T512 static void ex_fill512_plain(nd_bits_t *b, intptr_t n, double *out) { ex_fill512(b, n, out, 0); }
EX_T512 static void ex_fill512_signed(nd_bits_t *b, intptr_t n, double *out) { ex_fill512(b, n, out, 1); }
EX_T256 static void ex_fill256_plain(nd_bits_t *b, intptr_t n, double *out) { ex_fill256(b, n, out, 0); }
EX_T256 static void ex_fill256_signed(nd_bits_t *b, intptr_t n, double *out) { ex_fill256(b, n, out, 1); }
#endif

void nd_exponential_fill(nd_bits_t *bits, intptr_t n, double *out, int signed_)
{
    int level;
    if (n <= 0) return;
    level = ex_level();
#ifdef EX_X86
    if (level >= 3) {
        if (signed_) ex_fill512_signed(bits, n, out);
        else ex_fill512_plain(bits, n, out);
        return;
    }
    if (level == 2) {
        if (signed_) ex_fill256_signed(bits, n, out);
        else ex_fill256_plain(bits, n, out);
        return;
    }
#endif
    (void)level;
    if (signed_) ex_fill_signed(bits, n, out);
    else ex_fill_plain(bits, n, out);
}
