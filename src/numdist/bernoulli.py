"""Bernoulli distribution, from ``probs`` or ``logits`` (torch's normalisation)."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from numdist import constraints, vjp
from numdist.distribution import Distribution
from numdist.utils import lazy_property

__all__ = ["Bernoulli", "BinaryProbsLogits", "binary_logits", "binary_probs"]


def binary_logits(probs: Any) -> Any:
    """torch's ``probs_to_logits(probs, is_binary=True)``: clamp to ``[eps, 1 - eps]``,
    then ``log(p) - log1p(-p)`` (works on :class:`numdist.vjp.Node` too)."""
    eps = float(np.finfo(vjp.value_of(probs).dtype).eps)
    clamped = vjp.clip(probs, eps, 1 - eps)
    return np.log(clamped) - np.log1p(-clamped)


def binary_probs(logits: Any) -> Any:
    """torch's ``logits_to_probs(logits, is_binary=True)``: the sigmoid."""
    return vjp.sigmoid(logits)


def probs_or_logits_namespace(leaves: dict[str, Any]) -> Any:
    """The (probs, logits) pair a formula sees, built from the one given."""
    if "probs" in leaves:
        return SimpleNamespace(probs=leaves["probs"], logits=binary_logits(leaves["probs"]))
    return SimpleNamespace(logits=leaves["logits"], probs=binary_probs(leaves["logits"]))


class BinaryProbsLogits(Distribution):
    """Base of the families of one success probability given as ``probs`` or
    ``logits`` (Bernoulli, Geometric): the constructor, the lazily computed other
    parameterisation, and the namespace through which gradients reach the given one."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        _, batch_shape = self._init_params(**({"probs": probs} if probs is not None else {"logits": logits}))
        super().__init__(batch_shape, validate_args=validate_args)

    @lazy_property
    def logits(self) -> np.ndarray:
        return binary_logits(self.probs)

    @lazy_property
    def probs(self) -> np.ndarray:
        return binary_probs(self.logits)

    _vjp_namespace = staticmethod(probs_or_logits_namespace)


class Bernoulli(BinaryProbsLogits):
    """Bernoulli distribution: 1 with probability ``probs``, else 0.

    Exactly one of ``probs`` (in [0, 1]) or ``logits`` (log-odds) is given; the
    other is computed lazily as torch does (``logits = log(p) - log1p(-p)`` of the
    probabilities clamped to ``[eps, 1 - eps]``, ``probs = sigmoid(logits)``).
    Samples have the parameter's float dtype, as torch.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Bernoulli(probs=[0.1, 0.9])
    >>> x = d.sample((1000,), rng=0)
    >>> x.dtype, x.shape
    (dtype('float64'), (1000, 2))
    >>> lp, vjp = d.log_prob_vjp(x)
    >>> vjp(np.ones_like(lp))["probs"].shape
    (2,)
    """

    _kernel = ("bernoulli", ("probs",))
    support = constraints.boolean
    has_enumerate_support = True

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self.batch_shape

    @property
    def mean(self) -> np.ndarray:
        return self.probs

    @property
    def mode(self) -> np.ndarray:
        mode: np.ndarray = np.where(self.probs == 0.5, np.nan, self.probs >= 0.5).astype(self.dtype)
        return mode

    @property
    def variance(self) -> np.ndarray:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """0/1 draws in the parameter's float dtype (one 64-bit word per draw)."""
        return self._draw_elementwise(sample_shape, rng)

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        return value * p.logits - vjp.softplus(p.logits)  # -BCE-with-logits, as torch

    @staticmethod
    def _entropy(p: Any) -> Any:
        return vjp.softplus(p.logits) - p.logits * p.probs


    def enumerate_support(self, expand: bool = True) -> np.ndarray:
        values = np.arange(2, dtype=self.dtype).reshape((2,) + (1,) * len(self.batch_shape))
        return np.broadcast_to(values, (2,) + self.batch_shape) if expand else values


@vjp.register_kl_closed_form(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Any, q: Any) -> Any:
    pp, qp = vjp.value_of(p.probs), vjp.value_of(q.probs)
    t1 = p.probs * (vjp.softplus(-q.logits) - vjp.softplus(-p.logits))
    t1 = vjp.where(pp == 0, 0.0, vjp.where(qp == 0, np.inf, t1))
    t2 = (1 - p.probs) * (vjp.softplus(q.logits) - vjp.softplus(p.logits))
    t2 = vjp.where(pp == 1, 0.0, vjp.where(qp == 1, np.inf, t2))
    return t1 + t2
