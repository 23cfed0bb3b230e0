/* Xoshiro256x8 block generator; see numdist/xoshiro256.h for the design. */
#include "numdist/xoshiro256.h"

#include <string.h>

/* SplitMix64's output function: a bijective 64-bit mixer. */
static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t splitmix64(uint64_t *x)
{
    return mix64(*x += 0x9e3779b97f4a7c15ULL);
}

void nd_xoshiro_seed(nd_xoshiro_t *xo, uint64_t key0, uint64_t key1)
{
    xo->key[0] = key0;
    xo->key[1] = key1;
    xo->counter = 0;
}

/* The lane loop. With GCC/Clang vector extensions the 8 lanes are two 4x64-bit
 * vectors (SSE2 pairs by default; AVX2 and AVX-512 clones are picked at run time on x86-64
 * Linux). Integer ops only, so every path gives the same words. */
#if defined(__GNUC__)
#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && !defined(__clang__)
#define ND_XO_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define ND_XO_CLONES
#endif
typedef uint64_t nd_v4u64 __attribute__((vector_size(32)));

ND_XO_CLONES
static void xoshiro_lanes_run(uint64_t s[4][ND_XO_LANES], uint64_t *out)
{
    nd_v4u64 s0[2], s1[2], s2[2], s3[2];
    int i, h;
    for (h = 0; h < 2; h++) {
        memcpy(&s0[h], &s[0][4 * h], 32); memcpy(&s1[h], &s[1][4 * h], 32);
        memcpy(&s2[h], &s[2][4 * h], 32); memcpy(&s3[h], &s[3][4 * h], 32);
    }
    for (i = 0; i < ND_XO_BLOCK / ND_XO_LANES; i++) {
        for (h = 0; h < 2; h++) {
            nd_v4u64 a = s0[h] + s3[h];
            nd_v4u64 t = s1[h] << 17;
            nd_v4u64 r = ((a << 23) | (a >> 41)) + s0[h];
            memcpy(out + i * ND_XO_LANES + 4 * h, &r, 32);
            s2[h] ^= s0[h];
            s3[h] ^= s1[h];
            s1[h] ^= s2[h];
            s0[h] ^= s3[h];
            s2[h] ^= t;
            s3[h] = (s3[h] << 45) | (s3[h] >> 19);
        }
    }
}
#else
static void xoshiro_lanes_run(uint64_t s[4][ND_XO_LANES], uint64_t *out)
{
    int i, l;
    for (i = 0; i < ND_XO_BLOCK / ND_XO_LANES; i++) {
        for (l = 0; l < ND_XO_LANES; l++) {
            uint64_t s0 = s[0][l], s1 = s[1][l], s2 = s[2][l], s3 = s[3][l];
            uint64_t a = s0 + s3, t = s1 << 17;
            out[i * ND_XO_LANES + l] = ((a << 23) | (a >> 41)) + s0;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t;
            s[0][l] = s0; s[1][l] = s1; s[2][l] = s2; s[3][l] = (s3 << 45) | (s3 >> 19);
        }
    }
}
#endif

void nd_xoshiro_block(const nd_xoshiro_t *xo, uint64_t block, uint64_t *out)
{
    uint64_t s[4][ND_XO_LANES];
    /* Distinct SplitMix64 start for each (key, block). The block number is
     * mixed before it meets key1, so keys that differ in a few low bits do not
     * map onto each other's blocks (as block ^ key1 would). */
    uint64_t seed = xo->key[0] ^ mix64(xo->key[1] + mix64(block + 0x9e3779b97f4a7c15ULL));
    int w, l;
    for (w = 0; w < 4; w++)
        for (l = 0; l < ND_XO_LANES; l++) s[w][l] = splitmix64(&seed);
    xoshiro_lanes_run(s, out);
}
