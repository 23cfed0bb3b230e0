/* Standalone checks of the bit source (no Python): the generator matches the
 * pure-Python reference's known answers (csrc/tests/data/xoshiro_kat.txt, written
 * by tools/xoshiro_reference.py), blocks are reproducible, the pipelined refill
 * gives nd_xoshiro_block's words, no two blocks share row seeds, and the numpy
 * path draws only what is expected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "numdist/bitgen.h"
#include "numdist/xoshiro256.h"

static uint64_t counter_state;
static uint64_t counting_next(void *st) { (void)st; return ++counter_state; }

#define H(v) ((unsigned long long)(v))

static int check_kat(void)
{
    static uint64_t blk[ND_XO_BLOCK];
    char path[1024], line[512], kind[16];
    const char *dir = getenv("ND_TEST_DATA");
    FILE *fp;
    int fails = 0, nphilox = 0, nrows = 0, nwords = 0;
    uint64_t last_k0 = 0, last_k1 = 0, last_b = 0;
    int have_blk = 0;
    snprintf(path, sizeof path, "%s/xoshiro_kat.txt", dir ? dir : "csrc/tests/data");
    fp = fopen(path, "r");
    if (fp == NULL) { printf("FAIL cannot open %s\n", path); return 1; }
    while (fgets(line, sizeof line, fp) != NULL) {
        unsigned long long v[10];
        if (line[0] == '#' || sscanf(line, "%15s", kind) != 1) continue;
        if (strcmp(kind, "philox") == 0) {
            uint64_t ctr[4], key[2], out[4];
            int i;
            if (sscanf(line, "%*s %llx %llx %llx %llx %llx %llx %llx %llx %llx %llx", &v[0], &v[1], &v[2],
                       &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) != 10) { fails++; continue; }
            for (i = 0; i < 4; i++) ctr[i] = v[i];
            key[0] = v[4]; key[1] = v[5];
            nd_philox4x64_10(ctr, key, out);
            for (i = 0; i < 4; i++)
                if (out[i] != v[6 + i]) { printf("FAIL philox word %d: %016llx != %016llx\n", i, H(out[i]), v[6 + i]); fails++; }
            nphilox++;
        } else if (strcmp(kind, "rows") == 0) {
            nd_xoshiro_t xo;
            uint64_t r[4];
            int i;
            if (sscanf(line, "%*s %llx %llx %llx %llx %llx %llx %llx", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                       &v[6]) != 7) { fails++; continue; }
            nd_xoshiro_seed(&xo, v[0], v[1]);
            nd_xoshiro_row_seeds(&xo, v[2], r);
            for (i = 0; i < 4; i++)
                if (r[i] != v[3 + i]) { printf("FAIL rows key %llx %llx block %llx row %d\n", v[0], v[1], v[2], i); fails++; }
            nrows++;
        } else if (strcmp(kind, "word") == 0) {
            unsigned long long idx;
            if (sscanf(line, "%*s %llx %llx %llx %llu %llx", &v[0], &v[1], &v[2], &idx, &v[3]) != 5 ||
                idx >= ND_XO_BLOCK) { fails++; continue; }
            if (!have_blk || v[0] != last_k0 || v[1] != last_k1 || v[2] != last_b) {
                nd_xoshiro_t xo;
                nd_xoshiro_seed(&xo, v[0], v[1]);
                nd_xoshiro_block(&xo, v[2], blk);
                last_k0 = v[0]; last_k1 = v[1]; last_b = v[2];
                have_blk = 1;
            }
            if (blk[idx] != v[3]) {
                if (fails < 10) printf("FAIL word key %llx %llx block %llx index %llu: %016llx != %016llx\n",
                                       v[0], v[1], v[2], idx, H(blk[idx]), v[3]);
                fails++;
            }
            nwords++;
        }
    }
    fclose(fp);
    if (nphilox < 3 || nrows < 10 || nwords < 100) {
        printf("FAIL KAT file too short (%d philox, %d rows, %d words)\n", nphilox, nrows, nwords);
        fails++;
    }
    return fails;
}

int main(void)
{
    static nd_bits_t b;
    nd_xoshiro_t xo;
    static uint64_t blk[ND_XO_BLOCK], blk2[ND_XO_BLOCK];
    int fails = 0, i, ones = 0;
    uint64_t k;
    fails += check_kat();
    nd_xoshiro_seed(&xo, 12345, 678);
    nd_bits_init_xoshiro(&b, &xo);
    for (i = 0; i < ND_XO_BLOCK + 3; i++) (void)nd_bits_next64(&b);
    if (xo.counter != 2) { printf("FAIL counter %llu\n", H(xo.counter)); fails++; }
    nd_xoshiro_block(&xo, 1, blk);
    if (memcmp(blk, b.buf, sizeof blk) != 0) { printf("FAIL block 1 not reproducible\n"); fails++; }
    for (i = 0; i < ND_XO_BLOCK; i++) ones += __builtin_popcountll(blk[i]);
    if (ones < 64 * ND_XO_BLOCK / 2 - 2000 || ones > 64 * ND_XO_BLOCK / 2 + 2000) { printf("FAIL bit balance %d\n", ones); fails++; }
    /* the pipelined refill: after a jump of the counter and after a reseed, same words */
    xo.counter = 1000;
    for (k = 1000; k < 1003; k++) {
        b.pos = b.end;
        (void)nd_bits_next64(&b);
        nd_xoshiro_block(&xo, k, blk2);
        if (memcmp(blk2, b.buf, sizeof blk2) != 0) { printf("FAIL refill block %llu\n", H(k)); fails++; }
    }
    nd_xoshiro_seed(&xo, 99, 1);
    xo.counter = 1003;
    b.pos = b.end;
    (void)nd_bits_next64(&b);
    nd_xoshiro_block(&xo, 1003, blk2);
    if (memcmp(blk2, b.buf, sizeof blk2) != 0) { printf("FAIL refill after reseed\n"); fails++; }
    {
        /* lane states: s[w][l] is SplitMix64 from row seed w, and block words start with them */
        uint64_t s[4][ND_XO_LANES], r[4];
        int l;
        nd_xoshiro_row_seeds(&xo, 5, r);
        nd_xoshiro_lane_states(&xo, 5, s);
        nd_xoshiro_block(&xo, 5, blk2);
        for (l = 0; l < ND_XO_LANES; l++) {
            uint64_t a = s[0][l] + s[3][l];
            if (blk2[l] != ((a << 23) | (a >> 41)) + s[0][l]) { printf("FAIL lane %d first word\n", l); fails++; }
        }
        (void)r;
    }
    {
        nd_bitgen_t bg = {0};
        bg.next_uint64 = counting_next;
        nd_bits_init_numpy(&b, &bg);
        nd_bits_expect(&b, 5);
        for (i = 0; i < 5; i++) (void)nd_bits_next64(&b);
        if (counter_state != 5) { printf("FAIL numpy drew %llu words for 5\n", H(counter_state)); fails++; }
        (void)nd_bits_next64(&b);
        if (counter_state != 6) { printf("FAIL numpy drew %llu words for 6\n", H(counter_state)); fails++; }
    }
    {
        /* the store flag's safe default: both initialisers leave plain stores
         * (stream_out 0) whatever the struct held (a reused malloc block) */
        nd_bitgen_t bg = {0};
        bg.next_uint64 = counting_next;
        b.stream_out = 1;
        nd_bits_init_xoshiro(&b, &xo);
        if (b.stream_out != 0) { printf("FAIL init_xoshiro left stream_out %d\n", b.stream_out); fails++; }
        b.stream_out = 1;
        nd_bits_init_numpy(&b, &bg);
        if (b.stream_out != 0) { printf("FAIL init_numpy left stream_out %d\n", b.stream_out); fails++; }
    }
    printf("test_bits: %s\n", fails ? "FAILED" : "ok");
    return fails != 0;
}
