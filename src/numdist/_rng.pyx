# cython: language_level=3, boundscheck=False, wraparound=False
"""Random source for every numdist sampler (docs/stream-contract.md).

``rng=`` follows SPEC 7: None (numdist's global generator), an int or a
SeedSequence (a fresh generator seeded with it), a numpy BitGenerator or
Generator. Kernels always draw whole vectorised Xoshiro256x8 blocks: numdist's
own generator is used directly (its key and block counter, under its lock); any
other NumPy bit generator is advanced by exactly two next_uint64 words, under its
lock, which key a fresh Xoshiro256x8 stream for the call
(docs/stream-contract.md).
"""
import threading

import numpy as np
from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_IsValid
from libc.stdlib cimport free, malloc
from libc.stdint cimport uint64_t
from numpy.random.bit_generator cimport BitGenerator, bitgen_t

from numdist._kernels cimport *

SEEDING_VERSION = ND_XO_SEEDING_VERSION


cdef uint64_t xoshiro_next_uint64(void *st) noexcept nogil:
    return nd_bits_next64(&(<xoshiro_bitgen_state *>st).bits)




cdef unsigned int xoshiro_next_uint32(void *st) noexcept nogil:
    return <unsigned int>(nd_bits_next64(&(<xoshiro_bitgen_state *>st).bits) >> 32)


cdef double xoshiro_next_double(void *st) noexcept nogil:
    return nd_bits_next_double(&(<xoshiro_bitgen_state *>st).bits)


cdef class Xoshiro256x8(BitGenerator):
    """numdist's bit generator: 8 interleaved xoshiro256++ lanes, block-keyed.

    Block ``k`` of 2048 words is generated from ``(key, k)`` alone: its four
    row seeds are Philox4x64-10 of the counter ``(k, 0, 0, 0)`` under the 128-bit
    key, and lane ``l`` of row ``w`` starts at SplitMix64 output ``l + 1`` from
    row seed ``w`` (seeding version 2, numdist >= 0.2; no two blocks of one key
    share row seeds). numdist's kernels fill whole vectorised blocks and split
    work over threads without changing the numbers (docs/stream-contract.md).
    It is a :class:`numpy.random.BitGenerator`, so it also drives
    ``numpy.random.Generator``.

    ``state`` (get/set), :mod:`pickle` and :func:`copy.deepcopy` restore the exact
    continuation, whatever mix of scalar draws (through a numpy Generator) and
    numdist block draws came before. A numdist sampler drawing from this
    generator takes whole blocks from the counter on and discards the words
    still buffered for scalar draws.

    Parameters
    ----------
    seed : None, int, array_like[ints] or SeedSequence, optional
        As for any NumPy bit generator; the key is
        ``SeedSequence(seed).generate_state(2, np.uint64)``.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> g = np.random.Generator(nd.random.Xoshiro256x8(42))
    >>> x = nd.random.standard_normal(3, rng=g)
    >>> x.shape
    (3,)
    >>> nd.random.Xoshiro256x8(42).state["seeding"]
    2
    """

    def __cinit__(self):
        self.st = NULL

    def __init__(self, seed=None):
        BitGenerator.__init__(self, seed)
        if self.st == NULL:
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
        self.st = NULL

    cdef int _check_ready(self) except -1:
        if self.st == NULL or self._bitgen.state == NULL:
            raise RuntimeError(
                f"{type(self).__name__} object is not initialised (created with __new__ "
                f"without __init__); create it as {type(self).__name__}(seed)")
        return 0

    @property
    def state(self):
        """Seeding version, key, next block and the words still buffered for scalar draws.

        ``buffered`` words are the tail of block ``counter - 1``.
        """
        self._check_ready()
        cdef Py_ssize_t buffered = self.st.bits.end - self.st.bits.pos
        return {
            "bit_generator": type(self).__name__,
            "seeding": SEEDING_VERSION,
            "state": {"key": [int(self.st.xo.key[0]), int(self.st.xo.key[1])],
                      "counter": int(self.st.xo.counter)},
            "buffered": int(buffered),
        }

    @state.setter
    def state(self, value):
        self._check_ready()
        if not isinstance(value, dict) or value.get("bit_generator") != type(self).__name__:
            raise ValueError(f"state must be a dict from {type(self).__name__}.state")
        version = value.get("seeding", 1)
        if version != SEEDING_VERSION:
            raise ValueError(
                f"this {type(self).__name__} state uses seeding version {version!r} "
                f"(numdist < 0.2 when absent); this numdist derives blocks with seeding "
                f"version {SEEDING_VERSION} (Philox4x64-10 row seeds), so that stream "
                "cannot be continued: every seed's numbers changed in numdist 0.2.0 (see CHANGELOG)")
        try:
            key = [int(k) for k in value["state"]["key"]]
            counter = int(value["state"]["counter"])
            buffered_in = int(value.get("buffered", 0))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"malformed {type(self).__name__} state: {e!r}") from None
        if len(key) != 2 or not all(0 <= k < 2**64 for k in key) or not 0 <= counter < 2**64:
            raise ValueError("state['state'] key words and counter must be in [0, 2**64)")
        cdef Py_ssize_t buffered = buffered_in if 0 <= buffered_in <= ND_XO_BLOCK else -1
        if buffered < 0 or (buffered and counter == 0):
            raise ValueError("state['buffered'] out of range")
        with self.lock:
            nd_xoshiro_seed(&self.st.xo, <uint64_t>key[0], <uint64_t>key[1])
            nd_bits_init_xoshiro(&self.st.bits, &self.st.xo)
            self.st.xo.counter = <uint64_t>counter
            if buffered:
                # Rebuild the partly used block so scalar draws resume exactly.
                self.st.xo.counter = <uint64_t>(counter - 1)
                nd_bits_refill(&self.st.bits)
                self.st.bits.pos = self.st.bits.end - buffered

    def __reduce__(self):
        return (_restore_xoshiro, (self.state,))

    def __deepcopy__(self, memo):
        return _restore_xoshiro(self.state)


def _row_seeds(key0, key1, first, Py_ssize_t n):
    """Row seeds of blocks ``first .. first + n - 1`` of the stream keyed by
    ``(key0, key1)``, an (n, 4) uint64 array (for the collision tests and the docs)."""
    cdef nd_xoshiro_t xo
    cdef uint64_t b0 = <uint64_t>first
    cdef Py_ssize_t i
    out = np.empty((n, 4), dtype=np.uint64)
    cdef uint64_t[:, ::1] o = out
    nd_xoshiro_seed(&xo, <uint64_t>key0, <uint64_t>key1)
    with nogil:
        for i in range(n):
            nd_xoshiro_row_seeds(&xo, b0 + <uint64_t>i, &o[i, 0])
    return out


def _restore_xoshiro(state):
    g = Xoshiro256x8(0)
    g.state = state
    return g


cdef class RandomSource:
    """The random bits of one sampling call. ``with src:`` fixes the stream the
    call draws from (``src.xo``, block counter included) and holds whatever lock
    that stream needs until the ``with`` block ends:

    * numdist's Xoshiro256x8 (given directly, wrapped in a Generator, or the global
      one): its own key and counter, under its lock; words buffered for scalar
      draws are discarded (the draw takes whole blocks from the counter on);
    * any other NumPy bit generator: under its lock, exactly two ``next_uint64``
      words are taken as the 128-bit key (key0 first) of a fresh Xoshiro256x8
      stream starting at block 0; the lock is released at once and the draw runs
      from that stream on all threads.
    """
    def __cinit__(self):
        self.bits = <nd_bits_t *>malloc(sizeof(nd_bits_t))
        if self.bits == NULL:
            raise MemoryError
        self.xo = NULL
        self.numpy_bitgen = NULL
        self.scalar_bits = NULL
        self.locked = False

    def __dealloc__(self):
        free(self.bits)

    def __enter__(self):
        cdef uint64_t k0, k1
        self.lock.acquire()
        if self.numpy_bitgen != NULL:
            try:
                k0 = self.numpy_bitgen.next_uint64(self.numpy_bitgen.state)
                k1 = self.numpy_bitgen.next_uint64(self.numpy_bitgen.state)
            finally:
                self.lock.release()
            nd_xoshiro_seed(&self.own, k0, k1)
            self.xo = &self.own
        else:
            self.locked = True
            if self.scalar_bits != NULL:
                self.scalar_bits.pos = self.scalar_bits.end
        nd_bits_init_xoshiro(self.bits, self.xo)
        return self

    def __exit__(self, *exc):
        if self.locked:
            self.locked = False
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
    ``with random_source(rng) as src:`` and call kernels on ``src.xo`` (blocks, as
    nd_run_chunks does) or ``src.bits``. Nothing is drawn from ``rng`` before the
    ``with`` block starts."""
    cdef RandomSource src = RandomSource()
    cdef BitGenerator bg = as_bit_generator(rng)
    src.bit_generator = bg
    src.lock = bg.lock
    if isinstance(bg, Xoshiro256x8):
        (<Xoshiro256x8>bg)._check_ready()
        src.xo = &(<Xoshiro256x8>bg).st.xo
        src.scalar_bits = &(<Xoshiro256x8>bg).st.bits
    else:
        capsule = bg.capsule
        if not PyCapsule_IsValid(capsule, "BitGenerator"):
            raise TypeError(f"{type(bg).__name__} does not expose a valid bitgen_t capsule")
        src.numpy_bitgen = <bitgen_t *>PyCapsule_GetPointer(capsule, "BitGenerator")
        if src.numpy_bitgen.next_uint64 == NULL:
            raise TypeError(f"{type(bg).__name__} has no next_uint64 function")
    return src
