"""Uniform distribution on ``[low, high)``."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import constraints, vjp
from numdist.distribution import VJP, Distribution
from numdist.exponential import Exponential
from numdist.normal import Normal
from numdist.sampling import draw, functional
from numdist.utils import as_cotangent

__all__ = ["Uniform", "uniform"]


class Uniform(Distribution):
    """Uniform distribution on the half-open interval ``[low, high)``.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Uniform(0.0, [1.0, 4.0])
    >>> d.sample((2,), rng=0).shape, d.mean
    ((2, 2), array([0.5, 2. ]))
    """

    low: np.ndarray
    high: np.ndarray
    _kernel = ("uniform", ("low", "high"))
    arg_constraints = {"low": constraints.finite, "high": constraints.finite}
    has_rsample = True

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.interval(self.low, self.high)

    @property
    def mean(self) -> np.ndarray:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> np.ndarray:
        return np.full(self.batch_shape, np.nan, dtype=self.dtype)

    @property
    def stddev(self) -> np.ndarray:
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self) -> np.ndarray:
        return (self.high - self.low) ** 2 / 12

    def __init__(self, low: Any, high: Any, validate_args: bool | None = None) -> None:
        _, batch_shape = self._init_params(low=low, high=high)
        super().__init__(batch_shape, validate_args=validate_args)
        if self._validate_args:
            constraints.validate("low", np.array(self.low), constraints.less_than(self.high), where="distribution Uniform")

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """``low + (high - low) * u`` with ``u`` uniform on [0, 1)."""
        return self._draw_elementwise(sample_shape, rng)

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """``x = low + (high - low) * u``: ``d/dlow = g * (1 - u)``, ``d/dhigh = g * u``."""
        shape = self._extended_shape(sample_shape)
        u = draw("uniform", rng, shape, self.dtype)
        x: np.ndarray = self.low + (self.high - self.low) * u

        def vjp_fn(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, shape, self.dtype)
            gu = g * u
            return {"low": self._grad("low", g - gu), "high": self._grad("high", gu)}

        return x, vjp_fn

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        inside = (vjp.value_of(p.low) <= vjp.value_of(value)) & (vjp.value_of(p.high) > vjp.value_of(value))
        return vjp.where(inside, -Uniform._log_width(p), -np.inf)

    @staticmethod
    def _log_width(p: Any) -> Any:
        """``log(high - low)``, also when ``high - low`` overflows (low -1e308, high 1e308:
        the density is finite) (issue 10, defect 8)."""
        with np.errstate(over="ignore"):
            width = p.high - p.low
        over = np.isinf(vjp.value_of(width))
        if not np.any(over):
            return np.log(width)
        half = vjp.where(over, p.high * 0.5 - p.low * 0.5, 1.0)
        return vjp.where(over, np.log(half) + math.log(2.0), np.log(vjp.where(over, 1.0, width)))

    @staticmethod
    def _entropy(p: Any) -> Any:
        return Uniform._log_width(p)

    def log_prob(self, value: Any) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.asarray(self._log_prob(self, self._as_value(value)))[()]

    def cdf(self, value: Any) -> np.ndarray:
        return np.clip((self._as_value(value) - self.low) / (self.high - self.low), 0, 1)

    def icdf(self, value: Any) -> np.ndarray:
        return self._as_probability(value) * (self.high - self.low) + self.low


@vjp.register_kl_closed_form(Uniform, Uniform)
def _kl_uniform_uniform(p: Any, q: Any) -> Any:
    outside = (vjp.value_of(q.low) > vjp.value_of(p.low)) | (vjp.value_of(q.high) < vjp.value_of(p.high))
    return vjp.where(outside, np.inf, np.log((q.high - q.low) / (p.high - p.low)))


@vjp.register_kl_closed_form(Uniform, Normal)
def _kl_uniform_normal(p: Any, q: Any) -> Any:
    common_term = p.high - p.low
    t1 = np.log(math.sqrt(math.pi * 2) * q.scale / common_term)
    t2 = common_term**2 / 12
    t3 = ((p.high + p.low - 2 * q.loc) / 2) ** 2
    return t1 + 0.5 * (t2 + t3) / q.scale**2


@vjp.register_kl_closed_form(Uniform, Exponential)
def _kl_uniform_exponential(p: Any, q: Any) -> Any:
    result = q.rate * (p.high + p.low) / 2 - np.log((p.high - p.low) * q.rate)
    return vjp.where(vjp.value_of(p.low) < 0, np.inf, result)


vjp.register_kl_closed_form(Normal, Uniform)(vjp.infinite_kl("loc"))
vjp.register_kl_closed_form(Exponential, Uniform)(vjp.infinite_kl("rate"))


def uniform(low: Any = 0.0, high: Any = 1.0, size: Any = None, *, dtype: Any = None,
            out: np.ndarray | None = None, rng: Any = None) -> Any:
    """Uniform draws on ``[low, high)``, as ``numpy.random.Generator.uniform`` plus
    ``dtype=``, ``out=``, ``rng=``.

    Examples
    --------
    >>> import numdist as nd
    >>> x = nd.random.uniform(-1.0, 1.0, size=1000, rng=0)
    >>> bool((x >= -1).all() and (x < 1).all())
    True
    """
    return functional("uniform", "uniform", {"low": (low, constraints.finite), "high": (high, constraints.finite)},
                      size, dtype, out, rng)
