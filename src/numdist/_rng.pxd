# The bit generator and the RandomSource handle every sampling binding uses
# (C declarations in _kernels.pxd).
from libc.stdint cimport uint64_t
from numpy.random.bit_generator cimport BitGenerator, bitgen_t

from numdist._kernels cimport nd_bits_t, nd_xoshiro_t

cdef struct xoshiro_bitgen_state:
    nd_xoshiro_t xo
    nd_bits_t bits


cdef class Xoshiro256x8(BitGenerator):
    cdef xoshiro_bitgen_state *st
    cdef int _check_ready(self) except -1


cdef class RandomSource:
    """The random bits for one sampling call: a context manager that holds the
    bit generator's lock, with ``bits`` ready for a kernel (GIL may be released)."""
    cdef nd_bits_t *bits
    cdef nd_xoshiro_t *xo   # the stream drawn from (set by __enter__ for a NumPy generator)
    cdef nd_xoshiro_t own   # fresh stream keyed by two words of a NumPy generator
    cdef bitgen_t *numpy_bitgen   # that NumPy generator, or NULL
    cdef nd_bits_t *scalar_bits   # Xoshiro256x8's scalar-draw buffer (discarded), or NULL
    cdef object bit_generator
    cdef object lock
    cdef bint locked


cpdef RandomSource random_source(object rng)
