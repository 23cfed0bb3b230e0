/*
 * Scalar samplers for reuse by compound samplers (gamma, Poisson, Student t,
 * ...): one value per call from the words of an nd_bits_t, as static inline
 * functions over the generated tables (numdist/ziggurat_tables.h), so hot loops
 * inline the common case; the rare rejections call out of line.
 *
 * Stream rules (fixed: same words, same values, on every machine and SIMD level;
 * IEEE double arithmetic and numdist's own log only, numdist/ndmath.h):
 *
 *   nd_standard_normal: the float64 ziggurat rule of normal.h, exactly: one word
 *     per candidate (bits 0-7 layer, bit 8 sign, bits 12-63 the 52-bit
 *     magnitude); a rejected candidate draws its wedge / tail words and fresh
 *     candidate words as normal.h says.  So k calls give the values of
 *     random_normal_fill(bits, ND_NORMAL_ZIGGURAT, k, ...) on the same words.
 *
 *   nd_standard_exponential: 256-layer exponential ziggurat (tables nd_exp_*),
 *     one word per candidate: bits 0-7 layer i, bits 11-63 the 53-bit magnitude
 *     m (bits 8-10 are not used: a Laplace draw takes its sign from bit 8 of an
 *     element's first word), candidate x = m * nd_exp_w[i] (one rounding).
 *       - m < nd_exp_k[i]: the value is x;
 *       - else, layer 0 (the tail): the value is ND_EXP_R + (an exponential drawn
 *         by this same rule from the next words), by memorylessness; with k tail
 *         visits the value is (ND_EXP_R added k times to 0, in order) + x_final;
 *       - else (layer i >= 1, wedge): the next word gives u = (w >> 11) 2^-53 and
 *         y = fe[i] + u (fe[i-1] - fe[i]) (fe = nd_exp_fe); x is accepted iff
 *         -nd_log_pos(y) > x (i.e. y < exp(-x)); quick chord / tangent tests
 *         decide most cases, always as this test would (margin 1e-9 of the
 *         layer height, far above the rounding errors); if rejected, the next
 *         word is a fresh candidate.
 *     Expected words per value: about 1.02.
 *
 *   Uniform helpers take one word w each (nd_u01_* from a word, nd_bits_*
 *   drawing it):
 *     nd_u01_co(w)   [0,1)  (w >> 11) 2^-53            (53 bits)
 *     nd_u01_oc(w)   (0,1]  ((w >> 11) + 1) 2^-53      (53 bits, safe under log)
 *     nd_u01_oo(w)   (0,1)  ((w >> 12) + 1/2) 2^-52    (52 bits, never 0 or 1)
 *     nd_u01f_co(w)  [0,1)  (w >> 40) 2^-24            (float, 24 bits)
 *     nd_u01f_oc(w)  (0,1]  ((w >> 40) + 1) 2^-24
 *     nd_u01f_oo(w)  (0,1)  ((w >> 41) + 1/2) 2^-23
 *   (nd_u01_co / nd_u01_oc / nd_u01f_co are bitgen.h's nd_bits_next_double /
 *   _double_oc / _float on the same word.)
 *
 * Plain C99, no Python.
 */
#ifndef NUMDIST_ZIGGURAT_H
#define NUMDIST_ZIGGURAT_H

#include <stdint.h>

#include "numdist/bitgen.h"
#include "numdist/ndmath.h"
#include "numdist/ziggurat_tables.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ND_ZIG_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define ND_ZIG_LIKELY(x) (x)
#endif

/* --- uniforms from one word ------------------------------------------------ */
static inline double nd_u01_co(uint64_t w) { return (double)(w >> 11) * 0x1p-53; }
static inline double nd_u01_oc(uint64_t w) { return ((double)(w >> 11) + 1.0) * 0x1p-53; }
static inline double nd_u01_oo(uint64_t w) { return ((double)(w >> 12) + 0.5) * 0x1p-52; }
static inline float nd_u01f_co(uint64_t w) { return (float)(w >> 40) * 0x1p-24f; }
static inline float nd_u01f_oc(uint64_t w) { return ((float)(w >> 40) + 1.0f) * 0x1p-24f; }
static inline float nd_u01f_oo(uint64_t w) { return ((float)(w >> 41) + 0.5f) * 0x1p-23f; }

static inline double nd_bits_u01_co(nd_bits_t *b) { return nd_u01_co(nd_bits_next64(b)); }
static inline double nd_bits_u01_oc(nd_bits_t *b) { return nd_u01_oc(nd_bits_next64(b)); }
static inline double nd_bits_u01_oo(nd_bits_t *b) { return nd_u01_oo(nd_bits_next64(b)); }
static inline float nd_bits_u01f_co(nd_bits_t *b) { return nd_u01f_co(nd_bits_next64(b)); }
static inline float nd_bits_u01f_oc(nd_bits_t *b) { return nd_u01f_oc(nd_bits_next64(b)); }
static inline float nd_bits_u01f_oo(nd_bits_t *b) { return nd_u01f_oo(nd_bits_next64(b)); }

/* --- standard normal (float64 ziggurat) ----------------------------------- */

/* The rest of the rule for a candidate word w that failed (or may have failed)
 * the rectangle test: wedge, tail, fresh candidates (normal.c). */
double nd_standard_normal_slow(nd_bits_t *bits, uint64_t w);

static inline double nd_standard_normal(nd_bits_t *bits)
{
    uint64_t w = nd_bits_next64(bits), m = w >> 12;
    unsigned j = (unsigned)(w & 0x1ff);
    double x = (double)(int64_t)m * nd_zig_w64[j];
    if (ND_ZIG_LIKELY(m < nd_zig_k64[j])) return x;
    return nd_standard_normal_slow(bits, w);
}

/* --- standard exponential (float64 ziggurat) ------------------------------ */

/* The rest of the rule for a candidate word w that failed (or may have failed)
 * the rectangle test (exponential.c). */
double nd_standard_exponential_slow(nd_bits_t *bits, uint64_t w);

static inline double nd_standard_exponential(nd_bits_t *bits)
{
    uint64_t w = nd_bits_next64(bits), m = w >> 11;
    unsigned i = (unsigned)(w & 0xff);
    double x = (double)(int64_t)m * nd_exp_w[i];
    if (ND_ZIG_LIKELY(m < nd_exp_k[i])) return x;
    return nd_standard_exponential_slow(bits, w);
}

/* n standard exponentials into contiguous out (the fast fill: the same numbers
 * as n calls of nd_standard_exponential).  signed_ != 0: Laplace variates
 * instead, each exponential negated when bit 8 of its element's first word is
 * set.  n <= 0 draws nothing. */
void nd_exponential_fill(nd_bits_t *bits, intptr_t n, double *out, int signed_);

/* The SIMD level the exponential fills run at (0 scalar, 2 AVX2, 3 AVX-512;
 * every level gives the same numbers): the best of this CPU, capped by the
 * environment variable NUMDIST_SIMD_MAX ("avx512", "avx2", "scalar"; read at
 * load time, for tests and benchmarks).  See exponential.c. */
int nd_exponential_simd_level(void);

#ifdef __cplusplus
}
#endif
#endif
