# cython: language_level=3
"""Helpers shared by every binding: walking NumPy views without copying them."""
cimport numpy as cnp
from libc.stdint cimport intptr_t

cnp.import_array()


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
