/* Timing harness for the binomial element-wise kernel (not part of the test suite).
 * From the repository root:
 *   gcc -O3 -std=c99 -fno-math-errno -ffp-contract=off -Icsrc/include csrc/[a-z]*.c \
 *       csrc/tests/bench_binomial.c -lm -o /tmp/bench_binomial && /tmp/bench_binomial [n]
 * (a second argument runs only the row of that label).
 * ns per element, best of REPS, thread CPU time, single thread, calls of
 * ND_CHUNK_ELEMS elements as the dispatcher makes them.  Rows marked [1000] draw
 * over parameter arrays of 1000 (stride 8 bytes). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "numdist/bitgen.h"
#include "numdist/elementwise.h"
#include "numdist/xoshiro256.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static nd_bits_t bits;
static const char *only = NULL;
static nd_xoshiro_t xo;
#define REPS 7
#define CHUNK 65536

static void row(const char *label, intptr_t n, int64_t *out, double nn, double p, const double *arr_n,
                const double *arr_p)
{
    const nd_ew_kernel *k = nd_ew_find("binomial");
    double best = 1e9, w0 = (double)xo.counter * ND_XO_BLOCK - (double)(bits.end - bits.pos);
    int r;
    if (only != NULL && strcmp(label, only) != 0) return;
    for (r = 0; r < REPS; r++) {
        double t = now();
        intptr_t j;
        if (arr_n) {
            for (j = 0; j + 1000 <= n; j += 1000)
                k->f64(&bits, 1000, (char *)(out + j), 8, (const char *)arr_n, 8, (const char *)arr_p, 8);
        } else {
            for (j = 0; j < n; j += CHUNK)
                k->f64(&bits, n - j < CHUNK ? n - j : CHUNK, (char *)(out + j), 8, (const char *)&nn, 0,
                       (const char *)&p, 0);
        }
        t = now() - t;
        if (t < best) best = t;
    }
    printf("%-36s %6.3f ns/element  (%.3f words/element)\n", label, best / n * 1e9,
           ((double)xo.counter * ND_XO_BLOCK - (double)(bits.end - bits.pos) - w0) / ((double)n * REPS));
}

int main(int argc, char **argv)
{
    intptr_t n = argc > 1 ? atol(argv[1]) : 4000000, i;
    int64_t *out = malloc(sizeof(int64_t) * (size_t)n);
    double an[1000], ap[1000];
    if (argc > 2) only = argv[2];
    nd_xoshiro_seed(&xo, 12345, 678);
    nd_bits_init_xoshiro(&bits, &xo);
    for (i = 0; i < 1000; i++) { an[i] = 1e6; ap[i] = 0.3; }
    row("binomial(1e6, 0.3)", n, out, 1e6, 0.3, NULL, NULL);
    row("binomial(1e6, 0.3) [1000]", n, out, 0, 0, an, ap);
    row("binomial(200, 0.7)", n, out, 200, 0.7, NULL, NULL);
    row("binomial(1e12, 0.3)", n, out, 1e12, 0.3, NULL, NULL);
    row("binomial(10, 0.03)", n, out, 10, 0.03, NULL, NULL);
    row("binomial(100, 0.05)", n, out, 100, 0.05, NULL, NULL);
    free(out);
    return 0;
}
