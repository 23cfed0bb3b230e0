"""Element-wise transforms: Exp, Power, Sigmoid, Tanh, Softplus, Abs, Affine."""
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from numdist import constraints
from numdist import vjp as _v
from numdist.transforms._base import _LOG2, Shape, Transform, _all_equal, _as_input, _finfo


class ExpTransform(Transform):
    """``y = exp(x)``; ``log|dy/dx| = x``."""

    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = +1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExpTransform)

    __hash__ = object.__hash__

    def _call(self, x: Any) -> Any:
        return np.exp(x)

    def _inverse(self, y: Any) -> Any:
        return np.log(y)

    def _log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return x


class PowerTransform(Transform):
    """``y = x ** exponent`` on the positive reals (``exponent`` a constant array)."""

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent: Any, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.exponent = _as_input(exponent)

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return PowerTransform(self.exponent, cache_size=cache_size)

    @property
    def sign(self) -> Any:
        return np.sign(self.exponent)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PowerTransform) and _all_equal(self.exponent, other.exponent)

    __hash__ = object.__hash__

    def _call(self, x: Any) -> Any:
        return _v.power(x, self.exponent)

    def _inverse(self, y: Any) -> Any:
        return _v.power(y, 1 / self.exponent)

    def _log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return np.log(np.abs(self.exponent * y / x))

    def forward_shape(self, shape: Sequence[int]) -> Shape:
        return tuple(np.broadcast_shapes(tuple(shape), self.exponent.shape))

    def inverse_shape(self, shape: Sequence[int]) -> Shape:
        return tuple(np.broadcast_shapes(tuple(shape), self.exponent.shape))

    def __repr__(self) -> str:
        return f"PowerTransform(exponent={self.exponent})"


def _clipped_sigmoid(x: Any) -> Any:
    """sigmoid(x) kept in [tiny, 1 - eps] of x's dtype (torch's), so logs of it and of
    1 - it stay finite."""
    fi = _finfo(x)
    return _v.clip(_v.sigmoid(x), float(fi.tiny), float(1.0 - fi.eps))


class SigmoidTransform(Transform):
    """``y = 1 / (1 + exp(-x))``; ``log|dy/dx| = -softplus(-x) - softplus(x)`` (finite for
    every finite x)."""

    domain = constraints.real
    codomain = constraints.unit_interval
    bijective = True
    sign = +1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SigmoidTransform)

    __hash__ = object.__hash__

    def _call(self, x: Any) -> Any:
        return _clipped_sigmoid(x)

    def _inverse(self, y: Any) -> Any:
        fi = _finfo(y)
        y = _v.clip(y, float(fi.tiny), float(1.0 - fi.eps))
        return np.log(y) - np.log1p(-y)

    def _log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return -_v.softplus(-x) - _v.softplus(x)


class TanhTransform(Transform):
    """``y = tanh(x)``; ``log|dy/dx| = 2 (log 2 - x - softplus(-2x))``, finite where
    ``1 - tanh(x)**2`` underflows (|x| > 19 in float64)."""

    domain = constraints.real
    codomain = constraints.interval(-1.0, 1.0)
    bijective = True
    sign = +1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TanhTransform)

    __hash__ = object.__hash__

    def _call(self, x: Any) -> Any:
        return np.tanh(x)

    def _inverse(self, y: Any) -> Any:
        return _v.atanh(y)

    def _log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return 2.0 * (_LOG2 - x - _v.softplus(-2.0 * x))


class SoftplusTransform(Transform):
    """``y = log(1 + exp(x))``; inverse ``log(-expm1(-y)) + y``; ``log|dy/dx| = -softplus(-x)``."""

    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = +1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SoftplusTransform)

    __hash__ = object.__hash__

    def _call(self, x: Any) -> Any:
        return _v.softplus(x)

    def _inverse(self, y: Any) -> Any:
        return np.log(-np.expm1(-y)) + y

    def _log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return -_v.softplus(-x)


class AbsTransform(Transform):
    """``y = |x|`` (not bijective: ``inv`` is the identity on the non-negative half)."""

    domain = constraints.real
    codomain = constraints.positive

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AbsTransform)

    __hash__ = object.__hash__

    def _call(self, x: Any) -> Any:
        return np.abs(x)

    def _inverse(self, y: Any) -> Any:
        return y


class AffineTransform(Transform):
    """``y = loc + scale * x`` (``loc``, ``scale`` constants broadcasting with ``x``);
    ``event_dim`` rightmost dims are summed in ``log_abs_det_jacobian``."""

    bijective = True

    def __init__(self, loc: Any, scale: Any, event_dim: int = 0, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.loc = loc
        self.scale = scale
        self._event_dim = int(event_dim)

    @property
    def event_dim(self) -> int:
        return self._event_dim

    @property
    def domain(self) -> constraints.Constraint:
        return constraints.real if self._event_dim == 0 else constraints.independent(constraints.real, self._event_dim)

    codomain = domain

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return AffineTransform(self.loc, self.scale, self._event_dim, cache_size=cache_size)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, AffineTransform) and _all_equal(self.loc, other.loc)
                and _all_equal(self.scale, other.scale))

    __hash__ = object.__hash__

    @property
    def sign(self) -> Any:
        s = np.sign(self.scale)
        return int(s) if np.ndim(s) == 0 else s

    def _call(self, x: Any) -> Any:
        return self.loc + self.scale * x

    def _inverse(self, y: Any) -> Any:
        return (y - self.loc) / self.scale

    def _log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        vx = np.asarray(_v.value_of(x))
        shape = vx.shape
        result = np.log(np.abs(np.asarray(self.scale, dtype=vx.dtype)))
        if self._event_dim:
            result = np.broadcast_to(result, np.broadcast_shapes(result.shape, shape))
            result = result.reshape(result.shape[: result.ndim - self._event_dim] + (-1,)).sum(-1)
            shape = shape[: len(shape) - self._event_dim]
        return np.broadcast_to(result, np.broadcast_shapes(result.shape, shape)).astype(vx.dtype)

    def forward_shape(self, shape: Sequence[int]) -> Shape:
        return tuple(np.broadcast_shapes(tuple(shape), np.shape(self.loc), np.shape(self.scale)))

    inverse_shape = forward_shape

    def __repr__(self) -> str:
        return f"AffineTransform(loc={self.loc}, scale={self.scale}, event_dim={self._event_dim})"
