/*
 * Element-wise samplers: one table, one signature, one dispatcher above it.
 *
 * An element-wise family draws out[i] from at most two parameters p0[i], p1[i]
 * (loc/scale, low/high, probs, ...), consuming words from an nd_bits_t one
 * element after another, so the stream rule of docs/stream-contract.md holds:
 * element i depends only on the words consumed before it, never on strides,
 * chunking or thread count.
 *
 * Every kernel has the signature nd_ew_fn.  Pointers are to the first element;
 * strides are BYTE strides (negative, or 0 for a broadcast parameter).  Every
 * pointer and stride is aligned for its element type (the dispatcher copies
 * misaligned arrays first; kernels load elements directly).  A NULL
 * parameter means the family's default (documented per entry in elementwise.c:
 * loc 0, scale 1, low 0, high 1, ...).  f64 kernels read double parameters,
 * f32 kernels float parameters; the output is the parameters' float type, or
 * int64 where `out_int64` is set.  Kernels never fail: a parameter outside its
 * domain (possible only with validation off) gives NaN, or a documented value
 * for int64 outputs, never a crash or an out-of-bounds access.
 *
 * The Cython dispatcher finds kernels by name (nd_ew_find), so adding a family
 * is a kernel in csrc/<family>.c plus one line of the table in elementwise.c.
 * Plain C99, no Python.
 */
#ifndef NUMDIST_ELEMENTWISE_H
#define NUMDIST_ELEMENTWISE_H

#include <stddef.h>
#include <stdint.h>

#include "numdist/bitgen.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*nd_ew_fn)(nd_bits_t *bits, intptr_t n, char *out, intptr_t out_stride,
                         const char *p0, intptr_t s0, const char *p1, intptr_t s1);

typedef struct nd_ew_kernel {
    const char *name;   /* e.g. "laplace" */
    int nparams;        /* 0, 1 or 2 */
    int out_int64;      /* 1: output int64, else the parameters' float type */
    nd_ew_fn f64, f32;
    double words_per_element;  /* expected words per element: a hint for NumPy sources */
    /* 1: the float64 kernel's values do not depend on where a chunk is cut into calls
     * (each element's value from the words in order, nothing carried or dropped at a
     * call's end), so the dispatcher may pass a contiguous chunk in one call; 0: the
     * per-row calls are part of the stream rule (float32 normals take two candidates
     * a word, Box-Muller pairs, the gamma and count kernels' blocks) */
    int f64_any_split;
} nd_ew_kernel;

/* The prototypes of a table kernel pair, nd_ew_<name>_f64 / _f32 (the table in
 * csrc/elementwise.c lists them, with parameters, defaults and stream rules;
 * callers find them by name with nd_ew_find). */
#define ND_EW_DECLARE(name)                                                              \
    void nd_ew_##name##_f64(nd_bits_t *bits, intptr_t n, char *out, intptr_t out_stride, \
                            const char *p0, intptr_t s0, const char *p1, intptr_t s1);   \
    void nd_ew_##name##_f32(nd_bits_t *bits, intptr_t n, char *out, intptr_t out_stride, \
                            const char *p0, intptr_t s0, const char *p1, intptr_t s1)

/* The kernel called `name`, or NULL. */
const nd_ew_kernel *nd_ew_find(const char *name);
/* The table itself, for listing (entries 0 .. nd_ew_count()-1). */
const nd_ew_kernel *nd_ew_table(void);
int nd_ew_count(void);

#ifdef __cplusplus
}
#endif
#endif
