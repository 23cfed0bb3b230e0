/*
 * Multinomial rows by conditional binomials (rules in numdist/binomial.h):
 * O(K) work per row whatever the count, K - 1 binomial draws at most.
 */
#include <float.h>

#include "numdist/binomial.h"
#include "numdist/strided.h"

#define ROW_AT(T, base, off) (*(const T *)((const char *)(base) + (off)))
#define OUT_AT(base, off) (*(int64_t *)((char *)(base) + (off)))

/* One row: suffix sums into S (K doubles) from the probabilities read by GET;
 * then the conditional binomials.  GET(j) is p_j as a double. */
#define MULTINOMIAL_ROW(GET)                                                              \
    do {                                                                                  \
        int bad = nn < 0 || nn > ND_BINOMIAL_MAX_N;                                       \
        double acc = 0.0;                                                                 \
        int64_t rem = nn;                                                                 \
        intptr_t j;                                                                       \
        for (j = K - 1; j >= 0 && !bad; j--) {                                            \
            double pj = GET(j);                                                           \
            if (!(pj >= 0.0 && pj <= DBL_MAX)) bad = 1; /* NaN, negative, inf */           \
            acc += pj;                                                                    \
            S[j] = acc;                                                                   \
        }                                                                                 \
        if (bad || !(acc > 0.0) || !(acc <= DBL_MAX)) {                                   \
            for (j = 0; j < K; j++) OUT_AT(o, j * o_cs) = -1;                             \
            break;                                                                        \
        }                                                                                 \
        for (j = 0; j < K - 1; j++) {                                                     \
            int64_t x = 0;                                                                \
            if (rem > 0) {                                                                \
                double ratio = S[j] > 0.0 ? GET(j) / S[j] : 0.0;                          \
                x = nd_binomial(bits, rem, ratio < 1.0 ? ratio : 1.0);                    \
                rem -= x;                                                                 \
            }                                                                             \
            OUT_AT(o, j * o_cs) = x;                                                      \
        }                                                                                 \
        OUT_AT(o, (K - 1) * o_cs) = rem;                                                  \
    } while (0)

#define MULTINOMIAL_FILL(fname, T)                                                        \
    int fname(nd_bits_t *bits, intptr_t nrows, intptr_t K, const int64_t *n, intptr_t n_rs, \
              const T *p, intptr_t p_rs, intptr_t p_cs, int64_t *out, intptr_t o_rs,      \
              intptr_t o_cs, double *work)                                                \
    {                                                                                     \
        double stack[ND_MULTINOMIAL_STACK_K];                                             \
        double *S = work;                                                                 \
        intptr_t r;                                                                       \
        if (nrows <= 0 || K <= 0) return ND_OK;                                           \
        if (S == NULL) {                                                                  \
            if (K > ND_MULTINOMIAL_STACK_K) return ND_E_NOMEM;                            \
            S = stack;                                                                    \
        }                                                                                 \
        for (r = 0; r < nrows; r++) {                                                     \
            const char *pr = (const char *)p + r * p_rs;                                  \
            char *o = (char *)out + r * o_rs;                                             \
            int64_t nn = ROW_AT(int64_t, n, r * n_rs);                                    \
            MULTINOMIAL_ROW(GET_##T);                                                     \
        }                                                                                 \
        return ND_OK;                                                                     \
    }

#define GET_double(j) ROW_AT(double, pr, (j) * p_cs)
#define GET_float(j) ((double)ROW_AT(float, pr, (j) * p_cs))

MULTINOMIAL_FILL(random_multinomial_fill, double)
MULTINOMIAL_FILL(random_multinomial_fill_f, float)
