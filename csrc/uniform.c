/*
 * Element-wise kernels that take exactly one word per element, in element
 * order (element i uses word i of the draw):
 *
 *   uniform   (p0 low = 0, p1 high = 1):
 *     f64: u = (w >> 11) 2^-53 in [0,1) (53 bits); r = low + (high - low) * u
 *          (product rounded, then sum);
 *     f32: u = (w >> 40) 2^-24 (24 bits), the same in float arithmetic.
 *     When high > low and rounding gave r >= high, r is the largest value below
 *     high (so r < high always; r >= low still holds).  high <= low gives values
 *     in (high, low] (no clamp), NaN gives NaN; high - low overflowing to inf is
 *     outside the contract (values are inf / NaN / near high, never UB).
 *   bernoulli (p0 probs = 0.5): u = (w >> 12) 2^-52 in [0,1) (52 bits, exact as
 *     1.m - 1); out = 1 if u < p else 0, compared exactly, so p <= 0 never and
 *     p >= 1 always gives 1; NaN probs give NaN.  Output in the parameter type;
 *     f32 compares (double)p, so f32 and f64 agree for the same p.
 */
#include "ew_common.h"

static inline double unif_clamp_d(double r, double lo, double hi)
{
    uint64_t hb = nd_dbl_to_bits(hi);
    /* largest double below hi: hi > 0: bits - 1; hi < 0: bits + 1; hi = +-0: -2^-1074 */
    uint64_t pb = hi > 0.0 ? hb - 1 : (hi < 0.0 ? hb + 1 : UINT64_C(0x8000000000000001));
    return (r >= hi && hi > lo) ? nd_bits_to_dbl(pb) : r;
}

static inline float unif_clamp_f(float r, float lo, float hi)
{
    uint32_t hb, pb;
    float out;
    memcpy(&hb, &hi, 4);
    pb = hi > 0.0f ? hb - 1 : (hi < 0.0f ? hb + 1 : UINT32_C(0x80000001));
    memcpy(&out, &pb, 4);
    return (r >= hi && hi > lo) ? out : r;
}

#define UNIF_D_S(A, B)                                                                  \
    for (k = 0; k < c; k++) {                                                           \
        double lo = EW_AT(double, p0, k * (A)), hi = EW_AT(double, p1, k * (B));        \
        z[k] = unif_clamp_d(lo + (hi - lo) * ew_u53(w[k]), lo, hi);                     \
    }

EW_CLONES static void unif_pass_d(const uint64_t *w, intptr_t c, double *z, const char *p0,
                                  intptr_t s0, const char *p1, intptr_t s1)
{
    intptr_t k;
    EW_SPECIALIZE2(UNIF_D_S, s0, s1, 8);
}

#define UNIF_F_S(A, B)                                                                  \
    for (k = 0; k < c; k++) {                                                           \
        float lo = EW_AT(float, p0, k * (A)), hi = EW_AT(float, p1, k * (B));           \
        float u = (float)(int32_t)(w[k] >> 40) * 0x1p-24f;                              \
        z[k] = unif_clamp_f(lo + (hi - lo) * u, lo, hi);                                \
    }

EW_CLONES static void unif_pass_f(const uint64_t *w, intptr_t c, float *z, const char *p0,
                                  intptr_t s0, const char *p1, intptr_t s1)
{
    intptr_t k;
    EW_SPECIALIZE2(UNIF_F_S, s0, s1, 4);
}

#define BERN_S(T, A)                                                                    \
    for (k = 0; k < c; k++) {                                                           \
        double p = (double)EW_AT(T, p0, k * (A));                                       \
        double r = ew_u52(w[k]) < p ? 1.0 : 0.0;                                        \
        z[k] = (T)(p == p ? r : p);                                                     \
    }
#define BERN_D_S(A) BERN_S(double, A)
#define BERN_F_S(A) BERN_S(float, A)

EW_CLONES static void bern_pass_d(const uint64_t *w, intptr_t c, double *z, const char *p0,
                                  intptr_t s0)
{
    intptr_t k;
    EW_SPECIALIZE1(BERN_D_S, s0, 8);
}

EW_CLONES static void bern_pass_f(const uint64_t *w, intptr_t c, float *z, const char *p0,
                                  intptr_t s0)
{
    intptr_t k;
    EW_SPECIALIZE1(BERN_F_S, s0, 4);
}

/* One word per element, straight from the bit buffer: chunks of at most
 * EW_CHUNK elements and at most the words left in the buffer. */
#define WORD_KERNEL(fname, T, D0, D1, PASS_CALL)                                          \
    void fname(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,       \
               intptr_t s0, const char *p1, intptr_t s1)                                  \
    {                                                                                     \
        T buf[EW_CHUNK];                                                                  \
        if (n <= 0) return;                                                               \
        nd_bits_expect(bits, (size_t)n);                                                  \
        ew_default(&p0, &s0, D0);                                                         \
        ew_default(&p1, &s1, D1);                                                         \
        while (n > 0) {                                                                   \
            intptr_t c, k;                                                                \
            const uint64_t *w = ew_words(bits, n < EW_CHUNK ? n : EW_CHUNK, &c);          \
            T *z = buf;                                                                   \
            if (os == (intptr_t)sizeof(T) &&                                              \
                ew_disjoint(out, (size_t)c * sizeof(T), p0, s0, c, sizeof(T)) &&          \
                ew_disjoint(out, (size_t)c * sizeof(T), p1, s1, c, sizeof(T)))            \
                z = (T *)(void *)out;                                                     \
            PASS_CALL;                                                                    \
            if ((void *)z != (void *)out)                                                 \
                for (k = 0; k < c; k++) EW_OUT(T, out, k * os) = z[k];                    \
            out += c * os;                                                                \
            p0 += c * s0;                                                                 \
            p1 += c * s1;                                                                 \
            n -= c;                                                                       \
        }                                                                                 \
    }

WORD_KERNEL(nd_ew_uniform_f64, double, &ew_zero_d, &ew_one_d, unif_pass_d(w, c, z, p0, s0, p1, s1))
WORD_KERNEL(nd_ew_uniform_f32, float, &ew_zero_f, &ew_one_f, unif_pass_f(w, c, z, p0, s0, p1, s1))
WORD_KERNEL(nd_ew_bernoulli_f64, double, &ew_half_d, &ew_half_d, bern_pass_d(w, c, z, p0, s0))
WORD_KERNEL(nd_ew_bernoulli_f32, float, &ew_half_f, &ew_half_f, bern_pass_f(w, c, z, p0, s0))
