/* Standalone checks of the multivariate normal kernels (numdist/mvn.h), no
 * Python. Build (from the repository root):
 *   gcc -O2 -std=c99 -Wall -Wextra -Icsrc/include csrc/bits.c csrc/xoshiro256.c \
 *       csrc/normal.c csrc/mvn.c csrc/tests/test_mvn.c -lm
 * Exit status 0 when every check passes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numdist/bitgen.h"
#include "numdist/mvn.h"
#include "numdist/xoshiro256.h"

static int fails = 0, checks = 0;
#define CHECK(cond, ...)                                  \
    do {                                                  \
        checks++;                                         \
        if (!(cond)) {                                    \
            fails++;                                      \
            if (fails < 60) {                             \
                printf("FAIL %s:%d: ", __FILE__, __LINE__); \
                printf(__VA_ARGS__);                      \
                printf("\n");                             \
            }                                             \
        }                                                 \
    } while (0)

#define DS ((intptr_t)sizeof(double))
#define FS ((intptr_t)sizeof(float))

/* ---- test-side random numbers and linear algebra ------------------------ */

static uint64_t trng = 0x1234567887654321ULL;
static double tunif(void)
{
    uint64_t z = (trng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static double tnorm(void)
{
    return sqrt(-2.0 * log(tunif())) * cos(6.283185307179586 * tunif());
}

/* Random SPD d x d (row-major, full): B B^T / d + 0.5 I. */
static void rand_spd(int d, double *A)
{
    double B[64 * 64];
    int i, j, k;
    for (i = 0; i < d * d; i++) B[i] = tnorm();
    for (i = 0; i < d; i++)
        for (j = 0; j < d; j++) {
            double s = 0;
            for (k = 0; k < d; k++) s += B[i * d + k] * B[j * d + k];
            A[i * d + j] = s / d + (i == j ? 0.5 : 0.0);
        }
}

/* Gauss-Jordan inverse with partial pivoting (test reference). */
static void inverse(int d, const double *A, double *X)
{
    double M[64 * 128];
    int i, j, k, w = 2 * d;
    for (i = 0; i < d; i++)
        for (j = 0; j < w; j++) M[i * w + j] = j < d ? A[i * d + j] : (j - d == i ? 1.0 : 0.0);
    for (k = 0; k < d; k++) {
        int p = k;
        double piv;
        for (i = k + 1; i < d; i++)
            if (fabs(M[i * w + k]) > fabs(M[p * w + k])) p = i;
        for (j = 0; j < w; j++) {
            double t = M[k * w + j];
            M[k * w + j] = M[p * w + j];
            M[p * w + j] = t;
        }
        piv = M[k * w + k];
        for (j = 0; j < w; j++) M[k * w + j] /= piv;
        for (i = 0; i < d; i++)
            if (i != k) {
                double c = M[i * w + k];
                for (j = 0; j < w; j++) M[i * w + j] -= c * M[k * w + j];
            }
    }
    for (i = 0; i < d; i++)
        for (j = 0; j < d; j++) X[i * d + j] = M[i * w + d + j];
}

static double maxabs(int n, const double *a)
{
    double m = 0;
    int i;
    for (i = 0; i < n; i++)
        if (fabs(a[i]) > m) m = fabs(a[i]);
    return m;
}

/* max |L L^T - A| / max |A| over a full row-major L. */
static double recon_err(int d, const double *L, const double *A)
{
    double e = 0;
    int i, j, k;
    for (i = 0; i < d; i++)
        for (j = 0; j < d; j++) {
            double s = 0;
            for (k = 0; k < d; k++) s += L[i * d + k] * L[j * d + k];
            if (fabs(s - A[i * d + j]) > e) e = fabs(s - A[i * d + j]);
        }
    return e / maxabs(d * d, A);
}

static int is_lower_pos(int d, const double *L)
{
    int i, j;
    for (i = 0; i < d; i++) {
        if (!(L[i * d + i] > 0)) return 0;
        for (j = i + 1; j < d; j++)
            if (L[i * d + j] != 0.0) return 0;
    }
    return 1;
}

static nd_bits_t *new_bits(nd_xoshiro_t *xo, uint64_t seed)
{
    nd_bits_t *b = (nd_bits_t *)malloc(sizeof(nd_bits_t));
    nd_xoshiro_seed(xo, seed, 0x5eed);
    nd_bits_init_xoshiro(b, xo);
    return b;
}

/* ---- 1. Cholesky: reconstruction, layouts, failures -------------------------- */

static void test_cholesky(void)
{
    static const int dims[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 32, 33, 40};
    const int nb = 7;
    size_t di;
    for (di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        const int d = dims[di], dd = d * d;
        double *A = malloc(sizeof(double) * nb * dd), *L = malloc(sizeof(double) * nb * dd);
        double *G = malloc(sizeof(double) * nb * dd * 4), *L2 = malloc(sizeof(double) * nb * dd * 4);
        float *Af = malloc(sizeof(float) * nb * dd), *Lf = malloc(sizeof(float) * nb * dd);
        intptr_t fb = 7, fc = 7;
        int b, i, j, r;
        double worst = 0, worstf = 0;
        for (b = 0; b < nb; b++) rand_spd(d, A + b * dd);
        r = nd_cholesky_batch(nb, d, A, dd * DS, d * DS, DS, L, dd * DS, d * DS, DS, &fb, &fc);
        CHECK(r == ND_OK && fb == -1 && fc == -1, "d=%d chol status %d (%ld,%ld)", d, r, (long)fb, (long)fc);
        for (b = 0; b < nb; b++) {
            double e = recon_err(d, L + b * dd, A + b * dd);
            if (e > worst) worst = e;
            CHECK(is_lower_pos(d, L + b * dd), "d=%d b=%d L not lower with positive diagonal", d, b);
        }
        CHECK(worst < 1e-12 * (d > 9 ? 4 : 1), "d=%d reconstruction error %.3g", d, worst);

        /* float: same matrices rounded */
        for (i = 0; i < nb * dd; i++) Af[i] = (float)A[i];
        r = nd_cholesky_batch_f(nb, d, Af, dd * FS, d * FS, FS, Lf, dd * FS, d * FS, FS, &fb, &fc);
        CHECK(r == ND_OK, "d=%d chol_f status %d", d, r);
        for (i = 0; i < nb * dd; i++) {
            double e = fabs((double)Lf[i] - L[i]) / maxabs(dd, L + (i / dd) * dd);
            if (e > worstf) worstf = e;
        }
        CHECK(worstf < 2e-6 * d, "d=%d float chol vs double %.3g", d, worstf);

        /* Layout variants must give bit-identical L. Logical A[b][i][j] at
         * G + b*bs + i*rs + j*cs; the logical upper triangle is NaN (never read). */
        {
            struct {
                const char *name;
                intptr_t bs, rs, cs, base; /* strides in elements, base offset */
                intptr_t lbs, lrs, lcs, lbase;
            } lay[5];
            int v;
            /* column-major A, column-major L */
            lay[0].name = "col-major"; lay[0].bs = dd; lay[0].rs = 1; lay[0].cs = d; lay[0].base = 0;
            lay[0].lbs = dd; lay[0].lrs = 1; lay[0].lcs = d; lay[0].lbase = 0;
            /* negative batch, row and column strides (everything flipped) */
            lay[1].name = "negative"; lay[1].bs = -dd; lay[1].rs = -d; lay[1].cs = -1; lay[1].base = nb * dd - 1;
            lay[1].lbs = -dd; lay[1].lrs = -1; lay[1].lcs = -d; lay[1].lbase = nb * dd - 1;
            /* padded: row stride 2d, batch stride 2dd+3, col stride 2 in a 4x buffer */
            lay[2].name = "padded"; lay[2].bs = 4 * dd; lay[2].rs = 2 * d; lay[2].cs = 2; lay[2].base = 1;
            lay[2].lbs = 4 * dd; lay[2].lrs = 2; lay[2].lcs = 2 * d; lay[2].lbase = 1;
            /* negative batch stride, positive others */
            lay[3].name = "neg-batch"; lay[3].bs = -dd; lay[3].rs = d; lay[3].cs = 1; lay[3].base = (nb - 1) * dd;
            lay[3].lbs = dd; lay[3].lrs = d; lay[3].lcs = 1; lay[3].lbase = 0;
            /* row-major A, rows reversed */
            lay[4].name = "rows-reversed"; lay[4].bs = dd; lay[4].rs = -d; lay[4].cs = 1; lay[4].base = (d - 1) * d;
            lay[4].lbs = -dd; lay[4].lrs = d; lay[4].lcs = -1; lay[4].lbase = (nb - 1) * dd + d - 1;
            for (v = 0; v < 5; v++) {
                int same = 1;
                for (i = 0; i < nb * dd * 4; i++) G[i] = NAN, L2[i] = -7.0;
                for (b = 0; b < nb; b++)
                    for (i = 0; i < d; i++)
                        for (j = 0; j <= i; j++)
                            G[lay[v].base + b * lay[v].bs + i * lay[v].rs + j * lay[v].cs] = A[b * dd + i * d + j];
                r = nd_cholesky_batch(nb, d, G + lay[v].base, lay[v].bs * DS, lay[v].rs * DS, lay[v].cs * DS,
                                      L2 + lay[v].lbase, lay[v].lbs * DS, lay[v].lrs * DS, lay[v].lcs * DS, &fb, &fc);
                CHECK(r == ND_OK, "d=%d layout %s status %d", d, lay[v].name, r);
                for (b = 0; b < nb; b++)
                    for (i = 0; i < d; i++)
                        for (j = 0; j < d; j++)
                            if (memcmp(&L2[lay[v].lbase + b * lay[v].lbs + i * lay[v].lrs + j * lay[v].lcs],
                                       &L[b * dd + i * d + j], sizeof(double)) != 0)
                                same = 0;
                CHECK(same, "d=%d layout %s differs from contiguous", d, lay[v].name);
            }
            /* in place */
            memcpy(G, A, sizeof(double) * nb * dd);
            for (b = 0; b < nb; b++)
                for (i = 0; i < d; i++)
                    for (j = i + 1; j < d; j++) G[b * dd + i * d + j] = NAN;
            r = nd_cholesky_batch(nb, d, G, dd * DS, d * DS, DS, G, dd * DS, d * DS, DS, &fb, &fc);
            CHECK(r == ND_OK && memcmp(G, L, sizeof(double) * nb * dd) == 0, "d=%d in-place differs", d);
            /* broadcast batch stride 0 in A: every L equals L[0] */
            r = nd_cholesky_batch(3, d, A, 0, d * DS, DS, L2, dd * DS, d * DS, DS, &fb, &fc);
            CHECK(r == ND_OK && memcmp(L2 + 2 * dd, L, sizeof(double) * dd) == 0, "d=%d a_bs=0", d);
        }
        free(A); free(L); free(G); free(L2); free(Af); free(Lf);
    }
}

/* Identity batch with one bad matrix: check status, batch and column. */
static void check_fail(int d, int kind, int badb, int col, int use_f, int route)
{
    const int nb = 11, dd = d * d;
    double *A = calloc((size_t)nb * dd, sizeof(double)), *L = calloc((size_t)nb * dd, sizeof(double));
    float *Af = calloc((size_t)nb * dd, sizeof(float)), *Lf = calloc((size_t)nb * dd, sizeof(float));
    double *out = calloc((size_t)nb * d, sizeof(double));
    float *outf = calloc((size_t)nb * d, sizeof(float));
    intptr_t fb = -5, fc = -5;
    int b, i, r, expect_col = col;
    static nd_bits_t *bits;
    nd_xoshiro_t xo;
    for (b = 0; b < nb; b++)
        for (i = 0; i < d; i++) A[b * dd + i * d + i] = 1.0 + 0.1 * i;
    {
        double *M = A + badb * dd;
        switch (kind) {
        case 0: /* rank deficient: row/col `col` duplicates row/col col-1 (exact zero pivot) */
            if (col < 1) break;
            M[(col - 1) * d + (col - 1)] = M[col * d + col] = 1.0;
            M[col * d + col - 1] = M[(col - 1) * d + col] = 1.0;
            break;
        case 1: /* indefinite: off-diagonal larger than the diagonals */
            M[col * d + 0] = M[0 * d + col] = 3.0;
            if (col == 0) M[0] = -2.0;
            break;
        case 2: /* NaN at (col, col-1) and its mirror */
            M[col * d + (col > 0 ? col - 1 : 0)] = M[(col > 0 ? col - 1 : 0) * d + col] = NAN;
            break;
        case 3: /* +inf on the diagonal */
            M[col * d + col] = INFINITY;
            break;
        case 4: /* zero matrix block: exactly singular */
            M[col * d + col] = 0.0;
            break;
        }
    }
    if (route == 1) {
        /* precision route fails at the trailing block: flip the bad matrix so
         * that the same defect is seen by chol(flip(P)) at column col. */
        double *M = A + badb * dd, T[64 * 64];
        int j;
        for (i = 0; i < d; i++)
            for (j = 0; j < d; j++) T[i * d + j] = M[(d - 1 - i) * d + (d - 1 - j)];
        memcpy(M, T, sizeof(double) * dd);
        expect_col = d - 1 - col;
    }
    for (i = 0; i < nb * dd; i++) Af[i] = (float)A[i];
    bits = new_bits(&xo, 99);
    if (route == 0)
        r = use_f ? nd_cholesky_batch_f(nb, d, Af, dd * FS, d * FS, FS, Lf, dd * FS, d * FS, FS, &fb, &fc)
                  : nd_cholesky_batch(nb, d, A, dd * DS, d * DS, DS, L, dd * DS, d * DS, DS, &fb, &fc);
    else if (route == 1)
        r = use_f ? nd_precision_to_scale_tril_batch_f(nb, d, Af, dd * FS, d * FS, FS, Lf, dd * FS, d * FS, FS, &fb, &fc)
                  : nd_precision_to_scale_tril_batch(nb, d, A, dd * DS, d * DS, DS, L, dd * DS, d * DS, DS, &fb, &fc);
    else
        r = use_f ? random_mvn_cov_fill_f(bits, ND_NORMAL_ZIGGURAT, nb, d, NULL, 0, 0, Af, dd * FS, d * FS, FS,
                                          d > ND_MVN_MAXD ? Lf : NULL, dd * FS, d * FS, FS, outf, d * FS, FS,
                                          NULL, 0, 0, &fb, &fc)
                  : random_mvn_cov_fill(bits, ND_NORMAL_ZIGGURAT, nb, d, NULL, 0, 0, A, dd * DS, d * DS, DS,
                                        d > ND_MVN_MAXD ? L : NULL, dd * DS, d * DS, DS, out, d * DS, DS,
                                        NULL, 0, 0, &fb, &fc);
    CHECK(r == ND_E_NOT_PD && fb == badb && fc == expect_col,
          "fail d=%d kind=%d route=%d f=%d: status %d batch %ld col %ld (want %d, %d)", d, kind, route, use_f, r,
          (long)fb, (long)fc, badb, expect_col);
    /* rows before the failure are final and finite */
    for (i = 0; i < badb * (route == 2 ? d : dd); i++) {
        double v = route == 2 ? (use_f ? outf[i] : out[i]) : (use_f ? Lf[i] : L[i]);
        if (!isfinite(v)) {
            CHECK(0, "fail d=%d kind=%d route=%d: non-finite output before the failing batch", d, kind, route);
            break;
        }
    }
    free(bits); free(A); free(L); free(Af); free(Lf); free(out); free(outf);
}

static void test_failures(void)
{
    static const int dims[] = {2, 3, 4, 6, 9, 40};
    size_t di;
    int kind, f, route;
    for (di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        int d = dims[di];
        for (route = 0; route < 3; route++)
            for (f = 0; f < 2; f++)
                for (kind = 0; kind < 5; kind++) {
                    int col = (kind == 0) ? d - 1 : (d > 2 ? d - 2 : 1);
                    if (kind == 1 && route != 1) col = d - 1;
                    check_fail(d, kind, 3, col, f, route);
                    check_fail(d, kind, 6, col, f, route);
                    check_fail(d, kind, 10, col, f, route);
                    if (kind >= 2) check_fail(d, kind, 0, 0, f, route);
                }
    }
    /* NaN only in the upper triangle is never read: succeeds */
    {
        double A[9] = {2, NAN, NAN, 1, 2, NAN, 0, 1, 2}, L[9];
        intptr_t fb, fc;
        int r = nd_cholesky_batch(1, 3, A, 0, 3 * DS, DS, L, 0, 3 * DS, DS, &fb, &fc);
        CHECK(r == ND_OK && isfinite(L[8]), "NaN above the diagonal was read");
        CHECK(nd_cholesky_batch(-1, 3, A, 0, 3 * DS, DS, L, 0, 3 * DS, DS, &fb, &fc) == ND_E_BAD_PARAM,
              "negative nbatch accepted");
        CHECK(nd_cholesky_batch(1, 3, A, 0, 3 * DS, DS, L, 0, 3 * DS, DS, NULL, NULL) == ND_OK,
              "NULL fail pointers");
    }
}

/* ---- 2. precision route ------------------------------------------------------ */

static void test_precision(void)
{
    static const int dims[] = {1, 2, 3, 4, 5, 7, 9, 33, 40};
    size_t di;
    for (di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        const int d = dims[di], dd = d * d, nb = 4;
        double *P = malloc(sizeof(double) * nb * dd), *Pn = malloc(sizeof(double) * nb * dd);
        double *L = malloc(sizeof(double) * nb * dd), *C = malloc(sizeof(double) * dd);
        double *Lc = malloc(sizeof(double) * dd), *Lt = malloc(sizeof(double) * nb * dd);
        float *Pf = malloc(sizeof(float) * nb * dd), *Lf = malloc(sizeof(float) * nb * dd);
        intptr_t fb, fc;
        int b, i, j, r;
        double worst = 0, worstf = 0;
        for (b = 0; b < nb; b++) rand_spd(d, P + b * dd);
        /* only the lower triangle may be read */
        memcpy(Pn, P, sizeof(double) * nb * dd);
        for (b = 0; b < nb; b++)
            for (i = 0; i < d; i++)
                for (j = i + 1; j < d; j++) Pn[b * dd + i * d + j] = NAN;
        r = nd_precision_to_scale_tril_batch(nb, d, Pn, dd * DS, d * DS, DS, L, dd * DS, d * DS, DS, &fb, &fc);
        CHECK(r == ND_OK && fb == -1, "prec d=%d status %d", d, r);
        for (b = 0; b < nb; b++) {
            double e;
            inverse(d, P + b * dd, C);
            CHECK(is_lower_pos(d, L + b * dd), "prec d=%d b=%d not lower/positive", d, b);
            e = recon_err(d, L + b * dd, C);
            CHECK(e < 1e-12, "prec d=%d b=%d L L^T vs inv(P) %.3g", d, b, e);
            /* unique factor: equals chol(inv(P)) */
            nd_cholesky_batch(1, d, C, 0, d * DS, DS, Lc, 0, d * DS, DS, &fb, &fc);
            for (i = 0; i < dd; i++) {
                e = fabs(Lc[i] - L[b * dd + i]) / maxabs(dd, Lc);
                if (e > worst) worst = e;
            }
        }
        CHECK(worst < 1e-12, "prec d=%d vs chol(inv(P)) %.3g", d, worst);
        /* transposed (column-major) P and L: identical */
        r = nd_precision_to_scale_tril_batch(nb, d, P, dd * DS, DS, d * DS, Lt, dd * DS, DS, d * DS, &fb, &fc);
        {
            int same = r == ND_OK;
            for (b = 0; b < nb; b++)
                for (i = 0; i < d; i++)
                    for (j = 0; j < d; j++)
                        if (Lt[b * dd + j * d + i] != L[b * dd + i * d + j]) same = 0;
            CHECK(same, "prec d=%d column-major differs", d);
        }
        for (i = 0; i < nb * dd; i++) Pf[i] = (float)P[i];
        r = nd_precision_to_scale_tril_batch_f(nb, d, Pf, dd * FS, d * FS, FS, Lf, dd * FS, d * FS, FS, &fb, &fc);
        CHECK(r == ND_OK, "prec_f d=%d status %d", d, r);
        for (i = 0; i < nb * dd; i++) {
            double e = fabs(Lf[i] - L[i]) / maxabs(dd, L + (i / dd) * dd);
            if (e > worstf) worstf = e;
        }
        CHECK(worstf < 2e-5 * d, "prec_f d=%d vs double %.3g", d, worstf);
        free(P); free(Pn); free(L); free(C); free(Lc); free(Lt); free(Pf); free(Lf);
    }
}

/* ---- 3. draws: statistics, layouts, exact transform ------------------------- */

static void test_stats(void)
{
    const int d = 4, N = 1000000;
    const double Sig[16] = {2.0, 0.6, -0.4, 0.3, 0.6, 1.5, 0.2, -0.5, -0.4, 0.2, 1.0, 0.1, 0.3, -0.5, 0.1, 0.8};
    const double mu[4] = {1.0, -2.0, 0.5, 3.0};
    double L[16], *x = malloc(sizeof(double) * N * d), *e = malloc(sizeof(double) * N * d);
    float *xf = malloc(sizeof(float) * N * d), Lf[16], muf[4];
    nd_xoshiro_t xo;
    nd_bits_t *bits = new_bits(&xo, 2024);
    intptr_t fb, fc;
    int pass, i, j, n, r;
    nd_cholesky_batch(1, d, Sig, 0, d * DS, DS, L, 0, d * DS, DS, &fb, &fc);
    for (i = 0; i < 16; i++) Lf[i] = (float)L[i];
    for (i = 0; i < 4; i++) muf[i] = (float)mu[i];
    for (pass = 0; pass < 2; pass++) {
        double m[4] = {0}, c[16] = {0};
        if (pass == 0)
            r = random_mvn_fill(bits, ND_NORMAL_ZIGGURAT, N, 1, d, mu, 0, DS, L, 0, d * DS, DS, x, d * DS, 0, DS, e,
                                d * DS, 0, DS);
        else
            r = random_mvn_fill_f(bits, ND_NORMAL_ZIGGURAT, 1, N, d, muf, 0, FS, Lf, 0, d * FS, FS, xf, 0, d * FS,
                                  FS, NULL, 0, 0, 0);
        CHECK(r == ND_OK, "fill status %d", r);
        for (n = 0; n < N; n++)
            for (i = 0; i < d; i++) m[i] += pass ? xf[n * d + i] : x[n * d + i];
        for (i = 0; i < d; i++) m[i] /= N;
        for (n = 0; n < N; n++)
            for (i = 0; i < d; i++)
                for (j = 0; j < d; j++)
                    c[i * d + j] += ((pass ? xf[n * d + i] : x[n * d + i]) - m[i]) *
                                    ((pass ? xf[n * d + j] : x[n * d + j]) - m[j]);
        for (i = 0; i < d; i++) {
            double z = (m[i] - mu[i]) / sqrt(Sig[i * d + i] / N);
            CHECK(fabs(z) < 5, "pass %d mean[%d] off by %.2f sigma", pass, i, z);
            for (j = 0; j < d; j++) {
                double sd = sqrt((Sig[i * d + j] * Sig[i * d + j] + Sig[i * d + i] * Sig[j * d + j]) / N);
                double zc = (c[i * d + j] / (N - 1) - Sig[i * d + j]) / sd;
                CHECK(fabs(zc) < 5, "pass %d cov[%d][%d] off by %.2f sigma", pass, i, j, zc);
            }
        }
    }
    /* the eps written are standard normal and x = mu + L eps exactly */
    {
        double em = 0, ev = 0, worst = 0;
        for (n = 0; n < N * d; n++) em += e[n], ev += e[n] * e[n];
        em /= (double)N * d;
        ev = ev / ((double)N * d) - em * em;
        CHECK(fabs(em) < 5 / sqrt((double)N * d) && fabs(ev - 1) < 5 * sqrt(2.0 / ((double)N * d)),
              "eps mean %.3g var %.6f", em, ev);
        for (n = 0; n < N; n++)
            for (i = 0; i < d; i++) {
                double t = mu[i];
                for (j = 0; j <= i; j++) t += L[i * d + j] * e[n * d + j];
                if (fabs(t - x[n * d + i]) > worst) worst = fabs(t - x[n * d + i]);
            }
        CHECK(worst < 1e-12, "x != mu + L eps (max %.3g)", worst);
    }
    free(x); free(e); free(xf); free(bits);
}

/* nsample x nbatch with per-b L and loc; layouts give the same numbers. */
static void test_fill_layouts(void)
{
    static const int dims[] = {1, 2, 3, 4, 5, 8, 33, 40};
    size_t di;
    for (di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        const int d = dims[di], dd = d * d, nb = 3, ns = 700;
        double *A = malloc(sizeof(double) * nb * dd), *L = malloc(sizeof(double) * nb * dd);
        double mu[3 * 40], *x = malloc(sizeof(double) * ns * nb * d), *e = malloc(sizeof(double) * ns * nb * d);
        double *x2 = malloc(sizeof(double) * ns * nb * d * 2), *e2 = malloc(sizeof(double) * ns * nb * d);
        nd_xoshiro_t xo;
        nd_bits_t *bits;
        intptr_t fb, fc;
        int b, s, i, j, r, same;
        double worst = 0;
        for (b = 0; b < nb; b++) rand_spd(d, A + b * dd);
        for (i = 0; i < nb * d; i++) mu[i] = tnorm();
        nd_cholesky_batch(nb, d, A, dd * DS, d * DS, DS, L, dd * DS, d * DS, DS, &fb, &fc);
        bits = new_bits(&xo, 7 + d);
        r = random_mvn_fill(bits, ND_NORMAL_BOX_MULLER, ns, nb, d, mu, d * DS, DS, L, dd * DS, d * DS, DS, x,
                            nb * d * DS, d * DS, DS, e, nb * d * DS, d * DS, DS);
        CHECK(r == ND_OK, "layout fill d=%d status %d", d, r);
        for (s = 0; s < ns; s++)
            for (b = 0; b < nb; b++)
                for (i = 0; i < d; i++) {
                    double t = mu[b * d + i];
                    for (j = 0; j <= i; j++) t += L[b * dd + i * d + j] * e[(s * nb + b) * d + j];
                    t = fabs(t - x[(s * nb + b) * d + i]);
                    if (t > worst) worst = t;
                }
        CHECK(worst < 1e-12, "d=%d per-batch x != mu_b + L_b eps (%.3g)", d, worst);
        /* out in (b, s, i) order with reversed elements, eps NULL; L given
         * column-major with NaN in its (never read) upper triangle */
        {
            double *Lt = malloc(sizeof(double) * nb * dd);
            for (b = 0; b < nb; b++)
                for (i = 0; i < d; i++)
                    for (j = 0; j < d; j++) Lt[b * dd + j * d + i] = j > i ? NAN : L[b * dd + i * d + j];
            free(bits);
            bits = new_bits(&xo, 7 + d);
            r = random_mvn_fill(bits, ND_NORMAL_BOX_MULLER, ns, nb, d, mu, d * DS, DS, Lt, dd * DS, DS, d * DS,
                                x2 + (d - 1), d * DS, ns * d * DS * 2, -DS, NULL, 0, 0, 0);
            same = r == ND_OK;
            for (s = 0; s < ns; s++)
                for (b = 0; b < nb; b++)
                    for (i = 0; i < d; i++)
                        if (x2[(d - 1) + s * d + b * ns * d * 2 - i] != x[(s * nb + b) * d + i]) same = 0;
            CHECK(same, "d=%d strided/transposed/negative layout differs", d);
            free(Lt);
        }
        /* float: same normals up to rounding */
        {
            float *Lf = malloc(sizeof(float) * nb * dd), muf[3 * 40], *xf = malloc(sizeof(float) * ns * nb * d);
            float *ef = malloc(sizeof(float) * ns * nb * d);
            double wf = 0;
            for (i = 0; i < nb * dd; i++) Lf[i] = (float)L[i];
            for (i = 0; i < nb * d; i++) muf[i] = (float)mu[i];
            free(bits);
            bits = new_bits(&xo, 9 + d);
            r = random_mvn_fill_f(bits, ND_NORMAL_ZIGGURAT, ns, nb, d, muf, d * FS, FS, Lf, dd * FS, d * FS, FS, xf,
                                  nb * d * FS, d * FS, FS, ef, nb * d * FS, d * FS, FS);
            CHECK(r == ND_OK, "fill_f d=%d", d);
            for (s = 0; s < ns; s++)
                for (b = 0; b < nb; b++)
                    for (i = 0; i < d; i++) {
                        double t = muf[b * d + i];
                        for (j = 0; j <= i; j++) t += (double)Lf[b * dd + i * d + j] * ef[(s * nb + b) * d + j];
                        t = fabs((float)t - xf[(s * nb + b) * d + i]);
                        if (t > wf) wf = t;
                    }
            CHECK(wf < 1e-5, "d=%d float x != mu + L eps (%.3g)", d, wf);
            free(Lf); free(xf); free(ef);
        }
        free(bits); free(A); free(L); free(x); free(e); free(x2); free(e2);
    }
}

/* d > ND_MVN_EPS_BUF: normals drawn straight into eps or out, in place. */
static void test_huge_d(void)
{
    const int d = ND_MVN_EPS_BUF + 50, ns = 3;
    double *row = malloc(sizeof(double) * d), *mu = malloc(sizeof(double) * d);
    double *x = malloc(sizeof(double) * ns * d), *x2 = malloc(sizeof(double) * ns * d), *e = malloc(sizeof(double) * ns * d);
    nd_xoshiro_t xo;
    nd_bits_t *bits;
    int i, j, s, r;
    double worst = 0;
    /* L[i][j] = row[j] for j <= i: every row is the same memory (l_rs = 0) */
    for (j = 0; j < d; j++) row[j] = 0.5 + 0.01 * (j % 7), mu[j] = j * 0.001;
    bits = new_bits(&xo, 5);
    r = random_mvn_fill(bits, ND_NORMAL_ZIGGURAT, ns, 1, d, mu, 0, DS, row, 0, 0, DS, x, d * DS, 0, DS, e, d * DS,
                        0, DS);
    CHECK(r == ND_OK, "huge d status %d", r);
    free(bits);
    bits = new_bits(&xo, 5);
    r = random_mvn_fill(bits, ND_NORMAL_ZIGGURAT, ns, 1, d, mu, 0, DS, row, 0, 0, DS, x2, d * DS, 0, DS, NULL, 0, 0,
                        0);
    CHECK(r == ND_OK && memcmp(x, x2, sizeof(double) * ns * d) == 0, "huge d: eps given / NULL differ");
    for (s = 0; s < ns; s++) {
        double t = 0;
        for (i = 0; i < d; i++) {
            t += row[i] * e[s * d + i];
            if (fabs(mu[i] + t - x[s * d + i]) > worst) worst = fabs(mu[i] + t - x[s * d + i]);
        }
    }
    CHECK(worst < 1e-9, "huge d transform error %.3g", worst);
    free(bits); free(row); free(mu); free(x); free(x2); free(e);
}

/* ---- 4. fused == cholesky + fill ----------------------------------------- */

static void test_fused(void)
{
    static const int dims[] = {1, 2, 3, 4, 5, 6, 9, 33};
    size_t di;
    int f, withL, withE, meth;
    for (di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        const int d = dims[di], dd = d * d, nb = 1500;
        double *A = malloc(sizeof(double) * nb * dd), *mu = malloc(sizeof(double) * nb * d);
        double *L1 = malloc(sizeof(double) * nb * dd), *L2 = malloc(sizeof(double) * nb * dd);
        double *x1 = malloc(sizeof(double) * nb * d), *x2 = malloc(sizeof(double) * nb * d);
        double *e1 = malloc(sizeof(double) * nb * d), *e2 = malloc(sizeof(double) * nb * d);
        float *Af = malloc(sizeof(float) * nb * dd), *muf = malloc(sizeof(float) * nb * d);
        float *Lf1 = malloc(sizeof(float) * nb * dd), *Lf2 = malloc(sizeof(float) * nb * dd);
        float *xf1 = malloc(sizeof(float) * nb * d), *xf2 = malloc(sizeof(float) * nb * d);
        float *ef1 = malloc(sizeof(float) * nb * d), *ef2 = malloc(sizeof(float) * nb * d);
        int b, i;
        for (b = 0; b < nb; b++) rand_spd(d, A + b * dd);
        for (i = 0; i < nb * d; i++) mu[i] = tnorm(), muf[i] = (float)mu[i];
        for (i = 0; i < nb * dd; i++) Af[i] = (float)A[i];
        for (meth = 0; meth < 2; meth++)
            for (f = 0; f < 2; f++)
                for (withL = 0; withL < 2; withL++)
                    for (withE = 0; withE < 2; withE++) {
                        nd_xoshiro_t xo1, xo2;
                        nd_bits_t *b1, *b2;
                        intptr_t fb = 9, fc = 9;
                        int r1, r2, r3, same;
                        nd_normal_method m = meth ? ND_NORMAL_BOX_MULLER : ND_NORMAL_ZIGGURAT;
                        if (d > ND_MVN_MAXD && !withL) continue; /* L required there */
                        b1 = new_bits(&xo1, 31 + d);
                        b2 = new_bits(&xo2, 31 + d);
                        if (!f) {
                            r1 = random_mvn_cov_fill(b1, m, nb, d, mu, d * DS, DS, A, dd * DS, d * DS, DS,
                                                     withL ? L1 : NULL, dd * DS, d * DS, DS, x1, d * DS, DS,
                                                     withE ? e1 : NULL, d * DS, DS, &fb, &fc);
                            r2 = nd_cholesky_batch(nb, d, A, dd * DS, d * DS, DS, L2, dd * DS, d * DS, DS, NULL, NULL);
                            r3 = random_mvn_fill(b2, m, 1, nb, d, mu, d * DS, DS, L2, dd * DS, d * DS, DS, x2, 0,
                                                 d * DS, DS, e2, 0, d * DS, DS);
                            same = memcmp(x1, x2, sizeof(double) * nb * d) == 0;
                            if (withL) same = same && memcmp(L1, L2, sizeof(double) * nb * dd) == 0;
                            if (withE) same = same && memcmp(e1, e2, sizeof(double) * nb * d) == 0;
                        } else {
                            r1 = random_mvn_cov_fill_f(b1, m, nb, d, muf, d * FS, FS, Af, dd * FS, d * FS, FS,
                                                       withL ? Lf1 : NULL, dd * FS, d * FS, FS, xf1, d * FS, FS,
                                                       withE ? ef1 : NULL, d * FS, FS, &fb, &fc);
                            r2 = nd_cholesky_batch_f(nb, d, Af, dd * FS, d * FS, FS, Lf2, dd * FS, d * FS, FS, NULL,
                                                     NULL);
                            r3 = random_mvn_fill_f(b2, m, 1, nb, d, muf, d * FS, FS, Lf2, dd * FS, d * FS, FS, xf2,
                                                   0, d * FS, FS, ef2, 0, d * FS, FS);
                            same = memcmp(xf1, xf2, sizeof(float) * nb * d) == 0;
                            if (withL) same = same && memcmp(Lf1, Lf2, sizeof(float) * nb * dd) == 0;
                            if (withE) same = same && memcmp(ef1, ef2, sizeof(float) * nb * d) == 0;
                        }
                        CHECK(r1 == ND_OK && fb == -1 && r2 == ND_OK && r3 == ND_OK,
                              "fused d=%d f=%d status %d %d %d", d, f, r1, r2, r3);
                        CHECK(same, "fused d=%d f=%d L=%d eps=%d method=%d differs from cholesky+fill", d, f,
                              withL, withE, meth);
                        /* and the bit streams end at the same place */
                        CHECK(xo1.counter == xo2.counter && b1->end - b1->pos == b2->end - b2->pos,
                              "fused d=%d: streams consumed differently", d);
                        free(b1); free(b2);
                    }
        free(A); free(mu); free(L1); free(L2); free(x1); free(x2); free(e1); free(e2);
        free(Af); free(muf); free(Lf1); free(Lf2); free(xf1); free(xf2); free(ef1); free(ef2);
    }
    {   /* d > MAXD without L: refused */
        nd_xoshiro_t xo;
        nd_bits_t *b1 = new_bits(&xo, 1);
        double A[1], x[1];
        CHECK(random_mvn_cov_fill(b1, ND_NORMAL_ZIGGURAT, 1, ND_MVN_MAXD + 1, NULL, 0, 0, A, 0, 0, 0, NULL, 0, 0, 0,
                                  x, 0, 0, NULL, 0, 0, NULL, NULL) == ND_E_BAD_PARAM,
              "fused d > MAXD without L accepted");
        free(b1);
    }
}

/* ---- 5./6. solve, log_prob, logdet ------------------------------------------ */

static void test_solve(void)
{
    static const int dims[] = {1, 2, 3, 4, 5, 8, 9, 32, 33, 40};
    size_t di;
    for (di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        const int d = dims[di], dd = d * d, nb = 5, ns = 6;
        double *A = malloc(sizeof(double) * nb * dd), *L = malloc(sizeof(double) * nb * dd);
        double *Ai = malloc(sizeof(double) * dd), mu[5 * 40];
        double *x = malloc(sizeof(double) * ns * nb * d), *y = malloc(sizeof(double) * ns * nb * d);
        double maha[6 * 5], lp[6 * 5], maha2[6 * 5], ld[5];
        float *Lf = malloc(sizeof(float) * nb * dd), muf[5 * 40], *xf = malloc(sizeof(float) * ns * nb * d);
        float lpf[6 * 5], mahaf[6 * 5], ldf[5];
        intptr_t fb, fc;
        int b, s, i, j, r;
        double wm = 0, wy = 0, wl = 0, wf = 0, wd = 0;
        for (b = 0; b < nb; b++) rand_spd(d, A + b * dd);
        for (i = 0; i < nb * d; i++) mu[i] = tnorm(), muf[i] = (float)mu[i];
        for (i = 0; i < ns * nb * d; i++) x[i] = mu[i % (nb * d)] + 1.5 * tnorm(), xf[i] = (float)x[i];
        nd_cholesky_batch(nb, d, A, dd * DS, d * DS, DS, L, dd * DS, d * DS, DS, &fb, &fc);
        for (i = 0; i < nb * dd; i++) Lf[i] = (float)L[i];
        r = nd_mvn_solve_batch(ns, nb, d, L, dd * DS, d * DS, DS, x, nb * d * DS, d * DS, DS, mu, d * DS, DS, maha,
                               nb * DS, DS, y, nb * d * DS, d * DS, DS);
        CHECK(r == ND_OK, "solve d=%d status %d", d, r);
        r = nd_mvn_log_prob_batch(ns, nb, d, L, dd * DS, d * DS, DS, x, nb * d * DS, d * DS, DS, mu, d * DS, DS, lp,
                                  nb * DS, DS, NULL, 0, 0, 0);
        CHECK(r == (d > ND_MVN_MAXD ? ND_E_BAD_PARAM : ND_OK), "log_prob d=%d (y NULL) status %d", d, r);
        if (d > ND_MVN_MAXD)
            r = nd_mvn_log_prob_batch(ns, nb, d, L, dd * DS, d * DS, DS, x, nb * d * DS, d * DS, DS, mu, d * DS, DS,
                                      lp, nb * DS, DS, y, nb * d * DS, d * DS, DS);
        nd_tril_logdet_batch(nb, d, L, dd * DS, d * DS, DS, ld, DS);
        for (b = 0; b < nb; b++) {
            double det2 = 0, sl = 0;
            inverse(d, A + b * dd, Ai);
            for (i = 0; i < d; i++) sl += log(L[b * dd + i * d + i]);
            if (fabs(sl - ld[b]) > wd) wd = fabs(sl - ld[b]);
            /* log det A by Gaussian elimination on a copy */
            {
                double *M = malloc(sizeof(double) * dd);
                int k;
                memcpy(M, A + b * dd, sizeof(double) * dd);
                for (k = 0; k < d; k++) {
                    det2 += log(M[k * d + k]);
                    for (i = k + 1; i < d; i++) {
                        double c = M[i * d + k] / M[k * d + k];
                        for (j = k; j < d; j++) M[i * d + j] -= c * M[k * d + j];
                    }
                }
                free(M);
            }
            for (s = 0; s < ns; s++) {
                const double *xv = x + (s * nb + b) * d;
                double q = 0, want;
                for (i = 0; i < d; i++)
                    for (j = 0; j < d; j++) q += (xv[i] - mu[b * d + i]) * Ai[i * d + j] * (xv[j] - mu[b * d + j]);
                if (fabs(maha[s * nb + b] - q) / q > wm) wm = fabs(maha[s * nb + b] - q) / q;
                /* L y = x - mu */
                for (i = 0; i < d; i++) {
                    double t = 0;
                    for (j = 0; j <= i; j++) t += L[b * dd + i * d + j] * y[(s * nb + b) * d + j];
                    t = fabs(t - (xv[i] - mu[b * d + i]));
                    if (t > wy) wy = t;
                }
                want = -0.5 * (d * 1.8378770664093454836 + det2 + q);
                if (fabs(lp[s * nb + b] - want) / fabs(want) > wl) wl = fabs(lp[s * nb + b] - want) / fabs(want);
            }
        }
        {   /* in place: y == x */
            double *z = malloc(sizeof(double) * ns * nb * d);
            memcpy(z, x, sizeof(double) * ns * nb * d);
            r = nd_mvn_solve_batch(ns, nb, d, L, dd * DS, d * DS, DS, z, nb * d * DS, d * DS, DS, mu, d * DS, DS,
                                   maha2, nb * DS, DS, z, nb * d * DS, d * DS, DS);
            CHECK(r == ND_OK && memcmp(z, y, sizeof(double) * ns * nb * d) == 0 &&
                      memcmp(maha2, maha, sizeof(double) * ns * nb) == 0,
                  "solve d=%d in place differs", d);
            free(z);
        }
        CHECK(wm < 1e-11, "solve d=%d maha rel err %.3g", d, wm);
        CHECK(wy < 1e-11, "solve d=%d L y != x - mu (%.3g)", d, wy);
        CHECK(wl < 1e-11, "log_prob d=%d rel err %.3g", d, wl);
        CHECK(wd < 1e-12 * d, "logdet d=%d err %.3g", d, wd);
        /* float vs double log_prob, maha, logdet */
        if (d <= ND_MVN_MAXD) {
            r = nd_mvn_log_prob_batch_f(ns, nb, d, Lf, dd * FS, d * FS, FS, xf, nb * d * FS, d * FS, FS, muf, d * FS,
                                        FS, lpf, nb * FS, FS, NULL, 0, 0, 0);
            r |= nd_mvn_solve_batch_f(ns, nb, d, Lf, dd * FS, d * FS, FS, xf, nb * d * FS, d * FS, FS, muf, d * FS,
                                      FS, mahaf, nb * FS, FS, NULL, 0, 0, 0);
            nd_tril_logdet_batch_f(nb, d, Lf, dd * FS, d * FS, FS, ldf, FS);
            CHECK(r == ND_OK, "float solve d=%d", d);
            for (i = 0; i < ns * nb; i++) {
                double e = fabs(lpf[i] - lp[i]) / fabs(lp[i]);
                if (e > wf) wf = e;
                e = fabs(mahaf[i] - maha[i]) / maha[i];
                if (e > wf) wf = e;
            }
            for (b = 0; b < nb; b++)
                if (fabs(ldf[b] - ld[b]) > 1e-4 * (1 + fabs(ld[b]))) wf = 1;
            CHECK(wf < 1e-4, "float log_prob d=%d rel err %.3g", d, wf);
        }
        /* broadcast: one L, loc NULL, samples along a negative stride, y NULL */
        if (d <= ND_MVN_MAXD) {
            double zero_mu[40] = {0};
            r = nd_mvn_solve_batch(ns * nb, 1, d, L, 0, d * DS, DS, x + (ns * nb - 1) * d, -d * DS, 0, DS, NULL, 0, 0,
                                   maha2 + ns * nb - 1, -DS, 0, NULL, 0, 0, 0);
            r |= nd_mvn_solve_batch(ns * nb, 1, d, L, 0, d * DS, DS, x, d * DS, 0, DS, zero_mu, 0, DS, maha, DS, 0,
                                    NULL, 0, 0, 0);
            CHECK(r == ND_OK && memcmp(maha, maha2, sizeof(double) * ns * nb) == 0, "solve d=%d broadcast/neg", d);
        }
        free(A); free(L); free(Ai); free(x); free(y); free(Lf); free(xf);
    }
    {   /* logdet: no underflow/overflow with extreme diagonals */
        double L[9] = {1e-200, 0, 0, 0, 1e-200, 0, 0, 0, 1e150}, out, L2[4] = {0, 0, 0, 1}, L3[4] = {-1, 0, 0, 1};
        nd_tril_logdet_batch(1, 3, L, 0, 3 * DS, DS, &out, 0);
        CHECK(fabs(out - (2 * log(1e-200) + log(1e150))) < 1e-10, "logdet extreme %.17g", out);
        nd_tril_logdet_batch(1, 2, L2, 0, 2 * DS, DS, &out, 0);
        CHECK(out == -INFINITY, "logdet zero diag -> %g", out);
        nd_tril_logdet_batch(1, 2, L3, 0, 2 * DS, DS, &out, 0);
        CHECK(isnan(out), "logdet negative diag -> %g", out);
    }
}


/* ---- grouping: results do not depend on how elements are grouped ---------- */

static void test_grouping(void)
{
    int d;
    for (d = 1; d <= 5; d++) {
        const int dd = d * d, nb = 11;
        double A[11 * 25], L[11 * 25], L1[25], mu[11 * 5];
        float Af[11 * 25], Lf[11 * 25], Lf1[25];
        intptr_t fb, fc;
        int b, i, same = 1, samef = 1, ns, nbs, s;
        for (b = 0; b < nb; b++) rand_spd(d, A + b * dd);
        for (i = 0; i < nb * dd; i++) Af[i] = (float)A[i];
        for (i = 0; i < nb * d; i++) mu[i] = tnorm();
        nd_cholesky_batch(nb, d, A, dd * DS, d * DS, DS, L, dd * DS, d * DS, DS, &fb, &fc);
        nd_cholesky_batch_f(nb, d, Af, dd * FS, d * FS, FS, Lf, dd * FS, d * FS, FS, &fb, &fc);
        for (b = 0; b < nb; b++) {
            nd_cholesky_batch(1, d, A + b * dd, 0, d * DS, DS, L1, 0, d * DS, DS, &fb, &fc);
            nd_cholesky_batch_f(1, d, Af + b * dd, 0, d * FS, FS, Lf1, 0, d * FS, FS, &fb, &fc);
            if (memcmp(L1, L + b * dd, sizeof(double) * dd) != 0) same = 0;
            if (memcmp(Lf1, Lf + b * dd, sizeof(float) * dd) != 0) samef = 0;
        }
        CHECK(same && samef, "d=%d batched Cholesky differs from one-by-one", d);
        /* solve / log_prob over every (ns, nb) shape vs one element at a time */
        for (ns = 1; ns <= 9; ns += 2)
            for (nbs = 1; nbs <= nb; nbs += 3) {
                double x[9 * 11 * 5], y[9 * 11 * 5], mh[9 * 11], lp[9 * 11], y1[5], m1, l1;
                int ok = 1;
                for (i = 0; i < ns * nbs * d; i++) x[i] = 2 * tnorm();
                nd_mvn_solve_batch(ns, nbs, d, L, dd * DS, d * DS, DS, x, nbs * d * DS, d * DS, DS, mu, d * DS, DS,
                                   mh, nbs * DS, DS, y, nbs * d * DS, d * DS, DS);
                nd_mvn_log_prob_batch(ns, nbs, d, L, dd * DS, d * DS, DS, x, nbs * d * DS, d * DS, DS, mu, d * DS,
                                      DS, lp, nbs * DS, DS, NULL, 0, 0, 0);
                for (s = 0; s < ns; s++)
                    for (b = 0; b < nbs; b++) {
                        const double *xv = x + (s * nbs + b) * d;
                        nd_mvn_solve_batch(1, 1, d, L + b * dd, 0, d * DS, DS, xv, 0, 0, DS, mu + b * d, 0, DS, &m1,
                                           0, 0, y1, 0, 0, DS);
                        nd_mvn_log_prob_batch(1, 1, d, L + b * dd, 0, d * DS, DS, xv, 0, 0, DS, mu + b * d, 0, DS,
                                              &l1, 0, 0, NULL, 0, 0, 0);
                        if (m1 != mh[s * nbs + b] || l1 != lp[s * nbs + b] ||
                            memcmp(y1, y + (s * nbs + b) * d, sizeof(double) * d) != 0)
                            ok = 0;
                    }
                CHECK(ok, "d=%d solve (ns=%d, nb=%d) differs from one-by-one", d, ns, nbs);
            }
    }
}

/* ---- symmetry check ---------------------------------------------------------- */

static void test_symmetric(void)
{
    double A[3 * 9];
    float Af[3 * 9];
    intptr_t fb, fr, fc;
    int b, i, r;
    for (b = 0; b < 3; b++) rand_spd(3, A + 9 * b);
    r = nd_symmetric_check_batch(3, 3, A, 9 * DS, 3 * DS, DS, 1e-5, 1e-6, &fb, &fr, &fc);
    CHECK(r == ND_OK && fb == -1 && fr == -1 && fc == -1, "symmetric SPD rejected");
    A[9 + 2 * 3 + 0] += 1e-7; /* within atol */
    r = nd_symmetric_check_batch(3, 3, A, 9 * DS, 3 * DS, DS, 1e-5, 1e-6, &fb, &fr, &fc);
    CHECK(r == ND_OK, "tiny asymmetry rejected");
    A[9 + 0 * 3 + 2] += 1e-3; /* (0,2) of batch 1 */
    r = nd_symmetric_check_batch(3, 3, A, 9 * DS, 3 * DS, DS, 1e-5, 1e-6, &fb, &fr, &fc);
    CHECK(r == ND_E_BAD_PARAM && fb == 1 && fr == 2 && fc == 0, "asymmetry: %d (%ld,%ld,%ld)", r, (long)fb,
          (long)fr, (long)fc);
    /* column-major view of the same data sees the same pair */
    r = nd_symmetric_check_batch(3, 3, A, 9 * DS, DS, 3 * DS, 1e-5, 1e-6, &fb, &fr, &fc);
    CHECK(r == ND_E_BAD_PARAM && fb == 1 && fr == 2 && fc == 0, "asymmetry (col-major)");
    A[9 + 0 * 3 + 2] = A[9 + 2 * 3 + 0];
    A[18 + 4] = NAN; /* diagonal NaN */
    for (i = 0; i < 27; i++) Af[i] = (float)A[i];
    r = nd_symmetric_check_batch_f(3, 3, Af, 9 * FS, 3 * FS, FS, 1e-5, 1e-6, &fb, &fr, &fc);
    CHECK(r == ND_E_BAD_PARAM && fb == 2 && fr == 1 && fc == 1, "NaN diagonal: %d (%ld,%ld,%ld)", r, (long)fb,
          (long)fr, (long)fc);
    /* symmetric and finite in one pass: equal infinities are symmetric, but not finite */
    A[18 + 4] = A[4];
    r = nd_symmetric_finite_check_batch(3, 3, A, 9 * DS, 3 * DS, DS, 1e-5, 1e-6, &fb, &fr, &fc);
    CHECK(r == ND_OK && fb == -1, "finite symmetric rejected: %d", r);
    A[9 + 2 * 3 + 1] = A[9 + 1 * 3 + 2] = INFINITY;
    r = nd_symmetric_check_batch(3, 3, A, 9 * DS, 3 * DS, DS, 1e-5, 1e-6, &fb, &fr, &fc);
    CHECK(r == ND_OK, "equal infinities must pass the symmetry check alone");
    r = nd_symmetric_finite_check_batch(3, 3, A, 9 * DS, 3 * DS, DS, 1e-5, 1e-6, &fb, &fr, &fc);
    CHECK(r == ND_E_BAD_PARAM && fb == 1 && fr == 2 && fc == 1, "infinite pair: %d (%ld,%ld,%ld)", r, (long)fb,
          (long)fr, (long)fc);
    for (i = 0; i < 27; i++) Af[i] = (float)A[i];
    Af[9 + 2 * 3 + 1] = Af[9 + 1 * 3 + 2] = 1.0f;
    Af[2 * 9] = -INFINITY;
    r = nd_symmetric_finite_check_batch_f(3, 3, Af, 9 * FS, 3 * FS, FS, 1e-5, 1e-6, &fb, &fr, &fc);
    CHECK(r == ND_E_BAD_PARAM && fb == 2 && fr == 0 && fc == 0, "-inf diagonal (float): %d (%ld,%ld,%ld)", r,
          (long)fb, (long)fr, (long)fc);
}


/* ---- known answers (values from torch.distributions, float64) --------------- */

static void test_known(void)
{
    /* A = L L^T with L = [[2,0,0],[1,3,0],[-1,2,4]] */
    const double A[9] = {4, 2, -2, 2, 10, 5, -2, 5, 21}, Lw[9] = {2, 0, 0, 1, 3, 0, -1, 2, 4};
    const double loc[3] = {0.5, -1.0, 2.0}, x[3] = {1.0, 0.25, -0.5};
    const double P[9] = {3, 1, 0.5, 1, 2, 0.25, 0.5, 0.25, 1.5};
    const double Lp[9] = {0.6449257349027273, 0, 0, -0.30188013123106383, 0.7145896010104964, 0,
                          -0.1646618897623985, -0.11909826683508278, 0.8164965809277261};
    double L[9], lp;
    intptr_t fb, fc;
    int i, ok = 1;
    nd_cholesky_batch(1, 3, A, 0, 3 * DS, DS, L, 0, 3 * DS, DS, &fb, &fc);
    for (i = 0; i < 9; i++)
        if (fabs(L[i] - Lw[i]) > 1e-15) ok = 0;
    CHECK(ok, "known Cholesky");
    nd_mvn_log_prob_batch(1, 1, 3, L, 0, 3 * DS, DS, x, 0, 0, DS, loc, 0, DS, &lp, 0, 0, NULL, 0, 0, 0);
    CHECK(fabs(lp - -6.2875169994064075) < 1e-13, "known log_prob %.17g", lp);
    nd_precision_to_scale_tril_batch(1, 3, P, 0, 3 * DS, DS, L, 0, 3 * DS, DS, &fb, &fc);
    for (i = 0, ok = 1; i < 9; i++)
        if (fabs(L[i] - Lp[i]) > 1e-15) ok = 0;
    CHECK(ok, "known precision -> scale_tril");
    nd_mvn_log_prob_batch(1, 1, 3, L, 0, 3 * DS, DS, x, 0, 0, DS, loc, 0, DS, &lp, 0, 0, NULL, 0, 0, 0);
    CHECK(fabs(lp - -7.623166051377739) < 1e-13, "known log_prob (precision) %.17g", lp);
}

/* Absent outputs (y or the Mahalanobis/log-density output NULL): their strides are
 * never used, so any values are fine (issue 10, defect 5: the binding passed
 * uninitialised strides and the kernel multiplied them; UBSan reported the
 * overflow). Same numbers as with zero strides. */
static void test_absent_strides(void)
{
    const intptr_t junk = INTPTR_MAX / 3;
    double A[4 * 4 * 9], L[4 * 4 * 9], x[9 * 7 * 4], mu[9 * 4], lp1[9 * 7], lp2[9 * 7];
    intptr_t fb, fc, i;
    int b, r, d;
    for (d = 1; d <= 4; d++) {
        const intptr_t dd = d * d, nb = 9, ns = 7;
        for (b = 0; b < nb; b++) rand_spd(d, A + b * dd);
        nd_cholesky_batch(nb, d, A, dd * DS, d * DS, DS, L, dd * DS, d * DS, DS, &fb, &fc);
        for (i = 0; i < nb * d; i++) mu[i] = tnorm();
        for (i = 0; i < ns * nb * d; i++) x[i] = tnorm();
        r = nd_mvn_log_prob_batch(ns, nb, d, L, dd * DS, d * DS, DS, x, nb * d * DS, d * DS, DS, mu, d * DS, DS,
                                  lp1, nb * DS, DS, NULL, 0, 0, 0);
        r |= nd_mvn_log_prob_batch(ns, nb, d, L, dd * DS, d * DS, DS, x, nb * d * DS, d * DS, DS, mu, d * DS, DS,
                                   lp2, nb * DS, DS, NULL, junk, junk, junk);
        CHECK(r == ND_OK && memcmp(lp1, lp2, sizeof(double) * ns * nb) == 0,
              "log_prob d=%d with junk strides of an absent y", d);
        r = nd_mvn_solve_batch(ns, nb, d, L, dd * DS, d * DS, DS, x, nb * d * DS, d * DS, DS, mu, d * DS, DS,
                               NULL, junk, junk, x, nb * d * DS, d * DS, DS);
        CHECK(r == ND_OK, "solve d=%d with junk strides of an absent maha", d);
    }
}

/* Packed factors and cached half log-determinants (mvn.h sections 5 and 8): bit for
 * bit the numbers of the full-matrix kernels, float and double, with failures,
 * broadcast factors, eps outputs and several samples. */
static void test_packed(void)
{
    static const int dims[] = {0, 1, 2, 3, 4, 5, 7, 9, 32};
    static const int nbs[] = {1, 3, 4, 5, 9, 37};
    size_t di, bi;
    for (di = 0; di < sizeof dims / sizeof dims[0]; di++)
        for (bi = 0; bi < sizeof nbs / sizeof nbs[0]; bi++) {
            const int d = dims[di], dd = d * d, T = d * (d + 1) / 2, nb = nbs[bi], ns = 3;
            const size_t nv = (size_t)ns * nb * (d ? d : 1);
            double *A = malloc(DS * (nb * dd + 1)), *L = malloc(DS * (nb * dd + 1));
            double *P = malloc(DS * (nb * T + 1)), *mu = malloc(DS * (nb * d + 1));
            double *x1 = malloc(DS * nv), *x2 = malloc(DS * nv), *e1 = malloc(DS * nv), *e2 = malloc(DS * nv);
            double *lp1 = malloc(DS * ns * nb), *lp2 = malloc(DS * ns * nb), *h = malloc(DS * nb);
            double *h2 = malloc(DS * nb);
            float *Af = malloc(FS * (nb * dd + 1)), *Lf = malloc(FS * (nb * dd + 1));
            float *Pf = malloc(FS * (nb * T + 1)), *muf = malloc(FS * (nb * d + 1));
            float *xf1 = malloc(FS * nv), *xf2 = malloc(FS * nv), *lpf1 = malloc(FS * ns * nb);
            float *lpf2 = malloc(FS * ns * nb);
            nd_xoshiro_t xo;
            nd_bits_t *bits;
            intptr_t fb1, fc1, fb2, fc2;
            int b, i, j, r1, r2, same = 1;
            for (b = 0; b < nb; b++) rand_spd(d, A + b * dd);
            for (i = 0; i < nb * d; i++) mu[i] = tnorm();
            for (i = 0; i < nb * dd; i++) Af[i] = (float)A[i];
            for (i = 0; i < nb * d; i++) muf[i] = (float)mu[i];
            /* factorisation: the same triangles, float and double */
            r1 = nd_cholesky_batch(nb, d, A, dd * DS, d * DS, DS, L, dd * DS, d * DS, DS, &fb1, &fc1);
            r2 = nd_cholesky_packed_batch(nb, d, A, dd * DS, d * DS, DS, P, T * DS, &fb2, &fc2);
            CHECK(r1 == ND_OK && r2 == ND_OK && fb2 == -1 && fc2 == -1, "packed chol d=%d nb=%d: %d", d, nb, r2);
            for (b = 0; b < nb; b++)
                for (i = 0; i < d; i++)
                    for (j = 0; j <= i; j++)
                        same &= memcmp(&L[b * dd + i * d + j], &P[b * T + i * (i + 1) / 2 + j], DS) == 0;
            CHECK(same, "packed chol d=%d nb=%d: entries differ", d, nb);
            nd_cholesky_batch_f(nb, d, Af, dd * FS, d * FS, FS, Lf, dd * FS, d * FS, FS, &fb1, &fc1);
            nd_cholesky_packed_batch_f(nb, d, Af, dd * FS, d * FS, FS, Pf, T * FS, &fb2, &fc2);
            same = 1;
            for (b = 0; b < nb; b++)
                for (i = 0; i < d; i++)
                    for (j = 0; j <= i; j++)
                        same &= memcmp(&Lf[b * dd + i * d + j], &Pf[b * T + i * (i + 1) / 2 + j], FS) == 0;
            CHECK(same, "packed chol float d=%d nb=%d: entries differ", d, nb);
            /* draws: same normals, same numbers, also with eps out and one broadcast factor */
            bits = new_bits(&xo, 100 + d);
            random_mvn_fill(bits, ND_NORMAL_ZIGGURAT, ns, nb, d, mu, d * DS, DS, L, dd * DS, d * DS, DS, x1,
                            nb * d * DS, d * DS, DS, e1, nb * d * DS, d * DS, DS);
            free(bits);
            bits = new_bits(&xo, 100 + d);
            r2 = random_mvn_fill_packed(bits, ND_NORMAL_ZIGGURAT, ns, nb, d, mu, d * DS, DS, P, T * DS, x2,
                                        nb * d * DS, d * DS, DS, e2, nb * d * DS, d * DS, DS);
            CHECK(r2 == ND_OK && memcmp(x1, x2, DS * ns * nb * d) == 0 && memcmp(e1, e2, DS * ns * nb * d) == 0,
                  "packed fill d=%d nb=%d differs", d, nb);
            free(bits);
            bits = new_bits(&xo, 200 + d);
            random_mvn_fill(bits, ND_NORMAL_ZIGGURAT, ns, nb, d, NULL, 0, DS, L, 0, d * DS, DS, x1, nb * d * DS,
                            d * DS, DS, NULL, 0, 0, 0);
            free(bits);
            bits = new_bits(&xo, 200 + d);
            random_mvn_fill_packed(bits, ND_NORMAL_ZIGGURAT, ns, nb, d, NULL, 0, DS, P, 0, x2, nb * d * DS, d * DS,
                                   DS, NULL, 0, 0, 0);
            CHECK(memcmp(x1, x2, DS * ns * nb * d) == 0, "packed fill, one broadcast factor, d=%d differs", d);
            free(bits);
            bits = new_bits(&xo, 300 + d);
            random_mvn_fill_f(bits, ND_NORMAL_ZIGGURAT, ns, nb, d, muf, d * FS, FS, Lf, dd * FS, d * FS, FS, xf1,
                              nb * d * FS, d * FS, FS, NULL, 0, 0, 0);
            free(bits);
            bits = new_bits(&xo, 300 + d);
            random_mvn_fill_packed_f(bits, ND_NORMAL_ZIGGURAT, ns, nb, d, muf, d * FS, FS, Pf, T * FS, xf2,
                                     nb * d * FS, d * FS, FS, NULL, 0, 0, 0);
            CHECK(memcmp(xf1, xf2, FS * ns * nb * d) == 0, "packed fill float d=%d nb=%d differs", d, nb);
            /* log densities: full, full with hld, packed with and without hld */
            nd_mvn_log_prob_batch(ns, nb, d, L, dd * DS, d * DS, DS, x1, nb * d * DS, d * DS, DS, mu, d * DS, DS,
                                  lp1, nb * DS, DS, NULL, 0, 0, 0);
            nd_tril_logdet_batch(nb, d, L, dd * DS, d * DS, DS, h, DS);
            r2 = nd_tril_logdet_packed_batch(nb, d, P, T * DS, h2, DS);
            CHECK(r2 == ND_OK && memcmp(h, h2, DS * nb) == 0, "packed logdet d=%d nb=%d differs", d, nb);
            r2 = nd_mvn_log_prob_hld_batch(ns, nb, d, L, dd * DS, d * DS, DS, x1, nb * d * DS, d * DS, DS, mu,
                                           d * DS, DS, h, DS, lp2, nb * DS, DS, NULL, 0, 0, 0);
            CHECK(r2 == ND_OK && memcmp(lp1, lp2, DS * ns * nb) == 0, "log_prob with hld d=%d nb=%d differs", d, nb);
            r2 = nd_mvn_log_prob_packed_batch(ns, nb, d, P, T * DS, x1, nb * d * DS, d * DS, DS, mu, d * DS, DS,
                                              h, DS, lp2, nb * DS, DS, NULL, 0, 0, 0);
            CHECK(r2 == ND_OK && memcmp(lp1, lp2, DS * ns * nb) == 0, "packed log_prob d=%d nb=%d differs", d, nb);
            r2 = nd_mvn_log_prob_packed_batch(ns, nb, d, P, T * DS, x1, nb * d * DS, d * DS, DS, mu, d * DS, DS,
                                              NULL, 0, lp2, nb * DS, DS, NULL, 0, 0, 0);
            CHECK(r2 == ND_OK && memcmp(lp1, lp2, DS * ns * nb) == 0, "packed log_prob, no hld, d=%d differs", d);
            for (i = 0; i < ns * nb * d; i++) xf1[i] = (float)x1[i];
            nd_mvn_log_prob_batch_f(ns, nb, d, Lf, dd * FS, d * FS, FS, xf1, nb * d * FS, d * FS, FS, muf, d * FS,
                                    FS, lpf1, nb * FS, FS, NULL, 0, 0, 0);
            nd_tril_logdet_batch_fd(nb, d, Lf, dd * FS, d * FS, FS, h, DS);
            nd_tril_logdet_packed_batch_f(nb, d, Pf, T * FS, h2, DS);
            CHECK(memcmp(h, h2, DS * nb) == 0, "packed logdet float d=%d nb=%d differs", d, nb);
            nd_mvn_log_prob_hld_batch_f(ns, nb, d, Lf, dd * FS, d * FS, FS, xf1, nb * d * FS, d * FS, FS, muf,
                                        d * FS, FS, h, DS, lpf2, nb * FS, FS, NULL, 0, 0, 0);
            CHECK(memcmp(lpf1, lpf2, FS * ns * nb) == 0, "log_prob float with hld d=%d nb=%d differs", d, nb);
            nd_mvn_log_prob_packed_batch_f(ns, nb, d, Pf, T * FS, xf1, nb * d * FS, d * FS, FS, muf, d * FS, FS, h,
                                           DS, lpf2, nb * FS, FS, NULL, 0, 0, 0);
            CHECK(memcmp(lpf1, lpf2, FS * ns * nb) == 0, "packed log_prob float d=%d nb=%d differs", d, nb);
            /* a failing matrix: the same batch index and column as the full kernel */
            if (d > 0 && nb > 2) {
                A[(nb - 2) * dd + (d - 1) * d + (d - 1)] = -1.0;
                r1 = nd_cholesky_batch(nb, d, A, dd * DS, d * DS, DS, L, dd * DS, d * DS, DS, &fb1, &fc1);
                r2 = nd_cholesky_packed_batch(nb, d, A, dd * DS, d * DS, DS, P, T * DS, &fb2, &fc2);
                CHECK(r1 == ND_E_NOT_PD && r2 == ND_E_NOT_PD && fb1 == fb2 && fc1 == fc2 && fb2 == nb - 2 &&
                          fc2 == d - 1,
                      "packed chol failure d=%d nb=%d: %d (%ld, %ld)", d, nb, r2, (long)fb2, (long)fc2);
            }
            free(bits);
            free(A); free(L); free(P); free(mu); free(x1); free(x2); free(e1); free(e2); free(lp1); free(lp2);
            free(h); free(h2); free(Af); free(Lf); free(Pf); free(muf); free(xf1); free(xf2); free(lpf1); free(lpf2);
        }
    {
        /* packed layouts above MAXD and an hld variant without hld are refused */
        double z[4] = {1, 1, 1, 1}, lp[1];
        nd_xoshiro_t xo;
        nd_bits_t *bits = new_bits(&xo, 1);
        CHECK(nd_cholesky_packed_batch(1, ND_MVN_MAXD + 1, z, 0, 0, 0, z, 0, NULL, NULL) == ND_E_BAD_PARAM,
              "packed chol above MAXD");
        CHECK(random_mvn_fill_packed(bits, ND_NORMAL_ZIGGURAT, 1, 1, ND_MVN_MAXD + 1, NULL, 0, 0, z, 0, z, 0, 0,
                                     0, NULL, 0, 0, 0) == ND_E_BAD_PARAM,
              "packed fill above MAXD");
        CHECK(nd_mvn_log_prob_packed_batch(1, 1, ND_MVN_MAXD + 1, z, 0, z, 0, 0, 0, NULL, 0, 0, NULL, 0, lp, 0, 0,
                                           z, 0, 0, 0) == ND_E_BAD_PARAM,
              "packed log_prob above MAXD");
        CHECK(nd_tril_logdet_packed_batch(1, ND_MVN_MAXD + 1, z, 0, lp, 0) == ND_E_BAD_PARAM,
              "packed logdet above MAXD");
        CHECK(nd_mvn_log_prob_hld_batch(1, 1, 1, z, 0, 0, 0, z, 0, 0, 0, NULL, 0, 0, NULL, 0, lp, 0, 0, NULL, 0,
                                        0, 0) == ND_E_BAD_PARAM,
              "hld log_prob without hld");
        free(bits);
    }
}

/* ---- 9. SIMD levels of the d = 4 packed passes ----------------------------------
 * nd_mvn_level_cap (mvn.c, not in a header): -1 runs the previous code (chol_packed_lanes,
 * fill_small with normals in chunks of nd_mvn_chunk(4) vectors), 0 the new pieces in C,
 * 2 and 3 the AVX2 / AVX-512 passes (capped by what the CPU has). Every level must give
 * the bits of level -1: factors, failures (batch index and column), draws, eps, and the
 * words used (the draw that follows from the same bits). */
extern int nd_mvn_level_cap;

static void test_levels(void)
{
    static const int nbs[] = {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 100, 4099, 16385, 40000};
    static const int levels[] = {0, 2, 3};
    const int saved = nd_mvn_level_cap;
    size_t bi, li;
    for (bi = 0; bi < sizeof nbs / sizeof nbs[0]; bi++) {
        const int nb = nbs[bi], ns = nb > 1000 ? 1 : 3;
        const size_t nv = (size_t)ns * nb * 4;
        double *A = malloc(DS * nb * 16), *P0 = malloc(DS * nb * 10), *P1 = malloc(DS * nb * 10);
        double *mu = malloc(DS * nb * 4), *x0 = malloc(DS * nv * 2), *x1 = malloc(DS * nv * 2);
        double *e0 = malloc(DS * nv * 2), *e1 = malloc(DS * nv * 2), tail0[8], tail1[8];
        intptr_t fb0, fc0, fb1, fc1;
        int b, i, r0, r1, variant, meth;
        for (b = 0; b < nb; b++) rand_spd(4, A + b * 16);
        for (i = 0; i < nb * 4; i++) mu[i] = tnorm();
        nd_mvn_level_cap = -1;
        r0 = nd_cholesky_packed_batch(nb, 4, A, 16 * DS, 4 * DS, DS, P0, 10 * DS, &fb0, &fc0);
        CHECK(r0 == ND_OK, "levels: reference chol nb=%d", nb);
        for (li = 0; li < sizeof levels / sizeof levels[0]; li++) {
            nd_mvn_level_cap = levels[li];
            memset(P1, 0, DS * nb * 10);
            r1 = nd_cholesky_packed_batch(nb, 4, A, 16 * DS, 4 * DS, DS, P1, 10 * DS, &fb1, &fc1);
            CHECK(r1 == ND_OK && fb1 == -1 && memcmp(P0, P1, DS * nb * 10) == 0,
                  "levels: chol nb=%d level %d differs", nb, levels[li]);
        }
        /* draws: variant 0 loc per element, 1 one loc for all, 2 no loc, 3 strided out,
         * 4 eps contiguous, 5 eps strided, 6 out contiguous and eps strided; ziggurat and Box-Muller */
        for (meth = 0; meth < 2; meth++)
            for (variant = 0; variant < 7; variant++) {
                const nd_normal_method m = meth ? ND_NORMAL_BOX_MULLER : ND_NORMAL_ZIGGURAT;
                const intptr_t oes = variant == 3 ? 2 * DS : DS, ees = variant >= 5 ? 2 * DS : DS;
                const double *lp = variant == 2 ? NULL : mu;
                const intptr_t lbs = variant == 1 ? 0 : 4 * DS;
                const int want_eps = variant >= 4;
                for (li = 0; li < 1 + sizeof levels / sizeof levels[0]; li++) {
                    nd_xoshiro_t xo;
                    nd_bits_t *bits = new_bits(&xo, 1000 + 10 * variant + meth);
                    double *x = li ? x1 : x0, *e = li ? e1 : e0, *tail = li ? tail1 : tail0;
                    nd_mvn_level_cap = li ? levels[li - 1] : -1;
                    memset(x, 0, DS * nv * 2);
                    memset(e, 0, DS * nv * 2);
                    r1 = random_mvn_fill_packed(bits, m, ns, nb, 4, lp, lbs, DS, P0, 10 * DS, x,
                                                nb * 4 * oes, 4 * oes, oes, want_eps ? e : NULL,
                                                nb * 4 * ees, 4 * ees, ees);
                    CHECK(r1 == ND_OK, "levels: fill status %d", r1);
                    random_normal_fill(bits, ND_NORMAL_ZIGGURAT, 8, tail, DS, NULL, 0, NULL, 0);
                    free(bits);
                }
                CHECK(memcmp(x0, x1, DS * nv * 2) == 0 && memcmp(e0, e1, DS * nv * 2) == 0 &&
                          memcmp(tail0, tail1, sizeof tail0) == 0,
                      "levels: fill nb=%d variant %d method %d differs from level -1", nb, variant, meth);
            }
        /* the last level run above must also agree with level -1 for each level alone */
        for (li = 0; li < sizeof levels / sizeof levels[0]; li++) {
            nd_xoshiro_t xo;
            nd_bits_t *bits;
            nd_mvn_level_cap = -1;
            bits = new_bits(&xo, 77);
            random_mvn_fill_packed(bits, ND_NORMAL_ZIGGURAT, ns, nb, 4, mu, 4 * DS, DS, P0, 10 * DS, x0,
                                   nb * 4 * DS, 4 * DS, DS, NULL, 0, 0, 0);
            free(bits);
            nd_mvn_level_cap = levels[li];
            bits = new_bits(&xo, 77);
            random_mvn_fill_packed(bits, ND_NORMAL_ZIGGURAT, ns, nb, 4, mu, 4 * DS, DS, P0, 10 * DS, x1,
                                   nb * 4 * DS, 4 * DS, DS, NULL, 0, 0, 0);
            free(bits);
            CHECK(memcmp(x0, x1, DS * ns * nb * 4) == 0, "levels: plain fill nb=%d level %d", nb, levels[li]);
        }
        /* failures: a matrix that is not positive definite at a few positions (in a group
         * of the vector passes, in the tail) and columns: same index and column everywhere */
        if (nb >= 9) {
            const int where[3] = {nb / 2, nb - 1, 5};
            int w, col;
            for (w = 0; w < 3; w++)
                for (col = 0; col < 4; col++) {
                    double keep = A[where[w] * 16 + col * 5];
                    A[where[w] * 16 + col * 5] = col == 2 ? NAN : -1.0;
                    nd_mvn_level_cap = -1;
                    r0 = nd_cholesky_packed_batch(nb, 4, A, 16 * DS, 4 * DS, DS, P0, 10 * DS, &fb0, &fc0);
                    for (li = 0; li < sizeof levels / sizeof levels[0]; li++) {
                        nd_mvn_level_cap = levels[li];
                        r1 = nd_cholesky_packed_batch(nb, 4, A, 16 * DS, 4 * DS, DS, P1, 10 * DS, &fb1, &fc1);
                        CHECK(r0 == ND_E_NOT_PD && r1 == r0 && fb1 == fb0 && fc1 == fc0 && fb0 == where[w] &&
                                  memcmp(P0, P1, DS * 10 * (size_t)fb0) == 0,
                              "levels: failure at %d col %d nb=%d level %d: %d (%ld, %ld) vs (%ld, %ld)",
                              where[w], col, nb, levels[li], r1, (long)fb1, (long)fc1, (long)fb0, (long)fc0);
                    }
                    A[where[w] * 16 + col * 5] = keep;
                }
        }
        free(A); free(P0); free(P1); free(mu); free(x0); free(x1); free(e0); free(e1);
    }
    nd_mvn_level_cap = saved;
}

/* ---- 10. the draw fused with its normals (rsample, d = 4 float64) ------------------
 * nd_mvn_fused_draw (mvn.c, not in a header): 1 (the default) draws each vector's
 * normals in the loop that applies them, 0 the normals of a piece first (the fill)
 * and the transform after. Both must give the same draws and use the same words (the
 * normals that follow from the same bits), at each SIMD level, for every loc layout,
 * several rows, odd and even counts, and sizes of many blocks of words (so that
 * rejections resolved across a block boundary occur: about 3 in 100 blocks). */
extern int nd_mvn_fused_draw;

static void test_fused_draw(void)
{
    static const int nbs[] = {1, 2, 3, 5, 47, 48, 49, 513, 4099, 16384, 65537};
    static const int levels[] = {2, 3};
    const int saved_cap = nd_mvn_level_cap, saved_fused = nd_mvn_fused_draw;
    size_t bi, li;
    for (bi = 0; bi < sizeof nbs / sizeof nbs[0]; bi++) {
        const int nb = nbs[bi], ns = nb > 5000 ? 1 : 2;
        const size_t nv = (size_t)ns * nb * 4;
        double *A = malloc(DS * nb * 16), *P = malloc(DS * nb * 10), *mu = malloc(DS * nb * 4);
        double *x0 = malloc(DS * nv), *x1 = malloc(DS * nv), tail0[6], tail1[6];
        intptr_t fb, fc;
        int b, i, variant, seed;
        for (b = 0; b < nb; b++) rand_spd(4, A + b * 16);
        for (i = 0; i < nb * 4; i++) mu[i] = tnorm();
        nd_mvn_level_cap = -1;
        CHECK(nd_cholesky_packed_batch(nb, 4, A, 16 * DS, 4 * DS, DS, P, 10 * DS, &fb, &fc) == ND_OK,
              "fused draw: chol nb=%d", nb);
        for (li = 0; li < sizeof levels / sizeof levels[0]; li++)
            for (variant = 0; variant < 3; variant++) /* loc per vector, one loc, none */
                for (seed = 0; seed < (nb > 5000 ? 3 : 1); seed++) {
                    const double *lp = variant == 2 ? NULL : mu;
                    const intptr_t lbs = variant == 1 ? 0 : 4 * DS;
                    int fused;
                    for (fused = 0; fused < 2; fused++) {
                        nd_xoshiro_t xo;
                        nd_bits_t *bits = new_bits(&xo, 5000 + 7 * (uint64_t)seed + (uint64_t)nb);
                        double *x = fused ? x1 : x0, *tail = fused ? tail1 : tail0;
                        nd_mvn_level_cap = levels[li];
                        nd_mvn_fused_draw = fused;
                        memset(x, 0, DS * nv);
                        CHECK(random_mvn_fill_packed(bits, ND_NORMAL_ZIGGURAT, ns, nb, 4, lp, lbs, DS, P, 10 * DS, x,
                                                     nb * 4 * DS, 4 * DS, DS, NULL, 0, 0, 0) == ND_OK,
                              "fused draw: status");
                        random_normal_fill(bits, ND_NORMAL_ZIGGURAT, 6, tail, DS, NULL, 0, NULL, 0);
                        free(bits);
                    }
                    CHECK(memcmp(x0, x1, DS * nv) == 0 && memcmp(tail0, tail1, sizeof tail0) == 0,
                          "fused draw: nb=%d ns=%d level %d loc variant %d seed %d differs from the two passes", nb,
                          ns, levels[li], variant, seed);
                }
        free(A); free(P); free(mu); free(x0); free(x1);
    }
    nd_mvn_level_cap = saved_cap;
    nd_mvn_fused_draw = saved_fused;
}

int main(void)
{
    test_known();
    test_cholesky();
    test_failures();
    test_precision();
    test_stats();
    test_fill_layouts();
    test_huge_d();
    test_fused();
    test_solve();
    test_grouping();
    test_symmetric();
    test_absent_strides();
    test_packed();
    test_levels();
    test_fused_draw();
    printf("test_mvn: %d checks, %s\n", checks, fails ? "FAILED" : "ok");
    return fails != 0;
}
