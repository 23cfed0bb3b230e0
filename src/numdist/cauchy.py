"""Cauchy distribution."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import vjp
from numdist.loc_scale import LocScale
from numdist.sampling import functional

__all__ = ["Cauchy", "standard_cauchy"]


class Cauchy(LocScale):
    """Cauchy (Lorentz) distribution with location ``loc`` and scale ``scale``.

    Its mean and variance do not exist: ``mean`` is NaN and ``variance`` inf, as torch.

    Examples
    --------
    >>> import numdist as nd
    >>> round(float(nd.Cauchy(0.0, 1.0).cdf(1.0)), 6)
    0.75
    """

    _kernel = ("cauchy", ("loc", "scale"))

    @property
    def mean(self) -> np.ndarray:
        return np.full(self.batch_shape, np.nan, dtype=self.dtype)


    @property
    def variance(self) -> np.ndarray:
        return np.full(self.batch_shape, np.inf, dtype=self.dtype)


    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        z = (value - p.loc) / p.scale
        # log1p(z**2), without z**2 overflowing where the density is finite (tiny scale,
        # far tails): 2 log|z| + log1p(z**-2) past sqrt(max) / 2 (issue 10, defect 8)
        a = np.abs(z)
        va = np.asarray(vjp.value_of(a))
        big = va > math.sqrt(np.finfo(va.dtype if va.dtype.kind == "f" else np.float64).max) / 2
        if np.any(big):
            ab = vjp.where(big, a, 1.0)
            asm = vjp.where(big, 0.0, a)
            t = vjp.where(big, 2 * np.log(ab) + np.log1p((1 / ab) ** 2), np.log1p(asm**2))
        else:
            t = np.log1p(z**2)
        return -math.log(math.pi) - np.log(p.scale) - t

    @staticmethod
    def _entropy(p: Any) -> Any:
        return math.log(4 * math.pi) + np.log(p.scale)

    def cdf(self, value: Any) -> np.ndarray:
        return np.arctan((self._as_value(value) - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value: Any) -> np.ndarray:
        return np.tan(math.pi * (self._as_probability(value) - 0.5)) * self.scale + self.loc


@vjp.register_kl_closed_form(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p: Any, q: Any) -> Any:
    return np.log((p.scale + q.scale) ** 2 + (p.loc - q.loc) ** 2) - np.log(4 * p.scale * q.scale)


def standard_cauchy(size: Any = None, *, dtype: Any = np.float64, out: np.ndarray | None = None,
                    rng: Any = None) -> Any:
    """Standard Cauchy draws (ratio of two normals), as
    ``numpy.random.Generator.standard_cauchy`` plus ``dtype=``, ``out=``, ``rng=``.

    Examples
    --------
    >>> import numdist as nd
    >>> nd.random.standard_cauchy((2, 2), rng=0).shape
    (2, 2)
    """
    from numdist.sampling import float_dtype

    return functional("cauchy", "standard_cauchy", {}, size, float_dtype(dtype), out, rng)
