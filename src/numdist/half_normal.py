"""HalfNormal: ``|X|``, ``X ~ Normal(0, scale)``; and the base of the folded families."""
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

import math
from typing import Any

import numpy as np

from numdist import constraints, vjp
from numdist.distribution import VJP
from numdist.loc_scale import LocScale
from numdist.kl import KLVJP, kl_divergence, kl_divergence_vjp, register_kl, register_kl_vjp
from numdist.normal import Normal
from numdist.transformed_distribution import TransformedDistribution, closed_form_on_base
from numdist.transforms import AbsTransform

__all__ = ["HalfNormal"]

_LOG2 = math.log(2.0)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class Folded(TransformedDistribution):
    """``|X|`` for ``X`` of a symmetric location-scale family at ``loc = 0`` (torch's
    HalfNormal and HalfCauchy): one parameter ``scale``, closed forms from the base's
    (``log_prob + log 2`` on ``[0, inf)``, ``2 cdf - 1``, ``entropy - log 2``); the
    gradient dicts have ``scale`` only (the base's fixed ``loc`` is dropped)."""

    _base_family: type[LocScale]
    arg_constraints = {"scale": constraints.positive_finite}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, scale: Any, validate_args: bool | None = None) -> None:
        base = self._base_family(0.0, scale, validate_args=False)
        super().__init__(base, AbsTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Any:
        return super().expand(batch_shape, self._get_checked_instance(type(self), _instance))

    @property
    def scale(self) -> np.ndarray:
        return self.base_dist.scale  # type: ignore[attr-defined]

    @property
    def mode(self) -> np.ndarray:
        return np.zeros_like(self.scale)

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        x, pull = super().rsample_vjp(sample_shape, rng)
        return x, lambda g: {"scale": pull(g)["scale"]}

    @staticmethod
    def _base_log_prob(p: Any, value: Any) -> Any:
        """The base's log density at ``loc = 0`` (a closed form of ``p.scale``)."""
        raise NotImplementedError

    def _log_prob_of_base(self, p: Any, value: Any) -> Any:
        return vjp.where(vjp.value_of(value) >= 0, self._base_log_prob(p, value) + _LOG2, -np.inf)

    def log_prob(self, value: Any) -> np.ndarray:
        return np.asarray(self._log_prob_of_base(self.base_dist, self._base_value(value)))

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        v = self._base_value(value)
        return closed_form_on_base(self._log_prob_of_base, self, v, np.shape(value),
                                   self._value_grad_dtype(value, v), drop=("loc",))

    def cdf(self, value: Any) -> np.ndarray:
        return 2 * self.base_dist.cdf(self._base_value(value)) - 1

    def icdf(self, value: Any) -> np.ndarray:
        return self.base_dist.icdf((self._as_probability(value) + 1) / 2)

    def entropy(self) -> np.ndarray:
        return self.base_dist.entropy() - _LOG2

    def entropy_vjp(self) -> tuple[np.ndarray, VJP]:
        h, pull = self.base_dist.entropy_vjp()
        return h - _LOG2, lambda g: {"scale": pull(g)["scale"]}


class HalfNormal(Folded):
    """Half-normal distribution: ``|X|`` with ``X ~ Normal(0, scale)``.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.HalfNormal([1.0, 2.0])
    >>> d.sample((3,), rng=0).shape
    (3, 2)
    >>> d.mean.round(6).tolist()
    [0.797885, 1.595769]
    """

    _base_family = Normal
    base_dist: Normal

    @staticmethod
    def _base_log_prob(p: Any, value: Any) -> Any:
        z = value / p.scale
        return -0.5 * (z * z) - np.log(p.scale) - _HALF_LOG_2PI

    @property
    def mean(self) -> np.ndarray:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self) -> np.ndarray:
        return self.scale**2 * (1 - 2 / math.pi)


def _kl_halfnormal_halfnormal_form(p: Any, q: Any) -> Any:
    var_ratio = (p.scale / q.scale) ** 2
    return 0.5 * (var_ratio - 1 - np.log(var_ratio))


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal) -> np.ndarray:
    """torch's: the KL of the base normals (both at loc 0)."""
    return np.asarray(_kl_halfnormal_halfnormal_form(p, q))


@register_kl_vjp(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal_vjp(p: HalfNormal, q: HalfNormal) -> tuple[np.ndarray, KLVJP]:
    kl, pull = vjp.kl_vjp(_kl_halfnormal_halfnormal_form, p.base_dist, q.base_dist)
    return kl, lambda g: {k: {"scale": v["scale"]} for k, v in pull(g).items()}


@register_kl(Folded, Folded)
def _kl_folded_folded(p: Folded, q: Folded) -> np.ndarray:
    """torch's TransformedDistribution rule (both fold by AbsTransform): the KL of the
    bases, e.g. HalfCauchy || HalfCauchy is Cauchy(0, .) || Cauchy(0, .)."""
    return kl_divergence(p.base_dist, q.base_dist)


@register_kl_vjp(Folded, Folded)
def _kl_folded_folded_vjp(p: Folded, q: Folded) -> tuple[np.ndarray, KLVJP]:
    kl, pull = kl_divergence_vjp(p.base_dist, q.base_dist)
    return kl, lambda g: {k: {"scale": v["scale"]} for k, v in pull(g).items()}
