"""Python side of the element-wise dispatcher: shapes, dtypes and ``out=``.

Families and functional samplers call :func:`draw` with parameters already
validated; it broadcasts them, honours the kernels' alignment contract, copies
an input that overlaps ``out`` (NumPy's ufunc rule; ``out`` being exactly an
input stays in place) and runs the C kernel through ``_elementwise.fill``.
:func:`functional` is the whole of a NumPy-style functional sampler.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from numdist import _elementwise, constraints
from numdist.utils import aligned, as_float_params, check_out, functional_out_shape

__all__ = ["draw", "draw_tiles", "functional", "float_dtype"]


def float_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    dt: np.dtype = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"Unsupported {name} {dt!r}: only float32 and float64 are supported")
    return dt


def _same_view(a: np.ndarray, b: np.ndarray) -> bool:
    ia, ib = a.__array_interface__, b.__array_interface__
    return bool(ia["data"][0] == ib["data"][0] and a.strides == b.strides and a.shape == b.shape
                and a.dtype == b.dtype)


def draw(kernel: str, rng: Any, shape: tuple[int, ...], dtype: np.dtype, *params: np.ndarray | None,
         out: np.ndarray | None = None) -> np.ndarray:
    """Draws of ``kernel`` of ``shape`` with parameters of float ``dtype`` (None for
    a kernel default), into ``out`` if given (already checked by the caller)."""
    _, out_int64 = _elementwise.kernel_info(kernel)
    out_dtype = np.dtype(np.int64) if out_int64 else dtype
    target = np.empty(shape, dtype=out_dtype) if out is None else out
    if target.size == 0:
        return target
    ready: list[np.ndarray | None] = []
    for p in params:
        if p is None:
            ready.append(None)
            continue
        a = np.asarray(p).astype(dtype, copy=False)
        if out is not None and np.may_share_memory(a, out) and not _same_view(np.broadcast_to(a, shape), out):
            a = a.copy()  # an input overlapping out= is read before any write (NumPy's rule)
        ready.append(np.broadcast_to(aligned(a), shape))
    buf = aligned(target)
    if buf is not target and any(_same_view(p, target) for p in ready if p is not None):
        ready = [None if p is None else np.array(p) for p in ready]
    _elementwise.fill(kernel, rng, buf, *ready)
    if buf is not target:
        target[...] = buf
    return target


def draw_tiles(kernel: str, rng: Any, shape: tuple[int, ...], dtype: np.dtype, c0: int, c1: int,
               *params: np.ndarray | None, out: np.ndarray | None = None, nthreads: int = 1,
               read_back: bool = False) -> np.ndarray:
    """Chunks ``[c0, c1)`` (docs/stream-contract.md, section 3) of ``draw(kernel, rng,
    shape, dtype, *params)``, flattened: output elements ``c0 * CHUNK_ELEMS`` up to
    ``min(prod(shape), c1 * CHUNK_ELEMS)`` in C order, bit for bit those of the full
    draw, computed without the other chunks (numdist.dask). ``rng`` is numdist's
    ``Xoshiro256x8`` at the block counter the full draw starts from; it is not moved.
    ``out``: a C-contiguous buffer of that length to write into. ``read_back``: the
    caller reads the values back at once (plain stores keep them in cache; see
    ``_elementwise.fill_tiles``)."""
    from numdist._common import CHUNK_ELEMS

    _, out_int64 = _elementwise.kernel_info(kernel)
    out_dtype = np.dtype(np.int64) if out_int64 else dtype
    total = int(np.prod(shape, dtype=np.int64))
    n = max(0, min(total, c1 * CHUNK_ELEMS) - c0 * CHUNK_ELEMS)
    buf = np.empty(n, dtype=out_dtype) if out is None else out
    ready = [None if p is None else np.broadcast_to(aligned(np.asarray(p).astype(dtype, copy=False)), shape)
             for p in params]
    _elementwise.fill_tiles(kernel, rng, tuple(shape), c0, c1, buf, *ready, nthreads=nthreads, read_back=read_back)
    return buf


def functional(kernel: str, where: str, params: dict[str, tuple[Any, constraints.Constraint]],
               size: Any, dtype: Any, out: np.ndarray | None, rng: Any, scale_by: str | None = None) -> Any:
    """A NumPy-style functional sampler: ``params`` maps each parameter name to
    ``(value, constraint)``; they broadcast against ``size`` (or ``out.shape``);
    float32 parameters give float32 draws unless ``dtype`` says otherwise; with no
    ``size``/``out`` and scalar parameters the result is a Python scalar, as NumPy.
    ``scale_by`` names a parameter the kernel does not take, by which the draws
    are multiplied afterwards (NumPy's ``gamma(shape, scale)``)."""
    if params:
        pdtype, arrays = as_float_params(**{k: v for k, (v, _) in params.items()})
    else:
        pdtype, arrays = np.dtype(np.float64), {}
    dt = pdtype if dtype is None else float_dtype(dtype)
    arrays = {k: a.astype(dt, copy=False) for k, a in arrays.items()}
    for name, (_, constraint) in params.items():
        constraints.validate(name, arrays[name], constraint, where=f"random.{where}")
    try:
        bshape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        desc = " and ".join(f"{k} {a.shape}" for k, a in arrays.items())
        raise ValueError(f"shape mismatch: {desc} do not broadcast together") from None
    desc = " and ".join(f"{k} {a.shape}" for k, a in arrays.items()) or "the parameters"
    shape = functional_out_shape(bshape, size, out, 0, desc)
    _, out_int64 = _elementwise.kernel_info(kernel)
    out_dtype = np.dtype(np.int64) if out_int64 else dt
    if out is not None:
        check_out(out, shape, out_dtype)
    kernel_params = [a for k, a in arrays.items() if k != scale_by]
    factor = arrays[scale_by] if scale_by is not None else None
    if factor is not None and out is not None and np.may_share_memory(factor, out):
        factor = factor.copy()  # read before the draw writes out=
    res = draw(kernel, rng, shape, dt, *kernel_params, out=out)
    if factor is not None:
        np.multiply(res, factor, out=res)
    if out is None and size is None and res.ndim == 0:
        return res[()].item()  # a Python scalar, as numpy.random.Generator
    return res
