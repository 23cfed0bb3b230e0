/*
 * The element-wise kernel table (numdist/elementwise.h) and the normal
 * adaptors.  Per entry: name, parameters in order with the default of a NULL
 * parameter, output type, stream rule (details in the family's source):
 *
 *   normal             (loc = 0, scale = 1)  float: random_normal_fill(_f) with the
 *                      ziggurat: the same numbers (normal.h's stream rule)
 *   normal_box_muller  (loc = 0, scale = 1)  float: the same with Box-Muller
 *   uniform            (low = 0, high = 1)   float: one word per element
 *                      (uniform.c); f64 53-bit, f32 24-bit u; r < high when high > low
 *   exponential        (scale = 1)           float: scale * E, E the exponential
 *                      ziggurat of ziggurat.h (below)
 *   laplace            (loc = 0, scale = 1)  float: loc + scale * (+-E), sign from
 *                      bit 8 of the element's first word
 *   cauchy             (loc = 0, scale = 1)  float: loc + scale * N1 / N2, two
 *                      ziggurat normals per element (cauchy.c)
 *   gumbel             (loc = 0, scale = 1)  float: loc - scale * log(E)
 *   bernoulli          (probs = 0.5)         float 0/1: one word, u = (w >> 12) 2^-52,
 *                      1 iff u < p; NaN probs -> NaN (uniform.c)
 *   geometric          (probs = 0.5)         int64: trials >= 1 (numpy's convention),
 *                      1 + floor(E / -log1p(-p)); p = 1 -> 1, p = 0 -> INT64_MAX,
 *                      p NaN or outside [0, 1] -> -1 (ew_exponential.c)
 *   geometric_failures (probs = 0.5)         int64: failures >= 0 (torch's
 *                      convention), floor(E / -log1p(-p)); p = 1 -> 0, otherwise
 *                      as geometric minus 1 (INT64_MAX and -1 unchanged)
 *   standard_gamma     (concentration = 1)   float: G(a), the rule of
 *                      nd_standard_gamma (numdist/gamma.h: Marsaglia-Tsang,
 *                      boosting below 1); bad a -> NaN, a = inf -> inf (gamma.c)
 *   log_standard_gamma (concentration = 1)   float: log G(a) in log space, the
 *                      same words as standard_gamma
 *   chisquare          (df = 1)              float: 2 G(df/2)
 *   standard_t         (df = 1)              float: N, then G(df/2): N / sqrt(G/(df/2));
 *                      df = inf -> N
 *   beta               (a = 1, b = 1)        float: G(a), then G(b): G(a)/(G(a)+G(b)),
 *                      in log space unless a, b >= 1
 *   lognormal          (loc = 0, scale = 1)  float: exp(loc + scale * z), z the normal
 *                      kernel's ziggurat normal (lognormal.c)
 *   weibull            (concentration = 1)   float: E ** (1/a), E the exponential
 *                      kernel's draw; E = 0 or a = 0 -> 0 (weibull.c)
 *   poisson            (lam = 1)             int64: nd_poisson (numdist/poisson.h:
 *                      inversion below 10, PTRS above); lam NaN or < 0 -> -1,
 *                      lam > 2^63 - 2^36 or inf -> INT64_MAX (poisson.c)
 *   negative_binomial_odds (n = 1, odds = 1) int64: G(n) then Poisson(G(n) odds),
 *                      failures before the n-th success, odds = (1-p)/p; NaN or
 *                      negative -> -1, n or odds 0 -> 0, inf -> INT64_MAX
 *   binomial           (total_count = 1, probs = 0.5)  int64: nd_binomial of
 *                      numdist/binomial.h (inversion below n q = 10, BTRS above);
 *                      total_count read in the parameters' float type, an integer
 *                      in [0, 2^62]; otherwise, or probs NaN / outside [0, 1]: -1
 *                      (binomial.c)
 *   truncated_normal   (a = -inf, b = inf)   float: N(0, 1) conditioned on [a, b]
 *                      (standardised bounds), exact rejection samplers with
 *                      bounded acceptance at any truncation (truncated_normal.c)
 *
 * f64 kernels read double parameters, f32 kernels float parameters; f32 results
 * are computed in double and rounded once, except f32 uniform (float arithmetic,
 * 24-bit u) and the f32 normal (normal.h's float32 rules).  Outputs and
 * parameters must be aligned to their element type.
 */
#include <string.h>

#include "ew_common.h"
#include "numdist/normal.h"

/* kernels defined in the family sources */
ND_EW_DECLARE(uniform);
ND_EW_DECLARE(bernoulli);
ND_EW_DECLARE(cauchy);
ND_EW_DECLARE(geometric);
ND_EW_DECLARE(geometric_failures);
ND_EW_DECLARE(standard_gamma);
ND_EW_DECLARE(log_standard_gamma);
ND_EW_DECLARE(chisquare);
ND_EW_DECLARE(standard_t);
ND_EW_DECLARE(beta);
ND_EW_DECLARE(lognormal);
ND_EW_DECLARE(weibull);
ND_EW_DECLARE(poisson);
ND_EW_DECLARE(negative_binomial_odds);
ND_EW_DECLARE(binomial);
ND_EW_DECLARE(truncated_normal);

/* ---- thin compositions of other kernels' fills ------------------------------ */

void nd_ew_normal_f64(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,
                      intptr_t s0, const char *p1, intptr_t s1)
{
    random_normal_fill(bits, ND_NORMAL_ZIGGURAT, n, (double *)(void *)out, os,
                       (const double *)(const void *)p0, s0, (const double *)(const void *)p1, s1);
}

void nd_ew_normal_f32(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,
                      intptr_t s0, const char *p1, intptr_t s1)
{
    random_normal_fill_f(bits, ND_NORMAL_ZIGGURAT, n, (float *)(void *)out, os,
                         (const float *)(const void *)p0, s0, (const float *)(const void *)p1, s1);
}

void nd_ew_normal_box_muller_f64(nd_bits_t *bits, intptr_t n, char *out, intptr_t os,
                                 const char *p0, intptr_t s0, const char *p1, intptr_t s1)
{
    random_normal_fill(bits, ND_NORMAL_BOX_MULLER, n, (double *)(void *)out, os,
                       (const double *)(const void *)p0, s0, (const double *)(const void *)p1, s1);
}

void nd_ew_normal_box_muller_f32(nd_bits_t *bits, intptr_t n, char *out, intptr_t os,
                                 const char *p0, intptr_t s0, const char *p1, intptr_t s1)
{
    random_normal_fill_f(bits, ND_NORMAL_BOX_MULLER, n, (float *)(void *)out, os,
                         (const float *)(const void *)p0, s0, (const float *)(const void *)p1, s1);
}

/* Over the exponential ziggurat fill of ziggurat.h (one exponential per element,
 * in element order; f32 computes in double and rounds once; products rounded,
 * then sums). */
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

static EW_KERNEL_FILL(exponential_scaled_f64, double, fill_exp, pass_scale_d, &ew_one_d, &ew_one_d, EW_EXP_WORDS)

/* scale NULL: 1 * E == E exactly, so the contiguous case is the bare fill */
void nd_ew_exponential_f64(nd_bits_t *bits, intptr_t n, char *out, intptr_t os, const char *p0,
                           intptr_t s0, const char *p1, intptr_t s1)
{
    if (p0 == NULL && os == 8 && n > 0) {
        nd_bits_expect(bits, (size_t)((double)n * EW_EXP_WORDS) + 1);
        nd_exponential_fill(bits, n, (double *)(void *)out, 0);
        return;
    }
    exponential_scaled_f64(bits, n, out, os, p0, s0, p1, s1);
}
EW_KERNEL_FILL(nd_ew_exponential_f32, float, fill_exp, pass_scale_f, &ew_one_f, &ew_one_f, EW_EXP_WORDS)
EW_KERNEL_FILL(nd_ew_laplace_f64, double, fill_lap, pass_affine_d, &ew_zero_d, &ew_one_d, EW_EXP_WORDS)
EW_KERNEL_FILL(nd_ew_laplace_f32, float, fill_lap, pass_affine_f, &ew_zero_f, &ew_one_f, EW_EXP_WORDS)
EW_KERNEL_FILL(nd_ew_gumbel_f64, double, fill_exp, pass_gumbel_d, &ew_zero_d, &ew_one_d, EW_EXP_WORDS)
EW_KERNEL_FILL(nd_ew_gumbel_f32, float, fill_exp, pass_gumbel_f, &ew_zero_f, &ew_one_f, EW_EXP_WORDS)

static const nd_ew_kernel ew_table[] = {
    /* name, nparams, out_int64, f64, f32, expected words per element, f64 any split */
    {"normal", 2, 0, nd_ew_normal_f64, nd_ew_normal_f32, 1.0125, 1},
    {"normal_box_muller", 2, 0, nd_ew_normal_box_muller_f64, nd_ew_normal_box_muller_f32, 1.0},
    {"uniform", 2, 0, nd_ew_uniform_f64, nd_ew_uniform_f32, 1.0},
    {"exponential", 1, 0, nd_ew_exponential_f64, nd_ew_exponential_f32, 1.034, 1},
    {"laplace", 2, 0, nd_ew_laplace_f64, nd_ew_laplace_f32, 1.034, 1},
    {"cauchy", 2, 0, nd_ew_cauchy_f64, nd_ew_cauchy_f32, 2.05},
    {"gumbel", 2, 0, nd_ew_gumbel_f64, nd_ew_gumbel_f32, 1.034, 1},
    {"bernoulli", 1, 0, nd_ew_bernoulli_f64, nd_ew_bernoulli_f32, 1.0},
    {"geometric", 1, 1, nd_ew_geometric_f64, nd_ew_geometric_f32, 1.034},
    {"geometric_failures", 1, 1, nd_ew_geometric_failures_f64, nd_ew_geometric_failures_f32, 1.034},
    {"standard_gamma", 1, 0, nd_ew_standard_gamma_f64, nd_ew_standard_gamma_f32, 2.1},
    {"log_standard_gamma", 1, 0, nd_ew_log_standard_gamma_f64, nd_ew_log_standard_gamma_f32, 2.1},
    {"chisquare", 1, 0, nd_ew_chisquare_f64, nd_ew_chisquare_f32, 2.1},
    {"standard_t", 1, 0, nd_ew_standard_t_f64, nd_ew_standard_t_f32, 3.1},
    {"beta", 2, 0, nd_ew_beta_f64, nd_ew_beta_f32, 4.2},
    {"lognormal", 2, 0, nd_ew_lognormal_f64, nd_ew_lognormal_f32, 1.0125},
    {"weibull", 1, 0, nd_ew_weibull_f64, nd_ew_weibull_f32, 1.034},
    {"poisson", 1, 1, nd_ew_poisson_f64, nd_ew_poisson_f32, 2.2},
    {"negative_binomial_odds", 2, 1, nd_ew_negative_binomial_odds_f64, nd_ew_negative_binomial_odds_f32, 4.3},
    {"binomial", 2, 1, nd_ew_binomial_f64, nd_ew_binomial_f32, 1.3},
    {"truncated_normal", 2, 0, nd_ew_truncated_normal_f64, nd_ew_truncated_normal_f32, 2.1},
};

const nd_ew_kernel *nd_ew_find(const char *name)
{
    size_t i;
    if (name == NULL) return NULL;
    for (i = 0; i < sizeof ew_table / sizeof ew_table[0]; i++)
        if (strcmp(ew_table[i].name, name) == 0) return &ew_table[i];
    return NULL;
}

const nd_ew_kernel *nd_ew_table(void) { return ew_table; }

int nd_ew_count(void) { return (int)(sizeof ew_table / sizeof ew_table[0]); }
