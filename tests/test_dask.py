"""numdist.dask: lazy dask arrays equal, element for element, to the in-memory draw,
for every family of the registry and any chunking, on the synchronous, threaded,
multiprocessing and distributed schedulers (a real two-process LocalCluster).
See docs/stream-contract.md, section 8."""
from __future__ import annotations

import pickle
import time

import numpy as np
import pytest

pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

import dask  # noqa: E402

import numdist as nd  # noqa: E402
import numdist.dask as ndd  # noqa: E402
from numdist._common import CHUNK_BLOCKS, CHUNK_ELEMS  # noqa: E402

from registry import CASES  # noqa: E402

# families numdist.dask reproduces tile by tile; the others must refuse clearly
SUPPORTED = [c for c in CASES if c.family in ndd.supported_families()]
UNSUPPORTED = [c for c in CASES if c.family not in ndd.supported_families()]
IDS = [c.id for c in SUPPORTED]


def _chunkings(shape):
    """Chunkings of ``shape``: whole, auto, small blocks splitting every axis (trailing
    ones too), and one block per leading index."""
    nd_ = len(shape)
    out = [-1, "auto", tuple(max(1, (s + 2) // 3) for s in shape), tuple(2 for _ in shape)]
    if nd_:
        out.append((1,) + tuple(-1 for _ in shape[1:]))
    return out


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                       dashboard_address=None, host="127.0.0.1")
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


# -- equality with the in-memory draw -------------------------------------------------------
@pytest.mark.parametrize("case", SUPPORTED, ids=IDS)
@pytest.mark.parametrize("sample_shape", [(), (5, 3)])
def test_equal_to_sample_any_chunking(case, sample_shape):
    d = case.nd()
    ref = d.sample(sample_shape, rng=11)
    for chunks in _chunkings(ref.shape):
        x = ndd.sample(d, sample_shape, chunks=chunks, rng=11)
        assert x.shape == ref.shape and x.dtype == ref.dtype
        v = x.compute(scheduler="sync")
        np.testing.assert_array_equal(v, ref, err_msg=f"chunks={chunks}")


@pytest.mark.parametrize("case", SUPPORTED, ids=IDS)
def test_equal_across_stream_tiles(case):
    """Outputs of several stream tiles (65,536-element chunks, kernel grid rectangles),
    blocks that cut through tiles and through the trailing axes."""
    d = case.nd()
    n = max(2, 3 * CHUNK_ELEMS // max(1, int(np.prod(d.batch_shape + d.event_shape))) + 7)
    ss = (n,)
    ref = d.sample(ss, rng=2024)
    shape = ref.shape
    chunks = (max(1, n // 5) + 3,) + tuple(max(1, s // 2) for s in shape[1:])
    v = ndd.sample(d, ss, chunks=chunks, rng=2024).compute(scheduler="threads")
    np.testing.assert_array_equal(v, ref)


def test_every_registry_family_is_reproduced():
    """Every family of the generic registry has a plan (MixtureSameFamily, outside the
    registry, refuses clearly: tests/test_mixture.py)."""
    assert not UNSUPPORTED, f"numdist.dask does not reproduce {sorted({c.family for c in UNSUPPORTED})}"


def test_foreign_distribution_refuses_clearly():
    class MyNormal(nd.Normal):
        pass

    with pytest.raises(NotImplementedError, match="MyNormal"):
        ndd.sample(MyNormal(0.0, 1.0), (4,), rng=1)


def test_categorical_long_rows():
    """More draws per row than a chunk: the kernel's (row, piece) chunks."""
    d = nd.Categorical(probs=np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]))
    n = 2 * CHUNK_ELEMS + 100
    ref = d.sample((n,), rng=5)
    v = ndd.sample(d, (n,), chunks=(50_001, 1), rng=5).compute(scheduler="threads")
    np.testing.assert_array_equal(v, ref)
    big = nd.Categorical(logits=np.random.default_rng(0).normal(size=(3, 1000)))  # alias path
    ref = big.sample((n,), rng=6)
    np.testing.assert_array_equal(ndd.sample(big, (n,), chunks=(70_000, 2), rng=6).compute(), ref)


def test_float32_and_sample_shape_int():
    d = nd.Normal(np.zeros(3, np.float32), np.float32(2.0))
    ref = d.sample(100_000, rng=3)
    v = ndd.sample(d, 100_000, chunks=(33_333, 2), rng=3).compute()
    assert v.dtype == np.float32
    np.testing.assert_array_equal(v, ref)


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
@pytest.mark.parametrize("case_id", ["normal-broadcast", "categorical-probs-zeros", "mvn-cov-loc-broadcast",
                                     "relaxed-probs-batched", "exponential-matrix", "independent-2"])
def test_threads_and_processes(scheduler, case_id):
    case = next(c for c in CASES if c.id == case_id)
    d = case.nd()
    ref = d.sample((700, 2), rng=9)
    chunks = (101, 1) + tuple(max(1, s // 2) for s in ref.shape[2:])
    v = ndd.sample(d, (700, 2), chunks=chunks, rng=9).compute(scheduler=scheduler)
    np.testing.assert_array_equal(v, ref)


def test_every_family_on_local_cluster(client):
    """The equality on a real cluster: two worker processes over loopback."""
    xs, refs = [], []
    for case in SUPPORTED:
        d = case.nd()
        ref = d.sample((40, 3), rng=77)
        chunks = (7,) + tuple(max(1, s // 2) for s in ref.shape[1:])
        xs.append(ndd.sample(d, (40, 3), chunks=chunks, rng=77))
        refs.append(ref)
    got = client.compute(xs, sync=True)
    for case, v, ref in zip(SUPPORTED, got, refs):
        np.testing.assert_array_equal(v, ref, err_msg=case.id)
    # both workers did work
    assert len(client.scheduler_info()["workers"]) == 2


def test_large_sample_on_local_cluster(client):
    d = nd.Normal(1.0, 2.0)
    n = 5 * CHUNK_ELEMS + 123
    x = ndd.sample(d, (n,), chunks=(n // 7,), rng=12)
    np.testing.assert_array_equal(client.compute(x, sync=True), d.sample((n,), rng=12))
    m = client.compute(x.mean(), sync=True)
    assert abs(m - 1.0) < 0.05


# -- the graph -------------------------------------------------------------------------------
def test_huge_graph_built_fast_and_one_chunk_alone():
    d = nd.Normal(0.0, 1.0)
    t0 = time.perf_counter()
    x = ndd.sample(d, (10**10,), chunks=(10**7,), rng=1)
    built = time.perf_counter() - t0
    assert x.numblocks == (1000,)
    assert built < 1.0, f"graph of 1000 chunks built in {built:.2f} s"
    t0 = time.perf_counter()
    b = x.blocks[537].compute(scheduler="sync")
    alone = time.perf_counter() - t0
    assert b.shape == (10**7,)
    # the same numbers from another chunking, and straight from the stream's chunks
    y = ndd.sample(d, (10**10,), chunks=(5 * 10**6,), rng=1)
    np.testing.assert_array_equal(b[:5 * 10**6], y.blocks[1074].compute())
    start = 537 * 10**7
    c0 = start // CHUNK_ELEMS
    g = nd.random.Xoshiro256x8(1)
    g.state = dict(g.state, state={"key": g.state["state"]["key"], "counter": c0 * CHUNK_BLOCKS})
    direct = nd.random.standard_normal(CHUNK_ELEMS, rng=g)  # chunk c0 is its own stream
    off = start - c0 * CHUNK_ELEMS
    np.testing.assert_array_equal(b[:CHUNK_ELEMS - off], direct[off:])
    assert alone < 10.0


def test_building_draws_nothing(monkeypatch):
    calls = []
    for plan in (ndd._ElementwisePlan, ndd._GridPlan, ndd._RelaxedPlan):
        orig = plan.block

        def spy(self, *a, _orig=orig, **k):
            calls.append(type(self).__name__)
            return _orig(self, *a, **k)

        monkeypatch.setattr(plan, "block", spy)
    g = nd.random.Xoshiro256x8(0)
    xs = [ndd.sample(c.nd(), (1000,), chunks=10, rng=g) for c in SUPPORTED]
    assert calls == []
    xs[0].blocks[3].compute(scheduler="sync")
    assert calls == ["_ElementwisePlan"]


def test_graph_pickles_small():
    d = nd.Normal(np.zeros(1000), 1.0)
    x = ndd.sample(d, (10**6,), chunks=(10**4, 1000), rng=0)
    size = len(pickle.dumps(dict(x.__dask_graph__())))
    assert size < 200_000  # parameters once, not once per block


# -- streams ---------------------------------------------------------------------------------
def test_different_seeds_differ():
    d = nd.Normal(np.zeros(4), 1.0)
    a = ndd.sample(d, (1000,), chunks=100, rng=0).compute()
    b = ndd.sample(d, (1000,), chunks=100, rng=1).compute()
    assert not np.any(a == b)
    c = ndd.sample(d, (1000,), chunks=100, rng=np.random.SeedSequence(0)).compute()
    np.testing.assert_array_equal(a, c)


def test_chunks_are_independent_streams():
    """Each 65,536-element chunk of the output is the start of its own stream (blocks
    base + c * 2^20), not a continuation of the previous chunk: adjacent chunks are
    uncorrelated and chunk c equals a fresh draw from that block range."""
    n = 8 * CHUNK_ELEMS
    x = ndd.sample(nd.Uniform(0.0, 1.0), (n,), chunks=(CHUNK_ELEMS // 3,), rng=4).compute()
    tiles = x.reshape(8, CHUNK_ELEMS)
    key = nd.random.Xoshiro256x8(4).state["state"]["key"]
    for c in range(8):
        g = nd.random.Xoshiro256x8(0)
        g.state = {"bit_generator": "Xoshiro256x8", "seeding": 2,
                   "state": {"key": key, "counter": c * CHUNK_BLOCKS}, "buffered": 0}
        np.testing.assert_array_equal(tiles[c], nd.random.uniform(size=CHUNK_ELEMS, rng=g))
    r = np.corrcoef(tiles)
    off = r[~np.eye(8, dtype=bool)]
    assert np.abs(off).max() < 5 / np.sqrt(CHUNK_ELEMS)
    assert len({t.tobytes() for t in tiles}) == 8


# -- rng= ------------------------------------------------------------------------------------
def test_rng_none_is_refused():
    with pytest.raises(TypeError, match="global generator"):
        ndd.sample(nd.Normal(0.0, 1.0), (10,), rng=None)
    with pytest.raises(TypeError, match="rng must be"):
        ndd.sample(nd.Normal(0.0, 1.0), (10,), rng="seed")
    with pytest.raises(ValueError, match="non-negative"):
        ndd.sample(nd.Normal(0.0, 1.0), (10,), rng=-1)


@pytest.mark.parametrize("case", SUPPORTED, ids=IDS)
def test_xoshiro_is_advanced_like_sample(case):
    d = case.nd()
    g1, g2 = nd.random.Xoshiro256x8(31), nd.random.Xoshiro256x8(31)
    np.random.Generator(g1).random(5)  # buffered words for scalar draws
    np.random.Generator(g2).random(5)
    ref = d.sample((6, 2), rng=g1)
    x = ndd.sample(d, (6, 2), chunks=3, rng=g2)
    assert g2.state == g1.state  # before any compute
    np.testing.assert_array_equal(x.compute(), ref)
    # a state dict is a value: used as is, nothing advanced
    g3 = nd.random.Xoshiro256x8(5)
    st = g3.state
    np.testing.assert_array_equal(ndd.sample(d, (4,), chunks=2, rng=st).compute(), d.sample((4,), rng=g3))


def test_numpy_generator_keys_once_at_build():
    d = nd.Normal(np.zeros(3), 1.0)
    g1, g2 = np.random.default_rng(8), np.random.default_rng(8)
    ref = d.sample((50,), rng=g1)
    x = ndd.sample(d, (50,), chunks=(7, 2), rng=g2)
    assert g2.bit_generator.state == g1.bit_generator.state  # two words taken, at build
    before = g2.bit_generator.state
    np.testing.assert_array_equal(x.compute(), ref)
    np.testing.assert_array_equal(x.compute(), ref)  # computing again takes nothing
    assert g2.bit_generator.state == before
    y = ndd.sample(d, (50,), chunks=(7, 2), rng=g2)  # the next call: next key
    np.testing.assert_array_equal(y.compute(), d.sample((50,), rng=g1))
    # MT19937 through next_uint64 too
    m1, m2 = np.random.Generator(np.random.MT19937(3)), np.random.MT19937(3)
    np.testing.assert_array_equal(ndd.sample(d, (9,), chunks=4, rng=m2).compute(), d.sample((9,), rng=m1))


def test_relaxed_with_foreign_generator_not_implemented():
    case = next(c for c in CASES if c.family == "RelaxedOneHotCategorical")
    g = np.random.default_rng(0)
    before = g.bit_generator.state
    with pytest.raises(NotImplementedError, match="word by word"):
        ndd.sample(case.nd(), (3,), rng=g)
    assert g.bit_generator.state == before


def test_unsupported_family():
    class MyNormal(nd.Normal):
        pass

    with pytest.raises(NotImplementedError, match="supports numdist's own families"):
        ndd.sample(MyNormal(0.0, 1.0), (3,), rng=0)
    assert "Normal" in ndd.supported_families()


def test_empty_draws():
    d = nd.Normal(np.zeros(3), 1.0)
    g = np.random.default_rng(0)
    before = g.bit_generator.state
    x = ndd.sample(d, (0,), rng=g)
    assert x.shape == (0, 3) and x.compute().shape == (0, 3)
    assert g.bit_generator.state == before  # an empty draw takes no words


# -- log_prob ----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", SUPPORTED, ids=IDS)
def test_log_prob_blockwise(case):
    d = case.nd()
    v = d.sample((9, 2), rng=3)
    x = dask.array.from_array(v, chunks=(4, 1) + tuple(max(1, s // 2) for s in v.shape[2:]))
    lp = ndd.log_prob(d, x)
    ref = d.log_prob(v)
    assert lp.shape == ref.shape
    got = lp.compute()
    assert got.dtype == ref.dtype
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=0)


def test_log_prob_broadcasts_and_runs_on_cluster(client):
    d = nd.Normal(np.arange(4.0), 2.0)
    x = ndd.sample(nd.Normal(0.0, 1.0), (1000, 1), chunks=(100, 1), rng=0)
    lp = ndd.log_prob(d, x)
    assert lp.shape == (1000, 4)
    np.testing.assert_allclose(client.compute(lp, sync=True), d.log_prob(x.compute()), rtol=1e-14)
    with pytest.raises(ValueError, match="broadcast"):
        ndd.log_prob(d, dask.array.zeros((5, 3)))


def test_transformed_with_array_transform_parameters_is_refused():
    T = nd.transforms
    d = nd.TransformedDistribution(nd.Normal(np.zeros(3), 1.0), [T.AffineTransform(np.arange(3.0), 2.0)])
    with pytest.raises(NotImplementedError, match="AffineTransform"):
        ndd.sample(d, (4,), chunks=2, rng=0)


# -- what a block costs on a worker (the bench rows, docs/performance.md) ----------------------
@pytest.mark.parametrize("dist,shape,chunks", [(nd.Normal(0.0, 1.0), (160_000,), 10_000),
                                               (nd.Normal(np.zeros(40), 1.0), (400,), (25, 40)),
                                               (nd.Gamma(np.full(8, 2.5), 1.0), (2000,), (125, 8))])
def test_reductions_fuse_into_the_block_tasks(dist, shape, chunks):
    """sample is a blockwise layer: an element-wise step and the per-block part of a
    reduction after it run in the task that draws the block (one task per block after
    Dask's optimisation, plus the plan, the stream and the reduction's tree), with the
    numbers of the in-memory draw."""
    x = ndd.sample(dist, shape, chunks=chunks, rng=5)
    nblocks = int(np.prod(x.numblocks))
    y = (2.0 * x + 1.0).sum(axis=0)
    (opt,) = dask.optimize(y)
    tasks = len(dict(opt.__dask_graph__()))
    assert tasks < 2 * nblocks, (tasks, nblocks)  # unfused: a draw task and a sum task per block
    ref = (2.0 * dist.sample(shape, rng=5) + 1.0).sum(axis=0)
    np.testing.assert_allclose(y.compute(scheduler="sync"), ref, rtol=1e-12)


def test_block_draws_on_one_thread_whatever_numdist_threads(monkeypatch):
    """A block draws with one numdist thread even when numdist would use more (a dask
    worker process sees all cores; its tasks are the parallelism), with the same numbers."""
    from numdist import _elementwise

    seen = []
    orig = _elementwise.fill_tiles

    def spy(*a, nthreads=0, **k):
        seen.append(nthreads)
        return orig(*a, nthreads=nthreads, **k)

    monkeypatch.setattr(_elementwise, "fill_tiles", spy)
    d = nd.Normal(0.0, 1.0)
    n = 4 * CHUNK_ELEMS + 5
    saved = nd.get_num_threads()
    nd.set_num_threads(2)
    try:
        v = ndd.sample(d, (n,), chunks=(n // 3,), rng=4).compute(scheduler="threads")
    finally:
        nd.set_num_threads(saved)
    assert seen and set(seen) == {1}
    np.testing.assert_array_equal(v, d.sample((n,), rng=4))


def test_bench_workers_reuse_freed_blocks():
    """The bench rows' workers start with glibc settings under which a freed 31 MB block
    is reused by the next one (distributed's own MALLOC_TRIM_THRESHOLD_=65536 maps every
    block afresh: about 500 page faults and 3 ms of kernel page zeroing each); the
    client's environment is left as it was."""
    import os

    if os.environ.get("ND_SANITIZE"):
        pytest.skip("under .ci/sanitize ASan's allocator replaces glibc's malloc, whose settings this checks")

    from numdist.benchmarks import dask as bench

    before = {k: os.environ.get(k) for k in bench.WORKER_MALLOC_ENV}
    c = bench._client(1)
    try:
        assert {k: os.environ.get(k) for k in bench.WORKER_MALLOC_ENV} == before
        (env,) = bench.worker_malloc_env(c).values()
        assert env == bench.WORKER_MALLOC_ENV

        def refaults():
            import resource

            n = 10**9 // 256  # one block of the bench row at scale 1
            a = np.empty(n)
            a.fill(1.0)
            del a
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            b = np.empty(n)
            b.fill(2.0)
            return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0

        assert c.submit(refaults, pure=False).result() < 50
    finally:
        bench._close()


def test_blocks_reuse_their_tile_memory_without_page_faults():
    """A block's stream tiles come from numdist's tile pool: the next block of the same
    size (or a tile smaller) gets the same pages back, already mapped, so drawing it
    takes next to no page faults whatever the process's malloc settings (distributed's
    default maps every large allocation afresh). Tile stores of other sizes, and more
    than the pool keeps, go back to the C library."""
    import resource

    import dask

    from numdist import _fused

    n = 10**7  # 2 blocks of 5e6 normals: 77 tiles of 65536 each, 40 MB
    x = ndd.sample(nd.Normal(0.0, 1.0), (n,), chunks=n // 2, rng=3)
    with dask.config.set(scheduler="synchronous"):
        faults = []
        for i in (0, 1, 0):  # a block drawn and summed in one task, as a reduction does
            f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            x.blocks[i].sum().compute()
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
        first, second = x.blocks[0].compute(), x.blocks[1].compute()
    assert faults[1] < 100 and faults[2] < 100, faults  # 40 MB of fresh 4 KiB pages: about 10,000
    np.testing.assert_array_equal(np.concatenate([first, second]), nd.Normal(0.0, 1.0).sample((n,), rng=3))
    blocks, nbytes = _fused.pool_state(tiles=True)
    assert 1 <= blocks <= 4 and 77 * 65536 * 8 <= nbytes <= 512 << 20
    # the pool's arrays are ordinary, 64-byte aligned, and a size it does not keep is NumPy's
    t = _fused.empty_tiles((3, 65536), np.dtype(np.float64))
    assert t.flags.owndata and t.ctypes.data % 64 == 0
    assert _fused.empty_tiles((10,), np.dtype(np.float64)).shape == (10,)
