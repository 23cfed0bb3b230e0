"""Chi-squared distribution: ``Gamma(df / 2, 1 / 2)`` (torch's definition)."""
# mypy: disable-error-code="no-any-return"
# (closed forms take ndarrays or vjp.Node leaves, so their results are typed Any)
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from numdist import constraints
from numdist.distribution import Distribution
from numdist.gamma import Gamma
from numdist.sampling import functional

__all__ = ["Chi2", "chisquare"]


class Chi2(Gamma):
    """Chi-squared distribution with ``df`` degrees of freedom.

    A :class:`Gamma` with ``concentration = df / 2`` and ``rate = 1 / 2``, as in
    torch (so the Gamma KL pairs apply); its gradients are keyed by ``df``.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Chi2([1.0, 4.0])
    >>> d.mean
    array([1., 4.])
    """

    df: np.ndarray
    arg_constraints = {"df": constraints.positive_finite}

    def __init__(self, df: Any, validate_args: bool | None = None) -> None:
        _, batch_shape = self._init_params(df=df)
        Distribution.__init__(self, batch_shape, validate_args=validate_args)

    @property
    def concentration(self) -> np.ndarray:  # type: ignore[override]
        return 0.5 * self.df

    @property
    def rate(self) -> np.ndarray:  # type: ignore[override]
        return np.full_like(self.df, 0.5)

    def _vjp_namespace(self, leaves: dict[str, Any]) -> Any:
        df = leaves["df"]
        return SimpleNamespace(df=df, concentration=0.5 * df, rate=np.full_like(self.df, 0.5))

    def _gamma_grads(self, dconcentration: np.ndarray, drate: np.ndarray) -> dict[str, np.ndarray]:
        return {"df": self._grad("df", 0.5 * dconcentration)}  # the rate is a constant


def chisquare(df: Any, size: Any = None, *, dtype: Any = None, out: np.ndarray | None = None, rng: Any = None) -> Any:
    """Chi-squared draws, as ``numpy.random.Generator.chisquare`` plus ``dtype=``, ``out=``, ``rng=``.

    Examples
    --------
    >>> import numdist as nd
    >>> nd.random.chisquare(3.0, size=4, rng=0).shape
    (4,)
    """
    return functional("chisquare", "chisquare", {"df": (df, constraints.positive_finite)}, size, dtype, out, rng)
