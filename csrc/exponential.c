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

static inline void ex_fill(nd_bits_t *b, intptr_t n, double *out, const int sg)
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

static void ex_fill_plain(nd_bits_t *b, intptr_t n, double *out) { ex_fill(b, n, out, 0); }
static void ex_fill_signed(nd_bits_t *b, intptr_t n, double *out) { ex_fill(b, n, out, 1); }

void nd_exponential_fill(nd_bits_t *bits, intptr_t n, double *out, int signed_)
{
    if (n <= 0) return;
    if (signed_) ex_fill_signed(bits, n, out);
    else ex_fill_plain(bits, n, out);
}
