# cython: language_level=3, boundscheck=False, wraparound=False
"""Binding of the one-pass gradient kernels (csrc/grad_fused.c, numdist/grad_fused.h).

Callers hand over 2-D ``(S, B)`` operands of one float dtype, aligned, any byte
strides (zero where broadcast): ``S`` merges the sample dims, ``B`` the batch
dims (see :class:`numdist.loc_scale.SBLayout`); a per-batch parameter may be
given as its ``(B,)`` array (read with a zero sample stride), an input constant
along each row as ``(S, 1)`` (read with a zero column stride). Column sums are written to
contiguous ``(B,)`` arrays. The kernels are deterministic and each column's
numbers are independent of how the columns are split, so the work is spread
over numdist's threads by column blocks without changing any result.
"""
import numpy as np

cimport numpy as cnp
from libc.stdint cimport intptr_t

from numdist._common cimport nd_run_parallel
from numdist._kernels cimport *

from numdist._common import get_num_threads

cnp.import_array()

cdef enum:
    K_AFFINE = 0
    K_AFFINE_VJP = 1
    K_NORMAL_LP = 2
    K_NORMAL_LP_VJP = 3
    K_NORMAL_LP_SUM = 4
    K_CAT_SCORE = 5
    # elements per task: large enough that thread start-up is amortised, small
    # enough that a task's column block of the operands stays in cache
    TASK_ELEMS = 65536


cdef struct fused_job:
    int kind
    bint f32
    intptr_t S, B, bc
    intptr_t R             # columns per summed group (K_NORMAL_LP_SUM), categories (K_CAT_SCORE)
    char *idx              # int64 (S, B) category indices (K_CAT_SCORE)
    intptr_t idx_ss, idx_bs
    nd_sb a[5]             # operands in the kernel's order
    char *r0
    char *r1               # column-sum outputs (or NULL)
    double c               # constant (half log 2 pi)


cdef void fused_task(void *vjob, intptr_t t) noexcept nogil:
    cdef fused_job *j = <fused_job *>vjob
    cdef intptr_t b0 = t * j.bc
    cdef intptr_t b1 = min(j.B, b0 + j.bc)
    if j.kind == K_AFFINE:
        if j.f32:
            nd_fused_affine_f(j.S, b0, b1, j.a[0], j.a[1], j.a[2], j.a[3])
        else:
            nd_fused_affine(j.S, b0, b1, j.a[0], j.a[1], j.a[2], j.a[3])
    elif j.kind == K_AFFINE_VJP:
        if j.f32:
            nd_fused_affine_vjp_f(j.S, b0, b1, j.a[0], j.a[1], <float *>j.r0, <float *>j.r1)
        else:
            nd_fused_affine_vjp(j.S, b0, b1, j.a[0], j.a[1], <double *>j.r0, <double *>j.r1)
    elif j.kind == K_NORMAL_LP:
        if j.f32:
            nd_fused_normal_log_prob_f(j.S, b0, b1, j.a[0], j.a[1], j.a[2], j.a[3], <float>j.c, j.a[4])
        else:
            nd_fused_normal_log_prob(j.S, b0, b1, j.a[0], j.a[1], j.a[2], j.a[3], j.c, j.a[4])
    elif j.kind == K_NORMAL_LP_SUM:
        if j.f32:
            nd_fused_normal_log_prob_sum_f(j.S, b0, b1, j.R, j.a[0], j.a[1], j.a[2], j.a[3], <float>j.c, j.a[4])
        else:
            nd_fused_normal_log_prob_sum(j.S, b0, b1, j.R, j.a[0], j.a[1], j.a[2], j.a[3], j.c, j.a[4])
    elif j.kind == K_CAT_SCORE:
        if j.f32:
            nd_fused_categorical_logits_score_f(j.S, b0, b1, j.R, j.idx, j.idx_ss, j.idx_bs, j.a[0],
                                                <const float *>j.r1, <float *>j.r0)
        else:
            nd_fused_categorical_logits_score(j.S, b0, b1, j.R, j.idx, j.idx_ss, j.idx_bs, j.a[0],
                                              <const double *>j.r1, <double *>j.r0)
    elif j.kind == K_NORMAL_LP_VJP:
        if j.f32:
            nd_fused_normal_log_prob_vjp_f(j.S, b0, b1, j.a[0], j.a[1], j.a[2], j.a[3], j.a[4],
                                           <float *>j.r0, <float *>j.r1)
        else:
            nd_fused_normal_log_prob_vjp(j.S, b0, b1, j.a[0], j.a[1], j.a[2], j.a[3], j.a[4],
                                         <double *>j.r0, <double *>j.r1)


cdef int _init(fused_job *j, int kind, object like) except -1:
    cdef cnp.ndarray a = like
    if a.ndim != 2:
        raise ValueError(f"internal error: fused operand of shape {like.shape}, expected (S, B)")
    if a.dtype.num == cnp.NPY_DOUBLE:
        j.f32 = False
    elif a.dtype.num == cnp.NPY_FLOAT:
        j.f32 = True
    else:
        raise ValueError(f"internal error: fused kernels take float32 or float64, got {a.dtype}")
    j.kind = kind
    j.S = a.shape[0]
    j.B = a.shape[1]
    j.r0 = j.r1 = NULL
    j.c = 0.0
    j.R = 1
    for i in range(5):
        j.a[i].p = NULL
        j.a[i].ss = j.a[i].bs = 0
    return 0


cdef int _operand(fused_job *j, int i, object arr, bint writeable=False) except -1:
    """Operand i: (S, B), or (B,) for a per-batch parameter (read with a zero sample
    stride), of the job's dtype and aligned (None: absent)."""
    cdef cnp.ndarray a
    if arr is None:
        return 0
    a = arr
    if a.ndim == 1 and a.shape[0] == j.B and not writeable:
        pass
    elif a.ndim == 2 and a.shape[0] == j.S and a.shape[1] == 1 and not writeable:
        pass  # one value per sample row, read with a zero column stride
    elif a.ndim != 2 or a.shape[0] != j.S or a.shape[1] != j.B:
        raise ValueError(f"internal error: fused operand of shape {arr.shape}, expected {(j.S, j.B)}")
    if (a.dtype.num == cnp.NPY_FLOAT) != j.f32 or a.dtype.num not in (cnp.NPY_FLOAT, cnp.NPY_DOUBLE):
        raise ValueError(f"internal error: fused operand of dtype {arr.dtype}")
    if not arr.flags.aligned or (writeable and not arr.flags.writeable):
        raise ValueError("internal error: fused operand misaligned or read-only")
    j.a[i].p = <char *>cnp.PyArray_DATA(a)
    if a.ndim == 1:
        j.a[i].ss = 0
        j.a[i].bs = a.strides[0]
    else:
        j.a[i].ss = a.strides[0]
        j.a[i].bs = a.strides[1] if a.shape[1] == j.B else 0
    return 0


cdef char *_column_out(fused_job *j, object arr) except? NULL:
    cdef cnp.ndarray a
    if arr is None:
        return NULL
    a = arr
    if (a.ndim != 1 or a.shape[0] != j.B or not arr.flags.c_contiguous or not arr.flags.writeable
            or (a.dtype.num == cnp.NPY_FLOAT) != j.f32):
        raise ValueError("internal error: fused column output must be a writeable contiguous (B,) array")
    return <char *>cnp.PyArray_DATA(a)


cdef int _run(fused_job *j) except -1:
    cdef intptr_t ntasks
    cdef int nthreads
    if j.B <= 0:
        return 0
    if j.kind == K_CAT_SCORE:  # column blocks of about TASK_ELEMS terms
        j.bc = max(1, TASK_ELEMS // max(1, j.S * j.R))
    else:  # column blocks of whole groups (R columns summed together)
        j.bc = max(1, TASK_ELEMS // max(1, j.S * j.R)) * j.R
    ntasks = (j.B + j.bc - 1) // j.bc
    nthreads = get_num_threads() if ntasks > 1 else 1
    with nogil:
        nd_run_parallel(nthreads, ntasks, fused_task, j)
    return 0


def affine(loc, scale, eps, out):
    """``out = loc + scale * eps`` (all (S, B))."""
    cdef fused_job j
    _init(&j, K_AFFINE, out)
    _operand(&j, 0, loc)
    _operand(&j, 1, scale)
    _operand(&j, 2, eps)
    _operand(&j, 3, out, True)
    _run(&j)
    return out


def affine_vjp(g, eps, dloc, dscale):
    """``dloc = sum_s g``, ``dscale = sum_s g * eps`` into (B,) arrays (None: skipped)."""
    cdef fused_job j
    _init(&j, K_AFFINE_VJP, eps)
    _operand(&j, 0, g)
    _operand(&j, 1, eps)
    j.r0 = _column_out(&j, dloc)
    j.r1 = _column_out(&j, dscale)
    _run(&j)


def normal_log_prob(x, loc, scale, log_scale, double half_log_2pi, lp):
    """``lp = (-0.5 z^2 - log_scale) - half_log_2pi`` with ``z = (x - loc) / scale``."""
    cdef fused_job j
    _init(&j, K_NORMAL_LP, lp)
    _operand(&j, 0, x)
    _operand(&j, 1, loc)
    _operand(&j, 2, scale)
    _operand(&j, 3, log_scale)
    _operand(&j, 4, lp, True)
    j.c = half_log_2pi
    _run(&j)
    return lp


def normal_log_prob_sum(x, loc, scale, log_scale, double half_log_2pi, sums):
    """Log densities (as :func:`normal_log_prob`) of x (S, B) summed over groups of
    ``R = B // sums.shape[1]`` consecutive columns into sums (S, B // R), in NumPy's
    pairwise order (the same bits as ``lp.reshape(S, -1, R).sum(-1)``)."""
    cdef fused_job j
    cdef cnp.ndarray out = sums
    _init(&j, K_NORMAL_LP_SUM, x)
    if out.ndim != 2 or out.shape[0] != j.S or out.shape[1] <= 0 or j.B % out.shape[1] != 0:
        raise ValueError(f"internal error: sums of shape {sums.shape} for operands {x.shape}")
    if (out.dtype.num == cnp.NPY_FLOAT) != j.f32 or not sums.flags.aligned or not sums.flags.writeable:
        raise ValueError("internal error: sums operand")
    _operand(&j, 0, x)
    _operand(&j, 1, loc)
    _operand(&j, 2, scale)
    _operand(&j, 3, log_scale)
    j.R = j.B // out.shape[1]
    j.a[4].p = <char *>cnp.PyArray_DATA(out)
    j.a[4].ss = out.strides[0]
    j.a[4].bs = out.strides[1]
    j.c = half_log_2pi
    _run(&j)
    return sums


def normal_log_prob_vjp(g, x, loc, scale, dvalue, dloc, dscale):
    """With ``z = (x - loc) / scale``: ``dvalue = -g z / scale`` (S, B) or None;
    ``dloc = sum_s g z / scale``, ``dscale = sum_s g (z^2 - 1) / scale`` into (B,) arrays."""
    cdef fused_job j
    _init(&j, K_NORMAL_LP_VJP, x)
    _operand(&j, 0, g)
    _operand(&j, 1, x)
    _operand(&j, 2, loc)
    _operand(&j, 3, scale)
    _operand(&j, 4, dvalue, True)
    j.r0 = _column_out(&j, dloc)
    j.r1 = _column_out(&j, dscale)
    _run(&j)


def categorical_logits_score(idx, g, probs, grad):
    """The logits gradient of ``sum g * log_softmax(logits)[idx]`` summed over the draws
    (see grad_fused.h): idx int64 (S, B) (any strides), g (S, B) or (B,) or (S, 1)
    floats, probs and grad contiguous (B, K) of g's dtype."""
    cdef fused_job j
    cdef cnp.ndarray ia = idx
    cdef cnp.ndarray ga = grad
    cdef cnp.ndarray pa = probs
    if ia.ndim != 2 or ia.dtype.num != cnp.NPY_INT64 or not idx.flags.aligned:
        raise ValueError(f"internal error: category indices of shape {idx.shape}, dtype {idx.dtype}")
    _init(&j, K_CAT_SCORE, grad)
    j.S = ia.shape[0]
    j.B = ia.shape[1]
    for arr, is_out in ((grad, True), (probs, False)):
        if (arr.ndim != 2 or arr.shape[0] != j.B or arr.shape[1] != grad.shape[1] or not arr.flags.c_contiguous
                or not arr.flags.aligned or (is_out and not arr.flags.writeable) or arr.dtype != grad.dtype):
            raise ValueError(f"internal error: (B, K) operand of shape {arr.shape} for indices {idx.shape}")
    j.R = ga.shape[1]
    j.idx = <char *>cnp.PyArray_DATA(ia)
    j.idx_ss = ia.strides[0]
    j.idx_bs = ia.strides[1]
    _operand(&j, 0, g)
    j.r0 = <char *>cnp.PyArray_DATA(ga)
    j.r1 = <char *>cnp.PyArray_DATA(pa)
    _run(&j)
    return grad


def loc_scale_ok(loc, scale):
    """Whether every ``loc`` is finite and every ``scale`` positive and finite: one pass
    over two C-contiguous arrays of the same size and float dtype (else ValueError)."""
    cdef cnp.ndarray l = loc
    cdef cnp.ndarray s = scale
    cdef intptr_t n = cnp.PyArray_SIZE(l)
    cdef int ok
    if (cnp.PyArray_SIZE(s) != n or not cnp.PyArray_IS_C_CONTIGUOUS(l) or not cnp.PyArray_IS_C_CONTIGUOUS(s)
            or not cnp.PyArray_ISALIGNED(l) or not cnp.PyArray_ISALIGNED(s) or l.dtype.num != s.dtype.num):
        raise ValueError("internal error: loc_scale_ok takes two aligned C-contiguous arrays of one size and dtype")
    if l.dtype.num == cnp.NPY_DOUBLE:
        with nogil:
            ok = nd_loc_scale_ok(n, <const double *>cnp.PyArray_DATA(l), <const double *>cnp.PyArray_DATA(s))
    elif l.dtype.num == cnp.NPY_FLOAT:
        with nogil:
            ok = nd_loc_scale_ok_f(n, <const float *>cnp.PyArray_DATA(l), <const float *>cnp.PyArray_DATA(s))
    else:
        raise ValueError(f"internal error: loc_scale_ok takes float32 or float64, got {loc.dtype}")
    return ok != 0

def simd_level(level=None):
    """The SIMD level of the row loops (0 portable, 2 AVX2, 3 AVX-512; the CPU's best
    capped by NUMDIST_SIMD_MAX); with ``level``, run at most that one (tests)."""
    if level is not None:
        nd_grad_fused_set_simd_level(int(level))
    return nd_grad_fused_simd_level()

cdef char *_vec(object arr, intptr_t n, bint f32, bint writeable) except? NULL:
    """The data of a contiguous (n,) operand of the KL kernels (ValueError otherwise)."""
    cdef cnp.ndarray a = arr
    if (a.ndim != 1 or a.shape[0] != n or not cnp.PyArray_IS_C_CONTIGUOUS(a) or not cnp.PyArray_ISALIGNED(a)
            or a.dtype.num != (cnp.NPY_FLOAT if f32 else cnp.NPY_DOUBLE) or (writeable and not cnp.PyArray_ISWRITEABLE(a))):
        raise ValueError(f"internal error: KL operand of shape {arr.shape}, dtype {arr.dtype}")
    return <char *>cnp.PyArray_DATA(a)


cdef bint _f32(object arr) except -1:
    cdef cnp.ndarray a = arr
    if a.dtype.num == cnp.NPY_FLOAT:
        return True
    if a.dtype.num == cnp.NPY_DOUBLE:
        return False
    raise ValueError(f"internal error: KL kernels take float32 or float64, got {arr.dtype}")


def kl_normal_ratio(ps, qs, vr):
    """``vr = (ps / qs) ** 2`` over contiguous (n,) arrays of one float dtype."""
    cdef bint f = _f32(vr)
    cdef intptr_t n = vr.shape[0]
    cdef char *a = _vec(ps, n, f, False)
    cdef char *b = _vec(qs, n, f, False)
    cdef char *o = _vec(vr, n, f, True)
    if f:
        nd_kl_normal_ratio_f(n, <const float *>a, <const float *>b, <float *>o)
    else:
        nd_kl_normal_ratio_d(n, <const double *>a, <const double *>b, <double *>o)
    return vr


def kl_normal_sum(pl, ql, qs, vr, kl):
    """The KL terms into ``kl`` (given ``log(vr)`` there) and their sum (see grad_fused.h)."""
    cdef bint f = _f32(kl)
    cdef intptr_t n = kl.shape[0]
    cdef char *a = _vec(pl, n, f, False)
    cdef char *b = _vec(ql, n, f, False)
    cdef char *c = _vec(qs, n, f, False)
    cdef char *d = _vec(vr, n, f, False)
    cdef char *o = _vec(kl, n, f, True)
    if f:
        return np.float32(nd_kl_normal_sum_f(n, <const float *>a, <const float *>b, <const float *>c,
                                             <const float *>d, <float *>o))
    return np.float64(nd_kl_normal_sum_d(n, <const double *>a, <const double *>b, <const double *>c,
                                         <const double *>d, <double *>o))


def kl_normal_vjp(double g, pl, ps, ql, qs, qs3, dpl, dps, dql, dqs):
    """The four KL gradients for a cotangent ``g`` (already of the arrays' dtype)."""
    cdef bint f = _f32(qs)
    cdef intptr_t n = qs.shape[0]
    cdef char *a = _vec(pl, n, f, False)
    cdef char *b = _vec(ps, n, f, False)
    cdef char *c = _vec(ql, n, f, False)
    cdef char *d = _vec(qs, n, f, False)
    cdef char *e = _vec(qs3, n, f, False)
    cdef char *o0 = _vec(dpl, n, f, True)
    cdef char *o1 = _vec(dps, n, f, True)
    cdef char *o2 = _vec(dql, n, f, True)
    cdef char *o3 = _vec(dqs, n, f, True)
    if f:
        nd_kl_normal_vjp_f(n, <float>g, <const float *>a, <const float *>b, <const float *>c, <const float *>d,
                           <const float *>e, <float *>o0, <float *>o1, <float *>o2, <float *>o3)
    else:
        nd_kl_normal_vjp_d(n, g, <const double *>a, <const double *>b, <const double *>c, <const double *>d,
                           <const double *>e, <double *>o0, <double *>o1, <double *>o2, <double *>o3)

# -- small pools of blocks: the arrays of the gradient paths, numdist.dask's tile stores -------
# A training loop asks for the same few sample-sized arrays every step (the draw, the kept
# noise, the value gradient) and drops them at the end of the step. Fresh from malloc, each
# is a new mapping or a heap the C library has just trimmed, so every one of its pages
# faults on first write: measured here at about as much time as the kernels themselves
# (64,000 float64: ~130 us per array against ~15 us to fill it once mapped). The arrays
# below are allocated through NumPy's own allocator interface (PyDataMem_SetHandler,
# NumPy >= 1.22) with a handler that keeps up to POOL_SLOTS freed blocks of 64 KiB to
# 16 MiB (at most 64 MiB in all) and hands one of the same size back on the next
# request. The arrays are ordinary NumPy arrays (they own their data; NumPy frees them
# through this handler and reports them to tracemalloc while they live). Blocks from
# 4 MiB on ask for huge pages, as NumPy's own allocator does (through a plain malloc a
# 32 MB array faulted 4 KiB page by page: a step of S = 4096 took 1.5x longer); larger
# arrays than 16 MiB keep NumPy's allocator. The 16 MiB reach the 8 MB arrays of a
# Gamma rsample_vjp over 1e6 concentrations (four per step).
# A second pool, with the same handler code and its own limits, keeps the tile stores of
# numdist.dask blocks (empty_tiles): a worker draws block after block of one size.
from libc.stdlib cimport malloc as c_malloc, free as c_free
from libc.string cimport memcpy, memset, strncpy
from libc.stdint cimport uint8_t
from cpython.pycapsule cimport PyCapsule_New
from cpython.pythread cimport (PyThread_type_lock, PyThread_allocate_lock, PyThread_acquire_lock,
                               PyThread_release_lock, WAIT_LOCK)

cdef extern from "numpy/arrayobject.h":
    ctypedef struct PyDataMemAllocator:
        void *ctx
        void *(*malloc)(void *ctx, size_t size) noexcept nogil
        void *(*calloc)(void *ctx, size_t nelem, size_t elsize) noexcept nogil
        void *(*realloc)(void *ctx, void *ptr, size_t new_size) noexcept nogil
        void (*free)(void *ctx, void *ptr, size_t size) noexcept nogil
    ctypedef struct PyDataMem_Handler:
        char name[127]
        uint8_t version
        PyDataMemAllocator allocator
    object PyDataMem_SetHandler(object handler)

cdef enum:
    POOL_SLOTS = 16

# A pool: freed blocks, oldest first, each at most max_size; a request takes the most
# recently freed block of at least its size and at most 5/4 of it (the warmest in cache;
# a tile store's size varies by a tile from block to block)
ctypedef struct block_pool:
    void *ptr[POOL_SLOTS]
    size_t size[POOL_SLOTS]
    int n, slots
    size_t nbytes, min_size, max_size, cap
    PyThread_type_lock lock

cdef block_pool grad_pool
cdef block_pool tile_pool


cdef void pool_init(block_pool *pool, int slots, size_t min_size, size_t max_size, size_t cap):
    memset(pool, 0, sizeof(block_pool))
    pool.slots = slots
    pool.min_size = min_size
    pool.max_size = max_size
    pool.cap = cap
    pool.lock = PyThread_allocate_lock()


# gradient paths: 16 blocks of 64 KiB to 16 MiB, 64 MiB in all
pool_init(&grad_pool, 16, 1 << 16, 1 << 24, 1 << 26)
# numdist.dask tile stores: 4 blocks of 1 MiB to 1 GiB, 512 MiB in all (a worker thread
# needs one at a time; see empty_tiles)
pool_init(&tile_pool, 4, 1 << 20, 1 << 30, 1 << 29)


# Every block this handler returns starts on a 64-byte line (the C library's 16 would put
# each vector load and store of the kernels across two lines: the gradient kernels of a
# (64, 1000) step ran 20-60% slower on such arrays). A block is a malloc block with the
# pointer and size the caller asked for kept in the 16 bytes before the aligned start.
cdef enum:
    BLOCK_ALIGN = 64
    BLOCK_HEADER = 16


# Blocks of 4 MiB and more are advised to the kernel for huge pages, as NumPy's own
# allocator does from that size: fewer page faults on the block's first use.
cdef extern from *:
    """
    #if defined(__linux__)
    #include <sys/mman.h>
    #endif
    static void nd_advise_huge(char *p, size_t n)
    {
    #if defined(__linux__) && defined(MADV_HUGEPAGE)
        size_t off = (4096 - ((size_t)p & 4095)) & 4095;
        if (n >= ((size_t)4 << 20) && n > off) (void)madvise(p + off, n - off, MADV_HUGEPAGE);
    #else
        (void)p; (void)n;
    #endif
    }
    """
    void nd_advise_huge(char *p, size_t n) nogil


cdef void *block_alloc(size_t size) noexcept nogil:
    cdef char *raw
    cdef size_t start
    if size > (<size_t>-1) - (BLOCK_ALIGN + BLOCK_HEADER):
        return NULL
    raw = <char *>c_malloc(size + BLOCK_ALIGN + BLOCK_HEADER)
    if raw == NULL:
        return NULL
    nd_advise_huge(raw, size + BLOCK_ALIGN + BLOCK_HEADER)
    start = (<size_t>raw + BLOCK_HEADER + BLOCK_ALIGN - 1) & ~(<size_t>BLOCK_ALIGN - 1)
    (<void **>(start - BLOCK_HEADER))[0] = raw
    (<size_t *>(start - BLOCK_HEADER + sizeof(void *)))[0] = size
    return <void *>start


cdef size_t block_size(void *p) noexcept nogil:
    return (<size_t *>(<char *>p - BLOCK_HEADER + sizeof(void *)))[0]


cdef void block_free(void *p) noexcept nogil:
    if p != NULL:
        c_free((<void **>(<char *>p - BLOCK_HEADER))[0])


cdef void *pool_malloc(void *ctx, size_t size) noexcept nogil:
    cdef block_pool *pool = <block_pool *>ctx
    cdef int i, k
    cdef void *p = NULL
    if pool.min_size <= size <= pool.max_size:
        PyThread_acquire_lock(pool.lock, WAIT_LOCK)
        i = pool.n - 1
        while i >= 0:  # the most recently freed block that fits
            if size <= pool.size[i] <= size + size // 4:
                p = pool.ptr[i]
                pool.nbytes -= pool.size[i]
                for k in range(i, pool.n - 1):
                    pool.ptr[k] = pool.ptr[k + 1]
                    pool.size[k] = pool.size[k + 1]
                pool.n -= 1
                break
            i -= 1
        PyThread_release_lock(pool.lock)
        if p != NULL:
            return p
    return block_alloc(size if size else 1)


cdef void *pool_calloc(void *ctx, size_t nelem, size_t elsize) noexcept nogil:
    cdef size_t size
    cdef void *p
    if elsize != 0 and nelem > (<size_t>-1) // elsize:
        return NULL
    size = nelem * elsize
    p = pool_malloc(ctx, size)
    if p != NULL:
        memset(p, 0, size)
    return p


cdef void *pool_realloc(void *ctx, void *ptr, size_t new_size) noexcept nogil:
    cdef void *p
    cdef size_t old_size
    if ptr == NULL:
        return pool_malloc(ctx, new_size)
    p = block_alloc(new_size if new_size else 1)
    if p != NULL:
        old_size = block_size(ptr)
        memcpy(p, ptr, old_size if old_size < new_size else new_size)
        block_free(ptr)  # (as realloc: on failure the old block stays the caller's)
    return p


cdef void pool_free(void *ctx, void *ptr, size_t size) noexcept nogil:
    cdef block_pool *pool = <block_pool *>ctx
    cdef void *evict[POOL_SLOTS]
    cdef int nevict = 0, k
    if ptr == NULL:
        return
    size = block_size(ptr)  # the block's own size (a reused block may be larger than asked)
    if not (pool.min_size <= size <= pool.max_size) or size > pool.cap:
        block_free(ptr)
        return
    PyThread_acquire_lock(pool.lock, WAIT_LOCK)
    while pool.n > 0 and (pool.n == pool.slots or pool.nbytes + size > pool.cap):
        evict[nevict] = pool.ptr[0]  # the oldest goes back to the C library
        nevict += 1
        pool.nbytes -= pool.size[0]
        for k in range(pool.n - 1):
            pool.ptr[k] = pool.ptr[k + 1]
            pool.size[k] = pool.size[k + 1]
        pool.n -= 1
    pool.ptr[pool.n] = ptr
    pool.size[pool.n] = size
    pool.n += 1
    pool.nbytes += size
    PyThread_release_lock(pool.lock)
    for k in range(nevict):
        block_free(evict[k])


cdef PyDataMem_Handler grad_handler
cdef PyDataMem_Handler tile_handler


cdef object pool_handler(PyDataMem_Handler *h, block_pool *pool, bytes name):
    memset(h, 0, sizeof(PyDataMem_Handler))
    strncpy(h.name, name, 126)
    h.version = 1
    h.allocator.ctx = pool
    h.allocator.malloc = pool_malloc
    h.allocator.calloc = pool_calloc
    h.allocator.realloc = pool_realloc
    h.allocator.free = pool_free
    return PyCapsule_New(h, b"mem_handler", NULL)


cdef object _GRAD_HANDLER = pool_handler(&grad_handler, &grad_pool, b"numdist_block_pool")
cdef object _TILE_HANDLER = pool_handler(&tile_handler, &tile_pool, b"numdist_tile_pool")


cdef object _pooled_empty(shape, dtype, object handler, block_pool *pool):
    cdef size_t nbytes = np.dtype(dtype).itemsize
    for n in shape:
        nbytes *= <size_t>n
    if not (pool.min_size <= nbytes <= pool.max_size):
        return np.empty(shape, dtype)
    old = PyDataMem_SetHandler(handler)
    try:
        return np.empty(shape, dtype)
    finally:
        PyDataMem_SetHandler(old)


def empty(shape, dtype):
    """``np.empty(shape, dtype)`` (C order) from the gradient block pool when its size is
    one the pool keeps (64 KiB to 16 MiB), else NumPy's: for the sample-sized arrays a
    gradient step allocates and drops every step."""
    return _pooled_empty(shape, dtype, _GRAD_HANDLER, &grad_pool)


def empty_tiles(shape, dtype):
    """``np.empty(shape, dtype)`` (C order) from the tile pool (1 MiB to 1 GiB): the
    stream tiles a ``numdist.dask`` block is drawn into, dropped when the task that
    drew them ends. Reused, the block's pages are already mapped; a fresh mapping per
    block is page-faulted and zeroed by the kernel again (about as long as drawing the
    block on the measured machine), and distributed's default worker settings make
    every large allocation a fresh mapping."""
    return _pooled_empty(shape, dtype, _TILE_HANDLER, &tile_pool)


def pool_state(tiles=False):
    """``(blocks, bytes)`` the gradient pool (or the tile pool) holds (tests)."""
    cdef block_pool *pool = &tile_pool if tiles else &grad_pool
    return pool.n, pool.nbytes
