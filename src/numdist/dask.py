"""Distributed sampling with Dask: the same array on any chunking, scheduler or cluster.

``numdist.dask.sample(d, sample_shape, chunks=..., rng=seed)`` is a lazy
:class:`dask.array.Array` equal, element for element, to
``d.sample(sample_shape, rng=seed)``, whatever ``chunks`` (trailing axes may be
split too) and whatever runs it (threads, processes, a ``distributed`` cluster).
``numdist.dask.log_prob(d, x)`` evaluates ``d.log_prob`` block by block.

Install with ``pip install numdist[dask]`` (dask and distributed).

How a block finds its numbers (docs/stream-contract.md, section 8)
------------------------------------------------------------------
numdist cuts every draw into fixed *stream tiles* that depend only on the shapes
(element-wise families: runs of ``CHUNK_ELEMS`` = 65,536 elements of the C-ordered
output; Categorical, MultivariateNormal: the rectangles of their kernels' grids;
Multinomial: its chunks of whole rows;
RelaxedOneHotCategorical: groups of whole rows, positioned by word), and tile ``c``
draws from its own stream position. A Dask block computes only the tiles it
overlaps, with numdist's generator set where the full draw would have it, and cuts
its rectangle out of them. Building the graph draws nothing and costs O(number of
blocks); one block alone can be computed.

``rng=``: what can be reproduced on workers
-------------------------------------------
* an int or a :class:`numpy.random.SeedSequence`: the stream of
  ``Xoshiro256x8(seed)`` (what ``d.sample(..., rng=seed)`` uses);
* numdist's :class:`~numdist.random.Xoshiro256x8` (or a ``numpy.random.Generator``
  over one): its state is read when the graph is built, and the generator is
  advanced exactly as ``d.sample`` would advance it, so later draws continue as if
  the in-memory sample had been taken; a ``Xoshiro256x8.state`` dict is used as is;
* any other NumPy ``Generator`` / ``BitGenerator``: its two key words are taken once,
  when the graph is built (as ``d.sample(..., rng=g)`` takes them when it starts),
  and key the stream every block draws from. RelaxedOneHotCategorical draws its
  uniforms from the generator itself, word by word; that cannot be split over
  workers, so it raises NotImplementedError there (pass an int or a Xoshiro256x8).
* ``None`` is refused: numdist's global generator lives in one process, and
  blocks computed elsewhere, in any order, cannot share its state. Pass a seed.

Inside a block numdist uses one thread (Dask's workers provide the parallelism);
the numbers do not depend on it.
"""
from __future__ import annotations

import math
import uuid
from typing import Any, Callable, NamedTuple

import numpy as np

try:
    import dask
    import dask.array as da
except ImportError as _e:  # pragma: no cover - exercised without the extra
    raise ImportError("numdist.dask needs dask: pip install 'numdist[dask]'") from _e

from numdist import _common
from numdist._rng import Xoshiro256x8
from numdist.utils import aligned, as_shape, unbroadcast_view

__all__ = ["sample", "log_prob", "supported_families"]

CHUNK = int(_common.CHUNK_ELEMS)
CHUNK_BLOCKS = int(_common.CHUNK_BLOCKS)
BLOCK_WORDS = 2048  # ND_XO_BLOCK: words per generator block
_U64 = 1 << 64


# -- the stream a graph draws from ---------------------------------------------------------
class _Stream(NamedTuple):
    """Position of numdist's generator when the full draw would start: its key, next
    block and words still buffered from the previous block (word-wise samplers)."""

    key0: int
    key1: int
    counter: int
    buffered: int = 0

    def at_block(self, block: int) -> Xoshiro256x8:
        """A generator whose next whole-block draw starts at block ``block``."""
        return _xoshiro(self.key0, self.key1, block % _U64, 0)

    def at_word(self, word: int) -> Xoshiro256x8:
        """A generator whose next scalar word is word ``word`` of the draw (word 0: the
        first word the full draw takes, buffered words first)."""
        p = self.counter * BLOCK_WORDS - self.buffered + word
        block, off = divmod(p, BLOCK_WORDS)
        if off == 0:
            return _xoshiro(self.key0, self.key1, block % _U64, 0)
        return _xoshiro(self.key0, self.key1, (block + 1) % _U64, BLOCK_WORDS - off)


def _xoshiro(key0: int, key1: int, counter: int, buffered: int) -> Xoshiro256x8:
    g = Xoshiro256x8(0)
    g.state = {"bit_generator": "Xoshiro256x8", "seeding": 2,
               "state": {"key": [key0, key1], "counter": counter}, "buffered": buffered}
    return g


def _resolve_rng(rng: Any, plan: "_Plan") -> _Stream:
    """The stream of ``rng`` for ``plan``; advances a stateful ``rng`` as the in-memory
    ``sample`` would (a NumPy generator: two words, if the draw is not empty)."""
    if rng is None:
        raise TypeError(
            "numdist.dask.sample needs a reproducible rng=: rng=None means numdist's global "
            "generator, whose state lives in this process and would be consumed out of order "
            "by blocks computed on workers. Pass an int seed, a numpy.random.SeedSequence, a "
            "numdist.random.Xoshiro256x8 (or its .state), or a numpy.random.Generator (its two "
            "key words are taken once, when the graph is built)")
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError("rng must be an int, a SeedSequence, a Xoshiro256x8 (or its state) or a "
                        "numpy Generator, not bool")
    if isinstance(rng, dict):
        g0 = Xoshiro256x8(0)
        g0.state = rng  # type: ignore[assignment]  # validates (seeding version, ranges)
        st = g0.state
        return _Stream(st["state"]["key"][0], st["state"]["key"][1], st["state"]["counter"], st["buffered"])
    if isinstance(rng, (int, np.integer, np.random.SeedSequence)):
        if isinstance(rng, (int, np.integer)) and rng < 0:
            raise ValueError(f"rng seed must be non-negative, got {rng}")
        st = Xoshiro256x8(rng if isinstance(rng, np.random.SeedSequence) else int(rng)).state
        return _Stream(st["state"]["key"][0], st["state"]["key"][1], 0, 0)
    bg = rng.bit_generator if isinstance(rng, np.random.Generator) else rng
    if isinstance(bg, Xoshiro256x8):
        st = bg.state
        stream = _Stream(st["state"]["key"][0], st["state"]["key"][1], st["state"]["counter"], st["buffered"])
        after = plan.advance(stream)
        if after is not None:  # as the in-memory draw leaves it
            bg.state = {"bit_generator": "Xoshiro256x8", "seeding": 2,
                        "state": {"key": [stream.key0, stream.key1], "counter": after[0]},
                        "buffered": after[1]}
        return stream
    if isinstance(bg, np.random.BitGenerator):
        if not plan.block_keyed:
            raise NotImplementedError(
                f"numdist.dask.sample: {plan.family} draws its uniforms word by word from the "
                f"NumPy generator itself ({type(bg).__name__}), which cannot be split over "
                "workers; pass an int seed or a numdist.random.Xoshiro256x8")
        if plan.empty:
            return _Stream(0, 0, 0, 0)  # an empty draw takes no words
        gen = rng if isinstance(rng, np.random.Generator) else np.random.Generator(bg)
        k = gen.integers(0, 2**64, size=2, dtype=np.uint64)  # next_uint64 twice, under its lock
        return _Stream(int(k[0]), int(k[1]), 0, 0)
    raise TypeError(
        "rng must be an int, a SeedSequence, a numdist Xoshiro256x8 (or its state), or a numpy "
        f"Generator/BitGenerator, not {type(rng).__name__}")


# -- geometry helpers ---------------------------------------------------------------------
Box = tuple[tuple[int, int], ...]


def _flat_index(shape: tuple[int, ...], box: Box) -> np.ndarray:
    """C-order flat indices (within ``shape``) of the elements of ``box``, in the box's
    C order (1-D int64; ``[0]`` for 0-d)."""
    idx = np.zeros(1, dtype=np.int64)
    for n, (lo, hi) in zip(shape, box):
        idx = (idx[:, None] * n + np.arange(lo, hi, dtype=np.int64)[None, :]).reshape(-1)
    return idx


def _compact(arr: Any) -> Any:
    """A broadcast view as its small underlying data (size-1 dims), so plans pickle small."""
    if not isinstance(arr, np.ndarray) or arr.ndim == 0 or 0 not in arr.strides:
        return arr
    return np.ascontiguousarray(unbroadcast_view(arr))


def _runs(ids: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges [i0, i1) of maximal runs of consecutive values in sorted ``ids``."""
    if ids.size == 0:
        return []
    br = np.flatnonzero(np.diff(ids) != 1) + 1
    edges = [0, *br.tolist(), int(ids.size)]
    return list(zip(edges[:-1], edges[1:]))


# -- plans: one per family, picklable, shipped to workers once ---------------------------------
class _Plan:
    family = ""
    block_keyed = True  # draws whole blocks (a NumPy generator keys the stream)
    empty = False

    shape: tuple[int, ...]
    dtype: np.dtype

    def advance(self, s: _Stream) -> tuple[int, int] | None:
        """(counter, buffered) of the generator after the full in-memory draw."""
        raise NotImplementedError

    def block(self, s: _Stream, box: Box) -> np.ndarray:
        raise NotImplementedError


class _ElementwisePlan(_Plan):
    """Element-wise kernel over the whole output: tiles are runs of CHUNK elements of
    the C-ordered output; chunk c draws from blocks base + c * CHUNK_BLOCKS."""

    def __init__(self, family: str, kernel: str, shape: tuple[int, ...], dtype: np.dtype,
                 params: tuple[Any, ...], post: Callable[..., None] | None = None,
                 post_args: tuple[Any, ...] = ()) -> None:
        from numdist import _elementwise

        self.family = family
        self.kernel = kernel
        self.shape = shape
        self.pdtype = np.dtype(dtype)
        _, out_int64 = _elementwise.kernel_info(kernel)
        self.dtype = np.dtype(np.int64) if out_int64 else self.pdtype
        self.params = tuple(_compact(p) for p in params)
        self.post = post
        self.post_args = tuple(_compact(a) for a in post_args)
        self.total = math.prod(shape)
        self.nchunks = -(-self.total // CHUNK) if self.total > 0 else 0
        self.empty = self.total == 0

    def advance(self, s: _Stream) -> tuple[int, int] | None:
        if self.nchunks == 0:
            return None
        return (s.counter + self.nchunks * CHUNK_BLOCKS) % _U64, 0

    def tiles(self, s: _Stream, ids: np.ndarray) -> np.ndarray:
        """The chunks ``ids`` (sorted, unique) as rows of a (len(ids), CHUNK) array."""
        from numdist import _fused
        from numdist.sampling import draw_tiles

        # from the tile pool: the worker's next block reuses these pages (no page faults)
        store = _fused.empty_tiles((ids.size, CHUNK), self.dtype)
        flat = store.reshape(-1)
        g = s.at_block(s.counter)
        for i0, i1 in _runs(ids):
            c0, c1 = int(ids[i0]), int(ids[i1 - 1]) + 1
            n = min(self.total, c1 * CHUNK) - c0 * CHUNK
            draw_tiles(self.kernel, g, self.shape, self.pdtype, c0, c1, *self.params,
                       out=flat[i0 * CHUNK:i0 * CHUNK + n])
        return store

    def block(self, s: _Stream, box: Box) -> np.ndarray:
        shape = self.shape
        bshape = tuple(hi - lo for lo, hi in box)
        if 0 in bshape:
            return np.empty(bshape, dtype=self.dtype)
        nd = len(shape)
        if nd == 0:
            starts, R = np.zeros(1, dtype=np.int64), 1
        else:
            # dims j.. are one contiguous run of the output per index of the outer dims [:j]
            j = nd - 1
            while j > 0 and box[j] == (0, shape[j]):
                j -= 1
            inner = math.prod(shape[j + 1:])
            R = (box[j][1] - box[j][0]) * inner
            starts = _flat_index(shape[:j], box[:j]) * (shape[j] * inner) + box[j][0] * inner
        lo_c = starts // CHUNK
        hi_c = (starts + R - 1) // CHUNK
        span = int((hi_c - lo_c).max())
        cand = np.minimum(lo_c[:, None] + np.arange(span + 1, dtype=np.int64)[None, :], hi_c[:, None])
        ids = np.unique(cand)
        store = self.tiles(s, ids).reshape(-1)
        pos = np.searchsorted(ids, lo_c) * CHUNK + starts % CHUNK
        if starts.size == 1:
            out = store[int(pos[0]):int(pos[0]) + R]
        elif R >= 512:
            out = np.empty(starts.size * R, dtype=self.dtype)
            for i, p in enumerate(pos.tolist()):
                out[i * R:(i + 1) * R] = store[p:p + R]
        else:
            out = store[pos[:, None] + np.arange(R, dtype=np.int64)[None, :]]
        out = out.reshape(bshape)
        if self.post is not None:
            index = tuple(slice(lo, hi) for lo, hi in box)
            # out is a fresh array or a view of this block's tiles
            self.post(out, *(np.broadcast_to(a, shape)[index] for a in self.post_args))
        return out


class _DirichletPlan(_Plan):
    """Dirichlet as its class draws it: the element-wise log-gamma kernel over the
    whole output, then each row normalised; a block splitting the event axis draws
    its rows whole and keeps its columns."""

    def __init__(self, dist: Any, shape: tuple[int, ...]) -> None:
        self.family = "Dirichlet"
        self.shape = shape
        self.dtype = dist.dtype
        self.gammas = _ElementwisePlan("Dirichlet", "log_standard_gamma", shape, dist.dtype,
                                       (dist.concentration,))
        self.empty = self.gammas.empty

    def advance(self, s: _Stream) -> tuple[int, int] | None:
        return self.gammas.advance(s)

    def block(self, s: _Stream, box: Box) -> np.ndarray:
        from numdist.dirichlet import normalise_log_gammas

        e0, e1 = box[-1]
        if e0 == e1 or any(lo == hi for lo, hi in box):
            return np.empty(tuple(hi - lo for lo, hi in box), dtype=self.dtype)
        rows = self.gammas.block(s, (*box[:-1], (0, self.shape[-1])))
        return normalise_log_gammas(rows)[..., e0:e1]


def _constant_transform(t: Any) -> bool:
    """Whether ``t`` has no per-element parameters (so it can be applied to one block
    of the output at a time); ``AffineTransform``/``PowerTransform`` with array
    parameters would need them sliced to the block."""
    parts = getattr(t, "parts", None)
    if parts is not None:
        return all(_constant_transform(p) for p in parts)
    inner = getattr(t, "base_transform", None)
    if inner is not None:
        return _constant_transform(inner)
    if type(t).__name__ == "_InverseTransform":
        return _constant_transform(t._inv)
    return all(np.size(getattr(t, a)) == 1 for a in ("loc", "scale", "exponent") if hasattr(t, a))


class _TransformedPlan(_Plan):
    """A TransformedDistribution as its ``sample`` draws it: the base's blocks, then the
    transforms; a block splitting the event dims a transform acts on (StickBreaking's
    last axis) draws those dims whole and keeps its part."""

    def __init__(self, dist: Any, sample_shape: tuple[int, ...]) -> None:
        bad = [t for t in dist.transforms if not _constant_transform(t)]
        if bad:
            raise NotImplementedError(
                f"numdist.dask.sample: {type(dist).__name__} with transforms whose parameters are "
                f"arrays ({type(bad[0]).__name__}) is not supported; use scalar transform parameters")
        self.family = type(dist).__name__
        self.base = _plan(dist.base_dist, sample_shape)
        self.transforms = list(dist.transforms)
        self.shape = dist._extended_shape(sample_shape)
        self.dtype = self.base.dtype
        self.empty = self.base.empty
        self.block_keyed = self.base.block_keyed
        self.whole = max([0] + [max(t.domain.event_dim, t.codomain.event_dim) for t in self.transforms])

    def advance(self, s: _Stream) -> tuple[int, int] | None:
        return self.base.advance(s)

    def block(self, s: _Stream, box: Box) -> np.ndarray:
        n = self.whole
        if any(lo == hi for lo, hi in box):
            return np.empty(tuple(hi - lo for lo, hi in box), dtype=self.dtype)
        if n:
            box_in = (*box[:-n], *((0, m) for m in self.base.shape[len(self.base.shape) - n:]))
        else:
            box_in = box
        x = self.base.block(s, box_in)
        for t in self.transforms:
            x = t(x)
        if n:
            keep: tuple[Any, ...] = (Ellipsis, *(slice(lo, hi) for lo, hi in box[-n:]))
            x = x[keep]
        return np.asarray(x, dtype=self.dtype)


class _LowRankPlan(_Plan):
    """LowRankMultivariateNormal as its class draws it: a row of ``r + d`` standard
    normals per draw (the element-wise normal kernel over ``shape[:-1] + (r + d,)``,
    rows drawn whole), then ``loc + W eps_W + sqrt(cov_diag) eps_D`` on the block's rows
    with the class's own expression."""

    def __init__(self, dist: Any, sample_shape: tuple[int, ...]) -> None:
        self.family = "LowRankMultivariateNormal"
        self.shape = dist._extended_shape(sample_shape)
        self.dtype = dist.dtype
        self.r = dist.cov_factor.shape[-1]
        self.normals = _ElementwisePlan(self.family, "normal", self.shape[:-1] + (self.r + self.shape[-1],),
                                        dist.dtype, ())
        self.empty = self.normals.empty
        self.loc, self.cov_factor, self.cov_diag = (_compact(dist.loc), _compact(dist.cov_factor),
                                                    _compact(dist.cov_diag))

    def advance(self, s: _Stream) -> tuple[int, int] | None:
        return self.normals.advance(s)

    def block(self, s: _Stream, box: Box) -> np.ndarray:
        from numdist.lowrank_multivariate_normal import lowrank_affine

        if any(lo == hi for lo, hi in box):
            return np.empty(tuple(hi - lo for lo, hi in box), dtype=self.dtype)
        d, rows = self.shape[-1], tuple(slice(lo, hi) for lo, hi in box[:-1])
        eps = self.normals.block(s, (*box[:-1], (0, self.r + d)))
        loc = np.broadcast_to(self.loc, self.shape)[rows]
        cov_factor = np.broadcast_to(self.cov_factor, self.shape + (self.r,))[rows]
        cov_diag = np.broadcast_to(self.cov_diag, self.shape)[rows]
        x = lowrank_affine(loc, cov_factor, cov_diag, eps[..., :self.r], eps[..., self.r:])
        return x[..., box[-1][0]:box[-1][1]]


class _GridPlan(_Plan):
    """Kernels with a 2-D grid of tiles over (S, B) = (flat sample-like index, flat
    batch-like index) of the output, and an inner event of size ``d``: tile (i, j)
    covers rows [i*sc, ...) x columns [j*bc, ...) and is chunk ``i * nbp + j`` of the
    kernel's call, so it draws from blocks base + (i * nbp + j) * CHUNK_BLOCKS."""

    k: int        # output dims [:k] -> S, [k:ndim-event] -> B
    tile_dtype: np.dtype
    nevent: int   # trailing event dims (full in every tile)
    S: int
    B: int
    sc: int
    bc: int
    nbp: int
    d: int

    @property
    def nchunks(self) -> int:
        if self.S <= 0 or self.B <= 0:
            return 0
        return -(-self.S // self.sc) * self.nbp

    def advance(self, s: _Stream) -> tuple[int, int] | None:
        if self.nchunks == 0:
            return None
        return (s.counter + self.nchunks * CHUNK_BLOCKS) % _U64, 0

    def tile(self, s: _Stream, i: int, j: int) -> np.ndarray:
        """Tile (i, j) as an (ns, nb, d) array."""
        raise NotImplementedError

    def finish(self, res: np.ndarray, bshape: tuple[int, ...], ebox: Box) -> np.ndarray:
        return res.reshape(bshape)

    def block(self, s: _Stream, box: Box) -> np.ndarray:
        ndim = len(self.shape)
        nb_dims = ndim - self.nevent
        sbox, bbox, ebox = box[:self.k], box[self.k:nb_dims], box[nb_dims:]
        bshape = tuple(hi - lo for lo, hi in box[:nb_dims])
        s_idx = _flat_index(self.shape[:self.k], sbox)
        b_idx = _flat_index(self.shape[self.k:nb_dims], bbox)
        if s_idx.size == 0 or b_idx.size == 0:
            res = np.empty((s_idx.size, b_idx.size, self.d), dtype=self.tile_dtype)
            return self.finish(res, bshape, ebox)
        rows, rpos = np.unique(s_idx // self.sc, return_inverse=True)
        cols, cpos = np.unique(b_idx // self.bc, return_inverse=True)
        store = np.zeros((rows.size, cols.size, self.sc, self.bc, self.d), dtype=self.tile_dtype)
        for a, i in enumerate(rows.tolist()):
            for b, jj in enumerate(cols.tolist()):
                t = self.tile(s, i, jj)
                store[a, b, :t.shape[0], :t.shape[1]] = t
        res = store[rpos[:, None], cpos[None, :], (s_idx % self.sc)[:, None], (b_idx % self.bc)[None, :]]
        return self.finish(res, bshape, ebox)


class _MVNPlan(_GridPlan):
    family = "MultivariateNormal"

    def __init__(self, dist: Any, sample_shape: tuple[int, ...]) -> None:
        from numdist._layout import param_layout, split

        full = sample_shape + dist.batch_shape
        loc, L = dist._loc_raw, dist._unbroadcasted_scale_tril
        d = L.shape[-1]
        self.k = split(full, loc.shape[:-1], L.shape[:-2])
        self.shape = full + (d,)
        self.nevent = 1
        self.dtype = self.tile_dtype = np.dtype(L.dtype)
        self.S, self.B, self.d = math.prod(full[:self.k]), math.prod(full[self.k:]), d
        self.loc2 = _compact(param_layout(loc, full[self.k:], 1))
        self.L3 = _compact(param_layout(L, full[self.k:], 2))
        # _mvn._grid with CHUNK // d vectors per chunk
        per = max(1, CHUNK // max(1, d))
        self.bc = max(1, self.B if self.B <= per else per)
        self.sc = min(max(1, per // self.bc), self.S if self.S > 0 else 1)
        self.nbp = -(-self.B // self.bc) if self.B > 0 else 1
        self.empty = self.nchunks == 0

    def tile(self, s: _Stream, i: int, j: int) -> np.ndarray:
        from numdist import _mvn

        s0, b0 = i * self.sc, j * self.bc
        ns, nb = min(self.sc, self.S - s0), min(self.bc, self.B - b0)
        # aligned(): arrays unpickled on a worker may come out of a misaligned buffer
        loc = np.broadcast_to(aligned(self.loc2), (self.B, self.d))[b0:b0 + nb]
        L = np.broadcast_to(aligned(self.L3), (self.B, self.d, self.d))[b0:b0 + nb]
        out = np.empty((ns, nb, self.d), dtype=self.dtype)
        # one chunk of the same geometry, at the block range of chunk i * nbp + j
        _mvn.draw(s.at_block(s.counter + (i * self.nbp + j) * CHUNK_BLOCKS), out, loc, L)
        return out

    def finish(self, res: np.ndarray, bshape: tuple[int, ...], ebox: Box) -> np.ndarray:
        (e0, e1), = ebox
        return res.reshape(bshape + (self.d,))[..., e0:e1]


class _CategoricalPlan(_GridPlan):
    """Categorical's kernel: out (n, nrows), n = prod(sample_shape). n <= CHUNK: chunk t
    is rows [t*rpc, ...) with all n draws; else chunk r*pieces + p is draws
    [p*CHUNK, ...) of row r. One tile = one sub-call of the same geometry."""

    family = "Categorical"

    def __init__(self, dist: Any, sample_shape: tuple[int, ...], onehot: Any = None) -> None:
        from numdist import _categorical

        cat = dist if onehot is None else onehot._categorical
        self.onehot_dtype: np.dtype | None = None if onehot is None else np.dtype(cat.dtype)
        K = cat._num_events
        n = math.prod(sample_shape)
        nrows = math.prod(cat.batch_shape)
        self.K = K
        self.alias = _categorical.prefer_alias(K, n)
        self.rows = cat._rows64()
        self.k = len(sample_shape)
        self.nevent = 0 if onehot is None else 1
        self.shape = sample_shape + cat.batch_shape + (() if onehot is None else (K,))
        self.dtype = np.dtype(np.int64) if self.onehot_dtype is None else self.onehot_dtype
        self.tile_dtype = np.dtype(np.int64)
        self.S, self.B, self.d = n, nrows, 1
        if n <= CHUNK:
            self.sc = max(1, n)
            self.bc = max(1, CHUNK // (n + (K >> 2)))
        else:
            self.sc, self.bc = CHUNK, 1
        self.nbp = -(-nrows // self.bc) if nrows > 0 else 1
        self.empty = self.nchunks == 0
        if onehot is not None:
            self.family = "OneHotCategorical"

    @property
    def nchunks(self) -> int:
        if self.S <= 0 or self.B <= 0:
            return 0
        if self.S <= CHUNK:
            return self.nbp
        return self.B * -(-self.S // CHUNK)

    def tile(self, s: _Stream, i: int, j: int) -> np.ndarray:
        from numdist import _categorical

        s0, r0 = i * self.sc, j * self.bc
        ns, m = min(self.sc, self.S - s0), min(self.bc, self.B - r0)
        if self.S <= CHUNK:
            chunk = j
        else:
            chunk = j * -(-self.S // CHUNK) + i
        out = _categorical.sample_rows(s.at_block(s.counter + chunk * CHUNK_BLOCKS), aligned(self.rows)[r0:r0 + m], ns,
                                       alias=self.alias)
        return out[:, :, None]

    def finish(self, res: np.ndarray, bshape: tuple[int, ...], ebox: Box) -> np.ndarray:
        idx: np.ndarray = res.reshape(bshape)
        if self.onehot_dtype is None:
            return idx
        (e0, e1), = ebox
        onehot: np.ndarray = (idx[..., None] == np.arange(e0, e1)).astype(self.onehot_dtype)
        return onehot


class _MultinomialPlan(_GridPlan):
    """Multinomial's row kernel: the ``R = prod(sample_shape + batch_shape)`` rows of K
    counts in chunks of ``rows_per_chunk(K)`` whole rows; chunk ``i`` (one tile, all its
    rows) is a one-chunk call of the same kernel at blocks base + i * CHUNK_BLOCKS."""

    family = "Multinomial"

    def __init__(self, dist: Any, sample_shape: tuple[int, ...]) -> None:
        from numdist import _multinomial

        K = dist.event_shape[-1]
        full = sample_shape + dist.batch_shape
        self.shape = full + (K,)
        self.k = len(full)  # every row index is "sample-like": one column of tiles
        self.nevent = 1
        self.dtype = self.tile_dtype = np.dtype(np.int64)
        self.S, self.B, self.d = math.prod(full), 1, K
        self.sc, self.bc, self.nbp = _multinomial.rows_per_chunk(K), 1, 1
        self.nbatch = math.prod(dist.batch_shape)
        self.probs = _compact(np.ascontiguousarray(dist.probs).reshape(self.nbatch, K))
        self.total_count = int(dist.total_count)
        self.empty = self.nchunks == 0

    def tile(self, s: _Stream, i: int, j: int) -> np.ndarray:
        from numdist import _multinomial

        r0 = i * self.sc
        ns = min(self.sc, self.S - r0)
        rows = np.arange(r0, r0 + ns) % max(1, self.nbatch)
        p = aligned(np.ascontiguousarray(np.broadcast_to(aligned(self.probs), (self.nbatch, self.d))[rows]))
        out = np.empty((ns, self.d), dtype=np.int64)
        n = np.broadcast_to(np.array(self.total_count, dtype=np.int64), out.shape)
        _multinomial.multinomial_fill(s.at_block(s.counter + i * CHUNK_BLOCKS), out, n, p)
        return out[:, None, :]

    def finish(self, res: np.ndarray, bshape: tuple[int, ...], ebox: Box) -> np.ndarray:
        (e0, e1), = ebox
        return res.reshape(bshape + (self.d,))[..., e0:e1]


class _RelaxedPlan(_Plan):
    """RelaxedOneHotCategorical: its uniforms are scalar words of the generator, one per
    element in C order, so row r (K elements) uses words [r*K, (r+1)*K). Tiles are
    groups of rows_per_tile rows; a tile positions a generator at its first word."""

    family = "RelaxedOneHotCategorical"
    block_keyed = False

    def __init__(self, dist: Any, sample_shape: tuple[int, ...]) -> None:
        K = dist.event_shape[0]
        batch = dist.batch_shape
        self.K = K
        self.shape = sample_shape + batch + (K,)
        self.dtype = np.dtype(dist.dtype)
        self.B = math.prod(batch)
        self.nrows = math.prod(sample_shape) * self.B
        self.logits = _compact(np.broadcast_to(dist.logits, batch + (K,)))
        self.temperature = _compact(np.broadcast_to(dist.temperature, batch + (K,)))
        self.batch = batch
        self.rpt = max(1, CHUNK // max(1, K))
        self.total = self.nrows * K
        self.empty = self.total == 0

    def advance(self, s: _Stream) -> tuple[int, int] | None:
        if self.total == 0:
            return None
        p = s.counter * BLOCK_WORDS - s.buffered + self.total
        block, off = divmod(p, BLOCK_WORDS)
        return ((block, 0) if off == 0 else (block + 1, BLOCK_WORDS - off))

    def tile(self, s: _Stream, t: int) -> np.ndarray:
        from numdist.utils import clamp_probs, logsumexp

        r0 = t * self.rpt
        m = min(self.rpt, self.nrows - r0)
        u = np.random.Generator(s.at_word(r0 * self.K)).random((m, self.K), dtype=self.dtype)
        gumbels = -np.log(-np.log(clamp_probs(u)))
        b = np.arange(r0, r0 + m) % self.B
        lg = np.broadcast_to(self.logits, self.batch + (self.K,)).reshape(self.B, self.K)[b]
        tp = np.broadcast_to(self.temperature, self.batch + (self.K,)).reshape(self.B, self.K)[b]
        scores = (lg + gumbels) / tp
        y: np.ndarray = np.exp(scores - logsumexp(scores, keepdims=True))
        return y

    def block(self, s: _Stream, box: Box) -> np.ndarray:
        bshape = tuple(hi - lo for lo, hi in box[:-1])
        r_idx = _flat_index(self.shape[:-1], box[:-1])
        e0, e1 = box[-1]
        if r_idx.size == 0:
            return np.empty(bshape + (e1 - e0,), dtype=self.dtype)
        ts, tpos = np.unique(r_idx // self.rpt, return_inverse=True)
        store = np.zeros((ts.size, self.rpt, self.K), dtype=self.dtype)
        for a, t in enumerate(ts.tolist()):
            y = self.tile(s, t)
            store[a, :y.shape[0]] = y
        res: np.ndarray = store[tpos, r_idx % self.rpt]
        return res.reshape(bshape + (self.K,))[..., e0:e1]


def supported_families() -> tuple[str, ...]:
    """Names of the families :func:`sample` reproduces exactly."""
    import numdist as nd

    classes = [(name, getattr(nd, name)) for name in nd.__all__ if isinstance(getattr(nd, name), type)]
    elementwise = {name for name, cls in classes if getattr(cls, "_kernel", None)}
    transformed = {name for name, cls in classes if issubclass(cls, nd.TransformedDistribution)}
    return tuple(sorted(elementwise | transformed | {"Categorical", "OneHotCategorical", "RelaxedOneHotCategorical",
                                       "MultivariateNormal", "Independent", "Dirichlet", "Multinomial",
                                       "LowRankMultivariateNormal"}))


def _plan(dist: Any, sample_shape: tuple[int, ...]) -> _Plan:
    import numdist as nd

    cls = type(dist)
    name = cls.__name__
    if getattr(nd, name, None) is not cls:
        raise NotImplementedError(
            f"numdist.dask.sample supports numdist's own families {supported_families()}, "
            f"not {cls.__module__}.{cls.__qualname__}")
    if name == "Independent":
        return _plan(dist.base_dist, sample_shape)
    shape = dist._extended_shape(sample_shape)
    if cls._kernel is not None:  # one element-wise kernel, declared by the family
        kernel, pnames = cls._kernel
        post = cls._finish_draw if cls._finish_params else None
        return _ElementwisePlan(name, kernel, shape, dist.dtype, tuple(getattr(dist, p) for p in pnames),
                                post, tuple(getattr(dist, p) for p in cls._finish_params))
    if isinstance(dist, nd.TransformedDistribution):
        return _TransformedPlan(dist, sample_shape)
    if name == "Categorical":
        return _CategoricalPlan(dist, sample_shape)
    if name == "OneHotCategorical":
        return _CategoricalPlan(dist, sample_shape, onehot=dist)
    if name == "RelaxedOneHotCategorical":
        return _RelaxedPlan(dist, sample_shape)
    if name == "MultivariateNormal":
        return _MVNPlan(dist, sample_shape)
    if name == "Dirichlet":
        return _DirichletPlan(dist, shape)
    if name == "LowRankMultivariateNormal":
        return _LowRankPlan(dist, sample_shape)
    if name == "Multinomial":
        return _MultinomialPlan(dist, sample_shape)
    raise NotImplementedError(
        f"numdist.dask.sample does not support {name} yet (it would not reproduce "
        f"{name}.sample exactly); supported: {supported_families()}")


def _sample_block(plan: _Plan, stream: _Stream, block_info: Any = None) -> np.ndarray:
    box = tuple((int(lo), int(hi)) for lo, hi in block_info[None]["array-location"])
    return plan.block(stream, box)


def _normalize_chunks(chunks: Any, shape: tuple[int, ...], dtype: np.dtype, nevent: int) -> tuple[tuple[int, ...], ...]:
    if isinstance(chunks, str) and chunks == "auto" and nevent:
        # event dims whole (a block then holds whole draws), the rest auto
        chunks = ("auto",) * (len(shape) - nevent) + (-1,) * nevent
    return tuple(tuple(int(c) for c in cs) for cs in da.core.normalize_chunks(chunks, shape, dtype=dtype))


def sample(distribution: Any, sample_shape: Any = (), *, chunks: Any = "auto", rng: Any = None) -> Any:
    """A lazy ``dask.array.Array`` equal to ``distribution.sample(sample_shape, rng=rng)``.

    Parameters
    ----------
    distribution : a numdist distribution (every family of :func:`supported_families`,
        Independent over any of them).
    sample_shape : int or tuple of ints.
    chunks : anything :func:`dask.array.core.normalize_chunks` accepts for the output
        shape ``sample_shape + batch_shape + event_shape`` (``"auto"``: event dims
        whole, the others sized by ``array.chunk-size``). Any chunking gives the same
        numbers.
    rng : int, SeedSequence, numdist ``Xoshiro256x8`` (or its ``state`` dict), or a
        NumPy Generator/BitGenerator (its two key words are taken now). ``None`` is
        refused (see the module docstring).

    Building the graph draws nothing and costs O(number of blocks); each block draws
    only the stream tiles it overlaps.

    Examples
    --------
    >>> import numpy as np, numdist as nd, numdist.dask as ndd
    >>> d = nd.Normal(np.zeros(3), 1.0)
    >>> x = ndd.sample(d, (1000,), chunks=(300, 2), rng=0)
    >>> bool((x.compute(scheduler="threads") == d.sample((1000,), rng=0)).all())
    True
    """
    sample_shape = as_shape(sample_shape)
    plan = _plan(distribution, sample_shape)
    stream = _resolve_rng(rng, plan)
    nevent = len(plan.shape) - len(sample_shape) - len(distribution.batch_shape)
    chunks_n = _normalize_chunks(chunks, plan.shape, plan.dtype, nevent)
    name = f"numdist-sample-{plan.family.lower()}-{uuid.uuid4().hex}"
    # A blockwise layer (one task per block, told its place by block_info): the
    # element-wise operations and reductions after it fuse into the same task, so a
    # block is reduced while it is in cache and never stored between tasks. The plan
    # and the stream are one key each, shipped once to each worker.
    plan_d = dask.delayed(plan, name=f"{name}-plan")
    stream_d = dask.delayed(stream, name=f"{name}-stream")
    meta = np.empty((0,) * len(plan.shape), dtype=plan.dtype)
    return da.map_blocks(_sample_block, plan_d, stream_d, name=name, chunks=chunks_n, dtype=plan.dtype, meta=meta)


def _log_prob_block(x: np.ndarray, distribution: Any) -> np.ndarray:
    return np.asarray(distribution.log_prob(x))


def log_prob(distribution: Any, x: Any) -> Any:
    """``distribution.log_prob(x)`` for a dask array (or array-like) ``x``, block by block.

    ``x`` is broadcast to ``sample_shape + batch_shape + event_shape`` and rechunked so
    that the batch and event dims are whole in every block (the parameters are needed
    whole there anyway); blocks split only the leading sample dims. Each block is one
    call of ``distribution.log_prob``, so values (and validation errors) are those of
    the in-memory call.

    Examples
    --------
    >>> import numpy as np, numdist as nd, numdist.dask as ndd
    >>> d = nd.Normal(np.zeros(3), 1.0)
    >>> x = ndd.sample(d, (10,), chunks=(4, 3), rng=0)
    >>> bool(np.allclose(ndd.log_prob(d, x).compute(), d.log_prob(x.compute())))
    True
    """
    x = da.asarray(x)
    ev = len(distribution.event_shape)
    nb = len(distribution.batch_shape)
    if x.ndim < ev or tuple(x.shape[x.ndim - ev:]) != tuple(distribution.event_shape):
        raise ValueError(f"value of shape {x.shape} does not end with the event shape "
                         f"{distribution.event_shape}")
    try:
        out_shape = tuple(np.broadcast_shapes(tuple(x.shape[:x.ndim - ev]), distribution.batch_shape))
    except ValueError:
        raise ValueError(f"value of shape {x.shape} does not broadcast with batch shape "
                         f"{distribution.batch_shape} and event shape {distribution.event_shape}") from None
    full = out_shape + tuple(distribution.event_shape)
    if tuple(x.shape) != full:
        x = da.broadcast_to(x, full)
    whole = {i: -1 for i in range(len(out_shape) - nb, len(full))}
    if whole:
        x = x.rechunk(whole)
    probe = distribution.sample((), rng=0)  # a value in the support (own stream, not the user's)
    if x.dtype.kind == "f" and probe.dtype.kind == "f":
        probe = probe.astype(x.dtype)
    dtype = np.asarray(distribution.log_prob(probe)).dtype
    drop = tuple(range(len(out_shape), len(full)))
    return x.map_blocks(_log_prob_block, distribution=distribution, dtype=dtype,
                        drop_axis=drop if drop else None,
                        meta=np.empty((0,) * len(out_shape), dtype=dtype))
