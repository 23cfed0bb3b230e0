"""LogNormal: ``exp(X)``, ``X ~ Normal(loc, scale)``."""
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import constraints
from numdist.distribution import VJP
from numdist.loc_scale import LocScale
from numdist.normal import Normal
from numdist.sampling import functional
from numdist.transformed_distribution import TransformedDistribution, closed_form_on_base
from numdist.transforms import ExpTransform
from numdist.utils import as_cotangent

__all__ = ["LogNormal", "lognormal"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class LogNormal(TransformedDistribution):
    """Log-normal distribution: ``exp(X)`` with ``X ~ Normal(loc, scale)``.

    Draws come from one C kernel, ``exp(loc + scale * z)`` (the normal kernel's
    ziggurat ``z``); ``rsample_vjp`` returns those same values. Gradients are keyed
    ``loc`` and ``scale`` (the base Normal's).

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.LogNormal(0.0, 1.0)
    >>> d.sample((3,), rng=0).shape
    (3,)
    >>> float(d.mean)
    1.6487212707001282
    """

    arg_constraints = LocScale.arg_constraints
    support = constraints.positive
    has_rsample = True
    base_dist: Normal
    _kernel = ("lognormal", ("loc", "scale"))  # numdist.dask reproduces it tile by tile too

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        super().__init__(Normal(loc, scale, validate_args=False), ExpTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LogNormal:
        return super().expand(batch_shape, self._get_checked_instance(LogNormal, _instance))

    @property
    def loc(self) -> np.ndarray:
        return self.base_dist.loc

    @property
    def scale(self) -> np.ndarray:
        return self.base_dist.scale

    @property
    def mean(self) -> np.ndarray:
        return np.exp(self.loc + self.scale**2 / 2)

    @property
    def mode(self) -> np.ndarray:
        return np.exp(self.loc - self.scale**2)

    @property
    def variance(self) -> np.ndarray:
        scale_sq = self.scale**2
        return np.expm1(scale_sq) * np.exp(2 * self.loc + scale_sq)

    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        return self.rsample(sample_shape, rng)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """``exp(loc + scale * z)`` in one C pass (the ``lognormal`` kernel)."""
        return self._draw_elementwise(sample_shape, rng)

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """The kernel's draws ``y`` (the values of ``rsample``) and ``dy/dloc = y``,
        ``dy/dscale = y * z`` with ``z = (log y - loc) / scale`` the draw's normal."""
        y = self.rsample(sample_shape, rng)

        def vjp(g: Any) -> dict[str, np.ndarray]:
            gy = as_cotangent(g, y.shape, y.dtype) * y
            with np.errstate(divide="ignore", invalid="ignore"):
                z = (np.log(y) - self.loc) / self.scale
            return {"loc": self.base_dist._grad("loc", gy), "scale": self.base_dist._grad("scale", gy * z)}

        return y, vjp

    @staticmethod
    def _entropy_of_base(p: Any) -> Any:
        return (0.5 + _HALF_LOG_2PI) + np.log(p.scale) + p.loc

    def entropy(self) -> np.ndarray:
        return np.asarray(self._entropy_of_base(self))

    def entropy_vjp(self) -> tuple[np.ndarray, VJP]:
        return closed_form_on_base(self._entropy_of_base, self)


def lognormal(mean: Any = 0.0, sigma: Any = 1.0, size: Any = None, *, dtype: Any = None,
              out: np.ndarray | None = None, rng: Any = None) -> Any:
    """Log-normal draws ``exp(mean + sigma * z)``, as ``numpy.random.Generator.lognormal``
    (plus ``dtype=``, ``out=``, ``rng=``); ``sigma >= 0``.

    Examples
    --------
    >>> import numdist as nd
    >>> nd.random.lognormal(0.0, 1.0, size=(2, 3), rng=0).shape
    (2, 3)
    """
    return functional("lognormal", "lognormal",
                      {"mean": (mean, constraints.finite), "sigma": (sigma, constraints.nonnegative_finite)},
                      size, dtype, out, rng)
