"""LogisticNormal: a Normal pushed onto the simplex by stick breaking."""
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any

import numpy as np

from numdist import constraints
from numdist.independent import Independent
from numdist.loc_scale import LocScale
from numdist.normal import Normal
from numdist.transformed_distribution import TransformedDistribution
from numdist.transforms import StickBreakingTransform

__all__ = ["LogisticNormal"]


class LogisticNormal(TransformedDistribution):
    """Logistic-normal distribution on the simplex of ``K + 1`` entries:
    ``StickBreakingTransform()(X)``, ``X ~ Independent(Normal(loc, scale), 1)`` with
    ``loc``, ``scale`` of last dim ``K`` (a scalar batch becomes ``K = 1``, as torch).
    Gradients are keyed ``loc`` and ``scale``.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> d = nd.LogisticNormal(np.zeros(3), np.ones(3))
    >>> d.batch_shape, d.event_shape
    ((), (4,))
    >>> float(d.sample(rng=0).sum())
    1.0
    """

    arg_constraints = LocScale.arg_constraints
    support = constraints.simplex
    has_rsample = True
    base_dist: Independent

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        base: Normal = Normal(loc, scale, validate_args=False)
        if not base.batch_shape:
            base = base.expand((1,))
        super().__init__(base, StickBreakingTransform(), validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LogisticNormal:
        return super().expand(batch_shape, self._get_checked_instance(LogisticNormal, _instance))

    @property
    def loc(self) -> np.ndarray:
        return self.base_dist.base_dist.loc  # type: ignore[attr-defined]

    @property
    def scale(self) -> np.ndarray:
        return self.base_dist.base_dist.scale  # type: ignore[attr-defined]
