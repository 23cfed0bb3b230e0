/*
 * Scaffolding shared by the standalone C tests (csrc/tests/test_*.c): CHECK counts a
 * failure and prints where it happened without stopping the test; main() returns
 * `fails != 0`.  A test that draws from a seeded stream defines ND_TEST_STREAM
 * before including this header and gets `bits`/`xo` and `consumed()`, the number of
 * words taken from the stream so far (what the stream-contract checks compare).
 */
#ifndef ND_TESTS_CHECK_H
#define ND_TESTS_CHECK_H

#include <stdint.h>
#include <stdio.h>

static int fails = 0;
#define CHECK(cond, ...)                                 \
    do {                                                 \
        if (!(cond)) {                                   \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);  \
            printf(__VA_ARGS__);                         \
            printf("\n");                                \
            fails++;                                     \
        }                                                \
    } while (0)

#ifdef ND_TEST_STREAM
#include "numdist/bitgen.h"
#include "numdist/xoshiro256.h"

static nd_bits_t bits;
static nd_xoshiro_t xo;

/* words consumed from `xo` through `bits` since it was seeded */
static inline uint64_t consumed(void)
{
    return xo.counter * ND_XO_BLOCK - (uint64_t)(bits.end - bits.pos);
}
#endif

#endif
