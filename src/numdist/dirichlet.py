"""Dirichlet distribution over the simplex."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

from typing import Any

import numpy as np

from numdist import _dirichlet, _special, constraints, vjp
from numdist.distribution import VJP, Distribution
from numdist.sampling import draw, float_dtype
from numdist.utils import aligned, as_cotangent, as_float_params, check_out, functional_out_shape, logsumexp

__all__ = ["Dirichlet", "dirichlet"]


def _log_gamma_sample_grad(a: np.ndarray, log_z: np.ndarray) -> np.ndarray:
    """``d log z / da`` for a standard gamma draw ``z = exp(log_z)`` of concentration
    ``a``: the implicit gradient over ``z``, and its small-``z`` limit
    ``-(log z - digamma(a + 1)) / a`` where ``z`` underflows (tiny concentrations)."""
    z = np.exp(log_z)
    small = z < 1e-280
    any_small = bool(small.any())
    zr = np.where(small, 1.0, z) if any_small else z
    with np.errstate(divide="ignore", invalid="ignore"):
        regular = _special.gamma_sample_grad(a, zr) / zr
        if not any_small:  # the usual case: no digamma pass for the limit
            return regular
        limit = -(log_z - _special.digamma(a + 1.0)) / a
    return np.where(small, limit, regular)


def normalise_log_gammas(lg: np.ndarray) -> np.ndarray:
    """Rows of log-gammas ``(..., K)`` as points of the simplex, ``G / sum(G)`` in log
    space (``numdist.dask`` finishes its blocks with the same function)."""
    lse = logsumexp(lg, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        x = np.exp(lg - lse)
    finite = np.isfinite(lse)
    if not finite.all():  # rows whose gammas all underflow even in log space (alpha below ~1e-305)
        x = np.where(finite, x, lg.dtype.type(1.0 / lg.shape[-1]))
    return x


class Dirichlet(Distribution):
    """Dirichlet distribution with ``concentration`` of shape ``batch_shape + (K,)``.

    Rows are normalised gammas, in log space, so concentrations down to 1e-3 give
    rows that sum to 1 with correct means. ``rsample_vjp`` differentiates through
    the gammas (implicit gamma gradients), exactly for the draw it returns.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Dirichlet(np.ones((2, 3)))
    >>> x = d.sample((4,), rng=0)
    >>> x.shape, bool(np.allclose(x.sum(-1), 1))
    ((4, 2, 3), True)
    """

    concentration: np.ndarray
    arg_constraints = {"concentration": constraints.independent(constraints.positive_finite, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Any, validate_args: bool | None = None) -> None:
        c = np.asarray(concentration)
        if c.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        _, batch_shape = self._init_params(event_dims={"concentration": 1}, concentration=concentration)
        super().__init__(batch_shape, self.concentration.shape[-1:], validate_args=validate_args)

    @property
    def mean(self) -> np.ndarray:
        return self.concentration / self.concentration.sum(-1, keepdims=True)

    @property
    def mode(self) -> np.ndarray:
        cm1 = np.maximum(self.concentration - 1, 0)
        with np.errstate(invalid="ignore"):
            mode = cm1 / cm1.sum(-1, keepdims=True)
        all_below = np.asarray((self.concentration < 1).all(-1))
        k = self.concentration.shape[-1]
        # torch: one-hot at argmax of the (NaN) mode, i.e. the first category
        onehot = np.broadcast_to(np.eye(k, dtype=self.dtype)[np.nanargmax(np.where(np.isnan(mode), np.inf, mode), -1)],
                                 mode.shape)
        return np.where(all_below[..., None], onehot, mode).astype(self.dtype)

    @property
    def variance(self) -> np.ndarray:
        c = self.concentration
        c0 = c.sum(-1, keepdims=True)
        return c * (c0 - c) / (c0**2 * (c0 + 1))

    def _draw(self, sample_shape: Any, rng: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(x, log G)``: log-gammas of the concentrations (element-wise kernel, C order)
        normalised in log space, so that ``rsample_vjp`` has the gammas of its draw.
        (:func:`numdist.random.dirichlet` draws whole rows in one C kernel instead.)"""
        shape = self._extended_shape(sample_shape)
        lg = draw("log_standard_gamma", rng, shape, self.dtype, np.broadcast_to(self.concentration, shape))
        return normalise_log_gammas(lg), lg

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        return self._draw(sample_shape, rng)[0]

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """``x = G / sum(G)`` with gammas ``G_k``: ``d/dalpha_k = x_k (g_k - sum_i g_i x_i) dlog G_k / dalpha_k``."""
        x, lg = self._draw(sample_shape, rng)
        shape = x.shape

        def vjp_fn(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, shape, self.dtype)
            # the parameter cast, then broadcast (the gradient fill repeats it, no copy)
            dlog = _log_gamma_sample_grad(np.broadcast_to(self.concentration.astype(np.float64, copy=False), shape),
                                          lg.astype(np.float64, copy=False)).astype(self.dtype, copy=False)
            centred = g - (g * x).sum(-1, keepdims=True)
            return {"concentration": self._grad("concentration", x * centred * dlog)}

        return x, vjp_fn

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        c = p.concentration
        return vjp.xlogy(c - 1.0, value).sum(-1) + vjp.lgamma(c.sum(-1)) - vjp.lgamma(c).sum(-1)

    @staticmethod
    def _entropy(p: Any) -> Any:
        c = p.concentration
        k = vjp.value_of(c).shape[-1]
        a0 = c.sum(-1)
        return (vjp.lgamma(c).sum(-1) - vjp.lgamma(a0) - (k - a0) * vjp.digamma(a0)
                - ((c - 1.0) * vjp.digamma(c)).sum(-1))


@vjp.register_kl_closed_form(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Any, q: Any) -> Any:
    sp = p.concentration.sum(-1)
    sq = q.concentration.sum(-1)
    t1 = vjp.lgamma(sp) - vjp.lgamma(sq)
    t2 = (vjp.lgamma(p.concentration) - vjp.lgamma(q.concentration)).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = vjp.digamma(p.concentration) - vjp.expand_dims(vjp.digamma(sp), -1)
    return t1 - t2 + (t3 * t4).sum(-1)


def dirichlet(alpha: Any, size: Any = None, *, dtype: Any = None, out: np.ndarray | None = None,
              rng: Any = None) -> np.ndarray:
    """Dirichlet draws, as ``numpy.random.Generator.dirichlet`` plus ``dtype=``, ``out=``,
    ``rng=``; ``alpha`` may be batched, ``(..., K)`` (NumPy takes one vector only), and
    broadcasts against ``size`` (the output shape without the last dim).

    Examples
    --------
    >>> import numdist as nd
    >>> nd.random.dirichlet([[1.0, 2.0, 3.0], [0.1, 0.1, 0.1]], size=(5, 2), rng=0).shape
    (5, 2, 3)
    """
    pdtype, p = as_float_params(alpha=alpha)
    dt = pdtype if dtype is None else float_dtype(dtype)
    a = p["alpha"].astype(dt, copy=False)
    if a.ndim < 1:
        raise ValueError("alpha must be at least one-dimensional, (..., K)")
    constraints.validate("alpha", a, constraints.independent(constraints.positive_finite, 1), where="random.dirichlet")
    shape = functional_out_shape(a.shape[:-1], size, out, 1, f"alpha {a.shape}")
    full = shape + a.shape[-1:]
    if out is not None:
        check_out(out, full, dt)
    target = out if out is not None and out.flags.aligned and not np.may_share_memory(out, a) else np.empty(full, dt)
    _dirichlet.dirichlet_fill(rng, target, np.broadcast_to(aligned(a), full))
    if out is not None and target is not out:
        out[...] = target
        return out
    return target
