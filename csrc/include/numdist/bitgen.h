/*
 * Random bits for numdist kernels.
 *
 * Kernels never call a bit generator per sample: they pull 64-bit words from an
 * nd_bits_t, which refills a buffer in blocks. Two sources fill it:
 *   - a NumPy bit generator (nd_bitgen_t has numpy's bitgen_t layout), looped
 *     over next_uint64 only as many times as the kernel said it expects, so a
 *     Generator passed in is advanced by roughly what was used;
 *   - numdist's own Xoshiro256x8 (xoshiro256.h), which fills whole blocks with
 *     8 interleaved xoshiro256++ lanes (vectorised) keyed by (key, block counter).
 * numdist's Python layer only uses the second: a NumPy Generator passed as rng=
 * keys a fresh Xoshiro256x8 stream (docs/stream-contract.md). The first stays for
 * C callers and the kernels' own tests.
 * Plain C99, no Python.
 */
#ifndef NUMDIST_BITGEN_H
#define NUMDIST_BITGEN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Same layout as numpy's bitgen_t (numpy/random/bitgen.h). */
typedef struct nd_bitgen {
    void *state;
    uint64_t (*next_uint64)(void *st);
    uint32_t (*next_uint32)(void *st);
    double (*next_double)(void *st);
    uint64_t (*next_raw)(void *st);
} nd_bitgen_t;

/* numdist's block generator: each block of ND_XO_BLOCK words is an independent
 * substream seeded from (key, counter); see xoshiro256.h. */
#define ND_XO_LANES 8
#define ND_XO_BLOCK 2048

typedef struct nd_xoshiro {
    uint64_t key[2];
    uint64_t counter; /* index of the next block */
} nd_xoshiro_t;

typedef struct nd_bits {
    uint64_t *pos, *end;
    nd_bitgen_t *bitgen; /* NumPy source, or NULL for numdist's generator */
    nd_xoshiro_t *xo;    /* numdist's generator, or NULL */
    size_t expect;       /* words the kernel still expects to draw (NumPy source) */
    uint64_t rows[4];    /* row seeds of block rows_block (computed one block ahead) */
    uint64_t rows_block, rows_key[2];
    int rows_valid;
    /* 1: the caller allows non-temporal stores of whole 64-byte lines: the output
     * is resident memory (written before: out=, reused heap blocks) that will not be
     * read back at once, so large fills may stream it (no read of its lines before
     * they are overwritten). 0 (the default, set by nd_bits_init_*): plain stores,
     * e.g. memory not touched yet (its pages are faulted in and zeroed by the first
     * writes, which plain stores then find in the cache), or values read straight
     * back (MultivariateNormal's transform, a Dask block feeding fused reductions).
     * Only the element-wise dispatcher sets it, per chunk; kernels stream only when
     * it is 1 and their own size threshold holds. Only a hint: the same values. */
    int stream_out;
    uint64_t buf[ND_XO_BLOCK];
} nd_bits_t;

/* Whether [p, p + nbytes) is memory not touched yet (fresh from mmap: its first
 * writes fault its pages in and zero them): 1 when its first or last page is not
 * resident (Linux: mincore), else 0; 0 where that cannot be asked. The element-wise
 * dispatcher sets stream_out only where this is 0. */
int nd_memory_untouched(const void *p, size_t nbytes);

/* Refill b->buf; called by nd_bits_next64 when the buffer is empty. */
void nd_bits_refill(nd_bits_t *b);

/* Set up b over a NumPy bit generator (the caller holds its lock). */
void nd_bits_init_numpy(nd_bits_t *b, nd_bitgen_t *bitgen);
/* Set up b over numdist's generator; blocks are taken from xo->counter on. */
void nd_bits_init_xoshiro(nd_bits_t *b, nd_xoshiro_t *xo);

/* Tell the source how many words the kernel expects to draw from here on.
 * Only a hint: a NumPy source draws at most this many (at least 1) per refill,
 * so a small draw does not consume a whole block of someone else's stream. */
static inline void nd_bits_expect(nd_bits_t *b, size_t nwords) { b->expect = nwords; }

static inline uint64_t nd_bits_next64(nd_bits_t *b)
{
    if (b->pos == b->end) nd_bits_refill(b);
    return *b->pos++;
}

/* Uniform on [0, 1) with 53 random bits. */
static inline double nd_bits_next_double(nd_bits_t *b)
{
    return (double)(nd_bits_next64(b) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform on (0, 1] with 53 random bits: safe under log(). */
static inline double nd_bits_next_double_oc(nd_bits_t *b)
{
    return ((double)(nd_bits_next64(b) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

/* Uniform on [0, 1) with 24 random bits. */
static inline float nd_bits_next_float(nd_bits_t *b)
{
    return (float)(nd_bits_next64(b) >> 40) * (1.0f / 16777216.0f);
}

#ifdef __cplusplus
}
#endif
#endif
