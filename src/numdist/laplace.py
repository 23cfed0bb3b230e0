"""Laplace distribution (the worked example of docs/adding-a-family.md)."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import constraints, vjp
from numdist.beta import Beta
from numdist.exponential import Exponential
from numdist.gamma import Gamma
from numdist.normal import Normal
from numdist.loc_scale import LocScale
from numdist.sampling import functional
from numdist.uniform import Uniform

__all__ = ["Laplace", "laplace"]

_LOG2 = math.log(2.0)


class Laplace(LocScale):
    """Laplace (double exponential) distribution with location ``loc`` and scale ``scale``.

    Parameters
    ----------
    loc, scale : array_like
        Broadcast together to give ``batch_shape``; ``scale > 0``.
    validate_args : bool, optional
        Check parameter and sample values (default on).

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Laplace(0.0, 1.0)
    >>> float(d.log_prob(0.0))
    -0.6931471805599453
    >>> x, vjp = nd.Laplace([0.0, 1.0], 2.0).rsample_vjp((5,), rng=0)
    >>> {k: v.shape for k, v in vjp(np.ones_like(x)).items()}
    {'loc': (2,), 'scale': ()}
    """

    _kernel = ("laplace", ("loc", "scale"))

    @property
    def mean(self) -> np.ndarray:
        return self.loc


    @property
    def variance(self) -> np.ndarray:
        return 2 * self.scale**2

    @property
    def stddev(self) -> np.ndarray:
        return math.sqrt(2) * self.scale


    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        # log(scale) + log 2, not log(2 * scale): that overflows past max / 2 (issue 10, defect 8)
        return -(np.log(p.scale) + _LOG2) - np.abs(value - p.loc) / p.scale

    @staticmethod
    def _entropy(p: Any) -> Any:
        return (1 + _LOG2) + np.log(p.scale)

    def cdf(self, value: Any) -> np.ndarray:
        d = self._as_value(value) - self.loc
        return 0.5 - 0.5 * np.sign(d) * np.expm1(-np.abs(d) / self.scale)

    def icdf(self, value: Any) -> np.ndarray:
        term = self._as_probability(value) - 0.5
        return self.loc - self.scale * np.sign(term) * np.log1p(-2 * np.abs(term))


@vjp.register_kl_closed_form(Laplace, Laplace)
def _kl_laplace_laplace(p: Any, q: Any) -> Any:
    scale_ratio = p.scale / q.scale
    loc_abs_diff = np.abs(p.loc - q.loc)
    return -np.log(scale_ratio) + loc_abs_diff / q.scale + scale_ratio * np.exp(-loc_abs_diff / p.scale) - 1


@vjp.register_kl_closed_form(Laplace, Normal)
def _kl_laplace_normal(p: Any, q: Any) -> Any:
    var_normal = q.scale**2
    scale_sqr_var_ratio = p.scale**2 / var_normal
    t1 = 0.5 * np.log(2 * scale_sqr_var_ratio / math.pi)
    return -t1 + scale_sqr_var_ratio + (0.5 * p.loc**2 - p.loc * q.loc + 0.5 * q.loc**2) / var_normal - 1


@vjp.register_kl_closed_form(Normal, Laplace)
def _kl_normal_laplace(p: Any, q: Any) -> Any:
    loc_diff = p.loc - q.loc
    scale_ratio = p.scale / q.scale
    t2 = math.sqrt(2 / math.pi) * p.scale * np.exp(-0.5 * (loc_diff / p.scale) ** 2)
    t3 = loc_diff * vjp.erf(math.sqrt(0.5) * loc_diff / p.scale)
    return -np.log(scale_ratio) + (t2 + t3) / q.scale - 0.5 * (1 + math.log(0.5 * math.pi))


for _q in (Beta, Exponential, Gamma, Uniform):  # supports that miss part of the real line
    vjp.register_kl_closed_form(Laplace, _q)(vjp.infinite_kl("loc"))


def laplace(loc: Any = 0.0, scale: Any = 1.0, size: Any = None, *, dtype: Any = None,
            out: np.ndarray | None = None, rng: Any = None) -> Any:
    """Laplace draws, as ``numpy.random.Generator.laplace`` plus ``dtype=``, ``out=``, ``rng=``.

    Examples
    --------
    >>> import numdist as nd
    >>> nd.random.laplace(0.0, [1.0, 2.0], size=(3, 2), rng=0).shape
    (3, 2)
    """
    return functional("laplace", "laplace", {"loc": (loc, constraints.finite), "scale": (scale, constraints.nonnegative_finite)},
                      size, dtype, out, rng)
