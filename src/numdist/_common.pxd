# Shared by the Cython bindings: C declarations of strided.h and the strided loop helper.
from libc.stdint cimport intptr_t

cdef extern from "numdist/strided.h" nogil:
    int ND_OK, ND_E_NOT_PD, ND_E_BAD_PARAM, ND_E_NOMEM, ND_MAXDIM
    ctypedef struct nd_outer_iter:
        intptr_t offset
    void nd_outer_init(nd_outer_iter *it, int ndim, const intptr_t *shape, const intptr_t *strides)
    int nd_outer_next(nd_outer_iter *it)

cdef struct strided_operand:
    char *data
    nd_outer_iter it
    intptr_t inner_stride

cdef int operand_init(strided_operand *op, object arr, int ndim) except -1
