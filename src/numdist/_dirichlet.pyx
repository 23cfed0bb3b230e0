# cython: language_level=3, boundscheck=False, wraparound=False
"""Binding of the Dirichlet row kernel (csrc/gamma.c, numdist/gamma.h).

``dirichlet_fill(rng, out, alpha)`` fills ``out`` (shape ``(..., K)``) with
Dirichlet rows: the leading dimensions of ``out`` are flattened, in C order,
into ``nrows`` rows of K, and ``alpha`` (broadcast to ``out.shape``) gives each
row its concentrations.

Reproducibility contract (docs/stream-contract.md): rows are cut into chunks of
``rows_per_chunk = max(1, ND_CHUNK_ELEMS // K)`` whole rows (``ND_CHUNK_ELEMS``
from parallel.h, the one definition); chunk ``c`` holds rows
``[c * rows_per_chunk, (c + 1) * rows_per_chunk)`` and draws from its own block
range of the stream, rows in order, each row's K gammas in order (the kernel's
stream rule).  So the numbers depend on the seed, the shape and the dtype only,
never on the thread count.

Callers (numdist's Python families) validate concentrations first; with
validation off a row with a NaN, non-positive or infinite concentration comes
out as NaNs.
"""
import numpy as np

cimport numpy as cnp
from libc.stdint cimport intptr_t
from libc.stdlib cimport free, malloc

from numdist._common cimport nd_outer_next, nd_outer_seek, operand_init, run_row_chunks, strided_operand
from numdist._common import row_stride, rows_per_chunk
from numdist._kernels cimport (ND_DIRICHLET_STACK_K, random_dirichlet_fill,
                               random_dirichlet_fill_f)
from numdist._rng cimport nd_bits_t, random_source

cnp.import_array()




cdef struct dir_job:
    strided_operand out      # over the (nrows, K) view: outer dims = the rows
    strided_operand alpha
    intptr_t nrows, K, rpc
    bint f32
    bint even                # rows evenly strided in out and alpha: whole chunks per call
    intptr_t o_rs, a_rs
    int *status              # per chunk: 0 fine, -1 no memory


cdef void dir_chunk(void *vjob, intptr_t c, nd_bits_t *bits) noexcept nogil:
    cdef dir_job *job = <dir_job *>vjob
    # private copies: the iterators move, and chunks run on several threads at once
    cdef strided_operand o = job.out, a = job.alpha
    cdef intptr_t r = c * job.rpc
    cdef intptr_t stop = min(job.nrows, r + job.rpc)
    cdef double *work = NULL
    if job.f32 and job.K > ND_DIRICHLET_STACK_K:
        work = <double *>malloc(<size_t>job.K * sizeof(double))
        if work == NULL:
            job.status[c] = -1
            return
    if job.even:
        if job.f32:
            random_dirichlet_fill_f(bits, stop - r, job.K, <const float *>(a.data + r * job.a_rs),
                                    job.a_rs, a.inner_stride, <float *>(o.data + r * job.o_rs),
                                    job.o_rs, o.inner_stride, work)
        else:
            random_dirichlet_fill(bits, stop - r, job.K, <const double *>(a.data + r * job.a_rs),
                                  job.a_rs, a.inner_stride, <double *>(o.data + r * job.o_rs),
                                  job.o_rs, o.inner_stride)
        free(work)
        return
    nd_outer_seek(&o.it, r)
    nd_outer_seek(&a.it, r)
    while r < stop:
        # one row at a time: rows are not evenly strided
        if job.f32:
            random_dirichlet_fill_f(bits, 1, job.K, <const float *>(a.data + a.it.offset), 0,
                                    a.inner_stride, <float *>(o.data + o.it.offset), 0,
                                    o.inner_stride, work)
        else:
            random_dirichlet_fill(bits, 1, job.K, <const double *>(a.data + a.it.offset), 0,
                                  a.inner_stride, <double *>(o.data + o.it.offset), 0,
                                  o.inner_stride)
        r += 1
        nd_outer_next(&o.it)
        nd_outer_next(&a.it)
    free(work)


def dirichlet_fill(rng, cnp.ndarray out, cnp.ndarray alpha):
    """Fill ``out`` (float32 or float64, shape ``(..., K)``, K >= 1, aligned,
    writeable, any strides) in place with Dirichlet rows of concentrations
    ``alpha`` (the same dtype, aligned, already broadcast to ``out.shape``; it
    must not overlap ``out``).  Returns ``out``.  Misuse raises ValueError
    before any write."""
    cdef dir_job job
    cdef int ndim = out.ndim
    cdef intptr_t nchunks
    if ndim < 1:
        raise ValueError("out must have at least one dimension (the K categories)")
    if out.dtype != alpha.dtype or out.dtype not in (np_float32, np_float64):
        raise ValueError(f"out and alpha must be both float32 or both float64, got {out.dtype} and {alpha.dtype}")
    if not out.flags.writeable or not out.flags.aligned:
        raise ValueError("out must be writeable and aligned")
    if (<object>alpha).shape != (<object>out).shape or not alpha.flags.aligned:
        raise ValueError("alpha must be aligned and broadcast to out.shape")
    if out.size == 0:
        return out
    if np.may_share_memory(out, alpha):
        raise ValueError("alpha must not overlap out")
    job.K = out.shape[ndim - 1]
    job.nrows = out.size // job.K
    job.rpc = rows_per_chunk(job.K)
    job.f32 = out.dtype == np_float32
    o_rs, a_rs = row_stride(out), row_stride(alpha)
    job.even = o_rs is not None and a_rs is not None
    job.o_rs = o_rs if job.even else 0
    job.a_rs = a_rs if job.even else 0
    operand_init(&job.out, out, ndim)
    operand_init(&job.alpha, alpha, ndim)
    nchunks = (job.nrows + job.rpc - 1) // job.rpc
    run_row_chunks(random_source(rng), nchunks, dir_chunk, &job, &job.status, "Dirichlet")
    return out


np_float32 = np.dtype(np.float32)
np_float64 = np.dtype(np.float64)
