/*
 * Categorical kernels: Vose alias tables (exact integer construction,
 * branch-free draw) and a CDF path. See numdist/categorical.h for the contract.
 *
 * Alias table construction, row of K weights w_j:
 *   1. one pass: sum (4 accumulators), min, max. NaN/inf/negative detected by
 *      the fast pass and confirmed element-wise only when something is off.
 *   2. weights are turned into integers q_j = round(w_j * K*M / sum) with
 *      M = 2^(63 - ceil(log2 K)) (one column's capacity), so K*M <= 2^63. The
 *      rounding residue K*M - sum(q) (a few units) is given to (or taken from)
 *      the largest column, so sum(q) == K*M EXACTLY. Zero weights give q == 0.
 *   3. Vose in exact integer arithmetic (branch-free, (column, mass) pairs on
 *      the worklists so the dependency chain has one load per step): small
 *      (q < M) and large (q >= M) worklists; a small s is filled from a
 *      large l: thresh[s] = q_s,
 *      alias[s] = l, q_l -= M - q_s. Invariant: remaining mass == remaining
 *      columns * M, so when one worklist empties every leftover has q == M
 *      exactly (no leftover can be a small one): leftovers are all-accept
 *      (thresh = UINT64_MAX, alias = self). A zero-weight column is always
 *      small, so it gets thresh 0 and a large (positive) alias; large columns
 *      started with q >= M > 0, so no alias ever points to a zero column.
 *   4. thresh = q << (64 - log2 M) = q << (ceil(log2 K) + 1): 64-bit fixed
 *      point, compared with the low word of u*K in the draw.
 * Cost: about 5.7 ns per category to build (K = 100..1e5), 1.4-1.6 ns per draw
 * with the table in L1/L2 (0.3 of it the generator), 2.2 ns at K = 1e5.
 */
#include "numdist/categorical.h"

#include <float.h>
#include <string.h>

#define LDW(row, j, cs) (*(const double *)((row) + (intptr_t)(j) * (cs)))

/* ------------------------------------------------------------------------ */
/* Row validation                                                            */

/* Element-wise check, used only when the fast pass saw something odd. */
static int row_has_bad_value(const char *row, intptr_t K, intptr_t cs)
{
    intptr_t j;
    for (j = 0; j < K; j++) {
        double a = LDW(row, j, cs);
        if (!(a >= 0.0 && a <= DBL_MAX)) return 1;
    }
    return 0;
}

/* Sum of w_j * pre with 4 accumulators (no overflow when pre is chosen from
 * the max), also min and max of the raw weights. */
static double row_sum_minmax(const char *row, intptr_t K, intptr_t cs, double pre,
                             double *pmin, double *pmax)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    double mn = 0.0, mx = 0.0;
    intptr_t j = 0;
    for (; j + 4 <= K; j += 4) {
        double a0 = LDW(row, j, cs), a1 = LDW(row, j + 1, cs);
        double a2 = LDW(row, j + 2, cs), a3 = LDW(row, j + 3, cs);
        s0 += a0 * pre; s1 += a1 * pre; s2 += a2 * pre; s3 += a3 * pre;
        mn = a0 < mn ? a0 : mn; mn = a1 < mn ? a1 : mn;
        mn = a2 < mn ? a2 : mn; mn = a3 < mn ? a3 : mn;
        mx = a0 > mx ? a0 : mx; mx = a1 > mx ? a1 : mx;
        mx = a2 > mx ? a2 : mx; mx = a3 > mx ? a3 : mx;
    }
    for (; j < K; j++) {
        double a = LDW(row, j, cs);
        s0 += a * pre;
        mn = a < mn ? a : mn;
        mx = a > mx ? a : mx;
    }
    *pmin = mn;
    *pmax = mx;
    return (s0 + s1) + (s2 + s3);
}

/* Validate a row and return its sum after prescaling by *pre (a power of two
 * chosen so that the sum neither overflows nor sits in subnormals).
 * Returns 0 if the row is bad (negative/NaN/inf weight, or zero sum). */
static int row_prepare(const char *row, intptr_t K, intptr_t cs, double *psum, double *ppre)
{
    double mn, mx, pre = 1.0;
    double s = row_sum_minmax(row, K, cs, 1.0, &mn, &mx);
    /* NaN propagates into s, +inf makes s inf, negatives show in mn. */
    if (!(mn >= 0.0 && s <= DBL_MAX)) {
        if (row_has_bad_value(row, K, cs)) return 0;
        /* all finite, nonnegative: the sum overflowed */
    }
    if (!(mx > 0.0)) return 0; /* all zero */
    if (mx > 0x1p900) pre = 0x1p-200;
    else if (mx < 0x1p-900) pre = 0x1p900;
    if (pre != 1.0) s = row_sum_minmax(row, K, cs, pre, &mn, &mx);
    *psum = s;
    *ppre = pre;
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Alias tables                                                              */

size_t nd_alias_work_bytes(intptr_t K)
{
    return K > 0 ? 2 * ((size_t)K + 2) * sizeof(int64_t) : 0;
}

static int ceil_log2(uint64_t K)
{
    int b = 0;
    while (b < 63 && ((uint64_t)1 << b) < K) b++;
    return b;
}

/* Build one row's table. Returns 0 if the row is bad. */
static int alias_build_row(const char *row, intptr_t K, intptr_t cs, nd_alias_entry *tab,
                           int64_t *work, int lgK)
{
    const uint64_t M = (uint64_t)1 << (63 - lgK);
    const uint64_t KM = (uint64_t)K * M; /* <= 2^63 */
    const int sh = lgK + 1;              /* q < M  =>  q << sh < 2^64 */
    const double KMd = (double)KM;
    double s, pre, scale;
    uint64_t Q = 0, qbest = 0;
    intptr_t j, ibest = 0, ns, nl;
    int64_t *wi = (int64_t *)work;
    uint64_t *wq = (uint64_t *)work + (K + 2);

    if (!row_prepare(row, K, cs, &s, &pre)) return 0;
    scale = KMd / s;

    /* 2. integer weights (x < KMd <= 2^63, so the signed conversion is exact
     * and cheaper than the unsigned one) */
    for (j = 0; j < K; j++) {
        double x = LDW(row, j, cs) * pre * scale + 0.5;
        uint64_t q = x < KMd ? (uint64_t)(int64_t)x : KM;
        int better = q > qbest;
        tab[j].thresh = q;
        Q += q;
        qbest = better ? q : qbest;
        ibest = better ? j : ibest;
    }
    /* make sum(q) == K*M exactly; the residue (a few units per column at
     * most) goes to/from the largest column */
    if (Q <= KM) {
        tab[ibest].thresh += KM - Q;
    } else {
        uint64_t excess = Q - KM, take;
        take = tab[ibest].thresh < excess ? tab[ibest].thresh : excess;
        tab[ibest].thresh -= take;
        excess -= take;
        for (j = 0; excess > 0 && j < K; j++) { /* not reached in practice */
            take = tab[j].thresh < excess ? tab[j].thresh : excess;
            tab[j].thresh -= take;
            excess -= take;
        }
    }

    /* 3. worklists of (column, mass) pairs in wi[0..K+1], wq[0..K+1]: slots 0
     * and K+1 are sentinels (column 0, so speculative loads stay in bounds);
     * the small stack is slots 1..ns (top ns), the large stack nl..K (top nl).
     * Masses ride along with the indices so that a candidate costs one load,
     * not two dependent ones. Branch-free partition: j is written to both
     * free slots, one pointer moves. */
    ns = 0;
    nl = K + 1;
    wi[0] = 0; wq[0] = 0;
    wi[K + 1] = 0; wq[K + 1] = 0;
    for (j = 0; j < K; j++) {
        uint64_t q = tab[j].thresh;
        int small = q < M;
        wi[ns + 1] = j; wq[ns + 1] = q;
        wi[nl - 1] = j; wq[nl - 1] = q;
        ns += small;
        nl -= !small;
    }
    /* 4. Vose, branch-free. The current small s and large l live in registers
     * with their masses qs, ql. Fill s from l; if l drops below M it becomes
     * the next s and the next large is taken, else the next small is popped.
     * Both candidates are loaded before the choice (no mispredicted branch on
     * the data). Every iteration finalizes one column. */
    if (ns > 0 && nl <= K) {
        int64_t sidx = wi[ns], l = wi[nl];
        uint64_t qs = wq[ns], ql = wq[nl];
        ns--;
        nl++;
        for (;;) {
            int64_t cs_ = wi[ns], cl = wi[nl];
            uint64_t qcs = wq[ns], qcl = wq[nl];
            uint64_t mv, mm; /* mv = 1 and mm all ones if l fell below M */
            tab[sidx].thresh = qs << sh;
            tab[sidx].alias = l;
            ql -= M - qs; /* >= qs >= 0 since ql >= M */
            /* ql, M <= 2^63 (K >= 2 here): ql - M wraps to the top half iff ql < M */
            mv = (ql - M) >> 63;
            if ((mv & (nl > K)) | ((mv ^ 1) & (ns == 0))) break;
            /* mask selects: GCC turns ?: here back into a data-dependent branch */
            mm = (uint64_t)0 - mv;
            sidx = (int64_t)((uint64_t)cs_ ^ (((uint64_t)l ^ (uint64_t)cs_) & mm));
            qs = qcs ^ ((ql ^ qcs) & mm);
            l = (int64_t)((uint64_t)l ^ (((uint64_t)cl ^ (uint64_t)l) & mm));
            ql = ql ^ ((qcl ^ ql) & mm);
            ns -= (intptr_t)(mv ^ 1);
            nl += (intptr_t)mv;
        }
        /* Stopped because no small is left: l holds ql == M exactly (remaining
         * mass == remaining columns * M and every large one has >= M), like
         * every column still on the large stack: all full. The other exit (l
         * fell below M with no large left) contradicts that same invariant;
         * it is handled anyway: l keeps its mass as a full column. */
        tab[l].thresh = UINT64_MAX;
        tab[l].alias = l;
    }
    for (j = nl; j <= K; j++) { /* untouched large columns: q == M, full */
        int64_t c = wi[j];
        tab[c].thresh = UINT64_MAX;
        tab[c].alias = c;
    }
    for (j = 1; j <= ns; j++) { /* small leftovers: impossible (see above) */
        int64_t c = wi[j];
        tab[c].thresh = tab[c].thresh > 0 ? UINT64_MAX : 0;
        tab[c].alias = tab[c].thresh ? c : (int64_t)ibest;
    }
    return 1;
}

int nd_alias_build_batch(intptr_t nrows, intptr_t K, const double *w, intptr_t w_rs,
                         intptr_t w_cs, nd_alias_entry *table, void *work,
                         intptr_t *bad_row)
{
    intptr_t r;
    int lgK;
    if (K <= 0 || K > ND_ALIAS_MAX_K) {
        if (bad_row) *bad_row = K <= 0 ? 0 : -1;
        return ND_E_BAD_PARAM;
    }
    if (nrows <= 0) return ND_OK;
    if (work == NULL || table == NULL || w == NULL) return ND_E_NOMEM;
    lgK = ceil_log2((uint64_t)K);
    for (r = 0; r < nrows; r++) {
        const char *row = (const char *)w + r * w_rs;
        if (!alias_build_row(row, K, w_cs, table + r * K, (int64_t *)work, lgK)) {
            if (bad_row) *bad_row = r;
            return ND_E_BAD_PARAM;
        }
    }
    return ND_OK;
}

#if defined(__GNUC__)
#define ND_NOINLINE __attribute__((noinline))
#else
#define ND_NOINLINE
#endif

/* n draws from one table with the words p[0..n). Kept out of line and small:
 * with more live values around it (or inlined where K > 0 is known) GCC 12
 * sign-extends K into the 128-bit product and spills it to the stack. */
static ND_NOINLINE void alias_draw_block(const uint64_t *restrict p, intptr_t n, uint64_t K,
                                         const nd_alias_entry *restrict tab,
                                         char *restrict o, intptr_t ds)
{
    intptr_t i = 0;
    /* unrolled by 4 by hand (about 25% faster than the plain loop at -O3) */
    if (ds == (intptr_t)sizeof(int64_t)) {
        int64_t *restrict oc = (int64_t *)o;
        for (; i + 4 <= n; i += 4) {
            int64_t d0 = nd_alias_draw(tab, K, p[i]);
            int64_t d1 = nd_alias_draw(tab, K, p[i + 1]);
            int64_t d2 = nd_alias_draw(tab, K, p[i + 2]);
            int64_t d3 = nd_alias_draw(tab, K, p[i + 3]);
            oc[i] = d0; oc[i + 1] = d1; oc[i + 2] = d2; oc[i + 3] = d3;
        }
        for (; i < n; i++) oc[i] = nd_alias_draw(tab, K, p[i]);
    } else {
        for (; i + 4 <= n; i += 4) {
            int64_t d0 = nd_alias_draw(tab, K, p[i]);
            int64_t d1 = nd_alias_draw(tab, K, p[i + 1]);
            int64_t d2 = nd_alias_draw(tab, K, p[i + 2]);
            int64_t d3 = nd_alias_draw(tab, K, p[i + 3]);
            *(int64_t *)o = d0; o += ds;
            *(int64_t *)o = d1; o += ds;
            *(int64_t *)o = d2; o += ds;
            *(int64_t *)o = d3; o += ds;
        }
        for (; i < n; i++) { *(int64_t *)o = nd_alias_draw(tab, K, p[i]); o += ds; }
    }
}

/* The draw loop for one row, words straight from the bit buffer. */
static void alias_fill_row(nd_bits_t *bits, intptr_t ndraws, uint64_t K,
                           const nd_alias_entry *tab, char *o, intptr_t ds)
{
    intptr_t left = ndraws;
    while (left > 0) {
        intptr_t n;
        if (bits->pos == bits->end) nd_bits_refill(bits);
        n = bits->end - bits->pos;
        if (n > left) n = left;
        alias_draw_block(bits->pos, n, K, tab, o, ds);
        bits->pos += n;
        o += n * ds;
        left -= n;
    }
}

void random_alias_fill(nd_bits_t *bits, intptr_t nrows, intptr_t ndraws, intptr_t K,
                       const nd_alias_entry *table, int64_t *out, intptr_t out_rs,
                       intptr_t out_ds)
{
    intptr_t r;
    if (nrows <= 0 || ndraws <= 0 || K <= 0) return;
    nd_bits_expect(bits, (size_t)nrows * (size_t)ndraws);
    for (r = 0; r < nrows; r++)
        alias_fill_row(bits, ndraws, (uint64_t)K, table + r * K, (char *)out + r * out_rs,
                       out_ds);
}

int random_categorical_alias_fill(nd_bits_t *bits, intptr_t nrows, intptr_t ndraws,
                                  intptr_t K, const double *w, intptr_t w_rs, intptr_t w_cs,
                                  int64_t *out, intptr_t out_rs, intptr_t out_ds,
                                  nd_alias_entry *table, void *work, intptr_t *bad_row)
{
    intptr_t r;
    int lgK;
    if (K <= 0 || K > ND_ALIAS_MAX_K) {
        if (bad_row) *bad_row = K <= 0 ? 0 : -1;
        return ND_E_BAD_PARAM;
    }
    if (nrows <= 0) return ND_OK;
    if (work == NULL || table == NULL || w == NULL) return ND_E_NOMEM;
    if (ndraws < 0) ndraws = 0;
    lgK = ceil_log2((uint64_t)K);
    nd_bits_expect(bits, (size_t)nrows * (size_t)ndraws);
    for (r = 0; r < nrows; r++) {
        if (!alias_build_row((const char *)w + r * w_rs, K, w_cs, table, (int64_t *)work, lgK)) {
            if (bad_row) *bad_row = r;
            return ND_E_BAD_PARAM;
        }
        alias_fill_row(bits, ndraws, (uint64_t)K, table, (char *)out + r * out_rs, out_ds);
    }
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* CDF path                                                                  */

/* Up to this K the index is found by a branch-free linear count, above it by
 * a branch-free binary search. Measured (ns per search, random x, -O3 x86-64
 * baseline): K=2 0.9 / 1.1, K=4 1.6 / 1.6, K=8 3.0 / 2.3, K=16 5.7 / 3.1,
 * K=32 9.9 / 4.0, K=128 36 / 6.2 (GCC does not vectorise the count, and the
 * searches of successive draws overlap out of order). */
#define CDF_LINEAR_MAX_K 4

/* Cumulative sum of w_j * pre into cum; returns the total. Serial, left to
 * right: cum is nondecreasing and cum[j] > cum[j-1] implies w_j > 0. */
static double row_cumsum(const char *row, intptr_t K, intptr_t cs, double pre, double *cum)
{
    double c = 0.0;
    intptr_t j;
    if (pre == 1.0) {
        for (j = 0; j < K; j++) { c += LDW(row, j, cs); cum[j] = c; }
    } else {
        for (j = 0; j < K; j++) { c += LDW(row, j, cs) * pre; cum[j] = c; }
    }
    return c;
}

/* Cheap validation on the cumsum pass: min weight tracked separately. */
static double row_cumsum_min(const char *row, intptr_t K, intptr_t cs, double *cum,
                             double *pmin)
{
    double c = 0.0, mn = 0.0;
    intptr_t j;
    for (j = 0; j < K; j++) {
        double a = LDW(row, j, cs);
        c += a;
        cum[j] = c;
        mn = a < mn ? a : mn;
    }
    *pmin = mn;
    return c;
}

/* Last index whose cumulative sum rises (so its weight is positive). */
static intptr_t last_positive(const double *cum, intptr_t K)
{
    intptr_t i = K - 1;
    while (i > 0 && !(cum[i] > cum[i - 1])) i--;
    return i; /* i == 0: cum[0] == total > 0, so w_0 > 0 */
}

static inline intptr_t cdf_linear(const double *cum, intptr_t K, double x)
{
    intptr_t i, c = 0;
    for (i = 0; i < K; i++) c += cum[i] <= x;
    return c;
}

/* First index with cum[j] > x, or K if none (branch-free upper bound). */
static inline intptr_t cdf_bsearch(const double *cum, intptr_t K, double x)
{
    const double *base = cum;
    intptr_t n = K;
    while (n > 1) {
        intptr_t half = n >> 1;
        base = base[half] <= x ? base + half : base;
        n -= half;
    }
    return (base - cum) + (*base <= x);
}

int random_categorical_cdf_fill(nd_bits_t *bits, intptr_t nrows, intptr_t ndraws,
                                intptr_t K, const double *w, intptr_t w_rs, intptr_t w_cs,
                                int64_t *out, intptr_t out_rs, intptr_t out_ds,
                                double *work, intptr_t *bad_row)
{
    intptr_t r;
    if (K <= 0) {
        if (bad_row) *bad_row = 0;
        return ND_E_BAD_PARAM;
    }
    if (nrows <= 0) return ND_OK;
    if (work == NULL || w == NULL) return ND_E_NOMEM;
    if (ndraws < 0) ndraws = 0;
    nd_bits_expect(bits, (size_t)nrows * (size_t)ndraws);

    for (r = 0; r < nrows; r++) {
        const char *row = (const char *)w + r * w_rs;
        char *o = (char *)out + r * out_rs;
        double mn, total = row_cumsum_min(row, K, w_cs, work, &mn);
        intptr_t k;
        if (!(mn >= 0.0 && total <= DBL_MAX && total > 0.0)) {
            if (!(mn >= 0.0 && total > 0.0) || row_has_bad_value(row, K, w_cs)) {
                if (bad_row) *bad_row = r;
                return ND_E_BAD_PARAM;
            }
            total = row_cumsum(row, K, w_cs, 0x1p-200, work); /* overflowed */
        } else if (total < 0x1p-900) {
            total = row_cumsum(row, K, w_cs, 0x1p900, work); /* subnormal range */
        }
        for (k = 0; k < ndraws; k++) {
            uint64_t u;
            double x;
            intptr_t j;
            if (bits->pos == bits->end) nd_bits_refill(bits);
            u = *bits->pos++;
            x = (double)(u >> 11) * (1.0 / 9007199254740992.0) * total;
            j = K <= CDF_LINEAR_MAX_K ? cdf_linear(work, K, x) : cdf_bsearch(work, K, x);
            if (j >= K) j = last_positive(work, K);
            *(int64_t *)(o + k * out_ds) = (int64_t)j;
        }
    }
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* Path choice                                                               */

/* log2 without libm: exponent plus a linear mantissa term (error < 0.09). */
static double log2_approx(double x)
{
    int e = 0;
    while (x >= 2.0) { x *= 0.5; e++; }
    return (double)e + (x - 1.0);
}

/* Cost model, ns per row, fitted to bench_categorical.c's calibration table
 * (-O3, x86-64 baseline, AMD EPYC Zen 4 at ~3.4 GHz, one thread):
 *   alias (fused build + draw):  25 + 5.8*K + a*n,  a = 1.5 ns/draw (table in
 *                                L1/L2), 2.5 ns/draw for K > 4096;
 *   cdf:                         5 + 0.8*K + s*n,   s = 0.4 + 1.15*log2(K) ns per
 *                                draw (branch-free binary search), plus
 *                                3*(log2(K) - 12) for K > 4096 (cache misses).
 * Measured break-even draws per row (alias pays above): K=8 ~30, K=16 ~32,
 * K=100 ~100, K=256 ~180, K=1000 ~500, K=4096 ~1600, K=1e5 >4096 (model 16000).
 * The model reproduces these within the timing noise; at K=2..4 the two paths
 * cost about the same per draw, so the table is rarely worth it. */
int nd_categorical_prefer_alias(intptr_t K, intptr_t ndraws_per_row)
{
    double n = (double)ndraws_per_row, k = (double)K, lg;
    double alias_cost, cdf_cost, a = 1.5, s;
    if (K <= 1 || ndraws_per_row <= 1 || K > ND_ALIAS_MAX_K) return 0;
    lg = log2_approx(k);
    s = 0.4 + 1.15 * lg;
    if (K > 4096) {
        a = 2.5;
        s += 3.0 * (lg - 12.0);
    }
    alias_cost = 25.0 + 5.8 * k + a * n;
    cdf_cost = 5.0 + 0.8 * k + s * n;
    return alias_cost < cdf_cost;
}
