"""HalfCauchy: ``|X|``, ``X ~ Cauchy(0, scale)``."""
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any

import numpy as np

from numdist.cauchy import Cauchy
from numdist.half_normal import Folded

__all__ = ["HalfCauchy"]


class HalfCauchy(Folded):
    """Half-Cauchy distribution: ``|X|`` with ``X ~ Cauchy(0, scale)`` (infinite mean).

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.HalfCauchy(1.0)
    >>> d.sample((4,), rng=0).shape, float(d.cdf(1.0))
    ((4,), 0.5)
    """

    _base_family = Cauchy
    base_dist: Cauchy

    @staticmethod
    def _base_log_prob(p: Any, value: Any) -> Any:
        return Cauchy._log_prob(p, value)

    @property
    def mean(self) -> np.ndarray:
        return np.full(self._extended_shape(), np.inf, dtype=self.dtype)

    @property
    def variance(self) -> np.ndarray:
        return self.base_dist.variance
