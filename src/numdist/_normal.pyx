# cython: language_level=3, boundscheck=False, wraparound=False
"""Binding of the Normal kernels (csrc/normal.c, csrc/special.c).

Callers (numdist.random, numdist.normal) hand over arrays that are already
validated, of one float dtype and broadcast to the output shape (zero strides
for broadcast dims): this module only walks them and releases the GIL.
"""
cimport numpy as cnp
from libc.stdint cimport intptr_t

from numdist._common cimport nd_outer_next, nd_outer_seek, operand_init, run_chunks, strided_operand
from numdist._rng cimport RandomSource, nd_bits_t, random_source

cnp.import_array()

cdef extern from "numdist/normal.h" nogil:
    ctypedef enum nd_normal_method:
        ND_NORMAL_ZIGGURAT
        ND_NORMAL_BOX_MULLER
    void random_normal_fill(nd_bits_t *bits, nd_normal_method m, intptr_t n,
                            double *out, intptr_t out_stride,
                            const double *loc, intptr_t loc_stride,
                            const double *scale, intptr_t scale_stride)
    void random_normal_fill_f(nd_bits_t *bits, nd_normal_method m, intptr_t n,
                              float *out, intptr_t out_stride,
                              const float *loc, intptr_t loc_stride,
                              const float *scale, intptr_t scale_stride)

cdef extern from "numdist/special.h" nogil:
    void nd_ndtr_fill(intptr_t n, const double *x, intptr_t xs, double *out, intptr_t os)
    void nd_ndtri_fill(intptr_t n, const double *x, intptr_t xs, double *out, intptr_t os)

METHODS = {"ziggurat": ND_NORMAL_ZIGGURAT, "box_muller": ND_NORMAL_BOX_MULLER}


# Elements per chunk: large enough that per-chunk setup is noise, small enough
# that two threads balance on a 1e6 draw. Changing it changes the numbers.
cdef enum:
    CHUNK = 65536

cdef struct normal_job:
    strided_operand out, loc, scale
    bint has_loc, has_scale, f32
    nd_normal_method method
    intptr_t n, total


cdef void normal_chunk(void *vjob, intptr_t c, nd_bits_t *bits) noexcept nogil:
    cdef normal_job *job = <normal_job *>vjob
    cdef strided_operand o = job.out, l = job.loc, s = job.scale
    cdef intptr_t start = c * CHUNK
    cdef intptr_t stop = min(job.total, start + CHUNK)
    cdef intptr_t n = job.n, col = start % n, cnt
    nd_outer_seek(&o.it, start // n)
    if job.has_loc:
        nd_outer_seek(&l.it, start // n)
    if job.has_scale:
        nd_outer_seek(&s.it, start // n)
    while start < stop:
        cnt = min(n - col, stop - start)
        if job.f32:
            random_normal_fill_f(
                bits, job.method, cnt,
                <float *>(o.data + o.it.offset + col * o.inner_stride), o.inner_stride,
                <float *>(l.data + l.it.offset + col * l.inner_stride) if job.has_loc else NULL,
                l.inner_stride if job.has_loc else 0,
                <float *>(s.data + s.it.offset + col * s.inner_stride) if job.has_scale else NULL,
                s.inner_stride if job.has_scale else 0)
        else:
            random_normal_fill(
                bits, job.method, cnt,
                <double *>(o.data + o.it.offset + col * o.inner_stride), o.inner_stride,
                <double *>(l.data + l.it.offset + col * l.inner_stride) if job.has_loc else NULL,
                l.inner_stride if job.has_loc else 0,
                <double *>(s.data + s.it.offset + col * s.inner_stride) if job.has_scale else NULL,
                s.inner_stride if job.has_scale else 0)
        start += cnt
        col = 0
        nd_outer_next(&o.it)
        if job.has_loc:
            nd_outer_next(&l.it)
        if job.has_scale:
            nd_outer_next(&s.it)


def normal_fill(rng, str method, cnp.ndarray out, loc=None, scale=None):
    """Fill ``out`` in place with loc + scale * N(0, 1) draws.

    ``out`` is a writeable, aligned float32/float64 array of any strides;
    ``loc`` and ``scale`` are None or aligned arrays of out's dtype and shape
    (broadcast views are fine)."""
    cdef normal_job job
    cdef int ndim = out.ndim
    cdef RandomSource src = random_source(rng)
    job.method = METHODS[method]
    job.f32 = out.dtype.itemsize == 4
    job.has_loc = loc is not None
    job.has_scale = scale is not None
    job.n = out.shape[ndim - 1] if ndim > 0 else 1
    job.total = out.size
    if job.total == 0:
        return out
    operand_init(&job.out, out, ndim)
    if job.has_loc:
        operand_init(&job.loc, loc, ndim)
    if job.has_scale:
        operand_init(&job.scale, scale, ndim)
    run_chunks(src, (job.total + CHUNK - 1) // CHUNK, normal_chunk, &job)
    return out


def _unary_double(fn_id, x):
    cdef cnp.ndarray xa = cnp.PyArray_FROM_OTF(x, cnp.NPY_DOUBLE, cnp.NPY_ARRAY_C_CONTIGUOUS | cnp.NPY_ARRAY_ALIGNED)
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(xa.ndim, xa.shape, cnp.NPY_DOUBLE, 0)
    cdef intptr_t n = xa.size
    cdef double *px = <double *>cnp.PyArray_DATA(xa)
    cdef double *po = <double *>cnp.PyArray_DATA(out)
    cdef int which = fn_id
    with nogil:
        if which == 0:
            nd_ndtr_fill(n, px, sizeof(double), po, sizeof(double))
        else:
            nd_ndtri_fill(n, px, sizeof(double), po, sizeof(double))
    return out


def ndtr(x):
    """Standard normal CDF, accurate in both tails (float64)."""
    return _unary_double(0, x)


def ndtri(p):
    """Inverse of :func:`ndtr` (float64)."""
    return _unary_double(1, p)
