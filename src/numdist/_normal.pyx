# cython: language_level=3, boundscheck=False, wraparound=False
"""Binding of the Normal kernels (csrc/normal.c, csrc/special.c).

Callers (numdist.random, numdist.normal) hand over arrays that are already
validated, of one float dtype and broadcast to the output shape (zero strides
for broadcast dims): this module only walks them and releases the GIL.
"""
cimport numpy as cnp
from libc.stdint cimport intptr_t

from numdist._common cimport operand_init, strided_operand, nd_outer_next
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


def normal_fill(rng, str method, cnp.ndarray out, loc=None, scale=None):
    """Fill ``out`` in place with loc + scale * N(0, 1) draws.

    ``out`` is a writeable float32/float64 array of any strides; ``loc`` and
    ``scale`` are None or arrays of out's dtype and shape (broadcast views)."""
    cdef nd_normal_method m = METHODS[method]
    cdef int ndim = out.ndim
    cdef intptr_t n = out.shape[ndim - 1] if ndim > 0 else 1
    cdef bint f32 = out.dtype.itemsize == 4
    cdef strided_operand o, l, s
    cdef bint has_loc = loc is not None, has_scale = scale is not None
    cdef RandomSource src
    if out.size == 0:
        return out
    operand_init(&o, out, ndim)
    if has_loc:
        operand_init(&l, loc, ndim)
    if has_scale:
        operand_init(&s, scale, ndim)
    src = random_source(rng)
    with src:
        with nogil:
            while True:
                if f32:
                    random_normal_fill_f(
                        src.bits, m, n, <float *>(o.data + o.it.offset), o.inner_stride,
                        <float *>(l.data + l.it.offset) if has_loc else NULL, l.inner_stride if has_loc else 0,
                        <float *>(s.data + s.it.offset) if has_scale else NULL, s.inner_stride if has_scale else 0)
                else:
                    random_normal_fill(
                        src.bits, m, n, <double *>(o.data + o.it.offset), o.inner_stride,
                        <double *>(l.data + l.it.offset) if has_loc else NULL, l.inner_stride if has_loc else 0,
                        <double *>(s.data + s.it.offset) if has_scale else NULL, s.inner_stride if has_scale else 0)
                if has_loc:
                    nd_outer_next(&l.it)
                if has_scale:
                    nd_outer_next(&s.it)
                if not nd_outer_next(&o.it):
                    break
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
