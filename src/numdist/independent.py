"""Independent: reinterpret batch dimensions of a distribution as event dimensions."""
from __future__ import annotations

from typing import Any, cast

import numpy as np

from numdist import constraints
from numdist.distribution import VJP, Distribution
from numdist.kl import KLVJP, kl_divergence, kl_divergence_vjp, register_kl, register_kl_vjp, summed_kl_divergence_vjp
from numdist.utils import sum_rightmost

__all__ = ["Independent"]


class Independent(Distribution):
    """Treat the rightmost ``reinterpreted_batch_ndims`` batch dims of
    ``base_distribution`` as event dims (``log_prob`` and ``entropy`` sum over them).

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> normal = nd.Normal(np.zeros((3, 2)), np.ones((3, 2)))
    >>> iid = nd.Independent(normal, 1)
    >>> iid.batch_shape, iid.event_shape
    ((3,), (2,))
    >>> iid.sample((100,), rng=0).shape
    (100, 3, 2)
    """

    arg_constraints: dict[str, constraints.Constraint] = {}

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None) -> None:
        if not isinstance(base_distribution, Distribution):
            raise TypeError(f"base_distribution must be a numdist Distribution, got {type(base_distribution).__name__}")
        n = int(reinterpreted_batch_ndims)
        if n < 0 or n > len(base_distribution.batch_shape):
            raise ValueError(
                f"Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), "
                f"actual {n} vs {len(base_distribution.batch_shape)}")
        shape = base_distribution.batch_shape + base_distribution.event_shape
        event_dim = n + len(base_distribution.event_shape)
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = n
        super().__init__(shape[: len(shape) - event_dim], shape[len(shape) - event_dim:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> "Independent":
        new = self._get_checked_instance(Independent, _instance)
        batch_shape = self._expand_shape(batch_shape)
        n = self.reinterpreted_batch_ndims
        new.base_dist = self.base_dist.expand(batch_shape + self.base_dist.batch_shape[len(self.base_dist.batch_shape) - n:])
        new.reinterpreted_batch_ndims = n
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self) -> bool:  # type: ignore[override]
        return False if self.reinterpreted_batch_ndims > 0 else self.base_dist.has_enumerate_support

    @property
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        # every concrete family defines its support (None only on the abstract base class)
        return constraints.independent(cast(constraints.Constraint, self.base_dist.support),
                                       self.reinterpreted_batch_ndims)

    @property
    def mean(self) -> np.ndarray:
        return self.base_dist.mean

    @property
    def mode(self) -> np.ndarray:
        return self.base_dist.mode

    @property
    def variance(self) -> np.ndarray:
        return self.base_dist.variance

    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        return self.base_dist.sample(sample_shape, rng=rng)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        return self.base_dist.rsample(sample_shape, rng=rng)

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        return self.base_dist.rsample_vjp(sample_shape, rng=rng)

    def _expand_cotangent(self, g: Any, like: np.ndarray) -> np.ndarray:
        """Spread a cotangent of the summed value back over the reinterpreted dims."""
        g = np.asarray(g)
        n = self.reinterpreted_batch_ndims
        return np.broadcast_to(g.reshape(g.shape + (1,) * n), like.shape)

    # A base family may sum its log densities over the reinterpreted dims in the same
    # pass that computes them (``_summed_log_prob(value, dims)`` and
    # ``_summed_log_prob_vjp(value, dims)``, same numbers as the sum of log_prob):
    # the per-element densities are then never stored.
    def log_prob(self, value: Any) -> np.ndarray:
        n = self.reinterpreted_batch_ndims
        summed = getattr(self.base_dist, "_summed_log_prob", None)
        if summed is not None and n > 0:
            lp: np.ndarray = summed(value, n)
            return lp
        return sum_rightmost(self.base_dist.log_prob(value), n)

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        summed = getattr(self.base_dist, "_summed_log_prob_vjp", None)
        if summed is not None and self.reinterpreted_batch_ndims > 0:
            return cast(tuple[np.ndarray, VJP], summed(value, self.reinterpreted_batch_ndims))
        lp, base_vjp = self.base_dist.log_prob_vjp(value)
        return sum_rightmost(lp, self.reinterpreted_batch_ndims), lambda g: base_vjp(self._expand_cotangent(g, lp))

    def entropy(self) -> np.ndarray:
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def entropy_vjp(self) -> tuple[np.ndarray, VJP]:
        h, base_vjp = self.base_dist.entropy_vjp()
        return sum_rightmost(h, self.reinterpreted_batch_ndims), lambda g: base_vjp(self._expand_cotangent(g, h))

    def enumerate_support(self, expand: bool = True) -> np.ndarray:
        if self.reinterpreted_batch_ndims > 0:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"


# -- Independent || Independent ------------------------------------------------------
def _check_independent_pair(p: Independent, q: Independent) -> int:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError("KL between Independents with different reinterpreted_batch_ndims")
    return p.reinterpreted_batch_ndims


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> np.ndarray:
    n = _check_independent_pair(p, q)
    return sum_rightmost(kl_divergence(p.base_dist, q.base_dist), n)


@register_kl_vjp(Independent, Independent)
def _kl_independent_independent_vjp(p: Independent, q: Independent) -> tuple[np.ndarray, KLVJP]:
    n = _check_independent_pair(p, q)
    if n > 0:  # the base pair may sum over the reinterpreted dims in its own pass
        summed = summed_kl_divergence_vjp(p.base_dist, q.base_dist, n)
        if summed is not None:
            return summed
    kl, base_vjp = kl_divergence_vjp(p.base_dist, q.base_dist)

    def vjp(g: Any) -> dict[str, dict[str, np.ndarray]]:
        g = np.asarray(g)
        return base_vjp(np.broadcast_to(g.reshape(g.shape + (1,) * n), kl.shape))

    return sum_rightmost(kl, n), vjp
