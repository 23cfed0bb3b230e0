# cython: language_level=3
"""Helpers shared by every binding.

Sampling goes through ``run_chunks``: the binding cuts its output into chunks
whose boundaries depend only on the output shape and supplies a nogil chunk
function; this module fixes the call's stream (``with src:``: numdist's
generator, or a fresh one keyed by two words of a NumPy generator), releases the
GIL and spreads the chunks over ``get_num_threads()`` threads.
"""
cimport numpy as cnp
from libc.stdint cimport intptr_t
from libc.stdlib cimport calloc, free

cnp.import_array()

cdef int _num_threads = nd_cpu_count()

#: Elements per chunk of an output and blocks reserved per chunk (parallel.h, the
#: one definition; docs/stream-contract.md section 3).
CHUNK_ELEMS = ND_CHUNK_ELEMS
CHUNK_BLOCKS = ND_CHUNK_BLOCKS


def set_num_threads(int n):
    """Use ``n`` threads for large draws (default: all cores).

    Results do not depend on it: each fixed chunk of the output has its own
    stream, whatever ``rng=`` is (a NumPy Generator keys numdist's streams).

    Examples
    --------
    >>> import numdist as nd
    >>> nd.set_num_threads(1); a = nd.random.standard_normal(10**6, rng=0)
    >>> nd.set_num_threads(2); b = nd.random.standard_normal(10**6, rng=0)
    >>> bool((a == b).all())
    True
    """
    global _num_threads
    if n < 1:
        raise ValueError(f"set_num_threads expects a positive number of threads, got {n}")
    _num_threads = n


def get_num_threads():
    """Number of threads numdist uses for large draws (default: all cores).

    Examples
    --------
    >>> import numdist as nd
    >>> nd.get_num_threads() >= 1
    True
    """
    return _num_threads


cdef int operand_init(strided_operand *op, object arr, int ndim) except -1:
    """Point op at arr (an ndarray already broadcast to the loop shape, zero
    strides allowed) for a loop over its first ndim-1 dims and a strided last dim."""
    cdef cnp.ndarray a = arr
    if a.ndim != ndim:
        raise ValueError("internal error: operand rank does not match the loop")
    if ndim > ND_MAXDIM:
        raise ValueError(f"arrays with more than {ND_MAXDIM} dimensions are not supported")
    op.data = <char *>cnp.PyArray_DATA(a)
    nd_outer_init(&op.it, ndim, <intptr_t *>cnp.PyArray_DIMS(a), <intptr_t *>cnp.PyArray_STRIDES(a))
    op.inner_stride = cnp.PyArray_STRIDES(a)[ndim - 1] if ndim > 0 else 0
    return 0


cdef int run_chunks(RandomSource src, intptr_t nchunks, nd_chunk_fn fn, void *ctx) except -1:
    # ``with src`` sets src.xo (never NULL inside): the Xoshiro256x8 stream this call
    # draws from; chunk c takes blocks [counter + c * ND_CHUNK_BLOCKS, ...).
    cdef int status
    cdef int nthreads = _num_threads
    with src:
        with nogil:
            status = nd_run_chunks(src.xo, src.bits, nthreads, nchunks, fn, ctx)
    if status == -2:
        raise MemoryError("could not allocate the random bit buffer")
    return 0


cdef int run_chunk_range(RandomSource src, intptr_t c0, intptr_t c1, int nthreads, nd_chunk_fn fn, void *ctx) except -1:
    # Only the chunks [c0, c1) of a draw whose first block is the stream's counter
    # (numdist.dask): chunk c takes blocks [counter + c * ND_CHUNK_BLOCKS, ...), as in
    # run_chunks, and the counter is left where it is. nthreads <= 0: get_num_threads().
    cdef int status
    if nthreads <= 0:
        nthreads = _num_threads
    with src:
        with nogil:
            status = nd_run_chunk_range(src.xo, nthreads, c0, c1, fn, ctx)
    if status == -2:
        raise MemoryError("could not allocate the random bit buffer")
    return 0


def rows_per_chunk(K):
    """Rows per chunk for row samplers (Dirichlet, Multinomial) with rows of ``K``:
    ``max(1, ND_CHUNK_ELEMS // K)`` (part of the reproducibility contract)."""
    return max(1, ND_CHUNK_ELEMS // int(K))


def row_stride(a):
    """The byte stride between consecutive rows of ``a`` (C order over all but the
    last dimension) if it is constant, else None: a row kernel can then take whole
    chunks of rows in one call."""
    shape, strides = a.shape, a.strides
    if a.ndim < 2:
        return 0
    rs = None
    for i in range(a.ndim - 2, -1, -1):
        if shape[i] == 1:
            continue
        if rs is None:
            rs = strides[i]
            inner = strides[i] * shape[i]
        elif strides[i] != inner:
            return None
        else:
            inner = strides[i] * shape[i]
    return 0 if rs is None else rs


cdef int run_row_chunks(RandomSource src, intptr_t nchunks, nd_chunk_fn fn, void *ctx, int **status,
                        str workspace) except -1:
    # run_chunks for the row samplers, whose chunk functions may need a heap workspace:
    # a chunk that cannot allocate one sets (*status)[c] = -1 and returns, and the call
    # raises MemoryError once every chunk is done (a thread cannot raise).
    cdef intptr_t c
    cdef bint nomem = False
    status[0] = <int *>calloc(<size_t>nchunks, sizeof(int))
    if status[0] == NULL:
        raise MemoryError("could not allocate the chunk status array")
    try:
        run_chunks(src, nchunks, fn, ctx)
        for c in range(nchunks):
            nomem = nomem or status[0][c] != 0
    finally:
        free(status[0])
        status[0] = NULL
    if nomem:
        raise MemoryError(f"could not allocate a {workspace} workspace")
    return 0
