/*
 * rawstream: raw 64-bit words of Xoshiro256x8 on stdout (native byte order), for
 * statistical batteries (PractRand `RNG_test stdin64`, TestU01). Not part of the
 * library; built by tests/test_streams.py, which runs it for a few KB only.
 *
 *   rawstream [-n BYTES] single K0 K1          one stream, blocks 0, 1, 2, ... (as nd_bits)
 *   rawstream [-n BYTES] keys FILE             streams of the keys in FILE ("k0 k1" hex
 *                                              per line), interleaved word by word
 *   rawstream [-n BYTES] chunks K0 K1 T        T thread chunks of one stream (chunk c starts
 *                                              at block c * ND_CHUNK_BLOCKS), interleaved
 *   rawstream [-n BYTES] lowkeys N             keys (0,0), (1,0), ..., (N-1,0), interleaved
 *
 * Keys of consecutive seeds: python tools/xoshiro_reference.py --keys N > keys.txt
 * Without -n the output is endless.
 *
 *   cc -O3 -Icsrc/include csrc/tools/rawstream.c csrc/xoshiro256.c csrc/bits.c -o rawstream
 *   ./rawstream single 0x243f6a8885a308d3 0x13198a2e03707344 | RNG_test stdin64 -tlmax 16GB
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "numdist/bitgen.h"
#include "numdist/parallel.h"
#include "numdist/xoshiro256.h"

#define MAXS 4096
#define OUTW 4096

static int usage(void)
{
    fprintf(stderr, "usage: rawstream [-n BYTES] single K0 K1 | keys FILE | chunks K0 K1 T | lowkeys N\n");
    return 2;
}

int main(int argc, char **argv)
{
    static uint64_t out[OUTW];
    nd_xoshiro_t *xo;
    nd_bits_t *bits;
    unsigned long long limit = 0; /* 0: endless */
    unsigned long long written = 0;
    int ns = 0, a = 1, i, s = 0;
    if (argc > 2 && strcmp(argv[1], "-n") == 0) {
        limit = strtoull(argv[2], NULL, 0);
        a = 3;
    }
    if (argc <= a) return usage();
    xo = (nd_xoshiro_t *)calloc(MAXS, sizeof *xo);
    bits = (nd_bits_t *)malloc(MAXS * sizeof *bits);
    if (xo == NULL || bits == NULL) return 1;
    if (strcmp(argv[a], "single") == 0 && argc == a + 3) {
        nd_xoshiro_seed(&xo[0], strtoull(argv[a + 1], NULL, 0), strtoull(argv[a + 2], NULL, 0));
        ns = 1;
    } else if (strcmp(argv[a], "keys") == 0 && argc == a + 2) {
        FILE *fp = fopen(argv[a + 1], "r");
        unsigned long long k0, k1;
        if (fp == NULL) { perror(argv[a + 1]); return 1; }
        while (ns < MAXS && fscanf(fp, "%llx %llx", &k0, &k1) == 2) nd_xoshiro_seed(&xo[ns++], k0, k1);
        fclose(fp);
    } else if (strcmp(argv[a], "chunks") == 0 && argc == a + 4) {
        uint64_t k0 = strtoull(argv[a + 1], NULL, 0), k1 = strtoull(argv[a + 2], NULL, 0);
        ns = atoi(argv[a + 3]);
        if (ns < 1 || ns > MAXS) return usage();
        for (i = 0; i < ns; i++) {
            nd_xoshiro_seed(&xo[i], k0, k1);
            xo[i].counter = (uint64_t)i * ND_CHUNK_BLOCKS;
        }
    } else if (strcmp(argv[a], "lowkeys") == 0 && argc == a + 2) {
        ns = atoi(argv[a + 1]);
        if (ns < 1 || ns > MAXS) return usage();
        for (i = 0; i < ns; i++) nd_xoshiro_seed(&xo[i], (uint64_t)i, 0);
    } else {
        return usage();
    }
    if (ns < 1) return usage();
    for (i = 0; i < ns; i++) nd_bits_init_xoshiro(&bits[i], &xo[i]);
    for (;;) {
        size_t n = OUTW, k;
        for (k = 0; k < n; k++) {
            out[k] = nd_bits_next64(&bits[s]);
            if (++s == ns) s = 0;
        }
        /* the round-robin position s carries over to the next buffer */
        if (limit && written + 8 * n > limit) n = (size_t)((limit - written) / 8);
        if (fwrite(out, 8, n, stdout) != n) return 0; /* reader closed the pipe */
        written += 8 * n;
        if (limit && written >= limit) break;
    }
    return 0;
}
