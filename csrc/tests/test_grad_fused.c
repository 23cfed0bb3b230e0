/* Standalone checks of the one-pass gradient kernels (numdist/grad_fused.h); no Python.
 * Every kernel is compared, bit for bit, with a plain reference loop written here
 * (the operations of the NumPy expressions it replaces), on contiguous operands (the
 * vector fast paths) and on strided, flipped and broadcast ones (the generic loops),
 * and a split of the columns (threads) must not change any number. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numdist/grad_fused.h"

#include "check.h"

static uint64_t rs = 88172645463325252ULL;
static double unif(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (double)(rs >> 11) * 0x1p-53;
}
static double gauss(void) { return sqrt(-2 * log(unif() + 1e-300)) * cos(6.283185307179586 * unif()); }

static nd_sb sb(void *p, intptr_t ss, intptr_t bs) { nd_sb a; a.p = (char *)p; a.ss = ss; a.bs = bs; return a; }
static int same(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }
static int samef(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

#define S_MAX 9
#define B_MAX 6200

static double X[S_MAX * B_MAX], G[S_MAX * B_MAX], OUT[S_MAX * B_MAX], OUT2[S_MAX * B_MAX];
static double LOC[B_MAX], SC[B_MAX], LS[B_MAX], D1[B_MAX], D2[B_MAX], E1[B_MAX], E2[B_MAX];
static float XF[S_MAX * B_MAX], OUTF[S_MAX * B_MAX], LOCF[B_MAX], SCF[B_MAX], LSF[B_MAX];

static void fill(intptr_t S, intptr_t B)
{
    intptr_t i;
    for (i = 0; i < S * B; i++) {
        X[i] = 3 * gauss();
        G[i] = gauss();
        XF[i] = (float)X[i];
    }
    for (i = 0; i < B; i++) {
        LOC[i] = gauss();
        SC[i] = exp(gauss());
        LS[i] = log(SC[i]);
        LOCF[i] = (float)LOC[i];
        SCF[i] = (float)SC[i];
        LSF[i] = (float)log(SCF[i]);
    }
}

static void test_affine(intptr_t S, intptr_t B)
{
    intptr_t s, b;
    int bad = 0;
    fill(S, B);
    nd_fused_affine(S, 0, B, sb(LOC, 0, 8), sb(SC, 0, 8), sb(X, 8 * B, 8), sb(OUT, 8 * B, 8));
    for (s = 0; s < S; s++)
        for (b = 0; b < B; b++) {
            double prod = SC[b] * X[s * B + b];
            bad += !same(OUT[s * B + b], LOC[b] + prod);
        }
    CHECK(bad == 0, "affine S=%ld B=%ld: %d elements differ", (long)S, (long)B, bad);
    /* every operand read and written back to front (element (s, b) lands where element
     * (S-1-s, B-1-b) did): the generic loop, the same numbers */
    nd_fused_affine(S, 0, B, sb(LOC + B - 1, 0, -8), sb(SC + B - 1, 0, -8), sb(X + S * B - 1, -8 * B, -8),
                    sb(OUT2 + S * B - 1, -8 * B, -8));
    CHECK(memcmp(OUT, OUT2, (size_t)(S * B) * 8) == 0, "affine: strided operands change the numbers");
}

static void test_affine_vjp(intptr_t S, intptr_t B)
{
    intptr_t s, b, k = B / 3;
    int bad = 0;
    fill(S, B);
    nd_fused_affine_vjp(S, 0, B, sb(G, 8 * B, 8), sb(X, 8 * B, 8), D1, D2);
    for (b = 0; b < B; b++) {
        double sl = G[b], se = G[b] * X[b];   /* from the first row, rows in order */
        for (s = 1; s < S; s++) {
            sl += G[s * B + b];
            se += G[s * B + b] * X[s * B + b];
        }
        bad += !same(D1[b], sl) + !same(D2[b], se);
    }
    CHECK(bad == 0, "affine_vjp S=%ld B=%ld: %d sums differ", (long)S, (long)B, bad);
    /* columns in two parts (two threads), and the generic loop (transposed g) */
    nd_fused_affine_vjp(S, 0, k, sb(G, 8 * B, 8), sb(X, 8 * B, 8), E1, E2);
    nd_fused_affine_vjp(S, k, B, sb(G, 8 * B, 8), sb(X, 8 * B, 8), E1, E2);
    CHECK(memcmp(D1, E1, (size_t)B * 8) == 0 && memcmp(D2, E2, (size_t)B * 8) == 0, "affine_vjp: split differs");
    for (s = 0; s < S; s++)
        for (b = 0; b < B; b++) OUT[b * S + s] = G[s * B + b];
    nd_fused_affine_vjp(S, 0, B, sb(OUT, 8, 8 * S), sb(X, 8 * B, 8), E1, NULL);
    CHECK(memcmp(D1, E1, (size_t)B * 8) == 0, "affine_vjp: transposed cotangent differs");
    /* one cotangent per row (column stride 0) */
    nd_fused_affine_vjp(S, 0, B, sb(G, 8, 0), sb(X, 8 * B, 8), E1, E2);
    bad = 0;
    for (b = 0; b < B; b++) {
        double sl = G[0], se = G[0] * X[b];
        for (s = 1; s < S; s++) {
            sl += G[s];
            se += G[s] * X[s * B + b];
        }
        bad += !same(E1[b], sl) + !same(E2[b], se);
    }
    CHECK(bad == 0, "affine_vjp with a row cotangent: %d sums differ", bad);
    /* no rows: zeros */
    E1[0] = 5;
    nd_fused_affine_vjp(0, 0, B, sb(G, 8, 0), sb(X, 8 * B, 8), E1, E2);
    CHECK(E1[0] == 0 && E2[B - 1] == 0, "affine_vjp over S = 0 must give zeros");
}

static double lp_ref(double x, double loc, double sc, double ls, double c)
{
    double z = (x - loc) / sc;
    double q = -0.5 * (z * z);
    return (q - ls) - c;
}

/* NumPy's pairwise sum, written independently: recursion on the array */
static double pairwise(const double *v, intptr_t n)
{
    if (n < 8) {
        double r = 0;
        intptr_t i;
        for (i = 0; i < n; i++) r += v[i];
        return r;
    }
    if (n <= 128) {
        double r[8], res;
        intptr_t i, j;
        for (j = 0; j < 8; j++) r[j] = v[j];
        for (i = 8; i < n - (n % 8); i += 8)
            for (j = 0; j < 8; j++) r[j] += v[i + j];
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += v[i];
        return res;
    } else {
        intptr_t n2 = n / 2;
        n2 -= n2 % 8;
        return pairwise(v, n2) + pairwise(v + n2, n - n2);
    }
}

static void test_log_prob(intptr_t S, intptr_t B, intptr_t Rg)
{
    const double c = 0.91893853320467274178;
    intptr_t s, b, k, ng = B / Rg;
    int bad = 0;
    double sums[S_MAX * 64];
    fill(S, B);
    nd_fused_normal_log_prob(S, 0, B, sb(X, 8 * B, 8), sb(LOC, 0, 8), sb(SC, 0, 8), sb(LS, 0, 8), c,
                             sb(OUT, 8 * B, 8));
    for (s = 0; s < S; s++)
        for (b = 0; b < B; b++) bad += !same(OUT[s * B + b], lp_ref(X[s * B + b], LOC[b], SC[b], LS[b], c));
    CHECK(bad == 0, "log_prob S=%ld B=%ld: %d elements differ", (long)S, (long)B, bad);
    nd_fused_normal_log_prob(S, 0, B, sb(X + S * B - 1, -8 * B, -8), sb(LOC + B - 1, 0, -8), sb(SC + B - 1, 0, -8),
                             sb(LS + B - 1, 0, -8), c, sb(OUT2 + S * B - 1, -8 * B, -8));
    CHECK(memcmp(OUT, OUT2, (size_t)(S * B) * 8) == 0, "log_prob: strided operands change the numbers");
    /* sums over groups of Rg columns: NumPy's pairwise order, bit for bit */
    nd_fused_normal_log_prob_sum(S, 0, B, Rg, sb(X, 8 * B, 8), sb(LOC, 0, 8), sb(SC, 0, 8), sb(LS, 0, 8), c,
                                 sb(sums, 8 * ng, 8));
    bad = 0;
    for (s = 0; s < S; s++)
        for (k = 0; k < ng; k++) bad += !same(sums[s * ng + k], 0.0 + pairwise(OUT + s * B + k * Rg, Rg));
    CHECK(bad == 0, "log_prob_sum S=%ld B=%ld R=%ld: %d sums differ", (long)S, (long)B, (long)Rg, bad);
    /* the generic (strided) leaf gives the same sums */
    nd_fused_normal_log_prob_sum(S, 0, B, Rg, sb(X, 8 * B, 8), sb(LOC, 0, 8), sb(SC, 0, 8), sb(LS, 0, 8), c,
                                 sb(sums + S * ng, 8 * ng, 8));
    for (s = 0; s < S; s++)
        for (b = 0; b < B; b++) OUT2[b * S + s] = X[s * B + b];
    nd_fused_normal_log_prob_sum(S, 0, B, Rg, sb(OUT2, 8, 8 * S), sb(LOC, 0, 8), sb(SC, 0, 8), sb(LS, 0, 8), c,
                                 sb(sums + S * ng, 8 * ng, 8));
    CHECK(memcmp(sums, sums + S * ng, (size_t)(S * ng) * 8) == 0, "log_prob_sum: strided x changes the sums");
}

static void test_log_prob_f32(intptr_t S, intptr_t B)
{
    const float c = (float)0.91893853320467274178;
    intptr_t s, b;
    int bad = 0;
    fill(S, B);
    nd_fused_normal_log_prob_f(S, 0, B, sb(XF, 4 * B, 4), sb(LOCF, 0, 4), sb(SCF, 0, 4), sb(LSF, 0, 4), c,
                               sb(OUTF, 4 * B, 4));
    for (s = 0; s < S; s++)
        for (b = 0; b < B; b++) {
            float z = (XF[s * B + b] - LOCF[b]) / SCF[b];
            float q = -0.5f * (z * z);
            bad += !samef(OUTF[s * B + b], (q - LSF[b]) - c);
        }
    CHECK(bad == 0, "log_prob_f S=%ld B=%ld: %d elements differ", (long)S, (long)B, bad);
}

static void test_log_prob_vjp(intptr_t S, intptr_t B)
{
    intptr_t s, b, k = B / 2;
    int bad = 0;
    fill(S, B);
    nd_fused_normal_log_prob_vjp(S, 0, B, sb(G, 8 * B, 8), sb(X, 8 * B, 8), sb(LOC, 0, 8), sb(SC, 0, 8),
                                 sb(OUT, 8 * B, 8), D1, D2);
    for (b = 0; b < B; b++) {
        double dl = 0, ds = 0;
        for (s = 0; s < S; s++) {
            double gv = G[s * B + b], z = (X[s * B + b] - LOC[b]) / SC[b];
            double t = (gv * z) / SC[b], u = (gv * (z * z - 1)) / SC[b];
            bad += !same(OUT[s * B + b], -t);
            dl = s ? dl + t : t;
            ds = s ? ds + u : u;
        }
        bad += !same(D1[b], dl) + !same(D2[b], ds);
    }
    CHECK(bad == 0, "log_prob_vjp S=%ld B=%ld: %d numbers differ", (long)S, (long)B, bad);
    /* two column ranges; no value gradient (generic loop) */
    nd_fused_normal_log_prob_vjp(S, 0, k, sb(G, 8 * B, 8), sb(X, 8 * B, 8), sb(LOC, 0, 8), sb(SC, 0, 8),
                                 sb(NULL, 0, 0), E1, E2);
    nd_fused_normal_log_prob_vjp(S, k, B, sb(G, 8 * B, 8), sb(X, 8 * B, 8), sb(LOC, 0, 8), sb(SC, 0, 8),
                                 sb(NULL, 0, 0), E1, E2);
    CHECK(memcmp(D1, E1, (size_t)B * 8) == 0 && memcmp(D2, E2, (size_t)B * 8) == 0,
          "log_prob_vjp: split or generic loop differs");
    /* a derivative check of the formula: d/dloc of sum g * lp by central differences */
    if (S >= 1 && B >= 1) {
        double h = 1e-6, up = 0, dn = 0, c = 0.91893853320467274178;
        for (s = 0; s < S; s++) {
            up += G[s * B] * lp_ref(X[s * B], LOC[0] + h, SC[0], LS[0], c);
            dn += G[s * B] * lp_ref(X[s * B], LOC[0] - h, SC[0], LS[0], c);
        }
        CHECK(fabs((up - dn) / (2 * h) - D1[0]) <= 1e-5 * (1 + fabs(D1[0])), "d/dloc %g vs differences %g", D1[0],
              (up - dn) / (2 * h));
    }
}

static void test_categorical_logits_score(void)
{
    enum { S = 40, B = 30, K = 9 };
    static int64_t idx[S * B];
    static double probs[B * K], grad[B * K], ref[B * K], split[B * K];
    intptr_t s, b, k;
    int bad = 0;
    fill(S, B);
    for (s = 0; s < S * B; s++) idx[s] = (int64_t)(unif() * K);
    for (b = 0; b < B * K; b++) probs[b] = unif();
    G[3 * B + 4] = INFINITY; /* an infinite cotangent: NaN through g * 0, as NumPy */
    for (s = 0; s < S; s++)
        for (b = 0; b < B; b++) {
            double g = G[s * B + b], d[K], dsum;
            for (k = 0; k < K; k++) d[k] = g * (k == idx[s * B + b] ? 1.0 : 0.0);
            dsum = pairwise(d, K);
            for (k = 0; k < K; k++) {
                double term = (0.0 + d[k]) - probs[b * K + k] * dsum;
                ref[b * K + k] = s ? ref[b * K + k] + term : term;
            }
        }
    nd_fused_categorical_logits_score(S, 0, B, K, (const char *)idx, 8 * B, 8, sb(G, 8 * B, 8), probs, grad);
    for (b = 0; b < B * K; b++) bad += !same(grad[b], ref[b]) && !(isnan(grad[b]) && isnan(ref[b]));
    CHECK(bad == 0, "categorical_logits_score: %d entries differ", bad);
    CHECK(isnan(grad[4 * K]), "an infinite cotangent must give NaN in its row");
    nd_fused_categorical_logits_score(S, 0, 11, K, (const char *)idx, 8 * B, 8, sb(G, 8 * B, 8), probs, split);
    nd_fused_categorical_logits_score(S, 11, B, K, (const char *)idx, 8 * B, 8, sb(G, 8 * B, 8), probs, split);
    CHECK(memcmp(grad, split, sizeof grad) == 0, "categorical_logits_score: split differs");
}

static void test_loc_scale_ok(void)
{
    static const double bad_loc[] = {NAN, INFINITY, -INFINITY};
    static const double bad_scale[] = {0.0, -0.0, -1.0, NAN, INFINITY, -INFINITY};
    static float lf[B_MAX], sf[B_MAX];
    intptr_t n = 1000, i, k;
    for (i = 0; i < n; i++) { LOC[i] = gauss(); SC[i] = 0.1 + unif(); lf[i] = (float)LOC[i]; sf[i] = (float)SC[i]; }
    CHECK(nd_loc_scale_ok(n, LOC, SC) == 1 && nd_loc_scale_ok_f(n, lf, sf) == 1 && nd_loc_scale_ok(0, LOC, SC) == 1, "loc_scale_ok: %s", "wrong verdict");
    SC[5] = 5e-324; /* subnormal: positive */
    CHECK(nd_loc_scale_ok(n, LOC, SC) == 1, "loc_scale_ok: %s", "wrong verdict");
    for (k = 0; k < 3; k++) {
        double keep = LOC[n - 1];
        LOC[n - 1] = bad_loc[k];
        lf[n - 1] = (float)bad_loc[k];
        CHECK(nd_loc_scale_ok(n, LOC, SC) == 0 && nd_loc_scale_ok_f(n, lf, sf) == 0, "loc_scale_ok: %s", "wrong verdict");
        LOC[n - 1] = keep;
        lf[n - 1] = (float)keep;
    }
    for (k = 0; k < 6; k++) {
        double keep = SC[7];
        SC[7] = bad_scale[k];
        sf[7] = (float)bad_scale[k];
        CHECK(nd_loc_scale_ok(n, LOC, SC) == 0 && nd_loc_scale_ok_f(n, lf, sf) == 0, "loc_scale_ok: %s", "wrong verdict");
        SC[7] = keep;
        sf[7] = (float)keep;
    }
}

/* KL(Normal || Normal) terms, their sum and the four gradients against the expressions
 * written out (the log and qs**3 supplied, as the caller does) */
static void test_kl_normal(intptr_t n)
{
    static double pl[B_MAX], ps[B_MAX], ql[B_MAX], qs[B_MAX], vr[B_MAX], kl[B_MAX], ref[B_MAX], q3[B_MAX];
    static double o[4][B_MAX];
    double g = -0.75, total;
    intptr_t i;
    for (i = 0; i < n; i++) {
        pl[i] = gauss(); ps[i] = exp(0.3 * gauss()); ql[i] = gauss(); qs[i] = exp(0.3 * gauss());
        q3[i] = qs[i] * qs[i] * qs[i];
    }
    nd_kl_normal_ratio_d(n, ps, qs, vr);
    for (i = 0; i < n; i++) {
        double r = ps[i] / qs[i], d = (pl[i] - ql[i]) / qs[i];
        CHECK(same(vr[i], r * r), "kl_normal n=%ld i=%ld", (long)n, (long)i);
        kl[i] = log(vr[i]);
        ref[i] = 0.5 * (((r * r + d * d) - 1) - kl[i]);
    }
    total = nd_kl_normal_sum_d(n, pl, ql, qs, vr, kl);
    for (i = 0; i < n; i++) CHECK(same(kl[i], ref[i]), "kl_normal n=%ld i=%ld", (long)n, (long)i);
    CHECK(same(total, 0.0 + pairwise(ref, n)), "kl_normal n=%ld i=%ld", (long)n, (long)i);
    nd_kl_normal_vjp_d(n, g, pl, ps, ql, qs, q3, o[0], o[1], o[2], o[3]);
    for (i = 0; i < n; i++) {
        double q2 = qs[i] * qs[i], dd = pl[i] - ql[i];
        CHECK(same(o[0][i], g * (dd / q2)) && same(o[2][i], -g * (dd / q2)), "kl_normal n=%ld i=%ld", (long)n, (long)i);
        CHECK(same(o[1][i], g * (ps[i] / q2 - 1 / ps[i])), "kl_normal n=%ld i=%ld", (long)n, (long)i);
        CHECK(same(o[3][i], g * (1 / qs[i] - (ps[i] * ps[i] + dd * dd) / q3[i])), "kl_normal n=%ld i=%ld", (long)n, (long)i);
    }
}

int main(void)
{
    static const intptr_t shapes[][2] = {{1, 1}, {1, 7}, {3, 33}, {9, 1000}, {2, 6144}, {0, 5}};
    static const intptr_t groups[][2] = {{1, 1}, {2, 7}, {3, 8}, {1, 127}, {4, 128}, {2, 129}, {1, 1000}, {3, 2049}};
    static const int levels[] = {3, 2, 0}; /* every SIMD level the CPU has: the same bits */
    size_t i, l;
    for (l = 0; l < 3; l++) {
        nd_grad_fused_set_simd_level(levels[l]);
        for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            intptr_t S = shapes[i][0], B = shapes[i][1];
            test_affine(S, B);
            if (S > 0) test_affine_vjp(S, B);
            test_log_prob_f32(S, B);
            test_log_prob_vjp(S, B);
        }
        test_categorical_logits_score();
        for (i = 0; i < sizeof groups / sizeof groups[0]; i++) {
            intptr_t ng = groups[i][0], Rg = groups[i][1];
            test_log_prob(3, ng * Rg, Rg);
        }
        test_loc_scale_ok();
        test_kl_normal(1);
        test_kl_normal(7);
        test_kl_normal(1000);
        test_kl_normal(4099);
    }
    if (fails) {
        printf("test_grad_fused: %d failures\n", fails);
        return 1;
    }
    printf("test_grad_fused: ok\n");
    return 0;
}
