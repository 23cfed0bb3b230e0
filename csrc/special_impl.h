/* Helpers shared by csrc/special_gamma.c and csrc/special_beta.c (not API). */
#ifndef NUMDIST_SPECIAL_IMPL_H
#define NUMDIST_SPECIAL_IMPL_H

/* lgamma(x) - [(x-1/2) log x - x + log sqrt(2 pi)], x >= 10 */
double nd_i_stirling_corr(double x);
/* psi(x) - log x, x >= 10 */
double nd_i_psi_minus_log(double x);
/* psi(x), x > 0, absolute accuracy (no root treatment) */
double nd_i_psi_pos(double x);
/* test hook: points where the dispatched (vector) region classifier of the gamma gradient
 * fill disagrees with the scalar one (csrc/tests/test_special.c) */
int nd_i_gamma_grad_class_mismatches(int n, const double *a, const double *x);

/* Lane loops (special_gamma.c, special_beta.c): plain C loops over the lanes of a
 * group that the compiler vectorises.  Each body is written once (GV_BODY, always
 * inlined) and compiled for AVX-512F, AVX2 and the baseline (GV_DISPATCH); the level
 * is the CPU's best capped by NUMDIST_SIMD_MAX (numdist/simd_env.h), read at load,
 * as for the sampling kernels.  Every level gives the same bits: no contraction, the
 * same operations in the same order. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define ND_I_LANES_X86 1
extern int nd_i_special_level; /* 3 AVX-512F, 2 AVX2, 0 baseline (special_gamma.c) */
#define GV_BODY static inline __attribute__((always_inline))
#define GV_DISPATCH(name, params, args)                                                   \
    __attribute__((target("avx512f"))) static void name##_512 params { name##_body args; } \
    __attribute__((target("avx2"))) static void name##_256 params { name##_body args; }    \
    static void name params                                                               \
    {                                                                                     \
        if (nd_i_special_level >= 3) name##_512 args;                                     \
        else if (nd_i_special_level == 2) name##_256 args;                                \
        else name##_body args;                                                            \
    }
#define GV_VECTOR_LEVEL (nd_i_special_level >= 2) /* AVX2 or AVX-512 */
#else
#define ND_I_LANES_X86 0
#define GV_VECTOR_LEVEL 0
#define GV_BODY static inline
#define GV_DISPATCH(name, params, args) \
    static void name params { name##_body args; }
#endif

#endif
