/* Non-temporal ("streaming") stores of staged values into a large output.
 *
 * A fill whose output is far larger than the caches and will not be read back at
 * once (nd_bits_t.stream_out = 1, the element-wise dispatcher's decision) builds
 * its values in a small staging buffer in L1 and copies them out with these: whole
 * 64-byte lines of the output by non-temporal stores (no read of each line before
 * it is overwritten: a third less memory traffic), the ends of the range by plain
 * stores (a partial line cannot be streamed without the cost of a read-modify).
 * The values are the same as plain stores give; only the traffic differs.
 *
 * The caller fences (_mm_sfence, nd_stream_fence) once before it returns, so
 * that the output is visible in order to whoever reads it next.
 *
 * Levels as the kernels number them: 3 AVX-512, 2 AVX2, below that plain copies.
 * GCC on x86-64 only (the kernels' fast paths); elsewhere the plain copies. */
#ifndef NUMDIST_STREAM_STORE_H
#define NUMDIST_STREAM_STORE_H

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define ND_STREAM_X86 1
#include <immintrin.h>

/* nl lines of 8 values from src (any alignment) to the 64-byte aligned dst */
__attribute__((target("avx512f"))) static inline void nd_stream_lines512(double *dst, const double *src,
                                                                       intptr_t nl)
{
    intptr_t l;
    for (l = 0; l < nl; l++) _mm512_stream_pd(dst + 8 * l, _mm512_loadu_pd(src + 8 * l));
}

/* As nd_stream_lines512, each line by two 32-byte stores */
__attribute__((target("avx2"))) static inline void nd_stream_lines256(double *dst, const double *src,
                                                                    intptr_t nl)
{
    intptr_t l;
    for (l = 0; l < nl; l++) {
        _mm256_stream_pd(dst + 8 * l, _mm256_loadu_pd(src + 8 * l));
        _mm256_stream_pd(dst + 8 * l + 4, _mm256_loadu_pd(src + 8 * l + 4));
    }
}

#endif

/* nd_stream_lines512 / 256 by level; plain copies below level 2 */
static inline void nd_stream_lines(int level, double *dst, const double *src, intptr_t nl)
{
#ifdef ND_STREAM_X86
    if (level >= 3) { nd_stream_lines512(dst, src, nl); return; }
    if (level == 2) { nd_stream_lines256(dst, src, nl); return; }
#endif
    (void)level;
    memcpy(dst, src, sizeof(double) * 8 * (size_t)nl);
}

/* Values before dst's first 64-byte boundary (at most c): stored plainly. */
static inline intptr_t nd_stream_head(const double *dst, intptr_t c)
{
    intptr_t head = (intptr_t)(((64 - ((uintptr_t)dst & 63)) & 63) / 8);
    return head < c ? head : c;
}

/* c values from the staging buffer src to the 8-byte aligned dst: plain stores up
 * to dst's first 64-byte boundary, the whole lines after it non-temporal (levels 2
 * and 3; a constant level in a kernel of that level folds the dispatch away), the
 * partial last line plain. */
static inline void nd_stream_copy(int level, double *dst, const double *src, intptr_t c)
{
    intptr_t head = nd_stream_head(dst, c), nl = (c - head) / 8;
    memcpy(dst, src, sizeof(double) * (size_t)head);
    nd_stream_lines(level, dst + head, src + head, nl);
    memcpy(dst + head + 8 * nl, src + head + 8 * nl, sizeof(double) * (size_t)(c - head - 8 * nl));
}

/* Orders the non-temporal stores before what follows (levels 2 and 3). */
static inline void nd_stream_fence(int level)
{
#ifdef ND_STREAM_X86
    if (level >= 2) _mm_sfence();
#endif
    (void)level;
}

#endif /* NUMDIST_STREAM_STORE_H */
