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
 * and nd_exp_k): bits 0-55 hold the low 56 bits of w[i]'s bit pattern (every
 * w[i] has the same top byte - sign and the top 7 exponent bits, checked when
 * the table is built: otherwise the SIMD levels are off), bits 56-63 hold
 * K8 = k[i] >> 45.  One gather gives both:
 *   w[i] = (entry & (2^56 - 1)) | (the common top byte << 56)   (exact; one
 *   vpternlogq at AVX-512);
 *   filter: word < (entry & ~(2^56 - 1)), i.e. (m >> 45) < (k[i] >> 45), which
 *   implies m < k[i]; it also turns away the m < k[i] whose top 8 bits equal
 *   K8 (about 0.2% of candidates): the exact test in scalar code accepts them.
 * m to double: AVX-512DQ vcvtqq2pd; AVX2: 2^52 + (m mod 2^52) from the bit
 * pattern, minus 2^52 unless bit 52 of m is set (exact: m < 2^53).
 *
 * Large fills (n >= EX_NT_MIN, i.e. a whole dispatcher chunk of 512 KB or
 * more) write through an L1 staging buffer of EX_STAGE values copied to the
 * output with non-temporal stores: the output does not pass through the
 * caches (no read for ownership), which at 1e7 values halves the memory
 * traffic), when the caller allows it (nd_bits_t.stream_out).  Smaller fills,
 * and all fills without that flag, store directly.
 *
 * Fills that need more than a block take whole blocks instead (the words made
 * in the same loop): see "whole blocks" below; the windows serve the rest.
 *
 * Level selection: 0 scalar (any machine), 2 AVX2 (+ BMI1, POPCNT), 3 AVX-512
 * (F, DQ, VL, BW; VBMI2 used where present); the best the CPU has, capped by nd_exponential_level_cap (tests; not in a
 * public header) and by the environment variable NUMDIST_SIMD_MAX, read once
 * at load time (for tests and benchmarks: "avx512", "avx2", or "scalar"; also
 * 3 / 2 / 0).  Only the exponential-ziggurat fills (exponential, laplace,
 * gumbel, geometric) and the gumbel / geometric log passes honour it. */

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define EX_X86 1
#include <immintrin.h>
#include <stdlib.h>
#include "numdist/simd_words.h"
#include "numdist/simd_env.h"
#define EX_T512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,popcnt,bmi")))
#define EX_T256 __attribute__((target("avx2,popcnt,bmi")))
#define EX_ALWAYS_INLINE inline __attribute__((always_inline))
#define EX_TRES __attribute__((target("popcnt,bmi")))
#endif

int nd_exponential_level_cap = 3; /* tests only: lower it to run the narrower paths */

#ifdef EX_X86
static int ex_hw_level = 0;    /* best level of this CPU (and of ex_pack) */
static int ex_env_cap = 3;     /* NUMDIST_SIMD_MAX */
static int ex_vbmi2 = 0;       /* AVX-512 VBMI2 (the list of marked words) */
static uint64_t ex_pack[256] __attribute__((aligned(64)));
#define EX_LOW56 ((UINT64_C(1) << 56) - 1)
static uint64_t ex_top; /* the top byte common to the bit patterns of nd_exp_w, in place */

__attribute__((constructor)) static void ex_init(void)
{
    unsigned i, same = 1;
    int lvl = 0;
    ex_top = nd_dbl_to_bits(nd_exp_w[0]) & ~EX_LOW56;
    for (i = 0; i < 256; i++) same &= (nd_dbl_to_bits(nd_exp_w[i]) & ~EX_LOW56) == ex_top;
    if (same) {
        for (i = 0; i < 256; i++)
            ex_pack[i] = ((nd_exp_k[i] >> 45) << 56) | (nd_dbl_to_bits(nd_exp_w[i]) & EX_LOW56);
        __builtin_cpu_init();
        if (!__builtin_cpu_supports("bmi") || !__builtin_cpu_supports("popcnt"))
            lvl = 0; /* tzcnt in ex_resolve; every AVX2 CPU has both */
        else if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")) {
            lvl = 3;
            ex_vbmi2 = __builtin_cpu_supports("avx512vbmi2");
        }
        else if (__builtin_cpu_supports("avx2"))
            lvl = 2;
    }
    ex_hw_level = lvl;
    ex_env_cap = nd_simd_env_cap();
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

/* 8 words in W: stores their 8 candidates at o, returns the filter's pass mask. */
EX_T512 static EX_ALWAYS_INLINE unsigned ex_cand512(__m512i W, double *o, const int sg)
{
    const __m512i ff = _mm512_set1_epi64(0xff), low = _mm512_set1_epi64((long long)EX_LOW56);
    const __m512i top = _mm512_set1_epi64((long long)ex_top), sb = _mm512_set1_epi64(INT64_MIN);
    __m512i E = _mm512_i64gather_epi64(_mm512_and_si512(W, ff), (const void *)ex_pack, 8);
    __m512d w = _mm512_castsi512_pd(_mm512_ternarylogic_epi64(E, low, top, 0xEA)); /* (E & low) | top */
    __m512d x = _mm512_mul_pd(_mm512_cvtepi64_pd(_mm512_srli_epi64(W, 11)), w);
    __mmask8 a = _mm512_cmplt_epu64_mask(W, _mm512_andnot_si512(low, E));
    if (sg) /* x ^ ((word << 55) & sign): bit 8 is the sign */
        x = _mm512_castsi512_pd(_mm512_ternarylogic_epi64(_mm512_castpd_si512(x), _mm512_slli_epi64(W, 55), sb, 0x78));
    _mm512_storeu_pd(o, x);
    return (unsigned)a;
}

/* V = 16 words at q: stores 16 candidates at o, returns the filter's pass mask. */
EX_T512 static EX_ALWAYS_INLINE unsigned ex_step512(const uint64_t *q, double *o, const int sg)
{
    unsigned a0 = ex_cand512(_mm512_loadu_si512(q), o, sg);
    unsigned a1 = ex_cand512(_mm512_loadu_si512(q + 8), o + 8, sg);
    return a0 | (a1 << 8);
}

/* 4 words in W (AVX2): stores their 4 candidates at o, returns the pass mask. */
EX_T256 static EX_ALWAYS_INLINE unsigned ex_cand256(__m256i W, double *o, const int sg)
{
    const __m256i ff = _mm256_set1_epi64x(0xff), low = _mm256_set1_epi64x((long long)EX_LOW56);
    const __m256i top = _mm256_set1_epi64x((long long)ex_top), sb = _mm256_set1_epi64x(INT64_MIN);
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d two52 = _mm256_set1_pd(0x1p52);
    __m256i E = _mm256_i64gather_epi64((const long long *)ex_pack, _mm256_and_si256(W, ff), 8);
    __m256d w = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(E, low), top));
    /* m = word >> 11 < 2^53: the pattern m | 2^52's is 2^52 + (m mod 2^52) (bit
     * 52 of m, the word's sign bit, falls on the exponent's lowest bit, which
     * 0x433 has set already); minus 2^52 unless that bit is set (a compare and
     * an and-not: vblendvpd is more uops on recent cores) */
    __m256d lo = _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(W, 11), magic));
    __m256i neg = _mm256_cmpgt_epi64(_mm256_setzero_si256(), W);
    __m256d md = _mm256_sub_pd(lo, _mm256_andnot_pd(_mm256_castsi256_pd(neg), two52));
    __m256d x = _mm256_mul_pd(md, w);
    __m256i acc = _mm256_cmpgt_epi64(_mm256_srli_epi64(E, 56), _mm256_srli_epi64(W, 56));
    if (sg) x = _mm256_xor_pd(x, _mm256_castsi256_pd(_mm256_and_si256(_mm256_slli_epi64(W, 55), sb)));
    _mm256_storeu_pd(o, x);
    return (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(acc));
}

/* V = 8 words at q */
EX_T256 static EX_ALWAYS_INLINE unsigned ex_step256(const uint64_t *q, double *o, const int sg)
{
    unsigned a0 = ex_cand256(_mm256_loadu_si256((const __m256i *)q), o, sg);
    unsigned a1 = ex_cand256(_mm256_loadu_si256((const __m256i *)(q + 4)), o + 4, sg);
    return a0 | (a1 << 4);
}

/* Windowed fill (as normal.c's float32 path): for a window of nw words,
 *   1. (vector) every word's candidate to tmp[k], and a bit per word that the
 *      filter did not pass;
 *   2. (scalar) the marked words in order through the exact rule: a false mark
 *      (m < k[i] after all) keeps its candidate; the usual rejection - wedge
 *      decided by the quick tests with the next word, and if it rejected, the
 *      word after a passing candidate - is resolved without a branch: word r+1
 *      is struck from the keep mask, and if the wedge rejected, word r+2's
 *      candidate takes r's place and r+2 is struck too; anything else runs
 *      ex_slow, its extra words struck.  A marked word that is an extra word
 *      of an earlier one is skipped.  If the extra words run past the window
 *      (or the buffer is refilled), the window ends after the word;
 *   3. (vector) the kept candidates packed down in order.
 * Every value is the sequential rule's; only the candidates of extra words
 * (about 3% of the words) are computed for nothing. */
#define EX_WIN 512

static inline void ex_strike(uint64_t *keep, intptr_t r, intptr_t used)
{
    intptr_t k;
    for (k = r + 1; k <= r + used; k++) keep[k >> 6] &= ~(UINT64_C(1) << (k & 63));
}

/* Pass 2 over window [0, nw) of p (cnt words in the buffer): returns end
 * (words of the window that give output); sets b->pos after the words used. */
static inline intptr_t ex_pass2(ex_src *s, uint64_t *p, intptr_t cnt, intptr_t nw, double *tmp,
                                const uint64_t *rej, uint64_t *keep, const int sg)
{
    intptr_t g, nextw = 0;
    for (g = 0; g < ((nw + 63) >> 6); g++) {
        uint64_t mk = rej[g];
        while (mk) {
            intptr_t r = (g << 6) + __builtin_ctzll(mk), used;
            uint64_t w, m;
            unsigned li;
            double x;
            mk &= mk - 1;
            if (r < nextw) continue; /* an extra word of an earlier rejection */
            w = p[r];
            m = w >> 11;
            li = (unsigned)(w & 0xff);
            x = (double)(int64_t)m * nd_exp_w[li];
            if (m < nd_exp_k[li]) continue; /* the filter's false mark: tmp[r] stands */
            used = 0;
            if (EX_LIKELY(r + 2 < cnt)) {
                uint64_t w2 = p[r + 2], m2 = w2 >> 11, sel;
                unsigned j2 = (unsigned)(w2 & 0xff);
                const double *wt = nd_exp_wedge[li];
                double u = nd_u01_co(p[r + 1]), t = (wt[0] - x) * wt[1];
                double x2 = (double)(int64_t)m2 * nd_exp_w[j2];
                int acc = u < t + wt[2], rj = u > t + wt[3], ok2 = m2 < nd_exp_k[j2];
                if (EX_LIKELY((li != 0) & (acc | rj) & (acc | ok2))) {
                    sel = (uint64_t)0 - (uint64_t)acc;
                    tmp[r] = nd_bits_to_dbl((nd_dbl_to_bits(tmp[r]) & sel) |
                                            (nd_dbl_to_bits(ex_sign(x2, w, sg)) & ~sel));
                    used = 2 - acc;
                    if (EX_UNLIKELY(r + 1 + used > nw)) {
                        s->b->pos = p + r + 1 + used;
                        return r + 1;
                    }
                }
            }
            if (used == 0) {
                s->b->pos = p + r + 1;
                tmp[r] = ex_sign(ex_slow(s, w), w, sg);
                if (s->refilled) return r + 1;
                used = s->b->pos - (p + r + 1);
                if (r + 1 + used > nw) return r + 1;
            }
            ex_strike(keep, r, used);
            nextw = r + 1 + used;
        }
    }
    s->b->pos = p + nw;
    return nw;
}

/* Pass 2 without a branch per marked word.  The rule read word by word: a
 * word is either a candidate or the wedge word of the candidate before it.
 * A candidate that passes the rectangle test gives its value x.  A real
 * rejection of layer i >= 1 takes the next word as its wedge word: accepted,
 * the value is x; rejected, nothing, and the word after the wedge word is a
 * fresh candidate for the same element.  A rejection in the tail layer 0 adds
 * ND_EXP_R to the element and the next word is a fresh candidate.  So, with
 * every word's candidate already in tmp (pass 1), a window needs only:
 *   - strikes: the wedge word of every real rejection, and the rejection itself
 *     if the wedge rejected or it was a tail word;
 *   - fix-ups: an element that took more than one candidate ends at the word
 *     `pending` after its last rejection; its value there is
 *     sign(first word) (off + x) with off = ND_EXP_R after one tail word (0
 *     otherwise) and the sign (Laplace: bit 8) of the element's first word.
 *     The fix-up is recorded at each rejection for the word after it; if that
 *     word is rejected in turn, its entry is struck and the next one counts.
 * The walk goes over the marked words only (everything else is a candidate
 * that passes, or a wedge word, which nextw tells).  Windows it does not
 * cover go to ex_pass2 (returns 0, keep and tmp untouched): a wedge word or
 * an element's end past the window, two tail words in one element (the
 * offsets' rounding order), and a wedge the quick tests leave open is
 * decided by the exact test here.  Otherwise b->pos = p + nw, all nw words
 * are used, and the window gives nw values minus the strikes. */
static EX_NOINLINE int ex_wedge_decide(unsigned li, double u, double x) { return ex_wedge_exact(li, u, x); }

static inline int ex_pass2_fast(ex_src *s, uint64_t *p, intptr_t nw, const uint64_t *rej,
                                uint64_t *keep, double *tmp, const int sg)
{
    uint16_t list[EX_WIN + 4], fpos[EX_WIN + 1];
    uint8_t ftail[EX_WIN + 1];
    uint64_t strike[EX_WIN / 64 + 1], fword[EX_WIN + 1], odd = 0;
    uint64_t cfirst = 0, ctails = 0;
    intptr_t g, ng = (nw + 63) >> 6, nm = 0, e, nextw = 0, pending = -1, nf = 0;
    /* the marked words in order, without a branch per word: four per group
     * unconditionally (a junk entry when the mask is empty: not counted), the
     * rare rest in a loop */
    for (g = 0; g < ng; g++) {
        uint64_t mk = rej[g];
        int q;
        for (q = 0; q < 4; q++) {
            list[nm] = (uint16_t)((g << 6) + (mk ? __builtin_ctzll(mk) : 0));
            nm += mk != 0;
            mk &= mk - 1;
        }
        while (EX_UNLIKELY(mk != 0)) {
            list[nm++] = (uint16_t)((g << 6) + __builtin_ctzll(mk));
            mk &= mk - 1;
        }
        strike[g] = 0;
    }
    strike[ng] = 0;
    for (e = 0; e < nm; e++) {
        intptr_t r = list[e], r1 = r + 1 < nw ? r + 1 : r, nxt;
        uint64_t w = p[r], m = w >> 11, cand, isr, tl, wg, isj, more, cont, first, tails;
        unsigned li = (unsigned)(w & 0xff);
        const double *wt = nd_exp_wedge[li];
        double x = (double)(int64_t)m * nd_exp_w[li], u = nd_u01_co(p[r1]), t = (wt[0] - x) * wt[1];
        int acc = u < t + wt[2], rj = u > t + wt[3];
        cand = (uint64_t)(r >= nextw);
        isr = cand & (uint64_t)(m >= nd_exp_k[li]);
        tl = isr & (uint64_t)(li == 0);
        wg = isr & (uint64_t)(li != 0);
        if (EX_UNLIKELY(wg & !(acc | rj) & (r + 1 < nw))) rj = !ex_wedge_decide(li, u, x);
        isj = wg & (uint64_t)rj;
        more = isj | tl; /* the element goes on at nxt */
        cont = (uint64_t)(r == pending);
        first = cont ? cfirst : w;
        tails = (cont ? ctails : 0) + tl;
        nxt = r + 1 + (intptr_t)wg; /* after the wedge word, or after a tail word */
        odd |= (wg & (uint64_t)(r + 1 >= nw)) | (more & (uint64_t)((nxt >= nw) | (tails >= 2)));
        strike[(r + 1) >> 6] |= wg << ((r + 1) & 63);
        strike[r >> 6] |= more << (r & 63);
        /* the fix-up of the element's end, provisionally at nxt */
        fpos[nf] = (uint16_t)(nxt < nw ? nxt : 0);
        fword[nf] = first;
        ftail[nf] = (uint8_t)tails;
        nf += (intptr_t)(more & (uint64_t)(sg | (int)tails));
        pending = more ? nxt : pending;
        cfirst = more ? first : cfirst;
        ctails = more ? tails : ctails;
        nextw = isr ? nxt : nextw;
    }
    if (odd) return 0;
    for (g = 0; g < ng; g++) keep[g] &= ~strike[g];
    for (e = 0; e < nf; e++) {
        intptr_t q = fpos[e];
        uint64_t w = p[q], m = w >> 11;
        double x = (double)(int64_t)m * nd_exp_w[w & 0xff];
        tmp[q] = ex_sign(ftail[e] ? ND_EXP_R + x : x, fword[e], sg);
    }
    s->b->pos = p + nw;
    return 1;
}

/* The kept (keep bit set) entries of tmp[0, end) to o in order (o may be tmp);
 * returns how many; may write junk up to 8 entries after them, within o[0, end
 * rounded up to 8). */
EX_T512 static EX_ALWAYS_INLINE intptr_t ex_pack512(const double *tmp, const uint64_t *keep, intptr_t end,
                                                   double *o)
{
    intptr_t k, d = 0, g;
    /* whole groups of 64: the mask bytes shifted out of one register */
    for (g = 0; g < (end >> 6); g++) {
        uint64_t mk = keep[g];
        int j;
        for (j = 0; j < 8; j++) {
            unsigned m = (unsigned)mk & 0xff;
            mk >>= 8;
            _mm512_storeu_pd(o + d, _mm512_maskz_compress_pd((__mmask8)m, _mm512_loadu_pd(tmp + 64 * g + 8 * j)));
            d += __builtin_popcount(m);
        }
    }
    for (k = g << 6; k < end; k += 8) {
        unsigned m = (unsigned)(keep[k >> 6] >> (k & 63)) & 0xff;
        if (end - k < 8) m &= (1u << (end - k)) - 1;
        _mm512_storeu_pd(o + d, _mm512_maskz_compress_pd((__mmask8)m, _mm512_loadu_pd(tmp + k)));
        d += __builtin_popcount(m);
    }
    return d;
}

/* dword permutation that packs the kept 64-bit entries of 4 (mask bits 0-3) */
static const uint8_t ex_pack_perm[16][8] = {
    {0, 0, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0, 0}, {2, 3, 0, 0, 0, 0, 0, 0}, {0, 1, 2, 3, 0, 0, 0, 0},
    {4, 5, 0, 0, 0, 0, 0, 0}, {0, 1, 4, 5, 0, 0, 0, 0}, {2, 3, 4, 5, 0, 0, 0, 0}, {0, 1, 2, 3, 4, 5, 0, 0},
    {6, 7, 0, 0, 0, 0, 0, 0}, {0, 1, 6, 7, 0, 0, 0, 0}, {2, 3, 6, 7, 0, 0, 0, 0}, {0, 1, 2, 3, 6, 7, 0, 0},
    {4, 5, 6, 7, 0, 0, 0, 0}, {0, 1, 4, 5, 6, 7, 0, 0}, {2, 3, 4, 5, 6, 7, 0, 0}, {0, 1, 2, 3, 4, 5, 6, 7}};

EX_T256 static EX_ALWAYS_INLINE intptr_t ex_pack256(const double *tmp, const uint64_t *keep, intptr_t end,
                                                   double *o)
{
    intptr_t k, d = 0, g;
    for (g = 0; g < (end >> 6); g++) {
        uint64_t mk = keep[g];
        int j;
        for (j = 0; j < 16; j++) {
            unsigned m = (unsigned)mk & 0xf;
            __m256i perm = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)ex_pack_perm[m]));
            __m256i v = _mm256_loadu_si256((const __m256i *)(tmp + 64 * g + 4 * j));
            mk >>= 4;
            _mm256_storeu_si256((__m256i *)(o + d), _mm256_permutevar8x32_epi32(v, perm));
            d += __builtin_popcount(m);
        }
    }
    for (k = g << 6; k < end; k += 4) {
        unsigned m = (unsigned)(keep[k >> 6] >> (k & 63)) & 0xf;
        __m256i perm, v;
        if (end - k < 4) m &= (1u << (end - k)) - 1;
        perm = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)ex_pack_perm[m]));
        v = _mm256_loadu_si256((const __m256i *)(tmp + k));
        _mm256_storeu_si256((__m256i *)(o + d), _mm256_permutevar8x32_epi32(v, perm));
        d += __builtin_popcount(m);
    }
    return d;
}

/* ---- whole blocks ----------------------------------------------------------
 * A fill that needs more than a block's worth of values and finds its buffer
 * empty takes the next block whole (EX_BLK words), in two passes:
 *   1. one loop that makes the words (numdist's generator: the 8 xoshiro lanes
 *      stepped in registers, each step's 8 words stored to b->buf and turned
 *      into 8 candidates at once, simd_words.h; a NumPy source: the refilled
 *      buffer read back) and stores every word's candidate (tmp) and a bit per
 *      word the filter did not pass (rej);
 *   2. ex_resolve: the marked words in order through the exact rule (below),
 *      then the kept candidates packed down in order (and streamed).
 * The rule read word by word: a word is a candidate, or the wedge word of the
 * candidate before it.  A candidate that passes the rectangle test is kept.  A
 * real rejection in a layer i >= 1 takes the next word as its wedge word
 * (struck); if the wedge accepts, the candidate is kept, otherwise it is struck
 * and the word after the wedge word is a fresh candidate for the same element.
 * A rejection in the tail layer 0 is struck and its element goes on at the
 * next word with ND_EXP_R added: if that word passes, its value is patched to
 * ND_EXP_R + x.  Laplace (sg): an element's sign is that of its first word, so
 * the word where a continued element ends gets that sign.  What is left -
 * a tail followed by another marked word, a rejection in the block's last two
 * words - ends the pass at that element's first word (the cut): the element
 * is drawn by ex_slow (which takes the next block's words if it needs them)
 * and the fill goes on from the word after it. */
#define EX_BLK ND_XO_BLOCK

/* The marked words of rej (ng groups of 64) in order into list; returns how
 * many.  Four per group without a branch (tzcnt of an empty mask is 64: a junk
 * entry, not counted), the rare rest in a loop; list has room for 64 ng + 4. */
EX_TRES static inline intptr_t ex_marks(const uint64_t *rej, intptr_t ng, uint16_t *list)
{
    intptr_t g, nm = 0;
    for (g = 0; g < ng; g++) {
        uint64_t mk = rej[g];
        int q;
        for (q = 0; q < 4; q++) {
            uint64_t t = (uint64_t)_tzcnt_u64(mk);
            list[nm] = (uint16_t)((g << 6) + (intptr_t)(t & 63));
            nm += (intptr_t)((t >> 6) ^ 1);
            mk &= mk - 1;
        }
        while (EX_UNLIKELY(mk != 0)) {
            list[nm++] = (uint16_t)((g << 6) + __builtin_ctzll(mk));
            mk &= mk - 1;
        }
    }
    return nm;
}

#ifdef EX_X86
/* The same list with AVX-512 VBMI2 (vpcompressw: 32 indices a time), where
 * the CPU has it: a quarter of the scalar version's instructions. */
__attribute__((target("avx512f,avx512bw,avx512vbmi2,popcnt"))) static inline intptr_t
ex_marks_vbmi2(const uint64_t *rej, intptr_t ng, uint16_t *list)
{
    const __m512i step = _mm512_set1_epi16(32);
    __m512i idx = _mm512_set_epi16(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13,
                                   12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    intptr_t g, nm = 0;
    for (g = 0; g < ng; g++) {
        uint64_t mk = rej[g];
        __mmask32 lo = (__mmask32)(uint32_t)mk, hi = (__mmask32)(uint32_t)(mk >> 32);
        _mm512_storeu_si512(list + nm, _mm512_maskz_compress_epi16(lo, idx));
        nm += __builtin_popcount((unsigned)(uint32_t)mk);
        idx = _mm512_add_epi16(idx, step);
        _mm512_storeu_si512(list + nm, _mm512_maskz_compress_epi16(hi, idx));
        nm += __builtin_popcount((unsigned)(uint32_t)(mk >> 32));
        idx = _mm512_add_epi16(idx, step);
    }
    return nm;
}
#endif

#define ex_marks512(rej, ng, list) (ex_vbmi2 ? ex_marks_vbmi2((rej), (ng), (list)) : ex_marks((rej), (ng), (list)))

/* Resolution of the block's marked words (list: their nm indices, in order);
 * returns the cut (nw if none), strike[] set for the words not kept. */
EX_TRES static inline intptr_t ex_resolve(const uint64_t *p, intptr_t nw, const uint64_t *rej,
                                          const uint16_t *list, intptr_t nm, uint8_t *strike, double *tmp,
                                          const int sg)
{
    intptr_t e, wedge_at = -1, pending = -1, pfirst = 0;
    for (e = 0; e < nm; e++) {
        intptr_t r = list[e], first, q;
        uint64_t w, m;
        unsigned li;
        if (EX_UNLIKELY(r == wedge_at)) continue; /* a wedge word: not a candidate */
        w = p[r];
        m = w >> 11;
        li = (unsigned)(w & 0xff);
        if (EX_UNLIKELY(m < nd_exp_k[li])) continue; /* the filter's false mark: kept */
        first = r == pending ? pfirst : r;
        if (EX_UNLIKELY(r + 2 >= nw)) return first;
        if (EX_UNLIKELY(li == 0)) {
            uint64_t wq;
            q = r + 1;
            if ((rej[q >> 6] >> (q & 63)) & 1) return first;
            wq = p[q];
            tmp[q] = ex_sign(ND_EXP_R + (double)(int64_t)(wq >> 11) * nd_exp_w[wq & 0xff], p[first], sg);
            strike[r] = 1;
            pending = -1;
            continue;
        }
        {
            const double *wt = nd_exp_wedge[li];
            double x = (double)(int64_t)m * nd_exp_w[li], u = nd_u01_co(p[r + 1]), t = (wt[0] - x) * wt[1];
            int acc = u < t + wt[2], rj = u > t + wt[3];
            /* both flags as values: otherwise GCC branches on each (a coin toss) */
            __asm__("" : "+r"(acc), "+r"(rj));
            if (EX_UNLIKELY((acc | rj) == 0)) acc = ex_wedge_decide(li, u, x);
            strike[r + 1] = 1;
            strike[r] = (uint8_t)(acc ^ 1);
            wedge_at = r + 1;
            /* the element ends here (accepted) or goes on at r + 2, whose
             * candidate then carries the element's sign (if r + 2 is marked
             * too, it is resolved in its turn and ends up kept or struck) */
            q = acc ? r : r + 2;
            if (sg)
                tmp[q] = nd_bits_to_dbl((nd_dbl_to_bits(tmp[q]) & ~(UINT64_C(1) << 63)) |
                                        ((p[first] & 0x100) << 55));
            pending = acc ? -1 : r + 2;
            pfirst = first;
        }
    }
    return nw;
}

/* keep[g]: the words of group g (64 words) not struck (a byte per word in
 * strike: plain stores in ex_resolve, no read-modify-write chain through the
 * keep words) */
EX_T512 static EX_ALWAYS_INLINE void ex_keep512(const uint8_t *strike, uint64_t *keep, intptr_t ng)
{
    intptr_t g;
    for (g = 0; g < ng; g++) {
        __m512i v = _mm512_loadu_si512(strike + 64 * g);
        keep[g] = ~(uint64_t)_mm512_test_epi8_mask(v, v);
    }
}

EX_T256 static EX_ALWAYS_INLINE void ex_keep256(const uint8_t *strike, uint64_t *keep, intptr_t ng)
{
    const __m256i zero = _mm256_setzero_si256();
    intptr_t g;
    for (g = 0; g < ng; g++) {
        __m256i lo = _mm256_loadu_si256((const __m256i *)(strike + 64 * g));
        __m256i hi = _mm256_loadu_si256((const __m256i *)(strike + 64 * g + 32));
        uint64_t klo = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, zero));
        uint64_t khi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, zero));
        keep[g] = klo | (khi << 32);
    }
}

/* Pass 1 over a whole block: gen, the block of b's Xoshiro256x8 made here
 * (b->buf written); otherwise b->buf read (a full NumPy refill). */
EX_T512 static EX_ALWAYS_INLINE void ex_block512(nd_bits_t *b, double *tmp, uint64_t *rej, const int sg,
                                                const int gen, const double *stg, double *out, intptr_t pl)
{
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    intptr_t g;
    int j;
    if (gen) {
        uint64_t st[4][ND_XO_LANES];
        nd_sw_begin_block(b, st);
        s0 = _mm512_loadu_si512(st[0]);
        s1 = _mm512_loadu_si512(st[1]);
        s2 = _mm512_loadu_si512(st[2]);
        s3 = _mm512_loadu_si512(st[3]);
    }
    for (g = 0; g < EX_BLK / 64; g++) {
        uint64_t m = 0;
        for (j = 0; j < 8; j++) {
            uint64_t *q = b->buf + 64 * g + 8 * j;
            __m512i W;
            if (gen) {
                W = nd_sw_step512(&s0, &s1, &s2, &s3);
                _mm512_storeu_si512(q, W);
            } else {
                W = _mm512_loadu_si512(q);
            }
            m |= (uint64_t)(~ex_cand512(W, tmp + 64 * g + 8 * j, sg) & 0xff) << (8 * j);
            /* a line of the previous block's values to the output (non-temporal)
             * per step: the stores drain while the lanes and gathers run */
            if (8 * g + j < pl)
                _mm512_stream_pd(out + 8 * (8 * g + j), _mm512_load_pd(stg + 8 * (8 * g + j)));
        }
        rej[g] = m;
    }
}

EX_T256 static EX_ALWAYS_INLINE void ex_block256(nd_bits_t *b, double *tmp, uint64_t *rej, const int sg,
                                                const int gen, const double *stg, double *out, intptr_t pl)
{
    /* lanes 0-3 in a*, lanes 4-7 in c* */
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0, c0 = a0, c1 = a0, c2 = a0, c3 = a0;
    intptr_t g;
    int j;
    if (gen) {
        uint64_t st[4][ND_XO_LANES];
        nd_sw_begin_block(b, st);
        a0 = _mm256_loadu_si256((const __m256i *)st[0]);
        a1 = _mm256_loadu_si256((const __m256i *)st[1]);
        a2 = _mm256_loadu_si256((const __m256i *)st[2]);
        a3 = _mm256_loadu_si256((const __m256i *)st[3]);
        c0 = _mm256_loadu_si256((const __m256i *)(st[0] + 4));
        c1 = _mm256_loadu_si256((const __m256i *)(st[1] + 4));
        c2 = _mm256_loadu_si256((const __m256i *)(st[2] + 4));
        c3 = _mm256_loadu_si256((const __m256i *)(st[3] + 4));
    }
    for (g = 0; g < EX_BLK / 64; g++) {
        uint64_t m = 0;
        for (j = 0; j < 8; j++) {
            uint64_t *q = b->buf + 64 * g + 8 * j;
            double *o = tmp + 64 * g + 8 * j;
            __m256i Wa, Wc;
            unsigned a;
            if (gen) {
                Wa = nd_sw_step256(&a0, &a1, &a2, &a3);
                Wc = nd_sw_step256(&c0, &c1, &c2, &c3);
                _mm256_storeu_si256((__m256i *)q, Wa);
                _mm256_storeu_si256((__m256i *)(q + 4), Wc);
            } else {
                Wa = _mm256_loadu_si256((const __m256i *)q);
                Wc = _mm256_loadu_si256((const __m256i *)(q + 4));
            }
            a = ex_cand256(Wa, o, sg) | (ex_cand256(Wc, o + 4, sg) << 4);
            m |= (uint64_t)(~a & 0xff) << (8 * j);
            if (8 * g + j < pl) {
                const double *t = stg + 8 * (8 * g + j);
                _mm256_stream_pd(out + 8 * (8 * g + j), _mm256_load_pd(t));
                _mm256_stream_pd(out + 8 * (8 * g + j) + 4, _mm256_load_pd(t + 4));
            }
        }
        rej[g] = m;
    }
}

/* n values into out.  nt: out is 64-byte aligned and the output goes through
 * the staging buffer with non-temporal stores (the caller fences). */
#define EX_FILL_WIN(NAME, TGT, V, STEP, BLOCK, MARKS, KEEP, PACK, STREAM, REFILL)                                 \
    TGT static EX_ALWAYS_INLINE void NAME(nd_bits_t *b, intptr_t n, double *out, const int sg, \
                                          const int nt)                                    \
    {                                                                                      \
        uint64_t rej[EX_BLK / 64] = {0}, keep[EX_BLK / 64 + 1];                            \
        double tmp[EX_BLK] __attribute__((aligned(64)));                                   \
        uint8_t strike[EX_BLK + 64] __attribute__((aligned(64)));                          \
        uint16_t list[EX_BLK + 32];                                                        \
        double stg[EX_BLK + 64] __attribute__((aligned(64)));                              \
        intptr_t sd = 0, k, pl = 0; /* pl: whole lines of stg not streamed yet */          \
        ex_src s;                                                                          \
        s.b = b;                                                                           \
        while (n > 0) {                                                                    \
            uint64_t *p;                                                                   \
            intptr_t cnt, nw, end, d;                                                      \
            double *dst;                                                                   \
            if (b->pos == b->end && n > EX_BLK) {                                          \
                if (b->xo != NULL) BLOCK(b, tmp, rej, sg, 1, stg, out, pl);                 \
                else {                                                                     \
                    nd_bits_refill(b);                                                     \
                    if (b->end - b->pos == EX_BLK) BLOCK(b, tmp, rej, sg, 0, stg, out, pl); \
                }                                                                          \
                if (b->end - b->pos == EX_BLK) {                                           \
                    intptr_t k0, e2, nm;                                                   \
                    if (pl) { /* streamed by BLOCK */                                      \
                        out += 8 * pl;                                                     \
                        memmove(stg, stg + 8 * pl, (size_t)(sd - 8 * pl) * 8);             \
                        sd -= 8 * pl;                                                      \
                        pl = 0;                                                            \
                    }                                                                      \
                    p = b->buf;                                                            \
                    memset(strike, 0, sizeof strike);                                      \
                    nm = MARKS(rej, EX_BLK / 64, list);                                    \
                    end = ex_resolve(p, EX_BLK, rej, list, nm, strike, tmp, sg);           \
                    KEEP(strike, keep, EX_BLK / 64);                                       \
                    for (k0 = 0; k0 < end; k0 += EX_WIN) {                                 \
                        e2 = end - k0 < EX_WIN ? end - k0 : EX_WIN;                        \
                        if (nt) {                                                          \
                            d = PACK(tmp + k0, keep + (k0 >> 6), e2, stg + sd);            \
                            sd += d;                                                       \
                        } else {                                                           \
                            d = PACK(tmp + k0, keep + (k0 >> 6), e2, out);                 \
                            out += d;                                                      \
                        }                                                                  \
                        n -= d;                                                            \
                    }                                                                      \
                    if (end < EX_BLK) { /* the cut: one element by the scalar rule */      \
                        double v;                                                          \
                        b->pos = p + end + 1;                                              \
                        s.refilled = 0;                                                    \
                        v = ex_sign(ex_slow(&s, p[end]), p[end], sg);                      \
                        if (nt) stg[sd++] = v;                                             \
                        else *out++ = v;                                                   \
                        n--;                                                               \
                    } else {                                                               \
                        b->pos = p + EX_BLK;                                               \
                    }                                                                      \
                    pl = nt ? sd >> 3 : 0; /* streamed during the next block, or below */  \
                    continue;                                                              \
                }                                                                          \
            }                                                                              \
            if (pl) {                                                                      \
                for (k = 0; k < 8 * pl; k += 8) STREAM(out + k, stg + k);                  \
                out += k;                                                                  \
                memmove(stg, stg + k, (size_t)(sd - k) * 8);                               \
                sd -= k;                                                                   \
                pl = 0;                                                                    \
            }                                                                              \
            if (b->pos == b->end) REFILL(b);                                               \
            p = b->pos;                                                                    \
            cnt = b->end - p;                                                              \
            nw = cnt < n ? cnt : n;                                                        \
            nw = nw < EX_WIN ? (nw & ~(intptr_t)((V) - 1)) : EX_WIN;                       \
            s.refilled = 0;                                                                \
            if (nw <= 0) { /* fewer than V words or values: one value */                   \
                uint64_t w = *b->pos++;                                                    \
                double v = ex_sign(ex_slow(&s, w), w, sg);                                 \
                if (nt) stg[sd++] = v;                                                     \
                else *out++ = v;                                                           \
                n--;                                                                       \
                if (nt && sd >= EX_WIN) { /* a source of tiny refills (NumPy) */         \
                    for (k = 0; k + 8 <= sd; k += 8) STREAM(out + k, stg + k);             \
                    out += k;                                                              \
                    memcpy(stg, stg + k, (size_t)(sd - k) * 8);                            \
                    sd -= k;                                                               \
                }                                                                          \
                continue;                                                                  \
            }                                                                              \
            dst = nt ? tmp : out;                                                          \
            for (k = 0; k < nw; k += 64) {                                                 \
                intptr_t e = nw - k < 64 ? nw - k : 64, t;                                 \
                uint64_t m = 0;                                                            \
                for (t = 0; t < e; t += (V))                                               \
                    m |= (uint64_t)(~STEP(p + k + t, dst + k + t, sg) & ((1u << (V)) - 1)) << t; \
                rej[k >> 6] = m;                                                           \
            }                                                                              \
            for (k = 0; k < (nw >> 6); k++) keep[k] = ~UINT64_C(0);                        \
            keep[(size_t)nw >> 6] = (UINT64_C(1) << (nw & 63)) - 1;                             \
            if (ex_pass2_fast(&s, p, nw, rej, keep, dst, sg)) end = nw;                    \
            else end = ex_pass2(&s, p, cnt, nw, dst, rej, keep, sg);                       \
            if (nt) {                                                                      \
                d = PACK(tmp, keep, end, stg + sd);                                        \
                sd += d;                                                                   \
                for (k = 0; k + 8 <= sd; k += 8) STREAM(out + k, stg + k);                 \
                out += k;                                                                  \
                memcpy(stg, stg + k, (size_t)(sd - k) * 8);                                \
                sd -= k;                                                                   \
            } else {                                                                       \
                d = PACK(out, keep, end, out);                                             \
                out += d;                                                                  \
            }                                                                              \
            n -= d;                                                                        \
        }                                                                                  \
        if (pl) {                                                                          \
            for (k = 0; k < 8 * pl; k += 8) STREAM(out + k, stg + k);                      \
            out += k;                                                                      \
            memmove(stg, stg + k, (size_t)(sd - k) * 8);                                   \
            sd -= k;                                                                       \
        }                                                                                  \
        if (nt) memcpy(out, stg, (size_t)sd * 8);                                          \
    }

#define EX_STREAM512(o, t) _mm512_stream_pd((o), _mm512_load_pd(t))
#define EX_STREAM256(o, t)                                       \
    do {                                                         \
        _mm256_stream_pd((o), _mm256_load_pd(t));                \
        _mm256_stream_pd((o) + 4, _mm256_load_pd((t) + 4));      \
    } while (0)

EX_FILL_WIN(ex_core512, EX_T512, 16, ex_step512, ex_block512, ex_marks512, ex_keep512, ex_pack512, EX_STREAM512, nd_sw_refill512)
EX_FILL_WIN(ex_core256, EX_T256, 8, ex_step256, ex_block256, ex_marks, ex_keep256, ex_pack256, EX_STREAM256, nd_bits_refill)

/* Large fills the caller lets stream (b->stream_out): the head to a 64-byte
 * boundary stored directly, the rest through the staging buffer with
 * non-temporal stores.  Not numdist/stream_store.h's copy: the lines of one
 * block leave during the next block's steps (ex_block512 / 256), which a copy
 * after each block would serialise. */
#define EX_FILL_NT(NAME, TGT, CORE)                                                        \
    TGT static EX_ALWAYS_INLINE void NAME(nd_bits_t *b, intptr_t n, double *out, const int sg) \
    {                                                                                      \
        intptr_t head = (intptr_t)(((64 - ((uintptr_t)out & 63)) & 63) >> 3);              \
        if (((uintptr_t)out & 7) != 0 || n < EX_NT_MIN || !b->stream_out) {                \
            CORE(b, n, out, sg, 0);                                                        \
            return;                                                                        \
        }                                                                                  \
        CORE(b, head, out, sg, 0);                                                         \
        CORE(b, n - head, out + head, sg, 1);                                              \
        _mm_sfence();                                                                      \
    }

EX_FILL_NT(ex_fill512, EX_T512, ex_core512)
EX_FILL_NT(ex_fill256, EX_T256, ex_core256)

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
