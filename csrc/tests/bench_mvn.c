/* Timing harness for the multivariate normal kernels (not part of the tests).
 * Build from the repository root, with the library's flags and no -march:
 *   gcc -O3 -std=c99 -fno-math-errno -ffp-contract=off -Icsrc/include \
 *       csrc/[a-z]*.c csrc/tests/bench_mvn.c -lm -lpthread
 * Prints the best of several runs, in ns per draw / per evaluation, for the
 * three workloads of docs/performance.md (and the normal fill they rest on). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "numdist/bitgen.h"
#include "numdist/mvn.h"
#include "numdist/xoshiro256.h"

#define DS ((intptr_t)sizeof(double))
#define FS ((intptr_t)sizeof(float))
#define REPS 11

extern int nd_mvn_level_cap; /* mvn.c: -1 runs the code before the d = 4 packed passes */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static nd_bits_t bits;
static nd_xoshiro_t xo;

static void spd4(double *A, unsigned seed)
{
    double B[16];
    int i, j, k;
    srand(seed);
    for (i = 0; i < 16; i++) B[i] = rand() / (double)RAND_MAX - 0.5;
    for (i = 0; i < 4; i++)
        for (j = 0; j < 4; j++) {
            double s = i == j ? 0.5 : 0.0;
            for (k = 0; k < 4; k++) s += B[i * 4 + k] * B[j * 4 + k];
            A[i * 4 + j] = s;
        }
}

int main(void)
{
    const intptr_t N1 = 1000000, NB = 100000, d = 4;
    double *x = malloc(sizeof(double) * N1 * d), *e = malloc(sizeof(double) * N1 * d);
    float *xf = malloc(sizeof(float) * N1 * d);
    double *A = malloc(sizeof(double) * NB * 16), *L = malloc(sizeof(double) * NB * 16);
    double *mu = malloc(sizeof(double) * NB * d), *lp = malloc(sizeof(double) * NB);
    float *Af = malloc(sizeof(float) * NB * 16), *muf = malloc(sizeof(float) * NB * d);
    float *lpf = malloc(sizeof(float) * NB), *xbf = malloc(sizeof(float) * NB * d);
    double L1[16], mu1[4] = {1, 2, 3, 4}, t, best;
    float L1f[16], mu1f[4] = {1, 2, 3, 4};
    intptr_t i, fb, fc;
    int r;
    nd_xoshiro_seed(&xo, 1, 2);
    nd_bits_init_xoshiro(&bits, &xo);
    for (i = 0; i < NB; i++) spd4(A + 16 * i, (unsigned)i + 1);
    for (i = 0; i < NB * d; i++) mu[i] = 0.1 * (double)(i % 7);
    for (i = 0; i < NB * 16; i++) Af[i] = (float)A[i];
    for (i = 0; i < NB * d; i++) muf[i] = (float)mu[i];
    nd_cholesky_batch(1, d, A, 0, 4 * DS, DS, L1, 0, 4 * DS, DS, &fb, &fc);
    for (i = 0; i < 16; i++) L1f[i] = (float)L1[i];

#define BENCH(label, per, stmt)                                     \
    do {                                                            \
        int rep;                                                    \
        best = 1e30;                                                \
        for (rep = 0; rep < REPS; rep++) {                          \
            t = now();                                              \
            stmt;                                                   \
            t = now() - t;                                          \
            if (t < best) best = t;                                 \
        }                                                           \
        printf("%-58s %8.2f ns\n", label, best * 1e9 / (double)(per)); \
    } while (0)

    BENCH("normal fill float64, per 4 normals (reference)", N1,
          random_normal_fill(&bits, ND_NORMAL_ZIGGURAT, N1 * d, x, DS, NULL, 0, NULL, 0));
    BENCH("one 4x4 L, 1e6 draws float64, per draw", N1,
          random_mvn_fill(&bits, ND_NORMAL_ZIGGURAT, N1, 1, d, mu1, 0, DS, L1, 0, 4 * DS, DS, x, 4 * DS, 0, DS,
                          NULL, 0, 0, 0));
    BENCH("one 4x4 L, 1e6 draws float64 + eps out, per draw", N1,
          random_mvn_fill(&bits, ND_NORMAL_ZIGGURAT, N1, 1, d, mu1, 0, DS, L1, 0, 4 * DS, DS, x, 4 * DS, 0, DS,
                          e, 4 * DS, 0, DS));
    BENCH("one 4x4 L, 1e6 draws float32, per draw", N1,
          random_mvn_fill_f(&bits, ND_NORMAL_ZIGGURAT, N1, 1, d, mu1f, 0, FS, L1f, 0, 4 * FS, FS, xf, 4 * FS, 0,
                            FS, NULL, 0, 0, 0));
    BENCH("one 4x4 L, 1e6 draws float64, Box-Muller, per draw", N1,
          random_mvn_fill(&bits, ND_NORMAL_BOX_MULLER, N1, 1, d, mu1, 0, DS, L1, 0, 4 * DS, DS, x, 4 * DS, 0, DS,
                          NULL, 0, 0, 0));
    BENCH("1e5 different 4x4 cov, chol + 1 draw fused f64, per draw", NB,
          r = random_mvn_cov_fill(&bits, ND_NORMAL_ZIGGURAT, NB, d, mu, 4 * DS, DS, A, 16 * DS, 4 * DS, DS, NULL, 0,
                                  0, 0, x, 4 * DS, DS, NULL, 0, 0, &fb, &fc));
    BENCH("  same, also writing L and eps, per draw", NB,
          r = random_mvn_cov_fill(&bits, ND_NORMAL_ZIGGURAT, NB, d, mu, 4 * DS, DS, A, 16 * DS, 4 * DS, DS, L,
                                  16 * DS, 4 * DS, DS, x, 4 * DS, DS, e, 4 * DS, DS, &fb, &fc));
    BENCH("  same, float32, per draw", NB,
          r = random_mvn_cov_fill_f(&bits, ND_NORMAL_ZIGGURAT, NB, d, muf, 4 * FS, FS, Af, 16 * FS, 4 * FS, FS, NULL,
                                    0, 0, 0, xbf, 4 * FS, FS, NULL, 0, 0, &fb, &fc));
    BENCH("  two-step: nd_cholesky_batch of 1e5 4x4, per matrix", NB,
          r = nd_cholesky_batch(NB, d, A, 16 * DS, 4 * DS, DS, L, 16 * DS, 4 * DS, DS, &fb, &fc));
    BENCH("  two-step: random_mvn_fill with 1e5 L, per draw", NB,
          random_mvn_fill(&bits, ND_NORMAL_ZIGGURAT, 1, NB, d, mu, 4 * DS, DS, L, 16 * DS, 4 * DS, DS, x, 0, 4 * DS,
                          DS, NULL, 0, 0, 0));
    BENCH("precision -> scale_tril of 1e5 4x4, per matrix", NB,
          r = nd_precision_to_scale_tril_batch(NB, d, A, 16 * DS, 4 * DS, DS, L, 16 * DS, 4 * DS, DS, &fb, &fc));
    nd_cholesky_batch(NB, d, A, 16 * DS, 4 * DS, DS, L, 16 * DS, 4 * DS, DS, &fb, &fc);
    random_mvn_fill(&bits, ND_NORMAL_ZIGGURAT, 1, NB, d, mu, 4 * DS, DS, L, 16 * DS, 4 * DS, DS, x, 0, 4 * DS, DS,
                    NULL, 0, 0, 0);
    BENCH("log_prob 1e5 x 4x4 (solve + logdet fused) f64, per value", NB,
          nd_mvn_log_prob_batch(1, NB, d, L, 16 * DS, 4 * DS, DS, x, 0, 4 * DS, DS, mu, 4 * DS, DS, lp, 0, DS, NULL,
                                0, 0, 0));
    BENCH("  maha only (nd_mvn_solve_batch), per value", NB,
          nd_mvn_solve_batch(1, NB, d, L, 16 * DS, 4 * DS, DS, x, 0, 4 * DS, DS, mu, 4 * DS, DS, lp, 0, DS, NULL, 0,
                             0, 0));
    BENCH("  nd_tril_logdet_batch, per matrix", NB,
          nd_tril_logdet_batch(NB, d, L, 16 * DS, 4 * DS, DS, lp, DS));
    {
        float *Lf = malloc(sizeof(float) * NB * 16);
        for (i = 0; i < NB * 16; i++) Lf[i] = (float)L[i];
        for (i = 0; i < NB * d; i++) xbf[i] = (float)x[i];
        BENCH("log_prob 1e5 x 4x4 float32, per value", NB,
              nd_mvn_log_prob_batch_f(1, NB, d, Lf, 16 * FS, 4 * FS, FS, xbf, 0, 4 * FS, FS, muf, 4 * FS, FS, lpf, 0,
                                      FS, NULL, 0, 0, 0));
        free(Lf);
    }
    BENCH("log_prob one 4x4 L, 1e6 samples, per value", N1,
          nd_mvn_log_prob_batch(N1, 1, d, L1, 0, 4 * DS, DS, x, 4 * DS, 0, DS, mu1, 0, DS, e, DS, 0, NULL, 0, 0, 0));
    {
        /* the covariance route of MultivariateNormal (validate_args=False): packed
         * Cholesky, then one draw per factor, in the dispatcher's chunks (4096 matrices,
         * 16384 vectors), the previous code (level -1) against the current level */
        double *P = malloc(sizeof(double) * NB * 10);
        const int caps[2] = {-1, 3};
        int c;
        for (c = 0; c < 2; c++) {
            char label[96];
            nd_mvn_level_cap = caps[c];
            snprintf(label, sizeof label, "packed chol 1e5 4x4, chunks of 4096, level cap %d, per matrix", caps[c]);
            BENCH(label, NB, for (i = 0; i < NB; i += 4096) r = nd_cholesky_packed_batch(
                                 NB - i < 4096 ? NB - i : 4096, d, A + 16 * i, 16 * DS, 4 * DS, DS, P + 10 * i,
                                 10 * DS, &fb, &fc));
            snprintf(label, sizeof label, "packed draw 1e5 x 4, chunks of 16384, level cap %d, per draw", caps[c]);
            BENCH(label, NB, for (i = 0; i < NB; i += 16384) random_mvn_fill_packed(
                                 &bits, ND_NORMAL_ZIGGURAT, 1, NB - i < 16384 ? NB - i : 16384, d, mu + 4 * i,
                                 4 * DS, DS, P + 10 * i, 10 * DS, x + 4 * i, 0, 4 * DS, DS, NULL, 0, 0, 0));
        }
        nd_mvn_level_cap = 3;
        free(P);
    }
    (void)r;
    free(x); free(e); free(xf); free(A); free(L); free(mu); free(lp); free(Af); free(muf); free(lpf); free(xbf);
    return 0;
}
