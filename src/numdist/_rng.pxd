# C declarations of the bit source (csrc/include/numdist/bitgen.h, xoshiro256.h)
# and the RandomSource handle every sampling binding uses.
from libc.stdint cimport uint64_t
from numpy.random.bit_generator cimport BitGenerator, bitgen_t

cdef extern from "numdist/bitgen.h" nogil:
    ctypedef struct nd_bitgen_t:
        pass
    ctypedef struct nd_xoshiro_t:
        uint64_t key[2]
        uint64_t counter
    ctypedef struct nd_bits_t:
        uint64_t *pos
        uint64_t *end
    void nd_bits_init_numpy(nd_bits_t *b, nd_bitgen_t *bitgen)
    void nd_bits_init_xoshiro(nd_bits_t *b, nd_xoshiro_t *xo)
    void nd_bits_refill(nd_bits_t *b)
    uint64_t nd_bits_next64(nd_bits_t *b)
    double nd_bits_next_double(nd_bits_t *b)

cdef extern from "numdist/xoshiro256.h" nogil:
    void nd_xoshiro_seed(nd_xoshiro_t *xo, uint64_t key0, uint64_t key1)
    void nd_xoshiro_block(const nd_xoshiro_t *xo, uint64_t block, uint64_t *out)
    void nd_xoshiro_row_seeds(const nd_xoshiro_t *xo, uint64_t block, uint64_t *rows)


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
