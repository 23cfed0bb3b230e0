/*
 * Vector word generation for the SIMD sampling fills (x86-64, GCC).
 *
 * nd_sw_refill512(b): the same as nd_bits_refill(b) - the next block of the
 * stream into b->buf, the next block's row seeds computed ahead - with the
 * 8 xoshiro256++ lanes of a block held in one AVX-512 register per state word
 * (the lane rotations are single vprolq instructions).  The words are
 * xoshiro256.c's, bit for bit (integer operations only): a fill that runs at
 * the AVX-512 level calls this instead of nd_bits_refill to make its words
 * about 20% cheaper (csrc/tests/bench_elementwise.c).  For a NumPy source it
 * falls back to nd_bits_refill.
 *
 * Static functions with target attributes: include this header in the .c file
 * of the fill, and call nd_sw_refill512 only from code that already runs at
 * the AVX-512 level (F, DQ, VL).  Written for csrc/exponential.c and
 * csrc/gamma.c; other fills (normal.c) can adopt it.  The fused block
 * generation below is used by csrc/exponential.c.
 */
#ifndef NUMDIST_SIMD_WORDS_H
#define NUMDIST_SIMD_WORDS_H

#include <stdint.h>

#include "numdist/bitgen.h"
#include "numdist/xoshiro256.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define ND_SW_X86 1
#include <immintrin.h>

#define ND_SW_T512 __attribute__((target("avx512f,avx512dq,avx512vl")))
#define ND_SW_GOLDEN 0x9e3779b97f4a7c15ULL

/* SplitMix64's output function on 8 lanes */
ND_SW_T512 static inline __m512i nd_sw_mix512(__m512i z)
{
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)),
                           _mm512_set1_epi64((long long)0xbf58476d1ce4e5b9ULL));
    z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)),
                           _mm512_set1_epi64((long long)0x94d049bb133111ebULL));
    return _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
}

/* The lane loop of one block from its row seeds (xoshiro256.h): word 8i + l is
 * output i of lane l. */
ND_SW_T512 static void nd_sw_block512(const uint64_t rows[4], uint64_t *out)
{
    const __m512i inc = _mm512_mullo_epi64(_mm512_set_epi64(8, 7, 6, 5, 4, 3, 2, 1),
                                           _mm512_set1_epi64((long long)ND_SW_GOLDEN));
    __m512i s0 = nd_sw_mix512(_mm512_add_epi64(_mm512_set1_epi64((long long)rows[0]), inc));
    __m512i s1 = nd_sw_mix512(_mm512_add_epi64(_mm512_set1_epi64((long long)rows[1]), inc));
    __m512i s2 = nd_sw_mix512(_mm512_add_epi64(_mm512_set1_epi64((long long)rows[2]), inc));
    __m512i s3 = nd_sw_mix512(_mm512_add_epi64(_mm512_set1_epi64((long long)rows[3]), inc));
    int i;
    for (i = 0; i < ND_XO_BLOCK / ND_XO_LANES; i++) {
        __m512i r = _mm512_add_epi64(_mm512_rol_epi64(_mm512_add_epi64(s0, s3), 23), s0);
        __m512i t = _mm512_slli_epi64(s1, 17);
        _mm512_storeu_si512((void *)(out + 8 * i), r);
        s2 = _mm512_xor_si512(s2, s0);
        s3 = _mm512_xor_si512(s3, s1);
        s1 = _mm512_xor_si512(s1, s2);
        s0 = _mm512_xor_si512(s0, s3);
        s2 = _mm512_xor_si512(s2, t);
        s3 = _mm512_rol_epi64(s3, 45);
    }
}

/* nd_bits_refill, AVX-512 lane loop (same words, same row-seed cache). */
ND_SW_T512 static void nd_sw_refill512(nd_bits_t *b)
{
    uint64_t k, cur[4], ctr[4];
    if (b->xo == NULL) {
        nd_bits_refill(b);
        return;
    }
    k = b->xo->counter++;
    if (!b->rows_valid || b->rows_block != k || b->rows_key[0] != b->xo->key[0] ||
        b->rows_key[1] != b->xo->key[1])
        nd_xoshiro_row_seeds(b->xo, k, b->rows);
    cur[0] = b->rows[0]; cur[1] = b->rows[1]; cur[2] = b->rows[2]; cur[3] = b->rows[3];
    /* the next block's Philox call first: its latency overlaps the lane loop */
    ctr[0] = k + 1; ctr[1] = 0; ctr[2] = 0; ctr[3] = 0;
    nd_philox4x64_10(ctr, b->xo->key, b->rows);
    nd_sw_block512(cur, b->buf);
    b->rows_block = k + 1;
    b->rows_key[0] = b->xo->key[0];
    b->rows_key[1] = b->xo->key[1];
    b->rows_valid = 1;
    b->pos = b->buf;
    b->end = b->buf + ND_XO_BLOCK;
}
/* ---- fused generation ------------------------------------------------------
 * A fill that turns words into samples in the same loop that makes them (no
 * round trip of the words through memory between two loops, and the lane
 * arithmetic overlaps the fill's own loads) takes the block from here:
 *
 *   nd_sw_begin_block(b, st)   the next block of b's Xoshiro256x8 stream: its
 *                              32 lane-state words into st (st[w][l], as
 *                              nd_xoshiro_lane_states), the counter and the
 *                              row-seed cache advanced as nd_bits_refill does
 *                              (the next block's Philox call is made here, so
 *                              that it overlaps the caller's lane loop), and
 *                              b->pos = b->buf, b->end = b->buf + ND_XO_BLOCK;
 *   nd_sw_step512 / nd_sw_step256   one step of the 8 lanes held in registers
 *                              (AVX-512: one register per state word; AVX2:
 *                              two, lanes 0-3 and 4-7): returns words 8i .. 8i+7
 *                              of the block at step i.
 *
 * The caller stores every word it makes to b->buf[8i ..] (rejections and the
 * scalar rule read them there), so after the ND_XO_BLOCK / 8 steps b->buf
 * holds exactly the block nd_bits_refill would have written.  Only for a
 * numdist source (b->xo != NULL).  AVX2 has no 64-bit rotate: two shifts and
 * an OR. */
static inline uint64_t nd_sw_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void nd_sw_begin_block(nd_bits_t *b, uint64_t st[4][ND_XO_LANES])
{
    uint64_t k = b->xo->counter++, cur[4], ctr[4];
    int w, l;
    if (!b->rows_valid || b->rows_block != k || b->rows_key[0] != b->xo->key[0] ||
        b->rows_key[1] != b->xo->key[1])
        nd_xoshiro_row_seeds(b->xo, k, b->rows);
    for (w = 0; w < 4; w++) cur[w] = b->rows[w];
    ctr[0] = k + 1; ctr[1] = 0; ctr[2] = 0; ctr[3] = 0;
    nd_philox4x64_10(ctr, b->xo->key, b->rows);
    b->rows_block = k + 1;
    b->rows_key[0] = b->xo->key[0];
    b->rows_key[1] = b->xo->key[1];
    b->rows_valid = 1;
    for (w = 0; w < 4; w++)
        for (l = 0; l < ND_XO_LANES; l++) st[w][l] = nd_sw_mix64(cur[w] + (uint64_t)(l + 1) * ND_SW_GOLDEN);
    b->pos = b->buf;
    b->end = b->buf + ND_XO_BLOCK;
}

ND_SW_T512 static inline __m512i nd_sw_step512(__m512i *s0, __m512i *s1, __m512i *s2, __m512i *s3)
{
    __m512i r = _mm512_add_epi64(_mm512_rol_epi64(_mm512_add_epi64(*s0, *s3), 23), *s0);
    __m512i t = _mm512_slli_epi64(*s1, 17);
    /* the five XORs of the step as four, on the old state words: two
     * three-input XORs (vpternlogq 0x96, which overwrites its first operand:
     * each takes a word that is dead afterwards, so no register copies) */
    __m512i n3 = _mm512_xor_si512(*s3, *s1);                      /* s3 ^ s1 */
    __m512i n0 = _mm512_xor_si512(*s0, n3);                       /* s0 ^ (s3 ^ s1) */
    __m512i n1 = _mm512_ternarylogic_epi64(*s1, *s2, *s0, 0x96); /* s1 ^ (s2 ^ s0) */
    __m512i n2 = _mm512_ternarylogic_epi64(*s2, *s0, t, 0x96);  /* s2 ^ s0 ^ t */
    *s0 = n0;
    *s1 = n1;
    *s2 = n2;
    *s3 = _mm512_rol_epi64(n3, 45);
    return r;
}

#define ND_SW_T256 __attribute__((target("avx2")))
#define ND_SW_ROL256(x, k) _mm256_or_si256(_mm256_slli_epi64((x), (k)), _mm256_srli_epi64((x), 64 - (k)))

ND_SW_T256 static inline __m256i nd_sw_step256(__m256i *s0, __m256i *s1, __m256i *s2, __m256i *s3)
{
    __m256i r = _mm256_add_epi64(ND_SW_ROL256(_mm256_add_epi64(*s0, *s3), 23), *s0);
    __m256i t = _mm256_slli_epi64(*s1, 17);
    *s2 = _mm256_xor_si256(*s2, *s0);
    *s3 = _mm256_xor_si256(*s3, *s1);
    *s1 = _mm256_xor_si256(*s1, *s2);
    *s0 = _mm256_xor_si256(*s0, *s3);
    *s2 = _mm256_xor_si256(*s2, t);
    *s3 = ND_SW_ROL256(*s3, 45);
    return r;
}
#endif

#endif
