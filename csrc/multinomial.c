/*
 * Multinomial rows (rules in numdist/binomial.h): K - 1 conditional binomials,
 * or, for a count of at most ND_MULTINOMIAL_ALIAS_PER_K * K, that many alias-table
 * draws counted; O(K) work per row whatever the count.
 */
#include <float.h>

#include "numdist/binomial.h"
#include "numdist/categorical.h"
#include "numdist/strided.h"

#define ROW_AT(T, base, off) (*(const T *)((const char *)(base) + (off)))
#define OUT_AT(base, off) (*(int64_t *)((char *)(base) + (off)))

size_t nd_multinomial_work_bytes(intptr_t K)
{
    if (K <= 0) return 0;
    return (size_t)K * sizeof(double) + (size_t)K * sizeof(nd_alias_entry) + nd_alias_work_bytes(K);
}

/* The row in doubles into S (validated: -1 counts for a bad row), then the
 * counts.  S[j] = p_j + ... + p_{K-1} on the binomial path; the weights
 * themselves on the alias path. */
static inline double prob_at(const char *pr, intptr_t p_cs, int f32, intptr_t j)
{
    return f32 ? (double)ROW_AT(float, pr, j * p_cs) : ROW_AT(double, pr, j * p_cs);
}

static void multinomial_row(nd_bits_t *bits, intptr_t K, int64_t nn, const char *pr, intptr_t p_cs, int f32,
                            double *S, nd_alias_entry *table, void *awork, char *o, intptr_t o_cs)
{
    int bad = nn < 0 || nn > ND_BINOMIAL_MAX_N;
    double acc = 0.0;
    int64_t rem = nn;
    intptr_t j;
    for (j = K - 1; j >= 0 && !bad; j--) {
        double pj = S[j];
        if (!(pj >= 0.0 && pj <= DBL_MAX)) bad = 1; /* NaN, negative, inf */
        acc += pj;
    }
    if (bad || !(acc > 0.0) || !(acc <= DBL_MAX)) {
        for (j = 0; j < K; j++) OUT_AT(o, j * o_cs) = -1;
        return;
    }
    if (nn <= ND_MULTINOMIAL_ALIAS_PER_K * (int64_t)K && K > 1) {
        /* few trials per category: count nn alias draws (one word each) */
        int64_t t;
        if (nd_alias_build_batch(1, K, S, 0, (intptr_t)sizeof(double), table, awork, NULL) == ND_OK) {
            nd_bits_expect(bits, (size_t)nn);
            for (j = 0; j < K; j++) OUT_AT(o, j * o_cs) = 0;
            for (t = 0; t < nn; t++) OUT_AT(o, nd_alias_draw(table, (uint64_t)K, nd_bits_next64(bits)) * o_cs) += 1;
            return;
        }
    }
    /* suffix sums, accurate for small tails; then the conditional binomials */
    acc = 0.0;
    for (j = K - 1; j >= 0; j--) {
        acc += S[j];
        S[j] = acc;
    }
    for (j = 0; j < K - 1; j++) {
        int64_t x = 0;
        if (rem > 0) {
            double ratio = S[j] > 0.0 ? prob_at(pr, p_cs, f32, j) / S[j] : 0.0;
            x = nd_binomial(bits, rem, ratio < 1.0 ? ratio : 1.0);
            rem -= x;
        }
        OUT_AT(o, j * o_cs) = x;
    }
    OUT_AT(o, (K - 1) * o_cs) = rem;
}

#define MULTINOMIAL_FILL(fname, T)                                                        \
    int fname(nd_bits_t *bits, intptr_t nrows, intptr_t K, const int64_t *n, intptr_t n_rs, \
              const T *p, intptr_t p_rs, intptr_t p_cs, int64_t *out, intptr_t o_rs,      \
              intptr_t o_cs, void *work)                                                  \
    {                                                                                     \
        double stack_s[ND_MULTINOMIAL_STACK_K];                                           \
        nd_alias_entry stack_t[ND_MULTINOMIAL_STACK_K];                                   \
        int64_t stack_w[2 * (ND_MULTINOMIAL_STACK_K + 2)];                                \
        double *S;                                                                        \
        nd_alias_entry *table;                                                            \
        void *awork;                                                                      \
        intptr_t r, j;                                                                    \
        if (nrows <= 0 || K <= 0) return ND_OK;                                           \
        if (work == NULL) {                                                               \
            if (K > ND_MULTINOMIAL_STACK_K) return ND_E_NOMEM;                            \
            S = stack_s;                                                                  \
            table = stack_t;                                                              \
            awork = stack_w;                                                              \
        } else {                                                                          \
            table = (nd_alias_entry *)work;                                               \
            S = (double *)(void *)(table + K);                                            \
            awork = (void *)(S + K);                                                      \
        }                                                                                 \
        for (r = 0; r < nrows; r++) {                                                     \
            const char *pr = (const char *)p + r * p_rs;                                  \
            for (j = 0; j < K; j++) S[j] = (double)ROW_AT(T, pr, j * p_cs);               \
            multinomial_row(bits, K, ROW_AT(int64_t, n, r * n_rs), pr, p_cs,              \
                            sizeof(T) == 4, S, table, awork, (char *)out + r * o_rs, o_cs); \
        }                                                                                 \
        return ND_OK;                                                                     \
    }

MULTINOMIAL_FILL(random_multinomial_fill, double)
MULTINOMIAL_FILL(random_multinomial_fill_f, float)
