"""Gamma distribution, with implicit reparameterisation gradients to working precision."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import _fused, _special, constraints, vjp
from numdist.distribution import VJP, Distribution
from numdist.exponential import Exponential
from numdist.gumbel import Gumbel
from numdist.normal import Normal
from numdist.sampling import draw, functional
from numdist.uniform import Uniform
from numdist.utils import as_cotangent

__all__ = ["Gamma", "standard_gamma", "gamma"]


def _standard_gamma_draw(dist: Any, concentration: np.ndarray, sample_shape: Any, rng: Any) -> np.ndarray:
    """Standard gamma variates of ``concentration`` for ``dist``'s extended shape,
    clamped below at the dtype's smallest normal (torch's rule: a draw that
    underflows is not 0, so ``log_prob`` and gradients stay finite)."""
    shape = dist._extended_shape(sample_shape)
    # from the gradient block pool: a training loop draws arrays of one size every step
    z = draw("standard_gamma", rng, shape, dist.dtype, np.broadcast_to(concentration, shape),
             out=_fused.empty(shape, dist.dtype))
    np.maximum(z, np.finfo(dist.dtype).tiny, out=z)
    return z


class Gamma(Distribution):
    """Gamma distribution with shape ``concentration`` and inverse scale ``rate``.

    ``rsample`` is reparameterised implicitly (Figurnov et al., 2018): for the
    standard draw ``z`` with CDF ``P(a, z)``, ``dz/da = -(dP/da) / p(z; a)``,
    evaluated to working precision from series and continued fractions (not a
    fitted approximation).

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Gamma(2.0, 0.5)
    >>> float(d.mean), float(d.variance)
    (4.0, 8.0)
    >>> x, vjp = nd.Gamma([0.3, 2.0], 1.0).rsample_vjp((5,), rng=0)
    >>> sorted(vjp(np.ones_like(x)))
    ['concentration', 'rate']
    """

    concentration: np.ndarray
    rate: np.ndarray
    _kernel = ("standard_gamma", ("concentration",))
    _finish_params = ("rate",)
    arg_constraints = {"concentration": constraints.positive_finite, "rate": constraints.positive_finite}
    support = constraints.nonnegative
    has_rsample = True

    @property
    def mean(self) -> np.ndarray:
        return self.concentration / self.rate

    @property
    def mode(self) -> np.ndarray:
        return np.maximum((self.concentration - 1) / self.rate, 0)

    @property
    def variance(self) -> np.ndarray:
        return self.concentration / self.rate**2

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None) -> None:
        _, batch_shape = self._init_params(concentration=concentration, rate=rate)
        super().__init__(batch_shape, validate_args=validate_args)

    @staticmethod
    def _finish_draw(x: np.ndarray, rate: np.ndarray) -> None:  # type: ignore[override]
        np.maximum(x, np.finfo(x.dtype).tiny, out=x)  # torch's rule (see _standard_gamma_draw)
        np.divide(x, rate, out=x)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """``z / rate`` with ``z`` standard gamma (Marsaglia-Tsang; boosted in log space below 1)."""
        return self._draw_elementwise(sample_shape, rng)

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """``x = z / rate``: ``d/dconcentration = g * (dz/da) / rate`` (implicit),
        ``d/drate = -g * x / rate``."""
        z = _standard_gamma_draw(self, self.concentration, sample_shape, rng)
        x = np.divide(z, self.rate, out=_fused.empty(z.shape, z.dtype))
        shape = x.shape

        def vjp_fn(g: Any) -> dict[str, np.ndarray]:
            g = as_cotangent(g, shape, self.dtype)
            # g * (dz/da) / rate and -g * x / rate (x = z / rate) in one C pass
            # (float64; no temporaries besides the results)
            dconcentration, drate = _special.gamma_rsample_grads(self.concentration, z, g, self.rate)
            return self._gamma_grads(dconcentration.astype(self.dtype, copy=False),
                                     drate.astype(self.dtype, copy=False))

        return x, vjp_fn

    def _gamma_grads(self, dconcentration: np.ndarray, drate: np.ndarray) -> dict[str, np.ndarray]:
        """Cotangents of (concentration, rate), element-wise (fresh arrays), to the parameters given."""
        return {"concentration": self._grad_owned("concentration", dconcentration),
                "rate": self._grad_owned("rate", drate)}

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        return (vjp.xlogy(p.concentration, p.rate) + vjp.xlogy(p.concentration - 1, value)
                - p.rate * value - vjp.lgamma(p.concentration))

    @staticmethod
    def _entropy(p: Any) -> Any:
        c = p.concentration
        return c - np.log(p.rate) + vjp.lgamma(c) + (1.0 - c) * vjp.digamma(c)

    def cdf(self, value: Any) -> np.ndarray:
        """The regularised lower incomplete gamma ``P(concentration, rate * value)`` (as scipy)."""
        v = self._as_value(value)
        return _special.gammainc(self.concentration, self.rate * v).astype(v.dtype, copy=False)


def _x_log_x(x: Any) -> Any:
    return x * np.log(x)


@vjp.register_kl_closed_form(Gamma, Gamma)
def _kl_gamma_gamma(p: Any, q: Any) -> Any:
    t1 = q.concentration * np.log(p.rate / q.rate)
    t2 = vjp.lgamma(q.concentration) - vjp.lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * vjp.digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@vjp.register_kl_closed_form(Exponential, Gamma)
def _kl_exponential_gamma(p: Any, q: Any) -> Any:
    ratio = q.rate / p.rate
    t1 = -q.concentration * np.log(ratio)
    return t1 + ratio + vjp.lgamma(q.concentration) + q.concentration * vjp.EULER_GAMMA - (1 + vjp.EULER_GAMMA)


@vjp.register_kl_closed_form(Gamma, Exponential)
def _kl_gamma_exponential(p: Any, q: Any) -> Any:
    return -Gamma._entropy(p) - np.log(q.rate) + q.rate * p.concentration / p.rate


@vjp.register_kl_closed_form(Gamma, Gumbel)
def _kl_gamma_gumbel(p: Any, q: Any) -> Any:
    beta_scale_prod = p.rate * q.scale
    loc_scale_ratio = q.loc / q.scale
    c = p.concentration
    t1 = (c - 1) * vjp.digamma(c) - vjp.lgamma(c) - c
    t2 = np.log(beta_scale_prod) + c / beta_scale_prod
    t3 = np.exp(loc_scale_ratio) * np.exp(-c * np.log1p(1 / beta_scale_prod)) - loc_scale_ratio
    return t1 + t2 + t3


@vjp.register_kl_closed_form(Gamma, Normal)
def _kl_gamma_normal(p: Any, q: Any) -> Any:
    var_normal = q.scale**2
    beta_sqr = p.rate**2
    c = p.concentration
    t1 = 0.5 * np.log(beta_sqr * var_normal * 2 * math.pi) - c - vjp.lgamma(c)
    t2 = 0.5 * (c**2 + c) / beta_sqr
    t3 = q.loc * c / p.rate
    t4 = 0.5 * q.loc**2
    return t1 + (c - 1) * vjp.digamma(c) + (t2 - t3 + t4) / var_normal


@vjp.register_kl_closed_form(Uniform, Gamma)
def _kl_uniform_gamma(p: Any, q: Any) -> Any:
    common_term = p.high - p.low
    t1 = np.log(common_term)
    t2 = vjp.lgamma(q.concentration) - q.concentration * np.log(q.rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        t3 = (1 - q.concentration) * (_x_log_x(p.high) - _x_log_x(p.low) - common_term) / common_term
    t4 = q.rate * (p.high + p.low) / 2
    return vjp.where(vjp.value_of(p.low) < 0, np.inf, -t1 + t2 + t3 + t4)


vjp.register_kl_closed_form(Gamma, Uniform)(vjp.infinite_kl("concentration"))
vjp.register_kl_closed_form(Normal, Gamma)(vjp.infinite_kl("loc"))
vjp.register_kl_closed_form(Gumbel, Gamma)(vjp.infinite_kl("loc"))


def standard_gamma(shape: Any, size: Any = None, dtype: Any = None, out: np.ndarray | None = None, *,
                   rng: Any = None) -> Any:
    """Standard gamma draws, as ``numpy.random.Generator.standard_gamma`` plus ``rng=``;
    the dtype follows ``shape`` (float32 stays float32) unless given.

    Examples
    --------
    >>> import numdist as nd
    >>> nd.random.standard_gamma(2.5, size=3, rng=0).shape
    (3,)
    """
    return functional("standard_gamma", "standard_gamma", {"shape": (shape, constraints.nonnegative_finite)},
                      size, dtype, out, rng)


def gamma(shape: Any, scale: Any = 1.0, size: Any = None, *, dtype: Any = None, out: np.ndarray | None = None,
          rng: Any = None) -> Any:
    """Gamma draws with ``shape`` and ``scale``, as ``numpy.random.Generator.gamma``
    plus ``dtype=``, ``out=``, ``rng=``.

    Examples
    --------
    >>> import numdist as nd
    >>> nd.random.gamma([0.5, 3.0], 2.0, size=(4, 2), rng=0).shape
    (4, 2)
    """
    return functional("standard_gamma", "gamma", {"shape": (shape, constraints.nonnegative_finite),
                                                  "scale": (scale, constraints.nonnegative_finite)},
                      size, dtype, out, rng, scale_by="scale")
