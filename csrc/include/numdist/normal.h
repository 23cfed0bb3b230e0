/*
 * Normal sampler: 256-layer ziggurat with exact tails, or Box-Muller.
 *
 * Stream semantics (fixed: same seed, same numbers, on every machine):
 *   Samples are produced one after another from the 64-bit words of an nd_bits_t;
 *   sample i depends only on the words consumed before it, so the first k values
 *   of a draw of n >= k are the values of a draw of k (chunking, strides, loc and
 *   scale never change which z_i is produced).  Floating-point work is plain
 *   IEEE double/float arithmetic plus numdist's own log/sin/cos (no libm calls on
 *   the sampling path), so results do not depend on SIMD level or libm.  (The
 *   float32 ziggurat tests whole windows of words in vectors and then applies
 *   this rule to the few that failed; the numbers are the rule's, whatever the
 *   instruction set: csrc/tests/test_normal.c checks every level it can run,
 *   tests/test_simd_levels.py every level under NUMDIST_SIMD_MAX.)
 *
 *   ND_NORMAL_ZIGGURAT, float64: one word per candidate.  Bits 0-7 layer, bit 8
 *     sign, bits 12-63 the 52-bit magnitude.  Rejected candidates use extra words:
 *     the wedge test one 53-bit uniform, the tail (Marsaglia) two 53-bit uniforms
 *     on (0,1] per try, then a fresh word for a new candidate.
 *     (At the AVX-512 level a fill of more than a block makes a whole block's
 *     candidates in vectors and then applies this rule to the words that failed:
 *     the same numbers and the same words, csrc/normal.c "whole blocks".)
 *   ND_NORMAL_ZIGGURAT, float32: each word gives two candidates, its low 32 bits
 *     then its high 32 bits (bits 0-7 layer, bit 8 sign, bits 9-31 the 23-bit
 *     magnitude); when n is odd the high half of the last word is dropped.  A
 *     rejected candidate is resolved with whole words as for float64 (wedge and
 *     tail in double precision, then rounded), a new candidate taking the low
 *     32 bits of a fresh word.
 *   ND_NORMAL_BOX_MULLER: two words per pair, u1 = nd_bits_next_double_oc (0,1],
 *     u2 = 53-bit [0,1); z_{2k} = rho cos(2 pi u2), z_{2k+1} = rho sin(2 pi u2),
 *     rho = sqrt(-2 log u1).  When n is odd the last sine is dropped.  float32 is
 *     computed in double and rounded.
 *
 * Plain C99, no Python.
 */
#ifndef NUMDIST_NORMAL_H
#define NUMDIST_NORMAL_H

#include <stddef.h>
#include <stdint.h>

#include "numdist/bitgen.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { ND_NORMAL_ZIGGURAT = 0, ND_NORMAL_BOX_MULLER = 1 } nd_normal_method;

/* out[i*out_stride bytes] = loc[i*loc_stride] + scale[i*scale_stride] * z_i, i < n.
   loc == NULL means 0, scale == NULL means 1; strides are BYTE strides, may be
   negative or 0 (broadcast).  z_i standard normal drawn with method m from bits.
   With loc == NULL the result is scale*z_i, with scale == NULL loc + z_i (one
   rounding each); otherwise loc + scale*z_i (product rounded, then sum).
   An unknown method falls back to the ziggurat.  n <= 0 draws nothing.
   Stores: with bits->stream_out set (the element-wise dispatcher's decision, for
   resident outputs not read back at once), a standard fill (loc and scale absent
   or 0 and 1) of at least 65536 values into contiguous out writes whole cache
   lines with non-temporal stores where the kernel stages its blocks (AVX2,
   AVX-512); with it 0 (the default: MultivariateNormal, which reads its normals
   straight back) plain stores. The same numbers either way. */
void random_normal_fill(nd_bits_t *bits, nd_normal_method m, intptr_t n,
                        double *out, intptr_t out_stride,
                        const double *loc, intptr_t loc_stride,
                        const double *scale, intptr_t scale_stride);
void random_normal_fill_f(nd_bits_t *bits, nd_normal_method m, intptr_t n,
                          float *out, intptr_t out_stride,
                          const float *loc, intptr_t loc_stride,
                          const float *scale, intptr_t scale_stride);

/* The instruction-set level of the ziggurat fills (0 portable C, 1 SSE2, 2 AVX2,
 * 3 AVX-512 with VBMI/VBMI2): the best this CPU has, capped by the environment
 * variable NUMDIST_SIMD_MAX read at load time ("avx512", "avx2", "sse2",
 * "scalar"; or 3, 2, 1, 0).  Every level gives the same numbers. */
int nd_normal_simd_level(void);

#ifdef __cplusplus
}
#endif
#endif
