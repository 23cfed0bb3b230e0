/* Timing harness for the element-wise kernels (not part of the test suite).
 * From the repository root:
 *   gcc -O3 -std=c99 -fno-math-errno -ffp-contract=off -Icsrc/include csrc/[a-z]*.c \
 *       csrc/tests/bench_elementwise.c -lm -o /tmp/bench_ew && /tmp/bench_ew [n]
 * ns per element, best of REPS, thread CPU time, single thread.  Rows marked
 * [1000] draw n elements as n/1000 calls over parameter arrays of 1000
 * (stride 8 bytes), as the Python harness's "1e7 draws over 1000 parameters".
 * The exponential fills run at the CPU's best SIMD level (printed); force a
 * narrower one with NUMDIST_SIMD_MAX=avx2 (or scalar), e.g.
 *   NUMDIST_SIMD_MAX=avx2 /tmp/bench_ew */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "numdist/bitgen.h"
#include "numdist/elementwise.h"
#include "numdist/xoshiro256.h"
#include "numdist/ziggurat.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static nd_bits_t bits;
static nd_xoshiro_t xo;
#define REPS 11

static void row(const char *label, const char *name, intptr_t n, double *out, const double *p0,
                const double *p1, int rows1000)
{
    const nd_ew_kernel *k = nd_ew_find(name);
    double best = 1e9;
    int r;
    for (r = 0; r < REPS; r++) {
        double t = now();
        if (rows1000) {
            intptr_t j;
            for (j = 0; j < n / 1000; j++)
                k->f64(&bits, 1000, (char *)(out + j * 1000), 8, (const char *)p0, 8,
                       (const char *)p1, 8);
        } else {
            k->f64(&bits, n, (char *)out, 8, (const char *)p0, 0, (const char *)p1, 0);
        }
        t = now() - t;
        if (t < best) best = t;
    }
    printf("%-40s %6.3f ns/element\n", label, best / n * 1e9);
}

int main(int argc, char **argv)
{
    intptr_t n = argc > 1 ? atol(argv[1]) : 10000000, i;
    double *d = malloc(sizeof(double) * n), loc[1000], sc[1000], pr[1000];
    double best = 1e9, t;
    int r;
    for (i = 0; i < 1000; i++) {
        loc[i] = i * 0.01;
        sc[i] = 1.0 + i * 0.001;
        pr[i] = (i + 0.5) / 1000.0;
    }
    printf("exponential SIMD level %d (3 AVX-512, 2 AVX2, 0 scalar)\n", nd_exponential_simd_level());
    nd_xoshiro_seed(&xo, 1, 2);
    nd_bits_init_xoshiro(&bits, &xo);
    bits.stream_out = 1; /* as the dispatcher for a resident out=: large fills stream */
    memset(d, 0, sizeof(double) * n);
    for (r = 0; r < REPS; r++) {
        t = now();
        nd_exponential_fill(&bits, n, d, 0);
        t = now() - t;
        if (t < best) best = t;
    }
    printf("%-40s %6.3f ns/element\n", "nd_exponential_fill f64", best / n * 1e9);
    /* as the dispatcher runs a 1e7 draw: pieces of 65536 values (non-temporal
     * stores), each from its own block range */
    best = 1e9;
    for (r = 0; r < REPS; r++) {
        intptr_t c;
        t = now();
        for (c = 0; c < n; c += 65536) {
            nd_xoshiro_seed(&xo, 1, 2);
            xo.counter = (uint64_t)c << 4;
            nd_bits_init_xoshiro(&bits, &xo);
            bits.stream_out = 1;
            nd_exponential_fill(&bits, n - c < 65536 ? n - c : 65536, d + c, 0);
        }
        t = now() - t;
        if (t < best) best = t;
    }
    printf("%-40s %6.3f ns/element\n", "nd_exponential_fill f64, 65536 pieces", best / n * 1e9);
    row("exponential f64 (scale NULL)", "exponential", n, d, NULL, NULL, 0);
    row("normal f64 (table)", "normal", n, d, NULL, NULL, 0);
    row("laplace f64 (NULL, NULL)", "laplace", n, d, NULL, NULL, 0);
    row("laplace f64 loc[1000],scale[1000]", "laplace", n, d, loc, sc, 1);
    row("bernoulli f64 probs[1000]", "bernoulli", n, d, pr, NULL, 1);
    row("uniform f64 low[1000],high[1000]", "uniform", n, d, loc, sc, 1);
    row("gumbel f64 loc[1000],scale[1000]", "gumbel", n, d, loc, sc, 1);
    row("cauchy f64 (NULL, NULL)", "cauchy", n, d, NULL, NULL, 0);
    row("geometric f64 probs[1000]", "geometric", n, d, pr, NULL, 1);
    free(d);
    return 0;
}
