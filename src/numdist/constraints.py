"""Constraints on parameters and supports, as in ``torch.distributions.constraints``.

Each constraint's ``check(value)`` returns a boolean array over the batch (event
dims reduced), so validation can name the first offending batch index.
"""
from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = [
    "Constraint", "real", "positive", "positive_finite", "nonnegative", "unit_interval", "simplex",
    "real_vector", "independent", "integer_interval", "greater_than",
    "lower_cholesky", "positive_definite", "one_hot", "nonnegative_integer",
]

# What ``check`` returns: booleans over the batch (a NumPy bool for a 0-d batch).
_Check: TypeAlias = "npt.NDArray[np.bool_] | np.bool_"


class Constraint:
    """A region of a space; ``event_dim`` is how many rightmost dims make one element."""

    is_discrete = False
    event_dim = 0

    def check(self, value: np.ndarray) -> _Check:
        raise NotImplementedError

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Real(Constraint):
    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = ~np.isnan(value)
        return ok


class _Finite(Constraint):
    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = np.isfinite(value)
        return ok


class _GreaterThan(Constraint):
    def __init__(self, lower_bound: float) -> None:
        self.lower_bound = lower_bound

    def check(self, value: np.ndarray) -> _Check:
        return value > self.lower_bound

    def __repr__(self) -> str:
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    def check(self, value: np.ndarray) -> _Check:
        return value >= self.lower_bound

    def __repr__(self) -> str:
        return f"GreaterThanEq(lower_bound={self.lower_bound})"


class _PositiveFinite(_GreaterThan):
    """``0 < value < inf``: torch's ``positive`` without ``+inf`` (numdist refuses
    infinite scales, docs/architecture.md)."""

    def __init__(self) -> None:
        super().__init__(0.0)

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = (value > 0) & np.isfinite(value)
        return ok

    def __repr__(self) -> str:
        return "PositiveFinite()"


class _Interval(Constraint):
    def __init__(self, lower_bound: float, upper_bound: float) -> None:
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value: np.ndarray) -> _Check:
        return (value >= self.lower_bound) & (value <= self.upper_bound)

    def __repr__(self) -> str:
        return f"Interval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerInterval(_Interval):
    is_discrete = True

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = (value % 1 == 0) & super().check(value)
        return ok

    def __repr__(self) -> str:
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _NonnegativeInteger(Constraint):
    is_discrete = True

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = (value % 1 == 0) & (value >= 0)
        return ok


class _Independent(Constraint):
    """Reinterprets ``reinterpreted_batch_ndims`` batch dims of a constraint as event dims."""

    def __init__(self, base: Constraint, reinterpreted_batch_ndims: int) -> None:
        self.base_constraint = base
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        self.event_dim = base.event_dim + reinterpreted_batch_ndims
        self.is_discrete = base.is_discrete

    def check(self, value: np.ndarray) -> _Check:
        ok = self.base_constraint.check(value)
        n = self.reinterpreted_batch_ndims
        if n:
            ok = ok.reshape(ok.shape[: ok.ndim - n] + (-1,)).all(-1)
        return ok

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = np.all(value >= 0, axis=-1) & (np.abs(value.sum(-1) - 1) < 1e-6)
        return ok


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = np.all((value == 0) | (value == 1), axis=-1) & (value.sum(-1) == 1)
        return ok


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value: np.ndarray) -> _Check:
        lower = np.all(np.triu(value, 1) == 0, axis=(-2, -1))
        diag = np.all(np.diagonal(value, axis1=-2, axis2=-1) > 0, axis=-1)
        ok: _Check = lower & diag
        return ok


class _PositiveDefinite(Constraint):
    """Symmetric and positive definite; the factorisation itself reports failures
    with the column, so ``check`` tests symmetry and finiteness only."""

    event_dim = 2

    def check(self, value: np.ndarray) -> _Check:
        sym = np.all(np.isclose(value, np.swapaxes(value, -1, -2), rtol=1e-6, atol=1e-8), axis=(-2, -1))
        ok: _Check = sym & np.all(np.isfinite(value), axis=(-2, -1))
        return ok


real = _Real()
finite = _Finite()
positive = _GreaterThan(0.0)
positive_finite = _PositiveFinite()
nonnegative = _GreaterThanEq(0.0)
unit_interval = _Interval(0.0, 1.0)
simplex = _Simplex()
real_vector = _Independent(finite, 1)
one_hot = _OneHot()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
nonnegative_integer = _NonnegativeInteger()
independent = _Independent
integer_interval = _IntegerInterval
greater_than = _GreaterThan
