# cython: language_level=3, boundscheck=False, wraparound=False
"""Binding of the special functions of csrc/special.c, element-wise over float64 arrays."""
cimport numpy as cnp
from libc.stdint cimport intptr_t

from numdist._kernels cimport nd_ndtr_fill, nd_ndtri_fill

cnp.import_array()


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
