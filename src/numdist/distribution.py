"""The base class every family derives from: shapes, validation, sampling API.

Semantics follow ``torch.distributions.Distribution``: a distribution has a
``batch_shape`` (independent, not identically distributed members) and an
``event_shape`` (the shape of one draw); ``sample(sample_shape)`` returns
``sample_shape + batch_shape + event_shape``. Gradients are explicit
vector-Jacobian products (``*_vjp``) because NumPy has no autograd.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from numdist import constraints
from numdist.utils import as_float_params, as_shape, check_size, grad_dtype, lazy_property, sum_to_shape, unbroadcast_view, value_dtype

__all__ = ["Distribution", "set_default_validate_args"]

Shape = tuple[int, ...]
VJP = Callable[[Any], dict[str, np.ndarray]]

_D = TypeVar("_D", bound="Distribution")


class ParamRecord(NamedTuple):
    """What the base class remembers of a parameter a family was given: its shape
    as passed (gradients are summed back to it), the dtype its gradient comes back
    in, and how many of its rightmost dims are event dims (not broadcast)."""

    shape: tuple[int, ...]
    grad_dtype: np.dtype
    event_dim: int = 0


class _Broadcast(NamedTuple):
    """Pickled form of a broadcast view: the compact data and the shape to broadcast to."""

    data: np.ndarray
    shape: tuple[int, ...]


def _compact(arr: np.ndarray) -> _Broadcast | np.ndarray:
    """A broadcast (zero-stride) view as its compact data, so pickles and deep copies
    stay as small as the parameters that were passed; other arrays unchanged."""
    if arr.ndim == 0 or arr.flags.writeable or 0 not in arr.strides or arr.size == 0:
        return arr
    return _Broadcast(np.ascontiguousarray(unbroadcast_view(arr)), arr.shape)


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
            self._validate_params()

    # -- parameters and gradient bookkeeping -------------------------------------
    # ``_params`` maps each parameter the family was given (lazily computed
    # counterparts excluded) to its ParamRecord; filled by _init_params /
    # _record_params, read by _grad, _zero_grad, expand and validation.
    _params: dict[str, ParamRecord] = {}

    def _init_params(self, event_dims: Mapping[str, int] | None = None, **params: Any) -> tuple[np.dtype, Shape]:
        """Convert, record and broadcast the parameters ``params`` (name -> value as passed).

        All are converted to one float dtype (:func:`numdist.utils.as_float_params`:
        NumPy promotion, Python scalars weak, integers -> float64); for each name the
        shape as passed and the gradient dtype (:func:`numdist.utils.grad_dtype`) are
        recorded; their batch parts (all but ``event_dims[name]`` rightmost dims, 0 by
        default) are broadcast together, and ``self.<name>`` is set to the read-only
        view of shape ``batch_shape + own event shape``. Sets ``self.dtype`` and
        returns ``(dtype, batch_shape)``; the caller then calls
        ``super().__init__(batch_shape, event_shape, validate_args=...)``, which
        validates every recorded parameter.

        Examples
        --------
        >>> import numdist as nd
        >>> class Pair(nd.Distribution):
        ...     def __init__(self, a, b, validate_args=None):
        ...         dtype, batch_shape = self._init_params(a=a, b=b)
        ...         super().__init__(batch_shape, validate_args=validate_args)
        >>> d = Pair(np.zeros(3, np.float32), 1.0)
        >>> d.batch_shape, d.dtype, d.b.shape, d._grad("b", np.ones((4, 3))).shape
        ((3,), dtype('float32'), (3,), ())
        """
        dtype, arrays = as_float_params(**params)
        return dtype, self._record_params(params, arrays, dtype, event_dims)

    def _record_params(self, given: Mapping[str, Any], arrays: Mapping[str, np.ndarray], dtype: np.dtype,
                       event_dims: Mapping[str, int] | None = None) -> Shape:
        """The part of :meth:`_init_params` after conversion, for families that convert
        and check shapes themselves (``arrays`` already of ``dtype``; ``given`` the
        values as passed, for the gradient dtypes). Returns ``batch_shape``."""
        event_dims = {} if event_dims is None else dict(event_dims)
        records = dict(self.__dict__.get("_params", {}))
        batches = {}
        for name, arr in arrays.items():
            ed = int(event_dims.get(name, 0))
            if arr.ndim < ed:
                raise ValueError(f"{name} must be at least {ed}-dimensional, got shape {arr.shape}")
            batches[name] = arr.shape[: arr.ndim - ed]
            records[name] = ParamRecord(tuple(arr.shape), grad_dtype(given[name], dtype), ed)
        shapes = set(batches.values())
        try:
            batch_shape: Shape = shapes.pop() if len(shapes) == 1 else tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            parts = [f"{n} with shape {arrays[n].shape}" for n in arrays]
            joined = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
            raise ValueError(f"{joined} do not broadcast together") from None
        for name, arr in arrays.items():
            if batches[name] == batch_shape:
                # what np.broadcast_to returns here (a read-only view of arr), at a sixth
                # of its cost: this runs with cold caches after large kernels (MVN glue)
                view = arr.view()
                view.flags.writeable = False
            else:
                view = np.broadcast_to(arr, batch_shape + arr.shape[len(batches[name]):])
            setattr(self, name, view)
        self._params = records
        self.dtype = np.dtype(dtype)
        return batch_shape

    def _grad(self, name: str, g: npt.ArrayLike) -> np.ndarray:
        """Cotangent-shaped ``g`` summed to the shape of parameter ``name`` as passed
        (broadcast dims summed away) and cast to its gradient dtype."""
        rec = self._params[name]
        return sum_to_shape(g, rec.shape, rec.grad_dtype)

    def _grad_owned(self, name: str, g: np.ndarray) -> np.ndarray:
        """:meth:`_grad` of an array the caller has just computed (no one else holds it):
        returned as it is when it already has the parameter's shape and gradient dtype."""
        rec = self._params[name]
        if isinstance(g, np.ndarray) and g.shape == rec.shape and g.dtype == rec.grad_dtype:
            return g  # (a 0-d result of NumPy arithmetic is a scalar: through _grad, an array)
        return self._grad(name, g)

    def _zero_grad(self, name: str) -> np.ndarray:
        """A zero gradient for parameter ``name`` (its shape as passed, its gradient dtype)."""
        rec = self._params[name]
        return np.zeros(rec.shape, dtype=rec.grad_dtype)

    # -- pickling: broadcast views travel as their compact data --------------------
    def __getstate__(self) -> dict[str, Any]:
        return {k: (_compact(v) if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            if isinstance(v, _Broadcast):
                v = np.broadcast_to(v.data, v.shape)
            self.__dict__[k] = v

    # -- shapes ---------------------------------------------------------------
    @property
    def batch_shape(self) -> Shape:
        return self._batch_shape

    @property
    def event_shape(self) -> Shape:
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> Shape:
        shape = as_shape(sample_shape)
        return check_size(shape + self._batch_shape + self._event_shape, "sample_shape", requested=shape)

    def expand(self: _D, batch_shape: Any, _instance: Any = None) -> _D:
        """A view of this distribution with a larger ``batch_shape`` (no copies).

        Generic for every family whose recorded parameters (:meth:`_init_params`)
        are broadcast to ``batch_shape`` (+ their event dims): those become
        ``np.broadcast_to`` views, other attributes are shared, lazily computed
        values (``lazy_property``) are dropped so they are recomputed for the new
        shape, and validation is not repeated. Families with more state override
        and call ``super().expand``.
        """
        shape = self._expand_shape(batch_shape)
        new: _D = self.__new__(type(self)) if _instance is None else _instance
        records = self.__dict__.get("_params", {})
        nb = len(self._batch_shape)
        cls = type(self)
        for key, value in self.__dict__.items():
            if key in records:
                value = np.broadcast_to(value, shape + np.shape(value)[nb:])
            elif isinstance(getattr(cls, key, None), lazy_property):
                continue
            new.__dict__[key] = value
        new._batch_shape = shape
        return new

    def _expand_shape(self, batch_shape: Any) -> Shape:
        shape = as_shape(batch_shape, "batch_shape")
        check_size(shape + self._event_shape, "batch_shape", requested=shape)
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
    # A family gives its closed forms as static functions of a parameter namespace
    # (the distribution itself, or recorded leaves: numdist.vjp); the base turns them
    # into log_prob / entropy and their VJPs. Families without them override these.
    @staticmethod
    def _log_prob(p: Any, value: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def _entropy(p: Any) -> Any:
        raise NotImplementedError

    def log_prob(self, value: Any) -> np.ndarray:
        if type(self)._log_prob is Distribution._log_prob:
            raise NotImplementedError
        lp: np.ndarray = self._log_prob(self, self._as_value(value))
        return lp

    def log_prob_vjp(self, value: Any) -> tuple[np.ndarray, VJP]:
        """``log_prob`` and its VJP: a gradient per parameter given, and ``"value"``
        for continuous families (discrete samples have none: the score function)."""
        if type(self)._log_prob is Distribution._log_prob:
            raise NotImplementedError
        from numdist import vjp

        v = self._as_value(value)
        if self.support is not None and self.support.is_discrete:
            return vjp.closed_form_vjp(lambda p: self._log_prob(p, v), self)
        return vjp.closed_form_vjp(self._log_prob, self, v, np.shape(value), self._value_grad_dtype(value, v))

    def cdf(self, value: Any) -> np.ndarray:
        raise NotImplementedError

    def icdf(self, value: Any) -> np.ndarray:
        raise NotImplementedError

    def entropy(self) -> np.ndarray:
        h: np.ndarray = self._entropy(self)
        return h

    def entropy_vjp(self) -> tuple[np.ndarray, VJP]:
        if type(self)._entropy is Distribution._entropy:
            raise NotImplementedError
        from numdist import vjp

        return vjp.closed_form_vjp(self._entropy, self)

    def enumerate_support(self, expand: bool = True) -> np.ndarray:
        raise NotImplementedError

    def perplexity(self) -> np.ndarray:
        ppl: np.ndarray = np.exp(self.entropy())
        return ppl

    # -- validation ---------------------------------------------------------------
    # Constraints the parameters are validated against *as given*, where that differs
    # from ``arg_constraints`` (e.g. Categorical checks the unnormalised ``probs``).
    _param_constraints: dict[str, constraints.Constraint] = {}

    def _validation_values(self) -> dict[str, Any]:
        """The parameters the family was given, by name, as they are validated: the
        recorded ones (:meth:`_init_params`), or, for a family that records none, every
        ``arg_constraints`` entry that is set and not a lazily computed counterpart."""
        records = self.__dict__.get("_params")
        if records:
            return {name: self.__dict__[name] for name in records if name in self.__dict__}
        values = {}
        for name in self.arg_constraints:
            if name not in self.__dict__ and isinstance(getattr(type(self), name, None), (property, lazy_property)):
                continue  # a lazily computed counterpart: not given, nothing to check
            value = getattr(self, name, None)
            if value is not None:
                values[name] = value
        return values

    def _validate_params(self) -> None:
        """The one validation path: every parameter given against its constraint, by
        :func:`numdist.constraints.validate` (``ParameterError`` naming the parameter,
        the batch index, the reason and the value)."""
        where = f"distribution {type(self).__name__}"
        for name, value in self._validation_values().items():
            constraint = self._param_constraints.get(name) or self.arg_constraints.get(name)
            if constraint is not None:
                constraints.validate(name, value, constraint, where=where)

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
            index = self.support.first_invalid(value)
            if index is not None:
                raise ValueError(
                    f"Expected value argument (ndarray of shape {value.shape}) to be within the support "
                    f"({self.support!r}) of the distribution {type(self).__name__}, but found invalid "
                    f"values at index {index}")
        return value

    # -- element-wise sampling, declared by the family -------------------------------
    #: ``(kernel, parameter names)`` of a family drawn by one element-wise kernel of
    #: csrc/elementwise.c (``None``: the family samples otherwise). ``numdist.dask``
    #: reads it too, so such a family is reproducible tile by tile with no more code.
    _kernel: tuple[str, tuple[str, ...]] | None = None
    #: parameters :meth:`_finish_draw` needs (its arguments after the draws)
    _finish_params: tuple[str, ...] = ()

    @staticmethod
    def _finish_draw(x: np.ndarray, *params: np.ndarray) -> None:
        """In-place step after the kernel (e.g. ``x /= rate``); ``params`` are the
        ``_finish_params`` broadcast to ``x``'s shape."""

    def _draw_elementwise(self, sample_shape: Any, rng: Any) -> np.ndarray:
        """``sample_shape + batch_shape`` draws of the family's ``_kernel``, finished."""
        from numdist.sampling import draw

        assert self._kernel is not None
        kernel, names = self._kernel
        shape = self._extended_shape(sample_shape)
        x = draw(kernel, rng, shape, self.dtype, *(np.broadcast_to(getattr(self, n), shape) for n in names))
        if self._finish_params:
            self._finish_draw(x, *(np.broadcast_to(getattr(self, n), shape) for n in self._finish_params))
        return x

    def _as_value(self, value: Any) -> np.ndarray:
        """``value`` checked against the batch and support, cast as NumPy would promote
        it against the parameters (Python scalars weak, integers take ``self.dtype``)."""
        arr = self._validate_sample(value)
        return arr.astype(value_dtype(value, arr, self.dtype), copy=False)

    def _value_grad_dtype(self, value: Any, arr: np.ndarray) -> np.dtype:
        """dtype of the ``"value"`` gradient for ``value`` as passed (``arr`` as evaluated)."""
        return grad_dtype(value, arr.dtype)

    def _as_probability(self, value: Any) -> np.ndarray:
        """``icdf``'s argument: real, cast like a value, in [0, 1] when validating."""
        q = np.asarray(value)
        if q.dtype.kind not in "biuf":
            raise TypeError(f"icdf expects real probabilities, got dtype {q.dtype}")
        q = q.astype(value_dtype(value, q, self.dtype), copy=False)
        if self._validate_args:
            constraints.validate("value", q, constraints.unit_interval, where=f"{type(self).__name__}.icdf")
        return q

    def __repr__(self) -> str:
        names = [k for k in self.arg_constraints if k in self.__dict__]
        parts = []
        for k in names:
            v = np.asarray(self.__dict__[k])
            parts.append(f"{k}: {v}" if v.size == 1 else f"{k}: ndarray{v.shape}")
        return f"{type(self).__name__}({', '.join(parts)})"


set_default_validate_args = Distribution.set_default_validate_args
