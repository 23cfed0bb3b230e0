/*
 * lognormal (loc = 0, scale = 1), float: exp(loc + scale * z), z the standard
 * normal of the ziggurat (random_normal_fill, normal.h's stream rule: the same
 * words as the "normal" kernel), the affine step rounded as the normal kernel
 * rounds it (product, then sum), then nd_gamma_exp (gamma.h: IEEE arithmetic
 * only, within about 1 ulp of libm's exp, no libm on the sampling path).
 * f32 computes in double and rounds once.  NaN parameters give NaN; overflow
 * gives +inf, underflow 0: never undefined behaviour.
 */
#if defined(__GNUC__) && !defined(__clang__)
/* The clamps of nd_gamma_exp are selects only without trapping math: then the pass
 * vectorises (AVX2 clone).  Values are unchanged (IEEE results do not depend on it;
 * only floating-point exception flags, which numdist never reads). */
#pragma GCC optimize("no-trapping-math")
#endif
#include "ew_common.h"
#include "numdist/gamma.h"
#include "numdist/normal.h"

/* ziggurat normals per element: the normal kernel's table entry */
#define LOGNORMAL_WORDS 1.0125

/* Standard normals into a contiguous chunk (the normal fill sets the refill hint
 * of a NumPy source to this chunk's words: it draws about what the chunk uses). */
static void fill_std_normal(nd_bits_t *b, intptr_t c, double *z)
{
    random_normal_fill(b, ND_NORMAL_ZIGGURAT, c, z, (intptr_t)sizeof(double), NULL, 0, NULL, 0);
}

EW_PASS2(pass_lognormal_d, double, nd_gamma_exp(a + b * x))
EW_PASS2(pass_lognormal_f, float, nd_gamma_exp(a + b * x))

EW_KERNEL_FILL(nd_ew_lognormal_f64, double, fill_std_normal, pass_lognormal_d, &ew_zero_d, &ew_one_d, LOGNORMAL_WORDS)
EW_KERNEL_FILL(nd_ew_lognormal_f32, float, fill_std_normal, pass_lognormal_f, &ew_zero_f, &ew_one_f, LOGNORMAL_WORDS)
