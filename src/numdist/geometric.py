"""Geometric distribution: failures before the first success (torch's convention)."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

from typing import Any

import numpy as np

from numdist import constraints, vjp
from numdist.bernoulli import BinaryProbsLogits
from numdist.sampling import functional

__all__ = ["Geometric", "geometric"]


class Geometric(BinaryProbsLogits):
    """Number of failures before the first success of Bernoulli(``probs``) trials.

    Exactly one of ``probs`` (in (0, 1]) or ``logits`` is given, as for
    :class:`numdist.Bernoulli`. Samples are int64 (NumPy's convention for counts;
    torch returns floats); ``log_prob`` accepts integers or floats. Note that
    :func:`numdist.random.geometric` follows NumPy and counts trials (>= 1).

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Geometric(probs=0.25)
    >>> d.sample((4,), rng=0).dtype
    dtype('int64')
    >>> float(d.mean)
    3.0
    """

    _kernel = ("geometric_failures", ("probs",))
    support = constraints.nonnegative_integer

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: bool | None = None) -> None:
        super().__init__(probs, logits, validate_args)
        if self._validate_args and "probs" in self._params:
            constraints.validate("probs", self.probs, constraints.left_open_unit_interval, where="distribution Geometric")

    @property
    def mean(self) -> np.ndarray:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> np.ndarray:
        """0 (int64, like the samples)."""
        return np.zeros(self.batch_shape, dtype=np.int64)

    @property
    def variance(self) -> np.ndarray:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """int64 failure counts, ``floor(E / -log1p(-probs))`` with ``E`` standard exponential."""
        return self._draw_elementwise(sample_shape, rng)

    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        certain = (vjp.value_of(p.probs) == 1) & (vjp.value_of(value) == 0)  # 0 * log(0) := 0, as torch
        with np.errstate(divide="ignore", invalid="ignore"):
            return vjp.where(certain, 0.0, value * np.log1p(-p.probs)) + np.log(p.probs)

    @staticmethod
    def _entropy(p: Any) -> Any:
        return (vjp.softplus(p.logits) - p.logits * p.probs) / p.probs


@vjp.register_kl_closed_form(Geometric, Geometric)
def _kl_geometric_geometric(p: Any, q: Any) -> Any:
    return -Geometric._entropy(p) - np.log1p(-q.probs) / p.probs - q.logits


def geometric(p: Any, size: Any = None, *, out: np.ndarray | None = None, rng: Any = None) -> Any:
    """Number of trials up to and including the first success (>= 1), as
    ``numpy.random.Generator.geometric`` plus ``out=`` and ``rng=``; int64.

    Examples
    --------
    >>> import numdist as nd
    >>> x = nd.random.geometric(0.5, size=1000, rng=0)
    >>> x.dtype, bool(x.min() >= 1)
    (dtype('int64'), True)
    """
    return functional("geometric", "geometric", {"p": (p, constraints.left_open_unit_interval)}, size, None, out, rng)
