/* Timing harness for the normal kernels (not part of the test suite: the runner
 * only runs test_*.c).  Build and run, from the repository root:
 *   gcc -O3 -std=c99 -fno-math-errno -ffp-contract=off -Icsrc/include csrc/[a-z]*.c \
 *       csrc/tests/bench_normal.c -lm -o /tmp/bench_normal
 *   /tmp/bench_normal [n]
 * Reports ns per sample (best of REPS repetitions, thread CPU time) for the
 * numdist generator alone and for each method / dtype / layout.  Default n = 1e7
 * (output streamed to memory); n = 1e5 keeps everything in cache.  The
 * float32 ziggurat runs at the best SIMD level of the CPU (printed first);
 * NUMDIST_SIMD_MAX=avx2 (or sse2, scalar) runs a narrower one. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "numdist/bitgen.h"
#include "numdist/xoshiro256.h"
#include "numdist/normal.h"

/* Thread CPU time: less disturbed by other processes on a shared machine than
 * wall time (the best of REPS runs is reported). */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static nd_bits_t bits;
static nd_xoshiro_t xo;
static volatile double sink;

/* normal.c's switch of the float64 whole-block pass (not public) */
extern int nd_normal64_blocks;

#define REPS 15

int main(int argc, char **argv)
{
    intptr_t n = argc > 1 ? atol(argv[1]) : 10000000, i;
    double *d = malloc(sizeof(double) * n * 2), *loc = malloc(sizeof(double) * 1000),
           *sc = malloc(sizeof(double) * 1000);
    float *f = malloc(sizeof(float) * n), *locf = malloc(sizeof(float) * 1000),
          *scf = malloc(sizeof(float) * 1000);
    int r, m;
    double best, t;
    for (i = 0; i < 1000; i++) {
        loc[i] = i * 0.01;
        sc[i] = 1.0 + i * 0.001;
        locf[i] = (float)loc[i];
        scf[i] = (float)sc[i];
    }
    nd_xoshiro_seed(&xo, 1, 2);
    nd_bits_init_xoshiro(&bits, &xo);
    /* touch */
    for (i = 0; i < 2 * n; i++) d[i] = 0;
    for (i = 0; i < n; i++) f[i] = 0;

    best = 1e9;
    for (r = 0; r < REPS; r++) {
        uint64_t acc = 0;
        t = now();
        for (i = 0; i < n; i++) acc += nd_bits_next64(&bits);
        t = now() - t;
        sink = (double)acc;
        if (t < best) best = t;
    }
    printf("normal SIMD level %d (3 AVX-512 VBMI, 2 AVX2, 1 SSE2, 0 scalar)\n", nd_normal_simd_level());
    printf("%-32s %6.3f ns/word\n", "xoshiro words", best / n * 1e9);

    /* float64 ziggurat, the whole-block pass (normal.c) off and on, interleaved
     * repetitions (the machine may be shared: both see the same load) */
    {
        double bo[2] = {1e9, 1e9};
        int on;
        for (r = 0; r < REPS; r++) {
            for (on = 0; on < 2; on++) {
                nd_normal64_blocks = on;
                t = now();
                random_normal_fill(&bits, ND_NORMAL_ZIGGURAT, n, d, 8, NULL, 0, NULL, 0);
                t = now() - t;
                if (t < bo[on]) bo[on] = t;
            }
        }
        nd_normal64_blocks = 1;
        printf("%-32s %6.3f ns/sample\n", "ziggurat f64 blocks off", bo[0] / n * 1e9);
        printf("%-32s %6.3f ns/sample (ratio off/on %.3f)\n", "ziggurat f64 blocks on", bo[1] / n * 1e9,
               bo[0] / bo[1]);
    }

    for (m = 0; m < 2; m++) {
        const char *name = m ? "box-muller" : "ziggurat";
        char label[64];
        best = 1e9;
        for (r = 0; r < REPS; r++) {
            t = now();
            random_normal_fill(&bits, (nd_normal_method)m, n, d, 8, NULL, 0, NULL, 0);
            t = now() - t;
            if (t < best) best = t;
        }
        snprintf(label, sizeof label, "%s f64 contiguous", name);
        printf("%-32s %6.3f ns/sample\n", label, best / n * 1e9);
        best = 1e9;
        for (r = 0; r < REPS; r++) {
            t = now();
            random_normal_fill_f(&bits, (nd_normal_method)m, n, f, 4, NULL, 0, NULL, 0);
            t = now() - t;
            if (t < best) best = t;
        }
        snprintf(label, sizeof label, "%s f32 contiguous", name);
        printf("%-32s %6.3f ns/sample\n", label, best / n * 1e9);
        best = 1e9;
        for (r = 0; r < REPS; r++) {
            t = now();
            random_normal_fill(&bits, (nd_normal_method)m, n, d, 16, NULL, 0, NULL, 0);
            t = now() - t;
            if (t < best) best = t;
        }
        snprintf(label, sizeof label, "%s f64 stride 2", name);
        printf("%-32s %6.3f ns/sample\n", label, best / n * 1e9);
        best = 1e9;
        for (r = 0; r < REPS; r++) {
            intptr_t rows = n / 1000, k;
            t = now();
            for (k = 0; k < rows; k++)
                random_normal_fill(&bits, (nd_normal_method)m, 1000, d + k * 1000, 8, loc, 8, sc, 8);
            t = now() - t;
            if (t < best) best = t;
        }
        snprintf(label, sizeof label, "%s f64 loc[1000],scale[1000]", name);
        printf("%-32s %6.3f ns/sample\n", label, best / n * 1e9);
        best = 1e9;
        for (r = 0; r < REPS; r++) {
            intptr_t rows = n / 1000, k;
            t = now();
            for (k = 0; k < rows; k++)
                random_normal_fill_f(&bits, (nd_normal_method)m, 1000, f + k * 1000, 4, locf, 4, scf, 4);
            t = now() - t;
            if (t < best) best = t;
        }
        snprintf(label, sizeof label, "%s f32 loc[1000],scale[1000]", name);
        printf("%-32s %6.3f ns/sample\n", label, best / n * 1e9);
    }
    free(d); free(f); free(loc); free(sc); free(locf); free(scf);
    return 0;
}
