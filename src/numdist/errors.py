"""The one error type for bad parameters and the one place its message is formatted.

Validation (:func:`numdist.constraints.validate`) and kernel-side failures (a
Cholesky factorisation that fails, an alias-table row the kernels refuse) all
raise :class:`ParameterError` through :func:`parameter_error`, so every family
and every functional sampler reports a bad parameter the same way::

    Expected parameter scale (ndarray of shape (3,)) of distribution Normal to
    satisfy the constraint PositiveFinite(), but scale at batch index (1,) is
    negative: -1.0
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["ParameterError", "parameter_error", "format_value"]


class ParameterError(ValueError):
    """A parameter value is outside its constraint (a ``ValueError``).

    Attributes: ``name`` (the parameter), ``index`` (the batch index, a tuple),
    ``reason`` (e.g. ``"is negative"``), ``where`` (``"distribution Normal"``,
    ``"random.normal"``, ...)."""

    def __init__(self, message: str, name: str = "", index: tuple[int, ...] = (), reason: str = "",
                 where: str = "") -> None:
        super().__init__(message)
        self.name, self.index, self.reason, self.where = name, tuple(index), reason, where

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.name, self.index, self.reason, self.where))


def format_value(value: Any) -> str:
    """A value (a scalar or one batch element) on one line, as in the messages."""
    arr = np.asarray(value)
    if arr.ndim == 0:
        return str(arr.item())
    return " ".join(np.array2string(arr, precision=6, threshold=16, max_line_width=10**6).split())


def parameter_error(name: str, value: Any, constraint: Any, index: tuple[int, ...], reason: str,
                    where: str, shape: tuple[int, ...] | None = None) -> ParameterError:
    """The error for parameter ``name`` (array ``value``, batch dims first) whose element at
    batch ``index`` violates ``constraint`` because it ``reason`` (``"is negative"``).
    ``where`` names the owner: ``"distribution Normal"``, ``"random.normal"``, ``"AliasTable"``."""
    arr = np.asarray(value)
    shape = tuple(arr.shape) if shape is None else tuple(shape)
    index = tuple(int(i) for i in index)
    try:
        shown = ": " + format_value(arr[index])
    except (IndexError, TypeError):
        shown = ""
    kind = type(value).__name__ if isinstance(value, np.ndarray) else "ndarray"
    msg = (f"Expected parameter {name} ({kind} of shape {shape}) of {where} to satisfy the constraint "
           f"{constraint!r}, but {name} at batch index {index} {reason}{shown}")
    return ParameterError(msg, name, index, reason, where)
