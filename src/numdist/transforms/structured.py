"""Transforms with event dims: StickBreaking, Softmax (vectors to the simplex),
LowerCholesky, PositiveDefinite (square matrices)."""
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from numdist import constraints
from numdist import vjp as _v
from numdist.transforms._base import Shape, Transform, _finfo
from numdist.transforms.elementwise import _clipped_sigmoid


def _offset(k: int, first: int, dtype: Any) -> np.ndarray:
    """[first, first - 1, ..., first - k + 1] (torch's ``n + 1 - ones.cumsum``)."""
    return (first - np.arange(k)).astype(dtype)


class StickBreakingTransform(Transform):
    """Real vectors of length K to the simplex of K + 1 by stick breaking (bijective):
    ``z_i = sigmoid(x_i - log(K - i))``, ``y_i = z_i prod_{j<i} (1 - z_j)``, the last
    entry the rest of the stick."""

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StickBreakingTransform)

    __hash__ = object.__hash__

    def _call(self, x: Any) -> Any:
        vx = np.asarray(_v.value_of(x))
        offset = _offset(vx.shape[-1], vx.shape[-1], vx.dtype)
        z = _clipped_sigmoid(x - np.log(offset))
        z_cumprod = _v.cumprod(1 - z, -1)
        return _v.pad_last(z, 0, 1, 1.0) * _v.pad_last(z_cumprod, 1, 0, 1.0)

    def _inverse(self, y: Any) -> Any:
        vy = np.asarray(_v.value_of(y))
        y_crop = y[..., :-1]
        offset = _offset(vy.shape[-1] - 1, vy.shape[-1] - 1, vy.dtype)
        sf = 1 - _v.cumsum(y_crop, -1)
        # clamped: sf can round to 0 or below when y[-1] ~ 0 (torch does the same)
        sf = _v.clip(sf, float(_finfo(vy).tiny), np.inf)
        return np.log(y_crop) - np.log(sf) + np.log(offset)

    def _log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        vx = np.asarray(_v.value_of(x))
        offset = _offset(vx.shape[-1], vx.shape[-1], vx.dtype)
        x = x - np.log(offset)
        # 1 - sigmoid(x) = exp(-x) sigmoid(x)
        return (-x + _v.log_sigmoid(x) + np.log(y[..., :-1])).sum(axis=-1)

    def forward_shape(self, shape: Sequence[int]) -> Shape:
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape: Sequence[int]) -> Shape:
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class SoftmaxTransform(Transform):
    """Real vectors to the simplex of the same length, ``exp(x) / sum(exp(x))`` (not
    bijective: ``inv`` is ``log``, defined up to a constant; no log-det)."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SoftmaxTransform)

    __hash__ = object.__hash__

    def _call(self, x: Any) -> Any:
        m = np.max(np.asarray(_v.value_of(x)), axis=-1, keepdims=True, initial=-np.inf)  # softmax does not see it
        probs = np.exp(x - m)
        return probs / probs.sum(axis=-1, keepdims=True)

    def _inverse(self, y: Any) -> Any:
        return np.log(y)

    def forward_shape(self, shape: Sequence[int]) -> Shape:
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        return tuple(shape)

    inverse_shape = forward_shape


class LowerCholeskyTransform(Transform):
    """Square matrices to lower-triangular ones with a positive diagonal:
    ``tril(x, -1) + diag(exp(diag(x)))`` (not bijective: the upper triangle is dropped)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LowerCholeskyTransform)

    __hash__ = object.__hash__

    @staticmethod
    def _masks(x: Any) -> tuple[np.ndarray, np.ndarray]:
        n = np.shape(_v.value_of(x))[-1]
        return np.tri(n, k=-1, dtype=bool), np.eye(n, dtype=bool)

    def _call(self, x: Any) -> Any:
        strict, eye = self._masks(x)
        return _v.where(strict, x, 0.0) + _v.where(eye, np.exp(_v.where(eye, x, 0.0)), 0.0)

    def _inverse(self, y: Any) -> Any:
        strict, eye = self._masks(y)
        return _v.where(strict, y, 0.0) + _v.where(eye, np.log(_v.where(eye, y, 1.0)), 0.0)


class PositiveDefiniteTransform(Transform):
    """Square matrices to symmetric positive definite ones, ``L @ L.T`` with ``L`` of
    :class:`LowerCholeskyTransform`; inverse through the Cholesky factor (not bijective:
    the upper triangle of the input is dropped)."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PositiveDefiniteTransform)

    __hash__ = object.__hash__

    def _call(self, x: Any) -> Any:
        lower = LowerCholeskyTransform()._call(x)
        return _v.matmul(lower, _v.matrix_transpose(lower))

    def _inverse(self, y: Any) -> Any:
        return LowerCholeskyTransform()._inverse(_v.cholesky(y))
