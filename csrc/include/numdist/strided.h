/*
 * Strided buffer conventions shared by all kernels.
 *
 * Every array a kernel reads or writes is given as a base pointer plus byte
 * strides (negative allowed, zero for broadcast dimensions), as NumPy stores
 * views, so callers never copy. Kernels return an int status: ND_OK, or a
 * negative ND_E* code (with the failing batch index written to an out-param
 * where the kernel documents one). They never print, abort or allocate
 * behind the caller's back.
 */
#ifndef NUMDIST_STRIDED_H
#define NUMDIST_STRIDED_H

#include <stddef.h>
#include <stdint.h>

#define ND_OK 0
#define ND_E_NOT_PD (-1)     /* Cholesky: matrix not positive definite */
#define ND_E_BAD_PARAM (-2)  /* a parameter is NaN, inf or out of its domain */
#define ND_E_NOMEM (-3)      /* caller-provided workspace too small / malloc failed */

#define ND_AT(type, base, byte_offset) (*(type *)((char *)(base) + (byte_offset)))

#define ND_MAXDIM 32

/* Walk the outer dimensions of an n-d strided array (all but the last),
 * giving the byte offset of each inner row. Usage:
 *   nd_outer_iter it; nd_outer_init(&it, ndim, shape, strides);
 *   do { ... base + it.offset ... } while (nd_outer_next(&it));
 * For ndim <= 1 there is exactly one row at offset 0. */
typedef struct nd_outer_iter {
    int ndim;                 /* outer dims = ndim - 1 */
    intptr_t shape[ND_MAXDIM];
    intptr_t strides[ND_MAXDIM];
    intptr_t index[ND_MAXDIM];
    intptr_t offset;
} nd_outer_iter;

static inline void nd_outer_init(nd_outer_iter *it, int ndim, const intptr_t *shape,
                                 const intptr_t *strides)
{
    int i;
    it->ndim = ndim > 0 ? ndim - 1 : 0;
    for (i = 0; i < it->ndim; i++) {
        it->shape[i] = shape[i];
        it->strides[i] = strides[i];
        it->index[i] = 0;
    }
    it->offset = 0;
}

static inline int nd_outer_next(nd_outer_iter *it)
{
    int i;
    for (i = it->ndim - 1; i >= 0; i--) {
        if (++it->index[i] < it->shape[i]) {
            it->offset += it->strides[i];
            return 1;
        }
        it->offset -= it->strides[i] * (it->shape[i] - 1);
        it->index[i] = 0;
    }
    return 0;
}

/* Position it at outer row `row` (rows counted in C order over the outer dims). */
static inline void nd_outer_seek(nd_outer_iter *it, intptr_t row)
{
    int i;
    it->offset = 0;
    for (i = it->ndim - 1; i >= 0; i--) {
        intptr_t n = it->shape[i] > 0 ? it->shape[i] : 1;
        it->index[i] = row % n;
        row /= n;
        it->offset += it->index[i] * it->strides[i];
    }
}

#endif
