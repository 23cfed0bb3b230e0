/*
 * Private helpers of the element-wise kernels (csrc/<family>.c): chunking,
 * parameter access with byte strides, defaults for NULL parameters, stride
 * specialisation so that contiguous / broadcast loops vectorise.
 */
#ifndef NUMDIST_EW_COMMON_H
#define NUMDIST_EW_COMMON_H

#include <stdint.h>
#include <string.h>

#include "numdist/elementwise.h"
#include "numdist/ndmath.h"
#include "numdist/ziggurat.h"

/* Expected words per standard exponential (measured: 1 + the rejection rate). */
#define EW_EXP_WORDS 1.034

/* Elements per pass of the chunked kernels (a stack buffer of this many doubles). */
#define EW_CHUNK 1024

#define EW_AT(T, base, off) (*(const T *)((const char *)(base) + (off)))
#define EW_OUT(T, base, off) (*(T *)((char *)(base) + (off)))

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && \
    !defined(__clang__)
/* AVX2 clones of the arithmetic passes (picked at run time; same numbers: IEEE
 * operations only, no contraction). */
#define EW_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define EW_CLONES
#endif

/* Defaults of NULL parameters: a pointer to a constant with stride 0, so that
 * NULL and an explicit default run the same arithmetic (the same bits). */
static const double ew_zero_d = 0.0, ew_one_d = 1.0;
static const float ew_zero_f = 0.0f, ew_one_f = 1.0f;
static const double ew_half_d = 0.5;
static const float ew_half_f = 0.5f;

static inline void ew_default(const char **p, intptr_t *s, const void *dflt)
{
    if (*p == NULL) {
        *p = (const char *)dflt;
        *s = 0;
    }
}

/* Is [out, out + olen) disjoint from the c elements of p (stride s, size esz)? */
static inline int ew_disjoint(const void *out, size_t olen, const char *p, intptr_t s,
                              intptr_t c, size_t esz)
{
    uintptr_t o0 = (uintptr_t)out, o1 = o0 + olen, p0 = (uintptr_t)p, p1;
    if (p == NULL || c <= 0) return 1;
    if (s < 0) p0 -= (uintptr_t)(-s) * (uintptr_t)(c - 1);
    p1 = p0 + (uintptr_t)(s < 0 ? -s : s) * (uintptr_t)(c - 1) + esz;
    return p1 <= o0 || o1 <= p0;
}

/* Call CALL(a, b) with the strides (s0, s1) as compile-time constants in the
 * common cases (contiguous esz or broadcast 0), else as given. */
#define EW_SPECIALIZE2(CALL, s0, s1, esz)                                   \
    do {                                                                    \
        if ((s0) == (esz) && (s1) == (esz)) { CALL(esz, esz); }                 \
        else if ((s0) == 0 && (s1) == 0) { CALL(0, 0); }                        \
        else if ((s0) == (esz) && (s1) == 0) { CALL(esz, 0); }                  \
        else if ((s0) == 0 && (s1) == (esz)) { CALL(0, esz); }                  \
        else { CALL(s0, s1); }                                                  \
    } while (0)

#define EW_SPECIALIZE1(CALL, s0, esz)                                       \
    do {                                                                    \
        if ((s0) == (esz)) { CALL(esz); }                                       \
        else if ((s0) == 0) { CALL(0); }                                        \
        else { CALL(s0); }                                                      \
    } while (0)

/* 53-bit uniform [0,1) from a word, (w >> 11) 2^-53, without an int64 -> double
 * conversion (none in SSE2/AVX2), so that loops vectorise: exact. */
static inline double ew_u53(uint64_t w)
{
    uint64_t t = w >> 11;
    double hi = nd_bits_to_dbl(UINT64_C(0x4330000000000000) | (t >> 26)) - 0x1p52;
    double lo = nd_bits_to_dbl(UINT64_C(0x4330000000000000) | (t & 0x3ffffff)) - 0x1p52;
    return (hi * 0x1p26 + lo) * 0x1p-53;
}

/* 52-bit uniform [0,1) from a word, (w >> 12) 2^-52: 1.m - 1, exact. */
static inline double ew_u52(uint64_t w)
{
    return nd_bits_to_dbl((w >> 12) | UINT64_C(0x3ff0000000000000)) - 1.0;
}

/* Take up to want words from bits as one contiguous span (at least 1 when
 * want >= 1): *n_out words at the returned pointer, consumed. */
static inline const uint64_t *ew_words(nd_bits_t *b, intptr_t want, intptr_t *n_out)
{
    const uint64_t *p;
    intptr_t avail;
    if (b->pos == b->end) nd_bits_refill(b);
    avail = b->end - b->pos;
    if (want > avail) want = avail;
    p = b->pos;
    b->pos += want;
    *n_out = want;
    return p;
}

/* Kernels, by family file. */
#define EW_DECL(name)                                                                   \
    void name##_f64(nd_bits_t *bits, intptr_t n, char *out, intptr_t out_stride,        \
                    const char *p0, intptr_t s0, const char *p1, intptr_t s1);          \
    void name##_f32(nd_bits_t *bits, intptr_t n, char *out, intptr_t out_stride,        \
                    const char *p0, intptr_t s0, const char *p1, intptr_t s1)

#endif

/* ---- generic chunked kernels over a standard double fill ------------------
 * EW_PASS2(name, T, EXPR): static void name(double *z, intptr_t c, p0, s0, p1,
 * s1) setting z[k] = EXPR in place, with a = (double)p0[k], b = (double)p1[k]
 * (T the parameter type) and x = z[k]; specialised for contiguous / broadcast
 * strides, AVX2 clone. */
#define EW_PASS2(name, T, EXPR)                                                          \
    static inline void name##_s(double *z, intptr_t c, const char *p0, intptr_t s0,      \
                                const char *p1, intptr_t s1)                             \
    {                                                                                    \
        intptr_t k;                                                                      \
        for (k = 0; k < c; k++) {                                                        \
            double a = (double)EW_AT(T, p0, k * s0), b = (double)EW_AT(T, p1, k * s1);   \
            double x = z[k];                                                             \
            (void)a; (void)b;                                                            \
            z[k] = (EXPR);                                                               \
        }                                                                                \
    }                                                                                    \
    EW_CLONES static void name(double *z, intptr_t c, const char *p0, intptr_t s0,       \
                               const char *p1, intptr_t s1)                              \
    {                                                                                    \
        EW_PASS2_DISPATCH_(name, T)                                                      \
    }

#define EW_PASS2_DISPATCH_(name, T)                                                      \
    {                                                                                    \
        const intptr_t esz_ = (intptr_t)sizeof(T);                                       \
        if (s0 == esz_ && s1 == esz_) name##_s(z, c, p0, (intptr_t)sizeof(T), p1, (intptr_t)sizeof(T)); \
        else if (s0 == 0 && s1 == 0) name##_s(z, c, p0, 0, p1, 0);                       \
        else if (s0 == esz_ && s1 == 0) name##_s(z, c, p0, (intptr_t)sizeof(T), p1, 0);  \
        else if (s0 == 0 && s1 == esz_) name##_s(z, c, p0, 0, p1, (intptr_t)sizeof(T)); \
        else name##_s(z, c, p0, s0, p1, s1);                                             \
    }

/* z (contiguous doubles) -> out (stride os), unless z is out. */
static inline void ew_store_f64(char *out, intptr_t os, const double *z, intptr_t c)
{
    intptr_t k;
    if ((const void *)z == (void *)out) return;
    if (os == 8) memcpy(out, z, (size_t)c * 8);
    else for (k = 0; k < c; k++) EW_OUT(double, out, k * os) = z[k];
}

static inline void ew_store_f32(char *out, intptr_t os, const double *z, intptr_t c)
{
    intptr_t k;
    if (os == 4) { float *o = (float *)out; for (k = 0; k < c; k++) o[k] = (float)z[k]; }
    else for (k = 0; k < c; k++) EW_OUT(float, out, k * os) = (float)z[k];
}

/* A kernel whose elements are PASS(standard value, p0, p1), the standard
 * values drawn by FILL(bits, c, z) (a contiguous double fill with the
 * prefix property).  f64: the fill goes straight into out when out is
 * contiguous and disjoint from the parameters. */
#define EW_KERNEL_FILL(fname, T, FILL, PASS, D0, D1, WORDS)                               \
    void fname(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,       \
               intptr_t s0, const char *p1, intptr_t s1)                                  \
    {                                                                                     \
        double buf[EW_CHUNK];                                                             \
        if (n <= 0) return;                                                               \
        nd_bits_expect(bits, (size_t)((double)n * (WORDS)) + 1);                          \
        ew_default(&p0, &s0, D0);                                                         \
        ew_default(&p1, &s1, D1);                                                         \
        while (n > 0) {                                                                   \
            intptr_t c = n < EW_CHUNK ? n : EW_CHUNK;                                     \
            double *z = buf;                                                              \
            if (sizeof(T) == 8 && os == 8 &&                                              \
                ew_disjoint(out, (size_t)c * 8, p0, s0, c, sizeof(T)) &&                  \
                ew_disjoint(out, (size_t)c * 8, p1, s1, c, sizeof(T)))                    \
                z = (double *)(void *)out;                                                \
            FILL(bits, c, z);                                                             \
            PASS(z, c, p0, s0, p1, s1);                                                   \
            if (sizeof(T) == 8) ew_store_f64(out, os, z, c);                              \
            else ew_store_f32(out, os, z, c);                                             \
            out += c * os;                                                                \
            p0 += c * s0;                                                                 \
            p1 += c * s1;                                                                 \
            n -= c;                                                                       \
        }                                                                                 \
    }
