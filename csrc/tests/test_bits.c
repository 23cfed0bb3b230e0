/* Standalone checks of the bit source (no Python): blocks are reproducible,
 * independent of one another, and the numpy path draws only what is expected. */
#include <stdio.h>
#include <string.h>
#include "numdist/bitgen.h"
#include "numdist/xoshiro256.h"

static uint64_t counter_state;
static uint64_t counting_next(void *st) { (void)st; return ++counter_state; }

int main(void)
{
    static nd_bits_t b;
    nd_xoshiro_t xo;
    static uint64_t blk[ND_XO_BLOCK];
    int fails = 0, i, ones = 0;
    nd_xoshiro_seed(&xo, 12345, 678);
    nd_bits_init_xoshiro(&b, &xo);
    for (i = 0; i < ND_XO_BLOCK + 3; i++) (void)nd_bits_next64(&b);
    if (xo.counter != 2) { printf("FAIL counter %llu\n", (unsigned long long)xo.counter); fails++; }
    nd_xoshiro_block(&xo, 1, blk);
    if (memcmp(blk, b.buf, sizeof blk) != 0) { printf("FAIL block 1 not reproducible\n"); fails++; }
    for (i = 0; i < ND_XO_BLOCK; i++) ones += __builtin_popcountll(blk[i]);
    if (ones < 64 * ND_XO_BLOCK / 2 - 2000 || ones > 64 * ND_XO_BLOCK / 2 + 2000) { printf("FAIL bit balance %d\n", ones); fails++; }
    {
        nd_bitgen_t bg = {0};
        bg.next_uint64 = counting_next;
        nd_bits_init_numpy(&b, &bg);
        nd_bits_expect(&b, 5);
        for (i = 0; i < 5; i++) (void)nd_bits_next64(&b);
        if (counter_state != 5) { printf("FAIL numpy drew %llu words for 5\n", (unsigned long long)counter_state); fails++; }
        (void)nd_bits_next64(&b);
        if (counter_state != 6) { printf("FAIL numpy drew %llu words for 6\n", (unsigned long long)counter_state); fails++; }
    }
    printf("test_bits: %s\n", fails ? "FAILED" : "ok");
    return fails != 0;
}
