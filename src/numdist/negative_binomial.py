"""Negative binomial distribution (torch's convention), a gamma-Poisson mixture
sampled in C, and ``numdist.random.negative_binomial`` (NumPy's convention)."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

from typing import Any

import numpy as np

from numdist import constraints, vjp
from numdist.bernoulli import binary_logits, binary_probs, probs_or_logits_namespace
from numdist.distribution import Distribution
from numdist.poisson import as_count
from numdist.sampling import functional
from numdist.utils import as_float_params, lazy_property

__all__ = ["NegativeBinomial", "negative_binomial"]


class NegativeBinomial(Distribution):
    """Number of successes before ``total_count`` failures of Bernoulli(``probs``)
    trials (torch's convention): ``P(k) = C(k + r - 1, k) probs^k (1 - probs)^r``,
    ``r = total_count`` any real > 0 (a gamma-Poisson mixture).

    Exactly one of ``probs`` (success probability, in [0, 1)) or ``logits`` is
    given; the other is computed lazily as torch does (``logits`` from ``probs``
    clamped to ``[eps, 1 - eps]``, ``probs = sigmoid(logits)``). ``total_count``
    broadcasts with it, takes its dtype (torch's ``type_as``) and is a constant: gradients (``log_prob_vjp``, for
    score-function estimators) are for ``probs`` or ``logits`` only, through
    torch's normalisation. Unlike torch, ``total_count = 0`` (a point mass at 0) is
    refused when validating (it is drawn as 0 with validation off).

    Samples are **int64** (NumPy's convention; torch returns floats): a rate
    ``G * odds`` with ``G`` standard gamma of shape ``total_count`` and
    ``odds = probs / (1 - probs)`` (``exp(logits)`` when built from logits), then a
    Poisson draw of that rate (torch's ``Gamma(total_count, exp(-logits))`` then
    ``poisson``). ``log_prob`` accepts integers or floats. With validation off, NaN
    or negative parameters draw -1 and rates beyond ``2**63 - 2**36`` (``probs``
    1, infinite ``logits``) draw ``INT64_MAX``.

    Note :func:`numdist.random.negative_binomial` follows NumPy instead: ``p`` there
    is the probability of the event that is counted to ``n`` (failures are counted),
    i.e. NumPy's ``p`` is torch's ``1 - probs``.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.NegativeBinomial(total_count=[0.5, 3.0, 50.0], probs=0.25)
    >>> d.batch_shape, d.sample((1000,), rng=0).dtype
    ((3,), dtype('int64'))
    >>> np.round(d.mean, 4)
    array([ 0.1667,  1.    , 16.6667])
    >>> lp, vjp = d.log_prob_vjp(d.sample((4,), rng=1))
    >>> sorted(vjp(np.ones_like(lp)))
    ['probs']
    """

    total_count: np.ndarray
    _kernel = ("negative_binomial_odds", ("total_count", "_odds"))
    arg_constraints = {"total_count": constraints.positive_finite,
                       "probs": constraints.half_open_interval(0.0, 1.0), "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count: Any, probs: Any = None, logits: Any = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name, given = ("probs", probs) if probs is not None else ("logits", logits)
        dtype, arrays = as_float_params(**{name: given})
        # torch's total_count.type_as(probs): the probabilities decide the dtype
        arrays["total_count"] = as_float_params(total_count=total_count)[1]["total_count"].astype(dtype, copy=False)
        batch_shape = self._record_params({"total_count": total_count, name: given}, arrays, dtype)
        # total_count is broadcast with the rest but is a constant: no gradient record
        del self._params["total_count"]
        super().__init__(batch_shape, validate_args=validate_args)

    def _validation_values(self) -> dict[str, Any]:
        return {"total_count": self.total_count, **super()._validation_values()}

    def expand(self, batch_shape: Any, _instance: Any = None) -> NegativeBinomial:
        new = super().expand(batch_shape, _instance)
        new.total_count = np.broadcast_to(self.total_count, new.batch_shape)
        return new

    @lazy_property
    def logits(self) -> np.ndarray:
        return binary_logits(self.probs)

    @lazy_property
    def probs(self) -> np.ndarray:
        return binary_probs(self.logits)

    @lazy_property
    def _odds(self) -> np.ndarray:
        """``probs / (1 - probs)`` (from ``probs``) or ``exp(logits)``: the gamma's scale."""
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            if "probs" in self._params:
                return self.probs / (1 - self.probs)
            return np.exp(self.logits)

    def _vjp_namespace(self, leaves: dict[str, Any]) -> Any:
        ns = probs_or_logits_namespace(leaves)
        ns.total_count = self.total_count
        return ns

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self.batch_shape

    @property
    def mean(self) -> np.ndarray:
        return self.total_count * np.exp(self.logits)

    @property
    def mode(self) -> np.ndarray:
        """``floor((total_count - 1) exp(logits))`` clamped at 0, as int64 (like the samples)."""
        with np.errstate(invalid="ignore", over="ignore"):
            return as_count(np.maximum(np.floor((self.total_count - 1) * np.exp(self.logits)), 0.0))

    @property
    def variance(self) -> np.ndarray:
        return self.mean / vjp.sigmoid(-self.logits)

    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """int64 draws of shape ``sample_shape + batch_shape`` (gamma, then Poisson)."""
        return self._draw_elementwise(sample_shape, rng)

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        r = p.total_count
        log_unnormalized = r * vjp.log_sigmoid(-p.logits) + value * vjp.log_sigmoid(p.logits)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_normalization = -vjp.lgamma(r + value) + vjp.lgamma(1.0 + value) + vjp.lgamma(r)
        # total_count + value == 0 (only with validation off): probability 1, as torch
        log_normalization = vjp.where(vjp.value_of(r + value) == 0, 0.0, log_normalization)
        return log_unnormalized - log_normalization


def negative_binomial(n: Any, p: Any, size: Any = None, *, out: np.ndarray | None = None, rng: Any = None) -> Any:
    """Negative binomial draws as ``numpy.random.Generator.negative_binomial`` plus
    ``out=`` and ``rng=``: **int64** numbers of failures before ``n`` successes
    (``n`` real > 0) of trials succeeding with probability ``p`` in (0, 1]. This is
    NumPy's convention; :class:`numdist.NegativeBinomial` follows torch, whose
    ``probs`` is ``1 - p``. Drawn as Poisson(``G (1 - p) / p``), ``G`` standard gamma
    of shape ``n``.

    Examples
    --------
    >>> import numdist as nd
    >>> x = nd.random.negative_binomial(3.0, 0.4, size=100000, rng=0)
    >>> x.dtype, round(float(x.mean()), 1)   # n (1 - p) / p = 4.5
    (dtype('int64'), 4.5)
    """
    where = "random.negative_binomial"
    _, arrays = as_float_params(n=n, p=p)
    constraints.validate("n", arrays["n"], constraints.positive_finite, where=where)
    constraints.validate("p", arrays["p"], constraints.left_open_unit_interval, where=where)
    pa = arrays["p"]
    odds = (1 - pa) / pa  # failures per success: the gamma's scale
    # "p" names the odds below only in shape messages; they were validated through p
    return functional("negative_binomial_odds", "negative_binomial",
                      {"n": (arrays["n"], constraints.positive_finite), "p": (odds, constraints.nonnegative)},
                      size, None, out, rng)
