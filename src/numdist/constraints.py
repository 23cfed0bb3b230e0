"""Constraints on parameters and supports, as in ``torch.distributions.constraints``,
and the one validation path.

Each constraint's ``check(value)`` returns a boolean array over the batch (event
dims reduced), so validation can name the first offending batch index, and
``explain(element)`` says why one batch element (event-shaped) fails, in words
("is negative", "is NaN", "is not symmetric: ..."). :func:`validate` puts the
two together and raises :class:`numdist.errors.ParameterError`; the base class
calls it for every parameter a family was given, and the functional samplers
call it directly::

    constraints.validate("scale", scale, constraints.nonnegative_finite, where="random.normal")

Tolerances (symmetry, simplex sums) are defined here only.
"""
from __future__ import annotations

from typing import Any, Callable, TypeAlias

import numpy as np
import numpy.typing as npt

from numdist.errors import ParameterError, format_value, parameter_error
from numdist.utils import first_bad_index, unbroadcast_view

__all__ = [
    "Constraint", "real", "finite", "positive", "positive_finite", "nonnegative", "nonnegative_finite",
    "unit_interval", "open_unit_interval", "left_open_unit_interval", "simplex", "real_vector", "independent", "integer_interval",
    "greater_than", "greater_than_eq", "less_than", "interval", "half_open_interval", "open_interval", "left_open_interval",
    "boolean", "dependent", "dependent_property", "is_dependent", "lower_cholesky", "positive_definite",
    "one_hot", "nonnegative_integer", "positive_integer", "unnormalized_simplex", "logits_vector",
    "validate", "explain_failure", "SYMMETRY_RTOL", "SYMMETRY_ATOL", "SIMPLEX_ATOL",
]

# What ``check`` returns: booleans over the batch (a NumPy bool for a 0-d batch).
_Check: TypeAlias = "npt.NDArray[np.bool_] | np.bool_"

# torch's symmetry test for positive_definite: isclose(A, A^T) with its default tolerances
SYMMETRY_RTOL, SYMMETRY_ATOL = 1e-5, 1e-6
# |sum - 1| allowed for a point of the simplex
SIMPLEX_ATOL = 1e-6


def _fmt(v: Any) -> str:
    """A bound or an entry, short: 0, 1.5, -0.1, inf."""
    if np.ndim(v) == 0 and np.asarray(v).dtype.kind in "biuf":
        return f"{float(v):.6g}"
    return format_value(v)


def _scalar_reason(v: Any) -> str | None:
    """'is NaN' / 'is infinite' for a non-finite scalar, else None."""
    if np.isnan(v):
        return "is NaN"
    if np.isinf(v):
        return "is infinite"
    return None


def _nonfinite_entry(value: np.ndarray, what: str = "entry") -> str | None:
    """'contains NaN (entry (i, j))' / 'contains inf (component k)' for the first
    non-finite entry of an event-shaped element, else None."""
    bad = ~np.isfinite(value)
    if not bad.any():
        return None
    idx = first_bad_index(~bad)
    kind = "NaN" if np.isnan(value[idx]) else "inf"
    where = idx[0] if len(idx) == 1 else idx
    return f"contains {kind} ({what} {where})"


class Constraint:
    """A region of a space; ``event_dim`` is how many rightmost dims make one element."""

    is_discrete = False
    event_dim = 0

    def check(self, value: np.ndarray) -> _Check:
        raise NotImplementedError

    def explain(self, value: np.ndarray) -> str:
        """Why ``value`` (one batch element, event-shaped) fails ``check``: a phrase
        that follows "<parameter> at batch index (i,)", e.g. "is negative"."""
        v = np.asarray(value)
        if v.ndim == 0:
            r = _scalar_reason(v) if v.dtype.kind == "f" else None
            return r or f"is not in {self!r}"
        return _nonfinite_entry(v) or f"is not in {self!r}"

    def first_invalid(self, value: np.ndarray) -> tuple[int, ...] | None:
        """Batch index of the first element (C order) that fails ``check``, or None.
        Constraints with a faster test than a full ``check`` override this."""
        ok = np.asarray(self.check(value))
        if ok.all():
            return None
        return first_bad_index(ok)

    def __repr__(self) -> str:
        return type(self).__name__.lstrip("_") + "()"


class _Real(Constraint):
    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = ~np.isnan(value)
        return ok

    def first_invalid(self, value: np.ndarray) -> tuple[int, ...] | None:
        # one summing pass with no temporary (a sample-sized isnan mask costs several
        # times more): the sum is NaN when an element is, or when infinities of both
        # signs meet (then the full check decides); integers hold no NaN
        v = np.asarray(value)
        if v.dtype.kind in "biu":
            return None
        with np.errstate(invalid="ignore", over="ignore"):
            if not np.isnan(np.add.reduce(v, axis=None)):
                return None
        return super().first_invalid(v)


class _Finite(Constraint):
    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = np.isfinite(value)
        return ok


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = (value == 0) | (value == 1)
        return ok

    def explain(self, value: np.ndarray) -> str:
        return "is not 0 or 1"


class _GreaterThan(Constraint):
    def __init__(self, lower_bound: Any) -> None:
        self.lower_bound = lower_bound

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = value > self.lower_bound
        return ok

    def explain(self, value: np.ndarray) -> str:
        r = _scalar_reason(value) if np.ndim(value) == 0 else None
        if r is not None and not (np.isinf(value) and self.check(np.asarray(value))):
            return r
        if np.ndim(self.lower_bound) == 0 and float(self.lower_bound) == 0.0:
            return "is negative" if value < 0 else "is zero (must be positive)"
        return f"is not greater than {_fmt(self.lower_bound)}" if np.ndim(self.lower_bound) == 0 else \
            "is not greater than its lower bound"

    def __repr__(self) -> str:
        return f"GreaterThan(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = value >= self.lower_bound
        return ok

    def explain(self, value: np.ndarray) -> str:
        r = _scalar_reason(value) if np.ndim(value) == 0 else None
        if r is not None and not np.isinf(value):
            return r
        if np.ndim(self.lower_bound) == 0 and float(self.lower_bound) == 0.0:
            return "is negative"
        return f"is less than {_fmt(self.lower_bound)}" if np.ndim(self.lower_bound) == 0 else \
            "is less than its lower bound"

    def __repr__(self) -> str:
        return f"GreaterThanEq(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    def __init__(self, upper_bound: Any) -> None:
        self.upper_bound = upper_bound

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = value < self.upper_bound
        return ok

    def explain(self, value: np.ndarray) -> str:
        r = _scalar_reason(value) if np.ndim(value) == 0 else None
        if r is not None and np.isnan(value):
            return r
        return f"is not less than {_fmt(self.upper_bound)}" if np.ndim(self.upper_bound) == 0 else \
            "is not less than its upper bound"

    def __repr__(self) -> str:
        return f"LessThan(upper_bound={self.upper_bound})"


class _PositiveFinite(_GreaterThan):
    """``0 < value < inf``: torch's ``positive`` without ``+inf`` (numdist refuses
    infinite scales, docs/architecture.md)."""

    def __init__(self) -> None:
        super().__init__(0.0)

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = (value > 0) & np.isfinite(value)
        return ok

    def explain(self, value: np.ndarray) -> str:
        return _scalar_reason(value) or super().explain(value)

    def __repr__(self) -> str:
        return "PositiveFinite()"


class _NonnegativeFinite(_GreaterThanEq):
    """``0 <= value < inf`` (a functional sampler's scale: zero allowed, as in NumPy)."""

    def __init__(self) -> None:
        super().__init__(0.0)

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = (value >= 0) & np.isfinite(value)
        return ok

    def explain(self, value: np.ndarray) -> str:
        return _scalar_reason(value) or "is negative"

    def __repr__(self) -> str:
        return "NonnegativeFinite()"


class _Interval(Constraint):
    """``lower_bound <= value <= upper_bound``; the bounds may be arrays broadcasting
    with the value (e.g. ``Uniform``'s support, one interval per batch element)."""

    _closed = (True, True)

    def __init__(self, lower_bound: Any, upper_bound: Any) -> None:
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value: np.ndarray) -> _Check:
        lo_ok = value >= self.lower_bound if self._closed[0] else value > self.lower_bound
        hi_ok = value <= self.upper_bound if self._closed[1] else value < self.upper_bound
        ok: _Check = lo_ok & hi_ok
        return ok

    def explain(self, value: np.ndarray) -> str:
        if np.ndim(value) == 0 and np.isnan(value):
            return "is NaN"
        if np.ndim(self.lower_bound) == 0 and np.ndim(self.upper_bound) == 0:
            lo = "[" if self._closed[0] else "("
            hi = "]" if self._closed[1] else ")"
            return f"is outside {lo}{_fmt(self.lower_bound)}, {_fmt(self.upper_bound)}{hi}"
        return f"is outside {self!r}"

    def __repr__(self) -> str:
        name = {(True, True): "Interval", (True, False): "HalfOpenInterval",
                (False, False): "OpenInterval", (False, True): "LeftOpenInterval"}.get(self._closed, "Interval")
        return f"{name}(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _HalfOpenInterval(_Interval):
    _closed = (True, False)


class _OpenInterval(_Interval):
    _closed = (False, False)


class _LeftOpenInterval(_Interval):
    """``(lower, upper]``: e.g. a success probability that must be positive."""

    _closed = (False, True)


class _IntegerInterval(_Interval):
    is_discrete = True

    def check(self, value: np.ndarray) -> _Check:
        with np.errstate(invalid="ignore"):  # inf % 1 is NaN: not an integer
            ok: _Check = (value % 1 == 0) & super().check(value)
        return ok

    def explain(self, value: np.ndarray) -> str:
        if np.ndim(value) == 0 and np.isfinite(value) and value % 1 != 0:
            return "is not an integer"
        return super().explain(value)

    def __repr__(self) -> str:
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound: int) -> None:
        self.lower_bound = lower_bound

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = (value % 1 == 0) & (value >= self.lower_bound)
        return ok

    def explain(self, value: np.ndarray) -> str:
        r = _scalar_reason(value) if np.ndim(value) == 0 else None
        if r is not None:
            return r
        if value % 1 != 0:
            return "is not an integer"
        return "is negative" if self.lower_bound == 0 else f"is less than {self.lower_bound}"

    def __repr__(self) -> str:
        return "NonnegativeInteger()" if self.lower_bound == 0 else (
            "PositiveInteger()" if self.lower_bound == 1 else f"IntegerGreaterThanEq(lower_bound={self.lower_bound})")


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
            ok = np.asarray(ok)
            ok = ok.reshape(ok.shape[: ok.ndim - n] + (-1,)).all(-1)
        return ok

    def explain(self, value: np.ndarray) -> str:
        v = np.asarray(value)
        n = self.reinterpreted_batch_ndims
        if n == 0:
            return self.base_constraint.explain(v)
        ok = np.asarray(self.base_constraint.check(v))
        idx = first_bad_index(ok)
        inner = self.base_constraint.explain(v[idx])
        if inner.startswith("is NaN") or inner.startswith("is infinite"):
            kind = "NaN" if inner.startswith("is NaN") else "inf"
            return f"contains {kind} (component {idx[0] if n == 1 else idx})"
        return f"component {idx[0] if n == 1 else idx} {inner}"

    def __repr__(self) -> str:
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


def _bad_weight_entry(v: np.ndarray) -> str | None:
    """The reason a row of category weights is refused for one of its entries (NaN,
    infinite, negative), or None."""
    r = _nonfinite_entry(v, "category")
    if r is not None:
        return r
    neg = np.flatnonzero(v < 0)
    if neg.size:
        return f"has a negative entry (category {neg[0]}: {_fmt(v[neg[0]])})"
    return None


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = np.all(value >= 0, axis=-1) & (np.abs(value.sum(-1) - 1) < SIMPLEX_ATOL)
        return ok

    def explain(self, value: np.ndarray) -> str:
        v = np.asarray(value)
        return _bad_weight_entry(v) or f"does not sum to 1 (sum {_fmt(v.sum())})"


class _UnnormalizedSimplex(Constraint):
    """Rows of non-negative finite weights summing to a positive number: ``probs`` as
    passed, before ``probs / probs.sum(-1)`` (Categorical, AliasTable, ``random.categorical``)."""

    event_dim = 1

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = np.all(np.isfinite(value) & (value >= 0), axis=-1) & (value.sum(-1) > 0)
        return ok

    def first_invalid(self, value: np.ndarray) -> tuple[int, ...] | None:
        value = np.asarray(value)
        if value.dtype == np.float64 and value.ndim >= 1 and value.shape[-1] > 0 and value.size:
            # one pass in C over float64 rows (the categorical kernels' own row check)
            from numdist import _categorical
            from numdist._layout import param_layout

            try:
                _categorical.check_rows(param_layout(value, value.shape[:-1], 1))
                return None
            except _categorical.BadRowError:
                return super().first_invalid(value)  # the row, by the definition above
        if np.isfinite(value).all() and (value >= 0).all() and (value.shape[-1] == 0 or value.max(-1).min() > 0):
            return None  # fast path: a per-row reduction only on failure
        return super().first_invalid(value)

    def explain(self, value: np.ndarray) -> str:
        v = np.asarray(value)
        r = _bad_weight_entry(v)
        if r is not None:
            return r
        if not np.any(v > 0):
            return "sums to zero (rows must sum to a positive number)"
        return "cannot be normalised"

    def __repr__(self) -> str:
        return "UnnormalizedSimplex()"


class _LogitsVector(Constraint):
    """Unnormalised log-probabilities: no NaN, no +inf, not all -inf in a row."""

    event_dim = 1

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = np.all(~np.isnan(value) & (value != np.inf), axis=-1) & np.any(value != -np.inf, axis=-1)
        return ok

    def first_invalid(self, value: np.ndarray) -> tuple[int, ...] | None:
        if np.isfinite(value).all():
            return None
        return super().first_invalid(value)

    def explain(self, value: np.ndarray) -> str:
        v = np.asarray(value)
        nan = np.flatnonzero(np.isnan(v))
        if nan.size:
            return f"contains NaN (category {nan[0]})"
        pinf = np.flatnonzero(v == np.inf)
        if pinf.size:
            return f"contains +inf (category {pinf[0]})"
        if v.size and np.all(v == -np.inf):
            return "are all -inf (no category has probability)"
        return "cannot be normalised"

    def __repr__(self) -> str:
        return "LogitsVector()"


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value: np.ndarray) -> _Check:
        ok: _Check = np.all((value == 0) | (value == 1), axis=-1) & (value.sum(-1) == 1)
        return ok

    def explain(self, value: np.ndarray) -> str:
        return "is not a one-hot vector"


class _LowerCholesky(Constraint):
    """Lower triangular with a positive diagonal, and finite (numdist refuses NaN and inf)."""

    event_dim = 2

    def check(self, value: np.ndarray) -> _Check:
        finite = np.all(np.isfinite(value), axis=(-2, -1))
        lower = np.all(np.triu(value, 1) == 0, axis=(-2, -1))
        diag = np.all(np.diagonal(value, axis1=-2, axis2=-1) > 0, axis=-1)
        ok: _Check = finite & lower & diag
        return ok

    def first_invalid(self, value: np.ndarray) -> tuple[int, ...] | None:
        if value.shape[-1] == 0:
            return None
        iu = np.triu_indices(value.shape[-1], 1)
        if (np.isfinite(value).all() and not value[..., iu[0], iu[1]].any()
                and (np.diagonal(value, axis1=-2, axis2=-1) > 0).all()):
            return None  # fast path; the per-matrix reductions only on failure
        return super().first_invalid(value)

    def explain(self, value: np.ndarray) -> str:
        m = np.asarray(value)
        r = _nonfinite_entry(m)
        if r is not None:
            return r
        upper = np.triu(m, 1) != 0
        if upper.any():
            i, j = first_bad_index(~upper)
            return f"is not lower triangular (entry ({i}, {j}) = {_fmt(m[i, j])})"
        dg = np.diagonal(m)
        i = int(np.argmin(dg > 0))
        return f"has a non-positive diagonal entry (entry ({i}, {i}) = {_fmt(dg[i])}): diagonal must be positive"


class _PositiveDefinite(Constraint):
    """Symmetric (torch's test, ``isclose(A, A.T, SYMMETRY_RTOL, SYMMETRY_ATOL)``) and finite;
    the factorisation itself reports a matrix that is not positive definite, with the
    column (``numdist.errors.ParameterError`` from the kernels)."""

    event_dim = 2

    def check(self, value: np.ndarray) -> _Check:
        sym = np.all(np.isclose(value, np.swapaxes(value, -1, -2), rtol=SYMMETRY_RTOL, atol=SYMMETRY_ATOL),
                     axis=(-2, -1))
        ok: _Check = sym & np.all(np.isfinite(value), axis=(-2, -1))
        return ok

    def first_invalid(self, value: np.ndarray) -> tuple[int, ...] | None:
        """The batched C check of symmetry and finiteness (one pass; NaN and inf fail),
        per matrix only on failure."""
        from numdist import _mvn
        from numdist._layout import param_layout

        value = np.asarray(value)
        batch = value.shape[:-2]
        if value.size == 0:
            return None
        if value.dtype in (np.dtype(np.float32), np.dtype(np.float64)):
            if _mvn.symmetric_check(param_layout(value, batch, 2), SYMMETRY_RTOL, SYMMETRY_ATOL, True) is None:
                return None
        return super().first_invalid(value)

    def explain(self, value: np.ndarray) -> str:
        m = np.asarray(value, dtype=np.float64)
        r = _nonfinite_entry(m)
        if r is not None:
            return r
        close = np.isclose(m, m.T, rtol=SYMMETRY_RTOL, atol=SYMMETRY_ATOL)
        low = np.tril(~close, -1)
        if low.any():
            r_, c_ = first_bad_index(~low)
            return (f"is not symmetric: entry ({r_}, {c_}) = {_fmt(m[r_, c_])} but entry ({c_}, {r_}) = "
                    f"{_fmt(m[c_, r_])}")
        return "is not positive definite"


class _Dependent(Constraint):
    """Placeholder for a constraint that depends on other parameters (torch's
    ``constraints.dependent``): it cannot be checked on its own."""

    def __init__(self, *, is_discrete: bool = False, event_dim: int = 0) -> None:
        self.is_discrete = is_discrete
        self.event_dim = event_dim

    def __call__(self, *, is_discrete: bool | None = None, event_dim: int | None = None) -> "_Dependent":
        return _Dependent(is_discrete=self.is_discrete if is_discrete is None else is_discrete,
                          event_dim=self.event_dim if event_dim is None else event_dim)

    def check(self, value: np.ndarray) -> _Check:
        raise ValueError("Cannot determine validity of dependent constraint")


class dependent_property(property, _Dependent):
    """A property that is also a dependent constraint (torch's ``dependent_property``):
    a family's ``support`` computed from its parameters, e.g.
    ``interval(self.low, self.high)`` for ``Uniform``::

        @constraints.dependent_property(is_discrete=False, event_dim=0)
        def support(self):
            return constraints.interval(self.low, self.high)
    """

    def __init__(self, fn: Callable[[Any], Any] | None = None, *, is_discrete: bool = False,
                 event_dim: int = 0) -> None:
        property.__init__(self, fn)
        _Dependent.__init__(self, is_discrete=is_discrete, event_dim=event_dim)

    def __call__(self, fn: Callable[[Any], Any]) -> "dependent_property":  # type: ignore[override]
        return dependent_property(fn, is_discrete=self.is_discrete, event_dim=self.event_dim)


def is_dependent(constraint: Any) -> bool:
    """True for ``dependent`` and ``dependent_property`` constraints (not checkable alone)."""
    return isinstance(constraint, _Dependent)


real = _Real()
finite = _Finite()
boolean = _Boolean()
positive = _GreaterThan(0.0)
positive_finite = _PositiveFinite()
nonnegative = _GreaterThanEq(0.0)
nonnegative_finite = _NonnegativeFinite()
unit_interval = _Interval(0.0, 1.0)
open_unit_interval = _OpenInterval(0.0, 1.0)
left_open_unit_interval = _LeftOpenInterval(0.0, 1.0)
simplex = _Simplex()
unnormalized_simplex = _UnnormalizedSimplex()
logits_vector = _LogitsVector()
real_vector = _Independent(finite, 1)
one_hot = _OneHot()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
dependent = _Dependent()
independent = _Independent
integer_interval = _IntegerInterval
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
interval = _Interval
half_open_interval = _HalfOpenInterval
open_interval = _OpenInterval
left_open_interval = _LeftOpenInterval


# -- the one validation path ---------------------------------------------------------------
def _compact_batch(value: np.ndarray, event_dim: int) -> np.ndarray:
    """``value`` with its broadcast (zero-stride) batch dims cut to size 1: the same
    first offending index in C order, without checking a broadcast element twice."""
    return unbroadcast_view(value, value.ndim - event_dim)


def explain_failure(name: str, value: Any, constraint: Constraint, index: tuple[int, ...], where: str,
                    reason: str | None = None) -> ParameterError:
    """The :class:`~numdist.errors.ParameterError` for ``value[index]`` (a batch index)
    violating ``constraint``; the reason is ``constraint.explain`` of that element
    unless given (kernel-side failures give their own, e.g. the Cholesky column)."""
    arr = np.asarray(value)
    index = tuple(int(i) for i in index)
    if reason is None:
        reason = constraint.explain(arr[index])
    return parameter_error(name, arr, constraint, index, reason, where)


def validate(name: str, value: Any, constraint: Constraint, *, where: str) -> None:
    """Raise :class:`~numdist.errors.ParameterError` (a ``ValueError``) naming ``name``,
    the first offending batch index, the reason and the value, unless every element of
    ``value`` (batch dims first, ``constraint.event_dim`` event dims last) satisfies
    ``constraint``. ``where`` names the owner in the message: ``"distribution Normal"``,
    ``"random.normal"``.

    Examples
    --------
    >>> import numpy as np
    >>> from numdist import constraints
    >>> constraints.validate("scale", np.array([1.0, -1.0]), constraints.nonnegative_finite, where="random.normal")
    Traceback (most recent call last):
    ...
    numdist.errors.ParameterError: Expected parameter scale (ndarray of shape (2,)) of random.normal to satisfy the constraint NonnegativeFinite(), but scale at batch index (1,) is negative: -1.0
    """
    arr = np.asarray(value)
    if is_dependent(constraint):
        return
    compact = _compact_batch(arr, constraint.event_dim)
    if compact.size == 0:
        return
    with np.errstate(invalid="ignore", over="ignore"):
        index = constraint.first_invalid(compact)
    if index is None:
        return
    index = tuple(int(i) for i in index)
    with np.errstate(invalid="ignore", over="ignore"):
        reason = constraint.explain(compact[index])
    raise parameter_error(name, compact, constraint, index, reason, where, shape=arr.shape)
