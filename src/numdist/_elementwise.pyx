# cython: language_level=3, boundscheck=False, wraparound=False
"""The one element-wise sampling dispatcher (numpy's ``cont()``, for numdist).

Every element-wise family (normal, uniform, exponential, laplace, cauchy,
gumbel, bernoulli, geometric, ...) is a C kernel in the table of
csrc/include/numdist/elementwise.h, found here by name. ``fill`` walks any
strided output and up to two parameters already broadcast to it, cuts the
output into the fixed chunks of the stream contract (parallel.h) and runs them
on numdist's threads. It knows nothing of distributions: callers
(numdist.sampling) validate, promote and broadcast first.
"""
cimport numpy as cnp
from libc.stdint cimport intptr_t

from numdist._common cimport nd_outer_next, nd_outer_seek, operand_init, run_chunk_range, run_chunks, strided_operand
from numdist._kernels cimport ND_CHUNK_ELEMS, nd_exponential_simd_level, nd_normal_simd_level, nd_ew_count, nd_ew_find, nd_ew_fn, nd_ew_kernel, nd_ew_table, nd_memory_untouched, nd_num_chunks
from numdist._rng cimport RandomSource, nd_bits_t, random_source

cnp.import_array()


def kernel_names():
    """Names of the element-wise kernels in the C table."""
    cdef const nd_ew_kernel *t = nd_ew_table()
    return tuple(t[i].name.decode() for i in range(nd_ew_count()))


cdef struct ew_job:
    strided_operand out
    strided_operand p[2]
    bint has[2]        # parameter i given (else NULL: the kernel's default)
    nd_ew_fn fn
    intptr_t n, total
    char *flat         # not NULL: chunks [c0, c1) of the output go to this contiguous buffer
    intptr_t flat0     # output element at flat[0] (c0 * ND_CHUNK_ELEMS)
    intptr_t itemsize
    bint stream_out    # large fills may stream out (nd_bits_t.stream_out)


cdef void ew_chunk(void *vjob, intptr_t c, nd_bits_t *bits) noexcept nogil:
    cdef ew_job *job = <ew_job *>vjob
    # private copies: the iterators move, and chunks run on several threads at once
    cdef strided_operand o = job.out, a = job.p[0], b = job.p[1]
    cdef intptr_t start = c * ND_CHUNK_ELEMS
    cdef intptr_t stop = min(job.total, start + ND_CHUNK_ELEMS)
    cdef intptr_t n = job.n, col = start % n, cnt
    cdef const char *pa
    cdef const char *pb
    cdef char *po
    cdef intptr_t so
    bits.stream_out = job.stream_out
    if job.flat == NULL:
        nd_outer_seek(&o.it, start // n)
    if job.has[0]:
        nd_outer_seek(&a.it, start // n)
    if job.has[1]:
        nd_outer_seek(&b.it, start // n)
    while start < stop:
        cnt = min(n - col, stop - start)
        pa = a.data + a.it.offset + col * a.inner_stride if job.has[0] else NULL
        pb = b.data + b.it.offset + col * b.inner_stride if job.has[1] else NULL
        if job.flat == NULL:
            po = o.data + o.it.offset + col * o.inner_stride
            so = o.inner_stride
        else:
            po = job.flat + (start - job.flat0) * job.itemsize
            so = job.itemsize
        job.fn(bits, cnt, po, so,
               pa, a.inner_stride if job.has[0] else 0,
               pb, b.inner_stride if job.has[1] else 0)
        start += cnt
        col = 0
        if job.flat == NULL:
            nd_outer_next(&o.it)
        if job.has[0]:
            nd_outer_next(&a.it)
        if job.has[1]:
            nd_outer_next(&b.it)
    bits.stream_out = 0  # the default for whoever runs on these bits next


cdef const nd_ew_kernel *_find(str name) except NULL:
    cdef bytes key = name.encode()
    cdef const nd_ew_kernel *k = nd_ew_find(key)
    if k == NULL:
        raise ValueError(f"no element-wise kernel named {name!r}")
    return k


def kernel_info(str name):
    """``(nparams, out_int64)`` of the kernel ``name``."""
    cdef const nd_ew_kernel *k = _find(name)
    return k.nparams, bool(k.out_int64)


cdef int _check_args(const nd_ew_kernel *k, str name, cnp.ndarray out, tuple shape, tuple params,
                     ew_job *job) except -1:
    """Refuse misuse before any write: parameter count, one float dtype, the output
    dtype the kernel writes, parameters aligned and broadcast to ``shape``; pick the
    float64 or float32 kernel."""
    if len(params) > k.nparams:
        raise ValueError(f"kernel {name!r} takes at most {k.nparams} parameters, got {len(params)}")
    given = [p for p in params if p is not None]
    dtypes = {p.dtype for p in given}
    if len(dtypes) > 1:
        raise ValueError(f"kernel {name!r}: parameters must share one dtype, got {sorted(map(str, dtypes))}")
    pdtype = given[0].dtype if given else out.dtype
    if pdtype not in (np_float32, np_float64):
        raise ValueError(f"kernel {name!r}: parameters must be float32 or float64, got {pdtype}")
    expected_out = np_int64 if k.out_int64 else pdtype
    if out.dtype != expected_out:
        raise ValueError(f"kernel {name!r}: the output must be {expected_out}, got {out.dtype}")
    for p in given:
        if p.shape != shape or not p.flags.aligned:
            raise ValueError(f"kernel {name!r}: parameters must be aligned and broadcast to the output shape")
    job.fn = k.f32 if pdtype == np_float32 else k.f64
    return 0


cdef int _init_params(ew_job *job, tuple params, int ndim) except -1:
    cdef int i
    job.has[0] = job.has[1] = False
    for i in range(len(params)):
        if params[i] is not None:
            operand_init(&job.p[i], params[i], ndim)
            job.has[i] = True
    return 0


def fill(str name, rng, cnp.ndarray out, *params, bint read_back=False):
    """Fill ``out`` in place with draws of the element-wise kernel ``name``.

    ``out`` is writeable and aligned, of any strides; ``params`` (at most the
    kernel's count; None for a default) are aligned float32/float64 arrays of
    one dtype, already broadcast to ``out.shape``. ``out`` has that float dtype,
    or int64 for integer kernels. ``read_back``: the caller reads the values back
    at once (the kept noise of ``rsample_vjp``): plain stores keep them in cache.
    Misuse raises ValueError before any write."""
    cdef const nd_ew_kernel *k = _find(name)
    cdef ew_job job
    cdef int ndim = out.ndim, i
    cdef RandomSource src
    cdef object given_out = out
    if not out.flags.writeable or not out.flags.aligned:
        raise ValueError("out must be writeable and aligned")
    _check_args(k, name, out, (<object>out).shape, params, &job)
    job.flat = NULL
    job.total = out.size
    if job.total == 0:
        return out
    if (ndim > 1 and k.f64_any_split and out.dtype == np_float64 and out.flags.c_contiguous
            and all(p is None or p.flags.c_contiguous for p in params)):
        # one call per chunk instead of one per row (the same numbers for these kernels):
        # runs long enough for the whole-block passes (a (64, 1000) draw made 1000-value calls)
        out = out.reshape(-1)
        params = tuple(None if p is None else p.reshape(-1) for p in params)
        ndim = 1
    job.n = out.shape[ndim - 1] if ndim > 0 else 1
    operand_init(&job.out, out, ndim)
    # streaming only into resident contiguous memory: fresh pages are zeroed through the
    # cache by their first writes, which plain stores then find there
    job.stream_out = (not read_back and out.flags.c_contiguous
                      and not nd_memory_untouched(cnp.PyArray_DATA(out), <size_t>out.nbytes))
    _init_params(&job, params, ndim)
    src = random_source(rng)
    run_chunks(src, nd_num_chunks(job.total), ew_chunk, &job)
    return given_out


def fill_tiles(str name, rng, tuple shape, intptr_t c0, intptr_t c1, cnp.ndarray buf, *params,
               int nthreads=0, bint read_back=False):
    """Chunks ``[c0, c1)`` of the draw ``fill(name, rng, empty(shape), *params)`` would
    make, without the others: ``buf`` (C-contiguous, writeable, aligned, of the output
    dtype) receives output elements ``c0 * ND_CHUNK_ELEMS`` up to
    ``min(prod(shape), c1 * ND_CHUNK_ELEMS)`` (C order), with the numbers the full draw
    gives them. ``rng`` is numdist's generator positioned where the full draw would
    start (its counter is not moved); ``params`` are broadcast to ``shape`` (zero
    strides are free). ``nthreads`` <= 0: :func:`numdist.get_num_threads`.

    ``read_back``: the caller reads the values back at once (e.g. a Dask block feeding
    the reductions fused after it): plain stores keep them in cache. Otherwise a large
    ``buf`` of resident memory is written with non-temporal stores (the same numbers)."""
    cdef const nd_ew_kernel *k = _find(name)
    cdef ew_job job
    cdef int ndim = len(shape), i
    cdef RandomSource src
    cdef intptr_t total = 1, nch, first, last
    for d in shape:
        total *= <intptr_t>d
    if not buf.flags.c_contiguous or not buf.flags.writeable or not buf.flags.aligned:
        raise ValueError("buf must be C-contiguous, writeable and aligned")
    _check_args(k, name, buf, shape, params, &job)
    nch = nd_num_chunks(total)
    if not (0 <= c0 <= c1 <= nch):
        raise ValueError(f"chunk range [{c0}, {c1}) outside the {nch} chunks of shape {shape}")
    first = c0 * ND_CHUNK_ELEMS
    last = min(total, c1 * ND_CHUNK_ELEMS)
    if buf.size != last - first:
        raise ValueError(f"buf must hold {last - first} elements, got {buf.size}")
    if c0 == c1:
        return buf
    job.total = total
    job.n = shape[ndim - 1] if ndim > 0 else 1
    job.flat = <char *>cnp.PyArray_DATA(buf)
    job.stream_out = not read_back and not nd_memory_untouched(job.flat, <size_t>buf.nbytes)
    job.flat0 = first
    job.itemsize = buf.itemsize
    _init_params(&job, params, ndim)
    src = random_source(rng)
    run_chunk_range(src, c0, c1, nthreads, ew_chunk, &job)
    return buf


import numpy as _np
np_float32 = _np.dtype(_np.float32)
np_float64 = _np.dtype(_np.float64)
np_int64 = _np.dtype(_np.int64)


def simd_level():
    """The SIMD level the vectorised element-wise fills run at on this CPU
    ("avx512", "avx2" or "scalar"; capped by the NUMDIST_SIMD_MAX environment
    variable). Every level gives the same numbers."""
    return {3: "avx512", 2: "avx2"}.get(nd_exponential_simd_level(), "scalar")


def normal_simd_level():
    """The SIMD level the ziggurat normal fills run at on this CPU ("avx512"
    (with VBMI), "avx2", "sse2" or "scalar"; capped by the NUMDIST_SIMD_MAX
    environment variable, read at import). Every level gives the same numbers."""
    return {3: "avx512", 2: "avx2", 1: "sse2"}.get(nd_normal_simd_level(), "scalar")
