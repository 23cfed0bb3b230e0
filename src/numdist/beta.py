"""Beta distribution, with implicit reparameterisation gradients to working precision."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import _special, constraints, vjp
from numdist.distribution import VJP, Distribution
from numdist.exponential import Exponential
from numdist.gamma import Gamma
from numdist.gumbel import Gumbel
from numdist.normal import Normal
from numdist.sampling import functional
from numdist.uniform import Uniform
from numdist.utils import as_cotangent

__all__ = ["Beta", "beta"]


class Beta(Distribution):
    """Beta distribution on [0, 1] with ``concentration1`` (alpha) and ``concentration0`` (beta).

    Sampled from two gammas, in log space where both concentrations are small, so
    ``Beta(1e-3, 1e-3)`` puts half its mass on each side of 1/2 with no NaN.
    ``rsample`` is reparameterised implicitly: ``dx/da = -(dI_x/da) / p(x)``, with
    the incomplete beta function differentiated analytically.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Beta(2.0, 3.0)
    >>> float(d.mean)
    0.4
    >>> x, vjp = d.rsample_vjp((4,), rng=0)
    >>> sorted(vjp(np.ones_like(x)))
    ['concentration0', 'concentration1']
    """

    concentration1: np.ndarray
    concentration0: np.ndarray
    _kernel = ("beta", ("concentration1", "concentration0"))
    arg_constraints = {"concentration1": constraints.positive_finite, "concentration0": constraints.positive_finite}
    support = constraints.unit_interval
    has_rsample = True

    @property
    def mean(self) -> np.ndarray:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> np.ndarray:
        a1 = np.maximum(self.concentration1 - 1, 0)
        a0 = np.maximum(self.concentration0 - 1, 0)
        with np.errstate(invalid="ignore"):
            mode = a1 / (a1 + a0)
        both_below_one = (self.concentration1 < 1) & (self.concentration0 < 1)
        return np.where(both_below_one, 1.0, mode).astype(self.dtype)  # torch's Dirichlet rule, K = 2

    @property
    def variance(self) -> np.ndarray:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total**2 * (total + 1))

    def __init__(self, concentration1: Any, concentration0: Any, validate_args: bool | None = None) -> None:
        _, batch_shape = self._init_params(concentration1=concentration1, concentration0=concentration0)
        super().__init__(batch_shape, validate_args=validate_args)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        return self._draw_elementwise(sample_shape, rng)

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """The draw and its implicit VJP ``-(dI_x/da) / p(x)`` per concentration."""
        x = self.rsample(sample_shape, rng)
        shape = x.shape

        def vjp_fn(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, shape, self.dtype)
            da, db = _special.beta_sample_grad(np.broadcast_to(self.concentration1, shape),
                                               np.broadcast_to(self.concentration0, shape), x)
            return {"concentration1": self._grad("concentration1", g * da.astype(self.dtype, copy=False)),
                    "concentration0": self._grad("concentration0", g * db.astype(self.dtype, copy=False))}

        return x, vjp_fn

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        a, b = p.concentration1, p.concentration0
        return (vjp.xlogy(a - 1, value) + vjp.xlogy(b - 1, 1 - value)
                + vjp.lgamma(a + b) - vjp.lgamma(a) - vjp.lgamma(b))

    @staticmethod
    def _entropy(p: Any) -> Any:
        a, b = p.concentration1, p.concentration0
        a0 = a + b
        return (vjp.lgamma(a) + vjp.lgamma(b) - vjp.lgamma(a0) - (2 - a0) * vjp.digamma(a0)
                - ((a - 1) * vjp.digamma(a) + (b - 1) * vjp.digamma(b)))

    def cdf(self, value: Any) -> np.ndarray:
        """The regularised incomplete beta function ``I_x(concentration1, concentration0)`` (as scipy)."""
        v = self._as_value(value)
        return _special.betainc(self.concentration1, self.concentration0, v).astype(v.dtype, copy=False)


def _x_log_x(x: Any) -> Any:
    return x * np.log(x)


@vjp.register_kl_closed_form(Beta, Beta)
def _kl_beta_beta(p: Any, q: Any) -> Any:
    sp = p.concentration1 + p.concentration0
    sq = q.concentration1 + q.concentration0
    t1 = vjp.lgamma(q.concentration1) + vjp.lgamma(q.concentration0) + vjp.lgamma(sp)
    t2 = vjp.lgamma(p.concentration1) + vjp.lgamma(p.concentration0) + vjp.lgamma(sq)
    t3 = (p.concentration1 - q.concentration1) * vjp.digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * vjp.digamma(p.concentration0)
    t5 = (sq - sp) * vjp.digamma(sp)
    return t1 - t2 + t3 + t4 + t5


@vjp.register_kl_closed_form(Beta, Exponential)
def _kl_beta_exponential(p: Any, q: Any) -> Any:
    return -Beta._entropy(p) - np.log(q.rate) + q.rate * (p.concentration1 / (p.concentration1 + p.concentration0))


@vjp.register_kl_closed_form(Beta, Gamma)
def _kl_beta_gamma(p: Any, q: Any) -> Any:
    a, b = p.concentration1, p.concentration0
    t2 = vjp.lgamma(q.concentration) - q.concentration * np.log(q.rate)
    t3 = (q.concentration - 1) * (vjp.digamma(a) - vjp.digamma(a + b))
    t4 = q.rate * a / (a + b)
    return -Beta._entropy(p) + t2 - t3 + t4


@vjp.register_kl_closed_form(Beta, Normal)
def _kl_beta_normal(p: Any, q: Any) -> Any:
    a, b = p.concentration1, p.concentration0
    e_beta = a / (a + b)
    var_normal = q.scale**2
    t2 = 0.5 * np.log(var_normal * 2 * math.pi)
    t3 = (e_beta * (1 - e_beta) / (a + b + 1) + e_beta**2) * 0.5
    return -Beta._entropy(p) + t2 + (t3 - q.loc * e_beta + 0.5 * q.loc**2) / var_normal


@vjp.register_kl_closed_form(Beta, Uniform)
def _kl_beta_uniform(p: Any, q: Any) -> Any:
    outside = (vjp.value_of(q.low) > 0) | (vjp.value_of(q.high) < 1)
    return vjp.where(outside, np.inf, -Beta._entropy(p) + np.log(q.high - q.low))


@vjp.register_kl_closed_form(Uniform, Beta)
def _kl_uniform_beta(p: Any, q: Any) -> Any:
    common_term = p.high - p.low
    with np.errstate(divide="ignore", invalid="ignore"):
        t2 = (q.concentration1 - 1) * (_x_log_x(p.high) - _x_log_x(p.low) - common_term) / common_term
        t3 = (q.concentration0 - 1) * (_x_log_x(1 - p.high) - _x_log_x(1 - p.low) + common_term) / common_term
    t4 = (vjp.lgamma(q.concentration1) + vjp.lgamma(q.concentration0)
          - vjp.lgamma(q.concentration1 + q.concentration0))
    outside = (vjp.value_of(p.high) > 1) | (vjp.value_of(p.low) < 0)
    return vjp.where(outside, np.inf, t3 + t4 - np.log(common_term) - t2)


for _p, _param in ((Exponential, "rate"), (Gamma, "concentration"), (Gumbel, "loc"),
                   (Normal, "loc")):
    vjp.register_kl_closed_form(_p, Beta)(vjp.infinite_kl(_param))


def beta(a: Any, b: Any, size: Any = None, *, dtype: Any = None, out: np.ndarray | None = None,
         rng: Any = None) -> Any:
    """Beta draws, as ``numpy.random.Generator.beta`` plus ``dtype=``, ``out=``, ``rng=``.

    Examples
    --------
    >>> import numdist as nd
    >>> x = nd.random.beta(1e-3, 1e-3, size=1000, rng=0)
    >>> bool(((x >= 0) & (x <= 1)).all())
    True
    """
    return functional("beta", "beta", {"a": (a, constraints.positive_finite), "b": (b, constraints.positive_finite)},
                      size, dtype, out, rng)
