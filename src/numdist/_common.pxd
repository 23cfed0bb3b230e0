# Shared by the Cython bindings: strided.h declarations, the strided-operand
# helper and the one chunked dispatch every sampler goes through.
from libc.stdint cimport intptr_t

from numdist._rng cimport RandomSource, nd_bits_t, nd_xoshiro_t

cdef extern from "numdist/strided.h" nogil:
    int ND_OK, ND_E_NOT_PD, ND_E_BAD_PARAM, ND_E_NOMEM, ND_MAXDIM
    ctypedef struct nd_outer_iter:
        intptr_t offset
    void nd_outer_init(nd_outer_iter *it, int ndim, const intptr_t *shape, const intptr_t *strides)
    int nd_outer_next(nd_outer_iter *it)
    void nd_outer_seek(nd_outer_iter *it, intptr_t row)

cdef extern from "numdist/parallel.h" nogil:
    ctypedef void (*nd_chunk_fn)(void *ctx, intptr_t chunk, nd_bits_t *bits) noexcept nogil
    int nd_run_chunks(nd_xoshiro_t *xo, nd_bits_t *numpy_bits, int nthreads, intptr_t nchunks,
                      nd_chunk_fn fn, void *ctx)
    ctypedef void (*nd_task_fn)(void *ctx, intptr_t task) noexcept nogil
    int nd_run_parallel(int nthreads, intptr_t ntasks, nd_task_fn fn, void *ctx)
    int nd_cpu_count()

cdef struct strided_operand:
    char *data
    nd_outer_iter it
    intptr_t inner_stride

cdef int operand_init(strided_operand *op, object arr, int ndim) except -1
cdef int run_chunks(RandomSource src, intptr_t nchunks, nd_chunk_fn fn, void *ctx) except -1
