"""Drop-in functional samplers: ``numpy.random.Generator`` signatures plus ``rng=``.

``size`` is the output shape without event dims, parameters broadcast against
it, and ``out=`` may be any writeable strided view of the right dtype and shape.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from numdist import _normal
from numdist._rng import Xoshiro256x8
from numdist.alias import categorical
from numdist.multivariate_normal import multivariate_normal
from numdist.utils import aligned, as_float_params, as_shape, check_finite, check_out, functional_out_shape

__all__ = ["standard_normal", "normal", "multivariate_normal", "categorical", "Xoshiro256x8", "default_rng"]

_METHODS = ("ziggurat", "box_muller")


def default_rng(seed: Any = None) -> np.random.Generator:
    """A ``numpy.random.Generator`` over numdist's :class:`Xoshiro256x8`.

    Examples
    --------
    >>> import numdist as nd
    >>> g = nd.random.default_rng(1)
    >>> type(g.bit_generator).__name__
    'Xoshiro256x8'
    """
    return np.random.Generator(Xoshiro256x8(seed))


def _check_method(method: str) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    return method


def _float_dtype(dtype: npt.DTypeLike, name: str = "dtype") -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"Unsupported {name} {dt!r}: only float32 and float64 are supported")
    return dt


def _fill(out: np.ndarray, rng: Any, method: str, *params: np.ndarray) -> None:
    """Run the kernel into ``out`` (through an aligned buffer if out is misaligned)."""
    target = aligned(out)
    _normal.normal_fill(rng, method, target, *params)
    if target is not out:
        out[...] = target


def standard_normal(size: Any = None, dtype: Any = np.float64, out: np.ndarray | None = None, *,
                    rng: Any = None, method: str = "ziggurat") -> Any:
    """Standard normal draws, as ``numpy.random.Generator.standard_normal``.

    Parameters
    ----------
    size : int or tuple of ints, optional
        Output shape; None gives one float (or ``out.shape`` when ``out`` is given).
    dtype : {float64, float32}
    out : ndarray, optional
        Written in place; any strides (including negative) are fine.
    rng : None, int, SeedSequence, BitGenerator or Generator
        None uses numdist's global generator (see :func:`numdist.manual_seed`).
    method : {"ziggurat", "box_muller"}
        256-layer ziggurat with exact tails, or Box-Muller with 53-bit uniforms.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> nd.random.standard_normal((2, 3), rng=0).shape
    (2, 3)
    >>> buf = np.empty(5, dtype=np.float32)
    >>> _ = nd.random.standard_normal(out=buf, dtype=np.float32, rng=0)
    """
    dt = _float_dtype(dtype)
    _check_method(method)
    if out is not None:
        shape = None if size is None else as_shape(size, "size")
        check_out(out, shape, dt)
        _fill(out, rng, method)
        return out
    res = np.empty(() if size is None else as_shape(size, "size"), dtype=dt)
    _normal.normal_fill(rng, method, res)
    return float(res[()]) if size is None else res  # size=None: a Python float, as numpy


def normal(loc: Any = 0.0, scale: Any = 1.0, size: Any = None, *, dtype: Any = None,
           out: np.ndarray | None = None, rng: Any = None, method: str = "ziggurat") -> Any:
    """Normal draws ``loc + scale * z``, as ``numpy.random.Generator.normal``.

    ``loc`` and ``scale`` broadcast against ``size``; ``scale`` must be
    non-negative and both finite (ValueError naming the parameter and index).
    The dtype follows the parameters (float32 stays float32) unless given.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> x = nd.random.normal(np.arange(3.0), 0.1, size=(1000, 3), rng=0)
    >>> x.shape, bool(abs(x.mean(0) - np.arange(3)).max() < 0.05)
    ((1000, 3), True)
    """
    _check_method(method)
    pdtype, p = as_float_params(loc=loc, scale=scale)
    dt = pdtype if dtype is None else _float_dtype(dtype)
    loc_a, scale_a = p["loc"].astype(dt, copy=False), p["scale"].astype(dt, copy=False)
    check_finite("loc", loc_a)
    check_finite("scale", scale_a, nonnegative=True)
    try:
        bshape = np.broadcast_shapes(loc_a.shape, scale_a.shape)
    except ValueError:
        raise ValueError(f"shape mismatch: loc {loc_a.shape} and scale {scale_a.shape} "
                         "do not broadcast together") from None
    shape = functional_out_shape(bshape, size, out, 0, f"loc {loc_a.shape} and scale {scale_a.shape}")
    if out is not None:
        check_out(out, shape, dt)
        target = out
    else:
        target = np.empty(shape, dtype=dt)
    loc_b = np.broadcast_to(aligned(loc_a), shape)
    scale_b = np.broadcast_to(aligned(scale_a), shape)
    _fill(target, rng, method, loc_b, scale_b)
    if out is None and size is None and target.ndim == 0:
        return float(target[()])  # a Python float, as numpy.random.Generator
    return target
