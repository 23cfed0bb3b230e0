"""The base class every family derives from: shapes, validation, sampling API.

Semantics follow ``torch.distributions.Distribution``: a distribution has a
``batch_shape`` (independent, not identically distributed members) and an
``event_shape`` (the shape of one draw); ``sample(sample_shape)`` returns
``sample_shape + batch_shape + event_shape``. Gradients are explicit
vector-Jacobian products (``*_vjp``) because NumPy has no autograd.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

import numpy as np
import numpy.typing as npt

from numdist import constraints
from numdist.utils import as_shape, first_bad_index, lazy_property

__all__ = ["Distribution", "set_default_validate_args"]

Shape = tuple[int, ...]
VJP = Callable[[Any], dict[str, np.ndarray]]

_D = TypeVar("_D", bound="Distribution")


class Distribution:
    """Abstract base class for probability distributions.

    Subclasses set ``arg_constraints``, ``support`` and ``has_rsample`` and
    implement sampling and densities; the base class owns shapes
    (``batch_shape``, ``event_shape``, ``_extended_shape``) and validation.

    Examples
    --------
    >>> import numdist as nd
    >>> d = nd.Normal(np.zeros((2, 3)), 1.0)
    >>> isinstance(d, nd.Distribution), d.batch_shape, d.event_shape
    (True, (2, 3), ())
    >>> d._extended_shape((5,))
    (5, 2, 3)
    """

    has_rsample = False
    has_enumerate_support = False
    arg_constraints: dict[str, constraints.Constraint] = {}
    support: constraints.Constraint | None = None
    _validate_default = True

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn value checks on (default, as in torch) or off for new instances.

        Examples
        --------
        >>> import numdist as nd
        >>> nd.set_default_validate_args(False)
        >>> d = nd.Normal(0.0, -1.0)  # no error: checks are off
        >>> nd.set_default_validate_args(True)
        """
        if value not in (True, False):
            raise ValueError("set_default_validate_args expects True or False")
        Distribution._validate_default = bool(value)

    def __init__(self, batch_shape: Shape = (), event_shape: Shape = (), validate_args: bool | None = None) -> None:
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        self._validate_args = self._validate_default if validate_args is None else bool(validate_args)
        if self._validate_args:
            for param, constraint in self.arg_constraints.items():
                if param not in self.__dict__ and isinstance(getattr(type(self), param, None), (property, lazy_property)):
                    continue  # a lazily computed counterpart: not given, nothing to check
                value = getattr(self, param)
                if value is None:
                    continue
                self._check_constraint(param, value, constraint)

    # -- shapes ---------------------------------------------------------------
    @property
    def batch_shape(self) -> Shape:
        return self._batch_shape

    @property
    def event_shape(self) -> Shape:
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> Shape:
        return as_shape(sample_shape) + self._batch_shape + self._event_shape

    def expand(self, batch_shape: Any, _instance: Any = None) -> "Distribution":
        """A view of this distribution with a larger ``batch_shape`` (no copies)."""
        raise NotImplementedError

    def _expand_shape(self, batch_shape: Any) -> Shape:
        shape = as_shape(batch_shape, "batch_shape")
        try:
            np.broadcast_shapes(self._batch_shape, shape)
        except ValueError:
            raise ValueError(f"cannot expand batch_shape {self._batch_shape} to {shape}") from None
        if np.broadcast_shapes(self._batch_shape, shape) != shape:
            raise ValueError(f"cannot expand batch_shape {self._batch_shape} to {shape}")
        return shape

    def _get_checked_instance(self: _D, cls: type[Distribution], _instance: _D | None = None) -> _D:
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {type(self).__name__} of {cls.__name__} that defines a custom __init__ "
                "must also define a custom .expand()")
        return self.__new__(type(self)) if _instance is None else _instance

    # -- moments ----------------------------------------------------------------
    @property
    def mean(self) -> np.ndarray:
        raise NotImplementedError

    @property
    def mode(self) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement mode")

    @property
    def variance(self) -> np.ndarray:
        raise NotImplementedError

    @property
    def stddev(self) -> np.ndarray:
        std: np.ndarray = np.sqrt(self.variance)
        return std

    # -- sampling ---------------------------------------------------------------
    def sample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """Draw ``sample_shape + batch_shape + event_shape`` values (no gradient)."""
        if self.has_rsample:
            return self.rsample(sample_shape, rng=rng)
        raise NotImplementedError

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> np.ndarray:
        """Reparameterised sample: same values as ``sample`` for the same rng state."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample")

    def rsample_vjp(self, sample_shape: Any = (), rng: Any = None) -> tuple[np.ndarray, VJP]:
        """``(x, vjp)``: a reparameterised sample and ``vjp(g) -> {param: grad}``."""
        raise NotImplementedError(f"{type(self).__name__} has no rsample")

    # -- densities --------------------------------------------------------------
    def log_prob(self, value: Any) -> np.ndarray:
        raise NotImplementedError

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        raise NotImplementedError

    def cdf(self, value: Any) -> np.ndarray:
        raise NotImplementedError

    def icdf(self, value: Any) -> np.ndarray:
        raise NotImplementedError

    def entropy(self) -> np.ndarray:
        raise NotImplementedError

    def entropy_vjp(self) -> tuple[np.ndarray, VJP]:
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> np.ndarray:
        raise NotImplementedError

    def perplexity(self) -> np.ndarray:
        ppl: np.ndarray = np.exp(self.entropy())
        return ppl

    # -- validation ---------------------------------------------------------------
    def _check_constraint(self, name: str, value: Any, constraint: constraints.Constraint) -> None:
        value = np.asarray(value)
        ok = np.asarray(constraint.check(value))
        if not ok.all():
            index = first_bad_index(ok)
            bad = value[index] if value.ndim >= len(index) else value
            reason = "contains NaN" if np.any(np.isnan(bad)) else (
                "is infinite" if np.any(np.isinf(bad)) else f"violates {constraint!r}")
            shown = np.array2string(np.asarray(bad), precision=6, threshold=16)
            raise ValueError(
                f"Expected parameter {name} (ndarray of shape {value.shape}) of distribution "
                f"{type(self).__name__} to satisfy the constraint {constraint!r}, but the value at "
                f"batch index {index} {reason}: {shown}")

    def _validate_sample(self, value: npt.ArrayLike) -> np.ndarray:
        """Check that ``value`` broadcasts with the batch and lies in the support."""
        value = np.asarray(value)
        if value.dtype.kind not in "biuf":
            raise TypeError(f"value must be a real number or array, got dtype {value.dtype}")
        event_dim = len(self._event_shape)
        if value.shape[value.ndim - event_dim:] != self._event_shape or value.ndim < event_dim:
            raise ValueError(
                f"The right-most size of value must match event_shape: {value.shape} vs {self._event_shape}")
        actual = value.shape[: value.ndim - event_dim]
        try:
            np.broadcast_shapes(actual, self._batch_shape)
        except ValueError:
            raise ValueError(
                f"value with shape {value.shape} is not broadcastable with "
                f"batch_shape + event_shape {self._batch_shape + self._event_shape}") from None
        if self._validate_args and self.support is not None:
            ok = np.asarray(self.support.check(value))
            if not ok.all():
                index = first_bad_index(ok)
                raise ValueError(
                    f"Expected value argument (ndarray of shape {value.shape}) to be within the support "
                    f"({self.support!r}) of the distribution {type(self).__name__}, but found invalid "
                    f"values at index {index}")
        return value

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        parts = []
        for k in names:
            v = np.asarray(self.__dict__[k])
            parts.append(f"{k}: {v}" if v.size == 1 else f"{k}: ndarray{v.shape}")
        return f"{type(self).__name__}({', '.join(parts)})"


set_default_validate_args = Distribution.set_default_validate_args
