/* Timing harness for the gamma kernels (not part of the test suite).
 * From the repository root:
 *   gcc -O3 -std=c99 -fno-math-errno -ffp-contract=off -Icsrc/include csrc/[a-z]*.c \
 *       csrc/tests/bench_gamma.c -lm -o /tmp/bench_gamma && /tmp/bench_gamma [n]
 * ns per element, best of REPS, thread CPU time, single thread.  Rows marked
 * [1000] draw over parameter arrays of 1000 (stride 8 bytes); "calls of 65536"
 * rows cut the draw as the Python samplers do (one call per dispatcher chunk).
 * NUMDIST_SIMD_MAX=avx2 runs the AVX2 passes. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "numdist/bitgen.h"
#include "numdist/elementwise.h"
#include "numdist/gamma.h"
#include "numdist/xoshiro256.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static nd_bits_t bits;
static nd_xoshiro_t xo;
#define REPS 7

static void row(const char *label, const char *name, intptr_t n, double *out, double a, double b,
                const double *arr)
{
    const nd_ew_kernel *k = nd_ew_find(name);
    double best = 1e9, w0 = (double)xo.counter;
    int r;
    for (r = 0; r < REPS; r++) {
        double t = now();
        if (arr) {
            intptr_t j;
            for (j = 0; j < n / 1000; j++)
                k->f64(&bits, 1000, (char *)(out + j * 1000), 8, (const char *)arr, 8,
                       (const char *)arr, 8);
        } else {
            k->f64(&bits, n, (char *)out, 8, (const char *)&a, 0, (const char *)&b, 0);
        }
        t = now() - t;
        if (t < best) best = t;
    }
    printf("%-44s %6.3f ns/element  (%.3f words/element)\n", label, best / n * 1e9,
           ((double)xo.counter - w0) * ND_XO_BLOCK / ((double)n * REPS));
}

/* the harness's shape: n values in calls of one dispatcher chunk (65536,
 * ND_CHUNK_ELEMS) into one contiguous array, as a 1e7 draw with out= makes */
static void chunked_row(const char *label, const char *name, intptr_t n, double *out, double a)
{
    const nd_ew_kernel *k = nd_ew_find(name);
    double best = 1e9;
    int r;
    for (r = 0; r < REPS; r++) {
        double t = now();
        intptr_t o;
        for (o = 0; o < n; o += 65536)
            k->f64(&bits, n - o < 65536 ? n - o : 65536, (char *)(out + o), 8, (const char *)&a, 0,
                   (const char *)&a, 0);
        t = now() - t;
        if (t < best) best = t;
    }
    printf("%-44s %6.3f ns/element  %7.3f ms\n", label, best / n * 1e9, best * 1e3);
}

static void dir_row(const char *label, intptr_t nrows, intptr_t K, double *out, const double *alpha)
{
    double best = 1e9;
    int r;
    for (r = 0; r < REPS; r++) {
        double t = now();
        random_dirichlet_fill(&bits, nrows, K, alpha, 0, 8, out, K * 8, 8);
        t = now() - t;
        if (t < best) best = t;
    }
    printf("%-44s %6.3f ns/element  %7.3f ms\n", label, best / (nrows * K) * 1e9, best * 1e3);
}

int main(int argc, char **argv)
{
    intptr_t n = argc > 1 ? atol(argv[1]) : 10000000, i;
    double *d = malloc(sizeof(double) * n), arr[1000], arr2[1000], al[10];
    for (i = 0; i < 1000; i++) arr[i] = 0.5 + i * 0.01;
    for (i = 0; i < 1000; i++) arr2[i] = 0.5 + i * (4.5 / 999); /* the Gamma bench row's range */
    nd_xoshiro_seed(&xo, 1, 2);
    nd_bits_init_xoshiro(&bits, &xo);
    bits.stream_out = 1; /* as the dispatcher for a resident out=: large fills stream */
    memset(d, 0, sizeof(double) * n);
    row("standard_gamma(2.5)", "standard_gamma", n, d, 2.5, 0, NULL);
    row("standard_gamma(0.3)", "standard_gamma", n, d, 0.3, 0, NULL);
    chunked_row("standard_gamma(2.5), calls of 65536", "standard_gamma", n, d, 2.5);
    chunked_row("standard_gamma(0.3), calls of 65536", "standard_gamma", n, d, 0.3);
    row("standard_gamma(1)", "standard_gamma", n, d, 1.0, 0, NULL);
    row("standard_gamma(40)", "standard_gamma", n, d, 40.0, 0, NULL);
    row("standard_gamma(1e-3)", "standard_gamma", n, d, 1e-3, 0, NULL);
    row("log_standard_gamma(1e-3)", "log_standard_gamma", n, d, 1e-3, 0, NULL);
    row("standard_gamma a[1000] in [0.5, 10.5)", "standard_gamma", n, d, 0, 0, arr);
    row("standard_gamma a[1000] in [0.5, 5]", "standard_gamma", n, d, 0, 0, arr2);
    row("chisquare(5)", "chisquare", n, d, 5.0, 0, NULL);
    row("standard_t(5)", "standard_t", n, d, 5.0, 0, NULL);
    row("beta(2.5, 3.5)", "beta", n, d, 2.5, 3.5, NULL);
    row("beta(0.3, 0.3)", "beta", n, d, 0.3, 0.3, NULL);
    for (i = 0; i < 10; i++) al[i] = 1.0;
    dir_row("dirichlet 1e5 x K=10, alpha 1", n / 100 > 100000 ? 100000 : n / 100, 10, d, al);
    for (i = 0; i < 10; i++) al[i] = 1.5;
    dir_row("dirichlet 1e5 x K=10, alpha 1.5", n / 100 > 100000 ? 100000 : n / 100, 10, d, al);
    for (i = 0; i < 10; i++) al[i] = 0.5;
    dir_row("dirichlet 1e5 x K=10, alpha 0.5", n / 100 > 100000 ? 100000 : n / 100, 10, d, al);
    free(d);
    return 0;
}
