/* Throughput of the Xoshiro256x8 block generator (words per ns, single thread).
 *   cc -O2 -std=c99 -Icsrc/include csrc/tests/bench_xoshiro.c csrc/xoshiro256.c -o /tmp/bx && /tmp/bx */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>
#include "numdist/xoshiro256.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(void)
{
    static uint64_t out[ND_XO_BLOCK];
    nd_xoshiro_t xo;
    uint64_t sink = 0, b;
    const uint64_t nblocks = 400000;
    double best = 1e30;
    int rep;
    nd_xoshiro_seed(&xo, 0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL);
    for (rep = 0; rep < 5; rep++) {
        double t0 = now(), t;
        for (b = 0; b < nblocks; b++) {
            nd_xoshiro_block(&xo, b, out);
            sink += out[b & (ND_XO_BLOCK - 1)];
        }
        t = now() - t0;
        if (t < best) best = t;
    }
    {
        double t0 = now(), t;
        uint64_t rows[4];
        nd_xoshiro_row_seeds(&xo, 0, rows);
        for (b = 0; b < nblocks; b++) {
            nd_xoshiro_block_ahead(&xo, b, rows, out);
            sink += out[b & (ND_XO_BLOCK - 1)];
        }
        t = now() - t0;
        printf("pipelined (nd_bits_refill): %.3f words/ns (%.1f ns/block)\n",
               (double)nblocks * ND_XO_BLOCK / (t * 1e9), t * 1e9 / nblocks);
    }
    {
        double t0 = now(), t;
        uint64_t rows[4] = {0, 0, 0, 0};
        for (b = 0; b < nblocks; b++) {
            xo.counter = b ^ rows[0]; /* dependent chain: latency */
            nd_xoshiro_row_seeds(&xo, xo.counter, rows);
        }
        t = now() - t0;
        sink += rows[1];
        printf("Philox4x64-10 row seeds alone (latency): %.1f ns/block\n", t * 1e9 / nblocks);
    }
    printf("xoshiro256x8: %.3f words/ns (%.3f ns/word, %.1f ns/block) [sink %llu]\n",
           (double)nblocks * ND_XO_BLOCK / (best * 1e9), best * 1e9 / ((double)nblocks * ND_XO_BLOCK),
           best * 1e9 / nblocks, (unsigned long long)(sink & 1));
    return 0;
}
