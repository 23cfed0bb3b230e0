# cython: language_level=3, boundscheck=False, wraparound=False
"""Random source for every numdist sampler (docs/stream-contract.md).

``rng=`` follows SPEC 7: None (numdist's global generator), an int or a
SeedSequence (a fresh generator seeded with it), a numpy BitGenerator or
Generator (used and advanced, under its lock). Kernels see only an nd_bits_t;
with numdist's own Xoshiro256x8 they get whole vectorised blocks, with any
other NumPy bit generator they get words pulled through its bitgen_t.
"""
import threading

import numpy as np
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_IsValid
from libc.stdlib cimport free, malloc
from libc.stdint cimport uint64_t
from numpy.random.bit_generator cimport BitGenerator, bitgen_t

cdef extern from "numdist/bitgen.h":
    int ND_XO_BLOCK


cdef uint64_t xoshiro_next_uint64(void *st) noexcept nogil:
    return nd_bits_next64(&(<xoshiro_bitgen_state *>st).bits)




cdef unsigned int xoshiro_next_uint32(void *st) noexcept nogil:
    return <unsigned int>(nd_bits_next64(&(<xoshiro_bitgen_state *>st).bits) >> 32)


cdef double xoshiro_next_double(void *st) noexcept nogil:
    return nd_bits_next_double(&(<xoshiro_bitgen_state *>st).bits)


cdef class Xoshiro256x8(BitGenerator):
    """numdist's bit generator: 8 interleaved xoshiro256++ lanes, block-keyed.

    Block ``k`` of 2048 words is generated from ``(key, k)`` alone, so numdist's
    kernels fill whole vectorised blocks and split work without changing the
    numbers. It is a :class:`numpy.random.BitGenerator`, so it also drives
    ``numpy.random.Generator``.

    Parameters
    ----------
    seed : None, int, array_like[ints] or SeedSequence, optional
        As for any NumPy bit generator.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> g = np.random.Generator(nd.random.Xoshiro256x8(42))
    >>> x = nd.random.standard_normal(3, rng=g)
    >>> x.shape
    (3,)
    """

    def __init__(self, seed=None):
        BitGenerator.__init__(self, seed)
        self.st = <xoshiro_bitgen_state *>malloc(sizeof(xoshiro_bitgen_state))
        if self.st == NULL:
            raise MemoryError
        key = self._seed_seq.generate_state(2, np.uint64)
        nd_xoshiro_seed(&self.st.xo, <uint64_t>key[0], <uint64_t>key[1])
        nd_bits_init_xoshiro(&self.st.bits, &self.st.xo)
        self._bitgen.state = <void *>self.st
        self._bitgen.next_uint64 = &xoshiro_next_uint64
        self._bitgen.next_uint32 = &xoshiro_next_uint32
        self._bitgen.next_double = &xoshiro_next_double
        self._bitgen.next_raw = &xoshiro_next_uint64

    def __dealloc__(self):
        free(self.st)

    @property
    def state(self):
        """Key, next block and the words still buffered for scalar draws."""
        cdef Py_ssize_t buffered = self.st.bits.end - self.st.bits.pos
        return {
            "bit_generator": type(self).__name__,
            "state": {"key": [int(self.st.xo.key[0]), int(self.st.xo.key[1])],
                      "counter": int(self.st.xo.counter)},
            "buffered": int(buffered),
        }

    @state.setter
    def state(self, value):
        if not isinstance(value, dict) or value.get("bit_generator") != type(self).__name__:
            raise ValueError(f"state must be a dict from {type(self).__name__}.state")
        key = value["state"]["key"]
        counter = int(value["state"]["counter"])
        cdef Py_ssize_t buffered = int(value.get("buffered", 0))
        if not 0 <= buffered <= ND_XO_BLOCK or (buffered and counter == 0):
            raise ValueError("state['buffered'] out of range")
        with self.lock:
            nd_xoshiro_seed(&self.st.xo, <uint64_t>int(key[0]), <uint64_t>int(key[1]))
            nd_bits_init_xoshiro(&self.st.bits, &self.st.xo)
            self.st.xo.counter = counter
            if buffered:
                # Rebuild the partly used block so scalar draws resume exactly.
                self.st.xo.counter = counter - 1
                nd_bits_refill(&self.st.bits)
                self.st.bits.pos = self.st.bits.end - buffered

    def __reduce__(self):
        return (_restore_xoshiro, (self.state,))


def _restore_xoshiro(state):
    g = Xoshiro256x8(0)
    g.state = state
    return g


cdef class RandomSource:
    def __cinit__(self):
        self.bits = <nd_bits_t *>malloc(sizeof(nd_bits_t))
        if self.bits == NULL:
            raise MemoryError

    def __dealloc__(self):
        free(self.bits)

    def __enter__(self):
        self.lock.acquire()
        return self

    def __exit__(self, *exc):
        self.lock.release()
        return False


_global_bit_generator = Xoshiro256x8()


def manual_seed(seed):
    """Reseed numdist's global generator (used wherever ``rng=None``).

    Parameters
    ----------
    seed : int or SeedSequence

    Examples
    --------
    >>> import numdist as nd
    >>> nd.manual_seed(0); a = nd.random.standard_normal(2)
    >>> nd.manual_seed(0); b = nd.random.standard_normal(2)
    >>> bool((a == b).all())
    True
    """
    global _global_bit_generator
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer, np.random.SeedSequence)):
        raise TypeError(f"manual_seed() expects an int or SeedSequence, got {type(seed).__name__}")
    _global_bit_generator = Xoshiro256x8(seed)
    return None


def global_bit_generator():
    """The bit generator behind ``rng=None``."""
    return _global_bit_generator


def as_bit_generator(rng):
    """Resolve ``rng=`` (SPEC 7) to the BitGenerator that will be drawn from."""
    if rng is None:
        return _global_bit_generator
    if isinstance(rng, np.random.Generator):
        return rng.bit_generator
    if isinstance(rng, np.random.BitGenerator):
        return rng
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError("rng must be None, an int, a SeedSequence, a BitGenerator or a Generator, not bool")
    if isinstance(rng, (int, np.integer, np.random.SeedSequence)):
        if isinstance(rng, (int, np.integer)) and rng < 0:
            raise ValueError(f"rng seed must be non-negative, got {rng}")
        return Xoshiro256x8(rng)
    raise TypeError(
        "rng must be None, an int, a SeedSequence, a numpy BitGenerator or Generator, "
        f"not {type(rng).__name__}")


cpdef RandomSource random_source(object rng):
    """A RandomSource over ``rng`` (see :func:`as_bit_generator`); use it as
    ``with random_source(rng) as src:`` and call kernels on ``src.bits``."""
    cdef RandomSource src = RandomSource()
    cdef BitGenerator bg = as_bit_generator(rng)
    cdef nd_bitgen_t *numpy_bitgen
    src.bit_generator = bg
    src.lock = bg.lock
    src.xo = NULL
    if isinstance(bg, Xoshiro256x8):
        src.xo = &(<Xoshiro256x8>bg).st.xo
        nd_bits_init_xoshiro(src.bits, src.xo)
    else:
        capsule = bg.capsule
        if not PyCapsule_IsValid(capsule, "BitGenerator"):
            raise TypeError(f"{type(bg).__name__} does not expose a valid bitgen_t capsule")
        numpy_bitgen = <nd_bitgen_t *>PyCapsule_GetPointer(capsule, "BitGenerator")
        nd_bits_init_numpy(src.bits, numpy_bitgen)
    return src
