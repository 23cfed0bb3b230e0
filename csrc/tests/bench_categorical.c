/* Timing harness for the categorical kernels (not a test). Prints ns/draw.
 *   gcc -O3 -std=c99 -Icsrc/include csrc/bits.c csrc/xoshiro256.c \
 *       csrc/categorical.c csrc/tests/bench_categorical.c -lm -o bench_categorical
 *   ./bench_categorical          (add "calib" for the path-choice calibration table)
 * Each timing is the best of several repeats (the machine may be shared). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "numdist/bitgen.h"
#include "numdist/categorical.h"
#include "numdist/xoshiro256.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static nd_bits_t bits;
static nd_xoshiro_t xo;

static void fill_weights(double *w, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) w[i] = nd_bits_next_double(&bits) + 1e-3;
}

static volatile int64_t sink;

#define REPS 5
#define BEST(expr, out)                                  \
    do {                                                 \
        int rep_;                                        \
        double best_ = 1e300;                            \
        for (rep_ = 0; rep_ < REPS; rep_++) {            \
            double t0_ = now(), t1_;                     \
            expr;                                        \
            t1_ = now();                                 \
            if (t1_ - t0_ < best_) best_ = t1_ - t0_;    \
        }                                                \
        out = best_;                                     \
    } while (0)

static void bench_bits_only(void)
{
    intptr_t i, n = 10000000;
    double t;
    uint64_t acc = 0;
    BEST(for (i = 0; i < n; i++) acc += nd_bits_next64(&bits), t);
    sink = (int64_t)acc;
    printf("%-58s %7.3f ns/word\n", "xoshiro words alone (1e7)", 1e9 * t / n);
}

static void bench_one_row(intptr_t K, intptr_t n)
{
    double *w = malloc(K * sizeof *w);
    nd_alias_entry *tab = malloc(K * sizeof *tab);
    void *work = malloc(nd_alias_work_bytes(K));
    int64_t *out = malloc(n * sizeof *out);
    double tb, tf;
    char label[128];
    fill_weights(w, K);
    BEST(nd_alias_build_batch(1, K, w, 0, 8, tab, work, NULL), tb);
    BEST(random_alias_fill(&bits, 1, n, K, tab, out, 0, 8), tf);
    sink = out[n / 2];
    sprintf(label, "alias K=%ld, %.0e draws, one row: build+fill", (long)K, (double)n);
    printf("%-58s %7.3f ns/draw  (build %.1f us, fill %.3f ns/draw)\n", label,
           1e9 * (tb + tf) / n, 1e6 * tb, 1e9 * tf / n);
    free(w); free(tab); free(work); free(out);
}

static void bench_batched(intptr_t nrows, intptr_t K, intptr_t n)
{
    double *w = malloc(nrows * K * sizeof *w);
    nd_alias_entry *tab = malloc(nrows * K * sizeof *tab);
    void *work = malloc(nd_alias_work_bytes(K));
    int64_t *out = malloc(nrows * n * sizeof *out);
    double tb, tf, tf2, tc;
    char label[128];
    fill_weights(w, nrows * K);
    BEST(nd_alias_build_batch(nrows, K, w, K * 8, 8, tab, work, NULL), tb);
    /* torch layout: samples (n, nrows) C-order: row stride 8, draw stride nrows*8 */
    BEST(random_alias_fill(&bits, nrows, n, K, tab, out, 8, nrows * 8), tf);
    /* rows contiguous: (nrows, n) */
    BEST(random_alias_fill(&bits, nrows, n, K, tab, out, n * 8, 8), tf2);
    sink = out[7];
    sprintf(label, "alias %ld rows x K=%ld x %ld draws, out (n,rows)", (long)nrows, (long)K,
            (long)n);
    printf("%-58s %7.3f ns/draw  (build %.2f ns/entry, fill %.3f ns/draw)\n", label,
           1e9 * (tb + tf) / (nrows * n), 1e9 * tb / (nrows * K), 1e9 * tf / (nrows * n));
    sprintf(label, "alias %ld rows x K=%ld x %ld draws, out (rows,n)", (long)nrows, (long)K,
            (long)n);
    printf("%-58s %7.3f ns/draw  (fill %.3f ns/draw)\n", label, 1e9 * (tb + tf2) / (nrows * n),
           1e9 * tf2 / (nrows * n));
    BEST(random_categorical_alias_fill(&bits, nrows, n, K, w, K * 8, 8, out, 8, nrows * 8, tab,
                                       work, NULL),
         tf);
    sprintf(label, "  (same, fused build+draw per row, out (n,rows))");
    printf("%-58s %7.3f ns/draw\n", label, 1e9 * tf / (nrows * n));
    {
        double *cw = malloc(K * sizeof *cw);
        BEST(random_categorical_cdf_fill(&bits, nrows, n, K, w, K * 8, 8, out, 8, nrows * 8, cw,
                                         NULL),
             tc);
        sprintf(label, "  (same with the cdf path)");
        printf("%-58s %7.3f ns/draw\n", label, 1e9 * tc / (nrows * n));
        free(cw);
    }
    free(w); free(tab); free(work); free(out);
}

static void bench_cdf_rows(intptr_t nrows, intptr_t K, intptr_t n)
{
    double *w = malloc(nrows * K * sizeof *w);
    double *cw = malloc(K * sizeof *cw);
    int64_t *out = malloc(nrows * n * sizeof *out);
    nd_alias_entry *tab = malloc(nrows * K * sizeof *tab);
    void *work = malloc(nd_alias_work_bytes(K));
    double tc, tb, tf;
    char label[128];
    fill_weights(w, nrows * K);
    BEST(random_categorical_cdf_fill(&bits, nrows, n, K, w, K * 8, 8, out, 8, nrows * 8, cw,
                                     NULL),
         tc);
    sink = out[3];
    sprintf(label, "cdf %.0e rows x K=%ld x %ld draw", (double)nrows, (long)K, (long)n);
    printf("%-58s %7.3f ns/draw\n", label, 1e9 * tc / (nrows * n));
    BEST(nd_alias_build_batch(nrows, K, w, K * 8, 8, tab, work, NULL), tb);
    BEST(random_alias_fill(&bits, nrows, n, K, tab, out, 8, nrows * 8), tf);
    sprintf(label, "  (same with alias build+fill)");
    printf("%-58s %7.3f ns/draw\n", label, 1e9 * (tb + tf) / (nrows * n));
    free(w); free(cw); free(out); free(tab); free(work);
}

/* Calibration of nd_categorical_prefer_alias: per-row costs of both paths. */
static void calibrate(void)
{
    static const intptr_t Ks[] = {2, 4, 8, 16, 24, 32, 64, 100, 256, 1000, 4096, 16384, 100000};
    static const intptr_t Ns[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096};
    size_t a, b;
    printf("\ncalibration: ns per row, fused alias build+draw / cdf, prefer_alias's pick marked *\n");
    printf("%8s", "K\\n");
    for (b = 0; b < sizeof Ns / sizeof *Ns; b++) printf(" %15ld", (long)Ns[b]);
    printf("\n");
    for (a = 0; a < sizeof Ks / sizeof *Ks; a++) {
        intptr_t K = Ks[a];
        intptr_t nrows = 2000000 / K;
        double *w, *cw;
        nd_alias_entry *tab;
        void *work;
        int64_t *out;
        if (nrows < 4) nrows = 4;
        if (nrows > 20000) nrows = 20000;
        w = malloc(nrows * K * sizeof *w);
        cw = malloc(K * sizeof *cw);
        tab = malloc(nrows * K * sizeof *tab);
        work = malloc(nd_alias_work_bytes(K));
        out = malloc(nrows * 4096 * sizeof *out);
        fill_weights(w, nrows * K);
        printf("%8ld", (long)K);
        for (b = 0; b < sizeof Ns / sizeof *Ns; b++) {
            intptr_t n = Ns[b];
            double ta, tf, tc;
            int pa = nd_categorical_prefer_alias(K, n);
            (void)tf;
            BEST(random_categorical_alias_fill(&bits, nrows, n, K, w, K * 8, 8, out, n * 8, 8, tab,
                                               work, NULL),
                 ta);
            BEST(random_categorical_cdf_fill(&bits, nrows, n, K, w, K * 8, 8, out, n * 8, 8, cw,
                                             NULL),
                 tc);
            ta = 1e9 * ta / nrows;
            tc = 1e9 * tc / nrows;
            printf(" %6.0f%c/%6.0f%c", ta, pa ? '*' : ' ', tc, pa ? ' ' : '*');
        }
        printf("\n");
        free(w); free(cw); free(tab); free(work); free(out);
    }
}

int main(int argc, char **argv)
{
    nd_xoshiro_seed(&xo, 0x1234, 0x5678);
    nd_bits_init_xoshiro(&bits, &xo);
    bench_bits_only();
    bench_one_row(1000, 10000000);
    bench_one_row(100000, 10000000);
    bench_batched(1000, 100, 1000);
    bench_cdf_rows(100000, 16, 1);
    if (argc > 1 && strcmp(argv[1], "calib") == 0) calibrate();
    return 0;
}
