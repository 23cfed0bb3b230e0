"""Shape, dtype and gradient helpers shared by the distribution classes."""
from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Generic, Sequence, TypeVar, overload

import numpy as np
import numpy.typing as npt

__all__ = ["lazy_property", "as_float_params", "sum_to_shape", "as_shape", "check_size", "sum_rightmost", "first_bad_index",
           "grad_dtype", "value_dtype", "as_cotangent", "copy_if_overlaps"]

T = TypeVar("T")


class lazy_property(Generic[T]):
    """A property computed on first access and then stored on the instance
    (as torch's ``lazy_property``): derived parameters cost nothing until used."""

    def __init__(self, fn: Callable[[Any], T]) -> None:
        self.fn = fn
        self.__doc__ = fn.__doc__
        self.name = fn.__name__

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> lazy_property[T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...

    def __get__(self, instance: object, owner: type | None = None) -> lazy_property[T] | T:
        if instance is None:
            return self
        value = self.fn(instance)
        instance.__dict__[self.name] = value
        return value


def as_shape(shape: Any, name: str = "sample_shape") -> tuple[int, ...]:
    """``sample_shape``/``batch_shape`` as a tuple of non-negative ints (int or sequence accepted)."""
    if isinstance(shape, (numbers.Integral, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    try:
        out = tuple(int(operator_index(s)) for s in shape)
    except TypeError:
        raise TypeError(f"{name} must be an int or a tuple of ints, got {shape!r}") from None
    if any(s < 0 for s in out):
        raise ValueError(f"{name} must not have negative dimensions, got {out}")
    return check_size(out, name)


#: Largest number of bytes an array may have (NumPy's limit: ``size * itemsize`` fits in intp).
_MAX_BYTES = int(np.iinfo(np.intp).max)


def check_size(shape: tuple[int, ...], name: str = "sample_shape", itemsize: int = 8,
               requested: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """``shape`` itself, or the one ``ValueError`` every sampler raises for an array of
    ``shape`` (items of ``itemsize`` bytes) larger than NumPy can index: "... is too
    large". ``requested`` is the shape the user asked for, named in the message
    (default ``shape``). As in NumPy, a zero dimension does not excuse the others:
    the product of the non-zero dimensions must fit."""
    total = itemsize
    for s in shape:
        total *= max(s, 1)  # as NumPy: zero-size arrays still need the other dims to fit
    if total > _MAX_BYTES:
        req = tuple(shape) if requested is None else tuple(requested)
        extra = "" if requested is None or tuple(requested) == tuple(shape) else f" (an array of shape {tuple(shape)})"
        raise ValueError(f"{name} {req} is too large: the requested size{extra} exceeds the largest array "
                         f"NumPy can allocate ({_MAX_BYTES} bytes)")
    return tuple(shape)


def operator_index(x: Any) -> int:
    import operator

    if isinstance(x, bool):
        raise TypeError
    return operator.index(x)


def _check_numeric(name: str, arr: np.ndarray) -> None:
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real number or array of real numbers, got dtype {arr.dtype}")


def as_float_params(**params: Any) -> tuple[np.dtype, dict[str, np.ndarray]]:
    """Convert parameters to arrays of one float dtype.

    float32 stays float32, float64 stays float64, integers and bools are
    promoted to float64, and mixed inputs follow NumPy's promotion rules
    (Python scalars are weak, as in NumPy 2)."""
    arrays = {}
    for name, value in params.items():
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(f"{name} must be a real number or array of real numbers, got {type(value).__name__}")
        try:
            arr = np.asarray(value)
        except Exception as exc:  # ragged lists and the like
            raise TypeError(f"{name} could not be converted to an array: {exc}") from None
        _check_numeric(name, arr)
        arrays[name] = arr
    weak = [v if isinstance(v, (int, float)) and not isinstance(v, bool) else arrays[k] for k, v in params.items()]
    dtype = np.result_type(*weak) if weak else np.dtype(np.float64)
    if dtype.kind != "f" or dtype.itemsize not in (4, 8):
        dtype = np.dtype(np.float64) if dtype.kind != "f" or dtype.itemsize > 8 else np.dtype(np.float32)
    return dtype, {k: a.astype(dtype, copy=False) for k, a in arrays.items()}


def _is_weak_scalar(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, (bool, np.generic))


def grad_dtype(value: Any, dtype: npt.DTypeLike) -> np.dtype:
    """dtype of the gradient for a parameter passed as ``value`` to something computed
    in ``dtype``: the parameter's own dtype when it is a float32/float64 array or NumPy
    scalar, else ``dtype`` (Python scalars are weak, integers are promoted)."""
    if not _is_weak_scalar(value):
        dt: npt.DTypeLike | None = getattr(value, "dtype", None)
        if dt is None:
            dt = np.asarray(value).dtype
        if dt in (np.dtype(np.float32), np.dtype(np.float64)):
            return np.dtype(dt)
    return np.dtype(dtype)


def value_dtype(value: Any, arr: np.ndarray, dtype: npt.DTypeLike) -> np.dtype:
    """dtype in which a distribution of float ``dtype`` evaluates ``value`` (``arr`` is
    ``np.asarray(value)``): NumPy promotion with Python scalars weak and integers
    taking ``dtype``; never wider than float64."""
    dtype = np.dtype(dtype)
    if _is_weak_scalar(value) or arr.dtype.kind != "f":
        return dtype
    dt = np.result_type(arr.dtype, dtype)
    return np.dtype(np.float64) if dt.itemsize > 8 else dt


def as_cotangent(g: npt.ArrayLike, shape: Sequence[int], dtype: npt.DTypeLike) -> np.ndarray:
    """A VJP's cotangent as an array of ``dtype`` broadcast to the value's ``shape``."""
    g = np.asarray(g)
    if g.dtype.kind not in "biuf":
        raise TypeError(f"cotangent must be real, got dtype {g.dtype}")
    try:
        return np.broadcast_to(g.astype(dtype, copy=False), tuple(shape))
    except ValueError:
        raise ValueError(f"cotangent with shape {g.shape} does not broadcast to the value's shape "
                         f"{tuple(shape)}") from None


def reduce_to_shape(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``grad`` summed over the dims that broadcasting added to an array of ``shape``
    (leading dims, and size-1 dims of ``shape``); no copy when nothing is summed."""
    g = grad
    lead = g.ndim - len(shape)
    if lead > 0:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g


def sum_to_shape(grad: npt.ArrayLike, shape: Sequence[int], dtype: npt.DTypeLike | None = None) -> np.ndarray:
    """Sum ``grad`` over the dims that broadcasting added to an array of ``shape``."""
    shape = tuple(shape)
    g = reduce_to_shape(np.asarray(grad), shape)
    g = np.broadcast_to(g, shape) if g.shape != shape else g
    return np.array(g, dtype=dtype if dtype is not None else g.dtype)


def unbroadcast_view(arr: np.ndarray, ndims: int | None = None) -> np.ndarray:
    """``arr`` with its broadcast (zero-stride) dims among the first ``ndims`` (all by
    default) cut to size 1: a view of the distinct elements, broadcastable back."""
    n = arr.ndim if ndims is None else ndims
    if n <= 0 or 0 not in arr.strides[:n] or arr.size == 0:
        return arr
    return arr[tuple(slice(0, 1) if st == 0 else slice(None) for st in arr.strides[:n])]


def sum_rightmost(value: np.ndarray, dim: int) -> np.ndarray:
    """Sum out the ``dim`` rightmost dimensions."""
    if dim == 0:
        return value
    # the summed size spelled out: -1 is ambiguous for a zero-size value
    summed: np.ndarray = value.reshape(value.shape[: value.ndim - dim] + (math.prod(value.shape[value.ndim - dim:]),)).sum(-1)
    return summed


def first_bad_index(ok: np.ndarray) -> tuple[int, ...]:
    """Index of the first False in ``ok`` (C order)."""
    flat = int(np.argmin(np.asarray(ok).ravel()))
    return tuple(int(i) for i in np.unravel_index(flat, np.shape(ok)))


def check_out(out: Any, shape: tuple[int, ...] | None, dtype: np.dtype, name: str = "out") -> np.ndarray:
    """Refuse a wrong ``out=`` before anything is written (NumPy's exception types)."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"Supplied output array has the wrong type: {name}.dtype is {out.dtype}, expected {np.dtype(dtype)}")
    if shape is not None and out.shape != tuple(shape):
        raise ValueError(f"size and {name}.shape must match: {name} has shape {out.shape}, expected {tuple(shape)}")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return out


def functional_out_shape(batch_shape: tuple[int, ...], size: Any, out: Any, event_ndim: int,
                         what: str, event_shape: tuple[int, ...] = ()) -> tuple[int, ...]:
    """Output shape (without event dims) of a functional sampler, by NumPy's rules:
    ``size`` if given, else ``out``'s shape less its event dims, else the parameters'
    ``batch_shape``; the parameters must broadcast to it. ``what`` names the
    parameters in the error message. A ``size`` (times ``event_shape``) too large
    for an array is refused first (:func:`check_size`)."""
    if size is not None:
        shape, where = as_shape(size, "size"), "size"
        if event_shape:
            check_size(shape + tuple(event_shape), "size", requested=shape)
    elif isinstance(out, np.ndarray) and out.ndim >= event_ndim:
        shape = tuple(out.shape[: out.ndim - event_ndim])
        where = "out.shape" if event_ndim == 0 else f"out.shape[:-{event_ndim}]"
    else:
        shape, where = tuple(batch_shape), "their own shape"
    try:
        ok = np.broadcast_shapes(batch_shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"shape mismatch: {what} cannot be broadcast to {where} {shape}")
    return shape


def copy_if_overlaps(arr: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """``arr``, or a copy of it when it may share memory with ``out`` (an input that
    overlaps ``out=`` is read before any write: NumPy's ufunc rule)."""
    if out is not None and np.may_share_memory(arr, out):
        return np.array(arr, order="K")
    return arr


def aligned(arr: np.ndarray) -> np.ndarray:
    """``arr`` itself if its items are aligned for C access, else an aligned copy."""
    return arr if arr.flags.aligned else np.array(arr, order="K")


def clamp_probs(probs: np.ndarray) -> np.ndarray:
    """Clamp to ``[eps, 1 - eps]`` with eps the dtype's machine epsilon (torch's rule)."""
    eps = np.finfo(probs.dtype).eps
    clamped: np.ndarray = np.clip(probs, eps, 1 - eps)
    return clamped


def logsumexp(x: np.ndarray, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(x)))`` along ``axis``, stable, and -inf (not NaN) for all -inf rows."""
    m = np.max(x, axis=axis, keepdims=True)
    m_safe = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        out: np.ndarray = np.log(np.sum(np.exp(x - m_safe), axis=axis, keepdims=True)) + m_safe
    return out if keepdims else np.squeeze(out, axis=axis)


def logits_to_probs(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis."""
    probs: np.ndarray = np.exp(logits - logsumexp(logits, keepdims=True))
    return probs


def probs_to_logits(probs: np.ndarray) -> np.ndarray:
    """``log`` of the clamped probabilities (torch's ``probs_to_logits``)."""
    logits: np.ndarray = np.log(clamp_probs(probs))
    return logits
