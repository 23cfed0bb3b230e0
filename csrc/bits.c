/* Block refill of nd_bits_t from a NumPy bit generator or Xoshiro256x8. */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* mincore under -std=c99 */
#endif
#include "numdist/bitgen.h"
#include "numdist/xoshiro256.h"

#if defined(__linux__)
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

void nd_bits_init_numpy(nd_bits_t *b, nd_bitgen_t *bitgen)
{
    b->bitgen = bitgen;
    b->xo = NULL;
    b->expect = 0;
    b->rows_valid = 0;
    b->stream_out = 0;
    b->pos = b->end = b->buf;
}

void nd_bits_init_xoshiro(nd_bits_t *b, nd_xoshiro_t *xo)
{
    b->bitgen = NULL;
    b->xo = xo;
    b->expect = 0;
    b->rows_valid = 0;
    b->stream_out = 0;
    b->pos = b->end = b->buf;
}

void nd_bits_refill(nd_bits_t *b)
{
    if (b->xo != NULL) {
        /* Consecutive blocks: the next block's row seeds are computed while this
         * block's lanes run (same words as nd_xoshiro_block). */
        uint64_t k = b->xo->counter++;
        if (!b->rows_valid || b->rows_block != k || b->rows_key[0] != b->xo->key[0] ||
            b->rows_key[1] != b->xo->key[1])
            nd_xoshiro_row_seeds(b->xo, k, b->rows);
        nd_xoshiro_block_ahead(b->xo, k, b->rows, b->buf);
        b->rows_block = k + 1;
        b->rows_key[0] = b->xo->key[0];
        b->rows_key[1] = b->xo->key[1];
        b->rows_valid = 1;
        b->pos = b->buf;
        b->end = b->buf + ND_XO_BLOCK;
    } else {
        /* Draw only what the kernel said it needs, so a NumPy stream is not
         * consumed far beyond the draws made from it. */
        size_t n = b->expect, i;
        uint64_t (*next)(void *) = b->bitgen->next_uint64;
        void *st = b->bitgen->state;
        if (n == 0) n = 1;
        if (n > ND_XO_BLOCK) n = ND_XO_BLOCK;
        for (i = 0; i < n; i++) b->buf[i] = next(st);
        b->expect -= (n < b->expect) ? n : b->expect;
        b->pos = b->buf;
        b->end = b->buf + n;
    }
}

int nd_memory_untouched(const void *p, size_t nbytes)
{
#if defined(__linux__)
    long pg = sysconf(_SC_PAGESIZE);
    unsigned char v0 = 0, v1 = 0;
    uintptr_t a, b;
    if (pg <= 0 || nbytes == 0) return 0;
    a = (uintptr_t)p & ~(uintptr_t)(pg - 1);
    b = ((uintptr_t)p + nbytes - 1) & ~(uintptr_t)(pg - 1);
    if (mincore((void *)a, (size_t)pg, &v0) != 0 || mincore((void *)b, (size_t)pg, &v1) != 0) return 0;
    return !((v0 & 1) && (v1 & 1));
#else
    (void)p;
    (void)nbytes;
    return 0;
#endif
}
