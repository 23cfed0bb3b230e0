"""Gumbel (type-I extreme value) distribution."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import constraints, vjp
from numdist.exponential import Exponential
from numdist.normal import Normal
from numdist.loc_scale import LocScale
from numdist.sampling import functional
from numdist.uniform import Uniform

__all__ = ["Gumbel", "gumbel"]

_EULER_GAMMA = vjp.EULER_GAMMA


class Gumbel(LocScale):
    """Gumbel distribution with location ``loc`` and scale ``scale``.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Gumbel(0.0, 1.0)
    >>> round(float(d.mean), 6)
    0.577216
    """

    _kernel = ("gumbel", ("loc", "scale"))

    @property
    def mean(self) -> np.ndarray:
        return self.loc + self.scale * _EULER_GAMMA


    @property
    def stddev(self) -> np.ndarray:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> np.ndarray:
        return self.stddev**2


    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        z = (p.loc - value) / p.scale
        return (z - np.exp(z)) - np.log(p.scale)

    @staticmethod
    def _entropy(p: Any) -> Any:
        return np.log(p.scale) + (1 + _EULER_GAMMA)

    def cdf(self, value: Any) -> np.ndarray:
        return np.exp(-np.exp(-(self._as_value(value) - self.loc) / self.scale))

    def icdf(self, value: Any) -> np.ndarray:
        return self.loc - self.scale * np.log(-np.log(self._as_probability(value)))


@vjp.register_kl_closed_form(Gumbel, Gumbel)
def _kl_gumbel_gumbel(p: Any, q: Any) -> Any:
    ct1 = p.scale / q.scale
    ct2 = q.loc / q.scale
    ct3 = p.loc / q.scale
    t1 = -np.log(ct1) - ct2 + ct3
    t3 = np.exp(ct2 + vjp.lgamma(1 + ct1) - ct3)
    return t1 + ct1 * _EULER_GAMMA + t3 - (1 + _EULER_GAMMA)


@vjp.register_kl_closed_form(Gumbel, Normal)
def _kl_gumbel_normal(p: Any, q: Any) -> Any:
    param_ratio = p.scale / q.scale
    t1 = np.log(param_ratio / math.sqrt(2 * math.pi))
    t2 = (math.pi * param_ratio * 0.5) ** 2 / 3
    t3 = ((p.loc + p.scale * _EULER_GAMMA - q.loc) / q.scale) ** 2 * 0.5
    return -t1 + t2 + t3 - (_EULER_GAMMA + 1)


@vjp.register_kl_closed_form(Normal, Gumbel)
def _kl_normal_gumbel(p: Any, q: Any) -> Any:
    mean_scale_ratio = p.loc / q.scale
    var_scale_sqr_ratio = (p.scale / q.scale) ** 2
    loc_scale_ratio = q.loc / q.scale
    t1 = np.log(var_scale_sqr_ratio) * 0.5
    t2 = mean_scale_ratio - loc_scale_ratio
    t3 = np.exp(-mean_scale_ratio + 0.5 * var_scale_sqr_ratio + loc_scale_ratio)
    return -t1 + t2 + t3 - (0.5 * (1 + math.log(2 * math.pi)))


@vjp.register_kl_closed_form(Exponential, Gumbel)
def _kl_exponential_gumbel(p: Any, q: Any) -> Any:
    scale_rate_prod = p.rate * q.scale
    loc_scale_ratio = q.loc / q.scale
    t1 = np.log(scale_rate_prod) - 1
    t2 = np.exp(loc_scale_ratio) * scale_rate_prod / (scale_rate_prod + 1)
    return t1 - loc_scale_ratio + t2 + 1 / scale_rate_prod


@vjp.register_kl_closed_form(Uniform, Gumbel)
def _kl_uniform_gumbel(p: Any, q: Any) -> Any:
    common_term = q.scale / (p.high - p.low)
    high_loc_diff = (p.high - q.loc) / q.scale
    low_loc_diff = (p.low - q.loc) / q.scale
    t1 = np.log(common_term) + 0.5 * (high_loc_diff + low_loc_diff)
    t2 = common_term * (np.exp(-high_loc_diff) - np.exp(-low_loc_diff))
    return t1 - t2


vjp.register_kl_closed_form(Gumbel, Exponential)(vjp.infinite_kl("loc"))
vjp.register_kl_closed_form(Gumbel, Uniform)(vjp.infinite_kl("loc"))


def gumbel(loc: Any = 0.0, scale: Any = 1.0, size: Any = None, *, dtype: Any = None,
           out: np.ndarray | None = None, rng: Any = None) -> Any:
    """Gumbel draws, as ``numpy.random.Generator.gumbel`` plus ``dtype=``, ``out=``, ``rng=``.

    Examples
    --------
    >>> import numdist as nd
    >>> nd.random.gumbel(0.0, 2.0, size=3, rng=0).shape
    (3,)
    """
    return functional("gumbel", "gumbel", {"loc": (loc, constraints.finite), "scale": (scale, constraints.nonnegative_finite)},
                      size, dtype, out, rng)
