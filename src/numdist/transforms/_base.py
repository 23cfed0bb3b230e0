"""The transform base class and the transforms built from others: ``Transform``
(values, cache, VJPs by recording), ``t.inv``, ``ComposeTransform``,
``IndependentTransform``, ``identity_transform``; shared helpers."""
# mypy: disable-error-code="no-any-return"
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from numdist import constraints
from numdist import vjp as _v

_LOG2 = math.log(2.0)
Shape = tuple[int, ...]


def _as_input(x: Any) -> np.ndarray:
    """An array argument of a transform: real, integers promoted to float64."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"transforms take real arrays, got dtype {arr.dtype}")
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


def _sum_rightmost(value: Any, n: int) -> Any:
    """Sum the ``n`` rightmost dims (arrays or recorded values)."""
    if n <= 0:
        return value
    return value.sum(axis=tuple(range(-n, 0)))


def _all_equal(a: Any, b: Any) -> bool:
    """Parameters equal element for element (False when their shapes do not broadcast)."""
    try:
        return bool(np.all(np.asarray(a) == np.asarray(b)))
    except ValueError:
        return False


def _finfo(x: Any) -> Any:
    dt = np.asarray(_v.value_of(x)).dtype
    return np.finfo(dt if dt.kind == "f" else np.float64)


class Transform:
    """Base class: ``domain``, ``codomain``, ``bijective``, ``sign``, ``event_dim``,
    ``inv``, ``__call__``, ``log_abs_det_jacobian`` and their VJPs.

    Examples
    --------
    >>> import numpy as np
    >>> from numdist.transforms import ExpTransform
    >>> t = ExpTransform()
    >>> y, vjp = t.forward_vjp(np.array([0.0, 1.0]))
    >>> y.tolist(), vjp(np.ones(2)).tolist()
    ([1.0, 2.718281828459045], [1.0, 2.718281828459045])
    >>> t.inv(y).tolist()
    [0.0, 1.0]
    """

    def __init__(self, cache_size: int = 0) -> None:
        if cache_size not in (0, 1):
            raise ValueError("cache_size must be 0 or 1")
        self._cache_size = cache_size
        self._inv: Transform | None = None
        self._cached_x_y: tuple[Any, Any] = (None, None)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_inv"] = None
        state["_cached_x_y"] = (None, None)
        return state

    @property
    def domain(self) -> constraints.Constraint:
        """Where ``x`` lives (a subclass sets it as a class attribute or a property)."""
        raise NotImplementedError

    @property
    def codomain(self) -> constraints.Constraint:
        """Where ``y = t(x)`` lives."""
        raise NotImplementedError

    @property
    def bijective(self) -> bool:
        """``t.inv(t(x)) == x`` and ``t(t.inv(y)) == y`` on the domain and codomain."""
        return False

    @property
    def event_dim(self) -> int:
        if self.domain.event_dim == self.codomain.event_dim:
            return self.domain.event_dim
        raise ValueError("Please use either .domain.event_dim or .codomain.event_dim")

    @property
    def inv(self) -> Transform:
        """The inverse transform (``t.inv.inv is t``)."""
        inv = self._inv
        if inv is None:
            inv = _InverseTransform(self)
            self._inv = inv
        return inv

    @property
    def sign(self) -> Any:
        """+1 or -1 for a monotone increasing or decreasing univariate bijection."""
        raise NotImplementedError

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        if type(self).__init__ is Transform.__init__:
            return type(self)(cache_size=cache_size)
        raise NotImplementedError(f"{type(self).__name__}.with_cache is not implemented")

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = object.__hash__

    # -- values ----------------------------------------------------------------------
    def __call__(self, x: Any) -> np.ndarray:
        """``y = t(x)``."""
        if self._cache_size and x is self._cached_x_y[0]:
            return self._cached_x_y[1]
        y = np.asarray(self._call(_as_input(x)))
        if self._cache_size:
            self._cached_x_y = (x, y)
        return y

    def _inv_call(self, y: Any) -> np.ndarray:
        if self._cache_size and y is self._cached_x_y[1]:
            return self._cached_x_y[0]
        x = np.asarray(self._inverse(_as_input(y)))
        if self._cache_size:
            self._cached_x_y = (x, y)
        return x

    def log_abs_det_jacobian(self, x: Any, y: Any) -> np.ndarray:
        """``log |det dy/dx|``, summed over ``domain.event_dim`` event dims."""
        return np.asarray(self._log_abs_det_jacobian(_as_input(x), _as_input(y)))

    # -- vector-Jacobian products ---------------------------------------------------------
    def forward_vjp(self, x: Any) -> tuple[np.ndarray, Callable[[Any], np.ndarray]]:
        """``(t(x), vjp)`` with ``vjp(gy)`` the cotangent of ``x`` (shaped like ``x``)."""
        cached = self._cache_size and x is self._cached_x_y[0]
        y, pull = _v.function_vjp(self._call, _as_input(x))
        if cached:
            y = self._cached_x_y[1]
        elif self._cache_size:
            self._cached_x_y = (x, y)
        return y, lambda g: pull(g)[0]

    def inv_vjp(self, y: Any) -> tuple[np.ndarray, Callable[[Any], np.ndarray]]:
        """``(t.inv(y), vjp)`` with ``vjp(gx)`` the cotangent of ``y``."""
        cached = self._cache_size and y is self._cached_x_y[1]
        x, pull = _v.function_vjp(self._inverse, _as_input(y))
        if cached:
            x = self._cached_x_y[0]  # exact: no inverse of a rounded value
        elif self._cache_size:
            self._cached_x_y = (x, y)
        return x, lambda g: pull(g)[0]

    def log_abs_det_jacobian_vjp(self, x: Any, y: Any) -> tuple[np.ndarray, Callable[[Any], dict[str, np.ndarray]]]:
        """``(log_abs_det_jacobian(x, y), vjp)`` with ``vjp(g) -> {"x": gx, "y": gy}``
        (the formula's own dependence on each argument; for ``y = t(x)`` the total
        derivative in ``x`` is ``gx + forward_vjp(x)[1](gy)``)."""
        x, y = _as_input(x), _as_input(y)
        ladj, pull = _v.function_vjp(self._log_abs_det_jacobian, x, y)

        def vjp(g: Any) -> dict[str, np.ndarray]:
            gx, gy = pull(g)
            return {"x": gx, "y": gy}

        return ladj, vjp

    # -- formulas (arrays or recorded values) ------------------------------------------------
    def _call(self, x: Any) -> Any:
        raise NotImplementedError

    def _inverse(self, y: Any) -> Any:
        raise NotImplementedError

    def _log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no log_abs_det_jacobian (it is not bijective)")

    # -- shapes --------------------------------------------------------------------------
    def forward_shape(self, shape: Sequence[int]) -> Shape:
        return tuple(shape)

    def inverse_shape(self, shape: Sequence[int]) -> Shape:
        return tuple(shape)

    def __repr__(self) -> str:
        return type(self).__name__ + "()"


class _InverseTransform(Transform):
    """``t.inv``: swaps the forward map and the inverse of ``t``."""

    def __init__(self, transform: Transform) -> None:
        super().__init__(cache_size=transform._cache_size)
        self._inv = transform

    @property
    def _base(self) -> Transform:
        assert self._inv is not None
        return self._inv

    @property
    def domain(self) -> constraints.Constraint:
        return self._base.codomain

    @property
    def codomain(self) -> constraints.Constraint:
        return self._base.domain

    @property
    def bijective(self) -> bool:
        return self._base.bijective

    @property
    def sign(self) -> Any:
        return self._base.sign

    @property
    def inv(self) -> Transform:
        return self._base

    def with_cache(self, cache_size: int = 1) -> Transform:
        return self._base.with_cache(cache_size).inv

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _InverseTransform) and self._base == other._base

    __hash__ = object.__hash__

    def __call__(self, x: Any) -> np.ndarray:
        return self._base._inv_call(x)

    def _inv_call(self, y: Any) -> np.ndarray:
        return self._base(y)

    def forward_vjp(self, x: Any) -> tuple[np.ndarray, Callable[[Any], np.ndarray]]:
        return self._base.inv_vjp(x)

    def inv_vjp(self, y: Any) -> tuple[np.ndarray, Callable[[Any], np.ndarray]]:
        return self._base.forward_vjp(y)

    def _call(self, x: Any) -> Any:
        return self._base._inverse(x)

    def _inverse(self, y: Any) -> Any:
        return self._base._call(y)

    def _log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return -self._base._log_abs_det_jacobian(y, x)

    def forward_shape(self, shape: Sequence[int]) -> Shape:
        return self._base.inverse_shape(shape)

    def inverse_shape(self, shape: Sequence[int]) -> Shape:
        return self._base.forward_shape(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._base!r})"


class ComposeTransform(Transform):
    """``parts[-1] o ... o parts[0]``; ``ComposeTransform([])`` is the identity.

    Examples
    --------
    >>> import numpy as np
    >>> from numdist.transforms import ComposeTransform, ExpTransform, AffineTransform
    >>> t = ComposeTransform([ExpTransform(), AffineTransform(1.0, 2.0)])
    >>> t(np.array(0.0)).item(), t.inv(np.array(3.0)).item()
    (3.0, 0.0)
    """

    def __init__(self, parts: Sequence[Transform], cache_size: int = 0) -> None:
        parts = list(parts)
        if not all(isinstance(p, Transform) for p in parts):
            raise TypeError("ComposeTransform expects a list of Transforms")
        if cache_size:
            parts = [p.with_cache(cache_size) for p in parts]
        super().__init__(cache_size=cache_size)
        self.parts = parts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ComposeTransform) and self.parts == other.parts

    __hash__ = object.__hash__

    @property
    def domain(self) -> constraints.Constraint:
        if not self.parts:
            return constraints.real
        domain = self.parts[0].domain
        event_dim = self.parts[-1].codomain.event_dim
        for part in reversed(self.parts):
            event_dim += part.domain.event_dim - part.codomain.event_dim
            event_dim = max(event_dim, part.domain.event_dim)
        if event_dim > domain.event_dim:
            domain = constraints.independent(domain, event_dim - domain.event_dim)
        return domain

    @property
    def codomain(self) -> constraints.Constraint:
        if not self.parts:
            return constraints.real
        codomain = self.parts[-1].codomain
        event_dim = self.parts[0].domain.event_dim
        for part in self.parts:
            event_dim += part.codomain.event_dim - part.domain.event_dim
            event_dim = max(event_dim, part.codomain.event_dim)
        if event_dim > codomain.event_dim:
            codomain = constraints.independent(codomain, event_dim - codomain.event_dim)
        return codomain

    @property
    def bijective(self) -> bool:
        return all(p.bijective for p in self.parts)

    @property
    def sign(self) -> Any:
        sign: Any = 1
        for p in self.parts:
            sign = sign * p.sign
        return sign

    @property
    def inv(self) -> Transform:
        inv = self._inv
        if inv is None:
            inv = ComposeTransform([p.inv for p in reversed(self.parts)])
            self._inv = inv
            inv._inv = self
        return inv

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return ComposeTransform(self.parts, cache_size=cache_size)

    def __call__(self, x: Any) -> np.ndarray:
        for part in self.parts:
            x = part(x)
        return np.asarray(x)

    def _inv_call(self, y: Any) -> np.ndarray:
        for part in reversed(self.parts):
            y = part.inv(y)
        return np.asarray(y)

    def _call(self, x: Any) -> Any:
        for part in self.parts:
            x = part._call(x)
        return x

    def _inverse(self, y: Any) -> Any:
        for part in reversed(self.parts):
            y = part._inverse(y)
        return y

    def _log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        if not self.parts:
            return _v.value_of(x) * 0.0  # constant zeros: no gradient
        xs = [x]
        for part in self.parts[:-1]:
            xs.append(part._call(xs[-1]))
        xs.append(y)
        total: Any = 0.0
        event_dim = self.domain.event_dim
        for part, a, b in zip(self.parts, xs[:-1], xs[1:]):
            total = total + _sum_rightmost(part._log_abs_det_jacobian(a, b), event_dim - part.domain.event_dim)
            event_dim += part.codomain.event_dim - part.domain.event_dim
        return total

    def forward_shape(self, shape: Sequence[int]) -> Shape:
        for part in self.parts:
            shape = part.forward_shape(shape)
        return tuple(shape)

    def inverse_shape(self, shape: Sequence[int]) -> Shape:
        for part in reversed(self.parts):
            shape = part.inverse_shape(shape)
        return tuple(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}([{', '.join(repr(p) for p in self.parts)}])"


identity_transform = ComposeTransform([])


class IndependentTransform(Transform):
    """``base_transform`` with ``reinterpreted_batch_ndims`` more rightmost dims treated
    as event dims (summed in ``log_abs_det_jacobian``)."""

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int, cache_size: int = 0) -> None:
        super().__init__(cache_size=cache_size)
        self.base_transform = base_transform.with_cache(cache_size)
        self.reinterpreted_batch_ndims = int(reinterpreted_batch_ndims)

    def with_cache(self, cache_size: int = 1) -> Transform:
        if self._cache_size == cache_size:
            return self
        return IndependentTransform(self.base_transform, self.reinterpreted_batch_ndims, cache_size=cache_size)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, IndependentTransform) and self.base_transform == other.base_transform
                and self.reinterpreted_batch_ndims == other.reinterpreted_batch_ndims)

    __hash__ = object.__hash__

    @property
    def domain(self) -> constraints.Constraint:
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self) -> constraints.Constraint:
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def bijective(self) -> bool:
        return self.base_transform.bijective

    @property
    def sign(self) -> Any:
        return self.base_transform.sign

    def _call(self, x: Any) -> Any:
        if np.ndim(_v.value_of(x)) < self.domain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform._call(x)

    def _inverse(self, y: Any) -> Any:
        if np.ndim(_v.value_of(y)) < self.codomain.event_dim:
            raise ValueError("Too few dimensions on input")
        return self.base_transform._inverse(y)

    def _log_abs_det_jacobian(self, x: Any, y: Any) -> Any:
        return _sum_rightmost(self.base_transform._log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)

    def forward_shape(self, shape: Sequence[int]) -> Shape:
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape: Sequence[int]) -> Shape:
        return self.base_transform.inverse_shape(shape)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_transform!r}, {self.reinterpreted_batch_ndims})"
