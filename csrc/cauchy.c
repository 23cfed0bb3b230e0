/*
 * cauchy (p0 loc = 0, p1 scale = 1): loc + scale * (N1 / N2), numpy's
 * standard_cauchy method: two standard normals per element, N1 then N2, each
 * drawn by the float64 ziggurat rule of normal.h (nd_standard_normal), so the
 * normals of a draw of n are those of random_normal_fill with 2n.  N2 = 0
 * (probability ~2^-60) gives +-inf (0/0 = NaN).  f32 computes in double from
 * the float parameters and rounds once.
 */
#include "numdist/normal.h"

#include "ew_common.h"

#define CAUCHY_WORDS 2.05

EW_PASS2(pass_affine_d, double, a + b * x)
EW_PASS2(pass_affine_f, float, a + b * x)

/* c quotients into z from 2c ziggurat normals (z is out or a chunk buffer). */
static void fill_cauchy(nd_bits_t *b, intptr_t c, double *z)
{
    double nn[2 * EW_CHUNK];
    intptr_t k;
    random_normal_fill(b, ND_NORMAL_ZIGGURAT, 2 * c, nn, 8, NULL, 0, NULL, 0);
    for (k = 0; k < c; k++) z[k] = nn[2 * k] / nn[2 * k + 1];
}

EW_KERNEL_FILL(nd_ew_cauchy_f64, double, fill_cauchy, pass_affine_d, &ew_zero_d, &ew_one_d, CAUCHY_WORDS)
EW_KERNEL_FILL(nd_ew_cauchy_f32, float, fill_cauchy, pass_affine_f, &ew_zero_f, &ew_one_f, CAUCHY_WORDS)
