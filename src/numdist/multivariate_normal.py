"""Multivariate normal distribution (batched; covariance, precision or scale_tril)
and the functional sampler :func:`multivariate_normal` (``numdist.random.multivariate_normal``).

Everything is computed from the lower Cholesky factor ``L`` of the covariance,
kept unbroadcasted (one factor per matrix the user passed, as torch's
``_unbroadcasted_scale_tril``): the C kernels factorise many small matrices at
once, draw ``loc + L @ eps`` and solve ``L y = x - loc`` for ``log_prob`` without
ever copying ``L`` out to the sample shape.

Gradients are analytic vector-Jacobian products of torch's formulas, computed
first with respect to ``L`` and then pulled back to the parameter the
distribution was built with (see :class:`MultivariateNormal` for the
convention used for the symmetric matrices).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, TypedDict, overload

import numpy as np
import numpy.typing as npt

from numdist import _mvn, constraints
from numdist.distribution import VJP, Distribution
from numdist.utils import (aligned, as_cotangent, as_float_params, as_shape, check_out, first_bad_index,
                           functional_out_shape, grad_dtype, lazy_property, sum_to_shape, value_dtype)

if TYPE_CHECKING:
    from numdist.kl import KLVJP

__all__ = ["MultivariateNormal", "multivariate_normal"]

_LOG_2PI = math.log(2 * math.pi)
# torch's symmetry test for positive_definite: isclose(A, A^T) with its default tolerances
_SYM_RTOL, _SYM_ATOL = 1e-5, 1e-6
_MATRIX_NAMES = ("covariance_matrix", "precision_matrix", "scale_tril")


# -- layouts for the kernels -------------------------------------------------------------
def _prod(shape: tuple[int, ...]) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _reshape_view(arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """``arr`` reshaped to ``shape`` without a copy, or None when its strides forbid it."""
    try:
        return np.reshape(arr, shape, copy=False)
    except ValueError:
        return None
    except TypeError:  # NumPy < 2.1: no copy= in reshape
        v = arr.view()
        try:
            v.shape = shape
        except AttributeError:
            return None
        return v


def _split(full: tuple[int, ...], *param_batches: tuple[int, ...]) -> int:
    """Index k such that the parameters are constant over ``full[:k]`` (the sample
    part) and vary, or may vary, over ``full[k:]`` (the batch part). Depends on
    shapes only, so the kernels' chunking (and the numbers drawn) does too."""
    n = len(full)
    k = n
    for pb in param_batches:
        pad = (1,) * (n - len(pb)) + tuple(pb)
        for i, s in enumerate(pad):
            if s != 1:
                k = min(k, i)
                break
    return k


def _param_layout(arr: np.ndarray, batch: tuple[int, ...], event_ndim: int) -> np.ndarray:
    """A parameter (batch dims broadcastable to ``batch``) as an aligned
    ``(prod(batch),) + event`` array: a view (zero strides where broadcast) when its
    strides allow, else a contiguous copy of the broadcast."""
    event = arr.shape[arr.ndim - event_ndim:]
    pb = arr.shape[: arr.ndim - event_ndim]
    if len(pb) > len(batch):  # leading dims the caller proved to be 1
        arr = arr.reshape(pb[len(pb) - len(batch):] + event)
    b = np.broadcast_to(arr, batch + event)
    shape = (_prod(batch),) + event
    v = _reshape_view(b, shape)
    if v is None or not v.flags.aligned:
        v = np.ascontiguousarray(b).reshape(shape)
    return v


def _sb_layout(arr: np.ndarray, full: tuple[int, ...], k: int, event: tuple[int, ...]) -> np.ndarray:
    """``arr`` broadcast to ``full + event`` as an aligned (S, B) + event array (view if possible)."""
    b = np.broadcast_to(arr, full + event)
    shape = (_prod(full[:k]), _prod(full[k:])) + event
    v = _reshape_view(b, shape)
    if v is None or not v.flags.aligned:
        v = np.ascontiguousarray(b).reshape(shape)
    return v


@overload
def _draw(rng: Any, full: tuple[int, ...], loc: np.ndarray, L: np.ndarray, out: np.ndarray | None = ...,
          want_eps: Literal[False] = ...) -> tuple[np.ndarray, None]: ...
@overload
def _draw(rng: Any, full: tuple[int, ...], loc: np.ndarray, L: np.ndarray, out: np.ndarray | None = ..., *,
          want_eps: Literal[True]) -> tuple[np.ndarray, np.ndarray]: ...
def _draw(rng: Any, full: tuple[int, ...], loc: np.ndarray, L: np.ndarray, out: np.ndarray | None = None,
          want_eps: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Draw ``loc + L @ eps`` of shape ``full + (d,)`` (into ``out`` if given, any strides).
    ``loc`` (..., d) and ``L`` (..., d, d) are aligned, of one dtype, unbroadcasted."""
    d = L.shape[-1]
    dtype = L.dtype
    k = _split(full, loc.shape[:-1], L.shape[:-2])
    S, B = _prod(full[:k]), _prod(full[k:])
    loc2 = _param_layout(loc, full[k:], 1)
    L3 = _param_layout(L, full[k:], 2)
    target = np.empty(full + (d,), dtype=dtype) if out is None else out
    o3 = _reshape_view(target, (S, B, d))
    through_buffer = o3 is None or not o3.flags.aligned
    if o3 is None or through_buffer:  # out= is a view whose dims cannot be merged, or misaligned
        o3 = np.empty((S, B, d), dtype=dtype)
    eps = np.empty((S, B, d), dtype=dtype) if want_eps else None
    _mvn.draw(rng, o3, loc2, L3, eps)
    if through_buffer:
        target[...] = o3.reshape(target.shape)
    return target, (None if eps is None else eps.reshape(full + (d,)))


# (r, y): r unless want_r=False without log_prob, y with want_y
@overload
def _solve(L: np.ndarray, x: np.ndarray, loc: np.ndarray | None, full: tuple[int, ...], *,
           log_prob: bool = ..., want_y: Literal[True], want_r: Literal[True] = ...,
           transpose: bool = ...) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def _solve(L: np.ndarray, x: np.ndarray, loc: np.ndarray | None, full: tuple[int, ...], *,
           log_prob: Literal[True], want_y: Literal[False] = ..., want_r: bool = ...,
           transpose: bool = ...) -> tuple[np.ndarray, None]: ...
@overload
def _solve(L: np.ndarray, x: np.ndarray, loc: np.ndarray | None, full: tuple[int, ...], *,
           log_prob: Literal[False] = ..., want_y: Literal[True], want_r: Literal[False],
           transpose: bool = ...) -> tuple[None, np.ndarray]: ...
def _solve(L: np.ndarray, x: np.ndarray, loc: np.ndarray | None, full: tuple[int, ...], *,
           log_prob: bool = False, want_y: bool = False, want_r: bool = True,
           transpose: bool = False) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Batched triangular solve of ``x - loc`` (both broadcast to ``full + (d,)``) with the
    unbroadcasted factors ``L``: returns ``(r, y)`` with ``y = L^{-1}(x - loc)`` (``L^{-T}``
    with ``transpose``) of shape ``full + (d,)`` and ``r`` its squared norm, or the log
    density with ``log_prob``, of shape ``full``."""
    d = L.shape[-1]
    dtype = L.dtype
    shapes = [L.shape[:-2]] + ([loc.shape[:-1]] if loc is not None else [])
    k = _split(full, *shapes)
    S, B = _prod(full[:k]), _prod(full[k:])
    L3 = _param_layout(L, full[k:], 2)
    loc2 = None if loc is None else _param_layout(loc, full[k:], 1)
    x3 = _sb_layout(x, full, k, (d,))
    y = np.empty((S, B, d), dtype=dtype) if (want_y or d > _mvn.MAXD) else None
    r = np.empty((S, B), dtype=dtype) if (want_r or log_prob) else None
    if log_prob:
        _mvn.solve(L3, x3, loc2, None, y, r)
    else:
        _mvn.solve(L3, x3, loc2, r, y, None, transpose)
    return (None if r is None else r.reshape(full),
            None if (y is None or not want_y) else y.reshape(full + (d,)))


def _mat_solve(L: np.ndarray, M: np.ndarray, transpose: bool = False) -> np.ndarray:
    """``L^{-1} M`` (``L^{-T} M`` with ``transpose``) for factors ``L`` (..., d, d) and
    matrices ``M`` whose batch dims broadcast with L's: the columns of M are solved as
    vectors, so the kernels' triangular solve does the work."""
    d = L.shape[-1]
    batch = np.broadcast_shapes(L.shape[:-2], M.shape[:-2])
    Mb = np.broadcast_to(M.astype(L.dtype, copy=False), batch + (d, d))
    cols = np.moveaxis(Mb, -1, 0)  # (d, batch..., d): column j of each matrix is "sample" j
    _, y = _solve(L, cols, None, (d,) + batch, want_y=True, want_r=False, transpose=transpose)
    return np.moveaxis(y, 0, -1)


def _tril_inverse(L: np.ndarray) -> np.ndarray:
    return _mat_solve(L, np.eye(L.shape[-1], dtype=L.dtype))


def _logdet(L: np.ndarray) -> np.ndarray:
    """``sum(log(diag(L)))`` over the batch of L."""
    L3 = _param_layout(L, L.shape[:-2], 2)
    out = np.empty(L3.shape[0], dtype=L.dtype)
    _mvn.logdet(L3, out)
    return out.reshape(L.shape[:-2])


def _outer_sum(a: np.ndarray, b: np.ndarray, batch: tuple[int, ...]) -> np.ndarray:
    """``sum a[..., :, None] * b[..., None, :]`` over the dims that ``batch`` (a
    broadcastable batch shape) does not have: shape ``batch + (d, d)``, computed as a
    batched matrix product (no (..., d, d) temporary over the summed dims)."""
    full = np.broadcast_shapes(a.shape[:-1], b.shape[:-1], batch)
    d = a.shape[-1]
    a = np.broadcast_to(a, full + (d,))
    b = np.broadcast_to(b, full + (d,))
    n = len(full)
    pad = (1,) * (n - len(batch)) + tuple(batch)
    kept = [i for i in range(n) if pad[i] != 1]
    summed = [i for i in range(n) if pad[i] == 1]
    perm = kept + summed + [n]
    kshape = tuple(full[i] for i in kept)
    m = _prod(tuple(full[i] for i in summed))
    at = a.transpose(perm).reshape(kshape + (m, d))
    bt = b.transpose(perm).reshape(kshape + (m, d))
    res: np.ndarray = np.matmul(np.swapaxes(at, -1, -2), bt)  # kshape + (d, d)
    return res.reshape(tuple(batch) + (d, d))


def _diag_matrix(v: np.ndarray) -> np.ndarray:
    d = v.shape[-1]
    out = np.zeros(v.shape + (d,), dtype=v.dtype)
    idx = np.arange(d)
    out[..., idx, idx] = v
    return out


# -- validation ----------------------------------------------------------------------------
def _batch_index(shape: tuple[int, ...], flat: int) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()


def _fmt(v: Any) -> str:
    return np.format_float_positional(float(v), precision=6, trim="-") if np.isfinite(v) else str(float(v))


def _nonfinite_reason(block: np.ndarray, offset: int = 0) -> str | None:
    """'contains NaN (entry (i, j))' / 'contains inf ...' for the first non-finite entry."""
    bad = ~np.isfinite(block)
    if not bad.any():
        return None
    i, j = first_bad_index(~bad)
    kind = "NaN" if np.isnan(block[i, j]) else "inf"
    return f"contains {kind} (entry ({i + offset}, {j + offset}))"


def _not_pd_error(name: str, mat: np.ndarray, flat: int, col: int) -> ValueError:
    """The Cholesky of ``mat``'s matrix number ``flat`` failed at column ``col``."""
    idx = _batch_index(mat.shape[:-2], flat)
    m = np.asarray(mat[idx], dtype=np.float64)
    if name == "precision_matrix":
        block = np.tril(m[col:, col:])
        reason = _nonfinite_reason(block, col) or (
            f"is not positive definite: its trailing block {name}[{col}:, {col}:] is not positive "
            f"definite (Cholesky failed at column {col})")
    else:
        block = np.tril(m[: col + 1, : col + 1])
        reason = _nonfinite_reason(block) or (
            f"is not positive definite: its leading minor of order {col + 1} is not positive "
            f"(Cholesky failed at column {col})")
    return ValueError(f"{name} at batch index {idx} {reason}")


def _factor(name: str, mat: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of ``mat`` (covariance) or of its inverse (precision),
    shape ``mat.shape``. ValueError naming the parameter, batch index and column on failure."""
    d = mat.shape[-1]
    batch = mat.shape[:-2]
    A3 = _param_layout(mat, batch, 2)
    L3 = np.empty((_prod(batch), d, d), dtype=mat.dtype)
    fb, fc = _mvn.cholesky(A3, L3, name == "precision_matrix")
    if fb >= 0:
        raise _not_pd_error(name, mat, fb, fc)
    return L3.reshape(mat.shape)


def _check_symmetric(name: str, mat: np.ndarray) -> None:
    """torch's symmetry test (isclose(A, A^T), rtol 1e-5, atol 1e-6); NaN fails."""
    A3 = _param_layout(mat, mat.shape[:-2], 2)
    bad = _mvn.symmetric_check(A3, _SYM_RTOL, _SYM_ATOL)
    if bad is None:
        return
    fb, r, c = bad
    idx = _batch_index(mat.shape[:-2], fb)
    m = mat[idx]
    if np.isnan(m[r, c]) or np.isnan(m[c, r]):
        where = (r, c) if np.isnan(m[r, c]) else (c, r)
        reason = f"contains NaN (entry {where})"
    else:
        reason = f"is not symmetric: entry ({r}, {c}) = {_fmt(m[r, c])} but entry ({c}, {r}) = {_fmt(m[c, r])}"
    raise ValueError(f"{name} at batch index {idx} {reason}")


def _check_scale_tril(name: str, L: np.ndarray) -> None:
    """Lower triangular, finite, with a positive diagonal (torch's lower_cholesky + finiteness)."""
    iu = np.triu_indices(L.shape[-1], 1)
    if np.isfinite(L).all() and not L[..., iu[0], iu[1]].any() and (np.diagonal(L, axis1=-2, axis2=-1) > 0).all():
        return  # fast path; the per-matrix reductions below only on failure
    finite = np.isfinite(L).all((-2, -1))
    lower = ~(np.triu(L, 1) != 0).any((-2, -1))
    posdiag = (np.diagonal(L, axis1=-2, axis2=-1) > 0).all(-1)
    ok = finite & lower & posdiag
    idx = first_bad_index(ok)
    m = L[idx]
    reason = _nonfinite_reason(m)
    if reason is None and not lower[idx]:
        i, j = first_bad_index(np.triu(m, 1) == 0)
        reason = f"is not lower triangular (entry ({i}, {j}) = {_fmt(m[i, j])})"
    if reason is None:
        dg = np.diagonal(m)
        i = int(np.argmin(dg > 0))
        reason = f"has a non-positive diagonal entry (entry ({i}, {i}) = {_fmt(dg[i])})"
    raise ValueError(f"{name} at batch index {idx} {reason}")


def _check_vector(name: str, v: np.ndarray) -> None:
    if np.isfinite(v).all():  # fast path; the per-row reduction below only on failure
        return
    ok = np.isfinite(v).all(-1)
    idx = first_bad_index(ok)
    row = v[idx]
    j = int(np.argmin(np.isfinite(row)))
    kind = "NaN" if np.isnan(row[j]) else "inf"
    raise ValueError(f"{name} at batch index {idx} contains {kind} (component {j})")


def _check_shapes(vec_name: str, vec: np.ndarray, mat_name: str, mat: np.ndarray) -> tuple[int, ...]:
    """Ranks, square matrices, equal event sizes; returns the broadcast batch shape."""
    if vec.ndim < 1:
        raise ValueError(f"{vec_name} must be at least one-dimensional.")
    if mat.ndim < 2:
        raise ValueError(f"{mat_name} must be at least two-dimensional, with optional leading batch dimensions")
    if mat.shape[-1] != mat.shape[-2]:
        raise ValueError(f"{mat_name} must be square in its last two dimensions, got shape {mat.shape}")
    if vec.shape[-1] != mat.shape[-1]:
        raise ValueError(f"{vec_name} has {vec.shape[-1]} components but {mat_name} is "
                         f"{mat.shape[-1]} x {mat.shape[-1]}: the event sizes must match "
                         f"(shapes {vec.shape} and {mat.shape})")
    try:
        return tuple(np.broadcast_shapes(vec.shape[:-1], mat.shape[:-2]))
    except ValueError:
        raise ValueError(f"the batch shapes of {vec_name} {vec.shape[:-1]} and {mat_name} {mat.shape[:-2]} "
                         f"(shapes {vec.shape} and {mat.shape}) do not broadcast together") from None


# -- the distribution -----------------------------------------------------------------------------
class MultivariateNormal(Distribution):
    r"""Multivariate normal distribution with mean ``loc`` and a covariance given by
    exactly one of ``covariance_matrix``, ``precision_matrix`` or ``scale_tril``.

    As ``torch.distributions.MultivariateNormal``: ``batch_shape`` is
    ``broadcast(loc.shape[:-1], matrix.shape[:-2])``, ``event_shape`` is ``(d,)``;
    every computation goes through the lower Cholesky factor ``L``
    (:math:`\Sigma = L L^\top`), which is computed once at construction by batched
    C kernels (covariance: ``L = chol(covariance_matrix)``; precision: torch's
    ``_precision_to_scale_tril``) and kept unbroadcasted. ``scale_tril``,
    ``covariance_matrix`` and ``precision_matrix`` are available lazily, whichever
    was given.

    Parameters
    ----------
    loc : array_like, shape (..., d)
        Mean; finite.
    covariance_matrix, precision_matrix : array_like, shape (..., d, d), optional
        Symmetric positive definite. Only the lower triangle is read by the
        factorisation; the validation also requires symmetry (torch's test,
        ``isclose(A, A.T, rtol=1e-5, atol=1e-6)``).
    scale_tril : array_like, shape (..., d, d), optional
        Lower triangular with a positive diagonal.
    validate_args : bool, optional
        Check parameters and ``log_prob`` values (default on, see
        :func:`numdist.set_default_validate_args`). A covariance or precision
        whose Cholesky factorisation fails is refused even with validation off.

    Raises
    ------
    ValueError
        Not exactly one matrix given; shapes that do not fit (ranks, non-square,
        ``d`` of ``loc`` and the matrix differ, batch shapes that do not
        broadcast); and, naming the parameter and the batch index (in the
        parameter as passed): NaN or inf in ``loc``, a covariance/precision that
        is not symmetric or not positive definite (with the Cholesky column at
        which it failed), a ``scale_tril`` that is not lower triangular or has a
        non-positive diagonal.
    TypeError
        Non-numeric parameters.

    Notes
    -----
    **Gradients.** ``rsample_vjp``, ``log_prob_vjp`` (also w.r.t. ``"value"``),
    ``entropy_vjp`` and :func:`numdist.kl_divergence_vjp` return gradients for
    ``loc`` and for the matrix the distribution was built with, each shaped and
    typed like the parameter as passed (broadcast dimensions summed). They are
    the gradients torch's autograd gives for the same formulas:

    - ``covariance_matrix`` and ``precision_matrix`` are differentiated through
      the Cholesky factorisation as ``torch.linalg.cholesky``'s backward does,
      which returns the **symmetric** gradient: the unique symmetric ``G`` with
      ``df = sum(G * E)`` for every symmetric perturbation ``E``, i.e.
      ``(G0 + G0.T) / 2`` where ``G0`` is the gradient of the same formula
      written for a general matrix (for ``log_prob``,
      ``G = (S^{-1} r r^T S^{-1} - S^{-1}) / 2``). It is *not* the "lower
      triangle" convention (off-diagonal entries doubled, upper ones zero). To
      step in a single triangle, use ``G + G.T - diag(G)`` on the lower triangle.
    - ``scale_tril`` gets autograd's gradient of torch's formulas entry by
      entry: ``rsample`` (``loc + L @ eps``) gives the full outer product
      ``g eps^T`` (entries above the diagonal included), ``log_prob`` (a
      triangular solve) the lower triangle, ``entropy`` the diagonal, KL the
      lower triangle for ``q`` and a full matrix for ``p``. Entries above the
      diagonal never affect the distribution (the kernels read the lower
      triangle only); take ``np.tril`` of the gradient when the upper triangle
      is not a free parameter.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> mean = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    >>> cov = 0.1 * np.eye(2) * np.ones((3, 1, 1))
    >>> d = nd.MultivariateNormal(mean, covariance_matrix=cov)
    >>> d.batch_shape, d.event_shape
    ((3,), (2,))
    >>> d.sample(rng=0).shape, d.sample((100,), rng=0).shape
    ((3, 2), (100, 3, 2))
    >>> d.log_prob(mean).round(4)
    array([0.4647, 0.4647, 0.4647])
    >>> d.scale_tril[0].round(4)
    array([[0.3162, 0.    ],
           [0.    , 0.3162]])

    Gradients of a reparameterised sample, keyed by the parameters given:

    >>> x, vjp = d.rsample_vjp((10,), rng=0)
    >>> g = vjp(np.ones_like(x))
    >>> sorted(g), g["covariance_matrix"].shape
    (['covariance_matrix', 'loc'], (3, 2, 2))
    >>> bool(np.allclose(g["covariance_matrix"], np.swapaxes(g["covariance_matrix"], -1, -2)))
    True
    """

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.independent(constraints.real, 1)
    has_rsample = True
    loc: np.ndarray

    def __init__(self, loc: Any, covariance_matrix: Any = None, precision_matrix: Any = None,
                 scale_tril: Any = None, validate_args: bool | None = None) -> None:
        given = [(n, v) for n, v in zip(_MATRIX_NAMES, (covariance_matrix, precision_matrix, scale_tril))
                 if v is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        name, mat = given[0]
        dtype, p = as_float_params(loc=loc, **{name: mat})
        loc_a, mat_a = p["loc"], p[name]
        batch_shape = _check_shapes("loc", loc_a, name, mat_a)
        d = mat_a.shape[-1]
        validate = self._validate_default if validate_args is None else bool(validate_args)
        loc_a, mat_a = aligned(loc_a), aligned(mat_a)
        if validate:
            _check_vector("loc", loc_a)
            if name == "scale_tril":
                _check_scale_tril(name, mat_a)
            else:
                _check_symmetric(name, mat_a)
        L = mat_a if name == "scale_tril" else _factor(name, mat_a)
        self._record_params({"loc": loc, name: mat}, {"loc": loc_a, name: mat_a}, dtype,
                            event_dims={"loc": 1, name: 2})
        self._unbroadcasted_scale_tril = L
        self._loc_raw = loc_a
        self._mat_raw = mat_a
        self._param_name = name
        super().__init__(batch_shape, (d,), validate_args=False)
        self._validate_args = validate

    # -- lazily computed parameters -------------------------------------------------------
    @lazy_property
    def scale_tril(self) -> np.ndarray:
        return np.broadcast_to(self._unbroadcasted_scale_tril, self._batch_shape + self._event_shape * 2)

    @lazy_property
    def covariance_matrix(self) -> np.ndarray:
        L = self._unbroadcasted_scale_tril
        return np.broadcast_to(L @ np.swapaxes(L, -1, -2), self._batch_shape + self._event_shape * 2)

    @lazy_property
    def precision_matrix(self) -> np.ndarray:
        Li = _tril_inverse(self._unbroadcasted_scale_tril)
        return np.broadcast_to(np.swapaxes(Li, -1, -2) @ Li, self._batch_shape + self._event_shape * 2)

    # -- moments ------------------------------------------------------------------------------
    @property
    def mean(self) -> np.ndarray:
        return self.loc

    @property
    def mode(self) -> np.ndarray:
        return self.loc

    @property
    def variance(self) -> np.ndarray:
        L = self._unbroadcasted_scale_tril
        return np.broadcast_to((L * L).sum(-1), self._batch_shape + self._event_shape)

    # -- sampling ---------------------------------------------------------------------------------
    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        return self.rsample(sample_shape, rng=rng)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """``loc + L @ eps``, shape ``sample_shape + batch_shape + (d,)``, drawn by the fused
        C kernel (one factor per matrix, never copied to the sample shape)."""
        full = as_shape(sample_shape) + self._batch_shape
        return _draw(rng, full, self._loc_raw, self._unbroadcasted_scale_tril)[0]

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """Sample (the same values as :meth:`rsample` for the same rng state) and its VJP
        ``vjp(g) -> {"loc": ..., <matrix>: ...}``: ``d/dloc = g``,
        ``d/dL = sum g eps^T``, pulled back to the matrix given (see the class notes)."""
        full = as_shape(sample_shape) + self._batch_shape
        x, eps = _draw(rng, full, self._loc_raw, self._unbroadcasted_scale_tril, want_eps=True)

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, x.shape, self.dtype)
            gL = _outer_sum(g, eps, self._unbroadcasted_scale_tril.shape[:-2])
            return self._factor_vjp(gL, g)

        return x, vjp

    # -- densities --------------------------------------------------------------------------------
    def _validate_sample(self, value: Any) -> np.ndarray:
        """The base class's checks (event shape, broadcasting, support), with a fast
        path for the support: one NaN scan of the whole array, per-index only on failure."""
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"value must be a real number or array, got dtype {arr.dtype}")
        if self._validate_args and arr.dtype.kind == "f" and np.isnan(arr).any():
            return super()._validate_sample(arr)  # names the first offending index
        if arr.ndim < 1 or arr.shape[-1:] != self._event_shape:
            raise ValueError(
                f"The right-most size of value must match event_shape: {arr.shape} vs {self._event_shape}")
        try:
            np.broadcast_shapes(arr.shape[:-1], self._batch_shape)
        except ValueError:
            raise ValueError(
                f"value with shape {arr.shape} is not broadcastable with "
                f"batch_shape + event_shape {self._batch_shape + self._event_shape}") from None
        return arr

    def _as_value(self, value: Any) -> np.ndarray:
        arr = self._validate_sample(value)
        return arr.astype(value_dtype(value, arr, self.dtype), copy=False)

    def _params_in(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        if dtype == self.dtype:
            return self._loc_raw, self._unbroadcasted_scale_tril
        return self._loc_raw.astype(dtype), self._unbroadcasted_scale_tril.astype(dtype)

    def log_prob(self, value: Any) -> np.ndarray:
        """``-(d log(2 pi) + |L^{-1}(x - loc)|^2) / 2 - sum(log diag L)``, by one batched
        triangular solve (the factor is read once per batch element, never broadcast)."""
        v = self._as_value(value)
        full = tuple(np.broadcast_shapes(v.shape[:-1], self._batch_shape))
        loc, L = self._params_in(v.dtype)
        lp, _ = _solve(L, v, loc, full, log_prob=True)
        return lp if full else lp[()]

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        """``log_prob`` and its VJP w.r.t. ``loc``, the matrix given and ``"value"``:
        with ``y = L^{-1}(x - loc)`` and ``z = L^{-T} y``, ``d/dvalue = -g z``,
        ``d/dloc = g z``, ``d/dL = tril(g z y^T) - g diag(1 / diag L)``."""
        v = self._as_value(value)
        full = tuple(np.broadcast_shapes(v.shape[:-1], self._batch_shape))
        loc, L = self._params_in(v.dtype)
        lp, y = _solve(L, v, loc, full, log_prob=True, want_y=True)
        value_shape, dvalue_dtype = v.shape, grad_dtype(value, v.dtype)

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, full, v.dtype)
            z = _solve(L, y, None, full, want_y=True, want_r=False, transpose=True)[1]
            gz = g[..., None] * z
            gL = np.tril(_outer_sum(gz, y, L.shape[:-2]))
            gL -= _diag_matrix(sum_to_shape(g, L.shape[:-2])[..., None] / np.diagonal(L, axis1=-2, axis2=-1))
            grads = self._factor_vjp(gL, gz, L)
            grads["value"] = sum_to_shape(-gz, value_shape, dvalue_dtype)
            return grads

        return (lp if full else lp[()]), vjp

    def entropy(self) -> np.ndarray:
        """``d (1 + log(2 pi)) / 2 + sum(log diag L)``, over ``batch_shape``."""
        d = self._event_shape[0]
        h: np.ndarray = self.dtype.type(0.5 * d * (1.0 + _LOG_2PI)) + _logdet(self._unbroadcasted_scale_tril)
        h = np.array(np.broadcast_to(h, self._batch_shape))
        return h if self._batch_shape else h[()]

    def entropy_vjp(self) -> tuple[np.ndarray, VJP]:
        """Entropy and its VJP: ``d/dL = g diag(1 / diag L)``, nothing for ``loc``."""
        h = self.entropy()
        L = self._unbroadcasted_scale_tril

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, self._batch_shape, self.dtype)
            gL = _diag_matrix(sum_to_shape(g, L.shape[:-2])[..., None] / np.diagonal(L, axis1=-2, axis2=-1))
            return self._factor_vjp(gL, None)

        return h, vjp

    # -- gradients --------------------------------------------------------------------------------
    def _factor_vjp(self, gL: np.ndarray, gloc: np.ndarray | None, L: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Map a cotangent on the unbroadcasted factor ``L`` (any shape whose batch dims
        broadcast to L's) and one on ``loc`` to the parameters the user passed."""
        L = self._unbroadcasted_scale_tril if L is None else L
        name = self._param_name
        gL = sum_to_shape(gL, L.shape)
        if name == "scale_tril":
            gmat = gL
        else:
            # torch's cholesky_backward: Phi = tril(L^T gL) with the strictly lower part
            # mirrored and everything halved on the diagonal; gA = L^{-T} Phi L^{-1}
            P = np.tril(np.swapaxes(L, -1, -2) @ gL)
            P = 0.5 * (P + np.swapaxes(np.tril(P, -1), -1, -2))
            if name == "covariance_matrix":
                W = _mat_solve(L, P, transpose=True)                           # L^{-T} Phi
                gmat = _mat_solve(L, np.swapaxes(W, -1, -2), transpose=True)   # L^{-T} Phi L^{-1}
            else:
                # precision P = S^{-1}: dP-gradient is -S gS S = -L Phi L^T
                gmat = -(L @ P @ np.swapaxes(L, -1, -2))
            gmat = 0.5 * (gmat + np.swapaxes(gmat, -1, -2))
        gloc_out = self._zero_grad("loc") if gloc is None else self._grad("loc", gloc)
        return {"loc": gloc_out, name: self._grad(name, gmat)}


# -- KL(p || q), registered in numdist.kl ------------------------------------------------------
class _KLParts(TypedDict):
    kl: np.ndarray
    Lp: np.ndarray
    Lq: np.ndarray
    X: np.ndarray
    w: np.ndarray
    full: tuple[int, ...]
    dtype: np.dtype


def _kl_parts(p: MultivariateNormal, q: MultivariateNormal) -> _KLParts:
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes "
                         "cannot be computed")
    dtype = np.result_type(p.dtype, q.dtype)
    Lp = p._unbroadcasted_scale_tril.astype(dtype, copy=False)
    Lq = q._unbroadcasted_scale_tril.astype(dtype, copy=False)
    n = p.event_shape[0]
    full = tuple(np.broadcast_shapes(p.batch_shape, q.batch_shape))
    X = _mat_solve(Lq, Lp)                                      # Lq^{-1} Lp over the combined batch
    diff = q._loc_raw.astype(dtype, copy=False) - p._loc_raw.astype(dtype, copy=False)
    m, w = _solve(Lq, diff, None, full, want_y=True)             # |Lq^{-1}(mu_q - mu_p)|^2
    half1 = _logdet(Lq) - _logdet(Lp)
    kl = half1 + 0.5 * ((X * X).sum((-2, -1)) + m - n)
    kl = np.array(np.broadcast_to(kl, full), dtype=dtype)
    return {"kl": kl if full else kl[()], "Lp": Lp, "Lq": Lq, "X": X, "w": w, "full": full, "dtype": dtype}


def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> np.ndarray:
    """``KL(p || q)`` between multivariate normals (torch's formula through the factors)."""
    return _kl_parts(p, q)["kl"]


def _kl_mvn_mvn_vjp(p: MultivariateNormal, q: MultivariateNormal) -> tuple[np.ndarray, KLVJP]:
    """KL and its VJP ``vjp(g) -> {"p": {...}, "q": {...}}`` w.r.t. both distributions'
    ``loc`` and matrices (the convention of :class:`MultivariateNormal`)."""
    parts = _kl_parts(p, q)
    kl = parts["kl"]
    Lp, Lq, X, w, full, dtype = parts["Lp"], parts["Lq"], parts["X"], parts["w"], parts["full"], parts["dtype"]

    def vjp(g: Any) -> dict[str, dict[str, np.ndarray]]:
        g = as_cotangent(g, full, dtype)
        bc = X.shape[:-2]
        gbc = sum_to_shape(g, bc)[..., None, None]
        Z2 = _mat_solve(Lq, X, transpose=True)                          # Lq^{-T} X
        gLp = gbc * Z2
        gLq = -gbc * (Z2 @ np.swapaxes(X, -1, -2))
        z3 = _solve(Lq, w, None, full, want_y=True, want_r=False, transpose=True)[1]   # Lq^{-T} w
        gz = g[..., None] * z3
        gLq = sum_to_shape(gLq, Lq.shape) - _outer_sum(gz, w, Lq.shape[:-2])
        gLq = np.tril(gLq) + _diag_matrix(sum_to_shape(g, Lq.shape[:-2])[..., None] / np.diagonal(Lq, axis1=-2, axis2=-1))
        gLp = sum_to_shape(gLp, Lp.shape) - _diag_matrix(
            sum_to_shape(g, Lp.shape[:-2])[..., None] / np.diagonal(Lp, axis1=-2, axis2=-1))
        return {"p": p._factor_vjp(gLp, -gz, Lp), "q": q._factor_vjp(gLq, gz, Lq)}

    return kl, vjp


# -- functional sampler ---------------------------------------------------------------------------
def _float_dtype(dtype: npt.DTypeLike) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"Unsupported dtype {dt!r}: only float32 and float64 are supported")
    return dt


def multivariate_normal(mean: Any, cov: Any, size: Any = None, *, dtype: Any = None,
                        out: np.ndarray | None = None, rng: Any = None) -> np.ndarray:
    """Multivariate normal draws, as ``numpy.random.Generator.multivariate_normal``
    (``method="cholesky"``), batched over means and covariances.

    Parameters
    ----------
    mean : array_like, shape (..., d)
        Means; finite.
    cov : array_like, shape (..., d, d)
        Symmetric positive definite covariances (one per batch element, or one
        for all). ``mean.shape[:-1]`` and ``cov.shape[:-2]`` broadcast together.
    size : int or tuple of ints, optional
        Output shape without the event dimension, as in NumPy: the result has
        shape ``size + (d,)`` and the batch shape of the parameters must
        broadcast to ``size``. None: the parameters' batch shape (or
        ``out.shape[:-1]``).
    dtype : {None, float32, float64}
        Default: the parameters' dtype (float32 stays float32, integers become
        float64).
    out : ndarray, optional
        Written in place, any strides. A wrong dtype (TypeError), shape or a
        read-only array (ValueError) is refused before anything is written, and
        so is a bad covariance.
    rng : None, int, SeedSequence, BitGenerator or Generator
        SPEC 7 random source; None uses numdist's global generator.

    Returns
    -------
    ndarray, shape size + (d,)

    Raises
    ------
    ValueError
        ``mean`` with NaN or inf, ``cov`` not symmetric or not positive definite
        (the message names the parameter, the batch index and, for a failed
        Cholesky factorisation, the column), mismatched ``d``, shapes that do
        not broadcast.

    Notes
    -----
    Each covariance is factorised once (``L = chol(cov)``, by a batched C kernel)
    and ``mean + L @ eps`` is drawn with ``eps`` standard normal; when every
    covariance gets exactly one draw, factorisation and draw are fused in one
    pass. The same seed gives the same numbers as
    ``MultivariateNormal(mean, cov).sample(...)`` with the same shapes, and the
    same numbers whatever the thread count.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> cov = np.array([[1.0, 0.8], [0.8, 1.0]])
    >>> x = nd.random.multivariate_normal([0.0, 1.0], cov, size=100_000, rng=0)
    >>> x.shape, np.round(np.cov(x.T), 1).tolist()
    ((100000, 2), [[1.0, 0.8], [0.8, 1.0]])

    A thousand different covariances, one draw each (NumPy cannot batch these):

    >>> covs = np.eye(3) * np.linspace(1, 2, 1000)[:, None, None]
    >>> nd.random.multivariate_normal(np.zeros(3), covs, rng=0).shape
    (1000, 3)
    >>> nd.random.multivariate_normal(np.zeros(3), covs, size=(5, 1000), rng=0).shape
    (5, 1000, 3)
    """
    pdtype, p = as_float_params(mean=mean, cov=cov)
    dt = pdtype if dtype is None else _float_dtype(dtype)
    m, c = p["mean"].astype(dt, copy=False), p["cov"].astype(dt, copy=False)
    bshape = _check_shapes("mean", m, "cov", c)
    d = c.shape[-1]
    shape = functional_out_shape(bshape, size, out, 1,
                                 f"mean {m.shape} and cov {c.shape} (batch shape {bshape})")
    if out is not None:
        check_out(out, shape + (d,), dt)
    m, c = aligned(m), aligned(c)
    _check_vector("mean", m)
    _check_symmetric("cov", c)
    cb = c.shape[:-2]
    if out is None and (1,) * (len(shape) - len(cb)) + cb == shape:
        # every covariance gets exactly one draw: factorise and draw in one pass
        B = _prod(shape)
        res = np.empty(shape + (d,), dtype=dt)
        o2 = res.reshape(B, d)
        fb, fc = _mvn.cov_draw(rng, o2, _param_layout(m, shape, 1), _param_layout(c, shape, 2))
        if fb >= 0:
            raise _not_pd_error("cov", c, fb, fc)
        return res
    L = _factor("cov", c)
    return _draw(rng, shape, m, L, out=out)[0]
