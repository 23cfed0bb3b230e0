# Shared by the Cython bindings: the strided-operand helper and the one chunked
# dispatch every sampler goes through (C declarations in _kernels.pxd).
from libc.stdint cimport intptr_t

from numdist._kernels cimport (ND_CHUNK_BLOCKS, ND_CHUNK_ELEMS, ND_E_BAD_PARAM, ND_E_NOMEM, ND_E_NOT_PD, ND_MAXDIM, ND_OK, nd_chunk_fn,
                               nd_cpu_count, nd_outer_init, nd_outer_iter, nd_outer_next, nd_outer_seek,
                               nd_run_chunk_range, nd_run_chunks, nd_run_parallel)
from numdist._rng cimport RandomSource, nd_bits_t, nd_xoshiro_t

cdef struct strided_operand:
    char *data
    nd_outer_iter it
    intptr_t inner_stride

cdef int operand_init(strided_operand *op, object arr, int ndim) except -1
cdef int run_chunks(RandomSource src, intptr_t nchunks, nd_chunk_fn fn, void *ctx) except -1
cdef int run_chunk_range(RandomSource src, intptr_t c0, intptr_t c1, int nthreads, nd_chunk_fn fn, void *ctx) except -1
cdef int run_row_chunks(RandomSource src, intptr_t nchunks, nd_chunk_fn fn, void *ctx, int **status,
                        str workspace) except -1
