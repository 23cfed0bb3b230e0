/*
 * weibull (concentration = 1), float: E ** (1 / a) with E the exponential
 * ziggurat of ziggurat.h (one exponential per element, the "exponential"
 * kernel's words), computed as nd_gamma_exp(nd_log_pos(E) / a) (no libm):
 * numpy.random.Generator.weibull's law.  E == 0 gives 0; a == 0 gives 0 (NumPy's
 * convention); NaN a gives NaN, a < 0 whatever the formula gives (validation
 * refuses it first).  f32 computes in double and rounds once.
 */
#if defined(__GNUC__) && !defined(__clang__)
/* as lognormal.c: the exp's clamps are selects, the pass vectorises; same values */
#pragma GCC optimize("no-trapping-math")
#endif
#include "ew_common.h"
#include "numdist/gamma.h"

static void fill_exponential(nd_bits_t *b, intptr_t c, double *z) { nd_exponential_fill(b, c, z, 0); }

/* E > 0 (nd_log_pos(0) is finite junk, never used); a == 0 -> 0 */
static inline double weibull_of(double e, double a)
{
    double r = nd_gamma_exp(nd_log_pos(e) / a);
    return (e > 0.0 && a != 0.0) ? r : (a != a ? a : 0.0);
}

EW_PASS2(pass_weibull_d, double, weibull_of(x, a))
EW_PASS2(pass_weibull_f, float, weibull_of(x, a))

EW_KERNEL_FILL(nd_ew_weibull_f64, double, fill_exponential, pass_weibull_d, &ew_one_d, &ew_one_d, EW_EXP_WORDS)
EW_KERNEL_FILL(nd_ew_weibull_f32, float, fill_exponential, pass_weibull_f, &ew_one_f, &ew_one_f, EW_EXP_WORDS)
