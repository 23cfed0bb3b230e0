"""Exponential distribution."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import constraints, vjp
from numdist.distribution import VJP, Distribution
from numdist.normal import Normal
from numdist.sampling import functional
from numdist.utils import as_cotangent

__all__ = ["Exponential", "exponential", "standard_exponential"]


class Exponential(Distribution):
    """Exponential distribution with rate ``rate`` (mean ``1 / rate``).

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Exponential([1.0, 2.0])
    >>> d.sample((3,), rng=0).shape
    (3, 2)
    >>> d.mean
    array([1. , 0.5])
    """

    rate: np.ndarray
    _kernel = ("exponential", ())
    _finish_params = ("rate",)
    arg_constraints = {"rate": constraints.positive_finite}
    support = constraints.nonnegative
    has_rsample = True

    @property
    def mean(self) -> np.ndarray:
        return 1 / self.rate

    @property
    def mode(self) -> np.ndarray:
        return np.zeros_like(self.rate)

    @property
    def stddev(self) -> np.ndarray:
        return 1 / self.rate

    @property
    def variance(self) -> np.ndarray:
        return self.rate**-2

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        _, batch_shape = self._init_params(rate=rate)
        super().__init__(batch_shape, validate_args=validate_args)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """``E / rate`` with ``E`` from the exponential ziggurat (torch's form)."""
        return self._draw_elementwise(sample_shape, rng)

    @staticmethod
    def _finish_draw(x: np.ndarray, rate: np.ndarray) -> None:  # type: ignore[override]
        np.divide(x, rate, out=x)

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """``x = E / rate``, so ``d/drate = -g * x / rate``."""
        shape = self._extended_shape(sample_shape)
        x = self.rsample(sample_shape, rng)

        def vjp_fn(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, shape, self.dtype)
            return {"rate": self._grad("rate", -g * x / self.rate)}

        return x, vjp_fn

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        return np.log(p.rate) - p.rate * value

    @staticmethod
    def _entropy(p: Any) -> Any:
        return 1.0 - np.log(p.rate)

    def cdf(self, value: Any) -> np.ndarray:
        return 1 - np.exp(-self.rate * self._as_value(value))

    def icdf(self, value: Any) -> np.ndarray:
        return -np.log1p(-self._as_probability(value)) / self.rate


@vjp.register_kl_closed_form(Exponential, Exponential)
def _kl_exponential_exponential(p: Any, q: Any) -> Any:
    rate_ratio = q.rate / p.rate
    return -np.log(rate_ratio) + rate_ratio - 1


@vjp.register_kl_closed_form(Exponential, Normal)
def _kl_exponential_normal(p: Any, q: Any) -> Any:
    var_normal = q.scale**2
    rate_sqr = p.rate**2
    t1 = 0.5 * np.log(rate_sqr * var_normal * 2 * math.pi)
    return t1 - 1 + (1 / rate_sqr - q.loc / p.rate + 0.5 * q.loc**2) / var_normal


vjp.register_kl_closed_form(Normal, Exponential)(vjp.infinite_kl("loc"))


def standard_exponential(size: Any = None, dtype: Any = np.float64, method: str = "zig",
                         out: np.ndarray | None = None, *, rng: Any = None) -> Any:
    """Standard exponential draws (256-layer ziggurat, exact tail), as
    ``numpy.random.Generator.standard_exponential`` plus ``rng=``.

    Examples
    --------
    >>> import numdist as nd
    >>> nd.random.standard_exponential(4, rng=0).shape
    (4,)
    """
    if method != "zig":
        raise ValueError(f"method must be 'zig', got {method!r}")
    from numdist.sampling import float_dtype

    return functional("exponential", "standard_exponential", {}, size, float_dtype(dtype), out, rng)


def exponential(scale: Any = 1.0, size: Any = None, *, dtype: Any = None, out: np.ndarray | None = None,
                rng: Any = None) -> Any:
    """Exponential draws with mean ``scale``, as ``numpy.random.Generator.exponential``
    plus ``dtype=``, ``out=``, ``rng=``.

    Examples
    --------
    >>> import numdist as nd
    >>> nd.random.exponential([1.0, 10.0], size=(5, 2), rng=0).shape
    (5, 2)
    """
    return functional("exponential", "exponential", {"scale": (scale, constraints.nonnegative_finite)},
                      size, dtype, out, rng)
