"""Multivariate normal with a low-rank plus diagonal covariance (torch's LowRankMultivariateNormal)."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import _rng, constraints
from numdist.distribution import VJP, Distribution
from numdist.kl import KLVJP, register_kl, register_kl_vjp
from numdist.multivariate_normal import MultivariateNormal
from numdist.sampling import draw
from numdist.utils import as_cotangent, as_float_params, grad_dtype, lazy_property, sum_to_shape

__all__ = ["LowRankMultivariateNormal"]

_LOG_2PI = math.log(2 * math.pi)


def _mT(a: np.ndarray) -> np.ndarray:
    return np.swapaxes(a, -1, -2)


def _solve_tril(L: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``L^{-1} b`` for small lower-triangular ``L`` (rank x rank), batched and broadcast."""
    out: np.ndarray = np.linalg.solve(L, b)
    return out


class LowRankMultivariateNormal(Distribution):
    r"""Multivariate normal with covariance ``cov_factor @ cov_factor.T + diag(cov_diag)``.

    As ``torch.distributions.LowRankMultivariateNormal``: ``loc`` (..., d),
    ``cov_factor`` (..., d, r), ``cov_diag`` (..., d) broadcast to ``batch_shape``;
    ``event_shape`` is ``(d,)``. With ``W = cov_factor``, ``D = diag(cov_diag)`` and the
    capacitance ``C = I_r + W^T D^{-1} W`` (its Cholesky factor is computed once),
    ``log_prob`` and ``entropy`` use the Woodbury identity and the matrix determinant
    lemma, ``O(d r^2)`` per batch element instead of ``O(d^3)``:
    ``Sigma^{-1} = D^{-1} - D^{-1} W C^{-1} W^T D^{-1}``, ``log|Sigma| = log|C| + log|D|``.
    ``covariance_matrix``, ``precision_matrix`` and ``scale_tril`` (d x d) are computed
    only when asked for.

    ``rsample`` is ``loc + W eps_W + sqrt(cov_diag) * eps_D`` (``r + d`` standard normals
    per draw, drawn as one block ``[eps_W, eps_D]``). Gradients (``rsample_vjp``,
    ``log_prob_vjp``, ``entropy_vjp``, KL VJPs) are keyed ``loc``, ``cov_factor``,
    ``cov_diag``; they are the unique gradients of the quantity (what autograd of
    torch's formulas gives), computed in ``O(d r)`` per element through
    ``Sigma^{-1}`` applied by Woodbury.

    KL pairs: LowRankMultivariateNormal with itself and with
    :class:`MultivariateNormal` both ways, as torch (computed with dense ``d x d``
    matrices; a ``MultivariateNormal`` built from ``scale_tril`` gets torch's
    entry-by-entry gradient of its formulas, see MultivariateNormal's notes).

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.LowRankMultivariateNormal(np.zeros(3), np.ones((3, 1)), np.ones(3))
    >>> d.batch_shape, d.event_shape
    ((), (3,))
    >>> d.covariance_matrix
    array([[2., 1., 1.],
           [1., 2., 1.],
           [1., 1., 2.]])
    >>> x, vjp = d.rsample_vjp((5,), rng=0)
    >>> {k: v.shape for k, v in vjp(np.ones_like(x)).items()}
    {'loc': (3,), 'cov_factor': (3, 1), 'cov_diag': (3,)}
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "cov_factor": constraints.independent(constraints.finite, 2),
                       "cov_diag": constraints.independent(constraints.positive_finite, 1)}
    support = constraints.independent(constraints.real, 1)
    has_rsample = True
    loc: np.ndarray
    cov_factor: np.ndarray
    cov_diag: np.ndarray

    def __init__(self, loc: Any, cov_factor: Any, cov_diag: Any, validate_args: bool | None = None) -> None:
        dtype, p = as_float_params(loc=loc, cov_factor=cov_factor, cov_diag=cov_diag)
        # one memory layout whatever was passed: matmul/solve round alike for every layout
        p = {k: np.ascontiguousarray(v) for k, v in p.items()}
        if p["loc"].ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        d = p["loc"].shape[-1]
        if p["cov_factor"].ndim < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if p["cov_factor"].shape[-2] != d:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {d} x m, "
                             f"got shape {p['cov_factor'].shape}")
        if p["cov_diag"].ndim < 1 or p["cov_diag"].shape[-1] != d:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {(d,)}, got shape {p['cov_diag'].shape}")
        batch_shape = self._record_params({"loc": loc, "cov_factor": cov_factor, "cov_diag": cov_diag}, p, dtype,
                                          event_dims={"loc": 1, "cov_factor": 2, "cov_diag": 1})
        super().__init__(batch_shape, (d,), validate_args=validate_args)

    # -- the capacitance and what Woodbury needs ------------------------------------------------
    @lazy_property
    def _capacitance_tril(self) -> np.ndarray:
        """Cholesky factor of ``C = I + W^T D^{-1} W`` (r x r)."""
        W, D = self.cov_factor, self.cov_diag
        Wt_Dinv = _mT(W) / D[..., None, :]
        K = Wt_Dinv @ W
        K = K + np.eye(K.shape[-1], dtype=K.dtype)
        L: np.ndarray = np.linalg.cholesky(K)
        return L

    @lazy_property
    def _A(self) -> np.ndarray:
        """``A = L_C^{-1} W^T D^{-1}`` (r x d), so that ``Sigma^{-1} = D^{-1} - A^T A``."""
        return _solve_tril(self._capacitance_tril, _mT(self.cov_factor) / self.cov_diag[..., None, :])

    @lazy_property
    def _logdet(self) -> np.ndarray:
        """``log|Sigma| = 2 sum log diag L_C + sum log D``."""
        out: np.ndarray = 2 * np.log(np.diagonal(self._capacitance_tril, axis1=-2, axis2=-1)).sum(-1) + \
            np.log(self.cov_diag).sum(-1)
        return out

    def _precision_apply(self, v: np.ndarray) -> np.ndarray:
        """``Sigma^{-1} v`` for vectors ``v`` (..., d) broadcasting with the batch."""
        A = self._A
        out: np.ndarray = v / self.cov_diag - np.einsum("...rd,...r->...d", A, np.einsum("...rd,...d->...r", A, v))
        return out

    def _precision_diag(self) -> np.ndarray:
        out: np.ndarray = 1 / self.cov_diag - (self._A ** 2).sum(-2)
        return out

    def _precision_times_factor(self) -> np.ndarray:
        """``Sigma^{-1} W`` (d x r)."""
        A, W = self._A, self.cov_factor
        out: np.ndarray = W / self.cov_diag[..., None] - _mT(A) @ (A @ W)
        return out

    # -- lazily computed matrices -------------------------------------------------------------
    @lazy_property
    def covariance_matrix(self) -> np.ndarray:
        W = self.cov_factor
        cov: np.ndarray = W @ _mT(W) + _diag_embed(self.cov_diag)
        return cov

    @lazy_property
    def precision_matrix(self) -> np.ndarray:
        A = self._A
        prec: np.ndarray = _diag_embed(1 / self.cov_diag) - _mT(A) @ A
        return prec

    @lazy_property
    def scale_tril(self) -> np.ndarray:
        # torch's route: sqrt(D) chol(I + D^{-1/2} W W^T D^{-1/2}), well conditioned
        sqrt_d = np.sqrt(self.cov_diag)[..., None]
        Wd = self.cov_factor / sqrt_d
        K = Wd @ _mT(Wd) + np.eye(self._event_shape[0], dtype=Wd.dtype)
        L: np.ndarray = sqrt_d * np.linalg.cholesky(K)
        return L

    # -- moments ----------------------------------------------------------------------------
    @property
    def mean(self) -> np.ndarray:
        return self.loc

    @property
    def mode(self) -> np.ndarray:
        return self.loc

    @property
    def variance(self) -> np.ndarray:
        v: np.ndarray = (self.cov_factor ** 2).sum(-1) + self.cov_diag
        return v

    # -- sampling -----------------------------------------------------------------------------
    def _draw(self, sample_shape: Any, rng: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        shape = self._extended_shape(sample_shape)
        r = self.cov_factor.shape[-1]
        eps = draw("normal", _rng.as_bit_generator(rng), shape[:-1] + (r + shape[-1],), self.dtype)
        eps_w, eps_d = eps[..., :r], eps[..., r:]
        return lowrank_affine(self.loc, self.cov_factor, self.cov_diag, eps_w, eps_d), eps_w, eps_d

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """``loc + W eps_W + sqrt(cov_diag) * eps_D``, ``[eps_W, eps_D]`` one block of
        ``r + d`` standard normals per draw."""
        return self._draw(sample_shape, rng)[0]

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """``d/dloc = g``, ``d/dW = g eps_W^T``, ``d/dcov_diag = g eps_D / (2 sqrt(cov_diag))``."""
        x, eps_w, eps_d = self._draw(sample_shape, rng)

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, x.shape, self.dtype)
            return {"loc": self._grad("loc", g),
                    "cov_factor": self._grad("cov_factor", g[..., :, None] * eps_w[..., None, :]),
                    "cov_diag": self._grad("cov_diag", g * eps_d * (0.5 / np.sqrt(self.cov_diag)))}

        return x, vjp

    # -- densities ------------------------------------------------------------------------------
    def _mahalanobis(self, diff: np.ndarray) -> np.ndarray:
        """``diff^T Sigma^{-1} diff = |diff|^2_{D^{-1}} - |L_C^{-1} W^T D^{-1} diff|^2``."""
        y = np.einsum("...rd,...d->...r", self._A, diff)
        out: np.ndarray = (diff * diff / self.cov_diag).sum(-1) - (y * y).sum(-1)
        return out

    def log_prob(self, value: Any) -> np.ndarray:
        """``-(d log(2 pi) + log|Sigma| + diff^T Sigma^{-1} diff) / 2`` by Woodbury."""
        v = self._as_value(value)
        diff = v - self.loc
        lp: np.ndarray = -0.5 * (self._event_shape[0] * _LOG_2PI + self._logdet + self._mahalanobis(diff))
        return lp

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        """With ``u = Sigma^{-1}(x - loc)``: ``d/dvalue = -g u``, ``d/dloc = g u``,
        ``d/dW = g (u u^T - Sigma^{-1}) W``, ``d/dcov_diag = g (u^2 - diag Sigma^{-1}) / 2``."""
        v = self._as_value(value)
        diff = v - self.loc
        lp = -0.5 * (self._event_shape[0] * _LOG_2PI + self._logdet + self._mahalanobis(diff))
        value_shape, dvalue_dtype = v.shape, grad_dtype(value, lp.dtype)

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, lp.shape, lp.dtype)
            u = self._precision_apply(diff)
            gu = g[..., None] * u
            uW = np.einsum("...d,...dr->...r", u, self.cov_factor)
            gsum = sum_to_shape(g, self._batch_shape)[..., None]
            dW = gu[..., :, None] * uW[..., None, :]
            dW = sum_to_shape(dW, self._batch_shape + self.cov_factor.shape[-2:]) - gsum[..., None] * self._precision_times_factor()
            dD = sum_to_shape(0.5 * gu * u, self._batch_shape + self._event_shape) - 0.5 * gsum * self._precision_diag()
            return {"loc": self._grad("loc", gu), "cov_factor": self._grad("cov_factor", dW),
                    "cov_diag": self._grad("cov_diag", dD), "value": sum_to_shape(-gu, value_shape, dvalue_dtype)}

        return lp, vjp

    def entropy(self) -> np.ndarray:
        """``(d (1 + log(2 pi)) + log|Sigma|) / 2``."""
        h: np.ndarray = 0.5 * (self._event_shape[0] * (1.0 + _LOG_2PI) + self._logdet)
        return h

    def entropy_vjp(self) -> tuple[np.ndarray, VJP]:
        """``d/dW = g Sigma^{-1} W``, ``d/dcov_diag = g diag(Sigma^{-1}) / 2``, none for loc."""
        h = self.entropy()

        def vjp(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, h.shape, h.dtype)[..., None]
            return {"loc": self._zero_grad("loc"),
                    "cov_factor": self._grad("cov_factor", g[..., None] * self._precision_times_factor()),
                    "cov_diag": self._grad("cov_diag", 0.5 * g * self._precision_diag())}

        return h, vjp


def _diag_embed(v: np.ndarray) -> np.ndarray:
    out = np.zeros(v.shape + v.shape[-1:], dtype=v.dtype)
    idx = np.arange(v.shape[-1])
    out[..., idx, idx] = v
    return out


# -- KL divergences with LowRankMultivariateNormal and MultivariateNormal ---------------------------
# Dense d x d: the KL of two Gaussians, 0.5 (tr(Sq^-1 Sp) + dmu^T Sq^-1 dmu - d + log|Sq| - log|Sp|),
# and its gradients with respect to each covariance, G_p = (Sq^-1 - Sp^-1) / 2,
# G_q = (Sq^-1 - Sq^-1 (Sp + dmu dmu^T) Sq^-1) / 2, mapped to each family's parameters.
def _dense(d: Distribution) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(loc, covariance, log|covariance|)`` of a LowRank or full MultivariateNormal."""
    if isinstance(d, LowRankMultivariateNormal):
        return d.loc, d.covariance_matrix, d._logdet
    assert isinstance(d, MultivariateNormal)
    L = d._unbroadcasted_scale_tril
    logdet = 2 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1)
    return d.loc, L @ _mT(L), logdet


def _cov_grads(d: Distribution, G: np.ndarray, gloc: np.ndarray, trace_part: np.ndarray | None = None,
               g: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Gradients of the parameters of ``d`` from a symmetric gradient ``G`` with respect to its
    covariance and one ``gloc`` with respect to its mean (any batch shape broadcasting to it).

    A MultivariateNormal ``p`` (``trace_part`` = ``g Sq^-1``, the gradient of the trace term
    alone; ``g`` the cotangent) gets torch's entry-by-entry gradient of its factor ``L``:
    ``trace_part @ L`` over the whole matrix, minus ``g / diag(L)`` on the diagonal (torch
    reads ``log|Sigma_p|`` off the diagonal). As ``q`` only ``L``'s lower triangle enters
    (triangular solves): ``tril(2 G L)``."""
    if isinstance(d, LowRankMultivariateNormal):
        diag = np.diagonal(G, axis1=-2, axis2=-1)
        return {"loc": d._grad("loc", gloc), "cov_factor": d._grad("cov_factor", 2 * G @ d.cov_factor),
                "cov_diag": d._grad("cov_diag", diag)}
    assert isinstance(d, MultivariateNormal)
    L = d._unbroadcasted_scale_tril
    if trace_part is not None and g is not None:
        gL = trace_part @ L - _diag_embed(g[..., None] / np.diagonal(L, axis1=-2, axis2=-1))
    else:
        gL = np.tril(2 * G @ L)
    return d._factor_vjp(gL, gloc, L)


def _kl_dense(p: Distribution, q: Distribution) -> tuple[np.ndarray, KLVJP]:
    if p.event_shape != q.event_shape:
        raise ValueError(f"KL-divergence between two (Low Rank) Multivariate Normals with different event shapes "
                         f"cannot be computed: {p.event_shape} vs {q.event_shape}")
    mp, Sp, ldp = _dense(p)
    mq, Sq, ldq = _dense(q)
    n = p.event_shape[0]
    Lq = np.linalg.cholesky(Sq)
    eye = np.eye(n, dtype=Lq.dtype)
    Lq_inv = np.linalg.solve(Lq, eye)
    Sq_inv = _mT(Lq_inv) @ Lq_inv
    delta = mq - mp
    w = np.einsum("...ij,...j->...i", Lq_inv, delta)
    X = Lq_inv @ np.linalg.cholesky(Sp)
    kl: np.ndarray = 0.5 * ((X * X).sum((-2, -1)) + (w * w).sum(-1) - n + ldq - ldp)
    full = kl.shape

    def vjp(g: Any) -> dict[str, dict[str, np.ndarray]]:
        g = as_cotangent(g, full, kl.dtype)
        Sp_inv = np.linalg.inv(Sp)
        z = np.einsum("...ij,...j->...i", Sq_inv, delta)  # Sq^-1 dmu
        gm = g[..., None, None]
        Gp = 0.5 * gm * (Sq_inv - Sp_inv)
        Gq = 0.5 * gm * (Sq_inv - Sq_inv @ Sp @ Sq_inv - z[..., :, None] * z[..., None, :])
        gz = g[..., None] * z
        return {"p": _cov_grads(p, Gp, -gz, gm * Sq_inv, g), "q": _cov_grads(q, Gq, gz)}

    return kl, vjp


def _kl_value(p: Distribution, q: Distribution) -> np.ndarray:
    return _kl_dense(p, q)[0]


for _p, _q in ((LowRankMultivariateNormal, LowRankMultivariateNormal),
               (LowRankMultivariateNormal, MultivariateNormal),
               (MultivariateNormal, LowRankMultivariateNormal)):
    register_kl(_p, _q)(_kl_value)
    register_kl_vjp(_p, _q)(_kl_dense)


def lowrank_affine(loc: np.ndarray, cov_factor: np.ndarray, cov_diag: np.ndarray, eps_w: np.ndarray,
                   eps_d: np.ndarray) -> np.ndarray:
    """``loc + W eps_W + sqrt(cov_diag) eps_D`` (``numdist.dask`` applies it block by block)."""
    x: np.ndarray = loc + np.einsum("...dr,...r->...d", cov_factor, eps_w) + np.sqrt(cov_diag) * eps_d
    return x
