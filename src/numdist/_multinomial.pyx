# cython: language_level=3, boundscheck=False, wraparound=False
"""Binding of the multinomial row kernel (csrc/multinomial.c, numdist/binomial.h).

``multinomial_fill(rng, out, n, p)`` fills ``out`` (int64, shape ``(..., K)``)
with multinomial rows: the leading dimensions of ``out`` are flattened, in C
order, into ``nrows`` rows of K counts; ``n`` (int64, broadcast to ``out.shape``,
constant along the last axis) gives each row its total count and ``p`` (float32
or float64, broadcast to ``out.shape``) its category probabilities.

Reproducibility contract (docs/stream-contract.md): rows are cut into chunks of
``rows_per_chunk = max(1, ND_CHUNK_ELEMS // K)`` whole rows, as the Dirichlet rows
are; chunk ``c`` holds rows ``[c * rows_per_chunk, (c + 1) * rows_per_chunk)`` and
draws from its own block range of the stream, rows in order (the kernel's stream
rule).  So the numbers depend on the seed, the shapes and the probabilities'
dtype only, never on the thread count or the strides.

Callers (numdist's Python families) validate first; with validation off a row with
a bad count or bad probabilities comes out as K counts of -1.
"""
import numpy as np

cimport numpy as cnp
from libc.stdint cimport int64_t, intptr_t
from libc.stdlib cimport free, malloc

from numdist._common cimport nd_outer_next, nd_outer_seek, operand_init, run_row_chunks, strided_operand
from numdist._common import row_stride, rows_per_chunk
from numdist._kernels cimport (ND_MULTINOMIAL_STACK_K, nd_multinomial_work_bytes,
                               random_multinomial_fill, random_multinomial_fill_f)
from numdist._rng cimport nd_bits_t, random_source

cnp.import_array()


cdef struct mult_job:
    strided_operand out      # over the (nrows, K) view: outer dims = the rows
    strided_operand n
    strided_operand p
    intptr_t nrows, K, rpc
    bint f32
    bint even                # rows evenly strided in out, n and p: whole chunks per call
    intptr_t o_rs, n_rs, p_rs
    int *status              # per chunk: 0 fine, -1 no memory


cdef void mult_chunk(void *vjob, intptr_t c, nd_bits_t *bits) noexcept nogil:
    cdef mult_job *job = <mult_job *>vjob
    # private copies: the iterators move, and chunks run on several threads at once
    cdef strided_operand o = job.out, nn = job.n, p = job.p
    cdef intptr_t r = c * job.rpc
    cdef intptr_t stop = min(job.nrows, r + job.rpc)
    cdef void *work = NULL
    if job.K > ND_MULTINOMIAL_STACK_K:
        work = malloc(nd_multinomial_work_bytes(job.K))
        if work == NULL:
            job.status[c] = -1
            return
    if job.even:
        if job.f32:
            random_multinomial_fill_f(bits, stop - r, job.K, <const int64_t *>(nn.data + r * job.n_rs), job.n_rs,
                                      <const float *>(p.data + r * job.p_rs), job.p_rs, p.inner_stride,
                                      <int64_t *>(o.data + r * job.o_rs), job.o_rs, o.inner_stride, work)
        else:
            random_multinomial_fill(bits, stop - r, job.K, <const int64_t *>(nn.data + r * job.n_rs), job.n_rs,
                                    <const double *>(p.data + r * job.p_rs), job.p_rs, p.inner_stride,
                                    <int64_t *>(o.data + r * job.o_rs), job.o_rs, o.inner_stride, work)
        free(work)
        return
    nd_outer_seek(&o.it, r)
    nd_outer_seek(&nn.it, r)
    nd_outer_seek(&p.it, r)
    while r < stop:
        # one row at a time: rows are not evenly strided
        if job.f32:
            random_multinomial_fill_f(bits, 1, job.K, <const int64_t *>(nn.data + nn.it.offset), 0,
                                      <const float *>(p.data + p.it.offset), 0, p.inner_stride,
                                      <int64_t *>(o.data + o.it.offset), 0, o.inner_stride, work)
        else:
            random_multinomial_fill(bits, 1, job.K, <const int64_t *>(nn.data + nn.it.offset), 0,
                                    <const double *>(p.data + p.it.offset), 0, p.inner_stride,
                                    <int64_t *>(o.data + o.it.offset), 0, o.inner_stride, work)
        r += 1
        nd_outer_next(&o.it)
        nd_outer_next(&nn.it)
        nd_outer_next(&p.it)
    free(work)


def multinomial_fill(rng, cnp.ndarray out, cnp.ndarray n, cnp.ndarray p):
    """Fill ``out`` (int64, shape ``(..., K)``, K >= 1, aligned, writeable, any
    strides) in place with multinomial rows of counts ``n`` (int64, aligned, already
    broadcast to ``out.shape``, constant along the last axis) and probabilities ``p``
    (float32 or float64, aligned, already broadcast to ``out.shape``); neither may
    overlap ``out``.  Returns ``out``.  Misuse raises ValueError before any write."""
    cdef mult_job job
    cdef int ndim = out.ndim
    cdef intptr_t nchunks
    if ndim < 1:
        raise ValueError("out must have at least one dimension (the K categories)")
    if out.dtype != np_int64 or n.dtype != np_int64:
        raise ValueError(f"out and n must be int64, got {out.dtype} and {n.dtype}")
    if p.dtype not in (np_float32, np_float64):
        raise ValueError(f"p must be float32 or float64, got {p.dtype}")
    if not out.flags.writeable or not out.flags.aligned:
        raise ValueError("out must be writeable and aligned")
    if (<object>p).shape != (<object>out).shape or (<object>n).shape != (<object>out).shape:
        raise ValueError("n and p must be broadcast to out.shape")
    if not p.flags.aligned or not n.flags.aligned:
        raise ValueError("n and p must be aligned")
    if out.size == 0:
        return out
    if np.may_share_memory(out, p) or np.may_share_memory(out, n):
        raise ValueError("n and p must not overlap out")
    job.K = out.shape[ndim - 1]
    job.nrows = out.size // job.K
    job.rpc = rows_per_chunk(job.K)
    job.f32 = p.dtype == np_float32
    o_rs, n_rs, p_rs = row_stride(out), row_stride(n), row_stride(p)
    job.even = o_rs is not None and n_rs is not None and p_rs is not None
    job.o_rs = o_rs if job.even else 0
    job.n_rs = n_rs if job.even else 0
    job.p_rs = p_rs if job.even else 0
    operand_init(&job.out, out, ndim)
    operand_init(&job.n, n, ndim)
    operand_init(&job.p, p, ndim)
    nchunks = (job.nrows + job.rpc - 1) // job.rpc
    run_row_chunks(random_source(rng), nchunks, mult_chunk, &job, &job.status, "multinomial")
    return out


np_int64 = np.dtype(np.int64)
np_float32 = np.dtype(np.float32)
np_float64 = np.dtype(np.float64)
