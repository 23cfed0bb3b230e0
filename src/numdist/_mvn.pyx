# cython: language_level=3, boundscheck=False, wraparound=False
"""Binding of the multivariate normal kernels (csrc/mvn.c).

Callers (numdist.multivariate_normal) hand over arrays that are already
validated, of one float dtype (float32 or float64), aligned, and laid out as
the kernels want them, with any byte strides (zero for broadcast, negative
for flipped views):

- matrices ``(B, d, d)``: one flat batch dimension ``B``;
- vectors ``(B, d)`` (``loc``) and per-sample arrays ``(S, B, d)`` (draws,
  values, eps) with a sample dimension ``S`` in front;
- scalars per element ``(S, B)`` (Mahalanobis distances, log densities).

Work is cut into a grid of rectangles (a range of samples times a range of
batch elements) whose size depends only on ``(S, B, d)``. For draws each
rectangle is one chunk with its own random stream (numdist's generator; a NumPy
bit generator is one stream, consumed chunk by chunk in order), so the numbers
depend on the seed and the shapes only, never on the thread count. The
deterministic kernels (Cholesky, solve, log-det) are bit-identical however the
batch is split, so they are spread over the same threads without a stream.
"""
import numpy as np

cimport numpy as cnp
from libc.stdint cimport intptr_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

from numdist._common cimport ND_E_BAD_PARAM, ND_E_NOT_PD, ND_OK, nd_run_parallel, run_chunks
from numdist._kernels cimport *
from numdist._rng cimport RandomSource, nd_bits_t, random_source

from numdist._common import get_num_threads

cnp.import_array()

cdef extern from *:
    """
    extern int nd_mvn_level_cap; /* csrc/mvn.c: tests only */
    extern int nd_mvn_fused_draw; /* csrc/mvn.c: tests only */
    int nd_mvn_simd_level(void);
    """
    int nd_mvn_level_cap
    int nd_mvn_fused_draw
    int nd_mvn_simd_level()

#: Largest d for which the kernels need no caller-provided scratch output.
MAXD = ND_MVN_MAXD


def simd_level():
    """SIMD level of the d = 4 float64 packed Cholesky and draw (0 portable C, 2 AVX2,
    3 AVX-512); every level gives the same numbers (csrc/mvn.c)."""
    return nd_mvn_simd_level()


def _set_level_cap(int cap):
    """Tests only: cap the level of the packed d = 4 passes (-1: the code before them,
    fill_small and chol_packed_lanes, for comparison). Returns the previous cap."""
    global nd_mvn_level_cap
    cdef int old = nd_mvn_level_cap
    nd_mvn_level_cap = cap
    return old

def _set_fused_draw(bint on):
    """Tests only: whether the d = 4 float64 draw without eps (rsample) takes its
    normals in the same loop as the transform (csrc/mvn.c, pk4_fused_256) or in the
    two passes before it (fill, then apply); the same numbers either way. Returns
    the previous setting."""
    global nd_mvn_fused_draw
    cdef bint old = nd_mvn_fused_draw != 0
    nd_mvn_fused_draw = 1 if on else 0
    return old

# Normals per chunk of a draw (a rectangle of about CHUNK / d vectors): the chunk
# size of the stream contract (parallel.h, the one definition).
cdef intptr_t CHUNK = ND_CHUNK_ELEMS
# Work units (matrix entries) per chunk of a deterministic kernel: these only
# decide how work is spread over threads, never the numbers.
cdef enum:
    DET_CHUNK = 262144

cdef enum:
    K_CHOL = 0
    K_PREC = 1
    K_DRAW = 2
    K_COVDRAW = 3
    K_SOLVE = 4
    K_LOGPROB = 5
    K_LOGDET = 6


cdef struct arr3:
    char *p
    intptr_t s0, s1, s2


cdef struct mvn_job:
    int kind
    bint f32
    nd_normal_method method
    intptr_t S, B, d
    intptr_t sc, bc, nbp          # grid: rows of sc samples x bc batch elements, nbp pieces per row
    arr3 A, L, loc, x, out, eps, y, r   # r: maha / lp (s0 = sample stride, s1 = batch stride)
    bint has_loc, has_eps, has_y, has_r, has_L
    const double *hld             # log_prob: cached half log-dets (B,), double; or NULL
    intptr_t hld_s                # its byte stride
    bint r_f64                    # log-det of a float factor into a double output
    bint packed                   # L holds packed triangles (B, d(d+1)/2): s0 batch stride
    intptr_t *fail_b              # per chunk: first failing batch index (absolute) or -1
    intptr_t *fail_c              # per chunk: failing column
    int *status                   # per chunk: kernel status


cdef inline char *at3(arr3 *a, intptr_t s, intptr_t b) noexcept nogil:
    return a.p + s * a.s0 + b * a.s1 if a.p != NULL else NULL


cdef void mvn_chunk(void *vjob, intptr_t c, nd_bits_t *bits) noexcept nogil:
    cdef mvn_job *j = <mvn_job *>vjob
    cdef intptr_t s0 = (c // j.nbp) * j.sc
    cdef intptr_t b0 = (c % j.nbp) * j.bc
    cdef intptr_t ns = min(j.sc, j.S - s0)
    cdef intptr_t nb = min(j.bc, j.B - b0)
    cdef intptr_t fb = -1, fc = -1, d = j.d
    cdef int st = ND_OK
    cdef const double *hp
    # matrices and loc are indexed by batch only: (b, ...) with s1/s2 the inner strides
    cdef char *A = j.A.p + b0 * j.A.s0 if j.A.p != NULL else NULL
    cdef char *L = j.L.p + b0 * j.L.s0 if j.L.p != NULL else NULL
    cdef char *loc = j.loc.p + b0 * j.loc.s0 if j.has_loc else NULL
    cdef char *x = at3(&j.x, s0, b0)
    cdef char *out = at3(&j.out, s0, b0)
    cdef char *eps = at3(&j.eps, s0, b0) if j.has_eps else NULL
    cdef char *y = at3(&j.y, s0, b0) if j.has_y else NULL
    cdef char *r = at3(&j.r, s0, b0) if j.has_r else NULL
    if ns <= 0 or nb <= 0:
        return
    if j.kind == K_CHOL and j.packed:
        if j.f32:
            st = nd_cholesky_packed_batch_f(nb, d, <float *>A, j.A.s0, j.A.s1, j.A.s2,
                                            <float *>L, j.L.s0, &fb, &fc)
        else:
            st = nd_cholesky_packed_batch(nb, d, <double *>A, j.A.s0, j.A.s1, j.A.s2,
                                          <double *>L, j.L.s0, &fb, &fc)
    elif j.kind == K_CHOL:
        if j.f32:
            st = nd_cholesky_batch_f(nb, d, <float *>A, j.A.s0, j.A.s1, j.A.s2,
                                     <float *>L, j.L.s0, j.L.s1, j.L.s2, &fb, &fc)
        else:
            st = nd_cholesky_batch(nb, d, <double *>A, j.A.s0, j.A.s1, j.A.s2,
                                   <double *>L, j.L.s0, j.L.s1, j.L.s2, &fb, &fc)
    elif j.kind == K_PREC:
        if j.f32:
            st = nd_precision_to_scale_tril_batch_f(nb, d, <float *>A, j.A.s0, j.A.s1, j.A.s2,
                                                    <float *>L, j.L.s0, j.L.s1, j.L.s2, &fb, &fc)
        else:
            st = nd_precision_to_scale_tril_batch(nb, d, <double *>A, j.A.s0, j.A.s1, j.A.s2,
                                                  <double *>L, j.L.s0, j.L.s1, j.L.s2, &fb, &fc)
    elif j.kind == K_DRAW and j.packed:
        if j.f32:
            st = random_mvn_fill_packed_f(bits, j.method, ns, nb, d,
                                          <float *>loc, j.loc.s0, j.loc.s1, <float *>L, j.L.s0,
                                          <float *>out, j.out.s0, j.out.s1, j.out.s2,
                                          <float *>eps, j.eps.s0, j.eps.s1, j.eps.s2)
        else:
            st = random_mvn_fill_packed(bits, j.method, ns, nb, d,
                                        <double *>loc, j.loc.s0, j.loc.s1, <double *>L, j.L.s0,
                                        <double *>out, j.out.s0, j.out.s1, j.out.s2,
                                        <double *>eps, j.eps.s0, j.eps.s1, j.eps.s2)
    elif j.kind == K_DRAW:
        if j.f32:
            st = random_mvn_fill_f(bits, j.method, ns, nb, d,
                                   <float *>loc, j.loc.s0, j.loc.s1,
                                   <float *>L, j.L.s0, j.L.s1, j.L.s2,
                                   <float *>out, j.out.s0, j.out.s1, j.out.s2,
                                   <float *>eps, j.eps.s0, j.eps.s1, j.eps.s2)
        else:
            st = random_mvn_fill(bits, j.method, ns, nb, d,
                                 <double *>loc, j.loc.s0, j.loc.s1,
                                 <double *>L, j.L.s0, j.L.s1, j.L.s2,
                                 <double *>out, j.out.s0, j.out.s1, j.out.s2,
                                 <double *>eps, j.eps.s0, j.eps.s1, j.eps.s2)
    elif j.kind == K_COVDRAW:
        if not j.has_L:
            L = NULL
        if j.f32:
            st = random_mvn_cov_fill_f(bits, j.method, nb, d,
                                       <float *>loc, j.loc.s0, j.loc.s1,
                                       <float *>A, j.A.s0, j.A.s1, j.A.s2,
                                       <float *>L, j.L.s0, j.L.s1, j.L.s2,
                                       <float *>out, j.out.s1, j.out.s2,
                                       <float *>eps, j.eps.s1, j.eps.s2, &fb, &fc)
        else:
            st = random_mvn_cov_fill(bits, j.method, nb, d,
                                     <double *>loc, j.loc.s0, j.loc.s1,
                                     <double *>A, j.A.s0, j.A.s1, j.A.s2,
                                     <double *>L, j.L.s0, j.L.s1, j.L.s2,
                                     <double *>out, j.out.s1, j.out.s2,
                                     <double *>eps, j.eps.s1, j.eps.s2, &fb, &fc)
    elif j.kind == K_SOLVE:
        if j.f32:
            st = nd_mvn_solve_batch_f(ns, nb, d, <float *>L, j.L.s0, j.L.s1, j.L.s2,
                                      <float *>x, j.x.s0, j.x.s1, j.x.s2,
                                      <float *>loc, j.loc.s0, j.loc.s1,
                                      <float *>r, j.r.s0, j.r.s1,
                                      <float *>y, j.y.s0, j.y.s1, j.y.s2)
        else:
            st = nd_mvn_solve_batch(ns, nb, d, <double *>L, j.L.s0, j.L.s1, j.L.s2,
                                    <double *>x, j.x.s0, j.x.s1, j.x.s2,
                                    <double *>loc, j.loc.s0, j.loc.s1,
                                    <double *>r, j.r.s0, j.r.s1,
                                    <double *>y, j.y.s0, j.y.s1, j.y.s2)
    elif j.kind == K_LOGPROB and j.packed:
        hp = <const double *>(<char *>j.hld + b0 * j.hld_s) if j.hld != NULL else NULL
        if j.f32:
            st = nd_mvn_log_prob_packed_batch_f(ns, nb, d, <float *>L, j.L.s0,
                                                <float *>x, j.x.s0, j.x.s1, j.x.s2,
                                                <float *>loc, j.loc.s0, j.loc.s1, hp, j.hld_s,
                                                <float *>r, j.r.s0, j.r.s1,
                                                <float *>y, j.y.s0, j.y.s1, j.y.s2)
        else:
            st = nd_mvn_log_prob_packed_batch(ns, nb, d, <double *>L, j.L.s0,
                                              <double *>x, j.x.s0, j.x.s1, j.x.s2,
                                              <double *>loc, j.loc.s0, j.loc.s1, hp, j.hld_s,
                                              <double *>r, j.r.s0, j.r.s1,
                                              <double *>y, j.y.s0, j.y.s1, j.y.s2)
    elif j.kind == K_LOGPROB and j.hld != NULL:
        if j.f32:
            st = nd_mvn_log_prob_hld_batch_f(ns, nb, d, <float *>L, j.L.s0, j.L.s1, j.L.s2,
                                             <float *>x, j.x.s0, j.x.s1, j.x.s2,
                                             <float *>loc, j.loc.s0, j.loc.s1,
                                             <const double *>(<char *>j.hld + b0 * j.hld_s), j.hld_s,
                                             <float *>r, j.r.s0, j.r.s1,
                                             <float *>y, j.y.s0, j.y.s1, j.y.s2)
        else:
            st = nd_mvn_log_prob_hld_batch(ns, nb, d, <double *>L, j.L.s0, j.L.s1, j.L.s2,
                                           <double *>x, j.x.s0, j.x.s1, j.x.s2,
                                           <double *>loc, j.loc.s0, j.loc.s1,
                                           <const double *>(<char *>j.hld + b0 * j.hld_s), j.hld_s,
                                           <double *>r, j.r.s0, j.r.s1,
                                           <double *>y, j.y.s0, j.y.s1, j.y.s2)
    elif j.kind == K_LOGPROB:
        if j.f32:
            st = nd_mvn_log_prob_batch_f(ns, nb, d, <float *>L, j.L.s0, j.L.s1, j.L.s2,
                                         <float *>x, j.x.s0, j.x.s1, j.x.s2,
                                         <float *>loc, j.loc.s0, j.loc.s1,
                                         <float *>r, j.r.s0, j.r.s1,
                                         <float *>y, j.y.s0, j.y.s1, j.y.s2)
        else:
            st = nd_mvn_log_prob_batch(ns, nb, d, <double *>L, j.L.s0, j.L.s1, j.L.s2,
                                       <double *>x, j.x.s0, j.x.s1, j.x.s2,
                                       <double *>loc, j.loc.s0, j.loc.s1,
                                       <double *>r, j.r.s0, j.r.s1,
                                       <double *>y, j.y.s0, j.y.s1, j.y.s2)
    elif j.kind == K_LOGDET and j.packed:
        if j.f32:
            st = nd_tril_logdet_packed_batch_f(nb, d, <float *>L, j.L.s0, <double *>r, j.r.s1)
        else:
            st = nd_tril_logdet_packed_batch(nb, d, <double *>L, j.L.s0, <double *>r, j.r.s1)
    elif j.kind == K_LOGDET:
        if j.f32 and j.r_f64:
            nd_tril_logdet_batch_fd(nb, d, <float *>L, j.L.s0, j.L.s1, j.L.s2, <double *>r, j.r.s1)
        elif j.f32:
            nd_tril_logdet_batch_f(nb, d, <float *>L, j.L.s0, j.L.s1, j.L.s2, <float *>r, j.r.s1)
        else:
            nd_tril_logdet_batch(nb, d, <double *>L, j.L.s0, j.L.s1, j.L.s2, <double *>r, j.r.s1)
    j.status[c] = st
    if st == ND_E_NOT_PD and fb >= 0:
        j.fail_b[c] = b0 + fb
        j.fail_c[c] = fc


# -- plumbing ---------------------------------------------------------------------------------
cdef int _dtype_of(cnp.ndarray a) except -1:
    if a.dtype.num == cnp.NPY_DOUBLE:
        return 0
    if a.dtype.num == cnp.NPY_FLOAT:
        return 1
    raise ValueError(f"internal error: expected float32 or float64, got {a.dtype}")


cdef int _set(arr3 *dst, object a, int ndim, int f32, bint writeable=False) except -1:
    """Point dst at a (ndim-dimensional, aligned, of the job's dtype), strides in s0.."""
    cdef cnp.ndarray arr
    if a is None:
        dst.p = NULL
        dst.s0 = dst.s1 = dst.s2 = 0
        return 0
    arr = a
    if arr.ndim != ndim or _dtype_of(arr) != f32 or not arr.flags.aligned:
        raise ValueError(f"internal error: operand of shape {a.shape}, dtype {a.dtype} does not fit "
                         f"the kernel ({ndim} dims, {'float32' if f32 else 'float64'}, aligned)")
    if writeable and not arr.flags.writeable:
        raise ValueError("internal error: output operand is read-only")
    dst.p = <char *>cnp.PyArray_DATA(arr)
    dst.s0 = arr.strides[0] if ndim > 0 else 0
    dst.s1 = arr.strides[1] if ndim > 1 else 0
    dst.s2 = arr.strides[2] if ndim > 2 else 0
    return 0


cdef void _grid(mvn_job *j, intptr_t per_chunk) noexcept:
    """Rectangles of about per_chunk vectors: sc samples x bc batch elements."""
    cdef intptr_t S = j.S, B = j.B
    if per_chunk < 1:
        per_chunk = 1
    j.bc = B if B <= per_chunk else per_chunk
    if j.bc < 1:
        j.bc = 1
    j.sc = per_chunk // j.bc
    if j.sc < 1:
        j.sc = 1
    if j.sc > S:
        j.sc = S if S > 0 else 1
    j.nbp = (B + j.bc - 1) // j.bc if B > 0 else 1


cdef intptr_t _nchunks(mvn_job *j) noexcept:
    if j.S <= 0 or j.B <= 0:
        return 0
    return ((j.S + j.sc - 1) // j.sc) * j.nbp


cdef void mvn_task(void *vjob, intptr_t c) noexcept nogil:
    """A deterministic chunk (factorise, solve, log-determinant): no random bits."""
    mvn_chunk(vjob, c, NULL)


cdef object _run(mvn_job *j, RandomSource src):
    """Run the job over its grid (src None: deterministic, spread over threads).
    Returns (fail_batch, fail_col), (-1, -1) on success."""
    cdef intptr_t n = _nchunks(j), c, worst_b = -1, worst_c = -1
    cdef int bad = 0, nthreads
    if n == 0:
        return -1, -1
    j.fail_b = <intptr_t *>malloc(<size_t>n * sizeof(intptr_t))
    j.fail_c = <intptr_t *>malloc(<size_t>n * sizeof(intptr_t))
    j.status = <int *>malloc(<size_t>n * sizeof(int))
    if j.fail_b == NULL or j.fail_c == NULL or j.status == NULL:
        free(j.fail_b)
        free(j.fail_c)
        free(j.status)
        raise MemoryError("could not allocate the chunk status arrays")
    try:
        for c in range(n):
            j.fail_b[c] = -1
            j.fail_c[c] = -1
            j.status[c] = ND_OK
        if src is not None:
            run_chunks(src, n, mvn_chunk, j)
        else:
            nthreads = get_num_threads()
            with nogil:
                nd_run_parallel(nthreads if n > 1 else 1, n, mvn_task, j)
        for c in range(n):
            if j.fail_b[c] >= 0:
                if worst_b < 0 or j.fail_b[c] < worst_b:
                    worst_b = j.fail_b[c]
                    worst_c = j.fail_c[c]
            elif j.status[c] != ND_OK:
                bad = j.status[c]
    finally:
        free(j.fail_b)
        free(j.fail_c)
        free(j.status)
        j.fail_b = j.fail_c = NULL
        j.status = NULL
    if worst_b < 0 and bad != 0:
        raise ValueError(f"internal error: multivariate normal kernel returned status {bad}")
    return worst_b, worst_c


cdef void _init(mvn_job *j, int kind, int f32, intptr_t S, intptr_t B, intptr_t d) noexcept:
    # every operand starts absent with zero strides: the kernels compute offsets from the
    # strides of absent operands too (e.g. y when only maha is wanted), and reading
    # uninitialised stack memory there was undefined behaviour (issue 10, defect 5)
    memset(j, 0, sizeof(mvn_job))
    j.kind = kind
    j.f32 = f32
    j.method = ND_NORMAL_ZIGGURAT
    j.S = S
    j.B = B
    j.d = d
    j.has_loc = j.has_eps = j.has_y = j.has_r = j.has_L = False
    j.A.p = j.L.p = j.loc.p = j.x.p = j.out.p = j.eps.p = j.y.p = j.r.p = NULL


cdef int _check_mat(object m, intptr_t B, intptr_t d) except -1:
    if m.shape[0] != B or m.shape[1] != d or m.shape[2] != d:
        raise ValueError(f"internal error: matrix operand of shape {m.shape}, expected {(B, d, d)}")
    return 0


cdef int _set_packed(mvn_job *j, object P, intptr_t B, intptr_t d, int f32, bint writeable=False) except -1:
    """Point j.L at packed factors P (B, d(d+1)/2), items contiguous within a factor."""
    cdef cnp.ndarray arr = P
    if arr.ndim != 2 or arr.shape[0] != B or arr.shape[1] != d * (d + 1) // 2:
        raise ValueError(f"internal error: packed operand of shape {P.shape}, expected {(B, d * (d + 1) // 2)}")
    if d > ND_MVN_MAXD:
        raise ValueError("internal error: packed factors above MAXD")
    _set(&j.L, P, 2, f32, writeable)
    if B > 0 and arr.shape[1] > 1 and j.L.s1 != (4 if f32 else 8):
        raise ValueError("internal error: packed items must be contiguous")
    j.packed = True
    return 0


cdef intptr_t _det_per_chunk(intptr_t d, intptr_t S) noexcept:
    cdef intptr_t w = (d + 1) * (d + 1) + S * (d + 1)
    return max(1, DET_CHUNK // w)


# -- public entry points -------------------------------------------------------------------------
def cholesky(A, L, bint precision=False):
    """``L[b] = chol(A[b])`` (or, with ``precision``, the scale_tril of ``A[b]^{-1}``)
    for ``A``, ``L`` of shape (B, d, d). Returns ``(fail_batch, fail_col)``, (-1, -1)
    when every matrix is positive definite."""
    cdef mvn_job j
    cdef int f32 = _dtype_of(A)
    cdef intptr_t B = A.shape[0], d = A.shape[1]
    _check_mat(A, B, d)
    _check_mat(L, B, d)
    _init(&j, K_PREC if precision else K_CHOL, f32, 1, B, d)
    _set(&j.A, A, 3, f32)
    _set(&j.L, L, 3, f32, True)
    _grid(&j, max(1, DET_CHUNK // max(1, d * d * d)))
    return _run(&j, None)


def cholesky_packed(A, P):
    """:func:`cholesky` writing packed lower triangles ``P`` (B, d(d+1)/2): entry (i, j)
    of factor b at ``P[b, i(i+1)/2 + j]`` (d <= MAXD). Returns ``(fail_batch, fail_col)``."""
    cdef mvn_job j
    cdef int f32 = _dtype_of(A)
    cdef intptr_t B = A.shape[0], d = A.shape[1]
    _check_mat(A, B, d)
    _init(&j, K_CHOL, f32, 1, B, d)
    _set(&j.A, A, 3, f32)
    _set_packed(&j, P, B, d, f32, True)
    _grid(&j, max(1, DET_CHUNK // max(1, d * d * d)))
    return _run(&j, None)


def symmetric_check(A, double rtol, double atol, bint finite=False):
    """First (batch, row, col) where ``A`` (B, d, d) is not symmetric within
    ``isclose(rtol, atol)`` (NaN fails; with ``finite``, +-inf fails too: symmetry and
    finiteness in one pass), or None."""
    cdef cnp.ndarray a = A
    cdef int f32 = _dtype_of(a)
    cdef intptr_t B = a.shape[0], d = a.shape[1], fb = -1, fr = -1, fc = -1
    cdef intptr_t bs = a.strides[0], rs = a.strides[1], cs = a.strides[2]
    cdef char *p = <char *>cnp.PyArray_DATA(a)
    cdef int st
    _check_mat(a, B, d)
    if not a.flags.aligned:
        raise ValueError("internal error: unaligned matrix")
    with nogil:
        if f32 and finite:
            st = nd_symmetric_finite_check_batch_f(B, d, <float *>p, bs, rs, cs, rtol, atol, &fb, &fr, &fc)
        elif finite:
            st = nd_symmetric_finite_check_batch(B, d, <double *>p, bs, rs, cs, rtol, atol, &fb, &fr, &fc)
        elif f32:
            st = nd_symmetric_check_batch_f(B, d, <float *>p, bs, rs, cs, rtol, atol, &fb, &fr, &fc)
        else:
            st = nd_symmetric_check_batch(B, d, <double *>p, bs, rs, cs, rtol, atol, &fb, &fr, &fc)
    if st == ND_OK:
        return None
    return fb, fr, fc


def draw(rng, out, loc, L, eps=None, bint packed=False):
    """``out[s, b] = loc[b] + L[b] @ eps[s, b]`` for out (S, B, d), loc (B, d) or None,
    L (B, d, d) (zero batch strides broadcast), eps None or (S, B, d) receiving the
    normals used. ``packed``: L is (B, d(d+1)/2) packed factors (same numbers)."""
    cdef mvn_job j
    cdef int f32 = _dtype_of(out)
    cdef intptr_t S = out.shape[0], B = out.shape[1], d = out.shape[2]
    cdef RandomSource src = random_source(rng)
    if not packed:
        _check_mat(L, B, d)
    _init(&j, K_DRAW, f32, S, B, d)
    _set(&j.out, out, 3, f32, True)
    if packed:
        _set_packed(&j, L, B, d, f32)
    else:
        _set(&j.L, L, 3, f32)
    if loc is not None:
        if loc.shape != (B, d):
            raise ValueError("internal error: loc operand shape")
        _set(&j.loc, loc, 2, f32)
        j.has_loc = True
    if eps is not None:
        if eps.shape != out.shape:
            raise ValueError("internal error: eps operand shape")
        _set(&j.eps, eps, 3, f32, True)
        j.has_eps = True
    _grid(&j, max(1, CHUNK // max(1, d)))
    _run(&j, src)
    return out


def cov_draw(rng, out, loc, A, L=None, eps=None):
    """Fused factorise-and-draw, one draw per matrix: ``out[b] = loc[b] + chol(A[b]) @ eps[b]``
    for out (B, d), loc (B, d) or None, A (B, d, d); optional L (B, d, d) and eps (B, d)
    outputs. Same numbers as :func:`cholesky` then :func:`draw` with S = 1.
    Returns ``(fail_batch, fail_col)``; on failure the outputs are unspecified."""
    cdef mvn_job j
    cdef int f32 = _dtype_of(out)
    cdef intptr_t B = out.shape[0], d = out.shape[1]
    cdef RandomSource src = random_source(rng)
    _check_mat(A, B, d)
    if L is None and d > ND_MVN_MAXD:
        L = np.empty((B, d, d), dtype=np.float32 if f32 else np.float64)
    _init(&j, K_COVDRAW, f32, 1, B, d)
    # out/eps are (B, d): stored as (S=1, B, d) with s0 unused
    _set(&j.out, out[None], 3, f32, True)
    _set(&j.A, A, 3, f32)
    if L is not None:
        _check_mat(L, B, d)
        _set(&j.L, L, 3, f32, True)
        j.has_L = True
    if loc is not None:
        if loc.shape != (B, d):
            raise ValueError("internal error: loc operand shape")
        _set(&j.loc, loc, 2, f32)
        j.has_loc = True
    if eps is not None:
        if eps.shape != out.shape:
            raise ValueError("internal error: eps operand shape")
        _set(&j.eps, eps[None], 3, f32, True)
        j.has_eps = True
    _grid(&j, max(1, CHUNK // max(1, d)))
    return _run(&j, src)


def solve(L, x, loc=None, maha=None, y=None, lp=None, bint transpose=False, hld=None, bint packed=False):
    """Triangular solves for (S, B) vectors: ``y[s, b] = L[b]^{-1} (x[s, b] - loc[b])``
    (``transpose``: ``L[b]^{-T}``), ``maha[s, b] = |y|^2``, or with ``lp`` the log density
    (no transpose). L (B, d, d), x and y (S, B, d), loc (B, d) or None, maha/lp (S, B).
    ``hld``: with ``lp``, the factors' half log-determinants as :func:`logdet` gives them
    into a float64 (B,) array (the same log densities, without a logarithm per factor).
    ``packed`` (with ``lp`` only): L is (B, d(d+1)/2) packed factors."""
    cdef cnp.ndarray h
    cdef mvn_job j
    cdef int f32 = _dtype_of(x)
    cdef intptr_t S = x.shape[0], B = x.shape[1], d = x.shape[2]
    if packed and lp is None:
        raise ValueError("internal error: packed factors are solved for lp only")
    if not packed:
        _check_mat(L, B, d)
    if lp is not None and (transpose or maha is not None):
        raise ValueError("internal error: lp excludes maha and transpose")
    _init(&j, K_LOGPROB if lp is not None else K_SOLVE, f32, S, B, d)
    if packed:
        _set_packed(&j, L, B, d, f32)
    if hld is not None:
        h = hld
        if lp is None or h.ndim != 1 or h.shape[0] != B or h.dtype.num != cnp.NPY_DOUBLE or not h.flags.aligned:
            raise ValueError("internal error: hld must be an aligned float64 (B,) array, with lp")
        j.hld = <const double *>cnp.PyArray_DATA(h)
        j.hld_s = h.strides[0]
    if not packed:
        _set(&j.L, L, 3, f32)
    _set(&j.x, x, 3, f32)
    if loc is not None:
        if loc.shape != (B, d):
            raise ValueError("internal error: loc operand shape")
        _set(&j.loc, loc, 2, f32)
        j.has_loc = True
    if y is not None:
        if y.shape != x.shape:
            raise ValueError("internal error: y operand shape")
        _set(&j.y, y, 3, f32, True)
        j.has_y = True
    elif d > ND_MVN_MAXD:
        raise ValueError("internal error: y is required above MAXD")
    r = lp if lp is not None else maha
    if r is not None:
        if r.shape != (S, B):
            raise ValueError("internal error: maha/lp operand shape")
        _set(&j.r, r, 2, f32, True)
        j.has_r = True
    if transpose and d > 0:
        # L^T z = v is the lower system J L^T J (J z) = J v (J reverses): read L from its
        # last element with rows and columns swapped and reversed, vectors back to front.
        j.L.p += (d - 1) * (j.L.s1 + j.L.s2)
        j.L.s1, j.L.s2 = -j.L.s2, -j.L.s1
        j.x.p += (d - 1) * j.x.s2
        j.x.s2 = -j.x.s2
        if j.has_y:
            j.y.p += (d - 1) * j.y.s2
            j.y.s2 = -j.y.s2
        if j.has_loc:
            j.loc.p += (d - 1) * j.loc.s1
            j.loc.s1 = -j.loc.s1
    _grid(&j, _det_per_chunk(d, 1))
    _run(&j, None)


def logdet(L, out, bint packed=False):
    """``out[b] = sum_i log L[b, i, i]`` for L (B, d, d), out (B,) of L's dtype, or
    float64 for a float32 L (the sum not rounded to float: what :func:`solve` takes
    as ``hld``). ``packed``: L is (B, d(d+1)/2) packed factors (d follows from the
    width) and ``out`` float64."""
    cdef mvn_job j
    cdef int f32 = _dtype_of(L)
    cdef int out32 = _dtype_of(out)
    cdef intptr_t B = L.shape[0], d
    if packed:
        d = int(round(((8 * L.shape[1] + 1) ** 0.5 - 1) / 2))
        if out32:
            raise ValueError("internal error: packed logdet writes float64")
    else:
        d = L.shape[1]
        _check_mat(L, B, d)
    if out.shape != (B,) or (out32 and not f32):
        raise ValueError("internal error: logdet output shape or dtype")
    _init(&j, K_LOGDET, f32, 1, B, d)
    j.r_f64 = f32 and not out32
    if packed:
        _set_packed(&j, L, B, d, f32)
    else:
        _set(&j.L, L, 3, f32)
    _set(&j.r, out[None], 2, out32, True)
    j.has_r = True
    _grid(&j, _det_per_chunk(d, 0))
    _run(&j, None)
    return out
