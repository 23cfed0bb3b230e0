"""Multivariate normal distribution (batched; covariance, precision or scale_tril)
and its KL divergence (registered with :func:`numdist.kl.register_kl`).

Everything is computed from the lower Cholesky factor ``L`` of the covariance,
kept unbroadcasted (one factor per matrix the user passed, as torch's
``_unbroadcasted_scale_tril``): the C kernels factorise many small matrices at
once, draw ``loc + L @ eps`` and solve ``L y = x - loc`` for ``log_prob`` without
ever copying ``L`` out to the sample shape (see :mod:`numdist._mvn_linalg`).

Gradients are analytic vector-Jacobian products of torch's formulas, computed
first with respect to ``L`` and then pulled back to the parameter the
distribution was built with (see :class:`MultivariateNormal` for the
convention used for the symmetric matrices).
"""
from __future__ import annotations

import math
import threading
from typing import Any, TypedDict

import numpy as np

from numdist import constraints
from numdist import _mvn
from numdist._mvn_linalg import (_check_shapes, _diag_matrix, _draw, _factor, _half_log_det, _logdet, _mat_solve,
                                 _outer_sum, _solve, _tril_inverse, _unpack)
from numdist.distribution import VJP, Distribution, ParamRecord
from numdist.kl import KLVJP, register_kl, register_kl_vjp
from numdist.utils import (aligned, as_cotangent, as_float_params, check_size, grad_dtype, lazy_property,
                           sum_to_shape, value_dtype)

__all__ = ["MultivariateNormal"]

_LOG_2PI = math.log(2 * math.pi)
_MATRIX_NAMES = ("covariance_matrix", "precision_matrix", "scale_tril")
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
# guards the first fill of a distribution's cached half log-determinants
_HLD_LOCK = threading.Lock()


# -- the distribution -----------------------------------------------------------------------------
class MultivariateNormal(Distribution):
    r"""Multivariate normal distribution with mean ``loc`` and a covariance given by
    exactly one of ``covariance_matrix``, ``precision_matrix`` or ``scale_tril``.

    As ``torch.distributions.MultivariateNormal``: ``batch_shape`` is
    ``broadcast(loc.shape[:-1], matrix.shape[:-2])``, ``event_shape`` is ``(d,)``;
    every computation goes through the lower Cholesky factor ``L``
    (:math:`\Sigma = L L^\top`), which is computed once at construction by batched
    C kernels (covariance: ``L = chol(covariance_matrix)``; precision: torch's
    ``_precision_to_scale_tril``) and kept unbroadcasted (a covariance's factor
    is stored packed, its lower triangle only, which is what ``rsample`` and
    ``log_prob`` read; the half log-determinants are cached at the first
    ``log_prob``). ``scale_tril``,
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
        if type(loc) is np.ndarray and type(mat) is np.ndarray and loc.dtype == mat.dtype and \
                loc.dtype in _FLOATS and loc.ndim >= 1 and mat.ndim >= 2 and loc.shape[:-1] == mat.shape[:-2] \
                and mat.shape[-1] == mat.shape[-2] == loc.shape[-1] and loc.flags.aligned and mat.flags.aligned:
            # the usual case (two aligned arrays of one float dtype and one batch shape):
            # what as_float_params, _check_shapes, aligned and Distribution._record_params
            # give for it, without their generality (this glue runs with cold caches after
            # the kernels, docs/performance.md): the arrays as they are, read-only views
            # of them as the attributes, records of their shapes and dtype
            dtype, loc_a, mat_a, batch_shape = loc.dtype, loc, mat, loc.shape[:-1]
            d = loc.shape[-1]
            loc_v, mat_v = loc.view(), mat.view()
            loc_v.flags.writeable = mat_v.flags.writeable = False
            self.loc = loc_v
            setattr(self, name, mat_v)
            self._params = {"loc": ParamRecord(loc.shape, dtype, 1), name: ParamRecord(mat.shape, dtype, 2)}
            self.dtype = dtype
        else:
            dtype, p = as_float_params(loc=loc, **{name: mat})
            loc_a, mat_a = p["loc"], p[name]
            batch_shape = _check_shapes("loc", loc_a, name, mat_a)
            d = mat_a.shape[-1]
            loc_a, mat_a = aligned(loc_a), aligned(mat_a)
            self._record_params({"loc": loc, name: mat}, {"loc": loc_a, name: mat_a}, dtype,
                                event_dims={"loc": 1, name: 2})
        self._loc_raw = loc_a
        self._mat_raw = mat_a
        self._param_name = name
        super().__init__(batch_shape, (d,), validate_args=validate_args)  # validates loc and the matrix
        # a failed factorisation is refused even with validation off. A covariance's factor
        # is stored packed (its d(d+1)/2 lower entries: 10 numbers for 4x4 instead of 16), which
        # is all that rsample and log_prob read; the full (..., d, d) factor is made from it
        # at the first use that needs it (scale_tril, gradients, KL, ...), same values.
        where = f"distribution {type(self).__name__}"
        self._tril_packed: np.ndarray | None = None
        self._tril_full: np.ndarray | None = None
        if name == "scale_tril":
            self._tril_full = mat_a
        elif name == "covariance_matrix" and d <= _mvn.MAXD:
            self._tril_packed = _factor(name, mat_a, where, packed=True)
        else:
            self._tril_full = _factor(name, mat_a, where)
        # sum(log(diag L)) per factor, filled by the first log_prob (a logarithm per factor
        # once, then none). Allocated here and left untouched (no pages written), so that
        # log_prob allocates nothing but its output.
        self._hld = np.empty(mat_a.shape[:-2], dtype=np.float64)
        self._hld_ready = False

    # -- lazily computed parameters -------------------------------------------------------
    @lazy_property
    def _unbroadcasted_scale_tril(self) -> np.ndarray:
        """The lower Cholesky factors, one per matrix given, (..., d, d) (torch's name)."""
        if self._tril_packed is None:
            assert self._tril_full is not None
            return self._tril_full
        return _unpack(self._tril_packed, self._event_shape[0])

    def _factor_for_kernels(self) -> tuple[np.ndarray, bool]:
        """The factor as stored (packed when it is) and whether it is packed."""
        if self._tril_packed is not None:
            return self._tril_packed, True
        return self._unbroadcasted_scale_tril, False

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
        if type(sample_shape) is tuple and not sample_shape:  # the usual rsample(): no shape to convert
            full = check_size(self._batch_shape + self._event_shape, requested=())[:-1]
        else:
            full = self._extended_shape(sample_shape)[:-1]
        F, packed = self._factor_for_kernels()
        return _draw(rng, full, self._loc_raw, F, packed=packed)[0]

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """Sample (the same values as :meth:`rsample` for the same rng state) and its VJP
        ``vjp(g) -> {"loc": ..., <matrix>: ...}``: ``d/dloc = g``,
        ``d/dL = sum g eps^T``, pulled back to the matrix given (see the class notes)."""
        full = self._extended_shape(sample_shape)[:-1]
        F, packed = self._factor_for_kernels()
        x, eps = _draw(rng, full, self._loc_raw, F, want_eps=True, packed=packed)

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

    def _half_log_dets(self) -> np.ndarray:
        """``sum(log(diag L))`` per unbroadcasted factor, float64, computed at the first
        call and kept (the factor never changes)."""
        hld = self._hld
        if not self._hld_ready:
            with _HLD_LOCK:
                if not self._hld_ready:
                    F, packed = self._factor_for_kernels()
                    _half_log_det(F, hld, packed)
                    self._hld_ready = True
        return hld

    def log_prob(self, value: Any) -> np.ndarray:
        """``-(d log(2 pi) + |L^{-1}(x - loc)|^2) / 2 - sum(log diag L)``, by one batched
        triangular solve (the factor is read once per batch element, never broadcast; the
        half log-determinants are computed at the first call and cached)."""
        v = self._as_value(value)
        full = tuple(np.broadcast_shapes(v.shape[:-1], self._batch_shape))
        F, packed = self._factor_for_kernels()
        loc = self._loc_raw
        if v.dtype != self.dtype:
            loc, F = loc.astype(v.dtype), F.astype(v.dtype)
        lp, _ = _solve(F, v, loc, full, log_prob=True, hld=self._half_log_dets(), packed=packed)
        return lp if full else lp[()]

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        """``log_prob`` and its VJP w.r.t. ``loc``, the matrix given and ``"value"``:
        with ``y = L^{-1}(x - loc)`` and ``z = L^{-T} y``, ``d/dvalue = -g z``,
        ``d/dloc = g z``, ``d/dL = tril(g z y^T) - g diag(1 / diag L)``."""
        v = self._as_value(value)
        full = tuple(np.broadcast_shapes(v.shape[:-1], self._batch_shape))
        loc, L = self._params_in(v.dtype)
        lp, y = _solve(L, v, loc, full, log_prob=True, want_y=True, hld=self._half_log_dets())
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
        # the cached half log-determinants rounded to the dtype: _logdet's values
        h: np.ndarray = self.dtype.type(0.5 * d * (1.0 + _LOG_2PI)) + self._half_log_dets().astype(self.dtype)
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


# -- KL(p || q) ------------------------------------------------------
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


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> np.ndarray:
    """``KL(p || q)`` between multivariate normals (torch's formula through the factors)."""
    return _kl_parts(p, q)["kl"]


@register_kl_vjp(MultivariateNormal, MultivariateNormal)
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
