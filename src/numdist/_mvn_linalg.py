"""Linear algebra of the multivariate normal over the batched C kernels (``_mvn``):
draws ``loc + L @ eps``, triangular solves, log-determinants, the Cholesky
factorisation (its failures reported as :class:`numdist.errors.ParameterError`)
and the shape checks shared by :class:`numdist.MultivariateNormal` and
:func:`numdist.random.multivariate_normal`.

Factors ``L`` are kept unbroadcasted (one per matrix the user passed); the
kernels read them through zero-stride views, never copied to the sample shape.
A factor is either a full ``(..., d, d)`` lower triangular matrix or, with
``packed=True``, its ``d(d+1)/2`` lower entries row by row (``(..., d(d+1)/2)``,
entry ``(i, j)`` at ``i(i+1)/2 + j``, ``d <= _mvn.MAXD``): the draw and log_prob
kernels then read 10 numbers per 4x4 factor instead of 16, with the same results.
"""
from __future__ import annotations

from typing import Any, Literal, overload

import numpy as np

from numdist import _mvn, constraints
from numdist._layout import param_layout as _param_layout
from numdist._layout import prod as _prod
from numdist._layout import reshape_view as _reshape_view
from numdist._layout import sb_layout as _sb_layout
from numdist._layout import split as _split
from numdist.errors import ParameterError

__all__ = ["_draw", "_solve", "_mat_solve", "_tril_inverse", "_logdet", "_half_log_det", "_unpack", "_outer_sum",
           "_diag_matrix", "_factor", "_check_shapes"]


@overload
def _draw(rng: Any, full: tuple[int, ...], loc: np.ndarray, L: np.ndarray, out: np.ndarray | None = ...,
          want_eps: Literal[False] = ..., packed: bool = ...) -> tuple[np.ndarray, None]: ...
@overload
def _draw(rng: Any, full: tuple[int, ...], loc: np.ndarray, L: np.ndarray, out: np.ndarray | None = ..., *,
          want_eps: Literal[True], packed: bool = ...) -> tuple[np.ndarray, np.ndarray]: ...
def _draw(rng: Any, full: tuple[int, ...], loc: np.ndarray, L: np.ndarray, out: np.ndarray | None = None,
          want_eps: bool = False, packed: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Draw ``loc + L @ eps`` of shape ``full + (d,)`` (into ``out`` if given, any strides).
    ``loc`` (..., d) and ``L`` (..., d, d), or packed (..., d(d+1)/2), are aligned, of one
    dtype, unbroadcasted."""
    d = loc.shape[-1]
    dtype = L.dtype
    fe = 1 if packed else 2  # the factor's event dims
    if len(full) == 1 and loc.shape[:-1] == full and L.shape[:-fe] == full and loc.flags.aligned and \
            L.flags.aligned:  # one draw per (loc, factor), one batch dim: the operands as they are
        S, B, loc2, L3 = 1, full[0], loc, L
    else:
        k = _split(full, loc.shape[:-1], L.shape[:-fe])
        S, B = _prod(full[:k]), _prod(full[k:])
        loc2 = _param_layout(loc, full[k:], 1)
        L3 = _param_layout(L, full[k:], fe)
    if out is None:  # a new C-ordered array: (S, B, d) is always a view of it
        target = np.empty(full + (d,), dtype=dtype)
        o3: np.ndarray | None = target.reshape((S, B, d))
        through_buffer = False
    else:
        target = out
        o3 = _reshape_view(target, (S, B, d))
        through_buffer = o3 is None or not o3.flags.aligned
    if o3 is None or through_buffer:  # out= is a view whose dims cannot be merged, or misaligned
        o3 = np.empty((S, B, d), dtype=dtype)
    assert o3 is not None
    eps = np.empty((S, B, d), dtype=dtype) if want_eps else None
    _mvn.draw(rng, o3, loc2, L3, eps, packed)
    if through_buffer:
        target[...] = o3.reshape(target.shape)
    return target, (None if eps is None else eps.reshape(full + (d,)))


# (r, y): r unless want_r=False without log_prob, y with want_y
@overload
def _solve(L: np.ndarray, x: np.ndarray, loc: np.ndarray | None, full: tuple[int, ...], *,
           log_prob: bool = ..., want_y: Literal[True], want_r: Literal[True] = ...,
           transpose: bool = ..., hld: np.ndarray | None = ...,
           packed: bool = ...) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def _solve(L: np.ndarray, x: np.ndarray, loc: np.ndarray | None, full: tuple[int, ...], *,
           log_prob: Literal[True], want_y: Literal[False] = ..., want_r: bool = ...,
           transpose: bool = ..., hld: np.ndarray | None = ...,
           packed: bool = ...) -> tuple[np.ndarray, None]: ...
@overload
def _solve(L: np.ndarray, x: np.ndarray, loc: np.ndarray | None, full: tuple[int, ...], *,
           log_prob: Literal[False] = ..., want_y: Literal[True], want_r: Literal[False],
           transpose: bool = ..., hld: np.ndarray | None = ...,
           packed: bool = ...) -> tuple[None, np.ndarray]: ...
def _solve(L: np.ndarray, x: np.ndarray, loc: np.ndarray | None, full: tuple[int, ...], *,
           log_prob: bool = False, want_y: bool = False, want_r: bool = True,
           transpose: bool = False, hld: np.ndarray | None = None,
           packed: bool = False) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Batched triangular solve of ``x - loc`` (both broadcast to ``full + (d,)``) with the
    unbroadcasted factors ``L``: returns ``(r, y)`` with ``y = L^{-1}(x - loc)`` (``L^{-T}``
    with ``transpose``) of shape ``full + (d,)`` and ``r`` its squared norm, or the log
    density with ``log_prob``, of shape ``full``. ``hld`` (with ``log_prob``): the half
    log-determinants of L as :func:`_half_log_det` gives them (same numbers, no
    logarithm per factor). ``packed`` (with ``log_prob`` only): L holds packed factors."""
    d = x.shape[-1]
    dtype = L.dtype
    fe = 1 if packed else 2  # the factor's event dims
    shapes = [L.shape[:-fe]] + ([loc.shape[:-1]] if loc is not None else [])
    k = _split(full, *shapes)
    S, B = _prod(full[:k]), _prod(full[k:])
    L3 = _param_layout(L, full[k:], fe)
    loc2 = None if loc is None else _param_layout(loc, full[k:], 1)
    x3 = _sb_layout(x, full, k, (d,))
    y = np.empty((S, B, d), dtype=dtype) if (want_y or d > _mvn.MAXD) else None
    r = np.empty((S, B), dtype=dtype) if (want_r or log_prob) else None
    if log_prob:
        h = None if hld is None else _param_layout(hld, full[k:], 0)
        _mvn.solve(L3, x3, loc2, None, y, r, hld=h, packed=packed)
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


def _half_log_det(L: np.ndarray, out: np.ndarray, packed: bool = False) -> np.ndarray:
    """``sum(log(diag(L)))`` over the batch of L into ``out`` (float64, the batch shape of
    L, also for a float32 L: not rounded, so that :func:`_solve` given it as ``hld``
    returns exactly the log densities it computes without)."""
    fe = 1 if packed else 2
    L3 = _param_layout(L, L.shape[:-fe], fe)
    o = out.reshape(L3.shape[0])
    _mvn.logdet(L3, o, packed)
    return out


def _unpack(P: np.ndarray, d: int) -> np.ndarray:
    """Packed factors (..., d(d+1)/2) as full lower triangular (..., d, d) matrices."""
    full = np.zeros(P.shape[:-1] + (d, d), dtype=P.dtype)
    rows, cols = np.tril_indices(d)
    full[..., rows, cols] = P
    return full


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


# -- the factorisation -----------------------------------------------------------------------
def _nonfinite_reason(block: np.ndarray, offset: int = 0) -> str | None:
    """'contains NaN (entry (i, j))' / 'contains inf ...' for the first non-finite entry."""
    bad = ~np.isfinite(block)
    if not bad.any():
        return None
    flat = int(np.argmax(bad.ravel()))
    i, j = (int(k) for k in np.unravel_index(flat, block.shape))
    kind = "NaN" if np.isnan(block[i, j]) else "inf"
    return f"contains {kind} (entry ({i + offset}, {j + offset}))"


def _not_pd_error(name: str, mat: np.ndarray, flat: int, col: int, where: str) -> ParameterError:
    """The Cholesky of ``mat``'s matrix number ``flat`` failed at column ``col``."""
    batch = mat.shape[:-2]
    idx = tuple(int(i) for i in np.unravel_index(flat, batch)) if batch else ()
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
    return constraints.explain_failure(name, mat, constraints.positive_definite, idx, where, reason=reason)


def _factor(name: str, mat: np.ndarray, where: str, packed: bool = False) -> np.ndarray:
    """Lower Cholesky factors of ``mat`` (covariance) or of its inverse (precision),
    shape ``mat.shape``, or with ``packed`` (covariance, d <= MAXD) packed, shape
    ``mat.shape[:-2] + (d(d+1)/2,)``. ParameterError naming the parameter, batch index
    and column on failure."""
    d = mat.shape[-1]
    batch = mat.shape[:-2]
    A3 = _param_layout(mat, batch, 2)
    if packed:
        if name != "covariance_matrix" or d > _mvn.MAXD:
            raise ValueError("internal error: packed factors of covariances with d <= MAXD only")
        P2 = np.empty((_prod(batch), d * (d + 1) // 2), dtype=mat.dtype)
        fb, fc = _mvn.cholesky_packed(A3, P2)
        if fb >= 0:
            raise _not_pd_error(name, mat, fb, fc, where)
        return P2 if len(batch) == 1 else P2.reshape(batch + (d * (d + 1) // 2,))
    L3 = np.empty((_prod(batch), d, d), dtype=mat.dtype)
    fb, fc = _mvn.cholesky(A3, L3, name == "precision_matrix")
    if fb >= 0:
        raise _not_pd_error(name, mat, fb, fc, where)
    return L3.reshape(mat.shape)


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
    if vec.shape[:-1] == mat.shape[:-2]:  # the usual case, without np.broadcast_shapes
        return tuple(vec.shape[:-1])
    try:
        return tuple(np.broadcast_shapes(vec.shape[:-1], mat.shape[:-2]))
    except ValueError:
        raise ValueError(f"the batch shapes of {vec_name} {vec.shape[:-1]} and {mat_name} {mat.shape[:-2]} "
                         f"(shapes {vec.shape} and {mat.shape}) do not broadcast together") from None
