"""Poisson distribution (int64 samples), its KL pairs and ``numdist.random.poisson``."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

from typing import Any

import numpy as np

from numdist import constraints, vjp
from numdist.bernoulli import Bernoulli
from numdist.distribution import Distribution
from numdist.sampling import functional

__all__ = ["Poisson", "poisson", "POISSON_LAM_MAX", "as_count"]

#: The largest rate the sampler draws from, ``2**63 - 2**36`` (more than ten
#: standard deviations below ``2**63``, so draws fit in int64); larger rates give
#: ``INT64_MAX`` (``ND_POISSON_LAM_MAX`` in csrc/include/numdist/poisson.h).
POISSON_LAM_MAX = 9223371968147456000.0

_INT64_MAX = np.iinfo(np.int64).max


def as_count(x: Any) -> np.ndarray:
    """Floats that are whole numbers as int64, as the samplers return counts:
    ``INT64_MAX`` for values from ``2**63`` on (and +inf), -1 for NaN or negative
    values (possible only with validation off)."""
    x = np.asarray(x)
    with np.errstate(invalid="ignore"):
        big = x >= 2.0**63
        ok = (x >= 0) & ~big
        out = np.where(ok, x, 0).astype(np.int64)
    out[big] = _INT64_MAX
    out[~ok & ~big] = -1
    return out


class Poisson(Distribution):
    """Poisson distribution with mean ``rate`` (>= 0): ``P(k) = rate^k exp(-rate) / k!``.

    Samples are **int64** counts (NumPy's convention; torch returns floats);
    ``log_prob`` accepts integers or floats (non-integer or negative values are
    refused, with their index, when validating). Sampling: inversion for rates
    below 10, Hormann's transformed rejection (PTRS) from 10 on, in C; rates
    above ``2**63 - 2**36`` give ``INT64_MAX`` and, with validation off, NaN or
    negative rates give -1 (docs/adding-a-family.md, "Counts").
    ``log_prob_vjp`` gives the score ``d log P / d rate = k / rate - 1`` (no
    ``"value"`` gradient: the values are discrete). torch has no Poisson entropy,
    nor has numdist.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Poisson([0.5, 30.0])
    >>> x = d.sample((1000,), rng=0)
    >>> x.dtype, x.shape
    (dtype('int64'), (1000, 2))
    >>> lp, vjp = d.log_prob_vjp(x)
    >>> vjp(np.ones_like(lp))["rate"].shape
    (2,)
    """

    rate: np.ndarray
    _kernel = ("poisson", ("rate",))
    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate: Any, validate_args: bool | None = None) -> None:
        _, batch_shape = self._init_params(rate=rate)
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def mean(self) -> np.ndarray:
        return self.rate

    @property
    def mode(self) -> np.ndarray:
        """``floor(rate)`` as int64, like the samples."""
        return as_count(np.floor(self.rate))

    @property
    def variance(self) -> np.ndarray:
        return self.rate

    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """int64 draws of shape ``sample_shape + batch_shape``."""
        return self._draw_elementwise(sample_shape, rng)

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        return vjp.xlogy(value, p.rate) - p.rate - vjp.lgamma(value + 1)


@vjp.register_kl_closed_form(Poisson, Poisson)
def _kl_poisson_poisson(p: Any, q: Any) -> Any:
    return p.rate * (np.log(p.rate) - np.log(q.rate)) - (p.rate - q.rate)


@vjp.register_kl_closed_form(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p: Any, q: Any) -> Any:
    return -Bernoulli._entropy(p) - (p.probs * np.log(q.rate) - q.rate)


vjp.register_kl_closed_form(Poisson, Bernoulli)(vjp.infinite_kl("rate"))


def poisson(lam: Any = 1.0, size: Any = None, *, out: np.ndarray | None = None, rng: Any = None) -> Any:
    """Poisson draws of mean ``lam``, as ``numpy.random.Generator.poisson`` plus
    ``out=`` and ``rng=``: **int64** counts (as NumPy), ``lam`` float32 or float64,
    broadcasting against ``size``; ``lam`` must be in ``[0, 2**63 - 2**36]`` (NumPy
    refuses large rates too).

    Examples
    --------
    >>> import numdist as nd
    >>> x = nd.random.poisson(3.7, size=1000, rng=0)
    >>> x.dtype, bool(x.min() >= 0)
    (dtype('int64'), True)
    >>> nd.random.poisson([1.0, 1000.0], size=(3, 2), rng=0).shape
    (3, 2)
    """
    return functional("poisson", "poisson", {"lam": (lam, constraints.interval(0.0, POISSON_LAM_MAX))},
                      size, None, out, rng)
