"""Weibull: ``scale * E ** (1 / concentration)``, ``E ~ Exponential(1)``."""
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any

import numpy as np

from numdist import constraints, vjp
from numdist.distribution import VJP, Distribution
from numdist.exponential import Exponential
from numdist.kl import KLVJP, register_kl, register_kl_vjp
from numdist.sampling import functional
from numdist.transformed_distribution import TransformedDistribution
from numdist.transforms import AffineTransform, PowerTransform
from numdist.utils import as_cotangent

__all__ = ["Weibull", "weibull"]


class Weibull(TransformedDistribution):
    """Two-parameter Weibull distribution (torch's ``Weibull(scale, concentration)``):
    ``Exponential(1)`` through ``PowerTransform(1 / concentration)`` and
    ``AffineTransform(0, scale)``.

    Unlike a plain TransformedDistribution its parameters are differentiable: the
    gradient dicts are keyed ``scale`` and ``concentration``.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Weibull(2.0, 1.5)
    >>> d.sample((3,), rng=0).shape
    (3,)
    >>> round(float(d.cdf(2.0)), 6)
    0.632121
    """

    scale: np.ndarray
    concentration: np.ndarray
    arg_constraints = {"scale": constraints.positive_finite, "concentration": constraints.positive_finite}
    support = constraints.positive
    has_rsample = True
    _kernel = ("weibull", ("concentration",))  # E ** (1/k); numdist.dask reproduces it tile by tile
    _finish_params = ("scale",)

    def __init__(self, scale: Any, concentration: Any, validate_args: bool | None = None) -> None:
        dtype, batch_shape = self._init_params(scale=scale, concentration=concentration)
        with np.errstate(divide="ignore"):  # concentration 0 is refused by validation below
            self.concentration_reciprocal = 1 / self.concentration
        base = Exponential(np.broadcast_to(np.ones((), dtype), batch_shape), validate_args=False)
        super().__init__(base, self._transforms(), validate_args=validate_args)

    def _transforms(self) -> list[Any]:
        return [PowerTransform(self.concentration_reciprocal), AffineTransform(0.0, self.scale)]

    def expand(self, batch_shape: Any, _instance: Any = None) -> Weibull:
        new = Distribution.expand(self, batch_shape, self._get_checked_instance(Weibull, _instance))
        new.concentration_reciprocal = np.broadcast_to(self.concentration_reciprocal, new.batch_shape)
        new.base_dist = self.base_dist.expand(new.batch_shape)
        new.transforms = new._transforms()
        return new

    @property
    def mean(self) -> np.ndarray:
        return self.scale * np.exp(vjp.lgamma(1 + self.concentration_reciprocal))

    @property
    def mode(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):  # concentration < 1: NaN, as torch
            return self.scale * ((self.concentration - 1) / self.concentration) ** self.concentration_reciprocal

    @property
    def variance(self) -> np.ndarray:
        kr = self.concentration_reciprocal
        return self.scale**2 * (np.exp(vjp.lgamma(1 + 2 * kr)) - np.exp(2 * vjp.lgamma(1 + kr)))

    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        return self.rsample(sample_shape, rng)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """``scale * E ** (1 / concentration)``: the ``weibull`` C kernel (``E`` the
        exponential ziggurat's draw), then the scale."""
        return self._draw_elementwise(sample_shape, rng)

    @staticmethod
    def _finish_draw(x: np.ndarray, scale: np.ndarray) -> None:  # type: ignore[override]
        np.multiply(x, scale, out=x)

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """The draws ``y = scale * t``, ``t = E ** (1/k)``: ``dy/dscale = t`` and
        ``dy/dconcentration = -y log(E) / k**2 = -y log(t) / k``."""
        y = self.rsample(sample_shape, rng)

        def vjp_fn(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, y.shape, self.dtype)
            t = y / self.scale
            with np.errstate(divide="ignore", invalid="ignore"):
                dk = np.where(y > 0, -y * np.log(t) / self.concentration, 0.0)
            return {"scale": self._grad("scale", g * t), "concentration": self._grad("concentration", g * dk)}

        return y, vjp_fn

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        log_z = np.log(value / p.scale)
        return np.log(p.concentration / p.scale) + (p.concentration - 1) * log_z - np.exp(p.concentration * log_z)

    @staticmethod
    def _entropy(p: Any) -> Any:
        kr = 1 / p.concentration
        return vjp.EULER_GAMMA * (1 - kr) + np.log(p.scale * kr) + 1

    # the closed forms above, through the base class (not the transform chain)
    def log_prob(self, value: Any) -> np.ndarray:
        return Distribution.log_prob(self, value)

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        return Distribution.log_prob_vjp(self, value)

    def entropy(self) -> np.ndarray:
        return Distribution.entropy(self)

    def entropy_vjp(self) -> tuple[np.ndarray, VJP]:
        return Distribution.entropy_vjp(self)

    def cdf(self, value: Any) -> np.ndarray:
        x = (self._as_value(value) / self.scale) ** (1 / self.concentration_reciprocal)
        return 1 - np.exp(-x)

    def icdf(self, value: Any) -> np.ndarray:
        return self.scale * (-np.log1p(-self._as_probability(value))) ** self.concentration_reciprocal


def _same_weibull(p: Weibull, q: Weibull) -> None:
    if p.transforms != q.transforms:
        raise NotImplementedError("KL between Weibulls with different parameters (torch has none)")


@register_kl(Weibull, Weibull)
def _kl_weibull_weibull(p: Weibull, q: Weibull) -> np.ndarray:
    """torch's TransformedDistribution rule: defined only for equal transforms (the
    same parameters), where it is 0."""
    _same_weibull(p, q)
    return np.zeros(np.broadcast_shapes(p.batch_shape, q.batch_shape), dtype=p.dtype)


@register_kl_vjp(Weibull, Weibull)
def _kl_weibull_weibull_vjp(p: Weibull, q: Weibull) -> tuple[np.ndarray, KLVJP]:
    kl = _kl_weibull_weibull(p, q)
    return kl, lambda g: {d: {k: x._zero_grad(k) for k in ("scale", "concentration")} for d, x in (("p", p), ("q", q))}


def weibull(a: Any, size: Any = None, *, dtype: Any = None, out: np.ndarray | None = None, rng: Any = None) -> Any:
    """Weibull draws ``E ** (1 / a)`` (scale 1), as ``numpy.random.Generator.weibull``
    (plus ``dtype=``, ``out=``, ``rng=``); ``a >= 0``, ``a = 0`` gives 0 as NumPy.

    Examples
    --------
    >>> import numdist as nd
    >>> nd.random.weibull(1.5, size=(2, 3), rng=0).shape
    (2, 3)
    """
    return functional("weibull", "weibull", {"a": (a, constraints.nonnegative_finite)}, size, dtype, out, rng)
