"""Strided layouts for the C kernels, shared by the MVN and categorical code: views
(never copies, unless strides forbid them) that merge an array's dims into the
(rows, ...) or (S, B, ...) shapes the kernels take."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["prod", "reshape_view", "aligned_view", "split", "param_layout", "sb_layout"]


def prod(shape: tuple[int, ...]) -> int:
    # math.prod: a Python-level product of a few ints, about 20x cheaper than np.prod
    # (it ran a dozen times per MVN construct + draw)
    return int(math.prod(shape))


def reshape_view(arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """``arr`` reshaped to ``shape`` without a copy, or None when its strides forbid it."""
    try:
        return np.reshape(arr, shape, copy=False)
    except ValueError:
        return None
    except TypeError:  # NumPy < 2.1: no copy= in reshape
        v = arr.view()
        try:
            v.shape = shape
        except AttributeError:
            return None
        return v


def aligned_view(arr: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    """:func:`reshape_view`, and None also when the view is misaligned."""
    v = reshape_view(arr, shape)
    return v if v is not None and v.flags.aligned else None


def split(full: tuple[int, ...], *param_batches: tuple[int, ...]) -> int:
    """Index k such that the parameters are constant over ``full[:k]`` (the sample
    part) and vary, or may vary, over ``full[k:]`` (the batch part). Depends on
    shapes only, so the kernels' chunking (and the numbers drawn) does too."""
    n = len(full)
    k = n
    for pb in param_batches:
        pad = (1,) * (n - len(pb)) + tuple(pb)
        for i, s in enumerate(pad):
            if s != 1:
                k = min(k, i)
                break
    return k


def param_layout(arr: np.ndarray, batch: tuple[int, ...], event_ndim: int) -> np.ndarray:
    """A parameter (batch dims broadcastable to ``batch``) as an aligned
    ``(prod(batch),) + event`` array: a view (zero strides where broadcast) when its
    strides allow, else a contiguous copy of the broadcast; ``arr`` itself when it
    already is that array (one batch dim, aligned: no view to build, the usual case of
    a construct + draw)."""
    event = arr.shape[arr.ndim - event_ndim:]
    pb = arr.shape[: arr.ndim - event_ndim]
    if len(batch) == 1 and pb == batch and arr.flags.aligned:
        return arr
    if len(pb) > len(batch):  # leading dims the caller proved to be 1
        arr = arr.reshape(pb[len(pb) - len(batch):] + event)
    b = np.broadcast_to(arr, batch + event)
    shape = (prod(batch),) + event
    v = aligned_view(b, shape)
    if v is None:
        v = np.array(b, order="C").reshape(shape)  # a copy: ascontiguousarray keeps a misaligned array
    return v


def sb_layout(arr: np.ndarray, full: tuple[int, ...], k: int, event: tuple[int, ...]) -> np.ndarray:
    """``arr`` broadcast to ``full + event`` as an aligned (S, B) + event array (view if possible)."""
    b = np.broadcast_to(arr, full + event)
    shape = (prod(full[:k]), prod(full[k:])) + event
    v = aligned_view(b, shape)
    if v is None:
        v = np.array(b, order="C").reshape(shape)  # a copy: ascontiguousarray keeps a misaligned array
    return v
