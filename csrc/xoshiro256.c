/* Xoshiro256x8 block generator; see numdist/xoshiro256.h for the design. */
#include "numdist/xoshiro256.h"
#include "numdist/simd_env.h"

#include <string.h>

#define ND_GOLDEN 0x9e3779b97f4a7c15ULL /* SplitMix64's increment */

/* SplitMix64's output function: a bijective 64-bit mixer. */
static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* 64 x 64 -> 128-bit product: returns the low word, *hi the high word. */
static inline uint64_t mulhilo64(uint64_t a, uint64_t b, uint64_t *hi)
{
#if defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 nd_u128;
    nd_u128 p = (nd_u128)a * b;
    *hi = (uint64_t)(p >> 64);
    return (uint64_t)p;
#else
    uint64_t a0 = a & 0xffffffffULL, a1 = a >> 32, b0 = b & 0xffffffffULL, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffULL) + (p10 & 0xffffffffULL);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return a * b;
#endif
}

void nd_philox4x64_10(const uint64_t ctr[4], const uint64_t key[2], uint64_t out[4])
{
    uint64_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint64_t k0 = key[0], k1 = key[1];
    int r;
    for (r = 0; r < 10; r++) {
        uint64_t hi0, hi1, lo0, lo1;
        if (r > 0) {
            k0 += 0x9E3779B97F4A7C15ULL;
            k1 += 0xBB67AE8584CAA73BULL;
        }
        lo0 = mulhilo64(0xD2E7470EE14C6C93ULL, c0, &hi0);
        lo1 = mulhilo64(0xCA5A826395121157ULL, c2, &hi1);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

void nd_xoshiro_seed(nd_xoshiro_t *xo, uint64_t key0, uint64_t key1)
{
    xo->key[0] = key0;
    xo->key[1] = key1;
    xo->counter = 0;
}

void nd_xoshiro_row_seeds(const nd_xoshiro_t *xo, uint64_t block, uint64_t rows[4])
{
    uint64_t ctr[4];
    ctr[0] = block; ctr[1] = 0; ctr[2] = 0; ctr[3] = 0;
    nd_philox4x64_10(ctr, xo->key, rows);
}

void nd_xoshiro_lane_states(const nd_xoshiro_t *xo, uint64_t block, uint64_t s[4][ND_XO_LANES])
{
    uint64_t rows[4];
    int w, l;
    nd_xoshiro_row_seeds(xo, block, rows);
    for (w = 0; w < 4; w++)
        for (l = 0; l < ND_XO_LANES; l++) s[w][l] = mix64(rows[w] + (uint64_t)(l + 1) * ND_GOLDEN);
}

/* The lane loop. With GCC/Clang vector extensions the 8 lanes are two 4x64-bit
 * vectors (SSE2 pairs by default; AVX2 and AVX-512 builds are picked at run time on x86-64
 * Linux). Integer ops only, so every path gives the same words. The SplitMix64
 * expansion of the four row seeds into the 32 lane-state words is done here too,
 * so that it is vectorised with the rest. */
#if defined(__GNUC__)
#if defined(__x86_64__) && defined(__linux__) && defined(__GLIBC__) && !defined(__clang__)
/* AVX-512 and AVX2 builds of the loop, chosen once at load time by the CPU and
 * NUMDIST_SIMD_MAX (so that a capped run draws its words as a machine of that
 * level would; target_clones would follow the CPU alone) */
#define ND_XO_LEVELS 1
#endif
typedef uint64_t nd_v4u64 __attribute__((vector_size(32)));

/* mix64 on a vector, in place (a macro: no vector arguments across calls) */
#define ND_VMIX64(z)                                  \
    do {                                              \
        (z) = ((z) ^ ((z) >> 30)) * 0xbf58476d1ce4e5b9ULL; \
        (z) = ((z) ^ ((z) >> 27)) * 0x94d049bb133111ebULL; \
        (z) = (z) ^ ((z) >> 31);                      \
    } while (0)

static inline __attribute__((always_inline)) void xoshiro_lanes_body(const uint64_t rows[4], uint64_t *out)
{
    nd_v4u64 s0[2], s1[2], s2[2], s3[2];
    int i, h;
    for (h = 0; h < 2; h++) {
        nd_v4u64 inc;
        uint64_t b = (uint64_t)(4 * h + 1) * ND_GOLDEN;
        inc[0] = b; inc[1] = b + ND_GOLDEN; inc[2] = b + 2 * ND_GOLDEN; inc[3] = b + 3 * ND_GOLDEN;
        s0[h] = rows[0] + inc; s1[h] = rows[1] + inc;
        s2[h] = rows[2] + inc; s3[h] = rows[3] + inc;
        ND_VMIX64(s0[h]); ND_VMIX64(s1[h]); ND_VMIX64(s2[h]); ND_VMIX64(s3[h]);
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
#ifdef ND_XO_LEVELS
__attribute__((target("arch=x86-64-v4"))) static void xoshiro_lanes_v4(const uint64_t rows[4], uint64_t *out)
{
    xoshiro_lanes_body(rows, out);
}
__attribute__((target("avx2"))) static void xoshiro_lanes_avx2(const uint64_t rows[4], uint64_t *out)
{
    xoshiro_lanes_body(rows, out);
}
static void xoshiro_lanes_base(const uint64_t rows[4], uint64_t *out) { xoshiro_lanes_body(rows, out); }

static void (*xoshiro_lanes_level)(const uint64_t rows[4], uint64_t *out) = xoshiro_lanes_base;
__attribute__((constructor)) static void xoshiro_level_init(void) /* before any thread can call in */
{
    int cap = nd_simd_env_cap();
    __builtin_cpu_init();
    if (cap >= 3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512cd"))
        xoshiro_lanes_level = xoshiro_lanes_v4;
    else if (cap >= 2 && __builtin_cpu_supports("avx2"))
        xoshiro_lanes_level = xoshiro_lanes_avx2;
}
static void xoshiro_lanes_run(const uint64_t rows[4], uint64_t *out) { xoshiro_lanes_level(rows, out); }
#else
static void xoshiro_lanes_run(const uint64_t rows[4], uint64_t *out) { xoshiro_lanes_body(rows, out); }
#endif
#else
static void xoshiro_lanes_run(const uint64_t rows[4], uint64_t *out)
{
    uint64_t s[4][ND_XO_LANES];
    int i, l, w;
    for (w = 0; w < 4; w++)
        for (l = 0; l < ND_XO_LANES; l++) s[w][l] = mix64(rows[w] + (uint64_t)(l + 1) * ND_GOLDEN);
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
    uint64_t rows[4];
    nd_xoshiro_row_seeds(xo, block, rows);
    xoshiro_lanes_run(rows, out);
}

void nd_xoshiro_block_ahead(const nd_xoshiro_t *xo, uint64_t block, uint64_t rows[4], uint64_t *out)
{
    uint64_t cur[4], ctr[4];
    cur[0] = rows[0]; cur[1] = rows[1]; cur[2] = rows[2]; cur[3] = rows[3];
    /* Issued before the lane loop and independent of it: the Philox latency of
     * the next block overlaps this block's lanes. */
    ctr[0] = block + 1; ctr[1] = 0; ctr[2] = 0; ctr[3] = 0;
    nd_philox4x64_10(ctr, xo->key, rows);
    xoshiro_lanes_run(cur, out);
}
