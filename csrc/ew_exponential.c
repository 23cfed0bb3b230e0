/*
 * Element-wise kernels over the standard exponential ziggurat (stream rule in
 * numdist/ziggurat.h; one exponential per element, drawn in element order, so
 * element i depends only on the words before it):
 *
 *   exponential (p0 scale = 1):          scale * E
 *   laplace     (p0 loc = 0, p1 scale = 1): loc + scale * (+-E), the sign minus
 *                when bit 8 of the element's first word is set (the ziggurat does
 *                not use that bit, so sign and E are independent)
 *   gumbel      (p0 loc = 0, p1 scale = 1): loc - scale * log(E) (numdist's log;
 *                E = 0, probability ~2^-61, gives loc + scale * inf)
 *
 * f64 kernels compute in double; f32 kernels convert the float parameters to
 * double, compute in double and round once to float.  Products are rounded,
 * then sums (no contraction).
 */
#include "ew_common.h"

/* Expected words per exponential (measured: 1 + the rejection rate). */
#define EXP_WORDS 1.034

static void fill_exp(nd_bits_t *b, intptr_t c, double *z) { nd_exponential_fill(b, c, z, 0); }
static void fill_lap(nd_bits_t *b, intptr_t c, double *z) { nd_exponential_fill(b, c, z, 1); }

/* log of E >= 0 with log(0) = -inf, branch-free (nd_log_pos(0) is finite junk,
 * never used) */
static inline double exp_log(double x)
{
    double l = nd_log_pos(x);
    return x > 0.0 ? l : -1.0 / 0.0;
}

EW_PASS2(pass_scale_d, double, a * x)
EW_PASS2(pass_scale_f, float, a * x)
EW_PASS2(pass_affine_d, double, a + b * x)
EW_PASS2(pass_affine_f, float, a + b * x)
EW_PASS2(pass_gumbel_d, double, a - b * exp_log(x))
EW_PASS2(pass_gumbel_f, float, a - b * exp_log(x))

static EW_KERNEL_FILL(exponential_scaled_f64, double, fill_exp, pass_scale_d, &ew_one_d, &ew_one_d, EXP_WORDS)

/* scale NULL: 1 * E == E exactly, so the contiguous case is the bare fill */
void nd_ew_exponential_f64(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,
                           intptr_t s0, const char *p1, intptr_t s1)
{
    if (p0 == NULL && os == 8 && n > 0) {
        nd_bits_expect(bits, (size_t)((double)n * EXP_WORDS) + 1);
        nd_exponential_fill(bits, n, (double *)(void *)out, 0);
        return;
    }
    exponential_scaled_f64(bits, n, out, os, p0, s0, p1, s1);
}
EW_KERNEL_FILL(nd_ew_exponential_f32, float, fill_exp, pass_scale_f, &ew_one_f, &ew_one_f, EXP_WORDS)
EW_KERNEL_FILL(nd_ew_laplace_f64, double, fill_lap, pass_affine_d, &ew_zero_d, &ew_one_d, EXP_WORDS)
EW_KERNEL_FILL(nd_ew_laplace_f32, float, fill_lap, pass_affine_f, &ew_zero_f, &ew_one_f, EXP_WORDS)
EW_KERNEL_FILL(nd_ew_gumbel_f64, double, fill_exp, pass_gumbel_d, &ew_zero_d, &ew_one_d, EXP_WORDS)
EW_KERNEL_FILL(nd_ew_gumbel_f32, float, fill_exp, pass_gumbel_f, &ew_zero_f, &ew_one_f, EXP_WORDS)

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
        nd_bits_expect(bits, (size_t)((double)n * EXP_WORDS) + 1);                        \
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
