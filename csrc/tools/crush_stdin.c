/*
 * crush_stdin: TestU01 SmallCrush or Crush on one 32-bit half of the 64-bit words
 * read from stdin (native byte order, e.g. the output of rawstream). Each word gives
 * one 32-bit output, its upper or its lower half; the other half is dropped, so a
 * battery sees each half of the stream on its own. Not part of the library: a local
 * tool for docs/stream-contract.md section 6; needs TestU01 1.2.3 built separately.
 *
 *   crush_stdin upper|lower smallcrush|crush [TEST ...]
 *
 * With TEST numbers (as in TestU01's summary), only those tests of the battery run
 * (bbattery_Repeat*), e.g. to re-run a flagged test on another key.
 *
 *   cc -O2 -std=c99 -I/tmp/testu01/include csrc/tools/crush_stdin.c \
 *      -L/tmp/testu01/lib -ltestu01 -lprobdist -lmylib -lm -o /tmp/crush_stdin
 *   /tmp/rawstream single 0x243f6a8885a308d3 0x13198a2e03707344 | /tmp/crush_stdin upper crush
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unif01.h"
#include "bbattery.h"

#define BUF_WORDS (1u << 20) /* 8 MB per fread: the pipe is not the bottleneck */
#define MAX_TEST 200         /* size of TestU01's per-test arrays (NDIM in bbattery.c) */

static uint64_t buf[BUF_WORDS];
static size_t buf_len = 0, buf_pos = 0;
static unsigned long long words_read = 0;
static int use_upper = 1;

static uint64_t next_word(void)
{
    if (buf_pos == buf_len) {
        buf_len = fread(buf, sizeof buf[0], BUF_WORDS, stdin);
        buf_pos = 0;
        if (buf_len == 0) {
            /* TestU01 has no way to stop a test early: a short stream is an error. */
            fprintf(stderr, "crush_stdin: stdin ended after %llu words\n", words_read);
            exit(1);
        }
        words_read += buf_len;
    }
    return buf[buf_pos++];
}

static unsigned int next_half(void)
{
    uint64_t w = next_word();
    return (unsigned int)(use_upper ? w >> 32 : w & 0xffffffffu);
}

static int usage(void)
{
    fprintf(stderr, "usage: crush_stdin upper|lower smallcrush|crush [TEST ...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static int rep[MAX_TEST + 1];
    char name[64];
    unif01_Gen *gen;
    int crush, i;
    if (argc < 3) return usage();
    if (strcmp(argv[1], "upper") == 0) use_upper = 1;
    else if (strcmp(argv[1], "lower") == 0) use_upper = 0;
    else return usage();
    if (strcmp(argv[2], "smallcrush") == 0) crush = 0;
    else if (strcmp(argv[2], "crush") == 0) crush = 1;
    else return usage();
    for (i = 3; i < argc; i++) {
        int t = atoi(argv[i]);
        if (t < 1 || t > MAX_TEST) return usage();
        rep[t] = 1;
    }
    snprintf(name, sizeof name, "stdin, %s 32 bits of each 64-bit word", argv[1]);
    gen = unif01_CreateExternGenBits(name, next_half);
    if (argc > 3) {
        if (crush) bbattery_RepeatCrush(gen, rep);
        else bbattery_RepeatSmallCrush(gen, rep);
    } else {
        if (crush) bbattery_Crush(gen);
        else bbattery_SmallCrush(gen);
    }
    unif01_DeleteExternGenBits(gen);
    fprintf(stderr, "crush_stdin: %llu words used\n", words_read - (unsigned long long)(buf_len - buf_pos));
    return 0;
}
