/*
 * Geometric kernels over the standard exponential ziggurat (stream rule in
 * numdist/ziggurat.h; one exponential per element, drawn in element order, so
 * element i depends only on the words before it).  The thin compositions of the
 * exponential fill (exponential, laplace, gumbel) are in elementwise.c.
 */
#include "ew_common.h"


/* ---- geometric -----------------------------------------------------------
 * p0 probs (NULL: 0.5).  failures = floor(E / -log1p(-p)) (P(failures >= k) = (1-p)^k), trials =
 * failures + 1; one exponential per element whatever p.  Exact and defined
 * for every p:
 *   p == 1                     -> 0 failures (1 trial), without dividing;
 *   0 < p < 1                  -> as above, saturating at INT64_MAX when the
 *                                 quotient is >= 2^63 (or inf);
 *   p == 0                     -> INT64_MAX (the limit p -> 0+);
 *   p NaN, p < 0 or p > 1      -> -1 (not a count: visible, never UB).
 * No float -> int conversion of NaN, inf or an out-of-range value happens. */
#define GEO_INVALID ((int64_t)-1)

static inline int64_t geo_failures(double e, double p)
{
    double q;
    if (p == 1.0) return 0;
    if (!(p >= 0.0 && p < 1.0)) return GEO_INVALID; /* NaN, < 0, > 1 */
    if (p == 0.0) return INT64_MAX;
    q = e / -nd_log1p_neg(-p); /* >= 0; +inf if the log underflows to 0 */
    if (!(q < 0x1p63)) return INT64_MAX;
    return (int64_t)q; /* 0 <= q < 2^63: truncation = floor */
}

#define GEO_KERNEL(fname, T, ADD)                                                         \
    void fname(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,       \
               intptr_t s0, const char *p1, intptr_t s1)                                  \
    {                                                                                     \
        double z[EW_CHUNK];                                                               \
        (void)p1; (void)s1;                                                               \
        if (n <= 0) return;                                                               \
        nd_bits_expect(bits, (size_t)((double)n * EW_EXP_WORDS) + 1);                        \
        ew_default(&p0, &s0, sizeof(T) == 8 ? (const void *)&ew_half_d : (const void *)&ew_half_f); \
        while (n > 0) {                                                                   \
            intptr_t c = n < EW_CHUNK ? n : EW_CHUNK, k;                                  \
            nd_exponential_fill(bits, c, z, 0);                                           \
            for (k = 0; k < c; k++) {                                                     \
                int64_t f = geo_failures(z[k], (double)EW_AT(T, p0, k * s0));             \
                if (ADD && f >= 0 && f < INT64_MAX) f += 1;                               \
                EW_OUT(int64_t, out, k * os) = f;                                         \
            }                                                                             \
            out += c * os;                                                                \
            p0 += c * s0;                                                                 \
            n -= c;                                                                       \
        }                                                                                 \
    }

GEO_KERNEL(nd_ew_geometric_f64, double, 1)
GEO_KERNEL(nd_ew_geometric_f32, float, 1)
GEO_KERNEL(nd_ew_geometric_failures_f64, double, 0)
GEO_KERNEL(nd_ew_geometric_failures_f32, float, 0)
