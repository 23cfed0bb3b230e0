"""Student's t distribution."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import _special, constraints, vjp
from numdist.distribution import VJP, Distribution
from numdist.sampling import draw, functional
from numdist.utils import as_cotangent

__all__ = ["StudentT", "standard_t"]


class StudentT(Distribution):
    """Student's t with ``df`` degrees of freedom, location ``loc`` and scale ``scale``.

    Drawn as torch does, ``loc + scale * N / sqrt(C / df)`` with ``N`` normal and
    ``C`` chi-squared(df), element by element in one C kernel (so ``numdist.dask``
    reproduces it); ``rsample_vjp`` differentiates ``df`` implicitly through the
    Student t CDF.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.StudentT(3.0, 1.0, 2.0)
    >>> float(d.mean), float(d.variance)
    (1.0, 12.0)
    """

    df: np.ndarray
    loc: np.ndarray
    scale: np.ndarray
    arg_constraints = {"df": constraints.positive_finite, "loc": constraints.finite,
                       "scale": constraints.positive_finite}
    support = constraints.real
    has_rsample = True

    @property
    def mean(self) -> np.ndarray:
        return np.where(self.df > 1, self.loc, np.nan).astype(self.dtype)

    @property
    def mode(self) -> np.ndarray:
        return self.loc

    @property
    def variance(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            v = self.scale**2 * self.df / (self.df - 2)
        return np.where(self.df > 2, v, np.where(self.df > 1, np.inf, np.nan)).astype(self.dtype)

    def __init__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0, validate_args: bool | None = None) -> None:
        _, batch_shape = self._init_params(df=df, loc=loc, scale=scale)
        super().__init__(batch_shape, validate_args=validate_args)

    #: the standard t of the C kernel (N, then G, per element), then loc + scale * t
    _kernel = ("standard_t", ("df",))
    _finish_params = ("loc", "scale")

    @staticmethod
    def _finish_draw(x: np.ndarray, loc: np.ndarray, scale: np.ndarray) -> None:  # type: ignore[override]
        np.multiply(x, scale, out=x)  # the product rounded, then the sum, as rsample_vjp does
        np.add(x, loc, out=x)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        return self._draw_elementwise(sample_shape, rng)

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """``x = loc + scale * t`` with ``t`` the kernel's standard t (the numbers of
        ``rsample``): ``d/dloc = g``, ``d/dscale = g t`` and ``d/ddf = g scale dt/ddf``
        with ``dt/ddf = -(dF/ddf)(t) / p(t)``, the implicit gradient through the
        Student t CDF (DESIGN section 8)."""
        shape = self._extended_shape(sample_shape)
        df = np.broadcast_to(self.df, shape)
        t = draw("standard_t", rng, shape, self.dtype, df)
        x = self.loc + self.scale * t

        def vjp_fn(c: Any) -> dict[str, np.ndarray]:
            c = as_cotangent(c, shape, self.dtype)
            dt_ddf = _special.student_t_sample_grad_df(df, t).astype(self.dtype, copy=False)
            return {"df": self._grad("df", c * self.scale * dt_ddf),
                    "loc": self._grad("loc", c), "scale": self._grad("scale", c * t)}

        return x, vjp_fn

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        y = (value - p.loc) / p.scale
        z = (np.log(p.scale) + 0.5 * np.log(p.df) + 0.5 * math.log(math.pi)
             + vjp.lgamma(0.5 * p.df) - vjp.lgamma(0.5 * (p.df + 1.0)))
        return -0.5 * (p.df + 1.0) * np.log1p(y**2 / p.df) - z

    @staticmethod
    def _entropy(p: Any) -> Any:
        lbeta = vjp.lgamma(0.5 * p.df) + math.lgamma(0.5) - vjp.lgamma(0.5 * (p.df + 1))
        return (np.log(p.scale) + 0.5 * (p.df + 1) * (vjp.digamma(0.5 * (p.df + 1)) - vjp.digamma(0.5 * p.df))
                + 0.5 * np.log(p.df) + lbeta)

    def cdf(self, value: Any) -> np.ndarray:
        """As ``scipy.stats.t.cdf`` (torch has none)."""
        v = self._as_value(value)
        return _special.student_t_cdf(self.df, (v - self.loc) / self.scale).astype(v.dtype, copy=False)


def standard_t(df: Any, size: Any = None, *, dtype: Any = None, out: np.ndarray | None = None, rng: Any = None) -> Any:
    """Standard Student t draws, as ``numpy.random.Generator.standard_t`` plus ``dtype=``, ``out=``, ``rng=``.

    Examples
    --------
    >>> import numdist as nd
    >>> nd.random.standard_t(5.0, size=3, rng=0).shape
    (3,)
    """
    return functional("standard_t", "standard_t", {"df": (df, constraints.positive)}, size, dtype, out, rng)
