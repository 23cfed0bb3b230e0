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


# ---------------------------------------------------------------------------
# Gamma/Beta family: csrc/special_gamma.c, csrc/special_beta.c.  Inputs are
# broadcast float64 arrays; the loops run without the GIL, spread over threads
# for large arrays (deterministic: elementwise, so thread-count invariant).

from libc.stdint cimport intptr_t as _intptr
from numdist._kernels cimport (
    nd_fn_d_d, nd_fn_dd_d, nd_fn_ddd_d, nd_fn_ddd_dd,
    nd_lgamma, nd_digamma, nd_trigamma, nd_log1pmx,
    nd_gammainc_p, nd_gammainc_q, nd_gammainc_p_da, nd_gamma_sample_grad,
    nd_betainc, nd_betainc_grad, nd_beta_sample_grad_fill,
    nd_student_t_cdf, nd_student_t_sample_grad_df_fill,
    nd_fill_d_d, nd_fill_dd_d, nd_fill_ddd_d, nd_fill_ddd_dd,
    nd_gamma_rsample_grads_fill, nd_run_parallel,
)
import numpy as np
from numdist._common import get_num_threads
from numdist._fused import empty as _pooled_empty

cdef enum:
    _TASK = 8192           # elements per parallel task
    _PARALLEL_MIN = 32768  # below this, one thread

ctypedef void (*_fill_ddd_dd)(intptr_t, const double *, intptr_t, const double *, intptr_t,
                             const double *, intptr_t, double *, intptr_t, double *, intptr_t) noexcept nogil
ctypedef void (*_fill_dd_d)(intptr_t, const double *, intptr_t, const double *, intptr_t,
                           double *, intptr_t) noexcept nogil

cdef struct _job:
    int nin
    int nout
    bint fill  # f is a whole-array fill (nd_*_fill), not an element function
    void *f
    const char *p[3]
    intptr_t s[3]
    char *o[2]
    intptr_t n


cdef void _job_range(_job *j, intptr_t lo, intptr_t m) noexcept nogil:
    cdef const char *p0 = j.p[0] + lo * j.s[0]
    cdef const char *p1 = j.p[1] + lo * j.s[1]
    cdef const char *p2 = j.p[2] + lo * j.s[2]
    cdef char *o0 = j.o[0] + lo * <intptr_t>sizeof(double)
    cdef char *o1 = j.o[1] + lo * <intptr_t>sizeof(double)
    if j.fill and j.nout == 2:
        (<_fill_ddd_dd>j.f)(m, <const double *>p0, j.s[0], <const double *>p1, j.s[1],
                            <const double *>p2, j.s[2], <double *>o0, sizeof(double), <double *>o1, sizeof(double))
    elif j.fill:
        (<_fill_dd_d>j.f)(m, <const double *>p0, j.s[0], <const double *>p1, j.s[1], <double *>o0, sizeof(double))
    elif j.nout == 2:
        nd_fill_ddd_dd(m, <nd_fn_ddd_dd>j.f, <const double *>p0, j.s[0], <const double *>p1, j.s[1],
                       <const double *>p2, j.s[2], <double *>o0, sizeof(double), <double *>o1, sizeof(double))
    elif j.nin == 1:
        nd_fill_d_d(m, <nd_fn_d_d>j.f, <const double *>p0, j.s[0], <double *>o0, sizeof(double))
    elif j.nin == 2:
        nd_fill_dd_d(m, <nd_fn_dd_d>j.f, <const double *>p0, j.s[0], <const double *>p1, j.s[1],
                     <double *>o0, sizeof(double))
    else:
        nd_fill_ddd_d(m, <nd_fn_ddd_d>j.f, <const double *>p0, j.s[0], <const double *>p1, j.s[1],
                      <const double *>p2, j.s[2], <double *>o0, sizeof(double))


cdef void _job_task(void *ctx, intptr_t t) noexcept nogil:
    cdef _job *j = <_job *>ctx
    cdef intptr_t lo = t * _TASK
    cdef intptr_t m = j.n - lo
    if m > _TASK:
        m = _TASK
    _job_range(j, lo, m)


cdef object _apply(void *f, tuple args, int nout, bint fill=False):
    """Broadcast args to float64, run f element-wise (fill: f is a whole-array fill of
    2 inputs and 1 output or 3 inputs and 2 outputs); returns nout arrays."""
    cdef _job j
    cdef int k, nthreads
    cdef intptr_t ntasks
    arrs = [np.asarray(a, dtype=np.float64) for a in args]
    if len(arrs) > 1:
        arrs = list(np.broadcast_arrays(*arrs))
    shape = arrs[0].shape
    j.nin = len(arrs)
    j.nout = nout
    j.fill = fill
    j.f = f
    keep = []
    for k in range(3):
        if k < j.nin:
            a = arrs[k]
            if a.size > 1 and all(st == 0 for st in a.strides):
                a = np.array(a.reshape(-1)[:1])  # one aligned element
                j.s[k] = 0
            else:
                if not (a.flags.c_contiguous and a.flags.aligned):
                    a = np.array(a, order="C")  # ascontiguousarray keeps a misaligned array as it is
                j.s[k] = sizeof(double)
            keep.append(a)
            j.p[k] = <const char *><size_t>a.ctypes.data
        else:
            j.p[k] = j.p[0]
            j.s[k] = 0
    outs = [_pooled_empty(shape, np.float64) for k in range(nout)]  # see _gamma_grad
    j.o[0] = <char *><size_t>outs[0].ctypes.data
    j.o[1] = <char *><size_t>outs[nout - 1].ctypes.data
    j.n = outs[0].size
    if j.n == 0:
        return outs
    if j.n < _PARALLEL_MIN:
        with nogil:
            _job_range(&j, 0, j.n)
    else:
        nthreads = get_num_threads()
        ntasks = (j.n + _TASK - 1) // _TASK
        with nogil:
            nd_run_parallel(nthreads, ntasks, _job_task, &j)
    return outs


def lgamma(x):
    """log|Gamma(x)| (scipy.special.gammaln), float64."""
    return _apply(<void *>nd_lgamma, (x,), 1)[0]


def digamma(x):
    """psi(x) = d/dx log Gamma(x) (scipy.special.digamma), float64."""
    return _apply(<void *>nd_digamma, (x,), 1)[0]


def trigamma(x):
    """psi'(x) (scipy.special.polygamma(1, x)), float64."""
    return _apply(<void *>nd_trigamma, (x,), 1)[0]


def log1pmx(t):
    """log(1 + t) - t, accurate near 0, float64."""
    return _apply(<void *>nd_log1pmx, (t,), 1)[0]


def gammainc(a, x):
    """Regularised lower incomplete gamma P(a, x) (scipy.special.gammainc)."""
    return _apply(<void *>nd_gammainc_p, (a, x), 1)[0]


def gammaincc(a, x):
    """Regularised upper incomplete gamma Q(a, x) = 1 - P(a, x) (scipy.special.gammaincc)."""
    return _apply(<void *>nd_gammainc_q, (a, x), 1)[0]


def gammainc_da(a, x):
    """dP(a, x)/da, analytically (series / continued fraction differentiated in a)."""
    return _apply(<void *>nd_gammainc_p_da, (a, x), 1)[0]


# dz/da by nd_gamma_sample_grad_fill (vectorised kernels): inputs a, z and the
# optional factors g, rate (out = g * dz/da / rate), one output.  Input k is read
# with period per[k] over the C-ordered output: element i is input element
# i % per[k] (per = n: a full array; 1: a scalar; the size of its trailing block
# when it is broadcast over leading dims only, e.g. a batch parameter under a
# sample shape), so broadcast parameters are not copied out to the output's size.
cdef struct _grad_job:
    const char *p[4]
    intptr_t per[4]
    int has_g
    int has_rate
    double *o
    double *o2  # NULL, or the rate cotangent -(g (z / rate)) / rate
    intptr_t n


cdef void _grad_range(_grad_job *j, intptr_t lo, intptr_t m) noexcept nogil:
    cdef intptr_t i = lo, end = lo + m, seg, nxt, off[4]
    cdef int k
    while i < end:
        seg = end
        for k in range(4):
            off[k] = i % j.per[k]
            if j.per[k] > 1:
                nxt = i - off[k] + j.per[k]  # next wrap of input k
                if nxt < seg:
                    seg = nxt
        nd_gamma_rsample_grads_fill(
            seg - i,
            <const double *>(j.p[0] + off[0] * <intptr_t>sizeof(double)), sizeof(double) if j.per[0] > 1 else 0,
            <const double *>(j.p[1] + off[1] * <intptr_t>sizeof(double)), sizeof(double) if j.per[1] > 1 else 0,
            <const double *>(j.p[2] + off[2] * <intptr_t>sizeof(double)) if j.has_g else NULL,
            sizeof(double) if j.per[2] > 1 else 0,
            <const double *>(j.p[3] + off[3] * <intptr_t>sizeof(double)) if j.has_rate else NULL,
            sizeof(double) if j.per[3] > 1 else 0,
            j.o + i, sizeof(double), (j.o2 + i) if j.o2 != NULL else NULL, sizeof(double))
        i = seg


cdef void _grad_task(void *ctx, intptr_t t) noexcept nogil:
    cdef _grad_job *j = <_grad_job *>ctx
    cdef intptr_t lo = t * _TASK
    cdef intptr_t m = j.n - lo
    if m > _TASK:
        m = _TASK
    _grad_range(j, lo, m)


def _periodic(v, shape):
    """``(array, period)``: v as an aligned C-contiguous float64 array that, repeated
    with the period, gives v broadcast to ``shape`` (copied out only when v is
    broadcast other than over leading dims)."""
    arr = np.asarray(v, dtype=np.float64)
    n = 1
    for d in shape:
        n *= d
    # leading dims of stride 0 (a parameter the distribution broadcast, e.g. a scalar rate
    # beside 1e6 concentrations) repeat what follows: dropped, not copied out
    while arr.ndim and arr.strides[0] == 0:
        arr = arr[0]
    if arr.size == 1:
        return np.array(arr.reshape(-1)[:1]), 1
    core = arr.shape
    while core and core[0] == 1:
        core = core[1:]
    if len(core) <= len(shape) and tuple(shape[len(shape) - len(core):]) == core:
        arr = arr.reshape(core)
        if not (arr.flags.c_contiguous and arr.flags.aligned):
            arr = np.array(arr, order="C")  # ascontiguousarray keeps a misaligned array as it is
        return arr, (arr.size if arr.size else 1)
    arr = np.array(np.broadcast_to(arr, shape), order="C")
    return arr, (n if n else 1)


cdef object _gamma_grad(a, z, g, rate, bint with_rate_grad=False):
    """g * dz/da / rate (g, rate None: 1) as a new C-ordered float64 array of the broadcast shape;
    with_rate_grad: the pair (that, -(g * (z / rate)) / rate), both from one pass."""
    cdef _grad_job j
    cdef int k, nthreads
    cdef intptr_t ntasks
    args = [a, z, g, rate]
    shape = np.broadcast_shapes(*[np.shape(v) for v in args if v is not None])
    # from the gradient block pool (numdist._fused.empty): a step's arrays, dropped every step
    out = _pooled_empty(shape, np.float64)
    out2 = _pooled_empty(shape, np.float64) if with_rate_grad else None
    j.o2 = <double *><size_t>out2.ctypes.data if with_rate_grad else NULL
    j.has_g = g is not None
    j.has_rate = rate is not None
    keep = []
    for k in range(4):
        v = args[k] if args[k] is not None else 1.0
        arr, per = _periodic(v, shape)
        keep.append(arr)
        j.p[k] = <const char *><size_t>arr.ctypes.data
        j.per[k] = per
    j.o = <double *><size_t>out.ctypes.data
    j.n = out.size
    if j.n == 0:
        return (out, out2) if with_rate_grad else out
    if j.n < _PARALLEL_MIN:
        with nogil:
            _grad_range(&j, 0, j.n)
    else:
        nthreads = get_num_threads()
        ntasks = (j.n + _TASK - 1) // _TASK
        with nogil:
            nd_run_parallel(nthreads, ntasks, _grad_task, &j)
    return (out, out2) if with_rate_grad else out


def gamma_sample_grad(a, z):
    """dz/da = -(dP/da)(z; a) / p(z; a) for z ~ Gamma(a, rate 1): implicit reparameterisation."""
    return _gamma_grad(a, z, None, None)


def gamma_sample_grad_scaled(a, z, g, rate):
    """``g * dz/da / rate`` in one pass (the concentration cotangent of ``Gamma.rsample_vjp``,
    without temporaries); the same bits as ``g * gamma_sample_grad(a, z) / rate``."""
    return _gamma_grad(a, z, g, rate)


def gamma_rsample_grads(a, z, g, rate):
    """``Gamma.rsample_vjp``'s backward in one pass: ``(g * dz/da / rate, -(g * (z / rate)) / rate)``
    as new float64 arrays of the broadcast shape, the same bits as
    :func:`gamma_sample_grad_scaled` and as numpy's ``-(g * x) / rate`` on ``x = z / rate``."""
    return _gamma_grad(a, z, g, rate, True)


def betainc(a, b, x):
    """Regularised incomplete beta I_x(a, b) (scipy.special.betainc)."""
    return _apply(<void *>nd_betainc, (a, b, x), 1)[0]


def betainc_grad(a, b, x):
    """(dI_x(a,b)/da, dI_x(a,b)/db)."""
    r = _apply(<void *>nd_betainc_grad, (a, b, x), 2)
    return r[0], r[1]


def beta_sample_grad(a, b, x):
    """(dx/da, dx/db) = (-(dI/da)/p, -(dI/db)/p) for x ~ Beta(a, b)."""
    r = _apply(<void *>nd_beta_sample_grad_fill, (a, b, x), 2, True)
    return r[0], r[1]


def student_t_cdf(df, t):
    """CDF of the standard Student t with df degrees of freedom (scipy.special.stdtr)."""
    return _apply(<void *>nd_student_t_cdf, (df, t), 1)[0]


def student_t_sample_grad_df(df, t):
    """dt/d(df) = -(dF/d df)(t) / p(t) for t ~ StudentT(df, 0, 1)."""
    return _apply(<void *>nd_student_t_sample_grad_df_fill, (df, t), 1, True)[0]


# ---------------------------------------------------------------------------
# Normal in log space: csrc/special_normal.c (TruncatedNormal's tails).

from numdist._kernels cimport nd_log_ndtr, nd_log_ndtr_grad, nd_ndtri_exp


def log_ndtr(x):
    """log Phi(x), the log of the standard normal CDF, accurate over the whole line (float64)."""
    return _apply(<void *>nd_log_ndtr, (x,), 1)[0]


def log_ndtr_grad(x):
    """d/dx log Phi(x) = phi(x) / Phi(x), without overflow in the lower tail (float64)."""
    return _apply(<void *>nd_log_ndtr_grad, (x,), 1)[0]


def ndtri_exp(y):
    """The inverse of :func:`log_ndtr`: z with log Phi(z) = y for y <= 0 (float64)."""
    return _apply(<void *>nd_ndtri_exp, (y,), 1)[0]


from numdist._kernels cimport nd_normal_mixture_logpdf


def normal_mixture_logpdf(x, mu, inv_sigma, c):
    """log sum_k exp(c_k - ((x - mu_k) inv_sigma_k)^2 / 2) (float64).

    ``x``: (m, nb) values, column j for mixture j; ``mu``, ``inv_sigma``, ``c``: (nb, K)
    parameters of nb mixtures of K normals (``c_k = log w_k - log sigma_k - log(2 pi)/2``).
    Returns (m, nb)."""
    cdef cnp.ndarray xa = np.asarray(x, dtype=np.float64)
    cdef cnp.ndarray mua = np.ascontiguousarray(mu, dtype=np.float64)
    cdef cnp.ndarray isa = np.ascontiguousarray(inv_sigma, dtype=np.float64)
    cdef cnp.ndarray ca = np.ascontiguousarray(c, dtype=np.float64)
    pshape = np.shape(mua)
    if xa.ndim != 2 or len(pshape) != 2 or pshape[0] != np.shape(xa)[1] or np.shape(isa) != pshape or np.shape(ca) != pshape:
        raise ValueError("normal_mixture_logpdf: x must be (m, nb) and the parameters (nb, K)")
    if not xa.flags.aligned:
        xa = np.array(xa)
    cdef cnp.ndarray out = np.empty((xa.shape[0], xa.shape[1]), dtype=np.float64)
    cdef cnp.ndarray work = np.empty(max(1, mua.shape[1]), dtype=np.float64)
    cdef intptr_t m = xa.shape[0], nb = xa.shape[1], K = mua.shape[1], j
    cdef intptr_t xs0 = xa.strides[0], xs1 = xa.strides[1], os0 = out.strides[0], os1 = out.strides[1]
    cdef char *px = <char *>cnp.PyArray_DATA(xa)
    cdef char *po = <char *>cnp.PyArray_DATA(out)
    cdef double *pmu = <double *>cnp.PyArray_DATA(mua)
    cdef double *pis = <double *>cnp.PyArray_DATA(isa)
    cdef double *pc = <double *>cnp.PyArray_DATA(ca)
    cdef double *pw = <double *>cnp.PyArray_DATA(work)
    if m == 0 or K == 0:
        out.fill(-np.inf)
        return out
    with nogil:
        for j in range(nb):
            nd_normal_mixture_logpdf(m, <const double *>(px + j * xs1), xs0, K, pmu + j * K, pis + j * K,
                                     pc + j * K, pw, <double *>(po + j * os1), os0)
    return out
