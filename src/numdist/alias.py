"""Categorical sampling on arrays: reusable Vose alias tables (:class:`AliasTable`)
and the functional sampler :func:`categorical` (``numdist.random.categorical``).

Both work on rows ``(..., K)`` of weights. ``size`` is the output shape, as in
NumPy: the rows ``p.shape[:-1]`` broadcast against it, and every output element
is one category index (int64) drawn from its row. Rows that get many draws are
sampled from an alias table (O(1) per draw), rows that get few by a cumulative
sum and a binary search; the choice depends on K and the draws per row only, so
the same seed and shapes give the same numbers whatever the thread count.
"""
from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from numdist import _categorical, constraints
from numdist._layout import aligned_view
from numdist.errors import ParameterError
from numdist.utils import aligned, as_float_params, check_out, copy_if_overlaps, functional_out_shape

__all__ = ["AliasTable", "categorical"]

_INT64 = np.dtype(np.int64)


# -- error messages --------------------------------------------------------------------
def _bad_row_error(name: str, param: np.ndarray, row: int, where: str) -> ValueError:
    """The kernels refused flat row ``row`` of ``param`` (probs or logits): the one
    error (:class:`numdist.errors.ParameterError`) naming ``name``, the batch index and
    the reason."""
    batch = param.shape[:-1]
    if row < 0:
        return ParameterError(f"{name}: too many categories for an alias table (K = {param.shape[-1]})", name)
    idx = tuple(int(i) for i in np.unravel_index(row, batch)) if batch else ()
    constraint = constraints.logits_vector if name == "logits" else constraints.unnormalized_simplex
    return constraints.explain_failure(name, param, constraint, idx, where)


# -- parameters and shapes ---------------------------------------------------------------
def _rows(name: str, value: Any) -> np.ndarray:
    """The parameter as a float array (..., K) with K >= 1 (float32 kept, ints promoted)."""
    _, params = as_float_params(**{name: value})
    raw = params[name]
    if raw.ndim < 1:
        raise ValueError(f"{name} must be at least one-dimensional: (..., K) with K categories")
    if raw.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one category (K = 0 given)")
    return raw


def _weights(name: str, raw: np.ndarray) -> np.ndarray:
    """Aligned float64 (nrows, K) weights the kernels take (rows need not sum to 1).
    Logits become ``exp(logits - max)``: NaN, +inf or all -inf rows give NaN, which
    the kernels refuse."""
    k = raw.shape[-1]
    w = raw.astype(np.float64, copy=False)
    if name == "logits":
        with np.errstate(invalid="ignore", over="ignore"):
            w = np.exp(w - w.max(-1, keepdims=True))
    return aligned(w.reshape(-1, k))


def _plan(rows_shape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[list[int], int, int]:
    """Output dims reordered as (repeat dims, row dims), and their sizes: a row's draws
    lie along the dims where the rows are broadcast."""
    pad = (1,) * (len(shape) - len(rows_shape)) + tuple(rows_shape)
    row_dims = [i for i, r in enumerate(pad) if r != 1]
    rep_dims = [i for i, r in enumerate(pad) if r == 1]
    nrep = math.prod(shape[i] for i in rep_dims)
    nrows = math.prod(rows_shape)
    return rep_dims + row_dims, nrep, nrows


def _draw(rng: Any, w2: np.ndarray | None, table: np.ndarray | None, rows_shape: tuple[int, ...],
          shape: tuple[int, ...], out: np.ndarray | None, alias: bool | None, name: str,
          param: np.ndarray | None, where: str) -> np.ndarray:
    """Draw into ``out`` (or a new int64 array) of ``shape``; rows broadcast against it."""
    perm, nrep, nrows = _plan(rows_shape, shape)
    target = np.empty(shape, dtype=_INT64) if out is None else out
    moved = target.transpose(perm)
    o2 = aligned_view(moved, (nrep, nrows))
    tmp = None
    if o2 is None:  # out is a view whose draw dims cannot be flattened: go through a buffer
        tmp = o2 = np.empty((nrep, nrows), dtype=_INT64)
    try:
        if out is not None and table is None:
            # w2 is given whenever table is not
            _categorical.check_rows(cast(np.ndarray, w2))  # nothing is written into out unless every row is good
        _categorical.sample_rows(rng, w2, nrep, table, alias=alias, out=o2)
    except _categorical.BadRowError as exc:
        # only the weights path refuses rows, and it comes with its parameter
        raise _bad_row_error(name, cast(np.ndarray, param), exc.row, where) from None
    if tmp is not None:
        moved[...] = tmp.reshape(moved.shape)
    return target


class AliasTable:
    """Vose alias tables for rows of categorical weights, built once and reused.

    Each row of ``probs`` (shape ``(..., K)``; rows are normalised by their sum)
    becomes a table of K columns with 64-bit integer thresholds, built in exact
    integer arithmetic (every category's probability is within about 2**-63 of
    ``probs / probs.sum(-1)``; zero-probability categories are never drawn).
    A draw costs one 64-bit random word, one multiply and one table lookup,
    whatever K is, so a table pays as soon as a row gets more than a few dozen
    draws (K = 10) to a few hundred (K = 1000).

    Parameters
    ----------
    probs : array_like, shape (..., K)
        Non-negative, finite weights, at least one positive per row. float32 and
        float64 are accepted (tables are built from the float64 values), integers
        are promoted.

    Attributes
    ----------
    batch_shape : tuple of int
        ``probs.shape[:-1]``: one table per row.
    num_categories : int
        K.
    table : ndarray, shape batch_shape + (K,)
        The columns, a structured array with fields ``thresh`` (uint64,
        acceptance threshold as a fraction of 2**64) and ``alias`` (int64).
    probs : ndarray, shape batch_shape + (K,)
        The probabilities the table actually gives each category (float64).

    Raises
    ------
    ValueError
        If a row has a negative, NaN or infinite weight or sums to zero (the
        message names ``probs`` and the row's batch index), or K = 0.
    TypeError
        If ``probs`` is not numeric.

    See Also
    --------
    numdist.random.categorical : one-shot sampling (builds tables only when they pay).
    numdist.Categorical : the distribution, which caches its table.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> t = nd.AliasTable([0.1, 0.2, 0.7])
    >>> x = t.sample(100_000, rng=0)
    >>> x.shape, x.dtype
    ((100000,), dtype('int64'))
    >>> np.round(np.bincount(x) / x.size, 2)
    array([0.1, 0.2, 0.7])
    >>> t.sample(rng=1) in (0, 1, 2)          # size=None: one Python int
    True

    Batched rows; ``size`` is the output shape and the rows broadcast against it:

    >>> tb = nd.AliasTable([[1.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
    >>> tb.batch_shape, tb.num_categories
    ((2,), 3)
    >>> tb.sample((4, 2), rng=0)
    array([[0, 2],
           [0, 2],
           [0, 2],
           [0, 2]])
    """

    def __init__(self, probs: Any) -> None:
        raw = _rows("probs", probs)
        self._init(_weights("probs", raw), raw.shape[:-1], "probs", raw, "AliasTable")

    @classmethod
    def _from_rows(cls, w2: np.ndarray, batch_shape: tuple[int, ...], name: str, param: np.ndarray,
                   where: str) -> "AliasTable":
        """A table over prepared (nrows, K) float64 weights; errors name ``name`` of ``where``."""
        self = cls.__new__(cls)
        self._init(w2, tuple(batch_shape), name, param, where)
        return self

    def _init(self, w2: np.ndarray, batch_shape: tuple[int, ...], name: str, param: np.ndarray,
              where: str) -> None:
        try:
            self._table = _categorical.build_table(w2)
        except _categorical.BadRowError as exc:
            raise _bad_row_error(name, param, exc.row, where) from None
        self.batch_shape = tuple(batch_shape)
        self.num_categories = int(w2.shape[1])

    @property
    def table(self) -> np.ndarray:
        return self._table.reshape(self.batch_shape + (self.num_categories,))

    @property
    def nbytes(self) -> int:
        return int(self._table.nbytes)

    @property
    def probs(self) -> np.ndarray:
        k = self.num_categories
        t = self._table
        accept = np.ldexp(t["thresh"].astype(np.float64), -64)
        full = t["alias"] == np.arange(k)
        accept[full] = 1.0  # thresh == 2**64 - 1 and alias == itself: always this column
        p = accept.copy()
        rows = np.arange(t.shape[0])[:, None] * k
        np.add.at(p.reshape(-1), (rows + t["alias"]).reshape(-1), (1.0 - accept).reshape(-1))
        return (p / k).reshape(self.batch_shape + (k,))

    def sample(self, size: Any = None, rng: Any = None, *, out: np.ndarray | None = None) -> Any:
        """Draw category indices (int64) from the tables.

        Parameters
        ----------
        size : int or tuple of ints, optional
            Output shape; ``batch_shape`` must broadcast to it (NumPy rules), so
            ``size = (n,) + batch_shape`` gives n draws per row. None: one draw per
            row (a Python int when there is a single row), or ``out.shape``.
        rng : None, int, SeedSequence, BitGenerator or Generator
            SPEC 7 random source; None uses numdist's global generator.
        out : ndarray of int64, optional
            Written in place (any strides); a wrong dtype (TypeError), shape or a
            read-only array (ValueError) is refused before anything is written.
        """
        shape = functional_out_shape(self.batch_shape, size, out, 0, f"probs rows of shape {self.batch_shape}")
        if out is not None:
            check_out(out, shape, _INT64)
        table = copy_if_overlaps(self._table, out)  # out= may be a view of self.table["alias"]
        res = _draw(rng, None, table, self.batch_shape, shape, out, True, "probs", None, "AliasTable")
        if out is None and size is None and res.ndim == 0:
            return int(res[()])
        return res

    def __repr__(self) -> str:
        return f"AliasTable(batch_shape={self.batch_shape}, num_categories={self.num_categories})"


def categorical(p: Any = None, logits: Any = None, size: Any = None, *, out: np.ndarray | None = None,
                rng: Any = None) -> Any:
    """Draw category indices (int64) from rows of probabilities or logits.

    A batched, fast replacement for ``Generator.choice(K, size, p=p)``: the last
    axis of ``p`` (or ``logits``) holds the K categories, the leading axes are
    rows, and the rows broadcast against ``size`` as parameters do in NumPy.

    Parameters
    ----------
    p : array_like, shape (..., K), optional
        Non-negative, finite weights; each row is normalised by its sum.
    logits : array_like, shape (..., K), optional
        Unnormalised log-probabilities (``-inf`` allowed, not all of a row).
        Exactly one of ``p`` and ``logits`` is given.
    size : int or tuple of ints, optional
        Output shape. ``p.shape[:-1]`` must broadcast to it. None: one draw per
        row (a Python int for a single row), or ``out.shape`` when ``out`` is given.
    out : ndarray of int64, optional
        Written in place (any strides); wrong dtype (TypeError), wrong shape or
        read-only (ValueError) are refused before any write, and so are bad rows.
    rng : None, int, SeedSequence, BitGenerator or Generator
        SPEC 7 random source; None uses numdist's global generator.

    Returns
    -------
    int or ndarray of int64

    Raises
    ------
    ValueError
        A row with a negative, NaN or infinite weight, summing to zero, or
        (logits) with NaN, +inf or all -inf; the message names the parameter
        and the row's batch index. Also K = 0 and shapes that do not broadcast.

    Examples
    --------
    >>> import numpy as np, numdist as nd
    >>> x = nd.random.categorical([0.2, 0.3, 0.5], size=10**6, rng=0)
    >>> np.round(np.bincount(x) / x.size, 2)
    array([0.2, 0.3, 0.5])
    >>> rows = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    >>> nd.random.categorical(rows, size=(2, 3), rng=0)[:, :2]
    array([[0, 1],
           [0, 1]])
    >>> bool(nd.random.categorical(logits=np.log([[1.0, 3.0]]), size=(1000, 1), rng=0).mean() > 0.6)
    True
    """
    if (p is None) == (logits is None):
        raise ValueError("categorical() takes exactly one of p and logits")
    name = "p" if p is not None else "logits"
    raw = _rows(name, p if p is not None else logits)
    rows_shape = raw.shape[:-1]
    shape = functional_out_shape(rows_shape, size, out, 0, f"{name} rows of shape {rows_shape}")
    if out is not None:
        check_out(out, shape, _INT64)
    w2 = copy_if_overlaps(_weights(name, raw), out)  # read before any write (NumPy's ufunc rule)
    res = _draw(rng, w2, None, rows_shape, shape, out, None, name, raw, "random.categorical")
    if out is None and size is None and res.ndim == 0:
        return int(res[()])
    return res
