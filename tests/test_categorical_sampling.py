"""Categorical sampling: the alias and CDF paths, nd.AliasTable, nd.random.categorical
and Categorical.sample. Goodness of fit (chi-square), zero-probability categories,
exact alias tables, the word-per-draw contract against a Python reference, layouts
(broadcast rows, strided/negative/read-only operands, out= views), threads, and bad
input with validation on and off."""
import pickle

import numpy as np
import pytest
from scipy import stats

import numdist as nd
from numdist import _categorical
from numdist.alias import AliasTable, categorical

pytestmark = pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")

P_MIN = 1e-4  # chi-square p-value floor (seeds are fixed: a pass is reproducible)


@pytest.fixture
def restore_threads():
    n = nd.get_num_threads()
    yield
    nd.set_num_threads(n)


def _rows(p):
    return np.ascontiguousarray(np.atleast_2d(np.asarray(p, dtype=np.float64)))


def _draw(p, n, alias, rng=0):
    """n draws from the single row p by the chosen path (the binding directly)."""
    return _categorical.sample_rows(rng, _rows(p), n, alias=alias)[:, 0]


def _chisquare(counts, p, n):
    expected = n * np.asarray(p, dtype=np.float64) / np.sum(p)
    return stats.chisquare(counts, expected).pvalue


# ----------------------------------------------------------------------------------
# Goodness of fit: 1e6 draws, K in {2, 3, 1000, 100000}, both paths
# ----------------------------------------------------------------------------------
@pytest.mark.parametrize("alias", [True, False], ids=["alias", "cdf"])
@pytest.mark.parametrize("k", [2, 3, 1000, 100_000])
def test_chisquare_one_row(k, alias):
    rng = np.random.default_rng(k)
    p = rng.uniform(0.5, 1.5, size=k)  # >= 5 expected draws per category for K = 1e5
    n = 10**6
    x = _draw(p, n, alias, rng=k + alias)
    assert x.dtype == np.int64 and x.min() >= 0 and x.max() < k
    assert _chisquare(np.bincount(x, minlength=k), p, n) > P_MIN


def test_chisquare_detects_a_wrong_distribution():
    """The goodness-of-fit check has power: draws from p do not fit a slightly different q."""
    p = np.linspace(1.0, 2.0, 10)
    x = _draw(p, 10**6, True)
    q = p.copy()
    q[0] *= 1.05
    assert _chisquare(np.bincount(x, minlength=10), q, 10**6) < 1e-6


@pytest.mark.parametrize("alias", [True, False], ids=["alias", "cdf"])
def test_chisquare_skewed_rows(alias):
    n = 10**6
    # one category at 1 - 1e-9: the others are (almost) never drawn
    p = np.array([5e-10, 1 - 1e-9, 5e-10])
    counts = np.bincount(_draw(p, n, alias, rng=1), minlength=3)
    pooled = [counts[1], counts[0] + counts[2]]
    assert stats.chisquare(pooled, [n * (1 - 1e-9), n * 1e-9]).pvalue > P_MIN
    assert counts[1] >= n - 3
    # one category at 0.99, 999 sharing 0.01: pooled into bins of about 100 expected draws
    q = np.r_[0.99, np.random.default_rng(0).uniform(0.5, 1.5, 999)]
    q[1:] *= 0.01 / q[1:].sum()
    counts = np.bincount(_draw(q, n, alias, rng=2), minlength=1000)
    bins = [counts[0]] + [counts[1 + 100 * i:1 + 100 * (i + 1)].sum() for i in range(10)]
    exp = [q[0]] + [q[1 + 100 * i:1 + 100 * (i + 1)].sum() for i in range(10)]
    assert _chisquare(bins, exp, n) > P_MIN


def test_alias_table_is_exact_for_skewed_rows():
    """The table gives each category its probability to ~2**-63 absolute, so a
    1e-9 (or 1e-15) category is neither lost nor inflated."""
    for p in ([1 - 1e-9, 1e-9], [5e-10, 1 - 1e-9, 5e-10], [1 - 1e-15, 1e-15, 0.0],
              np.r_[1.0, np.full(999, 1e-12)]):
        p = np.asarray(p, dtype=np.float64)
        got = AliasTable(p).probs
        np.testing.assert_allclose(got, p / p.sum(), rtol=1e-12, atol=2.0**-60)
        assert got[p == 0].max(initial=0.0) == 0.0


def test_chisquare_batched_rows_alias():
    """1000 rows x K=100, 1000 draws each (the harness row): every row fits its own probs
    (sum of per-row chi-square statistics against chi2 with rows*(K-1) dof)."""
    rng = np.random.default_rng(5)
    p = rng.uniform(0.5, 1.5, size=(1000, 100))
    d = nd.Categorical(probs=p)
    x = d.sample((1000,), rng=11)
    assert x.shape == (1000, 1000)
    counts = np.zeros((1000, 100))
    np.add.at(counts, (np.broadcast_to(np.arange(1000), x.shape), x), 1)
    expected = 1000 * p / p.sum(-1, keepdims=True)
    stat = ((counts - expected) ** 2 / expected).sum()
    assert stats.chi2.sf(stat, 1000 * 99) > P_MIN
    # and a row mix-up would be caught: compare against the rows shifted by one
    wrong = ((counts - np.roll(expected, 1, 0)) ** 2 / np.roll(expected, 1, 0)).sum()
    assert stats.chi2.sf(wrong, 1000 * 99) < 1e-6


def test_chisquare_many_rows_one_draw_each_cdf():
    """1e5 rows x K=16, one draw per row (CDF path): rows cycle through 4 distinct
    probability vectors; each group of rows fits its vector."""
    rng = np.random.default_rng(6)
    base = rng.uniform(0.1, 2.0, size=(4, 16))
    p = np.tile(base, (25_000, 1))
    x = nd.Categorical(probs=p).sample(rng=3)
    assert x.shape == (100_000,) and not _categorical.prefer_alias(16, 1)
    for g in range(4):
        counts = np.bincount(x[g::4], minlength=16)
        assert _chisquare(counts, base[g], 25_000) > P_MIN


def test_public_entry_points_fit():
    p = np.array([0.1, 0.0, 0.2, 0.3, 0.4])
    n = 10**6
    for x in (categorical(p, size=n, rng=0), categorical(logits=np.log(p), size=n, rng=1),
              AliasTable(p).sample(n, rng=2), nd.Categorical(probs=p).sample((n,), rng=3),
              nd.Categorical(probs=p).expand((n,)).sample(rng=4)):  # last: CDF, one draw per row
        counts = np.bincount(x, minlength=5)
        assert counts[1] == 0
        keep = p > 0
        assert _chisquare(counts[keep], p[keep], n) > P_MIN


# ----------------------------------------------------------------------------------
# Zero-probability categories are never drawn (1e7 draws)
# ----------------------------------------------------------------------------------
def _zero_pattern(k):
    p = np.random.default_rng(k).uniform(0.5, 1.5, size=k)
    p[0] = p[-1] = 0.0
    p[1::3] = 0.0
    p[2::7] = -0.0
    return p


@pytest.mark.parametrize("alias", [True, False], ids=["alias", "cdf"])
@pytest.mark.parametrize("k", [3, 4, 1000])
def test_zero_probability_never_drawn_1e7(k, alias):
    p = _zero_pattern(k)
    if k == 3:
        p = np.array([0.0, 1.0, 0.0])
    if k == 4:
        p = np.array([0.0, 1e-300, 0.0, 1.0])
    x = _draw(p, 10**7, alias, rng=k)
    counts = np.bincount(x, minlength=k)
    assert counts.size == k and counts[p == 0].sum() == 0
    assert counts[p > 0].sum() == 10**7


def test_zero_probability_never_drawn_logits_neginf():
    x = np.log(_zero_pattern(200))  # -inf where zero
    d = nd.Categorical(logits=x)
    s = d.sample((10**7,), rng=0)
    assert np.bincount(s, minlength=200)[np.isneginf(x)].sum() == 0
    s = categorical(logits=np.broadcast_to(x, (50_000, 200)), rng=1)  # CDF, one draw per row
    assert np.bincount(s, minlength=200)[np.isneginf(x)].sum() == 0


def test_tiny_and_huge_weights():
    """Rows are rescaled by powers of two: subnormal and overflowing sums still work."""
    for w in ([5e-324, 1e-323, 0.0], [1e308, 1.5e308, 0.0], [1e-310, 1e-310, 0.0], [1.7e308, 1.7e308, 0.0]):
        for alias in (True, False):
            x = _draw(np.array(w), 30_000, alias, rng=1)
            counts = np.bincount(x, minlength=3)
            assert counts[2] == 0
            frac = counts[0] / 30_000
            target = 1.0 / (1.0 + w[1] / w[0])
            assert abs(frac - target) < 0.02


def test_single_category_and_k2():
    assert (categorical([3.0], size=1000, rng=0) == 0).all()
    assert (nd.Categorical(probs=np.ones((4, 1))).sample((100,), rng=0) == 0).all()
    x = categorical([0.25, 0.75], size=10**6, rng=0)
    assert abs(x.mean() - 0.75) < 0.002


# ----------------------------------------------------------------------------------
# The contract with the random source: one 64-bit word per draw, in row order
# ----------------------------------------------------------------------------------
def _alias_reference(table, words, k):
    out = []
    for u in words:
        prod = int(u) * k
        j, frac = prod >> 64, prod & (2**64 - 1)
        out.append(j if frac < int(table["thresh"][j]) else int(table["alias"][j]))
    return np.array(out, dtype=np.int64)


def _cdf_reference(p, words):
    cum = np.cumsum(p)
    x = (np.asarray(words, dtype=np.uint64) >> np.uint64(11)).astype(np.float64) * 2.0**-53 * cum[-1]
    return np.searchsorted(cum, x, side="right")


def _keyed_words(bitgen, n):
    """The words a numdist draw uses when given a NumPy bit generator: two next_uint64
    words (random_raw for PCG64) key a fresh Xoshiro256x8 stream read from block 0
    (docs/stream-contract.md)."""
    key = [int(w) for w in bitgen.random_raw(2)]
    x = nd.random.Xoshiro256x8(0)
    x.state = {"bit_generator": "Xoshiro256x8", "seeding": 2, "state": {"key": key, "counter": 0}}
    return x.random_raw(n)


def test_alias_draws_match_a_python_reference():
    p = np.random.default_rng(1).random(37)
    p[[3, 10]] = 0
    t = AliasTable(p)
    words = _keyed_words(np.random.PCG64(5), 3000)
    got = t.sample(3000, rng=np.random.Generator(np.random.PCG64(5)))
    np.testing.assert_array_equal(got, _alias_reference(t.table, words, 37))


@pytest.mark.parametrize("k", [3, 50])  # linear count and binary search
def test_cdf_draws_match_a_python_reference(k):
    p = np.random.default_rng(k).random(k)
    p[1] = 0
    words = _keyed_words(np.random.PCG64(6), 2000)
    got = _draw(p, 2000, False, rng=np.random.Generator(np.random.PCG64(6)))
    np.testing.assert_array_equal(got, _cdf_reference(p, words))


@pytest.mark.parametrize("n,k,nrows", [(1000, 1000, 1), (5, 16, 300), (200_000, 1000, 1), (1, 16, 70_000),
                                       (100_000, 100_000, 1)])
def test_numpy_generator_advanced_by_two_words_per_call(n, k, nrows):
    p = np.random.default_rng(0).random((nrows, k))
    g = np.random.Generator(np.random.PCG64(9))
    ref = np.random.PCG64(9)
    x = categorical(p, size=(n, nrows), rng=g)
    ref.random_raw(2)
    assert g.bit_generator.state == ref.state
    assert x.shape == (n, nrows)
    # the stream continues where numdist left it
    assert g.random() == np.random.Generator(ref).random()


def test_row_order_of_the_stream():
    """Row r's draws use words r*n .. r*n+n-1 of the (one-chunk) stream."""
    p = np.random.default_rng(2).random((3, 20))
    x = categorical(p, size=(40, 3), rng=np.random.Generator(np.random.PCG64(1)))
    words = _keyed_words(np.random.PCG64(1), 120).reshape(3, 40)
    alias = _categorical.prefer_alias(20, 40)
    for r in range(3):
        if alias:
            expect = _alias_reference(AliasTable(p[r]).table, words[r], 20)
        else:
            expect = _cdf_reference(p[r], words[r])
        np.testing.assert_array_equal(x[:, r], expect)


# ----------------------------------------------------------------------------------
# Reproducibility: seeds, cached tables, threads
# ----------------------------------------------------------------------------------
def test_same_seed_same_numbers_and_cache_does_not_change_them():
    p = np.random.default_rng(3).random((4, 100))
    d = nd.Categorical(probs=p)
    assert "_alias_table" not in d.__dict__
    a = d.sample((500,), rng=7)  # alias path: builds and caches the table
    assert "_alias_table" in d.__dict__
    b = d.sample((500,), rng=7)  # uses the cached table
    c = nd.Categorical(probs=p).sample((500,), rng=7)
    f = categorical(p, size=(500, 4), rng=7)  # fused build-and-draw
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(a, f)
    np.testing.assert_array_equal(a, AliasTable(p).sample((500, 4), rng=7))
    assert not np.array_equal(a, d.sample((500,), rng=8))
    # the CDF path (few draws per row) is reproducible too, and equals the functional API
    np.testing.assert_array_equal(d.sample((3,), rng=1), categorical(p, size=(3, 4), rng=1))
    np.testing.assert_array_equal(d.sample((3,), rng=1), d.sample((3,), rng=1))


def test_global_generator_and_manual_seed():
    p = [0.2, 0.3, 0.5]
    nd.manual_seed(4)
    a = [categorical(p, size=1000) for _ in range(2)]
    nd.manual_seed(4)
    b = [categorical(p, size=1000) for _ in range(2)]
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])


def _thread_workload():
    rng = np.random.default_rng(0)
    p1 = rng.random(1000)
    pb = rng.random((300, 100))
    pc = rng.random((200_000, 16))
    big = rng.random(100_000)
    tab = AliasTable(pb)
    return {
        "alias-one-row-pieces": categorical(p1, size=300_001, rng=5),
        "alias-batched": nd.Categorical(probs=pb).sample((1000,), rng=5),
        "alias-fused": categorical(pb, size=(1000, 300), rng=5),
        "cdf-many-rows": nd.Categorical(probs=pc).sample(rng=5),
        "cdf-one-row-pieces": _categorical.sample_rows(5, _rows(big), 200_000, alias=False),
        "table": tab.sample((700, 300), rng=5),
        "strided-out": categorical(pb, out=np.zeros((600, 600), dtype=np.int64)[::-2, ::2], rng=5),
    }


def test_same_numbers_for_any_thread_count(restore_threads):
    nd.set_num_threads(1)
    one = _thread_workload()
    nd.set_num_threads(2)
    two = _thread_workload()
    nd.set_num_threads(3)
    three = _thread_workload()
    for key in one:
        np.testing.assert_array_equal(one[key], two[key], err_msg=key)
        np.testing.assert_array_equal(one[key], three[key], err_msg=key)


# ----------------------------------------------------------------------------------
# Layout: rows broadcast against size, operand strides, out= views
# ----------------------------------------------------------------------------------
def _one_hot_rows(rows_shape, k):
    """Row i puts all its mass on category i % k: every draw reveals its row."""
    n = int(np.prod(rows_shape, dtype=np.int64))
    cat = (np.arange(n) % k).reshape(rows_shape)
    p = (cat[..., None] == np.arange(k)).astype(np.float64)
    return p, cat


LAYOUTS = [((), ()), ((), (5,)), ((3,), (3,)), ((3,), (50, 3)), ((3, 1), (3, 4)), ((3, 1), (3, 60)),
           ((1, 3), (40, 3)), ((2, 3), (7, 2, 3)), ((3, 1, 2), (2, 3, 5, 2)), ((3, 1, 2), (2, 3, 50, 2)),
           ((1,), (4,)), ((4,), (0, 4)), ((0,), (3, 0)), ((1, 1), (2, 1, 3))]


@pytest.mark.parametrize("rows_shape,size", LAYOUTS, ids=str)
def test_rows_broadcast_against_size(rows_shape, size):
    k = 8
    p, cat = _one_hot_rows(rows_shape, k)
    expected = np.broadcast_to(cat, size)
    for name, value in (("p", p), ("logits", np.log(p))):
        x = categorical(**{name: value}, size=size, rng=0)
        assert isinstance(x, np.ndarray) and x.shape == tuple(size) and x.dtype == np.int64
        np.testing.assert_array_equal(x, expected)
    np.testing.assert_array_equal(AliasTable(p).sample(size, rng=0), expected)
    out = np.full(size, -5, dtype=np.int64)
    assert categorical(p, size=size, out=out, rng=0) is out
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("rows_shape,size", [((3,), (3,)), ((2, 3), (2, 3)), ((3, 1), (5,)), ((4,), (2, 3)),
                                             ((3,), (1,))], ids=str)
def test_shapes_that_do_not_broadcast_are_refused(rows_shape, size):
    p, _ = _one_hot_rows(rows_shape, 4)
    try:
        ok = np.broadcast_shapes(rows_shape, size) == tuple(size)
    except ValueError:
        ok = False
    if ok:
        categorical(p, size=size, rng=0)
        return
    with pytest.raises(ValueError, match="shape mismatch"):
        categorical(p, size=size, rng=0)
    with pytest.raises(ValueError, match="shape mismatch"):
        AliasTable(p).sample(size, rng=0)


def test_size_none():
    x = categorical([0.5, 0.5], rng=0)
    assert type(x) is int and x in (0, 1)
    assert type(AliasTable([0.5, 0.5]).sample(rng=0)) is int
    x = categorical(np.eye(3), rng=0)
    np.testing.assert_array_equal(x, [0, 1, 2])
    np.testing.assert_array_equal(AliasTable(np.eye(3)).sample(rng=0), [0, 1, 2])
    out = np.zeros((4, 3), dtype=np.int64)
    categorical(np.eye(3), out=out, rng=0)  # size taken from out
    np.testing.assert_array_equal(out, np.broadcast_to([0, 1, 2], (4, 3)))
    assert categorical([1.0], size=(), rng=0).shape == ()


def _weights_views(p):
    """The same rows as differently laid out (read-only, strided, negative-stride) arrays."""
    views = {}
    ro = p.copy()
    ro.flags.writeable = False
    views["read-only"] = ro
    wide = np.zeros(p.shape[:-1] + (2 * p.shape[-1],))
    wide[..., ::2] = p
    views["step2"] = wide[..., ::2]
    views["negative-col"] = np.ascontiguousarray(p[..., ::-1])[..., ::-1]
    views["negative-row"] = np.ascontiguousarray(p[::-1])[::-1]
    views["fortran"] = np.asfortranarray(p)
    raw = np.zeros(p.size * 8 + 1, dtype=np.uint8)
    views["misaligned"] = np.frombuffer(raw[1:].data, dtype=np.float64).reshape(p.shape)
    views["misaligned"][...] = p
    return views


@pytest.mark.parametrize("n", [1, 2000], ids=["cdf", "alias"])
def test_operand_layouts_give_identical_draws(n):
    p = np.random.default_rng(8).random((5, 40))
    p[:, 3] = 0
    ref_f = categorical(p, size=(n, 5), rng=3)
    ref_d = nd.Categorical(probs=p).sample((n,), rng=3)
    ref_t = AliasTable(p).sample((n, 5), rng=3)
    for name, v in _weights_views(p).items():
        np.testing.assert_array_equal(categorical(v, size=(n, 5), rng=3), ref_f, err_msg=name)
        np.testing.assert_array_equal(nd.Categorical(probs=v).sample((n,), rng=3), ref_d, err_msg=name)
        np.testing.assert_array_equal(AliasTable(v).sample((n, 5), rng=3), ref_t, err_msg=name)
    assert not np.shares_memory(AliasTable(p).table, p)


def test_float32_probs_give_int64_and_the_same_draws_as_their_float64_values():
    p = np.random.default_rng(9).random((3, 30)).astype(np.float32)
    for n in (1, 1000):
        x = categorical(p, size=(n, 3), rng=2)
        assert x.dtype == np.int64
        np.testing.assert_array_equal(x, categorical(p.astype(np.float64), size=(n, 3), rng=2))
        d = nd.Categorical(probs=p)
        s = d.sample((n,), rng=2)
        assert s.dtype == np.int64 and s.shape == (n, 3)
        lx = nd.Categorical(logits=np.log(p)).sample((n,), rng=2)
        assert lx.dtype == np.int64
    np.testing.assert_array_equal(AliasTable(p).table, AliasTable(p.astype(np.float64)).table)


def _out_views(shape):
    """(base, view) pairs: the view must be filled, the rest of base left alone."""
    n = int(np.prod(shape))
    views = {}
    base = np.full(n, -7, dtype=np.int64)
    views["contiguous"] = (base, base.reshape(shape))
    base = np.full(shape[:-1] + (2 * shape[-1],), -7, dtype=np.int64)
    views["step2"] = (base, base[..., ::2])
    base = np.full(shape, -7, dtype=np.int64)
    views["negative"] = (base, base[::-1, ::-1])
    base = np.full(shape[::-1], -7, dtype=np.int64)
    views["transposed"] = (base, base.T)
    base = np.full((shape[0], 3, shape[1]), -7, dtype=np.int64)
    views["gapped"] = (base, base[:, 1, :])
    return views


@pytest.mark.parametrize("n", [3, 3000], ids=["cdf", "alias"])
def test_out_views_are_filled_in_place(n):
    p = np.random.default_rng(10).random((4, 20))
    shape = (n, 4)
    ref = categorical(p, size=shape, rng=4)
    for name, (base, view) in _out_views(shape).items():
        res = categorical(p, out=view, rng=4)
        assert res is view
        np.testing.assert_array_equal(view, ref, err_msg=name)
        assert (base != -7).sum() == view.size, name
        res = AliasTable(p).sample(out=view, rng=4)
        assert res is view


def test_out_view_that_cannot_be_flattened():
    """Rows (3, 1, 2) broadcast to (2, 3, 5, 2): the draw dims of a negative-stride out
    cannot be flattened into one stride; the result must still be in place and right."""
    p, cat = _one_hot_rows((3, 1, 2), 8)
    base = np.full((2, 3, 5, 4), -7, dtype=np.int64)
    view = base[::-1, :, ::-1, ::2]
    categorical(p, out=view, rng=0)
    np.testing.assert_array_equal(view, np.broadcast_to(cat, view.shape))
    assert (base[..., 1::2] == -7).all()


def test_out_misuse_is_refused_before_writing():
    p = np.array([[0.2, 0.8], [0.5, 0.5]])
    for fn in (lambda **kw: categorical(p, rng=0, **kw), lambda **kw: AliasTable(p).sample(rng=0, **kw)):
        out = np.full((3, 2), 7, dtype=np.int32)
        with pytest.raises(TypeError, match="type|dtype"):
            fn(size=(3, 2), out=out)
        out = np.full((3, 2), 7.0)
        with pytest.raises(TypeError):
            fn(size=(3, 2), out=out)
        assert (out == 7).all()
        out = np.full((3, 3), 7, dtype=np.int64)
        with pytest.raises(ValueError, match="shape"):
            fn(size=(3, 2), out=out)
        with pytest.raises(ValueError, match="shape"):
            fn(out=out)  # (3, 3) rows do not broadcast from (2,)
        assert (out == 7).all()
        out = np.full((3, 2), 7, dtype=np.int64)
        out.flags.writeable = False
        with pytest.raises(ValueError, match="read-only"):
            fn(size=(3, 2), out=out)
        assert (out == 7).all()
        with pytest.raises(TypeError):
            fn(size=(3, 2), out=[[0, 0]] * 3)


# ----------------------------------------------------------------------------------
# AliasTable
# ----------------------------------------------------------------------------------
def test_alias_table_attributes_and_exact_probabilities():
    p = np.random.default_rng(11).random((2, 3, 50))
    p[0, 1, :10] = 0
    t = AliasTable(p)
    assert t.batch_shape == (2, 3) and t.num_categories == 50
    assert t.table.shape == (2, 3, 50) and t.table.dtype.names == ("thresh", "alias")
    assert t.nbytes == 2 * 3 * 50 * 16
    np.testing.assert_allclose(t.probs, p / p.sum(-1, keepdims=True), rtol=1e-13, atol=1e-17)
    assert (t.probs[0, 1, :10] == 0).all()
    alias = t.table["alias"]
    assert ((alias >= 0) & (alias < 50)).all()
    assert (p.reshape(-1, 50)[np.arange(6)[:, None], alias.reshape(6, 50)] > 0).all()  # no alias to a zero
    assert "AliasTable" in repr(t) and "(2, 3)" in repr(t)


def test_alias_table_pickles_and_is_reusable():
    t = AliasTable([0.1, 0.2, 0.3, 0.4])
    t2 = pickle.loads(pickle.dumps(t))
    np.testing.assert_array_equal(t.sample(1000, rng=3), t2.sample(1000, rng=3))
    a, b = t.sample(1000, rng=1), t.sample(1000, rng=2)  # reused; independent streams
    assert not np.array_equal(a, b)


def test_alias_table_accepts_unnormalised_and_integer_weights():
    np.testing.assert_allclose(AliasTable([1, 3]).probs, [0.25, 0.75], rtol=1e-15)
    np.testing.assert_allclose(AliasTable(np.array([2.0, 6.0]) * 1e-310).probs, [0.25, 0.75], rtol=1e-15)
    with pytest.raises(TypeError):
        AliasTable(["a", "b"])


# ----------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------
BAD_P = [
    ([[0.2, 0.8], [0.5, -0.1]], r"\(1,\).*negative"),
    ([[0.2, 0.8], [0.0, 0.0]], r"\(1,\).*sums to zero"),
    ([[[0.2, 0.8]], [[0.1, 0.1]], [[np.nan, 0.5]]], r"\(2, 0\).*NaN"),
    ([[0.2, np.inf], [0.5, 0.5]], r"\(0,\).*inf"),
    ([[0.2, -np.inf], [0.5, 0.5]], r"\(0,\).*inf"),
    ([0.0, 0.0, 0.0], r"\(\).*sums to zero"),
]
BAD_LOGITS = [
    ([[0.0, 1.0], [-np.inf, -np.inf]], r"logits.*\(1,\).*all -inf"),
    ([[0.0, np.nan], [0.0, 0.0]], r"logits.*\(0,\).*NaN"),
    ([[0.0, 0.0], [np.inf, 0.0]], r"logits.*\(1,\).*\+inf"),
]


@pytest.mark.parametrize("value,pattern", BAD_P)
def test_bad_p_raises_naming_parameter_and_row(value, pattern):
    value = np.array(value)
    with pytest.raises(ValueError, match="p at batch index " + pattern):
        categorical(value, rng=0)
    with pytest.raises(ValueError, match="p at batch index " + pattern):
        categorical(value, size=(5000,) + value.shape[:-1], rng=0)  # alias path
    with pytest.raises(ValueError, match="probs at batch index " + pattern):
        AliasTable(value)
    out = np.full((3,) + value.shape[:-1], -7, dtype=np.int64)
    with pytest.raises(ValueError, match=pattern):
        categorical(value, out=out, rng=0)
    assert (out == -7).all()  # refused before any write


@pytest.mark.parametrize("value,pattern", BAD_LOGITS)
def test_bad_logits_raise_naming_parameter_and_row(value, pattern):
    value = np.array(value)
    with pytest.raises(ValueError, match=pattern):
        categorical(logits=value, rng=0)
    with pytest.raises(ValueError, match=pattern):
        categorical(logits=value, size=(5000, 2), rng=0)
    out = np.full((2,), -7, dtype=np.int64)
    with pytest.raises(ValueError, match=pattern):
        categorical(logits=value, out=out, rng=0)
    assert (out == -7).all()


def test_k_zero_and_argument_errors():
    for fn in (lambda v: categorical(v, rng=0), lambda v: categorical(logits=v, rng=0), AliasTable):
        with pytest.raises(ValueError, match="K = 0"):
            fn(np.zeros((3, 0)))
        with pytest.raises(ValueError, match="one-dimensional"):
            fn(0.5)
    with pytest.raises(ValueError, match="exactly one"):
        categorical(rng=0)
    with pytest.raises(ValueError, match="exactly one"):
        categorical([0.5, 0.5], logits=[0.0, 0.0], rng=0)
    with pytest.raises(ValueError, match="negative"):
        categorical([0.5, 0.5], size=-1, rng=0)
    with pytest.raises(TypeError):
        categorical([0.5, 0.5], size=2.5, rng=0)
    with pytest.raises(TypeError):
        categorical([0.5, 0.5], size=2, rng="seed")


def test_validation_off_bad_rows_do_not_crash():
    """validate_args=False: bad rows (NaN, negative, zero-sum, inf) in a large batch are
    refused by the kernels with a ValueError naming the row, on both paths; other rows
    and other distributions are unaffected."""
    p = np.random.default_rng(12).random((1000, 20))
    p[417, 3] = np.nan
    d = nd.Categorical(probs=p, validate_args=False)
    for shape in ((), (3,), (500,)):
        with pytest.raises(ValueError, match=r"probs at batch index \(417,\) contains NaN"):
            d.sample(shape, rng=0)
    x = d.log_prob(np.zeros(1000, dtype=np.int64))
    assert np.isnan(x[417]) and np.isfinite(np.delete(x, 417)).all()
    for bad in (-1.0, np.inf, 0.0):
        q = p.copy()
        q[417] = 0.0 if bad == 0.0 else q[417]
        q[417, 3] = bad
        dq = nd.Categorical(probs=q, validate_args=False)
        for shape in ((), (500,)):
            with pytest.raises(ValueError, match=r"\(417,\)"):
                dq.sample(shape, rng=0)
    dl = nd.Categorical(logits=np.full((3, 20), -np.inf), validate_args=False)
    with pytest.raises(ValueError, match=r"logits at batch index \(0,\)"):
        dl.sample(rng=0)
    assert nd.Categorical(probs=p[:5]).sample((10,), rng=0).shape == (10, 5)


def test_fuzz_garbage_rows_never_crash_or_escape_the_support():
    """Random rows mixing NaN, +-inf, negatives, zeros, subnormals and huge values:
    each call either raises ValueError or returns indices in [0, K) with positive weight."""
    rng = np.random.default_rng(13)
    menu = np.array([np.nan, np.inf, -np.inf, -1.0, 0.0, -0.0, 5e-324, 1e-300, 1.0, 1e300, 1.7e308])
    for trial in range(300):
        k = int(rng.integers(1, 40))
        nrows = int(rng.integers(1, 4))
        w = rng.choice(menu, size=(nrows, k), p=None)
        if rng.random() < 0.5:
            w = np.abs(np.nan_to_num(w, nan=0.0, posinf=1.0, neginf=1.0))
        n = int(rng.choice([1, 3, 100, 2000]))
        for alias in (True, False):
            try:
                x = _categorical.sample_rows(trial, _rows(w), n, alias=alias)
            except _categorical.BadRowError:
                bad = ~(np.isfinite(w) & (w >= 0)).all(-1) | ~(w > 0).any(-1)
                assert bad.any()
                continue
            assert x.shape == (n, nrows)
            assert ((x >= 0) & (x < k)).all()
            assert (w[np.arange(nrows), x] > 0).all()
